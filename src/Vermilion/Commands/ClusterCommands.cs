using Vermilion.Cluster;
using Vermilion.Protocol;
using Vermilion.Server;
using Vermilion.Storage;

namespace Vermilion.Commands;

/// <summary>
/// CLUSTER, READONLY, READWRITE, ASKING (cluster.c clusterCommand, readonlyCommand,
/// readwriteCommand, askingCommand). Without cluster-enabled every one of them, HELP included,
/// answers "This instance has cluster support disabled", as Redis checks server.cluster_enabled
/// first; the dispatcher still answers wrong arity and unknown subcommands before, as
/// processCommand does. The state they read and change is Cluster/ClusterState.
/// </summary>
public static partial class ClusterCommands
{
    const string Disabled = "This instance has cluster support disabled";

    static readonly string[] s_help =
    [
        "CLUSTER <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "ADDSLOTS <slot> [<slot> ...]",
        "    Assign slots to current node.",
        "ADDSLOTSRANGE <start slot> <end slot> [<start slot> <end slot> ...]",
        "    Assign slots which are between <start-slot> and <end-slot> to current node.",
        "BUMPEPOCH",
        "    Advance the cluster config epoch.",
        "COUNT-FAILURE-REPORTS <node-id>",
        "    Return number of failure reports for <node-id>.",
        "COUNTKEYSINSLOT <slot>",
        "    Return the number of keys in <slot>.",
        "DELSLOTS <slot> [<slot> ...]",
        "    Delete slots information from current node.",
        "DELSLOTSRANGE <start slot> <end slot> [<start slot> <end slot> ...]",
        "    Delete slots information which are between <start-slot> and <end-slot> from current node.",
        "FAILOVER [FORCE|TAKEOVER]",
        "    Promote current replica node to being a master.",
        "FORGET <node-id>",
        "    Remove a node from the cluster.",
        "GETKEYSINSLOT <slot> <count>",
        "    Return key names stored by current node in a slot.",
        "FLUSHSLOTS",
        "    Delete current node own slots information.",
        "INFO",
        "    Return information about the cluster.",
        "KEYSLOT <key>",
        "    Return the hash slot for <key>.",
        "MEET <ip> <port> [<bus-port>]",
        "    Connect nodes into a working cluster.",
        "MYID",
        "    Return the node id.",
        "NODES",
        "    Return cluster configuration seen by node. Output format:",
        "    <id> <ip:port> <flags> <master> <pings> <pongs> <epoch> <link> <slot> ...",
        "REPLICATE <node-id>",
        "    Configure current node as replica to <node-id>.",
        "RESET [HARD|SOFT]",
        "    Reset current node (default: soft).",
        "SET-CONFIG-EPOCH <epoch>",
        "    Set config epoch of current node.",
        "SETSLOT <slot> (IMPORTING <node-id>|MIGRATING <node-id>|STABLE|NODE <node-id>)",
        "    Set slot state.",
        "REPLICAS <node-id>",
        "    Return <node-id> replicas.",
        "SAVECONFIG",
        "    Force saving cluster configuration on disk.",
        "SLOTS",
        "    Return information about slots range mappings. Each range is made of:",
        "    start, end, master and replicas IP addresses, ports and ids",
        "SHARDS",
        "    Return information about slot range mappings and the nodes associated with them.",
        "LINKS",
        "    Return information about all network links between this node and its peers.",
        "    Output format is an array where each array element is a map containing attributes of a link",
        "HELP",
        "    Prints this help.",
    ];

    /// <summary>The cluster, or null after answering that cluster support is disabled.</summary>
    static ClusterState? Cluster(Client c)
    {
        if (c.Server.Cluster is { } cluster) return cluster;
        c.Reply.Error(Disabled);
        return null;
    }

    /// <summary>A subcommand given arguments it does not take (clusterCommand's final else).</summary>
    static bool Argc(Client c, CommandArgs a, bool ok)
    {
        if (!ok) HelpReply.SubcommandSyntaxError(c, a);
        return ok;
    }

