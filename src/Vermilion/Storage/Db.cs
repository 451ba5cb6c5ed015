using Vermilion.Protocol;
using Vermilion.Server;

namespace Vermilion.Storage;

/// <summary>
/// One database: a <see cref="Keyspace"/> of keys, values and deadlines (Unix ms), with Redis's
/// lookup rules on top: a key past its deadline is deleted when touched (lazy expiry) or by
/// <see cref="ActiveExpireCycle"/> from serverCron; reads and writes update the key's LRU clock
/// or LFU counter for eviction. Keys arrive as spans straight from the query buffer, so a GET or
/// a same-size SET allocates nothing.
/// </summary>
public delegate void KeySignal(Db db, ReadOnlySpan<byte> key);
public enum KeyRemoval { Expired, Evicted }
public delegate void KeyRemovedHandler(Db db, ReadOnlySpan<byte> key, KeyRemoval why);

public sealed class Db(int id, Func<long> nowMs, Stats stats, Eviction eviction, ValueViews? views = null, bool slotIndexed = false)
{
    public int Id { get; } = id;
    /// <summary>Lends the views of compact collections (<see cref="ValueViews"/>); the server shares one between its databases.</summary>
    public ValueViews Views { get; } = views ??= new();
    /// <summary>Cluster mode: every keyspace this database gets keeps the per-slot key index (<see cref="SlotIndex"/>).</summary>
    readonly bool _slotIndexed = slotIndexed;
    public Keyspace Keys { get; private set; } = new(views, slotIndexed);

    /// <summary>INFO keyspace avg_ttl: a running estimate from the keys the active cycle samples, as Redis's.</summary>
    public long AverageTtl { get; private set; }
    int _expireCursor;

    public int Count => Keys.Count;
    public int ExpiresCount => Keys.VolatileCount;

    /// <summary>lookupKey: the entry of a live key (deleting it if it just expired), or -1.</summary>
    public int Lookup(ReadOnlySpan<byte> key, bool touch = true)
    {
        int index = Keys.Find(key);
        if (index < 0) return -1;
        long deadline = Keys.Deadline(index);
        if (deadline != 0 && deadline <= nowMs())
        {
            // expireIfNeeded: while clients are paused the dataset stays as it is; the key only reads as gone.
            if (DatasetFrozen?.Invoke() != true) RemoveExpired(key);
            return -1;
        }
        if (touch)
        {
            // The clock moves once a second: most reads find the field already current and store nothing.
            uint access = Keys.Lru(index), touched = eviction.Touch(access);
            if (touched != access) Keys.SetLru(index, touched);
        }
        return index;
    }

    /// <summary>
    /// keyIsExpired's complement: the key is there and not past its deadline. Nothing is deleted,
    /// so asking propagates nothing (WATCH, EXEC's check and FLUSHDB's touching of watched keys
    /// only ask in Redis; a lookup would expire the key and propagate its DEL).
    /// </summary>
    public bool IsLive(ReadOnlySpan<byte> key)
    {
        int index = Keys.Find(key);
        if (index < 0) return false;
        long deadline = Keys.Deadline(index);
        return deadline == 0 || deadline > nowMs();
    }

    /// <summary>EXISTS and TYPE look without counting as an access, as Redis's LOOKUP_NOTOUCH.</summary>
    public bool Exists(ReadOnlySpan<byte> key) => Lookup(key, touch: false) >= 0;

    /// <summary>The string value of a live key (lazy expiry applies; no hit/miss counting); WRONGTYPE for other types.</summary>
    public bool TryGetString(ReadOnlySpan<byte> key, out ReadOnlySpan<byte> value)
    {
        bool found = TryGetStringOrOther(key, out value, out bool other);
        if (other) throw WrongTypeException.Instance;
        return found;
    }

