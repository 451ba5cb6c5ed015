using System.Buffers.Binary;
using System.Runtime.InteropServices;
using static Vermilion.Scripting.LuaApi;
using static Vermilion.Scripting.LuaArgs;

namespace Vermilion.Scripting;

/// <summary>
/// Redis's <c>cmsgpack</c> (deps/lua/src/lua_cmsgpack.c, lua-cmsgpack 0.4.0), which Debian does
/// not package: pack, unpack, unpack_one, unpack_limit, byte for byte as 7.0.15's. What decides
/// the bytes: a number equal to its int64 cast is an integer in the smallest msgpack width, any
/// other in float32 when that is exact (1.5 is 5 bytes) else float64; strings use fixraw/raw8/16/32;
/// a table is an array when its keys are exactly 1..n (as 32-bit ints), a map otherwise; nesting
/// deeper than 16 tables packs nil; functions and the rest pack nil. Decoding takes what 0.4.0
/// knows (no bin/ext), 64-bit unsigned integers as signed (lua_pushunsigned is lua_pushinteger
/// there), and stops at the same Lua stack limit ("too many return values at once"). Each entry
/// point is a primitive the prelude wraps: nil and the results, or the error text to raise.
/// </summary>
internal static unsafe class MessagePackLibrary
{
    const int MaxNesting = 16;

    [UnmanagedCallersOnly]
    public static int Pack(nint L)
    {
        int armed = LuaEngine.Disarm(L);
        try { return PackCore(L); }
        catch (Error e) { return PushError(L, e.Message); }
        finally { LuaEngine.Rearm(L, armed); }
    }

    /// <summary>("all", s): every value. ("one", s, offset) and ("limit", s, limit, offset): the next offset (-1 at the end) and up to limit values.</summary>
    [UnmanagedCallersOnly]
    public static int Unpack(nint L)
    {
        int armed = LuaEngine.Disarm(L);
        try { return UnpackCore(L); }
        catch (Error e) { return PushError(L, e.Message); }
        finally { LuaEngine.Rearm(L, armed); }
    }

    // ---- packing ----

    static int PackCore(nint L)
    {
        int nargs = lua_gettop(L);
        if (nargs == 0) throw ArgError(0, "pack", "MessagePack pack needs input.");
        if (lua_checkstack(L, nargs) == 0) throw ArgError(0, "pack", "Too many arguments for MessagePack pack.");
        var output = new List<byte>(64);
        for (int i = 1; i <= nargs; i++)
        {
            lua_pushvalue(L, i);
            Encode(L, output, 0);
        }
        lua_settop(L, 0);
        lua_pushnil(L);
        PushBytes(L, CollectionsMarshal.AsSpan(output));
        return 2;
    }

    /// <summary>mp_encode_lua_type: the value on top, then popped.</summary>
    static void Encode(nint L, List<byte> o, int level)
    {
        int t = lua_type(L, -1);
        if (t == LUA_TTABLE && level == MaxNesting) t = LUA_TNIL;
        switch (t)
        {
            case LUA_TSTRING:
                EncodeBytes(o, ToBytes(L, -1));
                break;
            case LUA_TBOOLEAN:
                o.Add(lua_toboolean(L, -1) != 0 ? (byte)0xc3 : (byte)0xc2);
                break;
            case LUA_TNUMBER:
            {
                double n = lua_tonumber(L, -1);
                if (!double.IsInfinity(n) && ToInt64(n) == n) EncodeInteger(o, ToInt64(n));
                else EncodeDouble(o, n);
                break;
            }
            case LUA_TTABLE:
                if (lua_checkstack(L, 3) == 0) throw new Error("stack overflow (in function mp_encode_lua_table_as_map)");
                if (IsArray(L)) EncodeArray(L, o, level);
                else EncodeMap(L, o, level);
                break;
            default:
                o.Add(0xc0);
                break;
        }
        lua_pop(L, 1);
    }

    static void Header(List<byte> o, byte fix, int fixMax, byte b16, byte b32, ulong n)
    {
        if (fixMax >= 0 && n <= (ulong)fixMax) o.Add((byte)(fix | (byte)n));
        else if (n <= 0xffff)
        {
            o.Add(b16);
            o.Add((byte)(n >> 8));
            o.Add((byte)n);
        }
        else
        {
            o.Add(b32);
            o.Add((byte)(n >> 24));
            o.Add((byte)(n >> 16));
            o.Add((byte)(n >> 8));
            o.Add((byte)n);
        }
    }

