using System.Text;
using Xunit;

namespace Vermilion.Tests;

/// <summary>
/// Compact collections stored as records and seen through views (<see cref="ValueViews"/>): a
/// view detached when its key goes, a conversion to the big encoding, several views at once,
/// records carried by RENAME/MOVE/COPY, used_memory, and no allocation in steady state.
/// </summary>
public class ValueViewsTests : IDisposable
{
    long _now = 1_700_000_000_000;
    readonly Stats _stats = new();
    readonly ValueViews _views = new();
    readonly Db _db, _other;

    public ValueViewsTests()
    {
        var eviction = new Eviction(new Config(), _stats, () => _now);
        _db = new Db(0, () => _now, _stats, eviction, _views);
        _other = new Db(1, () => _now, _stats, eviction, _views);
    }

    public void Dispose()
    {
        EndCommand();
        _db.Clear()?.Release();
        _other.Clear()?.Release();
    }

    static byte[] B(string s) => Encoding.ASCII.GetBytes(s);
    static string S(ReadOnlySpan<byte> b) => Encoding.ASCII.GetString(b);

    /// <summary>What the server does after each command and each loop iteration.</summary>
    void EndCommand()
    {
        _views.ReturnTo(0);
        _db.Keys.FreeRemoved();
        _other.Keys.FreeRemoved();
    }

    void AddHash(Db db, string key, params string[] pairs)
    {
        var hash = new HashValue(B(key));
        for (int i = 0; i < pairs.Length; i += 2) hash.Set(B(pairs[i]), B(pairs[i + 1]), 128, 64);
        db.Add(hash);
    }

    static Dictionary<string, string> Pairs(HashValue h)
    {
        var d = new Dictionary<string, string>();
        for (int p = h.FirstPair(); p >= 0; p = h.NextPair(p)) d[S(h.FieldAt(p))] = S(h.ValueAt(p));
        return d;
    }

    /// <summary>The keyspace's used_memory share equals the sum of what each key reports (MEMORY USAGE).</summary>
    static void AssertAccountingExact(Db db)
    {
        long sum = 0;
        foreach (int entry in db.Keys.Entries()) sum += db.Keys.ValueBytes(entry);
        Assert.Equal(sum, db.Keys.ItemBytes);
    }

    [Fact]
    public void ACompactHashIsARecordWithNoManagedObject()
    {
        AddHash(_db, "h", "name", "value", "count", "12");
        EndCommand();
        int entry = _db.Keys.Find(B("h"));
        Assert.Equal(RecordKind.Hash, _db.Keys.Kind(entry));
        Assert.Equal(DataType.Hash, _db.Keys.Type(entry));
        Assert.False(_db.Keys.IsString(entry));
        Assert.False(_db.Keys.TryGetString(entry, out _));
        Assert.Equal(0, _db.Keys.ObjectBytes);
        Assert.Throws<WrongTypeException>(() => _db.TryGetString(B("h"), out _));
        var view = _db.Get<HashValue>(B("h"))!;
        Assert.Equal("listpack", view.Encoding);
        Assert.Equal("h", S(view.Key));
        Assert.Equal(new Dictionary<string, string> { ["name"] = "value", ["count"] = "12" }, Pairs(view));
        AssertAccountingExact(_db);
    }

    [Fact]
    public void WritesThroughAViewLandInTheRecordAsItGrowsAndShrinks()
    {
        AddHash(_db, "h", "a", "1");
        EndCommand();
        var model = new Dictionary<string, string> { ["a"] = "1" };
        var rng = new Random(3);
        for (int i = 0; i < 2000; i++)
        {
            var h = _db.Get<HashValue>(B("h"))!;
            string field = "f" + rng.Next(60), value = new string('v', rng.Next(0, 60));
            if (rng.Next(3) == 0)
            {
                Assert.Equal(model.Remove(field), h.Remove(B(field)));
                if (h.Count == 0)
                {
                    _db.Delete(B("h"));
                    AddHash(_db, "h", "a", "1");
                    model["a"] = "1";
                }
            }
            else
            {
                Assert.Equal(!model.ContainsKey(field), h.Set(B(field), B(value), 128, 64));
                model[field] = value;
            }
            EndCommand(); // the record may have moved: the next command finds it through its entry
            if (i % 97 == 0) AssertAccountingExact(_db);
        }
        var final = _db.Get<HashValue>(B("h"))!;
        Assert.Equal("listpack", final.Encoding);
        Assert.Equal(model, Pairs(final));
        Assert.Equal(model.Count, final.Count);
        AssertAccountingExact(_db);
    }

