using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using Vermilion.Protocol;
using Vermilion.Server;
using Vermilion.Storage;

namespace Vermilion.Persistence;

/// <summary>
/// Loads an RDB file of version 1 to 10 into a set of databases (rdb.c rdbLoadRioWithLoadingCtx):
/// AUX fields (logged or ignored), SELECTDB in any order, RESIZEDB, expiry in seconds or ms,
/// LRU idle time and LFU counter, every type Redis 7.0 loads (the old zipmap, ziplist and
/// quicklist encodings converted by <see cref="RdbValue"/>), EOF and the CRC-64 (a stored 0
/// skips the check); bytes after the CRC are ignored. Empty collections are skipped and keys
/// already past their deadline dropped (counted), unless the file is an AOF base. A duplicate
/// key, a database number out of range, a type Vermilion cannot store (modules), a
/// library that does not load (<see cref="LoadLibrary"/>), a checksum mismatch and any truncated or malformed byte end the load with
/// <see cref="Error"/> set; nothing throws out of <see cref="Load"/>.
///
/// The caller gives fresh databases and swaps them in only when the load succeeded, so a failed
/// load never leaves half a dataset behind.
///
/// The file is read through a window (1 MB, grown for a bigger value): each item (an opcode
/// with its operands, or a key with its value) is parsed from the bytes in the window, and only
/// once all of it parsed is it applied. An item cut by the window's end fails to parse and is
/// parsed again after more of the file is read in, so no parser needs to know about the window;
/// at the end of the file the same failure is the error. The checksum covers items as they are
/// applied.
/// </summary>
public sealed class RdbFileLoader
{
    const int WindowSize = 1 << 20;
    /// <summary>Below this many bytes left in the window, it is refilled before the next item (so few items straddle its end).</summary>
    const int RefillBelow = 64 * 1024;

    const byte OpcodeFunction2 = 0xF5, OpcodeFunction = 0xF6, OpcodeModuleAux = 0xF7, OpcodeIdle = 0xF8, OpcodeFreq = 0xF9,
        OpcodeAux = 0xFA, OpcodeResizeDb = 0xFB, OpcodeExpireTimeMs = 0xFC, OpcodeExpireTime = 0xFD, OpcodeSelectDb = 0xFE, OpcodeEof = 0xFF;

    readonly Config _config;
    readonly Db[] _databases;
    readonly Log? _log;
    readonly long _now;

    Stream _stream = null!;
    byte[] _window = [];
    int _start, _end;
    long _windowOffset;
    bool _endOfStream;

    ulong _crc;
    Db _db = null!;
    long _expire = -1, _idle = -1, _frequency = -1;
    bool _done;

    /// <summary>
    /// A loader into <paramref name="databases"/> (one per configured database, empty), which
    /// reads thresholds from <paramref name="config"/>; <paramref name="nowMs"/> decides which
    /// keys have expired (taken once, as Redis does).
    /// </summary>
    public RdbFileLoader(Config config, Db[] databases, Log? log, long nowMs)
    {
        _config = config;
        _databases = databases;
        _log = log;
        _now = nowMs;
    }

    /// <summary>The file is the base of a multi-part AOF: keys past their deadline are kept (the AOF's commands after it expect them).</summary>
    public bool AofBase { get; init; }
    /// <summary>DEBUG RELOAD MERGE (RDBFLAGS_ALLOW_DUP): a key already in the databases is replaced instead of ending the load.</summary>
    public bool AllowDuplicates { get; init; }
    /// <summary>Creates a library from its code (the server's functions engine, into a set kept apart until the load succeeds): null, or the error that fails the load.</summary>
    public Func<byte[], string?>? LoadLibrary { get; init; }
    /// <summary>rdbchecksum and DEBUG SET-SKIP-CHECKSUM-VALIDATION: whether the trailer is compared.</summary>
    public bool VerifyChecksum { get; init; } = true;

