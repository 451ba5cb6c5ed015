using Vermilion.Storage;
using Xunit;

namespace Vermilion.Tests.Unit;

/// <summary>The geohash arithmetic without a server, on values redis-server 7.0.15 gives (GEOADD's scores, GEOPOS, GEOHASH, GEODIST).</summary>
public class GeoHashTests
{
    [Theory]
    [InlineData(13.361389, 38.115556, 3479099956230698UL)]
    [InlineData(15.087269, 37.502669, 3479447370796909UL)]
    [InlineData(-180, -85.05112878, 0UL)]
    [InlineData(0, 0, 3377699720527872UL)]
    public void ScoresAreRedisScores(double longitude, double latitude, ulong score) => Assert.Equal(score, GeoHash.Score(longitude, latitude));

    [Fact]
    public void ScoresDecodeToTheCentreOfTheirCell()
    {
        var (longitude, latitude) = GeoHash.DecodeScore(3479099956230698);
        Assert.Equal(13.36138933897018433, longitude, 15);
        Assert.Equal(38.11555639549629859, latitude, 15);
        // Every point decodes within half a step-26 cell of where it was added, and encodes back to the same score.
        var random = new Random(3);
        for (int i = 0; i < 10_000; i++)
        {
            double lon = random.NextDouble() * 360 - 180, lat = random.NextDouble() * 2 * GeoHash.LatitudeMax - GeoHash.LatitudeMax;
            ulong score = GeoHash.Score(lon, lat);
            var (x, y) = GeoHash.DecodeScore(score);
            Assert.InRange(Math.Abs(x - lon), 0, 360.0 / (1 << 27) + 1e-12);
            Assert.InRange(Math.Abs(y - lat), 0, 2 * GeoHash.LatitudeMax / (1 << 27) + 1e-12);
            Assert.Equal(score, GeoHash.Score(x, y));
        }
    }

    [Fact]
    public void StandardHashIsElevenCharacters()
    {
        Span<byte> text = stackalloc byte[11];
        var (longitude, latitude) = GeoHash.DecodeScore(3479099956230698);
        GeoHash.StandardHash(longitude, latitude, text);
        Assert.Equal("sqc8b49rny0", System.Text.Encoding.ASCII.GetString(text));
    }

    [Fact]
    public void DistanceIsRedisHaversine()
    {
        var (lon1, lat1) = GeoHash.DecodeScore(3479099956230698);
        var (lon2, lat2) = GeoHash.DecodeScore(3479447370796909);
        Assert.Equal(166274.1516, Math.Round(GeoHash.Distance(lon1, lat1, lon2, lat2), 4));
        // Equal longitudes take the meridian's shortcut.
        Assert.Equal(GeoHash.LatitudeDistance(10, 20), GeoHash.Distance(5, 10, 5, 20));
    }

    [Theory]
    [InlineData(0, 0, 26)]
    [InlineData(1000, 0, 14)]
    [InlineData(1000, 70, 13)]
    [InlineData(1000, -81, 12)]
    [InlineData(5e7, 0, 1)]
    public void StepEstimate(double meters, double latitude, int step) => Assert.Equal(step, GeoHash.EstimateStep(meters, latitude));

    /// <summary>The nine cells: the centre first, dropped neighbours are none, and their score ranges tile without overlap.</summary>
    [Fact]
    public void SearchCells()
    {
        var shape = new GeoShape { Longitude = 15, Latitude = 37, Radius = 200, Conversion = 1000 };
        Span<GeoCell> cells = stackalloc GeoCell[9];
        GeoHash.SearchCells(shape, cells);
        Assert.False(cells[0].IsNone);
        GeoHash.ScoreRange(cells[0], out double min, out double max);
        Assert.InRange((double)GeoHash.Score(15, 37), min, max - 1);
        var ranges = new List<(double, double)>();
        foreach (var cell in cells)
        {
            if (cell.IsNone) continue;
            GeoHash.ScoreRange(cell, out min, out max);
            Assert.All(ranges, r => Assert.True(max <= r.Item1 || min >= r.Item2));
            ranges.Add((min, max));
        }
    }
}
