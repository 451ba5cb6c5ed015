using System.Diagnostics;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using Vermilion.Service;
using Xunit;

namespace Vermilion.Tests;

/// <summary>
/// vermilion-server as a service, as redis-server runs: daemonize, supervised systemd (a notify
/// socket the test reads), the pid file, SIGINT/SIGTERM inherited as ignored, oom_score_adj, the
/// logfile, the process name, syslog, and Debian's stock redis.conf and our systemd unit.
/// </summary>
[Trait("Category", "Network")]
public sealed class ServiceTests : IDisposable
{
    readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("vermilion-service-");
    /// <summary>Servers started here, daemons included: a failed assertion must not leave one running.</summary>
    readonly List<int> _daemons = new();

    public void Dispose()
    {
        foreach (int pid in _daemons)
            if (IsAlive(pid)) kill(pid, 9);
        _dir.Delete(true);
    }

    string PathIn(string name) => Path.Combine(_dir.FullName, name);

    static (string File, string[] Prefix) Server => ExternalProcess.VermilionServer;

    static ProcessStartInfo StartInfo(string file, IEnumerable<string> args, Dictionary<string, string>? env = null)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        // Where a SIGTERM's save (Redis's default save points) writes, away from other tests (ExternalProcess.ScratchDirectory).
        psi.WorkingDirectory = ExternalProcess.ScratchDirectory();
        if (env is not null) foreach (var (k, v) in env) psi.Environment[k] = v;
        return psi;
    }

    Process Launch(ProcessStartInfo psi)
    {
        var p = Process.Start(psi)!;
        _daemons.Add(p.Id);
        return p;
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

    /// <summary>Alive and not a zombie (a daemon's parent is init, which may be slow to reap it).</summary>
    static bool IsAlive(int pid)
    {
        try { return !File.ReadAllText($"/proc/{pid}/stat").Split(") ")[1].StartsWith('Z'); }
        catch (IOException) { return false; }
    }

    static int ReadPid(string pidFile) => int.Parse(File.ReadAllText(pidFile).Trim());

    static string[] ProcStat(int pid) => File.ReadAllText($"/proc/{pid}/stat").Split(") ")[1].Split(' ');

    // ---- daemonize ----------------------------------------------------------------------------

    [Fact]
    public void DaemonizeDetachesServesAndRemovesItsPidFileOnShutdown()
    {
        int port = InProcessServer.FreeTcpPort();
        string pidFile = PathIn("v.pid"), logFile = PathIn("v.log");
        // Run reads the parent's stdout and stderr to their end: a daemon holding either would hang it.
        var r = ExternalProcess.Run(Server.File, [.. Server.Prefix, "--port", port.ToString(), "--bind", "127.0.0.1", "--daemonize", "yes",
            "--pidfile", pidFile, "--logfile", logFile], timeoutMs: 30_000);
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("", r.Stdout);
        Assert.Equal("", r.Stderr);
        // The parent exits only once the child listens and wrote its pid file.
        int pid = ReadPid(pidFile);
        _daemons.Add(pid);
        Assert.True(IsAlive(pid));
        Assert.True(TryPing(port));
        // A new session (setsid: session id = pid) with stdio on /dev/null.
        Assert.Equal(pid.ToString(), ProcStat(pid)[3]);
        for (int fd = 0; fd < 3; fd++) Assert.Equal("/dev/null", new FileInfo($"/proc/{pid}/fd/{fd}").LinkTarget);
        using (var c = RespSocket.Tcp(port))
        {
            Assert.Contains(pidFile, c.Call("CONFIG", "GET", "pidfile"));
            c.Send(RespSocket.Encode("SHUTDOWN"));
            Assert.True(c.WaitForClose(10_000));
        }
        Assert.True(InProcessServer.WaitFor(() => !IsAlive(pid), 15_000), "the daemon did not exit after SHUTDOWN");
        Assert.False(File.Exists(pidFile));
        string log = File.ReadAllText(logFile);
        Assert.Contains($"{pid}:M ", log);
        Assert.Contains("Ready to accept connections", log);
        Assert.Contains("Removing the pid file.", log);
    }

    [Fact]
    public void DaemonWhoseChildCannotListenMakesTheParentFailWithTheReason()
    {
        using var holder = new InProcessServer();
        string pidFile = PathIn("v.pid");
        var r = ExternalProcess.Run(Server.File, [.. Server.Prefix, "--port", holder.Port.ToString(), "--bind", "127.0.0.1",
            "--daemonize", "yes", "--pidfile", pidFile], timeoutMs: 30_000);
        Assert.Equal(1, r.ExitCode);
        Assert.Equal($"Failed listening on port {holder.Port} (TCP), aborting.\n", r.Stderr);
        // Never a half-started server: no pid file, and the port is still the holder's alone.
        Assert.False(File.Exists(pidFile));
        Assert.True(TryPing(holder.Port));
    }

    [Fact]
    public void DaemonGetsTheConfigReadFromStdin()
    {
        int port = InProcessServer.FreeTcpPort();
        string pidFile = PathIn("v.pid");
        var r = ExternalProcess.Run(Server.File, [.. Server.Prefix, "-"], timeoutMs: 30_000,
            stdin: $"port {port}\nbind 127.0.0.1\ndaemonize yes\npidfile {pidFile}\ntimeout 33\n");
        Assert.Equal(0, r.ExitCode);
        int pid = ReadPid(pidFile);
        _daemons.Add(pid);
        using var c = RespSocket.Tcp(port);
        Assert.Equal("*2\r\n$7\r\ntimeout\r\n$2\r\n33\r\n", c.Call("CONFIG", "GET", "timeout"));
        Assert.Equal(0, kill(pid, 15));
        Assert.True(InProcessServer.WaitFor(() => !IsAlive(pid), 15_000));
        Assert.False(File.Exists(pidFile));
    }

    /// <summary>
    /// Debian's /etc/redis/redis.conf as shipped (daemonize yes, its pidfile, logfile and dir
    /// overridden to temp paths): the server detaches and serves. Needs every directive of that
    /// file to be known (the config branch).
    /// </summary>
    [Fact]
    public void DebianStockRedisConfDetachesAndServes()
    {
        const string conf = "/etc/redis/redis.conf";
        if (!File.Exists(conf)) return; // test.sh installs redis-server, which ships it
        int port = InProcessServer.FreeTcpPort();
        string pidFile = PathIn("redis.pid"), logFile = PathIn("redis.log");
        var r = ExternalProcess.Run(Server.File, [.. Server.Prefix, conf, "--port", port.ToString(), "--dir", _dir.FullName,
            "--pidfile", pidFile, "--logfile", logFile], timeoutMs: 30_000);
        Assert.True(r.ExitCode == 0, r.Stderr);
        int pid = ReadPid(pidFile);
        _daemons.Add(pid);
        Assert.True(TryPing(port));
        Assert.Contains("Configuration loaded", File.ReadAllText(logFile));
        using (var c = RespSocket.Tcp(port))
        {
            c.Send(RespSocket.Encode("SHUTDOWN"));
            Assert.True(c.WaitForClose(10_000));
        }
        Assert.True(InProcessServer.WaitFor(() => !IsAlive(pid), 15_000));
        Assert.False(File.Exists(pidFile));
    }

    // ---- systemd ------------------------------------------------------------------------------

    /// <summary>The repository's deploy/vermilion.service, found from the test binaries upwards.</summary>
    static string UnitFile()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            string f = Path.Combine(d.FullName, "deploy", "vermilion.service");
            if (File.Exists(f)) return f;
        }
        throw new FileNotFoundException("deploy/vermilion.service");
    }

    /// <summary>A notify socket as systemd binds one: a datagram socket at a path, or in the abstract namespace ("@name").</summary>
    sealed class NotifySocket : IDisposable
    {
        public readonly Socket Socket = new(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        public readonly string Address;

        public NotifySocket(string path, bool isAbstract)
        {
            Address = isAbstract ? "@" + Path.GetFileName(path) + Environment.ProcessId : path;
            Socket.Bind(new UnixDomainSocketEndPoint(isAbstract ? "\0" + Address[1..] : path));
            Socket.ReceiveTimeout = 30_000;
        }

        public string Next()
        {
            var buf = new byte[4096];
            int n = Socket.Receive(buf);
            return Encoding.UTF8.GetString(buf, 0, n);
        }

        public void Dispose() => Socket.Dispose();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void SystemdUnitArgumentsNotifyReadyThenStoppingOnSigterm(bool abstractSocket)
    {
        // The unit's ExecStart, with the binary and config file replaced by ours.
        var unit = File.ReadAllLines(UnitFile());
        Assert.Contains("Type=notify", unit);
        var exec = unit.Single(l => l.StartsWith("ExecStart=")).Split(' ');
        string[] unitArgs = exec[2..];
        Assert.Equal(["--supervised", "systemd", "--daemonize", "no"], unitArgs);

        using var notify = new NotifySocket(PathIn("notify.sock"), abstractSocket);
        int port = InProcessServer.FreeTcpPort();
        string pidFile = PathIn("v.pid");
        using var p = Launch(StartInfo(Server.File, [.. Server.Prefix, "--port", port.ToString(), "--bind", "127.0.0.1", "--pidfile", pidFile, .. unitArgs],
            new() { ["NOTIFY_SOCKET"] = notify.Address }));
        var stdout = p.StandardOutput.ReadToEndAsync();
        Assert.Equal("STATUS=Vermilion is loading...\n", notify.Next());
        Assert.Equal("STATUS=Ready to accept connections\n", notify.Next());
        Assert.Equal("READY=1\n", notify.Next());
        // READY comes once it listens and wrote its pid file; it is the process systemd started.
        Assert.True(TryPing(port));
        Assert.Equal(p.Id, ReadPid(pidFile));
        Assert.Equal(0, kill(p.Id, 15));
        Assert.Equal("STOPPING=1\n", notify.Next());
        Assert.True(p.WaitForExit(15_000));
        Assert.Equal(0, p.ExitCode);
        Assert.False(File.Exists(pidFile));
        Assert.Contains("Supervised by systemd.", stdout.Result);
    }

    [Fact]
    public void SupervisedAutoDetectsSystemdWinsOverDaemonizeAndSendsStoppingOnShutdown()
    {
        using var notify = new NotifySocket(PathIn("notify.sock"), isAbstract: false);
        int port = InProcessServer.FreeTcpPort();
        using var p = Launch(StartInfo(Server.File, [.. Server.Prefix, "--port", port.ToString(), "--bind", "127.0.0.1",
            "--supervised", "auto", "--daemonize", "yes", "--loglevel", "verbose"], new() { ["NOTIFY_SOCKET"] = notify.Address }));
        var stdout = p.StandardOutput.ReadToEndAsync();
        Assert.Equal("STATUS=Vermilion is loading...\n", notify.Next());
        Assert.Equal("STATUS=Ready to accept connections\n", notify.Next());
        Assert.Equal("READY=1\n", notify.Next());
        // Supervised, it did not daemonize: the process we started serves.
        Assert.False(p.HasExited);
        using (var c = RespSocket.Tcp(port))
        {
            c.Send(RespSocket.Encode("SHUTDOWN"));
            Assert.True(c.WaitForClose(10_000));
        }
        Assert.Equal("STOPPING=1\n", notify.Next());
        Assert.True(p.WaitForExit(15_000));
        Assert.Contains("Systemd supervision detected.", stdout.Result);
    }

    [Fact]
    public void SupervisedSystemdWithoutNotifySocketLogsRedisErrorAndRuns()
    {
        int port = InProcessServer.FreeTcpPort();
        var psi = StartInfo(Server.File, [.. Server.Prefix, "--port", port.ToString(), "--bind", "127.0.0.1", "--supervised", "systemd"]);
        psi.Environment.Remove("NOTIFY_SOCKET");
        using var p = Launch(psi);
        var stdout = p.StandardOutput.ReadToEndAsync();
        Assert.True(InProcessServer.WaitFor(() => TryPing(port), 15_000));
        Assert.Equal(0, kill(p.Id, 15));
        Assert.True(p.WaitForExit(15_000));
        Assert.Contains("systemd supervision error: NOTIFY_SOCKET not found!", stdout.Result);
    }

    [Fact]
    public void SupervisedUpstartStopsItselfToSignalReadinessThenServes()
    {
        int port = InProcessServer.FreeTcpPort();
        using var p = Launch(StartInfo(Server.File, [.. Server.Prefix, "--port", port.ToString(), "--bind", "127.0.0.1", "--supervised", "upstart"],
            new() { ["UPSTART_JOB"] = "vermilion" }));
        var stdout = p.StandardOutput.ReadToEndAsync();
        // upstart's "expect stop": the job is started once the process stops itself with SIGSTOP.
        Assert.True(InProcessServer.WaitFor(() => ProcStat(p.Id)[0] == "T", 15_000), "the server did not stop itself");
        Assert.Equal(0, kill(p.Id, 18)); // SIGCONT, as upstart sends
        Assert.True(InProcessServer.WaitFor(() => TryPing(port), 15_000));
        Assert.Equal(0, kill(p.Id, 15));
        Assert.True(p.WaitForExit(15_000));
        Assert.Contains("supervised by upstart, will stop to signal readiness.", stdout.Result);
    }

    // ---- pid file and signals -----------------------------------------------------------------

    [Fact]
    public void UnwritablePidFileOnlyWarnsAndPidfileIsImmutable()
    {
        // Redis writes the pid file best effort (7.0 says nothing; 7.2 warns): the server still runs.
        int port = InProcessServer.FreeTcpPort();
        string pidFile = PathIn("missing-dir/v.pid");
        using var p = Launch(StartInfo(Server.File, [.. Server.Prefix, "--port", port.ToString(), "--bind", "127.0.0.1", "--pidfile", pidFile]));
        var stdout = p.StandardOutput.ReadToEndAsync();
        Assert.True(InProcessServer.WaitFor(() => TryPing(port), 15_000));
        using (var c = RespSocket.Tcp(port))
            Assert.Equal("-ERR CONFIG SET failed (possibly related to argument 'pidfile') - can't set immutable config\r\n", c.Call("CONFIG", "SET", "pidfile", PathIn("other.pid")));
        Assert.Equal(0, kill(p.Id, 15));
        Assert.True(p.WaitForExit(15_000));
        Assert.Equal(0, p.ExitCode);
        Assert.Contains("Failed to write PID file: No such file or directory", stdout.Result);
    }

    /// <summary>
    /// A server started with `cmd &amp;` from a script inherits SIGINT (and SIGQUIT) as ignored;
    /// redis-server installs its handlers regardless, and so must we: SIGINT and SIGTERM still shut
    /// it down cleanly.
    /// </summary>
    [Theory]
    [InlineData("SIGINT", 2)]
    [InlineData("SIGTERM", 15)]
    public void ShutdownSignalsInheritedAsIgnoredStillShutDownCleanly(string name, int signal)
    {
        int port = InProcessServer.FreeTcpPort();
        string pidFile = PathIn("v.pid");
        string[] parts = [Server.File, .. Server.Prefix, "--port", port.ToString(), "--bind", "127.0.0.1", "--pidfile", pidFile];
        string command = string.Join(' ', parts.Select(a => "'" + a + "'"));
        using var p = Launch(StartInfo("sh", ["-c", $"trap '' INT TERM; exec {command}"]));
        var stdout = p.StandardOutput.ReadToEndAsync();
        try
        {
            Assert.True(InProcessServer.WaitFor(() => TryPing(port), 15_000));
            Assert.Equal(p.Id, ReadPid(pidFile));
            Assert.Equal(0, kill(p.Id, signal));
            Assert.True(p.WaitForExit(15_000), name + " was ignored");
        }
        finally
        {
            if (!p.HasExited) p.Kill();
        }
        Assert.Equal(0, p.ExitCode);
        Assert.False(File.Exists(pidFile));
        Assert.Contains($":signal-handler (", stdout.Result);
        Assert.Contains($"Received {name} scheduling shutdown...", stdout.Result);
    }

    // ---- oom-score-adj ------------------------------------------------------------------------

    static int OomScoreOf(int pid) => int.Parse(File.ReadAllText($"/proc/{pid}/oom_score_adj").Trim());

    /// <summary>CAP_SYS_RESOURCE (bit 24) in our effective set, which the server inherits: root in a container may lack it.</summary>
    static bool HasCapSysResource =>
        (Convert.ToUInt64(File.ReadAllLines("/proc/self/status").Single(l => l.StartsWith("CapEff:"))[7..].Trim(), 16) >> 24 & 1) == 1;

    const string OomSetFailed = "-ERR CONFIG SET failed (possibly related to argument 'oom-score-adj-values') - Failed to set current oom_score_adj. Check server logs.\r\n";

    [Fact]
    public void OomScoreAdjWritesProcAsRedis()
    {
        int start = OomScoreOf(Environment.ProcessId); // what the server inherits
        int port = InProcessServer.FreeTcpPort();
        using var p = Launch(StartInfo(Server.File, [.. Server.Prefix, "--port", port.ToString(), "--bind", "127.0.0.1",
            "--oom-score-adj", "absolute", "--oom-score-adj-values", "100 200 800"]));
        var stdout = p.StandardOutput.ReadToEndAsync();
        Assert.True(InProcessServer.WaitFor(() => TryPing(port), 15_000));
        try
        {
            // Raising the score needs no privilege.
            Assert.Equal(100, OomScoreOf(p.Id));
            using var c = RespSocket.Tcp(port);
            Assert.Equal("+OK\r\n", c.Call("CONFIG", "SET", "oom-score-adj-values", "300 400 900"));
            Assert.Equal(300, OomScoreOf(p.Id));
            Assert.Equal("+OK\r\n", c.Call("CONFIG", "SET", "oom-score-adj", "relative"));
            Assert.Equal(Math.Clamp(start + 300, -1000, 1000), OomScoreOf(p.Id));
            // "no" puts back the score the process started with.
            Assert.Equal("+OK\r\n", c.Call("CONFIG", "SET", "oom-score-adj", "no"));
            Assert.Equal(start, OomScoreOf(p.Id));
            Assert.Equal("-ERR CONFIG SET failed (possibly related to argument 'oom-score-adj-values') - wrong number of arguments\r\n",
                c.Call("CONFIG", "SET", "oom-score-adj-values", "1 2"));
            Assert.Equal("-ERR CONFIG SET failed (possibly related to argument 'oom-score-adj-values') - Invalid oom-score-adj-values, elements must be between -2000 and 2000.\r\n",
                c.Call("CONFIG", "SET", "oom-score-adj-values", "1 2 3000"));
            // Lowering it below where it started needs CAP_SYS_RESOURCE.
            Assert.Equal("+OK\r\n", c.Call("CONFIG", "SET", "oom-score-adj", "absolute"));
            // A replica value below the master one: Redis warns (it may not work unprivileged) and goes on.
            string reply = c.Call("CONFIG", "SET", "oom-score-adj-values", $"{start - 100} -200 0");
            if (HasCapSysResource)
            {
                Assert.Equal("+OK\r\n", reply);
                Assert.Equal(start - 100, OomScoreOf(p.Id));
            }
            else
            {
                Assert.Equal(OomSetFailed, reply);
                Assert.Equal(300, OomScoreOf(p.Id)); // the old values came back
            }
        }
        finally
        {
            kill(p.Id, 15);
            p.WaitForExit(15_000);
        }
        Assert.Contains("The oom-score-adj-values configuration may not work for non-privileged processes! Please consult the documentation.", stdout.Result);
        if (!HasCapSysResource) Assert.Contains("Unable to write oom_score_adj: Permission denied", stdout.Result);
    }

    /// <summary>The unprivileged path even when the tests run as root: the server runs as nobody, without capabilities.</summary>
    [Fact]
    public void OomScoreAdjUnprivilegedCannotLowerTheScore()
    {
        // setpriv (util-linux) needs root; without root OomScoreAdjWritesProcAsRedis took the unprivileged path already.
        if (geteuid() != 0 || !File.Exists("/usr/bin/setpriv")) return;
        int port = InProcessServer.FreeTcpPort();
        using var p = Launch(StartInfo("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all",
            Server.File, .. Server.Prefix, "--port", port.ToString(), "--bind", "127.0.0.1", "--oom-score-adj", "absolute", "--oom-score-adj-values", "-500 0 0",
            // nobody may not write a snapshot where it runs: no save points, or SIGTERM's save would fail and keep it running.
            "--save", ""],
            new() { ["HOME"] = "/tmp", ["DOTNET_CLI_HOME"] = "/tmp" }));
        var stdout = p.StandardOutput.ReadToEndAsync();
        try
        {
            Assert.True(InProcessServer.WaitFor(() => TryPing(port), 20_000), "the unprivileged server did not start");
            // Starting with a value it may not set: logged, and the server runs on with its score.
            Assert.Equal(OomScoreOf(Environment.ProcessId), OomScoreOf(p.Id));
            using var c = RespSocket.Tcp(port);
            Assert.Equal(OomSetFailed, c.Call("CONFIG", "SET", "oom-score-adj-values", "-600 0 0"));
            Assert.Equal("+OK\r\n", c.Call("CONFIG", "SET", "oom-score-adj-values", "700 800 900"));
            Assert.Equal(700, OomScoreOf(p.Id));
        }
        finally
        {
            kill(p.Id, 15);
            p.WaitForExit(15_000);
        }
        Assert.Contains("Unable to write oom_score_adj: Permission denied", stdout.Result);
    }

    // ---- logfile, syslog, process name, THP ----------------------------------------------------

    [Fact]
    public void LogFileGetsTheLinesAndAnUnwritableOneIsFatalAsInRedis()
    {
        int port = InProcessServer.FreeTcpPort();
        string logFile = PathIn("v.log");
        using var p = Launch(StartInfo(Server.File, [.. Server.Prefix, "--port", port.ToString(), "--bind", "127.0.0.1", "--logfile", logFile]));
        var stdout = p.StandardOutput.ReadToEndAsync();
        Assert.True(InProcessServer.WaitFor(() => TryPing(port), 15_000));
        Assert.Equal(0, kill(p.Id, 15));
        Assert.True(p.WaitForExit(15_000));
        Assert.Equal("", stdout.Result);
        string log = File.ReadAllText(logFile);
        Assert.Contains("Vermilion is starting", log);
        Assert.Contains("Ready to accept connections", log);
        Assert.Contains("Received SIGTERM scheduling shutdown...", log);

        // A log file that cannot be opened: Redis's fatal config error, byte for byte, and exit 1.
        foreach (var bad in new[] { PathIn("no-such-dir/v.log"), _dir.FullName })
        {
            string[] args = ["--port", "0", "--logfile", bad];
            var r = ExternalProcess.Run(Server.File, [.. Server.Prefix, .. args], timeoutMs: 30_000);
            var redis = ExternalProcess.Run("redis-server", args, timeoutMs: 10_000);
            Assert.Equal(1, r.ExitCode);
            Assert.Equal(1, redis.ExitCode);
            Assert.Equal(redis.Stderr, r.Stderr);
            Assert.StartsWith("\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nCan't open the log file: ", r.Stderr);
        }
    }

    [Fact]
    public void ProcTitleTemplateNamesTheProcessAndIsValidatedAsRedis()
    {
        int port = InProcessServer.FreeTcpPort();
        using var p = Launch(StartInfo(Server.File, [.. Server.Prefix, "--port", port.ToString(), "--bind", "127.0.0.1", "--proc-title-template", "vrm {port}"]));
        try
        {
            Assert.True(InProcessServer.WaitFor(() => TryPing(port), 15_000));
            Assert.Equal($"vrm {port}", File.ReadAllText($"/proc/{p.Id}/comm").Trim());
            using var c = RespSocket.Tcp(port);
            Assert.Equal("+OK\r\n", c.Call("CONFIG", "SET", "proc-title-template", "{{{port}}"));
            Assert.Equal($"{{{port}}}", File.ReadAllText($"/proc/{p.Id}/comm").Trim());
            // The kernel keeps 15 bytes of a name; {title} is the program's name.
            Assert.Equal("+OK\r\n", c.Call("CONFIG", "SET", "proc-title-template", "{title} {listen-addr} {server-mode}"));
            Assert.Equal("vermilion-serve", File.ReadAllText($"/proc/{p.Id}/comm").Trim());
            foreach (var bad in new[] { "{foo}", "{port", "  ", "{title}", "{server-mode}", "x {" })
                Assert.Equal("-ERR CONFIG SET failed (possibly related to argument 'proc-title-template') - template format is invalid or contains unknown variables\r\n",
                    c.Call("CONFIG", "SET", "proc-title-template", bad));
            Assert.Equal("*2\r\n$19\r\nproc-title-template\r\n$35\r\n{title} {listen-addr} {server-mode}\r\n", c.Call("CONFIG", "GET", "proc-title-template"));
        }
        finally
        {
            kill(p.Id, 15);
            p.WaitForExit(15_000);
        }
        // At load, the same error as redis-server's, byte for byte.
        string[] args = ["--port", "0", "--proc-title-template", "{nope}"];
        var r = ExternalProcess.Run(Server.File, [.. Server.Prefix, .. args], timeoutMs: 30_000);
        var redis = ExternalProcess.Run("redis-server", args, timeoutMs: 10_000);
        Assert.Equal(1, r.ExitCode);
        Assert.Equal(redis.Stderr, r.Stderr);
    }

    [Fact]
    public void ProcTitleTemplateExpansion()
    {
        var config = new Config { Port = 7000, UnixSocket = "/tmp/v.sock" };
        Assert.Equal("t *:7000", ProcessTitle.Expand("{title} {listen-addr} {server-mode}", "t", config));
        Assert.Equal("{7000} - /tmp/v.sock 0 }", ProcessTitle.Expand("{{{port}} {config-file} {unixsocket} {tls-port} }", "t", config));
        config.Port = 0;
        Assert.Equal("unixsocket:/tmp/v.sock", ProcessTitle.Expand("{listen-addr}", "", config));
        Assert.Null(ProcessTitle.Expand("{bad}", "", config));
        Assert.Null(ProcessTitle.Expand("{", "", config));
        Assert.Null(ProcessTitle.Expand("{port", "", config));
    }

    [Fact]
    public void SyslogSendsWhatGlibcSyslogSends()
    {
        string path = PathIn("log.sock");
        using var daemon = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        daemon.Bind(new UnixDomainSocketEndPoint(path));
        daemon.ReceiveTimeout = 10_000;
        using var syslog = new Syslog("vrm-test", "local3", path);
        syslog.Send(Vermilion.Server.LogLevel.Warning, "hello syslog");
        syslog.Send(Vermilion.Server.LogLevel.Verbose, "second");
        var buf = new byte[1024];
        string first = Encoding.UTF8.GetString(buf, 0, daemon.Receive(buf));
        // <PRI> = facility local3 (19 << 3) | LOG_WARNING (4); "Mmm dd hh:mm:ss ident[pid]: message".
        Assert.Matches(@"^<156>[A-Z][a-z]{2} [ 123]\d \d\d:\d\d:\d\d vrm-test\[" + Environment.ProcessId + @"\]: hello syslog$", first);
        Assert.StartsWith("<158>", Encoding.UTF8.GetString(buf, 0, daemon.Receive(buf))); // LOG_INFO
        // No daemon listening: the line is dropped, nothing thrown.
        daemon.Dispose();
        syslog.Send(Vermilion.Server.LogLevel.Notice, "lost");
        Assert.Equal(8, Syslog.FacilityCode("user"));
    }

    [Fact]
    public void DisableThpAsksTheKernelOnlyWhenThpIsAlways()
    {
        string fake = PathIn("thp-enabled");
        var lines = new List<string>();
        var config = new Config();
        var log = new Log(config) { Observer = lines.Add, Sink = TextWriter.Null };
        File.WriteAllText(fake, "always [madvise] never\n");
        Assert.False(TransparentHugePages.Check(config, log, fake));
        Assert.Empty(lines);
        // "always" with disable-thp: the process opts out (PR_SET_THP_DISABLE), as the kernel then reports.
        File.WriteAllText(fake, "[always] madvise never\n");
        Assert.False(TransparentHugePages.Check(config, log, fake));
        Assert.Contains("THP_enabled:\t0", File.ReadAllText("/proc/self/status"));
        Assert.Empty(lines);
        config.DisableThp = false;
        File.WriteAllText(fake, "[always] madvise never\n");
        Assert.True(TransparentHugePages.Check(config, log, fake));
        Assert.Single(lines, l => l.StartsWith("WARNING You have Transparent Huge Pages (THP) support enabled in your kernel."));
    }

    [DllImport("libc", SetLastError = true)]
    static extern int kill(int pid, int sig);

    [DllImport("libc")]
    static extern uint geteuid();
}
