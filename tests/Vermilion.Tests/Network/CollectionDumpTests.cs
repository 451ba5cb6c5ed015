using System.Buffers.Binary;
using System.Text;
using Xunit;
using static Vermilion.Tests.DumpFormat;

namespace Vermilion.Tests;

/// <summary>
/// DUMP and RESTORE of sets, hashes, lists and sorted sets against redis-server 7.0.15, in every encoding: each
/// side restores the other's payload to the same contents and the same OBJECT ENCODING (under
/// the same thresholds), DUMP of an intset or listpack is Redis's byte for byte, corrupt
/// payloads are refused, and mutated ones never hurt the server.
/// </summary>
[Trait("Category", "Network")]
public class CollectionDumpTests(DifferentialServers servers) : IClassFixture<DifferentialServers>
{
    static string Ok(RespSocket s, params object[] cmd) => s.Call(Cmd(cmd));

    static List<string> Items(string reply) => RespReply.Parse(reply).Texts();

    /// <summary>
    /// Sets as a sorted list; lists in order; hashes as their pairs, in order for a listpack (HGETALL's order is
    /// the listpack's, the same on both servers) and sorted for a hashtable (dict order is not).
    /// </summary>
    static string Contents(RespSocket s, string key)
    {
        string type = s.Call("TYPE", key);
        string encoding = s.Call("OBJECT", "ENCODING", key);
        if (type == "+set\r\n") return "set " + string.Join(",", Items(s.Call("SMEMBERS", key)).Order(StringComparer.Ordinal));
        if (type == "+list\r\n") return "list " + string.Join(",", Items(s.Call("LRANGE", key, "0", "-1")));
        if (type == "+zset\r\n") return "zset " + string.Join(",", Items(s.Call("ZRANGE", key, "0", "-1", "WITHSCORES")));
        Assert.Equal("+hash\r\n", type);
        var items = Items(s.Call("HGETALL", key));
        var pairs = Enumerable.Range(0, items.Count / 2).Select(i => items[2 * i] + "=" + items[2 * i + 1]);
        if (!encoding.Contains("listpack")) pairs = pairs.Order(StringComparer.Ordinal);
        return "hash " + string.Join(",", pairs);
    }

    static string[] Seq(string command, string key, IEnumerable<string> args) => [command, key, .. args];

    static IEnumerable<(string Name, string[][] Build)> SetScenarios()
    {
        var shuffled = Enumerable.Range(0, 512).OrderBy(i => (i * 7919) % 512).Select(i => i.ToString());
        yield return ("small intset", [["SADD", "k", "3", "1", "2"]]);
        yield return ("16-bit intset", [["SADD", "k", "-5", "7", "32767", "-32768", "0"]]);
        yield return ("32-bit intset", [["SADD", "k", "1", "100000", "-2147483648", "2147483647"]]);
        yield return ("64-bit intset", [["SADD", "k", "1", "9223372036854775807", "-9223372036854775808", "-1"]]);
        yield return ("intset keeps its width", [["SADD", "k", "1", "2", "5000000000"], ["SREM", "k", "5000000000"]]);
        yield return ("intset of 512", [Seq("SADD", "k", shuffled)]);
        yield return ("long intset (LZF)", [Seq("SADD", "k", Enumerable.Range(0, 300).Select(i => (i * 3).ToString()))]);
        yield return ("SINTERSTORE intset", [["SADD", "a", "1", "2", "3", "100000"], ["SADD", "b", "2", "3", "100000", "x"], ["SINTERSTORE", "k", "a", "b"]]);
        yield return ("SUNIONSTORE intset", [["SADD", "a", "1", "-70000"], ["SADD", "b", "2", "3"], ["SUNIONSTORE", "k", "a", "b"]]);
        yield return ("hashtable of 513 integers", [Seq("SADD", "k", Enumerable.Range(0, 513).Select(i => i.ToString()))]);
        yield return ("hashtable of strings", [["SADD", "k", "a", "b", "c", "hello world"]]);
        yield return ("hashtable mixed", [["SADD", "k", "1", "a", "-3", "007", "+5", "1.5", ""]]);
        yield return ("hashtable of integers only", [["SADD", "k", "1", "2", "3", "x"], ["SREM", "k", "x"]]);
        yield return ("hashtable long members (LZF)", [Seq("SADD", "k", Enumerable.Range(0, 30).Select(i => "member:" + i + ":" + new string('m', 100)))]);
    }

