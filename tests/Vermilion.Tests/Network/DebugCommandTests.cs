using System.Net;
using System.Text.RegularExpressions;
using Xunit;

namespace Vermilion.Tests;

/// <summary>
/// DEBUG, CLUSTER, MODULE and LOLWUT against redis-server 7.0.15, both started with DEBUG and
/// MODULE enabled (as the Tcl suite starts servers): every error and reply shape the two share,
/// byte for byte, with what is ours alone (addresses, LRU clocks, RDB lengths) masked.
/// </summary>
[Trait("Category", "Network")]
public class DebugCommandTests(DebugCommandTests.Servers servers) : IClassFixture<DebugCommandTests.Servers>
{
    public sealed class Servers() : DifferentialServers(
        redisArgs: ["--enable-debug-command", "yes", "--enable-module-command", "yes"],
        vermilionArgs: ["--enable-debug-command", "yes", "--enable-module-command", "yes"]);

    [Fact]
    public void ErrorsAndArity() => servers.Same(
        ["DEBUG"],
        ["DEBUG", "foo"],
        ["DEBUG", "foo", "bar", "baz"],
        ["DEBUG", "object"],
        ["DEBUG", "object", "a", "b"],
        ["DEBUG", "object", "nokey"],
        ["DEBUG", "digest", "x"],
        ["DEBUG", "protocol"],
        ["DEBUG", "protocol", "foo"],
        ["DEBUG", "protocol", "\u0001\u00ff"],
        ["DEBUG", "sleep"],
        ["DEBUG", "htstats", "x"],
        ["DEBUG", "htstats", "-1"],
        ["DEBUG", "htstats", "16"],
        ["DEBUG", "htstats", "99999999999999999999"],
        ["DEBUG", "listpack", "nokey"],
        ["DEBUG", "quicklist", "nokey"],
        ["DEBUG", "quicklist", "a", "b", "c"],
        ["DEBUG", "htstats-key", "nokey"],
        ["DEBUG", "populate", "-1"],
        ["DEBUG", "populate", "x"],
        ["DEBUG", "populate", "1", "p", "-5"],
        ["DEBUG", "populate", "1", "p", "5", "extra"],
        ["DEBUG", "replybuffer", "foo", "1"],
        ["DEBUG", "replybuffer", "peak-reset-time", "x"],
        ["DEBUG", "replybuffer", "peak-reset-time", "never"],
        ["DEBUG", "replybuffer", "resizing", "1"],
        ["DEBUG", "change-repl-id", "x"],
        ["DEBUG", "log", "hello from a test"],
        ["DEBUG", "error", "CUSTOM an error\r\nwith a newline"]);

    [Fact]
    public void Switches() => servers.Same(
        ["DEBUG", "set-active-expire", "0"],
        ["DEBUG", "set-active-expire", "1"],
        ["DEBUG", "set-active-expire", "x"],
        ["DEBUG", "pause-cron", "1"],
        ["DEBUG", "pause-cron", "0"],
        ["DEBUG", "quicklist-packed-threshold", "100"],
        ["DEBUG", "quicklist-packed-threshold", "1b"],
        ["DEBUG", "quicklist-packed-threshold", "1kb"],
        ["DEBUG", "quicklist-packed-threshold", "0"],
        ["DEBUG", "quicklist-packed-threshold", "5gb"],
        ["DEBUG", "quicklist-packed-threshold", "-1"],
        ["DEBUG", "quicklist-packed-threshold", "abc"],
        ["DEBUG", "change-repl-id"],
        ["DEBUG", "sleep", "0"],
        ["DEBUG", "sleep", "abc"],
        ["DEBUG", "sleep", "0.01"],
        ["DEBUG", "set-disable-deny-scripts", "0"]);

    [Fact]
    public void WrongEncodings() => servers.Same(
        ["RPUSH", "list", "a", "b"],
        ["HSET", "hash", "f", "v"],
        ["SET", "str", "x"],
        ["DEBUG", "listpack", "list"],
        ["DEBUG", "listpack", "hash"],
        ["DEBUG", "quicklist", "hash"],
        ["DEBUG", "quicklist", "list"],
        ["DEBUG", "quicklist", "list", "1"],
        ["DEBUG", "listpack", "str"],
        ["DEBUG", "htstats-key", "str"],
        ["DEBUG", "htstats-key", "hash"]);

