using Vermilion.Protocol;
using Vermilion.Server;
using Vermilion.Storage;

namespace Vermilion.Commands;

/// <summary>
/// The stream commands without consumer groups (t_stream.c): XADD, XLEN, XRANGE, XREVRANGE,
/// XDEL, XTRIM, XSETID and XREAD, over <see cref="StreamValue"/>; and what the group commands
/// (<see cref="StreamGroupCommands"/>) share with them: ID parsing, entry replies, XREAD's
/// loop that XREADGROUP runs too. Every check happens before anything is written, in Redis's
/// order, so an error leaves the stream as it was.
/// </summary>
public static partial class StreamCommands
{
    internal const string InvalidId = "Invalid stream ID specified as stream command argument";
    const string SyntaxError = "syntax error";

    /// <summary>mstime(): stream IDs and delivery times are wall-clock milliseconds, read when used as Redis reads them.</summary>
    internal static long Now() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    /// <summary>mustObeyClient: the AOF's replay client (id -1) runs what was propagated without the limits clients get.</summary>
    static bool MustObey(Client c) => c.Id == -1;

    /// <summary>lookupKeyRead + checkType.</summary>
    internal static StreamValue? Read(Client c, ReadOnlySpan<byte> key) => c.Server.LookupKeyRead<StreamValue>(c.Db, key);

    /// <summary>lookupKeyWrite + checkType.</summary>
    internal static StreamValue? Write(Client c, ReadOnlySpan<byte> key) => c.Db.Get<StreamValue>(key);

    /// <summary>streamParseIDOrReply (<paramref name="strict"/>: streamParseStrictIDOrReply, refusing "-" and "+").</summary>
    internal static bool ParseId(Client c, ReadOnlySpan<byte> text, ulong missingSeq, bool strict, out StreamId id)
    {
        if (StreamId.TryParse(text, missingSeq, strict, out id, allowAutoSeq: false, out _)) return true;
        c.Reply.Error(InvalidId);
        return false;
    }

    /// <summary>streamParseIntervalIDOrReply: a "(" prefix makes the bound exclusive (and the ID strict).</summary>
    internal static bool ParseInterval(Client c, ReadOnlySpan<byte> text, ulong missingSeq, out StreamId id, out bool exclusive)
    {
        exclusive = text.Length > 1 && text[0] == '(';
        return exclusive ? ParseId(c, text[1..], missingSeq, strict: true, out id) : ParseId(c, text, missingSeq, strict: false, out id);
    }

    /// <summary>XRANGE's bounds: start (exclusive ones moved up) and end (exclusive ones moved down), Redis's errors when they cannot move.</summary>
    internal static bool ParseRange(Client c, ReadOnlySpan<byte> startText, ReadOnlySpan<byte> endText, out StreamId start, out StreamId end)
    {
        end = default;
        if (!ParseInterval(c, startText, 0, out start, out bool startExclusive)) return false;
        if (startExclusive && !start.TryIncrement(out start))
        {
            c.Reply.Error("invalid start ID for the interval");
            return false;
        }
        if (!ParseInterval(c, endText, ulong.MaxValue, out end, out bool endExclusive)) return false;
        if (endExclusive && !end.TryDecrement(out end))
        {
            c.Reply.Error("invalid end ID for the interval");
            return false;
        }
        return true;
    }

    internal static void ReplyId(ReplyWriter r, StreamId id)
    {
        Span<byte> text = stackalloc byte[StreamId.MaxTextLength];
        r.Bulk(text[..id.Format(text)]);
    }

    internal static void WriteId(VermilionServer.EffectWriter w, StreamId id)
    {
        Span<byte> text = stackalloc byte[StreamId.MaxTextLength];
        w.Arg(text[..id.Format(text)]);
    }

    /// <summary>One entry as Redis emits it: its ID and the flat array of its fields and values.</summary>
    internal static void ReplyEntry(ReplyWriter r, ref StreamValue.Iterator it)
    {
        r.ArrayHeader(2);
        ReplyId(r, it.Id);
        int fields = it.FieldCount;
        r.ArrayHeader(fields * 2L);
        Span<byte> fieldDigits = stackalloc byte[20], valueDigits = stackalloc byte[20];
        for (int i = 0; i < fields; i++)
        {
            it.ReadField(fieldDigits, valueDigits, out var field, out var value);
            r.Bulk(field);
            r.Bulk(value);
        }
    }

