using Xunit;

namespace Vermilion.Tests;

/// <summary>
/// What Vermilion propagates (the effect stream the AOF and replicas consume) and how far each
/// command moves server.dirty, against redis-server 7.0.15 itself: its appendonlydir incr file
/// after the same commands, SELECT lines included, and its rdb_changes_since_last_save.
/// </summary>
[Trait("Category", "Network")]
public class EffectStreamTests(EffectServers servers) : IClassFixture<EffectServers>
{
    void Effects(params string[][] script) => EffectScript.Run(servers, script);

    [Fact]
    public void Strings() => Effects(
        ["set", "a", "1"], ["SET", "a", "1", "NX"], ["SET", "a", "2", "XX"], ["Set", "b", "x", "GET"], ["SET", "b", "y", "get", "GET"],
        ["SET", "b", "z", "NX", "GET"], ["SET", "c", "v", "EX", "100"], ["SET", "c", "v", "PX", "100000", "GET"], ["SET", "c", "v", "EXAT", "4102444800"],
        ["SET", "c", "v", "PXAT", "4102444800000"], ["SET", "c", "w", "KEEPTTL"], ["SET", "c", "v", "EX", "0"],
        ["SETEX", "d", "100", "v"], ["psetex", "d", "100000", "v"], ["SETNX", "e", "1"], ["SETNX", "e", "2"],
        ["GETEX", "c"], ["GETEX", "c", "EX", "100"], ["getex", "c", "PXAT", "4102444800000"], ["GETEX", "c", "PERSIST"], ["GETEX", "c", "PERSIST"],
        ["GETEX", "nokey", "EX", "10"], ["GETEX", "c", "EXAT", "1"], ["EXISTS", "c"],
        ["GETDEL", "e"], ["GETDEL", "e"], ["GETSET", "e", "3"], ["getset", "e", "4"],
        ["INCR", "n"], ["decr", "n"], ["INCRBY", "n", "10"], ["DECRBY", "n", "3"], ["INCR", "b"], ["INCRBYFLOAT", "f", "1.5"], ["incrbyfloat", "f", "0.25"],
        ["SET", "f", "3", "EX", "100"], ["INCRBYFLOAT", "f", "1e2"], ["INCRBYFLOAT", "b", "1"],
        ["MSET", "m1", "a", "m2", "b", "m1", "c"], ["MSETNX", "m3", "a", "m4", "b"], ["MSETNX", "m3", "a", "m5", "b"],
        ["APPEND", "ap", "abc"], ["APPEND", "ap", ""], ["append", "ap", "d"], ["SETRANGE", "ap", "1", "XY"], ["SETRANGE", "ap", "1", ""], ["SETRANGE", "sr", "0", ""],
        ["SETRANGE", "sr", "3", "x"], ["GET", "ap"], ["STRLEN", "ap"], ["GETRANGE", "ap", "0", "1"], ["LCS", "ap", "sr"], ["MGET", "a", "b"]);

    [Fact]
    public void Keys() => Effects(
        ["MSET", "a", "1", "b", "2", "c", "3", "d", "4"], ["DEL", "a", "nokey", "b"], ["del", "nokey"], ["UNLINK", "c", "x"], ["unlink", "x"],
        ["SET", "k", "v"], ["EXPIRE", "k", "100"], ["expire", "k", "200", "NX"], ["EXPIRE", "k", "300", "xx"], ["PEXPIRE", "k", "400000"],
        ["EXPIREAT", "k", "4102444800"], ["pexpireat", "k", "4102444800000"], ["PEXPIREAT", "k", "4102444900000", "GT"], ["PEXPIREAT", "k", "1", "GT"],
        ["PERSIST", "k"], ["PERSIST", "k"], ["EXPIRE", "nokey", "10"], ["EXPIRE", "k", "-1"], ["SET", "k", "v"], ["EXPIREAT", "k", "1"],
        ["SET", "k", "v"], ["PEXPIRE", "k", "0"], ["EXISTS", "k"],
        ["SET", "r", "1"], ["RENAME", "r", "r2"], ["RENAME", "r2", "r2"], ["RENAMENX", "r2", "r3"], ["SET", "r4", "x"], ["RENAMENX", "r3", "r4"],
        ["MOVE", "r3", "1"], ["MOVE", "r3", "1"], ["COPY", "r4", "r5"], ["COPY", "r4", "r5"], ["COPY", "r4", "r5", "REPLACE"], ["COPY", "r4", "r6", "DB", "2"],
        ["SWAPDB", "0", "1"], ["swapdb", "1", "1"], ["SELECT", "1"], ["SET", "in1", "x"], ["DEL", "in1"], ["SELECT", "0"], ["SET", "in0", "x"],
        ["TOUCH", "r4"], ["TYPE", "r4"], ["?RANDOMKEY"], ["DBSIZE"]);

