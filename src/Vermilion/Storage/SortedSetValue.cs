using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using Vermilion.Protocol;

namespace Vermilion.Storage;

/// <summary>ZADD's options as zsetAdd takes them.</summary>
[Flags]
public enum ZAddFlags { None = 0, Incr = 1, Nx = 2, Xx = 4, Gt = 8, Lt = 16 }

/// <summary>What zsetAdd did.</summary>
public enum ZAddResult { Nop, Added, Updated, Unchanged, NotANumber }

/// <summary>
/// A sorted set, in Redis 7.0's two encodings with its thresholds:
///
/// "listpack" — every entry in one byte array, in (score, member) order:
/// [varint: member length × 2 + raw-score flag][member][score][back length]. A score that is an
/// integer within ±2^62 is a zigzag varint (as Redis's listpack keeps such scores as integers,
/// which also turns -0 into 0), any other score its 8 raw bytes; the back length (the entry's
/// size, written to be read backwards) lets ZREVRANGE and ZPOPMAX walk from the end.
///
/// "skiplist" — a <see cref="ScoreTree"/> for order and rank plus <see cref="MemberScores"/> for
/// member → score, sharing the member arrays. A set converts once it holds more than
/// zset-max-listpack-entries members or gets a member longer than zset-max-listpack-value
/// bytes, and never converts back (the STORE commands pick the encoding of a new result).
///
/// In the keyspace a compact set is a record ([entry count, int32][the entries], no spare room:
/// the record's size class is the room) and commands get a view of it (<see cref="ValueViews"/>);
/// a tree-encoded set is a managed object.
/// </summary>
public sealed class SortedSetValue : StoredObject, IMemberCollection
{
    /// <summary>
    /// The compact encoding's array, laid out as a <see cref="PackedString"/> (the key, then the
    /// entries and any spare room), or the <see cref="Tree"/>: one reference, so a small sorted
    /// set's object is 40 bytes and its key costs no array of its own.
    /// </summary>
    object _data;
    // An owned array's used bytes and entry count (a record holds its own).
    int _ownedUsed, _ownedCount;

    /// <summary>A record's value starts with the entry count.</summary>
    const int RecordHeader = 4;
    /// <summary>A record holding a listpack sorted set with no members: the member count (0), no entries.</summary>
    internal const int EmptyRecordBytes = RecordHeader;

    /// <summary>Bytes the compact encoding's entries take; setting it resizes a record (in place within its size class).</summary>
    int Used
    {
        get => _data is RecordView record ? record.Value.Length - RecordHeader : _ownedUsed;
        set
        {
            if (_data is RecordView record) record.Resize(RecordHeader + value);
            else _ownedUsed = value;
        }
    }

    int PackedCount
    {
        get => _data is RecordView record ? BinaryPrimitives.ReadInt32LittleEndian(record.Value) : _ownedCount;
        set
        {
            if (_data is RecordView record) BinaryPrimitives.WriteInt32LittleEndian(record.Value, value);
            else _ownedCount = value;
        }
    }

    /// <summary>The "skiplist" encoding's parts, and the key.</summary>
    sealed class Tree(byte[] key)
    {
        public byte[] Key = key;
        public readonly ScoreTree Order = new();
        public readonly MemberScores Scores = new();
        /// <summary>Header and three references.</summary>
        public long MemoryBytes => 40 + ArrayBytes(Key.Length) + Order.MemoryBytes + Scores.MemoryBytes;
    }

    /// <summary>The tree encoding's parts; null in the compact encoding.</summary>
    ScoreTree? TreeOrder => (_data as Tree)?.Order;
    MemberScores? TreeScores => (_data as Tree)?.Scores;

    SortedSetValue(object data) => _data = data;

    /// <summary>A pooled view (<see cref="ValueViews"/>), parked on <paramref name="record"/> until lent.</summary>
    internal static SortedSetValue CreateView(RecordView record) => new(record);

    /// <summary>
    /// A new, empty sorted set in the compact encoding with room for <paramref name="capacity"/>
    /// bytes of entries, or in the tree encoding when <paramref name="packed"/> is false.
    /// </summary>
    public static SortedSetValue Create(ReadOnlySpan<byte> key, bool packed, int capacity = 0) =>
        new(packed ? PackedString.AllocateRounded(key, capacity) : new Tree(key.ToArray()));

