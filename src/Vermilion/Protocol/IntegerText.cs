using System.Buffers.Text;

namespace Vermilion.Protocol;

/// <summary>Integers as Redis reads and writes them (util.c string2ll / ll2string).</summary>
public static class IntegerText
{
    /// <summary>
    /// C's atoi/atoll/strtol(s, NULL, 10), as DEBUG switches, the AOF manifest and the AOF
    /// loader's lengths read numbers: leading blanks, an optional sign, the digits that follow
    /// (0 when there are none); out of range it saturates to long.MaxValue or long.MinValue, as
    /// glibc's strtoll.
    /// </summary>
    public static long Atoi(ReadOnlySpan<byte> s)
    {
        int i = 0;
        while (i < s.Length && (s[i] == ' ' || (s[i] >= '\t' && s[i] <= '\r'))) i++;
        bool negative = false;
        if (i < s.Length && (s[i] == '+' || s[i] == '-')) negative = s[i++] == '-';
        long value = 0;
        for (; i < s.Length && s[i] >= '0' && s[i] <= '9'; i++)
        {
            int digit = s[i] - '0';
            if (value > (long.MaxValue - digit) / 10) return negative ? long.MinValue : long.MaxValue;
            value = value * 10 + digit;
        }
        return negative ? -value : value;
    }

    /// <summary>
    /// Strict parse, as string2ll: 1..20 bytes, "0" or an optional '-' then a non-zero digit and
    /// digits; no '+', no spaces, no leading zeros, no overflow.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> s, out long value)
    {
        value = 0;
        int n = s.Length;
        if (n == 0 || n > 20) return false;
        if (n == 1 && s[0] == '0') return true;
        int p = 0;
        bool negative = false;
        if (s[0] == '-')
        {
            negative = true;
            p = 1;
            if (n == 1) return false;
        }
        if (s[p] < '1' || s[p] > '9') return false;
        ulong v = (ulong)(s[p++] - '0');
        for (; p < n; p++)
        {
            byte c = s[p];
            if (c < '0' || c > '9') return false;
            if (v > ulong.MaxValue / 10) return false;
            v *= 10;
            ulong d = (ulong)(c - '0');
            if (v > ulong.MaxValue - d) return false;
            v += d;
        }
        if (negative)
        {
            if (v > (ulong)long.MaxValue + 1) return false;
            value = (long)(0 - v);
        }
        else
        {
            if (v > long.MaxValue) return false;
            value = (long)v;
        }
        return true;
    }

    public static bool TryParse(string s, out long value)
    {
        Span<byte> buf = stackalloc byte[21];
        if (s.Length > 20) { value = 0; return false; }
        for (int i = 0; i < s.Length; i++)
        {
            if (s[i] > 127) { value = 0; return false; }
            buf[i] = (byte)s[i];
        }
        return TryParse(buf[..s.Length], out value);
    }

    public static int Format(long value, Span<byte> destination)
    {
        Utf8Formatter.TryFormat(value, destination, out int written);
        return written;
    }

    public static int DigitCount(long value)
    {
        Span<byte> tmp = stackalloc byte[20];
        return Format(value, tmp);
    }
}
