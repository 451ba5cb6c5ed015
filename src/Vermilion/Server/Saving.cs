using System.Diagnostics;
using System.Globalization;
using Vermilion.Net;
using Vermilion.Persistence;
using Vermilion.Storage;

namespace Vermilion.Server;

/// <summary>
/// RDB persistence as the server uses it (rdb.c rdbSave/rdbLoad, server.c's save points and
/// finishShutdown, db.c flushAllDataAndResetRDB, debug.c DEBUG RELOAD): the dataset written to
/// dir/dbfilename through a temp file, fsynced, renamed and the directory fsynced; loaded into
/// fresh databases that replace the live ones only once the whole file has loaded; and the
/// counters INFO persistence shows. The file format itself is Persistence/RdbFileWriter and
/// RdbFileLoader.
/// </summary>
public sealed partial class VermilionServer
{
    /// <summary>CONFIG_BGSAVE_RETRY_DELAY: after a failed save, a save point waits this long before trying again.</summary>
    const int BgsaveRetryDelaySeconds = 5;

    long _lastSave = -1, _lastBgsaveTry;

    /// <summary>server.lastsave (LASTSAVE, rdb_last_save_time): the last successful save, Unix seconds; the start until then, as Redis counts the dataset saved at startup.</summary>
    public long LastSave => _lastSave < 0 ? StartedAtMs / 1000 : _lastSave;
    /// <summary>server.lastbgsave_status (rdb_last_bgsave_status): false after a save point's save failed.</summary>
    public bool LastBgsaveOk { get; private set; } = true;
    /// <summary>stat_rdb_saves: SAVE commands and save points' saves, successful or not.</summary>
    public long RdbSaves { get; private set; }
    /// <summary>rdb_save_time_last (rdb_last_bgsave_time_sec): seconds the last save point's save took; -1 before the first.</summary>
    public long RdbLastSaveSeconds { get; private set; } = -1;
    /// <summary>rdb_last_load_keys_loaded / _expired: what the last load kept and dropped.</summary>
    public long RdbLastLoadKeysLoaded { get; private set; }
    public long RdbLastLoadKeysExpired { get; private set; }
    /// <summary>DEBUG SET-SKIP-CHECKSUM-VALIDATION: loads do not compare the RDB trailer.</summary>
    public bool SkipChecksumValidation { get; set; }


    /// <summary>dir/dbfilename, absolute (dir is where Redis chdir'ed to; the process's directory may have moved since for another server in the same process).</summary>
    public string RdbFilePath => Path.Combine(Path.GetFullPath(Config.Dir), Config.DbFilename);

    /// <summary>How a snapshot of this server is written now (rdbSaveInfoAuxFields and the config): for SAVE here and for a background save.</summary>
    public RdbFileOptions SnapshotOptions(bool aofBase = false) => new()
    {
        Compression = Config.RdbCompression,
        Checksum = Config.RdbChecksum,
        CreatedAt = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
        UsedMemory = UsedMemory(),
        AofBase = aofBase,
        Policy = Config.MaxMemoryPolicy,
        // An AOF base does not carry it (rewriteAppendOnlyFile saves with no rdbSaveInfo).
        Replication = aofBase ? null : Primary.SaveInfo(),
    };

    // ---- saving ------------------------------------------------------------------------------

    /// <summary>saveCommand: counted in rdb_saves whether it succeeds or not.</summary>
    public bool SaveCommand()
    {
        RdbSaves++;
        return RdbSave();
    }

    /// <summary>
    /// rdbSave: the whole dataset, synchronously, to temp-&lt;pid&gt;.rdb in dir (fsynced each 4 MB
    /// with rdb-save-incremental-fsync, then fsynced), renamed over dbfilename, the directory
    /// fsynced. Success resets dirty and sets lastsave; a failure is logged with Redis's lines
    /// and leaves the old file as it was.
    /// </summary>
    public bool RdbSave()
    {
        // rdbSave while a background save runs would race it for the temp file: Redis's callers kill the child first.
        CancelBackgroundSave();
        if (OpenTempRdb(out string temp) is not { } file) return false;
        string step = "rdbSaveRio";
        try
        {
            using (file)
            {
                WriteDataset(NewRdbFile(new RdbFileSink(file, Config.RdbSaveIncrementalFsync)));
                step = "fsync";
                file.Flush(flushToDisk: true);
                step = "fclose";
            }
        }
        catch (Exception e)
        {
            Log.Warning($"Write error saving DB on disk({step}): {ErrorReason(e)}");
            TryDelete(temp);
            return false;
        }
        if (CommitRdbFile(temp, RdbFilePath) is { } error)
        {
            Log.Warning(error);
            return false;
        }
        Log.Notice("DB saved on disk");
        Dirty = 0;
        _lastSave = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        LastBgsaveOk = true;
        return true;
    }

