using System.Buffers.Binary;
using System.Buffers;
using Vermilion.Protocol;

namespace Vermilion.Persistence;

/// <summary>
/// A string read from RDB data: a slice of the input when stored verbatim, otherwise decoded
/// (integer digits, decompressed LZF) into a pooled array that <see cref="Dispose"/> returns.
/// </summary>
public readonly ref struct RdbString
{
    readonly byte[]? _rented;
    public ReadOnlySpan<byte> Value { get; }

    public RdbString(ReadOnlySpan<byte> value, byte[]? rented)
    {
        Value = value;
        _rented = rented;
    }

    public void Dispose()
    {
        if (_rented is not null) ArrayPool<byte>.Shared.Return(_rented);
    }
}

/// <summary>
/// Reads Redis's RDB value encoding from a span, the inverse of <see cref="RdbWriter"/>. Every
/// method returns false on data that is truncated or malformed, as Redis's loader fails (RESTORE
/// answers "Bad data format"), and never reads outside the span or allocates more than the data
/// can describe. Collections are read on top of these methods by <see cref="RdbValue"/>.
/// </summary>
public ref struct RdbReader(ReadOnlySpan<byte> data)
{
    /// <summary>A 64-bit length of all ones is Redis's RDB_LENERR, so it never loads.</summary>
    const ulong LengthError = ulong.MaxValue;
    /// <summary>LZF turns 3 bytes into at most 264, so a longer declared result is a lie.</summary>
    const int LzfMaxExpansion = 88;

    readonly ReadOnlySpan<byte> _data = data;
    int _position;
    bool _ranOut;

    public readonly int Position => _position;
    public readonly int Remaining => _data.Length - _position;

    /// <summary>
    /// Whether a read failed for want of bytes past the end of the data (rather than on bytes
    /// that make no sense): an RDB file's loader, which reads through a window, then reads more
    /// of the file and tries again, where other failures are corruption.
    /// </summary>
    public readonly bool RanOut => _ranOut;

    /// <summary>A caller's own check found the data too short for what it announces (a count of elements past the bytes left).</summary>
    public void NoteRanOut() => _ranOut = true;

    public bool TryReadByte(out byte value)
    {
        if (_position >= _data.Length)
        {
            value = 0;
            _ranOut = true;
            return false;
        }
        value = _data[_position++];
        return true;
    }

    public bool TryReadBytes(ulong count, out ReadOnlySpan<byte> bytes)
    {
        if (count > (ulong)Remaining)
        {
            bytes = default;
            _ranOut = true;
            return false;
        }
        bytes = _data.Slice(_position, (int)count);
        _position += (int)count;
        return true;
    }

    /// <summary>rdbLoadObjectType: a type byte Redis 7.0 knows (module types included).</summary>
    public bool TryReadObjectType(out RdbType type)
    {
        type = default;
        if (!TryReadByte(out byte b) || !RdbFormat.IsObjectType(b)) return false;
        type = (RdbType)b;
        return true;
    }

    /// <summary>
    /// rdbLoadLenByRef: a length, or with <paramref name="isEncoded"/> set, the 6-bit number of a
    /// string encoding. Callers that expect a plain length may ignore the flag, as Redis's
    /// rdbLoadLen with a null pointer does.
    /// </summary>
    public bool TryReadLength(out ulong length, out bool isEncoded)
    {
        length = 0;
        isEncoded = false;
        if (!TryReadByte(out byte first)) return false;
        switch (first >> 6)
        {
            case RdbFormat.Encoded:
                isEncoded = true;
                length = (ulong)(first & 0x3F);
                return true;
            case RdbFormat.Len6Bit:
                length = (ulong)(first & 0x3F);
                return true;
            case RdbFormat.Len14Bit:
                if (!TryReadByte(out byte second)) return false;
                length = (ulong)((first & 0x3F) << 8 | second);
                return true;
        }
        if (first == RdbFormat.Len32Bit)
        {
            if (!TryReadBytes(4, out var bytes)) return false;
            length = BinaryPrimitives.ReadUInt32BigEndian(bytes);
            return true;
        }
        if (first == RdbFormat.Len64Bit)
        {
            if (!TryReadBytes(8, out var bytes)) return false;
            length = BinaryPrimitives.ReadUInt64BigEndian(bytes);
            return length != LengthError;
        }
        return false;
    }

    /// <summary>rdbLoadLen: a length, where an encoding marker counts as its 6-bit number.</summary>
    public bool TryReadLength(out ulong length) => TryReadLength(out length, out _);

    /// <summary>
    /// rdbLoadLen where every value is data, UINT64_MAX too: a stream group's entries_read of -1
    /// is saved as that length, and Redis tells it from RDB_LENERR only by the read not failing.
    /// </summary>
    public bool TryReadCounter(out ulong value)
    {
        var peek = this;
        if (peek.TryReadByte(out byte first) && first == RdbFormat.Len64Bit && peek.TryReadBytes(8, out var bytes))
        {
            value = BinaryPrimitives.ReadUInt64BigEndian(bytes);
            this = peek;
            return true;
        }
        return TryReadLength(out value);
    }

    /// <summary>rdbGenericLoadStringObject: verbatim, an 8/16/32-bit integer, or LZF-compressed.</summary>
    public bool TryReadString(out RdbString value)
    {
        value = default;
        if (!TryReadLength(out ulong length, out bool isEncoded)) return false;
        if (!isEncoded)
        {
            if (!TryReadBytes(length, out var bytes)) return false;
            value = new RdbString(bytes, null);
            return true;
        }
        switch ((int)length)
        {
            case RdbFormat.EncodingInt8:
            case RdbFormat.EncodingInt16:
            case RdbFormat.EncodingInt32:
                return TryReadInteger((int)length, out value);
            case RdbFormat.EncodingLzf:
                return TryReadCompressed(out value);
            default:
                return false;
        }
    }

    bool TryReadInteger(int encoding, out RdbString value)
    {
        value = default;
        int size = encoding switch { RdbFormat.EncodingInt8 => 1, RdbFormat.EncodingInt16 => 2, _ => 4 };
        if (!TryReadBytes((ulong)size, out var bytes)) return false;
        long n = size switch
        {
            1 => (sbyte)bytes[0],
            2 => BinaryPrimitives.ReadInt16LittleEndian(bytes),
            _ => BinaryPrimitives.ReadInt32LittleEndian(bytes),
        };
        var digits = ArrayPool<byte>.Shared.Rent(20);
        int length = IntegerText.Format(n, digits);
        value = new RdbString(digits.AsSpan(0, length), digits);
        return true;
    }

    /// <summary>
    /// rdbLoadLzfStringObject: compressed length, original length, data. As in Redis, the data
    /// must decompress to exactly the original length, except that an original length of 0
    /// accepts any data (liblzf reports 0 bytes written when it has no room at all).
    /// </summary>
    bool TryReadCompressed(out RdbString value)
    {
        value = default;
        if (!TryReadLength(out ulong compressedLength) || !TryReadLength(out ulong length)) return false;
        if (!TryReadBytes(compressedLength, out var compressed)) return false;
        if (length == 0)
        {
            value = new RdbString(default, null);
            return true;
        }
        if (length > (ulong)compressed.Length * LzfMaxExpansion || length > (ulong)Array.MaxLength) return false;
        var buffer = ArrayPool<byte>.Shared.Rent((int)length);
        var target = buffer.AsSpan(0, (int)length);
        if (Lzf.Decompress(compressed, target) != target.Length)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            return false;
        }
        value = new RdbString(target, buffer);
        return true;
    }
}