    /// <summary>The entry <paramref name="id"/> alone, if it exists (XCLAIM's and history's replies); false when it does not.</summary>
    internal static bool ReplySingleEntry(ReplyWriter r, StreamValue s, StreamId id)
    {
        var it = s.Range(id, id, reverse: false);
        if (!it.Next()) return false;
        ReplyEntry(r, ref it);
        return true;
    }

    /// <summary>
    /// A range's reply opened: the iterator stands on its first entry and the array header is
    /// written with the count, taken on a copy of that iterator (the length goes first; Redis
    /// patches it in afterwards), so the seek into the node is made once. Returns the count.
    /// </summary>
    static long OpenRange(ReplyWriter r, StreamValue s, StreamId start, StreamId end, long count, bool reverse, out StreamValue.Iterator it)
    {
        it = s.Range(start, end, reverse);
        long n = 0;
        if (count >= 0 && it.Next())
        {
            var ahead = it;
            for (n = 1; (count == 0 || n < count) && ahead.Next(); n++) { }
        }
        r.ArrayHeader(n);
        return n;
    }

    /// <summary>streamReplyWithRange without a group: the entries of [start, end], at most <paramref name="count"/> (0: all).</summary>
    internal static long ReplyRange(ReplyWriter r, StreamValue s, StreamId start, StreamId end, long count, bool reverse)
    {
        long n = OpenRange(r, s, start, end, count, reverse, out var it);
        for (long i = 0; i < n; i++)
        {
            if (i > 0) it.Next();
            ReplyEntry(r, ref it);
        }
        return n;
    }

    // ---- XADD / XTRIM ----

    /// <summary>streamAddTrimArgs: what XADD and XTRIM parsed.</summary>
    struct TrimArgs
    {
        public StreamValue.TrimStrategy Strategy;
        public long MaxLen, Limit;
        public StreamId MinId, Id;
        public bool Approx, IdGiven, SeqGiven, NoMkStream;
        /// <summary>Where the MAXLEN count or MINID id is (the argument a rewrite replaces; "~" is the one before).</summary>
        public int StrategyArg;
        /// <summary>XADD: where the ID or "*" is.</summary>
        public int IdPos;
    }

    /// <summary>streamParseAddOrTrimArgsOrReply, in its order of checks.</summary>
    static bool ParseAddOrTrim(Client c, CommandArgs a, bool xadd, out TrimArgs t)
    {
        t = default;
        t.SeqGiven = true;
        bool limitGiven = false;
        int i = 2;
        for (; i < a.Count; i++)
        {
            int more = a.Count - 1 - i;
            if (xadd && a[i].Length == 1 && a[i][0] == '*') break;
            if (a.Is(i, "maxlen") && more > 0)
            {
                if (t.Strategy != StreamValue.TrimStrategy.None)
                {
                    c.Reply.Error("syntax error, MAXLEN and MINID options at the same time are not compatible");
                    return false;
                }
                t.Approx = false;
                if (more >= 2 && a.Is(i + 1, "~")) { t.Approx = true; i++; }
                else if (more >= 2 && a.Is(i + 1, "=")) i++;
                if (!LongArgument.Parse(c, a[i + 1], out t.MaxLen)) return false;
                if (t.MaxLen < 0)
                {
                    c.Reply.Error("The MAXLEN argument must be >= 0.");
                    return false;
                }
                i++;
                t.Strategy = StreamValue.TrimStrategy.MaxLen;
                t.StrategyArg = i;
            }
            else if (a.Is(i, "minid") && more > 0)
            {
                if (t.Strategy != StreamValue.TrimStrategy.None)
                {
                    c.Reply.Error("syntax error, MAXLEN and MINID options at the same time are not compatible");
                    return false;
                }
                t.Approx = false;
                if (more >= 2 && a.Is(i + 1, "~")) { t.Approx = true; i++; }
                else if (more >= 2 && a.Is(i + 1, "=")) i++;
                if (!ParseId(c, a[i + 1], 0, strict: true, out t.MinId)) return false;
                i++;
                t.Strategy = StreamValue.TrimStrategy.MinId;
                t.StrategyArg = i;
            }
            else if (a.Is(i, "limit") && more > 0)
            {
                if (!LongArgument.Parse(c, a[i + 1], out t.Limit)) return false;
                if (t.Limit < 0)
                {
                    c.Reply.Error("The LIMIT argument must be >= 0.");
                    return false;
                }
                limitGiven = true;
                i++;
            }
            else if (xadd && a.Is(i, "nomkstream")) t.NoMkStream = true;
            else if (xadd)
            {
                if (!StreamId.TryParse(a[i], 0, strict: true, out t.Id, allowAutoSeq: true, out t.SeqGiven))
                {
                    c.Reply.Error(InvalidId);
                    return false;
                }
                t.IdGiven = true;
                break;
            }
            else
            {
                c.Reply.Error(SyntaxError);
                return false;
            }
        }
        t.IdPos = i;
        if (t.Limit != 0 && t.Strategy == StreamValue.TrimStrategy.None)
        {
            c.Reply.Error("syntax error, LIMIT cannot be used without specifying a trimming strategy");
            return false;
        }
        if (!xadd && t.Strategy == StreamValue.TrimStrategy.None)
        {
            c.Reply.Error("syntax error, XTRIM must be called with a trimming strategy");
            return false;
        }
        if (MustObey(c)) t.Limit = 0;
        else if (limitGiven)
        {
            if (!t.Approx)
            {
                c.Reply.Error("syntax error, LIMIT cannot be used without the special ~ option");
                return false;
            }
        }
        else if (t.Approx)
        {
            // At most 100 nodes' worth of work by default, bounded both ways against odd configs.
            long limit = unchecked(100 * c.Server.Config.StreamNodeMaxEntries);
            if (limit <= 0) limit = 10000;
            if (limit > 1000000) limit = 1000000;
            t.Limit = limit;
        }
        else t.Limit = 0;
        return true;
    }

