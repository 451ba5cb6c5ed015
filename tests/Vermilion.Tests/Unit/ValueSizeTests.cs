using System.Text;
using Vermilion.Storage;
using Xunit;
using Xunit.Abstractions;

namespace Vermilion.Tests;

/// <summary>
/// MEMORY USAGE reports <see cref="StoredObject.MemoryBytes"/>: it must be what the heap really
/// holds. COPY's duplicate (<see cref="StoredObject.CopyAs"/>) is built at its final size, so the
/// bytes this thread allocates while making it are the value's real size, give or take a
/// builder's slack; the figure must fall within a tight band of them, for every encoding.
/// </summary>
public class ValueSizeTests(ITestOutputHelper output)
{
    static byte[] Bytes(string s) => Encoding.ASCII.GetBytes(s);

    void AssertSizeMatchesAllocation(string what, StoredObject value, double low = 0.85, double high = 1.10)
    {
        value.CopyAs(Bytes("warm")); // the first copy may JIT and allocate for it
        long before = GC.GetAllocatedBytesForCurrentThread();
        var copy = value.CopyAs(Bytes("copy-of-key"));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        long reported = copy.MemoryBytes;
        output.WriteLine($"{what}: reported {reported}, allocated {allocated} ({(double)reported / allocated:F3})");
        Assert.InRange(reported, (long)(allocated * low), (long)(allocated * high));
        GC.KeepAlive(copy);
    }

    [Fact]
    public void QuickListOfSmallIntegers()
    {
        var list = new QuickList(Bytes("l"), -2);
        for (int i = 0; i < 100_000; i++) list.PushTail(Bytes(i.ToString()));
        AssertSizeMatchesAllocation("quicklist ints", list);
    }

    [Fact]
    public void QuickListOfLargeElements()
    {
        var list = new QuickList(Bytes("l"), -2);
        for (int i = 0; i < 2_000; i++) list.PushTail(new byte[3000]);
        AssertSizeMatchesAllocation("quicklist 3k elements", list);
    }

    [Fact]
    public void HashtableSet()
    {
        var set = new SetValue(Bytes("s"), forIntegers: false);
        for (int i = 0; i < 50_000; i++) set.Add(Bytes("member:" + i), 512);
        Assert.False(set.IsIntSet);
        AssertSizeMatchesAllocation("set hashtable", set);
    }

    [Fact]
    public void IntSet()
    {
        var set = new SetValue(Bytes("s"), forIntegers: true);
        for (int i = 0; i < 500; i++) set.Add(Bytes((i * 1000).ToString()), 512);
        Assert.True(set.IsIntSet);
        AssertSizeMatchesAllocation("intset", set);
    }

    [Fact]
    public void ListpackAndTableHashes()
    {
        var small = new HashValue(Bytes("h"));
        for (int i = 0; i < 100; i++) small.Set(Bytes("f" + i), Bytes("v" + i), 512, 64);
        Assert.True(small.IsListpack);
        AssertSizeMatchesAllocation("hash listpack", small);
        var big = new HashValue(Bytes("h"));
        for (int i = 0; i < 50_000; i++) big.Set(Bytes("field:" + i), Bytes("value:" + i), 512, 64);
        Assert.False(big.IsListpack);
        AssertSizeMatchesAllocation("hash hashtable", big);
    }

    [Fact]
    public void ListpackAndSkiplistSortedSets()
    {
        var small = SortedSetValue.Create(Bytes("z"), packed: true);
        for (int i = 0; i < 100; i++) small.Add(i, Bytes("m" + i), ZAddFlags.None, 128, 64, out _);
        Assert.True(small.IsPacked);
        AssertSizeMatchesAllocation("zset listpack", small);
        var big = SortedSetValue.Create(Bytes("z"), packed: false);
        for (int i = 0; i < 50_000; i++) big.Add(i * 0.5, Bytes("member:" + i), ZAddFlags.None, 128, 64, out _);
        Assert.False(big.IsPacked);
        AssertSizeMatchesAllocation("zset skiplist", big);
    }

    [Fact]
    public void StringRecordsAndRawStrings()
    {
        // A string record costs its slot, and nothing on the managed heap.
        var keys = new Keyspace();
        byte[] key = Bytes("key"), value = new byte[1000];
        keys.SetString(keys.AddOrFind("warm"u8, out _), "warm"u8, value); // the first page of the size class
        long warm = keys.ItemBytes;
        int entry = keys.AddOrFind(key, out _);
        long before = GC.GetAllocatedBytesForCurrentThread();
        keys.SetString(entry, key, value);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(RecordHeap.SlotBytesFor(key.Length, value.Length), keys.ItemBytes - warm);
        Assert.Equal(keys.ItemBytes - warm, keys.ValueBytes(entry));
        keys.Release();
        var raw = new RawString(Bytes("key"), new byte[100_000], 100_000);
        AssertSizeMatchesAllocation("raw string", raw);
    }
}