    /// <summary>As <see cref="TryGetString"/>, but a key of another type only sets <paramref name="otherType"/> (MGET answers nil for it).</summary>
    public bool TryGetStringOrOther(ReadOnlySpan<byte> key, out ReadOnlySpan<byte> value, out bool otherType)
    {
        value = default;
        otherType = false;
        int index = Lookup(key);
        if (index < 0) return false;
        if (Keys.TryGetString(index, out value)) return true;
        otherType = true;
        return false;
    }

    /// <summary>
    /// lookupKey + checkType for a collection: the live value, or null when the key is missing;
    /// WRONGTYPE when it holds another type. Counts as an access (LRU/LFU), not as a hit or miss.
    /// A compact collection comes as a view of its record, valid until the command ends.
    /// </summary>
    public T? Get<T>(ReadOnlySpan<byte> key) where T : StoredObject
    {
        int index = Lookup(key);
        if (index < 0) return null;
        return Keys.Object(index) as T ?? throw WrongTypeException.Instance;
    }

    /// <summary>
    /// dbAdd: a new key holding <paramref name="value"/> (the key must not exist); wakes clients
    /// blocked on it. A compact collection is copied into a record and <paramref name="value"/>
    /// becomes a view of it for the rest of the command (<see cref="Keyspace.Store"/>).
    /// </summary>
    public void Add(StoredObject value)
    {
        int index = Keys.AddOrFind(value.Key, out _);
        Keys.Store(index, value);
        Keys.SetLru(index, eviction.NewAccess());
        KeyAdded?.Invoke(this, value.Key);
    }

    /// <summary>
    /// dbAdd of an empty collection in its compact encoding, made straight into a record and seen
    /// through a pooled view for the rest of the command: a new key allocates nothing managed (a
    /// value built first and copied in left its object and array behind as garbage, ~18 MB of
    /// collector budget committed after building 100k hashes).
    /// </summary>
    public HashValue AddHash(ReadOnlySpan<byte> key) => AddRecord<HashValue>(key, RecordKind.Hash, HashValue.EmptyRecordBytes);

    /// <inheritdoc cref="AddHash"/>
    public SetValue AddIntSet(ReadOnlySpan<byte> key) => AddRecord<SetValue>(key, RecordKind.IntSet, IntSet.EmptyRecordBytes);

    /// <inheritdoc cref="AddHash"/>
    public SortedSetValue AddSortedSet(ReadOnlySpan<byte> key) => AddRecord<SortedSetValue>(key, RecordKind.SortedSet, SortedSetValue.EmptyRecordBytes);

    /// <inheritdoc cref="AddHash"/>
    public QuickList AddList(ReadOnlySpan<byte> key, int fill) => AddRecord<QuickList>(key, RecordKind.List, QuickList.EmptyRecordBytes, fill);

    T AddRecord<T>(ReadOnlySpan<byte> key, RecordKind kind, int emptyBytes, int listFill = 0) where T : StoredObject
    {
        int index = Keys.AddOrFind(key, out _);
        var value = Keys.SetRecord(index, kind, key, emptyBytes);
        // Every empty compact value is zeros but a list's, whose node header says where it ends.
        if (kind == RecordKind.List) QuickList.WriteEmptyRecord(value, listFill);
        else value.Clear();
        Keys.SetLru(index, eviction.NewAccess());
        KeyAdded?.Invoke(this, key);
        return (T)Keys.Object(index)!;
    }

    /// <summary>signalKeyAsReady: told of every key that comes into being (clients blocked on it may now be served).</summary>
    public KeySignal? KeyAdded;

    /// <summary>setKey: stores <paramref name="value"/> and drops any deadline the key had.</summary>
    public void Set(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value) => Store(key, value, keepTtl: false);

    /// <summary>Changes the value of a key and keeps its deadline (INCR, SET KEEPTTL).</summary>
    public void Overwrite(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value) => Store(key, value, keepTtl: true);