    /// <summary>
    /// The propagated form of an XADD or XTRIM (streamRewriteApproxSpecifier and
    /// streamRewriteTrimArgument, and XADD's generated ID): "~" becomes "=", the count or ID after it
    /// the stream's length or first ID (deleted entries included) after trimming, so a replica or
    /// the AOF trims exactly as this did.
    /// </summary>
    static void RewriteTrim(Client c, CommandArgs a, StreamValue s, in TrimArgs t, bool rewriteTrim, int idPos, StreamId id)
    {
        if (!c.Server.Propagating) return;
        var w = c.Server.Rewrite(c, a.Count);
        for (int i = 0; i < a.Count; i++)
        {
            if (rewriteTrim && i == t.StrategyArg - 1) w.Arg("="u8);
            else if (rewriteTrim && i == t.StrategyArg)
            {
                if (t.Strategy == StreamValue.TrimStrategy.MaxLen) w.Arg(s.Length);
                else WriteId(w, s.EdgeId(first: true, skipTombstones: false));
            }
            else if (i == idPos) WriteId(w, id);
            else w.Arg(a[i]);
        }
    }

    [Command("xadd")]
    static void XAdd(Client c, CommandArgs a)
    {
        if (!ParseAddOrTrim(c, a, xadd: true, out var t)) return;
        int fieldPos = t.IdPos + 1;
        if (a.Count - fieldPos < 2 || (a.Count - fieldPos) % 2 == 1)
        {
            c.Reply.Error("wrong number of arguments for 'xadd' command");
            return;
        }
        // 0-0 is refused before the key is looked at, so no empty stream is left behind.
        if (t.IdGiven && t.SeqGiven && t.Id.IsZero)
        {
            c.Reply.Error("The ID specified in XADD must be greater than 0-0");
            return;
        }
        var s = Write(c, a[1]);
        if (s is null)
        {
            if (t.NoMkStream)
            {
                c.Reply.Null();
                return;
            }
            s = new StreamValue(a.ToArray(1));
            s.Settle();
            c.Db.Add(s);
        }
        if (s.LastId == StreamId.Max)
        {
            c.Reply.Error("The stream has exhausted the last possible ID, unable to add more items");
            return;
        }
        // streamAppendItem's ID: given, "ms-*" (the next sequence in that millisecond), or generated.
        StreamId id;
        bool ok = true;
        if (t.IdGiven)
        {
            if (t.SeqGiven) id = t.Id;
            else if (s.LastId.Ms == t.Id.Ms)
            {
                ok = s.LastId.Seq != ulong.MaxValue;
                id = ok ? new StreamId(t.Id.Ms, s.LastId.Seq + 1) : t.Id;
            }
            else id = t.Id;
        }
        else
        {
            ulong ms = (ulong)Now();
            if (ms > s.LastId.Ms) id = new StreamId(ms, 0);
            else s.LastId.TryIncrement(out id);
        }
        if (!ok || id <= s.LastId)
        {
            c.Reply.Error("The ID specified in XADD is equal or smaller than the target stream top item");
            return;
        }
        var config = c.Server.Config;
        if (!s.Append(id, a, fieldPos, config.StreamNodeMaxBytes, config.StreamNodeMaxEntries))
        {
            c.Reply.Error("Elements are too large to be stored");
            return;
        }
        ReplyId(c.Reply, id);
        c.Server.Notify(NotifyFlags.Stream, "xadd", c.Db, a[1]);
        c.Server.Dirty++;
        if (t.Strategy != StreamValue.TrimStrategy.None)
        {
            if (s.Trim(t.Strategy, t.MaxLen, t.MinId, t.Approx, t.Limit) > 0)
                c.Server.Notify(NotifyFlags.Stream, "xtrim", c.Db, a[1]);
        }
        bool rewriteTrim = t.Strategy != StreamValue.TrimStrategy.None && t.Approx;
        if (rewriteTrim || !t.IdGiven || !t.SeqGiven)
            RewriteTrim(c, a, s, t, rewriteTrim, !t.IdGiven || !t.SeqGiven ? t.IdPos : -1, id);
        s.Account();
        // Clients blocked on the stream may now be served.
        c.Server.SignalKeyAsReady(c.Db, a[1]);
    }

