using System.Diagnostics;
using System.Globalization;
using System.Text;
using Xunit;
using Dataset = Vermilion.Tests.RdbFileTests.Dataset;
using KeepingSink = Vermilion.Tests.RdbFileTests.KeepingSink;

namespace Vermilion.Tests;

/// <summary>
/// A big value written across slices (Persistence/Snapshot.cs): the writers' resumable form
/// (BeginKey, WriteElements, the side buffer) makes the very bytes of a whole write, and a
/// snapshot stepped a few elements at a time, with keys and the big values themselves changed
/// in between, leaves the dataset of the cut.
/// </summary>
public class SnapshotTests
{
    static readonly long Later = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + 100_000_000;

    static byte[] B(string s) => Encoding.ASCII.GetBytes(s);

    /// <summary>
    /// Each big encoding first in database 0 (so the walk reaches them before the small keys),
    /// then small keys of every kind; database 1 has its own keys and a big set.
    /// </summary>
    static void Fill(Dataset data)
    {
        var db = data.Dbs[0];
        var set = new SetValue("bigset"u8, forIntegers: false);
        for (int i = 0; i < 1000; i++) set.Add(B("member:" + i), 512);
        db.Add(set);
        var hash = HashValue.CreateTable("bighash"u8, 1000);
        for (int i = 0; i < 1000; i++) hash.AddIfAbsent(B("field:" + i), B("value:" + i));
        db.Add(hash);
        db.SetExpire("bighash"u8, Later);
        db.Add(SortedSetValue.Build("bigzset"u8, Enumerable.Range(0, 1000).Select(i => (i * 0.5, B("m" + i))).ToList(), packed: false));
        var list = new QuickList(B("biglist"), 8);
        for (int i = 0; i < 1000; i++) list.PushTail(B(i % 3 == 0 ? i.ToString(CultureInfo.InvariantCulture) : "element:" + i));
        db.Add(list);
        for (int i = 0; i < 50; i++) db.Set(B("s:" + i), B("value:" + i));
        db.SetExpire("s:7"u8, Later);
        var small = new HashValue("smallhash"u8);
        small.AddIfAbsent("f"u8, "v"u8);
        db.Add(small);
        var ints = new SetValue("intset"u8, forIntegers: true);
        ints.Add("42"u8, 512);
        db.Add(ints);
        db.Add(SortedSetValue.Build("smallzset"u8, [(1, "a"u8.ToArray())], packed: true));
        var one = data.Dbs[1];
        for (int i = 0; i < 20; i++) one.Set(B("t:" + i), B("other:" + i));
        var set1 = new SetValue("bigset1"u8, forIntegers: false);
        for (int i = 0; i < 300; i++) set1.Add(B("x" + i), 512);
        one.Add(set1);
    }

    /// <summary>Every key of every database as text (elements sorted where the order is the encoding's), sorted: what a loaded file must equal.</summary>
    static List<string> Describe(Db[] dbs)
    {
        var lines = new List<string>();
        Span<byte> digits = stackalloc byte[24];
        for (int d = 0; d < dbs.Length; d++)
        {
            var keys = dbs[d].Keys;
            int mark = keys.Views.Lent;
            foreach (int e in keys.Entries())
            {
                string head = $"{d} {Encoding.Latin1.GetString(keys.Key(e))} ttl={keys.Deadline(e)} ";
                if (keys.TryGetString(e, out var text))
                {
                    lines.Add(head + "string " + Encoding.Latin1.GetString(text));
                    continue;
                }
                var items = new List<string>();
                switch (keys.Object(e))
                {
                    case QuickList list:
                        var cursor = list.At(0, forward: true);
                        while (cursor.Next(out var item)) items.Add(Encoding.Latin1.GetString(item.Text(digits)));
                        lines.Add(head + "list " + string.Join(",", items));
                        continue;
                    case SetValue set:
                        for (int i = 0; i < set.Count; i++)
                            items.Add(set.IsIntSet ? set.IntegerAt(i).ToString(CultureInfo.InvariantCulture) : Encoding.Latin1.GetString(set.MemberAt(i)));
                        break;
                    case HashValue hash:
                        for (int p = hash.FirstPair(); p >= 0; p = hash.NextPair(p))
                            items.Add(Encoding.Latin1.GetString(hash.FieldAt(p)) + "=" + Encoding.Latin1.GetString(hash.ValueAt(p)));
                        break;
                    case SortedSetValue zset:
                        for (var c = zset.At(0); c.IsValid; c.MoveNext())
                            items.Add(Encoding.Latin1.GetString(c.Read(out double score)) + ":" + score.ToString("R", CultureInfo.InvariantCulture));
                        break;
                }
                items.Sort(StringComparer.Ordinal);
                lines.Add(head + string.Join(",", items));
            }
            keys.Views.ReturnTo(mark);
        }
        lines.Sort(StringComparer.Ordinal);
        return lines;
    }

