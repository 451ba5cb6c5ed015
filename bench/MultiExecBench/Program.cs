using System.Diagnostics;
using System.Net.Sockets;
using System.Text;

// MULTI / INCR counter / SET key value / EXEC over C connections, each sending one transaction
// and waiting for its four replies, as an application using transactions does. Prints
// transactions per second.   usage: MultiExecBench PORT [CLIENTS=50] [TRANSACTIONS=100000]
int port = int.Parse(args[0]);
int clients = args.Length > 1 ? int.Parse(args[1]) : 50;
int total = args.Length > 2 ? int.Parse(args[2]) : 100_000;
byte[] request = Encoding.ASCII.GetBytes(
    "*1\r\n$5\r\nMULTI\r\n*2\r\n$4\r\nINCR\r\n$7\r\ncounter\r\n*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n*1\r\n$4\r\nEXEC\r\n");
// +OK, +QUEUED, +QUEUED, then *2 :n +OK: the reply ends with the EXEC array's "+OK\r\n".
int remaining = total;
var watch = Stopwatch.StartNew();
var threads = Enumerable.Range(0, clients).Select(_ => new Thread(() =>
{
    using var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
    s.Connect("127.0.0.1", port);
    var buffer = new byte[4096];
    while (Interlocked.Decrement(ref remaining) >= 0)
    {
        s.Send(request);
        int have = 0, okCount = 0;
        while (okCount < 2)
        {
            int n = s.Receive(buffer, have, buffer.Length - have, SocketFlags.None);
            if (n == 0) throw new IOException("server closed the connection");
            for (int i = have; i < have + n; i++) if (buffer[i] == (byte)'K' && i > 0 && buffer[i - 1] == (byte)'O') okCount++;
            have += n;
            if (have == buffer.Length) have = 0;
        }
    }
})).ToList();
threads.ForEach(t => t.Start());
threads.ForEach(t => t.Join());
Console.WriteLine($"{total / watch.Elapsed.TotalSeconds:F0}");
