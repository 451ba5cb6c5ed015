using System.Globalization;
using System.Numerics;
using System.Text;
using Vermilion.Protocol;
using Vermilion.Server;
using Vermilion.Storage;

namespace Vermilion.Commands;

/// <summary>
/// The geo family (Redis 7.0's geo.c behaviour): points kept in a sorted set whose scores are
/// 52-bit geohashes (<see cref="GeoHash"/>). GEOADD is ZADD with computed scores (and propagates
/// as that ZADD); GEOPOS, GEODIST and GEOHASH decode scores; GEOSEARCH, GEOSEARCHSTORE and the
/// older GEORADIUS family scan the score ranges of nine cells around a centre, keep what lies in
/// the circle or box, sort by distance and answer or store the result.
/// </summary>
public static partial class GeoCommands
{
    // ---- shared pieces ------------------------------------------------------------------------

    /// <summary>
    /// strcasecmp of an argument against a keyword: C compares up to the argument's first NUL, so
    /// "km\0x" is "km" to Redis.
    /// </summary>
    static bool Is(CommandArgs a, int i, ReadOnlySpan<byte> keyword)
    {
        var text = a[i];
        int nul = text.IndexOf((byte)0);
        return Ascii.EqualsIgnoreCase(nul < 0 ? text : text[..nul], keyword);
    }

    /// <summary>extractUnitOrReply: metres per unit, or -1 after the error.</summary>
    static double ParseUnit(Client c, CommandArgs a, int i)
    {
        if (Is(a, i, "m"u8)) return 1;
        if (Is(a, i, "km"u8)) return 1000;
        if (Is(a, i, "ft"u8)) return 0.3048;
        if (Is(a, i, "mi"u8)) return 1609.34;
        c.Reply.Error("unsupported unit provided. please use M, KM, FT, MI");
        return -1;
    }

    /// <summary>getDoubleFromObjectOrReply: <paramref name="message"/>, or Redis's default text.</summary>
    static bool ParseDouble(Client c, ReadOnlySpan<byte> text, out double value, string message = "value is not a valid float")
    {
        if (DoubleText.TryParse(text, out value)) return true;
        c.Reply.Error(message);
        return false;
    }

    /// <summary>extractLongLatOrReply: two numbers at <paramref name="i"/>, within the index's limits.</summary>
    static bool ParseLongitudeLatitude(Client c, CommandArgs a, int i, out double longitude, out double latitude)
    {
        latitude = 0;
        if (!ParseDouble(c, a[i], out longitude) || !ParseDouble(c, a[i + 1], out latitude)) return false;
        if (longitude < GeoHash.LongitudeMin || longitude > GeoHash.LongitudeMax || latitude < GeoHash.LatitudeMin || latitude > GeoHash.LatitudeMax)
        {
            // Redis formats "-ERR ...%f,%f\r\n" itself: the code is in the text, the line end trimmed.
            c.Reply.Error($"-ERR invalid longitude,latitude pair {FormatFixed(longitude, 6, trim: false)},{FormatFixed(latitude, 6, trim: false)}");
            return false;
        }
        return true;
    }

    /// <summary>extractDistanceOrReply: a radius and its unit at <paramref name="i"/>.</summary>
    static bool ParseRadius(Client c, CommandArgs a, int i, ref GeoShape shape)
    {
        if (!ParseDouble(c, a[i], out double radius, "need numeric radius")) return false;
        if (radius < 0)
        {
            c.Reply.Error("radius cannot be negative");
            return false;
        }
        shape.Radius = radius;
        double conversion = ParseUnit(c, a, i + 1);
        if (conversion < 0) return false;
        shape.Conversion = conversion;
        return true;
    }

    /// <summary>extractBoxOrReply: width, height and unit at <paramref name="i"/>.</summary>
    static bool ParseBox(Client c, CommandArgs a, int i, ref GeoShape shape)
    {
        if (!ParseDouble(c, a[i], out double width, "need numeric width") || !ParseDouble(c, a[i + 1], out double height, "need numeric height")) return false;
        if (height < 0 || width < 0)
        {
            c.Reply.Error("height or width cannot be negative");
            return false;
        }
        shape.Width = width;
        shape.Height = height;
        double conversion = ParseUnit(c, a, i + 2);
        if (conversion < 0) return false;
        shape.Conversion = conversion;
        return true;
    }

