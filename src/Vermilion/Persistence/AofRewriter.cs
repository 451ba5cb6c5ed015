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
/// under another) and write a big collection's commands across slices: the commands are cut every
/// 64 elements counted from the first, so they are the same however the slices fall.
/// </summary>
public sealed class AofRewriter : IDatasetWriter
{
    /// <summary>AOF_REWRITE_ITEMS_PER_CMD.</summary>
    public const int ItemsPerCommand = 64;

    readonly RdbWriter _stream;
    /// <summary>Where bytes go now: the stream, or the side buffer while a key is set aside (<see cref="WriteKeyAside"/>).</summary>
    RdbWriter _output;
    SideBuffer? _side;
    readonly byte[] _digits = new byte[DoubleText.MaxLength + 24];
    int _database = -1;
    /// <summary>The element-wise value begun by <see cref="BeginKey"/>, its deadline at the start, and how far it has got.</summary>
    StoredObject? _open;
    long _openDeadline;
    ElementPosition _at;

    /// <param name="sink">Where the chunks go.</param>
    /// <param name="timestamp">With aof-timestamp-enabled: the "#TS:" annotation the base opens with.</param>
    public AofRewriter(IRdbChunkSink sink, long? timestamp)
    {
        _output = _stream = new RdbWriter(sink, RdbFileWriter.ChunkSize);
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
        if (Begin(dbIndex, keys, entry) is not { } value) return;
        var at = default(ElementPosition);
        long all = long.MaxValue;
        WriteElements(keys.Key(entry), value, ref at, ref all);
        Expire(keys.Key(entry), keys.Deadline(entry));
    }

    /// <summary>As <see cref="WriteKey"/>, but an element-wise value stops before its first command: see <see cref="IDatasetWriter.BeginKey"/>.</summary>
    public bool BeginKey(int dbIndex, Keyspace keys, int entry)
    {
        if (_open is not null) throw new InvalidOperationException("a key is already half written");
        _open = Begin(dbIndex, keys, entry);
        _openDeadline = keys.Deadline(entry);
        _at = default;
        return _open is null;
    }

    /// <summary>More commands of the value <see cref="BeginKey"/> left open, then its PEXPIREAT (the deadline read when it began).</summary>
    public bool WriteElements(Keyspace keys, int entry, ref long budget)
    {
        var value = _open ?? throw new InvalidOperationException("no key is half written");
        var key = keys.Key(entry);
        if (!WriteElements(key, value, ref _at, ref budget)) return false;
        Expire(key, _openDeadline);
        _open = null;
        return true;
    }

    /// <summary>A whole key into the side buffer, while the stream holds a value half written.</summary>
    public void WriteKeyAside(int dbIndex, Keyspace keys, int entry)
    {
        _side ??= new SideBuffer(compress: false);
        _output = _side.Writer;
        try
        {
            WriteKey(dbIndex, keys, entry);
        }
        finally
        {
            _output = _stream;
        }
    }

    /// <summary>The side buffer joins the stream (the SELECT it ends in is the stream's from now on).</summary>
    public void JoinAside() => _side?.JoinInto(_stream);

    public void Finish()
    {
        if (_open is not null) throw new InvalidOperationException("the base ends in the middle of a key");
        _stream.Flush();
    }

    /// <summary>An unfinished base is abandoned: the chunk being filled goes back to the pool.</summary>
    public void Dispose()
    {
        _stream.Reset();
        _side?.Discard();
        _open = null;
    }

