using System.Net.Sockets;
using System.Net;

namespace Vermilion.Net;

/// <summary>
/// Opens listening sockets the way Redis's anet.c does: socket, IPV6_V6ONLY for v6,
/// SO_REUSEADDR, bind, listen(backlog), then non-blocking and close-on-exec. Failures come back
/// as Redis's "bind: Address already in use" style text plus the errno, never as exceptions.
/// </summary>
public static unsafe class ListeningSocket
{
    public readonly record struct Result(int Fd, int Errno, string Error)
    {
        public bool Ok => Fd >= 0;
    }

    /// <summary>Resolves a bind address: <c>*</c> is IPv4 any, <c>::*</c> IPv6 any, names go through DNS.</summary>
    public static IPAddress? Resolve(string address)
    {
        if (address == "*") return IPAddress.Any;
        if (address == "::*") return IPAddress.IPv6Any;
        if (IPAddress.TryParse(address, out var ip)) return ip;
        try
        {
            var all = Dns.GetHostAddresses(address);
            return all.Length > 0 ? all[0] : null;
        }
        catch (SocketException) { return null; }
    }

    public static Result OpenTcp(string address, int port, int backlog)
    {
        var ip = Resolve(address);
        if (ip is null) return new Result(-1, Native.EADDRNOTAVAIL, $"{address}: Name or service not known");
        bool v6 = ip.AddressFamily == AddressFamily.InterNetworkV6;
        int fd = Native.Socket(v6 ? Native.AF_INET6 : Native.AF_INET, Native.SOCK_STREAM, 0);
        if (fd < 0) return Fail(-1, "socket");
        if (v6 && Native.SetInt(fd, Native.IPPROTO_IPV6, Native.IPV6_V6ONLY, 1) != 0) return Fail(fd, "setsockopt");
        if (Native.SetInt(fd, Native.SOL_SOCKET, Native.SO_REUSEADDR, 1) != 0) return Fail(fd, "setsockopt SO_REUSEADDR");
        byte* sa = stackalloc byte[Native.SockAddrStorageSize];
        int len = Native.WriteSockAddr(new Span<byte>(sa, Native.SockAddrStorageSize), ip, port);
        if (Native.Bind(fd, sa, len) != 0) return Fail(fd, "bind");
        if (Native.Listen(fd, backlog) != 0) return Fail(fd, "listen");
        if (!Native.SetNonBlockingCloexec(fd)) return Fail(fd, "fcntl");
        return new Result(fd, 0, "");
    }

    /// <summary>A Unix socket: the stale path is unlinked first, and chmod happens before listen (CVE-2023-45145).</summary>
    public static Result OpenUnix(string path, int perm, int backlog)
    {
        int max = Native.UnixPathMax - 1;
        if (System.Text.Encoding.UTF8.GetByteCount(path) > max)
            return new Result(-1, 0, $"unix socket path too long ({System.Text.Encoding.UTF8.GetByteCount(path)}), must be under {Native.UnixPathMax}");
        try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        int fd = Native.Socket(Native.AF_UNIX, Native.SOCK_STREAM, 0);
        if (fd < 0) return Fail(-1, "socket");
        Native.SetInt(fd, Native.SOL_SOCKET, Native.SO_REUSEADDR, 1);
        byte* sa = stackalloc byte[Native.SockAddrStorageSize];
        int len = Native.WriteUnixSockAddr(new Span<byte>(sa, Native.SockAddrStorageSize), path);
        if (Native.Bind(fd, sa, len) != 0) return Fail(fd, "bind");
        if (perm != 0)
        {
            try { File.SetUnixFileMode(path, (UnixFileMode)perm); }
            catch (Exception e) { Native.Close(fd); return new Result(-1, 0, "chmod: " + e.Message); }
        }
        if (Native.Listen(fd, backlog) != 0) return Fail(fd, "listen");
        if (!Native.SetNonBlockingCloexec(fd)) return Fail(fd, "fcntl");
        return new Result(fd, 0, "");
    }

    static Result Fail(int fd, string what)
    {
        int errno = Native.LastErrno;
        if (fd >= 0) Native.Close(fd);
        return new Result(-1, errno, what + ": " + Native.StrError(errno));
    }
}
