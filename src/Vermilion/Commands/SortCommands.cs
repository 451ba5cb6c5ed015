using System.Text;
using Vermilion.Protocol;
using Vermilion.Server;
using Vermilion.Storage;

namespace Vermilion.Commands;

/// <summary>
/// SORT and SORT_RO (sort.c): the elements of a list, set or sorted set ordered by their own
/// value or by keys a BY pattern names (`*` replaced by the element, `->field` for a hash field),
/// numerically or byte-wise (ALPHA: strcoll, which in the C and C.UTF-8 locales Redis runs under
/// is strcmp, so it stops at a NUL), optionally cut by LIMIT, answered as the elements or as GET
/// patterns, or stored as a list (STORE, SORT only).
/// </summary>
public static partial class SortCommands
{
    /// <summary>
    /// sortGetKeys: the sorted key, and the last STORE's key. Options are skipped as Redis's scan
    /// does it: LIMIT takes two arguments, GET and BY one, and a STORE with an argument after it
    /// names that argument without skipping it.
    /// </summary>
    static bool SortGetKeys(Argv argv, List<KeyReference> keys)
    {
        keys.Add(new(1, KeySpecFlags.RO | KeySpecFlags.Access));
        int store = -1;
        for (int i = 2; i < argv.Count; i++)
        {
            if (Ascii.EqualsIgnoreCase(argv[i], "limit"u8)) i += 2;
            else if (Ascii.EqualsIgnoreCase(argv[i], "store"u8) && i + 1 < argv.Count) store = i + 1;
            else if (Ascii.EqualsIgnoreCase(argv[i], "get"u8) || Ascii.EqualsIgnoreCase(argv[i], "by"u8)) i += 1;
        }
        if (store > 0) keys.Add(new(store, KeySpecFlags.OW | KeySpecFlags.Update));
        return true;
    }

    /// <summary>sortROGetKeys: only the sorted key.</summary>
    static bool SortRoGetKeys(Argv argv, List<KeyReference> keys)
    {
        keys.Add(new(1, KeySpecFlags.RO | KeySpecFlags.Access));
        return true;
    }

    [Command("sort", GetKeys = nameof(SortGetKeys))] static void Sort(Client c, CommandArgs a) => SortGeneric(c, a, readOnly: false);
    [Command("sort_ro", GetKeys = nameof(SortRoGetKeys))] static void SortRo(Client c, CommandArgs a) => SortGeneric(c, a, readOnly: true);

    /// <summary>
    /// One element to sort: where its text is in <see cref="Gathered{T}.Bytes"/>, and what it sorts by (a
    /// score, or the BY key's text for ALPHA; ByLength -1 when that key is missing). No references:
    /// the sort moves items without GC write barriers (measured: with a byte[] per element and a
    /// closure comparer, SORT of a 100-element list ran at 0.6x redis-server's rate).
    /// </summary>
    struct Item
    {
        public int Offset, Length;
        public double Score;
        public int ByOffset, ByLength;
    }

    /// <summary>An element loaded for SORT: its text appended, nothing to sort by yet.</summary>
    static void Load(Gathered<Item> loaded, ReadOnlySpan<byte> element)
    {
        int offset = loaded.Append(element);
        loaded.Add() = new Item { Offset = offset, Length = element.Length, ByLength = -1 };
    }

    static ReadOnlySpan<byte> Element(Gathered<Item> loaded, in Item item) => loaded.Text(item.Offset, item.Length);

