using Vermilion.Commands;
using Vermilion.Net;
using Vermilion.Protocol;
using Vermilion.Server;
using Vermilion.Storage;

namespace Vermilion.Cluster;

/// <summary>getNodeByQuery's outcomes (cluster.h CLUSTER_REDIR_*).</summary>
public enum Redirect { None, CrossSlot, Unstable, Ask, Moved, DownState, DownReadOnlyState, DownUnbound }

/// <summary>
/// Where a request's keys live (cluster.c getNodeByQuery, clusterRedirectClient): processCommand
/// asks before a command with keys runs, EXEC for its whole queue.
/// </summary>
public sealed partial class ClusterState
{
    readonly List<KeyReference> _keys = new();
    bool _routedKeys;

    /// <summary>c->slot: the slot of the keys of the command running now (-1: none); a script's commands must stay in it.</summary>
    public int RoutedSlot { get; private set; } = -1;
    /// <summary>Whether the running command's client had sent ASKING (a script's commands inherit it).</summary>
    public bool RoutedAsking { get; private set; }

    /// <summary>
    /// scriptVerifyClusterState: a command a script runs must be served here (else the script gets
    /// an error), and unless the script may cross slots, stay in the slot of the keys it declared or
    /// first touched. Null when it may run.
    /// </summary>
    public string? ScriptCommandRefusal(Client caller, CommandDef cmd, CommandArgs args, bool allowCrossSlot)
    {
        if ((caller.Flags & ClientFlags.Master) != 0 || caller.Id == -1) return null;
        var node = NodeForQuery(caller, cmd, args, RoutedAsking, out int slot, out var redirect);
        if (node != Myself || redirect != Redirect.None)
        {
            return redirect switch
            {
                Redirect.DownReadOnlyState => "Script attempted to execute a write command while the cluster is down and readonly",
                Redirect.DownState => "Script attempted to execute a command while the cluster is down",
                _ => "Script attempted to access a non local key in a cluster node",
            };
        }
        if (_routedKeys && !allowCrossSlot)
        {
            if (RoutedSlot == -1) RoutedSlot = slot;
            else if (RoutedSlot != slot) return "Script attempted to access keys that do not hash to the same slot";
        }
        return null;
    }
    readonly CommandArgs _queuedArgs = new();
    // getNodeByQuery's firstkey: copied, since EXEC reuses _queuedArgs for each queued command;
    // into a buffer kept between requests so routing allocates nothing.
    byte[] _firstKey = new byte[64];
    int _firstKeyLength;

    void KeepFirstKey(ReadOnlySpan<byte> key)
    {
        // A huge key's buffer is not kept once keys are short again.
        if (key.Length > _firstKey.Length || (_firstKey.Length > 4096 && key.Length <= 64)) _firstKey = new byte[Math.Max(key.Length, 64)];
        key.CopyTo(_firstKey);
        _firstKeyLength = key.Length;
    }

    /// <summary>
    /// processCommand's cluster step: null when the command may run here, else the error to
    /// answer (MOVED, ASK, CROSSSLOT, TRYAGAIN, CLUSTERDOWN). Not for the primary's or the AOF's
    /// commands (mustObeyClient), nor a command without keys (other than EXEC). ASKING lasts
    /// one command, or a whole transaction (resetClient).
    /// </summary>
    public string? Route(Client c, CommandDef cmd, CommandArgs args)
    {
        bool asking = (c.Flags & ClientFlags.Asking) != 0;
        RoutedSlot = -1;
        RoutedAsking = asking;
        if (asking && c.Multi is null && cmd.FullName != "asking") c.Flags &= ~ClientFlags.Asking;
        if ((c.Flags & ClientFlags.Master) != 0 || c.Id == -1) return null;
        bool exec = cmd.FullName == "exec";
        if ((cmd.Flags & CommandFlags.MovableKeys) == 0 && cmd.Spec.KeySpecs.Length == 0 && !exec) return null;
        var node = NodeForQuery(c, cmd, args, asking, out int slot, out var redirect);
        if (node == Myself && redirect == Redirect.None)
        {
            RoutedSlot = _routedKeys ? slot : -1;
            return null;
        }
        return RedirectError(node, slot, redirect, PlaintextPortFor(c));
    }

