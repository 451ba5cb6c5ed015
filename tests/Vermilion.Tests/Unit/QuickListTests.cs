using System.Text;
using Vermilion;
using Xunit;

namespace Vermilion.Tests;

/// <summary>QuickList against a plain List model: every operation, every node limit, with the layout and memory accounting checked after each step.</summary>
public class QuickListTests
{
    static byte[] B(string s) => Encoding.Latin1.GetBytes(s);
    static string S(ReadOnlySpan<byte> b) => Encoding.Latin1.GetString(b);

    static string Text(in ListEntry e)
    {
        Span<byte> scratch = stackalloc byte[20];
        return S(e.Text(scratch));
    }

    static List<string> All(QuickList list)
    {
        var items = new List<string>();
        if (list.Count == 0) return items;
        var cursor = list.At(0, forward: true);
        while (cursor.Next(out var e)) items.Add(Text(e));
        return items;
    }

    /// <summary>A list owned by a keyspace, so its size changes must keep used_memory exact.</summary>
    static (QuickList List, Keyspace Keys) Owned(int fill)
    {
        var keys = new Keyspace();
        var list = new QuickList(B("key"), fill);
        keys.SetObject(keys.AddOrFind("key"u8, out _), list);
        return (list, keys);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("127")]
    [InlineData("128")]
    [InlineData("-1")]
    [InlineData("-128")]
    [InlineData("-129")]
    [InlineData("32767")]
    [InlineData("8388608")]
    [InlineData("9223372036854775807")]
    [InlineData("-9223372036854775808")]
    [InlineData("9223372036854775808")]
    [InlineData("-0")]
    [InlineData("007")]
    [InlineData("+1")]
    [InlineData("1 ")]
    [InlineData("")]
    [InlineData("\0\xff\r\n")]
    public void ElementsReadBackAsWritten(string value)
    {
        var list = new QuickList(B("k"), -2);
        list.PushTail(B(value));
        list.PushHead(B(value));
        Assert.Equal([value, value], All(list));
        Assert.Equal(value, Text(list.Peek(head: false)));
        bool isInteger = IntegerText.TryParse(B(value), out _);
        Assert.Equal(isInteger, list.Get(0).IsInteger);
        list.Validate();
    }

    [Fact]
    public void StringLengthsAcrossEveryHeaderSize()
    {
        var list = new QuickList(B("k"), -5);
        int[] lengths = [0, 1, 63, 64, 125, 126, 127, 128, 4095, 4096, 16380, 16384, 70_000, 300_000];
        foreach (int n in lengths) list.PushTail(B(new string((char)('a' + n % 26), n)));
        for (int i = 0; i < lengths.Length; i++)
        {
            var e = list.Get(i);
            Assert.False(e.IsInteger);
            Assert.Equal(lengths[i], e.Bytes.Length);
        }
        var back = list.At(lengths.Length - 1, forward: false);
        for (int i = lengths.Length - 1; i >= 0; i--)
        {
            Assert.True(back.Next(out var e));
            Assert.Equal(lengths[i], e.Bytes.Length);
        }
        list.Validate();
    }

    [Fact]
    public void NodesRespectTheSizeAndCountLimits()
    {
        // -2: 8 KB nodes; 5-byte elements take 7 bytes each, so about a thousand per node, as Redis.
        var bySize = new QuickList(B("k"), -2);
        for (int i = 0; i < 10_000; i++) bySize.PushTail(B("abcde"));
        var sizes = bySize.NodeSizes();
        Assert.True(sizes.Length is >= 8 and <= 12, $"{sizes.Length} nodes");
        Assert.All(sizes[..^1], n => Assert.InRange(n, 1100, 1170));

        // A positive fill caps the entries per node.
        var byCount = new QuickList(B("k"), 5);
        for (int i = 0; i < 23; i++) byCount.PushHead(B("x" + i));
        Assert.Equal([3, 5, 5, 5, 5], byCount.NodeSizes());

        // An element larger than the limit gets a node of its own.
        var big = new QuickList(B("k"), -1);
        big.PushTail(B("small"));
        big.PushTail(new byte[10_000]);
        big.PushTail(B("small"));
        Assert.Equal([1, 1, 1], big.NodeSizes());
        big.Validate();
    }

    [Fact]
    public void InsertIntoFullNodesSplitsAndMerges()
    {
        var list = new QuickList(B("k"), 4);
        var model = new List<string>();
        for (int i = 0; i < 12; i++)
        {
            list.PushTail(B("v" + i));
            model.Add("v" + i);
        }
        Assert.Equal([4, 4, 4], list.NodeSizes());
        // Middle of a full node: it splits.
        list.Insert(5, after: true, B("mid"));
        model.Insert(6, "mid");
        // At a full node's tail with a full neighbour: a new node.
        list.Insert(3, after: true, B("edge"));
        model.Insert(4, "edge");
        // At a node's head, before.
        list.Insert(0, after: false, B("first"));
        model.Insert(0, "first");
        Assert.Equal(model, All(list));
        Assert.All(list.NodeSizes(), n => Assert.InRange(n, 1, 4));
        list.Validate();
    }

