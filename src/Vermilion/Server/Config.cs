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

/// <summary>Raised for a bad line while loading configuration; the host prints it as Redis does and exits 1.</summary>
public sealed class ConfigFileException(int line, string text, string reason) : Exception(reason)
{
    public int Line { get; } = line;
    public string Text { get; } = text;
    public string Reason { get; } = reason;

    public string Report() =>
        $"\n*** FATAL CONFIG FILE ERROR (Redis {VermilionServer.RedisVersion}) ***\nReading the configuration file, at line {Line}\n>>> '{Text}'\n{Reason}\n";
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
    public long MaxClients = 10000;
    public int Hz = 10;
    public bool DynamicHz = true;
    public long ClientQueryBufferLimit = 1024L * 1024 * 1024;
    public long ProtoMaxBulkLen = 512L * 1024 * 1024;
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
    public long LatencyMonitorThreshold;
    public bool LazyfreeLazyEviction, LazyfreeLazyExpire, LazyfreeLazyServerDel, LazyfreeLazyUserDel, LazyfreeLazyUserFlush;
    /// <summary>enable-debug-command: "no", "yes" or "local" (only from loopback and unix sockets).</summary>
    public string EnableDebugCommand = "no";
    /// <summary>Redis 7.2's max-new-connections-per-cycle; 1000 (MAX_ACCEPTS_PER_CALL) as in 7.0.</summary>
    public int MaxNewConnectionsPerCycle = 1000;
    /// <summary>Beyond Redis: re-arm TCP_QUICKACK after each read.</summary>
    public bool TcpQuickAck;
    /// <summary>Beyond Redis: the event-loop backend, "epoll" or "poll"; the default comes from VERMILION_EVENT_LOOP.</summary>
    public string EventLoop = Environment.GetEnvironmentVariable("VERMILION_EVENT_LOOP") is "poll" or "epoll"
        ? Environment.GetEnvironmentVariable("VERMILION_EVENT_LOOP")! : (OperatingSystem.IsLinux() ? "epoll" : "poll");

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
        // Redis accepts any int and clamps to 1..500 (updateHZ).
        Add(new IntegerOption("hz", int.MinValue, int.MaxValue, () => Hz, v => Hz = (int)Math.Clamp(v, 1, 500)));
        Add(new BoolOption("dynamic-hz", () => DynamicHz, v => DynamicHz = v));
        Add(new IntegerOption("client-query-buffer-limit", 1024 * 1024, long.MaxValue, () => ClientQueryBufferLimit, v => ClientQueryBufferLimit = v) { Memory = true });
        Add(new IntegerOption("proto-max-bulk-len", 1024 * 1024, long.MaxValue, () => ProtoMaxBulkLen, v => ProtoMaxBulkLen = v) { Memory = true });
        Add(new CustomOption("client-output-buffer-limit", GetOutputLimits, SetOutputLimits, multiArg: true));
        Add(new IntegerOption("active-expire-effort", 1, 10, () => ActiveExpireEffort, v => ActiveExpireEffort = (int)v));
        Add(new IntegerOption("databases", 1, int.MaxValue, () => Databases, v => Databases = (int)v) { Immutable = true });
        Add(new IntegerOption("maxmemory", 0, long.MaxValue, () => MaxMemory, v => MaxMemory = v) { Memory = true, Apply = s => s.ApplyMaxMemory() });
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
        Add(new IntegerOption("slowlog-log-slower-than", -1, long.MaxValue, () => SlowlogLogSlowerThan, v => SlowlogLogSlowerThan = v));
        Add(new IntegerOption("slowlog-max-len", 0, long.MaxValue, () => SlowlogMaxLen, v => SlowlogMaxLen = v));
        Add(new IntegerOption("latency-monitor-threshold", 0, long.MaxValue, () => LatencyMonitorThreshold, v => LatencyMonitorThreshold = v));
        Add(new BoolOption("lazyfree-lazy-eviction", () => LazyfreeLazyEviction, v => LazyfreeLazyEviction = v));
        Add(new BoolOption("lazyfree-lazy-expire", () => LazyfreeLazyExpire, v => LazyfreeLazyExpire = v));
        Add(new BoolOption("lazyfree-lazy-server-del", () => LazyfreeLazyServerDel, v => LazyfreeLazyServerDel = v));
        Add(new BoolOption("lazyfree-lazy-user-del", () => LazyfreeLazyUserDel, v => LazyfreeLazyUserDel = v));
        Add(new BoolOption("lazyfree-lazy-user-flush", () => LazyfreeLazyUserFlush, v => LazyfreeLazyUserFlush = v));
        Add(new EnumOption("enable-debug-command", ["no", "yes", "local"], () => EnableDebugCommand, v => EnableDebugCommand = v) { Immutable = true });
        Add(new CustomOption("dir", () => Path.GetFullPath(Dir), SetDir));
        // Persistence is not built yet: these report Redis's "off" values (redis-benchmark reads them)
        // and refuse anything that would ask for snapshots or an append-only file.
        Add(new CustomOption("save", () => "", args => args is [""] ? null : NoPersistence));
        Add(new CustomOption("appendonly", () => "no", args => args is ["no"] or ["NO"] ? null : NoPersistence));
        Add(new IntegerOption("max-new-connections-per-cycle", 1, 1000, () => MaxNewConnectionsPerCycle, v => MaxNewConnectionsPerCycle = (int)v));
        Add(new BoolOption("tcp-quickack", () => TcpQuickAck, v => TcpQuickAck = v));
        Add(new EnumOption("event-loop", ["epoll", "poll"], () => EventLoop, v => EventLoop = v) { Immutable = true });
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

