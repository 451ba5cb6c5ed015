using System.Net;
using System.Net.Sockets;
using Xunit;

namespace Vermilion.Tests;

/// <summary>
/// MIGRATE and RESTORE-ASKING: keys of every type move Vermilion → redis-server, redis-server →
/// Vermilion and Vermilion → Vermilion; COPY, REPLACE, KEYS, AUTH and AUTH2 work; errors are
/// redis-server's for the same request toward the same target; the connection cache is reused,
/// counted in INFO and released; a silent target costs one timeout, not the server.
/// </summary>
[Trait("Category", "Network")]
public class MigrateTests(DifferentialServers servers) : IClassFixture<DifferentialServers>
{
    const string Host = "127.0.0.1";

    /// <summary>One key of each type and encoding (an integer string, a raw one, small and big collections), two with a TTL.</summary>
    static readonly string[][] EveryType =
    [
        ["SET", "str:int", "12345"],
        ["SET", "str:raw", "hello \x00\xff world"],
        ["SET", "str:big", new string('x', 100_000)],
        ["PEXPIRE", "str:raw", "100000"],
        ["RPUSH", "list", "a", "b", "c", "12"],
        ["SADD", "set:int", "1", "2", "3"],
        ["SADD", "set:str", "a", "b", "c"],
        ["HSET", "hash", "f1", "v1", "f2", "v2"],
        ["ZADD", "zset", "1.5", "a", "-2", "b", "inf", "c"],
        ["PEXPIRE", "zset", "200000"],
    ];

    static readonly string[] EveryKey = ["str:int", "str:raw", "str:big", "list", "set:int", "set:str", "hash", "zset"];

    /// <summary>A key's value in a form that does not depend on hash order: its type and sorted contents.</summary>
    static string Contents(RespSocket s, string key)
    {
        string type = s.Call("TYPE", key);
        string value = type switch
        {
            "+string\r\n" => s.Call("GET", key),
            "+list\r\n" => s.Call("LRANGE", key, "0", "-1"),
            "+set\r\n" => string.Join(",", s.Call("SMEMBERS", key).Split("\r\n").Order()),
            "+hash\r\n" => string.Join(",", s.Call("HGETALL", key).Split("\r\n").Order()),
            "+zset\r\n" => s.Call("ZRANGE", key, "0", "-1", "WITHSCORES"),
            _ => "",
        };
        return type + value;
    }

    static void Setup(RespSocket s)
    {
        Assert.Equal("+OK\r\n", s.Call("FLUSHALL"));
        foreach (var cmd in EveryType) Assert.DoesNotMatch("^-", s.Call(cmd));
    }

    static long Info(RespSocket s, string field)
    {
        foreach (var line in s.Call("INFO", "stats").Split("\r\n"))
            if (line.StartsWith(field + ":")) return long.Parse(line[(field.Length + 1)..]);
        throw new InvalidOperationException(field + " not in INFO stats");
    }

    /// <summary>Every type, one MIGRATE per key and then the KEYS form with COPY: contents and TTLs arrive, the source loses the keys only without COPY.</summary>
    static void MigrateEveryType(RespSocket source, RespSocket target, int targetPort)
    {
        Setup(source);
        Assert.Equal("+OK\r\n", target.Call("FLUSHALL"));
        var expected = EveryKey.ToDictionary(k => k, k => Contents(source, k));

        // The KEYS form with COPY: everything arrives, the source keeps it all.
        Assert.Equal("+OK\r\n", source.Call(["MIGRATE", Host, targetPort.ToString(), "", "0", "5000", "COPY", "KEYS", .. EveryKey]));
        foreach (var key in EveryKey)
        {
            Assert.Equal(expected[key], Contents(target, key));
            Assert.Equal(expected[key], Contents(source, key));
        }
        AssertTtl(target, "str:raw", 100_000);
        AssertTtl(target, "zset", 200_000);
        Assert.Equal(":-1\r\n", target.Call("PTTL", "hash"));

        // One key at a time, REPLACE over the copies: the source's keys go.
        foreach (var key in EveryKey)
            Assert.Equal("+OK\r\n", source.Call("MIGRATE", Host, targetPort.ToString(), key, "0", "5000", "REPLACE"));
        Assert.Equal(":0\r\n", source.Call("DBSIZE"));
        foreach (var key in EveryKey) Assert.Equal(expected[key], Contents(target, key));
        AssertTtl(target, "str:raw", 100_000);
    }