    [Command("cluster|help")]
    static void Help(Client c, CommandArgs a)
    {
        if (Cluster(c) is null) return;
        HelpReply.Write(c, s_help);
    }

    [Command("cluster|meet")]
    static void Meet(Client c, CommandArgs a)
    {
        if (Cluster(c) is not { } cluster || !Argc(c, a, a.Count is 4 or 5)) return;
        if (!IntegerText.TryParse(a[3], out long port))
        {
            c.Reply.Error($"Invalid TCP base port specified: {a.GetCString(3)}");
            return;
        }
        long cport = port + ClusterState.PortIncrement;
        if (a.Count == 5 && !IntegerText.TryParse(a[4], out cport))
        {
            c.Reply.Error($"Invalid TCP bus port specified: {a.GetCString(4)}");
            return;
        }
        if (!cluster.StartHandshake(a.GetCString(2), port, cport, out bool invalid) && invalid)
            c.Reply.Error($"Invalid node address specified: {a.GetCString(2)}:{a.GetCString(3)}");
        else c.Reply.Ok();
    }

    [Command("cluster|nodes")]
    static void Nodes(Client c, CommandArgs a)
    {
        if (Cluster(c) is not { } cluster) return;
        c.Reply.Verbatim(cluster.NodesDescription(NodeFlags.None, cluster.PlaintextPortFor(c)));
    }

    [Command("cluster|myid")]
    static void MyId(Client c, CommandArgs a)
    {
        if (Cluster(c) is not { } cluster) return;
        c.Reply.Bulk(cluster.Myself.Name);
    }

    /// <summary>clusterReplyMultiBulkSlots: each run of slots with one owner, its master then its available replicas.</summary>
    [Command("cluster|slots")]
    static void Slots(Client c, CommandArgs a)
    {
        if (Cluster(c) is not { } cluster) return;
        var runs = new List<(int Start, int End, ClusterNode Node)>();
        ClusterNode? n = null;
        int start = 0;
        for (int i = 0; i <= ClusterState.Slots; i++)
        {
            var owner = i < ClusterState.Slots ? cluster.SlotOwners[i] : null;
            if (owner == n && i < ClusterState.Slots) continue;
            if (n is not null) runs.Add((start, i - 1, n));
            n = owner;
            start = i;
        }
        c.Reply.ArrayHeader(runs.Count);
        foreach (var (s, e, node) in runs)
        {
            var replicas = node.Replicas.Where(r => ReplicaAvailable(cluster, r)).ToList();
            c.Reply.ArrayHeader(3 + replicas.Count);
            c.Reply.Integer(s);
            c.Reply.Integer(e);
            NodeEntry(c, cluster, node);
            foreach (var r in replicas) NodeEntry(c, cluster, r);
        }
    }

    /// <summary>isReplicaAvailable: not failed, and it has synced at least once (an offset).</summary>
    static bool ReplicaAvailable(ClusterState cluster, ClusterNode node)
    {
        if (node.Failed) return false;
        long offset = node == cluster.Myself ? cluster.MyReplicationOffset : node.ReplOffset;
        return offset != 0;
    }

    /// <summary>addNodeToNodeReply: the preferred endpoint, the port, the id, and the other endpoints known.</summary>
    static void NodeEntry(Client c, ClusterState cluster, ClusterNode node)
    {
        c.Reply.ArrayHeader(4);
        string type = c.Server.Config.ClusterPreferredEndpointType;
        if (type == "ip") c.Reply.Bulk(node.Ip);
        else if (type == "hostname") c.Reply.Bulk(node.Hostname.Length != 0 ? node.Hostname : "?");
        else c.Reply.Null();
        c.Reply.Integer(ClusterState.PortFor(node, cluster.PlaintextPortFor(c)));
        c.Reply.Bulk(node.Name);
        int length = (type != "ip" ? 1 : 0) + (type != "hostname" && node.Hostname.Length != 0 ? 1 : 0);
        c.Reply.MapHeader(length);
        if (type != "ip")
        {
            c.Reply.Bulk("ip");
            c.Reply.Bulk(node.Ip);
        }
        if (type != "hostname" && node.Hostname.Length != 0)
        {
            c.Reply.Bulk("hostname");
            c.Reply.Bulk(node.Hostname);
        }
    }

