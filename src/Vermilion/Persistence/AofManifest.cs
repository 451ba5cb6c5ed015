using System.Buffers;
using System.Text;
using Vermilion.Protocol;
using Vermilion.Server;

namespace Vermilion.Persistence;

/// <summary>What a manifest line says a file is: b (the base), h (history, awaiting deletion), i (an incr).</summary>
public enum AofFileType : byte { Base = (byte)'b', History = (byte)'h', Incr = (byte)'i' }

/// <summary>One file of a multi-part AOF (aof.c's aofInfo).</summary>
public sealed class AofInfo(string fileName, long seq, AofFileType type)
{
    public string FileName { get; } = fileName;
    public long Seq { get; } = seq;
    public AofFileType Type { get; set; } = type;

    public AofInfo Clone() => new(FileName, Seq, Type);
}

/// <summary>
/// The multi-part AOF's manifest (aof.c, Redis 7.0): at most one base, the history files a
/// rewrite left for deletion, and the incr files in sequence order, each as one line
/// <c>file &lt;name&gt; seq &lt;n&gt; type &lt;b|h|i&gt;</c> (the name sdscatrepr-quoted when it needs it),
/// base first, then history, then incr. Parsing is Redis's, rule for rule and message for
/// message, since a manifest one server wrote must load, or fail the same way, in the other.
/// File names are the files' names inside the AOF directory.
/// </summary>
public sealed class AofManifest
{
    /// <summary>MANIFEST_MAX_LINE: a line (with its newline) longer than this is an error.</summary>
    const int MaxLine = 1024;

    public AofInfo? Base;
    public readonly List<AofInfo> History = new();
    public readonly List<AofInfo> Incr = new();
    public long CurrentBaseSeq, CurrentIncrSeq;
    /// <summary>Changed since it was last written (persistAofManifest writes only a dirty one).</summary>
    public bool Dirty;

    public bool IsEmpty => Base is null && Incr.Count == 0;

    /// <summary>aofManifestDup: a deep copy to change, put in place only once it is on disk.</summary>
    public AofManifest Clone()
    {
        var copy = new AofManifest { Base = Base?.Clone(), CurrentBaseSeq = CurrentBaseSeq, CurrentIncrSeq = CurrentIncrSeq, Dirty = Dirty };
        foreach (var h in History) copy.History.Add(h.Clone());
        foreach (var i in Incr) copy.Incr.Add(i.Clone());
        return copy;
    }

    // ---- names (aof.c's naming rules) ----

    public static string ManifestName(string aofFilename) => aofFilename + ".manifest";
    public static string TempManifestName(string aofFilename) => "temp-" + aofFilename + ".manifest";
    /// <summary>getTempIncrAofName: where writes go while AOF is being turned on (AOF_WAIT_REWRITE).</summary>
    public static string TempIncrName(string aofFilename) => "temp-" + aofFilename + ".incr";

    /// <summary>
    /// getNewBaseFileNameAndMarkPreAsHistory: the next base's name (.rdb with the RDB preamble,
    /// .aof without); the current base, if any, becomes the first history file.
    /// </summary>
    public string NewBaseFileName(string aofFilename, bool rdbFormat)
    {
        if (Base is not null)
        {
            Base.Type = AofFileType.History;
            History.Insert(0, Base);
        }
        long seq = ++CurrentBaseSeq;
        Base = new AofInfo($"{aofFilename}.{seq}.base{(rdbFormat ? ".rdb" : ".aof")}", seq, AofFileType.Base);
        Dirty = true;
        return Base.FileName;
    }

    /// <summary>getNewIncrAofName: appends the next incr file to the list.</summary>
    public string NewIncrFileName(string aofFilename)
    {
        long seq = ++CurrentIncrSeq;
        var info = new AofInfo($"{aofFilename}.{seq}.incr.aof", seq, AofFileType.Incr);
        Incr.Add(info);
        Dirty = true;
        return info.FileName;
    }

    /// <summary>getLastIncrAofName: the incr file writes continue in, created when there is none.</summary>
    public string LastIncrFileName(string aofFilename) => Incr.Count == 0 ? NewIncrFileName(aofFilename) : Incr[^1].FileName;

    /// <summary>
    /// markRewrittenIncrAofAsHistory: after a rewrite the incr files it covers become history,
    /// all but the last when AOF is on (the one being written, opened at the rewrite's start).
    /// </summary>
    public void MarkRewrittenIncrAsHistory(bool keepLast)
    {
        if (Incr.Count == 0) return;
        int moved = keepLast ? Incr.Count - 1 : Incr.Count;
        // Walked from the newest, each inserted at the head of history: history stays in sequence order.
        for (int i = moved - 1; i >= 0; i--)
        {
            var h = Incr[i].Clone();
            h.Type = AofFileType.History;
            History.Insert(0, h);
        }
        Incr.RemoveRange(0, moved);
        Dirty = true;
    }

    // ---- text ----

    /// <summary>getAofManifestAsString: base, history, incr, one line each.</summary>
    public byte[] Format()
    {
        var w = new ArrayBufferWriter<byte>();
        if (Base is not null) FormatLine(w, Base);
        foreach (var h in History) FormatLine(w, h);
        foreach (var i in Incr) FormatLine(w, i);
        return w.WrittenSpan.ToArray();
    }

    static void FormatLine(ArrayBufferWriter<byte> w, AofInfo info)
    {
        Append(w, "file ");
        var name = Encoding.UTF8.GetBytes(info.FileName);
        if (NeedsRepr(name)) VermilionServer.AppendRepr(w, name);
        else Append(w, name);
        Append(w, $" seq {info.Seq} type {(char)info.Type}\n");
    }