    public int Version { get; private set; }
    /// <summary>rdb_last_load_keys_loaded: keys read and kept (a duplicate counts, as in Redis).</summary>
    public long KeysLoaded { get; private set; }
    /// <summary>A replica keeps keys already expired (rdbLoad's iAmMaster test): its primary's DELs remove them.</summary>
    public bool KeepExpired { get; init; }

    /// <summary>rdb_last_load_keys_expired: keys read and dropped because their deadline had passed.</summary>
    public long KeysExpired { get; private set; }
    /// <summary>Each key dropped for its deadline, with its database (a primary's load at startup: RDBFLAGS_FEED_REPL).</summary>
    public Action<int, ReadOnlySpan<byte>>? KeyExpired { get; init; }
    public long EmptyKeysSkipped { get; private set; }
    /// <summary>The used-mem AUX field (loading_rdb_used_mem: INFO's estimate of a load's size when the file's is unknown), 0 without one.</summary>
    public long CreatedUsedMemory { get; private set; }
    /// <summary>The repl-stream-db, repl-id and repl-offset AUX fields, when the file has all three (rsi_is_valid).</summary>
    public ReplicationSaveInfo? Replication => _replId is not null && _replOffset != -1 && _replStreamDb != -1 ? new(_replStreamDb, _replId, _replOffset) : null;
    string? _replId;
    long _replOffset = -1;
    int _replStreamDb = -1;

    /// <summary>
    /// rdbLoadProgressCallback: called with the bytes read so far each time another
    /// <see cref="ProgressInterval"/> bytes have been read, between items (never while one is
    /// half applied); the server serves clients from it. Answering false stops the load
    /// (<see cref="Interrupted"/>): the server is shutting down.
    /// </summary>
    public Func<long, bool>? Progress { get; init; }
    /// <summary>loading-process-events-interval-bytes; 0: no progress calls.</summary>
    public long ProgressInterval { get; init; }
    /// <summary>A replica's diskless load: the stream is its primary's socket, and ending early is a cut link (rdbReportError's "from socket" case).</summary>
    public bool FromSocket { get; init; }
    /// <summary>After each key read, kept or expired (key-load-delay's debugDelay).</summary>
    public Action? KeyRead { get; init; }
    /// <summary>The load stopped because <see cref="Progress"/> said so, not because of the file.</summary>
    public bool Interrupted { get; private set; }
    long _lastProgress;
    /// <summary>Why the load failed (one line, with the file offset), or null.</summary>
    public string? Error { get; private set; }
    /// <summary>Bytes of the file taken by the load (through the CRC on success).</summary>
    public long BytesRead => _windowOffset + _start;

    /// <summary>Reads the whole RDB from <paramref name="stream"/>; false with <see cref="Error"/> set when it is not a complete, valid file.</summary>
    public bool Load(Stream stream)
    {
        _stream = stream;
        _window = ArrayPool<byte>.Shared.Rent(WindowSize);
        _db = _databases[0];
        try
        {
            return LoadItems();
        }
        catch (IOException e)
        {
            return Fail($"Error reading the RDB file: {e.Message}");
        }
        finally
        {
            ReturnWindow();
        }
    }

