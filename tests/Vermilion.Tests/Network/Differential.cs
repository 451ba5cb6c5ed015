using System.Text;
using System.Text.RegularExpressions;
using Xunit;
using Xunit.Sdk;

namespace Vermilion.Tests;

/// <summary>
/// The differential harness: one redis-server 7.0.15 (the oracle) and one in-process Vermilion,
/// shared by the tests of a class through IClassFixture&lt;DifferentialServers&gt; (each class has
/// its own pair, so classes still run in parallel). Same sends a script to both and requires the
/// raw replies to be equal, byte for byte unless the options say how they may differ.
/// <code>
/// public class FooTests(DifferentialServers servers) : IClassFixture&lt;DifferentialServers&gt;
/// {
///     [Fact] public void Append() => servers.Same(["APPEND", "k", "x"], ["GET", "k"]);
///     [Fact] public void Members() => servers.Same(new SameOptions { Resp = 3 }, ["SADD", "s", "a", "b"], ["~SMEMBERS", "s"]);
/// }
/// </code>
/// </summary>
public class DifferentialServers : IDisposable
{
    public OracleServer Redis { get; }
    public InProcessServer Vermilion { get; }

    public DifferentialServers() : this([], []) { }

    /// <summary>For a derived fixture whose servers need arguments (xUnit builds a fixture through its one public, parameterless constructor).</summary>
    protected DifferentialServers(string[] redisArgs, string[] vermilionArgs)
    {
        Redis = new OracleServer(redisArgs);
        try
        {
            Vermilion = new InProcessServer(extra: vermilionArgs);
        }
        catch
        {
            Redis.Dispose();
            throw;
        }
    }

    /// <summary>A connection to each server, prepared as the options say, for scripts built as they go (seeded random mixes).</summary>
    public ConnectionPair Connect(SameOptions? options = null) => new(this, options ?? SameOptions.Default);

    /// <summary>Each command to Redis, then to Vermilion; the replies must be equal. A leading "~" on a command's name ("~SMEMBERS") compares its reply as a multiset of elements.</summary>
    public void Same(params string[][] script) => Same(SameOptions.Default, script);

    public void Same(SameOptions options, params string[][] script) => Run(options, pair =>
    {
        foreach (var cmd in script) pair.Same(cmd);
    });

    /// <summary>Raw requests; the script ends at a step after which the server closes the connection.</summary>
    public void Same(params Step[] script) => Run(SameOptions.Default, pair =>
    {
        foreach (var step in script)
        {
            pair.Same(step);
            if (step.Close) return;
        }
    });

    /// <summary>
    /// For scenarios of several clients, or of output that is not one reply per request: the
    /// scenario runs on Redis, then on Vermilion, each time writing a transcript (one line per
    /// step, from the connections it opens with the function it is given); the transcripts must be
    /// equal line for line. Returns Redis's.
    /// </summary>
    public List<string> Same(Func<Func<RespSocket>, List<string>> scenario)
    {
        var expected = scenario(Redis.Connect);
        var actual = scenario(Vermilion.Connect);
        for (int i = 0; i < Math.Max(expected.Count, actual.Count); i++)
        {
            string e = i < expected.Count ? expected[i] : "(nothing)", a = i < actual.Count ? actual[i] : "(nothing)";
            if (e == a) continue;
            var before = expected.Take(i).TakeLast(20).Select(RespSocket.Show);
            Assert.Fail($"line {i} of the transcripts\n redis:     {RespSocket.Show(e)}\n vermilion: {RespSocket.Show(a)}\nredis's lines before it:\n{string.Join("\n", before)}");
        }
        return expected;
    }

    /// <summary>
    /// Reads count keyspace hits and misses, writes do not: the script runs on both servers from
    /// CONFIG RESETSTAT (replies not compared: some are random), then INFO's keyspace_hits and
    /// keyspace_misses must be the same.
    /// </summary>
    public void SameKeyspaceHitsAndMisses(params string[][] script)
    {
        using var pair = Connect(new SameOptions { Setup = [["CONFIG", "RESETSTAT"]] });
        foreach (var cmd in script)
        {
            foreach (var s in pair.Both) s.Call(cmd);
        }
        pair.SameKeyspaceHitsAndMisses();
    }

