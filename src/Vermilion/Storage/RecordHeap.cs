using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Vermilion.Storage;

/// <summary>
/// The one owner of off-heap memory: a keyspace's records (a key and a string value, or a
/// collection in its compact encoding, see <see cref="RecordKind"/>) in pages the garbage
/// collector never sees, so a database of millions of strings adds nothing for a
/// collection to trace, copy or card-scan (a managed array per key made every gen0/gen1 pause
/// grow with the dataset: 37–68 ms at 8M keys where Redis stalls ≤ 8 ms).
///
/// Memory comes from the kernel in 256 KB pages (mmap, aligned to their size so any record finds
/// its page by masking its address). A page serves one size class (8-byte steps to 128, 16-byte
/// to 256, then four classes per doubling to 32 KB, as jemalloc's bins), hands out never-used
/// slots first and then the ones freed to its own free list, and is unmapped when its last slot
/// is freed (one empty page per class is kept against alloc/free thrash at a page boundary).
/// Records above 32 KB get a mapping of their own. The keyspace's own tables (entry segments,
/// bucket tables, deadlines) are <see cref="NativeBlock{T}"/>s from the same pages. A flushed
/// keyspace returns everything to the kernel at once (<see cref="ReleaseAll"/>), which is why
/// every keyspace has its own heap.
///
/// A record is [key length, varint][value length, varint][key][value]. Freeing is deferred: a
/// removed record stays readable until <see cref="FreeRemoved"/> runs at a point where no command
/// holds a span of it (the server calls it once per event-loop iteration), so a key read from
/// the keyspace may be handed to notifications after its entry is gone, as Redis keeps a
/// deleted key's sds alive with its reference count.
///
/// Only the thread that owns the keyspace touches its heap, except a flushed keyspace's, which
/// the lazyfree thread releases after the loop let go of it.
/// </summary>
public sealed unsafe partial class RecordHeap
{
    const int PageBits = 18, PageSize = 1 << PageBits, HeaderBytes = 64;
    const int MaxSmall = 32 * 1024;
    const long PageMask = ~(long)(PageSize - 1);

    /// <summary>The page header, in the first bytes of every mapping.</summary>
    [StructLayout(LayoutKind.Sequential)]
    struct Page
    {
        public int SlotSize;       // 0 for a mapping that holds one large record
        public int Class;
        public int Live;           // slots handed out and not freed
        public int Bump;           // offset of the first never-used slot
        public long FreeList;      // address of a freed slot (its first 8 bytes link the next), or 0
        public long Prev, Next;    // the class's list of pages with room
        public long Mapped;        // bytes mapped (large records)
        public int PageIndex;      // position in _pages
    }

    static readonly int[] s_classSize = BuildClasses();
    static int ClassCount => s_classSize.Length;

