using Xunit;

namespace Vermilion.Tests;

/// <summary>The list commands against redis-server 7.0.15: fixed scripts with every error path, encodings, stats, then a seeded random mix.</summary>
[Trait("Category", "Network")]
public class ListCommandTests(DifferentialServers servers) : IClassFixture<DifferentialServers>
{
    /// <summary>Scripts start from the default node size, which some tests change.</summary>
    static readonly SameOptions s_options = new() { Setup = [["CONFIG", "SET", "list-max-listpack-size", "-2"]] };

    void Same(params string[][] script) => servers.Same(s_options, script);

    [Fact]
    public void PushAndPop() => Same(
        ["LPUSH", "l", "a"], ["LPUSH", "l", "b", "c"], ["RPUSH", "l", "d", "e", "f"], ["LRANGE", "l", "0", "-1"], ["LLEN", "l"],
        ["LPUSHX", "l", "x"], ["RPUSHX", "l", "y", "z"], ["LPUSHX", "nokey", "x"], ["RPUSHX", "nokey", "x", "y"], ["EXISTS", "nokey"],
        ["LPOP", "l"], ["RPOP", "l"], ["LPOP", "l", "2"], ["RPOP", "l", "2"], ["LPOP", "l", "0"], ["LPOP", "l", "100"], ["EXISTS", "l"],
        ["LPOP", "l"], ["RPOP", "l"], ["LPOP", "l", "0"], ["RPOP", "l", "5"], ["LLEN", "l"],
        ["RPUSH", "n", "1", "-1", "127", "128", "-9223372036854775808", "9223372036854775807", "9223372036854775808", "007", "-0", "+5", ""],
        ["LRANGE", "n", "0", "-1"], ["RPOP", "n", "3"], ["LPOP", "n", "3"], ["LRANGE", "n", "0", "-1"],
        ["LPOP", "n", "-1"], ["LPOP", "n", "abc"], ["LPOP", "n", "1", "2"], ["RPOP", "n", "1.5"], ["LPOP", "nokey", "-1"], ["LPOP", "nokey", "0"],
        ["LPOP", "nokey", "1"], ["RPOP", "nokey"], ["LPOP", "n", "9223372036854775807"], ["EXISTS", "n"],
        ["LPUSH", "l"], ["RPUSH"], ["LPUSHX", "l"], ["RPUSHX"], ["LPOP"], ["RPOP"], ["LLEN"], ["LLEN", "a", "b"],
        ["SET", "s", "x"], ["LPUSH", "s", "a"], ["RPUSH", "s", "a"], ["LPUSHX", "s", "a"], ["RPUSHX", "s", "a"], ["LPOP", "s"], ["RPOP", "s", "0"],
        ["LPOP", "s", "-1"], ["LLEN", "s"], ["GET", "s"]);

    [Fact]
    public void RangesIndexesAndTrims() => Same(
        ["RPUSH", "l", "a", "b", "c", "d", "e", "1", "2", "3"], ["LRANGE", "l", "0", "2"], ["LRANGE", "l", "-3", "-1"], ["LRANGE", "l", "-100", "100"],
        ["LRANGE", "l", "5", "2"], ["LRANGE", "l", "8", "10"], ["LRANGE", "l", "-1", "-5"], ["LRANGE", "l", "-9223372036854775808", "9223372036854775807"],
        ["LRANGE", "l", "a", "1"], ["LRANGE", "l", "0", "b"], ["LRANGE", "nokey", "0", "-1"], ["LRANGE", "nokey", "a", "b"], ["LRANGE", "l", "0"],
        ["LINDEX", "l", "0"], ["LINDEX", "l", "-1"], ["LINDEX", "l", "7"], ["LINDEX", "l", "8"], ["LINDEX", "l", "-9"], ["LINDEX", "l", "abc"],
        ["LINDEX", "nokey", "abc"], ["LINDEX", "nokey", "0"], ["LINDEX", "l"], ["LINDEX", "l", "9223372036854775807"],
        ["LSET", "l", "0", "first"], ["LSET", "l", "-1", "last"], ["LSET", "l", "3", "a much longer element than before, to move the rest"],
        ["LSET", "l", "8", "x"], ["LSET", "l", "-9", "x"], ["LSET", "l", "abc", "x"], ["LSET", "nokey", "abc", "x"], ["LSET", "nokey", "0", "x"],
        ["LSET", "l", "0"], ["LRANGE", "l", "0", "-1"],
        ["LTRIM", "l", "1", "-2"], ["LRANGE", "l", "0", "-1"], ["LTRIM", "l", "-100", "100"], ["LTRIM", "l", "2", "1"], ["EXISTS", "l"],
        ["LTRIM", "nokey", "0", "1"], ["LTRIM", "nokey", "a", "1"], ["LTRIM", "l", "0"],
        ["SET", "s", "x"], ["LRANGE", "s", "0", "1"], ["LRANGE", "s", "a", "1"], ["LINDEX", "s", "0"], ["LINDEX", "s", "abc"], ["LSET", "s", "0", "x"],
        ["LSET", "s", "abc", "x"], ["LTRIM", "s", "0", "1"], ["LTRIM", "s", "a", "1"]);