    [Fact]
    public void Flushes() => Effects(
        ["FLUSHALL"], ["flushall", "async"], ["SET", "a", "1"], ["SELECT", "3"], ["SET", "b", "2"], ["FLUSHDB"], ["flushdb", "SYNC"],
        ["SET", "c", "1"], ["FLUSHALL", "sync"], ["FLUSHALL", "bogus"]);

    [Fact]
    public void Lists() => Effects(
        ["LPUSH", "l", "a", "b", "c"], ["rpush", "l", "d"], ["LPUSHX", "l", "e"], ["LPUSHX", "nol", "e"], ["RPUSHX", "l", "f", "g"],
        ["LPOP", "l"], ["RPOP", "l", "2"], ["LPOP", "l", "0"], ["LPOP", "nol"], ["LSET", "l", "0", "x"], ["LINSERT", "l", "BEFORE", "x", "y"],
        ["LINSERT", "l", "AFTER", "nothere", "y"], ["RPUSH", "l", "x", "z", "x"], ["LREM", "l", "0", "x"], ["LREM", "l", "1", "nothere"],
        ["LTRIM", "l", "0", "-1"], ["LTRIM", "l", "1", "-1"], ["LTRIM", "nol", "0", "1"],
        ["RPUSH", "src", "1", "2", "3"], ["LMOVE", "src", "dst", "LEFT", "right"], ["lmove", "src", "src", "right", "LEFT"], ["RPOPLPUSH", "src", "dst"],
        ["RPOPLPUSH", "nol", "dst"], ["LMPOP", "2", "nol", "src", "LEFT"], ["LMPOP", "1", "dst", "RIGHT", "COUNT", "10"], ["lmpop", "1", "nol", "left"],
        ["RPUSH", "b1", "1", "2", "3"], ["BLPOP", "nol", "b1", "0"], ["BRPOP", "b1", "0"], ["BLMOVE", "b1", "b2", "left", "LEFT", "0"],
        ["RPUSH", "b1", "4", "5"], ["BRPOPLPUSH", "b1", "b2", "0"], ["BLMPOP", "0", "1", "b2", "LEFT", "COUNT", "5"], ["blmpop", "0", "1", "b1", "right"],
        ["RPUSH", "last", "x"], ["RPOP", "last", "5"], ["LRANGE", "l", "0", "-1"], ["LLEN", "l"]);

    [Fact]
    public void Hashes() => Effects(
        ["HSET", "h", "a", "1", "b", "2"], ["HSET", "h", "a", "1", "c", "3"], ["hmset", "h", "d", "4"], ["HSETNX", "h", "a", "9"], ["HSETNX", "h", "e", "5"],
        ["HINCRBY", "h", "a", "10"], ["HINCRBYFLOAT", "h", "f", "1.5"], ["hincrbyfloat", "h", "f", "2.0e1"], ["HINCRBYFLOAT", "h", "b", "0.1"],
        ["HDEL", "h", "a", "nofield", "b"], ["HDEL", "h", "nofield"], ["HDEL", "h", "c", "d", "e", "f"], ["EXISTS", "h"], ["HGETALL", "h"]);

    [Fact]
    public void Sets() => Effects(
        ["SADD", "s", "a", "b", "a"], ["SADD", "s", "a"], ["SREM", "s", "a", "x"], ["SREM", "s", "x"], ["SADD", "t", "1", "2", "3"],
        ["SMOVE", "t", "s", "1"], ["SMOVE", "t", "s", "1"], ["SADD", "t", "b"], ["SMOVE", "t", "s", "b"], ["SMOVE", "s", "s", "b"],
        ["SINTERSTORE", "d", "s", "t"], ["SINTERSTORE", "d", "s", "nos"], ["SINTERSTORE", "d", "s", "nos"], ["SUNIONSTORE", "d", "s", "t"],
        ["SDIFFSTORE", "d", "s", "s"], ["SDIFFSTORE", "d", "s", "s"], ["SUNIONSTORE", "d2", "nos"],
        ["SADD", "one", "only"], ["SPOP", "one"], ["SPOP", "one"], ["SADD", "one", "x"], ["spop", "one", "1"], ["SADD", "all", "1", "2", "3"], ["?SPOP", "all", "3"],
        ["SADD", "p", "x"], ["SPOP", "p", "0"], ["SPOP", "p", "5"], ["?SRANDMEMBER", "t"], ["~SMEMBERS", "s"]);

