using Xunit;

namespace Vermilion.Tests;

/// <summary>
/// A generated test over the whole command table against redis-server 7.0.15: for every command and
/// subcommand both servers list, a user allowed everything but that command runs it (with as many
/// arguments as its arity asks, so the arity check passes) and must get Redis's reply byte for byte:
/// the NOPERM text, or the error processCommand gives before the ACL check (DEBUG and MODULE LOAD
/// refused by enable-*-command). One admin and one user connection per server.
/// </summary>
[Trait("Category", "Network")]
public class AclCommandTableTests(DifferentialServers servers) : IClassFixture<DifferentialServers>
{
    /// <summary>
    /// Commands flagged no-auth (AUTH, HELLO, QUIT, RESET) are never checked (ACLCheckAllUserCommandPerm
    /// skips CMD_NO_AUTH), so they would run: they are asserted to run, not compared.
    /// </summary>
    static bool NoAuth(RespReply info) => info.Items![2].Items!.Any(f => f.Text == "no_auth");

    [Fact]
    public void EveryCommandRefusedAsRedis()
    {
        using var redisAdmin = servers.Redis.Connect();
        using var vermilionAdmin = servers.Vermilion.Connect();
        using var redisUser = servers.Redis.Connect();
        using var vermilionUser = servers.Vermilion.Connect();
        var ours = Commands(vermilionAdmin);
        var theirs = Commands(redisAdmin);
        var both = theirs.Keys.Where(ours.ContainsKey).ToList();
        // What one server has and the other lacks (replication's commands, 7.2's CLIENT NO-TOUCH/SETINFO) is README's matter.
        Assert.True(both.Count > 300, $"only {both.Count} commands in common");
        foreach (var admin in new[] { redisAdmin, vermilionAdmin })
        {
            Assert.Equal("+OK\r\n", admin.Call("ACL", "SETUSER", "tableuser", "reset", "on", "nopass", "~*", "&*", "+@all"));
        }
        Assert.Equal("+OK\r\n", redisUser.Call("AUTH", "tableuser", "x"));
        Assert.Equal("+OK\r\n", vermilionUser.Call("AUTH", "tableuser", "x"));
        var mismatches = new List<string>();
        int compared = 0;
        foreach (var name in both)
        {
            var info = theirs[name];
            if (info.Items![9].Items is { Count: > 0 } && !name.Contains('|')) continue; // a container: its subcommands are tested
            if (NoAuth(info)) continue;
            int arity = int.Parse(info.Items[1].Text!);
            var argv = new List<string>(name.Split('|'));
            while (argv.Count < Math.Abs(arity)) argv.Add("x");
            foreach (var admin in new[] { redisAdmin, vermilionAdmin })
                Assert.Equal("+OK\r\n", admin.Call("ACL", "SETUSER", "tableuser", "+@all", "-" + name));
            string expected = redisUser.Call([.. argv]), actual = vermilionUser.Call([.. argv]);
            compared++;
            if (expected != actual) mismatches.Add($"{name}: redis {RespSocket.Show(expected)} vermilion {RespSocket.Show(actual)}");
            foreach (var admin in new[] { redisAdmin, vermilionAdmin })
                Assert.Equal("+OK\r\n", admin.Call("ACL", "SETUSER", "tableuser", "+" + name));
        }
        Assert.True(mismatches.Count == 0, $"{mismatches.Count} of {compared} differ:\n" + string.Join("\n", mismatches));
        // The log saw every refusal on both (its length is acllog-max-len's at most).
        Assert.Equal(redisAdmin.Call("ACL", "LOG", "1").Split("\r\n")[..12], vermilionAdmin.Call("ACL", "LOG", "1").Split("\r\n")[..12]);
        foreach (var admin in new[] { redisAdmin, vermilionAdmin })
        {
            admin.Call("ACL", "DELUSER", "tableuser");
            admin.Call("ACL", "LOG", "RESET");
        }
    }

    /// <summary>
    /// The same over the key specifications: a user allowed every command but no key (or keys only
    /// to read, or only to write) runs each command that has keys, with its arity's count of
    /// arguments ("k1", "k2"... so each key is told apart), and must get Redis's reply: the NOPERM
    /// for keys, or what the command answers where it may run or the dummy arguments hold no key.
    /// </summary>
    [Theory]
    [InlineData("resetkeys")]
    [InlineData("%R~*")]
    [InlineData("%W~*")]
    public void EveryCommandWithKeysRefusedAsRedis(string keys)
    {
        using var redisAdmin = servers.Redis.Connect();
        using var vermilionAdmin = servers.Vermilion.Connect();
        using var redisUser = servers.Redis.Connect();
        using var vermilionUser = servers.Vermilion.Connect();
        var ours = Commands(vermilionAdmin);
        var theirs = Commands(redisAdmin);
        foreach (var admin in new[] { redisAdmin, vermilionAdmin })
            Assert.Equal("+OK\r\n", admin.Call("ACL", "SETUSER", "keyless", "reset", "on", "nopass", "&*", "+@all", keys));
        Assert.Equal("+OK\r\n", redisUser.Call("AUTH", "keyless", "x"));
        Assert.Equal("+OK\r\n", vermilionUser.Call("AUTH", "keyless", "x"));
        var mismatches = new List<string>();
        int compared = 0;
        foreach (var (name, info) in theirs)
        {
            if (!ours.ContainsKey(name) || info.Items![8].Items is not { Count: > 0 } || NoAuth(info)) continue;
            int arity = int.Parse(info.Items[1].Text!);
            var argv = new List<string>(name.Split('|'));
            while (argv.Count < Math.Abs(arity)) argv.Add("k" + argv.Count);
            string expected = redisUser.Call([.. argv]), actual = vermilionUser.Call([.. argv]);
            compared++;
            if (expected != actual) mismatches.Add($"{string.Join(' ', argv)}: redis {RespSocket.Show(expected)} vermilion {RespSocket.Show(actual)}");
        }
        foreach (var admin in new[] { redisAdmin, vermilionAdmin })
        {
            admin.Call("ACL", "DELUSER", "keyless");
            admin.Call("ACL", "LOG", "RESET");
            admin.Call("FLUSHALL");
        }
        Assert.True(mismatches.Count == 0 && compared > 150, $"{mismatches.Count} of {compared} differ:\n" + string.Join("\n", mismatches));
    }

    /// <summary>COMMAND's entries by full name ("config|get"), subcommands included.</summary>
    static Dictionary<string, RespReply> Commands(RespSocket s)
    {
        var all = new Dictionary<string, RespReply>();
        void Add(RespReply info)
        {
            all[info.Items![0].Text!] = info;
            foreach (var sub in info.Items[9].Items ?? []) Add(sub);
        }
        foreach (var info in RespReply.Parse(s.Call("COMMAND")).Items!) Add(info);
        return all;
    }
}
