using Vermilion.Server;
using Vermilion.Storage;

namespace Vermilion.Cluster;

public enum ClusterHealth { Ok = 0, Fail = 1 }

/// <summary>
/// Redis Cluster 7.0 (cluster.c), the entry point: this node's view of the cluster, one instance
/// per server started with cluster-enabled yes (VermilionServer.Cluster; null otherwise, so
/// standalone pays one null test per command).
///
/// How data flows:
/// <list type="bullet">
/// <item>State: the node table (<see cref="ClusterNode"/>s by id, <see cref="Myself"/> among
/// them), the slot table (the owner of each of the 16384 slots, and the slots this node is
/// migrating to or importing from another), the epochs (currentEpoch, each master's configEpoch,
/// lastVoteEpoch) and the health (<see cref="UpdateState"/>: ok when every slot is served by a
/// reachable master and a majority of masters is reachable). nodes.conf (NodesFile.cs) is this
/// state written as CLUSTER NODES plus a vars line, saved from beforeSleep whenever a change asks
/// for it (<see cref="Todo"/>), as clusterBeforeSleep does.</item>
/// <item>Requests: Dispatch asks <see cref="Route"/> (Routing.cs, getNodeByQuery) before a
/// command with keys runs; it answers MOVED/ASK/CROSSSLOT/TRYAGAIN/CLUSTERDOWN or lets it run.
/// The keys of each slot are listed by the keyspace itself (Storage/SlotIndex.cs).</item>
/// <item>The bus (ClusterBus.cs): a listener on port+10000, one link each way per peer, the
/// RCmb v1 messages (BusMessage.cs); PING/PONG carry each sender's slots, epochs and gossip
/// about others, from which this table is updated; clusterCron (<see cref="Cron"/>, every
/// 100 ms) pings, detects failures and reconnects.</item>
/// </list>
/// </summary>
public sealed partial class ClusterState
{
    public const int Slots = SlotIndex.Slots;
    /// <summary>CLUSTER_PORT_INCR: the bus port's default distance from the client port.</summary>
    public const int PortIncrement = 10000;
    /// <summary>CLUSTER_WRITABLE_DELAY: a master starting up waits this long before serving (ms).</summary>
    const long WritableDelay = 2000;
    const long MaxRejoinDelay = 5000, MinRejoinDelay = 500;

    [Flags]
    public enum TodoFlags { None = 0, HandleFailover = 1, UpdateState = 2, SaveConfig = 4, FsyncConfig = 8, HandleManualFailover = 16 }

    readonly VermilionServer _server;
    public Config Config => _server.Config;
    public Log Log => _server.Log;

    public ClusterNode Myself { get; private set; } = null!;
    /// <summary>Every known node by id, myself included (clusterState.nodes).</summary>
    public readonly Dictionary<string, ClusterNode> Nodes = new();
    /// <summary>The owner of each slot (clusterState.slots).</summary>
    public readonly ClusterNode?[] SlotOwners = new ClusterNode?[Slots];
    public readonly SlotNodeTable MigratingTo = new();
    public readonly SlotNodeTable ImportingFrom = new();
    public ulong CurrentEpoch, LastVoteEpoch;
    public ClusterHealth State = ClusterHealth.Fail;
    /// <summary>The number of masters serving at least one slot (1 until the first update, as clusterInit).</summary>
    public int Size = 1;
    public TodoFlags Todo;
    /// <summary>Bus messages sent and received, by type (CLUSTER INFO's cluster_stats_messages_*).</summary>
    public readonly long[] MessagesSent = new long[BusMessage.TypeCount], MessagesReceived = new long[BusMessage.TypeCount];
    public long LinksBufferLimitExceeded;
    /// <summary>Forgotten nodes and when they may be learned again (clusterBlacklistAddNode: 60 s).</summary>
    readonly Dictionary<string, long> _blacklist = new();
    long _firstUpdateMs, _amongMinorityMs;
    readonly string _configPath;

    /// <summary>
    /// mstime(): cluster.c reads the clock, not the cached time, so a message handled after a poll
    /// that slept up to a cron period is stamped when it was read (pong and data times, failure
    /// reports), not when the loop went to sleep.
    /// </summary>
    public long NowMs => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
    public Db Db => _server.Databases[0];

