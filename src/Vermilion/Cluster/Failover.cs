using Vermilion.Replication;
using Vermilion.Server;

namespace Vermilion.Cluster;

/// <summary>
/// Failure detection and failover (cluster.c): failure reports and the PFAIL → FAIL agreement,
/// replica elections (clusterHandleSlaveFailover: the delay, the vote request, the quorum) and
/// the votes masters give (clusterSendFailoverAuthIfNeeded), manual failover (MFSTART, the
/// paused master's offset), replica migration to orphaned masters.
/// </summary>
public sealed partial class ClusterState
{
    const long ManualFailoverTimeout = 5000, ManualFailoverPauseMultiplier = 2, ReplicaMigrationDelay = 5000;
    const int CantFailoverNone = 0, CantFailoverDataAge = 1, CantFailoverWaitingDelay = 2, CantFailoverExpired = 3, CantFailoverWaitingVotes = 4;

    public long FailoverAuthTime, FailoverAuthCount;
    public ulong FailoverAuthEpoch;
    bool _failoverAuthSent;
    int _failoverAuthRank, _cantFailoverReason;
    long _cantFailoverLoggedAt;

    /// <summary>mf_end: when a manual failover in progress gives up (0: none).</summary>
    public long ManualFailoverEnd { get; private set; }
    /// <summary>mf_slave: on a master, the replica that asked for the manual failover.</summary>
    public ClusterNode? ManualFailoverReplica { get; private set; }
    bool _manualFailoverCanStart;
    long _manualFailoverMasterOffset = -1;

    /// <summary>DEBUG DROP-CLUSTER-PACKET-FILTER: messages of this type are dropped as received (-1: none).</summary>
    public int DropPacketFilter = -1;

    // ---- failure reports ----

    public bool AddFailureReport(ClusterNode failing, ClusterNode sender)
    {
        for (int i = 0; i < failing.FailReports.Count; i++)
        {
            if (failing.FailReports[i].Sender != sender) continue;
            failing.FailReports[i] = (sender, NowMs);
            return false;
        }
        failing.FailReports.Add((sender, NowMs));
        return true;
    }

    public bool DeleteFailureReport(ClusterNode node, ClusterNode sender)
    {
        int i = node.FailReports.FindIndex(r => r.Sender == sender);
        if (i < 0) return false;
        node.FailReports.RemoveAt(i);
        FailureReportsCount(node);
        return true;
    }

    /// <summary>markNodeAsFailingIfNeeded: PFAIL here, and reported by a majority of masters (myself counted when a master): FAIL, told to all.</summary>
    public void MarkNodeAsFailingIfNeeded(ClusterNode node)
    {
        int quorum = Size / 2 + 1;
        if (!node.TimedOut || node.Failed) return;
        int failures = FailureReportsCount(node);
        if (Myself.IsMaster) failures++;
        if (failures < quorum) return;
        Log.Notice($"Marking node {node.Name} as failing (quorum reached).");
        node.Flags &= ~NodeFlags.PFail;
        node.Flags |= NodeFlags.Fail;
        node.FailTime = NowMs;
        Bus.SendFail(node.Name);
        Todo |= TodoFlags.UpdateState | TodoFlags.SaveConfig;
    }

    /// <summary>clearNodeFailureIfNeeded: a reachable replica or slotless master is cleared at once; a master with slots after 2 × node timeout.</summary>
    public void ClearNodeFailureIfNeeded(ClusterNode node)
    {
        if (node.IsSlave || node.NumSlots == 0)
        {
            Log.Notice($"Clear FAIL state for node {node.Name}: {(node.IsSlave ? "replica" : "master without slots")} is reachable again.");
            node.Flags &= ~NodeFlags.Fail;
            Todo |= TodoFlags.UpdateState | TodoFlags.SaveConfig;
        }
        if (node.IsMaster && node.NumSlots > 0 && NowMs - node.FailTime > Config.ClusterNodeTimeout * 2)
        {
            Log.Notice($"Clear FAIL state for node {node.Name}: is reachable again and nobody is serving its slots after some time.");
            node.Flags &= ~NodeFlags.Fail;
            Todo |= TodoFlags.UpdateState | TodoFlags.SaveConfig;
        }
    }

