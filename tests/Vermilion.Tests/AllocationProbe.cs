using System.Net;
using System.Net.Sockets;
using System.Text;
using Vermilion;
using Xunit;

namespace Vermilion.Tests;

/// <summary>
/// Measures what the server allocates per request: one client's own read → parse → dispatch →
/// reply → write code runs on the test thread over a real loopback socket, so every byte it
/// allocates shows in GC.GetAllocatedBytesForCurrentThread; the test's socket calls are not counted.
/// </summary>
public sealed class AllocationProbe : IDisposable
{
    readonly VermilionServer _server;
    readonly Socket _listener, _peer, _accepted;
    readonly Client _client;
    readonly byte[] _replies = new byte[1 << 20];
    long _serverAllocated;

    public VermilionServer Server => _server;

    public AllocationProbe(params string[] config)
    {
        // No slow log unless a test asks: on a loaded machine a preempted command passes 10 ms and its
        // entry (an allocation Redis makes too) failed the per-request counts in whole-suite runs.
        _server = new VermilionServer(Config.FromArgs(["--port", "0", "--unixsocket", "", "--slowlog-log-slower-than", "-1", .. config]));
        _listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen();
        _peer = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _peer.Connect(_listener.LocalEndPoint!);
        _accepted = _listener.Accept();
        _accepted.Blocking = false;
        var conn = new Connection((int)_accepted.Handle, ConnectionType.Tcp);
        Assert.True(conn.Accept());
        _client = new Client(_server, conn, 1);
    }

    public static string Command(params string[] args) => $"*{args.Length}\r\n" + string.Concat(args.Select(a => $"${a.Length}\r\n{a}\r\n"));

    /// <summary>Sends the requests and runs the server side until <paramref name="commands"/> commands ran and their replies arrived; returns the replies.</summary>
    public string Run(byte[] requests, int commands)
    {
        int sent = 0;
        while (sent < requests.Length) sent += _peer.Send(requests, sent, requests.Length - sent, SocketFlags.None);
        long before = _server.Stats.CommandsProcessed;
        int received = 0;
        var deadline = Environment.TickCount64 + 10_000;
        while (_server.Stats.CommandsProcessed - before < commands || _client.Reply.HasPending || _peer.Available > 0)
        {
            long start = GC.GetAllocatedBytesForCurrentThread();
            _client.ReadQueryFromClient();
            _client.WriteToClient(handlerInstalled: false);
            _server.PendingWrites.Clear();
            _client.Flags &= ~ClientFlags.PendingWrite;
            // beforeSleep's end of an iteration: records removed or moved (a compact collection
            // that changed size class) are freed, so their slots are reused as in the loop.
            foreach (var db in _server.Databases) db.Keys.FreeRemoved();
            _serverAllocated += GC.GetAllocatedBytesForCurrentThread() - start;
            while (_peer.Available > 0) received += _peer.Receive(_replies, received, _replies.Length - received, SocketFlags.None);
            Assert.True(Environment.TickCount64 < deadline, $"timed out after {_server.Stats.CommandsProcessed - before}/{commands} commands");
        }
        return Encoding.ASCII.GetString(_replies, 0, received);
    }

    /// <summary>
    /// Runs the batch 20 times to warm up (JIT, pools, the values at their size), then three rounds
    /// of 20: the fewest bytes the server allocated in a round. A one-off allocation (a tier-up, a
    /// pool refill) must not decide it; an allocation per request shows in every round.
    /// </summary>
    public long BestRoundAllocation(string batch, int commands, out string replies)
    {
        var bytes = Encoding.ASCII.GetBytes(batch);
        replies = "";
        for (int i = 0; i < 20; i++) replies = Run(bytes, commands);
        long best = long.MaxValue;
        for (int round = 0; round < 3; round++) best = Math.Min(best, Allocation(() => { for (int i = 0; i < 20; i++) Run(bytes, commands); }));
        return best;
    }

    /// <summary>What the server side allocated in the Runs that <paramref name="runs"/> makes.</summary>
    public long Allocation(Action runs)
    {
        _serverAllocated = 0;
        runs();
        return _serverAllocated;
    }

    public void Dispose()
    {
        _accepted.Dispose();
        _peer.Dispose();
        _listener.Dispose();
        _server.Dispose();
    }
}
