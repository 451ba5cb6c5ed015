using System.Buffers.Binary;
using System.Net;
using Vermilion.Net;
using Vermilion.Server;

namespace Vermilion.Cluster;

/// <summary>
/// The cluster bus (cluster.c's messaging half): the listener on the bus port, the links, and
/// what each message does to the <see cref="ClusterState"/> (clusterProcessPacket,
/// clusterProcessGossipSection, clusterUpdateSlotsConfigWith), the messages this node sends
/// (clusterSendPing and its siblings) and clusterCron's link and failure-detection duties. It
/// runs on the server's event loop like every other connection.
/// </summary>
public sealed class ClusterBus
{
    public enum BroadcastTarget { All, LocalSlaves }

    readonly VermilionServer _server;
    readonly ClusterState _cs;
    readonly List<BusListener> _listeners = new();
    readonly HashSet<BusLink> _links = new();
    long _iteration;
    /// <summary>cluster_pings_sent: stamps which nodes are already in the ping being built.</summary>
    long _pingsSent;
    readonly Dictionary<ClusterNode, long> _lastInPing = new();
    int _pfailNodes;

    public Log Log => _server.Log;
    /// <summary>connTypeOfCluster: TLS for links made from now on while tls-cluster is on, else null (plain TCP).</summary>
    internal TlsConnectionType? Tls => Config.TlsCluster ? _server.Tls : null;
    long Now => _cs.NowMs;
    Config Config => _server.Config;

    public ClusterBus(VermilionServer server, ClusterState cs)
    {
        _server = server;
        _cs = cs;
    }

    /// <summary>clusterInit's listenToPort(cport): one socket per bind address, as the client port.</summary>
    public bool Listen(int port)
    {
        foreach (var entry in Config.Bind)
        {
            bool optional = entry.StartsWith('-');
            string address = optional ? entry[1..] : entry;
            var r = ListeningSocket.OpenTcp(address, port, Config.TcpBacklog);
            if (!r.Ok)
            {
                Log.Warning($"Warning: Could not create server TCP listening socket {address}:{port}: {r.Error}");
                if ((optional && r.Errno == Native.EADDRNOTAVAIL) || r.Errno is Native.EAFNOSUPPORT or Native.EPROTONOSUPPORT) continue;
                Close();
                return false;
            }
            var listener = new BusListener(this, r.Fd);
            _listeners.Add(listener);
            _server.Loop.CreateFileEvent(r.Fd, FileEventMask.Readable, listener);
        }
        return _listeners.Count > 0;
    }

    /// <summary>At shutdown: listeners and links closed.</summary>
    public void Close()
    {
        foreach (var l in _listeners)
        {
            _server.Loop.DeleteFileEvent(l.Fd, FileEventMask.Readable);
            Native.Close(l.Fd);
        }
        _listeners.Clear();
        foreach (var link in _links.ToArray()) link.Free();
    }

    public int LinkCount => _links.Count;
    public long LinksMemory => _links.Sum(l => l.MemoryBytes);

    sealed unsafe class BusListener(ClusterBus bus, int fd) : IFileEventHandler
    {
        public int Fd => fd;

        /// <summary>clusterAcceptHandler: up to 1000 connections per event; none while a primary loads its data.</summary>
        public void OnReadable(EventLoop loop, int fd)
        {
            if (!bus._server.PrimaryLink.IsReplica && bus._server.Loading) return;
            byte* sa = stackalloc byte[Native.SockAddrStorageSize];
            for (int max = 1000; max > 0; max--)
            {
                int len = Native.SockAddrStorageSize;
                int cfd = Native.Accept4(fd, sa, &len, Native.SOCK_NONBLOCK | Native.SOCK_CLOEXEC);
                if (cfd < 0)
                {
                    int errno = Native.LastErrno;
                    if (errno == Native.EINTR) continue;
                    if (errno != Native.EAGAIN) bus.Log.Verbose($"Error accepting cluster node: {Native.StrError(errno)}");
                    return;
                }
                Native.SetInt(cfd, Native.IPPROTO_TCP, Native.TCP_NODELAY, 1);
                var (ip, port) = Native.ReadSockAddr(new ReadOnlySpan<byte>(sa, len));
                bus.Log.Verbose($"Accepting cluster node connection from {ip}:{port}");
                var link = BusLink.Accepted(bus, loop, cfd, bus.Now);
                if (!link.Freed) bus._links.Add(link);
            }
        }

