using System.Globalization;
using System.Text;
using Xunit;

namespace Vermilion.Tests;

/// <summary>The sorted set's pieces: double text, the B+tree, the member table and both encodings, against simple references.</summary>
public class SortedSetTests
{
    static string Format(double d)
    {
        Span<byte> buf = stackalloc byte[DoubleText.MaxLength];
        return Encoding.ASCII.GetString(buf[..DoubleText.Format(d, buf)]);
    }

    // Expected texts from C's printf("%.17g").
    [Theory]
    [InlineData(0.1, "0.10000000000000001")]
    [InlineData(1e+20, "1e+20")]
    [InlineData(1e+17, "1e+17")]
    [InlineData(1e+16, "10000000000000000")]
    [InlineData(1.2345678901234568e+16, "12345678901234568")]
    [InlineData(1.5, "1.5")]
    [InlineData(-2.5, "-2.5")]
    [InlineData(1e-05, "1.0000000000000001e-05")]
    [InlineData(0.0001, "0.0001")]
    [InlineData(0.0001234, "0.00012339999999999999")]
    [InlineData(123456.789, "123456.789")]
    [InlineData(5e-324, "4.9406564584124654e-324")]
    [InlineData(2.2250738585072014e-308, "2.2250738585072014e-308")]
    [InlineData(1.7976931348623157e+308, "1.7976931348623157e+308")]
    [InlineData(-1e-300, "-1e-300")]
    [InlineData(3.0, "3")]
    [InlineData(100.0, "100")]
    [InlineData(1e+21, "1e+21")]
    [InlineData(9007199254740992.0, "9007199254740992")]
    [InlineData(0.3, "0.29999999999999999")]
    [InlineData(0.6666666666666666, "0.66666666666666663")]
    [InlineData(1000000000000000.0, "1000000000000000")]
    [InlineData(1.23e-18, "1.23e-18")]
    [InlineData(-1.989032661366619e+244, "-1.989032661366619e+244")]
    [InlineData(3.980498358697587e-249, "3.980498358697587e-249")]
    [InlineData(6.294675241195386e-44, "6.2946752411953861e-44")]
    [InlineData(4.708325160387546e+207, "4.7083251603875462e+207")]
    [InlineData(6.387016158513563e-12, "6.3870161585135632e-12")]
    [InlineData(-9.973130378568733e-246, "-9.9731303785687331e-246")]
    [InlineData(double.PositiveInfinity, "inf")]
    [InlineData(double.NegativeInfinity, "-inf")]
    [InlineData(0.0, "0")]
    [InlineData(-0.0, "-0")]
    public void FormatsLikePrintf17g(double value, string expected) => Assert.Equal(expected, Format(value));

    [Fact]
    public void FormattedDoublesReadBackExactly()
    {
        var rng = new Random(5);
        Span<byte> bytes = stackalloc byte[8];
        for (int i = 0; i < 20_000; i++)
        {
            rng.NextBytes(bytes);
            double d = BitConverter.ToDouble(bytes);
            if (!double.IsFinite(d)) continue;
            string text = Format(d);
            Assert.True(DoubleText.TryParse(Encoding.ASCII.GetBytes(text), out double back), text);
            Assert.Equal(BitConverter.DoubleToInt64Bits(d), BitConverter.DoubleToInt64Bits(back));
        }
    }

    [Theory]
    [InlineData("1", 1.0)]
    [InlineData("-1.5", -1.5)]
    [InlineData("+2", 2.0)]
    [InlineData(".5", 0.5)]
    [InlineData("5.", 5.0)]
    [InlineData("1e3", 1000.0)]
    [InlineData("1E-2", 0.01)]
    [InlineData("inf", double.PositiveInfinity)]
    [InlineData("-INF", double.NegativeInfinity)]
    [InlineData("+Infinity", double.PositiveInfinity)]
    [InlineData("0x1p3", 8.0)]
    [InlineData("0x.8", 0.5)]
    [InlineData("-0X1.8p1", -3.0)]
    [InlineData("0x10", 16.0)]
    [InlineData("1e-310", 1e-310)]
    [InlineData("0e-999", 0.0)]
    [InlineData("00012", 12.0)]
    public void ParsesWhatStrtodReads(string text, double expected)
    {
        Assert.True(DoubleText.TryParse(Encoding.ASCII.GetBytes(text), out double value));
        Assert.Equal(expected, value);
    }

