using System.Runtime.CompilerServices;
using System.Text;
using Vermilion.Protocol;
using Vermilion.Server;

namespace Vermilion.Commands;

/// <summary>
/// The string family: GET/SET and their variants, counters (INCRBYFLOAT in emulated long double,
/// see <see cref="LongDouble"/>), ranges and LCS. The bitmap commands are in <see cref="BitmapCommands"/>.
/// </summary>
public static partial class StringCommands
{
    /// <summary>setGetKeys: the key is overwritten, or read and updated when GET is given (the key spec's variable_flags).</summary>
    static bool SetGetKeys(Argv argv, List<KeyReference> keys)
    {
        for (int i = 3; i < argv.Count; i++)
        {
            if (Ascii.EqualsIgnoreCase(argv[i], "get"u8))
            {
                keys.Add(new(1, KeySpecFlags.RW | KeySpecFlags.Access | KeySpecFlags.Update));
                return true;
            }
        }
        keys.Add(new(1, KeySpecFlags.OW | KeySpecFlags.Update));
        return true;
    }

    /// <summary>lookupKeyRead: a read counts as a keyspace hit or miss (writes do not).</summary>
    internal static bool Read(Client c, ReadOnlySpan<byte> key, out ReadOnlySpan<byte> value)
    {
        bool found = c.Db.TryGetString(key, out value);
        if (found) c.Server.Stats.KeyspaceHits++;
        else c.Server.KeyMiss(c.Db, key);
        return found;
    }

    /// <summary>Replies the value, or null for a missing key; true when the key was found. Inlined: it is the
    /// whole of GET (and the reply of SET ... GET, GETSET, GETDEL), and the
    /// extra call was 11 of a -P 128 GET's ~1,000 instructions.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static bool ReplyValue(Client c, ReadOnlySpan<byte> key)
    {
        if (Read(c, key, out var value))
        {
            c.Reply.Bulk(value);
            return true;
        }
        c.Reply.Null();
        return false;
    }

    [Command("get")] static void Get(Client c, CommandArgs a) => ReplyValue(c, a[1]);

    [Flags]
    enum SetOptions { None = 0, Nx = 1, Xx = 2, Get = 4, KeepTtl = 8, Persist = 16, Ex = 32, Px = 64, ExAt = 128, PxAt = 256 }
    const SetOptions AnyExpire = SetOptions.Ex | SetOptions.Px | SetOptions.ExAt | SetOptions.PxAt;

    /// <summary>
    /// parseExtendedStringArguments for SET (<paramref name="forGetEx"/> false) and GETEX: each option
    /// once and only with those it combines with, an expiry option taking the next argument.
    /// Returns the index of the expiry argument (0 for none), or -1 after replying a syntax error.
    /// </summary>
    static int ParseOptions(Client c, CommandArgs a, int first, bool forGetEx, out SetOptions options)
    {
        options = SetOptions.None;
        int expireArg = 0;
        for (int j = first; j < a.Count; j++)
        {
            bool hasNext = j + 1 < a.Count;
            SetOptions opt = a[j].Length switch
            {
                2 when a.Is(j, "nx") => SetOptions.Nx,
                2 when a.Is(j, "xx") => SetOptions.Xx,
                2 when a.Is(j, "ex") => SetOptions.Ex,
                2 when a.Is(j, "px") => SetOptions.Px,
                3 when a.Is(j, "get") => SetOptions.Get,
                4 when a.Is(j, "exat") => SetOptions.ExAt,
                4 when a.Is(j, "pxat") => SetOptions.PxAt,
                7 when a.Is(j, "keepttl") => SetOptions.KeepTtl,
                7 when a.Is(j, "persist") => SetOptions.Persist,
                _ => SetOptions.None,
            };
            bool allowed = opt switch
            {
                SetOptions.Nx => !forGetEx && (options & SetOptions.Xx) == 0,
                SetOptions.Xx => !forGetEx && (options & SetOptions.Nx) == 0,
                SetOptions.Get => !forGetEx,
                SetOptions.KeepTtl => !forGetEx && (options & (SetOptions.Persist | AnyExpire)) == 0,
                SetOptions.Persist => forGetEx && (options & (SetOptions.KeepTtl | AnyExpire)) == 0,
                SetOptions.None => false,
                // An expiry option excludes the other three, KEEPTTL and PERSIST, and needs a value.
                _ => hasNext && (options & (SetOptions.KeepTtl | SetOptions.Persist | (AnyExpire & ~opt))) == 0,
            };
            if (!allowed)
            {
                c.Reply.Error("syntax error");
                return -1;
            }
            options |= opt;
            if ((opt & AnyExpire) != 0) expireArg = ++j;
        }
        return expireArg;
    }

