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
        return Process.Start(psi) ?? throw new InvalidOperationException("could not start " + file);
    }

    /// <summary>The vermilion-server executable built next to the tests, run through the dotnet host.</summary>
    public static (string File, string[] Prefix) VermilionServer =>
        ("dotnet", [Path.Combine(AppContext.BaseDirectory, "vermilion-server.dll")]);
}
