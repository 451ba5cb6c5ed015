using Vermilion.Protocol;
using Vermilion.Server;

namespace Vermilion.Commands;

/// <summary>
/// LOLWUT [VERSION v] (lolwut.c lolwutCommand). Redis 7.0 draws no art of its own: for any
/// version but 5 and 6 (and 4.9 / 5.9, which Redis maps to those) it answers "Redis ver. " and
/// its version. Vermilion answers with the Redis version it is compatible with, as INFO's
/// redis_version does, so clients that read it see the same; VERSION 5 and 6 (Redis's
/// generative art) are not drawn here and answer the same line.
/// </summary>
public static partial class LolwutCommands
{
    [Command("lolwut")]
    static void Lolwut(Client c, CommandArgs a)
    {
        if (a.Count >= 3 && a.Is(1, "version") && !LongArgument.Parse(c, a[2], out _)) return;
        c.Reply.Verbatim($"Redis ver. {VermilionServer.RedisVersion}\n");
    }
}