        public void OnWritable(EventLoop loop, int fd) { }
    }

    // ---- links ----

    /// <summary>The node's links closed (it is being deleted).</summary>
    public void FreeLinks(ClusterNode node)
    {
        node.Link?.Free();
        node.InboundLink?.Free();
        _lastInPing.Remove(node);
    }

    internal void LinkFreed(BusLink link) => _links.Remove(link);

    /// <summary>clusterLinkConnectHandler: a PING, or a MEET to a node met by CLUSTER MEET; an earlier ping's time is kept.</summary>
    internal void LinkConnected(BusLink link)
    {
        var node = link.Node!;
        long oldPingSent = node.PingSent;
        SendPing(link, (node.Flags & NodeFlags.Meet) != 0 ? BusMessage.Meet : BusMessage.Ping);
        if (oldPingSent != 0) node.PingSent = oldPingSent;
        node.Flags &= ~NodeFlags.Meet;
    }

    /// <summary>setClusterNodeToInboundClusterLink: a newer inbound link from the same node replaces the old.</summary>
    void SetInboundLink(ClusterNode node, BusLink link)
    {
        if (node.InboundLink is { } old && old != link) old.Free();
        node.InboundLink = link;
        link.Node = node;
    }

    // ---- sending ----

    void Send(BusLink? link, byte[] message)
    {
        if (link is null) return;
        link.Send(message);
        ushort type = BinaryPrimitives.ReadUInt16BigEndian(message.AsSpan(BusMessage.OffType));
        if (type < BusMessage.TypeCount) _cs.MessagesSent[type]++;
    }

    /// <summary>clusterBroadcastMessage: every node with a link, not myself nor a node in handshake.</summary>
    void Broadcast(byte[] message)
    {
        foreach (var node in _cs.Nodes.Values.ToArray())
        {
            if ((node.Flags & (NodeFlags.Myself | NodeFlags.Handshake)) != 0) continue;
            Send(node.Link, message);
        }
    }

    byte[] NewMessage(ushort type, int length)
    {
        var m = new byte[length];
        BusMessage.Write(m, _cs, type, length);
        return m;
    }

    /// <summary>
    /// clusterSendPing: a PING, PONG or MEET with gossip about max(3, N/10) random other nodes
    /// (not in handshake, with an address, connected or owning slots) and every PFAIL node, then
    /// the hostname extension when one is announced.
    /// </summary>
    public void SendPing(BusLink link, ushort type)
    {
        _pingsSent++;
        int freshNodes = _cs.Nodes.Count - 2;
        int wanted = Math.Max(_cs.Nodes.Count / 10, 3);
        if (wanted > freshNodes) wanted = freshNodes;
        int pfailWanted = _pfailNodes;
        var gossip = new List<ClusterNode>();
        var all = _cs.Nodes.Values.ToArray();
        int maxIterations = wanted * 3;
        while (freshNodes > 0 && gossip.Count < wanted && maxIterations-- > 0)
        {
            var n = all[Random.Shared.Next(all.Length)];
            if (n == _cs.Myself || n.TimedOut) continue;
            if ((n.Flags & (NodeFlags.Handshake | NodeFlags.NoAddr)) != 0 || (n.Link is null && n.NumSlots == 0))
            {
                freshNodes--;
                continue;
            }
            if (_lastInPing.TryGetValue(n, out long stamp) && stamp == _pingsSent) continue;
            gossip.Add(n);
            _lastInPing[n] = _pingsSent;
            freshNodes--;
        }
        if (pfailWanted > 0)
        {
            foreach (var n in all)
            {
                if (pfailWanted == 0) break;
                if ((n.Flags & (NodeFlags.Handshake | NodeFlags.NoAddr)) != 0 || !n.TimedOut) continue;
                gossip.Add(n);
                pfailWanted--;
            }
        }
        string hostname = _cs.Myself.Hostname;
        int extLength = BusMessage.HostnameExtensionLength(hostname);
        int total = BusMessage.HeaderLength + gossip.Count * BusMessage.GossipLength + extLength;
        if (!link.Inbound && type == BusMessage.Ping) link.Node!.PingSent = Now;
        var m = NewMessage(type, total);
        for (int i = 0; i < gossip.Count; i++)
            BusMessage.WriteGossip(m.AsSpan(BusMessage.OffData + i * BusMessage.GossipLength, BusMessage.GossipLength), gossip[i]);
        BusMessage.SetCount(m, gossip.Count);
        if (extLength > 0)
        {
            m[BusMessage.OffMFlags] |= BusMessage.Flag0ExtData;
            BinaryPrimitives.WriteUInt16BigEndian(m.AsSpan(BusMessage.OffExtensions), 1);
            BusMessage.WriteHostnameExtension(m.AsSpan(BusMessage.OffData + gossip.Count * BusMessage.GossipLength), hostname);
        }
        Send(link, m);
    }

