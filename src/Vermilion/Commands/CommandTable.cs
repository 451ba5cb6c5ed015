using System.Runtime.InteropServices;

namespace Vermilion;

/// <summary>A command's body. Arguments are slices of the request; replies go to <c>c.Reply</c>.</summary>
public delegate void CommandProc(Client c, CommandArgs args);

/// <summary>Redis command flags that change how the server treats a command (COMMAND INFO shows their names).</summary>
[Flags]
public enum CommandFlags
{
    None = 0,
    Write = 1 << 0, ReadOnly = 1 << 1, DenyOom = 1 << 2, Admin = 1 << 3, PubSub = 1 << 4, NoScript = 1 << 5,
    Blocking = 1 << 6, Loading = 1 << 7, Stale = 1 << 8, SkipMonitor = 1 << 9, SkipSlowlog = 1 << 10,
    Fast = 1 << 11, NoAuth = 1 << 12, MayReplicate = 1 << 13, Sentinel = 1 << 14, OnlySentinel = 1 << 15,
    NoMandatoryKeys = 1 << 16, Protected = 1 << 17, NoAsyncLoading = 1 << 18, NoMulti = 1 << 19,
    MovableKeys = 1 << 20, AllowBusy = 1 << 21,
}

/// <summary>
/// One command's metadata as data (Redis's redisCommand): name, arity (negative = at least),
/// flags, ACL categories, the legacy key positions and, for container commands such as CLIENT
/// and CONFIG, a table of subcommands. COMMAND INFO/DOCS/COUNT/LIST/GETKEYS read only this.
/// </summary>
public sealed class CommandDef
{
    public required string Name { get; init; }
    public required int Arity { get; init; }
    public CommandFlags Flags { get; init; }
    public string[] Categories { get; init; } = [];
    public int FirstKey { get; init; }
    public int LastKey { get; init; }
    public int KeyStep { get; init; }
    public CommandProc? Proc { get; init; }
    /// <summary>COMMAND DOCS fields.</summary>
    public string Summary { get; init; } = "";
    public string Since { get; init; } = "";
    public string Group { get; init; } = "";
    public string Complexity { get; init; } = "";
    public string[] Tips { get; init; } = [];
    public CommandDef? Parent { get; private set; }
    public Dictionary<string, CommandDef>? Subcommands { get; private set; }

    /// <summary>"get", or "client|kill" for a subcommand, as error messages and CLIENT LIST name them.</summary>
    public string FullName => Parent is null ? Name : Parent.Name + "|" + Name;

    public long Calls, Microseconds, FailedCalls, RejectedCalls;

    public CommandDef AddSubcommand(CommandDef sub)
    {
        Subcommands ??= new(StringComparer.OrdinalIgnoreCase);
        sub.Parent = this;
        Subcommands[sub.Name] = sub;
        return this;
    }

    /// <summary>Redis's arity rule: a positive arity is exact, a negative one a minimum.</summary>
    public bool ArityAccepts(int argc) => Arity > 0 ? argc == Arity : argc >= -Arity;
}

/// <summary>
/// All commands by name, looked up straight from the request bytes (case-insensitive, no
/// allocation): names are at most a few dozen ASCII bytes, decoded onto the stack.
/// </summary>
public sealed class CommandTable
{
    readonly Dictionary<string, CommandDef> _commands = new(StringComparer.OrdinalIgnoreCase);
    readonly Dictionary<string, CommandDef>.AlternateLookup<ReadOnlySpan<char>> _byChars;
    const int MaxNameLength = 64;

    public CommandTable()
    {
        _byChars = _commands.GetAlternateLookup<ReadOnlySpan<char>>();
        ConnectionCommands.Register(this);
        ClientCommands.Register(this);
        ServerCommands.Register(this);
        ConfigCommands.Register(this);
        IntrospectionCommands.Register(this);
        StringCommands.Register(this);
        KeyCommands.Register(this);
    }

    public int Count => _commands.Count;
    public IEnumerable<CommandDef> All => _commands.Values;

    public void Add(CommandDef def) => _commands[def.Name] = def;

    public CommandDef? Lookup(ReadOnlySpan<byte> name)
    {
        if (name.Length == 0 || name.Length > MaxNameLength) return null;
        Span<char> chars = stackalloc char[name.Length];
        for (int i = 0; i < name.Length; i++) chars[i] = (char)name[i];
        return _byChars.TryGetValue(chars, out var def) ? def : null;
    }

    public CommandDef? Lookup(string name) => _commands.GetValueOrDefault(name);

    public static CommandDef? LookupSub(CommandDef parent, ReadOnlySpan<byte> name)
    {
        if (parent.Subcommands is null || name.Length == 0 || name.Length > MaxNameLength) return null;
        Span<char> chars = stackalloc char[name.Length];
        for (int i = 0; i < name.Length; i++) chars[i] = (char)name[i];
        return parent.Subcommands.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(chars, out var def) ? def : null;
    }
}
