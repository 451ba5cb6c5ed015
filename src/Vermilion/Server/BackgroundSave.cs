using System.Diagnostics;
using Vermilion.Net;
using Vermilion.Persistence;
using Vermilion.Storage;

namespace Vermilion.Server;

/// <summary>
/// BGSAVE without fork (rdb.c rdbSaveBackground, server.c checkChildrenDone →
/// backgroundSaveDoneHandler, killRDBChild). .NET cannot fork, so the point-in-time copy that
/// Redis gets from the kernel's copy-on-write is made by <see cref="Snapshot"/>: the cut is taken
/// when BGSAVE answers, a time event writes the keys in slices of at most ~1 ms between events,
/// and a key is written before the first command that touches it; the chunks go to a writer
/// thread (<see cref="BackgroundFileSink"/>) that writes, syncs and renames the file. The server
/// keeps Redis's books: rdb_bgsave_in_progress, the dirty count at the start, lastbgsave_status,
/// the scheduled save, the save points' retry delay.
/// </summary>
public sealed partial class VermilionServer
{
    /// <summary>A slice of the walk: the longest the loop is held for a background save (the issue's ~1 ms).</summary>
    static readonly long SliceTicks = Stopwatch.Frequency / 1000;

    Snapshot? _snapshot;
    BackgroundFileSink? _snapshotSink;
    string? _snapshotTemp;
    long _snapshotStartedMs, _dirtyBeforeBgsave, _keyDelayClock;
    bool _bgsaveScheduled;

    /// <summary>server.child_type == CHILD_TYPE_RDB: a background save is running.</summary>
    public bool BackgroundSaveInProgress => _snapshot is not null;
    /// <summary>rdb_bgsave_scheduled: BGSAVE SCHEDULE (or BGSAVE inside EXEC) waits for the running rewrite.</summary>
    public bool BackgroundSaveScheduled => _bgsaveScheduled;
    /// <summary>current_save_keys_processed / _total.</summary>
    public long SaveKeysProcessed => _snapshot?.KeysProcessed ?? 0;
    public long SaveKeysTotal => _snapshot?.KeysTotal ?? 0;
    /// <summary>current_cow_size's counterpart: bytes the save holds beyond the dataset (chunks not yet written, flushed keyspaces it still reads).</summary>
    public long SnapshotExtraBytes => (_snapshotSink?.PendingBytes ?? 0) + (_snapshot?.AdoptedBytes ?? 0);
    /// <summary>rdb_current_bgsave_time_sec: -1 when none runs.</summary>
    public long CurrentBgsaveSeconds => _snapshot is null ? -1 : (UnixTimeMs - _snapshotStartedMs) / 1000;

    /// <summary>
    /// bgsaveCommand's start (rdbSaveBackground): false, logged, when the temp file cannot be
    /// opened. The cut is now: what the file holds is the dataset as this returns.
    /// </summary>
    public bool StartBackgroundSave()
    {
        if (_snapshot is not null) return false;
        _dirtyBeforeBgsave = Dirty;
        _lastBgsaveTry = UnixTime;
        string target = RdbFilePath;
        if (OpenTempRdb(out string temp) is not { } file)
        {
            LastBgsaveOk = false;
            return false;
        }
        _snapshotTemp = temp;
        _snapshotSink = new BackgroundFileSink(file, Config.RdbSaveIncrementalFsync, () => CommitRdbFile(temp, target));
        var keyspaces = new Keyspace[Databases.Length];
        for (int i = 0; i < keyspaces.Length; i++) keyspaces[i] = Databases[i].Keys;
        _snapshot = new Snapshot(new RdbFileWriter(_snapshotSink, SnapshotOptions(), Eviction), keyspaces, ReleaseFlushedKeyspace);
        _snapshotStartedMs = UnixTimeMs;
        _keyDelayClock = Stopwatch.GetTimestamp();
        RdbSaves++;
        Log.Notice($"Background saving started by pid {Environment.ProcessId}");
        Loop.CreateTimeEvent(0, (_, _) => BackgroundSaveStep());
        return true;
    }

