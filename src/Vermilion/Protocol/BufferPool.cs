namespace Vermilion.Protocol;

/// <summary>
/// The 16 KiB buffers clients lease for query and reply data while bytes are in flight, so an
/// idle client holds none. One pool per server, used only on the loop thread, so a plain stack
/// does; buffers of any other size are not kept.
/// </summary>
public sealed class BufferPool
{
    public const int ChunkSize = 16 * 1024;
    readonly Stack<byte[]> _free = new();
    readonly int _maxKept;

    public BufferPool(int maxKept = 1024) => _maxKept = maxKept;

    /// <summary>Chunks currently leased out (for tests and INFO).</summary>
    public int Leased { get; private set; }

    public byte[] Rent(int minSize = ChunkSize)
    {
        Leased++;
        if (minSize <= ChunkSize) return _free.TryPop(out var b) ? b : new byte[ChunkSize];
        return GC.AllocateUninitializedArray<byte>(minSize);
    }

    public void Return(byte[] buffer)
    {
        Leased--;
        if (buffer.Length == ChunkSize && _free.Count < _maxKept) _free.Push(buffer);
    }
}
