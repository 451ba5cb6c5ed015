using System.Text;
using Vermilion;
using Xunit;

namespace Vermilion.Tests;

/// <summary>The hash value's two encodings, its conversion, memory accounting and the hashtable's scan and random picks.</summary>
public class HashValueTests
{
    static byte[] B(string s) => Encoding.UTF8.GetBytes(s);
    static string S(ReadOnlySpan<byte> b) => Encoding.UTF8.GetString(b);

    static List<(string Field, string Value)> Pairs(HashValue h)
    {
        var list = new List<(string, string)>();
        for (int p = h.FirstPair(); p >= 0; p = h.NextPair(p)) list.Add((S(h.FieldAt(p)), S(h.ValueAt(p))));
        return list;
    }

    [Fact]
    public void ListpackKeepsInsertionOrderThroughUpdatesAndDeletes()
    {
        var h = new HashValue(B("k"));
        Assert.True(h.Set(B("a"), B("1"), 512, 64));
        Assert.True(h.Set(B("b"), B("2"), 512, 64));
        Assert.True(h.Set(B("c"), B("3"), 512, 64));
        Assert.False(h.Set(B("b"), B("a much longer value than before"), 512, 64));
        Assert.False(h.Set(B("a"), B(""), 512, 64));
        Assert.Equal([("a", ""), ("b", "a much longer value than before"), ("c", "3")], Pairs(h));
        Assert.True(h.Remove(B("b")));
        Assert.False(h.Remove(B("b")));
        Assert.True(h.Set(B("b"), B("x"), 512, 64));
        Assert.Equal([("a", ""), ("c", "3"), ("b", "x")], Pairs(h));
        Assert.Equal("listpack", h.Encoding);
        Assert.True(h.TryGet(B("c"), out var v) && S(v) == "3");
        Assert.False(h.TryGet(B(""), out _));
        Assert.True(h.Set(B(""), B("empty field"), 512, 64));
        Assert.True(h.TryGet(B(""), out v) && S(v) == "empty field");
        Assert.Equal(4, h.Count);
    }

    [Fact]
    public void LongEntriesUseMultiByteLengths()
    {
        var h = new HashValue(B("k"));
        var big = new string('x', 20000);
        h.Set(B("f"), B(big), 512, long.MaxValue);
        h.Set(B(new string('y', 200)), B("v"), 512, long.MaxValue);
        Assert.Equal("listpack", h.Encoding);
        Assert.True(h.TryGet(B("f"), out var v) && v.Length == 20000);
        Assert.True(h.TryGet(B(new string('y', 200)), out v) && S(v) == "v");
        h.Set(B("f"), B("short"), 512, long.MaxValue);
        Assert.Equal([("f", "short"), (new string('y', 200), "v")], Pairs(h));
    }

    [Fact]
    public void ConvertsOnceAtTheThresholdsAndNeverBack()
    {
        var h = new HashValue(B("k"));
        for (int i = 0; i < 4; i++) h.Set(B("f" + i), B("v"), 4, 8);
        Assert.Equal("listpack", h.Encoding);
        h.Set(B("f4"), B("v"), 4, 8); // a fifth field: more than 4 entries
        Assert.Equal("hashtable", h.Encoding);
        for (int i = 0; i < 5; i++) h.Remove(B("f" + i));
        Assert.Equal(0, h.Count);
        h.Set(B("a"), B("b"), 4, 8);
        Assert.Equal("hashtable", h.Encoding);

        var g = new HashValue(B("k"));
        g.Set(B("a"), B("12345678"), 4, 8);
        Assert.Equal("listpack", g.Encoding);
        g.Set(B("a"), B("123456789"), 4, 8); // a value longer than 8 bytes
        Assert.Equal("hashtable", g.Encoding);
        Assert.True(g.TryGet(B("a"), out var v) && S(v) == "123456789");
    }

    [Fact]
    public void CopyIsIndependentAndKeepsTheEncoding()
    {
        foreach (long maxEntries in new long[] { 512, 1 })
        {
            var h = new HashValue(B("k"));
            h.Set(B("a"), B("1"), maxEntries, 64);
            h.Set(B("b"), B("2"), maxEntries, 64);
            var copy = (HashValue)h.CopyAs(B("k2"));
            Assert.Equal(h.Encoding, copy.Encoding);
            copy.Set(B("a"), B("changed"), maxEntries, 64);
            Assert.True(h.TryGet(B("a"), out var v) && S(v) == "1");
            Assert.Equal(2, copy.Count);
            Assert.Equal("k2", S(copy.Key));
        }
    }