    [Fact]
    public void InsertRemoveAndPosition() => Same(
        ["RPUSH", "l", "a", "b", "a", "c", "a", "1", "2", "-5", "300", "a"],
        ["LINSERT", "l", "BEFORE", "a", "x"], ["LINSERT", "l", "after", "a", "y"], ["LINSERT", "l", "AFTER", "300", "301"], ["LINSERT", "l", "before", "zz", "x"],
        ["LINSERT", "l", "middle", "a", "x"], ["LINSERT", "nokey", "middle", "a", "x"], ["LINSERT", "nokey", "before", "a", "x"], ["LINSERT", "l", "before", "a"],
        ["LRANGE", "l", "0", "-1"],
        ["LPOS", "l", "a"], ["LPOS", "l", "a", "RANK", "2"], ["LPOS", "l", "a", "RANK", "-1"], ["LPOS", "l", "a", "RANK", "-2", "COUNT", "0"],
        ["LPOS", "l", "a", "COUNT", "2"], ["LPOS", "l", "a", "COUNT", "0", "MAXLEN", "4"], ["LPOS", "l", "a", "RANK", "2", "MAXLEN", "3"],
        ["LPOS", "l", "300"], ["LPOS", "l", "nothere"], ["LPOS", "l", "nothere", "COUNT", "5"], ["LPOS", "l", "a", "RANK", "100"],
        ["LPOS", "l", "a", "RANK", "-9223372036854775808", "COUNT", "2"], ["LPOS", "l", "a", "RANK", "9223372036854775807", "COUNT", "2"],
        ["LPOS", "l", "a", "RANK", "-9223372036854775808"], ["LPOS", "l", "a", "count", "1", "rank", "-1", "maxlen", "0"],
        ["LPOS", "l", "a", "RANK", "0"], ["LPOS", "l", "a", "COUNT", "-1"], ["LPOS", "l", "a", "COUNT", "x"], ["LPOS", "l", "a", "MAXLEN", "-1"],
        ["LPOS", "l", "a", "MAXLEN", "x"], ["LPOS", "l", "a", "RANK"], ["LPOS", "l", "a", "FOO", "1"], ["LPOS", "l", "a", "RANK", "x"],
        ["LPOS", "nokey", "a", "RANK", "0"], ["LPOS", "nokey", "a"], ["LPOS", "nokey", "a", "COUNT", "0"], ["LPOS", "l"],
        ["LREM", "l", "1", "a"], ["LREM", "l", "-1", "a"], ["LRANGE", "l", "0", "-1"], ["LREM", "l", "0", "a"], ["LREM", "l", "0", "300"],
        ["LREM", "l", "-9223372036854775808", "x"], ["LREM", "l", "2", "nothere"], ["LRANGE", "l", "0", "-1"], ["LREM", "l", "x", "a"],
        ["LREM", "nokey", "1", "a"], ["LREM", "nokey", "x", "a"], ["LREM", "l", "1"],
        ["RPUSH", "one", "a", "a"], ["LREM", "one", "0", "a"], ["EXISTS", "one"],
        ["SET", "s", "x"], ["LINSERT", "s", "before", "a", "x"], ["LINSERT", "s", "middle", "a", "x"], ["LREM", "s", "1", "a"], ["LREM", "s", "x", "a"],
        ["LPOS", "s", "a"], ["LPOS", "s", "a", "RANK", "0"]);

