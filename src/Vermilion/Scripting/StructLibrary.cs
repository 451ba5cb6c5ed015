using System.Buffers.Binary;
using System.Runtime.InteropServices;
using static Vermilion.Scripting.LuaApi;
using static Vermilion.Scripting.LuaArgs;

namespace Vermilion.Scripting;

/// <summary>
/// Redis's <c>struct</c> library (deps/lua/src/lua_struct.c, Roberto Ierusalimschy's struct
/// 0.2 as Redis 7.0 ships it), which Debian does not package: struct.pack, struct.unpack and
/// struct.size over its format letters, as they behave on x86-64 (little-endian native; long and
/// size_t 8 bytes; default alignment 8), quirks included: the argument a "string too short"
/// names is the one after it, a missing argument right after the last is "nil" (b_pack pushes a
/// nil mark), integers wider than 8 bytes shift as a 64-bit register does, 'c0' in unpack takes
/// its length from the value before it (a number or a numeric string), struct.size skips letters
/// it does not know. Each entry point is a primitive the prelude wraps: it returns nil and the
/// results, or the error text for the wrapper to raise.
/// </summary>
internal static unsafe class StructLibrary
{
    const int Big = 0, Little = 1;
    /// <summary>MAXINTSIZE, and MAXALIGN: max(offsetof(struct{char; double}, d), sizeof(int)) = 8.</summary>
    const int MaxIntSize = 32, MaxAlign = 8;

    struct Header
    {
        public int Endian;
        public ulong Align;
    }

    [UnmanagedCallersOnly]
    public static int Pack(nint L)
    {
        int armed = LuaEngine.Disarm(L);
        try { return PackCore(L); }
        catch (Error e) { return PushError(L, e.Message); }
        finally { LuaEngine.Rearm(L, armed); }
    }

    [UnmanagedCallersOnly]
    public static int Unpack(nint L)
    {
        int armed = LuaEngine.Disarm(L);
        try { return UnpackCore(L); }
        catch (Error e) { return PushError(L, e.Message); }
        finally { LuaEngine.Rearm(L, armed); }
    }

    [UnmanagedCallersOnly]
    public static int Size(nint L)
    {
        int armed = LuaEngine.Disarm(L);
        try { return SizeCore(L); }
        catch (Error e) { return PushError(L, e.Message); }
        finally { LuaEngine.Rearm(L, armed); }
    }

    /// <summary>The format as C reads it: up to its first NUL.</summary>
    static ReadOnlySpan<byte> Format(nint L, string function)
    {
        var fmt = CheckString(L, 1, function);
        int nul = fmt.IndexOf((byte)0);
        return nul < 0 ? fmt : fmt[..nul];
    }

    /// <summary>getnum: the digits at <paramref name="i"/>, or <paramref name="fallback"/> when there are none.</summary>
    static int GetNum(ReadOnlySpan<byte> fmt, ref int i, int fallback)
    {
        if (i >= fmt.Length || !char.IsAsciiDigit((char)fmt[i])) return fallback;
        int a = 0;
        do
        {
            int digit = fmt[i] - '0';
            if (a > int.MaxValue / 10 || a * 10 > int.MaxValue - digit) throw new Error("integral size overflow");
            a = a * 10 + digit;
            i++;
        } while (i < fmt.Length && char.IsAsciiDigit((char)fmt[i]));
        return a;
    }

    /// <summary>optsize: the bytes an option takes (0 for those that take none or vary).</summary>
    static ulong OptSize(byte opt, ReadOnlySpan<byte> fmt, ref int i)
    {
        switch (opt)
        {
            case (byte)'B': case (byte)'b': return 1;
            case (byte)'H': case (byte)'h': return 2;
            case (byte)'L': case (byte)'l': case (byte)'T': return 8;
            case (byte)'f': return 4;
            case (byte)'d': return 8;
            case (byte)'x': return 1;
            case (byte)'c': return (ulong)GetNum(fmt, ref i, 1);
            case (byte)'i': case (byte)'I':
            {
                int size = GetNum(fmt, ref i, 4);
                if (size > MaxIntSize) throw new Error($"integral size {size} is larger than limit of {MaxIntSize}");
                return (ulong)size;
            }
            default: return 0;
        }
    }

