using System.Text;
using System.Text.RegularExpressions;
using Xunit;
using static Vermilion.Tests.AllocationProbe;

namespace Vermilion.Tests;

/// <summary>
/// SLOWLOG, LATENCY and MONITOR on an in-process Vermilion: what the differential tests cannot
/// show (exact trimmed entries, latency events from a slow command, the unix socket's MONITOR
/// line, a monitor that never reads) and that timing every command allocates nothing.
/// </summary>
[Trait("Category", "Network")]
public class ObservabilityTests
{
    static List<string> Texts(string reply) => RespReply.Parse(reply).Texts();

    [Fact]
    public void SlowlogTrimsArgumentsAndKeepsMaxLen()
    {
        using var server = new InProcessServer();
        using var c = server.Connect();
        c.Call("CONFIG", "SET", "slowlog-log-slower-than", "0");
        c.Call("CLIENT", "SETNAME", "trimmer");
        c.Call("SLOWLOG", "RESET");
        c.Call(["SADD", "set", .. Enumerable.Range(3, 31).Select(i => i.ToString())]);
        c.Call("SADD", "set", "foo", new string('A', 129));
        var entries = RespReply.Parse(c.Call("SLOWLOG", "GET", "2"));
        var tooLong = entries.Items![0];
        Assert.Equal(["SADD", "set", "foo", new string('A', 128) + "... (1 more bytes)"], tooLong.Items![3].Texts());
        Assert.Equal("trimmer", tooLong.Items[5].Text);
        Assert.Matches(@"^127\.0\.0\.1:\d+$", tooLong.Items[4].Text);
        var many = entries.Items[1].Items![3].Texts();
        Assert.Equal(32, many.Count);
        Assert.Equal("... (2 more arguments)", many[^1]);
        Assert.Equal("31", many[^2]);
        Assert.True(long.Parse(entries.Items[0].Items![0].Text!) == long.Parse(entries.Items[1].Items![0].Text!) + 1, "ids count up");

        c.Call("CONFIG", "SET", "slowlog-max-len", "10");
        for (int i = 0; i < 30; i++) c.Call("PING");
        Assert.Equal(":10\r\n", c.Call("SLOWLOG", "LEN"));
        Assert.Equal(5, RespReply.Parse(c.Call("SLOWLOG", "GET", "5")).Items!.Count);
        Assert.Equal("+OK\r\n", c.Call("SLOWLOG", "RESET"));
        Assert.Equal(":1\r\n", c.Call("SLOWLOG", "LEN")); // the RESET itself, logged after it ran
        c.Call("CONFIG", "SET", "slowlog-log-slower-than", "-1");
        c.Call("SLOWLOG", "RESET");
        c.Call("PING");
        Assert.Equal(":0\r\n", c.Call("SLOWLOG", "LEN"));
    }