    [Fact]
    public void MovesAndMultiPops() => Same(
        ["RPUSH", "src", "1", "2", "3"], ["LMOVE", "src", "src", "LEFT", "RIGHT"], ["LRANGE", "src", "0", "-1"], ["LMOVE", "src", "dst", "right", "left"],
        ["RPOPLPUSH", "src", "dst"], ["RPOPLPUSH", "src", "dst"], ["EXISTS", "src"], ["LRANGE", "dst", "0", "-1"], ["RPOPLPUSH", "src", "dst"],
        ["LMOVE", "nokey", "dst", "LEFT", "LEFT"], ["LMOVE", "dst", "d2", "up", "left"], ["LMOVE", "dst", "d2", "left", "down"],
        ["RPUSH", "solo", "x"], ["LMOVE", "solo", "solo", "LEFT", "LEFT"], ["LRANGE", "solo", "0", "-1"], ["RPOPLPUSH", "solo", "solo"],
        ["SET", "s", "x"], ["LMOVE", "s", "dst", "LEFT", "LEFT"], ["LMOVE", "dst", "s", "LEFT", "LEFT"], ["LMOVE", "nokey", "s", "LEFT", "LEFT"],
        ["RPOPLPUSH", "s", "dst"], ["RPOPLPUSH", "dst", "s"], ["LRANGE", "dst", "0", "-1"], ["LMOVE", "a", "b", "LEFT"], ["RPOPLPUSH", "a"],
        ["RPUSH", "m1", "a", "b", "c"], ["RPUSH", "m2", "d"],
        ["LMPOP", "2", "nokey", "m1", "LEFT"], ["LMPOP", "2", "m1", "m2", "RIGHT", "COUNT", "10"], ["LMPOP", "2", "m1", "m2", "left", "count", "5"],
        ["LMPOP", "1", "m1", "LEFT"], ["LMPOP", "2", "nokey", "s", "LEFT"], ["LMPOP", "2", "s", "m1", "LEFT"],
        ["LMPOP", "0", "l", "left"], ["LMPOP", "-1", "l", "left"], ["LMPOP", "x", "l", "left"], ["LMPOP", "2", "l", "left"], ["LMPOP", "1", "l", "middle"],
        ["LMPOP", "1", "l", "left", "COUNT", "0"], ["LMPOP", "1", "l", "left", "COUNT", "-1"], ["LMPOP", "1", "l", "left", "COUNT", "x"],
        ["LMPOP", "1", "l", "left", "COUNT"], ["LMPOP", "1", "l", "left", "COUNT", "1", "COUNT", "1"], ["LMPOP", "1", "l", "left", "FOO"],
        ["LMPOP", "9999999999999999999", "l", "left"], ["LMPOP", "2147483648", "l", "left"], ["LMPOP", "9223372036854775807", "l", "left"],
        ["LMPOP", "1", "l"], ["LMPOP", "1"],
        ["BLMPOP", "x", "1", "l", "left"], ["BLMPOP", "0", "0", "l", "left"], ["BLMPOP", "-1", "0", "l", "left"], ["BLMPOP", "x", "0", "l", "left"],
        ["BLMPOP", "x", "1", "l", "middle"], ["BLMPOP", "x", "1", "l", "left", "COUNT", "0"], ["BLMPOP", "-1", "1", "l", "left"],
        ["BLMPOP", "0", "2", "l"], ["BLMPOP", "0", "1", "l"]);

