using System.Text;
using System.Text.RegularExpressions;
using Vermilion;
using Xunit;

namespace Vermilion.Tests;

/// <summary>
/// An effect sink that records what it is given as an AOF would write it: a SELECT whenever the
/// database differs from the last one written (feedAppendOnlyFile's aof_selected_db, -1 at start),
/// then the command. Appended to on the loop thread, read by the test.
/// </summary>
public sealed class RecordingSink : IEffectSink
{
    readonly MemoryStream _bytes = new();
    int _db = -1;

    public void Append(int db, ReadOnlySpan<byte> command)
    {
        lock (_bytes)
        {
            if (db != _db)
            {
                _bytes.Write(RespSocket.Encode("SELECT", db.ToString()));
                _db = db;
            }
            _bytes.Write(command);
        }
    }

    public byte[] Bytes()
    {
        lock (_bytes) return _bytes.ToArray();
    }
}

/// <summary>
/// The effect stream's oracle: redis-server 7.0.15 with appendonly yes, whose incr AOF holds what it
/// propagates, beside a Vermilion whose <see cref="RecordingSink"/> records what it propagates. Both
/// have DEBUG enabled (DEBUG SET-ACTIVE-EXPIRE keeps lazy expiry apart from the active cycle).
/// appendfsync no: with everysec, redis-server postpones a write while a background fsync runs, so
/// its file could lag the replies; with no, every iteration's effects are written before its replies.
/// </summary>
public class EffectServers : DifferentialServers
{
    public RecordingSink Sink { get; } = new();

    public EffectServers() : this([]) { }

    /// <summary>For a derived fixture whose two servers take more arguments (rename-command...).</summary>
    protected EffectServers(string[] both)
        : base(["--appendonly", "yes", "--appendfsync", "no", "--enable-debug-command", "yes", .. both], ["--enable-debug-command", "yes", .. both])
    {
        Vermilion.Server.EffectSinks.Add(Sink);
    }

    /// <summary>What redis-server has appended to its AOF so far (it writes before the replies of an iteration leave).</summary>
    public byte[] RedisAof()
    {
        var path = Directory.GetFiles(Path.Combine(Redis.Dir, "appendonlydir"), "*.incr.aof").Single();
        using var f = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        var bytes = new byte[f.Length];
        f.ReadExactly(bytes);
        return bytes;
    }

    /// <summary>server.dirty of redis-server (INFO's rdb_changes_since_last_save).</summary>
    public static long RedisDirty(RespSocket redis)
    {
        var info = RespReply.Parse(redis.Call("INFO", "persistence")).Text!;
        return long.Parse(Regex.Match(info, @"rdb_changes_since_last_save:(\d+)").Groups[1].Value);
    }

    public long VermilionDirty => Volatile.Read(ref Vermilion.Server.Dirty);

    /// <summary>
    /// An effect stream as lines ("SELECT 0", "SET k v PXAT &lt;ms&gt;"): the commands of the RESP
    /// arrays, arguments joined by spaces (an empty one shown as ""), an absolute time in ms within
    /// a year of now shown as &lt;ms&gt; (the two servers take their clocks microseconds apart).
    /// </summary>
    public static List<string> Lines(byte[] stream, int from)
    {
        var lines = new List<string>();
        long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), year = 365L * 86_400_000;
        int pos = from;
        string ReadLine()
        {
            int end = Array.IndexOf(stream, (byte)'\r', pos);
            var line = Encoding.Latin1.GetString(stream, pos, end - pos);
            pos = end + 2;
            return line;
        }
        while (pos < stream.Length)
        {
            var header = ReadLine();
            Assert.True(header.StartsWith('*'), $"not an array at {pos}: {header}");
            int argc = int.Parse(header[1..]);
            var args = new string[argc];
            for (int i = 0; i < argc; i++)
            {
                int length = int.Parse(ReadLine()[1..]);
                var arg = Encoding.Latin1.GetString(stream, pos, length);
                pos += length + 2;
                bool nearNow = arg.Length >= 12 && long.TryParse(arg, out long n) && Math.Abs(n - now) < year;
                args[i] = nearNow ? "<ms>" : arg.Length == 0 ? "\"\"" : arg;
            }
            lines.Add(string.Join(' ', args));
        }
        return lines;
    }
}

/// <summary>
/// A script run on both servers of an <see cref="EffectServers"/>: each command's reply must be the
/// same (unless its name starts with "?": a random reply), and its server.dirty delta too; then
/// the effect streams both wrote meanwhile must be the same, SELECT lines included. ["SLEEP", ms]
/// waits on both sides.
/// </summary>
public static class EffectScript
{
    public static void Run(EffectServers servers, params string[][] script) => Run(servers, SameOptions.Default, script);

