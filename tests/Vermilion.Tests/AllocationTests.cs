using Xunit;
using static Vermilion.Tests.AllocationProbe;

namespace Vermilion.Tests;

/// <summary>
/// The request path must not allocate per request: pipelined batches of each family's simple
/// commands on existing values, measured with <see cref="AllocationProbe"/> (under 1 KB for a
/// whole round of 20 batches, i.e. well under a byte per request).
/// </summary>
public class AllocationTests
{
    static void AssertNothingPerRequest(long allocated, int requests) =>
        Assert.True(allocated < 1_000, $"{allocated} bytes allocated by the server for {requests} requests ({allocated / (double)requests:0.00} per request)");

    [Fact]
    public void PipelinedGetSetAllocateNothingPerRequest()
    {
        // SET and GET over 100 keys with same-size values, as redis-benchmark does.
        var batch = new System.Text.StringBuilder();
        for (int i = 0; i < 250; i++)
        {
            string key = "key:" + (i % 100).ToString("D3");
            batch.Append(Command("SET", key, "xyz")).Append(Command("GET", key));
        }
        using var probe = new AllocationProbe();
        long allocated = probe.BestRoundAllocation(batch.ToString(), 500, out var replies);
        Assert.StartsWith("+OK\r\n$3\r\nxyz\r\n+OK\r\n", replies);
        AssertNothingPerRequest(allocated, 20 * 500);
    }

    /// <summary>Batches bigger than a 16 KB read (256-byte values, as redis-benchmark -P 128 -d 256): the client reads into pooled 64 KB buffers, nothing per request.</summary>
    [Fact]
    public void PipelinedBigBatchesAllocateNothingPerRequest()
    {
        var value = new string('v', 256);
        var batch = new System.Text.StringBuilder();
        for (int i = 0; i < 128; i++) batch.Append(Command("SET", "key:" + (i % 50).ToString("D3"), value));
        using var probe = new AllocationProbe();
        long allocated = probe.BestRoundAllocation(batch.ToString(), 128, out var replies);
        Assert.StartsWith("+OK\r\n+OK\r\n", replies);
        AssertNothingPerRequest(allocated, 20 * 128);
    }

    /// <summary>
    /// A new small collection is made straight into its keyspace record and seen through a pooled
    /// view (Db.AddHash, AddIntSet, AddSortedSet, AddList): creating and deleting keys of each
    /// kind allocates nothing (built as an object first, it cost 72 bytes a request).
    /// </summary>
    [Theory]
    [InlineData("HSET", "name", "value", "count", "12")]
    [InlineData("SADD", "3", "15", "70000")]          // integers, widened to 32 bits on the way
    [InlineData("ZADD", "1", "one", "2", "member")]
    [InlineData("RPUSH", "a", "element", "c")]
    [InlineData("LPUSH", "a", "element", "c")]
    public void CreatingSmallCollectionsAllocatesNothingPerRequest(string command, params string[] args)
    {
        var batch = new System.Text.StringBuilder();
        for (int i = 0; i < 100; i++)
        {
            string key = "c:" + (i % 50).ToString("D3");
            batch.Append(Command([command, key, .. args])).Append(Command("DEL", key));
        }
        using var probe = new AllocationProbe();
        long allocated = probe.BestRoundAllocation(batch.ToString(), 200, out var replies);
        int added = command is "HSET" or "ZADD" ? 2 : 3;
        Assert.StartsWith($":{added}\r\n:1\r\n:{added}\r\n:1\r\n", replies);
        AssertNothingPerRequest(allocated, 20 * 200);
    }

    /// <summary>SETBIT, GETBIT, BITCOUNT and BITPOS work on the stored value's span: once a key's value exists, nothing is allocated.</summary>
    [Fact]
    public void PipelinedBitmapCommandsAllocateNothingPerRequest()
    {
        var batch = new System.Text.StringBuilder();
        for (int i = 0; i < 100; i++)
        {
            string key = "bits:" + (i % 100).ToString("D3"), bit = (i % 8).ToString(), other = ((i + 4) % 8).ToString();
            batch.Append(Command("SETBIT", key, bit, "1")).Append(Command("SETBIT", key, other, "1")).Append(Command("GETBIT", key, bit))
                .Append(i % 2 == 0 ? Command("BITCOUNT", key, "0", "-1", "BIT") : Command("BITPOS", key, "1", "0", "-1", "BIT")).Append(Command("BITCOUNT", key));
        }
        using var probe = new AllocationProbe();
        long allocated = probe.BestRoundAllocation(batch.ToString(), 500, out var replies);
        Assert.StartsWith(":1\r\n:1\r\n:1\r\n:2\r\n:2\r\n", replies);
        AssertNothingPerRequest(allocated, 20 * 500);
    }

    /// <summary>Fields are found by span in the listpack or the table; same-size values are overwritten in place.</summary>
    [Theory]
    [InlineData(512)] // listpack
    [InlineData(0)]   // hashtable
    public void PipelinedHashCommandsAllocateNothingPerRequest(int maxListpackEntries)
    {
        var batch = new System.Text.StringBuilder();
        for (int i = 0; i < 100; i++)
        {
            string key = "hash:" + (i % 10), field = "field:" + (i % 10);
            batch.Append(Command("HSET", key, field, "xyz")).Append(Command("HGET", key, field)).Append(Command("HEXISTS", key, field))
                .Append(Command("HINCRBY", key, "counter", "0")).Append(Command("HMGET", key, field, "nofield"));
        }
        using var probe = new AllocationProbe("--hash-max-listpack-entries", maxListpackEntries.ToString());
        long allocated = probe.BestRoundAllocation(batch.ToString(), 500, out var replies);
        Assert.StartsWith(":0\r\n$3\r\nxyz\r\n:1\r\n:0\r\n*2\r\n$3\r\nxyz\r\n$-1\r\n", replies);
        AssertNothingPerRequest(allocated, 20 * 500);
    }

