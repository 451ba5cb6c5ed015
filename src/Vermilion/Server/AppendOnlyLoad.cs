using System.Diagnostics;
using System.Globalization;
using Vermilion.Persistence;

namespace Vermilion.Server;

/// <summary>
/// The AOF at startup (aof.c aofLoadManifestFromDisk, loadAppendOnlyFiles, aofUpgradePrepare,
/// aofOpenIfNeededOnServerStart): every failure is fatal, Redis's exit(1), after its log lines.
/// </summary>
public sealed partial class AppendOnlyFile
{
    /// <summary>
    /// aofLoadManifestFromDisk: read at every start, whether AOF is on or not (a later CONFIG SET
    /// appendonly yes builds on it). A missing directory or manifest is an empty manifest; one
    /// that does not parse stops the server.
    /// </summary>
    public void LoadManifestFromDisk()
    {
        Manifest = new AofManifest();
        if (!Directory.Exists(AofDir))
        {
            Log.Debug($"The AOF directory {Config.AppendDirName} doesn't exist");
            return;
        }
        string name = AofManifest.ManifestName(AofName);
        string path = InAofDir(name);
        if (!File.Exists(path))
        {
            Log.Debug($"The AOF manifest file {name} doesn't exist");
            return;
        }
        byte[] text;
        try { text = File.ReadAllBytes(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Fatal($"Fatal error: can't open the AOF manifest file {path} for reading: {(e is UnauthorizedAccessException ? "Permission denied" : e.Message)}");
            return;
        }
        try
        {
            Manifest = AofManifest.Parse(text);
        }
        catch (AofManifestException e)
        {
            foreach (var line in e.LogLines()) Log.Warning(line);
            throw new AofStartupException();
        }
    }

    /// <summary>
    /// loadDataFromDisk with AOF on: the base and incr files in order, through a client with no
    /// connection. A failure stops the server: it never starts with part of the data.
    /// </summary>
    public void LoadOnStart(IAofReplay replay)
    {
        if (State != AofState.On) return;
        long started = Stopwatch.GetTimestamp();
        var status = LoadAppendOnlyFiles(replay);
        if (status is AofLoadStatus.Failed or AofLoadStatus.OpenError) throw new AofStartupException();
        if (status != AofLoadStatus.NotExist)
            Log.Notice($"DB loaded from append only file: {Seconds(started)} seconds");
    }

    /// <summary>
    /// DEBUG LOADAOF's load (debug.c): the manifest read again, history dropped, every file
    /// replayed into the (emptied) dataset; false after Redis's log lines when it fails.
    /// </summary>
    public bool Reload(IAofReplay replay)
    {
        LoadManifestFromDisk();
        DeleteHistoryFiles();
        return LoadAppendOnlyFiles(replay) is not (AofLoadStatus.Failed or AofLoadStatus.OpenError);
    }

    static string Seconds(long startedTicks) =>
        (Stopwatch.GetElapsedTime(startedTicks).TotalSeconds).ToString("0.000", CultureInfo.InvariantCulture);

    /// <summary>loadAppendOnlyFiles: upgrade an old single file, then the base, then each incr; a truncated file must be the last.</summary>
    AofLoadStatus LoadAppendOnlyFiles(IAofReplay replay)
    {
        var am = Manifest;
        // A pre-7.0 appendonly.aof in dir, and no multi-part AOF that supersedes it: move it in as the base.
        if (File.Exists(Path.Combine(Dir, AofName)))
        {
            if (!Directory.Exists(AofDir) || am.IsEmpty
                || (am.Base is not null && am.Incr.Count == 0 && am.Base.FileName == AofName && !File.Exists(InAofDir(AofName))))
                UpgradeOldAof(am);
        }
        if (am.IsEmpty) return AofLoadStatus.NotExist;

        int total = (am.Base is null ? 0 : 1) + am.Incr.Count;
        long totalSize = 0;
        foreach (var info in am.Base is null ? am.Incr : am.Incr.Prepend(am.Base))
        {
            totalSize += FileSize(info.FileName, out var sizeStatus);
            // A file the manifest lists but the disk does not have is fatal.
            if (sizeStatus != AofLoadStatus.Ok) return AofLoadStatus.Failed;
        }
        if (totalSize == 0) return AofLoadStatus.Empty;

        // startLoading ... stopLoading: INFO's loading_* fields, -LOADING for other clients, served every 1024 commands.
        _server.StartLoading(totalSize);
        try
        {
            return LoadFiles(am, total, totalSize, replay);
        }
        finally
        {
            _server.StopLoading();
        }
    }

    /// <summary>loadAppendOnlyFiles' part between startLoading and stopLoading: the base, then each incr file.</summary>
    AofLoadStatus LoadFiles(AofManifest am, int total, long totalSize, IAofReplay replay)
    {
        int number = 0;
        long baseSize = 0;
        var loader = new AofLoader(Log, AofDir, Config.AofLoadTruncated, RdbLoader) { Progress = _server.LoadingIncrProgress };
        var status = AofLoadStatus.Ok;
        if (am.Base is { } b)
        {
            baseSize = FileSize(b.FileName, out _);
            bool last = ++number == total;
            long started = Stopwatch.GetTimestamp();
            status = loader.Load(b.FileName, replay, oldStyle: b.FileName == AofName);
            if (status == AofLoadStatus.Ok || (status == AofLoadStatus.Truncated && last))
                Log.Notice($"DB loaded from base file {b.FileName}: {Seconds(started)} seconds");
            if (status == AofLoadStatus.Truncated && !last)
            {
                status = AofLoadStatus.Failed;
                Log.Warning("Fatal error: the truncated file is not the last file");
            }
            if (status is AofLoadStatus.OpenError or AofLoadStatus.Failed) return status;
        }
        foreach (var info in am.Incr)
        {
            bool last = ++number == total;
            long started = Stopwatch.GetTimestamp();
            status = loader.Load(info.FileName, replay, oldStyle: false);
            if (status == AofLoadStatus.Ok || (status == AofLoadStatus.Truncated && last))
                Log.Notice($"DB loaded from incr file {info.FileName}: {Seconds(started)} seconds");
            // Some file has data (the total is not 0): an empty incr file is fine.
            if (status == AofLoadStatus.Empty) status = AofLoadStatus.Ok;
            if (status == AofLoadStatus.Truncated && !last)
            {
                status = AofLoadStatus.Failed;
                Log.Warning("Fatal error: the truncated file is not the last file");
            }
            if (status is AofLoadStatus.OpenError or AofLoadStatus.Failed) return status;
        }
        CurrentSize = totalSize;
        // Not persisted anywhere: the base's size stands in for the size after the last rewrite.
        RewriteBaseSize = baseSize;
        return status;
    }

    /// <summary>aofUpgradePrepare: the old single file becomes the base of a new manifest, then moves into the AOF directory.</summary>
    void UpgradeOldAof(AofManifest am)
    {
        if (CreateAofDir() is { } error) Fatal($"Can't open or create append-only dir {Config.AppendDirName}: {error}");
        am.Base = new AofInfo(AofName, 1, AofFileType.Base);
        am.CurrentBaseSeq = 1;
        am.Dirty = true;
        if (!PersistManifest(am)) throw new AofStartupException();
        int errno = PosixFile.Rename(Path.Combine(Dir, AofName), InAofDir(AofName));
        if (errno != 0) Fatal($"Error trying to move the old AOF file {AofName} into dir {Config.AppendDirName}: {PosixFile.StrError(errno)}");
        Log.Notice($"Successfully migrated an old-style AOF file ({AofName}) into the AOF directory ({Config.AppendDirName}).");
    }

    /// <summary>
    /// aofOpenIfNeededOnServerStart: with AOF on, an empty start writes a base (the empty
    /// dataset) first; the last incr file is opened for appending (created when there is none)
    /// and the manifest persisted. Any failure stops the server.
    /// </summary>
    public void OpenOnServerStart()
    {
        if (State != AofState.On) return;
        if (CreateAofDir() is { } error) Fatal($"Can't open or create append-only dir {Config.AppendDirName}: {error}");
        int incrCount = Manifest.Incr.Count;
        if (Manifest.Base is null && incrCount == 0)
        {
            _rewriteBaseIsRdb = Config.AofUseRdbPreamble && RdbWriter is not null;
            string baseName = Manifest.NewBaseFileName(AofName, _rewriteBaseIsRdb);
            if (!RewriteAppendOnlyFile(InAofDir(baseName))) throw new AofStartupException();
            Log.Notice($"Creating AOF base file {baseName} on server start");
        }
        string name = Manifest.LastIncrFileName(AofName);
        _fd = PosixFile.OpenForAppend(InAofDir(name), out int errno);
        if (_fd is null) Fatal($"Can't open the append-only file {name}: {PosixFile.StrError(errno)}");
        if (!PersistManifest(Manifest)) throw new AofStartupException();
        _lastIncrSize = _lastIncrFsyncOffset = FileSize(name, out _);
        Log.Notice(incrCount > 0 ? $"Opening AOF incr file {name} on server start" : $"Creating AOF incr file {name} on server start");
        _server.EffectSinks.Add(this);
    }

    void Fatal(string line)
    {
        Log.Warning(line);
        throw new AofStartupException();
    }
}

/// <summary>The AOF stopped startup (Redis's exit(1) while loading); the reasons are already logged.</summary>
public sealed class AofStartupException() : Exception("AOF loading failed");
