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
}
