using System.Text;
using Vermilion;
using Xunit;

namespace Vermilion.Tests;

[Trait("Category", "Network")]
public class ConfigTests
{
    /// <summary>Each request to both servers; replies equal byte for byte (CONFIG GET of one name, and every error). Servers of its own: the script changes settings.</summary>
    [Fact]
    public void ConfigGetAndSetMatchRedis()
    {
        using var servers = new DifferentialServers();
        string[][] script =
        [
            ["CONFIG", "GET", "maxclients"], ["CONFIG", "GET", "MAXCLIENTS"], ["CONFIG", "GET", "maxclients", "maxclients"],
            ["CONFIG", "GET", "nosuch"], ["CONFIG", "GET"], ["CONFIG", "GET", "timeout"], ["CONFIG", "GET", "tcp-keepalive"],
            ["CONFIG", "GET", "hz"], ["CONFIG", "GET", "protected-mode"], ["CONFIG", "GET", "client-output-buffer-limit"],
            ["CONFIG", "GET", "proto-max-bulk-len"], ["CONFIG", "GET", "client-query-buffer-limit"], ["CONFIG", "GET", "databases"],
            ["CONFIG", "GET", "tcp-backlog"], ["CONFIG", "GET", "unixsocketperm"], ["CONFIG", "GET", "loglevel"], ["CONFIG", "GET", "dynamic-hz"],
            ["CONFIG", "SET", "maxclients", "0"], ["CONFIG", "SET", "maxclients", "abc"], ["CONFIG", "SET", "maxclients", "-1"],
            ["CONFIG", "SET", "timeout", "-1"], ["CONFIG", "SET", "tcp-keepalive", "-1"], ["CONFIG", "SET", "protected-mode", "maybe"],
            ["CONFIG", "SET", "proto-max-bulk-len", "1000"], ["CONFIG", "SET", "client-query-buffer-limit", "1x"],
            ["CONFIG", "SET", "tcp-backlog", "100"], ["CONFIG", "SET", "unixsocket", "/tmp/x"], ["CONFIG", "SET", "databases", "4"],
            ["CONFIG", "SET", "foo", "bar"], ["CONFIG", "SET", "timeout"], ["CONFIG", "SET", "timeout", "1", "hz"],
            ["CONFIG", "SET", "timeout", "5", "timeout", "6"], ["CONFIG", "SET", "foo", "1", "unixsocket", "x"],
            ["CONFIG", "SET", "loglevel", "foo"], ["CONFIG", "SET", "client-output-buffer-limit", "normal 1 2"],
            ["CONFIG", "SET", "client-output-buffer-limit", "foo 1 2 3"], ["CONFIG", "SET", "client-output-buffer-limit", "normal 1x 2 3"],
            ["CONFIG", "SET", "bind", "1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17"],
            // Atomic: one bad value leaves the others as they were.
            ["CONFIG", "SET", "hz", "50", "timeout", "-1"], ["CONFIG", "GET", "hz"], ["CONFIG", "GET", "timeout"],
            ["CONFIG", "SET", "hz", "1000"], ["CONFIG", "GET", "hz"], ["CONFIG", "SET", "hz", "0"], ["CONFIG", "GET", "hz"],
            ["CONFIG", "SET", "hz", "10", "timeout", "30", "tcp-keepalive", "60"], ["CONFIG", "GET", "timeout"], ["CONFIG", "GET", "tcp-keepalive"],
            ["CONFIG", "SET", "MAXCLIENTS", "100"], ["CONFIG", "GET", "maxclients"],
            ["CONFIG", "SET", "client-output-buffer-limit", "normal 1mb 2mb 60"], ["CONFIG", "GET", "client-output-buffer-limit"],
            ["CONFIG", "SET", "client-output-buffer-limit", "normal 0 0 0 pubsub 32mb 8mb 60"], ["CONFIG", "GET", "client-output-buffer-limit"],
            ["CONFIG", "SET", "protected-mode", "NO"], ["CONFIG", "GET", "protected-mode"], ["CONFIG", "SET", "loglevel", "WARNING"], ["CONFIG", "GET", "loglevel"],
            ["CONFIG", "SET", "proto-max-bulk-len", "2mb"], ["CONFIG", "GET", "proto-max-bulk-len"],
            ["CONFIG", "RESETSTAT"], ["CONFIG", "RESETSTAT", "x"], ["CONFIG", "REWRITE"], ["CONFIG", "REWRITE", "x"], ["CONFIG", "HELP"],
            ["CONFIG", "NOSUCH"], ["CONFIG"],
        ];
        servers.Same(new SameOptions { Flush = false }, script);
    }

