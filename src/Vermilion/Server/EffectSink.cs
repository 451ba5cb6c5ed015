namespace Vermilion.Server;

/// <summary>
/// A consumer of the effect stream: what Redis propagates (propagateNow → feedAppendOnlyFile and
/// replicationFeedSlaves) after a command changed the dataset. Each effect is one command as a
/// RESP array, already in its propagated form (relative expiries made absolute, expiry as DEL,
/// MULTI/EXEC around several effects of one call), with the database it applies to; the sink
/// emits its own SELECT when the database differs from the last one it wrote, as both Redis
/// consumers track their own selected db. The AOF is one sink; replication will be another.
/// <para>
/// SELECT is the sink's: the producer never writes one. MULTI comes with the database of the
/// first command it wraps and EXEC with the last's, so a SELECT lands before MULTI and never
/// between the last command and EXEC; a transaction that wrote in several databases gets its
/// SELECTs inside MULTI/EXEC, as Redis writes them. The command span is a view of the
/// producer's reused buffer, valid only during the call: a sink copies what it keeps. Appends
/// come on the loop thread, at the end of the call that made them, before that call's reply
/// leaves (and before beforeSleep's writes: a sink that buffers flushes there).
/// </para>
/// </summary>
public interface IEffectSink
{
    void Append(int db, ReadOnlySpan<byte> command);
}
