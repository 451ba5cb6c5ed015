using System.Buffers.Binary;

namespace Vermilion.Persistence;

/// <summary>
/// Redis's zipmap, read only: the blob of RDB type 9, the small hashes of Redis 2.x, which Redis
/// 7.0 still loads (into a listpack or a hash table). Layout: a count byte (254 or more: count
/// unknown), then per pair the field's length, the field, the value's length, a byte of unused
/// space after the value, the value and that unused space; a 0xFF terminator. A length is one
/// byte under 254, else 0xFE and a u32 LE. <see cref="TryOpen"/> checks the whole blob as
/// zipmapValidateIntegrity does in its deep mode (which refuses an empty zipmap).
/// </summary>
public ref struct ZipmapReader
{
    const byte End = 0xFF, BigLength = 0xFE;

    readonly ReadOnlySpan<byte> _blob;
    int _next;

    ZipmapReader(ReadOnlySpan<byte> blob, int count)
    {
        _blob = blob;
        _next = 1;
        Count = count;
    }

    /// <summary>The number of pairs.</summary>
    public readonly int Count { get; }
    public ReadOnlySpan<byte> Field { get; private set; }
    public ReadOnlySpan<byte> Value { get; private set; }

    public static bool TryOpen(ReadOnlySpan<byte> blob, out ZipmapReader reader)
    {
        reader = default;
        if (blob.Length < 2 || blob[^1] != End) return false;
        int count = 0;
        long p = 1;
        while (blob[(int)p] != End)
        {
            if (!TryLength(blob, ref p, out long fieldLength)) return false;
            p += fieldLength;
            if (p > blob.Length - 1 || !TryLength(blob, ref p, out long valueLength)) return false;
            long free = blob[(int)p++];
            p += valueLength + free;
            if (p > blob.Length - 1) return false;
            count++;
        }
        if (count == 0 || (blob[0] < BigLength && blob[0] != count)) return false;
        reader = new ZipmapReader(blob, count);
        return true;
    }

    /// <summary>zipmapDecodeLength at <paramref name="p"/>, which it moves past the length; false when the length's bytes (and the byte after them) are not all inside.</summary>
    static bool TryLength(ReadOnlySpan<byte> blob, ref long p, out long length)
    {
        length = 0;
        int size = blob[(int)p] < BigLength ? 1 : 5;
        if (p + size > blob.Length - 1) return false;
        length = size == 1 ? blob[(int)p] : BinaryPrimitives.ReadUInt32LittleEndian(blob[(int)(p + 1)..]);
        p += size;
        return true;
    }

    /// <summary>Moves to the next pair; false after the last.</summary>
    public bool MoveNext()
    {
        if (_blob[_next] == End) return false;
        long p = _next;
        TryLength(_blob, ref p, out long fieldLength);
        Field = _blob.Slice((int)p, (int)fieldLength);
        p += fieldLength;
        TryLength(_blob, ref p, out long valueLength);
        long free = _blob[(int)p++];
        Value = _blob.Slice((int)p, (int)valueLength);
        _next = (int)(p + valueLength + free);
        return true;
    }
}