    [Theory]
    [InlineData("")]
    [InlineData(" 1")]
    [InlineData("1 ")]
    [InlineData("nan")]
    [InlineData("-nan")]
    [InlineData("1e400")]
    [InlineData("-1e400")]
    [InlineData("1e-400")]
    [InlineData("1e")]
    [InlineData("1e+")]
    [InlineData(".")]
    [InlineData("0x")]
    [InlineData("abc")]
    [InlineData("1\01")]
    [InlineData("infinit")]
    [InlineData("1e99999999999999999999")]
    public void RefusesWhatString2dRefuses(string text) => Assert.False(DoubleText.TryParse(Encoding.Latin1.GetBytes(text), out _));

    [Theory]
    [InlineData("", 0.0)]
    [InlineData(" 1", 1.0)]
    [InlineData("1e400", double.PositiveInfinity)]
    [InlineData("1\0garbage", 1.0)]
    [InlineData("-inf", double.NegativeInfinity)]
    public void RangeBoundsAreLooser(string text, double expected)
    {
        Assert.True(DoubleText.TryParseBound(Encoding.Latin1.GetBytes(text), out double value));
        Assert.Equal(expected, value);
    }

    [Fact]
    public void CompactTextIsAnIntegerWithinDouble2llRange()
    {
        Span<byte> buf = stackalloc byte[DoubleText.MaxLength];
        Assert.Equal("100000000000000000", Encoding.ASCII.GetString(buf[..DoubleText.FormatCompact(1e17, buf)]));
        Assert.Equal("0", Encoding.ASCII.GetString(buf[..DoubleText.FormatCompact(-0.0, buf)]));
        Assert.Equal("1e+20", Encoding.ASCII.GetString(buf[..DoubleText.FormatCompact(1e20, buf)]));
        Assert.Equal("1.5", Encoding.ASCII.GetString(buf[..DoubleText.FormatCompact(1.5, buf)]));
    }

    // ---- ScoreTree ----------------------------------------------------------------------------

    sealed class EntryComparer : IComparer<(double Score, byte[] Member)>
    {
        public static readonly EntryComparer Instance = new();
        public int Compare((double Score, byte[] Member) x, (double Score, byte[] Member) y) =>
            x.Score != y.Score ? x.Score.CompareTo(y.Score) : x.Member.AsSpan().SequenceCompareTo(y.Member);
    }

    struct ScoreBelow(double min) : IEntryBound
    {
        public readonly bool IsBefore(double score, ReadOnlySpan<byte> member) => score < min;
    }

    [Fact]
    public void TreeMatchesASortedListUnderRandomOperations()
    {
        var rng = new Random(11);
        var tree = new ScoreTree();
        var reference = new List<(double Score, byte[] Member)>();
        var present = new Dictionary<string, double>();
        for (int step = 0; step < 60_000; step++)
        {
            int op = rng.Next(10);
            if (op < 6 || reference.Count < 10)
            {
                var name = "m" + rng.Next(5000);
                if (present.ContainsKey(name)) continue;
                double score = rng.Next(4) == 0 ? 1 : rng.Next(2000) / 4.0;
                var member = Encoding.ASCII.GetBytes(name);
                tree.Insert(score, member);
                present[name] = score;
                int at = reference.BinarySearch((score, member), EntryComparer.Instance);
                reference.Insert(~at, (score, member));
            }
            else if (op < 8)
            {
                int rank = rng.Next(reference.Count);
                int count = Math.Min(reference.Count - rank, rng.Next(1, rng.Next(3) == 0 ? 200 : 4));
                tree.RemoveRange(rank, count);
                foreach (var (_, member) in reference.GetRange(rank, count)) present.Remove(Encoding.ASCII.GetString(member));
                reference.RemoveRange(rank, count);
            }
            else
            {
                var (score, member) = reference[rng.Next(reference.Count)];
                Assert.True(tree.Remove(score, member));
                present.Remove(Encoding.ASCII.GetString(member));
                reference.RemoveAt(reference.BinarySearch((score, member), EntryComparer.Instance));
            }
            Assert.Equal(reference.Count, tree.Count);
            if (step % 997 == 0)
            {
                tree.Validate();
                CheckTree(tree, reference, rng);
            }
        }
        tree.Validate();
        CheckTree(tree, reference, rng);
        tree.RemoveRange(0, tree.Count);
        tree.Validate();
        Assert.False(tree.At(0).IsValid);
    }

