namespace Vermilion;

/// <summary>
/// A set, in Redis 7.0's two encodings: "intset" (<see cref="IntSet"/>: sorted integers, so
/// SMEMBERS answers in ascending order as Redis does) while every member is an integer and there
/// are at most set-max-intset-entries of them, then "hashtable" (<see cref="MemberTable"/>) for
/// good: like Redis, a set never converts back. Members have positions 0..Count-1 in either
/// encoding (ascending order in an intset), which is how commands iterate and pick at random.
/// </summary>
public sealed class SetValue : SeparatelyKeyedObject
{
    IntSet _ints;
    MemberTable? _table;

    /// <summary>An empty set, an intset when <paramref name="forIntegers"/> (createIntsetObject) or a hashtable.</summary>
    public SetValue(byte[] key, bool forIntegers) : base(key)
    {
        if (!forIntegers) _table = new MemberTable();
    }

    /// <summary>A set holding <paramref name="ints"/> (RESTORE of an intset), converted to a hashtable when it has more than <paramref name="maxIntsetEntries"/>.</summary>
    public static SetValue FromIntSet(byte[] key, IntSet ints, long maxIntsetEntries)
    {
        var set = new SetValue(key, forIntegers: true) { _ints = ints };
        if (ints.Count > IntsetLimit(maxIntsetEntries)) set.ConvertToTable();
        return set;
    }

    /// <summary>setTypeCreate: the encoding that can hold <paramref name="firstMember"/>.</summary>
    public static SetValue CreateFor(byte[] key, ReadOnlySpan<byte> firstMember) => new(key, IntegerText.TryParse(firstMember, out _));

    public override ValueType Type => ValueType.Set;
    public override string Encoding => _table is null ? "intset" : "hashtable";
    public bool IsIntSet => _table is null;
    public int Count => _table?.Count ?? _ints.Count;

    /// <summary>This object (header, key, owner, intset and table references), the key and the encoding's arrays.</summary>
    public override long MemoryBytes =>
        48 + ArrayBytes(Key.Length) + (_table?.MemoryBytes ?? (_ints.AllocatedBytes == 0 ? 0 : ArrayBytes(_ints.AllocatedBytes)));

    /// <summary>
    /// Sizes a new set for the members about to be added (<paramref name="members"/> of
    /// <paramref name="bytes"/> bytes), so a set built by one SADD is allocated once rather than
    /// grown step by step (measured: the garbage of growing doubled the RSS of 100k small sets).
    /// </summary>
    public void Reserve(int members, long bytes)
    {
        long before = MemoryBytes;
        if (_table is null) _ints.Reserve(members);
        else _table.Reserve(members, bytes);
        Grew(MemoryBytes - before);
    }

    /// <summary>After a <see cref="Reserve"/> that duplicates left partly unused.</summary>
    public void TrimExcess()
    {
        long before = MemoryBytes;
        if (_table is null) _ints.TrimExcess();
        else _table.TrimExcess();
        Grew(MemoryBytes - before);
    }

    /// <summary>Redis caps the intset at 2^30 entries whatever set-max-intset-entries says; a .NET array holds fewer 64-bit ones.</summary>
    internal static long IntsetLimit(long maxIntsetEntries) => Math.Min(maxIntsetEntries, IntSet.MaxCount);

    public bool Add(ReadOnlySpan<byte> member, long maxIntsetEntries)
    {
        if (_table is null)
        {
            if (IntegerText.TryParse(member, out long value)) return AddInteger(value, maxIntsetEntries);
            long before = MemoryBytes;
            ConvertToTable();
            _table!.AddNew(member);
            Grew(MemoryBytes - before);
            return true;
        }
        return AddToTable(member);
    }

    /// <summary>Adds an integer member (from another intset) without going through its text when this is an intset.</summary>
    public bool AddInteger(long value, long maxIntsetEntries)
    {
        if (_table is not null)
        {
            Span<byte> digits = stackalloc byte[20];
            return AddToTable(digits[..IntegerText.Format(value, digits)]);
        }
        long before = MemoryBytes;
        if (!_ints.Add(value)) return false;
        if (_ints.Count > IntsetLimit(maxIntsetEntries)) ConvertToTable();
        Grew(MemoryBytes - before);
        return true;
    }

    bool AddToTable(ReadOnlySpan<byte> member)
    {
        long before = MemoryBytes;
        if (!_table!.Add(member)) return false;
        Grew(MemoryBytes - before);
        return true;
    }

    /// <summary>setTypeConvert to a hashtable sized for the members it already has.</summary>
    void ConvertToTable()
    {
        var table = new MemberTable(_ints.Count);
        Span<byte> digits = stackalloc byte[20];
        for (int i = 0; i < _ints.Count; i++) table.AddNew(digits[..IntegerText.Format(_ints[i], digits)]);
        _table = table;
        _ints = default;
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
        if (_table is null) _ints.RemoveAt(position);
        else _table.RemoveAt(position);
        Grew(MemoryBytes - before);
    }

    /// <summary>The member's position, or -1.</summary>
    public int IndexOf(ReadOnlySpan<byte> member)
    {
        if (_table is not null) return _table.IndexOf(member);
        if (!IntegerText.TryParse(member, out long value)) return -1;
        int index = _ints.IndexOf(value);
        return index >= 0 ? index : -1;
    }

    public bool Contains(ReadOnlySpan<byte> member) => IndexOf(member) >= 0;

    public bool ContainsInteger(long value)
    {
        if (_table is null) return _ints.Contains(value);
        Span<byte> digits = stackalloc byte[20];
        return _table.Contains(digits[..IntegerText.Format(value, digits)]);
    }

    /// <summary>The intset of an intset-encoded set (DUMP writes its elements as they are).</summary>
    public IntSet Ints => _ints;

    /// <summary>The member at <paramref name="position"/> of an intset.</summary>
    public long IntegerAt(int position) => _ints[position];

    /// <summary>The member at <paramref name="position"/> of a hashtable set: a view valid until the set changes.</summary>
    public ReadOnlySpan<byte> MemberAt(int position) => _table![position];

    /// <summary>The member at <paramref name="position"/> in either encoding; an intset's is written into <paramref name="digits"/> (20 bytes).</summary>
    public ReadOnlySpan<byte> MemberAt(int position, Span<byte> digits) =>
        _table is not null ? _table[position] : digits[..IntegerText.Format(_ints[position], digits)];

    /// <summary>One SSCAN step over a hashtable set (see <see cref="MemberTable.Scan"/>).</summary>
    public ulong Scan(ulong cursor, List<int> found) => _table!.Scan(cursor, found);

    /// <summary>Takes over the members and encoding of <paramref name="other"/> (SPOP keeping the key, its deadline and access data).</summary>
    public void TakeContents(SetValue other)
    {
        long before = MemoryBytes;
        _ints = other._ints;
        _table = other._table;
        other._ints = default;
        other._table = null;
        Grew(MemoryBytes - before);
    }

    public override StoredObject CopyAs(byte[] key)
    {
        var copy = new SetValue(key, forIntegers: true);
        if (_table is null) copy._ints = _ints.Clone();
        else copy._table = _table.Clone();
        return copy;
    }
}
