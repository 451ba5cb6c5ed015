using System.Text;
using Vermilion.Protocol;
using Vermilion.Server;

namespace Vermilion.Persistence;

/// <summary>How loading one AOF file ended (aof.c's AOF_OK … AOF_TRUNCATED).</summary>
public enum AofLoadStatus { Ok, NotExist, Empty, OpenError, Failed, Truncated }

public enum AofReplayResult { Ran, UnknownCommand, WrongArity }

/// <summary>What replays the commands of an AOF: the server's fake client (createAOFClient).</summary>
public interface IAofReplay
{
    /// <summary>Runs (or, inside MULTI, queues) one command.</summary>
    AofReplayResult Run(CommandArgs args);
    /// <summary>The command just given to <see cref="Run"/> was MULTI.</summary>
    bool IsMulti(CommandArgs args);
    /// <summary>A MULTI is open (queued commands wait for an EXEC).</summary>
    bool InMulti { get; }
}

/// <summary>
/// Reads one file of a multi-part AOF and replays it (aof.c loadSingleAppendOnlyFile), with
/// Redis's reading rules to the byte, because where a damaged file is cut must be where Redis
/// cuts it: lines are read as fgets into a 1024-byte buffer reads them, '#' lines (timestamps)
/// are skipped, a line not starting with '*' or an argument line not starting with '$' is a
/// format error (fatal), and running out of bytes anywhere inside a command is a short read.
/// A short read (or EOF inside MULTI) of the last file with aof-load-truncated truncates the
/// file at the end of the last whole command (before the MULTI for an unfinished transaction)
/// and loads what came before; otherwise it is fatal. A base that starts with "REDIS" is an RDB
/// image (the RDB preamble), handed to <see cref="RdbImageLoader"/>.
/// </summary>
public sealed class AofLoader(Log log, string directory, bool loadTruncated, AofLoader.RdbImageLoader? rdbLoader)
{
    /// <summary>
    /// Loads one RDB image (an AOF base written with aof-use-rdb-preamble, or the preamble of an
    /// old single-file AOF) from <paramref name="input"/>, positioned at its "REDIS" magic, and
    /// leaves the stream's Position just past the image's checksum. Returns false after logging
    /// why when the image cannot be loaded. rdbLoadRio with RDBFLAGS_AOF_PREAMBLE: expired keys
    /// are kept.
    /// </summary>
    public delegate bool RdbImageLoader(Stream input);

    /// <summary>AOF_ANNOTATION_LINE_MAX_LEN: the buffer each line is read into.</summary>
    const int LineBuffer = 1024;
    /// <summary>loadSingleAppendOnlyFile serves clients once every this many commands.</summary>
    const int CommandsPerProgress = 1024;

    /// <summary>
    /// The loader's progress (loadingIncrProgress, then processEventsWhileBlocked): the bytes read
    /// since the last call, before every 1024th command (the first too). False stops the load
    /// (<see cref="Interrupted"/>): the server is shutting down.
    /// </summary>
    public Func<long, bool>? Progress { get; init; }
    /// <summary>The last load stopped because <see cref="Progress"/> said so; its status is Failed, and nothing was logged as an error.</summary>
    public bool Interrupted { get; private set; }