    static void CheckTree(ScoreTree tree, List<(double Score, byte[] Member)> reference, Random rng)
    {
        int i = 0;
        for (var c = tree.At(0); c.IsValid; c.MoveNext(), i++)
        {
            Assert.Equal(reference[i].Score, c.Score);
            Assert.Same(reference[i].Member, c.Member);
        }
        Assert.Equal(reference.Count, i);
        for (var c = tree.At(tree.Count - 1); c.IsValid; c.MovePrev()) i--;
        Assert.Equal(0, i);
        for (int k = 0; k < 50 && reference.Count > 0; k++)
        {
            int rank = rng.Next(reference.Count);
            Assert.Equal(rank, tree.Rank(reference[rank].Score, reference[rank].Member));
            Assert.Same(reference[rank].Member, tree.At(rank).Member);
            double min = rng.Next(2000) / 4.0;
            var bound = new ScoreBelow(min);
            Assert.Equal(reference.Count(e => e.Score < min), tree.LowerBound(ref bound));
        }
        Assert.Equal(-1, tree.Rank(-5, "nope"u8));
    }

    [Fact]
    public void AscendingAndDescendingInsertsFillLeaves()
    {
        var up = new ScoreTree();
        for (int i = 0; i < 30_000; i++) up.Insert(i, BitConverter.GetBytes(i));
        up.Validate();
        var down = new ScoreTree();
        for (int i = 30_000; i > 0; i--) down.Insert(i, BitConverter.GetBytes(i));
        down.Validate();
        var random = new ScoreTree();
        var rng = new Random(3);
        var seen = new HashSet<int>();
        while (seen.Count < 30_000)
        {
            int i = rng.Next();
            if (seen.Add(i)) random.Insert(i, BitConverter.GetBytes(i));
        }
        random.Validate();
        // Sorted inserts leave full leaves (about 16.6 bytes an entry), random ones about 70% full.
        Assert.True(up.MemoryBytes - up.MemberBytes < 30_000 * 18, $"ascending: {up.MemoryBytes}");
        Assert.True(down.MemoryBytes - down.MemberBytes < 30_000 * 18, $"descending: {down.MemoryBytes}");
        Assert.True(random.MemoryBytes - random.MemberBytes < 30_000 * 28, $"random: {random.MemoryBytes}");
        Assert.Equal(30_000 * StoredObject.ArrayBytes(4), up.MemberBytes);
    }

    // ---- MemberScores -------------------------------------------------------------------------

    [Fact]
    public void TableScanReturnsEveryMemberPresentThroughoutDespiteResizes()
    {
        var rng = new Random(9);
        var table = new MemberScores();
        int steps = 0;
        var stable = new HashSet<string>();
        for (int i = 0; i < 500; i++)
        {
            table.Add(Encoding.ASCII.GetBytes("s" + i), i);
            stable.Add("s" + i);
        }
        var seen = new HashSet<string>();
        var found = new List<(byte[] Member, double Score)>();
        ulong cursor = 0;
        int churn = 0;
        do
        {
            found.Clear();
            cursor = table.Scan(cursor, found);
            Assert.True(++steps < 30_000, "the scan does not end");
            foreach (var (m, _) in found) seen.Add(Encoding.ASCII.GetString(m));
            // Grow and shrink the table in between steps with members that come and go.
            if (rng.Next(4) != 0) continue;
            if (churn == 0)
                for (; churn < 1500; churn++) table.Add(Encoding.ASCII.GetBytes("t" + churn), 0);
            else
                for (; churn > 0; churn--) Assert.True(table.Remove(Encoding.ASCII.GetBytes("t" + (churn - 1))));
        } while (cursor != 0);
        Assert.Subset(seen, stable);
        Assert.True(table.TryGetScore("s7"u8, out double s) && s == 7);
        for (int i = 0; i < 500; i++) Assert.True(table.Remove(Encoding.ASCII.GetBytes("s" + i)));
        Assert.False(table.TryGetScore("s7"u8, out _));
    }

