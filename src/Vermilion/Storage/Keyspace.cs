using System.Runtime.InteropServices;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace Vermilion.Storage;

/// <summary>
/// One database's dictionary, built for memory and for a loop that must never stall.
///
/// Entries live in an arena of fixed-size segments (16 bytes each: where the value is, the next
/// entry of the bucket's chain, 32 bits of metadata), so growing never copies entries and a freed
/// entry is reused. Nothing in an entry is a reference: a string's key and value are a record in
/// the keyspace's <see cref="RecordHeap"/> (off the managed heap), and so is a collection in its
/// compact encoding (seen through views, <see cref="ValueViews"/>); any other value (a big
/// collection, a string grown in place) is a managed object in a table of its own, named by its
/// slot. So the garbage collector has nothing to trace in a database of strings and small
/// collections, however large. The bucket table is a power-of-two array of entry numbers; when it fills, a table
/// twice the size is allocated and buckets move to it a few at a time, on every lookup and from
/// serverCron, as Redis's incremental rehash does. Only chains move; the entries stay put.
/// SCAN walks buckets with Redis's reversed-binary cursor, which visits every bucket of
/// either table size exactly once, so a key present for the whole scan is returned even when
/// the table grows or shrinks in between.
///
/// Metadata per entry: 24 bits of LRU clock or LFU state (as Redis's robj.lru), 2 bits of string
/// encoding, a shared-integer bit (OBJECT REFCOUNT), the snapshot mark (see
/// <see cref="IsSaved"/>) and 4 bits of <see cref="RecordKind"/>: a record holds a string or a
/// collection in its compact encoding, which commands see through a view (<see cref="ValueViews"/>). Deadlines live in a parallel segment array that exists only for
/// segments holding a key with a deadline.
/// </summary>
public sealed class Keyspace
{
    struct Entry
    {
        public long Value; // > 0: a record's address in _heap (its kind in Meta); < 0: -(object slot + 1); 0 when free
        public int Next;   // next entry number + 1 in the bucket chain, or the free list
        public uint Meta;
    }

    const int SegmentBits = 14, SegmentSize = 1 << SegmentBits, SegmentMask = SegmentSize - 1;
    const uint LruMask = 0xFFFFFF, EncodingShift = 24, EncodingMask = 3u << 24, SharedBit = 1u << 26, SavedBit = 1u << 27;
    const int KindShift = 28;
    const uint KindMask = 0xFu << KindShift;

    // The structure lives in the heap's pages too (NativeBlock): growing to millions of keys
    // allocates nothing managed, so the collector has no reason to run.
    NativeBlock<Entry>[] _segments = [];
    readonly RecordHeap _heap = new();
    readonly ObjectSlots _objects = new();
    readonly ValueViews _views;
    NativeBlock<long>[] _deadlines = [];
    int[] _volatileInSegment = [];
    int _highWater, _freeHead = -1;

    // Bucket tables hold entry number + 1 (0 = empty). While _rehashIndex >= 0 both are in use
    // and buckets of _table below _rehashIndex have moved to _next.
    NativeBlock<int> _table;
    NativeBlock<int> _next; // allocated only while rehashing
    int _rehashIndex = -1;

    readonly ulong _seed = (ulong)Random.Shared.NextInt64();
    uint _savedParity;

    public Keyspace() : this(new ValueViews()) { }

    /// <summary>
    /// Redis Cluster's per-slot key lists (cluster mode only: null otherwise, so a standalone
    /// keyspace pays one null test per key added or removed and no memory per key).
    /// </summary>
    public SlotIndex? Slots { get; }

    /// <summary>A keyspace whose compact collections are lent through <paramref name="views"/> (one per server), with a slot index in cluster mode.</summary>
    public Keyspace(ValueViews views, bool slotIndexed = false)
    {
        _views = views;
        if (slotIndexed) Slots = new SlotIndex();
        _table = _heap.AllocateBlock<int>(4);
    }

    /// <summary>The views this keyspace lends (shared with the server's other databases).</summary>
    public ValueViews Views => _views;

