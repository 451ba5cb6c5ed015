using Xunit;

namespace Vermilion.Tests;

/// <summary>
/// The sorted set commands against redis-server 7.0.15: fixed scripts covering every command and
/// error path in both encodings and both protocols, encodings across the thresholds, blocking
/// pops, and a seeded random mix.
/// </summary>
[Trait("Category", "Network")]
public class SortedSetCommandTests(DifferentialServers servers) : IClassFixture<DifferentialServers>
{
    /// <summary>
    /// Scripts start from the default thresholds, which some tests change. A tree-encoded set is
    /// scanned in hash order, which differs between the servers: ZSCAN's pairs compare as a multiset.
    /// </summary>
    static readonly SameOptions s_options = new()
    {
        Setup = [["CONFIG", "SET", "zset-max-listpack-entries", "128", "zset-max-listpack-value", "64"]],
        OrderOf = cmd => cmd[0] == "ZSCAN" ? Order.ScanPairs : Order.Exact,
    };

    void Same(params string[][] script) => servers.Same(s_options, script);

    /// <summary>The same script with the sets small (listpack) and again forced into the tree encoding.</summary>
    void SameInBothEncodings(params string[][] script)
    {
        Same(script);
        Same([["CONFIG", "SET", "zset-max-listpack-entries", "0"], .. script]);
        servers.Same(s_options with { Resp = 3 }, script);
    }

    static string[][] Fill(string key, int n, Func<int, string> score, Func<int, string> member) =>
        Enumerable.Range(0, n).Select(i => new[] { "ZADD", key, score(i), member(i) }).ToArray();

    [Fact]
    public void PlainSetsCountWithScoreOne() => Same(
        ["SADD", "s", "b", "a", "c"], ["SADD", "ints", "3", "1"], ["ZADD", "z", "5", "a", "0.5", "x"], ["ZUNIONSTORE", "u", "3", "s", "z", "ints"],
        ["ZRANGE", "u", "0", "-1", "WITHSCORES"], ["ZINTER", "2", "s", "z", "WEIGHTS", "2", "3", "WITHSCORES"], ["ZDIFF", "2", "s", "z", "WITHSCORES"],
        ["ZINTERCARD", "2", "s", "z"], ["ZUNION", "2", "ints", "s", "AGGREGATE", "MAX", "WITHSCORES"], ["SET", "str", "x"], ["ZUNION", "2", "s", "str"]);

    [Fact]
    public void ZAddOptionsAndErrors() => SameInBothEncodings(
        ["ZADD", "z", "1", "a", "2", "b", "3", "c"], ["ZADD", "z", "1", "a"], ["ZADD", "z", "CH", "5", "a", "2", "b", "9", "d"],
        ["ZADD", "z", "NX", "10", "a", "10", "e"], ["ZADD", "z", "XX", "11", "a", "11", "f"], ["ZADD", "z", "XX", "CH", "12", "a", "12", "g"],
        ["ZADD", "z", "GT", "CH", "1", "a", "20", "b"], ["ZADD", "z", "LT", "CH", "1", "a", "30", "b", "7", "h"], ["ZADD", "z", "XX", "GT", "100", "c"],
        ["ZADD", "z", "INCR", "5", "a"], ["ZADD", "z", "INCR", "NX", "5", "a"], ["ZADD", "z", "INCR", "XX", "5", "nosuch"],
        ["ZADD", "z", "INCR", "GT", "-1", "a"], ["ZADD", "z", "INCR", "LT", "-1", "a"], ["ZADD", "z", "INCR", "0", "a"],
        ["ZADD", "nokey", "XX", "1", "a"], ["EXISTS", "nokey"], ["ZADD", "nokey", "XX", "INCR", "1", "a"], ["EXISTS", "nokey"],
        ["ZADD", "z", "NX", "XX", "1", "a"], ["ZADD", "z", "GT", "LT", "1", "a"], ["ZADD", "z", "GT", "NX", "1", "a"], ["ZADD", "z", "LT", "NX", "1", "a"],
        ["ZADD", "z", "INCR", "1", "a", "2", "b"], ["ZADD", "z", "1", "a", "2"], ["ZADD", "z", "NX"], ["ZADD", "z", "1"], ["ZADD", "z"],
        ["ZADD", "z", "x", "a"], ["ZADD", "z", "1", "a", "y", "b"], ["ZADD", "z", "NX", "XX", "x", "a"], ["ZADD", "z", "nan", "a"],
        ["ZADD", "z", "inf", "a"], ["ZADD", "z", "INCR", "-inf", "a"], ["ZSCORE", "z", "a"], ["ZADD", "z", "1", "a", "2"],
        ["ZADD", "z", "ch", "nx", "1", "new"], ["ZADD", "z", "-inf", "lo", "+inf", "hi", "0x10", "hex", "-0", "nz", "1e-310", "tiny"],
        ["ZRANGE", "z", "0", "-1", "WITHSCORES"], ["ZADD", "z", " 1", "a"], ["ZADD", "z", "1 ", "a"], ["ZADD", "z", "", "a"],
        ["ZADD", "z", "1e400", "a"], ["ZADD", "z", "1e-400", "a"], ["ZADD", "z", ".5", "half"], ["ZADD", "z", "5.", "five"],
        ["ZADD", "z", "1", ""], ["ZADD", "z", "2", "\0\u00ff"], ["ZSCORE", "z", ""], ["ZSCORE", "z", "\0\u00ff"],
        ["ZINCRBY", "z", "2.5", "a"], ["ZINCRBY", "z", "1", "fresh"], ["ZINCRBY", "z", "x", "a"], ["ZINCRBY", "z", "nan", "a"],
        ["ZINCRBY", "z", "-inf", "a"], ["ZINCRBY", "z", "+inf", "a"], ["ZINCRBY", "z", "1"], ["ZINCRBY", "z", "1", "a", "b"],
        ["SET", "s", "x"], ["ZADD", "s", "1", "a"], ["ZADD", "s", "x", "a"], ["ZADD", "s", "NX", "XX", "1", "a"], ["ZINCRBY", "s", "1", "a"],
        ["ZCARD", "z"], ["ZRANGE", "z", "0", "-1", "WITHSCORES"]);

    [Fact]
    public void ScoresAreFormattedAsRedis() => SameInBothEncodings(
        ["ZADD", "z", "0.1", "a", "1e17", "b", "1e16", "c", "-0", "d", "1e-310", "e", "5e-324", "f", "1.7976931348623157e308", "g",
            "123456789.123456789", "h", "-1e-5", "i", "0.3", "j", "4611686018427387904", "k", "4611686018427387903", "l", "-4611686018427387904", "m"],
        ["ZRANGE", "z", "0", "-1", "WITHSCORES"], ["ZSCORE", "z", "a"], ["ZSCORE", "z", "d"], ["ZMSCORE", "z", "a", "b", "nosuch", "k"],
        ["ZINCRBY", "z", "0.2", "a"], ["ZADD", "z", "INCR", "1e300", "g"], ["ZSCAN", "z", "0", "COUNT", "1000", "MATCH", "[abcd]"],
        ["ZRANGEBYSCORE", "z", "-inf", "inf", "WITHSCORES"], ["ZPOPMIN", "z", "2"], ["ZPOPMAX", "z"]);