    [Fact]
    public void AViewIsDetachedWhenItsKeyIsDeleted()
    {
        AddHash(_db, "h", "a", "1", "b", "2");
        EndCommand();
        var view = _db.Get<HashValue>(B("h"))!;
        Assert.True(_db.Delete(B("h")));
        // The view keeps what it saw, as a managed value removed from the keyspace does...
        Assert.Equal(2, view.Count);
        Assert.True(view.TryGet(B("b"), out var b) && S(b) == "2");
        // ...and its writes go nowhere, even when a new key takes the entry and the record's slot.
        AddHash(_db, "other", "x", "y");
        view.Set(B("c"), B("3"), 128, 64);
        view.Remove(B("a"));
        Assert.Null(_db.Get<HashValue>(B("h")));
        var other = _db.Get<HashValue>(B("other"))!;
        Assert.Equal(new Dictionary<string, string> { ["x"] = "y" }, Pairs(other));
        EndCommand();
        Assert.Equal(new Dictionary<string, string> { ["x"] = "y" }, Pairs(_db.Get<HashValue>(B("other"))!));
        AssertAccountingExact(_db);
    }

    [Fact]
    public void AViewThatConvertsBecomesTheEntrysManagedObject()
    {
        AddHash(_db, "h", "a", "1");
        EndCommand();
        long heapBefore = _db.Keys.ItemBytes;
        var view = _db.Get<HashValue>(B("h"))!;
        view.Set(B("long"), B(new string('x', 100)), 128, 64); // longer than hash-max-listpack-value
        Assert.Equal("hashtable", view.Encoding);
        int entry = _db.Keys.Find(B("h"));
        Assert.Equal(RecordKind.String, _db.Keys.Kind(entry));
        Assert.Same(view, _db.Keys.Object(entry));
        Assert.Equal(view.MemoryBytes, _db.Keys.ObjectBytes);
        Assert.True(_db.Keys.ItemBytes > heapBefore);
        EndCommand();
        // It did not go back to the pool: the keyspace still holds it, whole.
        var again = _db.Get<HashValue>(B("h"))!;
        Assert.Same(view, again);
        Assert.Equal(new Dictionary<string, string> { ["a"] = "1", ["long"] = new string('x', 100) }, Pairs(again));
        again.Set(B("more"), B("m"), 128, 64);
        Assert.Equal(again.MemoryBytes, _db.Keys.ObjectBytes);
        AssertAccountingExact(_db);
        // A later view (another key) is a fresh one, not the promoted object.
        AddHash(_db, "small", "s", "1");
        EndCommand();
        Assert.NotSame(view, _db.Get<HashValue>(B("small")));
    }

    [Fact]
    public void SeveralViewsAtOnceAndTheSameKeyTwice()
    {
        AddHash(_db, "a", "f", "1");
        AddHash(_db, "b", "f", "2");
        AddHash(_other, "a", "f", "3");
        EndCommand();
        var a = _db.Get<HashValue>(B("a"))!;
        var b = _db.Get<HashValue>(B("b"))!;
        var otherA = _other.Get<HashValue>(B("a"))!;
        Assert.NotSame(a, b);
        Assert.NotSame(a, otherA);
        Assert.Same(a, _db.Get<HashValue>(B("a")));
        Assert.Equal(3, _views.Lent);
        // Growing one (its record moves) leaves the others as they were, and the second lookup sees it.
        for (int i = 0; i < 50; i++) a.Set(B("g" + i), B("value" + i), 128, 64);
        Assert.True(b.TryGet(B("f"), out var fb) && S(fb) == "2");
        Assert.True(otherA.TryGet(B("f"), out var fo) && S(fo) == "3");
        Assert.Equal(51, _db.Get<HashValue>(B("a"))!.Count);
        EndCommand();
        Assert.Equal(0, _views.Lent);
        Assert.Equal(51, _db.Get<HashValue>(B("a"))!.Count);
    }