    public int CountNonFailingReplicas(ClusterNode n) => n.Replicas.Count(r => !r.Failed);

    // ---- the cron ----

    /// <summary>clusterCron: the bus's duties, then the replication link, manual failover, elections, replica migration, the state.</summary>
    public void Cron()
    {
        Myself.Hostname = Config.ClusterAnnounceHostname;
        bool updateState = Bus.Cron(out int orphaned, out int maxSlaves, out int thisSlaves);
        // A replica whose replication is off (after a restart) follows its master once it has an address.
        if (Myself.IsSlave && !_server.PrimaryLink.IsReplica && Myself.SlaveOf is { HasAddress: true } master && master.Ip.Length > 0)
            _server.PrimaryLink.Follow(master.Ip, master.Port);
        ManualFailoverCheckTimeout();
        if (Myself.IsSlave)
        {
            HandleManualFailover();
            HandleSlaveFailover();
            if (orphaned > 0 && maxSlaves >= 2 && thisSlaves == maxSlaves && Config.ClusterAllowReplicaMigration)
                HandleSlaveMigration(maxSlaves);
        }
        if (updateState || State == ClusterHealth.Fail) UpdateState();
        // clientsCronHandleTimeout's cluster step: blocked clients whose slot moved away are redirected.
        _server.RedirectBlockedClients(BlockedRedirection);
    }

    // ---- elections ----

    /// <summary>replicationGetSlaveOffset on a replica.</summary>
    long ReplicaOffset => _server.PrimaryLink.ReplicaOffset;

    /// <summary>clusterGetSlaveRank: how many replicas of my master (that may fail over) claim more data than I do.</summary>
    int ReplicaRank()
    {
        var master = Myself.SlaveOf;
        if (master is null) return 0;
        long mine = ReplicaOffset;
        int rank = 0;
        foreach (var r in master.Replicas)
            if (r != Myself && (r.Flags & NodeFlags.NoFailover) == 0 && r.ReplOffset > mine) rank++;
        return rank;
    }

    /// <summary>clusterLogCantFailover: why this replica is not failing over, at most every 10 s for the same reason, and not soon after the failure.</summary>
    void LogCantFailover(int reason)
    {
        long now = NowMs;
        if (reason == _cantFailoverReason && now - _cantFailoverLoggedAt < 10_000) return;
        _cantFailoverReason = reason;
        if (Myself.SlaveOf is { Failed: true } m && now - m.FailTime < Config.ClusterNodeTimeout + 5000) return;
        string msg = reason switch
        {
            CantFailoverDataAge => "Disconnected from master for longer than allowed. Please check the 'cluster-replica-validity-factor' configuration option.",
            CantFailoverWaitingDelay => "Waiting the delay before I can start a new failover.",
            CantFailoverExpired => "Failover attempt expired.",
            CantFailoverWaitingVotes => "Waiting for votes, but majority still not reached.",
            _ => "Unknown reason code.",
        };
        _cantFailoverLoggedAt = now;
        Log.Warning($"Currently unable to failover: {msg}");
    }

