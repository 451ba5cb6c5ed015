using Xunit;

namespace Vermilion.Tests;

public class RecordHeapTests
{
    static byte[] Bytes(int length, int seed)
    {
        var b = new byte[length];
        new Random(seed).NextBytes(b);
        return b;
    }

    static long Store(RecordHeap heap, byte[] key, byte[] value)
    {
        long record = heap.Allocate(key, value.Length);
        value.CopyTo(RecordHeap.Value(record));
        return record;
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(1, 1)]
    [InlineData(14, 64)]
    [InlineData(127, 128)]      // varint boundaries
    [InlineData(128, 16_383)]
    [InlineData(200, 16_384)]
    [InlineData(10, 32 * 1024)] // the largest slab classes and the first large mapping
    [InlineData(10, 40_000)]
    [InlineData(3, 5_000_000)]
    public void RecordsKeepKeyAndValueAtEverySize(int keyLength, int valueLength)
    {
        var heap = new RecordHeap();
        byte[] key = Bytes(keyLength, 1), value = Bytes(valueLength, 2);
        long record = Store(heap, key, value);
        Assert.True(RecordHeap.Key(record).SequenceEqual(key));
        Assert.True(RecordHeap.Value(record).SequenceEqual(value));
        Assert.Equal(RecordHeap.SlotBytesFor(keyLength, valueLength), RecordHeap.SlotBytes(record));
        Assert.Equal(heap.AllocatedBytes, RecordHeap.SlotBytes(record));
        Assert.True(RecordHeap.SlotBytes(record) >= keyLength + valueLength + 2);
        heap.Free(record);
        Assert.Equal(0, heap.AllocatedBytes);
        heap.ReleaseAll();
        Assert.Equal(0, heap.MappedBytes);
    }

    /// <summary>A model check: thousands of records of mixed sizes allocated, rewritten and freed in random order never overlap or lose a byte.</summary>
    [Fact]
    public void RandomAllocationAndFreeKeepsEveryRecordIntact()
    {
        var heap = new RecordHeap();
        var rng = new Random(42);
        var live = new List<(long Record, byte[] Key, byte[] Value)>();
        for (int step = 0; step < 60_000; step++)
        {
            int op = rng.Next(10);
            if (op < 5 || live.Count == 0)
            {
                int size = rng.Next(4) == 0 ? rng.Next(40_000) : rng.Next(200);
                byte[] key = Bytes(rng.Next(1, 30), step), value = Bytes(size, ~step);
                live.Add((Store(heap, key, value), key, value));
            }
            else if (op < 8)
            {
                int i = rng.Next(live.Count);
                heap.Free(live[i].Record);
                live[i] = live[^1];
                live.RemoveAt(live.Count - 1);
            }
            else
            {
                // A rewrite in place, as a SET of a similar-size value does.
                int i = rng.Next(live.Count);
                var (record, key, old) = live[i];
                var value = Bytes(Math.Max(0, old.Length + rng.Next(-8, 9)), step);
                if (heap.TryResizeInPlace(record, value.Length))
                {
                    value.CopyTo(RecordHeap.Value(record));
                    live[i] = (record, key, value);
                }
            }
        }
        long expected = 0;
        foreach (var (record, key, value) in live)
        {
            Assert.True(RecordHeap.Key(record).SequenceEqual(key));
            Assert.True(RecordHeap.Value(record).SequenceEqual(value));
            expected += RecordHeap.SlotBytes(record);
        }
        Assert.Equal(expected, heap.AllocatedBytes);
        foreach (var (record, _, _) in live) heap.Free(record);
        Assert.Equal(0, heap.AllocatedBytes);
        // Empty pages went back to the kernel; at most one spare page per size class stays.
        Assert.True(heap.MappedBytes <= 52L * 256 * 1024, $"{heap.MappedBytes} bytes still mapped");
        heap.ReleaseAll();
        Assert.Equal(0, heap.MappedBytes);
    }

    [Fact]
    public void FreedSlotsAreReusedBeforeNewPagesAreMapped()
    {
        var heap = new RecordHeap();
        var key = "key:0000000001"u8.ToArray();
        var records = new long[50_000];
        for (int i = 0; i < records.Length; i++) records[i] = heap.Allocate(key, 64);
        long mapped = heap.MappedBytes;
        // 80-byte records: about 3,270 to a 256 KB page, so 50,000 take 16 pages.
        Assert.True(mapped <= 17L * 256 * 1024, $"{mapped}");
        for (int i = 0; i < records.Length; i += 2) heap.Free(records[i]);
        for (int i = 0; i < records.Length; i += 2) records[i] = heap.Allocate(key, 64);
        Assert.Equal(mapped, heap.MappedBytes);
        heap.ReleaseAll();
    }

    [Fact]
    public void RemovedRecordsStayReadableUntilFreeRemoved()
    {
        var heap = new RecordHeap();
        long record = Store(heap, "k"u8.ToArray(), "value"u8.ToArray());
        heap.Remove(record);
        // Allocations meanwhile must not reuse the removed record's slot.
        long other = Store(heap, "j"u8.ToArray(), "other"u8.ToArray());
        Assert.NotEqual(record, other);
        Assert.Equal("value"u8.ToArray(), RecordHeap.Value(record).ToArray());
        heap.FreeRemoved();
        Assert.Equal(RecordHeap.SlotBytes(other), heap.AllocatedBytes);
        heap.ReleaseAll();
    }

    [Fact]
    public void InPlaceRewriteStaysInItsSizeClass()
    {
        var heap = new RecordHeap();
        long record = heap.Allocate("key"u8, 60);
        Assert.True(heap.TryResizeInPlace(record, 61));  // the same 8-byte class
        Assert.False(heap.TryResizeInPlace(record, 10)); // a smaller class: give the room back
        Assert.False(heap.TryResizeInPlace(record, 200)); // does not fit
        Assert.Equal(61, RecordHeap.Value(record).Length);
        Assert.True(RecordHeap.Key(record).SequenceEqual("key"u8));
        heap.ReleaseAll();
    }
}
