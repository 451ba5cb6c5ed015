using System.Buffers;
using System.Text;
using Vermilion.Protocol;
using Vermilion.Server;
using Vermilion.Storage;

namespace Vermilion.Commands;

/// <summary>
/// The list family on <see cref="QuickList"/>, with Redis 7.0's replies, errors and argument
/// checking order; the blocking commands wait through <see cref="VermilionServer.BlockForKeys"/>.
/// Commands that take from several keys ask <see cref="VermilionServer.IsServableKey"/> so that a blocked
/// client served for a ready key takes from that key, as Redis 7.0 does.
/// </summary>
public static partial class ListCommands
{
    // ---- reading ----

    /// <summary>lookupKeyRead for a list: a hit or a miss (a key of another type is a hit before WRONGTYPE, as in Redis).</summary>
    static QuickList? ReadList(Client c, ReadOnlySpan<byte> key) => c.Server.LookupKeyRead<QuickList>(c.Db, key);

    /// <summary>A new empty list under <paramref name="key"/>, with the node limit configured now (Redis fixes it at creation): a record from the start.</summary>
    static QuickList Create(Client c, ReadOnlySpan<byte> key) => c.Db.AddList(key, c.Server.Config.ListMaxListpackSize);

    /// <summary>Redis deletes a list when its last element goes.</summary>
    static void DeleteIfEmpty(Client c, QuickList list, ReadOnlySpan<byte> key)
    {
        if (list.Count != 0) return;
        c.Server.DeleteKey(c.Db, key);
    }

    static void Notify(Client c, string @event, ReadOnlySpan<byte> key) => c.Server.Notify(NotifyFlags.List, @event, c.Db, key);

    static string PopEvent(bool head) => head ? "lpop" : "rpop";

    /// <summary>getRangeLongFromObjectOrReply with a minimum: anything unparsable or below it gets <paramref name="error"/>.</summary>
    static bool TryParseAtLeast(Client c, ReadOnlySpan<byte> text, long min, string error, out long value)
    {
        if (IntegerText.TryParse(text, out value) && value >= min) return true;
        c.Reply.Error(error);
        return false;
    }

    /// <summary>LEFT or RIGHT (any case): true for the head.</summary>
    static bool TryParseEnd(Client c, ReadOnlySpan<byte> text, out bool head)
    {
        head = Ascii.EqualsIgnoreCase(text, "left"u8);
        if (head || Ascii.EqualsIgnoreCase(text, "right"u8)) return true;
        c.Reply.Error("syntax error");
        return false;
    }

    /// <summary>
    /// addListRangeReply: elements start..end (inclusive, negative from the end, clamped), or
    /// from end back to start when <paramref name="reverse"/>.
    /// </summary>
    static void RangeReply(Client c, QuickList list, long start, long end, bool reverse)
    {
        long length = list.Count;
        if (start < 0) start = length + start;
        if (end < 0) end = length + end;
        if (start < 0) start = 0;
        if (start > end || start >= length)
        {
            c.Reply.ArrayHeader(0);
            return;
        }
        if (end >= length) end = length - 1;
        long n = end - start + 1;
        c.Reply.ArrayHeader(n);
        var cursor = list.At(reverse ? end : start, forward: !reverse);
        while (n-- > 0 && cursor.Next(out var entry)) entry.WriteBulk(c.Reply);
    }

    // ---- pushing ----

    [Command("lpush")] static void LPush(Client c, CommandArgs a) => Push(c, a, head: true, onlyIfExists: false);
    [Command("rpush")] static void RPush(Client c, CommandArgs a) => Push(c, a, head: false, onlyIfExists: false);
    [Command("lpushx")] static void LPushX(Client c, CommandArgs a) => Push(c, a, head: true, onlyIfExists: true);
    [Command("rpushx")] static void RPushX(Client c, CommandArgs a) => Push(c, a, head: false, onlyIfExists: true);

    /// <summary>pushGenericCommand.</summary>
    static void Push(Client c, CommandArgs a, bool head, bool onlyIfExists)
    {
        var list = c.Db.Get<QuickList>(a[1]);
        if (list is null)
        {
            if (onlyIfExists)
            {
                c.Reply.Integer(0);
                return;
            }
            list = Create(c, a[1]);
        }
        // Many elements at once: size the end node once rather than growing it step by step.
        long more = 0;
        for (int j = 3; j < a.Count; j++) more += QuickList.EntrySize(new ListElement(a[j]));
        if (list.Count > 0 && more > 0) list.Reserve(QuickList.EntrySize(new ListElement(a[2])) + more, head);
        for (int i = 2; i < a.Count; i++) list.Push(new ListElement(a[i]), head, i == 2 ? more : 0);
        c.Server.Dirty += a.Count - 2;
        Notify(c, head ? "lpush" : "rpush", a[1]);
        c.Reply.Integer(list.Count);
    }

