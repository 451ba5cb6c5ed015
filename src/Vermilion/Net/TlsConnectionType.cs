using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Vermilion.Server;

namespace Vermilion.Net;

/// <summary>
/// TLS over OpenSSL (Redis 7.0's CT_TLS in tls.c): TCP's socket options and addresses, with
/// bytes moved by SSL_read/SSL_write on the connection's fd. One instance per server: it holds
/// the server's <see cref="TlsContext"/> and the list of connections whose decrypted bytes
/// OpenSSL still holds (tls.c's pending_list), which the loop drains before it sleeps since
/// epoll cannot know about bytes already read from the socket.
/// </summary>
public sealed unsafe class TlsConnectionType : ConnectionType
{
    readonly Config _config;
    public TlsContext Context { get; } = new();

    // pending_list: connections with SSL_pending() > 0 after a read. Each knows its index, so
    // adding and removing are O(1) and nothing allocates in steady state.
    readonly List<TlsConnection> _pending = new();
    readonly List<TlsConnection> _pendingScratch = new();

    public TlsConnectionType(Config config) => _config = config;

    public override string Name => "tls";
    public override bool IsUnix => false;

    public override void ConfigureAccepted(int fd, Config config) => Tcp.ConfigureAccepted(fd, config);

    /// <summary>connCreateAcceptedTLS: an SSL object from the current context, verifying the peer as tls-auth-clients says.</summary>
    public override Connection CreateAccepted(int fd)
    {
        int verify = _config.TlsAuthClients switch
        {
            "no" => OpenSsl.SSL_VERIFY_NONE,
            "optional" => OpenSsl.SSL_VERIFY_PEER,
            _ => OpenSsl.SSL_VERIFY_PEER | OpenSsl.SSL_VERIFY_FAIL_IF_NO_PEER_CERT, // yes, and fail-secure
        };
        return new TlsConnection(fd, this, Context.Server, verify);
    }

    /// <summary>clusterAcceptHandler's connCreateAcceptedTLS(fd, TLS_CLIENT_AUTH_YES): a bus peer must show a certificate whatever tls-auth-clients says.</summary>
    public Connection CreateClusterAccepted(int fd) =>
        new TlsConnection(fd, this, Context.Server, OpenSsl.SSL_VERIFY_PEER | OpenSsl.SSL_VERIFY_FAIL_IF_NO_PEER_CERT);

    /// <summary>
    /// connCreateTLS + connTLSConnect on a socket whose TCP connect has completed: the client
    /// context when tls-client-cert-file/-key-file are set, else the server's (Redis's
    /// redis_tls_client_ctx fallback); the peer's certificate is verified against the CA.
    /// </summary>
    public Connection CreateConnecting(int fd) =>
        new TlsConnection(fd, this, Context.Client != 0 ? Context.Client : Context.Server, OpenSsl.SSL_VERIFY_PEER, connect: true);

    /// <summary>connTLSRead: the same contract as a socket read (bytes, 0 at EOF, -1 with the state saying whether to retry).</summary>
    public override int Read(Connection c, Span<byte> buffer)
    {
        var t = Unsafe.As<TlsConnection>(c);
        if (t.State != ConnectionState.Connected) return -1;
        int n;
        fixed (byte* p = buffer) n = OpenSsl.SslRead(t.Ssl, p, buffer.Length);
        if (n > 0)
        {
            if (c.QuickAck) Native.SetInt(c.Fd, Native.IPPROTO_TCP, Native.TCP_QUICKACK, 1);
            return n;
        }
        return t.AfterIoFailure(n, reading: true);
    }

    /// <summary>connTLSWrite: partial writes are on, so a short count is an ordinary result as with write(2).</summary>
    public override int Write(Connection c, ReadOnlySpan<byte> data)
    {
        var t = Unsafe.As<TlsConnection>(c);
        if (t.State != ConnectionState.Connected) return -1;
        int n;
        fixed (byte* p = data) n = OpenSsl.SslWrite(t.Ssl, p, data.Length);
        return n > 0 ? n : t.AfterIoFailure(n, reading: false);
    }

