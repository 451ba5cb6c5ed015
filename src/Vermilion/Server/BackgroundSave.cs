using System.Diagnostics;
using Vermilion.Net;
using Vermilion.Persistence;
using Vermilion.Storage;

namespace Vermilion.Server;

/// <summary>
/// BGSAVE and the AOF rewrite's base without fork (rdb.c rdbSaveBackground, aof.c
/// rewriteAppendOnlyFileBackground, server.c checkChildrenDone, killRDBChild). .NET cannot fork,
/// so the point-in-time copy Redis gets from the kernel's copy-on-write is made by
/// <see cref="Snapshot"/>: the cut is taken when the command answers, a time event writes the
/// keys in slices of at most ~1 ms between events, and a key is written before the first command
/// that touches it; the chunks go to a writer thread (<see cref="BackgroundFileSink"/>) that
/// writes, syncs and (for BGSAVE) renames the file. One runs at a time, as Redis runs one child.
/// The server keeps Redis's books: rdb_bgsave_in_progress, the dirty count at the start,
/// lastbgsave_status, the scheduled save, the save points' retry delay.
/// </summary>
public sealed partial class VermilionServer
{
    /// <summary>A slice of the walk and the iteration it shares: the longest the loop is held for a background save (the issue's ~1 ms).</summary>
    static readonly long SliceTicks = Stopwatch.Frequency / 1000;

    Snapshot? _snapshot;
    ISnapshotSink? _snapshotSink;
    string? _snapshotTemp;
    Action<bool, string?>? _snapshotDone;
    bool _snapshotForAof, _snapshotForReplicas, _bgsaveScheduled;
    long _snapshotStartedMs, _dirtyBeforeBgsave, _keyDelayClock;

