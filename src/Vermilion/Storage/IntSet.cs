using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Vermilion.Storage;

/// <summary>
/// Redis's intset: distinct integers in ascending order in one array, every element as wide as the
/// widest needs (16, 32 or 64 bits). A value that does not fit the current width widens all of
/// them at once; removals never narrow them again, as in Redis. Layout of the one byte[]: a 4-byte
/// header (count in the low 30 bits, log2(width) - 1 in the top two) then the elements, so a set of
/// ten small integers is a single 48-byte array. Lookups are binary searches over the elements as
/// a span of their width (the 4-byte offset leaves 64-bit elements unaligned, which x64 and arm64 read as fast).
/// The intset may start part-way into its array: a set keeps its key in front of it (see
/// <see cref="Keyed"/>), and growing the array carries those bytes along.
/// <para>
/// Or the intset is a keyspace record's whole value (a set seen through a view, see
/// <see cref="ValueViews"/>): the same bytes, exactly as long as the elements need, resized
/// through its <see cref="RecordView"/> (the record's size class is the spare room).
/// </para>
/// </summary>
public struct IntSet
{
    const int HeaderBytes = 4;
    /// <summary>A record holding an empty intset: the header alone (no elements, 16-bit width).</summary>
    internal const int EmptyRecordBytes = HeaderBytes;
    const int CountMask = (1 << 30) - 1;
    byte[]? _blob;
    /// <summary>Where the intset's header is in <see cref="_blob"/>.</summary>
    int _start;
    /// <summary>The record holding the intset instead of <see cref="_blob"/>.</summary>
    RecordView? _record;

    /// <summary>The intset that starts at <paramref name="start"/> of <paramref name="blob"/> (as <see cref="Blob"/> left it).</summary>
    public IntSet(byte[] blob, int start)
    {
        _blob = blob;
        _start = start;
    }

    /// <summary>The intset that is <paramref name="record"/>'s value.</summary>
    internal IntSet(RecordView record) => _record = record;

    /// <summary>The array the intset lives in (it changes when the intset grows or shrinks); null for a record's.</summary>
    public readonly byte[]? Blob => _blob;

    /// <summary>
    /// A copy of <paramref name="from"/> (or an empty intset) in a new array, after <paramref name="key"/>
    /// laid out as a <see cref="PackedString"/>, with room for <paramref name="capacity"/> elements.
    /// </summary>
    public static IntSet Keyed(ReadOnlySpan<byte> key, in IntSet from, int capacity = 0)
    {
        int start = PackedString.KeyBytes(key);
        var elements = from.ElementBytes;
        int bytes = Math.Max(elements.Length, Math.Min(capacity, MaxCount) * from.Width);
        var blob = PackedString.AllocateRounded(key, HeaderBytes + bytes);
        var set = new IntSet(blob, start);
        set.Header = from.IsEmpty ? 0 : from.Header;
        elements.CopyTo(blob.AsSpan(start + HeaderBytes));
        return set;
    }

    /// <summary>The most elements an intset holds here: its widest form must fit one .NET array (~268M; Redis allows 2^30).</summary>
    public static readonly int MaxCount = (Array.MaxLength - HeaderBytes) / 8 - 1;

    readonly bool IsEmpty => _blob is null && _record is null;

    /// <summary>The header and elements, and any spare room after them in an array.</summary>
    readonly Span<byte> Bytes => _record is not null ? _record.Value : _blob is null ? default : _blob.AsSpan(_start);

    /// <summary>The header and the elements: a record's value as it is (<see cref="Keyspace.Store"/>).</summary>
    public readonly ReadOnlySpan<byte> Raw => IsEmpty ? default : Bytes[..(HeaderBytes + Count * Width)];

    public readonly int Count => IsEmpty ? 0 : Header & CountMask;
    /// <summary>Bytes per element: 2, 4 or 8.</summary>
    public readonly int Width => IsEmpty ? 2 : 2 << (int)((uint)Header >> 30);
    readonly ref int Header => ref Unsafe.As<byte, int>(ref MemoryMarshal.GetReference(Bytes));

    public readonly long this[int index] => Width switch
    {
        2 => Elements<short>()[index],
        4 => Elements<int>()[index],
        _ => Elements<long>()[index],
    };

    readonly Span<T> Elements<T>() where T : struct =>
        IsEmpty ? default : MemoryMarshal.Cast<byte, T>(Bytes.Slice(HeaderBytes, Count * Unsafe.SizeOf<T>()));

    static int WidthFor(long value) => value == (short)value ? 2 : value == (int)value ? 4 : 8;

    /// <summary>The index of <paramref name="value"/>, or the bitwise complement of where it would go.</summary>
    public readonly int IndexOf(long value)
    {
        int width = Width;
        if (WidthFor(value) > width)
            return value < 0 ? ~0 : ~Count; // wider than every element: it would go first or last
        return width switch
        {
            2 => Elements<short>().BinarySearch((short)value),
            4 => Elements<int>().BinarySearch((int)value),
            _ => Elements<long>().BinarySearch(value),
        };
    }

    public readonly bool Contains(long value) => IndexOf(value) >= 0;

    /// <summary>Adds <paramref name="value"/> in order; false if it was there.</summary>
    public bool Add(long value)
    {
        int width = Width, count = Count;
        if (WidthFor(value) > width)
        {
            Widen(WidthFor(value), count + 1, value < 0 ? 1 : 0);
            Set(value < 0 ? 0 : count, value);
            return true;
        }
        int index = IndexOf(value);
        if (index >= 0) return false;
        index = ~index;
        EnsureCapacity(HeaderBytes + (count + 1) * width);
        var bytes = Bytes;
        int at = HeaderBytes + index * width;
        bytes.Slice(at, (count - index) * width).CopyTo(bytes[(at + width)..]);
        SetCount(count + 1);
        Set(index, value);
        return true;
    }

