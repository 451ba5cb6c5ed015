using System.Text;
using Vermilion.Protocol;
using Vermilion.Scripting;

namespace Vermilion.Server;

/// <summary>A function of a library (functions.h functionInfo).</summary>
public sealed class LibraryFunction(string name, CompiledScript function, ScriptFlags flags, string? description, FunctionLibrary library)
{
    public string Name { get; } = name;
    public CompiledScript Function { get; } = function;
    public ScriptFlags Flags { get; } = flags;
    public string? Description { get; } = description;
    public FunctionLibrary Library { get; } = library;
}

/// <summary>A loaded library (functionLibInfo): its name, its whole code (the #! line included, as LIST WITHCODE, DUMP and the RDB keep it), its functions.</summary>
public sealed class FunctionLibrary(string name, byte[] code)
{
    public string Name { get; } = name;
    public byte[] Code { get; } = code;
    /// <summary>Registration order; names compared exactly (the library's own dict), unlike the server-wide one.</summary>
    public List<LibraryFunction> Functions { get; } = [];
}

/// <summary>
/// A set of libraries and the functions they registered (functions.c functionsLibCtx): the
/// server's current one, or one being built by FUNCTION RESTORE or an RDB load before it joins or
/// replaces the current. Library names are case-sensitive; function names are unique across the
/// set regardless of case (Redis's functions dict compares them case-insensitively, its libraries
/// dict does not).
/// </summary>
public sealed class FunctionSet
{
    public Dictionary<string, FunctionLibrary> Libraries { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, LibraryFunction> Functions { get; } = new(StringComparer.OrdinalIgnoreCase);
    /// <summary>The libraries' code bytes (used_memory_functions's share that is ours).</summary>
    public long CodeBytes { get; private set; }

    internal void Link(FunctionLibrary library)
    {
        // dictAdd: a second name differing only in case from one of the same library is not linked.
        foreach (var f in library.Functions) Functions.TryAdd(f.Name, f);
        Libraries[library.Name] = library;
        CodeBytes += library.Code.Length;
    }

    internal void Unlink(FunctionLibrary library)
    {
        foreach (var f in library.Functions)
        {
            if (Functions.TryGetValue(f.Name, out var linked) && linked == f) Functions.Remove(f.Name);
        }
        Libraries.Remove(library.Name);
        CodeBytes -= library.Code.Length;
    }
}

/// <summary>
/// FUNCTION and FCALL's machinery (functions.c, function_lua.c): the functions engine (a Lua
/// state of its own, apart from EVAL's), the current <see cref="FunctionSet"/>, loading a library
/// (functionsCreateWithLibraryCtx), joining a restored set (libraryJoin), and FCALL, which runs a
/// function through EVAL's path (<see cref="MayRun"/>, the script client and its checks, effects
/// propagated and FCALL itself not). FUNCTION LOAD, DELETE, FLUSH and RESTORE move dirty, so the
/// effect stream (AOF) gets them as they were typed, as Redis 7.0 propagates them.
/// </summary>
public sealed partial class VermilionServer
{
    LuaEngine? _functionsLua;
    FunctionSet _functionSet = new();

    /// <summary>FUNCTION LOAD's limit on running a library's body (LOAD_TIMEOUT_MS).</summary>
    public const long FunctionLoadTimeoutMs = 500;

    LuaEngine FunctionsLua => _functionsLua ??= new LuaEngine(functions: true);

    public FunctionSet Functions => _functionSet;
    public int FunctionCount => _functionSet.Functions.Count;
    public int LibraryCount => _functionSet.Libraries.Count;
    /// <summary>
    /// used_memory_functions (functionsMemoryOverhead): the registry's own memory. 200 bytes with
    /// no library, as 7.0.15 reports (its empty dictionaries); then each library's code and an
    /// entry per function.
    /// </summary>
    public long FunctionsOverhead => 200 + _functionSet.CodeBytes + 64L * (_functionSet.Functions.Count + _functionSet.Libraries.Count);
    /// <summary>used_memory_vm_functions: what the functions engine's Lua state holds.</summary>
    public long FunctionsLuaMemory => _functionsLua?.UsedMemory ?? 0;

    /// <summary>Every library's code, for an RDB file or an AOF base.</summary>
    public List<byte[]> LibraryCodes()
    {
        var codes = new List<byte[]>(_functionSet.Libraries.Count);
        foreach (var library in _functionSet.Libraries.Values) codes.Add(library.Code);
        return codes;
    }