    [Fact]
    public void ReadsAndRanks() => SameInBothEncodings(
        ["ZADD", "z", "1", "a", "2", "b", "2", "bb", "3", "c"], ["ZCARD", "z"], ["ZCARD", "nokey"], ["ZCARD"], ["ZCARD", "z", "x"],
        ["ZSCORE", "z", "b"], ["ZSCORE", "z", "x"], ["ZSCORE", "nokey", "x"], ["ZSCORE", "z"], ["ZMSCORE", "z", "a", "x", "c"], ["ZMSCORE", "nokey", "a"],
        ["ZMSCORE", "z"], ["ZRANK", "z", "a"], ["ZRANK", "z", "bb"], ["ZRANK", "z", "x"], ["ZRANK", "nokey", "a"], ["ZREVRANK", "z", "a"],
        ["ZREVRANK", "z", "c"], ["ZRANK", "z"], ["ZRANK", "z", "a", "WITHSCORE"], ["ZCOUNT", "z", "-inf", "+inf"], ["ZCOUNT", "z", "(1", "(3"],
        ["ZCOUNT", "z", "2", "2"], ["ZCOUNT", "z", "(2", "2"], ["ZCOUNT", "z", "3", "1"], ["ZCOUNT", "z", "a", "1"], ["ZCOUNT", "z", "1", "(x"],
        ["ZCOUNT", "nokey", "1", "2"], ["ZCOUNT", "nokey", "x", "2"], ["ZCOUNT", "z", "", ""], ["ZCOUNT", "z", " 1", "(", ], ["ZCOUNT", "z", "1e400", "inf"],
        ["ZCOUNT", "z", "nan", "1"], ["ZCOUNT", "z", "-inf", "(-inf"], ["ZCOUNT", "z", "1"], ["ZADD", "l", "0", "a", "0", "b", "0", "c", "0", "d"],
        ["ZLEXCOUNT", "l", "-", "+"], ["ZLEXCOUNT", "l", "[b", "(d"], ["ZLEXCOUNT", "l", "(a", "[c"], ["ZLEXCOUNT", "l", "+", "-"], ["ZLEXCOUNT", "l", "-", "-"],
        ["ZLEXCOUNT", "l", "[b", "[b"], ["ZLEXCOUNT", "l", "(b", "[b"], ["ZLEXCOUNT", "l", "a", "b"], ["ZLEXCOUNT", "l", "[a", "+x"],
        ["ZLEXCOUNT", "l", "", "+"], ["ZLEXCOUNT", "nokey", "-", "+"], ["ZLEXCOUNT", "nokey", "x", "+"], ["ZLEXCOUNT", "l", "[", "(zz"],
        ["SET", "s", "x"], ["ZCARD", "s"], ["ZSCORE", "s", "a"], ["ZMSCORE", "s", "a"], ["ZRANK", "s", "a"], ["ZCOUNT", "s", "0", "1"],
        ["ZCOUNT", "s", "x", "1"], ["ZLEXCOUNT", "s", "-", "+"], ["ZLEXCOUNT", "s", "x", "+"]);

