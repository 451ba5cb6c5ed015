using System.Buffers.Binary;
using System.Buffers;
using Vermilion.Protocol;

namespace Vermilion.Persistence;

/// <summary>
/// Redis's listpack, the blob that small hashes, sorted sets and list nodes are written as in
/// RDB 10 (Vermilion's own small encodings keep a simpler layout in memory and convert on DUMP
/// and RESTORE). Layout: total bytes (u32 LE), element count (u16 LE; 65535 when it does not
/// fit), the entries, and a terminating 0xFF. An entry is its encoding and data, then a
/// back-length (the size of encoding + data, in 1 to 5 bytes, read right to left) so that Redis
/// can walk backwards. Encodings, by first byte:
/// <list type="bullet">
/// <item>0xxxxxxx: an integer 0..127;</item>
/// <item>10xxxxxx: a string of up to 63 bytes;</item>
/// <item>110xxxxx + 1 byte: a 13-bit signed integer;</item>
/// <item>1110xxxx + 1 byte: a string of up to 4095 bytes (length big-endian in 12 bits);</item>
/// <item>0xF1 / 0xF2 / 0xF3 / 0xF4: a 16 / 24 / 32 / 64-bit signed integer, little-endian;</item>
/// <item>0xF0 + u32 LE: a longer string.</item>
/// </list>
/// A string that reads as an integer (Redis's strict rules) is stored as the smallest integer
/// encoding, as lpAppend does, which makes the bytes the same as redis-server's.
/// </summary>
public static class Listpack
{
    public const int HeaderSize = 6;
    public const byte End = 0xFF;
    public const int UnknownCount = ushort.MaxValue;

    const byte String6 = 0x80, Int13 = 0xC0, String12 = 0xE0, String32 = 0xF0;
    const byte Int16 = 0xF1, Int24 = 0xF2, Int32 = 0xF3, Int64 = 0xF4;

    /// <summary>Bytes of encoding and data for an integer (lpEncodeIntegerGetType).</summary>
    static int IntegerSize(long v) => v switch
    {
        >= 0 and <= 127 => 1,
        >= -4096 and <= 4095 => 2,
        >= short.MinValue and <= short.MaxValue => 3,
        >= -8388608 and <= 8388607 => 4,
        >= int.MinValue and <= int.MaxValue => 5,
        _ => 9,
    };

    static long StringSize(int length) => length < 64 ? 1 + length : length < 4096 ? 2 + length : 5L + length;

    /// <summary>lpEncodeBacklen's size; the thresholds are Redis's (16383 already takes three bytes).</summary>
    internal static int BacklenSize(long encodedSize) =>
        encodedSize <= 127 ? 1 : encodedSize < 16383 ? 2 : encodedSize < 2097151 ? 3 : encodedSize < 268435455 ? 4 : 5;

    /// <summary>Bytes the element takes as an entry, back-length included.</summary>
    public static long EntrySize(ReadOnlySpan<byte> element)
    {
        long size = IntegerText.TryParse(element, out long v) ? IntegerSize(v) : StringSize(element.Length);
        return size + BacklenSize(size);
    }

    public static int EntrySize(long value)
    {
        int size = IntegerSize(value);
        return size + BacklenSize(size);
    }

    /// <summary>Writes the element as lpAppend would; returns the bytes written (<see cref="EntrySize(ReadOnlySpan{byte})"/>).</summary>
    public static int WriteEntry(Span<byte> destination, ReadOnlySpan<byte> element)
    {
        if (IntegerText.TryParse(element, out long v)) return WriteEntry(destination, v);
        int length = element.Length, header;
        if (length < 64)
        {
            destination[0] = (byte)(String6 | length);
            header = 1;
        }
        else if (length < 4096)
        {
            destination[0] = (byte)(String12 | (length >> 8));
            destination[1] = (byte)length;
            header = 2;
        }
        else
        {
            destination[0] = String32;
            BinaryPrimitives.WriteUInt32LittleEndian(destination[1..], (uint)length);
            header = 5;
        }
        element.CopyTo(destination[header..]);
        return header + length + WriteBacklen(destination[(header + length)..], header + length);
    }

