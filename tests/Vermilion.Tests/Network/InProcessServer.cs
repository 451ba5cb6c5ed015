using System.Net;
using System.Net.Sockets;
using Vermilion;

namespace Vermilion.Tests;

/// <summary>A Vermilion server started in the test process on a free loopback port and a unix socket in a temp dir.</summary>
public sealed class InProcessServer : IDisposable
{
    public VermilionServer Server { get; private set; } = null!;
    public int Port { get; private set; }
    public string UnixPath { get; }
    readonly string _dir;
    public readonly List<string> LogLines = new();

    public InProcessServer(string backend = "epoll", params string[] extra) : this(null, backend, extra) { }

    /// <summary>
    /// With <paramref name="configure"/> run on the parsed configuration before the server is built:
    /// how a test gives a server its own dir (Config.Dir) without "--dir", which would chdir the
    /// whole test process into a directory that goes away.
    /// </summary>
    public InProcessServer(Action<Config>? configure, string backend = "epoll", params string[] extra)
    {
        _dir = Path.Combine(Path.GetTempPath(), "vermilion-test-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(_dir);
        UnixPath = Path.Combine(_dir, "v.sock");
        // A port found free may be taken by another test's server before we bind it: try another.
        for (int attempt = 1; ; attempt++)
        {
            Port = FreeTcpPort();
            // No save points, as the oracle runs (OracleServer): a FLUSHALL or SHUTDOWN in a test must
            // not write dump.rdb into the test's directory. A later --save in extra adds them back.
            var args = new List<string> { "--port", Port.ToString(), "--bind", "127.0.0.1", "--unixsocket", UnixPath, "--event-loop", backend, "--save", "" };
            args.AddRange(extra);
            var config = Config.FromArgs([.. args]);
            // Files a test makes (SAVE, SHUTDOWN SAVE, the AOF) go to the server's own temp dir.
            config.Dir = _dir;
            configure?.Invoke(config);
            Server = new VermilionServer(config);
            Server.Log.Sink = TextWriter.Null;
            Server.Log.Observer = line => { lock (LogLines) LogLines.Add(line); };
            try
            {
                Server.Start();
                return;
            }
            catch (ServerStartException) when (attempt < 5 && LogContains($"{Port}: bind: Address already in use"))
            {
                Server.Dispose();
                lock (LogLines) LogLines.Clear();
            }
        }
    }

    public static int FreeTcpPort()
    {
        using var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)s.LocalEndPoint!).Port;
    }

    public RespSocket Connect() => RespSocket.Tcp(Port);
    public RespSocket ConnectUnix() => RespSocket.Unix(UnixPath);

    /// <summary>Runs <paramref name="query"/> on the loop thread is not possible from outside; tests read state through commands,
    /// or poll a condition that the loop changes.</summary>
    public static bool WaitFor(Func<bool> condition, int timeoutMs = 5000)
    {
        var deadline = Environment.TickCount64 + timeoutMs;
        while (Environment.TickCount64 < deadline)
        {
            if (condition()) return true;
            Thread.Sleep(10);
        }
        return condition();
    }

    public bool LogContains(string text)
    {
        lock (LogLines) return LogLines.Any(l => l.Contains(text));
    }

    public void Dispose()
    {
        Server.Dispose();
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }
}