    static void AssertTtl(RespSocket s, string key, long set)
    {
        long ttl = long.Parse(s.Call("PTTL", key)[1..^2]);
        Assert.InRange(ttl, set - 60_000, set);
    }

    [Fact]
    public void VermilionToRedis()
    {
        using var target = new OracleServer();
        using var source = servers.Vermilion.Connect();
        using var t = RespSocket.Tcp(target.Port);
        MigrateEveryType(source, t, target.Port);
    }

    [Fact]
    public void RedisToVermilion()
    {
        using var target = new InProcessServer();
        using var source = RespSocket.Tcp(servers.Redis.Port);
        using var t = target.Connect();
        MigrateEveryType(source, t, target.Port);
    }

    [Fact]
    public void VermilionToVermilion()
    {
        using var target = new InProcessServer();
        using var source = servers.Vermilion.Connect();
        using var t = target.Connect();
        MigrateEveryType(source, t, target.Port);
    }

    /// <summary>SELECT is sent for the destination db (and again only when it changes); a db the target lacks is its error.</summary>
    [Fact]
    public void DestinationDb()
    {
        using var target = new InProcessServer();
        using var source = servers.Vermilion.Connect();
        using var t = target.Connect();
        source.Call("FLUSHALL");
        foreach (var (key, db) in new[] { ("a", "3"), ("b", "3"), ("c", "0"), ("d", "5") })
        {
            source.Call("SET", key, db);
            Assert.Equal("+OK\r\n", source.Call("MIGRATE", Host, target.Port.ToString(), key, db, "5000"));
            t.Call("SELECT", db);
            Assert.Equal($"${db.Length}\r\n{db}\r\n", t.Call("GET", key));
        }
        source.Call("SET", "e", "x");
        Assert.Equal("-ERR Target instance replied with error: ERR DB index is out of range\r\n",
            source.Call("MIGRATE", Host, target.Port.ToString(), "e", "16", "5000"));
        // As in Redis, the RESTORE after the failed SELECT still ran, in the db selected before (5).
        t.Call("SELECT", "5");
        Assert.Equal("$1\r\nx\r\n", t.Call("GET", "e"));
        Assert.Equal("$1\r\nx\r\n", source.Call("GET", "e"));
        Assert.Equal("+OK\r\n", source.Call("MIGRATE", Host, target.Port.ToString(), "e", "5", "5000", "REPLACE"));
        Assert.Equal(":0\r\n", source.Call("EXISTS", "e"));
    }

    /// <summary>A target that requires a password: AUTH and AUTH2 carry it; a wrong one is the target's error, as from redis-server.</summary>
    [Fact]
    public void Authentication()
    {
        using var target = new OracleServer();
        using (var t = RespSocket.Tcp(target.Port)) Assert.Equal("+OK\r\n", t.Call("CONFIG", "SET", "requirepass", "s3cret"));
        string port = target.Port.ToString();
        servers.Same(
            ["SET", "k1", "v"],
            ["MIGRATE", Host, port, "k1", "0", "5000", "REPLACE"],
            ["MIGRATE", Host, port, "k1", "0", "5000", "REPLACE", "AUTH", "wrong"],
            ["MIGRATE", Host, port, "k1", "0", "5000", "REPLACE", "AUTH2", "default", "wrong"],
            ["MIGRATE", Host, port, "k1", "0", "5000", "REPLACE", "AUTH2", "nobody", "s3cret"],
            ["EXISTS", "k1"],
            ["MIGRATE", Host, port, "k1", "0", "5000", "COPY", "REPLACE", "AUTH", "s3cret"],
            ["EXISTS", "k1"],
            ["MIGRATE", Host, port, "k1", "0", "5000", "REPLACE", "AUTH2", "default", "s3cret"],
            ["EXISTS", "k1"]);
        using var check = RespSocket.Tcp(target.Port);
        Assert.Equal("+OK\r\n", check.Call("AUTH", "s3cret"));
        Assert.Equal("$1\r\nv\r\n", check.Call("GET", "k1"));
    }