    /// <summary>
    /// clusterHandleSlaveFailover: a replica of a failed master (or in a manual failover) whose
    /// data is recent enough schedules an election 500 ms + random(500) + rank × 1 s ahead, then
    /// asks for votes under a new epoch and, with a majority of masters, takes its master's slots.
    /// </summary>
    public void HandleSlaveFailover()
    {
        long now = NowMs;
        long authAge = now - FailoverAuthTime;
        int quorum = Size / 2 + 1;
        bool manual = ManualFailoverEnd != 0 && _manualFailoverCanStart;
        Todo &= ~TodoFlags.HandleFailover;
        long authTimeout = Math.Max(Config.ClusterNodeTimeout * 2, 2000), authRetry = authTimeout * 2;
        if (Myself.IsMaster || Myself.SlaveOf is null || (!Myself.SlaveOf.Failed && !manual)
            || (Config.ClusterReplicaNoFailover && !manual) || Myself.SlaveOf.NumSlots == 0)
        {
            _cantFailoverReason = CantFailoverNone;
            return;
        }
        var link = _server.PrimaryLink;
        long dataAge = link.State == LinkState.Connected
            ? (_server.UnixTime - link.LastIoMs / 1000) * 1000
            : (_server.UnixTime - link.DownSince) * 1000;
        if (dataAge > Config.ClusterNodeTimeout) dataAge -= Config.ClusterNodeTimeout;
        if (Config.ClusterReplicaValidityFactor != 0
            && dataAge > Config.ReplPingReplicaPeriod * 1000L + Config.ClusterNodeTimeout * Config.ClusterReplicaValidityFactor && !manual)
        {
            LogCantFailover(CantFailoverDataAge);
            return;
        }
        if (authAge > authRetry)
        {
            FailoverAuthTime = now + 500 + Random.Shared.Next(500);
            FailoverAuthCount = 0;
            _failoverAuthSent = false;
            _failoverAuthRank = ReplicaRank();
            FailoverAuthTime += _failoverAuthRank * 1000L;
            if (ManualFailoverEnd != 0)
            {
                FailoverAuthTime = now;
                _failoverAuthRank = 0;
                Todo |= TodoFlags.HandleFailover;
            }
            Log.Warning($"Start of election delayed for {FailoverAuthTime - now} milliseconds (rank #{_failoverAuthRank}, offset {ReplicaOffset}).");
            Bus.BroadcastPong(ClusterBus.BroadcastTarget.LocalSlaves);
            return;
        }
        if (!_failoverAuthSent && ManualFailoverEnd == 0)
        {
            int rank = ReplicaRank();
            if (rank > _failoverAuthRank)
            {
                long added = (rank - _failoverAuthRank) * 1000L;
                FailoverAuthTime += added;
                _failoverAuthRank = rank;
                Log.Warning($"Replica rank updated to #{rank}, added {added} milliseconds of delay.");
            }
        }
        if (now < FailoverAuthTime)
        {
            LogCantFailover(CantFailoverWaitingDelay);
            return;
        }
        if (authAge > authTimeout)
        {
            LogCantFailover(CantFailoverExpired);
            return;
        }
        if (!_failoverAuthSent)
        {
            CurrentEpoch++;
            FailoverAuthEpoch = CurrentEpoch;
            Log.Warning($"Starting a failover election for epoch {CurrentEpoch}.");
            Bus.RequestFailoverAuth(ManualFailoverEnd != 0);
            _failoverAuthSent = true;
            Todo |= TodoFlags.SaveConfig | TodoFlags.UpdateState | TodoFlags.FsyncConfig;
            return;
        }
        if (FailoverAuthCount >= quorum)
        {
            Log.Warning("Failover election won: I'm the new master.");
            if (Myself.ConfigEpoch < FailoverAuthEpoch)
            {
                Myself.ConfigEpoch = FailoverAuthEpoch;
                Log.Warning($"configEpoch set to {Myself.ConfigEpoch} after successful failover");
            }
            FailoverReplaceYourMaster();
        }
        else LogCantFailover(CantFailoverWaitingVotes);
    }

    /// <summary>clusterFailoverReplaceYourMaster: become a master, take the old master's slots, tell everyone.</summary>
    void FailoverReplaceYourMaster()
    {
        var old = Myself.SlaveOf;
        if (Myself.IsMaster || old is null) return;
        SetNodeAsMaster(Myself);
        _server.PrimaryLink.Unfollow();
        for (int j = 0; j < Slots; j++)
        {
            if (!old.OwnsSlot(j)) continue;
            DeleteSlot(j);
            AddSlot(Myself, j);
        }
        UpdateState();
        if (!SaveConfig(fsync: true))
        {
            Log.Warning("Fatal: can't update cluster config file.");
            Environment.Exit(1);
        }
        Bus.BroadcastPong(ClusterBus.BroadcastTarget.All);
        ResetManualFailover();
    }