    public static void Run(EffectServers servers, SameOptions options, params string[][] script)
    {
        // FLUSHALL on connecting is propagated on both sides from db 0: both trackers start there.
        using var pair = servers.Connect(options);
        int redisFrom = servers.RedisAof().Length, vermilionFrom = servers.Sink.Bytes().Length;
        var context = new List<string>();
        // Inside MULTI the connection cannot ask INFO: a transaction's delta is measured from MULTI to EXEC.
        bool inMulti = false;
        long redisBefore = 0, vermilionBefore = 0;
        foreach (var cmd in script)
        {
            if (cmd[0] == "SLEEP")
            {
                Thread.Sleep(int.Parse(cmd[1]));
                continue;
            }
            bool random = cmd[0].StartsWith('?');
            var sent = random ? [cmd[0][1..], .. cmd[1..]] : cmd;
            if (!inMulti) (redisBefore, vermilionBefore) = (EffectServers.RedisDirty(pair.Redis), servers.VermilionDirty);
            if (random)
            {
                pair.Redis.Call(sent);
                pair.Vermilion.Call(sent);
            }
            else pair.Same(sent);
            context.Add(string.Join(' ', sent));
            var name = sent[0].ToUpperInvariant();
            if (name == "MULTI") inMulti = true;
            else if (name is "EXEC" or "DISCARD") inMulti = false;
            if (inMulti) continue;
            long redisDelta = EffectServers.RedisDirty(pair.Redis) - redisBefore, vermilionDelta = servers.VermilionDirty - vermilionBefore;
            DifferentialServers.AssertSame($"server.dirty moved by {string.Join(' ', sent)}", redisDelta.ToString(), vermilionDelta.ToString());
        }
        SameStreams(servers, redisFrom, vermilionFrom, context);
    }

    /// <summary>
    /// A scenario of several connections (blocked clients served later...), run on redis-server
    /// then on Vermilion from a FLUSHALL: the effect streams written meanwhile must be the same,
    /// and server.dirty must have moved as far. <paramref name="waitMs"/>: how long the streams may
    /// take to agree (active expiry and eviction run on the servers' own clocks).
    /// </summary>
    public static void Scenario(EffectServers servers, Action<Func<RespSocket>> scenario, int waitMs = 0, Func<List<string>, List<string>>? canonical = null)
    {
        var sides = new (Func<RespSocket> Connect, Func<byte[]> Stream, Func<RespSocket, long> Dirty)[]
        {
            (servers.Redis.Connect, servers.RedisAof, EffectServers.RedisDirty),
            (servers.Vermilion.Connect, servers.Sink.Bytes, _ => servers.VermilionDirty),
        };
        var marks = new int[2];
        var moved = new long[2];
        for (int i = 0; i < 2; i++)
        {
            using var admin = sides[i].Connect();
            Assert.Equal("+OK\r\n", admin.Call("FLUSHALL"));
            marks[i] = sides[i].Stream().Length;
            long before = sides[i].Dirty(admin);
            scenario(sides[i].Connect);
            moved[i] = sides[i].Dirty(admin) - before;
        }
        SameStreams(servers, marks[0], marks[1], ["(scenario)"], waitMs, canonical);
        DifferentialServers.AssertSame("server.dirty moved by the scenario", moved[0].ToString(), moved[1].ToString());
    }

    /// <summary>Waits until <paramref name="n"/> clients are blocked (INFO's blocked_clients).</summary>
    public static void WaitBlocked(RespSocket admin, int n) =>
        Assert.True(InProcessServer.WaitFor(() => admin.Call("INFO", "clients").Contains($"\r\nblocked_clients:{n}\r\n")), $"{n} clients never blocked");

    /// <summary>The streams written since the marks must be the same; they are read again for a while if not (active expiry runs on its own clock).</summary>
    public static void SameStreams(EffectServers servers, int redisFrom, int vermilionFrom, List<string> context, int waitMs = 0, Func<List<string>, List<string>>? canonical = null)
    {
        List<string> expected = [], actual = [];
        var deadline = Environment.TickCount64 + waitMs;
        canonical ??= lines => lines;
        do
        {
            expected = canonical(EffectServers.Lines(servers.RedisAof(), redisFrom));
            actual = canonical(EffectServers.Lines(servers.Sink.Bytes(), vermilionFrom));
            if (expected.SequenceEqual(actual)) return;
            Thread.Sleep(20);
        }
        while (Environment.TickCount64 < deadline);
        Assert.Fail($"effect streams differ after:\n  {string.Join("\n  ", context)}\nredis:\n  {string.Join("\n  ", expected)}\nvermilion:\n  {string.Join("\n  ", actual)}");
    }
}
