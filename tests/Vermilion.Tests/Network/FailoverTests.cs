using System.Diagnostics;
using Xunit;
using static Vermilion.Tests.ReplicationHarness;

namespace Vermilion.Tests;

/// <summary>
/// FAILOVER (Replication/Failover.cs) both ways with redis-server 7.0.15: its errors and the waiting state
/// against Redis's own replies, a Vermilion primary handing over to a redis-server replica and to a
/// Vermilion one, a redis-server primary handing over to a Vermilion replica (PSYNC ... FAILOVER), and a
/// target that refuses the PSYNC.
/// </summary>
[Trait("Category", "Network")]
public class FailoverTests
{
    static readonly string[] s_debug = ["--enable-debug-command", "yes", "--repl-diskless-sync-delay", "0"];

    static InProcessServer Vermilion(params string[] extra) => new("epoll", [.. s_debug, .. extra]);
    static OracleServer Redis(params string[] extra) => new([.. s_debug, .. extra]);
    static string[] ReplicaOf(int port) => ["--replicaof", "127.0.0.1", port.ToString()];

    /// <summary>The primary sees its replica online (a diskless sync's end is noticed by the primary's cron, after the replica's link is up).</summary>
    static void WaitOnline(RespSocket primary, int replicas = 1) =>
        Assert.True(InProcessServer.WaitFor(() => primary.Call("INFO", "replication").Split("state=online").Length - 1 == replicas, 10_000), "the replica never came online");

    static string State(RespSocket c) => Field(c, "replication", "master_failover_state");

    static void Signal(string pid, string signal) => Process.Start("kill", $"-{signal} {pid}")!.WaitForExit();

    /// <summary>
    /// The same script against a primary with no replica, then with a redis-server replica: argument errors,
    /// the checks' order, and a failover kept waiting by a stopped replica (writes held, reads served, ABORT).
    /// </summary>
    static List<string> ErrorScript(Func<RespSocket> connect, Func<OracleServer> startReplica)
    {
        using var primary = connect();
        var replies = new List<string>();
        void Call(RespSocket c, params string[] command) => replies.Add(c.Call(command));
        Call(primary, "FAILOVER", "TO", "127.0.0.1", "1");
        Call(primary, "FAILOVER", "ABORT");
        Call(primary, "FAILOVER", "TIMEOUT", "0");
        Call(primary, "FAILOVER", "TIMEOUT", "-5");
        Call(primary, "FAILOVER", "TIMEOUT", "x");
        Call(primary, "FAILOVER", "TIMEOUT");
        Call(primary, "FAILOVER", "TIMEOUT", "10", "TIMEOUT", "10");
        Call(primary, "FAILOVER", "TO", "127.0.0.1", "notaport");
        Call(primary, "FAILOVER", "TO", "127.0.0.1");
        Call(primary, "FAILOVER", "FORCE", "FORCE");
        Call(primary, "FAILOVER", "ABORT", "TIMEOUT", "5");
        Call(primary, "FAILOVER", "bogus");
        Call(primary, "FAILOVER", "FORCE", "TIMEOUT", "100");
        Call(primary, "PSYNC", "0123456789012345678901234567890123456789", "1", "FAILOVER");
        using var replicaServer = startReplica();
        using var replica = replicaServer.Connect();
        WaitForLink(replica);
        WaitOnline(primary);
        string port = replicaServer.Port.ToString();
        Call(primary, "FAILOVER", "TO", "invalidhost", port);
        Call(primary, "FAILOVER", "TO", "127.0.0.1", "1");
        Call(primary, "FAILOVER", "FORCE", "TIMEOUT", "100");
        Call(primary, "FAILOVER", "TO", "127.0.0.1", port, "FORCE");
        Call(replica, "FAILOVER", "TO", "127.0.0.1", port);
        Call(replica, "PSYNC", "0123456789012345678901234567890123456789", "1", "FAILOVER");
        // A stopped replica never acknowledges the write: the failover waits for it.
        string pid = Field(replica, "server", "process_id");
        Signal(pid, "STOP");
        try
        {
            Call(primary, "SET", "case", "1");
            Call(primary, "FAILOVER", "TO", "127.0.0.1", port, "TIMEOUT", "60000");
            replies.Add(State(primary));
            Call(primary, "FAILOVER");
            Call(primary, "REPLICAOF", "NO", "ONE");
            Call(primary, "GET", "case");
            // A write waits for the failover's end; it runs once the failover is aborted.
            using var writer = connect();
            writer.Send(RespSocket.Encode("SET", "held", "1"));
            Thread.Sleep(100);
            replies.Add(primary.Call("CLIENT", "LIST").Contains("flags=b ") ? "held" : "not held");
            Call(primary, "FAILOVER", "ABORT");
            replies.Add(writer.ReadReply(5000));
            replies.Add(State(primary));
            Call(primary, "FAILOVER", "ABORT");
        }
        finally { Signal(pid, "CONT"); }
        return replies;
    }