    [Command("xtrim")]
    static void XTrim(Client c, CommandArgs a)
    {
        if (!ParseAddOrTrim(c, a, xadd: false, out var t)) return;
        var s = Write(c, a[1]);
        if (s is null)
        {
            c.Reply.Integer(0);
            return;
        }
        long deleted = s.Trim(t.Strategy, t.MaxLen, t.MinId, t.Approx, t.Limit);
        if (deleted > 0)
        {
            c.Server.Notify(NotifyFlags.Stream, "xtrim", c.Db, a[1]);
            if (t.Approx) RewriteTrim(c, a, s, t, rewriteTrim: true, -1, default);
            c.Server.Dirty += deleted;
            s.Account();
        }
        c.Reply.Integer(deleted);
    }

    // ---- reading ----

    [Command("xlen")]
    static void XLen(Client c, CommandArgs a) => c.Reply.Integer(Read(c, a[1])?.Length ?? 0);

    [Command("xrange")] static void XRange(Client c, CommandArgs a) => RangeCommand(c, a, reverse: false);
    [Command("xrevrange")] static void XRevRange(Client c, CommandArgs a) => RangeCommand(c, a, reverse: true);

    /// <summary>xrangeGenericCommand: XREVRANGE takes its end first.</summary>
    static void RangeCommand(Client c, CommandArgs a, bool reverse)
    {
        if (!ParseRange(c, reverse ? a[3] : a[2], reverse ? a[2] : a[3], out var start, out var end)) return;
        long count = -1;
        for (int j = 4; j < a.Count; j++)
        {
            if (a.Is(j, "count") && j + 1 < a.Count)
            {
                if (!LongArgument.Parse(c, a[j + 1], out count)) return;
                if (count < 0) count = 0;
                j++;
            }
            else
            {
                c.Reply.Error(SyntaxError);
                return;
            }
        }
        var s = Read(c, a[1]);
        if (s is null)
        {
            c.Reply.ArrayHeader(0);
            return;
        }
        if (count == 0)
        {
            c.Reply.NullArray();
            return;
        }
        ReplyRange(c.Reply, s, start, end, count == -1 ? 0 : count, reverse);
    }

    // ---- deleting ----

    [Command("xdel")]
    static void XDel(Client c, CommandArgs a)
    {
        var s = Write(c, a[1]);
        if (s is null)
        {
            c.Reply.Integer(0);
            return;
        }
        // Every ID is checked first: the command is all or nothing.
        Span<StreamId> ids = a.Count - 2 <= 16 ? stackalloc StreamId[a.Count - 2] : new StreamId[a.Count - 2];
        for (int j = 2; j < a.Count; j++)
            if (!ParseId(c, a[j], 0, strict: true, out ids[j - 2])) return;
        long deleted = 0;
        bool first = false;
        foreach (var id in ids)
        {
            if (!s.Delete(id)) continue;
            if (id == s.FirstId) first = true;
            if (id > s.MaxDeletedId) s.MaxDeletedId = id;
            deleted++;
        }
        if (deleted > 0)
        {
            if (s.Length == 0) s.FirstId = default;
            else if (first) s.FirstId = s.EdgeId(first: true, skipTombstones: true);
            c.Server.Notify(NotifyFlags.Stream, "xdel", c.Db, a[1]);
            c.Server.Dirty += deleted;
            s.Account();
        }
        c.Reply.Integer(deleted);
    }