    [Fact]
    public void SortedSets() => Effects(
        ["ZADD", "z", "1", "a", "2", "b"], ["ZADD", "z", "1", "a"], ["ZADD", "z", "3", "a"], ["ZADD", "z", "NX", "5", "a", "4", "c"], ["ZADD", "z", "XX", "CH", "6", "c"],
        ["ZADD", "z", "INCR", "1", "c"], ["ZADD", "z", "GT", "1", "c"], ["ZINCRBY", "z", "2.5", "b"], ["ZREM", "z", "nope"], ["ZREM", "z", "a", "nope"],
        ["ZADD", "z", "1", "m1", "2", "m2", "3", "m3", "4", "m4", "5", "m5"], ["ZREMRANGEBYSCORE", "z", "1", "1"], ["ZREMRANGEBYRANK", "z", "0", "0"],
        ["ZREMRANGEBYLEX", "z", "[a", "[b"], ["ZREMRANGEBYSCORE", "z", "100", "200"], ["ZPOPMIN", "z"], ["zpopmax", "z", "2"], ["ZPOPMIN", "noz"],
        ["ZMPOP", "2", "noz", "z", "MIN"], ["ZMPOP", "1", "z", "MAX", "COUNT", "10"], ["ZADD", "y", "1", "a", "2", "b", "3", "c"],
        ["BZPOPMIN", "noz", "y", "0"], ["BZPOPMAX", "y", "0"], ["BZMPOP", "0", "1", "y", "MIN", "COUNT", "3"], ["ZADD", "y", "1", "a"], ["bzmpop", "0", "1", "y", "max"],
        ["ZADD", "u", "1", "a", "2", "b"], ["ZADD", "v", "3", "b"], ["ZUNIONSTORE", "d", "2", "u", "v"], ["ZINTERSTORE", "d", "2", "u", "v"], ["ZDIFFSTORE", "d", "2", "u", "u"],
        ["ZDIFFSTORE", "d", "2", "u", "u"], ["ZRANGESTORE", "d", "u", "0", "-1"], ["ZRANGESTORE", "d", "u", "5", "6"], ["ZRANGESTORE", "d", "u", "5", "6"],
        ["ZRANGE", "u", "0", "-1"], ["ZCARD", "u"]);

    [Fact]
    public void Bitmaps() => Effects(
        ["SETBIT", "b", "7", "1"], ["SETBIT", "b", "7", "1"], ["setbit", "b", "7", "0"], ["SET", "x", "abc"], ["BITOP", "AND", "d", "b", "x"],
        ["BITOP", "OR", "d", "nob", "nob2"], ["BITOP", "OR", "d", "nob", "nob2"], ["bitop", "not", "d", "x"],
        ["BITFIELD", "bf", "SET", "u8", "0", "255", "GET", "u8", "0"], ["BITFIELD", "bf", "INCRBY", "u8", "0", "10", "OVERFLOW", "FAIL", "INCRBY", "u8", "0", "250"],
        ["BITFIELD", "bf", "GET", "u8", "0"], ["BITFIELD_RO", "bf", "GET", "u8", "0"], ["BITCOUNT", "bf"]);

    [Fact]
    public void Transactions() => Effects(
        ["MULTI"], ["SET", "a", "1"], ["EXEC"],
        ["MULTI"], ["SET", "a", "1"], ["incr", "a"], ["GET", "a"], ["EXEC"],
        ["MULTI"], ["GET", "a"], ["EXEC"],
        ["MULTI"], ["SET", "b", "1", "EX", "100"], ["SELECT", "2"], ["SET", "c", "1"], ["EXEC"], ["SELECT", "0"],
        ["MULTI"], ["SET", "a", "x"], ["INCR", "a"], ["SET", "d", "y"], ["EXEC"],
        ["MULTI"], ["SPOP", "noset"], ["LPUSH", "l", "1"], ["RPOP", "l"], ["EXEC"],
        ["MULTI"], ["SET", "a", "1"], ["DISCARD"], ["MULTI"], ["SET", "a"], ["EXEC"]);

