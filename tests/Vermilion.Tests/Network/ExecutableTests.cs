using System.Diagnostics;
using Xunit;

namespace Vermilion.Tests;

/// <summary>The vermilion-server executable: arguments and config files as redis-server, signals, exit codes.</summary>
[Trait("Category", "Network")]
public class ExecutableTests
{
    static ExternalProcess.Result RunServer(params string[] args)
    {
        var (file, prefix) = ExternalProcess.VermilionServer;
        return ExternalProcess.Run(file, [.. prefix, .. args], timeoutMs: 30_000);
    }

    [Theory]
    [InlineData(new[] { "--port", "0", "--foo", "bar" }, 3, "foo \"bar\"", "Bad directive or wrong number of arguments")]
    [InlineData(new[] { "--port", "abc" }, 2, "port \"abc\"", "argument couldn't be parsed into an integer")]
    [InlineData(new[] { "--protected-mode", "maybe" }, 2, "protected-mode \"maybe\"", "argument must be 'yes' or 'no'")]
    [InlineData(new[] { "--loglevel", "foo" }, 2, "loglevel \"foo\"", "argument(s) must be one of the following: debug, verbose, notice, warning")]
    [InlineData(new[] { "--maxclients", "0" }, 2, "maxclients \"0\"", "argument must be between 1 and 4294967295 inclusive")]
    [InlineData(new[] { "--client-query-buffer-limit", "1x" }, 2, "client-query-buffer-limit \"1x\"", "argument must be a memory value")]
    public void BadArgumentsPrintRedisErrorAndExit1(string[] args, int line, string text, string reason)
    {
        var r = RunServer(args);
        Assert.Equal(1, r.ExitCode);
        Assert.Equal($"\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line {line}\n>>> '{text}'\n{reason}\n", r.Stderr);
        // The oracle agrees byte for byte (it writes the block to stderr too).
        var redis = ExternalProcess.Run("redis-server", args, timeoutMs: 10_000);
        Assert.Equal(1, redis.ExitCode);
        Assert.Equal(redis.Stderr, r.Stderr);
    }

    [Fact]
    public void ConfigFileWithQuotesIncludeAndBadLine()
    {
        var dir = Directory.CreateTempSubdirectory("vermilion-conf-");
        try
        {
            File.WriteAllText(Path.Combine(dir.FullName, "included.conf"), "timeout 7\n");
            var conf = Path.Combine(dir.FullName, "redis.conf");
            File.WriteAllText(conf, $"# comment\nport 0\n  bind \"127.0.0.1\" '-::1'\ninclude {Path.Combine(dir.FullName, "included.conf")}\nhz 1000\nnot-a-directive yes\n");
            var r = RunServer(conf);
            Assert.Equal(1, r.ExitCode);
            Assert.Contains("Reading the configuration file, at line 6\n>>> 'not-a-directive yes'\nBad directive or wrong number of arguments", r.Stderr);
        }
        finally { dir.Delete(true); }
    }

    [Fact]
    public void BindFailureExitsWithRedisMessage()
    {
        using var holder = new InProcessServer();
        var r = RunServer("--port", holder.Port.ToString(), "--bind", "127.0.0.1");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains($"Warning: Could not create server TCP listening socket 127.0.0.1:{holder.Port}: bind: Address already in use", r.Stdout);
        Assert.Contains($"Failed listening on port {holder.Port} (TCP), aborting.", r.Stdout);
        // An optional address that does not exist here is skipped.
        var dir = Directory.CreateTempSubdirectory("vermilion-opt-");
        try
        {
            int port = InProcessServer.FreeTcpPort();
            var (file, prefix) = ExternalProcess.VermilionServer;
            using var p = ExternalProcess.Start(file, [.. prefix, "--port", port.ToString(), "--bind", "-10.9.9.9", "127.0.0.1"]);
            Assert.True(InProcessServer.WaitFor(() => TryPing(port), 15_000));
            p.Kill();
            p.WaitForExit();
        }
        finally { dir.Delete(true); }
    }

    [Fact]
    public void NoListenerAtAllExits()
    {
        var r = RunServer("--port", "0");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("Configured to not listen anywhere, exiting.", r.Stdout);
    }

    static bool TryPing(int port)
    {
        try
        {
            using var c = RespSocket.Tcp(port);
            return c.Call("PING") == "+PONG\r\n";
        }
        catch (Exception) { return false; }
    }

    [Theory]
    [InlineData("SIGTERM", 15)]
    [InlineData("SIGINT", 2)]
    public void SignalShutsDownCleanly(string name, int signal)
    {
        var dir = Directory.CreateTempSubdirectory("vermilion-sig-");
        try
        {
            int port = InProcessServer.FreeTcpPort();
            string sock = Path.Combine(dir.FullName, "v.sock"), pid = Path.Combine(dir.FullName, "v.pid");
            var (file, prefix) = ExternalProcess.VermilionServer;
            using var p = ExternalProcess.Start(file, [.. prefix, "--port", port.ToString(), "--bind", "127.0.0.1", "--unixsocket", sock, "--pidfile", pid]);
            Assert.True(InProcessServer.WaitFor(() => TryPing(port), 15_000));
            Assert.True(File.Exists(sock));
            Assert.Equal(p.Id.ToString(), File.ReadAllText(pid).Trim());
            using var client = RespSocket.Tcp(port);
            Assert.Equal("+PONG\r\n", client.Call("PING"));
            Assert.Equal(0, kill(p.Id, signal));
            Assert.True(p.WaitForExit(10_000), name + " did not stop the server");
            Assert.Equal(0, p.ExitCode);
            Assert.False(File.Exists(sock));
            Assert.False(File.Exists(pid));
            Assert.True(client.WaitForClose());
            Assert.Contains($"Received {name} scheduling shutdown...", p.StandardOutput.ReadToEnd());
        }
        finally { dir.Delete(true); }
    }

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    static extern int kill(int pid, int sig);
}
