using Xunit;

namespace Vermilion.Tests;

/// <summary>
/// ScanCursor over a model table: elements are hashes, a bucket of an array of n buckets holds the
/// elements whose hash &amp; (n - 1) is its index, and an incremental resize moves old buckets one
/// by one, so every state the real tables pass through (one array, two arrays of either order)
/// can be set up between steps.
/// </summary>
public class ScanCursorTests
{
    sealed class ModelTable
    {
        public readonly HashSet<uint> Elements = new();
        public int[] Buckets = new int[4];
        /// <summary>While resizing: the previous array; its buckets below <see cref="RehashIndex"/> have moved.</summary>
        public int[]? Old;
        public int RehashIndex;

        public bool Holds(ReadOnlySpan<int> array, int bucket, uint hash)
        {
            uint oldMask = Old is null ? 0 : (uint)Old.Length - 1;
            bool moved = Old is null || (hash & oldMask) < RehashIndex;
            // The same array (a span's == compares where it starts and its length).
            return array == (ReadOnlySpan<int>)(moved ? Buckets : Old!) && (hash & ((uint)array.Length - 1)) == bucket;
        }

        public void StartResize(int size)
        {
            FinishResize();
            Old = Buckets;
            Buckets = new int[size];
            RehashIndex = 0;
        }

        public void RehashStep()
        {
            if (Old is null) return;
            if (++RehashIndex >= Old.Length) FinishResize();
        }

        void FinishResize()
        {
            Old = null;
            RehashIndex = 0;
        }
    }

    struct ModelWalker : ScanCursor.IBucketWalker
    {
        public ModelTable Table;
        public List<uint> Found;

        public void Walk(ReadOnlySpan<int> buckets, int bucket)
        {
            foreach (uint h in Table.Elements)
                if (Table.Holds(buckets, bucket, h)) Found.Add(h);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public void EveryElementPresentThroughoutIsReturnedWhileTheTableGrowsAndShrinks(int seed)
    {
        var random = new Random(seed);
        var table = new ModelTable();
        for (int i = 0; i < 200; i++) table.Elements.Add((uint)random.Next());
        table.Buckets = new int[256];
        var stay = table.Elements.Where((_, i) => i % 2 == 0).ToHashSet();
        var found = new List<uint>();
        var walker = new ModelWalker { Table = table, Found = found };
        ulong cursor = 0;
        int steps = 0;
        do
        {
            cursor = ScanCursor.Step(table.Buckets, table.Old, cursor, ref walker);
            // Between calls: resizes start (to anything from 4 to 1024 buckets) and progress,
            // elements come and go (but those in `stay` remain).
            switch (random.Next(6))
            {
                case 0: table.StartResize(4 << random.Next(9)); break;
                case 1: case 2: table.RehashStep(); break;
                case 3: table.Elements.Add((uint)random.Next()); break;
                case 4:
                    var leaving = table.Elements.FirstOrDefault(h => !stay.Contains(h));
                    table.Elements.Remove(leaving);
                    break;
            }
            Assert.True(++steps < 100_000, "the scan does not end");
        } while (cursor != 0);
        Assert.Empty(stay.Except(found));
    }

    [Theory]
    [InlineData(4)]
    [InlineData(64)]
    public void AQuietTableIsWalkedOnceInItsBucketCount(int size)
    {
        var table = new ModelTable();
        for (uint h = 0; h < 3 * size; h++) table.Elements.Add(h * 2654435761u);
        table.Buckets = new int[size];
        var found = new List<uint>();
        var walker = new ModelWalker { Table = table, Found = found };
        ulong cursor = 0;
        int steps = 0;
        do
        {
            cursor = ScanCursor.Step(table.Buckets, null, cursor, ref walker);
            steps++;
        } while (cursor != 0);
        Assert.Equal(size, steps);
        Assert.Equal(table.Elements.Order(), found.Order());
    }

    [Fact]
    public void WhileResizingASmallBucketIsWalkedWithTheLargeBucketsItExpandsInto()
    {
        var table = new ModelTable();
        for (uint h = 0; h < 64; h++) table.Elements.Add(h);
        table.StartResize(16); // 4 buckets → 16, none moved yet
        var found = new List<uint>();
        var walker = new ModelWalker { Table = table, Found = found };
        // Cursor 0: old bucket 0 (hashes ≡ 0 mod 4) and new buckets 0, 8, 4, 12 (reverse order).
        ulong next = ScanCursor.Step(table.Buckets, table.Old, 0, ref walker);
        Assert.Equal(2UL, next); // the next bucket of 4, reversed: 0b10
        Assert.Equal(Enumerable.Range(0, 16).Select(i => (uint)(4 * i)), found.Order());
    }

    [Fact]
    public void NextCountsInReversedBitOrder()
    {
        // For 8 buckets: 0, 4, 2, 6, 1, 5, 3, 7, then 0 (done).
        var sequence = new List<ulong>();
        ulong cursor = 0;
        do
        {
            cursor = ScanCursor.Next(cursor, 7);
            sequence.Add(cursor);
        } while (cursor != 0);
        Assert.Equal(new ulong[] { 4, 2, 6, 1, 5, 3, 7, 0 }, sequence);
    }
}
