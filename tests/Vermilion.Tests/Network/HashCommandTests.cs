using Xunit;

namespace Vermilion.Tests;

/// <summary>
/// The hash commands against redis-server 7.0.15: fixed scripts with every error path, the
/// encodings at their thresholds, order where Redis defines it (a listpack's insertion order) and
/// multisets where it does not (a hashtable), random replies by their invariants, then a seeded mix.
/// </summary>
[Trait("Category", "Network")]
public class HashCommandTests(DifferentialServers servers) : IClassFixture<DifferentialServers>
{
    void Same(params string[][] script) => servers.Same(script);

    /// <summary>Every reply compared by <paramref name="order"/>: a hashtable's order is its own.</summary>
    void Same(Order order, params string[][] script) => servers.Same(new SameOptions { OrderOf = _ => order }, script);

    static string[] ManyFields(string command, string key, int from, int to, Func<int, string>? value = null)
    {
        var args = new List<string> { command, key };
        for (int i = from; i <= to; i++)
        {
            args.Add("f" + i);
            args.Add(value?.Invoke(i) ?? "v" + i);
        }
        return [.. args];
    }

    // ---- fixed scripts ----------------------------------------------------------------------

    [Fact]
    public void SetGetAndTheirErrors() => Same(
        ["HSET", "h", "a", "1", "b", "2", "c", "3"], ["HSET", "h", "a", "9", "d", "4"], ["HGETALL", "h"], ["HKEYS", "h"], ["HVALS", "h"],
        ["HLEN", "h"], ["HGET", "h", "a"], ["HGET", "h", "zz"], ["HGET", "nokey", "a"], ["HMGET", "h", "a", "zz", "b"], ["HMGET", "nokey", "a", "b"],
        ["HSET", "h", "a"], ["HSET", "h", "a", "1", "b"], ["HSET", "h"], ["HSET", "h", "x", "1", "x", "2"], ["HGET", "h", "x"],
        ["HMSET", "h", "a", "1", "b"], ["HMSET", "h", "e", "5", "a", "0"], ["HMSET", "h"], ["HGETALL", "h"],
        ["HSETNX", "h", "a", "new"], ["HSETNX", "h", "n", "new"], ["HSETNX", "fresh", "f", "v"], ["HGETALL", "fresh"], ["HSETNX", "h", "a"],
        ["HSTRLEN", "h", "a"], ["HSTRLEN", "h", "zz"], ["HSTRLEN", "nokey", "a"], ["HSTRLEN", "h"], ["HEXISTS", "h", "a"], ["HEXISTS", "h", "zz"],
        ["HEXISTS", "nokey", "a"], ["HEXISTS", "h"], ["HGET", "h"], ["HGET", "h", "a", "b"], ["HMGET", "h"], ["HLEN"], ["HLEN", "h", "x"],
        ["HKEYS"], ["HVALS", "h", "x"], ["HGETALL"], ["HKEYS", "nokey"], ["HVALS", "nokey"], ["HGETALL", "nokey"], ["HLEN", "nokey"],
        ["TYPE", "h"], ["EXISTS", "h"]);

    [Fact]
    public void DeleteRemovesTheEmptiedKey() => Same(
        ["HSET", "h", "a", "1", "b", "2", "c", "3"], ["HDEL", "h", "a", "zz", "a"], ["HGETALL", "h"], ["HDEL", "h", "b", "c", "b"], ["EXISTS", "h"],
        ["HDEL", "h", "a"], ["HDEL", "nokey", "a"], ["HDEL", "h"], ["HSET", "h", "x", "1"], ["HDEL", "h", "x", "x", "y"], ["EXISTS", "h"],
        ["HSET", "h", "a", "1", "b", "2"], ["HDEL", "h", "a"], ["HSET", "h", "a", "3"], ["HGETALL", "h"], ["DBSIZE"]);

