using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using Xunit;

namespace Vermilion.Tests;

/// <summary>MEMORY against redis-server 7.0.15: errors, reply shapes and field names, with the figures (ours are the managed heap's) masked.</summary>
[Trait("Category", "Network")]
public class MemoryCommandTests(DifferentialServers servers) : IClassFixture<DifferentialServers>
{
    /// <summary>Every number in a reply: integers, RESP3 doubles, and numbers sent as bulk strings (RESP2 doubles).</summary>
    const string Numbers = @":-?\d+\r\n|,-?[\d.]+(e[-+]?\d+)?\r\n|\$\d+\r\n-?[\d.]+(e[-+]?\d+)?\r\n";

    static readonly SameOptions s_figuresMasked = new()
    {
        MaskOf = cmd => cmd.Length >= 2 && cmd[0] == "MEMORY" && cmd[1] is "USAGE" or "STATS" ? Numbers : null,
    };

    [Fact]
    public void ErrorsAndArity() => servers.Same(
        ["MEMORY"],
        ["MEMORY", "foo"],
        ["MEMORY", "HELP"],
        ["MEMORY", "HELP", "x"],
        ["MEMORY", "USAGE"],
        ["MEMORY", "USAGE", "nokey"],
        ["SET", "k", "v"],
        ["MEMORY", "USAGE", "k", "SAMPLES"],
        ["MEMORY", "USAGE", "k", "SAMPLES", "-1"],
        ["MEMORY", "USAGE", "k", "SAMPLES", "x"],
        ["MEMORY", "USAGE", "k", "SAMPLES", "99999999999999999999"],
        ["MEMORY", "USAGE", "k", "foo", "1"],
        ["MEMORY", "USAGE", "nokey", "SAMPLES", "-1"],
        ["MEMORY", "USAGE", "nokey", "SAMPLES", "5"],
        ["MEMORY", "STATS", "x"],
        ["MEMORY", "DOCTOR", "x"],
        ["MEMORY", "PURGE", "x"],
        ["MEMORY", "MALLOC-STATS", "x"],
        ["MEMORY", "PURGE"],
        ["COMMAND", "GETKEYS", "MEMORY", "USAGE", "key"]);

    [Fact]
    public void UsageAndStatsShapes()
    {
        string[][] script =
        [
            ["SET", "k", "v"],
            ["RPUSH", "l", "a", "b"],
            ["SET", "e", "v", "EX", "100"],
            ["MEMORY", "USAGE", "k"],
            ["MEMORY", "USAGE", "l", "SAMPLES", "0"],
            ["MEMORY", "USAGE", "e", "SAMPLES", "3", "SAMPLES", "7"],
            ["MEMORY", "STATS"],
        ];
        servers.Same(s_figuresMasked, script);
        servers.Same(s_figuresMasked with { Resp = 3 }, script);
    }

    [Fact]
    public void DoctorOnAnEmptyInstance() => servers.Same(["MEMORY", "DOCTOR"]);

    [Fact]
    public void UsageCountsKeyEntryAndDeadline()
    {
        using var s = servers.Vermilion.Connect();
        s.Call("FLUSHALL");
        s.Call("SET", "key", new string('v', 1000));
        long plain = long.Parse(s.Call("MEMORY", "USAGE", "key")[1..^2]);
        // The key and value in one record (2 + 3 + 1000 bytes, in the 1024-byte size class) and the 20-byte entry.
        Assert.Equal(1024 + 20, plain);
        s.Call("EXPIRE", "key", "100");
        Assert.Equal(plain + 8, long.Parse(s.Call("MEMORY", "USAGE", "key")[1..^2]));
        // A big set: its members' bytes at least, and no more than a few times them (the Tcl suite's own check is the same kind).
        for (int i = 0; i < 10; i++) s.Call(["SADD", "set", .. Enumerable.Range(i * 1000, 1000).Select(n => "member:" + n)]);
        long set = long.Parse(s.Call("MEMORY", "USAGE", "set")[1..^2]);
        Assert.InRange(set, 10_000 * 11, 10_000 * 60);
        // Missing keys and keys past their deadline answer nil.
        s.Call("SET", "gone", "x", "PX", "1");
        Thread.Sleep(20);
        Assert.Equal("$-1\r\n", s.Call("MEMORY", "USAGE", "gone"));
    }

    [Fact]
    public void MallocStatsAndPurge()
    {
        using var s = servers.Vermilion.Connect();
        Assert.Contains(".NET GC statistics", s.Call("MEMORY", "MALLOC-STATS"));
        Assert.Equal("+OK\r\n", s.Call("MEMORY", "PURGE"));
    }

