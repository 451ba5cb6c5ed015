using Vermilion.Protocol;
using Vermilion.Server;
using Vermilion.Storage;

namespace Vermilion.Commands;

/// <summary>
/// The pub/sub family: SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE, PUNSUBSCRIBE, SSUBSCRIBE, SUNSUBSCRIBE,
/// PUBLISH, SPUBLISH and PUBSUB; the registries and delivery live in Server/PubSub.cs.
/// </summary>
public static class PubSubCommands
{
    public static void Register(CommandTable t)
    {
        t.Add(new()
        {
            Name = "subscribe", Arity = -2, Flags = CommandFlags.PubSub | CommandFlags.NoScript | CommandFlags.Loading | CommandFlags.Stale, Categories = ["@pubsub", "@slow"],
            Proc = Subscribe,
            Group = "pubsub", Since = "2.0.0",
            Summary = "Listen for messages published to the given channels",
            Complexity = "O(N) where N is the number of channels to subscribe to.",
            Arguments =
            [
                new("channel", ArgType.String) { Flags = ArgFlags.Multiple },
            ],
        });

        t.Add(new()
        {
            Name = "unsubscribe", Arity = -1, Flags = CommandFlags.PubSub | CommandFlags.NoScript | CommandFlags.Loading | CommandFlags.Stale, Categories = ["@pubsub", "@slow"],
            Proc = Unsubscribe,
            Group = "pubsub", Since = "2.0.0",
            Summary = "Stop listening for messages posted to the given channels",
            Complexity = "O(N) where N is the number of clients already subscribed to a channel.",
            Arguments =
            [
                new("channel", ArgType.String) { Flags = ArgFlags.Optional | ArgFlags.Multiple },
            ],
        });

        t.Add(new()
        {
            Name = "psubscribe", Arity = -2, Flags = CommandFlags.PubSub | CommandFlags.NoScript | CommandFlags.Loading | CommandFlags.Stale, Categories = ["@pubsub", "@slow"],
            Proc = PSubscribe,
            Group = "pubsub", Since = "2.0.0",
            Summary = "Listen for messages published to channels matching the given patterns",
            Complexity = "O(N) where N is the number of patterns the client is already subscribed to.",
            Arguments =
            [
                new("pattern", ArgType.Block)
                {
                    Flags = ArgFlags.Multiple,
                    Arguments =
                    [
                        new("pattern", ArgType.Pattern),
                    ],
                },
            ],
        });

        t.Add(new()
        {
            Name = "punsubscribe", Arity = -1, Flags = CommandFlags.PubSub | CommandFlags.NoScript | CommandFlags.Loading | CommandFlags.Stale, Categories = ["@pubsub", "@slow"],
            Proc = PUnsubscribe,
            Group = "pubsub", Since = "2.0.0",
            Summary = "Stop listening for messages posted to channels matching the given patterns",
            Complexity = "O(N+M) where N is the number of patterns the client is already subscribed and M is the number of total patterns subscribed in the system (by any client).",
            Arguments =
            [
                new("pattern", ArgType.Pattern) { Flags = ArgFlags.Optional | ArgFlags.Multiple },
            ],
        });

        t.Add(new()
        {
            Name = "ssubscribe", Arity = -2, Flags = CommandFlags.PubSub | CommandFlags.NoScript | CommandFlags.Loading | CommandFlags.Stale, Categories = ["@pubsub", "@slow"],
            FirstKey = 1, LastKey = -1, KeyStep = 1,
            Proc = SSubscribe,
            Group = "pubsub", Since = "7.0.0",
            Summary = "Listen for messages published to the given shard channels",
            Complexity = "O(N) where N is the number of shard channels to subscribe to.",
            KeySpecs = [new(KeySpecFlags.NotKey, BeginSearch.ByIndex(1), FindKeys.Range(-1, 1, 0))],
            Arguments =
            [
                new("shardchannel", ArgType.String) { Flags = ArgFlags.Multiple },
            ],
        });

        t.Add(new()
        {
            Name = "sunsubscribe", Arity = -1, Flags = CommandFlags.PubSub | CommandFlags.NoScript | CommandFlags.Loading | CommandFlags.Stale, Categories = ["@pubsub", "@slow"],
            FirstKey = 1, LastKey = -1, KeyStep = 1,
            Proc = SUnsubscribe,
            Group = "pubsub", Since = "7.0.0",
            Summary = "Stop listening for messages posted to the given shard channels",
            Complexity = "O(N) where N is the number of clients already subscribed to a shard channel.",
            KeySpecs = [new(KeySpecFlags.NotKey, BeginSearch.ByIndex(1), FindKeys.Range(-1, 1, 0))],
            Arguments =
            [
                new("shardchannel", ArgType.String) { Flags = ArgFlags.Optional | ArgFlags.Multiple },
            ],
        });

        t.Add(new()
        {
            Name = "publish", Arity = 3, Flags = CommandFlags.PubSub | CommandFlags.Loading | CommandFlags.Stale | CommandFlags.Fast, Categories = ["@pubsub", "@fast"],
            Proc = Publish,
            Group = "pubsub", Since = "2.0.0",
            Summary = "Post a message to a channel",
            Complexity = "O(N+M) where N is the number of clients subscribed to the receiving channel and M is the total number of subscribed patterns (by any client).",
            Arguments =
            [
                new("channel", ArgType.String),
                new("message", ArgType.String),
            ],
        });

        t.Add(new()
        {
            Name = "spublish", Arity = 3, Flags = CommandFlags.PubSub | CommandFlags.Loading | CommandFlags.Stale | CommandFlags.Fast, Categories = ["@pubsub", "@fast"],
            FirstKey = 1, LastKey = 1, KeyStep = 1,
            Proc = SPublish,
            Group = "pubsub", Since = "7.0.0",
            Summary = "Post a message to a shard channel",
            Complexity = "O(N) where N is the number of clients subscribed to the receiving shard channel.",
            KeySpecs = [new(KeySpecFlags.NotKey, BeginSearch.ByIndex(1), FindKeys.Range(0, 1, 0))],
            Arguments =
            [
                new("shardchannel", ArgType.String),
                new("message", ArgType.String),
            ],
        });

        var pubsubCommand = new CommandDef
        {
            Name = "pubsub", Arity = -2, Categories = ["@slow"],
            Group = "pubsub", Since = "2.8.0",
            Summary = "A container for Pub/Sub commands",
            Complexity = "Depends on subcommand.",
        };

        pubsubCommand.AddSubcommand(new()
        {
            Name = "channels", Arity = -2, Flags = CommandFlags.PubSub | CommandFlags.Loading | CommandFlags.Stale, Categories = ["@pubsub", "@slow"],
            Proc = Channels,
            Group = "pubsub", Since = "2.8.0",
            Summary = "List active channels",
            Complexity = "O(N) where N is the number of active channels, and assuming constant time pattern matching (relatively short channels and patterns)",
            Arguments =
            [
                new("pattern", ArgType.Pattern) { Flags = ArgFlags.Optional },
            ],
        });

        pubsubCommand.AddSubcommand(new()
        {
            Name = "help", Arity = 2, Flags = CommandFlags.Loading | CommandFlags.Stale, Categories = ["@slow"],
            Proc = Help,
            Group = "pubsub", Since = "6.2.0",
            Summary = "Show helpful text about the different subcommands",
            Complexity = "O(1)",
        });

        pubsubCommand.AddSubcommand(new()
        {
            Name = "numpat", Arity = 2, Flags = CommandFlags.PubSub | CommandFlags.Loading | CommandFlags.Stale, Categories = ["@pubsub", "@slow"],
            Proc = NumPat,
            Group = "pubsub", Since = "2.8.0",
            Summary = "Get the count of unique patterns pattern subscriptions",
            Complexity = "O(1)",
        });

        pubsubCommand.AddSubcommand(new()
        {
            Name = "numsub", Arity = -2, Flags = CommandFlags.PubSub | CommandFlags.Loading | CommandFlags.Stale, Categories = ["@pubsub", "@slow"],
            Proc = NumSub,
            Group = "pubsub", Since = "2.8.0",
            Summary = "Get the count of subscribers for channels",
            Complexity = "O(N) for the NUMSUB subcommand, where N is the number of requested channels",
            Arguments =
            [
                new("channel", ArgType.String) { Flags = ArgFlags.Optional | ArgFlags.Multiple },
            ],
        });

        pubsubCommand.AddSubcommand(new()
        {
            Name = "shardchannels", Arity = -2, Flags = CommandFlags.PubSub | CommandFlags.Loading | CommandFlags.Stale, Categories = ["@pubsub", "@slow"],
            Proc = ShardChannels,
            Group = "pubsub", Since = "7.0.0",
            Summary = "List active shard channels",
            Complexity = "O(N) where N is the number of active shard channels, and assuming constant time pattern matching (relatively short shard channels).",
            Arguments =
            [
                new("pattern", ArgType.Pattern) { Flags = ArgFlags.Optional },
            ],
        });

        pubsubCommand.AddSubcommand(new()
        {
            Name = "shardnumsub", Arity = -2, Flags = CommandFlags.PubSub | CommandFlags.Loading | CommandFlags.Stale, Categories = ["@pubsub", "@slow"],
            Proc = ShardNumSub,
            Group = "pubsub", Since = "7.0.0",
            Summary = "Get the count of subscribers for shard channels",
            Complexity = "O(N) for the SHARDNUMSUB subcommand, where N is the number of requested shard channels",
            Arguments =
            [
                new("shardchannel", ArgType.String) { Flags = ArgFlags.Optional | ArgFlags.Multiple },
            ],
        });

        t.Add(pubsubCommand);
    }

