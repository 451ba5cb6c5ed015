using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using Vermilion.Server;
using Vermilion.Storage;

namespace Vermilion.Persistence;

/// <summary>What an RDB file says about the server that wrote it (rdbSaveInfoAuxFields), and how it is written.</summary>
public readonly record struct RdbFileOptions
{
    /// <summary>rdbcompression: LZF for strings longer than 20 bytes.</summary>
    public bool Compression { get; init; }
    /// <summary>rdbchecksum: the CRC-64 trailer; zeros without it (the loader then skips the check).</summary>
    public bool Checksum { get; init; }
    /// <summary>The "ctime" AUX field: when the snapshot was taken, Unix seconds.</summary>
    public long CreatedAt { get; init; }
    /// <summary>The "used-mem" AUX field: used_memory when the snapshot was taken.</summary>
    public long UsedMemory { get; init; }
    /// <summary>The "aof-base" AUX field: 1 for the base of a multi-part AOF.</summary>
    public bool AofBase { get; init; }
    /// <summary>The maxmemory-policy's kind: LRU policies write each key's idle time (F8), LFU ones its counter (F9).</summary>
    public MaxMemoryPolicy Policy { get; init; }
    /// <summary>rdbPopulateSaveInfo: the replication history this dataset is at (repl-stream-db, repl-id, repl-offset), or null outside any.</summary>
    public ReplicationSaveInfo? Replication { get; init; }
}

/// <summary>Where in a replication stream a snapshot was cut: its selected database, the replication ID and the offset.</summary>
public sealed record ReplicationSaveInfo(int StreamDb, string Id, long Offset);

/// <summary>
/// An RDB 10 file as Redis 7.0.15 writes it (rdb.c rdbSaveRio), made incrementally: the header
/// and the five AUX fields of a standalone server at construction, then whatever the caller
/// feeds it database by database and key by key, then the EOF opcode and the CRC-64 at
/// <see cref="Finish"/>. Nothing here reads the dataset on its own or does any I/O: bytes fill
/// pooled chunks (<see cref="ChunkSize"/> and more) that go to the <see cref="IRdbChunkSink"/>
/// as they fill, each checksummed on the way out, so the caller decides when to write and a
/// chunk handed over is never touched again. The synchronous SAVE feeds every key in one go to
/// a file sink; a fork-less BGSAVE can feed keys in time slices on the loop thread and give the
/// chunks to a writer thread.
///
/// Layout: <c>REDIS0010</c>, AUX redis-ver/redis-bits/ctime/used-mem/aof-base, per non-empty
/// database <c>FE dbid FB size expires</c>, per key <c>[FC ms] [F8 idle | F9 freq] type key
/// value</c>, <c>FF</c>, CRC-64 (little-endian) of everything before it. Not written: the
/// replication AUX fields (no replication), functions and module data (not built).
/// </summary>
public sealed class RdbFileWriter : IDatasetWriter
{
    /// <summary>The size chunks are made in (a key bigger than a chunk gets one of its size, or is split).</summary>
    public const int ChunkSize = 64 * 1024;

    const byte OpcodeIdle = 0xF8, OpcodeFreq = 0xF9, OpcodeAux = 0xFA, OpcodeResizeDb = 0xFB,
        OpcodeExpireTimeMs = 0xFC, OpcodeSelectDb = 0xFE, OpcodeEof = 0xFF;

    readonly RdbWriter _stream;
    readonly IRdbChunkSink _sink;
    /// <summary>Where bytes go now: the stream, or the side buffer while a key is set aside (<see cref="WriteKeyAside"/>).</summary>
    RdbWriter _writer;
    SideBuffer? _side;
    /// <summary>The element-wise value begun by <see cref="BeginKey"/> and how far it has got; null when none is open.</summary>
    StoredObject? _open;
    ElementPosition _at;
    readonly RdbFileOptions _options;
    readonly Eviction? _eviction;
    ulong _crc;
    bool _finished, _trailer;
    int _database = -1;

    /// <summary>Bytes handed to the sink so far.</summary>
    public long BytesWritten { get; private set; }
    /// <summary>Keys written so far (<see cref="WriteKey(int, Keyspace, int)"/> and its overloads).</summary>
    public long KeysWritten { get; private set; }

    /// <summary>
    /// Starts a file: the header and AUX fields are written now (they stay in the first chunk
    /// until it fills or <see cref="Finish"/>). <paramref name="eviction"/> reads keys' access
    /// fields as idle seconds or LFU counters when the policy saves them.
    /// </summary>
    public RdbFileWriter(IRdbChunkSink sink, RdbFileOptions options, Eviction? eviction = null)
    {
        _sink = sink;
        _options = options;
        _eviction = eviction;
        _writer = _stream = new RdbWriter(new Checksummer(this), ChunkSize) { Compress = options.Compression };
        _writer.WriteRaw("REDIS"u8);
        Span<byte> version = stackalloc byte[4];
        Encoding.ASCII.GetBytes(RdbFormat.Version.ToString("D4", CultureInfo.InvariantCulture), version);
        _writer.WriteRaw(version);
        WriteAux("redis-ver"u8, Encoding.ASCII.GetBytes(VermilionServer.RedisVersion));
        WriteAux("redis-bits", 64);
        WriteAux("ctime", options.CreatedAt);
        WriteAux("used-mem", options.UsedMemory);
        if (options.Replication is { } repl)
        {
            WriteAux("repl-stream-db", repl.StreamDb);
            WriteAux("repl-id"u8, Encoding.ASCII.GetBytes(repl.Id));
            WriteAux("repl-offset", repl.Offset);
        }
        WriteAux("aof-base", options.AofBase ? 1 : 0);
    }