    [Command("xsetid")]
    static void XSetId(Client c, CommandArgs a)
    {
        if (!ParseId(c, a[2], 0, strict: true, out var id)) return;
        long entriesAdded = -1;
        StreamId maxDeleted = default;
        for (int i = 3; i < a.Count; i++)
        {
            bool more = i + 1 < a.Count;
            if (a.Is(i, "entriesadded") && more)
            {
                if (!LongArgument.Parse(c, a[i + 1], out entriesAdded)) return;
                if (entriesAdded < 0)
                {
                    c.Reply.Error("entries_added must be positive");
                    return;
                }
                i++;
            }
            else if (a.Is(i, "maxdeletedid") && more)
            {
                if (!ParseId(c, a[i + 1], 0, strict: true, out maxDeleted)) return;
                if (id < maxDeleted)
                {
                    c.Reply.Error("The ID specified in XSETID is smaller than the provided max_deleted_entry_id");
                    return;
                }
                i++;
            }
            else
            {
                c.Reply.Error(SyntaxError);
                return;
            }
        }
        var s = Write(c, a[1]);
        if (s is null)
        {
            c.Reply.Error("no such key");
            return;
        }
        if (s.Length > 0)
        {
            if (id < s.LastValidId)
            {
                c.Reply.Error("The ID specified in XSETID is smaller than the target stream top item");
                return;
            }
            if (entriesAdded != -1 && s.Length > entriesAdded)
            {
                c.Reply.Error("The entries_added specified in XSETID is smaller than the target stream length");
                return;
            }
        }
        s.LastId = id;
        if (entriesAdded != -1) s.EntriesAdded = entriesAdded;
        if (!maxDeleted.IsZero) s.MaxDeletedId = maxDeleted;
        c.Reply.Ok();
        c.Server.Dirty++;
        c.Server.Notify(NotifyFlags.Stream, "xsetid", c.Db, a[1]);
    }

    // ---- XREAD and XREADGROUP ----

    [Command("xread")] static void XRead(Client c, CommandArgs a) => ReadStreams(c, a, groupMode: false);

    /// <summary>XREAD_BLOCKED_DEFAULT_COUNT: a client served after blocking without COUNT gets at most this many entries per stream.</summary>
    const long BlockedDefaultCount = 1000;

    /// <summary>The groups an XREADGROUP reads, on the stack for up to eight streams.</summary>
    [System.Runtime.CompilerServices.InlineArray(8)] struct GroupSlots { StreamGroup? _e; }

