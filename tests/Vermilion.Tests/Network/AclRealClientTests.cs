using StackExchange.Redis;
using Xunit;

namespace Vermilion.Tests;

/// <summary>
/// Real clients authenticating with a username and password: redis-py (Debian's python3-redis, as
/// <see cref="RedisPyLockTests"/> runs it) against redis-server and Vermilion, printing the same
/// lines; StackExchange.Redis with User/Password against Vermilion.
/// </summary>
[Trait("Category", "Network")]
public class AclRealClientTests
{
    static string Python => File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";

    static readonly string[][] s_users =
    [
        ["ACL", "SETUSER", "app", "reset", "on", ">s3cret", "~app:*", "&news", "+@all", "-flushall"],
        ["ACL", "SETUSER", "default", "reset", "on", ">adminpass", "~*", "&*", "+@all"],
    ];

    const string Session = """
        import sys, redis
        port = int(sys.argv[1])
        r = redis.Redis(port=port, username='app', password='s3cret')
        print('whoami', r.acl_whoami())
        print('set', r.set('app:k', 'v'), r.get('app:k'))
        for call in (lambda: r.get('other'), lambda: r.flushall(), lambda: r.publish('sports', 'x')):
            try:
                call()
            except redis.exceptions.NoPermissionError as e:
                print('refused:', type(e).__name__, e)
        print('publish', r.publish('news', 'x'))
        p = r.pipeline(transaction=True)
        p.set('app:a', 1).incr('app:a')
        print('transaction', p.execute())
        for user, password in (('app', 'wrong'), ('nobody', 's3cret'), (None, 'wrong')):
            try:
                redis.Redis(port=port, username=user, password=password).ping()
            except (redis.exceptions.AuthenticationError, redis.exceptions.ResponseError) as e:
                print('auth failed:', type(e).__name__, e)
        try:
            redis.Redis(port=port).get('app:k')
        except (redis.exceptions.AuthenticationError, redis.exceptions.ResponseError) as e:
            print('no auth:', type(e).__name__, e)
        admin = redis.Redis(port=port, password='adminpass')
        print('admin', admin.acl_whoami(), admin.get('app:k'))
        log = admin.acl_log()
        print('log', [(e['reason'], e['object'], e['username']) for e in log])
        """;

    static string Run(int port)
    {
        var r = ExternalProcess.Run(Python, ["-c", Session, port.ToString()]);
        Assert.True(r.ExitCode == 0, $"python3 failed ({r.ExitCode}):\n{r.Stdout}\n{r.Stderr}");
        return r.Stdout;
    }

    static void Prepare(RespSocket admin)
    {
        foreach (var c in s_users) Assert.Equal("+OK\r\n", admin.Call(c));
    }

    [Fact]
    public void RedisPyWithUsernameAndPassword()
    {
        using var oracle = new OracleServer();
        using var server = new InProcessServer();
        using (var a = oracle.Connect()) Prepare(a);
        using (var a = server.Connect()) Prepare(a);
        var expected = Run(oracle.Port);
        Assert.Contains("whoami app", expected);
        Assert.Contains("refused: NoPermissionError", expected);
        Assert.Equal(expected, Run(server.Port));
    }

    [Fact]
    public async Task StackExchangeRedisWithUserAndPassword()
    {
        using var s = new InProcessServer();
        using (var a = s.Connect()) Prepare(a);
        var options = ConfigurationOptions.Parse($"127.0.0.1:{s.Port}");
        options.User = "app";
        options.Password = "s3cret";
        options.AbortOnConnectFail = true;
        options.ConnectTimeout = 5000;
        await using (var mux = await ConnectionMultiplexer.ConnectAsync(options))
        {
            var db = mux.GetDatabase();
            Assert.True(await db.StringSetAsync("app:se", "value"));
            Assert.Equal("value", (string?)await db.StringGetAsync("app:se"));
            Assert.Equal("app", (string?)await db.ExecuteAsync("ACL", "WHOAMI"));
            var refused = await Assert.ThrowsAsync<RedisServerException>(() => db.StringGetAsync("other"));
            Assert.Equal("NOPERM this user has no permissions to access one of the keys used as arguments", refused.Message);
        }
        options.Password = "wrong";
        var failed = await Assert.ThrowsAsync<RedisConnectionException>(() => ConnectionMultiplexer.ConnectAsync(options));
        Assert.Equal(ConnectionFailureType.AuthenticationFailure, failed.FailureType);
    }
}
