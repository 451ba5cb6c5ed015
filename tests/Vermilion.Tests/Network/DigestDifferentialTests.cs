using System.Globalization;
using Xunit;
using static Vermilion.Tests.AllocationProbe;

namespace Vermilion.Tests;

/// <summary>
/// DEBUG DIGEST and DIGEST-VALUE equal redis-server 7.0.15's, bit for bit (debug.c's
/// computeDatasetDigest and xorObjectDigest): every type in every encoding Redis 7.0 has, the
/// number forms a value can take, deadlines, several databases, and a seeded random dataset.
/// The persistence round trips and Redis's own Tcl suite compare digests across servers.
/// </summary>
[Trait("Category", "Network")]
public class DigestDifferentialTests(DigestDifferentialTests.Servers servers) : IClassFixture<DigestDifferentialTests.Servers>
{
    public sealed class Servers() : DifferentialServers(
        redisArgs: ["--enable-debug-command", "yes"],
        vermilionArgs: ["--enable-debug-command", "yes"]);

    static readonly string s_zeros = "+" + new string('0', 40) + "\r\n";

    /// <summary>The vectors observed on redis-server 7.0.15 (shared/notes/persistence.md §4): Vermilion gives the same, and so does the oracle still.</summary>
    [Theory]
    [InlineData("68467c70ae30376e7ce005bcc8827f5ba7fd67dc", "SET", "k", "bar")]
    [InlineData("09eb1fc9381ee92790d59930ab462945f8cd948b", "RPUSH", "k", "a", "b", "3")]
    [InlineData("2a462a3f51a1db89738ebbeef0c47ce1bbc85246", "SADD", "k", "1", "2", "3")]
    [InlineData("4f27ca621cb2752866d01527a40541bd50df9e80", "HSET", "k", "f", "v", "n", "7")]
    [InlineData("445b877af3c3ec83af30529ddbbdda3185172254", "ZADD", "k", "1.5", "a", "2", "b")]
    [InlineData("f15b13463fca8c8123ac3525a9b7d49003aed6e3", "ZADD", "k", "0.1", "x")]
    [InlineData("311b17018163335616e089f6b951c82c477335ac", "SET", "k", "v", "PX", "100000000")]
    public void ValueVectors(string digest, params string[] command)
    {
        using var pair = servers.Connect();
        foreach (var s in pair.Both)
        {
            s.Call(command);
            Assert.Equal($"*1\r\n+{digest}\r\n", s.Call("DEBUG", "DIGEST-VALUE", "k"));
        }
    }

    [Fact]
    public void DatasetVectorAndZeros()
    {
        using var pair = servers.Connect();
        foreach (var s in pair.Both)
        {
            Assert.Equal(s_zeros, s.Call("DEBUG", "DIGEST"));
            Assert.Equal("*2\r\n" + s_zeros + s_zeros, s.Call("DEBUG", "DIGEST-VALUE", "missing", "k"));
            s.Call("SET", "foo", "bar");
            Assert.Equal("+d2ab4820c1be0580ea28efbfe8bfa1dc05bb802a\r\n", s.Call("DEBUG", "DIGEST"));
            // Deleting the last key of a database takes it out of the mix again.
            s.Call("SELECT", "5");
            s.Call("SET", "x", "y");
            s.Call("DEL", "x");
            Assert.Equal("+d2ab4820c1be0580ea28efbfe8bfa1dc05bb802a\r\n", s.Call("DEBUG", "DIGEST"));
        }
    }

    /// <summary>Strings: int, embstr and raw, grown in place, binary, the numbers INCR and INCRBYFLOAT leave.</summary>
    [Fact]
    public void Strings() => SameDigests(
        [
            ["SET", "int", "12345"], ["SET", "neg", "-9223372036854775808"], ["SET", "max", "9223372036854775807"],
            ["SET", "notint", "012"], ["SET", "plus", "+1"], ["SET", "empty", ""], ["SET", "embstr", "hello"],
            ["SET", "raw", new string('r', 45)], ["SET", "big", new string('b', 70_000)],
            ["SET", "binary", "\0\u00ff\r\n\u0080 \u0001"],
            ["SET", "appended", "12"], ["APPEND", "appended", "3"],
            ["SETRANGE", "ranged", "3", "abc"], ["SETBIT", "bits", "100", "1"],
            ["INCR", "counter"], ["INCRBY", "counter", "41"], ["DECRBY", "down", "7"],
            ["INCRBYFLOAT", "float", "1.5"], ["INCRBYFLOAT", "float", "1e20"], ["INCRBYFLOAT", "third", "0.1"], ["INCRBYFLOAT", "third", "0.2"],
            ["SET", "shared", "100"], // a shared integer in Redis
        ],
        "int", "neg", "max", "notint", "plus", "empty", "embstr", "raw", "big", "binary", "appended", "ranged", "bits",
        "counter", "down", "float", "third", "shared");

