using System.Net;
using System.Net.Sockets;

namespace Vermilion.Net;

/// <summary>
/// A client connection whose connect, writes and line reads block the calling thread, each
/// bounded by a timeout in milliseconds: Redis's connBlockingConnect (anetTcpNonBlockConnect
/// then a wait for writability) and syncio.c (syncWrite, syncReadLine). MIGRATE uses it; the
/// event loop is stopped for as long as a call lasts, exactly as in Redis. A plain blocking
/// <see cref="Socket"/> is enough: this is an outgoing client socket, not the listener path. A
/// replica's handshake and snapshot transfer use it too, on a thread of their own.
/// </summary>
public sealed class SyncConnection : IDisposable
{
    readonly Socket _socket;
    /// <summary>Bytes received past the last line returned (syncReadLine reads a byte at a time; we read in blocks and keep the rest).</summary>
    readonly byte[] _in = new byte[16 * 1024];
    int _inStart, _inEnd;

    /// <summary>Why the last call failed: a timeout (Redis's ETIMEDOUT, which forbids MIGRATE's retry) or another error.</summary>
    public bool TimedOut { get; private set; }

    SyncConnection(Socket socket) => _socket = socket;

    /// <summary>
    /// connBlockingConnect (connSocketBlockingConnect): resolves <paramref name="host"/> (blocking, as
    /// getaddrinfo is) and starts a non-blocking connect to each address until one does not fail at
    /// once (anetTcpNonBlockConnect); null when none does. Then it waits at most
    /// <paramref name="timeoutMs"/> for the socket to be writable and, as Redis 7.0 does, returns the
    /// connection whatever the wait gave: a refused or unfinished connect shows in the first write.
    /// The port is a getaddrinfo service number: negative fails, the rest wraps to 16 bits.
    /// </summary>
    public static SyncConnection? Connect(string host, int port, long timeoutMs)
    {
        if (port < 0 || host.Length == 0) return null;
        IPAddress[] addresses;
        try
        {
            addresses = IPAddress.TryParse(host, out var literal) ? [literal] : Dns.GetHostAddresses(host);
        }
        catch (Exception e) when (e is SocketException or ArgumentException)
        {
            return null;
        }
        foreach (var address in addresses)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                socket.Blocking = false;
                try
                {
                    socket.Connect(new IPEndPoint(address, port & 0xFFFF));
                }
                catch (SocketException e) when (e.SocketErrorCode is SocketError.WouldBlock or SocketError.InProgress) { }
                socket.Poll(Microseconds(timeoutMs), SelectMode.SelectWrite);
                socket.Blocking = true;
                // connEnableTcpNoDelay's failure is ignored, as in Redis.
                try { socket.NoDelay = true; } catch (SocketException) { }
                return new SyncConnection(socket);
            }
            catch (SocketException) { }
            socket.Dispose();
        }
        return null;
    }

    /// <summary>syncWrite: all of <paramref name="data"/> within <paramref name="timeoutMs"/>, or false.</summary>
    public bool Write(ReadOnlySpan<byte> data, long timeoutMs)
    {
        long deadline = Deadline(timeoutMs);
        TimedOut = false;
        try
        {
            while (data.Length > 0)
            {
                if (!WaitFor(SelectMode.SelectWrite, deadline)) return false;
                int n = _socket.Send(data, SocketFlags.None, out var error);
                if (error is SocketError.WouldBlock or SocketError.Interrupted) continue;
                if (error != SocketError.Success || n <= 0) return false;
                data = data[n..];
            }
            return true;
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>
    /// syncReadLine: one line without its CRLF, waiting at most <paramref name="timeoutMs"/> in all;
    /// null on a timeout, an error or the peer closing.
    /// </summary>
    public byte[]? ReadLine(long timeoutMs)
    {
        long deadline = Deadline(timeoutMs);
        TimedOut = false;
        try
        {
            while (true)
            {
                int newline = _in.AsSpan(_inStart, _inEnd - _inStart).IndexOf((byte)'\n');
                if (newline >= 0)
                {
                    int end = _inStart + newline;
                    var line = _in.AsSpan(_inStart, end > _inStart && _in[end - 1] == '\r' ? end - 1 - _inStart : end - _inStart).ToArray();
                    _inStart = end + 1;
                    return line;
                }
                if (_inStart > 0)
                {
                    _in.AsSpan(_inStart, _inEnd - _inStart).CopyTo(_in);
                    _inEnd -= _inStart;
                    _inStart = 0;
                }
                // Target replies to MIGRATE are short status lines; one longer than the buffer is garbage.
                if (_inEnd == _in.Length) return null;
                if (!WaitFor(SelectMode.SelectRead, deadline)) return null;
                int n = _socket.Receive(_in.AsSpan(_inEnd), SocketFlags.None, out var error);
                if (error is SocketError.WouldBlock or SocketError.Interrupted) continue;
                if (error != SocketError.Success || n <= 0) return null;
                _inEnd += n;
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>
    /// Some bytes into <paramref name="buffer"/>: those read past the last line first, else one receive
    /// within <paramref name="timeoutMs"/>; 0 on a timeout, an error or the peer closing.
    /// </summary>
    public int Read(Span<byte> buffer, long timeoutMs)
    {
        if (_inEnd > _inStart)
        {
            int n = Math.Min(buffer.Length, _inEnd - _inStart);
            _in.AsSpan(_inStart, n).CopyTo(buffer);
            _inStart += n;
            return n;
        }
        long deadline = Deadline(timeoutMs);
        TimedOut = false;
        try
        {
            while (true)
            {
                if (!WaitFor(SelectMode.SelectRead, deadline)) return 0;
                int n = _socket.Receive(buffer, SocketFlags.None, out var error);
                if (error is SocketError.WouldBlock or SocketError.Interrupted) continue;
                return error == SocketError.Success && n > 0 ? n : 0;
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or InvalidOperationException)
        {
            return 0;
        }
    }

    /// <summary>
    /// Hands the socket over to the event loop (a replica's link, once synchronized): a non-blocking
    /// duplicate of its fd, or -1, and the bytes already read past the last call. This object is done.
    /// </summary>
    public int Detach(out byte[] buffered)
    {
        buffered = _in.AsSpan(_inStart, _inEnd - _inStart).ToArray();
        int fd = Native.DupCloexec((int)_socket.Handle);
        if (fd >= 0 && !Native.SetNonBlockingCloexec(fd))
        {
            Native.Close(fd);
            fd = -1;
        }
        _socket.Dispose();
        return fd;
    }

    /// <summary>aeWait until the deadline; a deadline passed is a timeout.</summary>
    bool WaitFor(SelectMode mode, long deadline)
    {
        while (true)
        {
            long left = deadline - Environment.TickCount64;
            if (left <= 0)
            {
                TimedOut = true;
                return false;
            }
            if (_socket.Poll(Microseconds(left), mode)) return true;
        }
    }

    static long Deadline(long timeoutMs)
    {
        long now = Environment.TickCount64;
        return timeoutMs > long.MaxValue - now ? long.MaxValue : now + timeoutMs;
    }

    static int Microseconds(long ms) => (int)Math.Clamp(ms * 1000, 0, int.MaxValue);

    public void Dispose() => _socket.Dispose();
}
