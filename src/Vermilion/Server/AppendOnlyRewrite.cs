using System.Diagnostics;
using Vermilion.Persistence;

namespace Vermilion.Server;

/// <summary>
/// The AOF rewrite (aof.c rewriteAppendOnlyFileBackground, openNewIncrAofForAppend,
/// backgroundRewriteDoneHandler) and the manifest's persistence; BGREWRITEAOF, automatic
/// rewrites and CONFIG SET appendonly yes all come here.
/// </summary>
public sealed partial class AppendOnlyFile
{
    /// <summary>bgrewriteaofCommand: the reply to BGREWRITEAOF.</summary>
    public string RewriteCommand(bool inExec)
    {
        if (RewriteInProgress) return "-ERR Background append only file rewriting already in progress";
        if (_server.HasActiveChildProcess || inExec)
        {
            RewriteScheduled = true;
            // Asked for by hand: the back-off after failures does not apply.
            RewritesConsecutiveFailures = 0;
            return "+Background append only file rewriting scheduled";
        }
        return RewriteBackground()
            ? "+Background append only file rewriting started"
            : "-ERR Can't execute an AOF background rewriting. Please check the server logs for more information.";
    }

    /// <summary>
    /// rewriteAppendOnlyFileBackground: flush what is buffered, open the next incr file and
    /// persist the manifest (from here on writes go to the new incr: this is the cut), then
    /// produce the base and finish. False when the rewrite could not start.
    /// </summary>
    public bool RewriteBackground()
    {
        if (_server.HasActiveChildProcess) return false;
        if (CreateAofDir() is { } error)
        {
            Log.Warning($"Can't open or create append-only dir {Config.AppendDirName}: {error}");
            LastBgRewriteOk = false;
            return false;
        }
        // The next feed writes a SELECT: the new incr file must not depend on the old one's.
        _selectedDb = -1;
        Flush(force: true);
        if (!OpenNewIncrForAppend())
        {
            LastBgRewriteOk = false;
            return false;
        }
        Rewrites++;
        Log.Notice("Background append only file rewriting started (in process, no fork)");
        RewriteScheduled = false;
        _rewriteTimeStart = Now();
        RewriteInProgress = true;
        string temp = Path.Combine(Dir, $"temp-rewriteaof-bg-{Environment.ProcessId}.aof");
        // The rewrite child's work, the dataset at the cut: the fork-less snapshot writes it
        // between events (Server/BackgroundSave.cs), as an RDB image or as commands.
        _rewriteBaseIsRdb = Config.AofUseRdbPreamble && RdbWriter is not null;
        if (_server.StartAofBaseSnapshot(temp, _rewriteBaseIsRdb, BaseWritten)) return true;
        BaseWritten(RewriteAppendOnlyFile(temp));
        return true;
    }

    void BaseWritten(bool ok)
    {
        if (ok) Log.Notice($"Successfully created the temporary AOF base file temp-rewriteaof-bg-{Environment.ProcessId}.aof");
        RewriteDone(ok);
    }

    /// <summary>
    /// rewriteAppendOnlyFile: the dataset into temp-rewriteaof-&lt;pid&gt;.aof (an RDB image with the
    /// preamble and an RDB writer, else commands), fsynced (and every 4 MB with
    /// aof-rewrite-incremental-fsync), then renamed to <paramref name="target"/>.
    /// </summary>
    bool RewriteAppendOnlyFile(string target)
    {
        string temp = Path.Combine(Dir, $"temp-rewriteaof-{Environment.ProcessId}.aof");
        var file = PosixFile.Create(temp, out int errno);
        if (file is null)
        {
            Log.Warning($"Opening the temp file for AOF rewrite in rewriteAppendOnlyFile(): {PosixFile.StrError(errno)}");
            return false;
        }
        _rewriteBaseIsRdb = Config.AofUseRdbPreamble && RdbWriter is not null;
        try
        {
            using (file)
            {
                var stream = new PosixFileStream(file, Config.AofRewriteIncrementalFsync ? AutoSyncBytes : 0);
                if (_rewriteBaseIsRdb) RdbWriter!(stream);
                else _server.WriteDataset(new AofRewriter(new RdbFileSink(stream, incrementalFsync: false), Config.AofTimestampEnabled ? Now() : null));
                stream.FlushToDisk();
            }
        }
        catch (Exception e) when (e is PosixFileException or IOException or InvalidOperationException)
        {
            // A failed write or sync, or a value the writer has no form for (Redis panics there):
            // the rewrite fails and the files in place stay as they are.
            Log.Warning($"Write error writing append only file on disk: {(e is PosixFileException p ? PosixFile.StrError(p.Errno) : e.Message)}");
            File.Delete(temp);
            return false;
        }
        if ((errno = PosixFile.Rename(temp, target)) != 0)
        {
            Log.Warning($"Error moving temp append only file on the final destination: {PosixFile.StrError(errno)}");
            File.Delete(temp);
            return false;
        }
        return true;
    }

