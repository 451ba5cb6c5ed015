using System.Buffers.Binary;
using Vermilion.Server;
using Vermilion.Storage;

namespace Vermilion.Persistence;

/// <summary>
/// The DUMP/RESTORE payload of Redis 7.0: the RDB type byte, the value in RDB encoding, the RDB
/// version (2 bytes, little-endian) and a CRC-64 of everything before it (8 bytes,
/// little-endian). A payload from redis-server restores here and the other way round.
/// </summary>
public static class DumpPayload
{
    const int FooterSize = 2 + 8;

    public enum ReadResult { Ok, BadFooter, BadData }

    /// <summary>createDumpPayload for a string; the payload is <paramref name="writer"/>'s <see cref="RdbWriter.Written"/>.</summary>
    public static void WriteString(RdbWriter writer, ReadOnlySpan<byte> value)
    {
        writer.Reset();
        writer.WriteType(RdbType.String);
        writer.WriteString(value);
        WriteFooter(writer);
    }

    /// <summary>createDumpPayload for any other value; false (and nothing written) for a type with no RDB form here yet.</summary>
    public static bool TryWrite(RdbWriter writer, StoredObject value)
    {
        writer.Reset();
        if (!RdbValue.TryWrite(writer, value))
        {
            writer.Reset();
            return false;
        }
        WriteFooter(writer);
        return true;
    }

    static void WriteFooter(RdbWriter writer)
    {
        Span<byte> footer = stackalloc byte[FooterSize];
        BinaryPrimitives.WriteUInt16LittleEndian(footer, RdbFormat.Version);
        writer.WriteRaw(footer[..2]);
        BinaryPrimitives.WriteUInt64LittleEndian(footer[2..], Crc64.Compute(writer.Written));
        writer.WriteRaw(footer[2..]);
    }

    /// <summary>verifyDumpPayload: room for the footer, a version Redis 7.0 can read, a matching checksum.</summary>
    public static bool Verify(ReadOnlySpan<byte> payload)
    {
        if (payload.Length < FooterSize) return false;
        var footer = payload[^FooterSize..];
        if (BinaryPrimitives.ReadUInt16LittleEndian(footer) > RdbFormat.Version) return false;
        return Crc64.Compute(payload[..^8]) == BinaryPrimitives.ReadUInt64LittleEndian(footer[2..]);
    }

    /// <summary>
    /// Checks the footer and reads the value: a string into <paramref name="text"/> (a view of
    /// the payload or a pooled decoding the caller disposes), anything else into
    /// <paramref name="value"/>, a new object for <paramref name="key"/> built under the
    /// encoding thresholds of <paramref name="config"/>. As Redis does, the value is read from
    /// the whole payload, footer included, and bytes left over after it are ignored.
    /// </summary>
    public static ReadResult TryRead(ReadOnlySpan<byte> payload, ReadOnlySpan<byte> key, Config config, out RdbString text, out StoredObject? value)
    {
        text = default;
        value = null;
        if (!Verify(payload)) return ReadResult.BadFooter;
        var reader = new RdbReader(payload);
        if (!reader.TryReadObjectType(out var type)) return ReadResult.BadData;
        if (type == RdbType.String) return reader.TryReadString(out text) ? ReadResult.Ok : ReadResult.BadData;
        return RdbValue.TryRead(ref reader, type, key, config, out value) ? ReadResult.Ok : ReadResult.BadData;
    }
}
