using Xunit;

namespace Vermilion.Tests;

/// <summary>Both servers started with the same rename-command lines (GET renamed, SET removed, CLIENT and CONFIG renamed containers).</summary>
public sealed class RenamedCommandServers : DifferentialServers
{
    static readonly string[] s_renames = ["--rename-command", "get", "g2", "--rename-command", "set", "", "--rename-command", "client", "cl",
        "--rename-command", "config", "cfg", "--rename-command", "GETRANGE", "GETRANGE2"];

    public RenamedCommandServers() : base(s_renames, s_renames) { }
}

/// <summary>Renamed commands whose procs serve two names (MSET/MSETNX, ZREMRANGEBYSCORE/BYLEX, BLMOVE/BRPOPLPUSH), with the effect stream recorded.</summary>
public sealed class RenamedEffectServers() : EffectServers(["--rename-command", "mset", "ms2", "--rename-command", "zremrangebyscore", "zrs",
    "--rename-command", "brpoplpush", "bpl", "--rename-command", "blmove", "bm"]);

/// <summary>
/// A proc that serves two commands must tell them apart by which one it was bound as, not by
/// argv[0], which rename-command may have changed: arity errors, keyspace events and what is
/// propagated (the AOF) are the command's own, as redis-server 7.0.15 gives them.
/// </summary>
[Trait("Category", "Network")]
public class RenamedSharedProcTests(RenamedEffectServers servers) : IClassFixture<RenamedEffectServers>
{
    [Fact]
    public void ErrorsEventsAndEffectsNameTheCommand()
    {
        var before = (Redis: servers.RedisAof().Length, Vermilion: servers.Sink.Bytes().Length);
        servers.Same(connect =>
        {
            using var admin = connect();
            admin.Call("FLUSHALL");
            admin.Call("CONFIG", "SET", "notify-keyspace-events", "KEA");
            using var events = connect();
            var t = new List<string> { events.Call("PSUBSCRIBE", "__keyevent@0__:*") };
            using var c = connect();
            t.Add(c.Call("MS2", "a", "1", "b"));
            t.Add(c.Call("MSETNX", "a", "1", "b"));
            t.Add(c.Call("MS2", "a", "1"));
            t.Add(c.Call("ZADD", "z", "1", "x", "2", "y"));
            t.Add(c.Call("ZRS", "z", "0", "1"));
            t.Add(c.Call("RPUSH", "src", "e1", "e2"));
            t.Add(c.Call("BPL", "src", "dst", "0"));
            t.Add(c.Call("BM", "src", "dst", "LEFT", "RIGHT", "0"));
            using var blocked = connect();
            blocked.Send(RespSocket.Encode("BPL", "empty", "dst", "0"));
            Thread.Sleep(100);
            t.Add(c.Call("RPUSH", "empty", "e3"));
            t.Add(RespSocket.Show(blocked.ReadReply()));
            admin.Call("CONFIG", "SET", "notify-keyspace-events", "");
            for (int i = 0; i < 8; i++) t.Add(RespSocket.Show(events.ReadReply()));
            return t;
        });
        Assert.Equal(EffectServers.Lines(servers.RedisAof(), before.Redis).Where(l => !l.StartsWith("CONFIG")),
            EffectServers.Lines(servers.Sink.Bytes(), before.Vermilion).Where(l => !l.StartsWith("CONFIG")));
    }
}

/// <summary>
/// rename-command against redis-server 7.0.15: a renamed command answers only to its new name, yet
/// keeps its built name in replies (COMMAND INFO/LIST/DOCS, errors, commandstats, CLIENT LIST) and
/// in ACL rules and categories (orig_commands); ACL DRYRUN and scripts call by the new name.
/// </summary>
[Trait("Category", "Network")]
public class RenameCommandTests(RenamedCommandServers servers) : IClassFixture<RenamedCommandServers>
{
    // A description holds one single-command rule at most: Redis lists several in its dict's random order.
    static readonly string[][] s_clean = [["ACL", "DELUSER", "u1", "u2", "u3"]];

    [Fact]
    public void CalledByTheNewNameOnly() => servers.Same(
        ["G2", "k"], ["GET", "k"], ["SET", "k", "v"], ["g2"], ["getrange2", "k", "0", "1"], ["GETRANGE", "k", "0", "1"],
        ["CL", "SETNAME", "x"], ["CL", "GETNAME"], ["CLIENT", "GETNAME"], ["cl", "nosuch"], ["CFG", "GET", "maxmemory"], ["CONFIG", "GET", "maxmemory"],
        ["EVAL", "return redis.call('g2','k')", "0"], ["EVAL", "return redis.call('get','k')", "0"], ["EVAL", "return redis.pcall('set','k','v')", "0"],
        ["MULTI"], ["G2", "k"], ["GET", "k"], ["EXEC"], ["MULTI"], ["G2", "k"], ["EXEC"]);

    [Fact]
    public void CommandIntrospectionShowsBuiltNames() => servers.Same(
        ["COMMAND", "INFO", "g2", "get", "set", "cl|list", "client|list", "getrange2"], ["COMMAND", "DOCS", "g2", "get"],
        ["COMMAND", "GETKEYS", "g2", "k"], ["COMMAND", "GETKEYS", "get", "k"], ["~COMMAND", "LIST", "FILTERBY", "PATTERN", "g*"],
        ["~COMMAND", "LIST", "FILTERBY", "ACLCAT", "string"], ["~COMMAND", "LIST", "FILTERBY", "PATTERN", "conf*"]);

    [Fact]
    public void CommandCountDropsTheRemovedOne()
    {
        using var pair = servers.Connect();
        var (redis, vermilion) = pair;
        // Vermilion lacks replication's commands, so compare what the rename changes: one fewer, and the
        // built names listed (COMMAND LIST shows subcommands too, COMMAND COUNT only commands).
        foreach (var s in pair.Both)
        {
            var list = RespReply.Parse(s.Call("COMMAND", "LIST")).Texts();
            Assert.Equal(list.Count(n => !n.Contains('|')).ToString(), RespReply.Parse(s.Call("COMMAND", "COUNT")).Text);
            Assert.Contains("get", list);
            Assert.Contains("client", list);
            Assert.DoesNotContain("set", list);
            Assert.DoesNotContain("g2", list);
        }
    }

    [Fact]
    public void AclRulesUseBuiltNames() => servers.Same(new SameOptions { Setup = s_clean },
        ["ACL", "SETUSER", "u1", "on", "nopass", "+g2"], ["ACL", "SETUSER", "u1", "on", "nopass", "+get", "+set", "~*"], ["ACL", "SETUSER", "u2", "+@string", "-g2"],
        ["ACL", "SETUSER", "u3", "on", "nopass", "+cl|list"], ["ACL", "SETUSER", "u3", "+client|list"], ["ACL", "GETUSER", "u3"], ["ACL", "SETUSER", "u3", "+config|get"],
        ["ACL", "DRYRUN", "u1", "g2", "k"], ["ACL", "DRYRUN", "u1", "get", "k"], ["ACL", "DRYRUN", "u3", "cl", "list"], ["ACL", "DRYRUN", "u3", "cfg", "get", "x"],
        ["ACL", "DRYRUN", "u3", "g2", "k"], ["~ACL", "CAT", "string"], ["AUTH", "u3", "x"], ["G2", "k"], ["CFG", "GET", "maxmemory"], ["CFG", "SET", "maxmemory", "0"]);
}
