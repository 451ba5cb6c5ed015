using Vermilion.Commands;
using Vermilion.Protocol;
using Vermilion.Storage;

namespace Vermilion.Server;

/// <summary>A client's CLIENT TRACKING settings; null while tracking is off.</summary>
public sealed class TrackingState
{
    public long RedirectId;          // 0: invalidations go to the client itself
    public bool Bcast, OptIn, OptOut, NoLoop;
    public bool RedirectBroken;
    /// <summary>CLIENT CACHING YES/NO: applies to the next command only.</summary>
    public bool CachingYes, CachingNo;
    public readonly List<byte[]> Prefixes = new();
}

/// <summary>
/// Server-assisted client-side caching, as Redis's tracking.c. Default mode: the keys a tracking
/// client reads are remembered (one table for all databases, as Redis), and the first write,
/// expiry or eviction of such a key sends the client one invalidation and forgets the key. BCAST
/// mode: clients register prefixes, and every modified key under a prefix is collected and sent
/// once per event-loop turn. Messages go as RESP3 pushes, or to a REDIRECT client: as a push if
/// it speaks RESP3, or as a message on __redis__:invalidate if it subscribed there in RESP2.
/// Keys are recognised per command through its key specifications (see Transactions.cs).
/// </summary>
public sealed partial class VermilionServer
{
    static readonly byte[] s_invalidateChannel = "__redis__:invalidate"u8.ToArray();

    readonly Dictionary<byte[], HashSet<long>> _trackingTable = new(ByteKeyComparer.Instance);
    /// <summary>BCAST prefix → subscribed clients and the keys modified under it since the last flush (with who modified them, for NOLOOP).</summary>
    readonly Dictionary<byte[], (HashSet<Client> Clients, List<(byte[] Key, Client? By)> Pending)> _bcastPrefixes = new(ByteKeyComparer.Instance);
    /// <summary>tracking_pending_keys: invalidations for the client whose command is running, sent after its reply (null: a flush).</summary>
    readonly List<byte[]?> _ownInvalidations = new();
    readonly List<KeyReference> _readKeys = new();
    public int TrackingClients { get; private set; }
    public int TrackingTotalKeys => _trackingTable.Count;
    public long TrackingTotalItems { get { long n = 0; foreach (var ids in _trackingTable.Values) n += ids.Count; return n; } }
    public int TrackingTotalPrefixes => _bcastPrefixes.Count;

    /// <summary>enableTracking: the flags are replaced; BCAST prefixes add to those the client already has.</summary>
    public void EnableTracking(Client c, TrackingState state)
    {
        if (c.Tracking is null) TrackingClients++;
        else if (c.Tracking.Bcast)
            foreach (var prefix in c.Tracking.Prefixes)
                if (Subscriptions.IndexOf(state.Prefixes, prefix) < 0) state.Prefixes.Add(prefix);
        c.Tracking = state;
        if (!state.Bcast) return;
        if (state.Prefixes.Count == 0) state.Prefixes.Add([]);
        foreach (var prefix in state.Prefixes)
        {
            if (!_bcastPrefixes.TryGetValue(prefix, out var entry)) _bcastPrefixes[prefix] = entry = (new(), new());
            entry.Clients.Add(c);
        }
    }

    public void DisableTracking(Client c)
    {
        if (c.Tracking is null) return;
        if (c.Tracking.Bcast) RemoveBcastPrefixes(c);
        c.Tracking = null;
        TrackingClients--;
    }

    void RemoveBcastPrefixes(Client c)
    {
        foreach (var prefix in c.Tracking!.Prefixes)
        {
            if (!_bcastPrefixes.TryGetValue(prefix, out var entry)) continue;
            entry.Clients.Remove(c);
            if (entry.Clients.Count == 0) _bcastPrefixes.Remove(prefix);
        }
    }

    /// <summary>trackingRememberKeys: after a read-only command of a tracking client (default mode, subject to OPTIN/OPTOUT).</summary>
    void RememberReadKeys(Client c, CommandDef cmd, CommandArgs args)
    {
        var t = c.Tracking!;
        if (t.Bcast || (t.OptIn && !t.CachingYes) || (t.OptOut && t.CachingNo)) return;
        if (!KeyFinder.FindKeys(cmd, new Argv(args), _readKeys)) return;
        var lookup = _trackingTable.GetAlternateLookup<ReadOnlySpan<byte>>();
        foreach (var key in _readKeys)
        {
            var name = args[key.Position];
            // The key's bytes are copied only when the table first stores it.
            if (!lookup.TryGetValue(name, out var ids)) _trackingTable[name.ToArray()] = ids = new();
            ids.Add(c.Id);
        }
    }

    /// <summary>trackingInvalidateKey: a key changed (written, expired, evicted). <paramref name="by"/> is the writing client, if any.</summary>
    public void InvalidateTrackedKey(ReadOnlySpan<byte> key, Client? by)
    {
        if (TrackingClients == 0) return;
        foreach (var (prefix, entry) in _bcastPrefixes)
            if (key.StartsWith(prefix)) entry.Pending.Add((key.ToArray(), by));
        if (_trackingTable.Count == 0) return;
        var lookup = _trackingTable.GetAlternateLookup<ReadOnlySpan<byte>>();
        if (!lookup.Remove(key, out var storedKey, out var ids)) return;
        // A script's write is its caller's (server.current_client): NOLOOP and the held-back own invalidation are the caller's.
        by = RequestingClient(by);
        var current = RequestingClient(CurrentClient);
        foreach (long id in ids)
        {
            var target = FindClient(id);
            if (target?.Tracking is not { Bcast: false } t) continue;
            if (t.NoLoop && target == by) continue;
            // The writer's own invalidation follows its reply (and a whole EXEC's), as Redis holds it until the command is done.
            if (target == current) _ownInvalidations.Add(storedKey);
            else SendInvalidation(target, [storedKey]);
        }
    }

