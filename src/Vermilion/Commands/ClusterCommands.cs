using Vermilion.Protocol;
using Vermilion.Server;

namespace Vermilion.Commands;

/// <summary>
/// CLUSTER, READONLY, READWRITE, ASKING as a Redis 7.0 started without cluster-enabled answers
/// them (clusterCommand, readonlyCommand, readwriteCommand, askingCommand all check
/// server.cluster_enabled first): every subcommand, HELP included, is refused. The dispatcher
/// still answers wrong arity and unknown subcommands first, as processCommand does, so each
/// subcommand is bound with its metadata. Vermilion has no cluster mode yet.
/// </summary>
public static partial class ClusterCommands
{
    [Command("cluster|addslots")]
    [Command("cluster|addslotsrange")]
    [Command("cluster|bumpepoch")]
    [Command("cluster|count-failure-reports")]
    [Command("cluster|countkeysinslot")]
    [Command("cluster|delslots")]
    [Command("cluster|delslotsrange")]
    [Command("cluster|failover")]
    [Command("cluster|flushslots")]
    [Command("cluster|forget")]
    [Command("cluster|getkeysinslot")]
    [Command("cluster|help")]
    [Command("cluster|info")]
    [Command("cluster|keyslot")]
    [Command("cluster|links")]
    [Command("cluster|meet")]
    [Command("cluster|myid")]
    [Command("cluster|nodes")]
    [Command("cluster|replicas")]
    [Command("cluster|replicate")]
    [Command("cluster|reset")]
    [Command("cluster|saveconfig")]
    [Command("cluster|set-config-epoch")]
    [Command("cluster|setslot")]
    [Command("cluster|shards")]
    [Command("cluster|slaves")]
    [Command("cluster|slots")]
    [Command("readonly")]
    [Command("readwrite")]
    [Command("asking")]
    static void ClusterDisabled(Client c, CommandArgs a) => c.Reply.Error("This instance has cluster support disabled");
}
