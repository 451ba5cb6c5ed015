using Vermilion.Protocol;
using Vermilion.Server;
using Vermilion.Storage;

namespace Vermilion.Commands;

/// <summary>
/// The set family (Redis 7.0's t_set.c behaviour) over <see cref="SetValue"/>: intset or hashtable
/// encodings with Redis's thresholds, WRONGTYPE for any source key of another type before anything
/// is replied or changed, results of SINTER/SUNION/SDIFF built as Redis builds them so that their
/// encodings and (for intsets) their order are Redis's.
/// </summary>
public static partial class SetCommands
{
    static long MaxIntsetEntries(Client c) => c.Server.Config.SetMaxIntsetEntries;

    /// <summary>lookupKeyRead + checkType (<see cref="VermilionServer.LookupKeyRead{T}"/>): a hit even for another type, or a miss.</summary>
    static SetValue? Read(Client c, ReadOnlySpan<byte> key) => c.Server.LookupKeyRead<SetValue>(c.Db, key);

    static void ReplyMember(Client c, SetValue set, int position)
    {
        if (set.IsIntSet) c.Reply.Bulk(set.IntegerAt(position));
        else c.Reply.Bulk(set.MemberAt(position));
    }

    /// <summary>A whole set as a RESP3 set (an array in RESP2), in its own order: ascending for an intset.</summary>
    static void ReplyAll(Client c, SetValue set)
    {
        c.Reply.SetHeader(set.Count);
        for (int i = 0; i < set.Count; i++) ReplyMember(c, set, i);
    }

    /// <summary>setKey for the STORE forms: the result replaces whatever the key held (and its deadline); an empty result deletes it.</summary>
    static void Store(Client c, ReadOnlySpan<byte> destination, SetValue result, string @event)
    {
        bool deleted = c.Db.Delete(destination);
        if (result.Count > 0)
        {
            c.Db.Add(result);
            c.Server.Notify(NotifyFlags.Set, @event, c.Db, destination);
            c.Server.Dirty++;
        }
        else if (deleted)
        {
            c.Server.Notify(NotifyFlags.Generic, "del", c.Db, destination);
            c.Server.Dirty++;
        }
        c.Reply.Integer(result.Count);
    }

    [Command("sadd")]
    static void SAdd(Client c, CommandArgs a)
    {
        long max = MaxIntsetEntries(c);
        var set = c.Db.Get<SetValue>(a[1]);
        bool mustAdd = false;
        if (set is null)
        {
            // Redis starts an intset and converts at the first non-integer; a hashtable from the
            // start ends the same (conversion is one way), without building what is thrown away.
            long bytes = 0;
            bool allIntegers = true;
            for (int i = 2; i < a.Count; i++)
            {
                bytes += a.Length(i);
                allIntegers = allIntegers && IntegerText.TryParse(a[i], out _);
            }
            // Up to the intset limit: a longer SADD converts anyway, and duplicates may be many.
            int members = (int)Math.Min(a.Count - 2, allIntegers ? Math.Min(max, IntSet.MaxCount) : int.MaxValue);
            // An intset that will stay one is a record from the start: nothing managed per new key.
            if (allIntegers && a.Count - 2 <= max) set = c.Db.AddIntSet(a[1]);
            else
            {
                set = new SetValue(a[1], forIntegers: allIntegers, intsetCapacity: members);
                set.Reserve(members, bytes);
                mustAdd = true;
            }
        }
        int added = 0;
        for (int i = 2; i < a.Count; i++)
            if (set.Add(a[i], max)) added++;
        if (mustAdd)
        {
            if (added < a.Count - 2) set.TrimExcess(); // repeated members: do not keep room for them
            c.Db.Add(set);
        }
        if (added > 0) c.Server.Notify(NotifyFlags.Set, "sadd", c.Db, a[1]);
        c.Server.Dirty += added;
        c.Reply.Integer(added);
    }

