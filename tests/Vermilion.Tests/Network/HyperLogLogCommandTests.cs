using System.Text;
using Xunit;

namespace Vermilion.Tests;

/// <summary>
/// The HyperLogLog commands against redis-server 7.0.15: every command and error in both
/// protocols, the same strings (GET compares the representation byte for byte) and the same
/// PFCOUNT at 10, 1k and 100k elements and through the sparse→dense promotion, corrupt strings
/// of every kind, DUMP/RESTORE across the two servers. Arguments are Latin-1: "\u00ff" is one byte.
/// </summary>
[Trait("Category", "Network")]
public class HyperLogLogCommandTests(DifferentialServers servers) : IClassFixture<DifferentialServers>
{
    static readonly string[][] Basics =
    [
        ["PFADD", "h", "a", "b", "c"], ["PFCOUNT", "h"], ["GET", "h"], ["OBJECT", "ENCODING", "h"], ["PFADD", "h", "a"], ["PFADD", "h", "a", "d"],
        ["PFCOUNT", "h"], ["GET", "h"], ["PFCOUNT", "h"], ["PFADD", "e"], ["GET", "e"], ["PFCOUNT", "e"], ["GET", "e"], ["PFADD", "e"],
        ["PFADD", "z", ""], ["PFCOUNT", "z"], ["PFCOUNT", "nokey"], ["EXISTS", "nokey"],
        ["PFDEBUG", "DECODE", "h"], ["PFDEBUG", "encoding", "h"], ["PFDEBUG", "GETREG", "e"], ["PFDEBUG", "ENCODING", "e"], ["PFDEBUG", "DECODE", "e"],
        ["PFDEBUG", "TODENSE", "e"], ["PFDEBUG", "todense", "h"], ["PFDEBUG", "TODENSE", "h"], ["GET", "h"], ["PFCOUNT", "h"], ["PFADD", "h", "x", "y"],
        ["PFCOUNT", "h"], ["GET", "h"], ["PFDEBUG", "FOO", "h"], ["PFDEBUG", "GETREG", "nokey"], ["PFDEBUG", "foo", "nokey"],
        ["PFCOUNT", "h", "e", "z", "nokey"], ["PFMERGE", "m", "h", "z"], ["GET", "m"], ["PFCOUNT", "m"], ["PFMERGE", "m2"], ["GET", "m2"],
        ["PFMERGE", "m3", "nokey"], ["GET", "m3"], ["PFMERGE", "z", "e"], ["GET", "z"], ["PFMERGE", "h", "h"], ["PFCOUNT", "h"], ["OBJECT", "ENCODING", "m"],
        ["SET", "s", "text"], ["PFADD", "s", "a"], ["PFCOUNT", "s"], ["PFCOUNT", "s", "h"], ["PFCOUNT", "h", "s"], ["PFMERGE", "s", "h"], ["PFMERGE", "m", "s"],
        ["PFDEBUG", "GETREG", "s"], ["SET", "n", "1234567890123456789"], ["PFADD", "n", "a"], ["PFCOUNT", "n"],
        ["RPUSH", "l", "a"], ["PFADD", "l", "a"], ["PFCOUNT", "l"], ["PFCOUNT", "h", "l"], ["PFMERGE", "l", "h"], ["PFMERGE", "m", "l"], ["PFDEBUG", "ENCODING", "l"],
        ["PFADD"], ["PFCOUNT"], ["PFMERGE"], ["PFDEBUG", "GETREG"], ["PFDEBUG", "GETREG", "h", "x"], ["PFSELFTEST", "x"],
        ["SET", "small", "HYLL"], ["PFCOUNT", "small"], ["SETRANGE", "h", "0", "HY"], ["PFCOUNT", "h"], ["APPEND", "e", ""], ["PFADD", "e", "q"], ["GET", "e"],
    ];

    [Fact]
    public void CommandsAndErrors() => servers.Same(Basics);

    [Fact]
    public void CommandsAndErrorsResp3() => servers.Same(new SameOptions { Resp = 3 }, Basics);

    [Fact]
    public void SelfTestPasses() => servers.Same(["PFSELFTEST"]);

