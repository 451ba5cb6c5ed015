using System.Buffers.Binary;
using System.Numerics;

namespace Vermilion.Storage;

/// <summary>
/// Redis 7.0's HyperLogLog, byte for byte (hyperloglog.c), so a HLL is an ordinary string that
/// moves between Vermilion and redis-server (GET/SET, DUMP/RESTORE) and counts to the same digit.
/// The string is a 16-byte header ("HYLL", the encoding byte, three unused bytes, the cached
/// cardinality little-endian with bit 63 set while it is stale) and then 16384 registers:
/// dense, 6 bits each, LSB first across bytes (12288 bytes); or sparse, run-length opcodes
/// (ZERO 00xxxxxx: 1..64 zeros; XZERO 01xxxxxx yyyyyyyy: 1..16384 zeros; VAL 1vvvvvxx: value
/// 1..32 repeated 1..4 times), promoted to dense past hll-sparse-max-bytes or for a value over 32.
/// An element's register and value come from MurmurHash64A with Redis's seed; the estimate is
/// Ertl's ("New cardinality estimation algorithms for HyperLogLog sketches"), as 7.0's hllCount.
///
/// Everything here reads spans and never trusts the opcodes: a corrupt string (a run past the
/// 16384th register, an XZERO cut by the string's end) gives Redis's answer (invalid, or what
/// Redis makes of it, which reads one NUL byte past the end) and never touches a byte outside it.
/// </summary>
public static class HyperLogLog
{
    public const int HeaderSize = 16;
    public const int Registers = 1 << 14;
    const int IndexBits = 14, CountBits = 64 - IndexBits, RegisterMask = Registers - 1;
    public const int RegisterMax = 63;
    public const int DenseRegisterBytes = Registers * 6 / 8;
    public const int DenseSize = HeaderSize + DenseRegisterBytes;
    public const byte Dense = 0, Sparse = 1;
    const int SparseValueMax = 32, SparseValueMaxRun = 4, SparseZeroMaxRun = 64;
    const ulong HashSeed = 0xadc83b19;

    /// <summary>createHLLObject: an empty sparse HLL, one XZERO of 16384, its cached cardinality 0 (valid).</summary>
    public static ReadOnlySpan<byte> Empty => [(byte)'H', (byte)'Y', (byte)'L', (byte)'L', Sparse, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x7f, 0xff];

    /// <summary>isHLLObjectOrReply's checks on a string: long enough, the magic, a known encoding, a dense one of exactly its size.</summary>
    public static bool IsValid(ReadOnlySpan<byte> s) =>
        s.Length >= HeaderSize && s.StartsWith("HYLL"u8) && s[4] <= Sparse && (s[4] != Dense || s.Length == DenseSize);

    public static bool IsCacheValid(ReadOnlySpan<byte> s) => (s[15] & 0x80) == 0;
    public static ulong CachedCardinality(ReadOnlySpan<byte> s) => BinaryPrimitives.ReadUInt64LittleEndian(s[8..]);
    public static void SetCachedCardinality(Span<byte> s, ulong card) => BinaryPrimitives.WriteUInt64LittleEndian(s[8..], card);
    public static void InvalidateCache(Span<byte> s) => s[15] |= 0x80;

    /// <summary>MurmurHash64A, little-endian reads as Redis makes it on every architecture.</summary>
    public static ulong MurmurHash64A(ReadOnlySpan<byte> data, ulong seed)
    {
        const ulong m = 0xc6a4a7935bd1e995;
        const int r = 47;
        ulong h = seed ^ ((ulong)data.Length * m);
        int blocks = data.Length & ~7;
        for (int i = 0; i < blocks; i += 8)
        {
            ulong k = BinaryPrimitives.ReadUInt64LittleEndian(data[i..]);
            k *= m;
            k ^= k >> r;
            k *= m;
            h ^= k;
            h *= m;
        }
        int rest = data.Length & 7;
        if (rest > 0)
        {
            for (int i = rest - 1; i >= 0; i--) h ^= (ulong)data[blocks + i] << (8 * i);
            h *= m;
        }
        h ^= h >> r;
        h *= m;
        h ^= h >> r;
        return h;
    }

    /// <summary>hllPatLen: the register an element falls in (the hash's low 14 bits) and the length of the "0...01" run in the other 50 (1..51).</summary>
    public static int PatternLength(ReadOnlySpan<byte> element, out int register)
    {
        ulong hash = MurmurHash64A(element, HashSeed);
        register = (int)(hash & RegisterMask);
        hash = (hash >> IndexBits) | (1UL << CountBits);
        return BitOperations.TrailingZeroCount(hash) + 1;
    }

