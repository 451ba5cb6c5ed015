namespace Vermilion.Server;

/// <summary>The counters INFO stats reports, with Redis's names in comments where they differ.</summary>
public sealed class Stats
{
    public long ConnectionsReceived;   // total_connections_received
    public long OutputBufferLimitDisconnections; // client_output_buffer_limit_disconnections (Redis 7.2)
    public long CommandsProcessed;     // total_commands_processed
    public long RejectedConnections;   // rejected_connections
    public long NetInputBytes, NetOutputBytes;
    public long ReadsProcessed, WritesProcessed;
    public long ErrorReplies;          // total_error_replies
    public long UnexpectedErrorReplies; // unexpected_error_replies: errors the primary's commands got here
    public long ExpiredKeys, EvictedKeys, KeyspaceHits, KeyspaceMisses;
    public long ExpiredTimeCapReached;   // expired_time_cap_reached_count
    public double ExpiredStalePercent;   // expired_stale_perc, as a fraction
    public long ReplyBufferShrinks, ReplyBufferExpands;
    public long UsedMemoryPeak;
    /// <summary>Not in Redis: gc_pause_max_usec, the longest collection <see cref="GcPauses"/> saw.</summary>
    public long GcPauseMaxUsec;
    /// <summary>Not in Redis: eventloop_duration_max_usec, in Stopwatch ticks: the longest iteration of the loop (events, time events, before-sleep).</summary>
    public long EventLoopDurationMax;
    /// <summary>lazyfreed_objects: added to by the lazyfree thread (Interlocked).</summary>
    public long LazyfreedObjects;
    /// <summary>Not in Redis: readable events handled on listening sockets (tests show bursts take several rounds).</summary>
    public long AcceptRounds;
    /// <summary>Errors by their first word (INFO errorstats).</summary>
    public readonly Dictionary<string, long> ErrorCodes = new();

    /// <summary>afterErrorReply: count an error reply under its code, the text's first word.</summary>
    public void CountError(ReadOnlySpan<char> text)
    {
        ErrorReplies++;
        int space = text.IndexOf(' ');
        var code = space < 0 ? text : text[..space];
        var lookup = ErrorCodes.GetAlternateLookup<ReadOnlySpan<char>>();
        if (lookup.TryGetValue(code, out long n)) lookup[code] = n + 1;
        else if (ErrorCodes.Count < 128) ErrorCodes[code.ToString()] = 1; // as Redis, the table is capped
    }

    public void CountError(ReadOnlySpan<byte> text)
    {
        Span<char> chars = stackalloc char[Math.Min(text.Length, 64)];
        for (int i = 0; i < chars.Length; i++) chars[i] = (char)text[i];
        CountError(chars);
    }

    // Instantaneous metrics: 16 samples, one every 100 ms, as Redis's trackInstantaneousMetric.
    const int Samples = 16;
    readonly long[][] _samples = [new long[Samples], new long[Samples], new long[Samples]];
    readonly long[] _lastValue = new long[3];
    long _lastSampleMs;
    int _index;

    public void ResetCounters()
    {
        ConnectionsReceived = CommandsProcessed = RejectedConnections = 0;
        NetInputBytes = NetOutputBytes = ReadsProcessed = WritesProcessed = ErrorReplies = UnexpectedErrorReplies = 0;
        ExpiredKeys = EvictedKeys = KeyspaceHits = KeyspaceMisses = ExpiredTimeCapReached = 0;
        ExpiredStalePercent = 0;
        ReplyBufferShrinks = ReplyBufferExpands = OutputBufferLimitDisconnections = 0;
        GcPauseMaxUsec = EventLoopDurationMax = 0;
        ErrorCodes.Clear();
        Interlocked.Exchange(ref LazyfreedObjects, 0);
        foreach (var s in _samples) Array.Clear(s);
    }

    public void SampleInstantaneous(long nowMs)
    {
        long[] values = [CommandsProcessed, NetInputBytes, NetOutputBytes];
        if (_lastSampleMs != 0)
        {
            long dt = Math.Max(1, nowMs - _lastSampleMs);
            for (int k = 0; k < 3; k++) _samples[k][_index] = (values[k] - _lastValue[k]) * 1000 / dt;
            _index = (_index + 1) % Samples;
        }
        _lastSampleMs = nowMs;
        for (int k = 0; k < 3; k++) _lastValue[k] = values[k];
    }

    long Average(int k) => (long)_samples[k].Average();
    public long InstantaneousOps => Average(0);
    public double InstantaneousInputKbps => Average(1) / 1024.0;
    public double InstantaneousOutputKbps => Average(2) / 1024.0;
}
