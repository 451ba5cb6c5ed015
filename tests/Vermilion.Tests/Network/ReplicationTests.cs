using System.Text;
using System.Text.RegularExpressions;
using Xunit;
using static Vermilion.Tests.ReplicationHarness;

namespace Vermilion.Tests;

/// <summary>What the replication tests share: INFO fields, waiting for a link, and a replica equal to its primary.</summary>
static class ReplicationHarness
{
    public static string Field(RespSocket c, string section, string field) =>
        Regex.Match(c.Call("INFO", section), "\r\n" + field + @":([^\r\n]*)").Groups[1].Value;

    public static void WaitForLink(RespSocket replica) =>
        Assert.True(InProcessServer.WaitFor(() => Field(replica, "replication", "master_link_status") == "up", 20_000), "the replica's link never came up");

    /// <summary>WAIT sees the replica acknowledge everything written on this connection; then the same DEBUG DIGEST (not an empty one) and offset.</summary>
    public static void AssertSameDataset(RespSocket primary, RespSocket replica)
    {
        Assert.Equal(":1\r\n", primary.Call("WAIT", "1", "10000"));
        string digest = primary.Call("DEBUG", "DIGEST");
        Assert.Matches(@"^\+[0-9a-f]{40}\r\n$", digest);
        Assert.NotEqual("+" + new string('0', 40) + "\r\n", digest);
        Assert.True(InProcessServer.WaitFor(() => replica.Call("DEBUG", "DIGEST") == digest, 10_000), "the replica's dataset differs");
        string offset = Field(primary, "replication", "master_repl_offset");
        Assert.True(InProcessServer.WaitFor(() => Field(replica, "replication", "slave_repl_offset") == offset, 10_000));
    }
}

/// <summary>
/// Vermilion as a primary (Replication/): a real redis-server 7.0.15 replica syncs from it (diskless and
/// sized snapshots), follows the stream to the same DEBUG DIGEST and offset, continues after a lost link
/// with +CONTINUE, and WAIT counts its acks; the handshake is also driven by hand, byte by byte.
/// </summary>
[Trait("Category", "Network")]
public class ReplicationTests
{
    static InProcessServer Primary(params string[] extra) =>
        // No ping in the stream while a test reads it byte by byte.
        new("epoll", ["--enable-debug-command", "yes", "--repl-diskless-sync-delay", "0", "--repl-ping-replica-period", "3600", .. extra]);

    static OracleServer ReplicaOf(InProcessServer primary) =>
        new("--replicaof", "127.0.0.1", primary.Port.ToString(), "--enable-debug-command", "yes");

    static void Populate(RespSocket c, string prefix)
    {
        foreach (var db in new[] { "0", "3" })
        {
            c.Call("SELECT", db);
            for (int i = 0; i < 200; i++)
            {
                c.Send(RespSocket.Encode("SET", $"{prefix}s:{i}", $"v{i}"));
                c.Send(RespSocket.Encode("HSET", $"{prefix}h:{i}", "a", "1", "b", i.ToString()));
                c.Send(RespSocket.Encode("RPUSH", $"{prefix}l:{i}", "x", "y"));
                c.Send(RespSocket.Encode("ZADD", $"{prefix}z:{i}", "1", "a", "2", i.ToString()));
            }
            for (int i = 0; i < 800; i++) c.ReadReply();
        }
        c.Call("SELECT", "0");
    }

    /// <summary>Writes whose propagated form differs from what the client sent: relative expiries, SPOP, INCRBYFLOAT, MULTI, a script, another database.</summary>
    static void WriteRewrittenForms(RespSocket c)
    {
        c.Call("SET", "ex", "v", "EX", "1000");
        c.Call("EXPIRE", "s:1", "500");
        c.Call("SADD", "set", "a", "b", "c", "d");
        c.Call("SPOP", "set");
        c.Call("INCRBYFLOAT", "f", "1.5");
        c.Call("MULTI"); c.Call("INCR", "n"); c.Call("LPUSH", "ml", "q"); c.Call("EXEC");
        c.Call("EVAL", "redis.call('set', KEYS[1], 'x'); return redis.call('incr', KEYS[2])", "2", "scripted", "counter");
        c.Call("SELECT", "5");
        c.Call("SET", "in5", "yes");
        c.Call("SELECT", "0");
        c.Call("PEXPIREAT", "gone", "1");
        c.Call("XADD", "stream", "*", "f", "v");
    }

    [Theory]
    [InlineData("yes")]
    [InlineData("no")]
    public void RedisServerReplicaFollowsTheSnapshotAndTheStream(string diskless)
    {
        using var server = Primary("--repl-diskless-sync", diskless);
        using var p = server.Connect();
        Populate(p, "");
        using var redis = ReplicaOf(server);
        using var r = redis.Connect();
        WaitForLink(r);
        WriteRewrittenForms(p);
        Populate(p, "after:");
        AssertSameDataset(p, r);
        Assert.Equal("1", Field(p, "stats", "sync_full"));
        Assert.Matches(@"slave0:ip=127\.0\.0\.1,port=" + redis.Port + @",state=online,offset=\d+,lag=\d+", p.Call("INFO", "replication"));
        Assert.Contains("flags=S ", p.Call("CLIENT", "LIST", "TYPE", "replica"));
        Assert.Matches(@"^\*3\r\n\$6\r\nmaster\r\n:\d+\r\n\*1\r\n\*3\r\n\$9\r\n127\.0\.0\.1\r\n\$\d+\r\n" + redis.Port + "\r\n", p.Call("ROLE"));
    }

    [Fact]
    public void AReplicaThatLostItsLinkContinuesFromTheBacklog()
    {
        using var server = Primary();
        using var p = server.Connect();
        Populate(p, "");
        using var redis = ReplicaOf(server);
        using var r = redis.Connect();
        WaitForLink(r);
        Assert.Equal(":1\r\n", r.Call("CLIENT", "KILL", "TYPE", "master"));
        p.Call("SET", "while-away", "1");
        WaitForLink(r);
        WriteRewrittenForms(p);
        AssertSameDataset(p, r);
        Assert.Equal("1", Field(p, "stats", "sync_full"));
        Assert.Equal("1", Field(p, "stats", "sync_partial_ok"));
    }

