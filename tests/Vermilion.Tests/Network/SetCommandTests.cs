using StackExchange.Redis;
using Xunit;

namespace Vermilion.Tests;

/// <summary>
/// The set family against redis-server 7.0.15: fixed scripts over every command and error path,
/// OBJECT ENCODING across the thresholds, RESP3 shapes, then a seeded random mix. Replies whose
/// order Redis leaves undefined (hashtable sets) compare as multisets: a command written with a
/// leading "~" (["~SMEMBERS", "s"]) is sent without it and compared that way; intsets compare
/// byte for byte, order included. SPOP and SRANDMEMBER are checked by what must hold of them.
/// </summary>
[Trait("Category", "Network")]
public class SetCommandTests(DifferentialServers servers) : IClassFixture<DifferentialServers>
{
    /// <summary>Scripts start from the default intset limit, which some tests change.</summary>
    static readonly SameOptions s_options = new() { Setup = [["CONFIG", "SET", "set-max-intset-entries", "512"]] };

    void Same(params string[][] script) => servers.Same(s_options, script);

    static List<string> Members(RespSocket s, string key) => RespReply.Parse(s.Call("SMEMBERS", key)).Texts();

    /// <summary>A whole SSCAN walk; every member comes back at least once (duplicates allowed, as Redis).</summary>
    static List<string> ScanAll(RespSocket s, string key, params string[] options)
    {
        var found = new List<string>();
        string cursor = "0";
        int calls = 0;
        do
        {
            var reply = RespReply.Parse(s.Call(["SSCAN", key, cursor, .. options]));
            cursor = reply.Items![0].Text!;
            found.AddRange(reply.Items[1].Texts());
            Assert.True(++calls < 100_000, "SSCAN did not finish");
        } while (cursor != "0");
        return found;
    }

    // ---- fixed scripts ---------------------------------------------------------------------

    [Fact]
    public void AddRemoveCardMembership() => Same(
        ["SADD", "s", "3", "1", "2", "1"], ["SMEMBERS", "s"], ["SCARD", "s"], ["SISMEMBER", "s", "2"], ["SISMEMBER", "s", "9"],
        ["SISMEMBER", "s", "x"], ["SISMEMBER", "s", "02"], ["SISMEMBER", "nokey", "1"], ["SMISMEMBER", "s", "1", "x", "3", "3"],
        ["SMISMEMBER", "nokey", "1", "2"], ["SREM", "s", "1", "7", "x"], ["SMEMBERS", "s"], ["SREM", "s", "2", "3", "4"], ["EXISTS", "s"],
        ["SREM", "nokey", "1"], ["SCARD", "nokey"], ["SMEMBERS", "nokey"], ["SADD", "h", "b", "a", "c", "a"], ["~SMEMBERS", "h"],
        ["SCARD", "h"], ["SISMEMBER", "h", "a"], ["SMISMEMBER", "h", "a", "z"], ["SREM", "h", "a", "b"], ["SMEMBERS", "h"], ["SREM", "h", "c"],
        ["EXISTS", "h"], ["SADD", "e", ""], ["SISMEMBER", "e", ""], ["SMEMBERS", "e"], ["OBJECT", "ENCODING", "e"],
        ["SADD", "b", "\0", "a\r\nb", "é", "\0"], ["SCARD", "b"], ["SISMEMBER", "b", "a\r\nb"], ["SREM", "b", "\0"], ["~SMEMBERS", "b"],
        ["SADD"], ["SADD", "s"], ["SREM", "s"], ["SCARD"], ["SCARD", "a", "b"], ["SISMEMBER", "s"], ["SISMEMBER", "s", "a", "b"],
        ["SMISMEMBER", "s"], ["SMEMBERS"], ["SMEMBERS", "a", "b"]);

    /// <summary>Strict integers only are intset members: "01", "+1", " 1", "-0" and 2^63 are strings.</summary>
    [Fact]
    public void IntegerRecognition() => Same(
        ["SADD", "i", "0", "-1", "9223372036854775807", "-9223372036854775808"], ["OBJECT", "ENCODING", "i"], ["SMEMBERS", "i"],
        ["SADD", "a", "01"], ["OBJECT", "ENCODING", "a"], ["SADD", "b", "+1"], ["OBJECT", "ENCODING", "b"], ["SADD", "c", "-0"],
        ["OBJECT", "ENCODING", "c"], ["SADD", "d", "9223372036854775808"], ["OBJECT", "ENCODING", "d"], ["SADD", "e", " 1"],
        ["OBJECT", "ENCODING", "e"], ["SADD", "f", "1.0"], ["OBJECT", "ENCODING", "f"], ["SISMEMBER", "i", "-01"], ["SISMEMBER", "i", "-0"],
        ["SADD", "i", "-0"], ["OBJECT", "ENCODING", "i"], ["~SMEMBERS", "i"], ["SISMEMBER", "i", "0"], ["SISMEMBER", "i", "-0"]);

