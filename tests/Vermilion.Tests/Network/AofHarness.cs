using System.Text;
using System.Text.RegularExpressions;
using Xunit;

namespace Vermilion.Tests;

/// <summary>
/// What the AOF tests share: a directory laid out as Redis lays out dir/appendonlydir, a start of
/// redis-server on such a directory that stops once it is serving (or exits), a load of the same
/// directory by a Vermilion server that does not listen, and Redis's log read back as messages.
/// </summary>
public sealed class AofDir : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("vermilion-aof-").FullName;
    public string AofPath => System.IO.Path.Combine(Path, "appendonlydir");
    public string File(string name) => System.IO.Path.Combine(AofPath, name);
    public string Manifest => File("appendonly.aof.manifest");

    public AofDir() => Directory.CreateDirectory(AofPath);

    public void Write(string name, string content) => System.IO.File.WriteAllBytes(File(name), Encoding.Latin1.GetBytes(content));
    public void Write(string name, byte[] content) => System.IO.File.WriteAllBytes(File(name), content);
    public string Read(string name) => Encoding.Latin1.GetString(System.IO.File.ReadAllBytes(File(name)));
    public string[] Files() => Directory.GetFiles(AofPath).Select(System.IO.Path.GetFileName).Order(StringComparer.Ordinal).ToArray()!;

    /// <summary>A copy of the whole directory (dir and its appendonlydir), for a second server to start on.</summary>
    public AofDir Copy()
    {
        var copy = new AofDir();
        foreach (var f in Directory.GetFiles(Path)) System.IO.File.Copy(f, System.IO.Path.Combine(copy.Path, System.IO.Path.GetFileName(f)));
        if (!Directory.Exists(AofPath)) Directory.Delete(copy.AofPath);
        else foreach (var f in Directory.GetFiles(AofPath)) System.IO.File.Copy(f, copy.File(System.IO.Path.GetFileName(f)));
        return copy;
    }

    public void Dispose()
    {
        try { Directory.Delete(Path, true); } catch (IOException) { }
    }

    /// <summary>The multibulk form of commands, as an AOF holds them.</summary>
    public static string Resp(params string[][] commands)
    {
        var sb = new StringBuilder();
        foreach (var c in commands) sb.Append(Encoding.Latin1.GetString(RespSocket.Encode(c)));
        return sb.ToString();
    }
}

/// <summary>How a start on an AOF directory went: serving or exited, and the log as messages.</summary>
public sealed record AofStart(bool Started, IReadOnlyList<LogMessage> Log)
{
    /// <summary>The warnings that are about the data, without the banner and the host checks (overcommit, THP) only Redis prints.</summary>
    public IReadOnlyList<string> Warnings => Log.Where(m => m.Level == '#' && !IsBoilerplate(m.Text)).Select(m => m.Text).ToList();

    static bool IsBoilerplate(string text) =>
        text.Contains("oO0OoO0Oo") || text.Contains("version=") || text.StartsWith("Configuration loaded") || text.StartsWith("Server initialized")
        || text.StartsWith("WARNING") || text.StartsWith("Warning: no config file") || text.StartsWith("Shutting down") || text.Contains("ready to exit")
        || text.StartsWith("User requested shutdown") || text.StartsWith("Received SIG");

    public bool Logged(string text) => Log.Any(m => m.Text.Contains(text));
}

public sealed record LogMessage(char Level, string Text);

public static class AofServers
{
    static readonly Regex s_header = new(@"^\d+:[A-Z] \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d\.\d{3} ([.\-*#]) ", RegexOptions.Multiline);

    /// <summary>Splits a Redis-format log into messages (a message may hold newlines: the manifest error block does).</summary>
    public static List<LogMessage> ParseLog(string text)
    {
        var result = new List<LogMessage>();
        var matches = s_header.Matches(text);
        for (int i = 0; i < matches.Count; i++)
        {
            int start = matches[i].Index + matches[i].Length;
            int end = i + 1 < matches.Count ? matches[i + 1].Index : text.Length;
            var message = text[start..end];
            if (message.EndsWith('\n')) message = message[..^1];
            result.Add(new LogMessage(matches[i].Groups[1].Value[0], message));
        }
        return result;
    }