    /// <summary>
    /// functionsCreateWithLibraryCtx: parse the #! line, compile and run the library's body,
    /// check its functions against <paramref name="set"/>'s, then link it (replacing the library
    /// of the same name when <paramref name="replace"/>). The library's name, or null and the error.
    /// </summary>
    public string? CreateLibrary(FunctionSet set, byte[] code, bool replace, long timeoutMs, out string? error)
    {
        if (!ParseLibraryHeader(code, out var engine, out var name, out int bodyStart, out error)) return null;
        if (!ValidFunctionName(name!))
        {
            error = "Library names can only contain letters, numbers, or underscores(_) and must be at least one character long";
            return null;
        }
        if (!engine!.Equals("lua", StringComparison.OrdinalIgnoreCase))
        {
            error = $"Engine '{engine}' not found";
            return null;
        }
        set.Libraries.TryGetValue(name!, out var old);
        if (old is not null && !replace)
        {
            error = $"Library '{name}' already exists";
            return null;
        }
        if (old is not null) set.Unlink(old);
        var lua = FunctionsLua;
        var registered = lua.LoadLibrary(code.AsSpan(bodyStart), timeoutMs, out error);
        if (registered is null || registered.Count == 0 || Collides(set, registered, out error))
        {
            if (registered is not null)
            {
                foreach (var f in registered) lua.Release(f.Function);
                if (registered.Count == 0) error = "No functions registered";
            }
            if (old is not null) set.Link(old);
            return null;
        }
        var library = new FunctionLibrary(name!, code);
        foreach (var f in registered) library.Functions.Add(new LibraryFunction(f.Name, f.Function, (ScriptFlags)f.Flags, f.Description, library));
        set.Link(library);
        if (old is not null) ReleaseLibrary(old);
        return name;
    }

    static bool Collides(FunctionSet set, List<RegisteredFunction> functions, out string? error)
    {
        foreach (var f in functions)
        {
            if (set.Functions.ContainsKey(f.Name))
            {
                error = $"Function {f.Name} already exists";
                return true;
            }
        }
        error = null;
        return false;
    }

    void ReleaseLibrary(FunctionLibrary library)
    {
        foreach (var f in library.Functions) _functionsLua?.Release(f.Function);
    }

    void ReleaseSet(FunctionSet set)
    {
        foreach (var library in set.Libraries.Values) ReleaseLibrary(library);
    }

    /// <summary>functionsVerifyName: letters, digits and underscores, at least one.</summary>
    static bool ValidFunctionName(string name)
    {
        if (name.Length == 0) return false;
        foreach (char ch in name)
        {
            if (!char.IsAsciiLetterOrDigit(ch) && ch != '_') return false;
        }
        return true;
    }

    /// <summary>
    /// functionExtractLibMetaData: "#!&lt;engine&gt; name=&lt;lib&gt;" up to the first newline,
    /// split as sdssplitargs splits (quotes allowed), the body starting at that newline (kept, so
    /// line numbers count the header line).
    /// </summary>
    static bool ParseLibraryHeader(ReadOnlySpan<byte> code, out string? engine, out string? name, out int bodyStart, out string? error)
    {
        engine = name = null;
        bodyStart = 0;
        error = null;
        if (!code.StartsWith("#!"u8))
        {
            error = "Missing library metadata";
            return false;
        }
        int end = code.IndexOf((byte)'\n');
        // strchr stops at a NUL as well: the header is what C sees of the line.
        int nul = code.IndexOf((byte)0);
        if (end < 0 || (nul >= 0 && nul < end))
        {
            error = "Invalid library metadata";
            return false;
        }
        var parts = new CommandArgs();
        if (!RespRequestReader.SplitArgs(code[..end], parts) || parts.Count == 0)
        {
            error = "Invalid library metadata";
            return false;
        }
        engine = Encoding.Latin1.GetString(parts[0].Length >= 2 ? parts[0][2..] : default);
        for (int i = 1; i < parts.Count; i++)
        {
            var part = parts[i];
            if (part.Length >= 5 && Encoding.Latin1.GetString(part[..5]).Equals("name=", StringComparison.OrdinalIgnoreCase))
            {
                if (name is not null)
                {
                    error = "Invalid metadata value, name argument was given multiple times";
                    return false;
                }
                name = Encoding.Latin1.GetString(part[5..]);
                continue;
            }
            error = $"Invalid metadata value given: {Encoding.Latin1.GetString(part)}";
            return false;
        }
        if (name is null)
        {
            error = "Library name was not given";
            return false;
        }
        bodyStart = end;
        return true;
    }

    /// <summary>rdbFunctionLoad's creation: no timeout; a library already in <paramref name="set"/> is an error unless <paramref name="replace"/> (RDBFLAGS_ALLOW_DUP).</summary>
    internal string? LoadLibraryFromRdb(FunctionSet set, byte[] code, bool replace) =>
        CreateLibrary(set, code, replace, timeoutMs: 0, out var error) is null ? error : null;

    /// <summary>
    /// A load's libraries after its keys loaded: they replace the live set when the dataset is
    /// replaced (emptyData flushes functions: startup, DEBUG RELOAD), else join it (DEBUG RELOAD
    /// NOFLUSH, the AOF base), replacing same-named libraries with MERGE. False (nothing
    /// changed) when a name collides.
    /// </summary>
    internal bool JoinLoadedFunctions(FunctionSet loaded, bool flush, bool merge)
    {
        if (flush)
        {
            ReplaceFunctionSet(loaded);
            return true;
        }
        if (!JoinFunctionSet(loaded, merge, out var error))
        {
            Log.Warning($"Failed loading library, {error}");
            return false;
        }
        return true;
    }

