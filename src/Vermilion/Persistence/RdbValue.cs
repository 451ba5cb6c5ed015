using System.Buffers.Binary;
using System.Buffers;
using Vermilion.Protocol;
using Vermilion.Server;
using Vermilion.Storage;

namespace Vermilion.Persistence;

/// <summary>What <see cref="RdbValue.Read"/> made of the bytes.</summary>
public enum RdbReadResult { Ok, Empty, Corrupt }

/// <summary>
/// How far a value written element by element has got (<see cref="RdbValue.WriteElements"/>, the
/// AOF base's commands): a fork-less snapshot writes a big value across slices, and this is all it
/// keeps between them. <see cref="Elements"/> counts what is written; <see cref="Cursor"/> is where
/// the walk stands in the encoding (a hash's next pair, a list's next node).
/// </summary>
public struct ElementPosition
{
    public long Elements;
    public int Cursor;
}

/// <summary>
/// rdbSaveObject and rdbLoadObject for the collections Vermilion stores, in the RDB types Redis
/// 7.0 writes: a small encoding as its blob (an intset, a listpack) in one RDB string, a large
/// one as a count and its elements. Loading builds Vermilion's own encodings and honours the
/// current thresholds as Redis's loader does, so OBJECT ENCODING after RESTORE is redis-server's.
/// Unlike Redis with sanitize-dump-payload off (its default), every blob is checked in full
/// before anything is built: a payload Redis would store corrupt (duplicate fields, an
/// unsorted intset, a listpack whose count lies) is refused here instead.
/// </summary>
public static class RdbValue
{
    /// <summary>Writes the type byte and the value (a DUMP payload's start); false for a type with no RDB form here yet.</summary>
    public static bool TryWrite(RdbWriter writer, StoredObject value) => TryWrite(writer, value, default, keyed: false);

    /// <summary>rdbSaveKeyValuePair's tail in an RDB file: the type byte, the key, then the value.</summary>
    public static bool TryWriteKeyed(RdbWriter writer, ReadOnlySpan<byte> key, StoredObject value) => TryWrite(writer, value, key, keyed: true);

    static bool TryWrite(RdbWriter writer, StoredObject value, ReadOnlySpan<byte> key, bool keyed)
    {
        if (TypeOf(value) is not { } type) return false;
        writer.WriteType(type);
        if (keyed) writer.WriteString(key);
        if (value is QuickList or StreamValue || IsElementWise(value))
        {
            WriteElementCount(writer, value);
            var at = default(ElementPosition);
            long all = long.MaxValue;
            WriteElements(writer, value, ref at, ref all);
            return true;
        }
        switch (value)
        {
            case RawString s: writer.WriteString(s.Value); break;
            case SetValue set: WriteIntSet(writer, set); break;
            case HashValue hash: WriteHashListpack(writer, hash); break;
            case SortedSetValue zset: WriteSortedSetListpack(writer, zset); break;
        }
        return true;
    }

    /// <summary>
    /// A value in one of the element-wise encodings (a dict set, a dict hash, a skiplist sorted
    /// set, a quicklist of several nodes): written as a count and then its elements, so it can be
    /// written a bounded number of elements at a time (<see cref="WriteElements"/>). A compact
    /// encoding is one blob, bounded by its thresholds (hash-max-listpack-entries and the like),
    /// and is always written whole.
    /// </summary>
    public static bool IsElementWise(StoredObject value) =>
        value is SetValue { IsIntSet: false } or HashValue { IsListpack: false } or SortedSetValue { IsPacked: false } or QuickList { NodeCount: > 1 }
            or StreamValue { NodeCount: > 1 };

    /// <summary>
    /// rdbSaveKeyValuePair up to the elements of an element-wise value (<see cref="IsElementWise"/>):
    /// its type, <paramref name="key"/> and the count (a list's node count); the elements follow
    /// through <see cref="WriteElements"/>.
    /// </summary>
    public static void WriteKeyedHeader(RdbWriter writer, ReadOnlySpan<byte> key, StoredObject value)
    {
        writer.WriteType(TypeOf(value) ?? throw new InvalidOperationException($"no RDB form for a value of type {value.Type}"));
        writer.WriteString(key);
        WriteElementCount(writer, value);
    }

    static void WriteElementCount(RdbWriter writer, StoredObject value) => writer.WriteLength(value switch
    {
        QuickList list => (ulong)list.NodeCount,
        SetValue set => (ulong)set.Count,
        HashValue hash => (ulong)hash.Count,
        SortedSetValue zset => (ulong)zset.Count,
        StreamValue stream => (ulong)stream.NodeCount,
        _ => throw new InvalidOperationException($"a value of type {value.Type} is not written element by element"),
    });