    public override ReadOnlySpan<byte> Key => _data switch
    {
        Tree tree => tree.Key,
        RecordView record => record.Key,
        _ => PackedString.Key((byte[])_data),
    };

    public override void SetKey(ReadOnlySpan<byte> key)
    {
        long before = MemoryBytes;
        if (_data is Tree tree) tree.Key = key.ToArray();
        else if (_data is RecordView) throw new InvalidOperationException("a record's key changes with the record (Db.Transplant)");
        else _data = PackedString.Create(key, Packed);
        Grew(MemoryBytes - before);
    }

    public override DataType Type => DataType.ZSet;
    public override string Encoding => TreeOrder is null ? "listpack" : "skiplist";
    public bool IsPacked => TreeOrder is null;
    public int Count => TreeOrder?.Count ?? PackedCount;

    /// <summary>Header 16, two references, two ints, and the encoding's arrays; 0 for a view, whose bytes are its record's (counted by the RecordHeap).</summary>
    public override long MemoryBytes => _data switch
    {
        Tree tree => 40 + tree.MemoryBytes,
        byte[] owned => 40 + ArrayBytes(owned.Length),
        _ => 0,
    };

    // ---- as a record (see ValueViews) ---------------------------------------------------------

    internal override RecordKind CompactKind => _data is byte[] ? RecordKind.SortedSet : RecordKind.String;
    internal override int CompactLength => RecordHeader + _ownedUsed;

    internal override void WriteCompact(Span<byte> into)
    {
        BinaryPrimitives.WriteInt32LittleEndian(into, _ownedCount);
        Packed.CopyTo(into[RecordHeader..]);
    }

    internal override void Bind(RecordView record)
    {
        _data = record;
        _ownedUsed = _ownedCount = 0;
    }

    internal override void Materialize()
    {
        int used = Used, count = PackedCount;
        _data = PackedString.Create(Key, Packed);
        _ownedUsed = used;
        _ownedCount = count;
    }

    public override StoredObject CopyAs(byte[] key)
    {
        if (TreeOrder is null) return new SortedSetValue(PackedString.Create(key, Packed)) { _ownedUsed = Used, _ownedCount = PackedCount };
        var copy = Create(key, packed: false);
        copy.TreeScores!.EnsureCapacity(Count);
        for (var c = TreeOrder.At(0); c.IsValid; c.MoveNext()) copy.AppendToTree(c.Score, c.Member.ToArray());
        return copy;
    }

    /// <summary>
    /// A new set holding <paramref name="sorted"/> (already in (score, member) order, members
    /// distinct), in the encoding Redis gives a stored result: compact when it has at most
    /// <paramref name="maxEntries"/> members, none longer than <paramref name="maxValue"/>.
    /// </summary>
    public static SortedSetValue Build(ReadOnlySpan<byte> key, List<(double Score, byte[] Member)> sorted, long maxEntries, long maxValue)
    {
        bool packed = sorted.Count <= maxEntries;
        foreach (var (_, member) in sorted)
            if (member.Length > maxValue) packed = false;
        return Build(key, sorted, packed);
    }

    /// <summary>A new set holding <paramref name="sorted"/> (in order, members distinct) in the encoding the caller chose.</summary>
    public static SortedSetValue Build(ReadOnlySpan<byte> key, List<(double Score, byte[] Member)> sorted, bool packed)
    {
        long bytes = 0;
        if (packed)
            foreach (var (score, member) in sorted) bytes += EntrySize(member.Length, score, out _, out _, out _);
        if (bytes > Array.MaxLength) packed = false;
        var set = packed ? new SortedSetValue(PackedString.Allocate(key, (int)bytes)) : Create(key, packed: false);
        if (packed)
        {
            var entries = set.Body;
            foreach (var (score, member) in sorted) set.Used += WriteEntry(entries[set.Used..], member, score);
            set.PackedCount = sorted.Count;
        }
        else
        {
            set.TreeScores!.EnsureCapacity(sorted.Count);
            foreach (var (score, member) in sorted) set.AppendToTree(score, member);
        }
        return set;
    }

    /// <summary>
    /// A new compact array with room for <paramref name="capacity"/> bytes of entries (rounded up
    /// to the 8 bytes the runtime allocates anyway), the first <paramref name="keep"/> copied.
    /// </summary>
    void Reallocate(int capacity, int keep)
    {
        var grown = PackedString.AllocateRounded(Key, capacity);
        Body[..keep].CopyTo(PackedString.Value(grown));
        _data = grown;
    }

