using System.Buffers.Binary;
using System.Buffers.Text;
using System.Runtime.CompilerServices;
using System.Text;
using Vermilion.Server;

namespace Vermilion.Protocol;

/// <summary>
/// A client's output: RESP2/RESP3 encoding and the buffers the bytes wait in. As Redis, a first
/// 16 KiB buffer takes replies while no overflow list exists, then list nodes of
/// max(16 KiB, size) follow; only the list counts toward client-output-buffer-limit. Buffers
/// are leased from the server's pool and all returned once everything is written.
/// </summary>
public sealed class ReplyWriter
{
    readonly BufferPool _pool;
    readonly Stats _stats;
    byte[]? _buf;
    int _bufPos, _sent;
    byte[][]? _nodes;
    int[]? _nodeUsed;
    int _nodeHead, _nodeCount;

    /// <summary>RESP version: 2 or 3 (HELLO).</summary>
    public int Resp = 2;
    /// <summary>While set, replies are dropped (CLIENT REPLY OFF/SKIP, close-after-reply).</summary>
    public bool Muted;
    /// <summary>
    /// Called when a muted reply is dropped; set for a replica, whose link carries the stream and must carry
    /// no reply (7.0's _addReplyToBufferOrList/addReplyDeferredLen disconnect a replica that generates one).
    /// </summary>
    public Action? ReplyDropped;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    bool Drops() => Muted && Dropped();

    [MethodImpl(MethodImplOptions.NoInlining)]
    bool Dropped()
    {
        ReplyDropped?.Invoke();
        return true;
    }
    /// <summary>reply_bytes: the bytes of the overflow list's nodes.</summary>
    public long ListBytes { get; private set; }
    public int ListNodes => _nodeCount;
    public int BufferUsed => _bufPos;
    public int BufferSize => _buf?.Length ?? 0;
    public int Peak;

    public ReplyWriter(BufferPool pool, Stats stats)
    {
        _pool = pool;
        _stats = stats;
    }

    public bool HasPending => _bufPos > _sent || _nodeCount > 0;

    // ---- raw bytes -------------------------------------------------------------------------

    /// <summary>The free space at the end of the output: the first buffer while no list exists, else the tail node.</summary>
    Span<byte> FreeSpace()
    {
        if (_nodeCount == 0)
        {
            _buf ??= _pool.Rent();
            return _buf.AsSpan(_bufPos);
        }
        int tail = (_nodeHead + _nodeCount - 1) % _nodes!.Length;
        return _nodes[tail].AsSpan(_nodeUsed![tail]);
    }

    /// <summary>
    /// <paramref name="size"/> bytes at the first buffer's free end while no list exists and they fit,
    /// else empty; follow with <see cref="Advance"/>. The short replies' path (a bulk, +OK, a shared
    /// reply): FreeSpace, Reserve and the general copy loop were ~100 instructions of a -P 128 GET or SET.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    Span<byte> RoomInFirstBuffer(int size) =>
        _nodeCount == 0 && _buf is { } buf && buf.Length - _bufPos >= size ? buf.AsSpan(_bufPos, size) : default;

    /// <summary>Contiguous space for <paramref name="size"/> bytes; follow with <see cref="Advance"/>.</summary>
    Span<byte> Reserve(int size)
    {
        var span = FreeSpace();
        if (span.Length >= size) return span;
        AddNode(size);
        return FreeSpace();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    void Advance(int n)
    {
        if (_nodeCount == 0)
        {
            _bufPos += n;
            if (_bufPos > Peak) Peak = _bufPos;
        }
        else _nodeUsed![(_nodeHead + _nodeCount - 1) % _nodes!.Length] += n;
    }

    void AddNode(int size)
    {
        if (_nodes is null)
        {
            _nodes = new byte[4][];
            _nodeUsed = new int[4];
        }
        else if (_nodeCount == _nodes.Length)
        {
            var nodes = new byte[_nodes.Length * 2][];
            var used = new int[_nodes.Length * 2];
            for (int i = 0; i < _nodeCount; i++)
            {
                int j = (_nodeHead + i) % _nodes.Length;
                nodes[i] = _nodes[j];
                used[i] = _nodeUsed![j];
            }
            _nodes = nodes;
            _nodeUsed = used;
            _nodeHead = 0;
        }
        var chunk = _pool.Rent(Math.Max(BufferPool.ChunkSize, size));
        int slot = (_nodeHead + _nodeCount) % _nodes.Length;
        _nodes[slot] = chunk;
        _nodeUsed![slot] = 0;
        _nodeCount++;
        ListBytes += chunk.Length;
    }

    public void Raw(ReadOnlySpan<byte> data)
    {
        if (Drops()) return;
        var room = RoomInFirstBuffer(data.Length);
        if (room.IsEmpty)
        {
            Stream(data);
            return;
        }
        data.CopyTo(room);
        Advance(data.Length);
    }

    /// <summary>Bytes that go out whatever <see cref="Muted"/> says: the replication stream and snapshot to a replica, whose replies are muted.</summary>
    public void Stream(ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty)
        {
            var span = FreeSpace();
            if (span.IsEmpty) { AddNode(data.Length); continue; }
            int n = Math.Min(span.Length, data.Length);
            data[..n].CopyTo(span);
            Advance(n);
            data = data[n..];
        }
    }