    /// <summary>clusterReplyShards: per master, its slot ranges (flat) and its nodes' details.</summary>
    [Command("cluster|shards")]
    static void Shards(Client c, CommandArgs a)
    {
        if (Cluster(c) is not { } cluster) return;
        var masters = cluster.Nodes.Values.Where(n => n.IsMaster).ToList();
        c.Reply.ArrayHeader(masters.Count);
        foreach (var master in masters)
        {
            c.Reply.MapHeader(2);
            c.Reply.Bulk("slots");
            var ranges = cluster.SlotRanges(master);
            c.Reply.ArrayHeader(ranges.Count * 2);
            foreach (var (s, e) in ranges)
            {
                c.Reply.Integer(s);
                c.Reply.Integer(e);
            }
            c.Reply.Bulk("nodes");
            var nodes = cluster.NodesServingSlotsOf(master);
            c.Reply.ArrayHeader(nodes.Count);
            foreach (var node in nodes) ShardNode(c, cluster, node);
        }
    }

    /// <summary>addNodeDetailsToShardReply.</summary>
    static void ShardNode(Client c, ClusterState cluster, ClusterNode node)
    {
        bool tls = c.Server.Config.TlsCluster;
        int plain = tls ? node.PPort : node.Port, tlsPort = tls ? node.Port : 0;
        long offset = node == cluster.Myself ? cluster.MyReplicationOffset : node.ReplOffset;
        int fields = 6 + (plain != 0 ? 1 : 0) + (tlsPort != 0 ? 1 : 0) + (node.Hostname.Length != 0 ? 1 : 0);
        c.Reply.MapHeader(fields);
        c.Reply.Bulk("id");
        c.Reply.Bulk(node.Name);
        if (plain != 0)
        {
            c.Reply.Bulk("port");
            c.Reply.Integer(plain);
        }
        if (tlsPort != 0)
        {
            c.Reply.Bulk("tls-port");
            c.Reply.Integer(tlsPort);
        }
        c.Reply.Bulk("ip");
        c.Reply.Bulk(node.Ip);
        c.Reply.Bulk("endpoint");
        c.Reply.Bulk(cluster.PreferredEndpoint(node));
        if (node.Hostname.Length != 0)
        {
            c.Reply.Bulk("hostname");
            c.Reply.Bulk(node.Hostname);
        }
        c.Reply.Bulk("role");
        c.Reply.Bulk(node.IsSlave ? "replica" : "master");
        c.Reply.Bulk("replication-offset");
        c.Reply.Integer(offset);
        c.Reply.Bulk("health");
        c.Reply.Bulk(node.Failed ? "fail" : node.IsSlave && offset == 0 ? "loading" : "online");
    }

    [Command("cluster|flushslots")]
    static void FlushSlots(Client c, CommandArgs a)
    {
        if (Cluster(c) is not { } cluster) return;
        if (c.Server.Databases[0].Count != 0)
        {
            c.Reply.Error("DB must be empty to perform CLUSTER FLUSHSLOTS.");
            return;
        }
        cluster.DeleteNodeSlots(cluster.Myself);
        cluster.Todo |= ClusterState.TodoFlags.UpdateState | ClusterState.TodoFlags.SaveConfig;
        c.Reply.Ok();
    }

    /// <summary>getSlotOrReply.</summary>
    static int SlotOrReply(Client c, ReadOnlySpan<byte> text)
    {
        if (!IntegerText.TryParse(text, out long slot) || slot < 0 || slot >= ClusterState.Slots)
        {
            c.Reply.Error("Invalid or out of range slot");
            return -1;
        }
        return (int)slot;
    }