    // ---- popping ----

    [Command("lpop")] static void LPop(Client c, CommandArgs a) => Pop(c, a, head: true);
    [Command("rpop")] static void RPop(Client c, CommandArgs a) => Pop(c, a, head: false);

    /// <summary>popGenericCommand: one element as a bulk, or with a count an array of up to that many.</summary>
    static void Pop(Client c, CommandArgs a, bool head)
    {
        if (a.Count > 3)
        {
            c.Reply.Error($"wrong number of arguments for '{(head ? "lpop" : "rpop")}' command");
            return;
        }
        bool hasCount = a.Count == 3;
        long count = 0;
        if (hasCount && !TryParseAtLeast(c, a[2], 0, "value is out of range, must be positive", out count)) return;
        var list = c.Db.Get<QuickList>(a[1]);
        if (list is null)
        {
            if (hasCount) c.Reply.NullArray();
            else c.Reply.Null();
            return;
        }
        if (hasCount && count == 0)
        {
            c.Reply.ArrayHeader(0);
            return;
        }
        if (!hasCount)
        {
            list.Peek(head).WriteBulk(c.Reply);
            list.RemoveEnd(head);
            c.Server.Dirty++;
        }
        else PopRange(c, list, head, count);
        Notify(c, PopEvent(head), a[1]);
        DeleteIfEmpty(c, list, a[1]);
    }

    /// <summary>Replies with up to <paramref name="count"/> elements from one end, in popping order, and removes them; returns how many.</summary>
    static long PopRange(Client c, QuickList list, bool head, long count)
    {
        long n = Math.Min(count, list.Count);
        c.Server.Dirty += n;
        if (head)
        {
            RangeReply(c, list, 0, n - 1, reverse: false);
            list.RemoveHead(n);
        }
        else
        {
            RangeReply(c, list, -n, -1, reverse: true);
            list.RemoveTail(n);
        }
        return n;
    }

    /// <summary>
    /// listPopRangeAndReplyWithKey: [key, [elements]] for LMPOP and BLMPOP, propagated (served at
    /// once or later) as LPOP/RPOP of the key with the count it took.
    /// </summary>
    static void PopRangeWithKey(Client c, QuickList list, ReadOnlySpan<byte> key, bool head, long count)
    {
        c.Reply.ArrayHeader(2);
        c.Reply.Bulk(key);
        long n = PopRange(c, list, head, count);
        c.Server.Rewrite(c, 3).Arg(head ? "LPOP"u8 : "RPOP"u8).Arg(key).Arg(n);
        Notify(c, PopEvent(head), key);
        DeleteIfEmpty(c, list, key);
    }

    // ---- reading ranges and elements ----

    [Command("llen")] static void LLen(Client c, CommandArgs a) => c.Reply.Integer(ReadList(c, a[1])?.Count ?? 0);

    [Command("lrange")]
    static void LRange(Client c, CommandArgs a)
    {
        if (!LongArgument.Parse(c, a[2], out long start) || !LongArgument.Parse(c, a[3], out long end)) return;
        var list = ReadList(c, a[1]);
        if (list is null) c.Reply.ArrayHeader(0);
        else RangeReply(c, list, start, end, reverse: false);
    }

    [Command("lindex")]
    static void LIndex(Client c, CommandArgs a)
    {
        var list = ReadList(c, a[1]);
        if (list is null)
        {
            c.Reply.Null();
            return;
        }
        if (!LongArgument.Parse(c, a[2], out long index)) return;
        if (list.TryNormalize(index, out index)) list.Get(index).WriteBulk(c.Reply);
        else c.Reply.Null();
    }

    [Command("lset")]
    static void LSet(Client c, CommandArgs a)
    {
        var list = c.Db.Get<QuickList>(a[1]);
        if (list is null)
        {
            c.Reply.Error("no such key");
            return;
        }
        if (!LongArgument.Parse(c, a[2], out long index)) return;
        if (!list.TryNormalize(index, out index))
        {
            c.Reply.Error("index out of range");
            return;
        }
        list.Set(index, a[3]);
        c.Server.Dirty++;
        Notify(c, "lset", a[1]);
        c.Reply.Ok();
    }

