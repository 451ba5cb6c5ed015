using Vermilion.Protocol;
using Vermilion.Server;

namespace Vermilion.Commands;

/// <summary>MULTI, EXEC, DISCARD, WATCH, UNWATCH; queueing and the watch registry live in Server/Transactions.cs.</summary>
public static class TransactionCommands
{
    public static void Register(CommandTable t)
    {
        t.Add(new()
        {
            Name = "multi", Arity = 1, Flags = CommandFlags.NoScript | CommandFlags.Loading | CommandFlags.Stale | CommandFlags.Fast | CommandFlags.AllowBusy, Categories = ["@fast", "@transaction"],
            Proc = Multi,
            Group = "transactions", Since = "1.2.0",
            Summary = "Mark the start of a transaction block",
            Complexity = "O(1)",
        });

        t.Add(new()
        {
            Name = "exec", Arity = 1, Flags = CommandFlags.NoScript | CommandFlags.Loading | CommandFlags.Stale | CommandFlags.SkipSlowlog, Categories = ["@slow", "@transaction"],
            Proc = Exec,
            Group = "transactions", Since = "1.2.0",
            Summary = "Execute all commands issued after MULTI",
            Complexity = "Depends on commands in the transaction",
        });

        t.Add(new()
        {
            Name = "discard", Arity = 1, Flags = CommandFlags.NoScript | CommandFlags.Loading | CommandFlags.Stale | CommandFlags.Fast | CommandFlags.AllowBusy, Categories = ["@fast", "@transaction"],
            Proc = Discard,
            Group = "transactions", Since = "2.0.0",
            Summary = "Discard all commands issued after MULTI",
            Complexity = "O(N), when N is the number of queued commands",
        });

        t.Add(new()
        {
            Name = "watch", Arity = -2, Flags = CommandFlags.NoScript | CommandFlags.Loading | CommandFlags.Stale | CommandFlags.Fast | CommandFlags.AllowBusy, Categories = ["@fast", "@transaction"],
            FirstKey = 1, LastKey = -1, KeyStep = 1,
            Proc = Watch,
            Group = "transactions", Since = "2.2.0",
            Summary = "Watch the given keys to determine execution of the MULTI/EXEC block",
            Complexity = "O(1) for every key.",
            KeySpecs = [new(KeySpecFlags.RO, BeginSearch.ByIndex(1), FindKeys.Range(-1, 1, 0))],
            Arguments =
            [
                new("key", ArgType.Key) { KeySpecIndex = 0, Flags = ArgFlags.Multiple },
            ],
        });

        t.Add(new()
        {
            Name = "unwatch", Arity = 1, Flags = CommandFlags.NoScript | CommandFlags.Loading | CommandFlags.Stale | CommandFlags.Fast | CommandFlags.AllowBusy, Categories = ["@fast", "@transaction"],
            Proc = Unwatch,
            Group = "transactions", Since = "2.2.0",
            Summary = "Forget about all watched keys",
            Complexity = "O(1)",
        });
    }

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

    static void Exec(Client c, CommandArgs a) => c.Server.Exec(c);

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

    static void Unwatch(Client c, CommandArgs a)
    {
        c.Server.UnwatchAll(c);
        c.Reply.Ok();
    }
}
