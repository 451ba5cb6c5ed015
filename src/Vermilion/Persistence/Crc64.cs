namespace Vermilion.Persistence;

/// <summary>
/// CRC-64/Jones as Redis computes it for DUMP payloads and RDB files: polynomial
/// 0xad93d23594c935a9, reflected input and output, initial value 0, no final xor
/// ("123456789" gives 0xe9c6d914c4b8d9ca). System.IO.Hashing's Crc64 is the ECMA variant and its
/// parameterised CRCs are not in the version we reference, so the table is ours. Eight tables
/// let the loop take 8 bytes a step, which matters for multi-megabyte payloads.
/// </summary>
public static class Crc64
{
    const ulong ReflectedPolynomial = 0x95ac9329ac4bc9b5; // 0xad93d23594c935a9 with its bits reversed

    static readonly ulong[] s_tables = BuildTables();

    static ulong[] BuildTables()
    {
        var t = new ulong[8 * 256];
        for (int i = 0; i < 256; i++)
        {
            ulong crc = (ulong)i;
            for (int bit = 0; bit < 8; bit++) crc = (crc & 1) != 0 ? (crc >> 1) ^ ReflectedPolynomial : crc >> 1;
            t[i] = crc;
        }
        // Table k advances a byte followed by k zero bytes.
        for (int k = 1; k < 8; k++)
            for (int i = 0; i < 256; i++)
            {
                ulong previous = t[(k - 1) * 256 + i];
                t[k * 256 + i] = (previous >> 8) ^ t[(int)(previous & 0xff)];
            }
        return t;
    }

    /// <summary>The CRC of <paramref name="data"/> continuing from <paramref name="crc"/> (0 to start).</summary>
    public static ulong Compute(ReadOnlySpan<byte> data, ulong crc = 0)
    {
        var t = s_tables.AsSpan();
        int i = 0;
        for (; i + 8 <= data.Length; i += 8)
        {
            crc ^= System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(data[i..]);
            crc = t[7 * 256 + (int)(crc & 0xff)] ^ t[6 * 256 + (int)((crc >> 8) & 0xff)]
                ^ t[5 * 256 + (int)((crc >> 16) & 0xff)] ^ t[4 * 256 + (int)((crc >> 24) & 0xff)]
                ^ t[3 * 256 + (int)((crc >> 32) & 0xff)] ^ t[2 * 256 + (int)((crc >> 40) & 0xff)]
                ^ t[1 * 256 + (int)((crc >> 48) & 0xff)] ^ t[(int)(crc >> 56)];
        }
        for (; i < data.Length; i++) crc = t[(int)((crc ^ data[i]) & 0xff)] ^ (crc >> 8);
        return crc;
    }
}
