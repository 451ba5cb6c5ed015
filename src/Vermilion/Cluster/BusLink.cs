using System.Buffers.Binary;
using System.Net;
using Vermilion.Net;

namespace Vermilion.Cluster;

/// <summary>
/// One bus connection (cluster.c clusterLink): outbound, opened by this node to a known node
/// (non-blocking connect, then a PING or MEET at once), or inbound, accepted from a peer whose
/// node is learned from its first message. Bytes move through a <see cref="Connection"/>: plain
/// TCP, or TLS when tls-cluster is on (connTypeOfCluster), the handshake done before the first
/// message (as the server for inbound links, which must show a certificate; as the client for
/// outbound ones). Reads a message at a time (the first 8 bytes give the signature and the
/// length; anything but "RCmb" and at least the header's length drops the link, as
/// clusterReadHandler), writes from a send buffer when the connection takes it. Any I/O error
/// frees the link; clusterCron reconnects outbound ones.
/// </summary>
public sealed class BusLink : IFileEventHandler, IConnectionHandler
{
    readonly ClusterBus _bus;
    readonly EventLoop _loop;
    // The socket while its TCP connect is in progress; then the connection that owns it.
    readonly int _fd;
    Connection? _conn;
    public int Fd => _conn?.Fd ?? _fd;
    public ClusterNode? Node;
    public bool Inbound { get; }
    public long CreatedMs { get; }
    bool _freed;
    byte[] _recv = new byte[RecvInitial];
    int _recvLength;
    byte[] _send = [];
    int _sendStart, _sendEnd;
    const int RecvInitial = 1024;

    BusLink(ClusterBus bus, EventLoop loop, int fd, ClusterNode? node, bool inbound, long nowMs)
    {
        _bus = bus;
        _loop = loop;
        _fd = fd;
        Node = node;
        Inbound = inbound;
        CreatedMs = nowMs;
    }

    public bool Freed => _freed;
    bool IsConnected => _conn is { State: ConnectionState.Connected };

    /// <summary>CLUSTER LINKS' events: 'r' while reading, 'w' while bytes wait to be written.</summary>
    public string Events
    {
        get
        {
            if (_freed) return "";
            var mask = _loop.GetFileEvents(Fd);
            return ((mask & FileEventMask.Readable) != 0 ? "r" : "") + ((mask & FileEventMask.Writable) != 0 ? "w" : "");
        }
    }

    public long SendBufferAllocated => _send.Length;
    public long SendBufferUsed => _sendEnd - _sendStart;
    public long MemoryBytes => 64 + _send.Length + _recv.Length;

    /// <summary>clusterConnAcceptHandler: an accepted connection (after its TLS handshake, if any) waits for its first message. Check <see cref="Freed"/>: a handshake can fail at once.</summary>
    public static BusLink Accepted(ClusterBus bus, EventLoop loop, int fd, long nowMs)
    {
        var link = new BusLink(bus, loop, fd, null, inbound: true, nowMs);
        link.Start(bus.Tls is { } tls ? tls.CreateClusterAccepted(fd) : ConnectionType.Tcp.CreateAccepted(fd));
        return link;
    }

    /// <summary>
    /// connConnect for clusterNodeCronHandleReconnect: a non-blocking connect to the node's bus
    /// port; null on a synchronous failure (a bad address, no route). Check <see cref="Freed"/>.
    /// </summary>
    public static BusLink? Connect(ClusterBus bus, EventLoop loop, ClusterNode node, long nowMs)
    {
        if (!IPAddress.TryParse(node.Ip, out var ip)) return null;
        int fd = Native.ConnectNonBlocking(ip, node.CPort, out bool connecting);
        if (fd < 0) return null;
        var link = new BusLink(bus, loop, fd, node, inbound: false, nowMs);
        node.Link = link;
        if (connecting) loop.CreateFileEvent(fd, FileEventMask.Writable, link);
        else link.TcpConnected();
        return link;
    }

    /// <summary>The TCP connect ended: on to the TLS handshake, or straight to the connect handler.</summary>
    void TcpConnected()
    {
        _loop.DeleteFileEvent(_fd, FileEventMask.Writable);
        Start(_bus.Tls is { } tls ? tls.CreateConnecting(_fd) : ConnectionType.Tcp.CreateAccepted(_fd));
    }

    /// <summary>connAccept / connTLSConnect: <see cref="OnAccepted"/> runs when the connection is up (now for plain TCP, after the handshake for TLS).</summary>
    void Start(Connection conn)
    {
        _conn = conn;
        conn.Handler = this;
        if (!conn.SetReadHandler(_loop, true) || !conn.Accept()) Free();
    }

    /// <summary>clusterConnAcceptHandler / clusterLinkConnectHandler: read from now on; an outbound link says hello (a MEET to a node met by CLUSTER MEET).</summary>
    public void OnAccepted(Connection conn)
    {
        if (conn.State != ConnectionState.Connected)
        {
            if (Inbound) _bus.Log.Verbose($"Error accepting cluster node connection: {conn.LastError}");
            else _bus.Log.Verbose($"Connection with Node {Node?.Name} at {Node?.Ip}:{Node?.CPort} failed: {conn.LastError}");
            Free();
            return;
        }
        if (!Inbound) _bus.LinkConnected(this);
        if (!_freed && _sendEnd != _sendStart) conn.SetWriteHandler(_loop, true);
    }

