using System.Net;
using Vermilion.Server;

namespace Vermilion.Net;

/// <summary>
/// What differs between kinds of connection (Redis's ConnectionType vtable): socket options
/// on accept, how addresses are shown, and how bytes move. TCP and Unix share plain socket
/// I/O; <see cref="TlsConnectionType"/> overrides <see cref="Read"/> and <see cref="Write"/> and
/// creates connections of its own (<see cref="CreateAccepted"/>).
/// </summary>
public abstract unsafe class ConnectionType
{
    public static readonly ConnectionType Tcp = new TcpType();
    public static readonly ConnectionType Unix = new UnixType();

    public abstract string Name { get; }
    public abstract bool IsUnix { get; }

    /// <summary>connCreateAccepted*: the connection object for a socket accept(2) returned.</summary>
    public virtual Connection CreateAccepted(int fd) => new Connection(fd, this);

    /// <summary>Socket options for a newly accepted connection (createClient's part).</summary>
    public virtual void ConfigureAccepted(int fd, Config config) { }

    public virtual int Read(Connection c, Span<byte> buffer)
    {
        nint n;
        fixed (byte* p = buffer) n = Native.Read(c.Fd, p, buffer.Length);
        if (n > 0) return (int)n;
        if (n == 0) { c.State = ConnectionState.Closed; return 0; }
        int errno = Native.LastErrno;
        if (errno != Native.EAGAIN && errno != Native.EINTR && c.State == ConnectionState.Connected)
        {
            c.State = ConnectionState.Error;
            c.LastErrno = errno;
        }
        return -1;
    }

    public virtual int Write(Connection c, ReadOnlySpan<byte> data)
    {
        nint n;
        fixed (byte* p = data) n = Native.Write(c.Fd, p, data.Length);
        if (n >= 0) return (int)n;
        int errno = Native.LastErrno;
        if (errno != Native.EAGAIN && errno != Native.EINTR && c.State == ConnectionState.Connected)
        {
            c.State = ConnectionState.Error;
            c.LastErrno = errno;
        }
        return -1;
    }

    /// <summary>The peer ("addr") and local ("laddr") as CLIENT LIST shows them.</summary>
    public abstract string PeerAddress(Connection c, VermilionServer server);
    public abstract string LocalAddress(Connection c, VermilionServer server);

    internal static string FormatIpPort(IPAddress? ip, int port) =>
        ip is null ? "?:0" : ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{ip}]:{port}" : $"{ip}:{port}";

    sealed class TcpType : ConnectionType
    {
        public override string Name => "tcp";
        public override bool IsUnix => false;

        public override void ConfigureAccepted(int fd, Config config)
        {
            // Errors are ignored, as Redis's anetEnableTcpNoDelay/anetKeepAlive callers do.
            Native.SetInt(fd, Native.IPPROTO_TCP, Native.TCP_NODELAY, 1);
            int interval = config.TcpKeepAlive;
            if (interval > 0)
            {
                Native.SetInt(fd, Native.SOL_SOCKET, Native.SO_KEEPALIVE, 1);
                Native.SetInt(fd, Native.IPPROTO_TCP, Native.TCP_KEEPIDLE, interval);
                Native.SetInt(fd, Native.IPPROTO_TCP, Native.TCP_KEEPINTVL, Math.Max(1, interval / 3));
                Native.SetInt(fd, Native.IPPROTO_TCP, Native.TCP_KEEPCNT, 3);
            }
            if (config.TcpQuickAck) Native.SetInt(fd, Native.IPPROTO_TCP, Native.TCP_QUICKACK, 1);
        }

        public override int Read(Connection c, Span<byte> buffer)
        {
            int n = base.Read(c, buffer);
            // Linux leaves quick-ack mode on its own; re-arm it after each read (Camellia's tcp-quick-ack).
            if (n > 0 && c.QuickAck) Native.SetInt(c.Fd, Native.IPPROTO_TCP, Native.TCP_QUICKACK, 1);
            return n;
        }

        public override string PeerAddress(Connection c, VermilionServer server)
        {
            var (ip, port) = Native.PeerAddress(c.Fd);
            return FormatIpPort(ip, port);
        }

        public override string LocalAddress(Connection c, VermilionServer server)
        {
            var (ip, port) = Native.LocalAddress(c.Fd);
            return FormatIpPort(ip, port);
        }
    }

    sealed class UnixType : ConnectionType
    {
        public override string Name => "unix";
        public override bool IsUnix => true;
        public override string PeerAddress(Connection c, VermilionServer server) => server.Config.UnixSocket + ":0";
        public override string LocalAddress(Connection c, VermilionServer server) => server.Config.UnixSocket + ":0";
    }
}
