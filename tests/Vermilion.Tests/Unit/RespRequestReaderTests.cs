using System.Text;
using Vermilion;
using Xunit;

namespace Vermilion.Tests;

public class RespRequestReaderTests
{
    const long MaxBulk = 512L * 1024 * 1024;

    static (ParseStatus Status, string[] Args, int Consumed, long Needed, string? Error) Read(string input, long maxBulk = MaxBulk)
        => Read(Encoding.Latin1.GetBytes(input), maxBulk);

    static (ParseStatus Status, string[] Args, int Consumed, long Needed, string? Error) Read(byte[] buf, long maxBulk = MaxBulk)
    {
        var args = new CommandArgs();
        var reader = new RespRequestReader(buf, 0, buf.Length, maxBulk);
        var status = reader.Read(args, buf);
        var list = new string[status == ParseStatus.Complete ? args.Count : 0];
        for (int i = 0; i < list.Length; i++) list[i] = Encoding.Latin1.GetString(args[i]);
        return (status, list, reader.Consumed, reader.BytesNeeded, reader.Error);
    }

    [Fact]
    public void ReadsMultibulk()
    {
        var r = Read("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhello\r\n");
        Assert.Equal(ParseStatus.Complete, r.Status);
        Assert.Equal(["SET", "k", "hello"], r.Args);
        Assert.Equal(31, r.Consumed);
    }

    [Fact]
    public void BinaryArgumentsKeepEveryByte()
    {
        var payload = new byte[] { 0, 13, 10, 255, 36, 42 };
        var buf = Encoding.ASCII.GetBytes("*2\r\n$4\r\nECHO\r\n$6\r\n").Concat(payload).Concat("\r\n"u8.ToArray()).ToArray();
        var args = new CommandArgs();
        var reader = new RespRequestReader(buf, 0, buf.Length, MaxBulk);
        Assert.Equal(ParseStatus.Complete, reader.Read(args, buf));
        Assert.Equal(payload, args[1].ToArray());
    }

    [Fact]
    public void EveryPrefixOfARequestIsIncompleteAndAsksForMore()
    {
        const string req = "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$10\r\n0123456789\r\n";
        for (int n = 1; n < req.Length; n++)
        {
            var r = Read(req[..n]);
            Assert.Equal(ParseStatus.Incomplete, r.Status);
            Assert.True(r.Needed > n, $"prefix {n}: needed {r.Needed}");
            Assert.True(r.Needed <= req.Length, $"prefix {n}: needed {r.Needed} beyond the request");
        }
        Assert.Equal(ParseStatus.Complete, Read(req).Status);
    }

    [Fact]
    public void LargeArgumentAsksForExactlyItsBytes()
    {
        var r = Read("*2\r\n$3\r\nGET\r\n$100000\r\nabc");
        Assert.Equal(ParseStatus.Incomplete, r.Status);
        Assert.Equal(4 + 9 + 9 + 100000 + 2, r.Needed);
    }

    [Fact]
    public void PipelinedRequestsAreReadOneAtATime()
    {
        var buf = Encoding.ASCII.GetBytes("*1\r\n$4\r\nPING\r\nPING\r\n*2\r\n$4\r\nECHO\r\n$1\r\nx\r\n");
        var args = new CommandArgs();
        int pos = 0;
        var names = new List<string>();
        while (pos < buf.Length)
        {
            var reader = new RespRequestReader(buf, pos, buf.Length, MaxBulk);
            Assert.Equal(ParseStatus.Complete, reader.Read(args, buf));
            names.Add(Encoding.ASCII.GetString(args[args.Count - 1]));
            pos += reader.Consumed;
        }
        Assert.Equal(["PING", "PING", "x"], names);
    }

    [Theory]
    [InlineData("*0\r\n")]
    [InlineData("*-1\r\n")]
    [InlineData("*-5\r\n")]
    public void NonPositiveCountIsAnEmptyRequest(string input)
    {
        var r = Read(input);
        Assert.Equal(ParseStatus.Complete, r.Status);
        Assert.Empty(r.Args);
        Assert.Equal(input.Length, r.Consumed);
    }

    [Fact]
    public void ByteAfterCarriageReturnIsNotChecked()
    {
        // Redis skips two bytes after the count's \r without looking at the second one.
        var r = Read("*1\rX$4\r\nPING\r\n");
        Assert.Equal(ParseStatus.Complete, r.Status);
        Assert.Equal(["PING"], r.Args);
    }

