using System.Text;
using Vermilion.Protocol;
using Vermilion.Server;
using Vermilion.Storage;

namespace Vermilion.Commands;

/// <summary>
/// COMMAND and its subcommands, answered from the command table's metadata with Redis 7.0.15's
/// reply shapes (server.c: commandCommand, addReplyCommandInfo, addReplyCommandDocs,
/// getKeysSubcommandImpl) in RESP2 and RESP3.
/// </summary>
public static class IntrospectionCommands
{
    static readonly string[] s_help =
    [
        "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "(no subcommand)",
        "    Return details about all Redis commands.",
        "COUNT",
        "    Return the total number of commands in this Redis server.",
        "LIST",
        "    Return a list of all commands in this Redis server.",
        "INFO [<command-name> ...]",
        "    Return details about multiple Redis commands.",
        "    If no command names are given, documentation details for all",
        "    commands are returned.",
        "DOCS [<command-name> ...]",
        "    Return documentation details about multiple Redis commands.",
        "    If no command names are given, documentation details for all",
        "    commands are returned.",
        "GETKEYS <full-command>",
        "    Return the keys from a full Redis command.",
        "GETKEYSANDFLAGS <full-command>",
        "    Return the keys and the access flags from a full Redis command.",
        "HELP",
        "    Prints this help.",
    ];

    public static void Register(CommandTable t)
    {
        var command = new CommandDef
        {
            Name = "command", Arity = -1, Flags = CommandFlags.Loading | CommandFlags.Stale, Categories = ["@slow", "@connection"],
            Proc = All,
            Group = "server", Since = "2.8.13",
            Summary = "Get array of Redis command details",
            Complexity = "O(N) where N is the total number of Redis commands",
            Tips = ["nondeterministic_output_order"],
        };

        command.AddSubcommand(new()
        {
            Name = "count", Arity = 2, Flags = CommandFlags.Loading | CommandFlags.Stale, Categories = ["@slow", "@connection"],
            Proc = Count,
            Group = "server", Since = "2.8.13",
            Summary = "Get total number of Redis commands",
            Complexity = "O(1)",
        });

        command.AddSubcommand(new()
        {
            Name = "list", Arity = -2, Flags = CommandFlags.Loading | CommandFlags.Stale, Categories = ["@slow", "@connection"],
            Proc = List,
            Group = "server", Since = "7.0.0",
            Summary = "Get an array of Redis command names",
            Complexity = "O(N) where N is the total number of Redis commands",
            Tips = ["nondeterministic_output_order"],
            Arguments =
            [
                new("filterby", ArgType.OneOf)
                {
                    Token = "FILTERBY",
                    Flags = ArgFlags.Optional,
                    Arguments =
                    [
                        new("module-name", ArgType.String) { Token = "MODULE" },
                        new("category", ArgType.String) { Token = "ACLCAT" },
                        new("pattern", ArgType.Pattern) { Token = "PATTERN" },
                    ],
                },
            ],
        });

        command.AddSubcommand(new()
        {
            Name = "info", Arity = -2, Flags = CommandFlags.Loading | CommandFlags.Stale, Categories = ["@slow", "@connection"],
            Proc = Info,
            Group = "server", Since = "2.8.13",
            Summary = "Get array of specific Redis command details, or all when no argument is given.",
            Complexity = "O(N) where N is the number of commands to look up",
            Tips = ["nondeterministic_output_order"],
            History =
            [
                ("7.0.0", "Allowed to be called with no argument to get info on all commands."),
            ],
            Arguments =
            [
                new("command-name", ArgType.String) { Flags = ArgFlags.Optional | ArgFlags.Multiple },
            ],
        });

        command.AddSubcommand(new()
        {
            Name = "docs", Arity = -2, Flags = CommandFlags.Loading | CommandFlags.Stale, Categories = ["@slow", "@connection"],
            Proc = Docs,
            Group = "server", Since = "7.0.0",
            Summary = "Get array of specific Redis command documentation",
            Complexity = "O(N) where N is the number of commands to look up",
            Tips = ["nondeterministic_output_order"],
            Arguments =
            [
                new("command-name", ArgType.String) { Flags = ArgFlags.Optional | ArgFlags.Multiple },
            ],
        });

        command.AddSubcommand(new()
        {
            Name = "getkeys", Arity = -4, Flags = CommandFlags.Loading | CommandFlags.Stale, Categories = ["@slow", "@connection"],
            Proc = GetKeys,
            Group = "server", Since = "2.8.13",
            Summary = "Extract keys given a full Redis command",
            Complexity = "O(N) where N is the number of arguments to the command",
        });

        command.AddSubcommand(new()
        {
            Name = "getkeysandflags", Arity = -4, Flags = CommandFlags.Loading | CommandFlags.Stale, Categories = ["@slow", "@connection"],
            Proc = GetKeysAndFlags,
            Group = "server", Since = "7.0.0",
            Summary = "Extract keys and access flags given a full Redis command",
            Complexity = "O(N) where N is the number of arguments to the command",
        });

        command.AddSubcommand(new()
        {
            Name = "help", Arity = 2, Flags = CommandFlags.Loading | CommandFlags.Stale, Categories = ["@slow", "@connection"],
            Proc = Help,
            Group = "server", Since = "5.0.0",
            Summary = "Show helpful text about the different subcommands",
            Complexity = "O(1)",
        });
        t.Add(command);
    }

