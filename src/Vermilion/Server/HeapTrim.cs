using System.Runtime;

namespace Vermilion.Server;

/// <summary>
/// Giving memory back after a transient peak (a big pipeline cut off, a large value deleted).
/// Redis's jemalloc returns freed pages by itself; the .NET GC keeps a grown heap committed until
/// a collection finds it empty and decommits it, and gen2 collections are rare once the load
/// stops. So serverCron watches the heap: when a peak has passed (the heap after the last
/// collection is well above what is live now and the difference is large) it runs one
/// compacting collection, at most once per interval; MEMORY PURGE runs the same on demand.
/// </summary>
public sealed partial class VermilionServer
{
    /// <summary>A peak is worth returning when at least this much could be given back.</summary>
    const long TrimMinimumBytes = 32L << 20;
    /// <summary>...and the committed heap is this many times what is live.</summary>
    const double TrimRatio = 2.0;
    /// <summary>At most one automatic compaction per this many milliseconds.</summary>
    const long TrimIntervalMs = 10_000;

    long _lastTrimMs, _lastTrimCheckMs;

    /// <summary>Compacting full collection, large object heap included; the freed regions are decommitted.</summary>
    public void CompactHeap()
    {
        GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        _lastTrimMs = UnixTimeMs;
    }

    /// <summary>
    /// serverCron's share, once a second: cheap checks first (one GC info read). The live size
    /// is our own exact accounting (data plus clients) plus the runtime's baseline, not a heap
    /// walk; a compaction is started only when the committed heap dwarfs it.
    /// </summary>
    void TrimHeapAfterPeak()
    {
        if (UnixTimeMs - _lastTrimCheckMs < 1000 || UnixTimeMs - _lastTrimMs < TrimIntervalMs) return;
        _lastTrimCheckMs = UnixTimeMs;
        long committed = GC.GetGCMemoryInfo().TotalCommittedBytes;
        long live = UsedMemory() + ClientsMemory() + (16L << 20);
        if (committed - live < TrimMinimumBytes || committed < live * TrimRatio) return;
        Log.Verbose($"Compacting the heap after a peak: {committed} bytes committed, about {live} in use");
        CompactHeap();
    }
}