    /// <summary>Redis's line with what only Redis's memory layout decides masked.</summary>
    static readonly SameOptions s_objectLine = new()
    {
        MaskOf = cmd => cmd[0] == "DEBUG" ? @"at:0x[0-9a-f]+|serializedlength:\d+|lru:\d+|lru_seconds_idle:\d+|ql_uncompressed_size:\d+" : null,
    };

    [Fact]
    public void ObjectLine() => servers.Same(s_objectLine,
        ["SET", "int", "12345"],
        ["SET", "shared", "7"],
        ["SET", "embstr", "hello"],
        ["SET", "raw", new string('x', 100)],
        ["RPUSH", "list", "a", "b", "c", "1", "2"],
        ["HSET", "hash", "f", "v"],
        ["HSET", "bighash", "f", new string('y', 100)],
        ["SADD", "ints", "1", "2"],
        ["SADD", "strs", "a", "b"],
        ["ZADD", "z", "1", "a"],
        ["DEBUG", "object", "int"],
        ["DEBUG", "object", "shared"],
        ["DEBUG", "object", "embstr"],
        ["DEBUG", "object", "raw"],
        ["DEBUG", "object", "list"],
        ["DEBUG", "object", "hash"],
        ["DEBUG", "object", "bighash"],
        ["DEBUG", "object", "ints"],
        ["DEBUG", "object", "strs"],
        ["DEBUG", "object", "z"]);

    [Fact]
    public void ObjectAddressSurvivesAnInPlaceIncr()
    {
        using var s = servers.Vermilion.Connect();
        s.Call("SET", "foo", "20000");
        s.Call("INCR", "foo");
        string before = s.Call("DEBUG", "OBJECT", "foo").Split(' ')[1];
        s.Call("INCR", "foo");
        string after = s.Call("DEBUG", "OBJECT", "foo").Split(' ')[1];
        Assert.StartsWith("at:", before);
        Assert.Equal(before, after);
    }

    static readonly string[] s_protocolTypes = ["string", "integer", "double", "bignum", "null", "array", "set", "map", "attrib", "verbatim", "true", "false", "push"];

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void ProtocolByteForByte(int resp)
    {
        var steps = s_protocolTypes.Select(t => Step.Command("DEBUG", "PROTOCOL", t) with { Replies = t == "push" && resp == 3 ? 2 : 1 });
        using var pair = servers.Connect(new SameOptions { Resp = resp });
        foreach (var step in steps) pair.Same(step);
    }

    [Fact]
    public void PopulateAndDigests() => servers.Same(
        ["DEBUG", "digest"],
        ["DEBUG", "digest-value"],
        ["DEBUG", "digest-value", "nokey", "nokey2"],
        ["DEBUG", "populate", "5"],
        ["DBSIZE"],
        ["GET", "key:3"],
        ["OBJECT", "ENCODING", "key:3"],
        ["SET", "key:0", "kept"],
        ["DEBUG", "populate", "2", "key"],
        ["GET", "key:0"],
        ["DEBUG", "populate", "3", "p", "10"],
        ["GET", "p:2"],
        ["DEBUG", "populate", "1", "q", "3"],
        ["GET", "q:0"],
        ["DEBUG", "populate", "0"],
        ["FLUSHALL"],
        ["DEBUG", "digest"]);

