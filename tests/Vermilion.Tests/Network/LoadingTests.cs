using System.Net.Sockets;
using Xunit;

namespace Vermilion.Tests;

/// <summary>
/// Loading while serving, as Redis 7.0: the listeners open before the data loads, and a client
/// that connects meanwhile gets -LOADING for every command not flagged loading, INFO's loading_*
/// fields, and nothing of the half-loaded data. The loads are held at a progress step by the
/// server's <see cref="VermilionServer.HoldLoading"/> hook (a tiny
/// loading-process-events-interval-bytes makes the steps come often), so every test waits for a
/// condition rather than for time to pass; redis-server is slowed with key-load-delay to a load
/// far longer than the probes take.
/// </summary>
[Trait("Category", "Network")]
public sealed class LoadingTests : IDisposable
{
    const int Keys = 300, ValueBytes = 1100;
    const string LoadingReply = "-LOADING Redis is loading the dataset in memory\r\n";
    readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("vermilion-load-");

    public void Dispose()
    {
        try { _dir.Delete(true); } catch (IOException) { }
    }

    string RdbPath => Path.Combine(_dir.FullName, "dump.rdb");

    /// <summary>dump.rdb in this test's directory: <see cref="Keys"/> keys of <see cref="ValueBytes"/> bytes, uncompressed, so each key crosses a 1 KB progress step.</summary>
    void WriteDump()
    {
        using var maker = new InProcessServer(c => c.Dir = _dir.FullName, "epoll", "--enable-debug-command", "yes");
        using var c = maker.Connect();
        Assert.Equal("+OK\r\n", c.Call("CONFIG", "SET", "rdbcompression", "no"));
        Assert.Equal("+OK\r\n", c.Call("DEBUG", "POPULATE", Keys.ToString(), "key", ValueBytes.ToString()));
        Assert.Equal("+OK\r\n", c.Call("SAVE"));
    }

    /// <summary>
    /// A Vermilion server starting on this test's directory (unix socket only, no port to race
    /// for) on a task of its own, its load held at the first progress step until <see cref="Release"/>.
    /// </summary>
    sealed class HeldStart : IDisposable
    {
        public VermilionServer Server { get; }
        public Task Started { get; }
        public readonly List<string> LogLines = new();
        readonly string _socket;
        readonly ManualResetEventSlim _reached = new(), _release = new();

        public HeldStart(string dir, params string[] extra)
        {
            _socket = Path.Combine(dir, "v.sock");
            var config = Config.FromArgs(["--port", "0", "--unixsocket", _socket, "--save", "", "--loading-process-events-interval-bytes", "1024", .. extra]);
            config.Dir = dir;
            Server = new VermilionServer(config);
            Server.Log.Sink = TextWriter.Null;
            Server.Log.Observer = line => { lock (LogLines) LogLines.Add(line); };
            Server.HoldLoading = () =>
            {
                _reached.Set();
                return !_release.IsSet;
            };
            Started = Task.Run(Server.Start);
        }

        /// <summary>The load has reached a progress step and waits there, serving clients.</summary>
        public void WaitUntilHeld() => Assert.True(_reached.Wait(30_000) || Started.IsCompleted, "the load never reached a progress step");

        public void Release() => _release.Set();

        /// <summary>The start's end: served (or failed, or stopped), within 30 s.</summary>
        public Task Finished() => Started.WaitAsync(TimeSpan.FromSeconds(30));

        public RespSocket Connect() => RespSocket.Unix(_socket);

        public bool LogContains(string text)
        {
            lock (LogLines) return LogLines.Any(l => l.Contains(text));
        }

        public void Dispose()
        {
            _release.Set();
            try { Started.Wait(30_000); } catch (AggregateException) { }
            Server.Dispose();
        }
    }

    static string Info(RespSocket c) => RespReply.Parse(c.Call("INFO", "persistence")).Text!;

    static Dictionary<string, string> Fields(string info) =>
        info.Split("\r\n", StringSplitOptions.RemoveEmptyEntries).Where(l => l.Contains(':'))
            .ToDictionary(l => l[..l.IndexOf(':')], l => l[(l.IndexOf(':') + 1)..]);

    static List<string> Names(string info) =>
        info.Split("\r\n", StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(':')[0]).ToList();