    /// <summary>
    /// Overwrite for a value Redis creates with createStringObject, never trying the integer
    /// encoding (INCRBYFLOAT's result is embstr even when it reads "3").
    /// </summary>
    public void OverwriteText(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value) => Store(key, value, keepTtl: true, integerEncoding: false);

    /// <summary>setKey with a raw-encoded value that the keyspace now owns (BITOP's result); the deadline is dropped.</summary>
    public void SetRaw(ReadOnlySpan<byte> key, byte[] value)
    {
        int index = AddOrReplace(key, out bool existed);
        Keys.SetObject(index, new RawString(key.ToArray(), value, value.Length));
        Keys.SetEncoding(index, StringEncoding.Raw, shared: false);
        if (existed) Keys.ClearDeadline(index);
    }

    void Store(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, bool keepTtl, bool integerEncoding = true)
    {
        int index = AddOrReplace(key, out bool existed);
        Keys.SetString(index, key, value);
        // tryObjectEncoding: integers up to 20 characters are "int" (0..9999 shared), short strings embstr.
        long n = 0;
        bool isInteger = integerEncoding && value.Length <= 20 && IntegerText.TryParse(value, out n);
        bool shared = isInteger && n is >= 0 and < 10000 && eviction.SharesIntegers;
        Keys.SetEncoding(index, isInteger ? StringEncoding.Int : value.Length <= 44 ? StringEncoding.Embstr : StringEncoding.Raw, shared);
        if (existed && !keepTtl) Keys.ClearDeadline(index);
    }

    /// <summary>The entry for a write: an existing live key (LFU keeps its counter, LRU is refreshed) or a new one.</summary>
    int AddOrReplace(ReadOnlySpan<byte> key, out bool existed)
    {
        int index = Lookup(key, touch: false);
        existed = index >= 0;
        if (!existed)
        {
            index = Keys.AddOrFind(key, out _);
            KeyAdded?.Invoke(this, key);
        }
        Keys.SetLru(index, existed && eviction.UsesLfu ? Keys.Lru(index) : eviction.NewAccess());
        return index;
    }

    /// <summary>
    /// The key's value as a writable span of at least <paramref name="minLength"/> bytes, created
    /// (zero-filled) when missing or zero-padded when shorter, as SETRANGE, SETBIT and BITFIELD
    /// need. The key keeps its deadline; the value is now raw-encoded.
    /// </summary>
    public Span<byte> GetWritable(ReadOnlySpan<byte> key, int minLength)
    {
        int index = AddOrReplace(key, out bool existed);
        var item = existed ? Keys.Object(index) : null;
        if (item is not null and not RawString) throw WrongTypeException.Instance;
        if (item is not RawString raw)
        {
            ReadOnlySpan<byte> value = default;
            if (existed) Keys.TryGetString(index, out value);
            var buffer = new byte[Math.Max(minLength, value.Length)];
            value.CopyTo(buffer);
            raw = new RawString(key.ToArray(), buffer, value.Length);
            Keys.SetObject(index, raw);
            Keys.SetEncoding(index, StringEncoding.Raw, shared: false);
        }
        long before = raw.MemoryBytes;
        var span = raw.Grow(minLength);
        Keys.Resized(index, before);
        return span;
    }

    /// <summary>APPEND: the new length. A missing key is created.</summary>
    public int Append(ReadOnlySpan<byte> key, ReadOnlySpan<byte> tail)
    {
        int oldLength = TryGetString(key, out var old) ? old.Length : 0;
        var target = GetWritable(key, oldLength + tail.Length);
        tail.CopyTo(target[oldLength..]);
        return target.Length;
    }

    public bool Delete(ReadOnlySpan<byte> key) => Keys.Remove(key, out _);

    /// <summary>Removes the key; a collection comes back in <paramref name="value"/> (UNLINK passes it to lazy freeing). False when absent.</summary>
    public bool Remove(ReadOnlySpan<byte> key, out StoredObject? value) => Keys.Remove(key, out value);

