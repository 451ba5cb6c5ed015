using System.Runtime.CompilerServices;

namespace Vermilion.Storage;

/// <summary>
/// Member → score for a large sorted set (the dict half of Redis's "skiplist" encoding): ZSCORE
/// and membership in O(1), looked up straight from request spans. A chained hash table whose
/// power-of-two bucket array doubles at load 1 and shrinks below 10% fill, as Redis's dict does,
/// so ZSCAN can walk it with Redis's reversed-binary cursor and still return every member that
/// stays in the set for the whole scan. Entries are 24-byte structs in one array (no object per
/// member beyond the member's bytes, which the <see cref="ScoreTree"/> shares).
/// </summary>
public sealed class MemberScores
{
    struct Entry
    {
        public byte[]? Member; // null when free
        public double Score;
        public int Next;       // next entry + 1 in the bucket's chain (or in the free list)
        public int Hash;
    }

    const int MinSize = 4;
    int[] _buckets = new int[MinSize];
    Entry[] _entries = new Entry[MinSize];
    int _used, _free;

    public int Count { get; private set; }

    public long MemoryBytes => 48 + 24 + 4L * _buckets.Length + 24 + 24L * _entries.Length;

    static int HashOf(ReadOnlySpan<byte> member) => ByteKeyComparer.Instance.GetHashCode(member);

    int Find(ReadOnlySpan<byte> member, int hash)
    {
        for (int n = _buckets[hash & (_buckets.Length - 1)]; n != 0;)
        {
            ref var e = ref _entries[n - 1];
            if (e.Hash == hash && member.SequenceEqual(e.Member)) return n - 1;
            n = e.Next;
        }
        return -1;
    }

    public bool TryGetScore(ReadOnlySpan<byte> member, out double score)
    {
        int i = Find(member, HashOf(member));
        score = i >= 0 ? _entries[i].Score : 0;
        return i >= 0;
    }

    /// <summary>
    /// The member's score slot and its stored array (shared with the tree), in one lookup; a null
    /// reference and null when it is absent. The slot stays valid until the next Add or Remove.
    /// </summary>
    public ref double Find(ReadOnlySpan<byte> member, out byte[]? stored)
    {
        int i = Find(member, HashOf(member));
        if (i < 0)
        {
            stored = null;
            return ref Unsafe.NullRef<double>();
        }
        stored = _entries[i].Member;
        return ref _entries[i].Score;
    }

    /// <summary>Adds a member that is not present.</summary>
    public void Add(byte[] member, double score)
    {
        if (Count >= _buckets.Length) Resize(_buckets.Length * 2);
        int hash = HashOf(member);
        int i;
        if (_free != 0)
        {
            i = _free - 1;
            _free = _entries[i].Next;
        }
        else i = _used++;
        int bucket = hash & (_buckets.Length - 1);
        _entries[i] = new Entry { Member = member, Score = score, Hash = hash, Next = _buckets[bucket] };
        _buckets[bucket] = i + 1;
        Count++;
    }

    public bool Remove(ReadOnlySpan<byte> member)
    {
        int hash = HashOf(member);
        int bucket = hash & (_buckets.Length - 1);
        int previous = 0;
        for (int n = _buckets[bucket]; n != 0;)
        {
            ref var e = ref _entries[n - 1];
            if (e.Hash == hash && member.SequenceEqual(e.Member))
            {
                if (previous == 0) _buckets[bucket] = e.Next;
                else _entries[previous - 1].Next = e.Next;
                e = new Entry { Next = _free };
                _free = n;
                Count--;
                // htNeedsResize: below 10% fill the table shrinks to fit.
                if (_buckets.Length > MinSize && Count * 10L < _buckets.Length) Resize(FitSize(Count));
                return true;
            }
            previous = n;
            n = e.Next;
        }
        return false;
    }

    static int FitSize(int count)
    {
        int size = MinSize;
        while (size < count) size *= 2;
        return size;
    }

    /// <summary>Rebuilds the buckets at <paramref name="size"/>; live entries are packed to the front.</summary>
    void Resize(int size)
    {
        var entries = new Entry[size];
        var buckets = new int[size];
        int n = 0;
        for (int i = 0; i < _used; i++)
        {
            ref var e = ref _entries[i];
            if (e.Member is null) continue;
            int bucket = e.Hash & (size - 1);
            entries[n] = new Entry { Member = e.Member, Score = e.Score, Hash = e.Hash, Next = buckets[bucket] };
            buckets[bucket] = ++n;
        }
        _entries = entries;
        _buckets = buckets;
        _used = n;
        _free = 0;
    }

    /// <summary>Makes room for <paramref name="count"/> members at once (a union's result, a conversion).</summary>
    public void EnsureCapacity(int count)
    {
        if (count > _buckets.Length) Resize(FitSize(count));
    }

    /// <summary>
    /// One step of dictScan (<see cref="ScanCursor.Step"/>): adds the members of the bucket at
    /// <paramref name="cursor"/> and returns the next cursor (0 when the walk is complete).
    /// </summary>
    public ulong Scan(ulong cursor, List<(byte[] Member, double Score)> found)
    {
        if (Count == 0) return 0;
        var walker = new BucketWalker { Entries = _entries, Found = found };
        return ScanCursor.Step(_buckets, null, cursor, ref walker);
    }

    struct BucketWalker : ScanCursor.IBucketWalker
    {
        public Entry[] Entries;
        public List<(byte[] Member, double Score)> Found;

        public void Walk(ReadOnlySpan<int> buckets, int bucket)
        {
            for (int n = buckets[bucket]; n != 0; n = Entries[n - 1].Next)
                Found.Add((Entries[n - 1].Member!, Entries[n - 1].Score));
        }
    }
}
