using System.Globalization;
using System.Text;
using Vermilion.Protocol;
using Vermilion.Storage;

namespace Vermilion.Server;

public enum ClientClass { Normal = 0, Replica = 1, PubSub = 2 }

public struct OutputBufferLimit
{
    public long Hard, Soft;
    public long SoftSeconds;
}

/// <summary>SHUTDOWN's flags (server.h SHUTDOWN_*), also the values of shutdown-on-sigint/sigterm.</summary>
[Flags]
public enum ShutdownFlags { None = 0, Save = 1, NoSave = 2, Now = 4, Force = 8 }

/// <summary>Raised for a bad line while loading configuration; the host prints it as Redis does and exits 1.</summary>
public sealed class ConfigFileException(int line, string text, string reason) : Exception(reason)
{
    /// <summary>The line (1-based) in the text being read, or 0 for a check after the whole text was read.</summary>
    public int Line { get; } = line;
    public string Text { get; } = text;
    public string Reason { get; } = reason;
    /// <summary>A config file that cannot be opened: Redis logs one line and exits instead of the report.</summary>
    public bool Unreadable { get; init; }

    /// <summary>What loadServerConfigFromString's loaderr prints (the line part only while a line was being read).</summary>
    public string Report()
    {
        if (Unreadable)
            return $"{Environment.ProcessId}:C {DateTime.Now.ToString("dd MMM yyyy HH:mm:ss.fff", CultureInfo.InvariantCulture)} # {Reason}\n";
        var where = Line > 0 ? $"Reading the configuration file, at line {Line}\n>>> '{Text}'\n" : "";
        return $"\n*** FATAL CONFIG FILE ERROR (Redis {VermilionServer.RedisVersion}) ***\n{where}{Reason}\n";
    }
}

/// <summary>
/// The server's configuration: typed fields the server reads directly, and the table of
/// <see cref="ConfigOption"/>s that redis.conf, the command line, CONFIG GET/SET and CONFIG REWRITE
/// go through. Names, defaults, ranges and error texts are Redis 7.0's; options beyond Redis
/// (tcp-quickack, event-loop) are marked as such.
/// </summary>
public sealed class Config
{
    public int Port = 6379;
    public string[] Bind = ["*", "-::*"];
    public bool ProtectedMode = true;
    public int TcpBacklog = 511;
    public string UnixSocket = "";
    public int UnixSocketPerm;
    public int TcpKeepAlive = 300;
    public int Timeout;
    /// <summary>The primary's side of replication (Replication/ReplicationPrimary.cs), with 7.0's defaults.</summary>
    public bool ReplDisklessSync = true;
    public int ReplDisklessSyncDelay = 5, ReplDisklessSyncMaxReplicas, ReplTimeout = 60, ReplPingReplicaPeriod = 10;
    public long ReplBacklogSize = 1L << 20, ReplBacklogTtl = 3600;
    public int MinReplicasToWrite, MinReplicasMaxLag = 10;
    /// <summary>The replica's side (Replication/PrimaryLink.cs).</summary>
    public string MasterAuth = "", MasterUser = "", ReplicaAnnounceIp = "";
    public bool ReplicaServeStaleData = true, ReplicaReadOnly = true, ReplicaAnnounced = true, ReplicaIgnoreMaxmemory = true;
    public int ReplicaAnnouncePort, ReplicaPriority = 100;
    /// <summary>propagation-error-behavior: what a replica does when a command from its primary fails (ignore, panic, panic-on-replicas).</summary>
    public string PropagationErrorBehavior = "ignore";
    /// <summary>always-show-logo: the startup banner (with its "PID:" line, which Redis's test suite waits for) even when stdout is not a terminal.</summary>
    public bool AlwaysShowLogo;
    /// <summary>repl-diskless-load: how a replica loads its primary's snapshot (the bytes always pass through a temp file here).</summary>
    public string ReplDisklessLoad = "disabled";
    public long MaxClients = 10000;
    public int Hz = 10;
    public bool DynamicHz = true;
    public long ClientQueryBufferLimit = 1024L * 1024 * 1024;
    public long ProtoMaxBulkLen = 512L * 1024 * 1024;
    /// <summary>hll-sparse-max-bytes: a sparse HyperLogLog that would grow past it becomes dense.</summary>
    public long HllSparseMaxBytes = 3000;
    public OutputBufferLimit[] OutputLimits =
    [
        new() { Hard = 0, Soft = 0, SoftSeconds = 0 },
        new() { Hard = 256L << 20, Soft = 64L << 20, SoftSeconds = 60 },
        new() { Hard = 32L << 20, Soft = 8L << 20, SoftSeconds = 60 },
    ];
    public int Databases = 16;
    public long MaxMemory;
    public MaxMemoryPolicy MaxMemoryPolicy = MaxMemoryPolicy.NoEviction;
    public string MaxMemoryPolicyName => s_policyNames[(int)MaxMemoryPolicy];
    public int MaxMemorySamples = 5;
    public int MaxMemoryEvictionTenacity = 10;
    public int LfuLogFactor = 10;
    public int LfuDecayTime = 1;
    public int ActiveExpireEffort = 1;
    // Compact encodings of small collections (Redis 7.0's names and defaults; the *-ziplist-* names are aliases).
    public int ListMaxListpackSize = -2;
    public int ListCompressDepth;
    public long HashMaxListpackEntries = 512;
    public long HashMaxListpackValue = 64;
    public long SetMaxIntsetEntries = 512;
    public long ZsetMaxListpackEntries = 128;
    public long ZsetMaxListpackValue = 64;
    public long StreamNodeMaxBytes = 4096;
    public long StreamNodeMaxEntries = 100;
    public long TrackingTableMaxKeys = 1_000_000;
    public NotifyFlags NotifyKeyspaceEvents;
    public string LogLevel = "notice";
    public string LogFile = "";
    public string PidFile = "";
    public string Dir = ".";
    // Running as a service (Redis's daemonize, supervised, syslog-*, oom-score-adj, disable-thp, proc title).
    public bool Daemonize;
    public string Supervised = "no";
    public bool SyslogEnabled;
    public string SyslogIdent = "redis";
    public string SyslogFacility = "local0";
    public string OomScoreAdj = "no";
    public int[] OomScoreAdjValues = [0, 200, 800];
    public bool DisableThp = true;
    public bool SetProcTitle = true;
    public string ProcTitleTemplate = "{title} {listen-addr} {server-mode}";
    // The operator's commands: SLOWLOG, LATENCY, lazy freeing, DEBUG.
    public long SlowlogLogSlowerThan = 10000;
    public long SlowlogMaxLen = 128;
    public string RequirePass = "";
    public string AclFileName = "";
    /// <summary>The `user name rules...` lines of the config file, whole (argv[0] is "user").</summary>
    public readonly List<string[]> UserDirectives = new();
    /// <summary>The config file's `rename-command from to` lines in order (to "" removes), checked as read; the server's table applies them.</summary>
    public readonly List<(string From, string To)> RenamedCommands = new();
    /// <summary>The callable command names after the renames read so far (null until the first).</summary>
    HashSet<string>? _commandNames;
    public long AclLogMaxLen = 128;
    public string AclPubsubDefault = "resetchannels";
    public long LatencyMonitorThreshold;
    /// <summary>busy-reply-threshold (lua-time-limit): ms a script runs before other clients are served -BUSY from its hook.</summary>
    public long BusyReplyThreshold = 5000;
    /// <summary>latency-tracking: a latency histogram per command (LATENCY HISTOGRAM, INFO latencystats).</summary>
    public bool LatencyTracking = true;
    /// <summary>latency-tracking-info-percentiles: the percentiles INFO latencystats prints.</summary>
    public double[] LatencyTrackingInfoPercentiles = [50, 99, 99.9];
    public bool LazyfreeLazyEviction, LazyfreeLazyExpire, LazyfreeLazyServerDel, LazyfreeLazyUserDel, LazyfreeLazyUserFlush;
    /// <summary>enable-debug-command: "no", "yes" or "local" (only from loopback and unix sockets).</summary>
    public string EnableDebugCommand = "no";
    /// <summary>enable-module-command: the same three values for MODULE (Vermilion loads no modules; see ModuleCommands).</summary>
    public string EnableModuleCommand = "no";
    // TLS (redisTLSContextConfig and the server's tls_* fields); "" is Redis's NULL (EMPTY_STRING_IS_NULL).
    public int TlsPort;
    public string TlsCertFile = "", TlsKeyFile = "", TlsKeyFilePass = "";
    public string TlsClientCertFile = "", TlsClientKeyFile = "", TlsClientKeyFilePass = "";
    public string TlsCaCertFile = "", TlsCaCertDir = "", TlsDhParamsFile = "";
    public string TlsProtocols = "", TlsCiphers = "", TlsCipherSuites = "";
    /// <summary>tls-auth-clients: "yes" (a certificate signed by the CA is required), "optional" (verified if sent) or "no".</summary>
    public string TlsAuthClients = "yes";
    public bool TlsPreferServerCiphers, TlsSessionCaching = true, TlsReplication, TlsCluster;
    public int TlsSessionCacheSize = 20 * 1024, TlsSessionCacheTimeout = 300;
    /// <summary>Redis 7.2's max-new-connections-per-cycle; 1000 (MAX_ACCEPTS_PER_CALL) as in 7.0.</summary>
    public int MaxNewConnectionsPerCycle = 1000;
    /// <summary>Beyond Redis: re-arm TCP_QUICKACK after each read.</summary>
    public bool TcpQuickAck;
    /// <summary>Beyond Redis: the event-loop backend, "epoll" or "poll"; the default comes from VERMILION_EVENT_LOOP.</summary>
    public string EventLoop = Environment.GetEnvironmentVariable("VERMILION_EVENT_LOOP") is "poll" or "epoll"
        ? Environment.GetEnvironmentVariable("VERMILION_EVENT_LOOP")! : (OperatingSystem.IsLinux() ? "epoll" : "poll");