    /// <summary>gettoalign: padding before an item of <paramref name="size"/> at <paramref name="length"/> (the arithmetic as written, for sizes that are not powers of 2 too).</summary>
    static ulong ToAlign(ulong length, in Header h, byte opt, ulong size)
    {
        if (size == 0 || opt == 'c') return 0;
        if (size > h.Align) size = h.Align;
        return (size - (length & (size - 1))) & (size - 1);
    }

    /// <summary>controloptions: endianness, alignment, spaces; anything else is an invalid option.</summary>
    static void Control(byte opt, ReadOnlySpan<byte> fmt, ref int i, ref Header h, string function)
    {
        switch (opt)
        {
            case (byte)' ': return;
            case (byte)'>': h.Endian = Big; return;
            case (byte)'<': h.Endian = Little; return;
            case (byte)'!':
            {
                int a = GetNum(fmt, ref i, MaxAlign);
                if (a <= 0 || (a & (a - 1)) != 0) throw new Error($"alignment {a} is not a power of 2");
                h.Align = (ulong)a;
                return;
            }
            default:
                throw InvalidOption(opt, function);
        }
    }

    static Error InvalidOption(byte opt, string function) => ArgError(1, function, $"invalid format option '{(char)opt}'");

    static int PackCore(nint L)
    {
        var fmt = Format(L, "pack");
        int top = lua_gettop(L);
        var h = new Header { Endian = Little, Align = 1 };
        var output = new List<byte>(64);
        int arg = 2;
        ulong total = 0;
        Span<byte> buffer = stackalloc byte[MaxIntSize];
        for (int i = 0; i < fmt.Length;)
        {
            byte opt = fmt[i++];
            ulong size = OptSize(opt, fmt, ref i);
            ulong pad = ToAlign(total, h, opt, size);
            total += pad;
            for (ulong p = 0; p < pad; p++) output.Add(0);
            switch (opt)
            {
                case (byte)'b': case (byte)'B': case (byte)'h': case (byte)'H':
                case (byte)'l': case (byte)'L': case (byte)'T': case (byte)'i': case (byte)'I':
                {
                    double n = CheckNumber(L, arg, "pack", top + 1);
                    arg++;
                    ulong value = n < 0 ? (ulong)ToInt64(n) : ToUInt64(n);
                    int width = (int)size;
                    // A 64-bit value shifted past its width is 0 (the bytes above the eighth).
                    for (int k = 0; k < width; k++)
                    {
                        buffer[h.Endian == Little ? k : width - 1 - k] = (byte)(value & 0xff);
                        value = k < 7 ? value >> 8 : 0;
                    }
                    for (int k = 0; k < width; k++) output.Add(buffer[k]);
                    break;
                }
                case (byte)'x':
                    output.Add(0);
                    break;
                case (byte)'f':
                {
                    float f = (float)CheckNumber(L, arg, "pack", top + 1);
                    arg++;
                    if (h.Endian == Little) BinaryPrimitives.WriteSingleLittleEndian(buffer, f);
                    else BinaryPrimitives.WriteSingleBigEndian(buffer, f);
                    for (int k = 0; k < 4; k++) output.Add(buffer[k]);
                    break;
                }
                case (byte)'d':
                {
                    double d = CheckNumber(L, arg, "pack", top + 1);
                    arg++;
                    if (h.Endian == Little) BinaryPrimitives.WriteDoubleLittleEndian(buffer, d);
                    else BinaryPrimitives.WriteDoubleBigEndian(buffer, d);
                    for (int k = 0; k < 8; k++) output.Add(buffer[k]);
                    break;
                }
                case (byte)'c': case (byte)'s':
                {
                    var s = CheckString(L, arg, "pack", top + 1);
                    arg++;
                    if (size == 0) size = (ulong)s.Length;
                    // luaL_argcheck names arg after its increment: the argument after the string.
                    if ((ulong)s.Length < size) throw ArgError(arg, "pack", "string too short");
                    foreach (var b in s[..(int)size]) output.Add(b);
                    if (opt == 's')
                    {
                        output.Add(0);
                        size++;
                    }
                    break;
                }
                default:
                    Control(opt, fmt, ref i, ref h, "pack");
                    break;
            }
            total += size;
        }
        lua_pushnil(L);
        PushBytes(L, CollectionsMarshal.AsSpan(output));
        return 2;
    }