    public int Count { get; private set; }
    /// <summary>No key was ever added: nothing of it is worth giving back.</summary>
    public bool IsUnused => _highWater == 0;
    public int VolatileCount { get; private set; }
    /// <summary>Bytes held by keys and values (string records, collection objects), for used_memory.</summary>
    public long ItemBytes => _heap.AllocatedBytes + _objects.Bytes;
    /// <summary>The part of <see cref="ItemBytes"/> held by managed objects (collections, strings grown in place).</summary>
    public long ObjectBytes => _objects.Bytes;
    /// <summary>The part of <see cref="ItemBytes"/> held by records in the keyspace's pages.</summary>
    public long RecordBytes => _heap.AllocatedBytes;
    /// <summary>What of this keyspace is on the managed heap: its objects and their slot table (the rest is in <see cref="RecordHeap"/>'s pages).</summary>
    public long ManagedBytes => _objects.Bytes + _objects.TableBytes;
    /// <summary>Bytes mapped for string records (MEMORY STATS): the records, free slots and page headers.</summary>
    public long RecordMappedBytes => _heap.MappedBytes;
    public bool IsRehashing => _rehashIndex >= 0;
    public int BucketCount => _table.Length + _next.Length;
    /// <summary>
    /// A flushed keyspace (no one else holds it any more) gives its memory back: every record
    /// page to the kernel, every collection to the collector. The lazyfree thread does it for
    /// FLUSHALL ASYNC, the loop for a synchronous flush.
    /// </summary>
    public void Release()
    {
        _heap.ReleaseAll();
        _objects.Release();
        _segments = [];
        _deadlines = [];
        _table = _next = default;
    }

    /// <summary>DEBUG HTSTATS: the bucket table's size, and the one being rehashed into (0 when none).</summary>
    public int TableSize => _table.Length;
    public int RehashTargetSize => _next.Length;

    /// <summary>The part of <see cref="StructureBytes"/> that holds deadlines (MEMORY STATS overhead.hashtable.expires); one add per segment.</summary>
    public long DeadlineBytes
    {
        get
        {
            long bytes = 0;
            foreach (var d in _deadlines) bytes += d.Length * 8L;
            return bytes;
        }
    }

    /// <summary>Bytes of the structure itself: entry segments, bucket tables, deadline segments, the object table, the slot index's links.</summary>
    public long StructureBytes => _structureBytes + _objects.TableBytes + (Slots?.Bytes ?? 0);
    long _structureBytes = 4 * 4;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    ref Entry At(int index) => ref _segments[index >> SegmentBits][index & SegmentMask];

    // ---- values ----

    /// <summary>
    /// The entry's value when it is a collection or a string grown in place; null for a string
    /// record. A compact collection's record is lent as a view (<see cref="ValueViews"/>), valid
    /// until the command ends.
    /// </summary>
    public StoredObject? Object(int index)
    {
        ref var e = ref At(index);
        if (e.Value < 0) return _objects[(int)(-e.Value - 1)];
        var kind = KindOf(e);
        return kind == RecordKind.String ? null : _views.Lend(this, index, e.Value, kind);
    }

    static RecordKind KindOf(in Entry e) => (RecordKind)(e.Meta >> KindShift);

    /// <summary>What the entry's record holds; <see cref="RecordKind.String"/> for a managed value too.</summary>
    public RecordKind Kind(int index) => At(index).Value > 0 ? KindOf(At(index)) : RecordKind.String;

    /// <summary>Whether the entry holds a string (a record or a <see cref="RawString"/>).</summary>
    public bool IsString(int index)
    {
        ref var e = ref At(index);
        return e.Value > 0 ? KindOf(e) == RecordKind.String : _objects[(int)(-e.Value - 1)] is RawString;
    }

    public DataType Type(int index)
    {
        ref var e = ref At(index);
        if (e.Value < 0) return _objects[(int)(-e.Value - 1)]!.Type;
        return KindOf(e) switch
        {
            RecordKind.Hash => DataType.Hash,
            RecordKind.IntSet => DataType.Set,
            RecordKind.SortedSet => DataType.ZSet,
            RecordKind.List => DataType.List,
            _ => DataType.String,
        };
    }

    /// <summary>The entry's record (a string's value or a compact collection's blob, see <see cref="Kind"/>); false for a managed value.</summary>
    public bool TryGetRecord(int index, out RecordKind kind, out ReadOnlySpan<byte> value)
    {
        ref var e = ref At(index);
        if (e.Value > 0)
        {
            kind = KindOf(e);
            value = RecordHeap.Value(e.Value);
            return true;
        }
        kind = RecordKind.String;
        value = default;
        return false;
    }