    static IEnumerable<(string Name, string[][] Build)> HashScenarios()
    {
        string[] ints = ["0", "1", "127", "128", "-1", "4095", "4096", "-4096", "-4097", "32767", "32768", "-32768", "-32769", "8388607",
            "8388608", "-8388608", "-8388609", "2147483647", "2147483648", "-2147483648", "-2147483649", "9223372036854775807",
            "-9223372036854775808", "9223372036854775808", "-0", "01", "+1", "1.0"];
        yield return ("small listpack", [["HSET", "k", "f", "v"]]);
        yield return ("integer boundaries", [Seq("HSET", "k", ints.SelectMany((v, i) => new[] { v, ints[(i + 1) % ints.Length] }))]);
        yield return ("63 and 64 byte values", [["HSET", "k", "f", new string('x', 63), "g", new string('x', 64), new string('h', 64), ""]]);
        yield return ("updates and deletes keep order", [["HSET", "k", "a", "1", "b", "2", "c", "3"], ["HSET", "k", "b", "1000000"], ["HDEL", "k", "a"],
            ["HSET", "k", "a", "zzz"], ["HINCRBY", "k", "c", "-10000"], ["HINCRBYFLOAT", "k", "d", "1.5"], ["HSETNX", "k", "e", "5"]]);
        yield return ("listpack of 512", [Seq("HSET", "k", Enumerable.Range(0, 512).SelectMany(i => new[] { "field:" + i, (i * 37).ToString() }))]);
        yield return ("hashtable of 513", [Seq("HSET", "k", Enumerable.Range(0, 513).SelectMany(i => new[] { "field:" + i, (i * 37).ToString() }))]);
        yield return ("hashtable by a long value", [["HSET", "k", "a", "1", "b", new string('v', 65)]]);
        yield return ("hashtable with LZF values", [Seq("HSET", "k", Enumerable.Range(0, 20).SelectMany(i => new[] { "f" + i, string.Concat(Enumerable.Repeat("value" + i, 30)) }))]);
        yield return ("binary fields", [["HSET", "k", "\u0000\u0001", "\u00ff", "é", "ü"]]);
    }

    static IEnumerable<(string Name, string[][] Build)> ListScenarios()
    {
        yield return ("small list", [["RPUSH", "k", "a", "1", "b", "-5"]]);
        yield return ("pushed at both ends", [["RPUSH", "k", "x", "y"], ["LPUSH", "k", "4095", "-4097", "hello", "9223372036854775807"], ["RPUSH", "k", "", "007"]]);
        yield return ("integer boundaries", [Seq("RPUSH", "k", new[] { "0", "127", "128", "-1", "4095", "4096", "-4096", "-4097", "32767", "32768", "-32769",
            "8388607", "8388608", "-8388609", "2147483647", "2147483648", "-2147483649", "-9223372036854775808", "-0", "+1" })]);
        yield return ("63, 64, 4095 and 4096 bytes", [["RPUSH", "k", new string('a', 63), new string('b', 64), new string('c', 4095)], ["RPUSH", "k", new string('d', 4096)]]);
        yield return ("many nodes", [Seq("RPUSH", "k", Enumerable.Range(0, 2000).Select(i => "element:" + i))]);
        yield return ("nodes of one large element", [Seq("RPUSH", "k", Enumerable.Range(0, 4).Select(i => new string((char)('p' + i), 9000)))]);
        yield return ("after pops, trims and inserts", [Seq("RPUSH", "k", Enumerable.Range(0, 500).Select(i => (i * 1000).ToString())), ["LPOP", "k", "7"],
            ["RPOP", "k", "3"], ["LTRIM", "k", "10", "400"], ["LINSERT", "k", "BEFORE", "100000", "inserted"], ["LSET", "k", "5", "set"], ["LREM", "k", "0", "200000"]]);
    }

