using System.Buffers.Binary;
using System.Buffers;
using Vermilion.Protocol;

namespace Vermilion.Persistence;

/// <summary>The object type byte that starts a value in an RDB file or a DUMP payload (Redis 7.0's numbering).</summary>
public enum RdbType : byte
{
    String = 0, List = 1, Set = 2, ZSet = 3, Hash = 4, ZSet2 = 5, Module = 6, Module2 = 7,
    // 8 was never used.
    HashZipmap = 9, ListZiplist = 10, SetIntset = 11, ZSetZiplist = 12, HashZiplist = 13, ListQuicklist = 14,
    StreamListpacks = 15, HashListpack = 16, ZSetListpack = 17, ListQuicklist2 = 18, StreamListpacks2 = 19,
}

/// <summary>The RDB format's constants shared by <see cref="RdbWriter"/> and <see cref="RdbReader"/>.</summary>
public static class RdbFormat
{
    /// <summary>The RDB version Redis 7.0 writes; DUMP payloads and files of a newer version are refused.</summary>
    public const ushort Version = 10;

    // A length's first byte: the top two bits say how it is stored.
    public const int Len6Bit = 0, Len14Bit = 1, Encoded = 3;
    public const byte Len32Bit = 0x80, Len64Bit = 0x81;
    // With the top bits 11, the low six say how the string that follows is encoded.
    public const int EncodingInt8 = 0, EncodingInt16 = 1, EncodingInt32 = 2, EncodingLzf = 3;

    public static bool IsObjectType(byte type) => type <= 7 || (type >= 9 && type <= 19);
}

/// <summary>
/// Writes values in Redis's RDB encoding into a growable buffer: lengths in 1, 2, 5 or 9 bytes,
/// strings as small integers, LZF-compressed or verbatim, choosing as rdbSaveRawString does, so
/// the bytes are the ones redis-server writes. DUMP uses it now; saving whole RDB files will use
/// the same methods and drain <see cref="Written"/> to the file as it fills. One instance per
/// server, reused: its buffer and LZF table are kept between calls (a buffer grown for a large
/// value goes back to the pool on <see cref="Reset"/>).
/// </summary>
public sealed class RdbWriter
{
    const int SmallCapacity = 256;

    readonly byte[] _small = new byte[SmallCapacity];
    byte[] _buffer;
    int _length;
    readonly Lzf _lzf = new();

    public RdbWriter() => _buffer = _small;

    public ReadOnlySpan<byte> Written => _buffer.AsSpan(0, _length);
    public int Length => _length;

    public void Reset()
    {
        if (_buffer != _small) ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = _small;
        _length = 0;
    }

    /// <summary>At least <paramref name="size"/> free bytes at the end of the buffer.</summary>
    Span<byte> Reserve(int size)
    {
        if (_buffer.Length - _length < size)
        {
            long wanted = Math.Max((long)_length + size, (long)_buffer.Length * 2);
            var grown = ArrayPool<byte>.Shared.Rent((int)Math.Min(wanted, Array.MaxLength));
            Written.CopyTo(grown);
            if (_buffer != _small) ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = grown;
        }
        return _buffer.AsSpan(_length);
    }

    public void WriteByte(byte value)
    {
        Reserve(1)[0] = value;
        _length++;
    }

    public void WriteRaw(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(Reserve(bytes.Length));
        _length += bytes.Length;
    }

    public void WriteType(RdbType type) => WriteByte((byte)type);

    /// <summary>rdbSaveLen.</summary>
    public void WriteLength(ulong length) => _length += EncodeLength(length, Reserve(9));

