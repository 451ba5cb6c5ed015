using Vermilion.Storage;

namespace Vermilion.Persistence;

/// <summary>
/// What a dataset is written as, key by key: an RDB file (<see cref="RdbFileWriter"/>) or the base
/// of a multi-part AOF as commands (<see cref="AofRewriter"/>, aof-use-rdb-preamble no). A
/// synchronous save feeds every key in one go; a fork-less <see cref="Snapshot"/> feeds them in
/// slices and out of turn, so a key may come under another database than the one begun last.
/// </summary>
public interface IDatasetWriter : IDisposable
{
    /// <summary>The function libraries' code, before any database (rdbSaveFunctions, aof.c rewriteFunctions).</summary>
    void WriteFunctions(IReadOnlyList<byte[]> libraries);
    /// <summary>A database with keys is about to be walked; <paramref name="size"/> and <paramref name="expires"/> are its counts at the cut.</summary>
    void BeginDatabase(int dbIndex, long size, long expires);
    /// <summary>The key at <paramref name="entry"/> of <paramref name="keys"/> (database <paramref name="dbIndex"/>) as it is now, with its deadline.</summary>
    void WriteKey(int dbIndex, Keyspace keys, int entry);
    /// <summary>Everything written is with the sink when this returns; the writer is done.</summary>
    void Finish();
}