    /// <summary>A command over the latency threshold becomes a "command" event (LATEST, HISTORY, GRAPH, DOCTOR) and a slow log entry.</summary>
    [Fact]
    public void SlowCommandRecordsLatencyEventAndSlowlogEntry()
    {
        using var server = new InProcessServer();
        using var c = server.Connect();
        // 200k members: SMEMBERS of them takes well over a millisecond on any machine.
        for (int batch = 0; batch < 20; batch++)
            c.Call(["SADD", "big", .. Enumerable.Range(batch * 10_000, 10_000).Select(i => "member:" + i)]);
        c.Call("CONFIG", "SET", "latency-monitor-threshold", "1");
        c.Call("CONFIG", "SET", "slowlog-log-slower-than", "1000");
        c.Call("SLOWLOG", "RESET");
        c.Call("LATENCY", "RESET");
        c.Call("SMEMBERS", "big");

        var latest = RespReply.Parse(c.Call("LATENCY", "LATEST")).Items!;
        var command = Assert.Single(latest, e => e.Items![0].Text == "command");
        long ms = long.Parse(command.Items![2].Text!), max = long.Parse(command.Items[3].Text!);
        Assert.True(ms >= 1 && max >= ms, $"latest {ms} ms, max {max} ms");
        var history = RespReply.Parse(c.Call("LATENCY", "HISTORY", "command")).Items!;
        Assert.Contains(history, s => s.Items![0].Text == command.Items[1].Text);
        Assert.Equal(":0\r\n", c.Call("LATENCY", "RESET", "COMMAND-x"));

        string graph = RespReply.Parse(c.Call("LATENCY", "GRAPH", "command")).Text!;
        Assert.StartsWith("command - high ", graph);
        Assert.Contains("\n" + new string('-', 80) + "\n", graph);
        string doctor = RespReply.Parse(c.Call("LATENCY", "DOCTOR")).Text!;
        // The test host's own collections may add a "gc-pause" event at this threshold: numbered in any order.
        Assert.Matches(@"\n\d\. command: ", doctor);
        Assert.Contains("latency spikes (average ", doctor);

        var slow = RespReply.Parse(c.Call("SLOWLOG", "GET")).Items!;
        Assert.Contains(slow, e => e.Items![3].Texts().SequenceEqual(["SMEMBERS", "big"]) && long.Parse(e.Items[2].Text!) >= 1000);

        // In one write, so serverCron (which samples GC pauses) cannot run between them.
        c.Send([.. RespSocket.Encode("LATENCY", "RESET"), .. RespSocket.Encode("LATENCY", "LATEST")]);
        Assert.True(long.Parse(c.ReadReply().TrimStart(':')) >= 1);
        Assert.Equal("*0\r\n", c.ReadReply());

        // EXEC's time includes the commands it ran (call() nests), in commandstats and the latency event.
        c.Call("CONFIG", "RESETSTAT");
        c.Call("MULTI");
        c.Call("SMEMBERS", "big");
        c.Call("EXEC");
        string stats = c.Call("INFO", "commandstats");
        long Usec(string cmd) => long.Parse(Regex.Match(stats, $@"cmdstat_{cmd}:calls=1,usec=(\d+),").Groups[1].Value);
        Assert.True(Usec("exec") >= Usec("smembers"), stats);
        Assert.Contains(RespReply.Parse(c.Call("LATENCY", "LATEST")).Items!, e => e.Items![0].Text == "command");
    }

    [Fact]
    public void LatencyHistogramCountsCallsPerCommandAndResetsWithStats()
    {
        using var server = new InProcessServer();
        using var c = server.Connect();
        c.Call("CONFIG", "RESETSTAT");
        Assert.Equal(["config|resetstat"], Texts(c.Call("LATENCY", "HISTOGRAM")).Where((_, i) => i % 2 == 0));
        c.Call("SET", "a", "b");
        c.Call("SET", "c", "d");
        var histogram = RespReply.Parse(c.Call("LATENCY", "HISTOGRAM", "set")).Items!;
        Assert.Equal("set", histogram[0].Text);
        var body = histogram[1].Items!;
        Assert.Equal(["calls", "2", "histogram_usec"], body.Take(3).Select(i => i.Text));
        var buckets = body[3].Items!.Select(i => long.Parse(i.Text!)).ToList();
        Assert.Equal(2, buckets[^1]); // cumulative: the last bucket holds every call
        c.Call("CONFIG", "SET", "latency-tracking", "no");
        c.Call("SET", "a", "b");
        Assert.Contains("calls\r\n:2\r\n", c.Call("LATENCY", "HISTOGRAM", "set"));
        Assert.DoesNotContain("latency_percentiles_usec_", c.Call("INFO", "latencystats"));
        c.Call("CONFIG", "SET", "latency-tracking", "yes");
        Assert.Matches(@"latency_percentiles_usec_set:p50=\d+\.\d{3},p99=\d+\.\d{3},p99\.9=\d+\.\d{3}\r\n", c.Call("INFO", "latencystats"));
        Assert.Contains("# Latencystats", c.Call("INFO", "all"));
        Assert.DoesNotContain("# Latencystats", c.Call("INFO"));
        c.Call("CONFIG", "RESETSTAT");
        Assert.DoesNotContain("latency_percentiles_usec_set", c.Call("INFO", "latencystats"));
    }