    [Command("srem")] static void SRem(Client c, CommandArgs a) => MemberRemoval.Remove<SetValue>(c, a, NotifyFlags.Set, "srem");

    [Command("scard")] static void SCard(Client c, CommandArgs a) => c.Reply.Integer(Read(c, a[1])?.Count ?? 0);

    [Command("sismember")] static void SIsMember(Client c, CommandArgs a) => c.Reply.Integer(Read(c, a[1])?.Contains(a[2]) == true ? 1 : 0);

    [Command("smismember")]
    static void SMIsMember(Client c, CommandArgs a)
    {
        var set = Read(c, a[1]);
        c.Reply.ArrayHeader(a.Count - 2);
        for (int i = 2; i < a.Count; i++) c.Reply.Integer(set is not null && set.Contains(a[i]) ? 1 : 0);
    }

    /// <summary>SMEMBERS is SINTER of one key in Redis 7.0: a missing key is an empty set.</summary>
    [Command("smembers")]
    static void SMembers(Client c, CommandArgs a)
    {
        var set = Read(c, a[1]);
        if (set is null) c.Reply.SetHeader(0);
        else ReplyAll(c, set);
    }

    /// <summary>
    /// SMOVE source destination member: a missing source answers 0 before any type is checked (as
    /// Redis 7.0); the same key on both sides only tells whether the member is there.
    /// </summary>
    [Command("smove")]
    static void SMove(Client c, CommandArgs a)
    {
        // smoveCommand signals the source only when the member left it, the destination only when it was added.
        c.Server.SignalsOwnKeys();
        if (c.Db.Lookup(a[1]) < 0)
        {
            c.Db.Lookup(a[2]); // Redis looks the destination up too (lazy expiry)
            c.Reply.Integer(0);
            return;
        }
        var source = c.Db.Get<SetValue>(a[1])!;
        var destination = c.Db.Get<SetValue>(a[2]);
        if (ReferenceEquals(source, destination))
        {
            c.Reply.Integer(source.Contains(a[3]) ? 1 : 0);
            return;
        }
        if (!source.Remove(a[3]))
        {
            c.Reply.Integer(0);
            return;
        }
        c.Server.Notify(NotifyFlags.Set, "srem", c.Db, a[1]);
        if (source.Count == 0)
        {
            c.Server.DeleteKey(c.Db, a[1]);
        }
        c.Server.SignalModifiedKey(c, a[1]);
        c.Server.Dirty++;
        bool added = true;
        if (destination is null)
        {
            destination = SetValue.CreateFor(a[2], a[3]);
            destination.Add(a[3], MaxIntsetEntries(c));
            c.Db.Add(destination);
        }
        else added = destination.Add(a[3], MaxIntsetEntries(c));
        if (added)
        {
            c.Server.Dirty++;
            c.Server.SignalModifiedKey(c, a[2]);
            c.Server.Notify(NotifyFlags.Set, "sadd", c.Db, a[2]);
        }
        c.Reply.Integer(1);
    }

    /// <summary>SPOP key [count]. The count is read before the key, and must not be negative.</summary>
    [Command("spop")]
    static void SPop(Client c, CommandArgs a)
    {
        if (a.Count > 3)
        {
            c.Reply.Error("syntax error");
            return;
        }
        if (a.Count == 3)
        {
            SPopCount(c, a);
            return;
        }
        var set = c.Db.Get<SetValue>(a[1]);
        if (set is null)
        {
            c.Reply.Null();
            return;
        }
        int position = c.Server.Random.Next(set.Count);
        ReplyMember(c, set, position);
        // A random pick is no effect to replay: SPOP goes as SREM of the member it took.
        if (c.Server.Propagating) RewriteAsSRem(c, a[1], set, position);
        set.RemoveAt(position);
        c.Server.Dirty++;
        c.Server.Notify(NotifyFlags.Set, "spop", c.Db, a[1]);
        if (set.Count == 0)
        {
            c.Server.DeleteKey(c.Db, a[1]);
        }
    }