    public static int WriteEntry(Span<byte> destination, long v)
    {
        int size = IntegerSize(v);
        switch (size)
        {
            case 1: destination[0] = (byte)v; break;
            case 2:
                // Two's complement in 13 bits.
                int u = (int)(v & 0x1FFF);
                destination[0] = (byte)(Int13 | (u >> 8));
                destination[1] = (byte)u;
                break;
            case 3:
                destination[0] = Int16;
                BinaryPrimitives.WriteInt16LittleEndian(destination[1..], (short)v);
                break;
            case 4:
                destination[0] = Int24;
                destination[1] = (byte)v;
                destination[2] = (byte)(v >> 8);
                destination[3] = (byte)(v >> 16);
                break;
            case 5:
                destination[0] = Int32;
                BinaryPrimitives.WriteInt32LittleEndian(destination[1..], (int)v);
                break;
            default:
                destination[0] = Int64;
                BinaryPrimitives.WriteInt64LittleEndian(destination[1..], v);
                break;
        }
        return size + WriteBacklen(destination[size..], size);
    }

    /// <summary>The back-length: the highest 7-bit group first, the others with bit 7 set, so it reads right to left.</summary>
    static int WriteBacklen(Span<byte> destination, long encodedSize)
    {
        int n = BacklenSize(encodedSize);
        for (int i = 0; i < n; i++)
        {
            byte group = (byte)((encodedSize >> (7 * (n - 1 - i))) & 127);
            destination[i] = i == 0 ? group : (byte)(group | 128);
        }
        return n;
    }

