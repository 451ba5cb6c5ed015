using Xunit;

namespace Vermilion.Tests;

/// <summary>
/// Streams through the AOF beside redis-server 7.0.15: a rewrite as commands (rewriteStreamObject:
/// XADD, XSETID, XGROUP CREATE, XCLAIM, XGROUP CREATECONSUMER), then more stream writes into the
/// incr file (XADD with generated IDs, group reads propagated as XCLAIM, NOACK reads as XGROUP
/// SETID); then either server started on a copy of either directory loads the same streams.
/// </summary>
[Trait("Category", "Network")]
public class StreamAofTests
{
    static readonly string[] s_args = ["--appendonly", "yes", "--aof-use-rdb-preamble", "no"];

    static readonly string[][] s_before =
    [
        ["XADD", "s", "1-1", "a", "1"], ["XADD", "s", "2-1", "a", "2", "b", "x"], ["XADD", "s", "3-1", "a", "3"], ["XADD", "s", "4-1", "a", "4"],
        ["XDEL", "s", "2-1"], ["XGROUP", "CREATE", "s", "g", "0"], ["XREADGROUP", "GROUP", "g", "alice", "COUNT", "2", "STREAMS", "s", ">"],
        ["XGROUP", "CREATECONSUMER", "s", "g", "idle"], ["XGROUP", "CREATE", "s", "h", "$", "ENTRIESREAD", "4"],
        ["XGROUP", "CREATE", "empty", "g", "$", "MKSTREAM"], ["XADD", "gone", "1-1", "a", "1"], ["XDEL", "gone", "1-1"],
    ];

    static readonly string[][] s_after =
    [
        ["XADD", "s", "*", "late", "1"], ["XADD", "s", "MAXLEN", "~", "1", "*", "late", "2"], ["XREADGROUP", "GROUP", "g", "bob", "STREAMS", "s", ">"],
        ["XREADGROUP", "GROUP", "h", "carol", "NOACK", "STREAMS", "s", ">"], ["XCLAIM", "s", "g", "dave", "0", "3-1", "RETRYCOUNT", "5"], ["XACK", "s", "g", "1-1"],
        ["XSETID", "empty", "5-5", "ENTRIESADDED", "7", "MAXDELETEDID", "4-4"],
    ];

    static readonly string[][] s_state =
        [["XINFO", "STREAM", "s", "FULL"], ["XINFO", "STREAM", "empty", "FULL"], ["XINFO", "STREAM", "gone", "FULL"], ["XINFO", "GROUPS", "s"], ["DBSIZE"]];

    /// <summary>The streams as XINFO shows them; times are masked (a replayed XCLAIM makes its consumer seen at replay time, on either server).</summary>
    static string State(RespSocket s) => System.Text.RegularExpressions.Regex.Replace(string.Join("\n", s_state.Select(cmd => s.Call(cmd))), @":1\d{12}\r\n", "<time>");

    [Fact]
    public void BothLoadEachOthersAofWithStreams()
    {
        using var rdir = new AofDir();
        using var vdir = new AofDir();
        using (var redis = new OracleServer([.. s_args, "--dir", rdir.Path]))
        using (var vermilion = new InProcessServer(c => c.Dir = vdir.Path, "epoll", s_args))
        {
            using var r = redis.Connect();
            using var v = vermilion.Connect();
            foreach (var s in new[] { r, v })
            {
                foreach (var cmd in s_before) s.Call(cmd);
                Assert.StartsWith("+Background append only file rewriting", s.Call("BGREWRITEAOF"));
                AofServers.WaitForRewrite(s);
                foreach (var cmd in s_after) s.Call(cmd);
            }
        }
        // The same directory replayed by either server gives the same streams (Redis's own
        // restart is not the dataset it had: entries-read, for one, is not carried by XCLAIM).
        foreach (var dir in new[] { rdir, vdir })
        {
            string expected, actual;
            using (var copy = dir.Copy())
            using (var redis = new OracleServer([.. s_args, "--dir", copy.Path]))
            using (var r = redis.Connect())
                expected = State(r);
            using (var copy = dir.Copy())
            using (var vermilion = new InProcessServer(c => c.Dir = copy.Path, "epoll", s_args))
            using (var v = vermilion.Connect())
                actual = State(v);
            Assert.Contains("late", expected);
            DifferentialServers.AssertSame($"the streams loaded from {(dir == rdir ? "redis-server's" : "Vermilion's")} AOF", expected, actual);
        }
    }
}