    /// <summary>mp_encode_bytes: fixraw under 32, raw8 (0xd9) to 255, raw16, raw32.</summary>
    static void EncodeBytes(List<byte> o, ReadOnlySpan<byte> s)
    {
        if (s.Length < 32) o.Add((byte)(0xa0 | s.Length));
        else if (s.Length <= 0xff)
        {
            o.Add(0xd9);
            o.Add((byte)s.Length);
        }
        else Header(o, 0, -1, 0xda, 0xdb, (ulong)s.Length);
        foreach (var b in s) o.Add(b);
    }

    /// <summary>mp_encode_double: float32 when the value survives the round trip through float (inf does, NaN does not).</summary>
    static void EncodeDouble(List<byte> o, double d)
    {
        Span<byte> b = stackalloc byte[8];
        float f = (float)d;
        if (d == f)
        {
            o.Add(0xca);
            BinaryPrimitives.WriteSingleBigEndian(b, f);
            for (int i = 0; i < 4; i++) o.Add(b[i]);
        }
        else
        {
            o.Add(0xcb);
            BinaryPrimitives.WriteDoubleBigEndian(b, d);
            for (int i = 0; i < 8; i++) o.Add(b[i]);
        }
    }

    /// <summary>mp_encode_int: the smallest of fixnum, uint8..64 (non-negative) or negative fixnum, int8..64.</summary>
    static void EncodeInteger(List<byte> o, long n)
    {
        Span<byte> b = stackalloc byte[8];
        int width;
        if (n >= 0)
        {
            if (n <= 127) { o.Add((byte)n); return; }
            if (n <= 0xff) { o.Add(0xcc); width = 1; }
            else if (n <= 0xffff) { o.Add(0xcd); width = 2; }
            else if (n <= 0xffffffffL) { o.Add(0xce); width = 4; }
            else { o.Add(0xcf); width = 8; }
        }
        else
        {
            if (n >= -32) { o.Add((byte)(sbyte)n); return; }
            if (n >= -128) { o.Add(0xd0); width = 1; }
            else if (n >= -32768) { o.Add(0xd1); width = 2; }
            else if (n >= -2147483648L) { o.Add(0xd2); width = 4; }
            else { o.Add(0xd3); width = 8; }
        }
        BinaryPrimitives.WriteInt64BigEndian(b, n);
        for (int i = 8 - width; i < 8; i++) o.Add(b[i]);
    }

    /// <summary>table_is_an_array: every key a positive number equal to its int cast, and the largest equal to the count (so an empty table is an array).</summary>
    static bool IsArray(nint L)
    {
        int top = lua_gettop(L);
        long count = 0, max = 0;
        lua_pushnil(L);
        while (lua_next(L, -2) != 0)
        {
            lua_pop(L, 1);
            double n;
            if (lua_type(L, -1) != LUA_TNUMBER || (n = lua_tonumber(L, -1)) <= 0 || double.IsInfinity(n) || ToInt32(n) != n)
            {
                lua_settop(L, top);
                return false;
            }
            if (n > max) max = (long)n;
            count++;
        }
        lua_settop(L, top);
        return max == count;
    }

    /// <summary>C's (int) cast on x86-64: out of range and NaN give INT32_MIN.</summary>
    static int ToInt32(double d) => d > -2147483649.0 && d < 2147483648.0 ? (int)d : int.MinValue;

    /// <summary>mp_encode_lua_table_as_array: t[1..#t] (read raw: a metamethod must not run here).</summary>
    static void EncodeArray(nint L, List<byte> o, int level)
    {
        ulong len = (ulong)lua_objlen(L, -1);
        Header(o, 0x90, 15, 0xdc, 0xdd, len);
        for (ulong j = 1; j <= len; j++)
        {
            lua_rawgeti(L, -1, (int)j);
            Encode(L, o, level + 1);
        }
    }

    /// <summary>mp_encode_lua_table_as_map: the pair count, then each key and value in lua_next's order.</summary>
    static void EncodeMap(nint L, List<byte> o, int level)
    {
        ulong len = 0;
        lua_pushnil(L);
        while (lua_next(L, -2) != 0)
        {
            lua_pop(L, 1);
            len++;
        }
        Header(o, 0x80, 15, 0xde, 0xdf, len);
        lua_pushnil(L);
        while (lua_next(L, -2) != 0)
        {
            lua_pushvalue(L, -2);
            Encode(L, o, level + 1);
            Encode(L, o, level + 1);
        }
    }

    // ---- unpacking ----

    enum Cursor { Ok, Eof, BadFormat }

