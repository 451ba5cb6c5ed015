using System.Buffers.Binary;
using System.Text;

namespace Vermilion.Tests;

/// <summary>
/// RDB files built byte by byte, for what Vermilion never writes: files of versions 1 to 9 and
/// the encodings Redis 2.x to 6.2 wrote (zipmap, ziplists, quicklists of ziplists, text scores),
/// so the loader's conversions are tested without Redis's own fixture files. Lengths and
/// strings are plain (no integer or LZF forms) unless written raw.
/// </summary>
sealed class RdbBytes
{
    readonly List<byte> _bytes = [];
    readonly int _version;

    public RdbBytes(int version = 10)
    {
        _version = version;
        Raw(Encoding.ASCII.GetBytes($"REDIS{version:D4}"));
    }

    public RdbBytes Raw(params byte[] bytes)
    {
        _bytes.AddRange(bytes);
        return this;
    }

    public RdbBytes Length(ulong length)
    {
        var buffer = new byte[9];
        return Raw(buffer[..RdbWriter.EncodeLength(length, buffer)]);
    }

    public RdbBytes String(string text) => String(Encoding.Latin1.GetBytes(text));
    public RdbBytes String(byte[] bytes) => Length((ulong)bytes.Length).Raw(bytes);

    public RdbBytes Aux(string key, string value) => Raw(0xFA).String(key).String(value);
    public RdbBytes Select(int db) => Raw(0xFE).Length((ulong)db);
    public RdbBytes Resize(int size, int expires) => Raw(0xFB).Length((ulong)size).Length((ulong)expires);

    public RdbBytes ExpireMs(long ms)
    {
        var b = new byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(b, ms);
        return Raw(0xFC).Raw(b);
    }

    public RdbBytes ExpireSeconds(int seconds)
    {
        var b = new byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(b, seconds);
        return Raw(0xFD).Raw(b);
    }

    /// <summary>A key's type byte and name; its value follows.</summary>
    public RdbBytes Key(RdbType type, string key) => Raw((byte)type).String(key);

    public RdbBytes StringKey(string key, string value) => Key(RdbType.String, key).String(value);

    /// <summary>The EOF opcode, then the CRC-64 from version 5 on (zeros when <paramref name="checksum"/> is false).</summary>
    public byte[] Finish(bool checksum = true)
    {
        _bytes.Add(0xFF);
        if (_version >= 5)
        {
            var crc = new byte[8];
            if (checksum) BinaryPrimitives.WriteUInt64LittleEndian(crc, Crc64.Compute(_bytes.ToArray()));
            _bytes.AddRange(crc);
        }
        return [.. _bytes];
    }

    /// <summary>
    /// A ziplist of the entries (a string, or a long for an integer entry), in the encodings
    /// ziplist.c picks: 0..12 in the encoding byte, else the smallest of int8/16/24/32/64;
    /// strings with a 6, 14 or 32-bit length.
    /// </summary>
    public static byte[] Ziplist(params object[] entries)
    {
        var body = new List<byte>();
        int previous = 0, tail = 10;
        foreach (var e in entries)
        {
            var entry = new List<byte>();
            if (previous < 254) entry.Add((byte)previous);
            else
            {
                entry.Add(0xFE);
                entry.AddRange(BitConverter.GetBytes(previous));
            }
            switch (e)
            {
                case long v when v is >= 0 and <= 12: entry.Add((byte)(0xF1 + v)); break;
                case long v when v is >= sbyte.MinValue and <= sbyte.MaxValue: entry.Add(0xFE); entry.Add((byte)v); break;
                case long v when v is >= short.MinValue and <= short.MaxValue: entry.Add(0xC0); entry.AddRange(BitConverter.GetBytes((short)v)); break;
                case long v when v is >= -8388608 and <= 8388607: entry.Add(0xF0); entry.AddRange(BitConverter.GetBytes((int)v)[..3]); break;
                case long v when v is >= int.MinValue and <= int.MaxValue: entry.Add(0xD0); entry.AddRange(BitConverter.GetBytes((int)v)); break;
                case long v: entry.Add(0xE0); entry.AddRange(BitConverter.GetBytes(v)); break;
                case string text:
                    var s = Encoding.Latin1.GetBytes(text);
                    if (s.Length < 64) entry.Add((byte)s.Length);
                    else if (s.Length < 16384) { entry.Add((byte)(0x40 | (s.Length >> 8))); entry.Add((byte)s.Length); }
                    else { entry.Add(0x80); var len = new byte[4]; BinaryPrimitives.WriteUInt32BigEndian(len, (uint)s.Length); entry.AddRange(len); }
                    entry.AddRange(s);
                    break;
                default: throw new ArgumentException("a ziplist entry is a string or a long");
            }
            tail = 10 + body.Count;
            body.AddRange(entry);
            previous = entry.Count;
        }
        var zl = new byte[10 + body.Count + 1];
        BinaryPrimitives.WriteUInt32LittleEndian(zl, (uint)zl.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(zl.AsSpan(4), (uint)(entries.Length == 0 ? 10 : tail));
        BinaryPrimitives.WriteUInt16LittleEndian(zl.AsSpan(8), (ushort)Math.Min(entries.Length, ushort.MaxValue));
        body.CopyTo(zl, 10);
        zl[^1] = 0xFF;
        return zl;
    }

    /// <summary>A zipmap of the pairs, each value followed by <paramref name="free"/> unused bytes (as a zipmap updated in place had).</summary>
    public static byte[] Zipmap(int free, params (string Field, string Value)[] pairs)
    {
        var zm = new List<byte> { (byte)Math.Min(pairs.Length, 254) };
        void Len(int n)
        {
            if (n < 254) zm.Add((byte)n);
            else { zm.Add(254); zm.AddRange(BitConverter.GetBytes(n)); }
        }
        foreach (var (field, value) in pairs)
        {
            Len(field.Length);
            zm.AddRange(Encoding.Latin1.GetBytes(field));
            Len(value.Length);
            zm.Add((byte)free);
            zm.AddRange(Encoding.Latin1.GetBytes(value));
            zm.AddRange(new byte[free]);
        }
        zm.Add(0xFF);
        return [.. zm];
    }
}
