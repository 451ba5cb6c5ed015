using Xunit;

namespace Vermilion.Tests;

/// <summary>Deadlines on keys: the commands against redis-server 7.0.15, and expiry itself (lazy and active).</summary>
[Trait("Category", "Network")]
public class ExpiryTests(DifferentialServers servers) : IClassFixture<DifferentialServers>
{
    void Same(params string[][] script) => servers.Same(SameOptions.RemainingTimesBySign, script);

    [Fact]
    public void ExpireFamily() => Same(
        ["SET", "k", "v"], ["TTL", "k"], ["PTTL", "k"], ["EXPIRETIME", "k"], ["TTL", "nokey"], ["PEXPIRETIME", "nokey"],
        ["EXPIRE", "k", "1000"], ["TTL", "k"], ["PTTL", "k"], ["EXPIRETIME", "k"], ["PEXPIRETIME", "k"],
        ["EXPIRE", "k", "100", "NX"], ["EXPIRE", "k", "100", "XX"], ["TTL", "k"], ["EXPIRE", "k", "50", "GT"], ["EXPIRE", "k", "500", "GT"],
        ["EXPIRE", "k", "600", "LT"], ["EXPIRE", "k", "60", "LT"], ["PERSIST", "k"], ["PERSIST", "k"], ["TTL", "k"],
        ["EXPIRE", "k", "100", "GT"], ["EXPIRE", "k", "100", "LT"], ["PERSIST", "k"], ["EXPIRE", "k", "100", "XX"], ["EXPIRE", "k", "100", "NX"],
        ["EXPIRE", "k", "100", "NX", "XX"], ["EXPIRE", "k", "100", "GT", "LT"], ["EXPIRE", "k", "100", "NX", "GT"], ["EXPIRE", "k", "100", "FOO"],
        ["EXPIRE", "k", "abc"], ["EXPIRE", "k", "1.5"], ["EXPIRE", "k", "9223372036854775807"], ["EXPIRE", "k", "-9223372036854775808"],
        ["PEXPIRE", "k", "9223372036854775807"], ["EXPIREAT", "k", "9223372036854775807"], ["PEXPIREAT", "k", "9223372036854775807"],
        ["EXPIRE", "nokey", "100"], ["EXPIRE", "nokey", "abc"], ["PERSIST", "nokey"],
        ["PEXPIRE", "k", "100000"], ["TTL", "k"], ["PEXPIREAT", "k", "4102444800000"], ["EXPIRETIME", "k"], ["PEXPIRETIME", "k"],
        ["EXPIREAT", "k", "4102444800"], ["EXPIRETIME", "k"], ["EXPIRE", "k", "0"], ["EXISTS", "k"],
        ["SET", "k", "v"], ["EXPIRE", "k", "-1"], ["EXISTS", "k"], ["SET", "k", "v"], ["EXPIREAT", "k", "1"], ["GET", "k"],
        ["SET", "k", "v"], ["PEXPIREAT", "k", "1"], ["DBSIZE"], ["EXPIRE"], ["EXPIRE", "k"], ["TTL"], ["TTL", "a", "b"], ["PERSIST"]);

    [Fact]
    public void WritesKeepOrDropTheDeadline() => Same(
        ["SET", "k", "1", "EX", "1000"], ["INCR", "k"], ["TTL", "k"], ["APPEND", "k", "0"], ["TTL", "k"], ["SETRANGE", "k", "0", "3"], ["TTL", "k"],
        ["SET", "k", "2", "KEEPTTL"], ["TTL", "k"], ["SET", "k", "3"], ["TTL", "k"], ["EXPIRE", "k", "1000"], ["GETSET", "k", "4"], ["TTL", "k"],
        ["EXPIRE", "k", "1000"], ["MSET", "k", "5"], ["TTL", "k"], ["EXPIRE", "k", "1000"], ["SETNX", "k", "6"], ["TTL", "k"],
        ["EXPIRE", "k", "1000"], ["DEL", "k"], ["SET", "k", "7"], ["TTL", "k"], ["SET", "k", "8", "PX", "5000000", "GET"], ["TTL", "k"],
        ["SET", "k", "9", "NX", "EX", "5"], ["TTL", "k"], ["SET", "k", "9", "XX", "EXAT", "4102444800"], ["EXPIRETIME", "k"]);

