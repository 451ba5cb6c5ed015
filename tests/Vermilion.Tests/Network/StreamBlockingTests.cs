using Xunit;

namespace Vermilion.Tests;

/// <summary>
/// XREAD and XREADGROUP with BLOCK and several clients, as transcripts compared with
/// redis-server 7.0.15's: served by XADD in the order they blocked, from the key that got data
/// only, COUNT 1000 when none was given; timeouts; a deleted or overwritten key and a destroyed
/// group; CLIENT UNBLOCK; MULTI; RESP3.
/// </summary>
[Trait("Category", "Network")]
public class StreamBlockingTests(StreamBlockingTests.Servers servers) : IClassFixture<StreamBlockingTests.Servers>
{
    /// <summary>The oracle at hz 100: its timeouts answer within 10 ms of their deadline, as Vermilion's timer does.</summary>
    public sealed class Servers() : DifferentialServers(redisArgs: ["--hz", "100"], vermilionArgs: []);

    /// <summary>A scenario's clients: "a", "b"... block; "admin" writes. Replies go to the transcript in the order they are read.</summary>
    sealed class Clients(Func<RespSocket> connect, int resp) : IDisposable
    {
        readonly Dictionary<string, RespSocket> _clients = new();
        public readonly List<string> Log = new();
        readonly RespSocket _admin = connect();
        int _blocked;

        RespSocket Get(string who)
        {
            if (_clients.TryGetValue(who, out var c)) return c;
            c = connect();
            if (resp == 3) c.Call("HELLO", "3");
            return _clients[who] = c;
        }

        public void Admin(params string[] cmd) => Log.Add($"admin> {string.Join(' ', cmd)} => {_admin.Call(cmd)}");

        public void Block(string who, params string[] cmd)
        {
            Get(who).Send(RespSocket.Encode(cmd));
            EffectScript.WaitBlocked(_admin, ++_blocked);
            Log.Add($"{who} blocks: {string.Join(' ', cmd)}");
        }

        /// <summary>The reply the client got; it is no longer blocked.</summary>
        public void Reply(string who)
        {
            Log.Add($"{who} <= {Get(who).ReadReply(5000)}");
            _blocked--;
        }

        /// <summary>The client still waits (nothing arrived within 100 ms).</summary>
        public void StillBlocked(string who) => Log.Add($"{who} quiet: {Get(who).IsQuiet(100)}");

        public void Unblock(string who, string how) =>
            Log.Add($"admin> CLIENT UNBLOCK <{who}> {how} => {_admin.Call("CLIENT", "UNBLOCK", _clientIds[who], how)}");

        readonly Dictionary<string, string> _clientIds = new();

        /// <summary>Asks the client's id before it blocks (CLIENT UNBLOCK needs it; the transcript shows only the name).</summary>
        public void KnowId(string who) => _clientIds[who] = Get(who).Call("CLIENT", "ID")[1..^2];

        public void Dispose()
        {
            foreach (var c in _clients.Values) c.Dispose();
            _admin.Dispose();
        }

        public static List<string> Run(Func<RespSocket> connect, int resp, Action<Clients> scenario)
        {
            using var c = new Clients(connect, resp);
            c._admin.Call("FLUSHALL");
            scenario(c);
            return c.Log;
        }
    }

    void Same(Action<Clients> scenario)
    {
        servers.Same(connect => Clients.Run(connect, 2, scenario));
        servers.Same(connect => Clients.Run(connect, 3, scenario));
    }

    [Fact]
    public void ServedFromTheKeyThatGotData() => Same(c =>
    {
        c.Admin("XADD", "s1", "1-1", "a", "1");
        c.Block("a", "XREAD", "BLOCK", "0", "STREAMS", "s1", "s2", "$", "$");
        c.Admin("XADD", "s2", "5-1", "b", "2");
        c.Reply("a");
        c.Block("a", "XREAD", "BLOCK", "0", "STREAMS", "s1", "s2", "1-1", "5-1");
        c.Admin("XADD", "s1", "2-1", "c", "3");
        c.Reply("a");
    });

