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
}
