using Xunit;

namespace Vermilion.Tests;

/// <summary>The string and key commands against redis-server 7.0.15: fixed scripts with every error path, then a seeded random mix.</summary>
[Trait("Category", "Network")]
public class StringCommandTests(DifferentialServers servers) : IClassFixture<DifferentialServers>
{
    [Fact]
    public void MultiKeyCommands() => servers.Same(
        ["MSET", "a", "1", "b", "2"], ["MGET", "a", "b", "c"], ["MGET", "a"], ["MGET"], ["MSET", "a"], ["MSET", "a", "1", "b"],
        ["MSETNX", "a", "9", "z", "9"], ["MGET", "a", "z"], ["MSETNX", "x", "1", "y", "2"], ["MGET", "x", "y"], ["MSETNX", "x"],
        ["MSETNX", "p", "1", "p", "2"], ["GET", "p"], ["MSET", "k", "v1", "k", "v2"], ["GET", "k"]);

    [Fact]
    public void SetNxGetSetGetDel() => servers.Same(
        ["SETNX", "k", "1"], ["SETNX", "k", "2"], ["GET", "k"], ["SETNX", "k"], ["GETSET", "k", "3"], ["GETSET", "new", "x"],
        ["GET", "new"], ["GETSET", "k"], ["GETDEL", "k"], ["GETDEL", "k"], ["EXISTS", "k"], ["GETDEL"], ["GETDEL", "a", "b"]);

    [Fact]
    public void AppendAndStrlen() => servers.Same(
        ["APPEND", "k", "hello"], ["APPEND", "k", " world"], ["GET", "k"], ["STRLEN", "k"], ["STRLEN", "nokey"], ["APPEND", "k", ""],
        ["APPEND", "e", ""], ["EXISTS", "e"], ["STRLEN", "e"], ["APPEND", "n", "1"], ["INCR", "n"], ["APPEND", "n", "0"], ["INCR", "n"],
        ["APPEND"], ["STRLEN"], ["STRLEN", "a", "b"]);

    [Fact]
    public void Counters() => servers.Same(
        ["INCR", "c"], ["DECR", "c"], ["DECR", "c"], ["INCRBY", "c", "10"], ["INCRBY", "c", "-100"], ["DECRBY", "c", "5"], ["DECRBY", "c", "-5"],
        ["INCRBY", "c", "abc"], ["INCRBY", "c", "1.5"], ["INCRBY", "c", ""], ["INCRBY", "c", " 1"], ["INCRBY", "c", "+1"],
        ["DECRBY", "c", "-9223372036854775808"], ["INCRBY", "c", "9223372036854775807"], ["SET", "m", "-9223372036854775808"],
        ["DECR", "m"], ["INCR", "m"], ["SET", "M", "9223372036854775807"], ["INCR", "M"], ["INCRBY", "M", "0"], ["DECRBY", "M", "9223372036854775807"],
        ["SET", "f", "1.0"], ["INCR", "f"], ["DECRBY", "f", "1"], ["SET", "big", "99999999999999999999"], ["INCR", "big"],
        ["INCRBY", "c"], ["DECRBY", "c", "1", "2"], ["DECR"]);

    [Fact]
    public void Ranges() => servers.Same(
        ["SET", "s", "Hello World"], ["GETRANGE", "s", "0", "4"], ["GETRANGE", "s", "-5", "-1"], ["GETRANGE", "s", "-1", "-5"],
        ["GETRANGE", "s", "0", "-1"], ["GETRANGE", "s", "-100", "100"], ["GETRANGE", "s", "5", "2"], ["GETRANGE", "s", "11", "20"],
        ["GETRANGE", "s", "0", "9223372036854775807"], ["GETRANGE", "s", "-9223372036854775808", "0"], ["GETRANGE", "s", "a", "1"],
        ["GETRANGE", "nokey", "0", "-1"], ["GETRANGE", "nokey", "x", "1"], ["SUBSTR", "s", "1", "3"], ["SUBSTR", "s", "1"],
        ["SETRANGE", "s", "6", "Redis"], ["GET", "s"], ["SETRANGE", "s", "20", "!"], ["GET", "s"], ["STRLEN", "s"],
        ["SETRANGE", "n", "3", "ab"], ["GET", "n"], ["SETRANGE", "e", "5", ""], ["EXISTS", "e"], ["SETRANGE", "s", "0", ""],
        ["SETRANGE", "s", "-1", "x"], ["SETRANGE", "s", "x", "x"], ["SETRANGE", "s", "536870911", "xx"], ["SETRANGE", "s", "536870912", ""],
        ["SETRANGE", "s", "9223372036854775807", "x"], ["SETRANGE", "s", "1"], ["GETRANGE", "s", "1"]);