    [Fact]
    public void ACommandOverManyKeysFindsItsViewsThroughTheIndex()
    {
        for (int k = 0; k < 500; k++) AddHash(_db, "h" + k, "f", k.ToString());
        EndCommand();
        var views = Enumerable.Range(0, 500).Select(k => _db.Get<HashValue>(B("h" + k))!).ToArray();
        Assert.Equal(500, _views.Lent);
        Assert.Equal(500, views.Distinct().Count());
        for (int k = 0; k < 500; k += 7) Assert.Same(views[k], _db.Get<HashValue>(B("h" + k)));
        // Deleting detaches exactly the deleted key's view; a new key on the freed entry gets a view of its own.
        _db.Delete(B("h10"));
        AddHash(_db, "new", "f", "new");
        var fresh = _db.Get<HashValue>(B("new"))!;
        Assert.NotSame(views[10], fresh);
        views[10].Set(B("f"), B("changed"), 128, 64);
        Assert.True(fresh.TryGet(B("f"), out var nf) && S(nf) == "new");
        Assert.True(views[11].TryGet(B("f"), out var v11) && S(v11) == "11");
        // Growing one moves its record; the index still finds the same view.
        for (int i = 0; i < 30; i++) views[20].Set(B("g" + i), B("value"), 128, 64);
        Assert.Same(views[20], _db.Get<HashValue>(B("h20")));
        EndCommand();
        Assert.Equal(0, _views.Lent);
        Assert.Equal(31, _db.Get<HashValue>(B("h20"))!.Count);
        Assert.Null(_db.Get<HashValue>(B("h10")));
        AssertAccountingExact(_db);
    }

    [Fact]
    public void ANestedCommandReturnsOnlyItsOwnViews()
    {
        AddHash(_db, "a", "f", "1");
        AddHash(_db, "b", "f", "2");
        EndCommand();
        var a = _db.Get<HashValue>(B("a"))!;
        int mark = _views.Lent;
        var b = _db.Get<HashValue>(B("b"))!;
        _views.ReturnTo(mark);
        Assert.Equal(1, _views.Lent);
        Assert.True(a.TryGet(B("f"), out var fa) && S(fa) == "1");
        Assert.Throws<InvalidOperationException>(() => b.Count);
    }

    [Fact]
    public void RenameMoveAndCopyCarryTheRecord()
    {
        AddHash(_db, "h", "a", "1", "b", "2");
        _db.SetExpire(B("h"), _now + 10_000);
        EndCommand();
        _db.Rename(B("h"), B("renamed"));
        EndCommand();
        var renamed = _db.Get<HashValue>(B("renamed"))!;
        Assert.Equal("renamed", S(renamed.Key));
        Assert.Equal(2, renamed.Count);
        Assert.Equal(_now + 10_000, _db.GetExpire(B("renamed")));
        _db.CopyTo(B("renamed"), _db, B("copy"));
        renamed.Set(B("a"), B("changed"), 128, 64);
        var copy = _db.Get<HashValue>(B("copy"))!;
        Assert.True(copy.TryGet(B("a"), out var ca) && S(ca) == "1");
        Assert.Equal(RecordKind.Hash, _db.Keys.Kind(_db.Keys.Find(B("copy"))));
        EndCommand();
        _db.MoveTo(B("copy"), _other);
        EndCommand();
        Assert.False(_db.Exists(B("copy")));
        var moved = _other.Get<HashValue>(B("copy"))!;
        Assert.Equal(new Dictionary<string, string> { ["a"] = "1", ["b"] = "2" }, Pairs(moved));
        AssertAccountingExact(_db);
        AssertAccountingExact(_other);
    }

    [Fact]
    public void AFlushDetachesTheViewsOfTheOldKeyspace()
    {
        AddHash(_db, "h", "a", "1");
        EndCommand();
        var view = _db.Get<HashValue>(B("h"))!;
        _db.Clear()!.Release(); // its pages are unmapped
        Assert.True(view.TryGet(B("a"), out var a) && S(a) == "1");
        view.Set(B("b"), B("2"), 128, 64);
        Assert.Equal(0, _db.Count);
    }

