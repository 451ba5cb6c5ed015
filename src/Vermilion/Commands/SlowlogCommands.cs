using Vermilion.Protocol;
using Vermilion.Server;

namespace Vermilion.Commands;

/// <summary>SLOWLOG GET/LEN/RESET/HELP over the server's <see cref="Slowlog"/> (slowlog.c slowlogCommand).</summary>
public static partial class SlowlogCommands
{
    static readonly string[] s_help =
    [
        "SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "GET [<count>]",
        "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
        "    Entries are made of:",
        "    id, timestamp, time in microseconds, arguments array, client IP and port,",
        "    client name",
        "LEN",
        "    Return the length of the slowlog.",
        "RESET",
        "    Reset the slowlog.",
        "HELP",
        "    Prints this help.",
    ];

    [Command("slowlog|help")] static void Help(Client c, CommandArgs a) => HelpReply.Write(c, s_help);

    [Command("slowlog|len")] static void Len(Client c, CommandArgs a) => c.Reply.Integer(c.Server.Slowlog.Count);

    [Command("slowlog|reset")]
    static void Reset(Client c, CommandArgs a)
    {
        c.Server.Slowlog.Reset();
        c.Reply.Ok();
    }

    /// <summary>GET [count]: newest first, 10 by default, -1 for all; each entry is id, unix time, microseconds, arguments, address, name.</summary>
    [Command("slowlog|get")]
    static void Get(Client c, CommandArgs a)
    {
        if (a.Count > 3)
        {
            HelpReply.SubcommandSyntaxError(c, a);
            return;
        }
        var log = c.Server.Slowlog;
        long count = 10;
        if (a.Count == 3)
        {
            if (!LongArgument.ParseInRange(c, a[2], -1, long.MaxValue, out count, "count should be greater than or equal to -1")) return;
            if (count == -1) count = log.Count;
        }
        c.Reply.ArrayHeader(Math.Min(count, log.Count));
        foreach (var e in log.NewestFirst)
        {
            if (count-- == 0) break;
            c.Reply.ArrayHeader(6);
            c.Reply.Integer(e.Id);
            c.Reply.Integer(e.UnixTime);
            c.Reply.Integer(e.DurationUs);
            c.Reply.ArrayHeader(e.Arguments.Length);
            foreach (var arg in e.Arguments) c.Reply.Bulk(arg);
            c.Reply.Bulk(e.Peer);
            c.Reply.Bulk(e.ClientName);
        }
    }
}
