using Xunit;

namespace Vermilion.Tests;

/// <summary>
/// The stream commands against redis-server 7.0.15, RESP2 and RESP3: fixed scripts with every
/// error path and bad input (overflowing and misplaced IDs, negative and huge counts, odd
/// field counts, unknown groups and consumers, a key of another type for every command), the
/// node bounds and their configs, consumer groups with their read counters and lag. What
/// depends on the clock (generated IDs, idle times, delivery and seen times) is masked.
/// </summary>
[Trait("Category", "Network")]
public class StreamCommandTests(DifferentialServers servers) : IClassFixture<DifferentialServers>
{
    /// <summary>Clock-dependent parts: a generated ID, a Unix-ms time, an idle time after "idle" or after XPENDING's consumer name.</summary>
    internal static string? ClockMask(string[] cmd) => cmd[0].ToUpperInvariant() switch
    {
        "XPENDING" when cmd.Length > 3 => @"(?<=\r\n\$\d+\r\n[^\r\n]+\r\n\$\d+\r\n[^\r\n]+\r\n):\d+\r\n|1\d{12}-\d+",
        _ => @"(?<=idle\r\n):\d+\r\n|:1\d{12}\r\n|1\d{12}-\d+",
    };

    static readonly SameOptions Masked = new() { MaskOf = ClockMask };
    static readonly SameOptions Masked3 = new() { MaskOf = ClockMask, Resp = 3 };

    void Same(params string[][] script)
    {
        servers.Same(Masked, script);
        servers.Same(Masked3, script);
    }

    [Fact]
    public void AddAndItsIdErrors() => Same(
        ["XADD", "s", "1-1", "a", "1"], ["XADD", "s", "1-1", "a", "1"], ["XADD", "s", "1-0", "a", "1"], ["XADD", "s", "0-0", "a", "1"],
        ["XADD", "s2", "0-0", "a", "1"], ["EXISTS", "s2"], ["XADD", "s", "0-*", "a", "1"], ["XADD", "s", "1-*", "a", "1"], ["XADD", "s", "1-*", "b", "2"],
        ["XADD", "s", "5", "a", "1"], ["XADD", "s", "5-*", "a", "1"], ["XADD", "s", "4-*", "a", "1"],
        ["XADD", "s", "18446744073709551615-18446744073709551614", "a", "1"], ["XADD", "s", "18446744073709551615-*", "a", "1"],
        ["XADD", "s", "*", "a", "1"], ["XADD", "s", "18446744073709551616-0", "a", "1"], ["XADD", "s", "-", "a", "1"], ["XADD", "s", "+", "a", "1"],
        ["XADD", "s", "1-2-3", "a", "1"], ["XADD", "s", "-1", "a", "1"], ["XADD", "s", " 1", "a", "1"], ["XADD", "s", "abc", "a", "1"],
        ["XADD", "t", "18446744073709551615-18446744073709551615", "a", "1"], ["XADD", "t", "*", "a", "1"], ["XADD", "t", "18446744073709551615-*", "a", "1"],
        ["XADD", "u", "1-1", "a"], ["XADD", "u", "1-1", "a", "1", "b"], ["XADD", "u", "1-1"], ["XADD", "u"], ["EXISTS", "u"],
        ["XADD", "u", "NOMKSTREAM", "1-1", "a", "1"], ["EXISTS", "u"], ["XADD", "s", "NOMKSTREAM", "100-1", "a", "1"],
        ["XLEN", "s"], ["XLEN", "nokey"], ["XRANGE", "s", "-", "+"], ["XINFO", "STREAM", "s"], ["XINFO", "STREAM", "t"], ["TYPE", "s"], ["OBJECT", "ENCODING", "s"]);

