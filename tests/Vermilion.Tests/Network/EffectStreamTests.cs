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
