using System.Net;
using System.Net.Sockets;
using System.Text;
using Vermilion;
using Xunit;

namespace Vermilion.Tests;

/// <summary>
/// The request path must not allocate per request. The client's own read → parse → dispatch →
/// reply → write code runs here on the test thread, over a real loopback socket, so every byte
/// it allocates shows in GC.GetAllocatedBytesForCurrentThread.
/// </summary>
public class AllocationTests
{
    [Fact]
    public void PipelinedGetSetAllocateNothingPerRequest()
    {
        using var server = new Server(Config.FromArgs("--port", "0", "--unixsocket", ""));
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        using var peer = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        peer.Connect(listener.LocalEndPoint!);
        using var accepted = listener.Accept();
        accepted.Blocking = false;
        var conn = new Connection((int)accepted.Handle, ConnectionType.Tcp);
        Assert.True(conn.Accept());
        var client = new Client(server, conn, 1);

        // 500 requests per batch: SET and GET over 100 keys with same-size values, as redis-benchmark does.
        var batch = new StringBuilder();
        for (int i = 0; i < 250; i++)
        {
            string key = "key:" + (i % 100).ToString("D3");
            batch.Append($"*3\r\n$3\r\nSET\r\n${key.Length}\r\n{key}\r\n$3\r\nxyz\r\n");
            batch.Append($"*2\r\n$3\r\nGET\r\n${key.Length}\r\n{key}\r\n");
        }
        byte[] request = Encoding.ASCII.GetBytes(batch.ToString());
        // 250 × "+OK\r\n" + 250 × "$3\r\nxyz\r\n"
        int expectedReply = 250 * 5 + 250 * 9;
        var replyBuffer = new byte[expectedReply * 2];

        long serverAllocated = 0;
        void RunBatch()
        {
            int sent = 0;
            while (sent < request.Length) sent += peer.Send(request, sent, request.Length - sent, SocketFlags.None);
            int received = 0;
            var deadline = Environment.TickCount64 + 10_000;
            while (received < expectedReply)
            {
                // Only the server's side is counted: the test's own socket calls are not the request path.
                long start = GC.GetAllocatedBytesForCurrentThread();
                client.ReadQueryFromClient();
                client.WriteToClient(handlerInstalled: false);
                server.PendingWrites.Clear();
                client.Flags &= ~ClientFlags.PendingWrite;
                serverAllocated += GC.GetAllocatedBytesForCurrentThread() - start;
                while (peer.Available > 0) received += peer.Receive(replyBuffer, received, replyBuffer.Length - received, SocketFlags.None);
                Assert.True(Environment.TickCount64 < deadline, $"timed out with {received}/{expectedReply} reply bytes");
            }
            Assert.Equal(expectedReply, received);
        }

        for (int i = 0; i < 20; i++) RunBatch(); // warm up: JIT, pool, dictionary, key arrays
        Assert.Equal("+OK\r\n$3\r\nxyz\r\n+OK\r\n", Encoding.ASCII.GetString(replyBuffer, 0, 19));

        // The best of three rounds: a one-off allocation (a tier-up, a pool refill) must not decide it,
        // while a per-request allocation shows in every round.
        long allocated = long.MaxValue, total = 0;
        for (int round = 0; round < 3; round++)
        {
            serverAllocated = 0;
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 20; i++) RunBatch(); // 10,000 requests
            if (serverAllocated < allocated)
            {
                allocated = serverAllocated;
                total = GC.GetAllocatedBytesForCurrentThread() - before;
            }
        }

        Assert.Equal(4 * 20 * 500L, server.Stats.CommandsProcessed);
        Assert.True(allocated < 1_000, $"{allocated} bytes allocated by the server for 10,000 requests ({allocated / 10_000.0:0.00} per request; {total} with the test's socket calls)");
    }
}
