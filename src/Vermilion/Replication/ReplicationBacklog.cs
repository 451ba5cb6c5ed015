namespace Vermilion.Replication;

/// <summary>
/// The replication backlog (replication.c's repl_backlog): the last <c>repl-backlog-size</c> bytes of
/// the stream, so a replica that lost its link can continue from its offset (+CONTINUE) instead of
/// loading a whole snapshot again. A ring of one array: Redis 7.0 shares its replicas' output blocks
/// instead, which saves a copy per byte but needs reference-counted buffers; one copy into a ring is
/// what 6.x did and costs a memcpy of what is propagated.
/// </summary>
public sealed class ReplicationBacklog
{
    byte[] _ring;
    int _head; // where the next byte goes

    /// <summary>repl_backlog_histlen: how many of the last bytes of the stream are held.</summary>
    public long HistoryLength { get; private set; }
    /// <summary>repl_backlog_off: the offset of the oldest byte held (master_repl_offset + 1 when empty).</summary>
    public long FirstByteOffset { get; private set; }
    public long Size => _ring.Length;

    public ReplicationBacklog(long size, long masterOffset)
    {
        _ring = new byte[(int)Math.Clamp(size, 16 * 1024, Array.MaxLength)];
        FirstByteOffset = masterOffset + 1;
    }

    /// <summary>feedReplicationBacklog: the stream's next bytes; the oldest fall out once the ring is full.</summary>
    public void Append(ReadOnlySpan<byte> data)
    {
        if (data.Length >= _ring.Length)
        {
            FirstByteOffset += HistoryLength + data.Length - _ring.Length;
            data[^_ring.Length..].CopyTo(_ring);
            _head = 0;
            HistoryLength = _ring.Length;
            return;
        }
        int first = Math.Min(data.Length, _ring.Length - _head);
        data[..first].CopyTo(_ring.AsSpan(_head));
        data[first..].CopyTo(_ring);
        _head = (_head + data.Length) % _ring.Length;
        long grown = HistoryLength + data.Length;
        if (grown > _ring.Length)
        {
            FirstByteOffset += grown - _ring.Length;
            grown = _ring.Length;
        }
        HistoryLength = grown;
    }

    /// <summary>Whether the stream from <paramref name="offset"/> on is still held (masterTryPartialResynchronization's window).</summary>
    public bool Holds(long offset) => offset >= FirstByteOffset && offset <= FirstByteOffset + HistoryLength;

    /// <summary>addReplyReplicationBacklog: the bytes from <paramref name="offset"/> to the end, in at most two pieces.</summary>
    public void CopyFrom(long offset, Action<ReadOnlyMemory<byte>> send)
    {
        long skip = offset - FirstByteOffset;
        long length = HistoryLength - skip;
        if (length <= 0) return;
        int start = (int)((_head - length + _ring.Length) % _ring.Length);
        int first = (int)Math.Min(length, _ring.Length - start);
        send(_ring.AsMemory(start, first));
        if (first < length) send(_ring.AsMemory(0, (int)(length - first)));
    }

    /// <summary>resizeReplicationBacklog: CONFIG SET repl-backlog-size keeps the newest history that fits.</summary>
    public void Resize(long size)
    {
        var old = _ring;
        long keep = Math.Min(HistoryLength, Math.Clamp(size, 16 * 1024, Array.MaxLength));
        var ring = new byte[(int)Math.Clamp(size, 16 * 1024, Array.MaxLength)];
        int start = (int)((_head - keep + old.Length) % old.Length);
        int first = (int)Math.Min(keep, old.Length - start);
        old.AsSpan(start, first).CopyTo(ring);
        old.AsSpan(0, (int)(keep - first)).CopyTo(ring.AsSpan(first));
        FirstByteOffset += HistoryLength - keep;
        HistoryLength = keep;
        _ring = ring;
        _head = (int)(keep % ring.Length);
    }
}
