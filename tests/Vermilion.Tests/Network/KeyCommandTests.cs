using Xunit;

namespace Vermilion.Tests;

/// <summary>Generic key commands against redis-server 7.0.15.</summary>
[Trait("Category", "Network")]
public class KeyCommandTests(DifferentialServers servers) : IClassFixture<DifferentialServers>
{
    /// <summary>KEYS answers in hash order; a TTL set to about 1000 may have ticked down on one server only.</summary>
    static readonly SameOptions s_options = new()
    {
        OrderOf = cmd => cmd[0] == "KEYS" ? Order.Elements : Order.Exact,
        MaskOf = cmd => cmd[0] == "TTL" ? @"^:9\d*" : null,
    };

    void Same(params string[][] script) => servers.Same(s_options, script);

    void SameUnflushed(params string[][] script) => servers.Same(s_options with { Flush = false }, script);

    [Fact]
    public void TypeTouchKeys() => Same(
        ["MSET", "user:1", "a", "user:2", "b", "user:10", "c", "other", "d", "h[x]", "e"], ["TYPE", "user:1"], ["TYPE", "nokey"], ["TYPE"],
        ["TOUCH", "user:1", "nokey", "user:1"], ["TOUCH"], ["KEYS", "*"], ["KEYS", "user:?"], ["KEYS", "user:*"], ["KEYS", "USER:*"],
        ["KEYS", "h\\[x\\]"], ["KEYS", "[ou]*"], ["KEYS", "nomatch*"], ["KEYS"], ["KEYS", "a", "b"]);

    [Fact]
    public void RenameAndRenameNx() => Same(
        ["SET", "a", "1", "EX", "1000"], ["RENAME", "a", "b"], ["GET", "a"], ["GET", "b"], ["TTL", "b"], ["RENAME", "nokey", "x"], ["RENAME", "b", "b"],
        ["RENAMENX", "b", "b"], ["SET", "c", "3"], ["RENAMENX", "b", "c"], ["RENAMENX", "b", "d"], ["GET", "d"], ["TTL", "d"], ["RENAMENX", "nokey", "x"],
        ["RENAME", "d", "c"], ["GET", "c"], ["TTL", "c"], ["RENAME", "c"], ["RENAMENX", "a", "b", "c"]);

    [Fact]
    public void MoveCopySwapDb() => Same(
        ["SET", "a", "1", "EX", "1000"], ["MOVE", "a", "1"], ["EXISTS", "a"], ["SELECT", "1"], ["GET", "a"], ["TTL", "a"], ["MOVE", "a", "1"],
        ["SET", "z", "0"], ["SELECT", "0"], ["SET", "z", "x"], ["SELECT", "1"], ["MOVE", "z", "0"], ["MOVE", "nokey", "0"], ["MOVE", "a", "16"],
        ["MOVE", "a", "-1"], ["MOVE", "a", "abc"], ["COPY", "a", "a"], ["COPY", "a", "b"], ["GET", "b"], ["TTL", "b"], ["COPY", "a", "b"],
        ["COPY", "a", "b", "REPLACE"], ["COPY", "a", "a", "DB", "0"], ["SELECT", "0"], ["GET", "a"], ["TTL", "a"], ["COPY", "a", "x", "DB", "16"],
        ["COPY", "a", "x", "DB", "abc"], ["COPY", "a", "x", "DB"], ["COPY", "a", "x", "FOO"], ["COPY", "a", "x", "REPLACE", "REPLACE"],
        ["COPY", "nokey", "x"], ["SELECT", "1"], ["APPEND", "b", "2"], ["GET", "a"], ["GET", "b"],
        ["SWAPDB", "0", "1"], ["GET", "a"], ["SELECT", "0"], ["GET", "a"], ["GET", "b"], ["DBSIZE"], ["SWAPDB", "0", "0"], ["SWAPDB", "0", "16"],
        ["SWAPDB", "-1", "0"], ["SWAPDB", "abc", "1"], ["SWAPDB", "1", "abc"], ["SWAPDB", "0"], ["MOVE", "a"], ["COPY", "a"]);

    [Fact]
    public void ScanErrorsAndSmallScans() => Same(
        ["MSET", "a", "1", "b", "2"], ["SCAN"], ["SCAN", "abc"], ["SCAN", " 1"], ["SCAN", "1.5"], ["SCAN", "99999999999999999999999"],
        ["SCAN", "0", "COUNT"], ["SCAN", "0", "COUNT", "0"], ["SCAN", "0", "COUNT", "-1"], ["SCAN", "0", "COUNT", "x"], ["SCAN", "0", "MATCH"],
        ["SCAN", "0", "TYPE"], ["SCAN", "0", "FOO", "bar"], ["SCAN", "0", "MATCH", "a", "COUNT"], ["SCAN", "0", "MATCH", "a"],
        ["SCAN", "0", "MATCH", "nomatch*", "COUNT", "100"], ["SCAN", "0", "TYPE", "list"], ["SCAN", "0", "TYPE", "STRING", "MATCH", "b"],
        ["SCAN", "0", "TYPE", "nosuchtype"], ["FLUSHALL"], ["SCAN", "0"], ["SCAN", "123"], ["SCAN", "-1"], ["SCAN", "+0"]);