    // ---- dense ----

    /// <summary>A 6-bit register of the dense array. Redis reads one byte past the last register (sds's NUL); here that byte is 0.</summary>
    public static int GetRegister(ReadOnlySpan<byte> registers, int index)
    {
        int bit = index * 6, at = bit >> 3, shift = bit & 7;
        int b0 = registers[at], b1 = at + 1 < registers.Length ? registers[at + 1] : 0;
        return ((b0 >> shift) | (b1 << (8 - shift))) & RegisterMax;
    }

    public static void SetRegister(Span<byte> registers, int index, int value)
    {
        int bit = index * 6, at = bit >> 3, shift = bit & 7;
        registers[at] = (byte)((registers[at] & ~(RegisterMax << shift)) | (value << shift));
        if (shift > 2) registers[at + 1] = (byte)((registers[at + 1] & ~(RegisterMax >> (8 - shift))) | (value >> (8 - shift)));
    }

    /// <summary>hllDenseSet: raises the register to <paramref name="count"/>; true when it changed.</summary>
    public static bool DenseSet(Span<byte> registers, int index, int count)
    {
        if (count <= GetRegister(registers, index)) return false;
        SetRegister(registers, index, count);
        return true;
    }

    /// <summary>The histogram of register values, 16 registers (12 bytes) at a time.</summary>
    static void DenseHistogram(ReadOnlySpan<byte> r, Span<int> histogram)
    {
        for (int i = 0; i + 12 <= r.Length; i += 12)
        {
            for (int g = 0; g < 12; g += 3)
            {
                int b0 = r[i + g], b1 = r[i + g + 1], b2 = r[i + g + 2];
                histogram[b0 & 63]++;
                histogram[((b0 >> 6) | (b1 << 2)) & 63]++;
                histogram[((b1 >> 4) | (b2 << 4)) & 63]++;
                histogram[b2 >> 2]++;
            }
        }
    }

    // ---- sparse ----

    /// <summary>The opcode at <paramref name="p"/>: how many registers it covers and how many bytes it takes.
    /// An XZERO's second byte past the end reads as 0, as Redis reads sds's terminating NUL.</summary>
    static int Run(ReadOnlySpan<byte> s, int p, out int bytes, out int value)
    {
        byte op = s[p];
        bytes = 1;
        value = 0;
        if ((op & 0xc0) == 0) return (op & 0x3f) + 1;
        if ((op & 0x80) != 0)
        {
            value = ((op >> 2) & 0x1f) + 1;
            return (op & 3) + 1;
        }
        bytes = 2;
        return (((op & 0x3f) << 8) | (p + 1 < s.Length ? s[p + 1] : 0)) + 1;
    }

    static byte Val(int value, int run) => (byte)(0x80 | ((value - 1) << 2) | (run - 1));

    /// <summary>Writes ZERO or XZERO for <paramref name="run"/> zeros; the bytes written.</summary>
    static int Zeros(Span<byte> to, int run)
    {
        if (run <= SparseZeroMaxRun)
        {
            to[0] = (byte)(run - 1);
            return 1;
        }
        to[0] = (byte)(0x40 | ((run - 1) >> 8));
        to[1] = (byte)((run - 1) & 0xff);
        return 2;
    }

    /// <summary>hllSparseToDense's decoding: the registers of a sparse HLL, false when its runs do not cover exactly 16384.</summary>
    static bool DecodeSparse(ReadOnlySpan<byte> s, Span<byte> registers)
    {
        int index = 0;
        for (int p = HeaderSize; p < s.Length;)
        {
            int run = Run(s, p, out int bytes, out int value);
            p += bytes;
            // Runs past the last register are corrupt whatever follows (the oracle, a 7.0.15 with
            // the CVE-2025-32023 fix, refuses them where 7.0.15's source stopped at the overflow).
            if (index + run > Registers) return false;
            if (value != 0) for (int end = index + run; index < end; index++) SetRegister(registers, index, value);
            else index += run;
        }
        return index == Registers;
    }

    static void SparseHistogram(ReadOnlySpan<byte> s, Span<int> histogram, ref bool invalid)
    {
        int index = 0;
        for (int p = HeaderSize; p < s.Length;)
        {
            int run = Run(s, p, out int bytes, out int value);
            p += bytes;
            index += run;
            if (index > Registers) break; // corrupt, and no run of a huge string may overflow the count
            histogram[value] += run;
        }
        if (index != Registers) invalid = true;
    }

