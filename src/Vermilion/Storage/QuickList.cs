using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using Vermilion.Protocol;

namespace Vermilion.Storage;

/// <summary>
/// An element about to be stored in a list or compared with its entries, analysed once: a
/// canonical decimal integer (Redis's string2ll rules, at most 20 bytes) is kept as a number,
/// anything else as bytes. Reading it back gives the same text either way.
/// </summary>
public readonly ref struct ListElement
{
    public readonly ReadOnlySpan<byte> Text;
    public readonly long Integer;
    public readonly bool IsInteger;

    public ListElement(ReadOnlySpan<byte> text)
    {
        Text = text;
        IsInteger = IntegerText.TryParse(text, out Integer);
    }
}

/// <summary>An entry read from a list: a span into the node (valid until the list changes) or an integer.</summary>
public readonly ref struct ListEntry
{
    public readonly ReadOnlySpan<byte> Bytes;
    public readonly long Integer;
    public readonly bool IsInteger;

    public ListEntry(ReadOnlySpan<byte> bytes)
    {
        Bytes = bytes;
        Integer = 0;
        IsInteger = false;
    }

    public ListEntry(long integer)
    {
        Bytes = default;
        Integer = integer;
        IsInteger = true;
    }

    public bool Matches(in ListElement element) =>
        IsInteger ? element.IsInteger && element.Integer == Integer : !element.IsInteger && Bytes.SequenceEqual(element.Text);

    /// <summary>The entry's text: its bytes, or the integer's decimal form written into <paramref name="scratch"/> (20 bytes suffice).</summary>
    public ReadOnlySpan<byte> Text(Span<byte> scratch) => IsInteger ? scratch[..IntegerText.Format(Integer, scratch)] : Bytes;

    public void WriteBulk(ReplyWriter reply)
    {
        if (IsInteger) reply.Bulk(Integer);
        else reply.Bulk(Bytes);
    }
}

/// <summary>
/// A Redis 7.0 list (OBJECT ENCODING "quicklist"): a sequence of nodes, each one byte array of
/// packed entries, so a list of small elements costs a few bytes per element instead of an
/// object each.
///
/// Node layout: [entry count: int32][start: int32][end: int32] … free … [entries] … free …
/// The entries live in [start, end); free space may sit on both sides, so pushing and popping at
/// either end of a node moves nothing. Entry layout (our own format, close in size to Redis's
/// listpack so nodes split at about the same element counts):
///   0x00-0x7F                 the integer 0..127
///   0x80|len (len &lt; 64)      a string of len bytes follows
///   0xC0|k (k = 1..8)         a signed integer in k little-endian bytes follows
///   0xE0|len>>8, len&amp;0xFF     a string of len &lt; 4096 bytes follows
///   0xF0, len (int32)         a longer string follows
/// then the entry's length so far as a varint written backwards (its last byte holds the low 7
/// bits; a set high bit means another byte precedes), which lets a node be walked from its end.
///
/// Nodes are bounded as Redis bounds them by list-max-listpack-size (read when the list is
/// created, as Redis does): -1..-5 cap a node at 4/8/16/32/64 KB, a positive value caps its
/// entry count (and 8 KB). A full end node gets a new neighbour; an insert into a full middle
/// node splits it and merges the halves with their neighbours when they fit. list-compress-depth
/// is accepted but nodes are never compressed (Redis LZF-compresses inner nodes).
///
/// In the keyspace a list of one node is a record ([fill, int32][the node, exactly as long as its
/// entries: no spare room, the record's size class is the room]) and commands get a view of it
/// (<see cref="ValueViews"/>), which edits the node in place; a list that needs a second node
/// becomes a managed object (<see cref="LeaveRecord"/>) and stays one.
/// </summary>
public sealed class QuickList : SeparatelyKeyedObject
{
    const int NodeHeader = 12;
    /// <summary>Redis counts a listpack's 6-byte header and end byte in the size it compares with the limits.</summary>
    const int ListpackOverhead = 7;
    /// <summary>Redis's SIZE_ESTIMATE_OVERHEAD: a new entry is assumed to cost its length plus this.</summary>
    const int EstimateOverhead = 8;
    /// <summary>SIZE_SAFETY_LIMIT: a node limited by entry count still stays under 8 KB.</summary>
    const int SafetyLimit = 8192;
    static readonly int[] s_sizeLimits = [4096, 8192, 16384, 32768, 65536];

    /// <summary>The object itself: header, Key, Owner, _store, _count, _nodeBytes, _first, _nodeCount, _fill.</summary>
    const long ObjectBytes = 72;

    // The nodes: null, the only node (byte[]: most lists are small), a ring of them (byte[][],
    // capacity a power of two, the head at _first), or the RecordView of a record holding the
    // only node (a view: _count, _nodeCount and _fill are read from the record when it is lent).
    object? _store;
    int _first, _nodeCount;
    long _count;
    long _nodeBytes;        // the ring array and every node array, as the managed heap holds them
    int _fill;

    /// <summary>A record's value starts with the list's fill.</summary>
    const int RecordHeader = 4;

    public QuickList(byte[] key, int fill) : base(key)
    {
        _fill = ClampFill(fill);
    }

    /// <summary>quicklistSetFill: beyond these the limits stop changing.</summary>
    static int ClampFill(int fill) => Math.Clamp(fill, -s_sizeLimits.Length, (1 << 15) - 1);

    /// <summary>A pooled view (<see cref="ValueViews"/>), parked on <paramref name="record"/> until lent.</summary>
    internal static QuickList CreateView(RecordView record)
    {
        var view = new QuickList([], 0);
        view.Bind(record);
        return view;
    }