    // ---- COMMAND, COUNT, LIST, INFO, DOCS, HELP ------------------------------------------------

    static void All(Client c, CommandArgs a)
    {
        var table = c.Server.Commands;
        c.Reply.ArrayHeader(table.Count);
        foreach (var cmd in table.All) WriteInfo(c.Reply, cmd);
    }

    static void Count(Client c, CommandArgs a) => c.Reply.Integer(c.Server.Commands.Count);

    static void Help(Client c, CommandArgs a) => HelpReply.Write(c, s_help);

    static void Info(Client c, CommandArgs a)
    {
        if (a.Count == 2)
        {
            All(c, a);
            return;
        }
        c.Reply.ArrayHeader(a.Count - 2);
        for (int i = 2; i < a.Count; i++) WriteInfo(c.Reply, LookupByFullName(c.Server.Commands, a.GetString(i)));
    }

    /// <summary>Unknown names are skipped (the map only has the commands found); no names means all.</summary>
    static void Docs(Client c, CommandArgs a)
    {
        var table = c.Server.Commands;
        var found = new List<CommandDef>();
        if (a.Count == 2) found.AddRange(table.All);
        else
        {
            for (int i = 2; i < a.Count; i++)
                if (LookupByFullName(table, a.GetString(i)) is { } cmd) found.Add(cmd);
        }
        c.Reply.MapHeader(found.Count);
        foreach (var cmd in found)
        {
            c.Reply.Bulk(cmd.FullName);
            WriteDocs(c.Reply, cmd);
        }
    }

    /// <summary>COMMAND LIST [FILTERBY MODULE name|ACLCAT category|PATTERN pattern]: names of commands and subcommands.</summary>
    static void List(Client c, CommandArgs a)
    {
        int filter = 0; // 0 none, 1 module, 2 aclcat, 3 pattern
        byte[] arg = [];
        for (int i = 2; i < a.Count; i++)
        {
            if (a.Is(i, "filterby") && a.Count - 1 - i == 2)
            {
                if (a.Is(i + 1, "module")) filter = 1;
                else if (a.Is(i + 1, "aclcat")) filter = 2;
                else if (a.Is(i + 1, "pattern")) filter = 3;
                else
                {
                    c.Reply.Error("syntax error");
                    return;
                }
                arg = a.ToArray(i + 2);
                i += 2;
            }
            else
            {
                c.Reply.Error("syntax error");
                return;
            }
        }
        // ACLGetCommandCategoryFlagByName: a bare category name ("read", not "@read"), any case.
        string lower = Encoding.Latin1.GetString(arg).ToLowerInvariant();
        string? category = filter == 2 && Array.IndexOf(AclCategories, lower) >= 0 ? "@" + lower : null;
        var names = new List<string>();
        void Visit(IEnumerable<CommandDef> commands)
        {
            foreach (var cmd in commands)
            {
                bool keep = filter switch
                {
                    0 => true,
                    1 => false, // no modules are loaded
                    2 => category is not null && Array.IndexOf(cmd.Categories, category) >= 0,
                    _ => GlobPattern.Match(arg, Encoding.ASCII.GetBytes(cmd.FullName), nocase: true),
                };
                if (keep) names.Add(cmd.FullName);
                if (cmd.Subcommands is not null) Visit(cmd.Subcommands.Values);
            }
        }
        Visit(c.Server.Commands.All);
        c.Reply.ArrayHeader(names.Count);
        foreach (var n in names) c.Reply.Bulk(n);
    }