    /// <summary>
    /// xreadCommand, for XREAD and XREADGROUP: parse, resolve each key's ID ("$", "&gt;", or
    /// given) and group, then serve every stream that has something now; with nothing to serve and
    /// BLOCK, block (Server/Blocking.cs runs the command again when a stream is written, with
    /// "$" replaced by the ID it stood for, as Redis remembers it). Served later, a client reads as
    /// blocked.c's serveClientsBlockedOnStreamKey serves it: from the ready key only, any new ID
    /// past its own (a group's last delivered one), COUNT 1000 when none was given; an XREADGROUP
    /// whose key went gets -UNBLOCKED, whose group went -NOGROUP.
    /// </summary>
    internal static void ReadStreams(Client c, CommandArgs a, bool groupMode)
    {
        long timeout = -1, count = 0;
        int streamsArg = 0, streams = 0, groupArg = -1;
        bool noack = false;
        for (int i = 1; i < a.Count; i++)
        {
            int more = a.Count - i - 1;
            if (a.Is(i, "block") && more > 0)
            {
                if (c.Server.RequestingClient(c) != c)
                {
                    c.Reply.Error($"{a.GetCString(0)} command is not allowed with BLOCK option from scripts");
                    return;
                }
                i++;
                if (!LongArgument.ParseTimeoutMs(c, a[i], out timeout)) return;
            }
            else if (a.Is(i, "count") && more > 0)
            {
                i++;
                if (!LongArgument.Parse(c, a[i], out count)) return;
                if (count < 0) count = 0;
            }
            else if (a.Is(i, "streams") && more > 0)
            {
                streamsArg = i + 1;
                int n = a.Count - streamsArg;
                if (n % 2 != 0)
                {
                    c.Reply.Error("Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.");
                    return;
                }
                streams = n / 2;
                break;
            }
            else if (a.Is(i, "group") && more >= 2)
            {
                if (!groupMode)
                {
                    c.Reply.Error("The GROUP option is only supported by XREADGROUP. You called XREAD instead.");
                    return;
                }
                groupArg = i + 1;
                i += 2;
            }
            else if (a.Is(i, "noack"))
            {
                if (!groupMode)
                {
                    c.Reply.Error("The NOACK option is only supported by XREADGROUP. You called XREAD instead.");
                    return;
                }
                noack = true;
            }
            else
            {
                c.Reply.Error(SyntaxError);
                return;
            }
        }
        if (streamsArg == 0)
        {
            c.Reply.Error(SyntaxError);
            return;
        }
        if (groupMode && groupArg < 0)
        {
            c.Reply.Error("Missing GROUP option for XREADGROUP");
            return;
        }
        // A blocking command is propagated only through its effects (XCLAIM, XGROUP SETID...).
        if (groupMode) c.Server.PreventPropagation();
        bool serving = c.Server.ServingBlocked;
        if (serving)
        {
            ServeBlocked(c, a, streamsArg, streams, groupArg, noack, count);
            return;
        }

        var ids = streams <= 8 ? stackalloc StreamId[streams] : new StreamId[streams];
        // The groups read, on the stack for up to eight streams (a new array was the read's only allocation).
        var slots = new GroupSlots();
        Span<StreamGroup?> groups = !groupMode ? default : streams <= 8 ? ((Span<StreamGroup?>)slots)[..streams] : new StreamGroup?[streams];
        bool dollar = false;
        for (int k = 0; k < streams; k++)
        {
            var key = a[streamsArg + k];
            var idText = a[streamsArg + streams + k];
            var s = Read(c, key);
            if (groupMode)
            {
                var g = s?.FindGroup(a[groupArg]);
                if (g is null)
                {
                    c.Reply.Error($"-NOGROUP No such key '{CommandArgs.CString(key)}' or consumer group '{a.GetCString(groupArg)}' in XREADGROUP with GROUP option");
                    return;
                }
                groups[k] = g;
            }
            if (idText.Length == 1 && idText[0] == '$')
            {
                if (groupMode)
                {
                    c.Reply.Error("The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.");
                    return;
                }
                ids[k] = s?.LastId ?? StreamId.Zero;
                dollar = true;
                continue;
            }
            if (idText.Length == 1 && idText[0] == '>')
            {
                if (!groupMode)
                {
                    c.Reply.Error("The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.");
                    return;
                }
                ids[k] = StreamId.Max;
                continue;
            }
            if (!ParseId(c, idText, 0, strict: true, out ids[k])) return;
        }

        // Serve synchronously what can be served; with several streams the replies go through a
        // scratch writer, as the count of served streams is known only at the end (a stream named
        // twice is judged after the first was served, as in Redis).
        var reply = c.Reply;
        ReplyWriter? scratch = streams > 1 ? new ReplyWriter(c.Server.Pool, c.Server.Stats) { Resp = reply.Resp } : null;
        int served = 0;
        try
        {
            for (int k = 0; k < streams; k++)
            {
                var key = a[streamsArg + k];
                var s = Read(c, key);
                if (s is null) continue;
                var gt = ids[k];
                bool serve = false, history = false;
                if (groupMode)
                {
                    if (gt != StreamId.Max) serve = history = true;
                    else if (s.Length > 0 && s.LastValidId > groups[k]!.LastId)
                    {
                        serve = true;
                        gt = groups[k]!.LastId;
                    }
                }
                else if (s.Length > 0 && s.LastValidId > gt) serve = true;
                if (!serve) continue;
                served++;
                gt.TryIncrement(out var start);
                var r = scratch ?? reply;
                if (scratch is null)
                {
                    if (reply.Resp == 2) { reply.ArrayHeader(1); reply.ArrayHeader(2); }
                    else reply.MapHeader(1);
                }
                else if (reply.Resp == 2) scratch.ArrayHeader(2);
                r.Bulk(key);
                if (!groupMode) ReplyRange(r, s, start, StreamId.Max, count, reverse: false);
                else
                {
                    var consumer = LookupOrCreateConsumer(c, groups[k]!, a[groupArg + 1], key, a[groupArg], noack);
                    if (history) ReplyHistory(c, r, s, start, count, consumer);
                    else ReplyGroupRange(c, r, s, start, count, groups[k]!, consumer, noack, key, a[groupArg]);
                    c.Server.Dirty++;
                }
                s.Account();
            }
            if (served > 0)
            {
                if (scratch is not null)
                {
                    if (reply.Resp == 2) reply.ArrayHeader(served);
                    else reply.MapHeader(served);
                    while (scratch.HasPending)
                    {
                        var bytes = scratch.Pending;
                        reply.Raw(bytes);
                        scratch.Consume(bytes.Length);
                    }
                }
                return;
            }
        }
        finally
        {
            scratch?.Discard();
        }

        if (timeout != -1)
        {
            if (c.Server.DeniesBlocking(c))
            {
                c.Reply.NullArray();
                return;
            }
            long now = c.Server.UnixTimeMs;
            long deadline = timeout == 0 ? 0 : timeout > long.MaxValue - now ? long.MaxValue : now + timeout;
            Span<int> keyArgs = streams <= 16 ? stackalloc int[streams] : new int[streams];
            for (int k = 0; k < streams; k++) keyArgs[k] = streamsArg + k;
            var blocked = a;
            if (dollar)
            {
                // The ID "$" stood for is what the client waits past.
                var argv = new byte[a.Count][];
                for (int i = 0; i < a.Count; i++) argv[i] = a.ToArray(i);
                Span<byte> text = stackalloc byte[StreamId.MaxTextLength];
                for (int k = 0; k < streams; k++)
                    if (argv[streamsArg + streams + k] is [(byte)'$']) argv[streamsArg + streams + k] = text[..ids[k].Format(text)].ToArray();
                blocked = new CommandArgs();
                blocked.SetAll(argv);
            }
            c.Server.BlockForKeys(c, blocked, keyArgs, DataType.Stream, deadline, nullArrayOnTimeout: true);
            return;
        }
        c.Reply.NullArray();
    }