    public override ReadOnlySpan<byte> Key => _store is RecordView record ? record.Key : base.Key;
    public override DataType Type => DataType.List;
    public override string Encoding => "quicklist";
    /// <summary>The object, its key and node arrays; 0 for a view, whose bytes are its record's (counted by the RecordHeap).</summary>
    public override long MemoryBytes => _store is RecordView ? 0 : ObjectBytes + ArrayBytes(Key.Length) + _nodeBytes;
    public long Count => _count;
    public int NodeCount => _nodeCount;
    public int Fill => _fill;

    public override StoredObject CopyAs(byte[] key)
    {
        var copy = new QuickList(key, _fill);
        for (int i = 0; i < _nodeCount; i++)
        {
            var node = Node(i);
            int start = Start(node), used = End(node) - start;
            var exact = copy.NewNode(used, 0);
            node.Slice(start, used).CopyTo(exact.AsSpan(NodeHeader));
            SetCount(exact, NodeEntries(node));
            SetEnd(exact, NodeHeader + used);
            copy.InsertNode(i, exact);
        }
        copy._count = _count;
        return copy;
    }

    // ---- node header ----

    static int NodeEntries(ReadOnlySpan<byte> n) => BinaryPrimitives.ReadInt32LittleEndian(n);
    static int Start(ReadOnlySpan<byte> n) => BinaryPrimitives.ReadInt32LittleEndian(n[4..]);
    static int End(ReadOnlySpan<byte> n) => BinaryPrimitives.ReadInt32LittleEndian(n[8..]);
    static void SetCount(Span<byte> n, int v) => BinaryPrimitives.WriteInt32LittleEndian(n, v);
    static void SetStart(Span<byte> n, int v) => BinaryPrimitives.WriteInt32LittleEndian(n[4..], v);
    static void SetEnd(Span<byte> n, int v) => BinaryPrimitives.WriteInt32LittleEndian(n[8..], v);

    // ---- as a record (see ValueViews) ----

    /// <summary>The record's node, after the fill.</summary>
    static Span<byte> RecordNode(RecordView record) => record.Value[RecordHeader..];

    /// <summary>The record's node is now <paramref name="length"/> bytes, header included (the prefix kept).</summary>
    static Span<byte> ResizeRecordNode(RecordView record, int length) => record.Resize(RecordHeader + length)[RecordHeader..];

    internal override RecordKind CompactKind => _store is null or byte[] ? RecordKind.List : RecordKind.String;
    internal override int CompactLength => RecordHeader + NodeHeader + (_store is byte[] node ? End(node) - Start(node) : 0);

    /// <summary>A record holding an empty list: the fill and an empty node's header.</summary>
    internal const int EmptyRecordBytes = RecordHeader + NodeHeader;

    /// <summary>Writes an empty list with <paramref name="fill"/> (clamped as the constructor does) into a record's value of <see cref="EmptyRecordBytes"/>.</summary>
    internal static void WriteEmptyRecord(Span<byte> into, int fill)
    {
        BinaryPrimitives.WriteInt32LittleEndian(into, ClampFill(fill));
        var node = into[RecordHeader..];
        SetCount(node, 0);
        SetStart(node, NodeHeader);
        SetEnd(node, NodeHeader);
    }

    internal override void WriteCompact(Span<byte> into)
    {
        BinaryPrimitives.WriteInt32LittleEndian(into, _fill);
        var node = into[RecordHeader..];
        int used = 0;
        if (_store is byte[] owned)
        {
            used = End(owned) - Start(owned);
            owned.AsSpan(Start(owned), used).CopyTo(node[NodeHeader..]);
        }
        SetCount(node, (int)_count);
        SetStart(node, NodeHeader);
        SetEnd(node, NodeHeader + used);
    }

    /// <summary>A view takes the list's state from its record (a parked one holds none).</summary>
    internal override void Bind(RecordView record)
    {
        _store = record;
        _first = 0;
        _nodeBytes = 0;
        if (!record.IsBound)
        {
            _count = _nodeCount = 0;
            return;
        }
        _fill = BinaryPrimitives.ReadInt32LittleEndian(record.Value);
        _count = NodeEntries(RecordNode(record));
        _nodeCount = _count > 0 ? 1 : 0;
    }

    internal override void Materialize()
    {
        var record = (RecordView)_store!;
        SetKey(record.Key);
        _nodeBytes = 0;
        _store = _nodeCount == 0 ? null : CopyNode(RecordNode(record));
    }

    /// <summary>A node array of its own holding <paramref name="node"/>'s entries, with no spare room.</summary>
    byte[] CopyNode(ReadOnlySpan<byte> node)
    {
        int start = Start(node), used = End(node) - start;
        var owned = NewNode(used, 0);
        node.Slice(start, used).CopyTo(owned.AsSpan(NodeHeader));
        SetCount(owned, NodeEntries(node));
        SetEnd(owned, NodeHeader + used);
        return owned;
    }

    /// <summary>
    /// The list is about to need a second node: its node becomes an array of its own and the list
    /// its entry's managed object for good (it is counted in used_memory from now on, each later
    /// change through <see cref="Account"/>).
    /// </summary>
    void LeaveRecord()
    {
        if (_store is not RecordView record) return;
        SetKey(record.Key);
        _nodeBytes = 0;
        _store = _nodeCount == 0 ? null : CopyNode(RecordNode(record));
        record.Promote(this, countNow: true);
    }