    /// <summary>
    /// The time event of a running save: one slice of the walk, then (once the file is
    /// complete) wait for the writer thread and finish as backgroundSaveDoneHandler.
    /// rdb-key-save-delay paces the walk (one key per that many µs) without holding the loop.
    /// </summary>
    long BackgroundSaveStep()
    {
        var snapshot = _snapshot;
        if (snapshot is null) return EventLoop.NoMore;
        var sink = _snapshotSink!;
        if (sink.IsFinished && !sink.Succeeded)
        {
            FinishBackgroundSave(ok: false, sink.Error);
            return EventLoop.NoMore;
        }
        long now = Stopwatch.GetTimestamp();
        // The writer thread is behind by more than 64 MB: let it catch up rather than buffer the dataset.
        if (sink.PendingBytes < 64L << 20)
        {
            long maxKeys = long.MaxValue;
            if (Config.RdbKeySaveDelay > 0)
            {
                long per = Config.RdbKeySaveDelay * Stopwatch.Frequency / 1_000_000;
                maxKeys = (now - _keyDelayClock) / per;
                _keyDelayClock += maxKeys * per;
            }
            if (snapshot.Step(now + SliceTicks, maxKeys) && !_snapshotCompleted)
            {
                _snapshotCompleted = true;
                sink.Complete();
            }
        }
        if (!sink.IsFinished) return 0;
        FinishBackgroundSave(sink.Succeeded, sink.Error);
        return EventLoop.NoMore;
    }

    bool _snapshotCompleted;

    /// <summary>backgroundSaveDoneHandlerDisk: the books of a save that ended (not a cancelled one).</summary>
    void FinishBackgroundSave(bool ok, string? error)
    {
        EndSnapshot();
        RdbLastSaveSeconds = (UnixTimeMs - _snapshotStartedMs) / 1000;
        if (ok)
        {
            Log.Notice("DB saved on disk");
            Log.Notice("Background saving terminated with success");
            Dirty -= _dirtyBeforeBgsave;
            _lastSave = UnixTime;
            LastBgsaveOk = true;
        }
        else
        {
            if (error is not null) Log.Warning(error);
            Log.Warning("Background saving error");
            LastBgsaveOk = false;
            TryDelete(_snapshotTemp!);
        }
        _snapshotTemp = null;
    }

    /// <summary>killRDBChild: a running save stops (FLUSHALL, SHUTDOWN, DEBUG RELOAD); its temp file goes, lastbgsave_status stays.</summary>
    public void CancelBackgroundSave()
    {
        if (_snapshot is null) return;
        EndSnapshot();
        TryDelete(_snapshotTemp!);
        _snapshotTemp = null;
        Log.Warning("Background saving terminated by signal 10");
    }

    void EndSnapshot()
    {
        _snapshot!.Dispose();
        _snapshotSink!.Dispose();
        _snapshot = null;
        _snapshotSink = null;
        _snapshotCompleted = false;
    }

    /// <summary>A keyspace flushed while a save runs: the save may still need it, and frees it when done.</summary>
    internal bool SnapshotAdopts(Keyspace flushed) => _snapshot?.Adopt(flushed) == true;

    void ReleaseFlushedKeyspace(Keyspace keys) => keys.Release();

    /// <summary>rdb_bgsave_scheduled = 1: the cron starts it once nothing else runs.</summary>
    public void ScheduleBackgroundSave() => _bgsaveScheduled = true;

    /// <summary>serverCron: a scheduled BGSAVE starts once nothing else runs.</summary>
    void BackgroundSaveCron()
    {
        if (_bgsaveScheduled && _snapshot is null && !Aof.RewriteInProgress)
        {
            _bgsaveScheduled = false;
            StartBackgroundSave();
        }
    }
}