    /// <summary>
    /// CONFIG SET (name, value, name, value...) on both servers until disposed, when each gets its
    /// previous values back: a test that changes a setting leaves the class's servers as it found them.
    /// </summary>
    public IDisposable Configure(params string[] nameValues)
    {
        var restores = new List<(Func<RespSocket> Connect, string[] Command)>();
        foreach (var connect in new Func<RespSocket>[] { Redis.Connect, Vermilion.Connect })
        {
            using var s = connect();
            var restore = new List<string> { "CONFIG", "SET" };
            for (int i = 0; i < nameValues.Length; i += 2)
                restore.AddRange([nameValues[i], RespReply.Parse(s.Call("CONFIG", "GET", nameValues[i])).Texts()[1]]);
            Assert.Equal("+OK\r\n", s.Call(["CONFIG", "SET", .. nameValues]));
            restores.Add((connect, [.. restore]));
        }
        return new Restore(() =>
        {
            foreach (var (connect, command) in restores)
            {
                using var s = connect();
                s.Call(command);
            }
        });
    }

    sealed class Restore(Action restore) : IDisposable
    {
        public void Dispose() => restore();
    }

    /// <summary>The one failure message of the harness, for tests that compare in their own way.</summary>
    public static void AssertSame(string what, string redis, string vermilion)
    {
        if (redis != vermilion) Assert.Fail($"{what}\n redis:     {RespSocket.Show(redis)}\n vermilion: {RespSocket.Show(vermilion)}");
    }

    /// <summary>The script on a new pair of connections; from the start again while the options allow more attempts.</summary>
    void Run(SameOptions options, Action<ConnectionPair> script)
    {
        for (int attempt = 1; ; attempt++)
        {
            using var pair = Connect(options);
            try
            {
                script(pair);
                return;
            }
            catch (XunitException) when (attempt < options.Attempts)
            {
                Thread.Sleep(10);
            }
        }
    }

    public void Dispose()
    {
        Vermilion.Dispose();
        Redis.Dispose();
    }
}

/// <summary>How the replies to one request are compared.</summary>
public enum Order
{
    /// <summary>Byte for byte.</summary>
    Exact,
    /// <summary>An aggregate's elements as a multiset: where the order is a hash table's own (SMEMBERS of a hashtable set).</summary>
    Elements,
    /// <summary>An aggregate's field/value pairs as a multiset (HGETALL of a hashtable).</summary>
    Pairs,
    /// <summary>A SCAN reply: the cursor exactly, its member/value pairs as a multiset.</summary>
    ScanPairs,
}

/// <summary>How Same runs a script and compares the replies; the defaults (RESP2, FLUSHALL first, exact replies) suit most scripts.</summary>
public sealed record SameOptions
{
    public static readonly SameOptions Default = new();

    /// <summary>TTL, PTTL, EXPIRETIME and PEXPIRETIME compare by sign: remaining times differ by the microseconds between the two calls.</summary>
    public static readonly SameOptions RemainingTimesBySign = new()
    {
        MaskOf = cmd => cmd[0] is "TTL" or "PTTL" or "EXPIRETIME" or "PEXPIRETIME" ? @"^:[1-9]\d*\r\n$" : null,
    };

    /// <summary>3: both connections send HELLO 3 first (its reply is not compared: Vermilion's adds a vermilion_version pair).</summary>
    public int Resp { get; init; } = 2;

    /// <summary>FLUSHALL on both servers before the script.</summary>
    public bool Flush { get; init; } = true;

    /// <summary>Commands sent to both before the script, replies not compared: settings back to the defaults that other tests of the class change.</summary>
    public string[][] Setup { get; init; } = [];

    /// <summary>How a command's replies compare.</summary>
    public Func<string[], Order> OrderOf { get; init; } = _ => Order.Exact;

    /// <summary>A regex of what legitimately differs in a command's replies (see <see cref="Step.Mask"/>), or null.</summary>
    public Func<string[], string?> MaskOf { get; init; } = _ => null;

    /// <summary>Every reply and push up to a PING marker sent after each command (<see cref="RespSocket.CallAll"/>).</summary>
    public bool UntilPing { get; init; }

    /// <summary>
    /// How many times the script may run (from the start) before a difference counts: for scripts
    /// that read clocks, where a second boundary falling between the two servers' commands shifts one answer.
    /// </summary>
    public int Attempts { get; init; } = 1;
}