    /// <summary>The string value of the entry; false (and an empty span) when it holds another type.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryGetString(int index, out ReadOnlySpan<byte> value)
    {
        ref var e = ref At(index);
        long v = e.Value;
        if (v > 0 && KindOf(e) == RecordKind.String)
        {
            value = RecordHeap.Value(v);
            return true;
        }
        if (v > 0)
        {
            value = default;
            return false;
        }
        if (_objects[(int)(-v - 1)] is RawString raw)
        {
            value = raw.Value;
            return true;
        }
        value = default;
        return false;
    }

    /// <summary>
    /// The entry now holds the string <paramref name="value"/> (any previous value is released).
    /// A record of the same size class is rewritten in place: steady-state SETs allocate nothing.
    /// </summary>
    public void SetString(int index, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value) => value.CopyTo(SetString(index, key, value.Length));

    /// <summary>
    /// As <see cref="SetString(int, ReadOnlySpan{byte}, ReadOnlySpan{byte})"/>, handing back the
    /// value's bytes for the caller to fill. <paramref name="key"/> is the entry's key.
    /// </summary>
    public Span<byte> SetString(int index, ReadOnlySpan<byte> key, int length)
    {
        ref var e = ref At(index);
        long old = e.Value;
        if (old > 0 && KindOf(e) == RecordKind.String && _heap.TryResizeInPlace(old, length, out var inPlace)) return inPlace;
        return SetRecord(index, RecordKind.String, key, length);
    }

    /// <summary>
    /// The entry now holds a new record of <paramref name="kind"/> with <paramref name="length"/>
    /// value bytes for the caller to fill (any previous value is released). <paramref name="key"/>
    /// is the entry's key.
    /// </summary>
    public Span<byte> SetRecord(int index, RecordKind kind, ReadOnlySpan<byte> key, int length)
    {
        ref var e = ref At(index);
        long old = e.Value;
        long address = _heap.Allocate(key, length);
        ReleaseValue(index, old);
        e.Value = address;
        e.Meta = (e.Meta & ~KindMask) | ((uint)kind << KindShift);
        return RecordHeap.Value(address);
    }

    /// <summary>
    /// The entry now holds <paramref name="value"/> (any previous value is released): a compact
    /// collection as a record, the object becoming a view of it until the command ends
    /// (<see cref="ValueViews"/>); anything else as a managed object.
    /// </summary>
    public void Store(int index, StoredObject value)
    {
        var kind = value.CompactKind;
        if (kind == RecordKind.String)
        {
            SetObject(index, value);
            return;
        }
        value.WriteCompact(SetRecord(index, kind, value.Key, value.CompactLength));
        _views.Adopt(this, index, At(index).Value, kind, value);
    }

    /// <summary>The entry now holds <paramref name="value"/> as a managed object (any previous value is released).</summary>
    public void SetObject(int index, StoredObject value)
    {
        ref var e = ref At(index);
        long old = e.Value;
        if (old < 0 && ReferenceEquals(_objects[(int)(-old - 1)], value)) return;
        value.Owner = this;
        ReleaseValue(index, old);
        e.Value = -(_objects.Add(value) + 1L);
        e.Meta &= ~KindMask;
    }

    /// <summary>
    /// A view's record grows or shrinks to <paramref name="length"/> value bytes: in place when
    /// it stays in its size class, else moved (the old one freed at the next
    /// <see cref="FreeRemoved"/>, so spans of it stay readable in this command). The record's address.
    /// </summary>
    internal long ResizeRecord(int index, long address, int length)
    {
        if (_heap.TryResizeInPlace(address, length)) return address;
        var old = RecordHeap.Value(address);
        long moved = _heap.Allocate(RecordHeap.Key(address), length);
        old[..Math.Min(old.Length, length)].CopyTo(RecordHeap.Value(moved));
        At(index).Value = moved;
        _heap.Remove(address);
        return moved;
    }

