using System.Text.RegularExpressions;
using Xunit;

namespace Vermilion.Tests;

/// <summary>
/// SLOWLOG, LATENCY, MONITOR and INFO latencystats against redis-server 7.0.15: the replies with
/// what depends on the clock and the connection (ids, times, durations, ports, histogram buckets)
/// masked, the rest byte for byte.
/// </summary>
[Trait("Category", "Network")]
public class ObservabilityDifferentialTests(DifferentialServers servers) : IClassFixture<DifferentialServers>
{
    /// <summary>An entry's id, time and duration (every integer) and the client's address.</summary>
    const string SlowlogMask = @":\d+\r\n|\$\d+\r\n127\.0\.0\.1:\d+\r\n";

    static readonly SameOptions s_slowlog = new()
    {
        Setup = [["SLOWLOG", "RESET"]],
        MaskOf = cmd => cmd is ["SLOWLOG", "GET", ..] ? SlowlogMask : null,
    };

    static string[] Args(params string[] first) => first;

    [Fact]
    public void SlowlogEntriesTrimmedRedactedNewestFirst()
    {
        using var _ = servers.Configure("slowlog-log-slower-than", "0", "slowlog-max-len", "128");
        servers.Same(s_slowlog,
            ["CLIENT", "SETNAME", "observer"],
            ["SET", "k", "v"],
            ["SADD", "set", .. Enumerable.Range(3, 31).Select(i => i.ToString())],
            ["SADD", "set", "foo", new string('A', 129)],
            ["SADD", "set", "bar", new string('B', 128)],
            ["SET", "bin", "a\0\u00ff\r\nb"],
            ["AUTH", "secret"],
            ["AUTH", "user", "secret"],
            ["AUTH", "a", "b", "c"],
            // No key to move: NOKEY before any connection, the secrets redacted as parsed.
            ["MIGRATE", "127.0.0.1", "1", "", "0", "1000", "COPY", "AUTH", "secret", "KEYS", "nokey"],
            ["MIGRATE", "127.0.0.1", "1", "nokey", "0", "1000", "REPLACE", "AUTH2", "user", "secret"],
            ["MIGRATE", "127.0.0.1", "1", "nokey", "0", "1000", "AUTH", "secret", "BOGUS", "x"],
            ["MULTI"], ["SET", "a", "1"], ["GET", "a"], ["EXEC"],
            ["NOSUCHCOMMAND"],
            ["GET"],
            // ACL SETUSER's arguments from the username on, even when it fails; CONFIG SET's sensitive values, even beside a bad one.
            ["ACL", "SETUSER", "bad user", "+get"],
            ["ACL", "SETUSER", "slowlog-user", "+get", ">pw"],
            ["ACL", "DELUSER", "slowlog-user"],
            ["CONFIG", "SET", "masterauth", "", "masteruser", ""],
            ["CONFIG", "SET", "requirepass", "x", "nosuch", "y"],
            ["SLOWLOG", "LEN"],
            ["SLOWLOG", "GET"],
            ["SLOWLOG", "GET", "-1"],
            ["SLOWLOG", "LEN"]);
    }

    [Fact]
    public void SlowlogMaxLenCountsAndReset()
    {
        using var _ = servers.Configure("slowlog-log-slower-than", "0", "slowlog-max-len", "3");
        servers.Same(s_slowlog,
            ["SET", "key", "test"], ["SADD", "set", "a", "b", "c"], ["INCR", "num"], ["LPUSH", "list", "a"],
            ["SLOWLOG", "LEN"],
            ["SLOWLOG", "GET", "0"],
            ["SLOWLOG", "GET", "1"],
            ["SLOWLOG", "GET", "3"],
            ["SLOWLOG", "GET", "-1"],
            ["CONFIG", "SET", "slowlog-max-len", "1"],
            ["SLOWLOG", "LEN"],
            ["SLOWLOG", "RESET"],
            ["SLOWLOG", "LEN"],
            ["CONFIG", "SET", "slowlog-log-slower-than", "-1"],
            ["SLOWLOG", "RESET"],
            ["SET", "k", "v"],
            ["SLOWLOG", "LEN"],
            ["SLOWLOG", "GET"]);
    }

    [Fact]
    public void SlowlogErrorsAndHelp() => servers.Same(s_slowlog,
        ["SLOWLOG"], ["SLOWLOG", "HELP"], ["SLOWLOG", "HELP", "x"], ["SLOWLOG", "FOO"],
        ["SLOWLOG", "GET", "-2"], ["SLOWLOG", "GET", "-222"], ["SLOWLOG", "GET", "x"], ["SLOWLOG", "GET", "1.5"],
        ["SLOWLOG", "GET", "99999999999999999999"], ["SLOWLOG", "GET", "\0\u00ff"], ["SLOWLOG", "GET", "1", "2"],
        ["SLOWLOG", "LEN", "x"], ["SLOWLOG", "RESET", "x"], ["SLOWLOG", "GET", "9223372036854775807"],
        ["CONFIG", "SET", "slowlog-log-slower-than", "-2"], ["CONFIG", "SET", "slowlog-max-len", "-1"]);