    [Fact]
    public void BinaryValues() => servers.Same(
        ["SET", "b", "\0\x01\xff"], ["APPEND", "b", "\r\n"], ["GET", "b"], ["STRLEN", "b"], ["GETRANGE", "b", "1", "3"],
        ["SETRANGE", "b", "1", "\0"], ["MGET", "b", "\0"], ["MSET", "\0", "\0"], ["GET", "\0"]);

    [Fact]
    public void IncrByFloat() => servers.Same(
        ["SET", "f", "10.5"], ["INCRBYFLOAT", "f", "0.1"], ["INCRBYFLOAT", "f", "5.0e3"], ["GET", "f"], ["OBJECT", "ENCODING", "f"],
        ["INCRBYFLOAT", "f", "-5010.6"], ["INCRBYFLOAT", "n", "0.1"], ["INCRBYFLOAT", "n", "0.2"], ["INCRBYFLOAT", "n", "-0.3"],
        ["INCRBYFLOAT", "i", "3"], ["OBJECT", "ENCODING", "i"], ["INCR", "i"], ["INCRBYFLOAT", "i", "1.5"], ["INCR", "i"],
        ["INCRBYFLOAT", "i", "1E2"], ["INCRBYFLOAT", "i", "1e+2"], ["INCRBYFLOAT", "i", "-1e-2"], ["INCRBYFLOAT", "i", ".5"], ["INCRBYFLOAT", "i", "5."],
        ["INCRBYFLOAT", "i", "+1"], ["INCRBYFLOAT", "i", "-0"], ["INCRBYFLOAT", "i", "0x10"], ["INCRBYFLOAT", "i", "0x1p-3"], ["INCRBYFLOAT", "i", "0X.8P1"],
        ["INCRBYFLOAT", "z1", "-0.0"], ["INCRBYFLOAT", "z2", "-1e-30"], ["INCRBYFLOAT", "z3", "-1.5"], ["INCRBYFLOAT", "z3", "1.5"],
        // %.17Lf rounds the exact long double to nearest, ties to even
        ["INCRBYFLOAT", "r1", "1.5e-18"], ["INCRBYFLOAT", "r2", "5e-18"], ["INCRBYFLOAT", "r3", "6e-18"], ["INCRBYFLOAT", "r4", "-6e-18"],
        ["INCRBYFLOAT", "r5", "0.000000000000000015"], ["INCRBYFLOAT", "r6", "0.000000000000000025"], ["INCRBYFLOAT", "r7", "1.23456789012345678901234"],
        ["INCRBYFLOAT", "r8", "3.14159265358979323846264338327950288"], ["INCRBYFLOAT", "r9", "123456789.123456789"], ["INCRBYFLOAT", "r9", "0.0000001"],
        ["INCRBYFLOAT", "m", "1.1e20"], ["INCRBYFLOAT", "m", "12345678901234567890123"], ["INCRBYFLOAT", "m", "1e30"],
        ["SET", "t", "5", "EX", "100"], ["INCRBYFLOAT", "t", "1.5"], ["TTL", "t"], ["INCRBYFLOAT", "t", "9223372036854775807"],
        ["INCRBYFLOAT", "t", "-9223372036854775808"], ["INCRBYFLOAT", "t", "1e18"], ["INCRBYFLOAT", "t", "-1e19"],
        ["INCRBYFLOAT", "d", "1.7976931348623157e308"], ["INCRBYFLOAT", "d", "1.7976931348623157e308"], ["INCRBYFLOAT", "tiny", "2.2250738585072014e-308"],
        // errors
        ["INCRBYFLOAT", "e", "abc"], ["INCRBYFLOAT", "e", ""], ["INCRBYFLOAT", "e", " 1"], ["INCRBYFLOAT", "e", "1 "], ["INCRBYFLOAT", "e", "nan"],
        ["INCRBYFLOAT", "e", "-nan"], ["INCRBYFLOAT", "e", "NaN(123)"], ["INCRBYFLOAT", "e", "."], ["INCRBYFLOAT", "e", "1e"], ["INCRBYFLOAT", "e", "1e+"],
        ["INCRBYFLOAT", "e", "0x"], ["INCRBYFLOAT", "e", "0x1p"], ["INCRBYFLOAT", "e", "1.2.3"], ["INCRBYFLOAT", "e", "1\0"], ["INCRBYFLOAT", "e", "--1"],
        ["INCRBYFLOAT", "e", "1,5"], ["INCRBYFLOAT", "e", "\t1"], ["INCRBYFLOAT", "e", "inf"], ["INCRBYFLOAT", "e", "-infinity"], ["INCRBYFLOAT", "e", "INF"],
        ["INCRBYFLOAT", "e", "infin"], ["EXISTS", "e"], ["SET", "s", "abc"], ["INCRBYFLOAT", "s", "1"], ["SET", "s", " 1"], ["INCRBYFLOAT", "s", "1"],
        ["SET", "s", "inf"], ["INCRBYFLOAT", "s", "0"], ["SET", "s", "-inf"], ["INCRBYFLOAT", "s", "inf"], ["GET", "s"],
        ["INCRBYFLOAT"], ["INCRBYFLOAT", "k"], ["INCRBYFLOAT", "k", "1", "2"]);

