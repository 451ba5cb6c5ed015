using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using Vermilion.Persistence;
using Vermilion.Protocol;
using Vermilion.Server;
using Vermilion.Storage;

namespace Vermilion.Commands;

/// <summary>
/// DEBUG (debug.c debugCommand), the subcommands the test suite and operators use. The
/// dispatcher lets it run only as enable-debug-command allows. What would crash or stop the
/// process in Redis (SEGFAULT, PANIC, ASSERT, OOM, RESTART) is refused with an error: a .NET
/// server has no core dump or crash report to show for it. RELOAD and LOADAOF are the
/// persistence's (Server/Saving.cs, Server/AppendOnly.cs).
/// </summary>
public static partial class DebugCommands
{
    static readonly string[] s_help =
    [
        "DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "CHANGE-REPL-ID",
        "    Change the replication IDs of the instance.",
        "DIGEST",
        "    Output a hex signature representing the current DB content.",
        "DIGEST-VALUE <key> [<key> ...]",
        "    Output a hex signature of the values of all the specified keys.",
        "ERROR <string>",
        "    Return a Redis protocol error with <string> as message.",
        "LOG <message>",
        "    Write <message> to the server log.",
        "HTSTATS <dbid>",
        "    Return hash table statistics of the specified database.",
        "HTSTATS-KEY <key>",
        "    Like HTSTATS but for the hash table stored at <key>'s value.",
        "OBJECT <key>",
        "    Show low level info about `key` and associated value.",
        "POPULATE <count> [<prefix>] [<size>]",
        "    Create <count> string keys named key:<num>. If <prefix> is specified then",
        "    it is used instead of the 'key' prefix.",
        "PROTOCOL <type>",
        "    Reply with a test value of the specified type. <type> can be: string,",
        "    integer, double, bignum, null, array, set, map, attrib, push, verbatim,",
        "    true, false.",
        "RELOAD [option ...]",
        "    Save the RDB on disk and reload it back to memory. Valid <option> values:",
        "    * MERGE: conflicting keys will be loaded from RDB.",
        "    * NOFLUSH: the existing database will not be removed before load, but",
        "      conflicting keys will generate an exception and kill the server.",
        "    * NOSAVE: the database will be loaded from an existing RDB file.",
        "    Examples:",
        "    * DEBUG RELOAD: verify that the server is able to persist, flush and reload",
        "      the database.",
        "    * DEBUG RELOAD NOSAVE: replace the current database with the contents of an",
        "      existing RDB file.",
        "    * DEBUG RELOAD NOSAVE NOFLUSH MERGE: add the contents of an existing RDB",
        "      file to the database.",
        "SET-ACTIVE-EXPIRE <0|1>",
        "    Setting it to 0 disables expiring keys in background when they are not",
        "    accessed. Setting it to 1 reenables back the default.",
        "QUICKLIST-PACKED-THRESHOLD <size>",
        "    Sets the threshold for elements to be inserted as plain vs packed nodes.",
        "SLEEP <seconds>",
        "    Stop the server for <seconds>. Decimals allowed.",
        "LISTPACK <key>",
        "    Show low level info about the listpack encoding of <key>.",
        "QUICKLIST <key> [<0|1>]",
        "    Show low level info about the quicklist encoding of <key>.",
        "PAUSE-CRON <0|1>",
        "    Stop periodic cron job processing.",
        "STRINGMATCH-LEN",
        "    Run a fuzz tester against the glob pattern matcher.",
        "HELP",
        "    Prints this help.",
    ];

