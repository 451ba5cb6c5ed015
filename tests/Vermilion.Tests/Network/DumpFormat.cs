using System.Buffers.Binary;
using System.Text;

namespace Vermilion.Tests;

/// <summary>What DUMP returns and RESTORE takes: a value's RDB body, then the RDB version (2 bytes) and a CRC-64 of both (8 bytes).</summary>
public static class DumpFormat
{
    public static byte[] Payload(byte[] body, ushort version = 10)
    {
        var payload = new byte[body.Length + 10];
        body.CopyTo(payload, 0);
        BinaryPrimitives.WriteUInt16LittleEndian(payload.AsSpan(body.Length), version);
        BinaryPrimitives.WriteUInt64LittleEndian(payload.AsSpan(body.Length + 2), Crc64.Compute(payload.AsSpan(0, body.Length + 2)));
        return payload;
    }

    public static byte[] Payload(string bodyHex, ushort version = 10) => Payload(Convert.FromHexString(bodyHex), version);

    /// <summary>A command of text (sent as UTF-8) and binary (byte[]) arguments, as RespSocket sends it: one char per byte.</summary>
    public static string[] Cmd(params object[] parts) => parts.Select(p => Encoding.Latin1.GetString(p as byte[] ?? Encoding.UTF8.GetBytes((string)p))).ToArray();

    /// <summary>The key's DUMP payload.</summary>
    public static byte[] Dump(RespSocket s, string key) => Bytes(s.Call("DUMP", key))!;

    /// <summary>The bytes of a bulk reply; null for a nil.</summary>
    public static byte[]? Bytes(string bulkReply) => RespReply.Parse(bulkReply).Text is { } text ? Encoding.Latin1.GetBytes(text) : null;
}