    [Fact]
    public void WaitCountsAcknowledgingReplicasAndMinReplicasGuardsWrites()
    {
        using var server = Primary();
        using var p = server.Connect();
        Assert.Equal(":0\r\n", p.Call("WAIT", "0", "0"));
        Assert.Equal(":0\r\n", p.Call("WAIT", "1", "50")); // none attached: the timeout's count
        Assert.Equal("+OK\r\n", p.Call("CONFIG", "SET", "min-replicas-to-write", "1"));
        Assert.Equal("-NOREPLICAS Not enough good replicas to write.\r\n", p.Call("SET", "k", "v"));
        Assert.Equal("$-1\r\n", p.Call("GET", "k"));
        Assert.Contains("min_slaves_good_slaves:0\r\n", p.Call("INFO", "replication"));
        using var redis = ReplicaOf(server);
        using var r = redis.Connect();
        WaitForLink(r);
        Assert.True(InProcessServer.WaitFor(() => p.Call("SET", "k", "v") == "+OK\r\n", 5000));
        Assert.Equal(":1\r\n", p.Call("WAIT", "1", "5000"));
        Assert.Equal(":1\r\n", p.Call("WAIT", "2", "100"));
    }

    /// <summary>
    /// The primary's side of the protocol by hand: REPLCONF, PSYNC ? -1 → +FULLRESYNC and a `$EOF:` snapshot;
    /// the stream starts after the first ACK with SELECT; PSYNC with the ID and offset → +CONTINUE and the backlog.
    /// </summary>
    [Fact]
    public void HandshakeFullThenPartialResynchronization()
    {
        using var server = Primary();
        using var p = server.Connect();
        p.Call("SET", "before", "1");
        string replid, afterSnapshot;
        long offset;
        using (var fake = server.Connect())
        {
            Assert.Equal("+OK\r\n", fake.Call("REPLCONF", "listening-port", "4242"));
            Assert.Equal("+OK\r\n", fake.Call("REPLCONF", "capa", "eof", "capa", "psync2"));
            fake.Send(RespSocket.Encode("PSYNC", "?", "-1"));
            var full = Regex.Match(fake.ReadLine(), @"^\+FULLRESYNC ([0-9a-f]{40}) (\d+)$");
            Assert.True(full.Success);
            replid = full.Groups[1].Value;
            offset = long.Parse(full.Groups[2].Value);
            var eof = Regex.Match(fake.ReadLine(), @"^\$EOF:([0-9a-f]{40})$");
            Assert.True(eof.Success);
            var mark = Encoding.ASCII.GetBytes(eof.Groups[1].Value);
            var rdb = new List<byte>();
            while (rdb.Count < mark.Length || !rdb.TakeLast(mark.Length).SequenceEqual(mark)) rdb.Add(fake.ReadExactly(1)[0]);
            Assert.StartsWith("REDIS0010", Encoding.ASCII.GetString(rdb.ToArray(), 0, 9));
            Assert.Contains("before", Encoding.Latin1.GetString(rdb.ToArray()));
            p.Call("SET", "after", "2");
            Assert.True(fake.IsQuiet(), "the stream must wait for the first ACK after a $EOF snapshot");
            fake.Send(RespSocket.Encode("REPLCONF", "ACK", offset.ToString()));
            afterSnapshot = Encoding.Latin1.GetString(RespSocket.Encode("SELECT", "0")) + Encoding.Latin1.GetString(RespSocket.Encode("SET", "after", "2"));
            Assert.Equal(afterSnapshot, Encoding.Latin1.GetString(fake.ReadExactly(afterSnapshot.Length)));
            Assert.Contains("state=online", p.Call("INFO", "replication"));
        }
        Assert.True(InProcessServer.WaitFor(() => Field(p, "replication", "connected_slaves") == "0"));
        p.Call("SET", "missed", "3");
        using var again = server.Connect();
        again.Call("REPLCONF", "capa", "psync2");
        again.Send(RespSocket.Encode("PSYNC", replid, (offset + 1).ToString()));
        Assert.Equal("+CONTINUE " + replid, again.ReadLine());
        string missed = Encoding.Latin1.GetString(RespSocket.Encode("SET", "missed", "3"));
        Assert.Equal(afterSnapshot + missed, Encoding.Latin1.GetString(again.ReadExactly(afterSnapshot.Length + missed.Length)));
        Assert.Equal("1", Field(p, "stats", "sync_partial_ok"));
        // An unknown history or an offset past the backlog is a full resynchronization.
        using var stranger = server.Connect();
        stranger.Send(RespSocket.Encode("PSYNC", new string('a', 40), "1"));
        Assert.StartsWith("+FULLRESYNC " + replid + " ", stranger.ReadLine());
        Assert.Equal("1", Field(p, "stats", "sync_partial_err"));
    }

    /// <summary>SYNC (the old protocol): no +FULLRESYNC line, a `$len` payload, and redis-cli --rdb reads it.</summary>
    [Fact]
    public void SyncSendsASizedSnapshotThatRedisCliSaves()
    {
        using var server = Primary();
        using var p = server.Connect();
        Populate(p, "");
        using (var old = server.Connect())
        {
            old.Send(RespSocket.Encode("SYNC"));
            var header = old.ReadLine();
            Assert.Matches(@"^\$\d+$", header);
            var rdb = old.ReadExactly(int.Parse(header[1..]));
            Assert.StartsWith("REDIS0010", Encoding.ASCII.GetString(rdb, 0, 9));
        }
        var dir = Directory.CreateTempSubdirectory("vermilion-rdb-");
        try
        {
            string file = Path.Combine(dir.FullName, "dump.rdb");
            var cli = ExternalProcess.Run("redis-cli", ["-p", server.Port.ToString(), "--rdb", file], 30_000);
            Assert.True(cli.ExitCode == 0, cli.Stdout + cli.Stderr);
            var check = ExternalProcess.Run("redis-check-rdb", [file], 30_000);
            Assert.True(check.ExitCode == 0, check.Stdout + check.Stderr);
            Assert.Contains("1600 keys read", check.Stdout + check.Stderr);
        }
        finally { dir.Delete(recursive: true); }
    }

