using System.Buffers.Binary;
using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using Xunit;

namespace Vermilion.Tests;

/// <summary>Both servers started with cluster-enabled yes, each with its bus on a free port and a short node timeout.</summary>
public sealed class ClusterServers : DifferentialServers
{
    public ClusterServers() : base(Args(), Args()) { }

    static string[] Args() => ["--cluster-enabled", "yes", "--cluster-port", InProcessServer.FreeTcpPort().ToString(), "--cluster-node-timeout", "1000"];

    /// <summary>What differs between the two by nature: node ids, and each server's own client and bus ports.</summary>
    public string Mask()
    {
        string Port(RespSocket s) => Regex.Match(s.Call("CONFIG", "GET", "cluster-port"), @"\$\d+\r\n(\d+)\r\n$").Groups[1].Value;
        using var r = Redis.Connect();
        using var v = Vermilion.Connect();
        return $@"[0-9a-f]{{40}}|(?<=[:@ ])({Redis.Port}|{Vermilion.Port}|{Port(r)}|{Port(v)})(?=\D)";
    }
}

/// <summary>
/// Cluster mode (Cluster/): CLUSTER's replies, slot assignment, the per-slot key index and the
/// routing errors against redis-server 7.0.15 started the same way (node ids and ports masked);
/// nodes.conf written and read back; malformed bus input; and a cluster of three redis-server and
/// three Vermilion nodes built by redis-cli --cluster create.
/// </summary>
[Trait("Category", "Network")]
public class ClusterTests(ClusterServers servers) : IClassFixture<ClusterServers>
{
    SameOptions Options => new()
    {
        Setup = [["CLUSTER", "RESET", "HARD"], ["READWRITE"]],
        MaskOf = _ => _mask ??= servers.Mask(),
    };
    string? _mask;

    /// <summary>Both servers serve all slots and say cluster_state:ok (the writable and rejoin delays have passed).</summary>
    void ServeAllSlots()
    {
        foreach (var s in new[] { servers.Redis.Connect(), servers.Vermilion.Connect() })
        {
            using (s)
            {
                Assert.Equal("+OK\r\n", s.Call("CLUSTER", "ADDSLOTSRANGE", "0", "16383"));
                Assert.True(InProcessServer.WaitFor(() => s.Call("CLUSTER", "INFO").Contains("cluster_state:ok"), 15_000), "cluster_state did not become ok");
            }
        }
    }

    [Fact]
    public void AFreshNode()
    {
        servers.Same(Options,
            ["CLUSTER", "INFO"], ["CLUSTER", "NODES"], ["CLUSTER", "MYID"], ["CLUSTER", "SLOTS"], ["CLUSTER", "SHARDS"],
            ["CLUSTER", "LINKS"], ["CLUSTER", "HELP"], ["CLUSTER", "KEYSLOT", "foo"], ["CLUSTER", "KEYSLOT", "{user1000}.following"],
            ["CLUSTER", "KEYSLOT", "123456789"], ["CLUSTER", "KEYSLOT", "{}foo"], ["CLUSTER", "KEYSLOT", "foo{}{bar}"], ["CLUSTER", "KEYSLOT", "{a"],
            ["CLUSTER", "KEYSLOT", ""], ["CLUSTER", "COUNTKEYSINSLOT", "0"], ["CLUSTER", "COUNTKEYSINSLOT", "16384"], ["CLUSTER", "COUNTKEYSINSLOT", "-1"],
            ["CLUSTER", "COUNTKEYSINSLOT", "x"], ["CLUSTER", "GETKEYSINSLOT", "0", "10"], ["CLUSTER", "GETKEYSINSLOT", "0", "-1"],
            ["CLUSTER", "GETKEYSINSLOT", "16384", "1"], ["CLUSTER", "GETKEYSINSLOT", "x", "1"], ["CLUSTER", "GETKEYSINSLOT", "1", "x"],
            ["CLUSTER", "COUNT-FAILURE-REPORTS", "0000000000000000000000000000000000000000"], ["CLUSTER", "COUNT-FAILURE-REPORTS", "x"],
            ["CLUSTER", "FORGET", "x"], ["CLUSTER", "REPLICATE", "x"], ["CLUSTER", "REPLICAS", "x"], ["CLUSTER", "SLAVES", "x"],
            ["CLUSTER", "FAILOVER"], ["CLUSTER", "FAILOVER", "FORCE"], ["CLUSTER", "FAILOVER", "x"], ["CLUSTER", "FAILOVER", "a", "b"],
            ["CLUSTER", "RESET", "x"], ["CLUSTER", "RESET", "SOFT", "x"], ["CLUSTER", "MEET", "x", "1"], ["CLUSTER", "MEET", "127.0.0.1", "x"],
            ["CLUSTER", "MEET", "127.0.0.1", "1", "x"], ["CLUSTER", "MEET", "127.0.0.1", "0"], ["CLUSTER", "MEET", "127.0.0.1", "70000"],
            ["CLUSTER", "MEET", "a", "b", "c", "d"], ["CLUSTER", "NODES", "x"], ["CLUSTER", "BUMPEPOCH"], ["CLUSTER", "BUMPEPOCH"],
            ["CLUSTER", "INFO"], ["CLUSTER", "SET-CONFIG-EPOCH", "5"], ["CLUSTER", "SET-CONFIG-EPOCH", "-1"], ["CLUSTER", "SET-CONFIG-EPOCH", "x"],
            ["CLUSTER", "RESET", "HARD"], ["CLUSTER", "SET-CONFIG-EPOCH", "5"], ["CLUSTER", "NODES"], ["CLUSTER", "INFO"], ["CLUSTER", "BUMPEPOCH"],
            ["CLUSTER", "SAVECONFIG"], ["CLUSTER", "FLUSHSLOTS"], ["READONLY"], ["READWRITE"], ["ASKING"], ["CLUSTER", "RESET"],
            ["INFO", "cluster"], ["SELECT", "1"], ["SELECT", "0"], ["SELECT", "x"], ["SWAPDB", "0", "1"], ["MOVE", "k", "1"],
            ["GET", "foo"], ["SET", "foo", "bar"], ["PING"], ["ECHO", "x"], ["CLUSTER", "SETSLOT", "1", "STABLE"]);
    }