    [Fact]
    public void StringCommandsOverAHashRecordAnswerWrongTypeOrReplaceIt()
    {
        AddHash(_db, "h", "a", "1");
        EndCommand();
        var view = _db.Get<HashValue>(B("h"))!;
        _db.Set(B("h"), B("now a string")); // SET replaces any type: the view detaches
        Assert.True(_db.TryGetString(B("h"), out var text) && S(text) == "now a string");
        Assert.True(view.TryGet(B("a"), out _));
        Assert.Throws<WrongTypeException>(() => _db.Get<HashValue>(B("h")));
        EndCommand();
        AssertAccountingExact(_db);
    }

    void AddSet(Db db, string key, params long[] members)
    {
        var set = new SetValue(B(key), forIntegers: true);
        foreach (long m in members) set.AddInteger(m, 512);
        db.Add(set);
    }

    static List<long> Members(SetValue set) => Enumerable.Range(0, set.Count).Select(set.IntegerAt).ToList();

    [Fact]
    public void AnIntsetViewWidensGrowsAndShrinksInItsRecord()
    {
        AddSet(_db, "s", 5);
        EndCommand();
        int entry = _db.Keys.Find(B("s"));
        Assert.Equal(RecordKind.IntSet, _db.Keys.Kind(entry));
        Assert.Equal(DataType.Set, _db.Keys.Type(entry));
        var model = new SortedSet<long> { 5 };
        var rng = new Random(5);
        for (int i = 0; i < 3000; i++)
        {
            var set = _db.Get<SetValue>(B("s"))!;
            // Mostly small values, now and then one that widens every element.
            long value = rng.Next(10) switch { 0 => rng.NextInt64(int.MinValue, int.MaxValue) * 3L, 1 => rng.Next(-100_000, 100_000), _ => rng.Next(-200, 200) };
            if (rng.Next(3) == 0 && set.Count > 1)
            {
                long victim = set.IntegerAt(rng.Next(set.Count));
                Assert.True(set.Remove(B(victim.ToString())));
                model.Remove(victim);
            }
            else Assert.Equal(model.Add(value), set.AddInteger(value, 512));
            EndCommand();
            if (i % 101 == 0) AssertAccountingExact(_db);
        }
        var final = _db.Get<SetValue>(B("s"))!;
        Assert.Equal("intset", final.Encoding);
        Assert.Equal(model.ToList(), Members(final));
        Assert.Equal(0, _db.Keys.ObjectBytes);
        AssertAccountingExact(_db);
    }

    [Fact]
    public void AnIntsetViewConvertsOnATextMemberOrPastTheLimit()
    {
        AddSet(_db, "text", 1, 2, 3);
        AddSet(_db, "many", 1, 2, 3);
        EndCommand();
        var text = _db.Get<SetValue>(B("text"))!;
        Assert.True(text.Add(B("abc"), 512));
        Assert.Equal("hashtable", text.Encoding);
        var many = _db.Get<SetValue>(B("many"))!;
        Assert.True(many.AddInteger(4, 3));
        Assert.Equal("hashtable", many.Encoding);
        Assert.Equal(text.MemoryBytes + many.MemoryBytes, _db.Keys.ObjectBytes);
        EndCommand();
        Assert.Same(text, _db.Get<SetValue>(B("text")));
        Assert.Equal(4, _db.Get<SetValue>(B("many"))!.Count);
        Assert.True(_db.Get<SetValue>(B("text"))!.Contains(B("2")));
        AssertAccountingExact(_db);
    }

    [Fact]
    public void AnIntsetViewTakesTheContentsOfAnotherSet()
    {
        AddSet(_db, "s", 1, 2, 3, 4, 5, 6);
        EndCommand();
        var set = _db.Get<SetValue>(B("s"))!;
        var survivors = new SetValue([], forIntegers: true);
        survivors.AddInteger(100_000, 512);
        survivors.AddInteger(7, 512);
        set.TakeContents(survivors);
        EndCommand();
        Assert.Equal([7, 100_000], Members(_db.Get<SetValue>(B("s"))!));
        var table = new SetValue([], forIntegers: false);
        table.Add(B("x"), 512);
        _db.Get<SetValue>(B("s"))!.TakeContents(table);
        EndCommand();
        var now = _db.Get<SetValue>(B("s"))!;
        Assert.Equal("hashtable", now.Encoding);
        Assert.True(now.Contains(B("x")));
        Assert.Equal("s", S(now.Key));
        AssertAccountingExact(_db);
    }

