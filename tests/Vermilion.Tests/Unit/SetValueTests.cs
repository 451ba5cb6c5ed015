using System.Text;
using Xunit;

namespace Vermilion.Tests;

/// <summary>IntSet, MemberTable and SetValue against .NET's collections as references, with exact memory accounting.</summary>
public class SetValueTests
{
    static byte[] B(string s) => Encoding.UTF8.GetBytes(s);
    static string S(ReadOnlySpan<byte> b) => Encoding.UTF8.GetString(b);

    static List<long> Contents(IntSet set) => Enumerable.Range(0, set.Count).Select(i => set[i]).ToList();

    [Fact]
    public void IntSetWidensAndKeepsOrder()
    {
        var set = new IntSet();
        Assert.Equal(0, set.Count);
        Assert.False(set.Contains(0));
        Assert.True(set.Add(5));
        Assert.True(set.Add(-3));
        Assert.False(set.Add(5));
        Assert.Equal(2, set.Width);
        Assert.True(set.Add(40000)); // needs 32 bits: goes last
        Assert.Equal(4, set.Width);
        Assert.True(set.Add(-40000)); // goes first
        Assert.True(set.Add(long.MinValue));
        Assert.Equal(8, set.Width);
        Assert.True(set.Add(long.MaxValue));
        Assert.Equal(new long[] { long.MinValue, -40000, -3, 5, 40000, long.MaxValue }, Contents(set));
        Assert.True(set.Remove(long.MinValue));
        Assert.True(set.Remove(long.MaxValue));
        Assert.False(set.Remove(12345678901));
        Assert.Equal(8, set.Width); // never narrows, as Redis
        Assert.Equal(new long[] { -40000, -3, 5, 40000 }, Contents(set));
        Assert.True(set.Contains(-3));
        Assert.False(set.Contains(3));
        Assert.False(set.Contains(1L << 40));
    }

    [Fact]
    public void IntSetMatchesSortedSetOnRandomOperations()
    {
        var rng = new Random(11);
        var set = new IntSet();
        var reference = new SortedSet<long>();
        for (int i = 0; i < 20_000; i++)
        {
            long value = rng.Next(4) switch
            {
                0 => rng.Next(-100, 100),
                1 => rng.Next(short.MinValue - 10, short.MaxValue + 10),
                2 => rng.NextInt64(int.MinValue - 10L, int.MaxValue + 10L),
                _ => rng.NextInt64(long.MinValue, long.MaxValue),
            };
            if (rng.Next(3) == 0) Assert.Equal(reference.Remove(value), set.Remove(value));
            else Assert.Equal(reference.Add(value), set.Add(value));
            if (i % 997 == 0 && set.Count > 0)
            {
                int at = rng.Next(set.Count);
                reference.Remove(set[at]);
                set.RemoveAt(at);
            }
        }
        Assert.Equal(reference.ToList(), Contents(set));
        // Small sets stay small: ten 16-bit values fit one 24-byte array (4 header + 20 data).
        var small = new IntSet();
        for (int i = 0; i < 10; i++) small.Add(i);
        Assert.Equal(24, small.Blob!.Length);
    }