    [Fact]
    public void ServedInOrderWithTheirCounts() => Same(c =>
    {
        c.Admin("XGROUP", "CREATE", "s", "g", "$", "MKSTREAM");
        c.Block("a", "XREADGROUP", "GROUP", "g", "alice", "BLOCK", "0", "STREAMS", "s", ">");
        c.Block("b", "XREADGROUP", "GROUP", "g", "bob", "BLOCK", "0", "COUNT", "2", "STREAMS", "s", ">");
        c.Block("x", "XREAD", "BLOCK", "0", "COUNT", "2", "STREAMS", "s", "$");
        c.Block("y", "XREAD", "BLOCK", "0", "STREAMS", "s", "$");
        c.Admin("MULTI");
        c.Admin("XADD", "s", "1-1", "a", "1");
        c.Admin("XADD", "s", "2-1", "a", "2");
        c.Admin("XADD", "s", "3-1", "a", "3");
        c.Admin("EXEC");
        c.Reply("a");
        c.Reply("x");
        c.Reply("y");
        c.StillBlocked("b");
        c.Admin("XADD", "s", "4-1", "a", "4");
        c.Reply("b");
        c.Admin("XPENDING", "s", "g");
        c.Admin("XINFO", "GROUPS", "s");
    });

    [Fact]
    public void TimeoutsAndUnblock() => Same(c =>
    {
        c.Block("a", "XREAD", "BLOCK", "50", "STREAMS", "s", "$");
        c.Reply("a");
        c.Admin("XGROUP", "CREATE", "s", "g", "$", "MKSTREAM");
        c.Block("a", "XREADGROUP", "GROUP", "g", "c", "BLOCK", "50", "STREAMS", "s", ">");
        c.Reply("a");
        c.KnowId("b");
        c.Block("b", "XREAD", "BLOCK", "0", "STREAMS", "s", "$");
        c.Unblock("b", "TIMEOUT");
        c.Reply("b");
        c.Block("b", "XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">");
        c.Unblock("b", "ERROR");
        c.Reply("b");
        c.Admin("XINFO", "CONSUMERS", "s", "g");
    });

    [Fact]
    public void DeletedOrOverwrittenKeysAndDestroyedGroups() => Same(c =>
    {
        c.Admin("XGROUP", "CREATE", "s", "g", "$", "MKSTREAM");
        c.Block("a", "XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">");
        c.Block("x", "XREAD", "BLOCK", "0", "STREAMS", "s", "$");
        c.Admin("DEL", "s");
        c.Reply("a");
        c.StillBlocked("x");
        c.Admin("XADD", "s", "1-1", "a", "1");
        c.Reply("x");

        c.Admin("XGROUP", "CREATE", "s", "g", "$");
        c.Block("a", "XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">");
        c.Block("x", "XREAD", "BLOCK", "0", "STREAMS", "s", "$");
        c.Admin("SET", "s", "now a string");
        c.Reply("a");
        c.StillBlocked("x");
        c.Admin("DEL", "s");
        c.Admin("XADD", "s", "2-1", "a", "1");
        c.Reply("x");

        c.Admin("XGROUP", "CREATE", "s", "g", "$");
        c.Block("a", "XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">");
        c.Admin("XGROUP", "DESTROY", "s", "g");
        c.Reply("a");

        c.Admin("XGROUP", "CREATE", "s", "g", "$");
        c.Block("a", "XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">");
        c.Admin("MULTI");
        c.Admin("DEL", "s");
        c.Admin("XADD", "s", "3-1", "a", "1");
        c.Admin("EXEC");
        c.Reply("a");

        c.Admin("XGROUP", "CREATE", "s", "g", "$");
        c.Block("a", "XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">");
        c.Admin("FLUSHALL");
        c.Reply("a");
    });

    [Fact]
    public void TrimmedAwayAndSameKeyTwice() => Same(c =>
    {
        c.Admin("XADD", "s", "1-1", "a", "1");
        c.Block("x", "XREAD", "BLOCK", "0", "STREAMS", "s", "$");
        c.Admin("XADD", "s", "MAXLEN", "0", "2-1", "a", "2");
        c.Reply("x");
        c.Admin("XGROUP", "CREATE", "s", "g", "$");
        c.Admin("XADD", "s", "3-1", "a", "3");
        c.Admin("XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", "s", ">", ">");
        c.Admin("XADD", "s", "4-1", "a", "4");
        c.Admin("XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", "s", ">", "0");
        c.Admin("XREAD", "STREAMS", "s", "s", "0", "3-1");
    });

    [Fact]
    public void NoBlockingInsideMulti() => Same(c =>
    {
        c.Admin("XGROUP", "CREATE", "s", "g", "$", "MKSTREAM");
        c.Admin("MULTI");
        c.Admin("XREAD", "BLOCK", "0", "STREAMS", "s", "$");
        c.Admin("XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">");
        c.Admin("EXEC");
        c.Admin("XLEN", "s");
    });
}
