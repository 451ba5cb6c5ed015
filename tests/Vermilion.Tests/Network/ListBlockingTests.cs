using System.Diagnostics;
using System.Text.RegularExpressions;
using Xunit;

namespace Vermilion.Tests;

/// <summary>
/// BLPOP, BRPOP, BLMOVE, BRPOPLPUSH and BLMPOP with several clients: each scenario runs on
/// redis-server 7.0.15 and on Vermilion, and the two transcripts (every reply each client got,
/// and whether a client stayed blocked) must be the same.
/// </summary>
[Trait("Category", "Network")]
public class ListBlockingTests(ListBlockingTests.Servers servers) : IClassFixture<ListBlockingTests.Servers>
{
    /// <summary>The oracle runs at hz 100: Redis checks timeouts from its cron, so its 1 ms timeouts answer within 10 ms rather than 100.</summary>
    public sealed class Servers() : DifferentialServers(redisArgs: ["--hz", "100"], vermilionArgs: []);

    /// <summary>Named clients on one server, an admin connection, and the transcript.</summary>
    sealed class Scenario : IDisposable
    {
        readonly Func<RespSocket> _connect;
        readonly Dictionary<string, RespSocket> _clients = new();
        readonly RespSocket _admin;
        public readonly List<string> Log = new();

        public Scenario(Func<RespSocket> connect)
        {
            _connect = connect;
            _admin = connect();
            _admin.Call("FLUSHALL");
            _admin.Call("CONFIG", "RESETSTAT");
        }

        RespSocket Client(string who)
        {
            if (!_clients.TryGetValue(who, out var c)) _clients[who] = c = _connect();
            return c;
        }

        readonly Dictionary<string, string> _ids = new();

        /// <summary>The client's id (the transcript shows whose it is, not the number: the servers number clients differently).</summary>
        public string Id(string who)
        {
            var id = Client(who).Call("CLIENT", "ID")[1..^2];
            _ids[id] = who;
            return id;
        }

        string Show(string[] cmd) => string.Join(' ', cmd.Select(a => _ids.TryGetValue(a, out var who) ? $"<id of {who}>" : a));

        /// <summary>A command whose reply comes at once.</summary>
        public string Call(string who, params string[] cmd)
        {
            var reply = Silent(who, cmd);
            Log.Add($"{who}> {Show(cmd)} => {reply}");
            return reply;
        }

        /// <summary>A command whose reply differs between the servers by design (HELLO, INFO, CLIENT LIST): only the command is logged.</summary>
        public string Silent(string who, params string[] cmd)
        {
            var reply = who == "admin" ? _admin.Call(cmd) : Client(who).Call(cmd);
            if (cmd[0] is "HELLO" or "INFO" or "CLIENT" && cmd[1] is not "UNBLOCK") Log.Add($"{who}> {Show(cmd)}");
            return reply;
        }

        /// <summary>
        /// A blocking command that may answer at once, time out, or block: its reply, or "blocked"
        /// and then the reply CLIENT UNBLOCK gets it. A client blocked without a timeout (none in
        /// the timeout table) is known to wait forever at once; one with a deadline past 200 ms counts as blocked.
        /// </summary>
        public void Try(string who, params string[] cmd)
        {
            string id = Id(who);
            var c = Client(who);
            c.Send(RespSocket.Encode(cmd));
            var started = Environment.TickCount64;
            string reply;
            while (true)
            {
                if (!c.IsQuiet(2))
                {
                    reply = c.ReadReply(3000);
                    break;
                }
                var info = _admin.Call("INFO", "clients");
                bool blocked = info.Contains("blocked_clients:1\r\n");
                if (blocked && (info.Contains("clients_in_timeout_table:0\r\n") || Environment.TickCount64 - started > 200))
                {
                    // :0 — a short timeout ran out between INFO and UNBLOCK (a loaded machine): its reply is the answer.
                    bool unblocked = _admin.Call("CLIENT", "UNBLOCK", id) == ":1\r\n";
                    reply = (unblocked ? "blocked, then " : "") + c.ReadReply(3000);
                    break;
                }
            }
            Log.Add($"{who}> {Show(cmd)} => {reply}");
        }

