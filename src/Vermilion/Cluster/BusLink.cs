using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Vermilion.Net;

namespace Vermilion.Cluster;

/// <summary>
/// One bus connection (cluster.c clusterLink): outbound, opened by this node to a known node
/// (non-blocking connect, then a PING or MEET at once), or inbound, accepted from a peer whose
/// node is learned from its first message. Reads a message at a time (the first 8 bytes give
/// the signature and the length; anything but "RCmb" and at least the header's length drops the
/// link, as clusterReadHandler), writes from a send buffer when the socket takes it. Any I/O
/// error frees the link; clusterCron reconnects outbound ones.
/// </summary>
public sealed unsafe class BusLink : IFileEventHandler
{
    readonly ClusterBus _bus;
    readonly EventLoop _loop;
    readonly Socket? _socket;
    public int Fd { get; }
    public ClusterNode? Node;
    public bool Inbound { get; }
    public long CreatedMs { get; }
    bool _connecting, _freed;
    byte[] _recv = new byte[RecvInitial];
    int _recvLength;
    byte[] _send = [];
    int _sendStart, _sendEnd;
    const int RecvInitial = 1024;

    BusLink(ClusterBus bus, EventLoop loop, int fd, Socket? socket, ClusterNode? node, bool inbound, long nowMs)
    {
        _bus = bus;
        _loop = loop;
        Fd = fd;
        _socket = socket;
        Node = node;
        Inbound = inbound;
        CreatedMs = nowMs;
    }

    public bool Freed => _freed;

    /// <summary>CLUSTER LINKS' events: 'r' while reading, 'w' while bytes wait to be written.</summary>
    public string Events
    {
        get
        {
            var mask = _loop.GetFileEvents(Fd);
            return ((mask & FileEventMask.Readable) != 0 ? "r" : "") + ((mask & FileEventMask.Writable) != 0 ? "w" : "");
        }
    }

    public long SendBufferAllocated => _send.Length;
    public long SendBufferUsed => _sendEnd - _sendStart;
    public long MemoryBytes => 64 + _send.Length + _recv.Length;

    /// <summary>clusterConnAcceptHandler: an accepted connection waits for its first message.</summary>
    public static BusLink Accepted(ClusterBus bus, EventLoop loop, int fd, long nowMs)
    {
        var link = new BusLink(bus, loop, fd, null, null, inbound: true, nowMs);
        loop.CreateFileEvent(fd, FileEventMask.Readable, link);
        return link;
    }

    /// <summary>
    /// connConnect for clusterNodeCronHandleReconnect: a non-blocking connect to the node's bus
    /// port; null on a synchronous failure (a bad address, no route).
    /// </summary>
    public static BusLink? Connect(ClusterBus bus, EventLoop loop, ClusterNode node, long nowMs)
    {
        if (!IPAddress.TryParse(node.Ip, out var ip)) return null;
        Socket socket;
        try
        {
            socket = new Socket(ip.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { Blocking = false, NoDelay = true };
        }
        catch (SocketException) { return null; }
        bool connecting = false;
        try
        {
            socket.Connect(new IPEndPoint(ip, node.CPort));
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.WouldBlock or SocketError.InProgress or SocketError.AlreadyInProgress)
        {
            connecting = true;
        }
        catch (Exception e) when (e is SocketException or ArgumentException)
        {
            socket.Dispose();
            return null;
        }
        int fd = (int)socket.Handle;
        var link = new BusLink(bus, loop, fd, socket, node, inbound: false, nowMs) { _connecting = connecting };
        node.Link = link;
        if (connecting) loop.CreateFileEvent(fd, FileEventMask.Writable, link);
        else link.Connected();
        return link;
    }

    /// <summary>clusterLinkConnectHandler: read from now on, and say hello (a MEET to a node met by CLUSTER MEET).</summary>
    void Connected()
    {
        _connecting = false;
        _loop.DeleteFileEvent(Fd, FileEventMask.Writable);
        _loop.CreateFileEvent(Fd, FileEventMask.Readable, this);
        _bus.LinkConnected(this);
    }

    /// <summary>The local address of this connection (connSockName: how a node learns its own IP from a MEET).</summary>
    public string? LocalIp => Native.LocalAddress(Fd).Ip?.ToString();
    /// <summary>The peer's address (connPeerToString).</summary>
    public string? PeerIp => Native.PeerAddress(Fd).Ip?.ToString();

    public void OnReadable(EventLoop loop, int fd)
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
            nint n;
            fixed (byte* p = &_recv[_recvLength]) n = Native.Read(fd, p, want);
            if (n < 0)
            {
                int errno = Native.LastErrno;
                if (errno == Native.EAGAIN) return;
                if (errno == Native.EINTR) continue;
                Free();
                return;
            }
            if (n == 0)
            {
                Free();
                return;
            }
            _recvLength += (int)n;
            if (_recvLength >= 8 && _recvLength == BinaryPrimitives.ReadUInt32BigEndian(_recv.AsSpan(4)))
            {
                bool alive = _bus.ProcessMessage(this, _recv.AsSpan(0, _recvLength));
                if (!alive || _freed) return;
                _recvLength = 0;
                if (_recv.Length > RecvInitial) _recv = new byte[RecvInitial];
            }
        }
    }

    public void OnWritable(EventLoop loop, int fd)
    {
        if (_connecting)
        {
            // SO_ERROR read as the errno it is: .NET's GetSocketOption gives a Windows SocketError code (10061), which strerror does not know.
            int error = Native.GetInt(fd, Native.SOL_SOCKET, Native.SO_ERROR);
            if (error != 0)
            {
                _bus.Log.Verbose($"Connection with Node {Node?.Name} at {Node?.Ip}:{Node?.CPort} failed: {(error > 0 ? Native.StrError(error) : "error")}");
                Free();
                return;
            }
            Connected();
            if (_sendEnd == _sendStart) return;
        }
        Flush();
    }

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
        if (wasEmpty && !_connecting) _loop.CreateFileEvent(Fd, FileEventMask.Writable, this);
    }

    void Flush()
    {
        while (_sendStart < _sendEnd)
        {
            nint n;
            fixed (byte* p = &_send[_sendStart]) n = Native.Write(Fd, p, _sendEnd - _sendStart);
            if (n < 0)
            {
                int errno = Native.LastErrno;
                if (errno == Native.EAGAIN) return;
                if (errno == Native.EINTR) continue;
                Free();
                return;
            }
            _sendStart += (int)n;
        }
        _sendStart = _sendEnd = 0;
        _loop.DeleteFileEvent(Fd, FileEventMask.Writable);
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
        _loop.DeleteFileEvent(Fd, FileEventMask.Readable | FileEventMask.Writable);
        if (_socket is not null) _socket.Dispose();
        else Native.Close(Fd);
        if (Node is not null)
        {
            if (Node.Link == this) Node.Link = null;
            else if (Node.InboundLink == this) Node.InboundLink = null;
        }
        _bus.LinkFreed(this);
    }
}
