using System.Text.RegularExpressions;
using Xunit;

namespace Vermilion.Tests;

/// <summary>
/// What the stream commands propagate (the AOF's and a replica's stream) and how far they move
/// server.dirty, against redis-server 7.0.15's own AOF: XADD with the ID it generated and an
/// approximate trim made exact, XREADGROUP as XCLAIM ... LASTID (NOACK: XGROUP SETID ...
/// ENTRIESREAD and CREATECONSUMER), claims as XCLAIM, blocked readers served later. Delivery
/// times are masked by the harness (numbers near now).
/// </summary>
[Trait("Category", "Network")]
public class StreamEffectTests(EffectServers servers) : IClassFixture<EffectServers>
{
    void Effects(params string[][] script) => EffectScript.Run(servers, script);

    static string[] Command(params string[] args) => args;

    /// <summary>Generated IDs differ between the servers by the clock: compared as their shape.</summary>
    static List<string> WithoutClockIds(List<string> lines) => lines.Select(l => Regex.Replace(l, @"\b1\d{12}-\d+\b", "<id>")).ToList();

    [Fact]
    public void AddsAndTrims() => Effects(
        ["XADD", "s", "1-1", "a", "1"], ["xadd", "s", "2-*", "a", "2"], ["XADD", "s", "2-*", "a", "3"], ["XADD", "s", "MAXLEN", "~", "1", "3-1", "a", "4"],
        ["XADD", "s", "MAXLEN", "=", "2", "4-1", "a", "5"], ["XADD", "s", "MINID", "~", "1", "LIMIT", "5", "5-1", "a", "6"], ["XADD", "s", "MINID", "3", "6-1", "a", "7"],
        ["XADD", "s", "NOMKSTREAM", "7-1", "a", "8"], ["XADD", "none", "NOMKSTREAM", "7-1", "a", "8"], ["XADD", "s", "1-1", "a", "1"],
        ["XTRIM", "s", "MAXLEN", "~", "0"], ["XTRIM", "s", "MAXLEN", "1"], ["XTRIM", "s", "MAXLEN", "5"], ["XTRIM", "s", "MINID", "~", "9"],
        ["XADD", "s", "8-1", "b", "1"], ["XDEL", "s", "8-1", "9-9"], ["XDEL", "s", "8-1"], ["XSETID", "s", "10-1"], ["XSETID", "s", "10-1", "ENTRIESADDED", "50", "MAXDELETEDID", "8-1"],
        ["XSETID", "s", "1-1"], ["XLEN", "s"], ["XRANGE", "s", "-", "+"]);

    [Fact]
    public void ApproximateTrimsAcrossNodes()
    {
        var script = new List<string[]> { Command("CONFIG", "SET", "stream-node-max-entries", "5") };
        for (int i = 1; i <= 40; i++) script.Add(["XADD", "s", "MAXLEN", "~", "12", $"{i}-1", "f", i.ToString()]);
        script.Add(["XTRIM", "s", "MINID", "~", "30"]);
        script.Add(["XTRIM", "s", "MAXLEN", "~", "2", "LIMIT", "5"]);
        script.Add(["CONFIG", "SET", "stream-node-max-entries", "100"]);
        Effects([.. script]);
    }

