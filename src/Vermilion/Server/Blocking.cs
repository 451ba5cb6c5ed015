using Vermilion.Net;
using Vermilion.Protocol;
using Vermilion.Storage;

namespace Vermilion.Server;

/// <summary>
/// Clients blocked on keys (BLPOP, BLMOVE, BLMPOP, BZPOPMIN, ...), as Redis 7.0's blocked.c: a
/// client that finds nothing to take records the keys it waits for and sleeps without holding
/// the loop. When a key comes into being (<see cref="Db.KeyAdded"/>: a push, RENAME, MOVE, COPY,
/// RESTORE...) it is marked ready; after the command that did it completes, the clients blocked
/// on each ready key are served in the order they blocked (handleClientsBlockedOnKeys) by running
/// their command again, restricted to that key (see <see cref="IsServableKey"/>): Redis 7.0
/// serves a client from the key that became ready, not from the first of its keys that has data.
/// A client is served only when the key holds the type it waits for: Redis 7.0 leaves a BLPOP
/// client blocked when its key comes back as a string.
///
/// A family adding blocking commands (BZPOPMIN, BZMPOP, XREAD...) calls <see cref="BlockForKeys"/>
/// with its type, checks <see cref="IsServableKey"/> in its loop over keys and
/// <see cref="DeniesBlocking"/> before blocking.
///
/// A served, timed-out or CLIENT UNBLOCKed client is queued and goes on with the commands it sent
/// meanwhile from beforeSleep (processUnblockedClients), never in the middle of another client's
/// command. Timeouts sit in one ordered set (Redis's clients_timeout_table) behind a single timer.
/// </summary>
public sealed partial class VermilionServer
{
    sealed class BlockedOnKeys
    {
        public required Db Db;
        public required byte[][] Keys;
        public required byte[][] Argv;
        public required DataType Type;
        public required bool NullArrayOnTimeout;
        /// <summary>Unix ms; 0 = none; <see cref="long.MaxValue"/> = past the clock's range (in the table, never fires, as in Redis).</summary>
        public required long Deadline;
        /// <summary>CLIENT REPLY OFF/SKIP applied to the blocking command, so to its eventual reply.</summary>
        public required bool ReplyMuted;
    }

    readonly Dictionary<Client, BlockedOnKeys> _blockedOnKeys = new();
    /// <summary>Per database: key → clients blocked on it, oldest first.</summary>
    readonly Dictionary<int, Dictionary<byte[], List<Client>>> _blockingKeys = new();
    readonly List<(Db Db, byte[] Key)> _readyKeys = new();
    readonly List<Client> _unblockedClients = new();
    readonly SortedSet<(long Deadline, long ClientId)> _blockTimeouts = new();
    long _timeoutTimer, _timeoutTimerAt;
    readonly CommandArgs _blockedArgs = new();
    bool _servingBlocked, _stillBlocked;
    byte[]? _servingKey;
    /// <summary>Clients blocked in XREAD/XREADGROUP: while there are any, a stream key they wait on that is deleted or overwritten is signalled.</summary>
    int _blockedOnStreams;

    /// <summary>Clients blocked on keys (WAIT and CLIENT PAUSE count separately in blocked_clients).</summary>
    public int ClientsBlockedOnKeys => _blockedOnKeys.Count;

    /// <summary>clients_in_timeout_table: blocked clients with a timeout (on keys, or in WAIT).</summary>
    public int ClientsInTimeoutTable
    {
        get => _blockTimeouts.Count + WaitsWithTimeout();
    }

    /// <summary>
    /// Whether <paramref name="c"/> may not block: inside EXEC, Redis answers a blocking command
    /// that would block as if it timed out at once (CLIENT_DENY_BLOCKING).
    /// </summary>
    public bool DeniesBlocking(Client c) => (c.Flags & (ClientFlags.InExec | ClientFlags.DenyBlocking)) != 0;

    /// <summary>
    /// A multi-key blocking command checks each key with this: while a blocked client is served
    /// for a ready key, only that key may be taken from (Redis 7.0's serveClientsBlockedOnListKey
    /// pops from the ready key even when an earlier key of the command also has data).
    /// </summary>
    public bool IsServableKey(ReadOnlySpan<byte> key) => _servingKey is null || key.SequenceEqual(_servingKey);

