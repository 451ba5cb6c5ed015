using StackExchange.Redis;
using Vermilion.Storage;
using Xunit;

namespace Vermilion.Tests;

/// <summary>
/// Real cluster clients through a reshard: a mixed cluster of two redis-server and two Vermilion
/// masters; StackExchange.Redis and redis-py's RedisCluster (Debian's python3-redis) write and read
/// keys of the slots that redis-cli --cluster reshard moves, Vermilion → redis-server,
/// redis-server → Vermilion and Vermilion → Vermilion, while it moves them. The client must see no
/// error it does not retry itself (MOVED and ASK for both; TRYAGAIN too for redis-py, whose
/// hash-tagged MSET/MGET meet slots half moved; it also writes a hash and a key with a TTL per
/// tag), and afterwards every key has its last value on the one master that owns its slot.
/// </summary>
[Trait("Category", "Network")]
public class ClusterClientTests
{
    /// <summary>r1 0-4095, v1 4096-8191, r2 8192-12287, v2 12288-16383 as redis-cli --cluster create assigns four masters.</summary>
    sealed class MixedCluster : IDisposable
    {
        public readonly OracleServer R1, R2;
        public readonly InProcessServer V1, V2;
        public int[] Masters => [R1.Port, V1.Port, R2.Port, V2.Port];

        public MixedCluster()
        {
            static string[] Args() => ["--cluster-enabled", "yes", "--cluster-port", InProcessServer.FreeTcpPort().ToString(), "--cluster-node-timeout", "3000"];
            R1 = new OracleServer(Args());
            R2 = new OracleServer(Args());
            V1 = new InProcessServer(extra: Args());
            V2 = new InProcessServer(extra: Args());
            Assert.Contains("[OK] All 16384 slots covered.",
                ClusterTests.Cli(["--cluster", "create", .. Masters.Select(p => $"127.0.0.1:{p}"), "--cluster-replicas", "0", "--cluster-yes"]));
            Assert.True(InProcessServer.WaitFor(() => Masters.All(p => ClusterTests.Call(p, "CLUSTER", "INFO").Contains("cluster_state:ok")), 20_000),
                "cluster_state never ok everywhere");
        }

        public string Id(int port) => ClusterTests.Call(port, "CLUSTER", "MYID").Split("\r\n")[1];

        /// <summary>The source's first <see cref="MovedSlots"/> slots go to the target (redis-cli takes a source's lowest slots).</summary>
        public void Reshard(int from, int to)
        {
            Assert.True(InProcessServer.WaitFor(() => ClusterTests.CheckIsClean(ClusterTests.Cli(["--cluster", "check", $"127.0.0.1:{R1.Port}"])), 15_000),
                "nodes never agreed");
            var reshard = ClusterTests.Cli(["--cluster", "reshard", $"127.0.0.1:{R1.Port}", "--cluster-from", Id(from), "--cluster-to", Id(to),
                "--cluster-slots", MovedSlots.ToString(), "--cluster-yes"]);
            Assert.DoesNotContain("ERR", reshard);
            Assert.Contains("Moving slot", reshard);
        }

        /// <summary>V1 → R1 (4096-4159), R1 → V1 (0-63, R1's lowest), V2 → V1 (12288-12351).</summary>
        public void ReshardThreeWays()
        {
            Reshard(V1.Port, R1.Port);
            Reshard(R1.Port, V1.Port);
            Reshard(V2.Port, V1.Port);
        }

        /// <summary>
        /// Every key is on exactly one master, the one that owns its slot, with its expected value (the
        /// others answer MOVED), and the masters hold no other key: nothing was lost, duplicated or
        /// left behind by a migration (<paramref name="others"/>: keys the client checked itself).
        /// </summary>
        public void AssertKeys(IReadOnlyDictionary<string, string> expected, int others = 0)
        {
            var sockets = Masters.Select(p => RespSocket.Tcp(p)).ToArray();
            try
            {
                foreach (var (key, value) in expected)
                {
                    var replies = sockets.Select(s => s.Call("GET", key)).ToArray();
                    Assert.Equal(3, replies.Count(r => r.StartsWith("-MOVED ")));
                    Assert.Equal($"${value.Length}\r\n{value}\r\n", replies.Single(r => !r.StartsWith("-MOVED ")));
                }
                Assert.Equal(expected.Count + others, sockets.Sum(s => long.Parse(s.Call("DBSIZE").Trim(':', '\r', '\n'))));
            }
            finally
            {
                foreach (var s in sockets) s.Dispose();
            }
        }