    /// <summary>enable-protected-configs: whether CONFIG SET may change dir and dbfilename: "no", "yes" or "local".</summary>
    public string EnableProtectedConfigs = "no";
    // The append-only file (Redis 7.0's multi-part AOF; Server/AppendOnlyFile.cs).
    public bool AppendOnly;
    public AppendFsync AppendFsync = AppendFsync.EverySec;
    public string AppendFilename = "appendonly.aof";
    public string AppendDirName = "appendonlydir";
    public bool AofUseRdbPreamble = true;
    public bool AofLoadTruncated = true;
    public bool AofTimestampEnabled;
    public bool AofRewriteIncrementalFsync = true;
    public bool AofDisableAutoGc;
    public bool NoAppendfsyncOnRewrite;
    public int AutoAofRewritePercentage = 100;
    public long AutoAofRewriteMinSize = 64L << 20;

    // Cluster (Cluster/ClusterState.cs), 7.0's defaults.
    public bool ClusterEnabled;
    public string ClusterConfigFile = "nodes.conf";
    public int ClusterPort;
    public long ClusterNodeTimeout = 15000;
    public bool ClusterRequireFullCoverage = true, ClusterReplicaNoFailover, ClusterAllowReplicaMigration = true;
    public bool ClusterAllowReadsWhenDown, ClusterAllowPubsubshardWhenDown = true;
    public int ClusterReplicaValidityFactor = 10, ClusterMigrationBarrier = 1;
    public string ClusterAnnounceIp = "", ClusterAnnounceHostname = "";
    public int ClusterAnnouncePort, ClusterAnnounceBusPort, ClusterAnnounceTlsPort;
    /// <summary>cluster-preferred-endpoint-type: what MOVED/ASK, SLOTS and SHARDS' endpoint name a node by (ip, hostname, unknown-endpoint).</summary>
    public string ClusterPreferredEndpointType = "ip";
    public long ClusterLinkSendbufLimit;

    /// <summary>isValidAnnouncedHostname: letters, digits, '-' and '.', under 256 characters.</summary>
    static string? ValidAnnouncedHostname(string v)
    {
        if (v.Length >= 256) return "Hostnames must be less than 256 characters";
        foreach (char ch in v)
            if (!(char.IsAsciiLetterOrDigit(ch) || ch == '-' || ch == '.')) return "Hostnames may only contain alphanumeric characters, hyphens or dots";
        return null;
    }

    /// <summary>replicaof as "host port", or "" (replication is not built, so only "" is accepted).</summary>
    public string ReplicaOf = "";
    /// <summary>save's (seconds, changes) pairs: Redis's default save points (initServerConfig) until a save line or CONFIG SET replaces them.</summary>
    List<(long Seconds, long Changes)> _saveParams = [(3600, 1), (300, 100), (60, 10000)];
    /// <summary>The save points serverCron checks (server.saveparams); empty with save "".</summary>
    public IReadOnlyList<(long Seconds, long Changes)> SaveParams => _saveParams;
    // RDB files (Server/Saving.cs, Persistence/RdbFile*).
    public string DbFilename = "dump.rdb";
    public bool RdbCompression = true;
    public bool RdbChecksum = true;
    public bool RdbSaveIncrementalFsync = true;
    /// <summary>stop-writes-on-bgsave-error: writes get MISCONF after a failed background save (with BGSAVE).</summary>
    public bool StopWritesOnBgsaveError = true;
    /// <summary>rdb-del-sync-files: deletes the RDB a replica synced from when persistence is off; kept for replication, which is not built.</summary>
    public bool RdbDelSyncFiles;
    /// <summary>rdb-key-save-delay (hidden, for tests): microseconds slept after each key saved; negative: 1 µs with probability 1/-N (debugDelay).</summary>
    public int RdbKeySaveDelay;
    /// <summary>key-load-delay (hidden, for tests): the same delay after each key an RDB load reads (rdbLoadRio's debugDelay), so a test can watch a load.</summary>
    public int KeyLoadDelay;
    /// <summary>watchdog-period: milliseconds without a cron turn before the watchdog logs (0: off).</summary>
    public int WatchdogPeriod;
    /// <summary>loading-process-events-interval-bytes (hidden): an RDB load serves clients (-LOADING, INFO) each time this many more bytes are read (rdbLoadProgressCallback).</summary>
    public long LoadingProcessEventsIntervalBytes = 2 * 1024 * 1024;
    /// <summary>shutdown-on-sigint / shutdown-on-sigterm: <see cref="ShutdownFlags"/> for a shutdown a signal asks for (none: save if save points exist).</summary>
    public ShutdownFlags ShutdownOnSigint, ShutdownOnSigterm;
    /// <summary>While config text is read: save lines append, and only the first one replaces the list (setConfigSaveOption).</summary>
    bool _loading, _saveLoaded;

    /// <summary>The file the configuration came from (CONFIG REWRITE writes it back), or null.</summary>
    public string? ConfigFile;

    readonly List<ConfigOption> _options = new();
    readonly Dictionary<string, ConfigOption> _byName = new(StringComparer.OrdinalIgnoreCase);

    public IReadOnlyList<ConfigOption> Options => _options;

