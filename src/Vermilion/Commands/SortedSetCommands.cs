using System.Runtime.InteropServices;
using Vermilion.Protocol;
using Vermilion.Server;
using Vermilion.Storage;

namespace Vermilion.Commands;

/// <summary>
/// The sorted set family (Redis 7.0's t_zset.c behaviour): ZADD and friends, ranges by rank,
/// score and lex, the pops (blocking ones through Server.BlockForKeys), ZRANDMEMBER, the set
/// operations and ZSCAN, on <see cref="SortedSetValue"/>.
/// </summary>
public static partial class SortedSetCommands
{
    // ---- shared pieces ------------------------------------------------------------------------

    /// <summary>lookupKeyRead + checkType (<see cref="VermilionServer.LookupKeyRead{T}"/>): a hit even for another type, or a miss.</summary>
    static SortedSetValue? Read(Client c, ReadOnlySpan<byte> key) => c.Server.LookupKeyRead<SortedSetValue>(c.Db, key);

    static bool ParseScore(Client c, ReadOnlySpan<byte> text, out double value, string message = "value is not a valid float")
    {
        if (DoubleText.TryParse(text, out value)) return true;
        c.Reply.Error(message);
        return false;
    }

    static void SyntaxError(Client c) => c.Reply.Error("syntax error");

    /// <summary>A member with its score: flat in RESP2, a pair in RESP3 (or just the member).</summary>
    static void ReplyEntry(Client c, ReadOnlySpan<byte> member, double score, bool withScores)
    {
        if (withScores && c.Reply.Resp > 2) c.Reply.ArrayHeader(2);
        c.Reply.Bulk(member);
        if (withScores) c.Reply.Double(score);
    }

    /// <summary>The array header for <paramref name="count"/> entries: twice as long when RESP2 flattens the scores in.</summary>
    static void ReplyEntriesHeader(Client c, long count, bool withScores) =>
        c.Reply.ArrayHeader(withScores && c.Reply.Resp == 2 ? count * 2 : count);

    /// <summary>setKey for a computed result: the old value and its deadline go, the new set takes the key.</summary>
    static void StoreResult(Client c, SortedSetValue value, string @event)
    {
        c.Db.Delete(value.Key);
        c.Db.Add(value);
        c.Server.Dirty++;
        c.Server.Notify(NotifyFlags.ZSet, @event, c.Db, value.Key);
    }

    static void DeleteIfEmpty(Client c, SortedSetValue set, ReadOnlySpan<byte> key)
    {
        if (set.Count != 0) return;
        c.Server.DeleteKey(c.Db, key);
    }

    // ---- ranges by score and by lex ---------------------------------------------------------

    /// <summary>A score or lex range as zslParseRange / zslParseLexRange read it.</summary>
    interface IRange
    {
        bool IsEmpty { get; }
        bool GteMin(double score, ReadOnlySpan<byte> member);
        bool LteMax(double score, ReadOnlySpan<byte> member);
    }

    struct ScoreRange : IRange
    {
        public double Min, Max;
        public bool MinExclusive, MaxExclusive;

        public static bool TryParse(ReadOnlySpan<byte> min, ReadOnlySpan<byte> max, out ScoreRange range)
        {
            range = default;
            return ParseBound(min, out range.Min, out range.MinExclusive) && ParseBound(max, out range.Max, out range.MaxExclusive);
        }

        static bool ParseBound(ReadOnlySpan<byte> text, out double value, out bool exclusive)
        {
            exclusive = text.Length > 0 && text[0] == '(';
            return DoubleText.TryParseBound(exclusive ? text[1..] : text, out value);
        }

        public readonly bool IsEmpty => Min > Max || (Min == Max && (MinExclusive || MaxExclusive));
        public readonly bool GteMin(double score, ReadOnlySpan<byte> member) => MinExclusive ? score > Min : score >= Min;
        public readonly bool LteMax(double score, ReadOnlySpan<byte> member) => MaxExclusive ? score < Max : score <= Max;
    }

    /// <summary>A lex bound: "-" (below everything), "+" (above everything), or "[x" / "(x".</summary>
    struct LexBound
    {
        public int Infinity; // -1 for "-", +1 for "+", 0 for a value
        public byte[] Value;
        public bool Exclusive;

        public static bool TryParse(ReadOnlySpan<byte> text, out LexBound bound)
        {
            bound = new LexBound { Value = [] };
            if (text.Length == 0) return false;
            switch (text[0])
            {
                case (byte)'+' or (byte)'-':
                    // The C code looks at the byte after the sign: the string's end or an embedded NUL.
                    if (text.Length > 1 && text[1] != 0) return false;
                    bound.Infinity = text[0] == '+' ? 1 : -1;
                    bound.Exclusive = true;
                    return true;
                case (byte)'(' or (byte)'[':
                    bound.Exclusive = text[0] == '(';
                    bound.Value = text[1..].ToArray();
                    return true;
                default:
                    return false;
            }
        }

        /// <summary>sdscmplex of a member against this bound.</summary>
        public readonly int CompareMember(ReadOnlySpan<byte> member) => Infinity != 0 ? -Infinity : member.SequenceCompareTo(Value);
    }

    struct LexRange : IRange
    {
        public LexBound Min, Max;

        public static bool TryParse(ReadOnlySpan<byte> min, ReadOnlySpan<byte> max, out LexRange range)
        {
            range = default;
            return LexBound.TryParse(min, out range.Min) && LexBound.TryParse(max, out range.Max);
        }

        public readonly bool IsEmpty
        {
            get
            {
                // sdscmplex(min, max), where "-" and "+" are the same object wherever they appear.
                int cmp;
                if (Min.Infinity != 0 && Min.Infinity == Max.Infinity) cmp = 0;
                else if (Min.Infinity == -1 || Max.Infinity == 1) cmp = -1;
                else if (Min.Infinity == 1 || Max.Infinity == -1) cmp = 1;
                else cmp = Min.Value.AsSpan().SequenceCompareTo(Max.Value);
                return cmp > 0 || (cmp == 0 && (Min.Exclusive || Max.Exclusive));
            }
        }

