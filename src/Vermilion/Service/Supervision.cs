using System.Net.Sockets;
using System.Text;
using Vermilion.Net;
using Vermilion.Server;

namespace Vermilion.Service;

/// <summary>
/// supervised systemd|upstart|auto|no (Redis's redisIsSupervised). Under systemd the server tells
/// the service manager how it is doing with sd_notify messages: STATUS while loading, STATUS and
/// READY=1 once it listens, STOPPING=1 when it shuts down. sd_notify is one datagram per message
/// to the unix socket named by NOTIFY_SOCKET (a name starting with '@' is in the abstract
/// namespace); we send it with a managed Socket, as libsystemd does, rather than linking it. Under
/// upstart ("expect stop") the process stops itself with SIGSTOP to say it is ready. A supervised
/// server does not daemonize: the supervisor owns the process.
/// </summary>
public sealed class Supervision
{
    readonly Log _log;
    readonly bool _systemd;
    int _stopping;

    Supervision(Log log, bool systemd)
    {
        _log = log;
        _systemd = systemd;
    }

    /// <summary>redisIsSupervised: the supervision in force, or null when there is none (then daemonize applies).</summary>
    public static Supervision? Detect(Config config, Log log)
    {
        string mode = config.Supervised;
        if (mode == "auto")
        {
            if (Environment.GetEnvironmentVariable("UPSTART_JOB") is not null)
            {
                log.Verbose("Upstart supervision detected.");
                mode = "upstart";
            }
            else if (Environment.GetEnvironmentVariable("NOTIFY_SOCKET") is not null)
            {
                log.Verbose("Systemd supervision detected.");
                mode = "systemd";
            }
        }
        switch (mode)
        {
            case "upstart":
                if (Environment.GetEnvironmentVariable("UPSTART_JOB") is null)
                {
                    log.Warning("upstart supervision requested, but UPSTART_JOB not found!");
                    return null;
                }
                log.Notice("supervised by upstart, will stop to signal readiness.");
                Native.Kill(Environment.ProcessId, Native.SIGSTOP);
                Environment.SetEnvironmentVariable("UPSTART_JOB", null);
                return new Supervision(log, systemd: false);
            case "systemd":
                if (Notify(log, "STATUS=Vermilion is loading...\n") <= 0) return null;
                log.Notice("Supervised by systemd. Please make sure you set appropriate values for TimeoutStartSec and TimeoutStopSec in your service unit.");
                return new Supervision(log, systemd: true);
            default:
                return null;
        }
    }

    /// <summary>The server listens: STATUS and READY=1, as Redis's main() does after loading.</summary>
    public void Ready()
    {
        if (!_systemd) return;
        Notify(_log, "STATUS=Ready to accept connections\n");
        Notify(_log, "READY=1\n");
    }

    /// <summary>prepareForShutdown's STOPPING=1; sent once however the shutdown began (signal or SHUTDOWN). Any thread.</summary>
    public void Stopping()
    {
        if (_systemd && Interlocked.Exchange(ref _stopping, 1) == 0) Notify(_log, "STOPPING=1\n");
    }

    /// <summary>
    /// redisCommunicateSystemd over sd_notify(0, message): 1 when sent, 0 without NOTIFY_SOCKET,
    /// negative on an error; the last two are logged as Redis logs them.
    /// </summary>
    static int Notify(Log log, string message)
    {
        string? socket = Environment.GetEnvironmentVariable("NOTIFY_SOCKET");
        if (string.IsNullOrEmpty(socket))
        {
            log.Warning("systemd supervision error: NOTIFY_SOCKET not found!");
            return 0;
        }
        if (socket[0] is not ('/' or '@') || socket.Length < 2)
        {
            log.Warning($"systemd supervision error: sd_notify: {-Native.EAFNOSUPPORT}");
            return -Native.EAFNOSUPPORT;
        }
        // An abstract socket's name starts with a NUL byte, which '@' stands for.
        string path = socket[0] == '@' ? "\0" + socket[1..] : socket;
        try
        {
            using var s = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
            s.SendTo(Encoding.UTF8.GetBytes(message), new UnixDomainSocketEndPoint(path));
            return 1;
        }
        catch (SocketException e)
        {
            log.Warning($"systemd supervision error: sd_notify: {e.Message}");
            return -1;
        }
    }
}
