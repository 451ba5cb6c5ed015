using Vermilion.Protocol;
using Vermilion.Server;

namespace Vermilion.Commands;

/// <summary>The reply of CLIENT HELP, CONFIG HELP, OBJECT HELP and the other HELP subcommands.</summary>
public static class HelpReply
{
    /// <summary>addReplyHelp's reply: the whole text (its first line and HELP lines are in <paramref name="lines"/>), a simple string per line.</summary>
    internal static void Write(Client c, string[] lines)
    {
        c.Reply.ArrayHeader(lines.Length);
        foreach (var l in lines) c.Reply.Simple(l);
    }

    /// <summary>addReplySubcommandSyntaxError: a known subcommand given a number of arguments it does not take ("... for 'get'. Try SLOWLOG HELP.").</summary>
    internal static void SubcommandSyntaxError(Client c, CommandArgs a) =>
        c.Reply.Error($"unknown subcommand or wrong number of arguments for '{a.GetCString(1, 128)}'. Try {a.GetCString(0).ToUpperInvariant()} HELP.");
}
