using System.Diagnostics;
using System.Text.RegularExpressions;
using Xunit;

namespace Vermilion.Tests;

/// <summary>
/// The redis-cli modes an operator reaches for (--stat, --latency-history, --intrinsic-latency), run
/// against Vermilion as they are against redis-server. --stat and --latency-history run until
/// stopped: the test reads their first lines (line-buffered through stdbuf, as redis-cli writes to
/// a pipe with full buffering) and then stops them. --memkeys and --bigkeys are in MemoryCommandTests.
/// </summary>
[Trait("Category", "Network")]
public class RedisCliToolsTests
{
    /// <summary>The first <paramref name="count"/> lines a never-ending redis-cli mode prints, then it is stopped.</summary>
    static List<string> FirstLines(int count, params string[] args)
    {
        using var p = ExternalProcess.Start("stdbuf", ["-oL", "redis-cli", .. args]);
        var lines = new List<string>();
        var deadline = Stopwatch.StartNew();
        try
        {
            while (lines.Count < count && deadline.ElapsedMilliseconds < 20_000)
            {
                var read = p.StandardOutput.ReadLineAsync();
                if (!read.Wait(20_000) || read.Result is null) break;
                lines.Add(read.Result);
            }
        }
        finally
        {
            p.Kill(entireProcessTree: true);
            p.WaitForExit();
        }
        Assert.True(lines.Count == count, $"redis-cli {string.Join(' ', args)} printed only:\n{string.Join('\n', lines)}");
        return lines;
    }

    [Fact]
    public void StatShowsKeysClientsAndRequests()
    {
        using var server = new InProcessServer();
        using var s = server.Connect();
        s.Call("MSET", "a", "1", "b", "2", "c", "3");
        var lines = FirstLines(4, "-p", server.Port.ToString(), "--stat", "-i", "0.2");
        Assert.StartsWith("------- data ------", lines[0]);
        Assert.StartsWith("keys       mem      clients blocked requests", lines[1]);
        // keys, used memory with a unit, clients (ours and redis-cli's), blocked, requests (+delta), connections
        var row = Regex.Match(lines[3], @"^(\d+)\s+[\d.]+[BKMG]\s+(\d+)\s+0\s+\d+ \(\+\d+\)\s+\d+");
        Assert.True(row.Success, lines[3]);
        Assert.Equal("3", row.Groups[1].Value);
        Assert.Equal("2", row.Groups[2].Value);
    }

    [Fact]
    public void LatencyHistoryMeasuresPings()
    {
        using var server = new InProcessServer();
        // Without a terminal redis-cli prints "min max avg samples" per interval.
        var line = FirstLines(1, "-p", server.Port.ToString(), "--latency-history", "-i", "0.3")[0];
        var m = Regex.Match(line, @"^(\d+) (\d+) ([\d.]+) (\d+)$");
        Assert.True(m.Success, line);
        Assert.True(long.Parse(m.Groups[4].Value) > 0, line);
    }

    [Fact]
    public void IntrinsicLatencyRuns()
    {
        using var server = new InProcessServer();
        var r = ExternalProcess.Run("redis-cli", ["-p", server.Port.ToString(), "--intrinsic-latency", "1"], timeoutMs: 30_000);
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("total runs (avg latency:", r.Stdout);
    }
}
