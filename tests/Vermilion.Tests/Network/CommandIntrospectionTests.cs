using System.Text;
using Xunit;

namespace Vermilion.Tests;

/// <summary>
/// COMMAND and the command metadata. Unit tests of the key finding and of the metadata's own
/// consistency, then differential tests: the same COMMAND INFO / DOCS / GETKEYS / LIST requests
/// go to redis-server 7.0.15 and to an in-process Vermilion, in RESP2 and RESP3, and the raw
/// replies are compared. Redis lists a container's subcommands in hash order (random per run)
/// and has subcommands Vermilion does not implement yet, so for CLIENT, CONFIG and COMMAND the
/// subcommand entries are compared one by one, sorted, over the subcommands both have.
/// </summary>
public class CommandIntrospectionTests(DifferentialServers servers) : IClassFixture<DifferentialServers>
{
    /// <summary>Vermilion's CLIENT has these two Redis 7.2 subcommands, which 7.0.15 does not know.</summary>
    static readonly HashSet<string> s_newerThanOracle = ["client|setinfo", "client|no-touch"];

    static CommandDef Def(string fullName) => new CommandTable().LookupByFullName(fullName)!;

    /// <summary>A request as the server holds one: slices of one buffer.</summary>
    static Argv Argv(params string[] args)
    {
        var request = new CommandArgs();
        request.SetAll(args.Select(Encoding.UTF8.GetBytes).ToArray());
        return new Argv(request);
    }

    static IEnumerable<CommandDef> AllDefs(CommandTable table)
    {
        foreach (var cmd in table.All)
        {
            yield return cmd;
            if (cmd.Subcommands is not null)
                foreach (var sub in cmd.Subcommands.Values) yield return sub;
        }
    }

    // ---- unit: key finding ----------------------------------------------------------------------

    static (int Position, KeySpecFlags Flags)[] Keys(CommandDef cmd, params string[] args)
    {
        var keys = new List<KeyReference>();
        bool found = KeyFinder.FindKeys(cmd, Argv(args), keys);
        Assert.Equal(found, keys.Count > 0);
        return keys.Select(k => (k.Position, k.Flags)).ToArray();
    }

    [Fact]
    public void GetKeysFromRangeSpecs()
    {
        Assert.Equal([(1, KeySpecFlags.RO | KeySpecFlags.Access)], Keys(Def("get"), "get", "k"));
        Assert.Equal([(1, KeySpecFlags.RM | KeySpecFlags.Delete), (2, KeySpecFlags.RM | KeySpecFlags.Delete), (3, KeySpecFlags.RM | KeySpecFlags.Delete)],
            Keys(Def("del"), "del", "a", "b", "c"));
        Assert.Equal([(1, KeySpecFlags.RO)], Keys(Def("exists"), "exists", "a"));
        Assert.Equal([(1, KeySpecFlags.RW | KeySpecFlags.Access | KeySpecFlags.Update)], Keys(Def("incr"), "incr", "n"));
    }

    [Fact]
    public void SetKeyFlagsDependOnGet()
    {
        var set = Def("set");
        Assert.NotNull(set.GetKeys);
        Assert.Equal([(1, KeySpecFlags.OW | KeySpecFlags.Update)], Keys(set, "set", "k", "v"));
        Assert.Equal([(1, KeySpecFlags.OW | KeySpecFlags.Update)], Keys(set, "set", "k", "get", "nx"));
        Assert.Equal([(1, KeySpecFlags.RW | KeySpecFlags.Access | KeySpecFlags.Update)], Keys(set, "set", "k", "v", "nx", "GeT"));
    }

    [Fact]
    public void CommandsWithoutKeySpecsHaveNoKeys()
    {
        Assert.False(KeyFinder.HasKeys(Def("ping")));
        Assert.False(KeyFinder.HasKeys(Def("client|id")));
        Assert.True(KeyFinder.HasKeys(Def("get")));
        Assert.Empty(Keys(Def("ping"), "ping"));
    }