        /// <summary>Redirections the masters answered (errorstats): a workload that ran through the reshard met some.</summary>
        public long Redirections() => Masters.Sum(p =>
            System.Text.RegularExpressions.Regex.Matches(ClusterTests.Call(p, "INFO", "errorstats"), @"errorstat_(?:MOVED|ASK):count=(\d+)")
                .Sum(m => long.Parse(m.Groups[1].Value)));

        public void Dispose()
        {
            R1.Dispose();
            R2.Dispose();
            V1.Dispose();
            V2.Dispose();
        }
    }

    const int MovedSlots = 64;
    static readonly (int From, int To)[] s_movedRanges = [(0, MovedSlots), (4096, 4096 + MovedSlots), (12288, 12288 + MovedSlots)];

    /// <summary>Keys whose slots the reshards move.</summary>
    static List<string> KeysInMovedSlots(int count)
    {
        var keys = new List<string>();
        for (int n = 0; keys.Count < count; n++)
        {
            string key = "key:" + n;
            int slot = SlotIndex.KeyHashSlot(System.Text.Encoding.ASCII.GetBytes(key));
            if (s_movedRanges.Any(r => slot >= r.From && slot < r.To)) keys.Add(key);
        }
        return keys;
    }

    [Fact]
    public async Task StackExchangeRedisThroughReshard()
    {
        using var cluster = new MixedCluster();
        var keys = KeysInMovedSlots(600);
        var expected = new Dictionary<string, string>();
        var errors = new List<string>();
        await using var mux = await ConnectionMultiplexer.ConnectAsync(string.Join(",", cluster.Masters.Select(p => $"127.0.0.1:{p}")));
        var db = mux.GetDatabase();
        int pass = 0;
        void Pass()
        {
            pass++;
            foreach (var key in keys)
            {
                string value = $"{key}:{pass}";
                try
                {
                    Assert.True(db.StringSet(key, value));
                    expected[key] = value;
                    string? read = db.StringGet(key);
                    if (read != value) errors.Add($"GET {key}: {read} after SET {value}");
                    db.StringIncrement("counter:" + key[4..]);
                }
                catch (RedisException e)
                {
                    errors.Add($"{key}: {e.Message}");
                }
            }
        }
        Pass();
        var done = false;
        var workload = Task.Run(() =>
        {
            while (!Volatile.Read(ref done)) Pass();
            // One pass after the last slot moved, so the client meets the new owners.
            Pass();
        });
        try
        {
            cluster.ReshardThreeWays();
        }
        finally
        {
            Volatile.Write(ref done, true);
            await workload;
        }
        Assert.Empty(errors);
        foreach (var key in keys) expected["counter:" + key[4..]] = pass.ToString();
        cluster.AssertKeys(expected);
        Assert.True(cluster.Redirections() > 0, "the client met no MOVED or ASK");
    }

    static string Python => File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";

