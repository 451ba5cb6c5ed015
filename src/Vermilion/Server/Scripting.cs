using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Vermilion.Commands;
using Vermilion.Protocol;
using Vermilion.Scripting;

namespace Vermilion.Server;

/// <summary>The flags a script declares on its <c>#!lua flags=</c> line (script.h SCRIPT_FLAG_*).</summary>
[Flags]
public enum ScriptFlags
{
    None = 0,
    NoWrites = 1 << 0,
    AllowOom = 1 << 1,
    AllowStale = 1 << 2,
    NoCluster = 1 << 3,
    AllowCrossSlotKeys = 1 << 4,
    /// <summary>No shebang: 7.0's compatibility mode (OOM and write checks at the first write).</summary>
    EvalCompatMode = 1 << 5,
}

/// <summary>A cached script: its body (SCRIPT LOAD's or EVAL's), its flags, its compiled function.</summary>
public sealed class CachedScript(byte[] body, ScriptFlags flags, CompiledScript function)
{
    public byte[] Body { get; } = body;
    public ScriptFlags Flags { get; } = flags;
    public CompiledScript Function { get; } = function;
}

/// <summary>
/// EVAL's machinery (eval.c evalGenericCommand/luaCreateFunction, script.c scriptPrepareForRun
/// and scriptCall): the script cache (sha1 → script, unbounded, never persisted or replicated),
/// the shebang, and the run of one script: its commands go through the server's own dispatch
/// (<see cref="Execute"/>) from the script client, after scriptCall's checks. A script is atomic
/// because it runs inside the EVAL command on the loop thread. Its writes reach the effect stream
/// as themselves: the script client runs like a command of EXEC (InExec), so they collect as one
/// call's effects, and EVAL's own arguments are never propagated; the caller's call() hands them
/// to the sinks in MULTI/EXEC when there are several.
/// </summary>
public sealed partial class VermilionServer
{
    LuaEngine? _lua;
    readonly Dictionary<string, CachedScript> _scripts = new(StringComparer.Ordinal);
    long _scriptBodyBytes;
    ScriptRun? _scriptRun;
    /// <summary>redisLrand48's state outlives SCRIPT FLUSH (it is a C static in Redis).</summary>
    ulong? _randomState;

    /// <summary>Error replies counted inside the running script (its commands'); EVAL fails only by its own reply.</summary>
    long _nestedErrorReplies;
    /// <summary>EVAL answered an error already counted inside it: failed, not counted twice.</summary>
    bool _failedWithoutCount;

    /// <summary>server.pre_command_oom_state: memory was over maxmemory when the running command started.</summary>
    internal bool PreCommandOom;

    /// <summary>DEBUG SET-DISABLE-DENY-SCRIPTS (server.script_disable_deny_script): scripts may run noscript commands (the suite's DEBUG PROTOCOL tests).</summary>
    public bool ScriptDisableDenyScript { get; set; }

    public int CachedScripts => _scripts.Count;
    public long ScriptsBodyBytes => _scriptBodyBytes;
    public long LuaMemory => _lua?.UsedMemory ?? 0;
    /// <summary>A script is running (the loop is inside EVAL).</summary>
    public bool ScriptRunning => _scriptRun?.Active == true;
    /// <summary>server.script_caller for the script client (the client whose EVAL or FCALL runs), any other client itself.</summary>
    internal Client? RequestingClient(Client? c) =>
        c is not null && _scriptRun is { Active: true } run && run.IsScriptClient(c) ? run.Caller : c;
    /// <summary>FUNCTION STATS' view of the running script (an EVAL, or an FCALL with its name, arguments and time so far); null when none runs.</summary>
    public (bool Eval, string Name, CommandArgs? Command, long DurationMs)? RunningScript =>
        _scriptRun is { Active: true } run ? (run.EvalMode, run.Name, run.Command, run.ElapsedMs) : null;
    /// <summary>
    /// scriptIsTimedout (isInsideYieldingLongCommand for scripts): the running script passed
    /// busy-reply-threshold and the loop is served from its hook; only allow-busy commands run.
    /// </summary>
    public bool ScriptTimedOut => _scriptRun?.TimedOut == true;

    const string SlowEvalError = "-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.";
    const string SlowFunctionError = "-BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.";

