using System.Net.Sockets;
using System.Net;
using System.Runtime.InteropServices;

namespace Vermilion.Net;

/// <summary>
/// The whole P/Invoke surface: the libc socket, epoll and poll calls the event loop and the
/// connection path use, with Linux's constant values. Everything unsafe about talking to the
/// kernel lives here; callers get fds, byte counts and errno values back.
/// </summary>
internal static unsafe partial class Native
{
    const string Libc = "libc";

    // errno values (Linux).
    public const int EINTR = 4, EAGAIN = 11, EBADF = 9, EISDIR = 21, EINVAL = 22, EMFILE = 24, ENFILE = 23, ENOPROTOOPT = 92,
        EPROTONOSUPPORT = 93, ESOCKTNOSUPPORT = 94, EPFNOSUPPORT = 96, EAFNOSUPPORT = 97, EADDRNOTAVAIL = 99;

    public const int AF_UNIX = 1, AF_INET = 2, AF_INET6 = 10;
    public const int SOCK_STREAM = 1, SOCK_NONBLOCK = 0x800, SOCK_CLOEXEC = 0x80000;
    public const int SOL_SOCKET = 1, SO_REUSEADDR = 2, SO_ERROR = 4, SO_KEEPALIVE = 9, SO_SNDBUF = 7;
    public const int IPPROTO_TCP = 6, TCP_NODELAY = 1, TCP_KEEPIDLE = 4, TCP_KEEPINTVL = 5, TCP_KEEPCNT = 6, TCP_QUICKACK = 12;
    public const int IPPROTO_IPV6 = 41, IPV6_V6ONLY = 26;
    const int F_GETFL = 3, F_SETFL = 4, F_GETFD = 1, F_SETFD = 2, FD_CLOEXEC = 1, O_NONBLOCK = 0x800;
    public const int RLIMIT_NOFILE = 7;

    public const uint EPOLLIN = 0x1, EPOLLOUT = 0x4, EPOLLERR = 0x8, EPOLLHUP = 0x10;
    public const int EPOLL_CTL_ADD = 1, EPOLL_CTL_DEL = 2, EPOLL_CTL_MOD = 3, EPOLL_CLOEXEC = 0x80000;
    public const short POLLIN = 0x1, POLLOUT = 0x4, POLLERR = 0x8, POLLHUP = 0x10, POLLNVAL = 0x20;

    /// <summary>struct epoll_event is packed (12 bytes) on x86-64 and naturally aligned (16) elsewhere.</summary>
    public static readonly int EpollEventSize = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 12 : 16;

    [StructLayout(LayoutKind.Sequential)]
    public struct PollFd { public int Fd; public short Events; public short Revents; }

    [StructLayout(LayoutKind.Sequential)]
    public struct RLimit { public ulong Cur; public ulong Max; }

    [LibraryImport(Libc, EntryPoint = "epoll_create1", SetLastError = true)] public static partial int EpollCreate1(int flags);
    [LibraryImport(Libc, EntryPoint = "epoll_ctl", SetLastError = true)] public static partial int EpollCtl(int epfd, int op, int fd, void* ev);
    [LibraryImport(Libc, EntryPoint = "epoll_wait", SetLastError = true)] public static partial int EpollWait(int epfd, void* events, int max, int timeoutMs);
    [LibraryImport(Libc, EntryPoint = "poll", SetLastError = true)] public static partial int Poll(PollFd* fds, nuint nfds, int timeoutMs);
    [LibraryImport(Libc, EntryPoint = "pipe2", SetLastError = true)] public static partial int Pipe2(int* fds, int flags);

    [LibraryImport(Libc, EntryPoint = "socket", SetLastError = true)] public static partial int Socket(int domain, int type, int protocol);
    [LibraryImport(Libc, EntryPoint = "bind", SetLastError = true)] public static partial int Bind(int fd, byte* addr, int len);
    [LibraryImport(Libc, EntryPoint = "listen", SetLastError = true)] public static partial int Listen(int fd, int backlog);
    [LibraryImport(Libc, EntryPoint = "accept4", SetLastError = true)] public static partial int Accept4(int fd, byte* addr, int* len, int flags);
    [LibraryImport(Libc, EntryPoint = "setsockopt", SetLastError = true)] public static partial int SetSockOpt(int fd, int level, int name, void* value, int len);
    [LibraryImport(Libc, EntryPoint = "getsockopt", SetLastError = true)] public static partial int GetSockOpt(int fd, int level, int name, void* value, int* len);
    [LibraryImport(Libc, EntryPoint = "getsockname", SetLastError = true)] public static partial int GetSockName(int fd, byte* addr, int* len);
    [LibraryImport(Libc, EntryPoint = "getpeername", SetLastError = true)] public static partial int GetPeerName(int fd, byte* addr, int* len);
    [LibraryImport(Libc, EntryPoint = "fcntl", SetLastError = true)] private static partial int Fcntl(int fd, int cmd, int arg);
    [LibraryImport(Libc, EntryPoint = "read", SetLastError = true)] public static partial nint Read(int fd, byte* buf, nint count);
    [LibraryImport(Libc, EntryPoint = "write", SetLastError = true)] public static partial nint Write(int fd, byte* buf, nint count);
    [LibraryImport(Libc, EntryPoint = "close", SetLastError = true)] public static partial int Close(int fd);
    [LibraryImport(Libc, EntryPoint = "getrlimit", SetLastError = true)] public static partial int GetRLimit(int resource, RLimit* limit);
    [LibraryImport(Libc, EntryPoint = "setrlimit", SetLastError = true)] public static partial int SetRLimit(int resource, RLimit* limit);
    [LibraryImport(Libc, EntryPoint = "getpid")] public static partial int GetPid();

