using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Vermilion.Server;

namespace Vermilion.Service;

/// <summary>
/// syslog-enabled: each log line also goes to the local syslog daemon, as Redis's serverLogRaw
/// calls syslog(3) after openlog(ident, LOG_PID | LOG_NDELAY | LOG_NOWAIT, facility). We send the
/// datagram ourselves, in the form glibc's syslog(3) writes to /dev/log ("&lt;PRI&gt;Mmm dd hh:mm:ss
/// ident[pid]: message"), rather than calling libc through P/Invoke: syslog(3) is variadic, which a
/// P/Invoke signature cannot declare portably, and openlog keeps the ident pointer for the life of
/// the process; the wire format is one line, a managed Socket keeps this out of unsafe code, and a
/// test can bind a socket of its own and read what is sent. As with libc, a missing or stopped
/// syslog daemon loses the line silently (Redis does not set LOG_CONS).
/// </summary>
public sealed class Syslog : IDisposable
{
    readonly string _ident;
    readonly int _facility;
    readonly UnixDomainSocketEndPoint _target;
    readonly int _pid = Environment.ProcessId;
    readonly object _lock = new();
    Socket? _socket;

    /// <summary>syslog-facility's names, as Redis's syslog_facility_enum, to the facility codes of syslog.h.</summary>
    public static int FacilityCode(string name) => name switch
    {
        "user" => 1 << 3,
        "local0" => 16 << 3, "local1" => 17 << 3, "local2" => 18 << 3, "local3" => 19 << 3,
        "local4" => 20 << 3, "local5" => 21 << 3, "local6" => 22 << 3, "local7" => 23 << 3,
        _ => 16 << 3,
    };

    /// <summary>serverLogRaw's syslogLevelMap: debug, verbose, notice, warning to LOG_DEBUG, LOG_INFO, LOG_NOTICE, LOG_WARNING.</summary>
    static int Severity(LogLevel level) => level switch
    {
        LogLevel.Debug => 7, LogLevel.Verbose => 6, LogLevel.Notice => 5, _ => 4,
    };

    public Syslog(string ident, string facility, string path = "/dev/log")
    {
        _ident = ident;
        _facility = FacilityCode(facility);
        _target = new UnixDomainSocketEndPoint(path);
        Open();
    }

    void Open()
    {
        try { _socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified); }
        catch (SocketException) { _socket = null; }
    }

    public void Send(LogLevel level, string message)
    {
        var now = DateTime.Now;
        // %h %e %T: the day is space-padded to two characters.
        string line = $"<{_facility | Severity(level)}>{now.ToString("MMM", CultureInfo.InvariantCulture)} {now.Day,2} {now.ToString("HH:mm:ss", CultureInfo.InvariantCulture)} {_ident}[{_pid}]: {message}";
        byte[] bytes = Encoding.UTF8.GetBytes(line);
        lock (_lock)
        {
            if (_socket is null) Open();
            try { _socket?.SendTo(bytes, _target); }
            catch (SocketException) { } // no daemon listening: the line is lost, as with libc
            catch (ObjectDisposedException) { }
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _socket?.Dispose();
            _socket = null;
        }
    }
}