    /// <summary>
    /// printf("%.Nf") of a double, exact as glibc prints it (the binary value's decimal expansion
    /// rounded half-to-even); with <paramref name="trim"/>, ld2string's human form: trailing zeros
    /// and a trailing point dropped, "-0" as "0".
    /// </summary>
    static string FormatFixed(double value, int decimals, bool trim)
    {
        if (double.IsNaN(value)) return double.IsNegative(value) ? "-nan" : "nan";
        if (double.IsInfinity(value)) return value < 0 ? "-inf" : "inf";
        long raw = BitConverter.DoubleToInt64Bits(value);
        int exponentBits = (int)((raw >> 52) & 0x7FF);
        long mantissa = raw & 0xFFFFFFFFFFFFFL;
        if (exponentBits == 0) exponentBits = 1;
        else mantissa |= 1L << 52;
        int exponent = exponentBits - 1075;
        string digits;
        if (exponent < 0 && decimals <= 17) digits = ScaledFraction((ulong)mantissa, exponent, decimals).ToString(CultureInfo.InvariantCulture);
        else
        {
            digits = LongDouble.TimesPowerOfTwo(new BigInteger(mantissa) * BigInteger.Pow(10, decimals), exponent).ToString(CultureInfo.InvariantCulture);
        }
        digits = digits.PadLeft(decimals + 1, '0');
        string integer = digits[..^decimals], fraction = digits[^decimals..];
        if (trim) fraction = fraction.TrimEnd('0');
        string text = fraction.Length == 0 ? integer : integer + "." + fraction;
        if (trim && text == "0") return "0";
        return raw < 0 ? "-" + text : text;
    }

    /// <summary>
    /// mantissa × 2^exponent × 10^decimals rounded half-to-even, for a negative exponent and at
    /// most 17 decimals: the product is below 2^110, so 128 bits hold it, and a shift of 111 or
    /// more leaves less than half, so zero.
    /// </summary>
    static UInt128 ScaledFraction(ulong mantissa, int exponent, int decimals)
    {
        UInt128 scaled = (UInt128)mantissa * (ulong)Math.Pow(10, decimals);
        int shift = -exponent;
        if (shift >= 111) return 0;
        UInt128 quotient = scaled >> shift, remainder = scaled - (quotient << shift), half = (UInt128)1 << (shift - 1);
        if (remainder > half || (remainder == half && (quotient & 1) != 0)) quotient++;
        return quotient;
    }

    /// <summary>
    /// addReplyHumanLongDouble: a coordinate as ld2string's human form (%.17Lf, trailing zeros and
    /// point dropped, "-0" as "0"); a bulk string in RESP2, a double in RESP3. Within ±180 the
    /// digits are written straight from 64-bit integers (10^17 × 180 < 2^64).
    /// </summary>
    static void ReplyCoordinate(Client c, double value)
    {
        Span<byte> text = stackalloc byte[48];
        int length;
        if (Math.Abs(value) <= 180)
        {
            long raw = BitConverter.DoubleToInt64Bits(value);
            int exponentBits = (int)((raw >> 52) & 0x7FF);
            ulong mantissa = (ulong)raw & 0xFFFFFFFFFFFFFUL;
            if (exponentBits == 0) exponentBits = 1;
            else mantissa |= 1UL << 52;
            ulong scaled = (ulong)ScaledFraction(mantissa, exponentBits - 1075, 17);
            const ulong Unit = 100_000_000_000_000_000UL;
            length = 0;
            if (raw < 0 && scaled != 0) text[length++] = (byte)'-';
            (scaled / Unit).TryFormat(text[length..], out int written, default, CultureInfo.InvariantCulture);
            length += written;
            ulong fraction = scaled % Unit;
            if (fraction != 0)
            {
                text[length++] = (byte)'.';
                fraction.TryFormat(text[length..], out written, "D17", CultureInfo.InvariantCulture);
                length += written;
                while (text[length - 1] == '0') length--;
            }
        }
        else
        {
            // Never for a decoded point (clamped to the index's limits); kept exact all the same.
            text = Encoding.Latin1.GetBytes(FormatFixed(value, 17, trim: true));
            length = text.Length;
        }
        if (c.Reply.Resp == 2)
        {
            c.Reply.Bulk(text[..length]);
            return;
        }
        Span<byte> line = stackalloc byte[length + 3];
        line[0] = (byte)',';
        text[..length].CopyTo(line[1..]);
        "\r\n"u8.CopyTo(line[(length + 1)..]);
        c.Reply.Raw(line);
    }