    /// <summary>16 → 32 → 64-bit elements: values that need a wider type go first or last, the order stays ascending.</summary>
    [Fact]
    public void IntsetWidths() => Same(
        ["SADD", "w", "5", "-3", "32767", "-32768"], ["SMEMBERS", "w"], ["SADD", "w", "32768"], ["SMEMBERS", "w"], ["SADD", "w", "-32769"],
        ["SMEMBERS", "w"], ["SADD", "w", "2147483648", "-2147483649", "7"], ["SMEMBERS", "w"], ["SREM", "w", "2147483648", "-2147483649"],
        ["SMEMBERS", "w"], ["SADD", "w", "-2147483649"], ["SMEMBERS", "w"], ["SISMEMBER", "w", "-2147483649"], ["SISMEMBER", "w", "99999999999"],
        ["OBJECT", "ENCODING", "w"], ["SADD", "x", "-9223372036854775808"], ["SADD", "x", "1", "-1"], ["SMEMBERS", "x"]);

    /// <summary>intset up to set-max-intset-entries, then hashtable for good; CONFIG SET applies to the next write.</summary>
    [Fact]
    public void EncodingThresholds()
    {
        var ints = Enumerable.Range(0, 512).Select(i => (i * 7 - 1000).ToString()).ToArray();
        Same(
            ["SADD", "s", .. ints], ["OBJECT", "ENCODING", "s"], ["SCARD", "s"], ["SMEMBERS", "s"], ["SADD", "s", "-1000"], ["OBJECT", "ENCODING", "s"],
            ["SADD", "s", "100000"], ["OBJECT", "ENCODING", "s"], ["~SMEMBERS", "s"], ["SREM", "s", "100000", "-1000", "-993"], ["OBJECT", "ENCODING", "s"],
            ["SADD", "t", "1", "2", "x"], ["OBJECT", "ENCODING", "t"], ["SREM", "t", "x"], ["OBJECT", "ENCODING", "t"],
            ["SADD", "u", "x", "1"], ["OBJECT", "ENCODING", "u"],
            ["CONFIG", "SET", "set-max-intset-entries", "3"], ["SADD", "a", "1", "2", "3"], ["OBJECT", "ENCODING", "a"], ["SADD", "a", "3"],
            ["OBJECT", "ENCODING", "a"], ["SADD", "a", "4"], ["OBJECT", "ENCODING", "a"], ["SADD", "b", "1", "2", "3", "4"], ["OBJECT", "ENCODING", "b"],
            ["CONFIG", "SET", "set-max-intset-entries", "0"], ["SADD", "z", "1"], ["OBJECT", "ENCODING", "z"], ["SMEMBERS", "z"],
            ["CONFIG", "SET", "set-max-intset-entries", "1000"], ["SADD", "s", "1"], ["OBJECT", "ENCODING", "s"], ["SADD", "big", .. ints],
            ["SADD", "big", "1", "2", "3", "4", "5"], ["OBJECT", "ENCODING", "big"], ["CONFIG", "SET", "set-max-intset-entries", "2"],
            ["SADD", "big", "6"], ["OBJECT", "ENCODING", "big"], ["SADD", "big", "-1000"], ["OBJECT", "ENCODING", "big"]);
    }

    [Fact]
    public void WrongTypeEverywhere() => Same(
        ["SET", "str", "x"], ["SADD", "s", "1"], ["SADD", "str", "1"], ["SREM", "str", "1"], ["SCARD", "str"], ["SISMEMBER", "str", "1"],
        ["SMISMEMBER", "str", "1"], ["SMEMBERS", "str"], ["SPOP", "str"], ["SPOP", "str", "1"], ["SRANDMEMBER", "str"], ["SRANDMEMBER", "str", "2"],
        ["SINTER", "s", "str"], ["SINTER", "nokey", "str"], ["SINTER", "str", "nokey"], ["SINTERCARD", "2", "s", "str"], ["SINTERSTORE", "d", "s", "str"],
        ["SUNION", "s", "str"], ["SUNION", "nokey", "str"], ["SUNIONSTORE", "d", "str"], ["SDIFF", "s", "str"], ["SDIFF", "nokey", "str"],
        ["SDIFFSTORE", "d", "s", "str"], ["SSCAN", "str", "0"], ["SMOVE", "str", "s", "1"], ["SMOVE", "s", "str", "1"], ["SMOVE", "nokey", "str", "1"],
        ["SMEMBERS", "s"], ["EXISTS", "d"], ["GET", "str"]);

