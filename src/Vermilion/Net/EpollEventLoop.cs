using System.Runtime.InteropServices;

namespace Vermilion.Net;

/// <summary>The Linux backend: one epoll instance, level-triggered, as ae_epoll.c.</summary>
public sealed unsafe class EpollEventLoop : EventLoop
{
    readonly int _epfd;
    byte* _events;
    int _capacity;

    public override string Name => "epoll";

    public EpollEventLoop(int setSize) : base(setSize)
    {
        _epfd = Native.EpollCreate1(Native.EPOLL_CLOEXEC);
        if (_epfd < 0) throw new InvalidOperationException("epoll_create1: " + Native.StrError(Native.LastErrno));
        _capacity = setSize;
        _events = (byte*)NativeMemory.Alloc((nuint)(setSize * Native.EpollEventSize));
    }

    static uint ToEpoll(FileEventMask m) =>
        ((m & FileEventMask.Readable) != 0 ? Native.EPOLLIN : 0) | ((m & FileEventMask.Writable) != 0 ? Native.EPOLLOUT : 0);

    void Fill(byte* ev, uint events, int fd)
    {
        *(uint*)ev = events;
        // The data union is at offset 4 (packed x86-64) or 8; we keep the fd in its low half.
        *(ulong*)(ev + Native.EpollEventSize - 8) = (ulong)(uint)fd;
    }

    protected override bool ApiAdd(int fd, FileEventMask oldMask, FileEventMask addMask)
    {
        byte* ev = stackalloc byte[16];
        Fill(ev, ToEpoll(oldMask | addMask), fd);
        int op = oldMask == FileEventMask.None ? Native.EPOLL_CTL_ADD : Native.EPOLL_CTL_MOD;
        return Native.EpollCtl(_epfd, op, fd, ev) == 0;
    }

    protected override void ApiDelete(int fd, FileEventMask oldMask, FileEventMask newMask)
    {
        byte* ev = stackalloc byte[16];
        Fill(ev, ToEpoll(newMask), fd);
        if ((newMask & (FileEventMask.Readable | FileEventMask.Writable)) != 0)
            Native.EpollCtl(_epfd, Native.EPOLL_CTL_MOD, fd, ev);
        else
            Native.EpollCtl(_epfd, Native.EPOLL_CTL_DEL, fd, ev); // the kernel ignores ev for DEL
    }

    protected override bool ApiResize(int setSize)
    {
        _events = (byte*)NativeMemory.Realloc(_events, (nuint)(setSize * Native.EpollEventSize));
        _capacity = setSize;
        return true;
    }

    protected override int ApiPoll(int timeoutMs)
    {
        int n = Native.EpollWait(_epfd, _events, _capacity, timeoutMs);
        if (n < 0)
        {
            int errno = Native.LastErrno;
            if (errno == Native.EINTR) return 0;
            throw new InvalidOperationException("aeApiPoll: epoll_wait, " + Native.StrError(errno));
        }
        for (int i = 0; i < n; i++)
        {
            byte* ev = _events + i * Native.EpollEventSize;
            uint e = *(uint*)ev;
            var mask = FileEventMask.None;
            if ((e & Native.EPOLLIN) != 0) mask |= FileEventMask.Readable;
            if ((e & Native.EPOLLOUT) != 0) mask |= FileEventMask.Writable;
            // As ae_epoll: errors and hang-ups wake both handlers, which then see the failure on read/write.
            if ((e & (Native.EPOLLERR | Native.EPOLLHUP)) != 0) mask |= FileEventMask.Readable | FileEventMask.Writable;
            FiredFd[i] = (int)*(uint*)(ev + Native.EpollEventSize - 8);
            FiredMask[i] = mask;
        }
        return n;
    }

    public override void Dispose()
    {
        base.Dispose();
        Native.Close(_epfd);
        if (_events != null) { NativeMemory.Free(_events); _events = null; }
    }
}
