using System.Text;
using Xunit;

namespace Vermilion.Tests;

public class LzfTests
{
    static byte[] Compressible(Random random, int length)
    {
        var words = new[] { "user:", "1234", "hello", " ", "world", "\0\0\0", "session", "x" };
        var text = new StringBuilder();
        while (text.Length < length) text.Append(words[random.Next(words.Length)]);
        return Encoding.Latin1.GetBytes(text.ToString(0, length));
    }

    static byte[] RandomBytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }

    static byte[] RoundTrip(Lzf lzf, byte[] input, int limit)
    {
        var compressed = new byte[limit];
        int n = lzf.Compress(input, compressed);
        if (n == 0) return [];
        var output = new byte[input.Length];
        Assert.Equal(input.Length, Lzf.Decompress(compressed.AsSpan(0, n), output));
        return output;
    }

    /// <summary>What redis-server 7.0.15's DUMP holds inside its LZF strings for these values.</summary>
    [Theory]
    [InlineData(21, "a", "016161e00a00")]
    [InlineData(30, "a", "016161e01100016161")]
    [InlineData(78, "abcdefghijklmnopqrstuvwxyz", "1a6162636465666768696a6b6c6d6e6f707172737475767778797a61e0281901797a")]
    public void CompressesAsRedisDoes(int length, string unit, string expectedHex)
    {
        var input = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat(unit, length / unit.Length + 1)))[..length];
        var output = new byte[length - 4];
        int n = new Lzf().Compress(input, output);
        Assert.Equal(expectedHex, Convert.ToHexStringLower(output, 0, n));
    }

    [Fact]
    public void RoundTripsCompressibleAndRandomData()
    {
        var random = new Random(7);
        var lzf = new Lzf();
        foreach (int length in new[] { 1, 2, 3, 4, 5, 21, 33, 64, 100, 264, 265, 1000, 8191, 8192, 8193, 70_000, 300_000 })
        {
            // With room to spare every input compresses (incompressible data grows by 1/32).
            int roomy = length + length / 32 + 16;
            foreach (var input in new[] { Compressible(random, length), RandomBytes(random, length), new byte[length] })
                Assert.Equal(input, RoundTrip(lzf, input, roomy));
        }
    }

    [Fact]
    public void IncompressibleDataDoesNotFitInLessSpace()
    {
        var random = new Random(11);
        var lzf = new Lzf();
        foreach (int length in new[] { 21, 100, 1000, 100_000 })
        {
            var input = RandomBytes(random, length);
            Assert.Equal(0, lzf.Compress(input, new byte[length - 4]));
        }
        Assert.Equal(0, lzf.Compress([], new byte[10]));
        Assert.Equal(0, lzf.Compress("abc"u8, []));
    }

    /// <summary>Every output size from too small to enough: either 0 or a stream that decodes exactly, never a write past the limit.</summary>
    [Fact]
    public void TightLimitsGiveUpCleanly()
    {
        var random = new Random(3);
        var lzf = new Lzf();
        for (int i = 0; i < 200; i++)
        {
            var input = i % 2 == 0 ? Compressible(random, random.Next(1, 300)) : RandomBytes(random, random.Next(1, 80));
            for (int limit = 0; limit <= input.Length + 8; limit++)
            {
                var output = new byte[limit + 16];
                output.AsSpan(limit).Fill(0xEE);
                int n = lzf.Compress(input, output.AsSpan(0, limit));
                Assert.True(output.AsSpan(limit).IndexOfAnyExcept((byte)0xEE) < 0, "wrote past the limit");
                if (n == 0) continue;
                var decoded = new byte[input.Length];
                Assert.Equal(input.Length, Lzf.Decompress(output.AsSpan(0, n), decoded));
                Assert.Equal(input, decoded);
            }
        }
    }

    /// <summary>The hash table survives between calls without earlier inputs changing later output.</summary>
    [Fact]
    public void OutputDoesNotDependOnEarlierCalls()
    {
        var random = new Random(5);
        var inputs = Enumerable.Range(0, 50).Select(i => Compressible(random, random.Next(21, 5000))).ToArray();
        var shared = new Lzf();
        foreach (var input in inputs)
        {
            var a = new byte[input.Length];
            var b = new byte[input.Length];
            int na = shared.Compress(input, a), nb = new Lzf().Compress(input, b);
            Assert.Equal(b.AsSpan(0, nb).ToArray(), a.AsSpan(0, na).ToArray());
        }
    }

    [Fact]
    public void CorruptInputNeverOverrunsOrThrows()
    {
        var random = new Random(13);
        var lzf = new Lzf();
        for (int i = 0; i < 5000; i++)
        {
            byte[] input;
            if (i % 2 == 0) input = RandomBytes(random, random.Next(0, 64));
            else
            {
                // A valid stream with a few bytes changed or cut short.
                var plain = Compressible(random, random.Next(10, 400));
                var buffer = new byte[plain.Length * 2 + 16];
                int n = lzf.Compress(plain, buffer);
                input = buffer[..random.Next(0, n + 1)];
                for (int k = random.Next(0, 3); k > 0 && input.Length > 0; k--) input[random.Next(input.Length)] = (byte)random.Next(256);
            }
            int size = random.Next(0, 600);
            var output = new byte[size + 16];
            output.AsSpan(size).Fill(0xEE);
            int written = Lzf.Decompress(input, output.AsSpan(0, size));
            Assert.InRange(written, -1, size);
            Assert.True(output.AsSpan(size).IndexOfAnyExcept((byte)0xEE) < 0, "wrote past the output");
        }
    }

    [Fact]
    public void DecompressRejectsReferencesBeforeTheStartAndTruncatedItems()
    {
        var output = new byte[64];
        Assert.Equal(-1, Lzf.Decompress([0x20, 0x00], output));             // back reference with nothing written yet
        Assert.Equal(-1, Lzf.Decompress([0x00, 0x61, 0x20, 0x01], output)); // distance 2 after one byte
        Assert.Equal(-1, Lzf.Decompress([0x02, 0x61], output));             // literal run cut short
        Assert.Equal(-1, Lzf.Decompress([0x00, 0x61, 0xE0], output));       // long reference without its length byte
        Assert.Equal(-1, Lzf.Decompress([0x00, 0x61, 0x20], output));       // reference without its distance byte
        Assert.Equal(-1, Lzf.Decompress([0x01, 0x61, 0x62], new byte[1]));  // output too small
        Assert.Equal(0, Lzf.Decompress([], output));
        Assert.Equal(5, Lzf.Decompress([0x00, 0x61, 0x40, 0x00], output)); // "a" then 4 more copies of it
        Assert.Equal("aaaaa", Encoding.ASCII.GetString(output, 0, 5));
    }
}
