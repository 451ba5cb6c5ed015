using Vermilion.Persistence;
using Vermilion.Protocol;
using Vermilion.Server;
using Vermilion.Storage;

namespace Vermilion.Commands;

/// <summary>
/// DUMP and RESTORE: a key's value as Redis 7.0's serialized payload (see <see cref="DumpPayload"/>),
/// so values move between Vermilion and redis-server in either direction.
/// </summary>
public static partial class DumpCommands
{
    /// <summary>A read like GET's (counts a hit or a miss, touches the key); nil for a missing key.</summary>
    [Command("dump")]
    static void Dump(Client c, CommandArgs a)
    {
        int entry = c.Server.LookupKeyRead(c.Db, a[1]);
        if (entry < 0)
        {
            c.Reply.Null();
            return;
        }
        var writer = c.Server.Serializer;
        if (!TryWritePayload(writer, c.Db.Keys, entry))
        {
            c.Reply.Error("DUMP does not support this type yet");
            return;
        }
        c.Reply.Bulk(writer.Written);
        writer.Reset();
    }

    /// <summary>createDumpPayload for a keyspace entry (a string record or an object), as DUMP and MIGRATE send it.</summary>
    static bool TryWritePayload(RdbWriter writer, Keyspace keys, int entry)
    {
        if (keys.Object(entry) is { } value) return DumpPayload.TryWrite(writer, value);
        keys.TryGetString(entry, out var text);
        DumpPayload.WriteString(writer, text);
        return true;
    }

    /// <summary>
    /// RESTORE key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency],
    /// checking in Redis's order: options (IDLETIME and FREQ exclude each other), an existing
    /// key, the TTL, the payload's footer, then its value. A deadline already past creates
    /// nothing (and REPLACE still removes the old key); a relative TTL that overflows wraps
    /// into the past, as in Redis.
    /// RESTORE-ASKING is the same command with the asking flag, which only matters in cluster mode.
    /// </summary>
    [Command("restore")]
    [Command("restore-asking")]
    static void Restore(Client c, CommandArgs a)
    {
        bool replace = false, absoluteTtl = false;
        long idleSeconds = -1, frequency = -1;
        for (int j = 4; j < a.Count; j++)
        {
            bool hasValue = j + 1 < a.Count;
            if (a.Is(j, "replace")) replace = true;
            else if (a.Is(j, "absttl")) absoluteTtl = true;
            else if (a.Is(j, "idletime") && hasValue && frequency == -1)
            {
                if (!LongArgument.Parse(c, a[++j], out idleSeconds)) return;
                if (idleSeconds < 0)
                {
                    c.Reply.Error("Invalid IDLETIME value, must be >= 0");
                    return;
                }
            }
            else if (a.Is(j, "freq") && hasValue && idleSeconds == -1)
            {
                if (!LongArgument.Parse(c, a[++j], out frequency)) return;
                if (frequency is < 0 or > 255)
                {
                    c.Reply.Error("Invalid FREQ value, must be >= 0 and <= 255");
                    return;
                }
            }
            else
            {
                c.Reply.Error("syntax error");
                return;
            }
        }

        var db = c.Db;
        var key = a[1];
        // lookupKeyWrite: expires the key if due and counts as an access.
        if (!replace && db.Lookup(key) >= 0)
        {
            c.Reply.Error("-BUSYKEY Target key name already exists.");
            return;
        }
        if (!LongArgument.Parse(c, a[2], out long ttl)) return;
        if (ttl < 0)
        {
            c.Reply.Error("Invalid TTL value, must be >= 0");
            return;
        }

        long now = c.Server.UnixTimeMs;
        long deadline = ttl != 0 && !absoluteTtl ? unchecked(ttl + now) : ttl;
        var result = DumpPayload.TryRead(a[3], key, c.Server.Config, out var text, out var value);
        using (text)
        {
            if (result == DumpPayload.ReadResult.BadFooter)
            {
                c.Reply.Error("DUMP payload version or checksum are wrong");
                return;
            }
            if (result == DumpPayload.ReadResult.BadData)
            {
                c.Reply.Error("Bad data format");
                return;
            }

            bool deleted = replace && db.Delete(key);
            if (ttl != 0 && deadline <= now && !c.Server.Loading)
            {
                // Born expired: only the replaced key's deletion is an effect, propagated as a DEL.
                if (deleted)
                {
                    c.Server.Notify(NotifyFlags.Generic, "del", db, key);
                    c.Server.Dirty++;
                    c.Server.Rewrite(c, 2).Arg("DEL"u8).Arg(key);
                }
                c.Reply.Ok();
                return;
            }
            if (value is null) db.Set(key, text.Value);
            else db.Add(value);
        }
        if (ttl != 0) db.SetExpire(key, deadline);
        // A relative TTL is propagated as the absolute deadline, flagged ABSTTL at the end.
        if (ttl != 0 && !absoluteTtl) c.Server.Rewrite(c, a.Count + 1).Arg(a[0]).Arg(key).Arg(deadline).Args(a, 3).Arg("ABSTTL"u8);
        c.Server.Dirty++;
        if (idleSeconds >= 0) db.SetIdleTime(key, idleSeconds);
        if (frequency >= 0) db.SetFrequency(key, (int)frequency);
        c.Server.Notify(NotifyFlags.Generic, "restore", db, key);
        c.Reply.Ok();
    }

}
