using System.Text;
using Vermilion;
using Xunit;

namespace Vermilion.Tests;

public class KeyspaceTests
{
    static byte[] K(int i) => Encoding.ASCII.GetBytes("key:" + i);

    static int Add(Keyspace ks, int i, string value = "v")
    {
        int index = ks.AddOrFind(K(i), out bool existed);
        Assert.False(existed);
        ks.SetString(index, K(i), Encoding.ASCII.GetBytes(value));
        return index;
    }

    [Fact]
    public void PackedStringKeepsKeyAndValueApart()
    {
        foreach (int keyLength in new[] { 0, 1, 127, 128, 16383, 16384, 70000 })
        {
            var key = new byte[keyLength];
            Random.Shared.NextBytes(key);
            var packed = PackedString.Create(key, "value"u8);
            Assert.True(PackedString.Key(packed).SequenceEqual(key));
            Assert.Equal("value", Encoding.ASCII.GetString(PackedString.Value(packed)));
        }
    }

    [Fact]
    public void GrowsThroughIncrementalRehashWithoutLosingKeys()
    {
        var ks = new Keyspace();
        bool sawRehash = false;
        for (int i = 0; i < 100_000; i++)
        {
            Add(ks, i);
            sawRehash |= ks.IsRehashing;
            // Every key stays findable while its bucket may be in either table.
            if (i % 997 == 0)
                for (int j = 0; j <= i; j += 101) Assert.True(ks.Find(K(j)) >= 0, $"key {j} lost at {i}");
        }
        Assert.True(sawRehash);
        Assert.Equal(100_000, ks.Count);
        for (int i = 0; i < 100_000; i++) Assert.True(ks.Find(K(i)) >= 0);
        Assert.Equal(-1, ks.Find(K(100_000)));
    }

    [Fact]
    public void RemovedEntriesAreReusedAndAccountedFor()
    {
        var ks = new Keyspace();
        long empty = ks.ItemBytes;
        for (int i = 0; i < 1000; i++) Add(ks, i);
        Assert.True(ks.ItemBytes > empty);
        for (int i = 0; i < 1000; i++) Assert.True(ks.Remove(K(i), out _));
        Assert.False(ks.Remove(K(0), out _));
        Assert.Equal(0, ks.Count);
        ks.FreeRemoved();
        Assert.Equal(empty, ks.ItemBytes);
        int reused = Add(ks, 5);
        Assert.True(reused < 1000, "a freed entry is reused");
    }

    /// <summary>Redis's SCAN guarantee: a key present from start to end is returned, whatever the table does meanwhile.</summary>
    [Theory]
    [InlineData(1000, 50_000)]  // grows several times during the scan
    [InlineData(50_000, 500)]   // shrinks during the scan
    public void ScanReturnsEveryKeyPresentThroughoutAcrossResizes(int start, int end)
    {
        var ks = new Keyspace();
        var rng = new Random(7);
        int next = 0;
        var stable = new List<int>();
        for (; next < start; next++) Add(ks, next);
        // The keys kept from start to end: the first 300.
        for (int i = 0; i < 300; i++) stable.Add(i);
        int nextToRemove = 300;

        var seen = new HashSet<string>();
        var found = new List<int>();
        ulong cursor = 0;
        do
        {
            found.Clear();
            cursor = ks.Scan(cursor, found);
            foreach (int e in found) seen.Add(Encoding.ASCII.GetString(ks.Key(e)));
            // Change the table between steps: add or remove a batch and let rehashing run.
            for (int i = 0; i < 200; i++)
            {
                if (end > start) { if (next < end) Add(ks, next++); }
                else if (nextToRemove < start) ks.Remove(K(nextToRemove++), out _);
            }
            if (rng.Next(4) == 0) ks.ShrinkIfSparse();
            ks.RehashStep(rng.Next(1, 50));
        } while (cursor != 0);

        foreach (int i in stable) Assert.Contains("key:" + i, seen);
    }

