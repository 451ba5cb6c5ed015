using Vermilion.Protocol;
using Vermilion.Server;

namespace Vermilion.Commands;

/// <summary>The server family: INFO, DBSIZE, TIME, FLUSHDB, FLUSHALL, SHUTDOWN.</summary>
public static partial class ServerCommands
{
    [Command("info")]
    static void InfoCommand(Client c, CommandArgs a)
    {
        var sections = new string[a.Count - 1];
        for (int i = 1; i < a.Count; i++) sections[i - 1] = a.GetString(i);
        c.Reply.Verbatim(Info.Build(c.Server, sections));
    }

    [Command("dbsize")] static void DbSize(Client c, CommandArgs a) => c.Reply.Integer(c.Db.Count);

    [Command("time")]
    static void Time(Client c, CommandArgs a)
    {
        long us = (DateTime.UtcNow - DateTime.UnixEpoch).Ticks / 10;
        c.Reply.ArrayHeader(2);
        c.Reply.Bulk(us / 1_000_000);
        c.Reply.Bulk(us % 1_000_000);
    }

    /// <summary>getFlushCommandFlags: [ASYNC|SYNC]; without either, lazyfree-lazy-user-flush decides.</summary>
    static bool ParseFlushMode(Client c, CommandArgs a, out bool async)
    {
        async = c.Server.Config.LazyfreeLazyUserFlush;
        if (a.Count == 1) return true;
        if (a.Count == 2 && (a.Is(1, "async") || a.Is(1, "sync")))
        {
            async = a.Is(1, "async");
            return true;
        }
        c.Reply.Error("syntax error");
        return false;
    }

    [Command("flushdb")]
    static void FlushDb(Client c, CommandArgs a)
    {
        if (!ParseFlushMode(c, a, out bool async)) return;
        c.Server.InvalidateAllTracking();
        c.Server.Dirty += c.Server.EmptyDb(c.Db, async);
        // Propagated even when the database was already empty, as Redis forces it.
        c.Server.ForcePropagation();
        c.Reply.Ok();
    }

    [Command("flushall")]
    static void FlushAll(Client c, CommandArgs a)
    {
        if (!ParseFlushMode(c, a, out bool async)) return;
        c.Server.InvalidateAllTracking();
        foreach (var db in c.Server.Databases) c.Server.Dirty += c.Server.EmptyDb(db, async);
        c.Server.ForcePropagation();
        c.Reply.Ok();
    }

    /// <summary>
    /// SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT]. Vermilion has no persistence yet, so nothing is
    /// saved by default; SAVE cannot be honoured and fails as a failed save does in Redis.
    /// On success the client gets no reply: the server closes every connection and exits.
    /// </summary>
    [Command("shutdown")]
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
