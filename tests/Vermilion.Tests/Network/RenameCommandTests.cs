using Xunit;

namespace Vermilion.Tests;

/// <summary>Both servers started with the same rename-command lines (GET renamed, SET removed, CLIENT and CONFIG renamed containers).</summary>
public sealed class RenamedCommandServers : DifferentialServers
{
    static readonly string[] s_renames = ["--rename-command", "get", "g2", "--rename-command", "set", "", "--rename-command", "client", "cl",
        "--rename-command", "config", "cfg", "--rename-command", "GETRANGE", "GETRANGE2"];

    public RenamedCommandServers() : base(s_renames, s_renames) { }
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
