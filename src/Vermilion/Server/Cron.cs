namespace Vermilion;

public sealed partial class Server
{
    /// <summary>MAX_CLIENTS_PER_CLOCK_TICK: with dynamic-hz, hz doubles while clients/hz exceeds it.</summary>
    const int MaxClientsPerClockTick = 200;

    /// <summary>
    /// serverCron, every 1000/hz ms: shutdown requests, the end of a CLIENT PAUSE, idle
    /// timeouts and output buffer limits (clientsCron), the instantaneous metrics.
    /// </summary>
    long ServerCron(EventLoop loop, long id)
    {
        UpdateCachedTime();
        _cronLoops++;
        if (_shutdownRequested && !_shutDown)
        {
            PrepareForShutdown("User requested shutdown...");
            return EventLoop.NoMore;
        }
        EffectiveHz = Config.Hz;
        if (Config.DynamicHz)
            while (ClientCount / EffectiveHz > MaxClientsPerClockTick && EffectiveHz < 500) EffectiveHz = Math.Min(500, EffectiveHz * 2);

        if (UnixTimeMs - _lastInstantaneousSampleMs >= 100)
        {
            Stats.SampleInstantaneous(UnixTimeMs);
            _lastInstantaneousSampleMs = UnixTimeMs;
        }
        if (Pause != PauseMode.None && UnixTimeMs >= PauseEndMs) UnpauseClients();
        ClientsCron();
        return 1000 / EffectiveHz;
    }

    /// <summary>clientsCron: idle timeouts (never for blocked or pub/sub clients) and the soft output limit.</summary>
    void ClientsCron()
    {
        int timeout = Config.Timeout;
        for (var c = _head; c is not null;)
        {
            var next = c.Next;
            if (timeout > 0 && (c.Flags & ClientFlags.Blocked) == 0 && UnixTime - c.LastInteraction > timeout)
            {
                Log.Verbose("Closing idle client");
                FreeClient(c);
            }
            else if (c.Reply.ListNodes > 0 || c.SoftLimitReachedAt != 0)
                CheckOutputBufferLimits(c, async: false);
            c = next;
        }
    }
}