    /// <summary>
    /// The stream held for a replica still loading its snapshot is shared history (7.0's one replication
    /// buffer): another replica that fell further behind than repl-backlog-size continues from it with
    /// +CONTINUE; INFO counts it in repl_backlog_histlen and the replication buffers.
    /// </summary>
    [Fact]
    public void AReplicaContinuesFromTheStreamHeldForASyncingOne()
    {
        using var server = Primary("--repl-backlog-size", "16384");
        using var p = server.Connect();
        using var fast = ReplicaOf(server);
        using var f = fast.Connect();
        WaitForLink(f);
        for (int i = 0; i < 20; i++) p.Call("SET", $"old:{i}", "v");
        // A second replica whose snapshot takes 20 s: the stream from its cut on is held for it.
        Assert.Equal("+OK\r\n", p.Call("CONFIG", "SET", "rdb-key-save-delay", "1000000"));
        using var slow = ReplicaOf(server);
        using var s2 = slow.Connect();
        Assert.True(InProcessServer.WaitFor(() => Field(s2, "replication", "master_sync_in_progress") == "1", 10_000));
        string pid = Field(f, "server", "process_id");
        System.Diagnostics.Process.Start("kill", $"-STOP {pid}")!.WaitForExit();
        try
        {
            string value = new('x', 1000);
            for (int i = 0; i < 100; i++) p.Call("SET", $"new:{i}", value);
            Assert.Equal(":1\r\n", p.Call("CLIENT", "KILL", "ID", FastReplicaId(p)));
            for (int i = 100; i < 200; i++) p.Call("SET", $"new:{i}", value);
            Assert.True(long.Parse(Field(p, "replication", "repl_backlog_histlen")) > 200_000);
            Assert.True(long.Parse(Field(p, "memory", "mem_total_replication_buffers")) > 200_000);
        }
        finally { System.Diagnostics.Process.Start("kill", $"-CONT {pid}")!.WaitForExit(); }
        WaitForLink(f);
        Assert.True(InProcessServer.WaitFor(() => f.Call("DBSIZE") == ":220\r\n", 10_000));
        Assert.Equal("1", Field(p, "stats", "sync_partial_ok"));
    }

    /// <summary>
    /// A diskless snapshot stopped half way (its last replica gone: "killing fork child") leaves the keys it
    /// never reached marked as a finished one would, so the next snapshot, for a redis-server replica, has
    /// every key (Redis's "diskless timeout replicas drop during rdb pipe" after the "all" drop).
    /// </summary>
    [Fact]
    public void ASnapshotWhoseReplicasAllLeftLeavesTheNextOneWhole()
    {
        using var server = Primary();
        using var p = server.Connect();
        Populate(p, "");
        Assert.Equal("+OK\r\n", p.Call("CONFIG", "SET", "rdb-key-save-delay", "1000"));
        using (var gone = server.Connect())
        {
            gone.Call("REPLCONF", "capa", "eof");
            gone.Send(RespSocket.Encode("PSYNC", "?", "-1"));
            Assert.StartsWith("+FULLRESYNC ", gone.ReadLine());
            Assert.True(InProcessServer.WaitFor(() => long.Parse(Field(p, "persistence", "current_save_keys_processed")) > 300, 10_000));
            // A key ahead of the walk, saved by the hook before its change.
            p.Call("SELECT", "3");
            p.Call("SET", "s:199", "changed");
            p.Call("SELECT", "0");
        }
        Assert.True(InProcessServer.WaitFor(() => Field(p, "persistence", "rdb_bgsave_in_progress") == "0", 10_000));
        Assert.True(server.LogContains("Diskless rdb transfer, last replica dropped, killing fork child."));
        Assert.Equal("+OK\r\n", p.Call("CONFIG", "SET", "rdb-key-save-delay", "0"));
        using var redis = ReplicaOf(server);
        using var r = redis.Connect();
        WaitForLink(r);
        AssertSameDataset(p, r);
        Assert.Equal(":800\r\n", r.Call("DBSIZE"));
    }

    /// <summary>The replica that attached first (the online one) has the lower client id.</summary>
    static string FastReplicaId(RespSocket p) =>
        System.Text.RegularExpressions.Regex.Matches(p.Call("CLIENT", "LIST", "TYPE", "replica"), @"id=(\d+)").Select(m => long.Parse(m.Groups[1].Value)).Min().ToString();

    [Fact]
    public void ReplconfAndPsyncRefuseBadInputAsRedis()
    {
        using var server = Primary();
        using var c = server.Connect();
        Assert.Equal("-ERR Unrecognized REPLCONF option: foo\r\n", c.Call("REPLCONF", "foo", "bar"));
        Assert.Equal("-ERR syntax error\r\n", c.Call("REPLCONF", "listening-port"));
        Assert.Equal("-ERR value is not an integer or out of range\r\n", c.Call("REPLCONF", "listening-port", "x"));
        Assert.Equal("-ERR value is not an integer or out of range\r\n", c.Call("PSYNC", "?", "notanumber"));
        Assert.Equal("-ERR wrong number of arguments for 'psync' command\r\n", c.Call("PSYNC", "?"));
        Assert.Equal("-ERR Command not allowed inside a transaction\r\n", Multi(c, "PSYNC", "?", "-1"));
        Assert.Equal("$10\r\nstill-open\r\n", c.Call("PING", "still-open"));
    }