    [Fact]
    public void MemberTableMatchesHashSetAndKeepsPositionsDense()
    {
        var rng = new Random(5);
        var table = new MemberTable();
        var reference = new HashSet<string>();
        for (int i = 0; i < 30_000; i++)
        {
            // Short members, and some long enough for a multi-byte length prefix in the arena.
            int id = rng.Next(i < 15_000 ? 5000 : 200);
            string m = id % 17 == 0 ? new string('x', 100 + id) + id : "m" + id;
            switch (rng.Next(4))
            {
                case 0: Assert.Equal(reference.Remove(m), table.Remove(B(m))); break;
                case 1:
                    if (table.Count > 0)
                    {
                        int at = rng.Next(table.Count);
                        Assert.True(reference.Remove(S(table[at])));
                        table.RemoveAt(at);
                    }
                    break;
                default: Assert.Equal(reference.Add(m), table.Add(B(m))); break;
            }
            Assert.Equal(reference.Count, table.Count);
            // Lookups stay right while a resize is moving chains a few buckets at a time.
            Assert.Equal(reference.Contains(m), table.Contains(B(m)));
            if (i % 500 == 0) Assert.All(reference, x => Assert.True(table.Contains(B(x))));
        }
        var listed = Enumerable.Range(0, table.Count).Select(i => S(table[i])).ToHashSet();
        Assert.True(listed.SetEquals(reference));
        foreach (var m in reference) Assert.True(table.Contains(B(m)));
        Assert.False(table.Contains(B("absent")));
        Assert.False(table.Contains(ReadOnlySpan<byte>.Empty));
        Assert.True(table.Add(ReadOnlySpan<byte>.Empty));
        Assert.True(table.Contains(ReadOnlySpan<byte>.Empty));
    }

    /// <summary>Redis's SCAN guarantee: whatever is there from the first call to the last is returned, across growth and shrinkage.</summary>
    [Fact]
    public void MemberTableScanMissesNothingWhileResizing()
    {
        var rng = new Random(3);
        for (int round = 0; round < 20; round++)
        {
            var table = new MemberTable();
            var stable = Enumerable.Range(0, rng.Next(1, 300)).Select(i => $"s{i}").ToList();
            foreach (var m in stable) table.Add(B(m));
            var churn = new List<string>();
            var found = new HashSet<string>();
            var batch = new List<int>();
            ulong cursor = 0;
            int steps = 0;
            do
            {
                batch.Clear();
                cursor = table.Scan(cursor, batch);
                foreach (int p in batch) found.Add(S(table[p]));
                // Alternate bursts of growth and shrinkage of churn members.
                bool grow = (steps++ / 7) % 2 == 0;
                for (int k = 0; k < rng.Next(0, 60); k++)
                {
                    if (grow || churn.Count == 0)
                    {
                        var m = $"c{round}-{steps}-{k}";
                        table.Add(B(m));
                        churn.Add(m);
                    }
                    else
                    {
                        int at = rng.Next(churn.Count);
                        table.Remove(B(churn[at]));
                        churn.RemoveAt(at);
                    }
                }
            } while (cursor != 0);
            Assert.All(stable, m => Assert.Contains(m, found));
        }
    }

    [Fact]
    public void SetValueConvertsOnceAndAccountsMemoryExactly()
    {
        var keyspace = new Keyspace();
        var key = B("set");
        var set = new SetValue(key, forIntegers: true);
        int index = keyspace.AddOrFind(key, out _);
        keyspace.SetObject(index, set);
        void Exact() => Assert.Equal(set.MemoryBytes, keyspace.ItemBytes);

        for (int i = 0; i < 5; i++) Assert.True(set.Add(B(i.ToString()), maxIntsetEntries: 8));
        Assert.Equal("intset", set.Encoding);
        Exact();
        Assert.True(set.Add(B("70000"), 8));
        Assert.True(set.Add(B("5000000000"), 8));
        Exact();
        Assert.False(set.Add(B("3"), 8));
        Assert.True(set.Add(B("-1"), 8));
        Assert.Equal("intset", set.Encoding);
        Assert.True(set.Add(B("9"), 8)); // the ninth member: over the limit
        Assert.Equal("hashtable", set.Encoding);
        Assert.Equal(9, set.Count);
        Exact();
        for (int i = 0; i < 9; i++) set.RemoveAt(0);
        Assert.Equal("hashtable", set.Encoding); // never back
        Exact();
        for (int i = 0; i < 2000; i++) set.Add(B("member" + i), 8);
        Exact();
        for (int i = 0; i < 1990; i++) Assert.True(set.Remove(B("member" + i)));
        Exact();

        var strings = SetValue.CreateFor(B("k"), B("x"));
        Assert.Equal("hashtable", strings.Encoding);
        var copy = (SetValue)set.CopyAs(B("copy"));
        Assert.Equal(set.Count, copy.Count);
        copy.Add(B("only-in-copy"), 8);
        Assert.False(set.Contains(B("only-in-copy")));

        var survivors = new SetValue(key, forIntegers: true);
        survivors.Add(B("1"), 8);
        set.TakeContents(survivors);
        Assert.Equal("intset", set.Encoding);
        Assert.Equal(1, set.Count);
        Exact();
    }

