using Xunit;

namespace Vermilion.Tests;

/// <summary>
/// BGSAVE without fork (Server/BackgroundSave.cs, Persistence/Snapshot.cs): the file holds the
/// dataset exactly as it was when BGSAVE answered, whatever the writes meanwhile, and redis-server
/// 7.0.15 loads it to the same DEBUG DIGEST. The walk is slowed with rdb-key-save-delay so the
/// writes land while keys are still unsaved.
/// </summary>
public class BackgroundSaveTests
{
    static bool WaitForSaveEnd(RespSocket c) =>
        InProcessServer.WaitFor(() => c.Call("INFO", "persistence").Contains("rdb_bgsave_in_progress:0\r\n"), 30_000);

    /// <summary>The dataset of <see cref="TheFileIsTheDatasetAtTheCutWhateverIsWrittenMeanwhile"/> and the test below.</summary>
    static void Populate(RespSocket c)
    {
        foreach (int db in new[] { 0, 1, 2, 3 }) Populate(c, db, 300);
        // A big hash and list: past the compact encodings.
        for (int i = 0; i < 600; i++) c.Call("HSET", "bighash", $"f{i}", $"v{i}");
        for (int i = 0; i < 600; i++) c.Call("RPUSH", "biglist", $"e{i}");
    }

    static void Populate(RespSocket c, int db, int keys)
    {
        c.Call("SELECT", db.ToString());
        for (int i = 0; i < keys; i++)
        {
            c.Send(RespSocket.Encode("SET", $"s:{i}", $"value-{i}"));
            c.Send(RespSocket.Encode("HSET", $"h:{i}", "a", "1", "b", i.ToString()));
            c.Send(RespSocket.Encode("RPUSH", $"l:{i}", "x", "y", i.ToString()));
            c.Send(RespSocket.Encode("SADD", $"n:{i}", "1", "2", i.ToString()));
            c.Send(RespSocket.Encode("ZADD", $"z:{i}", "1", "a", i.ToString(), "b"));
        }
        for (int i = 0; i < keys * 5; i++) c.ReadReply();
        c.Call("EXPIRE", "s:1", "10000");
        c.Call("SELECT", "0");
    }

    /// <summary>Every kind of change, most to keys a walk slowed by rdb-key-save-delay has not reached yet.</summary>
    static void ChangeEverything(RespSocket c)
    {
        for (int i = 299; i >= 200; i--)
        {
            c.Call("SET", $"s:{i}", "changed");
            c.Call("HSET", $"h:{i}", "c", "new");
            c.Call("LPUSH", $"l:{i}", "front");
            c.Call("SREM", $"n:{i}", "1");
            c.Call("ZINCRBY", $"z:{i}", "5", "a");
            c.Call("APPEND", $"s:{i - 100}", "-more");
        }
        c.Call("DEL", "s:50", "h:51", "l:52");
        c.Call("RENAME", "s:60", "renamed");
        c.Call("PEXPIRE", "s:70", "1");
        c.Call("HSET", "bighash", "f0", "changed");
        c.Call("LPOP", "biglist");
        c.Call("SET", "born-after-the-cut", "x");
        c.Call("SELECT", "1");
        c.Call("FLUSHDB");
        c.Call("SWAPDB", "2", "3");
        c.Call("SELECT", "2");
        c.Call("MOVE", "s:5", "0");
        c.Call("SET", "s:6", "after-swap");
        c.Call("SELECT", "0");
    }

    [Fact]
    public void TheFileIsTheDatasetAtTheCutWhateverIsWrittenMeanwhile()
    {
        using var s = new InProcessServer("epoll", "--enable-debug-command", "yes");
        using var c = s.Connect();
        Populate(c);
        c.Call("CONFIG", "SET", "rdb-key-save-delay", "200"); // 5000 keys a second: the writes below land mid-save
        string cut = c.Call("DEBUG", "DIGEST");
        Assert.Equal("+Background saving started\r\n", c.Call("BGSAVE"));
        Assert.Equal("-ERR Background save already in progress\r\n", c.Call("BGSAVE"));
        Assert.Equal("-ERR Background save already in progress\r\n", c.Call("SAVE"));
        Assert.Contains("rdb_bgsave_in_progress:1\r\n", c.Call("INFO", "persistence"));

        ChangeEverything(c);
        c.Call("CONFIG", "SET", "rdb-key-save-delay", "0");
        Assert.True(WaitForSaveEnd(c));
        var info = c.Call("INFO", "persistence");
        Assert.Contains("rdb_last_bgsave_status:ok\r\n", info);
        Assert.Contains("rdb_changes_since_last_save:", info);

        string file = Path.Combine(s.Server.Config.Dir, "dump.rdb");
        var check = ExternalProcess.Run("redis-check-rdb", [file], timeoutMs: 60_000);
        Assert.True(check.ExitCode == 0, check.Stdout + check.Stderr);
        using var loaded = new OracleServer("--dir", s.Server.Config.Dir, "--dbfilename", "dump.rdb", "--enable-debug-command", "yes");
        using var r = loaded.Connect();
        // s:70 expired after the cut, s:1 keeps its TTL: the file is the dataset of the cut, digest for digest.
        Assert.Equal(cut, r.Call("DEBUG", "DIGEST"));
    }

