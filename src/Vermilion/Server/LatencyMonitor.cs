namespace Vermilion.Server;

/// <summary>
/// latency.c's event store: for each event ("command", "fast-command", "expire-cycle", ...), the
/// last 160 seconds that had a spike at or over latency-monitor-threshold (one sample per second,
/// the worst of that second) and the worst ever. Events are kept in the order they first
/// happened, which LATENCY LATEST and DOCTOR follow (Redis's dict order is its hash order).
/// </summary>
public sealed class LatencyMonitor
{
    /// <summary>LATENCY_TS_LEN: samples kept per event.</summary>
    public const int HistoryLength = 160;

    public sealed class TimeSeries(string name)
    {
        public string Name { get; } = name;
        /// <summary>A ring of (unix seconds, milliseconds); a time of 0 is an empty slot.</summary>
        public readonly (long Time, long Latency)[] Samples = new (long, long)[HistoryLength];
        /// <summary>Where the next sample goes: the oldest sample when the ring is full.</summary>
        public int Next;
        public long Max;

        public (long Time, long Latency) Latest => Samples[(Next + HistoryLength - 1) % HistoryLength];

        /// <summary>The samples oldest first, skipping empty slots (latencyCommandReplyWithSamples).</summary>
        public IEnumerable<(long Time, long Latency)> Chronological()
        {
            for (int j = 0; j < HistoryLength; j++)
            {
                var s = Samples[(Next + j) % HistoryLength];
                if (s.Time != 0) yield return s;
            }
        }
    }

    readonly List<TimeSeries> _events = new();

    public IReadOnlyList<TimeSeries> Events => _events;

    /// <summary>Finds an event by name (Redis's event dict compares case-sensitively).</summary>
    public TimeSeries? Find(string name)
    {
        foreach (var e in _events) if (e.Name == name) return e;
        return null;
    }

    /// <summary>latencyAddSampleIfNeeded: callers check the threshold first (<see cref="Over"/>) so nothing runs while it is 0.</summary>
    public static bool Over(Config config, long milliseconds) => config.LatencyMonitorThreshold != 0 && milliseconds >= config.LatencyMonitorThreshold;

    /// <summary>latencyAddSample: a second that already has a sample keeps its worst.</summary>
    public void AddSample(string name, long milliseconds, long unixTime)
    {
        var ts = Find(name);
        if (ts is null)
        {
            ts = new TimeSeries(name);
            _events.Add(ts);
        }
        if (milliseconds > ts.Max) ts.Max = milliseconds;
        int prev = (ts.Next + HistoryLength - 1) % HistoryLength;
        if (ts.Samples[prev].Time == unixTime)
        {
            if (milliseconds > ts.Samples[prev].Latency) ts.Samples[prev].Latency = milliseconds;
            return;
        }
        ts.Samples[ts.Next] = (unixTime, milliseconds);
        ts.Next = (ts.Next + 1) % HistoryLength;
    }

    /// <summary>latencyResetEvent: forgets one event (case-insensitively, as strcasecmp), or all when <paramref name="name"/> is null; returns how many.</summary>
    public int Reset(string? name)
    {
        if (name is null)
        {
            int n = _events.Count;
            _events.Clear();
            return n;
        }
        return _events.RemoveAll(e => string.Equals(e.Name, name, StringComparison.OrdinalIgnoreCase));
    }
}
