using System.Diagnostics;
using Vermilion.Persistence;
using Vermilion.Protocol;

namespace Vermilion.Server;

/// <summary>aof_state: off, on, or turned on and waiting for the rewrite that makes its base.</summary>
public enum AofState { Off, On, WaitRewrite }

/// <summary>appendfsync: fdatasync before every reply, once a second in the background, or never (the kernel's choice).</summary>
public enum AppendFsync { Always, EverySec, No }

/// <summary>
/// Redis 7.0's multi-part AOF (aof.c) for one server: the effect sink that appends every
/// propagated command to the AOF buffer, the flush of that buffer before replies leave
/// (flushAppendOnlyFile, called from beforeSleep), the appendfsync policies, write-error
/// handling, the files and manifest (base, incr, history), loading at startup and the rewrite's
/// file choreography. Touched on the loop thread only, except what <see cref="AofBackgroundJobs"/>
/// does (the everysec fsync, closing replaced files, deleting history).
///
/// The rewrite (BGREWRITEAOF, auto rewrite, turning AOF on) is Redis's sequence with the fork
/// taken out: <see cref="RewriteBackground"/> flushes, opens the next incr file and persists the
/// manifest (the cut: what follows goes to the new incr), then <see cref="ProduceBase"/> writes
/// the dataset at the cut into the temporary base, then <see cref="RewriteDone"/> is
/// backgroundRewriteDoneHandler. Today <see cref="ProduceBase"/> dumps the dataset synchronously,
/// inside the command that asked; a fork-less point-in-time snapshot replaces that one step.
/// The rewrite is AppendOnlyRewrite.cs, loading at startup AppendOnlyLoad.cs.
/// </summary>
public sealed partial class AppendOnlyFile : IEffectSink, IDisposable
{
    /// <summary>REDIS_AUTOSYNC_BYTES: a rewrite with aof-rewrite-incremental-fsync fsyncs every 4 MB.</summary>
    const long AutoSyncBytes = 4L << 20;
    /// <summary>AOF_WRITE_LOG_ERROR_RATE: seconds between two logged write errors.</summary>
    const int WriteErrorLogRate = 30;
    /// <summary>AOF_REWRITE_LIMITE_THRESHOLD / _MAX_MINUTES: after 3 failed rewrites in a row, automatic ones back off 1, 2, 4 … 60 minutes.</summary>
    const int RewriteLimitThreshold = 3, RewriteLimitMaxMinutes = 60;

    readonly VermilionServer _server;
    readonly AofBackgroundJobs _bio;
    Config Config => _server.Config;
    Log Log => _server.Log;

    public AofState State { get; private set; }
    public AofManifest Manifest { get; private set; } = new();

    PosixFile? _fd;
    byte[] _buf = new byte[16 * 1024];
    int _bufLen;
    int _selectedDb = -1;
    long _curTimestamp;
    long _lastFsync;
    long _flushPostponedStart;
    long _lastIncrSize, _lastIncrFsyncOffset;
    bool _lastWriteOk = true;
    int _lastWriteErrno;
    long _lastWriteErrorLog;
    long _rewriteTimeStart = -1;
    bool _rewriteBaseIsRdb;
    int _nextDelayMinutes;
    long _nextRewriteTime;

    /// <summary>aof_current_size: bytes of the base and incr files (what auto rewrite compares).</summary>
    public long CurrentSize { get; private set; }
    /// <summary>aof_rewrite_base_size: the size after the last rewrite (or the base's at startup).</summary>
    public long RewriteBaseSize { get; private set; }
    /// <summary>aof_delayed_fsync: writes that went ahead after waiting 2 s for a background fsync.</summary>
    public long DelayedFsync { get; private set; }
    public bool RewriteScheduled { get; private set; }
    public bool RewriteInProgress { get; private set; }
    /// <summary>aof_rewrite_time_last: seconds the last rewrite took, -1 before any.</summary>
    public long RewriteTimeLast { get; private set; } = -1;
    public bool LastBgRewriteOk { get; private set; } = true;
    /// <summary>stat_aof_rewrites and stat_aofrw_consecutive_failures.</summary>
    public long Rewrites { get; private set; }
    public long RewritesConsecutiveFailures { get; private set; }
    public long BufferLength => _bufLen;
    public long PendingBioFsync => _bio.PendingFsyncs;
    /// <summary>aof_last_write_status and aof_bio_fsync_status together, as INFO shows them.</summary>
    public bool LastWriteOk => _lastWriteOk && _bio.FsyncErrno == 0;
    /// <summary>aof_current_rewrite_time_sec: -1 unless a rewrite is running.</summary>
    public long CurrentRewriteTime => RewriteInProgress ? Now() - _rewriteTimeStart : -1;