    ClusterState(VermilionServer server)
    {
        _server = server;
        // Relative to dir, where Redis (which chdirs there) finds it.
        _configPath = Path.GetFullPath(Path.Combine(server.Config.Dir, server.Config.ClusterConfigFile));
    }

    /// <summary>
    /// clusterInit: the node table from nodes.conf, or a new node with a fresh id (saved at once);
    /// the announced ports; the bus listener. Throws <see cref="ServerStartException"/> as Redis exits.
    /// </summary>
    public static ClusterState Open(VermilionServer server)
    {
        var cluster = new ClusterState(server);
        if (!cluster.LoadConfig())
        {
            cluster.Myself = new ClusterNode(ClusterNode.RandomName(), NodeFlags.Myself | NodeFlags.Master, server.UnixTimeMs);
            server.Log.Notice($"No cluster configuration found, I'm {cluster.Myself.Name}");
            cluster.AddNode(cluster.Myself);
            // Written before the ports are known, as clusterInit does (":0@0" until the next save).
            if (!cluster.SaveConfig(fsync: true))
                throw new ServerStartException("Fatal: can't update cluster config file.");
        }
        var config = server.Config;
        // clusterInit: the bus port follows the TLS port in a TLS cluster.
        int clientPort = config.TlsCluster ? config.TlsPort : config.Port;
        if (config.ClusterPort == 0 && clientPort > 65535 - PortIncrement)
            throw new ServerStartException("Redis port number too high. Cluster communication port is 10,000 port numbers higher than your Redis port. Your Redis port number must be 55535 or less.");
        cluster.DeriveAnnouncedPorts();
        cluster.MyselfFlagsChanged();
        cluster.AnnouncementChanged();
        cluster.Bus = new ClusterBus(server, cluster);
        int cport = config.ClusterPort != 0 ? config.ClusterPort : clientPort + PortIncrement;
        if (!cluster.Bus.Listen(cport))
            throw new ServerStartException($"Failed listening on port {cport} (cluster), aborting.");
        return cluster;
    }

    public ClusterBus Bus { get; private set; } = null!;

    /// <summary>deriveAnnouncedPorts: the client port, the TLS cluster's plaintext port, the bus port, as announced.</summary>
    void DeriveAnnouncedPorts()
    {
        var c = Config;
        bool tls = c.TlsCluster;
        int port = tls ? c.TlsPort : c.Port;
        Myself.Port = port;
        Myself.PPort = tls ? c.Port : 0;
        Myself.CPort = c.ClusterPort != 0 ? c.ClusterPort : port + PortIncrement;
        if (tls && c.ClusterAnnounceTlsPort != 0)
        {
            Myself.Port = c.ClusterAnnounceTlsPort;
            Myself.PPort = c.ClusterAnnouncePort;
        }
        else if (c.ClusterAnnouncePort != 0) Myself.Port = c.ClusterAnnouncePort;
        if (c.ClusterAnnounceBusPort != 0) Myself.CPort = c.ClusterAnnounceBusPort;
    }

    /// <summary>clusterUpdateMyselfFlags: nofailover follows cluster-replica-no-failover.</summary>
    public void MyselfFlagsChanged()
    {
        var old = Myself.Flags;
        Myself.Flags = Config.ClusterReplicaNoFailover ? Myself.Flags | NodeFlags.NoFailover : Myself.Flags & ~NodeFlags.NoFailover;
        if (Myself.Flags != old) Todo |= TodoFlags.SaveConfig | TodoFlags.UpdateState;
    }

    string _announcedIp = "";

    /// <summary>clusterUpdateMyselfAnnouncedPorts, clusterUpdateMyselfIp, clusterUpdateMyselfHostname (CONFIG SET cluster-announce-*).</summary>
    public void AnnouncementChanged()
    {
        DeriveAnnouncedPorts();
        if (Config.ClusterAnnounceIp != _announcedIp)
        {
            _announcedIp = Config.ClusterAnnounceIp;
            // An empty value forces autodetection from the next MEET.
            Myself.Ip = _announcedIp;
        }
        Myself.Hostname = Config.ClusterAnnounceHostname;
    }