    /// <summary>
    /// The AOF rewrite's base of commands (aof-use-rdb-preamble no) is the same fork-less snapshot:
    /// written in slices while writes go on, it holds the dataset of the cut. redis-server 7.0.15,
    /// given the base alone as an old single-file AOF, loads it to the digest of the cut.
    /// </summary>
    [Fact]
    public void TheAofBaseOfCommandsIsTheDatasetAtTheCut()
    {
        using var s = new InProcessServer("epoll", "--enable-debug-command", "yes", "--aof-use-rdb-preamble", "no", "--appendonly", "yes");
        using var c = s.Connect();
        Populate(c);
        c.Call("CONFIG", "SET", "rdb-key-save-delay", "200");
        string cut = c.Call("DEBUG", "DIGEST");
        Assert.Equal("+Background append only file rewriting started\r\n", c.Call("BGREWRITEAOF"));
        Assert.Contains("aof_rewrite_in_progress:1\r\n", c.Call("INFO", "persistence"));
        ChangeEverything(c);
        // s:70's 1 ms TTL: expired by a lookup (and so deleted in the incr file) before the digest, as the reload drops it.
        Assert.True(InProcessServer.WaitFor(() => c.Call("EXISTS", "s:70") == ":0\r\n"));
        string after = c.Call("DEBUG", "DIGEST");
        c.Call("CONFIG", "SET", "rdb-key-save-delay", "0");
        AofServers.WaitForRewrite(c);
        Assert.Contains("aof_last_bgrewrite_status:ok\r\n", c.Call("INFO", "persistence"));

        AssertAofBaseAndFilesLoad(s, c, cut, after);
    }

    /// <summary>
    /// The rewrite's base alone passes redis-check-aof and loads in redis-server 7.0.15 (as an old
    /// single-file AOF) to <paramref name="cut"/>'s digest; the base with the incr files after it,
    /// reloaded by DEBUG LOADAOF, is the dataset of now (<paramref name="after"/>).
    /// </summary>
    static void AssertAofBaseAndFilesLoad(InProcessServer s, RespSocket c, string cut, string after)
    {
        var bases = Directory.GetFiles(Path.Combine(s.Server.Config.Dir, "appendonlydir"), "*.base.aof");
        var only = Directory.CreateTempSubdirectory("vermilion-aof-base-").FullName;
        try
        {
            File.Copy(Assert.Single(bases), Path.Combine(only, "base.aof"));
            var check = ExternalProcess.Run("redis-check-aof", [Path.Combine(only, "base.aof")], timeoutMs: 60_000);
            Assert.True(check.ExitCode == 0, check.Stdout + check.Stderr);
            using var loaded = new OracleServer("--dir", only, "--appendonly", "yes", "--appendfilename", "base.aof", "--enable-debug-command", "yes");
            using var r = loaded.Connect();
            Assert.Equal(cut, r.Call("DEBUG", "DIGEST"));
        }
        finally { Directory.Delete(only, recursive: true); }
        Assert.Equal("+OK\r\n", c.Call("DEBUG", "LOADAOF"));
        Assert.Equal(after, c.Call("DEBUG", "DIGEST"));
    }

    /// <summary>
    /// The big values of <see cref="BigValuesAreWrittenAcrossSlicesAndTheFileIsTheCut"/>, one of
    /// each element-wise encoding, created first so the walk reaches them before the small keys
    /// (in databases 0 and 1) that are written while they are half written.
    /// </summary>
    static void PopulateBig(RespSocket c)
    {
        for (int i = 0; i < BigElements; i += 100)
        {
            var range = Enumerable.Range(i, 100).ToArray();
            c.Send(RespSocket.Encode(["SADD", "bigset", .. range.Select(n => $"member:{n}")]));
            c.Send(RespSocket.Encode(["HSET", "bighash", .. range.SelectMany(n => new[] { $"field:{n}", $"value:{n}" })]));
            c.Send(RespSocket.Encode(["ZADD", "bigzset", .. range.SelectMany(n => new[] { (n * 0.5).ToString(System.Globalization.CultureInfo.InvariantCulture), $"m:{n}" })]));
            // 40-byte elements: a node of 8 KB holds ~190, so the list has ~16 nodes.
            c.Send(RespSocket.Encode(["RPUSH", "biglist", .. range.Select(n => n % 5 == 0 ? n.ToString() : $"element-{n}".PadRight(40, '.'))]));
        }
        for (int i = 0; i < BigElements / 100 * 4; i++) c.ReadReply();
        c.Call("PEXPIRE", "bighash", "100000000");
        Populate(c, 0, 100);
        Populate(c, 1, 100);
    }