    [Fact]
    public void WrongTypeIsCheckedBeforeAnythingElse() => Same(
        ["SET", "s", "x"], ["HSET", "s", "a", "1"], ["HSET", "s", "a"], ["HMSET", "s", "a", "1"], ["HSETNX", "s", "a", "1"], ["HGET", "s", "a"],
        ["HMGET", "s", "a"], ["HDEL", "s", "a"], ["HLEN", "s"], ["HSTRLEN", "s", "a"], ["HEXISTS", "s", "a"], ["HKEYS", "s"], ["HVALS", "s"],
        ["HGETALL", "s"], ["HINCRBY", "s", "a", "1"], ["HINCRBY", "s", "a", "x"], ["HINCRBYFLOAT", "s", "a", "1"], ["HINCRBYFLOAT", "s", "a", "x"],
        ["HRANDFIELD", "s"], ["HRANDFIELD", "s", "1"], ["HRANDFIELD", "s", "x"], ["HRANDFIELD", "s", "1", "WITHVALUES"], ["HRANDFIELD", "s", "1", "x"],
        ["HSCAN", "s", "0"], ["HSCAN", "s", "x"], ["HSCAN", "s", "0", "COUNT", "0"], ["GET", "s"],
        ["HSET", "h", "a", "1"], ["GET", "h"], ["APPEND", "h", "x"], ["INCR", "h"], ["MGET", "h", "s"], ["TYPE", "h"], ["OBJECT", "ENCODING", "h"]);

    [Fact]
    public void IncrementByIntegers() => Same(
        ["HINCRBY", "h", "a", "5"], ["HINCRBY", "h", "a", "-10"], ["HINCRBY", "h", "a", "0"], ["HINCRBY", "h", "a", "x"], ["HINCRBY", "h", "a", "1.5"],
        ["HINCRBY", "h", "a", ""], ["HINCRBY", "h", "a", " 1"], ["HINCRBY", "h", "a", "+1"], ["HINCRBY", "h", "a", "9223372036854775808"],
        ["HINCRBY", "h", "m", "9223372036854775807"], ["HINCRBY", "h", "m", "1"], ["HINCRBY", "h", "n", "-9223372036854775808"], ["HINCRBY", "h", "n", "-1"],
        ["HINCRBY", "h", "n", "9223372036854775807"], ["HSET", "h", "s", "abc", "f", "1.0", "z", "01", "sp", " 1", "e", ""],
        ["HINCRBY", "h", "s", "1"], ["HINCRBY", "h", "f", "1"], ["HINCRBY", "h", "z", "1"], ["HINCRBY", "h", "sp", "1"], ["HINCRBY", "h", "e", "1"],
        ["HINCRBY", "nokey", "a", "x"], ["EXISTS", "nokey"], ["HINCRBY", "h", "a"], ["HINCRBY", "h", "a", "1", "2"], ["HGETALL", "h"]);

    [Fact]
    public void IncrementByFloats() => Same(
        ["HINCRBYFLOAT", "h", "f", "0.1"], ["HINCRBYFLOAT", "h", "f", "0.2"], ["HINCRBYFLOAT", "h", "f", "-0.3"], ["HINCRBYFLOAT", "h", "g", "10.5"],
        ["HINCRBYFLOAT", "h", "g", "5.0e3"], ["HINCRBYFLOAT", "h", "g", "0x1p3"], ["HINCRBYFLOAT", "h", "g", ".5"], ["HINCRBYFLOAT", "h", "g", "5."],
        ["HINCRBYFLOAT", "h", "g", "+1"], ["HINCRBYFLOAT", "h", "g", "-0"], ["HINCRBYFLOAT", "h", "t", "0.000003814697265625"],
        ["HINCRBYFLOAT", "h", "t", "1"], ["HINCRBYFLOAT", "h", "b", "1e100"], ["OBJECT", "ENCODING", "h"], ["HINCRBYFLOAT", "h", "b", "-1e100"],
        ["HINCRBYFLOAT", "h", "x", "1e4000"], ["HINCRBYFLOAT", "h", "x", "1e4000"], ["HINCRBYFLOAT", "h", "y", "1.18e4932"],
        ["HINCRBYFLOAT", "h", "y", "1.18e4932"], ["HINCRBYFLOAT", "h", "u", "1e-4940"], ["HINCRBYFLOAT", "h", "u", "1e-5000"],
        ["HINCRBYFLOAT", "h", "e", "1e5000"], ["HINCRBYFLOAT", "h", "e", "inf"], ["HINCRBYFLOAT", "h", "e", "-Infinity"], ["HINCRBYFLOAT", "h", "e", "nan"],
        ["HINCRBYFLOAT", "h", "e", "abc"], ["HINCRBYFLOAT", "h", "e", " 1"], ["HINCRBYFLOAT", "h", "e", "1 "], ["HINCRBYFLOAT", "h", "e", "1e"],
        ["HINCRBYFLOAT", "h", "e", "0x"], ["HINCRBYFLOAT", "h", "e", ""], ["HINCRBYFLOAT", "h", "e", "1\0"],
        ["HSET", "h", "s", "abc", "i", "inf", "sp", " 1", "n", "9223372036854775807", "z", "1\0"], ["HINCRBYFLOAT", "h", "s", "1"],
        ["HINCRBYFLOAT", "h", "i", "1"], ["HINCRBYFLOAT", "h", "sp", "1"], ["HINCRBYFLOAT", "h", "n", "1.5"], ["HINCRBYFLOAT", "h", "z", "1"],
        ["HINCRBYFLOAT", "h", "e"], ["HINCRBYFLOAT", "h", "e", "1", "2"], ["HLEN", "h"], ["EXISTS", "nokey"], ["HINCRBYFLOAT", "nokey", "a", "x"],
        ["EXISTS", "nokey"]);

