using Vermilion.Protocol;
using Vermilion.Server;

namespace Vermilion.Commands;

/// <summary>The server family: INFO, DBSIZE, TIME, FLUSHDB, FLUSHALL, SHUTDOWN.</summary>
public static class ServerCommands
{
    public static void Register(CommandTable t)
    {
        t.Add(new()
        {
            Name = "info", Arity = -1, Flags = CommandFlags.Loading | CommandFlags.Stale, Categories = ["@slow", "@dangerous"],
            Proc = InfoCommand,
            Group = "server", Since = "1.0.0",
            Summary = "Get information and statistics about the server",
            Complexity = "O(1)",
            Tips = ["nondeterministic_output", "request_policy:all_shards", "response_policy:special"],
            History =
            [
                ("7.0.0", "Added support for taking multiple section arguments."),
            ],
            Arguments =
            [
                new("section", ArgType.String) { Flags = ArgFlags.Optional | ArgFlags.Multiple },
            ],
        });

        t.Add(new()
        {
            Name = "dbsize", Arity = 1, Flags = CommandFlags.ReadOnly | CommandFlags.Fast, Categories = ["@keyspace", "@read", "@fast"],
            Proc = DbSize,
            Group = "server", Since = "1.0.0",
            Summary = "Return the number of keys in the selected database",
            Complexity = "O(1)",
            Tips = ["request_policy:all_shards", "response_policy:agg_sum"],
        });

        t.Add(new()
        {
            Name = "time", Arity = 1, Flags = CommandFlags.Loading | CommandFlags.Stale | CommandFlags.Fast, Categories = ["@fast"],
            Proc = Time,
            Group = "server", Since = "2.6.0",
            Summary = "Return the current server time",
            Complexity = "O(1)",
            Tips = ["nondeterministic_output"],
        });

        t.Add(new()
        {
            Name = "flushdb", Arity = -1, Flags = CommandFlags.Write, Categories = ["@keyspace", "@write", "@slow", "@dangerous"],
            Proc = FlushDb,
            Group = "server", Since = "1.0.0",
            Summary = "Remove all keys from the current database",
            Complexity = "O(N) where N is the number of keys in the selected database",
            Tips = ["request_policy:all_shards", "response_policy:all_succeeded"],
            History =
            [
                ("4.0.0", "Added the `ASYNC` flushing mode modifier."),
                ("6.2.0", "Added the `SYNC` flushing mode modifier."),
            ],
            Arguments =
            [
                new("async", ArgType.OneOf)
                {
                    Flags = ArgFlags.Optional,
                    Arguments =
                    [
                        new("async", ArgType.PureToken) { Token = "ASYNC", Since = "4.0.0" },
                        new("sync", ArgType.PureToken) { Token = "SYNC", Since = "6.2.0" },
                    ],
                },
            ],
        });

        t.Add(new()
        {
            Name = "flushall", Arity = -1, Flags = CommandFlags.Write, Categories = ["@keyspace", "@write", "@slow", "@dangerous"],
            Proc = FlushAll,
            Group = "server", Since = "1.0.0",
            Summary = "Remove all keys from all databases",
            Complexity = "O(N) where N is the total number of keys in all databases",
            Tips = ["request_policy:all_shards", "response_policy:all_succeeded"],
            History =
            [
                ("4.0.0", "Added the `ASYNC` flushing mode modifier."),
                ("6.2.0", "Added the `SYNC` flushing mode modifier."),
            ],
            Arguments =
            [
                new("async", ArgType.OneOf)
                {
                    Flags = ArgFlags.Optional,
                    Arguments =
                    [
                        new("async", ArgType.PureToken) { Token = "ASYNC", Since = "4.0.0" },
                        new("sync", ArgType.PureToken) { Token = "SYNC", Since = "6.2.0" },
                    ],
                },
            ],
        });

        t.Add(new()
        {
            Name = "shutdown", Arity = -1, Flags = CommandFlags.Admin | CommandFlags.NoScript | CommandFlags.Loading | CommandFlags.Stale | CommandFlags.NoMulti | CommandFlags.AllowBusy, Categories = ["@admin", "@slow", "@dangerous"],
            Proc = Shutdown,
            Group = "server", Since = "1.0.0",
            Summary = "Synchronously save the dataset to disk and then shut down the server",
            Complexity = "O(N) when saving, where N is the total number of keys in all databases when saving data, otherwise O(1)",
            History =
            [
                ("7.0.0", "Added the `NOW`, `FORCE` and `ABORT` modifiers."),
            ],
            Arguments =
            [
                new("nosave_save", ArgType.OneOf)
                {
                    Flags = ArgFlags.Optional,
                    Arguments =
                    [
                        new("nosave", ArgType.PureToken) { Token = "NOSAVE" },
                        new("save", ArgType.PureToken) { Token = "SAVE" },
                    ],
                },
                new("now", ArgType.PureToken) { Token = "NOW", Since = "7.0.0", Flags = ArgFlags.Optional },
                new("force", ArgType.PureToken) { Token = "FORCE", Since = "7.0.0", Flags = ArgFlags.Optional },
                new("abort", ArgType.PureToken) { Token = "ABORT", Since = "7.0.0", Flags = ArgFlags.Optional },
            ],
        });
    }