    [Fact]
    public void TrimOptionsAndTheirErrors() => Same(
        ["XADD", "s", "MAXLEN", "2", "1-1", "a", "1"], ["XADD", "s", "MAXLEN", "=", "2", "2-1", "a", "1"], ["XADD", "s", "MAXLEN", "~", "2", "3-1", "a", "1"],
        ["XADD", "s", "maxlen", "2", "4-1", "a", "1"], ["XRANGE", "s", "-", "+"],
        ["XADD", "s", "MAXLEN", "-1", "5-1", "a", "1"], ["XADD", "s", "MAXLEN", "x", "5-1", "a", "1"], ["XADD", "s", "MAXLEN", "99999999999999999999", "5-1", "a", "1"],
        ["XADD", "s", "MAXLEN", "1", "MINID", "1", "5-1", "a", "1"], ["XADD", "s", "MINID", "1", "MAXLEN", "1", "5-1", "a", "1"],
        ["XADD", "s", "LIMIT", "10", "5-1", "a", "1"], ["XADD", "s", "MAXLEN", "1", "LIMIT", "10", "5-1", "a", "1"],
        ["XADD", "s", "MAXLEN", "~", "1", "LIMIT", "-1", "5-1", "a", "1"], ["XADD", "s", "MAXLEN", "~", "1", "LIMIT", "x", "5-1", "a", "1"],
        ["XADD", "s", "MAXLEN", "~", "1", "LIMIT", "0", "5-1", "a", "1"], ["XADD", "s", "MINID", "~", "0", "LIMIT", "1", "6-1", "a", "1"],
        ["XADD", "s", "MINID", "-", "7-1", "a", "1"], ["XADD", "s", "MINID", "+", "7-1", "a", "1"], ["XADD", "s", "MINID", "(5", "7-1", "a", "1"],
        ["XADD", "s", "MINID", "6", "7-1", "a", "1"], ["XRANGE", "s", "-", "+"], ["XADD", "s", "MAXLEN", "0", "8-1", "a", "1"], ["XLEN", "s"],
        ["XINFO", "STREAM", "s"],
        ["XTRIM", "s"], ["XTRIM", "s", "LIMIT", "1"], ["XTRIM", "s", "MAXLEN"], ["XTRIM", "s", "MAXLEN", "1", "junk"], ["XTRIM", "s", "junk", "1"],
        ["XTRIM", "nokey", "MAXLEN", "1"], ["XTRIM", "nokey", "MAXLEN", "-1"], ["XTRIM", "s", "MAXLEN", "~", "0", "LIMIT", "0"],
        ["XADD", "t", "1-1", "a", "1"], ["XADD", "t", "2-1", "a", "1"], ["XADD", "t", "3-1", "a", "1"], ["XTRIM", "t", "MINID", "2"], ["XTRIM", "t", "MINID", "=", "9"],
        ["XTRIM", "t", "MAXLEN", "~", "0"], ["XLEN", "t"], ["XINFO", "STREAM", "t"]);

