using System.Text;
using Vermilion.Protocol;
using Vermilion.Server;
using Vermilion.Storage;

namespace Vermilion.Commands;

/// <summary>
/// MEMORY USAGE / STATS / DOCTOR / MALLOC-STATS / PURGE / HELP (object.c memoryCommand). Sizes
/// are what the managed heap holds for a key here, not Redis's: every value keeps its
/// <see cref="StoredObject.MemoryBytes"/> exact as it changes (arrays and objects as the 64-bit
/// runtime lays them out), so MEMORY USAGE needs no sampling and never walks a collection;
/// SAMPLES is read and checked as Redis does, and the answer is the exact figure.
/// </summary>
public static partial class MemoryCommands
{
    static readonly string[] s_help =
    [
        "MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "DOCTOR",
        "    Return memory problems reports.",
        "MALLOC-STATS",
        "    Return internal statistics report from the memory allocator.",
        "PURGE",
        "    Attempt to purge dirty pages for reclamation by the allocator.",
        "STATS",
        "    Return information about the memory usage of the server.",
        "USAGE <key> [SAMPLES <count>]",
        "    Return memory in bytes used by <key> and its value. Nested values are",
        "    sampled up to <count> times (default: 5, 0 means sample all).",
        "HELP",
        "    Prints this help.",
    ];

    [Command("memory|help")] static void Help(Client c, CommandArgs a) => HelpReply.Write(c, s_help);

    /// <summary>
    /// What a key costs in the keyspace beyond its item: its 16-byte entry in the arena, its slot
    /// in the bucket table (4 bytes at a load factor of one), and an 8-byte deadline slot when it
    /// has a deadline. The item (a packed key+value array, or a value object with its key array)
    /// is <see cref="Keyspace.SizeOf"/>. Redis counts the key's sds and dictEntry the same way.
    /// </summary>
    public const long EntryBytes = 16 + 4, DeadlineBytes = 8;

    [Command("memory|usage")]
    static void Usage(Client c, CommandArgs a)
    {
        for (int j = 3; j < a.Count; j++)
        {
            if (a.Is(j, "samples") && j + 1 < a.Count)
            {
                if (!LongArgument.Parse(c, a[j + 1], out long samples)) return;
                if (samples < 0)
                {
                    c.Reply.Error("syntax error");
                    return;
                }
                j++;
            }
            else
            {
                c.Reply.Error("syntax error");
                return;
            }
        }
        // objectCommandLookup: expires lazily, does not count as an access.
        int entry = c.Db.Lookup(a[2], touch: false);
        if (entry < 0)
        {
            c.Reply.Null();
            return;
        }
        c.Reply.Integer(KeyBytes(c.Db.Keys, entry));
    }

    /// <summary>MEMORY USAGE's figure for a live entry.</summary>
    public static long KeyBytes(Keyspace keys, int entry) =>
        EntryBytes + keys.ValueBytes(entry) + (keys.Deadline(entry) != 0 ? DeadlineBytes : 0);

