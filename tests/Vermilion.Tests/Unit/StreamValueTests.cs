using System.Text;
using Xunit;

namespace Vermilion.Tests;

/// <summary>The stream's nodes: adds across node bounds, deletes, ranges both ways, trims exact and approximate, node validation.</summary>
public class StreamValueTests
{
    static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

    static CommandArgs Args(params string[] fieldsAndValues)
    {
        var a = new CommandArgs();
        a.SetAll(fieldsAndValues.Select(B).ToArray());
        return a;
    }

    static StreamValue Filled(int n, int maxEntries = 100, int maxBytes = 4096)
    {
        var s = new StreamValue(B("s"));
        for (int i = 1; i <= n; i++)
            Assert.True(s.Append(new StreamId((ulong)i, 0), i % 3 == 0 ? Args("a", i.ToString(), "b", "x") : Args("a", i.ToString()), 0, maxBytes, maxEntries));
        return s;
    }

    static List<(ulong Ms, string Fields)> Read(StreamValue s, StreamId start, StreamId end, bool reverse = false)
    {
        var list = new List<(ulong, string)>();
        var it = s.Range(start, end, reverse);
        Span<byte> fd = stackalloc byte[20], vd = stackalloc byte[20];
        while (it.Next())
        {
            var sb = new StringBuilder();
            for (int i = 0; i < it.FieldCount; i++)
            {
                it.ReadField(fd, vd, out var f, out var v);
                sb.Append(Encoding.UTF8.GetString(f)).Append('=').Append(Encoding.UTF8.GetString(v)).Append(';');
            }
            list.Add((it.Id.Ms, sb.ToString()));
        }
        return list;
    }

    [Fact]
    public void AddsSplitIntoNodesAndRangesReadBothWays()
    {
        var s = Filled(1000);
        Assert.Equal(1000, s.Length);
        Assert.Equal(10, s.NodeCount);
        for (int i = 0; i < s.NodeCount; i++) Assert.True(StreamValue.ValidateNode(s.NodeListpack(i)));
        var all = Read(s, StreamId.Zero, StreamId.Max);
        Assert.Equal(Enumerable.Range(1, 1000).Select(i => (ulong)i), all.Select(e => e.Ms));
        Assert.Equal("a=3;b=x;", all[2].Fields);
        Assert.Equal("a=4;", all[3].Fields);
        var rev = Read(s, new StreamId(95, 0), new StreamId(205, 0), reverse: true);
        Assert.Equal(Enumerable.Range(95, 111).Reverse().Select(i => (ulong)i), rev.Select(e => e.Ms));
        Assert.Equal(new StreamId(1000, 0), s.LastId);
        Assert.Equal(new StreamId(1, 0), s.FirstId);
    }

    [Fact]
    public void ByteBoundStartsNewNodes()
    {
        var s = Filled(200, maxEntries: 0, maxBytes: 200);
        Assert.True(s.NodeCount > 10);
        Assert.Equal(200, Read(s, StreamId.Zero, StreamId.Max).Count);
    }

    [Fact]
    public void DeletesMarkEntriesAndDropEmptyNodes()
    {
        var s = Filled(250);
        Assert.True(s.Delete(new StreamId(5, 0)));
        Assert.False(s.Delete(new StreamId(5, 0)));
        Assert.False(s.Delete(new StreamId(5000, 0)));
        Assert.Equal(249, s.Length);
        for (int i = 1; i <= 100; i++) s.Delete(new StreamId((ulong)i, 0));
        Assert.Equal(2, s.NodeCount);
        Assert.Equal(150, Read(s, StreamId.Zero, StreamId.Max).Count);
        Assert.Equal(new StreamId(101, 0), s.EdgeId(first: true, skipTombstones: true));
        Assert.Equal(150, s.CountedEntries());
    }

    [Fact]
    public void TrimsExactAndApproximate()
    {
        var s = Filled(1000);
        Assert.Equal(0, s.Trim(StreamValue.TrimStrategy.MaxLen, 950, default, approx: true, limit: 10000));
        Assert.Equal(100, s.Trim(StreamValue.TrimStrategy.MaxLen, 850, default, approx: true, limit: 10000));
        Assert.Equal(900, s.Length);
        Assert.Equal(50, s.Trim(StreamValue.TrimStrategy.MaxLen, 850, default, approx: false, limit: 0));
        Assert.Equal(850, s.Length);
        Assert.Equal(new StreamId(151, 0), s.FirstId);
        Assert.Equal(49, s.Trim(StreamValue.TrimStrategy.MinId, 0, new StreamId(200, 0), approx: false, limit: 0));
        Assert.Equal(new StreamId(200, 0), s.FirstId);
        Assert.Equal(1, s.Trim(StreamValue.TrimStrategy.MinId, 0, new StreamId(250, 0), approx: true, limit: 10000));
        Assert.Equal(100, s.Trim(StreamValue.TrimStrategy.MinId, 0, new StreamId(350, 0), approx: true, limit: 10000));
        Assert.Equal(new StreamId(301, 0), s.FirstId);
        Assert.Equal(700, Read(s, StreamId.Zero, StreamId.Max).Count);
        Assert.Equal(0, s.Trim(StreamValue.TrimStrategy.MaxLen, 0, default, approx: true, limit: 50));
    }

    [Fact]
    public void IdsParseAsRedis()
    {
        Assert.True(StreamId.TryParse(B("18446744073709551615-18446744073709551615"), 0, true, out var id, false, out _));
        Assert.Equal(StreamId.Max, id);
        Assert.False(StreamId.TryParse(B("18446744073709551616-0"), 0, true, out _, false, out _));
        Assert.False(StreamId.TryParse(B("-"), 0, true, out _, false, out _));
        Assert.True(StreamId.TryParse(B("+"), 0, false, out id, false, out _));
        Assert.Equal(StreamId.Max, id);
        Assert.True(StreamId.TryParse(B("5"), ulong.MaxValue, true, out id, false, out _));
        Assert.Equal(new StreamId(5, ulong.MaxValue), id);
        Assert.True(StreamId.TryParse(B("5-*"), 0, true, out id, true, out bool seqGiven));
        Assert.False(seqGiven);
        Assert.False(StreamId.TryParse(B("-1"), 0, true, out _, false, out _));
        Assert.False(StreamId.TryParse(B("1-2-3"), 0, true, out _, false, out _));
    }
}