    static readonly string[][] s_latencyScript =
    [
        ["LATENCY"], ["LATENCY", "HELP"], ["LATENCY", "HELP", "xxx"], ["LATENCY", "FOO"],
        ["LATENCY", "HISTORY"], ["LATENCY", "HISTORY", "blabla"], ["LATENCY", "HISTORY", "a", "b"],
        ["LATENCY", "LATEST"], ["LATENCY", "LATEST", "x"],
        ["LATENCY", "GRAPH"], ["LATENCY", "GRAPH", "blabla"], ["LATENCY", "GRAPH", "\0\u00ff"],
        ["LATENCY", "RESET"], ["LATENCY", "RESET", "blabla"], ["LATENCY", "RESET", "a", "b", "c"],
        ["LATENCY", "DOCTOR"], ["LATENCY", "DOCTOR", "x"],
        ["LATENCY", "HISTOGRAM", "blabla"], ["LATENCY", "HISTOGRAM", "blabla", "blabla2"], ["LATENCY", "HISTOGRAM", "client|nosuch", "a|b|c", "|"],
    ];

    /// <summary>With latency-monitor-threshold 0 (the default) nothing is recorded: the errors, HELP and the empty replies.</summary>
    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void LatencyErrorsHelpAndEmptyReplies(int resp) =>
        servers.Same(new SameOptions { Resp = resp, Setup = [["LATENCY", "RESET"]] }, s_latencyScript);

    /// <summary>A histogram's buckets depend on timing: masked; the command names, calls and shapes are compared.</summary>
    const string HistogramMask = @"(?<=histogram_usec\r\n)[*%]\d+\r\n(?::\d+\r\n)*";

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void LatencyHistogramNamesCallsAndShape(int resp) => servers.Same(
        new SameOptions { Resp = resp, Setup = [["CONFIG", "RESETSTAT"]], MaskOf = cmd => cmd[0] == "LATENCY" ? HistogramMask : null },
        ["SET", "a", "b"], ["SET", "c", "d"], ["GET", "a"], ["CLIENT", "GETNAME"], ["HSET", "f", "k", "v"],
        ["LATENCY", "HISTOGRAM", "set", "hset"],
        ["LATENCY", "HISTOGRAM", "hgetall", "get", "zadd"],
        ["LATENCY", "HISTOGRAM", "client"],
        ["LATENCY", "HISTOGRAM", "CLIENT|GETNAME", "blabla", "set"],
        ["LATENCY", "HISTOGRAM", "config"]);

    /// <summary>INFO latencystats: one line per command timed since CONFIG RESETSTAT (Redis prints them in its dict's order: compared sorted), the percentiles as configured.</summary>
    [Fact]
    public void InfoLatencystatsLinesAndPercentiles()
    {
        using var _ = servers.Configure("latency-tracking", "yes", "latency-tracking-info-percentiles", "50 99 99.9");
        servers.Same(connect =>
        {
            var log = new List<string>();
            using var s = connect();
            void Info(string step) => log.Add(step + ": " + string.Join(" | ", s.Call("INFO", "latencystats").Split("\r\n")
                .Where(l => l.StartsWith("latency_percentiles_usec_") || l.StartsWith('#'))
                .Select(l => Regex.Replace(l, @"=\d+\.\d{3}", "=N")).Order(StringComparer.Ordinal)));
            s.Call("CONFIG", "RESETSTAT");
            s.Call("SET", "a", "b");
            s.Call("CLIENT", "GETNAME");
            Info("after SET");
            log.Add(s.Call("CONFIG", "SET", "latency-tracking-info-percentiles", "0.0 50.0 100.0"));
            log.Add(s.Call("CONFIG", "GET", "latency-tracking-info-percentiles"));
            Info("three percentiles");
            foreach (var bad in new[] { "10.0 50.0 a", "10.0 50.0 101.0", "-1", " 5  6 ", "nan", "1e400" })
            {
                log.Add(s.Call("CONFIG", "SET", "latency-tracking-info-percentiles", bad));
                log.Add(s.Call("CONFIG", "GET", "latency-tracking-info-percentiles"));
            }
            log.Add(s.Call("CONFIG", "SET", "latency-tracking-info-percentiles", "1e1 50.00001"));
            log.Add(s.Call("CONFIG", "GET", "latency-tracking-info-percentiles"));
            Info("odd percentiles");
            log.Add(s.Call("CONFIG", "SET", "latency-tracking-info-percentiles", ""));
            log.Add(s.Call("CONFIG", "GET", "latency-tracking-info-percentiles"));
            Info("no percentiles");
            log.Add(s.Call("CONFIG", "SET", "latency-tracking", "no"));
            s.Call("SET", "a", "b");
            Info("tracking off");
            log.Add(s.Call("CONFIG", "SET", "latency-tracking", "maybe"));
            log.Add(s.Call("CONFIG", "SET", "latency-tracking", "yes"));
            s.Call("CONFIG", "RESETSTAT");
            Info("after RESETSTAT");
            log.Add(s.Call("CONFIG", "SET", "latency-tracking-info-percentiles", "50 99 99.9"));
            return log;
        });
    }