    static CommandDef Synthetic(int arity, params KeySpec[] specs) => new(new CommandSpec { FullName = "x", Arity = arity, KeySpecs = specs });

    [Fact]
    public void KeyNumSpecReadsTheCount()
    {
        // EVAL script numkeys key... arg...
        var eval = Synthetic(-3, new KeySpec(KeySpecFlags.RW, BeginSearch.ByIndex(2), FindKeys.KeyNum(0, 1, 1)));
        Assert.Equal([(3, KeySpecFlags.RW), (4, KeySpecFlags.RW)], Keys(eval, "eval", "s", "2", "a", "b", "arg"));
        Assert.Empty(Keys(eval, "eval", "s", "0", "arg"));
        Assert.Equal(-1, KeyFinder.KeysFromSpecs(eval.Spec.KeySpecs, Argv("eval", "s", "x", "a"), []));
        Assert.Equal(-1, KeyFinder.KeysFromSpecs(eval.Spec.KeySpecs, Argv("eval", "s", "-1", "a"), []));
        Assert.Equal(-1, KeyFinder.KeysFromSpecs(eval.Spec.KeySpecs, Argv("eval", "s", "5", "a"), []));
    }

    [Fact]
    public void KeywordSpecSearchesForwardAndBackward()
    {
        // XREAD ... STREAMS key... id...: keys are the first half after STREAMS (limit 2).
        var xread = Synthetic(-4, new KeySpec(KeySpecFlags.RO, BeginSearch.ByKeyword("STREAMS", 1), FindKeys.Range(-1, 1, 2)));
        Assert.Equal([(4, KeySpecFlags.RO), (5, KeySpecFlags.RO)], Keys(xread, "xread", "count", "2", "streams", "s1", "s2", "0", "0"));
        Assert.Empty(Keys(xread, "xread", "count", "2"));
        // A keyword searched from the end (startfrom -2), e.g. "... STORE key" at the tail.
        var tail = Synthetic(-3, new KeySpec(KeySpecFlags.OW, BeginSearch.ByKeyword("STORE", -2), FindKeys.Range(0, 1, 0)));
        Assert.Equal([(4, KeySpecFlags.OW)], Keys(tail, "sort", "k", "by", "store", "dest"));
        // A step of 2: MSET key value [key value ...]
        var mset = Synthetic(-3, new KeySpec(KeySpecFlags.OW, BeginSearch.ByIndex(1), FindKeys.Range(-1, 2, 0)));
        Assert.Equal([(1, KeySpecFlags.OW), (3, KeySpecFlags.OW)], Keys(mset, "mset", "a", "1", "b", "2"));
    }

    [Fact]
    public void IncompleteOrUnknownSpecsAreInvalid()
    {
        var incomplete = Synthetic(-2, new KeySpec(KeySpecFlags.RO | KeySpecFlags.Incomplete, BeginSearch.ByIndex(1), FindKeys.Range(0, 1, 0)));
        Assert.Equal(-1, KeyFinder.KeysFromSpecs(incomplete.Spec.KeySpecs, Argv("x", "k"), []));
        var unknown = Synthetic(-2, new KeySpec(KeySpecFlags.RO, BeginSearch.Unknown, FindKeys.Unknown));
        Assert.Equal(-1, KeyFinder.KeysFromSpecs(unknown.Spec.KeySpecs, Argv("x", "k"), []));
        var notKey = Synthetic(-2, new KeySpec(KeySpecFlags.NotKey, BeginSearch.ByIndex(1), FindKeys.Range(0, 1, 0)));
        Assert.False(KeyFinder.HasKeys(notKey));
    }

    [Fact]
    public void LookupByFullName()
    {
        var t = new CommandTable();
        Assert.Equal("get", t.LookupByFullName("GET")!.FullName);
        Assert.Equal("client|id", t.LookupByFullName("Client|ID")!.FullName);
        Assert.Equal("client", t.LookupByFullName("client")!.FullName);
        foreach (var name in new[] { "", "|", "get|x", "client|", "|id", "client|id|x", "client||id", "nosuch" })
            Assert.Null(t.LookupByFullName(name));
    }

