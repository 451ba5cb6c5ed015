namespace Vermilion.Persistence;

/// <summary>
/// Where a background snapshot's chunks go, and how the walk learns it may go on: a file written by a
/// thread of its own (<see cref="BackgroundFileSink"/>: BGSAVE, the AOF rewrite's base) or replicas'
/// sockets (Replication/: a diskless full sync).
/// </summary>
public interface ISnapshotSink : IRdbChunkSink, IDisposable
{
    /// <summary>Bytes taken and not yet delivered: the walk pauses while this is large.</summary>
    long PendingBytes { get; }
    bool IsFinished { get; }
    bool Succeeded { get; }
    /// <summary>With a failure: Redis's log text for it.</summary>
    string? Error { get; }
    /// <summary>Every chunk is handed over (again: nothing more).</summary>
    void Complete();
}