    /// <summary>The same requests to redis-server and to Vermilion, toward one redis-server target: every error and NOKEY is Redis's.</summary>
    [Fact]
    public void ErrorsAsRedis()
    {
        using var target = new OracleServer();
        using (var t = RespSocket.Tcp(target.Port)) Assert.Equal("+OK\r\n", t.Call("SET", "busy", "there"));
        string port = target.Port.ToString();
        string refused = InProcessServer.FreeTcpPort().ToString();
        servers.Same(
            ["SET", "busy", "here"],
            ["SET", "k", "v"],
            // BUSYKEY without REPLACE, and the key stays here.
            ["MIGRATE", Host, port, "busy", "0", "5000"],
            ["GET", "busy"],
            ["MIGRATE", Host, port, "", "0", "5000", "KEYS", "busy", "nothere"],
            // NOKEY: nothing to move, nothing connected.
            ["MIGRATE", Host, port, "nothere", "0", "5000"],
            ["MIGRATE", Host, port, "", "0", "5000", "KEYS", "x", "y"],
            ["MIGRATE", Host, port, "", "0", "5000", "KEYS"],
            ["MIGRATE", Host, "1", "nothere", "0", "5000"],
            // The target's refusals.
            // A db the target lacks; -1 is also the "unknown" mark of a cached connection after an error, so it sends no SELECT.
            ["MIGRATE", Host, port, "k", "-1", "5000", "COPY", "REPLACE"],
            ["MIGRATE", Host, port, "k", "99999999999", "5000", "COPY", "REPLACE"],
            ["MIGRATE", Host, port, "k", "-1", "5000", "COPY", "REPLACE"],
            // No connection: a refused port is a write error (Redis 7.0 reports the connect as done), a name that does not resolve is not.
            ["MIGRATE", Host, refused, "k", "0", "1000"],
            ["MIGRATE", Host, "abc", "k", "0", "1000"],
            ["MIGRATE", Host, "-1", "k", "0", "1000"],
            ["MIGRATE", "", port, "k", "0", "1000"],
            ["MIGRATE", "no-such-host.invalid", port, "k", "0", "1000"],
            ["GET", "k"],
            // Arguments.
            ["MIGRATE"],
            ["MIGRATE", Host, port, "k", "0"],
            ["MIGRATE", Host, port, "k", "0", "x"],
            ["MIGRATE", Host, port, "k", "x", "1000"],
            ["MIGRATE", Host, port, "k", "x", "y"],
            ["MIGRATE", Host, port, "k", "0", "99999999999999999999"],
            ["MIGRATE", Host, port, "k", "0", "1000", "BOGUS"],
            ["MIGRATE", Host, port, "k", "0", "1000", "AUTH"],
            ["MIGRATE", Host, port, "k", "0", "1000", "AUTH2", "u"],
            ["MIGRATE", Host, port, "k", "0", "1000", "KEYS", "k"],
            ["MIGRATE", Host, port, "k", "x", "1000", "BOGUS"],
            ["MIGRATE", Host, port, "k", "x", "1000", "KEYS", "k"],
            ["MIGRATE", Host, port, "", "0", "1000", "COPY", "KEYS", "COPY"],
            ["MIGRATE", Host, port, "\x00\xff", "0", "-5", "copy", "replace", "auth", "\x00", "auth2", "a", "b"],
            ["EXISTS", "k"]);
    }

    /// <summary>MIGRATE's keys for COMMAND GETKEYS (migrateGetKeys): the key, or those after KEYS.</summary>
    [Fact]
    public void GetKeys() => servers.Same(
        ["COMMAND", "GETKEYS", "MIGRATE", Host, "1", "k", "0", "0"],
        ["COMMAND", "GETKEYS", "MIGRATE", Host, "1", "", "0", "0", "KEYS", "a", "b", "c"],
        ["COMMAND", "GETKEYS", "MIGRATE", Host, "1", "", "0", "0", "AUTH", "keys", "KEYS", "a"],
        ["COMMAND", "GETKEYS", "MIGRATE", Host, "1", "", "0", "0", "AUTH2", "keys", "keys", "COPY", "KEYS", "a"],
        ["COMMAND", "GETKEYS", "MIGRATE", Host, "1", "k", "0", "0", "KEYS", "a"],
        ["COMMAND", "GETKEYS", "MIGRATE", Host, "1", "", "0", "0", "KEYS"],
        ["COMMAND", "GETKEYSANDFLAGS", "MIGRATE", Host, "1", "", "0", "0", "REPLACE", "KEYS", "a", "b"],
        ["COMMAND", "GETKEYSANDFLAGS", "MIGRATE", Host, "1", "k", "0", "0"],
        ["COMMAND", "GETKEYS", "RESTORE-ASKING", "k", "0", "x"],
        ["COMMAND", "INFO", "MIGRATE", "RESTORE-ASKING"],
        ["COMMAND", "DOCS", "RESTORE-ASKING"]);