    /// <summary>Blocking commands that find data answer at once; their argument and timeout errors come in Redis's order.</summary>
    [Fact]
    public void BlockingCommandsWithDataOrErrors() => Same(
        ["RPUSH", "l", "a", "b", "c", "d", "e", "f", "g", "h", "i", "j"], ["SET", "s", "x"],
        ["BLPOP", "l", "0"], ["BRPOP", "l", "0"], ["BLPOP", "nokey", "l", "1"], ["BRPOP", "l", "s", "0"], ["BLPOP", "s", "0"], ["BLPOP", "nokey", "s", "0"],
        ["BLMOVE", "l", "d", "LEFT", "RIGHT", "0"], ["BRPOPLPUSH", "l", "d", "0"], ["BLMPOP", "0", "2", "nokey", "l", "RIGHT", "COUNT", "5"],
        ["BLMOVE", "s", "d", "left", "left", "0"], ["BLMOVE", "d", "s", "left", "left", "0"], ["BRPOPLPUSH", "s", "d", "0"], ["BLMPOP", "0", "1", "s", "LEFT"],
        ["BLMOVE", "d", "x", "up", "left", "x"], ["BLMOVE", "d", "x", "left", "left", "x"], ["BLMOVE", "d", "x", "left", "left", "-1"],
        ["BLPOP", "k", "abc"], ["BLPOP", "k", "-1"], ["BLPOP", "k", "-0.002"], ["BLPOP", "k", "inf"], ["BLPOP", "k", "-inf"], ["BLPOP", "k", "nan"],
        ["BLPOP", "k", "1e300"], ["BLPOP", "k", "1e16"], ["BLPOP", "k", "9223372036854776"], ["BLPOP", "k", "1e5000"], ["BLPOP", "k", "1e-5000"],
        ["BLPOP", "k", " 1"], ["BLPOP", "k", "1 "], ["BLPOP", "k", ""], ["BLPOP", "k", "0x"], ["BLPOP", "k", "1e"], ["BLPOP", "k", "."], ["BLPOP", "k", "1\01"],
        ["BRPOP", "k", "x"], ["BRPOPLPUSH", "k", "d", "x"], ["BLMPOP", "1e400", "1", "k", "LEFT"],
        ["BLPOP", "k", "0.001"], ["BLPOP", "k", "+1e-3"], ["BLPOP", "k", "0x.1p-8"], ["BLPOP", "k", "1e-400"], ["BRPOPLPUSH", "k", "d", "0.001"],
        ["BLMOVE", "k", "d", "LEFT", "LEFT", "0.001"], ["BLMPOP", "0.001", "1", "k", "LEFT"],
        ["BLPOP", "k"], ["BLPOP"], ["BLMOVE", "a", "b", "LEFT", "LEFT"], ["BRPOPLPUSH", "a", "b"], ["BLMPOP", "0", "1", "k"],
        ["LRANGE", "d", "0", "-1"], ["EXISTS", "l"]);

    [Fact]
    public void Resp3NullsAndShapes() => servers.Same(s_options with { Resp = 3 },
        ["LPOP", "nokey"], ["LPOP", "nokey", "1"], ["RPOP", "nokey", "0"], ["LINDEX", "nokey", "0"], ["LPOS", "nokey", "a"],
        ["LPOS", "nokey", "a", "COUNT", "0"], ["LMPOP", "1", "nokey", "LEFT"], ["LMOVE", "nokey", "d", "LEFT", "LEFT"], ["RPOPLPUSH", "nokey", "d"],
        ["BLPOP", "nokey", "0.001"], ["BLMOVE", "nokey", "d", "LEFT", "LEFT", "0.001"], ["BLMPOP", "0.001", "1", "nokey", "LEFT"],
        ["RPUSH", "l", "a", "1"], ["LPOP", "l", "0"], ["LMPOP", "1", "l", "RIGHT", "COUNT", "3"], ["LRANGE", "l", "0", "-1"], ["LINDEX", "l", "5"]);

    [Fact]
    public void BinaryAndEmptyElements() => Same(
        ["RPUSH", "b", "", "\0", "\r\n", "\xff\xfe", "", "a\0b"], ["LRANGE", "b", "0", "-1"], ["LPOS", "b", ""], ["LPOS", "b", "", "RANK", "-1"],
        ["LREM", "b", "1", ""], ["LINSERT", "b", "AFTER", "\0", ""], ["LSET", "b", "0", ""], ["LRANGE", "b", "0", "-1"], ["LPOS", "b", "a\0b"],
        ["RPUSH", "\0", "x"], ["LRANGE", "\0", "0", "-1"], ["LMOVE", "\0", "", "LEFT", "RIGHT"], ["LRANGE", "", "0", "-1"], ["TYPE", ""], ["OBJECT", "ENCODING", ""]);

