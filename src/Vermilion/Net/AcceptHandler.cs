using System.Net;
using Vermilion.Server;

namespace Vermilion.Net;

/// <summary>
/// The read handler of a listening socket (Redis's acceptTcpHandler/acceptTLSHandler/acceptUnixHandler): on each
/// readable event it accepts up to <c>max-new-connections-per-cycle</c> (1000, MAX_ACCEPTS_PER_CALL)
/// connections with accept4(SOCK_NONBLOCK|SOCK_CLOEXEC), stopping at EAGAIN. Anything left in
/// the backlog fires again on the next turn, because the loop is level-triggered.
/// </summary>
public sealed unsafe class AcceptHandler : IFileEventHandler
{
    readonly VermilionServer _server;
    public int Fd { get; }
    public ConnectionType Type { get; }
    /// <summary>"127.0.0.1:6379" or the unix path, for logs.</summary>
    public string Description { get; }

    public AcceptHandler(VermilionServer server, int fd, ConnectionType type, string description)
    {
        _server = server;
        Fd = fd;
        Type = type;
        Description = description;
    }

    public void OnReadable(EventLoop loop, int fd)
    {
        _server.Stats.AcceptRounds++;
        byte* sa = stackalloc byte[Native.SockAddrStorageSize];
        int max = _server.Config.MaxNewConnectionsPerCycle;
        while (max-- > 0)
        {
            int len = Native.SockAddrStorageSize;
            int cfd = Native.Accept4(Fd, sa, &len, Native.SOCK_NONBLOCK | Native.SOCK_CLOEXEC);
            if (cfd < 0)
            {
                int errno = Native.LastErrno;
                if (errno == Native.EINTR) { max++; continue; }
                if (errno != Native.EAGAIN)
                    _server.Log.Warning($"Accepting client connection: accept: {Native.StrError(errno)}");
                return;
            }
            IPAddress? ip = null;
            if (Type.IsUnix)
                _server.Log.Verbose($"Accepted connection to {Description}");
            else
            {
                (ip, int port) = Native.ReadSockAddr(new ReadOnlySpan<byte>(sa, len));
                if (_server.Log.Enabled(LogLevel.Verbose)) _server.Log.Verbose($"Accepted {ip}:{port}");
            }
            _server.AcceptCommon(Type.CreateAccepted(cfd), ip);
        }
    }

    public void OnWritable(EventLoop loop, int fd) { }

    public void Close(EventLoop loop)
    {
        loop.DeleteFileEvent(Fd, FileEventMask.Readable | FileEventMask.Writable);
        Native.Close(Fd);
    }
}
