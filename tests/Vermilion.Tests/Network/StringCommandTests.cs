using System.Text;
using Xunit;

namespace Vermilion.Tests;

/// <summary>The string and key commands against redis-server 7.0.15: fixed scripts with every error path, then a seeded random mix.</summary>
[Trait("Category", "Network")]
public class StringCommandTests : IClassFixture<StringCommandTests.Servers>
{
    public sealed class Servers : IDisposable
    {
        public readonly OracleServer Redis = new();
        public readonly InProcessServer Vermilion = new();
        public void Dispose()
        {
            Redis.Dispose();
            Vermilion.Dispose();
        }
    }

    readonly Servers _servers;
    public StringCommandTests(Servers servers) => _servers = servers;

    void Same(params string[][] script)
    {
        using var r = _servers.Redis.Connect();
        using var v = _servers.Vermilion.Connect();
        r.Call("FLUSHALL");
        v.Call("FLUSHALL");
        foreach (var cmd in script)
        {
            var expected = r.Call(cmd);
            var actual = v.Call(cmd);
            Assert.True(expected == actual, $"{string.Join(' ', cmd)}\n redis:     {Esc(expected)}\n vermilion: {Esc(actual)}");
        }
    }

    static string PositiveAsPlus(string reply) => System.Text.RegularExpressions.Regex.Replace(reply, @"^:[1-9]\d*\r\n$", ":+\r\n");

    static string Esc(string s) => s.Replace("\r", "\\r").Replace("\n", "\\n");

    [Fact]
    public void MultiKeyCommands() => Same(
        ["MSET", "a", "1", "b", "2"], ["MGET", "a", "b", "c"], ["MGET", "a"], ["MGET"], ["MSET", "a"], ["MSET", "a", "1", "b"],
        ["MSETNX", "a", "9", "z", "9"], ["MGET", "a", "z"], ["MSETNX", "x", "1", "y", "2"], ["MGET", "x", "y"], ["MSETNX", "x"],
        ["MSETNX", "p", "1", "p", "2"], ["GET", "p"], ["MSET", "k", "v1", "k", "v2"], ["GET", "k"]);

    [Fact]
    public void SetNxGetSetGetDel() => Same(
        ["SETNX", "k", "1"], ["SETNX", "k", "2"], ["GET", "k"], ["SETNX", "k"], ["GETSET", "k", "3"], ["GETSET", "new", "x"],
        ["GET", "new"], ["GETSET", "k"], ["GETDEL", "k"], ["GETDEL", "k"], ["EXISTS", "k"], ["GETDEL"], ["GETDEL", "a", "b"]);

    [Fact]
    public void AppendAndStrlen() => Same(
        ["APPEND", "k", "hello"], ["APPEND", "k", " world"], ["GET", "k"], ["STRLEN", "k"], ["STRLEN", "nokey"], ["APPEND", "k", ""],
        ["APPEND", "e", ""], ["EXISTS", "e"], ["STRLEN", "e"], ["APPEND", "n", "1"], ["INCR", "n"], ["APPEND", "n", "0"], ["INCR", "n"],
        ["APPEND"], ["STRLEN"], ["STRLEN", "a", "b"]);

    [Fact]
    public void Counters() => Same(
        ["INCR", "c"], ["DECR", "c"], ["DECR", "c"], ["INCRBY", "c", "10"], ["INCRBY", "c", "-100"], ["DECRBY", "c", "5"], ["DECRBY", "c", "-5"],
        ["INCRBY", "c", "abc"], ["INCRBY", "c", "1.5"], ["INCRBY", "c", ""], ["INCRBY", "c", " 1"], ["INCRBY", "c", "+1"],
        ["DECRBY", "c", "-9223372036854775808"], ["INCRBY", "c", "9223372036854775807"], ["SET", "m", "-9223372036854775808"],
        ["DECR", "m"], ["INCR", "m"], ["SET", "M", "9223372036854775807"], ["INCR", "M"], ["INCRBY", "M", "0"], ["DECRBY", "M", "9223372036854775807"],
        ["SET", "f", "1.0"], ["INCR", "f"], ["DECRBY", "f", "1"], ["SET", "big", "99999999999999999999"], ["INCR", "big"],
        ["INCRBY", "c"], ["DECRBY", "c", "1", "2"], ["DECR"]);

