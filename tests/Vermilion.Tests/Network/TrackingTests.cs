using Xunit;

namespace Vermilion.Tests;

/// <summary>Client-side caching (CLIENT TRACKING) against redis-server 7.0.15: the same multi-client scripts on both, every byte each client receives compared.</summary>
[Trait("Category", "Network")]
public class TrackingTests(DifferentialServers servers) : IClassFixture<DifferentialServers>
{
    /// <summary>
    /// Each step is "client: command...". Clients a and b speak RESP3, r speaks RESP2; "$r" in a
    /// command stands for r's client id. Each step's replies and pushes, up to a PING marker, make
    /// a line of the transcript.
    /// </summary>
    void Same(params string[] steps) => servers.Same(connect =>
    {
        using var a = connect();
        using var b = connect();
        using var r = connect();
        a.Call("FLUSHALL");
        a.Call("HELLO", "3");
        b.Call("HELLO", "3");
        string rid = r.Call("CLIENT", "ID").Trim(':', '\r', '\n');
        var clients = new Dictionary<string, RespSocket> { ["a"] = a, ["b"] = b, ["r"] = r };
        var transcript = new List<string>();
        foreach (var step in steps)
        {
            var parts = step.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var cmd = parts[1..].Select(p => p == "$r" ? rid : p).ToArray();
            transcript.Add($"{step} => {clients[parts[0].TrimEnd(':')].CallAll(cmd)}");
        }
        return transcript;
    });

    [Fact]
    public void OptionsAndTheirErrors() => Same(
        "a: CLIENT GETREDIR", "a: CLIENT TRACKINGINFO", "a: CLIENT TRACKING", "a: CLIENT TRACKING maybe", "a: CLIENT TRACKING ON PREFIX x",
        "a: CLIENT TRACKING ON OPTIN OPTOUT", "a: CLIENT TRACKING ON BCAST OPTIN", "a: CLIENT TRACKING ON REDIRECT 999999",
        "a: CLIENT TRACKING ON REDIRECT abc", "a: CLIENT TRACKING ON FOO", "a: CLIENT TRACKING ON REDIRECT", "a: CLIENT CACHING YES",
        "a: CLIENT CACHING maybe", "a: CLIENT TRACKING ON", "a: CLIENT GETREDIR", "a: CLIENT TRACKINGINFO", "a: CLIENT CACHING YES",
        "a: CLIENT TRACKING ON BCAST", "a: CLIENT TRACKING OFF", "a: CLIENT TRACKING ON BCAST PREFIX a PREFIX ab",
        "a: CLIENT TRACKING ON BCAST PREFIX a PREFIX b", "a: CLIENT TRACKINGINFO", "a: CLIENT TRACKING ON BCAST PREFIX c",
        "a: CLIENT TRACKING ON BCAST PREFIX bb", "a: CLIENT TRACKINGINFO", "a: CLIENT TRACKING OFF", "a: CLIENT TRACKING ON BCAST",
        "a: CLIENT TRACKINGINFO", "a: CLIENT TRACKING OFF", "a: CLIENT TRACKING ON OPTIN", "a: CLIENT CACHING YES",
        "a: CLIENT CACHING NO", "a: CLIENT TRACKINGINFO", "a: CLIENT TRACKING ON OPTOUT", "a: CLIENT TRACKING OFF",
        "a: CLIENT TRACKING ON OPTOUT NOLOOP", "a: CLIENT CACHING NO", "a: CLIENT TRACKINGINFO", "a: CLIENT TRACKING OFF",
        "r: CLIENT TRACKINGINFO", "r: CLIENT TRACKING ON REDIRECT $r", "r: CLIENT TRACKING OFF");

    [Fact]
    public void DefaultModeInvalidatesKeysReadOnceWritten() => Same(
        "a: CLIENT TRACKING ON", "a: SET k 1", "a: GET k", "a: MGET k j", "b: SET k 2", "a: PING", "b: SET j 2", "a: PING",
        "b: SET k 3", "a: PING", "a: GET k", "a: SET k 4", "a: GET k", "b: APPEND k x", "a: STRLEN k", "b: DEL k", "a: EXISTS k",
        "b: SET k 5", "b: FLUSHALL", "a: GET k", "b: FLUSHDB", "a: CLIENT TRACKING OFF", "b: SET k 6", "a: PING");

