using Vermilion.Protocol;
using Vermilion.Server;
using Vermilion.Storage;

namespace Vermilion.Commands;

/// <summary>
/// The hash family (t_hash.c) over <see cref="HashValue"/>: listpack or hashtable, converted by
/// hash-max-listpack-entries / hash-max-listpack-value as Redis does. Every command checks the
/// key's type before it replies or writes anything; an emptied hash is deleted.
/// </summary>
public static partial class HashCommands
{
    /// <summary>lookupKeyRead + checkType (<see cref="VermilionServer.LookupKeyRead{T}"/>): a hit even for another type, or a miss.</summary>
    static HashValue? Read(Client c, ReadOnlySpan<byte> key) => c.Server.LookupKeyRead<HashValue>(c.Db, key);

    /// <summary>
    /// hashTypeTryConversion: before a write, a listpack hash converts if any of the arguments
    /// a[first..last] is longer than hash-max-listpack-value, or if they would grow the listpack
    /// past its 1 GB safety limit.
    /// </summary>
    static void ConvertForArguments(HashValue hash, CommandArgs a, int first, int last, long maxValue)
    {
        if (!hash.IsListpack) return;
        long sum = 0;
        for (int i = first; i <= last; i++)
        {
            if (a.Length(i) > maxValue)
            {
                hash.ConvertToTable();
                return;
            }
            sum += a.Length(i);
        }
        if (hash.ListpackBytes + sum > HashValue.ListpackSafetyLimit) hash.ConvertToTable();
    }

    /// <summary>
    /// A new hash for the pairs a[first..]. When they all fit a listpack it is already the key's,
    /// a record in the keyspace (<paramref name="mustAdd"/> false); otherwise a hash the caller
    /// fills, converts and then adds.
    /// </summary>
    static HashValue NewHash(Client c, CommandArgs a, int first, out bool mustAdd)
    {
        var config = c.Server.Config;
        mustAdd = true;
        long bytes = 0;
        if ((a.Count - first) / 2 > config.HashMaxListpackEntries) return new HashValue(a[1]);
        for (int i = first; i < a.Count && bytes <= HashValue.ListpackSafetyLimit; i++)
        {
            if (a.Length(i) > config.HashMaxListpackValue) return new HashValue(a[1]);
            bytes += HashValue.ListpackEntryBytes(a.Length(i));
        }
        if (bytes > HashValue.ListpackSafetyLimit) return new HashValue(a[1]);
        mustAdd = false;
        return c.Db.AddHash(a[1]);
    }

    [Command("hset")] static void HSet(Client c, CommandArgs a) => SetPairs(c, a, reportAdded: true);
    [Command("hmset")] static void HMSet(Client c, CommandArgs a) => SetPairs(c, a, reportAdded: false);

    /// <summary>HSET answers how many fields were added; HMSET (deprecated) answers OK.</summary>
    static void SetPairs(Client c, CommandArgs a, bool reportAdded)
    {
        if (a.Count % 2 == 1)
        {
            c.Reply.Error(reportAdded ? "wrong number of arguments for 'hset' command" : "wrong number of arguments for 'hmset' command");
            return;
        }
        var config = c.Server.Config;
        var hash = c.Db.Get<HashValue>(a[1]);
        bool mustAdd = false;
        hash ??= NewHash(c, a, 2, out mustAdd);
        ConvertForArguments(hash, a, 2, a.Count - 1, config.HashMaxListpackValue);
        int added = 0;
        for (int i = 2; i < a.Count; i += 2)
            if (hash.Set(a[i], a[i + 1], config.HashMaxListpackEntries, config.HashMaxListpackValue)) added++;
        if (mustAdd) c.Db.Add(hash);
        // Every pair counts, new or not (hsetCommand adds (argc - 2) / 2).
        c.Server.Dirty += (a.Count - 2) / 2;
        c.Server.Notify(NotifyFlags.Hash, "hset", c.Db, a[1]);
        if (reportAdded) c.Reply.Integer(added);
        else c.Reply.Ok();
    }