    /// <summary>
    /// Fast commands pipelined in one write are timed as a run (one clock read): every call is still
    /// counted in commandstats and the histogram, a slow command in the same pipeline is timed alone
    /// and logged, and with the slow log at 0 or a monitor attached every command is seen one by one.
    /// </summary>
    [Fact]
    public void PipelinedFastCommandsAreTimedAsARunWithoutLosingCalls()
    {
        using var server = new InProcessServer(extra: ["--enable-debug-command", "yes"]);
        using var c = server.Connect();
        using var watcher = server.Connect();
        c.Call("CONFIG", "SET", "slowlog-log-slower-than", "100000");
        c.Call("CONFIG", "RESETSTAT");
        c.Call("SLOWLOG", "RESET");
        string Pipeline(params string[][] commands) => c.RequestAll(string.Concat(commands.Select(a => Encoding.Latin1.GetString(RespSocket.Encode(a)))));
        var gets = Enumerable.Range(0, 40).Select(i => new[] { "GET", "key" + i }).ToArray();
        Pipeline([.. gets, ["DEBUG", "SLEEP", "0.12"], .. gets]);
        var stats = c.Call("INFO", "commandstats");
        Assert.Matches(@"cmdstat_get:calls=80,usec=\d+,", stats);
        Assert.Contains("calls\r\n:80\r\n", c.Call("LATENCY", "HISTOGRAM", "get"));
        var slow = RespReply.Parse(c.Call("SLOWLOG", "GET", "10")).Items!;
        Assert.Equal(["DEBUG", "SLEEP", "0.12"], Assert.Single(slow).Items![3].Texts());

        // Slow log at 0: each pipelined GET is an entry of its own.
        c.Call("CONFIG", "SET", "slowlog-log-slower-than", "0");
        c.Call("SLOWLOG", "RESET");
        Pipeline(gets);
        Assert.Equal(40, RespReply.Parse(c.Call("SLOWLOG", "GET", "-1")).Items!.Count(e => e.Items![3].Texts()[0] == "GET"));

        // A monitor sees every pipelined command.
        c.Call("CONFIG", "SET", "slowlog-log-slower-than", "100000");
        Assert.Equal("+OK\r\n", watcher.Call("MONITOR"));
        Pipeline(gets);
        int seen = 0;
        while (seen < 40) if (watcher.ReadReply().Contains("\"GET\"")) seen++;
    }

    static long Field(string info, string name)
    {
        var m = Regex.Match(info, $"\r\n{name}:(\\d+)\r\n");
        Assert.True(m.Success, $"no {name} in {info}");
        return long.Parse(m.Groups[1].Value);
    }

    /// <summary>
    /// INFO memory's gc_* fields after a collection the test forces (the server runs in this
    /// process, so it is the server's runtime), and INFO stats' longest loop iteration; CONFIG
    /// RESETSTAT clears both maxima.
    /// </summary>
    [Fact]
    public void GcPausesAndLoopIterationsShowInInfo()
    {
        using var server = new InProcessServer("epoll", "--enable-debug-command", "yes");
        using var c = server.Connect();
        string info = c.Call("INFO", "memory");
        Assert.Matches(@"\r\nlazyfreed_objects:\d+\r\ngc_mode:(workstation|server)(-concurrent)?\r\ngc_heap_size:", info);
        long count = Field(info, "gc_pause_count");

        GC.Collect();
        Assert.True(InProcessServer.WaitFor(() => Field(c.Call("INFO", "memory"), "gc_pause_count") > count), "serverCron saw no collection");
        info = c.Call("INFO", "memory");
        long last = Field(info, "gc_pause_last_usec"), max = Field(info, "gc_pause_max_usec");
        Assert.True(last > 0 && max >= last && Field(info, "gc_pause_total_usec") >= max, info);
        Assert.True(Field(info, "gc_heap_size") > 0 && Field(info, "gc_committed") > 0, info);
        Assert.True(Field(info, "gc_collections_gen0") >= 1 && Field(info, "gc_collections_gen2") >= 1, info);
        Assert.True(Field(info, "gc_collections_gen1") >= 0, info);

        c.Call("DEBUG", "SLEEP", "0.05");
        Assert.True(Field(c.Call("INFO", "stats"), "eventloop_duration_max_usec") >= 50_000);

        // In one write, so no loop iteration ends and no serverCron runs between them.
        c.Send([.. RespSocket.Encode("CONFIG", "RESETSTAT"), .. RespSocket.Encode("INFO", "memory"), .. RespSocket.Encode("INFO", "stats")]);
        Assert.Equal("+OK\r\n", c.ReadReply());
        info = RespReply.Parse(c.ReadReply()).Text!;
        Assert.Equal(0, Field(info, "gc_pause_max_usec"));
        Assert.True(Field(info, "gc_pause_count") > count, "the count is not a RESETSTAT counter");
        Assert.Equal(0, Field(RespReply.Parse(c.ReadReply()).Text!, "eventloop_duration_max_usec"));
    }