    /// <summary>
    /// Loads an RDB base (or an old AOF's RDB preamble); null in a build without the RDB loader,
    /// where such a file fails to load with a log line saying so.
    /// </summary>
    public AofLoader.RdbImageLoader? RdbLoader { get; set; }

    /// <summary>
    /// Writes the dataset as an RDB image with aof-base set (rdbSaveRio with RDBFLAGS_AOF_PREAMBLE);
    /// null in a build without the RDB writer, where every base is written as commands and named .aof.
    /// </summary>
    public Action<Stream>? RdbWriter { get; set; }

    /// <summary>DEBUG AOF-FLUSH-SLEEP: microseconds each write of the buffer waits first (server.aof_flush_sleep).</summary>
    public int FlushSleepUs { get; set; }

    /// <summary>What exit(1) does here: the executable exits; a test replaces it.</summary>
    public Action<string> Exit { get; set; } = _ => Environment.Exit(1);

    public AppendOnlyFile(VermilionServer server)
    {
        _server = server;
        _bio = new AofBackgroundJobs(server.Log);
        State = server.Config.AppendOnly ? AofState.On : AofState.Off;
        _lastFsync = Now();
    }

    static long Now() => DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    string Dir => Path.GetFullPath(Config.Dir);
    string AofDir => Path.Combine(Dir, Config.AppendDirName);
    string InAofDir(string name) => Path.Combine(AofDir, name);
    string AofName => Config.AppendFilename;

    // ---- feeding (feedAppendOnlyFile) ----------------------------------------------------------

    /// <summary>
    /// feedAppendOnlyFile: a "#TS:" line when the second changed (aof-timestamp-enabled), a SELECT
    /// when the database differs from the last one written, then the command as it was
    /// propagated. Kept in the AOF buffer until the loop's next beforeSleep writes it, so the
    /// client has no reply before the command is in the file. While AOF is being turned on, the
    /// buffer only takes what follows the rewrite's cut.
    /// </summary>
    public void Append(int db, ReadOnlySpan<byte> command)
    {
        bool keep = State == AofState.On || (State == AofState.WaitRewrite && RewriteInProgress);
        Span<byte> digits = stackalloc byte[24];
        if (Config.AofTimestampEnabled && _curTimestamp < _server.UnixTime)
        {
            _curTimestamp = _server.UnixTime;
            if (keep)
            {
                Put("#TS:"u8);
                Put(digits[..IntegerText.Format(_curTimestamp, digits)]);
                Put("\r\n"u8);
            }
        }
        if (db != _selectedDb)
        {
            _selectedDb = db;
            if (keep)
            {
                int n = IntegerText.Format(db, digits);
                Span<byte> length = stackalloc byte[4];
                Put("*2\r\n$6\r\nSELECT\r\n$"u8);
                Put(length[..IntegerText.Format(n, length)]);
                Put("\r\n"u8);
                Put(digits[..n]);
                Put("\r\n"u8);
            }
        }
        if (keep) Put(command);
    }

    void Put(ReadOnlySpan<byte> bytes)
    {
        if (_bufLen + bytes.Length > _buf.Length) Array.Resize(ref _buf, Math.Max(_bufLen + bytes.Length, _buf.Length * 2));
        bytes.CopyTo(_buf.AsSpan(_bufLen));
        _bufLen += bytes.Length;
    }

