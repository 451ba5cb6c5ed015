using System.Diagnostics;
using Microsoft.Win32.SafeHandles;
using Vermilion.Net;

namespace Vermilion.Service;

/// <summary>
/// daemonize yes. Redis forks, the parent exits 0 at once and the child calls setsid and points
/// stdio at /dev/null. .NET cannot fork once the runtime runs, so the parent re-executes its own
/// binary (keeping the dll argument under the dotnet host) with <see cref="ChildMarker"/> set and
/// the child's stdout on a pipe, and hands it the config text if it came from stdin. The child
/// starts a new session, keeps a close-on-exec copy of that pipe, puts stdin/stdout/stderr on
/// /dev/null and, once it listens (pid file written) and loaded its data, writes one line to the pipe: "ready", or
/// "error: reason". The parent exits 0 on "ready", and otherwise 1 with the reason on stderr, so
/// a daemon that cannot start is never reported as started (Redis's parent exits 0 regardless).
/// </summary>
public sealed class Daemon
{
    /// <summary>The environment variable that tells a re-executed child it is the daemon.</summary>
    public const string ChildMarker = "VERMILION_DAEMON_CHILD";
    const string Ready = "ready", ErrorPrefix = "error: ";

    readonly StreamWriter _parent;

    Daemon(StreamWriter parent) => _parent = parent;

    public static bool IsChild => Environment.GetEnvironmentVariable(ChildMarker) == "1";

    /// <summary>The parent's side: start the daemon and wait for its one line; returns the exit code.</summary>
    public static int RunParent(IReadOnlyList<string> args, string? stdinConfig)
    {
        string host = Environment.ProcessPath ?? throw new InvalidOperationException("no process path");
        var psi = new ProcessStartInfo(host)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardInput = stdinConfig is not null,
        };
        // Under `dotnet vermilion-server.dll` the host is dotnet: the child needs the app again.
        if (Path.GetFileNameWithoutExtension(host) == "dotnet")
            psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, System.Reflection.Assembly.GetEntryAssembly()!.GetName().Name + ".dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment[ChildMarker] = "1";
        Process? started;
        try { started = Process.Start(psi); }
        catch (System.ComponentModel.Win32Exception e)
        {
            Console.Error.WriteLine($"Can't start the daemon process {host}: {e.Message}");
            return 1;
        }
        if (started is null)
        {
            Console.Error.WriteLine($"Can't start the daemon process {host}.");
            return 1;
        }
        using var child = started;
        if (stdinConfig is not null)
        {
            child.StandardInput.Write(stdinConfig);
            child.StandardInput.Close();
        }
        string? line = child.StandardOutput.ReadLine();
        if (line == Ready) return 0;
        if (line is not null && line.StartsWith(ErrorPrefix, StringComparison.Ordinal))
        {
            Console.Error.WriteLine(line[ErrorPrefix.Length..]);
            return 1;
        }
        // The pipe closed without a word: the child died before it could listen.
        child.WaitForExit();
        Console.Error.WriteLine($"The daemon process exited with code {child.ExitCode} before it was ready to accept connections.");
        return 1;
    }

    /// <summary>The child's side, before the server is built: new session, stdio on /dev/null, the pipe kept for the one line.</summary>
    public static Daemon Detach()
    {
        Environment.SetEnvironmentVariable(ChildMarker, null);
        Native.SetSid();
        int fd = Native.DupCloexec(1);
        Native.PointAtDevNull(StdioAndCopies(except: fd).ToArray());
        var stream = new FileStream(new SafeFileHandle(fd, ownsHandle: true), FileAccess.Write, bufferSize: 0);
        return new Daemon(new StreamWriter(stream) { AutoFlush = true });
    }

    /// <summary>
    /// Fds 0-2 and every other fd open on the same files: the runtime keeps private copies of
    /// stdio (CoreCLR dups fds 0-2 at startup, Console dups the one it writes to), and a copy left
    /// on the parent's pipe or terminal would keep them open after the daemon detached.
    /// </summary>
    static List<int> StdioAndCopies(int except)
    {
        var fds = new List<int> { 0, 1, 2 };
        var stdio = new HashSet<string>();
        for (int i = 0; i < 3; i++)
            if (LinkTarget(i) is { } target) stdio.Add(target);
        foreach (var entry in Directory.EnumerateFileSystemEntries("/proc/self/fd"))
        {
            if (!int.TryParse(Path.GetFileName(entry), out int fd) || fd < 3 || fd == except) continue;
            if (LinkTarget(fd) is { } target && stdio.Contains(target)) fds.Add(fd);
        }
        return fds;
    }

    static string? LinkTarget(int fd)
    {
        try { return new FileInfo("/proc/self/fd/" + fd).LinkTarget; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }

    /// <summary>The server listens and loaded its data: the parent may exit 0.</summary>
    public void ReportReady() => Send(Ready);

    /// <summary>The server cannot start: the parent prints the reason and exits 1.</summary>
    public void ReportFailure(string reason) => Send(ErrorPrefix + reason.ReplaceLineEndings(" "));

    void Send(string line)
    {
        try
        {
            _parent.Write(line + "\n");
            _parent.Dispose();
        }
        catch (IOException) { } // the parent is gone; nobody is waiting
    }
}
