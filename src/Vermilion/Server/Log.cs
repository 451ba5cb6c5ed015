using System.Globalization;

namespace Vermilion.Server;

public enum LogLevel { Debug = 0, Verbose = 1, Notice = 2, Warning = 3 }

/// <summary>
/// Redis's log: "pid:M 24 Nov 2026 14:00:00.123 * message", to a file (logfile) or stdout,
/// filtered by loglevel. The level is re-read from the config on every call, so CONFIG SET
/// loglevel takes effect at once.
/// </summary>
public sealed class Log
{
    readonly Config _config;
    readonly int _pid = Environment.ProcessId;
    readonly object _lock = new();
    /// <summary>Where lines go when no logfile is set; tests capture them here.</summary>
    public TextWriter? Sink { get; set; }
    /// <summary>Tests read recent lines to assert on log messages.</summary>
    public Action<string>? Observer { get; set; }

    public Log(Config config) => _config = config;

    LogLevel Current => _config.LogLevel switch
    {
        "debug" => LogLevel.Debug,
        "verbose" => LogLevel.Verbose,
        "warning" => LogLevel.Warning,
        _ => LogLevel.Notice,
    };

    /// <summary>Callers on hot paths check this before building a message (a lambda would allocate a closure per call).</summary>
    public bool Enabled(LogLevel level) => level >= Current || Observer is not null;

    public void Write(LogLevel level, string message)
    {
        Observer?.Invoke(message);
        if (level < Current) return;
        char mark = level switch { LogLevel.Debug => '.', LogLevel.Verbose => '-', LogLevel.Notice => '*', _ => '#' };
        string line = $"{_pid}:M {DateTime.Now.ToString("dd MMM yyyy HH:mm:ss.fff", CultureInfo.InvariantCulture)} {mark} {message}";
        lock (_lock)
        {
            if (_config.LogFile.Length > 0)
            {
                try { File.AppendAllText(_config.LogFile, line + "\n"); } catch (IOException) { }
            }
            else (Sink ?? Console.Out).WriteLine(line);
        }
    }

    public void Debug(string m) { if (Enabled(LogLevel.Debug)) Write(LogLevel.Debug, m); }
    public void Verbose(string m) { if (Enabled(LogLevel.Verbose)) Write(LogLevel.Verbose, m); }
    public void Notice(string m) => Write(LogLevel.Notice, m);
    public void Warning(string m) => Write(LogLevel.Warning, m);
}
