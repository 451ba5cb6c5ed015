using System.Net.Sockets;
using System.Text;
using StackExchange.Redis;
using Xunit;

namespace Vermilion.Tests;

/// <summary>Pub/sub against redis-server 7.0.15: subscribed mode in RESP2 and RESP3, delivery to many clients, the pubsub output buffer limit, a real client.</summary>
[Trait("Category", "Network")]
public class PubSubTests : IClassFixture<PubSubTests.Servers>
{
    public sealed class Servers : IDisposable
    {
        public readonly OracleServer Redis = new();
        public readonly InProcessServer Vermilion = new();
        public void Dispose()
        {
            Redis.Dispose();
            Vermilion.Dispose();
        }
    }

    readonly Servers _servers;
    public PubSubTests(Servers servers) => _servers = servers;

    /// <summary>Sends a command, then PING as a marker, and returns every reply before the marker's (a SUBSCRIBE of n channels answers n times).</summary>
    static string Exchange(RespSocket s, params string[] cmd)
    {
        // One write, so both arrive in one read and run in the same event-loop turn on either server.
        s.Send([.. RespSocket.Encode(cmd), .. RespSocket.Encode("PING", "__end__")]);
        var sb = new StringBuilder();
        while (true)
        {
            var reply = s.ReadReply();
            if (reply.Contains("__end__")) return sb.ToString();
            sb.Append(reply);
        }
    }

    static string Esc(string s) => s.Replace("\r", "\\r").Replace("\n", "\\n");