        public string Admin(params string[] cmd) => Call("admin", cmd);

        /// <summary>The names of the clients the server now shows blocked ('b' in CLIENT LIST), for clients whose id was asked.</summary>
        public HashSet<string> BlockedNames()
        {
            var names = new HashSet<string>();
            foreach (Match m in Regex.Matches(_admin.Call("CLIENT", "LIST"), @"id=(\d+) .*?flags=(\S+)"))
                if (m.Groups[2].Value.Contains('b') && _ids.TryGetValue(m.Groups[1].Value, out var who)) names.Add(who);
            return names;
        }

        /// <summary>Sends a command that answers at once or blocks; true when it blocked, else its reply is logged.</summary>
        public bool SendMaybeBlocking(string who, string[] cmd)
        {
            var c = Client(who);
            c.Send(RespSocket.Encode(cmd));
            var deadline = Environment.TickCount64 + 5000;
            while (Environment.TickCount64 < deadline)
            {
                if (!c.IsQuiet(1))
                {
                    Log.Add($"{who}> {Show(cmd)} => {c.ReadReply(3000)}");
                    return false;
                }
                if (BlockedNames().Contains(who))
                {
                    Log.Add($"{who} blocks: {Show(cmd)}");
                    return true;
                }
            }
            throw new TimeoutException($"{who}: {Show(cmd)} neither answered nor blocked");
        }

        /// <summary>Sends commands that leave the client blocked; waits until the server counts it as blocked.</summary>
        public void Block(string who, params string[][] cmds)
        {
            int before = BlockedClients();
            Client(who).Send(cmds.SelectMany(c => RespSocket.Encode(c)).ToArray());
            var deadline = Environment.TickCount64 + 5000;
            // A short timeout may run out before the poll sees the client blocked (a loaded machine):
            // a reply already waiting means it blocked and was answered; the reply is compared next.
            while (BlockedClients() != before + 1 && Client(who).IsQuiet(0))
            {
                if (Environment.TickCount64 > deadline) throw new TimeoutException($"{who} did not block on {string.Join(' ', cmds[0])}");
                Thread.Sleep(5);
            }
            Log.Add($"{who} blocks: {string.Join("; ", cmds.Select(c => string.Join(' ', c)))}");
        }

        /// <summary>The next reply the client gets (it must come).</summary>
        public string Reply(string who)
        {
            var reply = Client(who).ReadReply(3000);
            Log.Add($"{who} <= {reply}");
            return reply;
        }

        /// <summary>The client got nothing (it is still blocked).</summary>
        public void Quiet(string who, int ms = 100) => Log.Add($"{who} quiet: {Client(who).IsQuiet(ms)}");

        /// <summary>Closes a blocked client's connection and waits until the server has let it go.</summary>
        public void Disconnect(string who)
        {
            int before = BlockedClients();
            Client(who).Dispose();
            _clients.Remove(who);
            var deadline = Environment.TickCount64 + 3000;
            while (BlockedClients() != before - 1 && Environment.TickCount64 < deadline) Thread.Sleep(5);
            Log.Add($"{who} disconnected");
        }

        public int BlockedClients() => int.Parse(Regex.Match(_admin.Call("INFO", "clients"), @"blocked_clients:(\d+)").Groups[1].Value);

        public string InfoField(string section, string field) => Regex.Match(_admin.Call("INFO", section), field + @"[:=]([^\r\n]*)").Groups[1].Value;

        public void Dispose()
        {
            foreach (var c in _clients.Values) c.Dispose();
            _admin.Dispose();
        }
    }

    /// <summary>Runs the script on both servers and compares the transcripts; returns Redis's.</summary>
    /// <summary>Runs the script on both servers and compares the transcripts; returns Redis's.</summary>
    List<string> Same(Action<Scenario> script) => servers.Same(connect =>
    {
        using var s = new Scenario(connect);
        script(s);
        return s.Log;
    });