    /// <summary>LINSERT: the pivot is the first match from the head; -1 when there is none, 0 when the key is missing.</summary>
    [Command("linsert")]
    static void LInsert(Client c, CommandArgs a)
    {
        bool after;
        if (a.Is(2, "after")) after = true;
        else if (a.Is(2, "before")) after = false;
        else
        {
            c.Reply.Error("syntax error");
            return;
        }
        var list = c.Db.Get<QuickList>(a[1]);
        if (list is null)
        {
            c.Reply.Integer(0);
            return;
        }
        var pivot = new ListElement(a[3]);
        var cursor = list.At(0, forward: true);
        long index = 0;
        while (cursor.Next(out var entry))
        {
            if (entry.Matches(pivot))
            {
                list.Insert(index, after, a[4]);
                c.Server.Dirty++;
                Notify(c, "linsert", a[1]);
                c.Reply.Integer(list.Count);
                return;
            }
            index++;
        }
        c.Reply.Integer(-1);
    }

    /// <summary>LREM: count &gt; 0 from the head, &lt; 0 from the tail, 0 all.</summary>
    [Command("lrem")]
    static void LRem(Client c, CommandArgs a)
    {
        if (!LongArgument.Parse(c, a[2], out long count)) return;
        var list = c.Db.Get<QuickList>(a[1]);
        if (list is null)
        {
            c.Reply.Integer(0);
            return;
        }
        // -LONG_MIN stays negative in Redis, so no number of removals reaches it: all go.
        long limit = count == long.MinValue ? 0 : Math.Abs(count);
        long removed = list.RemoveMatching(new ListElement(a[3]), limit, fromTail: count < 0);
        c.Server.Dirty += removed;
        if (removed > 0) Notify(c, "lrem", a[1]);
        DeleteIfEmpty(c, list, a[1]);
        c.Reply.Integer(removed);
    }

    [Command("ltrim")]
    static void LTrim(Client c, CommandArgs a)
    {
        if (!LongArgument.Parse(c, a[2], out long start) || !LongArgument.Parse(c, a[3], out long end)) return;
        var list = c.Db.Get<QuickList>(a[1]);
        if (list is null)
        {
            c.Reply.Ok();
            return;
        }
        long length = list.Count, left, right;
        if (start < 0) start = length + start;
        if (end < 0) end = length + end;
        if (start < 0) start = 0;
        if (start > end || start >= length)
        {
            left = length;
            right = 0;
        }
        else
        {
            if (end >= length) end = length - 1;
            left = start;
            right = length - end - 1;
        }
        list.RemoveHead(left);
        list.RemoveTail(right);
        c.Server.Dirty += left + right;
        Notify(c, "ltrim", a[1]);
        DeleteIfEmpty(c, list, a[1]);
        c.Reply.Ok();
    }

    /// <summary>
    /// LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len]: indexes as LINDEX counts them.
    /// Arithmetic on the options wraps as Redis's C longs do (RANK -LONG_MIN stays negative).
    /// </summary>
    [Command("lpos")]
    static void LPos(Client c, CommandArgs a)
    {
        long rank = 1, count = -1, maxlen = 0;
        for (int j = 3; j < a.Count; j++)
        {
            bool moreArgs = j < a.Count - 1;
            if (a.Is(j, "rank") && moreArgs)
            {
                if (!LongArgument.Parse(c, a[++j], out rank)) return;
                if (rank == 0)
                {
                    c.Reply.Error("RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list");
                    return;
                }
            }
            else if (a.Is(j, "count") && moreArgs)
            {
                if (!TryParseAtLeast(c, a[++j], 0, "COUNT can't be negative", out count)) return;
            }
            else if (a.Is(j, "maxlen") && moreArgs)
            {
                if (!TryParseAtLeast(c, a[++j], 0, "MAXLEN can't be negative", out maxlen)) return;
            }
            else
            {
                c.Reply.Error("syntax error");
                return;
            }
        }
        bool forward = true;
        if (rank < 0)
        {
            rank = unchecked(-rank);
            forward = false;
        }
        var list = ReadList(c, a[1]);
        if (list is null)
        {
            if (count != -1) c.Reply.ArrayHeader(0);
            else c.Reply.Null();
            return;
        }
        var element = new ListElement(a[2]);
        long length = list.Count, index = 0, matches = 0, matchIndex = -1;
        List<long>? found = count != -1 ? new() : null;
        var cursor = list.At(forward ? 0 : length - 1, forward);
        while (cursor.Next(out var entry) && (maxlen == 0 || index < maxlen))
        {
            if (entry.Matches(element))
            {
                matches++;
                matchIndex = forward ? index : length - index - 1;
                if (matches >= rank)
                {
                    if (found is null) break;
                    found.Add(matchIndex);
                    if (count != 0 && unchecked(matches - rank + 1) >= count) break;
                }
            }
            index++;
            matchIndex = -1;
        }
        if (found is not null)
        {
            c.Reply.ArrayHeader(found.Count);
            foreach (long i in found) c.Reply.Integer(i);
        }
        else if (matchIndex != -1) c.Reply.Integer(matchIndex);
        else c.Reply.Null();
    }

