using StackExchange.Redis;
using Xunit;

namespace Vermilion.Tests;

/// <summary>MULTI/EXEC/DISCARD/WATCH against redis-server 7.0.15: queue-time errors, runtime errors, and WATCH broken by other clients, expiry, FLUSHALL and SWAPDB.</summary>
[Trait("Category", "Network")]
public class TransactionTests(DifferentialServers servers) : IClassFixture<DifferentialServers>
{
    /// <summary>
    /// Runs the script on both servers with two connections, A and B ("B:" before a command sends it
    /// from B; "SLEEP ms" waits) and compares every reply.
    /// </summary>
    void Same(params string[][] script) => Same(2, script);

    void Same(int resp, params string[][] script) => servers.Same(connect =>
    {
        using var a = connect();
        using var b = connect();
        a.Call("FLUSHALL");
        if (resp == 3) a.Call("HELLO", "3");
        var transcript = new List<string>();
        foreach (var cmd in script)
        {
            if (cmd[0] == "SLEEP") { Thread.Sleep(int.Parse(cmd[1])); continue; }
            bool fromB = cmd[0] == "B:";
            transcript.Add($"RESP{resp} {string.Join(' ', cmd)} => {(fromB ? b : a).Call(fromB ? cmd[1..] : cmd)}");
        }
        return transcript;
    });

    [Fact]
    public void ControlCommandsAndTheirErrors() => Same(
        ["EXEC"], ["DISCARD"], ["UNWATCH"], ["WATCH"], ["MULTI", "x"], ["MULTI"], ["MULTI"], ["SET", "a", "1"], ["WATCH", "a"],
        ["UNWATCH"], ["GET", "a"], ["EXEC"], ["MULTI"], ["EXEC"], ["MULTI"], ["DISCARD"], ["EXEC"], ["GET", "a"],
        ["MULTI"], ["PING"], ["ECHO", "x"], ["SELECT", "1"], ["SET", "in1", "v"], ["SELECT", "0"], ["EXEC"], ["EXISTS", "in1"],
        ["SELECT", "1"], ["GET", "in1"], ["SELECT", "0"]);

    [Fact]
    public void QueueTimeErrorsAbortAndRuntimeErrorsDoNot() => Same(
        ["MULTI"], ["NOSUCH", "x"], ["SET", "a"], ["GET", "a"], ["EXEC"], ["GET", "a"],
        ["MULTI"], ["SET", "a", "1"], ["CLIENT", "NOSUCHSUB"], ["EXEC"],
        ["MULTI"], ["INCR", "a"], ["SET", "b", "x"], ["INCR", "b"], ["SETRANGE", "b", "-1", "y"], ["SET", "a", "1", "XX", "NX"], ["INCR", "a"], ["EXEC"],
        ["MGET", "a", "b"], ["MULTI"], ["SHUTDOWN"], ["PING"], ["EXEC"], ["MULTI"], ["WAIT", "0", "0"], ["EXEC"],
        ["MULTI"], ["RESET"], ["EXEC"],
        ["MULTI"], ["BLPOP", "nolist", "0"], ["BRPOPLPUSH", "nolist", "x", "0"], ["BLMOVE", "nolist", "x", "LEFT", "LEFT", "0"],
        ["BLMPOP", "0", "1", "nolist", "LEFT"], ["RPUSH", "nolist", "v"], ["BLPOP", "nolist", "0"], ["EXEC"],
        ["MULTI"], ["BZPOPMIN", "nozset", "0"], ["BZPOPMAX", "nozset", "0"], ["BZMPOP", "0", "1", "nozset", "MIN"],
        ["ZADD", "nozset", "1", "a", "2", "b"], ["BZPOPMAX", "nozset", "0"], ["BZMPOP", "0", "1", "nozset", "MIN", "COUNT", "5"], ["EXEC"]);

