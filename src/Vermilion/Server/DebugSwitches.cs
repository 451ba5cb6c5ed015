namespace Vermilion.Server;

/// <summary>What DEBUG changes at run time (debug.c's server.* switches). Each is read where it acts.</summary>
public sealed partial class VermilionServer
{
    /// <summary>DEBUG SET-ACTIVE-EXPIRE: server.active_expire_enabled; serverCron skips the active expire cycle when off.</summary>
    public bool ActiveExpireEnabled = true;

    /// <summary>DEBUG PAUSE-CRON: server.pause_cron; serverCron does nothing but reschedule itself.</summary>
    public bool CronPaused;

    /// <summary>
    /// DEBUG QUICKLIST-PACKED-THRESHOLD (1 GB by default, as quicklist.c's packed_threshold). Our
    /// quicklist has no plain nodes: an element larger than a node's size limit already gets a
    /// node of its own, so the value is kept and reported, not acted on.
    /// </summary>
    public long QuicklistPackedThreshold = 1L << 30;

    /// <summary>master_replid in INFO replication; DEBUG CHANGE-REPL-ID draws a new one (changeReplicationId).</summary>
    public string ReplicationId { get; internal set; } = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(20));
}
