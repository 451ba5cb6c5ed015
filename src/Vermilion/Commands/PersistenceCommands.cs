using Vermilion.Protocol;
using Vermilion.Server;

namespace Vermilion.Commands;

/// <summary>The persistence family (rdb.c saveCommand, lastsaveCommand): SAVE and LASTSAVE. The machinery is Server/Saving.cs.</summary>
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

    /// <summary>LASTSAVE: when the dataset was last saved successfully (Unix seconds).</summary>
    [Command("lastsave")]
    static void LastSave(Client c, CommandArgs a) => c.Reply.Integer(c.Server.LastSave);
}