    /// <summary>
    /// Scripts (call() with server.script_caller): a script's write is its caller's for NOLOOP and for
    /// the invalidation held back until its reply; a read inside a script makes the caller track
    /// every key its EVAL declared (not the ones the script read); EVAL_RO tracks nothing itself.
    /// </summary>
    [Fact]
    public void ScriptsTrackForTheirCaller() => Same(
        "a: CLIENT TRACKING ON NOLOOP", "a: SET key1 1", "a: GET key1", "a: EVAL return(redis.call('set','key1','2')) 1 key1",
        "a: GET key1", "a: CLIENT TRACKING OFF", "a: CLIENT TRACKING ON", "a: GET key1", "a: EVAL return(redis.call('set','key1','3')) 1 key1",
        "a: PING", "a: CLIENT TRACKING OFF",
        "b: CLIENT TRACKING ON", "a: MSET k2 1 k1 1", "b: EVAL redis.call('set','k3','bar') 2 k1 k2", "a: MSET k2 2 k1 2", "b: PING",
        "b: EVAL redis.call('get','k3') 2 k1 k2", "a: MSET k2 3 k1 3", "b: PING", "b: EVAL_RO redis.call('get','k3') 1 k9",
        "a: SET k9 x", "b: PING", "b: EVAL_RO return(1) 1 k8", "a: SET k8 x", "b: PING", "a: SET k3 y", "b: PING");

    [Fact]
    public void NoLoopOptInAndOptOut() => Same(
        "a: CLIENT TRACKING ON NOLOOP", "a: GET k", "a: SET k 1", "a: GET k", "b: SET k 2", "a: PING", "a: CLIENT TRACKING OFF",
        "a: CLIENT TRACKING ON OPTIN", "a: GET k", "b: SET k 3", "a: PING", "a: CLIENT CACHING YES", "a: GET k", "a: GET other",
        "b: MSET k 4 other 4", "a: PING", "a: CLIENT TRACKING OFF",
        "a: CLIENT TRACKING ON OPTOUT", "a: CLIENT CACHING NO", "a: GET k", "a: GET other", "b: MSET k 5 other 5", "a: PING");

    [Fact]
    public void BroadcastModeSendsKeysUnderItsPrefixes() => Same(
        "a: CLIENT TRACKING ON BCAST PREFIX user: PREFIX cart:", "b: SET user:1 x", "a: PING", "b: MSET cart:9 y other z", "a: PING",
        "a: SET user:2 mine", "b: PING", "a: CLIENT TRACKING OFF", "a: CLIENT TRACKING ON BCAST NOLOOP", "a: SET own 1", "b: SET theirs 1", "a: PING");

    [Fact]
    public void Resp2RedirectToInvalidateChannel() => Same(
        "r: SUBSCRIBE __redis__:invalidate", "a: CLIENT TRACKING ON REDIRECT $r", "a: GET x", "b: SET x 1", "r: PING", "a: GET x",
        "b: DEL x", "r: PING", "b: FLUSHDB", "r: PING");

    /// <summary>trackingInvalidateKeysOnFlush: FLUSHALL empties the tracking table even when no client tracks any more (the keys a client remembered stay in it after CLIENT TRACKING OFF).</summary>
    [Fact]
    public void FlushallEmptiesTheTrackingTableWithNoTrackingClient()
    {
        using var s = new InProcessServer();
        using var a = s.Connect();
        using var admin = s.Connect();
        a.Call("CLIENT", "TRACKING", "ON");
        a.Call("MGET", "k1", "k2");
        a.Call("CLIENT", "TRACKING", "OFF");
        Assert.Contains("tracking_total_items:2\r\n", admin.Call("INFO", "stats"));
        admin.Call("FLUSHALL");
        Assert.Contains("tracking_total_items:0\r\n", admin.Call("INFO", "stats"));
    }

    [Fact]
    public void InfoAndClientListShowTracking()
    {
        using var s = new InProcessServer();
        using var a = s.Connect();
        using var admin = s.Connect();
        a.Call("HELLO", "3");
        a.Call("CLIENT", "TRACKING", "ON");
        a.Call("MGET", "k1", "k2", "k3");
        Assert.Contains("tracking_clients:1\r\n", admin.Call("INFO", "clients"));
        var stats = admin.Call("INFO", "stats");
        Assert.Contains("tracking_total_keys:3\r\n", stats);
        Assert.Contains("tracking_total_items:3\r\n", stats);
        Assert.Matches("flags=t .*redir=0 resp=3", admin.Call("CLIENT", "LIST"));
        // tracking-table-max-keys: the cron forgets keys over the limit, invalidating them.
        admin.Call("CONFIG", "SET", "tracking-table-max-keys", "1");
        Assert.True(InProcessServer.WaitFor(() => admin.Call("INFO", "stats").Contains("tracking_total_keys:1\r\n")));
        Assert.Contains("invalidate", a.ReadReply());
        a.Dispose();
        Assert.True(InProcessServer.WaitFor(() => admin.Call("INFO", "clients").Contains("tracking_clients:0\r\n")));
    }

