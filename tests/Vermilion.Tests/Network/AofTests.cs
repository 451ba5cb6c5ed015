using System.Text;
using Xunit;

namespace Vermilion.Tests;

/// <summary>The AOF writer on its own: what Append puts in the file, when the file is written relative to replies, restarts, automatic rewrites.</summary>
[Trait("Category", "Network")]
public class AofTests
{
    static InProcessServer Serve(AofDir dir, params string[] extra) =>
        new(c => c.Dir = dir.Path, "epoll", ["--appendonly", "yes", "--aof-use-rdb-preamble", "no", .. extra]);

    static byte[] Command(params string[] args) => RespSocket.Encode(args);

    /// <summary>feedAppendOnlyFile: a SELECT when the database changes (not before each command), the command as given, all of it written by one flush.</summary>
    [Fact]
    public void AppendWritesSelectOnlyWhenTheDatabaseChanges()
    {
        using var dir = new AofDir();
        var (start, server) = AofServers.LoadVermilion(dir, "--aof-use-rdb-preamble", "no");
        Assert.True(start.Started);
        using (server)
        {
            var aof = server!.Aof;
            Assert.Equal(AofState.On, aof.State);
            Assert.Contains(aof, server.EffectSinks);
            aof.Append(0, Command("SET", "a", "1"));
            aof.Append(0, Command("SET", "b", "2"));
            aof.Append(3, Command("DEL", "c"));
            aof.Append(0, Command("INCR", "n"));
            Assert.True(aof.BufferLength > 0);
            Assert.Equal("", dir.Read("appendonly.aof.1.incr.aof")); // nothing before the flush
            aof.Flush(force: false);
            Assert.Equal(0, aof.BufferLength);
            Assert.Equal(AofDir.Resp(["SELECT", "0"], ["SET", "a", "1"], ["SET", "b", "2"], ["SELECT", "3"], ["DEL", "c"], ["SELECT", "0"], ["INCR", "n"]),
                dir.Read("appendonly.aof.1.incr.aof"));
            Assert.Equal(0, AofServers.CheckAof(dir.Manifest).ExitCode);
        }
    }

    /// <summary>aof-timestamp-enabled: a "#TS:unix" annotation opens the first write of each second; loaders skip it.</summary>
    [Fact]
    public void TimestampAnnotationsAreWrittenAndSkippedOnLoad()
    {
        using var dir = new AofDir();
        var (_, server) = AofServers.LoadVermilion(dir, "--aof-use-rdb-preamble", "no", "--aof-timestamp-enabled", "yes");
        using (server)
        {
            server!.Aof.Append(0, Command("SET", "a", "1"));
            server.Aof.Append(0, Command("SET", "b", "2"));
            server.Aof.Flush(force: false);
        }
        string incr = dir.Read("appendonly.aof.1.incr.aof");
        Assert.Matches(@"^#TS:\d{10}\r\n\*2\r\n\$6\r\nSELECT", incr);
        Assert.Equal(2, incr.Split("#TS:").Length); // one annotation: both writes fell in the same second
        Assert.Equal(0, AofServers.CheckAof(dir.Manifest).ExitCode);
        var (again, loaded) = AofServers.LoadVermilion(dir);
        Assert.True(again.Started);
        Assert.Equal(2, loaded!.Databases[0].Count);
        loaded.Dispose();
        // redis-server loads it too.
        using var copy = dir.Copy();
        Assert.True(AofServers.StartRedis(copy).Started);
    }

    /// <summary>
    /// flushAppendOnlyFile runs in beforeSleep before replies are written: a client holding a
    /// reply finds its command in the file (always also fdatasyncs before; everysec may postpone
    /// the write up to 2 s while an fsync runs). A pipeline of commands is in the file, all of it,
    /// when the first reply arrives.
    /// </summary>
    [Theory]
    [InlineData("always")]
    [InlineData("everysec")]
    [InlineData("no")]
    public void ReplyLeavesOnlyAfterItsCommandIsInTheFile(string policy)
    {
        using var dir = new AofDir();
        using var s = Serve(dir, "--appendfsync", policy);
        using var c = s.Connect();
        string incr = dir.File("appendonly.aof.1.incr.aof");
        // everysec may hold the write back while a background fsync runs (at most 2 s, Redis's
        // postponement), and replies still leave: there the command is in the file soon after.
        void InFile(string text)
        {
            if (policy == "everysec") Assert.True(InProcessServer.WaitFor(() => File.ReadAllText(incr).Contains(text), 3000));
            else Assert.Contains(text, File.ReadAllText(incr));
        }
        for (int i = 0; i < 200; i++)
        {
            Assert.Equal("+OK\r\n", c.Call("SET", "k" + i, "value-" + i + "-end"));
            InFile("value-" + i + "-end");
        }
        var pipeline = new StringBuilder();
        for (int i = 0; i < 100; i++) pipeline.Append(AofDir.Resp(["RPUSH", "list", "item-" + i + "-end"]));
        c.Send(pipeline.ToString());
        Assert.Equal(":1\r\n", c.ReadReply());
        InFile("item-99-end");
        for (int i = 1; i < 100; i++) c.ReadReply();
        Assert.Contains($"aof_last_write_status:ok", c.Call("INFO", "persistence"));
    }

