using Vermilion.Net;

namespace Vermilion.Persistence;

/// <summary>
/// A file held the way Redis holds its AOF: a raw fd, so what the log says about a failure is
/// strerror(errno) as Redis prints it, a short write can be undone with ftruncate, and syncing
/// is fdatasync (redis_fsync on Linux) rather than a runtime flush. Every call returns 0 or the
/// errno; nothing throws. The fd is not thread-affine: the AOF's background fsync thread syncs
/// an fd the loop thread writes, as Redis's bio thread does.
/// </summary>
public sealed class PosixFile : IDisposable
{
    public int Fd { get; private set; }
    public string Path { get; }

    PosixFile(int fd, string path) => (Fd, Path) = (fd, path);

    /// <summary>open(path, O_WRONLY|O_APPEND|O_CREAT, 0644), as the AOF's incr file is opened.</summary>
    public static PosixFile? OpenForAppend(string path, out int errno) => Open(path, Native.O_WRONLY_CREATE_APPEND, out errno);

    /// <summary>open(path, O_WRONLY|O_TRUNC|O_CREAT, 0644): a new (or emptied) file.</summary>
    public static PosixFile? Create(string path, out int errno) => Open(path, Native.O_WRONLY_CREATE_TRUNCATE, out errno);

    /// <summary>open(path, O_RDONLY), or null: a handle that keeps an unlinked file's blocks until it is closed.</summary>
    public static PosixFile? OpenReadOnly(string path) => Open(path, Native.O_RDONLY, out _);

    static PosixFile? Open(string path, int flags, out int errno)
    {
        int fd = Native.OpenFile(path, flags);
        errno = fd < 0 ? Native.LastErrno : 0;
        return fd < 0 ? null : new PosixFile(fd, path);
    }

    /// <summary>
    /// aofWrite: write(2) until everything is written, retrying EINTR and short writes (a short
    /// write is usually the disk filling up, and the next try reports it). Returns the bytes
    /// written, or -1 when the first write failed; <paramref name="errno"/> says why it stopped.
    /// </summary>
    public unsafe long Write(ReadOnlySpan<byte> data, out int errno)
    {
        errno = 0;
        long total = 0;
        fixed (byte* p = data)
        {
            while (total < data.Length)
            {
                nint n = Native.Write(Fd, p + total, data.Length - (nint)total);
                if (n < 0)
                {
                    errno = Native.LastErrno;
                    if (errno == Native.EINTR) continue;
                    return total > 0 ? total : -1;
                }
                total += n;
            }
        }
        return total;
    }

    /// <summary>redis_fsync: fdatasync, the data and what is needed to read it back (not the mtime).</summary>
    public int DataSync() => Native.Fdatasync(Fd) == 0 ? 0 : Native.LastErrno;

    /// <summary>fsync: data and metadata, as Redis syncs a finished rewrite or manifest.</summary>
    public int Sync() => Native.Fsync(Fd) == 0 ? 0 : Native.LastErrno;

    public int Truncate(long length) => Native.Ftruncate(Fd, length) == 0 ? 0 : Native.LastErrno;

    public void Dispose()
    {
        if (Fd < 0) return;
        Native.Close(Fd);
        Fd = -1;
    }

    /// <summary>rename(2): 0 or errno.</summary>
    public static int Rename(string from, string to) => Native.Rename(from, to) == 0 ? 0 : Native.LastErrno;

    /// <summary>truncate(2) by path, as the AOF loader cuts a file at its last whole command: 0 or errno.</summary>
    public static int Truncate(string path, long length) => Native.Truncate(path, length) == 0 ? 0 : Native.LastErrno;

    /// <summary>fsyncFileDir: makes a rename or a new file in <paramref name="directory"/> durable; 0 or errno.</summary>
    public static int SyncDirectory(string directory) => Native.SyncDirectory(directory);

    /// <summary>strerror(errno), the words Redis logs.</summary>
    public static string StrError(int errno) => Native.StrError(errno);

    /// <summary>
    /// Writes <paramref name="content"/> to <paramref name="tempPath"/>, fsyncs it, renames it over
    /// <paramref name="path"/> and fsyncs the directory: a reader sees the old file or the new one,
    /// never a half-written one, and the new one survives a crash (writeAofManifestFile's steps).
    /// Returns null, or the failed step and its errno for the caller's log line.
    /// </summary>
    public static (string Step, int Errno)? ReplaceAtomically(string tempPath, string path, ReadOnlySpan<byte> content)
    {
        using var file = Create(tempPath, out int errno);
        if (file is null) return ("open", errno);
        if (file.Write(content, out errno) != content.Length) return ("write", errno == 0 ? Native.ENOSPC : errno);
        if ((errno = file.Sync()) != 0) return ("fsync", errno);
        if ((errno = Rename(tempPath, path)) != 0) return ("rename", errno);
        if ((errno = SyncDirectory(System.IO.Path.GetDirectoryName(path)!)) != 0) return ("dirfsync", errno);
        return null;
    }
}

/// <summary>
/// A write-only stream on a <see cref="PosixFile"/> for what serializes a whole file (an AOF base):
/// buffered, and with <c>autoSyncBytes</c> it fsyncs every that many bytes (rioSetAutoSync with
/// aof-rewrite-incremental-fsync), so the kernel never holds gigabytes of dirty pages for the
/// final fsync to flush at once. A failed write throws <see cref="PosixFileException"/> with errno.
/// </summary>
public sealed class PosixFileStream(PosixFile file, long autoSyncBytes) : Stream
{
    readonly byte[] _buffer = new byte[64 * 1024];
    int _buffered;
    long _written, _syncedAt;

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => _written + _buffered;
    public override long Position { get => Length; set => throw new NotSupportedException(); }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> data)
    {
        while (data.Length > 0)
        {
            if (_buffered == 0 && data.Length >= _buffer.Length)
            {
                WriteThrough(data);
                return;
            }
            int n = Math.Min(data.Length, _buffer.Length - _buffered);
            data[..n].CopyTo(_buffer.AsSpan(_buffered));
            _buffered += n;
            data = data[n..];
            if (_buffered == _buffer.Length) Flush();
        }
    }

    public override void WriteByte(byte value)
    {
        if (_buffered == _buffer.Length) Flush();
        _buffer[_buffered++] = value;
    }

    public override void Flush()
    {
        if (_buffered == 0) return;
        int n = _buffered;
        _buffered = 0;
        WriteThrough(_buffer.AsSpan(0, n));
    }

    void WriteThrough(ReadOnlySpan<byte> data)
    {
        if (file.Write(data, out int errno) != data.Length) throw new PosixFileException(errno == 0 ? Native.ENOSPC : errno);
        _written += data.Length;
        if (autoSyncBytes > 0 && _written - _syncedAt >= autoSyncBytes)
        {
            if ((errno = file.DataSync()) != 0) throw new PosixFileException(errno);
            _syncedAt = _written;
        }
    }

    /// <summary>Flushes and fsyncs: the file's bytes are on disk when this returns.</summary>
    public void FlushToDisk()
    {
        Flush();
        int errno = file.Sync();
        if (errno != 0) throw new PosixFileException(errno);
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}

/// <summary>A failed write or sync on a <see cref="PosixFile"/>, with the errno Redis would log.</summary>
public sealed class PosixFileException(int errno) : IOException(PosixFile.StrError(errno))
{
    public int Errno { get; } = errno;
}