    [Fact]
    public void LolwutAnswersTheVersionLine() => servers.Same(
        ["LOLWUT"],
        ["LOLWUT", "foo"],
        ["LOLWUT", "VERSION"],
        ["LOLWUT", "VERSION", "x"],
        ["LOLWUT", "VERSION", "99999999999999999999"],
        ["LOLWUT", "VERSION", "7"],
        ["LOLWUT", "VERSION", "8", "extra"],
        ["LOLWUT", "VERSION", "-3"],
        ["LOLWUT", "VERSION", "4"],
        // Schotter: the first two rows of squares stand straight, so a picture of two rows is the same drawing.
        ["LOLWUT", "VERSION", "5", "20", "3", "2"],
        ["LOLWUT", "VERSION", "5", "1", "1", "1"],
        ["LOLWUT", "VERSION", "5", "0", "-5", "-5"],
        ["LOLWUT", "VERSION", "5", "2000", "300", "1"],
        ["LOLWUT", "VERSION", "5", "33", "7", "2"],
        ["LOLWUT", "VERSION", "5", "3", "1", "2"],
        ["LOLWUT", "VERSION", "5", "5", "2", "1"],
        ["LOLWUT", "VERSION", "5", "77", "13", "2"],
        ["LOLWUT", "VERSION", "5", "x"],
        ["LOLWUT", "VERSION", "5", "10", "x"],
        ["LOLWUT", "VERSION", "5", "10", "2", "x"]);

    [Fact]
    public void SkylineHasTheSizeAsked()
    {
        using var s = servers.Vermilion.Connect();
        string art = s.Call("LOLWUT", "VERSION", "6", "30", "12");
        Assert.EndsWith("\nDedicated to the 8 bit game developers of past and present.\nOriginal 8 bit image from Plaguemon by hikikomori. Redis ver. 7.0.15\n\r\n", art);
        var rows = art[(art.IndexOf("\r\n") + 2)..].Split('\n')[..12];
        Assert.All(rows, row => Assert.Equal(30, Regex.Matches(row, "\u001b\\[0;(30;40|90;100|37;47|97;107)m \u001b\\[0m").Count));
        Assert.StartsWith("-ERR value is not an integer", s.Call("LOLWUT", "VERSION", "6", "x"));
        // Clamped as Redis: one cell at least, a thousand at most.
        Assert.Equal(1, Regex.Matches(s.Call("LOLWUT", "VERSION", "6", "0", "-4"), "\u001b\\[0m").Count);
    }

    [Fact]
    public void SchotterDrawsAsManySquaresAsAsked()
    {
        using var s = servers.Vermilion.Connect();
        string art = s.Call("LOLWUT", "VERSION", "5");
        Assert.EndsWith("\n\nGeorg Nees - schotter, plotter on paper, 1968. Redis ver. 7.0.15\n\r\n", art);
        // 66 columns by default: every line of the drawing is 66 Braille characters.
        var lines = art.Split('\n');
        Assert.Equal(66 * 3, lines[1].Length); // Latin-1 view of UTF-8: three bytes a character
    }

    /// <summary>Every CLUSTER subcommand, with arguments its arity accepts, then the arity and unknown-name errors the dispatcher gives first.</summary>
    [Fact]
    public void ClusterSupportIsDisabled()
    {
        string[][] subcommands =
        [
            ["ADDSLOTS", "1"], ["ADDSLOTSRANGE", "1", "2"], ["BUMPEPOCH"], ["COUNT-FAILURE-REPORTS", "x"], ["COUNTKEYSINSLOT", "1"],
            ["DELSLOTS", "1"], ["DELSLOTSRANGE", "1", "2"], ["FAILOVER"], ["FLUSHSLOTS"], ["FORGET", "x"], ["GETKEYSINSLOT", "1", "1"],
            ["HELP"], ["INFO"], ["KEYSLOT", "k"], ["LINKS"], ["MEET", "127.0.0.1", "1"], ["MYID"], ["NODES"], ["REPLICAS", "x"],
            ["REPLICATE", "x"], ["RESET"], ["SAVECONFIG"], ["SET-CONFIG-EPOCH", "1"], ["SETSLOT", "1", "STABLE"], ["SHARDS"],
            ["SLAVES", "x"], ["SLOTS"],
        ];
        using var pair = servers.Connect();
        foreach (var sub in subcommands) pair.Same(["CLUSTER", .. sub]);
        foreach (var cmd in new[] { new[] { "CLUSTER" }, ["CLUSTER", "foo"], ["CLUSTER", "KEYSLOT"], ["CLUSTER", "INFO", "x"], ["READONLY"],
                     ["READWRITE"], ["ASKING"], ["READONLY", "x"], ["ASKING", "x"] })
            pair.Same(cmd);
    }

