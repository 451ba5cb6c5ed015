using System.Globalization;
using Xunit;

namespace Vermilion.Tests;

/// <summary>
/// The geo commands against redis-server 7.0.15: every command, option and error in both
/// protocols (coordinates, distances and orders compared byte for byte), bad input, the keys
/// COMMAND GETKEYS finds, and a seeded random mix of points worldwide (poles, antimeridian,
/// duplicates for ties) searched with random shapes, units, orders and counts.
/// </summary>
[Trait("Category", "Network")]
public class GeoCommandTests(DifferentialServers servers) : IClassFixture<DifferentialServers>
{
    static readonly string[][] Data =
    [
        ["GEOADD", "Sicily", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania"],
        ["GEOADD", "Sicily", "12.758489", "38.788135", "edge1", "17.241510", "38.788135", "edge2"],
        ["GEOADD", "points", "-180", "0", "west", "180", "0", "east", "0", "85.05112878", "top", "0", "-85.05112878", "bottom", "0", "0", "origin"],
        ["GEOADD", "points", "179.9999", "10", "nearEast", "-179.9999", "10", "nearWest", "0.0078125", "84.9", "pole", "-0", "-0", "negzero"],
        ["SET", "str", "x"], ["ZADD", "weird", "-1", "neg", "1e300", "huge", "inf", "inf", "-inf", "ninf", "4503599627370496", "beyond", "3.5", "frac"],
    ];

    static readonly string[][] Script =
    [
        .. Data,
        // GEOADD: options, replies, errors (the pair's %f text), wrong type.
        ["GEOADD", "Sicily", "NX", "13.361389", "38.115556", "Palermo", "1", "2", "new"], ["GEOADD", "Sicily", "XX", "13", "38", "Palermo", "1", "2", "new2"],
        ["GEOADD", "Sicily", "XX", "CH", "13.361389", "38.115556", "Palermo"], ["GEOADD", "Sicily", "ch", "nx", "3", "4", "new3", "1", "2", "new"],
        ["GEOADD", "Sicily", "CH", "1", "3", "new"], ["GEOADD", "Sicily", "NX", "XX", "1", "2", "x"], ["GEOADD", "Sicily", "1", "2"],
        ["GEOADD", "Sicily", "NX", "CH", "XX"], ["GEOADD", "Sicily", "ch", "ch", "ch"], ["GEOADD", "Sicily", "GT", "1", "2", "x"],
        ["GEOADD", "Sicily", "INCR", "1", "2", "x"], ["GEOADD", "Sicily", "200", "10", "x"], ["GEOADD", "Sicily", "10", "86", "x"],
        ["GEOADD", "Sicily", "-180.0000001", "0", "x"], ["GEOADD", "Sicily", "10", "-85.05112879", "x"], ["GEOADD", "Sicily", "inf", "0", "x"],
        ["GEOADD", "Sicily", "0", "-inf", "x"], ["GEOADD", "Sicily", "nan", "0", "x"], ["GEOADD", "Sicily", "1e300", "0", "x"], ["GEOADD", "Sicily", "200.0078125", "0", "x"],
        ["GEOADD", "Sicily", "abc", "0", "x"], ["GEOADD", "Sicily", "0", "", "x"], ["GEOADD", "Sicily", " 1", "0", "x"], ["GEOADD", "Sicily", "0x10", "0", "hex"],
        ["GEOADD", "Sicily", "1", "2", "ok", "300", "2", "bad"], ["ZSCORE", "Sicily", "ok"], ["GEOADD", "str", "1", "2", "x"], ["GEOADD", "str", "200", "2", "x"],
        ["GEOADD", "fresh", "XX", "1", "2", "x"], ["EXISTS", "fresh"], ["GEOADD", "Sicily"], ["GEOADD", "Sicily", "1", "2"],
        ["ZRANGE", "Sicily", "0", "-1", "WITHSCORES"], ["ZRANGE", "points", "0", "-1", "WITHSCORES"], ["OBJECT", "ENCODING", "Sicily"],
        // GEOPOS, GEODIST, GEOHASH.
        ["GEOPOS", "Sicily", "Palermo", "Catania", "missing", "hex"], ["GEOPOS", "points", "west", "east", "top", "bottom", "origin", "nearEast", "nearWest", "pole", "negzero"],
        ["GEOPOS", "nokey", "a", "b"], ["GEOPOS", "str", "a"], ["GEOPOS", "weird", "neg", "huge", "inf", "ninf", "beyond", "frac"], ["GEOPOS", "Sicily"],
        ["GEODIST", "Sicily", "Palermo", "Catania"], ["GEODIST", "Sicily", "Palermo", "Catania", "km"], ["GEODIST", "Sicily", "Palermo", "Catania", "MI"],
        ["GEODIST", "Sicily", "Palermo", "Catania", "ft"], ["GEODIST", "Sicily", "Palermo", "Catania", "m"], ["GEODIST", "Sicily", "Palermo", "Catania", "yd"],
        ["GEODIST", "Sicily", "Palermo", "Catania", "km", "x"], ["GEODIST", "Sicily", "Palermo", "missing"], ["GEODIST", "nokey", "a", "b"],
        ["GEODIST", "nokey", "a", "b", "yd"], ["GEODIST", "str", "a", "b"], ["GEODIST", "Sicily", "Palermo", "Palermo"], ["GEODIST", "points", "west", "east"],
        ["GEODIST", "points", "top", "bottom", "km"], ["GEODIST", "points", "nearEast", "nearWest"], ["GEODIST", "weird", "neg", "huge"], ["GEODIST", "Sicily", "Palermo"],
        ["GEOHASH", "Sicily", "Palermo", "Catania", "missing"], ["GEOHASH", "points", "west", "east", "top", "bottom", "origin", "pole", "negzero"],
        ["GEOHASH", "weird", "neg", "huge", "inf", "ninf", "beyond", "frac"], ["GEOHASH", "nokey", "a"], ["GEOHASH", "str", "a"], ["GEOHASH", "Sicily"],
        // GEORADIUS and GEORADIUSBYMEMBER, and their _RO forms.
        ["GEORADIUS", "Sicily", "15", "37", "200", "km"], ["GEORADIUS", "Sicily", "15", "37", "200", "km", "WITHDIST", "WITHCOORD", "WITHHASH"],
        ["GEORADIUS", "Sicily", "15", "37", "200", "km", "WITHDIST", "ASC"], ["GEORADIUS", "Sicily", "15", "37", "200", "km", "DESC", "WITHCOORD"],
        ["GEORADIUS", "Sicily", "15", "37", "200", "km", "COUNT", "1"], ["GEORADIUS", "Sicily", "15", "37", "200", "km", "COUNT", "1", "DESC"],
        ["GEORADIUS", "Sicily", "15", "37", "200", "km", "COUNT", "1", "ANY"], ["GEORADIUS", "Sicily", "15", "37", "2000", "mi", "count", "3", "any", "asc"],
        ["GEORADIUS", "Sicily", "15", "37", "200", "km", "ANY"], ["GEORADIUS", "Sicily", "15", "37", "200", "km", "COUNT", "0"],
        ["GEORADIUS", "Sicily", "15", "37", "200", "km", "COUNT", "-1"], ["GEORADIUS", "Sicily", "15", "37", "200", "km", "COUNT", "x"], ["GEORADIUS", "Sicily", "15", "37", "200", "km", "COUNT"],
        ["GEORADIUS", "Sicily", "15", "37", "-1", "km"], ["GEORADIUS", "Sicily", "15", "37", "nan", "km"], ["GEORADIUS", "Sicily", "15", "37", "x", "km"],
        ["GEORADIUS", "Sicily", "15", "37", "inf", "km"], ["GEORADIUS", "Sicily", "15", "37", "0", "m"], ["GEORADIUS", "Sicily", "15", "37", "1", "furlong"],
        ["GEORADIUS", "Sicily", "200", "37", "1", "km"], ["GEORADIUS", "Sicily", "15", "x", "1", "km"], ["GEORADIUS", "nokey", "15", "37", "1", "km"],
        ["GEORADIUS", "nokey", "200", "37", "1", "km"], ["GEORADIUS", "str", "200", "37", "1", "km"], ["GEORADIUS", "Sicily", "15", "37", "200", "km", "BOGUS"],
        ["GEORADIUS", "Sicily", "15", "37", "200", "km", "STORE", "dst"], ["ZRANGE", "dst", "0", "-1", "WITHSCORES"], ["OBJECT", "ENCODING", "dst"],
        ["GEORADIUS", "Sicily", "15", "37", "200", "km", "STOREDIST", "dst"], ["ZRANGE", "dst", "0", "-1", "WITHSCORES"],
        ["GEORADIUS", "Sicily", "15", "37", "200", "km", "STORE", "dst", "STOREDIST", "dst2"], ["ZRANGE", "dst2", "0", "-1", "WITHSCORES"],
        ["GEORADIUS", "Sicily", "15", "37", "200", "km", "STORE", "dst", "WITHDIST"], ["GEORADIUS", "Sicily", "15", "37", "200", "km", "STORE"],
        ["GEORADIUS", "Sicily", "15", "37", "200", "km", "COUNT", "1", "STORE", "dst"], ["ZRANGE", "dst", "0", "-1", "WITHSCORES"],
        ["GEORADIUS", "Sicily", "0", "0", "1", "km", "STORE", "dst"], ["EXISTS", "dst"], ["GEORADIUS", "nokey", "15", "37", "1", "km", "STORE", "dst2"], ["EXISTS", "dst2"],
        ["GEORADIUS", "Sicily", "15", "37", "200", "km", "STORE", "Sicily"], ["ZRANGE", "Sicily", "0", "-1", "WITHSCORES"],
        ["GEOADD", "Sicily", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania", "12.758489", "38.788135", "edge1", "17.241510", "38.788135", "edge2"],
        ["GEORADIUS_RO", "Sicily", "15", "37", "200", "km", "WITHDIST"], ["GEORADIUS_RO", "Sicily", "15", "37", "200", "km", "STORE", "dst"],
        ["GEORADIUS_RO", "Sicily", "15", "37", "200", "km", "STOREDIST", "dst"], ["GEORADIUS", "Sicily", "15", "37", "200", "km", "FROMMEMBER", "Palermo"],
        ["GEORADIUSBYMEMBER", "Sicily", "Palermo", "200", "km"], ["GEORADIUSBYMEMBER", "Sicily", "Palermo", "200", "km", "WITHDIST", "WITHHASH", "DESC"],
        ["GEORADIUSBYMEMBER", "Sicily", "missing", "200", "km"], ["GEORADIUSBYMEMBER", "Sicily", "missing", "x", "km"], ["GEORADIUSBYMEMBER", "Sicily", "Palermo", "x", "km"],
        ["GEORADIUSBYMEMBER", "nokey", "Palermo", "x", "yd"], ["GEORADIUSBYMEMBER", "nokey", "Palermo", "x", "yd", "WITHDIST"], ["GEORADIUSBYMEMBER", "nokey", "m", "1", "km", "BOGUS"],
        ["GEORADIUSBYMEMBER", "nokey", "m", "1", "km", "STORE", "dst"], ["GEORADIUSBYMEMBER", "str", "m", "1", "km"],
        ["GEORADIUSBYMEMBER", "Sicily", "Palermo", "300", "km", "STOREDIST", "dst"], ["ZRANGE", "dst", "0", "-1", "WITHSCORES"],
        ["GEORADIUSBYMEMBER_RO", "Sicily", "Palermo", "300", "km", "COUNT", "2"], ["GEORADIUSBYMEMBER_RO", "Sicily", "Palermo", "300", "km", "STORE", "dst"],
        // GEOSEARCH and GEOSEARCHSTORE.
        ["GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "ASC"], ["GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "BYRADIUS", "200", "km"],
        ["GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYBOX", "400", "400", "km", "ASC", "WITHCOORD", "WITHDIST", "WITHHASH"],
        ["GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "BYBOX", "300", "300", "km", "DESC", "COUNT", "2"], ["GEOSEARCH", "Sicily", "frommember", "Palermo", "bybox", "1", "1", "M"],
        ["GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYBOX", "400", "400", "km", "COUNT", "1", "ANY"],
        ["GEOSEARCH", "Sicily", "BYRADIUS", "200", "km", "FROMLONLAT", "15", "37"], ["GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37"],
        ["GEOSEARCH", "Sicily", "BYRADIUS", "200", "km"], ["geosearch", "Sicily", "BYBOX", "1", "1", "km", "WITHDIST"], ["GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "FROMMEMBER", "Palermo", "BYRADIUS", "1", "m"],
        ["GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "FROMLONLAT", "15", "37", "BYRADIUS", "1", "m"], ["GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "FROMMEMBER", "Catania", "BYRADIUS", "1", "m"],
        ["GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "1", "m", "BYBOX", "1", "1", "m"], ["GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYBOX", "1", "1", "m", "BYRADIUS", "1", "m"],
        ["GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "1", "m", "BYRADIUS", "500", "km"], ["GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYBOX", "-1", "1", "m"],
        ["GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYBOX", "1", "x", "m"], ["GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYBOX", "x", "1", "m"],
        ["GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYBOX", "1", "1", "yd"], ["GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYBOX", "1", "1"],
        ["GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "1"], ["GEOSEARCH", "Sicily", "FROMLONLAT", "15", "BYRADIUS", "1", "km"],
        ["GEOSEARCH", "Sicily", "FROMMEMBER", "missing", "BYRADIUS", "1", "km"], ["GEOSEARCH", "Sicily", "FROMMEMBER"], ["GEOSEARCH", "Sicily", "FROMLONLAT", "190", "0", "BYRADIUS", "1", "km"],
        ["GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "STORE", "dst"], ["GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "STOREDIST"],
        ["GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "ANY"], ["GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "COUNT", "0"],
        ["GEOSEARCH", "nokey", "FROMMEMBER", "x", "BYRADIUS", "1", "km"], ["GEOSEARCH", "nokey", "FROMMEMBER", "x", "BYRADIUS", "1", "yd"], ["GEOSEARCH", "nokey", "FROMMEMBER", "x"],
        ["GEOSEARCH", "nokey", "FROMLONLAT", "500", "0", "BYRADIUS", "1", "km"], ["GEOSEARCH", "str", "FROMMEMBER", "x", "BYRADIUS", "1", "km"],
        ["GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km\0x"], ["GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "ASC\0x"],
        ["GEOSEARCHSTORE", "dst", "Sicily", "FROMLONLAT", "15", "37", "BYBOX", "400", "400", "km"], ["ZRANGE", "dst", "0", "-1", "WITHSCORES"],
        ["GEOSEARCHSTORE", "dst", "Sicily", "FROMLONLAT", "15", "37", "BYBOX", "400", "400", "km", "STOREDIST", "COUNT", "2", "DESC"], ["ZRANGE", "dst", "0", "-1", "WITHSCORES"],
        ["GEOSEARCHSTORE", "dst", "Sicily", "FROMLONLAT", "15", "37", "BYBOX", "400", "400", "km", "WITHCOORD"],
        ["GEOSEARCHSTORE", "dst", "Sicily", "FROMLONLAT", "15", "37", "BYBOX", "400", "400", "km", "STORE", "x"],
        ["GEOSEARCHSTORE", "dst", "Sicily", "FROMLONLAT", "0", "0", "BYRADIUS", "1", "m"], ["EXISTS", "dst"], ["GEOSEARCHSTORE", "dst", "nokey", "FROMMEMBER", "a", "BYRADIUS", "1", "m"],
        ["SET", "dst", "v"], ["EXPIRE", "dst", "100"], ["GEOSEARCHSTORE", "dst", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km"], ["TTL", "dst"], ["TYPE", "dst"],
        ["GEOSEARCHSTORE", "dst", "str", "FROMMEMBER", "a", "BYRADIUS", "1", "m"], ["GEOSEARCHSTORE", "str", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km"], ["TYPE", "str"],
        ["GEOSEARCHSTORE", "dst", "Sicily", "FROMLONLAT", "15", "37"], ["GEOSEARCHSTORE", "dst", "Sicily", "BYRADIUS", "1", "m"],
        // Around the edges of the index: the poles, the antimeridian, everything.
        ["GEOSEARCH", "points", "FROMLONLAT", "179.99", "10", "BYRADIUS", "100", "km", "WITHDIST", "ASC"], ["GEOSEARCH", "points", "FROMLONLAT", "-180", "0", "BYRADIUS", "1", "km", "WITHCOORD"],
        ["GEOSEARCH", "points", "FROMLONLAT", "180", "0", "BYBOX", "10", "10", "km", "WITHCOORD"], ["GEOSEARCH", "points", "FROMLONLAT", "0", "85.05112878", "BYRADIUS", "5000", "km", "WITHDIST"],
        ["GEOSEARCH", "points", "FROMLONLAT", "0", "-85.05112878", "BYBOX", "20000", "500", "km", "WITHDIST"], ["GEOSEARCH", "points", "FROMLONLAT", "0", "0", "BYRADIUS", "inf", "m", "WITHDIST"],
        ["GEOSEARCH", "points", "FROMLONLAT", "0", "0", "BYRADIUS", "30000", "km", "WITHDIST", "DESC"], ["GEOSEARCH", "points", "FROMMEMBER", "top", "BYBOX", "inf", "inf", "km", "WITHDIST"],
        ["GEOSEARCH", "points", "FROMMEMBER", "origin", "BYRADIUS", "0", "m", "WITHDIST"], ["GEORADIUSBYMEMBER", "points", "pole", "1000", "km", "WITHDIST", "WITHCOORD"],
        ["GEOSEARCH", "weird", "FROMMEMBER", "neg", "BYRADIUS", "100", "km", "WITHCOORD", "WITHHASH"], ["GEOSEARCH", "weird", "FROMMEMBER", "huge", "BYRADIUS", "20000", "km", "WITHHASH"],
        ["GEORADIUS_RO", "str", "1", "2", "3", "km"], ["GEORADIUSBYMEMBER_RO", "str", "m", "3", "km"], ["GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "COUNT", "9223372036854775807"],
        ["GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "COUNT", "9223372036854775807", "ANY"], ["GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "COUNT", "99999999999999999999"],
        ["GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "-inf", "km"], ["GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "-0", "km", "WITHDIST"],
        ["GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYBOX", "inf", "nan", "km"], ["GEOSEARCH", "Sicily", "FROMLONLAT", "nan", "37", "BYRADIUS", "1", "km"],
        ["GEOSEARCH", "Sicily", "FROMLONLAT", "15", "-inf", "BYRADIUS", "1", "km"], ["GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "1", ""],
        // Arity and keys.
        ["GEOPOS"], ["GEODIST", "k", "a"], ["GEOHASH"], ["GEORADIUS", "k", "1", "2", "3"], ["GEORADIUSBYMEMBER", "k", "m", "1"], ["GEOSEARCH", "k"], ["GEOSEARCHSTORE", "d", "k"],
        ["COMMAND", "GETKEYS", "GEORADIUS", "k", "1", "2", "3", "m", "STORE", "a", "STOREDIST", "b"], ["COMMAND", "GETKEYS", "GEORADIUS", "k", "1", "2", "3", "m", "STORE"],
        ["COMMAND", "GETKEYS", "GEORADIUSBYMEMBER", "k", "x", "3", "m", "STOREDIST", "a"], ["COMMAND", "GETKEYS", "GEOSEARCHSTORE", "d", "k", "FROMMEMBER", "x"],
        ["COMMAND", "GETKEYS", "GEOADD", "k", "1", "2", "m"], ["COMMAND", "GETKEYS", "GEORADIUS_RO", "k", "1", "2", "3", "m"],
        ["COMMAND", "INFO", "GEOADD", "GEOPOS", "GEODIST", "GEOHASH", "GEOSEARCH", "GEOSEARCHSTORE", "GEORADIUS", "GEORADIUS_RO", "GEORADIUSBYMEMBER", "GEORADIUSBYMEMBER_RO"],
        ["COMMAND", "DOCS", "GEOSEARCH"],
    ];

    [Fact]
    public void CommandsAndErrors() => servers.Same(Script);

    [Fact]
    public void CommandsAndErrorsResp3() => servers.Same(new SameOptions { Resp = 3 }, Script);

    /// <summary>Each command looks its source up once, as a read: hits and misses count as on redis-server (a key of another type is a hit).</summary>
    [Fact]
    public void KeyspaceHitsAndMisses() => servers.SameKeyspaceHitsAndMisses(
        [.. Data, ["GEOPOS", "Sicily", "Palermo"], ["GEOPOS", "nokey", "a"], ["GEODIST", "Sicily", "Palermo", "Catania"], ["GEODIST", "nokey", "a", "b"], ["GEOHASH", "nokey", "a"],
        ["GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "BYRADIUS", "1", "km"], ["GEOSEARCH", "nokey", "FROMMEMBER", "Palermo", "BYRADIUS", "1", "km"],
        ["GEOSEARCHSTORE", "d", "Sicily", "FROMMEMBER", "Palermo", "BYRADIUS", "1", "km"], ["GEORADIUS", "nokey", "1", "2", "3", "km", "STORE", "d"],
        ["GEORADIUSBYMEMBER_RO", "Sicily", "Palermo", "1", "km"], ["GEOADD", "Sicily", "1", "2", "x"], ["GEOPOS", "str", "a"], ["GEOSEARCH", "str", "FROMMEMBER", "a", "BYRADIUS", "1", "km"]]);

    /// <summary>The compact and the tree encoding answer alike, and a stored result takes the encoding Redis gives it.</summary>
    [Fact]
    public void BothEncodings()
    {
        using var _ = servers.Configure("zset-max-listpack-entries", "4");
        servers.Same([.. Data, ["OBJECT", "ENCODING", "points"], ["GEOSEARCH", "points", "FROMLONLAT", "0", "0", "BYRADIUS", "30000", "km", "WITHDIST", "WITHHASH"],
            ["GEOSEARCHSTORE", "d", "points", "FROMLONLAT", "0", "0", "BYRADIUS", "30000", "km", "COUNT", "4"], ["OBJECT", "ENCODING", "d"],
            ["GEOSEARCHSTORE", "d", "points", "FROMLONLAT", "0", "0", "BYRADIUS", "30000", "km", "COUNT", "5"], ["OBJECT", "ENCODING", "d"], ["ZRANGE", "d", "0", "-1", "WITHSCORES"],
            ["GEOADD", "long", new string('x', 65), "1", "2"], ["GEOADD", "long2", "1", "2", new string('y', 65)], ["OBJECT", "ENCODING", "long2"]]);
    }

    /// <summary>
    /// Points worldwide (some at the poles' limits and by the antimeridian, some repeated under
    /// other names so distances tie), searched with random centres, shapes, units, orders,
    /// COUNT and ANY: every reply byte for byte. VERMILION_SEED replays a failure.
    /// </summary>
    [Fact]
    public void RandomizedDifferential()
    {
        int seed = Environment.GetEnvironmentVariable("VERMILION_SEED") is { } text ? int.Parse(text) : 1717;
        var rng = new Random(seed);
        using var pair = servers.Connect();
        string F(double d) => d.ToString("R", CultureInfo.InvariantCulture);
        double Longitude() => rng.Next(6) switch
        {
            0 => 180 - rng.NextDouble() * 2,
            1 => -180 + rng.NextDouble() * 2,
            2 => rng.Next(2) == 0 ? 180 : -180,
            _ => rng.NextDouble() * 360 - 180,
        };
        double Latitude() => rng.Next(6) switch
        {
            0 => 85.05112878 - rng.NextDouble() * 3,
            1 => -85.05112878 + rng.NextDouble() * 3,
            2 => rng.Next(2) == 0 ? 85.05112878 : -85.05112878,
            _ => rng.NextDouble() * 170 - 85,
        };
        var points = new List<(double Lon, double Lat)>();
        string Unit() => rng.Next(4) switch { 0 => "m", 1 => "km", 2 => "ft", _ => "MI" };
        double Meters() => rng.Next(8) == 0 ? rng.Next(3) * 1.0 : Math.Pow(10, rng.NextDouble() * 7.5);
        string Size(string unit) => F(Meters() / (unit.ToLowerInvariant() switch { "m" => 1, "km" => 1000, "ft" => 0.3048, _ => 1609.34 }));
        string Member() => "p" + rng.Next(Math.Max(1, points.Count + 5));
        string[] LonLat()
        {
            var (lon, lat) = points.Count > 0 && rng.Next(2) == 0 ? points[rng.Next(points.Count)] : (Longitude(), Latitude());
            return [F(lon), F(lat)];
        }
        string[] Centre() => rng.Next(3) == 0 ? ["FROMMEMBER", Member()] : ["FROMLONLAT", .. LonLat()];
        string[] Options(bool store)
        {
            var o = new List<string>();
            if (!store)
            {
                if (rng.Next(2) == 0) o.Add("WITHDIST");
                if (rng.Next(3) == 0) o.Add("WITHCOORD");
                if (rng.Next(4) == 0) o.Add("WITHHASH");
            }
            int order = rng.Next(3);
            if (order == 1) o.Add("ASC");
            if (order == 2) o.Add("DESC");
            if (rng.Next(2) == 0)
            {
                o.AddRange(["COUNT", (rng.Next(4) == 0 ? rng.Next(1, 3) : rng.Next(1, 60)).ToString()]);
                if (rng.Next(3) == 0) o.Add("ANY");
            }
            return [.. o.OrderBy(_ => rng.Next())];
        }
        string[] Shape()
        {
            string unit = Unit();
            return rng.Next(2) == 0 ? ["BYRADIUS", Size(unit), unit] : ["BYBOX", Size(unit), Size(unit), unit];
        }

        int nonEmpty = 0, errors = 0;
        for (int round = 0; round < 3; round++)
        {
            pair.Same(["DEL", "g", "d"]);
            points.Clear();
            // A small set stays compact (listpack), the later ones are skiplists.
            int size = round == 0 ? 60 : 400 + rng.Next(400);
            for (int i = 0; i < size; i += 50)
            {
                var add = new List<string> { "GEOADD", "g" };
                for (int j = i; j < Math.Min(size, i + 50); j++)
                {
                    var point = points.Count > 0 && rng.Next(10) == 0 ? points[rng.Next(points.Count)] : (Longitude(), Latitude());
                    points.Add(point);
                    add.AddRange([F(point.Item1), F(point.Item2), "p" + j]);
                }
                pair.Same([.. add], $"seed {seed}: ");
            }
            for (int i = 0; i < 700; i++)
            {
                string[] cmd = rng.Next(10) switch
                {
                    0 => ["GEORADIUS", "g", .. LonLat(), Size("km"), "km", .. Options(false)],
                    1 => ["GEORADIUSBYMEMBER", "g", Member(), Size("m"), "m", .. Options(false)],
                    2 => ["GEOSEARCHSTORE", "d", "g", .. Centre(), .. Shape(), .. Options(true), .. (rng.Next(2) == 0 ? new[] { "STOREDIST" } : [])],
                    3 => ["ZRANGE", "d", "0", "-1", "WITHSCORES"],
                    4 => ["GEODIST", "g", Member(), Member(), Unit()],
                    5 => ["GEOPOS", "g", Member(), Member()],
                    6 => ["GEOHASH", "g", Member(), Member()],
                    _ => ["GEOSEARCH", "g", .. Centre(), .. Shape(), .. Options(false)],
                };
                string expected = pair.Same(cmd, $"seed {seed}, round {round}, command #{i}: ");
                if (expected.StartsWith('*') && expected.Length > 8) nonEmpty++;
                if (expected.StartsWith('-')) errors++;
            }
        }
        Assert.True(nonEmpty > 600 && errors < 600, $"{nonEmpty} non-empty array replies, {errors} errors");
    }
}