    /// <summary>RENAME: the value, its access data and deadline move to <paramref name="to"/>, replacing what was there.</summary>
    public void Rename(ReadOnlySpan<byte> from, ReadOnlySpan<byte> to) => Transplant(from, this, to);

    /// <summary>MOVE: the key, as it is, goes to <paramref name="target"/>; the caller checked both sides.</summary>
    public void MoveTo(ReadOnlySpan<byte> key, Db target) => Transplant(key, target, key);

    void Transplant(ReadOnlySpan<byte> key, Db target, ReadOnlySpan<byte> to)
    {
        int index = Lookup(key, touch: false);
        uint attributes = Keys.Attributes(index);
        long deadline = Keys.Deadline(index);
        // A record (a string, a compact collection) is copied: the key is part of it and the
        // target may be another heap. It stays readable until the next FreeRemoved, after its
        // entry is gone.
        Keys.TryGetRecord(index, out var kind, out var record);
        Keys.Remove(key, out var value);
        target.Delete(to);
        int added = target.Keys.AddOrFind(to, out _);
        if (value is null) record.CopyTo(target.Keys.SetRecord(added, kind, to, record.Length));
        else target.Keys.SetObject(added, WithKey(value, to));
        target.Keys.SetAttributes(added, attributes);
        target.KeyAdded?.Invoke(target, to);
        if (deadline == 0) return;
        target.Keys.SetDeadline(added, deadline);
        target.ExpireSet?.Invoke(target, to);
    }

    static StoredObject WithKey(StoredObject value, ReadOnlySpan<byte> key)
    {
        if (!value.Key.SequenceEqual(key)) value.SetKey(key);
        return value;
    }

    /// <summary>COPY: a duplicate of the value (same encoding, not shared, fresh access data) and the deadline.</summary>
    public void CopyTo(ReadOnlySpan<byte> key, Db target, ReadOnlySpan<byte> to)
    {
        int index = Lookup(key, touch: false);
        var encoding = Keys.Encoding(index);
        long deadline = Keys.Deadline(index);
        bool isRecord = Keys.TryGetRecord(index, out var kind, out var record);
        var copy = isRecord ? null : Keys.Object(index)!.CopyAs(to.ToArray());
        target.Delete(to);
        int added = target.Keys.AddOrFind(to, out _);
        if (copy is null) record.CopyTo(target.Keys.SetRecord(added, kind, to, record.Length));
        else target.Keys.SetObject(added, copy);
        target.Keys.SetEncoding(added, encoding, shared: false);
        target.Keys.SetLru(added, eviction.NewAccess());
        target.KeyAdded?.Invoke(target, to);
        if (deadline == 0) return;
        target.Keys.SetDeadline(added, deadline);
        target.ExpireSet?.Invoke(target, to);
    }

    /// <summary>
    /// Empties the database; returns the old keyspace (FLUSHALL ASYNC hands it to lazy freeing,
    /// SYNC releases it at once), or null when it never held a key and is kept (a FLUSHALL of
    /// fifteen unused databases maps and unmaps no pages).
    /// </summary>
    public Keyspace? Clear()
    {
        AverageTtl = 0;
        _expireCursor = 0;
        if (Keys.IsUnused) return null;
        var old = Keys;
        // Its pages may be unmapped at once: a view of one of its records must not read them.
        Views.DetachAll(old);
        Keys = new Keyspace(Views, _slotIndexed);
        return old;
    }

    /// <summary>Every entry whose key is not past its deadline (KEYS): expired keys are skipped, not deleted, as Redis.</summary>
    public IEnumerable<int> LiveEntries()
    {
        long now = nowMs();
        foreach (int index in Keys.Entries())
        {
            long deadline = Keys.Deadline(index);
            if (deadline == 0 || deadline > now) yield return index;
        }
    }

