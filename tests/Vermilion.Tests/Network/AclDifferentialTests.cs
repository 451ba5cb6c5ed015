using Xunit;

namespace Vermilion.Tests;

/// <summary>ACL against redis-server 7.0.15: rules and their descriptions, errors, AUTH, permission checks, the log. Rules are chosen so descriptions hold at most one single-command rule (Redis lists those in its dict's random order).</summary>
[Trait("Category", "Network")]
public class AclDifferentialTests(DifferentialServers servers) : IClassFixture<DifferentialServers>
{
    static readonly string[][] s_clean = [["ACL", "DELUSER", "u1", "u2", "bin\x01"], ["ACL", "LOG", "RESET"], ["ACL", "SETUSER", "default", "reset", "on", "nopass", "~*", "&*", "+@all"]];

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void RulesDescriptionsAndErrors(int resp) => servers.Same(new SameOptions { Resp = resp, Setup = s_clean },
        ["ACL", "LIST"], ["ACL", "SETUSER", "u1", "+@all", "-get", "~a", "%R~b", "%W~c", "resetchannels", "&x"], ["ACL", "LIST"], ["ACL", "GETUSER", "u1"],
        ["ACL", "SETUSER", "u1", "reset", "-@all", "+@read"], ["ACL", "GETUSER", "u1"], ["ACL", "SETUSER", "u1", "(+get ~x)", "(", "+set", "%W~y)"],
        ["ACL", "GETUSER", "u1"], ["ACL", "LIST"], ["ACL", "SETUSER", "u1", ">pass", "#aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"],
        ["ACL", "GETUSER", "u1"], ["ACL", "SETUSER", "u1", "#AAAA"], ["ACL", "SETUSER", "u1", "<nope"], ["ACL", "SETUSER", "u1", "!" + new string('b', 64)],
        ["ACL", "SETUSER", "u1", "+nosuch"], ["ACL", "SETUSER", "u1", "+@nosuch"], ["ACL", "SETUSER", "u1", "+config|get|x"], ["ACL", "SETUSER", "u1", "+get|"],
        ["ACL", "SETUSER", "u1", "-select|0"], ["ACL", "SETUSER", "u1", "%"], ["ACL", "SETUSER", "u1", "%X~a"], ["ACL", "SETUSER", "u1", "allkeys", "~a"],
        ["ACL", "SETUSER", "u1", "allchannels", "&a"], ["ACL", "SETUSER", "u1", "(+get"], ["ACL", "SETUSER", "u1", "(~* ~a)"], ["ACL", "SETUSER", "u1", "bogus"],
        ["ACL", "SETUSER", "a b"], ["ACL", "SETUSER", "u2", "clearselectors", "nocommands", "+select|0"], ["ACL", "LIST"], ["ACL", "SETUSER", "bin\x01", "on"], ["ACL", "USERS"],
        ["ACL", "CAT"], ["ACL", "CAT", "nosuch"], ["ACL", "CAT", "a", "b"], ["ACL", "WHOAMI"], ["ACL", "GETUSER", "nobody"], ["ACL", "DELUSER", "default"],
        ["ACL", "DELUSER", "u2", "nobody"], ["ACL", "GENPASS", "0"], ["ACL", "GENPASS", "x"], ["ACL", "GENPASS", "4097"], ["ACL", "HELP"], ["ACL", "LOAD"], ["ACL", "SAVE"],
        ["ACL", "DRYRUN", "u1", "get", "x"], ["ACL", "DRYRUN", "u1", "set", "y", "1"], ["ACL", "DRYRUN", "u1", "set", "z", "1"], ["ACL", "DRYRUN", "u1", "flushall"],
        ["ACL", "DRYRUN", "nobody", "get", "a"], ["ACL", "DRYRUN", "u1", "nosuch"], ["ACL", "DRYRUN", "u1", "get"], ["AUTH", "x"], ["AUTH", "u1", "wrong"], ["AUTH", "a", "b", "c"]);

