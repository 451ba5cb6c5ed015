using Vermilion.Storage;

namespace Vermilion.Server;

/// <summary>A client's subscriptions; allocated on its first SUBSCRIBE, so other clients pay nothing.</summary>
public sealed class Subscriptions
{
    // Insertion-ordered lists: a client has few subscriptions, and UNSUBSCRIBE without arguments
    // then answers in a stable order (Redis walks a dict for channels and a list for patterns).
    public readonly List<byte[]> Channels = new();
    public readonly List<byte[]> Patterns = new();
    public readonly List<byte[]> ShardChannels = new();

    /// <summary>The count SUBSCRIBE/PSUBSCRIBE/UNSUBSCRIBE replies carry: channels plus patterns (shard channels count apart).</summary>
    public int Count => Channels.Count + Patterns.Count;
    public bool IsEmpty => Channels.Count == 0 && Patterns.Count == 0 && ShardChannels.Count == 0;

    public static int IndexOf(List<byte[]> list, ReadOnlySpan<byte> name)
    {
        for (int i = 0; i < list.Count; i++) if (list[i].AsSpan().SequenceEqual(name)) return i;
        return -1;
    }
}

/// <summary>
/// Pub/sub as Redis's pubsub.c: channel → subscribers, pattern → subscribers, shard channel →
/// subscribers (one shard here: SPUBLISH reaches SSUBSCRIBE clients of the same server). A
/// message is appended to each subscriber's reply buffers at once and the output buffer limit
/// of the pubsub class is checked as it grows, so a subscriber that stops reading is closed
/// (hard limit at once, soft limit after its seconds) and never slows the publisher.
/// </summary>
public sealed partial class VermilionServer
{
    public enum ChannelKind { Channel, Pattern, Shard }

    readonly Dictionary<byte[], List<Client>> _channels = new(ByteKeyComparer.Instance);
    readonly Dictionary<byte[], List<Client>> _patterns = new(ByteKeyComparer.Instance);
    readonly Dictionary<byte[], List<Client>> _shardChannels = new(ByteKeyComparer.Instance);

    public int PubSubChannels => _channels.Count;
    public int PubSubPatterns => _patterns.Count;
    public int PubSubShardChannels => _shardChannels.Count;

    Dictionary<byte[], List<Client>> Registry(ChannelKind kind) =>
        kind switch { ChannelKind.Channel => _channels, ChannelKind.Pattern => _patterns, _ => _shardChannels };

    static List<byte[]> Own(Subscriptions s, ChannelKind kind) =>
        kind switch { ChannelKind.Channel => s.Channels, ChannelKind.Pattern => s.Patterns, _ => s.ShardChannels };

    static ReadOnlySpan<byte> SubscribeWord(ChannelKind kind) =>
        kind switch { ChannelKind.Channel => "subscribe"u8, ChannelKind.Pattern => "psubscribe"u8, _ => "ssubscribe"u8 };

    static ReadOnlySpan<byte> UnsubscribeWord(ChannelKind kind) =>
        kind switch { ChannelKind.Channel => "unsubscribe"u8, ChannelKind.Pattern => "punsubscribe"u8, _ => "sunsubscribe"u8 };

    static int ReplyCount(Subscriptions s, ChannelKind kind) => kind == ChannelKind.Shard ? s.ShardChannels.Count : s.Count;

    /// <summary>pubsubSubscribeChannel / Pattern / ShardChannel: subscribe (if not yet) and confirm with the new count.</summary>
    public void Subscribe(Client c, ReadOnlySpan<byte> name, ChannelKind kind)
    {
        var subs = c.Subscriptions ??= new Subscriptions();
        var own = Own(subs, kind);
        if (Subscriptions.IndexOf(own, name) < 0)
        {
            var copy = name.ToArray();
            own.Add(copy);
            var registry = Registry(kind);
            if (!registry.TryGetValue(copy, out var clients)) registry[copy] = clients = new();
            clients.Add(c);
        }
        Confirm(c, SubscribeWord(kind), name, ReplyCount(subs, kind));
    }

    /// <summary>pubsubUnsubscribe*: drop one subscription and confirm (also when the client had none of that name).</summary>
    public void Unsubscribe(Client c, ReadOnlySpan<byte> name, ChannelKind kind, bool notify = true)
    {
        var subs = c.Subscriptions;
        int count = 0;
        if (subs is not null)
        {
            var own = Own(subs, kind);
            int i = Subscriptions.IndexOf(own, name);
            if (i >= 0)
            {
                var stored = own[i];
                own.RemoveAt(i);
                var registry = Registry(kind);
                if (registry.TryGetValue(stored, out var clients))
                {
                    clients.Remove(c);
                    if (clients.Count == 0) registry.Remove(stored);
                }
            }
            count = ReplyCount(subs, kind);
        }
        if (notify) Confirm(c, UnsubscribeWord(kind), name, count);
        if (subs is not null && subs.IsEmpty) c.Subscriptions = null;
    }