    /// <summary>clusterBroadcastPong: every linked node (or only the replicas of my shard), to spread a new configuration at once.</summary>
    public void BroadcastPong(BroadcastTarget target)
    {
        foreach (var node in _cs.Nodes.Values.ToArray())
        {
            if (node.Link is null || node == _cs.Myself || node.InHandshake) continue;
            if (target == BroadcastTarget.LocalSlaves)
            {
                bool local = node.IsSlave && node.SlaveOf is not null && (node.SlaveOf == _cs.Myself || node.SlaveOf == _cs.Myself.SlaveOf);
                if (!local) continue;
            }
            SendPing(node.Link, BusMessage.Pong);
        }
    }

    /// <summary>clusterSendFail: tell every node that <paramref name="name"/> failed.</summary>
    public void SendFail(string name)
    {
        var m = NewMessage(BusMessage.Fail, BusMessage.FailLength);
        BusMessage.WriteName(m.AsSpan(BusMessage.OffData, BusMessage.NameLength), name);
        Broadcast(m);
    }

    /// <summary>clusterSendUpdate: tell a node with an old view who owns its slots now (slots the owner stopped claiming left out).</summary>
    public void SendUpdate(BusLink? link, ClusterNode node)
    {
        if (link is null) return;
        var m = NewMessage(BusMessage.Update, BusMessage.UpdateLength);
        var data = m.AsSpan(BusMessage.OffData);
        BinaryPrimitives.WriteUInt64BigEndian(data, node.ConfigEpoch);
        BusMessage.WriteName(data.Slice(8, BusMessage.NameLength), node.Name);
        var slots = data.Slice(8 + BusMessage.NameLength, ClusterNode.SlotBitmapBytes);
        node.SlotBits.CopyTo(slots);
        for (int i = 0; i < slots.Length; i++) slots[i] &= (byte)~_cs.OwnerNotClaimingSlot[i];
        Send(link, m);
    }

    /// <summary>clusterSendPublish: PUBLISH to every node, or PUBLISHSHARD to one link.</summary>
    public void SendPublish(BusLink? link, ReadOnlySpan<byte> channel, ReadOnlySpan<byte> message, ushort type, bool broadcast)
    {
        if (!broadcast && link is null) return;
        int total = BusMessage.HeaderLength + BusMessage.PublishFixed + channel.Length + message.Length;
        var m = NewMessage(type, total);
        var data = m.AsSpan(BusMessage.OffData);
        BinaryPrimitives.WriteUInt32BigEndian(data, (uint)channel.Length);
        BinaryPrimitives.WriteUInt32BigEndian(data[4..], (uint)message.Length);
        channel.CopyTo(data[8..]);
        message.CopyTo(data[(8 + channel.Length)..]);
        if (broadcast) Broadcast(m);
        else Send(link, m);
    }

    /// <summary>clusterPropagatePublish: PUBLISH to the whole cluster, SPUBLISH to the nodes of my shard.</summary>
    public void PropagatePublish(ReadOnlySpan<byte> channel, ReadOnlySpan<byte> message, bool sharded)
    {
        if (!sharded)
        {
            SendPublish(null, channel, message, BusMessage.Publish, broadcast: true);
            return;
        }
        foreach (var node in _cs.NodesServingSlotsOf(_cs.Myself))
        {
            if ((node.Flags & (NodeFlags.Myself | NodeFlags.Handshake)) != 0) continue;
            SendPublish(node.Link, channel, message, BusMessage.PublishShard, broadcast: false);
        }
    }