    [Fact]
    public void LazyExpiry() => Effects(
        ["DEBUG", "SET-ACTIVE-EXPIRE", "0"],
        ["SET", "k1", "v", "PX", "20"], ["SET", "k2", "v", "PX", "20"], ["SET", "k3", "v", "PX", "20"], ["SET", "k4", "v", "PX", "20"], ["SET", "k5", "v", "PX", "20"],
        ["SET", "k6", "v", "PX", "20"], ["SET", "k7", "v", "PX", "20"], ["SLEEP", "50"],
        ["GET", "k1"], ["SET", "k2", "w"], ["DEL", "k3", "k4"], ["EXISTS", "k5"], ["MULTI"], ["INCR", "x"], ["GET", "k6"], ["EXEC"],
        ["CONFIG", "SET", "lazyfree-lazy-expire", "yes"], ["GET", "k7"], ["CONFIG", "SET", "lazyfree-lazy-expire", "no"],
        ["DEBUG", "SET-ACTIVE-EXPIRE", "1"]);
}

/// <summary>What blocked clients served later, expiry, eviction and the lazyfree settings propagate, against redis-server 7.0.15's AOF.</summary>
[Trait("Category", "Network")]
public class EffectStreamScenarioTests(EffectServers servers) : IClassFixture<EffectServers>
{
    static byte[] Command(params string[] args) => RespSocket.Encode(args);

    /// <summary>Each blocking command waits on an empty key; a push from another client serves it (blocked.c's serveClientsBlockedOn*Key).</summary>
    [Theory]
    [InlineData("BLPOP l1 0", "RPUSH l1 x y")]
    [InlineData("BRPOP l2 l1 0", "LPUSH l1 a b")]
    [InlineData("BLMOVE s d RIGHT LEFT 0", "RPUSH s 1 2")]
    [InlineData("blmove s d left right 0", "RPUSH s 1 2")]
    [InlineData("BRPOPLPUSH s2 d 0", "RPUSH s2 1")]
    [InlineData("BLMPOP 0 2 m1 m2 LEFT COUNT 5", "RPUSH m2 a b")]
    [InlineData("blmpop 0 1 m1 right", "RPUSH m1 a b c")]
    [InlineData("BZPOPMIN z1 0", "ZADD z1 1 a 2 b")]
    [InlineData("BZPOPMAX z0 z2 0", "ZADD z2 1 a 2 b")]
    [InlineData("BZMPOP 0 1 z3 MAX COUNT 2", "ZADD z3 1 a 2 b 3 c")]
    [InlineData("bzmpop 0 1 z3 min", "ZADD z3 1 a")]
    public void BlockedClientServedLater(string blocking, string push) => EffectScript.Scenario(servers, connect =>
    {
        using var waiter = connect();
        using var pusher = connect();
        waiter.Send(Command(blocking.Split(' ')));
        EffectScript.WaitBlocked(pusher, 1);
        pusher.Call(push.Split(' '));
        waiter.ReadReply();
    });

    [Fact]
    public void BlockedClientsInAChain() => EffectScript.Scenario(servers, connect =>
    {
        using var mover = connect();
        using var popper = connect();
        using var pusher = connect();
        foreach (var c in new[] { mover, popper, pusher }) c.Call("SELECT", "3");
        mover.Send(Command("BLMOVE", "c1", "c2", "LEFT", "LEFT", "0"));
        EffectScript.WaitBlocked(pusher, 1);
        popper.Send(Command("BLPOP", "c2", "0"));
        EffectScript.WaitBlocked(pusher, 2);
        pusher.Call("RPUSH", "c1", "v", "w");
        mover.ReadReply();
        popper.ReadReply();
        pusher.Call("SELECT", "0");
        pusher.Call("SET", "after", "1");
    });

    /// <summary>
    /// A blocked client's key made ready though it has expired, by SWAPDB (scanDatabaseForReadyKeys does not
    /// expire) or by the transaction that pushed it (DEBUG SLEEP inside EXEC): the DEL comes from the blocked
    /// client's lookup, after the command, and the client stays blocked.
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void AKeyThatExpiredBeforeItsBlockedClientLooked(bool swapdb) => EffectScript.Scenario(servers, connect =>
    {
        using var c = connect();
        using var waiter = connect();
        c.Call("DEBUG", "SET-ACTIVE-EXPIRE", "0");
        waiter.Call("SELECT", "9");
        string id = waiter.Call("CLIENT", "ID")[1..^2];
        if (swapdb)
        {
            c.Call("SELECT", "1");
            c.Call("RPUSH", "k", "hello");
            c.Call("PEXPIRE", "k", "100");
            waiter.Send(Command("BRPOP", "k", "0"));
            EffectScript.WaitBlocked(c, 1);
            Thread.Sleep(150);
            c.Call("SWAPDB", "1", "9");
        }
        else
        {
            c.Call("SELECT", "9");
            waiter.Send(Command("BRPOP", "k", "0"));
            EffectScript.WaitBlocked(c, 1);
            c.Call("MULTI");
            c.Call("RPUSH", "k", "hello");
            c.Call("PEXPIRE", "k", "100");
            c.Call("DEBUG", "SLEEP", "0.2");
            c.Call("EXEC");
        }
        Assert.Contains("flags=b", c.Call("CLIENT", "LIST", "ID", id));
        Assert.Equal(":1\r\n", c.Call("CLIENT", "UNBLOCK", id));
        waiter.ReadReply();
        c.Call("DEBUG", "SET-ACTIVE-EXPIRE", "1");
    });