    /// <summary>redis-cli's key scans read TYPE, MEMORY USAGE and the collection sizes: every key must show real bytes (they printed 0 before MEMORY existed).</summary>
    [Fact]
    public void RedisCliMemkeysAndBigkeys()
    {
        using var s = servers.Vermilion.Connect();
        s.Call("FLUSHALL");
        s.Call(["RPUSH", "biglist", .. Enumerable.Range(0, 1000).Select(n => n.ToString())]);
        s.Call(["SADD", "bigset", .. Enumerable.Range(0, 300).Select(n => "m" + n)]);
        s.Call(["HSET", "bighash", .. Enumerable.Range(0, 100).SelectMany(n => new[] { "f" + n, "v" })]);
        s.Call(["ZADD", "bigzset", .. Enumerable.Range(0, 100).SelectMany(n => new[] { n.ToString(), "z" + n })]);
        s.Call("SET", "str", "hello");
        string port = servers.Vermilion.Port.ToString();

        var mem = ExternalProcess.Run("redis-cli", ["-p", port, "--memkeys"], timeoutMs: 30_000);
        Assert.Equal(0, mem.ExitCode);
        foreach (var (type, key) in new[] { ("list", "biglist"), ("set", "bigset"), ("hash", "bighash"), ("zset", "bigzset"), ("string", "str") })
        {
            var m = Regex.Match(mem.Stdout, $"Biggest +{type} found '\"{key}\"' has (\\d+) bytes");
            Assert.True(m.Success, mem.Stdout);
            Assert.True(long.Parse(m.Groups[1].Value) > 20, mem.Stdout);
        }

        var big = ExternalProcess.Run("redis-cli", ["-p", port, "--bigkeys"], timeoutMs: 30_000);
        Assert.Equal(0, big.ExitCode);
        Assert.Contains("Biggest   list found '\"biglist\"' has 1000 items", big.Stdout);
        Assert.Contains("Biggest    set found '\"bigset\"' has 300 members", big.Stdout);
        Assert.Contains("Biggest   hash found '\"bighash\"' has 100 fields", big.Stdout);
        Assert.Contains("Biggest   zset found '\"bigzset\"' has 100 members", big.Stdout);
    }
}

/// <summary>Lazy freeing: which deletions go to the background thread, and INFO's lazyfree counters, as Redis 7.0 counts them.</summary>
[Trait("Category", "Network")]
public class LazyFreeTests
{
    static long Info(RespSocket s, string field)
    {
        var m = Regex.Match(s.Call("INFO", "memory"), $"\r\n{field}:(\\d+)\r\n");
        Assert.True(m.Success, field);
        return long.Parse(m.Groups[1].Value);
    }

    static void BigSet(RespSocket s, string key) => s.Call(["SADD", key, .. Enumerable.Range(0, 200).Select(n => "m" + n)]);

    static void AssertFreed(RespSocket s, long expected)
    {
        Assert.True(InProcessServer.WaitFor(() => Info(s, "lazyfree_pending_objects") == 0, 10_000), "lazyfree isn't done");
        Assert.Equal(expected, Info(s, "lazyfreed_objects"));
    }

