using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Vermilion.Tests;

/// <summary>
/// A raw RESP connection for tests: sends exact bytes and reads exactly one reply at a time
/// (any RESP2/RESP3 type), so replies can be compared byte for byte. Text is Latin-1 both ways:
/// one char per byte, so an argument "\xff" is the byte 0xFF and binary replies round-trip.
/// </summary>
public sealed class RespSocket : IDisposable
{
    public Socket Socket { get; }
    readonly List<byte> _pending = new();
    readonly byte[] _chunk = new byte[64 * 1024];

    public RespSocket(Socket s)
    {
        Socket = s;
        s.ReceiveTimeout = 5000;
    }

    public static RespSocket Tcp(int port, IPAddress? from = null)
    {
        var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        if (from is not null) s.Bind(new IPEndPoint(from, 0));
        s.Connect(new IPEndPoint(IPAddress.Loopback, port));
        return new RespSocket(s);
    }

    public static RespSocket Unix(string path)
    {
        var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        s.Connect(new UnixDomainSocketEndPoint(path));
        return new RespSocket(s);
    }

    public static byte[] Encode(params string[] args)
    {
        var sb = new StringBuilder();
        sb.Append('*').Append(args.Length).Append("\r\n");
        foreach (var a in args)
        {
            // Latin-1 would turn a wider char into '?' without a word: a test must say which bytes it means.
            if (a.Any(c => c > '\xff')) throw new ArgumentException("arguments are bytes (Latin-1): " + a);
            sb.Append('$').Append(a.Length).Append("\r\n").Append(a).Append("\r\n");
        }
        return Encoding.Latin1.GetBytes(sb.ToString());
    }

    public void Send(byte[] data)
    {
        int sent = 0;
        while (sent < data.Length) sent += Socket.Send(data, sent, data.Length - sent, SocketFlags.None);
    }

    public void Send(string raw) => Send(Encoding.Latin1.GetBytes(raw));

    /// <summary>Sends a command and returns its reply as text (Latin1, CRLF visible).</summary>
    public string Call(params string[] args)
    {
        Send(Encode(args));
        return ReadReply();
    }

    static readonly string s_pingMarker = Encoding.Latin1.GetString(Encode("PING", "__end__"));

    /// <summary>Sends a command and returns every reply and push before the reply to a PING marker sent after it (a SUBSCRIBE of n channels answers n times).</summary>
    public string CallAll(params string[] args) => RequestAll(Encoding.Latin1.GetString(Encode(args)));

    /// <summary>CallAll for a raw request.</summary>
    public string RequestAll(string request)
    {
        // One write, so the request and the marker arrive in one read and run in the same event-loop turn on either server.
        Send(request + s_pingMarker);
        var sb = new StringBuilder();
        while (true)
        {
            var reply = ReadReply();
            if (reply.Contains("__end__")) return sb.ToString();
            sb.Append(reply);
        }
    }

    public string ReadReply(int timeoutMs = 5000) => Encoding.Latin1.GetString(ReadReplyBytes(timeoutMs));

    public byte[] ReadReplyBytes(int timeoutMs = 5000)
    {
        var deadline = Environment.TickCount64 + timeoutMs;
        while (true)
        {
            int end = ReplyEnd(_pending, 0);
            if (end > 0)
            {
                var reply = _pending.GetRange(0, end).ToArray();
                _pending.RemoveRange(0, end);
                return reply;
            }
            int wait = (int)(deadline - Environment.TickCount64);
            if (wait <= 0 || !Socket.Poll(wait * 1000, SelectMode.SelectRead))
                throw new TimeoutException("no complete reply; received so far: " + Show(_pending.ToArray()));
            int n = Socket.Receive(_chunk);
            if (n == 0) throw new IOException("connection closed; received so far: " + Show(_pending.ToArray()));
            _pending.AddRange(_chunk.AsSpan(0, n).ToArray());
            // The time limit is for silence: a long reply still arriving on a loaded machine is not stalled.
            deadline = Environment.TickCount64 + timeoutMs;
        }
    }

    /// <summary>Exactly <paramref name="count"/> bytes, whatever they hold (a replication payload).</summary>
    public byte[] ReadExactly(int count, int timeoutMs = 10_000)
    {
        var deadline = Environment.TickCount64 + timeoutMs;
        while (_pending.Count < count)
        {
            int wait = (int)(deadline - Environment.TickCount64);
            if (wait <= 0 || !Socket.Poll(wait * 1000, SelectMode.SelectRead))
                throw new TimeoutException($"{_pending.Count} of {count} bytes received");
            int n = Socket.Receive(_chunk);
            if (n == 0) throw new IOException($"connection closed after {_pending.Count} of {count} bytes");
            _pending.AddRange(_chunk.AsSpan(0, n).ToArray());
        }
        var bytes = _pending.GetRange(0, count).ToArray();
        _pending.RemoveRange(0, count);
        return bytes;
    }

