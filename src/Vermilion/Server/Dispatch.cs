using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text;
using Vermilion.Commands;
using Vermilion.Protocol;
using Vermilion.Security;
using Vermilion.Storage;

namespace Vermilion.Server;

public enum PauseMode { None, Write, All }

/// <summary>pause_purpose: who paused clients (each pause is kept apart).</summary>
public enum PausePurpose { ClientCommand, Failover }

public sealed partial class VermilionServer
{
    readonly List<Client> _postponed = new();
    public PauseMode Pause { get; private set; }
    public long PauseEndMs { get; private set; }
    public int BlockedClients => _postponed.Count + _waitingForReplicas.Count + _blockedOnKeys.Count;
    /// <summary>The client whose command is running (CLIENT LIST shows its argv-mem).</summary>
    public Client? CurrentClient { get; private set; }
    /// <summary>The arguments <see cref="CurrentClient"/>'s command runs with (CLIENT LIST's argv-mem).</summary>
    internal CommandArgs? CurrentArgs
    {
        get => _currentArgs ?? (_batchRunning ? Batch.Running : null);
        private set => _currentArgs = value;
    }
    CommandArgs? _currentArgs;
    // While the batch executor runs, the current arguments are the batch's last taken: named by a
    // bool, not stored per command (a reference store's GC write barrier was 1% of a -P 128 GET).
    bool _batchRunning;
    long _commandClock;
    Func<long>? _usedMemory;
    const string s_oomError = "-OOM command not allowed when used memory > 'maxmemory'.";

    /// <summary>Starts timing a run of commands (each command's time runs from the end of the one before).</summary>
    internal void StartCommandClock() => _commandClock = Stopwatch.GetTimestamp();

    // Fast commands run back to back from one pipelined batch, timed together (EndTimedRun).
    readonly CommandDef[] _runCommands = new CommandDef[PipelineBatch.Size];
    readonly CommandArgs[] _runArgs = new CommandArgs[PipelineBatch.Size];
    int _runLength;
    Client? _runClient;
    internal bool TimedRunOpen => _runLength > 0;
    /// <summary>Set by processInputBuffer while the arguments come from its batch, which keeps them until the pass ends.</summary>
    internal bool BatchedArgs;

    /// <summary>
    /// Ends a run of fast commands with one clock read and gives each the run's mean time (the
    /// remainder to the first, so commandstats' usec sums exactly). The clock read per command
    /// was the largest single cost of a -P 128 GET (15% under perf); a run is at most one batch
    /// of fast (O(1)) commands and only runs while nothing shorter than the slow log's or the
    /// latency monitor's threshold is notable, so what those see is the same unless a whole run
    /// takes that long, and then each of its commands is judged by the mean.
    /// </summary>
    internal void EndTimedRun()
    {
        long now = Stopwatch.GetTimestamp(), total = now - _commandClock;
        long each = total / _runLength, first = total - each * (_runLength - 1);
        var c = _runClient!;
        _runCommands[0].Ticks += first;
        ObserveCall(c, _runCommands[0], _runArgs[0], first);
        // The others took the mean: while it is not notable, a stretch of one command is one
        // histogram update (a pipeline repeats its command).
        long eachUs = Microseconds(each);
        bool notable = eachUs >= _notableFromUs || (c.Flags & ClientFlags.Blocked) != 0;
        for (int i = 1; i < _runLength;)
        {
            var cmd = _runCommands[i];
            if (notable)
            {
                cmd.Ticks += each;
                ObserveCall(c, cmd, _runArgs[i++], each);
                continue;
            }
            int same = 1;
            while (i + same < _runLength && ReferenceEquals(_runCommands[i + same], cmd)) same++;
            cmd.Ticks += each * same;
            if (Config.LatencyTracking) (cmd.Latency ??= new()).RecordMicroseconds(eachUs, same);
            i += same;
        }
        _runLength = 0;
        _runClient = null;
        _commandClock = now;
    }

