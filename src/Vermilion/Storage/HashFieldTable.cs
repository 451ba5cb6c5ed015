using System.Numerics;

namespace Vermilion.Storage;

/// <summary>
/// The "hashtable" encoding of a hash: chained buckets over a dense entry array. Each entry's
/// field and value share one array ([field length, 7-bit varint][field][value]), one allocation
/// per field where Redis pays a dictEntry and two sds strings.
/// <para>
/// Entries stay dense (a delete moves the last entry into the hole), so a fair random field is
/// one random index (HRANDFIELD). Buckets are a power of two, grown at a load of 1 and shrunk
/// below 10% as Redis's dict; HSCAN walks buckets with Redis's reverse-binary cursor, which
/// returns every field present for the whole scan however often the table resized meanwhile.
/// </para>
/// </summary>
public sealed class HashFieldTable
{
    struct Entry
    {
        public byte[] Pair;
        /// <summary>Next entry of the bucket's chain, plus one (0 ends the chain).</summary>
        public int Next;
        public int Hash;
    }

    const int MinimumCapacity = 4;

    /// <summary>First entry of each bucket's chain, plus one (0 for an empty bucket).</summary>
    int[] _buckets;
    /// <summary>As long as <see cref="_buckets"/>; entries [0, Count) are live.</summary>
    Entry[] _entries;
    long _pairBytes;

    public int Count { get; private set; }

    /// <summary>The key of the hash this table encodes (a listpack hash keeps its key in front of its entries instead).</summary>
    public byte[] Key = [];

    public HashFieldTable(int capacity)
    {
        int size = Math.Max(MinimumCapacity, (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(capacity, 1)));
        _buckets = new int[size];
        _entries = new Entry[size];
    }

    /// <summary>Bytes on the heap: this object, its two arrays and every pair array.</summary>
    public long MemoryBytes => 56 + ArrayBytes(Key.Length) + ArrayBytes(_buckets.Length * 4L) + ArrayBytes(_entries.Length * 16L) + _pairBytes;

    static long ArrayBytes(long dataBytes) => 24 + ((dataBytes + 7) & ~7L);

    public ReadOnlySpan<byte> Field(int index) => FieldOf(_entries[index].Pair);
    public ReadOnlySpan<byte> Value(int index) => ValueOf(_entries[index].Pair);

    static int Hash(ReadOnlySpan<byte> field) => ByteKeyComparer.Instance.GetHashCode(field);

    /// <summary>The entry holding <paramref name="field"/>, or -1.</summary>
    public int Find(ReadOnlySpan<byte> field)
    {
        int hash = Hash(field);
        int i = _buckets[hash & (_buckets.Length - 1)] - 1;
        while (i >= 0)
        {
            ref var e = ref _entries[i];
            if (e.Hash == hash && FieldOf(e.Pair).SequenceEqual(field)) return i;
            i = e.Next - 1;
        }
        return -1;
    }

    /// <summary>Sets the field's value; true when the field was added, false when it was updated.</summary>
    public bool Set(ReadOnlySpan<byte> field, ReadOnlySpan<byte> value)
    {
        int index = Find(field);
        if (index >= 0)
        {
            ref var e = ref _entries[index];
            var slot = ValueOf(e.Pair);
            // The same length is overwritten in place: a steady HSET or HINCRBY allocates nothing.
            if (slot.Length == value.Length) value.CopyTo(slot);
            else
            {
                _pairBytes -= PairBytes(e.Pair.Length);
                e.Pair = Pack(field, value);
                _pairBytes += PairBytes(e.Pair.Length);
            }
            return false;
        }
        Add(field, value);
        return true;
    }

    /// <summary>Adds a field known to be absent.</summary>
    public void Add(ReadOnlySpan<byte> field, ReadOnlySpan<byte> value)
    {
        if (Count == _entries.Length) Resize(_entries.Length * 2);
        int hash = Hash(field);
        int index = Count++;
        ref var e = ref _entries[index];
        e.Pair = Pack(field, value);
        e.Hash = hash;
        ref int head = ref _buckets[hash & (_buckets.Length - 1)];
        e.Next = head;
        head = index + 1;
        _pairBytes += PairBytes(e.Pair.Length);
    }

    public bool Remove(ReadOnlySpan<byte> field)
    {
        int index = Find(field);
        if (index < 0) return false;
        _pairBytes -= PairBytes(_entries[index].Pair.Length);
        Unlink(index);
        int last = Count - 1;
        if (index != last)
        {
            // Keep the entries dense: the last one moves into the hole, and whoever pointed at it follows.
            ref int link = ref LinkTo(last);
            link = index + 1;
            _entries[index] = _entries[last];
        }
        _entries[last] = default;
        Count--;
        // As Redis's htNeedsResize: below 10% full, shrink to the smallest power of two that fits.
        if (_entries.Length > MinimumCapacity && (long)Count * 100 / _entries.Length < 10)
            Resize(Math.Max(MinimumCapacity, (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(Count, 1))));
        return true;
    }

    /// <summary>The bucket head or chain link that points at <paramref name="index"/>.</summary>
    ref int LinkTo(int index)
    {
        ref int link = ref _buckets[_entries[index].Hash & (_buckets.Length - 1)];
        while (link - 1 != index) link = ref _entries[link - 1].Next;
        return ref link;
    }

    void Unlink(int index)
    {
        ref int link = ref LinkTo(index);
        link = _entries[index].Next;
    }

    void Resize(int size)
    {
        var entries = new Entry[size];
        Array.Copy(_entries, entries, Count);
        var buckets = new int[size];
        int mask = size - 1;
        for (int i = 0; i < Count; i++)
        {
            ref int head = ref buckets[entries[i].Hash & mask];
            entries[i].Next = head;
            head = i + 1;
        }
        _entries = entries;
        _buckets = buckets;
    }

    /// <summary>
    /// One step of a scan (<see cref="ScanCursor.Step"/>): adds the entries of the bucket under
    /// <paramref name="cursor"/> to <paramref name="found"/> and returns the next cursor (0 when
    /// the walk is complete).
    /// </summary>
    public ulong Scan(ulong cursor, List<int> found)
    {
        var walker = new BucketWalker { Entries = _entries, Found = found };
        return ScanCursor.Step(_buckets, null, cursor, ref walker);
    }

    struct BucketWalker : ScanCursor.IBucketWalker
    {
        public Entry[] Entries;
        public List<int> Found;

        public void Walk(ReadOnlySpan<int> buckets, int bucket)
        {
            for (int i = buckets[bucket] - 1; i >= 0; i = Entries[i].Next - 1) Found.Add(i);
        }
    }

    public HashFieldTable Copy()
    {
        var copy = new HashFieldTable(_entries.Length);
        for (int i = 0; i < Count; i++) copy.Add(Field(i), Value(i));
        return copy;
    }

    // ---- the pair array ---------------------------------------------------------------------

    static long PairBytes(int length) => ArrayBytes(length);

    /// <summary>A pair is laid out as a packed string, the field as its key: [field length, varint][field][value].</summary>
    static byte[] Pack(ReadOnlySpan<byte> field, ReadOnlySpan<byte> value) => PackedString.Create(field, value);

    static ReadOnlySpan<byte> FieldOf(byte[] pair) => PackedString.Key(pair);

    static Span<byte> ValueOf(byte[] pair) => PackedString.Value(pair);
}
