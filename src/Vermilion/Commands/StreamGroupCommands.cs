using Vermilion.Protocol;
using Vermilion.Server;
using Vermilion.Storage;
using static Vermilion.Commands.StreamCommands;

namespace Vermilion.Commands;

/// <summary>
/// The consumer group commands (t_stream.c): XREADGROUP (XREAD's loop in
/// <see cref="StreamCommands.ReadStreams"/>), XGROUP, XACK, XPENDING, XCLAIM, XAUTOCLAIM and
/// XINFO, over <see cref="StreamGroup"/>. A claim or a read that changes a PEL is propagated as
/// 7.0 does, as XCLAIM ... TIME ... RETRYCOUNT ... FORCE JUSTID LASTID, never as the command.
/// </summary>
public static partial class StreamGroupCommands
{
    [Command("xreadgroup")] static void XReadGroup(Client c, CommandArgs a) => ReadStreams(c, a, groupMode: true);

    // ---- XGROUP ----

    static readonly string[] s_groupHelp =
    [
        "XGROUP <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "CREATE <key> <groupname> <id|$> [option]",
        "    Create a new consumer group. Options are:",
        "    * MKSTREAM",
        "      Create the empty stream if it does not exist.",
        "    * ENTRIESREAD entries_read",
        "      Set the group's entries_read counter (internal use).",
        "CREATECONSUMER <key> <groupname> <consumer>",
        "    Create a new consumer in the specified group.",
        "DELCONSUMER <key> <groupname> <consumer>",
        "    Remove the specified consumer.",
        "DESTROY <key> <groupname>",
        "    Remove the specified group.",
        "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
        "    Set the current group ID and entries_read counter.",
        "HELP",
        "    Prints this help.",
    ];

    [Command("xgroup|help")] static void GroupHelp(Client c, CommandArgs a) => HelpReply.Write(c, s_groupHelp);

    /// <summary>
    /// xgroupCommand's common part for every subcommand but HELP: its options (MKSTREAM and
    /// ENTRIESREAD for CREATE, ENTRIESREAD for SETID), the key (WRONGTYPE; missing only with
    /// MKSTREAM) and, for SETID, CREATECONSUMER and DELCONSUMER, the group. False after an error.
    /// </summary>
    static bool Prepare(Client c, CommandArgs a, out StreamValue? s, out StreamGroup? group, out bool mkstream, out long entriesRead)
    {
        s = null;
        group = null;
        mkstream = false;
        entriesRead = StreamGroup.InvalidEntriesRead;
        bool create = a.Is(1, "create"), setid = a.Is(1, "setid");
        for (int i = 5; i < a.Count;)
        {
            if (create && a.Is(i, "mkstream"))
            {
                mkstream = true;
                i++;
            }
            else if ((create || setid) && a.Is(i, "entriesread") && i + 1 < a.Count)
            {
                if (!LongArgument.Parse(c, a[i + 1], out entriesRead)) return false;
                if (entriesRead < 0 && entriesRead != StreamGroup.InvalidEntriesRead)
                {
                    c.Reply.Error("value for ENTRIESREAD must be positive or -1");
                    return false;
                }
                i += 2;
            }
            else
            {
                HelpReply.SubcommandSyntaxError(c, a);
                return false;
            }
        }
        s = Write(c, a[2]);
        if (mkstream) return true;
        if (s is null)
        {
            c.Reply.Error("The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.");
            return false;
        }
        group = s.FindGroup(a[3]);
        if (group is null && (setid || a.Is(1, "createconsumer") || a.Is(1, "delconsumer")))
        {
            c.Reply.Error($"-NOGROUP No such consumer group '{a.GetCString(3)}' for key name '{a.GetCString(2)}'");
            return false;
        }
        return true;
    }