    void WriteAux(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        _writer.WriteByte(OpcodeAux);
        _writer.WriteString(key);
        _writer.WriteString(value);
    }

    /// <summary>rdbSaveAuxFieldStrInt: the number as its decimal text (which rdbSaveRawString then int-encodes when it fits).</summary>
    void WriteAux(string key, long value)
    {
        Span<byte> digits = stackalloc byte[20];
        WriteAux(Encoding.ASCII.GetBytes(key), digits[..Protocol.IntegerText.Format(value, digits)]);
    }

    /// <summary>rdbSaveFunctions: after the AUX fields and before the databases, each library as FUNCTION2 and its code.</summary>
    public void WriteFunctions(IReadOnlyList<byte[]> libraries)
    {
        foreach (var code in libraries) FunctionsPayload.WriteLibrary(_writer, code);
    }

    /// <summary>
    /// rdbSaveDb's start: SELECTDB and RESIZEDB for a database about to be written (call it only
    /// for a database with keys: Redis writes nothing for an empty one). The sizes are hints for
    /// the loader's tables: the counts at the moment the snapshot was taken.
    /// </summary>
    public void BeginDatabase(int dbIndex, long size, long expires)
    {
        CheckOpen();
        SelectDatabase(dbIndex);
        _writer.WriteByte(OpcodeResizeDb);
        _writer.WriteLength((ulong)size);
        _writer.WriteLength((ulong)expires);
    }

    /// <summary>
    /// SELECTDB alone, when <paramref name="dbIndex"/> is not the database being written: a key
    /// of another database written out of turn (a BGSAVE saving a key before its first write)
    /// goes under its own SELECTDB, and the next key of the current database under another.
    /// The loader takes SELECTDB in any order, as Redis's does.
    /// </summary>
    public void SelectDatabase(int dbIndex)
    {
        CheckOpen();
        if (dbIndex == _database) return;
        _writer.WriteByte(OpcodeSelectDb);
        _writer.WriteLength((ulong)dbIndex);
        _database = dbIndex;
    }

    /// <summary>
    /// rdbSaveKeyValuePair for the key at <paramref name="entry"/> of <paramref name="keys"/> (a
    /// database's keyspace) as it is now: its deadline, its idle time or LFU counter as the
    /// policy wants, its type, key and value (a string from its record, a collection through
    /// its object or a view of its record, returned to the pool before this returns). Emits
    /// SELECTDB first when <paramref name="dbIndex"/> is not the database being written.
    /// Runs on the loop thread (it reads live data); the bytes it makes belong to the writer.
    /// </summary>
    public void WriteKey(int dbIndex, Keyspace keys, int entry)
    {
        if (Begin(dbIndex, keys, entry) is not { } value) return;
        var at = default(ElementPosition);
        long all = long.MaxValue;
        RdbValue.WriteElements(_writer, value, ref at, ref all);
        KeysWritten++;
    }

    /// <summary>As <see cref="WriteKey(int, Keyspace, int)"/>, but an element-wise value stops after its length: see <see cref="IDatasetWriter.BeginKey"/>.</summary>
    public bool BeginKey(int dbIndex, Keyspace keys, int entry)
    {
        if (_open is not null) throw new InvalidOperationException("a key is already half written");
        _open = Begin(dbIndex, keys, entry);
        _at = default;
        return _open is null;
    }

    /// <summary>More of the value <see cref="BeginKey"/> left open: see <see cref="IDatasetWriter.WriteElements"/>.</summary>
    public bool WriteElements(Keyspace keys, int entry, ref long budget)
    {
        // The object, not a view: an element-wise value is always a managed object, so holding it between slices holds nothing of the view pool.
        var value = _open ?? throw new InvalidOperationException("no key is half written");
        if (!RdbValue.WriteElements(_stream, value, ref _at, ref budget)) return false;
        _open = null;
        KeysWritten++;
        return true;
    }

    /// <summary>A whole key into the side buffer, while the stream holds a value half written.</summary>
    public void WriteKeyAside(int dbIndex, Keyspace keys, int entry)
    {
        _side ??= new SideBuffer(_options.Compression);
        _writer = _side.Writer;
        try
        {
            WriteKey(dbIndex, keys, entry);
        }
        finally
        {
            _writer = _stream;
        }
    }

    /// <summary>
    /// The side buffer joins the stream. The SELECTDB state needs nothing: the buffer began in the
    /// database of the value just ended, and the stream goes on in the database it ended in.
    /// </summary>
    public void JoinAside() => _side?.JoinInto(_stream);