    [Fact]
    public void RangesAcrossNodes()
    {
        using var _ = servers.Configure("stream-node-max-entries", "7", "stream-node-max-bytes", "300");
        var script = new List<string[]>();
        for (int i = 1; i <= 60; i++)
            script.Add(i % 4 == 0 ? ["XADD", "s", $"{i}-{i % 3}", "other", i.ToString(), "x", new string('v', i)] : ["XADD", "s", $"{i}-{i % 3}", "f", i.ToString(), "g", "-" + i]);
        script.AddRange([
            ["XRANGE", "s", "-", "+"], ["XREVRANGE", "s", "+", "-"], ["XRANGE", "s", "10", "20"], ["XRANGE", "s", "(10-1", "(20-2"], ["XREVRANGE", "s", "(20-2", "(10-1"],
            ["XRANGE", "s", "15-0", "15-0"], ["XRANGE", "s", "-", "+", "COUNT", "5"], ["XREVRANGE", "s", "+", "-", "COUNT", "5"], ["XRANGE", "s", "-", "+", "COUNT", "0"],
            ["XRANGE", "s", "-", "+", "COUNT", "-3"], ["XRANGE", "s", "-", "+", "COUNT", "x"], ["XRANGE", "s", "-", "+", "COUNT"], ["XRANGE", "s", "-", "+", "LIMIT", "1"],
            ["XRANGE", "s", "(-", "+"], ["XRANGE", "s", "-", "(+"], ["XRANGE", "s", "(18446744073709551615-18446744073709551615", "+"], ["XRANGE", "s", "-", "(0-0"],
            ["XRANGE", "s", "x", "+"], ["XRANGE", "s", "-", "18446744073709551616"], ["XRANGE", "s", "+", "-"], ["XRANGE", "nokey", "-", "+"],
            ["XRANGE", "nokey", "-", "+", "COUNT", "0"], ["XRANGE", "s", "(", "+"], ["XRANGE", "s", "((1", "+"],
            ["XDEL", "s", "1-1", "2-2", "3-0", "4-1", "5-2", "6-0", "7-1", "99-0"], ["XDEL", "s", "1-1"], ["XDEL", "s", "1-1", "bad"], ["XDEL", "nokey", "1-1"],
            ["XDEL", "s", "-"], ["XRANGE", "s", "-", "+", "COUNT", "3"], ["XREVRANGE", "s", "10", "-"], ["XLEN", "s"], ["XINFO", "STREAM", "s"],
            ["XTRIM", "s", "MAXLEN", "~", "30"], ["XINFO", "STREAM", "s"], ["XTRIM", "s", "MINID", "~", "40"], ["XTRIM", "s", "MINID", "45"],
            ["XTRIM", "s", "MAXLEN", "~", "5", "LIMIT", "7"], ["XINFO", "STREAM", "s", "FULL"], ["XINFO", "STREAM", "s", "FULL", "COUNT", "3"],
            ["XINFO", "STREAM", "s", "FULL", "COUNT", "-1"], ["XINFO", "STREAM", "s", "FULL", "COUNT", "0"], ["XINFO", "STREAM", "s", "FULL", "COUNT"],
            ["XINFO", "STREAM", "s", "FULLY"], ["XINFO", "STREAM", "s", "FULL", "X", "3"], ["XINFO", "STREAM", "s", "FULL", "COUNT", "x"]]);
        Same([.. script]);
    }

    [Fact]
    public void SetIdAndItsErrors() => Same(
        ["XADD", "s", "5-5", "a", "1"], ["XADD", "s", "6-6", "a", "1"], ["XDEL", "s", "6-6"], ["XSETID", "s", "5-5"], ["XSETID", "s", "5-4"], ["XSETID", "s", "7-0"],
        ["XSETID", "s", "8-0", "ENTRIESADDED", "0"], ["XSETID", "s", "8-0", "ENTRIESADDED", "-1"], ["XSETID", "s", "8-0", "ENTRIESADDED", "x"],
        ["XSETID", "s", "8-0", "ENTRIESADDED", "10", "MAXDELETEDID", "9-0"], ["XSETID", "s", "8-0", "ENTRIESADDED", "10", "MAXDELETEDID", "7-0"],
        ["XSETID", "s", "8-0", "MAXDELETEDID", "+"], ["XSETID", "s", "+"], ["XSETID", "s", "x"], ["XSETID", "s", "9-0", "JUNK"], ["XSETID", "s", "9-0", "ENTRIESADDED"],
        ["XSETID", "nokey", "1-1"], ["XINFO", "STREAM", "s"], ["XADD", "s", "8-0", "a", "1"], ["XADD", "s", "*", "a", "1"],
        ["XADD", "e", "1-1", "a", "1"], ["XDEL", "e", "1-1"], ["XSETID", "e", "0-5"], ["XSETID", "e", "0-5", "ENTRIESADDED", "0"], ["XINFO", "STREAM", "e"]);