    /// <summary>RESTORE-ASKING is RESTORE: the same replies for the same payloads and options.</summary>
    [Fact]
    public void RestoreAsking()
    {
        string payload;
        using (var r = RespSocket.Tcp(servers.Redis.Port))
        {
            r.Call("SET", "src", "value");
            string dump = r.Call("DUMP", "src");
            int start = dump.IndexOf("\r\n") + 2;
            payload = dump[start..^2];
        }
        servers.Same(
            ["RESTORE-ASKING", "k", "0", payload],
            ["GET", "k"],
            ["RESTORE-ASKING", "k", "0", payload],
            ["RESTORE-ASKING", "k", "100000", payload, "REPLACE"],
            ["EXISTS", "k"],
            ["RESTORE-ASKING", "k2", "0", "garbage"],
            ["RESTORE-ASKING", "k2", "-1", payload],
            ["RESTORE-ASKING", "k2", "x", payload],
            ["RESTORE-ASKING", "k2", "0", payload, "BOGUS"],
            ["RESTORE-ASKING", "k2", "0"]);
    }

    /// <summary>
    /// The connection to a target is cached (one connection serves several MIGRATEs), counted in
    /// migrate_cached_sockets, reopened when the target dropped it, and closed by the cron after
    /// 10 idle seconds.
    /// </summary>
    [Fact]
    public void CachedConnection()
    {
        using var target = new OracleServer();
        using var t = RespSocket.Tcp(target.Port);
        using var source = new InProcessServer();
        using var s = source.Connect();
        string port = target.Port.ToString();
        Assert.Equal(0, Info(s, "migrate_cached_sockets"));
        long connectionsBefore = Info(t, "total_connections_received");
        for (int i = 0; i < 3; i++)
        {
            s.Call("SET", "k" + i, "v");
            Assert.Equal("+OK\r\n", s.Call("MIGRATE", Host, port, "k" + i, "0", "5000"));
        }
        Assert.Equal(1, Info(s, "migrate_cached_sockets"));
        Assert.Equal(connectionsBefore + 1, Info(t, "total_connections_received")); // one connection for three MIGRATEs
        // The target closes the cached connection: the next MIGRATE reconnects once and succeeds.
        string clients = t.Call("CLIENT", "LIST");
        string migrateId = clients.Split('\n').First(l => l.Contains("cmd=restore")).Split(' ')[0]["id=".Length..];
        Assert.Equal(":1\r\n", t.Call("CLIENT", "KILL", "ID", migrateId));
        s.Call("SET", "k9", "v");
        Assert.Equal("+OK\r\n", s.Call("MIGRATE", Host, port, "k9", "0", "5000"));
        Assert.Equal("$1\r\nv\r\n", t.Call("GET", "k9"));
        Assert.Equal(1, Info(s, "migrate_cached_sockets"));
        // Idle for more than 10 seconds: serverCron closes it.
        Assert.True(InProcessServer.WaitFor(() => Info(s, "migrate_cached_sockets") == 0, 30_000));
        Assert.True(InProcessServer.WaitFor(() => !t.Call("CLIENT", "LIST").Contains("cmd=restore"), 10_000));
    }

    /// <summary>
    /// A target that accepts but never answers: MIGRATE waits its timeout (blocking the server, as
    /// Redis does), answers IOERR reading, keeps the key and drops the connection; then the
    /// server serves everyone as before.
    /// </summary>
    [Fact]
    public void SilentTarget()
    {
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        string port = ((IPEndPoint)silent.LocalEndpoint).Port.ToString();
        using var source = new InProcessServer();
        using var s = source.Connect();
        using var other = source.Connect();
        s.Call("SET", "stay", "v");
        var started = Environment.TickCount64;
        Assert.Equal("-IOERR error or timeout reading to target instance\r\n", s.Call("MIGRATE", Host, port, "stay", "0", "300"));
        Assert.True(Environment.TickCount64 - started >= 250, "MIGRATE returned before its timeout");
        Assert.Equal("$1\r\nv\r\n", s.Call("GET", "stay"));
        Assert.Equal(0, Info(s, "migrate_cached_sockets"));
        Assert.Equal("+PONG\r\n", other.Call("PING"));
        Assert.Equal("+PONG\r\n", s.Call("PING"));
    }
}