    [Command("hsetnx")]
    static void HSetNx(Client c, CommandArgs a)
    {
        var hash = c.Db.Get<HashValue>(a[1]);
        if (hash is not null && hash.FindPair(a[2]) >= 0)
        {
            c.Reply.Integer(0);
            return;
        }
        var config = c.Server.Config;
        bool mustAdd = false;
        hash ??= NewHash(c, a, 2, out mustAdd);
        ConvertForArguments(hash, a, 2, 3, config.HashMaxListpackValue);
        hash.Set(a[2], a[3], config.HashMaxListpackEntries, config.HashMaxListpackValue);
        if (mustAdd) c.Db.Add(hash);
        c.Server.Dirty++;
        c.Server.Notify(NotifyFlags.Hash, "hset", c.Db, a[1]);
        c.Reply.Integer(1);
    }

    /// <summary>Stores a value computed by HINCRBY/HINCRBYFLOAT (hashTypeSet converts when it is too long).</summary>
    static void Store(Client c, HashValue? hash, CommandArgs a, ReadOnlySpan<byte> value, string @event)
    {
        var config = c.Server.Config;
        bool created = hash is null;
        hash ??= new HashValue(a[1]);
        hash.Set(a[2], value, config.HashMaxListpackEntries, config.HashMaxListpackValue);
        if (created) c.Db.Add(hash);
        c.Server.Dirty++;
        c.Server.Notify(NotifyFlags.Hash, @event, c.Db, a[1]);
    }

    [Command("hget")] static void HGet(Client c, CommandArgs a) => ReplyField(c, Read(c, a[1]), a[2]);

    /// <summary>A missing key reads as an empty hash: a nil for every field.</summary>
    [Command("hmget")]
    static void HMGet(Client c, CommandArgs a)
    {
        var hash = Read(c, a[1]);
        c.Reply.ArrayHeader(a.Count - 2);
        for (int i = 2; i < a.Count; i++) ReplyField(c, hash, a[i]);
    }

    /// <summary>addHashFieldToReply (HGET, HMGET): the field's value, nil when the hash or the field is missing.</summary>
    static void ReplyField(Client c, HashValue? hash, ReadOnlySpan<byte> field)
    {
        if (hash is not null && hash.TryGet(field, out var value)) c.Reply.Bulk(value);
        else c.Reply.Null();
    }

    [Command("hdel")] static void HDel(Client c, CommandArgs a) => MemberRemoval.Remove<HashValue>(c, a, NotifyFlags.Hash, "hdel");

    [Command("hlen")] static void HLen(Client c, CommandArgs a) => c.Reply.Integer(Read(c, a[1])?.Count ?? 0);

    [Command("hstrlen")]
    static void HStrLen(Client c, CommandArgs a)
    {
        var hash = Read(c, a[1]);
        c.Reply.Integer(hash is not null && hash.TryGet(a[2], out var value) ? value.Length : 0);
    }

    [Command("hexists")]
    static void HExists(Client c, CommandArgs a)
    {
        var hash = Read(c, a[1]);
        c.Reply.Integer(hash is not null && hash.FindPair(a[2]) >= 0 ? 1 : 0);
    }

    [Command("hkeys")] static void HKeys(Client c, CommandArgs a) => ReplyAll(c, a, fields: true, values: false);
    [Command("hvals")] static void HVals(Client c, CommandArgs a) => ReplyAll(c, a, fields: false, values: true);
    [Command("hgetall")] static void HGetAll(Client c, CommandArgs a) => ReplyAll(c, a, fields: true, values: true);

    /// <summary>genericHgetallCommand: HGETALL answers a map (RESP3), HKEYS and HVALS an array; in the hash's own order.</summary>
    static void ReplyAll(Client c, CommandArgs a, bool fields, bool values)
    {
        var hash = Read(c, a[1]);
        int count = hash?.Count ?? 0;
        if (fields && values) c.Reply.MapHeader(count);
        else c.Reply.ArrayHeader(count);
        if (hash is null) return;
        for (int pair = hash.FirstPair(); pair >= 0; pair = hash.NextPair(pair))
        {
            if (fields) c.Reply.Bulk(hash.FieldAt(pair));
            if (values) c.Reply.Bulk(hash.ValueAt(pair));
        }
    }

