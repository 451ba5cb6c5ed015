namespace Vermilion.Storage;

/// <summary>
/// A consumer group (stream.h's streamCG): the last delivered ID, the logical read counter
/// (entries-read, -1 when unknown), the pending entries list ordered by ID, and the consumers by
/// name in byte order (Redis keeps both in radix trees, so XINFO and the RDB list them in that
/// order).
/// </summary>
public sealed class StreamGroup(byte[] name, StreamId lastId, long entriesRead)
{
    /// <summary>SCG_INVALID_ENTRIES_READ.</summary>
    public const long InvalidEntriesRead = -1;

    public byte[] Name { get; } = name;
    public StreamId LastId = lastId;
    public long EntriesRead = entriesRead;
    public readonly SortedSet<PendingEntry> Pending = new(PendingEntry.ByIdComparer);
    /// <summary>In name order, for replies and the RDB; <see cref="_byName"/> finds one from a span without allocating.</summary>
    public readonly SortedDictionary<byte[], StreamConsumer> Consumers = new(ByteOrder.Instance);
    readonly Dictionary<byte[], StreamConsumer> _byName = new(ByteKeyComparer.Instance);
    /// <summary>The key a PEL lookup searches with (one per group, so XACK and XCLAIM allocate nothing to look).</summary>
    readonly PendingEntry _probe = new(default, 0, 0);

    public PendingEntry? FindPending(StreamId id)
    {
        _probe.Id = id;
        return Pending.TryGetValue(_probe, out var found) ? found : null;
    }

    /// <summary>The pending entries with IDs in [from, to], in order.</summary>
    public IEnumerable<PendingEntry> PendingBetween(StreamId from, StreamId to) => PendingEntry.Between(Pending, from, to);

    public StreamConsumer? FindConsumer(ReadOnlySpan<byte> name) =>
        _byName.GetAlternateLookup<ReadOnlySpan<byte>>().TryGetValue(name, out var c) ? c : null;

    /// <summary>streamCreateConsumer: null when the name exists.</summary>
    public StreamConsumer? CreateConsumer(ReadOnlySpan<byte> name, long nowMs)
    {
        if (FindConsumer(name) is not null) return null;
        var consumer = new StreamConsumer(name.ToArray(), nowMs);
        Consumers.Add(consumer.Name, consumer);
        _byName.Add(consumer.Name, consumer);
        _consumerBytes += ConsumerBytes(consumer);
        return consumer;
    }

    /// <summary>streamDelConsumer: its pending entries leave the group's PEL too.</summary>
    public void DeleteConsumer(StreamConsumer consumer)
    {
        foreach (var nack in consumer.Pending) Pending.Remove(nack);
        Consumers.Remove(consumer.Name);
        _byName.Remove(consumer.Name);
        _consumerBytes -= ConsumerBytes(consumer);
    }

    /// <summary>An entry leaves both PELs (XACK, a claim of a deleted entry).</summary>
    public void RemovePending(PendingEntry nack)
    {
        Pending.Remove(nack);
        nack.Consumer?.Pending.Remove(nack);
    }

    /// <summary>The entry now belongs to <paramref name="consumer"/> (moved from its former owner's PEL).</summary>
    public static void Assign(PendingEntry nack, StreamConsumer consumer)
    {
        if (nack.Consumer == consumer) return;
        nack.Consumer?.Pending.Remove(nack);
        consumer.Pending.Add(nack);
        nack.Consumer = consumer;
    }

    /// <summary>
    /// An estimate of the managed bytes the group holds (MEMORY USAGE, used_memory). Every pending
    /// entry is in exactly one consumer's PEL once a command is done (an XCLAIM FORCE entry or an
    /// RDB's entry has its owner before the command or the load ends), so each counts its share of
    /// both PELs here; the consumers' own bytes are a running total. Asked after every stream
    /// write: walking the consumers each time cost 30% of an XREADGROUP + XACK with 50 of them.
    /// </summary>
    public long Bytes => 160 + StoredObject.ArrayBytes(Name.Length) + Pending.Count * (120L + 48L) + _consumerBytes;

    long _consumerBytes;

    static long ConsumerBytes(StreamConsumer c) => 140 + StoredObject.ArrayBytes(c.Name.Length);

    public StreamGroup Copy()
    {
        var copy = new StreamGroup(Name, LastId, EntriesRead);
        var nacks = new Dictionary<PendingEntry, PendingEntry>();
        foreach (var nack in Pending)
        {
            var n = new PendingEntry(nack.Id, nack.DeliveryTime, nack.DeliveryCount);
            nacks[nack] = n;
            copy.Pending.Add(n);
        }
        foreach (var consumer in Consumers.Values)
        {
            var c = copy.CreateConsumer(consumer.Name, consumer.SeenTime)!;
            foreach (var nack in consumer.Pending)
            {
                var n = nacks[nack];
                n.Consumer = c;
                c.Pending.Add(n);
            }
        }
        return copy;
    }
}

/// <summary>streamConsumer: its name, when it was last seen (7.0 has one seen-time) and its own PEL, sharing the group's entries.</summary>
public sealed class StreamConsumer(byte[] name, long seenTime)
{
    public byte[] Name { get; } = name;
    public long SeenTime = seenTime;
    public readonly SortedSet<PendingEntry> Pending = new(PendingEntry.ByIdComparer);

    public IEnumerable<PendingEntry> PendingBetween(StreamId from, StreamId to) => PendingEntry.Between(Pending, from, to);
}

/// <summary>streamNACK: a delivered, unacknowledged entry: when it was last delivered, how many times, to whom.</summary>
public sealed class PendingEntry(StreamId id, long deliveryTime, long deliveryCount)
{
    /// <summary>Set only on a group's search key, never on an entry in a PEL (the set is ordered by it).</summary>
    public StreamId Id { get; internal set; } = id;
    public long DeliveryTime = deliveryTime;
    public long DeliveryCount = deliveryCount;
    /// <summary>Null only while an RDB's group is being read (the owners come after the global PEL) or for XCLAIM FORCE's new entry.</summary>
    public StreamConsumer? Consumer;

    public static readonly IComparer<PendingEntry> ByIdComparer = Comparer<PendingEntry>.Create((a, b) => a.Id.CompareTo(b.Id));

    internal static PendingEntry Probe(StreamId id) => new(id, 0, 0);

    internal static IEnumerable<PendingEntry> Between(SortedSet<PendingEntry> set, StreamId from, StreamId to)
    {
        if (set.Count == 0 || from > to) return [];
        return set.GetViewBetween(Probe(from), Probe(to));
    }
}

/// <summary>memcmp order with the shorter of two equal prefixes first: the order of Redis's radix trees (raxSeek "^" then raxNext).</summary>
public sealed class ByteOrder : IComparer<byte[]>
{
    public static readonly ByteOrder Instance = new();
    public int Compare(byte[]? x, byte[]? y) => x.AsSpan().SequenceCompareTo(y);
}
