using System.Buffers.Binary;
using Vermilion.Protocol;

namespace Vermilion.Persistence;

/// <summary>
/// Redis's ziplist, read only: the blob of RDB types 10 (list), 12 (sorted set) and 13 (hash)
/// and of each node of type 14 (quicklist), which Redis 3.2 to 6.2 wrote. Redis 7.0 converts
/// every ziplist it loads (to a listpack or a quicklist of listpacks), and so does Vermilion.
/// Layout: total bytes (u32 LE), offset of the last entry (u32 LE), entry count (u16 LE; 65535
/// when it does not fit), the entries, a 0xFF terminator. An entry is the previous entry's size
/// (1 byte under 254, else 0xFE and a u32 LE), an encoding, then the data:
/// <list type="bullet">
/// <item>00pppppp, 01pppppp qqqqqqqq, 10______ + u32 BE: a string of 6, 14 or 32-bit length;</item>
/// <item>0xC0 / 0xD0 / 0xE0 / 0xF0 / 0xFE: an int16 / int32 / int64 / int24 / int8, little-endian;</item>
/// <item>0xF1..0xFD: the integers 0..12 in the encoding byte itself.</item>
/// </list>
/// <see cref="TryOpen"/> checks the whole blob as ziplistValidateIntegrity does in its deep
/// mode (every entry inside the blob, each back-length equal to the entry before it, the tail
/// offset and the count right), so iterating afterwards cannot read outside it.
/// </summary>
public ref struct ZiplistReader
{
    const int HeaderSize = 10;
    const byte End = 0xFF, BigPrevLength = 0xFE;
    const byte Int16 = 0xC0, Int32 = 0xD0, Int64 = 0xE0, Int24 = 0xF0, Int8 = 0xFE;
    const byte ImmediateMin = 0xF1, ImmediateMax = 0xFD;

    readonly ReadOnlySpan<byte> _blob;
    int _next;

    ZiplistReader(ReadOnlySpan<byte> blob, int count)
    {
        _blob = blob;
        _next = HeaderSize;
        Count = count;
    }

    /// <summary>The number of entries (counted when the header's count saturates).</summary>
    public readonly int Count { get; }
    public bool IsInteger { get; private set; }
    public long Integer { get; private set; }
    public ReadOnlySpan<byte> String { get; private set; }

    /// <summary>The current entry as text: a string as it is, an integer in decimal (written into <paramref name="digits"/>).</summary>
    public readonly ReadOnlySpan<byte> Text(Span<byte> digits) => IsInteger ? digits[..IntegerText.Format(Integer, digits)] : String;

    public static bool TryOpen(ReadOnlySpan<byte> blob, out ZiplistReader reader)
    {
        reader = default;
        if (blob.Length < HeaderSize + 1 || BinaryPrimitives.ReadUInt32LittleEndian(blob) != (uint)blob.Length || blob[^1] != End) return false;
        uint tail = BinaryPrimitives.ReadUInt32LittleEndian(blob[4..]);
        int headerCount = BinaryPrimitives.ReadUInt16LittleEndian(blob[8..]);
        if (tail > (uint)blob.Length - 1) return false;
        int count = 0, previousSize = 0, previous = -1;
        int p = HeaderSize;
        while (blob[p] != End)
        {
            if (!TryDecode(blob, p, out int prevLength, out int header, out int dataLength, out _)) return false;
            if (prevLength != previousSize) return false;
            previous = p;
            previousSize = header + dataLength;
            p += previousSize;
            count++;
        }
        if (p != blob.Length - 1) return false;
        if (previous >= 0 && previous != tail) return false;
        if (headerCount != ushort.MaxValue && headerCount != count) return false;
        reader = new ZiplistReader(blob, count);
        return true;
    }

    /// <summary>
    /// zipEntrySafe: the entry at <paramref name="p"/>, its previous-entry length, the size of
    /// its headers and of its data, and its encoding byte; false when any of it lies outside
    /// the entries or the encoding is unknown.
    /// </summary>
    static bool TryDecode(ReadOnlySpan<byte> blob, int p, out int prevLength, out int header, out int dataLength, out byte encoding)
    {
        prevLength = header = dataLength = 0;
        encoding = 0;
        long last = blob.Length - 1; // the terminator: nothing of an entry may reach it
        int prevSize = blob[p] < BigPrevLength ? 1 : 5;
        if (p + prevSize >= last) return false;
        if (prevSize == 1) prevLength = blob[p];
        else
        {
            uint big = BinaryPrimitives.ReadUInt32LittleEndian(blob[(p + 1)..]);
            if (big > int.MaxValue) return false;
            prevLength = (int)big;
        }
        int e = p + prevSize;
        encoding = blob[e];
        int lengthSize;
        long length;
        switch (encoding >> 6)
        {
            case 0:
                lengthSize = 1;
                length = encoding & 0x3F;
                break;
            case 1:
                lengthSize = 2;
                if (e + 1 >= last) return false;
                length = ((encoding & 0x3F) << 8) | blob[e + 1];
                break;
            case 2:
                lengthSize = 5;
                if (e + 4 >= last) return false;
                length = BinaryPrimitives.ReadUInt32BigEndian(blob[(e + 1)..]);
                break;
            default:
                lengthSize = 1;
                length = encoding switch
                {
                    Int8 => 1,
                    Int16 => 2,
                    Int24 => 3,
                    Int32 => 4,
                    Int64 => 8,
                    >= ImmediateMin and <= ImmediateMax => 0,
                    _ => -1,
                };
                if (length < 0) return false;
                break;
        }
        if (e + lengthSize + length > last || p - prevLength < HeaderSize) return false;
        header = prevSize + lengthSize;
        dataLength = (int)length;
        return true;
    }

    /// <summary>Moves to the next entry; false after the last.</summary>
    public bool MoveNext()
    {
        if (_blob[_next] == End) return false;
        TryDecode(_blob, _next, out _, out int header, out int length, out byte encoding);
        var data = _blob.Slice(_next + header, length);
        _next += header + length;
        IsInteger = encoding >= Int16;
        if (!IsInteger)
        {
            String = data;
            return true;
        }
        Integer = encoding switch
        {
            Int8 => (sbyte)data[0],
            Int16 => BinaryPrimitives.ReadInt16LittleEndian(data),
            Int24 => (BinaryPrimitives.ReadInt32LittleEndian([0, data[0], data[1], data[2]]) >> 8),
            Int32 => BinaryPrimitives.ReadInt32LittleEndian(data),
            Int64 => BinaryPrimitives.ReadInt64LittleEndian(data),
            _ => (encoding & 0x0F) - 1,
        };
        return true;
    }
}
