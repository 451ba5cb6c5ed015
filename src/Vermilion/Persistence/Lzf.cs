namespace Vermilion.Persistence;

/// <summary>
/// LZF, the compression Redis uses for long strings in RDB files and DUMP payloads.
///
/// The stream is a sequence of items, each starting with a control byte c:
/// <list type="bullet">
/// <item>c &lt; 32: a literal run, the next c + 1 bytes are copied as they are;</item>
/// <item>otherwise a back reference: length L = c >> 5 (when 7, the next byte is added to it),
/// then a byte d; L + 2 bytes are copied from (c &amp; 31) &lt;&lt; 8 | d, plus one, bytes
/// back in the output (the source may overlap what is being written).</item>
/// </list>
///
/// Decompressing needs only that. Compressing is where a choice exists, and to give DUMP the
/// same bytes as redis-server the compressor makes the choices Redis's bundled liblzf 3.6 makes
/// (HLOG 16, VERY_FAST): a greedy parse that looks up each 3-byte prefix in a 65536-slot table
/// of the last position seen with that hash, takes the match if it is within 8 KB and really
/// matches, extends it up to 264 bytes, and after a match records only the last two positions
/// it covered. It also gives up at the same points when the output would not fit.
///
/// An instance keeps its hash table between calls; a generation offset makes entries from
/// earlier inputs read as empty, so a short string does not pay for clearing 256 KB.
/// </summary>
public sealed class Lzf
{
    const int TableSize = 1 << 16, MaxLiteral = 32, MaxDistance = 1 << 13, MaxMatch = 264;

    readonly int[] _table = new int[TableSize];
    // Positions of the current input are stored as _base + position; anything at or below
    // _base is from an earlier input or is position 0, which liblzf never refers back to.
    int _base;

    /// <summary>
    /// Compresses <paramref name="input"/> into <paramref name="output"/>; returns the number of
    /// bytes written, or 0 when the result would not fit (Redis then stores the string as it is).
    /// </summary>
    public int Compress(ReadOnlySpan<byte> input, Span<byte> output)
    {
        int n = input.Length, limit = output.Length;
        if (n == 0 || limit == 0) return 0;
        if (_base > int.MaxValue - n - 1)
        {
            Array.Clear(_table);
            _base = 0;
        }
        int generation = _base;
        _base += n;

        // op is the next byte to write; while a literal run is open, its control byte is
        // reserved at op - literals - 1 and filled in when the run closes.
        int ip = 0, op = 1, literals = 0;
        uint window = n > 1 ? (uint)(input[0] << 8 | input[1]) : 0;
        while (ip < n - 2)
        {
            window = (window << 8) | input[ip + 2];
            int slot = Slot(window);
            int candidate = _table[slot] - generation;
            _table[slot] = generation + ip;

            if (candidate > 0 && ip - candidate - 1 < MaxDistance
                && input[candidate + 2] == input[ip + 2] && input[candidate] == input[ip] && input[candidate + 1] == input[ip + 1])
            {
                // Room for the reference (up to 3 bytes) and the next run's control byte,
                // counting the byte an empty open run gives back.
                int start = literals == 0 ? op - 1 : op;
                if (start + 4 >= limit) return 0;
                if (literals > 0) output[op - literals - 1] = (byte)(literals - 1);
                op = start;

                // liblzf compares 16 bytes unrolled before it looks at its cap, so when only 17
                // or 18 bytes may be matched it can still match 19 (never past the input).
                int cap = Math.Min(n - ip - 2, MaxMatch);
                if (cap > 16) cap = Math.Max(cap, 19);
                int length = 3;
                while (length < cap && input[candidate + length] == input[ip + length]) length++;

                int distance = ip - candidate - 1, code = length - 2;
                if (code < 7) output[op++] = (byte)((distance >> 8) + (code << 5));
                else
                {
                    output[op++] = (byte)((distance >> 8) + (7 << 5));
                    output[op++] = (byte)(code - 7);
                }
                output[op++] = (byte)distance;
                literals = 0;
                op++;

                ip += length;
                if (ip >= n - 2) break;
                // Only the last two positions the match covered go into the table.
                ip -= 2;
                window = (uint)(input[ip] << 8 | input[ip + 1]);
                for (int k = 0; k < 2; k++, ip++)
                {
                    window = (window << 8) | input[ip + 2];
                    _table[Slot(window)] = generation + ip;
                }
            }
            else
            {
                if (op >= limit) return 0;
                output[op++] = input[ip++];
                if (++literals == MaxLiteral)
                {
                    output[op - literals - 1] = MaxLiteral - 1;
                    literals = 0;
                    op++;
                }
            }
        }

        // At most two bytes are left, and maybe one more control byte.
        if (op + 3 > limit) return 0;
        while (ip < n)
        {
            output[op++] = input[ip++];
            if (++literals == MaxLiteral)
            {
                output[op - literals - 1] = MaxLiteral - 1;
                literals = 0;
                op++;
            }
        }
        if (literals > 0) output[op - literals - 1] = (byte)(literals - 1);
        else op--;
        return op;
    }

    /// <summary>liblzf's hash of the three bytes in the low 24 bits of <paramref name="window"/>.</summary>
    static int Slot(uint window) => (int)(((window >> 8) - window * 5) & (TableSize - 1));

    /// <summary>
    /// Decompresses <paramref name="input"/> into <paramref name="output"/>; returns the number of
    /// bytes written, or -1 if the stream is corrupt: it ends inside an item, refers before the
    /// start of the output, or would write past the end of <paramref name="output"/>.
    /// </summary>
    public static int Decompress(ReadOnlySpan<byte> input, Span<byte> output)
    {
        int ip = 0, op = 0;
        while (ip < input.Length)
        {
            int control = input[ip++];
            if (control < 32)
            {
                int run = control + 1;
                if (run > output.Length - op || run > input.Length - ip) return -1;
                input.Slice(ip, run).CopyTo(output[op..]);
                ip += run;
                op += run;
                continue;
            }
            int length = control >> 5;
            if (ip >= input.Length) return -1;
            if (length == 7)
            {
                length += input[ip++];
                if (ip >= input.Length) return -1;
            }
            length += 2;
            int from = op - ((control & 31) << 8) - 1 - input[ip++];
            if (length > output.Length - op || from < 0) return -1;
            if (op - from >= length) output.Slice(from, length).CopyTo(output[op..]);
            else
            {
                // The source overlaps the bytes being written: a short distance repeats them.
                for (int k = 0; k < length; k++) output[op + k] = output[from + k];
            }
            op += length;
        }
        return op;
    }
}
