using System.Runtime.InteropServices;

namespace Vermilion;

/// <summary>
/// One database's keyspace. For now a plain dictionary of binary-safe keys to string values;
/// lookups take spans straight from the query buffer (an alternate-key comparer), so a GET
/// allocates nothing. The keyspace issue replaces this with the real structure.
/// </summary>
public sealed class Db
{
    public int Id { get; }
    readonly Dictionary<byte[], byte[]> _dict = new(ByteKeyComparer.Instance);
    readonly Dictionary<byte[], byte[]>.AlternateLookup<ReadOnlySpan<byte>> _bySpan;

    public Db(int id)
    {
        Id = id;
        _bySpan = _dict.GetAlternateLookup<ReadOnlySpan<byte>>();
    }

    public int Count => _dict.Count;

    public byte[]? Get(ReadOnlySpan<byte> key) => _bySpan.TryGetValue(key, out var v) ? v : null;

    public bool Exists(ReadOnlySpan<byte> key) => _bySpan.ContainsKey(key);

    /// <summary>Stores a copy of <paramref name="value"/>; an old value of the same length is overwritten in place.</summary>
    public void Set(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        ref var slot = ref CollectionsMarshal.GetValueRefOrAddDefault(_bySpan, key, out bool exists);
        if (exists && slot!.Length == value.Length) value.CopyTo(slot);
        else slot = value.ToArray();
    }

    /// <summary>Stores <paramref name="value"/> itself (the caller gives up the array).</summary>
    public void SetOwned(ReadOnlySpan<byte> key, byte[] value)
    {
        ref var slot = ref CollectionsMarshal.GetValueRefOrAddDefault(_bySpan, key, out _);
        slot = value;
    }

    public bool Delete(ReadOnlySpan<byte> key) => _bySpan.Remove(key);

    public void Clear() => _dict.Clear();

    /// <summary>Binary key equality; the hash is the runtime's randomized one, so crafted keys cannot flood a bucket.</summary>
    sealed class ByteKeyComparer : IEqualityComparer<byte[]>, IAlternateEqualityComparer<ReadOnlySpan<byte>, byte[]>
    {
        public static readonly ByteKeyComparer Instance = new();

        public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);
        public int GetHashCode(byte[] key) => Hash(key);
        public bool Equals(ReadOnlySpan<byte> alternate, byte[] other) => alternate.SequenceEqual(other);
        public int GetHashCode(ReadOnlySpan<byte> alternate) => Hash(alternate);
        public byte[] Create(ReadOnlySpan<byte> alternate) => alternate.ToArray();

        static int Hash(ReadOnlySpan<byte> key)
        {
            var h = new HashCode();
            h.AddBytes(key);
            return h.ToHashCode();
        }
    }
}
