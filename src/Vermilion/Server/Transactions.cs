using Vermilion.Commands;
using Vermilion.Protocol;
using Vermilion.Storage;

namespace Vermilion.Server;

/// <summary>A client's MULTI: the queued commands and whether an error at queue time already doomed EXEC.</summary>
public sealed class MultiState
{
    public readonly List<(CommandDef Command, byte[][] Argv)> Queued = new();
    public bool Aborted;
    public long QueuedBytes;
    /// <summary>mstate.cmd_flags: the union of the queued commands' flags (CLIENT PAUSE WRITE holds back an EXEC with writes).</summary>
    public CommandFlags QueuedFlags;
}

/// <summary>A WATCHed key: its database, and whether it had a deadline still ahead when watched (expiry then counts as a change).</summary>
public sealed record WatchedKey(Db Db, byte[] Key, bool LiveWithDeadline)
{
    /// <summary>watchedKey.expired: the key was there but already expired at WATCH; deleting it then changes nothing logically.</summary>
    public bool ExpiredAtWatch;
}

/// <summary>
/// MULTI/EXEC/WATCH as Redis's multi.c. Commands sent inside MULTI are checked (existence, arity,
/// OOM, subscribed mode) and queued; an error at that point makes EXEC answer EXECABORT. EXEC
/// runs the queue without interleaving and without rolling back runtime errors. WATCH marks a
/// client dirty (EXEC answers a null array) when a watched key is written by anyone, evicted,
/// expires, or goes with FLUSHDB/FLUSHALL/SWAPDB. A write is recognised per command: after a
/// write command that did not fail and changed the dataset (moved dirty), each key its key
/// specifications mark as written counts as modified (Redis signals from inside each command
/// where it counts the change, so SETNX on an existing key dirties no watcher in either).
/// </summary>
public sealed partial class VermilionServer
{
    /// <summary>Per database: key → clients watching it.</summary>
    readonly Dictionary<int, Dictionary<byte[], List<Client>>> _watchedKeys = new();
    int _watchingClients;
    readonly List<KeyReference> _writtenKeys = new();

    public void Watch(Client c, ReadOnlySpan<byte> key)
    {
        var db = c.Db;
        c.Watched ??= new();
        foreach (var w in c.Watched) if (w.Db == db && w.Key.AsSpan().SequenceEqual(key)) return;
        var copy = key.ToArray();
        // watchForKey only asks whether the key has expired (keyIsExpired): it deletes nothing.
        bool live = db.IsLive(copy);
        c.Watched.Add(new WatchedKey(db, copy, live && db.GetExpire(copy) != -1) { ExpiredAtWatch = !live && db.Keys.Find(copy) >= 0 });
        if (!_watchedKeys.TryGetValue(db.Id, out var byKey)) _watchedKeys[db.Id] = byKey = new(ByteKeyComparer.Instance);
        if (!byKey.TryGetValue(copy, out var clients)) byKey[copy] = clients = new();
        clients.Add(c);
        if (c.Watched.Count == 1) _watchingClients++;
    }

    public void UnwatchAll(Client c)
    {
        if (c.Watched is null) return;
        foreach (var w in c.Watched)
        {
            if (!_watchedKeys.TryGetValue(w.Db.Id, out var byKey) || !byKey.TryGetValue(w.Key, out var clients)) continue;
            clients.Remove(c);
            if (clients.Count == 0) byKey.Remove(w.Key);
        }
        c.Watched = null;
        c.Flags &= ~ClientFlags.DirtyCas;
        _watchingClients--;
    }

    /// <summary>touchWatchedKey: every client watching the key in this database must fail its EXEC.</summary>
    public void TouchWatchedKey(Db db, ReadOnlySpan<byte> key)
    {
        if (_blockedOnStreams > 0) SignalStreamKeyGone(db, key);
        if (_watchingClients == 0 || !_watchedKeys.TryGetValue(db.Id, out var byKey)) return;
        if (!byKey.GetAlternateLookup<ReadOnlySpan<byte>>().TryGetValue(key, out var clients)) return;
        foreach (var c in clients)
        {
            // A key that had already expired when it was watched, now deleted (its expiry noticed, or a
            // DEL of it): logically nothing changed, so EXEC still runs; the flag is cleared.
            if (WatchedEntry(c, db, key) is { ExpiredAtWatch: true } w && db.Keys.Find(key) < 0)
            {
                w.ExpiredAtWatch = false;
                continue;
            }
            c.Flags |= ClientFlags.DirtyCas;
        }
    }

    static WatchedKey? WatchedEntry(Client c, Db db, ReadOnlySpan<byte> key)
    {
        foreach (var w in c.Watched!) if (w.Db == db && w.Key.AsSpan().SequenceEqual(key)) return w;
        return null;
    }

