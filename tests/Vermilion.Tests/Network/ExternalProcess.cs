using System.Diagnostics;

namespace Vermilion.Tests;

/// <summary>Runs a program (redis-cli, redis-benchmark, vermilion-server) to its end, with a time limit.</summary>
public static class ExternalProcess
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    public static Result Run(string file, IEnumerable<string> args, int timeoutMs = 60_000, string? stdin = null)
    {
        using var p = Start(file, args, redirectInput: stdin is not null);
        if (stdin is not null)
        {
            p.StandardInput.Write(stdin);
            p.StandardInput.Close();
        }
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeoutMs))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish in {timeoutMs} ms");
        }
        p.WaitForExit();
        return new Result(p.ExitCode, stdout.Result, stderr.Result);
    }

    public static Process Start(string file, IEnumerable<string> args, bool redirectInput = false)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = redirectInput,
            UseShellExecute = false,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        if (psi.ArgumentList.Count > 0 && psi.ArgumentList[0] == VermilionServer.Prefix[0]) psi.WorkingDirectory = ScratchDirectory();
        return Process.Start(psi) ?? throw new InvalidOperationException("could not start " + file);
    }

    static readonly string s_scratchRoot = Path.Combine(Path.GetTempPath(), $"vermilion-exec-{Environment.ProcessId}");
    static int s_scratchCount;

    /// <summary>
    /// A new empty directory for one vermilion-server process to run in. With Redis's default save
    /// points a server saves dump.rdb into its directory when SIGTERM stops it, and loads it when it
    /// starts: in a directory of its own, no test leaves a dataset behind for the next one to load.
    /// They go when the test process exits, or (when the test host is killed first) at the next run.
    /// </summary>
    public static string ScratchDirectory()
    {
        int n = Interlocked.Increment(ref s_scratchCount);
        if (n == 1)
        {
            RemoveStaleScratch();
            AppDomain.CurrentDomain.ProcessExit += (_, _) => TryDelete(s_scratchRoot);
        }
        return Directory.CreateDirectory(Path.Combine(s_scratchRoot, n.ToString())).FullName;
    }

    /// <summary>The scratch roots of test processes that are gone.</summary>
    static void RemoveStaleScratch()
    {
        foreach (var dir in Directory.EnumerateDirectories(Path.GetTempPath(), "vermilion-exec-*"))
        {
            if (int.TryParse(Path.GetFileName(dir)["vermilion-exec-".Length..], out int pid) && !Directory.Exists($"/proc/{pid}"))
                TryDelete(dir);
        }
    }

    static void TryDelete(string dir)
    {
        try { Directory.Delete(dir, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    /// <summary>
    /// A server on <paramref name="port"/> answers PING and is <paramref name="process"/> (its process_id in INFO):
    /// a port found free can be taken by another test's server first, and an answer from that one must not count.
    /// </summary>
    public static bool Answers(int port, Process process)
    {
        try
        {
            using var c = RespSocket.Tcp(port);
            return c.Call("PING") == "+PONG\r\n" && c.Call("INFO", "server").Contains($"\r\nprocess_id:{process.Id}\r\n");
        }
        catch (Exception) { return false; }
    }

    /// <summary>The vermilion-server executable built next to the tests, run through the dotnet host.</summary>
    public static (string File, string[] Prefix) VermilionServer =>
        ("dotnet", [Path.Combine(AppContext.BaseDirectory, "vermilion-server.dll")]);
}