    /// <summary>
    /// rdbSaveObject's loop over the elements of an element-wise value, from <paramref name="at"/>
    /// on while <paramref name="budget"/> lasts: a set member, a hash field and its value, a
    /// sorted set member and its score (from the highest rank down, as Redis walks its skiplist
    /// backwards so the loader appends) each cost one; a list node (one listpack: the unit the
    /// format has) costs its entries, and one is always written when any budget is left. True
    /// once every element is written. The value must not change between calls: <paramref name="at"/>
    /// is a position in it.
    /// </summary>
    public static bool WriteElements(RdbWriter writer, StoredObject value, ref ElementPosition at, ref long budget)
    {
        switch (value)
        {
            case SetValue set:
                for (; at.Elements < set.Count; at.Elements++, budget--)
                {
                    if (budget <= 0) return false;
                    writer.WriteString(set.MemberAt((int)at.Elements));
                }
                return true;
            case HashValue hash:
                for (int pair = at.Elements == 0 ? hash.FirstPair() : at.Cursor; pair >= 0; pair = hash.NextPair(pair), at.Elements++, budget--)
                {
                    if (budget <= 0)
                    {
                        at.Cursor = pair;
                        return false;
                    }
                    writer.WriteString(hash.FieldAt(pair));
                    writer.WriteString(hash.ValueAt(pair));
                }
                return true;
            case SortedSetValue zset:
            {
                Span<byte> bits = stackalloc byte[8];
                for (var c = zset.At(zset.Count - 1 - (int)at.Elements); c.IsValid; c.MovePrev(), at.Elements++, budget--)
                {
                    if (budget <= 0) return false;
                    writer.WriteString(c.Read(out double score));
                    BinaryPrimitives.WriteDoubleLittleEndian(bits, score);
                    writer.WriteRaw(bits);
                }
                return true;
            }
            case QuickList list:
                // RDB_TYPE_LIST_QUICKLIST_2: each node as a packed container (2) and its listpack.
                for (; at.Cursor < list.NodeCount; at.Cursor++)
                {
                    if (budget <= 0) return false;
                    int entries = list.NodeLength(at.Cursor);
                    var cursor = list.AtNode(at.Cursor);
                    using var lp = new ListpackBuilder(256);
                    for (int i = entries; i > 0; i--)
                    {
                        cursor.Next(out var entry);
                        if (entry.IsInteger) lp.Append(entry.Integer);
                        else lp.Append(entry.Bytes);
                    }
                    writer.WriteLength(PackedContainer);
                    writer.WriteString(lp.Finish());
                    at.Elements += entries;
                    budget -= entries;
                }
                return true;
            case StreamValue stream:
            {
                // RDB_TYPE_STREAM_LISTPACKS_2: each node as its master ID (16 bytes big-endian) and
                // its listpack as it is (a node costs its entries), then the metadata and groups.
                Span<byte> id = stackalloc byte[16];
                for (; at.Cursor < stream.NodeCount; at.Cursor++)
                {
                    if (budget <= 0) return false;
                    stream.NodeMaster(at.Cursor).WriteBigEndian(id);
                    writer.WriteString(id);
                    var lp = stream.NodeListpack(at.Cursor);
                    writer.WriteString(lp);
                    long entries = StreamValue.NodeEntries(lp);
                    at.Elements += entries;
                    budget -= entries;
                }
                WriteStreamTail(writer, stream);
                return true;
            }
            default:
                throw new InvalidOperationException($"a value of type {value.Type} is not written element by element");
        }
    }

    /// <summary>rdbSaveObject's stream after the nodes: length, last, first and max deleted IDs, entries added; each group with its global PEL and its consumers' PELs.</summary>
    static void WriteStreamTail(RdbWriter writer, StreamValue s)
    {
        writer.WriteLength((ulong)s.Length);
        WriteStreamId(writer, s.LastId);
        WriteStreamId(writer, s.FirstId);
        WriteStreamId(writer, s.MaxDeletedId);
        writer.WriteLength((ulong)s.EntriesAdded);
        writer.WriteLength((ulong)s.GroupCount);
        if (s.GroupCount == 0) return;
        Span<byte> raw = stackalloc byte[16];
        Span<byte> time = stackalloc byte[8];
        foreach (var group in s.Groups.Values)
        {
            writer.WriteString(group.Name);
            WriteStreamId(writer, group.LastId);
            writer.WriteLength((ulong)group.EntriesRead);
            writer.WriteLength((ulong)group.Pending.Count);
            foreach (var nack in group.Pending)
            {
                nack.Id.WriteBigEndian(raw);
                writer.WriteRaw(raw);
                BinaryPrimitives.WriteInt64LittleEndian(time, nack.DeliveryTime);
                writer.WriteRaw(time);
                writer.WriteLength((ulong)nack.DeliveryCount);
            }
            writer.WriteLength((ulong)group.Consumers.Count);
            foreach (var consumer in group.Consumers.Values)
            {
                writer.WriteString(consumer.Name);
                BinaryPrimitives.WriteInt64LittleEndian(time, consumer.SeenTime);
                writer.WriteRaw(time);
                writer.WriteLength((ulong)consumer.Pending.Count);
                foreach (var nack in consumer.Pending)
                {
                    nack.Id.WriteBigEndian(raw);
                    writer.WriteRaw(raw);
                }
            }
        }
    }