    [Fact]
    public void BinaryAndEmptyFieldsAndValues() => Same(
        ["HSET", "h", "", "", "\0", "\0\x01\xff", "\r\n", "x"], ["HGETALL", "h"], ["HGET", "h", ""], ["HGET", "h", "\0"], ["HSTRLEN", "h", "\0"],
        ["HEXISTS", "h", "\r\n"], ["HDEL", "h", ""], ["HKEYS", "h"], ["HSCAN", "h", "0", "MATCH", "\0"], ["HINCRBY", "h", "\0\0", "7"], ["HGETALL", "h"]);

    [Fact]
    public void Resp3Shapes()
    {
        using var pair = servers.Connect(new SameOptions { Resp = 3 });
        string[][] script =
        [
            ["DEL", "h", "big"], ["HSET", "h", "a", "1", "b", "2"], ["HGETALL", "h"], ["HGETALL", "nokey"], ["HGET", "h", "zz"],
            ["HMGET", "h", "a", "zz"], ["HRANDFIELD", "nokey"], ["HRANDFIELD", "h", "10", "WITHVALUES"], ["HRANDFIELD", "h", "-3", "WITHVALUES"],
            ["HRANDFIELD", "h", "0", "WITHVALUES"], ["HRANDFIELD", "nokey", "3", "WITHVALUES"], ["HKEYS", "nokey"], ["HSCAN", "h", "0"],
            ["HSCAN", "nokey", "0"], ["HINCRBYFLOAT", "h", "f", "1.5"],
        ];
        foreach (var cmd in script)
        {
            if (cmd[0] == "HRANDFIELD" && cmd.Length > 2 && cmd[2] == "-3")
            {
                // Random picks: the shape is three [field, value] arrays.
                pair.Redis.Call(cmd);
                var actual = RespReply.Parse(pair.Vermilion.Call(cmd));
                Assert.Equal(('*', 3), (actual.Type, actual.Items!.Count));
                foreach (var picked in actual.Items) Assert.Contains(picked.ToString(), new[] { "*2\r\n$1\r\na\r\n$1\r\n1\r\n", "*2\r\n$1\r\nb\r\n$1\r\n2\r\n" });
                continue;
            }
            pair.Same(cmd);
        }
        pair.Same(ManyFields("HSET", "big", 1, 600));
        pair.Same(Step.Command("HGETALL", "big") with { Order = Order.Pairs });
        pair.Same(Step.Command("HRANDFIELD", "big", "1000", "WITHVALUES") with { Order = Order.Elements });
    }

