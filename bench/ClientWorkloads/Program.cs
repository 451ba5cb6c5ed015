using System.Diagnostics;
using System.Net.Sockets;
using System.Text;

// Workloads redis-benchmark cannot drive, each over C connections that send a request and wait
// for its reply as an application does; prints operations per second.
//   ClientWorkloads multi PORT [CLIENTS=50] [COUNT=100000]
//       MULTI / INCR counter / SET key value / EXEC: COUNT transactions
//   ClientWorkloads xreadgroup-xack PORT [CLIENTS=50] [COUNT=100000] [STREAM=bench:stream] [GROUP=g]
//       XREADGROUP GROUP <group> c<n> COUNT 1 STREAMS <stream> >, then XACK of the ID it got: COUNT
//       entries consumed and acknowledged (the group must exist, the stream hold enough entries)
string mode = args[0];
int port = int.Parse(args[1]);
int clients = args.Length > 2 ? int.Parse(args[2]) : 50;
int total = args.Length > 3 ? int.Parse(args[3]) : 100_000;
string stream = args.Length > 4 ? args[4] : "bench:stream", group = args.Length > 5 ? args[5] : "g";
int remaining = total;
var watch = Stopwatch.StartNew();
var threads = Enumerable.Range(0, clients).Select(n => new Thread(() =>
{
    using var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
    s.Connect("127.0.0.1", port);
    var reader = new Replies(s);
    byte[] multi = Command("MULTI"), incr = Command("INCR", "counter"), set = Command("SET", "key", "value"), exec = Command("EXEC");
    byte[] read = Command("XREADGROUP", "GROUP", group, "c" + n, "COUNT", "1", "STREAMS", stream, ">");
    while (Interlocked.Decrement(ref remaining) >= 0)
    {
        if (mode == "multi")
        {
            s.Send([.. multi, .. incr, .. set, .. exec]);
            for (int i = 0; i < 4; i++) reader.Next();
        }
        else
        {
            s.Send(read);
            var reply = reader.Next();
            // *1 *2 $stream *1 *2 $id ...: the second bulk string is the entry's ID.
            if (reply.Count < 2) throw new InvalidOperationException("the stream ran out of entries");
            s.Send(Command("XACK", stream, group, reply[1]));
            if (reader.Next().Count != 0) throw new InvalidOperationException("XACK failed");
        }
    }
})).ToList();
threads.ForEach(t => t.Start());
threads.ForEach(t => t.Join());
Console.WriteLine($"{total / watch.Elapsed.TotalSeconds:F0}");

static byte[] Command(params string[] parts)
{
    var sb = new StringBuilder().Append('*').Append(parts.Length).Append("\r\n");
    foreach (var p in parts) sb.Append('$').Append(p.Length).Append("\r\n").Append(p).Append("\r\n");
    return Encoding.ASCII.GetBytes(sb.ToString());
}

/// <summary>Reads whole RESP2 replies off a socket; a reply's bulk strings, in order (an error throws).</summary>
sealed class Replies(Socket socket)
{
    byte[] _buffer = new byte[64 * 1024];
    int _start, _end;

    public List<string> Next()
    {
        var bulks = new List<string>();
        Value(bulks);
        return bulks;
    }

    void Value(List<string> bulks)
    {
        string line = Line();
        switch (line[0])
        {
            case '+': case ':': return;
            case '-': throw new InvalidOperationException(line);
            case '*':
                for (int i = int.Parse(line.AsSpan(1)); i > 0; i--) Value(bulks);
                return;
            case '$':
                int length = int.Parse(line.AsSpan(1));
                if (length < 0) return;
                while (_end - _start < length + 2) Fill();
                bulks.Add(Encoding.ASCII.GetString(_buffer, _start, length));
                _start += length + 2;
                return;
            default: throw new InvalidOperationException("bad reply: " + line);
        }
    }

    string Line()
    {
        while (true)
        {
            int cr = Array.IndexOf(_buffer, (byte)'\r', _start, _end - _start);
            if (cr >= 0 && cr + 1 < _end)
            {
                var line = Encoding.ASCII.GetString(_buffer, _start, cr - _start);
                _start = cr + 2;
                return line;
            }
            Fill();
        }
    }

    void Fill()
    {
        if (_start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }
        if (_end == _buffer.Length) Array.Resize(ref _buffer, _buffer.Length * 2);
        int n = socket.Receive(_buffer, _end, _buffer.Length - _end, SocketFlags.None);
        if (n == 0) throw new IOException("server closed the connection");
        _end += n;
    }
}
