using System.Text;
using Vermilion.Storage;
using Xunit;

namespace Vermilion.Tests;

public class KeyHashTests
{
    /// <summary>Sequential keys of every length up to past the short-key limit: no two equal hashes, and
    /// the low bits (a bucket table's mask) spread evenly.</summary>
    [Fact]
    public void SequentialKeysSpreadOverBuckets()
    {
        const int Buckets = 1024, PerLength = 20000;
        foreach (var prefix in new[] { "", "k", "key:", "user:1000:", "a-long-prefix-of-keys:" })
        {
            var seen = new HashSet<ulong>();
            var counts = new int[Buckets];
            for (int i = 0; i < PerLength; i++)
            {
                ulong h = KeyHash.Of(Encoding.ASCII.GetBytes(prefix + i), 12345);
                Assert.True(seen.Add(h), $"{prefix}{i} collides");
                counts[h & (Buckets - 1)]++;
            }
            // Chi-square over 1023 degrees of freedom: a uniform spread stays well under 1200.
            double expected = (double)PerLength / Buckets, chi = 0;
            foreach (int n in counts) chi += (n - expected) * (n - expected) / expected;
            Assert.True(chi < 1200, $"prefix '{prefix}': chi-square {chi:F0}");
        }
    }

    [Fact]
    public void EveryShortLengthAndByteCounts()
    {
        // Keys that differ only in length (zero bytes) or in one byte anywhere hash apart.
        var seen = new HashSet<ulong>();
        for (int len = 0; len <= 17; len++)
        {
            Assert.True(seen.Add(KeyHash.Of(new byte[len], 7)), $"{len} zero bytes");
            for (int at = 0; at < len; at++)
                for (int b = 1; b < 256; b += 37)
                {
                    var key = new byte[len];
                    key[at] = (byte)b;
                    Assert.True(seen.Add(KeyHash.Of(key, 7)), $"length {len}, byte {b} at {at}");
                }
        }
    }

    [Fact]
    public void TheSeedChangesTheHash()
    {
        int same = 0;
        for (int i = 0; i < 1000; i++)
        {
            var key = Encoding.ASCII.GetBytes("key:" + i);
            if ((KeyHash.Of(key, 1) & 1023) == (KeyHash.Of(key, 2) & 1023)) same++;
        }
        Assert.InRange(same, 0, 10);
    }
}