    static IEnumerable<(string Name, string[][] Build)> SortedSetScenarios()
    {
        yield return ("small listpack", [["ZADD", "k", "1", "a", "2", "b", "1.5", "c"]]);
        yield return ("score forms", [["ZADD", "k", "0", "zero", "-0", "negzero", "inf", "top", "-inf", "bottom", "1e300", "huge", "-2.5e-300", "tiny",
            "4611686018427387904", "twoto62", "4611686018427387903", "below62", "-4611686018427387904", "negtwoto62", "9007199254740993", "big",
            "0.1", "tenth", "3.0000000000000004", "close", "123456789012", "int"]]);
        yield return ("integer-looking members", [["ZADD", "k", "1", "1", "2", "-5", "3", "9223372036854775807", "4", "007", "5", "", "6", "4096"]]);
        yield return ("updates, increments and removals", [["ZADD", "k", "1", "a", "2", "b", "3", "c"], ["ZINCRBY", "k", "0.25", "a"], ["ZADD", "k", "GT", "10", "b"],
            ["ZREM", "k", "c"], ["ZADD", "k", "INCR", "-7", "d"]]);
        yield return ("listpack of 128", [Seq("ZADD", "k", Enumerable.Range(0, 128).SelectMany(i => new[] { (i % 13 * 0.5).ToString(System.Globalization.CultureInfo.InvariantCulture), "m" + i }))]);
        yield return ("skiplist of 129", [Seq("ZADD", "k", Enumerable.Range(0, 129).SelectMany(i => new[] { (i % 13 * 0.5).ToString(System.Globalization.CultureInfo.InvariantCulture), "m" + i }))]);
        yield return ("skiplist by a long member", [["ZADD", "k", "1", "a", "2", new string('m', 65)]]);
        yield return ("skiplist with LZF members", [Seq("ZADD", "k", Enumerable.Range(0, 20).SelectMany(i => new[] { i.ToString(), string.Concat(Enumerable.Repeat("member" + i, 30)) }))]);
        yield return ("ZUNIONSTORE result", [["ZADD", "a", "1", "x", "2", "y"], ["ZADD", "b", "3", "y", "4", "z"], ["ZUNIONSTORE", "k", "2", "a", "b", "WEIGHTS", "1", "0.5"]]);
    }

    /// <summary>
    /// Builds the key on both servers, then: same encoding; DUMP byte-identical for a small
    /// encoding; Redis's payload restores here to Redis's contents and encoding (and takes a
    /// write as Redis's does); Vermilion's payload restores on Redis to the same contents.
    /// </summary>
    void CrossCheck(string name, string[][] build, string probeWrite, bool byteIdentical = false)
    {
        using var pair = servers.Connect();
        var (r, v) = pair;
        foreach (var cmd in build) pair.Same(Cmd(cmd));
        string encoding = pair.Same(["OBJECT", "ENCODING", "k"], $"{name}: built as ");
        var fromRedis = Dump(r, "k");
        var fromVermilion = Dump(v, "k");
        if (encoding is "$6\r\nintset\r\n" or "$8\r\nlistpack\r\n" || byteIdentical)
            Assert.True(fromRedis.AsSpan().SequenceEqual(fromVermilion),
                $"{name}: DUMP differs\n redis:     {Convert.ToHexString(fromRedis)}\n vermilion: {Convert.ToHexString(fromVermilion)}");

        Assert.Equal("+OK\r\n", Ok(r, "RESTORE", "copy", "0", fromRedis));
        Assert.Equal("+OK\r\n", Ok(v, "RESTORE", "copy", "0", fromRedis));
        Assert.Equal(Contents(r, "k"), Contents(v, "copy"));
        pair.Same(["OBJECT", "ENCODING", "copy"], $"{name}: ");
        pair.Same(probeWrite.Split(' '), $"{name}: ");
        Assert.Equal(Contents(r, "copy"), Contents(v, "copy"));
        pair.Same(["OBJECT", "ENCODING", "copy"], $"{name}: ");

        Assert.Equal("+OK\r\n", Ok(r, "RESTORE", "back", "0", fromVermilion));
        Assert.Equal(Contents(r, "k"), Contents(r, "back"));
    }

