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
/// A finished piece of an RDB stream: bytes [0, <see cref="Length"/>) of a buffer rented from
/// <see cref="Pool"/>. Whoever receives it owns it: the writer never touches the buffer again,
/// and the receiver gives it back with <see cref="Return"/> once the bytes are written (from any
/// thread).
/// </summary>
public readonly struct RdbChunk(byte[] buffer, int length)
{
    public byte[] Buffer { get; } = buffer;
    public int Length { get; } = length;
    public ReadOnlySpan<byte> Span => Buffer.AsSpan(0, Length);
    public void Return() => Pool.Return(Buffer);

    /// <summary>
    /// Where streaming chunks come from and go back to: one pool shared by every thread. A
    /// background save rents on the loop thread and returns on its writer thread; with the
    /// shared pool's per-thread caches each returned chunk stayed with the writer and the loop
    /// allocated a new 64 KB array for every chunk, a gen0 collection every few megabytes
    /// (measured: 39 ms probe stalls during a BGSAVE of 2.2M keys).
    /// </summary>
    public static readonly ArrayPool<byte> Pool = ArrayPool<byte>.Create(maxArrayLength: 16 << 20, maxArraysPerBucket: 64);
}

/// <summary>Where a streaming <see cref="RdbWriter"/> hands its finished chunks, in order.</summary>
public interface IRdbChunkSink
{
    /// <summary>Takes ownership of <paramref name="chunk"/> (see <see cref="RdbChunk"/>).</summary>
    void Accept(RdbChunk chunk);
}

/// <summary>
/// Writes values in Redis's RDB encoding: lengths in 1, 2, 5 or 9 bytes, strings as small
/// integers, LZF-compressed or verbatim, choosing as rdbSaveRawString does, so the bytes are the
/// ones redis-server writes. Two modes:
/// <list type="bullet">
/// <item>a growable buffer (DUMP, MIGRATE): the value is read from <see cref="Written"/>. One
/// instance per server, reused: its buffer and LZF table are kept between calls (a buffer grown
/// for a large value goes back to the pool on <see cref="Reset"/>);</item>
/// <item>streaming (RDB files, <see cref="RdbFileWriter"/>): bytes fill pooled chunks of at
/// least the chunk size, and each full chunk is handed to an <see cref="IRdbChunkSink"/> as the
/// next bytes need room, so a file of any size never needs more than a chunk (or one value's
/// LZF output) in memory. Written bytes are never revisited, so a chunk may leave at any
/// point, even in the middle of a value.</item>
/// </list>
/// </summary>
public sealed class RdbWriter
{
    const int SmallCapacity = 256;

    readonly byte[] _small = new byte[SmallCapacity];
    byte[] _buffer;
    int _length;
    readonly Lzf _lzf = new();
    readonly IRdbChunkSink? _sink;
    readonly int _chunkSize;

    public RdbWriter() => _buffer = _small;

    /// <summary>A streaming writer: full chunks of at least <paramref name="chunkSize"/> bytes go to <paramref name="sink"/>.</summary>
    public RdbWriter(IRdbChunkSink sink, int chunkSize)
    {
        _sink = sink;
        _chunkSize = chunkSize;
        _buffer = [];
    }

    /// <summary>rdbcompression: strings longer than 20 bytes are tried with LZF only when set (Redis's default).</summary>
    public bool Compress { get; set; } = true;

    /// <summary>Streaming: hands what is written so far to the sink as a (possibly short) chunk.</summary>
    public void Flush()
    {
        if (_sink is null || _length == 0) return;
        _sink.Accept(new RdbChunk(_buffer, _length));
        _buffer = [];
        _length = 0;
    }

    /// <summary>What is written so far (streaming: what is written since the last chunk left).</summary>
    public ReadOnlySpan<byte> Written => _buffer.AsSpan(0, _length);
    public int Length => _length;

    public void Reset()
    {
        if (_buffer != _small && _buffer.Length > 0) (_sink is null ? ArrayPool<byte>.Shared : RdbChunk.Pool).Return(_buffer);
        _buffer = _sink is null ? _small : [];
        _length = 0;
    }

    /// <summary>At least <paramref name="size"/> free bytes at the end of the buffer.</summary>
    Span<byte> Reserve(int size)
    {
        if (_buffer.Length - _length < size && _sink is not null)
        {
            // Streaming: the full chunk leaves as it is; the bytes to come start a new one.
            Flush();
            if (_buffer.Length > 0) RdbChunk.Pool.Return(_buffer);
            _buffer = RdbChunk.Pool.Rent(Math.Max(_chunkSize, size));
        }
        else if (_buffer.Length - _length < size)
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
        if (_sink is not null)
        {
            // Streaming, bytes fill what is left of the chunk and go on in the next: chunks leave
            // full, and a long value never needs a buffer of its size.
            while (bytes.Length > 0)
            {
                int room = _buffer.Length - _length;
                if (room == 0) room = Reserve(Math.Min(bytes.Length, _chunkSize)).Length;
                int n = Math.Min(room, bytes.Length);
                bytes[..n].CopyTo(_buffer.AsSpan(_length));
                _length += n;
                bytes = bytes[n..];
            }
            return;
        }
        bytes.CopyTo(Reserve(bytes.Length));
        _length += bytes.Length;
    }

    public void WriteType(RdbType type) => WriteByte((byte)type);

    /// <summary>rdbSaveLen.</summary>
    public void WriteLength(ulong length)
    {
        // Reserve first: streaming, it may hand the chunk over and start _length again at 0.
        var destination = Reserve(9);
        _length += EncodeLength(length, destination);
    }

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
        if (value.Length > 20 && Compress && TryWriteCompressed(value)) return;
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