    static int[] BuildClasses()
    {
        var sizes = new List<int>();
        for (int s = 8; s <= 128; s += 8) sizes.Add(s);
        for (int s = 144; s <= 256; s += 16) sizes.Add(s);
        for (int pow = 256; pow < MaxSmall; pow *= 2)
            for (int m = 1; m <= 4; m++) sizes.Add(pow + pow / 4 * m);
        return [.. sizes];
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static int ClassOf(int size)
    {
        if (size <= 128) return (Math.Max(size, 1) + 7) / 8 - 1;
        if (size <= 256) return 16 + (size - 129) / 16;
        int pow = 1 << BitOperations.Log2((uint)size - 1); // size in (pow, 2 pow]
        return 24 + (BitOperations.Log2((uint)pow) - 8) * 4 + (size - pow - 1) / (pow / 4);
    }

    readonly long[] _withRoom = new long[ClassCount];   // head of each class's list of pages with a free slot
    readonly long[] _spare = new long[ClassCount];      // an empty page kept per class
    readonly List<long> _pages = [];
    long[] _removed = new long[16];
    int _removedCount;

    /// <summary>Bytes of the slots and large mappings records hold (used_memory's share of strings).</summary>
    public long AllocatedBytes { get; private set; }
    /// <summary>Bytes mapped from the kernel, page headers, free slots and spare pages included.</summary>
    public long MappedBytes { get; private set; }

    ~RecordHeap() => ReleaseAll();

    // ---- records ----

    /// <summary>A record for <paramref name="key"/> with room for <paramref name="valueLength"/> value bytes (to be filled through <see cref="Value"/>).</summary>
    public long Allocate(ReadOnlySpan<byte> key, int valueLength)
    {
        long size = RecordSize(key.Length, valueLength);
        long address = size <= MaxSmall ? AllocateSmall(ClassOf((int)size)) : AllocateLarge(size);
        AllocatedBytes += SlotBytes(address);
        byte* p = (byte*)address;
        int n = WriteVarint(p, (uint)key.Length);
        n += WriteVarint(p + n, (uint)valueLength);
        key.CopyTo(new Span<byte>(p + n, key.Length));
        return address;
    }

    /// <summary>
    /// Sets the record's value length to <paramref name="valueLength"/> without moving it, when the
    /// record still fits its slot and its header keeps its size: a SET of a similar-size value
    /// allocates nothing. False when a new record is needed.
    /// </summary>
    public bool TryResizeInPlace(long address, int valueLength) => TryResizeInPlace(address, valueLength, out _);

    /// <summary>As <see cref="TryResizeInPlace(long, int)"/>, handing back the resized value (the header is read once).</summary>
    public bool TryResizeInPlace(long address, int valueLength, out Span<byte> value)
    {
        byte* p = (byte*)address;
        int n = ReadVarint(p, out int keyLength);
        int headerEnd = n + ReadVarint(p + n, out int oldLength);
        value = new Span<byte>(p + headerEnd + keyLength, valueLength);
        if (oldLength == valueLength) return true; // the steady-state SET: nothing to rewrite
        if (Varint.Length(valueLength) != headerEnd - n) return false;
        long size = RecordSize(keyLength, valueLength);
        var page = PageOf(address);
        // A record stays in its size class (a large one in a mapping it fills at least half), so
        // a shrunk value gives its room back.
        bool fits = page->SlotSize != 0
            ? size <= MaxSmall && ClassOf((int)size) == page->Class
            : size > MaxSmall && size <= page->Mapped - HeaderBytes && size * 2 > page->Mapped;
        if (!fits) return false;
        WriteVarint(p + n, (uint)valueLength);
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ReadOnlySpan<byte> Key(long address)
    {
        byte* p = (byte*)address;
        int n = ReadVarint(p, out int keyLength);
        n += ReadVarint(p + n, out _);
        return new ReadOnlySpan<byte>(p + n, keyLength);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Span<byte> Value(long address)
    {
        byte* p = (byte*)address;
        int n = ReadVarint(p, out int keyLength);
        n += ReadVarint(p + n, out int valueLength);
        return new Span<byte>(p + n + keyLength, valueLength);
    }

    /// <summary>The slot (or large mapping) the record occupies: what it costs in used_memory.</summary>
    public static long SlotBytes(long address)
    {
        var page = PageOf(address);
        return page->SlotSize != 0 ? page->SlotSize : page->Mapped - HeaderBytes;
    }

    /// <summary>What a record of these lengths would occupy (MEMORY USAGE of a value not stored yet).</summary>
    public static long SlotBytesFor(int keyLength, int valueLength)
    {
        long size = RecordSize(keyLength, valueLength);
        return size <= MaxSmall ? s_classSize[ClassOf((int)size)] : RoundToPages(size + HeaderBytes) - HeaderBytes;
    }

    /// <summary>
    /// The record leaves the keyspace: it no longer counts in <see cref="AllocatedBytes"/> (eviction
    /// sees the memory go at once), and its slot is reused after <see cref="FreeRemoved"/>.
    /// </summary>
    public void Remove(long address)
    {
        AllocatedBytes -= SlotBytes(address);
        if (_removedCount == _removed.Length) Array.Resize(ref _removed, _removed.Length * 2);
        _removed[_removedCount++] = address;
    }

    /// <summary>Frees the records removed since the last call; no span of them may be in use.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void FreeRemoved()
    {
        // Called for every database once per loop iteration: most have nothing to free.
        if (_removedCount != 0) FreeRemovedRecords();
    }

    void FreeRemovedRecords()
    {
        for (int i = 0; i < _removedCount; i++) Release(_removed[i]);
        _removedCount = 0;
        if (_removed.Length > 1024) _removed = new long[16];
    }

    /// <summary>Frees a record at once (one that was never visible to a command).</summary>
    public void Free(long address)
    {
        AllocatedBytes -= SlotBytes(address);
        Release(address);
    }

    void Release(long address)
    {
        var page = PageOf(address);
        if (page->SlotSize == 0)
        {
            Unmap(page);
            return;
        }
        bool hadRoom = HasRoom(page);
        *(long*)address = page->FreeList;
        page->FreeList = address;
        if (--page->Live == 0)
        {
            Unlink(page);
            int c = page->Class;
            if (_spare[c] == 0)
            {
                page->FreeList = 0;
                page->Bump = HeaderBytes;
                _spare[c] = (long)page;
            }
            else Unmap(page);
        }
        else if (!hadRoom) PushWithRoom(page);
    }

    /// <summary>Every page back to the kernel (a flushed keyspace); the heap is empty afterwards.</summary>
    public void ReleaseAll()
    {
        foreach (long page in _pages) Unmap((long)page, ((Page*)page)->SlotSize == 0 ? ((Page*)page)->Mapped : PageSize, updateList: false);
        _pages.Clear();
        Array.Clear(_withRoom);
        Array.Clear(_spare);
        _removedCount = 0;
        AllocatedBytes = MappedBytes = 0;
    }

    // ---- slabs ----

    long AllocateSmall(int c)
    {
        long head = _withRoom[c];
        Page* page;
        if (head != 0) page = (Page*)head;
        else
        {
            page = _spare[c] != 0 ? (Page*)_spare[c] : NewPage(c);
            _spare[c] = 0;
            PushWithRoom(page);
        }
        long address;
        if (page->FreeList != 0)
        {
            address = page->FreeList;
            page->FreeList = *(long*)address;
        }
        else
        {
            address = (long)page + page->Bump;
            page->Bump += page->SlotSize;
        }
        page->Live++;
        if (!HasRoom(page)) Unlink(page);
        return address;
    }

    static bool HasRoom(Page* page) => page->FreeList != 0 || page->Bump <= PageSize - page->SlotSize;

    Page* NewPage(int c)
    {
        var page = (Page*)Map(PageSize);
        page->SlotSize = s_classSize[c];
        page->Class = c;
        page->Bump = HeaderBytes;
        return page;
    }

    long AllocateLarge(long size)
    {
        long mapped = RoundToPages(size + HeaderBytes);
        var page = (Page*)Map(mapped);
        page->Mapped = mapped;
        return (long)page + HeaderBytes;
    }

    static long RoundToPages(long bytes) => (bytes + 4095) & ~4095L;

    void PushWithRoom(Page* page)
    {
        int c = page->Class;
        page->Prev = 0;
        page->Next = _withRoom[c];
        if (page->Next != 0) ((Page*)page->Next)->Prev = (long)page;
        _withRoom[c] = (long)page;
    }

    void Unlink(Page* page)
    {
        int c = page->Class;
        if (page->Prev != 0) ((Page*)page->Prev)->Next = page->Next;
        else if (_withRoom[c] == (long)page) _withRoom[c] = page->Next;
        else return; // not on the list (a full page)
        if (page->Next != 0) ((Page*)page->Next)->Prev = page->Prev;
        page->Prev = page->Next = 0;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Page* PageOf(long address) => (Page*)(address & PageMask);

    static long RecordSize(int keyLength, int valueLength) =>
        Varint.Length(keyLength) + Varint.Length(valueLength) + (long)keyLength + valueLength;

    // ---- the keyspace's own tables ----

    /// <summary>
    /// A zeroed array of <paramref name="length"/> values for the keyspace's structure (entry
    /// segments, bucket tables, deadlines): in these pages too, so a growing keyspace allocates
    /// nothing managed and gives the collector no reason to run (each large managed array counted
    /// toward a gen2 collection: 2–4 ms pauses while loading 20M keys). Not in <see cref="AllocatedBytes"/>.
    /// </summary>
    public NativeBlock<T> AllocateBlock<T>(int length) where T : unmanaged
    {
        long bytes = (long)length * sizeof(T);
        long address;
        if (bytes <= MaxSmall)
        {
            address = AllocateSmall(ClassOf((int)Math.Max(bytes, 1)));
            new Span<byte>((void*)address, (int)bytes).Clear(); // a reused slot holds old bytes
        }
        else address = AllocateLarge(bytes); // fresh from the kernel: already zero
        return new NativeBlock<T>((T*)address, length);
    }

    public void FreeBlock<T>(NativeBlock<T> block) where T : unmanaged
    {
        if (block.Length > 0) Release((long)block.Pointer);
    }

    // ---- prefetching ----

    /// <summary>Starts loading the cache line at <paramref name="address"/> (a record, or an element of a table); a no-op where x86's PREFETCHT0 is missing.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Prefetch(long address)
    {
        if (System.Runtime.Intrinsics.X86.Sse.IsSupported) System.Runtime.Intrinsics.X86.Sse.Prefetch0((void*)address);
    }

    /// <summary>
    /// As <see cref="Prefetch(long)"/> for an element of a managed array. The address is only a
    /// hint: if the collector moves the array meanwhile, a wrong line is loaded and nothing else happens.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Prefetch<T>(ref T element) => Prefetch((long)Unsafe.AsPointer(ref element));

    // ---- the kernel ----

    /// <summary>A zeroed mapping of <paramref name="bytes"/> aligned to the page size (so PageOf finds its header); registered in _pages.</summary>
    long Map(long bytes)
    {
        // Map a page more than needed and cut the ends off: mmap aligns to 4 KB only.
        nuint length = (nuint)(bytes + PageSize);
        nint raw = mmap(0, length, ProtRead | ProtWrite, MapPrivate | MapAnonymous, -1, 0);
        if (raw == -1) throw new OutOfMemoryException($"mmap of {bytes} bytes failed (errno {Marshal.GetLastPInvokeError()})");
        long start = ((long)raw + PageSize - 1) & PageMask;
        if (start > raw) munmap(raw, (nuint)(start - raw));
        long end = (long)raw + (long)length, used = start + bytes;
        if (end > used) munmap((nint)used, (nuint)(end - used));
        var page = (Page*)start;
        page->PageIndex = _pages.Count;
        _pages.Add(start);
        MappedBytes += bytes;
        return start;
    }

    void Unmap(Page* page) => Unmap((long)page, page->SlotSize == 0 ? page->Mapped : PageSize, updateList: true);

    void Unmap(long start, long bytes, bool updateList)
    {
        if (updateList)
        {
            int i = ((Page*)start)->PageIndex;
            long last = _pages[^1];
            _pages[i] = last;
            ((Page*)last)->PageIndex = i;
            _pages.RemoveAt(_pages.Count - 1);
        }
        munmap((nint)start, (nuint)bytes);
        MappedBytes -= bytes;
    }

    const int ProtRead = 1, ProtWrite = 2, MapPrivate = 2, MapAnonymous = 0x20;

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint mmap(nint addr, nuint length, int prot, int flags, int fd, nint offset);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int munmap(nint addr, nuint length);

    // ---- varints in place ----

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static int ReadVarint(byte* p, out int value)
    {
        uint b = p[0];
        if (b < 0x80)
        {
            value = (int)b;
            return 1;
        }
        return Varint.Read(new ReadOnlySpan<byte>(p, 5), 0, out value);
    }

    static int WriteVarint(byte* p, uint value) => Varint.Write(new Span<byte>(p, 5), value);
}

/// <summary>
/// An array of unmanaged values in a <see cref="RecordHeap"/>'s memory (from
/// <see cref="RecordHeap.AllocateBlock{T}"/>): what the keyspace's tables are made of. Indexing is
/// bounds-checked as a managed array's is; the block lives until its heap frees it.
/// </summary>
public readonly unsafe struct NativeBlock<T> where T : unmanaged
{
    internal readonly T* Pointer;
    public readonly int Length;

    internal NativeBlock(T* pointer, int length)
    {
        Pointer = pointer;
        Length = length;
    }

    public bool IsAllocated => Pointer != null;

    public ref T this[int index]
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get
        {
            if ((uint)index >= (uint)Length) ThrowIndex();
            return ref Pointer[index];
        }
    }

    public Span<T> Span => new(Pointer, Length);

    static void ThrowIndex() => throw new IndexOutOfRangeException();
}
