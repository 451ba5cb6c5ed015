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
    public int Port { get; private set; }
    public string UnixPath { get; }
    /// <summary>Its working directory and --dir: where its RDB and appendonlydir go.</summary>
    public string Dir => _dir;
    Process _process = null!;
    readonly string _dir;
    readonly bool _acceptLoading;

    public OracleServer(params string[] extra) : this(false, extra) { }

    /// <summary>A redis-server handed over while it may still be loading its data: -LOADING to the probe's PING counts as serving (INFO answers during a load).</summary>
    public static OracleServer WhileLoading(params string[] extra) => new(true, extra);

    OracleServer(bool acceptLoading, string[] extra)
    {
        _acceptLoading = acceptLoading;
        _dir = Path.Combine(Path.GetTempPath(), "vermilion-oracle-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(_dir);
        UnixPath = Path.Combine(_dir, "redis.sock");
        // A port found free can be taken by another test's server before redis-server binds it; then
        // redis-server exits and the probe would reach that other server. Only an answer from our own
        // process (its process_id in INFO) counts; otherwise start again on another port.
        for (int attempt = 1; ; attempt++)
        {
            Port = InProcessServer.FreeTcpPort();
            _process = Start(extra);
            if (WaitUntilServing()) break;
            Stop();
            if (attempt == 5) throw new InvalidOperationException($"redis-server did not start on a free port after {attempt} attempts");
        }
    }

    Process Start(string[] extra)
    {
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
        Process process;
        try
        {
            process = Process.Start(psi)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException("redis-server is not installed: run ./test.sh, or apt-get install -y redis-server redis-tools", e);
        }
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    bool WaitUntilServing()
    {
        var deadline = Environment.TickCount64 + 10_000;
        while (Environment.TickCount64 < deadline && !_process.HasExited)
        {
            try
            {
                using var probe = RespSocket.Tcp(Port);
                string pong = probe.Call("PING");
                if (pong == "+PONG\r\n" || (_acceptLoading && pong.StartsWith("-LOADING"))) return probe.Call("INFO", "server").Contains($"\r\nprocess_id:{_process.Id}\r\n");
            }
            catch (SocketException)
            {
                Thread.Sleep(20);
            }
        }
        return false;
    }

    void Stop()
    {
        try
        {
            if (!_process.HasExited) _process.Kill();
            _process.WaitForExit(5000);
        }
        catch (InvalidOperationException) { }
        _process.Dispose();
    }

    public RespSocket Connect() => RespSocket.Tcp(Port);

    public void Dispose()
    {
        Stop();
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }
}
