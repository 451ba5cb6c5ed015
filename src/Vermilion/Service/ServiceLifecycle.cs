using System.Runtime.InteropServices;
using Vermilion.Net;
using Vermilion.Server;

namespace Vermilion.Service;

/// <summary>
/// Running as a service: the part of Redis's main() between loading the configuration and the
/// event loop, and back out at shutdown. The host (vermilion-server's Program.cs) calls, in order:
/// <list type="number">
/// <item><see cref="UnignoreShutdownSignals"/>, first of all: a server started by `cmd &amp;` from a
/// script inherits SIGINT as ignored, and .NET's signal layer respects an inherited SIG_IGN for
/// good once it has looked, so the dispositions go back to default before anything touches it.</item>
/// <item><see cref="LogFileError"/>: a logfile that cannot be opened is a fatal config error, as Redis.</item>
/// <item><see cref="Begin"/>: supervision (<see cref="Supervision"/>: systemd sd_notify, upstart
/// SIGSTOP); then daemonize when asked for and not supervised (<see cref="Daemon"/>: the parent
/// re-executes the binary and waits for the child to listen; the child detaches).</item>
/// <item><see cref="Attach"/> once the server exists: SIGTERM/SIGINT schedule a clean shutdown.</item>
/// <item><see cref="Started"/> once it listens, wrote its pid file and loaded its data (Redis sends READY after loadDataFromDisk): process title
/// (<see cref="ProcessTitle"/>), THP (<see cref="TransparentHugePages"/>), oom_score_adj
/// (<see cref="OomScore"/>), READY=1, and "ready" to a waiting daemon parent; or
/// <see cref="Failed"/> with the reason.</item>
/// <item><see cref="Stopping"/> as the shutdown begins (the server's ShuttingDown hook, a signal, or
/// the loop's return, whichever comes first): STOPPING=1, once.</item>
/// </list>
/// Logging (logfile, syslog) is Server/Log.cs; the pid file is written and removed by the server.
/// </summary>
public sealed class ServiceLifecycle : IDisposable
{
    /// <summary>CONFIG_DEFAULT_PID_FILE: where a daemon without a pidfile writes its pid, as Redis.</summary>
    public const string DefaultPidFile = "/var/run/redis.pid";

    readonly Config _config;
    readonly Daemon? _daemon;
    readonly List<PosixSignalRegistration> _signals = new();
    VermilionServer? _server;
    int _shutdownAsap;

    /// <summary>The supervisor in force (systemd or upstart), or null.</summary>
    public Supervision? Supervision { get; }
    /// <summary>This process is the parent of a daemon: it must start the child and exit with what it reports.</summary>
    public bool MustDaemonize { get; }

    ServiceLifecycle(Config config, Supervision? supervision, Daemon? daemon, bool mustDaemonize)
    {
        _config = config;
        Supervision = supervision;
        _daemon = daemon;
        MustDaemonize = mustDaemonize;
    }

    /// <summary>SIGINT and SIGTERM inherited as ignored go back to their default, so the handlers in <see cref="Attach"/> take effect.</summary>
    public static void UnignoreShutdownSignals()
    {
        if (!OperatingSystem.IsLinux()) return;
        Native.ResetIgnoredSignal(Native.SIGINT);
        Native.ResetIgnoredSignal(Native.SIGTERM);
    }

    /// <summary>loadServerConfigFromString's last check: Redis's reason when the logfile cannot be opened for appending, else null.</summary>
    public static string? LogFileError(Config config)
    {
        if (config.LogFile.Length == 0) return null;
        int errno = Native.TryOpenForAppend(config.LogFile);
        return errno == 0 ? null : "Can't open the log file: " + Native.StrError(errno);
    }

    /// <summary>redisIsSupervised, then `background = daemonize &amp;&amp; !supervised` and daemonize()'s child half.</summary>
    public static ServiceLifecycle Begin(Config config, Log log)
    {
        if (Daemon.IsChild)
        {
            // The parent already found no supervisor; the child only detaches.
            var daemon = Daemon.Detach();
            if (config.PidFile.Length == 0) config.PidFile = DefaultPidFile;
            return new ServiceLifecycle(config, null, daemon, mustDaemonize: false);
        }
        var supervision = Supervision.Detect(config, log);
        return new ServiceLifecycle(config, supervision, null, mustDaemonize: config.Daemonize && supervision is null);
    }

    /// <summary>setupSignalHandlers: SIGTERM and SIGINT ask for a clean shutdown; a second SIGINT exits at once.</summary>
    public void Attach(VermilionServer server)
    {
        _server = server;
        // prepareForShutdown tells systemd at its start, whatever began the shutdown (SHUTDOWN too).
        server.ShuttingDown = Stopping;
        _signals.Add(PosixSignalRegistration.Create(PosixSignal.SIGTERM, ctx => OnSignal(ctx, "SIGTERM")));
        _signals.Add(PosixSignalRegistration.Create(PosixSignal.SIGINT, ctx => OnSignal(ctx, "SIGINT")));
    }

    /// <summary>sigShutdownHandler.</summary>
    void OnSignal(PosixSignalContext ctx, string name)
    {
        ctx.Cancel = true;
        var server = _server!;
        if (Interlocked.Exchange(ref _shutdownAsap, 1) == 1 && ctx.Signal == PosixSignal.SIGINT)
        {
            // Ctrl+C twice: the user wants out now, without a clean shutdown.
            server.Log.FromSignalHandler(LogLevel.Warning, "You insist... exiting now.");
            Environment.Exit(1);
        }
        server.Log.FromSignalHandler(LogLevel.Warning, $"Received {name} scheduling shutdown...");
        Supervision?.Stopping();
        server.RequestShutdown(ctx.Signal == PosixSignal.SIGINT ? Native.SIGINT : Native.SIGTERM);
    }

    /// <summary>The server listens, wrote its pid file and loaded its data.</summary>
    public void Started(VermilionServer server)
    {
        ProcessTitle.Set(_config);
        TransparentHugePages.Check(_config, server.Log);
        OomScore.WarnIfUnordered(_config, server.Log);
        OomScore.Apply(_config, server.Log);
        Supervision?.Ready();
        _daemon?.ReportReady();
    }

    /// <summary>The server could not start: a waiting daemon parent prints the reason.</summary>
    public void Failed(string reason) => _daemon?.ReportFailure(reason);

    /// <summary>The shutdown began (SHUTDOWN or a signal): STOPPING=1 unless it was already sent.</summary>
    public void Stopping() => Supervision?.Stopping();

    public void Dispose()
    {
        foreach (var s in _signals) s.Dispose();
        _signals.Clear();
    }
}
