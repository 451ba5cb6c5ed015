using System.Diagnostics;
using System.Globalization;
using System.Runtime;
using System.Runtime.InteropServices;
using System.Text;
using Vermilion.Commands;
using Vermilion.Replication;

namespace Vermilion.Server;

/// <summary>
/// INFO's text: Redis 7.0's sections, field names and formats ("# Server\r\nredis_version:7.0.15\r\n…").
/// Fields for features Vermilion does not have yet (the AOF, replication) show the values a
/// Redis server without them shows. Memory figures are the managed heap and the process RSS.
/// </summary>
public static class Info
{
    static readonly string[] s_defaultSections = ["server", "clients", "memory", "persistence", "stats", "replication", "cpu", "modules", "errorstats", "cluster", "keyspace"];
    /// <summary>Every section in the order Redis prints them (commandstats sits after modules).</summary>
    static readonly string[] s_everything = ["server", "clients", "memory", "persistence", "stats", "replication", "cpu", "modules", "commandstats", "errorstats", "latencystats", "cluster", "keyspace"];

    /// <summary>Which sections an INFO request names: default, all, everything, or a list.</summary>
    public static string[] Sections(IReadOnlyList<string> requested)
    {
        if (requested.Count == 0) return s_defaultSections;
        var result = new List<string>();
        foreach (var r in requested.Select(r => r.ToLowerInvariant()))
        {
            string[] add = r switch
            {
                "default" => s_defaultSections,
                // "all" leaves out only what modules add; the "# Modules" list itself is printed.
                "all" => s_everything,
                "everything" => s_everything,
                _ => [r],
            };
            foreach (var s in add) if (!result.Contains(s)) result.Add(s);
        }
        // Sections print in Redis's order, whatever order they were asked in.
        return [.. s_everything.Where(result.Contains)];
    }

    public static string Build(VermilionServer s, IReadOnlyList<string> requested)
    {
        var sb = new StringBuilder(4096);
        foreach (var section in Sections(requested))
        {
            if (sb.Length > 0) sb.Append("\r\n");
            switch (section)
            {
                case "server": Server(s, sb); break;
                case "clients": Clients(s, sb); break;
                case "memory": Memory(s, sb); break;
                case "persistence": Persistence(s, sb); break;
                case "stats": Stats(s, sb); break;
                case "replication": Replication(s, sb); break;
                case "cpu": Cpu(sb); break;
                case "modules": sb.Append("# Modules\r\n"); break;
                case "errorstats": ErrorStats(s, sb); break;
                case "cluster": sb.Append("# Cluster\r\ncluster_enabled:").Append(s.Cluster is not null ? 1 : 0).Append("\r\n"); break;
                case "keyspace": Keyspace(s, sb); break;
                case "commandstats": CommandStats(s, sb); break;
                case "latencystats": LatencyStats(s, sb); break;
            }
        }
        return sb.ToString();
    }

    static StringBuilder Field(this StringBuilder sb, string name, object value) =>
        sb.Append(name).Append(':').Append(Convert.ToString(value, CultureInfo.InvariantCulture)).Append("\r\n");

    /// <summary>A memory figure in bytes, then the same as bytesToHuman writes it under name_human (used_memory, used_memory_human).</summary>
    static StringBuilder BytesField(this StringBuilder sb, string name, long bytes) =>
        sb.Field(name, bytes).Append(name).Append("_human:").Append(Human(bytes)).Append("\r\n");

    /// <summary>Redis's "%.2f" (ratios, percentages, kbps).</summary>
    internal static string TwoDecimals(double value) => value.ToString("0.00", CultureInfo.InvariantCulture);