    static void WriteStreamId(RdbWriter writer, StreamId id)
    {
        writer.WriteLength(id.Ms);
        writer.WriteLength(id.Seq);
    }

    /// <summary>rdbSaveObjectType: the RDB type Redis 7.0 writes for the value's encoding; null for a type with no RDB form here yet.</summary>
    static RdbType? TypeOf(StoredObject value) => value switch
    {
        RawString => RdbType.String,
        SetValue set => set.IsIntSet ? RdbType.SetIntset : RdbType.Set,
        HashValue hash => hash.IsListpack ? RdbType.HashListpack : RdbType.Hash,
        QuickList => RdbType.ListQuicklist2,
        SortedSetValue zset => zset.IsPacked ? RdbType.ZSetListpack : RdbType.ZSet2,
        StreamValue => RdbType.StreamListpacks2,
        _ => null,
    };

    static void WriteIntSet(RdbWriter writer, SetValue set)
    {
        var ints = set.Ints;
        int size = IntSetBlob.Size(ints);
        var blob = ArrayPool<byte>.Shared.Rent(size);
        IntSetBlob.Write(ints, blob);
        writer.WriteString(blob.AsSpan(0, size));
        ArrayPool<byte>.Shared.Return(blob);
    }

    static void WriteHashListpack(RdbWriter writer, HashValue hash)
    {
        // Each Vermilion entry (varint length + bytes) grows by at most 9 bytes as a listpack entry.
        using var lp = new ListpackBuilder((int)Math.Min(Array.MaxLength, hash.ListpackBytes + 18L * hash.Count + 7));
        for (int pair = hash.FirstPair(); pair >= 0; pair = hash.NextPair(pair))
        {
            lp.Append(hash.FieldAt(pair));
            lp.Append(hash.ValueAt(pair));
        }
        writer.WriteString(lp.Finish());
    }

    /// <summary>
    /// RDB_TYPE_ZSET_LISTPACK: member and score alternate, a score kept as zzlInsertAt keeps it
    /// (an integer when the double is integral, else its d2string text). (RDB_TYPE_ZSET_2, the
    /// count and then each member with its score as 8 little-endian bytes, is <see cref="WriteElements"/>.)
    /// </summary>
    static void WriteSortedSetListpack(RdbWriter writer, SortedSetValue zset)
    {
        using var lp = new ListpackBuilder(64);
        Span<byte> text = stackalloc byte[DoubleText.MaxLength];
        for (var c = zset.At(0); c.IsValid; c.MoveNext())
        {
            lp.Append(c.Read(out double score));
            if (DoubleText.IsCompactInteger(score, out long integer)) lp.Append(integer);
            else lp.Append(text[..DoubleText.FormatCompact(score, text)]);
        }
        writer.WriteString(lp.Finish());
    }

    /// <summary>quicklist node containers: an element stored as it is (Redis's elements of 1 GB and more), or a listpack.</summary>
    const int PlainContainer = 1, PackedContainer = 2;

    /// <summary>
    /// Reads a value of <paramref name="type"/> (any type but a string) for <paramref name="key"/>;
    /// false when the data is truncated, malformed, empty, has duplicates, or is of a type Vermilion
    /// does not store yet (RESTORE answers "Bad data format" for all of these, as Redis does).
    /// </summary>
    public static bool TryRead(ref RdbReader reader, RdbType type, ReadOnlySpan<byte> key, Config config, out StoredObject? value) =>
        Read(ref reader, type, key, config, out value) == RdbReadResult.Ok;

