using System.Net;
using System.Net.Sockets;
using System.Text;
using Vermilion;
using Xunit;

namespace Vermilion.Tests;

/// <summary>
/// The simple hash commands on existing small hashes allocate nothing per request: fields are
/// found by span in the listpack or the table, same-size values are overwritten in place. Same
/// method as <see cref="AllocationTests"/>: the client's own read → dispatch → write code runs
/// on the test thread.
/// </summary>
public class HashAllocationTests
{
    [Theory]
    [InlineData(512)] // listpack
    [InlineData(0)]   // hashtable
    public void PipelinedHashCommandsAllocateNothingPerRequest(int maxListpackEntries)
    {
        using var server = new Server(Config.FromArgs("--port", "0", "--unixsocket", "", "--hash-max-listpack-entries", maxListpackEntries.ToString()));
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

        // 500 requests per batch over 10 hashes of 10 fields, values of the same size as redis-benchmark's.
        var batch = new StringBuilder();
        int expectedReply = 0;
        for (int i = 0; i < 100; i++)
        {
            string key = "hash:" + (i % 10), field = "field:" + (i % 10);
            batch.Append(Command("HSET", key, field, "xyz"));
            batch.Append(Command("HGET", key, field));
            batch.Append(Command("HEXISTS", key, field));
            batch.Append(Command("HINCRBY", key, "counter", "0"));
            batch.Append(Command("HMGET", key, field, "nofield"));
            expectedReply += 4 + 9 + 4 + 4 + (4 + 9 + 5);
        }
        byte[] request = Encoding.ASCII.GetBytes(batch.ToString());
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

        // Warm up: JIT, pool, and the hashes themselves (the first HSETs create fields; then they update in place).
        for (int i = 0; i < 20; i++) RunBatch();
        Assert.StartsWith(":0\r\n$3\r\nxyz\r\n:1\r\n:0\r\n*2\r\n$3\r\nxyz\r\n$-1\r\n", Encoding.ASCII.GetString(replyBuffer, 0, expectedReply));

        serverAllocated = 0;
        for (int i = 0; i < 20; i++) RunBatch(); // 10,000 requests
        Assert.True(serverAllocated < 1_000, $"{serverAllocated} bytes allocated by the server for 10,000 hash requests");
    }
}
