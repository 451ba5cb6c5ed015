using System.Buffers.Binary;
using Vermilion.Persistence;
using Vermilion.Protocol;

namespace Vermilion.Storage;

/// <summary>
/// A stream (t_stream.c), in Redis 7.0's layout: entries in ID order in nodes, each node one
/// listpack in Redis's stream node format, so a node is written to an RDB or DUMP payload as it
/// is and a loaded one is adopted after validation. A node starts with its master entry
/// (count of live entries, count of deleted ones, the master fields, a 0 terminator); each entry
/// is flags, ms and seq deltas from the node's master ID (kept beside the listpack, as Redis keeps
/// it as the radix tree key), the number of fields and the fields and values (only the values
/// when the fields are the master's: the SAMEFIELDS flag), then lp-count (the elements in the
/// entry, so the node can be walked backwards). A deleted entry keeps its place with the DELETED
/// flag; an emptied node is dropped. The node index is a sorted array of nodes with a movable head,
/// so appending a node and trimming the oldest are O(1) and finding the node of an ID is a binary
/// search: XADD is amortized O(1), XRANGE O(log n + k). A new node is bounded by
/// stream-node-max-bytes and stream-node-max-entries, as streamAppendItem bounds it; its
/// listpack grows by doubling and is shrunk to fit when the next node starts (lpShrinkToFit).
///
/// The metadata is 7.0's: length, last-id, first-id (recorded-first-entry-id), max-deleted-entry-id
/// and entries-added; the consumer groups (<see cref="StreamGroup"/>) are kept by name in byte order.
/// </summary>
public sealed class StreamValue(byte[] key) : SeparatelyKeyedObject(key)
{
    public const int FlagDeleted = 1, FlagSameFields = 2;
    /// <summary>STREAM_LISTPACK_MAX_SIZE: no node grows past 1 GB, whatever stream-node-max-bytes says.</summary>
    public const int ListpackMaxSize = 1 << 30;

    sealed class Node(StreamId master, byte[] lp, int bytes)
    {
        public readonly StreamId Master = master;
        public byte[] Lp = lp;
        public int Bytes = bytes;
        public ReadOnlySpan<byte> Span => Lp.AsSpan(0, Bytes);
    }

    Node[] _nodes = [];
    int _head, _count;
    long _nodeBytes, _reported;
    /// <summary>The size of the node that last filled up, to size the next one (0: none yet).</summary>
    int _lastFullNodeBytes;

    public long Length;
    public StreamId LastId, FirstId, MaxDeletedId;
    public long EntriesAdded;
    SortedDictionary<byte[], StreamGroup>? _groups;

    public override DataType Type => DataType.Stream;
    public override string Encoding => "stream";

    public int NodeCount => _count;
    public StreamId NodeMaster(int i) => _nodes[_head + i].Master;
    public ReadOnlySpan<byte> NodeListpack(int i) => _nodes[_head + i].Span;

    public override long MemoryBytes
    {
        get
        {
            long bytes = 96 + ArrayBytes(Key.Length) + 24 + 8L * _nodes.Length + _nodeBytes;
            // The hashed index's values: a Dictionary's enumerator is a struct (a SortedDictionary's allocates its stack).
            if (_groupsByName is not null)
                foreach (var g in _groupsByName.Values) bytes += 48 + g.Bytes;
            return bytes;
        }
    }

    /// <summary>Tells the keyspace how much the stream grew or shrank since the last call (commands call it after their changes).</summary>
    public void Account()
    {
        long now = MemoryBytes;
        if (now != _reported) Grew(now - _reported);
        _reported = now;
    }

    public override StoredObject CopyAs(byte[] key)
    {
        var copy = new StreamValue(key)
        {
            Length = Length, LastId = LastId, FirstId = FirstId, MaxDeletedId = MaxDeletedId, EntriesAdded = EntriesAdded,
        };
        for (int i = 0; i < _count; i++)
        {
            var n = _nodes[_head + i];
            copy.PushNode(new Node(n.Master, n.Span.ToArray(), n.Bytes));
        }
        if (_groups is not null)
            foreach (var g in _groups.Values) copy.AddGroup(g.Copy());
        copy._reported = copy.MemoryBytes;
        return copy;
    }

    // ---- groups ----