    static void Server(VermilionServer s, StringBuilder sb)
    {
        long uptime = (s.UnixTimeMs - s.StartedAtMs) / 1000;
        sb.Append("# Server\r\n")
          .Field("redis_version", VermilionServer.RedisVersion)
          .Field("vermilion_version", VermilionServer.VermilionVersion)
          .Field("redis_git_sha1", "00000000")
          .Field("redis_git_dirty", 0)
          .Field("redis_build_id", "0")
          .Field("redis_mode", s.Cluster is not null ? "cluster" : "standalone")
          .Field("os", $"{RuntimeInformation.OSDescription} {RuntimeInformation.OSArchitecture.ToString().ToLowerInvariant().Replace("x64", "x86_64")}")
          .Field("arch_bits", IntPtr.Size * 8)
          .Field("monotonic_clock", "POSIX clock_gettime")
          .Field("multiplexing_api", s.Loop.Name)
          .Field("atomicvar_api", "c11-builtin")
          .Field("gcc_version", "0.0.0")
          .Field("process_id", Environment.ProcessId)
          .Field("process_supervised", "no")
          .Field("run_id", s.RunId)
          .Field("tcp_port", s.Config.Port != 0 ? s.Config.Port : s.Config.TlsPort)
          .Field("server_time_usec", s.UnixTimeMs * 1000)
          .Field("uptime_in_seconds", uptime)
          .Field("uptime_in_days", uptime / 86400)
          .Field("hz", s.EffectiveHz)
          .Field("configured_hz", s.Config.Hz)
          .Field("lru_clock", s.UnixTime & ((1 << 24) - 1))
          .Field("executable", Environment.ProcessPath ?? "")
          .Field("config_file", s.Config.ConfigFile ?? "")
          .Field("io_threads_active", 0);
    }

    static void Clients(VermilionServer s, StringBuilder sb)
    {
        long maxIn = 0, maxOut = 0;
        foreach (var c in s.Clients)
        {
            maxIn = Math.Max(maxIn, c.QueryBufferLength + c.QueryBufferFree);
            maxOut = Math.Max(maxOut, c.Reply.ListBytes);
        }
        sb.Append("# Clients\r\n")
          .Field("connected_clients", s.ClientCount)
          .Field("cluster_connections", s.Cluster is { } cluster ? (cluster.Nodes.Count - 1) * 2 : 0)
          .Field("maxclients", s.Config.MaxClients)
          .Field("client_recent_max_input_buffer", maxIn)
          .Field("client_recent_max_output_buffer", maxOut)
          .Field("blocked_clients", s.BlockedClients)
          .Field("tracking_clients", s.TrackingClients)
          .Field("clients_in_timeout_table", s.ClientsInTimeoutTable);
    }

    public static long ResidentSetBytes()
    {
        try
        {
            var statm = File.ReadAllText("/proc/self/statm").Split(' ');
            return long.Parse(statm[1], CultureInfo.InvariantCulture) * Environment.SystemPageSize;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return Environment.WorkingSet;
        }
    }

    /// <summary>bytesToHuman: B, K, M, G… with two decimals, as Redis.</summary>
    public static string Human(long n)
    {
        double d = n;
        if (n < 1024) return $"{n}B";
        string[] units = ["K", "M", "G", "T", "P"];
        int i = -1;
        while (d >= 1024 && i < units.Length - 1) { d /= 1024; i++; }
        return TwoDecimals(d) + units[i];
    }