    public override string PeerAddress(Connection c, VermilionServer server) => Tcp.PeerAddress(c, server);
    public override string LocalAddress(Connection c, VermilionServer server) => Tcp.LocalAddress(c, server);

    /// <summary>tlsHasPendingData: the loop must not block while this holds.</summary>
    public bool HasPendingData => _pending.Count > 0;

    /// <summary>
    /// tlsProcessPendingData (beforeSleep): each connection OpenSSL still holds decrypted bytes
    /// for gets a readable event of its own. A connection may close or be added while this runs,
    /// so the pass works on a copy. Returns how many it served.
    /// </summary>
    public int ProcessPendingData()
    {
        if (_pending.Count == 0) return 0;
        _pendingScratch.AddRange(_pending);
        try
        {
            foreach (var conn in _pendingScratch)
                if (conn.Fd >= 0) conn.HandleEvent(FileEventMask.Readable);
            return _pendingScratch.Count;
        }
        finally { _pendingScratch.Clear(); }
    }

    internal void SetPending(TlsConnection conn, bool pending)
    {
        if (pending == conn.PendingIndex >= 0) return;
        if (pending)
        {
            conn.PendingIndex = _pending.Count;
            _pending.Add(conn);
            return;
        }
        int i = conn.PendingIndex, last = _pending.Count - 1;
        if (i != last)
        {
            _pending[i] = _pending[last];
            _pending[i].PendingIndex = i;
        }
        _pending.RemoveAt(last);
        conn.PendingIndex = -1;
    }
}

/// <summary>
/// A TLS connection (tls.c's tls_connection): the SSL object, the handshake as the Accepting
/// state, and the event bookkeeping TLS needs because a logical read may need the socket to be
/// writable (SSL_ERROR_WANT_WRITE) and a write may need it readable (renegotiation, key update):
/// the fd is armed for what the handler wants plus what OpenSSL asked for (updateSSLEvent), and
/// an event in one direction runs the other direction's handler when OpenSSL asked for it.
/// Accepted connections handshake as the server (state Accepting); the cluster bus's outgoing
/// links as the client (state Connecting, SSL_connect), with the same event bookkeeping.
/// </summary>
public sealed unsafe class TlsConnection : Connection, IFileEventHandler
{
    readonly TlsConnectionType _type;
    internal nint Ssl { get; private set; }
    string? _sslError;
    // What the client asked for (conn->read_handler, write_handler, CONN_FLAG_WRITE_BARRIER).
    bool _wantRead, _wantWrite, _barrier;
    // TLS_CONN_FLAG_READ_WANT_WRITE / WRITE_WANT_READ: a read waits for writability, a write for readability.
    bool _readWantsWrite, _writeWantsRead;
    internal int PendingIndex = -1;

    internal TlsConnection(int fd, TlsConnectionType type, nint ctx, int verifyMode, bool connect = false) : base(fd, type)
    {
        if (connect) State = ConnectionState.Connecting;
        _type = type;
        Ssl = ctx == 0 ? 0 : OpenSsl.SslNew(ctx);
        if (Ssl == 0)
        {
            _sslError = ctx == 0 ? "TLS is not configured" : OpenSsl.TakeError();
            State = ConnectionState.Error;
            return;
        }
        OpenSsl.SslSetVerify(Ssl, verifyMode, 0);
        OpenSsl.SslSetFd(Ssl, fd);
        if (connect) OpenSsl.SslSetConnectState(Ssl);
        else OpenSsl.SslSetAcceptState(Ssl);
    }

    /// <summary>connTLSGetLastError: OpenSSL's text, strerror for a failed system call, Redis's "(null)" when there is neither (a peer that went away in a handshake).</summary>
    public override string LastError => _sslError ?? "(null)";

    /// <summary>The negotiated protocol ("TLSv1.3"), or "" before the handshake ended.</summary>
    public string ProtocolVersion => Ssl != 0 && State == ConnectionState.Connected ? OpenSsl.Version(Ssl) : "";