    /// <summary>
    /// addReplyDoubleDistance (fixedpoint_d2string with 4 digits): llrint of the distance × 10^4
    /// (rounding half to even), written with exactly four decimals.
    /// </summary>
    static void ReplyDistance(Client c, double distance)
    {
        Span<byte> text = stackalloc byte[32];
        int length = 0;
        long scaled = distance == 0 ? 0 : (long)Math.Round(distance * 10000.0, MidpointRounding.ToEven);
        if (scaled < 0) text[length++] = (byte)'-';
        ulong magnitude = scaled < 0 ? (ulong)-(scaled + 1) + 1 : (ulong)scaled;
        ulong integer = magnitude / 10000, fraction = magnitude % 10000;
        integer.TryFormat(text[length..], out int written, default, CultureInfo.InvariantCulture);
        length += written;
        text[length++] = (byte)'.';
        fraction.TryFormat(text[length..], out written, "D4", CultureInfo.InvariantCulture);
        length += written;
        c.Reply.Bulk(text[..length]);
    }

    // ---- GEOADD -------------------------------------------------------------------------------

    /// <summary>
    /// geoaddCommand: [NX|XX] [CH] then longitude latitude member triples, every pair checked
    /// before anything changes, then ZADD's work with each point's score. Propagated as that ZADD
    /// (Redis replaces the command vector), so a replica or the AOF never decodes coordinates.
    /// </summary>
    [Command("geoadd")]
    static void GeoAdd(Client c, CommandArgs a)
    {
        bool nx = false, xx = false, ch = false;
        int first = 2;
        for (; first < a.Count; first++)
        {
            if (Is(a, first, "nx"u8)) nx = true;
            else if (Is(a, first, "xx"u8)) xx = true;
            else if (Is(a, first, "ch"u8)) ch = true;
            else break;
        }
        int elements = (a.Count - first) / 3;
        // No triple at all is ZADD's syntax error, the same reply.
        if ((a.Count - first) % 3 != 0 || (xx && nx) || elements == 0)
        {
            c.Reply.Error("syntax error");
            return;
        }
        Span<double> scores = elements <= 64 ? stackalloc double[elements] : new double[elements];
        for (int j = 0; j < elements; j++)
        {
            if (!ParseLongitudeLatitude(c, a, first + j * 3, out double longitude, out double latitude)) return;
            scores[j] = GeoHash.Score(longitude, latitude);
        }

        var key = a[1];
        var set = c.Db.Get<SortedSetValue>(key);
        var config = c.Server.Config;
        long added = 0, updated = 0;
        if (set is null)
        {
            if (xx)
            {
                c.Reply.Integer(0);
                return;
            }
            // zaddGenericCommand's choice of encoding for a new key, by its first member.
            bool packed = config.ZsetMaxListpackEntries != 0 && config.ZsetMaxListpackValue >= a.Length(first + 2);
            if (packed) set = c.Db.AddSortedSet(key);
            else
            {
                set = SortedSetValue.Create(key, packed: false);
                c.Db.Add(set);
            }
        }
        var flags = (nx ? ZAddFlags.Nx : ZAddFlags.None) | (xx ? ZAddFlags.Xx : ZAddFlags.None);
        for (int j = 0; j < elements; j++)
        {
            var result = set.Add(scores[j], a[first + j * 3 + 2], flags, config.ZsetMaxListpackEntries, config.ZsetMaxListpackValue, out _);
            if (result == ZAddResult.Added) added++;
            else if (result == ZAddResult.Updated) updated++;
        }
        if (added + updated > 0)
        {
            c.Server.Dirty += added + updated;
            c.Server.Notify(NotifyFlags.ZSet, "zadd", c.Db, key);
            var effect = c.Server.Rewrite(c, first + elements * 2).Arg("zadd"u8);
            for (int i = 1; i < first; i++) effect = effect.Arg(a[i]);
            for (int j = 0; j < elements; j++) effect = effect.Arg((long)scores[j]).Arg(a[first + j * 3 + 2]);
        }
        c.Reply.Integer(ch ? added + updated : added);
    }