    void Same(int resp, params string[][] script)
    {
        using var r = _servers.Redis.Connect();
        using var v = _servers.Vermilion.Connect();
        if (resp == 3)
        {
            r.Call("HELLO", "3");
            v.Call("HELLO", "3");
        }
        foreach (var cmd in script)
        {
            var expected = Exchange(r, cmd);
            var actual = Exchange(v, cmd);
            Assert.True(expected == actual, $"RESP{resp} {string.Join(' ', cmd)}\n redis:     {Esc(expected)}\n vermilion: {Esc(actual)}");
        }
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void SubscribedModeAnswersAsRedis(int resp) => Same(resp,
        ["UNSUBSCRIBE"], ["PUNSUBSCRIBE"], ["SUNSUBSCRIBE"], ["UNSUBSCRIBE", "nothing"], ["SUBSCRIBE"], ["PSUBSCRIBE"], ["SSUBSCRIBE"],
        ["SUBSCRIBE", "a", "b", "a"], ["PING"], ["PING", "x"], ["PING", "x", "y"], ["GET", "k"], ["SET", "k", "v"], ["NOSUCH", "k"],
        ["CLIENT", "LIST", "ID", "0"], ["CONFIG", "GET", "x"], ["ECHO", "hi"], ["PUBLISH", "a", "self"], ["PUBLISH", "a"],
        ["PSUBSCRIBE", "a*", "b?", "a*"], ["PUBLISH", "a", "twice"], ["SSUBSCRIBE", "s1", "s2"], ["SPUBLISH", "s1", "shard"],
        ["PUBLISH", "s1", "none"], ["UNSUBSCRIBE", "b", "zz"], ["PUNSUBSCRIBE", "b?", "nope"], ["SUNSUBSCRIBE", "s2"],
        ["PUBSUB", "NUMPAT"], ["UNSUBSCRIBE"], ["PUNSUBSCRIBE"], ["SUNSUBSCRIBE"], ["PING"], ["GET", "k"],
        ["SUBSCRIBE", "again"], ["RESET"], ["PING"], ["PUBLISH", "again", "gone"]);

    [Fact]
    public void PubSubIntrospectionAndErrors() => Same(2,
        ["PUBSUB"], ["PUBSUB", "HELP"], ["PUBSUB", "HELP", "x"], ["PUBSUB", "FOO"], ["PUBSUB", "NUMPAT", "x"], ["PUBSUB", "NUMSUB"],
        ["PUBSUB", "NUMSUB", "a", "b"], ["PUBSUB", "CHANNELS"], ["PUBSUB", "CHANNELS", "a", "b"], ["PUBSUB", "SHARDCHANNELS", "a", "b"],
        ["PUBSUB", "SHARDNUMSUB"], ["PUBSUB", "SHARDNUMSUB", "x"], ["PUBLISH", "nobody", "m"], ["SPUBLISH", "nobody", "m"],
        ["PUBLISH", "a", "b", "c"], ["SPUBLISH", "a"], ["PUBLISH", "", ""], ["PUBLISH", "bin\x00ary", "\x01\x02"]);

    /// <summary>The same subscribers on both servers, the same publishes: every delivered byte compared.</summary>
    [Fact]
    public void DeliveryToChannelPatternAndShardSubscribers()
    {
        string Run(Func<RespSocket> connect)
        {
            using var channel = connect();
            using var pattern = connect();
            using var shard = connect();
            using var resp3 = connect();
            using var publisher = connect();
            Exchange(channel, "SUBSCRIBE", "news", "weather");
            Exchange(pattern, "PSUBSCRIBE", "n?ws", "w*");
            Exchange(shard, "SSUBSCRIBE", "news");
            resp3.Call("HELLO", "3");
            Exchange(resp3, "SUBSCRIBE", "news");
            var sb = new StringBuilder();
            foreach (var (cmd, ch, msg) in new[] { ("PUBLISH", "news", "hello"), ("PUBLISH", "weather", "rain"), ("SPUBLISH", "news", "shard"),
                         ("PUBLISH", "nows", "typo"), ("PUBLISH", "other", "none"), ("PUBLISH", "news", new string('x', 70000)) })
                sb.Append(publisher.Call(cmd, ch, msg));
            sb.Append(publisher.Call("PUBSUB", "NUMSUB", "news", "weather", "nows"));
            sb.Append(publisher.Call("PUBSUB", "SHARDNUMSUB", "news"));
            sb.Append(publisher.Call("PUBSUB", "NUMPAT"));
            foreach (var s in new[] { channel, pattern, shard, resp3 }) sb.Append('|').Append(Exchange(s, "PING"));
            return sb.ToString();
        }
        var expected = Run(_servers.Redis.Connect);
        var actual = Run(_servers.Vermilion.Connect);
        Assert.True(expected == actual, $"\n redis:     {Esc(expected[..Math.Min(2000, expected.Length)])}\n vermilion: {Esc(actual[..Math.Min(2000, actual.Length)])}");
    }

    [Fact]
    public void CountsInInfoAndClientList()
    {
        using var s = new InProcessServer();
        using var sub = s.Connect();
        using var admin = s.Connect();
        Exchange(sub, "CLIENT", "SETNAME", "listener");
        Exchange(sub, "SUBSCRIBE", "a", "b");
        Exchange(sub, "PSUBSCRIBE", "p*");
        Exchange(sub, "SSUBSCRIBE", "s");
        var stats = admin.Call("INFO", "stats");
        Assert.Contains("pubsub_channels:2\r\n", stats);
        Assert.Contains("pubsub_patterns:1\r\n", stats);
        Assert.Contains("pubsubshard_channels:1\r\n", stats);
        Assert.Matches("name=listener .*flags=P .*sub=2 psub=1 ssub=1 ", admin.Call("CLIENT", "LIST"));
        sub.Dispose();
        Assert.True(InProcessServer.WaitFor(() => admin.Call("INFO", "stats").Contains("pubsub_channels:0\r\npubsub_patterns:0\r\npubsubshard_channels:0\r\n")),
            "a closed subscriber's subscriptions must go with it");
    }

    [Fact]
    public void ManySubscribersReceiveEveryMessageInOrder()
    {
        using var s = new InProcessServer();
        var subs = Enumerable.Range(0, 20).Select(_ => s.Connect()).ToList();
        try
        {
            for (int i = 0; i < subs.Count; i++) Exchange(subs[i], i % 2 == 0 ? "SUBSCRIBE" : "PSUBSCRIBE", i % 2 == 0 ? "feed" : "fe*");
            using var pub = s.Connect();
            for (int m = 0; m < 300; m++) pub.Send(RespSocket.Encode("PUBLISH", "feed", "m" + m));
            for (int m = 0; m < 300; m++) Assert.Equal(":20\r\n", pub.ReadReply());
            for (int i = 0; i < subs.Count; i++)
                for (int m = 0; m < 300; m++)
                    Assert.EndsWith($"$feed\r\n${("m" + m).Length}\r\nm{m}\r\n".Replace("$feed", "$4\r\nfeed"), subs[i].ReadReply());
        }
        finally
        {
            foreach (var c in subs) c.Dispose();
        }
    }

    /// <summary>
    /// client-output-buffer-limit pubsub: a subscriber that never reads is closed when its pending
    /// replies pass the hard limit; a subscriber that reads gets every message, the publisher is
    /// never held up, and the server's client memory goes back down.
    /// </summary>
    [Fact]
    public void SlowSubscriberIsDisconnectedAtTheHardLimit()
    {
        using var s = new InProcessServer();
        using var admin = s.Connect();
        Assert.Equal("+OK\r\n", admin.Call("CONFIG", "SET", "client-output-buffer-limit", "pubsub 1mb 256kb 60"));
        long baseline = Field(admin.Call("INFO", "memory"), "used_memory_overhead");
        using var slow = s.Connect();
        using var fast = s.Connect();
        Exchange(slow, "SUBSCRIBE", "firehose");
        Exchange(fast, "SUBSCRIBE", "firehose");
        using var pub = s.Connect();
        var payload = new string('z', 8000);
        int received = 0, published = 0, closedAt = -1;
        // Publish until the slow subscriber is cut off (the kernel's socket buffers absorb the first
        // megabytes), then some more: the fast one must get every message all along.
        for (int m = 0; m < 5000 && (closedAt < 0 || m < closedAt + 100); m++)
        {
            pub.Send(RespSocket.Encode("PUBLISH", "firehose", payload));
            var count = pub.ReadReply();
            Assert.True(count is ":2\r\n" or ":1\r\n", count);
            published++;
            if (closedAt < 0 && count == ":1\r\n") closedAt = m;
            while (!fast.IsQuiet(0))
            {
                Assert.Contains(payload, fast.ReadReply());
                received++;
            }
        }
        Assert.True(closedAt >= 0, "the slow subscriber was still subscribed after 5000 messages (40 MB)");
        while (received < published)
        {
            Assert.Contains(payload, fast.ReadReply());
            received++;
        }
        Assert.True(fast.IsQuiet(100));
        bool closed = slow.WaitForClose(out var rest, 10_000);
        Assert.True(closed, $"the slow subscriber's connection was not closed ({rest.Length} bytes read; clients: {admin.Call("CLIENT", "LIST")})");
        Assert.Contains("client_output_buffer_limit_disconnections:1\r\n", admin.Call("INFO", "stats"));
        Assert.Contains("pubsub_channels:1\r\n", admin.Call("INFO", "stats"));
        Assert.True(InProcessServer.WaitFor(() => Field(admin.Call("INFO", "memory"), "used_memory_overhead") < baseline + 256 * 1024),
            "client memory did not return to its baseline: " + admin.Call("INFO", "memory"));
        Assert.True(s.LogContains("scheduled to be closed ASAP for overcoming of output buffer limits"));
    }

    static long Field(string info, string name)
    {
        int start = info.IndexOf("\n" + name + ":", StringComparison.Ordinal) + name.Length + 2;
        return long.Parse(info.AsSpan(start, info.IndexOf('\r', start) - start));
    }

    [Fact]
    public async Task StackExchangeRedisSubscribesAndPublishes()
    {
        using var s = new InProcessServer();
        using var mux = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{s.Port},abortConnect=false");
        var sub = mux.GetSubscriber();
        var got = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var gotPattern = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        await sub.SubscribeAsync(RedisChannel.Literal("orders"), (_, v) => got.TrySetResult(v!));
        await sub.SubscribeAsync(RedisChannel.Pattern("ord*"), (ch, v) => gotPattern.TrySetResult(ch + "=" + v));
        long receivers = await sub.PublishAsync(RedisChannel.Literal("orders"), "order-1");
        Assert.Equal(2, receivers);
        Assert.Equal("order-1", await got.Task.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal("orders=order-1", await gotPattern.Task.WaitAsync(TimeSpan.FromSeconds(10)));
    }
}