    /// <summary>
    /// everysec on a busy disk: while the background fsync has not returned, the next write of
    /// the buffer waits (the reply does not: everysec promises at most two seconds), for up to
    /// 2 seconds; then it is written anyway, aof_delayed_fsync counts it and Redis's line is logged.
    /// </summary>
    [Fact]
    public void EverysecWaitsAtMostTwoSecondsForABusyFsync()
    {
        using var dir = new AofDir();
        using var s = Serve(dir, "--appendfsync", "everysec", "--hz", "50");
        using var gate = new ManualResetEventSlim();
        s.Server.Aof.BackgroundJobs.DataSync = f =>
        {
            gate.Wait();
            return f.DataSync();
        };
        using var c = s.Connect();
        try
        {
            Assert.Equal("+OK\r\n", c.Call("SET", "a", "1"));
            // Within the next second the unsynced bytes get their background fsync, which now hangs.
            Assert.True(InProcessServer.WaitFor(() => c.Call("INFO", "persistence").Contains("aof_pending_bio_fsync:1"), 5000));
            var watch = System.Diagnostics.Stopwatch.StartNew();
            Assert.Equal("+OK\r\n", c.Call("SET", "b", "postponed-value"));
            Assert.DoesNotContain("postponed-value", dir.Read("appendonly.aof.1.incr.aof"));
            Assert.True(InProcessServer.WaitFor(() => dir.Read("appendonly.aof.1.incr.aof").Contains("postponed-value"), 5000));
            Assert.InRange(watch.ElapsedMilliseconds, 900, 3500);
            Assert.Contains("aof_delayed_fsync:1", c.Call("INFO", "persistence"));
            Assert.True(s.LogContains("Asynchronous AOF fsync is taking too long (disk is busy?). Writing the AOF buffer without waiting for fsync to complete, this may slow down Redis."));
        }
        finally { gate.Set(); }
        Assert.True(InProcessServer.WaitFor(() => c.Call("INFO", "persistence").Contains("aof_pending_bio_fsync:0")));
    }

    /// <summary>DEBUG AOF-FLUSH-SLEEP slows each write of the AOF buffer, and the reply waits for it.</summary>
    [Fact]
    public void FlushSleepDelaysTheReply()
    {
        using var dir = new AofDir();
        using var s = Serve(dir, "--enable-debug-command", "yes");
        using var c = s.Connect();
        Assert.Equal("+OK\r\n", c.Call("DEBUG", "AOF-FLUSH-SLEEP", "200000"));
        var watch = System.Diagnostics.Stopwatch.StartNew();
        Assert.Equal("+OK\r\n", c.Call("SET", "slow", "1"));
        Assert.True(watch.ElapsedMilliseconds >= 190, $"{watch.ElapsedMilliseconds} ms");
        Assert.Equal("+OK\r\n", c.Call("DEBUG", "AOF-FLUSH-SLEEP", "0"));
    }

    /// <summary>What was written, and rewritten, comes back after a restart: every type, several databases, deadlines, a rewrite in the middle.</summary>
    [Fact]
    public void RestartLoadsBaseAndIncr()
    {
        using var dir = new AofDir();
        string before;
        using (var s = Serve(dir))
        {
            using var c = s.Connect();
            AofData.Write(c, 0, 60);
            Assert.Equal("+Background append only file rewriting started\r\n", c.Call("BGREWRITEAOF"));
            AofServers.WaitForRewrite(c);
            AofData.Write(c, 60, 120);
            before = AofServers.Canonical(c);
            Assert.Equal(["appendonly.aof.2.base.aof", "appendonly.aof.2.incr.aof", "appendonly.aof.manifest"], dir.Files());
        }
        Assert.Equal(0, AofServers.CheckAof(dir.Manifest).ExitCode);
        using var again = Serve(dir);
        using var c2 = again.Connect();
        Assert.Equal(before, AofServers.Canonical(c2));
    }

