using Vermilion.Commands;
using Vermilion.Persistence;
using Vermilion.Protocol;
using Vermilion.Storage;

namespace Vermilion.Server;

/// <summary>
/// The server's side of the AOF (aof.c and the parts of server.c, config.c and networking.c
/// that call it): loading at startup, the flush in beforeSleep, serverCron's steps, CONFIG SET
/// appendonly and the fake client that replays an AOF. The AOF itself (its
/// buffer, files, manifest and rewrite) is <see cref="AppendOnlyFile"/>.
/// </summary>
public sealed partial class VermilionServer
{
    /// <summary>The AOF: an effect sink while appendonly is on, and the INFO persistence aof_* values.</summary>
    public AppendOnlyFile Aof { get; }

    /// <summary>
    /// hasActiveChildProcess: a rewrite or a background save is writing the dataset out; another
    /// cannot start, and no-appendfsync-on-rewrite holds back fsyncs.
    /// </summary>
    public bool HasActiveChildProcess => Aof.RewriteInProgress || _snapshot is not null;

    /// <summary>
    /// main()'s loading steps, once the server listens (clients get -LOADING meanwhile):
    /// aofLoadManifestFromDisk (always: a manifest that does not parse is fatal even with
    /// appendonly no), the base and incr files when appendonly is yes (loadDataFromDisk), else
    /// the RDB file, aofOpenIfNeededOnServerStart, aofDelHistoryFiles. Throws
    /// <see cref="ServerStartException"/> once the reasons are logged: Redis's exit(1), the
    /// server never starts with part of the data. A SHUTDOWN or a signal during the load stops it
    /// and returns (Redis exits 0 from inside the load): nothing is opened or saved then.
    /// </summary>
    public void LoadDataFromDisk()
    {
        try
        {
            Aof.LoadManifestFromDisk();
            if (Aof.State == AofState.On)
            {
                var replay = new AofReplayClient(this);
                try { Aof.LoadOnStart(replay); }
                finally { replay.Release(); }
            }
            else if (!LoadRdbOnStart()) throw new AofStartupException();
            if (LoadInterrupted) return;
            Aof.OpenOnServerStart();
            Aof.DeleteHistoryFiles();
        }
        catch (AofStartupException e)
        {
            if (LoadInterrupted) return;
            throw new ServerStartException(e.Message, logged: true);
        }
    }

    /// <summary>run_with_period(ms) for serverCron: true on the cron runs that fall every <paramref name="ms"/>.</summary>
    bool RunWithPeriod(int ms)
    {
        int period = 1000 / EffectiveHz;
        return ms <= period || _cronLoops % (ms / period) == 0;
    }

    /// <summary>CONFIG SET appendonly (updateAppendonly): start or stop the AOF.</summary>
    internal string? ApplyAppendOnly()
    {
        if (!Config.AppendOnly && Aof.State != AofState.Off) Aof.Stop();
        else if (Config.AppendOnly && Aof.State == AofState.Off && !Aof.Start(inExec: (CurrentClient?.Flags & ClientFlags.InExec) != 0))
            return "Unable to turn on AOF. Check server logs.";
        return null;
    }

    /// <summary>
    /// DEBUG LOADAOF (debug.c): the AOF flushed, the data emptied and loaded again from the AOF
    /// directory through a connectionless client, with nothing propagated back into it; dirty is
    /// then 0. Other clients get -LOADING while it loads (the caller waits, protected). A load
    /// that fails is Redis's exit(1): the server never goes on with part of the data. The reply's
    /// error, or null for +OK: -LOADING when a load is already running (no load inside a load).
    /// </summary>
    public string? DebugLoadAof()
    {
        if (Loading) return LoadingError;
        if (Aof.State == AofState.On) Aof.Flush(force: true);
        foreach (var db in Databases) EmptyDb(db, async: false);
        bool listening = EffectSinks.Remove(Aof);
        var replay = new AofReplayClient(this);
        bool ok;
        try
        {
            ok = Aof.Reload(replay);
        }
        catch (AofStartupException)
        {
            ok = false;
        }
        finally
        {
            replay.Release();
            if (listening) EffectSinks.Add(Aof);
        }
        // A SHUTDOWN during the load: the server is going away, not failing.
        if (!ok && LoadInterrupted) return "Loading interrupted: the server is shutting down";
        if (!ok) Aof.Exit("Failed loading the AOF by DEBUG LOADAOF");
        Dirty = 0;
        Log.Warning("Append Only File loaded by DEBUG LOADAOF");
        return null;
    }

    /// <summary>CONFIG SET aof-disable-auto-gc no: history files left behind go now (updateAofAutoGCEnabled).</summary>
    internal string? ApplyAofAutoGc()
    {
        if (!Config.AofDisableAutoGc) Aof.DeleteHistoryFiles();
        return null;
    }

    /// <summary>
    /// createAOFClient: the client an AOF is replayed through. It has no connection and never
    /// gets a reply; it may not block (a blocking command in an AOF is already its effect, and
    /// nobody would unblock it); commands run as loadSingleAppendOnlyFile runs them, the proc
    /// itself without processCommand's checks, and queued while a MULTI is open.
    /// </summary>
    sealed class AofReplayClient : IAofReplay
    {
        /// <summary>CLIENT_ID_AOF.</summary>
        const long AofClientId = -1;
        readonly VermilionServer _server;
        readonly Client _client;

        public AofReplayClient(VermilionServer server)
        {
            _server = server;
            _client = new Client(server, null, AofClientId) { Flags = ClientFlags.DenyBlocking };
            _client.Reply.Muted = true;
        }

        public bool InMulti => _client.Multi is not null;

        public bool IsMulti(CommandArgs args) => args.Count >= 1 && args.Is(0, "multi");

        public AofReplayResult Run(CommandArgs args)
        {
            var server = _server;
            var cmd = server.Commands.Lookup(args[0]);
            if (cmd is null) return AofReplayResult.UnknownCommand;
            // lookupCommand: a container's unknown subcommand is an unknown command.
            if (cmd.Subcommands is not null && args.Count >= 2)
            {
                cmd = CommandTable.LookupSub(cmd, args[1]);
                if (cmd is null) return AofReplayResult.UnknownCommand;
            }
            var c = _client;
            c.LastCommand = cmd;
            if (c.Multi is not null && cmd.FullName != "exec")
            {
                server.QueueCommand(c, cmd, args);
                return AofReplayResult.Ran;
            }
            // What no client could have sent: a command proc relies on processCommand's arity
            // check (Redis's would read past its arguments).
            if (!cmd.ArityAccepts(args.Count)) return AofReplayResult.WrongArity;
            var caller = server.CurrentClient;
            server.CurrentClient = c;
            int views = server.Views.Lent;
            try { cmd.Proc!(c, args); }
            catch (WrongTypeException) { }
            server.Views.ReturnTo(views);
            server.CurrentClient = caller;
            server._commandSignalsOwnKeys = false;
            // Keys made ready for blocked clients wait for the load's end (DEBUG LOADAOF's own
            // processCommand tail): served now, they would run on half the data.
            c.Reply.Discard();
            return AofReplayResult.Ran;
        }

        /// <summary>freeClient for a client that was never in the client list.</summary>
        public void Release()
        {
            _server.DiscardTransaction(_client);
            _client.Release();
        }
    }
}
