using Vermilion.Persistence;
using Xunit;

namespace Vermilion.Tests;

/// <summary>A streaming RdbWriter hands over chunks mid-value: the bytes must be the buffered writer's, byte for byte, at every boundary.</summary>
public class RdbWriterStreamingTests
{
    sealed class Collect : IRdbChunkSink
    {
        public readonly List<byte> Bytes = new();
        public void Accept(RdbChunk chunk)
        {
            Bytes.AddRange(chunk.Span.ToArray());
            chunk.Return();
        }
    }

    [Theory]
    [InlineData(64)]
    [InlineData(4096)]
    public void ChunksConcatenateToTheBufferedBytes(int chunkSize)
    {
        var sink = new Collect();
        var streaming = new RdbWriter(sink, chunkSize);
        var buffered = new RdbWriter();
        var random = new Random(5);
        for (int i = 0; i < 5000; i++)
        {
            var value = new byte[random.Next(0, 300)];
            random.NextBytes(value);
            if (i % 3 == 0) value.AsSpan().Fill((byte)'a'); // compressible
            streaming.WriteString(value);
            buffered.WriteString(value);
            streaming.WriteLength((ulong)i * 1000);
            buffered.WriteLength((ulong)i * 1000);
            streaming.WriteInteger(i - 2500);
            buffered.WriteInteger(i - 2500);
        }
        streaming.Flush();
        Assert.Equal(buffered.Written.ToArray(), sink.Bytes.ToArray());
    }
}
