using System.Buffers;
using System.Text;
using Vermilion.Protocol;
using Vermilion.Server;
using Vermilion.Storage;

namespace Vermilion.Commands;

/// <summary>
/// The bitmap family: SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD and BITFIELD_RO, on
/// string values seen as arrays of bits (see <see cref="Bitmap"/> for the bit arithmetic).
/// GETBIT, SETBIT and BITCOUNT work on the stored value's span and allocate nothing.
/// </summary>
public static partial class BitmapCommands
{
    const string BitOffsetError = "bit offset is not an integer or out of range";
    const string SyntaxError = "syntax error";

    static bool Read(Client c, ReadOnlySpan<byte> key, out ReadOnlySpan<byte> value) => StringCommands.Read(c, key, out value);

    /// <summary>
    /// getBitOffsetFromArgument: a bit offset below proto-max-bulk-len bytes. BITFIELD also takes
    /// "#N", meaning N fields of <paramref name="bits"/> bits; as in Redis the product wraps around
    /// 64 bits unchecked ("#2305843009213693952" on i8 is offset 0).
    /// </summary>
    static bool ParseBitOffset(Client c, ReadOnlySpan<byte> text, bool fieldIndex, int bits, out ulong offset)
    {
        offset = 0;
        bool hash = fieldIndex && text.Length > 0 && text[0] == '#';
        if (!IntegerText.TryParse(hash ? text[1..] : text, out long n))
        {
            c.Reply.Error(BitOffsetError);
            return false;
        }
        if (hash) n = unchecked(n * bits);
        if (n < 0 || (n >> 3) >= c.Server.Config.ProtoMaxBulkLen)
        {
            c.Reply.Error(BitOffsetError);
            return false;
        }
        offset = (ulong)n;
        return true;
    }

    /// <summary>
    /// A value may need <paramref name="length"/> bytes. Redis allows up to proto-max-bulk-len (plus
    /// a field's width); a .NET array stops at Array.MaxLength, reachable only with a raised limit.
    /// </summary>
    static bool LengthAllowed(Client c, ulong length)
    {
        if (length <= (ulong)Array.MaxLength) return true;
        c.Reply.Error("string exceeds maximum allowed size (proto-max-bulk-len)");
        return false;
    }

    [Command("getbit")]
    static void GetBit(Client c, CommandArgs a)
    {
        if (!ParseBitOffset(c, a[2], fieldIndex: false, 0, out ulong offset)) return;
        Read(c, a[1], out var value);
        c.Reply.Integer(Bitmap.GetBit(value, offset));
    }

    [Command("setbit")]
    static void SetBit(Client c, CommandArgs a)
    {
        if (!ParseBitOffset(c, a[2], fieldIndex: false, 0, out ulong offset)) return;
        if (!IntegerText.TryParse(a[3], out long bit) || (bit & ~1L) != 0)
        {
            c.Reply.Error("bit is not an integer or out of range");
            return;
        }
        if (!LengthAllowed(c, (offset >> 3) + 1)) return;
        int needed = (int)(offset >> 3) + 1;
        int before = c.Db.TryGetString(a[1], out var current) ? current.Length : -1;
        var value = c.Db.GetWritable(a[1], needed);
        int old = Bitmap.SetBit(value, offset, (int)bit);
        // As Redis: the event only when the key was created, grew, or the bit really changed.
        if (before < needed || old != bit)
        {
            c.Server.Dirty++;
            c.Server.Notify(NotifyFlags.String, "setbit", c.Db, a[1]);
        }
        c.Reply.Integer(old);
    }

    /// <summary>
    /// The BITCOUNT/BITPOS range: inclusive indexes, negative from the end, in bytes or (BIT) in bits,
    /// clamped to the value; returned as bit positions. False when the range is empty.
    /// </summary>
    static bool BitRange(long length, long start, long end, bool inBits, out long first, out long last)
    {
        long total = inBits ? length * 8 : length;
        if (start < 0) start += total;
        if (end < 0) end += total;
        if (start < 0) start = 0;
        if (end < 0) end = 0;
        if (end >= total) end = total - 1;
        first = inBits ? start : start * 8;
        last = inBits ? end : end * 8 + 7;
        return start <= end;
    }

