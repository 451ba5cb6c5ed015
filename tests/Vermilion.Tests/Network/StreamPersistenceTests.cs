using Xunit;

namespace Vermilion.Tests;

/// <summary>
/// Streams across Redis's serialized forms against redis-server 7.0.15: DUMP payloads restore in
/// the other server and dump back byte for byte (groups, PELs, consumers, times included), RDB
/// files carry streams both ways, DEBUG DIGEST agrees, DEBUG RELOAD keeps everything, and
/// malformed payloads get "Bad data format" without creating or changing a key.
/// </summary>
[Trait("Category", "Network")]
public class StreamPersistenceTests(PersistenceServers servers) : IClassFixture<PersistenceServers>
{
    /// <summary>A stream over several nodes (some entries deleted, field sets that differ from the master's), groups with PELs, a consumer without one, and an empty stream with a group.</summary>
    static readonly string[][] s_build = BuildScript();

    static string[][] BuildScript()
    {
        var script = new List<string[]> { new[] { "CONFIG", "SET", "stream-node-max-entries", "10" } };
        for (int i = 1; i <= 95; i++)
            script.Add(i % 7 == 0 ? ["XADD", "s", $"{i}-{i % 4}", "x", i.ToString(), "y", new string('q', i)] : ["XADD", "s", $"{i}-{i % 4}", "a", i.ToString(), "b", "text" + i]);
        script.AddRange([
            ["XDEL", "s", "3-3", "10-2", "11-3", "12-0", "13-1", "14-2", "15-3", "16-0", "17-1", "18-2", "19-3"], ["XTRIM", "s", "MINID", "2"],
            ["XGROUP", "CREATE", "s", "g1", "0"], ["XGROUP", "CREATE", "s", "g2", "$"], ["XGROUP", "CREATE", "s", "g0", "50", "ENTRIESREAD", "40"],
            ["XREADGROUP", "GROUP", "g1", "alice", "COUNT", "7", "STREAMS", "s", ">"], ["XREADGROUP", "GROUP", "g1", "bob", "COUNT", "3", "STREAMS", "s", ">"],
            ["XGROUP", "CREATECONSUMER", "s", "g1", "carol"], ["XGROUP", "CREATECONSUMER", "s", "g0", "dave"],
            ["XADD", "e", "1-1", "a", "1"], ["XDEL", "e", "1-1"], ["XGROUP", "CREATE", "e2", "g", "$", "MKSTREAM"],
            ["CONFIG", "SET", "stream-node-max-entries", "100"]]);
        return [.. script];
    }

    static void Build(RespSocket s)
    {
        s.Call("FLUSHALL");
        foreach (var cmd in s_build) s.Call(cmd);
    }

    [Fact]
    public void DumpsCrossBothWaysAndDumpBackTheSame()
    {
        using var pair = servers.Connect();
        var (redis, vermilion) = pair;
        Build(redis);
        Build(vermilion);
        foreach (var key in new[] { "s", "e", "e2" })
        {
            var fromRedis = DumpFormat.Dump(redis, key);
            var fromVermilion = DumpFormat.Dump(vermilion, key);
            Assert.Equal("+OK\r\n", vermilion.Call(DumpFormat.Cmd("RESTORE", key + "r", "0", fromRedis)));
            Assert.Equal("+OK\r\n", redis.Call(DumpFormat.Cmd("RESTORE", key + "v", "0", fromVermilion)));
            // What each restored dumps again is what the other server wrote, times and all.
            Assert.Equal(fromRedis, DumpFormat.Dump(vermilion, key + "r"));
            Assert.Equal(fromVermilion, DumpFormat.Dump(redis, key + "v"));
            DifferentialServers.AssertSame($"XINFO STREAM {key} FULL after RESTORE",
                redis.Call("XINFO", "STREAM", key + "v", "FULL"), vermilion.Call("XINFO", "STREAM", key, "FULL"));
        }
        // Without groups nothing depends on the clock: the payloads are the same bytes.
        foreach (var s in pair.Both)
        {
            s.Call("XADD", "plain", "1-1", "a", "1", "b", "2");
            s.Call("XADD", "plain", "2-1", "a", "3", "b", "4");
            s.Call("XADD", "plain", "3-1", "c", "5");
            s.Call("XADD", "plain", "9999999999999-1", "a", "123456789012", "b", new string('z', 300));
            s.Call("XDEL", "plain", "2-1");
        }
        Assert.Equal(DumpFormat.Dump(redis, "plain"), DumpFormat.Dump(vermilion, "plain"));
    }

