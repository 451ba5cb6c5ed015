namespace Vermilion;

/// <summary>
/// Clients blocked on keys (BLPOP, BLMOVE, BZPOPMIN, BLMPOP, ...), as Redis's blocking.c: a
/// client that finds nothing to pop records the keys it waits for and sleeps without holding the
/// loop. When a key comes into being (<see cref="Db.KeyAdded"/>: a push, RENAME, MOVE, COPY,
/// RESTORE...), it is marked ready; after the command that did it completes, every client blocked
/// on a ready key is served in the order it blocked (handleClientsBlockedOnKeys) by running its
/// command again: a command that still finds nothing leaves the client blocked, its place and
/// timeout kept. Only a key of the type the client waits for wakes it (Redis 7.0 leaves a BLPOP
/// client blocked when its key comes back as a string).
/// </summary>
public sealed partial class Server
{
    sealed class BlockedOnKeys
    {
        public required Db Db;
        public required byte[][] Keys;
        public required byte[][] Argv;
        public required ValueType Type;
        public required bool NullArrayOnTimeout;
        public long Timer;
    }

    readonly Dictionary<Client, BlockedOnKeys> _blockedOnKeys = new();
    /// <summary>Per database: key → clients blocked on it, oldest first.</summary>
    readonly Dictionary<int, Dictionary<byte[], List<Client>>> _blockingKeys = new();
    readonly List<(Db Db, byte[] Key)> _readyKeys = new();
    readonly CommandArgs _blockedArgs = new();
    bool _servingBlocked, _stillBlocked;

    /// <summary>Clients blocked on keys (WAIT and CLIENT PAUSE count separately in blocked_clients).</summary>
    public int ClientsBlockedOnKeys => _blockedOnKeys.Count;