        public readonly bool GteMin(double score, ReadOnlySpan<byte> member)
        {
            int cmp = Min.CompareMember(member);
            return Min.Exclusive ? cmp > 0 : cmp >= 0;
        }

        public readonly bool LteMax(double score, ReadOnlySpan<byte> member)
        {
            int cmp = Max.CompareMember(member);
            return Max.Exclusive ? cmp < 0 : cmp <= 0;
        }
    }

    /// <summary>Entries below the range's minimum.</summary>
    struct BelowMin<TRange>(TRange range) : IEntryBound where TRange : struct, IRange
    {
        readonly TRange _range = range;
        public readonly bool IsBefore(double score, ReadOnlySpan<byte> member) => !_range.GteMin(score, member);
    }

    /// <summary>Entries at or below the range's maximum.</summary>
    struct UpToMax<TRange>(TRange range) : IEntryBound where TRange : struct, IRange
    {
        readonly TRange _range = range;
        public readonly bool IsBefore(double score, ReadOnlySpan<byte> member) => _range.LteMax(score, member);
    }

    /// <summary>zzlFirstInRange / zslFirstInRange: the rank of the first entry in range, or -1.</summary>
    static int FirstInRange<TRange>(SortedSetValue set, in TRange range) where TRange : struct, IRange
    {
        if (!IsInRange(set, range)) return -1;
        var below = new BelowMin<TRange>(range);
        int rank = set.FirstNotBefore(ref below);
        if (rank >= set.Count) return -1;
        var member = set.At(rank).Read(out double score);
        return range.LteMax(score, member) ? rank : -1;
    }

    /// <summary>zzlLastInRange / zslLastInRange: the rank of the last entry in range, or -1.</summary>
    static int LastInRange<TRange>(SortedSetValue set, in TRange range) where TRange : struct, IRange
    {
        if (!IsInRange(set, range)) return -1;
        var upTo = new UpToMax<TRange>(range);
        int rank = set.LastBefore(ref upTo);
        if (rank < 0) return -1;
        var member = set.At(rank).Read(out double score);
        return range.GteMin(score, member) ? rank : -1;
    }

    /// <summary>zslIsInRange: not empty, the last entry reaches the minimum and the first the maximum.</summary>
    static bool IsInRange<TRange>(SortedSetValue set, in TRange range) where TRange : struct, IRange
    {
        if (range.IsEmpty || set.Count == 0) return false;
        var last = set.At(set.Count - 1).Read(out double lastScore);
        if (!range.GteMin(lastScore, last)) return false;
        var first = set.At(0).Read(out double firstScore);
        return range.LteMax(firstScore, first);
    }

    /// <summary>ZCOUNT / ZLEXCOUNT: walk from the first entry in range (compact), or subtract ranks (tree).</summary>
    static long CountInRange<TRange>(SortedSetValue set, in TRange range) where TRange : struct, IRange
    {
        int first = FirstInRange(set, range);
        if (first < 0) return 0;
        if (!set.IsPacked)
        {
            int last = LastInRange(set, range);
            return last < 0 ? set.Count - first : last - first + 1;
        }
        long count = 0;
        for (var cursor = set.At(first); cursor.IsValid; cursor.MoveNext())
        {
            var member = cursor.Read(out double score);
            if (!range.LteMax(score, member)) break;
            count++;
        }
        return count;
    }

    /// <summary>How many entries the walk from <paramref name="start"/> covers: at most <paramref name="limit"/> (negative: all), while in range.</summary>
    static long CountWalk<TRange>(SortedSetValue set, in TRange range, int start, bool reverse, long limit) where TRange : struct, IRange
    {
        long n = 0;
        for (var cursor = set.At(start); cursor.IsValid && n != limit; )
        {
            var member = cursor.Read(out double score);
            if (reverse ? !range.GteMin(score, member) : !range.LteMax(score, member)) break;
            n++;
            if (reverse) cursor.MovePrev();
            else cursor.MoveNext();
        }
        return n;
    }

    // ---- ZADD, ZINCRBY, ZREM ------------------------------------------------------------------

    [Command("zadd")] static void ZAdd(Client c, CommandArgs a) => AddGeneric(c, a, ZAddFlags.None);
    [Command("zincrby")] static void ZIncrBy(Client c, CommandArgs a) => AddGeneric(c, a, ZAddFlags.Incr);

    /// <summary>zaddGenericCommand: options, then every score parsed before anything changes.</summary>
    static void AddGeneric(Client c, CommandArgs a, ZAddFlags flags)
    {
        bool ch = false;
        int scoreIndex = 2;
        for (; scoreIndex < a.Count; scoreIndex++)
        {
            if (a.Is(scoreIndex, "nx")) flags |= ZAddFlags.Nx;
            else if (a.Is(scoreIndex, "xx")) flags |= ZAddFlags.Xx;
            else if (a.Is(scoreIndex, "ch")) ch = true;
            else if (a.Is(scoreIndex, "incr")) flags |= ZAddFlags.Incr;
            else if (a.Is(scoreIndex, "gt")) flags |= ZAddFlags.Gt;
            else if (a.Is(scoreIndex, "lt")) flags |= ZAddFlags.Lt;
            else break;
        }
        bool incr = (flags & ZAddFlags.Incr) != 0, nx = (flags & ZAddFlags.Nx) != 0, xx = (flags & ZAddFlags.Xx) != 0;
        bool gt = (flags & ZAddFlags.Gt) != 0, lt = (flags & ZAddFlags.Lt) != 0;
        int elements = a.Count - scoreIndex;
        if (elements % 2 != 0 || elements == 0)
        {
            SyntaxError(c);
            return;
        }
        elements /= 2;
        if (nx && xx)
        {
            c.Reply.Error("XX and NX options at the same time are not compatible");
            return;
        }
        if ((gt && nx) || (lt && nx) || (gt && lt))
        {
            c.Reply.Error("GT, LT, and/or NX options at the same time are not compatible");
            return;
        }
        if (incr && elements > 1)
        {
            c.Reply.Error("INCR option supports a single increment-element pair");
            return;
        }
        Span<double> scores = elements <= 64 ? stackalloc double[elements] : new double[elements];
        for (int j = 0; j < elements; j++)
            if (!ParseScore(c, a[scoreIndex + j * 2], out scores[j])) return;

        var key = a[1];
        var set = c.Db.Get<SortedSetValue>(key);
        var config = c.Server.Config;
        long added = 0, updated = 0, processed = 0;
        double score = 0;
        if (set is null)
        {
            if (xx)
            {
                ReplyAdd(c, incr, ch, processed, added, updated, score);
                return;
            }
            bool packed = config.ZsetMaxListpackEntries != 0 && config.ZsetMaxListpackValue >= a.Length(scoreIndex + 1);
            if (packed) set = c.Db.AddSortedSet(key); // a record from the start: nothing managed per new key
            else
            {
                set = SortedSetValue.Create(key, packed: false);
                c.Db.Add(set);
            }
        }
        for (int j = 0; j < elements; j++)
        {
            var result = set.Add(scores[j], a[scoreIndex + 1 + j * 2], flags, config.ZsetMaxListpackEntries, config.ZsetMaxListpackValue, out double newScore);
            if (result == ZAddResult.NotANumber)
            {
                // As Redis, the error skips counting what changed before it: nothing is propagated.
                c.Reply.Error("resulting score is not a number (NaN)");
                if (added + updated > 0) c.Server.Notify(NotifyFlags.ZSet, incr ? "zincr" : "zadd", c.Db, a[1]);
                return;
            }
            if (result == ZAddResult.Added) added++;
            else if (result == ZAddResult.Updated) updated++;
            if (result != ZAddResult.Nop) processed++;
            score = newScore;
        }
        c.Server.Dirty += added + updated;
        if (added + updated > 0) c.Server.Notify(NotifyFlags.ZSet, incr ? "zincr" : "zadd", c.Db, a[1]);
        ReplyAdd(c, incr, ch, processed, added, updated, score);
    }