    /// <summary>pubsubUnsubscribeAll*: every subscription of one kind; with none, a single confirmation with a null name.</summary>
    public void UnsubscribeAll(Client c, ChannelKind kind, bool notify = true)
    {
        var subs = c.Subscriptions;
        if (subs is null || Own(subs, kind).Count == 0)
        {
            if (!notify) return;
            using var pushing = new Pushing(c);
            c.Reply.PushHeader(3);
            c.Reply.Bulk(UnsubscribeWord(kind));
            c.Reply.Null();
            c.Reply.Integer(subs is null ? 0 : ReplyCount(subs, kind));
            return;
        }
        foreach (var name in Own(subs, kind).ToArray()) Unsubscribe(c, name, kind, notify);
    }

    /// <summary>
    /// removeChannelsInSlot (cluster mode): every client subscribed to a shard channel that
    /// <paramref name="which"/> picks is unsubscribed from it and told so (sunsubscribe), at once:
    /// these clients are not the one running the command, so their write is scheduled as a message's.
    /// </summary>
    internal void UnsubscribeShardChannels(Func<byte[], bool> which)
    {
        foreach (var (channel, clients) in _shardChannels.Where(kv => which(kv.Key)).ToArray())
            foreach (var c in clients.ToArray())
            {
                Unsubscribe(c, channel, ChannelKind.Shard);
                if (!c.IsFreed) Delivered(c);
            }
    }

    /// <summary>On disconnect or RESET: leave everything without telling the client.</summary>
    internal void UnsubscribeEverything(Client c)
    {
        if (c.Subscriptions is null) return;
        UnsubscribeAll(c, ChannelKind.Channel, notify: false);
        UnsubscribeAll(c, ChannelKind.Pattern, notify: false);
        UnsubscribeAll(c, ChannelKind.Shard, notify: false);
        c.Subscriptions = null;
    }

    static void Confirm(Client c, ReadOnlySpan<byte> word, ReadOnlySpan<byte> name, int count)
    {
        using var pushing = new Pushing(c);
        c.Reply.PushHeader(3);
        c.Reply.Bulk(word);
        c.Reply.Bulk(name);
        c.Reply.Integer(count);
    }

    /// <summary>
    /// CLIENT_PUSHING (prepareClientToWrite), for the scope of one push: pub/sub messages,
    /// (un)subscribe confirmations and tracking invalidations are written even under CLIENT REPLY
    /// OFF or SKIP; only a client about to be closed gets nothing. Disposing puts the muting back.
    /// </summary>
    internal readonly ref struct Pushing
    {
        readonly Client _client;
        readonly bool _muted;

        public Pushing(Client c)
        {
            _client = c;
            _muted = c.Reply.Muted;
            c.Reply.Muted = (c.Flags & (ClientFlags.CloseAfterReply | ClientFlags.CloseAsap)) != 0;
        }

        public void Dispose() => _client.Reply.Muted = _muted;
    }

    /// <summary>pubsubPublishMessage: deliver to the channel's subscribers, then to matching patterns; the number of receivers.</summary>
    public int Publish(ReadOnlySpan<byte> channel, ReadOnlySpan<byte> message, bool shard = false)
    {
        int receivers = 0;
        var registry = shard ? _shardChannels : _channels;
        if (registry.Count > 0 && registry.GetAlternateLookup<ReadOnlySpan<byte>>().TryGetValue(channel, out var clients))
        {
            foreach (var c in clients)
            {
                if (c.IsFreed) continue;
                using (new Pushing(c))
                {
                    c.Reply.PushHeader(3);
                    c.Reply.Bulk(shard ? "smessage"u8 : "message"u8);
                    c.Reply.Bulk(channel);
                    c.Reply.Bulk(message);
                }
                Delivered(c);
                receivers++;
            }
        }
        if (shard || _patterns.Count == 0) return receivers;
        foreach (var (pattern, subscribers) in _patterns)
        {
            if (!GlobPattern.Match(pattern, channel, nocase: false)) continue;
            foreach (var c in subscribers)
            {
                if (c.IsFreed) continue;
                using (new Pushing(c))
                {
                    c.Reply.PushHeader(4);
                    c.Reply.Bulk("pmessage"u8);
                    c.Reply.Bulk(pattern);
                    c.Reply.Bulk(channel);
                    c.Reply.Bulk(message);
                }
                Delivered(c);
                receivers++;
            }
        }
        return receivers;
    }

    public IEnumerable<byte[]> ChannelNames(bool shard) => (shard ? _shardChannels : _channels).Keys;

    public int SubscriberCount(ReadOnlySpan<byte> channel, bool shard)
    {
        var registry = shard ? _shardChannels : _channels;
        return registry.GetAlternateLookup<ReadOnlySpan<byte>>().TryGetValue(channel, out var clients) ? clients.Count : 0;
    }

    /// <summary>A message went into a subscriber's buffers: queue the write, and close it if over its limit.</summary>
    void Delivered(Client c)
    {
        if (c.Reply.ListNodes > 0 && CheckOutputBufferLimits(c, async: true)) return;
        if (c != CurrentClient) c.AfterCommands();
    }
}
