using System.Text;
using Vermilion;
using Xunit;

namespace Vermilion.Tests;

/// <summary>INCRBYFLOAT's long double: strtold's grammar, one rounded addition, and "%.17Lf" trimmed (texts from redis-server 7.0.15).</summary>
public class LongDoubleTests
{
    static LongDouble Parse(string text)
    {
        Assert.True(LongDouble.TryParse(Encoding.Latin1.GetBytes(text), out var value), text);
        return value;
    }

    [Theory]
    [InlineData("10.5", "0.1", "10.6")]
    [InlineData("10.6", "5.0e3", "5010.60000000000000009")]
    [InlineData("0.1", "0.2", "0.3")]
    [InlineData("0", "1e30", "1000000000000000000024696061952")]
    [InlineData("0", "12345678901234567890123", "12345678901234567889920")]
    [InlineData("3001", "1.23456789012345678901234", "3002.23456789012345669")]
    [InlineData("3002.23456789012345669", "-3001", "1.23456789012345669")]
    [InlineData("0", "-1e-30", "0")]
    [InlineData("0", "-0.0", "0")]
    [InlineData("-1.5", "1.5", "0")]
    [InlineData("0", "5e-18", "0")]
    [InlineData("0", "6e-18", "0.00000000000000001")]
    [InlineData("0", "-6e-18", "-0.00000000000000001")]
    [InlineData("16", "0x1p-3", "16.125")]
    [InlineData("0", "0X.8P1", "1")]
    [InlineData("9223372036854775807", "1", "9223372036854775808")]
    [InlineData("0", "1e-4940", "0")]
    public void AddsAndFormatsAsRedis(string value, string increment, string expected) =>
        Assert.Equal(expected, (Parse(value) + Parse(increment)).ToHumanString());

    [Theory]
    [InlineData("")]
    [InlineData(" 1")]
    [InlineData("1 ")]
    [InlineData("\t1")]
    [InlineData("abc")]
    [InlineData("nan")]
    [InlineData("-nan")]
    [InlineData(".")]
    [InlineData("1e")]
    [InlineData("1e+")]
    [InlineData("0x")]
    [InlineData("0x1p")]
    [InlineData("1.2.3")]
    [InlineData("1\0")]
    [InlineData("--1")]
    [InlineData("+-1")]
    [InlineData("infin")]
    [InlineData("1.2e4932")]    // past LDBL_MAX: ERANGE with HUGE_VAL
    [InlineData("1e-5000")]     // a non-zero number that rounds to zero: ERANGE with 0
    [InlineData("0x1p-16446")]  // exactly half the smallest denormal rounds to even, zero
    [InlineData("0x1p16384")]
    public void RejectsWhatString2ldRejects(string text) => Assert.False(LongDouble.TryParse(Encoding.Latin1.GetBytes(text), out _), text);

    [Theory]
    [InlineData("1", 1.0)]
    [InlineData("+1", 1.0)]
    [InlineData(".5", 0.5)]
    [InlineData("5.", 5.0)]
    [InlineData("-2.5E2", -250.0)]
    [InlineData("0x10", 16.0)]
    [InlineData("0x1p-3", 0.125)]
    [InlineData("0e-5000", 0.0)]
    [InlineData("0e999999999999999999999", 0.0)]
    [InlineData("1.7976931348623157e308", 1.7976931348623157e308)]
    public void ParsesStrtoldNumbers(string text, double expected) => Assert.Equal(expected, Parse(text).ToDouble());

    [Fact]
    public void InfinityParsesButCannotBeStored()
    {
        Assert.True(Parse("inf").IsInfinity);
        Assert.True(Parse("-Infinity").IsInfinity);
        Assert.True((Parse("1") + Parse("INF")).IsInfinity);
        Assert.True((Parse("1e4932") + Parse("1e4932")).IsInfinity);
        Assert.False((Parse("1e4932") + Parse("-1e4932")).IsInfinity);
    }

    [Fact]
    public void DenormalsSurviveParsing()
    {
        Assert.False(Parse("0x1p-16445").IsZero);
        Assert.False(Parse("0x1.8p-16446").IsZero); // above the halfway point: rounds up to the smallest denormal
        Assert.Equal("0", Parse("0x1p-16445").ToHumanString());
    }