    /// <summary>A length in the fewest bytes: 6 bits, 14 bits (big-endian), or a marker byte and 32 or 64 bits big-endian.</summary>
    public static int EncodeLength(ulong length, Span<byte> destination)
    {
        if (length < 1 << 6)
        {
            destination[0] = (byte)length;
            return 1;
        }
        if (length < 1 << 14)
        {
            destination[0] = (byte)((RdbFormat.Len14Bit << 6) | (int)(length >> 8));
            destination[1] = (byte)length;
            return 2;
        }
        if (length <= uint.MaxValue)
        {
            destination[0] = RdbFormat.Len32Bit;
            BinaryPrimitives.WriteUInt32BigEndian(destination[1..], (uint)length);
            return 5;
        }
        destination[0] = RdbFormat.Len64Bit;
        BinaryPrimitives.WriteUInt64BigEndian(destination[1..], length);
        return 9;
    }

    /// <summary>rdbEncodeInteger: a value that fits 8, 16 or 32 signed bits as an encoded string; 0 if it does not fit.</summary>
    public static int EncodeInteger(long value, Span<byte> destination)
    {
        const int marker = RdbFormat.Encoded << 6;
        if (value is >= sbyte.MinValue and <= sbyte.MaxValue)
        {
            destination[0] = marker | RdbFormat.EncodingInt8;
            destination[1] = (byte)value;
            return 2;
        }
        if (value is >= short.MinValue and <= short.MaxValue)
        {
            destination[0] = marker | RdbFormat.EncodingInt16;
            BinaryPrimitives.WriteInt16LittleEndian(destination[1..], (short)value);
            return 3;
        }
        if (value is >= int.MinValue and <= int.MaxValue)
        {
            destination[0] = marker | RdbFormat.EncodingInt32;
            BinaryPrimitives.WriteInt32LittleEndian(destination[1..], (int)value);
            return 5;
        }
        return 0;
    }

    /// <summary>
    /// rdbSaveRawString: a string of up to 11 bytes that reads as an integer (Redis's strict
    /// rules) and fits 32 bits becomes an encoded integer; one longer than 20 bytes is
    /// LZF-compressed when that saves at least 4 bytes; anything else is a length and the bytes.
    /// </summary>
    public void WriteString(ReadOnlySpan<byte> value)
    {
        if (value.Length <= 11 && IntegerText.TryParse(value, out long integer))
        {
            int size = EncodeInteger(integer, Reserve(5));
            if (size > 0)
            {
                _length += size;
                return;
            }
        }
        if (value.Length > 20 && TryWriteCompressed(value)) return;
        WriteLength((ulong)value.Length);
        WriteRaw(value);
    }

    /// <summary>rdbSaveLongLongAsStringObject: a 32-bit value encoded, a larger one as its decimal text.</summary>
    public void WriteInteger(long value)
    {
        int size = EncodeInteger(value, Reserve(5));
        if (size > 0)
        {
            _length += size;
            return;
        }
        Span<byte> digits = stackalloc byte[20];
        int n = IntegerText.Format(value, digits);
        WriteLength((ulong)n);
        WriteRaw(digits[..n]);
    }

    /// <summary>
    /// The LZF form: marker, compressed length, original length, compressed bytes. The data is
    /// compressed straight into the buffer after room for the longest header, then moved back
    /// once the header's real size is known.
    /// </summary>
    bool TryWriteCompressed(ReadOnlySpan<byte> value)
    {
        const int maxHeader = 1 + 9 + 9;
        int limit = value.Length - 4; // Redis wants at least 4 bytes saved
        var space = Reserve(maxHeader + limit);
        int compressed = _lzf.Compress(value, space.Slice(maxHeader, limit));
        if (compressed == 0) return false;
        Span<byte> header = stackalloc byte[maxHeader];
        header[0] = (RdbFormat.Encoded << 6) | RdbFormat.EncodingLzf;
        int h = 1;
        h += EncodeLength((ulong)compressed, header[h..]);
        h += EncodeLength((ulong)value.Length, header[h..]);
        space.Slice(maxHeader, compressed).CopyTo(space[h..]);
        header[..h].CopyTo(space);
        _length += h + compressed;
        return true;
    }
}