    /// <summary>
    /// A view converted to its big encoding: the entry holds it as a managed object from now on
    /// and its record goes. Its bytes are counted now when <paramref name="countNow"/> (a list,
    /// which reports each later change), else by the conversion's closing size report (a hash or
    /// set measures before and after, and a view measures 0), so they are not counted here.
    /// </summary>
    internal void Promote(int index, StoredObject value, bool countNow)
    {
        ref var e = ref At(index);
        _heap.Remove(e.Value);
        value.Owner = this;
        e.Value = -(_objects.Add(value) + 1L);
        if (!countNow) _objects.Resized(-value.MemoryBytes);
        e.Meta &= ~KindMask;
    }

    /// <summary>A value leaves its entry: a record is freed once no command can be reading it (a view of it detaches), an object is forgotten.</summary>
    StoredObject? ReleaseValue(int index, long v)
    {
        if (v > 0)
        {
            if (KindOf(At(index)) != RecordKind.String) _views.Detach(this, index);
            _heap.Remove(v);
            return null;
        }
        if (v == 0) return null;
        var obj = _objects.Remove((int)(-v - 1));
        obj.Owner = null;
        return obj;
    }

    /// <summary>
    /// Frees the string records removed or replaced since the last call. The server calls it
    /// once per event-loop iteration, when no command holds a span of a record.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void FreeRemoved()
    {
        // No command runs now: a view still out (lent outside one) goes back before its record can.
        _views.ReturnTo(0);
        _heap.FreeRemoved();
    }

    /// <summary>Bytes the entry's value takes (MEMORY USAGE), key included.</summary>
    public long ValueBytes(int index)
    {
        long v = At(index).Value;
        return v > 0 ? RecordHeap.SlotBytes(v) : _objects[(int)(-v - 1)]!.MemoryBytes;
    }

    /// <summary>Call after a StoredObject changed size in place.</summary>
    public void Resized(int index, long oldBytes) => _objects.Resized(Object(index)!.MemoryBytes - oldBytes);
    internal void ItemResized(long deltaBytes) => _objects.Resized(deltaBytes);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    ReadOnlySpan<byte> KeyOf(long v) => v > 0 ? RecordHeap.Key(v) : _objects[(int)(-v - 1)]!.Key;
    public ReadOnlySpan<byte> Key(int index) => KeyOf(At(index).Value);

    /// <summary>The access, encoding and shared bits, to carry an entry to another key (RENAME, MOVE).</summary>
    public uint Attributes(int index) => At(index).Meta & (LruMask | EncodingMask | SharedBit);
    public void SetAttributes(int index, uint attributes) => At(index).Meta = (At(index).Meta & (SavedBit | KindMask)) | (attributes & ~(SavedBit | KindMask));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public uint Lru(int index) => At(index).Meta & LruMask;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void SetLru(int index, uint lru) => At(index).Meta = (At(index).Meta & ~LruMask) | (lru & LruMask);
    public StringEncoding Encoding(int index) => (StringEncoding)((At(index).Meta & EncodingMask) >> (int)EncodingShift);
    public bool IsShared(int index) => (At(index).Meta & SharedBit) != 0;
    public void SetEncoding(int index, StringEncoding encoding, bool shared)
    {
        ref var e = ref At(index);
        e.Meta = (e.Meta & ~(EncodingMask | SharedBit)) | ((uint)encoding << (int)EncodingShift) | (shared ? SharedBit : 0);
    }

    /// <summary>
    /// The mark a fork-less snapshot needs: whether this entry has been written to the snapshot
    /// in progress. Starting a snapshot flips what the bit means, so every entry becomes unsaved
    /// at once without touching any; entries created meanwhile are born saved.
    /// </summary>
    public bool IsSaved(int index) => ((At(index).Meta & SavedBit) != 0) == (_savedParity != 0);
    public void MarkSaved(int index)
    {
        ref var e = ref At(index);
        e.Meta = _savedParity != 0 ? e.Meta | SavedBit : e.Meta & ~SavedBit;
    }
    public void BeginSnapshot() => _savedParity ^= 1;

    /// <summary>
    /// Marks saved every entry from <paramref name="from"/> on: a snapshot that stops half way must leave
    /// the marks as a finished one does (all saved), or the next cut's flip would turn the entries it never
    /// reached into saved ones, and that snapshot would skip them.
    /// </summary>
    public void MarkAllSaved(int from = 0)
    {
        for (int i = from; i < _highWater; i++)
            if (At(i).Value != 0) MarkSaved(i);
    }