    /// <summary>BYTE or BIT, else a syntax error reply.</summary>
    static bool ParseUnit(Client c, ReadOnlySpan<byte> text, out bool inBits)
    {
        inBits = Ascii.EqualsIgnoreCase(text, "bit"u8);
        if (inBits || Ascii.EqualsIgnoreCase(text, "byte"u8)) return true;
        c.Reply.Error(SyntaxError);
        return false;
    }

    /// <summary>BITCOUNT: a missing key counts 0 before the range is even read, as in Redis.</summary>
    [Command("bitcount")]
    static void BitCount(Client c, CommandArgs a)
    {
        if (!Read(c, a[1], out var value))
        {
            c.Reply.Integer(0);
            return;
        }
        long first = 0, last = value.Length * 8L - 1;
        if (a.Count is 4 or 5)
        {
            if (!LongArgument.Parse(c, a[2], out long start) || !LongArgument.Parse(c, a[3], out long end)) return;
            bool inBits = false;
            // As Redis 7.0: two negative indexes in the wrong order count 0 before BYTE|BIT is even read.
            bool emptyBackwards = start < 0 && end < 0 && start > end;
            if (!emptyBackwards && a.Count == 5 && !ParseUnit(c, a[4], out inBits)) return;
            if (emptyBackwards || !BitRange(value.Length, start, end, inBits, out first, out last))
            {
                c.Reply.Integer(0);
                return;
            }
        }
        else if (a.Count != 2)
        {
            c.Reply.Error(SyntaxError);
            return;
        }
        c.Reply.Integer(Bitmap.Count(value, first, last));
    }

    /// <summary>
    /// BITPOS: a missing key is all zeros. Looking for a 0 without an explicit end, the zero just past
    /// the value counts (the string reads as zero-padded); with an end given it does not.
    /// </summary>
    [Command("bitpos")]
    static void BitPos(Client c, CommandArgs a)
    {
        if (!LongArgument.Parse(c, a[2], out long bit)) return;
        if (bit is not (0 or 1))
        {
            c.Reply.Error("The bit argument must be 1 or 0.");
            return;
        }
        if (!Read(c, a[1], out var value))
        {
            c.Reply.Integer(bit == 1 ? -1 : 0);
            return;
        }
        long first = 0, last = value.Length * 8L - 1;
        bool endGiven = false;
        if (a.Count is >= 4 and <= 6)
        {
            if (!LongArgument.Parse(c, a[3], out long start)) return;
            bool inBits = false;
            if (a.Count == 6 && !ParseUnit(c, a[5], out inBits)) return;
            long end = value.Length - 1;
            if (a.Count >= 5)
            {
                if (!LongArgument.Parse(c, a[4], out end)) return;
                endGiven = true;
            }
            if (!BitRange(value.Length, start, end, inBits, out first, out last))
            {
                c.Reply.Integer(-1);
                return;
            }
        }
        else if (a.Count != 3)
        {
            c.Reply.Error(SyntaxError);
            return;
        }
        if (first > last)
        {
            c.Reply.Integer(-1);
            return;
        }
        long position = Bitmap.Position(value, (int)bit, first, last);
        c.Reply.Integer(position < 0 && bit == 0 && !endGiven ? last + 1 : position);
    }

    enum BitOperation { And, Or, Xor, Not }

    /// <summary>
    /// BITOP: the result is as long as the longest source, shorter sources (and missing keys) read as
    /// zeros; an empty result deletes the destination. The destination may be one of the sources,
    /// so the result is built in a new array first.
    /// </summary>
    [Command("bitop")]
    static void BitOp(Client c, CommandArgs a)
    {
        BitOperation op;
        if (a.Is(1, "and")) op = BitOperation.And;
        else if (a.Is(1, "or")) op = BitOperation.Or;
        else if (a.Is(1, "xor")) op = BitOperation.Xor;
        else if (a.Is(1, "not")) op = BitOperation.Not;
        else
        {
            c.Reply.Error(SyntaxError);
            return;
        }
        if (op == BitOperation.Not && a.Count != 4)
        {
            c.Reply.Error("BITOP NOT must be called with a single source key.");
            return;
        }
        int maxLength = 0;
        for (int i = 3; i < a.Count; i++)
        {
            if (Read(c, a[i], out var source)) maxLength = Math.Max(maxLength, source.Length);
        }
        if (maxLength == 0)
        {
            if (c.Server.DeleteKey(c.Db, a[2])) c.Server.Dirty++;
            c.Reply.Integer(0);
            return;
        }
        var result = new byte[maxLength];
        for (int i = 3; i < a.Count; i++)
        {
            c.Db.TryGetString(a[i], out var source);
            if (i == 3)
            {
                source.CopyTo(result);
                if (op == BitOperation.Not) Bitmap.Not(result);
            }
            else if (op == BitOperation.And) Bitmap.And(result, source);
            else if (op == BitOperation.Or) Bitmap.Or(result, source);
            else Bitmap.Xor(result, source);
        }
        c.Db.SetRaw(a[2], result);
        c.Server.Dirty++;
        c.Server.Notify(NotifyFlags.String, "set", c.Db, a[2]);
        c.Reply.Integer(maxLength);
    }