    [Fact]
    public void SetsCrossBothWays()
    {
        foreach (var (name, build) in SetScenarios()) CrossCheck(name, build, "SADD copy 42 -1 x");
    }

    [Fact]
    public void HashesCrossBothWays()
    {
        foreach (var (name, build) in HashScenarios()) CrossCheck(name, build, "HSET copy newfield 42 a 7");
    }

    /// <summary>A skiplist dumps from the highest rank down with binary scores: Redis's bytes too, as ranks have one order.</summary>
    [Fact]
    public void SortedSetsCrossBothWays()
    {
        foreach (var (name, build) in SortedSetScenarios()) CrossCheck(name, build, "ZADD copy 42 new 0.5 a", byteIdentical: true);
    }

    /// <summary>
    /// Lists are quicklists in 7.0, one listpack per node. Vermilion splits nodes by the same
    /// limits, so a list built the same way dumps to the same bytes when it has one node (and
    /// here, for these pushes, when it has several).
    /// </summary>
    [Fact]
    public void ListsCrossBothWays()
    {
        foreach (var (name, build) in ListScenarios()) CrossCheck(name, build, "RPUSH copy x 1", byteIdentical: name != "after pops, trims and inserts");
        using var nodesOf5 = servers.Configure("list-max-listpack-size", "5");
        foreach (var (name, build) in ListScenarios()) CrossCheck(name + " (nodes of 5)", build, "LPUSH copy x 1", byteIdentical: name != "after pops, trims and inserts");
    }

    /// <summary>With the value limit raised, listpacks hold 12-bit and 32-bit strings: still Redis's bytes (LZF included).</summary>
    [Fact]
    public void LongListpackStringsDumpAsRedis()
    {
        using var longValues = servers.Configure("hash-max-listpack-value", "10000");
        var random = new Random(3);
        string Noise(int n) => new(Enumerable.Range(0, n).Select(_ => (char)random.Next('a', 'z' + 1)).ToArray());
        CrossCheck("12-bit and 32-bit strings", [["HSET", "k", "f", new string('y', 4095), "g", new string('y', 4096), "h", Noise(5000), Noise(64), Noise(4095)]], "HSET copy a b");
    }