    [Fact]
    public void ScanOfAQuietTableVisitsEachKeyOnce()
    {
        var ks = new Keyspace();
        for (int i = 0; i < 5000; i++) Add(ks, i);
        while (ks.RehashStep(100)) { }
        var found = new List<int>();
        ulong cursor = 0;
        do cursor = ks.Scan(cursor, found); while (cursor != 0);
        Assert.Equal(5000, found.Count);
        Assert.Equal(5000, found.Distinct().Count());
    }

    [Fact]
    public void DeadlinesLiveInSegmentsThatHaveThem()
    {
        var ks = new Keyspace();
        long baseline = ks.StructureBytes;
        int a = Add(ks, 1), b = Add(ks, 2);
        Assert.Equal(0, ks.Deadline(a));
        ks.SetDeadline(a, 1234);
        ks.SetDeadline(b, 99);
        Assert.Equal(2, ks.VolatileCount);
        Assert.Equal(1234, ks.Deadline(a));
        int cursor = 0;
        var visited = new HashSet<int> { ks.NextVolatile(ref cursor), ks.NextVolatile(ref cursor), ks.NextVolatile(ref cursor) };
        Assert.Equal(new HashSet<int> { a, b }, visited);
        Assert.True(ks.ClearDeadline(a));
        Assert.False(ks.ClearDeadline(a));
        ks.Remove(K(2), out _);
        Assert.Equal(0, ks.VolatileCount);
        int none = 0;
        Assert.Equal(-1, ks.NextVolatile(ref none));
        // With no deadline left, the segment's deadline array is released.
        Assert.True(ks.StructureBytes <= baseline + 16L * (1 << 14) + 64);
    }

    [Fact]
    public void SnapshotMarkFlipsForEveryEntryAtOnce()
    {
        var ks = new Keyspace();
        int a = Add(ks, 1), b = Add(ks, 2);
        Assert.True(ks.IsSaved(a)); // no snapshot running: everything counts as saved
        ks.BeginSnapshot();
        Assert.False(ks.IsSaved(a));
        Assert.False(ks.IsSaved(b));
        ks.MarkSaved(a);
        Assert.True(ks.IsSaved(a));
        Assert.False(ks.IsSaved(b));
        int c = Add(ks, 3);
        Assert.True(ks.IsSaved(c)); // born after the snapshot started: not part of it
        ks.MarkSaved(b);
        ks.BeginSnapshot();
        Assert.False(ks.IsSaved(a) || ks.IsSaved(b) || ks.IsSaved(c));
    }

    [Fact]
    public void AttributesSurviveAndEncodingBitsAreIndependent()
    {
        var ks = new Keyspace();
        int a = Add(ks, 1);
        ks.SetLru(a, 0xABCDEF);
        ks.SetEncoding(a, StringEncoding.Int, shared: true);
        Assert.Equal(0xABCDEFu, ks.Lru(a));
        Assert.Equal(StringEncoding.Int, ks.Encoding(a));
        Assert.True(ks.IsShared(a));
        ks.SetLru(a, 5);
        Assert.Equal(StringEncoding.Int, ks.Encoding(a));
        ks.SetEncoding(a, StringEncoding.Raw, shared: false);
        Assert.Equal(5u, ks.Lru(a));
        Assert.False(ks.IsShared(a));
    }

    [Fact]
    public void RandomEntryFindsLiveEntriesInASparseArena()
    {
        var ks = new Keyspace();
        for (int i = 0; i < 1000; i++) Add(ks, i);
        for (int i = 0; i < 1000; i++) if (i != 777) ks.Remove(K(i), out _);
        var rng = new Random(1);
        for (int i = 0; i < 20; i++) Assert.Equal("key:777", Encoding.ASCII.GetString(ks.Key(ks.RandomEntry(rng))));
        ks.Remove(K(777), out _);
        Assert.Equal(-1, ks.RandomEntry(rng));
    }

