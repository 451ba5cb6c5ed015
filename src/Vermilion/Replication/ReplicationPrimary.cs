using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using Vermilion.Persistence;
using Vermilion.Protocol;
using Vermilion.Server;

namespace Vermilion.Replication;

/// <summary>replstate of a replica as the primary sees it (SLAVE_STATE_*), named as INFO shows them.</summary>
public enum ReplicaState { WaitBgsave, Online }

/// <summary>What the primary knows of one attached replica (the replica fields of Redis's client struct).</summary>
public sealed class ReplicaLink
{
    public ReplicaState State;
    /// <summary>REPLCONF listening-port / ip-address: where the replica says it serves (INFO's slaveN, ROLE).</summary>
    public int ListeningPort;
    public string? AnnouncedIp;
    /// <summary>REPLCONF capa eof (a diskless `$EOF:` transfer is understood) and psync2 (+CONTINUE carries the replid).</summary>
    public bool CapaEof, CapaPsync2;
    /// <summary>repl_ack_off / repl_ack_time: the last REPLCONF ACK.</summary>
    public long AckOffset, AckTimeMs;
    /// <summary>psync_initial_offset: where its snapshot cuts the stream.</summary>
    public long InitialOffset;
    /// <summary>SYNC rather than PSYNC: no +FULLRESYNC line before the payload.</summary>
    public bool OldProtocol;
    /// <summary>The stream since the snapshot's cut, held back until the snapshot is sent (and, after a `$EOF:` one, acknowledged).</summary>
    internal HeldStream? Held;
    /// <summary>
    /// repl_start_cmd_stream_on_ack: after a diskless transfer the stream waits for the replica's first ACK.
    /// A `$EOF:` reader looks for the mark at the end of what it read, so bytes right behind it would hide it.
    /// </summary>
    internal bool StreamOnAck;
}

/// <summary>
/// The stream from a snapshot's cut on, held for the replicas of that snapshot until each is ready for it.
/// One per snapshot, shared by all its replicas (7.0 shares one replication buffer between replicas and the
/// backlog): N replicas syncing at once hold one copy, and a replica whose link broke may continue from it
/// even past the backlog's size, as from 7.0's buffer.
/// </summary>
sealed class HeldStream(long startOffset)
{
    public readonly ArrayBufferWriter<byte> Bytes = new();
    /// <summary>The offset of its first byte (the snapshot's cut + 1).</summary>
    public readonly long StartOffset = startOffset;
    /// <summary>Replicas still waiting for it; the last one to take it (or leave) frees it.</summary>
    public int Users;
}

/// <summary>
/// The primary's side of replication (replication.c). Data flows one way:
/// <list type="number">
/// <item>commands' effects arrive as an <see cref="IEffectSink"/> (the stream the AOF also gets), with a
/// SELECT wherever the database changes, plus the primary's own <c>ping</c> and <c>REPLCONF GETACK *</c>;</item>
/// <item>each byte advances <see cref="Offset"/> (master_repl_offset), goes into the
/// <see cref="Backlog"/> and to every online replica's output, or is held for a replica whose snapshot is
/// still being sent;</item>
/// <item>a replica that asks PSYNC with a known replication ID and an offset the backlog still holds
/// continues from there (+CONTINUE); any other gets +FULLRESYNC and a snapshot taken by the fork-less
/// <see cref="Snapshot"/> (diskless, `$EOF:` framed, to replicas that said capa eof; `$len` framed,
/// built in memory, to the others), then what was held;</item>
/// <item>replicas answer REPLCONF ACK with their offset; WAIT counts the acks that reached a client's last write.</item>
/// </list>
/// Everything runs on the loop thread.
/// </summary>
public sealed class ReplicationPrimary : IEffectSink
{
    readonly VermilionServer _server;
    /// <summary>The attached replicas (server.slaves), in attach order.</summary>
    public readonly List<Client> Replicas = new();
    /// <summary>master_replid2 / second_repl_offset: the history a promoted replica still continues (none yet).</summary>
    public string ReplId2 { get; private set; } = new('0', 40);
    public long SecondReplOffset { get; private set; } = -1;
    /// <summary>master_repl_offset: bytes of stream produced since the replication ID was drawn.</summary>
    public long Offset { get; private set; }
    public ReplicationBacklog? Backlog { get; private set; }
    /// <summary>The held streams of snapshots whose replicas do not all have the live stream yet.</summary>
    readonly List<HeldStream> _held = new();
    /// <summary>server.slaveseldb: the database the stream last selected (-1: the next effect selects again).</summary>
    int _selectedDb = -1;
    long _noReplicasSinceMs;
    /// <summary>server.get_ack_from_slaves: a WAIT is blocked, ask for acks before sleeping.</summary>
    bool _wantAcks;
    /// <summary>replication_cron_loops: the ping goes on the cron's turns that are multiples of repl-ping-replica-period.</summary>
    long _cronLoops;
    ReplicaSnapshotSink? _sync;
    /// <summary>When the first replica of the next diskless snapshot began waiting (repl-diskless-sync-delay runs from it).</summary>
    long _waitingSinceMs;