    public Config()
    {
        Add(new IntegerOption("port", 0, 65535, () => Port, v => Port = (int)v) { Apply = s => s.ApplyPort() });
        Add(new CustomOption("bind", () => string.Join(' ', Bind), SetBind, multiArg: true) { Apply = s => s.ApplyBind() });
        Add(new BoolOption("protected-mode", () => ProtectedMode, v => ProtectedMode = v));
        Add(new IntegerOption("tcp-backlog", 0, int.MaxValue, () => TcpBacklog, v => TcpBacklog = (int)v) { Immutable = true });
        Add(new StringOption("unixsocket", () => UnixSocket, v => UnixSocket = v) { Immutable = true });
        Add(new IntegerOption("unixsocketperm", 0, 0777, () => UnixSocketPerm, v => UnixSocketPerm = (int)v) { Immutable = true, Octal = true });
        Add(new IntegerOption("tcp-keepalive", 0, int.MaxValue, () => TcpKeepAlive, v => TcpKeepAlive = (int)v));
        Add(new IntegerOption("timeout", 0, int.MaxValue, () => Timeout, v => Timeout = (int)v));
        Add(new IntegerOption("maxclients", 1, uint.MaxValue, () => MaxClients, v => MaxClients = v) { Apply = s => s.ApplyMaxClients() });
        // Redis takes 0..INT_MAX and clamps to 1..500 (updateHZ).
        Add(new IntegerOption("hz", 0, int.MaxValue, () => Hz, v => Hz = (int)Math.Clamp(v, 1, 500)));
        Add(new BoolOption("dynamic-hz", () => DynamicHz, v => DynamicHz = v));
        Add(new IntegerOption("client-query-buffer-limit", 1024 * 1024, long.MaxValue, () => ClientQueryBufferLimit, v => ClientQueryBufferLimit = v) { Memory = true });
        Add(new IntegerOption("proto-max-bulk-len", 1024 * 1024, long.MaxValue, () => ProtoMaxBulkLen, v => ProtoMaxBulkLen = v) { Memory = true });
        Add(new CustomOption("client-output-buffer-limit", GetOutputLimits, SetOutputLimits, multiArg: true));
        Add(new IntegerOption("active-expire-effort", 1, 10, () => ActiveExpireEffort, v => ActiveExpireEffort = (int)v));
        Add(new IntegerOption("databases", 1, int.MaxValue, () => Databases, v => Databases = (int)v) { Immutable = true });
        Add(new IntegerOption("maxmemory", 0, long.MaxValue, () => MaxMemory, v => MaxMemory = v) { Memory = true, Unsigned = true, Apply = s => s.ApplyMaxMemory() });
        Add(new EnumOption("maxmemory-policy", s_policyNames, () => s_policyNames[(int)MaxMemoryPolicy], v => MaxMemoryPolicy = (MaxMemoryPolicy)Array.IndexOf(s_policyNames, v))
        {
            Apply = s => s.ApplyMaxMemory(),
        });
        Add(new IntegerOption("maxmemory-samples", 1, int.MaxValue, () => MaxMemorySamples, v => MaxMemorySamples = (int)v));
        Add(new IntegerOption("maxmemory-eviction-tenacity", 0, 100, () => MaxMemoryEvictionTenacity, v => MaxMemoryEvictionTenacity = (int)v));
        Add(new IntegerOption("lfu-log-factor", 0, int.MaxValue, () => LfuLogFactor, v => LfuLogFactor = (int)v));
        Add(new IntegerOption("lfu-decay-time", 0, int.MaxValue, () => LfuDecayTime, v => LfuDecayTime = (int)v));
        Add(new IntegerOption("list-max-listpack-size", int.MinValue, int.MaxValue, () => ListMaxListpackSize, v => ListMaxListpackSize = (int)v) { Alias = "list-max-ziplist-size" });
        Add(new IntegerOption("list-compress-depth", 0, int.MaxValue, () => ListCompressDepth, v => ListCompressDepth = (int)v));
        Add(new IntegerOption("hash-max-listpack-entries", 0, long.MaxValue, () => HashMaxListpackEntries, v => HashMaxListpackEntries = v) { Alias = "hash-max-ziplist-entries" });
        Add(new IntegerOption("hash-max-listpack-value", 0, long.MaxValue, () => HashMaxListpackValue, v => HashMaxListpackValue = v) { Alias = "hash-max-ziplist-value", Memory = true });
        Add(new IntegerOption("set-max-intset-entries", 0, long.MaxValue, () => SetMaxIntsetEntries, v => SetMaxIntsetEntries = v));
        Add(new IntegerOption("zset-max-listpack-entries", 0, long.MaxValue, () => ZsetMaxListpackEntries, v => ZsetMaxListpackEntries = v) { Alias = "zset-max-ziplist-entries" });
        Add(new IntegerOption("zset-max-listpack-value", 0, long.MaxValue, () => ZsetMaxListpackValue, v => ZsetMaxListpackValue = v) { Alias = "zset-max-ziplist-value", Memory = true });
        Add(new IntegerOption("tracking-table-max-keys", 0, long.MaxValue, () => TrackingTableMaxKeys, v => TrackingTableMaxKeys = v));
        Add(new CustomOption("notify-keyspace-events", () => VermilionServer.FormatNotifyFlags(NotifyKeyspaceEvents), args =>
        {
            if (VermilionServer.ParseNotifyFlags(args[0]) is not { } flags) return "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.";
            NotifyKeyspaceEvents = flags;
            return null;
        }));
        Add(new EnumOption("loglevel", ["debug", "verbose", "notice", "warning"], () => LogLevel, v => LogLevel = v));
        Add(new StringOption("logfile", () => LogFile, v => LogFile = v) { Immutable = true });
        Add(new StringOption("pidfile", () => PidFile, v => PidFile = v) { Immutable = true });
        Add(new BoolOption("daemonize", () => Daemonize, v => Daemonize = v) { Immutable = true });
        Add(new EnumOption("supervised", ["upstart", "systemd", "auto", "no"], () => Supervised, v => Supervised = v) { Immutable = true });
        Add(new BoolOption("syslog-enabled", () => SyslogEnabled, v => SyslogEnabled = v) { Immutable = true });
        Add(new StringOption("syslog-ident", () => SyslogIdent, v => SyslogIdent = v) { Immutable = true });
        Add(new EnumOption("syslog-facility", ["user", "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7"], () => SyslogFacility, v => SyslogFacility = v) { Immutable = true });
        Add(new EnumOption("oom-score-adj", ["no", "yes", "relative", "absolute"], () => OomScoreAdj, v => OomScoreAdj = v) { Apply = Vermilion.Service.OomScore.ApplyConfigSet });
        Add(new CustomOption("oom-score-adj-values", () => string.Join(' ', OomScoreAdjValues), SetOomScoreAdjValues, multiArg: true) { Apply = Vermilion.Service.OomScore.ApplyValuesConfigSet });
        Add(new BoolOption("disable-thp", () => DisableThp, v => DisableThp = v) { Immutable = true });
        Add(new BoolOption("set-proc-title", () => SetProcTitle, v => SetProcTitle = v) { Immutable = true });
        Add(new Vermilion.Service.ProcTitleTemplateOption(this) { Apply = Vermilion.Service.ProcessTitle.ApplyConfigSet });
        Add(new IntegerOption("slowlog-log-slower-than", -1, long.MaxValue, () => SlowlogLogSlowerThan, v => SlowlogLogSlowerThan = v) { Apply = s => s.ObservationSettingsChanged() });
        Add(new IntegerOption("slowlog-max-len", 0, long.MaxValue, () => SlowlogMaxLen, v => SlowlogMaxLen = v) { Apply = s => s.ObservationSettingsChanged() });
        Add(new IntegerOption("latency-monitor-threshold", 0, long.MaxValue, () => LatencyMonitorThreshold, v => LatencyMonitorThreshold = v) { Apply = s => s.ObservationSettingsChanged() });
        Add(new IntegerOption("busy-reply-threshold", 0, long.MaxValue, () => BusyReplyThreshold, v => BusyReplyThreshold = v) { Alias = "lua-time-limit" });
        Add(new BoolOption("latency-tracking", () => LatencyTracking, v => LatencyTracking = v));
        Add(new CustomOption("latency-tracking-info-percentiles", () => LatencyHistogram.FormatPercentiles(LatencyTrackingInfoPercentiles), args =>
        {
            if (LatencyHistogram.ParsePercentiles(args, out var percentiles) is { } error) return error;
            LatencyTrackingInfoPercentiles = percentiles;
            return null;
        }, multiArg: true));
        Add(new BoolOption("lazyfree-lazy-eviction", () => LazyfreeLazyEviction, v => LazyfreeLazyEviction = v));
        Add(new BoolOption("lazyfree-lazy-expire", () => LazyfreeLazyExpire, v => LazyfreeLazyExpire = v));
        Add(new BoolOption("lazyfree-lazy-server-del", () => LazyfreeLazyServerDel, v => LazyfreeLazyServerDel = v));
        Add(new BoolOption("lazyfree-lazy-user-del", () => LazyfreeLazyUserDel, v => LazyfreeLazyUserDel = v));
        Add(new BoolOption("lazyfree-lazy-user-flush", () => LazyfreeLazyUserFlush, v => LazyfreeLazyUserFlush = v));
        Add(new EnumOption("enable-debug-command", ["no", "yes", "local"], () => EnableDebugCommand, v => EnableDebugCommand = v) { Immutable = true });
        Add(new EnumOption("enable-module-command", ["no", "yes", "local"], () => EnableModuleCommand, v => EnableModuleCommand = v) { Immutable = true });
        // rewriteConfigDirOption writes the working directory with no default to compare with: a server started
        // with --dir, whose file Sentinel's CONFIG REWRITE rewrote, restarts from that file into the same data.
        Add(new CustomOption("dir", () => Path.GetFullPath(Dir), SetDir) { Protected = true, AlwaysRewrite = true, DenyLoading = true });
        Add(new EnumOption("enable-protected-configs", s_protectedAction, () => EnableProtectedConfigs, v => EnableProtectedConfigs = v) { Immutable = true });
        // Beyond Redis. Hidden, as Redis's HIDDEN_CONFIG: "CONFIG GET *" lists only Redis's names (the
        // Redis suite's "CONFIG sanity" sets every listed name back to its value, and event-loop is
        // immutable); CONFIG GET/SET and redis.conf still take them by exact name.
        Add(new IntegerOption("max-new-connections-per-cycle", 1, 1000, () => MaxNewConnectionsPerCycle, v => MaxNewConnectionsPerCycle = (int)v) { Hidden = true });
        Add(new BoolOption("tcp-quickack", () => TcpQuickAck, v => TcpQuickAck = v) { Hidden = true });
        Add(new EnumOption("event-loop", ["epoll", "poll"], () => EventLoop, v => EventLoop = v) { Immutable = true, Hidden = true });
        AddAppendOnly();
        AddTuningKnobs();
        AddNotBuilt();
        foreach (var o in _options) o.Default = o.Get();
    }