    /// <summary>
    /// MEMORY STATS: Redis 7.0's fields in its order (getMemoryOverheadData). The allocator
    /// figures are the GC's: allocated is the managed heap in use, active what it has committed,
    /// resident the same (the GC commits what it touches); fragmentation compares RSS with
    /// used_memory as INFO does.
    /// </summary>
    [Command("memory|stats")]
    static void Stats(Client c, CommandArgs a)
    {
        var s = c.Server;
        long clients = s.ClientsMemory();
        long total = s.UsedMemory() + clients;
        s.Stats.UsedMemoryPeak = Math.Max(s.Stats.UsedMemoryPeak, total);
        long peak = s.Stats.UsedMemoryPeak;
        long startup = StartupBytes(s);
        long overhead = startup + clients;
        long keys = 0;
        int nonEmpty = 0;
        foreach (var db in s.Databases)
        {
            keys += db.Count;
            if (db.Count > 0)
            {
                nonEmpty++;
                overhead += db.Keys.StructureBytes;
            }
        }
        long net = total - startup;
        long dataset = total - overhead;
        var gc = GC.GetGCMemoryInfo();
        // Two allocators: the GC's heap, and the pages of string records (Storage/RecordHeap).
        var (records, recordPages) = RecordMemory(c.Server);
        long allocated = GC.GetTotalMemory(forceFullCollection: false) + records;
        long active = Math.Max(gc.TotalCommittedBytes + recordPages, allocated);
        long resident = active;
        long rss = Info.ResidentSetBytes();

        var r = c.Reply;
        r.MapHeader(27 + nonEmpty);
        Field(r, "peak.allocated", peak);
        Field(r, "total.allocated", total);
        Field(r, "startup.allocated", startup);
        Field(r, "replication.backlog", 0);
        Field(r, "clients.slaves", 0);
        Field(r, "clients.normal", clients);
        Field(r, "cluster.links", 0);
        Field(r, "aof.buffer", 0);
        Field(r, "lua.caches", 0);
        Field(r, "functions.caches", 0);
        foreach (var db in s.Databases)
        {
            if (db.Count == 0) continue;
            r.Bulk($"db.{db.Id}");
            r.MapHeader(3);
            long deadlines = db.Keys.DeadlineBytes;
            long slotLinks = db.Keys.Slots?.Bytes ?? 0;
            Field(r, "overhead.hashtable.main", db.Keys.StructureBytes - deadlines - slotLinks);
            Field(r, "overhead.hashtable.expires", deadlines);
            Field(r, "overhead.hashtable.slot-to-keys", slotLinks);
        }
        Field(r, "overhead.total", overhead);
        Field(r, "keys.count", keys);
        Field(r, "keys.bytes-per-key", keys == 0 ? 0 : net / keys);
        Field(r, "dataset.bytes", dataset);
        Ratio(r, "dataset.percentage", net <= 0 ? 0 : dataset * 100.0 / net);
        Ratio(r, "peak.percentage", peak == 0 ? 0 : total * 100.0 / peak);
        Field(r, "allocator.allocated", allocated);
        Field(r, "allocator.active", active);
        Field(r, "allocator.resident", resident);
        Ratio(r, "allocator-fragmentation.ratio", allocated == 0 ? 0 : (double)active / allocated);
        Field(r, "allocator-fragmentation.bytes", active - allocated);
        Ratio(r, "allocator-rss.ratio", active == 0 ? 0 : (double)resident / active);
        Field(r, "allocator-rss.bytes", resident - active);
        Ratio(r, "rss-overhead.ratio", resident == 0 ? 0 : (double)rss / resident);
        Field(r, "rss-overhead.bytes", rss - resident);
        Ratio(r, "fragmentation", total == 0 ? 0 : (double)rss / total);
        Field(r, "fragmentation.bytes", rss - total);
    }

    /// <summary>What an empty server holds in our accounting: each database's empty keyspace.</summary>
    static long StartupBytes(VermilionServer s) => s.Databases.Length * s_emptyKeyspaceBytes;

    static readonly long s_emptyKeyspaceBytes = EmptyKeyspaceBytes();

    static long EmptyKeyspaceBytes()
    {
        var keys = new Keyspace();
        long bytes = keys.StructureBytes;
        keys.Release(); // its first page goes back at once
        return bytes;
    }

    static void Field(ReplyWriter r, string name, long value)
    {
        r.Bulk(name);
        r.Integer(value);
    }

    /// <summary>Redis keeps these ratios in floats and replies them as doubles: the same rounding.</summary>
    static void Ratio(ReplyWriter r, string name, double value)
    {
        r.Bulk(name);
        r.Double((float)value);
    }