    /// <summary>getinteger: <paramref name="size"/> bytes into a 64-bit register (only the last eight shifted in survive), sign-extended from the width's top bit as x86 masks the shift count.</summary>
    static double GetInteger(ReadOnlySpan<byte> b, int endian, bool signed, int size)
    {
        ulong l = 0;
        if (endian == Big)
            for (int i = 0; i < size; i++) l = (l << 8) | b[i];
        else
            for (int i = size - 1; i >= 0; i--) l = (l << 8) | b[i];
        if (!signed) return l;
        ulong mask = ~0UL << ((size * 8 - 1) & 63);
        if ((l & mask) != 0) l |= mask;
        return (long)l;
    }

    static int UnpackCore(nint L)
    {
        var fmt = Format(L, "unpack");
        var data = CheckString(L, 2, "unpack");
        // The data is a Lua string on the stack below what is pushed: it stays valid.
        fixed (byte* dataPointer = data)
        {
            var d = new ReadOnlySpan<byte>(dataPointer, data.Length);
            ulong ld = (ulong)d.Length;
            ulong pos = (ulong)OptInteger(L, 3, "unpack", 1);
            if (pos == 0) throw ArgError(3, "unpack", "offset must be 1 or greater");
            pos--;
            var h = new Header { Endian = Little, Align = 1 };
            int n = 0;
            lua_pushnil(L);
            for (int i = 0; i < fmt.Length;)
            {
                byte opt = fmt[i++];
                ulong size = OptSize(opt, fmt, ref i);
                pos += ToAlign(pos, h, opt, size);
                if (!(size <= ld && pos <= ld - size)) throw ArgError(2, "unpack", "data string too short");
                if (lua_checkstack(L, 2) == 0) throw new Error("stack overflow (too many results)");
                switch (opt)
                {
                    case (byte)'b': case (byte)'B': case (byte)'h': case (byte)'H':
                    case (byte)'l': case (byte)'L': case (byte)'T': case (byte)'i': case (byte)'I':
                        lua_pushnumber(L, GetInteger(d[(int)pos..], h.Endian, opt is >= (byte)'a' and <= (byte)'z', (int)size));
                        n++;
                        break;
                    case (byte)'x':
                        break;
                    case (byte)'f':
                    {
                        var bytes = d.Slice((int)pos, 4);
                        lua_pushnumber(L, h.Endian == Little ? BinaryPrimitives.ReadSingleLittleEndian(bytes) : BinaryPrimitives.ReadSingleBigEndian(bytes));
                        n++;
                        break;
                    }
                    case (byte)'d':
                    {
                        var bytes = d.Slice((int)pos, 8);
                        lua_pushnumber(L, h.Endian == Little ? BinaryPrimitives.ReadDoubleLittleEndian(bytes) : BinaryPrimitives.ReadDoubleBigEndian(bytes));
                        n++;
                        break;
                    }
                    case (byte)'c':
                        if (size == 0)
                        {
                            if (n == 0 || lua_isnumber(L, -1) == 0) throw new Error("format 'c0' needs a previous size");
                            size = ToUInt64(lua_tonumber(L, -1));
                            lua_pop(L, 1);
                            n--;
                            if (!(size <= ld && pos <= ld - size)) throw ArgError(2, "unpack", "data string too short");
                        }
                        PushBytes(L, d.Slice((int)pos, (int)size));
                        n++;
                        break;
                    case (byte)'s':
                    {
                        int e = d[(int)pos..].IndexOf((byte)0);
                        if (e < 0) throw new Error("unfinished string in data");
                        size = (ulong)e + 1;
                        PushBytes(L, d.Slice((int)pos, e));
                        n++;
                        break;
                    }
                    default:
                        Control(opt, fmt, ref i, ref h, "unpack");
                        break;
                }
                pos += size;
            }
            lua_pushnumber(L, (long)(pos + 1));
            return n + 2;
        }
    }

    static int SizeCore(nint L)
    {
        var fmt = Format(L, "size");
        var h = new Header { Endian = Little, Align = 1 };
        ulong pos = 0;
        for (int i = 0; i < fmt.Length;)
        {
            byte opt = fmt[i++];
            ulong size = OptSize(opt, fmt, ref i);
            pos += ToAlign(pos, h, opt, size);
            if (opt == 's') throw ArgError(1, "size", "option 's' has no fixed size");
            if (opt == 'c' && size == 0) throw ArgError(1, "size", "option 'c0' has no fixed size");
            if (!char.IsAsciiLetterOrDigit((char)opt)) Control(opt, fmt, ref i, ref h, "size");
            pos += size;
        }
        lua_pushnil(L);
        lua_pushnumber(L, (long)pos);
        return 2;
    }
}