    /// <summary>
    /// Payloads from Redis restored under other thresholds: each side converts (or not) as
    /// Redis's loader does, e.g. a listpack payload stays a listpack however long its values,
    /// but not with more pairs than hash-max-listpack-entries.
    /// </summary>
    [Fact]
    public void RestoreHonoursTheThresholds()
    {
        using var pair = servers.Connect();
        var (r, v) = pair;
        r.Call(Seq("SADD", "intset10", Enumerable.Range(0, 10).Select(i => i.ToString())));
        r.Call(Seq("SADD", "ints-as-table", Enumerable.Range(0, 10).Select(i => i.ToString())));
        r.Call("SADD", "ints-as-table", "x");
        r.Call("SREM", "ints-as-table", "x");
        r.Call("SADD", "strings", "a", "b", "1");
        r.Call("CONFIG", "SET", "hash-max-listpack-value", "200");
        r.Call(Seq("HSET", "lp10", Enumerable.Range(0, 10).SelectMany(i => new[] { "f" + i, i == 5 ? new string('v', 100) : i.ToString() })));
        r.Call("CONFIG", "SET", "hash-max-listpack-value", "64");
        r.Call(Seq("HSET", "table600", Enumerable.Range(0, 600).SelectMany(i => new[] { "f" + i, "v" })));
        r.Call("HSET", "table-long", "a", "1", "b", new string('w', 80), "c", "3");
        r.Call(Seq("ZADD", "zlp10", Enumerable.Range(0, 10).SelectMany(i => new[] { i.ToString(), "m" + i })));
        r.Call(Seq("ZADD", "zskip10", Enumerable.Range(0, 10).SelectMany(i => new[] { i.ToString(), "m" + i })));
        r.Call("ZADD", "zskip10", "1", new string('w', 80));
        r.Call("ZREM", "zskip10", new string('w', 80));
        r.Call("ZADD", "zskip-long", "1", "a", "2", new string('w', 80));
        var keys = new[] { "intset10", "ints-as-table", "strings", "lp10", "table600", "table-long", "zlp10", "zskip10", "zskip-long" };
        var payloads = keys.Select(k => Dump(r, k)).ToArray();

        var configs = new[]
        {
            ("set-max-intset-entries", "512"), ("set-max-intset-entries", "10"), ("set-max-intset-entries", "9"), ("set-max-intset-entries", "0"),
            ("hash-max-listpack-entries", "10"), ("hash-max-listpack-entries", "9"), ("hash-max-listpack-entries", "1000"),
            ("hash-max-listpack-value", "0"), ("hash-max-listpack-value", "100"), ("hash-max-listpack-value", "1000"),
            ("zset-max-listpack-entries", "10"), ("zset-max-listpack-entries", "9"), ("zset-max-listpack-value", "2"), ("zset-max-listpack-value", "100"),
        };
        // The loop changes the thresholds one after the other: they go back to these defaults after it.
        using var defaults = servers.Configure("set-max-intset-entries", "512", "hash-max-listpack-entries", "512", "hash-max-listpack-value", "64",
            "zset-max-listpack-entries", "128", "zset-max-listpack-value", "64");
        foreach (var (option, value) in configs)
        {
            foreach (var s in pair.Both) Assert.Equal("+OK\r\n", s.Call("CONFIG", "SET", option, value));
            for (int i = 0; i < keys.Length; i++)
            {
                Assert.Equal("+OK\r\n", Ok(r, "RESTORE", "copy", "0", payloads[i], "REPLACE"));
                Assert.Equal("+OK\r\n", Ok(v, "RESTORE", "copy", "0", payloads[i], "REPLACE"));
                pair.Same(["OBJECT", "ENCODING", "copy"], $"{keys[i]} under {option} {value}: ");
                Assert.Equal(Contents(r, "copy"), Contents(v, "copy"));
            }
        }
    }

    static byte[] Str(string s) => [(byte)s.Length, .. Encoding.Latin1.GetBytes(s)];
    static byte[] Entry(string s) => [(byte)(0x80 | s.Length), .. Encoding.ASCII.GetBytes(s), (byte)(1 + s.Length)];