    // ---- moving ----

    [Command("lmove")]
    static void LMove(Client c, CommandArgs a)
    {
        if (!TryParseEnd(c, a[3], out bool fromHead) || !TryParseEnd(c, a[4], out bool toHead)) return;
        Move(c, a, fromHead, toHead);
    }

    [Command("rpoplpush")] static void RPopLPush(Client c, CommandArgs a) => Move(c, a, fromHead: false, toHead: true);

    /// <summary>Which blocking command a move serves: each is propagated as its non-blocking form.
    /// Told by the proc, not argv[0], which rename-command may have changed.</summary>
    enum BlockingForm { None, BLMove, BRPopLPush }

    /// <summary>lmoveGenericCommand: both keys' types are checked before anything changes; source and destination may be the same list.</summary>
    static void Move(Client c, CommandArgs a, bool fromHead, bool toHead, BlockingForm blocking = BlockingForm.None)
    {
        var source = c.Db.Get<QuickList>(a[1]);
        if (source is null)
        {
            c.Reply.Null();
            return;
        }
        var destination = c.Db.Get<QuickList>(a[2]);
        // The element must outlive its removal (the same node may take it back): copy it out.
        var entry = source.Peek(fromHead);
        Span<byte> scratch = stackalloc byte[128];
        byte[]? rented = null;
        int length;
        if (entry.IsInteger) length = IntegerText.Format(entry.Integer, scratch);
        else
        {
            length = entry.Bytes.Length;
            if (length > scratch.Length) scratch = rented = ArrayPool<byte>.Shared.Rent(length);
            entry.Bytes.CopyTo(scratch);
        }
        ReadOnlySpan<byte> value = scratch[..length];
        source.RemoveEnd(fromHead);
        destination ??= Create(c, a[2]);
        destination.Push(new ListElement(value), toHead);
        Notify(c, toHead ? "lpush" : "rpush", a[2]);
        c.Reply.Bulk(value);
        if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
        Notify(c, PopEvent(fromHead), a[1]);
        DeleteIfEmpty(c, source, a[1]);
        // BLMOVE and BRPOPLPUSH go as LMOVE and RPOPLPUSH. Served later, Redis writes the ends
        // itself (lowercase) and, pushing through lmoveHandlePush alone, leaves dirty as it was.
        bool served = c.Server.ServingBlocked;
        if (!served) c.Server.Dirty++;
        if (!c.Server.Propagating) return;
        if (blocking == BlockingForm.BLMove)
        {
            if (served) c.Server.Rewrite(c, 5).Arg("LMOVE"u8).Arg(a[1]).Arg(a[2]).Arg(fromHead ? "left"u8 : "right"u8).Arg(toHead ? "left"u8 : "right"u8);
            else c.Server.Rewrite(c, 5).Arg("LMOVE"u8).Arg(a[1]).Arg(a[2]).Arg(a[3]).Arg(a[4]);
        }
        else if (blocking == BlockingForm.BRPopLPush) c.Server.Rewrite(c, 3).Arg("RPOPLPUSH"u8).Arg(a[1]).Arg(a[2]);
    }

    // ---- multi-key pops ----

    [Command("lmpop")] static void LMPop(Client c, CommandArgs a) => MPop(c, a, numKeysIndex: 1, blocking: false);
    [Command("blmpop")] static void BLMPop(Client c, CommandArgs a) => MPop(c, a, numKeysIndex: 2, blocking: true);

