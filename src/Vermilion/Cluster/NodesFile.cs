using System.Globalization;
using System.Text;
using Vermilion.Server;

namespace Vermilion.Cluster;

/// <summary>
/// nodes.conf (clusterLoadConfig, clusterSaveConfig) and the CLUSTER NODES text it shares
/// (clusterGenNodeDescription): one line per node, then "vars currentEpoch N lastVoteEpoch M".
/// </summary>
public sealed partial class ClusterState
{
    /// <summary>
    /// clusterGenNodeDescription: id, ip:port@cport[,hostname], flags, master or "-", ping sent,
    /// pong received, config epoch (a replica shows its master's), link state, slot ranges, and for
    /// myself the open slots ([slot->-id] migrating, [slot-&lt;-id] importing).
    /// </summary>
    public string NodeDescription(ClusterNode node, List<(int Start, int End)>? ranges = null, bool plaintextPort = false)
    {
        var sb = new StringBuilder(128);
        sb.Append(node.Name).Append(' ').Append(node.Ip).Append(':').Append(PortFor(node, plaintextPort)).Append('@').Append(node.CPort);
        if (node.Hostname.Length != 0) sb.Append(',').Append(node.Hostname);
        sb.Append(' ').Append(ClusterNode.FlagNames(node.Flags)).Append(' ');
        sb.Append(node.SlaveOf is not null ? node.SlaveOf.Name : "-");
        ulong epoch = node.IsSlave && node.SlaveOf is not null ? node.SlaveOf.ConfigEpoch : node.ConfigEpoch;
        sb.Append(' ').Append(node.PingSent).Append(' ').Append(node.PongReceived).Append(' ').Append(epoch).Append(' ');
        sb.Append(node.Link is not null || (node.Flags & NodeFlags.Myself) != 0 ? "connected" : "disconnected");
        foreach (var (start, end) in ranges ?? SlotRanges(node))
        {
            if (start == end) sb.Append(' ').Append(start);
            else sb.Append(' ').Append(start).Append('-').Append(end);
        }
        if ((node.Flags & NodeFlags.Myself) != 0)
        {
            for (int j = 0; j < Slots; j++)
            {
                if (MigratingTo[j] is { } to) sb.Append(" [").Append(j).Append("->-").Append(to.Name).Append(']');
                else if (ImportingFrom[j] is { } from) sb.Append(" [").Append(j).Append("-<-").Append(from.Name).Append(']');
            }
        }
        return sb.ToString();
    }

    /// <summary>clusterGenNodesDescription: every node not matching <paramref name="filter"/>, a line each (with plaintext ports for a plaintext client of a TLS cluster).</summary>
    public string NodesDescription(NodeFlags filter, bool plaintextPort = false)
    {
        // The slot table once, rather than 16384 slots per node (clusterGenNodesSlotsInfo).
        var ranges = new Dictionary<ClusterNode, List<(int, int)>>();
        int start = -1;
        ClusterNode? owner = null;
        for (int i = 0; i <= Slots; i++)
        {
            var n = i < Slots ? SlotOwners[i] : null;
            if (n == owner && i < Slots) continue;
            if (owner is not null)
            {
                if (!ranges.TryGetValue(owner, out var list)) ranges[owner] = list = new();
                list.Add((start, i - 1));
            }
            owner = n;
            start = i;
        }
        var sb = new StringBuilder();
        foreach (var node in Nodes.Values)
        {
            if ((node.Flags & filter) != 0) continue;
            sb.Append(NodeDescription(node, ranges.GetValueOrDefault(node) ?? [], plaintextPort)).Append('\n');
        }
        return sb.ToString();
    }

