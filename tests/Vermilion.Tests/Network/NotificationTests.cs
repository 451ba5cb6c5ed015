using Xunit;

namespace Vermilion.Tests;

/// <summary>
/// Keyspace notifications against redis-server 7.0.15: a subscriber on both servers listens to
/// every keyspace and keyevent channel, the same script runs on both, and the event streams are
/// compared message by message.
/// </summary>
[Trait("Category", "Network")]
public class NotificationTests(DifferentialServers servers) : IClassFixture<DifferentialServers>
{
    /// <summary>
    /// The script runs with notify-keyspace-events set to <paramref name="classes"/> ("SLEEP ms"
    /// waits); the transcript is the events a pattern subscriber received, "channel payload" each.
    /// Only the events are compared: replies are the command tests' business (and SPOP's are random).
    /// </summary>
    void Same(string classes, params string[][] script) => servers.Same(connect =>
    {
        using var admin = connect();
        using var listener = connect();
        admin.Call("FLUSHALL");
        Assert.Equal("+OK\r\n", admin.Call("CONFIG", "SET", "notify-keyspace-events", classes));
        listener.Call("PSUBSCRIBE", "__key*__:*");
        foreach (var cmd in script)
        {
            if (cmd[0] == "SLEEP") Thread.Sleep(int.Parse(cmd[1]));
            else admin.Call(cmd);
        }
        // Every message before the marker's reply: pmessage, pattern, channel, payload; "channel payload" is kept.
        var messages = RespReply.ParseAll(listener.RequestAll(""));
        admin.Call("CONFIG", "SET", "notify-keyspace-events", "");
        return messages.Select(m => m.Items![2].Text + " " + m.Items[3].Text).ToList();
    });

    [Theory]
    [InlineData("KEA")]
    [InlineData("Eg")]
    [InlineData("Kgn")]
    [InlineData("Ex")]
    public void GenericCommands(string classes) => Same(classes,
        ["SET", "a", "1"], ["SET", "b", "2"], ["DEL", "a", "nosuch", "b"], ["SET", "k", "v"], ["EXPIRE", "k", "100"], ["PEXPIRE", "k", "5000", "NX"],
        ["PERSIST", "k"], ["PERSIST", "k"], ["EXPIRE", "k", "-1"], ["SET", "k", "v"], ["RENAME", "k", "k2"], ["SET", "k3", "x"],
        ["RENAMENX", "k2", "k3"], ["RENAME", "k2", "k3"], ["MOVE", "k3", "1"], ["SET", "c", "1"], ["COPY", "c", "d"], ["COPY", "c", "d", "REPLACE"],
        ["COPY", "c", "e", "DB", "2"], ["UNLINK", "c", "d"], ["SET", "t", "1", "PX", "20"], ["SLEEP", "100"], ["GET", "t"],
        ["SET", "r", "1"], ["EXPIREAT", "r", "1"], ["SWAPDB", "0", "1"], ["FLUSHDB"], ["SELECT", "0"]);

    [Theory]
    [InlineData("KEA")]
    [InlineData("KE$m")]
    [InlineData("En$")]
    public void StringCommands(string classes) => Same(classes,
        ["SET", "s", "1"], ["SET", "s", "2", "NX"], ["SET", "s", "3", "XX", "EX", "100"], ["SET", "s", "4", "KEEPTTL", "GET"],
        ["SETEX", "e", "100", "v"], ["PSETEX", "p", "100000", "v"], ["SETNX", "n", "1"], ["SETNX", "n", "2"], ["GETSET", "n", "3"],
        ["INCR", "i"], ["DECR", "i"], ["INCRBY", "i", "5"], ["DECRBY", "i", "2"], ["INCR", "s"], ["APPEND", "ap", "x"], ["APPEND", "ap", "y"],
        ["SETRANGE", "sr", "3", "z"], ["SETRANGE", "sr", "0", ""], ["GETEX", "s", "PERSIST"], ["GETEX", "s", "EX", "100"], ["GETEX", "s", "PERSIST"],
        ["GETEX", "s", "PXAT", "1"], ["GETDEL", "n"], ["GETDEL", "n"], ["MSET", "m1", "a", "m2", "b"], ["MSETNX", "m3", "c", "m4", "d"],
        ["MSETNX", "m1", "x", "m5", "y"], ["GET", "missing"], ["MGET", "m1", "missing2"], ["STRLEN", "missing3"], ["GETRANGE", "missing4", "0", "1"]);