    [Fact]
    public void ReadWithoutBlocking() => Same(
        ["XADD", "s", "1-1", "a", "1"], ["XADD", "s", "2-1", "b", "2"], ["XADD", "t", "3-1", "c", "3"],
        ["XREAD", "STREAMS", "s", "0"], ["XREAD", "COUNT", "1", "STREAMS", "s", "t", "0", "0"], ["XREAD", "STREAMS", "s", "t", "1-1", "$"],
        ["XREAD", "STREAMS", "s", "s", "0", "1-1"], ["XREAD", "STREAMS", "s", "$"], ["XREAD", "STREAMS", "nokey", "0"], ["XREAD", "STREAMS", "s", "2-1"],
        ["XREAD", "COUNT", "-5", "STREAMS", "s", "0"], ["XREAD", "COUNT", "x", "STREAMS", "s", "0"], ["XREAD", "STREAMS", "s"], ["XREAD", "STREAMS", "s", "t", "0"],
        ["XREAD", "s", "0"], ["XREAD", "COUNT", "1"], ["XREAD", "GROUP", "g", "c", "STREAMS", "s", "0"], ["XREAD", "NOACK", "STREAMS", "s", "0"],
        ["XREAD", "STREAMS", "s", ">"], ["XREAD", "STREAMS", "s", "-"], ["XREAD", "STREAMS", "s", "+"], ["XREAD", "STREAMS", "s", "18446744073709551615-18446744073709551615"],
        ["XREAD", "BLOCK", "-1", "STREAMS", "s", "0"], ["XREAD", "BLOCK", "x", "STREAMS", "s", "0"], ["XREAD", "BLOCK", "1.5", "STREAMS", "s", "0"],
        ["XREAD", "BLOCK", "0", "STREAMS", "s", "0"], ["XREAD", "BLOCK", "10", "STREAMS", "s", "$"], ["XREAD", "BLOCK", "10", "STREAMS", "nokey", "0"],
        ["MULTI"], ["XREAD", "BLOCK", "0", "STREAMS", "s", "$"], ["XREAD", "BLOCK", "0", "STREAMS", "s", "0"], ["EXEC"],
        ["EVAL", "return redis.call('XREAD', 'BLOCK', '0', 'STREAMS', KEYS[1], '$')", "1", "s"],
        ["EVAL", "return redis.call('xread', 'STREAMS', KEYS[1], '0')", "1", "s"],
        ["SET", "str", "x"], ["XREAD", "STREAMS", "str", "0"], ["XREAD", "STREAMS", "s", "str", "0", "0"]);

    [Fact]
    public void GroupsReadAckAndPending() => Same(
        ["XGROUP", "CREATE", "s", "g", "$"], ["XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"], ["XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"],
        ["XADD", "s", "1-1", "a", "1"], ["XADD", "s", "2-1", "b", "2"], ["XADD", "s", "3-1", "c", "3"], ["XADD", "s", "4-1", "d", "4"],
        ["XREADGROUP", "GROUP", "g", "alice", "COUNT", "1", "STREAMS", "s", ">"], ["XREADGROUP", "GROUP", "g", "bob", "COUNT", "2", "STREAMS", "s", ">"],
        ["XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", "0"], ["XREADGROUP", "GROUP", "g", "bob", "STREAMS", "s", "2-1"],
        ["XREADGROUP", "GROUP", "g", "carol", "STREAMS", "s", "0"], ["XREADGROUP", "GROUP", "g", "alice", "NOACK", "STREAMS", "s", ">"],
        ["XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", ">"], ["XPENDING", "s", "g"], ["XPENDING", "s", "g", "-", "+", "10"],
        ["XPENDING", "s", "g", "-", "+", "10", "bob"], ["XPENDING", "s", "g", "-", "+", "10", "nobody"], ["XPENDING", "s", "g", "(1-1", "+", "1"],
        ["XPENDING", "s", "g", "IDLE", "100000", "-", "+", "10"], ["XPENDING", "s", "g", "IDLE", "0", "-", "+", "10"], ["XPENDING", "s", "g", "-", "+", "-1"],
        ["XPENDING", "s", "g", "-", "+"], ["XPENDING", "s", "g", "IDLE", "5", "-", "+"], ["XPENDING", "s", "g", "IDLE", "x", "-", "+", "1"],
        ["XPENDING", "s", "g", "x", "+", "1"], ["XPENDING", "s", "g", "-", "+", "x"], ["XPENDING", "s", "nog"], ["XPENDING", "nokey", "g"],
        ["XPENDING", "s", "g", "-", "+", "1", "bob", "extra"], ["XPENDING", "s", "g", "1"],
        ["XACK", "s", "g", "1-1", "9-9"], ["XACK", "s", "g", "1-1"], ["XACK", "s", "g", "x"], ["XACK", "s", "nog", "1-1"], ["XACK", "nokey", "g", "1-1"],
        ["XACK", "s", "g", "2-1", "bad"], ["XPENDING", "s", "g"], ["XINFO", "GROUPS", "s"], ["XINFO", "CONSUMERS", "s", "g"], ["XINFO", "CONSUMERS", "s", "nog"],
        ["XINFO", "STREAM", "s", "FULL"], ["XINFO", "GROUPS", "nokey"], ["XINFO", "STREAM", "nokey"], ["XINFO", "HELP"], ["XINFO", "HELP", "x"], ["XINFO", "JUNK", "s"],
        ["XINFO", "GROUPS"], ["XINFO"],
        ["XREADGROUP", "GROUP", "nog", "c", "STREAMS", "s", ">"], ["XREADGROUP", "GROUP", "g", "c", "STREAMS", "nokey", ">"],
        ["XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", "$"], ["XREADGROUP", "STREAMS", "s", ">"], ["XREADGROUP", "GROUP", "g", "STREAMS", "s", ">"],
        ["XREADGROUP", "GROUP", "g", "c", "STREAMS", "s"], ["XREADGROUP", "GROUP", "g", "c", "BLOCK", "-1", "STREAMS", "s", ">"],
        ["XREADGROUP", "GROUP", "g", "c", "BLOCK", "10", "STREAMS", "s", ">"], ["XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", "-"]);