    [Fact]
    public void SmoveCases() => Same(
        ["SADD", "a", "1", "2", "x"], ["SADD", "b", "3"], ["SMOVE", "a", "b", "1"], ["SMEMBERS", "b"], ["SMOVE", "a", "b", "x"],
        ["OBJECT", "ENCODING", "b"], ["~SMEMBERS", "b"], ["SMOVE", "a", "b", "nope"], ["SMOVE", "a", "a", "2"], ["SMOVE", "a", "a", "9"],
        ["SMOVE", "a", "c", "2"], ["EXISTS", "a"], ["SMEMBERS", "c"], ["OBJECT", "ENCODING", "c"], ["SMOVE", "b", "d", "x"],
        ["OBJECT", "ENCODING", "d"], ["SMOVE", "b", "c", "3"], ["SMEMBERS", "c"], ["SMOVE", "nokey", "c", "1"], ["SMOVE", "c", "b", "1"],
        ["SMOVE", "a", "b"], ["SMOVE", "a", "b", "c", "d"]);

    [Fact]
    public void SpopAndSrandmemberErrorsAndFixedAnswers() => Same(
        ["SPOP", "nokey"], ["SPOP", "nokey", "5"], ["SPOP", "nokey", "0"], ["SPOP", "nokey", "-1"], ["SPOP", "nokey", "x"],
        ["SET", "str", "v"], ["SPOP", "str", "-1"], ["SPOP", "str", "x"], ["SPOP", "str", "0"],
        ["SADD", "s", "5", "1", "3"], ["SPOP", "s", "0"], ["SPOP", "s", "-5"], ["SPOP", "s", "1.5"], ["SPOP", "s", ""], ["SPOP", "s", "1", "2"],
        ["SPOP"], ["SPOP", "s", "9223372036854775807"], ["EXISTS", "s"],
        ["SADD", "s", "5", "1", "3"], ["SPOP", "s", "3"], ["EXISTS", "s"], ["SADD", "one", "x"], ["SPOP", "one"], ["EXISTS", "one"],
        ["SRANDMEMBER", "nokey"], ["SRANDMEMBER", "nokey", "3"], ["SRANDMEMBER", "nokey", "-3"], ["SRANDMEMBER", "nokey", "0"],
        ["SRANDMEMBER", "nokey", "x"], ["SRANDMEMBER", "nokey", "-9223372036854775808"], ["SRANDMEMBER", "nokey", "-9223372036854775807"],
        ["SADD", "s", "5", "1", "3"], ["SRANDMEMBER", "s", "0"], ["SRANDMEMBER", "s", "3"], ["SRANDMEMBER", "s", "100"],
        ["SRANDMEMBER", "s", "9223372036854775807"], ["SRANDMEMBER", "s", "-9223372036854775808"], ["SRANDMEMBER", "s", "1.0"],
        ["SRANDMEMBER", "s", "1", "2"], ["SRANDMEMBER"], ["SADD", "one", "x"], ["SRANDMEMBER", "one"], ["SRANDMEMBER", "one", "-3"],
        ["SRANDMEMBER", "one", "1"]);

    /// <summary>SPOP with a count close to the size builds a new set from the survivors: its encoding follows them, the deadline stays.</summary>
    [Fact]
    public void SpopCaseThreeEncoding()
    {
        using var pair = servers.Connect(s_options);
        foreach (var s in pair.Both)
        {
            // A hashtable holding only integers: popping all but one leaves a one-integer intset.
            s.Call("SADD", "s", "x", "1", "2", "3", "4", "5", "6");
            s.Call("SREM", "s", "x");
            s.Call("EXPIRE", "s", "1000");
            var popped = RespReply.Parse(s.Call("SPOP", "s", "5")).Texts();
            Assert.Equal(5, popped.Distinct().Count());
            Assert.Equal("$6\r\nintset\r\n", s.Call("OBJECT", "ENCODING", "s"));
            Assert.Equal(":1000\r\n", s.Call("TTL", "s"));
            var left = Members(s, "s");
            Assert.Equal(new[] { "1", "2", "3", "4", "5", "6" }, popped.Concat(left).OrderBy(x => x));
            // Popping a few from a large hashtable pops one by one: the encoding stays.
            s.Call(["SADD", "h", .. Enumerable.Range(0, 600).Select(i => i.ToString())]);
            Assert.Equal(10, RespReply.Parse(s.Call("SPOP", "h", "10")).Texts().Distinct().Count());
            Assert.Equal("$9\r\nhashtable\r\n", s.Call("OBJECT", "ENCODING", "h"));
            Assert.Equal(":590\r\n", s.Call("SCARD", "h"));
        }
    }