    void AppendToTree(double score, byte[] member)
    {
        TreeOrder!.Insert(score, member);
        TreeScores!.Add(member, score);
    }

    // ---- the compact encoding ------------------------------------------------------------------

    static ulong ZigZag(long n) => (ulong)((n << 1) ^ (n >> 63));
    static long UnZigZag(ulong v) => (long)(v >> 1) ^ -(long)(v & 1);

    /// <summary>The back length's own size: 7 bits per byte, as a varint's.</summary>
    static int BackSize(int length) => Varint.Length(length);

    /// <summary>Size of an entry; <paramref name="body"/> is the size before the back length.</summary>
    static int EntrySize(int memberLength, double score, out int body, out ulong header, out ulong scoreBits)
    {
        bool integer = DoubleText.IsCompactInteger(score, out long n);
        header = ((ulong)memberLength << 1) | (integer ? 0UL : 1UL);
        scoreBits = integer ? ZigZag(n) : (ulong)BitConverter.DoubleToInt64Bits(score);
        body = Varint.Length(header) + memberLength + (integer ? Varint.Length(scoreBits) : 8);
        return body + BackSize(body);
    }

    static int WriteEntry(Span<byte> dst, ReadOnlySpan<byte> member, double score)
    {
        int size = EntrySize(member.Length, score, out int body, out ulong header, out ulong scoreBits);
        int w = Varint.Write(dst, header);
        member.CopyTo(dst[w..]);
        w += member.Length;
        if ((header & 1) == 0) w += Varint.Write(dst[w..], scoreBits);
        else
        {
            BinaryPrimitives.WriteUInt64LittleEndian(dst[w..], scoreBits);
            w += 8;
        }
        // The back length ends the entry; its last byte holds the lowest 7 bits.
        int back = BackSize(body);
        for (int k = 0; k < back; k++)
            dst[w + back - 1 - k] = (byte)(((body >> (7 * k)) & 0x7F) | (k < back - 1 ? 0x80 : 0));
        return size;
    }

    /// <summary>Decodes the entry at <paramref name="offset"/>; returns the offset of the next one.</summary>
    static int ReadEntry(ReadOnlySpan<byte> packed, int offset, out ReadOnlySpan<byte> member, out double score)
    {
        int p = offset;
        ulong header = Varint.Read(packed, ref p);
        int length = (int)(header >> 1);
        member = packed.Slice(p, length);
        p += length;
        if ((header & 1) == 0) score = UnZigZag(Varint.Read(packed, ref p));
        else
        {
            score = BitConverter.Int64BitsToDouble(BinaryPrimitives.ReadInt64LittleEndian(packed[p..]));
            p += 8;
        }
        return p + BackSize(p - offset);
    }

    /// <summary>The offset of the entry before the one at <paramref name="offset"/> (which must not be the first).</summary>
    static int PreviousEntry(ReadOnlySpan<byte> packed, int offset)
    {
        int p = offset - 1;
        byte b = packed[p];
        int body = b & 0x7F, shift = 7, back = 1;
        while (b >= 0x80)
        {
            b = packed[--p];
            body |= (b & 0x7F) << shift;
            shift += 7;
            back++;
        }
        return offset - back - body;
    }

    /// <summary>The compact encoding's entries and spare room, after the key (a record has no spare room).</summary>
    Span<byte> Body => _data is RecordView record ? record.Value[RecordHeader..] : PackedString.Value((byte[])_data);
    ReadOnlySpan<byte> Packed => _data is RecordView record ? record.Value[RecordHeader..] : PackedString.Value((byte[])_data)[.._ownedUsed];

    /// <summary>Offset of the member's entry, or -1.</summary>
    int FindPacked(ReadOnlySpan<byte> member, out double score, out int next)
    {
        var packed = Packed;
        for (int offset = 0; offset < packed.Length; offset = next)
        {
            next = ReadEntry(packed, offset, out var m, out score);
            if (m.SequenceEqual(member)) return offset;
        }
        score = 0;
        next = 0;
        return -1;
    }

