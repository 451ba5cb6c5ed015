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
public static partial class IntrospectionCommands
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

    // ---- COMMAND, COUNT, LIST, INFO, DOCS, HELP ------------------------------------------------

    [Command("command")]
    static void All(Client c, CommandArgs a)
    {
        var table = c.Server.Commands;
        c.Reply.ArrayHeader(table.Count);
        foreach (var cmd in table.All) WriteInfo(c.Reply, cmd);
    }

    [Command("command|count")] static void Count(Client c, CommandArgs a) => c.Reply.Integer(c.Server.Commands.Count);

    [Command("command|help")] static void Help(Client c, CommandArgs a) => HelpReply.Write(c, s_help);

    [Command("command|info")]
    static void Info(Client c, CommandArgs a)
    {
        if (a.Count == 2)
        {
            All(c, a);
            return;
        }
        c.Reply.ArrayHeader(a.Count - 2);
        for (int i = 2; i < a.Count; i++) WriteInfo(c.Reply, c.Server.Commands.LookupByFullName(a.GetString(i)));
    }

    /// <summary>Unknown names are skipped (the map only has the commands found); no names means all.</summary>
    [Command("command|docs")]
    static void Docs(Client c, CommandArgs a)
    {
        var table = c.Server.Commands;
        var found = new List<CommandDef>();
        if (a.Count == 2) found.AddRange(table.All);
        else
        {
            for (int i = 2; i < a.Count; i++)
                if (table.LookupByFullName(a.GetString(i)) is { } cmd) found.Add(cmd);
        }
        c.Reply.MapHeader(found.Count);
        foreach (var cmd in found)
        {
            c.Reply.Bulk(cmd.FullName);
            WriteDocs(c.Reply, cmd);
        }
    }

    /// <summary>COMMAND LIST [FILTERBY MODULE name|ACLCAT category|PATTERN pattern]: names of commands and subcommands.</summary>
    [Command("command|list")]
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
                    2 => category is not null && Array.IndexOf(cmd.Spec.Categories, category) >= 0,
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

    // ---- COMMAND INFO entry ------------------------------------------------------------------

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
        WriteFlags(r, cmd.Flags, CommandMetadata.CommandFlagNames);
        r.Integer(cmd.Spec.FirstKey);
        r.Integer(cmd.Spec.LastKey);
        r.Integer(cmd.Spec.KeyStep);
        r.SetHeader(cmd.Spec.Categories.Length);
        foreach (var cat in cmd.Spec.Categories) r.Simple(cat);
        r.SetHeader(cmd.Spec.Tips.Length);
        foreach (var tip in cmd.Spec.Tips) r.Bulk(tip);
        r.SetHeader(cmd.Spec.KeySpecs.Length);
        foreach (var spec in cmd.Spec.KeySpecs) WriteKeySpec(r, spec);
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
        WriteFlags(r, spec.Flags, CommandMetadata.KeySpecFlagNames);
        switch (spec.Begin.Type)
        {
            case BeginSearchType.Index:
                WriteSearchStep(r, "begin_search"u8, "index"u8, specFields: 1);
                r.Bulk("index"u8); r.Integer(spec.Begin.Index);
                break;
            case BeginSearchType.Keyword:
                WriteSearchStep(r, "begin_search"u8, "keyword"u8, specFields: 2);
                r.Bulk("keyword"u8); r.Bulk(spec.Begin.Keyword!);
                r.Bulk("startfrom"u8); r.Integer(spec.Begin.StartFrom);
                break;
            default:
                WriteSearchStep(r, "begin_search"u8, "unknown"u8, specFields: 0);
                break;
        }
        switch (spec.Find.Type)
        {
            case FindKeysType.Range:
                WriteSearchStep(r, "find_keys"u8, "range"u8, specFields: 3);
                r.Bulk("lastkey"u8); r.Integer(spec.Find.LastKey);
                r.Bulk("keystep"u8); r.Integer(spec.Find.KeyStep);
                r.Bulk("limit"u8); r.Integer(spec.Find.Limit);
                break;
            case FindKeysType.KeyNum:
                WriteSearchStep(r, "find_keys"u8, "keynum"u8, specFields: 3);
                r.Bulk("keynumidx"u8); r.Integer(spec.Find.KeyNumIndex);
                r.Bulk("firstkey"u8); r.Integer(spec.Find.FirstKey);
                r.Bulk("keystep"u8); r.Integer(spec.Find.KeyStep);
                break;
            default:
                WriteSearchStep(r, "find_keys"u8, "unknown"u8, specFields: 0);
                break;
        }
    }

    /// <summary>
    /// addReplyCommandKeySpecs' begin_search and find_keys alike: the step's name, then a map of
    /// its type and its spec, whose <paramref name="specFields"/> pairs the caller writes.
    /// </summary>
    static void WriteSearchStep(ReplyWriter r, ReadOnlySpan<byte> step, ReadOnlySpan<byte> type, int specFields)
    {
        r.Bulk(step);
        r.MapHeader(2);
        r.Bulk("type"u8);
        r.Bulk(type);
        r.Bulk("spec"u8);
        r.MapHeader(specFields);
    }

    // ---- COMMAND DOCS entry ------------------------------------------------------------------

    /// <summary>addReplyCommandDocs: a map of the fields the command has (group always).</summary>
    public static void WriteDocs(ReplyWriter r, CommandDef cmd)
    {
        var doc = cmd.Spec;
        int fields = 1;
        if (doc.Summary.Length > 0) fields++;
        if (doc.Since.Length > 0) fields++;
        if (doc.Complexity.Length > 0) fields++;
        if (doc.DocFlags != DocFlags.None) fields++;
        if (doc.DeprecatedSince is not null) fields++;
        if (doc.ReplacedBy is not null) fields++;
        if (doc.History.Length > 0) fields++;
        if (doc.Arguments.Length > 0) fields++;
        if (cmd.Subcommands is not null) fields++;
        r.MapHeader(fields);
        if (doc.Summary.Length > 0) { r.Bulk("summary"u8); r.Bulk(doc.Summary); }
        if (doc.Since.Length > 0) { r.Bulk("since"u8); r.Bulk(doc.Since); }
        r.Bulk("group"u8); r.Bulk(doc.Group);
        if (doc.Complexity.Length > 0) { r.Bulk("complexity"u8); r.Bulk(doc.Complexity); }
        if (doc.DocFlags != DocFlags.None) { r.Bulk("doc_flags"u8); WriteFlags(r, doc.DocFlags, CommandMetadata.DocFlagNames); }
        if (doc.DeprecatedSince is not null) { r.Bulk("deprecated_since"u8); r.Bulk(doc.DeprecatedSince); }
        if (doc.ReplacedBy is not null) { r.Bulk("replaced_by"u8); r.Bulk(doc.ReplacedBy); }
        if (doc.History.Length > 0)
        {
            r.Bulk("history"u8);
            r.SetHeader(doc.History.Length);
            foreach (var (version, change) in doc.History)
            {
                r.ArrayHeader(2);
                r.Bulk(version);
                r.Bulk(change);
            }
        }
        if (doc.Arguments.Length > 0)
        {
            r.Bulk("arguments"u8);
            WriteArguments(r, doc.Arguments);
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
            r.Bulk("type"u8); r.Bulk(CommandMetadata.ArgTypeNames[(int)arg.Type]);
            if (arg.KeySpecIndex != -1) { r.Bulk("key_spec_index"u8); r.Integer(arg.KeySpecIndex); }
            if (arg.Token is not null) { r.Bulk("token"u8); r.Bulk(arg.Token); }
            if (arg.Summary is not null) { r.Bulk("summary"u8); r.Bulk(arg.Summary); }
            if (arg.Since is not null) { r.Bulk("since"u8); r.Bulk(arg.Since); }
            if (arg.DeprecatedSince is not null) { r.Bulk("deprecated_since"u8); r.Bulk(arg.DeprecatedSince); }
            if (arg.Flags != ArgFlags.None) { r.Bulk("flags"u8); WriteFlags(r, arg.Flags, CommandMetadata.ArgFlagNames); }
            if (nested) { r.Bulk("arguments"u8); WriteArguments(r, arg.Arguments); }
        }
    }

    // ---- GETKEYS, GETKEYSANDFLAGS ------------------------------------------------------------

    [Command("command|getkeys")] static void GetKeys(Client c, CommandArgs a) => GetKeysImpl(c, a, withFlags: false);
    [Command("command|getkeysandflags")] static void GetKeysAndFlags(Client c, CommandArgs a) => GetKeysImpl(c, a, withFlags: true);

    /// <summary>getKeysSubcommandImpl: the command after GETKEYS is looked up (with its subcommand), its arity checked, then its keys found.</summary>
    static void GetKeysImpl(Client c, CommandArgs a, bool withFlags)
    {
        var argv = new Argv(a, start: 2);
        var cmd = c.Server.Commands.Lookup(argv[0]);
        if (cmd?.Subcommands is not null && argv.Count > 1) cmd = CommandTable.LookupSub(cmd, argv[1]);
        if (cmd is null)
        {
            c.Reply.Error("Invalid command specified");
            return;
        }
        if (!KeyFinder.HasKeys(cmd))
        {
            c.Reply.Error("The command has no key arguments");
            return;
        }
        if (!cmd.ArityAccepts(argv.Count))
        {
            c.Reply.Error("Invalid number of arguments specified for command");
            return;
        }
        var keys = new List<KeyReference>();
        if (!KeyFinder.FindKeys(cmd, argv, keys))
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
                WriteFlags(c.Reply, key.Flags, CommandMetadata.KeySpecFlagNames);
            }
            else c.Reply.Bulk(argv[key.Position]);
        }
    }
}
