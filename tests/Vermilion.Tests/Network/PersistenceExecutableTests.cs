using System.Diagnostics;
using Xunit;

namespace Vermilion.Tests;

/// <summary>
/// The vermilion-server executable with RDB files: a restart keeps the data (SHUTDOWN and
/// SIGTERM save when save points exist, the file is loaded before the server listens), SHUTDOWN's
/// SAVE/NOSAVE/FORCE, and a file it cannot load whole stops it with a non-zero exit.
/// </summary>
[Trait("Category", "Network")]
public sealed class PersistenceExecutableTests : IDisposable
{
    readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("vermilion-rdb-exe-");

    public void Dispose() => _dir.Delete(true);

    string RdbPath => Path.Combine(_dir.FullName, "dump.rdb");

    /// <summary>A server on a free port with dir set to this test's directory; it has started serving when this returns.</summary>
    (Process Process, int Port, Task<string> Output) Start(params string[] args)
    {
        for (int attempt = 1; ; attempt++)
        {
            int port = InProcessServer.FreeTcpPort();
            var (file, prefix) = ExternalProcess.VermilionServer;
            var p = ExternalProcess.Start(file, [.. prefix, "--port", port.ToString(), "--bind", "127.0.0.1", "--dir", _dir.FullName, .. args]);
            var output = p.StandardOutput.ReadToEndAsync();
            Assert.True(InProcessServer.WaitFor(() => ExternalProcess.Answers(port, p) || p.HasExited, 20_000), "the server did not start");
            if (!p.HasExited) return (p, port, output);
            // (the output is complete only once it has exited)
            if (!output.Result.Contains("Address already in use") || attempt == 5) Assert.Fail(output.Result);
        }
    }

    static string Stop(Process p, Task<string> output)
    {
        Assert.True(p.WaitForExit(20_000), "the server did not exit");
        Assert.Equal(0, p.ExitCode);
        return output.Result;
    }