    // ---- GEOPOS, GEODIST, GEOHASH -------------------------------------------------------------

    [Command("geopos")]
    static void GeoPos(Client c, CommandArgs a)
    {
        var set = c.Server.LookupKeyRead<SortedSetValue>(c.Db, a[1]);
        c.Reply.ArrayHeader(a.Count - 2);
        for (int j = 2; j < a.Count; j++)
        {
            if (set is null || !set.TryGetScore(a[j], out double score))
            {
                c.Reply.NullArray();
                continue;
            }
            var (longitude, latitude) = GeoHash.DecodeScore(score);
            c.Reply.ArrayHeader(2);
            ReplyCoordinate(c, longitude);
            ReplyCoordinate(c, latitude);
        }
    }

    /// <summary>geodistCommand: the unit is read first; a missing key or member is a null.</summary>
    [Command("geodist")]
    static void GeoDist(Client c, CommandArgs a)
    {
        double toMeters = 1;
        if (a.Count == 5)
        {
            toMeters = ParseUnit(c, a, 4);
            if (toMeters < 0) return;
        }
        else if (a.Count > 5)
        {
            c.Reply.Error("syntax error");
            return;
        }
        var set = c.Server.LookupKeyRead<SortedSetValue>(c.Db, a[1]);
        if (set is null || !set.TryGetScore(a[2], out double score1) || !set.TryGetScore(a[3], out double score2))
        {
            c.Reply.Null();
            return;
        }
        var (longitude1, latitude1) = GeoHash.DecodeScore(score1);
        var (longitude2, latitude2) = GeoHash.DecodeScore(score2);
        ReplyDistance(c, GeoHash.Distance(longitude1, latitude1, longitude2, latitude2) / toMeters);
    }

    [Command("geohash")]
    static void GeoHashCommand(Client c, CommandArgs a)
    {
        var set = c.Server.LookupKeyRead<SortedSetValue>(c.Db, a[1]);
        c.Reply.ArrayHeader(a.Count - 2);
        Span<byte> text = stackalloc byte[11];
        for (int j = 2; j < a.Count; j++)
        {
            if (set is null || !set.TryGetScore(a[j], out double score))
            {
                c.Reply.Null();
                continue;
            }
            var (longitude, latitude) = GeoHash.DecodeScore(score);
            GeoHash.StandardHash(longitude, latitude, text);
            c.Reply.Bulk(text);
        }
    }

    // ---- GEOSEARCH and GEORADIUS --------------------------------------------------------------

    /// <summary>georadiusGeneric's flags: how the centre is given and what may be stored.</summary>
    [Flags]
    enum SearchKind { Coordinates = 1, Member = 2, NoStore = 4, Search = 8, SearchStore = 16 }

    /// <summary>georadiusGetKeys: the source key, and the last STORE/STOREDIST's key from the sixth argument on.</summary>
    static bool GeoRadiusGetKeys(Argv argv, List<KeyReference> keys)
    {
        int stored = -1;
        for (int i = 5; i < argv.Count; i++)
        {
            if ((Ascii.EqualsIgnoreCase(argv[i], "store"u8) || Ascii.EqualsIgnoreCase(argv[i], "storedist"u8)) && i + 1 < argv.Count)
            {
                stored = i + 1;
                i++;
            }
        }
        keys.Add(new(1, KeySpecFlags.None));
        if (stored > 0) keys.Add(new(stored, KeySpecFlags.None));
        return true;
    }

    [Command("georadius", GetKeys = nameof(GeoRadiusGetKeys))] static void GeoRadius(Client c, CommandArgs a) => Search(c, a, 1, SearchKind.Coordinates);
    [Command("georadius_ro")] static void GeoRadiusRo(Client c, CommandArgs a) => Search(c, a, 1, SearchKind.Coordinates | SearchKind.NoStore);
    [Command("georadiusbymember", GetKeys = nameof(GeoRadiusGetKeys))] static void GeoRadiusByMember(Client c, CommandArgs a) => Search(c, a, 1, SearchKind.Member);
    [Command("georadiusbymember_ro")] static void GeoRadiusByMemberRo(Client c, CommandArgs a) => Search(c, a, 1, SearchKind.Member | SearchKind.NoStore);
    [Command("geosearch")] static void GeoSearch(Client c, CommandArgs a) => Search(c, a, 1, SearchKind.Search);
    [Command("geosearchstore")] static void GeoSearchStore(Client c, CommandArgs a) => Search(c, a, 2, SearchKind.Search | SearchKind.SearchStore);