    [Fact]
    public void ADeletedIntsetViewKeepsItsMembers()
    {
        AddSet(_db, "s", 1, 2);
        EndCommand();
        var set = _db.Get<SetValue>(B("s"))!;
        _db.Delete(B("s"));
        AddSet(_db, "t", 9);
        Assert.True(set.AddInteger(3, 512));
        Assert.Equal([1, 2, 3], Members(set));
        Assert.Equal([9], Members(_db.Get<SetValue>(B("t"))!));
        EndCommand();
        Assert.Equal([9], Members(_db.Get<SetValue>(B("t"))!));
    }

    void AddSortedSet(Db db, string key, params (double Score, string Member)[] entries)
    {
        var zset = SortedSetValue.Create(B(key), packed: true);
        foreach (var (score, member) in entries) zset.Add(score, B(member), ZAddFlags.None, 128, 64, out _);
        db.Add(zset);
    }

    static List<(double, string)> Entries(SortedSetValue zset)
    {
        var list = new List<(double, string)>();
        for (var c = zset.At(0); c.IsValid; c.MoveNext()) list.Add((c.Score, S(c.Member)));
        return list;
    }

    [Fact]
    public void ASortedSetViewKeepsOrderThroughAddsRemovesAndRanges()
    {
        AddSortedSet(_db, "z", (1, "a"));
        EndCommand();
        int entry = _db.Keys.Find(B("z"));
        Assert.Equal(RecordKind.SortedSet, _db.Keys.Kind(entry));
        Assert.Equal(DataType.ZSet, _db.Keys.Type(entry));
        var model = new Dictionary<string, double> { ["a"] = 1 };
        var rng = new Random(9);
        for (int i = 0; i < 3000; i++)
        {
            var z = _db.Get<SortedSetValue>(B("z"))!;
            string member = "m" + rng.Next(80);
            double score = rng.Next(4) == 0 ? rng.NextDouble() * 1e6 : rng.Next(-50, 50);
            switch (rng.Next(6))
            {
                case 0:
                    Assert.Equal(model.Remove(member), z.Remove(B(member)));
                    break;
                case 1 when z.Count > 3:
                    int rank = rng.Next(z.Count - 2);
                    foreach (var (_, m) in Entries(z).Skip(rank).Take(2)) model.Remove(m);
                    z.RemoveRange(rank, 2);
                    break;
                default:
                    z.Add(score, B(member), ZAddFlags.None, 128, 64, out _);
                    model[member] = score;
                    break;
            }
            if (z.Count == 0)
            {
                _db.Delete(B("z"));
                AddSortedSet(_db, "z", (1, "a"));
                model["a"] = 1;
            }
            z.Validate();
            EndCommand();
            if (i % 103 == 0) AssertAccountingExact(_db);
        }
        var final = _db.Get<SortedSetValue>(B("z"))!;
        Assert.True(final.IsPacked);
        Assert.Equal(model.OrderBy(p => p.Value).ThenBy(p => p.Key, StringComparer.Ordinal).Select(p => (p.Value, p.Key)).ToList(), Entries(final));
        Assert.Equal(0, _db.Keys.ObjectBytes);
    }

    [Fact]
    public void ASortedSetViewConvertsToTheTree()
    {
        AddSortedSet(_db, "z", (1, "a"), (2, "b"));
        EndCommand();
        var z = _db.Get<SortedSetValue>(B("z"))!;
        z.Add(3, B(new string('c', 100)), ZAddFlags.None, 128, 64, out _);
        Assert.Equal("skiplist", z.Encoding);
        Assert.Equal(z.MemoryBytes, _db.Keys.ObjectBytes);
        EndCommand();
        var again = _db.Get<SortedSetValue>(B("z"))!;
        Assert.Same(z, again);
        Assert.Equal([(1, "a"), (2, "b"), (3, new string('c', 100))], Entries(again));
        again.Validate();
        AssertAccountingExact(_db);
    }

    [Fact]
    public void ADeletedSortedSetViewKeepsItsEntries()
    {
        AddSortedSet(_db, "z", (1, "a"), (2, "b"));
        EndCommand();
        var z = _db.Get<SortedSetValue>(B("z"))!;
        _db.Delete(B("z"));
        AddSortedSet(_db, "y", (5, "e"));
        z.Add(0, B("first"), ZAddFlags.None, 128, 64, out _);
        Assert.Equal([(0, "first"), (1, "a"), (2, "b")], Entries(z));
        Assert.Equal([(5, "e")], Entries(_db.Get<SortedSetValue>(B("y"))!));
        EndCommand();
        Assert.Equal([(5, "e")], Entries(_db.Get<SortedSetValue>(B("y"))!));
    }

