using System.Text;
using Vermilion.Commands;
using Vermilion.Protocol;

namespace Vermilion.Server;

/// <summary>
/// slowlog.c: the commands that ran at least slowlog-log-slower-than microseconds, newest first,
/// at most slowlog-max-len of them. An entry copies what it shows (the arguments, trimmed, the
/// client's address and name), so it outlives the request and the client.
/// </summary>
public sealed class Slowlog
{
    /// <summary>SLOWLOG_ENTRY_MAX_ARGC: the last kept argument says how many more there were.</summary>
    public const int MaxArguments = 32;
    /// <summary>SLOWLOG_ENTRY_MAX_STRING: longer arguments keep this many bytes and say how many more.</summary>
    public const int MaxArgumentBytes = 128;

    public sealed record Entry(long Id, long UnixTime, long DurationUs, byte[][] Arguments, string Peer, string ClientName);

    /// <summary>Newest first (Redis adds at the list's head and trims its tail).</summary>
    readonly LinkedList<Entry> _entries = new();
    long _nextId;

    public int Count => _entries.Count;
    public IEnumerable<Entry> NewestFirst => _entries;

    /// <summary>
    /// slowlogPushEntryIfNeeded: logs the command when it took long enough, then trims to
    /// slowlog-max-len (so lowering the limit takes effect at the next command, as in Redis).
    /// Arguments a command redacts (AUTH's password) show as "(redacted)".
    /// </summary>
    public void PushIfNeeded(Config config, Client c, CommandDef cmd, CommandArgs args, long durationUs, long unixTime)
    {
        if (config.SlowlogLogSlowerThan < 0) return;
        if (durationUs >= config.SlowlogLogSlowerThan)
            _entries.AddFirst(new Entry(_nextId++, unixTime, durationUs, Arguments(config, cmd, args), c.PeerId, c.NameOrEmpty));
        while (_entries.Count > config.SlowlogMaxLen) _entries.RemoveLast();
    }

    public void Reset() => _entries.Clear();

    /// <summary>slowlogCreateEntry's argument vector: 32 arguments at most, each at most 128 bytes, with a note of what was cut.</summary>
    static byte[][] Arguments(Config config, CommandDef cmd, CommandArgs args)
    {
        int argc = args.Count, kept = Math.Min(argc, MaxArguments);
        var result = new byte[kept][];
        for (int j = 0; j < kept; j++)
        {
            if (kept != argc && j == kept - 1)
                result[j] = Encoding.ASCII.GetBytes($"... ({argc - kept + 1} more arguments)");
            else if (VermilionServer.IsRedacted(config, cmd, args, j))
                result[j] = "(redacted)"u8.ToArray();
            else if (args.Length(j) > MaxArgumentBytes)
            {
                var tail = Encoding.ASCII.GetBytes($"... ({args.Length(j) - MaxArgumentBytes} more bytes)");
                result[j] = [.. args[j][..MaxArgumentBytes], .. tail];
            }
            else result[j] = args.ToArray(j);
        }
        return result;
    }
}
