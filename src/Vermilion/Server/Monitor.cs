using System.Buffers;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text;
using Vermilion.Commands;
using Vermilion.Protocol;

namespace Vermilion.Server;

/// <summary>
/// What the operator sees of the commands that run: the tail of server.c call() (a latency
/// sample, the slow log, the MONITOR feed, the per-command latency histogram), the same for a
/// blocked command when it is served (blocked.c updateStatsOnUnblock), and MONITOR clients
/// (replication.c replicationFeedMonitors).
/// </summary>
public sealed partial class VermilionServer
{
    public readonly Slowlog Slowlog = new();
    public readonly LatencyMonitor LatencyEvents = new();
    readonly List<Client> _monitors = new();
    readonly ArrayBufferWriter<byte> _monitorLine = new(256);

    /// <summary>Stopwatch ticks are nanoseconds on Linux: a division by a constant (a multiply) there, a real division elsewhere.
    /// An instance field, not a static: reading it needs no class-initialization check.</summary>
    readonly bool _nanosecondTicks = Stopwatch.Frequency == 1_000_000_000;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal long Microseconds(long ticks) =>
        _nanosecondTicks ? ticks / 1000 : (long)(ticks * (1_000_000.0 / Stopwatch.Frequency));

    /// <summary>
    /// The shortest command (µs) that needs more than the histogram: the lower of the latency
    /// threshold and the slow log's; 0 while a monitor listens or the slow log is over its length;
    /// -1 (everything is) until <see cref="ObserveNotable"/> works it out again after a change.
    /// </summary>
    long _notableFromUs = -1;

    /// <summary>
    /// CONFIG SET of slowlog-log-slower-than, slowlog-max-len or latency-monitor-threshold, and
    /// MONITOR, change what is notable. Returns null: it is also those options' Apply (no error).
    /// </summary>
    internal string? ObservationSettingsChanged()
    {
        _notableFromUs = -1;
        return null;
    }

    long NotableFromUs()
    {
        if (_monitors.Count > 0) return 0;
        long from = long.MaxValue;
        long threshold = Config.LatencyMonitorThreshold;
        if (threshold > 0 && threshold < long.MaxValue / 1000) from = threshold * 1000;
        if (Config.SlowlogLogSlowerThan >= 0)
        {
            from = Math.Min(from, Config.SlowlogLogSlowerThan);
            if (Slowlog.Count > Config.SlowlogMaxLen) from = 0;
        }
        return from;
    }

