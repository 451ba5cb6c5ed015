using System.Buffers.Binary;

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
/// <para>
/// In the keyspace a listpack hash is a record ([pair count, int32][the entries], no spare room:
/// the record's size class is the room) and commands get a view of it (<see cref="ValueViews"/>);
/// a hashtable hash is a managed object. A hash created by a command owns an array until
/// <see cref="Db.Add"/> copies it into a record.
/// </para>
/// </summary>
public sealed class HashValue : StoredObject, IMemberCollection
{
    /// <summary>Redis's listpack refuses to grow past 1 GB (lpSafeToAdd); a hash that would converts instead.</summary>
    public const long ListpackSafetyLimit = 1L << 30;

    /// <summary>
    /// The listpack, the <see cref="HashFieldTable"/>, or the <see cref="RecordView"/> of a
    /// record holding the listpack. An owned listpack is a byte[] laid out as a
    /// <see cref="PackedString"/>: the key, then the entries and spare room; the table holds the
    /// key itself.
    /// </summary>
    object _data;
    // An owned listpack's used bytes and pair count (a record holds its own).
    int _listpackLength;
    int _listpackCount;

    /// <summary>A record's value starts with the pair count.</summary>
    const int RecordHeader = 4;
    /// <summary>A record holding a listpack hash with no fields: the pair count (0), no entries.</summary>
    internal const int EmptyRecordBytes = RecordHeader;

    /// <summary>The listpack's entries and any spare room (a record has none), after the key or the record's header.</summary>
    Span<byte> Listpack => _data is RecordView record ? record.Value[RecordHeader..] : PackedString.Value((byte[])_data);

    /// <summary>The listpack's entries.</summary>
    ReadOnlySpan<byte> Entries => _data is RecordView record ? record.Value[RecordHeader..] : PackedString.Value((byte[])_data)[.._listpackLength];

    /// <summary>Bytes the listpack's entries take (0 for a table).</summary>
    int Used => _data is RecordView record ? record.Value.Length - RecordHeader : _listpackLength;

    int PackedCount
    {
        get => _data is RecordView record ? BinaryPrimitives.ReadInt32LittleEndian(record.Value) : _listpackCount;
        set
        {
            if (_data is RecordView record) BinaryPrimitives.WriteInt32LittleEndian(record.Value, value);
            else _listpackCount = value;
        }
    }

    /// <summary>An empty listpack hash with room for <paramref name="listpackCapacity"/> bytes of entries.</summary>
    public HashValue(ReadOnlySpan<byte> key, int listpackCapacity = 0) => _data = PackedString.AllocateRounded(key, listpackCapacity);

    HashValue(object data, int length, int count)
    {
        _data = data;
        _listpackLength = length;
        _listpackCount = count;
    }

    /// <summary>A pooled view (<see cref="ValueViews"/>), parked on <paramref name="record"/> until lent.</summary>
    internal static HashValue CreateView(RecordView record) => new(record, 0, 0);

    /// <summary>An empty hashtable-encoded hash sized for <paramref name="capacity"/> fields (RESTORE of more than hash-max-listpack-entries).</summary>
    public static HashValue CreateTable(ReadOnlySpan<byte> key, int capacity) => new(new HashFieldTable(capacity) { Key = key.ToArray() }, 0, 0);

    public override ReadOnlySpan<byte> Key => _data switch
    {
        HashFieldTable table => table.Key,
        RecordView record => record.Key,
        _ => PackedString.Key((byte[])_data),
    };