    /// <summary>
    /// The key whole when it is a string or in a compact encoding (null returned), with its
    /// PEXPIREAT; otherwise nothing yet, and the value is returned for <see cref="WriteElements(ReadOnlySpan{byte}, StoredObject, ref ElementPosition, ref long)"/>.
    /// </summary>
    StoredObject? Begin(int dbIndex, Keyspace keys, int entry)
    {
        Select(dbIndex);
        var key = keys.Key(entry);
        if (keys.TryGetString(entry, out var text))
        {
            Raw("*3\r\n$3\r\nSET\r\n"u8);
            Bulk(key);
            Bulk(text);
            Expire(key, keys.Deadline(entry));
            return null;
        }
        // One view at a time: a dataset of small collections must not lend one per key.
        int views = keys.Views.Lent;
        try
        {
            var value = keys.Object(entry) ?? throw new InvalidOperationException("an entry without a value");
            if (RdbValue.IsElementWise(value)) return value;
            var at = default(ElementPosition);
            long all = long.MaxValue;
            WriteElements(key, value, ref at, ref all);
            Expire(key, keys.Deadline(entry));
            return null;
        }
        finally
        {
            keys.Views.ReturnTo(views);
        }
    }

    void Expire(ReadOnlySpan<byte> key, long deadline)
    {
        if (deadline == 0) return;
        Raw("*3\r\n$9\r\nPEXPIREAT\r\n"u8);
        Bulk(key);
        Bulk(deadline);
    }

    /// <summary>
    /// A collection's commands from <paramref name="at"/> on while <paramref name="budget"/> lasts
    /// (an element costs one; a list goes node by node, a node costing its elements): RPUSH,
    /// SADD, ZADD (score as %.17g, ascending) or HMSET, a new command every
    /// <see cref="ItemsPerCommand"/> elements counted from the first, so the commands are the
    /// same however the value is cut into slices. True once every element is written.
    /// </summary>
    bool WriteElements(ReadOnlySpan<byte> key, StoredObject value, ref ElementPosition at, ref long budget)
    {
        switch (value)
        {
            case QuickList list:
            {
                Span<byte> scratch = stackalloc byte[24];
                for (; at.Cursor < list.NodeCount; at.Cursor++)
                {
                    if (budget <= 0) return false;
                    var cursor = list.AtNode(at.Cursor);
                    for (int i = list.NodeLength(at.Cursor); i > 0; i--, at.Elements++, budget--)
                    {
                        cursor.Next(out var element);
                        Item("RPUSH"u8, key, list.Count, at.Elements, 1);
                        Bulk(element.Text(scratch));
                    }
                }
                return true;
            }
            case SetValue set:
                for (; at.Elements < set.Count; at.Elements++, budget--)
                {
                    if (budget <= 0) return false;
                    Item("SADD"u8, key, set.Count, at.Elements, 1);
                    if (set.IsIntSet) Bulk(set.IntegerAt((int)at.Elements));
                    else Bulk(set.MemberAt((int)at.Elements));
                }
                return true;
            case SortedSetValue zset:
            {
                Span<byte> score = stackalloc byte[DoubleText.MaxLength];
                for (var z = zset.At((int)at.Elements); z.IsValid; z.MoveNext(), at.Elements++, budget--)
                {
                    if (budget <= 0) return false;
                    Item("ZADD"u8, key, zset.Count, at.Elements, 2);
                    var member = z.Read(out double s);
                    Bulk(score[..DoubleText.Format(s, score)]);
                    Bulk(member);
                }
                return true;
            }
            case HashValue hash:
                for (int pair = at.Elements == 0 ? hash.FirstPair() : at.Cursor; pair >= 0; pair = hash.NextPair(pair), at.Elements++, budget--)
                {
                    if (budget <= 0)
                    {
                        at.Cursor = pair;
                        return false;
                    }
                    Item("HMSET"u8, key, hash.Count, at.Elements, 2);
                    Bulk(hash.FieldAt(pair));
                    Bulk(hash.ValueAt(pair));
                }
                return true;
            case StreamValue stream:
                return WriteStream(key, stream, ref at, ref budget);
            default:
                throw new InvalidOperationException($"no AOF form for a value of type {value.Type}");
        }
    }