    /// <summary>
    /// processCommand: look the command up, check it exists, its arity, memory, subscribed mode
    /// and MULTI, hold it back while clients are paused, queue it inside MULTI, else run it.
    /// Returns false when the command was postponed and must stay in the query buffer.
    /// </summary>
    internal bool Call(Client c, CommandArgs args)
    {
        PlainDispatch = false;
        var cmd = Commands.Lookup(args[0]);
        if (cmd is null)
        {
            if (args.Is(0, "post") || args.Is(0, "host:"))
            {
                SecurityWarning(c);
                return true;
            }
            RejectCommand(c, UnknownCommandError(args));
            return true;
        }
        if (cmd.Subcommands is not null && args.Count >= 2)
        {
            var sub = CommandTable.LookupSub(cmd, args[1]);
            if (sub is null)
            {
                RejectCommand(c, $"unknown subcommand '{args.GetCString(1, 128)}'. Try {args.GetString(0).ToUpperInvariant()} HELP.");
                return true;
            }
            cmd = sub;
        }
        c.LastCommand = cmd;
        if (!cmd.ArityAccepts(args.Count))
        {
            RejectCommand(c, $"wrong number of arguments for '{cmd.FullName}' command", cmd);
            return true;
        }
        // One bool for every other command; only DEBUG and MODULE LOAD/LOADEX/UNLOAD read their setting.
        if (cmd.Protected && !AllowProtectedAction(c, cmd))
        {
            bool debug = cmd.FullName == "debug";
            RejectCommand(c, $"{(debug ? "DEBUG" : "MODULE")} command not allowed. If the {(debug ? "enable-debug-command" : "enable-module-command")} option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.", cmd);
            return true;
        }
        // authRequired: until AUTH, only no-auth commands (AUTH, HELLO...) while the default user needs a password or is off.
        if (!c.Authenticated && (cmd.Flags & CommandFlags.NoAuth) == 0 && Acl.DefaultUserNeedsAuth)
        {
            RejectCommand(c, "-NOAUTH Authentication required.", cmd);
            return true;
        }
        if (c.Multi is not null && (cmd.Flags & CommandFlags.NoMulti) != 0)
        {
            RejectCommand(c, "Command not allowed inside a transaction", cmd);
            return true;
        }
        // ACLCheckAllPerm: one flag test for a user allowed everything (the default user), else the full check.
        if (c.User is { Unrestricted: false } user && Acl.Check(user, cmd, args, 0, out int position) is not AclDenial.None and var denial)
        {
            LogAclDenial(c, denial, c.Multi is not null ? AclLogContext.Multi : AclLogContext.TopLevel, cmd, args, position);
            RejectCommand(c, NoPermissionError(denial, cmd), cmd);
            return true;
        }
        // The cluster's redirections (processCommand, after the ACL check): one null test in standalone mode.
        if (Cluster is not null && Cluster.Route(c, cmd, args) is { } redirect)
        {
            if (cmd.FullName == "exec")
            {
                // An EXEC sent elsewhere discards the transaction and answers the redirection itself.
                cmd.RejectedCalls++;
                DiscardTransaction(c);
                c.Reply.Error(redirect);
            }
            else RejectCommand(c, redirect, cmd);
            return true;
        }
        // processCommand: with maxmemory set, evict before every command; if memory stays over
        // the limit, commands that may grow it are refused, and inside MULTI anything queued.
        // The outcome is kept for scripts (server.pre_command_oom_state): their deny-oom commands are refused by it.
        // Not while a busy script serves the loop: its effects must not mix with eviction's DELs.
        PreCommandOom = Config.MaxMemory != 0 && !ScriptTimedOut && PerformEvictions(c) == EvictionResult.Failed;
        if (PreCommandOom && RejectedOnOom(c, cmd))
        {
            RejectCommand(c, s_oomError, cmd);
            return true;
        }
        // trackingLimitUsedSlots runs before every command (a queued one too), not only from the cron.
        if (TrackingClients > 0) LimitTrackingTable();
        // writeCommandsDeniedByDiskError: while the RDB or the AOF cannot be written, writes (and PING) get MISCONF.
        if ((Aof.State != AofState.Off || !LastBgsaveOk) && DiskErrorFor(c, cmd) is { } diskError)
        {
            RejectCommand(c, diskError, cmd);
            return true;
        }
        // checkGoodReplicasStatus: with min-replicas-to-write, writes wait for enough replicas acking within min-replicas-max-lag.
        if (Config.MinReplicasToWrite > 0 && IsWrite(c, cmd) && !EnoughGoodReplicas)
        {
            RejectCommand(c, "-NOREPLICAS Not enough good replicas to write.", cmd);
            return true;
        }
        // A replica obeys its primary only: writes from others are refused (replica-read-only), and with the
        // link down only stale-flagged commands run when replica-serve-stale-data is no.
        if (PrimaryLink.IsReplica && (c.Flags & ClientFlags.Master) == 0 && ReplicaRefusal(c, cmd) is { } refusal)
        {
            RejectCommand(c, refusal, cmd);
            return true;
        }
        // Subscribed in RESP2, the connection carries messages: only (un)subscribing, PING, QUIT and RESET.
        if (c.Subscriptions is not null && c.Resp == 2 && !AllowedWhileSubscribed(cmd))
        {
            RejectCommand(c, $"Can't execute '{cmd.FullName}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context", cmd);
            return true;
        }
        // While a file loads, only commands flagged loading run (INFO, CONFIG, CLIENT, SELECT,
        // MULTI...; not PING), and an EXEC only if everything it queued is (mstate.cmd_inv_flags).
        if ((Loading && LacksFlag(c, cmd, CommandFlags.Loading)) || (AsyncLoading && (cmd.Flags & CommandFlags.NoAsyncLoading) != 0))
        {
            RejectCommand(c, LoadingError, cmd);
            return true;
        }
        // A script past busy-reply-threshold serves the loop from its hook: only allow-busy commands
        // run (SCRIPT KILL, SHUTDOWN, MULTI/DISCARD/WATCH so a pipelined transaction is refused whole...).
        if (ScriptTimedOut && (cmd.Flags & CommandFlags.AllowBusy) == 0)
        {
            RejectCommand(c, BusyError, cmd);
            return true;
        }
        // A replica (a monitor is one to Redis) may not touch the keyspace: CLIENT PAUSE does not hold it.
        if ((c.Flags & (ClientFlags.Monitor | ClientFlags.Replica)) != 0 && (cmd.Flags & (CommandFlags.Write | CommandFlags.ReadOnly | CommandFlags.MayReplicate)) != 0)
        {
            RejectCommand(c, "Replica can't interact with the keyspace", cmd);
            return true;
        }
        if ((c.Flags & ClientFlags.Monitor) == 0 && IsPostponed(c, cmd, args))
        {
            c.Flags |= ClientFlags.Blocked;
            _postponed.Add(c);
            return false;
        }

        // CLIENT REPLY SKIP mutes the command after it; OFF mutes everything.
        if ((c.Flags & ClientFlags.ReplySkipNext) != 0)
        {
            c.Flags = (c.Flags & ~ClientFlags.ReplySkipNext) | ClientFlags.ReplySkip;
        }
        c.Reply.Muted = (c.Flags & (ClientFlags.ReplyOff | ClientFlags.ReplySkip | ClientFlags.CloseAfterReply | ClientFlags.Replica | ClientFlags.Master)) != 0;
        if (c.Multi is not null && !ControlsTransaction(cmd)) QueueCommand(c, cmd, args);
        else Execute(c, cmd, args);
        if (_readyKeys.Count > 0 && !ScriptTimedOut) HandleClientsBlockedOnKeys();
        if ((c.Flags & ClientFlags.ReplySkip) != 0) c.Flags &= ~ClientFlags.ReplySkip;
        c.Reply.Muted = (c.Flags & (ClientFlags.ReplyOff | ClientFlags.CloseAfterReply | ClientFlags.Replica | ClientFlags.Master)) != 0;
        return true;
    }

