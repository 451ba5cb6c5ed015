using System.Diagnostics;

namespace Vermilion.Net;

[Flags]
public enum FileEventMask { None = 0, Readable = 1, Writable = 2, Barrier = 4 }

/// <summary>What a registered fd calls back into. Connections and listeners implement it.</summary>
public interface IFileEventHandler
{
    void OnReadable(EventLoop loop, int fd);
    void OnWritable(EventLoop loop, int fd);
}

/// <summary>A time event's body: returns the delay in ms until it runs again, or <see cref="EventLoop.NoMore"/>.</summary>
public delegate long TimeEventProc(EventLoop loop, long id);

/// <summary>
/// The event loop, shaped after Redis's ae.c: file events in an array indexed by fd (sized
/// <c>maxclients + 128</c>), an unsorted list of time events, before/after-sleep hooks, and a
/// small backend interface (add, delete, poll) that <see cref="EpollEventLoop"/> and
/// <see cref="PollEventLoop"/> fill in. Level-triggered, single-threaded. An abstract class rather
/// than DESIGN.md's IEventLoop interface: the fd table, timers and dispatch order are shared by
/// every backend, as ae.c shares them, so only the three backend calls are abstract.
/// </summary>
public abstract class EventLoop : IDisposable
{
    public const long NoMore = -1;

    struct FileEvent { public FileEventMask Mask; public IFileEventHandler? Handler; }

    sealed class TimeEvent
    {
        public long Id, WhenMs;
        public TimeEventProc Proc = null!;
        public bool Deleted;
    }

    FileEvent[] _events;
    readonly List<TimeEvent> _timeEvents = new();
    long _nextTimeEventId;
    volatile bool _stop;
    readonly WakePipe _wake;

    /// <summary>Filled by the backend's <see cref="ApiPoll"/>: fd and fired mask per ready fd.</summary>
    protected int[] FiredFd;
    protected FileEventMask[] FiredMask;

    public Action? BeforeSleep, AfterSleep;
    /// <summary>AE_DONT_WAIT as before-sleep sets it: the next poll returns at once.</summary>
    public bool DontWait { get; set; }
    public int MaxFd { get; private set; } = -1;
    public int SetSize => _events.Length;
    public abstract string Name { get; }

    protected EventLoop(int setSize)
    {
        _events = new FileEvent[setSize];
        FiredFd = new int[setSize];
        FiredMask = new FileEventMask[setSize];
        _wake = new WakePipe();
    }

    /// <summary>Creates the backend a config or environment asks for; epoll on Linux otherwise.</summary>
    public static EventLoop Create(string backend, int setSize)
    {
        EventLoop loop = backend switch
        {
            "poll" => new PollEventLoop(setSize),
            "epoll" => new EpollEventLoop(setSize),
            _ => OperatingSystem.IsLinux() ? new EpollEventLoop(setSize) : new PollEventLoop(setSize),
        };
        loop.CreateFileEvent(loop._wake.ReadFd, FileEventMask.Readable, loop._wake);
        return loop;
    }

    protected abstract bool ApiAdd(int fd, FileEventMask oldMask, FileEventMask addMask);
    protected abstract void ApiDelete(int fd, FileEventMask oldMask, FileEventMask newMask);
    /// <summary>Waits up to <paramref name="timeoutMs"/> (-1 = forever) and returns how many fds fired.</summary>
    protected abstract int ApiPoll(int timeoutMs);
    protected virtual bool ApiResize(int setSize) => true;

    /// <summary>Changes the fd table size. Fails (as aeResizeSetSize) if an fd at or above the new size is in use.</summary>
    public bool Resize(int setSize)
    {
        if (setSize == _events.Length) return true;
        if (MaxFd >= setSize || !ApiResize(setSize)) return false;
        Array.Resize(ref _events, setSize);
        FiredFd = new int[setSize];
        FiredMask = new FileEventMask[setSize];
        return true;
    }

    /// <summary>
    /// Registers interest in <paramref name="mask"/> on <paramref name="fd"/>. Unlike ae, an fd beyond
    /// the table grows it: a .NET process (a test host above all) holds fds of its own, so the
    /// server's fds are not bounded by maxclients + 128. maxclients is enforced at accept.
    /// </summary>
    public bool CreateFileEvent(int fd, FileEventMask mask, IFileEventHandler handler)
    {
        if (fd < 0) return false;
        if (fd >= _events.Length && !Resize(Math.Max(fd + 1, _events.Length * 2))) return false;
        ref var fe = ref _events[fd];
        if (!ApiAdd(fd, fe.Mask, mask)) return false;
        fe.Mask |= mask;
        fe.Handler = handler;
        if (fd > MaxFd) MaxFd = fd;
        return true;
    }

    public void DeleteFileEvent(int fd, FileEventMask mask)
    {
        if (fd >= _events.Length) return;
        ref var fe = ref _events[fd];
        if (fe.Mask == FileEventMask.None) return;
        // As ae: the barrier only makes sense together with the writable event.
        if ((mask & FileEventMask.Writable) != 0) mask |= FileEventMask.Barrier;
        var newMask = fe.Mask & ~mask;
        ApiDelete(fd, fe.Mask, newMask);
        fe.Mask = newMask;
        if (newMask == FileEventMask.None)
        {
            fe.Handler = null;
            if (fd == MaxFd)
                while (MaxFd >= 0 && _events[MaxFd].Mask == FileEventMask.None) MaxFd--;
        }
    }