    [Fact]
    public void BitmapAndFloatCommands() => Same("KEA",
        ["SETBIT", "b", "7", "1"], ["SETBIT", "b", "7", "1"], ["BITOP", "OR", "d", "b", "nosuch"], ["BITOP", "AND", "d", "x", "y"],
        ["BITFIELD", "f", "GET", "u8", "0"], ["BITFIELD", "f", "SET", "u8", "0", "255"], ["BITFIELD", "f", "OVERFLOW", "FAIL", "INCRBY", "u8", "0", "1"],
        ["INCRBYFLOAT", "fl", "1.5"], ["INCRBYFLOAT", "fl", "abc"], ["LCS", "b", "fl"]);

    [Theory]
    [InlineData("KEA")]
    [InlineData("Em")]
    public void SetCommands(string classes) => Same(classes,
        ["SADD", "s", "1", "2", "3"], ["SADD", "s", "1"], ["SREM", "s", "9"], ["SREM", "s", "1"], ["SMOVE", "s", "t", "2"], ["SMOVE", "s", "t", "3"],
        ["SADD", "u", "a", "b", "c", "d", "e", "f", "g", "h", "i", "j"], ["SPOP", "u"], ["SPOP", "u", "2"], ["SPOP", "u", "0"], ["SPOP", "u", "100"],
        ["SADD", "x", "1", "2"], ["SADD", "y", "2", "3"], ["SINTERSTORE", "d", "x", "y"], ["SUNIONSTORE", "d", "x", "y"], ["SDIFFSTORE", "d", "x", "x"],
        ["SINTERSTORE", "d", "x", "nosuch"], ["SADD", "d", "1"], ["SINTERSTORE", "d", "x", "nosuch"], ["SREM", "t", "2", "3"], ["SPOP", "nosuch"], ["SCARD", "nosuch"], ["SMEMBERS", "nosuch"]);

    [Theory]
    [InlineData("KEA")]
    [InlineData("Km")]
    public void HashCommands(string classes) => Same(classes,
        ["HSET", "h", "a", "1", "b", "2"], ["HSET", "h", "a", "1"], ["HMSET", "h", "c", "3"], ["HSETNX", "h", "a", "9"], ["HSETNX", "h", "d", "4"],
        ["HINCRBY", "h", "n", "5"], ["HINCRBY", "h", "a", "x"], ["HINCRBYFLOAT", "h", "f", "1.5"], ["HDEL", "h", "zz"], ["HDEL", "h", "a", "b"],
        ["HDEL", "h", "c", "d", "n", "f"], ["HINCRBY", "new", "n", "1"], ["HGET", "nosuch", "f"], ["HGETALL", "nosuch"], ["HLEN", "nosuch"]);

    [Theory]
    [InlineData("KEA")]
    [InlineData("Elm")]
    public void ListCommands(string classes) => Same(classes,
        ["RPUSH", "l", "a", "b", "c", "d"], ["LPUSH", "l", "z"], ["LPUSHX", "l", "y"], ["RPUSHX", "nosuch", "x"], ["LPOP", "l"], ["RPOP", "l", "2"],
        ["RPOP", "l", "0"], ["LSET", "l", "0", "q"], ["LINSERT", "l", "BEFORE", "q", "p"], ["LINSERT", "l", "BEFORE", "zz", "p"], ["LREM", "l", "0", "zz"],
        ["LREM", "l", "1", "p"], ["RPUSH", "m", "1", "2", "3"], ["LTRIM", "m", "0", "0"], ["LTRIM", "m", "5", "9"], ["RPUSH", "s", "x"],
        ["LMOVE", "s", "d", "LEFT", "RIGHT"], ["RPOPLPUSH", "d", "d"], ["LMPOP", "2", "nosuch", "d", "LEFT", "COUNT", "5"], ["BLPOP", "l", "0"],
        ["BRPOP", "l", "0"], ["BLPOP", "gone", "0.01"], ["LRANGE", "nosuch", "0", "-1"], ["LLEN", "nosuch"]);

