namespace Vermilion.Storage;

/// <summary>
/// A value that is not a string record: it carries its own key. Most keys never need one: a
/// string set by SET, and a collection in its compact encoding, is a record in the keyspace's
/// <see cref="RecordHeap"/> with its key; commands see such a collection through an instance
/// of its type lent as a view of the record (<see cref="ValueViews"/>). A compact collection
/// not in a keyspace (just created, or a view whose key was deleted) keeps its key in front of
/// its entries in one array (<see cref="PackedString"/>).
/// </summary>
public abstract class StoredObject
{
    public abstract ReadOnlySpan<byte> Key { get; }
    /// <summary>RENAME and MOVE: the same value under another key.</summary>
    public abstract void SetKey(ReadOnlySpan<byte> key);
    public abstract DataType Type { get; }
    /// <summary>Bytes this value holds on the managed heap, key included (used_memory).</summary>
    public abstract long MemoryBytes { get; }
    /// <summary>OBJECT ENCODING's answer for a collection (strings keep theirs in the keyspace entry).</summary>
    public virtual string Encoding => "raw";
    /// <summary>COPY: an independent duplicate under another key.</summary>
    public abstract StoredObject CopyAs(byte[] key);

    /// <summary>The keyspace holding this value, told of every change of <see cref="MemoryBytes"/> through <see cref="Grew"/>.</summary>
    internal Keyspace? Owner;

    /// <summary>A collection calls this whenever its size changes in place, so used_memory stays exact without rescans.</summary>
    protected void Grew(long deltaBytes) => Owner?.ItemResized(deltaBytes);

    // ---- stored as a record (see ValueViews) ----

    /// <summary>The record kind this value is stored as now: <see cref="RecordKind.String"/> (none) unless it is in a compact encoding that lives in a record.</summary>
    internal virtual RecordKind CompactKind => RecordKind.String;
    /// <summary>The length of the record value <see cref="WriteCompact"/> writes.</summary>
    internal virtual int CompactLength => 0;
    /// <summary>The compact encoding as a record's value (the blob and the header the type needs).</summary>
    internal virtual void WriteCompact(Span<byte> into) { }
    /// <summary>Becomes a view of <paramref name="record"/>'s bytes (or, for one being pooled, of nothing), dropping any storage of its own.</summary>
    internal virtual void Bind(RecordView record) => throw new NotSupportedException();
    /// <summary>The record this view reads is leaving the keyspace: keep a copy of its bytes in storage of its own.</summary>
    internal virtual void Materialize() { }

    /// <summary>The size of a byte array on the 64-bit runtime: header, length, data rounded to 8.</summary>
    public static long ArrayBytes(int length) => 24 + ((length + 7L) & ~7L);
}
