using System.Diagnostics;
using Vermilion.Net;

namespace Vermilion.Server;

public sealed partial class VermilionServer
{
    /// <summary>MAX_CLIENTS_PER_CLOCK_TICK: with dynamic-hz, hz doubles while clients/hz exceeds it.</summary>
    const int MaxClientsPerClockTick = 200;

    /// <summary>
    /// serverCron, every 1000/hz ms: shutdown requests, the end of a CLIENT PAUSE, idle
    /// timeouts and output buffer limits (clientsCron), the instantaneous metrics, the runtime's
    /// GC pauses (Vermilion's own: <see cref="Server.GcPauses"/>), save points (Saving.cs).
    /// </summary>
    long ServerCron(EventLoop loop, long id)
    {
        ArmWatchdog();
        UpdateCachedTime();
        _cronLoops++;
        if (_shutdownRequested && !_shutDown)
        {
            var flags = _shutdownSignal switch
            {
                Native.SIGINT => Config.ShutdownOnSigint,
                Native.SIGTERM => Config.ShutdownOnSigterm,
                _ => ShutdownFlags.None,
            };
            if (PrepareForShutdown("User requested shutdown...", flags)) return EventLoop.NoMore;
            // A failed save cancels the shutdown (cancelShutdown): the server goes on serving.
            _shutdownRequested = false;
        }
        EffectiveHz = Config.Hz;
        if (Config.DynamicHz)
            while (ClientCount / EffectiveHz > MaxClientsPerClockTick && EffectiveHz < 500) EffectiveHz = Math.Min(500, EffectiveHz * 2);
        if (CronPaused) return 1000 / EffectiveHz;

        if (UnixTimeMs - _lastInstantaneousSampleMs >= 100)
        {
            Stats.SampleInstantaneous(UnixTimeMs);
            _lastInstantaneousSampleMs = UnixTimeMs;
        }
        GcPauses.Sample(UnixTime);
        CheckPauseTimeout();
        ClientsCron();
        // The dataset stays as it is while clients are paused; DEBUG SET-ACTIVE-EXPIRE 0 turns the cycle off.
        // A replica expires only the keys its own clients gave a deadline (the primary's come with their DEL);
        // iAmMaster, so a cluster replica restarted from its RDB keeps the expired keys it loaded before
        // clusterCron starts its link, and its PSYNC continues with them.
        if (ActiveExpireEnabled)
        {
            if (IAmPrimary) { if (!ClientsPaused) ActiveExpireCycle(); }
            else ExpireReplicaKeys();
        }
        LimitTrackingTable();
        Stats.UsedMemoryPeak = Math.Max(Stats.UsedMemoryPeak, UsedMemory() + ClientsMemory());
        DatabasesCron();
        Aof.Cron(secondElapsed: RunWithPeriod(1000));
        // replicationCron runs every 100 ms while failing over, so the handshake with the target moves on quickly.
        if (RunWithPeriod(Failover.Active ? 100 : 1000))
        {
            Failover.Update();
            PrimaryLink.Cron();
            Primary.Cron();
        }
        // clusterCron: ten times a second.
        if (Cluster is not null && RunWithPeriod(100)) Cluster.Cron();
        BackgroundSaveCron();
        SavePointsCron();
        MigrateSocketsCron();
        TrimHeapAfterPeak();
        return 1000 / EffectiveHz;
    }

    /// <summary>clientsCron: idle timeouts (never for blocked or pub/sub clients) and the soft output limit.</summary>
    void ClientsCron()
    {
        int timeout = Config.Timeout;
        for (var c = _head; c is not null;)
        {
            var next = c.Next;
            if (timeout > 0 && (c.Flags & (ClientFlags.Blocked | ClientFlags.Replica | ClientFlags.Master)) == 0 && UnixTime - c.LastInteraction > timeout)
            {
                Log.Verbose("Closing idle client");
                FreeClient(c);
            }
            else if (c.Reply.ListNodes > 0 || c.SoftLimitReachedAt != 0)
                CheckOutputBufferLimits(c, async: false);
            c = next;
        }
    }

    /// <summary>databasesCron: shrink tables that emptied, and give incremental rehashing a millisecond.</summary>
    void DatabasesCron()
    {
        long budget = Stopwatch.Frequency / 1000;
        foreach (var db in Databases)
        {
            long start = Stopwatch.GetTimestamp();
            db.Cron(budget);
            budget -= Stopwatch.GetTimestamp() - start;
            if (budget <= 0) break;
        }
    }

    int _expireNextDb;

    /// <summary>
    /// activeExpireCycle (the slow cycle): with active-expire-effort E (1..10, as 0..9 internally),
    /// sample 20+5E keys per loop, accept 10-E percent stale keys, and spend at most 25+2E percent
    /// of a cron period, visiting the databases in turn.
    /// </summary>
    void ActiveExpireCycle()
    {
        int effort = Config.ActiveExpireEffort - 1;
        int keysPerLoop = 20 + 20 / 4 * effort;
        int stalePercent = 10 - effort;
        long budgetUs = 1_000_000L * (25 + 2 * effort) / EffectiveHz / 100;
        long started = Stopwatch.GetTimestamp();
        long deadline = started + budgetUs * Stopwatch.Frequency / 1_000_000;
        long sampled = 0, expired = 0;
        for (int n = 0; n < Databases.Length; n++)
        {
            var db = Databases[_expireNextDb];
            _expireNextDb = (_expireNextDb + 1) % Databases.Length;
            if (db.ExpiresCount == 0) continue;
            bool capped = db.ActiveExpireCycle(keysPerLoop, stalePercent, deadline, out long s, out long e);
            sampled += s;
            expired += e;
            if (capped)
            {
                Stats.ExpiredTimeCapReached++;
                break;
            }
        }
        // expired_stale_perc: a moving average of the share of sampled keys found expired.
        double current = sampled == 0 ? 0 : (double)expired / sampled;
        Stats.ExpiredStalePercent = current * 0.05 + Stats.ExpiredStalePercent * 0.95;
        AddLatencySampleIfNeeded("expire-cycle", Stopwatch.GetTimestamp() - started);
        // activeExpireCycle propagates under propagate_no_multi: each expired key's DEL alone.
        PropagatePendingEffects();
    }
}