    /// <summary>
    /// Whether the running command is a blocked client's, served later for a ready key: Redis serves
    /// those in blocked.c, not through the command, and propagates and counts them its own way.
    /// </summary>
    public bool ServingBlocked => _servingKey is not null;

    /// <summary>
    /// getTimeoutFromObjectOrReply for blocking commands: the absolute deadline in Unix ms (0 =
    /// forever), or false after replying Redis's error. Milliseconds that do not fit a long long
    /// come out negative in Redis (the C cast gives LLONG_MIN), so "negative" is their error too.
    /// </summary>
    public static bool TryParseBlockTimeout(Client c, ReadOnlySpan<byte> text, out long deadlineMs)
    {
        deadlineMs = 0;
        if (!TryParseTimeoutMilliseconds(text, out long ms))
        {
            c.Reply.Error("timeout is not a float or out of range");
            return false;
        }
        if (ms < 0)
        {
            c.Reply.Error("timeout is negative");
            return false;
        }
        if (ms > 0)
        {
            long now = c.Server.UnixTimeMs;
            // tval + mstime() overflows in Redis; the client then waits forever, still in the timeout table.
            deadlineMs = ms > long.MaxValue - now ? long.MaxValue : now + ms;
        }
        return true;
    }

    /// <summary>
    /// (long long)ceill(x * 1000.0) for the long double x that string2ld reads, in the x87's
    /// arithmetic (<see cref="LongDouble"/>: x rounded to a 64-bit significand, the product rounded
    /// again, half to even). So "-0.001" is forever (0.001L is a little under 0.001; ceill(-0.99…)
    /// is -0), exactly as in Redis. Infinities and milliseconds that do not fit a long long give
    /// <see cref="long.MinValue"/>, as the cast does.
    /// </summary>
    internal static bool TryParseTimeoutMilliseconds(ReadOnlySpan<byte> text, out long ms)
    {
        ms = 0;
        if (!LongDouble.TryParse(text, out var seconds)) return false;
        ms = (seconds * s_thousand).CeilingToInt64();
        return true;
    }

    static readonly LongDouble s_thousand = LongDouble.FromInteger(1000);

    /// <summary>
    /// blockForKeys: park <paramref name="c"/> until one of the keys at <paramref name="keyArgs"/>
    /// holds a <paramref name="type"/> or <paramref name="deadlineMs"/> passes (0 = never). On
    /// timeout the client gets a null array (Redis 7.0 answers so for every list and zset
    /// command, BLMOVE included) or, with <paramref name="nullArrayOnTimeout"/> false, a null. A
    /// client whose command is being served again and found nothing stays as it was.
    /// </summary>
    public void BlockForKeys(Client c, CommandArgs args, ReadOnlySpan<int> keyArgs, DataType type, long deadlineMs, bool nullArrayOnTimeout)
    {
        if (_servingBlocked && _blockedOnKeys.ContainsKey(c))
        {
            _stillBlocked = true;
            return;
        }
        // Inside EXEC nothing may wait (commands check DeniesBlocking first; this is the backstop).
        if (DeniesBlocking(c))
        {
            if (nullArrayOnTimeout) c.Reply.NullArray();
            else c.Reply.Null();
            return;
        }
        var argv = new byte[args.Count][];
        for (int i = 0; i < argv.Length; i++) argv[i] = args.ToArray(i);
        var keys = new byte[keyArgs.Length][];
        for (int i = 0; i < keys.Length; i++) keys[i] = argv[keyArgs[i]];
        if (!_blockingKeys.TryGetValue(c.Db.Id, out var byKey)) _blockingKeys[c.Db.Id] = byKey = new(ByteKeyComparer.Instance);
        foreach (var key in keys)
        {
            if (!byKey.TryGetValue(key, out var waiting)) byKey[key] = waiting = new();
            if (!waiting.Contains(c)) waiting.Add(c);
        }
        _blockedOnKeys[c] = new BlockedOnKeys
        {
            Db = c.Db, Keys = keys, Argv = argv, Type = type, NullArrayOnTimeout = nullArrayOnTimeout,
            Deadline = deadlineMs, ReplyMuted = c.Reply.Muted,
        };
        if (deadlineMs != 0) AddBlockTimeout(c, deadlineMs);
        if (type == DataType.Stream) _blockedOnStreams++;
        c.Flags |= ClientFlags.Blocked;
    }

    public enum UnblockReason { Served, Timeout, Error, RoleChange, Redirect }