    /// <summary>serverCron's automatic rewrite: past auto-aof-rewrite-min-size and grown by the percentage since the last rewrite.</summary>
    [Fact]
    public void GrowthStartsAnAutomaticRewrite()
    {
        using var dir = new AofDir();
        using var s = Serve(dir, "--auto-aof-rewrite-min-size", "4kb", "--auto-aof-rewrite-percentage", "0", "--hz", "100");
        using var c = s.Connect();
        for (int i = 0; i < 100; i++) c.Call("SET", "key", new string('x', 100)); // one key rewritten over and over
        // Turned on only now: aof_base_size counts the incr written while the rewrite ran (as Redis's
        // backgroundRewriteDoneHandler), so writes racing the cron's rewrite would make the size below vary.
        Assert.Equal("+OK\r\n", c.Call("CONFIG", "SET", "auto-aof-rewrite-percentage", "100"));
        Assert.True(InProcessServer.WaitFor(() => c.Call("INFO", "persistence").Contains("aof_rewrites:1"), 5000));
        Assert.True(s.LogContains("Starting automatic rewriting of AOF on"));
        AofServers.WaitForRewrite(c);
        var info = c.Call("INFO", "persistence");
        // The rewritten base holds one SET: far smaller than the 100 the incr file had.
        Assert.Matches(@"aof_base_size:\d{2,3}\r\n", info);
        Assert.Equal(0, AofServers.CheckAof(dir.Manifest).ExitCode);
    }

    /// <summary>CONFIG SET appendonly yes on a server with data: the base holds the data, later writes go to the incr, a restart has both.</summary>
    [Fact]
    public void TurningAofOnAtRunTimeWritesABaseFirst()
    {
        using var dir = new AofDir();
        string before;
        using (var s = new InProcessServer(c => c.Dir = dir.Path, "epoll", "--aof-use-rdb-preamble", "no"))
        {
            using var c = s.Connect();
            AofData.Write(c, 0, 40);
            Assert.Contains("aof_enabled:0", c.Call("INFO", "persistence"));
            Assert.Equal("+OK\r\n", c.Call("CONFIG", "SET", "appendonly", "yes"));
            AofServers.WaitForRewrite(c);
            Assert.Contains("aof_enabled:1", c.Call("INFO", "persistence"));
            AofData.Write(c, 40, 50);
            before = AofServers.Canonical(c);
            Assert.Equal(["appendonly.aof.1.base.aof", "appendonly.aof.1.incr.aof", "appendonly.aof.manifest"], dir.Files());
            // And off again: nothing more is appended.
            Assert.Equal("+OK\r\n", c.Call("CONFIG", "SET", "appendonly", "no"));
            long size = new FileInfo(dir.File("appendonly.aof.1.incr.aof")).Length;
            c.Call("SET", "after-off", "1");
            Assert.Equal(size, new FileInfo(dir.File("appendonly.aof.1.incr.aof")).Length);
        }
        using var again = Serve(dir);
        using var c2 = again.Connect();
        Assert.Equal(before, AofServers.Canonical(c2));
    }

    /// <summary>An RDB image as the seams see one: magic, version, EOF opcode, 8 checksum bytes (a fake: nothing in between).</summary>
    static readonly byte[] s_fakeRdb = [.. "REDIS0010"u8, 0xFF, 1, 2, 3, 4, 5, 6, 7, 8];

    /// <summary>Stands in for the RDB loader: reads through the EOF opcode and the checksum, and says how often it ran.</summary>
    static AofLoader.RdbImageLoader FakeRdbLoader(List<long> calls) => stream =>
    {
        calls.Add(stream.Position);
        int b;
        while ((b = stream.ReadByte()) != 0xFF) if (b < 0) return false;
        stream.ReadExactly(new byte[8]);
        return true;
    };

    static VermilionServer Unloaded(AofDir dir, params string[] extra)
    {
        var server = new VermilionServer(AofServers.ConfigFor(dir, ["--port", "0", "--appendonly", "yes", .. extra]));
        server.Log.Sink = TextWriter.Null;
        return server;
    }

