using Xunit;

namespace Vermilion.Tests;

/// <summary>
/// The differential pair for RDB files: both with DEBUG enabled and no save points; Vermilion
/// saves into a directory of its own (set on the config directly: `dir` would chdir the whole
/// test process).
/// </summary>
public sealed class PersistenceServers : DifferentialServers, IDisposable
{
    public string Dir { get; } = Directory.CreateTempSubdirectory("vermilion-rdb-").FullName;

    public PersistenceServers() : base(["--enable-debug-command", "yes"], ["--enable-debug-command", "yes"]) =>
        Vermilion.Server.Config.Dir = Dir;

    public string RdbPath => Path.Combine(Dir, "dump.rdb");

    public new void Dispose()
    {
        base.Dispose();
        try { Directory.Delete(Dir, true); } catch (IOException) { }
    }
}

/// <summary>
/// SAVE, LASTSAVE, INFO persistence, DEBUG RELOAD and the persistence parameters over real
/// sockets; RDB files both ways between Vermilion and redis-server 7.0.15 for every type and
/// encoding, TTLs, LFU counters and several databases (the file each writes loads in the other
/// with the same contents and encodings, and redis-check-rdb accepts every file Vermilion
/// writes); Redis's own fixture files and hand-built legacy encodings loaded by both.
/// </summary>
[Trait("Category", "Network")]
public class PersistenceTests(PersistenceServers servers) : IClassFixture<PersistenceServers>
{
    /// <summary>A key of every type in every encoding Redis 7.0 has, with TTLs, in databases 0, 1, 7 and 15.</summary>
    static readonly string[][] s_dataset = BuildDataset();

    static string[][] BuildDataset()
    {
        List<string[]> script =
        [
            ["SET", "s:int", "12345"], ["SET", "s:neg", "-42"], ["SET", "s:big", "99999999999999"], ["SET", "s:embstr", "hello"],
            ["SET", "s:raw", new string('x', 100)], ["SET", "s:random", string.Concat(Enumerable.Range(0, 60).Select(i => (char)(33 + i * 37 % 90)))],
            ["SET", "s:bin", "\0\u0001\u00ff\r\n"], ["SET", "s:float", "3.14"], ["SET", "", "empty key"], ["SET", "12", "integer-looking key"],
            ["APPEND", "s:appended", "abc"], ["SETRANGE", "s:range", "10", "z"],
            ["RPUSH", "l:small", "a", "b", "c", "1", "2", "-3", "4000000000"],
            ["HSET", "h:small", "f", "v", "n", "7"], ["HSET", "h:longvalue", "f", new string('v', 100)],
            ["SADD", "set:int", "1", "2", "3", "-5", "70000", "5000000000"], ["SADD", "set:str", "a", "b", "c"],
            ["ZADD", "z:small", "1.5", "a", "2", "b", "-3.25", "c"], ["ZADD", "z:inf", "inf", "a", "-inf", "b", "0", "c"],
            ["ZADD", "z:long", "1", new string('m', 100)],
            ["SET", "ttl:s", "v", "PX", "100000000"], ["HSET", "ttl:h", "f", "v"], ["EXPIRE", "ttl:h", "1000000"],
        ];
        script.Add(["RPUSH", "l:big", .. Enumerable.Range(0, 1000).Select(i => "element:" + i)]);
        script.Add(["RPUSH", "l:ints", .. Enumerable.Range(0, 300).Select(i => (i * 1234567L - 5000).ToString())]);
        script.Add(["HSET", "h:big", .. Enumerable.Range(0, 600).SelectMany(i => new[] { "field:" + i, "value:" + i })]);
        script.Add(["SADD", "set:bigint", .. Enumerable.Range(0, 600).Select(i => (i * 7).ToString())]);
        script.Add(["ZADD", "z:big", .. Enumerable.Range(0, 200).SelectMany(i => new[] { (i * 0.5).ToString(System.Globalization.CultureInfo.InvariantCulture), "member:" + i })]);
        foreach (int db in new[] { 1, 7, 15 })
        {
            script.Add(["SELECT", db.ToString()]);
            script.Add(["SET", "db" + db, "value in " + db]);
            script.Add(["RPUSH", "list" + db, "x", "y"]);
            script.Add(["SET", "ttl" + db, "v", "EX", "100000"]);
        }
        script.Add(["SELECT", "0"]);
        return [.. script];
    }

