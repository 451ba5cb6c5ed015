using System.Text;
using Vermilion.Server;
using Xunit;

namespace Vermilion.Tests;

/// <summary>
/// The per-command latency histogram against numbers redis-server 7.0.15 printed for the same
/// samples (five DEBUG SLEEPs: LATENCY HISTOGRAM debug, and INFO latencystats with percentiles
/// "0 10 20 40 60 80 100"): its buckets are HdrHistogram's, so labels and percentiles agree.
/// </summary>
public class LatencyHistogramTests
{
    static LatencyHistogram FiveSleeps()
    {
        var h = new LatencyHistogram();
        foreach (long us in new long[] { 1030, 1095, 2095, 10150, 100135 }) h.RecordMicroseconds(us);
        return h;
    }

    [Fact]
    public void CumulativeBucketsAreRedisLabels()
    {
        Span<(long, long)> pairs = stackalloc (long, long)[LatencyHistogram.MaxBuckets];
        int n = FiveSleeps().CumulativeBuckets(pairs);
        Assert.Equal([(1056L, 1L), (2113L, 3L), (16908L, 4L), (135266L, 5L)], pairs[..n].ToArray());
    }

    [Fact]
    public void PercentilesAreRedisValues()
    {
        var sb = new StringBuilder();
        FiveSleeps().AppendPercentiles(sb, [0, 10, 20, 40, 60, 80, 100]);
        Assert.Equal("p0=1028.096,p10=1032.191,p20=1032.191,p40=1097.727,p60=2097.151,p80=10158.079,p100=100139.007", sb.ToString());
    }

    /// <summary>Fast commands: 0 µs is recorded as 1 ns, 1 µs and 2 µs keep their own buckets, past one second is one second.</summary>
    [Fact]
    public void SmallAndHugeDurations()
    {
        var h = new LatencyHistogram();
        foreach (long us in new long[] { 0, 1, 2, 3, 5_000_000 }) h.RecordMicroseconds(us);
        Span<(long, long)> pairs = stackalloc (long, long)[LatencyHistogram.MaxBuckets];
        int n = h.CumulativeBuckets(pairs);
        Assert.Equal((1L, 2L), pairs[0]);
        Assert.Equal((2L, 3L), pairs[1]);
        Assert.Equal((4L, 4L), pairs[2]);
        Assert.Equal(5L, pairs[n - 1].Item2);
        Assert.Equal(5, h.TotalCount);
        var sb = new StringBuilder();
        h.AppendPercentiles(sb, [50, 99.9, 100]);
        Assert.Equal("p50=2.007,p99.9=1002438.655,p100=1002438.655", sb.ToString());
    }

    [Theory]
    [InlineData("50 99 99.9", "50 99 99.9")]
    [InlineData("0.0 50.0 100.0", "0 50 100")]
    [InlineData("1e1 50.00001", "10 50.00001")]
    [InlineData("", "")]
    public void PercentilesParseAndFormatAsRedis(string text, string shown)
    {
        Assert.Null(LatencyHistogram.ParsePercentiles([text], out var p));
        Assert.Equal(shown, LatencyHistogram.FormatPercentiles(p));
    }

    [Theory]
    [InlineData("10.0 50.0 a", "Invalid latency-tracking-info-percentiles parameters")]
    [InlineData(" 5  6 ", "Invalid latency-tracking-info-percentiles parameters")]
    [InlineData("nan", "Invalid latency-tracking-info-percentiles parameters")]
    [InlineData("10.0 50.0 101.0", "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]")]
    [InlineData("-1", "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]")]
    public void BadPercentilesGetRedisErrors(string text, string error) =>
        Assert.Equal(error, LatencyHistogram.ParsePercentiles([text], out _));
}