    static int UnpackCore(nint L)
    {
        long limit = 0, offset = 0;
        // The wrapper's mode first: "all" (unpack), "one" (unpack_one: offset), "limit" (unpack_limit: limit, offset).
        byte mode = ToBytes(L, 1)[0];
        lua_remove(L, 1);
        string function = mode == 'a' ? "unpack" : mode == 'o' ? "unpack_one" : "unpack_limit";
        if (mode == 'o')
        {
            offset = OptInteger(L, 2, function, 0);
            limit = 1;
        }
        else if (mode == 'l')
        {
            limit = CheckInteger(L, 2, function);
            offset = OptInteger(L, 3, function, 0);
        }
        if (mode != 'a' && lua_gettop(L) > 1) lua_settop(L, 1);
        var s = CheckString(L, 1, function);
        bool all = limit == 0 && offset == 0;
        ulong len = (ulong)s.Length;
        if (offset < 0 || limit < 0) throw new Error($"Invalid request to unpack with offset of {(int)offset} and limit of {(int)len}.");
        if ((ulong)offset > len) throw new Error($"Start offset {(int)offset} greater than input length {(int)len}.");
        if (all) limit = int.MaxValue;
        lua_settop(L, 1);
        lua_pushnil(L);
        fixed (byte* p = s)
        {
            var input = new ReadOnlySpan<byte>(p, s.Length);
            int pos = (int)offset, count = 0;
            for (; pos < input.Length && count < limit; count++)
            {
                var status = Decode(L, input, ref pos);
                if (status == Cursor.Eof) throw new Error("Missing bytes in input.");
                if (status == Cursor.BadFormat) throw new Error("Bad data format in input.");
            }
            if (!all)
            {
                lua_pushnumber(L, pos == input.Length ? -1 : pos);
                lua_insert(L, 3);
                count++;
            }
            return count + 1;
        }
    }

    static bool Need(ReadOnlySpan<byte> s, int pos, long n) => s.Length - pos >= n;