    /// <summary>getExpireMillisecondsOrReply: a positive time, as an absolute Unix ms deadline; 0 after an error reply.</summary>
    static long ExpireDeadline(Client c, ReadOnlySpan<byte> text, SetOptions unit, string command)
    {
        if (!LongArgument.Parse(c, text, out long value)) return 0;
        bool seconds = (unit & (SetOptions.Ex | SetOptions.ExAt)) != 0;
        if (value <= 0 || (seconds && value > long.MaxValue / 1000))
        {
            c.Reply.Error($"invalid expire time in '{command}' command");
            return 0;
        }
        if (seconds) value *= 1000;
        if ((unit & (SetOptions.Ex | SetOptions.Px)) != 0)
        {
            value += c.Server.UnixTimeMs;
            if (value <= 0)
            {
                c.Reply.Error($"invalid expire time in '{command}' command");
                return 0;
            }
        }
        return value;
    }

    [Command("set", GetKeys = nameof(SetGetKeys))]
    static void Set(Client c, CommandArgs a)
    {
        int expireArg = ParseOptions(c, a, 3, forGetEx: false, out var options);
        if (expireArg < 0) return;
        long deadline = 0;
        if (expireArg > 0 && (deadline = ExpireDeadline(c, a[expireArg], options & AnyExpire, "set")) == 0) return;
        StoreWithOptions(c, a, a[1], a[2], options, deadline);
    }

    /// <summary>setGenericCommand: GET replies the old value first; NX/XX may refuse; the deadline is
    /// replaced (or kept with KEEPTTL).</summary>
    static void StoreWithOptions(Client c, CommandArgs a, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, SetOptions options, long deadline)
    {
        bool get = (options & SetOptions.Get) != 0;
        if (get) ReplyValue(c, key); // before the write: Set may reuse the old value's storage
        // Only NX and XX ask first: the write's own lookup expires a key past its deadline as this one would
        // (one keyspace find fewer for a plain SET: ~5% of a -P 128 SET's instructions).
        bool found = (options & (SetOptions.Nx | SetOptions.Xx)) != 0 && c.Db.Exists(key);
        if (((options & SetOptions.Nx) != 0 && found) || ((options & SetOptions.Xx) != 0 && !found))
        {
            if (!get) c.Reply.Null();
            return;
        }
        if ((options & SetOptions.KeepTtl) != 0) c.Db.Overwrite(key, value);
        else c.Db.Set(key, value);
        c.Server.Dirty++;
        c.Server.Notify(NotifyFlags.String, "set", c.Db, key);
        if (deadline != 0)
        {
            c.Db.SetExpire(key, deadline);
            // Propagated with the deadline made absolute, whatever the unit and command (SETEX too).
            c.Server.Rewrite(c, 5).Arg("SET"u8).Arg(key).Arg(value).Arg("PXAT"u8).Arg(deadline);
            c.Server.Notify(NotifyFlags.Generic, "expire", c.Db, key);
        }
        else if (get && c.Server.Propagating) RewriteWithoutGet(c, a);
        if (!get) c.Reply.Ok();
    }

    /// <summary>setGenericCommand propagates SET ... GET without its GET arguments (every one, as typed).</summary>
    static void RewriteWithoutGet(Client c, CommandArgs a)
    {
        int gets = 0;
        for (int j = 3; j < a.Count; j++) if (a.Is(j, "get")) gets++;
        var effect = c.Server.Rewrite(c, a.Count - gets);
        for (int j = 0; j < a.Count; j++) if (j < 3 || !a.Is(j, "get")) effect = effect.Arg(a[j]);
    }

    [Command("setex")] static void SetEx(Client c, CommandArgs a) => SetWithTime(c, a, SetOptions.Ex, "setex");
    [Command("psetex")] static void PSetEx(Client c, CommandArgs a) => SetWithTime(c, a, SetOptions.Px, "psetex");