    [Theory]
    [InlineData("KEA")]
    [InlineData("Ezm")]
    public void SortedSetCommands(string classes) => Same(classes,
        ["ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d"], ["ZADD", "z", "1", "a"], ["ZADD", "z", "XX", "CH", "5", "a"], ["ZADD", "z", "INCR", "1", "b"],
        ["ZINCRBY", "z", "1", "c"], ["ZADD", "inf", "inf", "x"], ["ZADD", "inf", "INCR", "-inf", "x"], ["ZREM", "z", "nope"], ["ZREM", "z", "d"],
        ["ZREMRANGEBYRANK", "z", "5", "9"], ["ZREMRANGEBYSCORE", "z", "-inf", "2.5"], ["ZADD", "l", "0", "a", "0", "b", "0", "c"],
        ["ZREMRANGEBYLEX", "l", "[a", "[a"], ["ZPOPMIN", "l"], ["ZPOPMAX", "l", "5"], ["ZPOPMIN", "l"], ["ZADD", "p", "1", "x", "2", "y"],
        ["ZMPOP", "1", "p", "MIN"], ["BZPOPMAX", "p", "0"], ["ZADD", "s1", "1", "a"], ["ZADD", "s2", "2", "a", "3", "b"],
        ["ZUNIONSTORE", "dst", "2", "s1", "s2"], ["ZINTERSTORE", "dst", "2", "s1", "s2"], ["ZDIFFSTORE", "dst", "2", "s1", "s2"],
        ["ZRANGESTORE", "dst", "s2", "0", "-1"], ["ZRANGESTORE", "dst", "s2", "5", "9"], ["ZSCORE", "nosuch", "a"], ["ZREMRANGEBYRANK", "z", "0", "-1"]);

    /// <summary>GEOADD notifies as the ZADD it is; a stored search as georadiusstore or geosearchstore, an empty one as the deletion.</summary>
    [Theory]
    [InlineData("KEA")]
    [InlineData("Ezgm")]
    public void GeoCommands(string classes) => Same(classes,
        ["GEOADD", "g", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania"], ["GEOADD", "g", "NX", "13", "38", "Palermo"],
        ["GEOADD", "g", "XX", "13", "38", "Palermo"], ["GEOADD", "g", "200", "38", "bad"], ["GEOSEARCH", "nosuch", "FROMMEMBER", "a", "BYRADIUS", "1", "km"],
        ["GEOSEARCHSTORE", "dst", "g", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km"], ["GEORADIUS", "g", "15", "37", "200", "km", "STOREDIST", "dst2"],
        ["GEORADIUSBYMEMBER", "g", "Palermo", "1", "km", "STORE", "dst3"], ["GEOSEARCHSTORE", "dst", "g", "FROMLONLAT", "0", "0", "BYRADIUS", "1", "km"],
        ["GEORADIUS", "g", "0", "0", "1", "km", "STORE", "dst2"], ["GEOPOS", "nosuch", "a"], ["GEODIST", "nosuch", "a", "b"], ["GEOHASH", "nosuch", "a"]);

    [Fact]
    public void ClassesFilterAndFormat()
    {
        using var pair = servers.Connect(new SameOptions { Flush = false });
        foreach (var value in new[] { "KEA", "AKE", "Kg$", "Elshz", "Kx", "Em", "En", "KA", "K", "Ax", "gA", "z", "An", "q", "", "$lshzxetd" })
        {
            pair.Same(["CONFIG", "SET", "notify-keyspace-events", value]);
            pair.Same(["CONFIG", "GET", "notify-keyspace-events"]);
        }
        foreach (var s in pair.Both) s.Call("CONFIG", "SET", "notify-keyspace-events", "");
    }
}