    void AddList(Db db, string key, int fill, params string[] elements)
    {
        var list = new QuickList(B(key), fill);
        foreach (var e in elements) list.PushTail(B(e));
        db.Add(list);
    }

    static List<string> Elements(QuickList list)
    {
        var all = new List<string>();
        var cursor = list.At(0, forward: true);
        Span<byte> scratch = stackalloc byte[20];
        while (cursor.Next(out var e)) all.Add(S(e.Text(scratch)));
        return all;
    }

    [Fact]
    public void AListViewEditsItsOneNodeInTheRecord()
    {
        AddList(_db, "l", -2, "a");
        EndCommand();
        int entry = _db.Keys.Find(B("l"));
        Assert.Equal(RecordKind.List, _db.Keys.Kind(entry));
        Assert.Equal(DataType.List, _db.Keys.Type(entry));
        var model = new List<string> { "a" };
        var rng = new Random(13);
        for (int i = 0; i < 4000; i++)
        {
            var list = _db.Get<QuickList>(B("l"))!;
            string value = rng.Next(3) == 0 ? rng.Next(-300, 300).ToString() : new string((char)('a' + rng.Next(26)), rng.Next(0, 70));
            switch (rng.Next(8))
            {
                case 0: list.PushHead(B(value)); model.Insert(0, value); break;
                case 1: list.PushTail(B(value)); model.Add(value); break;
                case 2 when model.Count > 1: list.RemoveEnd(head: true); model.RemoveAt(0); break;
                case 3 when model.Count > 1: list.RemoveEnd(head: false); model.RemoveAt(model.Count - 1); break;
                case 4:
                    int at = rng.Next(model.Count);
                    list.Set(at, B(value));
                    model[at] = value;
                    break;
                case 5:
                    int pivot = rng.Next(model.Count);
                    bool after = rng.Next(2) == 0;
                    list.Insert(pivot, after, B(value));
                    model.Insert(after ? pivot + 1 : pivot, value);
                    break;
                case 6 when model.Count > 2:
                    var victim = model[rng.Next(model.Count)];
                    long removed = list.RemoveMatching(new ListElement(B(victim)), 0, fromTail: rng.Next(2) == 0);
                    Assert.Equal(model.RemoveAll(x => x == victim), removed);
                    if (model.Count == 0)
                    {
                        _db.Delete(B("l"));
                        AddList(_db, "l", -2, "a");
                        model.Add("a");
                    }
                    break;
                default:
                    // Keep it within one node: trim from the head when it grows past ~4 KB.
                    if (model.Sum(x => x.Length + 2) > 4000)
                    {
                        list.RemoveHead(model.Count / 2);
                        model.RemoveRange(0, model.Count / 2);
                    }
                    break;
            }
            list.Validate();
            Assert.Equal(model.Count, list.Count);
            EndCommand();
            if (i % 97 == 0) AssertAccountingExact(_db);
        }
        var final = _db.Get<QuickList>(B("l"))!;
        Assert.Equal(1, final.NodeCount);
        Assert.Equal(RecordKind.List, _db.Keys.Kind(_db.Keys.Find(B("l"))));
        Assert.Equal(model, Elements(final));
        Assert.Equal(0, _db.Keys.ObjectBytes);
    }