    [Fact]
    public void CountersFollowRedis()
    {
        using var server = new InProcessServer();
        using var s = server.Connect();
        Assert.Equal(0, Info(s, "lazyfreed_objects"));

        // UNLINK: big values go to the thread, small ones (64 elements or fewer) are freed at once.
        BigSet(s, "big");
        s.Call("SADD", "small", "a", "b");
        Assert.Equal(":2\r\n", s.Call("UNLINK", "big", "small", "missing"));
        AssertFreed(s, 1);

        // DEL only when lazyfree-lazy-user-del says so.
        BigSet(s, "big");
        Assert.Equal(":1\r\n", s.Call("DEL", "big"));
        AssertFreed(s, 1);
        s.Call("CONFIG", "SET", "lazyfree-lazy-user-del", "yes");
        BigSet(s, "big");
        Assert.Equal(":1\r\n", s.Call("DEL", "big"));
        AssertFreed(s, 2);

        // FLUSHALL ASYNC counts the keys of the databases it empties; SYNC frees here.
        for (int i = 0; i < 10; i++) s.Call("SET", "k" + i, "v");
        s.Call("SELECT", "1");
        s.Call("SET", "other", "v");
        Assert.Equal("+OK\r\n", s.Call("FLUSHALL", "ASYNC"));
        AssertFreed(s, 13);
        Assert.Equal(":0\r\n", s.Call("DBSIZE"));
        s.Call("SET", "k", "v");
        Assert.Equal("+OK\r\n", s.Call("FLUSHALL", "SYNC"));
        AssertFreed(s, 13);
        // lazyfree-lazy-user-flush makes a bare FLUSHDB asynchronous.
        s.Call("CONFIG", "SET", "lazyfree-lazy-user-flush", "yes");
        s.Call("SET", "a", "1");
        s.Call("SET", "b", "2");
        Assert.Equal("+OK\r\n", s.Call("FLUSHDB"));
        AssertFreed(s, 15);
        Assert.Equal("-ERR syntax error\r\n", s.Call("FLUSHDB", "LAZY"));

        // Expiry with lazyfree-lazy-expire.
        s.Call("CONFIG", "SET", "lazyfree-lazy-expire", "yes");
        BigSet(s, "exp");
        s.Call("PEXPIRE", "exp", "1");
        Assert.True(InProcessServer.WaitFor(() => s.Call("DBSIZE") == ":0\r\n", 10_000));
        AssertFreed(s, 16);

        // A deletion the server makes (an empty STORE result replacing a big set) with lazyfree-lazy-server-del.
        s.Call("CONFIG", "SET", "lazyfree-lazy-server-del", "yes");
        BigSet(s, "dest");
        Assert.Equal(":0\r\n", s.Call("SINTERSTORE", "dest", "nothing"));
        AssertFreed(s, 17);

        s.Call("CONFIG", "RESETSTAT");
        Assert.Equal(0, Info(s, "lazyfreed_objects"));
    }

    [Fact]
    public void UnlinkOfAHugeSetLetsTheLoopAnswerAndMemoryFalls()
    {
        using var server = new InProcessServer();
        using var s = server.Connect();
        long before = Info(s, "used_memory");
        for (int i = 0; i < 10; i++) s.Call(["SADD", "huge", .. Enumerable.Range(i * 10_000, 10_000).Select(n => n.ToString() + "-member")]);
        long peak = Info(s, "used_memory");
        Assert.True(peak > before + 1_000_000);
        Assert.Equal(":1\r\n", s.Call("UNLINK", "huge"));
        Assert.Equal("+PONG\r\n", s.Call("PING"));
        Assert.True(Info(s, "used_memory") < before * 2);
        AssertFreed(s, 1);
    }
}

/// <summary>
/// The executable gives a transient peak back (Server/HeapTrim.cs): ~100 MB of replies a client
/// never reads, then the client goes; RSS must fall back most of the way on its own.
/// </summary>
[Trait("Category", "Network")]
public class HeapTrimTests
{
    static long RssMb(int pid)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            if (line.StartsWith("VmRSS:")) return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024;
        return 0;
    }

    [Fact]
    public void RssFallsAfterAnUnreadPipelineIsCut()
    {
        int port = InProcessServer.FreeTcpPort();
        var (file, prefix) = ExternalProcess.VermilionServer;
        using var p = ExternalProcess.Start(file, [.. prefix, "--port", port.ToString(), "--bind", "127.0.0.1"]);
        p.OutputDataReceived += (_, _) => { };
        p.BeginOutputReadLine();
        try
        {
            Assert.True(InProcessServer.WaitFor(() => ExternalProcess.Run("redis-cli", ["-p", port.ToString(), "PING"], timeoutMs: 5_000).Stdout == "PONG\n", 15_000));
            Assert.Equal("OK\n", ExternalProcess.Run("redis-cli", ["-p", port.ToString(), "SET", "k", new string('x', 1000)]).Stdout);
            long before = RssMb(p.Id);
            using (var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
            {
                client.ReceiveBufferSize = 4096;
                client.Connect("127.0.0.1", port);
                client.SendTimeout = 2000;
                var gets = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("GET k\r\n", 10_000)));
                try
                {
                    for (int i = 0; i < 10; i++) client.Send(gets);
                }
                catch (SocketException) { } // the server stopped reading: its output is full enough
                Assert.True(InProcessServer.WaitFor(() => RssMb(p.Id) > before + 60, 20_000), $"no peak: {before} MB then {RssMb(p.Id)} MB");
            }
            long peak = RssMb(p.Id);
            // serverCron checks once a second; a loaded machine gets a generous wait.
            Assert.True(InProcessServer.WaitFor(() => RssMb(p.Id) < before + (peak - before) / 3, 30_000),
                $"RSS stayed up: {before} MB before, {peak} MB at the peak, {RssMb(p.Id)} MB now");
        }
        finally
        {
            p.Kill();
            p.WaitForExit();
        }
    }
}
