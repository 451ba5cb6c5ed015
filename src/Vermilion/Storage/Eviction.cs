using System.Runtime.CompilerServices;
using Vermilion.Server;

namespace Vermilion.Storage;

public enum MaxMemoryPolicy { VolatileLru, VolatileLfu, VolatileRandom, VolatileTtl, AllKeysLru, AllKeysLfu, AllKeysRandom, NoEviction }

/// <summary>performEvictions' answer: under the limit; over it but evicting goes on later (the time budget ran out); or nothing more to evict.</summary>
public enum EvictionResult { Ok, Running, Failed }

/// <summary>
/// Access tracking and eviction, as Redis 7.0's evict.c behaves: every entry keeps 24 bits of
/// either an LRU clock (seconds) or LFU state (16 bits of minutes, 8 bits of a logarithmic
/// counter); when used memory passes maxmemory, keys sampled from each database
/// (maxmemory-samples at a time) feed a pool of the best 16 candidates, and the best is evicted
/// until memory is under the limit. Random policies pick keys at random, volatile-ttl the
/// nearest deadline.
/// </summary>
public sealed class Eviction(Config config, Stats stats, Func<long> nowMs)
{
    const uint LruMax = 0xFFFFFF;
    const int LfuInitValue = 5, PoolSize = 16;

    readonly Random _random = new();
    // Candidates sorted by score ascending: the best to evict is the last.
    readonly (long Score, byte[] Key, int Length, int Db)[] _pool = new (long, byte[], int, int)[PoolSize];
    // Key buffers of candidates that left the pool, reused for the next ones as Redis's pool keeps
    // a cached sds per slot: sampling under memory pressure then allocates nothing.
    readonly Stack<byte[]> _spareKeys = new();
    const int SpareKeyCapacity = 255;
    int _poolCount, _nextDb;