    /// <summary>Splice for the record's node: the bytes after the change move, the record is resized to fit the entries exactly.</summary>
    static Span<byte> SpliceRecord(RecordView record, int at, int removeLength, int insertLength)
    {
        var node = RecordNode(record);
        int end = End(node), delta = insertLength - removeLength;
        if (delta > 0) node = ResizeRecordNode(record, end + delta);
        node[(at + removeLength)..end].CopyTo(node[(at + insertLength)..]);
        SetEnd(node, end + delta);
        if (delta < 0) node = ResizeRecordNode(record, end + delta);
        return node.Slice(at, insertLength);
    }

    /// <summary>After entries were dropped in place (LREM): the record's node packed to its front and resized to fit.</summary>
    static void RepackRecord(RecordView record)
    {
        var node = RecordNode(record);
        int start = Start(node), used = End(node) - start;
        node.Slice(start, used).CopyTo(node[NodeHeader..]);
        SetStart(node, NodeHeader);
        SetEnd(node, NodeHeader + used);
        ResizeRecordNode(record, NodeHeader + used);
    }

    /// <summary>A node array with room for <paramref name="used"/> bytes of entries (placed at the front) and <paramref name="slack"/> more.</summary>
    byte[] NewNode(int used, int slack)
    {
        // Use the padding the runtime rounds every array up to anyway.
        int length = (int)Math.Min(((long)NodeHeader + used + slack + 7) & ~7L, Array.MaxLength);
        var node = GC.AllocateUninitializedArray<byte>(length);
        SetCount(node, 0);
        SetStart(node, NodeHeader);
        SetEnd(node, NodeHeader);
        Account(ArrayBytes(length));
        return node;
    }

    void Account(long delta)
    {
        _nodeBytes += delta;
        Grew(delta);
    }

    // ---- the ring of nodes ----

    /// <summary>Node <paramref name="i"/> as an array; only for a list that is not a record.</summary>
    byte[] NodeAt(int i) => _store is byte[][] ring ? ring[(_first + i) & (ring.Length - 1)] : (byte[])_store!;

    /// <summary>Node <paramref name="i"/>, an array's or the record's (valid until the list changes).</summary>
    Span<byte> Node(int i) => _store is RecordView record ? RecordNode(record) : NodeAt(i);

    void SetNodeAt(int i, byte[] node)
    {
        if (_store is byte[][] ring) ring[(_first + i) & (ring.Length - 1)] = node;
        else _store = node;
    }

    void InsertNode(int index, byte[] node)
    {
        if (_nodeCount == 0)
        {
            _store = node;
            _nodeCount = 1;
            return;
        }
        if (_store is byte[] single)
        {
            _store = new byte[4][] { single, null!, null!, null! };
            _first = 0;
            Account(RingBytes(4));
        }
        var ring = (byte[][])_store!;
        if (_nodeCount == ring.Length) ring = ResizeRing(ring.Length * 2);
        int mask = ring.Length - 1;
        if (index < _nodeCount - index)
        {
            // Shift the nodes before the new one a place toward the front.
            _first = (_first - 1) & mask;
            for (int i = 0; i < index; i++) ring[(_first + i) & mask] = ring[(_first + i + 1) & mask];
        }
        else
        {
            for (int i = _nodeCount; i > index; i--) ring[(_first + i) & mask] = ring[(_first + i - 1) & mask];
        }
        ring[(_first + index) & mask] = node;
        _nodeCount++;
    }

    void RemoveNode(int index)
    {
        if (_store is RecordView record)
        {
            // The list is empty (the command deletes the key); the record keeps an empty node meanwhile.
            var node = ResizeRecordNode(record, NodeHeader);
            SetCount(node, 0);
            SetStart(node, NodeHeader);
            SetEnd(node, NodeHeader);
            _nodeCount = 0;
            return;
        }
        Account(-ArrayBytes(NodeAt(index).Length));
        if (_store is not byte[][] ring)
        {
            _store = null;
            _nodeCount = 0;
            return;
        }
        int mask = ring.Length - 1;
        if (index < _nodeCount - 1 - index)
        {
            for (int i = index; i > 0; i--) ring[(_first + i) & mask] = ring[(_first + i - 1) & mask];
            ring[_first] = null!;
            _first = (_first + 1) & mask;
        }
        else
        {
            for (int i = index; i < _nodeCount - 1; i++) ring[(_first + i) & mask] = ring[(_first + i + 1) & mask];
            ring[(_first + _nodeCount - 1) & mask] = null!;
        }
        _nodeCount--;
        if (_nodeCount == 1)
        {
            _store = ring[_first];
            _first = 0;
            Account(-RingBytes(ring.Length));
        }
        else if (ring.Length >= 16 && _nodeCount <= ring.Length / 4) ResizeRing(ring.Length / 2);
    }

    byte[][] ResizeRing(int capacity)
    {
        var old = (byte[][])_store!;
        var ring = new byte[capacity][];
        for (int i = 0; i < _nodeCount; i++) ring[i] = old[(_first + i) & (old.Length - 1)];
        Account(RingBytes(capacity) - RingBytes(old.Length));
        _store = ring;
        _first = 0;
        return ring;
    }

    static long RingBytes(int capacity) => 24 + 8L * capacity;

    // ---- entry format ----

    static int IntegerBytes(long v)
    {
        int k = 1;
        while (k < 8 && (v < -(1L << (8 * k - 1)) || v >= 1L << (8 * k - 1))) k++;
        return k;
    }

    static int ContentSize(in ListElement e)
    {
        if (e.IsInteger) return (ulong)e.Integer < 128 ? 1 : 1 + IntegerBytes(e.Integer);
        int n = e.Text.Length;
        return n < 64 ? 1 + n : n < 4096 ? 2 + n : 5 + n;
    }