    /// <summary>
    /// MONITOR: what another client runs, as Redis 7.0 shows it (after it ran, MULTI/EXEC's queued
    /// commands at EXEC, AUTH/HELLO secrets redacted, admin commands hidden, rejected commands not
    /// shown), the monitor's own restrictions, flag O, and RESET ending it. Timestamps and ports masked.
    /// </summary>
    [Fact]
    public void MonitorLines() => servers.Same(connect =>
    {
        var log = new List<string>();
        using var monitor = connect();
        using var c = connect();
        static string Masked(string line) => Regex.Replace(line, @"^\+\d+\.\d{6} \[(\d+) 127\.0\.0\.1:\d+\]", "+T [$1 ADDR]");
        monitor.Call("FLUSHALL");
        log.Add(monitor.Call("MONITOR"));
        string[][] commands =
        [
            ["SET", "k", "a\"b\\c\n\r\t\a\b\u0001\u00ff \u007f~"],
            ["AUTH", "pw"], ["AUTH", "u", "pw"], ["AUTH", "a", "b", "c"],
            ["HELLO", "2", "AUTH", "u", "p"], ["HELLO", "9", "AUTH", "u", "p"], ["HELLO", "2", "SETNAME"],
            ["MULTI"], ["SET", "a", "1"], ["GET", "a"], ["EXEC"],
            ["MULTI"], ["GET", "a"], ["DISCARD"],
            ["SELECT", "2"], ["PING"], ["ECHO", ""],
            ["CONFIG", "GET", "maxmemory"], ["SLOWLOG", "LEN"], ["LATENCY", "LATEST"], ["MONITOR", "x"],
            ["NOSUCH", "x"], ["GET"], ["CLIENT", "GETNAME"], ["SELECT", "0"],
        ];
        foreach (var cmd in commands)
        {
            c.Call(cmd);
            log.Add(string.Join(" ", cmd.Take(2)) + " -> " + (monitor.IsQuiet(50) ? "(nothing)" : Masked(monitor.ReadReply())));
            while (!monitor.IsQuiet(20)) log.Add("  and " + Masked(monitor.ReadReply()));
        }
        // The monitor itself: no keyspace, no second OK, its own commands fed to it, flag O, RESP3, RESET ends it.
        log.Add(monitor.Call("GET", "x"));
        log.Add(monitor.Call("SET", "x", "1"));
        monitor.Send(RespSocket.Encode("MONITOR"));
        log.Add(Masked(monitor.Call("PING")));
        log.Add(Masked(monitor.ReadReply()));
        log.Add(Regex.Match(monitor.Call("CLIENT", "INFO"), @"flags=\S+").Value);
        log.Add(Masked(monitor.ReadReply()));
        log.Add(Regex.Match(c.Call("CLIENT", "INFO"), @"flags=\S+").Value);
        log.Add(Masked(monitor.ReadReply()));
        // CLIENT LIST is an admin command: not fed to the monitor.
        log.Add(string.Join(" ", Regex.Matches(c.Call("CLIENT", "LIST"), @"flags=\S+").Select(m => m.Value)));
        log.Add(monitor.IsQuiet(100) ? "CLIENT LIST not shown" : Masked(monitor.ReadReply()));
        monitor.Call("HELLO", "3");
        log.Add(Masked(monitor.ReadReply()));
        log.Add(monitor.Call("PING"));
        log.Add(Masked(monitor.ReadReply()));
        log.Add(monitor.Call("RESET"));
        log.Add(monitor.Call("GET", "x"));
        log.Add(Regex.Match(monitor.Call("CLIENT", "INFO"), @"flags=\S+").Value);
        c.Call("PING");
        log.Add(monitor.IsQuiet(100) ? "quiet after RESET" : "fed after RESET");
        return log;
    });

    /// <summary>MONITOR inside MULTI is refused at EXEC; QUIT from a monitor closes it with +OK.</summary>
    [Fact]
    public void MonitorInsideExecAndQuit() => servers.Same(
        ["MULTI"], ["MONITOR"], ["EXEC"], ["MONITOR"], ["QUIT"]);

    /// <summary>A served BLPOP is logged when it is served, with the arguments it was sent with.</summary>
    [Fact]
    public void SlowlogLogsBlockedCommandWhenServed()
    {
        using var _ = servers.Configure("slowlog-log-slower-than", "0", "slowlog-max-len", "128");
        servers.Same(connect =>
        {
            var log = new List<string>();
            using var admin = connect();
            using var blocked = connect();
            admin.Call("DEL", "l");
            admin.Call("SLOWLOG", "RESET");
            blocked.Send(RespSocket.Encode("BLPOP", "l", "0"));
            Assert.True(InProcessServer.WaitFor(() => admin.Call("INFO", "clients").Contains("blocked_clients:1")));
            admin.Call("MULTI");
            admin.Call("LPUSH", "l", "foo");
            admin.Call("SLOWLOG", "RESET");
            admin.Call("EXEC");
            log.Add(blocked.ReadReply());
            log.Add(Regex.Replace(admin.Call("SLOWLOG", "GET"), SlowlogMask, "<masked>"));
            return log;
        });
    }
}