    /// <summary>
    /// redis-server on <paramref name="dir"/> with appendonly yes (and <paramref name="extra"/>):
    /// it either exits (a fatal AOF error) or serves on a unix socket; then it is stopped at once
    /// with SIGKILL, so nothing after loading touches the files.
    /// </summary>
    public static AofStart StartRedis(AofDir dir, params string[] extra)
    {
        var socket = System.IO.Path.Combine(dir.Path, "redis.sock");
        var args = new List<string> { "--port", "0", "--unixsocket", socket, "--dir", dir.Path, "--appendonly", "yes", "--save", "", "--daemonize", "no" };
        args.AddRange(extra);
        using var p = ExternalProcess.Start("redis-server", args);
        var output = new StringBuilder();
        var done = new ManualResetEventSlim();
        bool started = false;
        p.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) { done.Set(); return; }
            lock (output) output.Append(e.Data).Append('\n');
            if (e.Data.Contains("ready to accept connections", StringComparison.OrdinalIgnoreCase))
            {
                started = true;
                done.Set();
            }
        };
        p.ErrorDataReceived += (_, _) => { };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        Assert.True(done.Wait(20_000), "redis-server neither served nor exited");
        if (!p.HasExited) p.Kill();
        p.WaitForExit();
        lock (output) return new AofStart(started, ParseLog(output.ToString()));
    }

    /// <summary>
    /// A Vermilion server on <paramref name="dir"/> with appendonly yes: loads it as its startup
    /// does, without listening. The server is returned when it loaded (the caller disposes it).
    /// </summary>
    public static (AofStart Start, VermilionServer? Server) LoadVermilion(AofDir dir, params string[] extra)
    {
        var server = new VermilionServer(ConfigFor(dir, ["--port", "0", "--appendonly", "yes", .. extra]));
        var log = new StringWriter();
        server.Log.Sink = log;
        try
        {
            server.LoadDataFromDisk();
            return (new AofStart(true, ParseLog(log.ToString())), server);
        }
        catch (ServerStartException)
        {
            server.Dispose();
            return (new AofStart(false, ParseLog(log.ToString())), null);
        }
    }

    /// <summary>
    /// A configuration whose dir is <paramref name="dir"/>, set on the parsed config rather than
    /// with "--dir": that one chdirs the whole test process, into a directory that goes away.
    /// </summary>
    public static Config ConfigFor(AofDir dir, params string[] args)
    {
        var config = Config.FromArgs(args);
        config.Dir = dir.Path;
        return config;
    }

    /// <summary>
    /// Everything a client can see of a dataset, as text both servers produce alike: per database
    /// each key in order with its type, its value in a canonical order (sets and hashes sorted)
    /// and its absolute expiry. Equal text, equal datasets, whichever server holds them.
    /// </summary>
    public static string Canonical(RespSocket c, int databases = 16)
    {
        var sb = new StringBuilder();
        for (int db = 0; db < databases; db++)
        {
            c.Call("SELECT", db.ToString());
            var keys = Elements(c.Call("KEYS", "*")).Order(StringComparer.Ordinal).ToList();
            if (keys.Count == 0) continue;
            sb.Append("db").Append(db).Append('\n');
            foreach (var key in keys)
            {
                string type = c.Call("TYPE", key).Trim('+', '\r', '\n');
                string value = type switch
                {
                    "string" => c.Call("GET", key),
                    "list" => c.Call("LRANGE", key, "0", "-1"),
                    "set" => string.Join(",", Elements(c.Call("SMEMBERS", key)).Order(StringComparer.Ordinal)),
                    "zset" => c.Call("ZRANGE", key, "0", "-1", "WITHSCORES"),
                    "hash" => string.Join(",", Pairs(Elements(c.Call("HGETALL", key))).Order(StringComparer.Ordinal)),
                    _ => "?",
                };
                sb.Append(RespSocket.Show(key)).Append(' ').Append(type).Append(' ').Append(RespSocket.Show(value))
                  .Append(" expire=").Append(c.Call("PEXPIRETIME", key).Trim()).Append('\n');
            }
        }
        c.Call("SELECT", "0");
        return sb.ToString();
    }

    static IEnumerable<string> Pairs(List<string> flat)
    {
        for (int i = 0; i + 1 < flat.Count; i += 2) yield return flat[i] + "=" + flat[i + 1];
    }

    /// <summary>The bulk strings of an array reply.</summary>
    public static List<string> Elements(string reply)
    {
        var result = new List<string>();
        int pos = reply.IndexOf("\r\n", StringComparison.Ordinal) + 2;
        while (pos < reply.Length)
        {
            int lineEnd = reply.IndexOf("\r\n", pos, StringComparison.Ordinal);
            int len = int.Parse(reply.AsSpan(pos + 1, lineEnd - pos - 1));
            result.Add(reply.Substring(lineEnd + 2, len));
            pos = lineEnd + 2 + len + 2;
        }
        return result;
    }

    /// <summary>redis-check-aof on a manifest: its exit code and output.</summary>
    public static ExternalProcess.Result CheckAof(string manifest) => ExternalProcess.Run("redis-check-aof", [manifest], timeoutMs: 30_000);

    /// <summary>Waits until INFO persistence says no rewrite runs (Redis's BGREWRITEAOF is a child process).</summary>
    public static void WaitForRewrite(RespSocket c)
    {
        Assert.True(InProcessServer.WaitFor(() => c.Call("INFO", "persistence") is var info
            && info.Contains("aof_rewrite_in_progress:0") && info.Contains("aof_rewrite_scheduled:0"), 20_000));
    }
}