    static void ReplyAdd(Client c, bool incr, bool ch, long processed, long added, long updated, double score)
    {
        if (incr)
        {
            if (processed > 0) c.Reply.Double(score);
            else c.Reply.Null();
        }
        else c.Reply.Integer(ch ? added + updated : added);
    }

    [Command("zrem")] static void ZRem(Client c, CommandArgs a) => MemberRemoval.Remove<SortedSetValue>(c, a, NotifyFlags.ZSet, "zrem");

    // ---- reads --------------------------------------------------------------------------------

    [Command("zcard")] static void ZCard(Client c, CommandArgs a) => c.Reply.Integer(Read(c, a[1])?.Count ?? 0);

    [Command("zscore")] static void ZScore(Client c, CommandArgs a) => ReplyScore(c, Read(c, a[1]), a[2]);

    [Command("zmscore")]
    static void ZMScore(Client c, CommandArgs a)
    {
        var set = Read(c, a[1]);
        c.Reply.ArrayHeader(a.Count - 2);
        for (int j = 2; j < a.Count; j++) ReplyScore(c, set, a[j]);
    }

    /// <summary>zscoreCommand's and zmscoreCommand's answer for one member: its score, nil when the set or the member is missing.</summary>
    static void ReplyScore(Client c, SortedSetValue? set, ReadOnlySpan<byte> member)
    {
        if (set is not null && set.TryGetScore(member, out double score)) c.Reply.Double(score);
        else c.Reply.Null();
    }

    [Command("zrank")] static void ZRank(Client c, CommandArgs a) => RankGeneric(c, a, reverse: false);
    [Command("zrevrank")] static void ZRevRank(Client c, CommandArgs a) => RankGeneric(c, a, reverse: true);

    static void RankGeneric(Client c, CommandArgs a, bool reverse)
    {
        var set = Read(c, a[1]);
        int rank = set?.Rank(a[2]) ?? -1;
        if (rank < 0) c.Reply.Null();
        else c.Reply.Integer(reverse ? set!.Count - 1 - rank : rank);
    }

    [Command("zcount")]
    static void ZCount(Client c, CommandArgs a) =>
        CountGeneric(c, a, ScoreRange.TryParse(a[2], a[3], out var range), range, "min or max is not a float");

    [Command("zlexcount")]
    static void ZLexCount(Client c, CommandArgs a) =>
        CountGeneric(c, a, LexRange.TryParse(a[2], a[3], out var range), range, "min or max not valid string range item");

    /// <summary>zcountCommand / zlexcountCommand: the range is checked before the key is read; a missing key counts 0.</summary>
    static void CountGeneric<TRange>(Client c, CommandArgs a, bool parsed, in TRange range, string error) where TRange : struct, IRange
    {
        if (!parsed)
        {
            c.Reply.Error(error);
            return;
        }
        var set = Read(c, a[1]);
        c.Reply.Integer(set is null ? 0 : CountInRange(set, range));
    }

    // ---- ZRANGE and its older forms -----------------------------------------------------------

    enum RangeType { Auto, Rank, Score, Lex }

    [Command("zrange")] static void ZRange(Client c, CommandArgs a) => RangeGeneric(c, a, 1, false, RangeType.Auto, null);
    [Command("zrangestore")] static void ZRangeStore(Client c, CommandArgs a) => RangeGeneric(c, a, 2, true, RangeType.Auto, null);
    [Command("zrevrange")] static void ZRevRange(Client c, CommandArgs a) => RangeGeneric(c, a, 1, false, RangeType.Rank, true);
    [Command("zrangebyscore")] static void ZRangeByScore(Client c, CommandArgs a) => RangeGeneric(c, a, 1, false, RangeType.Score, false);
    [Command("zrevrangebyscore")] static void ZRevRangeByScore(Client c, CommandArgs a) => RangeGeneric(c, a, 1, false, RangeType.Score, true);
    [Command("zrangebylex")] static void ZRangeByLex(Client c, CommandArgs a) => RangeGeneric(c, a, 1, false, RangeType.Lex, false);
    [Command("zrevrangebylex")] static void ZRevRangeByLex(Client c, CommandArgs a) => RangeGeneric(c, a, 1, false, RangeType.Lex, true);

