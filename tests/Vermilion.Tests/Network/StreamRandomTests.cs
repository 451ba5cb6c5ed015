using Xunit;

namespace Vermilion.Tests;

/// <summary>
/// A seeded random mix of stream commands from several clients against redis-server 7.0.15, every
/// reply compared (clock-dependent parts masked): adds with every ID form and trim, deletes, trims,
/// ranges, reads, groups created and destroyed, group reads new and from history, acks, pending
/// lists, claims and auto-claims, XINFO, XSETID, and a blocked reader served by a later add. Small
/// nodes (stream-node-max-entries 4) so node bounds are crossed all the time. A failure names the
/// seed and the step: StreamRandomTests.Mix(seed) runs it again.
/// </summary>
[Trait("Category", "Network")]
public class StreamRandomTests(DifferentialServers servers) : IClassFixture<DifferentialServers>
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(20261207)]
    public void Mix(int seed)
    {
        using var _ = servers.Configure("stream-node-max-entries", "4", "stream-node-max-bytes", "200");
        var options = new SameOptions { MaskOf = StreamCommandTests.ClockMask };
        using var a = servers.Connect(options);
        using var b = servers.Connect(options with { Flush = false });
        using var blocker = servers.Connect(options with { Flush = false });
        var rng = new Random(seed);
        var nextMs = new Dictionary<string, long> { ["s0"] = 1, ["s1"] = 1 };
        string Key() => rng.Next(10) == 0 ? "s1" : "s0";
        string Group() => "g" + rng.Next(3);
        string Consumer() => "c" + rng.Next(4);
        string Id(string key) => $"{rng.Next((int)Math.Max(1, nextMs[key] + 2))}-{rng.Next(3)}";
        string Bound() => rng.Next(6) switch { 0 => "-", 1 => "+", 2 => "(" + Id("s0"), _ => Id("s0") };
        string Count() => rng.Next(4) switch { 0 => "0", 1 => "-1", _ => rng.Next(1, 8).ToString() };
        string[] Fields()
        {
            var f = new List<string>();
            int n = rng.Next(3) == 0 ? rng.Next(1, 4) : 2;
            for (int i = 0; i < n; i++)
            {
                f.Add(rng.Next(3) == 0 ? "f" + rng.Next(5) : i == 0 ? "name" : "n" + i);
                f.Add(rng.Next(4) == 0 ? rng.Next(-1000, 100000).ToString() : new string('v', rng.Next(0, 30)));
            }
            return [.. f];
        }

        for (int step = 0; step < 1500; step++)
        {
            var key = Key();
            string[] cmd;
            switch (rng.Next(26))
            {
                case 0 or 1 or 2 or 3 or 4:
                {
                    long ms = nextMs[key];
                    nextMs[key] = ms + rng.Next(0, 3);
                    var id = rng.Next(5) switch { 0 => $"{ms}-*", 1 => $"{ms}", 2 => $"{Math.Max(0, ms - 2)}-{rng.Next(3)}", _ => $"{ms}-{rng.Next(1, 4)}" };
                    var trim = rng.Next(6) switch
                    {
                        0 => new[] { "MAXLEN", rng.Next(2) == 0 ? "~" : "=", rng.Next(0, 30).ToString() },
                        1 => ["MINID", rng.Next(2) == 0 ? "~" : "=", Id(key)],
                        2 => ["MAXLEN", "~", rng.Next(0, 30).ToString(), "LIMIT", rng.Next(0, 10).ToString()],
                        _ => [],
                    };
                    cmd = ["XADD", key, .. trim, id, .. Fields()];
                    break;
                }
                case 5: cmd = ["XDEL", key, Id(key), Id(key)]; break;
                case 6: cmd = rng.Next(2) == 0 ? ["XTRIM", key, "MAXLEN", rng.Next(2) == 0 ? "~" : "=", rng.Next(0, 40).ToString()] : ["XTRIM", key, "MINID", rng.Next(2) == 0 ? "~" : "=", Id(key)]; break;
                case 7: cmd = ["XRANGE", key, Bound(), Bound(), "COUNT", Count()]; break;
                case 8: cmd = ["XREVRANGE", key, Bound(), Bound(), .. rng.Next(2) == 0 ? new[] { "COUNT", Count() } : []]; break;
                case 9: cmd = ["XLEN", key]; break;
                case 10: cmd = ["XREAD", "COUNT", Count(), "STREAMS", "s0", "s1", Id("s0"), rng.Next(2) == 0 ? "$" : Id("s1")]; break;
                case 11: cmd = ["XGROUP", "CREATE", key, Group(), rng.Next(3) == 0 ? "$" : Id(key), .. rng.Next(3) == 0 ? new[] { "ENTRIESREAD", rng.Next(-1, 10).ToString() } : []]; break;
                case 12: cmd = ["XGROUP", "SETID", key, Group(), rng.Next(3) == 0 ? "$" : Id(key)]; break;
                case 13: cmd = rng.Next(4) == 0 ? ["XGROUP", "DESTROY", key, Group()] : ["XGROUP", "CREATECONSUMER", key, Group(), Consumer()]; break;
                case 14: cmd = ["XGROUP", "DELCONSUMER", key, Group(), Consumer()]; break;
                case 15 or 16 or 17:
                    cmd = ["XREADGROUP", "GROUP", Group(), Consumer(), .. rng.Next(4) == 0 ? new[] { "NOACK" } : [], "COUNT", rng.Next(1, 5).ToString(), "STREAMS", key,
                        rng.Next(4) == 0 ? Id(key) : ">"];
                    break;
                case 18: cmd = ["XACK", key, Group(), Id(key), Id(key)]; break;
                case 19: cmd = rng.Next(2) == 0 ? ["XPENDING", key, Group()] : ["XPENDING", key, Group(), Bound(), Bound(), Count(), .. rng.Next(2) == 0 ? new[] { Consumer() } : []]; break;
                case 20:
                    cmd = ["XCLAIM", key, Group(), Consumer(), rng.Next(3) == 0 ? "3600000" : "0", Id(key), Id(key),
                        .. rng.Next(2) == 0 ? new[] { "JUSTID" } : [], .. rng.Next(3) == 0 ? new[] { "FORCE" } : [], .. rng.Next(3) == 0 ? new[] { "RETRYCOUNT", "5" } : [],
                        .. rng.Next(4) == 0 ? new[] { "LASTID", Id(key) } : []];
                    break;
                case 21: cmd = ["XAUTOCLAIM", key, Group(), Consumer(), "0", Id(key), "COUNT", rng.Next(1, 5).ToString(), .. rng.Next(2) == 0 ? new[] { "JUSTID" } : []]; break;
                case 22: cmd = rng.Next(3) switch { 0 => ["XINFO", "GROUPS", key], 1 => ["XINFO", "CONSUMERS", key, Group()], _ => ["XINFO", "STREAM", key, .. rng.Next(2) == 0 ? new[] { "FULL" } : []] }; break;
                case 23: cmd = ["XSETID", key, $"{nextMs[key] + rng.Next(0, 3)}-{rng.Next(3)}", .. rng.Next(3) == 0 ? new[] { "ENTRIESADDED", rng.Next(0, 200).ToString() } : []]; break;
                case 24: cmd = rng.Next(20) == 0 ? ["DEL", key] : ["XINFO", "STREAM", key]; break;
                default:
                    BlockedRead(a, blocker, key, rng, step, seed, ref nextMs);
                    continue;
            }
            var client = rng.Next(2) == 0 ? a : b;
            client.Same(cmd, $"seed {seed} step {step}: ");
        }
        a.Same(["XINFO", "STREAM", "s0", "FULL", "COUNT", "0"], $"seed {seed} end: ");
    }

    /// <summary>The blocker waits in XREAD or XREADGROUP on both servers; an XADD from another client serves it; the replies must agree.</summary>
    static void BlockedRead(ConnectionPair writer, ConnectionPair blocker, string key, Random rng, int step, int seed, ref Dictionary<string, long> nextMs)
    {
        bool group = rng.Next(2) == 0;
        string g = "g" + rng.Next(3);
        string[] read = group
            ? ["XREADGROUP", "GROUP", g, "c" + rng.Next(4), "BLOCK", "0", "STREAMS", key, ">"]
            : ["XREAD", "BLOCK", "0", "STREAMS", key, "$"];
        string context = $"seed {seed} step {step} (blocked {string.Join(' ', read)}): ";
        if (group)
        {
            // A group to wait on, whatever the mix has done to it.
            writer.Same(["XGROUP", "CREATE", key, g, "$", "MKSTREAM"], context);
            writer.Same(["XGROUP", "SETID", key, g, "$"], context);
        }
        foreach (var s in blocker.Both) s.Send(RespSocket.Encode(read));
        foreach (var s in writer.Both) EffectScript.WaitBlocked(s, 1);
        long ms = nextMs[key] = nextMs[key] + 1;
        writer.Same(["XADD", key, $"{ms + 100000}-1", "blocked", "served"], context);
        nextMs[key] = ms + 100000;
        DifferentialServers.AssertSame(context + "the served reply", blocker.Redis.ReadReply(5000), blocker.Vermilion.ReadReply(5000));
    }
}
