using Xunit;

namespace Vermilion.Tests;

/// <summary>
/// What the geo commands propagate, and how far they move dirty, against redis-server 7.0.15's
/// AOF (the harness of <see cref="EffectStreamTests"/>): GEOADD as the ZADD it becomes (options
/// as typed, scores as integers), nothing when it changed nothing; GEOSEARCHSTORE and GEORADIUS
/// STORE as themselves, counting each stored point, an empty result one deletion (none when
/// there was nothing to delete); the searches that only read, nothing.
/// </summary>
[Trait("Category", "Network")]
public class GeoEffectTests(EffectServers servers) : IClassFixture<EffectServers>
{
    [Fact]
    public void GeoCommands() => EffectScript.Run(servers,
        ["GEOADD", "Sicily", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania"], ["geoadd", "Sicily", "nx", "Ch", "13.361389", "38.115556", "Palermo"],
        ["GEOADD", "Sicily", "XX", "CH", "13.5", "38.115556", "Palermo", "1", "2", "absent"], ["GEOADD", "Sicily", "13.5", "38.115556", "Palermo"],
        ["GEOADD", "Sicily", "200", "1", "x"], ["GEOADD", "other", "XX", "1", "2", "x"], ["GEOPOS", "Sicily", "Palermo"], ["GEODIST", "Sicily", "Palermo", "Catania"],
        ["GEOHASH", "Sicily", "Palermo"], ["GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km"],
        ["GEOSEARCHSTORE", "d", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "STOREDIST"], ["GEOSEARCHSTORE", "d", "Sicily", "FROMLONLAT", "0", "0", "BYRADIUS", "1", "km"],
        ["GEOSEARCHSTORE", "d", "Sicily", "FROMLONLAT", "0", "0", "BYRADIUS", "1", "km"], ["GEOSEARCHSTORE", "d", "nokey", "FROMMEMBER", "x", "BYRADIUS", "1", "km"],
        ["GEORADIUS", "Sicily", "15", "37", "200", "km", "STORE", "d2"], ["GEORADIUSBYMEMBER", "Sicily", "Palermo", "300", "km", "STOREDIST", "d3", "COUNT", "1"],
        ["GEORADIUS", "nokey", "15", "37", "200", "km", "STORE", "d2"], ["GEORADIUS_RO", "Sicily", "15", "37", "200", "km"], ["GEORADIUS", "Sicily", "15", "37", "200", "km"],
        ["MULTI"], ["GEOADD", "m", "1", "2", "a"], ["GEOSEARCHSTORE", "d4", "m", "FROMMEMBER", "a", "BYRADIUS", "1", "km"], ["EXEC"],
        ["EVAL", "redis.call('GEOADD', KEYS[1], 'CH', 3, 4, 'b', 1, 2, 'a'); return redis.call('GEORADIUS', KEYS[1], 1, 2, 1000, 'km', 'STORE', KEYS[2])", "2", "m", "d5"]);
}