    /// <summary>used_memory follows every change: the keyspace's sum equals a fresh measurement at each step.</summary>
    [Fact]
    public void MemoryAccountingStaysExact()
    {
        var ks = new Keyspace();
        var key = B("hash");
        var h = new HashValue(key);
        h.Set(B("first"), B("1"), 16, 64);
        int index = ks.AddOrFind(key, out _);
        ks.SetObject(index, h);
        long baseline = ks.ItemBytes - h.MemoryBytes;
        var rng = new Random(7);
        for (int i = 0; i < 3000; i++)
        {
            var field = B("f" + rng.Next(40));
            if (rng.Next(3) == 0) h.Remove(field);
            else h.Set(field, B(new string('v', rng.Next(0, i > 1500 ? 100 : 20))), 16, 64);
            Assert.Equal(baseline + h.MemoryBytes, ks.ItemBytes);
        }
        Assert.Equal("hashtable", h.Encoding);
    }

    /// <summary>The sizes MemoryBytes assumes are the runtime's: a listpack hash is its object and one array (key and entries); a table object holds its key.</summary>
    [Fact]
    public void ObjectSizesAreWhatMemoryBytesCounts()
    {
        var key = B("key:1");
        _ = new HashValue(key, 30);
        _ = new HashFieldTable(0);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var h = new HashValue(key, 30);
        Assert.Equal(h.MemoryBytes, GC.GetAllocatedBytesForCurrentThread() - before);
        before = GC.GetAllocatedBytesForCurrentThread();
        var table = new HashFieldTable(0) { Key = new byte[5] };
        Assert.Equal(table.MemoryBytes, GC.GetAllocatedBytesForCurrentThread() - before);
        GC.KeepAlive(h);
    }

    [Fact]
    public void TableMatchesADictionaryUnderRandomChurn()
    {
        var table = new HashFieldTable(0);
        var model = new Dictionary<string, string>();
        var rng = new Random(11);
        for (int i = 0; i < 50_000; i++)
        {
            string f = "f" + rng.Next(i < 25_000 ? 5000 : 50);
            if (rng.Next(3) == 0) Assert.Equal(model.Remove(f), table.Remove(B(f)));
            else
            {
                string v = "v" + i;
                Assert.Equal(!model.ContainsKey(f), table.Set(B(f), B(v)));
                model[f] = v;
            }
        }
        Assert.Equal(model.Count, table.Count);
        foreach (var (f, v) in model)
        {
            int e = table.Find(B(f));
            Assert.True(e >= 0);
            Assert.Equal(v, S(table.Value(e)));
        }
        for (int e = 0; e < table.Count; e++) Assert.Equal(model[S(table.Field(e))], S(table.Value(e)));
        // Emptied down to a few fields, it shrinks again.
        foreach (var f in model.Keys.Skip(10).ToList()) Assert.True(table.Remove(B(f)));
        Assert.Equal(10, table.Count);
        Assert.True(table.MemoryBytes < 2000, $"{table.MemoryBytes} bytes for {table.Count} entries");
    }

    /// <summary>
    /// The scan guarantee: a field present from the first call to the last is returned, while
    /// other fields come and go and the table grows and shrinks between calls.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void ScanReturnsEveryFieldPresentThroughoutWhileTheTableResizes(int seed)
    {
        var rng = new Random(seed);
        var table = new HashFieldTable(0);
        var stable = new HashSet<string>();
        for (int i = 0; i < 100; i++)
        {
            stable.Add("s" + i);
            table.Add(B("s" + i), B("v"));
        }
        var seen = new HashSet<string>();
        var found = new List<int>();
        var transient = new List<string>();
        ulong cursor = 0;
        int calls = 0, next = 0;
        do
        {
            found.Clear();
            cursor = table.Scan(cursor, found);
            foreach (int e in found) seen.Add(S(table.Field(e)));
            calls++;
            // Between calls: a burst of inserts (the table grows) or of deletes (it shrinks) of other fields, up to 1000 of them.
            if (rng.Next(2) == 0)
            {
                for (int j = rng.Next(Math.Max(1, 1000 - transient.Count)); j > 0; j--)
                {
                    transient.Add("t" + next++);
                    table.Add(B(transient[^1]), B("x"));
                }
            }
            else
            {
                for (int j = rng.Next(transient.Count + 1); j > 0; j--)
                {
                    int pick = rng.Next(transient.Count);
                    Assert.True(table.Remove(B(transient[pick])));
                    transient[pick] = transient[^1];
                    transient.RemoveAt(transient.Count - 1);
                }
            }
        } while (cursor != 0 && calls < 100_000);
        Assert.Equal(0UL, cursor);
        Assert.Subset(seen, stable);
    }