    /// <summary>
    /// rdbLoadObject for every collection type Redis 7.0 loads, the old encodings included
    /// (zipmap, ziplists, quicklists of ziplists), converted as Redis converts them: into the
    /// compact encoding unless the current thresholds say otherwise. An empty collection is
    /// <see cref="RdbReadResult.Empty"/> (its bytes consumed), which an RDB file's loader skips
    /// as Redis does since #8453; anything else that does not make a value is
    /// <see cref="RdbReadResult.Corrupt"/>.
    /// </summary>
    public static RdbReadResult Read(ref RdbReader reader, RdbType type, ReadOnlySpan<byte> key, Config config, out StoredObject? value)
    {
        value = null;
        if (IsEmpty(ref reader, type)) return RdbReadResult.Empty;
        value = type switch
        {
            RdbType.Set => ReadSet(ref reader, key, config.SetMaxIntsetEntries),
            RdbType.SetIntset => ReadIntSet(ref reader, key, config.SetMaxIntsetEntries),
            RdbType.Hash => ReadHash(ref reader, key, config.HashMaxListpackEntries, config.HashMaxListpackValue),
            RdbType.HashListpack => ReadHashListpack(ref reader, key, config.HashMaxListpackEntries),
            RdbType.HashZiplist => ReadHashZiplist(ref reader, key, config.HashMaxListpackEntries),
            RdbType.HashZipmap => ReadHashZipmap(ref reader, key, config.HashMaxListpackEntries, config.HashMaxListpackValue),
            RdbType.ListQuicklist2 => ReadQuicklist(ref reader, key, config.ListMaxListpackSize),
            RdbType.ListQuicklist => ReadZiplistQuicklist(ref reader, key, config.ListMaxListpackSize),
            RdbType.ListZiplist => ReadListZiplist(ref reader, key, config.ListMaxListpackSize),
            RdbType.List => ReadList(ref reader, key, config.ListMaxListpackSize),
            RdbType.ZSetListpack => ReadSortedSetListpack(ref reader, key, config.ZsetMaxListpackEntries),
            RdbType.ZSetZiplist => ReadSortedSetZiplist(ref reader, key, config.ZsetMaxListpackEntries),
            RdbType.ZSet2 or RdbType.ZSet => ReadSortedSet(ref reader, key, binaryScores: type == RdbType.ZSet2,
                config.ZsetMaxListpackEntries, config.ZsetMaxListpackValue),
            RdbType.StreamListpacks or RdbType.StreamListpacks2 => ReadStream(ref reader, key, version2: type == RdbType.StreamListpacks2),
            _ => null,
        };
        if (value is null) return RdbReadResult.Corrupt;
        // A quicklist whose every node was empty (Redis skips empty nodes, then the key).
        return value is QuickList { Count: 0 } ? RdbReadResult.Empty : RdbReadResult.Ok;
    }

    /// <summary>
    /// rdbLoadObject's emptykey cases, looked at before anything is built: a count of 0 for the
    /// types that start with one, a listpack or ziplist blob without entries. The bytes are
    /// consumed only when the value is empty. (An empty intset or zipmap is corrupt, as in Redis.)
    /// </summary>
    static bool IsEmpty(ref RdbReader reader, RdbType type)
    {
        var peek = reader;
        switch (type)
        {
            case RdbType.List or RdbType.Set or RdbType.ZSet or RdbType.Hash or RdbType.ZSet2 or RdbType.ListQuicklist or RdbType.ListQuicklist2:
                if (!peek.TryReadLength(out ulong count) || count != 0) return false;
                break;
            case RdbType.HashListpack or RdbType.ZSetListpack or RdbType.ListZiplist or RdbType.ZSetZiplist or RdbType.HashZiplist:
                if (!peek.TryReadString(out var blob)) return false;
                using (blob)
                {
                    bool empty = type is RdbType.HashListpack or RdbType.ZSetListpack
                        ? ListpackReader.TryOpen(blob.Value, out var lp) && lp.Count == 0
                        : ZiplistReader.TryOpen(blob.Value, out var zl) && zl.Count == 0;
                    if (!empty) return false;
                }
                break;
            default:
                return false;
        }
        reader = peek;
        return true;
    }

    /// <summary>
    /// A count no larger than the bytes left (every element takes at least one per
    /// <paramref name="bytesPerItem"/>), so nothing is sized from a count the payload cannot hold.
    /// </summary>
    static bool TryReadCount(ref RdbReader reader, int bytesPerItem, out int count)
    {
        count = 0;
        if (!reader.TryReadLength(out ulong length) || length == 0) return false;
        if (length > (ulong)reader.Remaining / (ulong)bytesPerItem)
        {
            reader.NoteRanOut();
            return false;
        }
        count = (int)length;
        return true;
    }