    /// <summary>
    /// A replica's link carries the stream, never a reply (7.0's _addReplyToBufferOrList / addReplyDeferredLen):
    /// a command from a replica that makes one drops it with Redis's log line; one that touches the keyspace
    /// is refused first (logged as an error sent to a replica). A PSYNC with a bad offset is logged as a replica's.
    /// </summary>
    [Theory]
    [InlineData("SYNC", "PING", "ping")]
    [InlineData("SYNC", "XINFO HELP", "xinfo|help")]
    [InlineData("PSYNC", "GET foo", "get")]
    [InlineData("PSYNC", "SLOWLOG GET", "slowlog|get")]
    public void AReplicaThatMakesAReplyIsDisconnected(string sync, string command, string name)
    {
        using var server = Primary();
        using var p = server.Connect();
        using (var replica = server.Connect())
        {
            replica.Send(sync == "SYNC" ? RespSocket.Encode("SYNC") : RespSocket.Encode("PSYNC", "replicationid", "-1"));
            if (sync == "PSYNC") Assert.Matches(@"^\+FULLRESYNC [0-9a-f]{40} 0$", replica.ReadLine());
            Assert.True(InProcessServer.WaitFor(() => Field(p, "replication", "connected_slaves") == "1"));
            replica.Send(RespSocket.Encode(command.Split(' ')));
            Assert.True(replica.WaitForClose(10_000), "the replica that made a reply must be disconnected");
        }
        Assert.True(server.LogContains($"Replica generated a reply to command '{name}', disconnecting it: id="));
        if (name == "get")
        {
            Assert.True(server.LogContains("== CRITICAL == This master is sending an error to its replica: 'Replica can't interact with the keyspace' after processing the command 'get'"));
        }
        Assert.Equal("+PONG\r\n", p.Call("PING"));
        Assert.True(InProcessServer.WaitFor(() => Field(p, "replication", "connected_slaves") == "0"));
    }

    [Fact]
    public void PsyncWithAWrongOffsetIsRefusedAndLogged()
    {
        using var server = Primary();
        using var c = server.Connect();
        Assert.Equal("-ERR value is not an integer or out of range\r\n", c.Call("PSYNC", "replicationid", "offset_str"));
        Assert.True(server.LogContains("Replica 127.0.0.1:<unknown-replica-port> asks for synchronization but with a wrong offset"));
        Assert.Equal("+PONG\r\n", c.Call("PING"));
        Assert.Equal("0", Field(c, "replication", "connected_slaves"));
    }

    /// <summary>
    /// psync2-master-restart's expired keys: a restarted primary drops the keys its RDB holds already expired,
    /// and its replica, which continues with +CONTINUE and still holds them, gets them as DELs after the
    /// history the file continues (rdbLoad's RDBFLAGS_FEED_REPL), so both end with the same dataset.
    /// </summary>
    [Fact]
    public void ARestartedPrimarySendsTheKeysExpiredAtLoadAsDels()
    {
        using var dir = new AofDir();
        string[] args = ["--enable-debug-command", "yes", "--repl-diskless-sync-delay", "0", "--repl-ping-replica-period", "3600"];
        using var redis = new OracleServer("--enable-debug-command", "yes", "--repl-timeout", "3600");
        using var r = redis.Connect();
        long offset;
        using (var first = new InProcessServer(c => c.Dir = dir.Path, "epoll", args))
        {
            using var p = first.Connect();
            r.Call("REPLICAOF", "127.0.0.1", first.Port.ToString());
            WaitForLink(r);
            p.Call("DEBUG", "SET-ACTIVE-EXPIRE", "0");
            p.Call("SET", "kept", "v");
            for (int i = 0; i < 40; i++)
            {
                p.Call("SELECT", (i % 4).ToString());
                p.Call("SET", $"short:{i}", "v", "PX", "10");
            }
            // Set last, so once its deadline passed (reading it deletes it) so have the others'.
            p.Call("SET", "probe", "v", "PX", "10");
            Assert.True(InProcessServer.WaitFor(() => p.Call("PTTL", "probe") == ":-2\r\n"));
            offset = long.Parse(Field(p, "replication", "master_repl_offset"));
            Assert.True(InProcessServer.WaitFor(() => Field(r, "replication", "slave_repl_offset") == offset.ToString(), 10_000));
            Assert.Equal("+OK\r\n", p.Call("SAVE"));
        }
        using var restarted = new InProcessServer(c => c.Dir = dir.Path, "epoll", args);
        using var q = restarted.Connect();
        Assert.Equal("40", Field(q, "persistence", "rdb_last_load_keys_expired"));
        long histlen = long.Parse(Field(q, "replication", "repl_backlog_histlen"));
        Assert.True(histlen > 0, "the DELs are history after the file's offset");
        Assert.Equal((offset + histlen).ToString(), Field(q, "replication", "master_repl_offset"));
        r.Call("REPLICAOF", "127.0.0.1", restarted.Port.ToString());
        WaitForLink(r);
        Assert.Equal("1", Field(q, "stats", "sync_partial_ok"));
        string digest = q.Call("DEBUG", "DIGEST");
        Assert.True(InProcessServer.WaitFor(() => r.Call("DEBUG", "DIGEST") == digest, 10_000), "the replica still holds the keys the primary dropped");
        r.Call("SELECT", "3");
        Assert.Equal(":0\r\n", r.Call("DBSIZE"));
    }

    static string Multi(RespSocket c, params string[] command)
    {
        c.Call("MULTI");
        string reply = c.Call(command);
        c.Call("DISCARD");
        return reply;
    }
}

/// <summary>
/// Vermilion as a replica (Replication/PrimaryLink.cs) of redis-server 7.0.15: the full sync under the
/// primary's writes, the stream applied to the same DEBUG DIGEST and offset, keys that expire only when the
/// primary says, READONLY, +CONTINUE after a lost link, chained replicas, promotion with psync2, and
/// primaries that misbehave.
/// </summary>
[Trait("Category", "Network")]
public class ReplicaTests
{
    static OracleServer RedisPrimary() => new("--enable-debug-command", "yes", "--repl-diskless-sync-delay", "0");

    static InProcessServer VermilionReplicaOf(int port, params string[] extra) =>
        new("epoll", ["--enable-debug-command", "yes", "--repl-diskless-sync-delay", "0", "--replicaof", "127.0.0.1", port.ToString(), .. extra]);

