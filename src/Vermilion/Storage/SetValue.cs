using Vermilion.Protocol;

namespace Vermilion.Storage;

/// <summary>
/// A set, in Redis 7.0's two encodings: "intset" (<see cref="IntSet"/>: sorted integers, so
/// SMEMBERS answers in ascending order as Redis does) while every member is an integer and there
/// are at most set-max-intset-entries of them, then "hashtable" (<see cref="MemberTable"/>) for
/// good: like Redis, a set never converts back. Members have positions 0..Count-1 in either
/// encoding (ascending order in an intset), which is how commands iterate and pick at random.
/// <para>
/// In the keyspace an intset is a record (the intset's bytes are its value) and commands get a
/// view of it (<see cref="ValueViews"/>); a hashtable set is a managed object.
/// </para>
/// </summary>
public sealed class SetValue : StoredObject, IMemberCollection
{
    /// <summary>
    /// The intset's array, laid out as a <see cref="PackedString"/> (the key, then the intset),
    /// the <see cref="MemberTable"/>, which holds the key, or the <see cref="RecordView"/> of the
    /// record holding the intset: one reference, so a small set's object is 32 bytes and its key
    /// costs no array of its own.
    /// </summary>
    object _data;

    MemberTable? Table => _data as MemberTable;

    /// <summary>
    /// A view of an intset-encoded set's intset (DUMP writes its elements as they are); after
    /// changing one, <see cref="Keep"/> stores the array it may have moved to (a record's moves
    /// are its <see cref="RecordView"/>'s).
    /// </summary>
    public IntSet Ints
    {
        get
        {
            if (_data is RecordView record) return new IntSet(record);
            var blob = (byte[])_data;
            return new IntSet(blob, PackedString.ValueStart(blob));
        }
    }

    void Keep(in IntSet ints)
    {
        if (_data is not RecordView) _data = ints.Blob!;
    }

    SetValue(object data) => _data = data;

    /// <summary>A pooled view (<see cref="ValueViews"/>), parked on <paramref name="record"/> until lent.</summary>
    internal static SetValue CreateView(RecordView record) => new((object)record);

    /// <summary>
    /// An empty set, an intset when <paramref name="forIntegers"/> (createIntsetObject; with room
    /// for <paramref name="intsetCapacity"/> small integers) or a hashtable.
    /// </summary>
    public SetValue(ReadOnlySpan<byte> key, bool forIntegers, int intsetCapacity = 0) =>
        _data = forIntegers ? IntSet.Keyed(key, default, intsetCapacity).Blob! : new MemberTable { Key = key.ToArray() };

    /// <summary>A set holding <paramref name="ints"/> (RESTORE of an intset), converted to a hashtable when it has more than <paramref name="maxIntsetEntries"/>.</summary>
    public static SetValue FromIntSet(ReadOnlySpan<byte> key, IntSet ints, long maxIntsetEntries)
    {
        var set = new SetValue(IntSet.Keyed(key, ints).Blob!);
        if (ints.Count > IntsetLimit(maxIntsetEntries)) set.ConvertToTable();
        return set;
    }

    /// <summary>setTypeCreate: the encoding that can hold <paramref name="firstMember"/>.</summary>
    public static SetValue CreateFor(ReadOnlySpan<byte> key, ReadOnlySpan<byte> firstMember) => new(key, IntegerText.TryParse(firstMember, out _));

    public override ReadOnlySpan<byte> Key => _data switch
    {
        MemberTable table => table.Key,
        RecordView record => record.Key,
        _ => PackedString.Key((byte[])_data),
    };

    public override void SetKey(ReadOnlySpan<byte> key)
    {
        long before = MemoryBytes;
        if (_data is MemberTable table) table.Key = key.ToArray();
        else if (_data is RecordView) throw new InvalidOperationException("a record's key changes with the record (Db.Transplant)");
        else Keep(IntSet.Keyed(key, Ints));
        Grew(MemoryBytes - before);
    }

    public override DataType Type => DataType.Set;
    public override string Encoding => Table is null ? "intset" : "hashtable";
    public bool IsIntSet => Table is null;
    public int Count => Table?.Count ?? Ints.Count;

    /// <summary>
    /// This object (header, owner and data references) and the encoding's arrays, the key's among
    /// them; 0 for a view, whose bytes are its record's (counted by the RecordHeap).
    /// </summary>
    public override long MemoryBytes => _data switch
    {
        MemberTable table => 32 + table.MemoryBytes,
        byte[] owned => 32 + ArrayBytes(owned.Length),
        _ => 0,
    };

    // ---- as a record (see ValueViews) ---------------------------------------------------------

    internal override RecordKind CompactKind => _data is byte[] ? RecordKind.IntSet : RecordKind.String;
    internal override int CompactLength => Ints.Raw.Length;
    internal override void WriteCompact(Span<byte> into) => Ints.Raw.CopyTo(into);
    internal override void Bind(RecordView record) => _data = record;
    internal override void Materialize() => _data = IntSet.Keyed(Key, Ints).Blob!;

    /// <summary>
    /// Sizes a new set for the members about to be added (<paramref name="members"/> of
    /// <paramref name="bytes"/> bytes), so a set built by one SADD is allocated once rather than
    /// grown step by step (measured: the garbage of growing doubled the RSS of 100k small sets).
    /// </summary>
    public void Reserve(int members, long bytes)
    {
        long before = MemoryBytes;
        if (Table is null)
        {
            var ints = Ints;
            ints.Reserve(members);
            Keep(ints);
        }
        else Table.Reserve(members, bytes);
        Grew(MemoryBytes - before);
    }