    /// <summary>
    /// call: run the command and count it. A key of the wrong type surfaces as an exception from
    /// <see cref="Db"/> before anything was written, and is answered here. A write that succeeded
    /// dirties the clients watching its keys.
    /// </summary>
    void Execute(Client c, CommandDef cmd, CommandArgs args)
    {
        // A fast command from a pipelined batch joins the run EndTimedRun times with one clock read;
        // anything else ends the run first (fast commands never block).
        bool joinsRun = BatchedArgs && (cmd.Flags & CommandFlags.Fast) != 0 && CurrentClient is null && _notableFromUs > 0 && ReferenceEquals(c, Batch.Owner);
        if (_runLength > 0 && !joinsRun) EndTimedRun();
        // This command's time runs from the end of the one before; EXEC's includes the commands it ran.
        long started = _commandClock;
        long errorsBefore = Stats.ErrorReplies, dirtyBefore = Dirty, nestedBefore = _nestedErrorReplies;
        var caller = CurrentClient;
        var callerArgs = CurrentArgs;
        bool callerWrites = _commandWrites;
        CurrentClient = c;
        CurrentArgs = args;
        _commandWrites = (cmd.Flags & CommandFlags.Write) != 0;
        RunProc(c, cmd, args);
        // Outside a nested call this stores null, which needs no GC write barrier (measured: the two
        // barriers per command were 1.3% of a -P 128 GET).
        if (caller is null) { CurrentClient = null; CurrentArgs = null; }
        else { CurrentClient = caller; CurrentArgs = callerArgs; }
        _commandWrites = callerWrites;
        TimeCall(c, cmd, args, started, joinsRun);
        // A script's commands count their own errors: EVAL failed only if its reply is an error.
        long nested = _nestedErrorReplies - nestedBefore;
        FinishCall(c, cmd, args, errorsBefore + nested, dirtyBefore);
        if (TrackingClients > 0)
        {
            // call(): a read remembers its keys for its client; a read inside a script makes the
            // script's caller track every key its EVAL/FCALL declared; EVAL_RO and the like track
            // nothing themselves, only through the reads they run.
            if ((cmd.Flags & CommandFlags.ReadOnly) != 0 && cmd.FullName is not ("eval_ro" or "evalsha_ro" or "fcall_ro")
                && RequestingClient(c) is { Tracking: not null } tracker)
            {
                if (ReferenceEquals(tracker, c)) RememberReadKeys(c, cmd, args);
                else if (tracker.LastCommand is { } script && callerArgs is not null) RememberReadKeys(tracker, script, callerArgs);
            }
            AfterTrackedCommand(c, cmd);
        }
    }