    /// <summary>Redis's ACL categories, in the order COMMAND INFO lists them.</summary>
    public static readonly string[] AclCategories =
    [
        "keyspace", "read", "write", "set", "sortedset", "list", "hash", "string", "bitmap", "hyperloglog", "geo", "stream",
        "pubsub", "admin", "fast", "slow", "blocking", "dangerous", "connection", "transaction", "scripting",
    ];

    /// <summary>lookupCommandBySds: "get" or "client|kill", any case; more than one '|' finds nothing.</summary>
    public static CommandDef? LookupByFullName(CommandTable table, string name)
    {
        var parts = name.Split('|');
        if (parts.Length > 2) return null;
        var cmd = table.Lookup(parts[0]);
        if (parts.Length == 1) return cmd;
        if (cmd?.Subcommands is null) return null;
        return cmd.Subcommands.GetValueOrDefault(parts[1]);
    }

    // ---- COMMAND INFO entry ------------------------------------------------------------------

    /// <summary>The visible command flags in Redis's order (may_replicate, sentinel, only_sentinel and protected are hidden, as in Redis).</summary>
    static readonly (CommandFlags Flag, string Name)[] s_flagNames =
    [
        (CommandFlags.Write, "write"), (CommandFlags.ReadOnly, "readonly"), (CommandFlags.DenyOom, "denyoom"),
        (CommandFlags.Admin, "admin"), (CommandFlags.PubSub, "pubsub"), (CommandFlags.NoScript, "noscript"),
        (CommandFlags.Blocking, "blocking"), (CommandFlags.Loading, "loading"), (CommandFlags.Stale, "stale"),
        (CommandFlags.SkipMonitor, "skip_monitor"), (CommandFlags.SkipSlowlog, "skip_slowlog"), (CommandFlags.Fast, "fast"),
        (CommandFlags.NoAuth, "no_auth"), (CommandFlags.NoMandatoryKeys, "no_mandatory_keys"),
        (CommandFlags.NoAsyncLoading, "no_async_loading"), (CommandFlags.NoMulti, "no_multi"),
        (CommandFlags.MovableKeys, "movablekeys"), (CommandFlags.AllowBusy, "allow_busy"),
    ];

    static readonly (KeySpecFlags Flag, string Name)[] s_keyFlagNames =
    [
        (KeySpecFlags.RO, "RO"), (KeySpecFlags.RW, "RW"), (KeySpecFlags.OW, "OW"), (KeySpecFlags.RM, "RM"),
        (KeySpecFlags.Access, "access"), (KeySpecFlags.Update, "update"), (KeySpecFlags.Insert, "insert"),
        (KeySpecFlags.Delete, "delete"), (KeySpecFlags.NotKey, "not_key"), (KeySpecFlags.Incomplete, "incomplete"),
        (KeySpecFlags.VariableFlags, "variable_flags"),
    ];

    static readonly (ArgFlags Flag, string Name)[] s_argFlagNames =
        [(ArgFlags.Optional, "optional"), (ArgFlags.Multiple, "multiple"), (ArgFlags.MultipleToken, "multiple_token")];

    static readonly (DocFlags Flag, string Name)[] s_docFlagNames = [(DocFlags.Deprecated, "deprecated"), (DocFlags.SysCmd, "syscmd")];

    static readonly string[] s_argTypeNames = ["string", "integer", "double", "key", "pattern", "unix-time", "pure-token", "oneof", "block"];

    /// <summary>A set of status replies, one per flag present, in the table's order.</summary>
    static void WriteFlags<T>(ReplyWriter r, T flags, (T Flag, string Name)[] names) where T : struct, Enum
    {
        int count = 0;
        foreach (var (f, _) in names) if (flags.HasFlag(f)) count++;
        r.SetHeader(count);
        foreach (var (f, name) in names) if (flags.HasFlag(f)) r.Simple(name);
    }

