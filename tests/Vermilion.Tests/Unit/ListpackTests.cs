using System.Text;
using Xunit;

namespace Vermilion.Tests;

/// <summary>
/// Listpack blobs against the bytes redis-server 7.0.15 wrote for the same elements (taken from
/// DUMP of lists, one quicklist node each), every encoding and back-length boundary, and corrupt
/// input that must be refused without ever reading out of bounds.
/// </summary>
public class ListpackTests
{
    static byte[] B(string s) => Encoding.Latin1.GetBytes(s);

    static byte[] Build(params object[] elements)
    {
        using var builder = new ListpackBuilder(16);
        foreach (var e in elements)
        {
            if (e is long n) builder.Append(n);
            else builder.Append(e as byte[] ?? B((string)e));
        }
        return builder.Finish().ToArray();
    }

    static List<string> Read(byte[] listpack)
    {
        Assert.True(ListpackReader.TryOpen(listpack, out var reader));
        var items = new List<string>();
        Span<byte> digits = stackalloc byte[20];
        while (reader.MoveNext()) items.Add((reader.IsInteger ? "i:" : "s:") + Encoding.Latin1.GetString(reader.Text(digits)));
        Assert.Equal(reader.Count, items.Count);
        return items;
    }

    static readonly long[] IntegerBoundaries =
    [
        0, 1, 127, 128, -1, 4095, 4096, -4096, -4097, 32767, 32768, -32768, -32769, 8388607, 8388608, -8388608, -8388609,
        2147483647, 2147483648, -2147483648, -2147483649, long.MaxValue, long.MinValue,
    ];

    /// <summary>RPUSH l with these values, then DUMP l: its one listpack, as redis-server 7.0.15 wrote it.</summary>
    const string RedisIntegers =
        "7d0000001700000101017f01c08002dfff02cfff02f1001003d00002f1ffef03f1ff7f03f200800004f1008003f2ff7fff04f2ffff7f04" +
        "f30000800005f200008004f3ffff7fff05f3ffffff7f05f4000000800000000009f30000008005f4ffffff7fffffffff09f4ffffffffffffff7f09" +
        "f4000000000000008009ff";

    [Fact]
    public void IntegersAreRedisBytes()
    {
        Assert.Equal(RedisIntegers, Convert.ToHexStringLower(Build(IntegerBoundaries.Select(v => (object)v).ToArray())));
        // Their decimal text is stored the same way, as lpAppend parses it.
        Assert.Equal(RedisIntegers, Convert.ToHexStringLower(Build(IntegerBoundaries.Select(v => (object)v.ToString()).ToArray())));
        Assert.Equal(IntegerBoundaries.Select(v => "i:" + v), Read(Convert.FromHexString(RedisIntegers)));
    }

    [Fact]
    public void StringsAreRedisBytes()
    {
        string x63 = new('x', 63), x64 = new('x', 64), y4095 = new('y', 4095), y4096 = new('y', 4096);
        // The two nodes of RPUSH l "" a x*63 x*64 y*4095 y*4096 -0 01 +1 " 1" 12345678901234567890 -9223372036854775809 9223372036854775808.
        var first = "9310000005008001816102bf" + Convert.ToHexStringLower(B(x63)) + "40e040" + Convert.ToHexStringLower(B(x64)) + "42efff"
            + Convert.ToHexStringLower(B(y4095)) + "2081ff";
        var second = "5f1000000800f000100000" + Convert.ToHexStringLower(B(y4096)) + "2085822d300382303103822b31038220310394313233343536373839303132333435363738393015"
            + "942d3932323333373230333638353437373538303915933932323333373230333638353437373538303814ff";
        Assert.Equal(first, Convert.ToHexStringLower(Build("", "a", x63, x64, y4095)));
        Assert.Equal(second, Convert.ToHexStringLower(Build(y4096, "-0", "01", "+1", " 1", "12345678901234567890", "-9223372036854775809", "9223372036854775808")));
        Assert.Equal(["s:", "s:a", "s:" + x63, "s:" + x64, "s:" + y4095], Read(Convert.FromHexString(first)));
        Assert.Equal(["s:" + y4096, "s:-0", "s:01", "s:+1", "s: 1", "s:12345678901234567890", "s:-9223372036854775809", "s:9223372036854775808"],
            Read(Convert.FromHexString(second)));
    }