    static readonly int[] s_databases = [0, 1, 7, 15];

    static void Run(RespSocket c, IEnumerable<string[]> script)
    {
        foreach (var command in script)
        {
            var reply = c.Call(command);
            Assert.False(reply.StartsWith('-'), $"{string.Join(' ', command.Take(3))}: {reply}");
        }
    }

    static List<string> Texts(RespSocket c, params string[] command) => RespReply.Parse(c.Call(command)).Texts();

    /// <summary>
    /// What a dataset is, as both servers can answer it: per database and key (sorted), the type,
    /// encoding, whether it has a TTL, and the contents (sets and hashes sorted).
    /// </summary>
    static List<string> Canonical(RespSocket c, IEnumerable<int>? databases = null)
    {
        var lines = new List<string>();
        foreach (int db in databases ?? Enumerable.Range(0, 16))
        {
            Assert.Equal("+OK\r\n", c.Call("SELECT", db.ToString()));
            foreach (var key in Texts(c, "KEYS", "*").Order(StringComparer.Ordinal))
            {
                string type = RespReply.Parse(c.Call("TYPE", key)).Text!;
                string encoding = RespReply.Parse(c.Call("OBJECT", "ENCODING", key)).Text!;
                long ttl = long.Parse(RespReply.Parse(c.Call("PTTL", key)).Text!);
                IEnumerable<string> contents = type switch
                {
                    "string" => [RespReply.Parse(c.Call("GET", key)).Text!],
                    "list" => Texts(c, "LRANGE", key, "0", "-1"),
                    "set" => Texts(c, "SMEMBERS", key).Order(StringComparer.Ordinal),
                    "hash" => Texts(c, "HGETALL", key).Chunk(2).Select(p => p[0] + "=" + p[1]).Order(StringComparer.Ordinal),
                    "zset" => Texts(c, "ZRANGE", key, "0", "-1", "WITHSCORES"),
                    _ => ["?"],
                };
                lines.Add($"{db} {RespSocket.Show(key)} {type} {encoding} ttl:{ttl > 0} {RespSocket.Show(string.Join("|", contents))}");
            }
        }
        c.Call("SELECT", "0");
        return lines;
    }

    static void SameLines(List<string> expected, List<string> actual)
    {
        for (int i = 0; i < Math.Max(expected.Count, actual.Count); i++)
        {
            string e = i < expected.Count ? expected[i] : "(nothing)", a = i < actual.Count ? actual[i] : "(nothing)";
            Assert.True(e == a, $"line {i}\n expected: {e[..Math.Min(e.Length, 300)]}\n actual:   {a[..Math.Min(a.Length, 300)]}");
        }
    }

    static string Info(RespSocket c, string field)
    {
        var text = RespReply.Parse(c.Call("INFO", "persistence")).Text!;
        var line = text.Split("\r\n").Single(l => l.StartsWith(field + ":"));
        return line[(field.Length + 1)..];
    }

    static void CheckRdb(string path)
    {
        var r = ExternalProcess.Run("redis-check-rdb", [path], timeoutMs: 60_000);
        Assert.True(r.ExitCode == 0, r.Stdout + r.Stderr);
        Assert.Contains("\\o/ RDB looks OK! \\o/", r.Stdout);
    }

    RespSocket Fresh()
    {
        var c = servers.Vermilion.Connect();
        Assert.Equal("+OK\r\n", c.Call("FLUSHALL"));
        return c;
    }

    // ---- commands and INFO -----------------------------------------------------------------------

