using System.Diagnostics;
using Vermilion.Protocol;
using static Vermilion.Scripting.LuaApi;

namespace Vermilion.Scripting;

/// <summary>A function a library registered (function_lua.c's registerFunctionArgs): its name, compiled callback, flags and description.</summary>
public sealed record RegisteredFunction(string Name, CompiledScript Function, int Flags, string? Description);

/// <summary>
/// The functions engine (function_lua.c): a second Lua state, apart from EVAL's as Redis keeps
/// them, made with <c>functions: true</c>. Its environment is EVAL's reshaped by
/// FunctionPrelude.lua; a library's body runs once at FUNCTION LOAD (<see cref="LoadLibrary"/>)
/// and registers callbacks, which FCALL runs with the keys and the arguments as their two
/// parameters (<see cref="CallFunction"/>).
/// </summary>
public sealed unsafe partial class LuaEngine
{
    readonly bool _functions;
    /// <summary>The prelude's loader (functions engine only): runs a compiled body with the library API as globals.</summary>
    int _loaderRef;
    long _loadStarted;

    /// <summary>Whether this state is the functions engine.</summary>
    public bool ForFunctions => _functions;

    /// <summary>
    /// Into the primitives table (on top of the stack) before Prelude.lua runs: the compiled
    /// FunctionPrelude.lua as P.functions (Prelude.lua hands its environment over to it), the
    /// base functions it needs before Prelude.lua replaces or removes them (pcall, debug's hooks),
    /// and the clock of the load timeout.
    /// </summary>
    void AddFunctionPrimitives()
    {
        var L = _L;
        using (var stream = typeof(LuaEngine).Assembly.GetManifestResourceStream("Scripting/FunctionPrelude.lua")!)
        {
            var code = new byte[stream.Length];
            stream.ReadExactly(code);
            // Named as Prelude.lua is, so the error handler skips its frames too.
            fixed (byte* p = code)
            {
                if (luaL_loadbuffer(L, p, (nuint)code.Length, "=redis") != LUA_OK) throw new InvalidOperationException("function prelude: " + ErrorText());
            }
        }
        lua_setfield(L, -2, "functions");
        lua_createtable(L, 0, 12);
        foreach (var name in (ReadOnlySpan<string>)["pcall", "type", "tostring", "next", "error", "select", "setmetatable"])
        {
            lua_getfield(L, LUA_GLOBALSINDEX, name);
            lua_setfield(L, -2, name);
        }
        lua_getfield(L, LUA_GLOBALSINDEX, "string");
        lua_getfield(L, -1, "lower");
        lua_setfield(L, -3, "lower");
        lua_getfield(L, -1, "find");
        lua_setfield(L, -3, "find");
        lua_pop(L, 1);
        lua_getfield(L, LUA_GLOBALSINDEX, "debug");
        lua_getfield(L, -1, "sethook");
        lua_setfield(L, -3, "sethook");
        lua_getfield(L, -1, "gethook");
        lua_setfield(L, -3, "gethook");
        lua_getfield(L, -1, "getinfo");
        lua_setfield(L, -3, "getinfo");
        lua_pop(L, 1);
        lua_setfield(L, -2, "base");
        Primitive("elapsed", &ElapsedPrimitive);
    }

    /// <summary>After the prelude: its fourth result, the loader, kept in the registry (nil for EVAL's state).</summary>
    void KeepLoader()
    {
        if (lua_type(_L, -1) == LUA_TFUNCTION) _loaderRef = luaL_ref(_L, LUA_REGISTRYINDEX);
        else lua_pop(_L, 1);
    }