    /// <summary>
    /// hllSparseToDense: the HLL becomes dense, its header kept (so the cached cardinality too);
    /// false, and nothing changed, when the sparse form is corrupt.
    /// </summary>
    public static bool ToDense<T>(ref T hll) where T : IHllBytes, allows ref struct
    {
        var s = hll.Bytes;
        if (s[4] == Dense) return true;
        Span<byte> registers = stackalloc byte[DenseRegisterBytes];
        registers.Clear();
        if (!DecodeSparse(s, registers)) return false;
        var dense = hll.Resize(DenseSize);
        dense[4] = Dense;
        registers.CopyTo(dense[HeaderSize..]);
        return true;
    }

    /// <summary>
    /// hllSparseSet: raises register <paramref name="index"/> to <paramref name="count"/> in a
    /// sparse HLL, splitting the opcode that covers it and merging equal VALs around it, or
    /// promoting to dense (a value over 32, or a sparse form that would pass
    /// <paramref name="maxBytes"/>). 1 when it changed, 0 when the register was already as high,
    /// -1 for a corrupt HLL. The string is resized only when the opcodes change length.
    /// </summary>
    public static int SparseSet<T>(ref T hll, int index, int count, long maxBytes) where T : IHllBytes, allows ref struct
    {
        if (count > SparseValueMax) return Promote(ref hll, index, count);
        var s = hll.Bytes;
        int end = s.Length, p = HeaderSize, first = 0, run = 0, bytes = 1, value = 0, prev = -1;
        while (p < end)
        {
            run = Run(s, p, out bytes, out value);
            if (index <= first + run - 1) break;
            prev = p;
            p += bytes;
            first += run;
        }
        if (run == 0 || p >= end) return -1;
        int next = p + bytes < end ? p + bytes : -1;

        Span<byte> b;
        if (value >= count) return 0; // a VAL already as high (a zero run has value 0)
        if (run == 1 && bytes == 1)
        {
            // A VAL or ZERO of one register: the opcode changes in place (an XZERO of one is split as any run).
            b = hll.Writable();
            b[p] = Val(count, 1);
        }
        else
        {
            // Split the run: [before][VAL count][after], at most XZERO VAL XZERO (5 bytes).
            Span<byte> seq = stackalloc byte[5];
            int n = 0, last = first + run - 1;
            if (index != first) n += value == 0 ? Zeros(seq[n..], index - first) : Put(seq, n, Val(value, index - first));
            seq[n++] = Val(count, 1);
            if (index != last) n += value == 0 ? Zeros(seq[n..], last - index) : Put(seq, n, Val(value, last - index));
            int delta = n - bytes;
            if (delta > 0 && end + delta > maxBytes) return Promote(ref hll, index, count);
            // Room for the longer sequence, and for a whole XZERO where a cut one stood at the end.
            int room = Math.Max(end + delta, p + n);
            b = room > end ? hll.Resize(room) : hll.Writable();
            if (delta != 0 && next >= 0) b.Slice(next, end - next).CopyTo(b[(next + delta)..]);
            seq[..n].CopyTo(b[p..]);
            end += delta;
        }

        // Adjacent VALs of the same value merge, up to 4 registers: from the opcode before ours, five opcodes at most.
        p = prev >= 0 ? prev : HeaderSize;
        for (int scan = 5; p < end && scan-- > 0;)
        {
            if ((b[p] & 0x80) == 0)
            {
                p += (b[p] & 0xc0) == 0 ? 1 : 2;
                continue;
            }
            if (p + 1 < end && (b[p + 1] & 0x80) != 0)
            {
                int v1 = ((b[p] >> 2) & 0x1f) + 1, v2 = ((b[p + 1] >> 2) & 0x1f) + 1;
                int merged = (b[p] & 3) + (b[p + 1] & 3) + 2;
                if (v1 == v2 && merged <= SparseValueMaxRun)
                {
                    b[p + 1] = Val(v1, merged);
                    b.Slice(p + 1, end - p - 1).CopyTo(b[p..]);
                    end--;
                    continue; // the merged VAL may merge again with the next one
                }
            }
            p++;
        }
        if (end != b.Length) b = hll.Resize(end);
        InvalidateCache(b);
        return 1;
    }

    static int Put(Span<byte> seq, int n, byte op)
    {
        seq[n] = op;
        return 1;
    }

    static int Promote<T>(ref T hll, int index, int count) where T : IHllBytes, allows ref struct
    {
        if (!ToDense(ref hll)) return -1;
        var b = hll.Writable();
        return DenseSet(b[HeaderSize..], index, count) ? 1 : 0;
    }