    [Fact]
    public void GroupsReadsAndClaims() => Effects(
        ["XADD", "s", "1-1", "a", "1"], ["XADD", "s", "2-1", "a", "2"], ["XADD", "s", "3-1", "a", "3"], ["XADD", "s", "4-1", "a", "4"],
        ["XGROUP", "CREATE", "s", "g", "0"], ["XGROUP", "CREATE", "s", "g", "0"], ["XGROUP", "CREATE", "t", "g", "$", "MKSTREAM"], ["XGROUP", "CREATE", "s", "n", "0"],
        ["XREADGROUP", "GROUP", "g", "alice", "COUNT", "2", "STREAMS", "s", ">"], ["XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", "0"],
        ["XREADGROUP", "GROUP", "g", "bob", "STREAMS", "s", ">"], ["XREADGROUP", "GROUP", "g", "bob", "STREAMS", "s", ">"],
        ["XREADGROUP", "GROUP", "n", "carol", "NOACK", "COUNT", "3", "STREAMS", "s", ">"], ["XREADGROUP", "GROUP", "n", "carol", "NOACK", "STREAMS", "s", ">"],
        ["XREADGROUP", "GROUP", "n", "dave", "NOACK", "STREAMS", "s", ">"], ["XREADGROUP", "GROUP", "g", "erin", "STREAMS", "s", "t", ">", ">"],
        ["XACK", "s", "g", "1-1", "1-1", "9-9"], ["XACK", "s", "g", "5-5"],
        ["XCLAIM", "s", "g", "frank", "0", "2-1", "3"], ["XCLAIM", "s", "g", "frank", "0", "2-1", "JUSTID", "RETRYCOUNT", "9"], ["XCLAIM", "s", "g", "frank", "999999999", "4-1"],
        ["XCLAIM", "s", "g", "frank", "0", "1-1", "FORCE"], ["XCLAIM", "s", "g", "frank", "0", "7-7", "FORCE"], ["XCLAIM", "s", "g", "frank", "0", "7-7", "LASTID", "8-8"],
        ["XCLAIM", "s", "g", "frank", "0", "4-1", "TIME", "1000", "LASTID", "9-9"], ["XDEL", "s", "2-1"], ["XCLAIM", "s", "g", "frank", "0", "2-1"],
        ["XDEL", "s", "3-1"], ["XAUTOCLAIM", "s", "g", "gina", "0", "0", "COUNT", "2"], ["XAUTOCLAIM", "s", "g", "gina", "0", "0", "JUSTID"],
        ["XAUTOCLAIM", "s", "g", "gina", "999999999", "0"],
        ["XGROUP", "SETID", "s", "g", "$"], ["XGROUP", "SETID", "s", "g", "0", "ENTRIESREAD", "3"], ["XGROUP", "CREATECONSUMER", "s", "g", "hank"],
        ["XGROUP", "CREATECONSUMER", "s", "g", "hank"], ["XGROUP", "DELCONSUMER", "s", "g", "frank"], ["XGROUP", "DELCONSUMER", "s", "g", "frank"],
        ["XGROUP", "DESTROY", "s", "g"], ["XGROUP", "DESTROY", "s", "g"], ["XINFO", "GROUPS", "s"]);

    [Fact]
    public void GeneratedIdsGoOutAsGenerated() => EffectScript.Scenario(servers, connect =>
    {
        using var c = connect();
        c.Call("XADD", "s", "*", "a", "1");
        c.Call("XADD", "s", "MAXLEN", "~", "0", "*", "a", "2");
        c.Call("XADD", "s", "MINID", "~", "1", "*", "a", "3");
        c.Call("MULTI");
        c.Call("XADD", "s", "*", "a", "4");
        c.Call("XADD", "s", "*", "a", "5");
        c.Call("EXEC");
    }, canonical: WithoutClockIds);

    [Theory]
    [InlineData("XREAD BLOCK 0 STREAMS s $", "XADD s 5-1 a 1")]
    [InlineData("XREADGROUP GROUP g c BLOCK 0 STREAMS s >", "XADD s 5-1 a 1")]
    [InlineData("XREADGROUP GROUP g c NOACK BLOCK 0 STREAMS s >", "XADD s 5-1 a 1")]
    [InlineData("XREADGROUP GROUP g known BLOCK 0 COUNT 1 STREAMS s >", "XADD s 5-1 a 1")]
    public void BlockedReadersServedLater(string blocking, string add) => EffectScript.Scenario(servers, connect =>
    {
        using var waiter = connect();
        using var adder = connect();
        adder.Call("XGROUP", "CREATE", "s", "g", "$", "MKSTREAM");
        adder.Call("XGROUP", "CREATECONSUMER", "s", "g", "known");
        waiter.Send(RespSocket.Encode(blocking.Split(' ')));
        EffectScript.WaitBlocked(adder, 1);
        adder.Call(add.Split(' '));
        waiter.ReadReply();
    });

    [Fact]
    public void InsideMultiAndScripts() => Effects(
        ["XADD", "s", "1-1", "a", "1"], ["XGROUP", "CREATE", "s", "g", "0"],
        ["MULTI"], ["XADD", "s", "2-1", "a", "2"], ["XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">"], ["XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">"], ["EXEC"],
        ["EVAL", "redis.call('XADD', KEYS[1], '3-1', 'a', '3'); return redis.call('XREADGROUP', 'GROUP', 'g', 'd', 'STREAMS', KEYS[1], '>')", "1", "s"],
        ["EVAL", "return redis.call('XADD', KEYS[1], 'MAXLEN', '~', '0', '4-1', 'a', '4')", "1", "s"]);
}