    /// <summary>
    /// The key's opcodes, and then its value whole (null returned), or for an element-wise value
    /// only its type, key and length (the value returned: its elements come next).
    /// </summary>
    StoredObject? Begin(int dbIndex, Keyspace keys, int entry)
    {
        SelectDatabase(dbIndex);
        long deadline = keys.Deadline(entry);
        if (deadline == 0) deadline = -1;
        uint access = keys.Lru(entry);
        if (keys.TryGetString(entry, out var text))
        {
            WriteKey(keys.Key(entry), text, deadline, access);
            return null;
        }
        var views = keys.Views;
        int mark = views.Lent;
        try
        {
            var value = keys.Object(entry)!;
            if (!RdbValue.IsElementWise(value))
            {
                WriteKey(keys.Key(entry), value, deadline, access);
                return null;
            }
            WriteKeyPrefix(deadline, access);
            RdbValue.WriteKeyedHeader(_writer, keys.Key(entry), value);
            return value;
        }
        finally
        {
            views.ReturnTo(mark);
        }
    }

    /// <summary>A string key: <paramref name="expireMs"/> is its deadline (Unix ms) or -1, <paramref name="access"/> its LRU/LFU field.</summary>
    public void WriteKey(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, long expireMs, uint access)
    {
        WriteKeyPrefix(expireMs, access);
        _writer.WriteType(RdbType.String);
        _writer.WriteString(key);
        _writer.WriteString(value);
        KeysWritten++;
    }

    /// <summary>A key holding a collection (or a string grown in place): as <see cref="WriteKey(ReadOnlySpan{byte}, ReadOnlySpan{byte}, long, uint)"/>.</summary>
    public void WriteKey(ReadOnlySpan<byte> key, StoredObject value, long expireMs, uint access)
    {
        WriteKeyPrefix(expireMs, access);
        if (!RdbValue.TryWriteKeyed(_writer, key, value))
            throw new InvalidOperationException($"no RDB form for a value of type {value.Type}");
        KeysWritten++;
    }

    /// <summary>The opcodes before a key's type: its deadline, then its idle time (LRU policies) or counter (LFU policies).</summary>
    void WriteKeyPrefix(long expireMs, uint access)
    {
        CheckOpen();
        if (_database < 0) throw new InvalidOperationException("a key before any database was selected");
        if (expireMs != -1)
        {
            Span<byte> ms = stackalloc byte[8];
            BinaryPrimitives.WriteInt64LittleEndian(ms, expireMs);
            _writer.WriteByte(OpcodeExpireTimeMs);
            _writer.WriteRaw(ms);
        }
        if (_eviction is null) return;
        if (_options.Policy is MaxMemoryPolicy.AllKeysLru or MaxMemoryPolicy.VolatileLru)
        {
            // estimateObjectIdleTime in ms, saved in seconds.
            _writer.WriteByte(OpcodeIdle);
            _writer.WriteLength((ulong)(_eviction.IdleMs(access) / 1000));
        }
        else if (_options.Policy is MaxMemoryPolicy.AllKeysLfu or MaxMemoryPolicy.VolatileLfu)
        {
            // LFUDecrAndReturn: the counter as it would read now, without the time it was last decayed.
            _writer.WriteByte(OpcodeFreq);
            _writer.WriteByte((byte)_eviction.LfuDecayed(access));
        }
    }

    /// <summary>Hands what is written so far to the sink now, as a short chunk (a BGSAVE may want its bytes on their way before a long pause).</summary>
    public void Flush()
    {
        CheckOpen();
        _stream.Flush();
    }

    /// <summary>The EOF opcode and the CRC-64 trailer; every byte is with the sink when this returns. The writer is done.</summary>
    public void Finish()
    {
        CheckOpen();
        if (_open is not null) throw new InvalidOperationException("the file ends in the middle of a key");
        _stream.WriteByte(OpcodeEof);
        // The bytes not handed over yet join the checksum here, so the trailer shares their chunk.
        if (_options.Checksum) _crc = Crc64.Compute(_stream.Written, _crc);
        _trailer = true;
        Span<byte> crc = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(crc, _options.Checksum ? _crc : 0);
        _stream.WriteRaw(crc);
        _stream.Flush();
        _finished = true;
    }

    /// <summary>An unfinished file is abandoned (a failed save): the chunk being filled goes back to the pool.</summary>
    public void Dispose()
    {
        _stream.Reset();
        _side?.Discard();
        _open = null;
        _finished = true;
    }

    /// <summary>Between the inner writer and the caller's sink: each chunk is checksummed and counted as it leaves (from the trailer on, everything before it is summed already).</summary>
    sealed class Checksummer(RdbFileWriter file) : IRdbChunkSink
    {
        public void Accept(RdbChunk chunk)
        {
            if (file._options.Checksum && !file._trailer) file._crc = Crc64.Compute(chunk.Span, file._crc);
            file.BytesWritten += chunk.Length;
            file._sink.Accept(chunk);
        }
    }

    void CheckOpen()
    {
        if (_finished) throw new InvalidOperationException("the RDB file is finished");
    }
}