    [Fact]
    public void DigestsAgree()
    {
        using var pair = servers.Connect();
        foreach (var s in pair.Both)
        {
            Build(s);
            s.Call("XADD", "n", "1-1", "1", "2", "f", "-5");
        }
        foreach (var key in new[] { "s", "e", "e2", "n" })
            DifferentialServers.AssertSame("DEBUG DIGEST-VALUE " + key, pair.Redis.Call("DEBUG", "DIGEST-VALUE", key), pair.Vermilion.Call("DEBUG", "DIGEST-VALUE", key));
        DifferentialServers.AssertSame("DEBUG DIGEST", pair.Redis.Call("DEBUG", "DIGEST"), pair.Vermilion.Call("DEBUG", "DIGEST"));
    }

    [Fact]
    public void RdbFilesCarryStreamsBothWays()
    {
        using var pair = servers.Connect();
        var (redis, vermilion) = pair;
        Build(redis);
        Assert.Equal("+OK\r\n", redis.Call("SAVE"));
        File.Copy(Path.Combine(servers.Redis.Dir, "dump.rdb"), servers.RdbPath, overwrite: true);
        Assert.Equal("+OK\r\n", vermilion.Call("DEBUG", "RELOAD", "NOSAVE"));
        DifferentialServers.AssertSame("DEBUG DIGEST after loading redis-server's RDB", redis.Call("DEBUG", "DIGEST"), vermilion.Call("DEBUG", "DIGEST"));
        foreach (var key in new[] { "s", "e", "e2" })
            DifferentialServers.AssertSame("XINFO STREAM FULL " + key, redis.Call("XINFO", "STREAM", key, "FULL"), vermilion.Call("XINFO", "STREAM", key, "FULL"));

        // Vermilion's file (after DEBUG RELOAD, which saves and loads it again) loads in redis-server.
        vermilion.Call("XADD", "s", "1000-1", "late", "entry");
        Assert.Equal("+OK\r\n", vermilion.Call("DEBUG", "RELOAD"));
        Assert.Equal("+OK\r\n", vermilion.Call("SAVE"));
        File.Copy(servers.RdbPath, Path.Combine(servers.Redis.Dir, "dump.rdb"), overwrite: true);
        Assert.Equal("+OK\r\n", redis.Call("DEBUG", "RELOAD", "NOSAVE"));
        DifferentialServers.AssertSame("DEBUG DIGEST after loading Vermilion's RDB", redis.Call("DEBUG", "DIGEST"), vermilion.Call("DEBUG", "DIGEST"));
        foreach (var key in new[] { "s", "e", "e2" })
            DifferentialServers.AssertSame("XINFO STREAM FULL " + key, redis.Call("XINFO", "STREAM", key, "FULL"), vermilion.Call("XINFO", "STREAM", key, "FULL"));
    }

    /// <summary>
    /// BGSAVE writes a stream of many nodes node by node across the snapshot's slices; writes that
    /// come after the cut (an XADD, an XDEL, a group read on the stream being written) leave the
    /// file with the stream as it was at the cut.
    /// </summary>
    [Fact]
    public void BackgroundSaveKeepsTheStreamAtTheCut()
    {
        using var pair = servers.Connect();
        var v = pair.Vermilion;
        v.Call("CONFIG", "SET", "stream-node-max-entries", "5");
        var load = new System.Text.StringBuilder();
        for (int i = 1; i <= 20000; i++) load.Append(System.Text.Encoding.Latin1.GetString(RespSocket.Encode("XADD", "big", $"{i}-1", "f", i.ToString(), "g", "x")));
        v.Send(load.ToString());
        for (int i = 0; i < 20000; i++) v.ReadReply();
        v.Call("XGROUP", "CREATE", "big", "g", "0");
        v.Call("XREADGROUP", "GROUP", "g", "c", "COUNT", "50", "STREAMS", "big", ">");
        v.Call("CONFIG", "SET", "stream-node-max-entries", "100");
        var atCut = v.Call("DEBUG", "DIGEST-VALUE", "big");
        var infoAtCut = v.Call("XINFO", "STREAM", "big", "FULL", "COUNT", "0");
        Assert.StartsWith("+Background saving started", v.Call("BGSAVE"));
        v.Call("XADD", "big", "30000-1", "late", "1");
        v.Call("XDEL", "big", "5-1", "19999-1");
        v.Call("XREADGROUP", "GROUP", "g", "c", "COUNT", "10", "STREAMS", "big", ">");
        Assert.True(InProcessServer.WaitFor(() => v.Call("INFO", "persistence").Contains("rdb_bgsave_in_progress:0"), 20_000));
        Assert.Contains("rdb_last_bgsave_status:ok", v.Call("INFO", "persistence"));
        Assert.Equal("+OK\r\n", v.Call("DEBUG", "RELOAD", "NOSAVE"));
        Assert.Equal(atCut, v.Call("DEBUG", "DIGEST-VALUE", "big"));
        Assert.Equal(infoAtCut, v.Call("XINFO", "STREAM", "big", "FULL", "COUNT", "0"));
    }