    [Command("debug")]
    static void Debug(Client c, CommandArgs a)
    {
        int n = a.Count;
        if (n == 2 && a.Is(1, "help")) HelpReply.Write(c, s_help);
        else if (a.Is(1, "segfault") || a.Is(1, "panic") || a.Is(1, "assert") || a.Is(1, "oom")
                 || a.Is(1, "restart") || a.Is(1, "crash-and-recover") || a.Is(1, "leak"))
            c.Reply.Error($"DEBUG {a.GetString(1).ToUpperInvariant()} is not supported: Vermilion does not crash, leak or restart on request");
        else if (a.Is(1, "reload")) Reload(c, a);
        else if (a.Is(1, "loadaof"))
        {
            if (c.Server.DebugLoadAof() is { } error) c.Reply.Error(error);
            else c.Reply.Ok();
        }
        else if (a.Is(1, "log") && n == 3)
        {
            c.Server.Log.Warning("DEBUG LOG: " + Encoding.Latin1.GetString(a[2]));
            c.Reply.Ok();
        }
        else if (a.Is(1, "error") && n == 3) Error(c, a[2]);
        else if (a.Is(1, "object") && n == 3) Object(c, a[2]);
        else if (a.Is(1, "listpack") && n == 3) DescribeEncoding(c, a[2], "listpack", "Listpack");
        else if (a.Is(1, "quicklist") && n is 3 or 4) DescribeEncoding(c, a[2], "quicklist", "Quicklist");
        else if (a.Is(1, "populate") && n is >= 3 and <= 5) Populate(c, a);
        else if (a.Is(1, "digest") && n == 2) c.Reply.Simple(Convert.ToHexStringLower(DatasetDigest.OfDataset(c.Server)));
        else if (a.Is(1, "digest-value")) DigestValues(c, a);
        else if (a.Is(1, "protocol") && n == 3) Protocol(c, a[2]);
        else if (a.Is(1, "sleep") && n == 3)
        {
            // strtod: what reads as a number from the start, 0 otherwise; the whole server sleeps, as Redis's does.
            DoubleText.Strtod(a[2], out double seconds, out _);
            long us = double.IsFinite(seconds) && seconds > 0 ? (long)Math.Min(seconds * 1_000_000, int.MaxValue * 1000.0) : 0;
            if (us > 0) Thread.Sleep(TimeSpan.FromMicroseconds(us));
            c.Reply.Ok();
        }
        else if (a.Is(1, "set-active-expire") && n == 3)
        {
            c.Server.ActiveExpireEnabled = IntegerText.Atoi(a[2]) != 0;
            c.Reply.Ok();
        }
        else if (a.Is(1, "pause-cron") && n == 3)
        {
            c.Server.CronPaused = IntegerText.Atoi(a[2]) != 0;
            c.Reply.Ok();
        }
        else if (a.Is(1, "quicklist-packed-threshold") && n == 3)
        {
            // quicklistisSetPackedThreshold: 0 restores the default; at most 4 GB less 1 MB.
            if (!IntegerOption.TryParseMemory(a.GetString(2), out long size) || size < 0 || size > (1L << 32) - (1 << 20))
            {
                c.Reply.Error("argument must be a memory value bigger than 1 and smaller than 4gb");
                return;
            }
            c.Server.QuicklistPackedThreshold = size == 0 ? 1L << 30 : size;
            c.Reply.Ok();
        }
        else if (a.Is(1, "change-repl-id") && n == 2)
        {
            c.Server.Log.Warning("Changing replication IDs after receiving DEBUG change-repl-id");
            c.Server.Primary.ChangeReplicationId();
            c.Reply.Ok();
        }
        else if (a.Is(1, "replicate") && n >= 3)
        {
            // A command sent to the replicas only, not run here (tests make primary and replicas differ with it).
            c.Server.Primary.FeedCommand(a, from: 2);
            c.Reply.Ok();
        }
        else if (a.Is(1, "stringmatch-len") && n == 2) StringMatchFuzz(c);
        else if (a.Is(1, "htstats") && n == 3) HashTableStats(c, a[2]);
        else if (a.Is(1, "htstats-key") && n == 3) KeyHashTableStats(c, a[2]);
        else if (a.Is(1, "aof-flush-sleep") && n == 3)
        {
            // server.aof_flush_sleep: microseconds each AOF write waits first (tests slow the disk with it).
            c.Server.Aof.FlushSleepUs = (int)Math.Clamp(IntegerText.Atoi(a[2]), 0, int.MaxValue);
            c.Reply.Ok();
        }
        else if (a.Is(1, "set-skip-checksum-validation") && n == 3)
        {
            // RDB loads stop comparing the trailer (RESTORE's payload checks are DumpPayload's own).
            c.Server.SkipChecksumValidation = IntegerText.Atoi(a[2]) != 0;
            c.Reply.Ok();
        }
        // Scripts may then run noscript commands (DEBUG PROTOCOL from a script, in the suite).
        else if (a.Is(1, "set-disable-deny-scripts") && n == 3)
        {
            c.Server.ScriptDisableDenyScript = IntegerText.Atoi(a[2]) != 0;
            c.Reply.Ok();
        }
        else if (a.Is(1, "replybuffer") && n == 4) ReplyBuffer(c, a);
        // The cluster bus's test hooks: drop received messages of one type (-1: none), cut a node's links.
        else if (a.Is(1, "drop-cluster-packet-filter") && n == 3)
        {
            if (!LongArgument.Parse(c, a[2], out long type)) return;
            if (c.Server.Cluster is { } cluster) cluster.DropPacketFilter = (int)Math.Clamp(type, int.MinValue, int.MaxValue);
            c.Reply.Ok();
        }
        else if (a.Is(1, "clusterlink") && n == 5 && a.Is(2, "kill")) KillClusterLink(c, a);
        else HelpReply.SubcommandSyntaxError(c, a);
    }

