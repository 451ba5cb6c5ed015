using System.Diagnostics;
using System.Text.RegularExpressions;
using Xunit;
using static Vermilion.Tests.ReplicationHarness;

namespace Vermilion.Tests;

/// <summary>
/// Debian's Sentinel 7.0.15 (`redis-server <conf> --sentinel`, the binary test.sh already installs) manages a mixed set: a Vermilion primary (a process of its own, so it can be
/// killed with SIGKILL and restarted on its port), a redis-server replica and a Vermilion replica. Three sentinels
/// find the replicas in the primary's INFO and each other through its pub/sub (`__sentinel__:hello`); after kill -9
/// they promote the Vermilion replica (the redis-server one has replica-priority 0) with the MULTI / SLAVEOF /
/// CONFIG REWRITE / CLIENT KILL transaction, the redis-server replica follows it to the same dataset, and the old
/// primary, restarted, is turned into a replica of the new one.
/// </summary>
[Trait("Category", "Network")]
public sealed class SentinelTests : IDisposable
{
    const int DownAfterMs = 2000;
    readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("vermilion-sentinel-");
    readonly List<Process> _processes = new();
    readonly List<string> _output = new();

    public void Dispose()
    {
        foreach (var p in _processes)
        {
            try { if (!p.HasExited) p.Kill(); p.WaitForExit(5000); } catch (InvalidOperationException) { }
            p.Dispose();
        }
        try { _dir.Delete(true); } catch (IOException) { }
    }

    /// <summary>Starts a program whose output (a server's or a sentinel's log) is kept for a failure's message.</summary>
    Process Start(string file, IEnumerable<string> args, string name)
    {
        var p = ExternalProcess.Start(file, args);
        void Keep(object _, DataReceivedEventArgs e) { if (e.Data is not null) lock (_output) _output.Add(name + ": " + e.Data); }
        p.OutputDataReceived += Keep;
        p.ErrorDataReceived += Keep;
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        _processes.Add(p);
        return p;
    }

    string Logs()
    {
        lock (_output) return string.Join('\n', _output.TakeLast(150));
    }

    /// <summary>vermilion-server in its own process on <paramref name="port"/>, its data in <paramref name="dir"/>; serving when this returns.</summary>
    Process StartVermilion(int port, string dir)
    {
        var (file, prefix) = ExternalProcess.VermilionServer;
        var p = Start(file, [.. prefix, "--port", port.ToString(), "--bind", "127.0.0.1", "--dir", dir, "--save", "",
            "--repl-diskless-sync-delay", "0", "--enable-debug-command", "yes"], "primary");
        Assert.True(InProcessServer.WaitFor(() => ExternalProcess.Answers(port, p) || p.HasExited, 20_000), "vermilion-server did not start\n" + Logs());
        Assert.False(p.HasExited, "vermilion-server exited\n" + Logs());
        return p;
    }

    /// <summary>A sentinel on a free port watching master `m` at <paramref name="primaryPort"/> with quorum 2; its config file is its own (it rewrites it).</summary>
    int StartSentinel(int primaryPort, int index)
    {
        int port = InProcessServer.FreeTcpPort();
        string dir = Directory.CreateDirectory(Path.Combine(_dir.FullName, "sentinel" + index)).FullName;
        string conf = Path.Combine(dir, "sentinel.conf");
        File.WriteAllText(conf, $"""
            port {port}
            bind 127.0.0.1
            dir {dir}
            sentinel monitor m 127.0.0.1 {primaryPort} 2
            sentinel down-after-milliseconds m {DownAfterMs}
            sentinel failover-timeout m 10000

            """);
        var p = Start("redis-server", [conf, "--sentinel"], "sentinel" + index);
        Assert.True(InProcessServer.WaitFor(() => ExternalProcess.Answers(port, p) || p.HasExited, 10_000), "redis-sentinel did not start\n" + Logs());
        return port;
    }

    /// <summary>SENTINEL replicas/sentinels m: how many instances this sentinel knows.</summary>
    static int Known(RespSocket sentinel, string what) => Regex.Count(sentinel.Call("SENTINEL", what, "m"), @"\$4\r\nname\r\n");

