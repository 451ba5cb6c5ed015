using Vermilion.Protocol;
using Vermilion.Server;

namespace Vermilion.Commands;

/// <summary>MULTI, EXEC, DISCARD, WATCH, UNWATCH; queueing and the watch registry live in Server/Transactions.cs.</summary>
public static partial class TransactionCommands
{
    [Command("multi")]
    static void Multi(Client c, CommandArgs a)
    {
        if (c.Multi is not null)
        {
            c.Reply.Error("MULTI calls can not be nested");
            return;
        }
        c.Multi = new MultiState();
        c.Flags |= ClientFlags.Multi;
        c.Reply.Ok();
    }

    [Command("exec")] static void Exec(Client c, CommandArgs a) => c.Server.Exec(c);

    [Command("discard")]
    static void Discard(Client c, CommandArgs a)
    {
        if (c.Multi is null)
        {
            c.Reply.Error("DISCARD without MULTI");
            return;
        }
        c.Server.DiscardTransaction(c);
        c.Reply.Ok();
    }

    [Command("watch")]
    static void Watch(Client c, CommandArgs a)
    {
        if (c.Multi is not null)
        {
            c.Reply.Error("WATCH inside MULTI is not allowed");
            return;
        }
        for (int i = 1; i < a.Count; i++) c.Server.Watch(c, a[i]);
        c.Reply.Ok();
    }

    [Command("unwatch")]
    static void Unwatch(Client c, CommandArgs a)
    {
        c.Server.UnwatchAll(c);
        c.Reply.Ok();
    }
}