    static int BacklenSize(int content) => content < 1 << 7 ? 1 : content < 1 << 14 ? 2 : content < 1 << 21 ? 3 : content < 1 << 28 ? 4 : 5;

    /// <summary>The bytes <paramref name="e"/> takes in a node.</summary>
    public static int EntrySize(in ListElement e)
    {
        int content = ContentSize(e);
        return content + BacklenSize(content);
    }

    static void WriteEntry(Span<byte> dst, in ListElement e)
    {
        int p = 0;
        if (e.IsInteger)
        {
            long v = e.Integer;
            if ((ulong)v < 128) dst[p++] = (byte)v;
            else
            {
                int k = IntegerBytes(v);
                dst[p++] = (byte)(0xC0 | k);
                for (int i = 0; i < k; i++) dst[p++] = (byte)(v >> (8 * i));
            }
        }
        else
        {
            var s = e.Text;
            if (s.Length < 64) dst[p++] = (byte)(0x80 | s.Length);
            else if (s.Length < 4096)
            {
                dst[p++] = (byte)(0xE0 | (s.Length >> 8));
                dst[p++] = (byte)s.Length;
            }
            else
            {
                dst[p++] = 0xF0;
                BinaryPrimitives.WriteInt32LittleEndian(dst[p..], s.Length);
                p += 4;
            }
            s.CopyTo(dst[p..]);
            p += s.Length;
        }
        // The length so far, most significant group first; every byte but the first has the high bit.
        int content = p, groups = BacklenSize(content);
        for (int g = groups - 1; g >= 0; g--)
            dst[p++] = (byte)(((content >> (7 * g)) & 0x7F) | (g == groups - 1 ? 0 : 0x80));
    }

    /// <summary>Reads the entry at <paramref name="pos"/>; returns its size in the node.</summary>
    static int ReadEntry(ReadOnlySpan<byte> node, int pos, out ListEntry entry)
    {
        int tag = node[pos], content;
        if (tag < 0x80)
        {
            entry = new ListEntry(tag);
            content = 1;
        }
        else if (tag < 0xC0)
        {
            int len = tag & 0x3F;
            entry = new ListEntry(node.Slice(pos + 1, len));
            content = 1 + len;
        }
        else if (tag < 0xE0)
        {
            int k = tag & 0x0F;
            ulong raw = 0;
            for (int i = 0; i < k; i++) raw |= (ulong)node[pos + 1 + i] << (8 * i);
            int shift = 64 - 8 * k;
            entry = new ListEntry((long)(raw << shift) >> shift);
            content = 1 + k;
        }
        else if (tag < 0xF0)
        {
            int len = ((tag & 0x0F) << 8) | node[pos + 1];
            entry = new ListEntry(node.Slice(pos + 2, len));
            content = 2 + len;
        }
        else
        {
            int len = BinaryPrimitives.ReadInt32LittleEndian(node[(pos + 1)..]);
            entry = new ListEntry(node.Slice(pos + 5, len));
            content = 5 + len;
        }
        return content + BacklenSize(content);
    }

    /// <summary>The start of the entry that ends at <paramref name="end"/>.</summary>
    static int EntryBefore(ReadOnlySpan<byte> node, int end)
    {
        int p = end - 1, content = 0, shift = 0;
        while (true)
        {
            int b = node[p];
            content |= (b & 0x7F) << shift;
            if ((b & 0x80) == 0) break;
            shift += 7;
            p--;
        }
        return p - content;
    }

    /// <summary>The size of the entry at <paramref name="pos"/>, without decoding it.</summary>
    static int SizeAt(ReadOnlySpan<byte> node, int pos) => ReadEntry(node, pos, out _);

    // ---- limits ----

    /// <summary>_quicklistNodeAllowInsert: whether one more element of <paramref name="valueLength"/> bytes keeps the node within the limits.</summary>
    bool AllowInsert(ReadOnlySpan<byte> node, int valueLength)
    {
        long estimate = (long)End(node) - Start(node) + ListpackOverhead + valueLength + EstimateOverhead;
        return WithinLimits(estimate, NodeEntries(node) + 1L);
    }

    bool WithinLimits(long bytes, long entries)
    {
        if (_fill < 0) return bytes <= s_sizeLimits[-_fill - 1];
        return bytes <= SafetyLimit && entries <= _fill;
    }

    /// <summary>_quicklistNodeAllowMerge: two neighbours fit in one node.</summary>
    bool AllowMerge(byte[] a, byte[] b)
    {
        long bytes = (long)End(a) - Start(a) + End(b) - Start(b) + ListpackOverhead;
        return WithinLimits(bytes, (long)NodeEntries(a) + NodeEntries(b));
    }

    /// <summary>A node's byte limit, for sizing its array: no point reserving past it.</summary>
    int ByteLimit => _fill < 0 ? s_sizeLimits[-_fill - 1] : SafetyLimit;

    // ---- changing a node's bytes ----

    /// <summary>
    /// Replaces <paramref name="removeLength"/> bytes at <paramref name="at"/> in node
    /// <paramref name="index"/> with room for <paramref name="insertLength"/> bytes, which the
    /// caller writes into the returned span. Pushing into free space at either end moves
    /// nothing; otherwise the node is laid out again, with its spare room on the side that is
    /// growing, in a larger array when it must grow (by half, up to the node limit).
    /// </summary>
    Span<byte> Splice(int index, int at, int removeLength, int insertLength)
    {
        if (_store is RecordView record) return SpliceRecord(record, at, removeLength, insertLength);
        var node = NodeAt(index);
        int start = Start(node), end = End(node);
        int delta = insertLength - removeLength;
        int before = at - start, after = end - at - removeLength;
        if (delta == 0) return node.AsSpan(at, insertLength);
        if (before == 0 && (delta < 0 || start - NodeHeader >= delta)) SetStart(node, start - delta);
        else if (after == 0 && (delta < 0 || node.Length - end >= delta)) SetEnd(node, end + delta);
        else Relayout(index, node, start, end, at, removeLength, insertLength);
        if (delta < 0) ShrinkIfSparse(index);
        // The bytes before the insertion point always stay in front of it.
        node = NodeAt(index);
        return node.AsSpan(Start(node) + before, insertLength);
    }