    [Fact]
    public void PayloadTerminatorIsNotChecked()
    {
        var r = Read("*1\r\n$4\r\nPINGxy");
        Assert.Equal(ParseStatus.Complete, r.Status);
        Assert.Equal(["PING"], r.Args);
    }

    [Theory]
    [InlineData("*abc\r\n", "Protocol error: invalid multibulk length")]
    [InlineData("*\r\n", "Protocol error: invalid multibulk length")]
    [InlineData("*01\r\n", "Protocol error: invalid multibulk length")]
    [InlineData("*+1\r\n", "Protocol error: invalid multibulk length")]
    [InlineData("* 1\r\n", "Protocol error: invalid multibulk length")]
    [InlineData("*2147483648\r\n", "Protocol error: invalid multibulk length")]
    [InlineData("*99999999999999999999\r\n", "Protocol error: invalid multibulk length")]
    [InlineData("*1\r\n$04\r\nPING\r\n", "Protocol error: invalid bulk length")]
    [InlineData("*1\r\n$-1\r\n", "Protocol error: invalid bulk length")]
    [InlineData("*1\r\n$999999999\r\n", "Protocol error: invalid bulk length")] // nine digits, over proto-max-bulk-len
    [InlineData("*1\r\n$00\r\n\r\n", "Protocol error: invalid bulk length")]
    [InlineData("*1\r\n$x\r\n", "Protocol error: invalid bulk length")]
    [InlineData("*1\r\n:4\r\nPING\r\n", "Protocol error: expected '$', got ':'")]
    [InlineData("*1\r\nPING\r\n", "Protocol error: expected '$', got 'P'")]
    [InlineData("SET \"a b\r\n", "Protocol error: unbalanced quotes in request")]
    [InlineData("SET 'a\r\n", "Protocol error: unbalanced quotes in request")]
    [InlineData("SET \"a\"b\r\n", "Protocol error: unbalanced quotes in request")]
    public void ProtocolErrorsHaveRedisText(string input, string error)
    {
        var r = Read(input);
        Assert.Equal(ParseStatus.Error, r.Status);
        Assert.Equal(error, r.Error);
    }

    [Fact]
    public void BulkLongerThanProtoMaxBulkLenIsRejected()
    {
        Assert.Equal(ParseStatus.Error, Read("*1\r\n$1048577\r\n", maxBulk: 1024 * 1024).Status);
        Assert.Equal(ParseStatus.Incomplete, Read("*1\r\n$1048576\r\n", maxBulk: 1024 * 1024).Status);
        Assert.Equal("Protocol error: invalid bulk length", Read("*1\r\n$536870913\r\n").Error);
    }

    [Fact]
    public void HeadersWithoutTerminatorAreLimitedTo64K()
    {
        var big = new string('1', 70_000);
        Assert.Equal("Protocol error: too big mbulk count string", Read("*" + big).Error);
        Assert.Equal("Protocol error: too big bulk count string", Read("*1\r\n$" + big).Error);
        Assert.Equal("Protocol error: too big inline request", Read("PING " + big).Error);
        // Just under the limit Redis keeps waiting.
        Assert.Equal(ParseStatus.Incomplete, Read("PING " + new string('a', 60_000)).Status);
        // An inline line whose end has arrived runs at any length (processInlineBuffer limits only what waits for a newline).
        Assert.Equal(ParseStatus.Complete, Read("PING " + big + "\r\n").Status);
    }

    [Fact]
    public void NulByteHidesTheLineEnd()
    {
        // Redis looks for \r and \n with strchr, which stops at a NUL byte.
        Assert.Equal(ParseStatus.Incomplete, Read("PING\0\r\n").Status);
        Assert.Equal(ParseStatus.Incomplete, Read("*1\0\r\n").Status);
    }

    [Theory]
    [InlineData("PING\r\n", new[] { "PING" })]
    [InlineData("PING\n", new[] { "PING" })]
    [InlineData("  set   a   b  \r\n", new[] { "set", "a", "b" })]
    [InlineData("echo \"a b\"\r\n", new[] { "echo", "a b" })]
    [InlineData("echo \"\\x41\\x4a\\n\\t\\\\\"\r\n", new[] { "echo", "AJ\n\t\\" })]
    [InlineData("echo \"\\xZZ\"\r\n", new[] { "echo", "xZZ" })]
    [InlineData("echo 'it\\'s' x\r\n", new[] { "echo", "it's", "x" })]
    [InlineData("echo 'a\\nb'\r\n", new[] { "echo", "a\\nb" })]
    [InlineData("echo a\"b c\"\r\n", new[] { "echo", "ab c" })]
    [InlineData("echo \"\"\r\n", new[] { "echo", "" })]
    [InlineData("\r\n", new string[0])]
    [InlineData("   \r\n", new string[0])]
    public void InlineRequestsSplitAsSdssplitargs(string input, string[] expected)
    {
        var r = Read(input);
        Assert.Equal(ParseStatus.Complete, r.Status);
        Assert.Equal(expected, r.Args);
        Assert.Equal(input.Length, r.Consumed);
    }