    /// <summary>
    /// shared.slowevalerr / slowscripterr: the -BUSY text naming the KILL that stops the running
    /// script (SCRIPT KILL for EVAL, FUNCTION KILL for FCALL), for every check that refuses a
    /// command while a script is busy (processCommand, SHUTDOWN without NOSAVE, the wrong KILL).
    /// </summary>
    public string BusyError => _scriptRun?.EvalMode == false ? SlowFunctionError : SlowEvalError;

    /// <summary>
    /// scriptKill: SCRIPT KILL (<paramref name="byScriptKill"/>) or FUNCTION KILL. Nothing
    /// running: NOTBUSY; a script that wrote cannot be undone: UNKILLABLE; the wrong KILL for the
    /// kind running: the BUSY text naming the right one. Otherwise the script stops at its next
    /// hook and its caller gets "Script killed by user with SCRIPT KILL...".
    /// </summary>
    public void KillScript(Client c, bool byScriptKill)
    {
        var run = _scriptRun;
        if (run is null || !run.Active)
        {
            c.Reply.Error("-NOTBUSY No scripts in execution right now.");
            return;
        }
        if (run.WroteDirty)
        {
            c.Reply.Error("-UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.");
            return;
        }
        if (byScriptKill != run.EvalMode)
        {
            c.Reply.Error(BusyError);
            return;
        }
        run.Killed = true;
        c.Reply.Ok();
    }

    LuaEngine Lua => _lua ??= new LuaEngine();

    /// <summary>sha1hex of a body, lowercase.</summary>
    public static string ScriptSha(ReadOnlySpan<byte> body)
    {
        Span<byte> hash = stackalloc byte[20];
        SHA1.HashData(body, hash);
        return Convert.ToHexStringLower(hash);
    }

    /// <summary>
    /// luaCreateFunction: the cached script of <paramref name="body"/>, compiling and caching it
    /// the first time; null after replying the error (shebang or compile).
    /// </summary>
    public CachedScript? LoadScript(Client c, ReadOnlySpan<byte> body, string? sha = null)
    {
        sha ??= ScriptSha(body);
        if (_scripts.TryGetValue(sha, out var cached)) return cached;
        var flags = ParseShebang(body, out int skip, out string? error);
        if (error is not null)
        {
            c.Reply.Error(error);
            return null;
        }
        var function = Lua.Compile(body[skip..], out error);
        if (function is null)
        {
            c.Reply.Error(error!);
            return null;
        }
        var script = new CachedScript(body.ToArray(), flags, function);
        _scripts[sha] = script;
        _scriptBodyBytes += body.Length;
        return script;
    }

    /// <summary>The cached script of a sha1 as a client typed it (any case); no allocation.</summary>
    public CachedScript? FindScript(ReadOnlySpan<byte> sha)
    {
        if (sha.Length != 40) return null;
        Span<char> lower = stackalloc char[40];
        for (int i = 0; i < 40; i++) lower[i] = (char)(sha[i] is >= (byte)'A' and <= (byte)'Z' ? sha[i] + 32 : sha[i]);
        return _scripts.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(lower, out var s) ? s : null;
    }

    /// <summary>
    /// getCommandFlags: a command's flags, where a script that declared no-writes drops may-replicate
    /// (scriptFlagsToCmdFlags); compat mode and scripts that may write keep it.
    /// </summary>
    internal CommandFlags CommandFlagsOf(Commands.CommandDef cmd, CommandArgs a) =>
        cmd.FullName is "eval" or "evalsha" or "fcall" && !ScriptMayWrite(cmd, a) ? cmd.Flags & ~CommandFlags.MayReplicate : cmd.Flags;

