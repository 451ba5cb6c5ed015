using Xunit;
using static Vermilion.Tests.AllocationProbe;

namespace Vermilion.Tests;

/// <summary>
/// XRANGE, XREVRANGE and XLEN of an existing stream read its nodes in place: nothing is allocated
/// per request. XADD to an existing stream allocates only the stream's own storage (a node and its
/// listpack every stream-node-max-entries entries), never per-request garbage: measured as
/// <see cref="AllocationTests"/> does.
/// </summary>
public class StreamAllocationTests
{
    [Fact]
    public void RangesAllocateNothingPerRequest()
    {
        using var probe = new AllocationProbe();
        var setup = new System.Text.StringBuilder();
        for (int i = 1; i <= 500; i++) setup.Append(Command("XADD", "s", $"{i}-1", "field", "value" + i, "n", i.ToString()));
        probe.Run(System.Text.Encoding.ASCII.GetBytes(setup.ToString()), 500);
        var batch = new System.Text.StringBuilder();
        for (int i = 0; i < 100; i++)
            batch.Append(Command("XRANGE", "s", $"{i * 4 + 1}", "+", "COUNT", "5")).Append(Command("XREVRANGE", "s", "+", "-", "COUNT", "3"))
                .Append(Command("XRANGE", "s", $"({i}-1", $"{i + 10}")).Append(Command("XLEN", "s"));
        long allocated = probe.BestRoundAllocation(batch.ToString(), 400, out var replies);
        Assert.DoesNotContain("-ERR", replies);
        Assert.True(allocated < 1_000, $"{allocated} bytes allocated by the server for {20 * 400} requests");
    }

    [Fact]
    public void AddsAllocateOnlyTheStreamsStorage()
    {
        using var probe = new AllocationProbe();
        probe.Run(System.Text.Encoding.ASCII.GetBytes(Command("XADD", "s", "1-1", "field", "value", "n", "1")), 1);
        var batch = new System.Text.StringBuilder();
        for (int i = 0; i < 400; i++) batch.Append(Command("XADD", "s", "*", "field", "value", "n", (i % 1000).ToString()));
        long allocated = probe.BestRoundAllocation(batch.ToString(), 400, out var replies);
        Assert.DoesNotContain("-ERR", replies);
        // A round is 20 batches: 8000 entries, 80 nodes. Each entry takes ~17 listpack bytes and a
        // node is allocated once at the size of the last full one (StreamValue.Append), so ~24
        // bytes an entry (measured: 190 KB a round; 479 KB when nodes doubled and were shrunk to
        // fit). A reply, an ID or a lookup allocated per request would add at least 24 more.
        Assert.True(allocated < 8000 * 36, $"{allocated} bytes allocated by the server for 8000 XADDs");
    }

    [Fact]
    public void GroupReadsAllocateNothingPerRequest()
    {
        // 50 consumers: the stream's memory accounting after each read walked them, and a sorted
        // dictionary's enumerator allocates its stack.
        using var probe = new AllocationProbe();
        var setup = new System.Text.StringBuilder();
        for (int i = 1; i <= 9000; i++) setup.Append(Command("XADD", "s", $"{i}-1", "field", "value" + i, "n", i.ToString()));
        setup.Append(Command("XGROUP", "CREATE", "s", "g", "0"));
        for (int i = 0; i < 50; i++) setup.Append(Command("XGROUP", "CREATECONSUMER", "s", "g", "c" + i));
        probe.Run(System.Text.Encoding.ASCII.GetBytes(setup.ToString()), 9051);
        var batch = new System.Text.StringBuilder();
        for (int i = 0; i < 100; i++) batch.Append(Command("XREADGROUP", "GROUP", "g", "c" + (i % 50), "NOACK", "COUNT", "1", "STREAMS", "s", ">"));
        long allocated = probe.BestRoundAllocation(batch.ToString(), 100, out var replies);
        Assert.StartsWith("*1\r\n*2\r\n$1\r\ns\r\n*1\r\n*2\r\n", replies);
        Assert.True(allocated < 1_000, $"{allocated} bytes allocated by the server for 2000 XREADGROUPs");
    }
}

/// <summary>
/// A group's memory is counted without walking its consumers (StreamGroup.Bytes): that count must
/// equal the walk after every command that moves pending entries, which holds while every pending
/// entry is in exactly one consumer's PEL once a command is done.
/// </summary>
public class StreamGroupAccountingTests
{
    [Fact]
    public void GroupBytesEqualTheWalkAfterEveryCommand()
    {
        using var probe = new AllocationProbe();
        var commands = new List<string[]>();
        for (int i = 1; i <= 30; i++) commands.Add(["XADD", "s", $"{i}-1", "f", "v" + i]);
        commands.Add(["XGROUP", "CREATE", "s", "g", "0"]);
        commands.Add(["XGROUP", "CREATE", "s", "other", "0"]);
        commands.Add(["XREADGROUP", "GROUP", "g", "alice", "COUNT", "5", "STREAMS", "s", ">"]);
        commands.Add(["XREADGROUP", "GROUP", "g", "bob", "NOACK", "COUNT", "3", "STREAMS", "s", ">"]);
        commands.Add(["XREADGROUP", "GROUP", "g", "bob", "COUNT", "4", "STREAMS", "s", ">"]);
        commands.Add(["XREADGROUP", "GROUP", "other", "carol", "COUNT", "10", "STREAMS", "s", ">"]);
        commands.Add(["XACK", "s", "g", "1-1", "2-1", "10-1"]);
        commands.Add(["XCLAIM", "s", "g", "bob", "0", "3-1", "4-1"]);
        commands.Add(["XCLAIM", "s", "g", "dave", "0", "20-1", "21-1", "FORCE", "JUSTID"]);
        commands.Add(["XAUTOCLAIM", "s", "g", "erin", "0", "0", "COUNT", "3"]);
        commands.Add(["XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", "0"]);
        commands.Add(["XDEL", "s", "5-1", "12-1"]);
        commands.Add(["XAUTOCLAIM", "s", "g", "frank", "0", "0"]);
        commands.Add(["XGROUP", "CREATECONSUMER", "s", "g", "gina"]);
        commands.Add(["XGROUP", "DELCONSUMER", "s", "g", "bob"]);
        commands.Add(["XTRIM", "s", "MAXLEN", "5"]);
        commands.Add(["XGROUP", "DESTROY", "s", "other"]);
        var keys = probe.Server.Databases[0].Keys;
        foreach (var command in commands)
        {
            string reply = probe.Run(System.Text.Encoding.ASCII.GetBytes(AllocationProbe.Command(command)), 1);
            Assert.False(reply.StartsWith('-'), $"{string.Join(' ', command)}: {reply}");
            var s = (StreamValue)keys.Object(keys.Find("s"u8))!;
            foreach (var group in s.Groups.Values)
            {
                long walked = 160 + StoredObject.ArrayBytes(group.Name.Length) + group.Pending.Count * 120L;
                foreach (var c in group.Consumers.Values) walked += 140 + StoredObject.ArrayBytes(c.Name.Length) + c.Pending.Count * 48L;
                Assert.Equal(walked, group.Bytes);
                Assert.All(group.Pending, nack => Assert.Contains(nack, nack.Consumer!.Pending));
            }
        }
    }
}