    /// <summary>
    /// used_memory is the dataset (<see cref="VermilionServer.UsedMemory"/>, exact) plus what the clients hold
    /// (<see cref="ClientInfo.MemoryBytes"/>); the runtime's own heap is not in it, RSS shows it.
    /// </summary>
    static void Memory(VermilionServer s, StringBuilder sb)
    {
        long dataset = s.UsedMemory();
        // The replicas' output is counted once, in the replication buffers (getMemoryOverheadData): what exceeds
        // repl-backlog-size is the replicas' share (mem_clients_slaves), the rest the backlog's.
        long replicaClients = 0;
        foreach (var replica in s.Primary.Replicas) replicaClients += ClientInfo.MemoryBytes(replica);
        long clients = s.ClientsMemory() - replicaClients;
        long replicationBuffers = s.Primary.ReplicationBufferBytes;
        long replicasShare = s.Primary.ReplicasShareBytes(replicationBuffers);
        long used = dataset + clients + replicationBuffers;
        long rss = ResidentSetBytes();
        s.Stats.UsedMemoryPeak = Math.Max(s.Stats.UsedMemoryPeak, used);
        long peak = s.Stats.UsedMemoryPeak;
        var gc = GC.GetGCMemoryInfo();
        long system = gc.TotalAvailableMemoryBytes;
        long max = s.Config.MaxMemory;
        sb.Append("# Memory\r\n")
          .BytesField("used_memory", used)
          .BytesField("used_memory_rss", rss)
          .BytesField("used_memory_peak", peak)
          .Field("used_memory_peak_perc", Percent(used, peak))
          .Field("used_memory_overhead", clients + replicationBuffers)
          .Field("used_memory_dataset", dataset)
          .Field("used_memory_dataset_perc", Percent(dataset, used))
          .BytesField("total_system_memory", system)
          .Field("used_memory_lua", s.LuaMemory)
          .Field("used_memory_vm_eval", s.LuaMemory)
          .Field("used_memory_lua_human", Human(s.LuaMemory))
          .Field("used_memory_scripts_eval", s.ScriptsBodyBytes)
          .Field("number_of_cached_scripts", s.CachedScripts)
          .Field("number_of_functions", s.FunctionCount)
          .Field("number_of_libraries", s.LibraryCount)
          .Field("used_memory_vm_functions", s.FunctionsLuaMemory)
          .BytesField("used_memory_vm_total", s.LuaMemory + s.FunctionsLuaMemory)
          .Field("used_memory_functions", s.FunctionsOverhead)
          .BytesField("used_memory_scripts", s.ScriptsBodyBytes + s.FunctionsOverhead)
          .BytesField("maxmemory", max)
          .Field("maxmemory_policy", s.Config.MaxMemoryPolicyName)
          .Field("mem_fragmentation_ratio", TwoDecimals(used == 0 ? 0 : (double)rss / used))
          .Field("mem_fragmentation_bytes", rss - used)
          .Field("mem_not_counted_for_evict", clients + replicasShare)
          .Field("mem_replication_backlog", replicationBuffers - replicasShare)
          .Field("mem_total_replication_buffers", replicationBuffers)
          .Field("mem_clients_slaves", replicasShare)
          .Field("mem_clients_normal", clients)
          .Field("mem_cluster_links", 0)
          .Field("mem_aof_buffer", 0)
          .Field("mem_allocator", ".NET GC + record pages")
          .Field("lazyfree_pending_objects", s.LazyFree.Pending)
          .Field("lazyfreed_objects", Interlocked.Read(ref s.Stats.LazyfreedObjects));
        Runtime(s, gc, sb);
    }

    /// <summary>How the collector runs, from its configuration: does not change while the process lives.</summary>
    static readonly string s_gcMode = (GCSettings.IsServerGC ? "server" : "workstation")
        + (GC.GetConfigurationVariables().TryGetValue("ConcurrentGC", out var concurrent) && concurrent is true ? "-concurrent" : "");

    /// <summary>
    /// Vermilion's own fields after Redis's: the .NET runtime that used_memory_rss holds and whose
    /// collections pause the loop. Heap size and committed bytes are as of the last collection (0
    /// before the first); the collection counts are the process's; the pauses are since the server
    /// started (<see cref="GcPauses"/>), the longest since then or CONFIG RESETSTAT.
    /// </summary>
    static void Runtime(VermilionServer s, GCMemoryInfo gc, StringBuilder sb)
    {
        sb.Field("gc_mode", s_gcMode)
          .Field("gc_heap_size", gc.HeapSizeBytes)
          .Field("gc_committed", gc.TotalCommittedBytes)
          .Field("gc_collections_gen0", GC.CollectionCount(0))
          .Field("gc_collections_gen1", GC.CollectionCount(1))
          .Field("gc_collections_gen2", GC.CollectionCount(2))
          .Field("gc_pause_count", s.GcPauses.Count)
          .Field("gc_pause_total_usec", s.GcPauses.TotalMicroseconds)
          .Field("gc_pause_max_usec", s.Stats.GcPauseMaxUsec)
          .Field("gc_pause_last_usec", s.GcPauses.LastMicroseconds);
    }