    /// <summary>RESET makes the connection the default user again, authenticated only while that user is on and nopass.</summary>
    [Fact]
    public void ResetReturnsToTheDefaultUser() => servers.Same(connect =>
    {
        using var admin = connect();
        foreach (var c in s_clean) admin.Call(c);
        admin.Call("ACL", "SETUSER", "u1", "on", ">p1", "+@all", "~*");
        using var u = connect();
        var t = new List<string> { u.Call("AUTH", "u1", "p1"), u.Call("ACL", "WHOAMI"), u.Call("RESET"), u.Call("ACL", "WHOAMI"), u.Call("AUTH", "u1", "p1") };
        t.Add(admin.Call("ACL", "SETUSER", "default", "resetpass", ">secret"));
        t.Add(u.Call("RESET"));
        t.Add(u.Call("GET", "x"));
        t.Add(u.Call("AUTH", "secret"));
        t.Add(u.Call("ACL", "WHOAMI"));
        foreach (var c in s_clean) t.Add(admin.Call(c));
        return t;
    });

    /// <summary>A restricted user's commands, keys, channels, MULTI and scripts; then the log's first fields (age and client info differ).</summary>
    [Fact]
    public void PermissionChecksAndLog() => servers.Same(connect =>
    {
        using var admin = connect();
        foreach (var c in s_clean) admin.Call(c);
        admin.Call("ACL", "SETUSER", "u1", "on", ">p1", "+@all", "-flushall", "~a*", "%R~r*", "%W~w*", "resetchannels", "&ch1");
        using var u = connect();
        var t = new List<string> { u.Call("GET", "x"), u.Call("AUTH", "u1", "p1"), u.Call("ACL", "WHOAMI") };
        foreach (var cmd in new[] { new[] { "GET", "abc" }, ["GET", "zzz"], ["SET", "rkey", "1"], ["GET", "rkey"], ["SET", "wkey", "1"], ["GET", "wkey"], ["FLUSHALL"],
                     ["PUBLISH", "ch1", "m"], ["PUBLISH", "ch2", "m"], ["SUBSCRIBE", "ch2"], ["COPY", "a1", "w1"], ["MSET", "a1", "1", "zz", "2"],
                     ["EVAL", "return redis.call('get','zzz')", "0"], ["EVAL", "return redis.acl_check_cmd('get','zzz')", "0"], ["EVAL", "return redis.acl_check_cmd('get','abc')", "0"],
                     ["MULTI"], ["GET", "zzz"], ["GET", "abc"], ["EXEC"] })
            t.Add(u.Call(cmd));
        t.Add(admin.Call("CONFIG", "SET", "requirepass", "secret"));
        using var late = connect();
        t.Add(late.Call("PING"));
        t.Add(late.Call("HELLO", "2"));
        t.Add(late.Call("AUTH", "secret"));
        t.Add(late.Call("CONFIG", "GET", "requirepass"));
        t.Add(late.Call("CONFIG", "SET", "requirepass", ""));
        var log = admin.Call("ACL", "LOG");
        // count, reason, context, object and username of each entry, not age-seconds and client-info.
        var lines = log.Split("\r\n").Where(l => !l.StartsWith('$')).ToList();
        t.Add(string.Join("|", lines.Where((_, i) => i == 0 || lines[i - 1] is not ("age-seconds" or "client-info"))));
        t.Add(admin.Call("ACL", "DELUSER", "u1"));
        t.Add(u.WaitForClose() ? "closed" : "open");
        return t;
    });

    /// <summary>ACL LOG's client-info holds the refused command as the client's argv (argv-mem, cmd), at the top level, in MULTI, from a script and for AUTH.</summary>
    [Fact]
    public void LogClientInfoHoldsTheRefusedCommand() => servers.Same(connect =>
    {
        using var admin = connect();
        foreach (var c in s_clean) admin.Call(c);
        admin.Call("ACL", "SETUSER", "u1", "on", ">p1", "+@all", "-get", "~k*");
        using var u = connect();
        u.Call("AUTH", "u1", "p1");
        u.Call("GET", "abcdefgh");
        u.Call("SET", "zz", "value-of-some-length");
        u.Call("EVAL", "return redis.pcall('get','kk')", "0");
        u.Call("MULTI");
        u.Call("GET", "k1");
        u.Call("DISCARD");
        u.Call("AUTH", "u1", "wrong-password");
        var fields = new List<string>();
        foreach (var line in admin.Call("ACL", "LOG").Split("\r\n").Where(l => l.StartsWith("id=")))
            fields.Add(string.Join(' ', line.Split(' ').Where(f => f.StartsWith("argv-mem=") || f.StartsWith("cmd=") || f.StartsWith("multi=") || f.StartsWith("user="))));
        return fields;
    });

    static readonly string s_huge = new('p', 1 << 20);