    /// <summary>
    /// luaEngineCreate: compile a library's code (after its #! line, whose newline is kept) as
    /// "@user_function" and run it with the library API as globals, under a count hook that
    /// stops it after <paramref name="timeoutMs"/> (0: no limit, as for the AOF and RDB loads).
    /// The functions it registered, or null and Redis's error text ("Error compiling function:
    /// ...", "Error registering functions: ...").
    /// </summary>
    public List<RegisteredFunction>? LoadLibrary(ReadOnlySpan<byte> code, long timeoutMs, out string? error)
    {
        if (!_functions) throw new InvalidOperationException("not the functions engine");
        var L = _L;
        error = null;
        lua_settop(L, 0);
        lua_rawgeti(L, LUA_REGISTRYINDEX, _loaderRef);
        int status;
        if (!code.IsEmpty && code[0] == 27)
        {
            // Redis's loader reads every chunk as text: bytecode does not parse.
            error = "Error compiling function: user_function:1: unexpected symbol near 'char(27)'";
            lua_settop(L, 0);
            return null;
        }
        fixed (byte* p = code) status = luaL_loadbuffer(L, p, (nuint)code.Length, "@user_function");
        if (status != LUA_OK)
        {
            error = "Error compiling function: " + Latin1(ToBytes(L, -1));
            lua_settop(L, 0);
            return null;
        }
        lua_pushnumber(L, timeoutMs);
        _loadStarted = Stopwatch.GetTimestamp();
        _alloc->Armed = 1;
        status = lua_pcall(L, 2, 3, 0);
        _alloc->Armed = 0;
        if (status != LUA_OK)
        {
            error = "Error registering functions: " + ErrorMessage(L);
            lua_settop(L, 0);
            return null;
        }
        if (lua_toboolean(L, 1) == 0)
        {
            lua_settop(L, 2);
            error = "Error registering functions: " + ErrorMessage(L);
            lua_settop(L, 0);
            return null;
        }
        var functions = new List<RegisteredFunction>();
        for (int i = 1; ; i++)
        {
            lua_rawgeti(L, 3, i);
            if (lua_type(L, -1) != LUA_TTABLE)
            {
                lua_pop(L, 1);
                break;
            }
            lua_rawgeti(L, -1, 1);
            var name = Latin1(ToBytes(L, -1));
            lua_rawgeti(L, -2, 3);
            int flags = (int)lua_tonumber(L, -1);
            lua_rawgeti(L, -3, 4);
            string? description = lua_type(L, -1) == LUA_TSTRING ? Latin1(ToBytes(L, -1)) : null;
            lua_pop(L, 3);
            lua_rawgeti(L, -1, 2);
            var function = new CompiledScript(luaL_ref(L, LUA_REGISTRYINDEX));
            lua_pop(L, 1);
            functions.Add(new RegisteredFunction(name, function, flags, description));
        }
        lua_settop(L, 0);
        return functions;
    }

    /// <summary>luaExtractErrorInformation's message: a string as "ERR &lt;it&gt;", a table's err field.</summary>
    static string ErrorMessage(nint L)
    {
        int t = lua_type(L, -1);
        if (t == LUA_TSTRING || t == LUA_TNUMBER) return "ERR " + Latin1(ToBytes(L, -1));
        if (t == LUA_TTABLE)
        {
            RawGetField(L, -1, "err"u8);
            string message = lua_type(L, -1) == LUA_TSTRING ? Latin1(ToBytes(L, -1)) : "ERR unknown error";
            lua_pop(L, 1);
            return message;
        }
        return "ERR unknown error";
    }

    /// <summary>
    /// luaEngineCall: run a registered function with the keys args[firstKey..+numKeys) and the
    /// rest as its two parameters, writing its result, or its error named by
    /// <paramref name="name"/> ("script: &lt;fname&gt;, on @user_function:N."), to <paramref name="reply"/>.
    /// </summary>
    public void CallFunction(CompiledScript function, ReadOnlySpan<byte> name, CommandArgs args, int firstKey, int numKeys, IScriptHost host, ReplyWriter reply)
    {
        var L = _L;
        _host = host;
        lua_settop(L, 0);
        lua_rawgeti(L, LUA_REGISTRYINDEX, _handlerRef);
        lua_rawgeti(L, LUA_REGISTRYINDEX, function.Ref);
        PushArray(L, args, firstKey, numKeys);
        PushArray(L, args, firstKey + numKeys, args.Count - firstKey - numKeys);
        CallAndReply(L, 2, reply, host, name);
    }

    /// <summary>The load's clock in milliseconds, for the timeout hook.</summary>
    [System.Runtime.InteropServices.UnmanagedCallersOnly]
    static int ElapsedPrimitive(nint L)
    {
        lua_pushnumber(L, Stopwatch.GetElapsedTime(Self(L)._loadStarted).TotalMilliseconds);
        return 1;
    }
}