    /// <summary>The local address of this connection (connSockName: how a node learns its own IP from a MEET).</summary>
    public string? LocalIp => Native.LocalAddress(Fd).Ip?.ToString();
    /// <summary>The peer's address (connPeerToString).</summary>
    public string? PeerIp => Native.PeerAddress(Fd).Ip?.ToString();

    /// <summary>The TCP connect's end (the only event the link takes before it has a connection).</summary>
    void IFileEventHandler.OnWritable(EventLoop loop, int fd)
    {
        int error = Native.GetInt(fd, Native.SOL_SOCKET, Native.SO_ERROR);
        if (error != 0)
        {
            _bus.Log.Verbose($"Connection with Node {Node?.Name} at {Node?.Ip}:{Node?.CPort} failed: {(error > 0 ? Native.StrError(error) : "error")}");
            Free();
            return;
        }
        TcpConnected();
    }

    void IFileEventHandler.OnReadable(EventLoop loop, int fd) { }

    public void OnReadable(Connection conn)
    {
        while (!_freed)
        {
            int want;
            if (_recvLength < 8) want = 8 - _recvLength;
            else
            {
                uint total = BinaryPrimitives.ReadUInt32BigEndian(_recv.AsSpan(4));
                if (_recvLength == 8 && (!_recv.AsSpan(0, 4).SequenceEqual(BusMessage.Signature) || total < BusMessage.HeaderLength))
                {
                    _bus.Log.Warning("Bad message length or signature received from Cluster bus.");
                    Free();
                    return;
                }
                want = (int)Math.Min(total - (uint)_recvLength, 64 * 1024);
                if (_recv.Length < total)
                {
                    // A big PUBLISH grows the buffer to the message; it shrinks back after it.
                    Array.Resize(ref _recv, (int)Math.Min(total, int.MaxValue));
                }
            }
            if (_recv.Length < _recvLength + want) Array.Resize(ref _recv, _recvLength + want);
            int n = conn.Read(_recv.AsSpan(_recvLength, want));
            if (n <= 0)
            {
                // -1 with the connection still up: nothing more to read now (EAGAIN, EINTR, TLS wants the socket).
                if (n < 0 && conn.State == ConnectionState.Connected) return;
                Free();
                return;
            }
            _recvLength += n;
            if (_recvLength >= 8 && _recvLength == BinaryPrimitives.ReadUInt32BigEndian(_recv.AsSpan(4)))
            {
                bool alive = _bus.ProcessMessage(this, _recv.AsSpan(0, _recvLength));
                if (!alive || _freed) return;
                _recvLength = 0;
                if (_recv.Length > RecvInitial) _recv = new byte[RecvInitial];
            }
        }
    }

    public void OnWritable(Connection conn) => Flush();

    /// <summary>clusterSendMessage: queue the bytes; the socket is written when it takes them.</summary>
    public void Send(ReadOnlySpan<byte> message)
    {
        if (_freed) return;
        bool wasEmpty = _sendEnd == _sendStart;
        if (_send.Length - _sendEnd < message.Length)
        {
            int used = _sendEnd - _sendStart;
            if (_send.Length - used < message.Length)
            {
                var grown = new byte[Math.Max(_send.Length * 2, used + message.Length)];
                _send.AsSpan(_sendStart, used).CopyTo(grown);
                _send = grown;
            }
            else _send.AsSpan(_sendStart, used).CopyTo(_send);
            _sendStart = 0;
            _sendEnd = used;
        }
        message.CopyTo(_send.AsSpan(_sendEnd));
        _sendEnd += message.Length;
        if (wasEmpty && IsConnected) _conn!.SetWriteHandler(_loop, true);
    }

    void Flush()
    {
        var conn = _conn!;
        while (_sendStart < _sendEnd)
        {
            int n = conn.Write(_send.AsSpan(_sendStart, _sendEnd - _sendStart));
            if (n < 0)
            {
                if (conn.State == ConnectionState.Connected) return;
                Free();
                return;
            }
            _sendStart += n;
        }
        _sendStart = _sendEnd = 0;
        conn.SetWriteHandler(_loop, false);
    }

    /// <summary>clusterNodeCronResizeBuffers: a send buffer four times bigger than what it holds gives the room back.</summary>
    public void ShrinkSendBuffer()
    {
        int used = _sendEnd - _sendStart;
        if (_send.Length / 4 <= used) return;
        var shrunk = new byte[used];
        _send.AsSpan(_sendStart, used).CopyTo(shrunk);
        _send = shrunk;
        _sendStart = 0;
        _sendEnd = used;
    }

    /// <summary>freeClusterLink: the connection closes and the node forgets this link.</summary>
    public void Free()
    {
        if (_freed) return;
        _freed = true;
        if (_conn is not null) _conn.Close();
        else
        {
            _loop.DeleteFileEvent(_fd, FileEventMask.Readable | FileEventMask.Writable);
            Native.Close(_fd);
        }
        if (Node is not null)
        {
            if (Node.Link == this) Node.Link = null;
            else if (Node.InboundLink == this) Node.InboundLink = null;
        }
        _bus.LinkFreed(this);
    }
}