    /// <summary>isValidAOFfilename / isValidAOFdirname (and isValidDBfilename): a base name, not a path.</summary>
    static bool IsBaseName(string v) => v.AsSpan().IndexOfAny('/', '\\') < 0;

    /// <summary>The AOF's parameters (config.c's entries for them), read by Server/AppendOnlyFile at each use.</summary>
    void AddAppendOnly()
    {
        Add(new BoolOption("appendonly", () => AppendOnly, v => AppendOnly = v) { Apply = s => s.ApplyAppendOnly(), DenyLoading = true });
        Add(new EnumOption("appendfsync", ["everysec", "always", "no"], () => AppendFsync switch
        {
            AppendFsync.Always => "always",
            AppendFsync.No => "no",
            _ => "everysec",
        }, v => AppendFsync = v switch { "always" => AppendFsync.Always, "no" => AppendFsync.No, _ => AppendFsync.EverySec }));
        Add(new StringOption("appendfilename", () => AppendFilename, v => AppendFilename = v)
        {
            Immutable = true,
            Validate = v => v.Length == 0 ? "appendfilename can't be empty" : IsBaseName(v) ? null : "appendfilename can't be a path, just a filename",
        });
        Add(new StringOption("appenddirname", () => AppendDirName, v => AppendDirName = v)
        {
            Immutable = true,
            Validate = v => v.Length == 0 ? "appenddirname can't be empty" : IsBaseName(v) ? null : "appenddirname can't be a path, just a dirname",
        });
        Add(new BoolOption("aof-rewrite-incremental-fsync", () => AofRewriteIncrementalFsync, v => AofRewriteIncrementalFsync = v));
        Add(new BoolOption("no-appendfsync-on-rewrite", () => NoAppendfsyncOnRewrite, v => NoAppendfsyncOnRewrite = v));
        Add(new BoolOption("aof-load-truncated", () => AofLoadTruncated, v => AofLoadTruncated = v));
        Add(new BoolOption("aof-use-rdb-preamble", () => AofUseRdbPreamble, v => AofUseRdbPreamble = v));
        Add(new BoolOption("aof-timestamp-enabled", () => AofTimestampEnabled, v => AofTimestampEnabled = v));
        Add(new BoolOption("aof-disable-auto-gc", () => AofDisableAutoGc, v => AofDisableAutoGc = v) { Apply = s => s.ApplyAofAutoGc() });
        Add(new IntegerOption("auto-aof-rewrite-percentage", 0, int.MaxValue, () => AutoAofRewritePercentage, v => AutoAofRewritePercentage = (int)v));
        Add(new IntegerOption("auto-aof-rewrite-min-size", 0, long.MaxValue, () => AutoAofRewriteMinSize, v => AutoAofRewriteMinSize = v) { Memory = true });
    }

    /// <summary>
    /// Redis tuning knobs with nothing for them to tune here yet: stored, shown by CONFIG GET and
    /// written by CONFIG REWRITE so a stock redis.conf loads, but they have no effect. Why, per group:
    /// the .NET runtime owns memory (no jemalloc, so no background thread or active defrag) and
    /// rehashes its dictionaries itself; the event loop is single-threaded by design (io-threads,
    /// CPU lists); no crash report, no start-up logo, no replica to wait for at shutdown
    /// (shutdown-timeout). stream-node-*, hll-sparse-max-bytes and shutdown-on-sigint/sigterm sit
    /// here beside them but are wired.
    /// </summary>
    void AddTuningKnobs()
    {
        Add(new BoolOption("activerehashing", true));
        Add(new BoolOption("jemalloc-bg-thread", true));
        // As a Redis built without its own jemalloc (isValidActiveDefrag without HAVE_DEFRAG): "yes" is refused.
        Add(new CustomOption("activedefrag", () => "no", args => args[0].ToLowerInvariant() switch
        {
            "no" => null,
            "yes" => "Active defragmentation cannot be enabled: it requires a Redis server compiled with a modified Jemalloc like the one shipped by default with the Redis source distribution",
            _ => "argument must be 'yes' or 'no'",
        }));
        Add(new IntegerOption("active-defrag-cycle-min", 1, 99, 1));
        Add(new IntegerOption("active-defrag-cycle-max", 1, 99, 25));
        Add(new IntegerOption("active-defrag-threshold-lower", 0, 1000, 10));
        Add(new IntegerOption("active-defrag-threshold-upper", 0, 1000, 100));
        Add(new IntegerOption("active-defrag-max-scan-fields", 1, long.MaxValue, 1000));
        Add(new IntegerOption("active-defrag-ignore-bytes", 1, long.MaxValue, 100L << 20) { Memory = true });
        Add(new IntegerOption("io-threads", 1, 128, 1) { Immutable = true });
        Add(new BoolOption("io-threads-do-reads", false) { Immutable = true });
        foreach (var name in new[] { "server_cpulist", "bio_cpulist", "aof_rewrite_cpulist", "bgsave_cpulist" })
            Add(new StringOption(name, "") { Immutable = true });
        Add(new IntegerOption("stream-node-max-bytes", 0, long.MaxValue, () => StreamNodeMaxBytes, v => StreamNodeMaxBytes = v) { Memory = true });
        Add(new IntegerOption("stream-node-max-entries", 0, long.MaxValue, () => StreamNodeMaxEntries, v => StreamNodeMaxEntries = v));
        Add(new IntegerOption("hll-sparse-max-bytes", 0, long.MaxValue, () => HllSparseMaxBytes, v => HllSparseMaxBytes = v) { Memory = true });
        Add(new BoolOption("always-show-logo", () => AlwaysShowLogo, v => AlwaysShowLogo = v) { Immutable = true });
        Add(new BoolOption("crash-log-enabled", true));
        Add(new BoolOption("crash-memcheck-enabled", true));
        Add(new StringOption("ignore-warnings", ""));
        // RESTORE decodes a payload whole into a new object before it creates the key
        // (Persistence/DumpPayload), so a malformed payload is refused whatever this says.
        Add(new EnumOption("sanitize-dump-payload", ["no", "yes", "clients"], "no"));
        Add(new IntegerOption("shutdown-timeout", 0, int.MaxValue, 10));
        Add(ShutdownOnSignal("shutdown-on-sigint", () => ShutdownOnSigint, v => ShutdownOnSigint = v));
        Add(ShutdownOnSignal("shutdown-on-sigterm", () => ShutdownOnSigterm, v => ShutdownOnSigterm = v));
        // Redis's HIDDEN_CONFIG debugging knobs (its test suite sets them by name): rdb-key-save-delay
        // and key-load-delay slow saves and loads down, watchdog-period logs a loop stalled that long
        // (Server/Watchdog.cs); there is no panic to exit on.
        Add(new BoolOption("use-exit-on-panic", false) { Hidden = true });
        Add(new IntegerOption("rdb-key-save-delay", int.MinValue, int.MaxValue, () => RdbKeySaveDelay, v => RdbKeySaveDelay = (int)v) { Hidden = true });
        Add(new IntegerOption("key-load-delay", int.MinValue, int.MaxValue, () => KeyLoadDelay, v => KeyLoadDelay = (int)v) { Hidden = true });
        // applyWatchdogPeriod: a period under two cron turns is raised to that, or the cron could not keep it from expiring.
        Add(new IntegerOption("watchdog-period", 0, int.MaxValue, () => WatchdogPeriod, v => WatchdogPeriod = v == 0 ? 0 : (int)Math.Max(v, 1000 / Hz * 2)) { Hidden = true, Apply = s => s.ArmWatchdog() });
        Add(new IntegerOption("loading-process-events-interval-bytes", 1024, int.MaxValue, () => LoadingProcessEventsIntervalBytes, v => LoadingProcessEventsIntervalBytes = v) { Hidden = true });
    }