    [Fact]
    public void ClientsAreServedInTheOrderTheyBlocked() => Same(s =>
    {
        s.Block("A", ["BLPOP", "k", "0"]);
        s.Block("B", ["BRPOP", "k", "0"]);
        s.Block("C", ["BLMOVE", "k", "dst", "LEFT", "RIGHT", "0"]);
        s.Block("D", ["BLMPOP", "0", "1", "k", "LEFT", "COUNT", "2"]);
        s.Block("E", ["BRPOPLPUSH", "k", "dst", "0"]);
        s.Admin("RPUSH", "k", "1", "2", "3", "4", "5", "6");
        foreach (var who in new[] { "A", "B", "C", "D", "E" }) s.Reply(who);
        s.Admin("LRANGE", "k", "0", "-1");
        s.Admin("LRANGE", "dst", "0", "-1");
        // One push of fewer elements than waiting clients: the first ones are served, the rest wait on.
        s.Block("A", ["BLPOP", "q", "0"]);
        s.Block("B", ["BLPOP", "q", "0"]);
        s.Block("C", ["BLPOP", "q", "0"]);
        s.Admin("LPUSH", "q", "a", "b");
        s.Reply("A");
        s.Reply("B");
        s.Quiet("C");
        s.Admin("EXISTS", "q");
        s.Admin("RPUSH", "q", "c");
        s.Reply("C");
    });

    [Fact]
    public void ManyClientsFifo()
    {
        // 100 clients on one key, served by one push of 100 elements in the order they blocked.
        Same(s =>
        {
            for (int i = 0; i < 100; i++) s.Block("c" + i, ["BLPOP", "many", "0"]);
            s.Admin(["RPUSH", "many", .. Enumerable.Range(0, 100).Select(i => "v" + i)]);
            for (int i = 0; i < 100; i++) s.Reply("c" + i);
            s.Admin("INFO", "keyspace");
        });
    }

    [Fact]
    public void TimeoutsAndForever() => Same(s =>
    {
        var watch = Stopwatch.StartNew();
        s.Block("A", ["BLPOP", "t", "0.2"]);
        s.Reply("A");
        s.Call("A", "ECHO", (watch.ElapsedMilliseconds >= 190).ToString());
        s.Block("A", ["BLMOVE", "t", "d", "LEFT", "LEFT", "0.05"]);
        s.Reply("A");
        s.Block("A", ["BLMPOP", "0.05", "2", "t", "u", "RIGHT"]);
        s.Reply("A");
        s.Block("A", ["BRPOPLPUSH", "t", "d", "0.05"]);
        s.Reply("A");
        s.Block("A", ["BLPOP", "t", "0"]);
        s.Quiet("A", 300);
        s.Admin("RPUSH", "t", "v");
        s.Reply("A");
        // -0.0004 seconds rounds up to 0: forever.
        s.Block("A", ["BLPOP", "t", "-0.0004"]);
        s.Quiet("A", 150);
        s.Admin("RPUSH", "t", "w");
        s.Reply("A");
        s.Silent("A", "HELLO", "3");
        s.Block("A", ["BLPOP", "t", "0.01"]);
        s.Reply("A");
        s.Block("A", ["BLMOVE", "t", "d", "LEFT", "LEFT", "0.01"]);
        s.Reply("A");
    });