    /// <summary>OBJECT ENCODING at hash-max-listpack-entries / -value (512 / 64), through every writing command and after CONFIG SET.</summary>
    [Fact]
    public void EncodingFollowsTheThresholds()
    {
        string v64 = new('x', 64), v65 = new('x', 65);
        Same(
            ManyFields("HSET", "h512", 1, 512), ["OBJECT", "ENCODING", "h512"], ["HSET", "h512", "f1", "again"], ["OBJECT", "ENCODING", "h512"],
            ["HSET", "h512", "f513", "v"], ["OBJECT", "ENCODING", "h512"], ["HDEL", "h512", "f513", "f1", "f2"], ["OBJECT", "ENCODING", "h512"],
            ManyFields("HSET", "h513", 1, 513), ["OBJECT", "ENCODING", "h513"], ManyFields("HMSET", "m", 1, 512), ["HSETNX", "m", "f0", "v"],
            ["OBJECT", "ENCODING", "m"], ManyFields("HSET", "i", 1, 512), ["HINCRBY", "i", "f0", "1"], ["OBJECT", "ENCODING", "i"],
            ManyFields("HSET", "fl", 1, 512), ["HINCRBYFLOAT", "fl", "f0", "1"], ["OBJECT", "ENCODING", "fl"],
            ["HSET", "v", "f", v64], ["OBJECT", "ENCODING", "v"], ["HSET", "v", "f", v65], ["OBJECT", "ENCODING", "v"], ["HSET", "v", "f", "short"],
            ["OBJECT", "ENCODING", "v"], ["HSET", "k", v64, "1"], ["OBJECT", "ENCODING", "k"], ["HSET", "k", v65, "1"], ["OBJECT", "ENCODING", "k"],
            // HSET converts by every argument before it sets any: a long value late in the command converts the whole hash.
            ["HSET", "late", "a", "1", "b", v65], ["OBJECT", "ENCODING", "late"], ["HSETNX", "nx", "f", v65], ["OBJECT", "ENCODING", "nx"],
            ["HSET", "nx2", "a", "1"], ["HSETNX", "nx2", v65, "1"], ["OBJECT", "ENCODING", "nx2"], ["HSET", "nx3", "a", "1"], ["HSETNX", "nx3", "a", v65],
            ["OBJECT", "ENCODING", "nx3"], ["HINCRBY", "incr", new string('f', 65), "1"], ["OBJECT", "ENCODING", "incr"],
            ["HINCRBYFLOAT", "fl2", "f", "1e70"], ["OBJECT", "ENCODING", "fl2"], ["HINCRBYFLOAT", "fl3", "f", "1e60"], ["OBJECT", "ENCODING", "fl3"],
            ["HGETALL", "fl3"], ["COPY", "h512", "c1"], ["OBJECT", "ENCODING", "c1"], ["COPY", "late", "c2"], ["OBJECT", "ENCODING", "c2"],
            ["RENAME", "c2", "c3"], ["OBJECT", "ENCODING", "c3"], ["OBJECT", "ENCODING", "nokey"]);
        // The script changes the thresholds: they go back to these defaults after it.
        using (servers.Configure("hash-max-listpack-entries", "512", "hash-max-listpack-value", "64"))
        {
            Same(
                ["CONFIG", "SET", "hash-max-listpack-entries", "2"], ["HSET", "a", "f1", "1", "f2", "2"], ["OBJECT", "ENCODING", "a"],
                ["HSET", "a", "f3", "3"], ["OBJECT", "ENCODING", "a"], ["CONFIG", "SET", "hash-max-ziplist-entries", "0"], ["HSET", "b", "f", "v"],
                ["OBJECT", "ENCODING", "b"], ["CONFIG", "SET", "hash-max-listpack-entries", "128", "hash-max-listpack-value", "3"],
                ["HSET", "c", "abc", "def"], ["OBJECT", "ENCODING", "c"], ["HINCRBY", "c", "x", "1000"], ["OBJECT", "ENCODING", "c"],
                ["HSET", "d", "abc", "1"], ["HINCRBYFLOAT", "d", "y", "1.5"], ["OBJECT", "ENCODING", "d"], ["HINCRBYFLOAT", "d", "y", "1.25"],
                ["OBJECT", "ENCODING", "d"], ["CONFIG", "SET", "hash-max-ziplist-value", "0"], ["HSET", "e", "", ""], ["OBJECT", "ENCODING", "e"],
                ["HSET", "e", "a", ""], ["OBJECT", "ENCODING", "e"]);
        }
    }