    [Fact]
    public void ScanWithoutChangesVisitsEachFieldOnce()
    {
        var table = new HashFieldTable(0);
        for (int i = 0; i < 1000; i++) table.Add(B("f" + i), B("v"));
        var found = new List<int>();
        ulong cursor = 0;
        do cursor = table.Scan(cursor, found);
        while (cursor != 0);
        Assert.Equal(1000, found.Count);
        Assert.Equal(1000, found.Distinct().Count());
    }
}

/// <summary>The long double HINCRBYFLOAT computes in: values checked against redis-server 7.0.15 on x86-64.</summary>
public class LongDoubleHashIncrementTests
{
    static string Sum(params string[] terms)
    {
        var total = LongDouble.FromInteger(0);
        foreach (var t in terms)
        {
            Assert.True(LongDouble.TryParse(Encoding.ASCII.GetBytes(t), out var v), t);
            total += v;
        }
        return total.ToHumanString();
    }

    [Theory]
    [InlineData("0.1", "0.1")]
    [InlineData("10.5", "10.5")]
    [InlineData("5.0e3", "5000")]
    [InlineData("0x1p3", "8")]
    [InlineData(".5", "0.5")]
    [InlineData("5.", "5")]
    [InlineData("+1", "1")]
    [InlineData("-0", "0")]
    [InlineData("1e-4940", "0")]
    [InlineData("3e-310", "0")]
    // Ties at the 17th decimal go to even, as glibc's printf: 2^-18 = 0.000003814697265625.
    [InlineData("0.000003814697265625", "0.00000381469726562")]
    [InlineData("1.000003814697265625", "1.00000381469726562")]
    [InlineData("12345678901234567890.123", "12345678901234567890")]
    [InlineData("-0.00000000000000001", "-0.00000000000000001")]
    [InlineData("-0.000000000000000001", "0")]
    public void ParsesAndFormatsAsRedis(string text, string expected) => Assert.Equal(expected, Sum(text));

    [Fact]
    public void AddsInExtendedPrecision()
    {
        Assert.Equal("0.3", Sum("0.1", "0.2"));
        Assert.Equal("9223372036854775803.5", Sum("9223372036854775802", "1.5"));
        Assert.Equal("2", Sum("1.0000000000000000000000000000000000001", "0.99999999999999999999999"));
        Assert.Equal("0", Sum("1e100", "-1e100"));
        Assert.StartsWith("99999999999999999999654638730996237849324925835069576313015083330432619", Sum("1e4000"));
    }

    [Theory]
    [InlineData("")]
    [InlineData(" 1")]
    [InlineData("1 ")]
    [InlineData("1e")]
    [InlineData("0x")]
    [InlineData("nan")]
    [InlineData("abc")]
    [InlineData("1e5000")]
    [InlineData("1.19e4932")]
    [InlineData("1e-5000")]
    [InlineData("1e-4951")]
    [InlineData("0x1p-16446")]
    [InlineData("1\0")]
    public void RefusesWhatString2ldRefuses(string text) => Assert.False(LongDouble.TryParse(Encoding.ASCII.GetBytes(text), out _));

    [Fact]
    public void InfinityParsesAndOverflowIsInfinite()
    {
        Assert.True(LongDouble.TryParse("inf"u8, out var inf) && inf.IsInfinity);
        Assert.True(LongDouble.TryParse("-Infinity"u8, out inf) && inf.IsInfinity && inf.ToDouble() < 0);
        Assert.True(LongDouble.TryParse("1.18e4932"u8, out var big));
        Assert.True((big + big).IsInfinity);
        Assert.False(LongDouble.TryParse(Encoding.ASCII.GetBytes(new string('1', LongDouble.MaxTextLength)), out _));
    }
}
