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
        // 500 requests per batch: SET and GET over 100 keys with same-size values, as redis-benchmark does.
        var batch = new StringBuilder();
        for (int i = 0; i < 250; i++)
        {
            string key = "key:" + (i % 100).ToString("D3");
            batch.Append($"*3\r\n$3\r\nSET\r\n${key.Length}\r\n{key}\r\n$3\r\nxyz\r\n");
            batch.Append($"*2\r\n$3\r\nGET\r\n${key.Length}\r\n{key}\r\n");
        }
        // 250 × "+OK\r\n" + 250 × "$3\r\nxyz\r\n"
        var (allocated, total, firstReplies) = ServerAllocations(batch.ToString(), 250 * 5 + 250 * 9);
        Assert.Equal("+OK\r\n$3\r\nxyz\r\n+OK\r\n", firstReplies[..19]);
        Assert.True(allocated < 1_000, $"{allocated} bytes allocated by the server for 10,000 requests ({allocated / 10_000.0:0.00} per request; {total} with the test's socket calls)");
    }

    /// <summary>SETBIT, GETBIT, BITCOUNT and BITPOS work on the stored value's span: once a key's value exists, nothing is allocated.</summary>
    [Fact]
    public void PipelinedBitmapCommandsAllocateNothingPerRequest()
    {
        // 500 requests per batch over 100 keys; each key ends up with two bits set, so every reply is ":N\r\n" with one digit.
        var batch = new StringBuilder();
        static string Command(params string[] args) => $"*{args.Length}\r\n" + string.Concat(args.Select(a => $"${a.Length}\r\n{a}\r\n"));
        for (int i = 0; i < 100; i++)
        {
            string key = "bits:" + (i % 100).ToString("D3"), bit = (i % 8).ToString(), other = ((i + 4) % 8).ToString();
            batch.Append(Command("SETBIT", key, bit, "1")).Append(Command("SETBIT", key, other, "1")).Append(Command("GETBIT", key, bit))
                .Append(i % 2 == 0 ? Command("BITCOUNT", key, "0", "-1", "BIT") : Command("BITPOS", key, "1", "0", "-1", "BIT")).Append(Command("BITCOUNT", key));
        }
        var (allocated, total, firstReplies) = ServerAllocations(batch.ToString(), 500 * 4);
        Assert.Equal(":1\r\n:1\r\n:1\r\n:2\r\n:2\r\n", firstReplies[..20]);
        Assert.True(allocated < 1_000, $"{allocated} bytes allocated by the server for 10,000 requests ({allocated / 10_000.0:0.00} per request; {total} with the test's socket calls)");
    }

    /// <summary>
    /// Sends <paramref name="batchText"/> (500 requests) 20 times to warm up, then three measured rounds of 20; returns the bytes the
    /// server's own code allocated while measured, all bytes the thread allocated, and the start of the last batch's replies.
    /// </summary>
    static (long Server, long Total, string FirstReplies) ServerAllocations(string batchText, int expectedReply)
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

        byte[] request = Encoding.ASCII.GetBytes(batchText);
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

        Assert.Equal(80 * 500L, server.Stats.CommandsProcessed);
        return (allocated, total, Encoding.ASCII.GetString(replyBuffer, 0, 40));
    }
}