    /// <summary>addReplyCommandInfo: the 10-element entry, or a null for an unknown command.</summary>
    public static void WriteInfo(ReplyWriter r, CommandDef? cmd)
    {
        if (cmd is null)
        {
            r.Null();
            return;
        }
        r.ArrayHeader(10);
        r.Bulk(cmd.FullName);
        r.Integer(cmd.Arity);
        WriteFlags(r, cmd.Flags, s_flagNames);
        r.Integer(cmd.FirstKey);
        r.Integer(cmd.LastKey);
        r.Integer(cmd.KeyStep);
        r.SetHeader(cmd.Categories.Length);
        foreach (var cat in cmd.Categories) r.Simple(cat);
        r.SetHeader(cmd.Tips.Length);
        foreach (var tip in cmd.Tips) r.Bulk(tip);
        r.SetHeader(cmd.KeySpecs.Length);
        foreach (var spec in cmd.KeySpecs) WriteKeySpec(r, spec);
        if (cmd.Subcommands is null) r.SetHeader(0);
        else
        {
            r.ArrayHeader(cmd.Subcommands.Count);
            foreach (var sub in cmd.Subcommands.Values) WriteInfo(r, sub);
        }
    }

    static void WriteKeySpec(ReplyWriter r, KeySpec spec)
    {
        r.MapHeader(spec.Notes is null ? 3 : 4);
        if (spec.Notes is not null)
        {
            r.Bulk("notes"u8);
            r.Bulk(spec.Notes);
        }
        r.Bulk("flags"u8);
        WriteFlags(r, spec.Flags, s_keyFlagNames);
        r.Bulk("begin_search"u8);
        r.MapHeader(2);
        r.Bulk("type"u8);
        switch (spec.Begin.Type)
        {
            case BeginSearchType.Index:
                r.Bulk("index"u8);
                r.Bulk("spec"u8);
                r.MapHeader(1);
                r.Bulk("index"u8); r.Integer(spec.Begin.Index);
                break;
            case BeginSearchType.Keyword:
                r.Bulk("keyword"u8);
                r.Bulk("spec"u8);
                r.MapHeader(2);
                r.Bulk("keyword"u8); r.Bulk(spec.Begin.Keyword!);
                r.Bulk("startfrom"u8); r.Integer(spec.Begin.StartFrom);
                break;
            default:
                r.Bulk("unknown"u8);
                r.Bulk("spec"u8);
                r.MapHeader(0);
                break;
        }
        r.Bulk("find_keys"u8);
        r.MapHeader(2);
        r.Bulk("type"u8);
        switch (spec.Find.Type)
        {
            case FindKeysType.Range:
                r.Bulk("range"u8);
                r.Bulk("spec"u8);
                r.MapHeader(3);
                r.Bulk("lastkey"u8); r.Integer(spec.Find.LastKey);
                r.Bulk("keystep"u8); r.Integer(spec.Find.KeyStep);
                r.Bulk("limit"u8); r.Integer(spec.Find.Limit);
                break;
            case FindKeysType.KeyNum:
                r.Bulk("keynum"u8);
                r.Bulk("spec"u8);
                r.MapHeader(3);
                r.Bulk("keynumidx"u8); r.Integer(spec.Find.KeyNumIndex);
                r.Bulk("firstkey"u8); r.Integer(spec.Find.FirstKey);
                r.Bulk("keystep"u8); r.Integer(spec.Find.KeyStep);
                break;
            default:
                r.Bulk("unknown"u8);
                r.Bulk("spec"u8);
                r.MapHeader(0);
                break;
        }
    }

    // ---- COMMAND DOCS entry ------------------------------------------------------------------

    /// <summary>addReplyCommandDocs: a map of the fields the command has (group always).</summary>
    public static void WriteDocs(ReplyWriter r, CommandDef cmd)
    {
        int fields = 1;
        if (cmd.Summary.Length > 0) fields++;
        if (cmd.Since.Length > 0) fields++;
        if (cmd.Complexity.Length > 0) fields++;
        if (cmd.DocFlags != DocFlags.None) fields++;
        if (cmd.DeprecatedSince is not null) fields++;
        if (cmd.ReplacedBy is not null) fields++;
        if (cmd.History.Length > 0) fields++;
        if (cmd.Arguments.Length > 0) fields++;
        if (cmd.Subcommands is not null) fields++;
        r.MapHeader(fields);
        if (cmd.Summary.Length > 0) { r.Bulk("summary"u8); r.Bulk(cmd.Summary); }
        if (cmd.Since.Length > 0) { r.Bulk("since"u8); r.Bulk(cmd.Since); }
        r.Bulk("group"u8); r.Bulk(cmd.Group);
        if (cmd.Complexity.Length > 0) { r.Bulk("complexity"u8); r.Bulk(cmd.Complexity); }
        if (cmd.DocFlags != DocFlags.None) { r.Bulk("doc_flags"u8); WriteFlags(r, cmd.DocFlags, s_docFlagNames); }
        if (cmd.DeprecatedSince is not null) { r.Bulk("deprecated_since"u8); r.Bulk(cmd.DeprecatedSince); }
        if (cmd.ReplacedBy is not null) { r.Bulk("replaced_by"u8); r.Bulk(cmd.ReplacedBy); }
        if (cmd.History.Length > 0)
        {
            r.Bulk("history"u8);
            r.SetHeader(cmd.History.Length);
            foreach (var (version, change) in cmd.History)
            {
                r.ArrayHeader(2);
                r.Bulk(version);
                r.Bulk(change);
            }
        }
        if (cmd.Arguments.Length > 0)
        {
            r.Bulk("arguments"u8);
            WriteArguments(r, cmd.Arguments);
        }
        if (cmd.Subcommands is not null)
        {
            r.Bulk("subcommands"u8);
            r.MapHeader(cmd.Subcommands.Count);
            foreach (var sub in cmd.Subcommands.Values)
            {
                r.Bulk(sub.FullName);
                WriteDocs(r, sub);
            }
        }
    }

