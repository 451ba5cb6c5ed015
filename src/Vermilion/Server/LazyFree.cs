using System.Collections.Concurrent;
using Vermilion.Storage;

namespace Vermilion.Server;

/// <summary>
/// Lazy freeing (lazyfree.c): values that cost much to free leave the event loop and are
/// released by a background thread (Redis's BIO_LAZY_FREE). UNLINK, FLUSHALL/FLUSHDB ASYNC and
/// the lazyfree-lazy-* settings send values here; INFO reports lazyfree_pending_objects and
/// lazyfreed_objects as Redis 7.0 counts them (one per value, one per key of a flushed database).
///
/// What it does here: a deleted collection is a managed object, and dropping the last reference
/// to it is O(1) wherever it happens, so for one the thread only drops the reference the queue
/// held and counts it (string records are freed on the loop: one slot each, or one munmap for a
/// big one). A flushed keyspace is the case with real work in it: every page of its string
/// records goes back to the kernel (munmap, which for gigabytes takes the kernel a while) and
/// its object table is dropped, here, off the loop, as Redis's thread does its free() calls.
/// Small values (an effort of at most 64 elements, LAZYFREE_THRESHOLD) are not queued at all.
/// </summary>
public sealed class LazyFree : IDisposable
{
    /// <summary>LAZYFREE_THRESHOLD: values of at most this effort are freed at once.</summary>
    public const long Threshold = 64;

    readonly Stats _stats;
    readonly BlockingCollection<(object Item, long Count)> _queue = new();
    Thread? _thread;
    long _pending;

    public LazyFree(Stats stats) => _stats = stats;

    /// <summary>lazyfree_pending_objects: values (and keys of flushed databases) queued and not yet released.</summary>
    public long Pending => Interlocked.Read(ref _pending);

    /// <summary>
    /// lazyfreeGetFreeEffort: how much work freeing the value takes, in elements (a list's
    /// nodes, a table's entries); the compact encodings are one allocation.
    /// </summary>
    public static long FreeEffort(StoredObject value) => value switch
    {
        QuickList list => list.NodeCount,
        SetValue { IsIntSet: false } set => set.Count,
        HashValue { IsListpack: false } hash => hash.Count,
        SortedSetValue { IsPacked: false } zset => zset.Count,
        StreamValue stream => stream.FreeEffort,
        _ => 1,
    };

    /// <summary>freeObjAsync: a deleted value goes to the background when its effort is above the threshold; true if it did.</summary>
    public bool Free(StoredObject value)
    {
        if (FreeEffort(value) <= Threshold) return false;
        Enqueue(value, 1);
        return true;
    }

    /// <summary>emptyDbAsync: a whole flushed keyspace, counted as its keys.</summary>
    public void FreeKeyspace(Keyspace keys)
    {
        if (keys.Count == 0) return;
        Enqueue(keys, keys.Count);
    }

    void Enqueue(object item, long count)
    {
        Interlocked.Add(ref _pending, count);
        // The thread starts with the first job: servers that never free lazily (most tests) have none.
        if (_thread is null)
        {
            _thread = new Thread(Run) { IsBackground = true, Name = "lazyfree" };
            _thread.Start();
        }
        _queue.Add((item, count));
    }

    void Run()
    {
        foreach (var (item, count) in _queue.GetConsumingEnumerable())
        {
            if (item is Keyspace keys) keys.Release();
            Interlocked.Add(ref _pending, -count);
            Interlocked.Add(ref _stats.LazyfreedObjects, count);
        }
    }

    /// <summary>Waits (briefly) for the queue to drain; tests and shutdown use it.</summary>
    public bool WaitIdle(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (Pending > 0)
        {
            if (DateTime.UtcNow > deadline) return false;
            Thread.Sleep(1);
        }
        return true;
    }

    public void Dispose() => _queue.CompleteAdding();
}

public sealed partial class VermilionServer
{
    /// <summary>The background freeing of big values (lazyfree.c's BIO_LAZY_FREE jobs).</summary>
    public LazyFree LazyFree { get; }

    /// <summary>
    /// dbGenericDelete: the key is gone and notified as "del"; when <paramref name="lazy"/> (UNLINK,
    /// or the lazyfree-lazy-user-del / -server-del setting) a big value is freed in the background.
    /// </summary>
    public bool DeleteKey(Db db, ReadOnlySpan<byte> key, bool lazy)
    {
        if (!db.Remove(key, out var value)) return false;
        if (lazy && value is not null) LazyFree.Free(value);
        Notify(NotifyFlags.Generic, "del", db, key);
        return true;
    }

    /// <summary>Expiry and eviction: lazyfree-lazy-expire and lazyfree-lazy-eviction choose the background.</summary>
    void OnValueDropped(StoredObject value, KeyRemoval why)
    {
        if (why == KeyRemoval.Expired ? Config.LazyfreeLazyExpire : Config.LazyfreeLazyEviction) LazyFree.Free(value);
    }

    /// <summary>
    /// FLUSHDB/FLUSHALL: the database is emptied at once; with ASYNC (or lazyfree-lazy-user-flush
    /// and no SYNC) the old keyspace goes to the lazyfree thread, otherwise it is dropped here.
    /// Returns how many keys went: emptyData's count, which FLUSHDB/FLUSHALL add to server.dirty.
    /// </summary>
    public long EmptyDb(Db db, bool async)
    {
        TouchAllWatchedKeysInDb(db);
        var old = db.Clear();
        if (old is null) return 0;
        long removed = old.Count;
        // A background save that has not written this keyspace yet keeps reading it, and frees it when done.
        if (SnapshotAdopts(old)) return removed;
        if (async) LazyFree.FreeKeyspace(old);
        else old.Release();
        return removed;
    }
}