    /// <summary>connTLSAccept (connTLSConnect's handshake for an outgoing one): starts the handshake; the accept (connect) handler runs when it ends, maybe now.</summary>
    public override bool Accept()
    {
        if (State is not (ConnectionState.Accepting or ConnectionState.Connecting)) return false;
        switch (Handshake())
        {
            case HandshakeStep.InProgress: return true;
            case HandshakeStep.Failed: return false;
        }
        Handler?.OnAccepted(this);
        if (Fd >= 0) UpdateSslEvent();
        return true;
    }

    enum HandshakeStep { Done, InProgress, Failed }

    HandshakeStep Handshake()
    {
        int ret = State == ConnectionState.Connecting ? OpenSsl.SslConnect(Ssl) : OpenSsl.SslAccept(Ssl);
        if (ret > 0)
        {
            State = ConnectionState.Connected;
            return HandshakeStep.Done;
        }
        int errno = Marshal.GetLastPInvokeError();
        int err = OpenSsl.SslGetError(Ssl, ret);
        if (err is OpenSsl.SSL_ERROR_WANT_READ or OpenSsl.SSL_ERROR_WANT_WRITE)
        {
            // registerSSLEvent: only the direction the handshake waits for.
            if (_loop is not null)
            {
                var (want, other) = err == OpenSsl.SSL_ERROR_WANT_READ
                    ? (FileEventMask.Readable, FileEventMask.Writable) : (FileEventMask.Writable, FileEventMask.Readable);
                if ((_loop.GetFileEvents(Fd) & other) != 0) _loop.DeleteFileEvent(Fd, other);
                if ((_loop.GetFileEvents(Fd) & want) == 0) _loop.CreateFileEvent(Fd, want, this);
            }
            return HandshakeStep.InProgress;
        }
        RecordError(err, errno);
        State = ConnectionState.Error;
        return HandshakeStep.Failed;
    }

    /// <summary>handleSSLReturnCode's error half: keep what went wrong for <see cref="LastError"/>.</summary>
    void RecordError(int err, int errno)
    {
        if (err == OpenSsl.SSL_ERROR_SYSCALL)
        {
            LastErrno = errno;
            _sslError = errno != 0 ? Native.StrError(errno) : null;
            OpenSsl.ErrClearError();
        }
        else
        {
            LastErrno = 0;
            _sslError = OpenSsl.TakeError();
        }
    }

    /// <summary>
    /// updateStateAfterSSLIO for a failed SSL_read/SSL_write: -1 with the state still Connected
    /// when OpenSSL only needs the socket again (noting which direction, for the event
    /// bookkeeping), 0 (reads) or -1 with state Closed at a close_notify or EOF, -1 with state
    /// Error otherwise.
    /// </summary>
    internal int AfterIoFailure(int ret, bool reading)
    {
        int errno = Marshal.GetLastPInvokeError();
        if (errno == Native.EINTR)
        {
            LastErrno = Native.EINTR;
            return -1;
        }
        int err = OpenSsl.SslGetError(Ssl, ret);
        switch (err)
        {
            case OpenSsl.SSL_ERROR_WANT_READ:
                // A read waiting for bytes is the ordinary EAGAIN; a write waiting for them is not.
                if (!reading && !_writeWantsRead) { _writeWantsRead = true; UpdateSslEvent(); }
                return -1;
            case OpenSsl.SSL_ERROR_WANT_WRITE:
                if (reading && !_readWantsWrite) { _readWantsWrite = true; UpdateSslEvent(); }
                return -1;
        }
        RecordError(err, errno);
        if (err == OpenSsl.SSL_ERROR_ZERO_RETURN || (err == OpenSsl.SSL_ERROR_SYSCALL && errno == 0))
        {
            State = ConnectionState.Closed;
            return reading ? 0 : -1;
        }
        State = ConnectionState.Error;
        return -1;
    }