    bool LoadItems()
    {
        if (!TryHeader()) return false;
        while (!_done)
        {
            if (_end - _start < RefillBelow && !_endOfStream) Refill(grow: false);
            long offset = BytesRead;
            var reader = new RdbReader(_window.AsSpan(_start, _end - _start));
            Outcome outcome;
            try
            {
                outcome = Item(ref reader, offset);
            }
            catch (Exception e)
            {
                // A value whose construction failed (a listpack past 2 GB...) is bad data, never a crash.
                return Fail($"Internal error in RDB reading offset {offset}: {e.Message}");
            }
            if (outcome == Outcome.Done)
            {
                Consume(reader.Position);
                if (ProgressInterval > 0 && Progress is not null && BytesRead / ProgressInterval > _lastProgress / ProgressInterval)
                {
                    _lastProgress = BytesRead;
                    if (!Progress(BytesRead))
                    {
                        // Not the file's fault: nothing to warn about.
                        Interrupted = true;
                        Error = $"Loading interrupted at offset {BytesRead}: the server is shutting down";
                        return false;
                    }
                }
            }
            else if (outcome == Outcome.Failed) return false;
            else if (!reader.RanOut)
                return Fail($"Corrupt RDB data at offset {offset}{_what}. Unrecoverable error, aborting now.");
            else if (_endOfStream || !Refill(grow: _start == 0 && _end == _window.Length))
                return Fail(FromSocket
                    ? $"Internal error in RDB reading offset {offset}{_what} -> Unexpected EOF reading RDB file. Failure loading rdb format from socket, assuming connection error, resuming operation."
                    : $"Short read loading DB at offset {offset}{_what}: the file ends inside it. Unrecoverable error, aborting now.");
        }
        if (Version >= 5 && !TryChecksum()) return false;
        string line = $"Done loading RDB, keys loaded: {KeysLoaded}, keys expired: {KeysExpired}";
        if (EmptyKeysSkipped > 0) _log?.Warning(line + $", empty keys skipped: {EmptyKeysSkipped}.");
        else _log?.Notice(line + ".");
        return true;
    }

    /// <summary>What an item was: Done (applied), Incomplete (its bytes did not parse: more of the file may help if the reader ran out), Failed (Error is set).</summary>
    enum Outcome { Done, Incomplete, Failed }

    /// <summary>For the error line of an item that did not parse: the key and type being read.</summary>
    string _what = "";

    // ---- the window ----

    /// <summary>
    /// Moves what is left to the front and reads until the window is full or the file ends;
    /// with <paramref name="grow"/>, first doubles the window (an item bigger than it). False
    /// when it cannot grow any more.
    /// </summary>
    bool Refill(bool grow)
    {
        int left = _end - _start;
        byte[] target = _window;
        if (grow)
        {
            if (_window.Length >= Array.MaxLength) return false;
            target = new byte[(int)Math.Min(2L * _window.Length, Array.MaxLength)];
        }
        _window.AsSpan(_start, left).CopyTo(target);
        if (!ReferenceEquals(target, _window))
        {
            ReturnWindow();
            _window = target;
        }
        _windowOffset += _start;
        _start = 0;
        _end = left;
        while (_end < _window.Length && !_endOfStream)
        {
            int n = _stream.Read(_window, _end, _window.Length - _end);
            if (n == 0) _endOfStream = true;
            _end += n;
            // A socket's bytes are parsed as they come (rioConnRead): waiting for a full window
            // would hold a slow primary's whole snapshot before the first key.
            if (FromSocket && n > 0) break;
        }
        return true;
    }

    /// <summary>An applied item's bytes join the checksum; a window grown for one big item goes back to the usual size.</summary>
    void Consume(int bytes)
    {
        _crc = Crc64.Compute(_window.AsSpan(_start, bytes), _crc);
        _start += bytes;
        if (_window.Length > 4 * WindowSize && _end - _start <= WindowSize)
        {
            var small = ArrayPool<byte>.Shared.Rent(WindowSize);
            _window.AsSpan(_start, _end - _start).CopyTo(small);
            _windowOffset += _start;
            _end -= _start;
            _start = 0;
            _window = small;
        }
    }

    void ReturnWindow()
    {
        // Only the usual window came from the pool; a grown one is left to the collector.
        if (_window.Length == WindowSize) ArrayPool<byte>.Shared.Return(_window);
        _window = [];
    }

    bool Fail(string error)
    {
        Error = error;
        _log?.Warning(error);
        return false;
    }

    // ---- the parts of the file ----

    /// <summary>"REDIS" and the version as atoi reads it (rdbLoadRioWithLoadingCtx).</summary>
    bool TryHeader()
    {
        while (_end < 9 && !_endOfStream) Refill(grow: false);
        if (_end < 9) return Fail("Short read or OOM loading DB. Unrecoverable error, aborting now.");
        var header = _window.AsSpan(0, 9);
        if (!header.StartsWith("REDIS"u8)) return Fail("Wrong signature trying to load DB from file");
        Version = Atoi(header[5..]);
        if (Version is < 1 or > RdbFormat.Version) return Fail($"Can't handle RDB format version {Version}");
        Consume(9);
        return true;
    }

