using System.Buffers.Binary;
using System.Text;

namespace Vermilion.Cluster;

/// <summary>
/// The cluster bus's wire format, RCmb version 1 (cluster.h clusterMsg, as 7.0 lays it out; the
/// static_asserts there fix every offset). All integers are big-endian. A message is a 2256-byte
/// header, then the data of its type: gossip entries (and ping extensions) for PING/PONG/MEET, a
/// node name for FAIL, channel and message for PUBLISH/PUBLISHSHARD, an epoch, name and slot
/// bitmap for UPDATE, nothing for the failover messages. This is the one place that knows the
/// offsets: <see cref="Header"/> reads a received message, <see cref="Write"/> fills one to send.
/// </summary>
public static class BusMessage
{
    public const ushort Ping = 0, Pong = 1, Meet = 2, Fail = 3, Publish = 4, AuthRequest = 5, AuthAck = 6,
        Update = 7, MfStart = 8, Module = 9, PublishShard = 10;
    public const int TypeCount = 11;

    /// <summary>CLUSTERMSG_MIN_LEN: the header without data.</summary>
    public const int HeaderLength = 2256;
    public const int GossipLength = 104;
    public const int NameLength = ClusterNode.NameLength;
    /// <summary>NET_IP_STR_LEN.</summary>
    public const int IpLength = 46;
    public const int FailLength = HeaderLength + NameLength;
    public const int UpdateLength = HeaderLength + 8 + NameLength + ClusterNode.SlotBitmapBytes;
    /// <summary>clusterMsgDataPublish less its 8-byte bulk_data placeholder.</summary>
    public const int PublishFixed = 8;

    // Header offsets (cluster.h).
    public const int OffTotLen = 4, OffVer = 8, OffPort = 10, OffType = 12, OffCount = 14, OffCurrentEpoch = 16,
        OffConfigEpoch = 24, OffOffset = 32, OffSender = 40, OffMySlots = 80, OffSlaveOf = 2128, OffMyIp = 2168,
        OffExtensions = 2214, OffPPort = 2246, OffCPort = 2248, OffFlags = 2250, OffState = 2252, OffMFlags = 2253,
        OffData = 2256;

    // Gossip entry offsets.
    const int GName = 0, GPingSent = 40, GPongReceived = 44, GIp = 48, GPort = 94, GCPort = 96, GFlags = 98, GPPort = 100;

    /// <summary>mflags[0] bits.</summary>
    public const byte Flag0Paused = 1, Flag0ForceAck = 2, Flag0ExtData = 4;
    /// <summary>Ping extension types: 7.0 knows only the hostname; 7.2 and Valkey add others, skipped.</summary>
    public const ushort ExtHostname = 0;

    public static ReadOnlySpan<byte> Signature => "RCmb"u8;

    /// <summary>clusterGetMessageTypeString (CLUSTER INFO's names).</summary>
    public static string TypeName(int type) => type switch
    {
        Ping => "ping", Pong => "pong", Meet => "meet", Fail => "fail", Publish => "publish",
        PublishShard => "publishshard", AuthRequest => "auth-req", AuthAck => "auth-ack",
        Update => "update", MfStart => "mfstart", Module => "module", _ => "unknown",
    };

    /// <summary>A received message, read in place (lengths already checked by the caller: <see cref="ExpectedLength"/>).</summary>
    public readonly ref struct Header(ReadOnlySpan<byte> m)
    {
        public readonly ReadOnlySpan<byte> Bytes = m;
        public uint TotalLength => BinaryPrimitives.ReadUInt32BigEndian(Bytes[OffTotLen..]);
        public ushort Version => BinaryPrimitives.ReadUInt16BigEndian(Bytes[OffVer..]);
        public ushort Port => BinaryPrimitives.ReadUInt16BigEndian(Bytes[OffPort..]);
        public ushort Type => BinaryPrimitives.ReadUInt16BigEndian(Bytes[OffType..]);
        public ushort Count => BinaryPrimitives.ReadUInt16BigEndian(Bytes[OffCount..]);
        public ulong CurrentEpoch => BinaryPrimitives.ReadUInt64BigEndian(Bytes[OffCurrentEpoch..]);
        public ulong ConfigEpoch => BinaryPrimitives.ReadUInt64BigEndian(Bytes[OffConfigEpoch..]);
        public long Offset => (long)BinaryPrimitives.ReadUInt64BigEndian(Bytes[OffOffset..]);
        public ReadOnlySpan<byte> Sender => Bytes.Slice(OffSender, NameLength);
        public ReadOnlySpan<byte> MySlots => Bytes.Slice(OffMySlots, ClusterNode.SlotBitmapBytes);
        public ReadOnlySpan<byte> SlaveOf => Bytes.Slice(OffSlaveOf, NameLength);
        public string MyIp => CString(Bytes.Slice(OffMyIp, IpLength));
        public ushort Extensions => BinaryPrimitives.ReadUInt16BigEndian(Bytes[OffExtensions..]);
        public ushort PPort => BinaryPrimitives.ReadUInt16BigEndian(Bytes[OffPPort..]);
        public ushort CPort => BinaryPrimitives.ReadUInt16BigEndian(Bytes[OffCPort..]);
        public NodeFlags Flags => (NodeFlags)BinaryPrimitives.ReadUInt16BigEndian(Bytes[OffFlags..]);
        public byte MFlags0 => Bytes[OffMFlags];
        public ReadOnlySpan<byte> Data => Bytes[OffData..];
    }