    const string Replication = "this part of replication is not built in Vermilion yet";
    const string Modules = "modules are not built in Vermilion yet";

    /// <summary>
    /// Parameters of features not built yet. Each is accepted at its default value (a stock
    /// redis.conf names most of them); any other value stops startup, after the whole config text
    /// and the command line are read (<see cref="CheckFeatures"/>), or fails CONFIG SET at once.
    /// </summary>
    void AddNotBuilt()
    {
        // Persistence: RDB (Server/Saving.cs); the AOF's parameters are with the other wired ones above.
        Add(new CustomOption("save", GetSave, SetSave, multiArg: true)
        {
            // rewriteConfigSaveOption: one line per save point, or save "" (forced: written even at the default).
            ConfigLine = () => _saveParams.Count == 0 ? "save \"\"" : string.Join('\n', _saveParams.Select(p => $"save {p.Seconds} {p.Changes}")),
            AlwaysRewrite = true,
        });
        Add(new StringOption("dbfilename", () => DbFilename, v => DbFilename = v)
        {
            Protected = true,
            Validate = v => IsBaseName(v) ? null : "dbfilename can't be a path, just a filename",
        });
        Add(new BoolOption("rdbchecksum", () => RdbChecksum, v => RdbChecksum = v) { Immutable = true });
        // rdbSaveRawString reads it for DUMP, MIGRATE and DEBUG OBJECT's serializedlength too.
        Add(new BoolOption("rdbcompression", () => RdbCompression, v => RdbCompression = v) { Apply = s => { s.Serializer.Compress = RdbCompression; return null; } });
        Add(new BoolOption("rdb-del-sync-files", () => RdbDelSyncFiles, v => RdbDelSyncFiles = v));
        Add(new BoolOption("rdb-save-incremental-fsync", () => RdbSaveIncrementalFsync, v => RdbSaveIncrementalFsync = v));
        Add(new BoolOption("stop-writes-on-bgsave-error", () => StopWritesOnBgsaveError, v => StopWritesOnBgsaveError = v));

        // Replication (and the primary's side of it: backlog, min-replicas, diskless sync).
        Add(new CustomOption("replicaof", () => ReplicaOf, SetReplicaOf, multiArg: true)
        {
            Alias = "slaveof", Immutable = true,
            ConfigLine = () => ReplicaOf.Length == 0 ? null : "replicaof " + ReplicaOf,
        });
        Add(new StringOption("masterauth", () => MasterAuth, v => MasterAuth = v) { Sensitive = true });
        Add(new StringOption("masteruser", () => MasterUser, v => MasterUser = v) { Sensitive = true });
        Add(new BoolOption("replica-serve-stale-data", () => ReplicaServeStaleData, v => ReplicaServeStaleData = v) { Alias = "slave-serve-stale-data" });
        Add(new BoolOption("replica-read-only", () => ReplicaReadOnly, v => ReplicaReadOnly = v) { Alias = "slave-read-only" });
        Add(new BoolOption("replica-lazy-flush", false) { Alias = "slave-lazy-flush", NotBuilt = Replication });
        Add(new BoolOption("replica-ignore-maxmemory", () => ReplicaIgnoreMaxmemory, v => ReplicaIgnoreMaxmemory = v) { Alias = "slave-ignore-maxmemory" });
        Add(new BoolOption("replica-announced", () => ReplicaAnnounced, v => ReplicaAnnounced = v));
        Add(new BoolOption("replica-ignore-disk-write-errors", false) { NotBuilt = Replication });
        Add(new StringOption("replica-announce-ip", () => ReplicaAnnounceIp, v => ReplicaAnnounceIp = v) { Alias = "slave-announce-ip" });
        Add(new IntegerOption("replica-announce-port", 0, 65535, () => ReplicaAnnouncePort, v => ReplicaAnnouncePort = (int)v) { Alias = "slave-announce-port" });
        Add(new IntegerOption("replica-priority", 0, int.MaxValue, () => ReplicaPriority, v => ReplicaPriority = (int)v) { Alias = "slave-priority" });
        Add(new BoolOption("repl-disable-tcp-nodelay", false) { NotBuilt = Replication });
        Add(new BoolOption("repl-diskless-sync", () => ReplDisklessSync, v => ReplDisklessSync = v));
        Add(new IntegerOption("repl-diskless-sync-delay", 0, int.MaxValue, () => ReplDisklessSyncDelay, v => ReplDisklessSyncDelay = (int)v));
        Add(new IntegerOption("repl-diskless-sync-max-replicas", 0, int.MaxValue, () => ReplDisklessSyncMaxReplicas, v => ReplDisklessSyncMaxReplicas = (int)v));
        Add(new EnumOption("repl-diskless-load", ["disabled", "on-empty-db", "swapdb"], () => ReplDisklessLoad, v => ReplDisklessLoad = v) { DenyLoading = true });
        Add(new IntegerOption("repl-timeout", 1, int.MaxValue, () => ReplTimeout, v => ReplTimeout = (int)v));
        Add(new IntegerOption("repl-ping-replica-period", 1, int.MaxValue, () => ReplPingReplicaPeriod, v => ReplPingReplicaPeriod = (int)v) { Alias = "repl-ping-slave-period" });
        Add(new IntegerOption("repl-backlog-size", 1, long.MaxValue, () => ReplBacklogSize, v => ReplBacklogSize = v) { Memory = true, Apply = s => { s.Primary.ResizeBacklog(ReplBacklogSize); return null; } });
        Add(new IntegerOption("repl-backlog-ttl", 0, long.MaxValue, () => ReplBacklogTtl, v => ReplBacklogTtl = v));
        Add(new IntegerOption("min-replicas-to-write", 0, int.MaxValue, () => MinReplicasToWrite, v => MinReplicasToWrite = (int)v) { Alias = "min-slaves-to-write", Apply = s => { s.Primary.CountGoodReplicas(); return null; } });
        Add(new IntegerOption("min-replicas-max-lag", 0, int.MaxValue, () => MinReplicasMaxLag, v => MinReplicasMaxLag = (int)v) { Alias = "min-slaves-max-lag", Apply = s => { s.Primary.CountGoodReplicas(); return null; } });
        Add(new StringOption("bind-source-addr", "") { NotBuilt = Replication });
        Add(new EnumOption("propagation-error-behavior", ["ignore", "panic", "panic-on-replicas"], () => PropagationErrorBehavior, v => PropagationErrorBehavior = v));

        // Cluster (Cluster/): wired. cluster-enabled, its file and its bus port are read once at startup (clusterInit).
        Add(new BoolOption("cluster-enabled", () => ClusterEnabled, v => ClusterEnabled = v) { Immutable = true });
        Add(new StringOption("cluster-config-file", () => ClusterConfigFile, v => ClusterConfigFile = v) { Immutable = true });
        Add(new IntegerOption("cluster-port", 0, 65535, () => ClusterPort, v => ClusterPort = (int)v) { Immutable = true });
        Add(new IntegerOption("cluster-node-timeout", 0, long.MaxValue, () => ClusterNodeTimeout, v => ClusterNodeTimeout = v));
        Add(new BoolOption("cluster-require-full-coverage", () => ClusterRequireFullCoverage, v => ClusterRequireFullCoverage = v));
        Add(new BoolOption("cluster-replica-no-failover", () => ClusterReplicaNoFailover, v => ClusterReplicaNoFailover = v) { Alias = "cluster-slave-no-failover", Apply = s => { s.Cluster?.MyselfFlagsChanged(); return null; } });
        Add(new IntegerOption("cluster-replica-validity-factor", 0, int.MaxValue, () => ClusterReplicaValidityFactor, v => ClusterReplicaValidityFactor = (int)v) { Alias = "cluster-slave-validity-factor" });
        Add(new IntegerOption("cluster-migration-barrier", 0, int.MaxValue, () => ClusterMigrationBarrier, v => ClusterMigrationBarrier = (int)v));
        Add(new BoolOption("cluster-allow-replica-migration", () => ClusterAllowReplicaMigration, v => ClusterAllowReplicaMigration = v));
        Add(new BoolOption("cluster-allow-reads-when-down", () => ClusterAllowReadsWhenDown, v => ClusterAllowReadsWhenDown = v));
        Add(new BoolOption("cluster-allow-pubsubshard-when-down", () => ClusterAllowPubsubshardWhenDown, v => ClusterAllowPubsubshardWhenDown = v));
        Add(new StringOption("cluster-announce-ip", () => ClusterAnnounceIp, v => ClusterAnnounceIp = v) { Apply = s => { s.Cluster?.AnnouncementChanged(); return null; } });
        Add(new StringOption("cluster-announce-hostname", () => ClusterAnnounceHostname, v => ClusterAnnounceHostname = v)
        {
            Validate = ValidAnnouncedHostname,
            Apply = s => { s.Cluster?.AnnouncementChanged(); return null; },
        });
        Add(new IntegerOption("cluster-announce-port", 0, 65535, () => ClusterAnnouncePort, v => ClusterAnnouncePort = (int)v) { Apply = s => { s.Cluster?.AnnouncementChanged(); return null; } });
        Add(new IntegerOption("cluster-announce-bus-port", 0, 65535, () => ClusterAnnounceBusPort, v => ClusterAnnounceBusPort = (int)v) { Apply = s => { s.Cluster?.AnnouncementChanged(); return null; } });
        Add(new IntegerOption("cluster-announce-tls-port", 0, 65535, () => ClusterAnnounceTlsPort, v => ClusterAnnounceTlsPort = (int)v) { Apply = s => { s.Cluster?.AnnouncementChanged(); return null; } });
        Add(new EnumOption("cluster-preferred-endpoint-type", ["ip", "hostname", "unknown-endpoint"], () => ClusterPreferredEndpointType, v => ClusterPreferredEndpointType = v));
        // The bus's links have no send-buffer limit yet: the value is kept (CLUSTER LINKS shows the buffers).
        Add(new IntegerOption("cluster-link-sendbuf-limit", 0, long.MaxValue, () => ClusterLinkSendbufLimit, v => ClusterLinkSendbufLimit = v) { Memory = true, Unsigned = true });

        // ACL (Security/): requirepass sets the default user's password as 7.0's updateRequirePass does.
        Add(new StringOption("aclfile", () => AclFileName, v => AclFileName = v) { Immutable = true });
        Add(new StringOption("requirepass", () => RequirePass, v => RequirePass = v) { Sensitive = true, Apply = s => { s.Acl.SetRequirePass(RequirePass); return null; } });
        Add(new IntegerOption("acllog-max-len", 0, long.MaxValue, () => AclLogMaxLen, v => AclLogMaxLen = v));
        Add(new EnumOption("acl-pubsub-default", ["allchannels", "resetchannels"], () => AclPubsubDefault, v => AclPubsubDefault = v)
            { Apply = s => { s.Acl.PubsubDefaultAllChannels = AclPubsubDefault == "allchannels"; return null; } });

        // TLS (Net/TlsContext.cs, Net/TlsConnectionType.cs): 7.0's parameters, all modifiable; a
        // change to any of them but tls-auth-clients rebuilds the context (applyTlsCfg), tls-port
        // also reopens its listeners (applyTLSPort). The file names are VOLATILE_CONFIG: setting
        // the same path again reloads what is at it now (a renewed certificate).
        Func<VermilionServer, string?> applyTls = s => s.ApplyTlsConfig();
        Add(new IntegerOption("tls-port", 0, 65535, () => TlsPort, v => TlsPort = (int)v) { Apply = s => s.ApplyTlsPort() });
        Add(new IntegerOption("tls-session-cache-size", 0, int.MaxValue, () => TlsSessionCacheSize, v => TlsSessionCacheSize = (int)v) { Apply = applyTls });
        Add(new IntegerOption("tls-session-cache-timeout", 0, int.MaxValue, () => TlsSessionCacheTimeout, v => TlsSessionCacheTimeout = (int)v) { Apply = applyTls });
        // tls-cluster and tls-replication only say that those links would use TLS: neither is built yet.
        Add(new BoolOption("tls-cluster", () => TlsCluster, v => TlsCluster = v) { Apply = applyTls });
        Add(new BoolOption("tls-replication", () => TlsReplication, v => TlsReplication = v) { Apply = applyTls });
        Add(new EnumOption("tls-auth-clients", ["no", "yes", "optional"], () => TlsAuthClients, v => TlsAuthClients = v));
        Add(new BoolOption("tls-prefer-server-ciphers", () => TlsPreferServerCiphers, v => TlsPreferServerCiphers = v) { Apply = applyTls });
        Add(new BoolOption("tls-session-caching", () => TlsSessionCaching, v => TlsSessionCaching = v) { Apply = applyTls });
        Add(new StringOption("tls-cert-file", () => TlsCertFile, v => TlsCertFile = v) { Apply = applyTls, Volatile = true });
        Add(new StringOption("tls-key-file", () => TlsKeyFile, v => TlsKeyFile = v) { Apply = applyTls, Volatile = true });
        Add(new StringOption("tls-key-file-pass", () => TlsKeyFilePass, v => TlsKeyFilePass = v) { Apply = applyTls });
        Add(new StringOption("tls-client-cert-file", () => TlsClientCertFile, v => TlsClientCertFile = v) { Apply = applyTls, Volatile = true });
        Add(new StringOption("tls-client-key-file", () => TlsClientKeyFile, v => TlsClientKeyFile = v) { Apply = applyTls, Volatile = true });
        Add(new StringOption("tls-client-key-file-pass", () => TlsClientKeyFilePass, v => TlsClientKeyFilePass = v) { Apply = applyTls });
        Add(new StringOption("tls-dh-params-file", () => TlsDhParamsFile, v => TlsDhParamsFile = v) { Apply = applyTls, Volatile = true });
        Add(new StringOption("tls-ca-cert-file", () => TlsCaCertFile, v => TlsCaCertFile = v) { Apply = applyTls, Volatile = true });
        Add(new StringOption("tls-ca-cert-dir", () => TlsCaCertDir, v => TlsCaCertDir = v) { Apply = applyTls, Volatile = true });
        Add(new StringOption("tls-protocols", () => TlsProtocols, v => TlsProtocols = v) { Apply = applyTls });
        Add(new StringOption("tls-ciphers", () => TlsCiphers, v => TlsCiphers = v) { Apply = applyTls });
        Add(new StringOption("tls-ciphersuites", () => TlsCipherSuites, v => TlsCipherSuites = v) { Apply = applyTls });

        // Network and memory features of their own.
        Add(new IntegerOption("socket-mark-id", 0, uint.MaxValue, 0) { Immutable = true, NotBuilt = "socket marks (SO_MARK) are not built in Vermilion yet" });
        Add(new IntegerOption("maxmemory-clients", -100, long.MaxValue, 0) { Memory = true, Percent = true, NotBuilt = "client eviction (maxmemory-clients) is not built in Vermilion yet" });
    }