    /// <summary>The command's procedure; a wrong type is answered here. Apart so the callers' locals live in registers, not around a try.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    void RunProc(Client c, CommandDef cmd, CommandArgs args)
    {
        int views = Views.Lent;
        try
        {
            cmd.Proc!(c, args);
        }
        catch (WrongTypeException)
        {
            c.Reply.ErrorRaw(WrongTypeException.ReplyBytes);
        }
        // The views of compact collections this command got go back to the pool (a nested
        // command's only its own): the lent list stays a few entries long.
        Views.ReturnTo(views);
    }

    /// <summary>commandstats' calls and usec, the latency histogram, the slow log and the monitors.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    void TimeCall(Client c, CommandDef cmd, CommandArgs args, long started, bool joinsRun)
    {
        cmd.Calls++;
        if (joinsRun)
        {
            // Compared first: a pipeline repeats one command in the same slots, and an equal
            // reference needs no GC write barrier.
            if (!ReferenceEquals(_runCommands[_runLength], cmd)) _runCommands[_runLength] = cmd;
            if (!ReferenceEquals(_runArgs[_runLength], args)) _runArgs[_runLength] = args;
            _runLength++;
            if (!ReferenceEquals(_runClient, c)) _runClient = c;
            if (_runLength == _runCommands.Length) EndTimedRun();
        }
        else
        {
            // One clock read per command: it ends this command's time and starts the next one's
            // (measured: two reads per command were the largest single cost with -P 16).
            long now = Stopwatch.GetTimestamp(), ticks = now - started;
            cmd.Ticks += ticks;
            _commandClock = now;
            ObserveCall(c, cmd, args, ticks);
        }
    }

    /// <summary>
    /// call()'s end: failed_calls (its reply an error: more errors than <paramref name="errorsBefore"/>),
    /// the effect stream, and the keys a write signals.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    void FinishCall(Client c, CommandDef cmd, CommandArgs args, long errorsBefore, long dirtyBefore)
    {
        bool failed = Stats.ErrorReplies != errorsBefore || _failedWithoutCount;
        _failedWithoutCount = false;
        if (failed)
        {
            cmd.FailedCalls++;
            if ((c.Flags & ClientFlags.Master) != 0) PrimaryLink.CommandFailed(cmd.FullName, null);
        }
        Stats.CommandsProcessed++;
        // call()'s propagation: one branch while nothing listens to the effect stream (Server/Propagation.cs).
        // A command that lowered dirty (SAVE, DEBUG LOADAOF) changed nothing to propagate, as call() clamps it at 0.
        if (EffectSinks.Count > 0) PropagateCall(c, cmd, args, Dirty > dirtyBefore);
        // A command that blocked (BLMOVE waiting) wrote nothing yet: its keys are signalled when it is served.
        // One that left dirty alone changed nothing (SETNX on an existing key, DEL of a missing one):
        // Redis calls signalModifiedKey where it counts a change, so neither is signalled.
        if (!failed && (_watchingClients > 0 || TrackingClients > 0 || _blockedOnStreams > 0) && (cmd.Flags & CommandFlags.Write) != 0 && !_commandSignalsOwnKeys
            && Dirty > dirtyBefore && (c.Flags & ClientFlags.Blocked) == 0) TouchWrittenKeys(c, cmd, args);
        _commandSignalsOwnKeys = false;
    }

    // ---- the batch executor -------------------------------------------------------------------

    /// <summary>
    /// Whether processCommand's checks past the arity can refuse or hold nothing an ordinary client's
    /// data command asks: no cluster, no maxmemory, no tracking, no disk error, no min-replicas, not
    /// a replica, not loading, no busy script, no pause. Asked once per pipelined batch
    /// (<see cref="RunPlainRequests"/>); a data command cannot change any of it, and any other
    /// command clears it until the next batch.
    /// </summary>
    internal bool PlainDispatch;

    internal void RefreshPlainDispatch() => PlainDispatch =
        Cluster is null && Config.MaxMemory == 0 && TrackingClients == 0 && Config.MinReplicasToWrite == 0
        && !PrimaryLink.IsReplica && !Loading && !AsyncLoading && !ScriptTimedOut && Pause == PauseMode.None
        && WriteDeniedByDiskError() is null;

    /// <summary>What makes a client's commands go the whole way: reply modes, closing, a replica's or primary's link, MONITOR, blocked.</summary>
    const ClientFlags NotPlainClient = ClientFlags.ReplyOff | ClientFlags.ReplySkip | ClientFlags.ReplySkipNext | ClientFlags.CloseAfterReply
        | ClientFlags.CloseAsap | ClientFlags.Replica | ClientFlags.Master | ClientFlags.Monitor | ClientFlags.Blocked;