    [Fact]
    public void GroupSubcommands() => Same(
        ["XADD", "s", "1-1", "a", "1"], ["XADD", "s", "2-1", "a", "2"], ["XGROUP", "CREATE", "s", "g", "0"], ["XGROUP", "CREATE", "s", "g2", "$", "ENTRIESREAD", "2"],
        ["XGROUP", "CREATE", "s", "g3", "1-1", "ENTRIESREAD", "-1"], ["XGROUP", "CREATE", "s", "g4", "0", "ENTRIESREAD", "-2"], ["XGROUP", "CREATE", "s", "g4", "0", "ENTRIESREAD", "x"],
        ["XGROUP", "CREATE", "s", "g4", "+"], ["XGROUP", "CREATE", "s", "g4", "x"], ["XGROUP", "CREATE", "s", "g4", "0", "JUNK"], ["XGROUP", "CREATE", "s", "g4", "0", "MKSTREAM", "MKSTREAM", "MKSTREAM", "MKSTREAM"],
        ["XGROUP", "CREATE", "nokey", "g", "0"], ["XGROUP", "CREATE", "nokey", "g", "x", "MKSTREAM"], ["EXISTS", "nokey"], ["XGROUP", "CREATE", "s"],
        ["XINFO", "GROUPS", "s"],
        ["XGROUP", "SETID", "s", "g", "1-1"], ["XGROUP", "SETID", "s", "g", "$", "ENTRIESREAD", "2"], ["XGROUP", "SETID", "s", "g", "-"], ["XGROUP", "SETID", "s", "g", "+"],
        ["XGROUP", "SETID", "s", "nog", "0"], ["XGROUP", "SETID", "nokey", "g", "0"], ["XGROUP", "SETID", "s", "g", "0", "MKSTREAM"], ["XGROUP", "SETID", "s", "g", "0", "ENTRIESREAD"],
        ["XGROUP", "SETID", "s", "g", "x"], ["XINFO", "GROUPS", "s"],
        ["XGROUP", "CREATECONSUMER", "s", "g", "c1"], ["XGROUP", "CREATECONSUMER", "s", "g", "c1"], ["XGROUP", "CREATECONSUMER", "s", "nog", "c1"],
        ["XGROUP", "CREATECONSUMER", "nokey", "g", "c1"], ["XGROUP", "CREATECONSUMER", "s", "g"],
        ["XGROUP", "SETID", "s", "g", "0"], ["XREADGROUP", "GROUP", "g", "c2", "STREAMS", "s", ">"], ["XGROUP", "DELCONSUMER", "s", "g", "c2"],
        ["XGROUP", "DELCONSUMER", "s", "g", "c2"], ["XGROUP", "DELCONSUMER", "s", "nog", "c2"], ["XPENDING", "s", "g"], ["XINFO", "CONSUMERS", "s", "g"],
        ["XGROUP", "DESTROY", "s", "g"], ["XGROUP", "DESTROY", "s", "g"], ["XGROUP", "DESTROY", "nokey", "g"], ["XGROUP", "DESTROY", "s"],
        ["XGROUP", "HELP"], ["XGROUP", "HELP", "x"], ["XGROUP", "JUNK"], ["XGROUP", "JUNK", "s", "g", "x"], ["XGROUP"], ["XINFO", "GROUPS", "s"]);