    /// <summary>A point found: where it is, how far from the centre (metres), its score and its member
    /// (a slice of the search's <see cref="Gathered{T}.Bytes"/>: gathering allocates nothing once grown;
    /// measured: a list and a copy of each member were ~15% of a GEOSEARCH of 10 out of 1,000 points).</summary>
    struct Found
    {
        public double Longitude, Latitude, Distance, Score;
        public int MemberOffset, MemberLength;
    }

    static void AddPoint(Gathered<Found> found, double longitude, double latitude, double distance, double score, ReadOnlySpan<byte> member)
    {
        int offset = found.Append(member);
        found.Add() = new Found { Longitude = longitude, Latitude = latitude, Distance = distance, Score = score, MemberOffset = offset, MemberLength = member.Length };
    }

    static ReadOnlySpan<byte> Member(Gathered<Found> found, in Found point) => found.Text(point.MemberOffset, point.MemberLength);

    /// <summary>Entries scored below a cell's first score.</summary>
    readonly struct BelowScore(double min) : IEntryBound
    {
        public bool IsBefore(double score, ReadOnlySpan<byte> member) => score < min;
    }

    /// <summary>
    /// georadiusGeneric: the source looked up first (WRONGTYPE before any argument error), the
    /// centre and size read in the order Redis reads them, options, their conflicts, then the
    /// search. A missing source still parses every option so the reply has the right shape.
    /// </summary>
    static void Search(Client c, CommandArgs a, int sourceIndex, SearchKind kind)
    {
        var set = c.Server.LookupKeyRead<SortedSetValue>(c.Db, a[sourceIndex]);
        var shape = new GeoShape();
        int baseArgs, storeIndex = -1;
        bool storeDist = false;
        if ((kind & SearchKind.Coordinates) != 0)
        {
            baseArgs = 6;
            if (!ParseLongitudeLatitude(c, a, 2, out shape.Longitude, out shape.Latitude)) return;
            if (!ParseRadius(c, a, 4, ref shape)) return;
        }
        else if ((kind & SearchKind.Member) != 0)
        {
            baseArgs = 5;
            if (set is not null)
            {
                if (!CentreAtMember(c, set, a[2], ref shape)) return;
                if (!ParseRadius(c, a, 3, ref shape)) return;
            }
        }
        else
        {
            baseArgs = 2;
            if ((kind & SearchKind.SearchStore) != 0)
            {
                baseArgs = 3;
                storeIndex = 1;
            }
        }

        bool withDist = false, withHash = false, withCoord = false, any = false;
        bool fromMember = false, fromLonLat = false, byRadius = false, byBox = false;
        int sort = 0; // 0 none, 1 ascending, -1 descending
        long count = 0;
        bool search = (kind & SearchKind.Search) != 0, canStore = (kind & (SearchKind.NoStore | SearchKind.Search)) == 0;
        for (int i = baseArgs; i < a.Count; i++)
        {
            int left = a.Count - i - 1;
            if (Is(a, i, "withdist"u8)) withDist = true;
            else if (Is(a, i, "withhash"u8)) withHash = true;
            else if (Is(a, i, "withcoord"u8)) withCoord = true;
            else if (Is(a, i, "any"u8)) any = true;
            else if (Is(a, i, "asc"u8)) sort = 1;
            else if (Is(a, i, "desc"u8)) sort = -1;
            else if (Is(a, i, "count"u8) && left >= 1)
            {
                if (!LongArgument.Parse(c, a[i + 1], out count)) return;
                if (count <= 0)
                {
                    c.Reply.Error("COUNT must be > 0");
                    return;
                }
                i++;
            }
            else if (Is(a, i, "store"u8) && left >= 1 && canStore)
            {
                storeIndex = ++i;
                storeDist = false;
            }
            else if (Is(a, i, "storedist"u8) && left >= 1 && canStore)
            {
                storeIndex = ++i;
                storeDist = true;
            }
            else if (Is(a, i, "storedist"u8) && (kind & SearchKind.SearchStore) != 0) storeDist = true;
            else if (Is(a, i, "frommember"u8) && left >= 1 && search && !fromLonLat)
            {
                // Without a source there is nothing to decode: the options are still read for the reply's shape.
                if (set is not null && !CentreAtMember(c, set, a[i + 1], ref shape)) return;
                fromMember = true;
                i++;
            }
            else if (Is(a, i, "fromlonlat"u8) && left >= 2 && search && !fromMember)
            {
                if (!ParseLongitudeLatitude(c, a, i + 1, out shape.Longitude, out shape.Latitude)) return;
                fromLonLat = true;
                i += 2;
            }
            else if (Is(a, i, "byradius"u8) && left >= 2 && search && !byBox)
            {
                if (!ParseRadius(c, a, i + 1, ref shape)) return;
                shape.IsBox = false;
                byRadius = true;
                i += 2;
            }
            else if (Is(a, i, "bybox"u8) && left >= 3 && search && !byRadius)
            {
                if (!ParseBox(c, a, i + 1, ref shape)) return;
                shape.IsBox = true;
                byBox = true;
                i += 3;
            }
            else
            {
                c.Reply.Error("syntax error");
                return;
            }
        }

        if (storeIndex >= 0 && (withDist || withHash || withCoord))
        {
            c.Reply.Error(((kind & SearchKind.SearchStore) != 0 ? "GEOSEARCHSTORE" : "STORE option in GEORADIUS")
                + " is not compatible with WITHDIST, WITHHASH and WITHCOORD options");
            return;
        }
        if (search && !(fromMember || fromLonLat))
        {
            c.Reply.Error($"exactly one of FROMMEMBER or FROMLONLAT can be specified for {a.GetCString(0)}");
            return;
        }
        if (search && !(byRadius || byBox))
        {
            c.Reply.Error($"exactly one of BYRADIUS and BYBOX can be specified for {a.GetCString(0)}");
            return;
        }
        if (any && count == 0)
        {
            c.Reply.Error("the ANY argument requires COUNT argument");
            return;
        }

        if (set is null)
        {
            if (storeIndex >= 0)
            {
                if (c.Server.DeleteKey(c.Db, a[storeIndex])) c.Server.Dirty++;
                c.Reply.Integer(0);
            }
            else c.Reply.ArrayHeader(0);
            return;
        }

        // COUNT keeps the nearest, so it sorts unless ANY asked for the first found.
        if (count != 0 && sort == 0 && !any) sort = 1;

        var found = Gathered<Found>.Take();
        try
        {
            Collect(set, shape, any ? count : 0, found);
            Reply(c, a, found, shape, count, sort, storeIndex, storeDist, withDist, withHash, withCoord, search);
        }
        finally
        {
            found.Release();
        }
    }