    /// <summary>
    /// An intset keeps its set's key in front of it: the key reads back through growth, widening,
    /// removals, RENAME (SetKey), COPY, SPOP's TakeContents and conversion, and a new set costs
    /// what MemoryBytes says (one 32-byte object and one array).
    /// </summary>
    [Fact]
    public void IntsetKeepsTheKeyInItsArray()
    {
        var key = B("key:" + new string('k', 200)); // a two-byte key length
        _ = new SetValue(key, forIntegers: true);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var set = new SetValue(key, forIntegers: true);
        Assert.Equal(set.MemoryBytes, GC.GetAllocatedBytesForCurrentThread() - before);

        void KeyIs(SetValue s, byte[] expected) => Assert.Equal(expected, s.Key.ToArray());
        for (int i = 0; i < 100; i++) set.Add(B((i * 7).ToString()), 512);
        KeyIs(set, key);
        set.Add(B("100000"), 512);
        set.Add(B("-5000000000"), 512);
        KeyIs(set, key);
        Assert.Equal(-5000000000, set.IntegerAt(0));
        for (int i = 0; i < 90; i++) set.RemoveAt(1);
        KeyIs(set, key);
        Assert.Equal(12, set.Count);
        set.SetKey(B("renamed"));
        KeyIs(set, B("renamed"));
        Assert.Equal(-5000000000, set.IntegerAt(0));
        var copy = (SetValue)set.CopyAs(B("copy"));
        KeyIs(copy, B("copy"));
        Assert.Equal(12, copy.Count);
        var survivors = SetValue.CreateFor([], B("42"));
        survivors.Add(B("42"), 512);
        set.TakeContents(survivors);
        KeyIs(set, B("renamed"));
        Assert.Equal(42, set.IntegerAt(0));
        set.Add(B("x"), 512);
        Assert.Equal("hashtable", set.Encoding);
        KeyIs(set, B("renamed"));
        set.SetKey(B("again"));
        KeyIs(set, B("again"));
    }

    /// <summary>SADD sizes a new set for all its arguments; repeated ones must not leave that room behind.</summary>
    [Fact]
    public void ReserveThenTrimKeepsOnlyWhatIsUsed()
    {
        var member = new byte[1000];
        var strings = SetValue.CreateFor(B("k"), member);
        strings.Reserve(1000, 1000 * 1000);
        for (int i = 0; i < 1000; i++) strings.Add(member, 512);
        Assert.True(strings.MemoryBytes > 1_000_000);
        strings.TrimExcess();
        Assert.True(strings.MemoryBytes < 3_000, $"{strings.MemoryBytes} bytes for one 1000-byte member");
        Assert.True(strings.Contains(member));

        var ints = SetValue.CreateFor(B("k"), B("7"));
        ints.Reserve(512, 512);
        for (int i = 0; i < 512; i++) ints.Add(B("7"), 512);
        ints.TrimExcess();
        Assert.True(ints.MemoryBytes < 200, $"{ints.MemoryBytes} bytes for one integer");
        Assert.Equal(7, ints.IntegerAt(0));
    }

    [Fact]
    public void SetValueWithLimitZeroIsAHashtableFromTheFirstInteger()
    {
        var set = SetValue.CreateFor(B("k"), B("1"));
        Assert.Equal("intset", set.Encoding);
        set.Add(B("1"), maxIntsetEntries: 0);
        Assert.Equal("hashtable", set.Encoding);
        Assert.True(set.ContainsInteger(1));
        Assert.False(set.ContainsInteger(2));
    }
}
