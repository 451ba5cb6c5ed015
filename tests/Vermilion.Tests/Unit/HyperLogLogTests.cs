using System.Buffers.Binary;
using Vermilion.Storage;
using Xunit;

namespace Vermilion.Tests.Unit;

/// <summary>The HLL representation without a server: registers, both encodings side by side, corrupt strings.</summary>
public class HyperLogLogTests
{
    [Fact]
    public void RegistersReadBackWhatWasWritten()
    {
        var registers = new byte[HyperLogLog.DenseRegisterBytes];
        var random = new Random(7);
        var expected = new int[HyperLogLog.Registers];
        for (int i = 0; i < expected.Length; i++) HyperLogLog.SetRegister(registers, i, expected[i] = random.Next(64));
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], HyperLogLog.GetRegister(registers, i));
    }

    /// <summary>PFSELFTEST's second test with a fixed seed: the sparse and the dense HLL agree at every power of ten up to 100k.</summary>
    [Fact]
    public void SparseAndDenseAgree()
    {
        var dense = new HllArray(new byte[HyperLogLog.DenseSize], HyperLogLog.DenseSize);
        HyperLogLog.Empty[..HyperLogLog.HeaderSize].CopyTo(dense.Writable());
        dense.Writable()[4] = HyperLogLog.Dense;
        var sparse = HllArray.NewEmpty();
        Span<byte> element = stackalloc byte[8];
        bool invalid = false;
        for (long j = 1, checkpoint = 1; j <= 100_000; j++)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(element, (ulong)j ^ 0x5bd1e995UL);
            HyperLogLog.Add(ref dense, element, 3000);
            HyperLogLog.Add(ref sparse, element, 3000);
            if (j % 97 == 0 || j == checkpoint)
            {
                Assert.Equal(HyperLogLog.Count(dense.Bytes, ref invalid), HyperLogLog.Count(sparse.Bytes, ref invalid));
                Assert.False(invalid, $"at {j}");
                if (j == checkpoint) checkpoint *= 10;
            }
        }
        Assert.Equal(HyperLogLog.Dense, sparse.Bytes[4]);
        Assert.True(dense.Bytes.SequenceEqual(sparse.Bytes[..HyperLogLog.DenseSize]) || dense.Bytes[16..].SequenceEqual(sparse.Bytes[16..]));
    }

    /// <summary>Corrupt sparse strings never make an operation write outside the string or throw.</summary>
    [Fact]
    public void CorruptSparseStringsAreContained()
    {
        var random = new Random(11);
        for (int round = 0; round < 2000; round++)
        {
            int length = random.Next(0, 40);
            var bytes = new byte[HyperLogLog.HeaderSize + length];
            HyperLogLog.Empty[..HyperLogLog.HeaderSize].CopyTo(bytes);
            random.NextBytes(bytes.AsSpan(HyperLogLog.HeaderSize));
            var hll = new HllArray(bytes, bytes.Length);
            bool invalid = false;
            HyperLogLog.Count(hll.Bytes, ref invalid);
            HyperLogLog.Merge(new byte[HyperLogLog.Registers], hll.Bytes);
            for (int i = 0; i < 20; i++)
                if (HyperLogLog.Add(ref hll, BitConverter.GetBytes(random.Next()), 3000) < 0) break;
        }
    }
}