    /// <summary>A full SCAN iteration returns the same set of keys on both servers, whatever the cursors.</summary>
    [Theory]
    [InlineData(0, null, null)]
    [InlineData(3000, null, null)]
    [InlineData(3000, "user:1*", null)]
    [InlineData(3000, "*", "string")]
    [InlineData(3000, null, "hash")]
    public void ScanIterationReturnsEveryKey(int keys, string? match, string? type)
    {
        using var r = servers.Redis.Connect();
        using var v = servers.Vermilion.Connect();
        foreach (var s in new[] { r, v })
        {
            s.Call("FLUSHALL");
            for (int i = 0; i < keys; i += 100)
                s.Call(["MSET", .. Enumerable.Range(i, 100).SelectMany(k => new[] { "user:" + k, "v" })]);
        }
        var expected = ScanAll(r, match, type);
        var actual = ScanAll(v, match, type);
        Assert.Equal(expected.Count, actual.Count);
        Assert.Equal(expected.Order(StringComparer.Ordinal), actual.Order(StringComparer.Ordinal));
    }

    static List<string> ScanAll(RespSocket s, string? match, string? type)
    {
        var keys = new List<string>();
        string cursor = "0";
        do
        {
            var cmd = new List<string> { "SCAN", cursor, "COUNT", "37" };
            if (match is not null) cmd.AddRange(["MATCH", match]);
            if (type is not null) cmd.AddRange(["TYPE", type]);
            var lines = s.Call([.. cmd]).Split("\r\n");
            cursor = lines[2];
            for (int i = 5; i < lines.Length; i += 2) keys.Add(lines[i]);
        } while (cursor != "0");
        // SCAN may return a key more than once across a resize; a quiet table returns each once.
        Assert.Equal(keys.Count, keys.Distinct().Count());
        return keys;
    }

