using System.Buffers.Binary;
using Vermilion.Protocol;

namespace Vermilion.Storage;

/// <summary>
/// A stream entry ID (stream.h's streamID): milliseconds and a sequence, both unsigned 64-bit,
/// ordered as one 128-bit number. In RDB files and as the key of a stream node it is 16 bytes
/// big-endian (streamEncodeID), so byte order is ID order.
/// </summary>
public readonly record struct StreamId(ulong Ms, ulong Seq) : IComparable<StreamId>
{
    public static readonly StreamId Zero = default;
    public static readonly StreamId Max = new(ulong.MaxValue, ulong.MaxValue);

    /// <summary>"18446744073709551615-18446744073709551615" is the longest text.</summary>
    public const int MaxTextLength = 41;

    public bool IsZero => Ms == 0 && Seq == 0;

    public int CompareTo(StreamId other) => Ms != other.Ms ? Ms.CompareTo(other.Ms) : Seq.CompareTo(other.Seq);
    public static bool operator <(StreamId a, StreamId b) => a.CompareTo(b) < 0;
    public static bool operator >(StreamId a, StreamId b) => a.CompareTo(b) > 0;
    public static bool operator <=(StreamId a, StreamId b) => a.CompareTo(b) <= 0;
    public static bool operator >=(StreamId a, StreamId b) => a.CompareTo(b) >= 0;

    /// <summary>streamIncrID: the next ID; false (and the ID unchanged) past the last possible one.</summary>
    public bool TryIncrement(out StreamId next)
    {
        if (Seq != ulong.MaxValue) next = new(Ms, Seq + 1);
        else if (Ms != ulong.MaxValue) next = new(Ms + 1, 0);
        else
        {
            next = this;
            return false;
        }
        return true;
    }

    /// <summary>streamDecrID: the previous ID; false below 0-0.</summary>
    public bool TryDecrement(out StreamId previous)
    {
        if (Seq != 0) previous = new(Ms, Seq - 1);
        else if (Ms != 0) previous = new(Ms - 1, ulong.MaxValue);
        else
        {
            previous = this;
            return false;
        }
        return true;
    }

    /// <summary>"ms-seq" into <paramref name="destination"/> (<see cref="MaxTextLength"/> bytes); returns the length.</summary>
    public int Format(Span<byte> destination)
    {
        Ms.TryFormat(destination, out int n);
        destination[n++] = (byte)'-';
        Seq.TryFormat(destination[n..], out int m);
        return n + m;
    }

    public override string ToString() => $"{Ms}-{Seq}";

    public void WriteBigEndian(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64BigEndian(destination, Ms);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], Seq);
    }

    public static StreamId ReadBigEndian(ReadOnlySpan<byte> source) =>
        new(BinaryPrimitives.ReadUInt64BigEndian(source), BinaryPrimitives.ReadUInt64BigEndian(source[8..]));

    /// <summary>
    /// streamGenericParseIDOrReply without the reply: "ms-seq", "ms" (the sequence is
    /// <paramref name="missingSeq"/>), and unless <paramref name="strict"/> "-" and "+". With
    /// <paramref name="allowAutoSeq"/>, "ms-*" parses and <paramref name="seqGiven"/> says false.
    /// The text is read as C reads it: up to a NUL byte, and at most 127 bytes.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> text, ulong missingSeq, bool strict, out StreamId id, bool allowAutoSeq, out bool seqGiven)
    {
        id = default;
        seqGiven = true;
        if (text.Length > 127) return false;
        int nul = text.IndexOf((byte)0);
        if (nul >= 0) text = text[..nul];
        if (text.Length == 1 && (text[0] == '-' || text[0] == '+'))
        {
            if (strict) return false;
            id = text[0] == '-' ? Zero : Max;
            return true;
        }
        int dash = text.IndexOf((byte)'-');
        var msText = dash >= 0 ? text[..dash] : text;
        if (!TryParseUnsigned(msText, out ulong ms)) return false;
        ulong seq = missingSeq;
        if (dash >= 0)
        {
            var seqText = text[(dash + 1)..];
            if (allowAutoSeq && seqText.Length == 1 && seqText[0] == '*')
            {
                seq = 0;
                seqGiven = false;
            }
            else if (!TryParseUnsigned(seqText, out seq)) return false;
        }
        id = new(ms, seq);
        return true;
    }

    /// <summary>
    /// util.c's string2ull: a strict long long that is not negative, else what strtoull accepts
    /// whole (leading spaces, a sign, digits; a '-' negates modulo 2^64 as strtoull does), with
    /// overflow an error.
    /// </summary>
    static bool TryParseUnsigned(ReadOnlySpan<byte> s, out ulong value)
    {
        value = 0;
        if (IntegerText.TryParse(s, out long strict))
        {
            if (strict < 0) return false;
            value = (ulong)strict;
            return true;
        }
        int i = 0;
        while (i < s.Length && (s[i] == ' ' || (s[i] >= '\t' && s[i] <= '\r'))) i++;
        bool negative = false;
        if (i < s.Length && (s[i] == '+' || s[i] == '-')) negative = s[i++] == '-';
        int digits = 0;
        ulong v = 0;
        for (; i < s.Length && s[i] >= '0' && s[i] <= '9'; i++, digits++)
        {
            ulong d = (ulong)(s[i] - '0');
            if (v > (ulong.MaxValue - d) / 10) return false; // ERANGE
            v = v * 10 + d;
        }
        if (digits == 0 || i != s.Length) return false;
        value = negative ? unchecked(0 - v) : v;
        return true;
    }
}