    /// <summary>Offset of the entry at <paramref name="rank"/>, walking from the nearer end.</summary>
    int PackedOffsetOf(int rank)
    {
        var packed = Packed;
        if (rank <= PackedCount / 2)
        {
            int offset = 0;
            for (int i = 0; i < rank; i++) offset = ReadEntry(packed, offset, out _, out _);
            return offset;
        }
        int at = Used;
        for (int i = PackedCount; i > rank; i--) at = PreviousEntry(packed, at);
        return at;
    }

    void InsertPacked(ReadOnlySpan<byte> member, double score)
    {
        var packed = Packed;
        int offset = 0;
        while (offset < packed.Length)
        {
            int next = ReadEntry(packed, offset, out var m, out double s);
            if (s > score || (s == score && m.SequenceCompareTo(member) > 0)) break;
            offset = next;
        }
        int size = EntrySize(member.Length, score, out _, out _, out _);
        int used = Used, needed = used + size;
        // Exactly what is needed, as listpack reallocs: small sets are many, and their slack
        // would be most of the saving.
        if (_data is RecordView) Used = needed;
        else if (needed > Body.Length) Reallocate(needed, keep: used);
        var body = Body;
        body[offset..used].CopyTo(body[(offset + size)..]);
        WriteEntry(body[offset..], member, score);
        if (_data is byte[]) _ownedUsed = needed;
        PackedCount++;
    }

    void DeletePacked(int offset, int end, int entries)
    {
        var body = Body;
        int used = Used;
        body[end..used].CopyTo(body[offset..]);
        Used = used - (end - offset);
        PackedCount -= entries;
        // Give memory back once the array is mostly empty (a record shrinks with Used).
        if (_data is byte[] && body.Length > 64 && _ownedUsed < body.Length / 2) Reallocate(_ownedUsed, keep: _ownedUsed);
    }

    /// <summary>A view that converts becomes its entry's managed object (the record goes, readable until the loop iteration ends).</summary>
    void ConvertToTree()
    {
        var entries = Packed;
        int count = PackedCount;
        var view = _data as RecordView;
        _data = new Tree(Key.ToArray());
        TreeScores!.EnsureCapacity(count);
        for (int offset = 0; offset < entries.Length;)
        {
            offset = ReadEntry(entries, offset, out var member, out double score);
            AppendToTree(score, member.ToArray());
        }
        _ownedUsed = _ownedCount = 0;
        view?.Promote(this);
    }

    // ---- the commands' view --------------------------------------------------------------------

    public bool TryGetScore(ReadOnlySpan<byte> member, out double score)
    {
        if (TreeOrder is null) return FindPacked(member, out score, out _) >= 0;
        return TreeScores!.TryGetScore(member, out score);
    }

    /// <summary>
    /// zsetAdd: adds or updates one member under ZADD's options, converting to the tree encoding
    /// first when the set would outgrow <paramref name="maxEntries"/> or the member is longer than
    /// <paramref name="maxValue"/>. <paramref name="newScore"/> is the member's score afterwards
    /// (for INCR) unless the result is Nop.
    /// </summary>
    public ZAddResult Add(double score, ReadOnlySpan<byte> member, ZAddFlags flags, long maxEntries, long maxValue, out double newScore)
    {
        newScore = score;
        if (double.IsNaN(score)) return ZAddResult.NotANumber;
        long before = MemoryBytes;
        var result = AddOrUpdate(score, member, flags, maxEntries, maxValue, ref newScore);
        long after = MemoryBytes;
        if (after != before) Grew(after - before);
        return result;
    }