    /// <summary>SREM of the member at <paramref name="position"/> (an intset's as decimal text), instead of the running command or beside it.</summary>
    static void RewriteAsSRem(Client c, ReadOnlySpan<byte> key, SetValue set, int position, bool beside = false)
    {
        Span<byte> digits = stackalloc byte[20];
        var effect = beside ? c.Server.AlsoPropagate(c.Db, 3) : c.Server.Rewrite(c, 3);
        effect.Arg("SREM"u8).Arg(key).Arg(set.MemberAt(position, digits));
    }

    static bool ParseCount(Client c, ReadOnlySpan<byte> text, out long count)
    {
        if (IntegerText.TryParse(text, out count) && count >= 0) return true;
        c.Reply.Error("value is out of range, must be positive");
        return false;
    }

    /// <summary>
    /// spopWithCountCommand's three cases, which decide what the key holds afterwards: the whole set
    /// (answered as SUNION of it, so an all-integer result comes sorted, then the key is deleted);
    /// a few members popped one by one; or, when few would remain, the survivors drawn into a new
    /// set (whose encoding follows them) and the rest of the old one answered. Propagated as a DEL
    /// in the first case, else as one SREM per member answered, in the order answered (Redis 7.0
    /// does not batch them; several go in MULTI/EXEC).
    /// </summary>
    static void SPopCount(Client c, CommandArgs a)
    {
        if (!ParseCount(c, a[2], out long count)) return;
        var set = c.Db.Get<SetValue>(a[1]);
        if (set is null || count == 0)
        {
            c.Reply.SetHeader(0);
            return;
        }
        int size = set.Count;
        var random = c.Server.Random;
        if (count >= size)
        {
            c.Server.Stats.KeyspaceHits++; // Redis answers through sunionDiffGenericCommand, whose lookupKeyRead counts a hit
            ReplyAll(c, Combine(c, [set], diff: false, Array.Empty<byte>()));
            c.Db.Delete(a[1]);
            c.Server.Dirty += size;
            c.Server.Rewrite(c, 2).Arg("DEL"u8).Arg(a[1]);
            c.Server.Notify(NotifyFlags.Set, "spop", c.Db, a[1]);
            c.Server.Notify(NotifyFlags.Generic, "del", c.Db, a[1]);
            return;
        }
        c.Server.Notify(NotifyFlags.Set, "spop", c.Db, a[1]);
        c.Server.Dirty += count;
        c.Server.PreventPropagation();
        c.Reply.SetHeader(count);
        long remaining = size - count;
        bool propagating = c.Server.Propagating;
        if (remaining * 5 > count)
        {
            for (long i = 0; i < count; i++)
            {
                int position = random.Next(set.Count);
                ReplyMember(c, set, position);
                if (propagating) RewriteAsSRem(c, a[1], set, position, beside: true);
                set.RemoveAt(position);
            }
            return;
        }
        SetValue? survivors = null;
        Span<byte> digits = stackalloc byte[20];
        long max = MaxIntsetEntries(c);
        for (long i = 0; i < remaining; i++)
        {
            int position = random.Next(set.Count);
            var member = set.MemberAt(position, digits);
            survivors ??= SetValue.CreateFor([], member); // only its contents are kept
            survivors.Add(member, max);
            set.RemoveAt(position);
        }
        for (int i = 0; i < set.Count; i++)
        {
            ReplyMember(c, set, i);
            if (propagating) RewriteAsSRem(c, a[1], set, i, beside: true);
        }
        set.TakeContents(survivors!);
    }