    // ---- nodes ----

    public ClusterNode? LookupNode(ReadOnlySpan<char> name)
    {
        if (!ClusterNode.IsValidName(name)) return null;
        return Nodes.GetValueOrDefault(name.ToString());
    }

    public void AddNode(ClusterNode node) => Nodes[node.Name] = node;

    /// <summary>clusterDelNode: its slots are unassigned, its reports removed, its links freed.</summary>
    public void DeleteNode(ClusterNode node)
    {
        for (int j = 0; j < Slots; j++)
        {
            if (ImportingFrom[j] == node) ImportingFrom[j] = null;
            if (MigratingTo[j] == node) MigratingTo[j] = null;
            if (SlotOwners[j] == node) DeleteSlot(j);
        }
        foreach (var other in Nodes.Values)
        {
            if (other == node) continue;
            other.FailReports.RemoveAll(r => r.Sender == node);
        }
        FreeNode(node);
    }

    /// <summary>freeClusterNode: out of the table, out of its master's replicas, its replicas orphaned, links closed.</summary>
    void FreeNode(ClusterNode node)
    {
        foreach (var replica in node.Replicas) replica.SlaveOf = null;
        if (node.IsSlave && node.SlaveOf is not null) node.SlaveOf.RemoveReplica(node);
        Nodes.Remove(node.Name);
        Bus?.FreeLinks(node);
    }

    /// <summary>clusterRenameNode: a node met in handshake learned its real id.</summary>
    public void RenameNode(ClusterNode node, string name)
    {
        Log.Verbose($"Renaming node {node.Name} into {name}");
        Nodes.Remove(node.Name);
        node.Name = name;
        AddNode(node);
    }

    public void BlacklistAdd(ClusterNode node)
    {
        BlacklistCleanup();
        // CLUSTER_BLACKLIST_TTL: 60 s.
        _blacklist[node.Name] = NowMs / 1000 + 60;
    }

    public bool Blacklisted(string name)
    {
        BlacklistCleanup();
        return _blacklist.ContainsKey(name);
    }

    void BlacklistCleanup()
    {
        long now = NowMs / 1000;
        foreach (var (name, expire) in _blacklist.ToArray()) if (expire < now) _blacklist.Remove(name);
    }

    /// <summary>clusterNodeFailureReportsCount after the old reports are dropped (older than 2 × node timeout).</summary>
    public int FailureReportsCount(ClusterNode node)
    {
        long maxAge = Config.ClusterNodeTimeout * 2;
        node.FailReports.RemoveAll(r => NowMs - r.Time > maxAge);
        return node.FailReports.Count;
    }

    /// <summary>clusterGetMaxEpoch: the greatest configEpoch known, or currentEpoch if greater.</summary>
    public ulong MaxEpoch()
    {
        ulong max = 0;
        foreach (var n in Nodes.Values) if (n.ConfigEpoch > max) max = n.ConfigEpoch;
        return Math.Max(max, CurrentEpoch);
    }

    /// <summary>clusterBumpConfigEpochWithoutConsensus: a new configEpoch unless ours is already the greatest and not 0.</summary>
    public bool BumpConfigEpochWithoutConsensus()
    {
        ulong max = MaxEpoch();
        if (Myself.ConfigEpoch != 0 && Myself.ConfigEpoch == max) return false;
        CurrentEpoch++;
        Myself.ConfigEpoch = CurrentEpoch;
        Todo |= TodoFlags.SaveConfig | TodoFlags.FsyncConfig;
        Log.Warning($"New configEpoch set to {Myself.ConfigEpoch}");
        return true;
    }

    // ---- slots ----

    /// <summary>clusterAddSlot: false when the slot already has an owner.</summary>
    public bool AddSlot(ClusterNode node, int slot)
    {
        if (SlotOwners[slot] is not null) return false;
        // clusterNodeSetSlotBit: a master's first slot makes it a migration target when any master has replicas.
        if (node.SetSlot(slot) && node.NumSlots == 1 && node.IsMaster && MastersHaveReplicas()) node.Flags |= NodeFlags.MigrateTo;
        SlotOwners[slot] = node;
        return true;
    }

