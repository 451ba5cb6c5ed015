using System.Text;
using Vermilion.Protocol;
using Vermilion.Replication;
using Vermilion.Server;

namespace Vermilion.Commands;

/// <summary>The replication commands (replication.c): the primary's side of SYNC/PSYNC/REPLCONF, ROLE and WAIT.</summary>
public static partial class ReplicationCommands
{
    /// <summary>PSYNC replicationid offset: continue from offset, or a full resynchronization.</summary>
    [Command("psync")]
    static void Psync(Client c, CommandArgs a)
    {
        if ((c.Flags & ClientFlags.Replica) != 0 && c.Server.Primary.Replicas.Contains(c)) return;
        // PSYNC replid offset FAILOVER: our primary hands its role over (its FAILOVER command).
        if (a.Count > 3 && a.Is(3, "failover") && c.Server.Failover.Promote(c, a.GetString(1)) is { } error)
        {
            c.Reply.Error(error);
            return;
        }
        c.Server.Primary.Sync(c, psync: true, a[1], a[2]);
    }

    /// <summary>SYNC: the old protocol, always a full resynchronization with no +FULLRESYNC line.</summary>
    [Command("sync")]
    static void Sync(Client c, CommandArgs a) => c.Server.Primary.Sync(c, psync: false, default, default);

    /// <summary>
    /// replconfCommand: options a replica sets during the handshake (+OK), and ACK/GETACK on the stream,
    /// which are never answered.
    /// </summary>
    [Command("replconf")]
    static void Replconf(Client c, CommandArgs a)
    {
        if (a.Count % 2 == 0)
        {
            c.Reply.Error("syntax error");
            return;
        }
        var link = c.Replica ??= new ReplicaLink();
        for (int j = 1; j < a.Count; j += 2)
        {
            if (a.Is(j, "listening-port"))
            {
                if (!LongArgument.Parse(c, a[j + 1], out long port)) return;
                link.ListeningPort = (int)port;
            }
            else if (a.Is(j, "ip-address"))
            {
                if (a.Length(j + 1) >= 46) // NET_HOST_STR_LEN
                {
                    c.Reply.Error("REPLCONF ip-address provided by replica instance is too long: " + a.Length(j + 1) + " bytes");
                    return;
                }
                link.AnnouncedIp = a.GetString(j + 1);
            }
            else if (a.Is(j, "capa"))
            {
                // Capabilities this primary does not know are ignored, as Redis ignores them.
                if (a.Is(j + 1, "eof")) link.CapaEof = true;
                else if (a.Is(j + 1, "psync2")) link.CapaPsync2 = true;
            }
            else if (a.Is(j, "ack"))
            {
                // Only a replica acknowledges; the optional FACK (the AOF's fsynced offset) is not used by 7.0's WAIT.
                if (IntegerText.TryParse(a[j + 1], out long offset)) c.Server.Primary.Acknowledge(c, offset);
                return;
            }
            else if (a.Is(j, "getack"))
            {
                // Asked of a replica by its primary: the ACK with the offset applied before this command.
                if (c.Server.PrimaryLink.Client is not null) c.Server.PrimaryLink.SendAck();
                return;
            }
            else if (a.Is(j, "rdb-only") || a.Is(j, "rdb-filter-only"))
            {
                if (a.Is(j, "rdb-only") && (!IntegerText.TryParse(a[j + 1], out long only) || only is not (0 or 1)))
                {
                    c.Reply.Error("value is not an integer or out of range");
                    return;
                }
            }
            else
            {
                c.Reply.Error("Unrecognized REPLCONF option: " + a.GetCString(j));
                return;
            }
        }
        c.Reply.Ok();
    }

    /// <summary>
    /// ROLE: on a primary "master", its offset, and each online replica's address, port and acked offset;
    /// on a replica "slave", the primary's host and port, the link's state and the offset applied (-1 unlinked).
    /// </summary>
    [Command("role")]
    static void Role(Client c, CommandArgs a)
    {
        var primary = c.Server.Primary;
        var r = c.Reply;
        if (c.Server.PrimaryLink is { IsReplica: true } link)
        {
            r.ArrayHeader(5);
            r.Bulk("slave"u8);
            r.Bulk(link.Host!);
            r.Integer(link.Port);
            r.Bulk(link.RoleState);
            r.Integer(link.Client is not null ? link.AppliedOffset : -1);
            return;
        }
        r.ArrayHeader(3);
        r.Bulk("master"u8);
        r.Integer(primary.Offset);
        var online = primary.Replicas.Where(x => x.Replica!.State == ReplicaState.Online).ToList();
        r.ArrayHeader(online.Count);
        foreach (var replica in online)
        {
            string name = primary.ReplicaName(replica);
            r.ArrayHeader(3);
            r.Bulk(name[..name.LastIndexOf(':')]);
            r.Bulk(replica.Replica!.ListeningPort);
            r.Bulk(replica.Replica.AckOffset);
        }
    }