    /// <summary>SRANDMEMBER key [count]: a negative count may repeat members; a positive one never does.</summary>
    [Command("srandmember")]
    static void SRandMember(Client c, CommandArgs a)
    {
        if (a.Count > 3)
        {
            c.Reply.Error("syntax error");
            return;
        }
        var random = c.Server.Random;
        if (a.Count == 2)
        {
            var one = Read(c, a[1]);
            if (one is null) c.Reply.Null();
            else ReplyMember(c, one, random.Next(one.Count));
            return;
        }
        if (!LongArgument.ParseInRange(c, a[2], -long.MaxValue, long.MaxValue, out long l)) return;
        bool unique = l >= 0;
        long count = Math.Abs(l);
        var set = Read(c, a[1]);
        if (set is null || count == 0)
        {
            c.Reply.ArrayHeader(0);
            return;
        }
        int size = set.Count;
        if (!unique || count == 1)
        {
            c.Reply.ArrayHeader(count);
            for (long i = 0; i < count; i++)
            {
                ReplyMember(c, set, random.Next(size));
                // As Redis: stop producing once the client is to be closed for its output buffer.
                if ((i & 1023) == 1023 && c.Reply.ListNodes > 0 && c.Server.CheckOutputBufferLimits(c, async: true)) break;
            }
            return;
        }
        if (count >= size)
        {
            c.Reply.ArrayHeader(size);
            for (int i = 0; i < size; i++) ReplyMember(c, set, i);
            return;
        }
        c.Reply.ArrayHeader(count);
        if (count * 3 > size)
        {
            // Close to the whole set: a partial shuffle of all positions.
            var positions = new int[size];
            for (int i = 0; i < size; i++) positions[i] = i;
            for (int i = 0; i < count; i++)
            {
                int j = random.Next(i, size);
                (positions[i], positions[j]) = (positions[j], positions[i]);
                ReplyMember(c, set, positions[i]);
            }
            return;
        }
        var picked = new HashSet<int>((int)count);
        while (picked.Count < count)
        {
            int position = random.Next(size);
            if (picked.Add(position)) ReplyMember(c, set, position);
        }
    }

    /// <summary>The sets named by <paramref name="count"/> arguments from <paramref name="first"/> (null for missing keys); WRONGTYPE if any is another type.</summary>
    static SetValue?[] ReadAll(Client c, CommandArgs a, int first, int count)
    {
        var sets = new SetValue?[count];
        for (int j = 0; j < count; j++) sets[j] = Read(c, a[first + j]);
        return sets;
    }

    [Command("sinter")] static void SInter(Client c, CommandArgs a) => Intersect(c, a, ReadAll(c, a, 1, a.Count - 1), destination: -1, cardinalityOnly: false, limit: 0);
    [Command("sinterstore")] static void SInterStore(Client c, CommandArgs a) => Intersect(c, a, ReadAll(c, a, 2, a.Count - 2), destination: 1, cardinalityOnly: false, limit: 0);

    /// <summary>SINTERCARD numkeys key [key ...] [LIMIT limit]: the arguments are checked before any key is read.</summary>
    [Command("sintercard")]
    static void SInterCard(Client c, CommandArgs a)
    {
        if (!IntegerText.TryParse(a[1], out long numKeys) || numKeys < 1)
        {
            c.Reply.Error("numkeys should be greater than 0");
            return;
        }
        if (numKeys > a.Count - 2)
        {
            c.Reply.Error("Number of keys can't be greater than number of args");
            return;
        }
        long limit = 0;
        for (int i = 2 + (int)numKeys; i < a.Count; i++)
        {
            if (!a.Is(i, "limit") || i + 1 == a.Count)
            {
                c.Reply.Error("syntax error");
                return;
            }
            if (!IntegerText.TryParse(a[++i], out limit) || limit < 0)
            {
                c.Reply.Error("LIMIT can't be negative");
                return;
            }
        }
        Intersect(c, a, ReadAll(c, a, 2, (int)numKeys), destination: -1, cardinalityOnly: true, limit);
    }