    [Fact]
    public void InterUnionDiff() => Same(
        ["SADD", "a", "1", "2", "3", "4"], ["SADD", "b", "3", "4", "5"], ["SADD", "c", "4", "x", "3"], ["SADD", "d", "y", "z", "4"],
        ["SINTER", "a", "b"], ["SINTER", "b", "a"], ["~SINTER", "a", "c"], ["~SINTER", "a", "b", "c"], ["SINTER", "a", "nokey"], ["SINTER", "nokey"],
        ["SINTER", "a"], ["SINTER", "a", "a"], ["~SINTER", "c", "d"], ["SINTER"],
        ["SUNION", "a", "b"], ["SUNION", "b", "a", "nokey"], ["~SUNION", "a", "c"], ["SUNION", "nokey"], ["SUNION", "a", "a"], ["SUNION"],
        ["SDIFF", "a", "b"], ["SDIFF", "b", "a"], ["SDIFF", "a", "c"], ["~SDIFF", "c", "a"], ["SDIFF", "a", "nokey"], ["SDIFF", "nokey", "a"],
        ["SDIFF", "a", "a"], ["SDIFF", "a", "b", "a"], ["SDIFF", "a"], ["~SDIFF", "d", "a", "b"], ["SDIFF"],
        ["SINTERCARD", "2", "a", "b"], ["SINTERCARD", "1", "a"], ["SINTERCARD", "3", "a", "b", "c"], ["SINTERCARD", "2", "a", "nokey"],
        ["SINTERCARD", "2", "a", "b", "LIMIT", "1"], ["SINTERCARD", "2", "a", "b", "limit", "0"], ["SINTERCARD", "2", "a", "b", "LIMIT", "100"],
        ["SINTERCARD", "1", "a", "LIMIT", "2", "LIMIT", "3"]);

    [Fact]
    public void SintercardErrors() => Same(
        ["SADD", "a", "1"], ["SINTERCARD", "0", "a"], ["SINTERCARD", "-1", "a"], ["SINTERCARD", "x", "a"], ["SINTERCARD", "2", "a"],
        ["SINTERCARD", "9223372036854775807", "a"], ["SINTERCARD", "1", "a", "LIMIT"], ["SINTERCARD", "1", "a", "LIMIT", "-1"],
        ["SINTERCARD", "1", "a", "LIMIT", "x"], ["SINTERCARD", "1", "a", "FOO", "1"], ["SINTERCARD", "1", "a", "b"], ["SINTERCARD", "1"],
        ["SINTERCARD"], ["SET", "s", "v"], ["SINTERCARD", "1", "s", "LIMIT", "-1"], ["SINTERCARD", "2", "a", "s"], ["SINTERCARD", "2", "s", "nokey"]);

    /// <summary>The STORE forms replace the destination (type, deadline and all), delete it for an empty result, and build intsets where Redis does.</summary>
    [Fact]
    public void StoreForms() => Same(
        ["SADD", "a", "1", "2", "3", "x"], ["SADD", "b", "2", "3", "4"], ["SET", "dst", "v", "EX", "1000"],
        ["SINTERSTORE", "dst", "a", "b"], ["TYPE", "dst"], ["TTL", "dst"], ["OBJECT", "ENCODING", "dst"], ["SMEMBERS", "dst"],
        ["SUNIONSTORE", "dst", "b", "a"], ["OBJECT", "ENCODING", "dst"], ["~SMEMBERS", "dst"], ["SUNIONSTORE", "dst", "b"], ["OBJECT", "ENCODING", "dst"],
        ["SMEMBERS", "dst"], ["SDIFFSTORE", "dst", "a", "b"], ["OBJECT", "ENCODING", "dst"], ["~SMEMBERS", "dst"], ["SDIFFSTORE", "dst", "b", "a"],
        ["OBJECT", "ENCODING", "dst"], ["SMEMBERS", "dst"], ["EXPIRE", "dst", "1000"], ["SINTERSTORE", "dst", "a", "nokey"], ["EXISTS", "dst"],
        ["SADD", "dst", "1"], ["SINTERSTORE", "dst", "b", "a", "b"], ["SMEMBERS", "dst"], ["SDIFFSTORE", "dst", "a", "a"], ["EXISTS", "dst"],
        ["SADD", "dst", "1"], ["SUNIONSTORE", "dst", "nokey"], ["EXISTS", "dst"], ["SDIFFSTORE", "dst", "nokey", "a"], ["SINTERSTORE", "nokey2", "nokey"],
        ["SADD", "dst", "1"], ["SINTERSTORE", "dst", "dst", "b"], ["SMEMBERS", "dst"], ["SUNIONSTORE", "dst", "dst", "a"], ["~SMEMBERS", "dst"],
        ["SINTERSTORE", "dst"], ["SUNIONSTORE", "dst"], ["SDIFFSTORE", "dst"], ["SET", "str", "x"], ["SINTERSTORE", "str", "a", "b"], ["TYPE", "str"]);

