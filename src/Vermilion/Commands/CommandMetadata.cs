using System.Runtime.CompilerServices;
using System.Text.Json;

namespace Vermilion.Commands;

/// <summary>
/// Every command's metadata, read once per process from the data files embedded from
/// Commands/Metadata/*.json (Redis keeps the same in src/commands/*.json). tools/command_metadata.py
/// writes them from a running redis-server: each entry is a command's COMMAND INFO and COMMAND
/// DOCS fields under Redis's own names, so a field is read here as the reply spells it. An
/// unknown field is an error, not something to drop silently. Parsed with JsonDocument, no
/// reflection, for NativeAOT.
/// </summary>
public static class CommandMetadata
{
    // The names COMMAND INFO/DOCS give flags and types, in Redis's order (the reply lists them so).
    // may_replicate, sentinel, only_sentinel and protected are hidden by Redis, so no file has them.

    internal static readonly (CommandFlags Flag, string Name)[] CommandFlagNames =
    [
        (CommandFlags.Write, "write"), (CommandFlags.ReadOnly, "readonly"), (CommandFlags.DenyOom, "denyoom"),
        (CommandFlags.Admin, "admin"), (CommandFlags.PubSub, "pubsub"), (CommandFlags.NoScript, "noscript"),
        (CommandFlags.Blocking, "blocking"), (CommandFlags.Loading, "loading"), (CommandFlags.Stale, "stale"),
        (CommandFlags.SkipMonitor, "skip_monitor"), (CommandFlags.SkipSlowlog, "skip_slowlog"), (CommandFlags.Asking, "asking"),
        (CommandFlags.Fast, "fast"),
        (CommandFlags.NoAuth, "no_auth"), (CommandFlags.NoMandatoryKeys, "no_mandatory_keys"),
        (CommandFlags.NoAsyncLoading, "no_async_loading"), (CommandFlags.NoMulti, "no_multi"),
        (CommandFlags.MovableKeys, "movablekeys"), (CommandFlags.AllowBusy, "allow_busy"),
    ];

    internal static readonly (KeySpecFlags Flag, string Name)[] KeySpecFlagNames =
    [
        (KeySpecFlags.RO, "RO"), (KeySpecFlags.RW, "RW"), (KeySpecFlags.OW, "OW"), (KeySpecFlags.RM, "RM"),
        (KeySpecFlags.Access, "access"), (KeySpecFlags.Update, "update"), (KeySpecFlags.Insert, "insert"),
        (KeySpecFlags.Delete, "delete"), (KeySpecFlags.NotKey, "not_key"), (KeySpecFlags.Incomplete, "incomplete"),
        (KeySpecFlags.VariableFlags, "variable_flags"),
    ];

    internal static readonly (ArgFlags Flag, string Name)[] ArgFlagNames =
        [(ArgFlags.Optional, "optional"), (ArgFlags.Multiple, "multiple"), (ArgFlags.MultipleToken, "multiple_token")];

    internal static readonly (DocFlags Flag, string Name)[] DocFlagNames = [(DocFlags.Deprecated, "deprecated"), (DocFlags.SysCmd, "syscmd")];

    /// <summary>Indexed by <see cref="ArgType"/>.</summary>
    internal static readonly string[] ArgTypeNames = ["string", "integer", "double", "key", "pattern", "unix-time", "pure-token", "oneof", "block"];

    const string ResourcePrefix = "Metadata/";

    /// <summary>By full name ("get", "client|kill"), in file order. (After the name tables: static fields initialize in textual order.)</summary>
    public static readonly IReadOnlyDictionary<string, CommandSpec> All = Load();