    [Command("xgroup|create")]
    static void GroupCreate(Client c, CommandArgs a)
    {
        if (!Prepare(c, a, out var s, out _, out _, out long entriesRead)) return;
        if (a.Count > 8)
        {
            HelpReply.SubcommandSyntaxError(c, a);
            return;
        }
        StreamId id;
        if (a[4] is [(byte)'$']) id = s?.LastId ?? StreamId.Zero;
        else if (!ParseId(c, a[4], 0, strict: true, out id)) return;
        if (s is null)
        {
            s = new StreamValue(a.ToArray(2));
            s.Settle();
            c.Db.Add(s);
        }
        if (s.CreateGroup(a[3], id, entriesRead) is null)
        {
            c.Reply.Error("-BUSYGROUP Consumer Group name already exists");
            return;
        }
        c.Reply.Ok();
        c.Server.Dirty++;
        c.Server.Notify(NotifyFlags.Stream, "xgroup-create", c.Db, a[2]);
        s.Account();
    }

    [Command("xgroup|setid")]
    static void GroupSetId(Client c, CommandArgs a)
    {
        if (!Prepare(c, a, out var s, out var group, out _, out long entriesRead)) return;
        if (a.Count != 5 && a.Count != 7)
        {
            HelpReply.SubcommandSyntaxError(c, a);
            return;
        }
        StreamId id;
        if (a[4] is [(byte)'$']) id = s!.LastId;
        else if (!ParseId(c, a[4], 0, strict: false, out id)) return;
        group!.LastId = id;
        group.EntriesRead = entriesRead;
        c.Reply.Ok();
        c.Server.Dirty++;
        c.Server.Notify(NotifyFlags.Stream, "xgroup-setid", c.Db, a[2]);
    }

    [Command("xgroup|destroy")]
    static void GroupDestroy(Client c, CommandArgs a)
    {
        if (!Prepare(c, a, out var s, out var group, out _, out _)) return;
        if (group is null)
        {
            c.Reply.Integer(0);
            return;
        }
        s!.DestroyGroup(a[3]);
        c.Reply.Integer(1);
        c.Server.Dirty++;
        c.Server.Notify(NotifyFlags.Stream, "xgroup-destroy", c.Db, a[2]);
        s.Account();
        // Clients blocked in XREADGROUP on this group get -NOGROUP.
        c.Server.SignalKeyAsReady(c.Db, a[2]);
    }

    [Command("xgroup|createconsumer")]
    static void GroupCreateConsumer(Client c, CommandArgs a)
    {
        if (!Prepare(c, a, out var s, out var group, out _, out _)) return;
        var created = group!.CreateConsumer(a[4], Now());
        if (created is not null)
        {
            c.Server.Dirty++;
            c.Server.Notify(NotifyFlags.Stream, "xgroup-createconsumer", c.Db, a[2]);
            s!.Account();
        }
        c.Reply.Integer(created is null ? 0 : 1);
    }

    [Command("xgroup|delconsumer")]
    static void GroupDeleteConsumer(Client c, CommandArgs a)
    {
        if (!Prepare(c, a, out var s, out var group, out _, out _)) return;
        long pending = 0;
        var consumer = group!.FindConsumer(a[4]);
        if (consumer is not null)
        {
            pending = consumer.Pending.Count;
            group.DeleteConsumer(consumer);
            c.Server.Dirty++;
            c.Server.Notify(NotifyFlags.Stream, "xgroup-delconsumer", c.Db, a[2]);
            s!.Account();
        }
        c.Reply.Integer(pending);
    }

    // ---- XACK ----