    /// <summary>
    /// A base that starts with "REDIS" goes to the RDB loader seam, positioned at the magic; the
    /// incr files follow. Without a loader the file is refused with Redis's line and one saying why.
    /// </summary>
    [Fact]
    public void RdbBaseGoesToTheRdbLoader()
    {
        using var dir = new AofDir();
        dir.Write("appendonly.aof.manifest", "file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n");
        dir.Write("appendonly.aof.1.base.rdb", s_fakeRdb);
        dir.Write("appendonly.aof.1.incr.aof", AofDir.Resp(["SET", "after", "base"]));
        var calls = new List<long>();
        using (var server = Unloaded(dir))
        {
            server.Aof.RdbLoader = FakeRdbLoader(calls);
            server.LoadDataFromDisk();
            Assert.Equal([0L], calls);
            Assert.Equal(1, server.Databases[0].Count);
        }
        using (var server = Unloaded(dir))
        {
            var lines = new List<string>();
            server.Log.Observer = lines.Add;
            server.Aof.RdbLoader = null;
            Assert.Throws<ServerStartException>(server.LoadDataFromDisk);
            Assert.Contains("Reading RDB base file on AOF loading...", lines);
            Assert.Contains("Error reading the RDB base file appendonly.aof.1.base.rdb, AOF loading aborted", lines);
        }
    }

    /// <summary>An old single-file AOF with an RDB preamble: migrated, the preamble to the RDB loader, then the commands of its tail.</summary>
    [Fact]
    public void OldAofWithRdbPreambleLoadsItsTail()
    {
        using var dir = new AofDir();
        Directory.Delete(dir.AofPath);
        File.WriteAllBytes(Path.Combine(dir.Path, "appendonly.aof"), [.. s_fakeRdb, .. Encoding.Latin1.GetBytes(AofDir.Resp(["SELECT", "0"], ["SET", "tail", "1"], ["RPUSH", "l", "x"]))]);
        var calls = new List<long>();
        using var server = Unloaded(dir);
        var lines = new List<string>();
        server.Log.Observer = lines.Add;
        server.Aof.RdbLoader = FakeRdbLoader(calls);
        server.LoadDataFromDisk();
        Assert.Single(calls);
        Assert.Equal(2, server.Databases[0].Count);
        Assert.Contains("Reading RDB preamble from AOF file...", lines);
        Assert.Contains("Reading the remaining AOF tail...", lines);
        Assert.Equal("file appendonly.aof seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n", dir.Read("appendonly.aof.manifest"));
    }

    /// <summary>With aof-use-rdb-preamble yes the base is an RDB image (the fork-less snapshot's, aof-base set), named .rdb; with the preamble off it is commands, named .aof. Either way a restart brings the data back.</summary>
    [Theory]
    [InlineData("yes", "appendonly.aof.2.base.rdb")]
    [InlineData("no", "appendonly.aof.2.base.aof")]
    public void TheBaseIsAnRdbImageWithThePreamble(string preamble, string baseName)
    {
        using var dir = new AofDir();
        using (var s = new InProcessServer(c => c.Dir = dir.Path, "epoll", "--appendonly", "yes", "--aof-use-rdb-preamble", preamble))
        {
            using var c = s.Connect();
            c.Call("SET", "k", "v");
            c.Call("HSET", "h", "f", "1");
            Assert.Equal("+Background append only file rewriting started\r\n", c.Call("BGREWRITEAOF"));
            AofServers.WaitForRewrite(c);
            c.Call("SET", "after", "the-rewrite");
        }
        Assert.Contains(baseName, dir.Files());
        if (preamble == "yes") Assert.StartsWith("REDIS0010", dir.Read(baseName));
        else Assert.StartsWith("*2\r\n$6\r\nSELECT", dir.Read(baseName));
        using var again = new InProcessServer(c => c.Dir = dir.Path, "epoll", "--appendonly", "yes");
        using var r = again.Connect();
        Assert.Equal("$1\r\nv\r\n", r.Call("GET", "k"));
        Assert.Equal("$1\r\n1\r\n", r.Call("HGET", "h", "f"));
        Assert.Equal("$11\r\nthe-rewrite\r\n", r.Call("GET", "after"));
    }

