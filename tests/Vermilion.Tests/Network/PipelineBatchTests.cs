using System.Text;
using System.Text.RegularExpressions;
using Xunit;

namespace Vermilion.Tests;

/// <summary>
/// A deep pipeline runs through the batch executor (Server/Dispatch.cs RunPlainRequests), which asks
/// processCommand's checks once per batch. Each pipeline here is one write, so a whole batch is
/// parsed at once, with a request in its middle that changes what the checks must answer for the
/// ones after it — for more requests than a batch holds, so a batch parsed after the change
/// starts with it — and they must get the replies redis-server gives them, and commandstats must
/// count every call.
/// </summary>
[Trait("Category", "Network")]
public class PipelineBatchTests(DifferentialServers servers) : IClassFixture<DifferentialServers>
{
    static string Pipeline(RespSocket c, IEnumerable<string[]> commands) =>
        c.RequestAll(string.Concat(commands.Select(a => Encoding.Latin1.GetString(RespSocket.Encode(a)))));

    static IEnumerable<string[]> Writes(string prefix, int n) => Enumerable.Range(0, n).Select(i => new[] { "SET", prefix + i, "v" + i });
    static IEnumerable<string[]> Reads(string prefix, int n) => Enumerable.Range(0, n).Select(i => new[] { "GET", prefix + i });

    [Fact]
    public void ChecksChangedInsideABatchApplyToTheRequestsAfter() => servers.Same(connect =>
    {
        using var c = connect();
        using var admin = connect();
        c.Call("FLUSHALL");
        c.Call("CONFIG", "RESETSTAT");
        admin.Call("ACL", "SETUSER", "reader", "on", ">pw", "+get", "~*");
        var t = new List<string>
        {
            // A wrong type in the middle of a run, then a transaction opened and run in the same batch.
            Pipeline(c, [.. Writes("a", 10), ["LPUSH", "list", "x"], ["GET", "list"], .. Reads("a", 5), ["MULTI"], .. Writes("b", 40), ["EXEC"], .. Reads("b", 5)]),
            // Replies muted for one request (the first of the next batch), then for all; a database switched mid-batch.
            Pipeline(c, [.. Reads("a", 15), ["CLIENT", "REPLY", "SKIP"], ["SET", "skipped", "1"], .. Reads("a", 3), ["SELECT", "1"], .. Writes("a", 3), ["GET", "skipped"], ["SELECT", "0"], ["GET", "skipped"], ["CLIENT", "REPLY", "OFF"], .. Writes("f", 40), ["CLIENT", "REPLY", "ON"], .. Reads("f", 2)]),
            // A user who may only GET, switched to in the middle of a batch, and back.
            Pipeline(c, [.. Reads("a", 4), ["AUTH", "reader", "pw"], .. Reads("a", 20), .. Writes("c", 20), ["AUTH", "default", "x"], .. Writes("c", 2)]),
            // maxmemory set mid-batch refuses the writes after it.
            Pipeline(c, [.. Writes("d", 4), ["CONFIG", "SET", "maxmemory", "1"], .. Writes("e", 30), .. Reads("d", 2), ["CONFIG", "SET", "maxmemory", "0"], .. Writes("e", 2)]),
            // A subscriber's batch: only (un)subscribing and PING in RESP2.
            Pipeline(c, [.. Reads("a", 2), ["SUBSCRIBE", "ch"], .. Reads("a", 30), ["UNSUBSCRIBE", "ch"], .. Reads("a", 2)]),
        };
        var stats = c.Call("INFO", "commandstats");
        foreach (var name in new[] { "get", "set", "lpush", "exec", "multi" })
            t.Add(Regex.Match(stats, $@"cmdstat_{name}:calls=\d+").Value + " " + Regex.Match(stats, $@"cmdstat_{name}:.*(rejected_calls=\d+,failed_calls=\d+)").Groups[1].Value);
        t.Add(Regex.Match(c.Call("INFO", "stats"), @"total_error_replies:\d+").Value);
        t.Add(admin.Call("ACL", "DELUSER", "reader"));
        return t;
    });

    /// <summary>
    /// From Keyspace.PrefetchFromKeys keys on, a batch prefetches its keys and lends each one's hash
    /// to its lookup: reads after writes of the same keys, a database switched mid-batch (the hashes
    /// are the first database's), and a batch at the same buffer offsets as the one before it (a
    /// hint the last batch left must not answer for a new key) get redis-server's replies.
    /// </summary>
    [Fact]
    public void ABatchOverALargeKeyspaceFindsWhatItWrote() => servers.Same(connect =>
    {
        using var c = connect();
        c.Call("FLUSHALL");
        var t = new List<string>
        {
            Pipeline(c, Writes("k", 5000)).Length.ToString(),
            Pipeline(c, [.. Reads("k", 10), ["SET", "k3", "new"], ["GET", "k3"], ["SELECT", "1"], .. Reads("k", 5), ["SET", "k1", "one"], ["GET", "k1"],
                ["SELECT", "0"], .. Reads("k", 3), ["DEL", "k2"], ["GET", "k2"], ["INCR", "k4"], ["APPEND", "k5", "+"], ["GET", "k5"]]),
            Pipeline(c, [["SET", "n1", "a"], ["GET", "n1"], ["SET", "n2", "b"], ["GET", "n2"], .. Reads("k", 20)]),
            Pipeline(c, [["GET", "n1"], ["GET", "n3"], ["SET", "n3", "c"], ["GET", "n3"], .. Reads("n", 4)]),
            // Large values split across reads between small requests: the shape that once found a
            // hint left by one batch answering a later GET (TlsTests.LargeValuesAndPipelinesBothWays).
            Pipeline(c, Enumerable.Range(0, 8).SelectMany(i => new[] { new[] { "SET", "v" + i, new string((char)('a' + i), 200_000 + i) }, ["INCR", "n"], ["GET", "v" + i] })).Length.ToString(),
            c.Call("GET", "v7").Length.ToString(),
            c.Call("DBSIZE"),
        };
        return t;
    });

    /// <summary>A client blocked on a list is served by a push in the middle of another client's batch, before the requests after it.</summary>
    [Fact]
    public void APushInABatchServesABlockedClientBeforeTheNextRequest() => servers.Same(connect =>
    {
        using var c = connect();
        using var waiter = connect();
        c.Call("FLUSHALL");
        waiter.Send(RespSocket.Encode("BLPOP", "q", "0"));
        Assert.True(InProcessServer.WaitFor(() => Regex.IsMatch(c.Call("INFO", "clients"), @"blocked_clients:1\r\n")));
        var t = new List<string> { Pipeline(c, [.. Writes("a", 8), ["RPUSH", "q", "first", "second"], ["LRANGE", "q", "0", "-1"], .. Reads("a", 8)]) };
        t.Add(waiter.ReadReply());
        return t;
    });
}