    /// <summary>georadiusGeneric's end: the points found sorted as asked, then replied or stored.</summary>
    static void Reply(Client c, CommandArgs a, Gathered<Found> found, in GeoShape shape, long count, int sort, int storeIndex, bool storeDist,
        bool withDist, bool withHash, bool withCoord, bool search)
    {
        if (found.Count == 0 && storeIndex < 0)
        {
            c.Reply.ArrayHeader(0);
            return;
        }
        int returned = count == 0 || found.Count < count ? found.Count : (int)count;
        if (sort != 0) SortByDistance(found, sort < 0, returned);

        if (storeIndex < 0)
        {
            int options = (withDist ? 1 : 0) + (withHash ? 1 : 0) + (withCoord ? 1 : 0);
            c.Reply.ArrayHeader(returned);
            for (int i = 0; i < returned; i++)
            {
                ref readonly var point = ref found.Items[i];
                if (options > 0) c.Reply.ArrayHeader(options + 1);
                c.Reply.Bulk(Member(found, point));
                if (withDist) ReplyDistance(c, point.Distance / shape.Conversion);
                if (withHash) c.Reply.Integer(ScoreAsInteger(point.Score));
                if (withCoord)
                {
                    c.Reply.ArrayHeader(2);
                    ReplyCoordinate(c, point.Longitude);
                    ReplyCoordinate(c, point.Latitude);
                }
            }
            return;
        }

        var destination = a[storeIndex];
        if (returned > 0)
        {
            var entries = new List<(double Score, byte[] Member)>(returned);
            for (int i = 0; i < returned; i++)
                entries.Add((storeDist ? found.Items[i].Distance / shape.Conversion : found.Items[i].Score, Member(found, found.Items[i]).ToArray()));
            entries.Sort(static (x, y) => x.Score != y.Score ? x.Score.CompareTo(y.Score) : x.Member.AsSpan().SequenceCompareTo(y.Member));
            var config = c.Server.Config;
            // setKey: the old value and its deadline go; a skiplist converted back as zsetConvertToListpackIfNeeded does.
            var result = SortedSetValue.Build(destination, entries, config.ZsetMaxListpackEntries, config.ZsetMaxListpackValue);
            c.Db.Delete(destination);
            c.Db.Add(result);
            c.Server.Notify(NotifyFlags.ZSet, search ? "geosearchstore" : "georadiusstore", c.Db, destination);
            c.Server.Dirty += returned;
        }
        else if (c.Server.DeleteKey(c.Db, destination)) c.Server.Dirty++;
        c.Reply.Integer(returned);
    }