    /// <summary>
    /// aof.c's rewriteStreamObject: an XADD per entry with its ID (node by node, a node costing
    /// its entries; an empty stream is made by XADD ... MAXLEN 0 0-1 x y), then XSETID with
    /// ENTRIESADDED and MAXDELETEDID, and per group XGROUP CREATE ... ENTRIESREAD, an XCLAIM ...
    /// TIME ... RETRYCOUNT ... JUSTID FORCE for each pending entry of each consumer, and XGROUP
    /// CREATECONSUMER for a consumer with none.
    /// </summary>
    bool WriteStream(ReadOnlySpan<byte> key, StreamValue s, ref ElementPosition at, ref long budget)
    {
        Span<byte> fd = stackalloc byte[20], vd = stackalloc byte[20];
        if (s.Length > 0)
        {
            for (; at.Cursor < s.NodeCount; at.Cursor++)
            {
                if (budget <= 0) return false;
                var from = s.NodeMaster(at.Cursor);
                var to = StreamId.Max;
                if (at.Cursor + 1 < s.NodeCount) s.NodeMaster(at.Cursor + 1).TryDecrement(out to);
                var it = s.Range(from, to, reverse: false);
                while (it.Next())
                {
                    Raw("*"u8);
                    Number(3 + 2L * it.FieldCount);
                    Raw("\r\n"u8);
                    Bulk("XADD"u8);
                    Bulk(key);
                    Id(it.Id);
                    for (int i = 0; i < it.FieldCount; i++)
                    {
                        it.ReadField(fd, vd, out var field, out var value);
                        Bulk(field);
                        Bulk(value);
                    }
                    at.Elements++;
                    budget--;
                }
            }
        }
        else
        {
            Raw("*7\r\n$4\r\nXADD\r\n"u8);
            Bulk(key);
            Raw("$6\r\nMAXLEN\r\n$1\r\n0\r\n$3\r\n0-1\r\n$1\r\nx\r\n$1\r\ny\r\n"u8);
        }
        Raw("*7\r\n$6\r\nXSETID\r\n"u8);
        Bulk(key);
        Id(s.LastId);
        Bulk("ENTRIESADDED"u8);
        Bulk(s.EntriesAdded);
        Bulk("MAXDELETEDID"u8);
        Id(s.MaxDeletedId);
        if (s.GroupCount == 0) return true;
        foreach (var group in s.Groups.Values)
        {
            Raw("*7\r\n$6\r\nXGROUP\r\n$6\r\nCREATE\r\n"u8);
            Bulk(key);
            Bulk(group.Name);
            Id(group.LastId);
            Bulk("ENTRIESREAD"u8);
            Bulk(group.EntriesRead);
            foreach (var consumer in group.Consumers.Values)
            {
                if (consumer.Pending.Count == 0)
                {
                    Raw("*5\r\n$6\r\nXGROUP\r\n$14\r\nCREATECONSUMER\r\n"u8);
                    Bulk(key);
                    Bulk(group.Name);
                    Bulk(consumer.Name);
                    continue;
                }
                foreach (var nack in consumer.Pending)
                {
                    Raw("*12\r\n$6\r\nXCLAIM\r\n"u8);
                    Bulk(key);
                    Bulk(group.Name);
                    Bulk(consumer.Name);
                    Bulk("0"u8);
                    Id(nack.Id);
                    Bulk("TIME"u8);
                    Bulk(nack.DeliveryTime);
                    Bulk("RETRYCOUNT"u8);
                    Bulk(nack.DeliveryCount);
                    Bulk("JUSTID"u8);
                    Bulk("FORCE"u8);
                }
            }
        }
        return true;
    }

    void Id(StreamId id)
    {
        Span<byte> text = stackalloc byte[StreamId.MaxTextLength];
        Bulk(text[..id.Format(text)]);
    }

    /// <summary>Before element <paramref name="done"/> of <paramref name="total"/>: a new command's header when it starts one.</summary>
    void Item(ReadOnlySpan<byte> command, ReadOnlySpan<byte> key, long total, long done, int perItem)
    {
        if (done % ItemsPerCommand == 0) Header(command, key, Math.Min(total - done, ItemsPerCommand), perItem);
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