    [Fact]
    public void InfoPersistenceHasRedisFieldsInRedisOrder()
    {
        using var r = servers.Redis.Connect();
        using var v = servers.Vermilion.Connect();
        static List<string> Names(RespSocket c) =>
            RespReply.Parse(c.Call("INFO", "persistence")).Text!.Split("\r\n", StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(':')[0]).ToList();
        Assert.Equal(Names(r), Names(v));
    }

    [Fact]
    public void SaveWritesAFileRedisChecksAndLastsaveMoves()
    {
        using var c = Fresh();
        long before = long.Parse(RespReply.Parse(c.Call("LASTSAVE")).Text!);
        Assert.True(before > 1_700_000_000);
        long saves = long.Parse(Info(c, "rdb_saves"));
        Run(c, s_dataset);
        Assert.Equal("+OK\r\n", c.Call("SAVE"));
        Assert.True(File.Exists(servers.RdbPath));
        Assert.Empty(Directory.GetFiles(servers.Dir, "temp-*"));
        Assert.InRange(long.Parse(RespReply.Parse(c.Call("LASTSAVE")).Text!), before, DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        Assert.Equal((saves + 1).ToString(), Info(c, "rdb_saves"));
        Assert.Equal("0", Info(c, "rdb_changes_since_last_save"));
        Assert.Equal("ok", Info(c, "rdb_last_bgsave_status"));
        Assert.True(servers.Vermilion.LogContains("DB saved on disk"));
        CheckRdb(servers.RdbPath);
        // SAVE is refused inside MULTI, as in Redis (no-multi).
        using var r = servers.Redis.Connect();
        servers.Same(["MULTI"], ["SAVE"], ["DISCARD"], ["SAVE", "extra"], ["LASTSAVE", "x"]);
    }

    [Fact]
    public void SaveThatCannotWriteRepliesErrAndKeepsTheOldFile()
    {
        using var c = Fresh();
        Assert.Equal("+OK\r\n", c.Call("SET", "k", "v"));
        Assert.Equal("+OK\r\n", c.Call("SAVE"));
        var old = File.ReadAllBytes(servers.RdbPath);
        var config = servers.Vermilion.Server.Config;
        config.Dir = Path.Combine(servers.Dir, "missing");
        try
        {
            Assert.Equal("-ERR\r\n", c.Call("SAVE"));
            Assert.True(servers.Vermilion.LogContains($"Failed opening the temp RDB file temp-{Environment.ProcessId}.rdb (in server root dir {config.Dir}) for saving: No such file or directory"));
            // SHUTDOWN's save fails too: the shutdown is cancelled, the server goes on (FORCE would exit).
            Assert.Equal("-ERR Errors trying to SHUTDOWN. Check logs.\r\n", c.Call("SHUTDOWN", "SAVE"));
            Assert.True(servers.Vermilion.LogContains("Error trying to save the DB, can't exit."));
            Assert.Equal("+PONG\r\n", c.Call("PING"));
            // DEBUG RELOAD saves first: a failed save is Redis's bare error and nothing is reloaded.
            Assert.Equal("-ERR\r\n", c.Call("DEBUG", "RELOAD"));
        }
        finally { config.Dir = servers.Dir; }
        Assert.Equal(old, File.ReadAllBytes(servers.RdbPath));
    }

    [Fact]
    public void PersistenceParametersAsRedis()
    {
        servers.Same(
            ["CONFIG", "GET", "save"], ["CONFIG", "SET", "save", "100 10 200 20"], ["CONFIG", "GET", "save"],
            ["CONFIG", "SET", "save", "1"], ["CONFIG", "SET", "save", "0 1"], ["CONFIG", "SET", "save", "x y"], ["CONFIG", "SET", "save", "1 -1"],
            ["CONFIG", "SET", "save", ""], ["CONFIG", "GET", "save"],
            ["CONFIG", "GET", "dbfilename"], ["CONFIG", "SET", "dbfilename", "a/b.rdb"], ["CONFIG", "SET", "dir", "/tmp"],
            // rdbcompression also decides DUMP's bytes (rdbSaveRawString).
            ["SET", "c", new string('c', 100)], ["DUMP", "c"],
            ["CONFIG", "GET", "rdbcompression"], ["CONFIG", "SET", "rdbcompression", "no"], ["CONFIG", "GET", "rdbcompression"], ["DUMP", "c"],
            ["CONFIG", "SET", "rdbcompression", "yes"], ["DUMP", "c"],
            ["CONFIG", "SET", "rdbchecksum", "no"], ["CONFIG", "GET", "rdbchecksum"],
            ["CONFIG", "SET", "rdb-save-incremental-fsync", "no"], ["CONFIG", "GET", "rdb-save-incremental-fsync"], ["CONFIG", "SET", "rdb-save-incremental-fsync", "yes"],
            ["CONFIG", "SET", "stop-writes-on-bgsave-error", "no"], ["CONFIG", "GET", "stop-writes-on-bgsave-error"], ["CONFIG", "SET", "stop-writes-on-bgsave-error", "yes"],
            ["CONFIG", "SET", "rdb-del-sync-files", "yes"], ["CONFIG", "GET", "rdb-del-sync-files"], ["CONFIG", "SET", "rdb-del-sync-files", "no"],
            ["CONFIG", "SET", "shutdown-on-sigterm", "save"], ["CONFIG", "GET", "shutdown-on-sigterm"], ["CONFIG", "SET", "shutdown-on-sigterm", "default"],
            ["CONFIG", "SET", "rdb-key-save-delay", "0"], ["CONFIG", "GET", "rdb-key-save-delay"]);
    }

    // ---- DEBUG RELOAD ----------------------------------------------------------------------------

    /// <summary>
    /// DEBUG RELOAD on both servers: the same contents and encodings after (a string APPEND or
    /// SETRANGE made raw comes back embstr in both, as tryObjectEncoding decides on load), and
    /// Vermilion's digest unchanged.
    /// </summary>
    [Fact]
    public void DebugReloadKeepsContentsEncodingsAndDigest()
    {
        using var c = Fresh();
        Run(c, s_dataset);
        string digest = c.Call("DEBUG", "DIGEST");
        Assert.Equal("+OK\r\n", c.Call("DEBUG", "RELOAD"));
        Assert.Equal(digest, c.Call("DEBUG", "DIGEST"));
        Assert.True(servers.Vermilion.LogContains("DB reloaded by DEBUG RELOAD"));
        using var r = servers.Redis.Connect();
        Assert.Equal("+OK\r\n", r.Call("FLUSHALL"));
        Run(r, s_dataset);
        Assert.Equal("+OK\r\n", r.Call("DEBUG", "RELOAD"));
        var expected = Canonical(r, s_databases);
        SameLines(expected, Canonical(c, s_databases));
        Assert.Equal(expected.Count.ToString(), Info(c, "rdb_last_load_keys_loaded"));
        Assert.Equal("0", Info(c, "rdb_last_load_keys_expired"));
    }

    [Fact]
    public void DebugReloadOptions()
    {
        using var c = Fresh();
        Run(c, [["SET", "a", "1"], ["SET", "b", "2"]]);
        Assert.Equal("+OK\r\n", c.Call("SAVE"));
        Run(c, [["SET", "a", "changed"], ["SET", "c", "3"]]);
        // NOSAVE: the file as it is replaces the dataset.
        Assert.Equal("+OK\r\n", c.Call("DEBUG", "RELOAD", "NOSAVE"));
        Assert.Equal(":2\r\n", c.Call("DBSIZE"));
        Assert.Equal("$1\r\n1\r\n", c.Call("GET", "a"));
        // NOFLUSH MERGE: the file's keys join the dataset, replacing the same names.
        Run(c, [["SET", "a", "changed"], ["SET", "c", "3"]]);
        Assert.Equal("+OK\r\n", c.Call("DEBUG", "RELOAD", "NOSAVE", "NOFLUSH", "MERGE"));
        Assert.Equal(":3\r\n", c.Call("DBSIZE"));
        Assert.Equal("$1\r\n1\r\n", c.Call("GET", "a"));
        // NOFLUSH without MERGE and a key in both: Redis would crash; here the load is refused whole.
        Assert.Equal("+OK\r\n", c.Call("SET", "a", "changed"));
        Assert.Equal("-ERR Error trying to load the RDB dump\r\n", c.Call("DEBUG", "RELOAD", "NOSAVE", "NOFLUSH"));
        Assert.Equal("$7\r\nchanged\r\n", c.Call("GET", "a"));
        Assert.Equal(":3\r\n", c.Call("DBSIZE"));
        Assert.Equal("-ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.\r\n", c.Call("DEBUG", "RELOAD", "BOGUS"));
        // A missing file: an error, and (unlike Redis, which flushed first) the dataset stays.
        File.Delete(servers.RdbPath);
        Assert.Equal("-ERR Error trying to load the RDB dump\r\n", c.Call("DEBUG", "RELOAD", "NOSAVE"));
        Assert.Equal(":3\r\n", c.Call("DBSIZE"));
    }

    /// <summary>
    /// A damaged file never replaces the dataset, in part or whole: the file cut at every offset,
    /// and with each byte changed, is loaded by DEBUG RELOAD NOSAVE while other data is live.
    /// </summary>
    [Fact]
    public void DamagedFileNeverReplacesTheDataset()
    {
        using var c = Fresh();
        Run(c, [["SET", "s", "value"], ["RPUSH", "l", "a", "b"], ["HSET", "h", "f", "v"], ["SADD", "i", "1", "2"], ["ZADD", "z", "1", "m"],
                ["SET", "t", "v", "PX", "100000000"], ["SELECT", "3"], ["SET", "three", "3"], ["SELECT", "0"]]);
        Assert.Equal("+OK\r\n", c.Call("SAVE"));
        var good = File.ReadAllBytes(servers.RdbPath);
        Assert.Equal("+OK\r\n", c.Call("FLUSHALL"));
        Run(c, [["SET", "live", "data"], ["SADD", "live-set", "x"]]);
        string digest = c.Call("DEBUG", "DIGEST");
        void Refused(byte[] file, string what)
        {
            File.WriteAllBytes(servers.RdbPath, file);
            Assert.True("-ERR Error trying to load the RDB dump\r\n" == c.Call("DEBUG", "RELOAD", "NOSAVE"), what);
            Assert.True(digest == c.Call("DEBUG", "DIGEST"), what + " changed the dataset");
        }
        for (int cut = 0; cut < good.Length; cut++) Refused(good[..cut], $"cut at {cut}");
        for (int i = 9; i < good.Length; i++)
        {
            var changed = (byte[])good.Clone();
            changed[i] ^= 0x5A;
            Refused(changed, $"byte {i} changed");
        }
        File.WriteAllBytes(servers.RdbPath, good);
        Assert.Equal("+OK\r\n", c.Call("DEBUG", "RELOAD", "NOSAVE"));
        Assert.Equal(":6\r\n", c.Call("DBSIZE"));
    }

    [Fact]
    public void FlushAllSavesTheEmptyDatasetWhenSavePointsExist()
    {
        using var c = Fresh();
        Run(c, [["SET", "k", "v"]]);
        Assert.Equal("+OK\r\n", c.Call("SAVE"));
        Assert.Equal("+OK\r\n", c.Call("CONFIG", "SET", "save", "3600 1"));
        try
        {
            Assert.Equal("+OK\r\n", c.Call("FLUSHALL"));
            Assert.Equal("0", Info(c, "rdb_changes_since_last_save"));
            Run(c, [["SET", "after", "flush"]]);
            Assert.Equal("+OK\r\n", c.Call("DEBUG", "RELOAD", "NOSAVE"));
            Assert.Equal(":0\r\n", c.Call("DBSIZE"));
        }
        finally { c.Call("CONFIG", "SET", "save", ""); }
    }

    [Fact]
    public void SavePointSavesFromTheCron()
    {
        using var c = Fresh();
        Assert.Equal("+OK\r\n", c.Call("SET", "k", "v"));
        File.Delete(servers.RdbPath);
        Assert.Equal("+OK\r\n", c.Call("CONFIG", "SET", "save", "1 3"));
        try
        {
            // Counting changes is the dispatcher's (server.dirty): stand in for three writes.
            servers.Vermilion.Server.Dirty = 3;
            Assert.True(InProcessServer.WaitFor(() => File.Exists(servers.RdbPath), 10_000));
            Assert.True(InProcessServer.WaitFor(() => servers.Vermilion.LogContains("3 changes in 1 seconds. Saving..."), 2_000));
            // The file is renamed in place by the writer thread; the loop settles the counters on its next turn.
            Assert.True(InProcessServer.WaitFor(() => Info(c, "rdb_changes_since_last_save") == "0", 2_000));
        }
        finally { c.Call("CONFIG", "SET", "save", ""); }
    }

    // ---- files both ways with redis-server -----------------------------------------------------

    /// <summary>Vermilion's SAVE, loaded by a redis-server started on that file: the same dataset as Redis built from the commands, encodings included.</summary>
    [Fact]
    public void VermilionFileLoadsInRedis()
    {
        using var v = Fresh();
        Run(v, s_dataset);
        Assert.Equal("+OK\r\n", v.Call("SAVE"));
        CheckRdb(servers.RdbPath);
        using var r = servers.Redis.Connect();
        Assert.Equal("+OK\r\n", r.Call("FLUSHALL"));
        Run(r, s_dataset);
        Assert.Equal("+OK\r\n", r.Call("DEBUG", "RELOAD"));
        var expected = Canonical(r);
        string digest = r.Call("DEBUG", "DIGEST");
        using var loaded = new OracleServer("--dir", servers.Dir, "--dbfilename", "dump.rdb", "--enable-debug-command", "yes");
        using var l = RespSocket.Tcp(loaded.Port);
        SameLines(expected, Canonical(l));
        Assert.Equal(digest, l.Call("DEBUG", "DIGEST"));
    }

    /// <summary>redis-server's SAVE, loaded by Vermilion: the same dataset as Vermilion built from the commands, and Redis's encodings.</summary>
    [Fact]
    public void RedisFileLoadsInVermilion()
    {
        using var r = servers.Redis.Connect();
        Assert.Equal("+OK\r\n", r.Call("FLUSHALL"));
        Run(r, s_dataset);
        Assert.Equal("+OK\r\n", r.Call("SAVE"));
        Assert.Equal("+OK\r\n", r.Call("DEBUG", "RELOAD", "NOSAVE"));
        var redisView = Canonical(r);
        string redisDir = Texts(r, "CONFIG", "GET", "dir")[1];
        using var v = Fresh();
        Run(v, s_dataset);
        string digest = v.Call("DEBUG", "DIGEST");
        Assert.Equal("+OK\r\n", v.Call("FLUSHALL"));
        File.Copy(Path.Combine(redisDir, "dump.rdb"), servers.RdbPath, overwrite: true);
        Assert.Equal("+OK\r\n", v.Call("DEBUG", "RELOAD", "NOSAVE"));
        Assert.Equal(digest, v.Call("DEBUG", "DIGEST"));
        SameLines(redisView, Canonical(v));
        // And back: what Vermilion writes from it is accepted by redis-check-rdb.
        Assert.Equal("+OK\r\n", v.Call("SAVE"));
        CheckRdb(servers.RdbPath);
    }

    /// <summary>LFU counters and LRU idle times travel in the file (F9 / F8) when the policy uses them, both ways.</summary>
    [Theory]
    [InlineData("allkeys-lfu", "FREQ")]
    [InlineData("allkeys-lru", "IDLETIME")]
    public void AccessDataTravelsWithThePolicy(string policy, string field)
    {
        using var v = Fresh();
        using var r = servers.Redis.Connect();
        foreach (var c in new[] { v, r })
        {
            Assert.Equal("+OK\r\n", c.Call("FLUSHALL"));
            Assert.Equal("+OK\r\n", c.Call("CONFIG", "SET", "maxmemory-policy", policy));
            Assert.Equal("+OK\r\n", c.Call("RESTORE", "k", "0", DumpOfString(c), field == "FREQ" ? "FREQ" : "IDLETIME", field == "FREQ" ? "100" : "5000"));
        }
        try
        {
            Assert.Equal("+OK\r\n", v.Call("SAVE"));
            using var loaded = new OracleServer("--dir", servers.Dir, "--dbfilename", "dump.rdb", "--maxmemory-policy", policy);
            using var l = RespSocket.Tcp(loaded.Port);
            Assert.InRange(long.Parse(RespReply.Parse(l.Call("OBJECT", field, "k")).Text!), field == "FREQ" ? 100 : 5000, field == "FREQ" ? 100 : 5002);
            Assert.Equal("+OK\r\n", r.Call("SAVE"));
            File.Copy(Path.Combine(Texts(r, "CONFIG", "GET", "dir")[1], "dump.rdb"), servers.RdbPath, overwrite: true);
            Assert.Equal("+OK\r\n", v.Call("DEBUG", "RELOAD", "NOSAVE"));
            Assert.InRange(long.Parse(RespReply.Parse(v.Call("OBJECT", field, "k")).Text!), field == "FREQ" ? 100 : 5000, field == "FREQ" ? 100 : 5002);
        }
        finally
        {
            v.Call("CONFIG", "SET", "maxmemory-policy", "noeviction");
            r.Call("CONFIG", "SET", "maxmemory-policy", "noeviction");
        }
    }

    static string DumpOfString(RespSocket c)
    {
        c.Call("SET", "tmp", "value");
        var payload = RespReply.Parse(c.Call("DUMP", "tmp")).Text!;
        c.Call("DEL", "tmp");
        return payload;
    }

    /// <summary>Files redis-server 7.0 reads but never writes (RDB 3 to 9, zipmap, ziplists, quicklists of ziplists, text scores), built here: both servers load them alike.</summary>
    [Fact]
    public void HandBuiltLegacyFilesLoadAsInRedis()
    {
        var files = new List<(string Name, byte[] Bytes)>
        {
            ("v3-zipmap", new RdbBytes(3).Select(0)
                .Key(RdbType.HashZipmap, "small").String(RdbBytes.Zipmap(0, ("f", "v"), ("n", "7")))
                .Key(RdbType.HashZipmap, "freespace").String(RdbBytes.Zipmap(3, ("a", "1"), ("b", "22")))
                .Key(RdbType.HashZipmap, "long").String(RdbBytes.Zipmap(0, ("f", new string('l', 100))))
                .Key(RdbType.String, "s").String("plain").Finish()),
            ("v6-ziplists", new RdbBytes(6).Select(0)
                .Key(RdbType.ListZiplist, "list").String(RdbBytes.Ziplist("a", 1L, -100L, 5000L, 100000L, 3000000000L, -9000000000000L, new string('s', 100), ""))
                .Key(RdbType.HashZiplist, "hash").String(RdbBytes.Ziplist("f", "v", "n", 7L, "big", 123456789L))
                .Key(RdbType.HashZiplist, "bighash").String(RdbBytes.Ziplist(Enumerable.Range(0, 600).SelectMany(i => new object[] { "f" + i, (long)i }).ToArray()))
                .Key(RdbType.ZSetZiplist, "zset").String(RdbBytes.Ziplist("d", "-inf", "a", 1L, "b", "2.5", "c", "inf"))
                .Key(RdbType.ZSetZiplist, "bigzset").String(RdbBytes.Ziplist(Enumerable.Range(0, 200).SelectMany(i => new object[] { "m" + i, (long)i }).ToArray()))
                .Key(RdbType.Set, "set").Length(3).String("1").String("2").String("x")
                .Key(RdbType.ZSet, "textzset").Length(2).String("m").Raw(3).Raw("1.5"u8.ToArray()).String("n").Raw(254)
                .Select(2).ExpireMs(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + 10_000_000).Key(RdbType.String, "ttl").String("v").Finish()),
            ("v8-quicklist", new RdbBytes(8).Aux("redis-ver", "4.0.9").Select(0)
                .Key(RdbType.ListQuicklist, "ql").Length(3).String(RdbBytes.Ziplist("x", "y", 12L)).String(RdbBytes.Ziplist()).String(RdbBytes.Ziplist(Enumerable.Range(0, 300).Select(i => (object)("e" + i)).ToArray()))
                .Key(RdbType.List, "plainlist").Length(2).String("p").String("q").Finish()),
            ("v2-no-checksum", new RdbBytes(2).Select(0).Key(RdbType.String, "old").String("times")
                .ExpireSeconds((int)(DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 100_000)).Key(RdbType.String, "ex").String("seconds").Finish()),
        };
        using var v = Fresh();
        foreach (var (name, bytes) in files)
        {
            File.WriteAllBytes(Path.Combine(servers.Dir, name + ".rdb"), bytes);
            using var redis = new OracleServer("--dir", servers.Dir, "--dbfilename", name + ".rdb");
            using var r = RespSocket.Tcp(redis.Port);
            var expected = Canonical(r);
            Assert.NotEmpty(expected);
            File.Copy(Path.Combine(servers.Dir, name + ".rdb"), servers.RdbPath, overwrite: true);
            Assert.True("+OK\r\n" == v.Call("DEBUG", "RELOAD", "NOSAVE"), name + ": " + string.Join("\n", servers.Vermilion.LogLines.TakeLast(3)));
            SameLines(expected, Canonical(v));
        }
    }

    /// <summary>A file of the bare mirror as bytes (git show's stdout read raw, not as text).</summary>
    static byte[] GitShow(string gitDir, string spec)
    {
        using var p = ExternalProcess.Start("git", ["--git-dir", gitDir, "show", spec]);
        using var bytes = new MemoryStream();
        p.StandardOutput.BaseStream.CopyTo(bytes);
        p.WaitForExit();
        Assert.Equal(0, p.ExitCode);
        return bytes.ToArray();
    }

    /// <summary>
    /// Redis 7.0.15's own tests/assets/*.rdb, read from the fetched repository when this machine
    /// has it (never copied into the project; CI has no mirror, and the hand-built files above
    /// cover the same encodings there): each loads in Vermilion as in redis-server, and the
    /// corrupt ziplist is refused without touching the dataset.
    /// </summary>
    [Fact]
    public void RedisFixtureFilesLoadAsInRedis()
    {
        const string mirror = "/work/.mirror/redis+redis/repo";
        if (!Directory.Exists(mirror)) return; // no mirror here: nothing to read
        using var v = Fresh();
        foreach (var name in new[] { "encodings", "hash-zipmap", "hash-ziplist", "list-quicklist", "zset-ziplist", "scriptbackup", "corrupt_empty_keys", "corrupt_ziplist" })
        {
            var bytes = GitShow(mirror, $"7.0.15:tests/assets/{name}.rdb");
            var path = Path.Combine(servers.Dir, name + ".rdb");
            File.WriteAllBytes(path, bytes);
            File.Copy(path, servers.RdbPath, overwrite: true);
            if (name == "corrupt_ziplist")
            {
                Run(v, [["FLUSHALL"], ["SET", "live", "1"]]);
                Assert.Equal("-ERR Error trying to load the RDB dump\r\n", v.Call("DEBUG", "RELOAD", "NOSAVE"));
                Assert.Equal("$1\r\n1\r\n", v.Call("GET", "live"));
                continue;
            }
            using var redis = new OracleServer("--dir", servers.Dir, "--dbfilename", name + ".rdb");
            using var r = RespSocket.Tcp(redis.Port);
            Assert.Equal("+OK\r\n", v.Call("DEBUG", "RELOAD", "NOSAVE"));
            SameLines(Canonical(r), Canonical(v));
        }
    }
}