    /// <summary>FUNCTION LOAD [REPLACE]: the current set gains (or replaces) the library; dirty moves, so it is propagated.</summary>
    public void FunctionLoad(Client c, byte[] code, bool replace)
    {
        // mustObeyClient: the AOF's replay client loads without the timeout.
        long timeout = c.Id == -1 ? 0 : FunctionLoadTimeoutMs;
        var name = CreateLibrary(_functionSet, code, replace, timeout, out var error);
        if (name is null)
        {
            c.Reply.Error(error!);
            return;
        }
        Dirty++;
        c.Reply.Bulk(name);
    }

    /// <summary>FUNCTION DELETE: false when no library has that name.</summary>
    public bool DeleteLibrary(string name)
    {
        if (!_functionSet.Libraries.TryGetValue(name, out var library)) return false;
        _functionSet.Unlink(library);
        ReleaseLibrary(library);
        Dirty++;
        return true;
    }

    /// <summary>FUNCTION FLUSH (and FUNCTION RESTORE FLUSH's first half, FLUSHALL does not touch functions): every library goes.</summary>
    public void FlushFunctions()
    {
        ReplaceFunctionSet(new FunctionSet());
    }

    /// <summary>functionsLibCtxSwapWithCurrent: <paramref name="set"/> becomes the current set, the old one is freed.</summary>
    public void ReplaceFunctionSet(FunctionSet set)
    {
        var old = _functionSet;
        _functionSet = set;
        ReleaseSet(old);
    }

    /// <summary>A set that was built and will not be used (a failed RESTORE or load): its functions leave the engine.</summary>
    public void DiscardFunctionSet(FunctionSet set) => ReleaseSet(set);

    /// <summary>
    /// libraryJoin: every library of <paramref name="from"/> moves into the current set. A name
    /// already there is an error, or is replaced with <paramref name="replace"/>; a function
    /// name colliding with another library's aborts, and nothing changes.
    /// </summary>
    public bool JoinFunctionSet(FunctionSet from, bool replace, out string? error)
    {
        var to = _functionSet;
        var replaced = new List<FunctionLibrary>();
        error = null;
        foreach (var library in from.Libraries.Values)
        {
            if (!to.Libraries.TryGetValue(library.Name, out var old)) continue;
            if (!replace)
            {
                error = $"Library {library.Name} already exists";
                break;
            }
            to.Unlink(old);
            replaced.Add(old);
        }
        if (error is null)
        {
            foreach (var f in from.Functions.Values)
            {
                if (to.Functions.ContainsKey(f.Name))
                {
                    error = $"Function {f.Name} already exists";
                    break;
                }
            }
        }
        if (error is not null)
        {
            foreach (var old in replaced) to.Link(old);
            return false;
        }
        foreach (var library in from.Libraries.Values) to.Link(library);
        foreach (var old in replaced) ReleaseLibrary(old);
        return true;
    }

    /// <summary>
    /// fcallCommandGeneric for FCALL/FCALL_RO: the function (any case), numkeys,
    /// scriptPrepareForRun's checks of its flags, then the run on EVAL's path.
    /// </summary>
    public void FCall(Client c, CommandArgs a, bool readOnly)
    {
        FeedMonitorsBeforeScript(c, a);
        // Function names are short: looked up from the stack, nothing allocated per call.
        var typed = a[1];
        Span<char> chars = typed.Length <= 256 ? stackalloc char[typed.Length] : new char[typed.Length];
        Encoding.Latin1.GetChars(typed, chars);
        if (!_functionSet.Functions.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(chars, out var function))
        {
            c.Reply.Error("Function not found");
            return;
        }
        if (!TryNumKeys(c, a, "Bad number of keys provided", out long numkeys)) return;
        if (!MayRun(c, function.Flags, readOnly)) return;
        var run = _scriptRun ??= new ScriptRun(this);
        // FUNCTION KILL, not SCRIPT KILL, stops it; FUNCTION STATS shows it while it is busy.
        run.EvalMode = false;
        run.Begin(c, function.Flags, readOnly || (function.Flags & ScriptFlags.NoWrites) != 0);
        run.Command = a;
        try
        {
            Span<byte> name = stackalloc byte[Encoding.Latin1.GetByteCount(function.Name)];
            Encoding.Latin1.GetBytes(function.Name, name);
            run.SetName(default, name);
            FunctionsLua.CallFunction(function.Function, name, a, 3, (int)numkeys, run, c.Reply);
        }
        finally
        {
            run.End();
        }
        // The function's commands were propagated as themselves; FCALL itself never is.
        PreventPropagation();
    }
}