    /// <summary>A listpack answers in insertion order (exactly as Redis); a hashtable in an order of its own (compared as multisets).</summary>
    [Fact]
    public void OrderIsInsertionOrderForListpacksAndAMultisetForHashtables()
    {
        Same(
            ["HSET", "h", "z", "1", "a", "2", "m", "3"], ["HSET", "h", "b", "4"], ["HDEL", "h", "a"], ["HSET", "h", "a", "5", "z", "0"],
            ["HGETALL", "h"], ["HKEYS", "h"], ["HVALS", "h"], ["HRANDFIELD", "h", "10"], ["HRANDFIELD", "h", "4", "WITHVALUES"], ["HSCAN", "h", "0"],
            ManyFields("HSET", "big", 500, 1), ["HGETALL", "big"], ["HKEYS", "big"], ["HRANDFIELD", "big", "500", "WITHVALUES"]);
        Same(Order.Pairs, ManyFields("HSET", "t", 1, 2000), ["HDEL", "t", "f5", "f77", "f1999"], ["HGETALL", "t"], ["HRANDFIELD", "t", "5000", "WITHVALUES"]);
        Same(Order.Elements, ManyFields("HSET", "t", 1, 2000), ["HKEYS", "t"], ["HVALS", "t"], ["HRANDFIELD", "t", "2000"]);
    }

    [Fact]
    public void ScanErrorsAndListpackScans() => Same(
        ["HSET", "h", "a1", "1", "b1", "2", "a2", "3"], ["HSCAN", "h", "0"], ["HSCAN", "h", "17"], ["HSCAN", "h", "0", "MATCH", "a*"],
        ["HSCAN", "h", "0", "MATCH", "*"], ["HSCAN", "h", "0", "COUNT", "1"], ["HSCAN", "h", "0", "COUNT", "1", "MATCH", "*1"],
        ["HSCAN", "h", "0", "match", "A*"], ["HSCAN", "h", "0", "COUNT", "0"], ["HSCAN", "h", "0", "COUNT", "-1"], ["HSCAN", "h", "0", "COUNT", "x"],
        ["HSCAN", "h", "0", "COUNT", "9223372036854775807"], ["HSCAN", "h", "0", "COUNT"], ["HSCAN", "h", "0", "MATCH"], ["HSCAN", "h", "0", "TYPE", "hash"],
        ["HSCAN", "h", "0", "FOO", "bar"], ["HSCAN", "h", "abc"], ["HSCAN", "h", "-1"], ["HSCAN", "h", " 1"], ["HSCAN", "h", "99999999999999999999999"],
        ["HSCAN", "h"], ["HSCAN"], ["HSCAN", "nokey", "0"], ["HSCAN", "nokey", "x"], ["HSCAN", "nokey", "0", "COUNT", "0"], ["HSCAN", "nokey", "0", "FOO"]);

    /// <summary>A full HSCAN of a hashtable returns every field once with its value, whatever the cursors and COUNT.</summary>
    [Theory]
    [InlineData(null, null)]
    [InlineData("f1*", null)]
    [InlineData(null, "3")]
    [InlineData("*7", "100")]
    [InlineData(null, "1000000")]
    public void ScanIterationOfAHashtable(string? match, string? count)
    {
        using var pair = servers.Connect(new SameOptions { Flush = false });
        foreach (var s in pair.Both)
        {
            s.Call("DEL", "t");
            s.Call(ManyFields("HSET", "t", 1, 3000));
        }
        var extra = new List<string>();
        if (match is not null) extra.AddRange(["MATCH", match]);
        if (count is not null) extra.AddRange(["COUNT", count]);
        Assert.Equal(FullScan(pair.Redis, "t", extra), FullScan(pair.Vermilion, "t", extra));
    }

    /// <summary>Every field=value pair a whole HSCAN walk returns, once each, sorted.</summary>
    static List<string> FullScan(RespSocket s, string key, List<string> options)
    {
        var pairs = new HashSet<string>();
        string cursor = "0";
        int calls = 0;
        do
        {
            var reply = RespReply.Parse(s.Call(["HSCAN", key, cursor, .. options]));
            cursor = reply.Items![0].Text!;
            var items = reply.Items[1].Texts();
            for (int i = 0; i < items.Count; i += 2) pairs.Add(items[i] + "=" + items[i + 1]);
            Assert.True(++calls < 100_000);
        } while (cursor != "0");
        return pairs.Order(StringComparer.Ordinal).ToList();
    }