    /// <summary>
    /// Set while a fork-less snapshot of this keyspace is in progress (Persistence/Snapshot): called
    /// with an entry not yet saved when a lookup finds it or a removal takes it, so its value at
    /// the cut is written before anything can change it (every write starts with one of the two).
    /// Null otherwise: one branch on the lookup path.
    /// </summary>
    public Action<Keyspace, int>? BeforeFirstChange;

    void CaptureIfUnsaved(int index)
    {
        if (BeforeFirstChange is { } capture && !IsSaved(index)) capture(this, index);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    ulong Hash(ReadOnlySpan<byte> key)
    {
        // The running pipelined request's key was hashed when its batch was prefetched: the same
        // bytes at the same place need no second hash (measured: hashing was 7% of a -P 128 GET).
        var hinted = _hintBuffer;
        if (hinted is not null && key.Length == _hintLength && Unsafe.AreSame(ref MemoryMarshal.GetReference(key), ref hinted[_hintOffset]))
            return _hintHash;
        return KeyHash.Of(key, _seed);
    }

    byte[]? _hintBuffer;
    int _hintOffset, _hintLength;
    ulong _hintHash;

    /// <summary>
    /// Says that the key at <paramref name="offset"/> in <paramref name="buffer"/> hashes to
    /// <paramref name="hash"/> (a value <see cref="Prefetch"/> returned), until
    /// <see cref="ClearKeyHashHint"/>. Only a lookup of a span at that very address uses it, so
    /// the buffer must not change meanwhile: the pipeline batch sets it for the request it runs.
    /// </summary>
    public void HintKeyHash(byte[] buffer, int offset, int length, ulong hash)
    {
        if (length == 0) { ClearKeyHashHint(); return; }
        if (!ReferenceEquals(_hintBuffer, buffer)) _hintBuffer = buffer;
        _hintOffset = offset;
        _hintLength = length;
        _hintHash = hash;
    }

    public void ClearKeyHashHint() => _hintBuffer = null;

    /// <summary>
    /// Below this many keys, the table, entries and records stay in the core's cache and the
    /// prefetch passes cost more than the misses they overlap (measured, -P 128 GET over R random
    /// keys, server µs a request with / without the passes: R=1000 0.20 / 0.18, 4000 0.19 / 0.19,
    /// 16000 0.22 / 0.23, 100000 0.21 / 0.43, 1M 0.35 / 0.78; README). The pipeline batch then neither
    /// gathers its keys nor lends their hashes: each lookup hashes its own key.
    /// </summary>
    public const int PrefetchFromKeys = 4096;

    /// <summary>
    /// Valkey 8's batch prefetch (memory_prefetch.c): a lookup is three dependent cache misses
    /// (bucket, entry, record), and in a deep pipeline they were 60% of a GET's time. For the keys
    /// of the requests waiting in a query buffer, each step's loads are started for every key
    /// before any is waited for, so the misses overlap instead of queueing; the lookups that
    /// follow find their lines in the cache. Only hints: nothing changes, nothing is decided here.
    /// Each key's hash goes to <paramref name="hashes"/> (see <see cref="HintKeyHash"/>); with an
    /// empty keyspace nothing is written.
    /// </summary>
    public void Prefetch(byte[] buffer, ReadOnlySpan<(int Offset, int Length)> keys, Span<ulong> hashes)
    {
        if (Count == 0) return;
        Span<int> chain = stackalloc int[keys.Length];
        for (int i = 0; i < keys.Length; i++)
        {
            ulong h = hashes[i] = KeyHash.Of(buffer.AsSpan(keys[i].Offset, keys[i].Length), _seed);
            // While rehashing, buckets below _rehashIndex have moved to the new table.
            int bucket = (int)(h & (uint)(_table.Length - 1));
            bool moved = _next.IsAllocated && bucket < _rehashIndex;
            if (moved) bucket = (int)(h & (uint)(_next.Length - 1));
            RecordHeap.Prefetch(ref (moved ? _next : _table)[bucket]);
            chain[i] = bucket | (moved ? int.MinValue : 0);
        }
        for (int i = 0; i < keys.Length; i++)
        {
            int n = chain[i] < 0 ? _next[chain[i] & int.MaxValue] : _table[chain[i]];
            if (n != 0) RecordHeap.Prefetch(ref At(n - 1));
            chain[i] = n;
        }
        for (int i = 0; i < keys.Length; i++)
        {
            if (chain[i] == 0) continue;
            long v = At(chain[i] - 1).Value;
            if (v > 0) RecordHeap.Prefetch(v);
        }
    }

    /// <summary>The entry number of <paramref name="key"/>, or -1. Inlined into its callers (Db's lookups):
    /// the call was ~20 of a -P 128 GET's ~1,000 instructions.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Find(ReadOnlySpan<byte> key)
    {
        if (Count == 0) return -1;
        if (_rehashIndex >= 0) RehashStep(1);
        ulong h = Hash(key);
        int found = FindIn(_table, h, key);
        if (found < 0 && _next.IsAllocated) found = FindIn(_next, h, key);
        if (found >= 0 && BeforeFirstChange is not null) CaptureIfUnsaved(found);
        return found;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    int FindIn(NativeBlock<int> table, ulong h, ReadOnlySpan<byte> key)
    {
        for (int n = table[(int)(h & (uint)(table.Length - 1))]; n != 0;)
        {
            ref var e = ref At(n - 1);
            if (KeyOf(e.Value).SequenceEqual(key)) return n - 1;
            n = e.Next;
        }
        return -1;
    }

    /// <summary>
    /// The entry of <paramref name="key"/>, added when missing (then it holds no value and the
    /// caller must set one, <see cref="SetString(int, ReadOnlySpan{byte}, int)"/> or <see cref="SetObject"/>, before
    /// anything else looks at it).
    /// </summary>
    public int AddOrFind(ReadOnlySpan<byte> key, out bool existed)
    {
        if (_rehashIndex >= 0) RehashStep(1);
        ulong h = Hash(key);
        if (Count > 0)
        {
            int found = FindIn(_table, h, key);
            if (found < 0 && _next.IsAllocated) found = FindIn(_next, h, key);
            if (found >= 0)
            {
                if (BeforeFirstChange is not null) CaptureIfUnsaved(found);
                existed = true;
                return found;
            }
        }
        existed = false;
        if (_rehashIndex < 0 && Count >= _table.Length) StartResize(_table.Length * 2);
        int index = AllocateEntry();
        var table = _next.IsAllocated ? _next : _table;
        ref int bucket = ref table[(int)(h & (uint)(table.Length - 1))];
        ref var entry = ref At(index);
        entry.Next = bucket;
        entry.Meta = _savedParity != 0 ? SavedBit : 0;
        bucket = index + 1;
        Count++;
        Slots?.Add(index, key);
        return index;
    }

    int AllocateEntry()
    {
        if (_freeHead >= 0)
        {
            int index = _freeHead;
            _freeHead = At(index).Next - 1;
            return index;
        }
        if (_highWater < SegmentSize && (_segments.Length == 0 || _highWater == _segments[0].Length))
            GrowFirstSegment();
        else if (_highWater == _segments.Length * SegmentSize)
        {
            // Only the small array of segment references is copied.
            Array.Resize(ref _segments, _segments.Length + 1);
            Array.Resize(ref _deadlines, _segments.Length);
            Array.Resize(ref _volatileInSegment, _segments.Length);
            _segments[^1] = _heap.AllocateBlock<Entry>(SegmentSize);
            _structureBytes += SegmentSize * 16L;
        }
        return _highWater++;
    }

    /// <summary>
    /// The first segment starts small and doubles up to full size, so the fifteen databases most
    /// servers never use, and small ones, do not hold 256 KB each. Copying is bounded by 16K entries.
    /// </summary>
    void GrowFirstSegment()
    {
        if (_segments.Length == 0)
        {
            _segments = [default];
            _deadlines = [default];
            _volatileInSegment = [0];
        }
        int size = Math.Max(16, _segments[0].Length * 2);
        _structureBytes += (size - _segments[0].Length) * 16L;
        _segments[0] = Resized(_segments[0], size);
        if (_deadlines[0].IsAllocated)
        {
            _structureBytes += (size - _deadlines[0].Length) * 8L;
            _deadlines[0] = Resized(_deadlines[0], size);
        }
    }

    /// <summary>A copy of <paramref name="block"/> with room for <paramref name="length"/> values; the old one is freed.</summary>
    NativeBlock<T> Resized<T>(NativeBlock<T> block, int length) where T : unmanaged
    {
        var grown = _heap.AllocateBlock<T>(length);
        block.Span.CopyTo(grown.Span);
        _heap.FreeBlock(block);
        return grown;
    }

    /// <summary>
    /// Removes <paramref name="key"/>; false when it was absent. A collection comes back in
    /// <paramref name="value"/> (lazy freeing may take it); a string record is freed at the next
    /// <see cref="FreeRemoved"/>, so <paramref name="key"/> may be a span of that record.
    /// </summary>
    public bool Remove(ReadOnlySpan<byte> key, out StoredObject? value)
    {
        value = null;
        if (Count == 0) return false;
        if (_rehashIndex >= 0) RehashStep(1);
        ulong h = Hash(key);
        int index = UnlinkFrom(_table, h, key);
        if (index < 0 && _next.IsAllocated) index = UnlinkFrom(_next, h, key);
        if (index < 0) return false;
        if (BeforeFirstChange is not null) CaptureIfUnsaved(index);
        ref var e = ref At(index);
        value = ReleaseValue(index, e.Value);
        ClearDeadline(index);
        e.Value = 0;
        e.Meta = 0;
        e.Next = _freeHead + 1;
        _freeHead = index;
        Count--;
        Slots?.Remove(index, key);
        return true;
    }

    int UnlinkFrom(NativeBlock<int> table, ulong h, ReadOnlySpan<byte> key)
    {
        ref int link = ref table[(int)(h & (uint)(table.Length - 1))];
        while (link != 0)
        {
            ref var e = ref At(link - 1);
            if (KeyOf(e.Value).SequenceEqual(key))
            {
                int index = link - 1;
                link = e.Next;
                return index;
            }
            link = ref e.Next;
        }
        return -1;
    }

    // ---- deadlines ----

    /// <summary>The entry's deadline in Unix ms, or 0 without one.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public long Deadline(int index) => _deadlines[index >> SegmentBits] is { IsAllocated: true } d ? d[index & SegmentMask] : 0;

    public void SetDeadline(int index, long whenMs)
    {
        int s = index >> SegmentBits;
        var d = _deadlines[s];
        if (!d.IsAllocated)
        {
            d = _deadlines[s] = _heap.AllocateBlock<long>(_segments[s].Length);
            _structureBytes += d.Length * 8L;
        }
        if (d[index & SegmentMask] == 0)
        {
            _volatileInSegment[s]++;
            VolatileCount++;
        }
        d[index & SegmentMask] = whenMs;
    }

    public bool ClearDeadline(int index)
    {
        int s = index >> SegmentBits;
        var d = _deadlines[s];
        if (!d.IsAllocated || d[index & SegmentMask] == 0) return false;
        d[index & SegmentMask] = 0;
        VolatileCount--;
        // A segment whose keys no longer expire gives its deadline array back.
        if (--_volatileInSegment[s] == 0)
        {
            _structureBytes -= d.Length * 8L;
            _heap.FreeBlock(d);
            _deadlines[s] = default;
        }
        return true;
    }

    /// <summary>
    /// The next entry with a deadline at or after <paramref name="cursor"/> (wrapping around), for
    /// the active expire cycle and volatile eviction; -1 when no key has one. Segments without
    /// deadlines are skipped whole.
    /// </summary>
    public int NextVolatile(ref int cursor)
    {
        if (VolatileCount == 0) return -1;
        for (int scanned = 0; scanned <= _highWater + SegmentSize; )
        {
            if (cursor >= _highWater) cursor = 0;
            int s = cursor >> SegmentBits;
            var d = _deadlines[s];
            if (!d.IsAllocated)
            {
                scanned += SegmentSize - (cursor & SegmentMask);
                cursor = (s + 1) << SegmentBits;
                continue;
            }
            int end = Math.Min(SegmentSize, _highWater - (s << SegmentBits));
            for (int i = cursor & SegmentMask; i < end; i++, scanned++)
            {
                if (d[i] != 0)
                {
                    cursor = (s << SegmentBits) + i + 1;
                    return cursor - 1;
                }
            }
            cursor = (s + 1) << SegmentBits;
        }
        return -1;
    }

    // ---- sampling ----

    /// <summary>A live entry chosen at random (RANDOMKEY, eviction sampling), or -1 when empty.</summary>
    public int RandomEntry(Random random)
    {
        if (Count == 0) return -1;
        int index = random.Next(_highWater);
        // Free entries are skipped forward; the arena is dense unless many keys were deleted.
        for (int i = 0; i < _highWater; i++, index++)
        {
            if (index == _highWater) index = 0;
            if (At(index).Value != 0) return index;
        }
        return -1;
    }

    /// <summary>A key with a deadline chosen at random, or -1 when none has one.</summary>
    public int RandomVolatileEntry(Random random)
    {
        if (VolatileCount == 0) return -1;
        int cursor = random.Next(_highWater);
        return NextVolatile(ref cursor);
    }

    // ---- iteration ----

    /// <summary>Every live entry number, in arena order. The keyspace must not change meanwhile.</summary>
    /// <summary>The first entry in use at <paramref name="from"/> or after it, or -1: a walk that can stop and resume (a snapshot's slices).</summary>
    public int NextEntry(int from)
    {
        for (int i = from; i < _highWater; i++)
            if (At(i).Value != 0) return i;
        return -1;
    }

    public IEnumerable<int> Entries()
    {
        for (int i = 0; i < _highWater; i++)
            if (At(i).Value != 0) yield return i;
    }

    /// <summary>
    /// One SCAN step (<see cref="ScanCursor.Step"/>): adds the entries of the bucket(s)
    /// <paramref name="cursor"/> names to <paramref name="found"/> and returns the next cursor
    /// (0 when the scan is complete).
    /// </summary>
    public ulong Scan(ulong cursor, List<int> found)
    {
        if (Count == 0) return 0;
        var walker = new BucketWalker { Segments = _segments, Found = found };
        return ScanCursor.Step(_table.Span, _next.Span, cursor, ref walker);
    }

    struct BucketWalker : ScanCursor.IBucketWalker
    {
        public NativeBlock<Entry>[] Segments;
        public List<int> Found;

        public void Walk(ReadOnlySpan<int> buckets, int bucket)
        {
            for (int n = buckets[bucket]; n != 0; n = Segments[(n - 1) >> SegmentBits][(n - 1) & SegmentMask].Next) Found.Add(n - 1);
        }
    }

    // ---- resizing ----

    /// <summary>
    /// Moves up to <paramref name="buckets"/> buckets to the new table (visiting at most ten
    /// empty buckets per bucket asked for, as Redis bounds a step); true while more remain.
    /// </summary>
    public bool RehashStep(int buckets)
    {
        if (!_next.IsAllocated) return false;
        int emptyVisits = buckets * 10;
        int mask = _next.Length - 1;
        while (buckets-- > 0 && _rehashIndex < _table.Length)
        {
            while (_table[_rehashIndex] == 0)
            {
                if (++_rehashIndex == _table.Length || --emptyVisits == 0) goto done;
            }
            for (int n = _table[_rehashIndex]; n != 0;)
            {
                ref var e = ref At(n - 1);
                int following = e.Next;
                ref int bucket = ref _next[(int)(Hash(KeyOf(e.Value)) & (uint)mask)];
                e.Next = bucket;
                bucket = n;
                n = following;
            }
            _table[_rehashIndex++] = 0;
        }
    done:
        if (_rehashIndex < _table.Length) return true;
        _structureBytes -= 4L * _table.Length;
        _heap.FreeBlock(_table);
        _table = _next;
        _next = default;
        _rehashIndex = -1;
        return false;
    }

    /// <summary>serverCron's share: rehash for about a millisecond.</summary>
    public void RehashFor(long maxTicks)
    {
        long deadline = System.Diagnostics.Stopwatch.GetTimestamp() + maxTicks;
        while (RehashStep(100) && System.Diagnostics.Stopwatch.GetTimestamp() < deadline) { }
    }

    /// <summary>tryResizeHashTables: shrink when under 10% full, as Redis does from serverCron.</summary>
    public void ShrinkIfSparse()
    {
        if (_rehashIndex >= 0 || _table.Length <= 4 || (long)Count * 100 / _table.Length >= 10) return;
        StartResize((int)Math.Max(4, BitOperations.RoundUpToPowerOf2((uint)Math.Max(Count, 1))));
    }

    void StartResize(int size)
    {
        if (size == _table.Length) return;
        _next = _heap.AllocateBlock<int>(size);
        _structureBytes += 4L * size;
        _rehashIndex = 0;
    }
}