    const int BigElements = 3000;

    /// <summary>
    /// While each big value is half written (current_save_keys_processed says which: they come
    /// first), keys the walk has not reached change in both databases (set aside, joining the
    /// file after the value), then the big value itself changes (finished first), except the
    /// list, which the walk finishes. Then a database is flushed under the walk.
    /// </summary>
    static void ChangeWhileBigValuesAreWritten(RespSocket c)
    {
        string[][] changes = [["SADD", "bigset", "new"], ["DEL", "bighash"], ["ZADD", "bigzset", "7", "new"], []];
        for (int k = 0; k < changes.Length; k++)
        {
            Assert.True(InProcessServer.WaitFor(() => SaveKeysProcessed(c) >= k, 30_000));
            Thread.Sleep(150); // ~600 elements into value k
            c.Call("SET", $"s:{90 - k}", "changed");
            c.Call("HSET", $"h:{90 - k}", "c", "new");
            c.Call("RENAME", $"s:{80 - k}", $"renamed-{k}");
            c.Call("SELECT", "1");
            c.Call("SET", $"s:{90 - k}", "changed");
            c.Call("DEL", $"l:{90 - k}");
            c.Call("SELECT", "0");
            if (changes[k].Length > 0) c.Call(changes[k]);
        }
        Assert.True(InProcessServer.WaitFor(() => SaveKeysProcessed(c) >= changes.Length, 30_000));
        c.Call("SELECT", "1");
        c.Call("FLUSHDB");
        c.Call("SELECT", "0");
    }

    static long SaveKeysProcessed(RespSocket c)
    {
        var line = c.Call("INFO", "persistence").Split("\r\n").First(l => l.StartsWith("current_save_keys_processed:"));
        return long.Parse(line["current_save_keys_processed:".Length..]);
    }

    /// <summary>
    /// A big value of each kind (a dict set and hash, a skiplist, a quicklist of many nodes) is
    /// written a few elements at a time (rdb-key-save-delay paces elements as keys), while other
    /// keys and the big values themselves change: redis-check-rdb passes and redis-server loads
    /// the file to the digest of the cut.
    /// </summary>
    [Fact]
    public void BigValuesAreWrittenAcrossSlicesAndTheFileIsTheCut()
    {
        using var s = new InProcessServer("epoll", "--enable-debug-command", "yes");
        using var c = s.Connect();
        PopulateBig(c);
        Assert.Contains("quicklist", c.Call("OBJECT", "ENCODING", "biglist"));
        c.Call("CONFIG", "SET", "rdb-key-save-delay", "250"); // 4000 elements a second: ~0.75 s a big value
        string cut = c.Call("DEBUG", "DIGEST");
        Assert.Equal("+Background saving started\r\n", c.Call("BGSAVE"));
        ChangeWhileBigValuesAreWritten(c);
        c.Call("CONFIG", "SET", "rdb-key-save-delay", "0");
        Assert.True(WaitForSaveEnd(c));
        Assert.Contains("rdb_last_bgsave_status:ok\r\n", c.Call("INFO", "persistence"));

        string file = Path.Combine(s.Server.Config.Dir, "dump.rdb");
        var check = ExternalProcess.Run("redis-check-rdb", [file], timeoutMs: 60_000);
        Assert.True(check.ExitCode == 0, check.Stdout + check.Stderr);
        using var loaded = new OracleServer("--dir", s.Server.Config.Dir, "--dbfilename", "dump.rdb", "--enable-debug-command", "yes");
        using var r = loaded.Connect();
        Assert.Equal(cut, r.Call("DEBUG", "DIGEST"));
        Assert.Equal($":{BigElements}\r\n", r.Call("HLEN", "bighash"));
    }

    /// <summary>The AOF base of commands, written across slices the same way, is the dataset of the cut (64 elements a command, as today).</summary>
    [Fact]
    public void TheAofBaseWritesBigValuesAcrossSlicesAtTheCut()
    {
        using var s = new InProcessServer("epoll", "--enable-debug-command", "yes", "--aof-use-rdb-preamble", "no", "--appendonly", "yes");
        using var c = s.Connect();
        PopulateBig(c);
        c.Call("CONFIG", "SET", "rdb-key-save-delay", "250");
        string cut = c.Call("DEBUG", "DIGEST");
        Assert.Equal("+Background append only file rewriting started\r\n", c.Call("BGREWRITEAOF"));
        ChangeWhileBigValuesAreWritten(c);
        string after = c.Call("DEBUG", "DIGEST");
        c.Call("CONFIG", "SET", "rdb-key-save-delay", "0");
        AofServers.WaitForRewrite(c);
        Assert.Contains("aof_last_bgrewrite_status:ok\r\n", c.Call("INFO", "persistence"));

        AssertAofBaseAndFilesLoad(s, c, cut, after);
    }

