using Vermilion;
using Xunit;

namespace Vermilion.Tests;

/// <summary>The bit arithmetic of the bitmap commands, checked against bit-by-bit reference versions.</summary>
public class BitmapTests
{
    static int Bit(byte[] value, long offset) => offset >> 3 < value.Length ? (value[offset >> 3] >> (7 - (int)(offset & 7))) & 1 : 0;

    static byte[] RandomBytes(Random rng, int length, int style)
    {
        var bytes = new byte[length];
        if (style == 0) rng.NextBytes(bytes);
        else Array.Fill(bytes, style == 1 ? (byte)0 : (byte)0xFF);
        // A few stray bits in the uniform ones, so searches have something to find.
        if (style != 0 && length > 0 && rng.Next(2) == 0) bytes[rng.Next(length)] ^= (byte)(1 << rng.Next(8));
        return bytes;
    }

    [Fact]
    public void CountMatchesBitByBit()
    {
        var rng = new Random(1);
        for (int n = 0; n < 2000; n++)
        {
            var value = RandomBytes(rng, rng.Next(1, 90), rng.Next(3));
            long first = rng.Next(value.Length * 8), last = rng.Next(value.Length * 8);
            long expected = 0;
            for (long i = first; i <= last; i++) expected += Bit(value, i);
            Assert.Equal(expected, Bitmap.Count(value, first, last));
        }
        Assert.Equal(0, Bitmap.Count([], 0, -1));
        Assert.Equal(26, Bitmap.Count("foobar"u8));
    }

    [Fact]
    public void PositionMatchesBitByBit()
    {
        var rng = new Random(2);
        for (int n = 0; n < 4000; n++)
        {
            var value = RandomBytes(rng, rng.Next(1, 90), rng.Next(3));
            int bit = rng.Next(2);
            long first = rng.Next(value.Length * 8), last = rng.Next(value.Length * 8);
            long expected = -1;
            for (long i = first; i <= last && expected < 0; i++) if (Bit(value, i) == bit) expected = i;
            Assert.Equal(expected, Bitmap.Position(value, bit, first, last));
        }
    }

    [Fact]
    public void GetAndSetSingleBits()
    {
        var value = new byte[2];
        Assert.Equal(0, Bitmap.SetBit(value, 0, 1));
        Assert.Equal(0, Bitmap.SetBit(value, 15, 1));
        Assert.Equal(1, Bitmap.SetBit(value, 15, 1));
        Assert.Equal([0x80, 0x01], value);
        Assert.Equal(1, Bitmap.SetBit(value, 0, 0));
        Assert.Equal(1, Bitmap.GetBit(value, 15));
        Assert.Equal(0, Bitmap.GetBit(value, 14));
        Assert.Equal(0, Bitmap.GetBit(value, 1_000_000));
    }

    [Fact]
    public void FieldsReadAndWriteLikeBitByBit()
    {
        var rng = new Random(3);
        for (int n = 0; n < 3000; n++)
        {
            var value = RandomBytes(rng, rng.Next(1, 20), 0);
            int bits = rng.Next(1, 65);
            ulong offset = (ulong)rng.Next(value.Length * 8 + 16);
            ulong expected = 0;
            for (int i = 0; i < bits; i++) expected = (expected << 1) | (uint)Bit(value, (long)offset + i);
            Assert.Equal(expected, Bitmap.ReadField(value, offset, bits));
            long signed = bits == 64 ? (long)expected : (long)(expected << (64 - bits)) >> (64 - bits);
            Assert.Equal(signed, Bitmap.ReadSignedField(value, offset, bits));

            // Writing changes exactly the field's bits.
            var before = (byte[])value.Clone();
            var target = new byte[value.Length + 12]; // room for a field starting past the value
            before.CopyTo(target, 0);
            var original = (byte[])target.Clone();
            ulong field = (ulong)rng.NextInt64() ^ ((ulong)rng.Next() << 40);
            Bitmap.WriteField(target, offset, bits, field);
            for (long i = 0; i < target.Length * 8L; i++)
            {
                long inField = i - (long)offset;
                int want = inField >= 0 && inField < bits ? (int)((field >> (bits - 1 - (int)inField)) & 1) : Bit(original, i);
                Assert.Equal(want, Bit(target, i));
            }
        }
    }

