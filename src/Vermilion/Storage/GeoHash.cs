namespace Vermilion.Storage;

/// <summary>A geohash cell: <see cref="Step"/> bits of each coordinate, interleaved (latitude in the even bits). Step 0 is "no cell" (GZERO).</summary>
public readonly record struct GeoCell(ulong Bits, int Step)
{
    public bool IsNone => Bits == 0 && Step == 0;
}

/// <summary>The rectangle a cell covers, in degrees.</summary>
public readonly record struct GeoArea(double LongitudeMin, double LongitudeMax, double LatitudeMin, double LatitudeMax);

/// <summary>
/// What GEOSEARCH looks for: a circle (<see cref="Radius"/>) or a box (<see cref="Width"/> ×
/// <see cref="Height"/>) around a centre, in a unit that is <see cref="Conversion"/> metres.
/// </summary>
public struct GeoShape
{
    public double Longitude, Latitude;
    public bool IsBox;
    public double Radius, Width, Height;
    public double Conversion;
    /// <summary>
    /// cos of the centre's latitude, which every haversine from the centre takes: set once per
    /// search by <see cref="Prepare"/> (the same value Redis computes again for each point;
    /// measured: sin and cos were a third of a GEOSEARCH's time). 0 until then.
    /// </summary>
    public double CenterCos;

    public void Prepare() => CenterCos = GeoHash.Cos(Latitude);
}

/// <summary>
/// Redis's geospatial index (geohash.c, geohash_helper.c): a point is the sorted-set score made of
/// its longitude and latitude cut into 2^26 steps each and interleaved into 52 bits, with the
/// latitude range of Web Mercator (±85.05112878°, as GEO_LAT_MIN/MAX). A search covers its shape
/// with the centre's cell and its eight neighbours at a step estimated from the radius, so each is
/// one range of scores; distances are haversine on a sphere of Redis's radius. Every step is the
/// same IEEE arithmetic in the same order as Redis's, so scores, decoded coordinates, the cells
/// visited (hence the order of unsorted results) and distances agree to the last bit.
/// </summary>
public static class GeoHash
{
    public const double LatitudeMin = -85.05112878, LatitudeMax = 85.05112878;
    public const double LongitudeMin = -180, LongitudeMax = 180;
    public const int MaxStep = 26;
    /// <summary>EARTH_RADIUS_IN_METERS: the quadratic mean radius of WGS-84 Redis measures with.</summary>
    public const double EarthRadius = 6372797.560856;
    /// <summary>MERCATOR_MAX: the half-circumference the step estimate doubles a radius up to.</summary>
    const double MercatorMax = 20037726.37;
    const double DegreesToRadians = Math.PI / 180.0;

    static double ToRadians(double degrees) => degrees * DegreesToRadians;
    static double ToDegrees(double radians) => radians / DegreesToRadians;

    // ---- bit interleaving ---------------------------------------------------------------------

    /// <summary>The 32 bits of <paramref name="v"/> moved to the even bit positions of a 64-bit word.</summary>
    static ulong Spread(uint v)
    {
        ulong x = v;
        x = (x | (x << 16)) & 0x0000FFFF0000FFFFUL;
        x = (x | (x << 8)) & 0x00FF00FF00FF00FFUL;
        x = (x | (x << 4)) & 0x0F0F0F0F0F0F0F0FUL;
        x = (x | (x << 2)) & 0x3333333333333333UL;
        x = (x | (x << 1)) & 0x5555555555555555UL;
        return x;
    }

    /// <summary>The even bits of <paramref name="x"/> gathered into 32 (the inverse of <see cref="Spread"/>).</summary>
    static uint Gather(ulong x)
    {
        x &= 0x5555555555555555UL;
        x = (x | (x >> 1)) & 0x3333333333333333UL;
        x = (x | (x >> 2)) & 0x0F0F0F0F0F0F0F0FUL;
        x = (x | (x >> 4)) & 0x00FF00FF00FF00FFUL;
        x = (x | (x >> 8)) & 0x0000FFFF0000FFFFUL;
        x = (x | (x >> 16)) & 0x00000000FFFFFFFFUL;
        return (uint)x;
    }

    static ulong Interleave(uint latitude, uint longitude) => Spread(latitude) | (Spread(longitude) << 1);

    // ---- encoding and decoding ----------------------------------------------------------------