    /// <summary>mp_decode_to_lua_type: one value from <paramref name="pos"/> pushed; the Lua stack's limit bounds the nesting as it does Redis's.</summary>
    static Cursor Decode(nint L, ReadOnlySpan<byte> s, ref int pos)
    {
        if (!Need(s, pos, 1)) return Cursor.Eof;
        if (lua_checkstack(L, 1) == 0) throw new Error("stack overflow (too many return values at once; use unpack_one or unpack_limit instead.)");
        byte b = s[pos];
        var rest = s[pos..];
        switch (b)
        {
            case 0xcc:
                if (!Need(s, pos, 2)) return Cursor.Eof;
                lua_pushnumber(L, rest[1]);
                pos += 2;
                return Cursor.Ok;
            case 0xd0:
                if (!Need(s, pos, 2)) return Cursor.Eof;
                lua_pushnumber(L, (sbyte)rest[1]);
                pos += 2;
                return Cursor.Ok;
            case 0xcd:
                if (!Need(s, pos, 3)) return Cursor.Eof;
                lua_pushnumber(L, BinaryPrimitives.ReadUInt16BigEndian(rest[1..]));
                pos += 3;
                return Cursor.Ok;
            case 0xd1:
                if (!Need(s, pos, 3)) return Cursor.Eof;
                lua_pushnumber(L, BinaryPrimitives.ReadInt16BigEndian(rest[1..]));
                pos += 3;
                return Cursor.Ok;
            case 0xce:
                if (!Need(s, pos, 5)) return Cursor.Eof;
                lua_pushnumber(L, BinaryPrimitives.ReadUInt32BigEndian(rest[1..]));
                pos += 5;
                return Cursor.Ok;
            case 0xd2:
                if (!Need(s, pos, 5)) return Cursor.Eof;
                lua_pushnumber(L, BinaryPrimitives.ReadInt32BigEndian(rest[1..]));
                pos += 5;
                return Cursor.Ok;
            case 0xcf:
            case 0xd3:
                // uint 64 goes through lua_pushinteger (signed): 2^63 and above come out negative.
                if (!Need(s, pos, 9)) return Cursor.Eof;
                lua_pushnumber(L, BinaryPrimitives.ReadInt64BigEndian(rest[1..]));
                pos += 9;
                return Cursor.Ok;
            case 0xc0:
                lua_pushnil(L);
                pos++;
                return Cursor.Ok;
            case 0xc3:
            case 0xc2:
                lua_pushboolean(L, b == 0xc3 ? 1 : 0);
                pos++;
                return Cursor.Ok;
            case 0xca:
                if (!Need(s, pos, 5)) return Cursor.Eof;
                lua_pushnumber(L, BinaryPrimitives.ReadSingleBigEndian(rest[1..]));
                pos += 5;
                return Cursor.Ok;
            case 0xcb:
                if (!Need(s, pos, 9)) return Cursor.Eof;
                lua_pushnumber(L, BinaryPrimitives.ReadDoubleBigEndian(rest[1..]));
                pos += 9;
                return Cursor.Ok;
            case 0xd9:
            {
                if (!Need(s, pos, 2)) return Cursor.Eof;
                int l = rest[1];
                if (!Need(s, pos, 2 + l)) return Cursor.Eof;
                PushBytes(L, rest.Slice(2, l));
                pos += 2 + l;
                return Cursor.Ok;
            }
            case 0xda:
            {
                if (!Need(s, pos, 3)) return Cursor.Eof;
                int l = BinaryPrimitives.ReadUInt16BigEndian(rest[1..]);
                if (!Need(s, pos, 3 + l)) return Cursor.Eof;
                PushBytes(L, rest.Slice(3, l));
                pos += 3 + l;
                return Cursor.Ok;
            }
            case 0xdb:
            {
                if (!Need(s, pos, 5)) return Cursor.Eof;
                long l = BinaryPrimitives.ReadUInt32BigEndian(rest[1..]);
                pos += 5;
                if (!Need(s, pos, l)) return Cursor.Eof;
                PushBytes(L, s.Slice(pos, (int)l));
                pos += (int)l;
                return Cursor.Ok;
            }
            case 0xdc:
            case 0xde:
            {
                if (!Need(s, pos, 3)) return Cursor.Eof;
                long l = BinaryPrimitives.ReadUInt16BigEndian(rest[1..]);
                pos += 3;
                return b == 0xdc ? DecodeArray(L, s, ref pos, l) : DecodeMap(L, s, ref pos, l);
            }
            case 0xdd:
            case 0xdf:
            {
                if (!Need(s, pos, 5)) return Cursor.Eof;
                long l = BinaryPrimitives.ReadUInt32BigEndian(rest[1..]);
                pos += 5;
                return b == 0xdd ? DecodeArray(L, s, ref pos, l) : DecodeMap(L, s, ref pos, l);
            }
        }
        if ((b & 0x80) == 0)
        {
            lua_pushnumber(L, b);
            pos++;
            return Cursor.Ok;
        }
        if ((b & 0xe0) == 0xe0)
        {
            lua_pushnumber(L, (sbyte)b);
            pos++;
            return Cursor.Ok;
        }
        if ((b & 0xe0) == 0xa0)
        {
            int l = b & 0x1f;
            if (!Need(s, pos, 1 + l)) return Cursor.Eof;
            PushBytes(L, rest.Slice(1, l));
            pos += 1 + l;
            return Cursor.Ok;
        }
        if ((b & 0xf0) == 0x90)
        {
            pos++;
            return DecodeArray(L, s, ref pos, b & 0xf);
        }
        if ((b & 0xf0) == 0x80)
        {
            pos++;
            return DecodeMap(L, s, ref pos, b & 0xf);
        }
        return Cursor.BadFormat;
    }

    /// <summary>mp_decode_to_lua_array: t[1..len], each index pushed before its value as Redis does (two stack slots a level).</summary>
    static Cursor DecodeArray(nint L, ReadOnlySpan<byte> s, ref int pos, long len)
    {
        lua_createtable(L, 0, 0);
        if (lua_checkstack(L, 1) == 0) throw new Error("stack overflow (in function mp_decode_to_lua_array)");
        for (long index = 1; index <= len; index++)
        {
            lua_pushnumber(L, index);
            var status = Decode(L, s, ref pos);
            if (status != Cursor.Ok) return status;
            lua_rawset(L, -3);
        }
        return Cursor.Ok;
    }

    /// <summary>mp_decode_to_lua_hash. A nil or NaN key, which lua_settable raises on, is that error here (it must not unwind through C#).</summary>
    static Cursor DecodeMap(nint L, ReadOnlySpan<byte> s, ref int pos, long len)
    {
        lua_createtable(L, 0, 0);
        for (long i = 0; i < len; i++)
        {
            var status = Decode(L, s, ref pos);
            if (status != Cursor.Ok) return status;
            status = Decode(L, s, ref pos);
            if (status != Cursor.Ok) return status;
            if (lua_type(L, -2) == LUA_TNIL) throw new Error("table index is nil");
            if (lua_type(L, -2) == LUA_TNUMBER && double.IsNaN(lua_tonumber(L, -2))) throw new Error("table index is NaN");
            lua_rawset(L, -3);
        }
        return Cursor.Ok;
    }
}