    static void Write(RespSocket c, string prefix)
    {
        for (int i = 0; i < 300; i++)
        {
            c.Send(RespSocket.Encode("SET", $"{prefix}s:{i}", $"v{i}"));
            c.Send(RespSocket.Encode("HSET", $"{prefix}h:{i}", "a", "1"));
            c.Send(RespSocket.Encode("ZADD", $"{prefix}z:{i}", "1", "a"));
        }
        for (int i = 0; i < 900; i++) c.ReadReply();
        c.Call("SET", $"{prefix}ex", "v", "EX", "1000");
        c.Call("SADD", $"{prefix}set", "a", "b", "c");
        c.Call("SPOP", $"{prefix}set");
        c.Call("INCRBYFLOAT", $"{prefix}f", "2.5");
        c.Call("MULTI"); c.Call("INCR", $"{prefix}n"); c.Call("SELECT", "4"); c.Call("SET", $"{prefix}in4", "x"); c.Call("EXEC");
        c.Call("SELECT", "0");
        c.Call("EVAL", "return redis.call('incr', KEYS[1])", "1", $"{prefix}scripted");
        c.Call("XADD", $"{prefix}stream", "*", "f", "v");
    }

    [Fact]
    public void FollowsRedisServerThroughSnapshotAndStream()
    {
        using var redis = RedisPrimary();
        using var p = redis.Connect();
        Write(p, "before:");
        using var server = VermilionReplicaOf(redis.Port);
        using var r = server.Connect();
        WaitForLink(r);
        // replicaof from the config and no RDB history: the first PSYNC is `? -1`, no failed partial sync.
        Assert.Equal("1", Field(p, "stats", "sync_full"));
        Assert.Equal("0", Field(p, "stats", "sync_partial_err"));
        Write(p, "after:");
        AssertSameDataset(p, r);
        Assert.Equal("-READONLY You can't write against a read only replica.\r\n", r.Call("SET", "mine", "1"));
        Assert.Equal("$2\r\nv0\r\n", r.Call("GET", "before:s:0"));
        Assert.Matches(@"^\*5\r\n\$5\r\nslave\r\n\$9\r\n127\.0\.0\.1\r\n:" + redis.Port + @"\r\n\$9\r\nconnected\r\n:\d+\r\n$", r.Call("ROLE"));
        var info = r.Call("INFO", "replication");
        Assert.Contains("role:slave\r\nmaster_host:127.0.0.1\r\nmaster_port:" + redis.Port + "\r\nmaster_link_status:up\r\n", info);
        Assert.Contains("flags=M ", r.Call("CLIENT", "LIST", "TYPE", "master"));
        Assert.Equal("-ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is configured to be writable (which is not the default) writes to replicas are just local and are not propagated.\r\n", r.Call("WAIT", "1", "0"));
    }

    /// <summary>
    /// Redis's "replica can handle EINTR if use diskless load": the replica parses a slow primary's snapshot
    /// from the socket, its loop runs no cron meanwhile, so the watchdog (watchdog-period, raised to two
    /// cron turns as 7.0 does) logs while the load goes on, and the load neither fails nor reconnects.
    /// </summary>
    [Fact]
    public void TheWatchdogLogsAStalledLoopWhileADisklessLoadWaits()
    {
        using var redis = RedisPrimary();
        using var p = redis.Connect();
        p.Call("DEBUG", "POPULATE", "100", "master", "100000");
        p.Call("CONFIG", "SET", "rdbcompression", "no");
        // 100 keys: ~3 s of transfer, far longer than two cron turns, so a busy CI machine still sees the load going on.
        p.Call("CONFIG", "SET", "rdb-key-save-delay", "30000");
        using var server = new InProcessServer("epoll", ["--repl-diskless-load", "on-empty-db", "--repl-diskless-sync-delay", "0"]);
        using var r = server.Connect();
        using var oracle = new OracleServer();
        using var o = oracle.Connect();
        foreach (var c in new[] { r, o })
        {
            Assert.Equal("+OK\r\n", c.Call("CONFIG", "SET", "watchdog-period", "50"));
            Assert.Equal("*2\r\n$15\r\nwatchdog-period\r\n$3\r\n200\r\n", c.Call("CONFIG", "GET", "watchdog-period"));
        }
        r.Call("REPLICAOF", "127.0.0.1", redis.Port.ToString());
        Assert.True(InProcessServer.WaitFor(() => server.LogContains("MASTER <-> REPLICA sync: Loading DB in memory"), 10_000));
        Assert.Equal("1", Field(r, "persistence", "loading"));
        Assert.True(InProcessServer.WaitFor(() => server.LogContains("--- WATCHDOG TIMER EXPIRED ---"), 10_000), "the watchdog never expired");
        // The log's order, not the clock, says the watchdog fired while the load was still going on.
        lock (server.LogLines)
        {
            int watchdog = server.LogLines.FindIndex(l => l.Contains("--- WATCHDOG TIMER EXPIRED ---"));
            int finished = server.LogLines.FindIndex(l => l.Contains("MASTER <-> REPLICA sync: Finished with success"));
            Assert.True(finished < 0 || watchdog < finished, "the watchdog fired only after the load");
        }
        Assert.Equal("1", Field(p, "stats", "sync_full"));
        Assert.False(server.LogContains("Reconnecting to MASTER"));
        p.Call("CONFIG", "SET", "rdb-key-save-delay", "0");
        WaitForLink(r);
        Assert.Equal(":100\r\n", r.Call("DBSIZE"));
        Assert.Equal("+OK\r\n", r.Call("CONFIG", "SET", "watchdog-period", "0"));
    }