    /// <summary>DEBUG CLUSTERLINK KILL to|from|all node-id: the outbound, inbound or both links to a node are freed (clusterCron reconnects).</summary>
    static void KillClusterLink(Client c, CommandArgs a)
    {
        if (c.Server.Cluster is not { } cluster)
        {
            c.Reply.Error("Debug option only available for cluster mode enabled setup!");
            return;
        }
        if (cluster.LookupNode(a.GetCString(4)) is not { } node)
        {
            c.Reply.Error($"Unknown node {a.GetCString(4)}");
            return;
        }
        bool to = a.Is(3, "to") || a.Is(3, "all"), from = a.Is(3, "from") || a.Is(3, "all");
        if (!to && !from)
        {
            // Redis answers this error and then +OK as well; one reply here.
            c.Reply.Error($"Unknown direction {a.GetCString(3)}");
            return;
        }
        if (to) node.Link?.Free();
        if (from) node.InboundLink?.Free();
        c.Reply.Ok();
    }

    /// <summary>DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE] (see <see cref="VermilionServer.DebugReload"/>).</summary>
    static void Reload(Client c, CommandArgs a)
    {
        bool merge = false, flush = true, save = true;
        for (int j = 2; j < a.Count; j++)
        {
            if (a.Is(j, "merge")) merge = true;
            else if (a.Is(j, "noflush")) flush = false;
            else if (a.Is(j, "nosave")) save = false;
            else
            {
                c.Reply.Error("DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.");
                return;
            }
        }
        if (c.Server.DebugReload(merge, flush, save) is { } error) c.Reply.Error(error);
        else c.Reply.Ok();
    }

    /// <summary>DEBUG ERROR: the text as a protocol error, CR and LF made spaces.</summary>
    static void Error(Client c, ReadOnlySpan<byte> text)
    {
        var line = new byte[text.Length + 3];
        line[0] = (byte)'-';
        text.CopyTo(line.AsSpan(1));
        for (int i = 1; i <= text.Length; i++) if (line[i] is (byte)'\r' or (byte)'\n') line[i] = (byte)' ';
        line[^2] = (byte)'\r';
        line[^1] = (byte)'\n';
        c.Reply.ErrorRaw(line);
    }

