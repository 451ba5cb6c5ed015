using Xunit;
using static Vermilion.Tests.AllocationProbe;

namespace Vermilion.Tests;

/// <summary>
/// SORT loads its elements into scratch the loop's thread reuses and sorts them in place with a
/// struct order (Commands/Gathered): numeric, ALPHA, DESC and LIMIT sorts of a list and a set allocate
/// nothing per request. Measured as <see cref="AllocationTests"/> does.
/// </summary>
public class SortAllocationTests
{
    [Fact]
    public void SortsAllocateNothingPerRequest()
    {
        using var probe = new AllocationProbe();
        var rnd = new Random(3);
        var setup = Command(["RPUSH", "l", .. Enumerable.Range(0, 100).Select(_ => rnd.Next(1_000_000).ToString())])
            + Command(["SADD", "s", .. Enumerable.Range(0, 100).Select(i => "m" + rnd.Next(1_000_000))]);
        probe.Run(System.Text.Encoding.ASCII.GetBytes(setup), 2);
        var batch = new System.Text.StringBuilder();
        for (int i = 0; i < 25; i++)
            batch.Append(Command("SORT", "l")).Append(Command("SORT", "l", "DESC", "LIMIT", "10", "5"))
                .Append(Command("SORT", "s", "ALPHA")).Append(Command("SORT_RO", "l", "ALPHA", "DESC"));
        long allocated = probe.BestRoundAllocation(batch.ToString(), 100, out var replies);
        Assert.DoesNotContain("-ERR", replies);
        Assert.True(allocated < 1_000, $"{allocated} bytes allocated by the server for {20 * 100} sorts");
    }
}