    /// <summary>Redis 7.0 lists are always quicklist, whatever the node limit, before and after CONFIG SET.</summary>
    [Fact]
    public void EncodingIsAlwaysQuicklist() => Same(
        ["RPUSH", "small", "a"], ["OBJECT", "ENCODING", "small"], ["TYPE", "small"],
        ["CONFIG", "SET", "list-max-listpack-size", "1"], ["RPUSH", "one", "a", "b", "c"], ["OBJECT", "ENCODING", "one"], ["LRANGE", "one", "0", "-1"],
        ["CONFIG", "SET", "list-max-ziplist-size", "-5"], ["CONFIG", "GET", "list-max-listpack-size"], ["RPUSH", "big", "a"],
        ["OBJECT", "ENCODING", "big"], ["CONFIG", "SET", "list-max-listpack-size", "0"], ["RPUSH", "zero", "a", "b"], ["OBJECT", "ENCODING", "zero"],
        ["CONFIG", "SET", "list-max-listpack-size", "-100"], ["RPUSH", "neg", "a", "b"], ["LRANGE", "neg", "0", "-1"], ["OBJECT", "ENCODING", "neg"],
        ["CONFIG", "SET", "list-compress-depth", "1"], ["RPUSH", "comp", "a", "b", "c"], ["LRANGE", "comp", "0", "-1"], ["OBJECT", "ENCODING", "comp"],
        ["CONFIG", "SET", "list-compress-depth", "0"], ["COPY", "comp", "copied"], ["OBJECT", "ENCODING", "copied"], ["LRANGE", "copied", "0", "-1"],
        ["RENAME", "copied", "renamed"], ["LRANGE", "renamed", "0", "-1"], ["MOVE", "renamed", "1"], ["SELECT", "1"], ["LRANGE", "renamed", "0", "-1"],
        ["SELECT", "0"], ["CONFIG", "SET", "list-max-listpack-size", "-2"]);

    /// <summary>Reads count keyspace hits and misses as lookupKeyRead does (a key of another type is a hit); writes count nothing.</summary>
    [Fact]
    public void KeyspaceHitsAndMisses()
    {
        string[][] script =
        [
            ["RPUSH", "l", "a", "b"], ["SET", "s", "x"], ["LLEN", "l"], ["LLEN", "nokey"], ["LLEN", "s"], ["LRANGE", "l", "0", "-1"], ["LRANGE", "nokey", "0", "1"],
            ["LRANGE", "s", "0", "1"], ["LRANGE", "l", "x", "1"], ["LINDEX", "l", "0"], ["LINDEX", "nokey", "x"], ["LINDEX", "s", "0"], ["LPOS", "l", "a"],
            ["LPOS", "nokey", "a"], ["LPOS", "s", "a"], ["LPOS", "l", "a", "RANK", "0"], ["LPOP", "l"], ["RPOP", "nokey"], ["LSET", "l", "0", "x"],
            ["LMOVE", "l", "m", "LEFT", "LEFT"], ["LMPOP", "1", "nokey", "LEFT"], ["BLPOP", "m", "0"], ["LREM", "nokey", "0", "a"], ["LINSERT", "nokey", "BEFORE", "a", "b"],
        ];
        using var pair = servers.Connect(new SameOptions { Setup = [["CONFIG", "RESETSTAT"]] });
        foreach (var cmd in script)
        {
            foreach (var s in pair.Both) s.Call(cmd);
            pair.SameKeyspaceHitsAndMisses($"after {string.Join(' ', cmd)}: ");
        }
    }

    /// <summary>Every list command with too few or too many arguments gets Redis's arity error.</summary>
    [Fact]
    public void WrongArity()
    {
        string[] names = ["LPUSH", "RPUSH", "LPUSHX", "RPUSHX", "LPOP", "RPOP", "LLEN", "LRANGE", "LINDEX", "LSET", "LINSERT", "LREM", "LTRIM", "LPOS",
            "LMOVE", "RPOPLPUSH", "LMPOP", "BLPOP", "BRPOP", "BLMOVE", "BRPOPLPUSH", "BLMPOP"];
        var script = new List<string[]>();
        foreach (var name in names)
        {
            script.Add([name]);
            script.Add([name, "k"]);
            script.Add([name, "k", "0"]);
            script.Add([name, "k", "0", "1", "2", "3", "4", "5"]);
        }
        // BLPOP/BRPOP with a key and a timeout would block: their arity is covered by the shorter forms.
        Same([.. script.Where(c => c[0] is not ("BLPOP" or "BRPOP") || c.Length < 3)]);
    }