    static void WriteArguments(ReplyWriter r, CommandArgument[] args)
    {
        r.ArrayHeader(args.Length);
        foreach (var arg in args)
        {
            bool nested = arg.Type is ArgType.OneOf or ArgType.Block;
            int fields = 2;
            if (arg.KeySpecIndex != -1) fields++;
            if (arg.Token is not null) fields++;
            if (arg.Summary is not null) fields++;
            if (arg.Since is not null) fields++;
            if (arg.DeprecatedSince is not null) fields++;
            if (arg.Flags != ArgFlags.None) fields++;
            if (nested) fields++;
            r.MapHeader(fields);
            r.Bulk("name"u8); r.Bulk(arg.Name);
            r.Bulk("type"u8); r.Bulk(s_argTypeNames[(int)arg.Type]);
            if (arg.KeySpecIndex != -1) { r.Bulk("key_spec_index"u8); r.Integer(arg.KeySpecIndex); }
            if (arg.Token is not null) { r.Bulk("token"u8); r.Bulk(arg.Token); }
            if (arg.Summary is not null) { r.Bulk("summary"u8); r.Bulk(arg.Summary); }
            if (arg.Since is not null) { r.Bulk("since"u8); r.Bulk(arg.Since); }
            if (arg.DeprecatedSince is not null) { r.Bulk("deprecated_since"u8); r.Bulk(arg.DeprecatedSince); }
            if (arg.Flags != ArgFlags.None) { r.Bulk("flags"u8); WriteFlags(r, arg.Flags, s_argFlagNames); }
            if (nested) { r.Bulk("arguments"u8); WriteArguments(r, arg.Arguments); }
        }
    }

    // ---- GETKEYS, GETKEYSANDFLAGS ------------------------------------------------------------

    static void GetKeys(Client c, CommandArgs a) => GetKeysImpl(c, a, withFlags: false);
    static void GetKeysAndFlags(Client c, CommandArgs a) => GetKeysImpl(c, a, withFlags: true);

    /// <summary>getKeysSubcommandImpl: the command after GETKEYS is looked up (with its subcommand), its arity checked, then its keys found.</summary>
    static void GetKeysImpl(Client c, CommandArgs a, bool withFlags)
    {
        var argv = new byte[a.Count - 2][];
        for (int i = 2; i < a.Count; i++) argv[i - 2] = a.ToArray(i);
        var cmd = c.Server.Commands.Lookup(argv[0]);
        if (cmd?.Subcommands is not null && argv.Length > 1) cmd = CommandTable.LookupSub(cmd, argv[1]);
        if (cmd is null)
        {
            c.Reply.Error("Invalid command specified");
            return;
        }
        if (!HasKeys(cmd))
        {
            c.Reply.Error("The command has no key arguments");
            return;
        }
        if ((cmd.Arity > 0 && cmd.Arity != argv.Length) || argv.Length < -cmd.Arity)
        {
            c.Reply.Error("Invalid number of arguments specified for command");
            return;
        }
        var keys = new List<KeyReference>();
        if (!FindKeys(cmd, argv, keys))
        {
            if ((cmd.Flags & CommandFlags.NoMandatoryKeys) != 0) c.Reply.ArrayHeader(0);
            else c.Reply.Error("Invalid arguments specified for command");
            return;
        }
        c.Reply.ArrayHeader(keys.Count);
        foreach (var key in keys)
        {
            if (withFlags)
            {
                c.Reply.ArrayHeader(2);
                c.Reply.Bulk(argv[key.Position]);
                WriteFlags(c.Reply, key.Flags, s_keyFlagNames);
            }
            else c.Reply.Bulk(argv[key.Position]);
        }
    }