    // ---- process calls for running as a service (Service/): session, fds, signals, prctl ----

    public const int SIGINT = 2, SIGTERM = 15, SIGSTOP = 19;
    const int O_WRONLY = 1, O_RDWR = 2, O_CREAT = 0x40, O_APPEND = 0x400, F_DUPFD_CLOEXEC = 1030;
    public const int PR_SET_THP_DISABLE = 41;

    [LibraryImport(Libc, EntryPoint = "setsid", SetLastError = true)] public static partial int SetSid();
    [LibraryImport(Libc, EntryPoint = "dup2", SetLastError = true)] private static partial int Dup2(int oldFd, int newFd);
    // open(2) is variadic; its mode is passed as a plain int argument, which is how Linux's x86-64 and arm64 ABIs pass it.
    [LibraryImport(Libc, EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)] private static partial int Open(string path, int flags, int mode);
    [LibraryImport(Libc, EntryPoint = "kill", SetLastError = true)] public static partial int Kill(int pid, int sig);
    [LibraryImport(Libc, EntryPoint = "prctl", SetLastError = true)] public static partial int Prctl(int option, nuint arg2, nuint arg3, nuint arg4, nuint arg5);
    [LibraryImport(Libc, EntryPoint = "sigaction", SetLastError = true)] private static partial int SigAction(int sig, byte* act, byte* oldAct);

    /// <summary>A close-on-exec copy of fd (so a child we start does not inherit it).</summary>
    public static int DupCloexec(int fd) => Fcntl(fd, F_DUPFD_CLOEXEC, 3);

    /// <summary>daemonize's last step: each of fds (stdin, stdout, stderr and any copies of them) on /dev/null. False if /dev/null cannot be opened.</summary>
    public static bool PointAtDevNull(ReadOnlySpan<int> fds)
    {
        int devNull = Open("/dev/null", O_RDWR, 0);
        if (devNull < 0) return false;
        bool kept = false;
        foreach (int fd in fds)
        {
            if (fd == devNull) kept = true;
            else Dup2(devNull, fd);
        }
        if (!kept) Close(devNull);
        return true;
    }

    /// <summary>fopen(path, "a") and fclose: 0 if the file can be opened for appending (created 0644 if missing), else errno.</summary>
    public static int TryOpenForAppend(string path)
    {
        int fd = Open(path, O_WRONLY | O_CREAT | O_APPEND, 0x1a4 /* 0644 */);
        if (fd < 0) return LastErrno;
        Close(fd);
        return 0;
    }

    /// <summary>open(path, O_WRONLY) + one write, as Redis writes /proc files: 0 on success, else errno.</summary>
    public static int WriteExistingFile(string path, ReadOnlySpan<byte> data)
    {
        int fd = Open(path, O_WRONLY, 0);
        if (fd < 0) return LastErrno;
        nint n;
        fixed (byte* p = data) n = Write(fd, p, data.Length);
        int errno = n < 0 ? LastErrno : 0;
        Close(fd);
        return errno;
    }

    /// <summary>
    /// Sets sig back to SIG_DFL if the process inherited it as SIG_IGN, and says whether it did.
    /// Only the handler, the first field of struct sigaction on Linux (glibc and musl), is read;
    /// the buffer is larger than any libc's struct sigaction, and an all-zero one is SIG_DFL with
    /// an empty mask and no flags.
    /// </summary>
    public static bool ResetIgnoredSignal(int sig)
    {
        byte* old = stackalloc byte[512];
        new Span<byte>(old, 512).Clear();
        if (SigAction(sig, null, old) != 0 || *(nint*)old != 1 /* SIG_IGN */) return false;
        byte* dfl = stackalloc byte[512];
        new Span<byte>(dfl, 512).Clear();
        return SigAction(sig, dfl, null) == 0;
    }

    // ---- files as persistence writes them (Persistence/PosixFile): open, fdatasync/fsync, ftruncate, rename ----

    public const int ENOENT = 2, ENOSPC = 28;
    public const int O_RDONLY = 0, O_WRONLY_CREATE_APPEND = O_WRONLY | O_CREAT | O_APPEND, O_WRONLY_CREATE_TRUNCATE = O_WRONLY | O_CREAT | 0x200 /* O_TRUNC */;
    const int O_DIRECTORY = 0x10000, O_CLOEXEC = 0x80000;