    [Fact]
    public void CopyIsIndependentAndCompact()
    {
        var (list, _) = Owned(-2);
        for (int i = 0; i < 3000; i++) list.PushTail(B("element-" + i));
        var copy = (QuickList)list.CopyAs(B("other"));
        copy.Validate();
        Assert.Equal(All(list), All(copy));
        Assert.True(copy.MemoryBytes <= list.MemoryBytes);
        list.RemoveHead(10);
        Assert.Equal(3000, copy.Count);
    }

    /// <summary>Thousands of random operations per node limit, mirrored on a List; layout, order and used_memory checked every step.</summary>
    [Theory]
    [InlineData(-1)]
    [InlineData(-2)]
    [InlineData(-5)]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(128)]
    public void RandomOperationsMatchAModel(int fill)
    {
        int seed = 1234 + fill;
        var rng = new Random(seed);
        var (list, keys) = Owned(fill);
        var model = new List<string>();
        string Value() => rng.Next(6) switch
        {
            0 => rng.Next(-300, 300).ToString(),
            1 => rng.NextInt64().ToString(),
            2 => new string('z', rng.Next(0, 3000)),
            3 => "",
            _ => "e" + rng.Next(20),
        };
        for (int step = 0; step < 2500; step++)
        {
            int op = rng.Next(11);
            string what = "";
            switch (op)
            {
                case 0:
                case 1:
                {
                    var v = Value();
                    bool head = op == 0;
                    list.Push(new ListElement(B(v)), head);
                    if (head) model.Insert(0, v); else model.Add(v);
                    what = $"push {(head ? "head" : "tail")} {v.Length}";
                    break;
                }
                case 2:
                case 3:
                    if (model.Count == 0) break;
                    bool fromHead = op == 2;
                    Assert.Equal(fromHead ? model[0] : model[^1], Text(list.Peek(fromHead)));
                    list.RemoveEnd(fromHead);
                    model.RemoveAt(fromHead ? 0 : model.Count - 1);
                    what = "pop";
                    break;
                case 4:
                {
                    int n = rng.Next(0, 40);
                    if (rng.Next(2) == 0)
                    {
                        list.RemoveHead(n);
                        model.RemoveRange(0, Math.Min(n, model.Count));
                    }
                    else
                    {
                        list.RemoveTail(n);
                        int k = Math.Min(n, model.Count);
                        model.RemoveRange(model.Count - k, k);
                    }
                    what = $"remove {n}";
                    break;
                }
                case 5:
                {
                    if (model.Count == 0) break;
                    int i = rng.Next(model.Count);
                    var v = Value();
                    list.Set(i, B(v));
                    model[i] = v;
                    what = $"set {i}";
                    break;
                }
                case 6:
                case 7:
                {
                    if (model.Count == 0) break;
                    int i = rng.Next(model.Count);
                    bool after = rng.Next(2) == 0;
                    var v = Value();
                    list.Insert(i, after, B(v));
                    model.Insert(after ? i + 1 : i, v);
                    what = $"insert {i} {after}";
                    break;
                }
                case 8:
                {
                    var v = "e" + rng.Next(20);
                    long limit = rng.Next(0, 4);
                    bool fromTail = rng.Next(2) == 0;
                    long removed = list.RemoveMatching(new ListElement(B(v)), limit, fromTail);
                    long expected = 0;
                    if (!fromTail)
                    {
                        for (int i = 0; i < model.Count && (limit == 0 || expected < limit);)
                            if (model[i] == v) { model.RemoveAt(i); expected++; } else i++;
                    }
                    else
                    {
                        for (int i = model.Count - 1; i >= 0 && (limit == 0 || expected < limit); i--)
                            if (model[i] == v) { model.RemoveAt(i); expected++; }
                    }
                    Assert.Equal(expected, removed);
                    what = $"lrem {v} {limit} {fromTail}";
                    break;
                }
                case 9:
                {
                    if (model.Count == 0) break;
                    int i = rng.Next(model.Count);
                    Assert.Equal(model[i], Text(list.Get(i)));
                    bool forward = rng.Next(2) == 0;
                    var cursor = list.At(i, forward);
                    for (int j = i, k = 0; k < 50 && j >= 0 && j < model.Count; k++, j += forward ? 1 : -1)
                    {
                        Assert.True(cursor.Next(out var e));
                        Assert.Equal(model[j], Text(e));
                    }
                    break;
                }
                case 10:
                {
                    // Many elements at once, as LPUSH/RPUSH with several arguments reserve room first.
                    bool head = rng.Next(2) == 0;
                    int n = rng.Next(2, 30);
                    var values = Enumerable.Range(0, n).Select(_ => Value()).ToList();
                    list.Push(new ListElement(B(values[0])), head);
                    list.Reserve(values.Skip(1).Sum(v => (long)QuickList.EntrySize(new ListElement(B(v)))), head);
                    foreach (var v in values.Skip(1)) list.Push(new ListElement(B(v)), head);
                    foreach (var v in values) if (head) model.Insert(0, v); else model.Add(v);
                    what = $"push many {n}";
                    break;
                }
            }
            try
            {
                list.Validate();
                Assert.Equal(model.Count, list.Count);
                Assert.Equal(list.MemoryBytes, keys.ItemBytes);
                if (fill > 0) Assert.All(list.NodeSizes(), n => Assert.InRange(n, 1, fill));
            }
            catch (Exception e)
            {
                throw new Exception($"fill {fill}, seed {seed}, step {step} ({what}): {e.Message}", e);
            }
            if (step % 500 == 0) Assert.Equal(model, All(list));
        }
        Assert.Equal(model, All(list));
    }

    [Fact]
    public void EmptiedListGivesBackItsNodes()
    {
        var (list, keys) = Owned(-2);
        long empty = list.MemoryBytes;
        for (int i = 0; i < 5000; i++) list.PushTail(B("value" + i));
        Assert.True(list.MemoryBytes > empty + 5000 * 7);
        list.RemoveHead(4990);
        Assert.True(list.MemoryBytes < empty + 500, $"{list.MemoryBytes - empty} bytes left for 10 elements");
        list.RemoveTail(10);
        Assert.Equal(empty, list.MemoryBytes);
        Assert.Equal(empty, keys.ItemBytes);
        list.Validate();
    }

    /// <summary>
    /// A push told how many bytes follow makes its new node big enough for them, at the end the
    /// pushes go to: the rest of an LPUSH/RPUSH then allocates nothing, and the list reads as pushed.
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void PushWithRoomForWhatFollowsAllocatesOneNode(bool head)
    {
        var (list, keys) = Owned(-2);
        var elements = Enumerable.Range(0, 10).Select(i => i % 3 == 0 ? (i * 1000).ToString() : "m:" + i).ToArray();
        long more = elements.Skip(1).Sum(e => (long)QuickList.EntrySize(new ListElement(B(e))));
        list.Push(new ListElement(B(elements[0])), head, more);
        long afterFirst = list.MemoryBytes;
        var rest = elements.Skip(1).Select(B).ToArray();
        long allocated = GC.GetAllocatedBytesForCurrentThread();
        foreach (var e in rest) list.Push(new ListElement(e), head);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - allocated);
        Assert.Equal(afterFirst, list.MemoryBytes);
        Assert.Equal(head ? elements.Reverse() : elements, All(list));
        Assert.Equal(1, list.NodeCount);
        list.Push(new ListElement(B("beyond")), !head);
        list.Push(new ListElement(B("again")), head);
        Assert.Equal(12, All(list).Count);
        Assert.Equal(list.MemoryBytes, keys.ItemBytes);
        list.Validate();
    }

    /// <summary>
    /// A list that keeps growing at one end, one element or a batch at a time, allocates little
    /// more than it ends up holding: nodes are not regrown step by step or copied when they fill,
    /// so there is little garbage (which on a garbage-collected heap is RSS until collected).
    /// </summary>
    [Theory]
    [InlineData(true, 1)]
    [InlineData(false, 1)]
    [InlineData(true, 100)]
    [InlineData(false, 100)]
    public void GrowingAListMakesLittleGarbage(bool head, int batch)
    {
        var list = new QuickList(B("k"), -2);
        var elements = Enumerable.Range(0, 100).Select(i => B("m:" + i.ToString("D6"))).ToArray();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int b = 0; b < 200_000 / batch; b++)
        {
            // As LPUSH/RPUSH do for a batch.
            long more = 0;
            for (int j = 1; j < batch; j++) more += QuickList.EntrySize(new ListElement(elements[j]));
            if (list.Count > 0 && more > 0) list.Reserve(QuickList.EntrySize(new ListElement(elements[0])) + more, head);
            for (int i = 0; i < batch; i++) list.Push(new ListElement(elements[i]), head, i == 0 ? more : 0);
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < list.MemoryBytes * 1.1, $"allocated {allocated} bytes for a list of {list.MemoryBytes}");
        list.Validate();
    }
}
