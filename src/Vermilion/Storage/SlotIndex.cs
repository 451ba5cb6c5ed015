namespace Vermilion.Storage;

/// <summary>
/// Redis Cluster's hash slots of a keyspace (db.c slotToKeyAddEntry/slotToKeyDelEntry over 7.0's
/// clusterDictEntryMetadata): for each of the 16384 slots, its key count and a doubly linked list
/// of the entries holding its keys, threaded through two ints per entry. Redis keeps the same
/// links in the dictEntry's metadata, which exists only when cluster-enabled; here the link
/// arrays exist only in a keyspace built with an index (cluster mode), so a standalone keyspace
/// pays nothing per key and one null test per add and remove (<see cref="Keyspace"/>).
/// COUNTKEYSINSLOT is O(1), GETKEYSINSLOT walks the slot's list, and a slot emptied by
/// migration costs nothing to find. Entry numbers never move (the keyspace's arena), so a link
/// stays valid until its entry is removed.
/// </summary>
public sealed class SlotIndex
{
    public const int Slots = 16384;
    const int ChunkBits = 14, ChunkSize = 1 << ChunkBits, ChunkMask = ChunkSize - 1;

    // Entry number + 1 of each slot's first key (0: none); per entry, the next and previous entry + 1.
    readonly int[] _head = new int[Slots];
    readonly int[] _count = new int[Slots];
    // Chunks of 16K links (64 KB: below the large object heap), grown with the keyspace's arena.
    int[][] _next = [], _prev = [];
    int _chunks;

    public int CountKeysInSlot(int slot) => _count[slot];

    /// <summary>
    /// The bytes of the links, counted in used_memory (Keyspace.StructureBytes) and shown as MEMORY
    /// STATS overhead.hashtable.slot-to-keys, as Redis counts its per-entry metadata there
    /// (getMemoryOverheadData). The two per-slot arrays are fixed, like Redis's slots_to_keys
    /// allocated at startup, so they are not counted.
    /// </summary>
    public long Bytes => (long)_chunks * ChunkSize * 8;

    /// <summary>slotToKeyAddEntry: <paramref name="entry"/> now holds <paramref name="key"/>.</summary>
    public void Add(int entry, ReadOnlySpan<byte> key)
    {
        int slot = KeyHashSlot(key);
        int chunk = entry >> ChunkBits;
        if (chunk >= _next.Length)
        {
            int grown = Math.Max(chunk + 1, _next.Length * 2);
            Array.Resize(ref _next, grown);
            Array.Resize(ref _prev, grown);
        }
        if (_next[chunk] is null)
        {
            _next[chunk] = new int[ChunkSize];
            _prev[chunk] = new int[ChunkSize];
            _chunks++;
        }
        int head = _head[slot];
        _next[chunk][entry & ChunkMask] = head;
        _prev[chunk][entry & ChunkMask] = 0;
        if (head != 0) Prev(head - 1) = entry + 1;
        _head[slot] = entry + 1;
        _count[slot]++;
    }

    /// <summary>slotToKeyDelEntry: <paramref name="entry"/>, holding <paramref name="key"/>, is removed.</summary>
    public void Remove(int entry, ReadOnlySpan<byte> key)
    {
        int slot = KeyHashSlot(key);
        int next = Next(entry), prev = Prev(entry);
        if (prev != 0) Next(prev - 1) = next;
        else _head[slot] = next;
        if (next != 0) Prev(next - 1) = prev;
        _count[slot]--;
    }

    /// <summary>The entries of <paramref name="slot"/>'s keys, newest first, at most <paramref name="max"/>.</summary>
    public IEnumerable<int> EntriesInSlot(int slot, long max)
    {
        for (int n = _head[slot]; n != 0 && max-- > 0; n = Next(n - 1)) yield return n - 1;
    }

    ref int Next(int entry) => ref _next[entry >> ChunkBits][entry & ChunkMask];
    ref int Prev(int entry) => ref _prev[entry >> ChunkBits][entry & ChunkMask];

    /// <summary>
    /// keyHashSlot: CRC16 (XMODEM) of the key, or of its hash tag (the bytes between the first '{'
    /// and the first '}' after it, when not empty), modulo 16384.
    /// </summary>
    public static int KeyHashSlot(ReadOnlySpan<byte> key)
    {
        int open = key.IndexOf((byte)'{');
        if (open >= 0)
        {
            int close = key[(open + 1)..].IndexOf((byte)'}');
            if (close > 0) key = key.Slice(open + 1, close);
        }
        return Crc16(key) & (Slots - 1);
    }

    static readonly ushort[] s_crc16 = BuildTable();

    static ushort[] BuildTable()
    {
        var table = new ushort[256];
        for (int i = 0; i < 256; i++)
        {
            int crc = i << 8;
            for (int b = 0; b < 8; b++) crc = (crc & 0x8000) != 0 ? (crc << 1) ^ 0x1021 : crc << 1;
            table[i] = (ushort)crc;
        }
        return table;
    }

    /// <summary>crc16.c: CRC-16/XMODEM (polynomial 0x1021, initial 0), "123456789" → 0x31C3.</summary>
    public static ushort Crc16(ReadOnlySpan<byte> data)
    {
        ushort crc = 0;
        foreach (byte b in data) crc = (ushort)((crc << 8) ^ s_crc16[((crc >> 8) ^ b) & 0xFF]);
        return crc;
    }
}