    /// <summary>Bad input: empty and huge passwords, binary user names, malformed rules and selectors, unknown categories and commands.</summary>
    [Fact]
    public void BadInput() => servers.Same(new SameOptions { Setup = [.. s_clean, ["ACL", "DELUSER", "", "\0\xff\r\n", "u3"]] },
        ["ACL", "SETUSER", "u1", "on", ">"], ["AUTH", "u1", ""], ["AUTH", "u1", "x"], ["ACL", "SETUSER", "u1", "<"], ["ACL", "SETUSER", "u1", "<", "<"],
        ["ACL", "SETUSER", "u1", "#"], ["ACL", "SETUSER", "u1", "!"], ["ACL", "SETUSER", "u1", ">" + s_huge], ["AUTH", "u1", s_huge], ["AUTH", "u1", s_huge + "q"],
        ["ACL", "SETUSER", "u1", "<" + s_huge], ["ACL", "GETUSER", "u1"], ["ACL", "SETUSER", "u1", "resetpass", "nopass", ">a", "nopass"], ["ACL", "GETUSER", "u1"],
        ["ACL", "SETUSER", ""], ["ACL", "SETUSER", "\0\xff\r\n", "on", "nopass", "+@all"], ["ACL", "USERS"], ["ACL", "GETUSER", "\0\xff\r\n"], ["AUTH", "\0\xff\r\n", "x"],
        ["ACL", "WHOAMI"], ["ACL", "GETUSER", new string('u', 100_000)], ["ACL", "DELUSER", "\0\xff\r\n", ""], ["ACL", "USERS"],
        ["ACL", "SETUSER", "u2", "("], ["ACL", "SETUSER", "u2", ")"], ["ACL", "SETUSER", "u2", "()"], ["ACL", "SETUSER", "u2", "( )"], ["ACL", "SETUSER", "u2", "(+get"],
        ["ACL", "SETUSER", "u2", "+get)"], ["ACL", "SETUSER", "u2", "((~a))"], ["ACL", "SETUSER", "u2", "(~a", "(~b)"], ["ACL", "SETUSER", "u2", "(on)"], ["ACL", "SETUSER", "u2", "(>pass)"],
        ["ACL", "SETUSER", "u2", "(", "~a", ")"], ["ACL", "SETUSER", "u2", "(nopass)"], ["ACL", "SETUSER", "u2", "(clearselectors)"], ["ACL", "SETUSER", "u2", "(reset)"],
        ["ACL", "SETUSER", "u2", "+@"], ["ACL", "SETUSER", "u2", "-@"], ["ACL", "SETUSER", "u2", "+@READ"], ["ACL", "SETUSER", "u2", "+@Read", "-@ALL"], ["ACL", "SETUSER", "u2", "+"],
        ["ACL", "SETUSER", "u2", "-"], ["ACL", "SETUSER", "u2", "~"], ["ACL", "SETUSER", "u2", "&"], ["ACL", "SETUSER", "u2", "%R"], ["ACL", "SETUSER", "u2", "%RW~"], ["ACL", "SETUSER", "u2", "%~a"],
        ["ACL", "SETUSER", "u2", "%RR~a"], ["ACL", "SETUSER", "u2", "%WR~a"], ["ACL", "SETUSER", "u2", "+GET"], ["ACL", "SETUSER", "u2", "+get|x|y"], ["ACL", "SETUSER", "u2", "-get|x"],
        ["ACL", "SETUSER", "u2", "+client|nosuch"], ["ACL", "SETUSER", "u2", "+config|get|"], ["ACL", "SETUSER", "u2", "+@all|x"], ["ACL", "SETUSER", "u2", "+\0"], ["ACL", "SETUSER", "u2", "~\0\xff"],
        ["ACL", "SETUSER", "u2", "allkeys", "%R~x"], ["ACL", "SETUSER", "u2", "#" + new string('z', 64)], ["ACL", "SETUSER", "u2", "#" + new string('a', 63) + "G"], ["ACL", "SETUSER", "u2", "!" + new string('a', 65)],
        ["ACL", "SETUSER", "u2", "on", "off", "ON", "bogus", "+get"], ["ACL", "GETUSER", "u2"], ["ACL", "LIST"], ["ACL", "CAT", "@read"], ["ACL", "CAT", "READ"], ["ACL", "CAT", ""],
        ["ACL", "DRYRUN", "u2", ""], ["ACL", "DRYRUN", "u2", "get", "\0\xff"], ["ACL", "DRYRUN", "", "get"], ["ACL", "GENPASS", "-1"], ["ACL", "GENPASS", "99999999999999999999"],
        ["ACL", "LOG", "-1"], ["ACL", "LOG", "x"], ["ACL", "LOG", "0"], ["ACL", "LOG", "1", "2"], ["ACL", "DELUSER"], ["ACL", "SETUSER"], ["ACL"], ["ACL", "nosuch"]);

