using Vermilion.Protocol;
using Vermilion.Server;

namespace Vermilion.Commands;

/// <summary>The AOF's command: BGREWRITEAOF (aof.c bgrewriteaofCommand). The AOF itself is Server/AppendOnlyFile.</summary>
public static partial class AppendOnlyCommands
{
    /// <summary>
    /// Started now, or scheduled for serverCron when another rewrite or save runs or inside
    /// EXEC; an error when one is already in progress or it could not start.
    /// </summary>
    [Command("bgrewriteaof")]
    static void BgRewriteAof(Client c, CommandArgs a)
    {
        string reply = c.Server.Aof.RewriteCommand(inExec: (c.Flags & ClientFlags.InExec) != 0);
        if (reply[0] == '+') c.Reply.Simple(reply[1..]);
        else c.Reply.Error(reply);
    }
}