    /// <summary>
    /// rdbLoadObject for RDB_TYPE_STREAM_LISTPACKS(_2), validated in full whatever
    /// sanitize-dump-payload says: every node key 16 bytes, every listpack a valid stream node
    /// (<see cref="StreamValue.ValidateNode"/>), no node twice, the length what the nodes count,
    /// no group, PEL entry or consumer twice, every consumer's entry in its group's PEL and owned
    /// once, every PEL entry owned. Type 15 (Redis 5 to 6.2) has no first ID, tombstone,
    /// entries-added or read counters: they are derived as 7.0 derives them.
    /// </summary>
    static StreamValue? ReadStream(ref RdbReader reader, ReadOnlySpan<byte> key, bool version2)
    {
        if (!reader.TryReadLength(out ulong nodes)) return null;
        var s = new StreamValue(key.ToArray());
        for (ulong n = 0; n < nodes; n++)
        {
            StreamId master;
            if (!reader.TryReadString(out var nodeKey)) return null;
            using (nodeKey)
            {
                if (nodeKey.Value.Length != 16) return null;
                master = StreamId.ReadBigEndian(nodeKey.Value);
            }
            if (!reader.TryReadString(out var lp)) return null;
            using (lp)
            {
                if (!StreamValue.ValidateNode(lp.Value) || !s.AddLoadedNode(master, lp.Value.ToArray())) return null;
            }
        }
        if (!reader.TryReadLength(out ulong length) || !TryReadStreamId(ref reader, out s.LastId)) return null;
        s.Length = (long)length;
        if (version2)
        {
            if (!TryReadStreamId(ref reader, out s.FirstId) || !TryReadStreamId(ref reader, out s.MaxDeletedId)
                || !reader.TryReadLength(out ulong added)) return null;
            s.EntriesAdded = (long)added;
        }
        else
        {
            s.EntriesAdded = s.Length;
            s.FirstId = s.EdgeId(first: true, skipTombstones: true);
        }
        if (s.Length < 0 || s.Length != s.CountedEntries()) return null;
        if (!reader.TryReadLength(out ulong groups)) return null;
        Span<byte> raw = stackalloc byte[16];
        for (ulong g = 0; g < groups; g++)
        {
            StreamGroup? group;
            if (!reader.TryReadString(out var name)) return null;
            using (name)
            {
                if (!TryReadStreamId(ref reader, out var lastId)) return null;
                long entriesRead;
                if (version2)
                {
                    if (!reader.TryReadCounter(out ulong read)) return null;
                    entriesRead = (long)read;
                }
                else entriesRead = s.EstimateDistanceFromFirstEverEntry(lastId);
                group = s.CreateGroup(name.Value, lastId, entriesRead);
            }
            if (group is null || !reader.TryReadLength(out ulong pel)) return null;
            for (ulong i = 0; i < pel; i++)
            {
                if (!reader.TryReadBytes(16, out var id) || !reader.TryReadBytes(8, out var time) || !reader.TryReadLength(out ulong deliveries))
                    return null;
                var nack = new PendingEntry(StreamId.ReadBigEndian(id), BinaryPrimitives.ReadInt64LittleEndian(time), (long)deliveries);
                if (!group.Pending.Add(nack)) return null;
            }
            if (!reader.TryReadLength(out ulong consumers)) return null;
            for (ulong i = 0; i < consumers; i++)
            {
                StreamConsumer? consumer;
                if (!reader.TryReadString(out var consumerName)) return null;
                using (consumerName)
                    consumer = group.CreateConsumer(consumerName.Value, 0);
                if (consumer is null || !reader.TryReadBytes(8, out var seen) || !reader.TryReadLength(out ulong owned)) return null;
                consumer.SeenTime = BinaryPrimitives.ReadInt64LittleEndian(seen);
                for (ulong j = 0; j < owned; j++)
                {
                    if (!reader.TryReadBytes(16, out var id)) return null;
                    var nack = group.FindPending(StreamId.ReadBigEndian(id));
                    if (nack is null || nack.Consumer is not null) return null;
                    nack.Consumer = consumer;
                    consumer.Pending.Add(nack);
                }
            }
            foreach (var nack in group.Pending)
                if (nack.Consumer is null) return null;
        }
        s.Settle();
        return s;
    }

    static bool TryReadStreamId(ref RdbReader reader, out StreamId id)
    {
        id = default;
        if (!reader.TryReadLength(out ulong ms) || !reader.TryReadLength(out ulong seq)) return false;
        id = new StreamId(ms, seq);
        return true;
    }

    /// <summary>RDB_TYPE_SET: an intset while it may stay one (count within set-max-intset-entries, integers only), as rdbLoadObject.</summary>
    static SetValue? ReadSet(ref RdbReader reader, ReadOnlySpan<byte> key, long maxIntsetEntries)
    {
        if (!TryReadCount(ref reader, 1, out int count)) return null;
        var set = new SetValue(key, forIntegers: count <= SetValue.IntsetLimit(maxIntsetEntries));
        set.Reserve(count, reader.Remaining);
        for (int i = 0; i < count; i++)
        {
            if (!reader.TryReadString(out var member)) return null;
            using (member)
                if (!set.Add(member.Value, maxIntsetEntries)) return null;
        }
        set.TrimExcess();
        return set;
    }