    /// <summary>lmpopGenericCommand: numkeys, then LEFT|RIGHT, then COUNT are checked (BLMPOP's timeout after them).</summary>
    static void MPop(Client c, CommandArgs a, int numKeysIndex, bool blocking)
    {
        if (!TryParseAtLeast(c, a[numKeysIndex], 1, "numkeys should be greater than 0", out long numKeys)) return;
        if (numKeys >= a.Count - numKeysIndex - 1)
        {
            c.Reply.Error("syntax error");
            return;
        }
        int whereIndex = numKeysIndex + (int)numKeys + 1;
        if (!TryParseEnd(c, a[whereIndex], out bool head)) return;
        long count = -1;
        for (int j = whereIndex + 1; j < a.Count; j++)
        {
            if (count == -1 && a.Is(j, "count") && j < a.Count - 1)
            {
                if (!TryParseAtLeast(c, a[++j], 1, "count should be greater than 0", out count)) return;
            }
            else
            {
                c.Reply.Error("syntax error");
                return;
            }
        }
        if (count == -1) count = 1;
        long deadline = 0;
        if (blocking && !VermilionServer.TryParseBlockTimeout(c, a[1], out deadline)) return;
        int firstKey = numKeysIndex + 1;
        for (int j = firstKey; j < whereIndex; j++)
        {
            if (!c.Server.IsServableKey(a[j])) continue;
            var list = c.Db.Get<QuickList>(a[j]);
            if (list is null) continue;
            PopRangeWithKey(c, list, a[j], head, count);
            return;
        }
        if (!blocking || c.Server.DeniesBlocking(c))
        {
            c.Reply.NullArray();
            return;
        }
        Block(c, a, firstKey, whereIndex, deadline);
    }

    // ---- blocking ----

    [Command("blpop")] static void BLPop(Client c, CommandArgs a) => BlockingPop(c, a, head: true);
    [Command("brpop")] static void BRPop(Client c, CommandArgs a) => BlockingPop(c, a, head: false);

    /// <summary>blockingPopGenericCommand: the first non-empty list in argument order is popped; else the client blocks on all of them.</summary>
    static void BlockingPop(Client c, CommandArgs a, bool head)
    {
        if (!VermilionServer.TryParseBlockTimeout(c, a[a.Count - 1], out long deadline)) return;
        for (int j = 1; j < a.Count - 1; j++)
        {
            if (!c.Server.IsServableKey(a[j])) continue;
            var list = c.Db.Get<QuickList>(a[j]);
            if (list is null) continue;
            c.Reply.ArrayHeader(2);
            c.Reply.Bulk(a[j]);
            list.Peek(head).WriteBulk(c.Reply);
            list.RemoveEnd(head);
            // Propagated as LPOP/RPOP of the key; served later, Redis pops without counting it in dirty.
            if (!c.Server.ServingBlocked) c.Server.Dirty++;
            c.Server.Rewrite(c, 2).Arg(head ? "LPOP"u8 : "RPOP"u8).Arg(a[j]);
            Notify(c, PopEvent(head), a[j]);
            DeleteIfEmpty(c, list, a[j]);
            return;
        }
        if (c.Server.DeniesBlocking(c))
        {
            c.Reply.NullArray();
            return;
        }
        Block(c, a, 1, a.Count - 1, deadline);
    }

    [Command("blmove")]
    static void BLMove(Client c, CommandArgs a)
    {
        if (!TryParseEnd(c, a[3], out bool fromHead) || !TryParseEnd(c, a[4], out bool toHead)) return;
        if (!VermilionServer.TryParseBlockTimeout(c, a[5], out long deadline)) return;
        BlockingMove(c, a, fromHead, toHead, deadline, BlockingForm.BLMove);
    }

    [Command("brpoplpush")]
    static void BRPopLPush(Client c, CommandArgs a)
    {
        if (!VermilionServer.TryParseBlockTimeout(c, a[3], out long deadline)) return;
        BlockingMove(c, a, fromHead: false, toHead: true, deadline, BlockingForm.BRPopLPush);
    }

    /// <summary>blmoveGenericCommand: only the source's type is checked before blocking; the destination's when an element moves.</summary>
    static void BlockingMove(Client c, CommandArgs a, bool fromHead, bool toHead, long deadline, BlockingForm form)
    {
        if (c.Db.Get<QuickList>(a[1]) is not null)
        {
            Move(c, a, fromHead, toHead, form);
            return;
        }
        if (c.Server.DeniesBlocking(c)) c.Reply.Null();
        else Block(c, a, 1, 2, deadline);
    }

    /// <summary>Blocks on the keys at arguments [first, end). Redis 7.0 answers a list timeout with a null array, BLMOVE included.</summary>
    static void Block(Client c, CommandArgs a, int first, int end, long deadline)
    {
        int n = end - first;
        Span<int> keys = n <= 32 ? stackalloc int[n] : new int[n];
        for (int i = 0; i < n; i++) keys[i] = first + i;
        c.Server.BlockForKeys(c, a, keys, DataType.List, deadline, nullArrayOnTimeout: true);
    }
}