    /// <summary>
    /// repl-diskless-load swapdb: the snapshot is parsed from the socket as it comes; from another history
    /// that is a load (loading:1, -LOADING, CONFIG SET appendonly refused), from the same history an async
    /// load beside the old dataset; a transfer cut short leaves the old dataset serving either way. A writable replica's own writes that the primary's
    /// commands then fail on are counted, not a panic.
    /// </summary>
    [Fact]
    public void SwapdbTransferIsALoadAndAFailedOneKeepsTheOldDataset()
    {
        using var redis = RedisPrimary();
        using var p = redis.Connect();
        // 100 kB values: a loading replica serves events every 2 MB it parses (loading-process-events-interval-bytes).
        p.Call("DEBUG", "POPULATE", "400", "big", "100000");
        p.Call("CONFIG", "SET", "rdbcompression", "no");
        p.Call("CONFIG", "SET", "rdb-key-save-delay", "20000"); // 400 keys: ~8 s of transfer
        using var server = new InProcessServer("epoll", ["--repl-diskless-load", "swapdb", "--replica-read-only", "no", "--propagation-error-behavior", "panic"]);
        using var r = server.Connect();
        r.Call("SET", "mine", "kept");
        r.Call("REPLICAOF", "127.0.0.1", redis.Port.ToString());
        Assert.True(InProcessServer.WaitFor(() => Field(r, "persistence", "loading") == "1", 10_000), "no loading state during the transfer");
        Assert.Equal("0", Field(r, "persistence", "async_loading"));
        Assert.StartsWith("-LOADING", r.Call("GET", "mine"));
        Assert.Equal("-LOADING Redis is loading the dataset in memory\r\n", r.Call("CONFIG", "SET", "appendonly", "no"));
        p.Call("CLIENT", "KILL", "TYPE", "replica");
        Assert.True(InProcessServer.WaitFor(() => Field(r, "persistence", "loading") == "0", 10_000));
        Assert.Equal("$4\r\nkept\r\n", r.Call("GET", "mine"));

        // The same history: the second full sync is an async load while the old dataset serves.
        p.Call("CONFIG", "SET", "rdb-key-save-delay", "0");
        WaitForLink(r);
        Assert.Equal("$-1\r\n", r.Call("GET", "mine"));
        r.Call("SET", "mine", "again");
        p.Call("CONFIG", "SET", "rdb-key-save-delay", "20000");
        p.Call("MULTI");
        p.Call("CLIENT", "KILL", "TYPE", "replica");
        p.Call("CONFIG", "SET", "repl-backlog-size", "16384");
        for (int i = 0; i < 10; i++) p.Call("SET", "fill" + i, new string('A', 16384));
        p.Call("EXEC");
        Assert.True(InProcessServer.WaitFor(() => Field(r, "persistence", "async_loading") == "1", 10_000), "no async load from the same history");
        Assert.Equal("$5\r\nagain\r\n", r.Call("GET", "mine"));
        Assert.Equal("-LOADING Redis is loading the dataset in memory\r\n", r.Call("CONFIG", "SET", "appendonly", "no"));
        p.Call("CONFIG", "SET", "rdb-key-save-delay", "0");
        p.Call("CLIENT", "KILL", "TYPE", "replica");
        WaitForLink(r);

        // The primary's INCR of a key the writable replica made a list fails here: counted, the replica goes on.
        r.Call("RPUSH", "clash", "x");
        p.Call("INCR", "clash");
        p.Call("INCR", "after");
        Assert.True(InProcessServer.WaitFor(() => r.Call("GET", "after") == "$1\r\n1\r\n", 10_000));
        Assert.Equal("1", Field(r, "stats", "unexpected_error_replies"));
    }

    /// <summary>
    /// A replica restarted from its RDB (replicaof in its config: loadDataFromDisk's !iAmMaster) keeps the keys
    /// already expired, as rdbLoad does on a replica (its primary's DELs remove them), and continues its
    /// history: the file's ID and offset are the cached master its first PSYNC names, so redis-server answers
    /// +CONTINUE. DEBUG RELOAD (rdbLoad with no save info) changes neither the ID nor the keys.
    /// </summary>
    [Fact]
    public void ARestartedReplicaContinuesItsHistoryWithTheExpiredKeysItSaved()
    {
        using var dir = new AofDir();
        using var redis = RedisPrimary();
        using var p = redis.Connect();
        Assert.Equal("+OK\r\n", p.Call("DEBUG", "SET-ACTIVE-EXPIRE", "0"));
        p.Call("SET", "kept", "v");
        string[] args = ["--enable-debug-command", "yes", "--replicaof", "127.0.0.1", redis.Port.ToString()];
        using (var first = new InProcessServer(c => c.Dir = dir.Path, "epoll", args))
        {
            using var r = first.Connect();
            WaitForLink(r);
            for (int i = 0; i < 20; i++) p.Call("SET", $"short:{i}", "v", "PX", "10");
            Assert.Equal(":1\r\n", p.Call("WAIT", "1", "5000"));
            // Past its deadline a key reads as missing on a replica, and stays until its DEL.
            Assert.True(InProcessServer.WaitFor(() => r.Call("PTTL", "short:19") == ":-2\r\n"));
            Assert.Equal(":21\r\n", r.Call("DBSIZE"));
            Assert.Equal("+OK\r\n", r.Call("SAVE"));
        }
        p.Call("SET", "while-away", "1");
        using var restarted = new InProcessServer(c => c.Dir = dir.Path, "epoll", args);
        using var q = restarted.Connect();
        Assert.Equal("21", Field(q, "persistence", "rdb_last_load_keys_loaded"));
        Assert.Equal("0", Field(q, "persistence", "rdb_last_load_keys_expired"));
        WaitForLink(q);
        Assert.Equal("1", Field(p, "stats", "sync_full"));
        Assert.Equal("1", Field(p, "stats", "sync_partial_ok"));
        Assert.Equal(Field(p, "replication", "master_replid"), Field(q, "replication", "master_replid"));
        Assert.True(InProcessServer.WaitFor(() => q.Call("GET", "while-away") == "$1\r\n1\r\n"));
        Assert.Equal(":22\r\n", q.Call("DBSIZE"));

        string id = Field(q, "replication", "master_replid");
        Assert.Equal("+OK\r\n", q.Call("DEBUG", "RELOAD"));
        Assert.Equal(id, Field(q, "replication", "master_replid"));
        Assert.Equal(":22\r\n", q.Call("DBSIZE"));
        p.Call("SET", "after-reload", "1");
        Assert.True(InProcessServer.WaitFor(() => q.Call("GET", "after-reload") == "$1\r\n1\r\n"));
        Assert.Equal("1", Field(p, "stats", "sync_partial_ok"));
        Assert.Equal("1", Field(p, "stats", "sync_full"));

        // The primary's own expiry reaches the replica as DELs.
        p.Call("DEBUG", "SET-ACTIVE-EXPIRE", "1");
        Assert.True(InProcessServer.WaitFor(() => q.Call("DBSIZE") == ":3\r\n", 10_000), "the expired keys were never deleted");
    }