    /// <summary>The same requests, one connection each, to redis-server and to Vermilion while each loads the same file: the same replies, and INFO persistence with the same fields in the same order.</summary>
    [Fact]
    public async Task ClientDuringLoadIsAnsweredAsRedis()
    {
        WriteDump();
        // 200 ms a key, 300 keys: a minute of loading, answering between keys; the probes take a few seconds.
        using var redis = OracleServer.WhileLoading("--dir", _dir.FullName, "--key-load-delay", "200000", "--loading-process-events-interval-bytes", "1024");
        using var held = new HeldStart(_dir.FullName);
        held.WaitUntilHeld();
        string[][][] scripts =
        [
            [["GET", "key:1"]], [["PING"]], [["DBSIZE"]], [["SET", "k", "v"]], [["KEYS", "*"]], [["ECHO", "hi"]],
            [["SELECT", "1"], ["GET", "key:1"], ["SELECT", "0"]],
            [["CONFIG", "GET", "loading-process-events-interval-bytes"]],
            [["CLIENT", "SETNAME", "probe"], ["CLIENT", "GETNAME"]],
            [["MULTI"], ["ECHO", "a"], ["EXEC"]],
            [["MULTI"], ["GET", "a"], ["ECHO", "b"], ["EXEC"]],
            [["WATCH", "key:1"], ["UNWATCH"]],
        ];
        foreach (var script in scripts)
        {
            using var r = redis.Connect();
            using var v = held.Connect();
            foreach (var command in script)
            {
                string expected = r.Call(command), actual = v.Call(command);
                Assert.True(expected == actual, $"{string.Join(' ', command)}: redis {RespSocket.Show(expected)}, vermilion {RespSocket.Show(actual)}");
            }
        }
        using (var r = redis.Connect())
        using (var v = held.Connect())
        {
            string expected = Info(r), actual = Info(v);
            Assert.Equal("1", Fields(expected)["loading"]);
            Assert.Equal("1", Fields(actual)["loading"]);
            Assert.Equal(Names(expected), Names(actual));
        }
        held.Release();
        await held.Finished();
    }

    /// <summary>INFO persistence while the file loads (its size, what is read so far, the used-mem AUX) and after (no loading_* lines, the keys counted).</summary>
    [Fact]
    public async Task InfoShowsTheLoadAsItGoesAndNotAfter()
    {
        WriteDump();
        long size = new FileInfo(RdbPath).Length;
        using var held = new HeldStart(_dir.FullName);
        held.WaitUntilHeld();
        using (var c = held.Connect())
        {
            var f = Fields(Info(c));
            Assert.Equal("1", f["loading"]);
            Assert.Equal("0", f["async_loading"]);
            Assert.InRange(long.Parse(f["loading_start_time"]), DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 60, DateTimeOffset.UtcNow.ToUnixTimeSeconds());
            Assert.Equal(size.ToString(), f["loading_total_bytes"]);
            Assert.True(long.Parse(f["loading_rdb_used_mem"]) > 0, "the used-mem AUX field");
            long loaded = long.Parse(f["loading_loaded_bytes"]);
            Assert.InRange(loaded, 1024, size - 1);
            Assert.Matches(@"^\d+\.\d\d$", f["loading_loaded_perc"]);
            Assert.Matches(@"^\d+$", f["loading_eta_seconds"]);
            // The fresh databases are not visible before they are whole.
            Assert.Contains("# Keyspace\r\n", RespReply.Parse(c.Call("INFO", "keyspace")).Text!);
            Assert.DoesNotContain("db0:", RespReply.Parse(c.Call("INFO", "keyspace")).Text!);
        }
        held.Release();
        await held.Finished();
        using (var c = held.Connect())
        {
            var info = Info(c);
            Assert.Equal("0", Fields(info)["loading"]);
            Assert.DoesNotContain("loading_", info);
            Assert.Equal(Keys.ToString(), Fields(info)["rdb_last_load_keys_loaded"]);
            Assert.Equal($":{Keys}\r\n", c.Call("DBSIZE"));
            Assert.Equal("+PONG\r\n", c.Call("PING"));
        }
        Assert.True(held.LogContains("ready to accept connections"), "logged once loaded");
    }

    /// <summary>A file that turns out damaged after clients connected: they only ever saw -LOADING, the start fails with the reason, and the listeners and clients are gone.</summary>
    [Fact]
    public async Task FailingLoadStillRefusesToStart()
    {
        WriteDump();
        var bytes = File.ReadAllBytes(RdbPath);
        File.WriteAllBytes(RdbPath, bytes[..(bytes.Length * 2 / 3)]);
        using var held = new HeldStart(_dir.FullName);
        held.WaitUntilHeld();
        using var c = held.Connect();
        Assert.Equal(LoadingReply, c.Call("GET", "key:1"));
        Assert.Equal(LoadingReply, c.Call("DBSIZE"));
        held.Release();
        await Assert.ThrowsAsync<ServerStartException>(held.Finished);
        Assert.True(held.LogContains("Fatal error loading the DB"));
        Assert.True(c.WaitForClose(out _), "the client connected during the load is dropped");
        Assert.Throws<SocketException>(() => held.Connect().Dispose());
    }