    static void InfoCommand(Client c, CommandArgs a)
    {
        var sections = new string[a.Count - 1];
        for (int i = 1; i < a.Count; i++) sections[i - 1] = a.GetString(i);
        c.Reply.Verbatim(Info.Build(c.Server, sections));
    }

    static void DbSize(Client c, CommandArgs a) => c.Reply.Integer(c.Db.Count);

    static void Time(Client c, CommandArgs a)
    {
        long us = (DateTime.UtcNow - DateTime.UnixEpoch).Ticks / 10;
        c.Reply.ArrayHeader(2);
        c.Reply.Bulk(us / 1_000_000);
        c.Reply.Bulk(us % 1_000_000);
    }

    /// <summary>[ASYNC|SYNC]: both drop the arena at once; the GC frees it off the loop, which is what ASYNC buys in Redis.</summary>
    static bool ParseFlushMode(Client c, CommandArgs a)
    {
        if (a.Count == 1 || (a.Count == 2 && (a.Is(1, "async") || a.Is(1, "sync")))) return true;
        c.Reply.Error("syntax error");
        return false;
    }

    static void FlushDb(Client c, CommandArgs a)
    {
        if (!ParseFlushMode(c, a)) return;
        c.Server.TouchAllWatchedKeysInDb(c.Db);
        c.Server.InvalidateAllTracking();
        c.Db.Clear();
        c.Reply.Ok();
    }

    static void FlushAll(Client c, CommandArgs a)
    {
        if (!ParseFlushMode(c, a)) return;
        c.Server.InvalidateAllTracking();
        foreach (var db in c.Server.Databases)
        {
            c.Server.TouchAllWatchedKeysInDb(db);
            db.Clear();
        }
        c.Reply.Ok();
    }

    /// <summary>
    /// SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT]. Vermilion has no persistence yet, so nothing is
    /// saved by default; SAVE cannot be honoured and fails as a failed save does in Redis.
    /// On success the client gets no reply: the server closes every connection and exits.
    /// </summary>
    static void Shutdown(Client c, CommandArgs a)
    {
        bool save = false, nosave = false, abort = false;
        for (int i = 1; i < a.Count; i++)
        {
            if (a.Is(i, "nosave")) nosave = true;
            else if (a.Is(i, "save")) save = true;
            else if (a.Is(i, "now") || a.Is(i, "force")) { }
            else if (a.Is(i, "abort")) abort = true;
            else
            {
                c.Reply.Error("syntax error");
                return;
            }
        }
        if ((abort && a.Count != 2) || (save && nosave))
        {
            c.Reply.Error("syntax error");
            return;
        }
        if (abort)
        {
            c.Reply.Error("No shutdown in progress.");
            return;
        }
        if (save)
        {
            c.Server.Log.Warning("Error trying to save the DB: persistence is not implemented in Vermilion yet, can't exit.");
            c.Reply.Error("Errors trying to SHUTDOWN. Check logs.");
            return;
        }
        c.Server.PrepareForShutdown("User requested shutdown...");
    }
}
