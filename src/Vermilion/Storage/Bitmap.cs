using System.Buffers.Binary;
using System.Numerics;

namespace Vermilion.Storage;

/// <summary>How BITFIELD treats a SET or INCRBY result that does not fit the field.</summary>
public enum BitfieldOverflow : byte { Wrap, Sat, Fail }

/// <summary>
/// Strings as arrays of bits, as Redis's bitmap commands see them: bit 0 is the most significant
/// bit of byte 0, and bytes past the end read as zero. Everything works on spans of the stored
/// value, so GETBIT, SETBIT and BITCOUNT allocate nothing.
/// </summary>
public static class Bitmap
{
    /// <summary>The set bits among bits <paramref name="first"/>..<paramref name="last"/> (inclusive, both inside the value).</summary>
    public static long Count(ReadOnlySpan<byte> value, long first, long last)
    {
        if (first > last) return 0;
        int firstByte = (int)(first >> 3), lastByte = (int)(last >> 3);
        long count = Count(value[firstByte..(lastByte + 1)]);
        // The edge bytes' bits outside the range were counted too: take them back off.
        int before = (int)(first & 7), after = 7 - (int)(last & 7);
        if (before != 0) count -= BitOperations.PopCount((uint)(value[firstByte] >> (8 - before)));
        if (after != 0) count -= BitOperations.PopCount((uint)(value[lastByte] & ((1 << after) - 1)));
        return count;
    }

    /// <summary>Population count of whole bytes, eight at a time.</summary>
    public static long Count(ReadOnlySpan<byte> bytes)
    {
        long count = 0;
        int i = 0;
        for (; i + 8 <= bytes.Length; i += 8) count += BitOperations.PopCount(BinaryPrimitives.ReadUInt64LittleEndian(bytes[i..]));
        for (; i < bytes.Length; i++) count += BitOperations.PopCount(bytes[i]);
        return count;
    }

    /// <summary>
    /// The first bit equal to <paramref name="bit"/> among bits <paramref name="first"/>..<paramref name="last"/>
    /// (inclusive, both inside the value), or -1.
    /// </summary>
    public static long Position(ReadOnlySpan<byte> value, int bit, long first, long last)
    {
        if (first > last) return -1;
        int firstByte = (int)(first >> 3), lastByte = (int)(last >> 3);
        int found = FirstInByte(value[firstByte], bit, (int)(first & 7), firstByte == lastByte ? (int)(last & 7) : 7);
        if (found >= 0) return ((long)firstByte << 3) + found;
        if (lastByte == firstByte) return -1;
        // The whole bytes in between: a vectorized search for the first one not made only of the other bit.
        int middle = value[(firstByte + 1)..lastByte].IndexOfAnyExcept(bit == 1 ? (byte)0x00 : (byte)0xFF);
        if (middle >= 0)
        {
            int index = firstByte + 1 + middle;
            return ((long)index << 3) + FirstInByte(value[index], bit, 0, 7);
        }
        found = FirstInByte(value[lastByte], bit, 0, (int)(last & 7));
        return found < 0 ? -1 : ((long)lastByte << 3) + found;
    }

    /// <summary>The first of bits <paramref name="from"/>..<paramref name="to"/> of a byte (0 = most significant) equal to <paramref name="bit"/>, or -1.</summary>
    static int FirstInByte(byte b, int bit, int from, int to)
    {
        int wanted = (bit == 1 ? b : ~b) & (0xFF >> from) & (0xFF << (7 - to)) & 0xFF;
        return wanted == 0 ? -1 : BitOperations.LeadingZeroCount((uint)wanted) - 24;
    }

    /// <summary>BITOP NOT in place.</summary>
    public static void Not(Span<byte> target)
    {
        int i = 0;
        for (; i + Vector<byte>.Count <= target.Length; i += Vector<byte>.Count)
            (~new Vector<byte>(target[i..])).CopyTo(target[i..]);
        for (; i < target.Length; i++) target[i] = (byte)~target[i];
    }

    /// <summary>BITOP AND into <paramref name="target"/>; past the end of a shorter source it reads zeros.</summary>
    public static void And(Span<byte> target, ReadOnlySpan<byte> source)
    {
        int n = Math.Min(target.Length, source.Length), i = 0;
        for (; i + Vector<byte>.Count <= n; i += Vector<byte>.Count)
            (new Vector<byte>(target[i..]) & new Vector<byte>(source[i..])).CopyTo(target[i..]);
        for (; i < n; i++) target[i] &= source[i];
        target[n..].Clear();
    }

    /// <summary>BITOP OR into <paramref name="target"/> (a shorter source leaves the rest as it is).</summary>
    public static void Or(Span<byte> target, ReadOnlySpan<byte> source)
    {
        int n = Math.Min(target.Length, source.Length), i = 0;
        for (; i + Vector<byte>.Count <= n; i += Vector<byte>.Count)
            (new Vector<byte>(target[i..]) | new Vector<byte>(source[i..])).CopyTo(target[i..]);
        for (; i < n; i++) target[i] |= source[i];
    }

    /// <summary>BITOP XOR into <paramref name="target"/> (a shorter source leaves the rest as it is).</summary>
    public static void Xor(Span<byte> target, ReadOnlySpan<byte> source)
    {
        int n = Math.Min(target.Length, source.Length), i = 0;
        for (; i + Vector<byte>.Count <= n; i += Vector<byte>.Count)
            (new Vector<byte>(target[i..]) ^ new Vector<byte>(source[i..])).CopyTo(target[i..]);
        for (; i < n; i++) target[i] ^= source[i];
    }