    [Command("cluster|addslots")]
    [Command("cluster|delslots")]
    static void AddDelSlots(Client c, CommandArgs a)
    {
        if (Cluster(c) is not { } cluster) return;
        bool del = a.Is(1, "delslots");
        for (int j = 2; j < a.Count; j++)
            if (SlotOrReply(c, a[j]) < 0) return;
        var slots = new byte[ClusterState.Slots];
        for (int j = 2; j < a.Count; j++)
        {
            int slot = SlotOrReply(c, a[j]);
            if (!CheckSlotAssignments(c, cluster, slots, del, slot, slot)) return;
        }
        UpdateSlots(cluster, slots, del);
        c.Reply.Ok();
    }

    [Command("cluster|addslotsrange")]
    [Command("cluster|delslotsrange")]
    static void AddDelSlotsRange(Client c, CommandArgs a)
    {
        if (Cluster(c) is not { } cluster) return;
        if (a.Count % 2 == 1)
        {
            c.Reply.Error($"wrong number of arguments for '{c.LastCommand!.FullName}' command");
            return;
        }
        bool del = a.Is(1, "delslotsrange");
        var slots = new byte[ClusterState.Slots];
        for (int j = 2; j < a.Count; j += 2)
        {
            int start = SlotOrReply(c, a[j]);
            if (start < 0) return;
            int end = SlotOrReply(c, a[j + 1]);
            if (end < 0) return;
            if (start > end)
            {
                c.Reply.Error($"start slot number {start} is greater than end slot number {end}");
                return;
            }
            if (!CheckSlotAssignments(c, cluster, slots, del, start, end)) return;
        }
        UpdateSlots(cluster, slots, del);
        c.Reply.Ok();
    }

    /// <summary>checkSlotAssignmentsOrReply.</summary>
    static bool CheckSlotAssignments(Client c, ClusterState cluster, byte[] slots, bool del, int start, int end)
    {
        for (int slot = start; slot <= end; slot++)
        {
            if (del && cluster.SlotOwners[slot] is null)
            {
                c.Reply.Error($"Slot {slot} is already unassigned");
                return false;
            }
            if (!del && cluster.SlotOwners[slot] is not null)
            {
                c.Reply.Error($"Slot {slot} is already busy");
                return false;
            }
            if (slots[slot]++ == 1)
            {
                c.Reply.Error($"Slot {slot} specified multiple times");
                return false;
            }
        }
        return true;
    }

    /// <summary>clusterUpdateSlots: an importing slot that becomes ours is no longer importing.</summary>
    static void UpdateSlots(ClusterState cluster, byte[] slots, bool del)
    {
        for (int j = 0; j < ClusterState.Slots; j++)
        {
            if (slots[j] == 0) continue;
            cluster.ImportingFrom[j] = null;
            if (del) cluster.DeleteSlot(j);
            else cluster.AddSlot(cluster.Myself, j);
        }
        cluster.Todo |= ClusterState.TodoFlags.UpdateState | ClusterState.TodoFlags.SaveConfig;
    }