    const string RoleChangeError = "-UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)";

    /// <summary>
    /// disconnectAllBlockedClients (a server turning replica): every client blocked on keys or in WAIT gets
    /// -UNBLOCKED and is closed after it; clients held by CLIENT PAUSE start over later, so they stay.
    /// </summary>
    internal void DisconnectAllBlockedClients()
    {
        foreach (var c in _blockedOnKeys.Keys.ToList())
        {
            UnblockOnKeys(c, UnblockReason.RoleChange);
            c.Flags |= ClientFlags.CloseAfterReply;
        }
        foreach (var c in _waitingForReplicas.Keys.ToList())
        {
            EndWaitForReplicas(c, unblockedByError: true, RoleChangeError);
            c.Flags |= ClientFlags.CloseAfterReply;
        }
    }

    /// <summary>
    /// unblockClient: forget the client's keys and timeout; on timeout or CLIENT UNBLOCK, reply as
    /// Redis does; then queue the client to go on with what it sent meanwhile. False if it was
    /// not blocked on keys.
    /// </summary>
    internal bool UnblockOnKeys(Client c, UnblockReason reason, string? redirection = null)
    {
        if (!_blockedOnKeys.Remove(c, out var state)) return false;
        if (state.Deadline != 0) _blockTimeouts.Remove((state.Deadline, c.Id));
        if (state.Type == DataType.Stream) _blockedOnStreams--;
        if (_blockingKeys.TryGetValue(state.Db.Id, out var byKey))
        {
            foreach (var key in state.Keys)
            {
                if (!byKey.TryGetValue(key, out var waiting)) continue;
                waiting.Remove(c);
                if (waiting.Count == 0) byKey.Remove(key);
            }
        }
        c.Flags &= ~ClientFlags.Blocked;
        if (c.IsFreed) return true;
        if (reason != UnblockReason.Served)
        {
            bool muted = c.Reply.Muted;
            c.Reply.Muted = state.ReplyMuted;
            if (reason == UnblockReason.Error) c.Reply.Error("-UNBLOCKED client unblocked via CLIENT UNBLOCK");
            else if (reason == UnblockReason.RoleChange) c.Reply.Error(RoleChangeError);
            else if (reason == UnblockReason.Redirect) c.Reply.Error(redirection!);
            else if (state.NullArrayOnTimeout) c.Reply.NullArray();
            else c.Reply.Null();
            c.Reply.Muted = muted;
        }
        if (!_unblockedClients.Contains(c)) _unblockedClients.Add(c);
        return true;
    }

    /// <summary>
    /// clusterRedirectBlockedClientIfNeeded, from clusterCron: a client blocked on keys whose slot
    /// this node no longer serves (or while the cluster is down) is answered the redirection
    /// <paramref name="redirection"/> gives for its first key, and unblocked.
    /// </summary>
    internal void RedirectBlockedClients(Func<Client, byte[], string?> redirection)
    {
        if (_blockedOnKeys.Count == 0) return;
        foreach (var (c, state) in _blockedOnKeys.ToArray())
            if (redirection(c, state.Keys[0]) is { } error) UnblockOnKeys(c, UnblockReason.Redirect, error);
    }

    /// <summary>CLIENT UNBLOCK: as Redis's updateStatsOnUnblock with had_errors set, the blocked command counts as failed even for TIMEOUT.</summary>
    internal bool UnblockByRequest(Client target, bool error)
    {
        if (!_blockedOnKeys.TryGetValue(target, out var state)) return false;
        UnblockOnKeys(target, error ? UnblockReason.Error : UnblockReason.Timeout);
        if (target.LastCommand is { } cmd)
        {
            cmd.FailedCalls++;
            _blockedArgs.SetAll(state.Argv);
            ObserveUnblocked(target, cmd, _blockedArgs, 0);
        }
        return true;
    }

    /// <summary>processUnblockedClients, from beforeSleep: unblocked clients run the commands they sent while blocked.</summary>
    internal void ProcessUnblockedClients()
    {
        while (_unblockedClients.Count > 0)
        {
            var c = _unblockedClients[0];
            _unblockedClients.RemoveAt(0);
            if (c.IsFreed) continue;
            if ((c.Flags & ClientFlags.Blocked) != 0) c.AfterCommands();
            else c.ProcessPendingInput();
        }
    }

