using System.Text;
using Xunit;

namespace Vermilion.Tests;

/// <summary>CRC-64, RDB lengths and strings, and the DUMP payload layout.</summary>
public class RdbTests
{
    static byte[] Hex(string hex) => Convert.FromHexString(hex);

    [Fact]
    public void Crc64MatchesRedisCheckVector()
    {
        Assert.Equal(0xe9c6d914c4b8d9caUL, Crc64.Compute("123456789"u8));
        Assert.Equal(0UL, Crc64.Compute([]));
        // Continuing from a partial CRC gives the same as one pass, at every split (the 8-byte loop and the tail agree).
        var data = new byte[1000];
        new Random(1).NextBytes(data);
        ulong whole = Crc64.Compute(data);
        for (int split = 0; split <= 20; split++) Assert.Equal(whole, Crc64.Compute(data.AsSpan(split), Crc64.Compute(data.AsSpan(0, split))));
    }

    [Theory]
    [InlineData(0UL, "00")]
    [InlineData(63UL, "3f")]
    [InlineData(64UL, "4040")]
    [InlineData(16383UL, "7fff")]
    [InlineData(16384UL, "8000004000")]
    [InlineData(4294967295UL, "80ffffffff")]
    [InlineData(4294967296UL, "810000000100000000")]
    [InlineData(18446744073709551614UL, "81fffffffffffffffe")]
    public void LengthEncodingsRoundTrip(ulong length, string hex)
    {
        var buffer = new byte[9];
        int n = RdbWriter.EncodeLength(length, buffer);
        Assert.Equal(hex, Convert.ToHexStringLower(buffer, 0, n));
        var reader = new RdbReader(buffer.AsSpan(0, n));
        Assert.True(reader.TryReadLength(out ulong read, out bool encoded));
        Assert.False(encoded);
        Assert.Equal(length, read);
        Assert.Equal(0, reader.Remaining);
    }

    [Theory]
    [InlineData("")]
    [InlineData("40")]
    [InlineData("80000000")]
    [InlineData("81ffffffffffffff")]
    [InlineData("81ffffffffffffffff")] // Redis's RDB_LENERR
    [InlineData("82")]
    [InlineData("bf")]
    public void BadLengthsAreRejected(string hex)
    {
        var reader = new RdbReader(Hex(hex));
        Assert.False(reader.TryReadLength(out _, out _));
    }

    [Fact]
    public void EncodingMarkerReadsAsItsNumber()
    {
        var reader = new RdbReader(Hex("c3"));
        Assert.True(reader.TryReadLength(out ulong n, out bool encoded));
        Assert.True(encoded);
        Assert.Equal(3UL, n);
    }

    static string Written(Action<RdbWriter> write)
    {
        var writer = new RdbWriter();
        write(writer);
        return Convert.ToHexStringLower(writer.Written);
    }

    /// <summary>The encodings redis-server 7.0.15's DUMP chose for these strings.</summary>
    [Theory]
    [InlineData("", "00")]
    [InlineData("0", "c000")]
    [InlineData("-1", "c0ff")]
    [InlineData("127", "c07f")]
    [InlineData("128", "c18000")]
    [InlineData("-129", "c17fff")]
    [InlineData("32768", "c200800000")]
    [InlineData("-2147483648", "c200000080")]
    [InlineData("2147483648", "0a32313437343833363438")]
    [InlineData("007", "03303037")]
    [InlineData(" 1", "022031")]
    [InlineData("+1", "022b31")]
    [InlineData("-0", "022d30")]
    [InlineData("hello", "0568656c6c6f")]
    [InlineData("aaaaaaaaaaaaaaaaaaaa", "146161616161616161616161616161616161616161")]
    [InlineData("aaaaaaaaaaaaaaaaaaaaa", "c30615016161e00a00")]
    public void StringsAreEncodedAsRedisDoes(string value, string hex)
    {
        var bytes = Encoding.ASCII.GetBytes(value);
        Assert.Equal(hex, Written(w => w.WriteString(bytes)));
        var reader = new RdbReader(Hex(hex));
        Assert.True(reader.TryReadString(out var read));
        using (read) Assert.Equal(value, Encoding.ASCII.GetString(read.Value));
        Assert.Equal(0, reader.Remaining);
    }

    [Theory]
    [InlineData(5L, "c005")]
    [InlineData(2147483647L, "c2ffffff7f")]
    [InlineData(9223372036854775807L, "1339323233333732303336383534373735383037")]
    public void IntegersAreEncodedAsRedisDoes(long value, string hex) => Assert.Equal(hex, Written(w => w.WriteInteger(value)));