    public long FullSyncs, PartialSyncsAccepted, PartialSyncsRefused;

    /// <summary>resetServerStats' part: CONFIG RESETSTAT zeroes sync_full, sync_partial_ok and sync_partial_err.</summary>
    public void ResetStats() => FullSyncs = PartialSyncsAccepted = PartialSyncsRefused = 0;

    public ReplicationPrimary(VermilionServer server) => _server = server;

    /// <summary>The link of an attached replica (a client in <see cref="Replicas"/> always has one).</summary>
    static ReplicaLink Link(Client c) => c.Replica!;

    // ---- the stream --------------------------------------------------------------------------

    public void Append(int db, ReadOnlySpan<byte> command)
    {
        if (db != _selectedDb)
        {
            var select = _scratch;
            select.ResetWrittenCount();
            RequestWriter.ArrayHeader(select, 2);
            RequestWriter.Bulk(select, "SELECT"u8);
            RequestWriter.Bulk(select, db);
            Feed(select.WrittenSpan);
            _selectedDb = db;
        }
        Feed(command);
    }

    /// <summary>Where a SELECT or a DEBUG REPLICATE command is written before it is fed.</summary>
    readonly ArrayBufferWriter<byte> _scratch = new(64);

    /// <summary>replicationFeedSlaves' tail: the bytes into the backlog, to online replicas, held for syncing ones.</summary>
    void Feed(ReadOnlySpan<byte> bytes)
    {
        Backlog ??= new ReplicationBacklog(_server.Config.ReplBacklogSize, Offset);
        Backlog.Append(bytes);
        Offset += bytes.Length;
        // A replica waiting for its snapshot to start gets nothing: its +FULLRESYNC will name a later offset.
        foreach (var held in _held) held.Bytes.Write(bytes);
        foreach (var c in Replicas)
        {
            var link = Link(c);
            if (link.State == ReplicaState.Online && !link.StreamOnAck) Send(c, bytes);
        }
    }

    void Send(Client c, ReadOnlySpan<byte> bytes)
    {
        if ((c.Flags & (ClientFlags.CloseAsap | ClientFlags.Freed)) != 0) return;
        c.Reply.Stream(bytes);
        if (c.Reply.ListNodes > 0 && _server.CheckOutputBufferLimits(c, async: true)) return;
        if (c != _server.CurrentClient) c.AfterCommands();
    }

    /// <summary>changeReplicationId + clearReplicationId2 (DEBUG CHANGE-REPL-ID): a history no replica can continue.</summary>
    public void ChangeReplicationId()
    {
        _server.ReplicationId = NewReplicationId();
        ReplId2 = new string('0', 40);
        SecondReplOffset = -1;
    }

    /// <summary>replicationFeedSlaves of an arbitrary command in the stream's current database (DEBUG REPLICATE); nothing on a replica or without a backlog.</summary>
    public void FeedCommand(CommandArgs args, int from)
    {
        if (_server.PrimaryLink.IsReplica || Backlog is null) return;
        var command = _scratch;
        command.ResetWrittenCount();
        RequestWriter.ArrayHeader(command, args.Count - from);
        for (int i = from; i < args.Count; i++) RequestWriter.Bulk(command, args[i]);
        Feed(command.WrittenSpan);
    }

    /// <summary>
    /// rdbPopulateSaveInfo: a primary with a backlog, or a replica (linked or with a cached link), saves where
    /// in the stream its dataset is, so after a restart it can continue the history; otherwise nothing.
    /// </summary>
    public ReplicationSaveInfo? SaveInfo()
    {
        var link = _server.PrimaryLink;
        if (!link.IsReplica) return Backlog is null ? null : new(_selectedDb == -1 ? 0 : _selectedDb, _server.ReplicationId, Offset);
        return link.StreamDb is int db ? new(db, _server.ReplicationId, Offset) : null;
    }