    [Fact]
    public void WatchBrokenByAnotherClientsWrite() => Same(
        ["SET", "k", "1"], ["WATCH", "k"], ["B:", "SET", "k", "2"], ["MULTI"], ["INCR", "k"], ["EXEC"], ["GET", "k"],
        ["WATCH", "k"], ["B:", "GET", "k"], ["MULTI"], ["INCR", "k"], ["EXEC"],
        ["WATCH", "k", "other"], ["B:", "DEL", "other", "k"], ["MULTI"], ["SET", "k", "x"], ["EXEC"], ["GET", "k"],
        ["WATCH", "missing"], ["B:", "SET", "missing", "now"], ["MULTI"], ["PING"], ["EXEC"],
        ["WATCH", "k"], ["SET", "k", "own"], ["MULTI"], ["PING"], ["EXEC"],
        ["WATCH", "k"], ["UNWATCH"], ["B:", "SET", "k", "again"], ["MULTI"], ["PING"], ["EXEC"],
        ["WATCH", "k"], ["B:", "EXPIRE", "k", "100"], ["MULTI"], ["PING"], ["EXEC"],
        ["WATCH", "k"], ["B:", "SELECT", "1"], ["B:", "SET", "k", "db1"], ["B:", "SELECT", "0"], ["MULTI"], ["PING"], ["EXEC"],
        ["WATCH", "k"], ["B:", "RENAME", "k", "k2"], ["MULTI"], ["PING"], ["EXEC"],
        ["WATCH", "k2"], ["B:", "APPEND", "k2", "z"], ["MULTI"], ["GET", "k2"], ["EXEC"],
        ["WATCH", "k2"], ["MULTI"], ["GET", "k2"], ["DISCARD"], ["B:", "SET", "k2", "y"], ["MULTI"], ["PING"], ["EXEC"]);

    [Fact]
    public void WatchBrokenByFlushAndSwapdb() => Same(
        ["SET", "k", "1"], ["WATCH", "k"], ["B:", "FLUSHALL"], ["MULTI"], ["PING"], ["EXEC"],
        ["WATCH", "k"], ["B:", "FLUSHDB"], ["MULTI"], ["PING"], ["EXEC"],
        ["SET", "k", "1"], ["WATCH", "k"], ["B:", "SWAPDB", "0", "1"], ["MULTI"], ["PING"], ["EXEC"],
        ["WATCH", "k"], ["B:", "SWAPDB", "0", "1"], ["MULTI"], ["PING"], ["EXEC"],
        ["WATCH", "k"], ["B:", "SELECT", "2"], ["B:", "FLUSHDB"], ["MULTI"], ["PING"], ["EXEC"]);

    [Fact]
    public void WatchBrokenByExpiry() => Same(
        ["SET", "k", "1", "PX", "400"], ["WATCH", "k"], ["SLEEP", "500"], ["MULTI"], ["PING"], ["EXEC"],
        ["SET", "j", "1", "PX", "10"], ["SLEEP", "50"], ["WATCH", "j"], ["MULTI"], ["PING"], ["EXEC"],
        ["SET", "p", "1", "EX", "100"], ["WATCH", "p"], ["MULTI"], ["PING"], ["EXEC"]);

    /// <summary>multi.c touchWatchedKey: a key already expired when watched, then deleted (DEL, or a read that expires it), changed nothing: EXEC runs.</summary>
    [Fact]
    public void DeletingAWatchedStaleKeyDoesNotFailExec() => Same(
        ["SET", "x", "foo", "PX", "1"], ["SLEEP", "10"], ["WATCH", "x"], ["DEL", "x"], ["MULTI"], ["PING"], ["EXEC"],
        ["SET", "y", "foo", "PX", "1"], ["SLEEP", "10"], ["WATCH", "y"], ["GET", "y"], ["MULTI"], ["PING"], ["EXEC"],
        ["SET", "z", "foo", "PX", "1"], ["SLEEP", "10"], ["WATCH", "z"], ["SET", "z", "bar"], ["MULTI"], ["PING"], ["EXEC"]);

    [Fact]
    public void AbortedExecIsANullInBothProtocols() => Same(3,
        ["SET", "k", "1"], ["WATCH", "k"], ["B:", "SET", "k", "2"], ["MULTI"], ["GET", "k"], ["EXEC"],
        ["MULTI"], ["GET", "k"], ["EXEC"], ["MULTI"], ["NOSUCH"], ["EXEC"]);