    /// <summary>
    /// sinterGenericCommand: any missing key makes the result empty; otherwise the members of the
    /// smallest set that every other set has, in the smallest set's order. A stored result is built
    /// by adding them one by one to an intset, so it converts exactly when Redis's does.
    /// </summary>
    static void Intersect(Client c, CommandArgs a, SetValue?[] sets, int destination, bool cardinalityOnly, long limit)
    {
        if (Array.IndexOf(sets, null) >= 0)
        {
            if (destination > 0)
            {
                if (c.Server.DeleteKey(c.Db, a[destination])) c.Server.Dirty++;
                c.Reply.Integer(0);
            }
            else if (cardinalityOnly) c.Reply.Integer(0);
            else c.Reply.SetHeader(0);
            return;
        }
        // Smallest first (a stable insertion sort: there are few keys).
        for (int i = 1; i < sets.Length; i++)
        {
            var s = sets[i]!;
            int j = i - 1;
            for (; j >= 0 && sets[j]!.Count > s.Count; j--) sets[j + 1] = sets[j];
            sets[j + 1] = s;
        }
        var smallest = sets[0]!;
        var result = destination > 0 ? new SetValue(a[destination], forIntegers: true) : null;
        List<int>? positions = result is null && !cardinalityOnly ? new List<int>() : null;
        long max = MaxIntsetEntries(c);
        long cardinality = 0;
        for (int position = 0; position < smallest.Count; position++)
        {
            bool inAll = true;
            if (smallest.IsIntSet)
            {
                long value = smallest.IntegerAt(position);
                for (int j = 1; j < sets.Length && inAll; j++)
                    if (!ReferenceEquals(sets[j], smallest)) inAll = sets[j]!.ContainsInteger(value);
                if (inAll) result?.AddInteger(value, max);
            }
            else
            {
                var member = smallest.MemberAt(position);
                for (int j = 1; j < sets.Length && inAll; j++)
                    if (!ReferenceEquals(sets[j], smallest)) inAll = sets[j]!.Contains(member);
                if (inAll) result?.Add(member, max);
            }
            if (!inAll) continue;
            cardinality++;
            positions?.Add(position);
            if (cardinalityOnly && limit > 0 && cardinality >= limit) break;
        }
        if (cardinalityOnly) c.Reply.Integer(cardinality);
        else if (result is not null) Store(c, a[destination], result, "sinterstore");
        else
        {
            c.Reply.SetHeader(positions!.Count);
            foreach (int position in positions) ReplyMember(c, smallest, position);
        }
    }

    [Command("sunion")] static void SUnion(Client c, CommandArgs a) => ReplyAll(c, Combine(c, ReadAll(c, a, 1, a.Count - 1), diff: false, Array.Empty<byte>()));
    [Command("sdiff")] static void SDiff(Client c, CommandArgs a) => ReplyAll(c, Combine(c, ReadAll(c, a, 1, a.Count - 1), diff: true, Array.Empty<byte>()));

    [Command("sunionstore")]
    static void SUnionStore(Client c, CommandArgs a)
    {
        var sets = ReadAll(c, a, 2, a.Count - 2);
        Store(c, a[1], Combine(c, sets, diff: false, a.ToArray(1)), "sunionstore");
    }

    [Command("sdiffstore")]
    static void SDiffStore(Client c, CommandArgs a)
    {
        var sets = ReadAll(c, a, 2, a.Count - 2);
        Store(c, a[1], Combine(c, sets, diff: true, a.ToArray(1)), "sdiffstore");
    }

