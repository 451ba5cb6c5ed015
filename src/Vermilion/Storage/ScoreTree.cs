using System.Runtime.CompilerServices;

namespace Vermilion.Storage;

/// <summary>
/// Which entries of a sorted set come before a position: true for a prefix of the (score, member)
/// order and false after it (a score or lex bound). Implemented by structs, so searches specialize
/// per bound and allocate nothing.
/// </summary>
public interface IEntryBound
{
    bool IsBefore(double score, ReadOnlySpan<byte> member);
}

/// <summary>
/// The order of a large sorted set (OBJECT ENCODING "skiplist"): a B+tree of (score, member)
/// entries whose inner nodes know how many entries each child holds, so rank, the entry at a
/// rank and the first entry past a bound all take O(log n), and leaves are linked both ways for
/// range walks. Chosen over Redis's skiplist for memory and locality (Dragonfly's measured
/// reason): an entry costs 16 bytes in a leaf array instead of a node of ~50 bytes with its own
/// pointers. Members are unique; the member arrays are shared with <see cref="MemberScores"/>.
/// </summary>
public sealed class ScoreTree
{
    const int Capacity = 64;
    /// <summary>A node holding fewer than this many entries or children is merged with or refilled from a neighbour.</summary>
    const int MinFill = Capacity / 4;

    [InlineArray(Capacity)] internal struct ScoreArray { double _e; }
    [InlineArray(Capacity)] internal struct MemberArray { byte[] _e; }
    [InlineArray(Capacity)] internal struct NodeArray { Node _e; }
    [InlineArray(Capacity)] internal struct SizeArray { int _e; }

    internal abstract class Node
    {
        /// <summary>Entries of a leaf, children of an inner node.</summary>
        public int Count;
    }

    internal sealed class Leaf : Node
    {
        public Leaf? Prev, Next;
        public ScoreArray Scores;
        public MemberArray Members;
    }

    /// <summary>Child i holds Sizes[i] entries, all at or after the key (KeyScores[i], KeyMembers[i]) and before key i+1.</summary>
    internal sealed class Inner : Node
    {
        public NodeArray Children;
        public SizeArray Sizes;
        public ScoreArray KeyScores;
        public MemberArray KeyMembers;
    }

    // Measured layout on the 64-bit runtime: header 16, Count 4 (+4 padding), then the fields.
    const long LeafBytes = 24 + 2 * 8 + Capacity * 8 + Capacity * 8;
    const long InnerBytes = 24 + Capacity * 8 + Capacity * 4 + Capacity * 8 + Capacity * 8;

    Node _root = new Leaf();
    Leaf _head, _tail;
    int _leaves = 1, _inners;

    public ScoreTree()
    {
        _head = _tail = (Leaf)_root;
    }

    public int Count { get; private set; }

    /// <summary>Bytes of the member arrays the tree holds.</summary>
    public long MemberBytes { get; private set; }

    /// <summary>Bytes of the tree's nodes and of the member arrays it holds.</summary>
    public long MemoryBytes => 56 + _leaves * LeafBytes + _inners * InnerBytes + MemberBytes;

    /// <summary>Redis's order of sorted-set entries: by score, then members byte by byte.</summary>
    internal static int Compare(double s1, ReadOnlySpan<byte> m1, double s2, ReadOnlySpan<byte> m2)
    {
        if (s1 < s2) return -1;
        if (s1 > s2) return 1;
        return m1.SequenceCompareTo(m2);
    }

