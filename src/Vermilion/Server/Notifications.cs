using System.Runtime.CompilerServices;
using System.Text;
using Vermilion.Storage;

namespace Vermilion.Server;

/// <summary>notify-keyspace-events classes (Redis's NOTIFY_* bits).</summary>
[Flags]
public enum NotifyFlags
{
    None = 0,
    Keyspace = 1 << 0,  // K
    Keyevent = 1 << 1,  // E
    Generic = 1 << 2,   // g
    String = 1 << 3,    // $
    List = 1 << 4,      // l
    Set = 1 << 5,       // s
    Hash = 1 << 6,      // h
    ZSet = 1 << 7,      // z
    Expired = 1 << 8,   // x
    Evicted = 1 << 9,   // e
    Stream = 1 << 10,   // t
    KeyMiss = 1 << 11,  // m
    Module = 1 << 12,   // d
    New = 1 << 13,      // n
    All = Generic | String | List | Set | Hash | ZSet | Expired | Evicted | Stream | Module, // A
}

/// <summary>
/// Keyspace notifications, as Redis's notify.c: each change a command makes is published as
/// "__keyspace@db__:key" → event and "__keyevent@db__:event" → key, when the configured classes
/// include the event's class and K or E. Channel names are built in a reused buffer, so a server
/// with notifications off pays one flag test per event.
/// </summary>
public sealed partial class VermilionServer
{
    byte[] _channelScratch = new byte[256];

    /// <summary>
    /// dbDelete: a deletion the server makes (an emptied collection, an empty STORE result): gone,
    /// and notified as "del"; lazyfree-lazy-server-del frees a big value in the background (Server/LazyFree.cs).
    /// </summary>
    public bool DeleteKey(Db db, ReadOnlySpan<byte> key) => DeleteKey(db, key, Config.LazyfreeLazyServerDel);

    /// <summary>notifyKeyspaceEvent.</summary>
    // Every write calls this, and nearly always nothing listens: the check is inlined into the
    // caller, the publishing is not (measured: the call alone was ~1% of a script of INCRs).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Notify(NotifyFlags type, string @event, Db db, ReadOnlySpan<byte> key)
    {
        var flags = Config.NotifyKeyspaceEvents;
        if ((flags & type) != 0 && (flags & (NotifyFlags.Keyspace | NotifyFlags.Keyevent)) != 0) PublishKeyspaceEvent(flags, @event, db, key);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    void PublishKeyspaceEvent(NotifyFlags flags, string @event, Db db, ReadOnlySpan<byte> key)
    {
        Span<byte> eventBytes = stackalloc byte[Encoding.ASCII.GetByteCount(@event)];
        Encoding.ASCII.GetBytes(@event, eventBytes);
        Span<byte> dbDigits = stackalloc byte[11];
        db.Id.TryFormat(dbDigits, out int dbLength);
        if ((flags & NotifyFlags.Keyspace) != 0)
            Publish(Channel("__keyspace@"u8, dbDigits[..dbLength], key), eventBytes);
        if ((flags & NotifyFlags.Keyevent) != 0)
            Publish(Channel("__keyevent@"u8, dbDigits[..dbLength], eventBytes), key);
    }

    ReadOnlySpan<byte> Channel(ReadOnlySpan<byte> head, ReadOnlySpan<byte> db, ReadOnlySpan<byte> tail)
    {
        int length = head.Length + db.Length + 3 + tail.Length;
        if (_channelScratch.Length < length) _channelScratch = new byte[Math.Max(length, _channelScratch.Length * 2)];
        var span = _channelScratch.AsSpan();
        head.CopyTo(span);
        db.CopyTo(span[head.Length..]);
        "__:"u8.CopyTo(span[(head.Length + db.Length)..]);
        tail.CopyTo(span[(head.Length + db.Length + 3)..]);
        return span[..length];
    }

    const string ClassCharacters = "g$lshzxetdn";
    static readonly NotifyFlags[] s_classFlags =
    [
        NotifyFlags.Generic, NotifyFlags.String, NotifyFlags.List, NotifyFlags.Set, NotifyFlags.Hash, NotifyFlags.ZSet,
        NotifyFlags.Expired, NotifyFlags.Evicted, NotifyFlags.Stream, NotifyFlags.Module, NotifyFlags.New,
    ];

    /// <summary>keyspaceEventsStringToFlags; null for a character Redis does not know.</summary>
    public static NotifyFlags? ParseNotifyFlags(string text)
    {
        var flags = NotifyFlags.None;
        foreach (char ch in text)
        {
            int i = ClassCharacters.IndexOf(ch);
            if (i >= 0) flags |= s_classFlags[i];
            else if (ch == 'A') flags |= NotifyFlags.All;
            else if (ch == 'K') flags |= NotifyFlags.Keyspace;
            else if (ch == 'E') flags |= NotifyFlags.Keyevent;
            else if (ch == 'm') flags |= NotifyFlags.KeyMiss;
            else return null;
        }
        return flags;
    }

    /// <summary>keyspaceEventsFlagsToString: "A" or the classes in Redis's order, then K, E, m.</summary>
    public static string FormatNotifyFlags(NotifyFlags flags)
    {
        var sb = new StringBuilder();
        if ((flags & NotifyFlags.All) == NotifyFlags.All)
        {
            sb.Append('A'); // and 'n' is not shown, as Redis 7.0 drops it here
        }
        else
            for (int i = 0; i < s_classFlags.Length; i++)
                if ((flags & s_classFlags[i]) != 0) sb.Append(ClassCharacters[i]);
        if ((flags & NotifyFlags.Keyspace) != 0) sb.Append('K');
        if ((flags & NotifyFlags.Keyevent) != 0) sb.Append('E');
        if ((flags & NotifyFlags.KeyMiss) != 0) sb.Append('m');
        return sb.ToString();
    }
}