    /// <summary>
    /// DEBUG OBJECT: Redis's line. "Value at:" is the value's identity (stable while the value
    /// lives, as an address is: an in-place INCR keeps it); serializedlength is the value's RDB
    /// encoding; the key is found without expiring it, as dictFind.
    /// </summary>
    static void Object(Client c, ReadOnlySpan<byte> key)
    {
        var keys = c.Db.Keys;
        int entry = keys.Find(key);
        if (entry < 0)
        {
            c.Reply.Error("no such key");
            return;
        }
        var item = keys.Object(entry);
        bool shared = keys.IsShared(entry);
        string encoding = item is not null ? item.Encoding : keys.Encoding(entry) switch
        {
            StringEncoding.Int => "int",
            StringEncoding.Embstr => "embstr",
            _ => "raw",
        };
        uint lru = keys.Lru(entry);
        var sb = new StringBuilder()
            .Append("Value at:0x").Append((item is null ? entry : RuntimeHelpers.GetHashCode(item)).ToString("x"))
            .Append(" refcount:").Append(shared ? int.MaxValue : 1)
            .Append(" encoding:").Append(encoding)
            .Append(" serializedlength:").Append(SerializedLength(c.Server.Serializer, keys, entry))
            .Append(" lru:").Append(lru)
            .Append(" lru_seconds_idle:").Append(c.Server.Eviction.IdleMs(lru) / 1000);
        if (item is QuickList list)
        {
            long size = 0;
            for (int i = 0; i < list.NodeCount; i++) size += list.NodeSize(i);
            sb.Append(" ql_nodes:").Append(list.NodeCount)
              .Append(" ql_avg_node:").Append(Info.TwoDecimals(list.NodeCount == 0 ? 0 : (double)list.Count / list.NodeCount))
              .Append(" ql_listpack_max:").Append(list.Fill)
              .Append(" ql_compressed:").Append(c.Server.Config.ListCompressDepth != 0 ? 1 : 0)
              .Append(" ql_uncompressed_size:").Append(size);
        }
        c.Reply.Simple(sb.ToString());
    }

    /// <summary>rdbSavedObjectLen: the value's RDB form without its type byte.</summary>
    static long SerializedLength(RdbWriter writer, Keyspace keys, int entry)
    {
        writer.Reset();
        bool written = keys.Object(entry) is { } value
            ? RdbValue.TryWrite(writer, value)
            : keys.TryGetString(entry, out var text) && WriteString(writer, text);
        long length = written ? writer.Length - 1 : 0;
        writer.Reset();
        return length;
    }

    static bool WriteString(RdbWriter writer, ReadOnlySpan<byte> value)
    {
        writer.WriteType(RdbType.String);
        writer.WriteString(value);
        return true;
    }

    /// <summary>
    /// DEBUG LISTPACK / QUICKLIST: Redis prints the structure on its stdout; ours goes to the log
    /// at debug level. Only a value of that encoding is accepted, with Redis's errors.
    /// </summary>
    static void DescribeEncoding(Client c, ReadOnlySpan<byte> key, string encoding, string title)
    {
        int entry = c.Db.Lookup(key, touch: false);
        if (entry < 0)
        {
            c.Reply.Error("no such key");
            return;
        }
        if (c.Db.Keys.Object(entry) is not { } value || value.Encoding != encoding)
        {
            c.Reply.Error($"Not a {encoding} encoded object.");
            return;
        }
        c.Server.Log.Debug($"{title} of key '{Encoding.Latin1.GetString(key)}': {value.Type}, {c.Db.Keys.ValueBytes(entry)} bytes");
        c.Reply.Simple($"{title} structure printed on stdout");
    }

