using System.Buffers.Binary;
using System.Text;

namespace Vermilion.Persistence;

/// <summary>
/// Function libraries in Redis 7.0's serialized forms. In an RDB file and in FUNCTION DUMP's
/// payload a library is the opcode FUNCTION2 (0xF5) and its whole code as an RDB string
/// (rdbSaveFunctions; LZF-compressed past 20 bytes as any string); the payload then ends as a
/// DUMP payload does (RDB version, CRC-64). 7.0-rc1/rc2 wrote FUNCTION (0xF6): name, engine, a
/// description flag and description, then the body without its #! line (rdbFunctionLoad turns
/// it into the newer form), which is still read.
/// </summary>
public static class FunctionsPayload
{
    public const byte OpcodeFunction2 = 0xF5, OpcodeFunction = 0xF6;
    const int FooterSize = 2 + 8;

    /// <summary>One library as rdbSaveFunctions writes it.</summary>
    public static void WriteLibrary(RdbWriter writer, ReadOnlySpan<byte> code)
    {
        writer.WriteByte(OpcodeFunction2);
        writer.WriteString(code);
    }

    /// <summary>FUNCTION DUMP: every library, then the RDB version and the CRC-64 of all before it.</summary>
    public static byte[] Dump(IEnumerable<byte[]> libraries)
    {
        var writer = new RdbWriter();
        foreach (var code in libraries) WriteLibrary(writer, code);
        Span<byte> footer = stackalloc byte[FooterSize];
        BinaryPrimitives.WriteUInt16LittleEndian(footer, RdbFormat.Version);
        writer.WriteRaw(footer[..2]);
        BinaryPrimitives.WriteUInt64LittleEndian(footer[2..], Crc64.Compute(writer.Written));
        writer.WriteRaw(footer[2..]);
        return writer.Written.ToArray();
    }

    /// <summary>
    /// After an opcode FUNCTION2 or FUNCTION: the library's code in the FUNCTION2 form, or null
    /// and rdbFunctionLoad's error when the data ends or breaks.
    /// </summary>
    public static byte[]? TryReadLibrary(ref RdbReader reader, byte opcode, out string? error)
    {
        error = null;
        if (opcode == OpcodeFunction2)
        {
            if (!reader.TryReadString(out var code))
            {
                error = "Failed loading library payload";
                return null;
            }
            using (code) return code.Value.ToArray();
        }
        byte[] name, engine;
        if (!ReadString(ref reader, out name!))
        {
            error = "Failed loading library name";
            return null;
        }
        if (!ReadString(ref reader, out engine!))
        {
            error = "Failed loading engine name";
            return null;
        }
        if (!reader.TryReadLength(out ulong hasDescription))
        {
            error = "Failed loading library description indicator";
            return null;
        }
        if (hasDescription != 0 && !ReadString(ref reader, out _))
        {
            error = "Failed loading library description";
            return null;
        }
        if (!ReadString(ref reader, out var blob))
        {
            error = "Failed loading library blob";
            return null;
        }
        var header = Encoding.Latin1.GetBytes($"#!{Encoding.Latin1.GetString(engine)} name={Encoding.Latin1.GetString(name)}\n");
        return [.. header, .. blob!];
    }

    static bool ReadString(ref RdbReader reader, out byte[]? value)
    {
        value = null;
        if (!reader.TryReadString(out var s)) return false;
        using (s) value = s.Value.ToArray();
        return true;
    }

    /// <summary>
    /// FUNCTION RESTORE's reading (functionRestoreCommand): after verifyDumpPayload's footer check
    /// (false: "DUMP payload version or checksum are wrong"), each library's code until only the
    /// footer is left; a byte that is not a function opcode, or a library that does not read, is
    /// <paramref name="error"/>.
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> payload, List<byte[]> libraries, out string? error)
    {
        error = null;
        if (!DumpPayload.Verify(payload)) return false;
        var reader = new RdbReader(payload);
        while (reader.Remaining > FooterSize)
        {
            if (!reader.TryReadByte(out byte type))
            {
                error = "can not read data type";
                return true;
            }
            if (type != OpcodeFunction2 && type != OpcodeFunction)
            {
                error = "given type is not a function";
                return true;
            }
            var code = TryReadLibrary(ref reader, type, out error);
            if (code is null) return true;
            libraries.Add(code);
        }
        return true;
    }
}
