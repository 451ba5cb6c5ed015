using Xunit;

namespace Vermilion.Tests;

/// <summary>
/// Busy scripts against redis-server 7.0.15: past busy-reply-threshold the script keeps running
/// while other clients get -BUSY, only allow-busy commands run, SCRIPT KILL stops a script that
/// has not written (UNKILLABLE after a write, NOTBUSY with none), and a pcall cannot catch the kill.
/// </summary>
[Trait("Category", "Network")]
public class ScriptingBusyTests(DifferentialServers servers) : IClassFixture<DifferentialServers>
{
    /// <summary>Sends the script from <paramref name="caller"/> without reading, then polls PING from <paramref name="other"/> until it answers -BUSY.</summary>
    static string StartBusy(RespSocket caller, RespSocket other, string script)
    {
        caller.Send(RespSocket.Encode("EVAL", script, "0"));
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            var reply = other.Call("PING");
            if (reply.StartsWith("-BUSY") || DateTime.UtcNow > deadline) return reply;
            Thread.Sleep(20);
        }
    }

    [Fact]
    public void ScriptKillStopsAScriptThatHasNotWritten()
    {
        using var _ = servers.Configure("busy-reply-threshold", "100");
        servers.Same(connect =>
        {
            using var a = connect();
            using var b = connect();
            var lines = new List<string>
            {
                b.Call("CONFIG", "GET", "lua-time-limit"),
                b.Call("CONFIG", "GET", "busy-reply-threshold"),
                b.Call("SCRIPT", "KILL"),
                StartBusy(a, b, "local i = 0 while true do i = i + 1 end"),
                b.Call("GET", "x"),
                b.Call("EVAL", "return 1", "0"),
                // A transaction pipelined meanwhile is refused whole: MULTI runs, what it would queue is BUSY.
                b.Call("MULTI"),
                b.Call("INCR", "x"),
                b.Call("EXEC"),
                b.Call("MULTI"),
                b.Call("DISCARD"),
                b.Call("SHUTDOWN"),
                b.Call("SCRIPT", "KILL"),
                a.ReadReply(),
                b.Call("PING"),
                b.Call("SCRIPT", "KILL"),
                a.Call("PING"),
            };
            return lines;
        });
    }

    [Fact]
    public void AKilledScriptCannotCatchTheKillWithPcall()
    {
        using var _ = servers.Configure("busy-reply-threshold", "100");
        servers.Same(connect =>
        {
            using var a = connect();
            using var b = connect();
            return
            [
                StartBusy(a, b, "while true do pcall(function() local i = 0 while true do i = i + 1 end end) end"),
                b.Call("SCRIPT", "KILL"),
                a.ReadReply(),
                a.Call("EVAL", "local s = 0 for i = 1, 300000 do s = s + i end return s", "0"),
            ];
        });
    }

    /// <summary>A loop inside a coroutine is killed too (Redis's hook is copied into each coroutine): resume returns the error, wrap raises it.</summary>
    [Fact]
    public void ALoopInsideACoroutineCanBeKilled()
    {
        using var _ = servers.Configure("busy-reply-threshold", "100");
        servers.Same(connect =>
        {
            using var a = connect();
            using var b = connect();
            return
            [
                StartBusy(a, b, "local co = coroutine.create(function() while true do end end) local ok, e = coroutine.resume(co) return {tostring(ok), type(e), e.err}"),
                b.Call("SCRIPT", "KILL"),
                a.ReadReply(),
                StartBusy(a, b, "local f = coroutine.wrap(function() while true do end end) f() return 1"),
                b.Call("SCRIPT", "KILL"),
                a.ReadReply(),
                a.Call("EVAL", "return {coroutine.wrap(function(x) coroutine.yield(x + 1) end)(1)}", "0"),
                a.Call("EVAL", "return coroutine.create(1)", "0"),
                a.Call("EVAL", "return coroutine.wrap(print)", "0"),
                a.Call("EVAL", "local f = coroutine.wrap(function() end) f() return f()", "0"),
                a.Call("EVAL", "local f = coroutine.wrap(function() error('in co') end) return f()", "0"),
            ];
        });
    }

    [Fact]
    public void AScriptThatWroteIsUnkillable()
    {
        using var _ = servers.Configure("busy-reply-threshold", "100");
        servers.Same(connect =>
        {
            using var a = connect();
            using var b = connect();
            // Runs about a second of wall time by the server's clock, then returns.
            var script = "redis.call('set', 'busy', 'y') local t = redis.call('time') local s = t[1] * 1000000 + t[2] "
                       + "while true do local n = redis.call('time') if n[1] * 1000000 + n[2] - s > 1000000 then break end end return 'done'";
            return
            [
                StartBusy(a, b, script),
                b.Call("SCRIPT", "KILL"),
                b.Call("SHUTDOWN"),
                a.ReadReply(),
                b.Call("GET", "busy"),
                b.Call("DEL", "busy"),
            ];
        });
    }

    [Fact]
    public void ZeroThresholdNeverTimesOut()
    {
        using var _ = servers.Configure("lua-time-limit", "0");
        servers.Same(connect =>
        {
            using var a = connect();
            return [a.Call("EVAL", "local t = redis.call('time') local s = t[1] * 1000000 + t[2] while true do local n = redis.call('time') if n[1] * 1000000 + n[2] - s > 300000 then break end end return 1", "0")];
        });
    }

    /// <summary>No oracle: SHUTDOWN NOSAVE ends redis-server. The busy script stops, the server exits, the caller's connection closes.</summary>
    [Fact]
    public void ShutdownNosaveEndsABusyScript()
    {
        using var server = new InProcessServer();
        using var a = server.Connect();
        using var b = server.Connect();
        Assert.Equal("+OK\r\n", b.Call("CONFIG", "SET", "busy-reply-threshold", "50"));
        Assert.StartsWith("-BUSY", StartBusy(a, b, "redis.call('set','k','v') while true do end"));
        Assert.StartsWith("-UNKILLABLE", b.Call("SCRIPT", "KILL"));
        Assert.Equal("-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.\r\n", b.Call("SHUTDOWN"));
        b.Send(RespSocket.Encode("SHUTDOWN", "NOSAVE"));
        Assert.True(b.WaitForClose());
        Assert.True(a.WaitForClose(out _));
        Assert.True(server.LogContains("Slow script detected: still in execution after"));
    }

    /// <summary>The caller is protected while the loop is served: its disconnecting does not free it under the running script.</summary>
    [Fact]
    public void CallerDisconnectingWhileBusyLosesNothing()
    {
        using var server = new InProcessServer();
        using var b = server.Connect();
        Assert.Equal("+OK\r\n", b.Call("CONFIG", "SET", "busy-reply-threshold", "50"));
        var a = server.Connect();
        Assert.StartsWith("-BUSY", StartBusy(a, b, "local i = 0 while true do i = i + 1 end"));
        a.Dispose();
        Thread.Sleep(100);
        Assert.Equal("+OK\r\n", b.Call("SCRIPT", "KILL"));
        // SCRIPT KILL is answered from the hook; the script ends at the hook's next turn.
        Assert.True(InProcessServer.WaitFor(() => b.Call("PING") == "+PONG\r\n"));
        Assert.True(InProcessServer.WaitFor(() => b.Call("INFO", "clients").Contains("connected_clients:1\r\n")));
    }
}