    /// <summary>maxmemory-policy names in <see cref="Vermilion.MaxMemoryPolicy"/> order; Redis lists them in this order in its error.</summary>
    static readonly string[] s_policyNames = ["volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl", "allkeys-lru", "allkeys-lfu", "allkeys-random", "noeviction"];

    void Add(ConfigOption o)
    {
        _options.Add(o);
        _byName[o.Name] = o;
        if (o.Alias is not null) _byName[o.Alias] = o;
    }

    public ConfigOption? Find(string name) => _byName.GetValueOrDefault(name);

    string? SetBind(string[] args)
    {
        // CONFIG SET passes one string; a config file line passes the addresses as words.
        if (args.Length == 1) args = args[0].Split(' ', StringSplitOptions.RemoveEmptyEntries) is { Length: > 0 } words ? words : [""];
        if (args.Length > 16) return "Too many bind addresses specified.";
        // A single empty argument means no TCP listener at all.
        Bind = args.Length == 1 && args[0] == "" ? [] : args;
        return null;
    }

    static readonly string[] s_protectedAction = ["no", "yes", "local"];

    /// <summary>enable-protected-configs / enable-debug-command: allowProtectedAction.</summary>
    public static bool AllowProtectedAction(string setting, bool localClient) => setting == "yes" || (setting == "local" && localClient);