    /// <summary>
    /// Loads <paramref name="fileName"/> (a name in the AOF directory). <paramref name="oldStyle"/>:
    /// it is the single file of a pre-7.0 AOF (appendfilename itself), which changes only the log lines.
    /// </summary>
    public AofLoadStatus Load(string fileName, IAofReplay replay, bool oldStyle)
    {
        string path = Path.Combine(directory, fileName);
        FileStream file;
        try
        {
            file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.SequentialScan);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            if (e is FileNotFoundException or DirectoryNotFoundException)
            {
                log.Warning($"The append log file {fileName} doesn't exist: No such file or directory");
                return AofLoadStatus.NotExist;
            }
            log.Warning($"Fatal error: can't open the append log file {fileName} for reading: {Reason(e)}");
            return AofLoadStatus.OpenError;
        }
        using (file)
        {
            if (file.Length == 0) return AofLoadStatus.Empty;
            try
            {
                return Replay(file, fileName, path, replay, oldStyle);
            }
            catch (IOException e)
            {
                log.Warning($"Unrecoverable error reading the append only file {fileName}: {Reason(e)}");
                return AofLoadStatus.Failed;
            }
        }
    }

    AofLoadStatus Replay(FileStream file, string fileName, string path, IAofReplay replay, bool oldStyle)
    {
        var reader = new Reader(file);
        Span<byte> magic = stackalloc byte[5];
        long start = 0;
        if (file.ReadAtLeast(magic, 5, throwOnEndOfStream: false) == 5 && magic.SequenceEqual("REDIS"u8))
        {
            log.Notice(oldStyle ? "Reading RDB preamble from AOF file..." : "Reading RDB base file on AOF loading...");
            file.Position = 0;
            bool loaded;
            try { loaded = rdbLoader is not null && rdbLoader(file); }
            catch (Exception e) when (e is IOException or InvalidDataException or InvalidOperationException or ArgumentException)
            {
                log.Warning($"Error reading the RDB image: {e.Message}");
                loaded = false;
            }
            if (!loaded)
            {
                if (rdbLoader is null) log.Warning("This build of Vermilion has no RDB loader to read an RDB base or preamble with");
                log.Warning(oldStyle ? $"Error reading the RDB preamble of the AOF file {fileName}, AOF loading aborted"
                                     : $"Error reading the RDB base file {fileName}, AOF loading aborted");
                // Redis goes on to its short-read handling here, which can truncate the file to
                // offset 0; a base that did not load is fatal and left as it is.
                return AofLoadStatus.Failed;
            }
            if (oldStyle) log.Notice("Reading the remaining AOF tail...");
            start = file.Position;
        }
        reader.Start(start);

        long validUpTo = 0, validBeforeMulti = 0, reported = start, loops = 0;
        var args = new CommandArgs();
        while (true)
        {
            if (Progress is not null && loops++ % CommandsPerProgress == 0)
            {
                long delta = reader.Offset - reported;
                reported += delta;
                if (!Progress(delta))
                {
                    Interrupted = true;
                    return AofLoadStatus.Failed;
                }
            }
            var read = reader.ReadCommand(args);
            if (read == ReadResult.End) break;
            if (read == ReadResult.FormatError)
            {
                log.Warning($"Bad file format reading the append only file {fileName}: make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>");
                return AofLoadStatus.Failed;
            }
            if (read == ReadResult.ShortRead) return ShortRead(fileName, path, validUpTo);
            bool multi = replay.IsMulti(args);
            var ran = replay.Run(args);
            if (ran != AofReplayResult.Ran)
            {
                log.Warning(ran == AofReplayResult.UnknownCommand
                    ? $"Unknown command '{args.GetCString(0)}' reading the append only file {fileName}"
                    : $"Wrong number of arguments for '{args.GetCString(0)}' reading the append only file {fileName}");
                return AofLoadStatus.Failed;
            }
            if (multi) validBeforeMulti = validUpTo;
            if (loadTruncated) validUpTo = reader.Offset;
        }
        // A clean end inside MULTI is handled as a short read: the unfinished transaction goes.
        if (replay.InMulti)
        {
            log.Warning($"Revert incomplete MULTI/EXEC transaction in AOF file {fileName}");
            return ShortRead(fileName, path, validBeforeMulti);
        }
        return AofLoadStatus.Ok;
    }

    /// <summary>The uxeof label: truncate at the last whole command if allowed, else fatal.</summary>
    AofLoadStatus ShortRead(string fileName, string path, long validUpTo)
    {
        if (loadTruncated)
        {
            log.Warning($"!!! Warning: short read while loading the AOF file {fileName}!!!");
            log.Warning($"!!! Truncating the AOF {fileName} at offset {validUpTo} !!!");
            int errno = PosixFile.Truncate(path, validUpTo);
            if (errno != 0) log.Warning($"Error truncating the AOF file {fileName}: {PosixFile.StrError(errno)}");
            else
            {
                log.Warning($"AOF {fileName} loaded anyway because aof-load-truncated is enabled");
                return AofLoadStatus.Truncated;
            }
        }
        log.Warning($"Unexpected end of file reading the append only file {fileName}. You can: 1) Make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>. 2) Alternatively you can set the 'aof-load-truncated' configuration option to yes and restart the server.");
        return AofLoadStatus.Failed;
    }

    static string Reason(Exception e) => e switch
    {
        PosixFileException p => PosixFile.StrError(p.Errno),
        UnauthorizedAccessException => "Permission denied",
        _ => e.Message,
    };

    enum ReadResult { Command, End, FormatError, ShortRead }

    /// <summary>
    /// The command reader: a buffered view of the file with C stdio's semantics (fgets, fread)
    /// and ftello's offset. Arguments are gathered into one buffer the command's
    /// <see cref="CommandArgs"/> slices.
    /// </summary>
    sealed class Reader(FileStream file)
    {
        readonly byte[] _buf = new byte[64 * 1024];
        int _pos, _len;
        long _bufStart;
        readonly long _fileLength = file.Length;
        byte[] _argBytes = new byte[4096];
        readonly List<(int Offset, int Length)> _slices = new();

        /// <summary>ftello: where the next read starts.</summary>
        public long Offset => _bufStart + _pos;

        public void Start(long position)
        {
            file.Position = position;
            _bufStart = position;
            _pos = _len = 0;
        }

        /// <summary>Makes at least one unread byte available; false at end of file.</summary>
        bool Fill()
        {
            if (_pos < _len) return true;
            _bufStart += _len;
            _pos = 0;
            _len = file.Read(_buf, 0, _buf.Length);
            return _len > 0;
        }

        /// <summary>fgets(buf, 1024): up to 1023 bytes, or through '\n'; false if not one byte was left.</summary>
        bool FGets(Span<byte> line, out int length)
        {
            length = 0;
            while (length < LineBuffer - 1)
            {
                if (!Fill()) break;
                byte b = _buf[_pos++];
                line[length++] = b;
                if (b == '\n') break;
            }
            return length > 0;
        }

        /// <summary>fread(dest, n, 1): all <paramref name="n"/> bytes or false (consuming what there was, as stdio does).</summary>
        bool FRead(Span<byte> dest)
        {
            int got = 0;
            while (got < dest.Length)
            {
                if (!Fill()) return false;
                int n = Math.Min(dest.Length - got, _len - _pos);
                _buf.AsSpan(_pos, n).CopyTo(dest[got..]);
                _pos += n;
                got += n;
            }
            return true;
        }

        /// <summary>The C string in the line buffer: up to its first NUL.</summary>
        static ReadOnlySpan<byte> CString(ReadOnlySpan<byte> s)
        {
            int nul = s.IndexOf((byte)0);
            return nul >= 0 ? s[..nul] : s;
        }

        public ReadResult ReadCommand(CommandArgs args)
        {
            Span<byte> line = stackalloc byte[LineBuffer];
            Span<byte> crlf = stackalloc byte[2];
            int n;
            while (true)
            {
                if (!FGets(line, out n)) return ReadResult.End;
                if (line[0] != '#') break; // annotations (#TS:) are skipped
            }
            if (line[0] != '*') return ReadResult.FormatError;
            // "*" alone at the end of the file: readerr at EOF, a short read.
            if (n == 1 || line[1] == 0) return ReadResult.ShortRead;
            long argc = IntegerText.Atoi(CString(line[1..n]));
            if (argc < 1 || argc > int.MaxValue) return ReadResult.FormatError;

            _slices.Clear();
            int used = 0;
            for (long j = 0; j < argc; j++)
            {
                if (!FGets(line, out n)) return ReadResult.ShortRead;
                if (line[0] != '$') return ReadResult.FormatError;
                long len = IntegerText.Atoi(CString(line[1..n]));
                // Redis reads the length into an unsigned long: a negative one asks for an
                // impossible allocation. It is a malformed file, not a short one.
                if (len < 0 || len > Array.MaxLength - used) return ReadResult.FormatError;
                // Bytes the file does not have are a short read, found without allocating them.
                if (len > _fileLength - Offset) return ReadResult.ShortRead;
                if (_argBytes.Length < used + len) Array.Resize(ref _argBytes, (int)Math.Min(Array.MaxLength, Math.Max(used + len, (long)_argBytes.Length * 2)));
                if (len > 0 && !FRead(_argBytes.AsSpan(used, (int)len))) return ReadResult.ShortRead;
                _slices.Add((used, (int)len));
                used += (int)len;
                // The CRLF after the argument: two bytes, whatever they are.
                if (!FRead(crlf)) return ReadResult.ShortRead;
            }
            args.Reset(_argBytes);
            foreach (var (offset, length) in _slices) args.Add(offset, length);
            return ReadResult.Command;
        }
    }
}
