using System.Globalization;
using System.Text;
using Vermilion.Protocol;
using Vermilion.Server;

namespace Vermilion.Commands;

/// <summary>
/// LATENCY DOCTOR/GRAPH/HISTORY/LATEST/RESET/HISTOGRAM/HELP (latency.c latencyCommand) over the
/// server's <see cref="LatencyMonitor"/> events and the commands' <see cref="LatencyHistogram"/>s.
/// DOCTOR and GRAPH are text for people: the shape of Redis's, in our words.
/// </summary>
public static partial class LatencyCommands
{
    static readonly string[] s_help =
    [
        "LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "DOCTOR",
        "    Return a human readable latency analysis report.",
        "GRAPH <event>",
        "    Return an ASCII latency graph for the <event> class.",
        "HISTORY <event>",
        "    Return time-latency samples for the <event> class.",
        "LATEST",
        "    Return the latest latency samples for all events.",
        "RESET [<event> ...]",
        "    Reset latency data of one or more <event> classes.",
        "    (default: reset all data for all event classes)",
        "HISTOGRAM [COMMAND ...]",
        "    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
        "    If no commands are specified then all histograms are replied.",
        "HELP",
        "    Prints this help.",
    ];

    [Command("latency|help")] static void Help(Client c, CommandArgs a) => HelpReply.Write(c, s_help);

    /// <summary>An event name as Redis reads it, a C string: up to a NUL byte, bytes as they are.</summary>
    static string EventName(ReadOnlySpan<byte> arg)
    {
        int nul = arg.IndexOf((byte)0);
        return Encoding.Latin1.GetString(nul < 0 ? arg : arg[..nul]);
    }

    /// <summary>HISTORY event: [unix time, milliseconds] pairs, oldest first; an empty array for an unknown event.</summary>
    [Command("latency|history")]
    static void History(Client c, CommandArgs a)
    {
        var ts = c.Server.LatencyEvents.Find(EventName(a[2]));
        if (ts is null)
        {
            c.Reply.ArrayHeader(0);
            return;
        }
        var samples = ts.Chronological().ToList();
        c.Reply.ArrayHeader(samples.Count);
        foreach (var (time, latency) in samples)
        {
            c.Reply.ArrayHeader(2);
            c.Reply.Integer(time);
            c.Reply.Integer(latency);
        }
    }

    /// <summary>LATEST: per event, its name, the time and milliseconds of its latest sample, and its all-time high.</summary>
    [Command("latency|latest")]
    static void Latest(Client c, CommandArgs a)
    {
        var events = c.Server.LatencyEvents.Events;
        c.Reply.ArrayHeader(events.Count);
        foreach (var ts in events)
        {
            var (time, latency) = ts.Latest;
            c.Reply.ArrayHeader(4);
            c.Reply.Bulk(ts.Name);
            c.Reply.Integer(time);
            c.Reply.Integer(latency);
            c.Reply.Integer(ts.Max);
        }
    }

    /// <summary>RESET [event ...]: how many events were forgotten.</summary>
    [Command("latency|reset")]
    static void Reset(Client c, CommandArgs a)
    {
        var monitor = c.Server.LatencyEvents;
        if (a.Count == 2)
        {
            c.Reply.Integer(monitor.Reset(null));
            return;
        }
        int resets = 0;
        for (int i = 2; i < a.Count; i++) resets += monitor.Reset(EventName(a[i]));
        c.Reply.Integer(resets);
    }

