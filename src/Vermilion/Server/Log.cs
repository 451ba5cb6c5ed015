using System.Globalization;
using Vermilion.Service;

namespace Vermilion.Server;

public enum LogLevel { Debug = 0, Verbose = 1, Notice = 2, Warning = 3 }

/// <summary>
/// Redis's log (serverLogRaw): "pid:M 24 Nov 2026 14:00:00.123 * message", to a file (logfile,
/// opened for each line as Redis does, so a rotated file is picked up) or stdout, filtered by
/// loglevel, and with syslog-enabled also to the local syslog. The level is re-read from the
/// config on every call, so CONFIG SET loglevel takes effect at once.
/// </summary>
public sealed class Log
{
    readonly Config _config;
    readonly int _pid = Environment.ProcessId;
    readonly object _lock = new();
    readonly Syslog? _syslog;
    /// <summary>Where lines go when no logfile is set; tests capture them here.</summary>
    public TextWriter? Sink { get; set; }
    /// <summary>Tests read recent lines to assert on log messages.</summary>
    public Action<string>? Observer { get; set; }

    public Log(Config config)
    {
        _config = config;
        // syslog-* are immutable, so the socket is opened once (openlog with LOG_NDELAY, as Redis).
        if (config.SyslogEnabled) _syslog = new Syslog(config.SyslogIdent, config.SyslogFacility);
    }

    LogLevel Current => _config.LogLevel switch
    {
        "debug" => LogLevel.Debug,
        "verbose" => LogLevel.Verbose,
        "warning" => LogLevel.Warning,
        _ => LogLevel.Notice,
    };

    /// <summary>Callers on hot paths check this before building a message (a lambda would allocate a closure per call).</summary>
    public bool Enabled(LogLevel level) => level >= Current || Observer is not null;

    /// <summary>The role letter of each line: M for a primary, S once it follows one (serverLogRaw's role_char).</summary>
    public char Role = 'M';

    public void Write(LogLevel level, string message)
    {
        Observer?.Invoke(message);
        if (level < Current) return;
        char mark = level switch { LogLevel.Debug => '.', LogLevel.Verbose => '-', LogLevel.Notice => '*', _ => '#' };
        WriteLine($"{_pid}:{Role} {DateTime.Now.ToString("dd MMM yyyy HH:mm:ss.fff", CultureInfo.InvariantCulture)} {mark} {message}");
        _syslog?.Send(level, message);
    }

    /// <summary>LL_RAW: text as it is, without the pid, time and level (the startup banner).</summary>
    public void Raw(string text)
    {
        if (LogLevel.Notice < Current) return;
        WriteLine(text);
    }

    void WriteLine(string line)
    {
        lock (_lock)
        {
            if (_config.LogFile.Length > 0)
            {
                try { File.AppendAllText(_config.LogFile, line + "\n"); }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
            }
            else (Sink ?? Console.Out).WriteLine(line);
        }
    }

    /// <summary>
    /// serverLogFromHandler: the short form Redis writes from a signal handler, "pid:signal-handler
    /// (unix time) message", to the logfile or stdout (nothing when daemonized without a logfile);
    /// not to syslog.
    /// </summary>
    public void FromSignalHandler(LogLevel level, string message)
    {
        Observer?.Invoke(message);
        if (level < Current || (_config.LogFile.Length == 0 && _config.Daemonize)) return;
        WriteLine($"{_pid}:signal-handler ({DateTimeOffset.UtcNow.ToUnixTimeSeconds()}) {message}");
    }

    public void Debug(string m) { if (Enabled(LogLevel.Debug)) Write(LogLevel.Debug, m); }
    public void Verbose(string m) { if (Enabled(LogLevel.Verbose)) Write(LogLevel.Verbose, m); }
    public void Notice(string m) => Write(LogLevel.Notice, m);
    public void Warning(string m) => Write(LogLevel.Warning, m);
}