    static SetValue? ReadIntSet(ref RdbReader reader, ReadOnlySpan<byte> key, long maxIntsetEntries)
    {
        if (!reader.TryReadString(out var blob)) return null;
        using (blob)
            return IntSetBlob.TryRead(blob.Value, out var ints) ? SetValue.FromIntSet(key, ints, maxIntsetEntries) : null;
    }

    /// <summary>
    /// RDB_TYPE_HASH: a hashtable from the start past hash-max-listpack-entries, else a listpack
    /// until a field or value is longer than hash-max-listpack-value (or the listpack would pass
    /// 1 GB), as rdbLoadObject.
    /// </summary>
    static HashValue? ReadHash(ref RdbReader reader, ReadOnlySpan<byte> key, long maxEntries, long maxValue)
    {
        if (!TryReadCount(ref reader, 2, out int count)) return null;
        var hash = count > maxEntries ? HashValue.CreateTable(key, count) : new HashValue(key);
        for (int i = 0; i < count; i++)
        {
            if (!reader.TryReadString(out var field)) return null;
            using (field)
            {
                if (!reader.TryReadString(out var value)) return null;
                using (value)
                {
                    if (hash.IsListpack && (field.Value.Length > maxValue || value.Value.Length > maxValue
                        || hash.ListpackBytes + (long)field.Value.Length + value.Value.Length > HashValue.ListpackSafetyLimit))
                        hash.ConvertToTable();
                    if (!hash.AddIfAbsent(field.Value, value.Value)) return null;
                }
            }
        }
        return hash;
    }

    /// <summary>RDB_TYPE_HASH_LISTPACK: fields and values alternate; a listpack unless it has more than hash-max-listpack-entries pairs.</summary>
    static HashValue? ReadHashListpack(ref RdbReader reader, ReadOnlySpan<byte> key, long maxEntries)
    {
        if (!reader.TryReadString(out var blob)) return null;
        using (blob) return HashFromListpack(blob.Value, key, maxEntries);
    }

    static HashValue? HashFromListpack(ReadOnlySpan<byte> blob, ReadOnlySpan<byte> key, long maxEntries)
    {
        if (!ListpackReader.TryOpen(blob, out var lp) || lp.Count == 0 || lp.Count % 2 != 0) return null;
        int pairs = lp.Count / 2;
        HashValue hash;
        Span<byte> digits = stackalloc byte[20];
        if (pairs > maxEntries) hash = HashValue.CreateTable(key, pairs);
        else
        {
            // Sized once: the entries' lengths in Vermilion's layout.
            long bytes = 0;
            var sizing = lp;
            while (sizing.MoveNext()) bytes += HashValue.ListpackEntryBytes(sizing.Text(digits).Length);
            hash = new HashValue(key, (int)Math.Min(bytes, Array.MaxLength));
        }
        Span<byte> fieldDigits = stackalloc byte[20];
        while (lp.MoveNext())
        {
            var field = lp.Text(fieldDigits);
            lp.MoveNext();
            if (!hash.AddIfAbsent(field, lp.Text(digits))) return null;
        }
        return hash;
    }

    /// <summary>
    /// RDB_TYPE_HASH_ZIPLIST (Redis 3.2 to 6.2): converted to a listpack as Redis 7.0 does
    /// (ziplistPairsConvertAndValidateIntegrity: pairs, no duplicate field), then a hash table
    /// past hash-max-listpack-entries. As in Redis, value lengths are not checked here.
    /// </summary>
    static HashValue? ReadHashZiplist(ref RdbReader reader, ReadOnlySpan<byte> key, long maxEntries)
    {
        if (!reader.TryReadString(out var blob)) return null;
        using (blob)
        {
            if (!ZiplistReader.TryOpen(blob.Value, out var zl) || zl.Count % 2 != 0) return null;
            using var lp = new ListpackBuilder(blob.Value.Length);
            Span<byte> digits = stackalloc byte[20];
            while (zl.MoveNext()) lp.Append(zl.Text(digits));
            return HashFromListpack(lp.Finish(), key, maxEntries);
        }
    }