    /// <summary>After a write the buffer is emptied; one that grew for a burst is given back (Redis frees one over 4000 bytes).</summary>
    void ClearBuffer()
    {
        _bufLen = 0;
        if (_buf.Length > 1 << 20) _buf = new byte[16 * 1024];
    }

    // ---- flushing (flushAppendOnlyFile) ---------------------------------------------------------

    /// <summary>
    /// flushAppendOnlyFile: one write of the whole buffer, then the policy's sync. always:
    /// fdatasync here, before any reply of this iteration is written (a failure exits: the
    /// reply promised durability). everysec: a background fsync at most once a second; while
    /// one is still running the write waits, for up to 2 seconds, then goes ahead
    /// (aof_delayed_fsync). no: the kernel decides. A failed write (policy not always) keeps the
    /// buffer, undoes a partial write with ftruncate, and marks the AOF failed: writes get
    /// MISCONF until a retry from serverCron succeeds. <paramref name="force"/> writes regardless
    /// of a pending fsync (rewrite start, shutdown, turning AOF off).
    /// </summary>
    public void Flush(bool force)
    {
        var fd = _fd;
        if (fd is null) return;
        var policy = Config.AppendFsync;
        bool syncInProgress = false;
        long now = _server.UnixTime;
        if (_bufLen == 0)
        {
            // Bytes written but not yet synced still get their fsync once the second turns
            // (or at once under always, for a switch from everysec), with no new writes.
            if (policy == AppendFsync.EverySec && _lastIncrFsyncOffset != _lastIncrSize && now > _lastFsync
                && !(syncInProgress = _bio.PendingFsyncs != 0))
            {
                TrySync(fd, policy, syncInProgress);
            }
            else if (policy == AppendFsync.Always && _lastIncrFsyncOffset != _lastIncrSize) TrySync(fd, policy, syncInProgress);
            return;
        }
        if (policy == AppendFsync.EverySec) syncInProgress = _bio.PendingFsyncs != 0;
        if (policy == AppendFsync.EverySec && !force && syncInProgress)
        {
            // write(2) would block behind the fsync anyway: postpone, for up to 2 seconds.
            if (_flushPostponedStart == 0)
            {
                _flushPostponedStart = now;
                return;
            }
            if (now - _flushPostponedStart < 2) return;
            DelayedFsync++;
            Log.Notice("Asynchronous AOF fsync is taking too long (disk is busy?). Writing the AOF buffer without waiting for fsync to complete, this may slow down Redis.");
        }

        if (FlushSleepUs > 0) Thread.Sleep(TimeSpan.FromMicroseconds(FlushSleepUs));
        long started = Stopwatch.GetTimestamp();
        long written = fd.Write(_buf.AsSpan(0, _bufLen), out int errno);
        long ticks = Stopwatch.GetTimestamp() - started;
        if (syncInProgress) _server.AddLatencySampleIfNeeded("aof-write-pending-fsync", ticks);
        else if (_server.HasActiveChildProcess) _server.AddLatencySampleIfNeeded("aof-write-active-child", ticks);
        else _server.AddLatencySampleIfNeeded("aof-write-alone", ticks);
        _server.AddLatencySampleIfNeeded("aof-write", ticks);
        _flushPostponedStart = 0;

        if (written != _bufLen)
        {
            bool canLog = now - _lastWriteErrorLog > WriteErrorLogRate;
            if (canLog) _lastWriteErrorLog = now;
            if (written == -1)
            {
                if (canLog) Log.Warning($"Error writing to the AOF file: {PosixFile.StrError(errno)}");
                _lastWriteErrno = errno;
            }
            else
            {
                if (canLog) Log.Warning($"Short write while writing to the AOF file: (nwritten={written}, expected={_bufLen})");
                int terr = fd.Truncate(_lastIncrSize);
                if (terr != 0)
                {
                    if (canLog) Log.Warning($"Could not remove short write from the append-only file.  Redis may refuse to load the AOF the next time it starts.  ftruncate: {PosixFile.StrError(terr)}");
                }
                else written = -1; // nothing partial is left in the file
                _lastWriteErrno = Net.Native.ENOSPC;
            }
            if (policy == AppendFsync.Always)
            {
                // The replies of this iteration are already built and the dataset changed; the
                // promise was that an acknowledged write is on disk. Nothing to do but stop.
                Log.Warning("Can't recover from AOF write error when the AOF fsync policy is 'always'. Exiting...");
                Exit("AOF write error under appendfsync always");
                return;
            }
            _lastWriteOk = false;
            if (written > 0)
            {
                CurrentSize += written;
                _lastIncrSize += written;
                _buf.AsSpan((int)written, _bufLen - (int)written).CopyTo(_buf);
                _bufLen -= (int)written;
            }
            return; // tried again from serverCron
        }
        if (!_lastWriteOk)
        {
            Log.Warning("AOF write error looks solved, Redis can write again.");
            _lastWriteOk = true;
        }
        CurrentSize += written;
        _lastIncrSize += written;
        ClearBuffer();
        TrySync(fd, policy, syncInProgress);
    }

