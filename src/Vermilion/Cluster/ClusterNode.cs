using System.Text;

namespace Vermilion.Cluster;

/// <summary>cluster.h's CLUSTER_NODE_* bits: the values travel in bus headers and gossip, so they are Redis's.</summary>
[Flags]
public enum NodeFlags : ushort
{
    None = 0,
    Master = 1,
    Slave = 2,
    /// <summary>Failure suspected by this node (shown "fail?").</summary>
    PFail = 4,
    /// <summary>Failure agreed by a majority of masters.</summary>
    Fail = 8,
    Myself = 16,
    /// <summary>Met, but the first PONG (which tells its real id) has not arrived.</summary>
    Handshake = 32,
    NoAddr = 64,
    /// <summary>Send a MEET rather than a PING on the next connection.</summary>
    Meet = 128,
    /// <summary>A master that qualifies as a target of replica migration.</summary>
    MigrateTo = 256,
    NoFailover = 512,
}

/// <summary>
/// One node of the cluster as this node sees it (cluster.h clusterNode): its id, address, role,
/// config epoch, the slots it claims, its links and the failure reports other masters gave on it.
/// </summary>
public sealed class ClusterNode
{
    public const int NameLength = 40;

    public string Name;
    public NodeFlags Flags;
    public ulong ConfigEpoch;
    /// <summary>The slots this node claims, one bit each (slot 0 = bit 0 of byte 0), as the header's myslots.</summary>
    public readonly byte[] SlotBits = new byte[SlotBitmapBytes];
    public int NumSlots;
    public ClusterNode? SlaveOf;
    public readonly List<ClusterNode> Replicas = new();
    /// <summary>mstime of the ping in flight (0: none), of the last pong, of the last data from it, of the FAIL mark.</summary>
    public long PingSent, PongReceived, DataReceived, FailTime;
    /// <summary>When this node, as a master, last voted for a replica of this node (clusterSendFailoverAuthIfNeeded).</summary>
    public long VotedTime;
    /// <summary>The replication offset it announced, and when (a replica's rank in elections).</summary>
    public long ReplOffset, ReplOffsetTime;
    /// <summary>Since when this master has had no working replica (replica migration).</summary>
    public long OrphanedTime;
    public string Ip = "";
    public int Port, CPort, PPort;
    public string Hostname = "";
    /// <summary>The link this node opened to it, and the one it opened to this node.</summary>
    public BusLink? Link, InboundLink;
    /// <summary>Masters that reported it PFAIL or FAIL, and when (clusterNodeAddFailureReport).</summary>
    public readonly List<(ClusterNode Sender, long Time)> FailReports = new();
    public long CreatedMs;

    public const int SlotBitmapBytes = 16384 / 8;

    public ClusterNode(string name, NodeFlags flags, long nowMs)
    {
        Name = name;
        Flags = flags;
        CreatedMs = nowMs;
    }

    public bool IsMaster => (Flags & NodeFlags.Master) != 0;
    public bool IsSlave => (Flags & NodeFlags.Slave) != 0;
    /// <summary>nodeFailed: FAIL agreed.</summary>
    public bool Failed => (Flags & NodeFlags.Fail) != 0;
    /// <summary>nodeTimedOut: PFAIL.</summary>
    public bool TimedOut => (Flags & NodeFlags.PFail) != 0;
    public bool InHandshake => (Flags & NodeFlags.Handshake) != 0;
    public bool HasAddress => (Flags & NodeFlags.NoAddr) == 0;

    public bool OwnsSlot(int slot) => (SlotBits[slot >> 3] & (1 << (slot & 7))) != 0;

    /// <summary>clusterNodeSetSlotBit; false when it was already set.</summary>
    public bool SetSlot(int slot)
    {
        if (OwnsSlot(slot)) return false;
        SlotBits[slot >> 3] |= (byte)(1 << (slot & 7));
        NumSlots++;
        // clusterNodeSetSlotBit: a master that gains its first slot with replicas is a migration target.
        if (NumSlots == 1 && Replicas.Count > 0) Flags |= NodeFlags.MigrateTo;
        return true;
    }

    public bool ClearSlot(int slot)
    {
        if (!OwnsSlot(slot)) return false;
        SlotBits[slot >> 3] &= (byte)~(1 << (slot & 7));
        NumSlots--;
        return true;
    }

    public void AddReplica(ClusterNode replica)
    {
        if (Replicas.Contains(replica)) return;
        Replicas.Add(replica);
        Flags |= NodeFlags.MigrateTo;
    }

    public void RemoveReplica(ClusterNode replica)
    {
        Replicas.Remove(replica);
        if (Replicas.Count == 0) Flags &= ~NodeFlags.MigrateTo;
    }

    /// <summary>representClusterNodeFlags: the names in Redis's table order, "noflags" when none.</summary>
    public static string FlagNames(NodeFlags flags)
    {
        var sb = new StringBuilder();
        if ((flags & NodeFlags.Myself) != 0) sb.Append("myself,");
        if ((flags & NodeFlags.Master) != 0) sb.Append("master,");
        if ((flags & NodeFlags.Slave) != 0) sb.Append("slave,");
        if ((flags & NodeFlags.PFail) != 0) sb.Append("fail?,");
        if ((flags & NodeFlags.Fail) != 0) sb.Append("fail,");
        if ((flags & NodeFlags.Handshake) != 0) sb.Append("handshake,");
        if ((flags & NodeFlags.NoAddr) != 0) sb.Append("noaddr,");
        if ((flags & NodeFlags.NoFailover) != 0) sb.Append("nofailover,");
        if (sb.Length == 0) sb.Append("noflags,");
        sb.Length--;
        return sb.ToString();
    }

    /// <summary>getRandomHexChars: a fresh node id.</summary>
    public static string RandomName()
    {
        Span<byte> bytes = stackalloc byte[NameLength / 2];
        System.Security.Cryptography.RandomNumberGenerator.Fill(bytes);
        return Convert.ToHexStringLower(bytes);
    }

    /// <summary>verifyClusterNodeId: 40 characters of [a-z0-9] (Redis accepts any lowercase letter).</summary>
    public static bool IsValidName(ReadOnlySpan<char> name)
    {
        if (name.Length != NameLength) return false;
        foreach (char ch in name) if (!char.IsAsciiLetterLower(ch) && !char.IsAsciiDigit(ch)) return false;
        return true;
    }
}