    [Fact]
    public void ErrorsAndTheWaitingStateAsRedis()
    {
        using var redis = Redis();
        var expected = ErrorScript(redis.Connect, () => Redis(ReplicaOf(redis.Port)));
        using var server = Vermilion();
        var actual = ErrorScript(server.Connect, () => Redis(ReplicaOf(server.Port)));
        Assert.Equal(expected, actual);
    }

    static void WaitNoFailover(RespSocket primary) =>
        Assert.True(InProcessServer.WaitFor(() => State(primary) == "no-failover", 10_000), "the failover never ended");

    static void Populate(RespSocket c, string prefix)
    {
        for (int i = 0; i < 200; i++)
        {
            c.Send(RespSocket.Encode("SET", $"{prefix}s:{i}", $"v{i}"));
            c.Send(RespSocket.Encode("HSET", $"{prefix}h:{i}", "a", i.ToString()));
        }
        for (int i = 0; i < 400; i++) c.ReadReply();
    }

    static void SameDigest(RespSocket a, RespSocket b) =>
        Assert.True(InProcessServer.WaitFor(() => a.Call("DEBUG", "DIGEST") == b.Call("DEBUG", "DIGEST"), 10_000), "the datasets differ");

    /// <summary>
    /// A Vermilion primary hands over to its redis-server replica: it turns replica of it with a partial
    /// sync (the target promoted itself on PSYNC ... FAILOVER and continued the history), then its other
    /// replica, a Vermilion one, moves to the new primary with a partial sync too.
    /// </summary>
    [Fact]
    public void VermilionPrimaryHandsOverToARedisServerReplica()
    {
        using var server = Vermilion();
        using var p = server.Connect();
        Populate(p, "a:");
        using var redis = Redis(ReplicaOf(server.Port));
        using var r1 = redis.Connect();
        using var other = Vermilion(ReplicaOf(server.Port));
        using var r2 = other.Connect();
        WaitForLink(r1);
        WaitForLink(r2);
        WaitOnline(p, 2);
        Populate(p, "b:");
        Assert.Equal("+OK\r\n", p.Call("FAILOVER", "TO", "127.0.0.1", redis.Port.ToString()));
        WaitNoFailover(p);
        WaitForLink(p);
        Assert.Contains("slave", p.Call("ROLE"));
        Assert.Contains("master", r1.Call("ROLE"));
        Assert.True(server.LogContains($"Failover target 127.0.0.1:{redis.Port} is synced, failing over."));
        Assert.Equal("-READONLY You can't write against a read only replica.\r\n", p.Call("SET", "k", "v"));
        Assert.Equal("+OK\r\n", r2.Call("REPLICAOF", "127.0.0.1", redis.Port.ToString()));
        WaitForLink(r2);
        Assert.Equal("+OK\r\n", r1.Call("SET", "after", "failover"));
        SameDigest(r1, p);
        SameDigest(r1, r2);
        Assert.Equal("2", Field(r1, "stats", "sync_partial_ok"));
        Assert.Equal("0", Field(r1, "stats", "sync_full"));
    }

