using System.Globalization;

namespace Vermilion.Protocol;

/// <summary>
/// Doubles as Redis reads and writes them: parsing with C strtod's grammar (decimal, hex floats,
/// inf/infinity, nan), and "%.17g" formatting (Redis's addReplyDouble and d2string), byte for
/// byte with glibc, into spans (no allocation).
/// </summary>
public static class DoubleText
{
    /// <summary>The longest text <see cref="Format"/> writes ("-2.2250738585072014e-308" is 24).</summary>
    public const int MaxLength = 32;

    /// <summary>
    /// util.c string2d (getDoubleFromObject): the whole text must be a number; no leading space,
    /// NaN refused, and overflow or underflow to zero refused (strtod's ERANGE) — though "inf" is a
    /// number like any other.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> s, out double value)
    {
        if (s.Length == 0 || IsSpace(s[0]))
        {
            value = 0;
            return false;
        }
        int used = Strtod(s, out value, out bool rangeError);
        return used == s.Length && !rangeError && !double.IsNaN(value);
    }

    /// <summary>
    /// A score bound as zslParseRange reads it: plain strtod that must stop only at the end of the
    /// text or at a NUL byte (so leading spaces pass, "" is 0, and overflow gives ±inf); NaN refused.
    /// </summary>
    public static bool TryParseBound(ReadOnlySpan<byte> s, out double value)
    {
        int nul = s.IndexOf((byte)0);
        if (nul >= 0) s = s[..nul];
        int used = Strtod(s, out value, out _);
        return used == s.Length && !double.IsNaN(value);
    }

    static bool IsSpace(byte b) => b is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\v' or (byte)'\f' or (byte)'\r';

    static bool IsDigit(byte b) => (uint)(b - '0') <= 9;

    static int HexValue(byte b) => b switch
    {
        >= (byte)'0' and <= (byte)'9' => b - '0',
        >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
        _ => -1,
    };

    static bool StartsWithIgnoreCase(ReadOnlySpan<byte> s, ReadOnlySpan<byte> lower)
    {
        if (s.Length < lower.Length) return false;
        for (int i = 0; i < lower.Length; i++)
            if ((s[i] | 0x20) != lower[i]) return false;
        return true;
    }

    /// <summary>
    /// C strtod: how many bytes form the longest number at the start (0 when there is none, as
    /// strtod's end pointer then stays at the start); <paramref name="rangeError"/> is its ERANGE
    /// (a finite number too big, or digits that round to zero).
    /// </summary>
    public static int Strtod(ReadOnlySpan<byte> s, out double value, out bool rangeError)
    {
        value = 0;
        rangeError = false;
        int i = 0;
        while (i < s.Length && IsSpace(s[i])) i++;
        bool negative = false;
        if (i < s.Length && (s[i] == '+' || s[i] == '-')) negative = s[i++] == '-';
        var rest = s[i..];
        if (StartsWithIgnoreCase(rest, "inf"u8))
        {
            value = negative ? double.NegativeInfinity : double.PositiveInfinity;
            return i + (StartsWithIgnoreCase(rest, "infinity"u8) ? 8 : 3);
        }
        if (StartsWithIgnoreCase(rest, "nan"u8))
        {
            value = double.NaN;
            int end = i + 3;
            if (end < s.Length && s[end] == '(')
            {
                int j = end + 1;
                while (j < s.Length && (IsDigit(s[j]) || (uint)((s[j] | 0x20) - 'a') <= 'z' - 'a' || s[j] == '_')) j++;
                if (j < s.Length && s[j] == ')') end = j + 1;
            }
            return end;
        }
        if (rest.Length >= 2 && rest[0] == '0' && (rest[1] | 0x20) == 'x'
            && (rest.Length > 2 && HexValue(rest[2]) >= 0 || rest.Length > 3 && rest[2] == '.' && HexValue(rest[3]) >= 0))
        {
            int used = ParseHex(rest[2..], out value, out rangeError);
            if (negative) value = -value;
            return i + 2 + used;
        }

        int start = i;
        int digits = 0;
        bool nonZero = false;
        while (i < s.Length && IsDigit(s[i])) { nonZero |= s[i] != '0'; i++; digits++; }
        if (i < s.Length && s[i] == '.')
        {
            int dot = i++;
            while (i < s.Length && IsDigit(s[i])) { nonZero |= s[i] != '0'; i++; digits++; }
            if (digits == 0) i = dot;
        }
        if (digits == 0) return 0;
        bool negativeExponent = false;
        if (i < s.Length && (s[i] | 0x20) == 'e')
        {
            int j = i + 1;
            if (j < s.Length && (s[j] == '+' || s[j] == '-')) negativeExponent = s[j++] == '-';
            if (j < s.Length && IsDigit(s[j]))
            {
                while (j < s.Length && IsDigit(s[j])) j++;
                i = j;
            }
        }
        // The text is now known to be a decimal number; .NET's parser rounds it correctly (IEEE),
        // giving ±inf on overflow and 0 on underflow where strtod sets ERANGE.
        if (!double.TryParse(s[start..i], NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent, CultureInfo.InvariantCulture, out value))
            value = !nonZero || negativeExponent ? 0 : double.PositiveInfinity; // an exponent beyond what the parser takes
        rangeError = double.IsInfinity(value) || (value == 0 && nonZero);
        if (negative) value = -value;
        return i;
    }