    /// <summary>
    /// loadDataFromDisk's restore of an RDB's replication info: a replica takes the ID and offset as its own
    /// (so its first PSYNC continues them); a primary keeps them as its second ID, so its old replicas continue.
    /// </summary>
    public void RestoreHistory(ReplicationSaveInfo info, bool asReplica)
    {
        if (asReplica)
        {
            _server.ReplicationId = info.Id;
            Offset = info.Offset;
            _server.PrimaryLink.RestoreStreamDb(info.StreamDb);
            return;
        }
        ReplId2 = info.Id;
        SecondReplOffset = info.Offset + 1;
        Offset = info.Offset;
        CreateBacklog();
        _noReplicasSinceMs = _server.UnixTimeMs;
    }

    /// <summary>
    /// rdbLoad with RDBFLAGS_FEED_REPL: a key the primary's RDB held already expired is a DEL (UNLINK with
    /// lazyfree-lazy-expire) in the history the file continues, so replicas that still hold it drop it.
    /// </summary>
    public void FeedExpiredAtLoad(int db, ReadOnlySpan<byte> key, bool unlink)
    {
        var command = new ArrayBufferWriter<byte>(key.Length + 32);
        RequestWriter.ArrayHeader(command, 2);
        RequestWriter.Bulk(command, unlink ? "UNLINK"u8 : "DEL"u8);
        RequestWriter.Bulk(command, key);
        Append(db, command.WrittenSpan);
    }

    // ---- as a replica (PrimaryLink) -----------------------------------------------------------

    /// <summary>
    /// replicationFeedStreamFromMasterStream: on a replica, the primary's stream as it came, command by
    /// command, is this server's stream: its backlog and its own replicas get the same bytes and offsets.
    /// </summary>
    public void FeedFromPrimary(ReadOnlySpan<byte> bytes) => Feed(bytes);

    /// <summary>REPLICAOF host port: this server's own effects stop being a stream (the primary's takes its place).</summary>
    public void BecomeReplica() => _server.EffectSinks.Remove(this);

    /// <summary>After a full sync: the primary's history from <paramref name="offset"/>, in a fresh backlog (no second ID).</summary>
    public void StartFollowing(long offset)
    {
        Offset = offset;
        ReplId2 = new string('0', 40);
        SecondReplOffset = -1;
        Backlog = new ReplicationBacklog(_server.Config.ReplBacklogSize, offset);
    }

    /// <summary>shiftReplicationId: a new ID from <paramref name="fromOffset"/> on; the old one stays valid up to there as replid2.</summary>
    public void ShiftReplicationId(string newId, long fromOffset)
    {
        ReplId2 = _server.ReplicationId;
        SecondReplOffset = fromOffset;
        _server.ReplicationId = newId;
        _server.Log.Notice($"Setting secondary replication ID to {ReplId2}, valid up to offset: {fromOffset}. New replication ID is {newId}");
    }

    /// <summary>REPLICAOF NO ONE: a new history that continues this one (its replicas PSYNC with replid2), and its own effects are the stream again.</summary>
    public void BecomePrimary()
    {
        ShiftReplicationId(NewReplicationId(), Offset + 1);
        // They must learn the new ID: they reconnect at once and continue with +CONTINUE (replicationUnsetMaster).
        DisconnectReplicas();
        _selectedDb = -1;
        // The backlog's time to live counts from the promotion, not from server start (replicationUnsetMaster's
        // repl_no_slaves_since): else a replica promoted by Sentinel frees the backlog, and its history, before its
        // old siblings reconnect, and each of them needs a full sync instead of +CONTINUE.
        _noReplicasSinceMs = _server.UnixTimeMs;
        if (Backlog is not null && !_server.EffectSinks.Contains(this)) _server.EffectSinks.Add(this);
    }

    /// <summary>disconnectSlaves: a replica that loaded a new dataset or changed history drops its own replicas; they sync again.</summary>
    public void DisconnectReplicas()
    {
        foreach (var c in Replicas.ToArray()) _server.FreeClient(c);
    }

    // ---- SYNC / PSYNC -------------------------------------------------------------------------