    /// <summary>A push inside EXEC serves a blocked client once the whole transaction is done, with what EXEC left.</summary>
    [Fact]
    public void ExecServesBlockedClientsAfterTheTransaction()
    {
        servers.Same(connect =>
        {
            using var waiter = connect();
            using var writer = connect();
            writer.Call("DEL", "q");
            waiter.Send(RespSocket.Encode("BLPOP", "q", "0"));
            Assert.True(InProcessServer.WaitFor(() => writer.Call("INFO", "clients").Contains("blocked_clients:1\r\n")));
            var transcript = new List<string>();
            foreach (var cmd in new[] { new[] { "MULTI" }, ["RPUSH", "q", "a", "b"], ["LPOP", "q"], ["RPUSH", "q", "c"], ["EXEC"] })
                transcript.Add(writer.Call(cmd));
            transcript.Add(waiter.ReadReply());
            transcript.Add(writer.Call("LRANGE", "q", "0", "-1"));
            return transcript;
        });
    }

    [Fact]
    public void ClientListShowsMultiAndDirtyFlags()
    {
        using var s = new InProcessServer();
        using var a = s.Connect();
        using var b = s.Connect();
        a.Call("CLIENT", "SETNAME", "txn");
        a.Call("WATCH", "k");
        b.Call("SET", "k", "v");
        a.Call("MULTI");
        a.Call("SET", "x", "1");
        a.Call("GET", "x");
        Assert.Matches("name=txn .*flags=xd .*multi=2 .*multi-mem=[1-9]", b.Call("CLIENT", "LIST"));
        Assert.Equal("*-1\r\n", a.Call("EXEC"));
        Assert.Matches("name=txn .*flags=N .*multi=-1 ", b.Call("CLIENT", "LIST"));
    }

    [Fact]
    public async Task StackExchangeRedisConditionalTransaction()
    {
        using var s = new InProcessServer();
        using var mux = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{s.Port},abortConnect=false");
        var db = mux.GetDatabase();
        await db.StringSetAsync("balance", 10);
        var tx = db.CreateTransaction();
        tx.AddCondition(Condition.StringEqual("balance", 10));
        _ = tx.StringDecrementAsync("balance", 3);
        _ = tx.StringSetAsync("audit", "debited");
        Assert.True(await tx.ExecuteAsync());
        Assert.Equal(7, (long)await db.StringGetAsync("balance"));
        var stale = db.CreateTransaction();
        stale.AddCondition(Condition.StringEqual("balance", 10));
        _ = stale.StringDecrementAsync("balance", 3);
        Assert.False(await stale.ExecuteAsync());
        Assert.Equal(7, (long)await db.StringGetAsync("balance"));
    }

    /// <summary>SMOVE changes the destination only when the member was added, the source only when it left (issue 13).</summary>
    [Fact]
    public void SMoveDirtiesOnlyTheKeysItChanged() => Same(
        ["SADD", "src", "m", "n"], ["SADD", "dst", "m"],
        ["WATCH", "dst"], ["B:", "SMOVE", "src", "dst", "m"], ["MULTI"], ["PING"], ["EXEC"],
        ["WATCH", "src", "dst"], ["B:", "SMOVE", "src", "dst", "nosuch"], ["B:", "SMOVE", "nokey", "dst", "n"], ["MULTI"], ["PING"], ["EXEC"],
        ["WATCH", "dst"], ["B:", "SMOVE", "src", "dst", "n"], ["MULTI"], ["PING"], ["EXEC"],
        ["WATCH", "src"], ["B:", "SMOVE", "dst", "dst", "n"], ["B:", "SADD", "src", "x"], ["B:", "SMOVE", "src", "dst", "x"], ["MULTI"], ["PING"], ["EXEC"]);

