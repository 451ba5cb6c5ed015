using Xunit;

namespace Vermilion.Tests;

/// <summary>redis-benchmark's list workloads against Vermilion: every test runs, no error replies, and the list it builds reads back.</summary>
[Trait("Category", "Network")]
public class ListRealClientTests
{
    [Fact]
    public void RedisBenchmarkRunsItsListTests()
    {
        using var s = new InProcessServer();
        string port = s.Port.ToString();
        var r = ExternalProcess.Run("redis-benchmark",
            ["-p", port, "-t", "lpush,rpush,lpop,rpop,lrange_100,lrange_300,lrange_500,lrange_600", "-n", "2000", "-c", "10", "-q", "--csv"],
            timeoutMs: 120_000);
        Assert.Equal(0, r.ExitCode);
        foreach (var test in new[] { "LPUSH", "RPUSH", "LPOP", "RPOP", "LPUSH (needed to benchmark LRANGE)", "LRANGE_100 (first 100 elements)",
                     "LRANGE_300 (first 300 elements)", "LRANGE_500 (first 500 elements)", "LRANGE_600 (first 600 elements)" })
            Assert.Contains($"\"{test}\",", r.Stdout);
        Assert.DoesNotContain("ERR", r.Stdout + r.Stderr);
        // The LRANGE tests' list: 2000 LPUSHes of its 3-byte value, in one quicklist.
        Assert.Equal("2000\n", ExternalProcess.Run("redis-cli", ["-p", port, "LLEN", "mylist"]).Stdout);
        Assert.Equal("quicklist\n", ExternalProcess.Run("redis-cli", ["-p", port, "OBJECT", "ENCODING", "mylist"]).Stdout);
        // Pipelined, over the Unix socket.
        var piped = ExternalProcess.Run("redis-benchmark", ["-s", s.UnixPath, "-t", "lpush,rpop,lrange_100", "-n", "2000", "-P", "16", "-q", "--csv"], timeoutMs: 120_000);
        Assert.Equal(0, piped.ExitCode);
        Assert.Contains("\"LRANGE_100 (first 100 elements)\",", piped.Stdout);
        Assert.DoesNotContain("ERR", piped.Stdout + piped.Stderr);
    }
}