    const string NoPersistence = "persistence (RDB/AOF) is not implemented in Vermilion yet";

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

    string? SetDir(string[] args)
    {
        try
        {
            Directory.SetCurrentDirectory(args[0]);
            Dir = Directory.GetCurrentDirectory();
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
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
        // CONFIG SET passes the whole value as one string; a config file line passes words.
        if (args.Length == 1) args = args[0].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (args.Length % 4 != 0 || args.Length == 0) return "Wrong number of arguments in buffer limit configuration.";
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
    /// stdin) and then "--name value ..." pairs, which become config lines after the file's.
    /// </summary>
    public static Config FromArgs(params string[] args)
    {
        var config = new Config();
        var text = new StringBuilder();
        int i = 0;
        string? file = null;
        if (args.Length > 0 && !args[0].StartsWith("--"))
        {
            file = args[0];
            i = 1;
            text.Append(file == "-" ? Console.In.ReadToEnd() : ReadFile(file, 0, ""));
            if (file != "-") config.ConfigFile = Path.GetFullPath(file);
        }
        // As redis-server: options become "name value value" lines, values quoted, after a newline.
        var options = new StringBuilder();
        for (; i < args.Length; i++)
        {
            if (args[i].StartsWith("--") && args[i].Length > 2)
            {
                if (options.Length > 0) options.Append('\n');
                options.Append(args[i], 2, args[i].Length - 2).Append(' ');
            }
            else
            {
                options.Append(Repr(args[i])).Append(' ');
            }
        }
        text.Append('\n').Append(options);
        config.LoadText(text.ToString());
        return config;
    }

    static string ReadFile(string path, int depth, string line)
    {
        try { return File.ReadAllText(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigFileException(0, line, $"Fatal error, can't open config file '{path}': {e.Message}");
        }
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

    /// <summary>Applies config text line by line; throws <see cref="ConfigFileException"/> on the first bad line.</summary>
    public void LoadText(string text, int depth = 0)
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
            if (name == "include" && values.Length == 1)
            {
                if (depth > 16) throw new ConfigFileException(n + 1, line, "Too many nested includes");
                LoadText(ReadFile(values[0], depth, line), depth + 1);
                continue;
            }
            var option = Find(name);
            if (option is null || values.Length == 0 || (!option.MultiArg && values.Length != 1))
                throw new ConfigFileException(n + 1, line, "Bad directive or wrong number of arguments");
            var error = option.Set(values);
            if (error is not null) throw new ConfigFileException(n + 1, line, error);
        }
    }
}