    /// <summary>Prefetching is only a hint: in either table while rehashing, for keys present or not, it changes nothing.</summary>
    [Fact]
    public void PrefetchOfABatchChangesNothing()
    {
        var ks = new Keyspace();
        var buffer = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Range(0, 40).Select(i => "key:" + i * 3 + "|")));
        var slices = new List<(int, int)>();
        for (int start = 0, i = 0; i < 40; i++)
        {
            int end = Array.IndexOf(buffer, (byte)'|', start);
            slices.Add((start, end - start));
            start = end + 1;
        }
        ks.Prefetch(buffer, slices.ToArray(), new ulong[slices.Count]); // empty
        var hashes = new ulong[slices.Count];
        // Through two rehashes (the batch prefetches from 4096 keys).
        for (int i = 0; i < 10000; i++)
        {
            Add(ks, i);
            if (i % 7 != 0) continue;
            ks.Prefetch(buffer, slices.ToArray(), hashes);
            // The hashes it hands out find what an unhinted lookup finds.
            int j = i % slices.Count;
            var key = buffer.AsSpan(slices[j].Item1, slices[j].Item2);
            int unhinted = ks.Find(key);
            ks.HintKeyHash(buffer, slices[j].Item1, slices[j].Item2, hashes[j]);
            Assert.Equal(unhinted, ks.Find(key));
            ks.ClearKeyHashHint();
        }
        Assert.Equal(10000, ks.Count);
        for (int i = 0; i < 10000; i++) Assert.True(ks.Find(K(i)) >= 0);
    }

    [Fact]
    public void KeyHashHintIsUsedOnlyForTheBytesAtItsAddress()
    {
        var ks = new Keyspace();
        for (int i = 0; i < 100; i++) Add(ks, i);
        var buffer = Encoding.ASCII.GetBytes("xx" + Encoding.ASCII.GetString(K(42)) + "yy");
        var atAddress = buffer.AsSpan(2, K(42).Length);
        var hashes = new ulong[1];
        ks.Prefetch(buffer, new[] { (2, K(42).Length) }, hashes);
        ks.HintKeyHash(buffer, 2, K(42).Length, hashes[0]);
        Assert.True(ks.Find(atAddress) >= 0);
        // A wrong hint misleads only a lookup of that very span: the same bytes elsewhere are hashed.
        ks.HintKeyHash(buffer, 2, K(42).Length, hashes[0] ^ 0x5555);
        Assert.True(ks.Find(K(42)) >= 0);
        Assert.True(ks.Find(atAddress) < 0);
        ks.ClearKeyHashHint();
        Assert.True(ks.Find(atAddress) >= 0);
    }

    [Fact]
    public void RawStringGrowsGreedilyAndZeroFills()
    {
        var raw = new RawString("k"u8.ToArray(), "abc"u8.ToArray(), 3);
        var span = raw.Grow(10);
        Assert.Equal(10, span.Length);
        Assert.Equal("abc\0\0\0\0\0\0\0", Encoding.ASCII.GetString(span));
        Assert.True(raw.Buffer.Length >= 20, "capacity doubles so appends stay linear");
        span[9] = 1;
        Assert.Equal(10, raw.Grow(5).Length); // never shrinks
    }

    [Fact]
    public void ASnapshotCapturesEachOldEntryOnceBeforeItsFirstChange()
    {
        var ks = new Keyspace();
        for (int i = 0; i < 100; i++) Add(ks, i);
        var captured = new List<string>();
        ks.BeginSnapshot();
        ks.BeforeFirstChange = (k, index) =>
        {
            captured.Add(Encoding.ASCII.GetString(k.Key(index)));
            k.MarkSaved(index);
        };
        Assert.True(ks.Find(K(1)) >= 0);
        Assert.True(ks.Find(K(1)) >= 0); // saved already: not again
        ks.AddOrFind(K(2), out _);
        Assert.True(ks.Remove(K(3), out _));
        Add(ks, 1000, "new"); // born after the cut: never captured
        Assert.True(ks.Find(K(1000)) >= 0);
        Assert.True(ks.Remove(K(1000), out _));
        Add(ks, 1001, "reuses a freed entry");
        Assert.True(ks.Find(K(1001)) >= 0);
        Assert.Equal(new[] { "key:1", "key:2", "key:3" }, captured);
    }
}
