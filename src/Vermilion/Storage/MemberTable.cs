namespace Vermilion;

/// <summary>
/// A hash table of distinct binary members: a set's "hashtable" encoding. Entries are kept dense in one array, so a member has a position
/// (random picks are one draw, iteration is a loop) and removal moves the last entry into the hole.
/// Chains hang off a power-of-two bucket array, which lets SSCAN walk it with Redis's
/// reversed-binary cursor: every member present for the whole scan is returned even when the table
/// grows or shrinks between calls. The table resizes at once (no incremental rehash); at load
/// factor 1 a resize of a million members rebuilds the chains from the stored hashes in a few ms.
/// Lookups take spans of the query buffer and allocate nothing.
/// </summary>
public sealed class MemberTable
{
    struct Entry
    {
        public byte[] Member;
        public int Hash;
        /// <summary>Position + 1 of the next entry in the same bucket; 0 ends the chain.</summary>
        public int Next;
    }

    const int MinBuckets = 4;
    int[] _buckets;       // position + 1 of each chain's first entry
    Entry[] _entries;
    int _count;
    long _memberBytes;

    public MemberTable(int capacity = 0)
    {
        int buckets = MinBuckets;
        while (buckets < capacity) buckets <<= 1;
        _buckets = new int[buckets];
        _entries = new Entry[Math.Max(capacity, MinBuckets)];
    }

    public int Count => _count;

    /// <summary>Bytes on the heap: this object, both arrays and every member array.</summary>
    public long MemoryBytes => 48 + 24 + 4L * _buckets.Length + 24 + 16L * _entries.Length + _memberBytes;

    public byte[] this[int position] => _entries[position].Member;

    static int HashOf(ReadOnlySpan<byte> member) => ByteKeyComparer.Instance.GetHashCode(member);

    public int IndexOf(ReadOnlySpan<byte> member)
    {
        int hash = HashOf(member);
        var entries = _entries;
        for (int n = _buckets[hash & (_buckets.Length - 1)]; n != 0; n = entries[n - 1].Next)
        {
            ref var e = ref entries[n - 1];
            if (e.Hash == hash && member.SequenceEqual(e.Member)) return n - 1;
        }
        return -1;
    }

    public bool Contains(ReadOnlySpan<byte> member) => IndexOf(member) >= 0;

    /// <summary>Adds a copy of <paramref name="member"/>; false if it was there.</summary>
    public bool Add(ReadOnlySpan<byte> member)
    {
        if (IndexOf(member) >= 0) return false;
        AddNew(member.ToArray());
        return true;
    }

    /// <summary>Adds a member known to be absent, taking ownership of the array.</summary>
    public void AddNew(byte[] member)
    {
        if (_count == _entries.Length) Array.Resize(ref _entries, _entries.Length * 2);
        if (_count >= _buckets.Length) Rehash(_buckets.Length * 2);
        int hash = HashOf(member);
        ref int head = ref _buckets[hash & (_buckets.Length - 1)];
        _entries[_count] = new Entry { Member = member, Hash = hash, Next = head };
        head = ++_count;
        _memberBytes += StoredObject.ArrayBytes(member.Length);
    }

    public bool Remove(ReadOnlySpan<byte> member)
    {
        int position = IndexOf(member);
        if (position < 0) return false;
        RemoveAt(position);
        return true;
    }

    public void RemoveAt(int position)
    {
        Unlink(position);
        _memberBytes -= StoredObject.ArrayBytes(_entries[position].Member.Length);
        int last = --_count;
        if (position != last)
        {
            // The last entry fills the hole: whoever pointed at it now points at the hole.
            ref int link = ref LinkTo(last);
            link = position + 1;
            _entries[position] = _entries[last];
        }
        _entries[last] = default;
        // Shrink as Redis's htNeedsResize does (under 10% full), and the entries with it.
        if (_buckets.Length > MinBuckets && _count * 10 < _buckets.Length) Rehash(Math.Max(MinBuckets, (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(_count, 1))));
        if (_entries.Length > MinBuckets && _count * 4 < _entries.Length) Array.Resize(ref _entries, Math.Max(MinBuckets, _entries.Length / 2));
    }

    /// <summary>The chain link (bucket head or a previous entry's Next) that holds <paramref name="position"/> + 1.</summary>
    ref int LinkTo(int position)
    {
        ref int link = ref _buckets[_entries[position].Hash & (_buckets.Length - 1)];
        while (link != position + 1) link = ref _entries[link - 1].Next;
        return ref link;
    }

    void Unlink(int position)
    {
        ref int link = ref LinkTo(position);
        link = _entries[position].Next;
    }

    void Rehash(int buckets)
    {
        var table = new int[buckets];
        int mask = buckets - 1;
        for (int i = 0; i < _count; i++)
        {
            ref var e = ref _entries[i];
            ref int head = ref table[e.Hash & mask];
            e.Next = head;
            head = i + 1;
        }
        _buckets = table;
    }

    /// <summary>
    /// One SSCAN step: the members of the bucket <paramref name="cursor"/> names are added to
    /// <paramref name="found"/>; returns the next cursor, 0 when the walk is complete. The cursor
    /// counts with its bits reversed, so the buckets a bucket splits into (or merges from) when
    /// the table doubles (or halves) are visited together and none is skipped.
    /// </summary>
    public ulong Scan(ulong cursor, List<byte[]> found)
    {
        if (_count == 0) return 0;
        ulong mask = (ulong)_buckets.Length - 1;
        for (int n = _buckets[(int)(cursor & mask)]; n != 0; n = _entries[n - 1].Next) found.Add(_entries[n - 1].Member);
        cursor |= ~mask;
        cursor = ReverseBits(cursor);
        cursor++;
        return ReverseBits(cursor);
    }

    static ulong ReverseBits(ulong v)
    {
        v = ((v >> 1) & 0x5555555555555555UL) | ((v & 0x5555555555555555UL) << 1);
        v = ((v >> 2) & 0x3333333333333333UL) | ((v & 0x3333333333333333UL) << 2);
        v = ((v >> 4) & 0x0F0F0F0F0F0F0F0FUL) | ((v & 0x0F0F0F0F0F0F0F0FUL) << 4);
        return System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(v);
    }

    /// <summary>An independent copy, members included (COPY; Redis duplicates them too).</summary>
    public MemberTable Clone()
    {
        var copy = new MemberTable(0)
        {
            _buckets = (int[])_buckets.Clone(),
            _entries = (Entry[])_entries.Clone(),
            _count = _count,
            _memberBytes = _memberBytes,
        };
        for (int i = 0; i < _count; i++) copy._entries[i].Member = (byte[])_entries[i].Member.Clone();
        return copy;
    }
}