    /// <summary>Lays node <paramref name="index"/> out again with a gap of <paramref name="insertLength"/> bytes where <paramref name="removeLength"/> were.</summary>
    void Relayout(int index, byte[] node, int start, int end, int at, int removeLength, int insertLength)
    {
        int before = at - start, after = end - at - removeLength;
        int used = end - start, newUsed = used + insertLength - removeLength;
        var target = node;
        if (newUsed > node.Length - NodeHeader)
        {
            int grown = Math.Max(newUsed + 16, Math.Min(newUsed + newUsed / 2, ByteLimit));
            target = NewNode(0, grown);
        }
        int slack = target.Length - NodeHeader - newUsed;
        int slackFront = before == 0 ? slack : after == 0 ? 0 : slack / 2;
        int newStart = NodeHeader + slackFront;
        var front = node.AsSpan(start, before);
        var back = node.AsSpan(at + removeLength, after);
        // Within one array the two parts may overlap their destinations: move them in an order
        // that never overwrites bytes still to be moved (Span.CopyTo itself handles overlap).
        if (newStart <= start)
        {
            front.CopyTo(target.AsSpan(newStart));
            back.CopyTo(target.AsSpan(newStart + before + insertLength));
        }
        else
        {
            back.CopyTo(target.AsSpan(newStart + before + insertLength));
            front.CopyTo(target.AsSpan(newStart));
        }
        SetCount(target, NodeEntries(node));
        SetStart(target, newStart);
        SetEnd(target, newStart + newUsed);
        if (!ReferenceEquals(target, node))
        {
            Account(-ArrayBytes(node.Length));
            SetNodeAt(index, target);
        }
    }

    /// <summary>A node left mostly empty by removals gives memory back (Redis reallocates listpacks on delete).</summary>
    void ShrinkIfSparse(int index)
    {
        if (_store is RecordView record)
        {
            RepackRecord(record);
            return;
        }
        var node = NodeAt(index);
        int start = Start(node), used = End(node) - start, capacity = node.Length - NodeHeader;
        if (capacity - used <= used + 64) return;
        Repack(index, used / 4);
    }

    /// <summary>Copies node <paramref name="index"/> into an array with exactly <paramref name="slack"/> spare bytes (at its back).</summary>
    void Repack(int index, int slack)
    {
        var node = NodeAt(index);
        int start = Start(node), used = End(node) - start;
        var fresh = NewNode(used, slack);
        node.AsSpan(start, used).CopyTo(fresh.AsSpan(NodeHeader));
        SetCount(fresh, NodeEntries(node));
        SetEnd(fresh, NodeHeader + used);
        Account(-ArrayBytes(node.Length));
        SetNodeAt(index, fresh);
    }

    /// <summary>
    /// A node that will not be pushed into again gives back its spare room, unless that is little
    /// (copying a full node to save a few bytes would only make garbage).
    /// </summary>
    void TrimToFit(int index)
    {
        if (_store is RecordView) return; // a record's node has no spare room
        var node = NodeAt(index);
        int used = End(node) - Start(node), spare = node.Length - NodeHeader - used;
        if (spare > 16 && spare > used / 16) Repack(index, 0);
    }

    /// <summary>
    /// A new node holding just <paramref name="e"/>, inserted at node position <paramref name="index"/>,
    /// with <paramref name="room"/> spare bytes in front of it (<paramref name="roomInFront"/>) or behind.
    /// </summary>
    void InsertNodeWith(int index, in ListElement e, int size, int room = 0, bool roomInFront = false)
    {
        if (_store is RecordView record && _nodeCount == 0)
        {
            // An emptied view pushed into again (LMOVE of a one-element list onto itself): the record holds the node.
            var only = ResizeRecordNode(record, NodeHeader + size);
            WriteEntry(only.Slice(NodeHeader, size), e);
            SetCount(only, 1);
            SetStart(only, NodeHeader);
            SetEnd(only, NodeHeader + size);
            _nodeCount = 1;
            return;
        }
        LeaveRecord();
        var node = NewNode(size, room);
        int start = roomInFront ? node.Length - size : NodeHeader;
        WriteEntry(node.AsSpan(start, size), e);
        SetStart(node, start);
        SetEnd(node, start + size);
        SetCount(node, 1);
        InsertNode(index, node);
    }

    // ---- push and pop ----

    public void PushHead(ReadOnlySpan<byte> value) => Push(new ListElement(value), head: true);
    public void PushTail(ReadOnlySpan<byte> value) => Push(new ListElement(value), head: false);