    static int Atoi(ReadOnlySpan<byte> text)
    {
        int i = 0, sign = 1, value = 0;
        while (i < text.Length && text[i] is (byte)' ' or (byte)'\t') i++;
        if (i < text.Length && text[i] is (byte)'+' or (byte)'-') sign = text[i++] == '-' ? -1 : 1;
        for (; i < text.Length && char.IsAsciiDigit((char)text[i]); i++) value = value * 10 + (text[i] - '0');
        return sign * value;
    }

    /// <summary>The 8 bytes after EOF: a stored 0 means the writer had rdbchecksum off.</summary>
    bool TryChecksum()
    {
        while (_end - _start < 8 && !_endOfStream) Refill(grow: false);
        if (_end - _start < 8) return Fail($"Short read or OOM loading DB at offset {BytesRead} (the checksum). Unrecoverable error, aborting now.");
        ulong stored = BinaryPrimitives.ReadUInt64LittleEndian(_window.AsSpan(_start, 8));
        _start += 8;
        if (!VerifyChecksum) return true;
        if (stored == 0)
        {
            _log?.Warning("RDB file was saved with checksum disabled: no check performed.");
            return true;
        }
        if (stored != _crc)
        {
            _log?.Warning($"Wrong RDB checksum expected: ({_crc:x}) but got ({stored:x}). Aborting now.");
            // rdbReportCorruptRDB's line (its offset is loading_loaded_bytes, the last progress step's), which tools grep for "CRC error".
            return Fail($"Internal error in RDB reading offset {_lastProgress}, function at rdb.c:3216 -> RDB CRC error");
        }
        return true;
    }

    /// <summary>One opcode with its operands, or one key with its value: parsed whole, then applied.</summary>
    Outcome Item(ref RdbReader reader, long offset)
    {
        _what = "";
        if (!reader.TryReadByte(out byte type)) return Outcome.Incomplete;
        switch (type)
        {
            case OpcodeExpireTime:
                // Seconds in 32 bits (RDB before 3), little-endian.
                if (!reader.TryReadBytes(4, out var seconds)) return Outcome.Incomplete;
                _expire = BinaryPrimitives.ReadInt32LittleEndian(seconds) * 1000L;
                return Outcome.Done;
            case OpcodeExpireTimeMs:
                if (!reader.TryReadBytes(8, out var ms)) return Outcome.Incomplete;
                _expire = BinaryPrimitives.ReadInt64LittleEndian(ms);
                return Outcome.Done;
            case OpcodeFreq:
                if (!reader.TryReadByte(out byte frequency)) return Outcome.Incomplete;
                _frequency = frequency;
                return Outcome.Done;
            case OpcodeIdle:
                if (!reader.TryReadLength(out ulong idle)) return Outcome.Incomplete;
                _idle = (long)Math.Min(idle, long.MaxValue);
                return Outcome.Done;
            case OpcodeEof:
                _done = true;
                return Outcome.Done;
            case OpcodeSelectDb:
                if (!reader.TryReadLength(out ulong dbid)) return Outcome.Incomplete;
                if (dbid >= (ulong)_databases.Length)
                {
                    Fail($"FATAL: Data file was created with a Redis server configured to handle more than {_databases.Length} databases. Exiting");
                    return Outcome.Failed;
                }
                _db = _databases[(int)dbid];
                return Outcome.Done;
            case OpcodeResizeDb:
                // Size hints: the keyspace grows by doubling as keys arrive, in whole segments.
                return reader.TryReadLength(out _) && reader.TryReadLength(out _) ? Outcome.Done : Outcome.Incomplete;
            case OpcodeAux:
                return Aux(ref reader);
            case OpcodeModuleAux:
                if (!reader.TryReadLength(out ulong moduleId)) return Outcome.Incomplete;
                Fail($"The RDB file contains AUX module data I can't load: no matching module '{ModuleName(moduleId)}' (offset {offset}); modules are not built in Vermilion");
                return Outcome.Failed;
            case OpcodeFunction or OpcodeFunction2:
                return Function(ref reader, type, offset);
        }
        return Key(ref reader, type, offset);
    }

