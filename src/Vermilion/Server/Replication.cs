using System.Diagnostics;
using Vermilion.Net;
using Vermilion.Replication;
using Vermilion.Storage;

namespace Vermilion.Server;

/// <summary>
/// The server's hooks into replication (Replication/ holds the mechanism): the primary's state, its
/// once-a-second cron, the acks asked for before sleeping, and WAIT (blocked.c's BLOCKED_WAIT) over
/// the replicas' acknowledged offsets.
/// </summary>
public sealed partial class VermilionServer
{
    /// <summary>This server as a primary: replicas, backlog, offsets (a replica keeps its primary's, passed on).</summary>
    public ReplicationPrimary Primary { get; private set; } = null!;
    /// <summary>This server as a replica: the link to its primary (Host null on a primary).</summary>
    public PrimaryLink PrimaryLink { get; private set; } = null!;
    /// <summary>FAILOVER's state on this primary.</summary>
    public Failover Failover { get; private set; } = null!;

    /// <summary>
    /// iAmMaster: a cluster node by its role in the cluster (nodes.conf's, before clusterCron starts its link),
    /// else no primary named (replicaof is set from the config file on, before the link starts after the load).
    /// What a load keeps, which history a restored RDB continues, and whether the cron expires keys ask this.
    /// </summary>
    public bool IAmPrimary => Cluster is { } cluster ? cluster.Myself.IsMaster : !PrimaryLink.IsReplica && Config.ReplicaOf.Length == 0;

    /// <summary>
    /// createClient for the synchronized link (replicationCreateMasterClient): the master client, flagged
    /// Master, authenticated with every permission, whose replies are muted but for REPLCONF ACK.
    /// </summary>
    internal Client AttachPrimaryClient(int fd)
    {
        var conn = new Connection(fd, ConnectionType.Tcp);
        // Connected before it has a handler: an outgoing link is not an accepted client (no protected mode, no accept stats).
        conn.Accept();
        var c = new Client(this, conn, _nextClientId++)
        {
            Flags = ClientFlags.Master | ClientFlags.DenyBlocking,
            User = null,
        };
        c.Authenticated = true;
        c.Reply.Muted = true;
        conn.SetReadHandler(Loop, true);
        Link(c);
        return c;
    }

    // ---- a writable replica's own keys with a deadline (expire.c's slaveKeysWithExpire) ----------

    /// <summary>
    /// The keys this replica's own clients gave a deadline (replica-read-only no), with a bit per database
    /// (0..63) where one may be: the primary knows nothing of them, so no DEL will ever come; the cron
    /// expires them (expireSlaveKeys). A list beside the index, so a key can be picked at random as Redis does.
    /// </summary>
    readonly List<(byte[] Key, ulong Dbs)> _replicaKeysWithExpire = new();
    readonly Dictionary<byte[], int> _replicaKeyIndex = new(ByteKeyComparer.Instance);

    /// <summary>getSlaveKeyWithExpireCount: INFO's slave_expires_tracked_keys.</summary>
    public int ReplicaKeysWithExpire => _replicaKeysWithExpire.Count;

    /// <summary>setExpire's rememberSlaveKeyWithExpire: a deadline set by a client of a writable replica, not by its primary nor a load.</summary>
    void RememberReplicaKeyWithExpire(Db db, ReadOnlySpan<byte> key)
    {
        if (!PrimaryLink.IsReplica || Config.ReplicaReadOnly || Loading || db.Id > 63) return;
        if (CurrentClient is not { } c || (c.Flags & ClientFlags.Master) != 0) return;
        var lookup = _replicaKeyIndex.GetAlternateLookup<ReadOnlySpan<byte>>();
        if (!lookup.TryGetValue(key, out int i))
        {
            i = _replicaKeysWithExpire.Count;
            var copy = key.ToArray();
            _replicaKeysWithExpire.Add((copy, 0));
            _replicaKeyIndex[copy] = i;
        }
        var entry = _replicaKeysWithExpire[i];
        _replicaKeysWithExpire[i] = (entry.Key, entry.Dbs | 1UL << db.Id);
    }

    /// <summary>
    /// expireSlaveKeys: keys picked at random, each looked up in the databases its bits name; expired ones
    /// deleted, the ones with no deadline left forgotten. Stops after more than 3 not yet due, when the set
    /// is empty, or after about a millisecond.
    /// </summary>
    void ExpireReplicaKeys()
    {
        if (_replicaKeysWithExpire.Count == 0) return;
        long start = Stopwatch.GetTimestamp();
        int cycles = 0, notDue = 0;
        while (true)
        {
            int i = Random.Shared.Next(_replicaKeysWithExpire.Count);
            var (key, dbs) = _replicaKeysWithExpire[i];
            ulong still = 0;
            for (int id = 0; dbs != 0 && id < Databases.Length; id++, dbs >>= 1)
            {
                if ((dbs & 1) == 0) continue;
                if (Databases[id].TryExpire(key) == false)
                {
                    notDue++;
                    still |= 1UL << id;
                }
            }
            if (still != 0) _replicaKeysWithExpire[i] = (key, still);
            else ForgetReplicaKey(i);
            cycles++;
            if (notDue > 3) break;
            if (cycles % 64 == 0 && Stopwatch.GetElapsedTime(start).TotalMilliseconds > 1) break;
            if (_replicaKeysWithExpire.Count == 0) break;
        }
        // The DELs go to the AOF (a replica's replicas get only its primary's stream).
        PropagatePendingEffects();
    }