    /// <summary>
    /// Data commands (they read or write keys) that neither block, nor publish, nor administer: what
    /// a batch may run without processCommand's checks. None of them changes what those checks ask.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static bool IsPlainCommand(CommandDef cmd) =>
        (cmd.Flags & (CommandFlags.Write | CommandFlags.ReadOnly)) != 0
        && (cmd.Flags & (CommandFlags.Admin | CommandFlags.NoScript | CommandFlags.Blocking | CommandFlags.PubSub | CommandFlags.Protected | CommandFlags.NoMulti)) == 0
        && cmd.Subcommands is null;

    /// <summary>
    /// The batch executor: runs the batch's next requests while each is a plain data command of
    /// an ordinary client, with the checks asked once for the batch (<see cref="PlainDispatch"/>),
    /// the client set once, and call()'s own bookkeeping per command (<see cref="TimeCall"/>,
    /// <see cref="FinishCall"/>). Stops at the first other request, which processInputBuffer runs
    /// the whole way, and returns the query bytes the ones it ran took. Measured at -P 128 GET:
    /// processCommand's checks and call()'s nesting were ~15% of the server's CPU.
    /// </summary>
    internal int RunPlainRequests(Client c, PipelineBatch batch)
    {
        if (!PlainDispatch || (c.Flags & NotPlainClient) != 0 || c.Multi is not null || c.Subscriptions is not null
            || !c.Authenticated || c.User is { Unrestricted: false }) return 0;
        int consumed = 0;
        bool clientSet = false;
        while (batch.Next < batch.Count)
        {
            var args = batch.Peek;
            if (args.Count == 0 || Commands.Lookup(args[0]) is not { } cmd || !IsPlainCommand(cmd) || !cmd.ArityAccepts(args.Count)) break;
            (_, int length) = batch.Take(c);
            if (!ReferenceEquals(c.LastCommand, cmd)) c.LastCommand = cmd;
            bool joinsRun = (cmd.Flags & CommandFlags.Fast) != 0 && _notableFromUs > 0;
            if (_runLength > 0 && !joinsRun) EndTimedRun();
            long started = _commandClock, errorsBefore = Stats.ErrorReplies, dirtyBefore = Dirty;
            if (!clientSet) { CurrentClient = c; _batchRunning = clientSet = true; }
            _commandWrites = (cmd.Flags & CommandFlags.Write) != 0;
            RunProc(c, cmd, args);
            TimeCall(c, cmd, args, started, joinsRun);
            FinishCall(c, cmd, args, errorsBefore, dirtyBefore);
            consumed += length;
            if (c.Reply.ListNodes > 0) CheckOutputBufferLimits(c, async: true);
            if ((c.Flags & ClientFlags.CloseAsap) != 0) break;
            // A push that serves a blocked client runs that client's command: the rest goes the whole way.
            if (_readyKeys.Count > 0)
            {
                PlainDispatch = false;
                CurrentClient = null;
                _batchRunning = clientSet = false;
                HandleClientsBlockedOnKeys();
                break;
            }
        }
        if (clientSet) { CurrentClient = null; _batchRunning = false; }
        _commandWrites = false;
        return consumed;
    }

    /// <summary>
    /// writeCommandsDeniedByDiskError for a command about to run: the MISCONF error when the last
    /// background save failed (with stop-writes-on-bgsave-error and save points) or the AOF
    /// cannot be written, and the command is a write, an EXEC that queued one, or PING (as
    /// Redis, so a health check notices); null otherwise.
    /// </summary>
    internal string? DiskErrorFor(Client c, CommandDef cmd)
    {
        if (!RdbDiskError && Aof.State == AofState.Off) return null;
        // The primary's commands are obeyed whatever the disk says (Redis panics unless replica-ignore-disk-write-errors).
        if ((c.Flags & ClientFlags.Master) != 0) return null;
        if (!IsWrite(c, cmd) && cmd.FullName != "ping") return null;
        return WriteDeniedByDiskError();
    }

    /// <summary>checkGoodReplicasStatus: a replica, no min-replicas-to-write, or enough replicas acking within min-replicas-max-lag.</summary>
    internal bool EnoughGoodReplicas =>
        PrimaryLink.IsReplica || Config.MinReplicasMaxLag == 0 || Config.MinReplicasToWrite == 0 || Primary.GoodReplicas >= Config.MinReplicasToWrite;

    string? ReplicaRefusal(Client c, CommandDef cmd)
    {
        if (Config.ReplicaReadOnly && IsWrite(c, cmd)) return "-READONLY You can't write against a read only replica.";
        if (!Config.ReplicaServeStaleData && PrimaryLink.State != Replication.LinkState.Connected && LacksFlag(c, cmd, CommandFlags.Stale))
            return "-MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.";
        return null;
    }