    /// <summary>
    /// syncCommand: PSYNC replid offset (or SYNC) from a client that is not yet a replica. A partial
    /// resynchronization answers +CONTINUE and the backlog from the offset; anything else is a full one.
    /// </summary>
    public void Sync(Client c, bool psync, ReadOnlySpan<byte> replId, ReadOnlySpan<byte> offsetText)
    {
        if (Replicas.Contains(c)) return;
        // A failing-over primary takes no new replica: it is about to become one.
        if (_server.Failover.Active)
        {
            c.Reply.Error("-NOMASTERLINK Can't SYNC while failing over");
            return;
        }
        if (_server.PrimaryLink.IsReplica && _server.PrimaryLink.State != LinkState.Connected)
        {
            c.Reply.Error("-NOMASTERLINK Can't SYNC while not connected with my master");
            return;
        }
        if (c.Reply.HasPending)
        {
            c.Reply.Error("SYNC and PSYNC are invalid with pending output");
            return;
        }
        var link = c.Replica ??= new ReplicaLink();
        _server.Log.Notice($"Replica {ReplicaName(c)} asks for synchronization");
        if (psync)
        {
            // Parsed after the line above, as syncCommand does: the refusal is logged as a replica's.
            if (!IntegerText.TryParse(offsetText, out long offset))
            {
                c.Reply.Error("value is not an integer or out of range");
                _server.Log.Warning($"Replica {ReplicaName(c)} asks for synchronization but with a wrong offset");
                return;
            }
            if (TryPartialResync(c, link, replId, offset)) return;
        }
        else link.OldProtocol = true;
        FullSyncs++;
        Attach(c, link);
        link.State = ReplicaState.WaitBgsave;
        // The first replica of a primary with no backlog starts a new history (changeReplicationId):
        // no replica could continue the old one, since no backlog kept it.
        if (Backlog is null && !_server.PrimaryLink.IsReplica)
        {
            ChangeReplicationId();
            CreateBacklog();
        }
        // The delay runs from the replica that has waited longest (replicationStartPendingFork's max_idle).
        if (!Replicas.Any(r => r != c && Link(r).State == ReplicaState.WaitBgsave && Link(r).Held is null)) _waitingSinceMs = _server.UnixTimeMs;
        if (_server.Config.ReplDisklessSync && _server.Config.ReplDisklessSyncDelay > 0)
            _server.Log.Notice("Delay next BGSAVE for diskless SYNC");
        else StartSyncIfPossible();
    }

    bool TryPartialResync(Client c, ReplicaLink link, ReadOnlySpan<byte> replId, long offset)
    {
        string id = Encoding.ASCII.GetString(replId);
        bool known = id == _server.ReplicationId || (id == ReplId2 && offset <= SecondReplOffset);
        if (!known)
        {
            // "?" is a replica with nothing cached: it asked for a full resynchronization, not a refused partial one.
            if (id != "?")
            {
                _server.Log.Notice($"Partial resynchronization not accepted: Replication ID mismatch (Replica asked for '{id}', my replication IDs are '{_server.ReplicationId}' and '{ReplId2}')");
                PartialSyncsRefused++;
            }
            else _server.Log.Notice($"Full resync requested by replica {ReplicaName(c)}");
            return false;
        }
        // Past the ring, a held stream may still reach back to the offset (7.0's shared buffer would).
        var fromHeld = Backlog is null || Backlog.Holds(offset) ? null : _held.FirstOrDefault(h => offset >= h.StartOffset && offset <= Offset + 1);
        if (Backlog is null || (!Backlog.Holds(offset) && fromHeld is null))
        {
            _server.Log.Notice($"Unable to partial resync with replica {ReplicaName(c)} for lack of backlog (Replica request was: {offset}).");
            PartialSyncsRefused++;
            return false;
        }
        Attach(c, link);
        link.State = ReplicaState.Online;
        link.AckTimeMs = _server.UnixTimeMs;
        c.Reply.Stream(link.CapaPsync2 ? Encoding.ASCII.GetBytes($"+CONTINUE {_server.ReplicationId}\r\n") : "+CONTINUE\r\n"u8);
        if (fromHeld is not null) c.Reply.Stream(fromHeld.Bytes.WrittenSpan[(int)(offset - fromHeld.StartOffset)..]);
        else Backlog.CopyFrom(offset, piece => c.Reply.Stream(piece.Span));
        PartialSyncsAccepted++;
        CountGoodReplicas();
        _server.Log.Notice($"Partial resynchronization request from {ReplicaName(c)} accepted. Sending {Offset - offset + 1} bytes of backlog starting from offset {offset}.");
        return true;
    }