    [Fact]
    public void LongStringsRoundTrip()
    {
        var random = new Random(9);
        foreach (int length in new[] { 21, 63, 64, 16383, 16384, 1 << 20 })
        {
            var compressible = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Range(0, length).Select(i => (char)('a' + i % 7))));
            var incompressible = new byte[length];
            random.NextBytes(incompressible);
            foreach (var value in new[] { compressible, incompressible })
            {
                var writer = new RdbWriter();
                writer.WriteString(value);
                var reader = new RdbReader(writer.Written);
                Assert.True(reader.TryReadString(out var read));
                using (read) Assert.True(read.Value.SequenceEqual(value));
                writer.Reset();
                Assert.Equal(0, writer.Length);
            }
        }
    }

    [Theory]
    [InlineData("c4")]                   // string encoding 4 does not exist
    [InlineData("c1ff")]                 // 16-bit integer cut short
    [InlineData("0568656c6c")]           // 5 bytes announced, 4 there
    [InlineData("c3050061")]             // LZF data cut short
    [InlineData("c302050061")]           // LZF data that decodes to less than announced
    [InlineData("c302052000")]           // LZF reference before the start
    [InlineData("c303810000010000000000016161")] // LZF claiming far more than 3 bytes can hold
    public void BadStringsAreRejected(string hex)
    {
        var reader = new RdbReader(Hex(hex));
        Assert.False(reader.TryReadString(out _));
    }

    [Fact]
    public void LzfOfLengthZeroAcceptsAnyDataAsRedisDoes()
    {
        var reader = new RdbReader(Hex("c30300ffffff"));
        Assert.True(reader.TryReadString(out var read));
        Assert.Equal(0, read.Value.Length);
    }

    static byte[] Payload(string bodyHex, ushort version = 10)
    {
        var body = Hex(bodyHex);
        var withVersion = body.Concat(new[] { (byte)version, (byte)(version >> 8) }).ToArray();
        return withVersion.Concat(BitConverter.GetBytes(Crc64.Compute(withVersion))).ToArray();
    }

    [Fact]
    public void DumpPayloadIsRedisLayout()
    {
        var writer = new RdbWriter();
        DumpPayload.WriteString(writer, "hello"u8);
        Assert.Equal("000568656c6c6f0a006372df766534200a", Convert.ToHexStringLower(writer.Written));
        Assert.True(DumpPayload.Verify(writer.Written));
        Assert.Equal(DumpPayload.ReadResult.Ok, DumpPayload.TryRead(writer.Written, "k"u8, new Config(), out var value, out var other));
        Assert.Null(other);
        using (value) Assert.Equal("hello", Encoding.ASCII.GetString(value.Value));
    }

    [Fact]
    public void DumpPayloadFooterIsChecked()
    {
        Assert.False(DumpPayload.Verify(Hex("0a00000000000000")));
        Assert.False(DumpPayload.Verify(Payload("000568656c6c6f", version: 11)));
        Assert.True(DumpPayload.Verify(Payload("000568656c6c6f", version: 9)));
        Assert.True(DumpPayload.Verify(Payload("000568656c6c6f", version: 0)));
        var corrupt = Payload("000568656c6c6f");
        corrupt[^1] ^= 1;
        Assert.Equal(DumpPayload.ReadResult.BadFooter, DumpPayload.TryRead(corrupt, "k"u8, new Config(), out _, out _));
    }

    [Theory]
    [InlineData("01")] // list
    [InlineData("13")] // stream listpacks 2
    [InlineData("08")] // not a type
    [InlineData("14")] // newer than 7.0
    [InlineData("ff")]
    public void OtherTypesAreBadData(string type) =>
        Assert.Equal(DumpPayload.ReadResult.BadData, DumpPayload.TryRead(Payload(type + "0568656c6c6f"), "k"u8, new Config(), out _, out _));

    /// <summary>Redis reads the value from the whole payload, so a string may run into the footer.</summary>
    [Fact]
    public void ValueMayRunIntoTheFooter()
    {
        var payload = Payload("000a68656c6c6f");
        Assert.Equal(DumpPayload.ReadResult.Ok, DumpPayload.TryRead(payload, "k"u8, new Config(), out var value, out _));
        using (value) Assert.True(value.Value.SequenceEqual(payload.AsSpan(2, 10)));
    }

    /// <summary>Sorted sets of both encodings survive DUMP and RESTORE with their scores bit for bit (-0, ±inf, 17 digits).</summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void SortedSetsRoundTrip(bool packed)
    {
        double[] scores = [-0.0, 0, 1, -1.5, double.PositiveInfinity, double.NegativeInfinity, 0.1, 1e300, -4611686018427387904, 4611686018427387904, 3.0000000000000004];
        var entries = scores.Select((s, i) => (Score: s, Member: Encoding.ASCII.GetBytes(i % 3 == 0 ? i.ToString() : "m" + i)))
            .OrderBy(e => e.Score).ThenBy(e => e.Member, Comparer<byte[]>.Create((a, b) => a.AsSpan().SequenceCompareTo(b))).ToList();
        var zset = SortedSetValue.Build("k"u8.ToArray(), entries, packed);
        var writer = new RdbWriter();
        Assert.True(DumpPayload.TryWrite(writer, zset));
        Assert.Equal(packed ? 17 : 5, writer.Written[0]);
        Assert.Equal(DumpPayload.ReadResult.Ok, DumpPayload.TryRead(writer.Written, "k"u8, new Config { ZsetMaxListpackEntries = packed ? 128 : 2 }, out _, out var value));
        var restored = Assert.IsType<SortedSetValue>(value);
        Assert.Equal(packed, restored.IsPacked);
        Assert.Equal(entries.Count, restored.Count);
        var c = restored.At(0);
        foreach (var (score, member) in entries)
        {
            Assert.Equal(member, c.Read(out double s).ToArray());
            Assert.Equal(BitConverter.DoubleToInt64Bits(score == 0 && packed ? 0.0 : score), BitConverter.DoubleToInt64Bits(s));
            c.MoveNext();
        }
    }
}
