using System.Diagnostics;
using Xunit;
using Xunit.Abstractions;

namespace Vermilion.Tests;

/// <summary>The vermilion-server executable with an AOF: killed with SIGKILL under writes it loses no acknowledged one; a write error under appendfsync always exits as Redis does.</summary>
[Trait("Category", "Network")]
public class AofExecutableTests(ITestOutputHelper output)
{
    static Process StartServer(AofDir dir, int port, params string[] extra)
    {
        var (file, prefix) = ExternalProcess.VermilionServer;
        var p = ExternalProcess.Start(file, [.. prefix, "--port", port.ToString(), "--bind", "127.0.0.1", "--dir", dir.Path,
            "--appendonly", "yes", "--aof-use-rdb-preamble", "no", .. extra]);
        p.OutputDataReceived += (_, _) => { };
        p.ErrorDataReceived += (_, _) => { };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return p;
    }

    /// <summary>
    /// appendfsync always, a client writing key:i = i one after the other, SIGKILL at a random
    /// moment: after a restart every write that was acknowledged is there, and what is there is a
    /// prefix with no hole (at most the one write in flight beyond the last acknowledged).
    /// </summary>
    [Fact]
    public void KillNineLosesNoAcknowledgedWrite()
    {
        var random = new Random();
        for (int trial = 0; trial < 3; trial++)
        {
            using var dir = new AofDir();
            int port = InProcessServer.FreeTcpPort();
            long acked = -1;
            using (var p = StartServer(dir, port, "--appendfsync", "always"))
            {
                Assert.True(InProcessServer.WaitFor(() => ExternalProcess.Answers(port, p), 20_000));
                using var c = RespSocket.Tcp(port);
                int killAfterMs = random.Next(200, 700);
                var killer = Task.Run(async () =>
                {
                    await Task.Delay(killAfterMs);
                    p.Kill(); // SIGKILL
                });
                try
                {
                    for (long i = 0; ; i++)
                    {
                        if (c.Call("SET", "key:" + i, i.ToString()) != "+OK\r\n") break;
                        acked = i;
                    }
                }
                catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or TimeoutException) { }
                killer.Wait();
                p.WaitForExit();
            }
            Assert.True(acked > 0, "no write was acknowledged before the kill");
            port = InProcessServer.FreeTcpPort();
            using (var p = StartServer(dir, port))
            {
                Assert.True(InProcessServer.WaitFor(() => ExternalProcess.Answers(port, p), 20_000));
                using var c = RespSocket.Tcp(port);
                long size = long.Parse(c.Call("DBSIZE").Trim(':', '\r', '\n'));
                output.WriteLine($"trial {trial}: {acked + 1} acknowledged, {size} keys after the restart");
                Assert.InRange(size, acked + 1, acked + 2);
                for (long i = 0; i < size; i++)
                    Assert.Equal($"${i.ToString().Length}\r\n{i}\r\n", c.Call("GET", "key:" + i));
                c.Send(RespSocket.Encode("SHUTDOWN"));
                Assert.True(p.WaitForExit(10_000));
            }
            Assert.Equal(0, AofServers.CheckAof(dir.Manifest).ExitCode);
        }
    }

    /// <summary>A write error under appendfsync always: no reply, exit 1, Redis's log line (and redis-server does the same).</summary>
    [Fact]
    public void WriteErrorUnderAlwaysExits()
    {
        foreach (var redis in new[] { false, true })
        {
            using var dir = new AofDir();
            dir.Write("appendonly.aof.manifest", "file appendonly.aof.1.base.aof seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n");
            dir.Write("appendonly.aof.1.base.aof", "");
            File.CreateSymbolicLink(dir.File("appendonly.aof.1.incr.aof"), "/dev/full");
            int port = InProcessServer.FreeTcpPort();
            var log = new System.Text.StringBuilder();
            using var p = redis
                ? ExternalProcess.Start("redis-server", ["--port", port.ToString(), "--bind", "127.0.0.1", "--dir", dir.Path, "--appendonly", "yes", "--appendfsync", "always", "--save", ""])
                : StartServerLogged(dir, port, log);
            if (redis)
            {
                p.OutputDataReceived += (_, e) => { lock (log) log.Append(e.Data).Append('\n'); };
                p.BeginOutputReadLine();
            }
            Assert.True(InProcessServer.WaitFor(() => ExternalProcess.Answers(port, p), 20_000));
            using var c = RespSocket.Tcp(port);
            c.Send(RespSocket.Encode("SET", "a", "1"));
            Assert.True(c.WaitForClose(out var rest, 10_000));
            Assert.Empty(rest);
            Assert.True(p.WaitForExit(10_000));
            p.WaitForExit(); // and the end of its output
            Assert.Equal(1, p.ExitCode);
            lock (log) Assert.True(log.ToString().Contains("Can't recover from AOF write error when the AOF fsync policy is 'always'. Exiting..."),
                $"{(redis ? "redis-server" : "vermilion")} logged:\n{log}");
        }
    }

    static Process StartServerLogged(AofDir dir, int port, System.Text.StringBuilder log)
    {
        var (file, prefix) = ExternalProcess.VermilionServer;
        var p = ExternalProcess.Start(file, [.. prefix, "--port", port.ToString(), "--bind", "127.0.0.1", "--dir", dir.Path, "--appendonly", "yes", "--appendfsync", "always"]);
        p.OutputDataReceived += (_, e) => { lock (log) log.Append(e.Data).Append('\n'); };
        p.BeginOutputReadLine();
        return p;
    }
}
