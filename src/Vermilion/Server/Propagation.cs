using Vermilion.Commands;
using Vermilion.Protocol;
using Vermilion.Storage;

namespace Vermilion.Server;

/// <summary>
/// The effect stream, as server.c's call/alsoPropagate/propagatePendingCommands/propagateNow make
/// it: what a command changed, in the form that replays to the same dataset on another server (the
/// AOF, a replica). A command that moved <see cref="VermilionServer.Dirty"/> is propagated as its
/// own arguments, client's case kept, unless it rewrote itself (<see cref="Rewrite"/>: SET EX →
/// SET PXAT, EXPIRE → PEXPIREAT, SPOP → SREM...) or propagates nothing of its own and appended its
/// effects (<see cref="PreventPropagation"/> + <see cref="AlsoPropagate"/>: SPOP with a count). Keys
/// removed by expiry or eviction add a DEL (UNLINK with lazyfree-lazy-expire/-eviction). The effects
/// of one top-level call are handed to <see cref="VermilionServer.EffectSinks"/> when it ends,
/// wrapped in MULTI/EXEC when there are several (EXEC's commands, a DEL of an expired key before
/// the write that found it, SPOP's SREMs); active expiry and eviction hand theirs over one by one.
///
/// With no sink nothing is encoded: the call tail is one test of <c>EffectSinks.Count</c>, and a
/// command's <see cref="Rewrite"/> returns an inert writer (measured with bench/instructions.sh on
/// GET, SET, INCR, LPUSH, LPOP, SADD, HSET, SPOP, ZADD: within the ±20 instructions a request that
/// two runs of the same build differ by). With a sink, the effects of a call are RESP arrays
/// written back to back into one buffer kept for the server's life (no allocation per command
/// once it has grown to the largest call).
///
/// Every form was checked against redis-server 7.0.15's AOF (tests/Network/EffectStreamTests.cs).
/// An effect goes to every sink, or to replicas only (PUBLISH's forceCommandPropagation with
/// PROPAGATE_REPL); the primary adds its own "ping" and "REPLCONF GETACK" (Replication/).
/// </summary>
public sealed partial class VermilionServer
{
    /// <summary>server.also_propagate: the pending effects of the running top-level call.</summary>
    byte[] _effectBytes = new byte[4096];
    int _effectLength;
    EffectOp[] _effectOps = new EffectOp[16];
    int _effectCount;
    /// <summary>CLIENT_PREVENT_PROP / CLIENT_FORCE_AOF|REPL / CLIENT_FORCE_REPL alone of the running command; set only while a sink listens.</summary>
    bool _preventPropagation, _forcePropagation, _forceReplicasOnly;

    /// <summary>Whether anything listens to the effect stream: commands test it before building an effect that costs work to build.</summary>
    public bool Propagating => EffectSinks.Count > 0;

    /// <summary>
    /// alsoPropagate: one more command for this call's effects in database <paramref name="db"/>, whose
    /// <paramref name="argc"/> arguments follow through the writer. Inert when nothing listens.
    /// </summary>
    public EffectWriter AlsoPropagate(Db db, int argc)
    {
        if (EffectSinks.Count == 0) return default;
        BeginEffect(db.Id, argc);
        return new EffectWriter(this);
    }

    /// <summary>
    /// rewriteClientCommandVector: the running command is propagated as the command the writer
    /// writes, not as its own arguments. Called on the path that changed the dataset, where Redis
    /// rewrites (so a command that ends up changing nothing propagates nothing).
    /// </summary>
    public EffectWriter Rewrite(Client c, int argc)
    {
        if (EffectSinks.Count == 0) return default;
        _preventPropagation = true;
        return AlsoPropagate(c.Db, argc);
    }

    /// <summary>preventCommandPropagation: the running command's own arguments are not propagated (its effects were, with <see cref="AlsoPropagate"/>).</summary>
    public void PreventPropagation()
    {
        if (EffectSinks.Count > 0) _preventPropagation = true;
    }

    /// <summary>forceCommandPropagation: propagated even if nothing changed (FLUSHALL/FLUSHDB of empty databases, as Redis).</summary>
    public void ForcePropagation()
    {
        if (EffectSinks.Count > 0) _forcePropagation = true;
    }