    /// <summary>
    /// HISTOGRAM [command ...]: a map of command name to {calls, histogram_usec}; a container named
    /// brings its subcommands, unknown names and commands never timed are left out.
    /// </summary>
    [Command("latency|histogram")]
    static void Histogram(Client c, CommandArgs a)
    {
        var table = c.Server.Commands;
        var chosen = new List<CommandDef>();
        void AddWithSubcommands(CommandDef cmd)
        {
            if (cmd.Latency is not null) chosen.Add(cmd);
            if (cmd.Subcommands is not null)
                foreach (var sub in cmd.Subcommands.Values) if (sub.Latency is not null) chosen.Add(sub);
        }
        if (a.Count == 2)
        {
            foreach (var cmd in table.All) AddWithSubcommands(cmd);
        }
        else
        {
            for (int i = 2; i < a.Count; i++)
                if (LookupByFullName(table, a[i]) is { } cmd) AddWithSubcommands(cmd);
        }
        c.Reply.MapHeader(chosen.Count);
        Span<(long Micros, long Count)> buckets = stackalloc (long, long)[LatencyHistogram.MaxBuckets];
        foreach (var cmd in chosen)
        {
            var h = cmd.Latency!;
            c.Reply.Bulk(cmd.FullName);
            c.Reply.MapHeader(2);
            c.Reply.Bulk("calls"u8);
            c.Reply.Integer(h.TotalCount);
            c.Reply.Bulk("histogram_usec"u8);
            int n = h.CumulativeBuckets(buckets);
            c.Reply.MapHeader(n);
            for (int i = 0; i < n; i++)
            {
                c.Reply.Integer(buckets[i].Micros);
                c.Reply.Integer(buckets[i].Count);
            }
        }
    }

    /// <summary>lookupCommandBySds: "get", or "client|id" for a subcommand.</summary>
    static CommandDef? LookupByFullName(CommandTable table, ReadOnlySpan<byte> name)
    {
        int bar = name.IndexOf((byte)'|');
        if (bar < 0) return table.Lookup(name);
        if (table.Lookup(name[..bar]) is not { Subcommands: not null } parent) return null;
        return CommandTable.LookupSub(parent, name[(bar + 1)..]);
    }

    /// <summary>GRAPH event: the event's samples as a bar chart, oldest on the left, each labelled with how long ago it was.</summary>
    [Command("latency|graph")]
    static void Graph(Client c, CommandArgs a)
    {
        string name = EventName(a[2]);
        var ts = c.Server.LatencyEvents.Find(name);
        if (ts is null)
        {
            c.Reply.Error($"No samples available for event '{name}'");
            return;
        }
        c.Reply.Verbatim(GraphText(ts, DateTimeOffset.UtcNow.ToUnixTimeSeconds()));
    }

    const int GraphColumns = 80, GraphRows = 4;