/// <summary>
/// One request as raw text (Latin-1) and how its replies are read and compared. Replies: how many
/// to read; Close: the server must close the connection instead, what it sent before counting as
/// the reply; UntilPing: every reply and push up to a PING marker. Mask: a regex whose matches
/// become "&lt;masked&gt;" in both replies (client ids, ports, ages), except a match holding
/// vermilion_version, which is dropped: HELLO's extra pair has no counterpart in Redis's reply.
/// </summary>
public sealed record Step(string Request, int Replies = 1, bool Close = false)
{
    /// <summary>How a failure names the step.</summary>
    public string Name { get; init; } = RespSocket.Show(Request);

    public Order Order { get; init; }
    public string? Mask { get; init; }
    public bool UntilPing { get; init; }

    public static Step Command(params string[] args) =>
        new(Encoding.Latin1.GetString(RespSocket.Encode(args))) { Name = RespSocket.Show(string.Join(' ', args)) };

    /// <summary>The reply as it is compared: the order Redis leaves undefined sorted away, the mask applied.</summary>
    internal string Comparable(string reply)
    {
        if (Order != Order.Exact) reply = RespReply.Canonical(reply, Order);
        if (Mask is null) return reply;
        return Regex.Replace(reply, Mask, m => m.Value.Contains("vermilion_version") ? "" : "<masked>", RegexOptions.Multiline);
    }
}

/// <summary>A connection to each server (flushed, set up and in the protocol the options say); Same compares one request's replies.</summary>
public sealed class ConnectionPair : IDisposable
{
    readonly SameOptions _options;
    public RespSocket Redis { get; }
    public RespSocket Vermilion { get; }
    public RespSocket[] Both => [Redis, Vermilion];

    public void Deconstruct(out RespSocket redis, out RespSocket vermilion) => (redis, vermilion) = (Redis, Vermilion);

    internal ConnectionPair(DifferentialServers servers, SameOptions options)
    {
        _options = options;
        Redis = servers.Redis.Connect();
        Vermilion = servers.Vermilion.Connect();
        foreach (var s in Both)
        {
            if (options.Flush) Assert.Equal("+OK\r\n", s.Call("FLUSHALL"));
            foreach (var cmd in options.Setup) s.Call(cmd);
            if (options.Resp == 3) s.Call("HELLO", "3");
        }
    }

    /// <summary>The command to Redis, then to Vermilion, compared as the options say (a leading "~" on its name: as a multiset of elements). Returns Redis's reply.</summary>
    public string Same(string[] cmd, string context = "")
    {
        bool unordered = cmd[0].StartsWith('~');
        var sent = unordered ? [cmd[0][1..], .. cmd[1..]] : cmd;
        return Same(Step.Command(sent) with
        {
            Order = unordered ? Order.Elements : _options.OrderOf(sent),
            Mask = _options.MaskOf(sent),
            UntilPing = _options.UntilPing,
        }, context);
    }

    /// <summary>The request to Redis, then to Vermilion; the replies must be equal as the step says. Returns Redis's reply (not masked).</summary>
    public string Same(Step step, string context = "")
    {
        string expected = Exchange(Redis, step), actual = Exchange(Vermilion, step);
        DifferentialServers.AssertSame($"{context}{(_options.Resp == 3 ? "RESP3 " : "")}{step.Name}", step.Comparable(expected), step.Comparable(actual));
        return expected;
    }

    /// <summary>INFO's keyspace_hits and keyspace_misses must be the same on both servers.</summary>
    public void SameKeyspaceHitsAndMisses(string context = "")
    {
        static string Counts(RespSocket s) =>
            string.Join(",", s.Call("INFO", "stats").Split("\r\n").Where(l => l.StartsWith("keyspace_hits:") || l.StartsWith("keyspace_misses:")));
        DifferentialServers.AssertSame(context + "keyspace_hits and keyspace_misses", Counts(Redis), Counts(Vermilion));
    }

    static string Exchange(RespSocket s, Step step)
    {
        if (step.UntilPing) return s.RequestAll(step.Request);
        s.Send(step.Request);
        if (step.Close)
        {
            Assert.True(s.WaitForClose(out var rest), "expected the server to close after " + step.Name);
            return Encoding.Latin1.GetString(rest);
        }
        var replies = new StringBuilder();
        // A long wait: a 512 MB value takes a second or two to zero in either server.
        for (int i = 0; i < step.Replies; i++) replies.Append(s.ReadReply(timeoutMs: 30_000));
        return replies.ToString();
    }

    public void Dispose()
    {
        Redis.Dispose();
        Vermilion.Dispose();
    }
}