    [Fact]
    public void ModulesAreNeverLoaded() => servers.Same(
        ["MODULE"],
        ["MODULE", "foo"],
        ["MODULE", "HELP"],
        ["MODULE", "HELP", "x"],
        ["MODULE", "LIST"],
        ["MODULE", "LIST", "x"],
        ["MODULE", "LOAD"],
        ["MODULE", "LOAD", "/nonexistent/module.so"],
        ["MODULE", "LOAD", "/nonexistent/module.so", "arg1", "arg2"],
        ["MODULE", "LOADEX", "/nonexistent/module.so"],
        ["MODULE", "LOADEX", "/nonexistent/module.so", "CONFIG", "a", "b", "ARGS", "1"],
        ["MODULE", "LOADEX", "/nonexistent/module.so", "CONFIG", "a"],
        ["MODULE", "UNLOAD", "foo"],
        ["MODULE", "UNLOAD"],
        ["MODULE", "UNLOAD", "a", "b"]);

    [Fact]
    public void DigestFollowsContentNotEncodingOrOrder()
    {
        using var s = servers.Vermilion.Connect();
        s.Call("FLUSHALL");
        Assert.Equal("+" + new string('0', 40) + "\r\n", s.Call("DEBUG", "DIGEST"));
        string Digest(string key) => s.Call("DEBUG", "DIGEST-VALUE", key);

        s.Call("SADD", "s1", "a", "b", "c");
        s.Call("SADD", "s2", "c", "b", "a");
        Assert.Equal(Digest("s1"), Digest("s2"));
        // An intset and a hashtable with the same members.
        s.Call("SADD", "i1", "1", "2", "3");
        s.Call("SADD", "i2", "3", "2", "1", "x");
        s.Call("SREM", "i2", "x");
        Assert.Equal("$9\r\nhashtable\r\n", s.Call("OBJECT", "ENCODING", "i2"));
        Assert.Equal(Digest("i1"), Digest("i2"));
        s.Call("HSET", "h1", "f", "1", "g", "2");
        s.Call("HSET", "h2", "g", "2", "f", "1");
        Assert.Equal(Digest("h1"), Digest("h2"));
        s.Call("HSET", "h3", "f", "2", "g", "1");
        Assert.NotEqual(Digest("h1"), Digest("h3"));
        s.Call("ZADD", "z1", "1", "a", "2", "b");
        s.Call("ZADD", "z2", "2", "b", "1", "a");
        Assert.Equal(Digest("z1"), Digest("z2"));
        s.Call("ZADD", "z3", "1", "a", "3", "b");
        Assert.NotEqual(Digest("z1"), Digest("z3"));
        // A list's order counts; the type counts too.
        s.Call("RPUSH", "l1", "a", "b");
        s.Call("RPUSH", "l2", "b", "a");
        Assert.NotEqual(Digest("l1"), Digest("l2"));
        s.Call("SADD", "sl", "a", "b");
        Assert.NotEqual(Digest("sl"), Digest("l1"));
        // Strings: the same text in any encoding.
        s.Call("SET", "n1", "123");
        s.Call("SET", "n2", "12");
        s.Call("APPEND", "n2", "3");
        Assert.Equal(Digest("n1"), Digest("n2"));
        // COPY keeps the digest; a deadline changes it.
        s.Call("COPY", "z1", "z4");
        Assert.Equal(Digest("z1"), Digest("z4"));
        s.Call("EXPIRE", "z4", "100");
        Assert.NotEqual(Digest("z1"), Digest("z4"));

        string whole = s.Call("DEBUG", "DIGEST");
        Assert.Matches(@"^\+[0-9a-f]{40}\r\n$", whole);
        s.Call("RPUSH", "l1", "c");
        Assert.NotEqual(whole, s.Call("DEBUG", "DIGEST"));
        s.Call("RPOP", "l1");
        Assert.Equal(whole, s.Call("DEBUG", "DIGEST"));
    }