    void Line(byte prefix, long value)
    {
        var span = Reserve(24);
        int w = LineInto(span, prefix, value);
        Advance(w);
    }

    /// <summary>Writes `prefix value \r\n` at the start of <paramref name="span"/> (24 bytes at least) and returns its length.</summary>
    static int LineInto(Span<byte> span, byte prefix, long value)
    {
        span[0] = prefix;
        int w;
        // Lengths and counts are mostly under 100: two digits written directly (the general
        // formatter was 1.8% of a -P 128 GET).
        if ((ulong)value < 10) { span[1] = (byte)('0' + value); w = 1; }
        else if ((ulong)value < 100) { span[1] = (byte)('0' + value / 10); span[2] = (byte)('0' + value % 10); w = 2; }
        else Utf8Formatter.TryFormat(value, span[1..], out w);
        span[1 + w] = (byte)'\r';
        span[2 + w] = (byte)'\n';
        return w + 3;
    }

    // ---- RESP types --------------------------------------------------------------------------

    public void Ok()
    {
        if (Drops()) return;
        var room = RoomInFirstBuffer(5);
        if (room.IsEmpty)
        {
            Stream("+OK\r\n"u8);
            return;
        }
        // "+OK\r" as one little-endian word, then "\n": a write's commonest reply, no copy call.
        BinaryPrimitives.WriteUInt32LittleEndian(room, 0x0D4B4F2Bu);
        room[4] = (byte)'\n';
        Advance(5);
    }

    public void Simple(ReadOnlySpan<byte> text)
    {
        if (Drops()) return;
        Raw("+"u8); Raw(text); Raw("\r\n"u8);
    }

    public void Simple(string text) { if (!Drops()) { Raw("+"u8); RawString(text); Raw("\r\n"u8); } }

    /// <summary>addReplyError: a text that starts with '-' carries its own code; otherwise "-ERR " is put in front.
    /// CR and LF inside would break the protocol, so they become spaces, as Redis does. An error text
    /// is a byte string: each char is one byte (Latin-1), so a client's bytes quoted in it (read with
    /// <see cref="CommandArgs.GetCString"/>) go back exactly as they came, as Redis's %s echoes them.</summary>
    public void Error(string text)
    {
        _stats.CountError(text.Length > 0 && text[0] == '-' ? text.AsSpan(1) : "ERR");
        if (Drops()) return;
        if (text.Length == 0 || text[0] != '-') Raw("-ERR "u8);
        if (text.AsSpan().IndexOfAny('\r', '\n') >= 0) text = text.Replace('\r', ' ').Replace('\n', ' ');
        if (text.Length <= 512)
        {
            Span<byte> bytes = stackalloc byte[text.Length];
            Raw(bytes[..Encoding.Latin1.GetBytes(text, bytes)]);
        }
        else Raw(Encoding.Latin1.GetBytes(text));
        Raw("\r\n"u8);
    }

    /// <summary>A preformatted error such as "-WRONGTYPE ...\r\n" (no allocation).</summary>
    public void ErrorRaw(ReadOnlySpan<byte> full)
    {
        _stats.CountError(full[1..]);
        if (!Drops()) Raw(full);
    }

    public void Integer(long value) { if (!Drops()) Line((byte)':', value); }

    public void Bulk(ReadOnlySpan<byte> value)
    {
        if (Drops()) return;
        int n = value.Length;
        if (n < 100)
        {
            // The commonest reply, header and value in one span, the first buffer's when it has room.
            var span = RoomInFirstBuffer(n + 7);
            if (span.IsEmpty) span = Reserve(n + 7);
            int w;
            // "$N\r\n" as one little-endian word (and one more byte for two digits).
            if (n < 10)
            {
                BinaryPrimitives.WriteUInt32LittleEndian(span, 0x0A0D0024u | (uint)('0' + n) << 8);
                w = 4;
            }
            else
            {
                BinaryPrimitives.WriteUInt32LittleEndian(span, 0x0D000024u | (uint)('0' + n / 10) << 8 | (uint)('0' + n % 10) << 16);
                span[4] = (byte)'\n';
                w = 5;
            }
            value.CopyTo(span[w..]);
            BinaryPrimitives.WriteUInt16LittleEndian(span[(w + n)..], 0x0A0D);
            Advance(w + n + 2);
        }
        else
        {
            Line((byte)'$', value.Length);
            Raw(value);
            Raw("\r\n"u8);
        }
    }

