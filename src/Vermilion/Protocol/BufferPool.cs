namespace Vermilion.Protocol;

/// <summary>
/// The 16 KiB buffers clients lease for query and reply data while bytes are in flight, so an
/// idle client holds none, and the 64 KiB ones a deeply pipelining client reads into (Redis
/// grows such a client's query buffer and reads all of it at once: readQueryFromClient's
/// "read as much as possible"). One pool per server, used only on the loop thread, so plain
/// stacks do; buffers of any other size are not kept.
/// </summary>
public sealed class BufferPool
{
    public const int ChunkSize = 16 * 1024, LargeChunkSize = 64 * 1024;
    readonly Stack<byte[]> _free = new(), _freeLarge = new();
    readonly int _maxKept;

    public BufferPool(int maxKept = 1024) => _maxKept = maxKept;

    /// <summary>Chunks currently leased out (for tests and INFO).</summary>
    public int Leased { get; private set; }

    public byte[] Rent(int minSize = ChunkSize)
    {
        Leased++;
        if (minSize <= ChunkSize) return _free.TryPop(out var b) ? b : new byte[ChunkSize];
        if (minSize == LargeChunkSize) return _freeLarge.TryPop(out var l) ? l : new byte[LargeChunkSize];
        return GC.AllocateUninitializedArray<byte>(minSize);
    }

    public void Return(byte[] buffer)
    {
        Leased--;
        if (buffer.Length == ChunkSize && _free.Count < _maxKept) _free.Push(buffer);
        // A quarter as many large ones: as many bytes as 256 small ones at most.
        else if (buffer.Length == LargeChunkSize && _freeLarge.Count < _maxKept / 4) _freeLarge.Push(buffer);
    }
}