    [Theory]
    [InlineData("*", "anything", true)]
    [InlineData("g?t", "get", true)]
    [InlineData("g?t", "gt", false)]
    [InlineData("[gs]et", "set", true)]
    [InlineData("[^gs]et", "set", false)]
    [InlineData("[a-f]et", "get", false)]
    [InlineData("[f-h]et", "GET", true)]
    [InlineData("[h-f]et", "get", true)]
    [InlineData("CLIENT|*", "client|kill", true)]
    [InlineData("client\\|*", "client|kill", true)]
    [InlineData("*|*", "get", false)]
    [InlineData("get*", "get", true)]
    [InlineData("get**", "getex", true)]
    [InlineData("[get", "g", true)]
    [InlineData("[get", "ge", false)]
    [InlineData("a*b*c", "aXXbYYc", true)]
    [InlineData("a*b*c", "aXXbYY", false)]
    public void StringMatchIsRedisGlob(string pattern, string text, bool match) =>
        Assert.Equal(match, GlobPattern.Match(Encoding.ASCII.GetBytes(pattern), Encoding.ASCII.GetBytes(text), nocase: true));

    /// <summary>The glob agrees with Redis's on KEYS (the same stringmatchlen, case-sensitive there).</summary>
    [Fact]
    public void StringMatchAgreesWithRedisKeys()
    {
        string[] keys = ["g", "ge", "get", "GET", "set", "net", "aXXbYYc", "aXXbYY", "client|kill", "a*b", "a\\b", "[x", "x]", "-", "b", "^"];
        string[] patterns = ["*", "g?t", "[gs]et", "[^gs]et", "[a-f]et", "[f-h]et", "[h-f]et", "[get", "[ge", "a*b*c", "a\\*b", "a\\\\b",
            "\\[x", "[[]x", "x[]]", "[a-]", "[\\-]", "[^]", "*|*", "get**", "g*", "*t", "?", "[\\^]", "[]", "[a-c-e]"];
        using var redis = servers.Redis.Connect();
        redis.Call("select", "9");
        redis.Call("flushdb");
        foreach (var k in keys) redis.Call("set", k, "1");
        foreach (var pattern in patterns)
        {
            var expected = Names(redis.Call("keys", pattern)).Order(StringComparer.Ordinal);
            var actual = keys.Where(k => GlobPattern.Match(Encoding.ASCII.GetBytes(pattern), Encoding.ASCII.GetBytes(k), nocase: false)).Order(StringComparer.Ordinal);
            Assert.True(expected.SequenceEqual(actual), $"pattern {pattern}: redis [{string.Join(' ', expected)}], ours [{string.Join(' ', actual)}]");
        }
        redis.Call("flushdb");
    }

    // ---- unit: the metadata agrees with itself ---------------------------------------------------

    /// <summary>populateCommandLegacyRangeSpec: Redis derives (first, last, step) and movablekeys from the key specs.</summary>
    static (int First, int Last, int Step, bool Movable) LegacyRange(CommandDef cmd)
    {
        var specs = cmd.Spec.KeySpecs;
        bool movable = false;
        if (specs.Length == 0) return (0, 0, 0, movable);
        if (specs.Length == 1 && specs[0].Begin.Type == BeginSearchType.Index && specs[0].Find.Type == FindKeysType.Range)
        {
            var s = specs[0];
            int last = s.Find.LastKey >= 0 ? s.Find.LastKey + s.Begin.Index : s.Find.LastKey;
            return (s.Begin.Index, last, s.Find.KeyStep, (s.Flags & KeySpecFlags.Incomplete) != 0);
        }
        int first = int.MaxValue, lastKey = 0, prevLast = 0;
        foreach (var s in specs)
        {
            if (s.Begin.Type != BeginSearchType.Index || s.Find.Type != FindKeysType.Range) { movable = true; continue; }
            if (s.Find.KeyStep != 1 || (prevLast != 0 && prevLast != s.Begin.Index - 1)) { movable = true; continue; }
            if ((s.Flags & KeySpecFlags.Incomplete) != 0) movable = true;
            first = Math.Min(first, s.Begin.Index);
            int abs = s.Find.LastKey >= 0 ? s.Find.LastKey + s.Begin.Index : s.Find.LastKey;
            lastKey = (int)Math.Max((uint)lastKey, (uint)abs);
            prevLast = lastKey;
        }
        if (first == int.MaxValue) return (0, 0, 0, true);
        return (first, lastKey, 1, movable);
    }