    public void Bulk(string value)
    {
        if (Drops()) return;
        Line((byte)'$', Encoding.UTF8.GetByteCount(value));
        RawString(value);
        Raw("\r\n"u8);
    }

    public void Bulk(long value)
    {
        Span<byte> tmp = stackalloc byte[20];
        Bulk(tmp[..IntegerText.Format(value, tmp)]);
    }

    /// <summary>A missing value: RESP2 null bulk, RESP3 null.</summary>
    public void Null() { if (!Drops()) Raw(Resp == 3 ? "_\r\n"u8 : "$-1\r\n"u8); }

    /// <summary>A missing aggregate: RESP2 null array, RESP3 null.</summary>
    public void NullArray() { if (!Drops()) Raw(Resp == 3 ? "_\r\n"u8 : "*-1\r\n"u8); }

    public void ArrayHeader(long count) { if (!Drops()) Line((byte)'*', count); }
    /// <summary>RESP3 map; in RESP2 a flat array of twice the pairs.</summary>
    public void MapHeader(long pairs) { if (!Drops()) Line(Resp == 3 ? (byte)'%' : (byte)'*', Resp == 3 ? pairs : pairs * 2); }
    public void SetHeader(long count) { if (!Drops()) Line(Resp == 3 ? (byte)'~' : (byte)'*', count); }
    public void PushHeader(long count) { if (!Drops()) Line(Resp == 3 ? (byte)'>' : (byte)'*', count); }

    public void Bool(bool value)
    {
        if (Drops()) return;
        if (Resp == 3) Raw(value ? "#t\r\n"u8 : "#f\r\n"u8);
        else Raw(value ? ":1\r\n"u8 : ":0\r\n"u8);
    }

    /// <summary>RESP3 double; RESP2 a bulk string with the same %.17g text as Redis.</summary>
    public void Double(double value)
    {
        if (Drops()) return;
        Span<byte> text = stackalloc byte[DoubleText.MaxLength + 3];
        int n = DoubleText.Format(value, text[1..]);
        if (Resp == 3)
        {
            text[0] = (byte)',';
            text[n + 1] = (byte)'\r';
            text[n + 2] = (byte)'\n';
            Raw(text[..(n + 3)]);
        }
        else Bulk(text.Slice(1, n));
    }

    public static string FormatDouble(double value) => DoubleText.ToString(value);

    /// <summary>RESP3 verbatim string ("=len\r\ntxt:..."); RESP2 a bulk string (CLIENT LIST, INFO).</summary>
    public void Verbatim(string text, string format = "txt")
    {
        if (Drops()) return;
        if (Resp != 3) { Bulk(text); return; }
        Line((byte)'=', Encoding.UTF8.GetByteCount(text) + 4);
        RawString(format); Raw(":"u8); RawString(text); Raw("\r\n"u8);
    }

    void RawString(string s)
    {
        if (s.Length <= 256)
        {
            Span<byte> tmp = stackalloc byte[s.Length * 3];
            Raw(tmp[..Encoding.UTF8.GetBytes(s, tmp)]);
        }
        else Raw(Encoding.UTF8.GetBytes(s));
    }

    // ---- draining --------------------------------------------------------------------------

    /// <summary>The next bytes waiting to be written.</summary>
    public ReadOnlySpan<byte> Pending
    {
        get
        {
            if (_bufPos > _sent) return _buf.AsSpan(_sent, _bufPos - _sent);
            if (_nodeCount > 0) return _nodes![_nodeHead].AsSpan(_sent, _nodeUsed![_nodeHead] - _sent);
            return default;
        }
    }

    /// <summary>Marks <paramref name="n"/> bytes of <see cref="Pending"/> as written; returns buffers once drained.</summary>
    public void Consume(int n)
    {
        _sent += n;
        if (_bufPos > 0)
        {
            if (_sent < _bufPos) return;
            _bufPos = 0;
            _sent = 0;
        }
        else if (_nodeCount > 0 && _sent >= _nodeUsed![_nodeHead])
        {
            var node = _nodes![_nodeHead];
            ListBytes -= node.Length;
            _nodes[_nodeHead] = null!;
            _nodeHead = (_nodeHead + 1) % _nodes.Length;
            _nodeCount--;
            _sent = 0;
            _pool.Return(node);
        }
        if (!HasPending) ReleaseBuffers();
    }

    /// <summary>Drops everything not yet written and returns the buffers (client freed, or reply discarded).</summary>
    public void Discard()
    {
        while (_nodeCount > 0)
        {
            _pool.Return(_nodes![_nodeHead]);
            _nodes[_nodeHead] = null!;
            _nodeHead = (_nodeHead + 1) % _nodes.Length;
            _nodeCount--;
        }
        ListBytes = 0;
        _bufPos = _sent = 0;
        ReleaseBuffers();
    }

    void ReleaseBuffers()
    {
        if (_buf is not null) { _pool.Return(_buf); _buf = null; }
        _nodeHead = 0;
    }
}