    /// <summary>Long lists across node limits (entry counts and sizes), with inserts and removals in the middle.</summary>
    [Theory]
    [InlineData("-1")]
    [InlineData("2")]
    [InlineData("-5")]
    public void LongListsAcrossNodes(string fill)
    {
        var script = new List<string[]> { new[] { "CONFIG", "SET", "list-max-listpack-size", fill } };
        for (int i = 0; i < 40; i++)
        {
            var push = new List<string> { i % 2 == 0 ? "RPUSH" : "LPUSH", "big" };
            for (int j = 0; j < 50; j++) push.Add(j % 3 == 0 ? (i * 50 + j).ToString() : new string((char)('a' + j % 26), 1 + (i * j) % 200));
            script.Add([.. push]);
        }
        script.AddRange([
            ["LLEN", "big"], ["LINDEX", "big", "1000"], ["LINDEX", "big", "-1234"], ["LRANGE", "big", "990", "1010"], ["LRANGE", "big", "-30", "-1"],
            ["LINSERT", "big", "BEFORE", "1000", "inserted"], ["LINSERT", "big", "AFTER", "1001", new string('L', 5000)], ["LSET", "big", "1500", new string('S', 3000)],
            ["LREM", "big", "0", "aaaaaaaaaaaaaaaaaaaaaaaaaaa"], ["LREM", "big", "-3", "b"], ["LPOS", "big", "c", "RANK", "-3", "COUNT", "4"],
            ["LTRIM", "big", "100", "-100"], ["LRANGE", "big", "0", "-1"], ["LPOP", "big", "333"], ["RPOP", "big", "444"], ["LRANGE", "big", "0", "-1"],
            ["LMPOP", "1", "big", "RIGHT", "COUNT", "10000"], ["EXISTS", "big"], ["CONFIG", "SET", "list-max-listpack-size", "-2"],
        ]);
        servers.Same([.. script]);
    }

    /// <summary>
    /// Thousands of random list commands over a few keys, to both servers; every reply must match.
    /// The blocking commands are left to ListBlockingTests: a timeout here would cost Redis a cron tick each.
    /// </summary>
    [Fact]
    public void RandomizedDifferential()
    {
        int seed = Environment.GetEnvironmentVariable("VERMILION_SEED") is { } s ? int.Parse(s) : 20240704;
        var rng = new Random(seed);
        using var small = servers.Configure("list-max-listpack-size", "4");
        using var pair = servers.Connect();
        string Key() => "k" + rng.Next(6);
        string Val() => rng.Next(6) switch
        {
            0 => rng.Next(-200, 200).ToString(),
            1 => "",
            2 => new string((char)('a' + rng.Next(3)), rng.Next(1, 80)),
            3 => rng.NextInt64().ToString(),
            _ => "v" + rng.Next(8),
        };
        string Index() => rng.Next(8) switch { 0 => "x", 1 => "-9223372036854775808", _ => rng.Next(-12, 12).ToString() };
        string End() => rng.Next(9) switch { 0 => "middle", 1 => "left", 2 => "RIGHT", _ => rng.Next(2) == 0 ? "LEFT" : "right" };
        string[] Many(string head, int n) => [head, .. Enumerable.Range(0, n).Select(_ => Val())];
        var commands = new List<Func<string[]>>
        {
            () => ["LPUSH", .. Many(Key(), rng.Next(1, 6))], () => ["RPUSH", .. Many(Key(), rng.Next(1, 6))], () => ["LPUSHX", Key(), Val()],
            () => ["RPUSHX", Key(), Val(), Val()], () => ["LPOP", Key()], () => ["RPOP", Key()], () => ["LPOP", Key(), Index()], () => ["RPOP", Key(), Index()],
            () => ["LLEN", Key()], () => ["LRANGE", Key(), Index(), Index()], () => ["LINDEX", Key(), Index()], () => ["LSET", Key(), Index(), Val()],
            () => ["LINSERT", Key(), rng.Next(2) == 0 ? "BEFORE" : "after", Val(), Val()], () => ["LREM", Key(), Index(), Val()],
            () => ["LTRIM", Key(), Index(), Index()], () => ["LPOS", Key(), Val()], () => ["LPOS", Key(), Val(), "RANK", Index(), "COUNT", Index()],
            () => ["LPOS", Key(), Val(), "MAXLEN", Index()], () => ["LMOVE", Key(), Key(), End(), End()], () => ["RPOPLPUSH", Key(), Key()],
            () => ["LMPOP", "2", Key(), Key(), End(), "COUNT", Index()], () => ["LMPOP", rng.Next(0, 4).ToString(), Key(), Key(), End()],
            () => ["SET", Key(), Val()], () => ["DEL", Key()], () => ["TYPE", Key()], () => ["EXISTS", Key()], () => ["COPY", Key(), Key(), "REPLACE"],
            () => ["RENAME", Key(), Key()], () => ["OBJECT", "ENCODING", Key()],
        };
        for (int i = 0; i < 5000; i++) pair.Same(commands[rng.Next(commands.Count)](), $"seed {seed}, command #{i}: ");
        for (int k = 0; k < 6; k++) pair.Same(["LRANGE", "k" + k, "0", "-1"]);
    }
}
