using System.Buffers;
using System.Text;
using Vermilion.Net;
using Vermilion.Protocol;
using Vermilion.Server;

namespace Vermilion.Replication;

/// <summary>server.repl_state: where a replica's link to its primary is.</summary>
public enum LinkState { None, Connect, Connecting, Transfer, Connected }

/// <summary>
/// The replica's side of replication (replication.c's syncWithMaster, readSyncBulkPayload,
/// replicationCron's part for the master link). Data flows:
/// <list type="number">
/// <item>REPLICAOF (or `replicaof` in the config) names the primary; the loop starts a <see cref="SyncJob"/>
/// on a thread of its own, which connects and makes Redis's handshake (PING, AUTH, REPLCONF listening-port,
/// ip-address, capa eof psync2, then PSYNC with the cached replication ID and offset, or `? -1`);</item>
/// <item>after +FULLRESYNC the job writes the snapshot (`$len` or `$EOF:` framed) to a temp file in `dir`;
/// the loop, polling the job, renames it to the RDB file and loads it whole while serving -LOADING (as a
/// 7.0 replica with repl-diskless-load disabled), then takes the socket over as the master client;</item>
/// <item>the master client's commands run through the normal command path, muted, never expiring keys;
/// each command's exact bytes advance the replication offset and are passed on, unchanged, to this
/// server's backlog and its own replicas (<see cref="ReplicationPrimary.FeedFromPrimary"/>), so it keeps the
/// primary's replication ID and offsets, can serve +CONTINUE to its replicas and after a promotion;</item>
/// <item>REPLCONF ACK goes back once a second and for each GETACK; a lost link is retried with PSYNC from
/// the cached offset (+CONTINUE), a silent one dropped after repl-timeout.</item>
/// </list>
/// The job touches only its socket and temp file; everything else happens on the loop thread.
/// </summary>
public sealed class PrimaryLink
{
    readonly VermilionServer _server;
    /// <summary>server.masterhost / masterport: null when this server is a primary.</summary>
    public string? Host { get; private set; }
    public int Port { get; private set; }
    public LinkState State { get; private set; }
    /// <summary>server.master: the link once synchronized (flagged Master).</summary>
    public Client? Client { get; private set; }
    /// <summary>The replication offset the master client has applied (master_client->reploff).</summary>
    public long AppliedOffset { get; private set; }
    /// <summary>The database the primary's stream has selected here (the master client's, or the cached one's); null with neither.</summary>
    public int? StreamDb => Client?.DbIndex ?? (_cachedReplId is not null ? _cachedDb : null);

    /// <summary>A restart from an RDB that carried replication info: the stream's database for the cached master Follow makes.</summary>
    public void RestoreStreamDb(int db) => _restoredDb = db;
    int? _restoredDb;

    /// <summary>The master client stopped reading its commands while a script was busy; they run once it is over.</summary>
    public bool InputHeld;

    /// <summary>beforeSleep's part: the primary's stream held during a busy script goes on.</summary>
    public void ResumeHeldInput()
    {
        if (!InputHeld || _server.ScriptTimedOut) return;
        InputHeld = false;
        Client?.ProcessPendingInput();
    }

    /// <summary>repl_down_since: when the link went down (Unix seconds; 0 while it is up or never was).</summary>
    public long DownSince { get; private set; }
    /// <summary>repl_transfer_lastio / the last byte from the primary (Unix ms).</summary>
    public long LastIoMs { get; private set; }
    /// <summary>What the primary should continue from (the cached master): its replication ID and our offset; null: ask for everything.</summary>
    string? _cachedReplId;
    long _cachedOffset = -1;
    /// <summary>The cached master's selected database: +CONTINUE resumes a stream that will not select it again.</summary>
    int _cachedDb;
    SyncJob? _job;
    long _pollTimer;
    long _lastAckMs;
    readonly ArrayBufferWriter<byte> _ack = new(64);

    public PrimaryLink(VermilionServer server) => _server = server;

    public bool IsReplica => Host is not null;

    /// <summary>
    /// replicationGetSlaveOffset: the master client's offset, else the cached master's, else 0.
    /// Redis drops its cached master on +FULLRESYNC, so a replica in a full sync reports 0 (the
    /// cluster bus then hides it from CLUSTER SLOTS until it is synced).
    /// </summary>
    public long ReplicaOffset => Client is not null ? AppliedOffset : State == LinkState.Transfer || _job is { FullSync: true } ? 0 : Math.Max(_cachedOffset, 0);
    public bool SyncInProgress => State == LinkState.Transfer;
    public long TransferSize => _job?.PayloadSize ?? -1;
    public long TransferRead => _job?.PayloadRead ?? 0;