    /// <summary>serveClientsBlockedOnStreamKey for one blocked XREAD or XREADGROUP, on the key that became ready.</summary>
    static void ServeBlocked(Client c, CommandArgs a, int streamsArg, int streams, int groupArg, bool noack, long count)
    {
        for (int k = 0; k < streams; k++)
        {
            var key = a[streamsArg + k];
            if (!c.Server.IsServableKey(key)) continue;
            int index = c.Db.Lookup(key, touch: false);
            var s = index < 0 ? null : c.Db.Keys.Object(index) as StreamValue;
            StreamGroup? group = null;
            StreamId gt;
            if (groupArg >= 0)
            {
                if (s is null)
                {
                    c.Reply.Error("-UNBLOCKED the stream key no longer exists");
                    return;
                }
                group = s.FindGroup(a[groupArg]);
                if (group is null)
                {
                    c.Reply.Error("-NOGROUP the consumer group this client was blocked on no longer exists");
                    return;
                }
                gt = group.LastId;
            }
            else if (s is null || !StreamId.TryParse(a[streamsArg + streams + k], 0, strict: true, out gt, false, out _)) break;
            if (s.LastId <= gt) break;
            gt.TryIncrement(out var start);
            if (c.Reply.Resp == 2) { c.Reply.ArrayHeader(1); c.Reply.ArrayHeader(2); }
            else c.Reply.MapHeader(1);
            c.Reply.Bulk(key);
            long n = count == 0 ? BlockedDefaultCount : count;
            if (group is null) ReplyRange(c.Reply, s, start, StreamId.Max, n, reverse: false);
            else
            {
                var consumer = LookupOrCreateConsumer(c, group, a[groupArg + 1], key, a[groupArg], noack);
                ReplyGroupRange(c, c.Reply, s, start, n, group, consumer, noack, key, a[groupArg]);
            }
            s.Account();
            return;
        }
        // Nothing for this client yet: it stays blocked.
        c.Server.BlockForKeys(c, a, [], DataType.Stream, 0, nullArrayOnTimeout: true);
    }

    /// <summary>streamLookupConsumer (seen now) or streamCreateConsumer (notified, dirty; with NOACK propagated as XGROUP CREATECONSUMER).</summary>
    internal static StreamConsumer LookupOrCreateConsumer(Client c, StreamGroup group, ReadOnlySpan<byte> name, ReadOnlySpan<byte> key, ReadOnlySpan<byte> groupName, bool noack)
    {
        long now = Now();
        var consumer = group.FindConsumer(name);
        if (consumer is not null)
        {
            consumer.SeenTime = now;
            return consumer;
        }
        consumer = group.CreateConsumer(name, now)!;
        c.Server.Dirty++;
        c.Server.Notify(NotifyFlags.Stream, "xgroup-createconsumer", c.Db, key);
        if (noack) c.Server.AlsoPropagate(c.Db, 5).Arg("XGROUP"u8).Arg("CREATECONSUMER"u8).Arg(key).Arg(groupName).Arg(name);
        return consumer;
    }