    [Fact]
    public void ConfigGetPatternsReturnTheSameNames()
    {
        using var servers = new DifferentialServers();
        using var r = servers.Redis.Connect();
        using var v = servers.Vermilion.Connect();
        foreach (var pattern in new[] { "max*", "*clients", "tcp-*", "proto-max-bulk-len", "*buffer-limit", "unix*", "port", "bind" })
        {
            // Vermilion has fewer options than Redis: everything it lists must be listed by Redis with the same value.
            var ours = Pairs(v.Call("CONFIG", "GET", pattern));
            var theirs = Pairs(r.Call("CONFIG", "GET", pattern));
            Assert.NotEmpty(ours);
            foreach (var (name, value) in ours)
            {
                if (name is "tcp-quickack" or "event-loop" or "max-new-connections-per-cycle") continue; // ours only
                Assert.True(theirs.ContainsKey(name), $"{pattern}: redis has no {name}");
                if (name is not ("port" or "unixsocket" or "bind")) Assert.Equal(theirs[name], value);
            }
        }
        // Ours only, hidden from patterns as Redis's HIDDEN_CONFIG (the Redis suite's "CONFIG sanity" sets every listed name) but known by name.
        Assert.DoesNotContain(Pairs(v.Call("CONFIG", "GET", "*")).Keys, k => k is "tcp-quickack" or "event-loop" or "max-new-connections-per-cycle");
        Assert.Equal(new[] { "event-loop", "max-new-connections-per-cycle", "tcp-quickack" },
            Pairs(v.Call("CONFIG", "GET", "event-loop", "tcp-quickack", "max-new-connections-per-cycle")).Keys.Order());
    }

    internal static Dictionary<string, string> Pairs(string reply)
    {
        var parts = reply.Split("\r\n");
        var bulk = new List<string>();
        for (int i = 1; i < parts.Length - 1; i += 2) bulk.Add(parts[i + 1]);
        var d = new Dictionary<string, string>();
        for (int i = 0; i + 1 < bulk.Count; i += 2) d[bulk[i]] = bulk[i + 1];
        return d;
    }

    [Fact]
    public void ConfigSetTakesEffect()
    {
        using var s = new InProcessServer();
        using var c = s.Connect();
        Assert.Equal("+OK\r\n", c.Call("CONFIG", "SET", "maxclients", "2"));
        using var second = s.Connect();
        Assert.Equal("+PONG\r\n", second.Call("PING"));
        using var third = s.Connect();
        Assert.True(third.WaitForClose(out var rest));
        Assert.Equal("-ERR max number of clients reached\r\n", Encoding.ASCII.GetString(rest));

        // Lowering maxclients disconnects nobody.
        Assert.Equal("+OK\r\n", c.Call("CONFIG", "SET", "maxclients", "1"));
        Assert.Equal("+PONG\r\n", second.Call("PING"));
        Assert.Equal("+OK\r\n", c.Call("CONFIG", "SET", "maxclients", "10000"));

        // A new port: the old one stops listening, the new one answers.
        int newPort = InProcessServer.FreeTcpPort();
        Assert.Equal("+OK\r\n", c.Call("CONFIG", "SET", "port", newPort.ToString()));
        using (var moved = RespSocket.Tcp(newPort)) Assert.Equal("+PONG\r\n", moved.Call("PING"));
        Assert.ThrowsAny<System.Net.Sockets.SocketException>(() => RespSocket.Tcp(s.Port));
        Assert.Equal($"*2\r\n$4\r\nport\r\n${newPort.ToString().Length}\r\n{newPort}\r\n", c.Call("CONFIG", "GET", "port"));
    }

    /// <summary>
    /// A failed port or bind change closes the listeners and opens the old ones again, as changeListenPort and
    /// changeBindAddr do. The server is moved first to a port below the kernel's ephemeral range: for the moment
    /// its port is free, the ports other tests' servers and connections are given (ephemeral ones) cannot take it.
    /// </summary>
    [Fact]
    public void ConfigSetPortToABusyPortRestoresTheOldOne()
    {
        using var s = new InProcessServer();
        using var busy = new InProcessServer();
        int port = PortBelowEphemeralRange();
        using (var first = s.Connect()) Assert.Equal("+OK\r\n", first.Call("CONFIG", "SET", "port", port.ToString()));
        using var c = RespSocket.Tcp(port);
        Assert.Equal("-ERR CONFIG SET failed (possibly related to argument 'port') - Unable to listen on this port. Check server logs.\r\n",
            c.Call("CONFIG", "SET", "port", busy.Port.ToString()));
        using var again = RespSocket.Tcp(port);
        Assert.Equal("+PONG\r\n", again.Call("PING"));
        Assert.Equal($"*2\r\n$4\r\nport\r\n${port.ToString().Length}\r\n{port}\r\n", c.Call("CONFIG", "GET", "port"));
        Assert.Equal("-ERR CONFIG SET failed (possibly related to argument 'bind') - Failed to bind to specified addresses.\r\n",
            c.Call("CONFIG", "SET", "bind", "10.9.9.9"));
        Assert.Equal("*2\r\n$4\r\nbind\r\n$9\r\n127.0.0.1\r\n", c.Call("CONFIG", "GET", "bind"));
        using var still = RespSocket.Tcp(port);
        Assert.Equal("+PONG\r\n", still.Call("PING"));
    }