    [Command("cluster|setslot")]
    static void SetSlot(Client c, CommandArgs a)
    {
        if (Cluster(c) is not { } cluster) return;
        if (cluster.Myself.IsSlave)
        {
            c.Reply.Error("Please use SETSLOT only with masters.");
            return;
        }
        int slot = SlotOrReply(c, a[2]);
        if (slot < 0) return;
        if (a.Is(3, "migrating") && a.Count == 5)
        {
            if (cluster.SlotOwners[slot] != cluster.Myself)
            {
                c.Reply.Error($"I'm not the owner of hash slot {slot}");
                return;
            }
            if (KnownMaster(c, cluster, a, "I don't know about node") is not { } n) return;
            cluster.MigratingTo[slot] = n;
        }
        else if (a.Is(3, "importing") && a.Count == 5)
        {
            if (cluster.SlotOwners[slot] == cluster.Myself)
            {
                c.Reply.Error($"I'm already the owner of hash slot {slot}");
                return;
            }
            if (KnownMaster(c, cluster, a, "I don't know about node") is not { } n) return;
            cluster.ImportingFrom[slot] = n;
        }
        else if (a.Is(3, "stable") && a.Count == 4)
        {
            cluster.ImportingFrom[slot] = null;
            cluster.MigratingTo[slot] = null;
        }
        else if (a.Is(3, "node") && a.Count == 5)
        {
            if (KnownMaster(c, cluster, a, "Unknown node") is not { } n) return;
            if (!cluster.SetSlotNode(slot, n, out var error))
            {
                c.Reply.Error(error!);
                return;
            }
        }
        else
        {
            c.Reply.Error("Invalid CLUSTER SETSLOT action or number of arguments. Try CLUSTER HELP");
            return;
        }
        cluster.Todo |= ClusterState.TodoFlags.SaveConfig | ClusterState.TodoFlags.UpdateState;
        c.Reply.Ok();
    }

    /// <summary>SETSLOT's node argument: known, and a master.</summary>
    static ClusterNode? KnownMaster(Client c, ClusterState cluster, CommandArgs a, string unknown)
    {
        var n = cluster.LookupNode(a.GetCString(4));
        if (n is null)
        {
            c.Reply.Error($"{unknown} {a.GetCString(4)}");
            return null;
        }
        if (n.IsSlave)
        {
            c.Reply.Error("Target node is not a master");
            return null;
        }
        return n;
    }

    [Command("cluster|bumpepoch")]
    static void BumpEpoch(Client c, CommandArgs a)
    {
        if (Cluster(c) is not { } cluster) return;
        bool bumped = cluster.BumpConfigEpochWithoutConsensus();
        c.Reply.Simple($"{(bumped ? "BUMPED" : "STILL")} {cluster.Myself.ConfigEpoch}");
    }

    [Command("cluster|info")]
    static void Info(Client c, CommandArgs a)
    {
        if (Cluster(c) is not { } cluster) return;
        c.Reply.Verbatim(cluster.InfoText());
    }

    [Command("cluster|saveconfig")]
    static void SaveConfig(Client c, CommandArgs a)
    {
        if (Cluster(c) is not { } cluster) return;
        if (cluster.SaveConfig(fsync: true)) c.Reply.Ok();
        else c.Reply.Error("error saving the cluster node config: Input/output error");
    }

    [Command("cluster|keyslot")]
    static void KeySlot(Client c, CommandArgs a)
    {
        if (Cluster(c) is null) return;
        c.Reply.Integer(SlotIndex.KeyHashSlot(a[2]));
    }

    [Command("cluster|countkeysinslot")]
    static void CountKeysInSlot(Client c, CommandArgs a)
    {
        if (Cluster(c) is not { } cluster) return;
        if (!LongArgument.Parse(c, a[2], out long slot)) return;
        if (slot < 0 || slot >= ClusterState.Slots)
        {
            c.Reply.Error("Invalid slot");
            return;
        }
        c.Reply.Integer(cluster.CountKeysInSlot((int)slot));
    }

    [Command("cluster|getkeysinslot")]
    static void GetKeysInSlot(Client c, CommandArgs a)
    {
        if (Cluster(c) is not { } cluster) return;
        if (!LongArgument.Parse(c, a[2], out long slot) || !LongArgument.Parse(c, a[3], out long max)) return;
        if (slot < 0 || slot >= ClusterState.Slots || max < 0)
        {
            c.Reply.Error("Invalid slot or number of keys");
            return;
        }
        var keys = c.Server.Databases[0].Keys;
        long count = Math.Min(max, cluster.CountKeysInSlot((int)slot));
        c.Reply.ArrayHeader(count);
        foreach (int entry in keys.Slots!.EntriesInSlot((int)slot, count)) c.Reply.Bulk(keys.Key(entry));
    }