    string GetSave() => string.Join(' ', _saveParams.Select(p => $"{p.Seconds} {p.Changes}"));

    /// <summary>setConfigSaveOption: pairs of seconds (≥ 1) and changes (≥ 0); a single "" empties the list.</summary>
    string? SetSave(string[] args)
    {
        if (args.Length == 1) args = args[0].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (args.Length % 2 != 0) return "Invalid save parameters";
        var pairs = new List<(long, long)>();
        for (int j = 0; j < args.Length; j += 2)
        {
            if (!long.TryParse(args[j], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long seconds) || seconds < 1
                || !long.TryParse(args[j + 1], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long changes) || changes < 0)
                return "Invalid save parameters";
            pairs.Add((seconds, changes));
        }
        // In a file, the first save line replaces the default and later ones add to it; "" always empties.
        if (!_loading || !_saveLoaded || args.Length == 0) _saveParams = [];
        if (_loading) _saveLoaded = true;
        _saveParams.AddRange(pairs);
        return null;
    }

    /// <summary>setConfigReplicaOfOption: "host port" or "no one".</summary>
    string? SetReplicaOf(string[] args)
    {
        if (args.Length == 1) args = args[0].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (args.Length != 2) return "wrong number of arguments";
        if (args[0].Equals("no", StringComparison.OrdinalIgnoreCase) && args[1].Equals("one", StringComparison.OrdinalIgnoreCase))
        {
            ReplicaOf = "";
            return null;
        }
        if (!int.TryParse(args[1], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int port) || port < 0 || port > 65535)
            return "Invalid master port";
        ReplicaOf = args[0] + " " + port;
        return null;
    }

    static readonly string[] s_shutdownFlags = ["save", "nosave", "now", "force"];

    /// <summary>
    /// shutdown-on-sigint/sigterm: a set of SHUTDOWN's flags, "default" when empty (a MULTI_ARG enum of
    /// bit flags in Redis). NOW and FORCE change nothing without replicas or an AOF; SAVE and NOSAVE
    /// decide whether the signal's shutdown saves.
    /// </summary>
    CustomOption ShutdownOnSignal(string name, Func<ShutdownFlags> get, Action<ShutdownFlags> set)
    {
        string Get()
        {
            var flags = (int)get();
            if (flags == 0) return "default";
            return string.Join(' ', s_shutdownFlags.Where((_, i) => (flags & (1 << i)) != 0));
        }
        string? Set(string[] args)
        {
            if (args.Length == 1) args = args[0].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            int value = 0;
            foreach (var word in args)
            {
                string w = word.ToLowerInvariant();
                int i = Array.IndexOf(s_shutdownFlags, w);
                if (i < 0 && w != "default") value = -1;
                if (value < 0 || i < 0) continue;
                value |= 1 << i;
            }
            if (value < 0 || args.Length == 0) return "argument(s) must be one of the following: default, save, nosave, now, force";
            if ((value & 3) == 3) return "shutdown options SAVE and NOSAVE can't be used simultaneously";
            set((ShutdownFlags)value);
            return null;
        }
        return new CustomOption(name, Get, Set, multiArg: true);
    }

    string? SetOomScoreAdjValues(string[] args)
    {
        // CONFIG SET passes one string; a config file line passes three words (setConfigOOMScoreAdjValuesOption).
        if (args.Length == 1) args = args[0].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (args.Length != 3) return "wrong number of arguments";
        var values = new int[3];
        for (int i = 0; i < 3; i++)
        {
            if (!int.TryParse(args[i], out values[i]) || values[i] < -2000 || values[i] > 2000)
                return "Invalid oom-score-adj-values, elements must be between -2000 and 2000.";
        }
        OomScoreAdjValues = values;
        return null;
    }

    /// <summary>setConfigDirOption: chdir, and on failure strerror's text as Redis reports it.</summary>
    string? SetDir(string[] args)
    {
        if (args.Length != 1) return "wrong number of arguments";
        string path = args[0];
        try
        {
            Directory.SetCurrentDirectory(path);
            Dir = Directory.GetCurrentDirectory();
            return null;
        }
        catch (UnauthorizedAccessException) { return "Permission denied"; }
        catch (Exception e) when (e is IOException or ArgumentException)
        {
            if (path.Length > 0 && File.Exists(path)) return "Not a directory";
            return "No such file or directory";
        }
    }

    static readonly string[] s_classNames = ["normal", "slave", "pubsub"];

    string GetOutputLimits()
    {
        var sb = new StringBuilder();
        for (int i = 0; i < 3; i++)
        {
            if (i > 0) sb.Append(' ');
            var l = OutputLimits[i];
            sb.Append(s_classNames[i]).Append(' ').Append(l.Hard).Append(' ').Append(l.Soft).Append(' ').Append(l.SoftSeconds);
        }
        return sb.ToString();
    }

    string? SetOutputLimits(string[] args)
    {
        // CONFIG SET passes the whole value as one string; a config file line passes words. None changes nothing.
        if (args.Length == 1) args = args[0].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (args.Length == 0) return null;
        if (args.Length % 4 != 0) return "Wrong number of arguments in buffer limit configuration.";
        var updated = (OutputBufferLimit[])OutputLimits.Clone();
        for (int j = 0; j < args.Length; j += 4)
        {
            int cls = args[j].ToLowerInvariant() switch
            {
                "normal" => 0, "slave" or "replica" => 1, "pubsub" => 2, _ => -1,
            };
            if (cls < 0) return "Invalid client class specified in buffer limit configuration.";
            if (!IntegerOption.TryParseMemory(args[j + 1], out long hard) || !IntegerOption.TryParseMemory(args[j + 2], out long soft)
                || !long.TryParse(args[j + 3], out long secs) || secs < 0)
                return "Error in hard, soft or soft_seconds setting in buffer limit configuration.";
            updated[cls] = new OutputBufferLimit { Hard = hard, Soft = soft, SoftSeconds = secs };
        }
        OutputLimits = updated;
        return null;
    }

    // ---- loading ------------------------------------------------------------------------------