    bool MastersHaveReplicas()
    {
        foreach (var n in Nodes.Values) if (!n.IsSlave && n.Replicas.Count > 0) return true;
        return false;
    }

    /// <summary>owner_not_claiming_slot: slots whose owner stopped claiming them (kept bound, not announced in UPDATEs).</summary>
    public readonly byte[] OwnerNotClaimingSlot = new byte[ClusterNode.SlotBitmapBytes];

    /// <summary>isSlotUnclaimed: no owner, or an owner that no longer claims it.</summary>
    public bool SlotUnclaimed(int slot) => SlotOwners[slot] is null || (OwnerNotClaimingSlot[slot >> 3] & (1 << (slot & 7))) != 0;

    void SetNotClaiming(int slot, bool on)
    {
        if (on) OwnerNotClaimingSlot[slot >> 3] |= (byte)(1 << (slot & 7));
        else OwnerNotClaimingSlot[slot >> 3] &= (byte)~(1 << (slot & 7));
    }

    /// <summary>clusterDelSlot: false when the slot had no owner.</summary>
    public bool DeleteSlot(int slot)
    {
        var owner = SlotOwners[slot];
        if (owner is null) return false;
        // The slot's shard channels go with it: their subscribers here are unsubscribed (removeChannelsInSlot).
        if (_server.PubSubShardChannels > 0) _server.UnsubscribeShardChannels(channel => SlotIndex.KeyHashSlot(channel) == slot);
        owner.ClearSlot(slot);
        SlotOwners[slot] = null;
        SetNotClaiming(slot, false);
        return true;
    }

    /// <summary>clusterDelNodeSlots: the number of slots the node lost.</summary>
    public int DeleteNodeSlots(ClusterNode node)
    {
        int deleted = 0;
        for (int j = 0; j < Slots; j++)
            if (node.OwnsSlot(j) && DeleteSlot(j)) deleted++;
        return deleted;
    }

    /// <summary>clusterCloseAllSlots: no slot migrating or importing.</summary>
    public void CloseAllSlots()
    {
        MigratingTo.Clear();
        ImportingFrom.Clear();
    }

    public int CountKeysInSlot(int slot) => Db.Keys.Slots!.CountKeysInSlot(slot);

    /// <summary>
    /// clusterGenNodesSlotsInfo for one node: its slots as (start, end) ranges of the slot table
    /// (a node's own bitmap may claim more, as a replica forced to own slots; the table wins).
    /// </summary>
    public List<(int Start, int End)> SlotRanges(ClusterNode node)
    {
        var ranges = new List<(int, int)>();
        int start = -1;
        for (int i = 0; i <= Slots; i++)
        {
            bool mine = i < Slots && SlotOwners[i] == node;
            if (mine && start < 0) start = i;
            else if (!mine && start >= 0)
            {
                ranges.Add((start, i - 1));
                start = -1;
            }
        }
        return ranges;
    }

    // ---- roles ----

    /// <summary>clusterSetNodeAsMaster: a replica (myself or another) becomes a master.</summary>
    public void SetNodeAsMaster(ClusterNode node)
    {
        if (node.IsMaster) return;
        if (node.SlaveOf is not null)
        {
            node.SlaveOf.RemoveReplica(node);
            if (node != Myself) node.Flags |= NodeFlags.MigrateTo;
        }
        node.Flags &= ~NodeFlags.Slave;
        node.Flags |= NodeFlags.Master;
        node.SlaveOf = null;
        Todo |= TodoFlags.SaveConfig | TodoFlags.UpdateState;
    }