    /// <summary>SORT's BY (with a '*') and GET read keys no key spec names: only a user reading every key (in a selector that allows the call) may use them.</summary>
    [Fact]
    public void SortByAndGetNeedEveryKey() => servers.Same(connect =>
    {
        using var admin = connect();
        foreach (var c in s_clean) admin.Call(c);
        admin.Call("DEL", "w1", "l");
        admin.Call("RPUSH", "l", "2", "1");
        admin.Call("SET", "w1", "5");
        using var u = connect();
        var t = new List<string>();
        foreach (var rules in new[] { new[] { "(+sort ~l)" }, ["(+sort ~l ~w*)"], ["(+sort ~l %W~*)"], ["(+sort ~l %R~*)"], ["+sort", "+sort_ro", "+eval", "~l"], ["+sort", "+eval", "~*"],
                     ["+sort", "~l", "(+sort_ro ~*)"], ["+@all", "allkeys"] })
        {
            t.Add(admin.Call(["ACL", "SETUSER", "u1", "reset", "on", "nopass", .. rules]));
            t.Add(u.Call("AUTH", "u1", "x"));
            foreach (var cmd in new[] { new[] { "SORT", "l", "BY", "w*" }, ["SORT", "l", "GET", "w*"], ["SORT", "l", "BY", "nosort"], ["SORT", "l", "GET", "#"], ["SORT_RO", "l", "BY", "w*", "GET", "#"],
                         ["SORT", "l", "LIMIT", "x", "y", "BY", "w*"], ["SORT", "l", "BY", "w*", "LIMIT", "x", "y"], ["EVAL", "return redis.pcall('sort', 'l', 'by', 'w*')", "0"] })
                t.Add(u.Call(cmd));
        }
        return t;
    });

    /// <summary>
    /// ACL GETUSER's command rules for every category alone and mixed with others, against
    /// redis-server 7.0.15. Compared as sets: Redis lists single-command rules in its dict's random
    /// order, and the greedy category fit may take two categories in either order where the tables
    /// differ (no replication commands here, 7.2's CLIENT NO-TOUCH/SETINFO there), whose rules are dropped.
    /// </summary>
    [Fact]
    public void DescriptionsOfEveryCategory()
    {
        using var pair = servers.Connect();
        var (redis, vermilion) = pair;
        var onlyOne = new HashSet<string>(CommandNames(redis));
        onlyOne.SymmetricExceptWith(CommandNames(vermilion));
        var mismatches = new List<string>();
        var categories = RespReply.Parse(redis.Call("ACL", "CAT")).Texts();
        Assert.Equal(categories, RespReply.Parse(vermilion.Call("ACL", "CAT")).Texts());
        foreach (var cat in categories)
            foreach (var rules in new[] { $"+@{cat}", $"+@all -@{cat}", $"+@read -@{cat}", $"+@write +@{cat}", $"-@all +@{cat} -@write", $"+@all -@{cat} +@read", $"-@all +@{cat} -@dangerous +@fast" })
            {
                string[] Describe(RespSocket s)
                {
                    Assert.Equal("+OK\r\n", s.Call(["ACL", "SETUSER", "descr", "reset", .. rules.Split(' ')]));
                    var fields = RespReply.Parse(s.Call("ACL", "GETUSER", "descr")).Items!;
                    var commands = fields[fields.FindIndex(f => f.Text == "commands") + 1].Text!;
                    return [.. commands.Split(' ').Where(r => !onlyOne.Contains(r[1..])).Order(StringComparer.Ordinal)];
                }
                var (expected, actual) = (Describe(redis), Describe(vermilion));
                if (!expected.SequenceEqual(actual)) mismatches.Add($"{rules}:\n redis:     {string.Join(' ', expected)}\n vermilion: {string.Join(' ', actual)}");
            }
        redis.Call("ACL", "DELUSER", "descr");
        vermilion.Call("ACL", "DELUSER", "descr");
        Assert.True(mismatches.Count == 0, string.Join("\n", mismatches));
    }

    static IEnumerable<string> CommandNames(RespSocket s) => RespReply.Parse(s.Call("COMMAND", "LIST")).Texts();
}
