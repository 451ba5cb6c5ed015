using System.Buffers.Binary;
using Vermilion.Storage;

namespace Vermilion.Persistence;

/// <summary>
/// Redis's intset blob, the value of RDB_TYPE_SET_INTSET: encoding (bytes per element: 2, 4 or
/// 8; u32 LE), length (u32 LE), then the elements in ascending order, little-endian. Vermilion's
/// <see cref="IntSet"/> keeps the same elements in the same bytes behind a shorter header (count
/// and width packed in 4 bytes), so only the header is rewritten; the body is copied as it is
/// (both little-endian: .NET runs little-endian on every platform Vermilion targets).
/// </summary>
public static class IntSetBlob
{
    public const int HeaderSize = 8;

    public static int Size(in IntSet set) => HeaderSize + set.ElementBytes.Length;

    /// <summary>Writes <see cref="Size"/> bytes.</summary>
    public static void Write(in IntSet set, Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(destination, (uint)set.Width);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[4..], (uint)set.Count);
        set.ElementBytes.CopyTo(destination[HeaderSize..]);
    }

    /// <summary>
    /// intsetValidateIntegrity, deep: a known encoding, a length that accounts for every byte,
    /// at least one element, and elements strictly ascending (Redis checks the last only with
    /// sanitize-dump-payload; an unsorted intset here would break every lookup).
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> blob, out IntSet set)
    {
        set = default;
        if (blob.Length < HeaderSize) return false;
        uint width = BinaryPrimitives.ReadUInt32LittleEndian(blob);
        uint count = BinaryPrimitives.ReadUInt32LittleEndian(blob[4..]);
        if (width is not (2 or 4 or 8) || count == 0 || (ulong)count * width != (ulong)(blob.Length - HeaderSize)) return false;
        return IntSet.TryCreate((int)width, blob[HeaderSize..], out set);
    }
}