    /// <summary>
    /// SDIFF's two algorithms leave different encodings: the second adds the whole first set and
    /// then removes, so a first set that is a hashtable (or too big for an intset) gives a hashtable
    /// even when the few survivors are integers.
    /// </summary>
    [Fact]
    public void DiffAlgorithmDecidesEncoding()
    {
        var many = Enumerable.Range(0, 600).Select(i => i.ToString()).ToArray();
        Same(
            ["SADD", "big", .. many], ["SADD", "small", "1", "2"], ["SADD", "others", .. many[2..]],
            // work one = 600*2/2 = 600 > work two = 1198? no: 600 <= 1198, algorithm one: survivors only → intset.
            ["SDIFFSTORE", "r1", "big", "others"], ["OBJECT", "ENCODING", "r1"], ["SMEMBERS", "r1"],
            // Many small sets to subtract: work one = 600*6/2 = 1800 > work two = 600 + 5*2: algorithm two → hashtable.
            ["SADD", "p", "1"], ["SADD", "q", "2"], ["SADD", "t", "3"], ["SADD", "u", "4"], ["SADD", "w", "5"],
            ["SDIFFSTORE", "r2", "big", "p", "q", "t", "u", "w"], ["OBJECT", "ENCODING", "r2"], ["SCARD", "r2"],
            ["SUNIONSTORE", "r3", "small", "p"], ["OBJECT", "ENCODING", "r3"], ["SUNIONSTORE", "r4", "big"], ["OBJECT", "ENCODING", "r4"],
            ["SINTERSTORE", "r5", "big", "big"], ["OBJECT", "ENCODING", "r5"], ["SINTERSTORE", "r6", "big", "small"], ["OBJECT", "ENCODING", "r6"]);
    }

    [Fact]
    public void Resp3Shapes() => servers.Same(s_options with { Resp = 3 },
        ["SADD", "s", "3", "1", "2"], ["SMEMBERS", "s"], ["SMEMBERS", "nokey"], ["SPOP", "nokey"], ["SPOP", "nokey", "2"], ["SPOP", "s", "0"],
        ["SRANDMEMBER", "nokey"], ["SRANDMEMBER", "nokey", "2"], ["SRANDMEMBER", "s", "5"], ["SRANDMEMBER", "s", "0"], ["SINTER", "s", "s"],
        ["SINTER", "s", "nokey"], ["SUNION", "s", "nokey"], ["SDIFF", "s", "nokey"], ["SDIFF", "nokey", "s"], ["SMISMEMBER", "s", "1", "7"],
        ["SSCAN", "s", "0"], ["SSCAN", "nokey", "0"], ["SINTERCARD", "1", "s"], ["SPOP", "s", "5"], ["EXISTS", "s"]);

    /// <summary>SPOP with a count below the size answers a RESP3 set, SRANDMEMBER an array.</summary>
    [Fact]
    public void Resp3RandomShapes()
    {
        using var pair = servers.Connect(new SameOptions { Resp = 3, Flush = false });
        foreach (var s in pair.Both)
        {
            s.Call("DEL", "t");
            s.Call("SADD", "t", "1", "2", "3", "x");
            Assert.StartsWith("~2\r\n", s.Call("SPOP", "t", "2"));
            Assert.StartsWith("*2\r\n", s.Call("SRANDMEMBER", "t", "2"));
            Assert.StartsWith("*5\r\n", s.Call("SRANDMEMBER", "t", "-5"));
            Assert.StartsWith("$1\r\n", s.Call("SPOP", "t"));
        }
    }

    [Fact]
    public void SscanArgumentsAndIntsets() => Same(
        ["SADD", "s", "10", "1", "12", "-5", "100"], ["SSCAN", "s", "0"], ["SSCAN", "s", "123"], ["SSCAN", "s", "0", "MATCH", "1*"],
        ["SSCAN", "s", "0", "match", "*", "COUNT", "1"], ["SSCAN", "s", "0", "MATCH", "-*"], ["SSCAN", "s", "0", "MATCH", "x"],
        ["SSCAN", "s", "0", "COUNT", "0"], ["SSCAN", "s", "0", "COUNT", "-1"], ["SSCAN", "s", "0", "COUNT", "x"], ["SSCAN", "s", "0", "COUNT"],
        ["SSCAN", "s", "0", "TYPE", "set"], ["SSCAN", "s", "0", "FOO", "1"], ["SSCAN", "s", "x"], ["SSCAN", "s", "-1"], ["SSCAN", "s", ""],
        ["SSCAN", "s", "18446744073709551616"], ["SSCAN", "nokey", "0"], ["SSCAN", "nokey", "0", "COUNT", "0"], ["SSCAN", "nokey", "x"],
        ["SSCAN", "s"], ["SSCAN"], ["SADD", "h", "a", "b"], ["SSCAN", "h", "0", "COUNT", "x"], ["SSCAN", "h", "0", "MATCH"]);