    static void Subscribe(Client c, CommandArgs a) => SubscribeEach(c, a, VermilionServer.ChannelKind.Channel);
    static void PSubscribe(Client c, CommandArgs a) => SubscribeEach(c, a, VermilionServer.ChannelKind.Pattern);
    static void SSubscribe(Client c, CommandArgs a) => SubscribeEach(c, a, VermilionServer.ChannelKind.Shard);
    static void Unsubscribe(Client c, CommandArgs a) => UnsubscribeEach(c, a, VermilionServer.ChannelKind.Channel);
    static void PUnsubscribe(Client c, CommandArgs a) => UnsubscribeEach(c, a, VermilionServer.ChannelKind.Pattern);
    static void SUnsubscribe(Client c, CommandArgs a) => UnsubscribeEach(c, a, VermilionServer.ChannelKind.Shard);

    static void SubscribeEach(Client c, CommandArgs a, VermilionServer.ChannelKind kind)
    {
        for (int i = 1; i < a.Count; i++) c.Server.Subscribe(c, a[i], kind);
    }

    static void UnsubscribeEach(Client c, CommandArgs a, VermilionServer.ChannelKind kind)
    {
        if (a.Count == 1) c.Server.UnsubscribeAll(c, kind);
        else for (int i = 1; i < a.Count; i++) c.Server.Unsubscribe(c, a[i], kind);
    }