    /// <summary>flushAppendOnlyFile's try_fsync label.</summary>
    void TrySync(PosixFile fd, AppendFsync policy, bool syncInProgress)
    {
        // no-appendfsync-on-rewrite: while a rewrite or save writes heavily, skip the fsync.
        if (Config.NoAppendfsyncOnRewrite && _server.HasActiveChildProcess) return;
        long now = _server.UnixTime;
        if (policy == AppendFsync.Always)
        {
            long started = Stopwatch.GetTimestamp();
            int errno = fd.DataSync();
            if (errno != 0)
            {
                Log.Warning($"Can't persist AOF for fsync error when the AOF fsync policy is 'always': {PosixFile.StrError(errno)}. Exiting...");
                Exit("AOF fsync error under appendfsync always");
                return;
            }
            _server.AddLatencySampleIfNeeded("aof-fsync-always", Stopwatch.GetTimestamp() - started);
            _lastIncrFsyncOffset = _lastIncrSize;
            _lastFsync = now;
        }
        else if (policy == AppendFsync.EverySec && now > _lastFsync)
        {
            if (!syncInProgress)
            {
                _bio.Fsync(fd);
                _lastIncrFsyncOffset = _lastIncrSize;
            }
            _lastFsync = now;
        }
    }

    /// <summary>
    /// writeCommandsDeniedByDiskError's AOF half: the error a write (or PING) gets while the
    /// last write or background fsync failed, null when writes may go on.
    /// </summary>
    public string? DiskError()
    {
        if (State == AofState.Off) return null;
        int errno = !_lastWriteOk ? _lastWriteErrno : _bio.FsyncErrno;
        if (_lastWriteOk && errno == 0) return null;
        if (_lastWriteOk) _lastWriteErrno = errno;
        return "-MISCONF Errors writing to the AOF file: " + PosixFile.StrError(errno);
    }

    // ---- serverCron's part ----------------------------------------------------------------------

    /// <summary>
    /// serverCron's AOF steps, in its order: a scheduled rewrite (unless rewrites are backing off),
    /// the automatic rewrite on growth, a postponed flush, and once a second the retry of a
    /// failed write.
    /// </summary>
    public void Cron(bool secondElapsed)
    {
        if (!_server.HasActiveChildProcess && RewriteScheduled && !RewriteLimited()) RewriteBackground();
        if (!_server.HasActiveChildProcess && State == AofState.On && Config.AutoAofRewritePercentage != 0
            && CurrentSize > Config.AutoAofRewriteMinSize)
        {
            long baseSize = RewriteBaseSize != 0 ? RewriteBaseSize : 1;
            long growth = CurrentSize * 100 / baseSize - 100;
            if (growth >= Config.AutoAofRewritePercentage && !RewriteLimited())
            {
                Log.Notice($"Starting automatic rewriting of AOF on {growth}% growth");
                RewriteBackground();
            }
        }
        if (State != AofState.Off && _flushPostponedStart != 0) Flush(false);
        if (secondElapsed && State != AofState.Off && !_lastWriteOk) Flush(false);
    }