    /// <summary>
    /// openNewIncrAofForAppend: the next incr file (or, turning AOF on, the temporary one) opened
    /// and, when AOF is on, the manifest naming it persisted before anything switches to it:
    /// either both happen or neither. The old file is synced and closed in the background.
    /// </summary>
    bool OpenNewIncrForAppend()
    {
        if (State == AofState.Off) return true;
        AofManifest? temp = null;
        string name;
        if (State == AofState.WaitRewrite) name = AofManifest.TempIncrName(AofName);
        else
        {
            temp = Manifest.Clone();
            name = temp.NewIncrFileName(AofName);
        }
        var file = PosixFile.Create(InAofDir(name), out int errno);
        if (file is null)
        {
            Log.Warning($"Can't open the append-only file {name}: {PosixFile.StrError(errno)}");
            return false;
        }
        if (temp is not null && !PersistManifest(temp))
        {
            file.Dispose();
            return false;
        }
        Log.Notice($"Creating AOF incr file {name} on background rewrite");
        if (_fd is not null)
        {
            _bio.FsyncAndClose(_fd);
            _lastFsync = _server.UnixTime;
        }
        _fd = file;
        _lastIncrSize = _lastIncrFsyncOffset = 0;
        if (temp is not null) Manifest = temp;
        return true;
    }

    /// <summary>
    /// backgroundRewriteDoneHandler: on success the base takes its place in the manifest (the old
    /// base and the incr files it covers become history and are deleted), the temporary incr
    /// file of a turn-on is renamed in, and AOF is on. Either way the temporary files go.
    /// </summary>
    public void RewriteDone(bool success)
    {
        string tempBase = Path.Combine(Dir, $"temp-rewriteaof-bg-{Environment.ProcessId}.aof");
        if (success)
        {
            Log.Notice("Background AOF rewrite terminated with success");
            if (!InstallRewrittenBase(tempBase))
            {
                LastBgRewriteOk = false;
                RewritesConsecutiveFailures++;
            }
        }
        else
        {
            LastBgRewriteOk = false;
            RewritesConsecutiveFailures++;
            Log.Warning("Background AOF rewrite terminated with error");
        }
        // aofRemoveTempFile (after a success the base was renamed away: nothing there)
        _bio.Unlink(tempBase);
        _bio.Unlink(Path.Combine(Dir, $"temp-rewriteaof-{Environment.ProcessId}.aof"));
        if (State == AofState.WaitRewrite)
        {
            ClearBuffer();
            string tempIncr = AofManifest.TempIncrName(AofName);
            Log.Notice($"Removing the temp incr aof file {tempIncr} in the background");
            _bio.Unlink(InAofDir(tempIncr));
        }
        RewriteTimeLast = Now() - _rewriteTimeStart;
        _rewriteTimeStart = -1;
        RewriteInProgress = false;
        if (State == AofState.WaitRewrite) RewriteScheduled = true;
    }

