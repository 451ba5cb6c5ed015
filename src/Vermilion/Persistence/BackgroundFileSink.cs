using System.Collections.Concurrent;

namespace Vermilion.Persistence;

/// <summary>
/// The writing half of a fork-less background save, on a thread of its own: the snapshot's
/// finished chunks arrive in order (<see cref="Accept"/>, on the loop thread) and this thread
/// writes them to the temp file through an <see cref="RdbFileSink"/> (a sync each 4 MB), then,
/// after <see cref="Complete"/>, syncs the file and hands back to <paramref name="commit"/>
/// (rename and directory sync) — what Redis's child does after rdbSaveRio. It owns only the
/// chunks given to it, never live data (Valkey's forkless save crashed when a background
/// thread read structures the loop was changing).
/// </summary>
public sealed class BackgroundFileSink : ISnapshotSink
{
    readonly BlockingCollection<RdbChunk> _queue = new();
    readonly FileStream _file;
    readonly RdbFileSink _sink;
    readonly Func<string?> _commit;
    readonly Thread _thread;
    long _pending;
    volatile bool _cancelled;
    volatile int _state; // 0 writing, 1 done, 2 failed

    /// <summary>Bytes handed over and not yet written: what the save holds beyond the dataset.</summary>
    public long PendingBytes => Interlocked.Read(ref _pending);
    public bool IsFinished => _state != 0;
    public bool Succeeded => _state == 1;
    /// <summary>With a failure: Redis's log text for it.</summary>
    public string? Error { get; private set; }

    /// <param name="file">The temp file, open for writing.</param>
    /// <param name="commit">After the last chunk is written and synced: renames the file into place; null or the error.</param>
    public BackgroundFileSink(FileStream file, bool incrementalFsync, Func<string?> commit)
    {
        _file = file;
        _sink = new RdbFileSink(file, incrementalFsync);
        _commit = commit;
        _thread = new Thread(Run) { IsBackground = true, Name = "vermilion-bgsave" };
        _thread.Start();
    }

    public void Accept(RdbChunk chunk)
    {
        Interlocked.Add(ref _pending, chunk.Length);
        _queue.Add(chunk);
    }

    /// <summary>Every chunk is handed over: finish the file (again: nothing more).</summary>
    public void Complete()
    {
        if (!_queue.IsAddingCompleted) _queue.CompleteAdding();
    }

    void Run()
    {
        string step = "rdbSaveRio";
        try
        {
            foreach (var chunk in _queue.GetConsumingEnumerable())
            {
                long length = chunk.Length;
                if (_cancelled) chunk.Return();
                else _sink.Accept(chunk);
                Interlocked.Add(ref _pending, -length);
            }
            if (_cancelled) return;
            step = "fsync";
            _file.Flush(flushToDisk: true);
            step = "fclose";
            _file.Dispose();
            Error = _commit();
            _state = Error is null ? 1 : 2;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Error = $"Write error saving DB on disk({step}): {e.Message}";
            _state = 2;
            // Drain, so the loop's Accept never blocks and the pool gets its buffers back.
            foreach (var chunk in _queue.GetConsumingEnumerable())
            {
                Interlocked.Add(ref _pending, -chunk.Length);
                chunk.Return();
            }
        }
        finally
        {
            _file.Dispose();
        }
    }

    /// <summary>Stops the thread (a cancelled save: killRDBChild); whatever it had is dropped. The caller removes the temp file.</summary>
    public void Dispose()
    {
        if (!_queue.IsAddingCompleted)
        {
            _cancelled = true;
            _queue.CompleteAdding();
        }
        _thread.Join();
        _queue.Dispose();
    }
}