    [Fact]
    public void SlotAssignment()
    {
        servers.Same(Options,
            ["CLUSTER", "ADDSLOTS", "1", "2", "3"], ["CLUSTER", "ADDSLOTS", "3"], ["CLUSTER", "ADDSLOTS", "5", "5"], ["CLUSTER", "ADDSLOTS", "x"],
            ["CLUSTER", "ADDSLOTS", "16384"], ["CLUSTER", "ADDSLOTS", "7", "-1"], ["CLUSTER", "ADDSLOTSRANGE", "10", "20", "30"],
            ["CLUSTER", "ADDSLOTSRANGE", "20", "10"], ["CLUSTER", "ADDSLOTSRANGE", "10", "20", "15", "25"], ["CLUSTER", "ADDSLOTSRANGE", "100", "200", "300", "300"],
            ["CLUSTER", "NODES"], ["CLUSTER", "SLOTS"], ["CLUSTER", "SHARDS"], ["CLUSTER", "INFO"],
            ["CLUSTER", "DELSLOTS", "4"], ["CLUSTER", "DELSLOTS", "2", "2"], ["CLUSTER", "DELSLOTS", "2"], ["CLUSTER", "DELSLOTSRANGE", "150", "250"],
            ["CLUSTER", "DELSLOTSRANGE", "150", "160"], ["CLUSTER", "NODES"], ["CLUSTER", "SLOTS"],
            ["CLUSTER", "SETSLOT", "1", "MIGRATING", "x"], ["CLUSTER", "SETSLOT", "5000", "MIGRATING", "x"], ["CLUSTER", "SETSLOT", "1", "IMPORTING", "x"],
            ["CLUSTER", "SETSLOT", "5000", "IMPORTING", "0000000000000000000000000000000000000000"], ["CLUSTER", "SETSLOT", "1", "NODE", "x"],
            ["CLUSTER", "SETSLOT", "1", "foo"], ["CLUSTER", "SETSLOT", "1", "STABLE", "x"], ["CLUSTER", "SETSLOT", "x", "STABLE"],
            ["CLUSTER", "SETSLOT", "16384", "STABLE"], ["CLUSTER", "SETSLOT", "1", "NODE"], ["CLUSTER", "FLUSHSLOTS"], ["CLUSTER", "NODES"],
            ["CLUSTER", "INFO"]);
    }