    /// <summary>The same inputs give the same string and the same PFCOUNT, at 10, 1k and 100k elements, added in batches.</summary>
    [Theory]
    [InlineData(10)]
    [InlineData(1000)]
    [InlineData(100_000)]
    public void SameCardinality(int elements)
    {
        var script = new List<string[]>();
        const int batch = 1000;
        for (int i = 0; i < elements; i += batch)
        {
            script.Add(["PFADD", "k", .. Enumerable.Range(i, Math.Min(batch, elements - i)).Select(j => "element:" + j)]);
            script.Add(["PFCOUNT", "k"]);
        }
        script.Add(["GET", "k"]);
        script.Add(["PFDEBUG", "ENCODING", "k"]);
        script.Add(["PFADD", "k2", .. Enumerable.Range(0, 100).Select(j => "other:" + j)]);
        script.Add(["PFCOUNT", "k", "k2"]);
        script.Add(["PFMERGE", "k3", "k2", "k"]);
        script.Add(["GET", "k3"]);
        script.Add(["PFCOUNT", "k3"]);
        servers.Same([.. script]);
    }

    /// <summary>One element at a time across the promotion: the sparse string is Redis's after every step, and the promotion happens at the same one.</summary>
    [Fact]
    public void SparseToDensePromotion()
    {
        var script = new List<string[]>();
        for (int i = 0; i < 3000; i++)
        {
            script.Add(["PFADD", "k", "e" + i]);
            if (i % 10 == 0)
            {
                script.Add(["GET", "k"]);
                script.Add(["PFCOUNT", "k"]);
            }
        }
        script.Add(["PFDEBUG", "ENCODING", "k"]);
        servers.Same([.. script]);
    }

    /// <summary>hll-sparse-max-bytes decides when a sparse HLL turns dense (and 0: at the first growth).</summary>
    [Theory]
    [InlineData("200")]
    [InlineData("0")]
    public void PromotionFollowsSparseMaxBytes(string maxBytes)
    {
        using var _ = servers.Configure("hll-sparse-max-bytes", maxBytes);
        var script = new List<string[]>();
        for (int i = 0; i < 200; i++) script.Add(["PFADD", "k", "e" + i]);
        script.Add(["GET", "k"]);
        script.Add(["PFMERGE", "m", "k"]);
        script.Add(["PFDEBUG", "ENCODING", "m"]);
        script.Add(["PFADD", "s", "a", "b"]);
        script.Add(["PFMERGE", "s2", "s", "nokey"]);
        script.Add(["GET", "s2"]);
        servers.Same([.. script]);
    }

    static string Latin1(byte[] bytes) => Encoding.Latin1.GetString(bytes);

    /// <summary>A sparse string with this body after a header whose cached cardinality is stale.</summary>
    static string Sparse(params byte[] body) => Latin1([.. "HYLL"u8, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x80, .. body]);

    /// <summary>Corrupt strings: runs past the 16384th register, runs short of it, a cut XZERO, bad magic/encoding/length. Every command answers as Redis and changes the string as Redis does.</summary>
    [Fact]
    public void CorruptStrings()
    {
        var bodies = new List<string>
        {
            Sparse(0x7f, 0xff, 0xff), Sparse(0x7f, 0xff, 0x00), Sparse(0x7f, 0xff, 0x7f, 0xff), Sparse([.. Enumerable.Repeat((byte)0xff, 5000)]),
            Sparse(0x7f), Sparse(0x7f, 0xfe), Sparse(0x7e, 0x7f, 0x43, 0xe7), Sparse([.. new byte[200]]), Sparse(0x83, 0x7f, 0xf0), Sparse(),
            Sparse(0x7f, 0xfe, 0x83, 0x83), Sparse(0x00, 0x7f, 0xff), Sparse(0x7f, 0xf0, 0xbf, 0xbf, 0xbf, 0xbf, 0xbf),
            Sparse([.. Enumerable.Repeat((byte)0x3f, 256), 0x83, 0x83]), Sparse([.. Enumerable.Repeat((byte)0x3f, 255), 0x40, 0x00, 0xbf]),
            Sparse(0x40, 0x00, 0x7f, 0xfe), Sparse(0x40, 0x00, 0x40, 0x00, 0x7f, 0xfd),
            "HYLX" + new string('\u0001', 20), "HYLL\u0002" + new string('\u0001', 20), "HYLL\u0000" + new string('\0', 20), "HYLL",
            "HYLL\u0000" + new string('\0', 11) + new string('\u00ff', 12288), "HYLL\u0000" + new string('\0', 11) + new string('\u00ff', 12289),
        };
        var script = new List<string[]>();
        foreach (var body in bodies)
        {
            foreach (var command in new[]
                     {
                         new[] { "PFCOUNT", "c" }, ["PFCOUNT", "c", "nokey"], ["PFADD", "c", "a"], ["PFADD", "c", "b", "c", "d", "e", "f"], ["PFMERGE", "d", "c"],
                         ["PFMERGE", "c", "nokey"], ["PFDEBUG", "TODENSE", "c"], ["PFDEBUG", "DECODE", "c"], ["PFDEBUG", "GETREG", "c"],
                     })
            {
                script.Add(["DEL", "d"]);
                script.Add(["SET", "c", body]);
                script.Add(command);
                script.Add(["GET", "c"]);
                script.Add(["GET", "d"]);
            }
            script.Add(["SET", "c", body]);
            for (int i = 0; i < 40; i++) script.Add(["PFADD", "c", "z" + i]);
            script.Add(["GET", "c"]);
        }
        servers.Same([.. script]);
    }

