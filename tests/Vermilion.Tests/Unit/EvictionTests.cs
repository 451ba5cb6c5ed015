using System.Text;
using Xunit;

namespace Vermilion.Tests;

/// <summary>
/// Every maxmemory-policy on databases driven by a test clock: fill, move the clock, access some
/// keys, lower the limit, and check that the policy's keys went first. Redis's eviction is
/// approximate (sampling into a pool of 16), so "first" is measured over many keys.
/// </summary>
public class EvictionTests
{
    long _now = 1_700_000_000_000;
    readonly Config _config = new();
    readonly Stats _stats = new();
    readonly Eviction _eviction;
    readonly Db[] _dbs;

    public EvictionTests()
    {
        _config.MaxMemoryPolicy = MaxMemoryPolicy.NoEviction;
        _eviction = new Eviction(_config, _stats, () => _now);
        _dbs = [new Db(0, () => _now, _stats, _eviction), new Db(1, () => _now, _stats, _eviction)];
    }

    static byte[] K(string s) => Encoding.ASCII.GetBytes(s);
    /// <summary>Time passes: the server's loop moves the LRU clock as it caches the time.</summary>
    void Advance(long ms)
    {
        _now += ms;
        _eviction.UpdateLruClock();
    }
    long Used() => _dbs.Sum(d => d.Keys.ItemBytes + d.Keys.StructureBytes);
    int Alive(string prefix, int n, int db = 0) => Enumerable.Range(0, n).Count(i => _dbs[db].Exists(K(prefix + i)));

    void Fill(string prefix, int n, int db = 0, long ttlMs = 0)
    {
        for (int i = 0; i < n; i++)
        {
            _dbs[db].Set(K(prefix + i), K("value-" + new string('x', 40) + i));
            if (ttlMs > 0) _dbs[db].SetExpire(K(prefix + i), _now + ttlMs + i);
        }
    }

    /// <summary>Lowers maxmemory so that about <paramref name="fraction"/> of the data must go, and evicts.</summary>
    bool EvictFraction(double fraction)
    {
        long used = Used();
        _config.MaxMemory = used - (long)(used * fraction);
        return _eviction.MakeRoom(_dbs, Used) != EvictionResult.Failed;
    }

    void Use(MaxMemoryPolicy policy)
    {
        _config.MaxMemoryPolicy = policy;
        _config.MaxMemorySamples = 5;
        _config.MaxMemoryEvictionTenacity = 100; // no time budget: each MakeRoom finishes its work
        _config.MaxMemory = long.MaxValue; // so new keys take the policy's access format
    }

    [Fact]
    public void NoEvictionRefusesAndKeepsEveryKey()
    {
        Use(MaxMemoryPolicy.NoEviction);
        Fill("k", 500);
        Assert.False(EvictFraction(0.5));
        Assert.Equal(500, Alive("k", 500));
        Assert.Equal(0, _stats.EvictedKeys);
    }

    /// <summary>Each eviction is timed for the "eviction-del" latency event only while latency-monitor-threshold is set.</summary>
    [Fact]
    public void EvictionsAreTimedOnlyWithALatencyThreshold()
    {
        Use(MaxMemoryPolicy.AllKeysRandom);
        Fill("k", 1000);
        long timed = 0;
        _eviction.KeyEvicted = ticks => { Assert.True(ticks >= 0); timed++; };
        Assert.True(EvictFraction(0.1));
        Assert.Equal(0, timed);
        _config.LatencyMonitorThreshold = 1;
        long before = _stats.EvictedKeys;
        Assert.True(EvictFraction(0.1));
        Assert.True(timed > 0);
        Assert.Equal(_stats.EvictedKeys - before, timed);
    }

    [Fact]
    public void AllKeysLruEvictsTheLeastRecentlyUsed()
    {
        Use(MaxMemoryPolicy.AllKeysLru);
        Fill("cold", 1000);
        Advance(100_000);
        Fill("hot", 1000);
        // 30% of the memory is about 800 of the 2000 keys: the entries and buckets stay behind.
        Assert.True(EvictFraction(0.3));
        Assert.True(Used() <= _config.MaxMemory);
        int cold = Alive("cold", 1000), hot = Alive("hot", 1000);
        // About 800 keys go; with sampling nearly all of them come from the cold half.
        Assert.True(hot >= 950, $"hot keys alive: {hot}, cold: {cold}");
        Assert.True(cold <= 300, $"cold keys alive: {cold}");
        Assert.Equal(2000 - cold - hot, _stats.EvictedKeys);
    }