    /// <summary>longLatFromMember: the centre at a member's point, or "could not decode" when it is missing.</summary>
    static bool CentreAtMember(Client c, SortedSetValue set, ReadOnlySpan<byte> member, ref GeoShape shape)
    {
        if (!set.TryGetScore(member, out double score))
        {
            c.Reply.Error("could not decode requested zset member");
            return false;
        }
        (shape.Longitude, shape.Latitude) = GeoHash.DecodeScore(score);
        return true;
    }

    /// <summary>
    /// membersOfAllNeighbors: each of the nine cells in order, skipping dropped ones and one equal
    /// to the last cell searched (huge radii make neighbours coincide; like Redis, a neighbour
    /// equal to the centre is searched again, as "last" starts unset at the centre's index 0).
    /// With ANY, the search stops once <paramref name="limit"/> points were found.
    /// </summary>
    static void Collect(SortedSetValue set, GeoShape shape, long limit, Gathered<Found> found)
    {
        shape.Prepare();
        Span<GeoCell> cells = stackalloc GeoCell[9];
        GeoHash.SearchCells(shape, cells);
        int last = 0;
        for (int i = 0; i < cells.Length; i++)
        {
            if (cells[i].IsNone) continue;
            if (last != 0 && cells[i] == cells[last]) continue;
            if (found.Count > 0 && limit > 0 && found.Count >= limit) break;
            CollectCell(set, cells[i], shape, found, limit);
            last = i;
        }
    }

    /// <summary>geoGetPointsInRange: the entries scored within a cell, those in the shape appended.</summary>
    static void CollectCell(SortedSetValue set, GeoCell cell, in GeoShape shape, Gathered<Found> found, long limit)
    {
        GeoHash.ScoreRange(cell, out double min, out double max);
        var below = new BelowScore(min);
        for (var cursor = set.At(set.FirstNotBefore(ref below)); cursor.IsValid; cursor.MoveNext())
        {
            var member = cursor.Read(out double score);
            if (!(score < max)) break;
            if (GeoHash.Within(shape, score, out double longitude, out double latitude, out double distance))
                AddPoint(found, longitude, latitude, distance, score, member);
            if (found.Count > 0 && limit > 0 && found.Count >= limit) break;
        }
    }

    /// <summary>sort_gp_asc / sort_gp_desc: by distance only.</summary>
    static int CompareDistance(in Found x, in Found y, bool descending)
    {
        int cmp = x.Distance > y.Distance ? 1 : x.Distance == y.Distance ? 0 : -1;
        return descending ? -cmp : cmp;
    }

    /// <summary>
    /// The order Redis gives points of equal distance too. All of them sorted: glibc's qsort, a
    /// merge sort, so stable (they stay in the order found). Only the first <paramref name="returned"/>
    /// (COUNT): Redis's pqsort, a quicksort that only sorts the partitions reaching into that
    /// prefix, whose order of ties is its own (see <see cref="PartialQuicksort"/>).
    /// </summary>
    static void SortByDistance(Gathered<Found> found, bool descending, int returned)
    {
        if (returned == found.Count) found.SortStable(new ByDistance(descending));
        else PartialQuicksort(found.Items.AsSpan(0, found.Count), 0, found.Count, 0, returned - 1, descending);
    }