    /// <summary>DEBUG LOADAOF (unit/other's "Same dataset digest if saving/reloading as AOF?"): the dataset after a reload from the directory is the one before it, TTLs included, and the AOF goes on from there.</summary>
    [Theory]
    [InlineData("yes")]
    [InlineData("no")]
    public void DebugLoadAofReloadsTheSameDataset(string preamble)
    {
        using var dir = new AofDir();
        using var s = new InProcessServer(c => c.Dir = dir.Path, "epoll", "--enable-debug-command", "yes", "--aof-use-rdb-preamble", preamble);
        using var c = s.Connect();
        c.Call("SET", "k", "v");
        c.Call("SET", "t", "v", "EX", "1000");
        c.Call("RPUSH", "l", "a", "b");
        c.Call("ZADD", "z", "1.5", "m");
        Assert.Equal("+OK\r\n", c.Call("CONFIG", "SET", "appendonly", "yes"));
        AofServers.WaitForRewrite(c);
        c.Call("HSET", "h", "f", "1"); // after the rewrite: in the incr file
        c.Call("SELECT", "3");
        c.Call("SET", "in3", "x");
        string digest = c.Call("DEBUG", "DIGEST");
        Assert.Equal("+OK\r\n", c.Call("DEBUG", "LOADAOF"));
        Assert.Equal(digest, c.Call("DEBUG", "DIGEST"));
        Assert.Contains("rdb_changes_since_last_save:0\r\n", c.Call("INFO", "persistence"));
        c.Call("SET", "after", "reload");
        Assert.Equal("+OK\r\n", c.Call("DEBUG", "LOADAOF"));
        Assert.Equal("$6\r\nreload\r\n", c.Call("GET", "after"));
        Assert.Equal(":1\r\n", c.Call("EXISTS", "in3"));
    }

    /// <summary>The AOF's INFO persistence lines, in Redis's order, with and without appendonly.</summary>
    [Fact]
    public void InfoFieldsInRedisOrder()
    {
        using var dir = new AofDir();
        using var s = Serve(dir);
        using var c = s.Connect();
        var names = c.Call("INFO", "persistence").Split("\r\n").Where(l => l.StartsWith("aof_")).Select(l => l[..l.IndexOf(':')]);
        Assert.Equal(["aof_enabled", "aof_rewrite_in_progress", "aof_rewrite_scheduled", "aof_last_rewrite_time_sec", "aof_current_rewrite_time_sec",
            "aof_last_bgrewrite_status", "aof_rewrites", "aof_rewrites_consecutive_failures", "aof_last_write_status", "aof_last_cow_size",
            "aof_current_size", "aof_base_size", "aof_pending_rewrite", "aof_buffer_length", "aof_pending_bio_fsync", "aof_delayed_fsync"], names);
    }
}

/// <summary>A dataset of every type and encoding, written the same way to any server: deadlines absolute, several databases.</summary>
public static class AofData
{
    /// <summary>One base for every deadline in the process, so two servers given the same writes hold the same deadlines.</summary>
    static readonly long s_deadline = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + 86_400_000;

    public static void Write(RespSocket c, int from, int to)
    {
        long deadline = s_deadline;
        foreach (int db in new[] { 0, 1, 9, 15 })
        {
            Assert.Equal("+OK\r\n", c.Call("SELECT", db.ToString()));
            for (int i = from; i < to; i++)
            {
                string k = $"{db}:{i}";
                c.Call("SET", "s:" + k, i % 3 == 0 ? i.ToString() : "v\r\n\0" + k);
                c.Call("RPUSH", "l:" + k, "a", i.ToString(), "");
                if (i % 20 == 0)
                {
                    var many = new List<string> { "RPUSH", "bigl:" + k };
                    for (int j = 0; j < 150; j++) many.Add("e" + j);
                    c.Call([.. many]);
                }
                c.Call("SADD", "is:" + k, "1", "2", (i * 1000).ToString());
                c.Call("SADD", "ss:" + k, "x", "y z", i.ToString());
                c.Call("ZADD", "z:" + k, "1.5", "a", "-inf", "low", "inf", "high", "0.1", "tenth", i.ToString(), "n");
                c.Call("HSET", "h:" + k, "f", "v", "n", i.ToString());
                if (i % 25 == 0)
                {
                    var big = new List<string> { "HSET", "bigh:" + k };
                    for (int j = 0; j < 200; j++) { big.Add("f" + j); big.Add(new string('v', j % 70)); }
                    c.Call([.. big]);
                    var bigz = new List<string> { "ZADD", "bigz:" + k };
                    for (int j = 0; j < 200; j++) { bigz.Add((j / 7.0).ToString("R", System.Globalization.CultureInfo.InvariantCulture)); bigz.Add("m" + j); }
                    c.Call([.. bigz]);
                    var bigs = new List<string> { "SADD", "bigs:" + k };
                    for (int j = 0; j < 600; j++) bigs.Add("m" + j);
                    c.Call([.. bigs]);
                }
                if (i % 4 == 0) c.Call("PEXPIREAT", "s:" + k, (deadline + i).ToString());
                if (i % 7 == 0) c.Call("PEXPIREAT", "h:" + k, (deadline + i).ToString());
                if (i % 10 == 9) c.Call("DEL", "l:" + k);
                if (i % 11 == 5) c.Call("INCRBY", "counter", i.ToString());
            }
        }
        c.Call("SELECT", "0");
    }
}
