using System.Text;
using System.Text.RegularExpressions;
using Xunit;

namespace Vermilion.Tests;

/// <summary>
/// Vermilion as a primary (Replication/): a real redis-server 7.0.15 replica syncs from it (diskless and
/// sized snapshots), follows the stream to the same DEBUG DIGEST and offset, continues after a lost link
/// with +CONTINUE, and WAIT counts its acks; the handshake is also driven by hand, byte by byte.
/// </summary>
[Trait("Category", "Network")]
public class ReplicationTests
{
    static string Field(RespSocket c, string section, string field) =>
        Regex.Match(c.Call("INFO", section), "\r\n" + field + @":([^\r\n]*)").Groups[1].Value;

    static InProcessServer Primary(params string[] extra) =>
        new("epoll", ["--enable-debug-command", "yes", "--repl-diskless-sync-delay", "0", .. extra]);

    static OracleServer ReplicaOf(InProcessServer primary) =>
        new("--replicaof", "127.0.0.1", primary.Port.ToString(), "--enable-debug-command", "yes");

    static void WaitForLink(RespSocket replica) =>
        Assert.True(InProcessServer.WaitFor(() => Field(replica, "replication", "master_link_status") == "up", 20_000), "the replica's link never came up");

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

    static void AssertSameDataset(RespSocket primary, RespSocket replica)
    {
        // WAIT returns once the replica acknowledged everything written on this connection.
        Assert.Equal(":1\r\n", primary.Call("WAIT", "1", "10000"));
        string digest = primary.Call("DEBUG", "DIGEST");
        Assert.Matches(@"^\+[0-9a-f]{40}\r\n$", digest);
        Assert.NotEqual("+" + new string('0', 40) + "\r\n", digest);
        Assert.Equal(digest, replica.Call("DEBUG", "DIGEST"));
        string offset = Field(primary, "replication", "master_repl_offset");
        Assert.True(InProcessServer.WaitFor(() => Field(replica, "replication", "slave_repl_offset") == offset, 10_000));
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

    static string Multi(RespSocket c, params string[] command)
    {
        c.Call("MULTI");
        string reply = c.Call(command);
        c.Call("DISCARD");
        return reply;
    }
}