    /// <summary>A full SSCAN of a hashtable returns every member (compared as a set), with MATCH filtering, for any COUNT.</summary>
    [Fact]
    public void SscanHashtableWalk()
    {
        using var pair = servers.Connect();
        var (r, v) = pair;
        var members = Enumerable.Range(0, 1500).Select(i => i % 3 == 0 ? "m" + i : i.ToString()).ToArray();
        foreach (var s in pair.Both) s.Call(["SADD", "h", .. members]);
        foreach (var options in new[] { Array.Empty<string>(), ["COUNT", "1"], ["COUNT", "100"], ["MATCH", "m1*"], ["MATCH", "*7", "COUNT", "3"] })
        {
            var expected = ScanAll(r, "h", options).Distinct().Order(StringComparer.Ordinal).ToList();
            var actual = ScanAll(v, "h", options).Distinct().Order(StringComparer.Ordinal).ToList();
            Assert.Equal(expected, actual);
        }
    }

    /// <summary>Members present for the whole scan are returned even while others come and go and the table grows and shrinks.</summary>
    [Fact]
    public void SscanGuaranteeUnderResizing()
    {
        using var v = servers.Vermilion.Connect();
        v.Call("DEL", "g");
        var stable = Enumerable.Range(0, 300).Select(i => "stable" + i).ToArray();
        v.Call(["SADD", "g", .. stable]);
        var churn = new List<string>();
        var found = new HashSet<string>();
        string cursor = "0";
        int step = 0;
        do
        {
            var reply = RespReply.Parse(v.Call("SSCAN", "g", cursor, "COUNT", "5"));
            cursor = reply.Items![0].Text!;
            found.UnionWith(reply.Items[1].Texts());
            // Grow to thousands of members, then shrink back, while the scan goes on.
            if (step++ < 40)
            {
                var added = Enumerable.Range(0, 100).Select(i => $"churn{step}-{i}").ToArray();
                churn.AddRange(added);
                v.Call(["SADD", "g", .. added]);
            }
            else if (churn.Count > 0)
            {
                int n = Math.Min(400, churn.Count);
                v.Call(["SREM", "g", .. churn.GetRange(churn.Count - n, n)]);
                churn.RemoveRange(churn.Count - n, n);
            }
        } while (cursor != "0");
        Assert.True(step > 40, "the scan ended before the table shrank");
        var missing = stable.Where(m => !found.Contains(m)).ToList();
        Assert.True(missing.Count == 0, $"never returned: {string.Join(',', missing.Take(10))}");
    }

    [Fact]
    public void CopyRenameMoveKeepTheSet() => Same(
        ["SADD", "s", "1", "2"], ["SADD", "h", "a", "b"], ["COPY", "s", "s2"], ["COPY", "h", "h2"], ["SADD", "s2", "x"], ["SMEMBERS", "s"],
        ["OBJECT", "ENCODING", "s"], ["OBJECT", "ENCODING", "s2"], ["~SMEMBERS", "h2"], ["SREM", "h2", "a"], ["~SMEMBERS", "h"],
        ["RENAME", "s", "r"], ["SMEMBERS", "r"], ["TYPE", "r"], ["MOVE", "r", "1"], ["SELECT", "1"], ["SMEMBERS", "r"], ["SELECT", "0"],
        ["EXPIRE", "h", "1000"], ["TTL", "h"], ["SADD", "h", "c"], ["TTL", "h"], ["SREM", "h", "c"], ["TTL", "h"]);

    [Fact]
    public void KeyspaceHitsAndMisses() => servers.SameKeyspaceHitsAndMisses(
        ["SADD", "s", "1", "2"], ["SET", "str", "x"], ["SCARD", "s"], ["SCARD", "nokey"], ["SISMEMBER", "s", "1"], ["SMISMEMBER", "nokey", "1"],
        ["SMEMBERS", "s"], ["SINTER", "s", "nokey", "s"], ["SUNION", "s", "nokey"], ["SINTERSTORE", "d", "s", "s"], ["SRANDMEMBER", "s"],
        ["SRANDMEMBER", "nokey", "3"], ["SSCAN", "s", "0"], ["SSCAN", "nokey", "0"], ["SPOP", "s", "5"], ["SADD", "s", "1"], ["SPOP", "s"],
        ["SMOVE", "d", "e", "1"], ["SCARD", "str"], ["SINTERCARD", "2", "d", "nokey"]);

    /// <summary>A negative SRANDMEMBER count far beyond the output limit stops when the client is closed, as in Redis.</summary>
    [Fact]
    public void SrandmemberStopsAtTheOutputLimit()
    {
        using var admin = servers.Vermilion.Connect();
        admin.Call("CONFIG", "SET", "client-output-buffer-limit", "normal 1mb 0 0");
        try
        {
            using var v = servers.Vermilion.Connect();
            v.Call("SADD", "big-out", "member");
            v.Send(RespSocket.Encode("SRANDMEMBER", "big-out", "-100000000"));
            Assert.True(v.WaitForClose(10_000));
            Assert.Equal("+PONG\r\n", admin.Call("PING"));
        }
        finally
        {
            admin.Call("CONFIG", "SET", "client-output-buffer-limit", "normal 0 0 0");
            admin.Call("DEL", "big-out");
        }
    }