    /// <summary>
    /// Pushes one element. <paramref name="more"/>: bytes of elements about to follow it, so a
    /// node this push creates is made big enough for them at once (LPUSH/RPUSH of many elements
    /// onto a new list allocate one node, not a series of growing ones).
    /// </summary>
    public void Push(in ListElement e, bool head, long more = 0)
    {
        int size = EntrySize(e);
        int index = head ? 0 : _nodeCount - 1;
        if (_nodeCount > 0 && AllowInsert(Node(index), e.Text.Length))
        {
            var node = Node(index);
            int at = head ? Start(node) : End(node);
            WriteEntry(Splice(index, at, 0, size), e);
            node = Node(index);
            SetCount(node, NodeEntries(node) + 1);
        }
        else
        {
            // A list that has filled several nodes at this end will likely fill the next one as far:
            // size it so, and the pushes to come neither regrow it nor leave copies behind. (Only
            // past a few nodes: a list that stops growing keeps at most a quarter of spare room.)
            long expected = more;
            if (_nodeCount > 0)
            {
                var full = Node(index);
                if (_nodeCount >= 4) expected = Math.Max(expected, End(full) - Start(full) - size);
                TrimToFit(index);
            }
            int room = (int)Math.Clamp(Math.Min(expected, ByteLimit + (long)EstimateOverhead - size - ListpackOverhead), 0, int.MaxValue);
            InsertNodeWith(head ? 0 : _nodeCount, e, size, room, roomInFront: head);
        }
        _count++;
    }

    /// <summary>
    /// Makes room for about <paramref name="bytes"/> more at one end before a multi-element push,
    /// so LPUSH/RPUSH of many elements grows the end node once and leaves no slack.
    /// </summary>
    public void Reserve(long bytes, bool head)
    {
        // A record grows with each push, in place within its size class.
        if (_nodeCount == 0 || bytes <= 0 || _store is RecordView) return;
        int index = head ? 0 : _nodeCount - 1;
        var node = NodeAt(index);
        int start = Start(node), end = End(node), used = end - start;
        int room = head ? start - NodeHeader : node.Length - end;
        if (room >= bytes) return;
        long limit = ByteLimit + (long)EstimateOverhead - used - ListpackOverhead;
        long fits = Math.Min(bytes, limit);
        // When the batch spills into a new node anyway, copying a big node for a little more room
        // would only make garbage.
        if (fits <= room || (fits < bytes && node.Length - NodeHeader >= limit / 2)) return;
        // A list pushed in batches keeps growing at this end: at least double the node, so its
        // copies (garbage the collector must find) stay a small multiple of what it finally holds.
        fits = Math.Min(Math.Max(fits, used), limit);
        var fresh = NewNode(0, (int)(used + fits));
        int newStart = head ? fresh.Length - used : NodeHeader;
        node.AsSpan(start, used).CopyTo(fresh.AsSpan(newStart));
        SetCount(fresh, NodeEntries(node));
        SetStart(fresh, newStart);
        SetEnd(fresh, newStart + used);
        Account(-ArrayBytes(node.Length));
        SetNodeAt(index, fresh);
    }

    /// <summary>The first (or last) element; the list must not be empty. Valid until the list changes.</summary>
    public ListEntry Peek(bool head)
    {
        if (head)
        {
            var node = Node(0);
            ReadEntry(node, Start(node), out var entry);
            return entry;
        }
        else
        {
            var node = Node(_nodeCount - 1);
            ReadEntry(node, EntryBefore(node, End(node)), out var entry);
            return entry;
        }
    }

    /// <summary>Removes the first or last element; the list must not be empty.</summary>
    public void RemoveEnd(bool head)
    {
        if (head) RemoveHead(1);
        else RemoveTail(1);
    }

    /// <summary>Removes the first <paramref name="n"/> elements (all of them if there are fewer).</summary>
    public void RemoveHead(long n)
    {
        while (n > 0 && _nodeCount > 0)
        {
            var node = Node(0);
            int entries = NodeEntries(node);
            if (n >= entries)
            {
                RemoveNode(0);
                _count -= entries;
                n -= entries;
                continue;
            }
            int start = Start(node), pos = start;
            for (long i = 0; i < n; i++) pos += SizeAt(node, pos);
            Splice(0, start, pos - start, 0);
            node = Node(0);
            SetCount(node, entries - (int)n);
            _count -= n;
            n = 0;
        }
    }

    /// <summary>Removes the last <paramref name="n"/> elements (all of them if there are fewer).</summary>
    public void RemoveTail(long n)
    {
        while (n > 0 && _nodeCount > 0)
        {
            int last = _nodeCount - 1;
            var node = Node(last);
            int entries = NodeEntries(node);
            if (n >= entries)
            {
                RemoveNode(last);
                _count -= entries;
                n -= entries;
                continue;
            }
            int end = End(node), pos = end;
            for (long i = 0; i < n; i++) pos = EntryBefore(node, pos);
            Splice(last, pos, end - pos, 0);
            node = Node(last);
            SetCount(node, entries - (int)n);
            _count -= n;
            n = 0;
        }
    }

    // ---- positions ----

    /// <summary>The node holding element <paramref name="index"/> (0-based, in range) and the element's byte offset in it.</summary>
    void Locate(long index, out int nodeIndex, out int offset)
    {
        int i;
        long k;
        if (index < _count - index)
        {
            i = 0;
            k = index;
            while (k >= NodeEntries(Node(i))) k -= NodeEntries(Node(i++));
        }
        else
        {
            i = _nodeCount - 1;
            k = _count - 1 - index; // from the end
            while (k >= NodeEntries(Node(i))) k -= NodeEntries(Node(i--));
            k = NodeEntries(Node(i)) - 1 - k;
        }
        var node = Node(i);
        int entries = NodeEntries(node);
        int pos;
        if (k < entries - k)
        {
            pos = Start(node);
            for (long j = 0; j < k; j++) pos += SizeAt(node, pos);
        }
        else
        {
            pos = End(node);
            for (long j = entries; j > k; j--) pos = EntryBefore(node, pos);
        }
        nodeIndex = i;
        offset = pos;
    }