    /// <summary>
    /// clusterSaveConfig: the node lines (handshake nodes left out) and the vars line, written over
    /// the file in one write, then truncated to its length. False on an I/O error.
    /// </summary>
    public bool SaveConfig(bool fsync)
    {
        Todo &= ~TodoFlags.SaveConfig;
        var text = NodesDescription(NodeFlags.Handshake) + $"vars currentEpoch {CurrentEpoch} lastVoteEpoch {LastVoteEpoch}\n";
        var bytes = Encoding.Latin1.GetBytes(text);
        try
        {
            using var f = new FileStream(_configPath, FileMode.OpenOrCreate, FileAccess.Write, FileShare.ReadWrite, 1);
            f.Write(bytes);
            if (f.Length > bytes.Length) f.SetLength(bytes.Length);
            if (fsync)
            {
                Todo &= ~TodoFlags.FsyncConfig;
                f.Flush(flushToDisk: true);
            }
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>
    /// clusterLoadConfig: false when the file is missing or empty (a new node); a malformed file
    /// stops the server ("Unrecoverable error: corrupted cluster config file.").
    /// </summary>
    bool LoadConfig()
    {
        string[] lines;
        try
        {
            if (!File.Exists(_configPath) || new FileInfo(_configPath).Length == 0) return false;
            lines = File.ReadAllText(_configPath, Encoding.Latin1).Split('\n');
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Log.Warning($"Loading the cluster node config from {Config.ClusterConfigFile}: {e.Message}");
            throw new ServerStartException($"Loading the cluster node config from {Config.ClusterConfigFile}: {e.Message}");
        }
        foreach (var line in lines)
        {
            if (line.Length == 0) continue;
            var argv = Vermilion.Security.Acl.SplitArgs(line);
            if (argv is null || argv.Length == 0 || !LoadLine(argv)) throw CorruptConfig();
        }
        if (Myself is null) throw CorruptConfig();
        Log.Notice($"Node configuration loaded, I'm {Myself.Name}");
        // Protection against a hand-edited file: currentEpoch is at least every configEpoch.
        if (MaxEpoch() > CurrentEpoch) CurrentEpoch = MaxEpoch();
        return true;
    }

    ServerStartException CorruptConfig()
    {
        Log.Warning("Unrecoverable error: corrupted cluster config file.");
        return new ServerStartException("Unrecoverable error: corrupted cluster config file.");
    }

    bool LoadLine(string[] argv)
    {
        if (argv[0].Equals("vars", StringComparison.OrdinalIgnoreCase))
        {
            if (argv.Length % 2 == 0) return false;
            for (int j = 1; j < argv.Length; j += 2)
            {
                if (argv[j].Equals("currentEpoch", StringComparison.OrdinalIgnoreCase)) CurrentEpoch = ParseEpoch(argv[j + 1]);
                else if (argv[j].Equals("lastVoteEpoch", StringComparison.OrdinalIgnoreCase)) LastVoteEpoch = ParseEpoch(argv[j + 1]);
                else Log.Warning($"Skipping unknown cluster config variable '{argv[j]}'");
            }
            return true;
        }
        if (argv.Length < 8 || !ClusterNode.IsValidName(argv[0])) return false;
        var n = LookupNode(argv[0]);
        if (n is null)
        {
            n = new ClusterNode(argv[0], NodeFlags.None, NowMs);
            AddNode(n);
        }
        // ip:port[@cport][,hostname]
        string address = argv[1];
        int comma = address.IndexOf(',');
        n.Hostname = comma >= 0 ? address[(comma + 1)..] : "";
        if (comma >= 0) address = address[..comma];
        int colon = address.LastIndexOf(':');
        if (colon < 0) return false;
        n.Ip = address[..colon];
        string ports = address[(colon + 1)..];
        int at = ports.IndexOf('@');
        n.Port = Atoi(at >= 0 ? ports[..at] : ports);
        // Older files have no @cport: the default distance.
        n.CPort = at >= 0 ? Atoi(ports[(at + 1)..]) : n.Port + PortIncrement;
        foreach (var flag in argv[2].Split(','))
        {
            switch (flag.ToLowerInvariant())
            {
                case "myself":
                    if (Myself is not null) return false;
                    Myself = n;
                    n.Flags |= NodeFlags.Myself;
                    break;
                case "master": n.Flags |= NodeFlags.Master; break;
                case "slave": n.Flags |= NodeFlags.Slave; break;
                case "fail?": n.Flags |= NodeFlags.PFail; break;
                case "fail": n.Flags |= NodeFlags.Fail; n.FailTime = NowMs; break;
                case "handshake": n.Flags |= NodeFlags.Handshake; break;
                case "noaddr": n.Flags |= NodeFlags.NoAddr; break;
                case "nofailover": n.Flags |= NodeFlags.NoFailover; break;
                case "noflags": break;
                // Redis panics on an unknown flag.
                default: return false;
            }
        }
        if (argv[3] != "-")
        {
            if (!ClusterNode.IsValidName(argv[3])) return false;
            var master = LookupNode(argv[3]);
            if (master is null)
            {
                master = new ClusterNode(argv[3], NodeFlags.None, NowMs);
                AddNode(master);
            }
            n.SlaveOf = master;
            master.AddReplica(n);
        }
        if (Atoi(argv[4]) != 0) n.PingSent = NowMs;
        if (Atoi(argv[5]) != 0) n.PongReceived = NowMs;
        // A replica's epoch is its master's: its own is 0.
        n.ConfigEpoch = n.IsSlave && n.SlaveOf is not null ? 0 : ParseEpoch(argv[6]);
        for (int j = 8; j < argv.Length; j++)
        {
            string arg = argv[j];
            if (arg.StartsWith('['))
            {
                int dash = arg.IndexOf('-');
                if (dash < 0 || dash + 3 > arg.Length) return false;
                char direction = arg[dash + 1];
                int slot = Atoi(arg[1..dash]);
                if (slot < 0 || slot >= Slots) return false;
                int close = arg.IndexOf(']', dash);
                if (close < 0 || !ClusterNode.IsValidName(arg.AsSpan(dash + 3, close - dash - 3))) return false;
                string name = arg.Substring(dash + 3, close - dash - 3);
                var other = LookupNode(name);
                if (other is null)
                {
                    other = new ClusterNode(name, NodeFlags.None, NowMs);
                    AddNode(other);
                }
                if (direction == '>') MigratingTo[slot] = other;
                else ImportingFrom[slot] = other;
                continue;
            }
            int start, stop;
            int d = arg.IndexOf('-');
            if (d >= 0) { start = Atoi(arg[..d]); stop = Atoi(arg[(d + 1)..]); }
            else start = stop = Atoi(arg);
            if (start < 0 || start >= Slots || stop < 0 || stop >= Slots) return false;
            while (start <= stop) AddSlot(n, start++);
        }
        return true;
    }

    /// <summary>atoi: the leading digits (with a sign), 0 when there are none.</summary>
    static int Atoi(string s)
    {
        int i = 0;
        bool negative = false;
        if (i < s.Length && (s[i] == '-' || s[i] == '+')) negative = s[i++] == '-';
        long v = 0;
        while (i < s.Length && char.IsAsciiDigit(s[i]) && v < int.MaxValue) v = v * 10 + (s[i++] - '0');
        return (int)(negative ? -v : v);
    }

    static ulong ParseEpoch(string s) => ulong.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : 0;
}