    /// <summary>Values near the ends of long double's range, and the 5 KB limit on the text.</summary>
    [Fact]
    public void IncrByFloatLimits() => servers.Same(
        ["INCRBYFLOAT", "big", "1e400"], ["INCRBYFLOAT", "big", "-1e400"], ["INCRBYFLOAT", "g", "1e4932"], ["INCRBYFLOAT", "g", "1e4932"], ["GET", "g"],
        ["INCRBYFLOAT", "g2", "1.2e4932"], ["INCRBYFLOAT", "g2", "-1.18e4932"], ["INCRBYFLOAT", "h", "1e-4940"], ["INCRBYFLOAT", "h", "1e-5000"],
        ["INCRBYFLOAT", "h", "0e-5000"], ["INCRBYFLOAT", "h", "0e999999999999999999999"], ["INCRBYFLOAT", "h", "1e999999999999999999999"],
        ["INCRBYFLOAT", "h", "1e-999999999999999999999"], ["INCRBYFLOAT", "x", "0x1p16383"], ["INCRBYFLOAT", "x", "0x1p16384"],
        ["INCRBYFLOAT", "y", "0x1p-16445"], ["INCRBYFLOAT", "y", "0x1p-16446"], ["INCRBYFLOAT", "y", "0x1.8p-16446"],
        ["INCRBYFLOAT", "l", "1." + new string('0', 5117)], ["INCRBYFLOAT", "l", "1." + new string('0', 5118)], ["INCRBYFLOAT", "l", new string('0', 5119)],
        ["INCRBYFLOAT", "l", "0." + new string('0', 4940) + "1"], ["INCRBYFLOAT", "l", "0." + new string('0', 4960) + "1"],
        ["INCRBYFLOAT", "l", "1" + new string('0', 4932)], ["INCRBYFLOAT", "l", new string('1', 5119)], ["INCRBYFLOAT", "l", new string('1', 5120)],
        ["INCRBYFLOAT", "l", "0x1" + new string('0', 4095)], ["INCRBYFLOAT", "l", "0x1" + new string('0', 4096)], ["INCRBYFLOAT", "l", "0x0.0000001"]);

