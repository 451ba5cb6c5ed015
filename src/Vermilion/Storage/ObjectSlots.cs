namespace Vermilion.Storage;

/// <summary>
/// The keyspace's managed values (collections, strings grown in place), each in a numbered
/// slot that its entry names, so the entries themselves hold no references. Slots come in
/// segments of 16K (a table that grows never copies its references) and freed slots are reused.
/// </summary>
sealed class ObjectSlots
{
    const int SegmentBits = 14, SegmentSize = 1 << SegmentBits, SegmentMask = SegmentSize - 1;

    StoredObject?[][] _segments = [];
    int[] _free = new int[16];
    int _freeCount, _highWater;

    /// <summary>Bytes the objects hold (their MemoryBytes), kept exact through <see cref="Resized"/>.</summary>
    public long Bytes { get; private set; }
    /// <summary>Bytes of the slot table itself.</summary>
    public long TableBytes
    {
        get
        {
            long bytes = _free.Length * 4L;
            foreach (var segment in _segments) bytes += segment.Length * 8L;
            return bytes;
        }
    }

    public StoredObject? this[int slot] => _segments[slot >> SegmentBits][slot & SegmentMask];

    public int Add(StoredObject value)
    {
        int slot;
        if (_freeCount > 0) slot = _free[--_freeCount];
        else
        {
            slot = _highWater++;
            int s = slot >> SegmentBits;
            // The first segment starts small and doubles, as Keyspace's does: most databases hold few collections.
            if (s == _segments.Length)
            {
                Array.Resize(ref _segments, s + 1);
                _segments[s] = new StoredObject?[s == 0 ? 64 : SegmentSize];
            }
            else if ((slot & SegmentMask) == _segments[s].Length) Array.Resize(ref _segments[s], Math.Min(SegmentSize, _segments[s].Length * 2));
        }
        _segments[slot >> SegmentBits][slot & SegmentMask] = value;
        Bytes += value.MemoryBytes;
        return slot;
    }

    public StoredObject Remove(int slot)
    {
        ref var cell = ref _segments[slot >> SegmentBits][slot & SegmentMask];
        var value = cell!;
        cell = null;
        Bytes -= value.MemoryBytes;
        if (_freeCount == _free.Length) Array.Resize(ref _free, _free.Length * 2);
        _free[_freeCount++] = slot;
        return value;
    }

    public void Resized(long deltaBytes) => Bytes += deltaBytes;

    public void Release()
    {
        _segments = [];
        _free = new int[16];
        _freeCount = _highWater = 0;
        Bytes = 0;
    }
}