    enum FieldOpKind : byte { Overflow, Get, Set, IncrBy }

    /// <summary>One BITFIELD operation as parsed; OVERFLOW only changes the mode of those after it.</summary>
    struct FieldOp
    {
        public FieldOpKind Kind;
        public bool Signed;
        public int Bits;
        public ulong Offset;
        public long Value;
    }

    /// <summary>
    /// Parses the operation at <paramref name="j"/>: returns the index after it, or -1 after an error
    /// reply. A subcommand without enough arguments after it is a syntax error, as in Redis.
    /// </summary>
    static int ParseFieldOp(Client c, CommandArgs a, int j, ref BitfieldOverflow overflow, out FieldOp op)
    {
        op = default;
        int remaining = a.Count - j - 1;
        if (a.Is(j, "get") && remaining >= 2) op.Kind = FieldOpKind.Get;
        else if (a.Is(j, "set") && remaining >= 3) op.Kind = FieldOpKind.Set;
        else if (a.Is(j, "incrby") && remaining >= 3) op.Kind = FieldOpKind.IncrBy;
        else if (a.Is(j, "overflow") && remaining >= 1)
        {
            if (a.Is(j + 1, "wrap")) overflow = BitfieldOverflow.Wrap;
            else if (a.Is(j + 1, "sat")) overflow = BitfieldOverflow.Sat;
            else if (a.Is(j + 1, "fail")) overflow = BitfieldOverflow.Fail;
            else
            {
                c.Reply.Error("Invalid OVERFLOW type specified");
                return -1;
            }
            return j + 2;
        }
        else
        {
            c.Reply.Error(SyntaxError);
            return -1;
        }
        if (!ParseFieldType(a[j + 1], out op.Signed, out op.Bits))
        {
            c.Reply.Error("Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.");
            return -1;
        }
        if (!ParseBitOffset(c, a[j + 2], fieldIndex: true, op.Bits, out op.Offset)) return -1;
        if (op.Kind == FieldOpKind.Get) return j + 3;
        if (!LongArgument.Parse(c, a[j + 3], out op.Value)) return -1;
        return j + 4;
    }

    /// <summary>"i1".."i64" or "u1".."u63", read up to a NUL byte as Redis's C string functions do.</summary>
    static bool ParseFieldType(ReadOnlySpan<byte> text, out bool signed, out int bits)
    {
        int nul = text.IndexOf((byte)0);
        if (nul >= 0) text = text[..nul];
        signed = text.Length > 0 && text[0] == 'i';
        bits = 0;
        if (text.Length == 0 || (text[0] != 'i' && text[0] != 'u')) return false;
        if (!IntegerText.TryParse(text[1..], out long n) || n < 1 || n > (signed ? 64 : 63)) return false;
        bits = (int)n;
        return true;
    }

    [Command("bitfield", GetKeys = nameof(BitFieldGetKeys))] static void BitField(Client c, CommandArgs a) => BitFieldGeneric(c, a, readOnlyCommand: false);
    [Command("bitfield_ro")] static void BitFieldRo(Client c, CommandArgs a) => BitFieldGeneric(c, a, readOnlyCommand: true);