    static void SetWithTime(Client c, CommandArgs a, SetOptions unit, string command)
    {
        long deadline = ExpireDeadline(c, a[2], unit, command);
        if (deadline != 0) StoreWithOptions(c, a, a[1], a[3], unit, deadline);
    }

    /// <summary>GETEX: the value, then its deadline changed (a past EXAT/PXAT deletes the key) or removed (PERSIST).</summary>
    [Command("getex")]
    static void GetEx(Client c, CommandArgs a)
    {
        int expireArg = ParseOptions(c, a, 2, forGetEx: true, out var options);
        if (expireArg < 0) return;
        // As Redis: a missing key answers nil before the time is even looked at.
        if (!Read(c, a[1], out var value))
        {
            c.Reply.Null();
            return;
        }
        long deadline = 0;
        if (expireArg > 0 && (deadline = ExpireDeadline(c, a[expireArg], options & AnyExpire, "getex")) == 0) return;
        c.Reply.Bulk(value);
        if (deadline != 0)
        {
            // GETEX is never propagated as itself: a DEL (UNLINK), a PEXPIREAT or a PERSIST.
            if (deadline <= c.Server.UnixTimeMs && !c.Server.Loading)
            {
                bool lazy = c.Server.Config.LazyfreeLazyExpire;
                c.Server.DeleteKey(c.Db, a[1], lazy);
                c.Server.Rewrite(c, 2).Arg(lazy ? "UNLINK"u8 : "DEL"u8).Arg(a[1]);
            }
            else
            {
                c.Db.SetExpire(a[1], deadline);
                c.Server.Rewrite(c, 3).Arg("PEXPIREAT"u8).Arg(a[1]).Arg(deadline);
                c.Server.Notify(NotifyFlags.Generic, "expire", c.Db, a[1]);
            }
            c.Server.Dirty++;
        }
        else if ((options & SetOptions.Persist) != 0 && c.Db.RemoveExpire(a[1]))
        {
            c.Server.Rewrite(c, 2).Arg("PERSIST"u8).Arg(a[1]);
            c.Server.Notify(NotifyFlags.Generic, "persist", c.Db, a[1]);
            c.Server.Dirty++;
        }
    }

    [Command("incr")] static void Incr(Client c, CommandArgs a) => IncrBy(c, a[1], 1);
    [Command("decr")] static void Decr(Client c, CommandArgs a) => IncrBy(c, a[1], -1);

    [Command("incrby")]
    static void IncrBy(Client c, CommandArgs a)
    {
        if (LongArgument.Parse(c, a[2], out long by)) IncrBy(c, a[1], by);
    }

    [Command("decrby")]
    static void DecrBy(Client c, CommandArgs a)
    {
        if (!LongArgument.Parse(c, a[2], out long by)) return;
        if (by == long.MinValue)
        {
            c.Reply.Error("decrement would overflow");
            return;
        }
        IncrBy(c, a[1], -by);
    }


    /// <summary>incrDecrCommand: the value must read as a 64-bit integer and the sum must not overflow.</summary>
    static void IncrBy(Client c, ReadOnlySpan<byte> key, long by)
    {
        long value = 0;
        if (c.Db.TryGetString(key, out var old) && !LongArgument.Parse(c, old, out value)) return;
        if ((by < 0 && value < 0 && by < long.MinValue - value) || (by > 0 && value > 0 && by > long.MaxValue - value))
        {
            c.Reply.Error("increment or decrement would overflow");
            return;
        }
        value += by;
        Span<byte> text = stackalloc byte[20];
        c.Db.Overwrite(key, text[..IntegerText.Format(value, text)]);
        c.Server.Dirty++;
        c.Server.Notify(NotifyFlags.String, "incrby", c.Db, key);
        c.Reply.Integer(value);
    }

    /// <summary>MGET answers nil for a key of another type rather than WRONGTYPE (it still counts as a hit).</summary>
    [Command("mget")]
    static void MGet(Client c, CommandArgs a)
    {
        c.Reply.ArrayHeader(a.Count - 1);
        for (int i = 1; i < a.Count; i++)
        {
            bool found = c.Db.TryGetStringOrOther(a[i], out var value, out bool otherType);
            if (found || otherType) c.Server.Stats.KeyspaceHits++;
            else c.Server.KeyMiss(c.Db, a[i]);
            if (found) c.Reply.Bulk(value);
            else c.Reply.Null();
        }
    }