    static void Publish(Client c, CommandArgs a) => c.Reply.Integer(c.Server.Publish(a[1], a[2]));
    static void SPublish(Client c, CommandArgs a) => c.Reply.Integer(c.Server.Publish(a[1], a[2], shard: true));

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

    static void Help(Client c, CommandArgs a) => HelpReply.Write(c, s_help);

    static void Channels(Client c, CommandArgs a) => ListChannels(c, a, c.Server.ChannelNames(shard: false));
    static void ShardChannels(Client c, CommandArgs a) => ListChannels(c, a, c.Server.ChannelNames(shard: true));

    /// <summary>PUBSUB CHANNELS / SHARDCHANNELS [pattern]: more than one pattern is refused as Redis's subcommand syntax error.</summary>
    static void ListChannels(Client c, CommandArgs a, IEnumerable<byte[]> names)
    {
        if (a.Count > 3)
        {
            c.Reply.Error($"unknown subcommand or wrong number of arguments for '{a.GetString(1)}'. Try PUBSUB HELP.");
            return;
        }
        var matching = new List<byte[]>();
        foreach (var name in names)
            if (a.Count == 2 || GlobPattern.Match(a[2], name, nocase: false)) matching.Add(name);
        c.Reply.ArrayHeader(matching.Count);
        foreach (var name in matching) c.Reply.Bulk(name);
    }

    static void NumSub(Client c, CommandArgs a) => CountSubscribers(c, a, shard: false);
    static void ShardNumSub(Client c, CommandArgs a) => CountSubscribers(c, a, shard: true);

    static void CountSubscribers(Client c, CommandArgs a, bool shard)
    {
        c.Reply.ArrayHeader((a.Count - 2) * 2);
        for (int i = 2; i < a.Count; i++)
        {
            c.Reply.Bulk(a[i]);
            c.Reply.Integer(c.Server.SubscriberCount(a[i], shard));
        }
    }

    static void NumPat(Client c, CommandArgs a) => c.Reply.Integer(c.Server.PubSubPatterns);
}