    /// <summary>A blocked BLPOP joins the histogram when served (once), not when it blocks.</summary>
    [Fact]
    public void BlockedCommandIsTimedWhenServed()
    {
        using var server = new InProcessServer();
        using var c = server.Connect();
        using var blocked = server.Connect();
        c.Call("CONFIG", "RESETSTAT");
        blocked.Send(RespSocket.Encode("BLPOP", "list", "0"));
        Assert.True(InProcessServer.WaitFor(() => c.Call("INFO", "clients").Contains("blocked_clients:1")));
        Assert.DoesNotContain("blpop", c.Call("LATENCY", "HISTOGRAM", "blpop"));
        c.Call("LPUSH", "list", "a");
        Assert.Equal(["list", "a"], Texts(blocked.ReadReply()));
        Assert.Contains("calls\r\n:1\r\n", c.Call("LATENCY", "HISTOGRAM", "blpop"));
    }

    [Fact]
    public void MonitorShowsUnixSocketClientsAndRedactsHello()
    {
        using var server = new InProcessServer();
        using var monitor = server.Connect();
        using var local = server.ConnectUnix();
        Assert.Equal("+OK\r\n", monitor.Call("MONITOR"));
        local.Call("SET", "k", "v");
        string line = monitor.ReadReply();
        Assert.Matches(@"^\+\d+\.\d{6} \[0 unix:" + Regex.Escape(server.UnixPath) + @"\] ""SET"" ""k"" ""v""\r\n$", line);
        local.Call("HELLO", "3", "AUTH", "default", "secret", "SETNAME", "x");
        Assert.EndsWith(@"] ""HELLO"" ""3"" ""AUTH"" ""(redacted)"" ""(redacted)"" ""SETNAME"" ""x""" + "\r\n", monitor.ReadReply());
    }

    /// <summary>
    /// A monitor that never reads fills its output buffer; the normal class's limit (the class
    /// Redis gives a monitor) cuts it, and the client whose commands it watched is not hurt.
    /// </summary>
    [Fact]
    public void MonitorThatNeverReadsIsCutByOutputBufferLimit()
    {
        using var server = new InProcessServer();
        using var c = server.Connect();
        Assert.Equal("+OK\r\n", c.Call("CONFIG", "SET", "client-output-buffer-limit", "normal 1mb 0 0"));
        using var monitor = server.Connect();
        monitor.Socket.ReceiveBufferSize = 4096;
        Assert.Equal("+OK\r\n", monitor.Call("MONITOR"));
        string value = new('v', 64 * 1024);
        bool cut = false;
        for (int i = 0; i < 400 && !cut; i++)
        {
            Assert.Equal("+OK\r\n", c.Call("SET", "key:" + i, value));
            if (i % 20 == 19) cut = !c.Call("CLIENT", "LIST").Contains("flags=O");
        }
        Assert.True(cut, "the monitor was not disconnected");
        Assert.True(server.LogContains("scheduled to be closed ASAP for overcoming of output buffer limits"));
        Assert.Equal($"${value.Length}\r\n{value}\r\n", c.Call("GET", "key:0"));
        c.Call("CONFIG", "SET", "client-output-buffer-limit", "normal 0 0 0");
    }

    /// <summary>Timing each command for the slow log, the latency monitor and the histograms allocates nothing per request.</summary>
    [Fact]
    public void TimingCommandsAllocatesNothingPerRequest()
    {
        var batch = new StringBuilder();
        for (int i = 0; i < 250; i++)
        {
            string key = "key:" + (i % 100).ToString("D3");
            batch.Append(Command("SET", key, "xyz")).Append(Command("GET", key));
        }
        using var probe = new AllocationProbe("--latency-monitor-threshold", "100", "--slowlog-log-slower-than", "10000", "--latency-tracking", "yes");
        long allocated = probe.BestRoundAllocation(batch.ToString(), 500, out var replies);
        Assert.StartsWith("+OK\r\n$3\r\nxyz\r\n", replies);
        Assert.True(allocated < 1_000, $"{allocated} bytes allocated for {20 * 500} requests");
    }
}