    static int PrimaryPort(RespSocket sentinel) =>
        int.Parse(Regex.Match(sentinel.Call("SENTINEL", "get-master-addr-by-name", "m"), @"\$\d+\r\n(\d+)\r\n$").Groups[1].Value);

    /// <summary>One command on a connection of its own (Sentinel's CLIENT KILL TYPE normal closes the others).</summary>
    static string Ask(int port, params string[] args)
    {
        try
        {
            using var c = RespSocket.Tcp(port);
            return c.Call(args);
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException) { return ""; }
    }

    /// <summary>The server on <paramref name="port"/> is a replica of <paramref name="primaryPort"/> with its link up.</summary>
    static bool Follows(int port, int primaryPort)
    {
        string info = Ask(port, "INFO", "replication");
        return info.Contains($"\r\nmaster_port:{primaryPort}\r\n") && info.Contains("\r\nmaster_link_status:up\r\n");
    }

    [Fact]
    public void SentinelPromotesAVermilionReplicaAndTurnsTheOldPrimaryIntoAReplica()
    {
        int primaryPort = InProcessServer.FreeTcpPort();
        string primaryDir = _dir.CreateSubdirectory("primary").FullName;
        var primary = StartVermilion(primaryPort, primaryDir);
        using var redis = new OracleServer("--replicaof", "127.0.0.1", primaryPort.ToString(), "--enable-debug-command", "yes", "--replica-priority", "0");
        using var vermilion = new InProcessServer("epoll", "--replicaof", "127.0.0.1", primaryPort.ToString(), "--enable-debug-command", "yes", "--repl-diskless-sync-delay", "0");
        using var r = redis.Connect();
        using var v = vermilion.Connect();
        WaitForLink(r);
        WaitForLink(v);
        using (var p = RespSocket.Tcp(primaryPort))
        {
            for (int i = 0; i < 100; i++) p.Call("SET", "k" + i, i.ToString());
            Assert.Equal(":2\r\n", p.Call("WAIT", "2", "5000"));
        }

        var sentinels = Enumerable.Range(0, 3).Select(i => RespSocket.Tcp(StartSentinel(primaryPort, i))).ToList();
        try
        {
            // Replicas come from the primary's INFO (slaveN lines), the other sentinels from hello messages on its pub/sub.
            Assert.True(InProcessServer.WaitFor(() => sentinels.All(s => Known(s, "replicas") == 2 && Known(s, "sentinels") == 2), 20_000),
                "the sentinels did not find the replicas and each other\n" + Logs());

            var killed = Stopwatch.StartNew();
            primary.Kill(); // SIGKILL
            Assert.True(InProcessServer.WaitFor(() => PrimaryPort(sentinels[0]) == vermilion.Port, DownAfterMs + 8000), "no failover\n" + Logs());
            long promotionMs = killed.ElapsedMilliseconds;
            Assert.True(promotionMs <= DownAfterMs + 3000, $"promoted after {promotionMs} ms\n" + Logs());
            // Sentinel's transaction ends with CLIENT KILL TYPE normal: the test's own connections are gone, each poll connects anew.
            Assert.Matches(@"^\*3\r\n\$6\r\nmaster\r\n", Ask(vermilion.Port, "ROLE"));

            // The promoted Vermilion replica serves writes; the redis-server replica follows it (a +CONTINUE, its history kept).
            Assert.True(InProcessServer.WaitFor(() => Follows(redis.Port, vermilion.Port), 15_000), "the redis-server replica did not follow the new primary\n" + Logs());
            using var v2 = vermilion.Connect();
            using var r2 = redis.Connect();
            for (int i = 0; i < 100; i++) Assert.Equal("+OK\r\n", v2.Call("SET", "after" + i, i.ToString()));
            AssertSameDataset(v2, r2);
            Assert.Equal("0", Field(v2, "stats", "sync_full"));
            Assert.Equal("200", Field(r2, "keyspace", "db0").Split(',')[0]["keys=".Length..]);

            // The old primary comes back empty (no save points) as a primary; Sentinel makes it a replica of the new one.
            primary.WaitForExit();
            StartVermilion(primaryPort, primaryDir);
            Assert.True(InProcessServer.WaitFor(() => Follows(primaryPort, vermilion.Port), 30_000), "the restarted primary was not turned into a replica\n" + Logs());
            Assert.Equal(":2\r\n", v2.Call("WAIT", "2", "5000"));
            string digest = v2.Call("DEBUG", "DIGEST");
            Assert.True(InProcessServer.WaitFor(() => Ask(primaryPort, "DEBUG", "DIGEST") == digest, 10_000));
            Assert.True(InProcessServer.WaitFor(() => Known(sentinels[0], "replicas") == 2 && !sentinels[0].Call("SENTINEL", "replicas", "m").Contains("s_down"), 15_000),
                "the sentinels do not see two healthy replicas\n" + Logs());
        }
        finally
        {
            foreach (var s in sentinels) s.Dispose();
        }
    }
    /// <summary>
    /// What Sentinel's reconfiguration does to one server (sentinelSendSlaveOf's transaction), on Vermilion and on
    /// redis-server: the same replies, the other normal and pub/sub clients closed, the caller kept (CLIENT KILL's
    /// SKIPME default), and the INFO fields Sentinel's replica selection reads.
    /// </summary>
    [Fact]
    public void TheReconfigurationTransactionAndTheFieldsSentinelReadsMatchRedis()
    {
        using var redis = new OracleServer();
        using var vermilion = new InProcessServer();
        int nowhere = InProcessServer.FreeTcpPort();
        string[] Script(int port)
        {
            using var sentinel = RespSocket.Tcp(port);
            using var normal = RespSocket.Tcp(port);
            using var subscriber = RespSocket.Tcp(port);
            var seen = new List<string>
            {
                sentinel.Call("CLIENT", "SETNAME", "sentinel-0123abcd-cmd"),
                subscriber.Call("SUBSCRIBE", "__sentinel__:hello"),
                normal.Call("PING"),
                Transaction(sentinel, ["SLAVEOF", "127.0.0.1", nowhere.ToString()]),
                normal.WaitForClose().ToString(),
                subscriber.WaitForClose().ToString(),
            };
            // A primary turned replica that never reached its primary: down "since ever" (-1), which Sentinel's selection accepts.
            Thread.Sleep(1100);
            string info = sentinel.Call("INFO", "replication");
            seen.Add(Regex.Match(info, @"master_link_status:\w+\r\nmaster_last_io_seconds_ago:-?\d+\r\nmaster_sync_in_progress:\d").Value);
            seen.Add(Regex.Match(info, @"master_link_down_since_seconds:-?\d+\r\nslave_priority:\d+\r\nslave_read_only:1\r\nreplica_announced:1").Value);
            seen.Add(sentinel.Call("ROLE"));
            seen.Add(Transaction(sentinel, ["SLAVEOF", "NO", "ONE"]));
            seen.Add(Regex.Match(sentinel.Call("INFO", "replication"), @"# Replication\r\nrole:master\r\nconnected_slaves:0\r\n").Value);
            seen.Add(sentinel.Call("CONFIG", "SET", "replica-priority", "0"));
            seen.Add(Regex.Match(sentinel.Call("INFO", "replication"), @"role:\w+").Value);
            Assert.DoesNotContain("", seen); // every pattern matched
            return [.. seen];
        }
        Assert.Equal(Script(redis.Port), Script(vermilion.Port));
    }

    /// <summary>MULTI, SLAVEOF, CONFIG REWRITE (an error here: no config file, which does not abort EXEC), CLIENT KILL TYPE normal and pubsub, EXEC.</summary>
    static string Transaction(RespSocket c, string[] slaveOf) =>
        c.Call("MULTI") + c.Call(slaveOf) + c.Call("CONFIG", "REWRITE") + c.Call("CLIENT", "KILL", "TYPE", "normal")
        + c.Call("CLIENT", "KILL", "TYPE", "pubsub") + c.Call("EXEC");
}