    static IDatasetWriter NewWriter(string format, KeepingSink sink, Dataset data) => format == "rdb"
        ? new RdbFileWriter(sink, new RdbFileOptions { Compression = true, Checksum = true, CreatedAt = 1, UsedMemory = 1 }, data.Eviction)
        : new AofRewriter(sink, timestamp: 1);

    /// <summary>
    /// The same keys in the same order, written whole or a few elements at a time with keys set
    /// aside meanwhile (two databases, so the side buffer needs its own SELECTDB/SELECT and the
    /// stream another after it): the bytes are the same, the RDB checksum too.
    /// </summary>
    [Theory]
    [InlineData("rdb")]
    [InlineData("aof")]
    public void ABigValueWrittenAFewElementsAtATimeIsTheBytesOfAWholeWrite(string format)
    {
        using var data = new Dataset();
        Fill(data);
        var keys0 = data.Dbs[0].Keys;
        var keys1 = data.Dbs[1].Keys;
        var walk = keys0.Entries().ToList();
        var db1 = keys1.Entries().ToList();
        // While each big value (the first four entries) is open: a key of database 1 and a later one of database 0.
        var aside = Enumerable.Range(0, 4).Select(i => new[] { (1, db1[i]), (0, walk[^(i + 1)]) }).ToArray();

        var whole = new KeepingSink();
        using (var file = NewWriter(format, whole, data))
        {
            var done = new HashSet<(int, int)>();
            file.BeginDatabase(0, keys0.Count, keys0.VolatileCount);
            for (int k = 0; k < walk.Count; k++)
            {
                if (!done.Add((0, walk[k]))) continue;
                file.WriteKey(0, keys0, walk[k]);
                if (k < 4)
                    foreach (var (db, entry) in aside[k])
                        if (done.Add((db, entry))) file.WriteKey(db, db == 0 ? keys0 : keys1, entry);
            }
            file.BeginDatabase(1, keys1.Count, keys1.VolatileCount);
            foreach (int entry in db1)
                if (done.Add((1, entry))) file.WriteKey(1, keys1, entry);
            file.Finish();
        }

        var sliced = new KeepingSink();
        long[] budgets = [1, 2, 3, 7, 64];
        int calls = 0;
        using (var file = NewWriter(format, sliced, data))
        {
            var done = new HashSet<(int, int)>();
            file.BeginDatabase(0, keys0.Count, keys0.VolatileCount);
            for (int k = 0; k < walk.Count; k++)
            {
                if (!done.Add((0, walk[k]))) continue;
                if (file.BeginKey(0, keys0, walk[k])) continue;
                Assert.True(k < 4, $"entry {k} is not a big value");
                int set = 0;
                while (true)
                {
                    long budget = budgets[calls++ % budgets.Length];
                    if (file.WriteElements(keys0, walk[k], ref budget)) break;
                    if (set < 2)
                    {
                        var (db, entry) = aside[k][set++];
                        if (done.Add((db, entry))) file.WriteKeyAside(db, db == 0 ? keys0 : keys1, entry);
                    }
                }
                Assert.Equal(2, set);
                file.JoinAside();
            }
            file.BeginDatabase(1, keys1.Count, keys1.VolatileCount);
            foreach (int entry in db1)
                if (done.Add((1, entry))) Assert.True(file.BeginKey(1, keys1, entry) || WriteAll(file, keys1, entry));
            file.Finish();
        }
        Assert.True(calls > 200, $"{calls} calls");
        Assert.Equal(Convert.ToHexString(whole.Bytes), Convert.ToHexString(sliced.Bytes));
        if (format == "rdb")
        {
            var (ok, loader, loaded) = RdbFileTests.Load(sliced.Bytes);
            using (loaded)
            {
                Assert.True(ok, loader.Error);
                Assert.Equal(Describe(data.Dbs), Describe(loaded.Dbs));
            }
        }
    }

    static bool WriteAll(IDatasetWriter file, Keyspace keys, int entry)
    {
        long all = long.MaxValue;
        return file.WriteElements(keys, entry, ref all);
    }

