using System.Numerics;
using System.Text;

namespace Vermilion.Protocol;

/// <summary>
/// C's <c>long double</c> on x86-64 (the x87 80-bit format: a 64-bit mantissa, exponents down to
/// denormals at 2^-16445), which INCRBYFLOAT and blocking timeouts compute in. .NET has no such
/// type, and doubles give other digits ("5010.60000000000000009" is what Redis answers for
/// 10.6 + 5.0e3), so this emulates the steps Redis takes, each exact and then rounded to
/// nearest-even as the hardware and glibc do: strtold (<see cref="TryParse"/>), one addition or
/// multiplication, printf("%.17Lf") with trailing zeros trimmed (<see cref="ToHumanString"/>) and
/// (long long)ceill (<see cref="CeilingToInt64"/>).
/// </summary>
public readonly struct LongDouble
{
    /// <summary>Value = ±Mantissa × 2^Exponent; a normal value's mantissa has its top bit set.</summary>
    readonly ulong _mantissa;
    readonly int _exponent;
    readonly bool _negative;
    readonly bool _infinite;

    const int MinExponent = -16445; // 2^-16445 is the smallest denormal
    const int MaxExponent = 16320;  // (2^64 - 1) × 2^16320 is LDBL_MAX
    /// <summary>string2ld's buffer (MAX_LONG_DOUBLE_CHARS): longer texts are not numbers.</summary>
    public const int MaxTextLength = 5 * 1024;

    LongDouble(bool negative, ulong mantissa, int exponent, bool infinite = false)
    {
        _negative = negative;
        _mantissa = mantissa;
        _exponent = exponent;
        _infinite = infinite;
    }

    public bool IsInfinity => _infinite;
    public bool IsZero => !_infinite && _mantissa == 0;

    public static LongDouble FromInteger(long value) =>
        value == 0 ? default : Round(value < 0, BigInteger.Abs(value), BigInteger.One, 0);

    /// <summary>The exact value, for tests.</summary>
    public double ToDouble() => _infinite ? (_negative ? double.NegativeInfinity : double.PositiveInfinity)
        : (_negative ? -1 : 1) * Math.ScaleB(_mantissa, _exponent);

    /// <summary>
    /// string2ld: the whole text must be one strtold number (decimal, hexadecimal "0x1p-3", or
    /// "inf"/"infinity"); no leading space, not NaN, not so large it overflows, and not so small
    /// that a non-zero number rounds to zero.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> text, out LongDouble value)
    {
        value = default;
        if (text.IsEmpty || text.Length >= MaxTextLength) return false;
        int p = 0;
        bool negative = false;
        if (text[0] is (byte)'+' or (byte)'-')
        {
            negative = text[0] == '-';
            p = 1;
        }
        var rest = text[p..];
        if (Ascii.EqualsIgnoreCase(rest, "inf"u8) || Ascii.EqualsIgnoreCase(rest, "infinity"u8))
        {
            value = new LongDouble(negative, 0, 0, infinite: true);
            return true;
        }
        bool parsed = rest.Length > 2 && rest[0] == '0' && (rest[1] | 0x20) == 'x' && IsHexDigit(rest, 2, orPointThenHex: true)
            ? TryParseHex(rest[2..], negative, out value)
            : TryParseDecimal(rest, negative, out value);
        return parsed && !value._infinite;
    }

    static bool IsHexDigit(ReadOnlySpan<byte> s, int i, bool orPointThenHex) =>
        i < s.Length && (HexValue(s[i]) >= 0 || (orPointThenHex && s[i] == '.' && IsHexDigit(s, i + 1, false)));

    static int HexValue(byte c) => c switch
    {
        >= (byte)'0' and <= (byte)'9' => c - '0',
        >= (byte)'a' and <= (byte)'f' => c - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => c - 'A' + 10,
        _ => -1,
    };

    /// <summary>digits [. digits] [e [sign] digits], at least one digit in the mantissa.</summary>
    static bool TryParseDecimal(ReadOnlySpan<byte> s, bool negative, out LongDouble value)
    {
        value = default;
        int i = 0, digits = 0, significant = 0;
        long exponent = 0;
        // The significant digits, 18 at a time into a BigInteger only when there are more than 18.
        ulong chunk = 0;
        int chunkDigits = 0;
        BigInteger? n = null;
        bool fraction = false;
        for (; i < s.Length; i++)
        {
            byte c = s[i];
            if (c == '.' && !fraction)
            {
                fraction = true;
                continue;
            }
            if (!char.IsAsciiDigit((char)c)) break;
            digits++;
            if (fraction) exponent--;
            if (significant == 0 && c == '0') continue;
            significant++;
            chunk = chunk * 10 + (ulong)(c - '0');
            if (++chunkDigits == 18)
            {
                n = (n ?? BigInteger.Zero) * PowerOfTen(18) + chunk;
                chunk = 0;
                chunkDigits = 0;
            }
        }
        if (digits == 0) return false;
        if (i < s.Length && (s[i] | 0x20) == 'e')
        {
            if (!TryParseExponent(s[(i + 1)..], out long e)) return false;
            exponent += e;
            i = s.Length;
        }
        if (i != s.Length) return false;
        if (significant == 0)
        {
            value = new LongDouble(negative, 0, 0);
            return true;
        }
        // Beyond these the result is surely infinite (LDBL_MAX ≈ 1.19e4932) or zero (the smallest denormal ≈ 3.6e-4951).
        long magnitude = significant + exponent;
        if (magnitude > 4934)
        {
            value = new LongDouble(negative, 0, 0, infinite: true);
            return true;
        }
        if (magnitude < -4952) return false;
        var number = n is { } big ? big * PowerOfTen(chunkDigits) + chunk : new BigInteger(chunk);
        value = exponent >= 0
            ? Round(negative, number * PowerOfTen((int)exponent), BigInteger.One, 0)
            : Round(negative, number, PowerOfTen((int)-exponent), 0);
        return !value.IsZero;
    }

    static readonly BigInteger[] s_smallPowersOfTen = Enumerable.Range(0, 40).Select(k => BigInteger.Pow(10, k)).ToArray();

    static BigInteger PowerOfTen(int k) => k < s_smallPowersOfTen.Length ? s_smallPowersOfTen[k] : BigInteger.Pow(10, k);

    /// <summary>hex digits [. hex digits] [p [sign] decimal digits], after the "0x".</summary>
    static bool TryParseHex(ReadOnlySpan<byte> s, bool negative, out LongDouble value)
    {
        value = default;
        int i = 0;
        long exponent = 0;
        BigInteger n = BigInteger.Zero;
        for (; i < s.Length && HexValue(s[i]) >= 0; i++) n = (n << 4) + HexValue(s[i]);
        if (i < s.Length && s[i] == '.')
        {
            for (i++; i < s.Length && HexValue(s[i]) >= 0; i++, exponent -= 4) n = (n << 4) + HexValue(s[i]);
        }
        if (i < s.Length && (s[i] | 0x20) == 'p')
        {
            if (!TryParseExponent(s[(i + 1)..], out long e)) return false;
            exponent += e;
            i = s.Length;
        }
        if (i != s.Length) return false;
        if (n.IsZero)
        {
            value = new LongDouble(negative, 0, 0);
            return true;
        }
        long magnitude = (long)n.GetBitLength() + exponent;
        if (magnitude > MaxExponent + 66)
        {
            value = new LongDouble(negative, 0, 0, infinite: true);
            return true;
        }
        if (magnitude < MinExponent - 2) return false;
        value = Round(negative, n, BigInteger.One, (int)exponent);
        return !value.IsZero;
    }

    /// <summary>[sign] digits, saturating (strtold treats a huge exponent as overflow or underflow).</summary>
    static bool TryParseExponent(ReadOnlySpan<byte> s, out long exponent)
    {
        exponent = 0;
        int i = 0;
        bool negative = false;
        if (i < s.Length && s[i] is (byte)'+' or (byte)'-') negative = s[i++] == '-';
        if (i == s.Length) return false;
        for (; i < s.Length; i++)
        {
            if (!char.IsAsciiDigit((char)s[i])) return false;
            exponent = Math.Min(exponent * 10 + (s[i] - '0'), 1_000_000_000);
        }
        if (negative) exponent = -exponent;
        return true;
    }

    /// <summary>The long double nearest to numerator / denominator × 2^<paramref name="exponent"/> (ties to even); infinite past LDBL_MAX.</summary>
    static LongDouble Round(bool negative, BigInteger numerator, BigInteger denominator, int exponent)
    {
        if (numerator.IsZero) return new LongDouble(negative, 0, 0);
        // Choose e so that the quotient numerator / denominator × 2^(exponent - e) has 64 bits.
        long e = numerator.GetBitLength() - denominator.GetBitLength() + exponent - 64;
        for (int attempt = 0; ; attempt++)
        {
            long scaled = Math.Max(e, MinExponent);
            long shift = exponent - scaled;
            var n = shift >= 0 ? numerator << (int)shift : numerator;
            var d = shift >= 0 ? denominator : denominator << (int)-shift;
            var m = BigInteger.DivRem(n, d, out var remainder);
            if (m.GetBitLength() > 64 && attempt == 0)
            {
                e++;
                continue;
            }
            int half = (remainder << 1).CompareTo(d);
            if (half > 0 || (half == 0 && !m.IsEven)) m += 1;
            if (m.GetBitLength() > 64)
            {
                m >>= 1;
                scaled++;
            }
            if (scaled > MaxExponent) return new LongDouble(negative, 0, 0, infinite: true);
            return new LongDouble(negative, (ulong)m, (int)scaled);
        }
    }

    /// <summary>The exact sum rounded once, as the x87 FPU adds; infinite when either side is.</summary>
    public static LongDouble operator +(LongDouble a, LongDouble b)
    {
        if (a._infinite || b._infinite) return new LongDouble(a._infinite ? a._negative : b._negative, 0, 0, infinite: true);
        if (a._mantissa == 0) return b;
        if (b._mantissa == 0) return a;
        int e = Math.Min(a._exponent, b._exponent);
        var sum = a.Scaled(e) + b.Scaled(e);
        return Round(sum.Sign < 0, BigInteger.Abs(sum), BigInteger.One, e);
    }

    /// <summary>
    /// The exact product rounded once, as the x87 FPU multiplies; infinite when either side is
    /// (∞ × 0 would be NaN, which this type does not hold: no caller multiplies an infinity by zero).
    /// </summary>
    public static LongDouble operator *(LongDouble a, LongDouble b)
    {
        bool negative = a._negative != b._negative;
        if (a._infinite || b._infinite) return new LongDouble(negative, 0, 0, infinite: true);
        if (a._mantissa == 0 || b._mantissa == 0) return new LongDouble(negative, 0, 0);
        return Round(negative, new BigInteger(a._mantissa) * b._mantissa, BigInteger.One, a._exponent + b._exponent);
    }

    /// <summary>
    /// (long long)ceill(x): the x86 conversion gives LLONG_MIN (the "integer indefinite") for an
    /// infinity and for a value past the long long range, and -0 is 0.
    /// </summary>
    public long CeilingToInt64()
    {
        if (_infinite) return long.MinValue;
        // Value = _mantissa × 2^_exponent: its integer part and whether a fraction was cut off.
        UInt128 floor;
        bool fraction;
        if (_exponent >= 64) return long.MinValue;
        if (_exponent >= 0) (floor, fraction) = ((UInt128)_mantissa << _exponent, false);
        else if (_exponent > -64) (floor, fraction) = (_mantissa >> -_exponent, _mantissa << (64 + _exponent) != 0);
        else (floor, fraction) = (0, _mantissa != 0);
        // ceil(-v) = -floor(v); ceil(v) = floor(v) + 1 when there was a fraction.
        if (_negative) return floor <= (UInt128)long.MaxValue + 1 ? (long)-(Int128)floor : long.MinValue;
        if (fraction) floor++;
        return floor <= long.MaxValue ? (long)floor : long.MinValue;
    }

    BigInteger Scaled(int exponent)
    {
        var n = new BigInteger(_mantissa) << (_exponent - exponent);
        return _negative ? -n : n;
    }

    /// <summary>
    /// <paramref name="value"/> × 2^<paramref name="exponent"/> as an integer, a fraction rounded to
    /// nearest-even as glibc's printf rounds the exact binary value it prints.
    /// </summary>
    internal static BigInteger TimesPowerOfTwo(BigInteger value, int exponent)
    {
        if (exponent >= 0) return value << exponent;
        var denominator = BigInteger.One << -exponent;
        var quotient = BigInteger.DivRem(value, denominator, out var remainder);
        int half = (remainder << 1).CompareTo(denominator);
        return half > 0 || (half == 0 && !quotient.IsEven) ? quotient + 1 : quotient;
    }

    /// <summary>
    /// ld2string in LD_STR_HUMAN mode: printf("%.17Lf") (rounded to nearest-even, as glibc does with
    /// the exact binary value), then trailing zeros and a trailing point removed, and "-0" as "0".
    /// </summary>
    public string ToHumanString()
    {
        if (_infinite) return _negative ? "-inf" : "inf";
        if (_mantissa == 0) return "0";
        var scaled = TimesPowerOfTwo(new BigInteger(_mantissa) * PowerOfTen(17), _exponent);
        var digits = scaled.ToString(System.Globalization.CultureInfo.InvariantCulture).PadLeft(18, '0');
        var integer = digits[..^17];
        var fraction = digits[^17..].TrimEnd('0');
        var text = fraction.Length == 0 ? integer : integer + "." + fraction;
        return _negative && text != "0" ? "-" + text : text;
    }
}