    bool InstallRewrittenBase(string tempBase)
    {
        var temp = Manifest.Clone();
        string baseName = temp.NewBaseFileName(AofName, _rewriteBaseIsRdb);
        string basePath = InAofDir(baseName);
        long started = Stopwatch.GetTimestamp();
        int errno = PosixFile.Rename(tempBase, basePath);
        if (errno != 0)
        {
            Log.Warning($"Error trying to rename the temporary AOF base file {Path.GetFileName(tempBase)} into {basePath}: {PosixFile.StrError(errno)}");
            return false;
        }
        _server.AddLatencySampleIfNeeded("aof-rename", Stopwatch.GetTimestamp() - started);
        Log.Notice($"Successfully renamed the temporary AOF base file {Path.GetFileName(tempBase)} into {baseName}");
        string? newIncrPath = null;
        if (State == AofState.WaitRewrite)
        {
            string tempIncr = AofManifest.TempIncrName(AofName);
            string newIncr = temp.NewIncrFileName(AofName);
            newIncrPath = InAofDir(newIncr);
            started = Stopwatch.GetTimestamp();
            if ((errno = PosixFile.Rename(InAofDir(tempIncr), newIncrPath)) != 0)
            {
                Log.Warning($"Error trying to rename the temporary AOF incr file {InAofDir(tempIncr)} into {newIncrPath}: {PosixFile.StrError(errno)}");
                _bio.Unlink(basePath);
                return false;
            }
            _server.AddLatencySampleIfNeeded("aof-rename", Stopwatch.GetTimestamp() - started);
            Log.Notice($"Successfully renamed the temporary AOF incr file {tempIncr} into {newIncr}");
        }
        temp.MarkRewrittenIncrAsHistory(keepLast: _fd is not null);
        if (!PersistManifest(temp))
        {
            _bio.Unlink(basePath);
            if (newIncrPath is not null) _bio.Unlink(newIncrPath);
            return false;
        }
        Manifest = temp;
        if (State != AofState.Off)
        {
            CurrentSize = FileSize(baseName, out _) + _lastIncrSize;
            RewriteBaseSize = CurrentSize;
        }
        DeleteHistoryFiles();
        LastBgRewriteOk = true;
        RewritesConsecutiveFailures = 0;
        Log.Notice("Background AOF rewrite finished successfully");
        if (State == AofState.WaitRewrite) State = AofState.On;
        return true;
    }

    /// <summary>aofDelHistoryFiles: history files are deleted in the background (unless aof-disable-auto-gc) and the manifest rewritten without them.</summary>
    public bool DeleteHistoryFiles()
    {
        if (Config.AofDisableAutoGc || Manifest.History.Count == 0) return true;
        foreach (var h in Manifest.History)
        {
            Log.Notice($"Removing the history file {h.FileName} in the background");
            _bio.Unlink(InAofDir(h.FileName));
        }
        Manifest.History.Clear();
        Manifest.Dirty = true;
        return PersistManifest(Manifest);
    }

    /// <summary>persistAofManifest: a dirty manifest written through a temp file, fsynced, renamed, and the directory fsynced.</summary>
    bool PersistManifest(AofManifest m)
    {
        if (!m.Dirty) return true;
        string tempName = AofManifest.TempManifestName(AofName), name = AofManifest.ManifestName(AofName);
        var failed = PosixFile.ReplaceAtomically(InAofDir(tempName), InAofDir(name), m.Format());
        if (failed is { } f)
        {
            string reason = PosixFile.StrError(f.Errno);
            Log.Warning(f.Step switch
            {
                "open" => $"Can't open the AOF manifest file {tempName}: {reason}",
                "write" => $"Error trying to write the temporary AOF manifest file {tempName}: {reason}",
                "fsync" => $"Fail to fsync the temp AOF file {tempName}: {reason}.",
                "rename" => $"Error trying to rename the temporary AOF manifest file {tempName} into {name}: {reason}",
                _ => $"Fail to fsync AOF directory {InAofDir(name)}: {reason}.",
            });
            return false;
        }
        m.Dirty = false;
        return true;
    }

    /// <summary>dirCreateIfMissing: null, or strerror of what went wrong.</summary>
    string? CreateAofDir()
    {
        try
        {
            Directory.CreateDirectory(AofDir);
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return e is UnauthorizedAccessException ? "Permission denied" : e.Message;
        }
    }

    /// <summary>getAppendOnlyFileSize: the file's size, or 0 with the status and Redis's log line.</summary>
    long FileSize(string name, out AofLoadStatus status)
    {
        long started = Stopwatch.GetTimestamp();
        try
        {
            var info = new FileInfo(InAofDir(name));
            long size = info.Length;
            status = AofLoadStatus.Ok;
            return size;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            bool missing = e is FileNotFoundException or DirectoryNotFoundException;
            status = missing ? AofLoadStatus.NotExist : AofLoadStatus.OpenError;
            Log.Warning($"Unable to obtain the AOF file {name} length. stat: {(missing ? "No such file or directory" : e.Message)}");
            return 0;
        }
        finally
        {
            _server.AddLatencySampleIfNeeded("aof-fstat", Stopwatch.GetTimestamp() - started);
        }
    }
}