    /// <summary>
    /// touchAllWatchedKeysInDb, before FLUSHDB/FLUSHALL empties <paramref name="emptied"/> or SWAPDB
    /// exchanges it with <paramref name="swappedWith"/>: watched keys that exist on either side change.
    /// </summary>
    public void TouchAllWatchedKeysInDb(Db emptied, Db? swappedWith = null)
    {
        if (_blockedOnStreams > 0)
        {
            SignalStreamsGoing(emptied, swappedWith);
            if (swappedWith is not null) SignalStreamsGoing(swappedWith, emptied);
        }
        if (_watchingClients == 0) return;
        foreach (var db in swappedWith is null ? [emptied] : new[] { emptied, swappedWith })
        {
            if (!_watchedKeys.TryGetValue(db.Id, out var byKey)) continue;
            foreach (var (key, clients) in byKey)
            {
                if (!emptied.IsLive(key) && (swappedWith is null || !swappedWith.IsLive(key))) continue;
                foreach (var c in clients) c.Flags |= ClientFlags.DirtyCas;
            }
        }
    }

    /// <summary>Set by a command that calls <see cref="SignalModifiedKey"/> itself, so Execute skips the key-spec guess.</summary>
    bool _commandSignalsOwnKeys;

    /// <summary>
    /// For a write command whose keys change only on some paths (SMOVE touches its destination only
    /// when the member was added, as Redis's smoveCommand): it signals each modified key itself.
    /// </summary>
    public void SignalsOwnKeys() => _commandSignalsOwnKeys = true;

    /// <summary>signalModifiedKey: watchers of the key fail their EXEC, trackers hear an invalidation.</summary>
    public void SignalModifiedKey(Client c, ReadOnlySpan<byte> key)
    {
        TouchWatchedKey(c.Db, key);
        InvalidateTrackedKey(key, c);
    }

    /// <summary>After a write command that did not fail: its written keys count as modified (WATCH, client tracking).</summary>
    void TouchWrittenKeys(Client c, CommandDef cmd, CommandArgs args)
    {
        if (!KeyFinder.FindKeys(cmd, new Argv(args), _writtenKeys)) return;
        foreach (var key in _writtenKeys)
            if ((key.Flags & (KeySpecFlags.RW | KeySpecFlags.OW | KeySpecFlags.RM)) != 0)
            {
                TouchWatchedKey(c.Db, args[key.Position]);
                InvalidateTrackedKey(args[key.Position], c);
            }
    }

    /// <summary>Expiry and eviction change a key as a write does (signalModifiedKey), are notified, and propagate as a DEL.</summary>
    void OnKeyRemoved(Db db, ReadOnlySpan<byte> key, KeyRemoval why)
    {
        if (why == KeyRemoval.Expired) Notify(NotifyFlags.Expired, "expired", db, key);
        else Notify(NotifyFlags.Evicted, "evicted", db, key);
        TouchWatchedKey(db, key);
        InvalidateTrackedKey(key, null);
        PropagateDeletion(db, key, why);
    }

    /// <summary>dbAdd: clients blocked on the key may be served, and the "new" event goes out.</summary>
    void OnKeyAdded(Db db, ReadOnlySpan<byte> key)
    {
        SignalKeyAsReady(db, key);
        Notify(NotifyFlags.New, "new", db, key);
    }

    /// <summary>isWatchedKeyExpired: a key with a deadline ahead when watched that has since expired.</summary>
    static bool AnyWatchedKeyExpired(Client c)
    {
        if (c.Watched is null) return false;
        foreach (var w in c.Watched)
            if (w.LiveWithDeadline && !w.Db.IsLive(w.Key)) return true;
        return false;
    }

    /// <summary>queueMultiCommand: keep a copy of the arguments; EXEC runs them later.</summary>
    void QueueCommand(Client c, CommandDef cmd, CommandArgs args)
    {
        var argv = new byte[args.Count][];
        for (int i = 0; i < argv.Length; i++)
        {
            argv[i] = args.ToArray(i);
            c.Multi!.QueuedBytes += argv[i].Length;
        }
        c.Multi!.Queued.Add((cmd, argv));
        c.Multi.QueuedFlags |= CommandFlagsOf(cmd, args);
        c.Reply.Simple("QUEUED"u8);
    }

    public void DiscardTransaction(Client c)
    {
        c.Multi = null;
        c.Flags &= ~ClientFlags.Multi;
        UnwatchAll(c);
    }

    readonly CommandArgs _execArgs = new();

    /// <summary>execCommand: EXECABORT, a null array for a dirty WATCH, or every queued command's reply in one array.</summary>
    internal void Exec(Client c)
    {
        var multi = c.Multi;
        if (multi is null)
        {
            c.Reply.Error("EXEC without MULTI");
            return;
        }
        if (multi.Aborted)
        {
            DiscardTransaction(c);
            c.Reply.ErrorRaw("-EXECABORT Transaction discarded because of previous errors.\r\n"u8);
            return;
        }
        if ((c.Flags & ClientFlags.DirtyCas) != 0 || AnyWatchedKeyExpired(c))
        {
            DiscardTransaction(c);
            c.Reply.NullArray();
            return;
        }
        UnwatchAll(c);
        c.Reply.ArrayHeader(multi.Queued.Count);
        c.Flags |= ClientFlags.InExec;
        foreach (var (cmd, argv) in multi.Queued)
        {
            _execArgs.SetAll(argv);
            Execute(c, cmd, _execArgs);
        }
        c.Flags &= ~ClientFlags.InExec;
        c.Multi = null;
        c.Flags &= ~ClientFlags.Multi;
    }
}