    /// <summary>forceCommandPropagation(PROPAGATE_REPL): to replicas only, not the AOF (PUBLISH, so subscribers of a replica hear it).</summary>
    public void ForceReplicaPropagation()
    {
        if (EffectSinks.Count > 0) _forceReplicasOnly = true;
    }

    /// <summary>propagateDeletion: a key expired or was evicted; replicas and the AOF delete it explicitly.</summary>
    void PropagateDeletion(Db db, ReadOnlySpan<byte> key, KeyRemoval why)
    {
        if (EffectSinks.Count == 0) return;
        bool lazy = why == KeyRemoval.Expired ? Config.LazyfreeLazyExpire : Config.LazyfreeLazyEviction;
        AlsoPropagate(db, 2).Arg(lazy ? "UNLINK"u8 : "DEL"u8).Arg(key);
    }

    /// <summary>
    /// call()'s propagation step, after the command ran (only while a sink listens): a command that
    /// changed the dataset, or forced propagation, is appended as its arguments unless it prevented
    /// that (a rewrite did); EXEC never is (its commands were). At the top level (not a command
    /// run by EXEC: Redis's in_nested_call) the call's effects go out (afterCommand).
    /// </summary>
    void PropagateCall(Client c, CommandDef cmd, CommandArgs args, bool dirtied)
    {
        if ((dirtied || _forcePropagation || _forceReplicasOnly) && !_preventPropagation && cmd.FullName != "exec")
        {
            BeginEffect(c.Db.Id, args.Count, replicasOnly: !dirtied && !_forcePropagation);
            for (int i = 0; i < args.Count; i++) WriteBulk(args[i]);
        }
        _preventPropagation = _forcePropagation = _forceReplicasOnly = false;
        // A command served from a busy script's hook must not send the script's effects gathered so far.
        if ((c.Flags & ClientFlags.InExec) == 0 && !ScriptTimedOut) PropagatePendingEffects(cmd);
        // call(): c->woff, the stream's end after this client's command, which WAIT waits for.
        c.WriteOffset = Primary.Offset;
    }

    /// <summary>
    /// The end of a blocked client's command served later (blocked.c's serveClientsBlockedOnKey
    /// then afterCommand): Redis propagates it explicitly, in the non-blocking form the command
    /// rewrote itself to, whether or not dirty moved.
    /// </summary>
    void EndServedCall(CommandDef cmd)
    {
        _preventPropagation = _forcePropagation = _forceReplicasOnly = false;
        PropagatePendingEffects(cmd);
    }

    static ReadOnlySpan<byte> MultiBytes => "*1\r\n$5\r\nMULTI\r\n"u8;
    static ReadOnlySpan<byte> ExecBytes => "*1\r\n$4\r\nEXEC\r\n"u8;

    /// <summary>
    /// propagatePendingCommands: the pending effects go to every sink, in MULTI … EXEC when there
    /// are several, unless <paramref name="top"/> is null (active expiry and eviction: each DEL is
    /// atomic alone, propagate_no_multi) or a command that touches arbitrary keys (RANDOMKEY and
    /// SCAN, which may expire many: CMD_TOUCHES_ARBITRARY_KEYS). MULTI takes the first effect's
    /// database and EXEC the last's, so a sink's SELECT comes before MULTI and never before EXEC.
    /// </summary>
    void PropagatePendingEffects(CommandDef? top)
    {
        if (_effectCount == 0) return;
        var sinks = EffectSinks;
        if (sinks.Count > 0)
        {
            bool transaction = _effectCount > 1 && top is not null && top.FullName is not ("randomkey" or "scan");
            if (transaction) Feed(sinks, _effectOps[0].Db, MultiBytes);
            for (int i = 0; i < _effectCount; i++)
            {
                var op = _effectOps[i];
                // A command written with fewer or more arguments than its header says would corrupt
                // every consumer from here on: refuse it loudly instead.
                if (op.Missing != 0)
                {
                    _effectCount = _effectLength = 0;
                    throw new InvalidOperationException($"an effect was written with {op.Missing} arguments fewer than announced");
                }
                Feed(sinks, op.Db, _effectBytes.AsSpan(op.Start, op.Length), op.ReplicasOnly);
            }
            if (transaction) Feed(sinks, _effectOps[_effectCount - 1].Db, ExecBytes);
        }
        _effectCount = 0;
        _effectLength = 0;
    }