    [Fact]
    public void BlockingCommandsInsideMulti() => EffectScript.Run(servers,
        ["MULTI"], ["BLPOP", "empty", "0"], ["BZPOPMIN", "empty", "0"], ["EXEC"],
        ["MULTI"], ["RPUSH", "l", "a"], ["BLPOP", "l", "0"], ["EXEC"],
        ["RPUSH", "l", "b"], ["MULTI"], ["BRPOP", "l", "0"], ["EXEC"]);

    /// <summary>Keys that expire by the active cycle each go as a DEL of their own (propagate_no_multi).</summary>
    [Fact]
    public void ActiveExpiry() => EffectScript.Scenario(servers, connect =>
    {
        using var c = connect();
        c.Call("SET", "a", "1", "PX", "1");
        c.Call("SELECT", "5");
        c.Call("SET", "b", "1", "PX", "1");
        c.Call("SET", "keep", "1");
        Assert.True(InProcessServer.WaitFor(() => c.Call("DBSIZE") == ":1\r\n" && c.Call("SELECT", "0") == "+OK\r\n" && c.Call("DBSIZE") == ":0\r\n" && c.Call("SELECT", "5") == "+OK\r\n"));
    }, waitMs: 2000);

    /// <summary>With lazyfree-lazy-expire, expired keys (lazily or actively), EXPIRE and GETEX into the past go as UNLINK.</summary>
    [Fact]
    public void LazyfreeLazyExpire()
    {
        using var _ = servers.Configure("lazyfree-lazy-expire", "yes");
        EffectScript.Run(servers,
            ["DEBUG", "SET-ACTIVE-EXPIRE", "0"], ["SET", "a", "1", "PX", "10"], ["SET", "b", "1"], ["SET", "c", "1"], ["SLEEP", "30"],
            ["GET", "a"], ["EXPIRE", "b", "-1"], ["GETEX", "c", "PXAT", "1"], ["DEBUG", "SET-ACTIVE-EXPIRE", "1"]);
    }

    /// <summary>lazyfree-lazy-user-del makes GETDEL an UNLINK; DEL stays DEL (it is propagated as sent).</summary>
    [Fact]
    public void LazyfreeLazyUserDel()
    {
        using var _ = servers.Configure("lazyfree-lazy-user-del", "yes");
        EffectScript.Run(servers, ["MSET", "a", "1", "b", "2"], ["GETDEL", "a"], ["DEL", "b"]);
    }

    /// <summary>
    /// Eviction propagates each evicted key as a DEL (UNLINK with lazyfree-lazy-eviction) before the
    /// command that needed the room; one volatile key under volatile-lru makes the choice certain.
    /// </summary>
    [Theory]
    [InlineData("no")]
    [InlineData("yes")]
    public void Eviction(string lazy)
    {
        using var _ = servers.Configure("maxmemory-policy", "volatile-lru", "lazyfree-lazy-eviction", lazy);
        EffectScript.Scenario(servers, connect =>
        {
            using var c = connect();
            c.Call("SET", "stays", "1");
            c.Call("SET", "goes", "1", "EX", "1000");
            c.Call("CONFIG", "SET", "maxmemory", "1");
            c.Call("SET", "refused", "1");
            c.Call("CONFIG", "SET", "maxmemory", "0");
            c.Call("SET", "after", "1");
        });
    }
}

/// <summary>Effects whose arguments are random (SPOP's members) or whose order follows each server's own table (SCAN), and RESTORE's payloads.</summary>
[Trait("Category", "Network")]
public class EffectStreamRandomTests(EffectServers servers) : IClassFixture<EffectServers>
{
    /// <summary>SREM's member masked: which members a random pop takes differs between the servers.</summary>
    static List<string> MaskMembers(List<string> lines) => lines.Select(l => l.StartsWith("SREM ") ? string.Join(' ', l.Split(' ')[..2]) + " ?" : l).ToList();