    /// <summary>hllAdd: the element's register raised in either encoding; 1 changed, 0 not, -1 corrupt.</summary>
    public static int Add<T>(ref T hll, ReadOnlySpan<byte> element, long maxBytes) where T : IHllBytes, allows ref struct
    {
        int count = PatternLength(element, out int index);
        var s = hll.Bytes;
        if (s[4] == Dense)
        {
            if (count <= GetRegister(s[HeaderSize..], index)) return 0;
            SetRegister(hll.Writable()[HeaderSize..], index, count);
            return 1;
        }
        return s[4] == Sparse ? SparseSet(ref hll, index, count, maxBytes) : -1;
    }

    /// <summary>
    /// hllMerge: <paramref name="max"/>[i] = max(max[i], register i) over a valid-looking HLL;
    /// false when a sparse one is corrupt (registers already merged stay merged, as Redis's).
    /// </summary>
    public static bool Merge(Span<byte> max, ReadOnlySpan<byte> s)
    {
        if (s[4] == Dense)
        {
            // Four registers from each three bytes, as DenseHistogram reads them (measured: a
            // register at a time made PFCOUNT of three dense keys 3.6x slower than Redis's).
            var r = s.Slice(HeaderSize, DenseRegisterBytes);
            var m = max[..Registers];
            for (int i = 0, j = 0; i + 2 < r.Length && j + 3 < m.Length; i += 3, j += 4)
            {
                int b0 = r[i], b1 = r[i + 1], b2 = r[i + 2];
                m[j] = (byte)Math.Max(m[j], b0 & 63);
                m[j + 1] = (byte)Math.Max(m[j + 1], ((b0 >> 6) | (b1 << 2)) & 63);
                m[j + 2] = (byte)Math.Max(m[j + 2], ((b1 >> 4) | (b2 << 4)) & 63);
                m[j + 3] = (byte)Math.Max(m[j + 3], b2 >> 2);
            }
            return true;
        }
        int index = 0;
        for (int p = HeaderSize; p < s.Length;)
        {
            int run = Run(s, p, out int bytes, out int value);
            p += bytes;
            if (index + run > Registers) return false; // as DecodeSparse
            if (value == 0)
            {
                index += run;
                continue;
            }
            for (int end = index + run; index < end; index++)
                if (value > max[index]) max[index] = (byte)value;
        }
        return index == Registers;
    }

    /// <summary>hllCount over a HLL string; <paramref name="invalid"/> is set for a sparse form whose runs do not cover 16384 registers.</summary>
    public static ulong Count(ReadOnlySpan<byte> s, ref bool invalid)
    {
        // 64 slots whatever the encoding holds: a corrupt register lands in a wrong but real slot, as Redis's reghisto.
        Span<int> histogram = stackalloc int[64];
        histogram.Clear();
        if (s[4] == Dense) DenseHistogram(s[HeaderSize..], histogram);
        else SparseHistogram(s, histogram, ref invalid);
        return Estimate(histogram);
    }

    /// <summary>hllCount of the internal raw form (one byte per register: PFCOUNT of several keys).</summary>
    public static ulong CountRaw(ReadOnlySpan<byte> registers)
    {
        Span<int> histogram = stackalloc int[64];
        histogram.Clear();
        foreach (byte r in registers) histogram[r & 63]++;
        return Estimate(histogram);
    }

    /// <summary>Ertl's improved raw estimator from the register histogram, rounded as llroundl (half away from zero).</summary>
    static ulong Estimate(ReadOnlySpan<int> histogram)
    {
        const double m = Registers;
        const double alphaInf = 0.721347520444481703680; // 0.5 / ln 2
        double z = m * Tau((m - histogram[CountBits + 1]) / m);
        for (int j = CountBits; j >= 1; j--)
        {
            z += histogram[j];
            z *= 0.5;
        }
        z += m * Sigma(histogram[0] / m);
        double rounded = Math.Round(alphaInf * m * m / z, MidpointRounding.AwayFromZero);
        // Out of long's range (a corrupt dense HLL of high registers), x86-64's llroundl gives
        // LLONG_MIN, which Redis then reports; .NET's conversion would saturate instead.
        return rounded >= -9.2233720368547758e18 && rounded < 9.2233720368547758e18 ? (ulong)(long)rounded : 1UL << 63;
    }

    static double Sigma(double x)
    {
        if (x == 1.0) return double.PositiveInfinity;
        double y = 1, z = x, before;
        do
        {
            x *= x;
            before = z;
            z += x * y;
            y += y;
        } while (before != z);
        return z;
    }

