namespace Vermilion.Server;

/// <summary>
/// The runtime's pauses, shown through Redis's own tools: INFO memory's gc_pause_* fields and the
/// "gc-pause" latency event (LATENCY LATEST/HISTORY/DOCTOR), so a stall the collector caused is
/// told apart from a slow command. Sampled from serverCron rather than called back per
/// collection: the runtime's only per-GC notification is its EventSource/EventPipe stream, which
/// NativeAOT builds without by default (and an EventListener runs on another thread).
/// GC.GetGCMemoryInfo(kind) keeps the last collection of each kind with its index and its pauses,
/// so each tick records the ones whose index is new. Two collections of one kind within one cron
/// period show as the later one; the count and the total include both.
/// </summary>
public sealed class GcPauses
{
    /// <summary>The kinds the runtime records apart; a background GC's record holds its two pauses (start of marking, final mark).</summary>
    static readonly GCKind[] s_kinds = [GCKind.Ephemeral, GCKind.FullBlocking, GCKind.Background];
    const int Background = 2;

    readonly Stats _stats;
    readonly Config _config;
    readonly LatencyMonitor _latency;
    readonly long[] _lastIndex = new long[3];
    readonly long _startIndex, _startPauseTicks;
    long _newestIndex, _seenPauseTicks;
    int _seenGen2;
    /// <summary>A gen2 began whose record has not shown yet: a background GC still running.</summary>
    bool _backgroundRunning;
    /// <summary>Read again next tick: a background GC is running, or a pause was seen before its record.</summary>
    bool _recheck;

    public GcPauses(Stats stats, Config config, LatencyMonitor latency)
    {
        _stats = stats;
        _config = config;
        _latency = latency;
        // What ran before this server started is not its pauses.
        for (int k = 0; k < s_kinds.Length; k++)
        {
            _lastIndex[k] = GC.GetGCMemoryInfo(s_kinds[k]).Index;
            _newestIndex = Math.Max(_newestIndex, _lastIndex[k]);
        }
        _startIndex = _newestIndex;
        _startPauseTicks = _seenPauseTicks = GC.GetTotalPauseDuration().Ticks;
        _seenGen2 = GC.CollectionCount(2);
    }

    /// <summary>gc_pause_count: collections since the server started (GC indices, so also those sampling saw only through a later one).</summary>
    public long Count => _newestIndex - _startIndex;

    /// <summary>gc_pause_total_usec: every pause since the server started (GC.GetTotalPauseDuration, exact).</summary>
    public long TotalMicroseconds => (GC.GetTotalPauseDuration().Ticks - _startPauseTicks) / TimeSpan.TicksPerMicrosecond;

    /// <summary>gc_pause_last_usec: the latest collection sampled (the longest is Stats.GcPauseMaxUsec, which CONFIG RESETSTAT clears).</summary>
    public long LastMicroseconds { get; private set; }

    /// <summary>
    /// serverCron's share. Nothing is read unless something paused since the last tick, or a gen2
    /// began (GC.GetTotalPauseDuration and CollectionCount allocate nothing; GetGCMemoryInfo
    /// allocates its ~300-byte record, so an idle server allocates nothing here). A background GC
    /// writes its record only when it ends, after its last pause and with no counter moving then,
    /// so while one runs each tick reads again until its record shows.
    /// </summary>
    public void Sample(long unixTime)
    {
        long paused = GC.GetTotalPauseDuration().Ticks;
        int gen2 = GC.CollectionCount(2);
        bool pausedSince = paused != _seenPauseTicks, gen2Began = gen2 != _seenGen2;
        if (!pausedSince && !gen2Began && !_recheck) return;
        _seenPauseTicks = paused;
        _seenGen2 = gen2;
        bool recorded = false, gen2Ended = false;
        for (int k = 0; k < s_kinds.Length; k++)
        {
            var info = GC.GetGCMemoryInfo(s_kinds[k]);
            if (info.Index <= _lastIndex[k]) continue;
            _lastIndex[k] = info.Index;
            _newestIndex = Math.Max(_newestIndex, info.Index);
            long ticks = 0;
            foreach (var d in info.PauseDurations) ticks += d.Ticks;
            Record(ticks / TimeSpan.TicksPerMicrosecond, unixTime);
            recorded = true;
            if (k != 0) gen2Ended = true;
            if (k == Background) _backgroundRunning = false;
        }
        if (gen2Began && !gen2Ended) _backgroundRunning = true;
        _recheck = _backgroundRunning || (pausedSince && !recorded);
    }

    /// <summary>One collection's pause (its pauses added up): the last and longest, and latencyAddSampleIfNeeded's "gc-pause" event.</summary>
    public void Record(long microseconds, long unixTime)
    {
        LastMicroseconds = microseconds;
        if (microseconds > _stats.GcPauseMaxUsec) _stats.GcPauseMaxUsec = microseconds;
        long ms = microseconds / 1000;
        if (LatencyMonitor.Over(_config, ms)) _latency.AddSample("gc-pause", ms, unixTime);
    }
}