    static string Percent(long part, long whole) =>
        TwoDecimals(whole == 0 ? 0 : 100.0 * part / whole) + "%";

    /// <summary>
    /// Redis 7.0's persistence section, every field in its order: the RDB's are live
    /// (Server/Saving.cs, BackgroundSave.cs); with no fork, current_cow_size is what the fork-less
    /// save holds beyond the dataset (chunks not yet written, flushed keyspaces it still reads)
    /// and current_fork_perc its progress; while a file loads, loading is 1 and the loading_*
    /// fields follow the AOF's.
    /// </summary>
    static void Persistence(VermilionServer s, StringBuilder sb)
    {
        sb.Append("# Persistence\r\n")
          .Field("loading", s.Loading ? 1 : 0)
          .Field("async_loading", s.AsyncLoading ? 1 : 0)
          .Field("current_cow_peak", 0)
          .Field("current_cow_size", s.SnapshotExtraBytes)
          .Field("current_cow_size_age", 0)
          .Field("current_fork_perc", (s.SaveKeysTotal == 0 ? 0.0 : 100.0 * s.SaveKeysProcessed / s.SaveKeysTotal).ToString("F2", CultureInfo.InvariantCulture))
          .Field("current_save_keys_processed", s.SaveKeysProcessed)
          .Field("current_save_keys_total", s.SaveKeysTotal)
          .Field("rdb_changes_since_last_save", s.Dirty)
          .Field("rdb_bgsave_in_progress", s.BackgroundSaveInProgress ? 1 : 0)
          .Field("rdb_last_save_time", s.LastSave)
          .Field("rdb_last_bgsave_status", s.LastBgsaveOk ? "ok" : "err")
          .Field("rdb_last_bgsave_time_sec", s.RdbLastSaveSeconds)
          .Field("rdb_current_bgsave_time_sec", s.CurrentBgsaveSeconds)
          .Field("rdb_saves", s.RdbSaves)
          .Field("rdb_last_cow_size", 0)
          .Field("rdb_last_load_keys_expired", s.RdbLastLoadKeysExpired)
          .Field("rdb_last_load_keys_loaded", s.RdbLastLoadKeysLoaded);
        AppendOnlyFields(s, sb);
        if (s.Loading) LoadingFields(s, sb);
    }

    /// <summary>
    /// genRedisInfoString's loading block: the share of the files read (of the RDB's used-mem
    /// AUX when the size is unknown, held under 100%), and the time left at the pace so far
    /// (1 in the first second, for want of a better figure).
    /// </summary>
    static void LoadingFields(VermilionServer s, StringBuilder sb)
    {
        double perc = 0;
        long remaining = 1, loaded = s.LoadingLoadedBytes;
        if (s.LoadingTotalBytes != 0)
        {
            perc = (double)loaded / s.LoadingTotalBytes * 100;
            remaining = s.LoadingTotalBytes - loaded;
        }
        else if (s.LoadingRdbUsedMem != 0)
        {
            perc = Math.Min(99.99, (double)loaded / s.LoadingRdbUsedMem * 100);
            remaining = Math.Max(1, s.LoadingRdbUsedMem - loaded);
        }
        long elapsed = DateTimeOffset.UtcNow.ToUnixTimeSeconds() - s.LoadingStartTime;
        long eta = elapsed == 0 ? 1 : elapsed * remaining / (loaded + 1);
        sb.Field("loading_start_time", s.LoadingStartTime)
          .Field("loading_total_bytes", s.LoadingTotalBytes)
          .Field("loading_rdb_used_mem", s.LoadingRdbUsedMem)
          .Field("loading_loaded_bytes", loaded)
          .Field("loading_loaded_perc", TwoDecimals(perc))
          .Field("loading_eta_seconds", eta);
    }