    /// <summary>
    /// A snapshot stepped a few keys or elements at a time: each big value spans many slices;
    /// meanwhile keys not yet saved are changed (set aside, under their own SELECTDB), a database
    /// is flushed (adopted), and two of the big values are changed or deleted while half written
    /// (finished first). The file loads to the dataset of the cut.
    /// </summary>
    [Fact]
    public void ASnapshotWritesBigValuesAcrossSlicesAndTheFileIsTheCut()
    {
        using var data = new Dataset();
        Fill(data);
        var cut = Describe(data.Dbs);
        var sink = new KeepingSink();
        var file = new RdbFileWriter(sink, new RdbFileOptions { Compression = true, Checksum = true, CreatedAt = 1, UsedMemory = 1 }, data.Eviction);
        var released = new List<Keyspace>();
        var keyspaces = data.Dbs.Select(d => d.Keys).ToArray();
        int slices = 0, openSlices = 0;
        using (var snapshot = new Snapshot(file, keyspaces, k => { released.Add(k); k.Release(); }))
        {
            long far = Stopwatch.GetTimestamp() + Stopwatch.Frequency * 600;
            bool Step(long items)
            {
                slices++;
                bool done = snapshot.Step(far, items);
                if (snapshot.IsWritingValue) openSlices++;
                return done;
            }
            void StepUntilAValueIsOpen()
            {
                while (!snapshot.IsWritingValue) Assert.False(Step(1));
            }
            var db0 = data.Dbs[0];
            var db1 = data.Dbs[1];

            // bigset: half written, then keys of both databases change, then the set itself.
            StepUntilAValueIsOpen();
            for (int i = 0; i < 20; i++) Step(7);
            Assert.True(snapshot.IsWritingValue);
            db0.Set("s:40"u8, "changed"u8);
            db1.Set("t:3"u8, "changed"u8);
            Assert.True(db0.Delete("s:41"u8));
            db1.Set("born-after-the-cut"u8, "x"u8);
            for (int i = 0; i < 20; i++) Step(7);
            db0.Get<SetValue>("bigset"u8)!.Add("added-after-the-cut"u8, 512);
            Assert.False(snapshot.IsWritingValue);

            // bighash (with a deadline): deleted while half written.
            StepUntilAValueIsOpen();
            for (int i = 0; i < 30; i++) Step(5);
            db0.Set("s:42"u8, "changed"u8);
            Assert.True(db0.Delete("bighash"u8));
            Assert.False(snapshot.IsWritingValue);

            // bigzset: database 1 flushed meanwhile (the snapshot keeps it), then the walk finishes the set.
            StepUntilAValueIsOpen();
            for (int i = 0; i < 10; i++) Step(3);
            var flushed = db1.Clear()!;
            Assert.True(snapshot.Adopt(flushed));
            db1.Set("t:0"u8, "in the new keyspace"u8);
            db0.Get<SortedSetValue>("smallzset"u8)!.Add(9, "z"u8, ZAddFlags.None, 128, 64, out _);
            while (snapshot.IsWritingValue) Step(11);

            // biglist, node by node, and everything else.
            while (!Step(13)) { }
            Assert.Same(flushed, Assert.Single(released));
        }
        Assert.True(openSlices > 200, $"{openSlices} of {slices} slices ended inside a value");
        var (ok, loader, loaded) = RdbFileTests.Load(sink.Bytes);
        using (loaded)
        {
            Assert.True(ok, loader.Error);
            Assert.Equal(cut, Describe(loaded.Dbs));
        }
    }

    /// <summary>A snapshot ended in the middle of a value (CancelSnapshot, SHUTDOWN): the writer and its side buffer are abandoned, the hooks gone.</summary>
    [Fact]
    public void ASnapshotCancelledInsideAValueLeavesNoHook()
    {
        using var data = new Dataset();
        Fill(data);
        var sink = new KeepingSink();
        var file = new AofRewriter(sink, timestamp: null);
        var snapshot = new Snapshot(file, data.Dbs.Select(d => d.Keys).ToArray(), _ => { });
        long far = Stopwatch.GetTimestamp() + Stopwatch.Frequency * 600;
        while (!snapshot.IsWritingValue) Assert.False(snapshot.Step(far, 1));
        data.Dbs[1].Set("t:1"u8, "set aside"u8);
        snapshot.Dispose();
        Assert.False(snapshot.IsWritingValue);
        Assert.All(data.Dbs, d => Assert.Null(d.Keys.BeforeFirstChange));
        long before = sink.Chunks.Sum(c => (long)c.Copy.Length);
        data.Dbs[0].Get<SetValue>("bigset"u8)!.Add("after"u8, 512);
        Assert.Equal(before, sink.Chunks.Sum(c => (long)c.Copy.Length));
    }
}