    public FileEventMask GetFileEvents(int fd) => fd < _events.Length ? _events[fd].Mask : FileEventMask.None;

    public long CreateTimeEvent(long delayMs, TimeEventProc proc)
    {
        var te = new TimeEvent { Id = _nextTimeEventId++, WhenMs = NowMs() + delayMs, Proc = proc };
        _timeEvents.Insert(0, te);
        return te.Id;
    }

    public void DeleteTimeEvent(long id)
    {
        foreach (var te in _timeEvents) if (te.Id == id) te.Deleted = true;
    }

    public static long NowMs() => Environment.TickCount64;

    /// <summary>
    /// One turn of the loop, in ae's order: before-sleep, poll, after-sleep, file events, time
    /// events. <paramref name="timeEvents"/> false is ae's AE_FILE_EVENTS alone, as
    /// processEventsWhileBlocked asks (no timer runs inside a load); the count returned is the
    /// fds that fired.
    /// </summary>
    public int ProcessEvents(bool dontWait = false, bool timeEvents = true)
    {
        int timeout = -1;
        if (dontWait) timeout = 0;
        else
        {
            long nearest = long.MaxValue;
            foreach (var te in _timeEvents) if (!te.Deleted && te.WhenMs < nearest) nearest = te.WhenMs;
            if (nearest != long.MaxValue) timeout = (int)Math.Max(0, nearest - NowMs());
        }
        BeforeSleep?.Invoke();
        if (_stop) return 0;
        // aeSetDontWait: before-sleep found work already buffered in user space (TLS records
        // OpenSSL has read): poll without blocking, since no fd will become ready for it.
        if (DontWait) timeout = 0;
        int n = ApiPoll(timeout);
        AfterSleep?.Invoke();
        // A handler may grow the fd table (Resize replaces these arrays): keep this turn's.
        var firedFds = FiredFd;
        var firedMasks = FiredMask;
        for (int j = 0; j < n; j++)
        {
            int fd = firedFds[j];
            var fired = firedMasks[j];
            ref var fe = ref _events[fd];
            var handler = fe.Handler;
            if (handler is null) continue;
            // Readable first, then writable; a barrier inverts that (ae's AE_BARRIER). The live
            // mask is re-read before each call: an earlier handler may have removed the event.
            bool invert = (fe.Mask & FileEventMask.Barrier) != 0;
            if (!invert && (_events[fd].Mask & fired & FileEventMask.Readable) != 0)
                handler.OnReadable(this, fd);
            if ((_events[fd].Mask & fired & FileEventMask.Writable) != 0)
                _events[fd].Handler?.OnWritable(this, fd);
            if (invert && (_events[fd].Mask & fired & FileEventMask.Readable) != 0)
                _events[fd].Handler?.OnReadable(this, fd);
        }
        if (timeEvents) ProcessTimeEvents();
        return n;
    }

    void ProcessTimeEvents()
    {
        long maxId = _nextTimeEventId - 1;
        for (int i = 0; i < _timeEvents.Count; i++)
        {
            var te = _timeEvents[i];
            if (te.Deleted) { _timeEvents.RemoveAt(i--); continue; }
            // Timers created by a timer in this pass wait for the next one, as in ae.
            if (te.Id > maxId || te.WhenMs > NowMs()) continue;
            long next = te.Proc(this, te.Id);
            if (next == NoMore) te.Deleted = true;
            else te.WhenMs = NowMs() + next;
        }
    }

    public void Run()
    {
        while (!_stop) ProcessEvents();
    }

    /// <summary>Set once <see cref="Stop"/> was called: a load serving events in between stops too.</summary>
    public bool StopRequested => _stop;

    /// <summary>Asks the loop to return from <see cref="Run"/>; safe from any thread.</summary>
    public void Stop()
    {
        _stop = true;
        _wake.Wake();
    }

    /// <summary>Wakes a loop blocked in poll, from any thread.</summary>
    public void Wake() => _wake.Wake();

    public virtual void Dispose() => _wake.Dispose();

    /// <summary>A non-blocking pipe registered for reading, so another thread can end a poll early.</summary>
    sealed unsafe class WakePipe : IFileEventHandler, IDisposable
    {
        readonly int _read, _write;
        public int ReadFd => _read;

        public WakePipe()
        {
            int* fds = stackalloc int[2];
            if (Native.Pipe2(fds, Native.SOCK_NONBLOCK | Native.SOCK_CLOEXEC) != 0)
                throw new InvalidOperationException("pipe2: " + Native.StrError(Native.LastErrno));
            _read = fds[0]; _write = fds[1];
        }

        public void Wake() { byte b = 1; Native.Write(_write, &b, 1); }

        public void OnReadable(EventLoop loop, int fd)
        {
            byte* buf = stackalloc byte[64];
            while (Native.Read(_read, buf, 64) > 0) { }
        }

        public void OnWritable(EventLoop loop, int fd) { }

        public void Dispose() { Native.Close(_read); Native.Close(_write); }
    }
}