    /// <summary>argv-mem in CLIENT LIST: a blocked client keeps its arguments, as Redis keeps its argv.</summary>
    internal long BlockedArgvBytes(Client c)
    {
        if (!_blockedOnKeys.TryGetValue(c, out var state)) return 0;
        long n = 0;
        foreach (var arg in state.Argv) n += arg.Length;
        return n;
    }

    // ---- timeouts ----

    void AddBlockTimeout(Client c, long deadline)
    {
        _blockTimeouts.Add((deadline, c.Id));
        if (_timeoutTimer != 0 && deadline >= _timeoutTimerAt) return;
        if (_timeoutTimer != 0) Loop.DeleteTimeEvent(_timeoutTimer);
        _timeoutTimerAt = deadline;
        _timeoutTimer = Loop.CreateTimeEvent(TimerDelay(deadline), (_, _) => HandleBlockedClientsTimeout());
    }

    /// <summary>A timer delay for a Unix-ms deadline; far deadlines are looked at again daily rather than overflowing the loop's clock.</summary>
    long TimerDelay(long deadline)
    {
        long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        // Redis unblocks once the deadline is in the past (timeout < now).
        return deadline >= now + 86_400_000 ? 86_400_000 : Math.Max(0, deadline - now + 1);
    }

    /// <summary>handleBlockedClientsTimeout: every client whose deadline has passed gets its timeout reply; the timer then waits for the next deadline.</summary>
    long HandleBlockedClientsTimeout()
    {
        long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        while (_blockTimeouts.Count > 0)
        {
            var (deadline, id) = _blockTimeouts.Min;
            if (deadline >= now) break;
            _blockTimeouts.Remove((deadline, id));
            if (FindClient(id) is { } c) UnblockOnKeys(c, UnblockReason.Timeout);
        }
        if (_blockTimeouts.Count == 0)
        {
            _timeoutTimer = 0;
            return EventLoop.NoMore;
        }
        _timeoutTimerAt = _blockTimeouts.Min.Deadline;
        return TimerDelay(_timeoutTimerAt);
    }

    // ---- ready keys ----

    /// <summary>signalKeyAsReady, from <see cref="Db.KeyAdded"/>: only keys someone waits for are remembered.</summary>
    public void SignalKeyAsReady(Db db, ReadOnlySpan<byte> key)
    {
        if (_blockedOnKeys.Count == 0 || !_blockingKeys.TryGetValue(db.Id, out var byKey)) return;
        var lookup = byKey.GetAlternateLookup<ReadOnlySpan<byte>>();
        if (!lookup.TryGetValue(key, out _, out var waiting) || waiting.Count == 0) return;
        foreach (var (readyDb, readyKey) in _readyKeys)
            if (readyDb == db && readyKey.AsSpan().SequenceEqual(key)) return;
        _readyKeys.Add((db, key.ToArray()));
    }

    /// <summary>
    /// signalDeletedKeyAsReady for streams (dbGenericDelete, dbSetValue): a key that clients wait on
    /// in XREAD/XREADGROUP was written and is no longer a stream (deleted, expired, overwritten), so
    /// the XREADGROUP clients can be failed (unblockDeletedStreamReadgroupClients).
    /// </summary>
    internal void SignalStreamKeyGone(Db db, ReadOnlySpan<byte> key)
    {
        if (_blockedOnStreams == 0) return;
        int index = db.Keys.Find(key);
        if (index >= 0 && db.Keys.Type(index) == DataType.Stream && db.IsLive(key)) return;
        SignalKeyAsReady(db, key);
    }

    /// <summary>scanDatabaseForDeletedStreams: before a flush (or a swap), the waited-on keys that are streams now and will not be after.</summary>
    internal void SignalStreamsGoing(Db emptied, Db? replacedWith)
    {
        if (_blockedOnStreams == 0 || !_blockingKeys.TryGetValue(emptied.Id, out var byKey)) return;
        foreach (var key in byKey.Keys.ToArray())
        {
            int was = emptied.Keys.Find(key);
            if (was < 0 || emptied.Keys.Type(was) != DataType.Stream) continue;
            int now = replacedWith?.Keys.Find(key) ?? -1;
            if (now >= 0 && replacedWith!.Keys.Type(now) == DataType.Stream) continue;
            SignalKeyAsReady(emptied, key);
        }
    }