    /// <summary>REPLICAOF host port: follow that primary (a full or partial sync starts now); NO ONE: be a primary again.</summary>
    [Command("replicaof")]
    [Command("slaveof")]
    static void ReplicaOf(Client c, CommandArgs a)
    {
        // A cluster node's replication follows its master in the node table (CLUSTER REPLICATE).
        if (c.Server.Cluster is not null)
        {
            c.Reply.Error("REPLICAOF not allowed in cluster mode.");
            return;
        }
        var link = c.Server.PrimaryLink;
        if (c.Server.Failover.Active)
        {
            c.Reply.Error("REPLICAOF not allowed while failing over.");
            return;
        }
        if (a.Is(1, "no") && a.Is(2, "one"))
        {
            if (link.IsReplica)
            {
                link.Unfollow();
                c.Server.Config.ReplicaOf = "";
                c.Server.Log.Notice($"MASTER MODE enabled (user request from '{ClientInfo.Line(c)}')");
            }
            c.Reply.Ok();
            return;
        }
        // It would flush every replica of this server, this client with them.
        if ((c.Flags & ClientFlags.Replica) != 0 && c.Server.Primary.Replicas.Contains(c))
        {
            c.Reply.Error("Command is not valid when client is a replica.");
            return;
        }
        if (!IntegerText.TryParse(a[2], out long port) || port is < 0 or > 65535)
        {
            c.Reply.Error("Invalid master port");
            return;
        }
        string host = a.GetString(1);
        if (link.IsReplica && string.Equals(link.Host, host, StringComparison.OrdinalIgnoreCase) && link.Port == port)
        {
            c.Server.Log.Notice("REPLICAOF would result into synchronization with the master we are already connected with. No operation performed.");
            c.Reply.Simple("OK Already connected to specified master");
            return;
        }
        link.Follow(host, (int)port);
        c.Server.Config.ReplicaOf = $"{host} {port}";
        c.Server.Log.Notice($"REPLICAOF {host}:{port} enabled (user request from '{ClientInfo.Line(c)}')");
        c.Reply.Ok();
    }

    /// <summary>
    /// failoverCommand: FAILOVER [TO host port [FORCE]] [TIMEOUT ms] starts a coordinated failover to a
    /// replica (Replication/Failover); FAILOVER ABORT alone stops one.
    /// </summary>
    [Command("failover")]
    static void Failover(Client c, CommandArgs a)
    {
        var failover = c.Server.Failover;
        if (a.Count == 2 && a.Is(1, "abort"))
        {
            if (!failover.Active)
            {
                c.Reply.Error("No failover in progress.");
                return;
            }
            failover.Abort("Failover manually aborted");
            c.Reply.Ok();
            return;
        }
        long timeout = 0, port = 0;
        bool force = false;
        string? host = null;
        // Each option once (a repeated one is a syntax error); TIMEOUT and TO need their values present.
        for (int j = 1; j < a.Count; j++)
        {
            if (a.Is(j, "timeout") && j + 1 < a.Count && timeout == 0)
            {
                if (!LongArgument.Parse(c, a[j + 1], out timeout)) return;
                if (timeout <= 0)
                {
                    c.Reply.Error("FAILOVER timeout must be greater than 0");
                    return;
                }
                j++;
            }
            else if (a.Is(j, "to") && j + 2 < a.Count && host is null)
            {
                if (!LongArgument.Parse(c, a[j + 2], out port)) return;
                host = a.GetString(j + 1);
                j += 2;
            }
            else if (a.Is(j, "force") && !force) force = true;
            else
            {
                c.Reply.Error("syntax error");
                return;
            }
        }
        if (failover.Start(host, port, timeout, force) is { } error) c.Reply.Error(error);
        else c.Reply.Ok();
    }

    /// <summary>WAIT numreplicas timeout: how many replicas acknowledged this client's last write, waiting for as many as asked.</summary>
    [Command("wait")]
    static void Wait(Client c, CommandArgs a)
    {
        if (!LongArgument.Parse(c, a[1], out long replicas) || !LongArgument.ParseTimeoutMs(c, a[2], out long timeout)) return;
        c.Server.WaitForReplicas(c, replicas, timeout);
    }
}
