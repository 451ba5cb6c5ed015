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

    /// <summary>FLUSHALL (flushAllDataAndResetRDB): every database emptied, then with save points the empty dataset saved at once.</summary>
    [Command("flushall")]
    static void FlushAll(Client c, CommandArgs a)
    {
        if (!ParseFlushMode(c, a, out bool async)) return;
        c.Server.InvalidateAllTracking();
        long removed = 0;
        foreach (var db in c.Server.Databases) removed += c.Server.EmptyDb(db, async);
        c.Server.ForgetReplicaKeysWithExpire();
        c.Server.ResetRdbAfterFlushAll(removed);
        c.Server.ForcePropagation();
        c.Reply.Ok();
    }

    /// <summary>
    /// SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT] (db.c shutdownCommand): saves when save points
    /// exist unless NOSAVE, or always with SAVE; a failed save cancels the shutdown unless FORCE.
    /// NOW changes nothing here (there are no replicas to wait for), and no shutdown is ever in
    /// progress for ABORT to cancel. On success the client gets no reply: the server closes every
    /// connection and exits.
    /// </summary>
    [Command("shutdown")]
    static void Shutdown(Client c, CommandArgs a)
    {
        var flags = ShutdownFlags.None;
        bool abort = false;
        for (int i = 1; i < a.Count; i++)
        {
            if (a.Is(i, "nosave")) flags |= ShutdownFlags.NoSave;
            else if (a.Is(i, "save")) flags |= ShutdownFlags.Save;
            else if (a.Is(i, "now")) flags |= ShutdownFlags.Now;
            else if (a.Is(i, "force")) flags |= ShutdownFlags.Force;
            else if (a.Is(i, "abort")) abort = true;
            else
            {
                c.Reply.Error("syntax error");
                return;
            }
        }
        if ((abort && flags != ShutdownFlags.None) || (flags & (ShutdownFlags.Save | ShutdownFlags.NoSave)) == (ShutdownFlags.Save | ShutdownFlags.NoSave))
        {
            c.Reply.Error("syntax error");
            return;
        }
        if (abort)
        {
            c.Reply.Error("No shutdown in progress.");
            return;
        }
        if ((flags & ShutdownFlags.Now) == 0 && c.Server.DeniesBlocking(c))
        {
            c.Reply.Error("SHUTDOWN without NOW or ABORT isn't allowed for DENY BLOCKING client");
            return;
        }
        // A busy script may only be ended without saving: its half-done writes must not reach the file.
        if ((flags & ShutdownFlags.NoSave) == 0 && c.Server.ScriptTimedOut)
        {
            c.Reply.Error(c.Server.BusyError);
            return;
        }
        if (!c.Server.PrepareForShutdown("User requested shutdown...", flags)) c.Reply.Error("Errors trying to SHUTDOWN. Check logs.");
    }
}