    /// <summary>clusterRequestFailoverAuth: every node is asked; only masters answer.</summary>
    public void RequestFailoverAuth(bool manual)
    {
        var m = NewMessage(BusMessage.AuthRequest, BusMessage.HeaderLength);
        if (manual) m[BusMessage.OffMFlags] |= BusMessage.Flag0ForceAck;
        Broadcast(m);
    }

    public void SendFailoverAuth(ClusterNode node)
    {
        if (node.Link is null) return;
        Send(node.Link, NewMessage(BusMessage.AuthAck, BusMessage.HeaderLength));
    }

    public void SendMfStart(ClusterNode node)
    {
        if (node.Link is null) return;
        Send(node.Link, NewMessage(BusMessage.MfStart, BusMessage.HeaderLength));
    }

    // ---- receiving ----

    /// <summary>
    /// clusterProcessPacket: a whole message read by <paramref name="link"/>. False when the link
    /// was freed while processing it. Messages of another version, or whose length is not what
    /// their type says, are dropped.
    /// </summary>
    internal bool ProcessMessage(BusLink link, ReadOnlySpan<byte> m)
    {
        var h = new BusMessage.Header(m);
        uint totlen = h.TotalLength;
        ushort type = h.Type;
        long now = Now;
        if (type < BusMessage.TypeCount) _cs.MessagesReceived[type]++;
        if (h.Version != 1) return true;
        if (type == _cs.DropPacketFilter) return true;
        long explen = BusMessage.ExpectedLength(m, out var problem);
        if (explen < 0)
        {
            Log.Warning(problem!);
            return true;
        }
        if (totlen != explen)
        {
            Log.Warning($"Received invalid {BusMessage.TypeName(type)} packet of length {totlen} but expected length {explen}");
            return true;
        }
        var flags = h.Flags;
        ulong senderCurrentEpoch = 0, senderConfigEpoch = 0;
        var sender = SenderOf(link, h);
        if (sender is not null) sender.DataReceived = now;
        if (sender is not null && !sender.InHandshake)
        {
            senderCurrentEpoch = h.CurrentEpoch;
            senderConfigEpoch = h.ConfigEpoch;
            if (senderCurrentEpoch > _cs.CurrentEpoch) _cs.CurrentEpoch = senderCurrentEpoch;
            if (senderConfigEpoch > sender.ConfigEpoch)
            {
                sender.ConfigEpoch = senderConfigEpoch;
                _cs.Todo |= ClusterState.TodoFlags.SaveConfig | ClusterState.TodoFlags.FsyncConfig;
            }
            sender.ReplOffset = h.Offset;
            sender.ReplOffsetTime = now;
            _cs.MasterOffsetReceived(sender, (h.MFlags0 & BusMessage.Flag0Paused) != 0);
        }

        if (type is BusMessage.Ping or BusMessage.Meet)
        {
            // A MEET (or any ping while our address is unknown) tells us our address: the one it reached.
            if ((type == BusMessage.Meet || _cs.Myself.Ip.Length == 0) && Config.ClusterAnnounceIp.Length == 0)
            {
                if (link.LocalIp is { } ip && ip != _cs.Myself.Ip)
                {
                    _cs.Myself.Ip = ip;
                    Log.Warning($"IP address for this node updated to {ip}");
                    _cs.Todo |= ClusterState.TodoFlags.SaveConfig;
                }
            }
            if (sender is null && type == BusMessage.Meet)
            {
                var node = new ClusterNode(ClusterNode.RandomName(), NodeFlags.Handshake, now)
                {
                    Ip = NodeIp(link, h) ?? "", Port = h.Port, PPort = h.PPort, CPort = h.CPort,
                };
                _cs.AddNode(node);
                _cs.Todo |= ClusterState.TodoFlags.SaveConfig;
                ProcessGossip(h, link, null);
            }
            SendPing(link, BusMessage.Pong);
        }

        if (type is BusMessage.Ping or BusMessage.Pong or BusMessage.Meet)
        {
            if (!link.Inbound)
            {
                var linkNode = link.Node!;
                if (linkNode.InHandshake)
                {
                    if (sender is not null)
                    {
                        // We already know this node under its real id: keep that one (with this address), drop the handshake.
                        Log.Verbose($"Handshake: we already know node {sender.Name}, updating the address if needed.");
                        if (UpdateAddressIfNeeded(sender, link, h))
                            _cs.Todo |= ClusterState.TodoFlags.SaveConfig | ClusterState.TodoFlags.UpdateState;
                        _cs.DeleteNode(linkNode);
                        return false;
                    }
                    string name = BusMessage.Name(h.Sender);
                    if (!ClusterNode.IsValidName(name) || name == _cs.Myself.Name)
                    {
                        // A peer claiming an impossible id (or ours) is not a node we can add.
                        _cs.DeleteNode(linkNode);
                        return false;
                    }
                    _cs.RenameNode(linkNode, name);
                    linkNode.Flags &= ~NodeFlags.Handshake;
                    linkNode.Flags |= flags & (NodeFlags.Master | NodeFlags.Slave);
                    _cs.Todo |= ClusterState.TodoFlags.SaveConfig;
                }
                else if (!h.Sender.SequenceEqual(System.Text.Encoding.Latin1.GetBytes(linkNode.Name)))
                {
                    // The node at this address has another id now: it is not the node we knew.
                    linkNode.Flags |= NodeFlags.NoAddr;
                    linkNode.Ip = "";
                    linkNode.Port = linkNode.PPort = linkNode.CPort = 0;
                    link.Free();
                    _cs.Todo |= ClusterState.TodoFlags.SaveConfig;
                    return false;
                }
            }
            if (sender is not null)
            {
                sender.Flags = (sender.Flags & ~NodeFlags.NoFailover) | (flags & NodeFlags.NoFailover);
                if (type == BusMessage.Ping && !sender.InHandshake && UpdateAddressIfNeeded(sender, link, h))
                    _cs.Todo |= ClusterState.TodoFlags.SaveConfig | ClusterState.TodoFlags.UpdateState;
            }
            if (!link.Inbound && type == BusMessage.Pong)
            {
                var n = link.Node!;
                n.PongReceived = now;
                n.PingSent = 0;
                if (n.TimedOut)
                {
                    n.Flags &= ~NodeFlags.PFail;
                    _cs.Todo |= ClusterState.TodoFlags.SaveConfig | ClusterState.TodoFlags.UpdateState;
                }
                else if (n.Failed) _cs.ClearNodeFailureIfNeeded(n);
            }
            if (sender is not null)
            {
                if (BusMessage.IsNullName(h.SlaveOf)) _cs.SetNodeAsMaster(sender);
                else
                {
                    var master = _cs.LookupNode(BusMessage.Name(h.SlaveOf));
                    if (sender.IsMaster)
                    {
                        _cs.DeleteNodeSlots(sender);
                        sender.Flags &= ~(NodeFlags.Master | NodeFlags.MigrateTo);
                        sender.Flags |= NodeFlags.Slave;
                        _cs.Todo |= ClusterState.TodoFlags.SaveConfig | ClusterState.TodoFlags.UpdateState;
                    }
                    if (master is not null && sender.SlaveOf != master && master != sender)
                    {
                        sender.SlaveOf?.RemoveReplica(sender);
                        master.AddReplica(sender);
                        sender.SlaveOf = master;
                        _cs.Todo |= ClusterState.TodoFlags.SaveConfig;
                    }
                }
            }
            ClusterNode? senderMaster = null;
            bool dirtySlots = false;
            if (sender is not null)
            {
                senderMaster = sender.IsMaster ? sender : sender.SlaveOf;
                if (senderMaster is not null) dirtySlots = !senderMaster.SlotBits.AsSpan().SequenceEqual(h.MySlots);
            }
            if (sender is not null && sender.IsMaster && dirtySlots)
                _cs.UpdateSlotsConfigWith(sender, senderConfigEpoch, h.MySlots);
            // The sender claims slots a newer configuration gave another master: tell it.
            if (sender is not null && dirtySlots)
            {
                var slots = h.MySlots;
                for (int j = 0; j < ClusterState.Slots; j++)
                {
                    if ((slots[j >> 3] & (1 << (j & 7))) == 0) continue;
                    var owner = _cs.SlotOwners[j];
                    if (owner == sender || _cs.SlotUnclaimed(j)) continue;
                    if (owner!.ConfigEpoch > senderConfigEpoch)
                    {
                        Log.Verbose($"Node {sender.Name} has old slots configuration, sending an UPDATE message about {owner.Name}");
                        SendUpdate(sender.Link, owner);
                        break;
                    }
                }
            }
            if (sender is not null && _cs.Myself.IsMaster && sender.IsMaster && senderConfigEpoch == _cs.Myself.ConfigEpoch)
                _cs.HandleConfigEpochCollision(sender);
            if (sender is not null)
            {
                ProcessGossip(h, link, sender);
                ProcessExtensions(m, sender);
            }
        }
        else if (type == BusMessage.Fail)
        {
            string about = BusMessage.Name(h.Data[..BusMessage.NameLength]);
            if (sender is not null)
            {
                var failing = _cs.LookupNode(about);
                if (failing is not null && (failing.Flags & (NodeFlags.Fail | NodeFlags.Myself)) == 0)
                {
                    Log.Notice($"FAIL message received from {BusMessage.Name(h.Sender)} about {about}");
                    failing.Flags |= NodeFlags.Fail;
                    failing.FailTime = now;
                    failing.Flags &= ~NodeFlags.PFail;
                    _cs.Todo |= ClusterState.TodoFlags.SaveConfig | ClusterState.TodoFlags.UpdateState;
                }
            }
            else Log.Notice($"Ignoring FAIL message from unknown node {BusMessage.CString(h.Sender)} about {about}");
        }
        else if (type is BusMessage.Publish or BusMessage.PublishShard)
        {
            if (sender is null) return true;
            var data = h.Data;
            int channelLength = (int)BinaryPrimitives.ReadUInt32BigEndian(data);
            int messageLength = (int)BinaryPrimitives.ReadUInt32BigEndian(data[4..]);
            _cs.DeliverPublish(data.Slice(8, channelLength), data.Slice(8 + channelLength, messageLength), type == BusMessage.PublishShard);
        }
        else if (type == BusMessage.AuthRequest)
        {
            if (sender is null) return true;
            _cs.SendFailoverAuthIfNeeded(sender, h);
        }
        else if (type == BusMessage.AuthAck)
        {
            if (sender is null) return true;
            if (sender.IsMaster && sender.NumSlots > 0 && senderCurrentEpoch >= _cs.FailoverAuthEpoch)
            {
                _cs.FailoverAuthCount++;
                _cs.Todo |= ClusterState.TodoFlags.HandleFailover;
            }
        }
        else if (type == BusMessage.MfStart)
        {
            if (sender is null || sender.SlaveOf != _cs.Myself) return true;
            _cs.ManualFailoverRequestedBy(sender);
            SendPing(link, BusMessage.Ping);
        }
        else if (type == BusMessage.Update)
        {
            if (sender is null) return true;
            var data = h.Data;
            ulong reported = BinaryPrimitives.ReadUInt64BigEndian(data);
            var n = _cs.LookupNode(BusMessage.Name(data.Slice(8, BusMessage.NameLength)));
            if (n is null || n.ConfigEpoch >= reported) return true;
            if (n.IsSlave) _cs.SetNodeAsMaster(n);
            n.ConfigEpoch = reported;
            _cs.Todo |= ClusterState.TodoFlags.SaveConfig | ClusterState.TodoFlags.FsyncConfig;
            _cs.UpdateSlotsConfigWith(n, reported, data.Slice(8 + BusMessage.NameLength, ClusterNode.SlotBitmapBytes));
        }
        else if (type == BusMessage.Module)
        {
            // No modules here: nothing subscribes to module messages.
        }
        else Log.Warning($"Received unknown packet type: {type}");
        return !link.Freed;
    }