    /// <summary>Removes entry <paramref name="i"/>, the last entry taking its place.</summary>
    void ForgetReplicaKey(int i)
    {
        _replicaKeyIndex.Remove(_replicaKeysWithExpire[i].Key);
        int last = _replicaKeysWithExpire.Count - 1;
        if (i != last)
        {
            _replicaKeysWithExpire[i] = _replicaKeysWithExpire[last];
            _replicaKeyIndex[_replicaKeysWithExpire[i].Key] = i;
        }
        _replicaKeysWithExpire.RemoveAt(last);
    }

    /// <summary>flushSlaveKeysWithExpireList: after FLUSHALL or a new dataset, keys of those names are the primary's again.</summary>
    internal void ForgetReplicaKeysWithExpire()
    {
        _replicaKeysWithExpire.Clear();
        _replicaKeyIndex.Clear();
    }

    /// <summary>Clients blocked in WAIT: the timer that ends the wait (0: none), the offset and count they wait for.</summary>
    readonly Dictionary<Client, (long Timer, long Offset, int Replicas)> _waitingForReplicas = new();

    /// <summary>
    /// waitCommand: answers at once when enough replicas acknowledged the client's last write (or it may
    /// not block), else blocks until they do, the timeout passes (0: forever) or CLIENT UNBLOCK; each
    /// iteration meanwhile asks replicas for their offset.
    /// </summary>
    internal void WaitForReplicas(Client c, long replicas, long timeoutMs)
    {
        if (PrimaryLink.IsReplica)
        {
            c.Reply.Error("WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is configured to be writable (which is not the default) writes to replicas are just local and are not propagated.");
            return;
        }
        int acked = Primary.CountAcks(c.WriteOffset);
        if (acked >= replicas || (c.Flags & ClientFlags.DenyBlocking) != 0)
        {
            c.Reply.Integer(acked);
            return;
        }
        c.Flags |= ClientFlags.Blocked;
        long timer = timeoutMs > 0 ? Loop.CreateTimeEvent(timeoutMs, (_, _) =>
        {
            if (_waitingForReplicas.TryGetValue(c, out var wait)) _waitingForReplicas[c] = (0, wait.Offset, wait.Replicas); // this timer is done
            EndWaitForReplicas(c, unblockedByError: false);
            return EventLoop.NoMore;
        }) : 0;
        _waitingForReplicas[c] = (timer, c.WriteOffset, (int)Math.Min(replicas, int.MaxValue));
        Primary.RequestAcks();
    }

    /// <summary>Ends a WAIT: the count of replicas that acknowledged, or CLIENT UNBLOCK ERROR's error. False if the client was not waiting.</summary>
    internal bool EndWaitForReplicas(Client c, bool unblockedByError, string error = "-UNBLOCKED client unblocked via CLIENT UNBLOCK")
    {
        if (!_waitingForReplicas.Remove(c, out var wait)) return false;
        if (wait.Timer != 0) Loop.DeleteTimeEvent(wait.Timer);
        c.Flags &= ~ClientFlags.Blocked;
        if (c.IsFreed) return true;
        if (unblockedByError) c.Reply.Error(error);
        else c.Reply.Integer(Primary.CountAcks(wait.Offset));
        c.AfterCommands();
        c.ProcessPendingInput();
        return true;
    }

    /// <summary>processClientsWaitingReplicas: an ack arrived; the WAITs it satisfies answer.</summary>
    internal void WakeClientsWaitingForReplicas()
    {
        if (_waitingForReplicas.Count == 0) return;
        foreach (var (c, wait) in _waitingForReplicas.ToArray())
            if (Primary.CountAcks(wait.Offset) >= wait.Replicas) EndWaitForReplicas(c, unblockedByError: false);
    }

    /// <summary>A WAIT blocked forever counts among blocked clients; one with a timer among those with a timeout.</summary>
    int WaitsWithTimeout()
    {
        int n = 0;
        foreach (var wait in _waitingForReplicas.Values) if (wait.Timer != 0) n++;
        return n;
    }

    void ForgetWaitForReplicas(Client c)
    {
        if (_waitingForReplicas.Remove(c, out var wait) && wait.Timer != 0) Loop.DeleteTimeEvent(wait.Timer);
    }
}
