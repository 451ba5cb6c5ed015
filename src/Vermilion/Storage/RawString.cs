namespace Vermilion.Storage;

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