    /// <summary>processCommand's is_write_command: flagged write, or an EXEC that queued one.</summary>
    static bool IsWrite(Client c, CommandDef cmd) =>
        (cmd.Flags & CommandFlags.Write) != 0 || (c.Multi is not null && cmd.FullName == "exec" && (c.Multi.QueuedFlags & CommandFlags.Write) != 0);

    /// <summary>writeCommandsDeniedByDiskError's error text for any write (a script that declared it may write asks before running).</summary>
    internal string? WriteDeniedByDiskError()
    {
        if (RdbDiskError) return MisconfRdb;
        return Aof.State == AofState.Off ? null : Aof.DiskError();
    }

    /// <summary>
    /// is_denyloading_command / is_denystale_command: the command lacks <paramref name="flag"/>, or is an
    /// EXEC that queued one that does (mstate.cmd_inv_flags).
    /// </summary>
    static bool LacksFlag(Client c, CommandDef cmd, CommandFlags flag)
    {
        if ((cmd.Flags & flag) == 0) return true;
        if (c.Multi is null || cmd.FullName != "exec") return false;
        foreach (var (queued, _) in c.Multi.Queued)
            if ((queued.Flags & flag) == 0) return true;
        return false;
    }

    /// <summary>DISK_ERROR_TYPE_RDB: one bool on the command path.</summary>
    internal bool RdbDiskError => !LastBgsaveOk && Config.StopWritesOnBgsaveError && Config.SaveParams.Count > 0;

    const string MisconfRdb = "-MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error.";

    /// <summary>
    /// processCommand's reject_cmd_on_oom: deny-oom commands, EXEC of a transaction that queued one
    /// (mstate.cmd_flags), and inside MULTI anything but EXEC, DISCARD, QUIT and RESET (queueing grows memory).
    /// </summary>
    static bool RejectedOnOom(Client c, CommandDef cmd)
    {
        if ((cmd.Flags & CommandFlags.DenyOom) != 0) return true;
        if (c.Multi is null) return false;
        if (cmd.FullName == "exec") return (c.Multi.QueuedFlags & CommandFlags.DenyOom) != 0;
        return cmd.FullName is not ("discard" or "quit" or "reset");
    }

    Client? _evictingFor;

    /// <summary>What of the replication buffers maxmemory counts: all but the replicas' own share (freeMemoryGetNotCountedMemory).</summary>
    long BacklogShareBytes()
    {
        long buffers = Primary.ReplicationBufferBytes;
        return buffers - Primary.ReplicasShareBytes(buffers);
    }
    bool _evictionProcRunning;

    /// <summary>
    /// performEvictions for the command of <paramref name="c"/> (null: from the eviction time
    /// proc). Used memory is the dataset plus the client's query buffer, so an argument larger
    /// than the room left is refused as Redis refuses it (its query buffer is in used_memory).
    /// Nothing is evicted while clients are paused. When the time budget runs out, a time event
    /// goes on evicting every loop turn until under the limit (startEvictionTimeProc).
    /// </summary>
    internal EvictionResult PerformEvictions(Client? c)
    {
        // isSafeToPerformEvictions: nothing is evicted while clients are paused or a file loads (a CONFIG SET maxmemory then must not cut into an AOF's replay).
        if (ClientsPaused || Loading) return EvictionResult.Ok;
        // replica-ignore-maxmemory: a replica's keys are its primary's to evict (it sends the DELs).
        if (PrimaryLink.IsReplica && Config.ReplicaIgnoreMaxmemory) return EvictionResult.Ok;
        _evictingFor = c;
        // performEvictions' "eviction-cycle" latency event, for a call that evicted something: the
        // clock is read only while latency-monitor-threshold is set (this runs before every command).
        long started = Config.LatencyMonitorThreshold != 0 ? Stopwatch.GetTimestamp() : 0, evictedBefore = Stats.EvictedKeys;
        var result = Eviction.MakeRoom(Databases, _usedMemory ??= () => UsedMemory() + (_evictingFor?.QueryBufferLength ?? 0) + BacklogShareBytes());
        _evictingFor = null;
        // performEvictions ends with propagatePendingCommands under propagate_no_multi: one DEL per evicted key.
        PropagatePendingEffects();
        if (started != 0 && Stats.EvictedKeys != evictedBefore) AddLatencySampleIfNeeded("eviction-cycle", Stopwatch.GetTimestamp() - started);
        if (result == EvictionResult.Running && !_evictionProcRunning)
        {
            _evictionProcRunning = true;
            Loop.CreateTimeEvent(0, (_, _) =>
            {
                if (Config.MaxMemory != 0 && PerformEvictions(null) == EvictionResult.Running) return 0;
                _evictionProcRunning = false;
                return Net.EventLoop.NoMore;
            });
        }
        return result;
    }

