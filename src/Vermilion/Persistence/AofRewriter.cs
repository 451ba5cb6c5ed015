using Vermilion.Protocol;
using Vermilion.Storage;

namespace Vermilion.Persistence;

/// <summary>
/// The dataset as AOF commands (aof.c rewriteAppendOnlyFileRio), the base of a multi-part AOF
/// written without the RDB preamble: per non-empty database a SELECT, then per key SET, RPUSH,
/// SADD, ZADD (score as %.17g) or HMSET with at most 64 elements each (AOF_REWRITE_ITEMS_PER_CMD,
/// so no command grows past what a client could send), and PEXPIREAT with the absolute deadline
/// for a key that has one. With aof-timestamp-enabled the file opens with "#TS:&lt;now&gt;".
/// Keys whose deadline has passed but that were not yet expired are written with it, as Redis
/// writes them: the loader expires them. Bytes fill pooled chunks that go to the sink as they
/// fill, as <see cref="RdbFileWriter"/>'s do, so a fork-less <see cref="Snapshot"/> can feed it in
/// slices (a key saved out of turn comes under a SELECT of its own database, and the next key
/// under another).
/// </summary>
public sealed class AofRewriter : IDatasetWriter
{
    /// <summary>AOF_REWRITE_ITEMS_PER_CMD.</summary>
    public const int ItemsPerCommand = 64;

    readonly RdbWriter _output;
    readonly byte[] _digits = new byte[DoubleText.MaxLength + 24];
    int _database = -1;

    /// <param name="sink">Where the chunks go.</param>
    /// <param name="timestamp">With aof-timestamp-enabled: the "#TS:" annotation the base opens with.</param>
    public AofRewriter(IRdbChunkSink sink, long? timestamp)
    {
        _output = new RdbWriter(sink, RdbFileWriter.ChunkSize);
        if (timestamp is { } ts)
        {
            Raw("#TS:"u8);
            Number(ts);
            Raw("\r\n"u8);
        }
    }

    public void BeginDatabase(int dbIndex, long size, long expires) => Select(dbIndex);

    /// <summary>rewriteFunctions: each library as the FUNCTION LOAD that recreates it.</summary>
    public void WriteFunctions(IReadOnlyList<byte[]> libraries)
    {
        foreach (var code in libraries)
        {
            Raw("*3\r\n$8\r\nFUNCTION\r\n$4\r\nLOAD\r\n"u8);
            Bulk(code);
        }
    }

    void Select(int dbIndex)
    {
        if (dbIndex == _database) return;
        Raw("*2\r\n$6\r\nSELECT\r\n"u8);
        Bulk(dbIndex);
        _database = dbIndex;
    }

    public void WriteKey(int dbIndex, Keyspace keys, int entry)
    {
        Select(dbIndex);
        // One view at a time: a dataset of small collections must not lend one per key.
        int views = keys.Views.Lent;
        try
        {
            WriteKey(keys, entry);
        }
        finally
        {
            keys.Views.ReturnTo(views);
        }
        long deadline = keys.Deadline(entry);
        if (deadline != 0)
        {
            Raw("*3\r\n$9\r\nPEXPIREAT\r\n"u8);
            Bulk(keys.Key(entry));
            Bulk(deadline);
        }
    }

    public void Finish() => _output.Flush();

    /// <summary>An unfinished base is abandoned: the chunk being filled goes back to the pool.</summary>
    public void Dispose() => _output.Reset();

    void WriteKey(Keyspace keys, int entry)
    {
        var key = keys.Key(entry);
        if (keys.TryGetString(entry, out var text))
        {
            Raw("*3\r\n$3\r\nSET\r\n"u8);
            Bulk(key);
            Bulk(text);
            return;
        }
        Span<byte> scratch = stackalloc byte[24];
        switch (keys.Object(entry))
        {
            case QuickList list:
            {
                long items = list.Count, count = 0;
                var cursor = list.At(0, forward: true);
                while (cursor.Next(out var element))
                {
                    if (count == 0) Header("RPUSH"u8, key, Math.Min(items, ItemsPerCommand), 1);
                    Bulk(element.Text(scratch));
                    if (++count == ItemsPerCommand) count = 0;
                    items--;
                }
                break;
            }
            case SetValue set:
            {
                long items = set.Count, count = 0;
                for (int i = 0; i < set.Count; i++)
                {
                    if (count == 0) Header("SADD"u8, key, Math.Min(items, ItemsPerCommand), 1);
                    if (set.IsIntSet) Bulk(set.IntegerAt(i));
                    else Bulk(set.MemberAt(i));
                    if (++count == ItemsPerCommand) count = 0;
                    items--;
                }
                break;
            }
            case SortedSetValue zset:
            {
                long items = zset.Count, count = 0;
                Span<byte> score = stackalloc byte[DoubleText.MaxLength];
                for (var z = zset.At(0); z.IsValid; z.MoveNext())
                {
                    if (count == 0) Header("ZADD"u8, key, Math.Min(items, ItemsPerCommand), 2);
                    var member = z.Read(out double s);
                    Bulk(score[..DoubleText.Format(s, score)]);
                    Bulk(member);
                    if (++count == ItemsPerCommand) count = 0;
                    items--;
                }
                break;
            }
            case HashValue hash:
            {
                long items = hash.Count, count = 0;
                for (int p = hash.FirstPair(); p >= 0; p = hash.NextPair(p))
                {
                    if (count == 0) Header("HMSET"u8, key, Math.Min(items, ItemsPerCommand), 2);
                    Bulk(hash.FieldAt(p));
                    Bulk(hash.ValueAt(p));
                    if (++count == ItemsPerCommand) count = 0;
                    items--;
                }
                break;
            }
            case var other:
                throw new InvalidOperationException($"no AOF form for a value of type {other?.Type}");
        }
    }

    /// <summary>"*&lt;2 + items × perItem&gt;" and the command name and key, opening one command of a collection.</summary>
    void Header(ReadOnlySpan<byte> command, ReadOnlySpan<byte> key, long items, int perItem)
    {
        Raw("*"u8);
        Number(2 + items * perItem);
        Raw("\r\n"u8);
        Bulk(command);
        Bulk(key);
    }

    void Bulk(ReadOnlySpan<byte> value)
    {
        Raw("$"u8);
        Number(value.Length);
        Raw("\r\n"u8);
        Raw(value);
        Raw("\r\n"u8);
    }

    void Bulk(long value)
    {
        Span<byte> text = stackalloc byte[24];
        Bulk(text[..IntegerText.Format(value, text)]);
    }

    void Number(long value) => Raw(_digits.AsSpan(0, IntegerText.Format(value, _digits)));

    void Raw(ReadOnlySpan<byte> bytes) => _output.WriteRaw(bytes);
}