    /// <summary>
    /// clusterSendFailoverAuthIfNeeded: a master serving slots votes once per epoch, for a replica
    /// of a failed master (or one in a manual failover), not twice for the same master within 2 ×
    /// node timeout, and only if no slot it claims has a newer owner.
    /// </summary>
    public void SendFailoverAuthIfNeeded(ClusterNode node, BusMessage.Header request)
    {
        var master = node.SlaveOf;
        ulong requestCurrentEpoch = request.CurrentEpoch, requestConfigEpoch = request.ConfigEpoch;
        bool forceAck = (request.MFlags0 & BusMessage.Flag0ForceAck) != 0;
        if (Myself.IsSlave || Myself.NumSlots == 0) return;
        if (requestCurrentEpoch < CurrentEpoch)
        {
            Log.Warning($"Failover auth denied to {node.Name}: reqEpoch ({requestCurrentEpoch}) < curEpoch({CurrentEpoch})");
            return;
        }
        if (LastVoteEpoch == CurrentEpoch)
        {
            Log.Warning($"Failover auth denied to {node.Name}: already voted for epoch {CurrentEpoch}");
            return;
        }
        if (node.IsMaster || master is null || (!master.Failed && !forceAck))
        {
            if (node.IsMaster) Log.Warning($"Failover auth denied to {node.Name}: it is a master node");
            else if (master is null) Log.Warning($"Failover auth denied to {node.Name}: I don't know its master");
            else Log.Warning($"Failover auth denied to {node.Name}: its master is up");
            return;
        }
        long sinceVote = NowMs - master.VotedTime;
        if (sinceVote < Config.ClusterNodeTimeout * 2)
        {
            Log.Warning($"Failover auth denied to {node.Name}: can't vote about this master before {Config.ClusterNodeTimeout * 2 - sinceVote} milliseconds");
            return;
        }
        var claimed = request.MySlots;
        for (int j = 0; j < Slots; j++)
        {
            if ((claimed[j >> 3] & (1 << (j & 7))) == 0) continue;
            if (SlotUnclaimed(j) || SlotOwners[j]!.ConfigEpoch <= requestConfigEpoch) continue;
            Log.Warning($"Failover auth denied to {node.Name}: slot {j} epoch ({SlotOwners[j]!.ConfigEpoch}) > reqEpoch ({requestConfigEpoch})");
            return;
        }
        LastVoteEpoch = CurrentEpoch;
        master.VotedTime = NowMs;
        Todo |= TodoFlags.SaveConfig | TodoFlags.FsyncConfig;
        Bus.SendFailoverAuth(node);
        Log.Warning($"Failover auth granted to {node.Name} for epoch {CurrentEpoch}");
    }

    /// <summary>clusterHandleSlaveMigration: a replica of a master with the most replicas moves to an orphaned master.</summary>
    void HandleSlaveMigration(int maxSlaves)
    {
        if (State != ClusterHealth.Ok) return;
        var mine = Myself.SlaveOf;
        if (mine is null) return;
        int ok = mine.Replicas.Count(r => !r.Failed && !r.TimedOut);
        if (ok <= Config.ClusterMigrationBarrier) return;
        ClusterNode candidate = Myself;
        ClusterNode? target = null;
        foreach (var node in Nodes.Values)
        {
            int okSlaves = 0;
            bool orphaned = !(node.IsSlave || node.Failed) && (node.Flags & NodeFlags.MigrateTo) != 0;
            if (node.IsMaster) okSlaves = CountNonFailingReplicas(node);
            if (okSlaves > 0) orphaned = false;
            if (orphaned)
            {
                if (target is null && node.NumSlots > 0) target = node;
                if (node.OrphanedTime == 0) node.OrphanedTime = NowMs;
            }
            else node.OrphanedTime = 0;
            if (okSlaves == maxSlaves)
                foreach (var r in node.Replicas)
                    if (string.CompareOrdinal(r.Name, candidate.Name) < 0) candidate = r;
        }
        if (target is not null && candidate == Myself && NowMs - target.OrphanedTime > ReplicaMigrationDelay)
        {
            Log.Warning($"Migrating to orphaned master {target.Name}");
            SetMaster(target);
        }
    }