    /// <summary>
    /// use_pport: in a TLS cluster (tls-cluster yes, where a node's port is its TLS port) a client
    /// on a plaintext connection is shown the nodes' plaintext ports, in CLUSTER NODES, SLOTS,
    /// REPLICAS and MOVED/ASK, so it can follow them.
    /// </summary>
    public bool PlaintextPortFor(Client c) => Config.TlsCluster && c.Conn is { Type: not TlsConnectionType };

    /// <summary>A node's client port as <paramref name="plaintextPort"/> asks (the TLS port when it has no plaintext one).</summary>
    public static int PortFor(ClusterNode n, bool plaintextPort) => plaintextPort && n.PPort != 0 ? n.PPort : n.Port;

    /// <summary>
    /// getNodeByQuery: the node that serves every key of the request (myself for none), or null
    /// with the reason. A transaction is checked whole at EXEC.
    /// </summary>
    public ClusterNode? NodeForQuery(Client c, CommandDef cmd, CommandArgs args, bool asking, out int slot, out Redirect redirect)
    {
        redirect = Redirect.None;
        slot = 0;
        _routedKeys = false;
        ClusterNode? n = null;
        bool haveFirstKey = false;
        bool multipleKeys = false, migrating = false, importing = false;
        int missing = 0, existing = 0;
        bool exec = cmd.FullName == "exec";
        if (exec && c.Multi is null) return Myself;
        bool pubsubShard = cmd.FullName is "ssubscribe" or "sunsubscribe" or "spublish";
        int count = exec ? c.Multi!.Queued.Count : 1;
        for (int i = 0; i < count; i++)
        {
            var mcmd = cmd;
            var margs = args;
            if (exec)
            {
                (mcmd, var argv) = c.Multi!.Queued[i];
                _queuedArgs.SetAll(argv);
                margs = _queuedArgs;
            }
            KeysOf(mcmd, margs);
            foreach (var k in _keys)
            {
                var key = margs[k.Position];
                int thisSlot = SlotIndex.KeyHashSlot(key);
                if (!haveFirstKey)
                {
                    haveFirstKey = true;
                    KeepFirstKey(key);
                    slot = thisSlot;
                    // Myself's 2 KB slot bitmap answers for the slots served here without a cache
                    // miss in the 128 KB owner table (AddSlot/DeleteSlot keep the two in step).
                    n = Myself.OwnsSlot(slot) ? Myself : SlotOwners[slot];
                    if (n is null)
                    {
                        redirect = Redirect.DownUnbound;
                        return null;
                    }
                    if (MigratingTo.Count + ImportingFrom.Count > 0)
                    {
                        if (n == Myself && MigratingTo[slot] is not null) migrating = true;
                        else if (ImportingFrom[slot] is not null) importing = true;
                    }
                }
                else if (!key.SequenceEqual(_firstKey.AsSpan(0, _firstKeyLength)))
                {
                    if (slot != thisSlot)
                    {
                        redirect = Redirect.CrossSlot;
                        return null;
                    }
                    multipleKeys = true;
                }
                // A shard channel keeps being served by the source until the slot's migration ends.
                if ((migrating || importing) && !pubsubShard)
                {
                    if (Db.IsLive(key)) existing++;
                    else missing++;
                }
            }
        }
        if (n is null) return Myself;
        _routedKeys = true;
        var flags = cmd.Flags;
        // getCommandFlags: a script that declared flags without no-writes is a write.
        if (cmd.FullName is "eval" or "evalsha" or "fcall" && _server.ScriptMayWrite(cmd, args, compatWrites: false)) flags |= CommandFlags.Write;
        bool isWrite = (flags & CommandFlags.Write) != 0 || (exec && (c.Multi!.QueuedFlags & CommandFlags.Write) != 0);
        if (State != ClusterHealth.Ok)
        {
            if (pubsubShard)
            {
                if (!Config.ClusterAllowPubsubshardWhenDown)
                {
                    redirect = Redirect.DownState;
                    return null;
                }
            }
            else if (!Config.ClusterAllowReadsWhenDown)
            {
                redirect = Redirect.DownState;
                return null;
            }
            else if ((flags & CommandFlags.Write) != 0)
            {
                redirect = Redirect.DownReadOnlyState;
                return null;
            }
        }
        // MIGRATE works on the local keys of an open slot.
        if ((migrating || importing) && cmd.FullName == "migrate") return Myself;
        if (migrating && missing > 0)
        {
            if (existing > 0)
            {
                redirect = Redirect.Unstable;
                return null;
            }
            redirect = Redirect.Ask;
            return MigratingTo[slot];
        }
        if (importing && (asking || (flags & CommandFlags.Asking) != 0))
        {
            if (multipleKeys && missing > 0)
            {
                redirect = Redirect.Unstable;
                return null;
            }
            return Myself;
        }
        // A READONLY client (or a shard channel) reads its master's slots from this replica.
        if (((c.Flags & ClientFlags.ReadOnly) != 0 || pubsubShard) && !isWrite && Myself.IsSlave && Myself.SlaveOf == n)
            return Myself;
        if (n != Myself) redirect = Redirect.Moved;
        return n;
    }