    /// <summary>
    /// rdbFunctionLoad: a library's code (FUNCTION2, or 7.0-rc's FUNCTION turned into that form),
    /// handed to <see cref="LoadLibrary"/> once read whole; its error ends the load as Redis's
    /// "Failed loading library" does.
    /// </summary>
    Outcome Function(ref RdbReader reader, byte type, long offset)
    {
        _what = " (a function library)";
        var code = FunctionsPayload.TryReadLibrary(ref reader, type, out var error);
        if (code is null)
        {
            if (reader.RanOut) return Outcome.Incomplete;
            Fail($"Failed loading library, {error} (offset {offset})");
            return Outcome.Failed;
        }
        if (LoadLibrary is null)
        {
            Fail($"The RDB file contains a function library (offset {offset}) and this load takes none");
            return Outcome.Failed;
        }
        if (LoadLibrary(code) is { } failed)
        {
            Fail($"Failed loading library, {failed}");
            return Outcome.Failed;
        }
        return Outcome.Done;
    }

    Outcome Aux(ref RdbReader reader)
    {
        if (!reader.TryReadString(out var key)) return Outcome.Incomplete;
        using (key)
        {
            if (!reader.TryReadString(out var value)) return Outcome.Incomplete;
            using (value) LogAux(key.Value, value.Value);
        }
        return Outcome.Done;
    }

    /// <summary>The AUX fields Redis logs; the rest are ignored, as the AUX contract says.</summary>
    void LogAux(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        string v = Encoding.Latin1.GetString(value);
        // strtoll's value, as Redis keeps it for INFO's loading_* estimate.
        if (Is(key, "used-mem")) CreatedUsedMemory = IntegerText.Atoi(value);
        else if (Is(key, "repl-stream-db")) _replStreamDb = (int)IntegerText.Atoi(value);
        else if (Is(key, "repl-id") && value.Length == 40) _replId = Encoding.ASCII.GetString(value);
        else if (Is(key, "repl-offset")) _replOffset = IntegerText.Atoi(value);
        if (_log is null) return;
        if (key.Length > 0 && key[0] == '%') _log.Notice($"RDB '{Encoding.Latin1.GetString(key)}': {v}");
        else if (Is(key, "redis-ver")) _log.Notice($"Loading RDB produced by version {v}");
        else if (Is(key, "ctime"))
        {
            long.TryParse(v, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long ctime);
            _log.Notice($"RDB age {Math.Max(0, _now / 1000 - ctime)} seconds");
        }
        else if (Is(key, "used-mem"))
        {
            long.TryParse(v, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long used);
            _log.Notice($"RDB memory usage when created {(used / (1024.0 * 1024)).ToString("F2", CultureInfo.InvariantCulture)} Mb");
        }
        else if (Is(key, "aof-preamble") && v != "0") _log.Notice("RDB has an AOF tail");
        else if (Is(key, "aof-base") && v != "0") _log.Notice("RDB is base AOF");
        else if (!Is(key, "redis-bits") && !Is(key, "repl-stream-db") && !Is(key, "repl-id") && !Is(key, "repl-offset") && !Is(key, "lua"))
            _log.Debug($"Unrecognized RDB AUX field: '{Encoding.Latin1.GetString(key)}'");
    }

    static bool Is(ReadOnlySpan<byte> key, string name) => Ascii.EqualsIgnoreCase(key, name);

    Outcome Key(ref RdbReader reader, byte type, long offset)
    {
        if (!reader.TryReadString(out var key))
        {
            _what = $" (reading a key of RDB type {type})";
            return Outcome.Incomplete;
        }
        using (key)
        {
            var outcome = Value(ref reader, type, key.Value, offset);
            if (outcome == Outcome.Incomplete) _what = $" (key '{Printable(key.Value)}', RDB type {type})";
            return outcome;
        }
    }