    /// <summary>addReplyErrorArity names the command's own name (<paramref name="name"/>), not argv[0], which rename-command may have changed.</summary>
    static bool PairsOrError(Client c, CommandArgs a, string name)
    {
        if (a.Count % 2 == 1) return true;
        c.Reply.Error($"wrong number of arguments for '{name}' command");
        return false;
    }

    [Command("mset")]
    static void MSet(Client c, CommandArgs a)
    {
        if (!PairsOrError(c, a, "mset")) return;
        for (int i = 1; i < a.Count; i += 2)
        {
            c.Db.Set(a[i], a[i + 1]);
            c.Server.Notify(NotifyFlags.String, "set", c.Db, a[i]);
        }
        c.Server.Dirty += (a.Count - 1) / 2;
        c.Reply.Ok();
    }

    /// <summary>All or nothing: if any key exists, none is set.</summary>
    [Command("msetnx")]
    static void MSetNx(Client c, CommandArgs a)
    {
        if (!PairsOrError(c, a, "msetnx")) return;
        for (int i = 1; i < a.Count; i += 2)
        {
            if (c.Db.Exists(a[i]))
            {
                c.Reply.Integer(0);
                return;
            }
        }
        for (int i = 1; i < a.Count; i += 2)
        {
            c.Db.Set(a[i], a[i + 1]);
            c.Server.Notify(NotifyFlags.String, "set", c.Db, a[i]);
        }
        c.Server.Dirty += (a.Count - 1) / 2;
        c.Reply.Integer(1);
    }

    [Command("setnx")]
    static void SetNx(Client c, CommandArgs a)
    {
        if (c.Db.Exists(a[1]))
        {
            c.Reply.Integer(0);
            return;
        }
        c.Db.Set(a[1], a[2]);
        c.Server.Dirty++;
        c.Server.Notify(NotifyFlags.String, "set", c.Db, a[1]);
        c.Reply.Integer(1);
    }

    [Command("getset")]
    static void GetSet(Client c, CommandArgs a)
    {
        // Replied before the write: Set may reuse the old value's storage.
        ReplyValue(c, a[1]);
        c.Db.Set(a[1], a[2]);
        c.Server.Dirty++;
        c.Server.Notify(NotifyFlags.String, "set", c.Db, a[1]);
        // Propagated as SET (the old value it replied plays no part in the dataset).
        c.Server.Rewrite(c, 3).Arg("SET"u8).Arg(a[1]).Arg(a[2]);
    }

    [Command("getdel")]
    static void GetDel(Client c, CommandArgs a)
    {
        if (ReplyValue(c, a[1]))
        {
            // As DEL does: lazyfree-lazy-user-del frees in the background, and the effect is then an UNLINK.
            bool lazy = c.Server.Config.LazyfreeLazyUserDel;
            c.Server.DeleteKey(c.Db, a[1], lazy);
            c.Server.Dirty++;
            c.Server.Rewrite(c, 2).Arg(lazy ? "UNLINK"u8 : "DEL"u8).Arg(a[1]);
        }
    }

    [Command("strlen")] static void StrLen(Client c, CommandArgs a) => c.Reply.Integer(Read(c, a[1], out var value) ? value.Length : 0);

    /// <summary>checkStringLength: a string may not grow past proto-max-bulk-len.</summary>
    static bool LengthAllowed(Client c, long offset, long append)
    {
        long total = offset + append;
        if (total <= c.Server.Config.ProtoMaxBulkLen && total >= offset && total <= Array.MaxLength) return true;
        c.Reply.Error("string exceeds maximum allowed size (proto-max-bulk-len)");
        return false;
    }

    [Command("append")]
    static void Append(Client c, CommandArgs a)
    {
        if (!c.Db.TryGetString(a[1], out var old))
        {
            c.Db.Set(a[1], a[2]);
            c.Server.Dirty++;
            c.Server.Notify(NotifyFlags.String, "append", c.Db, a[1]);
            c.Reply.Integer(a.Length(2));
            return;
        }
        if (!LengthAllowed(c, old.Length, a.Length(2))) return;
        int length = c.Db.Append(a[1], a[2]);
        c.Server.Dirty++;
        c.Server.Notify(NotifyFlags.String, "append", c.Db, a[1]);
        c.Reply.Integer(length);
    }