    [Fact]
    public void RestartKeepsTheData()
    {
        var (p, port, output) = Start();
        using (var c = RespSocket.Tcp(port))
        {
            Assert.Equal("+OK\r\n", c.Call("SET", "s", "value"));
            Assert.Equal(":3\r\n", c.Call("RPUSH", "l", "a", "b", "c"));
            Assert.Equal(":2\r\n", c.Call("HSET", "h", "f", "v", "n", "1"));
            Assert.Equal("+OK\r\n", c.Call("SET", "t", "v", "EX", "100000"));
            Assert.Equal("+OK\r\n", c.Call("SELECT", "9"));
            Assert.Equal("+OK\r\n", c.Call("SET", "nine", "9"));
            // Redis's default save points exist: SHUTDOWN saves before it exits.
            c.Send(RespSocket.Encode("SHUTDOWN"));
            Assert.True(c.WaitForClose());
        }
        string log = Stop(p, output);
        Assert.Contains("Saving the final RDB snapshot before exiting.", log);
        Assert.Contains("DB saved on disk", log);
        Assert.True(File.Exists(RdbPath));

        (p, port, output) = Start();
        using (var c = RespSocket.Tcp(port))
        {
            Assert.Equal("$5\r\nvalue\r\n", c.Call("GET", "s"));
            Assert.Equal("*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n", c.Call("LRANGE", "l", "0", "-1"));
            Assert.Equal("$1\r\nv\r\n", c.Call("HGET", "h", "f"));
            Assert.InRange(long.Parse(c.Call("TTL", "t")[1..^2]), 99_990, 100_000);
            Assert.Equal("+OK\r\n", c.Call("SELECT", "9"));
            Assert.Equal("$1\r\n9\r\n", c.Call("GET", "nine"));
            Assert.Contains("rdb_last_load_keys_loaded:5\r\n", c.Call("INFO", "persistence"));
            c.Send(RespSocket.Encode("SHUTDOWN", "NOSAVE"));
            Assert.True(c.WaitForClose());
        }
        log = Stop(p, output);
        Assert.Contains("Done loading RDB, keys loaded: 5, keys expired: 0.", log);
        Assert.Contains("DB loaded from disk: ", log);
        Assert.DoesNotContain("Saving the final RDB snapshot", log);
        // The load comes before the server listens.
        Assert.True(log.IndexOf("DB loaded from disk", StringComparison.Ordinal) < log.IndexOf("Ready to accept connections", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(15, new string[0], true)]
    [InlineData(15, new[] { "--save", "" }, false)]
    [InlineData(15, new[] { "--save", "", "--shutdown-on-sigterm", "save" }, true)]
    [InlineData(2, new[] { "--shutdown-on-sigint", "nosave" }, false)]
    [InlineData(2, new string[0], true)]
    public void SignalsSaveAsTheSavePointsAndFlagsSay(int signal, string[] args, bool saves)
    {
        var (p, port, output) = Start(args);
        using (var c = RespSocket.Tcp(port)) Assert.Equal("+OK\r\n", c.Call("SET", "k", "v"));
        Assert.Equal(0, kill(p.Id, signal));
        Stop(p, output);
        Assert.Equal(saves, File.Exists(RdbPath));
    }

    [Fact]
    public void ShutdownSaveWithoutSavePointsAndForceAfterAFailedSave()
    {
        var (p, port, output) = Start("--save", "");
        using (var c = RespSocket.Tcp(port))
        {
            Assert.Equal("+OK\r\n", c.Call("SET", "k", "v"));
            Assert.Equal("-ERR syntax error\r\n", c.Call("SHUTDOWN", "SAVE", "NOSAVE"));
            c.Send(RespSocket.Encode("SHUTDOWN", "SAVE"));
            Assert.True(c.WaitForClose());
        }
        Stop(p, output);
        Assert.True(File.Exists(RdbPath));

        (p, port, output) = Start();
        using (var c = RespSocket.Tcp(port))
        {
            Assert.Equal("$1\r\nv\r\n", c.Call("GET", "k"));
            // The directory goes away: the save fails, and the shutdown with it, unless FORCE.
            _dir.Delete(true);
            Assert.Equal("-ERR Errors trying to SHUTDOWN. Check logs.\r\n", c.Call("SHUTDOWN"));
            Assert.Equal("+PONG\r\n", c.Call("PING"));
            c.Send(RespSocket.Encode("SHUTDOWN", "FORCE"));
            Assert.True(c.WaitForClose());
        }
        string log = Stop(p, output);
        Assert.Contains("Error trying to save the DB, can't exit.", log);
        Assert.Contains("Error trying to save the DB. Exit anyway.", log);
        _dir.Create();
    }

    /// <summary>A file that cannot be loaded whole: the reason is logged and the server exits 1 without ever listening.</summary>
    [Theory]
    [InlineData("truncated", "Short read loading DB at offset")]
    [InlineData("version", "Can't handle RDB format version 11")]
    [InlineData("checksum", "Wrong RDB checksum expected: (")]
    public void AFileThatCannotBeLoadedStopsTheServer(string damage, string reason)
    {
        byte[] file = damage switch
        {
            "truncated" => new RdbBytes().Select(0).StringKey("a", "1").StringKey("b", "2").Finish()[..^12],
            "version" => [.. "REDIS0011"u8.ToArray(), 0xFF],
            _ => Corrupted(new RdbBytes().Select(0).StringKey("a", "1").Finish()),
        };
        File.WriteAllBytes(RdbPath, file);
        int port = InProcessServer.FreeTcpPort();
        var (exe, prefix) = ExternalProcess.VermilionServer;
        var r = ExternalProcess.Run(exe, [.. prefix, "--port", port.ToString(), "--bind", "127.0.0.1", "--dir", _dir.FullName], timeoutMs: 30_000);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains(reason, r.Stdout);
        Assert.Contains("Fatal error loading the DB: ", r.Stdout);
        Assert.DoesNotContain("Ready to accept connections", r.Stdout);
    }

    static byte[] Corrupted(byte[] file)
    {
        file[^1] ^= 0xFF;
        return file;
    }

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    static extern int kill(int pid, int sig);
}