    [Fact]
    public void ReadingAKeyMakesItRecent()
    {
        Use(MaxMemoryPolicy.AllKeysLru);
        Fill("k", 1000);
        Advance(100_000);
        for (int i = 0; i < 500; i++) _dbs[0].TryGetString(K("k" + i), out _);
        Assert.True(EvictFraction(0.3));
        int read = Enumerable.Range(0, 500).Count(i => _dbs[0].Exists(K("k" + i)));
        Assert.True(read >= 475, $"keys read recently alive: {read}");
    }

    [Fact]
    public void VolatileLruEvictsOnlyKeysWithADeadline()
    {
        Use(MaxMemoryPolicy.VolatileLru);
        Fill("persistent", 500);
        Advance(100_000);
        Fill("volatile", 500, ttlMs: 3_600_000);
        Assert.True(EvictFraction(0.3));
        Assert.Equal(500, Alive("persistent", 500));
        Assert.True(Alive("volatile", 500) < 500);
        // With every volatile key gone, memory cannot come down: writes would get OOM.
        Assert.False(EvictFraction(0.9));
        Assert.Equal(500, Alive("persistent", 500));
        Assert.Equal(0, _dbs[0].ExpiresCount);
    }

    [Fact]
    public void AllKeysLfuKeepsFrequentlyUsedKeys()
    {
        Use(MaxMemoryPolicy.AllKeysLfu);
        _config.LfuLogFactor = 0; // every access counts, so the test does not depend on chance
        Fill("rare", 1000);
        Fill("frequent", 1000);
        for (int round = 0; round < 20; round++)
            for (int i = 0; i < 1000; i++) _dbs[0].TryGetString(K("frequent" + i), out _);
        Assert.True(EvictFraction(0.3));
        int frequent = Alive("frequent", 1000), rare = Alive("rare", 1000);
        Assert.True(frequent >= 950, $"frequent alive: {frequent}, rare: {rare}");
    }

    [Fact]
    public void LfuCounterDecaysWithTime()
    {
        Use(MaxMemoryPolicy.AllKeysLfu);
        _config.LfuLogFactor = 0;
        _config.LfuDecayTime = 1;
        Fill("k", 1);
        for (int i = 0; i < 30; i++) _dbs[0].TryGetString(K("k0"), out _);
        int index = _dbs[0].Lookup(K("k0"), touch: false);
        int before = _eviction.LfuDecayed(_dbs[0].Keys.Lru(index));
        Advance(10 * 60_000);
        int after = _eviction.LfuDecayed(_dbs[0].Keys.Lru(index));
        Assert.Equal(Math.Max(0, before - 10), after);
    }

    /// <summary>The volatile-* policies sample only keys with a deadline: persistent keys all stay.</summary>
    [Theory]
    [InlineData(MaxMemoryPolicy.VolatileLfu, 300, 0.2, 300)]
    [InlineData(MaxMemoryPolicy.VolatileRandom, 500, 0.3, 300)]
    public void VolatilePoliciesEvictOnlyKeysWithADeadline(MaxMemoryPolicy policy, int keys, double fraction, int volatileLeftBelow)
    {
        Use(policy);
        Fill("persistent", keys);
        Fill("volatile", keys, ttlMs: 60_000);
        Assert.True(EvictFraction(fraction));
        Assert.Equal(keys, Alive("persistent", keys));
        Assert.True(Alive("volatile", keys) < volatileLeftBelow);
    }

    [Fact]
    public void VolatileTtlEvictsTheNearestDeadlinesFirst()
    {
        Use(MaxMemoryPolicy.VolatileTtl);
        Fill("persistent", 200);
        Fill("soon", 500, ttlMs: 10_000);
        Fill("late", 500, ttlMs: 10_000_000);
        Assert.True(EvictFraction(0.2));
        Assert.Equal(200, Alive("persistent", 200));
        int soon = Alive("soon", 500), late = Alive("late", 500);
        Assert.True(late >= 475, $"late alive: {late}, soon: {soon}");
        Assert.True(soon < 250, $"soon alive: {soon}");
    }

    [Fact]
    public void AllKeysRandomEvictsFromEveryDatabase()
    {
        Use(MaxMemoryPolicy.AllKeysRandom);
        Fill("a", 1000, db: 0);
        Fill("b", 1000, db: 1);
        Assert.True(EvictFraction(0.5));
        Assert.True(Used() <= _config.MaxMemory);
        int a = Alive("a", 1000, 0), b = Alive("b", 1000, 1);
        Assert.InRange(a, 200, 800);
        Assert.InRange(b, 200, 800);
    }


    [Fact]
    public void SmallIntegersAreSharedOnlyWithoutLruOrLfu()
    {
        _config.MaxMemory = 0;
        Assert.True(_eviction.SharesIntegers);
        Use(MaxMemoryPolicy.AllKeysLru);
        Assert.False(_eviction.SharesIntegers);
        Use(MaxMemoryPolicy.VolatileTtl);
        Assert.True(_eviction.SharesIntegers);
    }
}