    /// <summary>server.child_type == CHILD_TYPE_RDB: a BGSAVE is running.</summary>
    public bool BackgroundSaveInProgress => _snapshot is not null && !_snapshotForAof;
    /// <summary>current_save_keys_processed / _total (a rewrite's too, as Redis reports its child's).</summary>
    public long SaveKeysProcessed => _snapshot?.KeysProcessed ?? 0;
    public long SaveKeysTotal => _snapshot?.KeysTotal ?? 0;
    /// <summary>current_cow_size's counterpart: bytes the save holds beyond the dataset (chunks not yet written, flushed keyspaces it still reads).</summary>
    public long SnapshotExtraBytes => (_snapshotSink?.PendingBytes ?? 0) + (_snapshot?.AdoptedBytes ?? 0);
    /// <summary>rdb_current_bgsave_time_sec: -1 when none runs.</summary>
    public long CurrentBgsaveSeconds => BackgroundSaveInProgress ? (UnixTimeMs - _snapshotStartedMs) / 1000 : -1;

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
        RdbSaves++;
        Log.Notice($"Background saving started by pid {Environment.ProcessId}");
        var sink = new BackgroundFileSink(file, Config.RdbSaveIncrementalFsync, () => CommitRdbFile(temp, target));
        StartSnapshot(sink, temp, forAof: false, NewRdbFile(sink), FinishBackgroundSave);
        return true;
    }

    /// <summary>
    /// rdbSaveToSlavesSockets without the child: a snapshot cut now whose chunks go to <paramref name="sink"/>
    /// (replicas' output); <paramref name="done"/> runs when it is sent or has failed. Counts as a BGSAVE
    /// in progress, as Redis's diskless child does.
    /// </summary>
    internal void StartReplicaSnapshot(ISnapshotSink sink, Action<bool, string?> done)
    {
        StartSnapshot(sink, temp: null, forAof: false, NewRdbFile(sink), done);
        _snapshotForReplicas = true;
    }

    /// <summary>
    /// The AOF rewrite's base, an RDB image (<paramref name="rdbPreamble"/>) or commands, at the
    /// cut the rewrite has just made: <paramref name="done"/> runs once <paramref name="tempBase"/>
    /// is written and synced (or failed); false when the file cannot be created.
    /// </summary>
    internal bool StartAofBaseSnapshot(string tempBase, bool rdbPreamble, Action<bool> done)
    {
        if (_snapshot is not null) return false;
        FileStream file;
        try
        {
            file = new FileStream(tempBase, FileMode.Create, FileAccess.Write, FileShare.Read, bufferSize: 0);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Log.Warning($"Opening the temp file for AOF rewrite in rewriteAppendOnlyFile(): {ErrorReason(e)}");
            return false;
        }
        long? timestamp = Config.AofTimestampEnabled ? UnixTime : null;
        var sink = new BackgroundFileSink(file, Config.AofRewriteIncrementalFsync, () => null);
        StartSnapshot(sink, tempBase, forAof: true, rdbPreamble ? NewRdbFile(sink, aofBase: true) : new AofRewriter(sink, timestamp), (ok, error) =>
        {
            if (error is not null) Log.Warning(error);
            done(ok);
        });
        return true;
    }

    void StartSnapshot(ISnapshotSink sink, string? temp, bool forAof, IDatasetWriter writer, Action<bool, string?> done)
    {
        _snapshotTemp = temp;
        _snapshotForAof = forAof;
        _snapshotForReplicas = false;
        _snapshotDone = done;
        _snapshotSink = sink;
        var keyspaces = new Keyspace[Databases.Length];
        for (int i = 0; i < keyspaces.Length; i++) keyspaces[i] = Databases[i].Keys;
        // The libraries as they are at the cut (their code is immutable): written first, as Redis does.
        writer.WriteFunctions(LibraryCodes());
        _snapshot = new Snapshot(writer, keyspaces, keys => keys.Release());
        _snapshotStartedMs = UnixTimeMs;
        _keyDelayClock = Stopwatch.GetTimestamp();
        Loop.CreateTimeEvent(0, (_, _) => SnapshotStep());
    }

    /// <summary>
    /// The time event of a running snapshot: one slice of the walk, then (once the file is
    /// complete) wait for the writer thread and finish. rdb-key-save-delay paces the walk (one
    /// key, or one element of a big value, per that many µs: so tests can land writes while a big
    /// value is half written) without holding the loop.
    /// </summary>
    long SnapshotStep()
    {
        var snapshot = _snapshot;
        if (snapshot is null) return EventLoop.NoMore;
        var sink = _snapshotSink!;
        long now = Stopwatch.GetTimestamp();
        // The writer thread is behind by more than 64 MB (or failed): let it catch up rather than buffer the dataset.
        if (!sink.IsFinished && sink.PendingBytes < 64L << 20)
        {
            long maxKeys = long.MaxValue;
            if (Config.RdbKeySaveDelay > 0)
            {
                long per = Config.RdbKeySaveDelay * Stopwatch.Frequency / 1_000_000;
                maxKeys = (now - _keyDelayClock) / per;
                _keyDelayClock += maxKeys * per;
            }
            // The slice shares the iteration's ~1 ms with the commands it ran: under a full load
            // the walk takes what is left, at least a quarter (measured before: 3.5 ms iterations
            // of churn alone grew to 4.7 ms with a whole slice on top). Once the walk is over,
            // every turn says so; completing the sink again is a no-op.
            long spent = _iterationStart != 0 ? now - _iterationStart : 0;
            if (snapshot.Step(now + Math.Max(SliceTicks / 4, SliceTicks - spent), maxKeys)) sink.Complete();
        }
        if (!sink.IsFinished) return 0;
        bool ok = sink.Succeeded;
        string? error = sink.Error;
        var done = _snapshotDone!;
        string? temp = _snapshotTemp;
        EndSnapshot();
        if (!ok && temp is not null) TryDelete(temp);
        done(ok, error);
        return EventLoop.NoMore;
    }

    /// <summary>backgroundSaveDoneHandlerDisk: the books of a BGSAVE that ended (not a cancelled one).</summary>
    void FinishBackgroundSave(bool ok, string? error)
    {
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
        }
    }

    /// <summary>killRDBChild: a running BGSAVE stops (FLUSHALL, SHUTDOWN, a SAVE); its temp file goes, lastbgsave_status stays.</summary>
    public void CancelBackgroundSave()
    {
        if (!BackgroundSaveInProgress) return;
        CancelSnapshot();
        Log.Warning("Background saving terminated by signal 10");
    }

    /// <summary>
    /// Any running snapshot stops, a rewrite's too (killAppendOnlyChild: the rewrite fails): what
    /// must happen before the keyspaces it reads are released (DEBUG RELOAD, SHUTDOWN).
    /// </summary>
    internal void CancelSnapshot()
    {
        if (_snapshot is null) return;
        string? temp = _snapshotTemp;
        bool forAof = _snapshotForAof, forReplicas = _snapshotForReplicas;
        var done = _snapshotDone!;
        EndSnapshot();
        if (temp is not null) TryDelete(temp);
        if (forAof) done(false, "Killing running AOF rewrite child");
        // The replicas it was for must sync again: they are dropped, as a killed diskless child's are.
        else if (forReplicas) done(false, null);
    }

    void EndSnapshot()
    {
        _snapshot!.Dispose();
        _snapshotSink!.Dispose();
        _snapshot = null;
        _snapshotSink = null;
        _snapshotDone = null;
        _snapshotTemp = null;
    }

    /// <summary>A keyspace flushed while a snapshot runs: the snapshot may still need it, and frees it when done.</summary>
    internal bool SnapshotAdopts(Keyspace flushed) => _snapshot?.Adopt(flushed) == true;

    /// <summary>rdb_bgsave_scheduled = 1: the cron starts it once nothing else runs.</summary>
    public void ScheduleBackgroundSave() => _bgsaveScheduled = true;

    /// <summary>serverCron: a scheduled BGSAVE starts once nothing else runs.</summary>
    void BackgroundSaveCron()
    {
        if (_bgsaveScheduled && !HasActiveChildProcess)
        {
            _bgsaveScheduled = false;
            StartBackgroundSave();
        }
    }
}