    /// <summary>
    /// clusterSetMaster: this node replicates <paramref name="master"/> (CLUSTER REPLICATE, or the
    /// cluster telling us our slots moved to another master): the replication link follows.
    /// </summary>
    public void SetMaster(ClusterNode master)
    {
        if (Myself.IsMaster)
        {
            Myself.Flags &= ~(NodeFlags.Master | NodeFlags.MigrateTo);
            Myself.Flags |= NodeFlags.Slave;
            CloseAllSlots();
        }
        else Myself.SlaveOf?.RemoveReplica(Myself);
        Myself.SlaveOf = master;
        master.AddReplica(Myself);
        _server.PrimaryLink.Follow(master.Ip, master.Port);
        ResetManualFailover();
    }

    /// <summary>clusterBuildMessageHdr's offset: a replica's replicationGetSlaveOffset, a master's master_repl_offset.</summary>
    public long MyReplicationOffset => Myself.IsSlave ? _server.PrimaryLink.ReplicaOffset : _server.Primary.Offset;

    // ---- health ----

    /// <summary>clusterUpdateState: ok when every slot is served (with cluster-require-full-coverage) and a majority of the masters that serve slots is reachable.</summary>
    public void UpdateState()
    {
        Todo &= ~TodoFlags.UpdateState;
        long now = NowMs;
        if (_firstUpdateMs == 0) _firstUpdateMs = now;
        // A master that just started waits, so the cluster can tell it its slots moved while it was away.
        if (Myself.IsMaster && State == ClusterHealth.Fail && now - _firstUpdateMs < WritableDelay) return;
        var newState = ClusterHealth.Ok;
        if (Config.ClusterRequireFullCoverage)
        {
            for (int j = 0; j < Slots; j++)
            {
                if (SlotOwners[j] is null || SlotOwners[j]!.Failed)
                {
                    newState = ClusterHealth.Fail;
                    break;
                }
            }
        }
        int reachable = 0;
        Size = 0;
        foreach (var n in Nodes.Values)
        {
            if (!n.IsMaster || n.NumSlots == 0) continue;
            Size++;
            if ((n.Flags & (NodeFlags.Fail | NodeFlags.PFail)) == 0) reachable++;
        }
        if (reachable < Size / 2 + 1)
        {
            newState = ClusterHealth.Fail;
            _amongMinorityMs = now;
        }
        if (newState == State) return;
        long rejoinDelay = Math.Clamp(Config.ClusterNodeTimeout, MinRejoinDelay, MaxRejoinDelay);
        if (newState == ClusterHealth.Ok && Myself.IsMaster && now - _amongMinorityMs < rejoinDelay) return;
        Log.Warning($"Cluster state changed: {(newState == ClusterHealth.Ok ? "ok" : "fail")}");
        State = newState;
    }

    /// <summary>clusterBeforeSleep: what the events of this turn asked for (a failover step, the state, a save of nodes.conf).</summary>
    public void BeforeSleep()
    {
        var todo = Todo;
        if ((todo & TodoFlags.HandleManualFailover) != 0)
        {
            Todo &= ~TodoFlags.HandleManualFailover;
            if (Myself.IsSlave)
            {
                HandleManualFailover();
                HandleSlaveFailover();
            }
        }
        else if ((todo & TodoFlags.HandleFailover) != 0) HandleSlaveFailover();
        if ((Todo & TodoFlags.UpdateState) != 0) UpdateState();
        if ((Todo & TodoFlags.SaveConfig) != 0)
        {
            bool fsync = (Todo & TodoFlags.FsyncConfig) != 0;
            if (!SaveConfig(fsync))
            {
                Log.Warning("Fatal: can't update cluster config file.");
                Environment.Exit(1);
            }
        }
    }

    /// <summary>
    /// clusterReset: forget every other node, release all slots, a replica turns master (its data
    /// flushed); hard also zeroes the epochs and takes a new id.
    /// </summary>
    public void Reset(bool hard)
    {
        if (Myself.IsSlave)
        {
            SetNodeAsMaster(Myself);
            _server.PrimaryLink.Unfollow();
            foreach (var db in _server.Databases) _server.EmptyDb(db, async: false);
        }
        CloseAllSlots();
        ResetManualFailover();
        for (int j = 0; j < Slots; j++) DeleteSlot(j);
        foreach (var node in Nodes.Values.ToArray())
            if (node != Myself) DeleteNode(node);
        if (hard)
        {
            CurrentEpoch = 0;
            LastVoteEpoch = 0;
            Myself.ConfigEpoch = 0;
            Log.Warning("configEpoch set to 0 via CLUSTER RESET HARD");
            Nodes.Remove(Myself.Name);
            Myself.Name = ClusterNode.RandomName();
            AddNode(Myself);
            Log.Notice($"Node hard reset, now I'm {Myself.Name}");
        }
        Todo |= TodoFlags.SaveConfig | TodoFlags.UpdateState | TodoFlags.FsyncConfig;
    }