    [Command("xack")]
    static void XAck(Client c, CommandArgs a)
    {
        var s = Read(c, a[1]);
        var group = s?.FindGroup(a[2]);
        if (group is null)
        {
            c.Reply.Integer(0);
            return;
        }
        // All or nothing: every ID is checked before any is acknowledged.
        var ids = a.Count - 3 <= 16 ? stackalloc StreamId[a.Count - 3] : new StreamId[a.Count - 3];
        for (int j = 3; j < a.Count; j++)
            if (!ParseId(c, a[j], 0, strict: true, out ids[j - 3])) return;
        long acknowledged = 0;
        foreach (var id in ids)
        {
            var nack = group.FindPending(id);
            if (nack is null) continue;
            group.RemovePending(nack);
            acknowledged++;
            c.Server.Dirty++;
        }
        if (acknowledged > 0) s!.Account();
        c.Reply.Integer(acknowledged);
    }

    // ---- XPENDING ----

    [Command("xpending")]
    static void XPending(Client c, CommandArgs a)
    {
        bool justInfo = a.Count == 3;
        if (a.Count != 3 && (a.Count < 6 || a.Count > 9))
        {
            c.Reply.Error("syntax error");
            return;
        }
        long count = 0, minIdle = 0;
        StreamId start = default, end = default;
        int consumerArg = -1;
        if (a.Count >= 6)
        {
            int startIdx = 3;
            if (a.Is(3, "idle"))
            {
                if (!LongArgument.Parse(c, a[4], out minIdle)) return;
                if (a.Count < 8)
                {
                    c.Reply.Error("syntax error");
                    return;
                }
                startIdx += 2;
            }
            if (!LongArgument.Parse(c, a[startIdx + 2], out count)) return;
            if (count < 0) count = 0;
            if (!ParseRange(c, a[startIdx], a[startIdx + 1], out start, out end)) return;
            if (startIdx + 3 < a.Count) consumerArg = startIdx + 3;
        }
        var s = Read(c, a[1]);
        var group = s?.FindGroup(a[2]);
        if (group is null)
        {
            c.Reply.Error($"-NOGROUP No such key '{a.GetCString(1)}' or consumer group '{a.GetCString(2)}'");
            return;
        }
        if (justInfo)
        {
            c.Reply.ArrayHeader(4);
            c.Reply.Integer(group.Pending.Count);
            if (group.Pending.Count == 0)
            {
                c.Reply.Null();
                c.Reply.Null();
                c.Reply.NullArray();
                return;
            }
            ReplyId(c.Reply, group.Pending.Min!.Id);
            ReplyId(c.Reply, group.Pending.Max!.Id);
            int withPending = 0;
            foreach (var consumer in group.Consumers.Values) if (consumer.Pending.Count > 0) withPending++;
            c.Reply.ArrayHeader(withPending);
            foreach (var consumer in group.Consumers.Values)
            {
                if (consumer.Pending.Count == 0) continue;
                c.Reply.ArrayHeader(2);
                c.Reply.Bulk(consumer.Name);
                c.Reply.Bulk(consumer.Pending.Count);
            }
            return;
        }
        StreamConsumer? owner = null;
        if (consumerArg >= 0)
        {
            owner = group.FindConsumer(a[consumerArg]);
            if (owner is null)
            {
                c.Reply.ArrayHeader(0);
                return;
            }
        }
        long now = Now();
        var found = new List<PendingEntry>();
        if (count > 0)
        {
            foreach (var nack in owner is null ? group.PendingBetween(start, end) : owner.PendingBetween(start, end))
            {
                if (minIdle != 0 && now - nack.DeliveryTime < minIdle) continue;
                found.Add(nack);
                if (found.Count == count) break;
            }
        }
        c.Reply.ArrayHeader(found.Count);
        foreach (var nack in found)
        {
            c.Reply.ArrayHeader(4);
            ReplyId(c.Reply, nack.Id);
            c.Reply.Bulk(nack.Consumer!.Name);
            c.Reply.Integer(Math.Max(0, now - nack.DeliveryTime));
            c.Reply.Integer(nack.DeliveryCount);
        }
    }

    // ---- XCLAIM / XAUTOCLAIM ----

