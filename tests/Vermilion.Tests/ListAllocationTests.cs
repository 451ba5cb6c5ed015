using System.Net;
using System.Net.Sockets;
using System.Text;
using Vermilion;
using Xunit;

namespace Vermilion.Tests;

/// <summary>
/// LPUSH, RPUSH, LPOP, RPOP, LINDEX and LLEN of small elements on existing lists allocate nothing
/// per request (node arrays grow now and then, amortized; a steady push/pop cycle reuses them).
/// The client's own read → dispatch → reply → write code runs on the test thread, as in AllocationTests.
/// </summary>
public class ListAllocationTests
{
    [Fact]
    public void PushAndPopAllocateNothingPerRequest()
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

        // Per batch and list: push 3 (one at each end, then two at once), read, pop 4: the lists keep their size.
        var batch = new StringBuilder();
        int replies = 0;
        for (int i = 0; i < 50; i++)
        {
            string key = "list:" + (i % 10);
            batch.Append($"*3\r\n$5\r\nLPUSH\r\n${key.Length}\r\n{key}\r\n$3\r\nabc\r\n");
            batch.Append($"*4\r\n$5\r\nRPUSH\r\n${key.Length}\r\n{key}\r\n$3\r\n123\r\n$5\r\nhello\r\n");
            batch.Append($"*3\r\n$6\r\nLINDEX\r\n${key.Length}\r\n{key}\r\n$1\r\n1\r\n");
            batch.Append($"*2\r\n$4\r\nLLEN\r\n${key.Length}\r\n{key}\r\n");
            batch.Append($"*2\r\n$4\r\nLPOP\r\n${key.Length}\r\n{key}\r\n");
            batch.Append($"*2\r\n$4\r\nRPOP\r\n${key.Length}\r\n{key}\r\n");
            batch.Append($"*3\r\n$4\r\nRPOP\r\n${key.Length}\r\n{key}\r\n$1\r\n1\r\n");
            replies += 7;
        }
        byte[] request = Encoding.ASCII.GetBytes(batch.ToString());
        // The lists exist before counting starts (creating a key allocates, as it must).
        var seed = new StringBuilder();
        for (int k = 0; k < 10; k++) seed.Append($"*4\r\n$5\r\nRPUSH\r\n$6\r\nlist:{k}\r\n$1\r\nx\r\n$1\r\ny\r\n");
        byte[] seedRequest = Encoding.ASCII.GetBytes(seed.ToString());

        var buffer = new byte[1 << 20];
        void Exchange(byte[] bytes, int expectedReplies)
        {
            int sent = 0;
            while (sent < bytes.Length) sent += peer.Send(bytes, sent, bytes.Length - sent, SocketFlags.None);
            long before = server.Stats.CommandsProcessed;
            var deadline = Environment.TickCount64 + 10_000;
            while (server.Stats.CommandsProcessed - before < expectedReplies)
            {
                client.ReadQueryFromClient();
                client.WriteToClient(handlerInstalled: false);
                server.PendingWrites.Clear();
                client.Flags &= ~ClientFlags.PendingWrite;
                while (peer.Available > 0) peer.Receive(buffer);
                Assert.True(Environment.TickCount64 < deadline, "timed out");
            }
            client.WriteToClient(handlerInstalled: false);
            Thread.Sleep(1);
            while (peer.Available > 0) peer.Receive(buffer);
        }

        Exchange(seedRequest, 10);
        for (int i = 0; i < 20; i++) Exchange(request, replies); // warm up: JIT, pool, node arrays at their size
        long start = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 30; i++) Exchange(request, replies);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - start;
        Assert.True(allocated < 2_000, $"{allocated} bytes allocated for {30 * replies} list requests");
        Assert.Equal(0, server.Stats.ErrorReplies);
    }
}
