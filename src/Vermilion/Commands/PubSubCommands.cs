using Vermilion.Protocol;
using Vermilion.Server;
using Vermilion.Storage;

namespace Vermilion.Commands;

/// <summary>
/// The pub/sub family: SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE, PUNSUBSCRIBE, SSUBSCRIBE, SUNSUBSCRIBE,
/// PUBLISH, SPUBLISH and PUBSUB; the registries and delivery live in Server/PubSub.cs.
/// </summary>
public static partial class PubSubCommands
{
    [Command("subscribe")] static void Subscribe(Client c, CommandArgs a) => SubscribeEach(c, a, VermilionServer.ChannelKind.Channel);
    [Command("psubscribe")] static void PSubscribe(Client c, CommandArgs a) => SubscribeEach(c, a, VermilionServer.ChannelKind.Pattern);
    [Command("ssubscribe")]
    static void SSubscribe(Client c, CommandArgs a)
    {
        // ssubscribeCommand: a DENY BLOCKING client (one running EXEC) expects one reply per
        // command; SUBSCRIBE and PSUBSCRIBE keep working inside MULTI for backward compatibility.
        if (c.Server.DeniesBlocking(c))
        {
            c.Reply.Error("SSUBSCRIBE isn't allowed for a DENY BLOCKING client");
            return;
        }
        SubscribeEach(c, a, VermilionServer.ChannelKind.Shard);
    }
    [Command("unsubscribe")] static void Unsubscribe(Client c, CommandArgs a) => UnsubscribeEach(c, a, VermilionServer.ChannelKind.Channel);
    [Command("punsubscribe")] static void PUnsubscribe(Client c, CommandArgs a) => UnsubscribeEach(c, a, VermilionServer.ChannelKind.Pattern);
    [Command("sunsubscribe")] static void SUnsubscribe(Client c, CommandArgs a) => UnsubscribeEach(c, a, VermilionServer.ChannelKind.Shard);

    static void SubscribeEach(Client c, CommandArgs a, VermilionServer.ChannelKind kind)
    {
        for (int i = 1; i < a.Count; i++) c.Server.Subscribe(c, a[i], kind);
    }

    static void UnsubscribeEach(Client c, CommandArgs a, VermilionServer.ChannelKind kind)
    {
        if (a.Count == 1) c.Server.UnsubscribeAll(c, kind);
        else for (int i = 1; i < a.Count; i++) c.Server.Unsubscribe(c, a[i], kind);
    }

    // Replicas get PUBLISH (not the AOF), so their own subscribers hear what the primary's did.
    [Command("publish")]
    static void Publish(Client c, CommandArgs a)
    {
        c.Reply.Integer(c.Server.Publish(a[1], a[2]));
        // In cluster mode the message travels the bus to every node instead of the replication stream.
        if (c.Server.Cluster is { } cluster) cluster.Bus.PropagatePublish(a[1], a[2], sharded: false);
        else c.Server.ForceReplicaPropagation();
    }

    [Command("spublish")]
    static void SPublish(Client c, CommandArgs a)
    {
        c.Reply.Integer(c.Server.Publish(a[1], a[2], shard: true));
        // In cluster mode, to the other nodes of this shard over the bus.
        if (c.Server.Cluster is { } cluster) cluster.Bus.PropagatePublish(a[1], a[2], sharded: true);
        else c.Server.ForceReplicaPropagation();
    }

    static readonly string[] s_help =
    [
        "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "CHANNELS [<pattern>]",
        "    Return the currently active channels matching a <pattern> (default: '*').",
        "NUMPAT",
        "    Return number of subscriptions to patterns.",
        "NUMSUB [<channel> ...]",
        "    Return the number of subscribers for the specified channels, excluding",
        "    pattern subscriptions(default: no channels).",
        "SHARDCHANNELS [<pattern>]",
        "    Return the currently active shard level channels matching a <pattern> (default: '*').",
        "SHARDNUMSUB [<shardchannel> ...]",
        "    Return the number of subscribers for the specified shard level channel(s)",
        "HELP",
        "    Prints this help.",
    ];

    [Command("pubsub|help")] static void Help(Client c, CommandArgs a) => HelpReply.Write(c, s_help);

    [Command("pubsub|channels")] static void Channels(Client c, CommandArgs a) => ListChannels(c, a, c.Server.ChannelNames(shard: false));
    [Command("pubsub|shardchannels")] static void ShardChannels(Client c, CommandArgs a) => ListChannels(c, a, c.Server.ChannelNames(shard: true));

    /// <summary>PUBSUB CHANNELS / SHARDCHANNELS [pattern]: more than one pattern is refused as Redis's subcommand syntax error.</summary>
    static void ListChannels(Client c, CommandArgs a, IEnumerable<byte[]> names)
    {
        if (a.Count > 3)
        {
            HelpReply.SubcommandSyntaxError(c, a);
            return;
        }
        var matching = new List<byte[]>();
        foreach (var name in names)
            if (a.Count == 2 || GlobPattern.Match(a[2], name, nocase: false)) matching.Add(name);
        c.Reply.ArrayHeader(matching.Count);
        foreach (var name in matching) c.Reply.Bulk(name);
    }

    [Command("pubsub|numsub")] static void NumSub(Client c, CommandArgs a) => CountSubscribers(c, a, shard: false);
    [Command("pubsub|shardnumsub")] static void ShardNumSub(Client c, CommandArgs a) => CountSubscribers(c, a, shard: true);

    static void CountSubscribers(Client c, CommandArgs a, bool shard)
    {
        c.Reply.ArrayHeader((a.Count - 2) * 2);
        for (int i = 2; i < a.Count; i++)
        {
            c.Reply.Bulk(a[i]);
            c.Reply.Integer(c.Server.SubscriberCount(a[i], shard));
        }
    }

    [Command("pubsub|numpat")] static void NumPat(Client c, CommandArgs a) => c.Reply.Integer(c.Server.PubSubPatterns);
}