    /// <summary>Back-lengths around their size steps (Redis uses three bytes from 16383, four from 2097151), checked against redis-server's single-element lists.</summary>
    [Theory]
    [InlineData(125, "870000000100e07d", "7fff")]
    [InlineData(126, "890000000100e07e", "0180ff")]
    [InlineData(16377, "074000000100f0f93f0000", "7ffeff")]
    [InlineData(16378, "094000000100f0fa3f0000", "00ffffff")]
    [InlineData(2097145, "080020000100f0f9ff1f00", "7ffffeff")]
    [InlineData(2097146, "0a0020000100f0faff1f00", "00ffffffff")]
    public void BacklenSteps(int length, string head, string tail)
    {
        var lp = Build(new string('z', length));
        Assert.Equal(head, Convert.ToHexStringLower(lp.AsSpan(0, head.Length / 2)));
        Assert.Equal(tail, Convert.ToHexStringLower(lp.AsSpan(lp.Length - tail.Length / 2)));
        Assert.Equal(["s:" + new string('z', length)], Read(lp));
    }

    [Fact]
    public void EmptyListpackIsSevenBytes()
    {
        Assert.Equal("07000000" + "0000" + "ff", Convert.ToHexStringLower(Build()));
        Assert.Empty(Read(Build()));
    }

    [Fact]
    public void CountSaturatesAt65535()
    {
        var many = Enumerable.Range(0, 70000).Select(i => (object)(long)(i % 100)).ToArray();
        var lp = Build(many);
        Assert.Equal(0xFFFF, lp[4] | lp[5] << 8);
        Assert.Equal(70000, Read(lp).Count);
        // 65535 reads as "unknown" whatever the real count; any other count must be the real one.
        var few = Build(1L, 2L, 3L);
        few[4] = 0xFF;
        few[5] = 0xFF;
        Assert.Equal(3, Read(few).Count);
        few[4] = 4;
        few[5] = 0;
        Assert.Equal(-1, Listpack.Validate(few));
    }

    [Theory]
    [InlineData("")]
    [InlineData("ff")]
    [InlineData("060000000000")] // too short for the terminator
    [InlineData("07000000000000")] // no terminator
    [InlineData("0700000000ff00ff")] // the size disagrees with the blob
    [InlineData("08000000000000ff")] // a 7-bit int with its back-length missing
    [InlineData("0a0000000000ff0101ff")] // a terminator before the end
    [InlineData("0900000001000102ff")] // 7-bit int with a wrong back-length
    [InlineData("0900000002000101ff")] // the count disagrees
    [InlineData("0900000001008161ff")] // a string entry missing its back-length
    [InlineData("090000000100f501ff")] // unknown encodings
    [InlineData("090000000100f601ff")]
    [InlineData("090000000100fe01ff")]
    [InlineData("090000000100e001ff")] // 12-bit string running past the end
    [InlineData("0c0000000100f0ffffff7fff")] // 32-bit string length past the end
    [InlineData("0b0000000100f0000000ff")] // 32-bit string header running into the terminator
    [InlineData("080000000100f1ff")] // 16-bit int cut short
    [InlineData("0a0000000100c00003ff")] // 13-bit int with a wrong back-length
    [InlineData("0d0000000100f40000000009ff")] // 64-bit int cut short
    [InlineData("0b000000010082610104ff")] // back-length too large
    public void CorruptListpacksAreRefused(string hex)
    {
        var blob = Convert.FromHexString(hex);
        Assert.Equal(-1, Listpack.Validate(blob));
        Assert.False(ListpackReader.TryOpen(blob, out _));
    }

    /// <summary>Every truncation, every single-byte change and random edits of valid listpacks: refused or read to the end, never an exception.</summary>
    [Fact]
    public void MutationsNeverCrash()
    {
        var seeds = new[]
        {
            Convert.FromHexString(RedisIntegers),
            Build("", "a", new string('x', 63), new string('x', 64), new string('y', 300), "-0", 5L, -5000L, long.MinValue),
            Build(new string('q', 5000), 1L),
        };
        var random = new Random(5);
        int valid = 0;
        foreach (var seed in seeds)
        {
            for (int cut = 0; cut < seed.Length; cut++) Assert.Equal(-1, Listpack.Validate(seed.AsSpan(0, cut)));
            for (int i = 0; i < seed.Length && i < 400; i++)
                for (int bit = 0; bit < 8; bit++)
                {
                    var copy = (byte[])seed.Clone();
                    copy[i] ^= (byte)(1 << bit);
                    valid += ReadAll(copy);
                }
            for (int k = 0; k < 3000; k++)
            {
                var copy = seed.ToList();
                for (int e = random.Next(1, 4); e > 0; e--)
                {
                    int at = random.Next(copy.Count);
                    switch (random.Next(3))
                    {
                        case 0: copy[at] = (byte)random.Next(256); break;
                        case 1: copy.Insert(at, (byte)random.Next(256)); break;
                        default: copy.RemoveAt(at); break;
                    }
                }
                // Keep the size header honest now and then, so the entry checks are what gets tested.
                var blob = copy.ToArray();
                if (random.Next(2) == 0 && blob.Length >= 4) BitConverter.TryWriteBytes(blob.AsSpan(0, 4), blob.Length);
                valid += ReadAll(blob);
            }
        }
        Assert.True(valid > 0);
    }

