using System.Collections.Concurrent;
using Vermilion.Server;

namespace Vermilion.Persistence;

/// <summary>
/// The AOF's background threads (bio.c): BIO_AOF_FSYNC, which fsyncs the incr file once a
/// second under appendfsync everysec so the loop never waits for the disk, and BIO_CLOSE_FILE,
/// which fsyncs and closes a replaced incr file and deletes history files (bg_unlink), work
/// whose cost depends on the disk. Two threads, as in Redis, so a slow close does not count as
/// a pending fsync (aof_pending_bio_fsync, and the 2-second postponement rule, read only the
/// fsync queue). A failed fsync is kept for the loop to see (aof_bio_fsync_status): writes are
/// refused with MISCONF until one succeeds. The threads start with their first job.
/// </summary>
public sealed class AofBackgroundJobs(Log log) : IDisposable
{
    readonly Worker _fsync = new("bio_aof_fsync"), _close = new("bio_close_file");
    volatile int _fsyncErrno;

    /// <summary>bioPendingJobsOfType(BIO_AOF_FSYNC): fsyncs queued or running.</summary>
    public long PendingFsyncs => _fsync.Pending;

    /// <summary>aof_bio_fsync_status/errno: 0 while the last background fsync succeeded, else its errno.</summary>
    public int FsyncErrno => _fsyncErrno;

    /// <summary>startAppendOnly forgets an old fsync error ("AOF reopen, just ignore the AOF fsync error in bio job").</summary>
    public void ClearFsyncError() => _fsyncErrno = 0;

    /// <summary>The sync the fsync thread runs: fdatasync; a test puts a slow disk here.</summary>
    internal Func<PosixFile, int> DataSync { get; set; } = file => file.DataSync();

    /// <summary>aof_background_fsync: fdatasync the file off the loop.</summary>
    public void Fsync(PosixFile file) => _fsync.Add(() =>
    {
        int errno = DataSync(file);
        // A file closed meanwhile (AOF turned off) did not fail to sync.
        if (errno != 0 && errno != Net.Native.EBADF && errno != Net.Native.EINVAL)
        {
            if (Interlocked.Exchange(ref _fsyncErrno, errno) == 0) log.Warning($"Fail to fsync the AOF file: {PosixFile.StrError(errno)}");
        }
        else _fsyncErrno = 0;
    });

    /// <summary>aof_background_fsync_and_close: the incr file a rewrite replaced is synced and closed off the loop.</summary>
    public void FsyncAndClose(PosixFile file) => _close.Add(() =>
    {
        file.DataSync();
        file.Dispose();
    });

    /// <summary>
    /// bg_unlink: the name goes at once (a file created under the same name right after is not
    /// touched), but the last close, where the filesystem frees a big file's blocks, is left to
    /// the background thread.
    /// </summary>
    public void Unlink(string path)
    {
        var held = PosixFile.OpenReadOnly(path);
        try { File.Delete(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        if (held is not null) _close.Add(held.Dispose);
    }

    /// <summary>Waits until both queues are empty (tests, shutdown); false on timeout.</summary>
    public bool WaitIdle(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (_fsync.Pending > 0 || _close.Pending > 0)
        {
            if (DateTime.UtcNow > deadline) return false;
            Thread.Sleep(1);
        }
        return true;
    }

    public void Dispose()
    {
        _fsync.Dispose();
        _close.Dispose();
    }

    sealed class Worker(string name) : IDisposable
    {
        readonly BlockingCollection<Action> _queue = new();
        Thread? _thread;
        long _pending;

        public long Pending => Interlocked.Read(ref _pending);

        public void Add(Action job)
        {
            Interlocked.Increment(ref _pending);
            if (_thread is null)
            {
                _thread = new Thread(Run) { IsBackground = true, Name = name };
                _thread.Start();
            }
            _queue.Add(job);
        }

        void Run()
        {
            foreach (var job in _queue.GetConsumingEnumerable())
            {
                job();
                Interlocked.Decrement(ref _pending);
            }
        }

        public void Dispose()
        {
            _queue.CompleteAdding();
            // Queued closes and deletes finish: an incr file must not be left unsynced at exit.
            _thread?.Join(TimeSpan.FromSeconds(10));
        }
    }
}
