namespace Vermilion.Persistence;

/// <summary>
/// Bytes that must wait their turn. A fork-less <see cref="Snapshot"/> writes a big value across
/// slices, and meanwhile a command may reach another key not yet saved: that key must be written
/// now, before the command changes it, but it cannot go into the stream, where the big value's
/// bytes must stay contiguous. It is written here instead (under a SELECTDB or SELECT of its own
/// database when that is not the big value's), and the whole buffer joins the stream right after
/// the big value ends, so it passes through the same checksum as any other byte. The writers
/// (<see cref="RdbFileWriter"/>, <see cref="AofRewriter"/>) switch to <see cref="Writer"/> for
/// such a key and back; the chunks wait here, pooled as the stream's are.
/// </summary>
sealed class SideBuffer : IRdbChunkSink
{
    readonly List<RdbChunk> _chunks = [];

    public SideBuffer(bool compress) => Writer = new RdbWriter(this, RdbFileWriter.ChunkSize) { Compress = compress };

    /// <summary>Where a key set aside is written.</summary>
    public RdbWriter Writer { get; }

    /// <summary>Bytes waiting (the full chunks; the one being filled is not counted).</summary>
    public long Bytes { get; private set; }

    public void Accept(RdbChunk chunk)
    {
        _chunks.Add(chunk);
        Bytes += chunk.Length;
    }

    /// <summary>Everything set aside goes into <paramref name="stream"/> now, in order; the buffer is empty again.</summary>
    public void JoinInto(RdbWriter stream)
    {
        Writer.Flush();
        foreach (var chunk in _chunks)
        {
            stream.WriteRaw(chunk.Span);
            chunk.Return();
        }
        _chunks.Clear();
        Bytes = 0;
    }

    /// <summary>An abandoned file: the chunks go back to the pool unwritten.</summary>
    public void Discard()
    {
        Writer.Reset();
        foreach (var chunk in _chunks) chunk.Return();
        _chunks.Clear();
        Bytes = 0;
    }
}