    /// <summary>replicationSetMaster: follow <paramref name="host"/>:<paramref name="port"/> from now on.</summary>
    /// <param name="fromConfig">The config file's replicaof, at startup: Redis sets masterhost without replicationSetMaster, so
    /// the only cached master is the one loadDataFromDisk made from the RDB's history; without one the first PSYNC is `? -1`.</param>
    public void Follow(string host, int port, bool fromConfig = false)
    {
        bool wasPrimary = !IsReplica;
        DropLink();
        // A blocked client's command is already half served; a replica may not finish it (BLPOP then a role change, #2473).
        _server.DisconnectAllBlockedClients();
        Host = host;
        Port = port;
        // A primary becoming a replica asks to continue its own history (replicationCacheMasterUsingMyself):
        // a new primary that was its replica knows it, and +CONTINUE spares a full sync.
        if (wasPrimary && (!fromConfig || _restoredDb is not null))
        {
            _server.Log.Notice("Before turning into a replica, using my own master parameters to synthesize a cached master: I may be able to synchronize with the new master with just a partial transfer.");
            _cachedReplId = _server.ReplicationId;
            _cachedOffset = _server.Primary.Offset;
            // Any database will do (the new primary starts with SELECT), but one restored from an RDB is the stream's.
            _cachedDb = _restoredDb ?? 0;
            _restoredDb = null;
        }
        if (wasPrimary) _server.Primary.BecomeReplica();
        // DownSince is left as it is (replicationSetMaster does not touch repl_down_since): a link dropped above
        // counts from now (Lost), one that never came up stays 0 and INFO says -1, which Sentinel's replica
        // selection reads as "never down too long".
        State = LinkState.Connect;
        _server.Log.Role = 'S';
        _server.Log.Notice($"Connecting to MASTER {host}:{port}");
        StartSync();
    }

    /// <summary>replicationUnsetMaster: REPLICAOF NO ONE. The history continues under a new ID (the old one becomes replid2).</summary>
    public void Unfollow()
    {
        if (!IsReplica) return;
        DropLink();
        Host = null;
        Port = 0;
        State = LinkState.None;
        // Ready for the next REPLICAOF (replicationUnsetMaster resets repl_down_since).
        DownSince = 0;
        _cachedReplId = null;
        _cachedOffset = -1;
        _server.Log.Role = 'M';
        _server.Primary.BecomePrimary();
    }

    /// <summary>The server is going away: a sync in flight stops (its thread ends once its socket is closed).</summary>
    public void Stop()
    {
        _stopped = true;
        _job?.Cancel();
        _job = null;
    }

    /// <summary>useDisklessLoad: repl-diskless-load swapdb, or on-empty-db with nothing stored.</summary>
    bool UsesDisklessLoad() => _server.Config.ReplDisklessLoad switch
    {
        "swapdb" => true,
        "on-empty-db" => _server.Databases.All(db => db.Count == 0),
        _ => false,
    };

    /// <summary>readSyncBulkPayload's asyncLoading: swapdb, and the primary's replication ID is this server's own.</summary>
    bool AsyncLoads(SyncJob job) => _server.Config.ReplDisklessLoad == "swapdb" && job.ReplId == _server.ReplicationId;

    /// <summary>Stops whatever the link is doing (a running job's socket is closed; its thread ends on its own).</summary>
    void DropLink()
    {
        if (_job is not null)
        {
            _job.Cancel();
            _job = null;
        }
        if (_pollTimer != 0)
        {
            _server.Loop.DeleteTimeEvent(_pollTimer);
            _pollTimer = 0;
        }
        // Freed as a lost link (Lost caches its ID, offset and database): the next primary may continue it.
        if (Client is { } master)
        {
            _dropping = true;
            try { _server.FreeClient(master); }
            finally { _dropping = false; }
        }
    }

    /// <summary>The link is being dropped on purpose (REPLICAOF): a lost master client must not reconnect to the old primary.</summary>
    bool _dropping, _stopped;

