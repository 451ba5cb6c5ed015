using System.Text;
using Vermilion.Net;
using Vermilion.Protocol;

namespace Vermilion.Server;

/// <summary>
/// MIGRATE's connections to target instances, kept between calls by "host:port" (cluster.c:
/// migrateGetSocket, migrateCloseSocket, migrateCloseTimedoutSockets): at most 64, a random one
/// dropped to make room, and closed by serverCron once idle for more than 10 seconds, or at once
/// after an error. INFO stats shows the count as migrate_cached_sockets.
/// </summary>
public sealed class MigrateSockets
{
    /// <summary>MIGRATE_SOCKET_CACHE_ITEMS.</summary>
    public const int MaxItems = 64;
    /// <summary>MIGRATE_SOCKET_CACHE_TTL, in seconds.</summary>
    public const int IdleSeconds = 10;

    /// <summary>migrateCachedSocket: the connection, the db the target last SELECTed (-1: unknown), the last use (unix seconds).</summary>
    public sealed class Cached(SyncConnection connection, long lastUseTime)
    {
        public SyncConnection Connection { get; } = connection;
        public long LastDb { get; set; } = -1;
        public long LastUseTime { get; set; } = lastUseTime;
    }

    readonly Dictionary<string, Cached> _byName = new();
    readonly Random _random;

    public MigrateSockets(Random random) => _random = random;

    public int Count => _byName.Count;

    static string Name(ReadOnlySpan<byte> host, ReadOnlySpan<byte> port) =>
        Encoding.Latin1.GetString(host) + ":" + Encoding.Latin1.GetString(port);

    /// <summary>
    /// migrateGetSocket: the cached connection to host:port, or a new one (blocking for at most
    /// <paramref name="timeoutMs"/>); null when it cannot connect. The port is read as atoi reads it.
    /// </summary>
    public Cached? Get(ReadOnlySpan<byte> host, ReadOnlySpan<byte> port, long timeoutMs, long now)
    {
        string name = Name(host, port);
        if (_byName.TryGetValue(name, out var cached))
        {
            cached.LastUseTime = now;
            return cached;
        }
        if (_byName.Count == MaxItems)
        {
            var victim = _byName.ElementAt(_random.Next(_byName.Count));
            victim.Value.Connection.Dispose();
            _byName.Remove(victim.Key);
        }
        var connection = SyncConnection.Connect(Encoding.Latin1.GetString(host), (int)Math.Clamp(IntegerText.Atoi(port), int.MinValue, int.MaxValue), timeoutMs);
        if (connection is null) return null;
        cached = new Cached(connection, now);
        _byName.Add(name, cached);
        return cached;
    }

    /// <summary>migrateCloseSocket: after an error the next MIGRATE connects afresh (and SELECTs again).</summary>
    public void Close(ReadOnlySpan<byte> host, ReadOnlySpan<byte> port)
    {
        if (_byName.Remove(Name(host, port), out var cached)) cached.Connection.Dispose();
    }

    /// <summary>migrateCloseTimedoutSockets, once a second from serverCron.</summary>
    public void CloseIdle(long now)
    {
        if (_byName.Count == 0) return;
        foreach (var (name, cached) in _byName)
            if (now - cached.LastUseTime > IdleSeconds)
            {
                cached.Connection.Dispose();
                _byName.Remove(name);
            }
    }

    /// <summary>At shutdown: every cached connection closed.</summary>
    public void CloseAll()
    {
        foreach (var cached in _byName.Values) cached.Connection.Dispose();
        _byName.Clear();
    }
}

public sealed partial class VermilionServer
{
    MigrateSockets? _migrateSockets;

    /// <summary>MIGRATE's cached target connections; made on first use.</summary>
    public MigrateSockets MigrateSockets => _migrateSockets ??= new MigrateSockets(Random);

    /// <summary>INFO stats migrate_cached_sockets.</summary>
    public int MigrateCachedSockets => _migrateSockets?.Count ?? 0;

    long _lastMigrateSocketsCronMs;

    /// <summary>serverCron's run_with_period(1000) { migrateCloseTimedoutSockets(); }.</summary>
    void MigrateSocketsCron()
    {
        if (_migrateSockets is null || UnixTimeMs - _lastMigrateSocketsCronMs < 1000) return;
        _lastMigrateSocketsCronMs = UnixTimeMs;
        _migrateSockets.CloseIdle(UnixTime);
    }
}