    /// <summary>
    /// RDB_TYPE_HASH_ZIPMAP (Redis 2.x): its pairs into a listpack, no duplicate field; a hash
    /// table past hash-max-listpack-entries or when a field or value is longer than
    /// hash-max-listpack-value, as Redis 7.0's loader converts it.
    /// </summary>
    static HashValue? ReadHashZipmap(ref RdbReader reader, ReadOnlySpan<byte> key, long maxEntries, long maxValue)
    {
        if (!reader.TryReadString(out var blob)) return null;
        using (blob)
        {
            if (!ZipmapReader.TryOpen(blob.Value, out var zm)) return null;
            using var lp = new ListpackBuilder(blob.Value.Length * 2);
            long longest = 0;
            while (zm.MoveNext())
            {
                longest = Math.Max(longest, Math.Max(zm.Field.Length, zm.Value.Length));
                lp.Append(zm.Field);
                lp.Append(zm.Value);
            }
            var hash = HashFromListpack(lp.Finish(), key, maxEntries);
            if (hash is { IsListpack: true } && longest > maxValue) hash.ConvertToTable();
            return hash;
        }
    }

    /// <summary>
    /// RDB_TYPE_LIST_QUICKLIST_2: nodes of either container. The elements are pushed into a list
    /// that splits them into nodes by list-max-listpack-size, where Redis keeps the nodes it was
    /// given; the contents are the same. Empty listpack nodes are skipped, as Redis does, but a
    /// list left with no element at all is refused.
    /// </summary>
    static QuickList? ReadQuicklist(ref RdbReader reader, ReadOnlySpan<byte> key, int fill)
    {
        if (!TryReadCount(ref reader, 2, out int nodes)) return null;
        var list = new QuickList(key.ToArray(), fill);
        Span<byte> digits = stackalloc byte[20];
        for (int n = 0; n < nodes; n++)
        {
            if (!reader.TryReadLength(out ulong container) || container is not (PlainContainer or PackedContainer)) return null;
            if (!reader.TryReadString(out var data)) return null;
            using (data)
            {
                if (data.Value.Length == 0) return null;
                if (container == PlainContainer)
                {
                    list.PushTail(data.Value);
                    continue;
                }
                if (!ListpackReader.TryOpen(data.Value, out var lp)) return null;
                while (lp.MoveNext()) list.PushTail(lp.Text(digits));
            }
        }
        return list;
    }

    /// <summary>
    /// RDB_TYPE_LIST_QUICKLIST (Redis 3.2 to 6.2): the node count, then each node as a ziplist;
    /// every element is pushed into a list split by list-max-listpack-size. An empty ziplist node
    /// is skipped, as Redis skips it.
    /// </summary>
    static QuickList? ReadZiplistQuicklist(ref RdbReader reader, ReadOnlySpan<byte> key, int fill)
    {
        if (!TryReadCount(ref reader, 1, out int nodes)) return null;
        var list = new QuickList(key.ToArray(), fill);
        Span<byte> digits = stackalloc byte[20];
        for (int n = 0; n < nodes; n++)
        {
            if (!reader.TryReadString(out var data)) return null;
            using (data)
            {
                if (data.Value.Length == 0 || !ZiplistReader.TryOpen(data.Value, out var zl)) return null;
                while (zl.MoveNext()) list.PushTail(zl.Text(digits));
            }
        }
        return list;
    }

    /// <summary>RDB_TYPE_LIST_ZIPLIST (Redis 2.6 to 3.0): one ziplist, its elements pushed into a list split by list-max-listpack-size.</summary>
    static QuickList? ReadListZiplist(ref RdbReader reader, ReadOnlySpan<byte> key, int fill)
    {
        if (!reader.TryReadString(out var data)) return null;
        using (data)
        {
            if (!ZiplistReader.TryOpen(data.Value, out var zl)) return null;
            var list = new QuickList(key.ToArray(), fill);
            Span<byte> digits = stackalloc byte[20];
            while (zl.MoveNext()) list.PushTail(zl.Text(digits));
            return list;
        }
    }

    /// <summary>RDB_TYPE_LIST (Redis before 3.2, and other tools): a count and the elements.</summary>
    static QuickList? ReadList(ref RdbReader reader, ReadOnlySpan<byte> key, int fill)
    {
        if (!TryReadCount(ref reader, 1, out int count)) return null;
        var list = new QuickList(key.ToArray(), fill);
        for (int i = 0; i < count; i++)
        {
            if (!reader.TryReadString(out var element)) return null;
            using (element) list.PushTail(element.Value);
        }
        return list;
    }

    /// <summary>
    /// RDB_TYPE_ZSET_LISTPACK: compact unless it holds more than zset-max-listpack-entries members,
    /// as rdbLoadObject. The entries must already be in order and distinct (Redis trusts that).
    /// </summary>
    static SortedSetValue? ReadSortedSetListpack(ref RdbReader reader, ReadOnlySpan<byte> key, long maxEntries)
    {
        if (!reader.TryReadString(out var blob)) return null;
        using (blob) return SortedSetFromListpack(blob.Value, key, maxEntries);
    }

