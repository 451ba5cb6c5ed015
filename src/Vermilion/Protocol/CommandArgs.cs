using System.Runtime.CompilerServices;
using System.Text;

namespace Vermilion.Protocol;

/// <summary>
/// The arguments of the request being executed: slices of one buffer (the client's query
/// buffer for multibulk, a scratch buffer for unescaped inline requests). One instance per
/// server is reused for every request, so parsing allocates nothing.
/// </summary>
public sealed class CommandArgs
{
    public byte[] Buffer { get; private set; } = [];
    int[] _offset = new int[16];
    int[] _length = new int[16];
    public int Count { get; private set; }

    /// <summary>Where inline requests are unescaped into; grows and stays.</summary>
    internal byte[] InlineScratch = new byte[1024];

    public ReadOnlySpan<byte> this[int i]
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => new(Buffer, _offset[i], _length[i]);
    }
    public int Length(int i) => _length[i];
    /// <summary>Where argument <paramref name="i"/> starts in <see cref="Buffer"/>.</summary>
    public int Offset(int i) => _offset[i];

    public byte[] ToArray(int i) => this[i].ToArray();

    /// <summary>For names, messages and errors only; not for the request path's hot commands.</summary>
    public string GetString(int i) => Encoding.UTF8.GetString(this[i]);

    /// <summary>
    /// The argument as C's %s prints it into an error: up to its first NUL byte, one char per byte
    /// (Latin-1), so <see cref="ReplyWriter.Error"/> writes the client's bytes back unchanged. Only
    /// for error texts (it allocates). <paramref name="max"/> is a precision, as %.128s.
    /// </summary>
    public string GetCString(int i, int max = int.MaxValue) => CString(this[i], max);

    /// <inheritdoc cref="GetCString"/>
    public static string CString(ReadOnlySpan<byte> bytes, int max = int.MaxValue)
    {
        int nul = bytes.IndexOf((byte)0);
        if (nul >= 0) bytes = bytes[..nul];
        return Encoding.Latin1.GetString(bytes.Length > max ? bytes[..max] : bytes);
    }

    public bool Is(int i, string ascii) => Ascii.EqualsIgnoreCase(this[i], ascii);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void Reset(byte[] buffer)
    {
        // A client's requests come from one query buffer: compared first, an equal reference needs no GC write barrier.
        if (!ReferenceEquals(Buffer, buffer)) Buffer = buffer;
        Count = 0;
    }

    /// <summary>The same arguments, copied by the caller into a larger buffer at the same offsets.</summary>
    internal void Rebase(byte[] buffer) => Buffer = buffer;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void Add(int offset, int length)
    {
        int n = Count;
        var offsets = _offset;
        var lengths = _length;
        if ((uint)n >= (uint)offsets.Length || (uint)n >= (uint)lengths.Length) (offsets, lengths) = Grow();
        offsets[n] = offset;
        lengths[n] = length;
        Count = n + 1;
    }

    /// <summary>
    /// For a reader that knows the count first: the arrays with room for <paramref name="count"/>
    /// arguments, filled from index 0 by the caller, then made visible by <see cref="Complete"/>
    /// (the count stored once rather than per argument).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal (int[] Offsets, int[] Lengths) Room(byte[] buffer, int count)
    {
        Reset(buffer);
        while (_offset.Length < count || _length.Length < count) Grow();
        return (_offset, _length);
    }

    internal void Complete(int count) => Count = count;

    [MethodImpl(MethodImplOptions.NoInlining)]
    (int[], int[]) Grow()
    {
        Array.Resize(ref _offset, _offset.Length * 2);
        Array.Resize(ref _length, _length.Length * 2);
        return (_offset, _length);
    }

    /// <summary>Used by tests and internal callers to run a command without a socket.</summary>
    internal void SetAll(params byte[][] args)
    {
        int total = 0;
        foreach (var a in args) total += a.Length;
        var buf = new byte[total];
        Reset(buf);
        int pos = 0;
        foreach (var a in args)
        {
            a.CopyTo(buf, pos);
            Add(pos, a.Length);
            pos += a.Length;
        }
    }
}