    readonly struct ByDistance(bool descending) : IComparer<Found>
    {
        public int Compare(Found x, Found y) => CompareDistance(x, y, descending);
    }

    /// <summary>
    /// pqsort.c: Bentley and McIlroy's quicksort ("Engineering a Sort Function": insertion sort
    /// below 7 elements, the pivot a median of three or, past 40, the ninther, a three-way
    /// partition that parks equal keys at both ends and swaps them to the middle), recursing only
    /// into partitions that overlap [<paramref name="first"/>, <paramref name="last"/>]. The
    /// same swaps in the same order, so ties land where Redis's land.
    /// </summary>
    static void PartialQuicksort(Span<Found> v, int lo, int n, int first, int last, bool descending)
    {
        while (true)
        {
            if (n < 7)
            {
                for (int m = lo + 1; m < lo + n; m++)
                    for (int l = m; l > lo && CompareDistance(v[l - 1], v[l], descending) > 0; l--)
                        (v[l], v[l - 1]) = (v[l - 1], v[l]);
                return;
            }
            int pivot = lo + n / 2;
            if (n > 7)
            {
                int low = lo, high = lo + n - 1;
                if (n > 40)
                {
                    int d = n / 8;
                    low = MedianOfThree(v, low, low + d, low + 2 * d, descending);
                    pivot = MedianOfThree(v, pivot - d, pivot, pivot + d, descending);
                    high = MedianOfThree(v, high - 2 * d, high - d, high, descending);
                }
                pivot = MedianOfThree(v, low, pivot, high, descending);
            }
            (v[lo], v[pivot]) = (v[pivot], v[lo]);
            // [lo+1, a): equal to the pivot; [a, b): less; (c, d]: greater; (d, end): equal.
            int a = lo + 1, b = lo + 1, c = lo + n - 1, dd = lo + n - 1;
            while (true)
            {
                int cmp;
                while (b <= c && (cmp = CompareDistance(v[b], v[lo], descending)) <= 0)
                {
                    if (cmp == 0)
                    {
                        (v[a], v[b]) = (v[b], v[a]);
                        a++;
                    }
                    b++;
                }
                while (b <= c && (cmp = CompareDistance(v[c], v[lo], descending)) >= 0)
                {
                    if (cmp == 0)
                    {
                        (v[c], v[dd]) = (v[dd], v[c]);
                        dd--;
                    }
                    c--;
                }
                if (b > c) break;
                (v[b], v[c]) = (v[c], v[b]);
                b++;
                c--;
            }
            int end = lo + n;
            int r = Math.Min(a - lo, b - a);
            SwapBlocks(v, lo, b - r, r);
            r = Math.Min(dd - c, end - dd - 1);
            SwapBlocks(v, b, end - r, r);
            if ((r = b - a) > 1 && !(last < lo || first > lo + r - 1)) PartialQuicksort(v, lo, r, first, last, descending);
            if ((r = dd - c) <= 1) return;
            lo = end - r;
            n = r;
            if (last < lo || first > lo + r - 1) return;
        }
    }

    static int MedianOfThree(Span<Found> v, int a, int b, int c, bool descending) =>
        CompareDistance(v[a], v[b], descending) < 0
            ? (CompareDistance(v[b], v[c], descending) < 0 ? b : CompareDistance(v[a], v[c], descending) < 0 ? c : a)
            : (CompareDistance(v[b], v[c], descending) > 0 ? b : CompareDistance(v[a], v[c], descending) < 0 ? a : c);

    /// <summary>vecswap: <paramref name="count"/> elements from <paramref name="a"/> and <paramref name="b"/> exchanged pairwise, in order.</summary>
    static void SwapBlocks(Span<Found> v, int a, int b, int count)
    {
        for (int i = 0; i < count; i++) (v[a + i], v[b + i]) = (v[b + i], v[a + i]);
    }

    /// <summary>addReplyLongLong(score): (long long) of the double, the x86 truncation (out of range gives LLONG_MIN).</summary>
    static long ScoreAsInteger(double score) =>
        score >= -9223372036854775808.0 && score < 9223372036854775808.0 ? (long)score : long.MinValue;
}
