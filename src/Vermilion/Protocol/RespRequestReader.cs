using System.Runtime.CompilerServices;

namespace Vermilion.Protocol;

public enum ParseStatus { Complete, Incomplete, Error }

/// <summary>
/// Reads one request (multibulk or inline) from the unread part of a query buffer, in the
/// manner of Utf8JsonReader: a ref struct over bytes that never allocates. It keeps no state
/// between calls: an incomplete request is read again from its start when more bytes arrive,
/// and <see cref="BytesNeeded"/> says how many must be there before that is worth trying, so a
/// large argument arriving in small pieces is not re-scanned on every read.
/// Limits and error strings are Redis 7.0's (networking.c: processMultibulkBuffer, processInlineBuffer).
/// </summary>
public ref struct RespRequestReader
{
    /// <summary>PROTO_INLINE_MAX_SIZE: the most bytes an inline request or a *N / $N header line may buffer before its end arrives.</summary>
    public const int InlineMaxSize = 64 * 1024;

    readonly ReadOnlySpan<byte> _data;
    readonly int _base;
    readonly long _maxBulkLen;
    readonly bool _unauthenticated;

    /// <summary>Bytes of the buffer the complete request took.</summary>
    public int Consumed { get; private set; }
    /// <summary>With <see cref="ParseStatus.Incomplete"/>: the least number of bytes (from the request's start) worth waiting for.</summary>
    public long BytesNeeded { get; private set; }
    /// <summary>With <see cref="ParseStatus.Error"/>: the reply text, without "-ERR ".</summary>
    public string? Error { get; private set; }

    /// <param name="buffer">The query buffer.</param>
    /// <param name="start">Where the unread bytes begin.</param>
    /// <param name="end">Where they end.</param>
    /// <param name="maxBulkLen">proto-max-bulk-len.</param>
    /// <param name="unauthenticated">authRequired: a client that must AUTH first may send at most 10 arguments of at most 16 KB each.</param>
    public RespRequestReader(byte[] buffer, int start, int end, long maxBulkLen, bool unauthenticated = false)
    {
        _unauthenticated = unauthenticated;
        _data = new ReadOnlySpan<byte>(buffer, start, end - start);
        _base = start;
        _maxBulkLen = maxBulkLen;
        Consumed = 0;
        BytesNeeded = 0;
        Error = null;
    }

    public ParseStatus Read(CommandArgs args, byte[] buffer)
    {
        if (_data.IsEmpty) return Incomplete(1);
        if (_data[0] != (byte)'*') return ReadInline(args);
        if (!_unauthenticated && ReadCommon(buffer, _base, _base + _data.Length, _maxBulkLen, args) is > 0 and var used)
        {
            Consumed = used;
            return ParseStatus.Complete;
        }
        return ReadMultibulk(args, buffer);
    }

    /// <summary>
    /// The common request, whole in the buffer: `*N` and N `$len` headers of 1 to 9 digits (no sign,
    /// no leading zero, "0" alone) each ended by \r and one unchecked byte, each payload followed by two
    /// unchecked bytes, as processMultibulkBuffer skips them. Read in one pass with no state; returns
    /// the bytes it took, or 0 for anything else (incomplete, malformed, empty, a long header), which
    /// <see cref="Read"/> then reads the general way for Redis's limits and errors. Not for a client
    /// that must AUTH first (its tighter limits are the general way's). Measured at -P 128 GET: the
    /// general reader took 348 instructions a request (20% of the server's), this pass 212, and 12 fewer
    /// inlined into its two callers (the pipeline batch, <see cref="Read"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int ReadCommon(byte[] buffer, int start, int end, long maxBulkLen, CommandArgs args)
    {
        var s = new ReadOnlySpan<byte>(buffer, start, end - start);
        if (s.IsEmpty || s[0] != (byte)'*') return 0;
        (int count, int p) = ShortNumber(s, 1);
        // Each argument takes at least six bytes ("$0\r\n\r\n"): a count the buffer cannot hold is an
        // incomplete request, left to the general way, which grows the arguments as they arrive.
        if (count <= 0 || count > (s.Length - p) / 6) return 0;
        var (offsets, lengths) = args.Room(buffer, count);
        for (int i = 0; i < count; i++)
        {
            if ((uint)p >= (uint)s.Length || s[p] != (byte)'$') return 0;
            (int len, p) = ShortNumber(s, p + 1);
            if (len < 0 || len > maxBulkLen || s.Length - p < len + 2) return 0;
            offsets[i] = start + p;
            lengths[i] = len;
            p += len + 2;
        }
        args.Complete(count);
        return p;
    }

    /// <summary>The 1-to-9-digit number at <paramref name="at"/> ended by \r and one more byte, and
    /// where the bytes after those begin; -1 for anything else. One to three digits (a command's count,
    /// a key's or a value's length up to 999) are read unrolled; the position is returned, not passed by
    /// reference, so it stays in a register.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static (int Value, int Next) ShortNumber(ReadOnlySpan<byte> s, int at)
    {
        if ((uint)(at + 2) < (uint)s.Length)
        {
            uint d0 = (uint)(s[at] - '0'), b1 = s[at + 1];
            if (d0 - 1 <= 8)
            {
                if (b1 == '\r') return ((int)d0, at + 3);
                uint d1 = b1 - '0';
                if (d1 <= 9)
                {
                    byte b2 = s[at + 2];
                    if (b2 == (byte)'\r') return ((int)(d0 * 10 + d1), at + 4);
                    uint d2 = (uint)(b2 - '0');
                    if (d2 <= 9 && (uint)(at + 3) < (uint)s.Length && s[at + 3] == (byte)'\r') return ((int)(d0 * 100 + d1 * 10 + d2), at + 5);
                }
            }
        }
        return LongerNumber(s, at);
    }

    /// <summary><see cref="ShortNumber"/> for "0", for four to nine digits, and for a number the buffer ends in.</summary>
    static (int Value, int Next) LongerNumber(ReadOnlySpan<byte> s, int at)
    {
        int i = at, limit = Math.Min(s.Length - 1, at + 9);
        if (i >= limit) return (-1, 0);
        uint d = (uint)(s[i] - '0');
        if (d > 9) return (-1, 0);
        int value = (int)d;
        // string2ll: "0" alone, or digits not starting with 0.
        if (d == 0) return s[i + 1] == (byte)'\r' ? (0, i + 3) : (-1, 0);
        for (i++; i < limit; i++)
        {
            d = (uint)(s[i] - '0');
            if (d > 9) break;
            value = value * 10 + (int)d;
        }
        if ((uint)i >= (uint)s.Length || s[i] != (byte)'\r') return (-1, 0);
        return (value, i + 2);
    }

    ParseStatus Incomplete(long needed)
    {
        BytesNeeded = needed;
        return ParseStatus.Incomplete;
    }

    ParseStatus Fail(string error)
    {
        Error = error;
        return ParseStatus.Error;
    }

    /// <summary>Index of <paramref name="target"/> from <paramref name="from"/>, or -1. Redis searches with
    /// strchr on a NUL-terminated buffer, so a NUL byte before the target hides it.</summary>
    int Find(int from, byte target)
    {
        int i = _data.Slice(from).IndexOfAny(target, (byte)0);
        if (i < 0 || _data[from + i] == 0) return -1;
        return from + i;
    }

    /// <summary>A `*` request the general way, with Redis's limits and errors: for a caller that tried
    /// <see cref="ReadCommon"/> itself (the pipeline batch), so the one-pass form is not tried twice.</summary>
    internal ParseStatus ReadMultibulk(CommandArgs args, byte[] buffer)
    {
        int L = _data.Length;
        int nl = Find(0, (byte)'\r');
        // Redis gives up on a header line once 64 KB have arrived without its end; a line that long
        // is refused even when its end came in the same read, so the answer does not depend on chunking.
        if (nl < 0 ? L > InlineMaxSize : nl > InlineMaxSize) return Fail("Protocol error: too big mbulk count string");
        if (nl < 0) return Incomplete(L + 1);
        // Redis needs one byte after the \r and skips it unchecked.
        if (nl > L - 2) return Incomplete(nl + 2);
        if (!IntegerText.TryParse(_data.Slice(1, nl - 1), out long count) || count > int.MaxValue)
            return Fail("Protocol error: invalid multibulk length");
        if (count > 10 && _unauthenticated) return Fail("Protocol error: unauthenticated multibulk length");
        return ReadArguments(args, buffer, count, nl + 2);
    }

    /// <summary>The <paramref name="count"/> bulk arguments from <paramref name="pos"/> on.</summary>
    ParseStatus ReadArguments(CommandArgs args, byte[] buffer, long count, int pos)
    {
        int L = _data.Length, nl;
        args.Reset(buffer);
        if (count <= 0)
        {
            Consumed = pos;
            return ParseStatus.Complete;
        }
        for (long i = 0; i < count; i++)
        {
            if (pos >= L) return Incomplete(pos + 1);
            nl = Find(pos, (byte)'\r');
            if (nl < 0 ? L - pos > InlineMaxSize : nl - pos > InlineMaxSize) return Fail("Protocol error: too big bulk count string");
            if (nl < 0) return Incomplete(L + 1);
            if (nl > L - 2) return Incomplete(nl + 2);
            if (_data[pos] != (byte)'$')
                return Fail(ExpectedDollar(_data[pos]));
            if (!IntegerText.TryParse(_data.Slice(pos + 1, nl - pos - 1), out long len) || len < 0 || len > _maxBulkLen)
                return Fail("Protocol error: invalid bulk length");
            if (len > 16384 && _unauthenticated) return Fail("Protocol error: unauthenticated bulk length");
            pos = nl + 2;
            // The two bytes after the payload are skipped without checking they are CRLF, as Redis does.
            if (L - pos < len + 2) return Incomplete(pos + len + 2);
            args.Add(_base + pos, (int)len);
            pos += (int)len + 2;
        }
        Consumed = pos;
        return ParseStatus.Complete;
    }

    static readonly string[] s_expectedDollar = BuildExpectedDollar();

    static string[] BuildExpectedDollar()
    {
        var all = new string[256];
        for (int b = 0; b < 256; b++) all[b] = "Protocol error: expected '$', got '" + (char)b + "'";
        return all;
    }

    static string ExpectedDollar(byte got) => s_expectedDollar[got];

    ParseStatus ReadInline(CommandArgs args)
    {
        int nl = Find(0, (byte)'\n');
        // processInlineBuffer: the limit is on what is buffered *without* a newline; a line whose
        // newline has arrived runs at any length (how much arrives before the check is the
        // reader's 16 KB reads, see Client.ReadQueryFromClient).
        if (nl < 0 && _data.Length > InlineMaxSize) return Fail("Protocol error: too big inline request");
        if (nl < 0) return Incomplete(_data.Length + 1);
        int end = nl;
        if (end > 0 && _data[end - 1] == (byte)'\r') end--;
        if (!SplitArgs(_data.Slice(0, end), args))
            return Fail("Protocol error: unbalanced quotes in request");
        Consumed = nl + 1;
        return ParseStatus.Complete;
    }

    static bool IsSpace(byte b) => b == ' ' || (b >= '\t' && b <= '\r');

    static int HexValue(byte b) => b switch
    {
        >= (byte)'0' and <= (byte)'9' => b - '0',
        >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
        _ => -1,
    };

    /// <summary>Splits an inline line as Redis's sdssplitargs: whitespace-separated tokens, "..." with
    /// \xHH \n \r \t \b \a and \c escapes, '...' with only \' special; a closing quote must be followed
    /// by whitespace or the end. Tokens are unescaped into the args' scratch buffer.</summary>
    public static bool SplitArgs(ReadOnlySpan<byte> line, CommandArgs args)
    {
        if (args.InlineScratch.Length < line.Length) args.InlineScratch = new byte[Math.Max(line.Length, args.InlineScratch.Length * 2)];
        var outBuf = args.InlineScratch;
        args.Reset(outBuf);
        int p = 0, o = 0, n = line.Length;
        byte At(ReadOnlySpan<byte> s, int i) => i < s.Length ? s[i] : (byte)0;
        while (true)
        {
            while (p < n && IsSpace(line[p])) p++;
            if (p >= n) return true;
            int start = o;
            bool inq = false, insq = false, done = false;
            while (!done)
            {
                byte c = At(line, p);
                if (inq)
                {
                    if (c == '\\' && At(line, p + 1) == 'x' && HexValue(At(line, p + 2)) >= 0 && HexValue(At(line, p + 3)) >= 0)
                    {
                        outBuf[o++] = (byte)(HexValue(At(line, p + 2)) * 16 + HexValue(At(line, p + 3)));
                        p += 3;
                    }
                    else if (c == '\\' && p + 1 < n)
                    {
                        p++;
                        outBuf[o++] = line[p] switch
                        {
                            (byte)'n' => (byte)'\n',
                            (byte)'r' => (byte)'\r',
                            (byte)'t' => (byte)'\t',
                            (byte)'b' => (byte)'\b',
                            (byte)'a' => (byte)'\a',
                            var other => other,
                        };
                    }
                    else if (c == '"')
                    {
                        if (p + 1 < n && !IsSpace(line[p + 1])) return false;
                        done = true;
                    }
                    else if (p >= n) return false;
                    else outBuf[o++] = c;
                }
                else if (insq)
                {
                    if (c == '\\' && At(line, p + 1) == '\'')
                    {
                        p++;
                        outBuf[o++] = (byte)'\'';
                    }
                    else if (c == '\'')
                    {
                        if (p + 1 < n && !IsSpace(line[p + 1])) return false;
                        done = true;
                    }
                    else if (p >= n) return false;
                    else outBuf[o++] = c;
                }
                else
                {
                    if (p >= n || c == ' ' || c == '\n' || c == '\r' || c == '\t') done = true;
                    else if (c == '"') inq = true;
                    else if (c == '\'') insq = true;
                    else outBuf[o++] = c;
                }
                if (p < n) p++;
            }
            args.Add(start, o - start);
        }
    }
}