    /// <summary>The last child whose key is at or before the entry (0 when none is).</summary>
    static int ChildFor(Inner inner, double score, ReadOnlySpan<byte> member)
    {
        int lo = 1, hi = inner.Count - 1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            if (Compare(inner.KeyScores[mid], inner.KeyMembers[mid], score, member) <= 0) lo = mid + 1;
            else hi = mid - 1;
        }
        return lo - 1;
    }

    /// <summary>Index of the first entry of the leaf that is not before (score, member).</summary>
    static int LeafSearch(Leaf leaf, double score, ReadOnlySpan<byte> member, out bool found)
    {
        int lo = 0, hi = leaf.Count - 1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            int c = Compare(leaf.Scores[mid], leaf.Members[mid], score, member);
            if (c < 0) lo = mid + 1;
            else if (c > 0) hi = mid - 1;
            else
            {
                found = true;
                return mid;
            }
        }
        found = false;
        return lo;
    }

    static int SumSizes(Inner inner, int end)
    {
        int sum = 0;
        for (int i = 0; i < end; i++) sum += inner.Sizes[i];
        return sum;
    }

    static int TotalOf(Node node) => node is Inner inner ? SumSizes(inner, inner.Count) : node.Count;

    // ---- lookups ----------------------------------------------------------------------------------

    /// <summary>0-based rank of the entry, or -1 when it is not in the tree.</summary>
    public int Rank(double score, ReadOnlySpan<byte> member)
    {
        int rank = 0;
        var node = _root;
        while (node is Inner inner)
        {
            int i = ChildFor(inner, score, member);
            rank += SumSizes(inner, i);
            node = inner.Children[i];
        }
        int index = LeafSearch((Leaf)node, score, member, out bool found);
        return found ? rank + index : -1;
    }

    /// <summary>How many entries come before the bound: the rank of the first entry that does not.</summary>
    public int LowerBound<TBound>(ref TBound bound) where TBound : struct, IEntryBound
    {
        int rank = 0;
        var node = _root;
        while (node is Inner inner)
        {
            // The last child whose lower key is before the bound: every earlier child is wholly before it.
            int lo = 1, hi = inner.Count - 1;
            while (lo <= hi)
            {
                int mid = (lo + hi) >>> 1;
                if (bound.IsBefore(inner.KeyScores[mid], inner.KeyMembers[mid])) lo = mid + 1;
                else hi = mid - 1;
            }
            int i = lo - 1;
            rank += SumSizes(inner, i);
            node = inner.Children[i];
        }
        var leaf = (Leaf)node;
        int l = 0, h = leaf.Count - 1;
        while (l <= h)
        {
            int mid = (l + h) >>> 1;
            if (bound.IsBefore(leaf.Scores[mid], leaf.Members[mid])) l = mid + 1;
            else h = mid - 1;
        }
        return rank + l;
    }

    /// <summary>A cursor on the entry at <paramref name="rank"/> (not valid when rank is out of range).</summary>
    public Cursor At(int rank)
    {
        if ((uint)rank >= (uint)Count) return default;
        if (rank == 0) return new Cursor(_head, 0);
        if (rank == Count - 1) return new Cursor(_tail, _tail.Count - 1);
        var node = _root;
        while (node is Inner inner)
        {
            int i = 0;
            while (rank >= inner.Sizes[i]) rank -= inner.Sizes[i++];
            node = inner.Children[i];
        }
        return new Cursor((Leaf)node, rank);
    }

    /// <summary>A position in the tree that walks entries in either direction.</summary>
    public struct Cursor
    {
        Leaf? _leaf;
        int _index;

        internal Cursor(Leaf leaf, int index)
        {
            _leaf = leaf;
            _index = index;
        }

        public readonly bool IsValid => _leaf is not null;
        public readonly double Score => _leaf!.Scores[_index];
        public readonly byte[] Member => _leaf!.Members[_index];

        public void MoveNext()
        {
            if (++_index < _leaf!.Count) return;
            _leaf = _leaf.Next;
            _index = 0;
        }

        public void MovePrev()
        {
            if (--_index >= 0) return;
            _leaf = _leaf!.Prev;
            _index = _leaf is null ? 0 : _leaf.Count - 1;
        }
    }

    // ---- insertion --------------------------------------------------------------------------------

    /// <summary>Adds an entry that is not in the tree.</summary>
    public void Insert(double score, byte[] member)
    {
        var split = Insert(_root, score, member, leftmost: true, rightmost: true);
        if (split is not null)
        {
            var root = new Inner { Count = 2 };
            root.Children[0] = _root;
            root.Children[1] = split;
            root.Sizes[0] = TotalOf(_root);
            root.Sizes[1] = TotalOf(split);
            SetKeyFromFirst(root, 0, _root);
            SetKeyFromFirst(root, 1, split);
            _root = root;
            _inners++;
        }
        Count++;
        MemberBytes += StoredObject.ArrayBytes(member.Length);
    }

    /// <summary>Inserts below <paramref name="node"/>; returns the new right sibling when the node had to split.</summary>
    Node? Insert(Node node, double score, byte[] member, bool leftmost, bool rightmost)
    {
        if (node is Leaf leaf) return InsertIntoLeaf(leaf, score, member, leftmost, rightmost);
        var inner = (Inner)node;
        int i = ChildFor(inner, score, member);
        // Keep key 0 a true lower bound when a new smallest entry arrives (only on the leftmost path).
        if (i == 0 && Compare(score, member, inner.KeyScores[0], inner.KeyMembers[0]) < 0)
        {
            inner.KeyScores[0] = score;
            inner.KeyMembers[0] = member;
        }
        var child = inner.Children[i];
        var split = Insert(child, score, member, leftmost && i == 0, rightmost && i == inner.Count - 1);
        inner.Sizes[i]++;
        if (split is null) return null;
        int splitSize = TotalOf(split);
        inner.Sizes[i] -= splitSize;
        int at = i + 1;
        if (inner.Count < Capacity)
        {
            InsertChild(inner, at, split, splitSize);
            return null;
        }
        // A full inner node splits: in half, or leaving it full when the new child goes to the far end
        // (ascending or descending inserts then fill nodes instead of leaving them half empty).
        var right = new Inner();
        _inners++;
        int keep = rightmost && at == Capacity ? Capacity : leftmost && at == 1 ? 1 : Capacity / 2;
        MoveChildren(inner, keep, right, 0, Capacity - keep);
        inner.Count = keep;
        right.Count = Capacity - keep;
        if (at < keep || (at == keep && keep < Capacity)) InsertChild(inner, at, split, splitSize);
        else InsertChild(right, at - keep, split, splitSize);
        return right;
    }

    Leaf? InsertIntoLeaf(Leaf leaf, double score, byte[] member, bool leftmost, bool rightmost)
    {
        int index = LeafSearch(leaf, score, member, out _);
        if (leaf.Count < Capacity)
        {
            InsertEntry(leaf, index, score, member);
            return null;
        }
        var right = new Leaf { Prev = leaf, Next = leaf.Next };
        if (leaf.Next is not null) leaf.Next.Prev = right;
        else _tail = right;
        leaf.Next = right;
        _leaves++;
        int keep = rightmost && index == Capacity ? Capacity : leftmost && index == 0 ? 0 : Capacity / 2;
        MoveEntries(leaf, keep, right, 0, Capacity - keep);
        right.Count = Capacity - keep;
        leaf.Count = keep;
        if (index < keep || (index == keep && keep < Capacity)) InsertEntry(leaf, index, score, member);
        else InsertEntry(right, index - keep, score, member);
        return right;
    }

    static void InsertEntry(Leaf leaf, int index, double score, byte[] member)
    {
        int tail = leaf.Count - index;
        if (tail > 0)
        {
            Span<double> scores = leaf.Scores;
            Span<byte[]> members = leaf.Members;
            scores.Slice(index, tail).CopyTo(scores[(index + 1)..]);
            members.Slice(index, tail).CopyTo(members[(index + 1)..]);
        }
        leaf.Scores[index] = score;
        leaf.Members[index] = member;
        leaf.Count++;
    }

    static void InsertChild(Inner inner, int index, Node child, int size)
    {
        int tail = inner.Count - index;
        if (tail > 0)
        {
            Span<Node> children = inner.Children;
            Span<int> sizes = inner.Sizes;
            Span<double> keyScores = inner.KeyScores;
            Span<byte[]> keyMembers = inner.KeyMembers;
            children.Slice(index, tail).CopyTo(children[(index + 1)..]);
            sizes.Slice(index, tail).CopyTo(sizes[(index + 1)..]);
            keyScores.Slice(index, tail).CopyTo(keyScores[(index + 1)..]);
            keyMembers.Slice(index, tail).CopyTo(keyMembers[(index + 1)..]);
        }
        inner.Children[index] = child;
        inner.Sizes[index] = size;
        SetKeyFromFirst(inner, index, child);
        inner.Count++;
    }

    /// <summary>Key i becomes the lower bound of <paramref name="child"/>: its first entry, or its own key 0.</summary>
    static void SetKeyFromFirst(Inner parent, int i, Node child)
    {
        if (child is Leaf leaf)
        {
            parent.KeyScores[i] = leaf.Scores[0];
            parent.KeyMembers[i] = leaf.Members[0];
        }
        else
        {
            var inner = (Inner)child;
            parent.KeyScores[i] = inner.KeyScores[0];
            parent.KeyMembers[i] = inner.KeyMembers[0];
        }
    }

    static void MoveEntries(Leaf from, int fromIndex, Leaf to, int toIndex, int n)
    {
        if (n <= 0) return;
        Span<double> fs = from.Scores, ts = to.Scores;
        Span<byte[]> fm = from.Members, tm = to.Members;
        fs.Slice(fromIndex, n).CopyTo(ts[toIndex..]);
        fm.Slice(fromIndex, n).CopyTo(tm[toIndex..]);
        fm.Slice(fromIndex, n).Clear();
    }

    static void MoveChildren(Inner from, int fromIndex, Inner to, int toIndex, int n)
    {
        if (n <= 0) return;
        Span<Node> fc = from.Children, tc = to.Children;
        Span<int> fz = from.Sizes, tz = to.Sizes;
        Span<double> fks = from.KeyScores, tks = to.KeyScores;
        Span<byte[]> fkm = from.KeyMembers, tkm = to.KeyMembers;
        fc.Slice(fromIndex, n).CopyTo(tc[toIndex..]);
        fz.Slice(fromIndex, n).CopyTo(tz[toIndex..]);
        fks.Slice(fromIndex, n).CopyTo(tks[toIndex..]);
        fkm.Slice(fromIndex, n).CopyTo(tkm[toIndex..]);
        fc.Slice(fromIndex, n).Clear();
        fkm.Slice(fromIndex, n).Clear();
    }

    // ---- removal ----------------------------------------------------------------------------------

    /// <summary>Removes the entry; false when it is not in the tree.</summary>
    public bool Remove(double score, ReadOnlySpan<byte> member)
    {
        int rank = Rank(score, member);
        if (rank < 0) return false;
        RemoveRange(rank, 1);
        return true;
    }

    /// <summary>Removes <paramref name="count"/> entries from <paramref name="rank"/> on, a leaf's share at a time.</summary>
    public void RemoveRange(int rank, int count)
    {
        if (rank < 0 || count <= 0 || rank + (long)count > Count) throw new ArgumentOutOfRangeException(nameof(rank));
        while (count > 0)
        {
            int removed = RemoveFrom(_root, rank, count);
            count -= removed;
            Count -= removed;
            while (_root is Inner { Count: 1 } only)
            {
                _root = only.Children[0];
                _inners--;
            }
        }
    }

    /// <summary>Removes up to <paramref name="max"/> entries from <paramref name="rank"/> on, within one leaf; returns how many.</summary>
    int RemoveFrom(Node node, int rank, int max)
    {
        if (node is Leaf leaf)
        {
            int n = Math.Min(max, leaf.Count - rank);
            int tail = leaf.Count - rank - n;
            Span<double> scores = leaf.Scores;
            Span<byte[]> members = leaf.Members;
            foreach (var member in members.Slice(rank, n)) MemberBytes -= StoredObject.ArrayBytes(member.Length);
            scores.Slice(rank + n, tail).CopyTo(scores[rank..]);
            members.Slice(rank + n, tail).CopyTo(members[rank..]);
            members.Slice(leaf.Count - n, n).Clear();
            leaf.Count -= n;
            return n;
        }
        var inner = (Inner)node;
        int i = 0;
        while (rank >= inner.Sizes[i]) rank -= inner.Sizes[i++];
        var child = inner.Children[i];
        int removed = RemoveFrom(child, rank, max);
        inner.Sizes[i] -= removed;
        if (child.Count < MinFill) Rebalance(inner, i);
        return removed;
    }

    /// <summary>Child i ran low: merge it with a neighbour when both fit in one node, else even them out.</summary>
    void Rebalance(Inner parent, int i)
    {
        // Only the root can have a single child; it gives way to that child once the removal is done.
        if (parent.Count < 2) return;
        int left = i > 0 ? i - 1 : i;
        int right = left + 1;
        var l = parent.Children[left];
        var r = parent.Children[right];
        if (l.Count + r.Count <= Capacity)
        {
            if (l is Leaf ll)
            {
                var rl = (Leaf)r;
                MoveEntries(rl, 0, ll, ll.Count, rl.Count);
                ll.Count += rl.Count;
                rl.Count = 0;
            }
            else
            {
                var li = (Inner)l;
                var ri = (Inner)r;
                MoveChildren(ri, 0, li, li.Count, ri.Count);
                li.Count += ri.Count;
                ri.Count = 0;
            }
            parent.Sizes[left] += parent.Sizes[right];
            RemoveChild(parent, right);
            return;
        }
        int target = (l.Count + r.Count) / 2;
        if (l is Leaf leftLeaf)
        {
            var rightLeaf = (Leaf)r;
            if (leftLeaf.Count < target)
            {
                int n = target - leftLeaf.Count;
                MoveEntries(rightLeaf, 0, leftLeaf, leftLeaf.Count, n);
                leftLeaf.Count += n;
                ShiftLeafLeft(rightLeaf, n);
            }
            else
            {
                int n = leftLeaf.Count - target;
                ShiftLeafRight(rightLeaf, n);
                MoveEntries(leftLeaf, target, rightLeaf, 0, n);
                leftLeaf.Count = target;
            }
            parent.Sizes[left] = leftLeaf.Count;
            parent.Sizes[right] = rightLeaf.Count;
        }
        else
        {
            var li = (Inner)l;
            var ri = (Inner)r;
            if (li.Count < target)
            {
                int n = target - li.Count;
                MoveChildren(ri, 0, li, li.Count, n);
                li.Count += n;
                ShiftChildrenLeft(ri, n);
            }
            else
            {
                int n = li.Count - target;
                ShiftChildrenRight(ri, n);
                MoveChildren(li, target, ri, 0, n);
                li.Count = target;
            }
            parent.Sizes[left] = SumSizes(li, li.Count);
            parent.Sizes[right] = SumSizes(ri, ri.Count);
        }
        SetKeyFromFirst(parent, right, r);
    }

    static void ShiftLeafLeft(Leaf leaf, int n)
    {
        int rest = leaf.Count - n;
        Span<double> scores = leaf.Scores;
        Span<byte[]> members = leaf.Members;
        scores.Slice(n, rest).CopyTo(scores);
        members.Slice(n, rest).CopyTo(members);
        members.Slice(rest, n).Clear();
        leaf.Count = rest;
    }

    static void ShiftLeafRight(Leaf leaf, int n)
    {
        Span<double> scores = leaf.Scores;
        Span<byte[]> members = leaf.Members;
        scores[..leaf.Count].CopyTo(scores[n..]);
        members[..leaf.Count].CopyTo(members[n..]);
        leaf.Count += n;
    }

    static void ShiftChildrenLeft(Inner inner, int n)
    {
        int rest = inner.Count - n;
        Span<Node> c = inner.Children;
        Span<int> z = inner.Sizes;
        Span<double> ks = inner.KeyScores;
        Span<byte[]> km = inner.KeyMembers;
        c.Slice(n, rest).CopyTo(c);
        z.Slice(n, rest).CopyTo(z);
        ks.Slice(n, rest).CopyTo(ks);
        km.Slice(n, rest).CopyTo(km);
        c.Slice(rest, n).Clear();
        km.Slice(rest, n).Clear();
        inner.Count = rest;
    }

    static void ShiftChildrenRight(Inner inner, int n)
    {
        Span<Node> c = inner.Children;
        Span<int> z = inner.Sizes;
        Span<double> ks = inner.KeyScores;
        Span<byte[]> km = inner.KeyMembers;
        c[..inner.Count].CopyTo(c[n..]);
        z[..inner.Count].CopyTo(z[n..]);
        ks[..inner.Count].CopyTo(ks[n..]);
        km[..inner.Count].CopyTo(km[n..]);
        inner.Count += n;
    }

    /// <summary>Drops child i (empty, or merged into its left neighbour) from the parent and the leaf chain.</summary>
    void RemoveChild(Inner parent, int i)
    {
        var child = parent.Children[i];
        if (child is Leaf leaf)
        {
            if (leaf.Prev is not null) leaf.Prev.Next = leaf.Next;
            else _head = leaf.Next!;
            if (leaf.Next is not null) leaf.Next.Prev = leaf.Prev;
            else _tail = leaf.Prev!;
            _leaves--;
        }
        else _inners--;
        int tail = parent.Count - i - 1;
        Span<Node> c = parent.Children;
        Span<int> z = parent.Sizes;
        Span<double> ks = parent.KeyScores;
        Span<byte[]> km = parent.KeyMembers;
        c.Slice(i + 1, tail).CopyTo(c[i..]);
        z.Slice(i + 1, tail).CopyTo(z[i..]);
        ks.Slice(i + 1, tail).CopyTo(ks[i..]);
        km.Slice(i + 1, tail).CopyTo(km[i..]);
        parent.Count--;
        c[parent.Count] = null!;
        km[parent.Count] = null!;
    }

    /// <summary>Checks every invariant (tests): order, sizes, keys as bounds, leaf chain, fill.</summary>
    internal void Validate()
    {
        int counted = 0;
        Leaf? previous = null;
        ValidateNode(_root, isRoot: true, ref counted, ref previous, out _, out _);
        if (counted != Count) throw new InvalidOperationException($"count {Count}, entries {counted}");
        if (previous != _tail) throw new InvalidOperationException("tail");
        int leaves = 0;
        for (var l = _head; l is not null; l = l.Next) leaves++;
        if (leaves != _leaves) throw new InvalidOperationException($"leaves {_leaves}, chained {leaves}");
    }

    void ValidateNode(Node node, bool isRoot, ref int counted, ref Leaf? previous, out double firstScore, out byte[] firstMember)
    {
        if (!isRoot && node.Count < 1) throw new InvalidOperationException("empty node");
        if (node is Leaf leaf)
        {
            if (leaf.Prev != previous) throw new InvalidOperationException("leaf chain");
            if (previous is null && _head != leaf) throw new InvalidOperationException("head");
            if (previous is not null && previous.Count > 0 && leaf.Count > 0
                && Compare(previous.Scores[previous.Count - 1], previous.Members[previous.Count - 1], leaf.Scores[0], leaf.Members[0]) >= 0)
                throw new InvalidOperationException("order across leaves");
            for (int k = 1; k < leaf.Count; k++)
                if (Compare(leaf.Scores[k - 1], leaf.Members[k - 1], leaf.Scores[k], leaf.Members[k]) >= 0)
                    throw new InvalidOperationException("order in leaf");
            previous = leaf;
            counted += leaf.Count;
            firstScore = leaf.Count > 0 ? leaf.Scores[0] : 0;
            firstMember = leaf.Count > 0 ? leaf.Members[0] : [];
            return;
        }
        var inner = (Inner)node;
        firstScore = 0;
        firstMember = [];
        for (int i = 0; i < inner.Count; i++)
        {
            int before = counted;
            var lastBefore = previous;
            ValidateNode(inner.Children[i], false, ref counted, ref previous, out double fs, out byte[] fm);
            if (counted - before != inner.Sizes[i]) throw new InvalidOperationException($"size {inner.Sizes[i]} vs {counted - before}");
            if (i == 0) { firstScore = fs; firstMember = fm; }
            if (i > 0)
            {
                if (Compare(inner.KeyScores[i], inner.KeyMembers[i], fs, fm) > 0) throw new InvalidOperationException("key above child");
                if (lastBefore is not null && Compare(lastBefore.Scores[lastBefore.Count - 1], lastBefore.Members[lastBefore.Count - 1], inner.KeyScores[i], inner.KeyMembers[i]) >= 0)
                    throw new InvalidOperationException("key not above previous child");
            }
        }
    }
}