    [LibraryImport(Libc, EntryPoint = "fsync", SetLastError = true)] public static partial int Fsync(int fd);
    [LibraryImport(Libc, EntryPoint = "fdatasync", SetLastError = true)] public static partial int Fdatasync(int fd);
    [LibraryImport(Libc, EntryPoint = "ftruncate", SetLastError = true)] public static partial int Ftruncate(int fd, long length);
    [LibraryImport(Libc, EntryPoint = "truncate", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)] public static partial int Truncate(string path, long length);
    [LibraryImport(Libc, EntryPoint = "rename", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)] public static partial int Rename(string from, string to);

    /// <summary>open(2) with a close-on-exec fd (mode 0644 when it creates the file): the fd, or -1 with errno in <see cref="LastErrno"/>.</summary>
    public static int OpenFile(string path, int flags) => Open(path, flags | O_CLOEXEC, 0x1a4 /* 0644 */);

    /// <summary>fsyncFileDir: fsync the directory so a rename or a new file in it survives a crash; 0 or errno (EBADF/EINVAL, a directory that cannot be synced, count as success).</summary>
    public static int SyncDirectory(string dir)
    {
        int fd = Open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
        if (fd < 0) return LastErrno;
        int errno = Fsync(fd) == 0 ? 0 : LastErrno;
        Close(fd);
        return errno is EBADF or EINVAL ? 0 : errno;
    }

    public static int LastErrno => Marshal.GetLastPInvokeError();

    /// <summary>strerror(errno), as Redis puts it in its log lines ("Address already in use").</summary>
    public static string StrError(int errno) => Marshal.GetPInvokeErrorMessage(errno);

    public static int SetInt(int fd, int level, int name, int value) => SetSockOpt(fd, level, name, &value, sizeof(int));

    public static int GetInt(int fd, int level, int name)
    {
        int value = 0, len = sizeof(int);
        return GetSockOpt(fd, level, name, &value, &len) == 0 ? value : -1;
    }

    public static bool SetNonBlockingCloexec(int fd)
    {
        int fl = Fcntl(fd, F_GETFL, 0);
        if (fl < 0 || Fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) return false;
        int fdf = Fcntl(fd, F_GETFD, 0);
        return fdf >= 0 && Fcntl(fd, F_SETFD, fdf | FD_CLOEXEC) >= 0;
    }

    // sockaddr layouts (Linux): sockaddr_in 16 bytes, sockaddr_in6 28, sockaddr_un 110 (108-byte path).
    public const int SockAddrStorageSize = 128, UnixPathMax = 108;

    public static int WriteSockAddr(Span<byte> sa, IPAddress ip, int port)
    {
        sa.Clear();
        bool v6 = ip.AddressFamily == AddressFamily.InterNetworkV6;
        BitConverter.TryWriteBytes(sa, (ushort)(v6 ? AF_INET6 : AF_INET));
        sa[2] = (byte)(port >> 8); sa[3] = (byte)port;
        if (v6)
        {
            ip.TryWriteBytes(sa.Slice(8, 16), out _);
            BitConverter.TryWriteBytes(sa.Slice(24, 4), (uint)ip.ScopeId);
            return 28;
        }
        ip.TryWriteBytes(sa.Slice(4, 4), out _);
        return 16;
    }

    public static int WriteUnixSockAddr(Span<byte> sa, string path)
    {
        sa.Clear();
        BitConverter.TryWriteBytes(sa, (ushort)AF_UNIX);
        int n = System.Text.Encoding.UTF8.GetBytes(path, sa.Slice(2, UnixPathMax - 1));
        return 2 + n + 1;
    }

    /// <summary>Decodes an AF_INET/AF_INET6 sockaddr; unix sockets give (null, 0).</summary>
    public static (IPAddress? Ip, int Port) ReadSockAddr(ReadOnlySpan<byte> sa)
    {
        int family = BitConverter.ToUInt16(sa);
        int port = sa[2] << 8 | sa[3];
        if (family == AF_INET) return (new IPAddress(sa.Slice(4, 4)), port);
        if (family == AF_INET6)
        {
            var ip = new IPAddress(sa.Slice(8, 16), BitConverter.ToUInt32(sa.Slice(24, 4)));
            return (ip.IsIPv4MappedToIPv6 ? ip.MapToIPv4() : ip, port);
        }
        return (null, 0);
    }

    public static (IPAddress? Ip, int Port) PeerAddress(int fd)
    {
        byte* sa = stackalloc byte[SockAddrStorageSize];
        int len = SockAddrStorageSize;
        return GetPeerName(fd, sa, &len) == 0 ? ReadSockAddr(new ReadOnlySpan<byte>(sa, len)) : (null, 0);
    }

    public static (IPAddress? Ip, int Port) LocalAddress(int fd)
    {
        byte* sa = stackalloc byte[SockAddrStorageSize];
        int len = SockAddrStorageSize;
        return GetSockName(fd, sa, &len) == 0 ? ReadSockAddr(new ReadOnlySpan<byte>(sa, len)) : (null, 0);
    }
}