    /// <summary>SETSLOT with this node's own id: migrating and importing marks shown in NODES, STABLE and NODE clear them.</summary>
    [Fact]
    public void OpenSlots()
    {
        using var pair = servers.Connect(Options);
        string MyId(RespSocket s) => s.Call("CLUSTER", "MYID").Split("\r\n")[1];
        string[] rid = [MyId(pair.Redis)], vid = [MyId(pair.Vermilion)];
        void Both(params string[] cmd)
        {
            // The node id argument is each server's own.
            string r = pair.Redis.Call([.. cmd.Select(a => a == "$ID" ? rid[0] : a)]);
            string v = pair.Vermilion.Call([.. cmd.Select(a => a == "$ID" ? vid[0] : a)]);
            DifferentialServers.AssertSame(string.Join(' ', cmd), Regex.Replace(r, servers.Mask(), "<m>"), Regex.Replace(v, servers.Mask(), "<m>"));
        }
        Both("CLUSTER", "ADDSLOTS", "10", "11");
        Both("CLUSTER", "SETSLOT", "10", "MIGRATING", "$ID");
        Both("CLUSTER", "SETSLOT", "12", "IMPORTING", "$ID");
        Both("CLUSTER", "SETSLOT", "11", "IMPORTING", "$ID");
        Both("CLUSTER", "NODES");
        Both("CLUSTER", "SETSLOT", "10", "STABLE");
        Both("CLUSTER", "SETSLOT", "12", "NODE", "$ID");
        Both("CLUSTER", "NODES");
        Both("CLUSTER", "INFO");
    }

    [Fact]
    public void RoutingAndTheKeyIndex()
    {
        ServeAllSlots();
        using var pair = servers.Connect(Options with { Setup = [["READWRITE"]] });
        string[][] script =
        [
            ["SET", "foo", "1"], ["SET", "{foo}.a", "2"], ["SET", "{foo}.b", "3"], ["SET", "bar", "4"], ["CLUSTER", "COUNTKEYSINSLOT", "12182"],
            ["CLUSTER", "GETKEYSINSLOT", "12182", "2"], ["CLUSTER", "GETKEYSINSLOT", "12182", "10"], ["CLUSTER", "GETKEYSINSLOT", "12182", "0"],
            ["MSET", "foo", "1", "bar", "2"], ["MSET", "{foo}.a", "1", "foo", "2"], ["MGET", "foo", "{foo}.b"], ["DEL", "foo", "bar"],
            ["DEL", "{foo}.a"], ["CLUSTER", "COUNTKEYSINSLOT", "12182"], ["RENAME", "{foo}.b", "{foo}.c"], ["RENAME", "{foo}.c", "x"],
            ["CLUSTER", "GETKEYSINSLOT", "12182", "10"], ["PEXPIRE", "{foo}.c", "1"], ["EVAL", "return redis.call('get', KEYS[1])", "2", "foo", "bar"],
            ["EVAL", "return 1", "2", "{foo}1", "{foo}2"], ["MULTI"], ["SET", "a", "1"], ["SET", "b", "2"], ["EXEC"], ["MULTI"], ["SET", "{a}1", "1"],
            ["SET", "{a}2", "2"], ["EXEC"], ["CLUSTER", "COUNTKEYSINSLOT", "15495"], ["SELECT", "1"], ["COPY", "{a}1", "{a}3", "DB", "1"],
            ["COPY", "{a}1", "{a}3"], ["SWAPDB", "0", "1"], ["SINTERSTORE", "s", "a", "b"], ["SUNIONSTORE", "{a}s", "{a}1", "{a}2"],
            ["BLPOP", "l1", "l2", "0"], ["XREAD", "STREAMS", "s1", "s2", "0", "0"], ["CLUSTER", "DELSLOTS", "15495"], ["GET", "{a}1"],
            ["SET", "{a}1", "x"], ["CLUSTER", "ADDSLOTS", "15495"], ["FLUSHALL"], ["CLUSTER", "COUNTKEYSINSLOT", "15495"],
            ["CLUSTER", "GETKEYSINSLOT", "15495", "5"], ["DEBUG", "POPULATE", "1000"], ["CLUSTER", "COUNTKEYSINSLOT", "4657"], ["DBSIZE"],
        ];
        var options = Options;
        foreach (var cmd in script)
        {
            string r = pair.Redis.Call(cmd), v = pair.Vermilion.Call(cmd);
            DifferentialServers.AssertSame(string.Join(' ', cmd), Regex.Replace(r, _mask ??= servers.Mask(), "<m>"), Regex.Replace(v, _mask, "<m>"));
        }
        // The slot index agrees with the keys over every slot after the populate.
        for (int slot = 0; slot < 16384; slot += 97)
            pair.Same(["CLUSTER", "COUNTKEYSINSLOT", slot.ToString()]);
        Assert.Equal("+OK\r\n", pair.Redis.Call("FLUSHALL"));
        Assert.Equal("+OK\r\n", pair.Vermilion.Call("FLUSHALL"));
    }