    [Fact]
    public void ClaimsAndAutoClaims() => Same(
        ["XADD", "s", "1-1", "a", "1"], ["XADD", "s", "2-1", "b", "2"], ["XADD", "s", "3-1", "c", "3"], ["XADD", "s", "4-1", "d", "4"],
        ["XGROUP", "CREATE", "s", "g", "0"], ["XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", ">"],
        ["XCLAIM", "s", "g", "bob", "0", "1-1"], ["XCLAIM", "s", "g", "bob", "0", "1-1", "2-1", "JUSTID"], ["XCLAIM", "s", "g", "bob", "3600000", "3-1"],
        ["XCLAIM", "s", "g", "carol", "0", "3-1", "RETRYCOUNT", "7", "IDLE", "5000"], ["XCLAIM", "s", "g", "carol", "0", "9-9", "FORCE"],
        ["XCLAIM", "s", "g", "carol", "0", "4-1", "TIME", "1", "LASTID", "9-9"], ["XINFO", "GROUPS", "s"], ["XCLAIM", "s", "g", "carol", "0", "4-1", "TIME", "99999999999999"],
        ["XCLAIM", "s", "g", "carol", "x", "1-1"], ["XCLAIM", "s", "g", "carol", "-5", "1-1"], ["XCLAIM", "s", "g", "carol", "0", "1-1", "IDLE", "x"],
        ["XCLAIM", "s", "g", "carol", "0", "1-1", "TIME", "x"], ["XCLAIM", "s", "g", "carol", "0", "1-1", "RETRYCOUNT", "x"], ["XCLAIM", "s", "g", "carol", "0", "1-1", "LASTID", "x"],
        ["XCLAIM", "s", "g", "carol", "0", "1-1", "BOGUS"], ["XCLAIM", "s", "g", "carol", "0", "1-1", "IDLE"], ["XCLAIM", "s", "nog", "carol", "0", "1-1"],
        ["XCLAIM", "nokey", "g", "carol", "0", "1-1"], ["XCLAIM", "s", "g", "carol", "0", "bogus"], ["XCLAIM", "s", "g", "dave", "0", "-"],
        ["XACK", "s", "g", "4-1"], ["XCLAIM", "s", "g", "dave", "0", "4-1", "FORCE", "JUSTID"], ["XPENDING", "s", "g", "-", "+", "10"],
        ["XDEL", "s", "2-1"], ["XCLAIM", "s", "g", "dave", "0", "2-1"], ["XPENDING", "s", "g"],
        ["XAUTOCLAIM", "s", "g", "erin", "0", "0", "COUNT", "1"], ["XAUTOCLAIM", "s", "g", "erin", "0", "(1-1", "JUSTID"], ["XAUTOCLAIM", "s", "g", "erin", "3600000", "0"],
        ["XDEL", "s", "3-1"], ["XAUTOCLAIM", "s", "g", "frank", "0", "0"], ["XAUTOCLAIM", "s", "g", "frank", "0", "0", "COUNT", "0"],
        ["XAUTOCLAIM", "s", "g", "frank", "0", "0", "COUNT", "-1"], ["XAUTOCLAIM", "s", "g", "frank", "0", "0", "COUNT", "9223372036854775807"],
        ["XAUTOCLAIM", "s", "g", "frank", "0", "0", "COUNT", "576460752303423487"], ["XAUTOCLAIM", "s", "g", "frank", "0", "0", "COUNT", "100000000000000"],
        ["XAUTOCLAIM", "s", "g", "frank", "0", "0", "COUNT"], ["XAUTOCLAIM", "s", "g", "frank", "0", "0", "JUNK"], ["XAUTOCLAIM", "s", "g", "frank", "x", "0"],
        ["XAUTOCLAIM", "s", "g", "frank", "0", "x"], ["XAUTOCLAIM", "s", "g", "frank", "0", "(18446744073709551615-18446744073709551615"],
        ["XAUTOCLAIM", "s", "nog", "frank", "0", "0"], ["XAUTOCLAIM", "nokey", "g", "frank", "0", "0"], ["XINFO", "CONSUMERS", "s", "g"], ["XINFO", "STREAM", "s", "FULL"]);