    /// <summary>getNodeFromLinkAndMsg: the link's node once known, else the header's sender (binding an inbound link to it).</summary>
    ClusterNode? SenderOf(BusLink link, BusMessage.Header h)
    {
        if (link.Node is not null && !link.Node.InHandshake) return link.Node;
        var sender = _cs.LookupNode(BusMessage.Name(h.Sender));
        if (sender is not null && link.Node is null && sender != _cs.Myself) SetInboundLink(sender, link);
        // A message that claims to come from myself is from no node we know.
        return sender == _cs.Myself ? null : sender;
    }

    /// <summary>nodeIp2String: the announced IP, else the peer's address.</summary>
    static string? NodeIp(BusLink link, BusMessage.Header h)
    {
        string announced = h.MyIp;
        return announced.Length > 0 ? announced : link.PeerIp;
    }

    /// <summary>nodeUpdateAddressIfNeeded: a node heard on another link than its own with a new address: reconnect to it there.</summary>
    bool UpdateAddressIfNeeded(ClusterNode node, BusLink link, BusMessage.Header h)
    {
        if (link == node.Link) return false;
        if (NodeIp(link, h) is not { } ip) return false;
        if (node.Port == h.Port && node.CPort == h.CPort && node.PPort == h.PPort && node.Ip == ip) return false;
        node.Ip = ip;
        node.Port = h.Port;
        node.PPort = h.PPort;
        node.CPort = h.CPort;
        node.Link?.Free();
        node.Flags &= ~NodeFlags.NoAddr;
        Log.Warning($"Address updated for node {node.Name}, now {node.Ip}:{node.Port}");
        if (_cs.Myself.IsSlave && _cs.Myself.SlaveOf == node) _server.PrimaryLink.Follow(node.Ip, node.Port);
        return true;
    }

