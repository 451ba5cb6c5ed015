using static Vermilion.Scripting.LuaApi;

namespace Vermilion.Scripting;

/// <summary>
/// lauxlib's argument checks (luaL_checknumber, luaL_checklstring, luaL_optinteger,
/// luaL_argerror's text) for the libraries Redis loads in C that Debian does not package
/// (<see cref="StructLibrary"/>, <see cref="MessagePackLibrary"/>), written in C# here. A check
/// never raises: it returns false with the error text, which the library returns to its Lua
/// wrapper in Prelude.lua to raise (from a C function's frame, so the text gets the caller's
/// position as luaL_error gives it).
/// </summary>
internal static unsafe class LuaArgs
{
    /// <summary>Raised-error text, Latin-1 (Lua strings are bytes; a format letter may be any byte).</summary>
    public sealed class Error(string text) : Exception(text);

    /// <summary>luaL_argerror: "bad argument #n to 'f' (msg)".</summary>
    public static Error ArgError(int arg, string function, string message) => new($"bad argument #{arg} to '{function}' ({message})");

    /// <summary>luaL_typename, "no value" past the top (or what a library pushed itself, <paramref name="nilAbove"/>: b_pack's nil mark).</summary>
    static string TypeName(nint L, int arg, int nilAbove = -1)
    {
        if (arg == nilAbove) return "nil";
        return lua_type(L, arg) switch
        {
            LUA_TNONE => "no value",
            LUA_TNIL => "nil",
            LUA_TBOOLEAN => "boolean",
            LUA_TLIGHTUSERDATA or LUA_TUSERDATA => "userdata",
            LUA_TNUMBER => "number",
            LUA_TSTRING => "string",
            LUA_TTABLE => "table",
            LUA_TFUNCTION => "function",
            _ => "thread",
        };
    }

    static Error TypeError(nint L, int arg, string function, string expected, int nilAbove = -1) =>
        ArgError(arg, function, $"{expected} expected, got {TypeName(L, arg, nilAbove)}");

    /// <summary>luaL_checknumber: a number, or a string that converts to one.</summary>
    public static double CheckNumber(nint L, int arg, string function, int nilAbove = -1)
    {
        if (arg > lua_gettop(L) || lua_isnumber(L, arg) == 0) throw TypeError(L, arg, function, "number", nilAbove);
        return lua_tonumber(L, arg);
    }

    /// <summary>luaL_checklstring: a string, or a number converted in place.</summary>
    public static ReadOnlySpan<byte> CheckString(nint L, int arg, string function, int nilAbove = -1)
    {
        int t = arg > lua_gettop(L) ? LUA_TNONE : lua_type(L, arg);
        if (t != LUA_TSTRING && t != LUA_TNUMBER) throw TypeError(L, arg, function, "string", nilAbove);
        return ToBytes(L, arg);
    }

    /// <summary>luaL_checkinteger: lua_tointeger's C cast (truncation; out of range gives INT64_MIN).</summary>
    public static long CheckInteger(nint L, int arg, string function)
    {
        double d = CheckNumber(L, arg, function);
        return ToInt64(d);
    }

    /// <summary>luaL_optinteger: <paramref name="fallback"/> for none or nil.</summary>
    public static long OptInteger(nint L, int arg, string function, long fallback) =>
        arg > lua_gettop(L) || lua_type(L, arg) == LUA_TNIL ? fallback : CheckInteger(L, arg, function);

    /// <summary>C's (long long) cast on x86-64 (cvttsd2si): NaN and out-of-range give INT64_MIN.</summary>
    public static long ToInt64(double d) => d >= -9223372036854775808.0 && d < 9223372036854775808.0 ? (long)d : long.MinValue;

    /// <summary>C's (unsigned long) cast as gcc compiles it on x86-64: below 2^63 cvttsd2si, else (d - 2^63) converted with the top bit flipped (so 2^64 and above give 0, NaN INT64_MIN's bits).</summary>
    public static ulong ToUInt64(double d)
    {
        if (!(d >= 9223372036854775808.0)) return (ulong)ToInt64(d);
        return (ulong)ToInt64(d - 9223372036854775808.0) ^ 0x8000000000000000UL;
    }

    /// <summary>The error text pushed for the wrapper: (text) with nothing else, so the wrapper sees a string first.</summary>
    public static int PushError(nint L, string text)
    {
        lua_settop(L, 0);
        PushBytes(L, System.Text.Encoding.Latin1.GetBytes(text));
        return 1;
    }
}
