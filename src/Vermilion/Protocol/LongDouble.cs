using System.Numerics;
using System.Text;

namespace Vermilion;

/// <summary>
/// The C long double Redis computes INCRBYFLOAT and HINCRBYFLOAT in: on x86-64 Linux the x87
/// 80-bit format (64-bit mantissa with an explicit integer bit, 15-bit exponent, gradual
/// underflow). .NET has no such type, and a double gives other answers (0.1 + 0 prints as
/// 0.10000000000000001 instead of 0.1), so the value is kept as mantissa × 2^exponent and every
/// step is computed exactly and rounded once, to nearest-even, as the FPU and glibc do:
/// <see cref="TryParse"/> is util.c's string2ld over glibc's strtold, <see cref="Add"/> one x87
/// addition, <see cref="FormatHuman"/> ld2string's LD_STR_HUMAN ("%.17Lf", trailing zeros trimmed).
/// </summary>
public readonly struct LongDouble
{
    /// <summary>Exponent of the last mantissa bit of the smallest subnormal (2^-16445).</summary>
    const int MinLsbExponent = -16445;
    /// <summary>Exponent of the last mantissa bit of the largest finite value ((2^64-1) × 2^16320).</summary>
    const int MaxLsbExponent = 16320;
    /// <summary>MAX_LONG_DOUBLE_CHARS: string2ld refuses longer input; ld2string's buffer.</summary>
    public const int MaxChars = 5 * 1024;

    readonly ulong _mantissa;
    readonly int _exponent;
    readonly bool _negative, _infinite;

    LongDouble(bool negative, ulong mantissa, int exponent, bool infinite = false)
    {
        _negative = negative;
        _mantissa = mantissa;
        _exponent = exponent;
        _infinite = infinite;
    }

    public bool IsInfinity => _infinite;
    public bool IsZero => !_infinite && _mantissa == 0;
    public bool IsNegative => _negative;

    public static LongDouble FromInt64(long value) => new(value < 0, value < 0 ? 0 - (ulong)value : (ulong)value, 0);

    static LongDouble Infinity(bool negative) => new(negative, 0, 0, infinite: true);

    /// <summary>One x87 addition: the exact sum rounded to 64 bits; x + (-x) is +0.</summary>
    public static LongDouble Add(LongDouble a, LongDouble b)
    {
        if (a._infinite || b._infinite)
        {
            // inf - inf is NaN; callers never add two infinities (string2ld refuses NaN, commands refuse inf increments).
            return a._infinite ? a : b;
        }
        if (a._mantissa == 0) return b._mantissa == 0 ? new LongDouble(a._negative && b._negative, 0, 0) : b;
        if (b._mantissa == 0) return a;
        int e = Math.Min(a._exponent, b._exponent);
        var x = (BigInteger)a._mantissa << (a._exponent - e);
        var y = (BigInteger)b._mantissa << (b._exponent - e);
        var sum = (a._negative ? -x : x) + (b._negative ? -y : y);
        if (sum.IsZero) return new LongDouble(false, 0, 0);
        return Round(BigInteger.Abs(sum), BigInteger.One, e, sum.Sign < 0, out _);
    }

    public static LongDouble operator +(LongDouble a, LongDouble b) => Add(a, b);

    /// <summary>
    /// The nearest long double to (<paramref name="num"/> / <paramref name="den"/>) × 2^<paramref name="exponent"/>
    /// (num positive), ties to even; infinity on overflow. <paramref name="underflowToZero"/> tells a
    /// non-zero value that rounded to zero (strtold's ERANGE).
    /// </summary>
    static LongDouble Round(BigInteger num, BigInteger den, long exponent, bool negative, out bool underflowToZero)
    {
        underflowToZero = false;
        // Scale so the integer quotient has 66 or 67 bits: 64 to keep, the rest and the remainder decide the rounding.
        long shift = 66 - (long)(num.GetBitLength() - den.GetBitLength());
        var q = BigInteger.DivRem(shift >= 0 ? num << (int)shift : num, shift >= 0 ? den : den << (int)-shift, out var remainder);
        bool sticky = !remainder.IsZero;
        long bits = (long)q.GetBitLength();
        long drop = bits - 64;
        long lsb = exponent - shift + drop;
        if (lsb < MinLsbExponent)
        {
            // Below the normal range the mantissa loses bits (gradual underflow).
            long extra = MinLsbExponent - lsb;
            if (extra > bits + 2) extra = bits + 2; // everything goes; only the sticky bits remain
            drop += extra;
            lsb = MinLsbExponent;
        }
        var kept = q >> (int)drop;
        bool half = !(q >> (int)(drop - 1)).IsEven;
        bool below = sticky || !(q & ((BigInteger.One << (int)(drop - 1)) - 1)).IsZero;
        if (half && (below || !kept.IsEven)) kept += 1;
        if (kept.GetBitLength() > 64)
        {
            kept >>= 1;
            lsb++;
        }
        if (lsb > MaxLsbExponent) return Infinity(negative);
        if (kept.IsZero)
        {
            underflowToZero = true;
            return new LongDouble(negative, 0, 0);
        }
        return new LongDouble(negative, (ulong)kept, (int)lsb);
    }

    /// <summary>
    /// string2ld: the whole text must be what glibc's strtold reads (decimal or hex float,
    /// "inf"/"infinity"), no leading space, fewer than <see cref="MaxChars"/> bytes; NaN, overflow
    /// and a non-zero value that underflows to zero are refused.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> text, out LongDouble value)
    {
        value = default;
        if (text.IsEmpty || text.Length >= MaxChars) return false;
        int i = 0;
        bool negative = false;
        if (text[0] is (byte)'+' or (byte)'-')
        {
            negative = text[0] == '-';
            i = 1;
        }
        var rest = text[i..];
        if (Ascii.EqualsIgnoreCase(rest, "inf"u8) || Ascii.EqualsIgnoreCase(rest, "infinity"u8))
        {
            value = Infinity(negative);
            return true;
        }
        if (rest.Length > 2 && rest[0] == '0' && (rest[1] | 0x20) == 'x' && TryParseHex(rest[2..], negative, out value)) return true;
        return TryParseDecimal(rest, negative, out value);
    }

    static bool TryParseDecimal(ReadOnlySpan<byte> s, bool negative, out LongDouble value)
    {
        value = default;
        int i = 0;
        int intStart = i;
        while (i < s.Length && IsDigit(s[i])) i++;
        int intEnd = i;
        int fracStart = i, fracEnd = i;
        if (i < s.Length && s[i] == '.')
        {
            fracStart = ++i;
            while (i < s.Length && IsDigit(s[i])) i++;
            fracEnd = i;
        }
        if (intEnd == intStart && fracEnd == fracStart) return false;
        long exponent = 0;
        if (i < s.Length)
        {
            if ((s[i] | 0x20) != 'e' || !TryParseExponent(s[(i + 1)..], out exponent)) return false;
        }
        // Significant digits without leading zeros; the decimal exponent follows the point.
        var digits = new byte[intEnd - intStart + fracEnd - fracStart];
        s[intStart..intEnd].CopyTo(digits);
        s[fracStart..fracEnd].CopyTo(digits.AsSpan(intEnd - intStart));
        exponent -= fracEnd - fracStart;
        int first = 0;
        while (first < digits.Length && digits[first] == '0') first++;
        int last = digits.Length;
        while (last > first && digits[last - 1] == '0')
        {
            last--;
            exponent++;
        }
        if (first == last)
        {
            value = new LongDouble(negative, 0, 0);
            return true;
        }
        long magnitude = last - first + exponent; // the value is below 10^magnitude
        if (magnitude > 4934) return false; // past 1.19e4932: strtold overflows (ERANGE, HUGE_VALL)
        if (magnitude < -4952) return false; // below half the smallest subnormal: ERANGE with zero
        var mantissa = BigInteger.Parse(System.Text.Encoding.ASCII.GetString(digits, first, last - first), System.Globalization.CultureInfo.InvariantCulture);
        var result = exponent >= 0
            ? Round(mantissa * BigInteger.Pow(10, (int)exponent), BigInteger.One, 0, negative, out bool underflow)
            : Round(mantissa, BigInteger.Pow(10, (int)-exponent), 0, negative, out underflow);
        if (result._infinite || underflow) return false;
        value = result;
        return true;
    }

    /// <summary>The digits of 0x…[p±d]: hex mantissa with an optional point, then an optional binary exponent.</summary>
    static bool TryParseHex(ReadOnlySpan<byte> s, bool negative, out LongDouble value)
    {
        value = default;
        int i = 0;
        var mantissa = BigInteger.Zero;
        long exponent = 0;
        bool any = false, point = false;
        for (; i < s.Length; i++)
        {
            byte c = s[i];
            if (c == '.' && !point)
            {
                point = true;
                continue;
            }
            int d = HexDigit(c);
            if (d < 0) break;
            any = true;
            // Past 16,450 significant bits the rest only decides the rounding: keep it as one sticky bit.
            if (mantissa.GetBitLength() < 16500) mantissa = (mantissa << 4) | d;
            else
            {
                if (d != 0) mantissa |= 1;
                if (!point) exponent += 4;
                continue;
            }
            if (point) exponent -= 4;
        }
        if (!any) return false;
        if (i < s.Length)
        {
            if ((s[i] | 0x20) != 'p' || !TryParseExponent(s[(i + 1)..], out long binary)) return false;
            exponent += binary;
        }
        if (mantissa.IsZero)
        {
            value = new LongDouble(negative, 0, 0);
            return true;
        }
        long top = (long)mantissa.GetBitLength() + exponent;
        if (top > 16385) return false;
        if (top < MinLsbExponent - 2) return false;
        var result = Round(mantissa, BigInteger.One, exponent, negative, out bool underflow);
        if (result._infinite || underflow) return false;
        value = result;
        return true;
    }

    /// <summary>[+-]digits to the end of the text, saturating far beyond any finite long double.</summary>
    static bool TryParseExponent(ReadOnlySpan<byte> s, out long exponent)
    {
        exponent = 0;
        int i = 0;
        bool negative = false;
        if (i < s.Length && s[i] is (byte)'+' or (byte)'-') negative = s[i++] == '-';
        if (i == s.Length) return false;
        for (; i < s.Length; i++)
        {
            if (!IsDigit(s[i])) return false;
            if (exponent < 1_000_000_000) exponent = exponent * 10 + (s[i] - '0');
        }
        if (negative) exponent = -exponent;
        return true;
    }

    static bool IsDigit(byte c) => (uint)(c - '0') <= 9;

    static int HexDigit(byte c) => c switch
    {
        >= (byte)'0' and <= (byte)'9' => c - '0',
        >= (byte)'a' and <= (byte)'f' => c - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => c - 'A' + 10,
        _ => -1,
    };

    static readonly BigInteger s_tenPow17 = BigInteger.Pow(10, 17);

    /// <summary>
    /// ld2string(LD_STR_HUMAN): printf's "%.17Lf" (the exact binary value rounded to 17 decimals,
    /// ties to even, as glibc), then trailing zeros and a trailing point removed, "-0" becoming "0".
    /// </summary>
    public string FormatHuman()
    {
        if (_infinite) return _negative ? "-inf" : "inf";
        BigInteger integer, fraction;
        if (_exponent >= 0)
        {
            integer = (BigInteger)_mantissa << _exponent;
            fraction = BigInteger.Zero;
        }
        else
        {
            int k = -_exponent;
            var m = (BigInteger)_mantissa;
            integer = m >> k;
            var rest = m - (integer << k);
            var scaled = rest * s_tenPow17;
            fraction = scaled >> k;
            var remainder = scaled - (fraction << k);
            int cmp = (remainder << 1).CompareTo(BigInteger.One << k);
            if (cmp > 0 || (cmp == 0 && !fraction.IsEven)) fraction += 1;
            if (fraction == s_tenPow17)
            {
                fraction = BigInteger.Zero;
                integer += 1;
            }
        }
        var text = new System.Text.StringBuilder();
        if (_negative) text.Append('-');
        text.Append(integer.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (!fraction.IsZero) text.Append('.').Append(fraction.ToString("D17", System.Globalization.CultureInfo.InvariantCulture).TrimEnd('0'));
        return text.Length == 2 && text[0] == '-' && text[1] == '0' ? "0" : text.ToString();
    }
}
