using Vermilion.Net;

namespace Vermilion.Replication;

/// <summary>
/// A primary's snapshot as a replica's diskless load reads it (rioConnRead): blocking reads from the
/// link within repl-timeout, ending where the payload ends — after `$len` bytes, or once the last
/// 40 bytes read are the `$EOF:` mark — so the loader's read-ahead never waits on the stream that
/// follows (a primary sends nothing after the mark until the first ACK). The mark's bytes reach the
/// loader, which stops at the RDB's own end before them.
/// </summary>
internal sealed class SnapshotPayloadStream : Stream
{
    readonly SyncConnection _link;
    readonly long _size;
    readonly byte[]? _mark;
    readonly long _timeoutMs;
    readonly SyncJob _job;
    readonly EofMarkTail? _tail;
    long _read;
    bool _markSeen;

    internal SnapshotPayloadStream(SyncConnection link, long size, byte[]? mark, long timeoutMs, SyncJob job)
    {
        _link = link;
        _size = size;
        _mark = mark;
        _timeoutMs = timeoutMs;
        _job = job;
        if (mark is not null) _tail = new EofMarkTail(mark);
    }

    /// <summary>The `$EOF:` mark this payload ends with, or null for a sized one.</summary>
    public byte[]? Mark => _mark;

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (_markSeen || (_mark is null && _read >= _size) || buffer.Length == 0) return 0;
        if (_mark is null) buffer = buffer[..(int)Math.Min(buffer.Length, _size - _read)];
        int n = _link.Read(buffer, _timeoutMs);
        if (n <= 0) return 0; // a cut link or repl-timeout: the loader reports a short read
        _read += n;
        _job.PayloadRead = _read;
        if (_tail is not null) _markSeen = _tail.EndsWithMark(buffer[..n]);
        return n;
    }

    /// <summary>After a load: a sized payload is whole, or an `$EOF:` one reached its mark (reading on to it if the loader stopped short).</summary>
    public bool ReadMark()
    {
        if (_mark is null) return _read == _size;
        Span<byte> rest = stackalloc byte[64];
        for (int i = 0; !_markSeen && i < 1024; i++)
            if (Read(rest) == 0) break;
        return _markSeen;
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => _read; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}

/// <summary>
/// The last 40 bytes of a `$EOF:`-framed payload read so far, chunk by chunk: the payload ends where they
/// are the mark (the primary sends nothing after it before the replica's first ACK). Both ways a replica
/// takes a snapshot (to a file, or to the loader) end by it.
/// </summary>
internal sealed class EofMarkTail(byte[] mark)
{
    readonly byte[] _tail = new byte[40];
    int _length;

    public bool EndsWithMark(ReadOnlySpan<byte> chunk)
    {
        if (chunk.Length >= 40) { chunk[^40..].CopyTo(_tail); _length = 40; }
        else
        {
            int keep = Math.Min(_length, 40 - chunk.Length);
            _tail.AsSpan(_length - keep, keep).CopyTo(_tail);
            chunk.CopyTo(_tail.AsSpan(keep));
            _length = keep + chunk.Length;
        }
        return _length == 40 && _tail.AsSpan().SequenceEqual(mark);
    }
}