    [Fact]
    public void Ranges() => SameInBothEncodings(
        ["ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e", "-inf", "lo", "inf", "hi"],
        ["ZRANGE", "z", "0", "-1"], ["ZRANGE", "z", "0", "-1", "WITHSCORES"], ["ZRANGE", "z", "2", "3", "withscores"], ["ZRANGE", "z", "-3", "-1"],
        ["ZRANGE", "z", "-100", "100"], ["ZRANGE", "z", "5", "2"], ["ZRANGE", "z", "7", "10"], ["ZRANGE", "z", "0", "-1", "REV"],
        ["ZRANGE", "z", "1", "2", "REV", "WITHSCORES"], ["ZRANGE", "z", "a", "1"], ["ZRANGE", "z", "0", "9223372036854775807"],
        ["ZRANGE", "z", "-9223372036854775808", "1"], ["ZRANGE", "z", "0", "-1", "LIMIT", "0", "1"], ["ZRANGE", "z", "0", "-1", "LIMIT", "0"],
        ["ZRANGE", "z", "0", "-1", "FOO"], ["ZRANGE", "z", "(1", "5", "BYSCORE"], ["ZRANGE", "z", "1", "(5", "BYSCORE", "WITHSCORES"],
        ["ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "1", "2"], ["ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "-1", "2"],
        ["ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "2", "-1"], ["ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "7", "1"],
        ["ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "2", "0"], ["ZRANGE", "z", "+inf", "-inf", "BYSCORE", "REV", "LIMIT", "1", "3"],
        ["ZRANGE", "z", "5", "1", "BYSCORE", "REV", "WITHSCORES"], ["ZRANGE", "z", "1", "5", "BYSCORE", "REV"], ["ZRANGE", "z", "x", "5", "BYSCORE"],
        ["ZRANGE", "z", "1", "5", "BYSCORE", "LIMIT", "x", "1"], ["ZRANGE", "z", "1", "5", "BYSCORE", "LIMIT", "1", "x"],
        ["ZRANGE", "z", "1", "5", "BYSCORE", "BYLEX"], ["ZRANGE", "z", "1", "5", "REV", "REV"], ["ZRANGE", "z", "[a", "[c", "BYLEX"],
        ["ZRANGE", "z", "[a", "[c", "BYLEX", "WITHSCORES"], ["ZRANGE", "z", "a", "c", "BYLEX"], ["ZRANGE", "nokey", "0", "-1"],
        ["ZRANGE", "nokey", "x", "-1"], ["ZRANGE", "z", "0"], ["ZREVRANGE", "z", "0", "2", "WITHSCORES"], ["ZREVRANGE", "z", "0", "2", "REV"],
        ["ZREVRANGE", "z", "0", "2", "BYSCORE"], ["ZREVRANGE", "z", "0", "2", "LIMIT", "0", "1"], ["ZRANGEBYSCORE", "z", "2", "4", "WITHSCORES", "LIMIT", "1", "1"],
        ["ZRANGEBYSCORE", "z", "2", "4", "REV"], ["ZRANGEBYSCORE", "z", "(2", "(4"], ["ZRANGEBYSCORE", "z", "4", "2"], ["ZREVRANGEBYSCORE", "z", "4", "2", "WITHSCORES"],
        ["ZREVRANGEBYSCORE", "z", "+inf", "-inf", "LIMIT", "0", "2"], ["ZREVRANGEBYSCORE", "z", "2", "4"], ["ZRANGEBYSCORE", "z", "-inf", "(-inf"],
        ["ZRANGEBYSCORE", "z", "inf", "inf"], ["ZRANGEBYSCORE", "z", "x", "y"], ["ZRANGEBYSCORE", "z", "1"],
        ["ZADD", "l", "0", "alpha", "0", "beta", "0", "gamma", "0", "delta", "0", "", "0", "b\0x"], ["ZRANGEBYLEX", "l", "-", "+"],
        ["ZRANGEBYLEX", "l", "[b", "(g"], ["ZRANGEBYLEX", "l", "(alpha", "+", "LIMIT", "1", "2"], ["ZRANGEBYLEX", "l", "-", "+", "LIMIT", "-1", "2"],
        ["ZRANGEBYLEX", "l", "[", "[b"], ["ZRANGEBYLEX", "l", "[b\0", "+"], ["ZREVRANGEBYLEX", "l", "+", "-"], ["ZREVRANGEBYLEX", "l", "(g", "[b", "LIMIT", "0", "1"],
        ["ZREVRANGEBYLEX", "l", "-", "+"], ["ZRANGEBYLEX", "l", "b", "+"], ["ZRANGEBYLEX", "l", "-", "+", "WITHSCORES"], ["ZRANGEBYLEX", "l", "+", "-"],
        ["ZRANGE", "l", "+", "-", "BYLEX", "REV", "LIMIT", "1", "10"], ["ZRANGE", "l", "(a", "(z", "BYLEX"], ["ZRANGEBYLEX", "l", "-\0", "+\0"],
        ["ZRANGEBYLEX", "l", "-x", "+"], ["SET", "s", "x"], ["ZRANGE", "s", "0", "-1"], ["ZRANGE", "s", "x", "-1"], ["ZRANGEBYSCORE", "s", "0", "1"],
        ["ZRANGEBYLEX", "s", "-", "+"], ["ZREVRANGE", "s", "0", "1"]);

    [Fact]
    public void RangeStore() => SameInBothEncodings(
        ["ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d"], ["ZRANGESTORE", "dst", "z", "0", "1"], ["ZRANGE", "dst", "0", "-1", "WITHSCORES"],
        ["OBJECT", "ENCODING", "dst"], ["ZRANGESTORE", "dst", "z", "(1", "+inf", "BYSCORE", "LIMIT", "1", "5"], ["ZRANGE", "dst", "0", "-1", "WITHSCORES"],
        ["ZRANGESTORE", "dst", "z", "+inf", "-inf", "BYSCORE", "REV", "LIMIT", "0", "2"], ["ZRANGE", "dst", "0", "-1", "WITHSCORES"],
        ["ZRANGESTORE", "dst", "z", "5", "9"], ["EXISTS", "dst"], ["SET", "dst", "x"], ["ZRANGESTORE", "dst", "z", "0", "-1", "REV"], ["TYPE", "dst"],
        ["ZRANGE", "dst", "0", "-1", "WITHSCORES"], ["ZRANGESTORE", "dst", "nokey", "0", "-1"], ["EXISTS", "dst"], ["ZRANGESTORE", "dst", "z", "0", "-1", "WITHSCORES"],
        ["ZRANGESTORE", "dst", "z", "[a", "[c", "BYLEX"], ["ZRANGE", "dst", "0", "-1"], ["ZRANGESTORE", "z", "z", "1", "2"], ["ZRANGE", "z", "0", "-1", "WITHSCORES"],
        ["SET", "s", "x"], ["ZRANGESTORE", "dst", "s", "0", "-1"], ["ZRANGESTORE", "s", "z", "0", "-1"], ["TYPE", "s"], ["ZRANGESTORE", "dst", "z", "0"],
        ["ZRANGESTORE", "dst", "z", "x", "1"], ["SET", "t", "x", "EX", "100"], ["ZRANGESTORE", "t", "z", "0", "-1"], ["TTL", "t"]);

    [Fact]
    public void RemoveRanges() => SameInBothEncodings(
        ["ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"], ["ZREMRANGEBYRANK", "z", "0", "0"], ["ZREMRANGEBYRANK", "z", "-1", "-1"],
        ["ZREMRANGEBYRANK", "z", "5", "10"], ["ZREMRANGEBYRANK", "z", "2", "1"], ["ZREMRANGEBYRANK", "z", "x", "1"], ["ZRANGE", "z", "0", "-1"],
        ["ZREMRANGEBYSCORE", "z", "(2", "3"], ["ZREMRANGEBYSCORE", "z", "x", "3"], ["ZREMRANGEBYSCORE", "z", "10", "20"], ["ZRANGE", "z", "0", "-1"],
        ["ZREMRANGEBYSCORE", "z", "-inf", "+inf"], ["EXISTS", "z"], ["ZADD", "l", "0", "a", "0", "b", "0", "c", "0", "d"],
        ["ZREMRANGEBYLEX", "l", "(a", "[c"], ["ZREMRANGEBYLEX", "l", "x", "[c"], ["ZRANGE", "l", "0", "-1"], ["ZREMRANGEBYLEX", "l", "-", "+"],
        ["EXISTS", "l"], ["ZREMRANGEBYRANK", "nokey", "0", "-1"], ["ZREMRANGEBYSCORE", "nokey", "0", "1"], ["ZREMRANGEBYLEX", "nokey", "-", "+"],
        ["ZREMRANGEBYRANK", "nokey", "x", "1"], ["ZADD", "z", "1", "a", "2", "b"], ["ZREMRANGEBYRANK", "z", "0", "-1"], ["EXISTS", "z"],
        ["ZREMRANGEBYRANK", "z", "0"], ["SET", "s", "x"], ["ZREMRANGEBYRANK", "s", "0", "1"], ["ZREMRANGEBYSCORE", "s", "0", "1"],
        ["ZREMRANGEBYLEX", "s", "-", "+"], ["ZREM", "s", "a"], ["ZADD", "r", "1", "a", "2", "b", "3", "c"], ["ZREM", "r", "a", "x", "a"],
        ["ZREM", "r", "b", "c", "d"], ["EXISTS", "r"], ["ZREM", "r", "a"], ["ZREM", "r"]);

    [Fact]
    public void Pops() => SameInBothEncodings(
        ["ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"], ["ZPOPMIN", "z"], ["ZPOPMAX", "z"], ["ZPOPMIN", "z", "2"], ["ZPOPMAX", "z", "0"],
        ["ZPOPMIN", "z", "-1"], ["ZPOPMIN", "z", "x"], ["ZPOPMIN", "z", "1", "2"], ["ZPOPMAX", "z", "10"], ["EXISTS", "z"], ["ZPOPMIN", "z"],
        ["ZPOPMIN", "z", "3"], ["ZPOPMIN", "z", "0"], ["ZADD", "y", "1", "a", "2", "b", "3", "c"], ["ZMPOP", "2", "nokey", "y", "MIN"],
        ["ZMPOP", "1", "y", "MAX", "COUNT", "5"], ["ZMPOP", "1", "y", "MAX"], ["ZMPOP", "0", "y", "MIN"], ["ZMPOP", "-1", "y", "MIN"],
        ["ZMPOP", "x", "y", "MIN"], ["ZMPOP", "1", "y"], ["ZMPOP", "2", "y", "MIN"], ["ZMPOP", "1", "y", "LEFT"], ["ZMPOP", "1", "y", "MIN", "COUNT"],
        ["ZMPOP", "1", "y", "MIN", "COUNT", "0"], ["ZMPOP", "1", "y", "MIN", "COUNT", "-1"], ["ZMPOP", "1", "y", "MIN", "COUNT", "x"],
        ["ZMPOP", "1", "y", "MIN", "COUNT", "1", "COUNT", "1"], ["ZMPOP", "1", "y", "MIN", "FOO"], ["ZMPOP", "9223372036854775807", "y", "MIN"],
        ["ZMPOP", "1", "nokey", "MIN"], ["SET", "s", "x"], ["ZPOPMIN", "s"], ["ZPOPMIN", "s", "x"], ["ZMPOP", "2", "nokey", "s", "MIN"],
        ["ZADD", "y", "1", "a"], ["ZMPOP", "2", "y", "s", "MIN"], ["BZPOPMIN", "s", "nokey", "0"], ["ZADD", "b", "1", "a", "2", "b"],
        ["BZPOPMIN", "nokey", "b", "0"], ["BZPOPMAX", "b", "0.1"], ["EXISTS", "b"], ["BZPOPMIN", "b", "x"], ["BZPOPMIN", "b", "-1"],
        ["ZADD", "b", "1", "a", "2", "b", "3", "c"], ["BZMPOP", "0", "1", "b", "MAX", "COUNT", "2"], ["BZMPOP", "0", "1", "b", "MIN"],
        ["BZMPOP", "0", "0", "b", "MIN"], ["BZMPOP", "x", "1", "b", "MIN"], ["BZMPOP", "0", "1", "b", "FOO"], ["BZMPOP", "0", "1", "s", "MIN"],
        ["BZPOPMIN", "b"]);

    [Fact]
    public void SetOperations() => SameInBothEncodings(
        ["ZADD", "a", "1", "x", "2", "y", "3", "z"], ["ZADD", "b", "10", "y", "20", "z", "30", "w"], ["ZADD", "c", "inf", "x", "-inf", "y"],
        ["ZUNION", "2", "a", "b"], ["ZUNION", "2", "a", "b", "WITHSCORES"], ["ZUNION", "3", "a", "b", "nokey", "WEIGHTS", "2", "0.5", "7", "WITHSCORES"],
        ["ZUNION", "2", "a", "b", "AGGREGATE", "MIN", "WITHSCORES"], ["ZUNION", "2", "a", "b", "AGGREGATE", "max", "WITHSCORES"],
        ["ZUNION", "3", "a", "b", "c", "WITHSCORES"], ["ZUNION", "2", "c", "c", "WITHSCORES"], ["ZUNION", "2", "c", "a", "WEIGHTS", "-1", "0", "WITHSCORES"],
        ["ZINTER", "2", "a", "b", "WITHSCORES"], ["ZINTER", "2", "a", "b"], ["ZINTER", "2", "a", "a", "WITHSCORES"], ["ZINTER", "2", "a", "nokey"],
        ["ZINTER", "2", "a", "c", "AGGREGATE", "SUM", "WEIGHTS", "1", "0", "WITHSCORES"], ["ZINTER", "3", "a", "b", "c", "AGGREGATE", "MAX", "WITHSCORES"],
        ["ZDIFF", "2", "a", "b"], ["ZDIFF", "2", "a", "b", "WITHSCORES"], ["ZDIFF", "1", "a", "WITHSCORES"], ["ZDIFF", "2", "a", "a"],
        ["ZDIFF", "2", "nokey", "a"], ["ZDIFF", "2", "a", "b", "WEIGHTS", "1", "2"], ["ZDIFF", "2", "a", "b", "AGGREGATE", "MIN"],
        ["ZUNIONSTORE", "d", "2", "a", "b"], ["ZRANGE", "d", "0", "-1", "WITHSCORES"], ["ZINTERSTORE", "d", "2", "a", "b", "WEIGHTS", "2", "3"],
        ["ZRANGE", "d", "0", "-1", "WITHSCORES"], ["ZDIFFSTORE", "d", "2", "b", "a"], ["ZRANGE", "d", "0", "-1", "WITHSCORES"],
        ["ZINTERSTORE", "d", "2", "a", "nokey"], ["EXISTS", "d"], ["ZUNIONSTORE", "a", "2", "a", "b", "AGGREGATE", "MAX"], ["ZRANGE", "a", "0", "-1", "WITHSCORES"],
        ["ZUNIONSTORE", "d", "2", "a", "b", "WITHSCORES"], ["ZINTERCARD", "2", "a", "b"], ["ZINTERCARD", "2", "a", "b", "LIMIT", "1"],
        ["ZINTERCARD", "2", "a", "b", "LIMIT", "0"], ["ZINTERCARD", "2", "a", "b", "LIMIT", "-1"], ["ZINTERCARD", "2", "a", "b", "LIMIT", "x"],
        ["ZINTERCARD", "2", "a", "b", "WITHSCORES"], ["ZINTERCARD", "2", "a", "b", "WEIGHTS", "1", "1"], ["ZINTERCARD", "0", "a"],
        ["ZINTERCARD", "1", "nokey"], ["ZUNION", "0", "a"], ["ZUNION", "-1", "a"], ["ZUNION", "x", "a"], ["ZUNION", "3", "a", "b"],
        ["ZUNIONSTORE", "d", "0", "a"], ["ZDIFFSTORE", "d", "0", "a"], ["ZINTER", "0", "a"], ["ZDIFF", "0", "a"],
        ["ZUNION", "2", "a", "b", "WEIGHTS", "1"], ["ZUNION", "2", "a", "b", "WEIGHTS", "1", "x"], ["ZUNION", "2", "a", "b", "WEIGHTS", "1", "nan"],
        ["ZUNION", "2", "a", "b", "AGGREGATE", "AVG"], ["ZUNION", "2", "a", "b", "AGGREGATE"], ["ZUNION", "2", "a", "b", "FOO"],
        ["ZUNION", "2", "a", "b", "WITHSCORES", "WITHSCORES"], ["SET", "s", "x"], ["ZUNION", "2", "a", "s"], ["ZUNION", "2", "a", "s", "FOO"],
        ["ZINTERSTORE", "s", "2", "a", "b"], ["TYPE", "s"], ["ZUNIONSTORE", "d", "1", "s"], ["ZINTERCARD", "2", "s", "a"], ["ZDIFF", "2", "a", "s"],
        ["ZUNION", "1"], ["ZUNIONSTORE", "d", "1"], ["SET", "t", "x", "EX", "100"], ["ZUNIONSTORE", "t", "1", "a"], ["TTL", "t"]);

    [Fact]
    public void UnionSumsAddUpInRedisOrder() => Same(
        ["ZADD", "a", "0.1", "m", "1", "a1", "2", "a2"], ["ZADD", "b", "0.2", "m"], ["ZADD", "c", "0.3", "m", "1", "c1"],
        ["ZUNION", "3", "a", "b", "c", "WITHSCORES"], ["ZUNION", "3", "c", "b", "a", "WITHSCORES"], ["ZINTER", "3", "a", "c", "b", "WITHSCORES"],
        ["ZUNION", "3", "a", "b", "c", "WEIGHTS", "1e308", "1e308", "-1e308", "WITHSCORES"]);

    [Fact]
    public void EncodingsFollowTheThresholds() => Same([
        .. Fill("z", 128, i => i.ToString(), i => "m" + i), ["OBJECT", "ENCODING", "z"], ["ZADD", "z", "5", "m5"], ["OBJECT", "ENCODING", "z"],
        ["ZADD", "z", "1000", "m128"], ["OBJECT", "ENCODING", "z"], ["ZREMRANGEBYRANK", "z", "0", "-10"], ["OBJECT", "ENCODING", "z"], // never converts back
        ["ZADD", "v", "1", new string('x', 64)], ["OBJECT", "ENCODING", "v"], ["ZADD", "v", "2", new string('y', 65)], ["OBJECT", "ENCODING", "v"],
        ["ZADD", "w", "1", new string('y', 65)], ["OBJECT", "ENCODING", "w"], ["ZINCRBY", "w2", "1", new string('y', 65)],
        ["OBJECT", "ENCODING", "w2"],
        // Stored results take the encoding their size calls for.
        ["ZRANGESTORE", "r", "z", "0", "2"], ["OBJECT", "ENCODING", "r"], ["ZUNIONSTORE", "u", "1", "z"], ["OBJECT", "ENCODING", "u"],
        ["ZUNIONSTORE", "u", "1", "v"], ["OBJECT", "ENCODING", "u"], ["COPY", "z", "zc"], ["OBJECT", "ENCODING", "zc"],
        ["ZRANGE", "zc", "0", "-1", "WITHSCORES"], ["CONFIG", "SET", "zset-max-listpack-entries", "4"],
        .. Fill("c", 5, i => i.ToString(), i => "m" + i), ["OBJECT", "ENCODING", "c"], ["ZADD", "d", "1", "a", "2", "b", "3", "c", "4", "d"],
        ["OBJECT", "ENCODING", "d"], ["ZADD", "d2", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"], ["OBJECT", "ENCODING", "d2"],
        ["ZINTERSTORE", "i", "2", "d2", "d2"], ["OBJECT", "ENCODING", "i"], ["ZDIFFSTORE", "i", "1", "d"], ["OBJECT", "ENCODING", "i"],
        ["ZRANGESTORE", "r", "d2", "0", "-1"], ["OBJECT", "ENCODING", "r"], ["ZRANGESTORE", "r", "d2", "-inf", "inf", "BYSCORE"],
        ["OBJECT", "ENCODING", "r"], ["CONFIG", "SET", "zset-max-listpack-entries", "0"], ["ZADD", "e", "1", "a"], ["OBJECT", "ENCODING", "e"],
        ["CONFIG", "SET", "zset-max-listpack-entries", "128", "zset-max-listpack-value", "2"], ["ZADD", "f", "1", "ab"], ["OBJECT", "ENCODING", "f"],
        ["ZADD", "g", "1", "abc"], ["OBJECT", "ENCODING", "g"], ["ZADD", "h", "1", "a", "2", "abc"], ["OBJECT", "ENCODING", "h"],
        ["CONFIG", "SET", "zset-max-ziplist-value", "0"], ["ZADD", "j", "1", ""], ["OBJECT", "ENCODING", "j"], ["ZADD", "j", "1", "x"],
        ["OBJECT", "ENCODING", "j"]]);

    /// <summary>A compact set keeps integral scores as integers, so -0 becomes 0 there and stays -0 in the tree.</summary>
    [Fact]
    public void NegativeZeroFollowsTheEncoding() => Same(
        ["ZADD", "p", "-0", "a"], ["ZSCORE", "p", "a"], ["ZADD", "u", "-0", "a", "1", new string('x', 65)], ["ZSCORE", "u", "a"],
        ["ZADD", "u", "-0", "b"], ["ZSCORE", "u", "b"], ["ZADD", "u", "0", "b"], ["ZSCORE", "u", "b"], ["ZINCRBY", "u", "-0", "b"], ["ZSCORE", "u", "b"],
        ["ZRANGESTORE", "r", "u", "0", "-1"], ["ZSCORE", "r", "b"], ["ZRANGESTORE", "r", "u", "-inf", "inf", "BYSCORE", "REV"], ["ZSCORE", "r", "b"],
        ["ZUNIONSTORE", "r", "1", "u"], ["ZSCORE", "r", "b"], ["CONFIG", "SET", "zset-max-listpack-entries", "0"], ["ZADD", "t", "-0", "a"],
        ["ZSCORE", "t", "a"], ["ZRANGESTORE", "r", "t", "-inf", "inf", "BYSCORE"], ["ZSCORE", "r", "a"], ["ZUNIONSTORE", "r", "1", "t"], ["ZSCORE", "r", "a"],
        ["ZUNION", "1", "t", "WITHSCORES"], ["ZUNION", "2", "t", "t", "WITHSCORES"], ["ZINTER", "2", "t", "t", "AGGREGATE", "MIN", "WITHSCORES"]);

    [Fact]
    public void BigSetsAgreeOnEveryRangeAndRank()
    {
        var script = new List<string[]>();
        var rng = new Random(77);
        for (int batch = 0; batch < 20; batch++)
        {
            var cmd = new List<string> { "ZADD", "big" };
            for (int i = 0; i < 100; i++)
            {
                cmd.Add((rng.Next(500) / 2.0).ToString(System.Globalization.CultureInfo.InvariantCulture));
                cmd.Add("member:" + rng.Next(3000));
            }
            script.Add([.. cmd]);
        }
        script.Add(["ZCARD", "big"]);
        script.Add(["OBJECT", "ENCODING", "big"]);
        for (int i = 0; i < 40; i++)
        {
            string m = "member:" + rng.Next(3000), lo = rng.Next(260).ToString(), hi = "(" + rng.Next(260);
            int start = rng.Next(-50, 1500);
            script.Add(["ZRANK", "big", m]);
            script.Add(["ZREVRANK", "big", m]);
            script.Add(["ZSCORE", "big", m]);
            script.Add(["ZCOUNT", "big", lo, hi]);
            script.Add(["ZRANGE", "big", start.ToString(), (start + rng.Next(20)).ToString(), "WITHSCORES"]);
            script.Add(["ZRANGE", "big", start.ToString(), (start + rng.Next(20)).ToString(), "REV"]);
            script.Add(["ZRANGEBYSCORE", "big", lo, hi, "WITHSCORES", "LIMIT", rng.Next(5).ToString(), rng.Next(1, 9).ToString()]);
            script.Add(["ZREVRANGEBYSCORE", "big", hi, lo, "LIMIT", rng.Next(5).ToString(), rng.Next(1, 9).ToString()]);
            if (i % 8 == 0)
            {
                script.Add(["ZREMRANGEBYSCORE", "big", lo, "(" + (rng.Next(260) / 8)]);
                script.Add(["ZREMRANGEBYRANK", "big", rng.Next(1000).ToString(), rng.Next(1000).ToString()]);
                script.Add(["ZPOPMIN", "big", "3"]);
                script.Add(["ZPOPMAX", "big", "2"]);
            }
        }
        script.Add(["ZRANGE", "big", "0", "-1", "WITHSCORES"]);
        script.Add(["ZUNIONSTORE", "u", "2", "big", "big", "WEIGHTS", "1", "0.5"]);
        script.Add(["ZRANGE", "u", "0", "-1", "WITHSCORES"]);
        Same([.. script]);
    }

    [Fact]
    public void ZRandMemberErrorsAndInvariants()
    {
        Same(["ZADD", "z", "1", "a", "2", "b", "3", "c"], ["ZRANDMEMBER", "nokey"], ["ZRANDMEMBER", "nokey", "5"], ["ZRANDMEMBER", "z", "0"],
            ["ZRANDMEMBER", "z", "3"], ["ZRANDMEMBER", "z", "10", "WITHSCORES"], ["ZRANDMEMBER", "z", "x"], ["ZRANDMEMBER", "z", "1", "FOO"],
            ["ZRANDMEMBER", "z", "1", "WITHSCORES", "x"], ["ZRANDMEMBER", "z", "-9223372036854775808"], ["ZRANDMEMBER", "z", "4611686018427387904", "WITHSCORES"],
            ["ZRANDMEMBER", "z", "-4611686018427387904", "WITHSCORES"], ["SET", "s", "x"], ["ZRANDMEMBER", "s"], ["ZRANDMEMBER", "s", "1"],
            ["ZRANDMEMBER", "s", "x"], ["ZRANDMEMBER"]);
        using var v = servers.Vermilion.Connect();
        v.Call("FLUSHALL");
        foreach (int size in new[] { 5, 300 })
        {
            var members = Enumerable.Range(0, size).Select(i => "m" + i).ToHashSet();
            foreach (var m in members) v.Call("ZADD", "r" + size, m[1..], m);
            foreach (int count in new[] { 1, 2, size / 2, size - 1, -3, -(size * 2) })
            {
                var reply = Flatten(v.Call("ZRANDMEMBER", "r" + size, count.ToString(), "WITHSCORES"));
                Assert.Equal(Math.Abs(count) * 2, reply.Count);
                var picked = new List<string>();
                for (int i = 0; i < reply.Count; i += 2)
                {
                    Assert.Contains(reply[i], members);
                    Assert.Equal(reply[i][1..], reply[i + 1]);
                    picked.Add(reply[i]);
                }
                if (count > 0) Assert.Equal(picked.Count, picked.Distinct().Count());
            }
            Assert.Contains(Flatten(v.Call("ZRANDMEMBER", "r" + size))[0], members);
        }
        // Every member shows up over many draws.
        var drawn = new HashSet<string>();
        for (int i = 0; i < 40; i++) drawn.UnionWith(Flatten(v.Call("ZRANDMEMBER", "r5", "-10")));
        Assert.Equal(5, drawn.Count);
    }

    /// <summary>The bulk strings of a reply, in order, whatever the nesting.</summary>
    static List<string> Flatten(string reply) => RespReply.Parse(reply).Leaves().ToList();

    [Fact]
    public void ZScanReturnsEveryMember()
    {
        Same(["ZADD", "z", "1", "a", "2.5", "b", "1e17", "big", "3", "c"], ["ZSCAN", "z", "0"], ["ZSCAN", "z", "0", "MATCH", "b*"],
            ["ZSCAN", "z", "0", "COUNT", "1"], ["ZSCAN", "z", "0", "COUNT", "0"], ["ZSCAN", "z", "0", "COUNT", "x"], ["ZSCAN", "z", "x"],
            ["ZSCAN", "z", "-1"], ["ZSCAN", "z", "0", "MATCH"], ["ZSCAN", "z", "0", "TYPE", "zset"], ["ZSCAN", "nokey", "0"], ["ZSCAN", "nokey", "x"],
            ["ZSCAN", "nokey", "0", "FOO"], ["SET", "s", "x"], ["ZSCAN", "s", "0"], ["ZSCAN", "s", "x"], ["ZSCAN", "z"]);
        using var pair = servers.Connect();
        var (r, v) = pair;
        foreach (var s in pair.Both)
        {
            for (int i = 0; i < 500; i++) s.Call("ZADD", "big", (i * 1e15).ToString("R"), "member:" + i);
        }
        Assert.Equal(ScanAll(r, "big", "*7*"), ScanAll(v, "big", "*7*"));
        Assert.Equal(ScanAll(r, "big", null), ScanAll(v, "big", null));
    }

    static List<string> ScanAll(RespSocket s, string key, string? pattern)
    {
        var pairs = new List<string>();
        string cursor = "0";
        do
        {
            var reply = RespReply.Parse(pattern is null ? s.Call("ZSCAN", key, cursor, "COUNT", "7") : s.Call("ZSCAN", key, cursor, "MATCH", pattern)).Leaves().ToList();
            cursor = reply[0];
            for (int i = 1; i < reply.Count; i += 2) pairs.Add(reply[i] + "=" + reply[i + 1]);
        } while (cursor != "0");
        return pairs.Distinct().Order(StringComparer.Ordinal).ToList();
    }

    [Fact]
    public void ReadsCountKeyspaceHitsAndMisses() => servers.SameKeyspaceHitsAndMisses(
        ["ZADD", "z", "1", "a"], ["SET", "s", "x"], ["ZCARD", "z"], ["ZCARD", "nokey"], ["ZSCORE", "s", "a"], ["ZMSCORE", "nokey", "a"],
        ["ZRANGE", "z", "0", "-1"], ["ZRANGEBYSCORE", "nokey", "0", "1"], ["ZUNION", "3", "z", "s", "nokey"], ["ZUNIONSTORE", "d", "2", "z", "nokey"],
        ["ZRANGESTORE", "d2", "z", "0", "-1"], ["ZRANDMEMBER", "z"], ["ZSCAN", "z", "0"], ["ZRANK", "nokey", "a"], ["ZINTERCARD", "2", "z", "nokey"],
        ["ZADD", "z", "2", "b"], ["ZPOPMIN", "nokey"], ["ZREM", "nokey", "a"], ["ZCOUNT", "z", "0", "1"], ["ZLEXCOUNT", "nokey", "-", "+"]);

    [Fact]
    public void MemoryAccountingReturnsToZero()
    {
        using var s = new InProcessServer();
        using var c = s.Connect();
        var keys = s.Server.Databases[0].Keys;
        var rng = new Random(4);
        for (int i = 0; i < 3000; i++)
        {
            string key = "z" + rng.Next(3);
            switch (rng.Next(6))
            {
                case 0: c.Call("ZREM", key, "m" + rng.Next(400)); break;
                case 1: c.Call("ZPOPMIN", key, rng.Next(3).ToString()); break;
                case 2: c.Call("ZREMRANGEBYRANK", key, "0", rng.Next(3).ToString()); break;
                default: c.Call("ZADD", key, rng.Next(100).ToString(), "m" + rng.Next(400) + new string('x', rng.Next(2) * 70)); break;
            }
        }
        c.Call("ZUNIONSTORE", "u", "3", "z0", "z1", "z2");
        Assert.True(keys.ItemBytes > 10_000);
        Assert.Equal(":1\r\n", c.Call("DEL", "u"));
        c.Call("DEL", "z0", "z1", "z2");
        Assert.Equal(0L, keys.ItemBytes);
    }

    // ---- blocking pops --------------------------------------------------------------------------

    /// <summary>Timeouts as Redis 7.0 reads them (strtold, then ceil(ms) as a long long), on a key that does not make anyone wait.</summary>
    [Fact]
    public void BlockingTimeoutsParseAsRedis() => Same(
        new[] { "1e400", "inf", "-inf", " 1", "0x10", "1e-400", "-1e-400", "-0", "1e10", "9223372036854775", "9223372036854776",
            "9223372036854775.807", "9223372036854775.808", "1e16", "nan", "", "0.0001", ".5e-3", "1 ", "-0.0001", "-1", "1e308",
            "abc", "0x", "1e5000", "1e4931", "1e-5000", "1e-4950", "0x1p2000", "1\0" }
            .SelectMany(t => new[] { new[] { "ZADD", "tz", "1", "a" }, ["BZPOPMIN", "tz", t], ["ZADD", "tz", "1", "a"], ["BZMPOP", t, "1", "tz", "MAX"] }).ToArray());

    [Fact]
    public void BlockedPopIsServedByAnotherClientsZAdd()
    {
        var s = servers.Vermilion;
        using var blocked = s.Connect();
        using var other = s.Connect();
        other.Call("DEL", "bz1", "bz2");
        blocked.Send(RespSocket.Encode("BZPOPMIN", "bz1", "bz2", "0"));
        Assert.True(blocked.IsQuiet(100));
        Assert.Equal(":2\r\n", other.Call("ZADD", "bz2", "5", "five", "3", "three"));
        Assert.Equal("*3\r\n$3\r\nbz2\r\n$5\r\nthree\r\n$1\r\n3\r\n", blocked.ReadReply());
        Assert.Equal("*2\r\n$4\r\nfive\r\n$1\r\n5\r\n", other.Call("ZRANGE", "bz2", "0", "-1", "WITHSCORES"));
        // BZMPOP takes up to COUNT and deletes the emptied key.
        blocked.Send(RespSocket.Encode("BZMPOP", "0", "2", "bz1", "bz3", "MAX", "COUNT", "10"));
        Assert.True(blocked.IsQuiet(100));
        other.Call("ZADD", "bz3", "1", "a", "2", "b");
        Assert.Equal("*2\r\n$3\r\nbz3\r\n*2\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n", blocked.ReadReply());
        Assert.Equal(":0\r\n", other.Call("EXISTS", "bz3"));
        // RESP3 replies carry doubles.
        blocked.Call("HELLO", "3");
        blocked.Send(RespSocket.Encode("BZPOPMAX", "bz1", "0"));
        Assert.True(blocked.IsQuiet(100));
        other.Call("ZADD", "bz1", "1.5", "x");
        Assert.Equal("*3\r\n$3\r\nbz1\r\n$1\r\nx\r\n,1.5\r\n", blocked.ReadReply());
    }

    [Fact]
    public void BlockedPopsTimeOutAndKeepTheirOrder()
    {
        var s = servers.Vermilion;
        using var first = s.Connect();
        using var second = s.Connect();
        using var other = s.Connect();
        other.Call("DEL", "fifo", "t1");
        long start = Environment.TickCount64;
        Assert.Equal("*-1\r\n", first.Call("BZPOPMIN", "t1", "0.2"));
        Assert.InRange(Environment.TickCount64 - start, 150, 3000);
        Assert.Equal("*-1\r\n", first.Call("BZMPOP", "0.05", "1", "t1", "MIN"));
        first.Call("HELLO", "3");
        Assert.Equal("_\r\n", first.Call("BZPOPMAX", "t1", "0.05"));
        first.Call("HELLO", "2");

        first.Send(RespSocket.Encode("BZPOPMIN", "fifo", "0"));
        Assert.True(first.IsQuiet(50));
        second.Send(RespSocket.Encode("BZPOPMIN", "fifo", "0"));
        Assert.True(second.IsQuiet(50));
        Assert.Equal(":1\r\n", other.Call("ZADD", "fifo", "1", "one"));
        Assert.Equal("*3\r\n$4\r\nfifo\r\n$3\r\none\r\n$1\r\n1\r\n", first.ReadReply());
        Assert.True(second.IsQuiet(100)); // still waiting: the key is gone again
        Assert.Equal(":2\r\n", other.Call("ZADD", "fifo", "2", "two", "3", "three"));
        Assert.Equal("*3\r\n$4\r\nfifo\r\n$3\r\ntwo\r\n$1\r\n2\r\n", second.ReadReply());
        Assert.Equal(":1\r\n", other.Call("ZCARD", "fifo"));
        // A key of another type does not wake a sorted set pop.
        first.Send(RespSocket.Encode("BZPOPMIN", "other", "0.3"));
        Assert.True(first.IsQuiet(50));
        other.Call("SET", "other", "x");
        Assert.Equal("*-1\r\n", first.ReadReply());
        other.Call("DEL", "other");
    }

    // ---- real clients -------------------------------------------------------------------------

    [Fact]
    public void RedisBenchmarkZAddAndZPopMin()
    {
        var s = servers.Vermilion;
        using var c = s.Connect();
        c.Call("DEL", "myzset");
        var r = ExternalProcess.Run("redis-benchmark", ["-p", s.Port.ToString(), "-t", "zadd,zpopmin", "-n", "5000", "-c", "10", "-q", "--csv"], timeoutMs: 120_000);
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("\"ZADD\",", r.Stdout);
        Assert.Contains("\"ZPOPMIN\",", r.Stdout);
        Assert.DoesNotContain("ERR", r.Stdout + r.Stderr);
    }

    // ---- randomized -----------------------------------------------------------------------------

    /// <summary>Thousands of random sorted set commands to both servers; every reply must match (random ones by invariants).</summary>
    [Fact]
    public void RandomizedDifferential()
    {
        int seed = Environment.GetEnvironmentVariable("VERMILION_SEED") is { } text ? int.Parse(text) : 20260;
        var rng = new Random(seed);
        // Random picks compare by how many came back; their validity is checked by ZRandMemberErrorsAndInvariants.
        using var pair = servers.Connect(s_options with { MaskOf = cmd => cmd[0] == "ZRANDMEMBER" ? @"\r\n[\s\S]+" : null });
        string Key() => "k" + rng.Next(5);
        string LexKey() => "lex" + rng.Next(2);
        string Member() => rng.Next(30) switch
        {
            0 => "",
            1 => new string('w', 65 + rng.Next(3)),
            2 => "\0bin\u00ff",
            _ => "m" + rng.Next(40),
        };
        string Score() => rng.Next(12) switch
        {
            0 => "inf",
            1 => "-inf",
            2 => "-0",
            3 => rng.Next(4) == 0 ? "x" : "7",
            4 => (rng.NextDouble() * 1e20).ToString("R"),
            5 => (rng.Next(100) / 8.0).ToString(System.Globalization.CultureInfo.InvariantCulture),
            6 => "(" + rng.Next(20),
            _ => rng.Next(-20, 40).ToString(),
        };
        string Bound() => rng.Next(8) switch { 0 => "-inf", 1 => "+inf", 2 => "(" + rng.Next(-5, 30), _ => rng.Next(-5, 30).ToString() };
        string Lex() => rng.Next(6) switch { 0 => "-", 1 => "+", 2 => "(" + Member(), _ => "[" + Member() };
        string Int() => rng.Next(8) == 0 ? "x" : rng.Next(-8, 50).ToString();
        string[] Options(params string[] pool) => pool.Where(_ => rng.Next(3) == 0).ToArray();
        var commands = new List<Func<string[]>>
        {
            () => ["ZADD", Key(), .. Options("NX", "XX", "GT", "LT", "CH"), Score(), Member(), Score(), Member()],
            () => ["ZADD", Key(), Score(), Member()], () => ["ZADD", Key(), "INCR", .. Options("NX", "XX", "GT", "LT"), Score(), Member()],
            () => ["ZADD", Key(), Score(), Member(), Score(), Member(), Score(), Member(), Score(), Member()],
            () => ["ZADD", Key(), Score(), Member(), Score(), Member(), Score(), Member(), Score(), Member()],
            () => ["ZADD", Key(), Score(), Member(), Score(), Member(), Score(), Member(), Score(), Member()],
            () => ["ZADD", LexKey(), "0", Member(), "0", Member(), "0", Member()],
            () => ["ZADD", LexKey(), "0", Member(), "0", Member()], () => ["ZINCRBY", Key(), Score(), Member()],
            () => ["ZREM", Key(), Member(), Member()], () => ["ZCARD", Key()], () => ["ZSCORE", Key(), Member()],
            () => ["ZMSCORE", Key(), Member(), Member()], () => ["ZRANK", Key(), Member()], () => ["ZREVRANK", Key(), Member()],
            () => ["ZCOUNT", Key(), Bound(), Bound()], () => ["ZLEXCOUNT", LexKey(), Lex(), Lex()],
            () => ["ZRANGE", Key(), Int(), Int(), .. Options("REV", "WITHSCORES")],
            () => ["ZRANGE", Key(), Bound(), Bound(), "BYSCORE", .. Options("REV", "WITHSCORES"), .. (rng.Next(2) == 0 ? new[] { "LIMIT", Int(), Int() } : [])],
            () => ["ZRANGE", LexKey(), Lex(), Lex(), "BYLEX", .. Options("REV"), .. (rng.Next(2) == 0 ? new[] { "LIMIT", Int(), Int() } : [])],
            () => ["ZRANGEBYSCORE", Key(), Bound(), Bound(), "WITHSCORES"], () => ["ZREVRANGEBYSCORE", Key(), Bound(), Bound(), "LIMIT", Int(), Int()],
            () => ["ZRANGEBYLEX", LexKey(), Lex(), Lex()], () => ["ZREVRANGEBYLEX", LexKey(), Lex(), Lex()],
            () => ["ZREVRANGE", Key(), Int(), Int(), "WITHSCORES"],
            () => ["ZRANGESTORE", Key(), Key(), Bound(), Bound(), "BYSCORE", .. Options("REV")], () => ["ZRANGESTORE", Key(), Key(), Int(), Int()],
            () => ["ZREMRANGEBYRANK", Key(), Int(), Int()], () => ["ZREMRANGEBYSCORE", Key(), Bound(), Bound()],
            () => ["ZREMRANGEBYLEX", LexKey(), Lex(), Lex()], () => ["ZPOPMIN", Key(), .. Options("2")], () => ["ZPOPMAX", Key(), Int()],
            () => ["ZMPOP", "2", Key(), Key(), rng.Next(2) == 0 ? "MIN" : "MAX", .. Options("COUNT", "3")],
            () => ["ZUNIONSTORE", Key(), "2", Key(), Key(), .. Options("WEIGHTS", "2", "0.5"), .. Options("AGGREGATE", "MAX")],
            () => ["ZINTERSTORE", Key(), "2", Key(), Key(), .. Options("AGGREGATE", "MIN")], () => ["ZDIFFSTORE", Key(), "2", Key(), Key()],
            () => ["ZUNION", "3", Key(), Key(), LexKey(), "WITHSCORES"], () => ["ZINTER", "2", Key(), Key(), "WITHSCORES"],
            () => ["ZDIFF", "2", Key(), Key(), .. Options("WITHSCORES")], () => ["ZINTERCARD", "2", Key(), Key(), .. Options("LIMIT", "2")],
            () => ["ZSCAN", Key(), "0", "COUNT", "1000"], () => ["ZRANDMEMBER", Key(), (rng.Next(2) == 0 ? "" : "-") + rng.Next(1, 60), .. Options("WITHSCORES")],
            () => ["OBJECT", "ENCODING", Key()], () => ["EXISTS", Key(), LexKey()], () => ["TYPE", Key()],
            () => rng.Next(4) switch { 0 => ["DEL", Key()], 1 => ["SET", Key(), "str"], 2 => ["COPY", Key(), Key(), "REPLACE"], _ => ["RENAME", Key(), Key()] },
        };
        int nonEmpty = 0, errors = 0;
        for (int i = 0; i < 6000; i++)
        {
            if (i == 3000)
                foreach (var s in pair.Both) s.Call("CONFIG", "SET", "zset-max-listpack-entries", "12");
            string expected = pair.Same(commands[rng.Next(commands.Count)](), $"seed {seed}, command #{i}: ");
            if (expected.StartsWith('*') && expected.Length > 8) nonEmpty++;
            if (expected.StartsWith('-')) errors++;
        }
        // The mix must do real work, not only produce errors and empty replies.
        Assert.True(nonEmpty > 400 && errors < 2000, $"{nonEmpty} non-empty array replies, {errors} errors");
        pair.Same(["DBSIZE"]);
        for (int k = 0; k < 5; k++) pair.Same(["ZRANGE", "k" + k, "0", "-1", "WITHSCORES"]);
    }
}
