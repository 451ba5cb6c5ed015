namespace Vermilion.Server;

/// <summary>
/// The software watchdog (debug.c: watchdog-period, a hidden setting Redis's tests use): serverCron
/// re-arms a one-shot timer of that many milliseconds on each turn, so it expires only when the loop
/// has not run its cron for the whole period (a load reading a slow primary's socket, DEBUG SLEEP), and
/// logs Redis's lines from outside the loop. Redis's SIGALRM handler prints the main thread's stack
/// there; the runtime cannot walk another thread's stack, so this logs the line Redis prints when it
/// has no backtrace. A timer thread instead of SIGALRM: the signal would interrupt the loop's blocking
/// reads (EINTR), which every read here already retries.
/// </summary>
public sealed partial class VermilionServer
{
    Timer? _watchdog;

    /// <summary>watchdogScheduleSignal from serverCron, and updateWatchdogPeriod: the timer starts over (stopped when watchdog-period is 0).</summary>
    internal string? ArmWatchdog()
    {
        int period = Config.WatchdogPeriod;
        if (period == 0)
        {
            _watchdog?.Change(Timeout.Infinite, Timeout.Infinite);
            return null;
        }
        _watchdog ??= new Timer(_ => WatchdogExpired());
        _watchdog.Change(period, Timeout.Infinite);
        return null;
    }

    /// <summary>watchdogSignalHandler.</summary>
    void WatchdogExpired()
    {
        Log.FromSignalHandler(LogLevel.Warning, "\n--- WATCHDOG TIMER EXPIRED ---");
        Log.FromSignalHandler(LogLevel.Warning, "Sorry: no support for backtrace().");
        Log.FromSignalHandler(LogLevel.Warning, "--------\n");
    }

    void StopWatchdog()
    {
        _watchdog?.Dispose();
        _watchdog = null;
    }
}