    /// <summary>
    /// A replica restarted from its AOF has no history to continue (7.0's AOF carries no replication info, and
    /// loadDataFromDisk restores none from it): with replicaof in its config its first PSYNC is `? -1`, a full
    /// sync that the primary does not count as a failed partial one; the AOF's keys are kept until then.
    /// </summary>
    [Fact]
    public void ARestartedReplicaOnItsAofSyncsInFull()
    {
        using var dir = new AofDir();
        using var redis = RedisPrimary();
        using var p = redis.Connect();
        p.Call("SET", "kept", "v");
        string[] args = ["--enable-debug-command", "yes", "--appendonly", "yes", "--replicaof", "127.0.0.1", redis.Port.ToString()];
        using (var first = new InProcessServer(c => c.Dir = dir.Path, "epoll", args))
        {
            using var r = first.Connect();
            WaitForLink(r);
            p.Call("SET", "more", "v");
            Assert.Equal(":1\r\n", p.Call("WAIT", "1", "5000"));
            Assert.True(InProcessServer.WaitFor(() => Field(r, "persistence", "aof_rewrite_in_progress") == "0" && Field(r, "persistence", "aof_rewrite_scheduled") == "0"));
        }
        using var restarted = new InProcessServer(c => c.Dir = dir.Path, "epoll", args);
        using var q = restarted.Connect();
        WaitForLink(q);
        Assert.Equal("2", Field(p, "stats", "sync_full"));
        Assert.Equal("0", Field(p, "stats", "sync_partial_ok"));
        Assert.Equal("0", Field(p, "stats", "sync_partial_err"));
        Assert.Equal(Field(p, "replication", "master_replid"), Field(q, "replication", "master_replid"));
        Assert.Equal(":2\r\n", q.Call("DBSIZE"));
    }

    /// <summary>A replica never expires a key itself: past its deadline it reads as missing, and goes when the primary's DEL comes.</summary>
    [Fact]
    public void KeysExpireWhenThePrimarySays()
    {
        using var redis = RedisPrimary();
        using var p = redis.Connect();
        Assert.Equal("+OK\r\n", p.Call("DEBUG", "SET-ACTIVE-EXPIRE", "0"));
        using var server = VermilionReplicaOf(redis.Port);
        using var r = server.Connect();
        WaitForLink(r);
        p.Call("SET", "short", "v", "PX", "100");
        Assert.Equal(":1\r\n", p.Call("WAIT", "1", "5000"));
        Thread.Sleep(200);
        Assert.Equal("$-1\r\n", r.Call("GET", "short"));
        Assert.Equal(":1\r\n", r.Call("DBSIZE"));
        Assert.Equal("$-1\r\n", p.Call("GET", "short")); // the primary expires it and sends DEL
        Assert.True(InProcessServer.WaitFor(() => r.Call("DBSIZE") == ":0\r\n"));
    }

    [Fact]
    public void ContinuesAfterALostLinkThenPromotedKeepsItsReplicas()
    {
        using var redis = RedisPrimary();
        using var p = redis.Connect();
        Write(p, "a:");
        using var server = VermilionReplicaOf(redis.Port);
        using var r = server.Connect();
        WaitForLink(r);
        // A redis-server replica of the Vermilion replica: the primary's stream passes through unchanged.
        using var chained = new OracleServer("--replicaof", "127.0.0.1", server.Port.ToString(), "--enable-debug-command", "yes");
        using var c = chained.Connect();
        WaitForLink(c);
        Assert.Equal(":1\r\n", r.Call("CLIENT", "KILL", "TYPE", "master"));
        p.Call("SET", "while-away", "1");
        WaitForLink(r);
        Write(p, "b:");
        AssertSameDataset(p, r);
        Assert.Equal("1", Field(p, "stats", "sync_partial_ok"));
        Assert.True(InProcessServer.WaitFor(() => c.Call("DEBUG", "DIGEST") == p.Call("DEBUG", "DIGEST"), 10_000), "the chained replica differs");

        // Promotion: the old history continues as replid2, so the old primary follows with a partial sync.
        string oldId = Field(p, "replication", "master_replid");
        Assert.Equal("+OK\r\n", r.Call("REPLICAOF", "NO", "ONE"));
        Assert.Equal(oldId, Field(r, "replication", "master_replid2"));
        Assert.Equal("+OK\r\n", r.Call("SET", "promoted", "yes"));
        Assert.Equal("+OK\r\n", p.Call("REPLICAOF", "127.0.0.1", server.Port.ToString()));
        WaitForLink(p);
        Assert.True(InProcessServer.WaitFor(() => p.Call("GET", "promoted") == "$3\r\nyes\r\n", 10_000));
        Assert.True(InProcessServer.WaitFor(() => c.Call("GET", "promoted") == "$3\r\nyes\r\n", 10_000));
        // Both continued: the chained replica, dropped so it learns the new ID, and the old primary; only the chained one's first sync was full.
        Assert.Equal("2", Field(r, "stats", "sync_partial_ok"));
        Assert.Equal("1", Field(r, "stats", "sync_full"));
    }