    Outcome Value(ref RdbReader reader, byte type, ReadOnlySpan<byte> key, long offset)
    {
        if (!RdbFormat.IsObjectType(type))
        {
            Fail($"Unknown RDB encoding type {type} at offset {offset} (key '{Printable(key)}')");
            return Outcome.Failed;
        }
        switch ((RdbType)type)
        {
            case RdbType.Module or RdbType.Module2:
                if (!reader.TryReadLength(out ulong moduleId)) return Outcome.Incomplete;
                Fail($"The RDB file contains module data I can't load: no matching module type '{ModuleName(moduleId)}' (RDB type {type} at offset {offset}, key '{Printable(key)}'); modules are not built in Vermilion");
                return Outcome.Failed;
            case RdbType.String:
                if (!reader.TryReadString(out var text)) return Outcome.Incomplete;
                using (text) return Add(key, text.Value, null) ? Outcome.Done : Outcome.Failed;
        }
        var views = _db.Views;
        int mark = views.Lent;
        try
        {
            switch (RdbValue.Read(ref reader, (RdbType)type, key, _config, out var value))
            {
                case RdbReadResult.Corrupt:
                    return Outcome.Incomplete;
                case RdbReadResult.Empty:
                    if (EmptyKeysSkipped++ < 10) _log?.Warning($"rdbLoadObject skipping empty key: {Printable(key)}");
                    ResetKeyState();
                    return Outcome.Done;
            }
            return Add(key, default, value) ? Outcome.Done : Outcome.Failed;
        }
        finally
        {
            // Db.Add made the value a view of its new record: it goes back now.
            views.ReturnTo(mark);
        }
    }

    /// <summary>The key joins the database selected, unless it expired (then it is counted and dropped).</summary>
    bool Add(ReadOnlySpan<byte> key, ReadOnlySpan<byte> text, StoredObject? value)
    {
        long expire = _expire, idle = _idle, frequency = _frequency;
        ResetKeyState();
        KeyRead?.Invoke();
        if (!AofBase && !KeepExpired && expire != -1 && expire < _now)
        {
            KeysExpired++;
            KeyExpired?.Invoke(_db.Id, key);
            return true;
        }
        KeysLoaded++;
        if (_db.Keys.Find(key) >= 0)
        {
            if (!AllowDuplicates)
            {
                _log?.Warning($"RDB has duplicated key '{Printable(key)}' in DB {_db.Id}");
                Fail("Duplicated key found in RDB file");
                return false;
            }
            _db.Delete(key);
        }
        if (value is null) _db.Set(key, text);
        else _db.Add(value);
        if (expire != -1) _db.SetExpire(key, expire);
        // objectSetLRUOrLFU: the counter under an LFU policy, else the idle time.
        if (frequency >= 0) _db.SetFrequency(key, (int)frequency);
        if (idle >= 0) _db.SetIdleTime(key, idle);
        return true;
    }

    /// <summary>The opcodes before a key apply to that key only.</summary>
    void ResetKeyState() => _expire = _idle = _frequency = -1;

    /// <summary>moduleTypeNameByID: nine characters of six bits each above the 10-bit encoding version.</summary>
    static string ModuleName(ulong id)
    {
        const string charset = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        var name = new char[9];
        id >>= 10;
        for (int j = 8; j >= 0; j--)
        {
            name[j] = charset[(int)(id & 63)];
            id >>= 6;
        }
        return new string(name);
    }

    /// <summary>A key for a log line: printable ASCII as it is, other bytes escaped, at most 128 bytes of it.</summary>
    static string Printable(ReadOnlySpan<byte> key)
    {
        var sb = new StringBuilder();
        foreach (byte b in key[..Math.Min(key.Length, 128)])
        {
            if (b is >= 32 and < 127 && b != '\\' && b != '\'') sb.Append((char)b);
            else sb.Append($"\\x{b:x2}");
        }
        if (key.Length > 128) sb.Append("...");
        return sb.ToString();
    }
}