    /// <summary>GETBIT: the bit at <paramref name="offset"/>, 0 past the end.</summary>
    public static int GetBit(ReadOnlySpan<byte> value, ulong offset)
    {
        ulong index = offset >> 3;
        return index < (ulong)value.Length ? (value[(int)index] >> (7 - (int)(offset & 7))) & 1 : 0;
    }

    /// <summary>SETBIT: sets the bit at <paramref name="offset"/> (inside the value) and returns its old value.</summary>
    public static int SetBit(Span<byte> value, ulong offset, int bit)
    {
        int index = (int)(offset >> 3), shift = 7 - (int)(offset & 7);
        int old = (value[index] >> shift) & 1;
        value[index] = (byte)((value[index] & ~(1 << shift)) | (bit << shift));
        return old;
    }

    /// <summary>The unsigned <paramref name="bits"/>-bit field (1..64) at bit <paramref name="offset"/>, zero-padded past the end.</summary>
    public static ulong ReadField(ReadOnlySpan<byte> value, ulong offset, int bits)
    {
        // A field of up to 64 bits starting anywhere in a byte spans at most 9 bytes: load them
        // big-endian into 72 bits of a 128-bit integer and shift the field down.
        ulong start = offset >> 3;
        UInt128 window = 0;
        for (int i = 0; i < 9; i++)
        {
            window <<= 8;
            ulong at = start + (ulong)i;
            if (at < (ulong)value.Length) window |= value[(int)at];
        }
        int shift = 72 - (int)(offset & 7) - bits;
        return (ulong)(window >> shift) & Mask(bits);
    }

    /// <summary>The signed field: <see cref="ReadField"/> with its top bit extended.</summary>
    public static long ReadSignedField(ReadOnlySpan<byte> value, ulong offset, int bits)
    {
        ulong raw = ReadField(value, offset, bits);
        return bits == 64 ? (long)raw : (long)(raw << (64 - bits)) >> (64 - bits);
    }

    /// <summary>Stores the low <paramref name="bits"/> bits of <paramref name="field"/> at bit <paramref name="offset"/>; the value must reach that far.</summary>
    public static void WriteField(Span<byte> value, ulong offset, int bits, ulong field)
    {
        int start = (int)(offset >> 3);
        int shift = 72 - (int)(offset & 7) - bits;
        int touched = ((int)(offset & 7) + bits + 7) >> 3;
        UInt128 window = 0;
        for (int i = 0; i < touched; i++) window = (window << 8) | value[start + i];
        window <<= 8 * (9 - touched);
        UInt128 mask = (UInt128)Mask(bits) << shift;
        window = (window & ~mask) | (((UInt128)(field & Mask(bits)) << shift) & mask);
        for (int i = touched - 1; i >= 0; i--) value[start + i] = (byte)(window >> (8 * (8 - i)));
    }

    static ulong Mask(int bits) => bits == 64 ? ulong.MaxValue : (1UL << bits) - 1;

    /// <summary>
    /// BITFIELD on a signed field: <paramref name="value"/> + <paramref name="increment"/> (SET passes
    /// the new value and 0). Returns false when the result must not be written (FAIL on overflow).
    /// The overflow tests are Redis's, whose 64-bit room-left arithmetic wraps: SET of a value far
    /// below the field's minimum (-2^63 on i8, anything under min - 1 on i63) counts as overflowing
    /// upwards, so SAT stores the maximum there.
    /// </summary>
    public static bool AddSigned(long value, long increment, int bits, BitfieldOverflow overflow, out long result)
    {
        long max = bits == 64 ? long.MaxValue : (1L << (bits - 1)) - 1, min = -max - 1;
        long roomUp = unchecked((long)((ulong)max - (ulong)value)), roomDown = unchecked(min - value);
        int direction =
            value > max || (bits != 64 && increment > roomUp) || (value >= 0 && increment > 0 && increment > roomUp) ? 1
            : value < min || (bits != 64 && increment < roomDown) || (value < 0 && increment < 0 && increment < roomDown) ? -1
            : 0;
        ulong sum = unchecked((ulong)value + (ulong)increment);
        switch (direction == 0 ? BitfieldOverflow.Wrap : overflow)
        {
            case BitfieldOverflow.Sat:
                result = direction > 0 ? max : min;
                return true;
            case BitfieldOverflow.Wrap:
                // Two's complement truncated to the field, its top bit extended.
                result = bits == 64 ? (long)sum : (long)(sum << (64 - bits)) >> (64 - bits);
                return true;
            default:
                result = 0;
                return false;
        }
    }

    /// <summary>
    /// BITFIELD on an unsigned field (up to 63 bits). As Redis, a SET value is read as a 64-bit unsigned
    /// number (<paramref name="value"/> = the new value, <paramref name="increment"/> = 0), so a negative
    /// one overflows upwards: SAT stores the maximum.
    /// </summary>
    public static bool AddUnsigned(ulong value, long increment, int bits, BitfieldOverflow overflow, out ulong result)
    {
        ulong max = Mask(bits);
        Int128 sum = (Int128)value + increment;
        if (sum >= 0 && sum <= max)
        {
            result = (ulong)sum;
            return true;
        }
        switch (overflow)
        {
            case BitfieldOverflow.Sat:
                result = sum > max ? max : 0;
                return true;
            case BitfieldOverflow.Wrap:
                result = (value + (ulong)increment) & max;
                return true;
            default:
                result = 0;
                return false;
        }
    }
}