    static SortedSetValue? SortedSetFromListpack(ReadOnlySpan<byte> blob, ReadOnlySpan<byte> key, long maxEntries)
    {
        if (!ListpackReader.TryOpen(blob, out var lp) || lp.Count == 0 || lp.Count % 2 != 0) return null;
        var entries = new List<(double Score, byte[] Member)>(lp.Count / 2);
        Span<byte> digits = stackalloc byte[20];
        while (lp.MoveNext())
        {
            var member = lp.Text(digits).ToArray();
            lp.MoveNext();
            double score;
            if (lp.IsInteger) score = lp.Integer;
            else if (!DoubleText.TryParse(lp.String, out score)) return null;
            if (entries.Count > 0 && ScoreTree.Compare(entries[^1].Score, entries[^1].Member, score, member) >= 0) return null;
            entries.Add((score, member));
        }
        // In order, a duplicate member could still hide under another score.
        if (!AllDistinct(entries)) return null;
        return SortedSetValue.Build(key, entries, packed: entries.Count <= maxEntries);
    }

    /// <summary>
    /// RDB_TYPE_ZSET_ZIPLIST (Redis 2.6 to 6.2): members and scores alternate as in the listpack
    /// form it is converted to; compact unless it holds more than zset-max-listpack-entries
    /// members, as Redis 7.0 converts it.
    /// </summary>
    static SortedSetValue? ReadSortedSetZiplist(ref RdbReader reader, ReadOnlySpan<byte> key, long maxEntries)
    {
        if (!reader.TryReadString(out var blob)) return null;
        using (blob)
        {
            if (!ZiplistReader.TryOpen(blob.Value, out var zl) || zl.Count % 2 != 0) return null;
            using var lp = new ListpackBuilder(blob.Value.Length);
            while (zl.MoveNext())
            {
                if (zl.IsInteger) lp.Append(zl.Integer);
                else lp.Append(zl.String);
            }
            return SortedSetFromListpack(lp.Finish(), key, maxEntries);
        }
    }

    /// <summary>
    /// RDB_TYPE_ZSET_2 (binary scores) and RDB_TYPE_ZSET (scores as text): members in any order,
    /// compact afterwards when the set is within both zset-max-listpack limits, as rdbLoadObject.
    /// </summary>
    static SortedSetValue? ReadSortedSet(ref RdbReader reader, ReadOnlySpan<byte> key, bool binaryScores, long maxEntries, long maxValue)
    {
        if (!TryReadCount(ref reader, binaryScores ? 9 : 2, out int count)) return null;
        var entries = new List<(double Score, byte[] Member)>(count);
        long longest = 0;
        for (int i = 0; i < count; i++)
        {
            if (!reader.TryReadString(out var member)) return null;
            byte[] copy;
            using (member) copy = member.Value.ToArray();
            if (!(binaryScores ? TryReadBinaryDouble(ref reader, out double score) : TryReadTextDouble(ref reader, out score)) || double.IsNaN(score))
                return null;
            longest = Math.Max(longest, copy.Length);
            entries.Add((score, copy));
        }
        if (!AllDistinct(entries)) return null;
        entries.Sort((a, b) => ScoreTree.Compare(a.Score, a.Member, b.Score, b.Member));
        return SortedSetValue.Build(key, entries, packed: count <= maxEntries && longest <= maxValue);
    }

    static bool AllDistinct(List<(double Score, byte[] Member)> entries)
    {
        var seen = new HashSet<byte[]>(entries.Count, ByteKeyComparer.Instance);
        foreach (var (_, member) in entries)
            if (!seen.Add(member)) return false;
        return true;
    }

    static bool TryReadBinaryDouble(ref RdbReader reader, out double value)
    {
        value = 0;
        if (!reader.TryReadBytes(8, out var bytes)) return false;
        value = BinaryPrimitives.ReadDoubleLittleEndian(bytes);
        return true;
    }

    /// <summary>rdbLoadDoubleValue: a length byte, 253/254/255 for nan/inf/-inf, else that many bytes of text.</summary>
    static bool TryReadTextDouble(ref RdbReader reader, out double value)
    {
        value = 0;
        if (!reader.TryReadByte(out byte length)) return false;
        switch (length)
        {
            case 253: value = double.NaN; return true;
            case 254: value = double.PositiveInfinity; return true;
            case 255: value = double.NegativeInfinity; return true;
        }
        return reader.TryReadBytes(length, out var text) && DoubleText.TryParse(text, out value);
    }
}