    /// <summary>clusterGetNodesServingMySlots: the shard's master first, then its replicas.</summary>
    public List<ClusterNode> NodesServingSlotsOf(ClusterNode node)
    {
        var master = node.IsMaster ? node : node.SlaveOf;
        var list = new List<ClusterNode>();
        if (master is null) return list;
        list.Add(master);
        list.AddRange(master.Replicas);
        return list;
    }

    /// <summary>CLUSTER INFO's text: the state, slot counts, epochs, and the bus messages by type (those sent or received at least once).</summary>
    public string InfoText()
    {
        int assigned = 0, ok = 0, pfail = 0, fail = 0;
        foreach (var n in SlotOwners)
        {
            if (n is null) continue;
            assigned++;
            if (n.Failed) fail++;
            else if (n.TimedOut) pfail++;
            else ok++;
        }
        ulong myEpoch = Myself.IsSlave && Myself.SlaveOf is not null ? Myself.SlaveOf.ConfigEpoch : Myself.ConfigEpoch;
        var sb = new System.Text.StringBuilder();
        sb.Append("cluster_state:").Append(State == ClusterHealth.Ok ? "ok" : "fail").Append("\r\n")
          .Append("cluster_slots_assigned:").Append(assigned).Append("\r\n")
          .Append("cluster_slots_ok:").Append(ok).Append("\r\n")
          .Append("cluster_slots_pfail:").Append(pfail).Append("\r\n")
          .Append("cluster_slots_fail:").Append(fail).Append("\r\n")
          .Append("cluster_known_nodes:").Append(Nodes.Count).Append("\r\n")
          .Append("cluster_size:").Append(Size).Append("\r\n")
          .Append("cluster_current_epoch:").Append(CurrentEpoch).Append("\r\n")
          .Append("cluster_my_epoch:").Append(myEpoch).Append("\r\n");
        long sent = 0, received = 0;
        for (int i = 0; i < BusMessage.TypeCount; i++)
        {
            if (MessagesSent[i] == 0) continue;
            sent += MessagesSent[i];
            sb.Append("cluster_stats_messages_").Append(BusMessage.TypeName(i)).Append("_sent:").Append(MessagesSent[i]).Append("\r\n");
        }
        sb.Append("cluster_stats_messages_sent:").Append(sent).Append("\r\n");
        for (int i = 0; i < BusMessage.TypeCount; i++)
        {
            if (MessagesReceived[i] == 0) continue;
            received += MessagesReceived[i];
            sb.Append("cluster_stats_messages_").Append(BusMessage.TypeName(i)).Append("_received:").Append(MessagesReceived[i]).Append("\r\n");
        }
        sb.Append("cluster_stats_messages_received:").Append(received).Append("\r\n");
        sb.Append("total_cluster_links_buffer_limit_exceeded:").Append(LinksBufferLimitExceeded).Append("\r\n");
        return sb.ToString();
    }