    /// <summary>DEBUG POPULATE count [prefix] [size]: keys prefix:N holding value:N (padded with zero bytes or cut to size); existing keys are left alone.</summary>
    static void Populate(Client c, CommandArgs a)
    {
        if (!LongArgument.ParsePositive(c, a[2], out long count)) return;
        long size = 0;
        if (a.Count == 5 && !LongArgument.ParsePositive(c, a[4], out size)) return;
        // Redis would die allocating a value it cannot hold; we answer as every other string write does.
        if (size > Math.Min(c.Server.Config.ProtoMaxBulkLen, Array.MaxLength - 1024))
        {
            c.Reply.Error("string exceeds maximum allowed size (proto-max-bulk-len)");
            return;
        }
        var prefix = a.Count >= 4 ? a[3].ToArray() : "key"u8.ToArray();
        Span<byte> digits = stackalloc byte[20];
        for (long j = 0; j < count; j++)
        {
            int d = IntegerText.Format(j, digits);
            byte[] name = [.. prefix, (byte)':', .. digits[..d]];
            if (c.Db.Exists(name)) continue;
            byte[] text = [.. "value:"u8, .. digits[..d]];
            var value = size == 0 ? text : new byte[size];
            if (size != 0) text.AsSpan(0, (int)Math.Min(size, text.Length)).CopyTo(value);
            // createStringObject: embstr or raw, never the integer encoding.
            c.Db.OverwriteText(name, value);
            c.Server.TouchWatchedKey(c.Db, name);
            c.Server.InvalidateTrackedKey(name, c);
        }
        c.Reply.Ok();
    }

    /// <summary>DEBUG DIGEST-VALUE key...: one digest per key (zeros for a missing one), found without expiring it.</summary>
    static void DigestValues(Client c, CommandArgs a)
    {
        c.Reply.ArrayHeader(a.Count - 2);
        for (int i = 2; i < a.Count; i++)
        {
            int entry = c.Db.Keys.Find(a[i]);
            var digest = entry < 0 ? new byte[DatasetDigest.Size] : DatasetDigest.OfValue(c.Db.Keys, entry);
            c.Reply.Simple(Convert.ToHexStringLower(digest));
        }
    }

    /// <summary>DEBUG PROTOCOL type: a sample of each reply type, as RESP2 or RESP3 writes it.</summary>
    static void Protocol(Client c, ReadOnlySpan<byte> type)
    {
        var r = c.Reply;
        if (Is(type, "string")) r.Bulk("Hello World"u8);
        else if (Is(type, "integer")) r.Integer(12345);
        else if (Is(type, "double")) r.Double(3.141);
        else if (Is(type, "bignum"))
        {
            if (r.Resp == 3) r.Raw("(1234567999999999999999999999999999999\r\n"u8);
            else r.Bulk("1234567999999999999999999999999999999"u8);
        }
        else if (Is(type, "null")) r.Null();
        else if (Is(type, "array") || Is(type, "set"))
        {
            if (Is(type, "array")) r.ArrayHeader(3);
            else r.SetHeader(3);
            for (int j = 0; j < 3; j++) r.Integer(j);
        }
        else if (Is(type, "map"))
        {
            r.MapHeader(3);
            for (int j = 0; j < 3; j++)
            {
                r.Integer(j);
                r.Bool(j == 1);
            }
        }
        else if (Is(type, "attrib"))
        {
            // An attribute is not a reply: a real one follows it. RESP2 has no attributes.
            if (r.Resp == 3)
            {
                r.Raw("|1\r\n"u8);
                r.Bulk("key-popularity"u8);
                r.ArrayHeader(2);
                r.Bulk("key:123"u8);
                r.Integer(90);
            }
            r.Bulk("Some real reply following the attribute"u8);
        }
        else if (Is(type, "push"))
        {
            if (r.Resp < 3)
            {
                r.Error("RESP2 is not supported by this command");
                return;
            }
            r.PushHeader(2);
            r.Bulk("server-cpu-usage"u8);
            r.Integer(42);
            r.Bulk("Some real reply following the push reply"u8);
        }
        else if (Is(type, "true")) r.Bool(true);
        else if (Is(type, "false")) r.Bool(false);
        else if (Is(type, "verbatim")) r.Verbatim("This is a verbatim\nstring");
        else r.Error("Wrong protocol type name. Please use one of the following: string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false");
    }

    static bool Is(ReadOnlySpan<byte> s, string ascii) => System.Text.Ascii.EqualsIgnoreCase(s, ascii);