    public override void SetKey(ReadOnlySpan<byte> key)
    {
        long before = MemoryBytes;
        if (_data is HashFieldTable table) table.Key = key.ToArray();
        else if (_data is RecordView) throw new InvalidOperationException("a record's key changes with the record (Db.Transplant)");
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
    public bool IsListpack => _data is not HashFieldTable;
    public int Count => _data is HashFieldTable table ? table.Count : PackedCount;
    /// <summary>Bytes the listpack's entries take (0 for a hashtable).</summary>
    public int ListpackBytes => Used;

    /// <summary>
    /// The object (header, owner reference, its own three fields), and the encoding's arrays, the
    /// key's among them; 0 for a view, whose bytes are its record's (counted by the RecordHeap).
    /// </summary>
    public override long MemoryBytes => _data switch
    {
        HashFieldTable table => 40 + table.MemoryBytes,
        byte[] owned => 40 + ArrayBytes(owned.Length),
        _ => 0,
    };

    public override StoredObject CopyAs(byte[] key)
    {
        if (_data is HashFieldTable table)
        {
            var copy = table.Copy();
            copy.Key = key;
            return new HashValue(copy, 0, 0);
        }
        var entries = Entries;
        var lp = PackedString.AllocateRounded(key, entries.Length);
        entries.CopyTo(PackedString.Value(lp));
        return new HashValue(lp, entries.Length, PackedCount);
    }

    // ---- as a record (see ValueViews) ---------------------------------------------------------

    internal override RecordKind CompactKind => _data is byte[] ? RecordKind.Hash : RecordKind.String;
    internal override int CompactLength => RecordHeader + _listpackLength;

    internal override void WriteCompact(Span<byte> into)
    {
        BinaryPrimitives.WriteInt32LittleEndian(into, _listpackCount);
        Entries.CopyTo(into[RecordHeader..]);
    }

    internal override void Bind(RecordView record)
    {
        _data = record;
        _listpackLength = _listpackCount = 0;
    }

    internal override void Materialize()
    {
        var entries = Entries;
        int count = PackedCount;
        var owned = PackedString.AllocateRounded(Key, entries.Length);
        entries.CopyTo(PackedString.Value(owned));
        _data = owned;
        _listpackLength = entries.Length;
        _listpackCount = count;
    }

    /// <summary>Bytes a field or value takes in the listpack.</summary>
    public static int ListpackEntryBytes(int length) => Varint.Length(length) + length;

    // ---- reading ------------------------------------------------------------------------------

    public int FindPair(ReadOnlySpan<byte> field)
    {
        if (_data is HashFieldTable table) return table.Find(field);
        var lp = Entries;
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
        return next < Used ? next : -1;
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
        if (IsListpack && (field.Length > maxListpackValue || value.Length > maxListpackValue)) MoveToTable();
        if (_data is HashFieldTable table) added = table.Set(field, value);
        else
        {
            int pair = FindPair(field);
            added = pair < 0;
            if (added) Append(field, value);
            else ReplaceValue(pair, value);
            if (PackedCount > maxListpackEntries) MoveToTable();
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
                int end = ValueEnd(pair), used = Used;
                var lp = Listpack;
                lp[end..used].CopyTo(lp[pair..]);
                SetUsed(used - (end - pair));
                PackedCount--;
                // Give back room a shrinking hash no longer needs, as Redis reallocates its listpack
                // (a record does it in SetUsed).
                if (_data is byte[] && Listpack.Length > 2 * _listpackLength + 16) Reallocate(_listpackLength);
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

    /// <summary>The listpack's entries are now <paramref name="bytes"/> long (a record is resized to them, in place within its size class).</summary>
    void SetUsed(int bytes)
    {
        if (_data is RecordView record) record.Resize(RecordHeader + bytes);
        else _listpackLength = bytes;
    }

    /// <summary>Room for <paramref name="bytes"/> of entries before writing them (a record gets exactly that; an array a quarter more).</summary>
    void EnsureRoom(int bytes)
    {
        if (_data is RecordView record)
        {
            if (bytes > Used) record.Resize(RecordHeader + bytes);
        }
        else if (bytes > Listpack.Length) Reallocate(Math.Max(bytes, Listpack.Length + Listpack.Length / 4));
    }

    /// <summary>A view that converts becomes its entry's managed object (the record goes).</summary>
    void MoveToTable()
    {
        var table = new HashFieldTable(PackedCount) { Key = Key.ToArray() };
        for (int pair = FirstPair(); pair >= 0; pair = NextPair(pair)) table.Add(FieldAt(pair), ValueAt(pair));
        var view = _data as RecordView;
        _data = table;
        _listpackLength = _listpackCount = 0;
        view?.Promote(this);
    }

    void Append(ReadOnlySpan<byte> field, ReadOnlySpan<byte> value)
    {
        int pos = Used;
        int needed = pos + ListpackEntryBytes(field.Length) + ListpackEntryBytes(value.Length);
        EnsureRoom(needed);
        var lp = Listpack;
        pos += Varint.Write(lp[pos..], (uint)field.Length);
        field.CopyTo(lp[pos..]);
        pos += field.Length;
        pos += Varint.Write(lp[pos..], (uint)value.Length);
        value.CopyTo(lp[pos..]);
        SetUsed(needed);
        PackedCount++;
    }

    void ReplaceValue(int pair, ReadOnlySpan<byte> value)
    {
        int used = Used;
        int fieldStart = Varint.Read(Listpack, pair, out int fieldLength);
        int entry = fieldStart + fieldLength;
        int oldEnd = Varint.Read(Listpack, entry, out int oldLength) + oldLength;
        int newEnd = entry + ListpackEntryBytes(value.Length);
        int delta = newEnd - oldEnd;
        if (delta > 0) EnsureRoom(used + delta);
        var lp = Listpack;
        if (delta != 0) lp[oldEnd..used].CopyTo(lp[newEnd..]);
        int pos = entry + Varint.Write(lp[entry..], (uint)value.Length);
        value.CopyTo(lp[pos..]);
        if (delta != 0) SetUsed(used + delta);
    }

    void Reallocate(int capacity)
    {
        var grown = PackedString.AllocateRounded(Key, capacity);
        Listpack[.._listpackLength].CopyTo(PackedString.Value(grown));
        _data = grown;
    }

    // Arrays are allocated in 8-byte steps anyway: capacity up to the next step costs nothing.
}
