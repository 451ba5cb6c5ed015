namespace Vermilion.Storage;

/// <summary>
/// What a keyspace record holds (4 bits of the entry's metadata, see <see cref="Keyspace"/>): a
/// string, or a collection in its compact encoding, whose blob is the record's value so the key
/// has no managed object while it sits in the keyspace (see <see cref="ValueViews"/>).
/// </summary>
public enum RecordKind : byte
{
    String = 0,
    /// <summary>A listpack hash: [field/value count, int32][the entries, <see cref="HashValue"/>'s layout].</summary>
    Hash = 1,
    /// <summary>An intset set: the <see cref="IntSet"/>'s header and elements.</summary>
    IntSet = 2,
    /// <summary>A listpack sorted set: [entry count, int32][the entries, <see cref="SortedSetValue"/>'s layout].</summary>
    SortedSet = 3,
    /// <summary>A list of one node: [fill, int32][the node, <see cref="QuickList"/>'s layout, with no spare room].</summary>
    List = 4,
}