    /// <summary>A save stopped inside a big value (DEBUG RELOAD, FLUSHALL) leaves the server whole, and the next BGSAVE starts from scratch.</summary>
    [Fact]
    public void ASaveStoppedInsideABigValueLeavesTheServerWhole()
    {
        using var s = new InProcessServer("epoll", "--enable-debug-command", "yes");
        using var c = s.Connect();
        PopulateBig(c);
        string digest = c.Call("DEBUG", "DIGEST");
        c.Call("CONFIG", "SET", "rdb-key-save-delay", "1000");
        Assert.Equal("+Background saving started\r\n", c.Call("BGSAVE"));
        Thread.Sleep(50);
        c.Call("SET", "s:99", "set aside"); // the walk is inside bigset: this key waits in the side buffer
        Assert.Equal("+OK\r\n", c.Call("DEBUG", "RELOAD"));
        Assert.True(WaitForSaveEnd(c));
        c.Call("SET", "s:99", "value-99");
        Assert.Equal(digest, c.Call("DEBUG", "DIGEST"));
        Assert.Equal("+Background saving started\r\n", c.Call("BGSAVE"));
        c.Call("SADD", "bigset", "x");
        Assert.Equal("+OK\r\n", c.Call("FLUSHALL"));
        Assert.True(WaitForSaveEnd(c));
        c.Call("CONFIG", "SET", "rdb-key-save-delay", "0");
        Assert.Equal(":0\r\n", c.Call("DBSIZE"));
        PopulateBig(c);
        Assert.Equal("+Background saving started\r\n", c.Call("BGSAVE"));
        Assert.True(WaitForSaveEnd(c));
        Assert.Contains("rdb_last_bgsave_status:ok\r\n", c.Call("INFO", "persistence"));
    }

    [Fact]
    public void FlushAllStopsTheSaveAndSchedulingWaitsForIt()
    {
        using var s = new InProcessServer();
        using var c = s.Connect();
        Populate(c, 0, 200);
        c.Call("CONFIG", "SET", "rdb-key-save-delay", "100000");
        Assert.Equal("+Background saving started\r\n", c.Call("BGSAVE"));
        Assert.Equal("-ERR Background save already in progress\r\n", c.Call("BGSAVE", "SCHEDULE"));
        Assert.Equal("+OK\r\n", c.Call("FLUSHALL"));
        Assert.True(WaitForSaveEnd(c));
        // Killed as Redis kills its child: the status stays ok, the temp file is gone, nothing was renamed in.
        Assert.Contains("rdb_last_bgsave_status:ok\r\n", c.Call("INFO", "persistence"));
        Assert.Empty(Directory.GetFiles(s.Server.Config.Dir, "*.rdb"));
        Assert.Contains(s.LogLines.ToArray(), l => l.Contains("Background saving terminated by signal"));

        c.Call("CONFIG", "SET", "rdb-key-save-delay", "0");
        c.Call("SET", "k", "v");
        Assert.Equal("+OK\r\n", c.Call("MULTI"));
        Assert.Equal("+QUEUED\r\n", c.Call("BGSAVE"));
        Assert.Equal("*1\r\n+Background saving scheduled\r\n", c.Call("EXEC"));
        Assert.True(InProcessServer.WaitFor(() => File.Exists(Path.Combine(s.Server.Config.Dir, "dump.rdb")), 10_000));
        Assert.True(WaitForSaveEnd(c));
        Assert.Equal("-ERR syntax error\r\n", c.Call("BGSAVE", "NOW"));
    }

    [Fact]
    public void AFailedBackgroundSaveStopsWritesWithMisconf()
    {
        string gone = Path.Combine(Path.GetTempPath(), "vermilion-gone-" + Guid.NewGuid().ToString("N"));
        using var s = new InProcessServer(config => config.Dir = gone, "epoll", "--save", "3600 1");
        using var c = s.Connect();
        Assert.Equal("-ERR\r\n", c.Call("BGSAVE"));
        Assert.Contains("rdb_last_bgsave_status:err\r\n", c.Call("INFO", "persistence"));
        const string misconf = "-MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error.\r\n";
        Assert.Equal(misconf, c.Call("SET", "k", "v"));
        Assert.Equal(misconf, c.Call("PING"));
        Assert.Equal("$-1\r\n", c.Call("GET", "k"));
        Assert.Equal("+OK\r\n", c.Call("CONFIG", "SET", "stop-writes-on-bgsave-error", "no"));
        Assert.Equal("+OK\r\n", c.Call("SET", "k", "v"));
    }
}
