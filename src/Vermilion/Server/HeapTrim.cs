using System.Runtime;

namespace Vermilion.Server;

/// <summary>
/// Giving memory back after a transient peak (a big pipeline whose replies were never read, cut
/// off; a large value deleted). Redis's jemalloc returns freed pages by itself; the .NET GC keeps
/// a grown heap committed until a collection finds it free, and an idle server runs no
/// collections: measured, RSS stayed at 299 MB for good after a 300 MB peak of unread replies
/// (Redis: back to 14 MB after 12 s), and GC settings alone (ConserveMemory=5, RetainVM off)
/// changed nothing, since they act only when a collection runs. So serverCron watches the heap, once a second: when the
/// committed heap is at least twice what is live and 32 MB more, it runs one aggressive
/// compacting collection (the one that decommits what it frees); RSS is back to 27 MB within a
/// second. That collection pauses the loop in proportion to the live data (measured on the
/// loaded 2-core machine: 40 ms with an empty dataset, 106-350 ms with 150 MB live), so it runs
/// by itself only while the live managed data is small (at most 128 MB; the keyspace's records
/// are off the managed heap and do not count) and at most once per 10 s;
/// above that MEMORY PURGE does it when the operator chooses.
/// </summary>
public sealed partial class VermilionServer
{
    /// <summary>A peak is worth returning when at least this much could be given back...</summary>
    const long TrimMinimumBytes = 32L << 20;
    /// <summary>...and the committed heap is this many times what is live.</summary>
    const long TrimRatio = 2;
    /// <summary>Above this much live data the pause of a compaction is left to MEMORY PURGE.</summary>
    const long TrimMaxLiveBytes = 128L << 20;
    /// <summary>The runtime's own live objects (code, metadata, the command table), roughly.</summary>
    const long RuntimeBaselineBytes = 16L << 20;
    const long TrimIntervalMs = 10_000;

    long _lastTrimMs, _lastTrimCheckMs;

    /// <summary>MEMORY PURGE and the cron's trim: a blocking compacting full collection, large object heap included; what it frees is decommitted.</summary>
    public void CompactHeap()
    {
        GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        _lastTrimMs = UnixTimeMs;
    }

    /// <summary>
    /// serverCron's share. Cheap before it acts: a clock compare on most calls, then once a second
    /// one GC info read and our own exact accounting of what is live (no heap walk).
    /// </summary>
    void TrimHeapAfterPeak()
    {
        if (UnixTimeMs - _lastTrimCheckMs < 1000 || UnixTimeMs - _lastTrimMs < TrimIntervalMs) return;
        _lastTrimCheckMs = UnixTimeMs;
        long committed = GC.GetGCMemoryInfo().TotalCommittedBytes;
        // Only what lives on the managed heap: string records and compact collections are in
        // the keyspaces' own pages, which the collector neither holds nor pauses for.
        long live = ClientsMemory() + RuntimeBaselineBytes;
        foreach (var db in Databases) live += db.Keys.ManagedBytes;
        if (live > TrimMaxLiveBytes || committed - live < TrimMinimumBytes || committed < live * TrimRatio) return;
        var pausedBefore = GC.GetTotalPauseDuration();
        CompactHeap();
        Log.Verbose($"Heap compacted after a peak: {committed >> 20} MB committed, {GC.GetGCMemoryInfo().TotalCommittedBytes >> 20} MB after, {(GC.GetTotalPauseDuration() - pausedBefore).TotalMilliseconds:F0} ms paused");
    }
}