    [Command("xclaim")]
    static void XClaim(Client c, CommandArgs a)
    {
        var s = Read(c, a[1]);
        var group = s?.FindGroup(a[2]);
        if (group is null)
        {
            c.Reply.Error($"-NOGROUP No such key '{a.GetCString(1)}' or consumer group '{a.GetCString(2)}'");
            return;
        }
        if (!LongArgument.Parse(c, a[4], out long minIdle, "Invalid min-idle-time argument for XCLAIM")) return;
        if (minIdle < 0) minIdle = 0;
        // The IDs run until the first argument that is not one; options follow.
        int j = 5;
        var ids = new List<StreamId>();
        for (; j < a.Count; j++)
        {
            if (!StreamId.TryParse(a[j], 0, strict: true, out var id, false, out _)) break;
            ids.Add(id);
        }
        long now = Now(), deliveryTime = -1, retryCount = -1;
        bool force = false, justId = false;
        StreamId lastId = default;
        for (; j < a.Count; j++)
        {
            bool more = j + 1 < a.Count;
            if (a.Is(j, "force")) force = true;
            else if (a.Is(j, "justid")) justId = true;
            else if (a.Is(j, "idle") && more)
            {
                if (!LongArgument.Parse(c, a[++j], out deliveryTime, "Invalid IDLE option argument for XCLAIM")) return;
                deliveryTime = now - deliveryTime;
            }
            else if (a.Is(j, "time") && more)
            {
                if (!LongArgument.Parse(c, a[++j], out deliveryTime, "Invalid TIME option argument for XCLAIM")) return;
            }
            else if (a.Is(j, "retrycount") && more)
            {
                if (!LongArgument.Parse(c, a[++j], out retryCount, "Invalid RETRYCOUNT option argument for XCLAIM")) return;
            }
            else if (a.Is(j, "lastid") && more)
            {
                if (!ParseId(c, a[++j], 0, strict: true, out lastId)) return;
            }
            else
            {
                c.Reply.Error($"Unrecognized XCLAIM option '{a.GetCString(j)}'");
                return;
            }
        }
        bool propagateLastId = false;
        if (lastId > group.LastId)
        {
            group.LastId = lastId;
            propagateLastId = true;
        }
        // A time in the future or before the epoch is taken as now rather than refused.
        if (deliveryTime < 0 || deliveryTime > now) deliveryTime = now;
        c.Server.PreventPropagation();

        StreamConsumer? consumer = null;
        var claimed = new List<StreamId>();
        for (int k = 0; k < ids.Count; k++)
        {
            var id = ids[k];
            var idText = a[5 + k];
            var nack = group.FindPending(id);
            if (!s!.Exists(id))
            {
                // The entry is gone: its pending entry goes too, and so does the replica's.
                if (nack is not null)
                {
                    PropagateClaim(c, a[1], a[2], group, idText, nack);
                    propagateLastId = false;
                    c.Server.Dirty++;
                    group.RemovePending(nack);
                }
                continue;
            }
            if (force && nack is null)
            {
                nack = new PendingEntry(id, now, 1);
                group.Pending.Add(nack);
            }
            if (nack is null) continue;
            // A pending entry FORCE just made has no owner, and no idle time to check.
            if (nack.Consumer is not null && minIdle != 0 && now - nack.DeliveryTime < minIdle) continue;
            consumer ??= LookupOrCreateConsumer(c, group, a[3], a[1], a[2], noack: false);
            nack.DeliveryTime = deliveryTime;
            if (retryCount >= 0) nack.DeliveryCount = retryCount;
            else if (!justId) nack.DeliveryCount++;
            StreamGroup.Assign(nack, consumer);
            claimed.Add(id);
            PropagateClaim(c, a[1], a[2], group, idText, nack);
            propagateLastId = false;
            c.Server.Dirty++;
        }
        if (propagateLastId)
        {
            PropagateGroupId(c, a[1], a[2], group);
            c.Server.Dirty++;
        }
        c.Reply.ArrayHeader(claimed.Count);
        foreach (var id in claimed)
        {
            if (justId) ReplyId(c.Reply, id);
            else ReplySingleEntry(c.Reply, s!, id);
        }
        s!.Account();
    }