    ZAddResult AddOrUpdate(double score, ReadOnlySpan<byte> member, ZAddFlags flags, long maxEntries, long maxValue, ref double newScore)
    {
        bool exists;
        double current;
        int offset = -1, next = 0;
        byte[]? stored = null;
        ref double slot = ref Unsafe.NullRef<double>();
        if (TreeOrder is null)
        {
            offset = FindPacked(member, out current, out next);
            exists = offset >= 0;
        }
        else
        {
            slot = ref TreeScores!.Find(member, out stored);
            exists = stored is not null;
            current = exists ? slot : 0;
        }

        if (exists)
        {
            if ((flags & ZAddFlags.Nx) != 0) return ZAddResult.Nop;
            if ((flags & ZAddFlags.Incr) != 0)
            {
                score += current;
                if (double.IsNaN(score)) return ZAddResult.NotANumber;
            }
            if (((flags & ZAddFlags.Lt) != 0 && score >= current) || ((flags & ZAddFlags.Gt) != 0 && score <= current)) return ZAddResult.Nop;
            newScore = score;
            if (score == current) return ZAddResult.Unchanged;
            if (TreeOrder is null)
            {
                // The member may alias nothing in the array (it comes from the request), so delete, then insert.
                DeletePacked(offset, next, 1);
                InsertPacked(member, score);
            }
            else
            {
                TreeOrder.Remove(current, stored!);
                TreeOrder.Insert(score, stored!);
                slot = score;
            }
            return ZAddResult.Updated;
        }
        if ((flags & ZAddFlags.Xx) != 0) return ZAddResult.Nop;
        if (TreeOrder is null)
        {
            if (PackedCount + 1L > maxEntries || member.Length > maxValue) ConvertToTree();
            else
            {
                InsertPacked(member, score);
                return ZAddResult.Added;
            }
        }
        AppendToTree(score, member.ToArray());
        return ZAddResult.Added;
    }

    /// <summary>zsetDel: false when the member is not there.</summary>
    public bool Remove(ReadOnlySpan<byte> member)
    {
        long before = MemoryBytes;
        bool removed;
        if (TreeOrder is null)
        {
            int offset = FindPacked(member, out _, out int next);
            removed = offset >= 0;
            if (removed) DeletePacked(offset, next, 1);
        }
        else
        {
            ref double slot = ref TreeScores!.Find(member, out var stored);
            removed = stored is not null;
            if (removed)
            {
                TreeOrder.Remove(slot, stored!);
                TreeScores.Remove(member);
            }
        }
        long after = MemoryBytes;
        if (after != before) Grew(after - before);
        return removed;
    }

    /// <summary>The member's 0-based rank in ascending order, or -1.</summary>
    public int Rank(ReadOnlySpan<byte> member)
    {
        if (TreeOrder is null)
        {
            var packed = Packed;
            int rank = 0;
            for (int offset = 0; offset < packed.Length; rank++)
            {
                offset = ReadEntry(packed, offset, out var m, out _);
                if (m.SequenceEqual(member)) return rank;
            }
            return -1;
        }
        return TreeScores!.TryGetScore(member, out double score) ? TreeOrder.Rank(score, member) : -1;
    }

    /// <summary>Removes <paramref name="count"/> entries from <paramref name="rank"/> on.</summary>
    public void RemoveRange(int rank, int count)
    {
        if (count <= 0) return;
        long before = MemoryBytes;
        if (TreeOrder is null)
        {
            int offset = PackedOffsetOf(rank);
            int end = offset;
            for (int i = 0; i < count; i++) end = ReadEntry(Packed, end, out _, out _);
            DeletePacked(offset, end, count);
        }
        else
        {
            var c = TreeOrder.At(rank);
            for (int i = 0; i < count; i++, c.MoveNext()) TreeScores!.Remove(c.Member);
            TreeOrder.RemoveRange(rank, count);
        }
        long after = MemoryBytes;
        if (after != before) Grew(after - before);
    }

    /// <summary>
    /// The rank of the first entry that is not before <paramref name="bound"/> (Count when all
    /// are). The compact encoding walks from the start as zzlFirstInRange does; the tree searches.
    /// </summary>
    public int FirstNotBefore<TBound>(ref TBound bound) where TBound : struct, IEntryBound
    {
        if (TreeOrder is not null) return TreeOrder.LowerBound(ref bound);
        var packed = Packed;
        int rank = 0;
        for (int offset = 0; offset < packed.Length; rank++)
        {
            offset = ReadEntry(packed, offset, out var m, out double s);
            if (!bound.IsBefore(s, m)) return rank;
        }
        return rank;
    }

    /// <summary>
    /// The rank of the last entry that is before <paramref name="bound"/> (-1 when none is). The
    /// compact encoding walks from the end as zzlLastInRange does; the tree searches.
    /// </summary>
    public int LastBefore<TBound>(ref TBound bound) where TBound : struct, IEntryBound
    {
        if (TreeOrder is not null) return TreeOrder.LowerBound(ref bound) - 1;
        var packed = Packed;
        int rank = PackedCount - 1;
        for (int offset = Used; offset > 0; rank--)
        {
            offset = PreviousEntry(packed, offset);
            ReadEntry(packed, offset, out var m, out double s);
            if (bound.IsBefore(s, m)) return rank;
        }
        return -1;
    }