    /// <summary>Every byte of a payload changed in turn (its checksum made right again): Vermilion refuses or restores a stream that still reads whole, and never breaks.</summary>
    [Fact]
    public void CorruptPayloadsAreRefusedWithoutHarm()
    {
        using var pair = servers.Connect();
        var vermilion = pair.Vermilion;
        Build(vermilion);
        var payload = DumpFormat.Dump(vermilion, "s");
        var body = payload[..^10];
        var rng = new Random(1234);
        for (int i = 0; i < body.Length; i++)
        {
            var bad = (byte[])body.Clone();
            bad[i] ^= (byte)(1 << rng.Next(8));
            var reply = vermilion.Call(DumpFormat.Cmd("RESTORE", "bad", "0", DumpFormat.Payload(bad), "REPLACE"));
            if (reply.StartsWith('-'))
            {
                Assert.Equal("-ERR Bad data format\r\n", reply);
                continue;
            }
            // Accepted: a change Redis's format cannot notice (a value's byte, a time); the stream answers everything.
            Assert.Equal("+OK\r\n", reply);
            foreach (var cmd in new[] { new[] { "XRANGE", "bad", "-", "+" }, ["XREVRANGE", "bad", "+", "-"], ["XINFO", "STREAM", "bad", "FULL"], ["XLEN", "bad"],
                         ["XPENDING", "bad", "g1"], ["XADD", "bad", "*", "a", "1"], ["XTRIM", "bad", "MAXLEN", "5"], ["DEBUG", "DIGEST-VALUE", "bad"], ["DUMP", "bad"] })
                Assert.DoesNotContain("-ERR Bad", vermilion.Call(cmd));
        }
        // Cut short anywhere: refused.
        for (int cut = 1; cut < body.Length; cut += 7)
            Assert.Equal("-ERR Bad data format\r\n", vermilion.Call(DumpFormat.Cmd("RESTORE", "short", "0", DumpFormat.Payload(body[..cut]))));
        Assert.Equal(":0\r\n", vermilion.Call("EXISTS", "short"));
        Assert.Equal("+PONG\r\n", vermilion.Call("PING"));
    }

    /// <summary>RDB type 15 (Redis 5 to 6.2): no first ID, tombstone, entries-added or read counters; 7.0 derives them.</summary>
    [Fact]
    public void OlderStreamTypeLoads()
    {
        using var pair = servers.Connect();
        var (redis, vermilion) = pair;
        // Type 19's bytes with the fields type 15 lacks taken out: a stream of two entries (one node) and a group that read one.
        foreach (var s in pair.Both)
        {
            s.Call("XADD", "s", "1-1", "a", "1");
            s.Call("XADD", "s", "2-1", "a", "2");
            s.Call("XGROUP", "CREATE", "s", "g", "1-1");
        }
        var v2 = DumpFormat.Dump(redis, "s")[..^10];
        var r = new RdbReader(v2.AsSpan(1));
        r.TryReadLength(out _);
        r.TryReadString(out var nodeKey);
        nodeKey.Dispose();
        r.TryReadString(out var lp);
        lp.Dispose();
        r.TryReadLength(out _);
        r.TryReadLength(out _);
        r.TryReadLength(out _);
        int afterLastId = 1 + r.Position;
        for (int i = 0; i < 5; i++) r.TryReadLength(out _);
        int afterAdded = 1 + r.Position;
        r.TryReadLength(out _);
        r.TryReadString(out var name);
        name.Dispose();
        r.TryReadLength(out _);
        r.TryReadLength(out _);
        int afterGroupId = 1 + r.Position;
        r.TryReadCounter(out _);
        int afterRead = 1 + r.Position;
        var v1 = new List<byte> { 15 };
        v1.AddRange(v2[1..afterLastId]);
        v1.AddRange(v2[afterAdded..afterGroupId]);
        v1.AddRange(v2[afterRead..]);
        var payload = DumpFormat.Payload([.. v1], version: 9);
        foreach (var s in pair.Both) Assert.Equal("+OK\r\n", s.Call(DumpFormat.Cmd("RESTORE", "old", "0", payload)));
        foreach (var cmd in new[] { new[] { "XINFO", "STREAM", "old", "FULL" }, ["XINFO", "GROUPS", "old"], ["XRANGE", "old", "-", "+"] })
            DifferentialServers.AssertSame(string.Join(' ', cmd), redis.Call(cmd), vermilion.Call(cmd));
    }
}