    /// <summary>
    /// CLUSTER SETSLOT slot NODE id: the slot changes owner. A slot of ours may leave only once
    /// its keys have; a master left without slots becomes a replica of the new owner (with
    /// cluster-allow-replica-migration); a slot imported to myself bumps our configEpoch so the
    /// cluster takes the new owner, and is announced at once.
    /// </summary>
    public bool SetSlotNode(int slot, ClusterNode n, out string? error)
    {
        error = null;
        if (SlotOwners[slot] == Myself && n != Myself && CountKeysInSlot(slot) != 0)
        {
            error = $"Can't assign hashslot {slot} to a different node while I still hold keys for this hash slot.";
            return false;
        }
        if (CountKeysInSlot(slot) == 0 && MigratingTo[slot] is not null) MigratingTo[slot] = null;
        bool wasMine = SlotOwners[slot] == Myself;
        DeleteSlot(slot);
        AddSlot(n, slot);
        if (wasMine && n != Myself && Myself.NumSlots == 0 && Config.ClusterAllowReplicaMigration)
        {
            Log.Warning($"Configuration change detected. Reconfiguring myself as a replica of {n.Name}");
            SetMaster(n);
            Todo |= TodoFlags.SaveConfig | TodoFlags.UpdateState | TodoFlags.FsyncConfig;
        }
        if (n == Myself && ImportingFrom[slot] is not null)
        {
            if (BumpConfigEpochWithoutConsensus()) Log.Warning($"configEpoch updated after importing slot {slot}");
            ImportingFrom[slot] = null;
            Bus.BroadcastPong(ClusterBus.BroadcastTarget.All);
        }
        return true;
    }

    /// <summary>deriveAnnouncedPorts without changing myself (what a message header carries).</summary>
    public void AnnouncedPorts(out int port, out int pport, out int cport)
    {
        var c = Config;
        bool tls = c.TlsCluster;
        port = tls ? c.TlsPort : c.Port;
        pport = tls ? c.Port : 0;
        cport = c.ClusterPort != 0 ? c.ClusterPort : port + PortIncrement;
        if (tls && c.ClusterAnnounceTlsPort != 0)
        {
            port = c.ClusterAnnounceTlsPort;
            pport = c.ClusterAnnouncePort;
        }
        else if (c.ClusterAnnouncePort != 0) port = c.ClusterAnnouncePort;
        if (c.ClusterAnnounceBusPort != 0) cport = c.ClusterAnnounceBusPort;
    }

    /// <summary>
    /// clusterStartHandshake (CLUSTER MEET): a node in handshake at a normalized address, unless one
    /// is already there. False with <paramref name="invalid"/> for a bad address or port.
    /// </summary>
    public bool StartHandshake(string ip, long port, long cport, out bool invalid)
    {
        invalid = false;
        if (!System.Net.IPAddress.TryParse(ip, out var address) || ip.Contains('%')
            || address.AddressFamily is not (System.Net.Sockets.AddressFamily.InterNetwork or System.Net.Sockets.AddressFamily.InterNetworkV6)
            || (address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork && ip.Count(ch => ch == '.') != 3))
        {
            invalid = true;
            return false;
        }
        if (port <= 0 || port > 65535 || cport <= 0 || cport > 65535)
        {
            invalid = true;
            return false;
        }
        string normalized = address.ToString();
        foreach (var n in Nodes.Values)
            if (n.InHandshake && string.Equals(n.Ip, normalized, StringComparison.OrdinalIgnoreCase) && n.Port == port && n.CPort == cport) return false;
        var node = new ClusterNode(ClusterNode.RandomName(), NodeFlags.Handshake | NodeFlags.Meet, NowMs)
        {
            Ip = normalized, Port = (int)port, CPort = (int)cport,
        };
        AddNode(node);
        return true;
    }

    /// <summary>clusterHandleConfigEpochCollision: two masters with one configEpoch; the one with the greater id takes a new epoch.</summary>
    public void HandleConfigEpochCollision(ClusterNode sender)
    {
        if (sender.ConfigEpoch != Myself.ConfigEpoch || !sender.IsMaster || !Myself.IsMaster) return;
        if (string.CompareOrdinal(sender.Name, Myself.Name) <= 0) return;
        CurrentEpoch++;
        Myself.ConfigEpoch = CurrentEpoch;
        if (!SaveConfig(fsync: true))
        {
            Log.Warning("Fatal: can't update cluster config file.");
            Environment.Exit(1);
        }
        Log.Verbose($"WARNING: configEpoch collision with node {sender.Name}. configEpoch set to {Myself.ConfigEpoch}");
    }