    /// <summary>
    /// SPOP goes as SREM of what it took; with a count, one SREM per member in the order replied
    /// (wrapped in MULTI/EXEC when more than one; 7.0 does not batch them), for both of spopWithCountCommand's
    /// strategies (few popped, or few left), and for an intset (members as decimal text) and a hashtable.
    /// </summary>
    [Theory]
    [InlineData("1 2 3 4 5 6 7 8 9 10", "3")]
    [InlineData("1 2 3 4 5 6 7 8 9 10", "9")]
    [InlineData("a b c d e f g h i j", "2")]
    [InlineData("a b c d e f g h i j", "8")]
    [InlineData("a b c", "1")]
    [InlineData("a b c", "")]
    public void SPop(string members, string count)
    {
        var replies = new List<string>();
        EffectScript.Scenario(servers, connect =>
        {
            using var c = connect();
            c.Call(["SADD", "s", .. members.Split(' ')]);
            replies.Add(c.Call(count == "" ? ["SPOP", "s"] : ["SPOP", "s", count]));
        }, canonical: MaskMembers);
        // And on Vermilion, the SREMs name exactly the members it answered, in order.
        var answered = count == "" ? [RespReply.Parse(replies[1]).Text!] : RespReply.Parse(replies[1]).Texts();
        var lines = EffectServers.Lines(servers.Sink.Bytes(), 0);
        var srems = lines.Skip(lines.FindLastIndex(l => l.StartsWith("SADD s "))).Where(l => l.StartsWith("SREM s ")).Select(l => l["SREM s ".Length..]).ToList();
        Assert.Equal(answered, srems);
    }

    /// <summary>RESTORE with a relative TTL goes with the absolute deadline and ABSTTL; one already past deletes the replaced key (DEL) or does nothing.</summary>
    [Fact]
    public void Restore()
    {
        string payload;
        using (var s = servers.Redis.Connect())
        {
            s.Call("SET", "src", "value");
            payload = RespReply.Parse(s.Call("DUMP", "src")).Text!;
        }
        EffectScript.Run(servers,
            ["RESTORE", "r1", "0", payload], ["restore", "r2", "100000", payload], ["RESTORE", "r3", "4102444800000", payload, "ABSTTL"],
            ["RESTORE", "r2", "50000", payload, "REPLACE", "IDLETIME", "10"], ["RESTORE", "r1", "1", payload, "REPLACE", "ABSTTL"],
            ["RESTORE", "r9", "1", payload, "ABSTTL"], ["RESTORE", "r3", "0", payload], ["RESTORE-ASKING", "r4", "1000", payload], ["EXISTS", "r1", "r2", "r3", "r4", "r9"]);
    }

    /// <summary>SCAN and RANDOMKEY may expire many keys: their DELs are not wrapped in MULTI/EXEC (CMD_TOUCHES_ARBITRARY_KEYS). Which order each server's table gives them differs.</summary>
    [Theory]
    [InlineData("SCAN", "0", "COUNT", "100")]
    [InlineData("RANDOMKEY")]
    public void CommandsTouchingArbitraryKeys(params string[] command)
    {
        static List<string> Sorted(List<string> lines) => lines.Order(StringComparer.Ordinal).ToList();
        EffectScript.Scenario(servers, connect =>
        {
            using var c = connect();
            c.Call("DEBUG", "SET-ACTIVE-EXPIRE", "0");
            foreach (var k in new[] { "a", "b", "c", "d" }) c.Call("SET", k, "1", "PX", "10");
            Thread.Sleep(30);
            c.Call(command);
            c.Call("DEBUG", "SET-ACTIVE-EXPIRE", "1");
        }, canonical: Sorted);
        Assert.DoesNotContain("MULTI", EffectServers.Lines(servers.Sink.Bytes(), 0));
    }

    /// <summary>
    /// WATCH, EXEC's check of watched keys and FLUSHDB's touching of them only ask whether a key
    /// has expired (keyIsExpired): they delete nothing, so they propagate nothing.
    /// </summary>
    [Fact]
    public void WatchedKeysThatExpired() => EffectScript.Run(servers,
        ["DEBUG", "SET-ACTIVE-EXPIRE", "0"], ["SET", "w1", "1", "PX", "10"], ["SET", "w2", "1", "PX", "10"], ["SET", "w3", "1", "PX", "100"], ["SLEEP", "30"],
        ["WATCH", "w1"], ["MULTI"], ["SET", "x", "1"], ["EXEC"],
        ["WATCH", "w3"], ["SLEEP", "100"], ["MULTI"], ["SET", "x", "2"], ["EXEC"],
        ["WATCH", "w2"], ["FLUSHDB"], ["DEBUG", "SET-ACTIVE-EXPIRE", "1"]);
}