    void Attach(Client c, ReplicaLink link)
    {
        c.Flags |= ClientFlags.Replica;
        c.Reply.Muted = true;
        c.Reply.ReplyDropped = () => ReplyGenerated(c);
        Replicas.Add(c);
        link.AckTimeMs = _server.UnixTimeMs;
    }

    void CreateBacklog()
    {
        Backlog = new ReplicationBacklog(_server.Config.ReplBacklogSize, Offset);
        if (!_server.EffectSinks.Contains(this)) _server.EffectSinks.Add(this);
        _selectedDb = -1;
    }

    static string NewReplicationId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(20));

    /// <summary>
    /// startBgsaveForReplication: one snapshot for every replica waiting for one, once no other save runs.
    /// Each gets +FULLRESYNC with the offset of the cut; from here the stream is held for it.
    /// </summary>
    void StartSyncIfPossible()
    {
        if (_sync is not null || _server.HasActiveChildProcess) return;
        var targets = Replicas.Where(r => Link(r).State == ReplicaState.WaitBgsave && Link(r).Held is null).ToList();
        if (targets.Count == 0) return;
        bool diskless = _server.Config.ReplDisklessSync;
        var mark = RandomNumberGenerator.GetBytes(20);
        var eofMark = Encoding.ASCII.GetBytes(Convert.ToHexStringLower(mark));
        var sink = new ReplicaSnapshotSink(this, eofMark);
        var heldStream = new HeldStream(Offset + 1);
        _held.Add(heldStream);
        foreach (var c in targets)
        {
            var link = Link(c);
            link.InitialOffset = Offset;
            link.Held = heldStream;
            heldStream.Users++;
            // WAIT_BGSAVE_END until the snapshot is sent (INFO's wait_bgsave: what the suite and Sentinel read).
            link.State = ReplicaState.WaitBgsave;
            if (!link.OldProtocol) c.Reply.Stream(Encoding.ASCII.GetBytes($"+FULLRESYNC {_server.ReplicationId} {Offset}\r\n"));
            sink.Add(c, framedByEof: diskless && link.CapaEof);
            if (c != _server.CurrentClient) c.AfterCommands();
        }
        // replicationSetupSlaveForFullResync: the next effect selects its database again, as the replica starts from the snapshot.
        _selectedDb = -1;
        _server.Log.Notice($"Starting BGSAVE for SYNC with target: {(diskless ? "replicas sockets" : "disk")}");
        _sync = sink;
        _server.StartReplicaSnapshot(sink, (ok, error) =>
        {
            _sync = null;
            if (ok) return;
            if (error is not null) _server.Log.Warning(error);
            foreach (var c in sink.Targets)
                if (!c.IsFreed) _server.FreeClientAsync(c);
        });
    }

    /// <summary>
    /// replicaPutOnline: the snapshot is sent. A `$len` replica gets what was held and the live stream at
    /// once; a `$EOF:` one once it acknowledges (it has loaded the snapshot then).
    /// </summary>
    internal void LogTransferDone(int stillUp) => _server.Log.Notice($"Diskless rdb transfer, done reading from pipe, {stillUp} replicas still up.");

    internal void PutOnline(Client c, bool framedByEof)
    {
        var link = Link(c);
        link.State = ReplicaState.Online;
        link.AckTimeMs = _server.UnixTimeMs;
        _server.Log.Notice($"Synchronization with replica {ReplicaName(c)} succeeded");
        if (framedByEof) link.StreamOnAck = true;
        else StartStream(c, link);
        CountGoodReplicas();
        if (c != _server.CurrentClient) c.AfterCommands();
    }

    /// <summary>replicaStartCommandStream: what was held since the cut, then the live stream.</summary>
    void StartStream(Client c, ReplicaLink link)
    {
        link.StreamOnAck = false;
        if (link.Held is { } held && held.Bytes.WrittenCount > 0) c.Reply.Stream(held.Bytes.WrittenSpan);
        ReleaseHeld(link);
    }

    void ReleaseHeld(ReplicaLink link)
    {
        if (link.Held is not { } held) return;
        link.Held = null;
        if (--held.Users == 0) _held.Remove(held);
    }

    /// <summary>
    /// repl_backlog_histlen as 7.0 counts it: the backlog's blocks reach back to the oldest one a replica still
    /// holds, so a held stream longer than the ring is history too (and a partial resync may use it).
    /// </summary>
    public long HistoryLength
    {
        get
        {
            long length = Backlog?.HistoryLength ?? 0;
            foreach (var held in _held) length = Math.Max(length, held.Bytes.WrittenCount);
            return length;
        }
    }

    /// <summary>
    /// mem_total_replication_buffers: the backlog's ring, the held streams, and what online replicas have not
    /// read yet (a snapshot's own bytes are not counted: Redis sends those from its child, outside the buffer).
    /// </summary>
    public long ReplicationBufferBytes
    {
        get
        {
            long bytes = Backlog?.Size ?? 0;
            foreach (var held in _held) bytes += held.Bytes.WrittenCount;
            foreach (var c in Replicas)
                if (Link(c).State == ReplicaState.Online) bytes += c.Reply.ListBytes;
            return bytes;
        }
    }

    /// <summary>
    /// The replicas' own share of <see cref="ReplicationBufferBytes"/>: what exceeds repl-backlog-size while
    /// replicas are attached (getMemoryOverheadData's mem_clients_slaves; freeMemoryGetNotCountedMemory leaves it
    /// out of what maxmemory counts, the backlog's part counts).
    /// </summary>
    public long ReplicasShareBytes(long buffers) =>
        Replicas.Count > 0 && buffers > _server.Config.ReplBacklogSize ? buffers - _server.Config.ReplBacklogSize : 0;

    /// <summary>freeClient's replica part: the replica is gone; the backlog's time to live starts with the last one.</summary>
    public void Detach(Client c)
    {
        if (!Replicas.Remove(c)) return;
        ReleaseHeld(Link(c));
        _server.Log.Notice($"Connection with replica {ReplicaName(c)} lost.");
        if (Replicas.Count == 0) _noReplicasSinceMs = _server.UnixTimeMs;
        CountGoodReplicas();
    }

    /// <summary>
    /// logInvalidUseAndFreeClientAsync from _addReplyToBufferOrList/addReplyDeferredLen: a replica's link
    /// carries the stream only, so a command of its own that made a reply drops it.
    /// </summary>
    void ReplyGenerated(Client c)
    {
        if ((c.Flags & (ClientFlags.CloseAsap | ClientFlags.Freed)) != 0) return;
        _server.Log.Warning($"Replica generated a reply to command '{c.LastCommand?.FullName ?? "<unknown>"}', disconnecting it: {ClientInfo.Line(c, _server.CurrentClient == c ? _server.CurrentArgs : null)}");
        _server.FreeClientAsync(c);
    }

    /// <summary>afterErrorReply's line for an error a replica's own command got (its link carries none).</summary>
    public void ErrorToReplica(string? command, string error) =>
        _server.Log.Warning($"== CRITICAL == This master is sending an error to its replica: '{error.TrimEnd()}' after processing the command '{command ?? "<unknown>"}'");

    /// <summary>"ip:port" as replicationGetSlaveName shows a replica: its announced address and listening port.</summary>
    public string ReplicaName(Client c)
    {
        string ip = c.Replica?.AnnouncedIp ?? ReplicaAddress(c);
        return c.Replica is { ListeningPort: > 0 } link ? $"{ip}:{link.ListeningPort}" : $"{ip}:<unknown-replica-port>";
    }

    /// <summary>The address a replica connected from (connPeerToString's ip), when it announced none.</summary>
    public string ReplicaAddress(Client c) => HostOf(c.PeerId);

    /// <summary>findReplica: the replica at host (its announced address, else the one it connected from) and listening port.</summary>
    public Client? FindReplica(string host, long port)
    {
        foreach (var c in Replicas)
            if (Link(c).ListeningPort == port && string.Equals(Link(c).AnnouncedIp ?? ReplicaAddress(c), host, StringComparison.OrdinalIgnoreCase))
                return c;
        return null;
    }

    static string HostOf(string peer)
    {
        int colon = peer.LastIndexOf(':');
        return colon > 0 ? peer[..colon].Trim('[', ']') : peer;
    }

    // ---- acknowledgements and WAIT ------------------------------------------------------------

    /// <summary>REPLCONF ACK offset from a replica.</summary>
    public void Acknowledge(Client c, long offset)
    {
        if (c.Replica is not { } link || !Replicas.Contains(c)) return;
        if (offset > link.AckOffset) link.AckOffset = offset;
        link.AckTimeMs = _server.UnixTimeMs;
        if (link.StreamOnAck)
        {
            StartStream(c, link);
            c.AfterCommands();
        }
        _server.WakeClientsWaitingForReplicas();
    }

    /// <summary>replicationCountAcksByOffset: online replicas that acknowledged at least <paramref name="offset"/>.</summary>
    public int CountAcks(long offset)
    {
        int n = 0;
        foreach (var c in Replicas)
            if (Link(c).State == ReplicaState.Online && Link(c).AckOffset >= offset) n++;
        return n;
    }

    public void RequestAcks() => _wantAcks = true;

    /// <summary>repl_good_slaves_count: online replicas whose last ack is at most min-replicas-max-lag seconds old.</summary>
    public int GoodReplicas { get; private set; }

    /// <summary>refreshGoodSlavesCount: from the cron, and when a replica comes or goes.</summary>
    public void CountGoodReplicas()
    {
        int good = 0;
        long maxLagMs = _server.Config.MinReplicasMaxLag * 1000L;
        foreach (var c in Replicas)
            if (Link(c).State == ReplicaState.Online && _server.UnixTimeMs - Link(c).AckTimeMs <= maxLagMs) good++;
        GoodReplicas = good;
    }

    /// <summary>beforeSleep's part: a blocked WAIT asks every replica for its offset (REPLCONF GETACK *), once per iteration at most.</summary>
    public void BeforeSleep()
    {
        if (!_wantAcks) return;
        _wantAcks = false;
        if (Replicas.Count > 0 && !_server.PrimaryLink.IsReplica) Feed("*3\r\n$8\r\nREPLCONF\r\n$6\r\nGETACK\r\n$1\r\n*\r\n"u8);
    }

    // ---- replicationCron (once a second) ------------------------------------------------------

    public void Cron()
    {
        long now = _server.UnixTimeMs;
        var config = _server.Config;
        CountGoodReplicas();
        // The primary's ping keeps replicas' repl-timeout from firing on an idle stream; it moves the offset as Redis's does.
        // A replica's replicas get its primary's pings, passed on.
        // Redis's loop 0 runs a millisecond after startup, before any replica: counting from 1 keeps a restarted
        // primary's first turn, which its old replicas may already have reached, from pinging.
        if (++_cronLoops % config.ReplPingReplicaPeriod == 0 && Replicas.Count > 0 && !_server.PrimaryLink.IsReplica && !_server.Failover.HoldsPings)
            Feed("*1\r\n$4\r\nping\r\n"u8);
        // A replica that has not acknowledged for repl-timeout is gone (its socket may never say so).
        foreach (var c in Replicas.ToArray())
        {
            var link = Link(c);
            if (link.State == ReplicaState.Online && !link.OldProtocol && now - link.AckTimeMs > config.ReplTimeout * 1000L)
            {
                _server.Log.Warning($"Disconnecting timedout replica (streaming sync): {ReplicaName(c)}");
                _server.FreeClient(c);
            }
        }
        // A replica that stopped reading a diskless snapshot for repl-timeout is dropped, and the snapshot
        // goes on for the others (replicationCron's repl_last_partial_write: output pending, nothing written).
        foreach (var c in Replicas.ToArray())
        {
            var link = Link(c);
            if (link.State == ReplicaState.WaitBgsave && link.Held is not null && _sync is { } sink && sink.FramedByEof(c)
                && c.Reply.HasPending && _server.UnixTime - c.LastInteraction > config.ReplTimeout)
            {
                _server.Log.Warning($"Disconnecting timedout replica (full sync): {ReplicaName(c)}");
                _server.FreeClient(c);
            }
        }
        // The diskless delay lets more replicas arrive for one snapshot.
        if (Replicas.Any(r => Link(r).State == ReplicaState.WaitBgsave && Link(r).Held is null))
        {
            int waiting = Replicas.Count(r => Link(r).State == ReplicaState.WaitBgsave && Link(r).Held is null);
            int max = config.ReplDisklessSyncMaxReplicas;
            if (!config.ReplDisklessSync || now - _waitingSinceMs >= config.ReplDisklessSyncDelay * 1000L || (max > 0 && waiting >= max))
                StartSyncIfPossible();
        }
        // No replica for repl-backlog-ttl seconds: the backlog goes, and with it the history (a new ID).
        if (Backlog is not null && Replicas.Count == 0 && !_server.PrimaryLink.IsReplica && config.ReplBacklogTtl > 0 && now - _noReplicasSinceMs > config.ReplBacklogTtl * 1000L)
        {
            ChangeReplicationId();
            FreeBacklog();
            _server.Log.Notice($"Replication backlog freed after {config.ReplBacklogTtl} seconds without connected replicas.");
        }
    }

    void FreeBacklog()
    {
        Backlog = null;
        _server.EffectSinks.Remove(this);
    }

    /// <summary>CONFIG SET repl-backlog-size.</summary>
    public void ResizeBacklog(long size) => Backlog?.Resize(size);

    /// <summary>INFO replication's slaveN lines and ROLE: state names as Redis prints them.</summary>
    public static string StateName(ReplicaState state) => state switch
    {
        ReplicaState.WaitBgsave => "wait_bgsave",
        _ => "online",
    };
}