    /// <summary>Waits (generously) until the server counts <paramref name="n"/> blocked clients.</summary>
    static void WaitForBlocked(RespSocket s, int n) =>
        Assert.True(InProcessServer.WaitFor(() => s.Call("INFO", "clients").Contains($"\r\nblocked_clients:{n}\r\n"), 10_000), $"never {n} blocked clients");

    /// <summary>CLIENT PAUSE WRITE holds back EXEC of a transaction that queued a write; read-only ones run (unit/pause; issue 13).</summary>
    [Fact]
    public void PauseWriteHoldsExecOfWrites() => servers.Same(connect =>
    {
        using var a = connect();
        using var b = connect();
        a.Call("FLUSHALL");
        var t = new List<string> { b.Call("MULTI"), b.Call("SET", "FOO", "BAR"), a.Call("CLIENT", "PAUSE", "60000", "WRITE") };
        b.Send(RespSocket.Encode("EXEC"));
        WaitForBlocked(a, 1);
        t.Add(a.Call("GET", "FOO"));
        t.Add(a.Call("MULTI"));
        t.Add(a.Call("PING"));
        t.Add(a.Call("GET", "FOO"));
        t.Add(a.Call("EXEC")); // read-only: runs while paused
        t.Add(a.Call("CLIENT", "UNPAUSE"));
        t.Add(b.ReadReply());
        t.Add(a.Call("GET", "FOO"));
        return t;
    });

    /// <summary>While clients are paused keys read as expired but are not deleted, actively or lazily; afterwards they go (issue 13).</summary>
    [Fact]
    public void PausedKeysReadAsExpiredButStay() => servers.Same(connect =>
    {
        using var a = connect();
        a.Call("FLUSHALL");
        static long Expired(RespSocket s) => long.Parse(System.Text.RegularExpressions.Regex.Match(s.Call("INFO", "stats"), @"expired_keys:(\d+)").Groups[1].Value);
        long before = Expired(a);
        var t = new List<string> { a.Call("MULTI"), a.Call("SET", "foo{t}", "bar", "PX", "10"), a.Call("SET", "bar{t}", "foo", "PX", "10"),
            a.Call("CLIENT", "PAUSE", "50000", "WRITE"), a.Call("EXEC") };
        Thread.Sleep(300); // past the deadlines, and a few active expiry cycles
        t.Add(a.Call("GET", "foo{t}"));
        t.Add(a.Call("EXISTS", "bar{t}"));
        t.Add(a.Call("DBSIZE"));
        t.Add($"expired while paused: {Expired(a) - before}");
        t.Add(a.Call("CLIENT", "UNPAUSE"));
        t.Add(a.Call("GET", "foo{t}"));
        t.Add(a.Call("GET", "bar{t}"));
        t.Add($"expired after: {Expired(a) - before}");
        return t;
    });

    /// <summary>Over maxmemory, EXEC runs a read-only transaction but refuses one that queued a deny-oom command (mstate.cmd_flags; unit/multi).</summary>
    [Fact]
    public void ExecUnderOomRefusesOnlyTransactionsThatUseMemory() => servers.Same(connect =>
    {
        using var a = connect();
        using var b = connect();
        a.Call("FLUSHALL");
        var t = new List<string>();
        try
        {
            t.Add(a.Call("SET", "x", "value"));
            t.Add(a.Call("MULTI"));
            t.Add(a.Call("GET", "x"));
            t.Add(a.Call("PING"));
            t.Add(b.Call("CONFIG", "SET", "maxmemory", "1"));
            t.Add(a.Call("EXEC"));
            t.Add(b.Call("CONFIG", "SET", "maxmemory", "0"));
            t.Add(a.Call("MULTI"));
            t.Add(a.Call("SET", "x", "1"));
            t.Add(a.Call("GET", "x"));
            t.Add(b.Call("CONFIG", "SET", "maxmemory", "1"));
            t.Add(a.Call("EXEC"));
            t.Add(a.Call("MULTI"));
            t.Add(a.Call("GET", "x"));
            t.Add(a.Call("DISCARD"));
        }
        finally
        {
            b.Call("CONFIG", "SET", "maxmemory", "0");
        }
        t.Add(a.Call("GET", "x"));
        return t;
    });
}