    /// <summary>SHUTDOWN SAVE during the load: the half-loaded data is not saved (Redis forces NOSAVE), the start ends without serving.</summary>
    [Fact]
    public async Task ShutdownDuringLoadSavesNothing()
    {
        WriteDump();
        var before = File.ReadAllBytes(RdbPath);
        using var held = new HeldStart(_dir.FullName);
        held.WaitUntilHeld();
        using (var c = held.Connect())
        {
            c.Send(RespSocket.Encode("SHUTDOWN", "SAVE"));
            Assert.True(c.WaitForClose(out var rest), "SHUTDOWN closes the connection");
            Assert.Empty(rest);
        }
        await held.Finished(); // the start returns once the load stopped
        Assert.Equal(before, File.ReadAllBytes(RdbPath));
        Assert.True(held.LogContains("User requested shutdown..."));
        Assert.False(held.LogContains("ready to accept connections"));
    }

    /// <summary>DEBUG RELOAD: its caller waits for the reload; another client gets -LOADING meanwhile (and may not reload inside the reload), then the reloaded data.</summary>
    [Fact]
    public void DebugReloadServesOtherClientsLoading()
    {
        using var server = new InProcessServer(c => c.Dir = _dir.FullName, "epoll", "--enable-debug-command", "yes");
        using var reloader = server.Connect();
        using var other = server.Connect();
        Assert.Equal("+OK\r\n", reloader.Call("CONFIG", "SET", "rdbcompression", "no"));
        Assert.Equal("+OK\r\n", reloader.Call("CONFIG", "SET", "loading-process-events-interval-bytes", "1024"));
        Assert.Equal("+OK\r\n", reloader.Call("DEBUG", "POPULATE", Keys.ToString(), "key", ValueBytes.ToString()));
        using var reached = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        server.Server.HoldLoading = () =>
        {
            reached.Set();
            return !release.IsSet;
        };
        try
        {
            reloader.Send(RespSocket.Encode("DEBUG", "RELOAD"));
            Assert.True(reached.Wait(30_000), "the reload never reached a progress step");
            Assert.Equal(LoadingReply, other.Call("GET", "key:1"));
            Assert.Equal(LoadingReply, other.Call("PING"));
            Assert.Equal(LoadingReply, other.Call("DEBUG", "RELOAD"));
            Assert.Equal("1", Fields(Info(other))["loading"]);
            Assert.Equal(0, reloader.Socket.Available);
        }
        finally
        {
            release.Set();
        }
        Assert.Equal("+OK\r\n", reloader.ReadReply(30_000));
        server.Server.HoldLoading = null;
        Assert.StartsWith($"${ValueBytes}\r\nvalue:1\0", other.Call("GET", "key:1"));
        Assert.Equal($":{Keys}\r\n", other.Call("DBSIZE"));
        Assert.Equal("0", Fields(Info(other))["loading"]);
        Assert.Equal("+PONG\r\n", reloader.Call("PING"));
    }

    /// <summary>An AOF is replayed while clients get -LOADING too (every 1024 commands); INFO counts all its files' bytes.</summary>
    [Fact]
    public async Task AofLoadServesClientsLoading()
    {
        using (var writer = new InProcessServer(c => c.Dir = _dir.FullName, "epoll", "--appendonly", "yes", "--aof-use-rdb-preamble", "no"))
        using (var c = writer.Connect())
        {
            var request = new System.Text.StringBuilder();
            for (int i = 0; i < 3000; i++) request.Append(System.Text.Encoding.Latin1.GetString(RespSocket.Encode("SET", "k" + i, "v" + i)));
            c.RequestAll(request.ToString());
            Assert.Equal(":3000\r\n", c.Call("DBSIZE"));
        }
        long size = Directory.GetFiles(Path.Combine(_dir.FullName, "appendonlydir")).Where(f => !f.EndsWith(".manifest")).Sum(f => new FileInfo(f).Length);
        using var held = new HeldStart(_dir.FullName, "--appendonly", "yes");
        held.WaitUntilHeld();
        using (var c = held.Connect())
        {
            Assert.Equal(LoadingReply, c.Call("GET", "k1"));
            var f = Fields(Info(c));
            Assert.Equal("1", f["loading"]);
            Assert.Equal(size.ToString(), f["loading_total_bytes"]);
        }
        held.Release();
        await held.Finished();
        using (var c = held.Connect())
        {
            Assert.Equal(":3000\r\n", c.Call("DBSIZE"));
            Assert.Equal("$5\r\nv2999\r\n", c.Call("GET", "k2999"));
        }
    }
}