    [Fact]
    public void RandomKey()
    {
        Same(["RANDOMKEY"], ["SET", "only", "1"], ["RANDOMKEY"], ["RANDOMKEY", "x"], ["SET", "gone", "1", "PX", "1"], ["DEL", "only"]);
        using var v = servers.Vermilion.Connect();
        v.Call("FLUSHALL");
        v.Call("MSET", "a", "1", "b", "2", "c", "3");
        var seen = new HashSet<string>();
        for (int i = 0; i < 200; i++) seen.Add(v.Call("RANDOMKEY"));
        Assert.Equal(["$1\r\na\r\n", "$1\r\nb\r\n", "$1\r\nc\r\n"], seen.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void ObjectEncodingRefcountIdletime() => Same(
        ["SET", "int", "12345"], ["OBJECT", "ENCODING", "int"], ["OBJECT", "REFCOUNT", "int"], ["SET", "small", "7"], ["OBJECT", "REFCOUNT", "small"],
        ["OBJECT", "ENCODING", "small"], ["SET", "neg", "-42"], ["OBJECT", "ENCODING", "neg"], ["SET", "big", "12345678901234567890"],
        ["OBJECT", "ENCODING", "big"], ["SET", "lead", "007"], ["OBJECT", "ENCODING", "lead"], ["SET", "sp", " 1"], ["OBJECT", "ENCODING", "sp"],
        ["SET", "e44", new string('x', 44)], ["OBJECT", "ENCODING", "e44"], ["SET", "r45", new string('x', 45)], ["OBJECT", "ENCODING", "r45"],
        ["APPEND", "e44", "y"], ["OBJECT", "ENCODING", "e44"], ["APPEND", "small", "1"], ["OBJECT", "ENCODING", "small"],
        ["SETRANGE", "int", "0", "9"], ["OBJECT", "ENCODING", "int"], ["INCR", "int"], ["OBJECT", "ENCODING", "int"],
        ["SET", "max", "9223372036854775807"], ["OBJECT", "ENCODING", "max"], ["SET", "min", "-9223372036854775808"], ["OBJECT", "ENCODING", "min"],
        ["OBJECT", "ENCODING", "nokey"], ["OBJECT", "REFCOUNT", "nokey"], ["OBJECT", "IDLETIME", "nokey"], ["OBJECT", "FREQ", "nokey"],
        ["OBJECT", "IDLETIME", "r45"], ["OBJECT", "REFCOUNT", "r45"], ["OBJECT", "FREQ", "r45"], ["OBJECT", "ENCODING"], ["OBJECT", "ENCODING", "a", "b"],
        ["OBJECT"], ["OBJECT", "FOO"], ["OBJECT", "help"], ["OBJECT", "HELP", "x"], ["COPY", "small", "copy"], ["OBJECT", "ENCODING", "copy"]);

    [Fact]
    public void ObjectFreqUnderLfu()
    {
        using var lfu = servers.Configure("maxmemory-policy", "allkeys-lfu");
        Same(["SET", "k", "v"], ["OBJECT", "FREQ", "k"], ["OBJECT", "IDLETIME", "k"], ["SET", "n", "5"], ["OBJECT", "REFCOUNT", "n"]);
    }

    [Fact]
    public void WaitAnswersZeroWithoutReplicas() => Same(
        ["WAIT", "0", "0"], ["WAIT", "1", "10"], ["WAIT", "-1", "0"], ["WAIT", "0", "-1"], ["WAIT", "x", "0"], ["WAIT", "0", "x"],
        ["WAIT", "0"], ["WAIT", "1", "99999999999999999999"]);

    [Fact]
    public void WaitBlocksUntilItsTimeoutOrClientUnblock()
    {
        using var v = servers.Vermilion.Connect();
        using var admin = servers.Vermilion.Connect();
        var started = Environment.TickCount64;
        Assert.Equal(":0\r\n", v.Call("WAIT", "1", "200"));
        Assert.InRange(Environment.TickCount64 - started, 150, 3000);
        string id = v.Call("CLIENT", "ID").Trim(':', '\r', '\n');
        v.Send(RespSocket.Encode("WAIT", "1", "0"));
        Assert.True(v.IsQuiet(200));
        Assert.Equal(":1\r\n", admin.Call("CLIENT", "UNBLOCK", id, "ERROR"));
        Assert.Equal("-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n", v.ReadReply());
        Assert.Equal("+PONG\r\n", v.Call("PING"));
    }

    [Fact]
    public void FlushModes() => Same(
        ["MSET", "a", "1", "b", "2"], ["FLUSHDB", "ASYNC"], ["DBSIZE"], ["SET", "a", "1"], ["FLUSHDB", "SYNC"], ["DBSIZE"], ["FLUSHDB", "sync"],
        ["FLUSHDB", "FOO"], ["FLUSHDB", "ASYNC", "SYNC"], ["SELECT", "1"], ["SET", "x", "1"], ["SELECT", "0"], ["SET", "y", "1"],
        ["FLUSHALL", "ASYNC"], ["DBSIZE"], ["SELECT", "1"], ["DBSIZE"], ["FLUSHALL", "FOO"], ["FLUSHALL", "SYNC", "x"]);

    /// <summary>With maxmemory 1 every write is over the limit: noeviction refuses it with Redis's exact error, reads still work.</summary>
    [Fact]
    public void NoEvictionRefusesWritesWithTheOomError()
    {
        Same(["SET", "kept", "1"]);
        using var full = servers.Configure("maxmemory", "1");
        SameUnflushed(["GET", "kept"], ["SET", "a", "1"], ["APPEND", "kept", "x"], ["INCR", "kept"], ["DEL", "kept"], ["GET", "kept"], ["EXISTS", "a"],
            ["SET", "kept", "2"], ["SETEX", "x", "-1", "y"], ["CONFIG", "GET", "maxmemory"]);
    }

    /// <summary>SELECT, MOVE and COPY ... DB past int's range answer getIntFromObjectOrReply's range error; SWAPDB its own (issue 13).</summary>
    [Fact]
    public void DbIndexesPastIntRange() => Same(
        ["SET", "k", "v"], ["SELECT", "2147483648"], ["SELECT", "-2147483649"], ["SELECT", "2147483647"], ["SELECT", "x"],
        ["SELECT", "9223372036854775808"], ["MOVE", "k", "2147483648"], ["MOVE", "k", "-1"], ["COPY", "k", "k2", "DB", "2147483648"],
        ["COPY", "k", "k2", "DB", "99"], ["SWAPDB", "0", "2147483648"], ["SWAPDB", "2147483648", "0"], ["SWAPDB", "0", "99"]);

    /// <summary>TOUCH is a read: it counts hits and misses, and resets the key's idle time (issue 13).</summary>
    [Fact]
    public void TouchResetsIdleTimeAndCountsHits()
    {
        servers.SameKeyspaceHitsAndMisses(["SET", "k", "v"], ["TOUCH", "k", "nokey", "k"]);
        servers.SameKeyspaceHitsAndMisses(["SET", "k", "v"], ["EXISTS", "k", "nokey", "k"]);
        servers.Same(connect =>
        {
            using var s = connect();
            s.Call("FLUSHALL");
            s.Call("SET", "k", "v");
            Thread.Sleep(2100);
            long Idle() => long.Parse(s.Call("OBJECT", "IDLETIME", "k").Trim(':', '\r', '\n'));
            long idle = Idle();
            // TTL, PTTL, TYPE and EXISTS look without touching (LOOKUP_NOTOUCH); TOUCH touches.
            var looks = new[] { s.Call("TTL", "k"), s.Call("PTTL", "k"), s.Call("TYPE", "k"), s.Call("EXISTS", "k") };
            return [$"idle before: {idle >= 2}", .. looks, $"idle after looking: {Idle() >= 2}", s.Call("TOUCH", "k"), s.Call("OBJECT", "IDLETIME", "k")];
        });
    }
}