    /// <summary>
    /// DEBUG STRINGMATCH-LEN: a fuzz run of the glob matcher (Redis's STRINGMATCH-TEST): random
    /// patterns and strings, which must not throw or hang. Answers as Redis does when it survives.
    /// </summary>
    static void StringMatchFuzz(Client c)
    {
        var random = new Random();
        Span<byte> pattern = stackalloc byte[32];
        Span<byte> text = stackalloc byte[32];
        const string alphabet = "*?[]^-\\ab";
        for (int i = 0; i < 100_000; i++)
        {
            int pl = random.Next(pattern.Length), tl = random.Next(text.Length);
            for (int j = 0; j < pl; j++) pattern[j] = (byte)alphabet[random.Next(alphabet.Length)];
            for (int j = 0; j < tl; j++) text[j] = (byte)alphabet[random.Next(alphabet.Length)];
            GlobPattern.Match(pattern[..pl], text[..tl], nocase: (i & 1) != 0);
        }
        c.Reply.Simple("Apparently Redis did not crash: test passed");
    }

    /// <summary>DEBUG HTSTATS dbid: the keyspace table's size and element count (dictGetStats's head lines), then the keys with a deadline.</summary>
    static void HashTableStats(Client c, ReadOnlySpan<byte> dbText)
    {
        if (!LongArgument.Parse(c, dbText, out long id)) return;
        if (id < 0 || id >= c.Server.Databases.Length)
        {
            c.Reply.Error("Out of range database");
            return;
        }
        var keys = c.Server.Databases[id].Keys;
        var sb = new StringBuilder("[Dictionary HT]\n");
        TableStats(sb, 0, keys.TableSize, keys.Count);
        if (keys.IsRehashing) TableStats(sb, 1, keys.RehashTargetSize, keys.Count);
        sb.Append("[Expires HT]\n");
        TableStats(sb, 0, keys.VolatileCount, keys.VolatileCount);
        c.Reply.Verbatim(sb.ToString());
    }

    static void TableStats(StringBuilder sb, int table, long size, long elements)
    {
        sb.Append("Hash table ").Append(table).Append(" stats (").Append(table == 0 ? "main hash table" : "rehashing target").Append("):\n");
        if (elements == 0) sb.Append("No stats available for empty dictionaries\n");
        else sb.Append(" table size: ").Append(size).Append("\n number of elements: ").Append(elements).Append('\n');
    }

    /// <summary>DEBUG HTSTATS-KEY key: for a value kept in a hash table (hashtable sets and hashes, skiplist sorted sets).</summary>
    static void KeyHashTableStats(Client c, ReadOnlySpan<byte> key)
    {
        int entry = c.Db.Lookup(key, touch: false);
        if (entry < 0)
        {
            c.Reply.Error("no such key");
            return;
        }
        long count = c.Db.Keys.Object(entry) switch
        {
            SetValue { IsIntSet: false } set => set.Count,
            HashValue { IsListpack: false } hash => hash.Count,
            SortedSetValue { IsPacked: false } zset => zset.Count,
            _ => -1,
        };
        if (count < 0)
        {
            c.Reply.Error("The value stored at the specified key is not represented using an hash table");
            return;
        }
        var sb = new StringBuilder();
        TableStats(sb, 0, count, count);
        c.Reply.Verbatim(sb.ToString());
    }

    /// <summary>DEBUG REPLYBUFFER PEAK-RESET-TIME never|reset|ms, RESIZING 0|1: checked as Redis; our reply buffers are pooled, so nothing to tune.</summary>
    static void ReplyBuffer(Client c, CommandArgs a)
    {
        if (a.Is(2, "peak-reset-time"))
        {
            if (!a.Is(3, "never") && !a.Is(3, "reset") && !LongArgument.Parse(c, a[3], out _)) return;
        }
        else if (!a.Is(2, "resizing"))
        {
            HelpReply.SubcommandSyntaxError(c, a);
            return;
        }
        c.Reply.Ok();
    }
}