    [Command("cluster|forget")]
    static void Forget(Client c, CommandArgs a)
    {
        if (Cluster(c) is not { } cluster) return;
        var n = cluster.LookupNode(a.GetCString(2));
        if (n is null) c.Reply.Error($"Unknown node {a.GetCString(2)}");
        else if (n == cluster.Myself) c.Reply.Error("I tried hard but I can't forget myself...");
        else if (cluster.Myself.IsSlave && cluster.Myself.SlaveOf == n) c.Reply.Error("Can't forget my master!");
        else
        {
            cluster.BlacklistAdd(n);
            cluster.DeleteNode(n);
            cluster.Todo |= ClusterState.TodoFlags.UpdateState | ClusterState.TodoFlags.SaveConfig;
            c.Reply.Ok();
        }
    }

    [Command("cluster|replicate")]
    static void Replicate(Client c, CommandArgs a)
    {
        if (Cluster(c) is not { } cluster) return;
        var n = cluster.LookupNode(a.GetCString(2));
        if (n is null) c.Reply.Error($"Unknown node {a.GetCString(2)}");
        else if (n == cluster.Myself) c.Reply.Error("Can't replicate myself");
        else if (n.IsSlave) c.Reply.Error("I can only replicate a master, not a replica.");
        else if (cluster.Myself.IsMaster && (cluster.Myself.NumSlots != 0 || c.Server.Databases[0].Count != 0))
            c.Reply.Error("To set a master the node must be empty and without assigned slots.");
        else
        {
            cluster.SetMaster(n);
            cluster.Todo |= ClusterState.TodoFlags.UpdateState | ClusterState.TodoFlags.SaveConfig;
            c.Reply.Ok();
        }
    }

    [Command("cluster|replicas")]
    [Command("cluster|slaves")]
    static void Replicas(Client c, CommandArgs a)
    {
        if (Cluster(c) is not { } cluster) return;
        var n = cluster.LookupNode(a.GetCString(2));
        if (n is null) c.Reply.Error($"Unknown node {a.GetCString(2)}");
        else if (n.IsSlave) c.Reply.Error("The specified node is not a master");
        else
        {
            c.Reply.ArrayHeader(n.Replicas.Count);
            foreach (var r in n.Replicas) c.Reply.Bulk(cluster.NodeDescription(r, plaintextPort: cluster.PlaintextPortFor(c)));
        }
    }

    [Command("cluster|count-failure-reports")]
    static void CountFailureReports(Client c, CommandArgs a)
    {
        if (Cluster(c) is not { } cluster) return;
        var n = cluster.LookupNode(a.GetCString(2));
        if (n is null) c.Reply.Error($"Unknown node {a.GetCString(2)}");
        else c.Reply.Integer(cluster.FailureReportsCount(n));
    }

    [Command("cluster|failover")]
    static void Failover(Client c, CommandArgs a)
    {
        if (Cluster(c) is not { } cluster || !Argc(c, a, a.Count is 2 or 3)) return;
        bool force = false, takeover = false;
        if (a.Count == 3)
        {
            if (a.Is(2, "force")) force = true;
            else if (a.Is(2, "takeover")) force = takeover = true;
            else
            {
                c.Reply.Error("syntax error");
                return;
            }
        }
        if (cluster.Myself.IsMaster) c.Reply.Error("You should send CLUSTER FAILOVER to a replica");
        else if (cluster.Myself.SlaveOf is null) c.Reply.Error("I'm a replica but my master is unknown to me");
        else if (!force && (cluster.Myself.SlaveOf.Failed || cluster.Myself.SlaveOf.Link is null))
            c.Reply.Error("Master is down or failed, please use CLUSTER FAILOVER FORCE");
        else
        {
            cluster.StartManualFailover(force, takeover);
            c.Reply.Ok();
        }
    }

