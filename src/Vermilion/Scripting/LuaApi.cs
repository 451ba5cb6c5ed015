using System.Reflection;
using System.Runtime.InteropServices;

namespace Vermilion.Scripting;

/// <summary>
/// The whole Lua C API surface Vermilion uses: Debian's Lua 5.1.5 (liblua5.1-0-dev) plus the
/// two libraries Redis loads that Debian packages (lua-cjson-dev's cjson 2.1.0, lua-bitop-dev's
/// bit 1.0.2). Nothing outside Scripting/ sees a lua_State; <see cref="LuaEngine"/> is the only caller.
/// <para>
/// Linking. The NativeAOT binary links the static archives in (Vermilion.Server.csproj:
/// DirectPInvoke + NativeLibrary items), so the shipped server is one file with no Lua to install.
/// Under the JIT (dotnet test) the same imports resolve through <see cref="Resolve"/> to Debian's
/// shared objects. liblua5.1-cjson.so.0 and liblua5.1-bitop.so.0 are Lua modules: they do not
/// link liblua themselves but expect its symbols in the global scope (as a lua interpreter
/// exports them), so liblua5.1.so.0 is opened RTLD_GLOBAL before either.
/// </para>
/// <para>
/// Errors. lua_error and the allocation failures inside Lua longjmp to the nearest lua_pcall;
/// such a jump must never cross a managed frame (the runtime cannot unwind it). So every call
/// that can raise is made inside <see cref="lua_pcall"/>, the managed callbacks Lua calls
/// (redis.call, math.random...) never raise (they return -1 with the error on top, which the C
/// closure of Scripting/LuaCFrames.c that called them raises, or a status that a Lua wrapper
/// turns into an error the same C closure raises), and the allocator never fails while managed code is on the Lua stack
/// (<see cref="LuaEngine"/>'s allocation cap is armed only while Lua code runs).
/// </para>
/// </summary>
internal static unsafe partial class LuaApi
{
    const string Lua = "lua5.1", Cjson = "lua5.1-cjson", BitOp = "lua5.1-bitop", CFrames = "vermilion-lua";

    public const int LUA_REGISTRYINDEX = -10000, LUA_GLOBALSINDEX = -10002;
    public static int UpvalueIndex(int i) => LUA_GLOBALSINDEX - i;
    public const int LUA_MULTRET = -1;
    public const int LUA_TNONE = -1, LUA_TNIL = 0, LUA_TBOOLEAN = 1, LUA_TLIGHTUSERDATA = 2, LUA_TNUMBER = 3, LUA_TSTRING = 4,
        LUA_TTABLE = 5, LUA_TFUNCTION = 6, LUA_TUSERDATA = 7, LUA_TTHREAD = 8;
    /// <summary>lua_pcall / luaL_loadbuffer results.</summary>
    public const int LUA_OK = 0, LUA_ERRRUN = 2, LUA_ERRSYNTAX = 3, LUA_ERRMEM = 4, LUA_ERRERR = 5;
    public const int LUA_GCCOLLECT = 2, LUA_GCCOUNT = 3, LUA_GCCOUNTB = 4, LUA_GCSTEP = 5;

    // ---- state ----
    [LibraryImport(Lua)] public static partial void lua_close(nint L);
    [LibraryImport(Lua)] public static partial int lua_gc(nint L, int what, int data);

    // SuppressGCTransition: the calls marked so run no Lua code and never reach managed code (the
    // allocator is C, no __gc of ours), so they skip the runtime's transition, which measured ~6% of
    // a script's CPU per redis.call (RhpPInvoke/RhpPInvokeReturn). lua_pcall, lua_getfield and
    // lua_setfield (metamethods) keep it: Lua code, and our primitives, may run inside them.

    // ---- stack ----
    [LibraryImport(Lua), SuppressGCTransition] public static partial int lua_gettop(nint L);
    [LibraryImport(Lua), SuppressGCTransition] public static partial void lua_settop(nint L, int idx);
    [LibraryImport(Lua), SuppressGCTransition] public static partial void lua_pushvalue(nint L, int idx);
    [LibraryImport(Lua), SuppressGCTransition] public static partial void lua_remove(nint L, int idx);
    [LibraryImport(Lua), SuppressGCTransition] public static partial void lua_insert(nint L, int idx);
    [LibraryImport(Lua), SuppressGCTransition] public static partial void lua_replace(nint L, int idx);
    [LibraryImport(Lua), SuppressGCTransition] public static partial int lua_checkstack(nint L, int extra);
    public static void lua_pop(nint L, int n) => lua_settop(L, -n - 1);