    [Fact]
    public void RandomFieldErrorsAndWholeHashAnswers() => Same(
        ["HSET", "h", "a", "1", "b", "2", "c", "3"], ["HRANDFIELD", "h", "x"], ["HRANDFIELD", "h", "1.5"], ["HRANDFIELD", "h", "9223372036854775808"],
        ["HRANDFIELD", "h", "-9223372036854775808"], ["HRANDFIELD", "h", "-9223372036854775808", "WITHVALUES"],
        ["HRANDFIELD", "h", "4611686018427387904", "WITHVALUES"], ["HRANDFIELD", "h", "-4611686018427387904", "WITHVALUES"],
        ["HRANDFIELD", "h", "4611686018427387903", "WITHVALUES"], ["HRANDFIELD", "h", "9223372036854775807"], ["HRANDFIELD", "h", "3"],
        ["HRANDFIELD", "h", "1", "WITHVALUE"], ["HRANDFIELD", "h", "1", "withvalues", "x"], ["HRANDFIELD", "h", "x", "WITHVALUES"],
        ["HRANDFIELD", "h", "0"], ["HRANDFIELD", "h", "0", "WITHVALUES"], ["HRANDFIELD", "nokey"], ["HRANDFIELD", "nokey", "5"],
        ["HRANDFIELD", "nokey", "-5", "WITHVALUES"], ["HRANDFIELD", "nokey", "x"], ["HRANDFIELD", "nokey", "1", "x"], ["HRANDFIELD"],
        ["HSET", "one", "f", "v"], ["HRANDFIELD", "one"], ["HRANDFIELD", "one", "-3"], ["HRANDFIELD", "one", "-2", "WITHVALUES"], ["HRANDFIELD", "one", "1", "WITHVALUES"]);

    /// <summary>Random answers checked by what must hold: sizes, distinctness, fields that exist, values that belong to them.</summary>
    [Theory]
    [InlineData(10)]
    [InlineData(1000)]
    public void RandomFieldInvariants(int size)
    {
        using var v = servers.Vermilion.Connect();
        v.Call("DEL", "h");
        v.Call(ManyFields("HSET", "h", 1, size));
        Assert.Equal(size > 512 ? "$9\r\nhashtable\r\n" : "$8\r\nlistpack\r\n", v.Call("OBJECT", "ENCODING", "h"));
        for (int i = 0; i < 30; i++) Assert.Matches(@"^\$\d+\r\nf\d+\r\n$", v.Call("HRANDFIELD", "h"));
        foreach (long count in new long[] { 1, 2, size / 2, size * 3 / 4, size - 1, size, size + 5, -1, -5, -(size * 3) })
        {
            foreach (bool withValues in new[] { false, true })
            {
                var reply = RespReply.Parse(v.Call(withValues ? ["HRANDFIELD", "h", count.ToString(), "WITHVALUES"] : ["HRANDFIELD", "h", count.ToString()])).Texts();
                long expected = count < 0 ? -count : Math.Min(count, size);
                Assert.Equal(withValues ? 2 * expected : expected, reply.Count);
                var fields = new List<string>();
                for (int i = 0; i < reply.Count; i += withValues ? 2 : 1)
                {
                    var field = reply[i];
                    Assert.Matches(@"^f\d+$", field);
                    int n = int.Parse(field[1..]);
                    Assert.InRange(n, 1, size);
                    if (withValues) Assert.Equal("v" + n, reply[i + 1]);
                    fields.Add(field);
                }
                if (count > 0) Assert.Equal(fields.Count, fields.Distinct().Count());
            }
        }
        // Negative counts pick with repetition and reach every field eventually.
        var seen = new HashSet<string>(RespReply.Parse(v.Call("HRANDFIELD", "h", (-size * 30).ToString())).Texts());
        Assert.Equal(size, seen.Count);
    }

    /// <summary>A huge negative count stops once the reply passes the output buffer limit: the client is closed, as Redis does.</summary>
    [Fact]
    public void RandomFieldsStopAtTheOutputBufferLimit()
    {
        using var limit = servers.Configure("client-output-buffer-limit", "normal 1mb 0 0");
        foreach (var connect in new Func<RespSocket>[] { servers.Redis.Connect, servers.Vermilion.Connect })
        {
            using var admin = connect();
            using var c = connect();
            c.Call("HSET", "huge", "a", "1", "b", "2");
            c.Send(RespSocket.Encode("HRANDFIELD", "huge", "-1000000000", "WITHVALUES"));
            Assert.True(c.WaitForClose(out var rest, 10_000));
            Assert.Empty(rest);
            Assert.Equal("+PONG\r\n", admin.Call("PING"));
        }
    }