    [Command("xautoclaim")]
    static void XAutoClaim(Client c, CommandArgs a)
    {
        if (!LongArgument.Parse(c, a[4], out long minIdle, "Invalid min-idle-time argument for XAUTOCLAIM")) return;
        if (minIdle < 0) minIdle = 0;
        if (!ParseInterval(c, a[5], 0, out var start, out bool exclusive)) return;
        if (exclusive && !start.TryIncrement(out start))
        {
            c.Reply.Error("invalid start ID for the interval");
            return;
        }
        long count = 100;
        bool justId = false;
        for (int j = 6; j < a.Count; j++)
        {
            if (a.Is(j, "count") && j + 1 < a.Count)
            {
                if (!LongArgument.ParseInRange(c, a[j + 1], 1, long.MaxValue / 16, out count, "COUNT must be > 0")) return;
                j++;
            }
            else if (a.Is(j, "justid")) justId = true;
            else
            {
                c.Reply.Error("syntax error");
                return;
            }
        }
        var s = Read(c, a[1]);
        var group = s?.FindGroup(a[2]);
        if (group is null)
        {
            c.Reply.Error($"-NOGROUP No such key '{a.GetCString(1)}' or consumer group '{a.GetCString(2)}'");
            return;
        }
        // Redis allocates the deleted-IDs array up front (16 bytes per COUNT) and fails on a huge one.
        if (count > (1L << 36))
        {
            c.Reply.Error("Insufficient memory, failed allocating transient memory, COUNT too high.");
            return;
        }
        c.Server.PreventPropagation();
        long attempts = count * 10;
        // The PEL entries the walk may reach, plus the one after (the next cursor).
        var walk = new List<PendingEntry>();
        foreach (var nack in group.PendingBetween(start, StreamId.Max))
        {
            walk.Add(nack);
            if (walk.Count > attempts) break;
        }
        long now = Now();
        StreamConsumer? consumer = null;
        var claimed = new List<StreamId>();
        var deleted = new List<StreamId>();
        int next = 0;
        for (; next < walk.Count; next++)
        {
            if (attempts-- == 0 || count == 0) break;
            var nack = walk[next];
            var id = nack.Id;
            if (!s!.Exists(id))
            {
                PropagateClaim(c, a[1], a[2], group, id, nack);
                c.Server.Dirty++;
                group.RemovePending(nack);
                deleted.Add(id);
                count--;
                continue;
            }
            if (minIdle != 0 && now - nack.DeliveryTime < minIdle) continue;
            consumer ??= LookupOrCreateConsumer(c, group, a[3], a[1], a[2], noack: false);
            nack.DeliveryTime = now;
            if (!justId) nack.DeliveryCount++;
            StreamGroup.Assign(nack, consumer);
            claimed.Add(id);
            count--;
            PropagateClaim(c, a[1], a[2], group, id, nack);
            c.Server.Dirty++;
        }
        c.Reply.ArrayHeader(3);
        ReplyId(c.Reply, next < walk.Count ? walk[next].Id : StreamId.Zero);
        c.Reply.ArrayHeader(claimed.Count);
        foreach (var id in claimed)
        {
            if (justId) ReplyId(c.Reply, id);
            else ReplySingleEntry(c.Reply, s!, id);
        }
        c.Reply.ArrayHeader(deleted.Count);
        foreach (var id in deleted) ReplyId(c.Reply, id);
        s!.Account();
    }

    // ---- XINFO ----

    static readonly string[] s_infoHelp =
    [
        "XINFO <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "CONSUMERS <key> <groupname>",
        "    Show consumers of <groupname>.",
        "GROUPS <key>",
        "    Show the stream consumer groups.",
        "STREAM <key> [FULL [COUNT <count>]",
        "    Show information about the stream.",
        "HELP",
        "    Prints this help.",
    ];