    /// <summary>
    /// streamReplyWithRange with a group: the new entries from <paramref name="start"/>, each moving
    /// the group's last delivered ID and read counter and (without NOACK) entering the PEL of the
    /// group and the consumer, propagated as XCLAIM ... FORCE JUSTID LASTID; with NOACK the group's
    /// new position is propagated as XGROUP SETID ... ENTRIESREAD.
    /// </summary>
    internal static void ReplyGroupRange(Client c, ReplyWriter r, StreamValue s, StreamId start, long count, StreamGroup group, StreamConsumer consumer,
        bool noack, ReadOnlySpan<byte> key, ReadOnlySpan<byte> groupName)
    {
        long n = OpenRange(r, s, start, StreamId.Max, count, reverse: false, out var it);
        bool propagateLastId = false;
        long now = Now();
        for (long i = 0; i < n; i++)
        {
            if (i > 0) it.Next();
            var id = it.Id;
            if (s.AdvanceGroup(group, id) && noack) propagateLastId = true;
            ReplyEntry(r, ref it);
            if (noack) continue;
            var nack = group.FindPending(id);
            if (nack is null)
            {
                nack = new PendingEntry(id, now, 1) { Consumer = consumer };
                group.Pending.Add(nack);
                consumer.Pending.Add(nack);
            }
            else
            {
                StreamGroup.Assign(nack, consumer);
                nack.DeliveryTime = now;
                nack.DeliveryCount = 1;
            }
            PropagateClaim(c, key, groupName, group, id, nack);
        }
        if (propagateLastId) PropagateGroupId(c, key, groupName, group);
    }

    /// <summary>streamReplyWithRangeFromConsumerPEL: the consumer's own pending entries from <paramref name="start"/>; a deleted one is its ID and a null.</summary>
    static void ReplyHistory(Client c, ReplyWriter r, StreamValue s, StreamId start, long count, StreamConsumer consumer)
    {
        var list = new List<PendingEntry>();
        foreach (var nack in consumer.PendingBetween(start, StreamId.Max))
        {
            if (count != 0 && list.Count >= count) break;
            list.Add(nack);
        }
        r.ArrayHeader(list.Count);
        long now = Now();
        foreach (var nack in list)
        {
            if (ReplySingleEntry(r, s, nack.Id))
            {
                nack.DeliveryTime = now;
                nack.DeliveryCount++;
            }
            else
            {
                r.ArrayHeader(2);
                ReplyId(r, nack.Id);
                r.NullArray();
            }
        }
    }

    /// <summary>streamPropagateXCLAIM: XCLAIM key group consumer 0 id TIME t RETRYCOUNT n FORCE JUSTID LASTID last.</summary>
    internal static void PropagateClaim(Client c, ReadOnlySpan<byte> key, ReadOnlySpan<byte> groupName, StreamGroup group, StreamId id, PendingEntry nack)
    {
        if (!c.Server.Propagating) return;
        Span<byte> text = stackalloc byte[StreamId.MaxTextLength];
        PropagateClaim(c, key, groupName, group, text[..id.Format(text)], nack);
    }

    /// <summary>As above with the ID as the client wrote it (XCLAIM propagates its own argument).</summary>
    internal static void PropagateClaim(Client c, ReadOnlySpan<byte> key, ReadOnlySpan<byte> groupName, StreamGroup group, ReadOnlySpan<byte> idText, PendingEntry nack)
    {
        if (!c.Server.Propagating) return;
        var w = c.Server.AlsoPropagate(c.Db, 14).Arg("XCLAIM"u8).Arg(key).Arg(groupName).Arg(nack.Consumer?.Name ?? []).Arg("0"u8).Arg(idText);
        w.Arg("TIME"u8).Arg(nack.DeliveryTime).Arg("RETRYCOUNT"u8).Arg(nack.DeliveryCount).Arg("FORCE"u8).Arg("JUSTID"u8).Arg("LASTID"u8);
        WriteId(w, group.LastId);
    }

    /// <summary>streamPropagateGroupID: XGROUP SETID key group last ENTRIESREAD n.</summary>
    internal static void PropagateGroupId(Client c, ReadOnlySpan<byte> key, ReadOnlySpan<byte> groupName, StreamGroup group)
    {
        if (!c.Server.Propagating) return;
        var w = c.Server.AlsoPropagate(c.Db, 7).Arg("XGROUP"u8).Arg("SETID"u8).Arg(key).Arg(groupName);
        WriteId(w, group.LastId);
        w.Arg("ENTRIESREAD"u8).Arg(group.EntriesRead);
    }
}