    void StartSync()
    {
        var config = _server.Config;
        State = LinkState.Connecting;
        _server.Log.Notice("MASTER <-> REPLICA sync started");
        string temp = Path.Combine(_server.Config.Dir, $"temp-{_server.UnixTime}.{Environment.ProcessId}.rdb");
        int announcePort = config.ReplicaAnnouncePort != 0 ? config.ReplicaAnnouncePort : config.Port;
        _job = new SyncJob(Host!, Port, temp, config.MasterUser, config.MasterAuth, announcePort, config.ReplicaAnnounceIp,
            _cachedReplId, _cachedOffset >= 0 ? _cachedOffset + 1 : -1, config.ReplTimeout * 1000L, _server.Log,
            failover: _server.Failover.State == FailoverState.InProgress, disklessLoad: UsesDisklessLoad());
        _job.Start();
        _pollTimer = _server.Loop.CreateTimeEvent(1, (_, _) => Poll());
    }

    /// <summary>The loop's look at a running job: each 10 ms until it ends, then what it brought is taken in.</summary>
    long Poll()
    {
        var job = _job;
        if (job is null) { _pollTimer = 0; return EventLoop.NoMore; }
        // The target answered PSYNC FAILOVER: the failover is over, whatever the transfer does next.
        if (job.Psync == PsyncOutcome.Accepted) _server.Failover.TargetAccepted();
        // A transfer quicker than a poll is seen only as done: the link was in TRANSFER all the same (and stays so while it loads).
        if ((job.Phase == SyncPhase.Transfer || (job.FullSync && job.Phase is SyncPhase.Done or SyncPhase.Stream)) && State != LinkState.Transfer)
        {
            State = LinkState.Transfer;
            _server.Log.Notice($"Full resync from master: {job.ReplId}:{job.Offset}");
        }
        if (job.Phase is not (SyncPhase.Done or SyncPhase.Failed or SyncPhase.Stream)) return 10;
        _pollTimer = 0;
        _job = null;
        if (job.Phase == SyncPhase.Failed)
        {
            if (job.Error is not null) _server.Log.Warning(job.Error);
            State = LinkState.Connect; // replicationCron tries again
            // A failover's target that refused (or never got) the PSYNC: this server is a primary again.
            if (job.Psync == PsyncOutcome.Refused) _server.Failover.TargetRefused("Failover target rejected psync request");
            else if (job.Psync == PsyncOutcome.WriteError) _server.Failover.TargetRefused("Write error to failover target");
            return EventLoop.NoMore;
        }
        if (job.Phase == SyncPhase.Stream) LoadStreamedSnapshot(job);
        else if (job.FullSync) CompleteFullSync(job);
        else CompletePartialSync(job);
        return EventLoop.NoMore;
    }