    [Fact]
    public void RandomBytesNeverThrow()
    {
        var rng = new Random(1234);
        for (int i = 0; i < 20000; i++)
        {
            var buf = new byte[rng.Next(1, 64)];
            rng.NextBytes(buf);
            if (rng.Next(2) == 0) buf[0] = (byte)'*';
            var r = Read(buf);
            if (r.Status == ParseStatus.Complete) Assert.InRange(r.Consumed, 1, buf.Length);
        }
    }

    /// <summary>
    /// The one-pass reader of the common form must read exactly what the general way reads, or leave
    /// the request to it: mutated requests (digits, signs, zeros, CR/LF, truncation) are given to
    /// both; the general way is the unauthenticated one, which never takes the one-pass reader.
    /// </summary>
    [Fact]
    public void CommonFormReadsWhatTheGeneralWayReads()
    {
        var rng = new Random(4321);
        byte[] alphabet = "0123456789*$\r\n-+ \0x"u8.ToArray();
        int common = 0;
        for (int i = 0; i < 50000; i++)
        {
            var sb = new StringBuilder();
            int n = rng.Next(1, 5);
            sb.Append('*').Append(n).Append("\r\n");
            for (int a = 0; a < n; a++)
            {
                // Mostly one and two digits; some of three (unrolled too) and four (the loop), at their edges.
                int len = rng.Next(8) switch { 0 => rng.Next(95, 105), 1 => rng.Next(995, 1005), _ => rng.Next(0, 12) };
                sb.Append('$').Append(len).Append("\r\n").Append(new string('v', len)).Append("\r\n");
            }
            var buf = Encoding.ASCII.GetBytes(sb.ToString());
            bool mutated = rng.Next(3) != 0;
            if (mutated)
                for (int m = rng.Next(1, 3); m > 0; m--) buf[rng.Next(buf.Length)] = alphabet[rng.Next(alphabet.Length)];
            if (rng.Next(4) == 0) buf = buf[..rng.Next(1, buf.Length)];
            var args = new CommandArgs();
            int used = RespRequestReader.ReadCommon(buf, 0, buf.Length, MaxBulk, args);
            var general = new CommandArgs();
            var reader = new RespRequestReader(buf, 0, buf.Length, MaxBulk, unauthenticated: true);
            var status = reader.Read(general, buf);
            if (used == 0)
            {
                Assert.False(!mutated && buf.Length == sb.Length, $"a well-formed request was left to the general way: {sb}");
                continue;
            }
            common++;
            string shown = Encoding.Latin1.GetString(buf).Replace("\r", "\\r").Replace("\n", "\\n").Replace("\0", "\\0");
            Assert.True(status == ParseStatus.Complete && reader.Consumed == used, $"{shown}: general {status} {reader.Consumed}, one pass {used}");
            Assert.Equal(general.Count, args.Count);
            for (int a = 0; a < args.Count; a++) Assert.True(general[a].SequenceEqual(args[a]));
        }
        Assert.True(common > 10000, $"only {common} requests took the one-pass reader");
    }

    [Theory]
    [InlineData("*1\r\n$1000000000\r\n")]
    [InlineData("*1\r\n$-1\r\n")]
    [InlineData("*1\r\n$01\r\nx\r\n")]
    [InlineData("*1\r\n$1")]
    [InlineData("*1\r\n$1\r")]
    [InlineData("*0\r\n")]
    [InlineData("*1\r\n$0\r\n\r")]
    [InlineData("*999999999\r\n$1\r\nx\r\n")]
    public void CommonFormLeavesTheRestToTheGeneralWay(string input)
    {
        var buf = Encoding.ASCII.GetBytes(input);
        long before = GC.GetAllocatedBytesForCurrentThread();
        Assert.Equal(0, RespRequestReader.ReadCommon(buf, 0, buf.Length, MaxBulk, new CommandArgs()));
        // A count is not trusted ahead of its arguments: nothing sized by it is allocated.
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 4096);
    }
}