    [Fact]
    public void ActiveExpireCanBeSwitchedOff()
    {
        using var s = servers.Vermilion.Connect();
        s.Call("FLUSHALL");
        s.Call("DEBUG", "SET-ACTIVE-EXPIRE", "0");
        try
        {
            s.Call("SET", "k", "v", "PX", "1");
            Thread.Sleep(300);
            // Still counted: nothing touched it and the cycle is off.
            Assert.Equal(":1\r\n", s.Call("DBSIZE"));
            s.Call("DEBUG", "SET-ACTIVE-EXPIRE", "1");
            Assert.True(InProcessServer.WaitFor(() => s.Call("DBSIZE") == ":0\r\n", 10_000));
        }
        finally
        {
            s.Call("DEBUG", "SET-ACTIVE-EXPIRE", "1");
        }
    }

    [Fact]
    public void SegfaultAndFriendsAreRefusedAndTheServerLives()
    {
        using var s = servers.Vermilion.Connect();
        foreach (var sub in new[] { "SEGFAULT", "PANIC", "ASSERT", "OOM", "RESTART", "CRASH-AND-RECOVER" })
            Assert.StartsWith("-ERR DEBUG " + sub + " is not supported", s.Call("DEBUG", sub));
        Assert.Equal("+PONG\r\n", s.Call("PING"));
        Assert.StartsWith("*", s.Call("DEBUG", "HELP"));
        Assert.Equal("+Apparently Redis did not crash: test passed\r\n", s.Call("DEBUG", "STRINGMATCH-LEN"));
        Assert.Equal("-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n", s.Call("DEBUG", "POPULATE", "1", "big", "99999999999"));
        Assert.Equal("+PONG\r\n", s.Call("PING"));
    }
}

/// <summary>DEBUG and MODULE under their default, "no": refused with Redis's text, after the arity check.</summary>
[Trait("Category", "Network")]
public class DebugRefusedTests(DifferentialServers servers) : IClassFixture<DifferentialServers>
{
    [Fact]
    public void RefusedWithRedisText() => servers.Same(
        ["DEBUG"],
        ["DEBUG", "HELP"],
        ["DEBUG", "OBJECT", "x"],
        ["DEBUG", "SEGFAULT"],
        ["MODULE", "LIST"],
        ["MODULE", "LOAD", "/x.so"],
        ["MODULE", "LOADEX", "/x.so"],
        ["MODULE", "UNLOAD", "x"],
        ["MODULE", "LOAD"],
        ["MODULE"],
        ["MODULE", "foo"],
        ["CONFIG", "GET", "enable-debug-command"],
        ["CONFIG", "GET", "enable-module-command"],
        ["CONFIG", "SET", "enable-debug-command", "yes"],
        ["CONFIG", "SET", "enable-module-command", "yes"]);

    [Fact]
    public void RefusedInsideMultiAbortsExec()
    {
        using var pair = servers.Connect();
        pair.Same(["MULTI"]);
        pair.Same(["DEBUG", "HELP"]);
        pair.Same(["EXEC"]);
    }
}

/// <summary>enable-debug-command local: unix sockets and 127.0.0.1 may, another address may not (a client bound to 127.0.0.2).</summary>
[Trait("Category", "Network")]
public class DebugLocalTests
{
    [Fact]
    public void OnlyLocalConnectionsMayDebug()
    {
        using var server = new InProcessServer(extra: ["--enable-debug-command", "local", "--enable-module-command", "local", "--protected-mode", "no"]);
        using var tcp = server.Connect();
        Assert.Equal("+OK\r\n", tcp.Call("DEBUG", "SET-ACTIVE-EXPIRE", "1"));
        Assert.Equal("-ERR Error unloading module: no such module with that name\r\n", tcp.Call("MODULE", "UNLOAD", "x"));
        using var unix = server.ConnectUnix();
        Assert.Equal("+OK\r\n", unix.Call("DEBUG", "SET-ACTIVE-EXPIRE", "1"));
        using var remote = RespSocket.Tcp(server.Port, from: IPAddress.Parse("127.0.0.2"));
        Assert.Equal("-ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.\r\n",
            remote.Call("DEBUG", "SET-ACTIVE-EXPIRE", "1"));
        Assert.StartsWith("-ERR MODULE command not allowed. If the enable-module-command option is set to \"local\"", remote.Call("MODULE", "UNLOAD", "x"));
        Assert.Equal("*0\r\n", remote.Call("MODULE", "LIST"));
        Assert.Equal("+PONG\r\n", remote.Call("PING"));
    }

