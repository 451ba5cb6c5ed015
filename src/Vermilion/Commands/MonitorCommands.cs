using Vermilion.Protocol;
using Vermilion.Server;

namespace Vermilion.Commands;

/// <summary>MONITOR: the client receives every command the server runs (Server/Monitor.cs feeds it).</summary>
public static partial class MonitorCommands
{
    /// <summary>monitorCommand: refused where a client must get one reply per command (inside EXEC), silent when already monitoring.</summary>
    [Command("monitor")]
    static void Monitor(Client c, CommandArgs a)
    {
        if (c.Server.DeniesBlocking(c))
        {
            c.Reply.Error("MONITOR isn't allowed for DENY BLOCKING client");
            return;
        }
        c.Server.StartMonitor(c);
    }
}