    [Command("xinfo|help")] static void InfoHelp(Client c, CommandArgs a) => HelpReply.Write(c, s_infoHelp);

    /// <summary>lookupKeyReadOrReply(nokeyerr) + checkType, for every XINFO subcommand but HELP.</summary>
    static StreamValue? InfoKey(Client c, CommandArgs a)
    {
        var s = Read(c, a[2]);
        if (s is null) c.Reply.Error("no such key");
        return s;
    }

    [Command("xinfo|consumers")]
    static void InfoConsumers(Client c, CommandArgs a)
    {
        var s = InfoKey(c, a);
        if (s is null) return;
        var group = s.FindGroup(a[3]);
        if (group is null)
        {
            c.Reply.Error($"-NOGROUP No such consumer group '{a.GetCString(3)}' for key name '{a.GetCString(2)}'");
            return;
        }
        c.Reply.ArrayHeader(group.Consumers.Count);
        long now = Now();
        foreach (var consumer in group.Consumers.Values)
        {
            c.Reply.MapHeader(3);
            c.Reply.Bulk("name"u8);
            c.Reply.Bulk(consumer.Name);
            c.Reply.Bulk("pending"u8);
            c.Reply.Integer(consumer.Pending.Count);
            c.Reply.Bulk("idle"u8);
            c.Reply.Integer(Math.Max(0, now - consumer.SeenTime));
        }
    }

    [Command("xinfo|groups")]
    static void InfoGroups(Client c, CommandArgs a)
    {
        var s = InfoKey(c, a);
        if (s is null) return;
        c.Reply.ArrayHeader(s.GroupCount);
        if (s.GroupCount == 0) return;
        foreach (var group in s.Groups.Values)
        {
            c.Reply.MapHeader(6);
            c.Reply.Bulk("name"u8);
            c.Reply.Bulk(group.Name);
            c.Reply.Bulk("consumers"u8);
            c.Reply.Integer(group.Consumers.Count);
            c.Reply.Bulk("pending"u8);
            c.Reply.Integer(group.Pending.Count);
            c.Reply.Bulk("last-delivered-id"u8);
            ReplyId(c.Reply, group.LastId);
            ReplyGroupCounters(c, s, group);
        }
    }

    /// <summary>entries-read (null while unknown) and lag (null while it cannot be computed), as XINFO GROUPS and STREAM FULL give them.</summary>
    static void ReplyGroupCounters(Client c, StreamValue s, StreamGroup group)
    {
        c.Reply.Bulk("entries-read"u8);
        if (group.EntriesRead != StreamGroup.InvalidEntriesRead) c.Reply.Integer(group.EntriesRead);
        else c.Reply.Null();
        c.Reply.Bulk("lag"u8);
        if (s.TryGetLag(group, out long lag)) c.Reply.Integer(lag);
        else c.Reply.Null();
    }

