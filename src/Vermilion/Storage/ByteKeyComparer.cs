namespace Vermilion.Storage;

/// <summary>
/// Equality for binary keys and members held as byte[], with lookups straight from spans of the
/// query buffer (Dictionary.GetAlternateLookup), so finding a field or member allocates nothing.
/// Hashed by <see cref="KeyHash"/>, seeded per process.
/// </summary>
public sealed class ByteKeyComparer : IEqualityComparer<byte[]>, IAlternateEqualityComparer<ReadOnlySpan<byte>, byte[]>
{
    public static readonly ByteKeyComparer Instance = new();
    static readonly ulong s_seed = (ulong)Random.Shared.NextInt64();

    public bool Equals(byte[]? x, byte[]? y) => ReferenceEquals(x, y) || (x is not null && y is not null && x.AsSpan().SequenceEqual(y));
    public int GetHashCode(byte[] key) => GetHashCode((ReadOnlySpan<byte>)key);
    public bool Equals(ReadOnlySpan<byte> alternate, byte[] other) => alternate.SequenceEqual(other);
    public int GetHashCode(ReadOnlySpan<byte> alternate) => (int)KeyHash.Of(alternate, s_seed);
    public byte[] Create(ReadOnlySpan<byte> alternate) => alternate.ToArray();
}