    /// <summary>The digits after "0x": hexadecimal mantissa, optional '.', optional binary exponent "p±d".</summary>
    static int ParseHex(ReadOnlySpan<byte> s, out double value, out bool rangeError)
    {
        ulong mantissa = 0;
        long exponent = 0;
        bool sticky = false;
        int i = 0;
        bool seenDot = false;
        for (; i < s.Length; i++)
        {
            if (s[i] == '.' && !seenDot) { seenDot = true; continue; }
            int h = HexValue(s[i]);
            if (h < 0) break;
            if (mantissa >> 60 == 0)
            {
                mantissa = (mantissa << 4) | (uint)h;
                if (seenDot) exponent -= 4;
            }
            else
            {
                // Digits past 64 bits only decide rounding: remember that something was there.
                sticky |= h != 0;
                if (!seenDot) exponent += 4;
            }
        }
        if (i < s.Length && (s[i] | 0x20) == 'p')
        {
            int j = i + 1;
            bool negativeExp = false;
            if (j < s.Length && (s[j] == '+' || s[j] == '-')) negativeExp = s[j++] == '-';
            if (j < s.Length && IsDigit(s[j]))
            {
                long e = 0;
                while (j < s.Length && IsDigit(s[j]))
                {
                    if (e < 1_000_000_000) e = e * 10 + (s[j] - '0');
                    j++;
                }
                exponent += negativeExp ? -e : e;
                i = j;
            }
        }
        if (sticky) mantissa |= 1;
        value = mantissa == 0 ? 0 : Math.ScaleB((double)mantissa, (int)Math.Clamp(exponent, -100_000, 100_000));
        rangeError = double.IsInfinity(value) || (value == 0 && mantissa != 0);
        return i;
    }

    /// <summary>printf("%.17g") as glibc writes it; "inf"/"-inf"/"nan" as Redis spells them.</summary>
    public static int Format(double value, Span<byte> dst)
    {
        if (double.IsNaN(value)) return Copy("nan"u8, dst);
        if (double.IsPositiveInfinity(value)) return Copy("inf"u8, dst);
        if (double.IsNegativeInfinity(value)) return Copy("-inf"u8, dst);
        if (value == 0) return Copy(double.IsNegative(value) ? "-0"u8 : "0"u8, dst);

        // "E16": 17 significant digits, correctly rounded: d.ddddddddddddddddE+ddd
        Span<byte> e = stackalloc byte[32];
        value.TryFormat(e, out int n, "E16", CultureInfo.InvariantCulture);
        int p = 0, w = 0;
        if (e[0] == '-') { dst[w++] = (byte)'-'; p = 1; }
        Span<byte> digits = stackalloc byte[17];
        digits[0] = e[p];
        e.Slice(p + 2, 16).CopyTo(digits[1..]);
        int exponentAt = p + 2 + 16 + 1; // after 'E'
        bool negativeExponent = e[exponentAt] == '-';
        int exponent = 0;
        for (int k = exponentAt + 1; k < n; k++) exponent = exponent * 10 + (e[k] - '0');
        if (negativeExponent) exponent = -exponent;
        int count = 17;
        while (count > 1 && digits[count - 1] == '0') count--;

        if (exponent < -4 || exponent >= 17)
        {
            dst[w++] = digits[0];
            if (count > 1)
            {
                dst[w++] = (byte)'.';
                digits[1..count].CopyTo(dst[w..]);
                w += count - 1;
            }
            dst[w++] = (byte)'e';
            dst[w++] = exponent < 0 ? (byte)'-' : (byte)'+';
            int abs = Math.Abs(exponent);
            if (abs >= 100) dst[w++] = (byte)('0' + abs / 100);
            dst[w++] = (byte)('0' + abs / 10 % 10);
            dst[w++] = (byte)('0' + abs % 10);
        }
        else if (exponent >= 0)
        {
            int intDigits = exponent + 1;
            for (int k = 0; k < intDigits; k++) dst[w++] = k < count ? digits[k] : (byte)'0';
            if (count > intDigits)
            {
                dst[w++] = (byte)'.';
                digits[intDigits..count].CopyTo(dst[w..]);
                w += count - intDigits;
            }
        }
        else
        {
            dst[w++] = (byte)'0';
            dst[w++] = (byte)'.';
            for (int k = 0; k < -exponent - 1; k++) dst[w++] = (byte)'0';
            digits[..count].CopyTo(dst[w..]);
            w += count;
        }
        return w;
    }

    /// <summary>
    /// util.c d2string, the text a listpack keeps for a score: an integer when the double is
    /// integral within ±2^62 (double2ll), else "%.17g".
    /// </summary>
    public static int FormatCompact(double value, Span<byte> dst)
    {
        if (IsCompactInteger(value, out long n)) return IntegerText.Format(n, dst);
        return Format(value, dst);
    }

    /// <summary>util.c double2ll: integral and within ±(2^63-1)/2, so a long holds it exactly (-0.0 gives 0).</summary>
    public static bool IsCompactInteger(double value, out long n)
    {
        n = 0;
        if (!(value >= -(double)(long.MaxValue / 2) && value <= (double)(long.MaxValue / 2))) return false;
        long l = (long)value;
        if (l != value) return false;
        n = l;
        return true;
    }

    public static string ToString(double value)
    {
        Span<byte> buf = stackalloc byte[MaxLength];
        return System.Text.Encoding.ASCII.GetString(buf[..Format(value, buf)]);
    }

    static int Copy(ReadOnlySpan<byte> text, Span<byte> dst)
    {
        text.CopyTo(dst);
        return text.Length;
    }
}