    /// <summary>After a <see cref="Reserve"/> that duplicates left partly unused.</summary>
    public void TrimExcess()
    {
        long before = MemoryBytes;
        if (Table is null)
        {
            var ints = Ints;
            ints.TrimExcess();
            Keep(ints);
        }
        else Table.TrimExcess();
        Grew(MemoryBytes - before);
    }

    /// <summary>Redis caps the intset at 2^30 entries whatever set-max-intset-entries says; a .NET array holds fewer 64-bit ones.</summary>
    internal static long IntsetLimit(long maxIntsetEntries) => Math.Min(maxIntsetEntries, IntSet.MaxCount);

    public bool Add(ReadOnlySpan<byte> member, long maxIntsetEntries)
    {
        if (Table is null)
        {
            if (IntegerText.TryParse(member, out long value)) return AddInteger(value, maxIntsetEntries);
            long before = MemoryBytes;
            ConvertToTable();
            Table!.AddNew(member);
            Grew(MemoryBytes - before);
            return true;
        }
        return AddToTable(member);
    }

    /// <summary>Adds an integer member (from another intset) without going through its text when this is an intset.</summary>
    public bool AddInteger(long value, long maxIntsetEntries)
    {
        if (Table is not null)
        {
            Span<byte> digits = stackalloc byte[20];
            return AddToTable(digits[..IntegerText.Format(value, digits)]);
        }
        long before = MemoryBytes;
        var ints = Ints;
        if (!ints.Add(value)) return false;
        Keep(ints);
        if (ints.Count > IntsetLimit(maxIntsetEntries)) ConvertToTable();
        Grew(MemoryBytes - before);
        return true;
    }

    bool AddToTable(ReadOnlySpan<byte> member)
    {
        long before = MemoryBytes;
        if (!Table!.Add(member)) return false;
        Grew(MemoryBytes - before);
        return true;
    }

    /// <summary>setTypeConvert to a hashtable sized for the members it already has; a view becomes its entry's managed object (the record goes).</summary>
    void ConvertToTable()
    {
        var ints = Ints;
        var table = new MemberTable(ints.Count) { Key = Key.ToArray() };
        Span<byte> digits = stackalloc byte[20];
        for (int i = 0; i < ints.Count; i++) table.AddNew(digits[..IntegerText.Format(ints[i], digits)]);
        var view = _data as RecordView;
        _data = table;
        view?.Promote(this);
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
        long before = MemoryBytes;
        if (Table is null)
        {
            var ints = Ints;
            ints.RemoveAt(position);
            Keep(ints);
        }
        else Table.RemoveAt(position);
        Grew(MemoryBytes - before);
    }

    /// <summary>The member's position, or -1.</summary>
    public int IndexOf(ReadOnlySpan<byte> member)
    {
        if (Table is not null) return Table.IndexOf(member);
        if (!IntegerText.TryParse(member, out long value)) return -1;
        int index = Ints.IndexOf(value);
        return index >= 0 ? index : -1;
    }

    public bool Contains(ReadOnlySpan<byte> member) => IndexOf(member) >= 0;

    public bool ContainsInteger(long value)
    {
        if (Table is null) return Ints.Contains(value);
        Span<byte> digits = stackalloc byte[20];
        return Table.Contains(digits[..IntegerText.Format(value, digits)]);
    }

    /// <summary>The member at <paramref name="position"/> of an intset.</summary>
    public long IntegerAt(int position) => Ints[position];

    /// <summary>The member at <paramref name="position"/> of a hashtable set: a view valid until the set changes.</summary>
    public ReadOnlySpan<byte> MemberAt(int position) => Table![position];

    /// <summary>The member at <paramref name="position"/> in either encoding; an intset's is written into <paramref name="digits"/> (20 bytes).</summary>
    public ReadOnlySpan<byte> MemberAt(int position, Span<byte> digits) =>
        Table is not null ? Table[position] : digits[..IntegerText.Format(Ints[position], digits)];

    /// <summary>One SSCAN step over a hashtable set (see <see cref="MemberTable.Scan"/>).</summary>
    public ulong Scan(ulong cursor, List<int> found) => Table!.Scan(cursor, found);

    /// <summary>Takes over the members and encoding of <paramref name="other"/> (SPOP keeping the key, its deadline and access data).</summary>
    public void TakeContents(SetValue other)
    {
        long before = MemoryBytes;
        if (other._data is MemberTable table)
        {
            table.Key = Key.ToArray();
            var view = _data as RecordView;
            _data = table;
            view?.Promote(this);
        }
        else if (_data is RecordView record)
        {
            var raw = other.Ints.Raw;
            raw.CopyTo(record.Resize(raw.Length));
        }
        else Keep(IntSet.Keyed(Key, other.Ints));
        other._data = new MemberTable();
        Grew(MemoryBytes - before);
    }

    public override StoredObject CopyAs(byte[] key)
    {
        var copy = new SetValue(key, forIntegers: true);
        if (Table is null) copy.Keep(IntSet.Keyed(key, Ints));
        else
        {
            var table = Table.Clone();
            table.Key = key;
            copy._data = table;
        }
        return copy;
    }
}