    [Fact]
    public void LegacyKeyPositionsAgreeWithKeySpecs()
    {
        foreach (var cmd in AllDefs(new CommandTable()))
        {
            var (first, last, step, movable) = LegacyRange(cmd);
            Assert.True((first, last, step) == (cmd.Spec.FirstKey, cmd.Spec.LastKey, cmd.Spec.KeyStep), $"{cmd.FullName}: key positions {cmd.Spec.FirstKey},{cmd.Spec.LastKey},{cmd.Spec.KeyStep}, key specs say {first},{last},{step}");
            Assert.True(movable == ((cmd.Flags & CommandFlags.MovableKeys) != 0), $"{cmd.FullName}: movablekeys should be {movable}");
        }
    }

    [Fact]
    public void ArgumentsPointAtExistingKeySpecs()
    {
        static IEnumerable<CommandArgument> Flatten(IEnumerable<CommandArgument> args) => args.SelectMany(a => Flatten(a.Arguments).Prepend(a));
        foreach (var cmd in AllDefs(new CommandTable()))
        {
            foreach (var arg in Flatten(cmd.Spec.Arguments))
            {
                Assert.True(arg.KeySpecIndex < cmd.Spec.KeySpecs.Length, $"{cmd.FullName} {arg.Name}");
                // SORT's BY and GET patterns name the keys they reach (Redis's sort.json: type pattern, key_spec_index 1).
                Assert.True(arg.KeySpecIndex >= 0 ? arg.Type is ArgType.Key or ArgType.Pattern : arg.Type != ArgType.Key, $"{cmd.FullName} {arg.Name}: key arguments and only they (and key patterns) name a key spec");
                Assert.True((arg.Type is ArgType.OneOf or ArgType.Block) == (arg.Arguments.Length > 0), $"{cmd.FullName} {arg.Name}");
            }
            Assert.True(cmd.Proc is not null || cmd.Subcommands is not null, $"{cmd.FullName} has neither a proc nor subcommands");
            foreach (var cat in cmd.Spec.Categories) Assert.Contains(cat[1..], IntrospectionCommands.AclCategories);
        }
    }

    /// <summary>The table binds exactly the commands the data files describe, subcommands included.</summary>
    [Fact]
    public void EveryCommandHasMetadataAndABinding()
    {
        var bound = AllDefs(new CommandTable()).Select(c => c.FullName).Order(StringComparer.Ordinal);
        Assert.Equal(CommandMetadata.All.Keys.Order(StringComparer.Ordinal), bound);

        // Metadata without a binding: a table of the string family alone misses everything else,
        // subcommands and COMMAND itself (a container that also runs alone) included.
        var unbound = Assert.Throws<InvalidOperationException>(() => new CommandTable(StringCommands.Register)).Message;
        var missing = unbound[(unbound.IndexOf(": ") + 2)..].Split(", ");
        Assert.Contains("hset", missing);
        Assert.Contains("client|kill", missing);
        Assert.Contains("client|setinfo", missing);
        Assert.DoesNotContain("get", missing);
        var commandAlone = Assert.Throws<InvalidOperationException>(() => new CommandTable(t => t.Bind("command|count", (_, _) => { }))).Message;
        Assert.Contains("command", commandAlone[(commandAlone.IndexOf(": ") + 2)..].Split(", "));

        // A binding without metadata.
        Assert.Contains("no metadata", Assert.Throws<InvalidOperationException>(() => new CommandTable(t => t.Bind("nosuch", (_, _) => { }))).Message);
        Assert.Contains("no metadata", Assert.Throws<InvalidOperationException>(() => new CommandTable(t => t.Bind("client|nosuch", (_, _) => { }))).Message);
        Assert.Contains("bound twice", Assert.Throws<InvalidOperationException>(() => new CommandTable(t => { t.Bind("get", (_, _) => { }); t.Bind("GET", (_, _) => { }); })).Message);
    }