    static double Tau(double x)
    {
        if (x == 0.0 || x == 1.0) return 0.0;
        double y = 1.0, z = 1 - x, before;
        do
        {
            x = Math.Sqrt(x);
            before = z;
            y *= 0.5;
            // libm's pow, as Redis's: the same function gives the same last bit.
            z -= Math.Pow(1 - x, 2) * y;
        } while (before != z);
        return z / 3;
    }

    /// <summary>PFDEBUG DECODE: the sparse opcodes as text ("Z:16384", "z:3", "v:2,1"), space-separated.</summary>
    public static string Decode(ReadOnlySpan<byte> s)
    {
        var text = new System.Text.StringBuilder();
        for (int p = HeaderSize; p < s.Length;)
        {
            byte op = s[p];
            int run = Run(s, p, out int bytes, out int value);
            p += bytes;
            if (text.Length > 0) text.Append(' ');
            if (value != 0) text.Append("v:").Append(value).Append(',').Append(run);
            else text.Append((op & 0xc0) == 0 ? "z:" : "Z:").Append(run);
        }
        return text.ToString();
    }
}

/// <summary>
/// The bytes of a HLL string being changed: read in place, made writable (Redis's
/// dbUnshareStringValue), resized keeping their content (sds growth). A ref struct over a key's
/// string (<see cref="HllString"/>) or over an array (<see cref="HllArray"/>, PFSELFTEST's), passed
/// by reference so nothing is boxed.
/// </summary>
public interface IHllBytes
{
    ReadOnlySpan<byte> Bytes { get; }
    Span<byte> Writable();
    /// <summary>The value now has <paramref name="length"/> bytes, the first ones as they were (new ones unspecified).</summary>
    Span<byte> Resize(int length);
}

/// <summary>A HLL in an array of its own (PFSELFTEST's sparse HLL, the tests').</summary>
public struct HllArray(byte[] buffer, int length) : IHllBytes
{
    byte[] _buffer = buffer;
    int _length = length;

    public static HllArray NewEmpty()
    {
        var b = new byte[64];
        HyperLogLog.Empty.CopyTo(b);
        return new HllArray(b, HyperLogLog.Empty.Length);
    }

    public readonly ReadOnlySpan<byte> Bytes => _buffer.AsSpan(0, _length);
    public readonly Span<byte> Writable() => _buffer.AsSpan(0, _length);

    public Span<byte> Resize(int length)
    {
        if (length > _buffer.Length) Array.Resize(ref _buffer, Math.Max(length, _buffer.Length * 2));
        _length = length;
        return _buffer.AsSpan(0, length);
    }
}

/// <summary>
/// The HLL string under a key, changed where it lives: a string record in place (a record
/// rewritten to the same length stays where it is; a new length moves it only when it leaves
/// its size class, the old bytes still readable until the loop iteration ends), or the managed
/// <see cref="RawString"/> APPEND/SETRANGE left there. Nothing is copied per command otherwise.
/// </summary>
public ref struct HllString : IHllBytes
{
    readonly Keyspace _keys;
    readonly int _index;
    readonly ReadOnlySpan<byte> _key;
    readonly RawString? _raw;

    public HllString(Keyspace keys, int index, ReadOnlySpan<byte> key)
    {
        _keys = keys;
        _index = index;
        _key = key;
        _raw = keys.Object(index) as RawString;
    }

    public readonly ReadOnlySpan<byte> Bytes
    {
        get
        {
            if (_raw is not null) return _raw.Value;
            _keys.TryGetString(_index, out var value);
            return value;
        }
    }

    public readonly Span<byte> Writable()
    {
        if (_raw is not null) return _raw.Buffer.AsSpan(0, _raw.Length);
        _keys.TryGetString(_index, out var value);
        return _keys.SetString(_index, _key, value.Length); // same length: the record itself
    }

    public readonly Span<byte> Resize(int length)
    {
        if (_raw is not null)
        {
            long before = _raw.MemoryBytes;
            if (length > _raw.Length) _raw.Grow(length);
            else _raw.Length = length;
            _keys.Resized(_index, before);
            return _raw.Buffer.AsSpan(0, length);
        }
        _keys.TryGetString(_index, out var old);
        var now = _keys.SetString(_index, _key, length);
        if (!System.Runtime.CompilerServices.Unsafe.AreSame(
                ref System.Runtime.InteropServices.MemoryMarshal.GetReference(old),
                ref System.Runtime.InteropServices.MemoryMarshal.GetReference(now)))
            old[..Math.Min(old.Length, length)].CopyTo(now);
        return now;
    }
}
