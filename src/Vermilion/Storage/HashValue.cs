namespace Vermilion.Storage;

/// <summary>
/// A hash, in Redis 7.0's two encodings. "listpack": every field and value in one array, as
/// [length, 7-bit varint][bytes] entries alternating field, value, in insertion order (which is
/// the order HGETALL, HKEYS and HVALS answer in, as Redis's listpack); lookups scan it, as Redis
/// does. "hashtable": a <see cref="HashFieldTable"/>. A hash converts once, never back: when it
/// gets more than hash-max-listpack-entries fields or a field or value longer than
/// hash-max-listpack-value bytes (the limits of the moment of the write, passed in by the caller).
/// Unlike Redis's listpack, entries have no back-length (nothing walks backwards) and integers
/// stay text (the replies are the same either way).
/// <para>
/// Pairs are addressed by a handle: the byte offset of the pair's field in the listpack, or the
/// entry index in the table. A handle stays valid until the hash changes.
/// </para>
/// </summary>
public sealed class HashValue : StoredObject, IMemberCollection
{
    /// <summary>Redis's listpack refuses to grow past 1 GB (lpSafeToAdd); a hash that would converts instead.</summary>
    public const long ListpackSafetyLimit = 1L << 30;

    /// <summary>
    /// The listpack or the <see cref="HashFieldTable"/>: one reference, so a small hash's object is
    /// 40 bytes. The listpack is a byte[] laid out as a <see cref="PackedString"/>: the key, then
    /// the entries and spare room; the table holds the key itself.
    /// </summary>
    object _data;
    int _listpackLength;
    int _listpackCount;

    /// <summary>The listpack's entries and its spare room, after the key.</summary>
    Span<byte> Listpack => PackedString.Value((byte[])_data);

    /// <summary>An empty listpack hash with room for <paramref name="listpackCapacity"/> bytes of entries.</summary>
    public HashValue(ReadOnlySpan<byte> key, int listpackCapacity = 0) => _data = PackedString.AllocateRounded(key, listpackCapacity);

    HashValue(object data, int length, int count)
    {
        _data = data;
        _listpackLength = length;
        _listpackCount = count;
    }

    /// <summary>An empty hashtable-encoded hash sized for <paramref name="capacity"/> fields (RESTORE of more than hash-max-listpack-entries).</summary>
    public static HashValue CreateTable(ReadOnlySpan<byte> key, int capacity) => new(new HashFieldTable(capacity) { Key = key.ToArray() }, 0, 0);

    public override ReadOnlySpan<byte> Key => _data is HashFieldTable table ? table.Key : PackedString.Key((byte[])_data);

    public override void SetKey(ReadOnlySpan<byte> key)
    {
        long before = MemoryBytes;
        if (_data is HashFieldTable table) table.Key = key.ToArray();
        else
        {
            var moved = PackedString.AllocateRounded(key, _listpackLength);
            Listpack[.._listpackLength].CopyTo(PackedString.Value(moved));
            _data = moved;
        }
        Grew(MemoryBytes - before);
    }

    public override DataType Type => DataType.Hash;
    public override string Encoding => _data is HashFieldTable ? "hashtable" : "listpack";
    public bool IsListpack => _data is byte[];
    public int Count => _data is HashFieldTable table ? table.Count : _listpackCount;
    /// <summary>Bytes the listpack's entries take (0 for a hashtable).</summary>
    public int ListpackBytes => _listpackLength;

    /// <summary>The object (header, owner reference, its own three fields), and the encoding's arrays, the key's among them.</summary>
    public override long MemoryBytes => 40 + (_data is HashFieldTable table ? table.MemoryBytes : ArrayBytes(((byte[])_data).Length));

    public override StoredObject CopyAs(byte[] key)
    {
        if (_data is HashFieldTable table)
        {
            var copy = table.Copy();
            copy.Key = key;
            return new HashValue(copy, 0, 0);
        }
        var lp = PackedString.AllocateRounded(key, _listpackLength);
        Listpack[.._listpackLength].CopyTo(PackedString.Value(lp));
        return new HashValue(lp, _listpackLength, _listpackCount);
    }