    /// <summary>
    /// The AOF's lines of INFO persistence, in Redis's order (genRedisInfoString): the aof_*
    /// block every server shows, then, while appendonly is yes, the sizes and buffers.
    /// </summary>
    static void AppendOnlyFields(VermilionServer s, StringBuilder sb)
    {
        var aof = s.Aof;
        sb.Field("aof_enabled", aof.State != AofState.Off ? 1 : 0)
          .Field("aof_rewrite_in_progress", aof.RewriteInProgress ? 1 : 0)
          .Field("aof_rewrite_scheduled", aof.RewriteScheduled ? 1 : 0)
          .Field("aof_last_rewrite_time_sec", aof.RewriteTimeLast)
          .Field("aof_current_rewrite_time_sec", aof.CurrentRewriteTime)
          .Field("aof_last_bgrewrite_status", aof.LastBgRewriteOk ? "ok" : "err")
          .Field("aof_rewrites", aof.Rewrites)
          .Field("aof_rewrites_consecutive_failures", aof.RewritesConsecutiveFailures)
          .Field("aof_last_write_status", aof.LastWriteOk ? "ok" : "err")
          .Field("aof_last_cow_size", 0)
          .Field("module_fork_in_progress", 0)
          .Field("module_fork_last_cow_size", 0);
        if (!s.Config.AppendOnly) return;
        sb.Field("aof_current_size", aof.CurrentSize)
          .Field("aof_base_size", aof.RewriteBaseSize)
          .Field("aof_pending_rewrite", aof.RewriteScheduled ? 1 : 0)
          .Field("aof_buffer_length", aof.BufferLength)
          .Field("aof_pending_bio_fsync", aof.PendingBioFsync)
          .Field("aof_delayed_fsync", aof.DelayedFsync);
    }

    static void Stats(VermilionServer s, StringBuilder sb)
    {
        var st = s.Stats;
        sb.Append("# Stats\r\n")
          .Field("total_connections_received", st.ConnectionsReceived)
          .Field("total_commands_processed", st.CommandsProcessed)
          .Field("instantaneous_ops_per_sec", st.InstantaneousOps)
          .Field("total_net_input_bytes", st.NetInputBytes)
          .Field("total_net_output_bytes", st.NetOutputBytes)
          .Field("total_net_repl_input_bytes", 0)
          .Field("total_net_repl_output_bytes", 0)
          .Field("instantaneous_input_kbps", TwoDecimals(st.InstantaneousInputKbps))
          .Field("instantaneous_output_kbps", TwoDecimals(st.InstantaneousOutputKbps))
          .Field("instantaneous_input_repl_kbps", "0.00")
          .Field("instantaneous_output_repl_kbps", "0.00")
          .Field("rejected_connections", st.RejectedConnections)
          .Field("sync_full", s.Primary.FullSyncs)
          .Field("sync_partial_ok", s.Primary.PartialSyncsAccepted)
          .Field("sync_partial_err", s.Primary.PartialSyncsRefused)
          .Field("expired_keys", st.ExpiredKeys)
          .Field("expired_stale_perc", TwoDecimals(st.ExpiredStalePercent * 100))
          .Field("expired_time_cap_reached_count", st.ExpiredTimeCapReached)
          .Field("evicted_keys", st.EvictedKeys)
          .Field("evicted_clients", 0)
          .Field("keyspace_hits", st.KeyspaceHits)
          .Field("keyspace_misses", st.KeyspaceMisses)
          .Field("pubsub_channels", s.PubSubChannels)
          .Field("pubsub_patterns", s.PubSubPatterns)
          .Field("pubsubshard_channels", s.PubSubShardChannels)
          .Field("total_forks", 0)
          .Field("migrate_cached_sockets", s.MigrateCachedSockets)
          .Field("slave_expires_tracked_keys", s.ReplicaKeysWithExpire)
          .Field("tracking_total_keys", s.TrackingTotalKeys)
          .Field("tracking_total_items", s.TrackingTotalItems)
          .Field("tracking_total_prefixes", s.TrackingTotalPrefixes)
          .Field("unexpected_error_replies", st.UnexpectedErrorReplies)
          .Field("total_error_replies", st.ErrorReplies)
          // sanitize-dump-payload is a stored knob (payloads are always validated as they are read): no deep sanitization runs.
          .Field("dump_payload_sanitizations", 0)
          .Field("total_reads_processed", st.ReadsProcessed)
          .Field("total_writes_processed", st.WritesProcessed)
          .Field("io_threaded_reads_processed", 0)
          .Field("io_threaded_writes_processed", 0)
          .Field("reply_buffer_shrinks", st.ReplyBufferShrinks)
          .Field("reply_buffer_expands", st.ReplyBufferExpands)
          // Redis 7.2's counter (7.0 has none): clients closed for their output buffer limit.
          .Field("client_output_buffer_limit_disconnections", st.OutputBufferLimitDisconnections)
          // Vermilion's own (Redis 7.2 sums its iterations, eventloop_duration_sum): the longest one since start or CONFIG RESETSTAT.
          .Field("eventloop_duration_max_usec", s.Microseconds(st.EventLoopDurationMax));
    }