    /// <summary>The groups in name order (replies, the RDB); <see cref="_groupsByName"/> finds one from a span without allocating.</summary>
    public IReadOnlyDictionary<byte[], StreamGroup> Groups => _groups ??= new(ByteOrder.Instance);
    Dictionary<byte[], StreamGroup>? _groupsByName;
    public int GroupCount => _groups?.Count ?? 0;

    public StreamGroup? FindGroup(ReadOnlySpan<byte> name) =>
        _groupsByName is not null && _groupsByName.GetAlternateLookup<ReadOnlySpan<byte>>().TryGetValue(name, out var g) ? g : null;

    /// <summary>streamCreateCG: null when the name exists.</summary>
    public StreamGroup? CreateGroup(ReadOnlySpan<byte> name, StreamId lastId, long entriesRead)
    {
        if (FindGroup(name) is not null) return null;
        var g = new StreamGroup(name.ToArray(), lastId, entriesRead);
        AddGroup(g);
        return g;
    }

    void AddGroup(StreamGroup g)
    {
        (_groups ??= new(ByteOrder.Instance)).Add(g.Name, g);
        (_groupsByName ??= new(ByteKeyComparer.Instance)).Add(g.Name, g);
    }

    public bool DestroyGroup(ReadOnlySpan<byte> name)
    {
        var g = FindGroup(name);
        if (g is null) return false;
        _groups!.Remove(g.Name);
        _groupsByName!.Remove(g.Name);
        return true;
    }

    // ---- the node index ----

    Node NodeAt(int i) => _nodes[_head + i];

    void PushNode(Node node)
    {
        if (_head + _count == _nodes.Length)
        {
            if (_head > 0 && _count <= _nodes.Length / 2)
            {
                Array.Copy(_nodes, _head, _nodes, 0, _count);
                Array.Clear(_nodes, _count, _head);
            }
            else
            {
                var grown = new Node[Math.Max(4, _nodes.Length * 2)];
                Array.Copy(_nodes, _head, grown, 0, _count);
                _nodes = grown;
            }
            _head = 0;
        }
        _nodes[_head + _count++] = node;
        _nodeBytes += 40 + ArrayBytes(node.Lp.Length);
    }

    void RemoveNode(int i)
    {
        var node = NodeAt(i);
        _nodeBytes -= 40 + ArrayBytes(node.Lp.Length);
        if (i == 0)
        {
            _nodes[_head] = null!;
            _head++;
        }
        else
        {
            Array.Copy(_nodes, _head + i + 1, _nodes, _head + i, _count - i - 1);
            _nodes[_head + _count - 1] = null!;
        }
        if (--_count == 0) _head = 0;
    }