    // ---- real clients ------------------------------------------------------------------------

    [Fact]
    public async Task RedisBenchmarkAndStackExchangeRedis()
    {
        string p = servers.Vermilion.Port.ToString();
        using (var v = servers.Vermilion.Connect()) v.Call("DEL", "myset");
        var bench = ExternalProcess.Run("redis-benchmark", ["-p", p, "-t", "sadd,spop", "-n", "5000", "-c", "10", "-r", "1000", "-q", "--csv"], timeoutMs: 120_000);
        Assert.Equal(0, bench.ExitCode);
        Assert.Contains("\"SADD\",", bench.Stdout);
        Assert.Contains("\"SPOP\",", bench.Stdout);
        Assert.DoesNotContain("ERR", bench.Stdout + bench.Stderr);
        var piped = ExternalProcess.Run("redis-benchmark", ["-p", p, "-t", "sadd", "-n", "5000", "-P", "16", "-r", "100", "-q", "--csv"], timeoutMs: 120_000);
        Assert.Equal(0, piped.ExitCode);
        var card = ExternalProcess.Run("redis-cli", ["-p", p, "SCARD", "myset"]).Stdout.Trim();
        Assert.InRange(int.Parse(card), 1, 100);

        var options = ConfigurationOptions.Parse($"127.0.0.1:{p}");
        options.AbortOnConnectFail = true;
        await using var mux = await ConnectionMultiplexer.ConnectAsync(options);
        var db = mux.GetDatabase();
        await db.KeyDeleteAsync(["se:a", "se:b"]);
        Assert.Equal(3, await db.SetAddAsync("se:a", ["1", "2", "x"]));
        Assert.True(await db.SetContainsAsync("se:a", "x"));
        Assert.Equal(3, await db.SetLengthAsync("se:a"));
        await db.SetAddAsync("se:b", ["2", "3"]);
        Assert.Equal(new[] { "2" }, (await db.SetCombineAsync(SetOperation.Intersect, "se:a", "se:b")).Select(x => (string)x!));
        Assert.Equal(4, (await db.SetCombineAsync(SetOperation.Union, "se:a", "se:b")).Length);
        Assert.True(await db.SetMoveAsync("se:a", "se:b", "x"));
        var scanned = new List<string>();
        await foreach (var m in db.SetScanAsync("se:b", pageSize: 1)) scanned.Add(m!);
        Assert.Equal(new[] { "2", "3", "x" }, scanned.Order());
        Assert.NotNull((string?)await db.SetPopAsync("se:b"));
    }

    // ---- seeded random differential -----------------------------------------------------------