    /// <summary>aofRewriteLimited: after repeated failures, automatic rewrites wait 1, 2, 4 … 60 minutes.</summary>
    bool RewriteLimited()
    {
        if (RewritesConsecutiveFailures < RewriteLimitThreshold)
        {
            _nextDelayMinutes = 0;
            _nextRewriteTime = 0;
            return false;
        }
        long now = _server.UnixTime;
        if (_nextRewriteTime != 0)
        {
            if (now < _nextRewriteTime) return true;
            _nextRewriteTime = 0;
            return false;
        }
        _nextDelayMinutes = _nextDelayMinutes == 0 ? 1 : Math.Min(_nextDelayMinutes * 2, RewriteLimitMaxMinutes);
        _nextRewriteTime = now + _nextDelayMinutes * 60L;
        Log.Warning($"Background AOF rewrite has repeatedly failed and triggered the limit, will retry in {_nextDelayMinutes} minutes");
        return true;
    }

    // ---- turning AOF on and off (CONFIG SET appendonly) ----------------------------------------

    /// <summary>
    /// startAppendOnly: AOF waits for a rewrite to make its base; writes from the rewrite's cut
    /// on go to a temporary incr file that the rewrite's end renames into the manifest. Scheduled
    /// instead when a rewrite cannot start now (inside EXEC, or another save running).
    /// </summary>
    public bool Start(bool inExec)
    {
        State = AofState.WaitRewrite;
        _server.EffectSinks.Add(this);
        if (_server.HasActiveChildProcess && !RewriteInProgress)
        {
            RewriteScheduled = true;
            Log.Warning("AOF was enabled but there is already another background operation. An AOF background was scheduled to start when possible.");
        }
        else if (inExec)
        {
            RewriteScheduled = true;
            Log.Warning("AOF was enabled during a transaction. An AOF background was scheduled to start when possible.");
        }
        else if (!RewriteBackground())
        {
            State = AofState.Off;
            _server.EffectSinks.Remove(this);
            Log.Warning("Redis needs to enable the AOF but can't trigger a background AOF rewrite operation. Check the above logs for more info about the error.");
            return false;
        }
        _lastFsync = _server.UnixTime;
        if (_bio.FsyncErrno != 0)
        {
            Log.Warning("AOF reopen, just ignore the AOF fsync error in bio job");
            _bio.ClearFsyncError();
        }
        if (!_lastWriteOk)
        {
            Log.Warning("AOF reopen, just ignore the last error.");
            _lastWriteOk = true;
        }
        return true;
    }

    /// <summary>stopAppendOnly: what is buffered is written and synced, the file closed; nothing more is appended.</summary>
    public void Stop()
    {
        Flush(force: true);
        if (_fd is not null)
        {
            int errno = _fd.DataSync();
            if (errno != 0) Log.Warning($"Fail to fsync the AOF file: {PosixFile.StrError(errno)}");
            else _lastFsync = _server.UnixTime;
            _fd.Dispose();
            _fd = null;
        }
        _selectedDb = -1;
        State = AofState.Off;
        _server.EffectSinks.Remove(this);
        RewriteScheduled = false;
        _lastIncrSize = _lastIncrFsyncOffset = 0;
        ClearBuffer();
    }

    /// <summary>prepareForShutdown: the buffer written and the file fsynced before the process goes.</summary>
    public void FlushForShutdown()
    {
        if (State == AofState.Off || _fd is null) return;
        Log.Notice("Calling fsync() on the AOF file.");
        Flush(force: true);
        int errno = _fd.DataSync();
        if (errno != 0) Log.Warning($"Fail to fsync the AOF file: {PosixFile.StrError(errno)}.");
    }

    public void Dispose()
    {
        _bio.Dispose();
        _fd?.Dispose();
        _fd = null;
    }

    /// <summary>The fsync and close threads (tests slow the disk down through them).</summary>
    internal AofBackgroundJobs BackgroundJobs => _bio;

    /// <summary>For tests: waits until background fsyncs, closes and deletes are done.</summary>
    public bool WaitForBackgroundJobs(TimeSpan timeout) => _bio.WaitIdle(timeout);
}
