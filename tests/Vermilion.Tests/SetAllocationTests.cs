using System.Net;
using System.Net.Sockets;
using System.Text;
using Xunit;

namespace Vermilion.Tests;

/// <summary>
/// SADD of members already there, SISMEMBER, SMISMEMBER and SCARD on small sets of both encodings
/// allocate nothing per request (the request path runs on the test thread, as in AllocationTests).
/// </summary>
public class SetAllocationTests
{
    [Fact]
    public void SetHotPathAllocatesNothingPerRequest()
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

        static string Command(params string[] args) =>
            $"*{args.Length}\r\n" + string.Concat(args.Select(a => $"${a.Length}\r\n{a}\r\n"));
        var setup = new StringBuilder();
        setup.Append(Command("SADD", "ints", "1", "2", "3", "40000"));
        setup.Append(Command("SADD", "strs", "a", "b", "c", "d"));
        var batch = new StringBuilder();
        int expectedReply = 0;
        for (int i = 0; i < 100; i++)
        {
            batch.Append(Command("SADD", "ints", "2", "40000")).Append(Command("SADD", "strs", "b"));
            batch.Append(Command("SISMEMBER", "ints", "3")).Append(Command("SISMEMBER", "strs", "zz"));
            batch.Append(Command("SCARD", "strs")).Append(Command("SMISMEMBER", "ints", "1", "9"));
            expectedReply += 5 * 4 + 12; // five integers, then *2 of two
        }

        byte[] setupBytes = Encoding.ASCII.GetBytes(setup.ToString()), request = Encoding.ASCII.GetBytes(batch.ToString());
        var replyBuffer = new byte[expectedReply * 2];
        long serverAllocated = 0;
        void Run(byte[] bytes, int replyBytes)
        {
            int sent = 0;
            while (sent < bytes.Length) sent += peer.Send(bytes, sent, bytes.Length - sent, SocketFlags.None);
            int received = 0;
            var deadline = Environment.TickCount64 + 10_000;
            while (received < replyBytes)
            {
                long start = GC.GetAllocatedBytesForCurrentThread();
                client.ReadQueryFromClient();
                client.WriteToClient(handlerInstalled: false);
                server.PendingWrites.Clear();
                client.Flags &= ~ClientFlags.PendingWrite;
                serverAllocated += GC.GetAllocatedBytesForCurrentThread() - start;
                while (peer.Available > 0) received += peer.Receive(replyBuffer, received, replyBuffer.Length - received, SocketFlags.None);
                Assert.True(Environment.TickCount64 < deadline, $"timed out with {received}/{replyBytes} reply bytes");
            }
            Assert.Equal(replyBytes, received);
        }

        Run(setupBytes, 8);
        for (int i = 0; i < 20; i++) Run(request, expectedReply); // warm up
        Assert.Equal(":0\r\n:0\r\n:1\r\n:0\r\n:4\r\n*2\r\n:1\r\n:0\r\n", Encoding.ASCII.GetString(replyBuffer, 0, 32));
        serverAllocated = 0;
        for (int i = 0; i < 20; i++) Run(request, expectedReply); // 12,000 requests
        Assert.True(serverAllocated < 1_000, $"{serverAllocated} bytes allocated by the server for 12,000 set requests");
    }
}
