namespace Vermilion.Net;

/// <summary>
/// The portable backend on poll(2), for Unix systems without epoll (and to test that the
/// server does not depend on epoll). A dense pollfd array plus an fd → slot index.
/// </summary>
public sealed unsafe class PollEventLoop : EventLoop
{
    Native.PollFd[] _fds = new Native.PollFd[64];
    int _count;
    int[] _slot;

    public override string Name => "poll";

    public PollEventLoop(int setSize) : base(setSize)
    {
        _slot = new int[setSize];
        Array.Fill(_slot, -1);
    }

    static short ToPoll(FileEventMask m) =>
        (short)(((m & FileEventMask.Readable) != 0 ? Native.POLLIN : 0) | ((m & FileEventMask.Writable) != 0 ? Native.POLLOUT : 0));

    protected override bool ApiAdd(int fd, FileEventMask oldMask, FileEventMask addMask)
    {
        int s = _slot[fd];
        if (s < 0)
        {
            if (_count == _fds.Length) Array.Resize(ref _fds, _count * 2);
            s = _count++;
            _slot[fd] = s;
            _fds[s] = new Native.PollFd { Fd = fd };
        }
        _fds[s].Events = ToPoll(oldMask | addMask);
        return true;
    }

    protected override void ApiDelete(int fd, FileEventMask oldMask, FileEventMask newMask)
    {
        int s = _slot[fd];
        if (s < 0) return;
        if ((newMask & (FileEventMask.Readable | FileEventMask.Writable)) != 0)
        {
            _fds[s].Events = ToPoll(newMask);
            return;
        }
        int last = --_count;
        if (s != last)
        {
            _fds[s] = _fds[last];
            _slot[_fds[s].Fd] = s;
        }
        _slot[fd] = -1;
    }

    protected override bool ApiResize(int setSize)
    {
        int old = _slot.Length;
        Array.Resize(ref _slot, setSize);
        if (setSize > old) Array.Fill(_slot, -1, old, setSize - old);
        return true;
    }

    protected override int ApiPoll(int timeoutMs)
    {
        int r;
        fixed (Native.PollFd* p = _fds) r = Native.Poll(p, (nuint)_count, timeoutMs);
        if (r < 0)
        {
            int errno = Native.LastErrno;
            if (errno == Native.EINTR) return 0;
            throw new InvalidOperationException("aeApiPoll: poll, " + Native.StrError(errno));
        }
        int n = 0;
        for (int i = 0; i < _count && n < r; i++)
        {
            short re = _fds[i].Revents;
            if (re == 0) continue;
            var mask = FileEventMask.None;
            if ((re & Native.POLLIN) != 0) mask |= FileEventMask.Readable;
            if ((re & Native.POLLOUT) != 0) mask |= FileEventMask.Writable;
            if ((re & (Native.POLLERR | Native.POLLHUP | Native.POLLNVAL)) != 0) mask |= FileEventMask.Readable | FileEventMask.Writable;
            FiredFd[n] = _fds[i].Fd;
            FiredMask[n] = mask;
            n++;
        }
        return n;
    }
}