/// <summary>MIGRATE between the two servers, each way: the source propagates a DEL of the keys the target took (nothing with COPY); the target its RESTOREs.</summary>
[Trait("Category", "Network")]
public class EffectStreamMigrateTests(EffectServers servers) : IClassFixture<EffectServers>
{
    [Theory]
    [InlineData("REPLACE")]
    [InlineData("COPY REPLACE")]
    public void Migrate(string options)
    {
        using var redis = servers.Redis.Connect();
        using var vermilion = servers.Vermilion.Connect();
        foreach (var s in new[] { redis, vermilion })
        {
            s.Call("FLUSHALL");
            s.Call("MSET", "k1", "a", "k2", "b", "k3", "c");
        }
        // Redis migrates to Vermilion, then Vermilion to Redis; each time the source's and the target's deltas are kept.
        var deltas = new List<string>[4];
        (int Redis, int Vermilion) Marks() => (servers.RedisAof().Length, servers.Sink.Bytes().Length);
        var before = Marks();
        Assert.Equal("+OK\r\n", redis.Call(["MIGRATE", "127.0.0.1", servers.Vermilion.Port.ToString(), "", "0", "5000", .. options.Split(' '), "KEYS", "k1", "k2"]));
        deltas[0] = EffectServers.Lines(servers.RedisAof(), before.Redis);            // Redis as the source
        deltas[1] = EffectServers.Lines(servers.Sink.Bytes(), before.Vermilion);      // Vermilion as the target
        before = Marks();
        Assert.Equal("+OK\r\n", vermilion.Call(["MIGRATE", "127.0.0.1", servers.Redis.Port.ToString(), "", "0", "5000", .. options.Split(' '), "KEYS", "k1", "k2"]));
        deltas[2] = EffectServers.Lines(servers.Sink.Bytes(), before.Vermilion);      // Vermilion as the source
        deltas[3] = EffectServers.Lines(servers.RedisAof(), before.Redis);            // Redis as the target
        DifferentialServers.AssertSame("the source's effects", string.Join("\n", deltas[0]), string.Join("\n", deltas[2]));
        DifferentialServers.AssertSame("the target's effects", string.Join("\n", deltas[3]), string.Join("\n", deltas[1]));
        Assert.Equal(options.StartsWith("COPY") ? [] : new List<string> { "DEL k1 k2" }, deltas[2]);
    }
}

/// <summary>
/// A seeded random mix of write commands over a few keys of every type (so some meet the wrong type,
/// a missing key, an empty result): every reply and every server.dirty delta the same as
/// redis-server's, then the same effect stream.
/// </summary>
[Trait("Category", "Network")]
public class EffectStreamMixTests(EffectServers servers) : IClassFixture<EffectServers>
{
    static readonly string[] Keys = ["s1", "s2", "l1", "l2", "h1", "h2", "z1", "z2", "t1", "t2", "none"];