    /// <summary>
    /// getKeysFromCommand: a command with movable keys through its key specifications or getkeys
    /// proc; any other through the legacy first/last/step range, which also covers the shard
    /// channels of SSUBSCRIBE and SPUBLISH (key specs flagged not_key, routed like keys).
    /// </summary>
    void KeysOf(CommandDef cmd, CommandArgs args)
    {
        if ((cmd.Flags & CommandFlags.MovableKeys) != 0)
        {
            KeyFinder.FindKeys(cmd, new Argv(args), _keys);
            return;
        }
        _keys.Clear();
        var spec = cmd.Spec;
        if (spec.FirstKey <= 0) return;
        int last = spec.LastKey >= 0 ? spec.LastKey : args.Count + spec.LastKey;
        int step = Math.Max(spec.KeyStep, 1);
        for (int i = spec.FirstKey; i <= last && i < args.Count; i += step) _keys.Add(new KeyReference(i, default));
    }

    /// <summary>clusterRedirectBlockedClientIfNeeded's decision for a client blocked on <paramref name="key"/>: the error, or null to keep it blocked.</summary>
    public string? BlockedRedirection(Client c, byte[] key)
    {
        if (State == ClusterHealth.Fail) return RedirectError(null, 0, Redirect.DownState);
        int slot = SlotIndex.KeyHashSlot(key);
        var node = SlotOwners[slot];
        if ((c.Flags & ClientFlags.ReadOnly) != 0 && c.LastCommand is { } last && (last.Flags & CommandFlags.Write) == 0
            && Myself.IsSlave && Myself.SlaveOf == node)
            node = Myself;
        if (node == Myself || ImportingFrom[slot] is not null) return null;
        return node is null ? RedirectError(null, 0, Redirect.DownUnbound) : RedirectError(node, slot, Redirect.Moved, PlaintextPortFor(c));
    }

    /// <summary>clusterRedirectClient's texts.</summary>
    public string RedirectError(ClusterNode? n, int slot, Redirect redirect, bool plaintextPort = false) => redirect switch
    {
        Redirect.CrossSlot => "-CROSSSLOT Keys in request don't hash to the same slot",
        Redirect.Unstable => "-TRYAGAIN Multiple keys request during rehashing of slot",
        Redirect.DownState => "-CLUSTERDOWN The cluster is down",
        Redirect.DownReadOnlyState => "-CLUSTERDOWN The cluster is down and only accepts read commands",
        Redirect.DownUnbound => "-CLUSTERDOWN Hash slot not served",
        Redirect.Ask => $"-ASK {slot} {PreferredEndpoint(n!)}:{PortFor(n!, plaintextPort)}",
        _ => $"-MOVED {slot} {PreferredEndpoint(n!)}:{PortFor(n!, plaintextPort)}",
    };
}