    /// <summary>
    /// geohashEncode over [-180, 180] × [<paramref name="latitudeMin"/>, <paramref name="latitudeMax"/>]:
    /// each coordinate's offset in its range, scaled to 2^step and truncated. False outside the
    /// index's limits (GEO_LAT_MIN/MAX, GEO_LONG_MIN/MAX) or the range.
    /// </summary>
    public static bool TryEncode(double longitude, double latitude, int step, double latitudeMin, double latitudeMax, out GeoCell cell)
    {
        cell = default;
        if (longitude > LongitudeMax || longitude < LongitudeMin || latitude > LatitudeMax || latitude < LatitudeMin) return false;
        if (latitude < latitudeMin || latitude > latitudeMax) return false;
        double latitudeOffset = (latitude - latitudeMin) / (latitudeMax - latitudeMin);
        double longitudeOffset = (longitude - LongitudeMin) / (LongitudeMax - LongitudeMin);
        latitudeOffset *= 1UL << step;
        longitudeOffset *= 1UL << step;
        cell = new GeoCell(Interleave((uint)latitudeOffset, (uint)longitudeOffset), step);
        return true;
    }

    /// <summary>GEOADD's score: the point at step 26, aligned to 52 bits (geohashEncodeWGS84 + geohashAlign52Bits). The caller checked the limits.</summary>
    public static ulong Score(double longitude, double latitude)
    {
        TryEncode(longitude, latitude, MaxStep, LatitudeMin, LatitudeMax, out var cell);
        return Align52(cell);
    }

    /// <summary>geohashAlign52Bits: the cell's bits as the top of a 52-bit score.</summary>
    public static ulong Align52(GeoCell cell) => cell.Bits << (52 - cell.Step * 2);

    /// <summary>geohashDecode over the index's ranges: the rectangle of the cell.</summary>
    public static GeoArea Decode(GeoCell cell) => Decode(cell, LatitudeMin, LatitudeMax);

    static GeoArea Decode(GeoCell cell, double latitudeMin, double latitudeMax)
    {
        uint latitudeIndex = Gather(cell.Bits), longitudeIndex = Gather(cell.Bits >> 1);
        double latitudeScale = latitudeMax - latitudeMin, longitudeScale = LongitudeMax - LongitudeMin;
        double cells = 1UL << cell.Step;
        // (index + 1) is 32-bit unsigned arithmetic in Redis: it wraps for the all-ones index a
        // score past 2^52 can hold.
        return new GeoArea(
            LongitudeMin + (longitudeIndex * 1.0 / cells) * longitudeScale,
            LongitudeMin + (unchecked(longitudeIndex + 1) * 1.0 / cells) * longitudeScale,
            latitudeMin + (latitudeIndex * 1.0 / cells) * latitudeScale,
            latitudeMin + (unchecked(latitudeIndex + 1) * 1.0 / cells) * latitudeScale);
    }

    /// <summary>
    /// decodeGeohash: a score back to the centre of its step-26 cell, clamped to the index's
    /// limits (geohashDecodeAreaToLongLat). Any score decodes: it becomes a 64-bit word as x86-64
    /// converts a double to uint64_t (see <see cref="ScoreBits"/>).
    /// </summary>
    public static (double Longitude, double Latitude) DecodeScore(double score)
    {
        var area = Decode(new GeoCell(ScoreBits(score), MaxStep));
        double longitude = Math.Clamp((area.LongitudeMin + area.LongitudeMax) / 2, LongitudeMin, LongitudeMax);
        double latitude = Math.Clamp((area.LatitudeMin + area.LatitudeMax) / 2, LatitudeMin, LatitudeMax);
        return (longitude, latitude);
    }

    /// <summary>
    /// (uint64_t)score as gcc compiles it for x86-64: below 2^63 (or NaN) the signed truncation
    /// (negative scores wrap, out of range is 2^63), from 2^63 the truncation of score − 2^63 with
    /// the top bit flipped (so 2^64 and beyond, and +inf, give 0). .NET's own conversion saturates.
    /// </summary>
    static ulong ScoreBits(double score)
    {
        const double TwoTo63 = 9223372036854775808.0;
        if (!(score >= TwoTo63)) return (ulong)Truncate(score);
        return (ulong)Truncate(score - TwoTo63) ^ 0x8000000000000000UL;

        // cvttsd2si: NaN and values outside the long range give the "integer indefinite".
        static long Truncate(double d) => d >= -TwoTo63 && d < TwoTo63 ? (long)d : long.MinValue;
    }