    /// <summary>
    /// zrangeGenericCommand: &lt;src&gt; &lt;min&gt; &lt;max&gt; [BYSCORE | BYLEX] [REV] [WITHSCORES] [LIMIT offset count],
    /// replying to the client or (ZRANGESTORE) storing the result. <paramref name="reverse"/> is
    /// null while REV may still say so.
    /// </summary>
    static void RangeGeneric(Client c, CommandArgs a, int start, bool store, RangeType type, bool? reverse)
    {
        bool withScores = false;
        long offset = 0, limit = -1;
        for (int j = start + 3; j < a.Count; j++)
        {
            int left = a.Count - j - 1;
            if (!store && a.Is(j, "withscores")) withScores = true;
            else if (a.Is(j, "limit") && left >= 2)
            {
                if (!LongArgument.Parse(c, a[j + 1], out offset) || !LongArgument.Parse(c, a[j + 2], out limit)) return;
                j += 2;
            }
            else if (reverse is null && a.Is(j, "rev")) reverse = true;
            else if (type == RangeType.Auto && a.Is(j, "bylex")) type = RangeType.Lex;
            else if (type == RangeType.Auto && a.Is(j, "byscore")) type = RangeType.Score;
            else
            {
                SyntaxError(c);
                return;
            }
        }
        bool rev = reverse ?? false;
        if (type == RangeType.Auto) type = RangeType.Rank;
        if (limit != -1 && type == RangeType.Rank)
        {
            c.Reply.Error("syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX");
            return;
        }
        if (withScores && type == RangeType.Lex)
        {
            c.Reply.Error("syntax error, WITHSCORES not supported in combination with BYLEX");
            return;
        }
        int minIndex = start + 1, maxIndex = start + 2;
        // Reversed score and lex ranges are written max first.
        if (rev && type != RangeType.Rank) (minIndex, maxIndex) = (maxIndex, minIndex);

        long rankStart = 0, rankEnd = 0;
        ScoreRange scoreRange = default;
        LexRange lexRange = default;
        switch (type)
        {
            case RangeType.Rank:
                if (!LongArgument.Parse(c, a[minIndex], out rankStart) || !LongArgument.Parse(c, a[maxIndex], out rankEnd)) return;
                break;
            case RangeType.Score:
                if (!ScoreRange.TryParse(a[minIndex], a[maxIndex], out scoreRange))
                {
                    c.Reply.Error("min or max is not a float");
                    return;
                }
                break;
            default:
                if (!LexRange.TryParse(a[minIndex], a[maxIndex], out lexRange))
                {
                    c.Reply.Error("min or max not valid string range item");
                    return;
                }
                break;
        }

        var set = Read(c, a[start]);
        var destination = store ? a[1] : default;
        if (set is null)
        {
            if (store) StoreRange(c, destination, null, -1);
            else c.Reply.ArrayHeader(0);
            return;
        }

        // Where the walk starts and how many entries it covers.
        int from;
        long count;
        if (type == RangeType.Rank)
        {
            long length = set.Count;
            if (rankStart < 0) rankStart += length;
            if (rankEnd < 0) rankEnd += length;
            if (rankStart < 0) rankStart = 0;
            if (rankStart > rankEnd || rankStart >= length)
            {
                from = -1;
                count = 0;
            }
            else
            {
                if (rankEnd >= length) rankEnd = length - 1;
                count = rankEnd - rankStart + 1;
                from = (int)(rev ? length - 1 - rankStart : rankStart);
            }
        }
        else if (type == RangeType.Score) count = PlanWalk(set, scoreRange, rev, ref offset, limit, out from);
        else count = PlanWalk(set, lexRange, rev, ref offset, limit, out from);

        if (store)
        {
            var entries = new List<(double, byte[])>((int)Math.Min(count, 1 << 16));
            var cursor = set.At(from);
            for (long i = 0; i < count; i++)
            {
                var member = cursor.Read(out double score);
                entries.Add((score, member.ToArray()));
                if (rev) cursor.MovePrev();
                else cursor.MoveNext();
            }
            StoreRange(c, destination, entries, type == RangeType.Rank ? count : -1);
            return;
        }
        ReplyEntriesHeader(c, count, withScores);
        var walk = set.At(from);
        for (long i = 0; i < count; i++)
        {
            var member = walk.Read(out double score);
            ReplyEntry(c, member, score, withScores);
            if (rev) walk.MovePrev();
            else walk.MoveNext();
        }
    }

    /// <summary>
    /// genericZrangebyscore/lex: the first entry in range from the chosen end, OFFSET entries
    /// skipped without looking at them, then entries while in range, at most LIMIT (negative: no
    /// limit). Returns how many, with <paramref name="from"/> the rank of the first.
    /// </summary>
    static long PlanWalk<TRange>(SortedSetValue set, in TRange range, bool reverse, ref long offset, long limit, out int from) where TRange : struct, IRange
    {
        from = -1;
        // A negative offset walks off the end in Redis's loop: nothing is returned.
        if (offset < 0 || (offset > 0 && offset >= set.Count)) return 0;
        int first = reverse ? LastInRange(set, range) : FirstInRange(set, range);
        if (first < 0) return 0;
        long at = reverse ? first - offset : first + offset;
        if (at < 0 || at >= set.Count) return 0;
        from = (int)at;
        return CountWalk(set, range, from, reverse, limit);
    }

    /// <summary>
    /// ZRANGESTORE's result, built as Redis builds it: a compact set unless the length, when known
    /// up front (rank ranges), exceeds zset-max-listpack-entries, then every entry added in the
    /// order of the walk, converting on the way (so a -0 score added while compact becomes 0).
    /// Null or no entries: the destination is deleted.
    /// </summary>
    static void StoreRange(Client c, ReadOnlySpan<byte> destination, List<(double Score, byte[] Member)>? entries, long knownLength)
    {
        if (entries is null || entries.Count == 0)
        {
            if (c.Server.DeleteKey(c.Db, destination)) c.Server.Dirty++;
            c.Reply.Integer(0);
            return;
        }
        var config = c.Server.Config;
        var result = SortedSetValue.Create(destination, packed: knownLength <= config.ZsetMaxListpackEntries);
        foreach (var (score, member) in entries)
            result.Add(score, member, ZAddFlags.None, config.ZsetMaxListpackEntries, config.ZsetMaxListpackValue, out _);
        StoreResult(c, result, "zrangestore");
        c.Reply.Integer(entries.Count);
    }