    /// <summary>Redis's index rule: negative counts from the end; false when out of range.</summary>
    public bool TryNormalize(long index, out long normalized)
    {
        normalized = index < 0 ? _count + index : index;
        return normalized >= 0 && normalized < _count;
    }

    /// <summary>The element at <paramref name="index"/> (0-based, in range).</summary>
    public ListEntry Get(long index)
    {
        Locate(index, out int i, out int pos);
        ReadEntry(Node(i), pos, out var entry);
        return entry;
    }

    /// <summary>LSET: replaces the element at <paramref name="index"/> (0-based, in range) in place, as Redis 7.0 does regardless of the node limit.</summary>
    public void Set(long index, ReadOnlySpan<byte> value)
    {
        var e = new ListElement(value);
        Locate(index, out int i, out int pos);
        int old = SizeAt(Node(i), pos);
        WriteEntry(Splice(i, pos, old, EntrySize(e)), e);
    }

    /// <summary>
    /// LINSERT: puts <paramref name="value"/> before or after the element at <paramref name="index"/>,
    /// following _quicklistInsert: into the node when it has room, else into the neighbouring
    /// end of the next or previous node, else a new node at a node boundary, else the node splits.
    /// </summary>
    public void Insert(long index, bool after, ReadOnlySpan<byte> value)
    {
        var e = new ListElement(value);
        int size = EntrySize(e);
        Locate(index, out int i, out int pos);
        var node = Node(i);
        int entries = NodeEntries(node);
        int at = after ? pos + SizeAt(node, pos) : pos;
        _count++;
        if (AllowInsert(node, value.Length))
        {
            WriteEntry(Splice(i, at, 0, size), e);
            SetCount(Node(i), entries + 1);
            return;
        }
        bool atTail = after && at == End(node), atHead = !after && at == Start(node);
        if (atTail && i + 1 < _nodeCount && AllowInsert(Node(i + 1), value.Length))
        {
            WriteEntry(Splice(i + 1, Start(Node(i + 1)), 0, size), e);
            SetCount(Node(i + 1), NodeEntries(Node(i + 1)) + 1);
            return;
        }
        if (atHead && i > 0 && AllowInsert(Node(i - 1), value.Length))
        {
            WriteEntry(Splice(i - 1, End(Node(i - 1)), 0, size), e);
            SetCount(Node(i - 1), NodeEntries(Node(i - 1)) + 1);
            return;
        }
        if (atTail || atHead)
        {
            InsertNodeWith(atTail ? i + 1 : i, e, size);
            return;
        }
        // Split at the insertion point: the element joins the half on its side of the split.
        LeaveRecord();
        node = NodeAt(i);
        int frontEntries = 0;
        for (int p = Start(node); p < at; p += SizeAt(node, p)) frontEntries++;
        int backUsed = End(node) - at;
        var back = NewNode(backUsed, after ? size : 0);
        int backStart = NodeHeader + (after ? size : 0);
        node.Slice(at, backUsed).CopyTo(back.AsSpan(backStart));
        SetStart(back, backStart);
        SetEnd(back, backStart + backUsed);
        SetCount(back, entries - frontEntries);
        SetEnd(node, at);
        SetCount(node, frontEntries);
        InsertNode(i + 1, back);
        if (after)
        {
            WriteEntry(Splice(i + 1, backStart, 0, size), e);
            SetCount(NodeAt(i + 1), entries - frontEntries + 1);
        }
        else
        {
            WriteEntry(Splice(i, at, 0, size), e);
            SetCount(NodeAt(i), frontEntries + 1);
        }
        TrimToFit(i);
        MergeAround(i, i + 1);
    }

    /// <summary>After a split, each half merges with its outer neighbour when the two fit in one node (approximately _quicklistMergeNodes).</summary>
    void MergeAround(int front, int back)
    {
        if (back + 1 < _nodeCount && AllowMerge(NodeAt(back), NodeAt(back + 1))) Merge(back);
        if (front > 0 && AllowMerge(NodeAt(front - 1), NodeAt(front))) Merge(front - 1);
    }

    /// <summary>Appends node <paramref name="index"/> + 1 to node <paramref name="index"/> and drops it.</summary>
    void Merge(int index)
    {
        var b = NodeAt(index + 1);
        int bStart = Start(b), bUsed = End(b) - bStart, bEntries = NodeEntries(b);
        var a = NodeAt(index);
        int aEntries = NodeEntries(a);
        var span = Splice(index, End(a), 0, bUsed);
        b.AsSpan(bStart, bUsed).CopyTo(span);
        SetCount(NodeAt(index), aEntries + bEntries);
        RemoveNode(index + 1);
        TrimToFit(index);
    }

