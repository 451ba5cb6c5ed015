using System.Diagnostics;
using System.Net;
using Vermilion.Commands;
using Vermilion.Net;
using Vermilion.Persistence;
using Vermilion.Protocol;
using Vermilion.Storage;

using Vermilion.Replication;

namespace Vermilion.Server;

/// <summary>
/// Owns everything one server instance has: configuration, event loop, listeners, clients,
/// databases, command table, statistics. No static mutable state, so several servers can run
/// in one process (the tests do). All of it is touched only on the loop thread, except
/// <see cref="RequestShutdown"/> and <see cref="Dispose"/>.
/// </summary>
public sealed partial class VermilionServer : IDisposable
{
    public const string RedisVersion = "7.0.15";
    public const string VermilionVersion = "0.1.0";
    /// <summary>CONFIG_FDSET_INCR: fds beyond maxclients the loop is sized for (32 reserved + 96).</summary>
    const int FdSetIncrement = 128;
    const int MinReservedFds = 32;

    public readonly Config Config;
    public readonly Log Log;
    public readonly Stats Stats = new();
    /// <summary>server.dirty: changes to the dataset since the last successful save (save points,
    /// rdb_changes_since_last_save); a command that moved it is propagated to the AOF and replicas.</summary>
    public long Dirty;
    /// <summary>Who receives the effect stream (the AOF while appendonly is on; replicas later): empty, nothing is encoded.</summary>
    public readonly List<IEffectSink> EffectSinks = new();
    /// <summary>The runtime's collections as INFO and LATENCY show them; serverCron samples it.</summary>
    public readonly GcPauses GcPauses;
    public readonly BufferPool Pool = new();
    public readonly CommandTable Commands = new();
    /// <summary>Users, their permissions and the ACL log (Security/).</summary>
    public readonly Vermilion.Security.Acl Acl;
    /// <summary>Where a request read on its own (not in a pipeline batch) is parsed, reused for every request; another instance while events are served inside a blocking operation (<see cref="ProcessEventsWhileBlocked"/>), whose own request still holds these.</summary>
    public CommandArgs Args { get; private set; } = new();
    /// <summary>The pipelined requests parsed ahead for the client being served (Server/PipelineBatch.cs).</summary>
    internal readonly PipelineBatch Batch = new();
    public readonly Db[] Databases;
    public readonly Eviction Eviction;
    /// <summary>RANDOMKEY and eviction sampling; not for anything secret.</summary>
    public readonly Random Random = new();
    /// <summary>The RDB encoder DUMP writes with; reused so its buffer and LZF table are not rebuilt per call.</summary>
    public readonly RdbWriter Serializer = new();

    /// <summary>
    /// used_memory: the bytes the dataset holds, summed exactly as entries change (every key and
    /// value object at its managed size, the entry segments, bucket tables and deadline
    /// segments). Eviction compares this with maxmemory. Client buffers and the runtime itself
    /// are not in it; INFO shows the process RSS beside it.
    /// </summary>
    public long UsedMemory()
    {
        long bytes = 0;
        foreach (var db in Databases) bytes += db.Keys.ItemBytes + db.Keys.StructureBytes;
        return bytes;
    }

    /// <summary>What the connected clients hold: their objects, query buffers and replies.</summary>
    public long ClientsMemory()
    {
        long bytes = 0;
        for (var c = _head; c is not null; c = c.Next) bytes += ClientInfo.MemoryBytes(c);
        return bytes;
    }