    [Fact]
    public void LagAndEntriesRead() => Same(
        ["XADD", "s", "1-1", "a", "1"], ["XADD", "s", "2-1", "a", "1"], ["XADD", "s", "3-1", "a", "1"], ["XADD", "s", "4-1", "a", "1"], ["XADD", "s", "5-1", "a", "1"],
        ["XGROUP", "CREATE", "s", "g", "0"], ["XGROUP", "CREATE", "s", "h", "3-1"], ["XGROUP", "CREATE", "s", "i", "$"], ["XINFO", "GROUPS", "s"],
        ["XREADGROUP", "GROUP", "g", "c", "COUNT", "2", "STREAMS", "s", ">"], ["XINFO", "GROUPS", "s"], ["XDEL", "s", "4-1"], ["XINFO", "GROUPS", "s"],
        ["XREADGROUP", "GROUP", "g", "c", "COUNT", "1", "STREAMS", "s", ">"], ["XREADGROUP", "GROUP", "h", "c", "STREAMS", "s", ">"], ["XINFO", "GROUPS", "s"],
        ["XDEL", "s", "1-1"], ["XINFO", "GROUPS", "s"], ["XTRIM", "s", "MAXLEN", "1"], ["XINFO", "GROUPS", "s"], ["XADD", "s", "6-1", "a", "1"], ["XINFO", "GROUPS", "s"],
        ["XGROUP", "SETID", "s", "i", "0"], ["XINFO", "GROUPS", "s"], ["XREADGROUP", "GROUP", "i", "c", "STREAMS", "s", ">"], ["XINFO", "GROUPS", "s"],
        ["XSETID", "s", "6-1", "ENTRIESADDED", "100", "MAXDELETEDID", "5-5"], ["XINFO", "GROUPS", "s"], ["XINFO", "STREAM", "s"]);

    [Fact]
    public void WrongTypeForEveryCommand() => Same(
        ["SET", "k", "x"], ["XADD", "k", "*", "a", "1"], ["XADD", "k", "NOMKSTREAM", "*", "a", "1"], ["XLEN", "k"], ["XRANGE", "k", "-", "+"], ["XREVRANGE", "k", "+", "-"],
        ["XDEL", "k", "1-1"], ["XTRIM", "k", "MAXLEN", "1"], ["XSETID", "k", "1-1"], ["XREAD", "STREAMS", "k", "0"], ["XREADGROUP", "GROUP", "g", "c", "STREAMS", "k", ">"],
        ["XGROUP", "CREATE", "k", "g", "0"], ["XGROUP", "CREATE", "k", "g", "0", "MKSTREAM"], ["XGROUP", "SETID", "k", "g", "0"], ["XGROUP", "DESTROY", "k", "g"],
        ["XGROUP", "CREATECONSUMER", "k", "g", "c"], ["XGROUP", "DELCONSUMER", "k", "g", "c"], ["XACK", "k", "g", "1-1"], ["XPENDING", "k", "g"],
        ["XPENDING", "k", "g", "-", "+", "1"], ["XCLAIM", "k", "g", "c", "0", "1-1"], ["XAUTOCLAIM", "k", "g", "c", "0", "0"], ["XINFO", "STREAM", "k"],
        ["XINFO", "GROUPS", "k"], ["XINFO", "CONSUMERS", "k", "g"],
        ["XADD", "s", "1-1", "a", "1"], ["GET", "s"], ["LPUSH", "s", "x"], ["HSET", "s", "a", "1"], ["INCR", "s"], ["TYPE", "s"]);