    /// <summary>
    /// After each command: the running client's own invalidations (trackingHandlePendingKeyInvalidations,
    /// from afterCommand: only at the top-level call, so none lands inside EXEC's array), one message
    /// per key as Redis sends them; and the end of CLIENT CACHING's one-command scope.
    /// </summary>
    void AfterTrackedCommand(Client c, CommandDef cmd)
    {
        if ((c.Flags & ClientFlags.InExec) == 0) FlushOwnInvalidations(c);
        if (c.Tracking is { } t && cmd.FullName != "client|caching") t.CachingYes = t.CachingNo = false;
    }

    /// <summary>trackingHandlePendingKeyInvalidations: what the client's command (or its served blocked command) invalidated for itself.</summary>
    void FlushOwnInvalidations(Client c)
    {
        if (_ownInvalidations.Count == 0) return;
        if (!c.IsFreed && c.Tracking is not null)
            foreach (var key in _ownInvalidations) SendInvalidation(c, key is null ? null : [key]);
        _ownInvalidations.Clear();
    }

    /// <summary>
    /// trackingInvalidateKeysOnFlush: every tracking client hears "everything is gone" (a null key list), and
    /// the table is emptied even with no tracking client left (keys remembered for clients that have since
    /// turned tracking off stay in it until then, and count in tracking_total_items).
    /// </summary>
    public void InvalidateAllTracking()
    {
        if (TrackingClients > 0)
        {
            foreach (var c in Clients)
            {
                if (c.Tracking is null) continue;
                if (c == CurrentClient) _ownInvalidations.Add(null); // after its reply, as the keys' own
                else SendInvalidation(c, null);
            }
        }
        _trackingTable.Clear();
    }

    /// <summary>trackingBroadcastInvalidationMessages, before sleep: one message per BCAST client and prefix with the keys collected.</summary>
    internal void FlushBroadcastInvalidations()
    {
        if (_bcastPrefixes.Count == 0) return;
        foreach (var (_, entry) in _bcastPrefixes)
        {
            if (entry.Pending.Count == 0) continue;
            foreach (var c in entry.Clients)
            {
                var keys = new List<byte[]>(entry.Pending.Count);
                foreach (var (key, by) in entry.Pending)
                    if (!(c.Tracking!.NoLoop && by == c)) keys.Add(key);
                if (keys.Count > 0) SendInvalidation(c, keys);
            }
            entry.Pending.Clear();
        }
    }

    /// <summary>trackingLimitUsedSlots, from serverCron: past tracking-table-max-keys, forget keys (invalidating them) until under it.</summary>
    internal void LimitTrackingTable()
    {
        long max = Config.TrackingTableMaxKeys;
        if (max == 0 || _trackingTable.Count <= max) return;
        int budget = 100;
        while (_trackingTable.Count > max && budget-- > 0)
        {
            byte[]? victim = null;
            foreach (var key in _trackingTable.Keys)
            {
                victim = key;
                break;
            }
            InvalidateTrackedKey(victim!, null);
        }
    }

    /// <summary>sendTrackingMessage: to the client or its redirect target; null keys = flush.</summary>
    void SendInvalidation(Client c, List<byte[]>? keys)
    {
        var t = c.Tracking!;
        var target = c;
        if (t.RedirectId != 0)
        {
            target = FindClient(t.RedirectId)!;
            if (target is null)
            {
                // The redirect client is gone: a RESP3 client is told once; invalidations are lost.
                if (!t.RedirectBroken && c.Resp == 3)
                {
                    using (new Pushing(c))
                    {
                        c.Reply.PushHeader(2);
                        c.Reply.Bulk("tracking-redir-broken"u8);
                        c.Reply.Integer(t.RedirectId);
                    }
                    Delivered(c);
                }
                t.RedirectBroken = true;
                return;
            }
        }
        // RESP2 can only receive invalidations as a pub/sub message on __redis__:invalidate.
        if (target.Resp != 3 && (target.Subscriptions is null || Subscriptions.IndexOf(target.Subscriptions.Channels, s_invalidateChannel) < 0)) return;
        using (new Pushing(target))
        {
            if (target.Resp == 3)
            {
                target.Reply.PushHeader(2);
                target.Reply.Bulk("invalidate"u8);
            }
            else
            {
                target.Reply.ArrayHeader(3);
                target.Reply.Bulk("message"u8);
                target.Reply.Bulk(s_invalidateChannel);
            }
            // Redis writes the flush's null in the tracking client's protocol, even to a RESP2 redirect target.
            if (keys is null) target.Reply.Raw(c.Resp == 3 ? "_\r\n"u8 : "$-1\r\n"u8);
            else
            {
                target.Reply.ArrayHeader(keys.Count);
                foreach (var key in keys) target.Reply.Bulk(key);
            }
        }
        Delivered(target);
    }
}