    /// <summary>The last node whose master ID is at most <paramref name="id"/>, or -1 when every node starts after it.</summary>
    int NodeFor(StreamId id)
    {
        int lo = 0, hi = _count - 1, found = -1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            if (NodeAt(mid).Master <= id)
            {
                found = mid;
                lo = mid + 1;
            }
            else hi = mid - 1;
        }
        return found;
    }

    /// <summary>
    /// RDB loading: a node read from a payload (its listpack validated by
    /// <see cref="ValidateNode"/>); false when a node with that master ID exists (raxTryInsert).
    /// Nodes come in order from Redis; one out of order is put in its place.
    /// </summary>
    public bool AddLoadedNode(StreamId master, byte[] listpack)
    {
        var node = new Node(master, listpack, listpack.Length);
        if (_count == 0 || NodeAt(_count - 1).Master < master)
        {
            PushNode(node);
            return true;
        }
        int at = NodeFor(master);
        if (at >= 0 && NodeAt(at).Master == master) return false;
        PushNode(node);
        // Bubble the new last node back to its place.
        for (int i = _count - 1; i > at + 1; i--) _nodes[_head + i] = _nodes[_head + i - 1];
        _nodes[_head + at + 1] = node;
        return true;
    }

    // ---- listpack editing ----

    static int Element(ReadOnlySpan<byte> lp, int p) => Listpack.Skip(lp, p);

    static long Integer(ReadOnlySpan<byte> lp, int p, out int next) => Listpack.ReadInteger(lp, p, out next);

    /// <summary>The element as text: an integer-encoded one in decimal in <paramref name="digits"/> (20 bytes).</summary>
    internal static ReadOnlySpan<byte> Text(ReadOnlySpan<byte> lp, int p, Span<byte> digits, out int next)
    {
        next = Listpack.ReadElement(lp, p, out bool isInteger, out long integer, out var text);
        return isInteger ? digits[..IntegerText.Format(integer, digits)] : text;
    }

    void EnsureCapacity(Node node, int bytes)
    {
        if (node.Lp.Length >= bytes) return;
        int size = Math.Max(bytes, Math.Min(node.Lp.Length * 2, Math.Max(bytes, ListpackMaxSize)));
        var grown = new byte[size];
        node.Span.CopyTo(grown);
        _nodeBytes += ArrayBytes(size) - ArrayBytes(node.Lp.Length);
        node.Lp = grown;
    }

    static void SetHeader(Node node, int addedElements)
    {
        var lp = node.Lp.AsSpan();
        BinaryPrimitives.WriteUInt32LittleEndian(lp, (uint)node.Bytes);
        int count = BinaryPrimitives.ReadUInt16LittleEndian(lp[4..]);
        if (count != Listpack.UnknownCount && addedElements != 0)
            BinaryPrimitives.WriteUInt16LittleEndian(lp[4..], (ushort)Math.Min(count + addedElements, Listpack.UnknownCount));
    }

    /// <summary>lpReplaceInteger: the integer element at <paramref name="p"/> becomes <paramref name="value"/>, moving what follows when its size changes.</summary>
    void ReplaceInteger(Node node, int p, long value)
    {
        int oldEnd = Element(node.Span, p);
        int oldSize = oldEnd - p, newSize = Listpack.EntrySize(value);
        if (newSize != oldSize)
        {
            EnsureCapacity(node, node.Bytes + newSize - oldSize);
            var lp = node.Lp.AsSpan();
            lp[oldEnd..node.Bytes].CopyTo(lp[(p + newSize)..]);
            node.Bytes += newSize - oldSize;
        }
        Listpack.WriteEntry(node.Lp.AsSpan(p), value);
        SetHeader(node, 0);
    }

    // ---- adding ----

    /// <summary>
    /// streamAppendItem: adds the entry with the fields and values a[first..] at <paramref name="id"/>
    /// (the caller checked it is above <see cref="LastId"/>). False when the fields and values add
    /// up to more than a listpack may hold ("Elements are too large to be stored").
    /// </summary>
    public bool Append(StreamId id, CommandArgs a, int first, long maxNodeBytes, long maxNodeEntries)
    {
        int pairs = (a.Count - first) / 2;
        long total = 0;
        for (int i = first; i < a.Count; i++) total += a.Length(i);
        if (total > ListpackMaxSize) return false;

        Node? tail = _count > 0 ? NodeAt(_count - 1) : null;
        if (tail is not null)
        {
            long nodeMax = maxNodeBytes == 0 || maxNodeBytes > ListpackMaxSize ? ListpackMaxSize : maxNodeBytes;
            bool full = tail.Bytes + total >= nodeMax;
            if (!full && maxNodeEntries != 0)
            {
                long live = Integer(tail.Span, Listpack.HeaderSize, out int next);
                full = live + Integer(tail.Span, next, out _) >= maxNodeEntries;
            }
            if (full)
            {
                // lpShrinkToFit: a full node keeps no more than an eighth spare (the copy is not
                // worth less; a node sized from its predecessor rarely has that much).
                if (tail.Lp.Length - tail.Bytes > tail.Bytes / 8)
                {
                    _nodeBytes += ArrayBytes(tail.Bytes) - ArrayBytes(tail.Lp.Length);
                    tail.Lp = tail.Span.ToArray();
                }
                _lastFullNodeBytes = tail.Bytes;
                tail = null;
            }
        }

        int flags = 0;
        StreamId master;
        if (tail is null)
        {
            // The master entry: one live entry, none deleted, the fields, the 0 terminator.
            long size = Listpack.HeaderSize + 1 + Listpack.EntrySize(1) + Listpack.EntrySize(0) + Listpack.EntrySize(pairs) + Listpack.EntrySize(0);
            for (int i = 0; i < pairs; i++) size += Listpack.EntrySize(a[first + 2 * i]);
            // Sized as the last node that filled up (entries of a stream tend to look alike), so
            // a node is allocated once rather than doubled to its size and copied to fit:
            // measured on 1M two-field entries, 60 → ~20 bytes allocated per XADD.
            long capacity = Math.Max(size + 32, _lastFullNodeBytes + _lastFullNodeBytes / 16 + 16);
            var node = new Node(id, new byte[Math.Max(64, (int)Math.Min(capacity, ListpackMaxSize))], Listpack.HeaderSize);
            var lp = node.Lp.AsSpan();
            int p = Listpack.HeaderSize;
            p += Listpack.WriteEntry(lp[p..], 1);
            p += Listpack.WriteEntry(lp[p..], 0);
            p += Listpack.WriteEntry(lp[p..], pairs);
            for (int i = 0; i < pairs; i++) p += Listpack.WriteEntry(lp[p..], a[first + 2 * i]);
            p += Listpack.WriteEntry(lp[p..], 0);
            lp[p] = Listpack.End;
            node.Bytes = p + 1;
            BinaryPrimitives.WriteUInt16LittleEndian(lp[4..], 0);
            SetHeader(node, 4 + pairs);
            PushNode(node);
            tail = node;
            master = id;
            flags = FlagSameFields;
        }
        else
        {
            master = tail.Master;
            long live = Integer(tail.Span, Listpack.HeaderSize, out _);
            ReplaceInteger(tail, Listpack.HeaderSize, live + 1);
            var lp = tail.Span;
            Element(lp, Listpack.HeaderSize);
            int p = Element(lp, Element(lp, Listpack.HeaderSize));
            long masterFields = Integer(lp, p, out p);
            if (masterFields == pairs)
            {
                Span<byte> digits = stackalloc byte[20];
                int i = 0;
                for (; i < pairs; i++)
                {
                    if (!Text(lp, p, digits, out p).SequenceEqual(a[first + 2 * i])) break;
                }
                if (i == pairs) flags = FlagSameFields;
            }
        }

        bool same = flags == FlagSameFields;
        long msDelta = unchecked((long)(id.Ms - master.Ms)), seqDelta = unchecked((long)(id.Seq - master.Seq));
        long entrySize = Listpack.EntrySize(flags) + Listpack.EntrySize(msDelta) + Listpack.EntrySize(seqDelta);
        if (!same) entrySize += Listpack.EntrySize(pairs);
        for (int i = 0; i < pairs; i++)
        {
            if (!same) entrySize += Listpack.EntrySize(a[first + 2 * i]);
            entrySize += Listpack.EntrySize(a[first + 2 * i + 1]);
        }
        long lpCount = pairs + 3 + (same ? 0 : pairs + 1);
        entrySize += Listpack.EntrySize(lpCount);
        EnsureCapacity(tail, (int)Math.Min(tail.Bytes + entrySize, int.MaxValue));
        {
            var lp = tail.Lp.AsSpan();
            int p = tail.Bytes - 1;
            p += Listpack.WriteEntry(lp[p..], flags);
            p += Listpack.WriteEntry(lp[p..], msDelta);
            p += Listpack.WriteEntry(lp[p..], seqDelta);
            if (!same) p += Listpack.WriteEntry(lp[p..], pairs);
            for (int i = 0; i < pairs; i++)
            {
                if (!same) p += Listpack.WriteEntry(lp[p..], a[first + 2 * i]);
                p += Listpack.WriteEntry(lp[p..], a[first + 2 * i + 1]);
            }
            p += Listpack.WriteEntry(lp[p..], lpCount);
            lp[p] = Listpack.End;
            tail.Bytes = p + 1;
            SetHeader(tail, (int)lpCount + 1);
        }
        Length++;
        EntriesAdded++;
        LastId = id;
        if (Length == 1) FirstId = id;
        return true;
    }

    // ---- deleting ----

    /// <summary>streamDeleteItem: marks the entry deleted (dropping its node when it was the node's last live entry); false when there is no such live entry.</summary>
    public bool Delete(StreamId id)
    {
        int n = NodeFor(id);
        if (n < 0) return false;
        var node = NodeAt(n);
        var it = new Cursor(node.Span, node.Master);
        while (it.Next(node.Span))
        {
            if (it.Id > id) return false;
            if (it.Id != id) continue;
            if ((it.Flags & FlagDeleted) != 0) return false;
            MarkDeleted(n, it.EntryStart, it.Flags);
            Length--;
            return true;
        }
        return false;
    }

    /// <summary>streamIteratorRemoveEntry: the flag set, the node's counters moved; a node with no live entry left goes.</summary>
    void MarkDeleted(int n, int entryStart, int flags)
    {
        var node = NodeAt(n);
        long live = Integer(node.Span, Listpack.HeaderSize, out int deletedAt);
        if (live == 1)
        {
            RemoveNode(n);
            return;
        }
        // The flags are 0..3, one byte whatever they hold: the entry does not move.
        Listpack.WriteEntry(node.Lp.AsSpan(entryStart), flags | FlagDeleted);
        ReplaceInteger(node, Listpack.HeaderSize, live - 1);
        Element(node.Span, Listpack.HeaderSize);
        deletedAt = Element(node.Span, Listpack.HeaderSize);
        ReplaceInteger(node, deletedAt, Integer(node.Span, deletedAt, out _) + 1);
    }

    /// <summary>streamTrim's strategies.</summary>
    public enum TrimStrategy { None, MaxLen, MinId }

    /// <summary>
    /// streamTrim: removes entries from the head until at most <paramref name="maxLen"/> remain
    /// (MAXLEN) or none is below <paramref name="minId"/> (MINID). Approximate trimming removes
    /// whole nodes only; a <paramref name="limit"/> above 0 stops before removing more entries than
    /// that (whole nodes at a time). Returns the number removed.
    /// </summary>
    public long Trim(TrimStrategy strategy, long maxLen, StreamId minId, bool approx, long limit)
    {
        if (strategy == TrimStrategy.None) return 0;
        long deleted = 0;
        while (_count > 0)
        {
            if (strategy == TrimStrategy.MaxLen && Length <= maxLen) break;
            var node = NodeAt(0);
            long entries = Integer(node.Span, Listpack.HeaderSize, out _);
            if (limit != 0 && deleted + entries > limit) break;
            bool removeNode;
            if (strategy == TrimStrategy.MaxLen) removeNode = Length - entries >= maxLen;
            else removeNode = LastEntryId(node) < minId;
            if (removeNode)
            {
                RemoveNode(0);
                Length -= entries;
                deleted += entries;
                continue;
            }
            if (approx) break;

            long fromNode = 0;
            var it = new Cursor(node.Span, node.Master);
            while (it.Next(node.Span))
            {
                bool stop = strategy == TrimStrategy.MaxLen ? Length <= maxLen : it.Id >= minId;
                if (stop) break;
                if ((it.Flags & FlagDeleted) == 0)
                {
                    Listpack.WriteEntry(node.Lp.AsSpan(it.EntryStart), it.Flags | FlagDeleted);
                    fromNode++;
                    Length--;
                }
            }
            deleted += fromNode;
            ReplaceInteger(node, Listpack.HeaderSize, entries - fromNode);
            int deletedAt = Element(node.Span, Listpack.HeaderSize);
            ReplaceInteger(node, deletedAt, Integer(node.Span, deletedAt, out _) + fromNode);
            break;
        }
        if (Length == 0) FirstId = default;
        else if (deleted > 0) FirstId = EdgeId(first: true, skipTombstones: true);
        return deleted;
    }

    /// <summary>lpGetEdgeStreamID(lp, last): the ID of the node's last entry, deleted or not.</summary>
    static StreamId LastEntryId(Node node)
    {
        var lp = node.Span;
        int lpCountAt = Listpack.PreviousElement(lp, node.Bytes - 1);
        long back = Integer(lp, lpCountAt, out _);
        int p = lpCountAt;
        for (long i = 0; i < back; i++) p = Listpack.PreviousElement(lp, p);
        Integer(lp, p, out p);
        ulong ms = unchecked((ulong)Integer(lp, p, out p)), seq = unchecked((ulong)Integer(lp, p, out _));
        return new(unchecked(node.Master.Ms + ms), unchecked(node.Master.Seq + seq));
    }

    /// <summary>streamGetEdgeID: the first or last entry's ID (deleted ones too unless skipped); Max or Zero when there is none.</summary>
    public StreamId EdgeId(bool first, bool skipTombstones)
    {
        var it = Range(StreamId.Zero, StreamId.Max, reverse: !first, skipTombstones);
        if (it.Next()) return it.Id;
        return first ? StreamId.Max : StreamId.Zero;
    }

    /// <summary>streamLastValidID: the last live entry's ID (0-0 when none).</summary>
    public StreamId LastValidId => EdgeId(first: false, skipTombstones: true);

    /// <summary>streamEntryExists.</summary>
    public bool Exists(StreamId id)
    {
        var it = Range(id, id, reverse: false);
        return it.Next();
    }

    // ---- 7.0's read counters ----

    /// <summary>streamRangeHasTombstones, for a range that starts below <see cref="LastId"/>.</summary>
    public bool RangeHasTombstones(StreamId start, StreamId end)
    {
        if (Length == 0 || MaxDeletedId.IsZero) return false;
        if (FirstId > MaxDeletedId) return false;
        return start <= MaxDeletedId && MaxDeletedId <= end;
    }

    /// <summary>streamEstimateDistanceFromFirstEverEntry: the logical read counter of <paramref name="id"/>, or -1 when it cannot be known.</summary>
    public long EstimateDistanceFromFirstEverEntry(StreamId id)
    {
        if (EntriesAdded == 0) return 0;
        if (Length == 0 && id <= LastId) return EntriesAdded;
        int cmpLast = id.CompareTo(LastId);
        if (cmpLast == 0) return EntriesAdded;
        if (cmpLast > 0) return StreamGroup.InvalidEntriesRead;
        int cmpFirst = id.CompareTo(FirstId);
        if (MaxDeletedId.IsZero || MaxDeletedId < FirstId)
        {
            if (cmpFirst < 0) return EntriesAdded - Length;
            if (cmpFirst == 0) return EntriesAdded - Length + 1;
        }
        return StreamGroup.InvalidEntriesRead;
    }

    /// <summary>streamReplyWithCGLag's number: false when the lag is unknown (the reply is a null).</summary>
    public bool TryGetLag(StreamGroup group, out long lag)
    {
        lag = 0;
        if (EntriesAdded == 0) return true;
        if (group.EntriesRead != StreamGroup.InvalidEntriesRead && !RangeHasTombstones(group.LastId, StreamId.Max))
        {
            lag = EntriesAdded - group.EntriesRead;
            return true;
        }
        long read = EstimateDistanceFromFirstEverEntry(group.LastId);
        if (read == StreamGroup.InvalidEntriesRead) return false;
        lag = EntriesAdded - read;
        return true;
    }

    /// <summary>
    /// The group read the entry <paramref name="id"/> (streamReplyWithRange's update of the
    /// group): its counter goes up by one while it is valid and no tombstone lies ahead, else
    /// it is estimated again; the last delivered ID moves. False when the ID was not past it.
    /// </summary>
    public bool AdvanceGroup(StreamGroup group, StreamId id)
    {
        if (id <= group.LastId) return false;
        if (group.EntriesRead != StreamGroup.InvalidEntriesRead && !RangeHasTombstones(id, StreamId.Max)) group.EntriesRead++;
        else if (EntriesAdded != 0) group.EntriesRead = EstimateDistanceFromFirstEverEntry(id);
        group.LastId = id;
        return true;
    }

    /// <summary>
    /// The number of radix tree nodes Redis reports for these node keys (XINFO STREAM's
    /// radix-tree-nodes), as rax.c lays out 16-byte keys: the root, a node at every point where
    /// keys branch, one after each branch character (the compressed run that follows, or the
    /// next branch), and a key node at the end of every key. That is the tree insertions build;
    /// after removals rax.c may leave a node uncompressed that this does not count.
    /// </summary>
    public long RadixTreeNodes()
    {
        var points = new HashSet<string> { "" };
        Span<byte> a = stackalloc byte[16], b = stackalloc byte[16];
        for (int i = 0; i < _count; i++)
        {
            NodeAt(i).Master.WriteBigEndian(a);
            points.Add(Convert.ToHexString(a));
            if (i == 0) continue;
            NodeAt(i - 1).Master.WriteBigEndian(b);
            int common = 0;
            while (common < 16 && a[common] == b[common]) common++;
            if (common == 16) continue;
            points.Add(Convert.ToHexString(a[..common]));
            points.Add(Convert.ToHexString(a[..(common + 1)]));
            points.Add(Convert.ToHexString(b[..(common + 1)]));
        }
        return points.Count;
    }

    // ---- reading ----

    public Iterator Range(StreamId start, StreamId end, bool reverse, bool skipTombstones = true) => new(this, start, end, reverse, skipTombstones);

    /// <summary>
    /// Walks one node's entries forwards from its master entry (the node's bytes are passed to each
    /// call: the cursor holds positions, not the array, so it can live in a struct).
    /// </summary>
    internal struct Cursor
    {
        readonly StreamId _master;
        public int MasterFields, MasterFieldsAt, Next_, EntryStart, Flags, FieldCount, FieldsAt;
        public StreamId Id;

        public Cursor(ReadOnlySpan<byte> lp, StreamId master)
        {
            _master = master;
            int p = Element(lp, Listpack.HeaderSize);
            p = Element(lp, p);
            MasterFields = (int)Integer(lp, p, out p);
            MasterFieldsAt = p;
            for (int i = 0; i < MasterFields; i++) p = Element(lp, p);
            Next_ = Element(lp, p); // the master's 0 terminator
        }

        /// <summary>The entry starting at <paramref name="p"/>: its ID, flags, fields; returns where the next entry starts.</summary>
        public int ReadEntry(ReadOnlySpan<byte> lp, int p)
        {
            EntryStart = p;
            Flags = (int)Integer(lp, p, out p);
            ulong ms = unchecked((ulong)Integer(lp, p, out p));
            ulong seq = unchecked((ulong)Integer(lp, p, out p));
            Id = new(unchecked(_master.Ms + ms), unchecked(_master.Seq + seq));
            int skip;
            if ((Flags & FlagSameFields) != 0)
            {
                FieldCount = MasterFields;
                skip = FieldCount;
            }
            else
            {
                FieldCount = (int)Integer(lp, p, out p);
                skip = FieldCount * 2;
            }
            FieldsAt = p;
            for (int i = 0; i < skip; i++) p = Element(lp, p);
            return Element(lp, p); // lp-count
        }

        public bool Next(ReadOnlySpan<byte> lp)
        {
            if (Next_ >= lp.Length - 1) return false;
            Next_ = ReadEntry(lp, Next_);
            return true;
        }
    }

    /// <summary>
    /// streamIterator: entries with IDs in [start, end], forwards or backwards, deleted ones
    /// skipped unless asked for. After <see cref="Next"/>, the entry's fields are read in order
    /// with <see cref="ReadField"/>. The stream must not change while an iterator is in use.
    /// </summary>
    public struct Iterator
    {
        readonly StreamValue _s;
        readonly StreamId _start, _end;
        readonly bool _reverse, _skipTombstones;
        int _node, _pos;
        bool _inNode;
        Cursor _cursor;
        int _fieldAt, _masterFieldAt, _fieldsLeft;

        internal Iterator(StreamValue s, StreamId start, StreamId end, bool reverse, bool skipTombstones)
        {
            _s = s;
            _start = start;
            _end = end;
            _reverse = reverse;
            _skipTombstones = skipTombstones;
            if (reverse) _node = s.NodeFor(end);
            else _node = Math.Max(0, s.NodeFor(start));
        }

        public StreamId Id => _cursor.Id;
        public int FieldCount => _cursor.FieldCount;
        public bool IsDeleted => (_cursor.Flags & FlagDeleted) != 0;

        public bool Next()
        {
            if (_s is null) return false;
            while (_node >= 0 && _node < _s._count)
            {
                var node = _s.NodeAt(_node);
                var lp = node.Span;
                if (!_inNode)
                {
                    if (!_reverse && node.Master > _end) return false;
                    _cursor = new Cursor(lp, node.Master);
                    _pos = _reverse ? node.Bytes - 1 : _cursor.Next_;
                    _inNode = true;
                }
                if (_reverse)
                {
                    int lpCountAt = Listpack.PreviousElement(lp, _pos);
                    long back = Integer(lp, lpCountAt, out _);
                    if (back == 0)
                    {
                        // The master entry's terminator: this node is done.
                        _inNode = false;
                        _node--;
                        continue;
                    }
                    int p = lpCountAt;
                    for (long i = 0; i < back; i++) p = Listpack.PreviousElement(lp, p);
                    _cursor.ReadEntry(lp, p);
                    _pos = p;
                    if (_cursor.Id < _start) return false;
                    if (_cursor.Id > _end) continue;
                }
                else
                {
                    if (_pos >= node.Bytes - 1)
                    {
                        _inNode = false;
                        _node++;
                        continue;
                    }
                    _pos = _cursor.ReadEntry(lp, _pos);
                    if (_cursor.Id > _end) return false;
                    if (_cursor.Id < _start) continue;
                }
                if (_skipTombstones && (_cursor.Flags & FlagDeleted) != 0) continue;
                _fieldAt = _cursor.FieldsAt;
                _masterFieldAt = _cursor.MasterFieldsAt;
                _fieldsLeft = _cursor.FieldCount;
                return true;
            }
            return false;
        }

        /// <summary>streamIteratorGetField: the next field and value of the current entry (integers in decimal in the two 20-byte buffers).</summary>
        public void ReadField(Span<byte> fieldDigits, Span<byte> valueDigits, out ReadOnlySpan<byte> field, out ReadOnlySpan<byte> value)
        {
            var lp = _s.NodeAt(_node).Span;
            if ((_cursor.Flags & FlagSameFields) != 0)
                field = Text(lp, _masterFieldAt, fieldDigits, out _masterFieldAt);
            else
                field = Text(lp, _fieldAt, fieldDigits, out _fieldAt);
            value = Text(lp, _fieldAt, valueDigits, out _fieldAt);
            _fieldsLeft--;
        }
    }

    // ---- loading ----

    /// <summary>
    /// streamValidateListpackIntegrity, deep: a valid listpack laid out as a stream node (the
    /// master entry, then exactly count + deleted entries, each with the lp-count it must have),
    /// with no element left over. Counts must not be negative.
    /// </summary>
    public static bool ValidateNode(ReadOnlySpan<byte> lp)
    {
        if (Listpack.Validate(lp) < 0) return false;
        int end = lp.Length - 1, p = Listpack.HeaderSize;
        if (!ReadInt(lp, ref p, end, out long count) || !ReadInt(lp, ref p, end, out long deleted) || !ReadInt(lp, ref p, end, out long masterFields))
            return false;
        if (count < 0 || deleted < 0 || masterFields < 0) return false;
        for (long j = 0; j < masterFields; j++)
        {
            if (p >= end) return false;
            p = Element(lp, p);
        }
        if (!ReadInt(lp, ref p, end, out long zero) || zero != 0) return false;
        for (long entries = count + deleted; entries > 0; entries--)
        {
            if (!ReadInt(lp, ref p, end, out long flags) || !ReadInt(lp, ref p, end, out _) || !ReadInt(lp, ref p, end, out _)) return false;
            long fields = masterFields, extra = 3;
            if ((flags & FlagSameFields) == 0)
            {
                if (!ReadInt(lp, ref p, end, out fields) || fields < 0) return false;
                for (long j = 0; j < fields; j++)
                {
                    if (p >= end) return false;
                    p = Element(lp, p);
                }
                extra += fields + 1;
            }
            for (long j = 0; j < fields; j++)
            {
                if (p >= end) return false;
                p = Element(lp, p);
            }
            if (!ReadInt(lp, ref p, end, out long lpCount) || lpCount != fields + extra) return false;
        }
        return p == end;
    }

    static bool ReadInt(ReadOnlySpan<byte> lp, ref int p, int end, out long value)
    {
        value = 0;
        if (p >= end) return false;
        p = Listpack.ReadElement(lp, p, out bool isInteger, out value, out _);
        return isInteger;
    }

    /// <summary>
    /// Before a new stream goes into a keyspace (created, restored, loaded): the keyspace counts
    /// what it holds then, so <see cref="Account"/> reports only what changes after.
    /// </summary>
    public void Settle() => _reported = MemoryBytes;

    /// <summary>lazyfreeGetFreeEffort for a stream: its nodes, and per group its PEL entries and consumers.</summary>
    public long FreeEffort
    {
        get
        {
            long effort = _count;
            if (_groups is not null)
                foreach (var g in _groups.Values) effort += 1 + g.Pending.Count + g.Consumers.Count;
            return effort;
        }
    }

    /// <summary>A node's entries, live and deleted (what writing it costs).</summary>
    public static long NodeEntries(ReadOnlySpan<byte> lp)
    {
        long live = Integer(lp, Listpack.HeaderSize, out int next);
        return live + Integer(lp, next, out _);
    }

    /// <summary>The live entries the nodes' master entries count (a loaded stream's length must agree).</summary>
    public long CountedEntries()
    {
        long n = 0;
        for (int i = 0; i < _count; i++) n += Integer(NodeAt(i).Span, Listpack.HeaderSize, out _);
        return n;
    }
}