    /// <summary>
    /// LREM: removes up to <paramref name="limit"/> elements equal to <paramref name="e"/> (0 = all),
    /// from the head or from the tail; returns how many. Each node is compacted in one pass.
    /// </summary>
    public long RemoveMatching(in ListElement e, long limit, bool fromTail)
    {
        long removed = 0;
        for (int step = 0; step < _nodeCount && (limit == 0 || removed < limit);)
        {
            int i = fromTail ? _nodeCount - 1 - step : step;
            var node = Node(i);
            int start = Start(node), end = End(node), entries = NodeEntries(node), dropped = 0;
            if (!fromTail)
            {
                int write = start;
                for (int read = start; read < end;)
                {
                    int size = ReadEntry(node, read, out var entry);
                    if ((limit == 0 || removed < limit) && entry.Matches(e))
                    {
                        removed++;
                        dropped++;
                    }
                    else
                    {
                        if (write != read) node.Slice(read, size).CopyTo(node.Slice(write));
                        write += size;
                    }
                    read += size;
                }
                SetEnd(node, write);
            }
            else
            {
                int write = end;
                for (int read = end; read > start;)
                {
                    int at = EntryBefore(node, read);
                    ReadEntry(node, at, out var entry);
                    int size = read - at;
                    if ((limit == 0 || removed < limit) && entry.Matches(e))
                    {
                        removed++;
                        dropped++;
                    }
                    else
                    {
                        write -= size;
                        if (write != at) node.Slice(at, size).CopyTo(node.Slice(write));
                    }
                    read = at;
                }
                SetStart(node, write);
            }
            _count -= dropped;
            if (dropped == entries)
            {
                // The following node (toward the direction of the walk) now has this step's position.
                RemoveNode(i);
                continue;
            }
            else if (dropped > 0)
            {
                SetCount(node, entries - dropped);
                ShrinkIfSparse(i);
            }
            step++;
        }
        return removed;
    }

    // ---- iteration ----

    /// <summary>A cursor at element <paramref name="index"/> (0-based, in range) walking toward the tail or the head.</summary>
    public Cursor At(long index, bool forward)
    {
        Locate(index, out int i, out int pos);
        if (!forward) pos += SizeAt(Node(i), pos);
        return new Cursor(this, i, pos, forward);
    }

    /// <summary>A cursor at the first element of node <paramref name="node"/> walking toward the tail: a list written across a snapshot's slices resumes node by node without a walk from an end.</summary>
    public Cursor AtNode(int node) => new(this, node, Start(Node(node)), forward: true);

    /// <summary>Walks the elements from a position; the list must not change meanwhile.</summary>
    public ref struct Cursor
    {
        readonly QuickList _list;
        int _node, _pos;
        readonly bool _forward;

        internal Cursor(QuickList list, int node, int pos, bool forward)
        {
            _list = list;
            _node = node;
            _pos = pos;
            _forward = forward;
        }

        public bool Next(out ListEntry entry)
        {
            var list = _list;
            if (_forward)
            {
                while (true)
                {
                    if (_node >= list._nodeCount)
                    {
                        entry = default;
                        return false;
                    }
                    var node = list.Node(_node);
                    if (_pos < End(node))
                    {
                        _pos += ReadEntry(node, _pos, out entry);
                        return true;
                    }
                    if (++_node < list._nodeCount) _pos = Start(list.Node(_node));
                }
            }
            while (true)
            {
                if (_node < 0)
                {
                    entry = default;
                    return false;
                }
                var node = list.Node(_node);
                if (_pos > Start(node))
                {
                    _pos = EntryBefore(node, _pos);
                    ReadEntry(node, _pos, out entry);
                    return true;
                }
                if (--_node >= 0) _pos = End(list.Node(_node));
            }
        }
    }

    /// <summary>Checks every invariant (tests): counts, layout, sizes, accounting.</summary>
    internal void Validate()
    {
        long total = 0, bytes = _store is byte[][] r ? RingBytes(r.Length) : 0;
        if (_store is byte[][] && _nodeCount < 2 || _store is byte[] && _nodeCount != 1 || _store is null && _nodeCount != 0 || _store is RecordView && _nodeCount > 1)
            throw new InvalidOperationException($"{_nodeCount} nodes in a {_store?.GetType().Name ?? "null"} store");
        for (int i = 0; i < _nodeCount; i++)
        {
            var node = Node(i);
            int start = Start(node), end = End(node), n = 0;
            if (start < NodeHeader || end > node.Length || start > end) throw new InvalidOperationException($"node {i}: bad range [{start}, {end}) in {node.Length}");
            for (int p = start; p < end; n++)
            {
                int size = ReadEntry(node, p, out _);
                if (EntryBefore(node, p + size) != p) throw new InvalidOperationException($"node {i}: backlen mismatch at {p}");
                p += size;
                if (p > end) throw new InvalidOperationException($"node {i}: entry overruns the end");
            }
            if (n != NodeEntries(node) || n == 0) throw new InvalidOperationException($"node {i}: {n} entries, header says {NodeEntries(node)}");
            total += n;
            bytes += ArrayBytes(node.Length);
            if (_store is RecordView && (start != NodeHeader || end != node.Length)) throw new InvalidOperationException($"record node: [{start}, {end}) in {node.Length}");
        }
        if (total != _count) throw new InvalidOperationException($"count {_count}, nodes hold {total}");
        if (_store is not RecordView && bytes != _nodeBytes) throw new InvalidOperationException($"accounted {_nodeBytes} bytes, nodes hold {bytes}");
        if (_store is byte[][] ring)
            for (int i = _nodeCount; i < ring.Length; i++)
                if (ring[(_first + i) & (ring.Length - 1)] is not null) throw new InvalidOperationException("stale node reference in the ring");
    }

    /// <summary>The number of entries in node <paramref name="index"/> (DUMP writes each node as one listpack, as Redis does).</summary>
    public int NodeLength(int index) => NodeEntries(Node(index));

    /// <summary>A node's size as Redis's node->sz counts it (entries plus the listpack header and end byte), for DEBUG OBJECT's ql_uncompressed_size.</summary>
    public int NodeSize(int index) => End(Node(index)) - Start(Node(index)) + ListpackOverhead;

    /// <summary>Entries per node, head to tail (tests and memory notes).</summary>
    internal int[] NodeSizes()
    {
        var sizes = new int[_nodeCount];
        for (int i = 0; i < _nodeCount; i++) sizes[i] = NodeEntries(Node(i));
        return sizes;
    }
}