    /// <summary>A cursor on the entry at <paramref name="rank"/>; invalid when out of range.</summary>
    public Cursor At(int rank)
    {
        if ((uint)rank >= (uint)Count) return default;
        if (TreeOrder is not null) return new Cursor(TreeOrder.At(rank));
        return new Cursor(this, PackedOffsetOf(rank));
    }

    /// <summary>Walks entries of either encoding in both directions. The set must not change meanwhile.</summary>
    public struct Cursor
    {
        readonly SortedSetValue? _set;
        int _offset;
        ScoreTree.Cursor _node;

        internal Cursor(SortedSetValue set, int offset)
        {
            _set = set;
            _offset = offset;
        }

        internal Cursor(ScoreTree.Cursor node)
        {
            _offset = -1;
            _node = node;
        }

        public readonly bool IsValid => _set is null ? _node.IsValid : _offset >= 0;

        public readonly ReadOnlySpan<byte> Member
        {
            get
            {
                if (_set is null) return _node.Member;
                ReadEntry(_set.Packed, _offset, out var member, out _);
                return member;
            }
        }

        public readonly double Score
        {
            get
            {
                if (_set is null) return _node.Score;
                ReadEntry(_set.Packed, _offset, out _, out double score);
                return score;
            }
        }

        /// <summary>Member and score at once (one decode for the compact encoding).</summary>
        public readonly ReadOnlySpan<byte> Read(out double score)
        {
            if (_set is null)
            {
                score = _node.Score;
                return _node.Member;
            }
            ReadEntry(_set.Packed, _offset, out var member, out score);
            return member;
        }

        public void MoveNext()
        {
            if (_set is null)
            {
                _node.MoveNext();
                return;
            }
            _offset = ReadEntry(_set.Packed, _offset, out _, out _);
            if (_offset >= _set.Used) _offset = -1;
        }

        public void MovePrev()
        {
            if (_set is null)
            {
                _node.MovePrev();
                return;
            }
            _offset = _offset == 0 ? -1 : PreviousEntry(_set.Packed, _offset);
        }

        /// <summary>Moves <paramref name="n"/> entries on (backwards when <paramref name="reverse"/>).</summary>
        public void Skip(long n, bool reverse)
        {
            for (; n > 0 && IsValid; n--)
            {
                if (reverse) MovePrev();
                else MoveNext();
            }
        }
    }

    /// <summary>
    /// One ZSCAN step over the tree encoding's hash table (see <see cref="MemberScores.Scan"/>).
    /// The compact encoding has no cursor: ZSCAN returns it whole.
    /// </summary>
    public ulong ScanStep(ulong cursor, List<(byte[] Member, double Score)> found) => TreeScores!.Scan(cursor, found);

    /// <summary>Checks the structures' invariants (tests).</summary>
    internal void Validate()
    {
        if (TreeOrder is null)
        {
            int n = 0;
            double previousScore = double.NegativeInfinity;
            byte[]? previousMember = null;
            for (int offset = 0; offset < Used; n++)
            {
                int next = ReadEntry(Packed, offset, out var m, out double s);
                if (next < Used && PreviousEntry(Packed, next) != offset) throw new InvalidOperationException("back length");
                if (previousMember is not null && (s < previousScore || (s == previousScore && m.SequenceCompareTo(previousMember) <= 0)))
                    throw new InvalidOperationException("order");
                previousScore = s;
                previousMember = m.ToArray();
                offset = next;
            }
            if (n != PackedCount) throw new InvalidOperationException($"count {PackedCount}, entries {n}");
            return;
        }
        TreeOrder.Validate();
        if (TreeScores!.Count != TreeOrder.Count) throw new InvalidOperationException("table and tree disagree");
        long bytes = 0;
        for (var c = TreeOrder.At(0); c.IsValid; c.MoveNext())
        {
            if (!TreeScores.TryGetScore(c.Member, out double s) || !s.Equals(c.Score)) throw new InvalidOperationException("score mismatch");
            bytes += ArrayBytes(c.Member.Length);
        }
        if (bytes != TreeOrder.MemberBytes) throw new InvalidOperationException("member bytes");
    }
}
