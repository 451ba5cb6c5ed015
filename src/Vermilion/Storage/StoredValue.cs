namespace Vermilion.Storage;

/// <summary>The types TYPE reports.</summary>
public enum DataType : byte { String, List, Set, ZSet, Hash, Stream }

/// <summary>OBJECT ENCODING of a string, kept in the entry's metadata (see <see cref="Keyspace"/>).</summary>
public enum StringEncoding : byte { Embstr = 0, Int = 1, Raw = 2 }

/// <summary>
/// A value that is not a packed string: it carries its own key. Most keys never need one: a
/// string set by SET lives with its key in a single array (see <see cref="PackedString"/>), and
/// the compact encodings of hashes and sorted sets keep the key in front of their entries the
/// same way.
/// </summary>
public abstract class StoredObject
{
    public abstract ReadOnlySpan<byte> Key { get; }
    /// <summary>RENAME and MOVE: the same value under another key.</summary>
    public abstract void SetKey(ReadOnlySpan<byte> key);
    public abstract DataType Type { get; }
    /// <summary>Bytes this value holds on the managed heap, key included (used_memory).</summary>
    public abstract long MemoryBytes { get; }
    /// <summary>OBJECT ENCODING's answer for a collection (strings keep theirs in the keyspace entry).</summary>
    public virtual string Encoding => "raw";
    /// <summary>COPY: an independent duplicate under another key.</summary>
    public abstract StoredObject CopyAs(byte[] key);

    /// <summary>The keyspace holding this value, told of every change of <see cref="MemoryBytes"/> through <see cref="Grew"/>.</summary>
    internal Keyspace? Owner;

    /// <summary>A collection calls this whenever its size changes in place, so used_memory stays exact without rescans.</summary>
    protected void Grew(long deltaBytes) => Owner?.ItemResized(deltaBytes);

    /// <summary>The size of a byte array on the 64-bit runtime: header, length, data rounded to 8.</summary>
    public static long ArrayBytes(int length) => 24 + ((length + 7L) & ~7L);
}

/// <summary>A value whose key is an array of its own.</summary>
public abstract class SeparatelyKeyedObject(byte[] key) : StoredObject
{
    byte[] _key = key;
    public override ReadOnlySpan<byte> Key => _key;
    public override void SetKey(ReadOnlySpan<byte> key) => _key = key.ToArray();
}

/// <summary>
/// Thrown by <see cref="Db"/> when a command meets a key holding another type. Redis checks the
/// type before it writes any reply or change, and so do our commands, so the dispatcher can
/// answer WRONGTYPE for every command in one place (one cached instance: the error path is cold).
/// </summary>
public sealed class WrongTypeException : Exception
{
    public static readonly WrongTypeException Instance = new();
    public static ReadOnlySpan<byte> ReplyBytes => "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"u8;
    WrongTypeException() : base("WRONGTYPE Operation against a key holding the wrong kind of value") { }
}

/// <summary>
/// A string that grows in place (APPEND, SETRANGE, SETBIT, BITFIELD): spare capacity doubles
/// as Redis's sds does (up to 1 MB at a time), so repeated appends stay linear. OBJECT ENCODING
/// reports such strings as raw, as Redis does after it unshares a value to modify it.
/// </summary>
public sealed class RawString(byte[] key, byte[] buffer, int length) : SeparatelyKeyedObject(key)
{
    public byte[] Buffer = buffer;
    public int Length = length;

    public override DataType Type => DataType.String;
    public override long MemoryBytes => 40 + ArrayBytes(Key.Length) + ArrayBytes(Buffer.Length);
    public override StoredObject CopyAs(byte[] key) => new RawString(key, Value.ToArray(), Length);
    public ReadOnlySpan<byte> Value => Buffer.AsSpan(0, Length);

    /// <summary>Makes room for <paramref name="length"/> bytes (new bytes are zero) and returns the whole value.</summary>
    public Span<byte> Grow(int length)
    {
        if (length > Buffer.Length)
        {
            const int maxPrealloc = 1024 * 1024;
            long capacity = length < maxPrealloc ? length * 2L : length + (long)maxPrealloc;
            var grown = new byte[Math.Min(capacity, Array.MaxLength)];
            Buffer.AsSpan(0, Length).CopyTo(grown);
            Buffer = grown;
        }
        else if (length > Length) Buffer.AsSpan(Length, length - Length).Clear();
        if (length > Length) Length = length;
        return Buffer.AsSpan(0, Length);
    }
}

/// <summary>
/// A key and its string value in one array: [key length, 7-bit varint][key][value]. One
/// object per key instead of three (key, value, entry) is most of why a small key costs less
/// than in Redis, whose key sds, robj and dictEntry are separate allocations. The compact
/// encodings of hashes and sorted sets use the same layout with their entries as the value
/// (and spare room after them), so a small collection needs no key array either.
/// </summary>
public static class PackedString
{
    public static byte[] Create(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        var packed = Allocate(key, value.Length, out int valueStart);
        value.CopyTo(packed.AsSpan(valueStart));
        return packed;
    }

    /// <summary>The key written, then <paramref name="valueLength"/> bytes for the caller to fill.</summary>
    public static byte[] Allocate(ReadOnlySpan<byte> key, int valueLength) => Allocate(key, valueLength, out _);

    /// <summary>
    /// The key written, then room for at least <paramref name="capacity"/> bytes: the array's length
    /// is rounded up to the 8 bytes the runtime allocates anyway (collections that grow in place).
    /// </summary>
    public static byte[] AllocateRounded(ReadOnlySpan<byte> key, int capacity)
    {
        int keyBytes = KeyBytes(key);
        return Allocate(key, (int)Math.Min((keyBytes + (long)capacity + 7) & ~7L, Array.MaxLength) - keyBytes);
    }

    static byte[] Allocate(ReadOnlySpan<byte> key, int valueLength, out int valueStart)
    {
        int header = VarintLength(key.Length);
        var packed = GC.AllocateUninitializedArray<byte>(header + key.Length + valueLength);
        uint n = (uint)key.Length;
        int i = 0;
        for (; n >= 0x80; n >>= 7) packed[i++] = (byte)(n | 0x80);
        packed[i++] = (byte)n;
        key.CopyTo(packed.AsSpan(i));
        valueStart = i + key.Length;
        return packed;
    }

    /// <summary>Where the value starts.</summary>
    public static int ValueStart(byte[] packed) => KeyStart(packed, out int length) + length;

    /// <summary>Bytes the key takes in front of the value.</summary>
    public static int KeyBytes(ReadOnlySpan<byte> key) => VarintLength(key.Length) + key.Length;

    public static ReadOnlySpan<byte> Key(byte[] packed)
    {
        int start = KeyStart(packed, out int length);
        return packed.AsSpan(start, length);
    }

    public static Span<byte> Value(byte[] packed)
    {
        int start = KeyStart(packed, out int length);
        return packed.AsSpan(start + length);
    }

    static int KeyStart(byte[] packed, out int length)
    {
        int b = packed[0];
        if (b < 0x80)
        {
            length = b;
            return 1;
        }
        int value = b & 0x7F, shift = 7, i = 1;
        do
        {
            b = packed[i++];
            value |= (b & 0x7F) << shift;
            shift += 7;
        } while (b >= 0x80);
        length = value;
        return i;
    }

    static int VarintLength(int n) => n < 1 << 7 ? 1 : n < 1 << 14 ? 2 : n < 1 << 21 ? 3 : n < 1 << 28 ? 4 : 5;
}