    [Fact]
    public void Ranges() => Same(
        ["SET", "s", "Hello World"], ["GETRANGE", "s", "0", "4"], ["GETRANGE", "s", "-5", "-1"], ["GETRANGE", "s", "-1", "-5"],
        ["GETRANGE", "s", "0", "-1"], ["GETRANGE", "s", "-100", "100"], ["GETRANGE", "s", "5", "2"], ["GETRANGE", "s", "11", "20"],
        ["GETRANGE", "s", "0", "9223372036854775807"], ["GETRANGE", "s", "-9223372036854775808", "0"], ["GETRANGE", "s", "a", "1"],
        ["GETRANGE", "nokey", "0", "-1"], ["GETRANGE", "nokey", "x", "1"], ["SUBSTR", "s", "1", "3"], ["SUBSTR", "s", "1"],
        ["SETRANGE", "s", "6", "Redis"], ["GET", "s"], ["SETRANGE", "s", "20", "!"], ["GET", "s"], ["STRLEN", "s"],
        ["SETRANGE", "n", "3", "ab"], ["GET", "n"], ["SETRANGE", "e", "5", ""], ["EXISTS", "e"], ["SETRANGE", "s", "0", ""],
        ["SETRANGE", "s", "-1", "x"], ["SETRANGE", "s", "x", "x"], ["SETRANGE", "s", "536870911", "xx"], ["SETRANGE", "s", "536870912", ""],
        ["SETRANGE", "s", "9223372036854775807", "x"], ["SETRANGE", "s", "1"], ["GETRANGE", "s", "1"]);

    [Fact]
    public void BinaryValues() => Same(
        ["SET", "b", "\0\x01\xff"], ["APPEND", "b", "\r\n"], ["GET", "b"], ["STRLEN", "b"], ["GETRANGE", "b", "1", "3"],
        ["SETRANGE", "b", "1", "\0"], ["MGET", "b", "\0"], ["MSET", "\0", "\0"], ["GET", "\0"]);

    /// <summary>Thousands of random commands over a small key space, to both servers; every reply must match.</summary>
    [Fact]
    public void RandomizedDifferential()
    {
        int seed = Environment.GetEnvironmentVariable("VERMILION_SEED") is { } s ? int.Parse(s) : 424242;
        var rng = new Random(seed);
        using var r = _servers.Redis.Connect();
        using var v = _servers.Vermilion.Connect();
        r.Call("FLUSHALL");
        v.Call("FLUSHALL");
        string Key() => "k" + rng.Next(12);
        string Int() => rng.Next(6) switch
        {
            0 => "9223372036854775807",
            1 => "-9223372036854775808",
            2 => "x" + rng.Next(10),
            _ => (rng.Next(2001) - 1000).ToString(),
        };
        string Val() => rng.Next(5) switch
        {
            0 => Int(),
            1 => "",
            2 => new string((char)('a' + rng.Next(26)), rng.Next(1, 40)),
            _ => rng.Next(100).ToString(),
        };
        var commands = new List<Func<string[]>>
        {
            () => ["SET", Key(), Val()], () => ["SET", Key(), Val(), rng.Next(2) == 0 ? "NX" : "XX"], () => ["SET", Key(), Val(), "GET"],
            () => ["GET", Key()], () => ["MGET", Key(), Key(), Key()], () => ["MSET", Key(), Val(), Key(), Val()],
            () => ["MSETNX", Key(), Val(), Key(), Val()], () => ["SETNX", Key(), Val()], () => ["GETSET", Key(), Val()],
            () => ["GETDEL", Key()], () => ["APPEND", Key(), Val()], () => ["STRLEN", Key()], () => ["INCR", Key()], () => ["DECR", Key()],
            () => ["INCRBY", Key(), Int()], () => ["DECRBY", Key(), Int()], () => ["GETRANGE", Key(), Int(), Int()],
            () => ["SETRANGE", Key(), rng.Next(30).ToString(), Val()], () => ["DEL", Key(), Key()], () => ["UNLINK", Key()],
            () => ["EXISTS", Key(), Key()], () => ["DBSIZE"],
            // Deadlines far enough away not to pass during the run; TTL values compare by sign.
            () => ["EXPIRE", Key(), (1000 + rng.Next(1000)).ToString(), rng.Next(3) switch { 0 => "NX", 1 => "GT", _ => "LT" }],
            () => ["PEXPIRE", Key(), (2_000_000 + rng.Next(1000)).ToString()], () => ["PERSIST", Key()], () => ["TTL", Key()],
            () => ["SET", Key(), Val(), "EX", (1000 + rng.Next(100)).ToString()], () => ["SET", Key(), Val(), "KEEPTTL"],
            () => ["GETEX", Key(), "PERSIST"], () => ["SETEX", Key(), "5000", Val()], () => ["EXPIRE", Key(), "-1"],
            () => ["RENAME", Key(), Key()], () => ["RENAMENX", Key(), Key()], () => ["COPY", Key(), Key(), "REPLACE"], () => ["COPY", Key(), Key()],
            () => ["MOVE", Key(), "1"], () => ["TYPE", Key()], () => ["TOUCH", Key(), Key()],
        };
        for (int i = 0; i < 20_000; i++)
        {
            var cmd = commands[rng.Next(commands.Count)]();
            var expected = r.Call(cmd);
            var actual = v.Call(cmd);
            if (cmd[0] == "TTL") (expected, actual) = (PositiveAsPlus(expected), PositiveAsPlus(actual));
            Assert.True(expected == actual, $"seed {seed}, command #{i}: {string.Join(' ', cmd)}\n redis:     {Esc(expected)}\n vermilion: {Esc(actual)}");
        }
        Assert.Equal(r.Call("DBSIZE"), v.Call("DBSIZE"));
    }
}
