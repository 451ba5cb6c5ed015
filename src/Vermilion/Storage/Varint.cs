using System.Numerics;
using System.Runtime.CompilerServices;

namespace Vermilion.Storage;

/// <summary>
/// The length prefix of Vermilion's packed layouts (a packed string's key, a hash's field/value
/// pairs and listpack, a set's member arena, a compact sorted set's entries): little-endian base 128, 7 bits a byte, the high
/// bit set on every byte but the last, so a length below 128 costs one byte.
/// </summary>
public static class Varint
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Length(int n) => Length((ulong)n);

    /// <summary>Bytes <paramref name="v"/> takes: one per 7 significant bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Length(ulong v) => (BitOperations.Log2(v | 1) + 7) / 7;

    /// <summary>Writes <paramref name="v"/> at the start of <paramref name="destination"/>; returns its length.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Write(Span<byte> destination, ulong v)
    {
        int i = 0;
        for (; v >= 0x80; v >>= 7) destination[i++] = (byte)(v | 0x80);
        destination[i++] = (byte)v;
        return i;
    }

    /// <summary>Reads the length at <paramref name="offset"/>; returns the offset just after it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Read(ReadOnlySpan<byte> source, int offset, out int value)
    {
        value = (int)Read(source, ref offset);
        return offset;
    }

    /// <summary>Reads the varint at <paramref name="offset"/> and moves past it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Read(ReadOnlySpan<byte> source, ref int offset)
    {
        ulong b = source[offset++];
        if (b < 0x80) return b;
        ulong v = b & 0x7F;
        int shift = 7;
        do
        {
            b = source[offset++];
            v |= (b & 0x7F) << shift;
            shift += 7;
        } while (b >= 0x80);
        return v;
    }
}