    static int ReadAll(byte[] blob)
    {
        if (!ListpackReader.TryOpen(blob, out var reader)) return 0;
        int n = 0;
        Span<byte> digits = stackalloc byte[20];
        while (reader.MoveNext()) n += reader.Text(digits).Length >= 0 ? 1 : 0;
        Assert.Equal(reader.Count, n);
        return 1;
    }

    /// <summary>Random elements of every kind round-trip, and the entry sizes add up to the blob.</summary>
    [Fact]
    public void RandomElementsRoundTrip()
    {
        var random = new Random(11);
        Span<byte> digits = stackalloc byte[20];
        for (int round = 0; round < 200; round++)
        {
            var elements = new List<byte[]>();
            for (int i = random.Next(0, 40); i > 0; i--)
            {
                elements.Add(random.Next(4) switch
                {
                    0 => B(random.NextInt64(long.MinValue, long.MaxValue).ToString()),
                    1 => B(random.Next(-70000, 70000).ToString()),
                    2 => B(new string('s', random.Next(0, 5000))),
                    _ => Enumerable.Range(0, random.Next(0, 100)).Select(_ => (byte)random.Next(256)).ToArray(),
                });
            }
            var lp = Build([.. elements]);
            Assert.Equal(Listpack.HeaderSize + 1 + elements.Sum(e => Listpack.EntrySize(e)), lp.Length);
            Assert.True(ListpackReader.TryOpen(lp, out var reader));
            foreach (var e in elements)
            {
                Assert.True(reader.MoveNext());
                Assert.True(e.AsSpan().SequenceEqual(reader.Text(digits)));
            }
            Assert.False(reader.MoveNext());
        }
    }

    /// <summary>Skip (the stream's seek) and ReadInteger's one-byte path land where ReadElement does, for
    /// every encoding and back-length size: integer boundaries and strings of 0 to 70,000 bytes.</summary>
    [Fact]
    public void SkipAndReadIntegerStepAsReadElement()
    {
        var elements = IntegerBoundaries.Select(v => (object)v)
            .Concat(new[] { 0, 1, 63, 64, 126, 127, 128, 4095, 4096, 16382, 16383, 70000 }.Select(n => (object)new string('x', n))).ToArray();
        var lp = Build(elements);
        int p = Listpack.HeaderSize, seen = 0;
        while (lp[p] != Listpack.End)
        {
            int next = Listpack.ReadElement(lp, p, out bool isInteger, out long value, out _);
            Assert.Equal(next, Listpack.Skip(lp, p));
            if (isInteger)
            {
                Assert.Equal(value, Listpack.ReadInteger(lp, p, out int after));
                Assert.Equal(next, after);
            }
            p = next;
            seen++;
        }
        Assert.Equal(elements.Length, seen);
    }
}

/// <summary>Redis's intset blob (RDB_TYPE_SET_INTSET) from and to <see cref="IntSet"/>.</summary>
public class IntSetBlobTests
{
    [Theory]
    // SADD s 1 2 3 100000 on redis-server 7.0.15, the blob inside DUMP s.
    [InlineData(new long[] { 1, 2, 3, 100000 }, "0400000004000000010000000200000003000000a0860100")]
    [InlineData(new long[] { -5, 7 }, "0200000002000000fbff0700")]
    [InlineData(new long[] { long.MinValue, 0 }, "08000000020000000000000000000080" + "0000000000000000")]
    public void WritesRedisLayout(long[] values, string hex)
    {
        var set = new IntSet();
        foreach (var v in values) set.Add(v);
        var blob = new byte[IntSetBlob.Size(set)];
        IntSetBlob.Write(set, blob);
        Assert.Equal(hex, Convert.ToHexStringLower(blob));
        Assert.True(IntSetBlob.TryRead(blob, out var read));
        Assert.Equal(values, Enumerable.Range(0, read.Count).Select(i => read[i]));
        Assert.Equal(set.Width, read.Width);
    }

    [Theory]
    [InlineData("")]
    [InlineData("02000000")]
    [InlineData("0200000000000000")] // empty
    [InlineData("0300000001000000010000")] // unknown width
    [InlineData("020000000200000001000200ff")] // a byte too many
    [InlineData("02000000020000000100")] // a byte too few
    [InlineData("020000000200000002000100")] // descending
    [InlineData("020000000200000001000100")] // duplicate
    [InlineData("02000000ffffffff0100")] // a count that cannot fit
    public void BadBlobsAreRefused(string hex) => Assert.False(IntSetBlob.TryRead(Convert.FromHexString(hex), out _));
}
