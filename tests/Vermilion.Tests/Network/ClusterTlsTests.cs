using System.Net.Sockets;
using System.Text.RegularExpressions;
using Xunit;

namespace Vermilion.Tests;

/// <summary>
/// tls-cluster yes: the cluster bus over TLS (Cluster/BusLink.cs through Net/TlsConnectionType.cs),
/// in a cluster of two redis-server and two Vermilion masters whose bus speaks nothing but TLS
/// (redis-server refuses a plaintext bus peer, so a cluster that forms proves the handshakes both
/// ways); each node's certificate is its client certificate on the links it opens.
/// </summary>
[Trait("Category", "Network")]
public class ClusterTlsTests(TlsCertificates certs) : IClassFixture<TlsCertificates>
{
    sealed record Node(IDisposable Server, int Port, int TlsPort, int BusPort);

    /// <summary>clusterInit: without cluster-port the bus listens at the TLS port + 10000 in a TLS cluster (the client port may be 0).</summary>
    [Fact]
    public void BusPortFollowsTheTlsPort()
    {
        static bool Free(int port)
        {
            try
            {
                var l = new TcpListener(System.Net.IPAddress.Loopback, port);
                l.Start();
                l.Stop();
                return true;
            }
            catch (SocketException) { return false; }
        }
        int tls;
        do tls = InProcessServer.FreeTcpPort(); while (tls > 55535 || !Free(tls + 10000));
        using var v = new InProcessServer(extra: [.. certs.ServerArgs(tls), "--tls-cluster", "yes", "--cluster-enabled", "yes"]);
        Assert.Matches($@"^[0-9a-f]{{40}} :{v.Port}@{tls + 10000} myself,master", ClusterTests.Call(v.Port, "CLUSTER", "NODES").Split("\r\n")[1]);
        Assert.False(Free(tls + 10000), "nothing listens at the TLS port + 10000");
    }

    [Fact]
    public void MixedTlsClusterFormsAndServes()
    {
        var nodes = new List<Node>();
        try
        {
            for (int i = 0; i < 4; i++)
            {
                int tls = InProcessServer.FreeTcpPort(), bus = InProcessServer.FreeTcpPort();
                string[] args = [.. certs.ServerArgs(tls), "--tls-cluster", "yes", "--cluster-enabled", "yes", "--cluster-port", bus.ToString(), "--cluster-node-timeout", "3000"];
                if (i % 2 == 0)
                {
                    var r = new OracleServer(args);
                    nodes.Add(new Node(r, r.Port, tls, bus));
                }
                else
                {
                    var v = new InProcessServer(extra: args);
                    nodes.Add(new Node(v, v.Port, tls, bus));
                }
            }
            // The slots and the MEETs through each node's plain port; the bus is TLS only.
            for (int i = 0; i < 4; i++)
                Assert.Equal("+OK\r\n", ClusterTests.Call(nodes[i].Port, "CLUSTER", "ADDSLOTSRANGE", (i * 4096).ToString(), (i * 4096 + 4095).ToString()));
            for (int i = 1; i < 4; i++)
                Assert.Equal("+OK\r\n", ClusterTests.Call(nodes[i].Port, "CLUSTER", "MEET", "127.0.0.1", nodes[0].TlsPort.ToString(), nodes[0].BusPort.ToString()));
            string Addresses(Node n) => string.Join("\n", ClusterTests.Call(n.Port, "CLUSTER", "NODES").Split('\n', StringSplitOptions.TrimEntries)
                .Where(l => Regex.IsMatch(l, "^[0-9a-f]{40} ")).Select(l => Regex.Match(l, @"^([0-9a-f]{40}) \S*(:\d+@\d+)\S* (?:myself,)?master - \d+ \d+ \d+ connected (\S+)$"))
                .Select(m => m.Success ? $"{m.Groups[1].Value} {m.Groups[2].Value} {m.Groups[3].Value}" : "?").Order());
            // Every node sees the four masters connected, at their TLS ports, with the same slots.
            Assert.True(InProcessServer.WaitFor(() => nodes.All(n => ClusterTests.Call(n.Port, "CLUSTER", "INFO").Contains("cluster_state:ok")
                && !Addresses(n).Contains('?') && Addresses(n) == Addresses(nodes[0])), 30_000),
                "the TLS cluster did not form:\n" + string.Join("\n", nodes.Select(n => ClusterTests.Call(n.Port, "CLUSTER", "NODES"))));
            // use_pport: a plaintext client is shown the plaintext ports, a TLS client the TLS ones, by both kinds.
            Assert.All(nodes, n => Assert.Contains($":{n.Port}@{n.BusPort} ", Addresses(nodes[0])));

            // Served through TLS clients that follow MOVED (to the nodes' TLS ports): written through one kind, read through the other.
            string Cli(Node n, params string[] cmd) => ClusterTests.Cli(["--tls", "--cacert", certs.CaCert, "--cert", certs.ClientCert, "--key", certs.ClientKey,
                "-c", "-p", n.TlsPort.ToString(), .. cmd]).Trim();
            for (int i = 0; i < 8; i++)
            {
                Assert.Equal("OK", Cli(nodes[i % 4], "SET", "key:" + i, "v" + i));
                Assert.Equal("v" + i, Cli(nodes[(i + 1) % 4], "GET", "key:" + i));
            }
            foreach (var n in nodes)
            {
                string viaTls = Cli(n, "CLUSTER", "NODES");
                Assert.All(nodes, m => Assert.Contains($":{m.TlsPort}@{m.BusPort} ", viaTls));
            }
            // A plaintext client follows MOVED to the plaintext ports.
            for (int i = 0; i < 8; i++)
                Assert.Equal("v" + i, ClusterTests.Cli(["-c", "-p", nodes[(i + 2) % 4].Port.ToString(), "GET", "key:" + i]).Trim());

            // A plaintext peer on a Vermilion node's bus port is no TLS client: its bytes end the handshake and the link.
            using var plain = new TcpClient("127.0.0.1", nodes[1].BusPort);
            var header = new byte[8];
            "RCmb"u8.CopyTo(header);
            header[6] = 0x08; // a 2048-byte message: over TCP the link would wait for the rest
            plain.GetStream().Write(header);
            plain.ReceiveTimeout = 5000;
            int read;
            try { read = plain.GetStream().Read(new byte[4096]); }
            catch (IOException e) when (e.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionReset }) { read = 0; }
            Assert.True(read == 0 || !plain.Connected || plain.GetStream().Read(new byte[4096]) == 0, "the bus took a plaintext peer");
        }
        finally
        {
            foreach (var n in nodes) n.Server.Dispose();
        }
    }
}