    /// <summary>clusterProcessGossipSection: failure reports from masters, fresher pong times, new addresses, new nodes.</summary>
    void ProcessGossip(BusMessage.Header h, BusLink link, ClusterNode? sender)
    {
        sender ??= link.Node ?? _cs.LookupNode(BusMessage.Name(h.Sender));
        int count = h.Count;
        for (int i = 0; i < count; i++)
        {
            var g = new BusMessage.Gossip(h.Data.Slice(i * BusMessage.GossipLength, BusMessage.GossipLength));
            var flags = g.Flags;
            string name = BusMessage.Name(g.Name);
            var node = _cs.LookupNode(name);
            if (node is not null)
            {
                if (sender is not null && sender.IsMaster && node != _cs.Myself)
                {
                    if ((flags & (NodeFlags.Fail | NodeFlags.PFail)) != 0)
                    {
                        if (_cs.AddFailureReport(node, sender)) Log.Verbose($"Node {sender.Name} reported node {node.Name} as not reachable.");
                        _cs.MarkNodeAsFailingIfNeeded(node);
                    }
                    else if (_cs.DeleteFailureReport(node, sender)) Log.Verbose($"Node {sender.Name} reported node {node.Name} is back online.");
                }
                if ((flags & (NodeFlags.Fail | NodeFlags.PFail)) == 0 && node.PingSent == 0 && _cs.FailureReportsCount(node) == 0)
                {
                    long pongTime = g.PongReceived * 1000L;
                    if (pongTime <= Now + 500 && pongTime > node.PongReceived) node.PongReceived = pongTime;
                }
                if ((node.Flags & (NodeFlags.Fail | NodeFlags.PFail)) != 0 && (flags & NodeFlags.NoAddr) == 0
                    && (flags & (NodeFlags.Fail | NodeFlags.PFail)) == 0
                    && (!string.Equals(node.Ip, g.Ip, StringComparison.OrdinalIgnoreCase) || node.Port != g.Port || node.CPort != g.CPort))
                {
                    node.Link?.Free();
                    node.Ip = g.Ip;
                    node.Port = g.Port;
                    node.PPort = g.PPort;
                    node.CPort = g.CPort;
                    node.Flags &= ~NodeFlags.NoAddr;
                }
            }
            else if (sender is not null && (flags & NodeFlags.NoAddr) == 0 && ClusterNode.IsValidName(name) && !_cs.Blacklisted(name))
            {
                // Only a node we already trust may introduce others (never a handshake: the address may be reused).
                var added = new ClusterNode(name, flags & ~(NodeFlags.Myself), Now) { Ip = g.Ip, Port = g.Port, PPort = g.PPort, CPort = g.CPort };
                _cs.AddNode(added);
            }
        }
    }