    /// <summary>A free port from 20000–32767, under ip_local_port_range's usual 32768–60999.</summary>
    static int PortBelowEphemeralRange()
    {
        for (int port = 20000 + Random.Shared.Next(10000); ; port = 20000 + Random.Shared.Next(12000))
        {
            using var probe = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
            try
            {
                probe.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, port));
                return port;
            }
            catch (System.Net.Sockets.SocketException) { }
        }
    }

    [Fact]
    public void ConfigResetStatZeroesCounters()
    {
        using var s = new InProcessServer();
        using var c = s.Connect();
        c.Call("SET", "a", "1");
        c.Call("NOSUCH");
        Assert.Matches(@"cmdstat_set:calls=1,", c.Call("INFO", "commandstats"));
        Assert.Equal("+OK\r\n", c.Call("CONFIG", "RESETSTAT"));
        var info = c.Call("INFO", "everything");
        Assert.Contains("total_error_replies:0\r\n", info);
        Assert.Contains("total_connections_received:0\r\n", info);
        Assert.DoesNotContain("cmdstat_set:", info);
        Assert.DoesNotContain("errorstat_ERR", info);
    }

    [Fact]
    public void ConfigRewriteKeepsTheFileAndUpdatesValues()
    {
        var dir = Directory.CreateTempSubdirectory("vermilion-rewrite-");
        try
        {
            int port = InProcessServer.FreeTcpPort();
            var file = Path.Combine(dir.FullName, "redis.conf");
            File.WriteAllText(file, $"# my settings\nport {port}\nbind 127.0.0.1\ntimeout 10\nunknownline is kept? no\n# end\n".Replace("unknownline is kept? no\n", ""));
            File.AppendAllText(file, "timeout 20\n");
            using var server = new VermilionServer(Config.FromArgs(file));
            server.Log.Sink = TextWriter.Null;
            server.Start();
            using var c = RespSocket.Tcp(port);
            Assert.Equal("+OK\r\n", c.Call("CONFIG", "SET", "timeout", "99", "hz", "25", "maxclients", "500"));
            Assert.Equal("+OK\r\n", c.Call("CONFIG", "REWRITE"));
            var text = File.ReadAllText(file);
            // save is always written, one line per save point (rewriteConfigSaveOption forces it), and dir, the working
            // directory (rewriteConfigDirOption), as redis-server does.
            Assert.Equal($"# my settings\nport {port}\nbind 127.0.0.1\ntimeout 99\n# end\n# Generated by CONFIG REWRITE\nmaxclients 500\nhz 25\ndir {Path.GetFullPath(".")}\nsave 3600 1\nsave 300 100\nsave 60 10000\nuser default on nopass ~* &* +@all\n", text);
            // The rewritten file loads back to the same values.
            var reloaded = Config.FromArgs(file);
            Assert.Equal(99, reloaded.Timeout);
            Assert.Equal(25, reloaded.Hz);
            Assert.Equal(500, reloaded.MaxClients);
            // A second rewrite changes nothing.
            Assert.Equal("+OK\r\n", c.Call("CONFIG", "REWRITE"));
            Assert.Equal(text, File.ReadAllText(file));
        }
        finally { dir.Delete(true); }
    }

    [Fact]
    public void RedisCliConfigGet()
    {
        using var s = new InProcessServer(extra: ["--maxclients", "1234"]);
        var r = ExternalProcess.Run("redis-cli", ["-p", s.Port.ToString(), "config", "get", "maxclients"]);
        Assert.Equal("maxclients\n1234\n", r.Stdout);
        var bench = ExternalProcess.Run("redis-benchmark", ["-p", s.Port.ToString(), "-t", "ping", "-n", "100", "-q"]);
        Assert.DoesNotContain("Could not fetch server CONFIG", bench.Stdout + bench.Stderr);
    }
}