    [Fact]
    public void SetExpiryOptions() => Same(
        ["SET", "k", "v", "EX", "100"], ["TTL", "k"], ["SET", "k", "v", "PX", "100000"], ["TTL", "k"], ["SET", "k", "v", "EXAT", "4102444800"],
        ["EXPIRETIME", "k"], ["SET", "k", "v", "PXAT", "4102444800000"], ["PEXPIRETIME", "k"], ["SET", "k", "v", "EX", "10", "EX", "20"], ["TTL", "k"],
        ["SET", "k", "v", "EX", "0"], ["SET", "k", "v", "EX", "-1"], ["SET", "k", "v", "PX", "0"], ["SET", "k", "v", "EX", "abc"],
        ["SET", "k", "v", "EX"], ["SET", "k", "v", "EX", "10", "PX", "10"], ["SET", "k", "v", "KEEPTTL", "EX", "10"], ["SET", "k", "v", "EX", "10", "KEEPTTL"],
        ["SET", "k", "v", "PERSIST"], ["SET", "k", "v", "EXAT", "9223372036854775807"], ["SET", "k", "v", "PX", "9223372036854775807"],
        ["SET", "k", "v", "EX", "9223372036854775"], ["SET", "k", "v", "NX", "XX"], ["SET", "k", "v", "XX", "NX", "EX", "5"],
        ["SET", "k", "v", "EXAT", "1"], ["GET", "k"], ["SET", "k", "v", "GET", "EX", "abc"], ["SET", "k", "v", "ex", "100", "get"],
        ["SETEX", "k", "100", "v"], ["TTL", "k"], ["SETEX", "k", "0", "v"], ["SETEX", "k", "-1", "v"], ["SETEX", "k", "abc", "v"], ["SETEX", "k", "100"],
        ["PSETEX", "k", "100000", "v"], ["TTL", "k"], ["PSETEX", "k", "0", "v"], ["SETEX", "k", "9223372036854775807", "v"]);

    [Fact]
    public void GetEx() => Same(
        ["SET", "k", "v"], ["GETEX", "k"], ["TTL", "k"], ["GETEX", "k", "EX", "100"], ["TTL", "k"], ["GETEX", "k", "PERSIST"], ["TTL", "k"],
        ["GETEX", "k", "PX", "100000"], ["TTL", "k"], ["GETEX", "k", "EXAT", "4102444800"], ["EXPIRETIME", "k"], ["GETEX", "k", "PXAT", "4102444800000"],
        ["GETEX", "k", "EX", "0"], ["GETEX", "k", "EX", "abc"], ["GETEX", "k", "PERSIST", "EX", "10"], ["GETEX", "k", "EX", "10", "PERSIST"],
        ["GETEX", "k", "KEEPTTL"], ["GETEX", "k", "NX"], ["GETEX", "k", "GET"], ["GETEX", "k", "FOO"], ["GETEX", "k", "EX"],
        ["GETEX", "nokey", "EX", "10"], ["GETEX", "nokey", "EX", "abc"], ["GETEX", "k", "EXAT", "1"], ["EXISTS", "k"], ["GETEX"]);

    [Fact]
    public void ExpiredKeysDisappearOnAccess()
    {
        using var s = new InProcessServer();
        using var c = s.Connect();
        Assert.Equal("+OK\r\n", c.Call("SET", "short", "v", "PX", "50"));
        Assert.Equal("$1\r\nv\r\n", c.Call("GET", "short"));
        Thread.Sleep(150);
        Assert.Equal("$-1\r\n", c.Call("GET", "short"));
        Assert.Equal(":-2\r\n", c.Call("TTL", "short"));
        Assert.Contains("expired_keys:1\r\n", c.Call("INFO", "stats"));
        // KEYS skips a key past its deadline even before anything deleted it.
        Assert.Equal("+OK\r\n", c.Call("SET", "brief", "v", "PX", "30"));
        Assert.Equal("+OK\r\n", c.Call("SET", "stays", "v"));
        Thread.Sleep(80);
        Assert.Equal("*1\r\n$5\r\nstays\r\n", c.Call("KEYS", "*"));
    }

    [Fact]
    public void ActiveCycleRemovesExpiredKeysNobodyTouches()
    {
        using var s = new InProcessServer();
        using var c = s.Connect();
        for (int i = 0; i < 2000; i++) c.Send(RespSocket.Encode("SET", "tmp:" + i, "v", "PX", "100"));
        for (int i = 0; i < 500; i++) c.Send(RespSocket.Encode("SET", "keep:" + i, "v", "EX", "1000"));
        for (int i = 0; i < 2500; i++) Assert.Equal("+OK\r\n", c.ReadReply());
        // (No exact count before the wait: on a loaded machine some tmp keys are already gone.)
        Assert.True(InProcessServer.WaitFor(() => c.Call("DBSIZE") == ":500\r\n", 10_000), "expired keys were not collected: " + c.Call("DBSIZE"));
        Assert.Contains("expired_keys:2000\r\n", c.Call("INFO", "stats"));
        var keyspace = c.Call("INFO", "keyspace");
        Assert.Matches(@"db0:keys=500,expires=500,avg_ttl=\d{6}", keyspace);
    }
}