    /// <summary>CONFIG SET maxmemory / maxmemory-policy: evict at once if the new limit is already exceeded.</summary>
    internal string? ApplyMaxMemory()
    {
        Eviction.ClearPool();
        long used = UsedMemory() + BacklogShareBytes();
        if (Config.MaxMemory != 0 && used > Config.MaxMemory)
        {
            Log.Warning($"WARNING: the new maxmemory value set via CONFIG SET ({Config.MaxMemory}) is smaller than the current memory usage ({used}). This will result in key eviction and/or the inability to accept new write commands depending on the maxmemory-policy.");
            PerformEvictions(null);
        }
        return null;
    }
    public EventLoop Loop { get; }
    public string RunId { get; } = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(20));

    readonly List<AcceptHandler> _listeners = new();
    readonly Dictionary<long, Client> _clientsById = new();
    Client? _head, _tail;
    long _nextClientId = 3; // 7.0.15's scripting and functions clients take ids 1 and 2 at startup
    internal readonly List<Client> PendingWrites = new();
    readonly List<Client> _clientsToClose = new();

    public int ClientCount { get; private set; }
    public long UnixTime { get; private set; }
    public long UnixTimeMs { get; private set; }
    public long StartedAtMs { get; private set; }
    public int EffectiveHz { get; private set; }
    long _cronLoops;
    long _lastInstantaneousSampleMs;

    Thread? _thread;
    volatile bool _shutdownRequested;
    bool _shutDown;
    readonly ManualResetEventSlim _stopped = new(false);
    /// <summary>Set once the loop has returned after a shutdown (SHUTDOWN, a signal, or Dispose).</summary>
    public WaitHandle Stopped => _stopped.WaitHandle;

    /// <summary>The views commands get of compact collections (records): lent per command, returned after it (<see cref="ValueViews"/>).</summary>
    public ValueViews Views { get; } = new();

    public VermilionServer(Config config)
    {
        Config = config;
        Log = new Log(config);
        foreach (var (from, to) in config.RenamedCommands) Commands.Rename(from, to);
        Acl = new Vermilion.Security.Acl(Commands) { PubsubDefaultAllChannels = config.AclPubsubDefault == "allchannels" };
        if (config.RequirePass.Length > 0) Acl.SetRequirePass(config.RequirePass);
        UpdateCachedTime();
        StartedAtMs = UnixTimeMs;
        Databases = new Db[config.Databases];
        Eviction = new Eviction(config, Stats, () => UnixTimeMs) { KeyEvicted = ticks => AddLatencySampleIfNeeded("eviction-del", ticks) };
        Serializer.Compress = config.RdbCompression;
        LazyFree = new LazyFree(Stats);
        GcPauses = new GcPauses(Stats, config, LatencyEvents);
        for (int i = 0; i < Databases.Length; i++)
            Databases[i] = new Db(i, ExpiryClockMs, Stats, Eviction, Views, config.ClusterEnabled) { KeyAdded = OnKeyAdded, ExpireSet = RememberReplicaKeyWithExpire, KeyRemoved = OnKeyRemoved, ValueDropped = OnValueDropped, DatasetFrozen = DatasetFrozen };
        AdjustOpenFilesLimit();
        Loop = EventLoop.Create(config.EventLoop, (int)Math.Min(config.MaxClients + FdSetIncrement, 1 << 24));
        Loop.BeforeSleep = BeforeSleep;
        Loop.AfterSleep = AfterSleep;
        EffectiveHz = config.Hz;
        Aof = new AppendOnlyFile(this);
        Primary = new ReplicationPrimary(this);
        PrimaryLink = new PrimaryLink(this);
        Failover = new Failover(this);
        AttachRdbToAof();
        Tls = new TlsConnectionType(config);
    }

    /// <summary>The TLS connection type: the OpenSSL context (configured when tls-port, tls-replication or tls-cluster is set) and the pending-data list.</summary>
    public TlsConnectionType Tls { get; }

    /// <summary>Redis Cluster (Cluster/ClusterState.cs), with cluster-enabled yes; null in standalone mode.</summary>
    public Vermilion.Cluster.ClusterState? Cluster { get; private set; }

    /// <summary>When the loop's poll returned; 0 until it has (eventloop_duration_max_usec).</summary>
    long _iterationStart;

    /// <summary>afterSleep: the cached time, and the start of this iteration's processing (Redis 7.2's el_start); a turn taken inside a blocking operation is not an iteration of its own.</summary>
    void AfterSleep()
    {
        if (!ProcessingEventsWhileBlocked) _iterationStart = Stopwatch.GetTimestamp();
        UpdateCachedTime();
    }

    void UpdateCachedTime()
    {
        UnixTimeMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        UnixTime = UnixTimeMs / 1000;
        Eviction?.UpdateLruClock(); // null only in the constructor, before it is made
    }

    // ---- startup and shutdown ----------------------------------------------------------------

    /// <summary>
    /// <see cref="OpenListeners"/> and <see cref="Load"/> on the calling thread, then the loop on a thread of its own. Throws
    /// <see cref="ServerStartException"/> if it cannot listen or load; returns without a loop,
    /// stopped, when a SHUTDOWN or a signal came while it loaded.
    /// </summary>
    public void Start()
    {
        OpenListeners();
        if (!Load()) return;
        _thread = new Thread(RunLoop) { Name = "vermilion-loop", IsBackground = true };
        _thread.Start();
    }

    /// <summary>
    /// main()'s initServer: listenToPort (and the pid file), then clusterInit (nodes.conf and the
    /// bus listener). The startup banner comes after it, as redisAsciiArt follows initServer:
    /// Redis's test suite reads "Failed listening on port" only until it sees "PID:". Throws
    /// <see cref="ServerStartException"/> (listeners closed: Redis's exit(1)) when it cannot listen.
    /// </summary>
    public void OpenListeners()
    {
        Listen();
        if (Config.ClusterEnabled)
        {
            try { Cluster = Vermilion.Cluster.ClusterState.Open(this); }
            catch (ServerStartException)
            {
                CloseListeners(tcp: true, unix: true);
                throw;
            }
        }
    }

    /// <summary>
    /// main()'s order after <see cref="OpenListeners"/>: ACLLoadUsersAtStartup, then
    /// loadDataFromDisk with the listeners open, so a client that connects during a long load is
    /// answered -LOADING (and INFO, CONFIG... as Redis, Dispatch.cs) instead of waiting in the
    /// backlog, then "Ready to accept connections". The thread that calls it is the loop's thread
    /// until it returns. Throws <see cref="ServerStartException"/> (listeners closed, clients
    /// dropped: Redis's exit(1)) when the users or the data cannot be loaded whole. False when the
    /// server shut down during the load (SHUTDOWN, SIGTERM: Redis exits 0 from inside the load).
    /// </summary>
    public bool Load()
    {
        try
        {
            LoadUsersAtStartup();
            LoadDataFromDisk();
        }
        catch (ServerStartException)
        {
            CloseListeners(tcp: true, unix: true);
            Cluster?.Bus.Close();
            while (_head is not null) FreeClient(_head);
            throw;
        }
        if (_shutDown || Loop.StopRequested)
        {
            // Redis exits here: the clients that connected during the load are let go now.
            FinishShutdown();
            _stopped.Set();
            return false;
        }
        if (_listeners.Any(l => !l.Type.IsUnix)) Log.Notice("Ready to accept connections");
        if (Config.UnixSocket.Length > 0) Log.Notice($"The server is now ready to accept connections at {Config.UnixSocket}");
        // replicaof in the config: the link starts once the server serves, as Redis's first replicationCron.
        if (Config.ReplicaOf.Split(' ') is [var host, var port]) PrimaryLink.Follow(host, int.Parse(port), fromConfig: true);
        return true;
    }

    /// <summary>
    /// ACLLoadUsersAtStartup: the config file's `user` lines, then the aclfile; an aclfile and
    /// `user` lines together, or a bad rule or line, stop the server as Redis exits.
    /// </summary>
    void LoadUsersAtStartup()
    {
        if (Config.AclFileName.Length > 0 && Config.UserDirectives.Count > 0)
            throw new ServerStartException("Configuring Redis with users defined in redis.conf and at the same setting an ACL file path is invalid. This setup is very likely to lead to configuration errors and security holes, please define either an ACL file or declare users directly in your redis.conf, but not both.");
        if (Vermilion.Security.AclFile.LoadConfiguredUsers(Acl, Config.UserDirectives) is { } error)
        {
            Log.Warning(error);
            throw new ServerStartException("Critical error while loading ACLs. Exiting.");
        }
        if (Config.AclFileName.Length > 0 && Vermilion.Security.AclFile.Load(Acl, Config.AclFileName, out _) is { } errors)
            throw new ServerStartException($"Aborting Redis startup because of ACL errors: {errors}");
    }

    /// <summary>Opens the listeners, writes the pid file and arms serverCron (its first run comes once the loop runs: nothing is loaded yet).</summary>
    public void Listen()
    {
        // initServer: the context comes before any listener, and a bad one stops the server.
        if ((Config.TlsPort != 0 || Config.TlsReplication || Config.TlsCluster) && Tls.Context.Configure(Config) is { } tlsError)
        {
            Log.Warning(tlsError);
            throw new ServerStartException("Failed to configure TLS. Check logs for more info.");
        }
        var error = OpenTcpListeners() ?? OpenTlsListeners();
        if (error is not null)
        {
            CloseListeners(tcp: true, unix: false);
            throw new ServerStartException(error);
        }
        if (Config.UnixSocket.Length > 0)
        {
            var r = ListeningSocket.OpenUnix(Config.UnixSocket, Config.UnixSocketPerm, Config.TcpBacklog);
            if (!r.Ok)
            {
                CloseListeners(tcp: true, unix: false);
                throw new ServerStartException("Failed opening Unix socket: " + r.Error);
            }
            AddListener(r.Fd, ConnectionType.Unix, Config.UnixSocket);
        }
        if (_listeners.Count == 0) throw new ServerStartException("Configured to not listen anywhere, exiting.");
        if (Config.PidFile.Length > 0)
        {
            // createPidFile: best effort; Redis 7.2's warning (7.0 says nothing) with strerror's words.
            try { File.WriteAllText(Config.PidFile, Environment.ProcessId + "\n"); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                string reason = e switch
                {
                    DirectoryNotFoundException or FileNotFoundException => "No such file or directory",
                    UnauthorizedAccessException => "Permission denied",
                    _ => e.Message,
                };
                Log.Warning($"Failed to write PID file: {reason}");
            }
        }
        Loop.CreateTimeEvent(1, ServerCron);
    }

    string? OpenTcpListeners() => ListenToPort(Config.Port, ConnectionType.Tcp) ? null : $"Failed listening on port {Config.Port} (TCP), aborting.";

    string? OpenTlsListeners() => ListenToPort(Config.TlsPort, Tls) ? null : $"Failed listening on port {Config.TlsPort} (TLS), aborting.";

    /// <summary>listenToPort: one socket per bind address; an optional ("-") address that is not available is skipped. On failure this type's listeners are closed.</summary>
    bool ListenToPort(int port, ConnectionType type)
    {
        if (port == 0) return true;
        foreach (var entry in Config.Bind)
        {
            bool optional = entry.StartsWith('-');
            string address = optional ? entry[1..] : entry;
            var r = ListeningSocket.OpenTcp(address, port, Config.TcpBacklog);
            if (r.Ok)
            {
                AddListener(r.Fd, type, $"{address}:{port}");
                continue;
            }
            Log.Warning($"Warning: Could not create server TCP listening socket {address}:{port}: {r.Error}");
            if ((optional && r.Errno == Native.EADDRNOTAVAIL) || r.Errno is Native.ENOPROTOOPT or Native.EPROTONOSUPPORT
                or Native.ESOCKTNOSUPPORT or Native.EPFNOSUPPORT or Native.EAFNOSUPPORT)
                continue;
            CloseListeners(type);
            return false;
        }
        return true;
    }

    void AddListener(int fd, ConnectionType type, string description)
    {
        var handler = new AcceptHandler(this, fd, type, description);
        Loop.CreateFileEvent(fd, FileEventMask.Readable, handler);
        _listeners.Add(handler);
    }

    /// <summary>closeSocketListeners: <paramref name="tcp"/> covers the TLS listeners too (they are TCP sockets).</summary>
    void CloseListeners(bool tcp, bool unix)
    {
        for (int i = _listeners.Count - 1; i >= 0; i--)
        {
            var l = _listeners[i];
            if (l.Type.IsUnix ? !unix : !tcp) continue;
            l.Close(Loop);
            _listeners.RemoveAt(i);
        }
    }

    /// <summary>Closes the listeners of one type (server.ipfd or server.tlsfd).</summary>
    void CloseListeners(ConnectionType type)
    {
        for (int i = _listeners.Count - 1; i >= 0; i--)
        {
            if (_listeners[i].Type != type) continue;
            _listeners[i].Close(Loop);
            _listeners.RemoveAt(i);
        }
    }

    /// <summary>The TCP ports the server listens on now (tests bind to 0-free ports and read this back).</summary>
    public IReadOnlyList<AcceptHandler> Listeners => _listeners;

    /// <summary>Runs the loop on the calling thread until shutdown.</summary>
    public void RunLoop()
    {
        try
        {
            Loop.Run();
        }
        finally
        {
            FinishShutdown();
            _stopped.Set();
        }
    }

    /// <summary>
    /// Asks for a shutdown from any thread (SIGTERM/SIGINT): serverCron carries it out, as Redis
    /// does, with the flags shutdown-on-sigint/sigterm give <paramref name="signal"/> (0: none).
    /// </summary>
    public void RequestShutdown(int signal = 0)
    {
        _shutdownSignal = signal;
        _shutdownRequested = true;
        Loop.Wake();
    }

    volatile int _shutdownSignal;

    /// <summary>Called as a shutdown begins (the host tells its supervisor: systemd's STOPPING=1).</summary>
    public Action? ShuttingDown { get; set; }

    /// <summary>
    /// prepareForShutdown and finishShutdown: saves as <paramref name="flags"/> and the save points
    /// say (Server/Saving.cs), closes listeners, removes the unix socket and pid file. Then the
    /// loop stops. False when the save failed without FORCE: nothing closed, the server goes on.
    /// </summary>
    internal bool PrepareForShutdown(string reason, ShutdownFlags flags)
    {
        // shutdownCommand: a dataset half read is never saved over the file it comes from.
        if (Loading) flags = (flags & ~ShutdownFlags.Save) | ShutdownFlags.NoSave;
        ShuttingDown?.Invoke();
        Log.Warning(reason);
        if (BackgroundSaveInProgress)
        {
            Log.Warning("There is a child saving an .rdb. Killing it!");
            CancelBackgroundSave();
        }
        else if (HasActiveChildProcess)
        {
            Log.Warning("There is a child rewriting the AOF. Killing it!");
            CancelSnapshot();
        }
        Aof.FlushForShutdown();
        if (!SaveBeforeShutdown(flags)) return false;
        CloseListeners(tcp: true, unix: true);
        // closeListeningSockets: the cluster bus's listener and links too.
        Cluster?.Bus.Close();
        if (Config.UnixSocket.Length > 0)
        {
            Log.Notice("Removing the unix socket file.");
            try { File.Delete(Config.UnixSocket); } catch (IOException) { }
        }
        if (Config.PidFile.Length > 0)
        {
            Log.Notice("Removing the pid file.");
            try { File.Delete(Config.PidFile); } catch (IOException) { }
        }
        Log.Warning("Vermilion is now ready to exit, bye bye...");
        _shutDown = true;
        Loop.Stop();
        return true;
    }

    void FinishShutdown()
    {
        // A server disposed (tests, an embedding host) is not asked to persist anything.
        if (!_shutDown) PrepareForShutdown("Shutting down (server disposed).", ShutdownFlags.NoSave);
        while (_head is not null) FreeClient(_head);
    }

    bool _disposed;

    public void Dispose()
    {
        // A second Dispose would close the loop's fds again, by then perhaps reused by another server in the process.
        if (_disposed) return;
        _disposed = true;
        if (_thread is not null)
        {
            Loop.Stop();
            _thread.Join();
            _thread = null;
        }
        else if (!_stopped.IsSet)
        {
            FinishShutdown();
            _stopped.Set();
        }
        _migrateSockets?.CloseAll();
        StopWatchdog();
        PrimaryLink.Stop();
        Tls.Context.Dispose();
        Loop.Dispose();
        LazyFree.Dispose();
        Aof.Dispose();
    }

    // ---- clients ------------------------------------------------------------------------------

    static readonly byte[] s_maxClientsError = "-ERR max number of clients reached\r\n"u8.ToArray();
    static readonly byte[] s_protectedModeError = ("-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Setup a an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.\r\n").Select(c => (byte)c).ToArray();

    /// <summary>
    /// acceptCommonHandler + createClient + clientAcceptHandler, in Redis's order: the maxclients
    /// check comes before any client exists (no id used); protected mode after (an id is used).
    /// </summary>
    internal void AcceptCommon(Connection conn, IPAddress? ip)
    {
        if (conn.State != ConnectionState.Accepting)
        {
            Log.Verbose($"Accepted client connection in error state: {conn.LastError} (conn: fd={conn.Fd})");
            conn.Close();
            return;
        }
        if (ClientCount >= Config.MaxClients)
        {
            conn.Write(s_maxClientsError); // best effort, as Redis
            Stats.RejectedConnections++;
            conn.Close();
            return;
        }
        conn.Type.ConfigureAccepted(conn.Fd, Config);
        conn.QuickAck = Config.TcpQuickAck && !conn.Type.IsUnix;
        conn.PeerIp = ip;
        var c = new Client(this, conn, _nextClientId++);
        if (conn.Type.IsUnix) c.Flags |= ClientFlags.UnixSocket;
        if (!conn.SetReadHandler(Loop, true))
        {
            Log.Warning("Error registering fd event for the new client: fd out of range");
            conn.Close();
            return;
        }
        Link(c);
        // connAccept: a plain socket runs ClientAccepted now; TLS once its handshake ends.
        if (!conn.Accept())
        {
            if (conn.State == ConnectionState.Error)
                Log.Warning($"Error accepting a client connection: {conn.LastError} (conn: fd={conn.Fd})");
            FreeClient(c);
        }
    }

    /// <summary>clientAcceptHandler: a failed handshake frees the client; then protected mode; then the connection counts as received.</summary>
    internal void ClientAccepted(Client c)
    {
        var conn = c.Conn!;
        if (conn.State != ConnectionState.Connected)
        {
            Log.Warning($"Error accepting a client connection: {conn.LastError}");
            FreeClientAsync(c);
            return;
        }
        if (Config.ProtectedMode && !conn.Type.IsUnix && !IsLocalAddress(conn.PeerIp))
        {
            conn.Write(s_protectedModeError);
            Stats.RejectedConnections++;
            FreeClientAsync(c);
            return;
        }
        Stats.ConnectionsReceived++;
    }

    /// <summary>islocalClient: a unix socket client, or one whose peer is loopback (enable-protected-configs "local").</summary>
    internal bool IsLocalClient(Client c) =>
        c.IsUnixSocket || (c.Conn is { } conn && IsLocalAddress(Native.PeerAddress(conn.Fd).Ip));

    /// <summary>islocalClient: exactly 127.0.0.1 or ::1, as Redis 7.0 compares the address text.</summary>
    static bool IsLocalAddress(IPAddress? ip) =>
        ip is not null && (ip.Equals(IPAddress.Loopback) || ip.Equals(IPAddress.IPv6Loopback));

    void Link(Client c)
    {
        c.Prev = _tail;
        if (_tail is null) _head = c; else _tail.Next = c;
        _tail = c;
        _clientsById[c.Id] = c;
        ClientCount++;
    }

    public IEnumerable<Client> Clients
    {
        get
        {
            for (var c = _head; c is not null; c = c.Next) yield return c;
        }
    }

    public Client? FindClient(long id) => _clientsById.GetValueOrDefault(id);

    /// <summary>freeClient: unlink, close the connection, return every buffer. Safe to call twice. A protected client (its command is still running) is only marked, and freed after it.</summary>
    public void FreeClient(Client c)
    {
        if (c.IsFreed) return;
        if ((c.Flags & ClientFlags.Protected) != 0)
        {
            FreeClientAsync(c);
            return;
        }
        if (c.Prev is null) _head = c.Next; else c.Prev.Next = c.Next;
        if (c.Next is null) _tail = c.Prev; else c.Next.Prev = c.Prev;
        c.Prev = c.Next = null;
        _clientsById.Remove(c.Id);
        ClientCount--;
        UnsubscribeEverything(c);
        DiscardTransaction(c);
        DisableTracking(c);
        StopMonitor(c);
        if (c.Replica is not null) Primary.Detach(c);
        if ((c.Flags & ClientFlags.Master) != 0) PrimaryLink.Lost(c);
        if ((c.Flags & ClientFlags.Blocked) != 0)
        {
            _postponed.Remove(c);
            ForgetWaitForReplicas(c);
            UnblockOnKeys(c, UnblockReason.Served);
        }
        c.Release();
    }

    /// <summary>freeClientAsync: mark close-ASAP; the before-sleep pass frees it without sending what is pending.</summary>
    public void FreeClientAsync(Client c)
    {
        if ((c.Flags & (ClientFlags.CloseAsap | ClientFlags.Freed)) != 0) return;
        c.Flags |= ClientFlags.CloseAsap;
        _clientsToClose.Add(c);
    }

    void BeforeSleep()
    {
        UpdateCachedTime();
        if (ProcessingEventsWhileBlocked)
        {
            BeforeSleepWhileBlocked();
            return;
        }
        // tlsProcessPendingData: records OpenSSL already decrypted get read now; while some
        // remain (a read buffer smaller than a record), the next poll must not block.
        if (Tls.HasPendingData) Tls.ProcessPendingData();
        Loop.DontWait = Tls.HasPendingData;
        ProcessUnblockedClients();
        PrimaryLink.ResumeHeldInput();
        // A backstop: effects left by work outside any command (a key that expired when looked at
        // between commands) reach the sinks before they write out this iteration.
        PropagatePendingEffects();
        FlushBroadcastInvalidations();
        // flushAppendOnlyFile before handleClientsWithPendingWrites: no reply of this iteration
        // leaves before its command is in the AOF (and, with appendfsync always, on disk).
        // clusterBeforeSleep: a failover step, the cluster's state, nodes.conf, as this turn's events asked.
        Cluster?.BeforeSleep();
        if (Aof.State != AofState.Off) Aof.Flush(force: false);
        Primary.BeforeSleep();
        // Acks read this iteration may have brought a replica to the offset (updateFailoverStatus here, not where the ack is read).
        Failover.Update();
        HandleClientsWithPendingWrites();
        FreeClientsInAsyncFreeQueue();
        // Between iterations no command holds a span of a string record: the removed ones can go.
        foreach (var db in Databases) db.Keys.FreeRemoved();
        // The iteration ends here, about to poll: its file events, time events and this pass, as
        // Redis 7.2 times its EL_DURATION_TYPE_EL from afterSleep to the end of beforeSleep.
        if (_iterationStart != 0)
        {
            long ticks = Stopwatch.GetTimestamp() - _iterationStart;
            if (ticks > Stats.EventLoopDurationMax) Stats.EventLoopDurationMax = ticks;
            _iterationStart = 0;
        }
    }

    /// <summary>
    /// Writes each pending client's replies directly; only a client whose socket is full gets a
    /// write handler. With appendfsync always that handler is a barrier (writable before
    /// readable), as Redis installs it: a reply written by it next iteration holds only commands
    /// already fsynced, not those its own readable event is about to run.
    /// </summary>
    /// <returns>How many clients it wrote to (processEventsWhileBlocked counts them as events).</returns>
    int HandleClientsWithPendingWrites()
    {
        bool barrier = Aof.State == AofState.On && Config.AppendFsync == AppendFsync.Always;
        var pending = PendingWrites;
        int processed = 0;
        for (int i = 0; i < pending.Count; i++)
        {
            var c = pending[i];
            c.Flags &= ~ClientFlags.PendingWrite;
            // A protected client's reply waits for its command to end (unprotectClient queues it again).
            if ((c.Flags & (ClientFlags.CloseAsap | ClientFlags.Freed | ClientFlags.Protected)) != 0) continue;
            c.WriteToClient(handlerInstalled: false);
            processed++;
            if (!c.IsFreed && c.Reply.HasPending && (c.Flags & ClientFlags.CloseAsap) == 0)
                c.Conn!.SetWriteHandler(Loop, true, barrier);
        }
        pending.Clear();
        return processed;
    }

    /// <returns>How many clients it freed; a protected one stays queued until its command ends.</returns>
    int FreeClientsInAsyncFreeQueue()
    {
        int freed = 0, kept = 0;
        for (int i = 0; i < _clientsToClose.Count; i++)
        {
            var c = _clientsToClose[i];
            if ((c.Flags & ClientFlags.Protected) != 0) _clientsToClose[kept++] = c;
            else
            {
                FreeClient(c);
                freed++;
            }
        }
        _clientsToClose.RemoveRange(kept, _clientsToClose.Count - kept);
        return freed;
    }

    // ---- serving events inside a blocking operation --------------------------------------------

    int _blockedDepth;
    long _eventsWhileBlocked;
    readonly List<CommandArgs> _argsWhileBlocked = new();
    /// <summary>Unix ms up to which whileBlockedCron's periodic work is done (server.blocked_last_cron).</summary>
    long _blockedLastCron;

    /// <summary>
    /// ProcessingEventsWhileBlocked: events are being served from inside a blocking operation (a
    /// load; a busy script later). What reads it must not re-enter what is blocked: beforeSleep
    /// does only its vital part, no time event runs (no serverCron: no save point, no active
    /// expiry, no eviction cycle, no background-save slice), blocked clients are not served.
    /// </summary>
    public bool ProcessingEventsWhileBlocked => _blockedDepth > 0;

    /// <summary>
    /// processEventsWhileBlocked (networking.c): called from time to time by an operation that
    /// blocks the loop (a load's progress steps, rdbLoadProgressCallback and the AOF loader's
    /// every-1024-commands step), so clients are accepted, read, answered (-LOADING but for the
    /// commands flagged loading, Dispatch.cs) and closed meanwhile. Up to four non-blocking turns
    /// of the loop's file events with before/after sleep, while each still found something to
    /// do (accept, read, write, close need a few), then whileBlockedCron. The client whose
    /// command blocks (DEBUG RELOAD's) is protected as protectClient does: no read or write
    /// events, and a kill only marks it. Requests read meanwhile parse into arguments of their
    /// own, since the blocked command's are still in use. Nothing is loaded or saved from here.
    /// </summary>
    public void ProcessEventsWhileBlocked()
    {
        UpdateCachedTime();
        var running = CurrentClient;
        bool protect = running is not null && (running.Flags & ClientFlags.Protected) == 0;
        if (protect) ProtectClient(running!);
        var args = Args;
        if (_argsWhileBlocked.Count <= _blockedDepth) _argsWhileBlocked.Add(new CommandArgs());
        Args = _argsWhileBlocked[_blockedDepth];
        _blockedDepth++;
        try
        {
            for (int iterations = 4; iterations > 0; iterations--)
            {
                long before = _eventsWhileBlocked;
                _eventsWhileBlocked += Loop.ProcessEvents(dontWait: true, timeEvents: false);
                if (_eventsWhileBlocked == before) break;
            }
            WhileBlockedCron();
        }
        finally
        {
            _blockedDepth--;
            Args = args;
            CurrentClient = running;
            if (protect) UnprotectClient(running!);
        }
    }

    /// <summary>beforeSleep's vital subset inside a blocking operation: the AOF flush (replies wait for it), writes, closes.</summary>
    void BeforeSleepWhileBlocked()
    {
        _eventsWhileBlocked += Tls.ProcessPendingData();
        if (Aof.State != AofState.Off) Aof.Flush(force: false);
        _eventsWhileBlocked += HandleClientsWithPendingWrites();
        _eventsWhileBlocked += FreeClientsInAsyncFreeQueue();
    }

    /// <summary>
    /// whileBlockedCron: what cannot wait for the operation to end. A SIGTERM or SIGINT that
    /// came during a load shuts the server down without saving (the half-loaded dataset must not
    /// overwrite the file): the load sees the loop stopping at its next step and gives up.
    /// </summary>
    void WhileBlockedCron()
    {
        if (_blockedLastCron >= UnixTimeMs) return;
        long started = Stopwatch.GetTimestamp();
        _blockedLastCron = UnixTimeMs;
        if (Loading) Stats.UsedMemoryPeak = Math.Max(Stats.UsedMemoryPeak, UsedMemory() + ClientsMemory());
        AddLatencySampleIfNeeded("while-blocked-cron", Stopwatch.GetTimestamp() - started);
        if (_shutdownRequested && !_shutDown && Loading)
        {
            PrepareForShutdown("User requested shutdown...", ShutdownFlags.NoSave);
            _shutdownRequested = false;
        }
    }

    /// <summary>blockingOperationStarts: whileBlockedCron's clock starts now.</summary>
    internal void BlockingOperationStarts() => _blockedLastCron = UnixTimeMs;

    /// <summary>
    /// protectClient: the client's command blocks while events are served; with no read or write
    /// event it cannot be re-entered or closed by an error on its socket, and a kill only marks
    /// it (freed once unprotected).
    /// </summary>
    void ProtectClient(Client c)
    {
        c.Flags |= ClientFlags.Protected;
        if (c.Conn is { } conn)
        {
            conn.SetReadHandler(Loop, false);
            conn.SetWriteHandler(Loop, false);
        }
    }

    /// <summary>unprotectClient: events back on, and what it has to send queued for the next write pass.</summary>
    void UnprotectClient(Client c)
    {
        c.Flags &= ~ClientFlags.Protected;
        if (c.IsFreed || c.Conn is not { } conn) return;
        conn.SetReadHandler(Loop, true);
        if (c.Reply.HasPending && (c.Flags & (ClientFlags.PendingWrite | ClientFlags.CloseAsap)) == 0)
        {
            c.Flags |= ClientFlags.PendingWrite;
            PendingWrites.Add(c);
        }
    }

    /// <summary>
    /// checkClientOutputBufferLimits: the hard limit closes at once; the soft limit closes a
    /// client that stays over it for longer than its seconds. Only the reply list counts.
    /// </summary>
    internal bool CheckOutputBufferLimits(Client c, bool async)
    {
        if ((c.Flags & ClientFlags.CloseAsap) != 0) return true; // already scheduled (and logged)
        var limit = Config.OutputLimits[(int)c.Class];
        long used = c.OutputBufferUsage;
        // A replica's hard limit is at least repl-backlog-size (7.0): a partial resync the backlog allows must
        // not be cut at once by a smaller limit.
        long hardLimit = c.Class == ClientClass.Replica && limit.Hard > 0 ? Math.Max(limit.Hard, Config.ReplBacklogSize) : limit.Hard;
        bool hard = hardLimit > 0 && used >= hardLimit;
        bool soft = false;
        if (limit.Soft > 0 && used >= limit.Soft)
        {
            if (c.SoftLimitReachedAt == 0) c.SoftLimitReachedAt = UnixTime;
            else soft = UnixTime - c.SoftLimitReachedAt > limit.SoftSeconds;
        }
        else c.SoftLimitReachedAt = 0;
        if (!hard && !soft) return false;
        Stats.OutputBufferLimitDisconnections++;
        if (async)
        {
            Log.Warning($"Client {ClientInfo.Describe(c)} scheduled to be closed ASAP for overcoming of output buffer limits.");
            FreeClientAsync(c);
        }
        else
        {
            Log.Warning($"Client {ClientInfo.Describe(c)} closed for overcoming of output buffer limits.");
            FreeClient(c);
        }
        return true;
    }

    // ---- startup limits -----------------------------------------------------------------------

    /// <summary>adjustOpenFilesLimit: maxclients needs maxclients+32 fds; raise the limit or lower maxclients.</summary>
    unsafe void AdjustOpenFilesLimit()
    {
        ulong needed = (ulong)Config.MaxClients + MinReservedFds;
        Native.RLimit lim;
        if (Native.GetRLimit(Native.RLIMIT_NOFILE, &lim) != 0 || lim.Cur >= needed) return;
        var want = new Native.RLimit { Cur = Math.Min(needed, lim.Max), Max = lim.Max };
        if (Native.SetRLimit(Native.RLIMIT_NOFILE, &want) == 0 && want.Cur >= needed) return;
        Native.GetRLimit(Native.RLIMIT_NOFILE, &lim);
        long reduced = (long)lim.Cur - MinReservedFds;
        Log.Warning($"You requested maxclients of {Config.MaxClients} requiring at least {needed} max file descriptors.");
        Log.Warning($"Current maximum open files is {lim.Cur}. maxclients has been reduced to {reduced} to compensate for low ulimit. If you need higher maxclients increase 'ulimit -n'.");
        Config.MaxClients = Math.Max(1, reduced);
    }

    /// <summary>CONFIG SET maxclients: the fd limit and the loop's table must both allow it.</summary>
    internal unsafe string? ApplyMaxClients()
    {
        ulong needed = (ulong)Config.MaxClients + MinReservedFds;
        Native.RLimit lim;
        if (Native.GetRLimit(Native.RLIMIT_NOFILE, &lim) == 0 && lim.Cur < needed)
        {
            var want = new Native.RLimit { Cur = Math.Min(needed, lim.Max), Max = lim.Max };
            if (Native.SetRLimit(Native.RLIMIT_NOFILE, &want) != 0 || want.Cur < needed)
            {
                Native.GetRLimit(Native.RLIMIT_NOFILE, &lim);
                return $"The operating system is not able to handle the specified number of clients, try with {(long)lim.Cur - MinReservedFds}";
            }
        }
        int setSize = (int)Math.Min(Config.MaxClients + FdSetIncrement, 1 << 24);
        if (setSize > Loop.SetSize && !Loop.Resize(setSize))
            return "The event loop API used by Redis is not able to handle the specified number of clients";
        return null;
    }

    /// <summary>updatePort: changeListenPort for the plain TCP listeners only.</summary>
    internal string? ApplyPort()
    {
        CloseListeners(ConnectionType.Tcp);
        return OpenTcpListeners() is null ? null : "Unable to listen on this port. Check server logs.";
    }

    /// <summary>changeBindAddr: both the TCP and the TLS listeners move to the new addresses.</summary>
    internal string? ApplyBind()
    {
        CloseListeners(tcp: true, unix: false);
        if (OpenTcpListeners() is null && OpenTlsListeners() is null) return null;
        Log.Warning("Failed to bind");
        CloseListeners(tcp: true, unix: false);
        return "Failed to bind to specified addresses.";
    }

    /// <summary>applyTLSPort: a context first if there is none yet (a bad one refuses the port), then changeListenPort for the TLS listeners.</summary>
    internal string? ApplyTlsPort()
    {
        if (!Tls.Context.IsConfigured && Tls.Context.Configure(Config) is { } error)
        {
            Log.Warning(error);
            return "Unable to update TLS configuration. Check server logs.";
        }
        CloseListeners(Tls);
        return OpenTlsListeners() is null ? null : "Unable to listen on this port. Check server logs.";
    }

    /// <summary>applyTlsCfg: with TLS in use, rebuild the context from the new settings; on failure the old one stays.</summary>
    internal string? ApplyTlsConfig()
    {
        if (Config.TlsPort == 0 && !Config.TlsReplication && !Config.TlsCluster) return null;
        if (Tls.Context.Configure(Config) is not { } error) return null;
        Log.Warning(error);
        return "Unable to update TLS configuration. Check server logs.";
    }
}

/// <summary>The server cannot start; <see cref="Logged"/> when the reasons are already in the log (the AOF's load errors).</summary>
public sealed class ServerStartException(string message, bool logged = false) : Exception(message)
{
    public bool Logged { get; } = logged;
}