    /// <summary>
    /// Thousands of random set commands to both servers with a small intset limit, so conversions
    /// happen often. Deterministic replies compare exactly (multisets where Redis's order is
    /// undefined, SMEMBERS exactly when Redis reports an intset); SPOP and SRANDMEMBER are checked
    /// on each server against the set's members, after which SPOP's key is rebuilt identically on
    /// both so the two stay in step.
    /// </summary>
    [Fact]
    public void RandomizedDifferential()
    {
        int seed = Environment.GetEnvironmentVariable("VERMILION_SEED") is { } env ? int.Parse(env) : 20240607;
        var rng = new Random(seed);
        using var small = servers.Configure("set-max-intset-entries", "16");
        using var pair = servers.Connect();
        var (r, v) = pair;
        string Key() => "k" + rng.Next(8);
        string Member() => rng.Next(10) switch
        {
            0 => new[] { "70000", "-70000", "5000000000", "-9223372036854775808", "9223372036854775807" }[rng.Next(5)],
            1 => new[] { "", "a", "b", "c", "\0", "x y", "01", "-0" }[rng.Next(8)],
            2 => "m" + rng.Next(40),
            _ => (rng.Next(40) - 10).ToString(),
        };
        string[] Members(int min, int max) => Enumerable.Range(0, rng.Next(min, max + 1)).Select(_ => Member()).ToArray();
        string[] Keys(int min, int max) => Enumerable.Range(0, rng.Next(min, max + 1)).Select(_ => Key()).ToArray();
        string Count() => rng.Next(8) switch { 0 => "-" + rng.Next(1, 30), 1 => "0", _ => rng.Next(1, 30).ToString() };

        var commands = new List<Func<string[]>>
        {
            () => ["SADD", Key(), .. Members(1, 5)], () => ["SADD", Key(), .. Members(1, 5)], () => ["SADD", Key(), .. Members(10, 20)],
            () => ["SREM", Key(), .. Members(1, 6)], () => ["SCARD", Key()], () => ["SISMEMBER", Key(), Member()],
            () => ["SMISMEMBER", Key(), .. Members(1, 4)], () => ["SMEMBERS", Key()], () => ["OBJECT", "ENCODING", Key()],
            () => ["SMOVE", Key(), Key(), Member()], () => ["SINTER", .. Keys(1, 3)], () => ["SUNION", .. Keys(1, 3)],
            () => ["SDIFF", .. Keys(1, 4)], () => ["SINTERCARD", "2", Key(), Key(), "LIMIT", rng.Next(3).ToString()],
            () => ["SINTERSTORE", Key(), .. Keys(1, 3)], () => ["SUNIONSTORE", Key(), .. Keys(1, 3)], () => ["SDIFFSTORE", Key(), .. Keys(1, 4)],
            () => ["SPOP", Key()], () => ["SPOP", Key(), Count()], () => ["SRANDMEMBER", Key()], () => ["SRANDMEMBER", Key(), Count()],
            () => ["SSCAN", Key(), "0", "COUNT", rng.Next(1, 20).ToString()], () => ["DEL", Key()], () => ["SET", Key(), "str"],
            () => ["EXPIRE", Key(), "1000"], () => ["TTL", Key()], () => ["COPY", Key(), Key(), "REPLACE"], () => ["RENAME", Key(), Key()],
            () => ["TYPE", Key()], () => ["EXISTS", Key()],
        };
        for (int i = 0; i < 4000; i++)
        {
            var cmd = commands[rng.Next(commands.Count)]();
            string context = $"seed {seed}, command #{i}: ";
            if (cmd[0] is "SPOP" or "SRANDMEMBER")
            {
                CheckRandom(pair, cmd, context);
                continue;
            }
            if (cmd[0] == "SSCAN")
            {
                // Full walks compared as sets (hashtable cursors differ between the two).
                bool isSet = r.Call("TYPE", cmd[1]) == "+set\r\n";
                if (!isSet) { pair.Same(cmd, context); continue; }
                Assert.Equal(ScanAll(r, cmd[1]).Distinct().Order(StringComparer.Ordinal), ScanAll(v, cmd[1]).Distinct().Order(StringComparer.Ordinal));
                continue;
            }
            bool ordered = cmd[0] is not ("SINTER" or "SUNION" or "SDIFF" or "SMEMBERS")
                || (cmd[0] == "SMEMBERS" && r.Call("OBJECT", "ENCODING", cmd[1]) == "$6\r\nintset\r\n");
            pair.Same(Step.Command(cmd) with { Order = ordered ? Order.Exact : Order.Elements }, context);
        }
        pair.Same(["DBSIZE"]);
    }

    /// <summary>SPOP/SRANDMEMBER on both servers, each checked against the members both had before.</summary>
    static void CheckRandom(ConnectionPair pair, string[] cmd, string context)
    {
        var (r, v) = pair;
        string key = cmd[1], where = context + string.Join(' ', cmd);
        string type = r.Call("TYPE", key);
        Assert.Equal(type, v.Call("TYPE", key));
        if (type != "+set\r\n")
        {
            pair.Same(cmd, context);
            return;
        }
        var before = Members(r, key).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(before, Members(v, key).Order(StringComparer.Ordinal));
        long? count = cmd.Length == 3 ? long.Parse(cmd[2]) : null;
        string redisReply = r.Call(cmd), vermilionReply = v.Call(cmd);
        if (redisReply.StartsWith('-') || vermilionReply.StartsWith('-'))
        {
            DifferentialServers.AssertSame(where, redisReply, vermilionReply);
            return;
        }
        foreach (var (s, reply) in new[] { (r, redisReply), (v, vermilionReply) })
        {
            List<string> got = count is null ? [RespReply.Parse(reply).Text!] : RespReply.Parse(reply).Texts();
            Assert.True(got.All(before.Contains), $"{where}: {RespSocket.Show(reply)} has a non-member");
            if (count is null) continue;
            if (cmd[0] == "SRANDMEMBER" && count < 0) Assert.True(got.Count == -count, where);
            else
            {
                Assert.True(got.Count == Math.Min(count.Value, before.Count), $"{where}: {RespSocket.Show(reply)}");
                Assert.True(got.Distinct().Count() == got.Count, $"{where}: repeated members in {RespSocket.Show(reply)}");
            }
            var after = Members(s, key);
            if (cmd[0] == "SPOP") Assert.Equal(before.Except(got).Order(StringComparer.Ordinal), after.Order(StringComparer.Ordinal));
            else Assert.Equal(before, after.Order(StringComparer.Ordinal));
        }
        if (cmd[0] != "SPOP") return;
        // Each popped its own random members: rebuild the key the same way on both from Redis's survivors.
        var survivors = r.Call("EXISTS", key) == ":1\r\n" ? Members(r, key) : [];
        foreach (var s in new[] { r, v })
        {
            s.Call("DEL", key);
            if (survivors.Count > 0) s.Call(["SADD", key, .. survivors]);
        }
    }
}