    [Fact]
    public void FieldsLikeTheMastersAndIntegers() => Same(
        ["XADD", "s", "1-1", "1", "2", "3", "4"], ["XADD", "s", "2-1", "1", "5", "3", "6"], ["XADD", "s", "3-1", "3", "5", "1", "6"],
        ["XADD", "s", "4-1", "-100", "9223372036854775807", "00", "1.5"], ["XADD", "s", "5-1", "", "", "x", "-9223372036854775808"],
        ["XADD", "s", "6-1", "f", new string('z', 5000)], ["XRANGE", "s", "-", "+"], ["XREVRANGE", "s", "+", "-"], ["DEBUG", "DIGEST-VALUE", "s"]);

    [Fact]
    public void NodeConfigs() => Same(
        ["CONFIG", "GET", "stream-node-max-entries"], ["CONFIG", "GET", "stream-node-max-bytes"], ["CONFIG", "SET", "stream-node-max-entries", "3"],
        ["CONFIG", "SET", "stream-node-max-bytes", "1kb"], ["CONFIG", "GET", "stream-node-max-entries"], ["CONFIG", "GET", "stream-node-max-bytes"], ["XADD", "s", "1-1", "a", "1"], ["XADD", "s", "2-1", "a", "1"], ["XADD", "s", "3-1", "a", "1"], ["XADD", "s", "4-1", "a", "1"],
        ["XINFO", "STREAM", "s"], ["CONFIG", "SET", "stream-node-max-entries", "0"], ["CONFIG", "SET", "stream-node-max-bytes", "0"],
        ["XADD", "s", "5-1", "a", "1"], ["XADD", "s", "6-1", "a", "1"], ["XINFO", "STREAM", "s"], ["CONFIG", "SET", "stream-node-max-entries", "-1"],
        ["CONFIG", "SET", "stream-node-max-entries", "100"], ["CONFIG", "SET", "stream-node-max-bytes", "4096"]);

    [Fact]
    public void NotificationsOfEveryEvent()
    {
        servers.Same(scenario: connect =>
        {
            using var sub = connect();
            using var c = connect();
            c.Call("FLUSHALL");
            c.Call("CONFIG", "SET", "notify-keyspace-events", "KEA");
            sub.Call("PSUBSCRIBE", "__key*__:*");
            string[][] script =
            [
                ["XADD", "s", "MAXLEN", "1", "1-1", "a", "1"], ["XADD", "s", "MAXLEN", "1", "2-1", "a", "1"], ["XDEL", "s", "2-1"], ["XDEL", "s", "2-1"],
                ["XADD", "s", "3-1", "a", "1"], ["XTRIM", "s", "MAXLEN", "0"], ["XSETID", "s", "9-9"], ["XGROUP", "CREATE", "s", "g", "$"],
                ["XGROUP", "SETID", "s", "g", "0"], ["XGROUP", "CREATECONSUMER", "s", "g", "c"], ["XADD", "s", "10-1", "a", "1"],
                ["XREADGROUP", "GROUP", "g", "d", "STREAMS", "s", ">"], ["XCLAIM", "s", "g", "e", "0", "10-1"], ["XGROUP", "DELCONSUMER", "s", "g", "c"],
                ["XGROUP", "DESTROY", "s", "g"], ["XGROUP", "CREATE", "t", "g", "$", "MKSTREAM"], ["DEL", "s", "t"],
            ];
            var log = new List<string>();
            foreach (var cmd in script) log.Add(string.Join(' ', cmd) + " => " + c.Call(cmd));
            c.Call("CONFIG", "SET", "notify-keyspace-events", "");
            log.Add(sub.CallAll("PING"));
            return log;
        });
    }
}