    // ---- differential: COMMAND INFO / DOCS for every registered command ----------------------------

    public static IEnumerable<object[]> RegisteredCommands() =>
        AllDefs(new CommandTable()).Where(c => !s_newerThanOracle.Contains(c.FullName)).Select(c => new object[] { c.FullName });

    [Theory]
    [MemberData(nameof(RegisteredCommands))]
    public void InfoAndDocsMatchRedis(string fullName)
    {
        bool container = Def(fullName).Subcommands is not null;
        foreach (int resp in new[] { 2, 3 })
        {
            using var pair = servers.Connect(new SameOptions { Resp = resp, Flush = false });
            foreach (var sub in new[] { "info", "docs" })
            {
                if (!container)
                {
                    pair.Same(["command", sub, fullName]);
                    continue;
                }
                var expected = RespReply.Parse(pair.Redis.Call("command", sub, fullName));
                var actual = RespReply.Parse(pair.Vermilion.Call("command", sub, fullName));
                var common = CommonSubcommands(Def(fullName), expected, sub);
                DifferentialServers.AssertSame($"RESP{resp} COMMAND {sub.ToUpperInvariant()} {fullName} (the subcommands both have, sorted)",
                    NormalizeContainer(expected, sub, common).ToString(), NormalizeContainer(actual, sub, common).ToString());
            }
        }
    }

    /// <summary>The subcommands both servers have; Vermilion may lack some of Redis's, and has only the 7.2 extras beyond them.</summary>
    static HashSet<string> CommonSubcommands(CommandDef container, RespReply redisReply, string sub)
    {
        var redisNames = sub == "info"
            ? redisReply.Items![0].Items![9].Items!.Select(e => e.Items![0].Text!).ToHashSet()
            : Pairs(Field(redisReply.Items![1], "subcommands")!).Select(p => p.Key.Text!).ToHashSet();
        var ours = container.Subcommands!.Values.Select(s => s.FullName).ToHashSet();
        Assert.Empty(ours.Except(redisNames).Except(s_newerThanOracle));
        ours.IntersectWith(redisNames);
        return ours;
    }

    static RespReply NormalizeContainer(RespReply reply, string sub, HashSet<string> keep)
    {
        if (sub == "info")
        {
            var entry = reply.Items![0];
            var subs = entry.Items![9];
            entry.Items[9] = subs with { Items = subs.Items!.Where(e => keep.Contains(e.Items![0].Text!)).OrderBy(e => e.Items![0].Text, StringComparer.Ordinal).ToList() };
            return reply;
        }
        var docs = reply.Items![1];
        int i = IndexOfField(docs, "subcommands");
        var map = docs.Items![i + 1];
        var kept = Pairs(map).Where(p => keep.Contains(p.Key.Text!)).OrderBy(p => p.Key.Text, StringComparer.Ordinal).SelectMany(p => new[] { p.Key, p.Value }).ToList();
        docs.Items[i + 1] = map with { Items = kept };
        return reply;
    }

    /// <summary>A map's pairs: RESP3 maps and RESP2 flat arrays alike hold key, value, key, value.</summary>
    static IEnumerable<(RespReply Key, RespReply Value)> Pairs(RespReply map)
    {
        for (int i = 0; i + 1 < map.Items!.Count; i += 2) yield return (map.Items[i], map.Items[i + 1]);
    }

    static int IndexOfField(RespReply map, string key)
    {
        for (int i = 0; i + 1 < map.Items!.Count; i += 2) if (map.Items[i].Text == key) return i;
        return -1;
    }

    static RespReply? Field(RespReply map, string key)
    {
        int i = IndexOfField(map, key);
        return i < 0 ? null : map.Items![i + 1];
    }

