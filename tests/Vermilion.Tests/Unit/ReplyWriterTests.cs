using System.Text;
using Vermilion;
using Xunit;

namespace Vermilion.Tests;

public class ReplyWriterTests
{
    readonly BufferPool _pool = new();
    readonly Stats _stats = new();

    static string Drain(ReplyWriter w)
    {
        var all = new List<byte>();
        while (w.HasPending)
        {
            var chunk = w.Pending;
            all.AddRange(chunk.ToArray());
            w.Consume(chunk.Length);
        }
        return Encoding.Latin1.GetString(all.ToArray());
    }

    [Fact]
    public void Resp2Encodings()
    {
        var w = new ReplyWriter(_pool, _stats);
        w.Ok(); w.Integer(-42); w.Bulk("hi"u8); w.Null(); w.NullArray(); w.ArrayHeader(2); w.MapHeader(2); w.SetHeader(3);
        w.Bool(true); w.Double(1.5); w.Verbatim("txt!"); w.Error("bad thing"); w.Error("-WRONGTYPE x");
        Assert.Equal("+OK\r\n:-42\r\n$2\r\nhi\r\n$-1\r\n*-1\r\n*2\r\n*4\r\n*3\r\n:1\r\n$3\r\n1.5\r\n$4\r\ntxt!\r\n-ERR bad thing\r\n-WRONGTYPE x\r\n", Drain(w));
        Assert.Equal(2, _stats.ErrorReplies);
        Assert.Equal(1, _stats.ErrorCodes["ERR"]);
        Assert.Equal(1, _stats.ErrorCodes["WRONGTYPE"]);
    }

    /// <summary>Bulks of every length around the in-place path's limits (one and two digits, 64, 100),
    /// +OK and raw bytes, written from every fill level of the first buffer so some straddle its end
    /// and go the reserving way.</summary>
    [Fact]
    public void ShortRepliesAtEveryBufferFill()
    {
        var expected = new StringBuilder();
        var w = new ReplyWriter(_pool, _stats);
        var rng = new Random(99);
        for (int round = 0; round < 600; round++)
        {
            switch (rng.Next(3))
            {
                case 0:
                    w.Ok();
                    expected.Append("+OK\r\n");
                    break;
                case 1:
                    var raw = new byte[rng.Next(0, 40)];
                    rng.NextBytes(raw);
                    w.Raw(raw);
                    expected.Append(Encoding.Latin1.GetString(raw));
                    break;
                default:
                    var value = new byte[rng.Next(0, 130)];
                    rng.NextBytes(value);
                    w.Bulk(value);
                    expected.Append('$').Append(value.Length).Append("\r\n").Append(Encoding.Latin1.GetString(value)).Append("\r\n");
                    break;
            }
        }
        Assert.True(w.ListNodes > 0, "the first buffer never filled up");
        Assert.Equal(expected.ToString(), Drain(w));
    }

    [Fact]
    public void Resp3Encodings()
    {
        var w = new ReplyWriter(_pool, _stats) { Resp = 3 };
        w.Null(); w.NullArray(); w.MapHeader(2); w.SetHeader(3); w.PushHeader(1); w.Bool(false); w.Double(double.PositiveInfinity); w.Verbatim("ab");
        Assert.Equal("_\r\n_\r\n%2\r\n~3\r\n>1\r\n#f\r\n,inf\r\n=6\r\ntxt:ab\r\n", Drain(w));
    }

    [Fact]
    public void ErrorTextCannotBreakTheProtocol()
    {
        var w = new ReplyWriter(_pool, _stats);
        w.Error("a\r\nb");
        Assert.Equal("-ERR a  b\r\n", Drain(w));
    }

    [Fact]
    public void LargeRepliesSpillIntoListNodesThatCountAsListBytes()
    {
        var w = new ReplyWriter(_pool, _stats);
        var big = new byte[200_000];
        new Random(1).NextBytes(big);
        w.Bulk("x"u8);
        w.Bulk(big);
        Assert.True(w.ListNodes >= 1);
        Assert.True(w.ListBytes >= 180_000);
        var text = Drain(w);
        Assert.StartsWith("$1\r\nx\r\n$200000\r\n", text);
        Assert.Equal(Encoding.Latin1.GetString(big), text.Substring(16, 200_000));
        Assert.Equal(0, w.ListBytes);
    }

    [Fact]
    public void BuffersAreReturnedToThePoolOnceDrained()
    {
        var w = new ReplyWriter(_pool, _stats);
        for (int i = 0; i < 5000; i++) w.Bulk("0123456789"u8);
        Assert.True(_pool.Leased > 1);
        Drain(w);
        Assert.Equal(0, _pool.Leased);
        Assert.Equal(0, w.BufferSize);
    }

    [Fact]
    public void PartialConsumeKeepsTheRest()
    {
        var w = new ReplyWriter(_pool, _stats);
        w.Simple("HELLO"u8);
        w.Consume(3);
        Assert.Equal("LLO\r\n", Encoding.ASCII.GetString(w.Pending));
    }

    [Fact]
    public void MutedWriterWritesNothing()
    {
        var w = new ReplyWriter(_pool, _stats) { Muted = true };
        w.Ok(); w.Bulk("x"u8); w.Integer(1);
        Assert.False(w.HasPending);
        Assert.Equal(0, _pool.Leased);
    }

    [Fact]
    public void DiscardReturnsEverything()
    {
        var w = new ReplyWriter(_pool, _stats);
        w.Bulk(new byte[100_000]);
        w.Discard();
        Assert.False(w.HasPending);
        Assert.Equal(0, _pool.Leased);
    }
}