    [Theory]
    [InlineData(127L, 1L, 8, BitfieldOverflow.Wrap, true, -128L)]
    [InlineData(127L, 1L, 8, BitfieldOverflow.Sat, true, 127L)]
    [InlineData(127L, 1L, 8, BitfieldOverflow.Fail, false, 0L)]
    [InlineData(-128L, -1L, 8, BitfieldOverflow.Wrap, true, 127L)]
    [InlineData(-128L, -1L, 8, BitfieldOverflow.Sat, true, -128L)]
    [InlineData(100L, -300L, 8, BitfieldOverflow.Sat, true, -128L)]
    [InlineData(5L, 3L, 8, BitfieldOverflow.Fail, true, 8L)]
    [InlineData(200L, 0L, 8, BitfieldOverflow.Wrap, true, -56L)]
    [InlineData(long.MaxValue, 1L, 64, BitfieldOverflow.Wrap, true, long.MinValue)]
    [InlineData(long.MaxValue, 1L, 64, BitfieldOverflow.Sat, true, long.MaxValue)]
    [InlineData(long.MinValue, -1L, 64, BitfieldOverflow.Sat, true, long.MinValue)]
    [InlineData(long.MinValue, long.MinValue, 64, BitfieldOverflow.Wrap, true, 0L)]
    [InlineData(0L, -1L, 1, BitfieldOverflow.Fail, true, -1L)]
    [InlineData(-1L, -1L, 1, BitfieldOverflow.Sat, true, -1L)]
    // Redis's wrapping room arithmetic: a SET far below the minimum saturates to the maximum.
    [InlineData(long.MinValue, 0L, 8, BitfieldOverflow.Sat, true, 127L)]
    [InlineData(long.MinValue + 128, 0L, 8, BitfieldOverflow.Sat, true, -128L)]
    [InlineData(-4611686018427387906L, 0L, 63, BitfieldOverflow.Sat, true, 4611686018427387903L)]
    [InlineData(-4611686018427387905L, 0L, 63, BitfieldOverflow.Sat, true, 4611686018427387903L)]
    [InlineData(-4611686018427387904L, 0L, 63, BitfieldOverflow.Sat, true, -4611686018427387904L)]
    public void SignedOverflow(long value, long increment, int bits, BitfieldOverflow mode, bool written, long expected)
    {
        Assert.Equal(written, Bitmap.AddSigned(value, increment, bits, mode, out long result));
        if (written) Assert.Equal(expected, result);
    }

    [Theory]
    [InlineData(255UL, 1L, 8, BitfieldOverflow.Wrap, true, 0UL)]
    [InlineData(255UL, 1L, 8, BitfieldOverflow.Sat, true, 255UL)]
    [InlineData(255UL, 1L, 8, BitfieldOverflow.Fail, false, 0UL)]
    [InlineData(0UL, -1L, 8, BitfieldOverflow.Wrap, true, 255UL)]
    [InlineData(0UL, -1L, 8, BitfieldOverflow.Sat, true, 0UL)]
    [InlineData(0UL, long.MinValue, 8, BitfieldOverflow.Wrap, true, 0UL)]
    [InlineData(ulong.MaxValue, 0L, 8, BitfieldOverflow.Sat, true, 255UL)] // SET -1: read as 2^64 - 1, so SAT gives the maximum
    [InlineData(256UL, 0L, 8, BitfieldOverflow.Wrap, true, 0UL)]
    [InlineData(9223372036854775807UL, 1L, 63, BitfieldOverflow.Wrap, true, 0UL)]
    [InlineData(9223372036854775807UL, 1L, 63, BitfieldOverflow.Sat, true, 9223372036854775807UL)]
    [InlineData(1UL, long.MinValue, 63, BitfieldOverflow.Sat, true, 0UL)]
    [InlineData(10UL, -3L, 4, BitfieldOverflow.Fail, true, 7UL)]
    public void UnsignedOverflow(ulong value, long increment, int bits, BitfieldOverflow mode, bool written, ulong expected)
    {
        Assert.Equal(written, Bitmap.AddUnsigned(value, increment, bits, mode, out ulong result));
        if (written) Assert.Equal(expected, result);
    }

    [Fact]
    public void BitwiseOperationsPadShorterSourcesWithZeros()
    {
        var rng = new Random(4);
        for (int n = 0; n < 300; n++)
        {
            var target = RandomBytes(rng, rng.Next(0, 100), 0);
            var source = RandomBytes(rng, rng.Next(0, 100), 0);
            byte At(int i) => i < source.Length ? source[i] : (byte)0;
            var and = (byte[])target.Clone();
            var or = (byte[])target.Clone();
            var xor = (byte[])target.Clone();
            var not = (byte[])target.Clone();
            Bitmap.And(and, source);
            Bitmap.Or(or, source);
            Bitmap.Xor(xor, source);
            Bitmap.Not(not);
            for (int i = 0; i < target.Length; i++)
            {
                Assert.Equal((byte)(target[i] & At(i)), and[i]);
                Assert.Equal((byte)(target[i] | At(i)), or[i]);
                Assert.Equal((byte)(target[i] ^ At(i)), xor[i]);
                Assert.Equal((byte)~target[i], not[i]);
            }
        }
    }
}