    /// <summary>The Tcl suite starts servers with --enable-debug-command yes: the executable must take it.</summary>
    [Fact]
    public void ExecutableStartsWithDebugEnabled()
    {
        int port = InProcessServer.FreeTcpPort();
        var (file, prefix) = ExternalProcess.VermilionServer;
        using var p = ExternalProcess.Start(file, [.. prefix, "--port", port.ToString(), "--bind", "127.0.0.1", "--enable-debug-command", "yes", "--enable-module-command", "no"]);
        try
        {
            Assert.True(InProcessServer.WaitFor(() => ExternalProcess.Run("redis-cli", ["-p", port.ToString(), "PING"], timeoutMs: 5_000).Stdout == "PONG\n", 15_000));
            Assert.Equal("OK\n", ExternalProcess.Run("redis-cli", ["-p", port.ToString(), "DEBUG", "SLEEP", "0"]).Stdout);
            Assert.Equal("yes\n", ExternalProcess.Run("redis-cli", ["-p", port.ToString(), "CONFIG", "GET", "enable-debug-command"]).Stdout.Split('\n')[1] + "\n");
        }
        finally
        {
            p.Kill();
            p.WaitForExit();
        }
    }
}

/// <summary>
/// enable-debug-command, enable-module-command and enable-protected-configs "local" against
/// redis-server 7.0.15: a client from 127.0.0.2 is not local (islocalClient knows only 127.0.0.1,
/// ::1 and unix sockets), so DEBUG, MODULE LOAD/LOADEX/UNLOAD and CONFIG SET dir/dbfilename are
/// refused with 7.0's texts, while 127.0.0.1 may; the three settings stay immutable.
/// </summary>
[Trait("Category", "Network")]
public class ProtectedLocalTests(ProtectedLocalTests.Servers servers) : IClassFixture<ProtectedLocalTests.Servers>
{
    static readonly string[] s_local = ["--enable-debug-command", "local", "--enable-module-command", "local", "--enable-protected-configs", "local", "--protected-mode", "no"];

    public sealed class Servers() : DifferentialServers(s_local, s_local);

    static readonly string[][] s_script =
    [
        ["DEBUG", "SET-ACTIVE-EXPIRE", "1"], ["DEBUG", "SLEEP", "0"], ["MODULE", "LIST"], ["MODULE", "LOAD", "/x.so"], ["MODULE", "LOADEX", "/x.so"], ["MODULE", "UNLOAD", "x"],
        ["CONFIG", "SET", "dbfilename", "other.rdb"], ["CONFIG", "SET", "dir", "."], ["CONFIG", "SET", "dbfilename", "dump.rdb"],
        ["CONFIG", "SET", "enable-debug-command", "yes"], ["CONFIG", "SET", "enable-module-command", "no"], ["CONFIG", "SET", "enable-protected-configs", "yes"],
        ["MULTI"], ["DEBUG", "SET-ACTIVE-EXPIRE", "1"], ["EXEC"], ["PING"],
    ];

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("127.0.0.2")]
    public void RefusedFromNonLocalClients(string from)
    {
        var address = IPAddress.Parse(from);
        using var redis = RespSocket.Tcp(servers.Redis.Port, address);
        using var vermilion = RespSocket.Tcp(servers.Vermilion.Port, address);
        foreach (var cmd in s_script)
        {
            var expected = redis.Call(cmd);
            var actual = vermilion.Call(cmd);
            DifferentialServers.AssertSame(string.Join(' ', cmd) + " from " + from, expected, actual);
        }
    }
}