    /// <summary>GETRANGE/SUBSTR: inclusive indexes, negative from the end, clamped to the string.</summary>
    [Command("getrange")]
    [Command("substr")]
    static void GetRange(Client c, CommandArgs a)
    {
        if (!LongArgument.Parse(c, a[2], out long start) || !LongArgument.Parse(c, a[3], out long end)) return;
        Read(c, a[1], out var value);
        long len = value.Length;
        if (start < 0 && end < 0 && start > end)
        {
            c.Reply.Bulk(ReadOnlySpan<byte>.Empty);
            return;
        }
        if (start < 0) start = len + start;
        if (end < 0) end = len + end;
        if (start < 0) start = 0;
        if (end < 0) end = 0;
        if (end >= len) end = len - 1;
        if (start > end || len == 0) c.Reply.Bulk(ReadOnlySpan<byte>.Empty);
        else c.Reply.Bulk(value.Slice((int)start, (int)(end - start + 1)));
    }

    /// <summary>SETRANGE: overwrite from an offset, padding with zero bytes; an empty value changes nothing.</summary>
    [Command("setrange")]
    static void SetRange(Client c, CommandArgs a)
    {
        if (!LongArgument.Parse(c, a[2], out long offset)) return;
        if (offset < 0)
        {
            c.Reply.Error("offset is out of range");
            return;
        }
        int add = a.Length(3);
        if (add == 0)
        {
            c.Reply.Integer(c.Db.TryGetString(a[1], out var old) ? old.Length : 0);
            return;
        }
        if (!LengthAllowed(c, offset, add)) return;
        var target = c.Db.GetWritable(a[1], (int)(offset + add));
        a[3].CopyTo(target[(int)offset..]);
        c.Server.Dirty++;
        c.Server.Notify(NotifyFlags.String, "setrange", c.Db, a[1]);
        c.Reply.Integer(target.Length);
    }

    /// <summary>
    /// INCRBYFLOAT: both texts read as long doubles (strtold), added, and the sum stored as
    /// "%.17Lf" with trailing zeros trimmed. The result is kept as text: Redis creates it with
    /// createStringObject, so it is embstr even when it reads as an integer.
    /// </summary>
    [Command("incrbyfloat")]
    static void IncrByFloat(Client c, CommandArgs a)
    {
        var value = default(LongDouble);
        if ((c.Db.TryGetString(a[1], out var old) && !LongDouble.TryParse(old, out value)) || !LongDouble.TryParse(a[2], out var increment))
        {
            c.Reply.Error("value is not a valid float");
            return;
        }
        var sum = value + increment;
        if (sum.IsInfinity)
        {
            c.Reply.Error("increment would produce NaN or Infinity");
            return;
        }
        var text = sum.ToHumanString();
        Span<byte> bytes = text.Length <= 256 ? stackalloc byte[text.Length] : new byte[text.Length];
        Encoding.ASCII.GetBytes(text, bytes);
        c.Db.OverwriteText(a[1], bytes);
        c.Server.Dirty++;
        c.Server.Notify(NotifyFlags.String, "incrbyfloat", c.Db, a[1]);
        c.Reply.Bulk(bytes);
        // Always propagated as the value it made, so float formatting never differs on a replica or reload.
        c.Server.Rewrite(c, 4).Arg("SET"u8).Arg(a[1]).Arg(bytes).Arg("KEEPTTL"u8);
    }

