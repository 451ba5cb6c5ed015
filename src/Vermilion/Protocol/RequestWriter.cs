using System.Buffers;
using System.Buffers.Text;

namespace Vermilion.Protocol;

/// <summary>
/// A command written as a client sends it, an array of bulk strings (the other direction from
/// <see cref="RespRequestReader"/>): MIGRATE's requests to its target, a replica's handshake and
/// ACKs to its primary, DEBUG REPLICATE's command to the replicas.
/// </summary>
public static class RequestWriter
{
    public static void ArrayHeader(IBufferWriter<byte> w, int count)
    {
        var span = w.GetSpan(16);
        span[0] = (byte)'*';
        Utf8Formatter.TryFormat(count, span[1..], out int n);
        span[1 + n] = (byte)'\r';
        span[2 + n] = (byte)'\n';
        w.Advance(3 + n);
    }

    public static void Bulk(IBufferWriter<byte> w, ReadOnlySpan<byte> value)
    {
        var span = w.GetSpan(value.Length + 24);
        span[0] = (byte)'$';
        Utf8Formatter.TryFormat(value.Length, span[1..], out int n);
        span[1 + n] = (byte)'\r';
        span[2 + n] = (byte)'\n';
        value.CopyTo(span[(3 + n)..]);
        span[3 + n + value.Length] = (byte)'\r';
        span[4 + n + value.Length] = (byte)'\n';
        w.Advance(5 + n + value.Length);
    }

    public static void Bulk(IBufferWriter<byte> w, long value)
    {
        Span<byte> digits = stackalloc byte[20];
        Utf8Formatter.TryFormat(value, digits, out int n);
        Bulk(w, digits[..n]);
    }

    /// <summary>A whole command of ASCII arguments (a handshake's PING, REPLCONF, PSYNC).</summary>
    public static void Command(IBufferWriter<byte> w, params string[] args)
    {
        ArrayHeader(w, args.Length);
        foreach (var arg in args) Bulk(w, System.Text.Encoding.UTF8.GetBytes(arg));
    }
}