    // ---- SortedSetValue -----------------------------------------------------------------------

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void BothEncodingsMatchAReference(bool packed)
    {
        var rng = new Random(packed ? 1 : 2);
        var set = SortedSetValue.Create("k"u8.ToArray(), packed);
        var reference = new Dictionary<string, double>();
        for (int step = 0; step < 20_000; step++)
        {
            var member = "m" + rng.Next(packed ? 60 : 3000);
            var bytes = Encoding.ASCII.GetBytes(member);
            switch (rng.Next(6))
            {
                case 0:
                case 1:
                case 2:
                {
                    double score = rng.Next(5) switch { 0 => -0.0, 1 => double.PositiveInfinity, 2 => 1e300, _ => rng.Next(100) - 50 + rng.Next(2) * 0.25 };
                    var result = set.Add(score, bytes, ZAddFlags.None, packed ? 1_000_000 : 0, 64, out _);
                    bool existed = reference.TryGetValue(member, out double old);
                    Assert.Equal(!existed ? ZAddResult.Added : old == score ? ZAddResult.Unchanged : ZAddResult.Updated, result);
                    // A compact set keeps -0 as 0, as Redis's listpack does; the tree keeps it.
                    if (!existed || old != score) reference[member] = packed && score == 0 ? 0.0 : score;
                    break;
                }
                case 3:
                    Assert.Equal(reference.Remove(member), set.Remove(bytes));
                    break;
                case 4:
                {
                    var result = set.Add(1.5, bytes, ZAddFlags.Incr, packed ? 1_000_000 : 0, 64, out double newScore);
                    double expected = reference.GetValueOrDefault(member) + 1.5;
                    if (double.IsNaN(expected)) Assert.Equal(ZAddResult.NotANumber, result);
                    else
                    {
                        Assert.Equal(expected, newScore);
                        reference[member] = expected;
                    }
                    break;
                }
                default:
                    if (set.Count > 0)
                    {
                        int rank = rng.Next(set.Count);
                        int count = Math.Min(set.Count - rank, rng.Next(1, 5));
                        var removed = new List<string>();
                        var c = set.At(rank);
                        for (int i = 0; i < count; i++, c.MoveNext()) removed.Add(Encoding.ASCII.GetString(c.Member));
                        set.RemoveRange(rank, count);
                        foreach (var m in removed) Assert.True(reference.Remove(m));
                    }
                    break;
            }
            Assert.Equal(reference.Count, set.Count);
            if (step % 500 == 0) Check(set, reference);
        }
        Assert.Equal(packed ? "listpack" : "skiplist", set.Encoding);
        Check(set, reference);
        var copy = (SortedSetValue)set.CopyAs("c"u8.ToArray());
        Assert.Equal(set.Encoding, copy.Encoding);
        Check(copy, reference);
    }

    static void Check(SortedSetValue set, Dictionary<string, double> reference)
    {
        set.Validate();
        var expected = reference.Select(p => (Score: p.Value, Member: Encoding.ASCII.GetBytes(p.Key))).ToList();
        expected.Sort(EntryComparer.Instance);
        int rank = 0;
        for (var c = set.At(0); c.IsValid; c.MoveNext(), rank++)
        {
            var member = c.Read(out double score);
            Assert.Equal(BitConverter.DoubleToInt64Bits(expected[rank].Score), BitConverter.DoubleToInt64Bits(score));
            Assert.True(member.SequenceEqual(expected[rank].Member));
            Assert.Equal(rank, set.Rank(member));
            Assert.True(set.TryGetScore(member, out double s) && s.Equals(score));
        }
        Assert.Equal(expected.Count, rank);
        for (var c = set.At(set.Count - 1); c.IsValid; c.MovePrev()) rank--;
        Assert.Equal(0, rank);
    }