    /// <summary>
    /// A writable replica expires the keys its own clients gave a deadline (expireSlaveKeys), tracked in INFO's
    /// slave_expires_tracked_keys; the primary's keys still wait for its DEL; FLUSHALL forgets the list.
    /// </summary>
    [Fact]
    public void AWritableReplicaExpiresItsOwnKeys()
    {
        using var redis = RedisPrimary();
        using var p = redis.Connect();
        Assert.Equal("+OK\r\n", p.Call("DEBUG", "SET-ACTIVE-EXPIRE", "0"));
        using var server = VermilionReplicaOf(redis.Port, "--replica-read-only", "no");
        using var r = server.Connect();
        WaitForLink(r);
        p.Call("SET", "primarys", "v", "PX", "50");
        Assert.Equal(":1\r\n", p.Call("WAIT", "1", "5000"));
        r.Call("SELECT", "5");
        Assert.Equal("+OK\r\n", r.Call("SET", "mine1", "1", "PX", "100"));
        Assert.Equal("+OK\r\n", r.Call("SET", "mine2", "1"));
        Assert.Equal(":1\r\n", r.Call("PEXPIRE", "mine2", "100"));
        Assert.Equal("+OK\r\n", r.Call("SET", "lasting", "1", "EX", "1000"));
        Assert.Equal("3", Field(r, "stats", "slave_expires_tracked_keys"));
        Assert.True(InProcessServer.WaitFor(() => r.Call("DBSIZE") == ":1\r\n", 5000), "the replica's own keys never expired");
        Assert.Equal("1", Field(r, "stats", "slave_expires_tracked_keys"));
        r.Call("SELECT", "0");
        Assert.Equal(":1\r\n", r.Call("DBSIZE")); // the primary's key, past its deadline, waits for the DEL
        Assert.Equal("+OK\r\n", r.Call("FLUSHALL"));
        Assert.Equal("0", Field(r, "stats", "slave_expires_tracked_keys"));
    }

    [Fact]
    public void BadArgumentsAndAnUnreachablePrimary()
    {
        using var server = new InProcessServer("epoll", "--replica-serve-stale-data", "no");
        using var r = server.Connect();
        r.Call("SET", "kept", "1");
        Assert.Equal("-ERR Invalid master port\r\n", r.Call("REPLICAOF", "127.0.0.1", "notaport"));
        Assert.Equal("-ERR Invalid master port\r\n", r.Call("REPLICAOF", "127.0.0.1", "70000"));
        Assert.Equal("-ERR wrong number of arguments for 'replicaof' command\r\n", r.Call("REPLICAOF", "127.0.0.1"));
        int nobody = InProcessServer.FreeTcpPort();
        Assert.Equal("+OK\r\n", r.Call("REPLICAOF", "127.0.0.1", nobody.ToString()));
        Assert.Equal("+OK Already connected to specified master\r\n", r.Call("SLAVEOF", "127.0.0.1", nobody.ToString()));
        Assert.Equal("down", Field(r, "replication", "master_link_status"));
        Assert.Equal("-MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.\r\n", r.Call("GET", "kept"));
        Assert.StartsWith("$", r.Call("INFO", "replication")); // stale-flagged commands still run
        Assert.Equal("+OK\r\n", r.Call("REPLICAOF", "NO", "ONE"));
        Assert.Equal("$1\r\n1\r\n", r.Call("GET", "kept"));
        Assert.Contains("role:master", r.Call("INFO", "replication"));
    }

    /// <summary>A "primary" that answers nonsense, or cuts its snapshot short: the replica keeps its data, logs why, and tries again.</summary>
    [Theory]
    [InlineData("+PONG\r\n", "+FULLRESYNC notanid 12\r\n", "", "disabled")]
    [InlineData("+PONG\r\n", "+FULLRESYNC " + "0123456789012345678901234567890123456789" + " 0\r\n", "$100000\r\nREDIS0010", "disabled")]
    [InlineData("+PONG\r\n", "+FULLRESYNC " + "0123456789012345678901234567890123456789" + " 0\r\n", "$30\r\nREDIS0010this is not an rdb!!!", "disabled")]
    [InlineData("-ERR go away\r\n", "", "", "disabled")]
    // Diskless loads parse the socket: a payload cut short, one that is not an RDB, an $EOF: mark that never comes.
    [InlineData("+PONG\r\n", "+FULLRESYNC " + "0123456789012345678901234567890123456789" + " 0\r\n", "$100000\r\nREDIS0010", "swapdb")]
    [InlineData("+PONG\r\n", "+FULLRESYNC " + "0123456789012345678901234567890123456789" + " 0\r\n", "$30\r\nREDIS0010this is not an rdb!!!", "swapdb")]
    [InlineData("+PONG\r\n", "+FULLRESYNC " + "0123456789012345678901234567890123456789" + " 0\r\n", "$EOF:" + "abcdefghijabcdefghijabcdefghijabcdefghij" + "\r\nREDIS0010\u00fa\u0009redis-ver", "on-empty-db")]
    public void AMisbehavingPrimaryChangesNothing(string pong, string psync, string payload, string load)
    {
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        int port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        var fake = Task.Run(() =>
        {
            using var peer = listener.AcceptSocket();
            using var s = new RespSocket(peer);
            s.ReadReply(10_000); // PING
            s.Send(pong);
            if (pong.StartsWith('-')) return;
            s.ReadReply(10_000); s.Send("+OK\r\n"); // REPLCONF listening-port
            s.ReadReply(10_000); s.Send("+OK\r\n"); // REPLCONF capa
            s.ReadReply(10_000); // PSYNC
            s.Send(psync + payload);
            Thread.Sleep(200);
        });
        try
        {
            using var server = new InProcessServer("epoll", ["--repl-diskless-load", load]);
            using var r = server.Connect();
            if (load != "on-empty-db") r.Call("SET", "kept", "1");
            Assert.Equal("+OK\r\n", r.Call("REPLICAOF", "127.0.0.1", port.ToString()));
            Assert.True(fake.Wait(15_000));
            Thread.Sleep(300);
            Assert.Equal("down", Field(r, "replication", "master_link_status"));
            Assert.Equal(load == "on-empty-db" ? ":0\r\n" : ":1\r\n", r.Call("DBSIZE"));
            Assert.Equal("+OK\r\n", r.Call("REPLICAOF", "NO", "ONE"));
            if (load != "on-empty-db") Assert.Equal("$1\r\n1\r\n", r.Call("GET", "kept"));
        }
        finally { listener.Stop(); }
    }
}