    // ---- manual failover ----

    /// <summary>resetManualFailover: a master that paused its clients for it resumes them.</summary>
    public void ResetManualFailover()
    {
        if (ManualFailoverReplica is not null && _server.Pause != PauseMode.None) _server.UnpauseClients(PausePurpose.Failover);
        ManualFailoverEnd = 0;
        _manualFailoverCanStart = false;
        ManualFailoverReplica = null;
        _manualFailoverMasterOffset = -1;
    }

    void ManualFailoverCheckTimeout()
    {
        if (ManualFailoverEnd != 0 && ManualFailoverEnd < NowMs)
        {
            Log.Warning("Manual failover timed out.");
            ResetManualFailover();
        }
    }

    /// <summary>clusterHandleManualFailover: once this replica processed everything its paused master sent, the election may start.</summary>
    void HandleManualFailover()
    {
        if (ManualFailoverEnd == 0 || _manualFailoverCanStart || _manualFailoverMasterOffset == -1) return;
        if (_manualFailoverMasterOffset == ReplicaOffset)
        {
            _manualFailoverCanStart = true;
            Log.Warning("All master replication stream processed, manual failover can start.");
            Todo |= TodoFlags.HandleFailover;
            return;
        }
        Todo |= TodoFlags.HandleManualFailover;
    }

    /// <summary>CLUSTER FAILOVER [FORCE|TAKEOVER] on a replica.</summary>
    public void StartManualFailover(bool force, bool takeover)
    {
        ResetManualFailover();
        ManualFailoverEnd = NowMs + ManualFailoverTimeout;
        if (takeover)
        {
            // No election: a new epoch without consensus, the slots claimed, the news spread.
            Log.Warning("Taking over the master (user request).");
            BumpConfigEpochWithoutConsensus();
            FailoverReplaceYourMaster();
        }
        else if (force)
        {
            Log.Warning("Forced failover user request accepted.");
            _manualFailoverCanStart = true;
        }
        else
        {
            Log.Warning("Manual failover user request accepted.");
            Bus.SendMfStart(Myself.SlaveOf!);
        }
    }

    /// <summary>MFSTART from one of my replicas: pause writes and keep pinging it with the PAUSED flag and my offset.</summary>
    public void ManualFailoverRequestedBy(ClusterNode replica)
    {
        ResetManualFailover();
        ManualFailoverEnd = NowMs + ManualFailoverTimeout;
        ManualFailoverReplica = replica;
        _server.PauseClients(PausePurpose.Failover, NowMs + ManualFailoverTimeout * ManualFailoverPauseMultiplier, PauseMode.Write);
        Log.Warning($"Manual failover requested by replica {replica.Name}.");
    }

    /// <summary>A replica in a manual failover learns the offset its master paused at.</summary>
    public void MasterOffsetReceived(ClusterNode sender, bool paused)
    {
        if (ManualFailoverEnd != 0 && Myself.IsSlave && Myself.SlaveOf == sender && paused && _manualFailoverMasterOffset == -1)
        {
            _manualFailoverMasterOffset = sender.ReplOffset;
            Todo |= TodoFlags.HandleManualFailover;
            Log.Warning($"Received replication offset for paused master manual failover: {_manualFailoverMasterOffset}");
        }
    }
}