    /// <summary>
    /// bitfieldGeneric: every operation is checked before any runs. With a SET or INCRBY the value is
    /// first grown to the furthest bit written (even when FAIL then refuses every write); with GETs
    /// only, the key is just read. Operations are parsed again to run them, so nothing is allocated.
    /// </summary>
    static void BitFieldGeneric(Client c, CommandArgs a, bool readOnlyCommand)
    {
        var overflow = BitfieldOverflow.Wrap;
        int count = 0;
        bool writes = false;
        ulong highestBit = 0;
        for (int j = 2; j < a.Count;)
        {
            j = ParseFieldOp(c, a, j, ref overflow, out var op);
            if (j < 0) return;
            if (op.Kind == FieldOpKind.Overflow) continue;
            count++;
            if (op.Kind != FieldOpKind.Get)
            {
                writes = true;
                highestBit = Math.Max(highestBit, op.Offset + (ulong)op.Bits - 1);
            }
        }

        ReadOnlySpan<byte> readable;
        Span<byte> writable = default;
        // lookupStringForBitCommand's dirty: a key created or grown makes every write a change.
        bool grown = false;
        if (!writes) Read(c, a[1], out readable);
        else
        {
            if (readOnlyCommand)
            {
                c.Reply.Error("BITFIELD_RO only supports the GET subcommand");
                return;
            }
            if (!LengthAllowed(c, (highestBit >> 3) + 1)) return;
            int needed = (int)(highestBit >> 3) + 1;
            grown = !c.Db.TryGetString(a[1], out var current) || current.Length < needed;
            writable = c.Db.GetWritable(a[1], needed);
            readable = writable;
        }

        c.Reply.ArrayHeader(count);
        overflow = BitfieldOverflow.Wrap;
        int changes = 0;
        for (int j = 2; j < a.Count;)
        {
            j = ParseFieldOp(c, a, j, ref overflow, out var op);
            switch (op.Kind)
            {
                case FieldOpKind.Get:
                    if (op.Signed) c.Reply.Integer(Bitmap.ReadSignedField(readable, op.Offset, op.Bits));
                    else c.Reply.Integer((long)Bitmap.ReadField(readable, op.Offset, op.Bits));
                    break;
                case FieldOpKind.Set or FieldOpKind.IncrBy when op.Signed:
                {
                    long old = Bitmap.ReadSignedField(writable, op.Offset, op.Bits);
                    bool incr = op.Kind == FieldOpKind.IncrBy;
                    if (Bitmap.AddSigned(incr ? old : op.Value, incr ? op.Value : 0, op.Bits, overflow, out long stored))
                    {
                        c.Reply.Integer(incr ? stored : old);
                        Bitmap.WriteField(writable, op.Offset, op.Bits, (ulong)stored);
                        if (grown || old != stored) changes++;
                    }
                    else c.Reply.Null();
                    break;
                }
                case FieldOpKind.Set or FieldOpKind.IncrBy:
                {
                    ulong old = Bitmap.ReadField(writable, op.Offset, op.Bits);
                    bool incr = op.Kind == FieldOpKind.IncrBy;
                    if (Bitmap.AddUnsigned(incr ? old : (ulong)op.Value, incr ? op.Value : 0, op.Bits, overflow, out ulong stored))
                    {
                        c.Reply.Integer((long)(incr ? stored : old));
                        Bitmap.WriteField(writable, op.Offset, op.Bits, stored);
                        if (grown || old != stored) changes++;
                    }
                    else c.Reply.Null();
                    break;
                }
            }
        }
        // Only writes that changed a value count (and are notified), as bitfieldGeneric counts them.
        if (changes > 0)
        {
            c.Server.Dirty += changes;
            c.Server.Notify(NotifyFlags.String, "setbit", c.Db, a[1]);
        }
    }

    /// <summary>
    /// bitfieldGetKeys: the key is only read when every operation is a GET (or OVERFLOW); a SET,
    /// INCRBY or anything unparseable makes it read-write.
    /// </summary>
    static bool BitFieldGetKeys(Argv argv, List<KeyReference> keys)
    {
        bool readOnly = true;
        for (int i = 2; i < argv.Count; i++)
        {
            int remaining = argv.Count - i - 1;
            if (Ascii.EqualsIgnoreCase(argv[i], "get"u8) && remaining >= 2) i += 2;
            else if (Ascii.EqualsIgnoreCase(argv[i], "overflow"u8) && remaining >= 1) i += 1;
            else
            {
                readOnly = false;
                break;
            }
        }
        keys.Add(new(1, readOnly ? KeySpecFlags.RO | KeySpecFlags.Access : KeySpecFlags.RW | KeySpecFlags.Access | KeySpecFlags.Update));
        return true;
    }
}
