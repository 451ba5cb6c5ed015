using Vermilion.Protocol;
using Vermilion.Server;
using Vermilion.Storage;

namespace Vermilion.Commands;

/// <summary>
/// What SCAN, HSCAN, SSCAN and ZSCAN read and answer alike, as Redis's scanGenericCommand: the
/// cursor (parseScanCursorOrReply), the options after it (COUNT, MATCH, and TYPE for SCAN only),
/// and the reply's first half (the next cursor) or a whole empty scan for a missing key.
/// </summary>
public static class ScanOptions
{
    /// <summary>parseScanCursorOrReply: strtoul's rules (a sign is allowed and "-1" wraps), no leading space, nothing after the digits.</summary>
    internal static bool ParseCursor(Client c, ReadOnlySpan<byte> text, out ulong cursor)
    {
        cursor = 0;
        int i = 0;
        bool negative = false;
        if (text.Length > 0 && (text[0] == '+' || text[0] == '-')) negative = text[i++] == '-';
        // strtoul reads "" and "-" as 0 with nothing left over.
        for (; i < text.Length; i++)
        {
            uint digit = (uint)(text[i] - '0');
            if (digit > 9 || cursor > (ulong.MaxValue - digit) / 10)
            {
                c.Reply.Error("invalid cursor");
                return false;
            }
            cursor = cursor * 10 + digit;
        }
        if (negative) cursor = unchecked(0 - cursor);
        return true;
    }

    /// <summary>
    /// HSCAN/SSCAN/ZSCAN up to the walk, in Redis's order (hscanCommand and its siblings): the
    /// cursor, then the key (lookupKeyReadOrReply with shared.emptyscan: a missing key answers an
    /// empty scan whatever the options), then COUNT and MATCH. The collection, or null once an
    /// error or the empty scan is replied.
    /// </summary>
    internal static T? ReadKey<T>(Client c, CommandArgs a, out ulong cursor, out long count, out int pattern) where T : StoredObject
    {
        count = 0;
        pattern = 0;
        if (!ParseCursor(c, a[2], out cursor)) return null;
        var value = c.Server.LookupKeyRead<T>(c.Db, a[1]);
        if (value is null)
        {
            ReplyEmpty(c);
            return null;
        }
        return Parse(c, a, first: 3, typeAllowed: false, out count, out pattern, out _) ? value : null;
    }

    /// <summary>
    /// The options from argument <paramref name="first"/> on: COUNT (an integer, at least 1), MATCH
    /// and, for SCAN of the keyspace, TYPE (Redis takes TYPE only when no key is scanned); any
    /// order, each at most once in effect. <paramref name="pattern"/> and <paramref name="type"/>
    /// are argument indexes, 0 when absent. False after replying the error.
    /// </summary>
    internal static bool Parse(Client c, CommandArgs a, int first, bool typeAllowed, out long count, out int pattern, out int type)
    {
        count = 10;
        pattern = 0;
        type = 0;
        for (int i = first; i < a.Count; i += 2)
        {
            bool hasValue = i + 1 < a.Count;
            if (a.Is(i, "count") && hasValue)
            {
                if (!LongArgument.Parse(c, a[i + 1], out count)) return false;
                if (count < 1)
                {
                    c.Reply.Error("syntax error");
                    return false;
                }
            }
            else if (a.Is(i, "match") && hasValue) pattern = i + 1;
            else if (typeAllowed && a.Is(i, "type") && hasValue) type = i + 1;
            else
            {
                c.Reply.Error("syntax error");
                return false;
            }
        }
        return true;
    }

    /// <summary>scanGenericCommand's use_pattern: MATCH * filters nothing, so it is not matched at all.</summary>
    internal static bool FiltersByPattern(CommandArgs a, int pattern) =>
        pattern != 0 && !(a.Length(pattern) == 1 && a[pattern][0] == '*');

    /// <summary>A scan of a missing key: cursor 0, nothing found.</summary>
    static void ReplyEmpty(Client c) => c.Reply.Raw("*2\r\n$1\r\n0\r\n*0\r\n"u8);

    /// <summary>The reply's outer array and its first element, the next cursor in decimal; the elements follow.</summary>
    internal static void ReplyCursor(Client c, ulong cursor)
    {
        c.Reply.ArrayHeader(2);
        Span<byte> digits = stackalloc byte[20];
        cursor.TryFormat(digits, out int length);
        c.Reply.Bulk(digits[..length]);
    }
}
