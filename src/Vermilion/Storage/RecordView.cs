namespace Vermilion.Storage;

/// <summary>
/// The record a lent view reads and writes: which keyspace entry it belongs to and where the
/// record is now (a view that outgrows its slot moves the record and updates both). A collection
/// in view mode holds one of these where it would hold its own array; the pair (this, its
/// <see cref="View"/>) is what <see cref="ValueViews"/> lends and pools.
/// </summary>
public sealed class RecordView
{
    internal Keyspace? Keys;
    internal int Entry = -1;
    internal long Address;
    internal RecordKind Kind;
    /// <summary>The collection that reads this record while lent; it is parked on this binding while pooled.</summary>
    internal StoredObject View = null!;
    /// <summary>The view left its compact encoding and is now the entry's managed object: it never goes back to the pool.</summary>
    internal bool Promoted;

    public bool IsBound => Address != 0;

    /// <summary>The record's value. A parked view has none: touching it is a bug (a view kept past its command), not a crash.</summary>
    public Span<byte> Value => Address != 0 ? RecordHeap.Value(Address) : throw new InvalidOperationException("a collection view was used after its command");

    public ReadOnlySpan<byte> Key => Address != 0 ? RecordHeap.Key(Address) : throw new InvalidOperationException("a collection view was used after its command");

    /// <summary>The value is now <paramref name="length"/> bytes (the prefix kept, anything added unset), moving the record if its slot is too small or too large.</summary>
    public Span<byte> Resize(int length)
    {
        Address = Keys!.ResizeRecord(Entry, Address, length);
        return RecordHeap.Value(Address);
    }

    /// <summary>The view converted to its big encoding: the entry now holds it as a managed object (see <see cref="Keyspace.Promote"/>).</summary>
    internal void Promote(StoredObject value, bool countNow = false)
    {
        Keys!.Promote(Entry, value, countNow);
        Promoted = true;
        Keys = null;
        Entry = -1;
        Address = 0;
    }
}