    /// <summary>One gossip entry (clusterMsgDataGossip).</summary>
    public readonly ref struct Gossip(ReadOnlySpan<byte> g)
    {
        readonly ReadOnlySpan<byte> _g = g;
        public ReadOnlySpan<byte> Name => _g.Slice(GName, NameLength);
        public uint PingSent => BinaryPrimitives.ReadUInt32BigEndian(_g[GPingSent..]);
        public uint PongReceived => BinaryPrimitives.ReadUInt32BigEndian(_g[GPongReceived..]);
        public string Ip => CString(_g.Slice(GIp, IpLength));
        public ushort Port => BinaryPrimitives.ReadUInt16BigEndian(_g[GPort..]);
        public ushort CPort => BinaryPrimitives.ReadUInt16BigEndian(_g[GCPort..]);
        public NodeFlags Flags => (NodeFlags)BinaryPrimitives.ReadUInt16BigEndian(_g[GFlags..]);
        public ushort PPort => BinaryPrimitives.ReadUInt16BigEndian(_g[GPPort..]);
    }

    /// <summary>
    /// clusterProcessPacket's length check: the length a message of this type must have, or -1
    /// when it cannot be valid (a ping extension not padded to 8 bytes or running past the end).
    /// Unknown types are taken at their word.
    /// </summary>
    public static long ExpectedLength(ReadOnlySpan<byte> m, out string? problem)
    {
        problem = null;
        var h = new Header(m);
        uint totlen = h.TotalLength;
        switch (h.Type)
        {
            case Ping or Pong or Meet:
            {
                long explen = HeaderLength + (long)GossipLength * h.Count;
                if ((h.MFlags0 & Flag0ExtData) != 0)
                {
                    int extensions = h.Extensions;
                    long at = explen;
                    while (extensions-- > 0)
                    {
                        if (at + 8 > m.Length)
                        {
                            problem = $"Received invalid {TypeName(h.Type)} packet with extension data that exceeds total packet length ({totlen})";
                            return -1;
                        }
                        // getPingExtLength is read into a uint16 in 7.0.
                        ushort extlen = (ushort)BinaryPrimitives.ReadUInt32BigEndian(m[(int)at..]);
                        if (extlen % 8 != 0)
                        {
                            problem = $"Received a {TypeName(h.Type)} packet without proper padding ({extlen} bytes)";
                            return -1;
                        }
                        if (totlen - explen < extlen)
                        {
                            problem = $"Received invalid {TypeName(h.Type)} packet with extension data that exceeds total packet length ({totlen})";
                            return -1;
                        }
                        explen += extlen;
                        at += extlen;
                    }
                }
                return explen;
            }
            case Fail: return FailLength;
            case Publish or PublishShard:
                if (m.Length < HeaderLength + 8) return HeaderLength + 8;
                return HeaderLength + PublishFixed + (long)BinaryPrimitives.ReadUInt32BigEndian(h.Data) + BinaryPrimitives.ReadUInt32BigEndian(h.Data[4..]);
            case AuthRequest or AuthAck or MfStart: return HeaderLength;
            case Update: return UpdateLength;
            case Module:
                // clusterMsgModule: module_id (8), len (4), type (1), bulk_data[3].
                if (m.Length < HeaderLength + 13) return HeaderLength + 13;
                return HeaderLength + 13 + (long)BinaryPrimitives.ReadUInt32BigEndian(h.Data[8..]);
            default: return totlen;
        }
    }

    /// <summary>The ping extensions after the gossip section: (type, data) of each.</summary>
    public static List<(ushort Type, byte[] Data)> Extensions(ReadOnlySpan<byte> m)
    {
        var h = new Header(m);
        var list = new List<(ushort, byte[])>();
        if ((h.MFlags0 & Flag0ExtData) == 0) return list;
        int at = HeaderLength + GossipLength * h.Count;
        for (int i = 0; i < h.Extensions && at + 8 <= m.Length; i++)
        {
            int len = (ushort)BinaryPrimitives.ReadUInt32BigEndian(m[at..]);
            ushort type = BinaryPrimitives.ReadUInt16BigEndian(m[(at + 4)..]);
            if (len < 8 || at + len > m.Length) break;
            list.Add((type, m.Slice(at + 8, len - 8).ToArray()));
            at += len;
        }
        return list;
    }