    /// <summary>hincrbyCommand: the increment is checked first, then the key's type, then the field's value.</summary>
    [Command("hincrby")]
    static void HIncrBy(Client c, CommandArgs a)
    {
        if (!LongArgument.Parse(c, a[3], out long by)) return;
        var hash = c.Db.Get<HashValue>(a[1]);
        long value = 0;
        if (hash is not null && hash.TryGet(a[2], out var old) && !IntegerText.TryParse(old, out value))
        {
            c.Reply.Error("hash value is not an integer");
            return;
        }
        if ((by < 0 && value < 0 && by < long.MinValue - value) || (by > 0 && value > 0 && by > long.MaxValue - value))
        {
            c.Reply.Error("increment or decrement would overflow");
            return;
        }
        value += by;
        Span<byte> text = stackalloc byte[20];
        Store(c, hash, a, text[..IntegerText.Format(value, text)], "hincrby");
        c.Reply.Integer(value);
    }

    /// <summary>hincrbyfloatCommand: computed in long double and stored as its "%.17Lf" text, as Redis (see <see cref="LongDouble"/>).</summary>
    [Command("hincrbyfloat")]
    static void HIncrByFloat(Client c, CommandArgs a)
    {
        if (!LongDouble.TryParse(a[3], out var by))
        {
            c.Reply.Error("value is not a valid float");
            return;
        }
        if (by.IsInfinity)
        {
            c.Reply.Error("value is NaN or Infinity");
            return;
        }
        var hash = c.Db.Get<HashValue>(a[1]);
        var value = LongDouble.FromInteger(0);
        if (hash is not null && hash.TryGet(a[2], out var old) && !LongDouble.TryParse(old, out value))
        {
            c.Reply.Error("hash value is not a float");
            return;
        }
        value += by;
        if (value.IsInfinity)
        {
            c.Reply.Error("increment would produce NaN or Infinity");
            return;
        }
        var text = System.Text.Encoding.ASCII.GetBytes(value.ToHumanString());
        Store(c, hash, a, text, "hincrbyfloat");
        c.Reply.Bulk(text);
        // Propagated as HSET of the value it made, so float formatting never differs on a replica or reload.
        c.Server.Rewrite(c, 4).Arg("HSET"u8).Arg(a[1]).Arg(a[2]).Arg(text);
    }

    /// <summary>HRANDFIELD key [count [WITHVALUES]]: the count is checked before the key.</summary>
    [Command("hrandfield")]
    static void HRandField(Client c, CommandArgs a)
    {
        if (a.Count >= 3)
        {
            if (!LongArgument.ParseInRange(c, a[2], -long.MaxValue, long.MaxValue, out long count)) return;
            if (a.Count > 4 || (a.Count == 4 && !a.Is(3, "withvalues")))
            {
                c.Reply.Error("syntax error");
                return;
            }
            bool withValues = a.Count == 4;
            // The reply to a count with values holds twice as many elements: that must fit a long.
            if (withValues && (count < -long.MaxValue / 2 || count > long.MaxValue / 2))
            {
                c.Reply.Error("value is out of range");
                return;
            }
            RandomFields(c, a, count, withValues);
            return;
        }
        var hash = Read(c, a[1]);
        if (hash is null)
        {
            c.Reply.Null();
            return;
        }
        c.Reply.Bulk(hash.FieldAt(hash.PairAt(c.Server.Random.Next(hash.Count))));
    }