    /// <summary>
    /// latencyCommandGenSparkeline's shape: a title with high, low and all-time high, a rule of 80
    /// dashes, a chart <see cref="GraphRows"/> rows high (one column per sample, '#' up to the
    /// sample's share of the highest, '|' as its top), then each column's age read downwards.
    /// </summary>
    internal static string GraphText(LatencyMonitor.TimeSeries ts, long now)
    {
        var samples = ts.Chronological().ToList();
        if (samples.Count > GraphColumns) samples = samples[^GraphColumns..];
        long max = samples.Count == 0 ? 0 : samples.Max(s => s.Latency);
        long min = samples.Count == 0 ? 0 : samples.Min(s => s.Latency);
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"{ts.Name} - high {max} ms, low {min} ms (all time high {ts.Max} ms)\n");
        sb.Append('-', GraphColumns).Append('\n');
        var heights = samples.Select(s => max == min ? GraphRows : 1 + (int)((s.Latency - min) * (GraphRows - 1) / (max - min))).ToList();
        for (int row = GraphRows; row >= 1; row--)
        {
            foreach (int h in heights) sb.Append(h > row ? '#' : h == row ? '|' : ' ');
            sb.Append('\n');
        }
        var labels = samples.Select(s => Age(now - s.Time)).ToList();
        int labelRows = labels.Count == 0 ? 0 : labels.Max(l => l.Length);
        for (int row = 0; row < labelRows; row++)
        {
            foreach (var l in labels) sb.Append(row < l.Length ? l[row] : ' ');
            sb.Append('\n');
        }
        return sb.ToString();
    }

    /// <summary>A sample's age as the graph labels it: seconds, minutes, hours or days ("12s", "3m").</summary>
    static string Age(long seconds) => seconds switch
    {
        < 60 => $"{seconds}s",
        < 3600 => $"{seconds / 60}m",
        < 86400 => $"{seconds / 3600}h",
        _ => $"{seconds / 86400}d",
    };

    /// <summary>DOCTOR: createLatencyReport's shape: one line of statistics per event, then advice for the events seen.</summary>
    [Command("latency|doctor")]
    static void Doctor(Client c, CommandArgs a) => c.Reply.Verbatim(Report(c.Server, DateTimeOffset.UtcNow.ToUnixTimeSeconds()));

    internal static string Report(VermilionServer server, long now)
    {
        var events = server.LatencyEvents.Events;
        var config = server.Config;
        if (events.Count == 0 && config.LatencyMonitorThreshold == 0)
            return "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in order to enable it. If we weren't in a deep space mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.\n";
        if (events.Count == 0)
            return "Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest bit. I honestly think you ought to sit down calmly, take a stress pill, and think things over.\n";

        var sb = new StringBuilder("Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you Dave?\n\n");
        var advice = new List<string>();
        int number = 0;
        foreach (var ts in events)
        {
            var samples = ts.Chronological().ToList();
            long avg = samples.Count == 0 ? 0 : samples.Sum(s => s.Latency) / samples.Count;
            long mad = samples.Count == 0 ? 0 : samples.Sum(s => Math.Abs(avg - s.Latency)) / samples.Count;
            long period = samples.Count == 0 ? 0 : Math.Max(1, now - samples.Min(s => s.Time));
            double perSample = samples.Count == 0 ? 0 : (double)period / samples.Count;
            sb.Append(CultureInfo.InvariantCulture,
                $"{++number}. {ts.Name}: {samples.Count} latency spikes (average {avg}ms, mean deviation {mad}ms, period {perSample:0.00} sec). Worst all time event {ts.Max}ms.\n");
            switch (ts.Name)
            {
                case "command":
                    if (config.SlowlogLogSlowerThan < 0)
                        advice.Add($"- Slow commands are causing these spikes, and the slow log is off: 'CONFIG SET slowlog-log-slower-than {config.LatencyMonitorThreshold * 1000}' lets it record them.");
                    else if (config.SlowlogLogSlowerThan / 1000 > config.LatencyMonitorThreshold)
                        advice.Add($"- The slow log only records commands slower than the latency threshold; 'CONFIG SET slowlog-log-slower-than {config.LatencyMonitorThreshold * 1000}' aligns the two.");
                    advice.Add("- SLOWLOG GET shows which commands were slow; commands over large values (big collections, KEYS, whole-collection reads) are the usual cause.");
                    break;
                case "fast-command":
                    advice.Add("- Commands that are normally O(1) or O(log N) were slow: the process did not get the CPU for a while. Check the machine's load, CPU steal on a virtual machine, and swapping.");
                    break;
                case "command-unblocking":
                    advice.Add("- Serving clients blocked on keys took long: many clients blocked on the same keys, or large replies to them.");
                    break;
                case "expire-cycle" or "expire-del":
                    advice.Add("- Expiring keys took long: a higher 'hz' makes the expire cycle more incremental; deleting large values is blocking work.");
                    break;
                case "eviction-cycle" or "eviction-del" or "eviction-lazyfree":
                    advice.Add("- Evicting keys took long: sudden drops of 'maxmemory' or very large values force long eviction cycles.");
                    break;
                case "gc-pause":
                    advice.Add("- The .NET garbage collector stopped the server (INFO memory's gc_* fields count and time its pauses): young-generation pauses grow with what survives them (bursts of writes), blocking full ones with the whole heap. Keep background GC on (vermilion-server's default), and run MEMORY PURGE on a large dataset only when a pause is acceptable.");
                    break;
            }
        }
        if (advice.Count == 0)
            sb.Append("\nWhile there are latency events logged, I'm not able to suggest any easy fix. Please use the Redis community to get some help, providing this report in your help request.\n");
        else
        {
            sb.Append("\nI have a few advices for you:\n\n");
            foreach (var line in advice.Distinct()) sb.Append(line).Append('\n');
        }
        return sb.ToString();
    }
}
