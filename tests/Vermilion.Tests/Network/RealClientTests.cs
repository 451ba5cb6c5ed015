using StackExchange.Redis;
using Xunit;

namespace Vermilion.Tests;

/// <summary>Vermilion driven by the clients users have: redis-cli, redis-benchmark, StackExchange.Redis.</summary>
[Trait("Category", "Network")]
public class RealClientTests
{
    static ExternalProcess.Result Cli(params string[] args) => ExternalProcess.Run("redis-cli", args);

    [Fact]
    public void RedisCliOverTcpAndUnixSocket()
    {
        using var s = new InProcessServer();
        string p = s.Port.ToString();
        Assert.Equal("PONG\n", Cli("-p", p, "PING").Stdout);
        Assert.Equal("OK\n", Cli("-p", p, "SET", "greeting", "hello world").Stdout);
        Assert.Equal("hello world\n", Cli("-p", p, "GET", "greeting").Stdout);
        Assert.Equal("hello world\n", Cli("-s", s.UnixPath, "GET", "greeting").Stdout);
        Assert.Equal("1\n", Cli("-s", s.UnixPath, "DBSIZE").Stdout);
        Assert.Equal("ERR unknown command 'NOSUCH', with args beginning with: \n\n", Cli("-p", p, "NOSUCH").Stdout);
        Assert.Contains("redis_version:7.0.15", Cli("-p", p, "INFO", "server").Stdout);
        Assert.Contains("\nproto 3\n", Cli("-p", p, "-3", "HELLO", "3").Stdout);
        // Pipe mode: many commands in one stream, and the ECHO redis-cli sends to find the end.
        var commands = string.Concat(Enumerable.Range(0, 1000).Select(i => $"SET key:{i} {i}\r\n"));
        var pipe = ExternalProcess.Run("redis-cli", ["-p", p, "--pipe"], stdin: commands);
        Assert.Equal(0, pipe.ExitCode);
        Assert.Contains("errors: 0, replies: 1000", pipe.Stdout);
        Assert.Equal("1001\n", Cli("-p", p, "DBSIZE").Stdout); // the 1000 keys and "greeting"
    }

    [Fact]
    public void RedisCliInteractiveSession()
    {
        using var s = new InProcessServer();
        var r = ExternalProcess.Run("redis-cli", ["-p", s.Port.ToString()], stdin: "SELECT 3\nSET a 1\nINCR a\nGET a\nCLIENT SETNAME cli\nCLIENT GETNAME\n");
        Assert.Equal("OK\nOK\n2\n2\nOK\ncli\n", r.Stdout);
    }

    [Fact]
    public void RedisBenchmarkRunsItsCoreTests()
    {
        using var s = new InProcessServer();
        var r = ExternalProcess.Run("redis-benchmark", ["-p", s.Port.ToString(), "-t", "ping,set,get,incr", "-n", "20000", "-c", "20", "-q", "--csv"], timeoutMs: 120_000);
        Assert.Equal(0, r.ExitCode);
        foreach (var test in new[] { "PING_INLINE", "PING_MBULK", "SET", "GET", "INCR" })
            Assert.Contains($"\"{test}\",", r.Stdout);
        Assert.DoesNotContain("ERR", r.Stdout + r.Stderr);
        Assert.Equal("20000\n", Cli("-p", s.Port.ToString(), "GET", "counter:__rand_int__").Stdout);
        // Pipelined, and over the Unix socket.
        var piped = ExternalProcess.Run("redis-benchmark", ["-s", s.UnixPath, "-t", "set,get", "-n", "20000", "-P", "16", "-q", "--csv"], timeoutMs: 120_000);
        Assert.Equal(0, piped.ExitCode);
        Assert.Contains("\"GET\",", piped.Stdout);
    }

    [Fact]
    public async Task StackExchangeRedisConnectsAndWorks()
    {
        using var s = new InProcessServer();
        var options = ConfigurationOptions.Parse($"127.0.0.1:{s.Port}");
        options.AbortOnConnectFail = true;
        options.ConnectTimeout = 5000;
        await using var mux = await ConnectionMultiplexer.ConnectAsync(options);
        var db = mux.GetDatabase();
        Assert.True(await db.StringSetAsync("se:key", "value"));
        Assert.Equal("value", (string?)await db.StringGetAsync("se:key"));
        Assert.Equal(1, await db.StringIncrementAsync("se:counter"));
        Assert.True(await db.KeyExistsAsync("se:key"));
        Assert.True(await db.KeyDeleteAsync("se:key"));
        Assert.False((await db.StringGetAsync("se:key")).HasValue);
        var server = mux.GetServer(mux.GetEndPoints()[0]);
        Assert.Equal(new Version(7, 0, 15), server.Version);
        Assert.Equal(RedisProtocol.Resp3, server.Protocol);
        var ping = await db.PingAsync();
        Assert.True(ping < TimeSpan.FromSeconds(5));
        // Its connections are listed besides ours, named through CLIENT SETNAME as it does on connect.
        using var raw = s.Connect();
        var lines = raw.Call("CLIENT", "LIST").Split('\n').Where(l => l.Contains(" addr=")).ToArray();
        Assert.True(lines.Length >= 2);
        Assert.Contains(lines, l => !l.Contains(" name= "));
    }
}
