using StackExchange.Redis;
using Xunit;

namespace Vermilion.Tests;

/// <summary>Pub/sub against redis-server 7.0.15: subscribed mode in RESP2 and RESP3, delivery to many clients, the pubsub output buffer limit, a real client.</summary>
[Trait("Category", "Network")]
public class PubSubTests(DifferentialServers servers) : IClassFixture<DifferentialServers>
{
    /// <summary>Each command's replies up to a PING marker (a SUBSCRIBE of n channels answers n times), on connections that stay as they were.</summary>
    void Same(int resp, params string[][] script) => servers.Same(new SameOptions { Resp = resp, Flush = false, UntilPing = true }, script);

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
        servers.Same(connect =>
        {
            using var channel = connect();
            using var pattern = connect();
            using var shard = connect();
            using var resp3 = connect();
            using var publisher = connect();
            channel.CallAll("SUBSCRIBE", "news", "weather");
            pattern.CallAll("PSUBSCRIBE", "n?ws", "w*");
            shard.CallAll("SSUBSCRIBE", "news");
            resp3.Call("HELLO", "3");
            resp3.CallAll("SUBSCRIBE", "news");
            var transcript = new List<string>();
            foreach (var (cmd, ch, msg) in new[] { ("PUBLISH", "news", "hello"), ("PUBLISH", "weather", "rain"), ("SPUBLISH", "news", "shard"),
                         ("PUBLISH", "nows", "typo"), ("PUBLISH", "other", "none"), ("PUBLISH", "news", new string('x', 70000)) })
                transcript.Add(publisher.Call(cmd, ch, msg));
            transcript.Add(publisher.Call("PUBSUB", "NUMSUB", "news", "weather", "nows"));
            transcript.Add(publisher.Call("PUBSUB", "SHARDNUMSUB", "news"));
            transcript.Add(publisher.Call("PUBSUB", "NUMPAT"));
            foreach (var s in new[] { channel, pattern, shard, resp3 }) transcript.Add(s.CallAll("PING"));
            return transcript;
        });
    }

    [Fact]
    public void CountsInInfoAndClientList()
    {
        using var s = new InProcessServer();
        using var sub = s.Connect();
        using var admin = s.Connect();
        sub.CallAll("CLIENT", "SETNAME", "listener");
        sub.CallAll("SUBSCRIBE", "a", "b");
        sub.CallAll("PSUBSCRIBE", "p*");
        sub.CallAll("SSUBSCRIBE", "s");
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
            for (int i = 0; i < subs.Count; i++) subs[i].CallAll(i % 2 == 0 ? "SUBSCRIBE" : "PSUBSCRIBE", i % 2 == 0 ? "feed" : "fe*");
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
        slow.CallAll("SUBSCRIBE", "firehose");
        fast.CallAll("SUBSCRIBE", "firehose");
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

    /// <summary>
    /// CLIENT REPLY OFF and SKIP mute replies, not pushes: (un)subscribe confirmations and messages
    /// still arrive, in RESP2 and RESP3 (Redis's CLIENT_PUSHING; issue 13).
    /// </summary>
    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void PushesBypassClientReplyOffAndSkip(int resp) => servers.Same(connect =>
    {
        using var s = connect();
        using var publisher = connect();
        if (resp == 3) s.Call("HELLO", "3");
        static string Batch(params string[][] cmds) => string.Concat(cmds.Select(c => System.Text.Encoding.Latin1.GetString(RespSocket.Encode(c))));
        s.Send(Batch(["CLIENT", "REPLY", "OFF"], ["SUBSCRIBE", "ch", "ch2"], ["PSUBSCRIBE", "p*"], ["SSUBSCRIBE", "sh"], ["PING"]));
        // Muted, the subscriber cannot say it is ready: publish until the message has a receiver.
        Assert.True(InProcessServer.WaitFor(() => publisher.Call("PUBLISH", "ch", "m") != ":0\r\n"));
        publisher.Call("PUBLISH", "px", "pm");
        publisher.Call("SPUBLISH", "sh", "sm");
        var transcript = new List<string>
        {
            s.RequestAll(Batch(["UNSUBSCRIBE", "ch"], ["UNSUBSCRIBE"], ["PUNSUBSCRIBE"], ["SUNSUBSCRIBE"], ["SUNSUBSCRIBE"], ["GET", "k"],
                ["CLIENT", "REPLY", "SKIP"], ["SUBSCRIBE", "skipped"], ["UNSUBSCRIBE", "skipped"], ["CLIENT", "REPLY", "ON"])),
        };
        return transcript;
    });

    /// <summary>Inside EXEC a client may not block: SSUBSCRIBE is refused, SUBSCRIBE and PSUBSCRIBE still subscribe (issue 13).</summary>
    [Fact]
    public void SsubscribeIsRefusedInsideExec() => servers.Same(
        ["MULTI"], ["SSUBSCRIBE", "sh"], ["SUBSCRIBE", "ch"], ["PSUBSCRIBE", "p*"], ["EXEC"], ["PUBSUB", "SHARDNUMSUB", "sh"],
        ["UNSUBSCRIBE"], ["PUNSUBSCRIBE"], ["MULTI"], ["SSUBSCRIBE", "a", "b"], ["EXEC"], ["SSUBSCRIBE", "outside"], ["SUNSUBSCRIBE"]);
}