    /// <summary>The header of a listpack of <paramref name="totalBytes"/> holding <paramref name="count"/> entries.</summary>
    public static void WriteHeader(Span<byte> destination, int totalBytes, int count)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(destination, (uint)totalBytes);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[4..], (ushort)Math.Min(count, UnknownCount));
    }

    /// <summary>
    /// lpValidateIntegrity with deep checking, always: the header's size is the blob's, every
    /// entry has a known encoding, lies inside the blob and carries the right back-length, the
    /// first terminator is the last byte, and the count matches unless it is 65535 ("unknown").
    /// Returns the number of entries, or -1.
    /// </summary>
    public static int Validate(ReadOnlySpan<byte> listpack)
    {
        if (listpack.Length < HeaderSize + 1 || BinaryPrimitives.ReadUInt32LittleEndian(listpack) != (uint)listpack.Length
            || listpack[^1] != End)
            return -1;
        int declared = BinaryPrimitives.ReadUInt16LittleEndian(listpack[4..]);
        int position = HeaderSize, count = 0, last = listpack.Length - 1;
        Span<byte> expected = stackalloc byte[5];
        while (position < last)
        {
            long size = EncodedSize(listpack, position, last);
            if (size < 0) return -1;
            int backlen = BacklenSize(size);
            if (size + backlen > last - position) return -1;
            int end = position + (int)size;
            WriteBacklen(expected, size);
            if (!listpack.Slice(end, backlen).SequenceEqual(expected[..backlen])) return -1;
            position = end + backlen;
            count++;
        }
        if (declared != UnknownCount && declared != count) return -1;
        return count;
    }

    /// <summary>
    /// lpGet on a listpack already validated (or written here): the element at <paramref name="p"/>
    /// as an integer or a string, and the offset of the next element. The stream's nodes are read
    /// in place through this (Storage/StreamValue.cs), as Redis reads its listpacks.
    /// </summary>
    public static int ReadElement(ReadOnlySpan<byte> lp, int p, out bool isInteger, out long integer, out ReadOnlySpan<byte> text)
    {
        byte b = lp[p];
        int size;
        isInteger = true;
        integer = 0;
        text = default;
        if (b < 0x80)
        {
            integer = b;
            size = 1;
        }
        else if ((b & 0xC0) == String6)
        {
            size = 1 + (b & 0x3F);
            text = lp.Slice(p + 1, size - 1);
            isInteger = false;
        }
        else if ((b & 0xE0) == Int13)
        {
            // Sign-extend 13 bits.
            integer = ((((b & 0x1F) << 8) | lp[p + 1]) << 19) >> 19;
            size = 2;
        }
        else if ((b & 0xF0) == String12)
        {
            int length = (b & 0x0F) << 8 | lp[p + 1];
            size = 2 + length;
            text = lp.Slice(p + 2, length);
            isInteger = false;
        }
        else
        {
            switch (b)
            {
                case Int16: integer = BinaryPrimitives.ReadInt16LittleEndian(lp[(p + 1)..]); size = 3; break;
                case Int24: integer = ((lp[p + 1] | lp[p + 2] << 8 | lp[p + 3] << 16) << 8) >> 8; size = 4; break;
                case Int32: integer = BinaryPrimitives.ReadInt32LittleEndian(lp[(p + 1)..]); size = 5; break;
                case Int64: integer = BinaryPrimitives.ReadInt64LittleEndian(lp[(p + 1)..]); size = 9; break;
                default:
                    int length = (int)BinaryPrimitives.ReadUInt32LittleEndian(lp[(p + 1)..]);
                    size = 5 + length;
                    text = lp.Slice(p + 5, length);
                    isInteger = false;
                    break;
            }
        }
        return p + size + BacklenSize(size);
    }

    /// <summary>The integer element at <paramref name="p"/> (the stream's counters, flags and ID deltas); <paramref name="next"/> is the following element.</summary>
    public static long ReadInteger(ReadOnlySpan<byte> lp, int p, out int next)
    {
        // A 7-bit integer and its one-byte back-length: a stream entry's flags, most ID deltas and counts.
        byte b = lp[p];
        if (b < 0x80)
        {
            next = p + 2;
            return b;
        }
        next = ReadElement(lp, p, out _, out long value, out _);
        return value;
    }

    /// <summary>lpSkip on a listpack already validated: the offset of the element after the one at
    /// <paramref name="p"/>, from its encoding alone (a stream's seek steps over values it never reads).</summary>
    public static int Skip(ReadOnlySpan<byte> lp, int p)
    {
        byte b = lp[p];
        if (b < 0x80) return p + 2;
        int size = (b & 0xC0) == String6 ? 1 + (b & 0x3F) : (int)EncodedSize(lp, p, lp.Length);
        return p + size + BacklenSize(size);
    }

    /// <summary>lpPrev: the start of the element that ends just before <paramref name="p"/>, from its back-length read right to left.</summary>
    public static int PreviousElement(ReadOnlySpan<byte> lp, int p)
    {
        long size = 0;
        int shift = 0, q = p - 1;
        while (true)
        {
            byte b = lp[q];
            size |= (long)(b & 127) << shift;
            if ((b & 128) == 0) break;
            shift += 7;
            q--;
        }
        return q - (int)size;
    }

    /// <summary>Encoding and data size of the entry at <paramref name="position"/>; -1 for an unknown encoding, the terminator, or a header cut off before <paramref name="limit"/>.</summary>
    static long EncodedSize(ReadOnlySpan<byte> lp, int position, int limit)
    {
        byte b = lp[position];
        if (b < 0x80) return 1;
        if ((b & 0xC0) == String6) return 1 + (b & 0x3F);
        if ((b & 0xE0) == Int13) return 2;
        if ((b & 0xF0) == String12)
            return position + 1 < limit ? 2 + ((b & 0x0F) << 8 | lp[position + 1]) : -1;
        return b switch
        {
            Int16 => 3,
            Int24 => 4,
            Int32 => 5,
            Int64 => 9,
            String32 => position + 5 <= limit ? 5L + BinaryPrimitives.ReadUInt32LittleEndian(lp[(position + 1)..]) : -1,
            _ => -1,
        };
    }
}

