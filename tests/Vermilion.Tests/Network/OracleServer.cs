using System.Diagnostics;
using System.Net.Sockets;

namespace Vermilion.Tests;

/// <summary>
/// The real redis-server 7.0, started as a child process on a free loopback port (and a unix
/// socket in a temp dir) for differential tests. Missing redis-server is a failure, never a skip:
/// ./test.sh installs it.
/// </summary>
public sealed class OracleServer : IDisposable
{
    public int Port { get; }
    public string UnixPath { get; }
    readonly Process _process;
    readonly string _dir;

    public OracleServer(params string[] extra)
    {
        _dir = Path.Combine(Path.GetTempPath(), "vermilion-oracle-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(_dir);
        Port = InProcessServer.FreeTcpPort();
        UnixPath = Path.Combine(_dir, "redis.sock");
        var psi = new ProcessStartInfo("redis-server")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = _dir,
        };
        foreach (var a in new[] { "--port", Port.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                     "--daemonize", "no", "--unixsocket", UnixPath, "--dir", _dir })
            psi.ArgumentList.Add(a);
        foreach (var a in extra) psi.ArgumentList.Add(a);
        try
        {
            _process = Process.Start(psi)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException("redis-server is not installed: run ./test.sh, or apt-get install -y redis-server redis-tools", e);
        }
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var deadline = Environment.TickCount64 + 10_000;
        while (true)
        {
            try
            {
                using var probe = RespSocket.Tcp(Port);
                if (probe.Call("PING") == "+PONG\r\n") break;
            }
            catch (SocketException) when (Environment.TickCount64 < deadline && !_process.HasExited)
            {
                Thread.Sleep(20);
            }
        }
    }

    public RespSocket Connect() => RespSocket.Tcp(Port);

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited) _process.Kill();
            _process.WaitForExit(5000);
        }
        catch (InvalidOperationException) { }
        _process.Dispose();
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }
}