    /// <summary>Redis 7.2's CLIENT SETINFO and NO-TOUCH: the oracle cannot answer, so the expected replies are written out.</summary>
    [Fact]
    public void NewerClientSubcommandsHaveRedis72Metadata()
    {
        using var verm = servers.Vermilion.Connect();
        Assert.Equal(
            "*1\r\n*10\r\n$14\r\nclient|setinfo\r\n:4\r\n*3\r\n+noscript\r\n+loading\r\n+stale\r\n:0\r\n:0\r\n:0\r\n*2\r\n+@slow\r\n+@connection\r\n" +
            "*2\r\n$24\r\nrequest_policy:all_nodes\r\n$29\r\nresponse_policy:all_succeeded\r\n*0\r\n*0\r\n",
            verm.Call("command", "info", "client|setinfo"));
        Assert.Equal(
            "*2\r\n$14\r\nclient|setinfo\r\n*10\r\n$7\r\nsummary\r\n$54\r\nSets information specific to the client or connection.\r\n" +
            "$5\r\nsince\r\n$5\r\n7.2.0\r\n$5\r\ngroup\r\n$10\r\nconnection\r\n$10\r\ncomplexity\r\n$4\r\nO(1)\r\n$9\r\narguments\r\n" +
            "*1\r\n*6\r\n$4\r\nname\r\n$4\r\nattr\r\n$4\r\ntype\r\n$5\r\noneof\r\n$9\r\narguments\r\n*2\r\n" +
            "*6\r\n$4\r\nname\r\n$7\r\nlibname\r\n$4\r\ntype\r\n$6\r\nstring\r\n$5\r\ntoken\r\n$8\r\nLIB-NAME\r\n" +
            "*6\r\n$4\r\nname\r\n$6\r\nlibver\r\n$4\r\ntype\r\n$6\r\nstring\r\n$5\r\ntoken\r\n$7\r\nLIB-VER\r\n",
            verm.Call("command", "docs", "client|setinfo"));
        Assert.Equal(
            "*1\r\n*10\r\n$15\r\nclient|no-touch\r\n:3\r\n*3\r\n+noscript\r\n+loading\r\n+stale\r\n:0\r\n:0\r\n:0\r\n*2\r\n+@slow\r\n+@connection\r\n*0\r\n*0\r\n*0\r\n",
            verm.Call("command", "info", "client|no-touch"));
    }

    // ---- differential: GETKEYS, LIST, HELP and the error paths -------------------------------------

    public static IEnumerable<object[]> SameReplyCases() => new[]
    {
        "command getkeys set k v", "command getkeysandflags set k v", "command getkeysandflags set k v get",
        "command getkeysandflags set k v nx GeT", "command getkeys set k v ex 10",
        "command getkeys get k", "command getkeysandflags get k", "command getkeys incr n", "command getkeysandflags incr n",
        "command getkeys del a b c", "command getkeysandflags del a b c", "command getkeysandflags exists a b",
        "command GETKEYS DEL a", "command getkeys command getkeys get k",
        // BITFIELD's key is read-only when every operation is a GET (bitfieldGetKeys)
        "command getkeysandflags bitfield k get u8 0", "command getkeysandflags bitfield k GET u8 0 overflow sat get i8 1",
        "command getkeysandflags bitfield k get u8 0 set u8 0 1", "command getkeysandflags bitfield k incrby u8 0 1",
        "command getkeysandflags bitfield k get u8", "command getkeysandflags bitfield k overflow", "command getkeysandflags bitfield k",
        "command getkeysandflags bitfield_ro k get u8 0", "command getkeysandflags bitop and d a b c", "command getkeys bitop not d a",
        "command getkeysandflags lcs a b idx", "command getkeysandflags setbit k 1 1", "command getkeysandflags incrbyfloat k 1",
        // errors
        "command getkeys", "command getkeys get", "command getkeys nosuch x", "command getkeys ping x", "command getkeys client id",
        "command getkeys client nosuch", "command getkeys get a b", "command getkeys incr", "command getkeys set k",
        "command getkeysandflags flushall async", "command getkeys exists",
        "command count x", "command help", "command help x", "command foo", "command getkeysx",
        "command list filterby", "command list filterby aclcat", "command list filterby aclcat x y", "command list filterby foo x",
        "command list foo", "command list filterby module x", "command list filterby aclcat nosuch", "command list filterby aclcat @read",
        // lookups of single commands and of names that are not commands
        "command info get nosuch set", "command info nosuch", "command info client|id|x", "command info get|x", "command info CLIENT|ID",
        "command docs nosuch", "command docs get nosuch CLIENT|ID", "command docs client| |id",
    }.Select(c => new object[] { c });