    /// <summary>
    /// call() after the command ran: the "command"/"fast-command" latency sample, the slow log
    /// (deferred for a command that blocked), MONITOR, and the latency histogram (also deferred).
    /// Hot path: inlined into Execute, the common case is two compares and the histogram's
    /// increment; anything that happens (a spike, a slow command, a blocked command, a monitor)
    /// goes out of line to <see cref="ObserveNotable"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    void ObserveCall(Client c, CommandDef cmd, CommandArgs args, long ticks)
    {
        long us = Microseconds(ticks);
        if (us >= _notableFromUs || (c.Flags & ClientFlags.Blocked) != 0) ObserveNotable(c, cmd, args, us);
        else if (Config.LatencyTracking) (cmd.Latency ??= new()).RecordMicroseconds(us);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    void ObserveNotable(Client c, CommandDef cmd, CommandArgs args, long us)
    {
        if (LatencyMonitor.Over(Config, us / 1000))
            LatencyEvents.AddSample((cmd.Flags & CommandFlags.Fast) != 0 ? "fast-command" : "command", us / 1000, WallClockSeconds());
        if ((c.Flags & ClientFlags.Blocked) != 0)
        {
            c.BlockedCommandUs = us;
        }
        else
        {
            PushSlowlog(c, cmd, args, us);
            if (Config.LatencyTracking) (cmd.Latency ??= new()).RecordMicroseconds(us);
        }
        if (_monitors.Count > 0 && (cmd.Flags & (CommandFlags.SkipMonitor | CommandFlags.Admin)) == 0) FeedMonitors(c, c.DbIndex, cmd, args);
        // What was notable may have changed (a first call, new settings, the slow log trimmed).
        _notableFromUs = NotableFromUs();
    }

    /// <summary>slowlogPushCurrentCommand: SKIP_SLOWLOG commands (EXEC, the ones that carry secrets) are never logged.</summary>
    void PushSlowlog(Client c, CommandDef cmd, CommandArgs args, long us)
    {
        if (Config.SlowlogLogSlowerThan < 0 || (cmd.Flags & CommandFlags.SkipSlowlog) != 0) return;
        if (us >= Config.SlowlogLogSlowerThan || Slowlog.Count > Config.SlowlogMaxLen)
            Slowlog.PushIfNeeded(Config, c, cmd, args, us, WallClockSeconds());
    }

    /// <summary>
    /// updateStatsOnUnblock, for a blocked command that was served or CLIENT UNBLOCKed: its time
    /// is the first call's plus the time to serve it (not the time spent waiting), into the
    /// histogram and the slow log; the serving time is the "command-unblocking" latency event.
    /// </summary>
    internal void ObserveUnblocked(Client c, CommandDef cmd, CommandArgs args, long replyTicks)
    {
        long replyUs = Microseconds(replyTicks);
        long total = c.BlockedCommandUs + replyUs;
        if (Config.LatencyTracking) (cmd.Latency ??= new()).RecordMicroseconds(total);
        PushSlowlog(c, cmd, args, total);
        if (LatencyMonitor.Over(Config, replyUs / 1000)) LatencyEvents.AddSample("command-unblocking", replyUs / 1000, WallClockSeconds());
    }

    /// <summary>latencyAddSampleIfNeeded for the server's own work (expire-cycle, ...): milliseconds of <paramref name="ticks"/> against latency-monitor-threshold.</summary>
    internal void AddLatencySampleIfNeeded(string eventName, long ticks)
    {
        long ms = Microseconds(ticks) / 1000;
        if (LatencyMonitor.Over(Config, ms)) LatencyEvents.AddSample(eventName, ms, WallClockSeconds());
    }

    /// <summary>time(NULL), as slow log entries and latency samples are stamped.</summary>
    static long WallClockSeconds() => DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    /// <summary>monitorCommand: a client already monitoring gets no reply at all.</summary>
    internal void StartMonitor(Client c)
    {
        if ((c.Flags & ClientFlags.Monitor) != 0) return;
        c.Flags |= ClientFlags.Monitor;
        _monitors.Add(c);
        ObservationSettingsChanged();
        c.Reply.Ok();
    }

    /// <summary>RESET (clearClientConnectionState) and freeing a client end its monitoring.</summary>
    internal void StopMonitor(Client c)
    {
        if ((c.Flags & ClientFlags.Monitor) == 0) return;
        c.Flags &= ~ClientFlags.Monitor;
        _monitors.Remove(c);
        ObservationSettingsChanged();
    }

    /// <summary>
    /// replicationFeedMonitors: one line per command,
    /// <c>+1339518083.107412 [0 127.0.0.1:60866] "keys" "*"</c> (<c>[0 unix:/path]</c> from the unix
    /// socket, <c>[0 lua]</c> for a script's commands: pass a null <paramref name="source"/>), each
    /// argument quoted as sdscatrepr does, redacted ones as "(redacted)". Each monitor is checked
    /// against its output buffer limit (normal class, as getClientType treats a monitor), so one that
    /// never reads is cut alone.
    /// </summary>
    public void FeedMonitors(Client? source, int dbIndex, CommandDef cmd, CommandArgs args)
    {
        if (_monitors.Count == 0) return;
        var line = _monitorLine;
        line.ResetWrittenCount();
        long us = (DateTime.UtcNow - DateTime.UnixEpoch).Ticks / 10;
        Append(line, $"+{us / 1_000_000}.{us % 1_000_000:D6} [{dbIndex} ");
        if (source is null || (source.Flags & ClientFlags.Script) != 0) Append(line, "lua");
        else if (source.IsUnixSocket) Append(line, "unix:" + Config.UnixSocket);
        else Append(line, source.PeerId);
        Append(line, "] ");
        for (int j = 0; j < args.Count; j++)
        {
            if (j > 0) Append(line, " ");
            AppendRepr(line, IsRedacted(Config, cmd, args, j) ? "(redacted)"u8 : args[j]);
        }
        Append(line, "\r\n");
        for (int i = 0; i < _monitors.Count; i++)
        {
            var m = _monitors[i];
            if ((m.Flags & ClientFlags.CloseAsap) != 0 || m.IsFreed) continue;
            m.Reply.Raw(line.WrittenSpan);
            if (m.Reply.ListNodes > 0 && CheckOutputBufferLimits(m, async: true)) continue;
            if (m != CurrentClient) m.AfterCommands();
        }
    }

    static void Append(ArrayBufferWriter<byte> w, string ascii)
    {
        var span = w.GetSpan(ascii.Length);
        for (int i = 0; i < ascii.Length; i++) span[i] = (byte)ascii[i];
        w.Advance(ascii.Length);
    }

    static void Append(ArrayBufferWriter<byte> w, ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(w.GetSpan(bytes.Length));
        w.Advance(bytes.Length);
    }

    /// <summary>sdscatrepr: quoted; backslash and quote escaped, \n \r \t \a \b by name, other non-printable bytes as \xHH.</summary>
    internal static void AppendRepr(ArrayBufferWriter<byte> w, ReadOnlySpan<byte> s)
    {
        Append(w, "\"");
        foreach (byte b in s)
        {
            switch (b)
            {
                case (byte)'\\': Append(w, "\\\\"); break;
                case (byte)'"': Append(w, "\\\""); break;
                case (byte)'\n': Append(w, "\\n"); break;
                case (byte)'\r': Append(w, "\\r"); break;
                case (byte)'\t': Append(w, "\\t"); break;
                case 7: Append(w, "\\a"); break;
                case 8: Append(w, "\\b"); break;
                default:
                    if (b >= 0x20 && b < 0x7f) Append(w, [b]);
                    else Append(w, $"\\x{b:x2}");
                    break;
            }
        }
        Append(w, "\"");
    }

    /// <summary>
    /// Arguments Redis's commands redact (redactClientCommandArgument) so neither MONITOR nor the
    /// slow log shows them: AUTH's username and password (when it has at most three arguments),
    /// HELLO's AUTH username and password once the protocol version was accepted, every argument
    /// of ACL SETUSER from the username on (even when it fails), CONFIG SET's values of sensitive
    /// parameters (configSetCommand redacts them all before it checks any).
    /// </summary>
    internal static bool IsRedacted(Config config, CommandDef cmd, CommandArgs args, int j)
    {
        if (j == 0) return false;
        switch (cmd.FullName)
        {
            case "acl|setuser":
                return j >= 2;
            case "config|set":
                return j >= 3 && (j - 3) % 2 == 0 && config.Find(Encoding.Latin1.GetString(args[j - 1])) is { Sensitive: true };
            case "auth":
                return args.Count <= 3;
            case "hello":
                if (!IntegerText.TryParse(args[1], out long ver) || ver < 2 || ver > 3) return false;
                for (int i = 2; i < args.Count && i < j; i++)
                {
                    int more = args.Count - 1 - i;
                    if (args.Is(i, "auth") && more >= 2)
                    {
                        if (j == i + 1 || j == i + 2) return true;
                        i += 2;
                    }
                    else if (args.Is(i, "setname") && more >= 1) i++;
                    else return false;
                }
                return false;
            case "migrate":
                // migrateCommand redacts as it parses its options: AUTH's password, AUTH2's user and password.
                for (int i = 6; i < args.Count && i <= j; i++)
                {
                    if (args.Is(i, "auth") && i + 1 < args.Count)
                    {
                        if (j == i + 1) return true;
                        i++;
                    }
                    else if (args.Is(i, "auth2") && i + 2 < args.Count)
                    {
                        if (j == i + 1 || j == i + 2) return true;
                        i += 2;
                    }
                    else if (!args.Is(i, "copy") && !args.Is(i, "replace")) return false;
                }
                return false;
            default:
                return false;
        }
    }
}
