using Vermilion.Storage;

namespace Vermilion.Persistence;

/// <summary>
/// What a dataset is written as, key by key: an RDB file (<see cref="RdbFileWriter"/>) or the base
/// of a multi-part AOF as commands (<see cref="AofRewriter"/>, aof-use-rdb-preamble no). A
/// synchronous save feeds every key in one go (<see cref="WriteKey"/>); a fork-less
/// <see cref="Snapshot"/> feeds them in slices and out of turn, so a key may come under another
/// database than the one begun last, and it writes a big value a bounded number of elements at a
/// time (<see cref="BeginKey"/>, <see cref="WriteElements"/>), setting aside the keys it must save
/// meanwhile (<see cref="WriteKeyAside"/>, <see cref="JoinAside"/>).
/// </summary>
public interface IDatasetWriter : IDisposable
{
    /// <summary>The function libraries' code, before any database (rdbSaveFunctions, aof.c rewriteFunctions).</summary>
    void WriteFunctions(IReadOnlyList<byte[]> libraries);
    /// <summary>A database with keys is about to be walked; <paramref name="size"/> and <paramref name="expires"/> are its counts at the cut.</summary>
    void BeginDatabase(int dbIndex, long size, long expires);
    /// <summary>The key at <paramref name="entry"/> of <paramref name="keys"/> (database <paramref name="dbIndex"/>) as it is now, with its deadline, whole.</summary>
    void WriteKey(int dbIndex, Keyspace keys, int entry);
    /// <summary>
    /// Starts the key at <paramref name="entry"/> as <see cref="WriteKey"/> would: true when it
    /// is written whole (a string, a compact encoding); false when its value is element-wise
    /// (<see cref="RdbValue.IsElementWise"/>) and only its deadline, access field, type, key and
    /// length are written: its elements follow through <see cref="WriteElements"/>, and nothing
    /// else may enter the stream until that returns true. The key must not change meanwhile.
    /// </summary>
    bool BeginKey(int dbIndex, Keyspace keys, int entry);
    /// <summary>
    /// More elements of the key begun (the same <paramref name="keys"/> and <paramref name="entry"/>),
    /// while <paramref name="budget"/> lasts (each element costs one, and it is lowered by what was
    /// written); true once the key is complete.
    /// </summary>
    bool WriteElements(Keyspace keys, int entry, ref long budget);
    /// <summary>A whole key while another is half written: into a side buffer that joins the stream at <see cref="JoinAside"/>.</summary>
    void WriteKeyAside(int dbIndex, Keyspace keys, int entry);
    /// <summary>The key begun is complete: what was set aside meanwhile follows it into the stream.</summary>
    void JoinAside();
    /// <summary>Everything written is with the sink when this returns; the writer is done.</summary>
    void Finish();
}