    [Theory]
    [MemberData(nameof(SameReplyCases))]
    public void RepliesMatchRedis(string command)
    {
        string[] args = command.Split(' ');
        foreach (int resp in new[] { 2, 3 })
        {
            using var pair = servers.Connect(new SameOptions { Resp = resp, Flush = false });
            pair.Same(args);
        }
    }

    [Fact]
    public void EmptyNameIsNotACommand()
    {
        using var pair = servers.Connect(new SameOptions { Flush = false });
        pair.Same(["command", "info", ""]);
        pair.Same(["command", "docs", ""]);
    }

    /// <summary>COMMAND LIST's names come in hash order: the same set as Redis's, restricted to the commands Vermilion has.</summary>
    [Theory]
    [InlineData("filterby pattern *")]
    [InlineData("filterby pattern [gs]et")]
    [InlineData("filterby pattern CLIENT|*")]
    [InlineData("filterby pattern command|getkeys*")]
    [InlineData("filterby pattern *e*")]
    [InlineData("filterby aclcat connection")]
    [InlineData("filterby aclcat READ")]
    [InlineData("filterby aclcat slow")]
    [InlineData("filterby aclcat dangerous")]
    [InlineData("filterby aclcat keyspace")]
    [InlineData("filterby aclcat fast")]
    public void ListMatchesRedisOverOurCommands(string filter)
    {
        using var redis = servers.Redis.Connect();
        using var verm = servers.Vermilion.Connect();
        var ours = Names(verm.Call("command", "list")).Except(s_newerThanOracle).ToHashSet();
        string[] args = ["command", "list", .. filter.Split(' ')];
        var expected = Names(redis.Call(args)).Where(ours.Contains).Order(StringComparer.Ordinal);
        var actual = Names(verm.Call(args)).Where(n => !s_newerThanOracle.Contains(n)).Order(StringComparer.Ordinal);
        Assert.Equal(expected, actual);
    }

    static List<string> Names(string reply) => RespReply.Parse(reply).Texts();

    /// <summary>
    /// Every command redis-server 7.0.15 has is built here or named in the README's "Not supported
    /// yet" table (whole containers there, e.g. `acl`, stand for their subcommands), and that table
    /// names nothing that is built: COMMAND COUNT differs from Redis's by exactly what it lists.
    /// </summary>
    [Fact]
    public void CommandsRedisHasAreBuiltOrListedInTheReadme()
    {
        var notBuilt = ReadmeNotSupported();
        using var redis = servers.Redis.Connect();
        using var verm = servers.Vermilion.Connect();
        var theirs = Names(redis.Call("command", "list")).ToHashSet();
        var ours = Names(verm.Call("command", "list")).Except(s_newerThanOracle).ToHashSet();
        static string TopLevel(string name) => name.Split('|')[0];

        var missing = theirs.Except(ours).Where(n => !notBuilt.Contains(TopLevel(n))).Order(StringComparer.Ordinal).ToList();
        Assert.True(missing.Count == 0, "redis-server has these and neither Vermilion nor the README's table does: " + string.Join(" ", missing));
        var builtButListed = notBuilt.Where(n => ours.Contains(n)).ToList();
        Assert.True(builtButListed.Count == 0, "the README lists these as not supported, but they are built: " + string.Join(" ", builtButListed));
        var unknown = notBuilt.Where(n => !theirs.Contains(n)).ToList();
        Assert.True(unknown.Count == 0, "the README lists commands redis-server does not have: " + string.Join(" ", unknown));
        Assert.Equal(theirs.Count(n => !notBuilt.Contains(TopLevel(n))), ours.Count);
    }