    /// <summary>
    /// The writer's own invalidations follow its reply: after EXEC's whole array, not inside it,
    /// one message per key, and FLUSHDB's null too (trackingHandlePendingKeyInvalidations; issue 13).
    /// </summary>
    [Fact]
    public void OwnInvalidationsFollowTheWholeExecReply() => servers.Same(connect =>
    {
        using var a = connect();
        a.Call("FLUSHALL");
        a.Call("HELLO", "3");
        static string Batch(params string[] cmds) => string.Concat(cmds.Select(c => System.Text.Encoding.Latin1.GetString(RespSocket.Encode(c.Split(' ')))));
        // Each batch is one write, so a transaction and the marker after it run in one turn.
        return [.. new[]
        {
            Batch("CLIENT TRACKING ON", "MSET a{t} 1 b{t} 2", "GET a{t}", "GET b{t}"),
            Batch("MULTI", "INCR a{t}", "GET b{t}", "EXEC"),
            Batch("MGET a{t} b{t}", "MSET a{t} 3 b{t} 4"),
            Batch("GET a{t}", "MULTI", "FLUSHDB", "PING", "EXEC"),
            Batch("GET c", "MULTI", "SET c 1", "DEL c", "EXEC"),
            Batch("GET c", "FLUSHALL"),
        }.Select(a.RequestAll)];
    });

    /// <summary>A blocked BLMOVE served into a key its client tracks: the reply first, then the invalidation (afterCommand in blocked.c; unit/tracking).</summary>
    [Fact]
    public void ServedBlockedClientGetsItsInvalidationAfterTheReply() => servers.Same(connect =>
    {
        using var a = connect();
        using var b = connect();
        a.Call("FLUSHALL");
        a.Call("HELLO", "3");
        b.Call("RPUSH", "list2{t}", "a");
        var t = new List<string> { a.Call("CLIENT", "TRACKING", "on"), a.Call("LRANGE", "list2{t}", "0", "-1") };
        a.Send(RespSocket.Encode("BLMOVE", "list1{t}", "list2{t}", "left", "left", "0"));
        Assert.True(InProcessServer.WaitFor(() => b.Call("INFO", "clients").Contains("\r\nblocked_clients:1\r\n"), 10_000));
        t.Add(b.Call("RPUSH", "list1{t}", "foo"));
        t.Add(a.ReadReply());
        t.Add(a.ReadReply());
        return t;
    });
    /// <summary>
    /// tracking-table-max-keys lowered: the table is trimmed before the next command runs, a queued
    /// one too, so the invalidation comes before QUEUED (trackingLimitUsedSlots in processCommand;
    /// unit/tracking's regression test for #11715).
    /// </summary>
    [Fact]
    public void TrackingTableIsTrimmedBeforeAQueuedCommand() => servers.Same(connect =>
    {
        using var a = connect();
        using var admin = connect();
        admin.Call("FLUSHALL");
        var t = new List<string> { admin.Call("CONFIG", "SET", "tracking-table-max-keys", "2") };
        try
        {
            a.Call("HELLO", "3");
            t.Add(a.Call("CLIENT", "TRACKING", "on"));
            t.Add(a.Call("MGET", "1{tag}", "2{tag}"));
            t.Add(a.Call("MULTI"));
            t.Add(admin.Call("CONFIG", "SET", "tracking-table-max-keys", "1"));
            a.Send(RespSocket.Encode("PING"));
            t.Add(a.ReadReply());
            t.Add(a.ReadReply());
            t.Add(a.Call("EXEC"));
        }
        finally
        {
            admin.Call("CONFIG", "SET", "tracking-table-max-keys", "1000000");
        }
        // Which of the two keys goes is a random pick in Redis (raxRandomWalk).
        return [.. t.Select(line => System.Text.RegularExpressions.Regex.Replace(line, @"[12]\{tag\}", "?{tag}"))];
    });
}
