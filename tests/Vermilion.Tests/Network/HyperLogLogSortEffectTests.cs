using Xunit;

namespace Vermilion.Tests;

/// <summary>
/// What the HyperLogLog commands and SORT propagate, and how far they move dirty, against
/// redis-server 7.0.15's AOF (the harness of <see cref="EffectStreamTests"/>): PFADD counts each
/// changed register and creation, PFCOUNT propagates itself when it wrote the cache back, PFDEBUG
/// when it converted; SORT with STORE counts the stored elements, an empty result one deletion.
/// </summary>
[Trait("Category", "Network")]
public class HyperLogLogSortEffectTests(EffectServers servers) : IClassFixture<EffectServers>
{
    [Fact]
    public void HyperLogLogs() => EffectScript.Run(servers,
        ["PFADD", "h", "a", "b", "c"], ["PFADD", "h", "a"], ["PFADD", "h"], ["pfadd", "e"], ["PFCOUNT", "h"], ["PFCOUNT", "h"], ["PFCOUNT", "nokey"],
        ["PFCOUNT", "h", "e"], ["PFMERGE", "m", "h", "e"], ["PFMERGE", "m"], ["PFDEBUG", "TODENSE", "m"], ["PFDEBUG", "TODENSE", "m"], ["PFDEBUG", "GETREG", "e"],
        ["PFDEBUG", "ENCODING", "h"], ["SET", "s", "x"], ["PFADD", "s", "a"], ["PFMERGE", "s", "h"]);

    [Fact]
    public void Sorts() => EffectScript.Run(servers,
        ["RPUSH", "k", "3", "1", "2"], ["SORT", "k"], ["SORT", "k", "STORE", "d"], ["sort", "k", "LIMIT", "0", "1", "store", "d"], ["SORT", "k", "LIMIT", "9", "1", "STORE", "d"],
        ["SORT", "k", "LIMIT", "9", "1", "STORE", "d"], ["SORT", "k", "GET", "#", "GET", "x_*", "STORE", "d"], ["SORT_RO", "k"], ["SADD", "s", "b", "a"],
        ["SORT", "s", "BY", "nosort", "STORE", "d"], ["SORT", "nokey", "STORE", "nokey2"]);
}