    void CompleteFullSync(SyncJob job)
    {
        _server.Log.Notice($"MASTER <-> REPLICA sync: receiving {job.PayloadRead} bytes from master to disk");
        string target = _server.RdbFilePath;
        try
        {
            File.Move(job.TempFile, target, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _server.Log.Warning($"Failed trying to rename the temp DB into {Path.GetFileName(target)} in MASTER <-> REPLICA synchronization: {e.Message}");
            job.CloseSocket();
            State = LinkState.Connect;
            return;
        }
        _server.Log.Notice("MASTER <-> REPLICA sync: Flushing old data");
        _server.Log.Notice("MASTER <-> REPLICA sync: Loading DB in memory");
        // The replica's own replicas cannot continue a history it replaces: they sync again (disconnectSlaves).
        _server.Primary.DisconnectReplicas();
        // swapdb from the same history: the old dataset keeps serving while the new one loads beside it (7.0's async loading).
        if (_server.LoadRdbFile(target, asyncLoading: AsyncLoads(job)) is { } error)
        {
            _server.Log.Warning($"Failed trying to load the MASTER synchronization DB from disk, check server logs. ({error})");
            job.CloseSocket();
            State = LinkState.Connect;
            return;
        }
        // rdb-del-sync-files: with no persistence configured, the file was only the sync's.
        if (_server.Config.RdbDelSyncFiles && _server.Config.SaveParams.Count == 0 && _server.Aof.State == AofState.Off) VermilionServer.TryDelete(target);
        _server.ReplicationId = job.ReplId!;
        _server.Primary.StartFollowing(job.Offset);
        Attach(job, job.Offset, db: 0);
        _server.Log.Notice("MASTER <-> REPLICA sync: Finished with success");
        // The AOF must hold the new dataset: a rewrite makes its base from it (restartAOFAfterSYNC).
        if (_server.Aof.State != AofState.Off) _server.Aof.RewriteCommand(inExec: false);
    }

    /// <summary>
    /// readSyncBulkPayload with useDisklessLoad: the snapshot is parsed straight from the socket on the
    /// loop, reading as the load goes (a replica slow to load slows its primary's transfer, as in Redis),
    /// with events served every loading-process-events-interval-bytes. swapdb loads beside the old
    /// dataset (served meanwhile when the primary's history is ours, else -LOADING), which stays if the
    /// load fails; a cut link is a short read, logged as Redis logs it, and the link tries again.
    /// </summary>
    void LoadStreamedSnapshot(SyncJob job)
    {
        var payload = job.Payload();
        _server.Log.Notice(payload.Mark is null
            ? $"MASTER <-> REPLICA sync: receiving {job.PayloadSize} bytes from master to parser"
            : "MASTER <-> REPLICA sync: receiving streamed RDB from master with EOF to parser");
        bool swapdb = _server.Config.ReplDisklessLoad == "swapdb";
        _server.Primary.DisconnectReplicas();
        if (!swapdb) _server.Log.Notice("MASTER <-> REPLICA sync: Flushing old data");
        _server.Log.Notice("MASTER <-> REPLICA sync: Loading DB in memory");
        var error = _server.LoadRdb(payload, payload.Mark is null ? job.PayloadSize : 0, asyncLoading: AsyncLoads(job), fromSocket: true);
        if (error is null && !payload.ReadMark())
        {
            _server.Log.Warning("Replication stream EOF marker is broken");
            error = "";
        }
        if (error is not null)
        {
            _server.Log.Warning("Failed trying to load the MASTER synchronization DB from socket, check server logs.");
            _server.Log.Notice(swapdb ? "MASTER <-> REPLICA sync: Discarding the half-loaded data" : "MASTER <-> REPLICA sync: Emptying the half-loaded data");
            job.CloseSocket();
            State = LinkState.Connect;
            return;
        }
        _server.ReplicationId = job.ReplId!;
        _server.Primary.StartFollowing(job.Offset);
        Attach(job, job.Offset, db: 0);
        _server.Log.Notice("MASTER <-> REPLICA sync: Finished with success");
        if (_server.Aof.State != AofState.Off) _server.Aof.RewriteCommand(inExec: false);
    }

    void CompletePartialSync(SyncJob job)
    {
        _server.Log.Notice("MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization.");
        // +CONTINUE with another ID: the primary was promoted; what we have is its history under its old ID.
        if (job.ReplId is { } id && id != _server.ReplicationId)
        {
            _server.Primary.ShiftReplicationId(id, _cachedOffset + 1);
            // This server's replicas must learn the new ID too.
            _server.Primary.DisconnectReplicas();
        }
        Attach(job, _cachedOffset, _cachedDb);
    }

    /// <summary>The synchronized socket becomes the master client; it acknowledges at once, as replicationSendAck after a sync.</summary>
    void Attach(SyncJob job, long offset, int db)
    {
        int fd = job.Detach(out var buffered);
        if (fd < 0)
        {
            _server.Log.Warning("Error condition on socket for SYNC: could not take the connection over");
            State = LinkState.Connect;
            return;
        }
        AppliedOffset = offset;
        _cachedReplId = null;
        _cachedOffset = -1;
        State = LinkState.Connected;
        DownSince = 0;
        LastIoMs = _server.UnixTimeMs;
        Client = _server.AttachPrimaryClient(fd);
        Client.SelectDb(db);
        SendAck();
        if (buffered.Length > 0) Client.Receive(buffered);
    }

    /// <summary>Each command the master client ran: its exact bytes move the offset and go on to this server's backlog and replicas.</summary>
    public void Applied(ReadOnlySpan<byte> request)
    {
        AppliedOffset += request.Length;
        LastIoMs = _server.UnixTimeMs;
        _server.Primary.FeedFromPrimary(request);
    }

    /// <summary>
    /// afterErrorReply for the master client: the replica and its primary now differ. Logged as Redis does;
    /// with propagation-error-behavior panic (or panic-on-replicas) a read-only replica stops rather than
    /// diverge; a writable one goes on, as its own writes may well be what the primary's command met.
    /// </summary>
    public void CommandFailed(string command, string? error)
    {
        string what = error is null ? "an error" : $"an error to its master: '{error.TrimStart('-').TrimEnd()}'";
        _server.Log.Warning($"== CRITICAL == This replica is sending {what} after processing the command '{command}'");
        _server.Stats.UnexpectedErrorReplies++;
        if (_server.Config.PropagationErrorBehavior != "ignore" && _server.Config.ReplicaReadOnly)
        {
            _server.Log.Warning($"This replica panicked sending an error to its master after processing the command '{command}'");
            Environment.Exit(1);
        }
    }

    /// <summary>replicationSendAck: REPLCONF ACK with the applied offset, the one reply a primary gets.</summary>
    public void SendAck()
    {
        if (Client is not { } master) return;
        var ack = _ack;
        ack.ResetWrittenCount();
        RequestWriter.ArrayHeader(ack, 3);
        RequestWriter.Bulk(ack, "REPLCONF"u8);
        RequestWriter.Bulk(ack, "ACK"u8);
        RequestWriter.Bulk(ack, AppliedOffset);
        master.Reply.Stream(ack.WrittenSpan);
        _lastAckMs = _server.UnixTimeMs;
        if (master != _server.CurrentClient) master.AfterCommands();
    }

    /// <summary>freeClient of the master client: the link is down; its offset is cached so the next sync can continue it.</summary>
    public void Lost(Client master)
    {
        if (Client != master) return;
        Client = null;
        _cachedReplId = _server.ReplicationId;
        _cachedOffset = AppliedOffset;
        _cachedDb = master.DbIndex;
        State = LinkState.Connect;
        DownSince = _server.UnixTime;
        _server.Log.Notice("Connection with master lost.");
        _server.Log.Notice("* Caching the disconnected master state.");
        // replicationHandleMasterDisconnection: reconnect at once rather than at the next cron, which
        // risks the backlog moving on (and leaves chained replicas without a link for up to a second).
        // Measured (bench/replication.sh): CLIENT KILL TYPE master to link up took 320-470 ms when the
        // cron reconnected, 4-8 ms on redis-server.
        // Not while shutting down: FinishShutdown frees the master client after the loop stopped (Redis exits instead),
        // and a sync started then would PSYNC once more, counted by the primary, before Stop ends it.
        if (IsReplica && !_dropping && !_stopped && _job is null && !_server.Loop.StopRequested)
        {
            _server.Log.Notice($"Reconnecting to MASTER {Host}:{Port}");
            StartSync();
        }
    }

    /// <summary>replicationCron's replica part: reconnect, time out a silent primary, acknowledge once a second.</summary>
    public void Cron()
    {
        if (!IsReplica) return;
        long now = _server.UnixTimeMs;
        long timeoutMs = _server.Config.ReplTimeout * 1000L;
        if (State == LinkState.Connect && _job is null) StartSync();
        else if (State == LinkState.Connected && Client is { } master)
        {
            if (now - LastIoMs > timeoutMs)
            {
                _server.Log.Warning("MASTER timeout: no data nor PING received...");
                _server.FreeClient(master);
                return;
            }
            if (now - _lastAckMs >= 1000) SendAck();
        }
        else if (_job is { } job && Environment.TickCount64 - job.LastIoMs > timeoutMs)
        {
            _server.Log.Warning("Timeout connecting to the MASTER...");
            DropLink();
            State = LinkState.Connect;
        }
    }

    /// <summary>ROLE's and INFO's name of the link's state (replstateToString / the ROLE reply's).</summary>
    public string RoleState => State switch
    {
        LinkState.Connect => "connect",
        // slaveIsInHandshakeState: connected, exchanging PING/AUTH/REPLCONF/PSYNC.
        LinkState.Connecting => _job?.Phase == SyncPhase.Handshake ? "handshake" : "connecting",
        LinkState.Transfer => "sync",
        LinkState.Connected => "connected",
        _ => "none",
    };
}

/// <summary>Stream: the snapshot's header is read and the socket is the loop's to parse it from (diskless load).</summary>
enum SyncPhase { Connecting, Handshake, Transfer, Done, Failed, Stream }

/// <summary>What became of the handshake's PSYNC: a failover ends on its answer (syncWithMaster's psync_result).</summary>
enum PsyncOutcome { NotSent, WriteError, Accepted, Refused }

/// <summary>
/// One attempt to synchronize, on a thread of its own with a blocking socket (Redis makes the same
/// exchanges with syncReadLine/syncWrite from its event handler): the handshake, PSYNC, and a full
/// snapshot written to a temp file. It shares only the fields the loop polls.
/// </summary>
sealed class SyncJob(string host, int port, string tempFile, string user, string password, int listeningPort,
    string announceIp, string? cachedReplId, long continueFrom, long timeoutMs, Log log, bool failover, bool disklessLoad)
{
    public volatile PsyncOutcome Psync;
    byte[]? _mark;
    SyncConnection? _link;
    volatile bool _cancelled;
    public volatile SyncPhase Phase;
    public string? Error { get; private set; }
    public string? ReplId { get; private set; }
    public long Offset { get; private set; }
    public bool FullSync { get; private set; }
    public string TempFile => tempFile;
    public long PayloadSize = -1, PayloadRead;
    /// <summary>The last byte from the primary, on the monotonic clock (Environment.TickCount64).</summary>
    public long LastIoMs = Environment.TickCount64;

    public void Start() => new Thread(Run) { IsBackground = true, Name = "vermilion-replica-sync" }.Start();

    public void Cancel()
    {
        _cancelled = true;
        CloseSocket();
    }

    public void CloseSocket()
    {
        try { _link?.Dispose(); } catch (ObjectDisposedException) { }
    }

    public int Detach(out byte[] buffered) => _link!.Detach(out buffered);

    /// <summary>The snapshot's bytes as the loader reads them (after <see cref="SyncPhase.Stream"/>, on the loop).</summary>
    public SnapshotPayloadStream Payload() => new(_link!, PayloadSize, _mark, timeoutMs, this);

    void Run()
    {
        try
        {
            bool ok = Handshake() && !_cancelled;
            Phase = !ok ? SyncPhase.Failed : Phase == SyncPhase.Stream ? SyncPhase.Stream : SyncPhase.Done;
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or ObjectDisposedException)
        {
            Error ??= e.Message;
            Phase = SyncPhase.Failed;
        }
        if (Phase == SyncPhase.Failed)
        {
            CloseSocket();
            VermilionServer.TryDelete(tempFile);
        }
    }

    /// <summary>The first reason stays: a timeout is logged as replicationCron logs it, whatever step it hit.</summary>
    bool Fail(string error)
    {
        Error ??= error;
        return false;
    }

    bool Send(params string[] args)
    {
        var request = new ArrayBufferWriter<byte>();
        RequestWriter.Command(request, args);
        return _link!.Write(request.WrittenSpan, timeoutMs);
    }

    string? ReadLine()
    {
        var line = _link!.ReadLine(timeoutMs);
        if (line is null && _link.TimedOut) Error ??= "Timeout connecting to the MASTER...";
        else LastIoMs = Environment.TickCount64;
        return line is null ? null : Encoding.UTF8.GetString(line);
    }

    /// <summary>syncWithMaster's states, one exchange after the other.</summary>
    bool Handshake()
    {
        _link = SyncConnection.Connect(host, port, timeoutMs);
        if (_link is null) return Fail($"Unable to connect to MASTER: {host}:{port}");
        Phase = SyncPhase.Handshake;
        if (!Send("PING") || ReadLine() is not { } pong) return Fail("Error condition on socket for SYNC: Connection reset by peer");
        // NOAUTH and NOPERM are fine here: AUTH follows; any other error stops the attempt.
        if (pong.StartsWith('-') && !pong.StartsWith("-NOAUTH") && !pong.StartsWith("-NOPERM") && !pong.StartsWith("-ERR operation not permitted"))
            return Fail($"Error reply to PING from master: '{pong}'");
        log.Notice("Master replied to PING, replication can continue...");
        if (password.Length > 0)
        {
            bool sent = user.Length > 0 ? Send("AUTH", user, password) : Send("AUTH", password);
            if (!sent || ReadLine() is not { } auth || auth.StartsWith('-')) return Fail("Unable to AUTH to MASTER: -ERR authentication failed");
        }
        if (!Send("REPLCONF", "listening-port", listeningPort.ToString()) || ReadLine() is not { } lp) return Fail("Error condition on socket for SYNC");
        if (lp.StartsWith('-')) log.Notice($"(Non critical) Master does not understand REPLCONF listening-port: {lp}");
        if (announceIp.Length > 0)
        {
            if (!Send("REPLCONF", "ip-address", announceIp) || ReadLine() is not { } ip) return Fail("Error condition on socket for SYNC");
            if (ip.StartsWith('-')) log.Notice($"(Non critical) Master does not understand REPLCONF ip-address: {ip}");
        }
        if (!Send("REPLCONF", "capa", "eof", "capa", "psync2") || ReadLine() is not { } capa) return Fail("Error condition on socket for SYNC");
        if (capa.StartsWith('-')) log.Notice($"(Non critical) Master does not understand REPLCONF capa: {capa}");
        if (cachedReplId is not null) log.Notice($"Trying a partial resynchronization (request {cachedReplId}:{continueFrom}).");
        else log.Notice("Partial resynchronization not possible (no cached master)");
        // A primary failing over asks its target to take over (slaveTryPartialResynchronization's FAILOVER argument).
        string psyncOffset = cachedReplId is null ? "-1" : continueFrom.ToString();
        bool psyncSent = failover ? Send("PSYNC", cachedReplId ?? "?", psyncOffset, "FAILOVER") : Send("PSYNC", cachedReplId ?? "?", psyncOffset);
        if (!psyncSent)
        {
            Psync = PsyncOutcome.WriteError;
            return Fail("Unable to send PSYNC to master");
        }
        string? reply;
        // The primary may send newlines while it prepares the snapshot.
        do reply = ReadLine(); while (reply is "");
        if (reply is null) return Fail("Master did not reply to PSYNC");
        Psync = reply.StartsWith("+CONTINUE") || reply.StartsWith("+FULLRESYNC") ? PsyncOutcome.Accepted : PsyncOutcome.Refused;
        if (reply.StartsWith("+CONTINUE"))
        {
            string rest = reply.Length > 9 ? reply[9..].Trim() : "";
            ReplId = rest.Length == 40 ? rest : null;
            FullSync = false;
            return true;
        }
        if (reply.StartsWith("-NOMASTERLINK") || reply.StartsWith("-LOADING"))
            return Fail($"Master is currently unable to PSYNC but should be in the future: {reply}");
        var parts = reply.Split(' ');
        if (!reply.StartsWith("+FULLRESYNC") || parts.Length != 3 || parts[1].Length != 40 || !long.TryParse(parts[2], out long offset))
            return Fail($"Unexpected reply to PSYNC from master: {reply}");
        ReplId = parts[1];
        Offset = offset;
        FullSync = true;
        Phase = SyncPhase.Transfer;
        return ReceiveSnapshot();
    }

    /// <summary>readSyncBulkPayload: `$len` then that many bytes, or `$EOF:<40 bytes>` then bytes until the same 40 end them.</summary>
    bool ReceiveSnapshot()
    {
        string? header;
        do header = ReadLine(); while (header is "");
        if (header is null || !header.StartsWith('$')) return Fail($"Bad protocol from MASTER, the first byte is not '$' (we received '{header}'), are you sure the host and port are right?");
        byte[]? mark = header.StartsWith("$EOF:") && header.Length == 45 ? Encoding.ASCII.GetBytes(header[5..]) : null;
        if (mark is null && !long.TryParse(header.AsSpan(1), out PayloadSize)) return Fail($"Bad protocol from MASTER: '{header}'");
        if (disklessLoad)
        {
            _mark = mark;
            Phase = SyncPhase.Stream;
            return true;
        }
        using var file = new FileStream(tempFile, FileMode.Create, FileAccess.Write, FileShare.Read, bufferSize: 0);
        var buffer = new byte[64 * 1024];
        var tail = mark is null ? null : new EofMarkTail(mark);
        while (true)
        {
            if (_cancelled) return false;
            int want = mark is null ? (int)Math.Min(buffer.Length, PayloadSize - PayloadRead) : buffer.Length;
            if (want == 0) break;
            int n = _link!.Read(buffer.AsSpan(0, want), timeoutMs);
            if (n <= 0)
                return Fail(_link.TimedOut
                    ? "Timeout receiving bulk data from MASTER... If the problem persists try to set the 'repl-timeout' parameter in redis.conf to a larger value."
                    : "I/O error trying to sync with MASTER: connection lost");
            LastIoMs = Environment.TickCount64;
            file.Write(buffer, 0, n);
            PayloadRead += n;
            if (tail is null) continue;
            if (tail.EndsWithMark(buffer.AsSpan(0, n)))
            {
                file.SetLength(PayloadRead - 40);
                break;
            }
        }
        file.Flush(flushToDisk: true);
        return true;
    }
}