    [Fact]
    public void Lcs()
    {
        string[][] script =
        [
            ["SET", "a", "ohmytext"], ["SET", "b", "mynewtext"], ["LCS", "a", "b"], ["LCS", "b", "a"], ["LCS", "a", "b", "LEN"], ["LCS", "a", "b", "IDX"],
            ["LCS", "b", "a", "idx"], ["LCS", "a", "b", "IDX", "MINMATCHLEN", "4"], ["LCS", "a", "b", "IDX", "WITHMATCHLEN"],
            ["LCS", "a", "b", "IDX", "MINMATCHLEN", "4", "WITHMATCHLEN"], ["LCS", "a", "b", "MINMATCHLEN", "-5", "IDX"], ["LCS", "a", "b", "WITHMATCHLEN"],
            ["LCS", "a", "b", "LEN", "WITHMATCHLEN"], ["LCS", "a", "b", "MINMATCHLEN", "2", "LEN"], ["LCS", "a", "b", "IDX", "IDX", "WITHMATCHLEN", "WITHMATCHLEN"],
            ["LCS", "a", "b", "MINMATCHLEN", "1", "MINMATCHLEN", "3", "IDX"], ["LCS", "a", "nokey"], ["LCS", "nokey", "a", "IDX"], ["LCS", "nokey", "nokey2", "LEN"],
            ["LCS", "a", "a", "IDX", "WITHMATCHLEN"], ["SET", "e", "aaaaaaa"], ["SET", "f", "aa"], ["LCS", "e", "f", "IDX", "WITHMATCHLEN"],
            ["LCS", "f", "e", "IDX", "WITHMATCHLEN"], ["SET", "g", "GTTACCTAGATTACA"], ["SET", "h", "ATTACATTAGCACCA"], ["LCS", "g", "h"],
            ["LCS", "g", "h", "IDX", "WITHMATCHLEN"], ["LCS", "h", "g", "IDX", "MINMATCHLEN", "2"], ["SET", "n", "12345"], ["SET", "m", "2468"],
            ["LCS", "n", "m", "IDX"], ["SET", "empty", ""], ["LCS", "empty", "a", "IDX"],
            // errors: the keys are looked up first, then the options
            ["LCS", "a", "b", "LEN", "IDX"], ["LCS", "a", "b", "IDX", "LEN"], ["LCS", "a", "b", "MINMATCHLEN"], ["LCS", "a", "b", "MINMATCHLEN", "x"],
            ["LCS", "a", "b", "MINMATCHLEN", "1.5", "IDX"], ["LCS", "a", "b", "foo"], ["LCS", "a", "b", "IDX", "foo"], ["LCS", "nokey", "nokey", "foo"],
            ["LCS"], ["LCS", "a"],
        ];
        servers.Same(script);
        servers.Same(new SameOptions { Resp = 3 }, script);
    }

    [Fact]
    public void LcsBinaryAndLonger() => servers.Same(
        ["SET", "c", "\0ab\0cd\xff"], ["SET", "d", "ab\xff\0"], ["LCS", "c", "d"], ["LCS", "c", "d", "IDX", "WITHMATCHLEN"],
        ["SET", "p", string.Concat(Enumerable.Range(0, 300).Select(i => (char)('a' + (i * 7 % 5))))],
        ["SET", "q", string.Concat(Enumerable.Range(0, 280).Select(i => (char)('a' + (i * 3 % 4))))],
        ["LCS", "p", "q", "LEN"], ["LCS", "p", "q"], ["LCS", "p", "q", "IDX", "MINMATCHLEN", "3", "WITHMATCHLEN"], ["LCS", "q", "p", "IDX"]);

    /// <summary>Thousands of random commands over a small key space, to both servers; every reply must match.</summary>
    [Fact]
    public void RandomizedDifferential()
    {
        int seed = Environment.GetEnvironmentVariable("VERMILION_SEED") is { } s ? int.Parse(s) : 424242;
        var rng = new Random(seed);
        using var pair = servers.Connect(SameOptions.RemainingTimesBySign);
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
        for (int i = 0; i < 20_000; i++) pair.Same(commands[rng.Next(commands.Count)](), $"seed {seed}, command #{i}: ");
        Assert.Equal(pair.Redis.Call("DBSIZE"), pair.Vermilion.Call("DBSIZE"));
    }
}
