using System.Text;
using System.Text.RegularExpressions;
using Xunit;

namespace Vermilion.Tests;

/// <summary>
/// A real job queue's scripts against redis-server 7.0.15: BullMQ's own Lua (Fixtures/BullMQ,
/// unchanged, includes resolved as its script loader does) runs a job's life — three jobs added,
/// one taken by a worker, finished with the next one fetched, the queue counted — with the
/// arguments BullMQ's client sends (msgpack-packed options, JSON data), every reply and the
/// state left behind compared. It leans on lists, hashes, sorted sets, streams (its event log),
/// cjson and cmsgpack, and on scripts calling scripts' worth of commands.
/// </summary>
[Trait("Category", "Network")]
public partial class BullMqScriptTests(DifferentialServers servers) : IClassFixture<DifferentialServers>
{
    static readonly string Root = Path.Combine(AppContext.BaseDirectory, "Fixtures", "BullMQ", "commands");

    [GeneratedRegex("^-{2,3}[ \\t]*@include[ \\t]+([\"'])(.+?)\\1[; \\t]*$")]
    private static partial Regex IncludeLine();

    /// <summary>script-loader.ts's interpolate: an include's text at its first mention (its own includes inside it), later mentions dropped.</summary>
    static string Load(string path, HashSet<string>? emitted = null)
    {
        emitted ??= [];
        var text = new StringBuilder();
        foreach (var line in File.ReadAllLines(path))
        {
            var m = IncludeLine().Match(line);
            if (!m.Success)
            {
                text.Append(line).Append('\n');
                continue;
            }
            var child = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(path)!, m.Groups[2].Value + ".lua"));
            if (emitted.Add(child)) text.Append(Load(child, emitted));
        }
        return text.ToString();
    }

    /// <summary>MessagePack as msgpackr writes BullMQ's arguments: arrays, string-keyed maps, strings, integers, nil.</summary>
    static string Pack(object? value)
    {
        var bytes = new List<byte>();
        void Write(object? v)
        {
            switch (v)
            {
                case null: bytes.Add(0xc0); break;
                case bool b: bytes.Add(b ? (byte)0xc3 : (byte)0xc2); break;
                case int i when i is >= 0 and < 128: bytes.Add((byte)i); break;
                case int i when i is < 0 and >= -32: bytes.Add((byte)(sbyte)i); break;
                case int i: bytes.Add(0xd2); bytes.AddRange(BitConverter.GetBytes(System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(i))); break;
                case long l: bytes.Add(0xd3); bytes.AddRange(BitConverter.GetBytes(System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(l))); break;
                case string s:
                    var utf8 = Encoding.UTF8.GetBytes(s);
                    if (utf8.Length < 32) bytes.Add((byte)(0xa0 | utf8.Length));
                    else { bytes.Add(0xd9); bytes.Add((byte)utf8.Length); }
                    bytes.AddRange(utf8);
                    break;
                case object?[] array:
                    bytes.Add((byte)(0x90 | array.Length));
                    foreach (var e in array) Write(e);
                    break;
                case (string Key, object? Value)[] map:
                    bytes.Add((byte)(0x80 | map.Length));
                    foreach (var (k, e) in map) { Write(k); Write(e); }
                    break;
                default: throw new ArgumentException("cannot pack " + v);
            }
        }
        Write(value);
        return Encoding.Latin1.GetString(bytes.ToArray());
    }

    const string Prefix = "bull:q:";
    static string K(string name) => Prefix + name;

    static string[] Eval(string script, string[] keys, params string[] argv) =>
        ["EVAL", Load(Path.Combine(Root, script)), keys.Length.ToString(), .. keys, .. argv];

    [Fact]
    public void AJobsLifeRunsAsOnRedis()
    {
        const long t0 = 1_700_000_000_000;
        string[] addKeys = [K("wait"), K("paused"), K("meta"), K("id"), K("completed"), K("delayed"), K("active"), K("events"), K("marker")];
        string[] workerKeys = [K("wait"), K("active"), K("prioritized"), K("events"), K("stalled"), K("limiter"), K("delayed"), K("paused"), K("meta"), K("pc"), K("marker")];
        string workerOpts = Pack(new (string, object?)[] { ("token", "tok-1"), ("lockDuration", 30000), ("name", "w1") });
        string finishOpts = Pack(new (string, object?)[]
        {
            ("token", "tok-1"), ("keepJobs", new (string, object?)[] { ("count", -1) }), ("lockDuration", 30000),
            ("attempts", 1), ("maxMetricsSize", ""), ("name", "w1"),
        });
        var steps = new List<string[]> { new[] { "FLUSHALL" } };
        for (int i = 1; i <= 3; i++)
            steps.Add(Eval("addStandardJob-9.lua", addKeys,
                Pack(new object?[] { Prefix, "", "job" + i, t0 + i }), $"{{\"n\":{i}}}", Pack(Array.Empty<(string, object?)>())));
        steps.Add(Eval("moveToActive-11.lua", workerKeys, Prefix, (t0 + 10).ToString(), workerOpts));
        steps.Add(Eval("moveToFinished-14.lua", [.. workerKeys[..10], K("completed"), K("1"), K("metrics:completed"), K("marker")],
            "1", (t0 + 20).ToString(), "returnvalue", "\"done\"", "completed", "1", Prefix, finishOpts, ""));
        steps.Add(Eval("getCounts-1.lua", [Prefix], "wait", "active", "completed", "delayed", "paused", "prioritized"));
        // What the scripts left: the lists and sets, the job hashes, the lock, the event log (its IDs are the clocks').
        steps.AddRange(new[]
        {
            new[] { "LRANGE", K("wait"), "0", "-1" }, ["LRANGE", K("active"), "0", "-1"], ["ZRANGE", K("completed"), "0", "-1", "WITHSCORES"],
            ["~HGETALL", K("1")], ["~HGETALL", K("2")], ["~HGETALL", K("3")], ["GET", K("2:lock")],
            ["EVAL", "return redis.call('PTTL', KEYS[1]) > 25000", "1", K("2:lock")],
            ["~HGETALL", K("meta")], ["GET", K("id")], ["XLEN", K("events")], ["~KEYS", "*"],
            ["EVAL", "local r = {} for _, e in ipairs(redis.call('XRANGE', KEYS[1], '-', '+')) do r[#r + 1] = e[2] end return r", "1", K("events")],
        });
        servers.Same([.. steps]);
        // Equal is not enough (both could fail alike): the life went as BullMQ means it.
        using var v = servers.Vermilion.Connect();
        Assert.Equal("*6\r\n:1\r\n:1\r\n:1\r\n:0\r\n:0\r\n:0\r\n",
            v.Call(Eval("getCounts-1.lua", [Prefix], "wait", "active", "completed", "delayed", "paused", "prioritized")));
        Assert.Equal("$4\r\ndone\r\n", v.Call("EVAL", "return cjson.decode(redis.call('HGET', KEYS[1], 'returnvalue'))", "1", K("1")));
        Assert.Equal("*1\r\n$1\r\n2\r\n", v.Call("LRANGE", K("active"), "0", "-1"));
    }
}