    static Dictionary<string, CommandSpec> Load()
    {
        var all = new Dictionary<string, CommandSpec>(StringComparer.Ordinal);
        var assembly = typeof(CommandMetadata).Assembly;
        // Comments are allowed: manual.json opens with one saying why it is kept by hand.
        var options = new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip };
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var doc = JsonDocument.Parse(stream, options);
            foreach (var command in doc.RootElement.EnumerateObject())
            {
                var spec = ReadCommand(command.Name, command.Value);
                if (!all.TryAdd(spec.FullName, spec)) throw Bad(resource, $"'{spec.FullName}' is described twice");
            }
        }
        return all;
    }

    static InvalidDataException Bad(string where, string what) => new($"command metadata, {where}: {what}");

    static CommandSpec ReadCommand(string name, JsonElement e)
    {
        int arity = 0, firstKey = 0, lastKey = 0, keyStep = 0;
        CommandFlags flags = 0;
        DocFlags docFlags = 0;
        string[] categories = [], tips = [];
        string summary = "", since = "", group = "", complexity = "";
        string? deprecatedSince = null, replacedBy = null;
        (string, string)[] history = [];
        KeySpec[] keySpecs = [];
        CommandArgument[] arguments = [];
        foreach (var field in e.EnumerateObject())
        {
            var v = field.Value;
            switch (field.Name)
            {
                case "arity": arity = v.GetInt32(); break;
                case "flags": flags = ReadFlags(v, CommandFlagNames, name); break;
                case "acl_categories": categories = ReadStrings(v); break;
                case "first_key": firstKey = v.GetInt32(); break;
                case "last_key": lastKey = v.GetInt32(); break;
                case "key_step": keyStep = v.GetInt32(); break;
                case "tips": tips = ReadStrings(v); break;
                case "key_specs": keySpecs = v.EnumerateArray().Select(s => ReadKeySpec(s, name)).ToArray(); break;
                case "summary": summary = v.GetString()!; break;
                case "since": since = v.GetString()!; break;
                case "group": group = v.GetString()!; break;
                case "complexity": complexity = v.GetString()!; break;
                case "doc_flags": docFlags = ReadFlags(v, DocFlagNames, name); break;
                case "deprecated_since": deprecatedSince = v.GetString(); break;
                case "replaced_by": replacedBy = v.GetString(); break;
                case "history": history = v.EnumerateArray().Select(h => (h[0].GetString()!, h[1].GetString()!)).ToArray(); break;
                case "arguments": arguments = ReadArguments(v, name); break;
                default: throw Bad(name, $"unknown field '{field.Name}'");
            }
        }
        return new CommandSpec
        {
            FullName = name, Arity = arity, Flags = flags, Categories = categories,
            FirstKey = firstKey, LastKey = lastKey, KeyStep = keyStep,
            Summary = summary, Since = since, Group = group, Complexity = complexity, Tips = tips, History = history,
            DocFlags = docFlags, DeprecatedSince = deprecatedSince, ReplacedBy = replacedBy,
            KeySpecs = keySpecs, Arguments = arguments,
        };
    }

    static string[] ReadStrings(JsonElement array) => array.EnumerateArray().Select(s => s.GetString()!).ToArray();

    static T ReadFlags<T>(JsonElement array, (T Flag, string Name)[] names, string where) where T : struct, Enum
    {
        int flags = 0;
        foreach (var item in array.EnumerateArray())
        {
            string flag = item.GetString()!;
            int i = Array.FindIndex(names, n => n.Name == flag);
            if (i < 0) throw Bad(where, $"unknown {typeof(T).Name} '{flag}'");
            flags |= Unsafe.BitCast<T, int>(names[i].Flag);
        }
        return Unsafe.BitCast<int, T>(flags);
    }

    /// <summary>A key spec as COMMAND INFO shows it: {notes?, flags, begin_search: {type, spec}, find_keys: {type, spec}}.</summary>
    static KeySpec ReadKeySpec(JsonElement e, string where)
    {
        string? notes = null;
        KeySpecFlags flags = 0;
        BeginSearch? begin = null;
        FindKeys? find = null;
        foreach (var field in e.EnumerateObject())
        {
            var v = field.Value;
            switch (field.Name)
            {
                case "notes": notes = v.GetString(); break;
                case "flags": flags = ReadFlags(v, KeySpecFlagNames, where); break;
                case "begin_search":
                    var bs = v.GetProperty("spec");
                    begin = v.GetProperty("type").GetString() switch
                    {
                        "index" => BeginSearch.ByIndex(bs.GetProperty("index").GetInt32()),
                        "keyword" => BeginSearch.ByKeyword(bs.GetProperty("keyword").GetString()!, bs.GetProperty("startfrom").GetInt32()),
                        "unknown" => BeginSearch.Unknown,
                        var t => throw Bad(where, $"unknown begin_search type '{t}'"),
                    };
                    break;
                case "find_keys":
                    var fk = v.GetProperty("spec");
                    find = v.GetProperty("type").GetString() switch
                    {
                        "range" => FindKeys.Range(fk.GetProperty("lastkey").GetInt32(), fk.GetProperty("keystep").GetInt32(), fk.GetProperty("limit").GetInt32()),
                        "keynum" => FindKeys.KeyNum(fk.GetProperty("keynumidx").GetInt32(), fk.GetProperty("firstkey").GetInt32(), fk.GetProperty("keystep").GetInt32()),
                        "unknown" => FindKeys.Unknown,
                        var t => throw Bad(where, $"unknown find_keys type '{t}'"),
                    };
                    break;
                default: throw Bad(where, $"unknown key spec field '{field.Name}'");
            }
        }
        return new KeySpec(flags, begin ?? throw Bad(where, "key spec without begin_search"), find ?? throw Bad(where, "key spec without find_keys")) { Notes = notes };
    }

    static CommandArgument[] ReadArguments(JsonElement array, string where) => array.EnumerateArray().Select(a => ReadArgument(a, where)).ToArray();

    static CommandArgument ReadArgument(JsonElement e, string where)
    {
        string name = e.GetProperty("name").GetString()!;
        string type = e.GetProperty("type").GetString()!;
        int typeIndex = Array.IndexOf(ArgTypeNames, type);
        if (typeIndex < 0) throw Bad(where, $"argument '{name}' of unknown type '{type}'");
        int keySpecIndex = -1;
        string? token = null, summary = null, since = null, deprecatedSince = null;
        ArgFlags flags = 0;
        CommandArgument[] arguments = [];
        foreach (var field in e.EnumerateObject())
        {
            var v = field.Value;
            switch (field.Name)
            {
                case "name": case "type": break;
                case "key_spec_index": keySpecIndex = v.GetInt32(); break;
                case "token": token = v.GetString(); break;
                case "summary": summary = v.GetString(); break;
                case "since": since = v.GetString(); break;
                case "deprecated_since": deprecatedSince = v.GetString(); break;
                case "flags": flags = ReadFlags(v, ArgFlagNames, where); break;
                case "arguments": arguments = ReadArguments(v, where); break;
                default: throw Bad(where, $"argument '{name}': unknown field '{field.Name}'");
            }
        }
        return new CommandArgument(name, (ArgType)typeIndex)
        {
            KeySpecIndex = keySpecIndex, Token = token, Summary = summary, Since = since,
            DeprecatedSince = deprecatedSince, Flags = flags, Arguments = arguments,
        };
    }
}