    // ---- ZREMRANGEBY* -------------------------------------------------------------------------

    [Command("zremrangebyrank")]
    static void ZRemRangeByRank(Client c, CommandArgs a)
    {
        if (!LongArgument.Parse(c, a[2], out long start) || !LongArgument.Parse(c, a[3], out long end)) return;
        var set = c.Db.Get<SortedSetValue>(a[1]);
        if (set is null)
        {
            c.Reply.Integer(0);
            return;
        }
        long length = set.Count;
        if (start < 0) start += length;
        if (end < 0) end += length;
        if (start < 0) start = 0;
        if (start > end || start >= length)
        {
            c.Reply.Integer(0);
            return;
        }
        if (end >= length) end = length - 1;
        RemoveAndReply(c, a[1], set, (int)start, end - start + 1, "zremrangebyrank");
    }

    [Command("zremrangebyscore")]
    static void ZRemRangeByScore(Client c, CommandArgs a)
    {
        if (!ScoreRange.TryParse(a[2], a[3], out var range))
        {
            c.Reply.Error("min or max is not a float");
            return;
        }
        RemoveRangeGeneric(c, a, range, "zremrangebyscore");
    }

    [Command("zremrangebylex")]
    static void ZRemRangeByLex(Client c, CommandArgs a)
    {
        if (!LexRange.TryParse(a[2], a[3], out var range))
        {
            c.Reply.Error("min or max not valid string range item");
            return;
        }
        RemoveRangeGeneric(c, a, range, "zremrangebylex");
    }

    /// <summary>zzlDeleteRangeBy* / zslDeleteRangeBy*: from the first entry in range, every entry while in range.</summary>
    /// <remarks><paramref name="event"/> names the command by its own name: argv[0] may be a rename-command's.</remarks>
    static void RemoveRangeGeneric<TRange>(Client c, CommandArgs a, in TRange range, string @event) where TRange : struct, IRange
    {
        var set = c.Db.Get<SortedSetValue>(a[1]);
        if (set is null)
        {
            c.Reply.Integer(0);
            return;
        }
        int first = FirstInRange(set, range);
        long count = first < 0 ? 0 : CountWalk(set, range, first, reverse: false, limit: -1);
        RemoveAndReply(c, a[1], set, first, count, @event);
    }

    static void RemoveAndReply(Client c, ReadOnlySpan<byte> key, SortedSetValue set, int start, long count, string @event)
    {
        if (count > 0)
        {
            set.RemoveRange(start, (int)count);
            c.Server.Dirty += count;
            c.Server.Notify(NotifyFlags.ZSet, @event, c.Db, key);
            DeleteIfEmpty(c, set, key);
        }
        c.Reply.Integer(count);
    }

    // ---- pops -----------------------------------------------------------------------------------

    [Command("zpopmin")] static void ZPopMin(Client c, CommandArgs a) => PopMinMax(c, a, max: false);
    [Command("zpopmax")] static void ZPopMax(Client c, CommandArgs a) => PopMinMax(c, a, max: true);

    static void PopMinMax(Client c, CommandArgs a, bool max)
    {
        if (a.Count > 3)
        {
            SyntaxError(c);
            return;
        }
        long count = -1;
        if (a.Count == 3 && !LongArgument.ParsePositive(c, a[2], out count)) return;
        // RESP3 nests the pairs only when a count was given.
        bool nested = c.Reply.Resp > 2 && count != -1;
        Span<int> keys = [1];
        PopGeneric(c, a, keys, max, emitKey: false, count, nested, nullWhenEmpty: false);
    }

    /// <summary>
    /// genericZpopCommand: pops from the first of <paramref name="keys"/> that exists (WRONGTYPE if
    /// it is not a sorted set). Count -1 is a plain single pop. ZMPOP, BZMPOP and BZPOPMIN/MAX (the
    /// forms that name the key in their reply) are propagated as ZPOPMIN/ZPOPMAX of the key popped,
    /// with the number taken unless it was a plain pop; served later or at once alike.
    /// </summary>
    static void PopGeneric(Client c, CommandArgs a, ReadOnlySpan<int> keys, bool max, bool emitKey, long count, bool nested, bool nullWhenEmpty)
    {
        SortedSetValue? set = null;
        int keyIndex = 0;
        foreach (int k in keys)
        {
            set = c.Db.Get<SortedSetValue>(a[k]);
            keyIndex = k;
            if (set is not null) break;
        }
        if (set is null)
        {
            if (nullWhenEmpty) c.Reply.NullArray();
            else c.Reply.ArrayHeader(0);
            return;
        }
        if (count == 0)
        {
            c.Reply.ArrayHeader(0);
            return;
        }
        bool plain = count == -1;
        if (plain) count = 1;
        long length = set.Count;
        long n = Math.Min(count, length);
        c.Server.Dirty += n;
        if (emitKey)
        {
            var effect = c.Server.Rewrite(c, plain ? 2 : 3).Arg(max ? "ZPOPMAX"u8 : "ZPOPMIN"u8).Arg(a[keyIndex]);
            if (!plain) effect.Arg(n);
        }
        if (!nested && !emitKey) c.Reply.ArrayHeader(n * 2);
        else if (nested && !emitKey) c.Reply.ArrayHeader(n);
        else if (!nested)
        {
            c.Reply.ArrayHeader(n * 2 + 1);
            c.Reply.Bulk(a[keyIndex]);
        }
        else
        {
            c.Reply.ArrayHeader(2);
            c.Reply.Bulk(a[keyIndex]);
            c.Reply.ArrayHeader(n);
        }
        for (long i = 0; i < n; i++)
        {
            int rank = max ? set.Count - 1 : 0;
            var member = set.At(rank).Read(out double score);
            if (nested) c.Reply.ArrayHeader(2);
            c.Reply.Bulk(member);
            c.Reply.Double(score);
            set.RemoveRange(rank, 1);
        }
        c.Server.Notify(NotifyFlags.ZSet, max ? "zpopmax" : "zpopmin", c.Db, a[keyIndex]);
        DeleteIfEmpty(c, set, a[keyIndex]);
    }