/// <summary>
/// Where a replication snapshot's RDB chunks go (rdbSaveToSlavesSockets' pipe, without the child): to each
/// diskless replica's output as they are made, framed by `$EOF:mark`; kept for the `$len` replicas until the
/// length is known. Its pending bytes are the fullest replica's unsent output, so the walk waits for the
/// slowest replica instead of buffering the dataset.
/// </summary>
sealed class ReplicaSnapshotSink(ReplicationPrimary primary, byte[] eofMark) : ISnapshotSink
{
    readonly List<Client> _eof = new(), _sized = new();
    readonly List<RdbChunk> _kept = new();
    long _keptBytes;
    bool _completed;

    public IEnumerable<Client> Targets => _eof.Concat(_sized);

    public void Add(Client c, bool framedByEof)
    {
        if (framedByEof)
        {
            _eof.Add(c);
            c.Reply.Stream("$EOF:"u8);
            c.Reply.Stream(eofMark);
            c.Reply.Stream("\r\n"u8);
        }
        else _sized.Add(c);
    }

    static bool Alive(Client c) => (c.Flags & (ClientFlags.CloseAsap | ClientFlags.Freed)) == 0;

    public void Accept(RdbChunk chunk)
    {
        foreach (var c in _eof)
            if (Alive(c)) { c.Reply.Stream(chunk.Span); c.AfterCommands(); }
        if (_sized.Count > 0)
        {
            _kept.Add(chunk);
            _keptBytes += chunk.Length;
        }
        else chunk.Return();
    }