    [Fact]
    public void CompactSetConvertsPastTheThresholds()
    {
        var set = SortedSetValue.Create("k"u8.ToArray(), packed: true);
        for (int i = 0; i < 128; i++) set.Add(i, Encoding.ASCII.GetBytes("m" + i), ZAddFlags.None, 128, 64, out _);
        Assert.Equal("listpack", set.Encoding);
        set.Add(5, "m5"u8, ZAddFlags.None, 128, 64, out _); // an update does not convert
        Assert.Equal("listpack", set.Encoding);
        set.Add(500, "m500"u8, ZAddFlags.None, 128, 64, out _);
        Assert.Equal("skiplist", set.Encoding);
        set.Validate();

        var wide = SortedSetValue.Create("k"u8.ToArray(), packed: true);
        wide.Add(1, new byte[64], ZAddFlags.None, 128, 64, out _);
        Assert.Equal("listpack", wide.Encoding);
        wide.Add(1, new byte[65], ZAddFlags.None, 128, 64, out _);
        Assert.Equal("skiplist", wide.Encoding);
        wide.Validate();
    }

    [Fact]
    public void CompactEntriesCostAboutWhatListpackEntriesDo()
    {
        var set = SortedSetValue.Create("key:1"u8.ToArray(), packed: true);
        for (int i = 0; i < 10; i++) set.Add(i, Encoding.ASCII.GetBytes("member:" + i), ZAddFlags.None, 128, 64, out _);
        // The object, then one array: the key with its length byte, and 10 entries of 8-byte members
        // and small integer scores, 11 bytes each (Redis's listpack takes 12).
        Assert.Equal(40 + StoredObject.ArrayBytes(1 + 5 + 10 * 11), set.MemoryBytes);
    }

    /// <summary>MemoryBytes of a new compact sorted set is what the runtime allocated for it.</summary>
    [Fact]
    public void ObjectSizeIsWhatMemoryBytesCounts()
    {
        _ = SortedSetValue.Create("key:1"u8, packed: true);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var set = SortedSetValue.Create("key:1"u8, packed: true);
        Assert.Equal(set.MemoryBytes, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void BuildPicksTheEncodingByResultSize()
    {
        var small = Enumerable.Range(0, 128).Select(i => ((double)i, Encoding.ASCII.GetBytes("m" + i.ToString("D3")))).ToList();
        Assert.Equal("listpack", SortedSetValue.Build("k"u8.ToArray(), small, 128, 64).Encoding);
        var large = Enumerable.Range(0, 129).Select(i => ((double)i, Encoding.ASCII.GetBytes("m" + i.ToString("D3")))).ToList();
        var built = SortedSetValue.Build("k"u8.ToArray(), large, 128, 64);
        Assert.Equal("skiplist", built.Encoding);
        built.Validate();
        Assert.Equal(128, built.Rank("m128"u8));
    }

    /// <summary>ZADD updating existing members of small sets and ZSCORE allocate nothing per request (the AllocationTests harness).</summary>
    [Fact]
    public void ZAddAndZScoreOnSmallSetsAllocateNothingPerRequest()
    {
        using var probe = new AllocationProbe();
        byte[] Batch(int round)
        {
            // 300 requests (~13 KB): a batch fits the first query buffer, as in AllocationTests.
            var batch = new StringBuilder();
            for (int i = 0; i < 150; i++)
            {
                string key = "zset:" + (i % 50).ToString("D2"), member = "member:" + (i % 10);
                // Scores move between two values, so half the updates reorder the entry.
                batch.Append(AllocationProbe.Command("ZADD", key, ((round + i) % 2 + i % 10).ToString(), member));
                batch.Append(AllocationProbe.Command("ZSCORE", key, member));
            }
            return Encoding.ASCII.GetBytes(batch.ToString());
        }
        var batches = new[] { Batch(0), Batch(1) };
        for (int i = 0; i < 20; i++) probe.Run(batches[i % 2], 300); // warm up; creates the 50 sets
        long serverAllocated = probe.Allocation(() =>
        {
            for (int i = 0; i < 34; i++) probe.Run(batches[i % 2], 300); // 10,200 requests
        });
        Assert.True(serverAllocated < 1_000, $"{serverAllocated} bytes allocated by the server for 10,200 requests");
    }
}