    [Fact]
    public void AListViewNeedingASecondNodeBecomesTheEntrysManagedObject()
    {
        AddList(_db, "l", 4, "1", "2", "3");
        EndCommand();
        var list = _db.Get<QuickList>(B("l"))!;
        list.PushTail(B("4"));
        Assert.Equal(1, list.NodeCount);
        list.PushTail(B("5")); // fill 4: a second node
        Assert.Equal(2, list.NodeCount);
        Assert.Equal(RecordKind.String, _db.Keys.Kind(_db.Keys.Find(B("l"))));
        Assert.Equal(list.MemoryBytes, _db.Keys.ObjectBytes);
        list.Validate();
        EndCommand();
        var again = _db.Get<QuickList>(B("l"))!;
        Assert.Same(list, again);
        Assert.Equal(["1", "2", "3", "4", "5"], Elements(again));
        again.PushHead(B("0"));
        again.Validate();
        Assert.Equal(again.MemoryBytes, _db.Keys.ObjectBytes);
        AssertAccountingExact(_db);

        // The split of a record's node in LINSERT takes the same way out.
        AddList(_db, "m", 4, "a", "b", "c", "d");
        EndCommand();
        var m = _db.Get<QuickList>(B("m"))!;
        m.Insert(1, after: true, B("x"));
        m.Validate();
        Assert.Equal(["a", "b", "x", "c", "d"], Elements(m));
        Assert.Equal(again.MemoryBytes + m.MemoryBytes, _db.Keys.ObjectBytes);
        EndCommand();
        AssertAccountingExact(_db);
    }

    [Fact]
    public void AListViewEmptiedAndRefilledInOneCommandStaysARecord()
    {
        AddList(_db, "l", -2, "only");
        EndCommand();
        var source = _db.Get<QuickList>(B("l"))!;
        var destination = _db.Get<QuickList>(B("l"))!; // LMOVE l l: one view
        Assert.Same(source, destination);
        source.RemoveEnd(head: true);
        Assert.Equal(0, source.Count);
        destination.PushHead(B("only"));
        destination.Validate();
        EndCommand();
        Assert.Equal(RecordKind.List, _db.Keys.Kind(_db.Keys.Find(B("l"))));
        Assert.Equal(["only"], Elements(_db.Get<QuickList>(B("l"))!));
    }

    [Fact]
    public void ADeletedListViewKeepsItsElements()
    {
        AddList(_db, "l", -2, "a", "b");
        EndCommand();
        var list = _db.Get<QuickList>(B("l"))!;
        _db.Delete(B("l"));
        AddList(_db, "k", -2, "z");
        list.PushTail(B("c"));
        Assert.Equal(["a", "b", "c"], Elements(list));
        Assert.Equal("l", S(list.Key));
        Assert.Equal(["z"], Elements(_db.Get<QuickList>(B("k"))!));
        EndCommand();
        Assert.Equal(["z"], Elements(_db.Get<QuickList>(B("k"))!));
    }

    [Fact]
    public void SteadyStateCommandsAllocateNothing()
    {
        for (int k = 0; k < 10; k++) AddHash(_db, "h" + k, "field", "xyz", "counter", "1");
        AddSet(_db, "ints", 1000, 2000);
        var setKey = B("ints");
        AddSortedSet(_db, "zset", (1, "one"), (2, "two"));
        var zsetKey = B("zset");
        AddList(_db, "list", -2, "x", "y");
        var listKey = B("list");
        var digits = Enumerable.Range(0, 100).Select(i => B(i.ToString())).ToArray();
        byte[] B3(int i) => digits[i];
        EndCommand();
        var keys = Enumerable.Range(0, 10).Select(k => B("h" + k)).ToArray();
        byte[] field = B("field"), value = B("abc"), other = B("other");
        void Round()
        {
            for (int i = 0; i < 100; i++)
            {
                var h = _db.Get<HashValue>(keys[i % 10])!;
                h.Set(field, value, 128, 64);
                var second = _db.Get<HashValue>(keys[(i + 1) % 10])!;
                second.TryGet(field, out _);
                h.Set(other, value, 128, 64);
                h.Remove(other);
                var set = _db.Get<SetValue>(setKey)!;
                set.AddInteger(i, 512);
                set.Contains(field);
                set.Remove(B3(i));
                var zset = _db.Get<SortedSetValue>(zsetKey)!;
                zset.Add(i, field, ZAddFlags.None, 128, 64, out _);
                zset.Add(i, other, ZAddFlags.None, 128, 64, out _);
                zset.Remove(other);
                zset.TryGetScore(field, out _);
                var list = _db.Get<QuickList>(listKey)!;
                list.PushHead(value);
                list.PushTail(field);
                list.Get(1);
                list.RemoveEnd(head: true);
                list.RemoveEnd(head: false);
                _views.ReturnTo(0);
            }
            _db.Keys.FreeRemoved();
        }
        Round();
        long before = GC.GetAllocatedBytesForCurrentThread();
        Round();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