    /// <summary>clusterProcessPingExtensions: the hostname (none sent: none announced); other types are logged and skipped.</summary>
    void ProcessExtensions(ReadOnlySpan<byte> m, ClusterNode sender)
    {
        string hostname = "";
        foreach (var (type, data) in BusMessage.Extensions(m))
        {
            if (type == BusMessage.ExtHostname) hostname = BusMessage.CString(data);
            else Log.Warning($"Received unknown extension type {type}");
        }
        sender.Hostname = hostname;
    }

    // ---- cron ----

    /// <summary>
    /// clusterCron's link duties: handshakes that timed out are dropped, missing outbound links
    /// reconnected; every tenth run the node with the oldest pong among five random ones is
    /// pinged; nodes whose pong is older than node_timeout/2 are pinged, silent links past it
    /// dropped, and a node silent past node_timeout is flagged PFAIL.
    /// </summary>
    public bool Cron(out int orphanedMasters, out int maxSlaves, out int thisSlaves)
    {
        _iteration++;
        long now = Now;
        long timeout = Config.ClusterNodeTimeout;
        long handshakeTimeout = Math.Max(timeout, 1000);
        bool updateState = false;
        _pfailNodes = 0;
        foreach (var node in _cs.Nodes.Values.ToArray())
        {
            node.Link?.ShrinkSendBuffer();
            node.InboundLink?.ShrinkSendBuffer();
            long limit = Config.ClusterLinkSendbufLimit;
            if (limit > 0)
            {
                foreach (var l in new[] { node.Link, node.InboundLink })
                {
                    if (l is null || l.SendBufferAllocated <= limit) continue;
                    Log.Warning($"Freeing cluster link({(l.Inbound ? "from" : "to")} node {node.Name}, used memory: {l.SendBufferAllocated}) due to exceeding send buffer memory limit.");
                    l.Free();
                    _cs.LinksBufferLimitExceeded++;
                }
            }
            if ((node.Flags & (NodeFlags.Myself | NodeFlags.NoAddr)) != 0) continue;
            if (node.TimedOut) _pfailNodes++;
            if (node.InHandshake && now - node.CreatedMs > handshakeTimeout)
            {
                _cs.DeleteNode(node);
                continue;
            }
            if (node.Link is null)
            {
                var link = BusLink.Connect(this, _server.Loop, node, now);
                if (link is null)
                {
                    // Failure detection needs a ping in flight: count this attempt as one.
                    if (node.PingSent == 0) node.PingSent = now;
                }
                else if (!link.Freed) _links.Add(link);
            }
        }
        if (_iteration % 10 == 0)
        {
            ClusterNode? minPongNode = null;
            long minPong = 0;
            var all = _cs.Nodes.Values.ToArray();
            for (int j = 0; j < 5 && all.Length > 0; j++)
            {
                var n = all[Random.Shared.Next(all.Length)];
                if (n.Link is null || n.PingSent != 0) continue;
                if ((n.Flags & (NodeFlags.Myself | NodeFlags.Handshake)) != 0) continue;
                if (minPongNode is null || minPong > n.PongReceived)
                {
                    minPongNode = n;
                    minPong = n.PongReceived;
                }
            }
            if (minPongNode is not null) SendPing(minPongNode.Link!, BusMessage.Ping);
        }
        orphanedMasters = maxSlaves = thisSlaves = 0;
        foreach (var node in _cs.Nodes.Values.ToArray())
        {
            now = Now;
            if ((node.Flags & (NodeFlags.Myself | NodeFlags.NoAddr | NodeFlags.Handshake)) != 0) continue;
            if (_cs.Myself.IsSlave && node.IsMaster && !node.Failed)
            {
                int ok = _cs.CountNonFailingReplicas(node);
                if (ok == 0 && node.NumSlots > 0 && (node.Flags & NodeFlags.MigrateTo) != 0) orphanedMasters++;
                if (ok > maxSlaves) maxSlaves = ok;
                if (_cs.Myself.SlaveOf == node) thisSlaves = ok;
            }
            long pingDelay = now - node.PingSent, dataDelay = now - node.DataReceived;
            if (node.Link is not null && now - node.Link.CreatedMs > timeout && node.PingSent != 0
                && pingDelay > timeout / 2 && dataDelay > timeout / 2)
                node.Link.Free();
            if (node.Link is not null && node.PingSent == 0 && now - node.PongReceived > timeout / 2)
            {
                SendPing(node.Link, BusMessage.Ping);
                continue;
            }
            if (_cs.ManualFailoverEnd != 0 && _cs.Myself.IsMaster && _cs.ManualFailoverReplica == node && node.Link is not null)
            {
                SendPing(node.Link, BusMessage.Ping);
                continue;
            }
            if (node.PingSent == 0) continue;
            long nodeDelay = Math.Min(pingDelay, dataDelay);
            if (nodeDelay > timeout && (node.Flags & (NodeFlags.PFail | NodeFlags.Fail)) == 0)
            {
                Log.Debug($"*** NODE {node.Name} possibly failing");
                node.Flags |= NodeFlags.PFail;
                updateState = true;
            }
        }
        return updateState;
    }
}