    /// <summary>The backquoted command names of the first column of README.md's "Not supported yet" table.</summary>
    static HashSet<string> ReadmeNotSupported()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "README.md"))) dir = dir.Parent;
        Assert.NotNull(dir);
        var lines = File.ReadAllLines(Path.Combine(dir.FullName, "README.md"));
        int start = Array.FindIndex(lines, l => l.Trim() == "### Not supported yet");
        Assert.True(start >= 0, "README.md has no \"### Not supported yet\" section");
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var line in lines.Skip(start + 1).SkipWhile(l => !l.StartsWith('|')).Skip(2).TakeWhile(l => l.StartsWith('|')))
        {
            var firstColumn = line.Split('|')[1];
            foreach (System.Text.RegularExpressions.Match m in System.Text.RegularExpressions.Regex.Matches(firstColumn, "`([^`]+)`"))
                names.Add(m.Groups[1].Value.ToLowerInvariant());
        }
        // Empty once every command is built (the table's one row then says "none").
        return names;
    }

    // ---- whole-table replies ---------------------------------------------------------------------

    [Fact]
    public void CountIsTheNumberOfRegisteredCommands()
    {
        using var verm = servers.Vermilion.Connect();
        Assert.Equal($":{servers.Vermilion.Server.Commands.Count}\r\n", verm.Call("command", "count"));
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void WithoutNamesEveryCommandIsListed(int resp)
    {
        using var pair = servers.Connect(new SameOptions { Resp = resp, Flush = false });
        var verm = pair.Vermilion;
        var table = servers.Vermilion.Server.Commands;
        var topLevel = table.All.Select(c => c.Name).Order(StringComparer.Ordinal).ToList();

        foreach (var args in new[] { new[] { "command" }, new[] { "command", "info" } })
        {
            var all = RespReply.Parse(verm.Call(args));
            Assert.Equal('*', all.Type);
            Assert.Equal(topLevel, all.Items!.Select(e => e.Items![0].Text!).Order(StringComparer.Ordinal));
            Assert.All(all.Items!, e => Assert.Equal(10, e.Items!.Count));
            // Each entry is what COMMAND INFO name answers.
            foreach (var entry in all.Items!)
            {
                var one = RespReply.Parse(verm.Call("command", "info", entry.Items![0].Text!));
                Assert.Equal(entry.ToString(), one.Items![0].ToString());
            }
        }

        var docs = RespReply.Parse(verm.Call("command", "docs"));
        Assert.Equal(resp == 3 ? '%' : '*', docs.Type);
        Assert.Equal(topLevel, Pairs(docs).Select(p => p.Key.Text!).Order(StringComparer.Ordinal));

        var everything = AllDefs(table).Select(c => c.FullName).Order(StringComparer.Ordinal);
        Assert.Equal(everything, Names(verm.Call("command", "list")).Order(StringComparer.Ordinal));
    }

    // ---- a real client -----------------------------------------------------------------------------

    [Theory]
    [InlineData("command", "info", "get")]
    [InlineData("command", "docs", "set")]
    [InlineData("command", "getkeysandflags", "set", "k", "v", "get")]
    [InlineData("-3", "command", "info", "get")]
    [InlineData("-3", "command", "docs", "get")]
    public void RedisCliPrintsTheSame(params string[] args)
    {
        string expected = RedisCli(servers.Redis.Port, args);
        string actual = RedisCli(servers.Vermilion.Port, args);
        Assert.False(string.IsNullOrWhiteSpace(expected));
        Assert.Equal(expected, actual);
    }

    static string RedisCli(int port, string[] args)
    {
        var r = ExternalProcess.Run("redis-cli", ["-p", port.ToString(), .. args], timeoutMs: 10_000);
        Assert.Equal(0, r.ExitCode);
        return r.Stdout;
    }
}
