namespace Vermilion.Server;

/// <summary>
/// A consumer of the effect stream: what Redis propagates (propagateNow → feedAppendOnlyFile and
/// replicationFeedSlaves) after a command changed the dataset. Each effect is one command as a
/// RESP array, already in its propagated form (relative expiries made absolute, expiry as DEL,
/// MULTI/EXEC around several effects of one call), with the database it applies to; the sink
/// emits its own SELECT when the database differs from the last one it wrote, as both Redis
/// consumers track their own selected db. The AOF is one sink; replication will be another.
/// </summary>
public interface IEffectSink
{
    void Append(int db, ReadOnlySpan<byte> command);
}