    [Fact]
    public void KeyspaceHitsAndMissesAsRedis()
    {
        using var pair = servers.Connect(new SameOptions { Setup = [["CONFIG", "RESETSTAT"]] });
        string[][] script =
        [
            ["HSET", "h", "a", "1"], ["HGET", "h", "a"], ["HGET", "h", "zz"], ["HGET", "nokey", "a"], ["HMGET", "h", "a", "b"],
            ["HMGET", "nokey", "a"], ["HLEN", "h"], ["HSTRLEN", "nokey", "a"], ["HEXISTS", "h", "a"], ["HKEYS", "h"], ["HVALS", "nokey"],
            ["HGETALL", "h"], ["HRANDFIELD", "h"], ["HRANDFIELD", "nokey", "2"], ["HSCAN", "h", "0"], ["HSCAN", "nokey", "0"],
            ["HINCRBY", "h", "n", "1"], ["HDEL", "nokey", "a"], ["HSETNX", "h", "x", "1"], ["SET", "s", "1"], ["HGET", "s", "a"],
        ];
        foreach (var cmd in script)
        {
            pair.Same(cmd);
        }
        pair.SameKeyspaceHitsAndMisses();
    }

    /// <summary>Thousands of random hash commands over a few keys, both servers; every reply compared (order-free ones as multisets).</summary>
    [Fact]
    public void RandomizedDifferential()
    {
        int seed = Environment.GetEnvironmentVariable("VERMILION_SEED") is { } s ? int.Parse(s) : 20240704;
        var rng = new Random(seed);
        // Small thresholds, so that both encodings and the conversions between them come up often.
        using var small = servers.Configure("hash-max-listpack-entries", "16", "hash-max-listpack-value", "12");
        using var pair = servers.Connect();
        var (r, v) = pair;
        string Key() => "h" + rng.Next(6);
        string Field() => rng.Next(8) == 0 ? "long-field-name-" + rng.Next(5) : "f" + rng.Next(30);
        string Int() => rng.Next(8) switch
        {
            0 => "9223372036854775807",
            1 => "-9223372036854775808",
            2 => "x" + rng.Next(10),
            _ => (rng.Next(2001) - 1000).ToString(),
        };
        string Float() => rng.Next(6) switch
        {
            0 => (rng.NextDouble() * 100 - 50).ToString("R", System.Globalization.CultureInfo.InvariantCulture),
            1 => "1e" + rng.Next(-30, 80),
            2 => rng.Next(4) == 0 ? "abc" : "0.1",
            _ => Int(),
        };
        string Value() => rng.Next(5) switch
        {
            0 => Int(),
            1 => "",
            2 => new string((char)('a' + rng.Next(26)), rng.Next(1, 20)),
            _ => rng.Next(100).ToString(),
        };
        string[] Pairs(string command)
        {
            var args = new List<string> { command, Key() };
            for (int n = rng.Next(1, 5); n > 0; n--) args.AddRange([Field(), Value()]);
            return [.. args];
        }
        var commands = new List<Func<string[]>>
        {
            () => Pairs("HSET"), () => Pairs("HSET"), () => Pairs("HMSET"), () => ["HSETNX", Key(), Field(), Value()], () => ["HGET", Key(), Field()],
            () => ["HMGET", Key(), Field(), Field(), Field()], () => ["HDEL", Key(), Field(), Field()], () => ["HDEL", Key(), Field()],
            () => ["HLEN", Key()], () => ["HSTRLEN", Key(), Field()], () => ["HEXISTS", Key(), Field()], () => ["HKEYS", Key()], () => ["HVALS", Key()],
            () => ["HGETALL", Key()], () => ["HINCRBY", Key(), Field(), Int()], () => ["HINCRBYFLOAT", Key(), Field(), Float()],
            () => ["HRANDFIELD", Key(), (rng.Next(41) - 20).ToString(), .. rng.Next(2) == 0 ? new[] { "WITHVALUES" } : []],
            () => ["HRANDFIELD", Key()], () => ["HSCAN", Key(), "0", "COUNT", rng.Next(1, 20).ToString(), .. rng.Next(2) == 0 ? new[] { "MATCH", "f1*" } : []],
            () => ["OBJECT", "ENCODING", Key()], () => ["DEL", Key()], () => ["SET", Key(), "s"], () => ["COPY", Key(), Key(), "REPLACE"],
            () => ["RENAME", Key(), Key()], () => ["TYPE", Key()], () => ["EXISTS", Key()],
        };
        for (int i = 0; i < 5000; i++)
        {
            var cmd = commands[rng.Next(commands.Count)]();
            string context = $"seed {seed}, command #{i}: ";
            switch (cmd[0])
            {
                case "HRANDFIELD":
                    CheckRandomFields(r, v, cmd, context);
                    break;
                case "HSCAN":
                    // Cursors and the hashtable's order are the server's own: compare what a full iteration returns.
                    if (r.Call("OBJECT", "ENCODING", cmd[1]) == "$9\r\nhashtable\r\n")
                    {
                        v.Call(cmd);
                        var options = cmd.Skip(3).ToList();
                        Assert.True(FullScan(r, cmd[1], options).SequenceEqual(FullScan(v, cmd[1], options)), context + string.Join(' ', cmd));
                    }
                    else pair.Same(cmd, context);
                    break;
                case "HKEYS" or "HVALS" or "HGETALL":
                    bool table = r.Call("OBJECT", "ENCODING", cmd[1]) == "$9\r\nhashtable\r\n";
                    pair.Same(Step.Command(cmd) with { Order = !table ? Order.Exact : cmd[0] == "HGETALL" ? Order.Pairs : Order.Elements }, context);
                    break;
                default:
                    pair.Same(cmd, context);
                    break;
            }
        }
        pair.Same(["DBSIZE"]);
        for (int k = 0; k < 6; k++) pair.Same(Step.Command("HGETALL", "h" + k) with { Order = Order.Pairs }, $"seed {seed}, at the end: ");
    }