    /// <summary>
    /// LCS: the longest common subsequence of two strings (missing keys are empty), by the dynamic
    /// programming table Redis builds, walked back from the end in Redis's order (on a tie, the
    /// second string's index moves first) so that IDX reports the same matches, last ones first.
    /// </summary>
    [Command("lcs")]
    static void Lcs(Client c, CommandArgs a)
    {
        Read(c, a[1], out _);
        Read(c, a[2], out _);
        bool getLength = false, getIndexes = false, withMatchLength = false;
        long minMatchLength = 0;
        for (int j = 3; j < a.Count; j++)
        {
            if (a.Is(j, "idx")) getIndexes = true;
            else if (a.Is(j, "len")) getLength = true;
            else if (a.Is(j, "withmatchlen")) withMatchLength = true;
            else if (a.Is(j, "minmatchlen") && j + 1 < a.Count)
            {
                if (!LongArgument.Parse(c, a[++j], out minMatchLength)) return;
                if (minMatchLength < 0) minMatchLength = 0;
            }
            else
            {
                c.Reply.Error("syntax error");
                return;
            }
        }
        if (getIndexes && getLength)
        {
            c.Reply.Error("If you want both the length and indexes, please just use IDX.");
            return;
        }
        c.Db.TryGetString(a[1], out var x);
        c.Db.TryGetString(a[2], out var y);
        // table[i * width + j] = the LCS length of x[..i] and y[..j]. Like Redis's ztrymalloc, a
        // table that cannot be had is an error reply, not a crash.
        long cells = (x.Length + 1L) * (y.Length + 1L);
        uint[]? table = null;
        try
        {
            if (cells <= Array.MaxLength) table = GC.AllocateUninitializedArray<uint>((int)cells);
        }
        catch (OutOfMemoryException)
        {
        }
        if (table is null)
        {
            c.Reply.Error("Insufficient memory, failed allocating transient memory for LCS");
            return;
        }
        int width = y.Length + 1;
        table.AsSpan(0, width).Clear();
        for (int i = 1; i <= x.Length; i++)
        {
            int row = i * width, above = row - width;
            table[row] = 0;
            byte xi = x[i - 1];
            for (int j = 1; j <= y.Length; j++)
                table[row + j] = xi == y[j - 1] ? table[above + j - 1] + 1 : Math.Max(table[above + j], table[row + j - 1]);
        }
        int length = (int)table[cells - 1];
        if (getLength)
        {
            c.Reply.Integer(length);
            return;
        }

        // Walk back from the end: the common string fills from its last byte; with IDX each run of
        // consecutive matches is one range, reported when the run breaks or reaches either start.
        var common = getIndexes ? null : new byte[length];
        var ranges = getIndexes ? new List<(int XStart, int XEnd, int YStart, int YEnd)>() : null;
        int fill = length, xAt = x.Length, yAt = y.Length;
        int runXStart = -1, runXEnd = 0, runYStart = 0, runYEnd = 0;
        while (xAt > 0 && yAt > 0)
        {
            bool runEnds = false;
            if (x[xAt - 1] == y[yAt - 1])
            {
                if (common is not null) common[--fill] = x[xAt - 1];
                if (runXStart < 0)
                {
                    runXStart = runXEnd = xAt - 1;
                    runYStart = runYEnd = yAt - 1;
                }
                else
                {
                    // The previous step matched at (xAt, yAt): the run extends backwards.
                    runXStart--;
                    runYStart--;
                }
                runEnds = runXStart == 0 || runYStart == 0;
                xAt--;
                yAt--;
            }
            else
            {
                if (table[(xAt - 1) * width + yAt] > table[xAt * width + yAt - 1]) xAt--;
                else yAt--;
                runEnds = runXStart >= 0;
            }
            if (runEnds)
            {
                if (ranges is not null && (minMatchLength == 0 || runXEnd - runXStart + 1 >= minMatchLength))
                    ranges.Add((runXStart, runXEnd, runYStart, runYEnd));
                runXStart = -1;
            }
        }
        if (ranges is null)
        {
            c.Reply.Bulk(common);
            return;
        }
        c.Reply.MapHeader(2);
        c.Reply.Bulk("matches"u8);
        c.Reply.ArrayHeader(ranges.Count);
        foreach (var (xStart, xEnd, yStart, yEnd) in ranges)
        {
            c.Reply.ArrayHeader(withMatchLength ? 3 : 2);
            c.Reply.ArrayHeader(2);
            c.Reply.Integer(xStart);
            c.Reply.Integer(xEnd);
            c.Reply.ArrayHeader(2);
            c.Reply.Integer(yStart);
            c.Reply.Integer(yEnd);
            if (withMatchLength) c.Reply.Integer(xEnd - xStart + 1);
        }
        c.Reply.Bulk("len"u8);
        c.Reply.Integer(length);
    }
}
