using Vermilion.Server;

namespace Vermilion.Replication;

/// <summary>server.failover_state: FAILOVER's progress, named as INFO's master_failover_state shows it.</summary>
public enum FailoverState { None, WaitForSync, InProgress }

/// <summary>
/// A coordinated failover (replication.c's failoverCommand, updateFailoverStatus, abortFailover), the
/// primary's side. The happy path:
/// <list type="number">
/// <item>FAILOVER pauses writes (<see cref="PausePurpose.Failover"/>, no end), so the stream stops growing;</item>
/// <item>each cron turn (every 100 ms while failing over) and each beforeSleep, a replica whose REPLCONF ACK
/// reached the primary's offset, the named one if TO was given, becomes the target;</item>
/// <item>this server turns replica of the target (REPLICAOF host port), and its handshake's PSYNC carries
/// `FAILOVER`: the target, whose replication ID is ours, promotes itself and answers +CONTINUE;</item>
/// <item>that answer ends the failover and the pause: the writes held meanwhile now meet a replica (-READONLY).</item>
/// </list>
/// TIMEOUT ends the wait: with FORCE the failover goes on to the target anyway, else it is aborted.
/// A target that refuses the PSYNC aborts it too: this server becomes a primary again, under a new ID.
/// The target's side is <see cref="Promote"/> (syncCommand's PSYNC ... FAILOVER).
/// </summary>
public sealed class Failover(VermilionServer server)
{
    public FailoverState State { get; private set; }
    /// <summary>server.target_replica_host / port: named by TO, or the first replica found caught up.</summary>
    string? _targetHost;
    int _targetPort;
    /// <summary>server.failover_end_time (Unix ms; 0: wait forever) and force_failover.</summary>
    long _endMs;
    bool _force;

    public bool Active => State != FailoverState.None;

    /// <summary>getFailoverStateString.</summary>
    public string StateName => State switch
    {
        FailoverState.WaitForSync => "waiting-for-sync",
        FailoverState.InProgress => "failover-in-progress",
        _ => "no-failover",
    };

    /// <summary>
    /// replicationCron's ping is held while a failover with a TIMEOUT has clients paused: a ping would move
    /// the offset the replicas must reach (Redis ties it to failover_end_time, so one without TIMEOUT pings).
    /// </summary>
    public bool HoldsPings => _endMs != 0 && server.ClientsPaused;

    /// <summary>
    /// failoverCommand after its arguments are parsed: the checks in Redis's order, then the wait begins.
    /// Returns the error to reply, or null.
    /// </summary>
    public string? Start(string? host, long port, long timeoutMs, bool force)
    {
        if (Active) return "FAILOVER already in progress.";
        if (server.PrimaryLink.IsReplica) return "FAILOVER is not valid when server is a replica.";
        var primary = server.Primary;
        if (primary.Replicas.Count == 0) return "FAILOVER requires connected replicas.";
        if (force && (timeoutMs == 0 || host is null)) return "FAILOVER with force option requires both a timeout and target HOST and IP.";
        if (host is not null)
        {
            if (primary.FindReplica(host, port) is not { } replica) return "FAILOVER target HOST and PORT is not a replica.";
            if (replica.Replica!.State != ReplicaState.Online) return "FAILOVER target replica is not online.";
            _targetHost = host;
            _targetPort = (int)port;
            server.Log.Notice($"FAILOVER requested to {host}:{port}.");
        }
        else server.Log.Notice("FAILOVER requested to any replica.");
        _endMs = timeoutMs > 0 ? server.UnixTimeMs + timeoutMs : 0;
        _force = force;
        State = FailoverState.WaitForSync;
        server.PauseClients(PausePurpose.Failover, long.MaxValue, PauseMode.Write);
        return null;
    }

    /// <summary>
    /// updateFailoverStatus, from the cron and beforeSleep (acks arrive between them; acting where the ack is
    /// read would free clients under the command loop): time out, or fail over to a caught-up replica.
    /// </summary>
    public void Update()
    {
        if (State != FailoverState.WaitForSync) return;
        if (_endMs != 0 && _endMs <= server.UnixTimeMs)
        {
            if (_force)
            {
                server.Log.Notice($"FAILOVER to {_targetHost}:{_targetPort} time out exceeded, failing over.");
                FailOverTo(_targetHost!, _targetPort);
            }
            else Abort("Replica never caught up before timeout");
            return;
        }
        var primary = server.Primary;
        Client? target = null;
        if (_targetHost is not null) target = primary.FindReplica(_targetHost, _targetPort);
        else
        {
            // Any replica at the primary's offset, in attach order; Redis does not ask that it be online.
            foreach (var replica in primary.Replicas)
            {
                if (replica.Replica!.AckOffset != primary.Offset) continue;
                _targetHost = replica.Replica.AnnouncedIp ?? primary.ReplicaAddress(replica);
                _targetPort = replica.Replica.ListeningPort;
                target = replica;
                break;
            }
        }
        if (target is not null && target.Replica!.AckOffset == primary.Offset)
        {
            server.Log.Notice($"Failover target {_targetHost}:{_targetPort} is synced, failing over.");
            FailOverTo(_targetHost!, _targetPort);
        }
    }

    /// <summary>replicationSetMaster with the state in progress: the handshake's PSYNC will carry FAILOVER.</summary>
    void FailOverTo(string host, int port)
    {
        State = FailoverState.InProgress;
        server.PrimaryLink.Follow(host, port);
        server.Config.ReplicaOf = $"{host} {port}";
    }

    /// <summary>syncWithMaster's check after PSYNC: +CONTINUE (or even +FULLRESYNC) from the target ends the failover.</summary>
    public void TargetAccepted()
    {
        if (State == FailoverState.InProgress) Clear();
    }

    /// <summary>syncWithMaster's check after PSYNC: any other answer, or a PSYNC that could not be sent, aborts it.</summary>
    public void TargetRefused(string reason)
    {
        if (State == FailoverState.InProgress) Abort(reason);
    }

    /// <summary>abortFailover: logged; a server already turned replica is a primary again (a new ID, its replicas reconnect).</summary>
    public void Abort(string reason)
    {
        if (!Active) return;
        if (_targetHost is not null) server.Log.Notice($"FAILOVER to {_targetHost}:{_targetPort} aborted: {reason}");
        else server.Log.Notice($"FAILOVER to any replica aborted: {reason}");
        if (State == FailoverState.InProgress)
        {
            server.PrimaryLink.Unfollow();
            server.Config.ReplicaOf = "";
        }
        Clear();
    }

    /// <summary>clearFailoverState: no failover, and the writes it paused go on.</summary>
    void Clear()
    {
        _endMs = 0;
        _force = false;
        _targetHost = null;
        _targetPort = 0;
        State = FailoverState.None;
        server.UnpauseClients(PausePurpose.Failover);
    }

    /// <summary>
    /// syncCommand's PSYNC replid offset FAILOVER, on the target: a replica asked by its own primary (the same
    /// replication ID) becomes a primary, and the PSYNC then continues as any other, from replid2.
    /// Returns the error to reply, or null.
    /// </summary>
    public string? Promote(Client c, string replId)
    {
        server.Log.Warning($"Failover request received for replid {replId}.");
        if (!server.PrimaryLink.IsReplica) return "PSYNC FAILOVER can't be sent to a master.";
        if (replId != server.ReplicationId) return "PSYNC FAILOVER replid must match my replid.";
        server.PrimaryLink.Unfollow();
        server.Config.ReplicaOf = "";
        server.Log.Notice($"MASTER MODE enabled (failover request from '{ClientInfo.Line(c)}')");
        return null;
    }
}