    /// <summary>SWAPDB: the two databases exchange their contents (clients keep their database number).</summary>
    public void SwapWith(Db other)
    {
        (Keys, other.Keys) = (other.Keys, Keys);
        (AverageTtl, other.AverageTtl) = (other.AverageTtl, AverageTtl);
        (_expireCursor, other._expireCursor) = (other._expireCursor, _expireCursor);
    }

    /// <summary>The key's deadline in Unix ms, or -1 without one. The key must exist.</summary>
    public long GetExpire(ReadOnlySpan<byte> key)
    {
        int index = Keys.Find(key);
        long deadline = index >= 0 ? Keys.Deadline(index) : 0;
        return deadline == 0 ? -1 : deadline;
    }

    /// <summary>Sets the deadline of an existing key.</summary>
    public void SetExpire(ReadOnlySpan<byte> key, long whenMs)
    {
        int index = Keys.Find(key);
        // A deadline of 0 would read as "none"; 1 ms past the epoch expires just the same.
        if (index < 0) return;
        Keys.SetDeadline(index, Math.Max(whenMs, 1));
        ExpireSet?.Invoke(this, key);
    }

    /// <summary>Told when a command gives a key a deadline (setExpire's caller: a writable replica remembers its own).</summary>
    public KeySignal? ExpireSet;

    /// <summary>
    /// activeExpireCycleTryExpire for one key by name: null when it has no deadline (or is gone), true when it
    /// was past it and is deleted now, false when its deadline is still ahead.
    /// </summary>
    public bool? TryExpire(ReadOnlySpan<byte> key)
    {
        int index = Keys.Find(key);
        long deadline = index >= 0 ? Keys.Deadline(index) : 0;
        if (deadline == 0) return null;
        if (deadline > nowMs()) return false;
        RemoveExpired(key);
        return true;
    }

    /// <summary>Drops the key's deadline; false when it had none.</summary>
    public bool RemoveExpire(ReadOnlySpan<byte> key)
    {
        int index = Keys.Find(key);
        return index >= 0 && Keys.ClearDeadline(index);
    }

    /// <summary>RESTORE IDLETIME: the key reads as idle for that many seconds (LRU policies).</summary>
    public void SetIdleTime(ReadOnlySpan<byte> key, long seconds)
    {
        int index = Keys.Find(key);
        if (index >= 0 && !eviction.UsesLfu) Keys.SetLru(index, eviction.AccessIdleFor(seconds));
    }

    /// <summary>RESTORE FREQ: the key's LFU counter (LFU policies).</summary>
    public void SetFrequency(ReadOnlySpan<byte> key, int frequency)
    {
        int index = Keys.Find(key);
        if (index >= 0 && eviction.UsesLfu) Keys.SetLru(index, eviction.AccessWithFrequency(frequency));
    }

    /// <summary>
    /// One database's share of activeExpireCycle: look at the next keys that have a deadline (a
    /// cursor walks them all in turn, as Redis walks its expires table), delete the expired ones,
    /// and go on while more than <paramref name="acceptableStalePercent"/> of a sample had expired
    /// and the time budget (a Stopwatch deadline) lasts. Returns whether the budget ran out.
    /// </summary>
    public bool ActiveExpireCycle(int keysPerLoop, int acceptableStalePercent, long deadlineTicks, out long sampled, out long expired)
    {
        sampled = expired = 0;
        long now = nowMs();
        int iteration = 0;
        while (Keys.VolatileCount > 0)
        {
            int checkedNow = 0, expiredNow = 0, ttlSamples = 0;
            long ttlSum = 0;
            int n = Math.Min(keysPerLoop, Keys.VolatileCount);
            for (int i = 0; i < n; i++)
            {
                int index = Keys.NextVolatile(ref _expireCursor);
                if (index < 0) break;
                long when = Keys.Deadline(index);
                checkedNow++;
                if (when <= now)
                {
                    RemoveExpired(Keys.Key(index));
                    expiredNow++;
                }
                else
                {
                    ttlSum += when - now;
                    ttlSamples++;
                }
            }
            sampled += checkedNow;
            expired += expiredNow;
            if (ttlSamples > 0)
            {
                // As Redis: a moving average where each cycle's sample weighs 2%.
                long avg = ttlSum / ttlSamples;
                AverageTtl = AverageTtl == 0 ? avg : (AverageTtl / 50 * 49) + (avg / 50);
            }
            if ((++iteration & 15) == 0 && System.Diagnostics.Stopwatch.GetTimestamp() > deadlineTicks) return true;
            if (checkedNow == 0 || expiredNow * 100 / checkedNow <= acceptableStalePercent) break;
        }
        if (Keys.VolatileCount == 0) AverageTtl = 0;
        return false;
    }