    public bool Remove(long value)
    {
        int index = IndexOf(value);
        if (index < 0) return false;
        RemoveAt(index);
        return true;
    }

    public void RemoveAt(int index)
    {
        int width = Width, count = Count;
        var bytes = Bytes;
        int at = HeaderBytes + index * width;
        bytes.Slice(at + width, (count - index - 1) * width).CopyTo(bytes[at..]);
        SetCount(count - 1);
        int needed = HeaderBytes + (count - 1) * width;
        if (_record is not null)
        {
            _record.Resize(needed);
            return;
        }
        // Give memory back once less than half of a larger array is in use.
        needed += _start;
        if (_blob!.Length > 64 && needed * 2 < _blob.Length) Resize(RoundUp8(needed));
    }

    /// <summary>Room for <paramref name="count"/> elements at the current width, allocated once (a record is always exact).</summary>
    public void Reserve(int count)
    {
        if (_record is null) EnsureCapacity(HeaderBytes + count * Width);
    }

    /// <summary>Gives back what a <see cref="Reserve"/> for duplicates left unused.</summary>
    public void TrimExcess()
    {
        int needed = RoundUp8(_start + HeaderBytes + Count * Width);
        if (_blob is not null && _blob.Length > needed) Resize(needed);
    }

    /// <summary>The elements as stored: <see cref="Count"/> integers of <see cref="Width"/> bytes, little-endian (the body of Redis's intset blob).</summary>
    public readonly ReadOnlySpan<byte> ElementBytes => IsEmpty ? default : Bytes.Slice(HeaderBytes, Count * Width);

    /// <summary>
    /// An intset of <paramref name="width"/>-byte elements copied from their little-endian bytes
    /// (RESTORE); false unless they are strictly ascending, which the lookups rely on.
    /// </summary>
    public static bool TryCreate(int width, ReadOnlySpan<byte> elements, out IntSet set)
    {
        set = default;
        int count = elements.Length / width;
        if (width is not (2 or 4 or 8) || count * width != elements.Length || count > MaxCount) return false;
        var created = new IntSet { _blob = new byte[RoundUp8(HeaderBytes + elements.Length)] };
        created.Header = (System.Numerics.BitOperations.Log2((uint)width) - 1) << 30 | count;
        elements.CopyTo(created._blob.AsSpan(HeaderBytes));
        for (int i = 1; i < count; i++)
            if (created[i - 1] >= created[i]) return false;
        set = created;
        return true;
    }

    /// <summary>An independent copy with the same width, in an array.</summary>
    public readonly IntSet Clone()
    {
        if (_record is null) return new() { _blob = (byte[]?)_blob?.Clone(), _start = _start };
        var raw = Raw;
        var blob = new byte[RoundUp8(raw.Length)];
        raw.CopyTo(blob);
        return new() { _blob = blob };
    }

    readonly void Set(int index, long value) => Write(Bytes, Width, index, value);

    static void Write(Span<byte> bytes, int width, int index, long value)
    {
        var at = bytes[(HeaderBytes + index * width)..];
        switch (width)
        {
            case 2: MemoryMarshal.Write(at, (short)value); break;
            case 4: MemoryMarshal.Write(at, (int)value); break;
            default: MemoryMarshal.Write(at, value); break;
        }
    }

    static long Read(ReadOnlySpan<byte> bytes, int width, int index)
    {
        var at = bytes[(HeaderBytes + index * width)..];
        return width switch
        {
            2 => MemoryMarshal.Read<short>(at),
            4 => MemoryMarshal.Read<int>(at),
            _ => MemoryMarshal.Read<long>(at),
        };
    }

    readonly void SetCount(int count) => Header = (Header & ~CountMask) | count;

    /// <summary>Room for <paramref name="bytes"/> of header and elements.</summary>
    void EnsureCapacity(int bytes)
    {
        if (_record is not null)
        {
            if (bytes > _record.Value.Length) _record.Resize(bytes);
            return;
        }
        bytes += _start;
        if (_blob is not null && _blob.Length >= bytes) return;
        // Small sets get exactly what they need (rounded to the 8 bytes the runtime pads to anyway);
        // larger ones a quarter more, so that each new member does not copy the whole array.
        Resize(bytes <= 64 ? RoundUp8(bytes) : (int)Math.Min(Array.MaxLength & ~7, RoundUp8(bytes) + (long)(bytes / 4)));
    }

    void Resize(int bytes)
    {
        var grown = new byte[bytes];
        if (_blob is not null) Buffer.BlockCopy(_blob, 0, grown, 0, Math.Min(_blob.Length, bytes));
        _blob = grown;
    }

    /// <summary>
    /// intsetUpgradeAndAdd: every element rewritten at <paramref name="width"/>, in place from the
    /// last (each moves to a higher offset), leaving a free slot first or last.
    /// </summary>
    void Widen(int width, int newCount, int offset)
    {
        int count = Count, oldWidth = Width;
        EnsureCapacity(HeaderBytes + newCount * width);
        var bytes = Bytes;
        for (int i = count - 1; i >= 0; i--) Write(bytes, width, i + offset, Read(bytes, oldWidth, i));
        Header = (System.Numerics.BitOperations.Log2((uint)width) - 1) << 30 | newCount;
    }

    static int RoundUp8(int n) => (n + 7) & ~7;
}
