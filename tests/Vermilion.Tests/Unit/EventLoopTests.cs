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

    /// <summary>A loop of the given backend and a connected socket pair: the tests watch B's fd and write from A.</summary>
    sealed class LoopAndPair : IDisposable
    {
        public readonly EventLoop Loop;
        public readonly Socket A, B;
        public int Fd => (int)B.Handle;

        public LoopAndPair(string backend, int setSize = 1024)
        {
            Loop = EventLoop.Create(backend, setSize);
            using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            listener.Listen();
            A = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            A.Connect(listener.LocalEndPoint!);
            B = listener.Accept();
        }

        /// <summary>A sends the bytes; once they have arrived the loop runs one turn, without waiting.</summary>
        public void SendAndRunOneTurn(params byte[] data)
        {
            A.Send(data);
            Thread.Sleep(50);
            Loop.ProcessEvents(dontWait: true);
        }

        public void Dispose()
        {
            A.Dispose();
            B.Dispose();
            Loop.Dispose();
        }
    }

    [Theory, MemberData(nameof(Backends))]
    public void ReadableThenWritableInOneTurn(string backend)
    {
        using var t = new LoopAndPair(backend);
        var rec = new Recorder();
        Assert.True(t.Loop.CreateFileEvent(t.Fd, FileEventMask.Readable | FileEventMask.Writable, rec));
        t.SendAndRunOneTurn(1);
        Assert.Equal(["r", "w"], rec.Calls);
    }

    [Theory, MemberData(nameof(Backends))]
    public void BarrierRunsWritableFirst(string backend)
    {
        using var t = new LoopAndPair(backend);
        var rec = new Recorder();
        t.Loop.CreateFileEvent(t.Fd, FileEventMask.Readable | FileEventMask.Writable | FileEventMask.Barrier, rec);
        t.SendAndRunOneTurn(1);
        Assert.Equal(["w", "r"], rec.Calls);
    }

    [Theory, MemberData(nameof(Backends))]
    public void HandlerRemovedByEarlierHandlerIsNotCalled(string backend)
    {
        using var t = new LoopAndPair(backend);
        var rec = new Recorder { OnRead = (l, f) => l.DeleteFileEvent(f, FileEventMask.Writable) };
        t.Loop.CreateFileEvent(t.Fd, FileEventMask.Readable | FileEventMask.Writable, rec);
        t.SendAndRunOneTurn(1);
        Assert.Equal(["r"], rec.Calls);
        Assert.Equal(FileEventMask.Readable, t.Loop.GetFileEvents(t.Fd));
    }

    [Theory, MemberData(nameof(Backends))]
    public void LevelTriggeredFiresAgainUntilDrained(string backend)
    {
        using var t = new LoopAndPair(backend);
        var rec = new Recorder();
        t.Loop.CreateFileEvent(t.Fd, FileEventMask.Readable, rec);
        t.SendAndRunOneTurn(1, 2);
        t.Loop.ProcessEvents(dontWait: true);
        Assert.Equal(["r", "r"], rec.Calls);
    }

    [Theory, MemberData(nameof(Backends))]
    public void FdBeyondSetSizeGrowsTheTable(string backend)
    {
        using var t = new LoopAndPair(backend, setSize: 16);
        Assert.True(t.Fd >= 16, "the test host has more than 16 fds open");
        Assert.True(t.Loop.CreateFileEvent(t.Fd, FileEventMask.Readable, new Recorder()));
        Assert.True(t.Loop.SetSize > t.Fd);
        Assert.False(t.Loop.Resize(t.Fd), "cannot shrink below an fd in use");
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