    /// <summary>
    /// GEOHASH's text: the point re-encoded over the standard latitude range [-90, 90] (the index
    /// uses Mercator's), in 10 base-32 digits of its 52 bits and an 11th that is always '0'.
    /// </summary>
    public static void StandardHash(double longitude, double latitude, Span<byte> into)
    {
        ReadOnlySpan<byte> alphabet = "0123456789bcdefghjkmnpqrstuvwxyz"u8;
        TryEncode(longitude, latitude, MaxStep, -90, 90, out var cell);
        for (int i = 0; i < 10; i++) into[i] = alphabet[(int)((cell.Bits >> (52 - (i + 1) * 5)) & 0x1f)];
        into[10] = (byte)'0';
    }

    /// <summary>geohash_move_x/geohash_move_y: the cell <paramref name="east"/> and <paramref name="north"/> steps away, wrapping around at the edges.</summary>
    /// <remarks>A coordinate that does not move keeps its bits unmasked, as Redis's: a centre at exactly
    /// 180° or the top latitude has the index 2^step, one past the last cell.</remarks>
    static GeoCell Move(GeoCell cell, int east, int north)
    {
        uint mask = (uint)((1UL << cell.Step) - 1);
        uint latitude = Gather(cell.Bits), longitude = Gather(cell.Bits >> 1);
        if (north != 0) latitude = (uint)(latitude + north) & mask;
        if (east != 0) longitude = (uint)(longitude + east) & mask;
        return new GeoCell(Interleave(latitude, longitude), cell.Step);
    }

    // ---- distances ----------------------------------------------------------------------------

    /// <summary>geohashGetLatDistance: along a meridian, where the haversine reduces to the difference of latitudes.</summary>
    public static double LatitudeDistance(double latitude1, double latitude2) =>
        EarthRadius * Math.Abs(ToRadians(latitude2) - ToRadians(latitude1));

    /// <summary>geohashGetDistance: the haversine great-circle distance in metres (a meridian's shortcut when the longitudes agree).</summary>
    public static double Distance(double longitude1, double latitude1, double longitude2, double latitude2) =>
        Distance(longitude1, latitude1, 0, longitude2, latitude2, 0);

    /// <summary>cos of a latitude in degrees, as the haversine takes it.</summary>
    internal static double Cos(double latitude) => Math.Cos(ToRadians(latitude));

    /// <summary>The haversine with the cosines of the latitudes given when known (0: not known), to the same bits.</summary>
    static double Distance(double longitude1, double latitude1, double cos1, double longitude2, double latitude2, double cos2)
    {
        double longitude1r = ToRadians(longitude1), longitude2r = ToRadians(longitude2);
        double v = Math.Sin((longitude2r - longitude1r) / 2);
        if (v == 0.0) return LatitudeDistance(latitude1, latitude2);
        double latitude1r = ToRadians(latitude1), latitude2r = ToRadians(latitude2);
        double u = Math.Sin((latitude2r - latitude1r) / 2);
        if (cos1 == 0) cos1 = Math.Cos(latitude1r);
        if (cos2 == 0) cos2 = Math.Cos(latitude2r);
        double a = u * u + cos1 * cos2 * v * v;
        return 2.0 * EarthRadius * Math.Asin(Math.Sqrt(a));
    }

    /// <summary>
    /// geoWithinShape: the point a score holds, and whether it lies in the shape — within the
    /// radius, or for a box within half the height along the meridian and half the width along
    /// the point's parallel. <paramref name="distance"/> is from the centre, in metres.
    /// </summary>
    public static bool Within(in GeoShape shape, double score, out double longitude, out double latitude, out double distance)
    {
        (longitude, latitude) = DecodeScore(score);
        distance = 0;
        if (!shape.IsBox)
        {
            distance = Distance(shape.Longitude, shape.Latitude, shape.CenterCos, longitude, latitude, 0);
            return !(distance > shape.Radius * shape.Conversion);
        }
        double width = shape.Width * shape.Conversion, height = shape.Height * shape.Conversion;
        if (LatitudeDistance(latitude, shape.Latitude) > height / 2) return false;
        double cos = Cos(latitude);
        if (Distance(longitude, latitude, cos, shape.Longitude, latitude, cos) > width / 2) return false;
        distance = Distance(shape.Longitude, shape.Latitude, shape.CenterCos, longitude, latitude, cos);
        return true;
    }

    // ---- the cells a search visits ------------------------------------------------------------