    /// <summary>
    /// getTimeoutFromObjectOrReply for blocking commands: seconds as a float, 0 = forever; the
    /// absolute deadline in Unix ms, or false after replying Redis's error. Redis 7.0 reads the
    /// text with strtold (hex floats and "inf" included, a range wider than double's) and turns
    /// ceil(seconds × 1000) into a long long, which gives LLONG_MIN — "negative" — for anything
    /// beyond it; a tiny negative timeout rounds to 0 and blocks forever.
    /// </summary>
    public static bool TryParseBlockTimeout(Client c, ReadOnlySpan<byte> text, out long deadlineMs)
    {
        deadlineMs = 0;
        double seconds = 0;
        bool ok = text.Length > 0 && text.Length < 5 * 1024 && text[0] is not ((byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\v' or (byte)'\f' or (byte)'\r');
        if (ok)
        {
            ok = DoubleText.Strtod(text, out seconds, out bool rangeError) == text.Length && !double.IsNaN(seconds);
            // Outside double's range but within long double's (about 3.6e-4951 to 1.19e4932):
            // a number too small keeps its sign at the smallest magnitude, one too big stays infinite.
            if (ok && rangeError)
            {
                long exponent = DecimalExponent(text);
                ok = seconds == 0 ? exponent >= -4951 : exponent < 4932;
                if (seconds == 0) seconds = text[0] == '-' ? -double.Epsilon : double.Epsilon;
            }
        }
        if (!ok)
        {
            c.Reply.Error("timeout is not a float or out of range");
            return false;
        }
        double ms = Math.Ceiling(seconds * 1000);
        bool fits = ms >= long.MinValue && ms < 9.2233720368547758e18;
        // Near 2^63 ms, double rounds where long double does not: decide with decimal arithmetic.
        if (ms is >= 9.2e18 and < 9.3e18 && decimal.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out decimal exact))
            fits = decimal.Ceiling(exact * 1000) < 9223372036854775808m;
        if (!fits || ms < 0)
        {
            c.Reply.Error("timeout is negative");
            return false;
        }
        long timeout = ms >= 9.2e18 ? long.MaxValue / 2 : (long)ms;
        if (timeout > 0) deadlineMs = c.Server.UnixTimeMs + Math.Min(timeout, long.MaxValue / 2);
        return true;
    }

    /// <summary>The power of ten of a decimal number's leading digit, to tell what long double can hold (long.MinValue for zero).</summary>
    static long DecimalExponent(ReadOnlySpan<byte> text)
    {
        int i = text.Length > 0 && (text[0] == '+' || text[0] == '-') ? 1 : 0;
        long integerDigits = 0, fractionZeros = 0;
        bool nonZero = false;
        for (; i < text.Length && (uint)(text[i] - '0') <= 9; i++)
            if (nonZero || text[i] != '0') { nonZero = true; integerDigits++; }
        if (i < text.Length && text[i] == '.')
            for (i++; i < text.Length && (uint)(text[i] - '0') <= 9; i++)
                if (!nonZero) { if (text[i] == '0') fractionZeros++; else nonZero = true; }
        if (!nonZero) return long.MinValue;
        long exponent = 0;
        if (i < text.Length && (text[i] | 0x20) == 'e')
        {
            bool negative = ++i < text.Length && text[i] == '-';
            if (i < text.Length && (text[i] == '+' || text[i] == '-')) i++;
            for (; i < text.Length; i++) exponent = Math.Min(exponent * 10 + (text[i] - '0'), 1L << 40);
            if (negative) exponent = -exponent;
        }
        return (integerDigits > 0 ? integerDigits - 1 : -(fractionZeros + 1)) + exponent;
    }

    /// <summary>
    /// blockForKeys: park <paramref name="c"/> until one of <paramref name="keys"/> (of
    /// <paramref name="type"/>) is ready or <paramref name="deadlineMs"/> passes (0 = never). On
    /// timeout the client gets a null array (or a null bulk for BLMOVE and BRPOPLPUSH). A client
    /// already blocked (its command is being served again) stays as it is.
    /// </summary>
    public void BlockForKeys(Client c, CommandArgs args, ReadOnlySpan<int> keyArgs, ValueType type, long deadlineMs, bool nullArrayOnTimeout)
    {
        if (_servingBlocked && _blockedOnKeys.ContainsKey(c))
        {
            _stillBlocked = true;
            return;
        }
        var argv = new byte[args.Count][];
        for (int i = 0; i < argv.Length; i++) argv[i] = args.ToArray(i);
        var keys = new byte[keyArgs.Length][];
        for (int i = 0; i < keys.Length; i++) keys[i] = argv[keyArgs[i]];
        var state = new BlockedOnKeys { Db = c.Db, Keys = keys, Argv = argv, Type = type, NullArrayOnTimeout = nullArrayOnTimeout };
        if (!_blockingKeys.TryGetValue(c.Db.Id, out var byKey)) _blockingKeys[c.Db.Id] = byKey = new(ByteKeyComparer.Instance);
        foreach (var key in keys)
        {
            if (!byKey.TryGetValue(key, out var waiting)) byKey[key] = waiting = new();
            if (!waiting.Contains(c)) waiting.Add(c);
        }
        if (deadlineMs > 0)
        {
            state.Timer = Loop.CreateTimeEvent(Math.Max(deadlineMs - UnixTimeMs, 0), (_, _) =>
            {
                state.Timer = 0; // this timer is done; unblocking must not delete it
                UnblockOnKeys(c, UnblockReason.Timeout);
                return EventLoop.NoMore;
            });
        }
        _blockedOnKeys[c] = state;
        c.Flags |= ClientFlags.Blocked;
    }

    public enum UnblockReason { Served, Timeout, Error }

    /// <summary>
    /// unblockClient: forget the client's keys and timer; on timeout or CLIENT UNBLOCK, reply as
    /// Redis does, then let the client go on with what it had sent meanwhile. False if it was not
    /// blocked on keys.
    /// </summary>
    internal bool UnblockOnKeys(Client c, UnblockReason reason)
    {
        if (!_blockedOnKeys.Remove(c, out var state)) return false;
        if (state.Timer != 0) Loop.DeleteTimeEvent(state.Timer);
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
        if (reason == UnblockReason.Timeout)
        {
            if (state.NullArrayOnTimeout) c.Reply.NullArray();
            else c.Reply.Null();
        }
        else if (reason == UnblockReason.Error) c.Reply.Error("-UNBLOCKED client unblocked via CLIENT UNBLOCK");
        if (reason != UnblockReason.Served)
        {
            c.AfterCommands();
            c.ProcessPendingInput();
        }
        return true;
    }

    /// <summary>signalKeyAsReady, from <see cref="Db.KeyAdded"/>: only keys someone waits for are remembered.</summary>
    void SignalKeyAsReady(Db db, ReadOnlySpan<byte> key)
    {
        if (_blockedOnKeys.Count == 0 || !_blockingKeys.TryGetValue(db.Id, out var byKey)) return;
        var lookup = byKey.GetAlternateLookup<ReadOnlySpan<byte>>();
        if (!lookup.TryGetValue(key, out _, out var waiting) || waiting.Count == 0) return;
        foreach (var (readyDb, readyKey) in _readyKeys)
            if (readyDb == db && readyKey.AsSpan().SequenceEqual(key)) return;
        _readyKeys.Add((db, key.ToArray()));
    }

    /// <summary>SWAPDB: every key of both databases that someone waits for may have become ready (scanDatabaseForReadyKeys).</summary>
    internal void SignalSwappedDatabases(Db a, Db b)
    {
        foreach (var db in new[] { a, b })
        {
            if (!_blockingKeys.TryGetValue(db.Id, out var byKey)) continue;
            foreach (var key in byKey.Keys)
                if (db.Exists(key)) SignalKeyAsReady(db, key);
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
                    if (index < 0) break;
                    if (TypeOf(db.Keys.Item(index)) != state.Type) break;
                    ServeBlocked(c, state);
                }
            }
        }
        finally
        {
            _servingBlocked = false;
            CurrentClient = saved;
        }
    }

    static ValueType TypeOf(object item) => item is StoredObject stored ? stored.Type : ValueType.String;

    /// <summary>Runs the blocked client's command again; the first call already counted it in the command stats.</summary>
    void ServeBlocked(Client c, BlockedOnKeys state)
    {
        _blockedArgs.SetAll(state.Argv);
        var cmd = Commands.Lookup(_blockedArgs[0])!;
        CurrentClient = c;
        _stillBlocked = false;
        try
        {
            cmd.Proc!(c, _blockedArgs);
        }
        catch (WrongTypeException)
        {
            c.Reply.ErrorRaw(WrongTypeException.ReplyBytes);
        }
        if (_stillBlocked) return;
        UnblockOnKeys(c, UnblockReason.Served);
        c.AfterCommands();
        c.ProcessPendingInput();
    }
}