    /// <summary>
    /// hrandfieldWithCountCommand. A negative count picks with repetition, in random order. A
    /// positive count gives distinct fields: the whole hash (in its order) when the count covers
    /// it, else a random subset (a partial shuffle when it is most of the hash, random picks
    /// otherwise; a listpack answers those in its own order, as Redis's lpRandomPairsUnique).
    /// </summary>
    static void RandomFields(Client c, CommandArgs a, long requested, bool withValues)
    {
        var hash = Read(c, a[1]);
        if (hash is null || requested == 0)
        {
            c.Reply.ArrayHeader(0);
            return;
        }
        var random = c.Server.Random;
        int size = hash.Count;
        bool nested = withValues && c.Reply.Resp == 3;
        // A listpack is reached by byte offsets: find every pair's once, rather than walk for each pick.
        int[]? offsets = null;
        if (hash.IsListpack)
        {
            offsets = new int[size];
            int n = 0;
            for (int pair = hash.FirstPair(); pair >= 0; pair = hash.NextPair(pair)) offsets[n++] = pair;
        }

        void Reply(int ordinal)
        {
            int pair = offsets is null ? ordinal : offsets[ordinal];
            if (nested) c.Reply.ArrayHeader(2);
            c.Reply.Bulk(hash.FieldAt(pair));
            if (withValues) c.Reply.Bulk(hash.ValueAt(pair));
        }

        if (requested < 0 || requested == 1)
        {
            long count = requested < 0 ? -requested : requested;
            c.Reply.ArrayHeader(withValues && !nested ? count * 2 : count);
            for (long i = 0; i < count; i++)
            {
                Reply(random.Next(size));
                // As Redis, stop early once the output buffer limit closes the client.
                if ((i & 1023) == 1023 && c.Reply.ListNodes > 0 && c.Server.CheckOutputBufferLimits(c, async: true)) break;
            }
            return;
        }
        int replied = (int)Math.Min(requested, size);
        c.Reply.ArrayHeader(withValues && !nested ? replied * 2L : replied);
        if (requested >= size)
        {
            for (int i = 0; i < size; i++) Reply(i);
            return;
        }
        int wanted = (int)requested;
        Span<int> chosen = wanted <= 256 ? stackalloc int[wanted] : new int[wanted];
        if (requested * 3 > size)
        {
            var all = new int[size];
            for (int i = 0; i < size; i++) all[i] = i;
            for (int i = 0; i < wanted; i++)
            {
                int j = i + random.Next(size - i);
                (all[i], all[j]) = (all[j], all[i]);
            }
            all.AsSpan(0, wanted).CopyTo(chosen);
        }
        else
        {
            var seen = new HashSet<int>(wanted);
            for (int n = 0; n < wanted;)
            {
                int ordinal = random.Next(size);
                if (seen.Add(ordinal)) chosen[n++] = ordinal;
            }
            if (offsets is not null) chosen.Sort();
        }
        foreach (int ordinal in chosen) Reply(ordinal);
    }

    /// <summary>
    /// HSCAN key cursor [MATCH pattern] [COUNT count]. A listpack hash answers everything at once
    /// with cursor 0 (whatever cursor was given), as Redis; a hashtable walks its buckets until
    /// COUNT pairs were found (at most 10×COUNT buckets). MATCH filters by field.
    /// </summary>
    [Command("hscan")]
    static void HScan(Client c, CommandArgs a)
    {
        var hash = ScanOptions.ReadKey<HashValue>(c, a, out ulong cursor, out long count, out int pattern);
        if (hash is null) return;
        var found = new List<int>();
        if (hash.IsListpack)
        {
            for (int pair = hash.FirstPair(); pair >= 0; pair = hash.NextPair(pair)) found.Add(pair);
            cursor = 0;
        }
        else
        {
            long iterations = count > long.MaxValue / 10 ? long.MaxValue : count * 10;
            do cursor = hash.ScanTable(cursor, found);
            while (cursor != 0 && iterations-- > 0 && found.Count < count);
        }
        bool anyPattern = ScanOptions.FiltersByPattern(a, pattern);
        int kept = 0;
        for (int i = 0; i < found.Count; i++)
            if (!anyPattern || GlobPattern.Match(a[pattern], hash.FieldAt(found[i]), nocase: false)) found[kept++] = found[i];
        ScanOptions.ReplyCursor(c, cursor);
        c.Reply.ArrayHeader(kept * 2L);
        for (int i = 0; i < kept; i++)
        {
            c.Reply.Bulk(hash.FieldAt(found[i]));
            c.Reply.Bulk(hash.ValueAt(found[i]));
        }
    }
}