    /// <summary>
    /// evalGetCommandFlags / fcallGetCommandFlags, as far as CLIENT PAUSE WRITE needs them: whether
    /// the script or function may write (no no-writes flag; compat mode always may). An unknown
    /// script or function is held as a write (it will fail anyway once run).
    /// </summary>
    internal bool ScriptMayWrite(Commands.CommandDef cmd, CommandArgs a, bool compatWrites = true)
    {
        if (a.Count < 2) return true;
        ScriptFlags flags;
        if (cmd.FullName == "fcall")
        {
            var name = Encoding.Latin1.GetString(a[1]);
            if (!_functionSet.Functions.TryGetValue(name, out var function)) return true;
            flags = function.Flags;
        }
        else if (cmd.FullName == "evalsha")
        {
            if (FindScript(a[1]) is not { } script) return true;
            flags = script.Flags;
        }
        else flags = ParseShebang(a[1], out _, out _);
        // A compat-mode script keeps EVAL's own flags: may-replicate (held by a pause), not write (routing).
        if ((flags & ScriptFlags.EvalCompatMode) != 0) return compatWrites;
        return (flags & ScriptFlags.NoWrites) == 0;
    }

    /// <summary>
    /// evalExtractShebangFlags: a body starting "#!" names its engine and flags on that line;
    /// <paramref name="skip"/> is the line's length without its newline (the newline stays, so
    /// line numbers in errors do not move). No shebang: compatibility mode.
    /// </summary>
    static ScriptFlags ParseShebang(ReadOnlySpan<byte> body, out int skip, out string? error)
    {
        skip = 0;
        error = null;
        if (!body.StartsWith("#!"u8)) return ScriptFlags.EvalCompatMode;
        int end = body.IndexOf((byte)'\n');
        if (end < 0) end = body.Length;
        skip = end;
        var parts = Encoding.Latin1.GetString(body[2..end]).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0 || parts[0] != "lua")
        {
            error = $"Unexpected engine in script shebang: #!{(parts.Length == 0 ? "" : parts[0])}";
            return 0;
        }
        var flags = ScriptFlags.None;
        for (int i = 1; i < parts.Length; i++)
        {
            if (!parts[i].StartsWith("flags=", StringComparison.Ordinal))
            {
                error = $"Unknown lua shebang option: {parts[i]}";
                return 0;
            }
            foreach (var f in parts[i]["flags=".Length..].Split(',', StringSplitOptions.RemoveEmptyEntries))
            {
                switch (f)
                {
                    case "no-writes": flags |= ScriptFlags.NoWrites; break;
                    case "allow-oom": flags |= ScriptFlags.AllowOom; break;
                    case "allow-stale": flags |= ScriptFlags.AllowStale; break;
                    case "no-cluster": flags |= ScriptFlags.NoCluster; break;
                    case "allow-cross-slot-keys": flags |= ScriptFlags.AllowCrossSlotKeys; break;
                    default:
                        error = $"Unexpected flag in script shebang: {f}";
                        return 0;
                }
            }
        }
        return flags;
    }

    /// <summary>
    /// The numkeys of EVAL's and FCALL's families (argument 2): an integer (else
    /// <paramref name="notInteger"/>, which the two word differently), at most the arguments after
    /// it and not negative, checked in that order as Redis does; false once the error is replied.
    /// </summary>
    static bool TryNumKeys(Client c, CommandArgs a, string notInteger, out long numkeys)
    {
        if (!IntegerText.TryParse(a[2], out numkeys))
        {
            c.Reply.Error(notInteger);
            return false;
        }
        if (numkeys > a.Count - 3)
        {
            c.Reply.Error("Number of keys can't be greater than number of args");
            return false;
        }
        if (numkeys < 0)
        {
            c.Reply.Error("Number of keys can't be negative");
            return false;
        }
        return true;
    }

    /// <summary>
    /// evalGenericCommand for EVAL/EVALSHA/EVAL_RO/EVALSHA_RO: numkeys, the script (compiled now
    /// for EVAL, looked up for EVALSHA), scriptPrepareForRun's checks, then the run.
    /// </summary>
    public void Eval(Client c, CommandArgs a, bool bySha, bool readOnly)
    {
        FeedMonitorsBeforeScript(c, a);
        // evalShaCommand: a SHA that is not 40 bytes long cannot match, and says so before numkeys is read.
        if (bySha && a.Length(1) != 40)
        {
            c.Reply.ErrorRaw("-NOSCRIPT No matching script. Please use EVAL.\r\n"u8);
            return;
        }
        if (!TryNumKeys(c, a, "value is not an integer or out of range", out long numkeys)) return;
        Span<byte> shaBytes = stackalloc byte[40];
        ReadOnlySpan<byte> sha = shaBytes;
        CachedScript? script;
        if (bySha)
        {
            script = FindScript(a[1]);
            if (script is null)
            {
                c.Reply.ErrorRaw("-NOSCRIPT No matching script. Please use EVAL.\r\n"u8);
                return;
            }
            for (int i = 0; i < 40; i++) shaBytes[i] = (byte)(a[1][i] | 0x20);
        }
        else
        {
            var hex = ScriptSha(a[1]);
            script = LoadScript(c, a[1], hex);
            if (script is null) return;
            Encoding.ASCII.GetBytes(hex, shaBytes);
        }
        var flags = script.Flags;
        if (!MayRun(c, flags, readOnly)) return;
        RunScript(c, script, sha, a, (int)numkeys, readOnly || (flags & ScriptFlags.NoWrites) != 0);
    }

    /// <summary>
    /// evalCommand/fcallCommand feed MONITOR themselves, before running (they are flagged skip-monitor),
    /// so a script's commands appear after the script.
    /// </summary>
    internal void FeedMonitorsBeforeScript(Client c, CommandArgs a)
    {
        if (_monitors.Count > 0 && Commands.Lookup(a[0]) is { } cmd) FeedMonitors(c, c.DbIndex, cmd, a);
    }

    /// <summary>
    /// scriptPrepareForRun's checks of a script's declared flags (EVAL's shebang, a function's
    /// registration): one that may write needs a writable server, an *_RO command, and memory
    /// under maxmemory unless it allows OOM. False after replying the error.
    /// </summary>
    internal bool MayRun(Client c, ScriptFlags flags, bool readOnly)
    {
        if ((flags & ScriptFlags.EvalCompatMode) != 0) return true;
        if ((flags & ScriptFlags.NoCluster) != 0 && Cluster is not null)
        {
            c.Reply.Error("Can not run script on cluster, 'no-cluster' flag is set.");
            return false;
        }
        bool obeyed = (c.Flags & ClientFlags.Master) != 0;
        if (PrimaryLink.IsReplica && !Config.ReplicaServeStaleData && PrimaryLink.State != Replication.LinkState.Connected
            && !obeyed && (flags & ScriptFlags.AllowStale) == 0)
        {
            c.Reply.Error("-MASTERDOWN Link with MASTER is down, replica-serve-stale-data is set to 'no' and 'allow-stale' flag is not set");
            return false;
        }
        if ((flags & ScriptFlags.NoWrites) != 0) return true;
        if (PrimaryLink.IsReplica && Config.ReplicaReadOnly && !obeyed)
        {
            c.Reply.Error("-READONLY Can not run script with write flag on readonly replica");
            return false;
        }
        if (!obeyed && WriteDeniedByDiskError() is { } diskError)
        {
            c.Reply.Error(diskError);
            return false;
        }
        if (readOnly)
        {
            c.Reply.Error("Can not execute a script with write flag using *_ro command.");
            return false;
        }
        // checkGoodReplicasStatus: a script that may write needs min-replicas-to-write good replicas, as a write command does.
        if (!EnoughGoodReplicas)
        {
            c.Reply.Error("-NOREPLICAS Not enough good replicas to write.");
            return false;
        }
        // scriptFlagsToCmdFlags makes such a script deny-oom: processCommand's OOM error.
        if ((flags & ScriptFlags.AllowOom) == 0 && PreCommandOom)
        {
            c.Reply.Error(s_oomError);
            return false;
        }
        return true;
    }

    void RunScript(Client c, CachedScript script, ReadOnlySpan<byte> sha, CommandArgs a, int numkeys, bool readOnly)
    {
        var run = _scriptRun ??= new ScriptRun(this);
        var lua = Lua;
        if (_randomState is { } state)
        {
            lua.RandomState = state;
            _randomState = null;
        }
        run.Begin(c, script.Flags, readOnly);
        run.SetName("f_"u8, sha);
        try
        {
            lua.Run(script.Function, sha, a, 3, numkeys, run, c.Reply);
        }
        finally
        {
            run.End();
        }
        // The script's commands were propagated as themselves; EVAL itself never is.
        PreventPropagation();
    }

    /// <summary>SCRIPT FLUSH: the whole VM goes (scriptingReset), the cache with it.</summary>
    public void FlushScripts()
    {
        ScriptDisableDenyScript = false;
        if (_lua is not null) _randomState = _lua.RandomState;
        _lua?.Dispose();
        _lua = null;
        _scripts.Clear();
        _scriptBodyBytes = 0;
    }

    /// <summary>
    /// One script's run and the host side of its redis.* calls: the script client (a client with
    /// no connection, like the AOF's replay client: its replies are read back, never sent), the
    /// run's flags, and scriptCall's checks before each command.
    /// </summary>
    sealed class ScriptRun : IScriptHost
    {
        /// <summary>Redis 7.0's scripting client takes id 1 at startup (so the first connection is 3).</summary>
        const long ScriptClientId = 1;
        readonly VermilionServer _server;
        readonly Client _client;
        byte[] _copy = new byte[1024];
        ScriptFlags _flags;
        bool _readOnly, _wroteDirty;
        int _replFlags;
        Client? _caller;
        public bool Active;
        /// <summary>SCRIPT_EVAL_MODE: an EVAL (SCRIPT KILL stops it), not an FCALL (FUNCTION KILL). Set before <see cref="Begin"/>; reset to true by <see cref="End"/>.</summary>
        public bool EvalMode = true;
        /// <summary>SCRIPT_TIMEDOUT: past busy-reply-threshold, the caller protected, the loop served from the hook.</summary>
        public bool TimedOut;
        /// <summary>SCRIPT_KILLED: SCRIPT KILL asked; the hook stops the script.</summary>
        public bool Killed;
        /// <summary>run_ctx->start_time (Stopwatch ticks), and the name the slow-script log line gives.</summary>
        long _started;
        byte[] _nameBytes = new byte[42];
        int _nameLength;

        public Client? Caller => _caller;
        public bool IsScriptClient(Client c) => ReferenceEquals(c, _client);
        /// <summary>SCRIPT_WRITE_DIRTY: the script ran a write command; SCRIPT KILL refuses it.</summary>
        public bool WroteDirty => _wroteDirty;
        /// <summary>An FCALL's arguments while it runs (FUNCTION STATS' running_script command); null for EVAL.</summary>
        public CommandArgs? Command;
        /// <summary>The running script's name (the function's, for FUNCTION STATS).</summary>
        public string Name => Encoding.Latin1.GetString(_nameBytes, 0, _nameLength);
        /// <summary>How long it has run, in ms (FUNCTION STATS' duration_ms).</summary>
        public long ElapsedMs => (Stopwatch.GetTimestamp() - _started) * 1000 / Stopwatch.Frequency;

        public ScriptRun(VermilionServer server)
        {
            _server = server;
            _client = new Client(server, null, ScriptClientId) { Flags = ClientFlags.DenyBlocking | ClientFlags.InExec | ClientFlags.Script };
        }

        public int Resp
        {
            get => _client.Reply.Resp;
            set => _client.Reply.Resp = value;
        }

        public void Begin(Client caller, ScriptFlags flags, bool readOnly)
        {
            _caller = caller;
            _flags = flags;
            _readOnly = readOnly;
            _wroteDirty = false;
            _replFlags = 3;
            _started = Stopwatch.GetTimestamp();
            Active = true;
            _client.SelectDb(caller.DbIndex);
            _client.Reply.Resp = 2;
            _client.Reply.Discard();
        }

        public void End()
        {
            _client.Reply.Discard();
            // scriptResetRun: a script that timed out gives the loop back and its caller its events.
            if (TimedOut)
            {
                TimedOut = false;
                if (_caller is not null) _server.UnprotectClient(_caller);
            }
            Killed = false;
            EvalMode = true;
            Command = null;
            _nameLength = 0;
            _caller = null;
            Active = false;
        }

        /// <summary>The script's name for the slow-script log line (lua_cur_script: f_&lt;sha&gt; for EVAL), copied without allocating per run.</summary>
        public void SetName(ReadOnlySpan<byte> prefix, ReadOnlySpan<byte> name)
        {
            if (_nameBytes.Length < prefix.Length + name.Length) _nameBytes = new byte[prefix.Length + name.Length];
            prefix.CopyTo(_nameBytes);
            name.CopyTo(_nameBytes.AsSpan(prefix.Length));
            _nameLength = prefix.Length + name.Length;
        }

        /// <summary>
        /// scriptInterrupt: below busy-reply-threshold nothing happens; past it the script is timed
        /// out (logged once, the caller protected as protectClient does, so it can neither be read
        /// nor freed under the running command), and each hook serves the loop once
        /// (processEventsWhileBlocked). Stops the script when SCRIPT KILL asked, or the server is
        /// shutting down (SHUTDOWN NOSAVE from the loop, or the server disposed: Redis exits).
        /// </summary>
        public bool Interrupt()
        {
            var server = _server;
            if (Killed || server._shutDown || server.Loop.StopRequested) return true;
            if (!TimedOut)
            {
                long threshold = server.Config.BusyReplyThreshold;
                if (threshold <= 0) return false;
                long elapsed = (long)Stopwatch.GetElapsedTime(_started).TotalMilliseconds;
                if (elapsed < threshold) return false;
                server.Log.Warning($"Slow script detected: still in execution after {elapsed} milliseconds. You can try killing the script using the {(EvalMode ? "SCRIPT KILL" : "FUNCTION KILL")} command. Script name is: {Encoding.Latin1.GetString(_nameBytes, 0, _nameLength)}.");
                TimedOut = true;
                server.BlockingOperationStarts();
                if (_caller is not null && (_caller.Flags & ClientFlags.Protected) == 0) server.ProtectClient(_caller);
            }
            // Errors other clients get meanwhile (-BUSY) are theirs, not the running EVAL's.
            long errorsBefore = server.Stats.ErrorReplies;
            server.ProcessEventsWhileBlocked();
            server._nestedErrorReplies += server.Stats.ErrorReplies - errorsBefore;
            if (Killed) server.Log.Warning("Lua script killed by user with SCRIPT KILL.");
            return Killed || server._shutDown || server.Loop.StopRequested;
        }

        public ReadOnlySpan<byte> Call(CommandArgs args)
        {
            var server = _server;
            long errorsBefore = server.Stats.ErrorReplies;
            var reply = Run(args);
            // Errors inside the script are the script's commands', not EVAL's (Execute tells them apart).
            server._nestedErrorReplies += server.Stats.ErrorReplies - errorsBefore;
            return reply;
        }

        public void CountError(ReadOnlySpan<byte> error)
        {
            _server.Stats.CountError(error);
            _server._nestedErrorReplies++;
        }

        public void FailedWithoutCount() => _server._failedWithoutCount = true;

        ReadOnlySpan<byte> Run(CommandArgs args)
        {
            var server = _server;
            var c = _client;
            c.Reply.Discard();
            var cmd = server.Commands.Lookup(args[0]);
            if (cmd is not null && cmd.Subcommands is not null && args.Count >= 2) cmd = CommandTable.LookupSub(cmd, args[1]);
            if (cmd is null) return CheckError("-ERR Unknown Redis command called from script\r\n"u8);
            // From here a refusal is the command's rejected call (scriptCall's incrCommandStatsOnError(cmd, ERROR_COMMAND_REJECTED)).
            if (!cmd.ArityAccepts(args.Count)) return Reject(cmd, "-ERR Wrong number of args calling Redis command from script\r\n"u8);
            if ((cmd.Flags & CommandFlags.NoScript) != 0 && !server.ScriptDisableDenyScript) return Reject(cmd, "-ERR This Redis command is not allowed from script\r\n"u8);
            // scriptVerifyACL: the caller's user, its denial logged with the lua context.
            if (_caller?.User is { Unrestricted: false } user && server.Acl.Check(user, cmd, args, 0, out int position) is not Security.AclDenial.None and var denial)
            {
                server.LogAclDenial(_caller, denial, Security.AclLogContext.Lua, cmd, args, position, obj: denial == Security.AclDenial.Command ? null : args[position].ToArray());
                return Reject(cmd, ErrorBytes("The user executing the script " + Security.Acl.ScriptDenialText(denial)));
            }
            // scriptVerifyWriteCommandAllow
            if (_readOnly && (cmd.Flags & (CommandFlags.Write | CommandFlags.MayReplicate)) != 0)
                return Reject(cmd, "-ERR Write commands are not allowed from read-only scripts.\r\n"u8);
            if ((cmd.Flags & CommandFlags.Write) != 0 && !_wroteDirty)
            {
                // A compat-mode script learns at its first write what a declared one learned before running.
                if (server.PrimaryLink.IsReplica && server.Config.ReplicaReadOnly && (_caller?.Flags & ClientFlags.Master) == 0)
                    return Reject(cmd, "-READONLY You can't write against a read only replica.\r\n"u8);
                if (server.DiskErrorFor(c, cmd) is { } diskError) return Reject(cmd, ErrorBytes(diskError));
                if (!server.EnoughGoodReplicas) return Reject(cmd, "-NOREPLICAS Not enough good replicas to write.\r\n"u8);
            }
            // scriptVerifyOOM: a deny-oom command while memory was over the limit when EVAL started,
            // unless the script declared allow-oom or already wrote (it cannot stop half-way).
            if ((_flags & ScriptFlags.AllowOom) == 0 && server.Config.MaxMemory != 0 && !_wroteDirty && server.PreCommandOom
                && (cmd.Flags & CommandFlags.DenyOom) != 0)
                return Reject(cmd, ErrorBytes(s_oomError));
            if ((cmd.Flags & CommandFlags.Write) != 0) _wroteDirty = true;
            // scriptVerifyClusterState: in cluster mode, only local keys, in one slot unless the script allows crossing.
            if (server.Cluster is { } cluster && _caller is not null
                && cluster.ScriptCommandRefusal(_caller, cmd, args, (_flags & (ScriptFlags.EvalCompatMode | ScriptFlags.AllowCrossSlotKeys)) != 0) is { } clusterError)
                return Reject(cmd, ErrorBytes(clusterError));
            c.LastCommand = cmd;
            int effects = server._effectCount, effectBytes = server._effectLength;
            server.Execute(c, cmd, args);
            // redis.set_repl without REPL_AOF: what this command propagated is dropped (one stream serves the AOF and replicas alike).
            if ((_replFlags & 1) == 0 && server._effectCount > effects)
            {
                server._effectCount = effects;
                server._effectLength = effectBytes;
            }
            return ReplyBytes();
        }

        /// <summary>scriptCall's refusals are counted as error replies (the command's rejected call, as processCommand's).</summary>
        ReadOnlySpan<byte> CheckError(ReadOnlySpan<byte> resp)
        {
            _server.Stats.CountError(resp[1..]);
            return resp;
        }

        ReadOnlySpan<byte> Reject(CommandDef cmd, ReadOnlySpan<byte> resp)
        {
            cmd.RejectedCalls++;
            return CheckError(resp);
        }

        ReadOnlySpan<byte> ErrorBytes(string error)
        {
            var text = (error.StartsWith('-') ? error : "-ERR " + error) + "\r\n";
            return Encoding.Latin1.GetBytes(text);
        }

        /// <summary>The script client's reply, contiguous: the first buffer itself when it all fits there.</summary>
        ReadOnlySpan<byte> ReplyBytes()
        {
            var reply = _client.Reply;
            if (reply.ListNodes == 0) return reply.Pending;
            int total = 0;
            while (reply.HasPending)
            {
                var part = reply.Pending;
                if (total + part.Length > _copy.Length) Array.Resize(ref _copy, Math.Max(_copy.Length * 2, total + part.Length));
                part.CopyTo(_copy.AsSpan(total));
                total += part.Length;
                reply.Consume(part.Length);
            }
            return _copy.AsSpan(0, total);
        }

        public bool? AclCheck(CommandArgs args)
        {
            var cmd = _server.Commands.Lookup(args[0]);
            if (cmd is not null && cmd.Subcommands is not null && args.Count >= 2) cmd = CommandTable.LookupSub(cmd, args[1]);
            if (cmd is null) return null;
            // luaRedisAclCheckCmdPermissionsCommand: the caller's user.
            return _caller?.User is not { Unrestricted: false } user || _server.Acl.Check(user, cmd, args, 0, out _) == Security.AclDenial.None;
        }

        public void Log(int level, string message)
        {
            var log = _server.Log;
            switch (level)
            {
                case 0: log.Debug(message); break;
                case 1: log.Verbose(message); break;
                case 2: log.Notice(message); break;
                default: log.Warning(message); break;
            }
        }

        public void SetReplication(int flags) => _replFlags = flags;
    }
}