    static void Append(ArrayBufferWriter<byte> w, string ascii) => Append(w, Encoding.ASCII.GetBytes(ascii));

    static void Append(ArrayBufferWriter<byte> w, ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(w.GetSpan(bytes.Length));
        w.Advance(bytes.Length);
    }

    /// <summary>sdsneedsrepr: quotes or escapes would be needed to read the name back (a space, a quote, a control or non-ASCII byte).</summary>
    static bool NeedsRepr(ReadOnlySpan<byte> name)
    {
        foreach (byte b in name)
            if (b is (byte)'\\' or (byte)'"' or < 0x21 or >= 0x7f) return true;
        return false;
    }

    /// <summary>
    /// aofLoadManifestFromFile: reads the lines as fgets into a 1025-byte buffer does. Comment
    /// lines ('#') are skipped before anything else is checked; a line without its newline (too
    /// long, or the last line of a file not ending in one) is an error; a blank line, fewer than 6
    /// or an odd number of words, a name that is a path, a missing file/seq/type (a seq that reads
    /// as 0), two bases, an incr seq not above the previous one, and an unknown type are errors;
    /// unknown keys are ignored (forward compatibility), keys are case-insensitive and a later
    /// duplicate key wins. Throws <see cref="AofManifestException"/> with Redis's lines.
    /// </summary>
    public static AofManifest Parse(ReadOnlySpan<byte> text)
    {
        var m = new AofManifest();
        long maxSeq = 0;
        int lineNumber = 0, pos = 0;
        var args = new CommandArgs();
        while (true)
        {
            if (pos >= text.Length)
            {
                if (lineNumber == 0) throw new AofManifestException("Found an empty AOF manifest", 0, null);
                break;
            }
            // fgets: up to MaxLine bytes, or through the newline.
            int take = Math.Min(MaxLine, text.Length - pos);
            int nl = text.Slice(pos, take).IndexOf((byte)'\n');
            if (nl >= 0) take = nl + 1;
            var chunk = text.Slice(pos, take);
            pos += take;
            lineNumber++;
            // The buffer is a C string from here on: it ends at a NUL byte.
            int nul = chunk.IndexOf((byte)0);
            if (nul >= 0) chunk = chunk[..nul];
            if (chunk.Length > 0 && chunk[0] == '#') continue;
            if (chunk.IndexOf((byte)'\n') < 0) throw new AofManifestException("The AOF manifest file contains too long line", 0, null);

            var line = chunk.Trim(" \t\r\n"u8);
            string shown = Encoding.UTF8.GetString(line);
            if (line.Length == 0) throw new AofManifestException("Invalid AOF manifest file format", lineNumber, shown);
            if (!RespRequestReader.SplitArgs(line, args) || args.Count < 6 || args.Count % 2 != 0)
                throw new AofManifestException("Invalid AOF manifest file format", lineNumber, shown);
            string? name = null;
            long seq = 0;
            byte type = 0;
            for (int i = 0; i < args.Count; i += 2)
            {
                if (args.Is(i, "file"))
                {
                    // sdsnew of the unescaped word: a C string again.
                    var value = args[i + 1];
                    int end = value.IndexOf((byte)0);
                    name = Encoding.UTF8.GetString(end >= 0 ? value[..end] : value);
                    if (name.Contains('/')) throw new AofManifestException("File can't be a path, just a filename", lineNumber, shown);
                }
                else if (args.Is(i, "seq")) seq = IntegerText.Atoi(args[i + 1]);
                else if (args.Is(i, "type")) type = args.Length(i + 1) > 0 ? args[i + 1][0] : (byte)0;
            }
            if (name is null || seq == 0 || type == 0)
                throw new AofManifestException("Invalid AOF manifest file format", lineNumber, shown);
            switch ((AofFileType)type)
            {
                case AofFileType.Base:
                    if (m.Base is not null) throw new AofManifestException("Found duplicate base file information", lineNumber, shown);
                    m.Base = new AofInfo(name, seq, AofFileType.Base);
                    m.CurrentBaseSeq = seq;
                    break;
                case AofFileType.History:
                    m.History.Add(new AofInfo(name, seq, AofFileType.History));
                    break;
                case AofFileType.Incr:
                    if (seq <= maxSeq) throw new AofManifestException("Found a non-monotonic sequence number", lineNumber, shown);
                    m.Incr.Add(new AofInfo(name, seq, AofFileType.Incr));
                    m.CurrentIncrSeq = seq;
                    maxSeq = seq;
                    break;
                default:
                    throw new AofManifestException("Unknown AOF file type", lineNumber, shown);
            }
        }
        return m;
    }
}

/// <summary>A manifest Redis refuses at startup: the reason, and the line (1-based) and its text when a line was being read.</summary>
public sealed class AofManifestException(string reason, int line, string? text) : Exception(reason)
{
    public string Reason { get; } = reason;
    public int Line { get; } = line;
    public string? Text { get; } = text;

    /// <summary>The warnings aofLoadManifestFromFile logs before exit(1), one log line each (each carries its own newlines, as Redis's).</summary>
    public IEnumerable<string> LogLines()
    {
        yield return "\n*** FATAL AOF MANIFEST FILE ERROR ***\n";
        if (Text is not null)
        {
            yield return $"Reading the manifest file, at line {Line}\n";
            yield return $">>> '{Text}'\n";
        }
        yield return Reason + "\n";
    }
}