    /// <summary>
    /// sortCompare: numbers by score, equal scores by the elements' bytes; ALPHA by the BY keys'
    /// texts (a missing one first) or by the elements, with strcoll (up to a NUL) unless the
    /// result is stored, when Redis compares the whole bytes. qsort is glibc's merge sort: stable,
    /// so elements that compare equal keep their loaded order (DESC negates the comparison, it
    /// does not reverse ties); <see cref="Gathered{T}.SortStable"/> is stable too.
    /// </summary>
    readonly struct ItemOrder(byte[] bytes, bool alpha, bool byPattern, bool store, bool desc) : IComparer<Item>
    {
        public int Compare(Item x, Item y)
        {
            int cmp = Order(x, y);
            return desc ? -cmp : cmp;
        }

        int Order(in Item x, in Item y)
        {
            if (!alpha)
            {
                if (x.Score > y.Score) return 1;
                if (x.Score < y.Score) return -1;
                return Binary(Text(x.Offset, x.Length), Text(y.Offset, y.Length));
            }
            if (byPattern)
            {
                if (x.ByLength < 0 || y.ByLength < 0) return x.ByLength == y.ByLength ? 0 : x.ByLength < 0 ? -1 : 1;
                var xb = Text(x.ByOffset, x.ByLength);
                var yb = Text(y.ByOffset, y.ByLength);
                return store ? Binary(xb, yb) : Binary(CString(xb), CString(yb));
            }
            var xe = Text(x.Offset, x.Length);
            var ye = Text(y.Offset, y.Length);
            return store ? Binary(xe, ye) : Binary(CString(xe), CString(ye));
        }

        ReadOnlySpan<byte> Text(int offset, int length) => bytes.AsSpan(offset, length);
    }

    /// <summary>The C-string view of a pattern or element, as strchr/strstr/strcoll see it: up to the first NUL.</summary>
    static ReadOnlySpan<byte> CString(ReadOnlySpan<byte> s)
    {
        int nul = s.IndexOf((byte)0);
        return nul < 0 ? s : s[..nul];
    }

    /// <summary>
    /// sortCommandGeneric's user_has_full_key_access: BY and GET read keys that no key
    /// specification names, so the user (a script's caller, for a script) must read every key.
    /// </summary>
    static bool CanReadEveryKey(Client c, CommandArgs a, bool readOnly, ref bool? known)
    {
        known ??= c.Server.RequestingClient(c)?.User is not { Unrestricted: false } user
            || c.Server.Acl.CanReadEveryKey(user, c.Server.Commands.LookupOriginal(readOnly ? "sort_ro" : "sort")!, a);
        return known.Value;
    }