    /// <summary>SWAPDB: every key of both databases that someone waits for may have become ready (scanDatabaseForReadyKeys).</summary>
    internal void SignalSwappedDatabases(Db a, Db b)
    {
        foreach (var db in new[] { a, b })
        {
            if (!_blockingKeys.TryGetValue(db.Id, out var byKey)) continue;
            // scanDatabaseForReadyKeys looks the key up without expiring it: an expired key is signalled too,
            // and its DEL goes out when the blocked client looks at it, after SWAPDB itself (the stream's order).
            foreach (var key in byKey.Keys)
                if (db.Keys.Find(key) >= 0) SignalKeyAsReady(db, key);
        }
    }

    /// <summary>
    /// handleClientsBlockedOnKeys: serve the clients blocked on each ready key, oldest first, by
    /// running their commands again. Serving may make further keys ready (BLMOVE pushes), which
    /// are served in the same pass, as Redis loops until no key is ready.
    /// </summary>
    internal void HandleClientsBlockedOnKeys()
    {
        if (_servingBlocked) return;
        _servingBlocked = true;
        // Outside call() Redis checks expiry against the real clock (fixed_time_expire is 0): a key that expired
        // during the command that made it ready (MULTI ... DEBUG SLEEP ... EXEC) is deleted, not served.
        UpdateCachedTime();
        var saved = CurrentClient;
        try
        {
            while (_readyKeys.Count > 0)
            {
                var (db, key) = _readyKeys[0];
                _readyKeys.RemoveAt(0);
                if (!_blockingKeys.TryGetValue(db.Id, out var byKey) || !byKey.TryGetValue(key, out var waiting)) continue;
                foreach (var c in waiting.ToArray())
                {
                    if (!_blockedOnKeys.TryGetValue(c, out var state)) continue;
                    int index = db.Lookup(key, touch: false);
                    // A stream reader decides for itself (blocked.c's stream cases): served when
                    // there is something past its ID, an XREADGROUP failed when its key or group
                    // went, else left blocked.
                    if (state.Type == DataType.Stream)
                    {
                        ServeBlocked(c, state, key);
                        continue;
                    }
                    if (index < 0) break;
                    // Each type serves only its own clients (a zset wakes BZPOPMIN, not BLPOP).
                    if (db.Keys.Type(index) != state.Type) continue;
                    ServeBlocked(c, state, key);
                }
                // The key may have expired when looked up: its DEL goes out (Redis's same edge case).
                PropagatePendingEffects();
            }
        }
        finally
        {
            _servingBlocked = false;
            CurrentClient = saved;
        }
    }


    /// <summary>Runs the blocked client's command again for <paramref name="key"/>; its first call already counted it in the command stats.</summary>
    void ServeBlocked(Client c, BlockedOnKeys state, byte[] key)
    {
        _blockedArgs.SetAll(state.Argv);
        var cmd = Commands.Lookup(_blockedArgs[0])!;
        CurrentClient = c;
        _stillBlocked = false;
        _servingKey = key;
        long errors = Stats.ErrorReplies;
        bool muted = c.Reply.Muted;
        c.Reply.Muted = state.ReplyMuted;
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        int views = Views.Lent;
        try
        {
            cmd.Proc!(c, _blockedArgs);
        }
        catch (WrongTypeException)
        {
            c.Reply.ErrorRaw(WrongTypeException.ReplyBytes);
        }
        finally
        {
            Views.ReturnTo(views);
            _servingKey = null;
            c.Reply.Muted = muted;
        }
        // afterCommand(receiver): what serving it changed goes out now, alone or in MULTI/EXEC.
        if (EffectSinks.Count > 0) EndServedCall(cmd);
        if (_stillBlocked) return;
        ObserveUnblocked(c, cmd, _blockedArgs, System.Diagnostics.Stopwatch.GetTimestamp() - started);
        // updateStatsOnUnblock: an error while serving (BLMOVE to a key of another type) fails the call.
        if (Stats.ErrorReplies != errors) cmd.FailedCalls++;
        else if (_watchingClients > 0 || TrackingClients > 0) TouchWrittenKeys(c, cmd, _blockedArgs);
        UnblockOnKeys(c, UnblockReason.Served);
        // afterCommand(receiver): its own invalidations (BLMOVE into a key it tracks) follow its reply.
        if (TrackingClients > 0) FlushOwnInvalidations(c);
    }
}
