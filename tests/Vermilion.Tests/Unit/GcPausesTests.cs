using Vermilion.Commands;
using Vermilion.Server;
using Xunit;

namespace Vermilion.Tests;

/// <summary>
/// The GC pause recorder fed pauses directly (a forced collection of a small heap may pause for
/// less than the 1 ms a latency threshold can ask for), and its sampling of a real collection.
/// </summary>
public class GcPausesTests
{
    readonly Stats _stats = new();
    readonly Config _config = new();
    readonly LatencyMonitor _latency = new();
    const long Now = 1_700_000_000;

    GcPauses Pauses() => new(_stats, _config, _latency);

    [Fact]
    public void PausesAtOrOverTheThresholdBecomeGcPauseEvents()
    {
        var p = Pauses();
        p.Record(50_000, Now); // threshold 0: monitoring is off
        Assert.Empty(_latency.Events);
        Assert.Equal(50_000, p.LastMicroseconds);

        _config.LatencyMonitorThreshold = 5;
        p.Record(4_999, Now + 1);
        Assert.Empty(_latency.Events);
        p.Record(5_000, Now + 2);
        p.Record(7_300, Now + 3);
        var ts = Assert.Single(_latency.Events);
        Assert.Equal("gc-pause", ts.Name);
        Assert.Equal([(Now + 2, 5L), (Now + 3, 7L)], ts.Chronological());
        Assert.Equal(7, ts.Max);
    }

    [Fact]
    public void LongestPauseIsKeptUntilResetStat()
    {
        var p = Pauses();
        p.Record(1_200, Now);
        p.Record(90_000, Now);
        p.Record(300, Now);
        Assert.Equal(300, p.LastMicroseconds);
        Assert.Equal(90_000, _stats.GcPauseMaxUsec);
        _stats.EventLoopDurationMax = 12345;
        _stats.ResetCounters();
        Assert.Equal(0, _stats.GcPauseMaxUsec);
        Assert.Equal(0, _stats.EventLoopDurationMax);
        p.Record(800, Now);
        Assert.Equal(800, _stats.GcPauseMaxUsec);
    }

    [Fact]
    public void SamplingSeesAForcedCollection()
    {
        var p = Pauses();
        long before = p.Count;
        GC.Collect(); // blocking, full: a new GCKind.FullBlocking record
        p.Sample(Now);
        Assert.True(p.Count > before);
        Assert.True(p.LastMicroseconds > 0);
        Assert.True(_stats.GcPauseMaxUsec >= p.LastMicroseconds);
        Assert.True(p.TotalMicroseconds >= _stats.GcPauseMaxUsec, $"total {p.TotalMicroseconds}, max {_stats.GcPauseMaxUsec}");
    }

    /// <summary>A tick with no collection since the last reads two counters and allocates nothing (other tests' collections may intervene: retried).</summary>
    [Fact]
    public void IdleSampleAllocatesNothing()
    {
        var p = Pauses();
        p.Sample(Now);
        long least = long.MaxValue;
        for (int attempt = 0; attempt < 50 && least > 0; attempt++)
        {
            long start = GC.GetAllocatedBytesForCurrentThread();
            p.Sample(Now);
            least = Math.Min(least, GC.GetAllocatedBytesForCurrentThread() - start);
            if (least > 0) Thread.Sleep(10);
        }
        Assert.Equal(0, least);
    }

    /// <summary>The server's recorder feeds its own latency events, which DOCTOR explains.</summary>
    [Fact]
    public void DoctorAdvisesOnGcPauses()
    {
        using var server = new VermilionServer(Config.FromArgs(["--port", "0", "--unixsocket", "", "--latency-monitor-threshold", "1"]));
        server.GcPauses.Record(12_000, Now);
        string report = LatencyCommands.Report(server, Now + 1);
        Assert.Contains("1. gc-pause: 1 latency spikes (average 12ms", report);
        Assert.Contains("garbage collector", report);
    }
}