    static void SortGeneric(Client c, CommandArgs a, bool readOnly)
    {
        bool desc = false, alpha = false, dontSort = false;
        long limitStart = 0, limitCount = -1;
        int byArg = -1, storeArg = -1;
        List<int>? gets = null;
        bool? fullKeyAccess = null;
        for (int j = 2; j < a.Count; j++)
        {
            int left = a.Count - j - 1;
            if (a.Is(j, "asc")) desc = false;
            else if (a.Is(j, "desc")) desc = true;
            else if (a.Is(j, "alpha")) alpha = true;
            else if (a.Is(j, "limit") && left >= 2)
            {
                if (!LongArgument.Parse(c, a[j + 1], out limitStart) || !LongArgument.Parse(c, a[j + 2], out limitCount)) return;
                j += 2;
            }
            else if (!readOnly && a.Is(j, "store") && left >= 1) storeArg = ++j;
            else if (a.Is(j, "by") && left >= 1)
            {
                byArg = ++j;
                // A BY without '*' is constant: nothing to sort by, the elements keep their order.
                dontSort = CString(a[j]).IndexOf((byte)'*') < 0;
                if (!dontSort && !CanReadEveryKey(c, a, readOnly, ref fullKeyAccess))
                {
                    c.Reply.Error("BY option of SORT denied due to insufficient ACL permissions.");
                    return;
                }
            }
            else if (a.Is(j, "get") && left >= 1)
            {
                if (!CanReadEveryKey(c, a, readOnly, ref fullKeyAccess))
                {
                    c.Reply.Error("GET option of SORT denied due to insufficient ACL permissions.");
                    return;
                }
                (gets ??= []).Add(++j);
            }
            else
            {
                c.Reply.Error("syntax error");
                return;
            }
        }

        int index = c.Server.LookupKeyRead(c.Db, a[1]);
        var value = index < 0 ? null : c.Db.Keys.Object(index);
        if (index >= 0 && value is not (QuickList or SetValue or SortedSetValue)) throw WrongTypeException.Instance;
        bool store = storeArg > 0;

        // A set has no order of its own: with STORE or from a script the output must be the same
        // on replicas and in the AOF, so it is sorted (ALPHA) after all.
        if (dontSort && value is SetValue && (store || c.Server.ScriptRunning))
        {
            dontSort = false;
            alpha = true;
            byArg = -1;
        }

        long length = value switch
        {
            QuickList list => list.Count,
            SetValue set => set.Count,
            SortedSetValue zset => zset.Count,
            _ => 0,
        };
        // LIMIT clamped to the collection, as sortCommandGeneric does.
        long start = Math.Min(Math.Max(limitStart, 0), length);
        limitCount = Math.Min(Math.Max(limitCount, -1), length);
        long end = limitCount < 0 ? length - 1 : start + limitCount - 1;
        if (start >= length)
        {
            start = length - 1;
            end = length - 2;
        }
        if (end >= length) end = length - 1;

        // Loaded: the whole collection, or with a constant BY on a list or sorted set only the range asked for.
        var loaded = Gathered<Item>.Take();
        try
        {
            Span<byte> digits = stackalloc byte[24];
            if (dontSort && value is QuickList or SortedSetValue)
            {
                if (end >= start && length > 0) LoadRange(value, start, end - start + 1, desc, loaded, digits);
                end -= start;
                start = 0;
            }
            else if (value is QuickList list)
            {
                if (list.Count > 0)
                {
                    var cursor = list.At(0, forward: true);
                    while (cursor.Next(out var entry)) Load(loaded, entry.Text(digits));
                }
            }
            else if (value is SetValue set)
            {
                for (int i = 0; i < set.Count; i++) Load(loaded, set.MemberAt(i, digits));
            }
            else if (value is SortedSetValue zset && zset.Count > 0)
            {
                var cursor = zset.At(0);
                for (; cursor.IsValid; cursor.MoveNext()) Load(loaded, cursor.Member);
            }

            bool conversionError = false;
            if (!dontSort)
            {
                var itemSpan = loaded.Items.AsSpan(0, loaded.Count);
                for (int j = 0; j < itemSpan.Length; j++)
                {
                    ref var item = ref itemSpan[j];
                    ReadOnlySpan<byte> by;
                    if (byArg > 0)
                    {
                        if (!LookupByPattern(c, a[byArg], Element(loaded, item), out by)) continue;
                    }
                    else by = Element(loaded, item);
                    if (alpha)
                    {
                        if (byArg > 0) (item.ByOffset, item.ByLength) = (loaded.Append(by), by.Length);
                    }
                    // An integer as string2ll reads it is what strtod would make of it, without strtod's cost.
                    else if (IntegerText.TryParse(by, out long integer)) item.Score = integer;
                    else
                    {
                        // strtod over the C string: all of it must be the number (a NUL ends it), no overflow, no NaN.
                        var text = CString(by);
                        int used = DoubleText.Strtod(text, out item.Score, out bool rangeError);
                        if (used != text.Length || rangeError || double.IsNaN(item.Score)) conversionError = true;
                    }
                }
                loaded.SortStable(new ItemOrder(loaded.Bytes, alpha, byArg > 0, store, desc));
            }
            if (conversionError)
            {
                c.Reply.Error("One or more scores can't be converted into double");
                return;
            }
            Output(c, a, gets, storeArg, loaded, start, end);
        }
        finally { loaded.Release(); }
    }