    /// <summary>The commands that run at once inside MULTI rather than being queued.</summary>
    static bool ControlsTransaction(CommandDef cmd) => cmd.FullName is "exec" or "discard" or "multi" or "watch" or "quit" or "reset";

    static bool AllowedWhileSubscribed(CommandDef cmd) => cmd.FullName is "ping" or "subscribe" or "ssubscribe" or "psubscribe"
        or "unsubscribe" or "sunsubscribe" or "punsubscribe" or "quit" or "reset";

    /// <summary>processCommand's -NOPERM texts for a denial.</summary>
    internal static string NoPermissionError(AclDenial denial, CommandDef cmd) => denial switch
    {
        AclDenial.Command => $"-NOPERM this user has no permissions to run the '{cmd.FullName}' command",
        AclDenial.Key => "-NOPERM this user has no permissions to access one of the keys used as arguments",
        AclDenial.Channel => "-NOPERM this user has no permissions to access one of the channels used as arguments",
        _ => "no permission",
    };

    /// <summary>
    /// addACLLogEntry: the object is the command's name, the key or channel refused, or AUTH's
    /// argv[0]; the client info is the script caller's when a script was refused.
    /// </summary>
    internal void LogAclDenial(Client c, AclDenial reason, AclLogContext context, CommandDef? cmd, CommandArgs? args, int position, byte[]? username = null, byte[]? obj = null)
    {
        var real = RequestingClient(c) ?? c;
        obj ??= reason switch
        {
            AclDenial.Command => System.Text.Encoding.Latin1.GetBytes(cmd!.FullName),
            AclDenial.Key or AclDenial.Channel => args![position].ToArray(),
            AclDenial.Auth => args![0].ToArray(),
            _ => [],
        };
        Acl.Log.Add(new AclLogEntry
        {
            Reason = reason, Context = context, Object = obj,
            Username = username ?? c.User?.NameBytes ?? [],
            // The refused command is the client's argv (argv-mem), though it never became the running
            // one; a script's caller's argv is its EVAL/FCALL, which is running.
            CreatedMs = UnixTimeMs, ClientInfo = ClientInfo.Line(real, context == AclLogContext.Lua ? null : args),
        }, Config.AclLogMaxLen);
    }


    /// <summary>
    /// rejectCommand: an error for a command that did not run; counted in total_error_replies.
    /// Inside MULTI it dooms the transaction (EXEC answers EXECABORT); a rejected EXEC itself
    /// discards the transaction with the reason.
    /// </summary>
    void RejectCommand(Client c, string error, CommandDef? cmd = null)
    {
        if (cmd is not null) cmd.RejectedCalls++;
        // A replica's primary gets no replies: a command it sent that is refused here is a divergence, logged.
        if ((c.Flags & ClientFlags.Master) != 0) PrimaryLink.CommandFailed(cmd?.FullName ?? "<unknown>", error);
        else if ((c.Flags & (ClientFlags.Replica | ClientFlags.Monitor)) == ClientFlags.Replica) Primary.ErrorToReplica(cmd?.FullName, error);
        bool muted = c.Reply.Muted;
        c.Reply.Muted = (c.Flags & (ClientFlags.ReplyOff | ClientFlags.Master | ClientFlags.Replica)) != 0;
        if (cmd?.FullName == "exec")
        {
            DiscardTransaction(c);
            c.Reply.Error($"-EXECABORT Transaction discarded because of: {error.TrimStart('-')}");
        }
        else
        {
            if (c.Multi is not null) c.Multi.Aborted = true;
            c.Reply.Error(error);
        }
        c.Reply.Muted = muted;
    }

    /// <summary>allowProtectedAction for DEBUG (enable-debug-command) and MODULE LOAD/LOADEX/UNLOAD (enable-module-command).</summary>
    bool AllowProtectedAction(Client c, CommandDef cmd) =>
        Config.AllowProtectedAction(cmd.FullName == "debug" ? Config.EnableDebugCommand : Config.EnableModuleCommand, IsLocalClient(c));

    static string UnknownCommandError(CommandArgs args)
    {
        var sb = new StringBuilder();
        for (int i = 1; i < args.Count && sb.Length < 128; i++)
        {
            int room = 128 - sb.Length;
            sb.Append('\'').Append(args.GetCString(i, room)).Append("' ");
        }
        return $"unknown command '{args.GetCString(0, 128)}', with args beginning with: {sb}";
    }

    long _lastSecurityWarningMs;