    /// <summary>A seeded fuzz as Redis's own suite does it: random bytes written over a real HLL, then every command; no crash, Redis's replies.</summary>
    [Fact]
    public void FuzzedStrings()
    {
        var random = new Random(17);
        var script = new List<string[]>();
        for (int round = 0; round < 200; round++)
        {
            script.Add(["DEL", "f"]);
            script.Add(["PFADD", "f", .. Enumerable.Range(0, random.Next(1, 400)).Select(i => "x" + random.Next())]);
            if (random.Next(2) == 0) script.Add(["PFDEBUG", "TODENSE", "f"]);
            int writes = random.Next(1, 6);
            for (int w = 0; w < writes; w++)
            {
                var noise = new byte[random.Next(1, 4)];
                random.NextBytes(noise);
                script.Add(["SETRANGE", "f", (16 + random.Next(0, 40)).ToString(), Latin1(noise)]);
            }
            script.Add(["GET", "f"]);
            script.Add(["PFCOUNT", "f"]);
            script.Add(["PFADD", "f", "y" + round]);
            script.Add(["PFCOUNT", "f", "nokey"]);
            script.Add(["GET", "f"]);
        }
        servers.Same([.. script]);
    }

    static string Bulk(string reply) => RespReply.Parse(reply).Text!;

    /// <summary>A HLL crosses both ways with DUMP/RESTORE and with GET/SET, and counts the same on the other side (sparse and dense).</summary>
    [Fact]
    public void CrossesBetweenServers()
    {
        using var pair = servers.Connect();
        var (r, v) = pair;
        foreach (int n in new[] { 3, 500, 20_000 })
        {
            var add = new[] { "PFADD", "src" }.Concat(Enumerable.Range(0, n).Select(i => "m" + i)).ToArray();
            foreach (var s in pair.Both)
            {
                s.Call("DEL", "src");
                s.Call(add);
            }
            pair.Same(["DUMP", "src"], $"{n}: ");
            string fromRedis = Bulk(r.Call("DUMP", "src")), fromVermilion = Bulk(v.Call("DUMP", "src"));
            Assert.Equal("+OK\r\n", v.Call("RESTORE", "copy", "0", fromRedis, "REPLACE"));
            Assert.Equal("+OK\r\n", r.Call("RESTORE", "copy", "0", fromVermilion, "REPLACE"));
            pair.Same(["PFCOUNT", "copy"], $"{n}: ");
            pair.Same(["GET", "copy"], $"{n}: ");
            string redisValue = Bulk(r.Call("GET", "src")), vermilionValue = Bulk(v.Call("GET", "src"));
            v.Call("SET", "viaget", redisValue);
            r.Call("SET", "viaget", vermilionValue);
            pair.Same(["PFADD", "viaget", "extra"], $"{n}: ");
            pair.Same(["PFCOUNT", "viaget"], $"{n}: ");
            pair.Same(["OBJECT", "ENCODING", "viaget"], $"{n}: ");
        }
    }

    /// <summary>pfadd events for PFADD (only when a register changed) and PFMERGE; PFCOUNT's cache write-back notifies nothing.</summary>
    [Fact]
    public void Notifications() => servers.Same(
        new SameOptions { Resp = 3, UntilPing = true, Setup = [["CONFIG", "SET", "notify-keyspace-events", "KEA"]] },
        ["PSUBSCRIBE", "__key*__:*"], ["PFADD", "h", "a"], ["PFADD", "h", "a"], ["PFCOUNT", "h"], ["PFMERGE", "m", "h"], ["PFDEBUG", "TODENSE", "m"],
        ["PFCOUNT", "nokey", "h"], ["PUNSUBSCRIBE"], ["CONFIG", "SET", "notify-keyspace-events", ""]);

    /// <summary>Reads count hits and misses as Redis's lookups do (PFADD, PFMERGE's destination and PFDEBUG look up for writing).</summary>
    [Fact]
    public void KeyspaceHitsAndMisses() => servers.SameKeyspaceHitsAndMisses(
        ["PFADD", "h", "a"], ["PFCOUNT", "h"], ["PFCOUNT", "nokey"], ["PFCOUNT", "h", "nokey", "h"], ["PFMERGE", "m", "h", "nokey"], ["PFDEBUG", "ENCODING", "h"]);
}