    /// <summary>Vermilion times out at the deadline (its own timer), not at a later cron tick as Redis does.</summary>
    [Fact]
    public void SubSecondTimeoutPrecision()
    {
        using var v = servers.Vermilion.Connect();
        foreach (var seconds in new[] { 0.05, 0.3 })
        {
            var watch = Stopwatch.StartNew();
            Assert.Equal("*-1\r\n", v.Call("BLPOP", "precise", seconds.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            long ms = watch.ElapsedMilliseconds;
            Assert.InRange(ms, (long)(seconds * 1000) - 5, (long)(seconds * 1000) + 300);
        }
    }

    [Fact]
    public void WokenByMovesRenamesCopiesAndSwaps() => Same(s =>
    {
        s.Admin("RPUSH", "src", "1", "2", "3", "4", "5");
        s.Block("A", ["BLPOP", "d1", "0"]);
        s.Admin("LMOVE", "src", "d1", "LEFT", "RIGHT");
        s.Reply("A");
        s.Block("A", ["BRPOP", "d2", "0"]);
        s.Admin("RPOPLPUSH", "src", "d2");
        s.Reply("A");
        s.Block("A", ["BLPOP", "renamed", "0"]);
        s.Admin("RENAME", "src", "renamed");
        s.Reply("A");
        s.Block("A", ["BLPOP", "copied", "0"]);
        s.Admin("COPY", "renamed", "copied");
        s.Reply("A");
        s.Admin("LRANGE", "renamed", "0", "-1");
        s.Block("A", ["BLPOP", "moved", "0"]);
        s.Admin("SELECT", "1");
        s.Admin("RPUSH", "moved", "m");
        s.Admin("MOVE", "moved", "0");
        s.Reply("A");
        s.Admin("RPUSH", "swapped", "s1", "s2");
        s.Block("A", ["BLPOP", "swapped", "0"]);
        s.Admin("SELECT", "0");
        s.Admin("SWAPDB", "0", "1");
        s.Reply("A");
        s.Admin("SWAPDB", "0", "1");
        s.Admin("SELECT", "1");
        s.Admin("LRANGE", "swapped", "0", "-1");
        // A client in database 1 is not woken by a push in database 0.
        s.Call("B", "SELECT", "1");
        s.Block("B", ["BLPOP", "perdb", "0"]);
        s.Admin("SELECT", "0");
        s.Admin("RPUSH", "perdb", "zero");
        s.Quiet("B");
        s.Admin("SELECT", "1");
        s.Admin("RPUSH", "perdb", "one");
        s.Reply("B");
        s.Admin("SELECT", "0");
    });

    [Fact]
    public void KeyOfAnotherType() => Same(s =>
    {
        s.Admin("SET", "str", "x");
        s.Call("A", "BLPOP", "str", "0");
        s.Call("A", "BLPOP", "nokey", "str", "0");
        s.Call("A", "BLMOVE", "str", "d", "LEFT", "LEFT", "0");
        s.Call("A", "BLMPOP", "0", "2", "nokey", "str", "LEFT");
        // The key deleted and re-created as a string: Redis 7.0 keeps the client blocked.
        s.Block("A", ["BLPOP", "q", "0"]);
        s.Admin("RPUSH", "q", "a");
        s.Reply("A");
        s.Block("A", ["BLPOP", "q", "0"]);
        s.Admin("SET", "q", "now a string");
        s.Quiet("A");
        s.Admin("DEL", "q");
        s.Admin("RPUSH", "other", "o");
        s.Admin("RENAME", "str", "q");
        s.Quiet("A");
        s.Admin("DEL", "q");
        s.Admin("RPUSH", "q", "back");
        s.Reply("A");
        // BLMOVE served while its destination holds another type: WRONGTYPE, and the element stays.
        s.Block("A", ["BLMOVE", "w1", "w2", "LEFT", "LEFT", "0"]);
        s.Admin("SET", "w2", "s");
        s.Admin("RPUSH", "w1", "e");
        s.Reply("A");
        s.Admin("LRANGE", "w1", "0", "-1");
        s.Call("A", "PING");
        s.Admin("FLUSHALL");
        s.Block("A", ["BLPOP", "flushed", "0"]);
        s.Admin("FLUSHALL");
        s.Quiet("A");
        s.Admin("RPUSH", "flushed", "f");
        s.Reply("A");
    });

    [Fact]
    public void ClientUnblockAndStats() => Same(s =>
    {
        string id = s.Id("A");
        s.Admin("CLIENT", "UNBLOCK", id);
        s.Block("A", ["BLPOP", "u", "0"]);
        s.Admin("CLIENT", "UNBLOCK", id, "TIMEOUT");
        s.Reply("A");
        s.Block("A", ["BLMOVE", "u", "v", "LEFT", "LEFT", "0"]);
        s.Admin("CLIENT", "UNBLOCK", id, "TIMEOUT");
        s.Reply("A");
        s.Block("A", ["BLMPOP", "0", "2", "u", "u2", "LEFT", "COUNT", "3"]);
        s.Admin("CLIENT", "UNBLOCK", id, "ERROR");
        s.Reply("A");
        s.Block("A", ["BRPOP", "u", "100"]);
        s.Admin("CLIENT", "UNBLOCK", id, "error");
        s.Reply("A");
        s.Admin("CLIENT", "UNBLOCK", id, "ERROR");
        s.Admin("CLIENT", "UNBLOCK", id, "FOO");
        s.Silent("A", "HELLO", "3");
        s.Block("A", ["BLPOP", "u", "0"]);
        s.Admin("CLIENT", "UNBLOCK", id);
        s.Reply("A");
        // Calls and failed calls of the blocking commands (CLIENT UNBLOCK fails the call even with TIMEOUT, as Redis).
        var stats = s.Silent("admin", "INFO", "commandstats");
        foreach (var line in Regex.Matches(stats, @"cmdstat_(bl|br|client\|unblock)\S*").Select(m => Regex.Replace(m.Value, @"usec=\d+,usec_per_call=[\d.]+,", "")).Order())
            s.Log.Add(line);
        foreach (var line in Regex.Matches(s.Silent("admin", "INFO", "errorstats"), @"errorstat_\S+").Select(m => m.Value).Order()) s.Log.Add(line);
    });

    [Fact]
    public void InfoAndClientList() => Same(s =>
    {
        s.Block("A", ["BLPOP", "i1", "i2", "100"]);
        s.Block("B", ["BLMOVE", "i1", "i3", "RIGHT", "LEFT", "0"]);
        s.Log.Add("blocked_clients " + s.InfoField("clients", "blocked_clients"));
        s.Log.Add("clients_in_timeout_table " + s.InfoField("clients", "clients_in_timeout_table"));
        var list = s.Silent("admin", "CLIENT", "LIST");
        foreach (Match m in Regex.Matches(list, @"flags=(\S+) .* argv-mem=(\d+) .* cmd=(\S+)"))
            s.Log.Add(m.Value.Split(' ').Where(f => f.StartsWith("flags=") || f.StartsWith("argv-mem=") || f.StartsWith("cmd=")).Aggregate((x, y) => x + " " + y));
        s.Admin("RPUSH", "i1", "x");
        s.Reply("A");
        s.Log.Add("blocked_clients " + s.InfoField("clients", "blocked_clients"));
        s.Log.Add("clients_in_timeout_table " + s.InfoField("clients", "clients_in_timeout_table"));
        s.Disconnect("B");
        s.Log.Add("blocked_clients " + s.InfoField("clients", "blocked_clients"));
        s.Admin("RPUSH", "i1", "y");
        s.Admin("LRANGE", "i1", "0", "-1");
        s.Admin("EXISTS", "i3");
    });

    [Fact]
    public void BlmoveChains() => Same(s =>
    {
        s.Block("A", ["BLMOVE", "k1", "k2", "LEFT", "RIGHT", "0"]);
        s.Block("B", ["BLMOVE", "k2", "k3", "RIGHT", "LEFT", "0"]);
        s.Block("C", ["BLPOP", "k3", "0"]);
        s.Admin("RPUSH", "k1", "x");
        s.Reply("A");
        s.Reply("B");
        s.Reply("C");
        s.Admin("EXISTS", "k1", "k2", "k3");
        // A cycle: the element ends where the last move put it.
        s.Block("A", ["BLMOVE", "c1", "c2", "LEFT", "LEFT", "0"]);
        s.Block("B", ["BRPOPLPUSH", "c2", "c1", "0"]);
        s.Admin("RPUSH", "c1", "round");
        s.Reply("A");
        s.Reply("B");
        s.Admin("LRANGE", "c1", "0", "-1");
        s.Admin("LRANGE", "c2", "0", "-1");
        // A chain link that disconnected is skipped.
        s.Block("A", ["BLMOVE", "d1", "d2", "LEFT", "LEFT", "0"]);
        s.Block("B", ["BLPOP", "d2", "0"]);
        s.Block("C", ["BLPOP", "d2", "0"]);
        s.Disconnect("B");
        s.Admin("RPUSH", "d1", "z");
        s.Reply("A");
        s.Reply("C");
        s.Admin("EXISTS", "d1", "d2");
    });

    [Fact]
    public void CommandsSentWhileBlockedRunAfterwards() => Same(s =>
    {
        s.Block("A", ["BLPOP", "p", "0"], ["PING"], ["LLEN", "p"], ["BLPOP", "p", "0"], ["ECHO", "after"]);
        s.Quiet("A");
        s.Admin("RPUSH", "p", "v1", "v2", "v3");
        s.Reply("A");
        s.Reply("A");
        s.Reply("A");
        s.Reply("A");
        s.Reply("A");
        s.Admin("LRANGE", "p", "0", "-1");
        // Blocked again by its own pipeline, then served by the next push.
        s.Admin("DEL", "p");
        s.Block("A", ["BLPOP", "p", "0"], ["BLPOP", "p", "0"], ["ECHO", "done"]);
        s.Admin("RPUSH", "p", "1");
        s.Reply("A");
        s.Quiet("A");
        s.Admin("RPUSH", "p", "2");
        s.Reply("A");
        s.Reply("A");
        // The same key twice in one command: served once.
        s.Block("A", ["BLPOP", "twice", "twice", "0"]);
        s.Admin("RPUSH", "twice", "a", "b");
        s.Reply("A");
        s.Admin("LRANGE", "twice", "0", "-1");
        // CLIENT REPLY OFF mutes the reply a blocked command eventually gets.
        s.Block("B", ["CLIENT", "REPLY", "SKIP"], ["BLPOP", "muted", "0"], ["ECHO", "visible"]);
        s.Admin("RPUSH", "muted", "m");
        s.Reply("B");
        s.Admin("EXISTS", "muted");
    });

    /// <summary>Timeouts as strtold and the x87 read them: which block forever, which time out at once, which are errors.</summary>
    [Fact]
    public void TimeoutSyntaxAndRounding() => Same(s =>
    {
        string[] timeouts =
        [
            "-0.001", "-0.0005", "-0.002", "-1e-3", "-0.00099999999999999999", "-0.0010000000000000001", "-0x1p-10", "-.001", "-0", "0x0", "0.0",
            "0.001", "+1e-3", "0x.1p-8", "1e-400", "1.9e-4951", "1.8e-4951", "0x1p-16445", "0x1p-16446", "9223372036854775.807",
            "9223372036854775.808", "-9223372036854775.808", "1e18", "1.18973149535723176502e4932", "1.2e4932", "0x1p16383", "0x1p16384",
            "inf", "-Infinity", "nan", "1e", "1e+", "0x", ".", "", " 1", "1 ", "1\01", "abc", "0x1p", "1.5.5",
        ];
        foreach (var t in timeouts) s.Try("A", "BLPOP", "never", t);
        s.Try("A", "BLMOVE", "never", "d", "LEFT", "LEFT", "-0.001");
        s.Try("A", "BLMPOP", "-0.001", "1", "never", "LEFT");
        s.Try("A", "BRPOPLPUSH", "never", "d", "-0.0005");
    });

    /// <summary>
    /// A seeded random mix over three keys: four clients issue blocking commands (all forms, no
    /// timeout) while an admin pushes, moves, deletes, overwrites with strings and unblocks; after
    /// each admin command, exactly the clients the server no longer shows blocked must have a reply.
    /// </summary>
    [Fact]
    public void RandomizedBlockingDifferential()
    {
        int seed = Environment.GetEnvironmentVariable("VERMILION_SEED") is { } env ? int.Parse(env) : 4711;
        try
        {
            var transcript = Same(s => RandomBlockingScript(s, seed));
            // The mix must really exercise blocking: many clients blocked, then served, unblocked or left waiting.
            int blocks = transcript.Count(l => l.Contains(" blocks: ")), served = transcript.Count(l => l.Contains(" <= *2") || l.Contains(" <= $"));
            Assert.True(blocks >= 30 && served >= 15, $"only {blocks} blocked and {served} served");
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new Exception($"seed {seed}: {e.Message}", e);
        }
    }

    static void RandomBlockingScript(Scenario s, int seed)
    {
        var rng = new Random(seed);
        string[] clients = ["A", "B", "C", "D"];
        var ids = clients.ToDictionary(c => c, s.Id);
        var blocked = new HashSet<string>();
        string Key() => "k" + rng.Next(3);
        string End() => rng.Next(2) == 0 ? "LEFT" : "RIGHT";
        int value = 0;
        string[] Values() => [.. Enumerable.Range(0, rng.Next(1, 3)).Select(_ => "v" + value++)];
        string[] BlockingCommand() => rng.Next(5) switch
        {
            0 => ["BLPOP", Key(), Key(), "0"],
            1 => ["BRPOP", Key(), "0"],
            2 => ["BLMOVE", Key(), Key(), End(), End(), "0"],
            3 => ["BRPOPLPUSH", Key(), Key(), "0"],
            _ => ["BLMPOP", "0", "2", Key(), Key(), End(), "COUNT", rng.Next(1, 4).ToString()],
        };
        string[] AdminCommand() => rng.Next(12) switch
        {
            0 or 1 => ["RPUSH", Key(), .. Values()],
            2 => ["LPUSH", Key(), .. Values()],
            3 => ["LMOVE", Key(), Key(), End(), End()],
            4 => ["RPOPLPUSH", Key(), Key()],
            5 or 6 => ["DEL", Key()],
            7 => ["SET", Key(), "string"],
            8 => ["RENAME", Key(), Key()],
            9 => ["COPY", Key(), Key(), "REPLACE"],
            _ => ["LPOP", Key(), "3"],
        };
        void Settle()
        {
            var now = s.BlockedNames();
            foreach (var who in clients.Where(c => blocked.Contains(c) && !now.Contains(c))) s.Reply(who);
            blocked = now;
        }
        for (int step = 0; step < 400; step++)
        {
            int op = rng.Next(10);
            var free = clients.Where(c => !blocked.Contains(c)).ToArray();
            if (op < 5 && free.Length > 0)
            {
                var who = free[rng.Next(free.Length)];
                if (s.SendMaybeBlocking(who, BlockingCommand())) blocked.Add(who);
            }
            else if (op == 9 && blocked.Count > 0)
            {
                var who = blocked.OrderBy(c => c).ElementAt(rng.Next(blocked.Count));
                s.Admin("CLIENT", "UNBLOCK", ids[who], rng.Next(2) == 0 ? "TIMEOUT" : "ERROR");
                Settle();
            }
            else
            {
                s.Admin(AdminCommand());
                Settle();
            }
        }
        foreach (var who in blocked.OrderBy(c => c)) s.Admin("CLIENT", "UNBLOCK", ids[who]);
        Settle();
        for (int k = 0; k < 3; k++) s.Admin("LRANGE", "k" + k, "0", "-1");
    }

    [Fact]
    public void KilledWhileBlocked() => Same(s =>
    {
        string id = s.Id("A");
        s.Block("A", ["BLPOP", "kk", "0"]);
        s.Admin("CLIENT", "KILL", "ID", id);
        var deadline = Environment.TickCount64 + 3000;
        while (s.BlockedClients() > 0 && Environment.TickCount64 < deadline) Thread.Sleep(5);
        s.Log.Add("blocked_clients " + s.InfoField("clients", "blocked_clients"));
        s.Admin("RPUSH", "kk", "x");
        s.Admin("LLEN", "kk");
    });
}