    static byte[] Listpack(int? count, params byte[][] entries)
    {
        var body = entries.SelectMany(e => e).ToArray();
        var lp = new byte[6 + body.Length + 1];
        BinaryPrimitives.WriteUInt32LittleEndian(lp, (uint)lp.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(lp.AsSpan(4), (ushort)(count ?? entries.Length));
        body.CopyTo(lp, 6);
        lp[^1] = 0xFF;
        return lp;
    }

    static byte[] Blob(byte type, byte[] blob) => [type, (byte)blob.Length, .. blob];

    /// <summary>
    /// Corrupt payloads answer "Bad data format". Where redis-server 7.0.15 refuses one too
    /// (sanitize-dump-payload no, its default) both answers are compared; where it stores the
    /// corrupt value (duplicates in a listpack or intset, a listpack whose count or back-lengths
    /// lie), Vermilion still refuses: it checks every blob in full, as Redis does only with
    /// sanitize-dump-payload yes.
    /// </summary>
    [Fact]
    public void CorruptPayloadsAreRefused()
    {
        var refusedByBoth = new (string Name, byte[] Body)[]
        {
            ("set with a duplicate", [2, 2, .. Str("a"), .. Str("a")]),
            ("intset-bound set with a duplicate", [2, 2, .. Str("1"), .. Str("1")]),
            ("hashtable set with a duplicate", [2, 3, .. Str("1"), .. Str("x"), .. Str("x")]),
            ("empty set", [2, 0]),
            ("set shorter than its count", [2, 3, .. Str("a"), .. Str("b")]),
            ("empty intset", Blob(11, Convert.FromHexString("0200000000000000"))),
            ("intset of width 3", Blob(11, Convert.FromHexString("03000000010000000100ff"))),
            ("intset longer than its count", Blob(11, Convert.FromHexString("0200000001000000010002"))),
            ("empty hash", [4, 0]),
            ("hash shorter than its count", [4, 2, .. Str("f"), .. Str("v"), .. Str("g")]),
            ("empty listpack hash", Blob(16, Listpack(null))),
            ("listpack hash blob of the wrong size", Blob(16, Listpack(null, Entry("f"), Entry("v"))[..^1])),
            ("list of no nodes", [18, 0]),
            ("list node of container 3", [18, 1, 3, .. Str("x")]),
            ("list node of container 0", [18, 1, 0, .. Str("x")]),
            ("list node of no bytes", [18, 1, 2, 0]),
            ("list of one empty listpack", [18, 1, 2, .. Str(Encoding.Latin1.GetString(Listpack(null)))]),
            ("list node listpack of the wrong size", [18, 1, 2, .. Str(Encoding.Latin1.GetString(Listpack(null, Entry("a"))[..^1]))]),
            ("list shorter than its node count", [18, 2, 2, .. Str(Encoding.Latin1.GetString(Listpack(null, Entry("a"))))]),
            ("empty plain list", [1, 0]),
            ("empty zset", [5, 0]),
            ("zset shorter than its count", [5, 2, .. Str("a"), 0, 0, 0, 0, 0, 0, 0xF0, 0x3F]),
            ("empty listpack zset", Blob(17, Listpack(null))),
            ("text-score zset with a bad score", [3, 1, .. Str("a"), 3, (byte)'a', (byte)'b', (byte)'c']),
            ("hash of 600 with a duplicate", [4, 0x42, 0x58, .. Enumerable.Range(0, 600).SelectMany(i => Str(i == 599 ? "f0" : "f" + i).Concat(Str("v")))]),
        };
        var refusedHere = new (string Name, byte[] Body)[]
        {
            ("unsorted intset", Blob(11, Convert.FromHexString("020000000200000002000100"))),
            ("intset with a duplicate", Blob(11, Convert.FromHexString("020000000200000001000100"))),
            ("small hash with a duplicate", [4, 2, .. Str("f"), .. Str("v"), .. Str("f"), .. Str("w")]),
            ("listpack hash with a duplicate", Blob(16, Listpack(null, Entry("f"), Entry("v"), Entry("f"), Entry("w")))),
            ("listpack hash with an int and a string of the same field", Blob(16, Listpack(null, [5, 1], Entry("v"), Entry("5"), Entry("w")))),
            ("listpack hash with an odd count", Blob(16, Listpack(null, Entry("f"), Entry("v"), Entry("g")))),
            ("listpack hash whose count lies", Blob(16, Listpack(4, Entry("f"), Entry("v")))),
            ("listpack hash with a bad back-length", Blob(16, Listpack(null, Entry("f"), [0x81, (byte)'v', 5]))),
            ("list node listpack with a bad back-length", [18, 1, 2, .. Str(Encoding.Latin1.GetString(Listpack(null, Entry("f"), [0x81, (byte)'v', 5])))]),
            ("list node listpack whose count lies", [18, 1, 2, .. Str(Encoding.Latin1.GetString(Listpack(3, Entry("f"))))]),
            ("zset with a duplicate", [5, 2, .. Str("a"), 0, 0, 0, 0, 0, 0, 0xF0, 0x3F, .. Str("a"), 0, 0, 0, 0, 0, 0, 0, 0x40]),
            ("zset with a NaN score", [5, 1, .. Str("a"), 0, 0, 0, 0, 0, 0, 0xF8, 0x7F]),
            ("listpack zset out of order", Blob(17, Listpack(null, Entry("b"), [1, 1], Entry("a"), [2, 1], Entry("c"), [0, 1]))),
            ("listpack zset with a duplicate", Blob(17, Listpack(null, Entry("a"), [1, 1], Entry("a"), [2, 1]))),
            ("listpack zset with an odd count", Blob(17, Listpack(null, Entry("a"), [1, 1], Entry("b")))),
            ("listpack zset with a score that is no number", Blob(17, Listpack(null, Entry("a"), Entry("x")))),
            ("listpack hash with an unknown encoding", Blob(16, Listpack(null, Entry("f"), [0xF5, 1]))),
        };
        using var pair = servers.Connect();
        var (r, v) = pair;
        foreach (var (name, body) in refusedByBoth)
        {
            var payload = Payload(body);
            Assert.True(Ok(r, "RESTORE", "x", "0", payload) == "-ERR Bad data format\r\n", $"{name}: redis-server accepts it");
            Assert.True(Ok(v, "RESTORE", "x", "0", payload) == "-ERR Bad data format\r\n", $"{name}: Vermilion accepts it");
        }
        foreach (var (name, body) in refusedHere)
            Assert.True(Ok(v, "RESTORE", "x", "0", Payload(body)) == "-ERR Bad data format\r\n", $"{name}: Vermilion accepts it");
        Assert.Equal(":0\r\n", v.Call("DBSIZE"));

        // The same shapes, well formed, are accepted: the checks above are not refusing everything.
        foreach (var body in new byte[][]
                 {
                     [2, 2, .. Str("a"), .. Str("b")], Blob(11, Convert.FromHexString("020000000200000001000200")),
                     [4, 2, .. Str("f"), .. Str("v"), .. Str("g"), .. Str("w")], Blob(16, Listpack(null, [5, 1], Entry("v"), Entry("6"), Entry("w"))),
                     Blob(16, Listpack(0xFFFF, Entry("f"), Entry("v"))),
                     [18, 3, 1, .. Str("plain"), 2, .. Str(Encoding.Latin1.GetString(Listpack(null))), 2, .. Str(Encoding.Latin1.GetString(Listpack(null, Entry("a"), [7, 1])))],
                     [1, 3, .. Str("a"), .. Str("1"), .. Str("")],
                     [5, 2, .. Str("b"), 0, 0, 0, 0, 0, 0, 0xF0, 0x3F, .. Str("a"), 0, 0, 0, 0, 0, 0, 0, 0x40],
                     [3, 3, .. Str("b"), 3, (byte)'1', (byte)'.', (byte)'5', .. Str("a"), 254, .. Str("c"), 255],
                     Blob(17, Listpack(null, Entry("a"), [1, 1], Entry("b"), Entry("1.5"), [7, 1], [2, 1])),
                 })
        {
            var payload = Payload(body);
            Assert.True(Ok(r, "RESTORE", "x", "0", payload, "REPLACE") == "+OK\r\n", $"redis-server refuses {Convert.ToHexString(body)}");
            Assert.True(Ok(v, "RESTORE", "x", "0", payload, "REPLACE") == "+OK\r\n", $"Vermilion refuses {Convert.ToHexString(body)}");
            Assert.Equal(Contents(r, "x"), Contents(v, "x"));
            pair.Same(["OBJECT", "ENCODING", "x"]);
        }
    }

    /// <summary>
    /// Collection payloads mutated at random, inside their blobs too, mostly with the checksum
    /// fixed up. Vermilion only (Redis 7.0 does not check these by default and may crash on them):
    /// every answer is OK or an error, and a value that was stored reads, dumps and restores again.
    /// </summary>
    [Fact]
    public void MutatedCollectionPayloadsNeverHurtTheServer()
    {
        using var v = servers.Vermilion.Connect();
        v.Call("FLUSHALL");
        v.Call("SADD", "intset", "1", "2", "3", "-40000", "5000000000");
        v.Call("SADD", "set", "a", "b", "c", "1", "long member " + new string('m', 40));
        v.Call("HSET", "lp", "f", "v", "n", "12345", "neg", "-3", "s", new string('x', 70 - 10), "big", "9999999999");
        v.Call("HSET", "lp2", "a", "1", "b", "2");
        v.Call("HSET", "table", "a", "1", "b", new string('z', 100), "c", "-7");
        v.Call("RPUSH", "list", "a", "1", "-300", "long element " + new string('e', 30));
        v.Call(["RPUSH", "list2", .. Enumerable.Range(0, 20).Select(i => "element " + i)]);
        v.Call("ZADD", "zlp", "1", "a", "2.5", "b", "-3", "c", "inf", "d", "100000", "12");
        v.Call("ZADD", "zskip", "1", "a", "2.5", "b", "-3", new string('z', 70), "-inf", "d");
        var seeds = new[] { "intset", "set", "lp", "lp2", "table", "list", "list2", "zlp", "zskip" }.Select(k => Dump(v, k)).ToList();
        v.Call("FLUSHALL");

        var random = new Random(1234);
        int restored = 0, refused = 0;
        for (int i = 0; i < 2500; i++)
        {
            var seed = seeds[random.Next(seeds.Count)];
            var body = seed[..^10].ToList();
            for (int e = random.Next(1, 4); e > 0; e--)
            {
                int at = random.Next(1, body.Count);
                switch (random.Next(6))
                {
                    case 0: body[at] = (byte)random.Next(256); break;
                    case 1: body[at] ^= (byte)(1 << random.Next(8)); break;
                    case 2: body.Insert(at, (byte)random.Next(256)); break;
                    case 3: body.RemoveAt(at); break;
                    case 4: body.RemoveRange(at, body.Count - at); break;
                    default: body[0] = new byte[] { 1, 2, 3, 4, 5, 11, 16, 17, 18 }[random.Next(9)]; break;
                }
                if (body.Count < 2) body.Add(0);
            }
            var payload = Payload([.. body]);
            if (random.Next(10) == 0) payload[^random.Next(1, 9)] ^= 1;
            var reply = Ok(v, "RESTORE", "fuzz", "0", payload, "REPLACE");
            if (reply.StartsWith('-'))
            {
                refused++;
                continue;
            }
            Assert.True(reply == "+OK\r\n", $"mutation {i}: {reply}");
            restored++;
            var contents = Contents(v, "fuzz");
            var again = Dump(v, "fuzz");
            Assert.Equal("+OK\r\n", Ok(v, "RESTORE", "fuzz2", "0", again, "REPLACE"));
            Assert.Equal(contents, Contents(v, "fuzz2"));
        }
        Assert.True(restored > 50 && refused > 50, $"{restored} restored, {refused} refused");
        Assert.Equal("+PONG\r\n", v.Call("PING"));
        v.Call("FLUSHALL");
    }
}
