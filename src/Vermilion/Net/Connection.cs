namespace Vermilion.Net;

/// <summary>Redis's connection states (connection.h), in the same order.</summary>
public enum ConnectionState { None, Connecting, Accepting, Connected, Closed, Error }

/// <summary>The side of a connection that reacts to its events: for accepted sockets, the client.</summary>
public interface IConnectionHandler
{
    void OnReadable(Connection conn);
    void OnWritable(Connection conn);
    /// <summary>The accept handler (clientAcceptHandler; for a cluster bus link this node opened, the connect handler): the connection is Connected, or its handshake failed (Error, Closed).</summary>
    void OnAccepted(Connection conn);
}

/// <summary>
/// An accepted socket: its fd, its <see cref="ConnectionType"/> and its state, as Redis's
/// <c>connection</c>. Reads and writes go through the type; the state moves to Closed on EOF and
/// to Error on a hard failure, keeping the errno. A TLS connection is a <see cref="TlsConnection"/>,
/// which overrides how events are armed and dispatched (OpenSSL may need the other direction).
/// </summary>
public class Connection : IFileEventHandler
{
    public int Fd { get; private set; }
    public ConnectionType Type { get; }
    public ConnectionState State { get; internal set; }
    public int LastErrno { get; internal set; }
    public IConnectionHandler? Handler { get; set; }
    /// <summary>Re-arm TCP_QUICKACK after every read (tcp-quickack yes, TCP only).</summary>
    public bool QuickAck { get; set; }
    /// <summary>The peer as accept(2) gave it (null for unix sockets): clientAcceptHandler's protected-mode check reads it.</summary>
    public System.Net.IPAddress? PeerIp { get; set; }
    private protected EventLoop? _loop;

    public Connection(int fd, ConnectionType type)
    {
        Fd = fd;
        Type = type;
        State = ConnectionState.Accepting;
    }

    /// <summary>
    /// connAccept: false when the connection cannot be accepted (then the caller frees it).
    /// A plain socket is connected at once and its handler's <see cref="IConnectionHandler.OnAccepted"/>
    /// runs now (connSocketAccept); a TLS one runs it when its handshake ends.
    /// </summary>
    public virtual bool Accept()
    {
        if (State != ConnectionState.Accepting) return false;
        State = ConnectionState.Connected;
        Handler?.OnAccepted(this);
        return true;
    }

    /// <summary>connGetLastError: what the last failure was, for logs.</summary>
    public virtual string LastError => Native.StrError(LastErrno);

    /// <summary>Bytes read, 0 at EOF (state Closed), -1 when nothing is there or on error (see <see cref="State"/>).</summary>
    public int Read(Span<byte> buffer) => Type.Read(this, buffer);

    /// <summary>Bytes written, or -1 on EAGAIN or error (see <see cref="State"/>).</summary>
    public int Write(ReadOnlySpan<byte> data) => Type.Write(this, data);

    public virtual bool SetReadHandler(EventLoop loop, bool on) => SetHandler(loop, FileEventMask.Readable, on);
    /// <summary>connSetWriteHandlerWithBarrier: with <paramref name="barrier"/> the writable event fires before the readable one in an iteration.</summary>
    public virtual bool SetWriteHandler(EventLoop loop, bool on, bool barrier = false) =>
        SetHandler(loop, barrier ? FileEventMask.Writable | FileEventMask.Barrier : FileEventMask.Writable, on);

    bool SetHandler(EventLoop loop, FileEventMask mask, bool on)
    {
        if (Fd < 0) return false;
        _loop = loop;
        if (on) return (loop.GetFileEvents(Fd) & mask) == mask || loop.CreateFileEvent(Fd, mask, this);
        loop.DeleteFileEvent(Fd, mask);
        return true;
    }

    public bool HasWriteHandler => _loop is not null && Fd >= 0 && (_loop.GetFileEvents(Fd) & FileEventMask.Writable) != 0;
    public bool HasReadHandler => _loop is not null && Fd >= 0 && (_loop.GetFileEvents(Fd) & FileEventMask.Readable) != 0;

    /// <summary>Removes both events and closes the fd; calling it twice is harmless.</summary>
    public virtual void Close()
    {
        if (Fd < 0) return;
        if (_loop is not null) _loop.DeleteFileEvent(Fd, FileEventMask.Readable | FileEventMask.Writable);
        Native.Close(Fd);
        Fd = -1;
        if (State != ConnectionState.Error) State = ConnectionState.Closed;
    }

    void IFileEventHandler.OnReadable(EventLoop loop, int fd) => Handler?.OnReadable(this);
    void IFileEventHandler.OnWritable(EventLoop loop, int fd) => Handler?.OnWritable(this);
}