    public override bool SetReadHandler(EventLoop loop, bool on)
    {
        if (Fd < 0) return false;
        _loop = loop;
        _wantRead = on;
        return UpdateSslEvent();
    }

    public override bool SetWriteHandler(EventLoop loop, bool on, bool barrier = false)
    {
        if (Fd < 0) return false;
        _loop = loop;
        _wantWrite = on;
        _barrier = on && barrier;
        return UpdateSslEvent();
    }

    /// <summary>updateSSLEvent: arm the fd for the handlers plus what OpenSSL waits for; disarm the rest. During the handshake the handshake decides.</summary>
    bool UpdateSslEvent()
    {
        var loop = _loop;
        if (loop is null || Fd < 0 || State is ConnectionState.Accepting or ConnectionState.Connecting) return true;
        var mask = loop.GetFileEvents(Fd);
        bool needRead = _wantRead || _writeWantsRead;
        bool needWrite = _wantWrite || _readWantsWrite;
        bool ok = true;
        if (needRead && (mask & FileEventMask.Readable) == 0) ok &= loop.CreateFileEvent(Fd, FileEventMask.Readable, this);
        if (!needRead && (mask & FileEventMask.Readable) != 0) loop.DeleteFileEvent(Fd, FileEventMask.Readable);
        var writeMask = _barrier ? FileEventMask.Writable | FileEventMask.Barrier : FileEventMask.Writable;
        if (needWrite && (mask & (FileEventMask.Writable | FileEventMask.Barrier)) != writeMask)
        {
            if ((mask & FileEventMask.Writable) != 0) loop.DeleteFileEvent(Fd, FileEventMask.Writable);
            ok &= loop.CreateFileEvent(Fd, writeMask, this);
        }
        if (!needWrite && (mask & FileEventMask.Writable) != 0) loop.DeleteFileEvent(Fd, FileEventMask.Writable);
        return ok;
    }

    void IFileEventHandler.OnReadable(EventLoop loop, int fd) => HandleEvent(FileEventMask.Readable);
    void IFileEventHandler.OnWritable(EventLoop loop, int fd) => HandleEvent(FileEventMask.Writable);

    /// <summary>
    /// tlsHandleEvent for one direction (the loop calls readable and writable apart, in its
    /// barrier order): the handshake while Accepting; once Connected, the client's handlers,
    /// each also run for the other direction when OpenSSL asked for it. After a readable event,
    /// whether OpenSSL still holds decrypted bytes decides the pending list.
    /// </summary>
    internal void HandleEvent(FileEventMask mask)
    {
        var handler = Handler;
        switch (State)
        {
            case ConnectionState.Accepting or ConnectionState.Connecting:
                if (Handshake() == HandshakeStep.InProgress) return;
                handler?.OnAccepted(this);
                if (Fd < 0) return;
                break;
            case ConnectionState.Connected:
                bool readable = mask == FileEventMask.Readable;
                if (readable ? _wantRead : _readWantsWrite)
                {
                    _readWantsWrite = false;
                    handler?.OnReadable(this);
                    if (Fd < 0) return;
                }
                if (readable ? _writeWantsRead : _wantWrite)
                {
                    _writeWantsRead = false;
                    if (_wantWrite) handler?.OnWritable(this);
                    if (Fd < 0) return;
                }
                if (readable && State == ConnectionState.Connected)
                    _type.SetPending(this, OpenSsl.SslPending(Ssl) > 0);
                break;
            default:
                return;
        }
        UpdateSslEvent();
    }

    /// <summary>connTLSClose: a close_notify when the session is up (best effort: the socket is non-blocking), then the SSL object and the fd.</summary>
    public override void Close()
    {
        if (Ssl != 0)
        {
            if (State == ConnectionState.Connected) OpenSsl.SslShutdown(Ssl);
            OpenSsl.ErrClearError();
            OpenSsl.SslFree(Ssl);
            Ssl = 0;
        }
        if (PendingIndex >= 0) _type.SetPending(this, false);
        base.Close();
    }
}