    /// <summary>
    /// The host's arguments, as redis-server takes them: an optional config file (or "-" for
    /// stdin) and then "--name value ..." pairs, which become config lines after the file's, so a
    /// later line wins. Parameters of features not built are checked on the final values.
    /// </summary>
    public static Config FromArgs(params string[] args)
    {
        var config = new Config();
        var text = new StringBuilder();
        int j = 0;
        if (args.Length > 0 && !args[0].StartsWith('-'))
        {
            text.Append(ReadFile(args[0]));
            config.ConfigFile = Path.GetFullPath(args[0]);
            j = 1;
        }
        // As redis-server's main: "--name" starts a line, other words are its values (quoted, so
        // sdssplitargs gives them back). After a bare "--name" the next word is its value even if it
        // starts with "--", except that "--save" followed by an option (or last) means save "".
        // A "-" first or last reads config text from stdin, after the file's.
        var options = new StringBuilder();
        bool fromStdin = false, handledLast = true;
        for (; j < args.Length; j++)
        {
            string a = args[j];
            bool last = j == args.Length - 1;
            if (a == "-" && (j == 0 || last))
            {
                fromStdin = true;
            }
            else if (handledLast && a.StartsWith("--"))
            {
                if (options.Length > 0) options.Append('\n');
                options.Append(a, 2, a.Length - 2).Append(' ');
                handledLast = SplitLine(a) is not { Length: 1 };
                if (!handledLast && a.Equals("--save", StringComparison.OrdinalIgnoreCase) && (last || args[j + 1].StartsWith("--")))
                {
                    options.Append("\"\"");
                    handledLast = true;
                }
            }
            else
            {
                options.Append(Repr(a)).Append(' ');
                handledLast = true;
            }
        }
        if (fromStdin) text.Append(Console.In.ReadToEnd());
        text.Append('\n').Append(options);
        config.LoadText(text.ToString());
        config.CheckFeatures();
        return config;
    }

    /// <summary>Stops startup when a parameter of a feature not built ended away from its default (after the command line had its say).</summary>
    public void CheckFeatures()
    {
        // loadServerConfigFromString's sanity check.
        if (ClusterEnabled && ReplicaOf.Length > 0) throw new ConfigFileException(0, "", "replicaof directive not allowed in cluster mode");
        foreach (var option in _options)
        {
            if (option.MissingFeature() is { } error) throw new ConfigFileException(0, "", error);
        }
    }

    /// <summary>The text of a config file (loadServerConfig); a pattern ("conf.d/*.conf") reads every match in order, none being no error.</summary>
    static string ReadFile(string path)
    {
        if (path.AsSpan().IndexOfAny("*?[") >= 0)
        {
            var text = new StringBuilder();
            foreach (var match in Glob(path)) text.Append(ReadFile(match));
            return text.ToString();
        }
        try { return File.ReadAllText(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            string reason = e switch
            {
                FileNotFoundException or DirectoryNotFoundException => "No such file or directory",
                UnauthorizedAccessException => "Permission denied",
                _ => e.Message,
            };
            throw new ConfigFileException(0, "", $"Fatal error, can't open config file '{path}': {reason}") { Unreadable = true };
        }
    }

    /// <summary>glob(3) for an include: the pattern is in the file name; the directory part is taken as written.</summary>
    static IEnumerable<string> Glob(string path)
    {
        string dir = Path.GetDirectoryName(path) is { Length: > 0 } d ? d : ".";
        var pattern = Encoding.UTF8.GetBytes(Path.GetFileName(path));
        if (!Directory.Exists(dir)) return [];
        return Directory.EnumerateFiles(dir)
            .Where(f => !Path.GetFileName(f).StartsWith('.') && GlobPattern.Match(pattern, Encoding.UTF8.GetBytes(Path.GetFileName(f)), nocase: false))
            .Order(StringComparer.Ordinal)
            .Select(f => dir == "." && !path.StartsWith("./") ? Path.GetFileName(f) : f);
    }

    /// <summary>sdscatrepr: a double-quoted form with escapes, as Redis shows values in its error lines.</summary>
    static string Repr(string s)
    {
        var sb = new StringBuilder("\"");
        foreach (char c in s)
        {
            switch (c)
            {
                case '\\': sb.Append("\\\\"); break;
                case '"': sb.Append("\\\""); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '\a': sb.Append("\\a"); break;
                case '\b': sb.Append("\\b"); break;
                default:
                    if (c < 32 || c == 127) sb.Append($"\\x{(int)c:x2}");
                    else sb.Append(c);
                    break;
            }
        }
        return sb.Append('"').ToString();
    }

    /// <summary>Splits one config line with Redis's sdssplitargs rules; null for unbalanced quotes.</summary>
    public static string[]? SplitLine(string line)
    {
        var bytes = Encoding.UTF8.GetBytes(line);
        var args = new CommandArgs();
        if (!RespRequestReader.SplitArgs(bytes, args)) return null;
        var result = new string[args.Count];
        for (int i = 0; i < args.Count; i++) result[i] = args.GetString(i);
        return result;
    }

    /// <summary>Directives Redis 7.0 still reads and ignores (deprecated_configs in loadServerConfigFromString).</summary>
    static readonly string[] s_deprecated = ["list-max-ziplist-entries", "list-max-ziplist-value", "lua-replicate-commands"];

    /// <summary>
    /// Applies config text line by line, as loadServerConfigFromString: a parameter's later line
    /// replaces an earlier one (save adds to it); throws <see cref="ConfigFileException"/> on the first bad line.
    /// </summary>
    public void LoadText(string text, int depth = 0)
    {
        bool outer = !_loading;
        _loading = true;
        try { LoadLines(text, depth); }
        finally { if (outer) _loading = false; }
    }

    void LoadLines(string text, int depth)
    {
        var lines = text.Split('\n');
        for (int n = 0; n < lines.Length; n++)
        {
            string line = lines[n].Trim(' ', '\t', '\r', '\n');
            if (line.Length == 0 || line[0] == '#') continue;
            var argv = SplitLine(line) ?? throw new ConfigFileException(n + 1, line, "Unbalanced quotes in configuration line");
            if (argv.Length == 0) continue;
            string name = argv[0].ToLowerInvariant();
            var values = argv[1..];
            if (Find(name) is { } option)
            {
                if (!option.MultiArg && values.Length != 1) throw new ConfigFileException(n + 1, line, "wrong number of arguments");
                // A multi-word parameter given as one quoted word ("--save '900 1'") is split as a line would be.
                if (option.MultiArg && values is [{ Length: > 0 } single]) values = SplitLine(single) ?? [];
                if (option.Set(values) is { } error) throw new ConfigFileException(n + 1, line, error);
                continue;
            }
            if (values.Length == 1 && s_deprecated.Contains(name)) continue;
            string? unsupported = null;
            switch (name)
            {
                case "include" when values.Length == 1:
                    // Redis has no guard and recurses until it crashes; a loop here stops with the line that closes it.
                    if (depth >= 16) throw new ConfigFileException(n + 1, line, "Too many nested includes (an include loop?)");
                    LoadLines(ReadFile(values[0]), depth + 1);
                    continue;
                case "rename-command" when values.Length == 2:
                    _commandNames ??= Vermilion.Commands.CommandTable.BuiltNames();
                    if (Vermilion.Commands.CommandTable.RenameError(_commandNames, values[0], values[1]) is { } renameError)
                        throw new ConfigFileException(n + 1, line, renameError);
                    RenamedCommands.Add((values[0], values[1]));
                    continue;
                case "user" when values.Length >= 1:
                    // ACLAppendUserForLoading: checked now, created once the server starts (VermilionServer.LoadUsersAtStartup).
                    if (UserDirectives.Exists(u => u[1] == values[0]))
                        throw new ConfigFileException(n + 1, line, $"Error in user declaration '{values[0]}': Duplicate user found. A user can only be defined once in config files");
                    if (Vermilion.Security.AclFile.CheckConfigLine(argv) is { } userError) throw new ConfigFileException(n + 1, line, userError);
                    UserDirectives.Add(argv);
                    continue;
                case "loadmodule" when values.Length >= 1: unsupported = Modules; break;
                case "sentinel" when values.Length > 0: unsupported = "sentinel directive while not in sentinel mode"; break;
                case "sentinel": unsupported = "Sentinel mode is not built in Vermilion yet"; break;
                default:
                    if (name.Contains('.'))
                        unsupported = values.Length == 0 ? "Module config specified without value" : Modules;
                    break;
            }
            throw new ConfigFileException(n + 1, line, unsupported ?? "Bad directive or wrong number of arguments");
        }
    }
}