    /// <summary>Lists head to tail: one listpack node, several nodes, plain nodes, integers, edits in the middle.</summary>
    [Fact]
    public void Lists()
    {
        var many = new List<string> { "RPUSH", "many" };
        for (int i = 0; i < 1000; i++) many.Add(i % 3 == 0 ? i.ToString() : "e" + i);
        SameDigests(
            [
                ["RPUSH", "one", "a", "1", "-5", "9223372036854775807", "00"],
                ["LPUSH", "reversed", "a", "1", "-5"],
                [.. many],
                ["CONFIG", "SET", "list-max-listpack-size", "4"],
                ["RPUSH", "nodes", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11"],
                ["LINSERT", "nodes", "BEFORE", "6", "x"], ["LSET", "nodes", "2", "y"], ["LREM", "nodes", "1", "9"], ["LPOP", "nodes"],
                ["CONFIG", "SET", "list-max-listpack-size", "-2"],
                ["DEBUG", "QUICKLIST-PACKED-THRESHOLD", "100"],
                ["RPUSH", "plain", "small", new string('p', 200), "12", new string('q', 150)],
                ["DEBUG", "QUICKLIST-PACKED-THRESHOLD", "0"],
                ["RPUSH", "binary", "\0", "\u00ff\u00fe", ""],
                ["LRANGE", "nodes", "0", "-1"],
            ],
            "one", "reversed", "many", "nodes", "plain", "binary");
    }

    /// <summary>Sets in 7.0's two encodings (intset, hashtable; no listpack sets before 7.2), the same members in either.</summary>
    [Fact]
    public void Sets()
    {
        var bigInts = new List<string> { "SADD", "bigints" };
        for (int i = -300; i < 300; i++) bigInts.Add((i * 7919L * 1_000_003).ToString());
        SameDigests(
            [
                ["SADD", "ints", "1", "2", "3", "-70000", "9223372036854775807", "-9223372036854775808"],
                [.. bigInts],
                ["SADD", "table", "a", "b", "1"],
                ["SADD", "converted", "1", "2", "3"], ["SADD", "converted", "x"], ["SREM", "converted", "x"],
                ["SADD", "binary", "\0", "\u00ff", "", "10"],
                ["SINTERSTORE", "stored", "ints", "converted"],
                ["OBJECT", "ENCODING", "ints"], ["OBJECT", "ENCODING", "bigints"], ["OBJECT", "ENCODING", "converted"],
            ],
            "ints", "bigints", "table", "converted", "binary", "stored");
    }

    /// <summary>Hashes, listpack and hashtable (by count and by a long value), integer-like fields and values.</summary>
    [Fact]
    public void Hashes()
    {
        var many = new List<string> { "HSET", "many" };
        for (int i = 0; i < 300; i++) many.AddRange(["f" + i, i % 2 == 0 ? i.ToString() : "v" + i]);
        SameDigests(
            [
                ["HSET", "small", "f", "v", "n", "7", "1", "-1", "", "empty"],
                [.. many],
                ["HSET", "long", "f", new string('l', 100)],
                ["HSET", "binary", "\0", "\u00ff", "\u00fe", "\0\0"],
                ["HINCRBY", "counted", "c", "5"], ["HINCRBYFLOAT", "counted", "f", "0.1"], ["HINCRBYFLOAT", "counted", "f", "0.2"],
                ["HDEL", "many", "f3", "f4"],
                ["OBJECT", "ENCODING", "small"], ["OBJECT", "ENCODING", "many"], ["OBJECT", "ENCODING", "long"],
            ],
            "small", "many", "long", "binary", "counted");
    }

    /// <summary>
    /// Sorted sets: each score as "%.17g" prints it (inf, -inf, -0, integers, the extremes), in a
    /// listpack (which keeps -0 as 0) and a skiplist (which keeps -0.0), and converted from one to the other.
    /// </summary>
    [Theory]
    [InlineData(128)] // listpack
    [InlineData(0)]   // skiplist
    public void SortedSets(int maxListpackEntries)
    {
        string[] scores = ["inf", "-inf", "0", "-0", "-0.0", "1", "-1", "3", "1.5", "0.1", "0.30000000000000004", "1e15", "1e16", "1e17",
            "9007199254740993", "4611686018427387904", "1e300", "-1e-300", "5e-324", "1.7976931348623157e308", "123456789.123456789", "1e-5", "0.0001"];
        var all = new List<string> { "ZADD", "all" };
        for (int i = 0; i < scores.Length; i++) all.AddRange([scores[i], "m" + i]);
        var script = new List<string[]> { new[] { "CONFIG", "SET", "zset-max-listpack-entries", maxListpackEntries.ToString() }, all.ToArray() };
        var keys = new List<string> { "all" };
        for (int i = 0; i < scores.Length; i++)
        {
            script.Add(["ZADD", "z" + i, scores[i], "m"]);
            script.Add(["ZADD", "i" + i, scores[i], "12"]); // an integer member
            keys.AddRange(["z" + i, "i" + i]);
        }
        // -0 kept by a listpack as 0, then converted to a skiplist by a long member.
        script.AddRange([["ZADD", "converted", "-0", "a", "2", "b"], ["ZADD", "converted", "1", new string('c', 100)], ["ZINCRBY", "converted", "0.1", "b"]]);
        script.AddRange([["ZADD", "binary", "1", "\0", "2", "\u00ff", "3", ""], ["ZUNIONSTORE", "union", "2", "all", "binary", "WEIGHTS", "2", "3"]]);
        script.AddRange([["OBJECT", "ENCODING", "all"], ["OBJECT", "ENCODING", "converted"], ["ZRANGE", "all", "0", "-1", "WITHSCORES"]]);
        keys.AddRange(["converted", "binary", "union"]);
        try
        {
            SameDigests([.. script], [.. keys]);
        }
        finally
        {
            using var pair = servers.Connect(new SameOptions { Flush = false });
            foreach (var s in pair.Both) s.Call("CONFIG", "SET", "zset-max-listpack-entries", "128");
        }
    }

    /// <summary>A deadline adds its mark whatever its time; PERSIST takes it away. Databases mix their numbers in.</summary>
    [Fact]
    public void DeadlinesAndDatabases() => SameDigests(
        [
            ["SET", "s", "v", "EX", "1000"], ["SET", "t", "v", "PXAT", "99999999999999"],
            ["RPUSH", "l", "a"], ["EXPIRE", "l", "500"],
            ["HSET", "h", "f", "v"], ["PEXPIRE", "h", "900000"], ["SADD", "st", "1"], ["EXPIRE", "st", "100"], ["PERSIST", "st"],
            ["ZADD", "z", "1", "a"], ["EXPIREAT", "z", "4000000000"],
            ["SELECT", "3"], ["SET", "s", "v"], ["SADD", "only3", "a", "b"],
            ["SELECT", "15"], ["SET", "s", "v", "EX", "1000"], ["HSET", "h", "f", "v"],
            ["SELECT", "7"], ["SET", "moved", "m"], ["MOVE", "moved", "0"],
            ["SWAPDB", "3", "4"],
            ["SELECT", "0"], ["COPY", "z", "zc", "DB", "9"],
        ],
        "s", "t", "l", "h", "st", "z", "moved", "missing");

    /// <summary>A seeded mix of every type over five databases, then DEBUG DIGEST and each key's DIGEST-VALUE.</summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void RandomDatasets(int seed)
    {
        var rng = new Random(seed);
        var script = new List<string[]>();
        var keys = new HashSet<string>();
        string Member() => rng.Next(4) switch
        {
            0 => rng.Next(-1000, 1000).ToString(),
            1 => "m" + rng.Next(200),
            2 => new string((char)('a' + rng.Next(26)), rng.Next(1, 90)),
            _ => ((char)rng.Next(256)).ToString() + rng.Next(50),
        };
        string Score() => rng.Next(5) switch
        {
            0 => rng.Next(-50, 50).ToString(),
            1 => (rng.NextDouble() * 1000 - 500).ToString("R", CultureInfo.InvariantCulture),
            2 => (rng.Next(100) / 10.0).ToString(CultureInfo.InvariantCulture),
            3 => rng.Next(2) == 0 ? "inf" : "-inf",
            _ => "1e" + rng.Next(-30, 30),
        };
        for (int i = 0; i < 1500; i++)
        {
            int db = rng.Next(5);
            string key = "k" + rng.Next(60);
            if (db == 0) keys.Add(key);
            script.Add(["SELECT", db.ToString()]);
            switch (rng.Next(9))
            {
                case 0: script.Add(["SET", key + ":s", Member()]); if (db == 0) keys.Add(key + ":s"); break;
                case 1: script.Add(["RPUSH", key + ":l", Member(), Member()]); if (db == 0) keys.Add(key + ":l"); break;
                case 2: script.Add(["LPUSH", key + ":l", Member()]); if (db == 0) keys.Add(key + ":l"); break;
                case 3: script.Add(["SADD", key + ":t", Member(), Member()]); if (db == 0) keys.Add(key + ":t"); break;
                case 4: script.Add(["HSET", key + ":h", Member(), Member()]); if (db == 0) keys.Add(key + ":h"); break;
                case 5: script.Add(["ZADD", key + ":z", Score(), Member()]); if (db == 0) keys.Add(key + ":z"); break;
                case 6: script.Add(["EXPIRE", key + (":" + "slthz"[rng.Next(5)]), rng.Next(1000, 100_000).ToString()]); break;
                case 7: script.Add(["PERSIST", key + (":" + "slthz"[rng.Next(5)])]); break;
                default: script.Add(["DEL", key + (":" + "slthz"[rng.Next(5)])]); break;
            }
        }
        script.Add(["SELECT", "0"]);
        SameDigests([.. script], [.. keys.Order()]);
    }

    /// <summary>
    /// DEBUG DIGEST over a dataset hashes into stack buffers and hands each compact view back:
    /// 2000 keys of every type cost no more than the few objects of the command itself.
    /// </summary>
    [Fact]
    public void DatasetDigestAllocatesNothingPerKey()
    {
        using var probe = new AllocationProbe("--enable-debug-command", "yes");
        var fill = new System.Text.StringBuilder();
        for (int i = 0; i < 400; i++)
        {
            fill.Append(Command("SET", "s" + i, "value" + i)).Append(Command("RPUSH", "l" + i, "a", "1"))
                .Append(Command("SADD", "t" + i, "1", "2")).Append(Command("HSET", "h" + i, "f", "v"))
                .Append(Command("ZADD", "z" + i, "1.5", "m"));
        }
        probe.Run(System.Text.Encoding.ASCII.GetBytes(fill.ToString()), 2000);
        long allocated = probe.BestRoundAllocation(Command("DEBUG", "DIGEST"), 1, out var replies);
        Assert.Matches(@"^\+[0-9a-f]{40}\r\n$", replies);
        // 20 rounds of one command: the digest array, its hex text, an iterator; well under 2000 keys' worth.
        Assert.True(allocated < 20 * 1_000, $"{allocated} bytes for 20 DEBUG DIGEST over 2000 keys");
    }

    /// <summary>The script on both servers (replies compared), then DEBUG DIGEST and each key's DIGEST-VALUE.</summary>
    void SameDigests(string[][] script, params string[] keys)
    {
        using var pair = servers.Connect();
        foreach (var cmd in script) pair.Same(cmd);
        pair.Same(["DEBUG", "DIGEST"]);
        pair.Same(["DEBUG", "DIGEST-VALUE", .. keys]);
        foreach (var key in keys) pair.Same(["DEBUG", "DIGEST-VALUE", key]);
        Assert.NotEqual(s_zeros, pair.Redis.Call("DEBUG", "DIGEST"));
    }
}