    /// <summary>securityWarningCommand: "POST" or "Host:" means an HTTP request; close with no reply, log at most once a minute.</summary>
    void SecurityWarning(Client c)
    {
        if (UnixTimeMs - _lastSecurityWarningMs > 60_000)
        {
            Log.Warning("Possible SECURITY ATTACK detected. It looks like somebody is sending POST or Host: commands to Redis. This is likely due to an attacker attempting to use Cross Protocol Scripting to compromise your Redis instance. Connection aborted.");
            _lastSecurityWarningMs = UnixTimeMs;
        }
        FreeClientAsync(c);
    }

    // ---- CLIENT PAUSE -------------------------------------------------------------------------

    bool IsPostponed(Client c, CommandDef cmd, CommandArgs args)
    {
        if (Pause == PauseMode.None) return false;
        if (Pause == PauseMode.All) return true;
        // WRITE mode holds back what may replicate: writes and the commands flagged may-replicate,
        // and EXEC of a transaction that queued any (processCommand reads mstate.cmd_flags).
        // A script may replicate unless it declared no-writes (a compat-mode EVAL always may), so a
        // manual failover's pause stops it too.
        const CommandFlags mayReplicate = CommandFlags.Write | CommandFlags.MayReplicate;
        if ((CommandFlagsOf(cmd, args) & mayReplicate) != 0) return true;
        return c.Multi is not null && cmd.FullName == "exec" && (c.Multi.QueuedFlags & mayReplicate) != 0;
    }

    /// <summary>The running command is flagged write (lookupKeyWrite's LOOKUP_WRITE, as far as a lookup can tell).</summary>
    bool _commandWrites;

    /// <summary>
    /// expireIfNeeded's refusals: a replica deletes no expired key (its primary's DEL will come), except for a
    /// write by its own client on a writable replica (EXPIRE_FORCE_DELETE_EXPIRED: INCR of an expired key
    /// starts a new one); nothing is deleted while clients are paused.
    /// </summary>
    bool DatasetFrozen() =>
        (PrimaryLink.IsReplica && !(_commandWrites && CurrentClient is { } c && (c.Flags & ClientFlags.Master) == 0)) || ClientsPaused;

    /// <summary>checkClientPauseTimeoutAndReturnIfPaused: while paused, keys neither expire nor are evicted.</summary>
    public bool ClientsPaused => Pause != PauseMode.None && UnixTimeMs <= PauseEndMs;

    /// <summary>
    /// client_pause_per_purpose: CLIENT PAUSE and FAILOVER pause independently (FAILOVER ABORT must not
    /// end a CLIENT PAUSE, nor CLIENT UNPAUSE a failover's); the pause in force is the strictest of them.
    /// </summary>
    readonly (long EndMs, PauseMode Mode)[] _pauses = new (long, PauseMode)[2];

    /// <summary>pauseClients: a purpose paused again keeps the later end and the stricter mode.</summary>
    public void PauseClients(PausePurpose purpose, long endMs, PauseMode mode)
    {
        ref var p = ref _pauses[(int)purpose];
        p = p.Mode == PauseMode.None ? (endMs, mode) : (Math.Max(p.EndMs, endMs), (PauseMode)Math.Max((int)p.Mode, (int)mode));
        UpdatePause();
    }

    /// <summary>unpauseClients: this purpose's pause ends; the others' may still hold.</summary>
    public void UnpauseClients(PausePurpose purpose)
    {
        if (_pauses[(int)purpose].Mode == PauseMode.None) return;
        _pauses[(int)purpose] = default;
        UpdatePause();
    }

    /// <summary>
    /// updateClientPauseTypeAndEndTime: the strictest unexpired pause and the furthest end among those of
    /// that mode. When it gets looser, postponed clients run what they had sent (and may be held again).
    /// </summary>
    void UpdatePause()
    {
        var old = Pause;
        var mode = PauseMode.None;
        long end = 0;
        for (int i = 0; i < _pauses.Length; i++)
        {
            if (_pauses[i].Mode == PauseMode.None) continue;
            if (_pauses[i].EndMs < UnixTimeMs) _pauses[i] = default;
            else if (_pauses[i].Mode > mode) mode = _pauses[i].Mode;
        }
        foreach (var p in _pauses)
            if (p.Mode == mode && p.EndMs > end) end = p.EndMs;
        Pause = mode;
        PauseEndMs = end;
        if (mode < old) ReleasePostponed();
    }

    /// <summary>A pause's end is checked by the cron (checkClientPauseTimeoutAndReturnIfPaused).</summary>
    void CheckPauseTimeout()
    {
        if (Pause != PauseMode.None && PauseEndMs < UnixTimeMs) UpdatePause();
    }

    /// <summary>unblockPostponedClients: every postponed client runs what it had sent again.</summary>
    void ReleasePostponed()
    {
        var released = _postponed.ToArray();
        _postponed.Clear();
        foreach (var c in released)
        {
            if (c.IsFreed) continue;
            c.Flags &= ~ClientFlags.Blocked;
            c.ProcessPendingInput();
        }
    }
}
