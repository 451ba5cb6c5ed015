using Xunit;
using static Vermilion.Tests.AllocationProbe;

namespace Vermilion.Tests;

/// <summary>
/// PFADD and PFCOUNT of existing keys change the HLL string where it lives (<c>HllString</c>):
/// nothing is allocated per request (sparse and dense keys), measured as <see cref="AllocationTests"/>
/// does. (PFCOUNT of several keys merges into a stack temporary too; its ~100 µs requests showed a few
/// hundred bytes per round that do not grow with the requests, so it is left out of the bound.)
/// </summary>
public class HyperLogLogAllocationTests
{
    [Fact]
    public void PfAddAndPfCountAllocateNothingPerRequest()
    {
        var batch = new System.Text.StringBuilder();
        for (int i = 0; i < 100; i++)
        {
            string sparse = "hll:" + (i % 10), dense = "dense:" + (i % 3);
            batch.Append(Command("PFADD", sparse, "a" + i % 7, "b" + i % 5)).Append(Command("PFCOUNT", sparse))
                .Append(Command("PFADD", dense, "x" + i % 11)).Append(Command("PFCOUNT", dense));
        }
        using var probe = new AllocationProbe();
        // Dense keys first: enough elements to promote them before the measured rounds.
        var setup = new System.Text.StringBuilder();
        for (int d = 0; d < 3; d++) setup.Append(Command(["PFADD", "dense:" + d, .. Enumerable.Range(0, 5000).Select(j => "m" + j)]));
        probe.Run(System.Text.Encoding.ASCII.GetBytes(setup.ToString()), 3);
        long allocated = probe.BestRoundAllocation(batch.ToString(), 400, out var replies);
        Assert.DoesNotContain("-", replies);
        Assert.True(allocated < 1_000, $"{allocated} bytes allocated by the server for {20 * 400} requests");
    }
}
