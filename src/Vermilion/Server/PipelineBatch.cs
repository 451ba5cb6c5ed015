using System.Runtime.CompilerServices;
using Vermilion.Protocol;
using Vermilion.Storage;

namespace Vermilion.Server;

/// <summary>
/// The next pipelined requests of the client being served, parsed once ahead of running them so
/// their keys' cache lines are loaded while the first ones run (Valkey 8's batch prefetch: the
/// bucket, entry and record misses of a -P 128 GET were 60% of its time). Each request is parsed
/// once: the batch's arguments are the ones the commands run with. Its offsets point into the
/// client's query buffer, so it lives for one processInputBuffer pass (Client.ProcessInputBuffer
/// releases it) and belongs to one client at a time.
/// </summary>
internal sealed class PipelineBatch
{
    /// <summary>How many requests are parsed ahead: enough to cover the misses of the next ones while
    /// a GET takes ~0.3 µs (measured at -P 128, the README's benchmark section).</summary>
    public const int Size = 16;
    /// <summary>A lone request is never batched: fewer bytes than this waiting hold at most a few.</summary>
    public const int MinBytes = 256;

    readonly CommandArgs[] _args = new CommandArgs[Size];
    readonly int[] _consumed = new int[Size];
    // Per request: which prefetched key it names (-1: none), and the hashes Prefetch computed.
    readonly int[] _key = new int[Size];
    readonly ulong[] _hashes = new ulong[Size];
    Keyspace? _hashed;
    int _hashedKeys;
    public int Count { get; private set; }
    public int Next { get; private set; }
    /// <summary>The client whose requests are in the batch (or who may fill it), null when free.</summary>
    public Client? Owner;

    public PipelineBatch()
    {
        for (int i = 0; i < Size; i++) _args[i] = new CommandArgs();
    }

    /// <summary>Parses up to <see cref="Size"/> complete multibulk requests from <paramref name="start"/>
    /// and prefetches the key each names second (GET k, SET k v, HSET k ...). Anything else (inline,
    /// incomplete, malformed) ends the batch and is read the ordinary way, which answers its errors.</summary>
    public void Fill(Client c, byte[] query, int start, int end)
    {
        Span<(int, int)> keys = stackalloc (int, int)[Size];
        int n = 0, k = 0, pos = start;
        long maxBulk = c.Server.Config.ProtoMaxBulkLen;
        bool unauthenticated = !c.Authenticated && c.Server.Acl.DefaultUserNeedsAuth;
        // A keyspace the core's cache holds gains nothing from the prefetch (Keyspace.PrefetchFromKeys):
        // its keys are not gathered, and each lookup hashes its own.
        bool prefetch = c.Db.Keys.Count >= Keyspace.PrefetchFromKeys;
        while (n < Size && pos < end && query[pos] == (byte)'*')
        {
            var args = _args[n];
            int used = unauthenticated ? 0 : RespRequestReader.ReadCommon(query, pos, end, maxBulk, args);
            if (used == 0)
            {
                var reader = new RespRequestReader(query, pos, end, maxBulk, unauthenticated);
                if (reader.ReadMultibulk(args, query) != ParseStatus.Complete) break;
                used = reader.Consumed;
            }
            _key[n] = -1;
            if (prefetch && args.Count >= 2)
            {
                _key[n] = k;
                keys[k++] = (args.Offset(1), args.Length(1));
            }
            _consumed[n++] = used;
            pos += used;
        }
        Count = n;
        Next = 0;
        // The previous batch's last hint must not outlive it: this batch may set none (one key),
        // and Release clears only what the current batch hinted. A hint left behind matched a
        // later request whose key landed at the same offset of the reused query buffer, with the
        // same length, and looked it up under the old key's hash (a GET right after its SET
        // answered nil).
        if (_hashedKeys > 0) _hashed!.ClearKeyHashHint();
        _hashedKeys = 0;
        if (k > 1)
        {
            _hashed = c.Db.Keys;
            _hashed.Prefetch(query, keys[..k], _hashes);
            _hashedKeys = k;
        }
    }

    /// <summary>The request taken last.</summary>
    public CommandArgs Running => _args[Next - 1];

    /// <summary>The next parsed request, left in the batch (<see cref="Take"/> takes it).</summary>
    public CommandArgs Peek => _args[Next];

    /// <summary>The next parsed request and how many query bytes it took; its key's hash is lent to the
    /// keyspace it was computed for (a SELECT earlier in the batch leaves it unused).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public (CommandArgs Args, int Consumed) Take(Client c)
    {
        int i = Next++;
        var args = _args[i];
        if (_hashedKeys > 0)
        {
            if (_key[i] >= 0 && ReferenceEquals(c.Db.Keys, _hashed)) _hashed!.HintKeyHash(args.Buffer, args.Offset(1), args.Length(1), _hashes[_key[i]]);
            else _hashed!.ClearKeyHashHint();
        }
        return (args, _consumed[i]);
    }

    public void Release()
    {
        Count = Next = 0;
        Owner = null;
        if (_hashedKeys > 0) _hashed!.ClearKeyHashHint();
        _hashedKeys = 0;
        _hashed = null;
    }
}