    /// <summary>HRANDFIELD: errors and whole-hash answers equal; otherwise the sizes, distinctness and membership that must hold.</summary>
    static void CheckRandomFields(RespSocket r, RespSocket v, string[] cmd, string context)
    {
        string expected = r.Call(cmd), actual = v.Call(cmd);
        string what = $"{context}{string.Join(' ', cmd)}\n redis:     {RespSocket.Show(expected)}\n vermilion: {RespSocket.Show(actual)}";
        if (expected[0] != '*' || actual[0] != '*')
        {
            // An error, a nil, or the single field of a one-field hash must be equal; a single random field must exist.
            if (expected[0] == '$' && actual[0] == '$' && expected != actual)
                Assert.True(v.Call("HEXISTS", cmd[1], actual.Split("\r\n")[1]) == ":1\r\n", what);
            else Assert.True(expected == actual, what);
            return;
        }
        var all = RespReply.Parse(r.Call("HGETALL", cmd[1])).Texts();
        var map = new Dictionary<string, string>();
        for (int i = 0; i + 1 < all.Count; i += 2) map[all[i]] = all[i + 1];
        var got = RespReply.Parse(actual).Texts();
        Assert.True(RespReply.Parse(expected).Items!.Count == got.Count, what);
        bool withValues = cmd.Length == 4;
        long count = long.Parse(cmd[2]);
        var fields = new List<string>();
        for (int i = 0; i < got.Count; i += withValues ? 2 : 1)
        {
            Assert.True(map.TryGetValue(got[i], out var value), what);
            if (withValues) Assert.True(value == got[i + 1], what);
            fields.Add(got[i]);
        }
        if (count > 0) Assert.True(fields.Distinct().Count() == fields.Count, what);
    }

    /// <summary>redis-benchmark's HSET test runs against Vermilion without errors and leaves the hash it writes.</summary>
    [Fact]
    public void RedisBenchmarkHSet()
    {
        using var server = new InProcessServer();
        var run = ExternalProcess.Run("redis-benchmark", ["-p", server.Port.ToString(), "-t", "hset", "-n", "5000", "-c", "10", "-r", "100", "-q", "--csv"], timeoutMs: 120_000);
        Assert.Equal(0, run.ExitCode);
        Assert.Contains("\"HSET\",", run.Stdout);
        Assert.DoesNotContain("ERR", run.Stdout + run.Stderr);
        using var c = server.Connect();
        Assert.Equal("+hash\r\n", c.Call("TYPE", "myhash"));
        Assert.Matches(@"^:\d+\r\n$", c.Call("HLEN", "myhash"));
        Assert.Equal("$8\r\nlistpack\r\n", c.Call("OBJECT", "ENCODING", "myhash"));
    }
}