    static void Replication(VermilionServer s, StringBuilder sb)
    {
        var primary = s.Primary;
        var link = s.PrimaryLink;
        sb.Append("# Replication\r\n").Field("role", link.IsReplica ? "slave" : "master");
        if (link.IsReplica)
        {
            long applied = link.Client is not null ? link.AppliedOffset : primary.Offset;
            sb.Field("master_host", link.Host!)
              .Field("master_port", link.Port)
              .Field("master_link_status", link.State == LinkState.Connected ? "up" : "down")
              .Field("master_last_io_seconds_ago", link.Client is not null ? (s.UnixTimeMs - link.LastIoMs) / 1000 : -1)
              .Field("master_sync_in_progress", link.SyncInProgress ? 1 : 0)
              .Field("slave_read_repl_offset", applied)
              .Field("slave_repl_offset", applied);
            if (link.SyncInProgress)
            {
                long size = link.TransferSize, read = link.TransferRead;
                sb.Field("master_sync_total_bytes", size)
                  .Field("master_sync_read_bytes", read)
                  .Field("master_sync_left_bytes", size - read)
                  .Field("master_sync_perc", (size > 0 ? read * 100.0 / size : 0).ToString("0.00", CultureInfo.InvariantCulture))
                  .Field("master_sync_last_io_seconds_ago", (s.UnixTimeMs - link.LastIoMs) / 1000);
            }
            if (link.State != LinkState.Connected) sb.Field("master_link_down_since_seconds", link.DownSince != 0 ? s.UnixTime - link.DownSince : -1);
            sb.Field("slave_priority", s.Config.ReplicaPriority)
              .Field("slave_read_only", s.Config.ReplicaReadOnly ? 1 : 0)
              .Field("replica_announced", s.Config.ReplicaAnnounced ? 1 : 0);
        }
        sb.Field("connected_slaves", primary.Replicas.Count);
        if (s.Config.MinReplicasToWrite > 0 && s.Config.MinReplicasMaxLag > 0) sb.Field("min_slaves_good_slaves", primary.GoodReplicas);
        // slaveN: the replica's announced address and listening port, its state, acked offset and seconds since its ack.
        for (int i = 0; i < primary.Replicas.Count; i++)
        {
            var c = primary.Replicas[i];
            var replica = c.Replica!;
            string name = primary.ReplicaName(c);
            int colon = name.LastIndexOf(':');
            sb.Append("slave").Append(i).Append(":ip=").Append(name[..colon]).Append(",port=").Append(replica.ListeningPort)
              .Append(",state=").Append(ReplicationPrimary.StateName(replica.State)).Append(",offset=").Append(replica.AckOffset)
              .Append(",lag=").Append((s.UnixTimeMs - replica.AckTimeMs) / 1000).Append("\r\n");
        }
        var backlog = primary.Backlog;
        sb.Field("master_failover_state", s.Failover.StateName)
          .Field("master_replid", s.ReplicationId)
          .Field("master_replid2", primary.ReplId2)
          .Field("master_repl_offset", primary.Offset)
          .Field("second_repl_offset", primary.SecondReplOffset)
          .Field("repl_backlog_active", backlog is null ? 0 : 1)
          .Field("repl_backlog_size", s.Config.ReplBacklogSize)
          .Field("repl_backlog_first_byte_offset", backlog is null ? 0 : primary.Offset + 1 - primary.HistoryLength)
          .Field("repl_backlog_histlen", backlog is null ? 0 : primary.HistoryLength);
    }