    /// <summary>One line without its CRLF (a replication handshake's +FULLRESYNC, a `$EOF:` header).</summary>
    public string ReadLine(int timeoutMs = 10_000)
    {
        var line = new List<byte>();
        while (true)
        {
            byte b = ReadExactly(1, timeoutMs)[0];
            if (b == '\n' && line.Count > 0 && line[^1] == '\r') return Encoding.Latin1.GetString(line.ToArray(), 0, line.Count - 1);
            line.Add(b);
        }
    }

    /// <summary>True when the server closes the connection within the time; <paramref name="rest"/> gets what came before.</summary>
    public bool WaitForClose(out byte[] rest, int timeoutMs = 5000)
    {
        var deadline = Environment.TickCount64 + timeoutMs;
        while (Environment.TickCount64 < deadline)
        {
            int wait = (int)Math.Max(1, deadline - Environment.TickCount64);
            if (!Socket.Poll(wait * 1000, SelectMode.SelectRead))
            {
                // Poll(SelectRead) looks at POLLIN and POLLHUP only; poll(2) racing a reset's processing can report
                // POLLERR alone, which reads as "nothing yet" before the deadline. A pending socket error is the close.
                if ((int)Socket.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.Error)! != 0) return Closed(out rest);
                continue;
            }
            int n;
            try { n = Socket.Receive(_chunk); }
            catch (SocketException) { n = 0; }
            if (n == 0) return Closed(out rest);
            _pending.AddRange(_chunk.AsSpan(0, n).ToArray());
        }
        rest = _pending.ToArray();
        return false;
    }

    bool Closed(out byte[] rest)
    {
        rest = _pending.ToArray();
        _pending.Clear();
        return true;
    }

    public bool WaitForClose(int timeoutMs = 5000) => WaitForClose(out _, timeoutMs);

    /// <summary>True when nothing arrives within <paramref name="quietMs"/>.</summary>
    public bool IsQuiet(int quietMs = 200) => _pending.Count == 0 && !Socket.Poll(quietMs * 1000, SelectMode.SelectRead);

    /// <summary>Raw RESP text for a message: CR/LF visible, at most 600 chars, enough to see what went wrong without flooding the log.</summary>
    public static string Show(string raw)
    {
        var text = raw[..Math.Min(raw.Length, 600)].Replace("\r", "\\r").Replace("\n", "\\n");
        return raw.Length > 600 ? $"{text}… ({raw.Length} chars)" : text;
    }

    public static string Show(byte[] raw) => Show(Encoding.Latin1.GetString(raw));

    /// <summary>Length of the first complete RESP value in <paramref name="buf"/> from <paramref name="pos"/>, or -1.</summary>
    public static int ReplyEnd(List<byte> buf, int pos)
    {
        int lineEnd = LineEnd(buf, pos);
        if (lineEnd < 0) return -1;
        char type = (char)buf[pos];
        string header = Encoding.Latin1.GetString(buf.GetRange(pos + 1, lineEnd - pos - 1).ToArray());
        int next = lineEnd + 2;
        switch (type)
        {
            case '+': case '-': case ':': case '_': case ',': case '#': case '(':
                return next - pos;
            case '$': case '=': case '!':
                long len = long.Parse(header);
                if (len < 0) return next - pos;
                return buf.Count >= next + len + 2 ? (int)(next + len + 2 - pos) : -1;
            case '*': case '~': case '>': case '%': case '|':
                long n = long.Parse(header);
                if (n < 0) return next - pos;
                if (type is '%' or '|') n *= 2;
                int at = next;
                for (long i = 0; i < n; i++)
                {
                    int e = ReplyEnd(buf, at);
                    if (e < 0) return -1;
                    at += e;
                }
                // An attribute precedes the value it describes.
                if (type == '|')
                {
                    int e = ReplyEnd(buf, at);
                    return e < 0 ? -1 : at + e - pos;
                }
                return at - pos;
            default:
                throw new InvalidDataException($"not a RESP type byte: {(int)type}");
        }
    }

    static int LineEnd(List<byte> buf, int from)
    {
        for (int i = from; i + 1 < buf.Count; i++)
            if (buf[i] == '\r' && buf[i + 1] == '\n') return i;
        return -1;
    }

    public void Dispose() => Socket.Dispose();
}
