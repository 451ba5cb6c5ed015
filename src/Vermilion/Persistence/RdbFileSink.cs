namespace Vermilion.Persistence;

/// <summary>
/// rio's file target as rdbSave uses it: each chunk written to the file as it comes (and given
/// back to the pool), with rdb-save-incremental-fsync a sync every 4 MB (REDIS_AUTOSYNC_BYTES)
/// so the kernel never holds a whole snapshot of dirty pages to flush at the end. Write errors
/// surface as the IOException of the write; the caller abandons the file. (A stream that is not
/// a FileStream, the AOF rewrite's, syncs on its own.)
/// </summary>
public sealed class RdbFileSink(Stream file, bool incrementalFsync) : IRdbChunkSink
{
    public const long AutosyncBytes = 4 * 1024 * 1024;

    long _unsynced;

    public void Accept(RdbChunk chunk)
    {
        try
        {
            file.Write(chunk.Span);
        }
        finally
        {
            chunk.Return();
        }
        _unsynced += chunk.Length;
        if (incrementalFsync && _unsynced >= AutosyncBytes && file is FileStream fs)
        {
            fs.Flush(flushToDisk: true);
            _unsynced = 0;
        }
    }
}