    [Command("bzpopmin")] static void BZPopMin(Client c, CommandArgs a) => BlockingPop(c, a, 1, a.Count - 2, a.Count - 1, max: false, -1, nested: false);
    [Command("bzpopmax")] static void BZPopMax(Client c, CommandArgs a) => BlockingPop(c, a, 1, a.Count - 2, a.Count - 1, max: true, -1, nested: false);

    /// <summary>blockingGenericZpopCommand: pop from the first non-empty key, else block until one is ready or the timeout passes.</summary>
    static void BlockingPop(Client c, CommandArgs a, int firstKey, int keyCount, int timeoutIndex, bool max, long count, bool nested)
    {
        if (!VermilionServer.TryParseBlockTimeout(c, a[timeoutIndex], out long deadline)) return;
        Span<int> keys = keyCount <= 64 ? stackalloc int[keyCount] : new int[keyCount];
        for (int i = 0; i < keyCount; i++) keys[i] = firstKey + i;
        foreach (int k in keys)
        {
            var set = c.Db.Get<SortedSetValue>(a[k]);
            if (set is null || set.Count == 0) continue;
            PopGeneric(c, a, [k], max, emitKey: true, count, nested, nullWhenEmpty: true);
            return;
        }
        c.Server.BlockForKeys(c, a, keys, DataType.ZSet, deadline, nullArrayOnTimeout: true);
    }

    [Command("zmpop")] static void ZMPop(Client c, CommandArgs a) => MPopGeneric(c, a, 1, blocking: false);
    [Command("bzmpop")] static void BZMPop(Client c, CommandArgs a) => MPopGeneric(c, a, 2, blocking: true);

    /// <summary>zmpopGenericCommand: numkeys key [key ...] MIN|MAX [COUNT count].</summary>
    static void MPopGeneric(Client c, CommandArgs a, int numKeysIndex, bool blocking)
    {
        if (!LongArgument.ParseInRange(c, a[numKeysIndex], 1, long.MaxValue, out long numKeys, "numkeys should be greater than 0")) return;
        if (numKeys > a.Count - numKeysIndex - 2)
        {
            SyntaxError(c);
            return;
        }
        int whereIndex = numKeysIndex + (int)numKeys + 1;
        bool max;
        if (a.Is(whereIndex, "min")) max = false;
        else if (a.Is(whereIndex, "max")) max = true;
        else
        {
            SyntaxError(c);
            return;
        }
        long count = -1;
        for (int j = whereIndex + 1; j < a.Count; j++)
        {
            bool more = a.Count - 1 - j > 0;
            if (count == -1 && a.Is(j, "count") && more)
            {
                j++;
                if (!LongArgument.ParseInRange(c, a[j], 1, long.MaxValue, out count, "count should be greater than 0")) return;
            }
            else
            {
                SyntaxError(c);
                return;
            }
        }
        if (count == -1) count = 1;
        if (blocking)
        {
            BlockingPop(c, a, numKeysIndex + 1, (int)numKeys, 1, max, count, nested: true);
            return;
        }
        Span<int> keys = numKeys <= 64 ? stackalloc int[(int)numKeys] : new int[numKeys];
        for (int i = 0; i < keys.Length; i++) keys[i] = numKeysIndex + 1 + i;
        PopGeneric(c, a, keys, max, emitKey: true, count, nested: true, nullWhenEmpty: true);
    }

    // ---- ZRANDMEMBER ------------------------------------------------------------------------------

    [Command("zrandmember")]
    static void ZRandMember(Client c, CommandArgs a)
    {
        if (a.Count >= 3)
        {
            if (!LongArgument.ParseInRange(c, a[2], -long.MaxValue, long.MaxValue, out long l)) return;
            bool withScores = false;
            if (a.Count > 4 || (a.Count == 4 && !a.Is(3, "withscores")))
            {
                SyntaxError(c);
                return;
            }
            if (a.Count == 4)
            {
                withScores = true;
                if (l < -long.MaxValue / 2 || l > long.MaxValue / 2)
                {
                    c.Reply.Error("value is out of range");
                    return;
                }
            }
            RandMemberWithCount(c, a, l, withScores);
            return;
        }
        var set = Read(c, a[1]);
        if (set is null)
        {
            c.Reply.Null();
            return;
        }
        c.Reply.Bulk(set.At(c.Server.Random.Next(set.Count)).Member);
    }

    /// <summary>
    /// zrandmemberWithCountCommand: a negative count may repeat members (in random order); a
    /// positive one returns distinct members — the whole set in order when it asks for at least
    /// as many as there are.
    /// </summary>
    static void RandMemberWithCount(Client c, CommandArgs a, long l, bool withScores)
    {
        var set = Read(c, a[1]);
        if (set is null)
        {
            c.Reply.ArrayHeader(0);
            return;
        }
        long size = set.Count;
        bool unique = l >= 0;
        ulong count = unique ? (ulong)l : (ulong)-l;
        if (count == 0)
        {
            c.Reply.ArrayHeader(0);
            return;
        }
        var random = c.Server.Random;
        if (!unique || count == 1)
        {
            ReplyEntriesHeader(c, (long)count, withScores);
            // A compact set finds a rank by walking, so many picks read it once into an array.
            (byte[] Member, double Score)[]? entries = null;
            if (set.IsPacked && count > 8)
            {
                entries = new (byte[], double)[set.Count];
                int k = 0;
                for (var cursor = set.At(0); cursor.IsValid; cursor.MoveNext()) entries[k++] = (cursor.Read(out double s).ToArray(), s);
            }
            for (ulong i = 0; i < count; i++)
            {
                int rank = random.Next(set.Count);
                ReadOnlySpan<byte> member;
                double score;
                if (entries is not null)
                {
                    member = entries[rank].Member;
                    score = entries[rank].Score;
                }
                else member = set.At(rank).Read(out score);
                ReplyEntry(c, member, score, withScores);
                if (c.IsFreed || (c.Flags & ClientFlags.CloseAsap) != 0) break;
            }
            return;
        }
        if (count >= (ulong)size)
        {
            // The whole set, walked from the end as Redis's zuiNext does.
            ReplyEntriesHeader(c, size, withScores);
            for (var cursor = set.At(set.Count - 1); cursor.IsValid; cursor.MovePrev())
            {
                var member = cursor.Read(out double score);
                ReplyEntry(c, member, score, withScores);
            }
            return;
        }
        // Distinct ranks: a partial shuffle when most of the set is wanted, else random picks.
        int n = (int)count;
        var ranks = new int[n];
        if (count * 3 > (ulong)size)
        {
            var all = new int[size];
            for (int i = 0; i < all.Length; i++) all[i] = i;
            for (int i = 0; i < n; i++)
            {
                int j = random.Next(i, all.Length);
                (all[i], all[j]) = (all[j], all[i]);
                ranks[i] = all[i];
            }
        }
        else
        {
            var seen = new HashSet<int>(n);
            for (int i = 0; i < n;)
            {
                int r = random.Next(set.Count);
                if (seen.Add(r)) ranks[i++] = r;
            }
        }
        ReplyEntriesHeader(c, n, withScores);
        foreach (int r in ranks)
        {
            var member = set.At(r).Read(out double score);
            ReplyEntry(c, member, score, withScores);
        }
    }