/// <summary>
/// Builds a listpack in a pooled buffer, entry by entry, in Redis's bytes (see <see cref="Listpack"/>).
/// <see cref="Finish"/> writes the header and terminator; <see cref="Dispose"/> returns the buffer.
/// </summary>
public ref struct ListpackBuilder
{
    byte[] _buffer;
    int _length, _count;

    public ListpackBuilder(int capacity)
    {
        _buffer = ArrayPool<byte>.Shared.Rent(Math.Max(capacity, 64));
        _length = Listpack.HeaderSize;
    }

    public readonly int Count => _count;
    /// <summary>Bytes so far, header included, terminator not.</summary>
    public readonly int Length => _length;

    public void Append(scoped ReadOnlySpan<byte> element)
    {
        _length += Listpack.WriteEntry(Reserve(Listpack.EntrySize(element)), element);
        _count++;
    }

    public void Append(long value)
    {
        _length += Listpack.WriteEntry(Reserve(Listpack.EntrySize(value)), value);
        _count++;
    }

    Span<byte> Reserve(long size)
    {
        // The terminator's byte is always kept free.
        long needed = _length + size + 1;
        if (needed > _buffer.Length)
        {
            if (needed > Array.MaxLength) throw new InvalidOperationException("listpack too large");
            var grown = ArrayPool<byte>.Shared.Rent((int)Math.Min(Math.Max(needed, 2L * _buffer.Length), Array.MaxLength));
            _buffer.AsSpan(0, _length).CopyTo(grown);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = grown;
        }
        return _buffer.AsSpan(_length);
    }

    /// <summary>The whole listpack, valid until the builder is disposed.</summary>
    public ReadOnlySpan<byte> Finish()
    {
        _buffer[_length] = Listpack.End;
        Listpack.WriteHeader(_buffer, _length + 1, _count);
        return _buffer.AsSpan(0, _length + 1);
    }

    public void Dispose()
    {
        if (_buffer is not null) ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = null!;
    }
}

/// <summary>
/// Walks the entries of a listpack that <see cref="Listpack.Validate"/> accepted (only
/// <see cref="TryOpen"/> makes one, so the walk needs no checks of its own).
/// </summary>
public ref struct ListpackReader
{
    readonly ReadOnlySpan<byte> _listpack;
    int _next;

    ListpackReader(ReadOnlySpan<byte> listpack, int count)
    {
        _listpack = listpack;
        _next = Listpack.HeaderSize;
        Count = count;
    }

    /// <summary>Validates <paramref name="listpack"/>; the reader is before its first entry.</summary>
    public static bool TryOpen(ReadOnlySpan<byte> listpack, out ListpackReader reader)
    {
        int count = Listpack.Validate(listpack);
        reader = count >= 0 ? new ListpackReader(listpack, count) : default;
        return count >= 0;
    }

    public readonly int Count { get; }
    /// <summary>Whether the current entry is integer-encoded (then <see cref="Integer"/>), else <see cref="String"/>.</summary>
    public bool IsInteger { get; private set; }
    public long Integer { get; private set; }
    public ReadOnlySpan<byte> String { get; private set; }

    /// <summary>The current entry as text: a string as it is, an integer in decimal in <paramref name="digits"/> (20 bytes).</summary>
    public readonly ReadOnlySpan<byte> Text(Span<byte> digits) => IsInteger ? digits[..IntegerText.Format(Integer, digits)] : String;

    /// <summary>Moves to the next entry; false at the terminator.</summary>
    public bool MoveNext()
    {
        if (_next >= _listpack.Length - 1) return false;
        _next = Listpack.ReadElement(_listpack, _next, out bool isInteger, out long integer, out var text);
        IsInteger = isInteger;
        Integer = integer;
        String = text;
        return true;
    }
}
