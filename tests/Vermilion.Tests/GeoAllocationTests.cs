using System.Globalization;
using Xunit;
using static Vermilion.Tests.AllocationProbe;

namespace Vermilion.Tests;

/// <summary>
/// GEOSEARCH and GEORADIUS gather their points in scratch the loop's thread reuses (Commands/Gathered):
/// once it has grown, a search allocates nothing per request, whether it sorts all it found, only the
/// COUNT nearest (Redis's partial quicksort) or nothing. Measured as <see cref="AllocationTests"/> does.
/// </summary>
public class GeoAllocationTests
{
    [Fact]
    public void SearchesAllocateNothingPerRequest()
    {
        using var probe = new AllocationProbe();
        var rnd = new Random(7);
        var add = new List<string> { "GEOADD", "pts" };
        for (int i = 0; i < 1000; i++)
            add.AddRange([(13.36 + rnd.NextDouble() * 2 - 1).ToString(CultureInfo.InvariantCulture), (38.11 + rnd.NextDouble() * 1.6 - 0.8).ToString(CultureInfo.InvariantCulture), "p:" + i]);
        probe.Run(System.Text.Encoding.ASCII.GetBytes(Command([.. add])), 1);
        var batch = new System.Text.StringBuilder();
        for (int i = 0; i < 25; i++)
            batch.Append(Command("GEOSEARCH", "pts", "FROMLONLAT", "13.36", "38.11", "BYRADIUS", "50", "km", "COUNT", "10", "ASC", "WITHDIST"))
                .Append(Command("GEOSEARCH", "pts", "FROMMEMBER", "p:" + i, "BYBOX", "20", "20", "km", "DESC", "WITHCOORD", "WITHHASH"))
                .Append(Command("GEORADIUS", "pts", "13.5", "38.2", "8", "km"))
                .Append(Command("GEOSEARCH", "pts", "FROMLONLAT", "13.36", "38.11", "BYRADIUS", "30", "km", "COUNT", "3", "ANY"));
        long allocated = probe.BestRoundAllocation(batch.ToString(), 100, out var replies);
        Assert.DoesNotContain("-ERR", replies);
        Assert.Contains("*10\r\n*2\r\n$", replies);
        Assert.True(allocated < 1_000, $"{allocated} bytes allocated by the server for {20 * 100} searches");
    }
}