    /// <summary>The sorted range as the reply, or stored as a list (STORE).</summary>
    static void Output(Client c, CommandArgs a, List<int>? gets, int storeArg, Gathered<Item> loaded, long start, long end)
    {
        long outputLength = (gets?.Count ?? 1) * (end - start + 1);
        if (storeArg < 0)
        {
            c.Reply.ArrayHeader(outputLength);
            for (long j = start; j <= end; j++)
            {
                var element = Element(loaded, loaded.Items[(int)j]);
                if (gets is null)
                {
                    c.Reply.Bulk(element);
                    continue;
                }
                foreach (int g in gets)
                {
                    if (LookupByPattern(c, a[g], element, out var found)) c.Reply.Bulk(found);
                    else c.Reply.Null();
                }
            }
            return;
        }

        var result = new List<byte[]>((int)Math.Max(outputLength, 0));
        for (long j = start; j <= end; j++)
        {
            var element = Element(loaded, loaded.Items[(int)j]);
            if (gets is null)
            {
                result.Add(element.ToArray());
                continue;
            }
            foreach (int g in gets)
                result.Add(LookupByPattern(c, a[g], element, out var found) ? found.ToArray() : []);
        }
        var destination = a[storeArg];
        if (outputLength > 0)
        {
            // setKey: the list replaces whatever the key held, its deadline too.
            c.Db.Delete(destination);
            var list = c.Db.AddList(destination, c.Server.Config.ListMaxListpackSize);
            foreach (var element in result) list.PushTail(element);
            c.Server.Notify(NotifyFlags.List, "sortstore", c.Db, destination);
            c.Server.Dirty += outputLength;
        }
        else if (c.Db.Delete(destination))
        {
            c.Server.Notify(NotifyFlags.Generic, "del", c.Db, destination);
            c.Server.Dirty++;
        }
        c.Reply.Integer(outputLength);
    }

    /// <summary>
    /// A constant BY on a list or a sorted set: their own order (a sorted set's by score), from
    /// the tail for DESC, only the LIMIT range loaded.
    /// </summary>
    static void LoadRange(StoredObject? value, long start, long count, bool desc, Gathered<Item> loaded, Span<byte> digits)
    {
        long taken = 0;
        if (value is QuickList list)
        {
            var cursor = list.At(desc ? list.Count - start - 1 : start, forward: !desc);
            while (taken++ < count && cursor.Next(out var entry)) Load(loaded, entry.Text(digits));
            return;
        }
        var zset = (SortedSetValue)value!;
        var at = zset.At((int)(desc ? zset.Count - 1 - start : start));
        for (; taken++ < count && at.IsValid; )
        {
            Load(loaded, at.Member);
            if (desc) at.MovePrev();
            else at.MoveNext();
        }
    }

    static int Binary(ReadOnlySpan<byte> x, ReadOnlySpan<byte> y) => Math.Sign(x.SequenceCompareTo(y));

    /// <summary>
    /// lookupKeyByPattern: "#" is the element itself; otherwise the first '*' is replaced by the
    /// element and the key read (lookupKeyRead: a hit or a miss), "->field" after the '*' reading
    /// that field of a hash. No '*', a missing key, a key of the wrong type (a hash without
    /// "->", anything else with it) or a missing field: false.
    /// </summary>
    static bool LookupByPattern(Client c, ReadOnlySpan<byte> pattern, ReadOnlySpan<byte> element, out ReadOnlySpan<byte> value)
    {
        value = default;
        if (pattern.Length > 0 && pattern[0] == '#' && (pattern.Length == 1 || pattern[1] == 0))
        {
            value = element;
            return true;
        }
        var text = CString(pattern);
        int star = text.IndexOf((byte)'*');
        if (star < 0) return false;
        int arrow = text[(star + 1)..].IndexOf("->"u8);
        int fieldAt = -1;
        // "->" must have something after it (a pattern ending in "->" names a plain key).
        if (arrow >= 0 && star + 1 + arrow + 2 < text.Length) fieldAt = star + 1 + arrow + 2;
        int postfixEnd = fieldAt < 0 ? pattern.Length : fieldAt - 2;
        Span<byte> key = pattern.Length + element.Length <= 512 ? stackalloc byte[pattern.Length + element.Length] : new byte[pattern.Length + element.Length];
        pattern[..star].CopyTo(key);
        element.CopyTo(key[star..]);
        pattern[(star + 1)..postfixEnd].CopyTo(key[(star + element.Length)..]);
        key = key[..(star + element.Length + postfixEnd - star - 1)];

        int index = c.Server.LookupKeyRead(c.Db, key);
        if (index < 0) return false;
        if (fieldAt >= 0)
        {
            return c.Db.Keys.Object(index) is HashValue hash && hash.TryGet(pattern[fieldAt..], out value);
        }
        return c.Db.Keys.TryGetString(index, out value);
    }
}