    /// <summary>Entries picked at random for the eviction pool; returns how many were found.</summary>
    public int Sample(Random random, bool volatileOnly, Span<int> found)
    {
        int n = 0;
        for (int i = 0; i < found.Length; i++)
        {
            int index = volatileOnly ? Keys.RandomVolatileEntry(random) : Keys.RandomEntry(random);
            if (index >= 0) found[n++] = index;
        }
        return n;
    }

    /// <summary>Evicts <paramref name="key"/> if it is still there.</summary>
    public bool EvictKey(ReadOnlySpan<byte> key)
    {
        if (!Keys.Remove(key, out var value)) return false;
        if (value is not null) ValueDropped?.Invoke(value, KeyRemoval.Evicted);
        KeyRemoved?.Invoke(this, key, KeyRemoval.Evicted);
        return true;
    }

    void RemoveExpired(ReadOnlySpan<byte> key)
    {
        if (Keys.Remove(key, out var value) && value is not null) ValueDropped?.Invoke(value, KeyRemoval.Expired);
        stats.ExpiredKeys++;
        KeyRemoved?.Invoke(this, key, KeyRemoval.Expired);
    }

    /// <summary>Told of keys that go by expiry or eviction (WATCH and keyspace notifications listen).</summary>
    public KeyRemovedHandler? KeyRemoved;

    /// <summary>True while CLIENT PAUSE holds the dataset still: expired keys read as missing but are not deleted (checkClientPauseTimeoutAndReturnIfPaused).</summary>
    public Func<bool>? DatasetFrozen;
    /// <summary>Given the value of a key that expired or was evicted (lazyfree-lazy-expire / -eviction may free it in the background).</summary>
    public Action<StoredObject, KeyRemoval>? ValueDropped;

    public bool EvictRandom(Random random, bool volatileOnly)
    {
        int index = volatileOnly ? Keys.RandomVolatileEntry(random) : Keys.RandomEntry(random);
        return index >= 0 && EvictKey(Keys.Key(index));
    }

    /// <summary>
    /// dbRandomKey: a random live key (copied), or null when the database is empty. Expired keys
    /// met on the way are deleted, as Redis does.
    /// </summary>
    public byte[]? RandomKey(Random random)
    {
        // While paused nothing is deleted: after this many expired picks, one is returned anyway
        // (as Redis does on a replica, whose expired keys also stay).
        int triesWhileFrozen = 100;
        while (Keys.Count > 0)
        {
            int index = Keys.RandomEntry(random);
            var key = Keys.Key(index);
            long deadline = Keys.Deadline(index);
            if (deadline == 0 || deadline > nowMs()) return key.ToArray();
            if (DatasetFrozen?.Invoke() == true)
            {
                if (--triesWhileFrozen == 0) return key.ToArray();
                continue;
            }
            RemoveExpired(key);
        }
        return null;
    }

    /// <summary>serverCron's databasesCron share: shrink sparse tables and rehash for about a millisecond.</summary>
    public void Cron(long rehashTicks)
    {
        Keys.ShrinkIfSparse();
        if (Keys.IsRehashing) Keys.RehashFor(rehashTicks);
    }
}
