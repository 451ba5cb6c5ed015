namespace Vermilion.Storage;

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
        var packed = GC.AllocateUninitializedArray<byte>(Varint.Length(key.Length) + key.Length + valueLength);
        int i = Varint.Write(packed, (uint)key.Length);
        key.CopyTo(packed.AsSpan(i));
        valueStart = i + key.Length;
        return packed;
    }

    /// <summary>Where the value starts.</summary>
    public static int ValueStart(byte[] packed) => KeyStart(packed, out int length) + length;

    /// <summary>Bytes the key takes in front of the value.</summary>
    public static int KeyBytes(ReadOnlySpan<byte> key) => Varint.Length(key.Length) + key.Length;

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

    static int KeyStart(byte[] packed, out int length) => Varint.Read(packed, 0, out length);
}