    // ---- reading values (none of these raise) ----
    [LibraryImport(Lua), SuppressGCTransition] public static partial int lua_type(nint L, int idx);
    [LibraryImport(Lua), SuppressGCTransition] public static partial int lua_toboolean(nint L, int idx);
    /// <summary>A number, or a string that converts to one (lua_str2number).</summary>
    [LibraryImport(Lua), SuppressGCTransition] public static partial int lua_isnumber(nint L, int idx);
    [LibraryImport(Lua), SuppressGCTransition] public static partial double lua_tonumber(nint L, int idx);
    /// <summary>Converts a number in place to its %.14g text (allocates: only where the allocator cannot fail).</summary>
    [LibraryImport(Lua), SuppressGCTransition] public static partial byte* lua_tolstring(nint L, int idx, out nuint len);
    [LibraryImport(Lua), SuppressGCTransition] public static partial nuint lua_objlen(nint L, int idx);
    [LibraryImport(Lua), SuppressGCTransition] public static partial nint lua_touserdata(nint L, int idx);

    // ---- pushing values ----
    [LibraryImport(Lua), SuppressGCTransition] public static partial void lua_pushnil(nint L);
    [LibraryImport(Lua), SuppressGCTransition] public static partial void lua_pushnumber(nint L, double n);
    [LibraryImport(Lua), SuppressGCTransition] public static partial void lua_pushlstring(nint L, byte* s, nuint len);
    [LibraryImport(Lua), SuppressGCTransition] public static partial void lua_pushboolean(nint L, int b);
    [LibraryImport(Lua), SuppressGCTransition] public static partial void lua_pushlightuserdata(nint L, nint p);
    [LibraryImport(Lua)] public static partial void lua_pushcclosure(nint L, delegate* unmanaged<nint, int> fn, int n);

    public static void PushBytes(nint L, ReadOnlySpan<byte> s)
    {
        fixed (byte* p = s) lua_pushlstring(L, p, (nuint)s.Length);
    }

    public static void PushString(nint L, string s)
    {
        Span<byte> buf = s.Length <= 256 ? stackalloc byte[s.Length * 3] : new byte[s.Length * 3];
        PushBytes(L, buf[..System.Text.Encoding.UTF8.GetBytes(s, buf)]);
    }

    /// <summary>A string or number on the stack as bytes (a number is converted in place, as lua_tolstring does); empty span for other types.</summary>
    public static ReadOnlySpan<byte> ToBytes(nint L, int idx)
    {
        var p = lua_tolstring(L, idx, out var len);
        return p is null ? default : new ReadOnlySpan<byte>(p, (int)len);
    }

    // ---- tables (the raw forms never call metamethods, so never raise) ----
    [LibraryImport(Lua), SuppressGCTransition] public static partial void lua_createtable(nint L, int narr, int nrec);
    [LibraryImport(Lua), SuppressGCTransition] public static partial void lua_rawget(nint L, int idx);
    [LibraryImport(Lua), SuppressGCTransition] public static partial void lua_rawgeti(nint L, int idx, int n);
    [LibraryImport(Lua), SuppressGCTransition] public static partial void lua_rawset(nint L, int idx);
    [LibraryImport(Lua), SuppressGCTransition] public static partial void lua_rawseti(nint L, int idx, int n);
    [LibraryImport(Lua), SuppressGCTransition] public static partial int lua_next(nint L, int idx);
    /// <summary>May call __newindex/__index: only on tables we made, without metatables.</summary>
    [LibraryImport(Lua, StringMarshalling = StringMarshalling.Utf8)] public static partial void lua_setfield(nint L, int idx, string k);
    [LibraryImport(Lua, StringMarshalling = StringMarshalling.Utf8)] public static partial void lua_getfield(nint L, int idx, string k);

