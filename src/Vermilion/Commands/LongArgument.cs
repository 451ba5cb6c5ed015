using Vermilion.Protocol;
using Vermilion.Server;
using Vermilion.Storage;

namespace Vermilion.Commands;

/// <summary>
/// An integer argument read as Redis's object.c reads one (getLongFromObjectOrReply and its
/// range and positive forms, and timeout.c's getTimeoutFromObjectOrReply for milliseconds):
/// string2ll's rules, and on failure the error replied here, Redis's text unless a command
/// gives its own; and the database index SELECT, MOVE and COPY take.
/// </summary>
static class LongArgument
{
    /// <summary>getLongFromObjectOrReply: <paramref name="message"/> replaces Redis's default text when given.</summary>
    internal static bool Parse(Client c, ReadOnlySpan<byte> text, out long value, string? message = null)
    {
        if (IntegerText.TryParse(text, out value)) return true;
        c.Reply.Error(message ?? "value is not an integer or out of range");
        return false;
    }

    /// <summary>getRangeLongFromObjectOrReply.</summary>
    internal static bool ParseInRange(Client c, ReadOnlySpan<byte> text, long min, long max, out long value, string? message = null)
    {
        if (!Parse(c, text, out value, message)) return false;
        if (value >= min && value <= max) return true;
        c.Reply.Error(message ?? $"value is out of range, value must between {min} and {max}");
        return false;
    }

    /// <summary>getPositiveLongFromObjectOrReply.</summary>
    internal static bool ParsePositive(Client c, ReadOnlySpan<byte> text, out long value, string? message = null) =>
        ParseInRange(c, text, 0, long.MaxValue, out value, message ?? "value is out of range, must be positive");

    /// <summary>getTimeoutFromObjectOrReply in milliseconds (CLIENT PAUSE, WAIT): an integer, not negative.</summary>
    internal static bool ParseTimeoutMs(Client c, ReadOnlySpan<byte> text, out long milliseconds)
    {
        if (!Parse(c, text, out milliseconds, "timeout is not an integer or out of range")) return false;
        if (milliseconds >= 0) return true;
        c.Reply.Error("timeout is negative");
        return false;
    }

    /// <summary>A database index as SELECT, MOVE and COPY read it; replies the error and returns false.</summary>
    internal static bool ParseDbIndex(Client c, ReadOnlySpan<byte> text, out Db db)
    {
        db = c.Db;
        // getIntFromObjectOrReply: an integer outside int's range has its own text.
        if (!ParseInRange(c, text, int.MinValue, int.MaxValue, out long index)) return false;
        if (index < 0 || index >= c.Server.Databases.Length)
        {
            c.Reply.Error("DB index is out of range");
            return false;
        }
        db = c.Server.Databases[index];
        return true;
    }
}
