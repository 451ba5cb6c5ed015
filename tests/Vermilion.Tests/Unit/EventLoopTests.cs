using System.Net;
using System.Net.Sockets;
using Vermilion;
using Xunit;

namespace Vermilion.Tests;

public class EventLoopTests
{
    public static TheoryData<string> Backends => new() { "epoll", "poll" };

    sealed class Recorder : IFileEventHandler
    {
        public readonly List<string> Calls = new();
        public Action<EventLoop, int>? OnRead;
        public void OnReadable(EventLoop loop, int fd) { Calls.Add("r"); OnRead?.Invoke(loop, fd); }
        public void OnWritable(EventLoop loop, int fd) => Calls.Add("w");
    }

    static (Socket A, Socket B) Pair()
    {
        using var l = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        l.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        l.Listen();
        var a = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        a.Connect(l.LocalEndPoint!);
        return (a, l.Accept());
    }

    [Theory, MemberData(nameof(Backends))]
    public void ReadableThenWritableInOneTurn(string backend)
    {
        using var loop = EventLoop.Create(backend, 1024);
        var (a, b) = Pair();
        using (a) using (b)
        {
            var rec = new Recorder();
            int fd = (int)b.Handle;
            Assert.True(loop.CreateFileEvent(fd, FileEventMask.Readable | FileEventMask.Writable, rec));
            a.Send([1]);
            Thread.Sleep(50);
            loop.ProcessEvents(dontWait: true);
            Assert.Equal(["r", "w"], rec.Calls);
        }
    }

    [Theory, MemberData(nameof(Backends))]
    public void BarrierRunsWritableFirst(string backend)
    {
        using var loop = EventLoop.Create(backend, 1024);
        var (a, b) = Pair();
        using (a) using (b)
        {
            var rec = new Recorder();
            int fd = (int)b.Handle;
            loop.CreateFileEvent(fd, FileEventMask.Readable | FileEventMask.Writable | FileEventMask.Barrier, rec);
            a.Send([1]);
            Thread.Sleep(50);
            loop.ProcessEvents(dontWait: true);
            Assert.Equal(["w", "r"], rec.Calls);
        }
    }

    [Theory, MemberData(nameof(Backends))]
    public void HandlerRemovedByEarlierHandlerIsNotCalled(string backend)
    {
        using var loop = EventLoop.Create(backend, 1024);
        var (a, b) = Pair();
        using (a) using (b)
        {
            var rec = new Recorder();
            int fd = (int)b.Handle;
            rec.OnRead = (l, f) => l.DeleteFileEvent(f, FileEventMask.Writable);
            loop.CreateFileEvent(fd, FileEventMask.Readable | FileEventMask.Writable, rec);
            a.Send([1]);
            Thread.Sleep(50);
            loop.ProcessEvents(dontWait: true);
            Assert.Equal(["r"], rec.Calls);
            Assert.Equal(FileEventMask.Readable, loop.GetFileEvents(fd));
        }
    }

    [Theory, MemberData(nameof(Backends))]
    public void LevelTriggeredFiresAgainUntilDrained(string backend)
    {
        using var loop = EventLoop.Create(backend, 1024);
        var (a, b) = Pair();
        using (a) using (b)
        {
            var rec = new Recorder();
            loop.CreateFileEvent((int)b.Handle, FileEventMask.Readable, rec);
            a.Send([1, 2]);
            Thread.Sleep(50);
            loop.ProcessEvents(dontWait: true);
            loop.ProcessEvents(dontWait: true);
            Assert.Equal(["r", "r"], rec.Calls);
        }
    }

    [Theory, MemberData(nameof(Backends))]
    public void FdBeyondSetSizeGrowsTheTable(string backend)
    {
        using var loop = EventLoop.Create(backend, 16);
        var (a, b) = Pair();
        using (a) using (b)
        {
            int fd = (int)b.Handle;
            Assert.True(fd >= 16, "the test host has more than 16 fds open");
            Assert.True(loop.CreateFileEvent(fd, FileEventMask.Readable, new Recorder()));
            Assert.True(loop.SetSize > fd);
            Assert.False(loop.Resize(fd), "cannot shrink below an fd in use");
        }
    }

    [Theory, MemberData(nameof(Backends))]
    public void TimeEventsRepeatAndStop(string backend)
    {
        using var loop = EventLoop.Create(backend, 64);
        int runs = 0;
        loop.CreateTimeEvent(1, (l, id) => ++runs < 3 ? 1 : EventLoop.NoMore);
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (runs < 3 && DateTime.UtcNow < deadline) loop.ProcessEvents();
        Assert.Equal(3, runs);
        loop.ProcessEvents(dontWait: true);
        Assert.Equal(3, runs);
    }

    [Theory, MemberData(nameof(Backends))]
    public void StopFromAnotherThreadWakesTheLoop(string backend)
    {
        using var loop = EventLoop.Create(backend, 64);
        var t = new Thread(loop.Run);
        t.Start();
        Thread.Sleep(100);
        loop.Stop();
        Assert.True(t.Join(2000));
    }
}