    /// <summary>
    /// clusterBuildMessageHdr into <paramref name="m"/> (zeroed, at least the header long): the
    /// sender's name, announced address and ports, flags and state, its slots and configEpoch
    /// (a replica sends its master's), currentEpoch and the replication offset.
    /// </summary>
    public static void Write(Span<byte> m, ClusterState cs, ushort type, int totalLength)
    {
        var myself = cs.Myself;
        var master = myself.IsSlave && myself.SlaveOf is not null ? myself.SlaveOf : myself;
        Signature.CopyTo(m);
        BinaryPrimitives.WriteUInt32BigEndian(m[OffTotLen..], (uint)totalLength);
        BinaryPrimitives.WriteUInt16BigEndian(m[OffVer..], 1);
        BinaryPrimitives.WriteUInt16BigEndian(m[OffType..], type);
        WriteName(m.Slice(OffSender, NameLength), myself.Name);
        if (cs.Config.ClusterAnnounceIp.Length > 0) WriteCString(m.Slice(OffMyIp, IpLength), cs.Config.ClusterAnnounceIp);
        cs.AnnouncedPorts(out int port, out int pport, out int cport);
        master.SlotBits.CopyTo(m.Slice(OffMySlots, ClusterNode.SlotBitmapBytes));
        if (myself.SlaveOf is not null) WriteName(m.Slice(OffSlaveOf, NameLength), myself.SlaveOf.Name);
        BinaryPrimitives.WriteUInt16BigEndian(m[OffPort..], (ushort)port);
        BinaryPrimitives.WriteUInt16BigEndian(m[OffPPort..], (ushort)pport);
        BinaryPrimitives.WriteUInt16BigEndian(m[OffCPort..], (ushort)cport);
        BinaryPrimitives.WriteUInt16BigEndian(m[OffFlags..], (ushort)myself.Flags);
        m[OffState] = (byte)cs.State;
        BinaryPrimitives.WriteUInt64BigEndian(m[OffCurrentEpoch..], cs.CurrentEpoch);
        BinaryPrimitives.WriteUInt64BigEndian(m[OffConfigEpoch..], master.ConfigEpoch);
        BinaryPrimitives.WriteUInt64BigEndian(m[OffOffset..], (ulong)cs.MyReplicationOffset);
        if (myself.IsMaster && cs.ManualFailoverEnd != 0) m[OffMFlags] |= Flag0Paused;
    }

    public static void SetCount(Span<byte> m, int count) => BinaryPrimitives.WriteUInt16BigEndian(m[OffCount..], (ushort)count);

    /// <summary>clusterSetGossipEntry.</summary>
    public static void WriteGossip(Span<byte> g, ClusterNode n)
    {
        WriteName(g.Slice(GName, NameLength), n.Name);
        BinaryPrimitives.WriteUInt32BigEndian(g[GPingSent..], (uint)(n.PingSent / 1000));
        BinaryPrimitives.WriteUInt32BigEndian(g[GPongReceived..], (uint)(n.PongReceived / 1000));
        WriteCString(g.Slice(GIp, IpLength), n.Ip);
        BinaryPrimitives.WriteUInt16BigEndian(g[GPort..], (ushort)n.Port);
        BinaryPrimitives.WriteUInt16BigEndian(g[GCPort..], (ushort)n.CPort);
        BinaryPrimitives.WriteUInt16BigEndian(g[GFlags..], (ushort)n.Flags);
        BinaryPrimitives.WriteUInt16BigEndian(g[GPPort..], (ushort)n.PPort);
    }

    /// <summary>The hostname extension's length: 8 bytes of extension header, the name and its NUL padded to 8.</summary>
    public static int HostnameExtensionLength(string hostname) => hostname.Length == 0 ? 0 : 8 + ((hostname.Length + 1 + 7) & ~7);

    public static void WriteHostnameExtension(Span<byte> e, string hostname)
    {
        int len = HostnameExtensionLength(hostname);
        BinaryPrimitives.WriteUInt32BigEndian(e, (uint)len);
        BinaryPrimitives.WriteUInt16BigEndian(e[4..], ExtHostname);
        Encoding.Latin1.GetBytes(hostname, e[8..]);
    }

    public static void WriteName(Span<byte> to, string name) => Encoding.Latin1.GetBytes(name.AsSpan(0, Math.Min(name.Length, NameLength)), to);

    static void WriteCString(Span<byte> to, string s)
    {
        int n = Math.Min(s.Length, to.Length - 1);
        Encoding.Latin1.GetBytes(s.AsSpan(0, n), to);
    }

    /// <summary>A fixed field up to its first NUL.</summary>
    public static string CString(ReadOnlySpan<byte> field)
    {
        int nul = field.IndexOf((byte)0);
        return Encoding.Latin1.GetString(nul >= 0 ? field[..nul] : field);
    }

    public static string Name(ReadOnlySpan<byte> field) => Encoding.Latin1.GetString(field);

    /// <summary>CLUSTER_NODE_NULL_NAME: a name of 40 NUL bytes (no master).</summary>
    public static bool IsNullName(ReadOnlySpan<byte> field) => field.IndexOfAnyExcept((byte)0) < 0;
}