    // ---- ZUNION, ZINTER, ZDIFF and their STORE forms, ZINTERCARD ---------------------------------

    enum SetOperation { Union, Inter, Diff }

    [Command("zunion")] static void ZUnion(Client c, CommandArgs a) => Combine(c, a, 1, SetOperation.Union, store: false, cardinalityOnly: false);
    [Command("zinter")] static void ZInter(Client c, CommandArgs a) => Combine(c, a, 1, SetOperation.Inter, store: false, cardinalityOnly: false);
    [Command("zdiff")] static void ZDiff(Client c, CommandArgs a) => Combine(c, a, 1, SetOperation.Diff, store: false, cardinalityOnly: false);
    [Command("zunionstore")] static void ZUnionStore(Client c, CommandArgs a) => Combine(c, a, 2, SetOperation.Union, store: true, cardinalityOnly: false);
    [Command("zinterstore")] static void ZInterStore(Client c, CommandArgs a) => Combine(c, a, 2, SetOperation.Inter, store: true, cardinalityOnly: false);
    [Command("zdiffstore")] static void ZDiffStore(Client c, CommandArgs a) => Combine(c, a, 2, SetOperation.Diff, store: true, cardinalityOnly: false);
    [Command("zintercard")] static void ZInterCard(Client c, CommandArgs a) => Combine(c, a, 1, SetOperation.Inter, store: false, cardinalityOnly: true);

    enum Aggregate { Sum, Min, Max }

    /// <summary>One input of a set operation: a sorted set (or none, for a missing key) and its weight.</summary>
    struct Source
    {
        public SortedSetValue? Set;
        public double Weight;
        public readonly int Count => Set?.Count ?? 0;
    }

    /// <summary>zunionInterAggregate.</summary>
    /// <summary>zunionInterDiffGenericCommand reads a plain set as a sorted set whose scores are all 1.</summary>
    static SortedSetValue AsSortedSet(SetValue set)
    {
        var entries = new List<(double Score, byte[] Member)>(set.Count);
        Span<byte> digits = stackalloc byte[20];
        for (int p = 0; p < set.Count; p++) entries.Add((1, set.MemberAt(p, digits).ToArray()));
        entries.Sort(static (x, y) => x.Member.AsSpan().SequenceCompareTo(y.Member));
        return SortedSetValue.Build(set.Key, entries, long.MaxValue, long.MaxValue);
    }

    static void AggregateInto(ref double target, double value, Aggregate aggregate)
    {
        switch (aggregate)
        {
            case Aggregate.Sum:
                target += value;
                // The sum of +inf and -inf is 0 here, as in Redis.
                if (double.IsNaN(target)) target = 0;
                break;
            case Aggregate.Min:
                target = value < target ? value : target;
                break;
            default:
                target = value > target ? value : target;
                break;
        }
    }