    /// <summary>t[k] = top, raw, with a string key.</summary>
    public static void RawSetField(nint L, int idx, ReadOnlySpan<byte> key)
    {
        if (idx < 0 && idx > LUA_REGISTRYINDEX) idx--;
        PushBytes(L, key);
        lua_insert(L, -2);
        lua_rawset(L, idx);
    }

    /// <summary>Pushes t[k], raw, with a string key.</summary>
    public static void RawGetField(nint L, int idx, ReadOnlySpan<byte> key)
    {
        if (idx < 0 && idx > LUA_REGISTRYINDEX) idx--;
        PushBytes(L, key);
        lua_rawget(L, idx);
    }

    // ---- calling and loading ----
    [LibraryImport(Lua)] public static partial int lua_pcall(nint L, int nargs, int nresults, int errfunc);
    [LibraryImport(Lua, StringMarshalling = StringMarshalling.Utf8)] public static partial int luaL_loadbuffer(nint L, byte* buff, nuint sz, string name);
    [LibraryImport(Lua)] public static partial int luaL_ref(nint L, int t);
    [LibraryImport(Lua)] public static partial void luaL_unref(nint L, int t, int r);

    // ---- Scripting/LuaCFrames.c: the allocator, and where errors are raised from ----
    /// <summary>lua_newstate with the C allocator bounded by <paramref name="allocState"/> (LuaEngine.AllocState).</summary>
    [LibraryImport(CFrames)] public static partial nint vermilion_newstate(nint allocState);
    /// <summary>Pushes a C function that calls <paramref name="f"/> (upvalue 1: <paramref name="self"/>) and raises the value on top when it returns -1.</summary>
    [LibraryImport(CFrames)] public static partial void vermilion_pushprimitive(nint L, nint self, delegate* unmanaged<nint, int> f);
    /// <summary>Pushes cfunction(f): a C function calling the Lua function f, which returns nil and its results or an error to raise.</summary>
    [LibraryImport(CFrames)] public static partial void vermilion_pushwrapper(nint L);

    // ---- the libraries (opened by calling them, as luaL_openlibs does) ----
    [LibraryImport(Lua)] public static partial int luaopen_base(nint L);
    [LibraryImport(Lua)] public static partial int luaopen_table(nint L);
    [LibraryImport(Lua)] public static partial int luaopen_string(nint L);
    [LibraryImport(Lua)] public static partial int luaopen_math(nint L);
    [LibraryImport(Lua)] public static partial int luaopen_debug(nint L);
    [LibraryImport(Cjson)] public static partial int luaopen_cjson(nint L);
    [LibraryImport(BitOp)] public static partial int luaopen_bit(nint L);

    // ---- resolving under the JIT ----

    static int s_resolverSet;

    /// <summary>Under the JIT: map the import names to Debian's shared objects (NativeAOT links the archives and never asks).</summary>
    public static void EnsureResolver()
    {
        if (Interlocked.Exchange(ref s_resolverSet, 1) != 0) return;
        try { NativeLibrary.SetDllImportResolver(typeof(LuaApi).Assembly, Resolve); }
        catch (InvalidOperationException) { } // another resolver is already set for the assembly
    }

    static nint s_lua;

    static nint Resolve(string name, Assembly assembly, DllImportSearchPath? path)
    {
        switch (name)
        {
            case Lua: return LoadLua();
            case Cjson: LoadLua(); return NativeLibrary.Load("liblua5.1-cjson.so.0");
            case BitOp: LoadLua(); return NativeLibrary.Load("liblua5.1-bitop.so.0");
            case CFrames: LoadLua(); return NativeLibrary.Load(Path.Combine(AppContext.BaseDirectory, "libvermilion-lua.so"));
            default: return 0;
        }
    }

    static nint LoadLua()
    {
        if (s_lua != 0) return s_lua;
        const int RTLD_NOW = 2, RTLD_GLOBAL = 0x100;
        nint h = dlopen("liblua5.1.so.0", RTLD_NOW | RTLD_GLOBAL);
        if (h == 0) throw new DllNotFoundException("liblua5.1.so.0 (Debian's liblua5.1-0-dev or liblua5.1-0) is needed for scripting");
        return s_lua = h;
    }

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8)] private static partial nint dlopen(string file, int mode);
}