    /// <summary>
    /// The slot index's links are in used_memory and in MEMORY STATS overhead.hashtable.slot-to-keys,
    /// where Redis counts its per-key slot metadata (getMemoryOverheadData): the same keys cost a
    /// cluster node that much more than a standalone server.
    /// </summary>
    [Fact]
    public void SlotIndexMemoryIsCounted()
    {
        using var standalone = new InProcessServer(extra: ["--enable-debug-command", "yes"]);
        using var node = new InProcessServer(extra: ["--enable-debug-command", "yes", "--cluster-enabled", "yes", "--cluster-port", InProcessServer.FreeTcpPort().ToString()]);
        using var s = standalone.Connect();
        using var n = node.Connect();
        static long Field(string reply, string pattern) => long.Parse(Regex.Match(reply, pattern).Groups[1].Value);
        foreach (var c in new[] { s, n }) Assert.Equal("+OK\r\n", c.Call("DEBUG", "POPULATE", "100000"));
        long links = Field(n.Call("MEMORY", "STATS"), @"overhead\.hashtable\.slot-to-keys\r\n:(\d+)");
        Assert.True(links >= 100_000 * 8, $"slot-to-keys {links}");
        Assert.Equal(0, Field(s.Call("MEMORY", "STATS"), @"overhead\.hashtable\.slot-to-keys\r\n:(\d+)"));
        long extra = Field(n.Call("INFO", "memory"), @"used_memory:(\d+)") - Field(s.Call("INFO", "memory"), @"used_memory:(\d+)");
        Assert.InRange(extra, links * 9 / 10, links * 11 / 10);
    }

    /// <summary>
    /// removeChannelsInSlot: a slot this node stops serving takes its shard channels with it, and
    /// their subscribers (not the client that ran DELSLOTS) get the sunsubscribe push at once
    /// (tests/cluster 25-pubsubshard-slot-migration waited for it forever).
    /// </summary>
    [Fact]
    public void LosingASlotUnsubscribesItsShardChannels()
    {
        foreach (var connect in new Func<RespSocket>[] { servers.Redis.Connect, servers.Vermilion.Connect })
        {
            using var s = connect();
            Assert.Equal("+OK\r\n", s.Call("CLUSTER", "RESET", "HARD"));
        }
        ServeAllSlots();
        string Run(Func<RespSocket> connect)
        {
            using var admin = connect();
            using var subscriber = connect();
            string slot = admin.Call("CLUSTER", "KEYSLOT", "ch2").Trim(':', '\r', '\n');
            string confirmed = subscriber.Call("SSUBSCRIBE", "ch2");
            Assert.Equal("+OK\r\n", admin.Call("CLUSTER", "DELSLOTS", slot));
            string pushed = subscriber.ReadReply(5000);
            Assert.Equal("+OK\r\n", admin.Call("CLUSTER", "ADDSLOTS", slot));
            return confirmed + pushed;
        }
        DifferentialServers.AssertSame("SSUBSCRIBE, then DELSLOTS of its slot", Run(servers.Redis.Connect), Run(servers.Vermilion.Connect));
    }