    /// <summary>Hands pending effects out of any command (a key expired while serving blocked clients, active expiry, eviction), each alone.</summary>
    void PropagatePendingEffects() => PropagatePendingEffects(null);

    /// <summary>propagateNow: one command to every sink (the AOF and replication both track their own SELECT), or to replicas only.</summary>
    static void Feed(List<IEffectSink> sinks, int db, ReadOnlySpan<byte> command, bool replicasOnly = false)
    {
        foreach (var sink in sinks)
            if (!replicasOnly || sink is Replication.ReplicationPrimary) sink.Append(db, command);
    }

    // ---- encoding into the reused buffer ----

    void BeginEffect(int db, int argc, bool replicasOnly = false)
    {
        if (_effectCount == _effectOps.Length) Array.Resize(ref _effectOps, _effectOps.Length * 2);
        _effectOps[_effectCount++] = new EffectOp { Db = db, Start = _effectLength, Missing = argc + 1, ReplicasOnly = replicasOnly };
        WriteHeader((byte)'*', argc);
        EndArg();
    }

    void WriteBulk(ReadOnlySpan<byte> arg)
    {
        WriteHeader((byte)'$', arg.Length);
        Reserve(arg.Length + 2);
        arg.CopyTo(_effectBytes.AsSpan(_effectLength));
        _effectLength += arg.Length;
        _effectBytes[_effectLength++] = (byte)'\r';
        _effectBytes[_effectLength++] = (byte)'\n';
        EndArg();
    }

    void WriteBulk(long value)
    {
        Span<byte> digits = stackalloc byte[20];
        WriteBulk(digits[..IntegerText.Format(value, digits)]);
    }

    /// <summary>"*3\r\n" or "$5\r\n".</summary>
    void WriteHeader(byte kind, int n)
    {
        Reserve(24);
        _effectBytes[_effectLength++] = kind;
        _effectLength += IntegerText.Format(n, _effectBytes.AsSpan(_effectLength));
        _effectBytes[_effectLength++] = (byte)'\r';
        _effectBytes[_effectLength++] = (byte)'\n';
    }

    /// <summary>The effect being written ends where the buffer does, one argument nearer its announced count.</summary>
    void EndArg()
    {
        ref var op = ref _effectOps[_effectCount - 1];
        op.Length = _effectLength - op.Start;
        if (--op.Missing < 0)
        {
            _effectCount = _effectLength = 0;
            throw new InvalidOperationException("an effect was written with more arguments than announced");
        }
    }

    /// <summary>One pending effect: where its RESP array lies in the buffer, and how many announced arguments it still lacks.</summary>
    struct EffectOp
    {
        public int Db, Start, Length, Missing;
        public bool ReplicasOnly;
    }

    void Reserve(int bytes)
    {
        if (_effectLength + bytes > _effectBytes.Length)
            Array.Resize(ref _effectBytes, Math.Max(_effectBytes.Length * 2, _effectLength + bytes));
    }

    /// <summary>
    /// Writes the arguments of one propagated command (see <see cref="AlsoPropagate"/>). The default
    /// value, returned while nothing listens, writes nothing.
    /// </summary>
    public ref struct EffectWriter
    {
        readonly VermilionServer? _server;

        internal EffectWriter(VermilionServer server) => _server = server;

        public EffectWriter Arg(scoped ReadOnlySpan<byte> arg)
        {
            _server?.WriteBulk(arg);
            return this;
        }

        public EffectWriter Arg(long value)
        {
            _server?.WriteBulk(value);
            return this;
        }

        /// <summary>Arguments <paramref name="from"/>..end of the running command, as the client sent them.</summary>
        public EffectWriter Args(CommandArgs args, int from)
        {
            for (int i = from; i < args.Count; i++) Arg(args[i]);
            return this;
        }
    }
}
