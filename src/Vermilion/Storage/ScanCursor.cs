using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace Vermilion.Storage;

/// <summary>
/// The cursor of SCAN, HSCAN, SSCAN and ZSCAN over a chained hash table with a power-of-two
/// bucket array, as Redis's dictScan. The cursor counts with its bits reversed, so the buckets a
/// bucket splits into when the table doubles (i and i + size) come right after it, and the ones
/// it merges from when the table halves were visited together: every element present for the
/// whole scan is returned, even when the table resizes between calls (an element may come twice
/// after a shrink, as in Redis).
/// </summary>
public static class ScanCursor
{
    /// <summary>
    /// Adds the chain of one bucket to a scan's result. Each table passes a struct, so
    /// <see cref="Step"/> is compiled for it and the call per bucket is direct.
    /// </summary>
    public interface IBucketWalker
    {
        void Walk(ReadOnlySpan<int> buckets, int bucket);
    }

    /// <summary>
    /// One dictScan step: walks the bucket(s) <paramref name="cursor"/> names and returns the
    /// next cursor (0 when the scan is complete). <paramref name="resizing"/> is the other bucket
    /// array while an incremental resize is under way (else empty): then the bucket of the smaller
    /// array is walked, and every bucket of the larger array it expands into.
    /// </summary>
    public static ulong Step<TWalker>(ReadOnlySpan<int> buckets, ReadOnlySpan<int> resizing, ulong cursor, ref TWalker walker)
        where TWalker : struct, IBucketWalker
    {
        if (resizing.IsEmpty)
        {
            ulong mask = (ulong)buckets.Length - 1;
            walker.Walk(buckets, (int)(cursor & mask));
            return Next(cursor, mask);
        }
        var small = buckets.Length <= resizing.Length ? buckets : resizing;
        var large = buckets.Length <= resizing.Length ? resizing : buckets;
        ulong smallMask = (ulong)small.Length - 1, largeMask = (ulong)large.Length - 1;
        walker.Walk(small, (int)(cursor & smallMask));
        do
        {
            walker.Walk(large, (int)(cursor & largeMask));
            cursor = Next(cursor, largeMask);
        } while ((cursor & (smallMask ^ largeMask)) != 0);
        return cursor;
    }

    /// <summary>
    /// The cursor after <paramref name="cursor"/> for a table of mask + 1 buckets: the bits above
    /// the mask are set so the increment of the reversed cursor carries straight through them.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Next(ulong cursor, ulong mask) => ReverseBits(ReverseBits(cursor | ~mask) + 1);

    /// <summary>dictScan's rev(): swaps ever larger bit groups, the bytes last.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static ulong ReverseBits(ulong v)
    {
        v = ((v >> 1) & 0x5555555555555555UL) | ((v & 0x5555555555555555UL) << 1);
        v = ((v >> 2) & 0x3333333333333333UL) | ((v & 0x3333333333333333UL) << 2);
        v = ((v >> 4) & 0x0F0F0F0F0F0F0F0FUL) | ((v & 0x0F0F0F0F0F0F0F0FUL) << 4);
        return BinaryPrimitives.ReverseEndianness(v);
    }
}