    [Command("cluster|set-config-epoch")]
    static void SetConfigEpoch(Client c, CommandArgs a)
    {
        if (Cluster(c) is not { } cluster) return;
        if (!LongArgument.Parse(c, a[2], out long epoch)) return;
        if (epoch < 0) c.Reply.Error($"Invalid config epoch specified: {epoch}");
        else if (cluster.Nodes.Count > 1) c.Reply.Error("The user can assign a config epoch only when the node does not know any other node.");
        else if (cluster.Myself.ConfigEpoch != 0) c.Reply.Error("Node config epoch is already non-zero");
        else
        {
            cluster.Myself.ConfigEpoch = (ulong)epoch;
            c.Server.Log.Warning($"configEpoch set to {epoch} via CLUSTER SET-CONFIG-EPOCH");
            if (cluster.CurrentEpoch < (ulong)epoch) cluster.CurrentEpoch = (ulong)epoch;
            cluster.Todo |= ClusterState.TodoFlags.UpdateState | ClusterState.TodoFlags.SaveConfig;
            c.Reply.Ok();
        }
    }

    [Command("cluster|reset")]
    static void Reset(Client c, CommandArgs a)
    {
        if (Cluster(c) is not { } cluster || !Argc(c, a, a.Count is 2 or 3)) return;
        bool hard = false;
        if (a.Count == 3)
        {
            if (a.Is(2, "hard")) hard = true;
            else if (!a.Is(2, "soft"))
            {
                c.Reply.Error("syntax error");
                return;
            }
        }
        if (cluster.Myself.IsMaster && c.Db.Count != 0)
        {
            c.Reply.Error("CLUSTER RESET can't be called with master nodes containing keys");
            return;
        }
        cluster.Reset(hard);
        c.Reply.Ok();
    }

    /// <summary>addReplyClusterLinksDescription: each node's outbound and inbound link.</summary>
    [Command("cluster|links")]
    static void Links(Client c, CommandArgs a)
    {
        if (Cluster(c) is not { } cluster) return;
        var links = new List<BusLink>();
        foreach (var n in cluster.Nodes.Values)
        {
            if (n.Link is not null) links.Add(n.Link);
            if (n.InboundLink is not null) links.Add(n.InboundLink);
        }
        c.Reply.ArrayHeader(links.Count);
        foreach (var link in links)
        {
            c.Reply.MapHeader(6);
            c.Reply.Bulk("direction");
            c.Reply.Bulk(link.Inbound ? "from" : "to");
            c.Reply.Bulk("node");
            c.Reply.Bulk(link.Node!.Name);
            c.Reply.Bulk("create-time");
            c.Reply.Integer(link.CreatedMs);
            c.Reply.Bulk("events");
            c.Reply.Bulk(link.Events);
            c.Reply.Bulk("send-buffer-allocated");
            c.Reply.Integer(link.SendBufferAllocated);
            c.Reply.Bulk("send-buffer-used");
            c.Reply.Integer(link.SendBufferUsed);
        }
    }

    /// <summary>readonlyCommand: this replica serves reads of its master's slots to this client.</summary>
    [Command("readonly")]
    static void ReadOnly(Client c, CommandArgs a)
    {
        if (Cluster(c) is null) return;
        c.Flags |= ClientFlags.ReadOnly;
        c.Reply.Ok();
    }

    [Command("readwrite")]
    static void ReadWrite(Client c, CommandArgs a)
    {
        if (Cluster(c) is null) return;
        c.Flags &= ~ClientFlags.ReadOnly;
        c.Reply.Ok();
    }

    /// <summary>askingCommand: the next command may use a slot this node is importing.</summary>
    [Command("asking")]
    static void Asking(Client c, CommandArgs a)
    {
        if (Cluster(c) is null) return;
        c.Flags |= ClientFlags.Asking;
        c.Reply.Ok();
    }
}