    public bool UsesLfu
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => config.MaxMemoryPolicy is MaxMemoryPolicy.AllKeysLfu or MaxMemoryPolicy.VolatileLfu;
    }
    /// <summary>Redis shares small integers only when no LRU/LFU policy needs per-key access data.</summary>
    public bool SharesIntegers => config.MaxMemory == 0 || config.MaxMemoryPolicy is MaxMemoryPolicy.NoEviction or MaxMemoryPolicy.AllKeysRandom or MaxMemoryPolicy.VolatileRandom or MaxMemoryPolicy.VolatileTtl;

    /// <summary>
    /// server.lruclock: seconds on a 24-bit clock, kept current by <see cref="UpdateLruClock"/> (the
    /// server calls it as it caches the time each loop turn, where Redis's cron does) rather than read
    /// on every key access (measured: the clock's call was ~20 instructions of a -P 128 GET or SET).
    /// </summary>
    uint LruClock { get; set; } = Seconds(nowMs());

    static uint Seconds(long ms) => (uint)(ms / 1000) & LruMax;

    public void UpdateLruClock() => LruClock = Seconds(nowMs());
    uint LfuMinutes => (uint)(nowMs() / 60000) & 0xFFFF;

    /// <summary>The access field of a key just created.</summary>
    public uint NewAccess() => UsesLfu ? (LfuMinutes << 8) | LfuInitValue : LruClock;

    /// <summary>updateLFU or the LRU clock, for a key just read or written.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public uint Touch(uint access)
    {
        if (!UsesLfu) return LruClock;
        int counter = LfuLogIncrement(LfuDecayed(access));
        return (LfuMinutes << 8) | (uint)counter;
    }

    /// <summary>OBJECT IDLETIME: milliseconds since the last access, the clock wrapping at 24 bits.</summary>
    public long IdleMs(uint lru)
    {
        uint clock = LruClock;
        return (clock >= lru ? clock - lru : LruMax - lru + clock) * 1000L;
    }

    /// <summary>
    /// An access field that reads as <paramref name="seconds"/> idle (RESTORE IDLETIME), computed
    /// as objectSetLRUOrLFU does: seconds scaled to ms and back (wrapping in 64 bits), one
    /// wrap of the clock added when it goes below zero, then kept to the field's 24 bits. So
    /// idle times past a wrap come out as Redis's do, modulo the clock.
    /// </summary>
    public uint AccessIdleFor(long seconds)
    {
        long idle = unchecked(seconds * 1000) / 1000;
        long lru = unchecked(LruClock - idle);
        if (lru < 0) lru = unchecked(lru + LruMax);
        return (uint)lru & LruMax;
    }

    /// <summary>An access field with this LFU counter (RESTORE FREQ, OBJECT FREQ after decay).</summary>
    public uint AccessWithFrequency(int counter) => (LfuMinutes << 8) | (uint)counter;

    /// <summary>LFUDecrAndReturn: the counter less one for each lfu-decay-time minutes since the last access.</summary>
    public int LfuDecayed(uint access)
    {
        uint then = access >> 8, now = LfuMinutes;
        long elapsed = now >= then ? now - then : 65535 - then + now;
        int counter = (int)(access & 0xFF);
        long periods = config.LfuDecayTime > 0 ? elapsed / config.LfuDecayTime : 0;
        return periods > counter ? 0 : counter - (int)periods;
    }

    /// <summary>LFULogIncr: the counter grows with probability 1/((counter - 5) * lfu-log-factor + 1).</summary>
    int LfuLogIncrement(int counter)
    {
        if (counter == 255) return 255;
        double baseValue = Math.Max(0, counter - LfuInitValue);
        return _random.NextDouble() < 1.0 / (baseValue * config.LfuLogFactor + 1) ? counter + 1 : counter;
    }

    /// <summary>
    /// performEvictions: evicts keys until <paramref name="usedMemory"/> is at most maxmemory.
    /// Failed when memory stays over the limit (noeviction, or nothing left to evict), which makes
    /// write commands fail with OOM. Like Redis it stops after a time budget set by
    /// maxmemory-eviction-tenacity and answers Running: the caller keeps evicting from a time
    /// event (evictionTimeProc) until under the limit, so large writes cannot outrun eviction.
    /// </summary>
    /// <summary>Given the stopwatch ticks one eviction took (the "eviction-del" latency event), while latency-monitor-threshold is set.</summary>
    public Action<long>? KeyEvicted;

    public EvictionResult MakeRoom(Db[] dbs, Func<long> usedMemory)
    {
        long limit = config.MaxMemory;
        if (limit == 0 || usedMemory() <= limit) return EvictionResult.Ok;
        if (config.MaxMemoryPolicy == MaxMemoryPolicy.NoEviction) return EvictionResult.Failed;
        long budgetTicks = TenacityBudgetUs() * System.Diagnostics.Stopwatch.Frequency / 1_000_000;
        long deadline = System.Diagnostics.Stopwatch.GetTimestamp() + budgetTicks;
        int evicted = 0;
        // Timing each deletion costs two clock reads: only while latency-monitor-threshold is set.
        var timeDeletion = config.LatencyMonitorThreshold != 0 ? KeyEvicted : null;
        while (usedMemory() > limit)
        {
            long before = timeDeletion is null ? 0 : System.Diagnostics.Stopwatch.GetTimestamp();
            if (!EvictOne(dbs)) return EvictionResult.Failed;
            timeDeletion?.Invoke(System.Diagnostics.Stopwatch.GetTimestamp() - before);
            stats.EvictedKeys++;
            if ((++evicted & 15) == 0 && System.Diagnostics.Stopwatch.GetTimestamp() > deadline)
                return usedMemory() > limit ? EvictionResult.Running : EvictionResult.Ok;
        }
        return EvictionResult.Ok;
    }

    /// <summary>evictionTimeLimitUs: 50 µs per step of tenacity up to 10, then growing by 15% a step.</summary>
    long TenacityBudgetUs()
    {
        int tenacity = config.MaxMemoryEvictionTenacity;
        if (tenacity <= 10) return 50L * tenacity;
        if (tenacity < 100) return (long)(500.0 * Math.Pow(1.15, tenacity - 10));
        return long.MaxValue / System.Diagnostics.Stopwatch.Frequency;
    }

    bool EvictOne(Db[] dbs)
    {
        var policy = config.MaxMemoryPolicy;
        bool volatileOnly = policy is MaxMemoryPolicy.VolatileLru or MaxMemoryPolicy.VolatileLfu or MaxMemoryPolicy.VolatileRandom or MaxMemoryPolicy.VolatileTtl;
        if (policy is MaxMemoryPolicy.AllKeysRandom or MaxMemoryPolicy.VolatileRandom)
        {
            // Databases in turn, a random key from each.
            for (int i = 0; i < dbs.Length; i++)
            {
                var db = dbs[_nextDb++ % dbs.Length];
                if (db.EvictRandom(_random, volatileOnly)) return true;
            }
            return false;
        }
        for (int attempt = 0; attempt < 64; attempt++)
        {
            bool any = false;
            foreach (var db in dbs)
                if (volatileOnly ? db.ExpiresCount > 0 : db.Count > 0)
                {
                    any = true;
                    Populate(db, volatileOnly);
                }
            if (!any) return false;
            // The best candidate is at the end; a key gone since it was sampled is skipped.
            while (_poolCount > 0)
            {
                var (_, key, length, dbIndex) = _pool[--_poolCount];
                _pool[_poolCount] = default;
                bool evicted = dbs[dbIndex].EvictKey(key.AsSpan(0, length));
                Recycle(key);
                if (evicted) return true;
            }
        }
        return false;
    }

    /// <summary>evictionPoolPopulate: sample keys from one database and keep the best 16 overall, sorted by score.</summary>
    void Populate(Db db, bool volatileOnly)
    {
        int samples = Math.Max(1, config.MaxMemorySamples);
        Span<int> sample = samples <= 64 ? stackalloc int[samples] : new int[samples];
        int n = db.Sample(_random, volatileOnly, sample);
        for (int i = 0; i < n; i++)
        {
            long score = config.MaxMemoryPolicy switch
            {
                MaxMemoryPolicy.AllKeysLfu or MaxMemoryPolicy.VolatileLfu => 255 - LfuDecayed(db.Keys.Lru(sample[i])),
                MaxMemoryPolicy.VolatileTtl => long.MaxValue - db.Keys.Deadline(sample[i]),
                _ => IdleMs(db.Keys.Lru(sample[i])),
            };
            var key = db.Keys.Key(sample[i]);
            bool duplicate = false;
            for (int k = 0; k < _poolCount; k++) if (_pool[k].Db == db.Id && key.SequenceEqual(_pool[k].Key.AsSpan(0, _pool[k].Length))) duplicate = true;
            if (duplicate) continue;
            if (_poolCount == PoolSize)
            {
                if (score <= _pool[0].Score) continue; // worse than every candidate in a full pool
                Recycle(_pool[0].Key);
                Array.Copy(_pool, 1, _pool, 0, --_poolCount);
            }
            int pos = _poolCount;
            while (pos > 0 && _pool[pos - 1].Score > score)
            {
                _pool[pos] = _pool[pos - 1];
                pos--;
            }
            var buffer = key.Length <= SpareKeyCapacity && _spareKeys.TryPop(out var spare) ? spare
                : new byte[Math.Max(key.Length, key.Length <= SpareKeyCapacity ? SpareKeyCapacity : 0)];
            key.CopyTo(buffer);
            _pool[pos] = (score, buffer, key.Length, db.Id);
            _poolCount++;
        }
    }

    void Recycle(byte[] key)
    {
        if (key.Length == SpareKeyCapacity && _spareKeys.Count < PoolSize) _spareKeys.Push(key);
    }

    /// <summary>Forgets candidates (FLUSHALL, a policy change) so stale keys are not preferred.</summary>
    public void ClearPool()
    {
        Array.Clear(_pool);
        _poolCount = 0;
    }
}