    /// <summary>Bytes a field or value takes in the listpack.</summary>
    public static int ListpackEntryBytes(int length) => Varint.Length(length) + length;

    // ---- reading ------------------------------------------------------------------------------

    public int FindPair(ReadOnlySpan<byte> field)
    {
        if (_data is HashFieldTable table) return table.Find(field);
        ReadOnlySpan<byte> lp = Listpack[.._listpackLength];
        int pos = 0;
        while (pos < lp.Length)
        {
            int fieldStart = Varint.Read(lp, pos, out int fieldLength);
            int valueStart = Varint.Read(lp, fieldStart + fieldLength, out int valueLength);
            if (fieldLength == field.Length && lp.Slice(fieldStart, fieldLength).SequenceEqual(field)) return pos;
            pos = valueStart + valueLength;
        }
        return -1;
    }

    public bool TryGet(ReadOnlySpan<byte> field, out ReadOnlySpan<byte> value)
    {
        int pair = FindPair(field);
        value = pair >= 0 ? ValueAt(pair) : default;
        return pair >= 0;
    }

    public int FirstPair() => Count == 0 ? -1 : 0;

    /// <summary>The pair after <paramref name="pair"/> in iteration order, or -1.</summary>
    public int NextPair(int pair)
    {
        if (_data is HashFieldTable table) return pair + 1 < table.Count ? pair + 1 : -1;
        int next = ValueEnd(pair);
        return next < _listpackLength ? next : -1;
    }

    public ReadOnlySpan<byte> FieldAt(int pair)
    {
        if (_data is HashFieldTable table) return table.Field(pair);
        int start = Varint.Read(Listpack, pair, out int length);
        return Listpack.Slice(start, length);
    }

    public ReadOnlySpan<byte> ValueAt(int pair)
    {
        if (_data is HashFieldTable table) return table.Value(pair);
        int start = ValueStart(pair, out int length);
        return Listpack.Slice(start, length);
    }

    /// <summary>The pair at position <paramref name="ordinal"/> of the iteration order (a walk for a listpack, as Redis's lpSeek).</summary>
    public int PairAt(int ordinal)
    {
        if (_data is HashFieldTable) return ordinal;
        int pair = 0;
        for (int i = 0; i < ordinal; i++) pair = ValueEnd(pair);
        return pair;
    }

    /// <summary>HSCAN over the hashtable encoding: see <see cref="HashFieldTable.Scan"/>.</summary>
    public ulong ScanTable(ulong cursor, List<int> found) => ((HashFieldTable)_data).Scan(cursor, found);

    int ValueStart(int pair, out int length)
    {
        int fieldStart = Varint.Read(Listpack, pair, out int fieldLength);
        return Varint.Read(Listpack, fieldStart + fieldLength, out length);
    }

    int ValueEnd(int pair) => ValueStart(pair, out int length) + length;

    // ---- writing ------------------------------------------------------------------------------

    /// <summary>
    /// hashTypeSet: sets the field (true when it was added, false when updated), converting to
    /// the hashtable first when the field or value is too long for the listpack, and after when
    /// the hash has too many fields.
    /// </summary>
    public bool Set(ReadOnlySpan<byte> field, ReadOnlySpan<byte> value, long maxListpackEntries, long maxListpackValue)
    {
        long before = MemoryBytes;
        bool added;
        if (_data is byte[] && (field.Length > maxListpackValue || value.Length > maxListpackValue)) MoveToTable();
        if (_data is HashFieldTable table) added = table.Set(field, value);
        else
        {
            int pair = FindPair(field);
            added = pair < 0;
            if (added) Append(field, value);
            else ReplaceValue(pair, value);
            if (_listpackCount > maxListpackEntries) MoveToTable();
        }
        Grew(MemoryBytes - before);
        return added;
    }