    static void Cpu(StringBuilder sb)
    {
        var p = Process.GetCurrentProcess();
        sb.Append("# CPU\r\n")
          .Field("used_cpu_sys", p.PrivilegedProcessorTime.TotalSeconds.ToString("0.000000", CultureInfo.InvariantCulture))
          .Field("used_cpu_user", p.UserProcessorTime.TotalSeconds.ToString("0.000000", CultureInfo.InvariantCulture))
          .Field("used_cpu_sys_children", "0.000000")
          .Field("used_cpu_user_children", "0.000000");
    }

    static void ErrorStats(VermilionServer s, StringBuilder sb)
    {
        sb.Append("# Errorstats\r\n");
        foreach (var (code, count) in s.Stats.ErrorCodes.OrderBy(e => e.Key, StringComparer.Ordinal))
            sb.Append("errorstat_").Append(code).Append(":count=").Append(count).Append("\r\n");
    }

    static void Keyspace(VermilionServer s, StringBuilder sb)
    {
        sb.Append("# Keyspace\r\n");
        foreach (var db in s.Databases)
            if (db.Count > 0) sb.Append($"db{db.Id}:keys={db.Count},expires={db.ExpiresCount},avg_ttl={db.AverageTtl}\r\n");
    }

    /// <summary>
    /// "# Latencystats": latency_percentiles_usec_&lt;command&gt;:p50=…,p99=…,p99.9=… for each command
    /// with a histogram (genRedisInfoStringLatencyStats); empty while latency-tracking is off.
    /// </summary>
    static void LatencyStats(VermilionServer s, StringBuilder sb)
    {
        sb.Append("# Latencystats\r\n");
        if (!s.Config.LatencyTracking) return;
        foreach (var cmd in AllCommands(s))
        {
            if (cmd.Latency is not { } h) continue;
            sb.Append("latency_percentiles_usec_").Append(cmd.FullName).Append(':');
            h.AppendPercentiles(sb, s.Config.LatencyTrackingInfoPercentiles);
            sb.Append("\r\n");
        }
    }

    /// <summary>Every command and subcommand, by name (Redis prints in its dict's order; ours is stable).</summary>
    static IEnumerable<CommandDef> AllCommands(VermilionServer s)
    {
        var all = new List<CommandDef>();
        foreach (var cmd in s.Commands.All)
        {
            all.Add(cmd);
            if (cmd.Subcommands is not null) all.AddRange(cmd.Subcommands.Values);
        }
        return all.OrderBy(c => c.FullName, StringComparer.Ordinal);
    }

    static void CommandStats(VermilionServer s, StringBuilder sb)
    {
        sb.Append("# Commandstats\r\n");
        foreach (var cmd in AllCommands(s))
        {
            if (cmd.Calls == 0 && cmd.FailedCalls == 0 && cmd.RejectedCalls == 0) continue;
            long usec = cmd.Ticks * 1_000_000 / Stopwatch.Frequency;
            double per = cmd.Calls == 0 ? 0 : (double)usec / cmd.Calls;
            sb.Append($"cmdstat_{cmd.FullName}:calls={cmd.Calls},usec={usec},usec_per_call={TwoDecimals(per)},rejected_calls={cmd.RejectedCalls},failed_calls={cmd.FailedCalls}\r\n");
        }
    }
}