    /// <summary>zunionInterDiffGenericCommand.</summary>
    static void Combine(Client c, CommandArgs a, int numKeysIndex, SetOperation op, bool store, bool cardinalityOnly)
    {
        if (!LongArgument.Parse(c, a[numKeysIndex], out long setCount)) return;
        if (setCount < 1)
        {
            c.Reply.Error($"at least 1 input key is needed for '{c.LastCommand?.FullName}' command");
            return;
        }
        if (setCount > a.Count - (numKeysIndex + 1))
        {
            SyntaxError(c);
            return;
        }
        var sources = new Source[setCount];
        int j = numKeysIndex + 1;
        for (int i = 0; i < sources.Length; i++, j++)
        {
            sources[i].Weight = 1;
            int entry = c.Server.LookupKeyRead(c.Db, a[j]);
            if (entry < 0) continue;
            sources[i].Set = c.Db.Keys.Object(entry) switch
            {
                SortedSetValue sorted => sorted,
                SetValue set => AsSortedSet(set),
                _ => throw WrongTypeException.Instance,
            };
        }

        var aggregate = Aggregate.Sum;
        bool withScores = false;
        long limit = 0;
        while (j < a.Count)
        {
            int remaining = a.Count - j;
            if (op != SetOperation.Diff && !cardinalityOnly && remaining >= setCount + 1 && a.Is(j, "weights"))
            {
                j++;
                for (int i = 0; i < sources.Length; i++, j++)
                    if (!ParseScore(c, a[j], out sources[i].Weight, "weight value is not a float")) return;
            }
            else if (op != SetOperation.Diff && !cardinalityOnly && remaining >= 2 && a.Is(j, "aggregate"))
            {
                j++;
                if (a.Is(j, "sum")) aggregate = Aggregate.Sum;
                else if (a.Is(j, "min")) aggregate = Aggregate.Min;
                else if (a.Is(j, "max")) aggregate = Aggregate.Max;
                else
                {
                    SyntaxError(c);
                    return;
                }
                j++;
            }
            else if (!store && !cardinalityOnly && a.Is(j, "withscores"))
            {
                j++;
                withScores = true;
            }
            else if (cardinalityOnly && remaining >= 2 && a.Is(j, "limit"))
            {
                j++;
                if (!LongArgument.ParsePositive(c, a[j], out limit, "LIMIT can't be negative")) return;
                j++;
            }
            else
            {
                SyntaxError(c);
                return;
            }
        }

        // Smallest input first (a stable sort, as glibc's qsort is a merge sort here): fewer lookups,
        // and the order in which SUM adds up scores matches Redis's.
        if (op != SetOperation.Diff)
        {
            for (int i = 1; i < sources.Length; i++)
            {
                var moving = sources[i];
                int k = i;
                for (; k > 0 && sources[k - 1].Count > moving.Count; k--) sources[k] = sources[k - 1];
                sources[k] = moving;
            }
        }

        var result = new List<(double Score, byte[] Member)>();
        long cardinality = 0;
        if (op == SetOperation.Inter)
        {
            var first = sources[0];
            if (first.Count > 0)
            {
                for (var cursor = first.Set!.At(0); cursor.IsValid; cursor.MoveNext())
                {
                    var member = cursor.Read(out double memberScore);
                    double score = first.Weight * memberScore;
                    if (double.IsNaN(score)) score = 0;
                    int k = 1;
                    for (; k < sources.Length; k++)
                    {
                        double value;
                        if (ReferenceEquals(sources[k].Set, first.Set)) value = memberScore * sources[k].Weight;
                        else if (sources[k].Set is { } other && other.TryGetScore(member, out double found)) value = found * sources[k].Weight;
                        else break;
                        AggregateInto(ref score, value, aggregate);
                    }
                    if (k < sources.Length) continue;
                    if (cardinalityOnly)
                    {
                        cardinality++;
                        if (limit != 0 && cardinality >= limit) break;
                    }
                    else result.Add((score, member.ToArray()));
                }
            }
        }
        else if (op == SetOperation.Union)
        {
            var accumulator = new Dictionary<byte[], double>(ByteKeyComparer.Instance);
            var lookup = accumulator.GetAlternateLookup<ReadOnlySpan<byte>>();
            foreach (var source in sources)
            {
                if (source.Count == 0) continue;
                for (var cursor = source.Set!.At(0); cursor.IsValid; cursor.MoveNext())
                {
                    var member = cursor.Read(out double memberScore);
                    double score = source.Weight * memberScore;
                    if (double.IsNaN(score)) score = 0;
                    ref double slot = ref CollectionsMarshal.GetValueRefOrAddDefault(lookup, member, out bool exists);
                    if (exists) AggregateInto(ref slot, score, aggregate);
                    else slot = score;
                }
            }
            foreach (var (member, score) in accumulator) result.Add((score, member));
        }
        else if (sources[0].Count > 0)
        {
            for (var cursor = sources[0].Set!.At(0); cursor.IsValid; cursor.MoveNext())
            {
                var member = cursor.Read(out double score);
                bool elsewhere = false;
                for (int k = 1; k < sources.Length && !elsewhere; k++)
                    elsewhere = sources[k].Set is { } other && (ReferenceEquals(other, sources[0].Set) || other.TryGetScore(member, out _));
                if (!elsewhere) result.Add((score, member.ToArray()));
            }
        }

        if (cardinalityOnly)
        {
            c.Reply.Integer(cardinality);
            return;
        }
        result.Sort(static (x, y) => x.Score != y.Score ? x.Score.CompareTo(y.Score) : x.Member.AsSpan().SequenceCompareTo(y.Member));
        if (store)
        {
            var destination = a[1];
            if (result.Count == 0)
            {
                if (c.Server.DeleteKey(c.Db, destination)) c.Server.Dirty++;
                c.Reply.Integer(0);
                return;
            }
            var config = c.Server.Config;
            string @event = op switch { SetOperation.Union => "zunionstore", SetOperation.Inter => "zinterstore", _ => "zdiffstore" };
            StoreResult(c, SortedSetValue.Build(destination, result, config.ZsetMaxListpackEntries, config.ZsetMaxListpackValue), @event);
            c.Reply.Integer(result.Count);
            return;
        }
        ReplyEntriesHeader(c, result.Count, withScores);
        foreach (var (score, member) in result) ReplyEntry(c, member, score, withScores);
    }

    // ---- ZSCAN ----------------------------------------------------------------------------------

    /// <summary>
    /// ZSCAN key cursor [MATCH pattern] [COUNT count]: a compact set is returned whole with cursor
    /// 0; a tree-encoded one is walked through its hash table, COUNT members at a time (at most
    /// ten times as many buckets). Scores read as Redis writes them: the listpack's text
    /// (d2string) for a compact set, "%.17g" for the other.
    /// </summary>
    [Command("zscan")]
    static void ZScan(Client c, CommandArgs a)
    {
        var set = ScanOptions.ReadKey<SortedSetValue>(c, a, out ulong cursor, out long count, out int pattern);
        if (set is null) return;
        bool usePattern = ScanOptions.FiltersByPattern(a, pattern);
        var found = new List<(byte[] Member, double Score)>();
        if (set.IsPacked)
        {
            for (var walk = set.At(0); walk.IsValid; walk.MoveNext())
            {
                var member = walk.Read(out double score);
                found.Add((member.ToArray(), score));
            }
            cursor = 0;
        }
        else
        {
            // COUNT counts replies, and a member comes with its score.
            long wanted = count * 2, iterations = wanted * 10;
            do cursor = set.ScanStep(cursor, found);
            while (cursor != 0 && iterations-- > 0 && found.Count * 2 < wanted);
        }
        int kept = 0;
        foreach (var (member, _) in found)
            if (!usePattern || GlobPattern.Match(a[pattern], member, nocase: false)) kept++;
        ScanOptions.ReplyCursor(c, cursor);
        c.Reply.ArrayHeader(kept * 2);
        Span<byte> text = stackalloc byte[DoubleText.MaxLength];
        foreach (var (member, score) in found)
        {
            if (usePattern && !GlobPattern.Match(a[pattern], member, nocase: false)) continue;
            c.Reply.Bulk(member);
            c.Reply.Bulk(text[..(set.IsPacked ? DoubleText.FormatCompact(score, text) : DoubleText.Format(score, text))]);
        }
    }
}