    /// <summary>
    /// geohashEstimateStepsByRadius: the coarsest step whose cells still hold the radius (the
    /// radius doubled up to half the Mercator circumference, two steps of margin), one or two
    /// steps coarser near the poles where meridians close in; 26 for a zero radius.
    /// </summary>
    public static int EstimateStep(double meters, double latitude)
    {
        if (meters == 0) return MaxStep;
        int step = 1;
        while (meters < MercatorMax)
        {
            meters *= 2;
            step++;
        }
        step -= 2;
        if (latitude > 66 || latitude < -66)
        {
            step--;
            if (latitude > 80 || latitude < -80) step--;
        }
        return Math.Clamp(step, 1, MaxStep);
    }

    /// <summary>
    /// geohashBoundingBox: the shape's extent in degrees. The longitude span is taken at the
    /// parallel nearer the pole (the wider one), which is the top edge in the north and the bottom
    /// in the south.
    /// </summary>
    static GeoArea BoundingBox(in GeoShape shape)
    {
        double height = shape.Conversion * (shape.IsBox ? shape.Height / 2 : shape.Radius);
        double width = shape.Conversion * (shape.IsBox ? shape.Width / 2 : shape.Radius);
        double latitudeDelta = ToDegrees(height / EarthRadius);
        double longitudeDeltaTop = ToDegrees(width / EarthRadius / Math.Cos(ToRadians(shape.Latitude + latitudeDelta)));
        double longitudeDeltaBottom = ToDegrees(width / EarthRadius / Math.Cos(ToRadians(shape.Latitude - latitudeDelta)));
        double longitudeDelta = shape.Latitude < 0 ? longitudeDeltaBottom : longitudeDeltaTop;
        return new GeoArea(shape.Longitude - longitudeDelta, shape.Longitude + longitudeDelta,
            shape.Latitude - latitudeDelta, shape.Latitude + latitudeDelta);
    }

    /// <summary>
    /// geohashCalculateAreasByShapeWGS84: the centre's cell and its eight neighbours, in Redis's
    /// order (centre, N, S, E, W, NE, NW, SE, SW). The estimated step is made one coarser when a
    /// side neighbour does not reach the bounding box's edge; then (from step 2) the neighbours
    /// on a side the centre cell already reaches past are dropped (<see cref="GeoCell.IsNone"/>).
    /// </summary>
    public static void SearchCells(in GeoShape shape, Span<GeoCell> cells)
    {
        var bounds = BoundingBox(shape);
        double radius = shape.IsBox
            ? Math.Sqrt((shape.Width / 2) * (shape.Width / 2) + (shape.Height / 2) * (shape.Height / 2))
            : shape.Radius;
        radius *= shape.Conversion;
        int step = EstimateStep(radius, shape.Latitude);

        TryEncode(shape.Longitude, shape.Latitude, step, LatitudeMin, LatitudeMax, out var centre);
        var north = Decode(Move(centre, 0, 1));
        var south = Decode(Move(centre, 0, -1));
        var east = Decode(Move(centre, 1, 0));
        var west = Decode(Move(centre, -1, 0));
        bool coarser = north.LatitudeMax < bounds.LatitudeMax || south.LatitudeMin > bounds.LatitudeMin
            || east.LongitudeMax < bounds.LongitudeMax || west.LongitudeMin > bounds.LongitudeMin;
        if (step > 1 && coarser)
        {
            step--;
            TryEncode(shape.Longitude, shape.Latitude, step, LatitudeMin, LatitudeMax, out centre);
        }
        var area = Decode(centre);

        cells[0] = centre;
        cells[1] = Move(centre, 0, 1);
        cells[2] = Move(centre, 0, -1);
        cells[3] = Move(centre, 1, 0);
        cells[4] = Move(centre, -1, 0);
        cells[5] = Move(centre, 1, 1);
        cells[6] = Move(centre, -1, 1);
        cells[7] = Move(centre, 1, -1);
        cells[8] = Move(centre, -1, -1);
        if (step < 2) return;
        if (area.LatitudeMin < bounds.LatitudeMin) cells[2] = cells[7] = cells[8] = default;
        if (area.LatitudeMax > bounds.LatitudeMax) cells[1] = cells[5] = cells[6] = default;
        if (area.LongitudeMin < bounds.LongitudeMin) cells[4] = cells[6] = cells[8] = default;
        if (area.LongitudeMax > bounds.LongitudeMax) cells[3] = cells[5] = cells[7] = default;
    }

    /// <summary>scoresOfGeoHashBox: the scores of the points in a cell, from <paramref name="min"/> (included) to <paramref name="max"/> (excluded).</summary>
    public static void ScoreRange(GeoCell cell, out double min, out double max)
    {
        min = Align52(cell);
        max = Align52(new GeoCell(cell.Bits + 1, cell.Step));
    }
}