    /// <summary>A Vermilion primary hands over to whichever Vermilion replica is caught up (FAILOVER with no target).</summary>
    [Fact]
    public void VermilionPrimaryHandsOverToAnyVermilionReplica()
    {
        using var server = Vermilion();
        using var p = server.Connect();
        Populate(p, "a:");
        using var replica = Vermilion(ReplicaOf(server.Port));
        using var r = replica.Connect();
        WaitForLink(r);
        WaitOnline(p);
        Assert.Equal("+OK\r\n", p.Call("FAILOVER"));
        WaitNoFailover(p);
        WaitForLink(p);
        Assert.Contains("master", r.Call("ROLE"));
        Assert.True(replica.LogContains("MASTER MODE enabled (failover request from"));
        Assert.Equal("+OK\r\n", r.Call("SET", "after", "failover"));
        SameDigest(r, p);
        Assert.Equal("1", Field(r, "stats", "sync_partial_ok"));
        Assert.Equal($"127.0.0.1 {replica.Port}", p.Call("CONFIG", "GET", "replicaof").Split("\r\n")[4]);
    }

    /// <summary>A redis-server primary's FAILOVER reaches a Vermilion replica as PSYNC ... FAILOVER: it promotes itself and continues the history.</summary>
    [Fact]
    public void RedisServerPrimaryHandsOverToAVermilionReplica()
    {
        using var redis = Redis();
        using var p = redis.Connect();
        Populate(p, "a:");
        using var server = Vermilion(ReplicaOf(redis.Port));
        using var r = server.Connect();
        WaitForLink(r);
        WaitOnline(p);
        Populate(p, "b:");
        Assert.Equal("+OK\r\n", p.Call("FAILOVER", "TO", "127.0.0.1", server.Port.ToString()));
        WaitNoFailover(p);
        WaitForLink(p);
        Assert.Contains("master", r.Call("ROLE"));
        Assert.True(server.LogContains("Failover request received for replid "));
        Assert.Equal("+OK\r\n", r.Call("SET", "after", "failover"));
        SameDigest(r, p);
        Assert.Equal("1", Field(r, "stats", "sync_partial_ok"));
        Assert.Equal("0", Field(r, "stats", "sync_full"));
    }

    /// <summary>
    /// A target that refuses PSYNC (ACL -psync) aborts the failover: the primary is a primary again under a
    /// new ID, the write held meanwhile runs, and its replica continues with a partial sync.
    /// </summary>
    [Fact]
    public void ATargetThatRefusesThePsyncAbortsTheFailover()
    {
        using var server = Vermilion();
        using var p = server.Connect();
        using var replica = Vermilion(ReplicaOf(server.Port));
        using var r = replica.Connect();
        WaitForLink(r);
        WaitOnline(p);
        Assert.Equal("+OK\r\n", r.Call("ACL", "SETUSER", "default", "-psync"));
        Assert.Equal("+OK\r\n", p.Call("FAILOVER", "TO", "127.0.0.1", replica.Port.ToString()));
        WaitNoFailover(p);
        Assert.True(server.LogContains($"FAILOVER to 127.0.0.1:{replica.Port} aborted: Failover target rejected psync request"));
        Assert.Contains("master", p.Call("ROLE"));
        Assert.Equal("+OK\r\n", p.Call("SET", "k", "v"));
        Assert.Equal("+OK\r\n", r.Call("ACL", "SETUSER", "default", "+psync"));
        WaitOnline(p);
        SameDigest(p, r);
        Assert.Equal("1", Field(p, "stats", "sync_partial_ok"));
    }
}