    [Fact]
    public void PipelinedSetCommandsAllocateNothingPerRequest()
    {
        var batch = new System.Text.StringBuilder();
        for (int i = 0; i < 100; i++)
            batch.Append(Command("SADD", "ints", "2", "40000")).Append(Command("SADD", "strs", "b")).Append(Command("SISMEMBER", "ints", "3"))
                .Append(Command("SISMEMBER", "strs", "zz")).Append(Command("SCARD", "strs")).Append(Command("SMISMEMBER", "ints", "1", "9"));
        using var probe = new AllocationProbe();
        probe.Run(System.Text.Encoding.ASCII.GetBytes(Command("SADD", "ints", "1", "2", "3", "40000") + Command("SADD", "strs", "a", "b", "c", "d")), 2);
        long allocated = probe.BestRoundAllocation(batch.ToString(), 600, out var replies);
        Assert.StartsWith(":0\r\n:0\r\n:1\r\n:0\r\n:4\r\n*2\r\n:1\r\n:0\r\n", replies);
        AssertNothingPerRequest(allocated, 20 * 600);
    }

    /// <summary>Node arrays grow now and then (amortized); a steady push/pop cycle reuses them.</summary>
    [Fact]
    public void PipelinedListPushAndPopAllocateNothingPerRequest()
    {
        var batch = new System.Text.StringBuilder();
        for (int i = 0; i < 50; i++)
        {
            string key = "list:" + (i % 10);
            batch.Append(Command("LPUSH", key, "abc")).Append(Command("RPUSH", key, "123", "hello")).Append(Command("LINDEX", key, "1"))
                .Append(Command("LLEN", key)).Append(Command("LPOP", key)).Append(Command("RPOP", key)).Append(Command("RPOP", key, "1"));
        }
        using var probe = new AllocationProbe();
        var seed = new System.Text.StringBuilder();
        for (int k = 0; k < 10; k++) seed.Append(Command("RPUSH", $"list:{k}", "x", "y"));
        probe.Run(System.Text.Encoding.ASCII.GetBytes(seed.ToString()), 10);
        long allocated = probe.BestRoundAllocation(batch.ToString(), 350, out _);
        Assert.Equal(0, probe.Server.Stats.ErrorReplies);
        AssertNothingPerRequest(allocated, 20 * 350);
    }

    /// <summary>A sink that only counts what it is given, as a consumer copying into its own buffer would.</summary>
    sealed class CountingSink : IEffectSink
    {
        public long Commands, Bytes;

        public void Append(int db, ReadOnlySpan<byte> command)
        {
            Commands++;
            Bytes += command.Length;
        }
    }

    /// <summary>
    /// With a sink listening, propagating allocates nothing per command: the effects are encoded
    /// into one buffer the server keeps (grown in the warm-up rounds), whether a command goes as
    /// itself (SET, INCR, pushes and pops, HSET, SADD, ZADD, DEL) or rewritten (SET EX → SET PXAT,
    /// EXPIRE → PEXPIREAT, SPOP → SREM), alone or as several effects in MULTI/EXEC (SPOP with a count).
    /// </summary>
    [Fact]
    public void PropagatingToASinkAllocatesNothingPerRequest()
    {
        var batch = new System.Text.StringBuilder();
        for (int i = 0; i < 50; i++)
        {
            string key = "k:" + (i % 10);
            batch.Append(Command("SET", key, "xyz")).Append(Command("SET", key, "abc", "EX", "1000")).Append(Command("EXPIRE", key, "2000"))
                .Append(Command("INCR", "n:" + (i % 10))).Append(Command("RPUSH", "l", "a", "b")).Append(Command("RPOP", "l")).Append(Command("LPOP", "l"))
                .Append(Command("HSET", "h", "f", "v")).Append(Command("SADD", "s", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10"))
                .Append(Command("SPOP", "s")).Append(Command("SPOP", "s", "2")).Append(Command("ZADD", "z", "1", "m")).Append(Command("DEL", "z"));
        }
        using var probe = new AllocationProbe();
        var sink = new CountingSink();
        probe.Server.EffectSinks.Add(sink);
        // The list keeps one element: an emptied list deleted and made again costs its own bytes, with or without a sink.
        probe.Run(System.Text.Encoding.ASCII.GetBytes(Command("RPUSH", "l", "keep")), 1);
        long allocated = probe.BestRoundAllocation(batch.ToString(), 650, out _);
        Assert.Equal(0, probe.Server.Stats.ErrorReplies);
        // Every command is at least one effect (SPOP of two is four: MULTI, two SREMs, EXEC).
        Assert.True(sink.Commands >= 80 * 650, $"{sink.Commands} effects");
        AssertNothingPerRequest(allocated, 20 * 650);
    }

    /// <summary>A cached EVALSHA of `return 1`: the sha is looked up by span, KEYS/ARGV live in Lua, the reply is written in place.</summary>
    [Fact]
    public void CachedEvalShaAllocatesNothingPerRequest()
    {
        using var probe = new AllocationProbe();
        string sha = VermilionServer.ScriptSha("return 1"u8);
        probe.BestRoundAllocation(Command("SCRIPT", "LOAD", "return 1"), 1, out _);
        var batch = new System.Text.StringBuilder();
        for (int i = 0; i < 100; i++) batch.Append(Command("EVALSHA", sha, "0"));
        long allocated = probe.BestRoundAllocation(batch.ToString(), 100, out var replies);
        Assert.StartsWith(":1\r\n:1\r\n", replies);
        AssertNothingPerRequest(allocated, 20 * 100);
    }
}