    /// <summary>
    /// clusterUpdateSlotsConfigWith: the slots <paramref name="sender"/> claims under a newer
    /// configEpoch become its own (not those this node is importing). A master left without slots
    /// becomes a replica of the sender; a master that lost some slots with keys deletes them.
    /// </summary>
    public void UpdateSlotsConfigWith(ClusterNode sender, ulong senderConfigEpoch, ReadOnlySpan<byte> slots)
    {
        var curMaster = Myself.IsMaster ? Myself : Myself.SlaveOf;
        ClusterNode? newMaster = null;
        var dirty = new List<int>();
        int senderSlots = 0, migratedOurSlots = 0;
        if (sender == Myself)
        {
            Log.Warning("Discarding UPDATE message about myself.");
            return;
        }
        for (int j = 0; j < Slots; j++)
        {
            if ((slots[j >> 3] & (1 << (j & 7))) != 0)
            {
                senderSlots++;
                if (SlotOwners[j] == sender)
                {
                    SetNotClaiming(j, false);
                    continue;
                }
                if (ImportingFrom[j] is not null) continue;
                if (SlotUnclaimed(j) || SlotOwners[j]!.ConfigEpoch < senderConfigEpoch)
                {
                    if (SlotOwners[j] == Myself && CountKeysInSlot(j) > 0) dirty.Add(j);
                    if (SlotOwners[j] == curMaster && curMaster is not null)
                    {
                        newMaster = sender;
                        migratedOurSlots++;
                    }
                    DeleteSlot(j);
                    AddSlot(sender, j);
                    SetNotClaiming(j, false);
                    Todo |= TodoFlags.SaveConfig | TodoFlags.UpdateState | TodoFlags.FsyncConfig;
                }
            }
            else if (SlotOwners[j] == sender) SetNotClaiming(j, true);
        }
        if (newMaster is not null && curMaster!.NumSlots == 0 && (Config.ClusterAllowReplicaMigration || senderSlots == migratedOurSlots))
        {
            Log.Warning($"Configuration change detected. Reconfiguring myself as a replica of {sender.Name}");
            SetMaster(sender);
            Todo |= TodoFlags.SaveConfig | TodoFlags.UpdateState | TodoFlags.FsyncConfig;
        }
        else if (Myself.SlaveOf?.SlaveOf is { } grandmaster && grandmaster != Myself)
        {
            Log.Warning($"I'm a sub-replica! Reconfiguring myself as a replica of grandmaster {grandmaster.Name}");
            SetMaster(grandmaster);
            Todo |= TodoFlags.SaveConfig | TodoFlags.UpdateState | TodoFlags.FsyncConfig;
        }
        else foreach (int slot in dirty) DeleteKeysInSlot(slot);
    }

    /// <summary>delKeysInSlot: the keys of a slot this node lost, deleted (and propagated as DELs).</summary>
    public int DeleteKeysInSlot(int slot)
    {
        var db = Db;
        var keys = new List<byte[]>();
        foreach (int entry in db.Keys.Slots!.EntriesInSlot(slot, long.MaxValue)) keys.Add(db.Keys.Key(entry).ToArray());
        foreach (var key in keys)
        {
            if (!_server.DeleteKey(db, key, lazy: Config.LazyfreeLazyServerDel)) continue;
            if (_server.EffectSinks.Count > 0) _server.AlsoPropagate(db, 2).Arg("DEL"u8).Arg(key);
            _server.Dirty++;
        }
        return keys.Count;
    }

    /// <summary>A PUBLISH or PUBLISHSHARD from the bus, delivered to this node's subscribers (only when there are some).</summary>
    public void DeliverPublish(ReadOnlySpan<byte> channel, ReadOnlySpan<byte> message, bool shard)
    {
        if ((shard ? _server.PubSubShardChannels : _server.PubSubChannels + _server.PubSubPatterns) == 0) return;
        _server.Publish(channel, message, shard);
    }

    /// <summary>getPreferredEndpoint: what MOVED/ASK and SLOTS name a node by.</summary>
    public string PreferredEndpoint(ClusterNode n) => Config.ClusterPreferredEndpointType switch
    {
        "ip" => n.Ip,
        "hostname" => n.Hostname.Length != 0 ? n.Hostname : "?",
        _ => "",
    };
}