    /// <summary>
    /// redis-py's side: a pass writes and reads every key and, per hash tag, an MSET/MGET pair;
    /// "ready" after the first pass, then passes until a line on stdin, one more pass, and the
    /// expected values and the errors it met as JSON.
    /// </summary>
    const string PyWorkload = """
        import json, sys, threading
        from redis.cluster import RedisCluster, ClusterNode
        from redis.crc import key_slot
        ports = [int(p) for p in sys.argv[1].split(',')]
        ranges = json.loads(sys.argv[2])
        r = RedisCluster(startup_nodes=[ClusterNode('127.0.0.1', p) for p in ports], decode_responses=True)
        moved = lambda k: any(a <= key_slot(k.encode()) < b for a, b in ranges)
        keys, tags = [], []
        n = 0
        while len(keys) < 400 or len(tags) < 100:
            k, t = 'key:%d' % n, 'tag:%d' % n
            if len(keys) < 400 and moved(k): keys.append(k)
            if len(tags) < 100 and moved(t): tags.append(t)
            n += 1
        expected, errors = {}, []
        stop = threading.Event()
        threading.Thread(target=lambda: (sys.stdin.readline(), stop.set()), daemon=True).start()
        passes = 0
        def one_pass():
            global passes
            passes += 1
            for k in keys:
                v = '%s:%d' % (k, passes)
                try:
                    r.set(k, v)
                    expected[k] = v
                    got = r.get(k)
                    if got != v: errors.append('GET %s: %r after SET %s' % (k, got, v))
                except Exception as e:
                    errors.append('%s: %s %s' % (k, type(e).__name__, e))
            for t in tags:
                a, b = '{%s}a' % t, '{%s}b' % t
                v = '%s:%d' % (t, passes)
                try:
                    r.execute_command('MSET', a, v, b, v)
                    expected[a] = expected[b] = v
                    got = r.execute_command('MGET', a, b)
                    if got != [v, v]: errors.append('MGET %s: %r after MSET %s' % (t, got, v))
                    # A hash and a key with a TTL in the same slot: MIGRATE carries both kinds.
                    r.hset('{%s}h' % t, 'pass', passes)
                    r.set('{%s}ttl' % t, v, px=3600000)
                except Exception as e:
                    errors.append('%s: %s %s' % (t, type(e).__name__, e))
        one_pass()
        print('ready', flush=True)
        while not stop.is_set():
            one_pass()
        one_pass()
        for t in tags:
            if r.hget('{%s}h' % t, 'pass') != str(passes): errors.append('HGET {%s}h' % t)
            if r.get('{%s}ttl' % t) != '%s:%d' % (t, passes) or not 0 < r.pttl('{%s}ttl' % t) <= 3600000: errors.append('TTL {%s}ttl' % t)
        print(json.dumps({'expected': expected, 'errors': errors, 'passes': passes, 'others': 2 * len(tags)}), flush=True)
        """;

    [Fact]
    public void RedisPyClusterThroughReshard()
    {
        using var cluster = new MixedCluster();
        var ranges = "[" + string.Join(",", s_movedRanges.Select(r => $"[{r.From},{r.To}]")) + "]";
        using var py = ExternalProcess.Start(Python, ["-c", PyWorkload, string.Join(",", cluster.Masters), ranges], redirectInput: true);
        var stderr = py.StandardError.ReadToEndAsync();
        try
        {
            var ready = py.StandardOutput.ReadLineAsync();
            Assert.True(ready.Wait(60_000) && ready.Result == "ready", $"the workload did not start: {ready.Result}\n{(py.HasExited ? stderr.Result : "")}");
            try
            {
                cluster.ReshardThreeWays();
            }
            finally
            {
                py.StandardInput.WriteLine("stop");
                py.StandardInput.Flush();
            }
            var summary = py.StandardOutput.ReadToEndAsync();
            Assert.True(py.WaitForExit(60_000), "the workload did not finish");
            py.WaitForExit();
            Assert.True(py.ExitCode == 0, $"python3 failed ({py.ExitCode}):\n{summary.Result}\n{stderr.Result}");
            using var json = System.Text.Json.JsonDocument.Parse(summary.Result);
            var errors = json.RootElement.GetProperty("errors").EnumerateArray().Select(e => e.GetString()!).ToList();
            Assert.Empty(errors);
            var expected = json.RootElement.GetProperty("expected").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!);
            Assert.Equal(600, expected.Count);
            cluster.AssertKeys(expected, others: json.RootElement.GetProperty("others").GetInt32());
            Assert.True(cluster.Redirections() > 0, "the client met no MOVED or ASK");
        }
        finally
        {
            if (!py.HasExited) py.Kill(entireProcessTree: true);
        }
    }
}