    /// <summary>
    /// sunionDiffGenericCommand: the union, or the members of the first set in none of the others,
    /// as a new set that starts as an intset. For a difference Redis picks one of two algorithms
    /// by the work each would do, and the choice shows in the result's encoding (the second adds
    /// the whole first set, then removes), so the same choice is made here.
    /// </summary>
    static SetValue Combine(Client c, SetValue?[] sets, bool diff, byte[] key)
    {
        var result = new SetValue(key, forIntegers: true);
        long max = MaxIntsetEntries(c);
        var first = sets[0];
        if (!diff)
        {
            foreach (var set in sets)
                if (set is not null) AddAll(result, set, max);
            return result;
        }
        if (first is null) return result;
        long algorithmOneWork = 0, algorithmTwoWork = 0;
        for (int j = 0; j < sets.Length; j++)
        {
            if (sets[j] is null) continue;
            if (j > 0 && ReferenceEquals(sets[j], first)) return result; // the first set minus itself
            algorithmOneWork += first.Count;
            algorithmTwoWork += sets[j]!.Count;
        }
        if (algorithmOneWork / 2 <= algorithmTwoWork)
        {
            for (int position = 0; position < first.Count; position++)
            {
                bool elsewhere = false;
                if (first.IsIntSet)
                {
                    long value = first.IntegerAt(position);
                    for (int j = 1; j < sets.Length && !elsewhere; j++) elsewhere = sets[j]?.ContainsInteger(value) == true;
                    if (!elsewhere) result.AddInteger(value, max);
                }
                else
                {
                    var member = first.MemberAt(position);
                    for (int j = 1; j < sets.Length && !elsewhere; j++) elsewhere = sets[j]?.Contains(member) == true;
                    if (!elsewhere) result.Add(member, max);
                }
            }
            return result;
        }
        AddAll(result, first, max);
        Span<byte> digits = stackalloc byte[20];
        for (int j = 1; j < sets.Length && result.Count > 0; j++)
        {
            var set = sets[j];
            if (set is null) continue;
            for (int position = 0; position < set.Count && result.Count > 0; position++) result.Remove(set.MemberAt(position, digits));
        }
        return result;
    }

    static void AddAll(SetValue result, SetValue set, long max)
    {
        if (set.IsIntSet)
            for (int i = 0; i < set.Count; i++) result.AddInteger(set.IntegerAt(i), max);
        else
            for (int i = 0; i < set.Count; i++) result.Add(set.MemberAt(i), max);
    }

    /// <summary>
    /// SSCAN key cursor [MATCH pattern] [COUNT count]: the cursor is checked first, then the key
    /// (missing: an empty scan, whatever the options), then the options. An intset answers
    /// everything at once with cursor 0, as Redis; a hashtable is walked bucket by bucket.
    /// </summary>
    [Command("sscan")]
    static void SScan(Client c, CommandArgs a)
    {
        var set = ScanOptions.ReadKey<SetValue>(c, a, out ulong cursor, out long count, out int pattern);
        if (set is null) return;
        bool anyPattern = ScanOptions.FiltersByPattern(a, pattern);
        Span<byte> digits = stackalloc byte[20];
        if (set.IsIntSet)
        {
            int matched = 0;
            for (int i = 0; i < set.Count; i++)
                if (!anyPattern || GlobPattern.Match(a[pattern], set.MemberAt(i, digits), nocase: false)) matched++;
            c.Reply.ArrayHeader(2);
            c.Reply.Bulk("0"u8);
            c.Reply.ArrayHeader(matched);
            for (int i = 0; i < set.Count; i++)
            {
                var member = set.MemberAt(i, digits);
                if (!anyPattern || GlobPattern.Match(a[pattern], member, nocase: false)) c.Reply.Bulk(member);
            }
            return;
        }
        var found = new List<int>();
        // As Redis: at most ten buckets per wanted member, so a sparse table cannot stall the loop
        // (the product wraps as Redis's long does, and a wrapped budget never runs out).
        long iterations = unchecked(count * 10);
        do cursor = set.Scan(cursor, found);
        while (cursor != 0 && iterations-- != 0 && found.Count < count);
        int replied = found.Count;
        if (anyPattern)
        {
            replied = 0;
            for (int i = 0; i < found.Count; i++)
                if (GlobPattern.Match(a[pattern], set.MemberAt(found[i]), nocase: false)) found[replied++] = found[i];
        }
        ScanOptions.ReplyCursor(c, cursor);
        c.Reply.ArrayHeader(replied);
        for (int i = 0; i < replied; i++) c.Reply.Bulk(set.MemberAt(found[i]));
    }
}