    [Command("xinfo|stream")]
    static void InfoStream(Client c, CommandArgs a)
    {
        var s = InfoKey(c, a);
        if (s is null) return;
        bool full = a.Count > 3;
        long count = 10;
        if (full)
        {
            if ((a.Count != 4 && a.Count != 6) || !a.Is(3, "full") || (a.Count == 6 && !a.Is(4, "count")))
            {
                HelpReply.SubcommandSyntaxError(c, a);
                return;
            }
            if (a.Count == 6)
            {
                if (!LongArgument.Parse(c, a[5], out count)) return;
                if (count < 0) count = 10;
            }
        }
        c.Reply.MapHeader(full ? 9 : 10);
        c.Reply.Bulk("length"u8);
        c.Reply.Integer(s.Length);
        c.Reply.Bulk("radix-tree-keys"u8);
        c.Reply.Integer(s.NodeCount);
        c.Reply.Bulk("radix-tree-nodes"u8);
        c.Reply.Integer(s.RadixTreeNodes());
        c.Reply.Bulk("last-generated-id"u8);
        ReplyId(c.Reply, s.LastId);
        c.Reply.Bulk("max-deleted-entry-id"u8);
        ReplyId(c.Reply, s.MaxDeletedId);
        c.Reply.Bulk("entries-added"u8);
        c.Reply.Integer(s.EntriesAdded);
        c.Reply.Bulk("recorded-first-entry-id"u8);
        ReplyId(c.Reply, s.FirstId);
        if (!full)
        {
            c.Reply.Bulk("groups"u8);
            c.Reply.Integer(s.GroupCount);
            c.Reply.Bulk("first-entry"u8);
            if (!ReplyEdge(c.Reply, s, reverse: false)) c.Reply.Null();
            c.Reply.Bulk("last-entry"u8);
            if (!ReplyEdge(c.Reply, s, reverse: true)) c.Reply.Null();
            return;
        }
        c.Reply.Bulk("entries"u8);
        ReplyRange(c.Reply, s, StreamId.Zero, StreamId.Max, count, reverse: false);
        c.Reply.Bulk("groups"u8);
        c.Reply.ArrayHeader(s.GroupCount);
        if (s.GroupCount == 0) return;
        foreach (var group in s.Groups.Values)
        {
            c.Reply.MapHeader(7);
            c.Reply.Bulk("name"u8);
            c.Reply.Bulk(group.Name);
            c.Reply.Bulk("last-delivered-id"u8);
            ReplyId(c.Reply, group.LastId);
            ReplyGroupCounters(c, s, group);
            c.Reply.Bulk("pel-count"u8);
            c.Reply.Integer(group.Pending.Count);
            c.Reply.Bulk("pending"u8);
            c.Reply.ArrayHeader(count == 0 ? group.Pending.Count : Math.Min(count, group.Pending.Count));
            long n = 0;
            foreach (var nack in group.Pending)
            {
                if (count != 0 && n++ >= count) break;
                c.Reply.ArrayHeader(4);
                ReplyId(c.Reply, nack.Id);
                c.Reply.Bulk(nack.Consumer?.Name ?? []);
                c.Reply.Integer(nack.DeliveryTime);
                c.Reply.Integer(nack.DeliveryCount);
            }
            c.Reply.Bulk("consumers"u8);
            c.Reply.ArrayHeader(group.Consumers.Count);
            foreach (var consumer in group.Consumers.Values)
            {
                c.Reply.MapHeader(4);
                c.Reply.Bulk("name"u8);
                c.Reply.Bulk(consumer.Name);
                c.Reply.Bulk("seen-time"u8);
                c.Reply.Integer(consumer.SeenTime);
                c.Reply.Bulk("pel-count"u8);
                c.Reply.Integer(consumer.Pending.Count);
                c.Reply.Bulk("pending"u8);
                c.Reply.ArrayHeader(count == 0 ? consumer.Pending.Count : Math.Min(count, consumer.Pending.Count));
                long m = 0;
                foreach (var nack in consumer.Pending)
                {
                    if (count != 0 && m++ >= count) break;
                    c.Reply.ArrayHeader(3);
                    ReplyId(c.Reply, nack.Id);
                    c.Reply.Integer(nack.DeliveryTime);
                    c.Reply.Integer(nack.DeliveryCount);
                }
            }
        }
    }

    /// <summary>The first or last live entry, as a bare entry (no array around it); false when the stream has none.</summary>
    static bool ReplyEdge(ReplyWriter r, StreamValue s, bool reverse)
    {
        var it = s.Range(StreamId.Zero, StreamId.Max, reverse);
        if (!it.Next()) return false;
        ReplyEntry(r, ref it);
        return true;
    }
}
