using System.Text;
using Vermilion;
using Xunit;

namespace Vermilion.Tests;

public class IntegerTextTests
{
    [Theory]
    [InlineData("0", 0L)]
    [InlineData("1", 1L)]
    [InlineData("-1", -1L)]
    [InlineData("9223372036854775807", long.MaxValue)]
    [InlineData("-9223372036854775808", long.MinValue)]
    public void ParsesWhatString2llAccepts(string text, long expected)
    {
        Assert.True(IntegerText.TryParse(Encoding.ASCII.GetBytes(text), out long v));
        Assert.Equal(expected, v);
    }

    [Theory]
    [InlineData("")]
    [InlineData("-")]
    [InlineData("+1")]
    [InlineData("01")]
    [InlineData("-0")]
    [InlineData(" 1")]
    [InlineData("1 ")]
    [InlineData("1a")]
    [InlineData("9223372036854775808")]
    [InlineData("-9223372036854775809")]
    [InlineData("99999999999999999999")]
    [InlineData("123456789012345678901")]
    public void RejectsWhatString2llRejects(string text) =>
        Assert.False(IntegerText.TryParse(Encoding.ASCII.GetBytes(text), out _));

    [Theory]
    [InlineData("1", 1)]
    [InlineData("0", 0)]
    [InlineData("", 0)]
    [InlineData("abc", 0)]
    [InlineData("01", 1)]
    [InlineData("+7", 7)]
    [InlineData("  -12xyz", -12)]
    [InlineData("3.9", 3)]
    [InlineData("99999999999999999999999", long.MaxValue)]
    public void AtoiReadsTheLeadingInteger(string text, long expected) =>
        Assert.Equal(expected, IntegerText.Atoi(Encoding.ASCII.GetBytes(text)));
}