    /// <summary>
    /// Adds a field that must not be there yet, in the current encoding whatever its length
    /// (RESTORE keeps a listpack payload a listpack, as Redis does); false if it is there.
    /// </summary>
    public bool AddIfAbsent(ReadOnlySpan<byte> field, ReadOnlySpan<byte> value)
    {
        if (FindPair(field) >= 0) return false;
        long before = MemoryBytes;
        if (_data is HashFieldTable table) table.Add(field, value);
        else Append(field, value);
        Grew(MemoryBytes - before);
        return true;
    }

    public bool Remove(ReadOnlySpan<byte> field)
    {
        long before = MemoryBytes;
        bool removed;
        if (_data is HashFieldTable table) removed = table.Remove(field);
        else
        {
            int pair = FindPair(field);
            removed = pair >= 0;
            if (removed)
            {
                int end = ValueEnd(pair);
                var lp = Listpack;
                lp[end.._listpackLength].CopyTo(lp[pair..]);
                _listpackLength -= end - pair;
                _listpackCount--;
                // Give back room a shrinking hash no longer needs, as Redis reallocates its listpack.
                if (Listpack.Length > 2 * _listpackLength + 16) Reallocate(_listpackLength);
            }
        }
        if (removed) Grew(MemoryBytes - before);
        return removed;
    }

    /// <summary>hashTypeConvert(OBJ_ENCODING_HT): one way; fields keep their values.</summary>
    public void ConvertToTable()
    {
        if (_data is HashFieldTable) return;
        long before = MemoryBytes;
        MoveToTable();
        Grew(MemoryBytes - before);
    }

    void MoveToTable()
    {
        var table = new HashFieldTable(_listpackCount) { Key = Key.ToArray() };
        for (int pair = FirstPair(); pair >= 0; pair = NextPair(pair)) table.Add(FieldAt(pair), ValueAt(pair));
        _data = table;
        _listpackLength = _listpackCount = 0;
    }

    void Append(ReadOnlySpan<byte> field, ReadOnlySpan<byte> value)
    {
        int needed = _listpackLength + ListpackEntryBytes(field.Length) + ListpackEntryBytes(value.Length);
        if (needed > Listpack.Length) Reallocate(Math.Max(needed, Listpack.Length + Listpack.Length / 4));
        var lp = Listpack;
        int pos = _listpackLength;
        pos += Varint.Write(lp[pos..], (uint)field.Length);
        field.CopyTo(lp[pos..]);
        pos += field.Length;
        pos += Varint.Write(lp[pos..], (uint)value.Length);
        value.CopyTo(lp[pos..]);
        _listpackLength = pos + value.Length;
        _listpackCount++;
    }

    void ReplaceValue(int pair, ReadOnlySpan<byte> value)
    {
        int fieldStart = Varint.Read(Listpack, pair, out int fieldLength);
        int entry = fieldStart + fieldLength;
        int oldEnd = Varint.Read(Listpack, entry, out int oldLength) + oldLength;
        int newEnd = entry + ListpackEntryBytes(value.Length);
        int delta = newEnd - oldEnd;
        if (delta > 0 && _listpackLength + delta > Listpack.Length) Reallocate(Math.Max(_listpackLength + delta, Listpack.Length + Listpack.Length / 4));
        var lp = Listpack;
        if (delta != 0) lp[oldEnd.._listpackLength].CopyTo(lp[newEnd..]);
        int pos = entry + Varint.Write(lp[entry..], (uint)value.Length);
        value.CopyTo(lp[pos..]);
        _listpackLength += delta;
    }

    void Reallocate(int capacity)
    {
        var grown = PackedString.AllocateRounded(Key, capacity);
        Listpack[.._listpackLength].CopyTo(PackedString.Value(grown));
        _data = grown;
    }

    // Arrays are allocated in 8-byte steps anyway: capacity up to the next step costs nothing.
}
