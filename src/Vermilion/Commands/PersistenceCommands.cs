using Vermilion.Protocol;
using Vermilion.Server;

namespace Vermilion.Commands;

/// <summary>The persistence family (rdb.c saveCommand, bgsaveCommand, lastsaveCommand). The machinery is Server/Saving.cs and Server/BackgroundSave.cs.</summary>
public static partial class PersistenceCommands
{
    /// <summary>SAVE: the dataset to dir/dbfilename now, blocking the server, as Redis's synchronous save; "-ERR" alone when it fails (the reason is logged).</summary>
    [Command("save")]
    static void Save(Client c, CommandArgs a)
    {
        if (c.Server.BackgroundSaveInProgress)
        {
            c.Reply.Error("Background save already in progress");
            return;
        }
        if (c.Server.SaveCommand()) c.Reply.Ok();
        else c.Reply.Error("-ERR");
    }

    /// <summary>
    /// BGSAVE [SCHEDULE]: a point-in-time save that runs between events. With an AOF rewrite
    /// running (or inside EXEC) it is scheduled when asked to be (always inside EXEC), as Redis.
    /// </summary>
    [Command("bgsave")]
    static void BgSave(Client c, CommandArgs a)
    {
        bool schedule = false;
        if (a.Count > 1)
        {
            if (a.Count == 2 && a.Is(1, "schedule")) schedule = true;
            else
            {
                c.Reply.Error("syntax error");
                return;
            }
        }
        var server = c.Server;
        bool inExec = (c.Flags & ClientFlags.InExec) != 0;
        if (server.BackgroundSaveInProgress) c.Reply.Error("Background save already in progress");
        else if (server.Aof.RewriteInProgress || inExec)
        {
            if (schedule || inExec)
            {
                server.ScheduleBackgroundSave();
                c.Reply.Simple("Background saving scheduled");
            }
            else c.Reply.Error("Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.");
        }
        else if (server.StartBackgroundSave()) c.Reply.Simple("Background saving started");
        else c.Reply.Error("-ERR");
    }

    /// <summary>LASTSAVE: when the dataset was last saved successfully (Unix seconds).</summary>
    [Command("lastsave")]
    static void LastSave(Client c, CommandArgs a) => c.Reply.Integer(c.Server.LastSave);
}