    static string[] Next(Random r)
    {
        string K() => Keys[r.Next(Keys.Length)];
        // Mostly a key of the type the command wants (its prefix), now and then any key.
        string S() => Of('s');
        string L() => Of('l');
        string H() => Of('h');
        string T() => Of('t');
        string Z() => Of('z');
        string Of(char type) => r.Next(5) == 0 ? K() : type + (1 + r.Next(2)).ToString();
        string V() => r.Next(4) switch { 0 => r.Next(-5, 20).ToString(), 1 => "v" + r.Next(6), 2 => r.Next(100).ToString() + ".5", _ => "" };
        string M() => "m" + r.Next(8);
        string N(int max) => r.Next(max).ToString();
        string[] None = [];
        return r.Next(60) switch
        {
            0 => ["SET", S(), V()],
            1 => ["SET", S(), V(), "EX", "1000"],
            2 => ["SET", S(), V(), r.Next(2) == 0 ? "NX" : "XX", "GET"],
            3 => ["SET", S(), V(), "KEEPTTL"],
            4 => ["SETNX", S(), V()],
            5 => ["GETSET", S(), V()],
            6 => ["GETDEL", S()],
            7 => ["GETEX", S(), .. r.Next(2) == 0 ? ["PERSIST"] : new[] { "PX", "500000" }],
            8 => ["APPEND", S(), V()],
            9 => ["SETRANGE", S(), N(6), V()],
            10 => ["INCR", S()],
            11 => ["INCRBY", S(), N(10)],
            12 => ["INCRBYFLOAT", S(), "1.25"],
            13 => ["MSET", S(), V(), S(), V()],
            14 => ["MSETNX", S(), V(), S(), V()],
            15 => ["SETBIT", S(), N(20), N(2)],
            16 => ["BITFIELD", S(), "SET", "u4", N(16), N(16), "INCRBY", "u4", "0", N(3)],
            17 => ["BITOP", r.Next(2) == 0 ? "OR" : "AND", S(), S(), S()],
            18 => ["DEL", K(), K()],
            19 => ["UNLINK", K()],
            20 => ["EXPIRE", K(), r.Next(3) == 0 ? "-1" : "1000", .. r.Next(3) == 0 ? ["NX"] : None],
            21 => ["PEXPIREAT", K(), r.Next(2) == 0 ? "1" : "4102444800000"],
            22 => ["PERSIST", K()],
            23 => ["RENAME", K(), K()],
            24 => ["RENAMENX", K(), K()],
            25 => ["COPY", K(), K(), .. r.Next(2) == 0 ? ["REPLACE"] : None],
            26 => ["MOVE", K(), "1"],
            27 => ["LPUSH", L(), V(), V()],
            28 => ["RPUSH", L(), V()],
            29 => ["LPUSHX", L(), V()],
            30 => ["LPOP", L(), .. r.Next(2) == 0 ? [N(4)] : None],
            31 => ["RPOP", L()],
            32 => ["LSET", L(), N(3), V()],
            33 => ["LINSERT", L(), "BEFORE", V(), V()],
            34 => ["LREM", L(), N(3), V()],
            35 => ["LTRIM", L(), N(3), "-" + N(3)],
            36 => ["LMOVE", L(), L(), "LEFT", "RIGHT"],
            37 => ["LMPOP", "2", L(), L(), "RIGHT", "COUNT", "2"],
            38 => ["HSET", H(), M(), V(), M(), V()],
            39 => ["HSETNX", H(), M(), V()],
            40 => ["HDEL", H(), M(), M()],
            41 => ["HINCRBY", H(), M(), N(5)],
            42 => ["HINCRBYFLOAT", H(), M(), "0.5"],
            43 => ["SADD", T(), M(), M(), N(5)],
            44 => ["SREM", T(), M(), N(5)],
            45 => ["SMOVE", T(), T(), M()],
            46 => [r.Next(3) switch { 0 => "SINTERSTORE", 1 => "SUNIONSTORE", _ => "SDIFFSTORE" }, T(), T(), T()],
            47 => ["ZADD", Z(), N(5), M(), N(5), M()],
            48 => ["ZADD", Z(), r.Next(2) == 0 ? "GT" : "XX", "CH", N(5), M()],
            49 => ["ZINCRBY", Z(), N(3), M()],
            50 => ["ZREM", Z(), M(), M()],
            51 => ["ZREMRANGEBYSCORE", Z(), N(3), N(5)],
            52 => ["ZREMRANGEBYRANK", Z(), "0", N(2)],
            53 => ["ZPOPMIN", Z(), .. r.Next(2) == 0 ? [N(3)] : None],
            54 => ["ZMPOP", "1", Z(), "MAX", "COUNT", r.Next(2) == 0 ? "1" : "2"],
            55 => [r.Next(3) switch { 0 => "ZUNIONSTORE", 1 => "ZINTERSTORE", _ => "ZDIFFSTORE" }, Z(), "2", Z(), Z()],
            56 => ["ZRANGESTORE", Z(), Z(), "0", N(3)],
            57 => ["GET", S()],
            58 => ["~SPOP", T(), "100"],
            _ => ["EXISTS", K(), K()],
        };
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void RandomWrites(int seed)
    {
        var r = new Random(seed);
        var script = new List<string[]>();
        for (int i = 0; i < 800; i++)
        {
            // Now and then a few commands go in a transaction.
            if (r.Next(40) == 0)
            {
                script.Add(["MULTI"]);
                // (SPOP's reply would then be compared in order, inside EXEC's.)
                for (int j = r.Next(1, 4); j > 0; j--)
                {
                    var cmd = Next(r);
                    script.Add(cmd is ["~SPOP", var key, ..] ? ["DEL", key] : cmd);
                }
                script.Add(["EXEC"]);
            }
            else script.Add(Next(r));
        }
        int from = servers.Sink.Bytes().Length;
        EffectScript.Run(servers, [.. script]);
        // Most of the mix changes something: the comparison is not of two empty streams.
        var produced = EffectServers.Lines(servers.Sink.Bytes(), from);
        Assert.True(produced.Count > 250, $"{produced.Count} effects: {string.Join(" | ", produced.Take(40))}");
    }
}