    /// <summary>nodes.conf: written as CLUSTER NODES plus the vars line, and read back at the next start with the same id, slots and epochs.</summary>
    [Fact]
    public void NodesConfRoundTrip()
    {
        string dir = Path.Combine(Path.GetTempPath(), "vermilion-cluster-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        try
        {
            string[] args = ["--cluster-enabled", "yes", "--cluster-port", InProcessServer.FreeTcpPort().ToString()];
            string id, nodes;
            using (var s = new InProcessServer(c => c.Dir = dir, "epoll", args))
            using (var c = s.Connect())
            {
                id = c.Call("CLUSTER", "MYID");
                string file = File.ReadAllText(Path.Combine(dir, "nodes.conf"));
                // Written at once, before the ports are known, as clusterInit does.
                Assert.Equal($"{id.Split("\r\n")[1]} :0@0 myself,master - 0 0 0 connected\nvars currentEpoch 0 lastVoteEpoch 0\n", file);
                Assert.Equal("+OK\r\n", c.Call("CLUSTER", "ADDSLOTSRANGE", "0", "99", "200", "200"));
                Assert.Equal("+OK\r\n", c.Call("CLUSTER", "SET-CONFIG-EPOCH", "7"));
                Assert.Equal("+OK\r\n", c.Call("CLUSTER", "SETSLOT", "300", "IMPORTING", id.Split("\r\n")[1]));
                Assert.Equal("+OK\r\n", c.Call("CLUSTER", "SAVECONFIG"));
                nodes = c.Call("CLUSTER", "NODES");
                file = File.ReadAllText(Path.Combine(dir, "nodes.conf"));
                string myid = id.Split("\r\n")[1];
                Assert.Equal($"{myid} :{s.Port}@{args[3]} myself,master - 0 0 7 connected 0-99 200 [300-<-{myid}]\nvars currentEpoch 7 lastVoteEpoch 0\n", file);
            }
            using (var s = new InProcessServer(c => c.Dir = dir, "epoll", args))
            using (var c = s.Connect())
            {
                Assert.Equal(id, c.Call("CLUSTER", "MYID"));
                Assert.Equal(Regex.Replace(nodes, @":\d+@", ":P@"), Regex.Replace(c.Call("CLUSTER", "NODES"), @":\d+@", ":P@"));
                Assert.Contains("cluster_current_epoch:7", c.Call("CLUSTER", "INFO"));
            }
            // A corrupted file stops the server.
            File.WriteAllText(Path.Combine(dir, "nodes.conf"), "garbage\n");
            var e = Assert.Throws<ServerStartException>(() => new InProcessServer(c => c.Dir = dir, "epoll", args));
            Assert.Contains("corrupted cluster config file", e.Message);
        }
        finally
        {
            try { Directory.Delete(dir, true); } catch (IOException) { }
        }
    }

    /// <summary>
    /// A cluster replica restarted from its RDB is a replica from the start (iAmMaster: its role in nodes.conf,
    /// though clusterCron starts its link only later): the load keeps the keys already expired, the cron does
    /// not expire them before the link starts, and the file's ID and offset are the cached master its first
    /// PSYNC names, so its redis-server primary answers +CONTINUE (unit 17's premise); its DELs then remove them.
    /// </summary>
    [Fact]
    public void ARestartedReplicaContinuesFromItsRdbWithTheExpiredKeys()
    {
        string dir = Path.Combine(Path.GetTempPath(), "vermilion-cluster-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        using var redis = new OracleServer("--cluster-enabled", "yes", "--cluster-port", InProcessServer.FreeTcpPort().ToString(), "--enable-debug-command", "yes");
        try
        {
            using var p = redis.Connect();
            Assert.Equal("+OK\r\n", p.Call("CLUSTER", "ADDSLOTSRANGE", "0", "16383"));
            Assert.Equal("+OK\r\n", p.Call("DEBUG", "SET-ACTIVE-EXPIRE", "0"));
            string primaryId = p.Call("CLUSTER", "MYID").Split("\r\n")[1];
            string busPort = Regex.Match(p.Call("CONFIG", "GET", "cluster-port"), @"\$\d+\r\n(\d+)\r\n$").Groups[1].Value;
            string[] args = ["--cluster-enabled", "yes", "--cluster-port", InProcessServer.FreeTcpPort().ToString(), "--enable-debug-command", "yes"];
            int port;
            using (var first = new InProcessServer(c => c.Dir = dir, "epoll", args))
            {
                port = first.Port;
                using var r = first.Connect();
                Assert.Equal("+OK\r\n", r.Call("CLUSTER", "MEET", "127.0.0.1", redis.Port.ToString(), busPort));
                Assert.True(InProcessServer.WaitFor(() => r.Call("CLUSTER", "NODES").Contains(primaryId), 10_000), "the nodes never met");
                Assert.Equal("+OK\r\n", r.Call("CLUSTER", "REPLICATE", primaryId));
                ReplicationHarness.WaitForLink(r);
                p.Call("SET", "kept", "v");
                for (int i = 0; i < 20; i++) p.Call("SET", $"short:{i}", "v", "PX", "10");
                Assert.Equal(":1\r\n", p.Call("WAIT", "1", "5000"));
                r.Call("READONLY");
                Assert.True(InProcessServer.WaitFor(() => r.Call("PTTL", "short:19") == ":-2\r\n"));
                Assert.Equal(":21\r\n", r.Call("DBSIZE"));
                Assert.Equal("+OK\r\n", r.Call("SAVE"));
            }
            p.Call("SET", "while-away", "1");
            using var restarted = new InProcessServer(c => { c.Dir = dir; c.Port = port; }, "epoll", args);
            using var q = RespSocket.Tcp(port);
            Assert.Equal("0", ReplicationHarness.Field(q, "persistence", "rdb_last_load_keys_expired"));
            ReplicationHarness.WaitForLink(q);
            Assert.Equal("1", ReplicationHarness.Field(p, "stats", "sync_full"));
            Assert.Equal("1", ReplicationHarness.Field(p, "stats", "sync_partial_ok"));
            Assert.Equal(ReplicationHarness.Field(p, "replication", "master_replid"), ReplicationHarness.Field(q, "replication", "master_replid"));
            Assert.True(InProcessServer.WaitFor(() => q.Call("DBSIZE") == ":22\r\n"), "the replica lost keys or missed the write made while it was down");
            p.Call("DEBUG", "SET-ACTIVE-EXPIRE", "1");
            Assert.True(InProcessServer.WaitFor(() => q.Call("DBSIZE") == ":2\r\n", 10_000), "the expired keys were never deleted");
        }
        finally
        {
            try { Directory.Delete(dir, true); } catch (IOException) { }
        }
    }

    /// <summary>Bad bus input: a wrong signature or a short length drops the link; a wrong version, a wrong length for the type, a truncated gossip section or a lie about our own id is ignored; the server goes on.</summary>
    [Fact]
    public void BadBusInput()
    {
        using var s = new InProcessServer(extra: ["--cluster-enabled", "yes", "--cluster-port", InProcessServer.FreeTcpPort().ToString()]);
        using var c = s.Connect();
        int bus = int.Parse(Regex.Match(c.Call("CONFIG", "GET", "cluster-port"), @"(\d+)\r\n$").Groups[1].Value);
        string myid = c.Call("CLUSTER", "MYID").Split("\r\n")[1];
        byte[] Header(ushort type, int totlen, ushort version = 1, string? sender = null, int count = 0)
        {
            var m = new byte[Math.Max(totlen, 2256)];
            "RCmb"u8.CopyTo(m);
            BinaryPrimitives.WriteUInt32BigEndian(m.AsSpan(4), (uint)totlen);
            BinaryPrimitives.WriteUInt16BigEndian(m.AsSpan(8), version);
            BinaryPrimitives.WriteUInt16BigEndian(m.AsSpan(12), type);
            BinaryPrimitives.WriteUInt16BigEndian(m.AsSpan(14), (ushort)count);
            Encoding.ASCII.GetBytes(sender ?? new string('a', 40)).CopyTo(m, 40);
            BinaryPrimitives.WriteUInt16BigEndian(m.AsSpan(10), 1234);
            BinaryPrimitives.WriteUInt16BigEndian(m.AsSpan(2248), 11234);
            return m[..totlen];
        }
        bool Closed(byte[] data)
        {
            using var t = new TcpClient("127.0.0.1", bus);
            t.GetStream().Write(data);
            t.ReceiveTimeout = 500;
            // Closed: an end of stream, or a reset (the server closed with our bytes unread); open: the read times out.
            try { return t.GetStream().Read(new byte[4096]) == 0; }
            catch (IOException e) when (e.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionReset }) { return true; }
            catch (IOException) { return false; }
        }
        Assert.True(Closed("GET / HTTP/1.1\r\n\r\n"u8.ToArray()));
        Assert.True(Closed(Header(0, 100)));
        // Wrong version, wrong length for a FAIL, a PING whose gossip count runs past its end: no reply, the link stays.
        Assert.False(Closed(Header(0, 2256, version: 2)));
        Assert.False(Closed(Header(3, 2256)));
        Assert.False(Closed(Header(0, 2256 + 50, count: 1)));
        // A MEET from a node that says it is us is answered but adds no node.
        Assert.False(Closed(Header(2, 2256, sender: myid)));
        Assert.False(Closed(Header(9999, 2300)));
        Assert.Equal("+PONG\r\n", c.Call("PING"));
        Thread.Sleep(200);
        Assert.DoesNotMatch($"(?m)^{myid}.*\n(?s).*{myid}", c.Call("CLUSTER", "NODES"));
        Assert.DoesNotContain("fail", c.Call("CLUSTER", "NODES"));
    }

    /// <summary>
    /// The proof of step 2: three redis-server and three Vermilion masters; redis-cli --cluster create
    /// joins them over the bus and assigns the slots, --cluster check is clean, and keys written
    /// through redis-cli -c land on the node that owns their slot.
    /// </summary>
    [Fact]
    public void MixedClusterCreateAndCheck()
    {
        var redis = new List<OracleServer>();
        var vermilion = new List<InProcessServer>();
        try
        {
            for (int i = 0; i < 3; i++)
            {
                redis.Add(new OracleServer("--cluster-enabled", "yes", "--cluster-port", InProcessServer.FreeTcpPort().ToString(), "--cluster-node-timeout", "3000"));
                vermilion.Add(new InProcessServer(extra: ["--cluster-enabled", "yes", "--cluster-port", InProcessServer.FreeTcpPort().ToString(), "--cluster-node-timeout", "3000"]));
            }
            var ports = redis.Select(r => r.Port).Concat(vermilion.Select(v => v.Port)).ToList();
            var create = Cli(["--cluster", "create", .. ports.Select(p => $"127.0.0.1:{p}"), "--cluster-replicas", "0", "--cluster-yes"]);
            Assert.Contains("[OK] All 16384 slots covered.", create);
            Assert.True(InProcessServer.WaitFor(() => ports.All(p => Call(p, "CLUSTER", "INFO").Contains("cluster_state:ok")), 20_000), "cluster_state never ok everywhere");
            var check = Cli(["--cluster", "check", $"127.0.0.1:{vermilion[0].Port}"]);
            Assert.Contains("[OK] All nodes agree about slots configuration.", check);
            Assert.Contains("[OK] All 16384 slots covered.", check);
            Assert.DoesNotContain("[ERR]", check);
            Assert.DoesNotContain("[WARNING]", check);
            // Every node comes to see six masters, all connected (gossip spreads them within a few pings).
            static bool SixConnectedMasters(int p) =>
                Call(p, "CLUSTER", "NODES").Split('\n').Count(l => Regex.IsMatch(l, @"^[0-9a-f]{40} \S+ (myself,)?master - .* connected")) == 6;
            Assert.True(InProcessServer.WaitFor(() => ports.All(SixConnectedMasters), 20_000),
                "not every node sees six connected masters:\n" + string.Join("\n", ports.Select(p => $"{p}:\n{Call(p, "CLUSTER", "NODES")}")));
            // Keys through redis-cli -c from a Vermilion node land where their slot lives.
            for (int i = 0; i < 30; i++)
            {
                string key = "key:" + i;
                Assert.Equal("OK", Cli(["-c", "-p", vermilion[i % 3].Port.ToString(), "SET", key, "v" + i]).Trim());
                int slot = int.Parse(Call(ports[0], "CLUSTER", "KEYSLOT", key).Trim(':', '\r', '\n'));
                int owner = ports.Single(p => Call(p, "CLUSTER", "COUNTKEYSINSLOT", slot.ToString()) != ":0\r\n");
                Assert.Equal($"$2\r\nv{i}\r\n".Replace("$2", $"${("v" + i).Length}"), Call(owner, "GET", key));
                Assert.Equal("v" + i, Cli(["-c", "-p", redis[i % 3].Port.ToString(), "GET", key]).Trim());
            }
        }
        finally
        {
            foreach (var r in redis) r.Dispose();
            foreach (var v in vermilion) v.Dispose();
        }
    }

    /// <summary>
    /// Steps 3 and 4 on a mixed cluster: masters R1, R2 (redis-server) and V1, V2 (Vermilion); a
    /// Vermilion replica of R1 and a redis-server replica of V1 (CLUSTER REPLICATE through
    /// redis-cli --cluster add-node --cluster-slave). Slots move both ways with redis-cli --cluster
    /// reshard (MIGRATE with RESTORE-ASKING, SETSLOT IMPORTING/MIGRATING/NODE) with every key
    /// intact; PUBLISH crosses the bus; then R1 and V1 die and their replicas take over.
    /// </summary>
    [Fact]
    public void MixedClusterReshardAndFailover()
    {
        string[] Args() => ["--cluster-enabled", "yes", "--cluster-port", InProcessServer.FreeTcpPort().ToString(), "--cluster-node-timeout", "1000"];
        var r1 = new OracleServer(Args());
        var r2 = new OracleServer(Args());
        var r3 = new OracleServer(Args());
        var v1 = new InProcessServer(extra: Args());
        var v2 = new InProcessServer(extra: Args());
        var v3 = new InProcessServer(extra: Args());
        // Each server is disposed once: a second VermilionServer.Dispose would close its loop's fds again,
        // by then numbers other sockets of this process may hold.
        var live = new List<IDisposable> { r1, r2, r3, v1, v2, v3 };
        void Stop(IDisposable server)
        {
            live.Remove(server);
            server.Dispose();
        }
        try
        {
            int[] masters = [r1.Port, r2.Port, v1.Port, v2.Port];
            Assert.Contains("[OK] All 16384 slots covered.", Cli(["--cluster", "create", .. masters.Select(p => $"127.0.0.1:{p}"), "--cluster-replicas", "0", "--cluster-yes"]));
            string Id(int port) => Call(port, "CLUSTER", "MYID").Split("\r\n")[1];
            Assert.Contains("[OK] New node added correctly.", Cli(["--cluster", "add-node", $"127.0.0.1:{v3.Port}", $"127.0.0.1:{r1.Port}", "--cluster-slave", "--cluster-master-id", Id(r1.Port)]));
            Assert.Contains("[OK] New node added correctly.", Cli(["--cluster", "add-node", $"127.0.0.1:{r3.Port}", $"127.0.0.1:{v1.Port}", "--cluster-slave", "--cluster-master-id", Id(v1.Port)]));
            Assert.True(InProcessServer.WaitFor(() => Call(v3.Port, "INFO", "replication").Contains("master_link_status:up")
                && Call(r3.Port, "INFO", "replication").Contains("master_link_status:up"), 30_000), "replicas did not sync");
            int[] all = [.. masters, v3.Port, r3.Port];
            Assert.True(InProcessServer.WaitFor(() => all.All(p => Call(p, "CLUSTER", "INFO").Contains("cluster_state:ok")), 20_000));
            for (int i = 0; i < 200; i++) Assert.Equal("OK", Cli(["-c", "-p", masters[i % 4].ToString(), "SET", "key:" + i, "val:" + i]).Trim());

            // Resharding both ways between the two kinds.
            foreach (var (from, to) in new[] { (v2.Port, r2.Port), (r1.Port, v1.Port), (r2.Port, v2.Port) })
            {
                // redis-cli refuses to reshard until every node agrees on the configuration.
                Assert.True(InProcessServer.WaitFor(() => CheckIsClean(Cli(["--cluster", "check", $"127.0.0.1:{r1.Port}"])), 15_000), "nodes never agreed");
                var reshard = Cli(["--cluster", "reshard", $"127.0.0.1:{r1.Port}", "--cluster-from", Id(from), "--cluster-to", Id(to), "--cluster-slots", "600", "--cluster-yes"]);
                Assert.DoesNotContain("ERR", reshard);
            }
            Assert.True(InProcessServer.WaitFor(() => CheckIsClean(Cli(["--cluster", "check", $"127.0.0.1:{v2.Port}"])), 10_000));
            for (int i = 0; i < 200; i++) Assert.Equal("val:" + i, Cli(["-c", "-p", masters[(i + 1) % 4].ToString(), "GET", "key:" + i]).Trim());
            Assert.Contains("200 keys in 4 masters", Cli(["--cluster", "check", $"127.0.0.1:{v2.Port}"]));

            // PUBLISH from either kind reaches a subscriber on the other.
            using (var sub = RespSocket.Tcp(v2.Port))
            {
                sub.Call("SUBSCRIBE", "news");
                Assert.Equal(":0\r\n", Call(r2.Port, "PUBLISH", "news", "hello"));
                Assert.Equal("*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$5\r\nhello\r\n", sub.ReadReply());
            }

            // kill -9 of a redis-server master: its Vermilion replica takes over.
            Stop(r1);
            Assert.True(InProcessServer.WaitFor(() => Call(v3.Port, "ROLE").StartsWith("*3\r\n$6\r\nmaster"), 20_000), "the Vermilion replica was not promoted");
            // A Vermilion master stops: its redis-server replica takes over.
            Stop(v1);
            Assert.True(InProcessServer.WaitFor(() => Call(r3.Port, "ROLE").StartsWith("*3\r\n$6\r\nmaster"), 20_000), "the redis-server replica was not promoted");
            int[] alive = [r2.Port, v2.Port, v3.Port, r3.Port];
            Assert.True(InProcessServer.WaitFor(() => alive.All(p => Call(p, "CLUSTER", "INFO").Contains("cluster_state:ok")), 20_000));
            for (int i = 0; i < 200; i++) Assert.Equal("val:" + i, Cli(["-c", "-p", alive[i % 4].ToString(), "GET", "key:" + i]).Trim());
        }
        finally
        {
            foreach (var s in live) s.Dispose();
        }
    }

    internal static bool CheckIsClean(string check) =>
        check.Contains("[OK] All nodes agree about slots configuration.") && check.Contains("[OK] All 16384 slots covered.") && !check.Contains("[ERR]") && !check.Contains("[WARNING]");

    internal static string Call(int port, params string[] args)
    {
        using var s = RespSocket.Tcp(port);
        return s.Call(args);
    }

    internal static string Cli(string[] args)
    {
        var psi = new ProcessStartInfo("redis-cli") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEndAsync();
        var error = p.StandardError.ReadToEndAsync();
        Assert.True(p.WaitForExit(60_000), "redis-cli did not finish");
        return Regex.Replace(output.Result + error.Result, @"\x1b\[[0-9;]*m", "");
    }
}