    public long PendingBytes
    {
        get
        {
            long most = 0;
            foreach (var c in _eof) if (Alive(c)) most = Math.Max(most, c.Reply.ListBytes);
            return most;
        }
    }

    /// <summary>Finished once complete, or when every replica it was for has gone (the walk stops: Redis kills its child then).</summary>
    public bool IsFinished => _completed || !Targets.Any(Alive);
    public bool Succeeded => _completed;
    /// <summary>Redis's line for the same event (there, the child writing the snapshot is killed; here, the walk stops).</summary>
    public string? Error => _completed ? null : "Diskless rdb transfer, last replica dropped, killing fork child.";

    public bool FramedByEof(Client c) => _eof.Contains(c);

    public void Complete()
    {
        if (_completed) return;
        _completed = true;
        // rdbPipeReadHandler's line once the snapshot is all out, with the replicas still receiving it.
        if (_eof.Count > 0) primary.LogTransferDone(_eof.Count(Alive));
        foreach (var c in _eof)
        {
            if (!Alive(c)) continue;
            c.Reply.Stream(eofMark);
            primary.PutOnline(c, framedByEof: true);
        }
        foreach (var c in _sized)
        {
            if (!Alive(c)) continue;
            c.Reply.Stream(Encoding.ASCII.GetBytes($"${_keptBytes}\r\n"));
            foreach (var chunk in _kept) c.Reply.Stream(chunk.Span);
            primary.PutOnline(c, framedByEof: false);
        }
    }

    public void Dispose()
    {
        foreach (var chunk in _kept) chunk.Return();
        _kept.Clear();
    }
}
