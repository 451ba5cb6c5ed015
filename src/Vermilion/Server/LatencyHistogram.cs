using System.Globalization;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Text;
using Vermilion.Protocol;

namespace Vermilion.Server;

/// <summary>
/// One command's latency distribution, for LATENCY HISTOGRAM and INFO latencystats. Redis keeps an
/// HdrHistogram per command (server.h LATENCY_HISTOGRAM_*: 1 ns to 1 s, 2 significant digits); this
/// is the same bucket layout in a fixed array, so the buckets LATENCY HISTOGRAM reports and the
/// percentiles INFO prints are the values Redis computes from the same samples. Recording is an
/// index computation and an increment: no allocation.
/// </summary>
/// <remarks>
/// Layout: values below 256 have a counter each; above, every power-of-two range [2^k, 2^(k+1))
/// has 128 counters, each covering 2^(k-7) values (two significant decimal digits).
/// </remarks>
public sealed class LatencyHistogram
{
    const long Lowest = 1, Highest = 1_000_000_000;
    /// <summary>log2 of the half count of sub-buckets: 2 digits need 200 distinct values, so 256 sub-buckets.</summary>
    const int HalfCountMagnitude = 7;
    const int HalfCount = 1 << HalfCountMagnitude, SubBucketMask = (HalfCount << 1) - 1;
    /// <summary>Power-of-two ranges until 256 &lt;&lt; n passes one second (hdr_init's bucket count: 23).</summary>
    const int BucketCount = 23;
    const int CountsLength = (BucketCount + 1) * HalfCount;

    readonly long[] _counts = new long[CountsLength];
    public long TotalCount { get; private set; }

    /// <summary>updateCommandLatencyHistogram: Redis records the command's microseconds as nanoseconds, clamped to the range.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void RecordMicroseconds(long us, int times = 1)
    {
        long ns = us * 1000;
        _counts[IndexOf(ns < Lowest ? Lowest : ns > Highest ? Highest : ns)] += times;
        TotalCount += times;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static int BucketOf(long value) => 64 - BitOperations.LeadingZeroCount((ulong)(value | SubBucketMask)) - (HalfCountMagnitude + 1);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static int IndexOf(long value)
    {
        int bucket = BucketOf(value);
        int sub = (int)(value >> bucket);
        return ((bucket + 1) << HalfCountMagnitude) + (sub - HalfCount);
    }

    static long LowestAt(int index, out int bucket)
    {
        bucket = (index >> HalfCountMagnitude) - 1;
        int sub = (index & (HalfCount - 1)) + HalfCount;
        if (bucket < 0)
        {
            sub -= HalfCount;
            bucket = 0;
        }
        return (long)sub << bucket;
    }

    static long HighestAt(int index) => LowestAt(index, out int bucket) + (1L << bucket) - 1;

    /// <summary>hdr_value_at_percentile: the highest value equivalent to the sample at that rank (the lowest for 0).</summary>
    public long ValueAtPercentile(double percentile)
    {
        double p = percentile < 100 ? percentile : 100;
        long rank = Math.Max(1, (long)(p / 100 * TotalCount + 0.5));
        long seen = 0;
        for (int i = 0; i < CountsLength; i++)
        {
            seen += _counts[i];
            if (seen >= rank) return percentile == 0 ? LowestAt(i, out _) : HighestAt(i);
        }
        return 0;
    }

    /// <summary>
    /// fillCommandCDF's buckets: cumulative counts at 1024 ns, doubling (hdr's logarithmic
    /// iterator), each labelled with the highest value of that level's bucket in microseconds, and
    /// only where the count grew. Fills <paramref name="pairs"/> and returns how many.
    /// </summary>
    public int CumulativeBuckets(Span<(long Micros, long Count)> pairs)
    {
        int n = 0, next = 0;
        long cumulative = 0, previous = 0;
        for (long level = 1024; n < pairs.Length; level <<= 1)
        {
            int target = Math.Min(IndexOf(Math.Min(level, long.MaxValue >> 1)), CountsLength - 1);
            while (next <= target) cumulative += _counts[next++];
            if (cumulative > previous) pairs[n++] = (HighestAt(target) / 1000, cumulative);
            previous = cumulative;
            if (cumulative >= TotalCount || target == CountsLength - 1) break;
        }
        return n;
    }

    /// <summary>At most this many buckets: one per doubling from 1024 ns past one second.</summary>
    public const int MaxBuckets = 24;

    /// <summary>
    /// INFO latencystats' line for a command: "p50=1.003,p99=2.007,p99.9=3.001" (fillPercentileDistributionLatencies:
    /// the percentile as %f without trailing zeros, the value in microseconds as %.3f).
    /// </summary>
    public void AppendPercentiles(StringBuilder sb, double[] percentiles)
    {
        for (int i = 0; i < percentiles.Length; i++)
        {
            if (i > 0) sb.Append(',');
            sb.Append('p').Append(FormatPercentile(percentiles[i])).Append('=')
              .Append((ValueAtPercentile(percentiles[i]) / 1000.0).ToString("F3", CultureInfo.InvariantCulture));
        }
    }

    /// <summary>"%f" trimmed of trailing zeros and a trailing point (trimDoubleString): 50 → "50", 99.9 → "99.9".</summary>
    static string FormatPercentile(double p)
    {
        string s = p.ToString("F6", CultureInfo.InvariantCulture);
        if (s.Contains('.')) s = s.TrimEnd('0').TrimEnd('.');
        return s;
    }

    /// <summary>CONFIG GET latency-tracking-info-percentiles: "50 99 99.9".</summary>
    public static string FormatPercentiles(double[] percentiles) => string.Join(' ', percentiles.Select(FormatPercentile));

    /// <summary>
    /// setConfigLatencyTrackingInfoPercentilesOutputOption: numbers as string2d reads them, each in
    /// [0, 100]. CONFIG SET's one value is split at every space (so "" is none, a doubled space an
    /// error); a config file line gives its words. Returns Redis's error, or null.
    /// </summary>
    public static string? ParsePercentiles(string[] args, out double[] percentiles)
    {
        percentiles = [];
        if (args.Length == 1) args = args[0].Length == 0 ? [] : args[0].Split(' ');
        var values = new double[args.Length];
        for (int i = 0; i < args.Length; i++)
        {
            if (!DoubleText.TryParse(Encoding.UTF8.GetBytes(args[i]), out values[i])) return "Invalid latency-tracking-info-percentiles parameters";
            if (values[i] < 0 || values[i] > 100) return "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]";
        }
        percentiles = values;
        return null;
    }
}