    /// <summary>
    /// MEMORY DOCTOR (getMemoryDoctorReport): Redis's verdicts for an almost empty instance and a
    /// healthy one; otherwise the checks that mean something here (a past peak, RSS far above
    /// used memory, clients holding big buffers), worded for the .NET GC.
    /// </summary>
    [Command("memory|doctor")]
    static void Doctor(Client c, CommandArgs a)
    {
        var s = c.Server;
        long clients = s.ClientsMemory();
        long total = s.UsedMemory() + clients;
        long peak = Math.Max(s.Stats.UsedMemoryPeak, total);
        long rss = Info.ResidentSetBytes();
        string report;
        if (total < 5 << 20)
            report = "Hi Sam, this instance is empty or is using very little memory, my issues detector can't be used in these conditions. Please, leave for your mission on Earth and fill it with some data. The new Sam and I will be back to our programming as soon as I finished rebooting.\n";
        else
        {
            var issues = new StringBuilder();
            if ((double)peak / total > 1.5)
                issues.Append(" * Peak memory: In the past this instance used more than 150% the memory that is currently using. The garbage collector keeps part of the heap it grew to for a while, so RSS can stay above what is used now; this is harmless, and the memory is reused as the instance fills again. To give it back to the operating system now, try the MEMORY PURGE command (a compacting collection).\n\n");
            if ((double)rss / total > 1.4 && rss - total > 10 << 20)
                issues.Append(" * High total RSS: The Resident Set Size of this process is more than 1.4 times the memory used by the data and clients. Part of it is the .NET runtime itself and the garbage collector's free space, usually after a large peak (see above). MEMORY PURGE compacts the heap and returns free space to the operating system.\n\n");
            if (s.ClientCount > 0 && clients / s.ClientCount > 200 << 10)
                issues.Append(" * Big client buffers: The clients output buffers in this instance are greater than 200K per client (on average). This may result from Pub/Sub clients not reading fast enough, commands with large replies, or very long pipelines. Please use the CLIENT LIST command to find the clients holding memory.\n\n");
            report = issues.Length == 0
                ? "Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base.\n"
                : "Sam, I detected a few issues in this Redis instance memory implants:\n\n" + issues + "I'm here to keep you safe, Sam. I want to help you.\n";
        }
        c.Reply.Verbatim(report);
    }

    /// <summary>Bytes string records hold in their slots, and bytes their pages map, over every database.</summary>
    static (long Allocated, long Mapped) RecordMemory(VermilionServer s)
    {
        long allocated = 0, mapped = 0;
        foreach (var db in s.Databases)
        {
            allocated += db.Keys.RecordBytes;
            mapped += db.Keys.RecordMappedBytes;
        }
        return (allocated, mapped);
    }

    /// <summary>MEMORY MALLOC-STATS: the allocators here are the .NET GC and the record pages; their figures, one per line.</summary>
    [Command("memory|malloc-stats")]
    static void MallocStats(Client c, CommandArgs a)
    {
        var gc = GC.GetGCMemoryInfo();
        var (records, recordPages) = RecordMemory(c.Server);
        var sb = new StringBuilder("___ Begin .NET GC statistics ___\n")
            .Append("heap.size: ").Append(gc.HeapSizeBytes).Append('\n')
            .Append("heap.committed: ").Append(gc.TotalCommittedBytes).Append('\n')
            .Append("heap.fragmented: ").Append(gc.FragmentedBytes).Append('\n')
            .Append("heap.promoted: ").Append(gc.PromotedBytes).Append('\n')
            .Append("total.allocated: ").Append(GC.GetTotalAllocatedBytes()).Append('\n')
            .Append("memory.load: ").Append(gc.MemoryLoadBytes).Append('\n')
            .Append("memory.available: ").Append(gc.TotalAvailableMemoryBytes).Append('\n')
            .Append("collections.gen0: ").Append(GC.CollectionCount(0)).Append('\n')
            .Append("collections.gen1: ").Append(GC.CollectionCount(1)).Append('\n')
            .Append("collections.gen2: ").Append(GC.CollectionCount(2)).Append('\n')
            .Append("pause.total_ms: ").Append((long)GC.GetTotalPauseDuration().TotalMilliseconds).Append('\n')
            .Append("pause.time_percentage: ").Append(Info.TwoDecimals(gc.PauseTimePercentage)).Append('\n');
        for (int g = 0; g < gc.GenerationInfo.Length; g++)
            sb.Append("gen").Append(g).Append(".size_after: ").Append(gc.GenerationInfo[g].SizeAfterBytes).Append('\n');
        sb.Append("--- End .NET GC statistics ---\n")
          .Append("___ Begin string record pages ___\n")
          .Append("records.allocated: ").Append(records).Append('\n')
          .Append("records.mapped: ").Append(recordPages).Append('\n')
          .Append("--- End string record pages ---\n");
        c.Reply.Verbatim(sb.ToString());
    }

    /// <summary>
    /// MEMORY PURGE (jemalloc's purge of dirty pages): a blocking, compacting full collection
    /// that also compacts the large object heap, after which the GC decommits the free space.
    /// It pauses the server for as long as the collection takes, as the operator asked.
    /// </summary>
    [Command("memory|purge")]
    static void Purge(Client c, CommandArgs a)
    {
        c.Server.CompactHeap();
        c.Reply.Ok();
    }
}