    /// <summary>doesCommandHaveKeys: a getkeys proc, or a key specification not marked not_key.</summary>
    public static bool HasKeys(CommandDef cmd)
    {
        if (cmd.GetKeys is not null) return true;
        foreach (var spec in cmd.KeySpecs) if ((spec.Flags & KeySpecFlags.NotKey) == 0) return true;
        return false;
    }

    /// <summary>
    /// getKeysFromCommandWithSpecs: the key specifications when they describe the keys and their
    /// flags reliably, else the command's getkeys proc. <paramref name="argv"/>[0] is the command
    /// name. False when no key was found.
    /// </summary>
    public static bool FindKeys(CommandDef cmd, IReadOnlyList<byte[]> argv, List<KeyReference> keys)
    {
        keys.Clear();
        bool hasKeySpec = false, hasVariableFlags = false;
        foreach (var spec in cmd.KeySpecs)
        {
            if ((spec.Flags & KeySpecFlags.NotKey) == 0) hasKeySpec = true;
            if ((spec.Flags & KeySpecFlags.VariableFlags) != 0) hasVariableFlags = true;
        }
        if (hasKeySpec && !hasVariableFlags)
        {
            int found = KeysFromSpecs(cmd, argv, keys);
            if (found >= 0) return found > 0;
            keys.Clear();
        }
        return cmd.GetKeys is not null && cmd.GetKeys(argv, keys) && keys.Count > 0;
    }

    /// <summary>getKeysUsingKeySpecs: the keys every specification finds; -1 when one cannot be applied (invalid or incomplete).</summary>
    public static int KeysFromSpecs(CommandDef cmd, IReadOnlyList<byte[]> argv, List<KeyReference> keys)
    {
        int argc = argv.Count;
        foreach (var spec in cmd.KeySpecs)
        {
            if ((spec.Flags & KeySpecFlags.NotKey) != 0) continue;
            int first = 0;
            if (spec.Begin.Type == BeginSearchType.Index) first = spec.Begin.Index;
            else if (spec.Begin.Type == BeginSearchType.Keyword)
            {
                int startFrom = spec.Begin.StartFrom;
                int start = startFrom > 0 ? startFrom : argc + startFrom;
                int end = startFrom > 0 ? argc - 1 : 1;
                for (int i = start; i != end; i = start <= end ? i + 1 : i - 1)
                {
                    if (i >= argc || i < 1) break;
                    if (Ascii.EqualsIgnoreCase(argv[i], spec.Begin.Keyword!))
                    {
                        first = i + 1;
                        break;
                    }
                }
                if (first == 0) continue; // keyword not found
            }
            else return Invalid(keys);

            int last, step;
            if (spec.Find.Type == FindKeysType.Range)
            {
                step = spec.Find.KeyStep;
                if (spec.Find.LastKey >= 0) last = first + spec.Find.LastKey;
                else if (spec.Find.Limit == 0) last = argc + spec.Find.LastKey;
                else last = first + ((argc - first) / spec.Find.Limit + spec.Find.LastKey);
            }
            else if (spec.Find.Type == FindKeysType.KeyNum)
            {
                step = spec.Find.KeyStep;
                if (spec.Find.KeyNumIndex >= argc || first + spec.Find.KeyNumIndex >= argc) return Invalid(keys);
                if (!IntegerText.TryParse(argv[first + spec.Find.KeyNumIndex], out long numKeys) || numKeys < 0) return Invalid(keys);
                first += spec.Find.FirstKey;
                last = first + (int)numKeys - 1;
            }
            else return Invalid(keys);

            if (last >= argc || last < first || first >= argc) return Invalid(keys);
            for (int i = first; i <= last; i += step) keys.Add(new KeyReference(i, spec.Flags));
            if ((spec.Flags & KeySpecFlags.Incomplete) != 0) return Invalid(keys);
        }
        return keys.Count;
    }

    static int Invalid(List<KeyReference> keys)
    {
        keys.Clear();
        return -1;
    }
}