    /// <summary>temp-&lt;pid&gt;.rdb in dir, created for writing; null (logged as Redis logs it) when it cannot be.</summary>
    FileStream? OpenTempRdb(out string temp)
    {
        string dir = Path.GetDirectoryName(RdbFilePath)!, tempName = $"temp-{Environment.ProcessId}.rdb";
        temp = Path.Combine(dir, tempName);
        try
        {
            return new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.Read, bufferSize: 0);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Log.Warning($"Failed opening the temp RDB file {tempName} (in server root dir {dir}) for saving: {ErrorReason(e)}");
            return null;
        }
    }

    /// <summary>
    /// A written and synced temp file renamed over <paramref name="target"/>, then the directory
    /// synced so the rename survives a crash. Null, or Redis's log line for what failed (the temp
    /// file is removed). Touches no server state: a background save's thread calls it.
    /// </summary>
    string? CommitRdbFile(string temp, string target)
    {
        string dir = Path.GetDirectoryName(target)!;
        try
        {
            File.Move(temp, target, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TryDelete(temp);
            return $"Error moving temp DB file {Path.GetFileName(temp)} on the final destination {Path.GetFileName(target)} (in server root dir {dir}): {ErrorReason(e)}";
        }
        int errno = Native.SyncDirectory(dir);
        return errno == 0 ? null : $"Write error saving DB on disk(fsyncFileDir): {Native.StrError(errno)}";
    }

    /// <summary>rdbSaveRio (or rewriteAppendOnlyFileRio) over the live dataset in one go: every non-empty database, every key (expired ones too, as Redis), then the end (an RDB's EOF and checksum).</summary>
    internal void WriteDataset(IDatasetWriter file)
    {
        using (file)
        {
            file.WriteFunctions(LibraryCodes());
            for (int i = 0; i < Databases.Length; i++)
            {
                var keys = Databases[i].Keys;
                if (keys.Count == 0) continue;
                file.BeginDatabase(i, keys.Count, keys.VolatileCount);
                foreach (int entry in keys.Entries())
                {
                    file.WriteKey(i, keys, entry);
                    if (Config.RdbKeySaveDelay != 0) DebugDelay(Config.RdbKeySaveDelay);
                }
            }
            file.Finish();
        }
    }

    /// <summary>The RDB file a save writes into <paramref name="sink"/> (the AOF's base, with aof-base set, when <paramref name="aofBase"/>).</summary>
    RdbFileWriter NewRdbFile(IRdbChunkSink sink, bool aofBase = false) => new(sink, SnapshotOptions(aofBase), Eviction);

    /// <summary>debugDelay: a negative value sleeps 1 µs with probability 1/-N (short sleeps made statistically), a positive one that many µs.</summary>
    void DebugDelay(int microseconds)
    {
        if (microseconds < 0) microseconds = Random.Next(-microseconds) == 0 ? 1 : 0;
        if (microseconds == 0) return;
        long until = Stopwatch.GetTimestamp() + microseconds * Stopwatch.Frequency / 1_000_000;
        if (microseconds >= 2000) Thread.Sleep(microseconds / 1000);
        while (Stopwatch.GetTimestamp() < until) Thread.SpinWait(20);
    }

    /// <summary>
    /// serverCron's save points: the first whose changes and seconds have both passed saves,
    /// unless the last save point's save failed less than 5 s ago. Only when no background
    /// save runs.
    /// </summary>
    void SavePointsCron()
    {
        if (HasActiveChildProcess) return;
        foreach (var (seconds, changes) in Config.SaveParams)
        {
            if (Dirty >= changes && UnixTime - LastSave > seconds
                && (UnixTime - _lastBgsaveTry > BgsaveRetryDelaySeconds || LastBgsaveOk))
            {
                Log.Notice($"{changes} changes in {seconds} seconds. Saving...");
                SaveForSavePoint();
                break;
            }
        }
    }

    /// <summary>What a save point starts: rdbSaveBackground, the fork-less BGSAVE (Server/BackgroundSave.cs).</summary>
    void SaveForSavePoint() => StartBackgroundSave();

    /// <summary>
    /// flushAllDataAndResetRDB's tail, after FLUSHALL emptied every database: the keys removed
    /// count as changes, and with save points the empty dataset is saved at once (so a restart
    /// does not bring the old keys back), which resets dirty.
    /// </summary>
    public void ResetRdbAfterFlushAll(long keysRemoved)
    {
        Dirty += keysRemoved;
        // killRDBChild: a background save of the data just flushed is dropped, as Redis kills its child.
        CancelBackgroundSave();
        if (Config.SaveParams.Count > 0) RdbSave();
    }

    /// <summary>
    /// finishShutdown's save: with save points unless NOSAVE, or with SAVE. False (logged) when
    /// it failed and FORCE was not given: the shutdown is cancelled and the server goes on.
    /// </summary>
    internal bool SaveBeforeShutdown(ShutdownFlags flags)
    {
        bool save = (flags & ShutdownFlags.Save) != 0, nosave = (flags & ShutdownFlags.NoSave) != 0;
        if (!((Config.SaveParams.Count > 0 && !nosave) || save)) return true;
        Log.Notice("Saving the final RDB snapshot before exiting.");
        if (RdbSave()) return true;
        if ((flags & ShutdownFlags.Force) != 0)
        {
            Log.Warning("Error trying to save the DB. Exit anyway.");
            return true;
        }
        Log.Warning("Error trying to save the DB, can't exit.");
        Log.Warning("Errors trying to shut down the server. Check the logs for more information.");
        return false;
    }

    // ---- loading -----------------------------------------------------------------------------

    /// <summary>
    /// The AOF's RDB hooks (aof-use-rdb-preamble): a base written as an RDB image with aof-base
    /// set, and a base (or an old AOF's preamble) loaded with its expired keys kept, into the
    /// live databases (startup: nothing is served yet, and a failure exits), leaving the stream
    /// just past the image so an old AOF's commands can follow.
    /// </summary>
    void AttachRdbToAof()
    {
        Aof.RdbWriter = stream => WriteDataset(NewRdbFile(new RdbFileSink(stream, incrementalFsync: false), aofBase: true));
        Aof.RdbLoader = stream =>
        {
            long start = stream.Position;
            RdbFileLoader? loader = null;
            var functions = new FunctionSet();
            loader = new RdbFileLoader(Config, Databases, Log, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds())
            {
                AofBase = true,
                LoadLibrary = code => LoadLibraryFromRdb(functions, code, replace: false),
                VerifyChecksum = Config.RdbChecksum && !SkipChecksumValidation,
                // rdbLoadRio's progress callback: the base is the AOF's first file, so its offset is the load's.
                Progress = position => LoadingAbsProgress(start + position, loader!),
                ProgressInterval = Config.LoadingProcessEventsIntervalBytes,
                KeyRead = Config.KeyLoadDelay != 0 ? () => DebugDelay(Config.KeyLoadDelay) : null,
            };
            bool loaded = loader.Load(stream);
            RdbLastLoadKeysLoaded = loader.KeysLoaded;
            RdbLastLoadKeysExpired = loader.KeysExpired;
            if (!loaded || !JoinLoadedFunctions(functions, flush: false, merge: false))
            {
                DiscardFunctionSet(functions);
                if (!loader.Interrupted) Log.Warning($"Fatal error loading the AOF base: {loader.Error ?? "its libraries collide with loaded ones"}");
                return false;
            }
            if (stream.CanSeek) stream.Position = start + loader.BytesRead;
            // loadingAbsProgress(ftello(fp)) once the image is read: the commands after it count from here.
            LoadingLoadedBytes = start + loader.BytesRead;
            return true;
        };
    }

    /// <summary>
    /// loadDataFromDisk's RDB half, listening (other clients get -LOADING): dir/dbfilename when
    /// it exists. False when it cannot be loaded whole (the reason is logged): the server must
    /// exit rather than serve part of the data. A load stopped by a shutdown is not a failure.
    /// </summary>
    bool LoadRdbOnStart()
    {
        string path = RdbFilePath;
        if (!File.Exists(path)) return true;
        long start = Stopwatch.GetTimestamp();
        // loadDataFromDisk's RDBFLAGS_FEED_REPL: a primary drops the keys already expired, and its replicas,
        // which still hold them, must get the DELs after the history the file continues.
        bool asPrimary = IAmPrimary;
        _expiredAtStartup = asPrimary ? new() : null;
        string? error = LoadRdbFile(path);
        var expired = _expiredAtStartup;
        _expiredAtStartup = null;
        if (error is not null)
        {
            if (LoadInterrupted) return true;
            Log.Warning($"Fatal error loading the DB: {error.TrimEnd('.')}. Exiting.");
            return false;
        }
        Log.Notice($"DB loaded from disk: {Stopwatch.GetElapsedTime(start).TotalSeconds.ToString("F3", CultureInfo.InvariantCulture)} seconds");
        // The file's place in a replication history, so a restart can continue it (partial resynchronization).
        if (_lastLoadReplication is { } history)
        {
            // A replica (a cluster node by nodes.conf's role) continues it as the cached master its first PSYNC
            // names, so a restart costs no full sync (replicationCacheMasterUsingMyself).
            Primary.RestoreHistory(history, asReplica: !asPrimary);
            // Without a history there is no backlog to put them in, and no replica that could continue.
            if (expired is not null)
                foreach (var (db, key) in expired) Primary.FeedExpiredAtLoad(db, key, Config.LazyfreeLazyExpire);
        }
        return true;
    }

    /// <summary>
    /// rdbLoad, all or nothing: the file is read into fresh databases, which then replace the
    /// live ones (or, with <paramref name="flush"/> false, have their keys moved into them,
    /// <paramref name="merge"/> deciding whether a key already there is replaced or refused).
    /// Between startLoading and stopLoading: clients are served every
    /// loading-process-events-interval-bytes, and get -LOADING (no command sees the fresh
    /// databases before they are whole). Null on success; else why, and the dataset is as it was.
    /// </summary>
    /// <param name="asyncLoading">repl-diskless-load swapdb: clients keep being served from the old dataset meanwhile (async_loading), only no-async-loading commands get -LOADING.</param>
    public string? LoadRdbFile(string path, bool flush = true, bool merge = false, bool asyncLoading = false)
    {
        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 0);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return ErrorReason(e);
        }
        using (stream) return LoadRdb(stream, stream.Length, flush, merge, asyncLoading);
    }

    /// <summary>
    /// <see cref="LoadRdbFile"/> from any stream of <paramref name="size"/> bytes (0: unknown); a replica's
    /// diskless load reads its primary's socket (<paramref name="fromSocket"/>: a short read is a cut link).
    /// </summary>
    internal string? LoadRdb(Stream stream, long size, bool flush = true, bool merge = false, bool asyncLoading = false, bool fromSocket = false)
    {
        var fresh = new Db[Databases.Length];
        for (int i = 0; i < fresh.Length; i++) fresh[i] = new Db(i, () => UnixTimeMs, Stats, Eviction, Views, Config.ClusterEnabled);
        RdbFileLoader? loader = null;
        // The file's libraries are made apart too, and join (or replace) the live ones with its keys.
        var functions = new FunctionSet();
        loader = new RdbFileLoader(Config, fresh, Log, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds())
        {
            AllowDuplicates = merge,
            // rdbLoad's iAmMaster test: a replica keeps them (its primary's DELs remove them), at startup as at a sync.
            KeepExpired = !IAmPrimary,
            LoadLibrary = code => LoadLibraryFromRdb(functions, code, replace: merge),
            VerifyChecksum = Config.RdbChecksum && !SkipChecksumValidation,
            Progress = position => LoadingAbsProgress(position, loader!),
            ProgressInterval = Config.LoadingProcessEventsIntervalBytes,
            KeyRead = Config.KeyLoadDelay != 0 ? () => DebugDelay(Config.KeyLoadDelay) : null,
            FromSocket = fromSocket,
            KeyExpired = _expiredAtStartup is { } expired ? (db, key) => expired.Add((db, key.ToArray())) : null,
        };
        RdbLastLoadKeysLoaded = RdbLastLoadKeysExpired = 0;
        bool loaded;
        // startLoadingFile: the file's size is what loading_loaded_perc counts toward.
        StartLoading(size, asyncLoading);
        try
        {
            loaded = loader.Load(stream);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Release(fresh);
            DiscardFunctionSet(functions);
            return ErrorReason(e);
        }
        finally
        {
            StopLoading();
        }
        RdbLastLoadKeysLoaded = loader.KeysLoaded;
        RdbLastLoadKeysExpired = loader.KeysExpired;
        _lastLoadReplication = loaded ? loader.Replication : null;
        if (!loaded)
        {
            Release(fresh);
            DiscardFunctionSet(functions);
            return loader.Error;
        }
        if (!flush && !merge && FirstConflict(fresh) is { } conflict)
        {
            Release(fresh);
            DiscardFunctionSet(functions);
            Log.Warning($"RDB has duplicated key '{conflict.Key}' in DB {conflict.Db}");
            return "Duplicated key found in RDB file";
        }
        if (!JoinLoadedFunctions(functions, flush, merge))
        {
            Release(fresh);
            DiscardFunctionSet(functions);
            return "Error trying to load the RDB dump: its libraries collide with the loaded ones";
        }
        if (flush) ReplaceDatabases(fresh);
        else MergeDatabases(fresh);
        Eviction.ClearPool();
        return null;
    }

    ReplicationSaveInfo? _lastLoadReplication;
    /// <summary>Set while a primary loads its RDB at startup: the keys dropped as expired, in file order.</summary>
    List<(int Db, byte[] Key)>? _expiredAtStartup;

    /// <summary>emptyData, then the loaded databases in their place: watchers of the old keys and tracking clients are told, the old keyspaces released.</summary>
    void ReplaceDatabases(Db[] loaded)
    {
        // The old keyspaces are released below: a snapshot still reading them stops first.
        CancelSnapshot();
        InvalidateAllTracking();
        ForgetReplicaKeysWithExpire();
        for (int i = 0; i < Databases.Length; i++)
        {
            TouchAllWatchedKeysInDb(Databases[i]);
            Databases[i].SwapWith(loaded[i]);
        }
        Release(loaded);
    }

    /// <summary>DEBUG RELOAD NOFLUSH: each loaded key moves into the live database, replacing a key of the same name (MERGE).</summary>
    void MergeDatabases(Db[] loaded)
    {
        for (int i = 0; i < Databases.Length; i++)
        {
            var keys = new List<byte[]>(loaded[i].Count);
            foreach (int entry in loaded[i].Keys.Entries()) keys.Add(loaded[i].Keys.Key(entry).ToArray());
            foreach (var key in keys)
            {
                // A key may have expired since the load began: then it is simply gone.
                if (loaded[i].Lookup(key, touch: false) >= 0) loaded[i].MoveTo(key, Databases[i]);
            }
        }
        Release(loaded);
    }

    /// <summary>A loaded key that already exists in the live databases (NOFLUSH without MERGE refuses the load), or null.</summary>
    (string Key, int Db)? FirstConflict(Db[] loaded)
    {
        for (int i = 0; i < loaded.Length; i++)
            foreach (int entry in loaded[i].Keys.Entries())
            {
                var key = loaded[i].Keys.Key(entry);
                if (Databases[i].Keys.Find(key) >= 0) return (System.Text.Encoding.Latin1.GetString(key), i);
            }
        return null;
    }

    /// <summary>Databases that will not be used again give their keyspaces back whole, used or not (a keyspace maps a page as it is made).</summary>
    static void Release(Db[] databases)
    {
        foreach (var db in databases)
        {
            db.Views.DetachAll(db.Keys);
            db.Keys.Release();
        }
    }

    /// <summary>
    /// DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE]: save (unless NOSAVE), then load the file back,
    /// replacing the dataset (unless NOFLUSH); other clients get -LOADING meanwhile while the
    /// caller waits (protected). The reply's error, or null for +OK.
    /// </summary>
    public string? DebugReload(bool merge, bool flush, bool save)
    {
        // DEBUG is flagged loading, so it runs during a load: it may not save half a dataset or load inside a load.
        if (Loading) return LoadingError;
        if (save && !RdbSave()) return "-ERR";
        if (LoadRdbFile(RdbFilePath, flush, merge) is { } error)
        {
            if (LoadInterrupted) return "Loading interrupted: the server is shutting down";
            Log.Warning($"DEBUG RELOAD: {error}");
            return "Error trying to load the RDB dump";
        }
        Log.Warning("DB reloaded by DEBUG RELOAD");
        return null;
    }

    // ---- the state of a load (rdb.c startLoading, loadingAbsProgress, loadingIncrProgress, stopLoading) ----

    /// <summary>
    /// server.loading: a file is being loaded (at startup, DEBUG RELOAD, DEBUG LOADAOF). Commands
    /// not flagged loading are refused with -LOADING (Dispatch.cs). Nothing expires meanwhile
    /// (keyIsExpired and checkAlreadyExpired say no while loading): an AOF replays the history it
    /// recorded, and a key whose deadline has passed since must still take the commands that
    /// followed it then (an APPEND, a PERSIST), or the replay would build a different dataset.
    /// </summary>
    public bool Loading { get; private set; }
    /// <summary>loading_start_time (Unix seconds), loading_total_bytes (the files' size), loading_rdb_used_mem (the RDB's used-mem AUX), loading_loaded_bytes.</summary>
    public long LoadingStartTime { get; private set; }
    public long LoadingTotalBytes { get; private set; }
    public long LoadingRdbUsedMem { get; private set; }
    public long LoadingLoadedBytes { get; private set; }

    /// <summary>
    /// For tests: while this answers true, a load waits at its next progress step, serving
    /// events as it would between two steps. A load made slow on purpose, not by timing luck.
    /// </summary>
    public Func<bool>? HoldLoading { get; set; }

    /// <summary>shared.loadingerr.</summary>
    internal const string LoadingError = "-LOADING Redis is loading the dataset in memory";

    /// <summary>The clock the databases expire keys by: stopped while loading, and for a replica's primary (it sends the DELs: keys it writes to are still there).</summary>
    long ExpiryClockMs() => Loading || (CurrentClient is { } c && (c.Flags & ClientFlags.Master) != 0) ? 0 : UnixTimeMs;

    /// <summary>The server began shutting down during a load (SHUTDOWN, a signal, Dispose): the load stops at its next step.</summary>
    bool LoadInterrupted => _shutDown || Loop.StopRequested;

    /// <summary>startLoading: the progress fields reset, and the keys counted from 0.</summary>
    internal void StartLoading(long totalBytes, bool asyncLoading = false)
    {
        Loading = !asyncLoading;
        AsyncLoading = asyncLoading;
        LoadingStartTime = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        LoadingLoadedBytes = 0;
        LoadingTotalBytes = totalBytes;
        LoadingRdbUsedMem = 0;
        RdbLastLoadKeysExpired = RdbLastLoadKeysLoaded = 0;
        BlockingOperationStarts();
    }

    /// <summary>stopLoading.</summary>
    internal void StopLoading() => Loading = AsyncLoading = false;

    /// <summary>server.async_loading: a replica loads its primary's snapshot beside the dataset it keeps serving (repl-diskless-load swapdb).</summary>
    public bool AsyncLoading { get; private set; }

    /// <summary>rdbLoadProgressCallback's step: loadingAbsProgress, the counts so far, then events served. False: stop, the server is shutting down.</summary>
    bool LoadingAbsProgress(long position, RdbFileLoader loader)
    {
        LoadingLoadedBytes = position;
        LoadingRdbUsedMem = loader.CreatedUsedMemory;
        RdbLastLoadKeysLoaded = loader.KeysLoaded;
        RdbLastLoadKeysExpired = loader.KeysExpired;
        return ServeWhileLoading();
    }

    /// <summary>The AOF loader's step (every 1024 commands): loadingIncrProgress, then events served. False: stop.</summary>
    internal bool LoadingIncrProgress(long delta)
    {
        LoadingLoadedBytes += delta;
        return ServeWhileLoading();
    }

    bool ServeWhileLoading()
    {
        ProcessEventsWhileBlocked();
        while (HoldLoading?.Invoke() == true && !LoadInterrupted)
        {
            Thread.Sleep(1);
            ProcessEventsWhileBlocked();
        }
        return !LoadInterrupted;
    }

    // ---- helpers -----------------------------------------------------------------------------

    /// <summary>strerror's text for a failed file operation, as Redis logs it.</summary>
    static string ErrorReason(Exception e) => e switch
    {
        UnauthorizedAccessException => "Permission denied",
        FileNotFoundException or DirectoryNotFoundException => "No such file or directory",
        // On Unix the runtime keeps errno as the HResult of the IOException it raises.
        IOException { HResult: > 0 and < 4096 } io => Native.StrError(io.HResult),
        _ => e.Message,
    };

    /// <summary>A file that may not be there or may not be ours to delete: gone if it can be.</summary>
    internal static void TryDelete(string path)
    {
        try { File.Delete(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }
}