    [Fact]
    public void TextLimitIsMaxLongDoubleChars()
    {
        Assert.Equal("1", Parse("1." + new string('0', LongDouble.MaxTextLength - 3)).ToHumanString());
        Assert.False(LongDouble.TryParse(Encoding.ASCII.GetBytes("1." + new string('0', LongDouble.MaxTextLength - 2)), out _));
    }

    [Fact]
    public void HugeValuesPrintEveryDigit()
    {
        var text = Parse("1e400").ToHumanString();
        Assert.Equal(401, text.Length);
        Assert.StartsWith("10000000000000000000281880683947586514586453433629052038625910693539685534008629862039363994848324160522094053927317616200295822777259255734023828976593340661017797447434546173917862448116674971723778943824391593338047470675026246684401359237513603830343735485505244955964979021825038280091068414947402456898653040951017512658092615827588920183472511643316591362664138176309734806343732497430221946880", text);
    }

    /// <summary>
    /// Blocking timeouts, (long long)ceill(x * 1000.0): the results of the parser Blocking.cs had
    /// before it used LongDouble, itself checked against redis-server 7.0.15 by
    /// ListBlockingTests.TimeoutSyntaxAndRounding (false: "timeout is not a float or out of range";
    /// long.MinValue: "timeout is negative", as Redis's cast of an out-of-range value).
    /// </summary>
    [Theory]
    [InlineData("-0.001", true, 0L)]
    [InlineData("-0.0005", true, 0L)]
    [InlineData("-0.002", true, -1L)]
    [InlineData("-1e-3", true, 0L)]
    [InlineData("-0.00099999999999999999", true, 0L)]
    [InlineData("-0.0010000000000000001", true, -1L)]
    [InlineData("-0x1p-10", true, 0L)]
    [InlineData("-.001", true, 0L)]
    [InlineData("-0", true, 0L)]
    [InlineData("0x0", true, 0L)]
    [InlineData("0.0", true, 0L)]
    [InlineData("0.001", true, 1L)]
    [InlineData("+1e-3", true, 1L)]
    [InlineData("0x.1p-8", true, 1L)]
    [InlineData("1e-400", true, 1L)]
    [InlineData("1.9e-4951", true, 1L)]
    [InlineData("1.8e-4951", false, 0L)]
    [InlineData("0x1p-16445", true, 1L)]
    [InlineData("0x1p-16446", false, 0L)]
    [InlineData("9223372036854775.807", true, 9223372036854775807L)]
    [InlineData("9223372036854775.808", true, long.MinValue)]
    [InlineData("-9223372036854775.808", true, -9223372036854775807L)]
    [InlineData("1e18", true, long.MinValue)]
    [InlineData("1.18973149535723176502e4932", true, long.MinValue)]
    [InlineData("1.2e4932", false, 0L)]
    [InlineData("0x1p16383", true, long.MinValue)]
    [InlineData("0x1p16384", false, 0L)]
    [InlineData("inf", true, long.MinValue)]
    [InlineData("-Infinity", true, long.MinValue)]
    [InlineData("nan", false, 0L)]
    [InlineData("1e", false, 0L)]
    [InlineData("1e+", false, 0L)]
    [InlineData("0x", false, 0L)]
    [InlineData(".", false, 0L)]
    [InlineData("", false, 0L)]
    [InlineData(" 1", false, 0L)]
    [InlineData("1 ", false, 0L)]
    [InlineData("1\01", false, 0L)]
    [InlineData("abc", false, 0L)]
    [InlineData("0x1p", false, 0L)]
    [InlineData("1.5.5", false, 0L)]
    [InlineData("1", true, 1000L)]
    [InlineData("0.5", true, 500L)]
    [InlineData("10", true, 10000L)]
    [InlineData("1.0000000000000000001", true, 1001L)]
    [InlineData("0x1.8p1", true, 3000L)]
    [InlineData("1e5", true, 100000000L)]
    [InlineData("-1", true, -1000L)]
    [InlineData("-0.5", true, -500L)]
    [InlineData("123.4567", true, 123457L)]
    [InlineData("0.0004", true, 1L)]
    [InlineData("-0.0004", true, 0L)]
    [InlineData("1e-13", true, 1L)]
    [InlineData("-1e-13", true, 0L)]
    [InlineData("1e17", true, long.MinValue)]
    [InlineData("1e19", true, long.MinValue)]
    [InlineData("9.999999999999999999e-4", true, 1L)]
    [InlineData("0x1p62", true, long.MinValue)]
    [InlineData("0x1p61", true, long.MinValue)]
    [InlineData("-9223372036854775.809", true, long.MinValue)]
    [InlineData("1e-4951", false, 0L)]
    [InlineData("3.6e-4951", true, 1L)]
    [InlineData("1e4933", false, 0L)]
    [InlineData("0x1.fffffffffffffffep16383", true, long.MinValue)]
    [InlineData("0x1.ffffffffffffffffp16383", false, 0L)]
    [InlineData("0x0.0p0", true, 0L)]
    [InlineData("0x1.0000000000000001p-16446", true, 1L)]
    [InlineData("+inf", true, long.MinValue)]
    [InlineData("INF", true, long.MinValue)]
    [InlineData("0.000", true, 0L)]
    [InlineData("00012", true, 12000L)]
    [InlineData(".5e1", true, 5000L)]
    [InlineData("5.e-1", true, 500L)]
    [InlineData("1E3", true, 1000000L)]
    [InlineData("0X10", true, 16000L)]
    [InlineData("0x1P4", true, 16000L)]
    [InlineData("1e1000000000000", false, 0L)]
    [InlineData("1e-1000000000000", false, 0L)]
    [InlineData("-0x1p-10000", true, 0L)]
    [InlineData("0.0015", true, 2L)]
    [InlineData("-0.0015", true, -1L)]
    [InlineData("2.5", true, 2500L)]
    [InlineData("0.1", true, 100L)]
    [InlineData("0.3", true, 300L)]
    [InlineData("-0.3", true, -300L)]
    [InlineData("1e-3000", true, 1L)]
    [InlineData("-1e-3000", true, 0L)]
    [InlineData("0x1p-40", true, 1L)]
    [InlineData("0x1p-41", true, 1L)]
    [InlineData("0x1p-50", true, 1L)]
    [InlineData("-0x1p-50", true, 0L)]
    [InlineData("0xg", false, 0L)]
    [InlineData("0x.", false, 0L)]
    [InlineData("0x.p1", false, 0L)]
    [InlineData("1e-4950", true, 1L)]
    [InlineData("4e-4951", true, 1L)]
    [InlineData("3.7e-4951", true, 1L)]
    [InlineData("0x1.8p-16445", true, 1L)]
    [InlineData("0x1p-16447", false, 0L)]
    [InlineData("0x3p-16447", true, 1L)]
    [InlineData("1.1897314953572317650e4932", true, long.MinValue)]
    [InlineData("1.18973149535723176503e4932", true, long.MinValue)]
    [InlineData("-", false, 0L)]
    [InlineData("+", false, 0L)]
    [InlineData("e5", false, 0L)]
    [InlineData("0e0", true, 0L)]
    [InlineData("0e99999", true, 0L)]
    [InlineData("-0x0p0", true, 0L)]
    [InlineData("1.", true, 1000L)]
    [InlineData("+.5", true, 500L)]
    [InlineData("1e+3", true, 1000000L)]
    [InlineData("1e-3", true, 1L)]
    [InlineData("12345678901234567890", true, long.MinValue)]
    [InlineData("-12345678901234567890", true, long.MinValue)]
    public void BlockingTimeoutMilliseconds(string text, bool parses, long expected)
    {
        Assert.Equal(parses, VermilionServer.TryParseTimeoutMilliseconds(Encoding.Latin1.GetBytes(text), out long ms));
        Assert.Equal(expected, ms);
    }

    [Fact]
    public void ProductsRoundOnceAndCeilingSaturates()
    {
        Assert.Equal("3", (Parse("1.5") * Parse("2")).ToHumanString());
        Assert.Equal("-0.1", (Parse("0.1") * Parse("-1")).ToHumanString());
        Assert.True((Parse("inf") * Parse("2")).IsInfinity);
        Assert.Equal(2, Parse("1.0000001").CeilingToInt64());
        Assert.Equal(-1, Parse("-1.9").CeilingToInt64());
        Assert.Equal(0, Parse("-0.5").CeilingToInt64());
        Assert.Equal(1, Parse("1e-4000").CeilingToInt64());
        Assert.Equal(long.MinValue, Parse("-9223372036854775808").CeilingToInt64());
        Assert.Equal(long.MinValue, Parse("9223372036854775808").CeilingToInt64());
        Assert.Equal(long.MinValue, Parse("-inf").CeilingToInt64());
    }
}
