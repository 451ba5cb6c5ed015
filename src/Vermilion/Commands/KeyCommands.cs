using System.Text;
using Vermilion.Protocol;
using Vermilion.Server;
using Vermilion.Storage;

namespace Vermilion.Commands;

/// <summary>
/// The generic key family: DEL, UNLINK, EXISTS, TYPE, TOUCH, KEYS, SCAN, RANDOMKEY, RENAME,
/// RENAMENX, COPY, MOVE, SWAPDB, OBJECT, WAIT and expiry (EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT,
/// TTL, PTTL, EXPIRETIME, PEXPIRETIME, PERSIST).
/// </summary>
public static partial class KeyCommands
{
    /// <summary>delGenericCommand: DEL frees lazily when lazyfree-lazy-user-del says so, UNLINK always (Server/LazyFree.cs).</summary>
    [Command("del")] static void Del(Client c, CommandArgs a) => DelGeneric(c, a, c.Server.Config.LazyfreeLazyUserDel);
    [Command("unlink")] static void Unlink(Client c, CommandArgs a) => DelGeneric(c, a, lazy: true);

    static void DelGeneric(Client c, CommandArgs a, bool lazy)
    {
        long n = 0;
        // expireIfNeeded first: a key past its deadline is expired (and notified so), not deleted.
        for (int i = 1; i < a.Count; i++)
            if (c.Db.Lookup(a[i], touch: false) >= 0 && c.Server.DeleteKey(c.Db, a[i], lazy)) n++;
        c.Server.Dirty += n;
        c.Reply.Integer(n);
    }

    [Command("exists")]
    static void Exists(Client c, CommandArgs a)
    {
        long n = 0;
        // existsCommand: LOOKUP_NOTOUCH, so hits and misses count but the access clock stays.
        for (int i = 1; i < a.Count; i++) if (c.Server.KeyExistsForRead(c.Db, a[i])) n++;
        c.Reply.Integer(n);
    }

    [Flags]
    enum ExpireCondition { None = 0, Nx = 1, Xx = 2, Gt = 4, Lt = 8 }

    [Command("expire")] static void Expire(Client c, CommandArgs a) => SetExpire(c, a, "expire", relative: true, seconds: true);
    [Command("pexpire")] static void PExpire(Client c, CommandArgs a) => SetExpire(c, a, "pexpire", relative: true, seconds: false);
    [Command("expireat")] static void ExpireAt(Client c, CommandArgs a) => SetExpire(c, a, "expireat", relative: false, seconds: true);
    [Command("pexpireat")] static void PExpireAt(Client c, CommandArgs a) => SetExpire(c, a, "pexpireat", relative: false, seconds: false);

    /// <summary>
    /// EXPIRE and friends: options first, then the time (overflow is an error, a time in the past
    /// deletes the key), then NX/XX/GT/LT against the current deadline, where none counts as infinite.
    /// </summary>
    static void SetExpire(Client c, CommandArgs a, string name, bool relative, bool seconds)
    {
        var condition = ExpireCondition.None;
        for (int j = 3; j < a.Count; j++)
        {
            if (a.Is(j, "nx")) condition |= ExpireCondition.Nx;
            else if (a.Is(j, "xx")) condition |= ExpireCondition.Xx;
            else if (a.Is(j, "gt")) condition |= ExpireCondition.Gt;
            else if (a.Is(j, "lt")) condition |= ExpireCondition.Lt;
            else
            {
                c.Reply.Error($"Unsupported option {a.GetCString(j)}");
                return;
            }
        }
        if ((condition & ExpireCondition.Nx) != 0 && (condition & (ExpireCondition.Xx | ExpireCondition.Gt | ExpireCondition.Lt)) != 0)
        {
            c.Reply.Error("NX and XX, GT or LT options at the same time are not compatible");
            return;
        }
        if ((condition & (ExpireCondition.Gt | ExpireCondition.Lt)) == (ExpireCondition.Gt | ExpireCondition.Lt))
        {
            c.Reply.Error("GT and LT options at the same time are not compatible");
            return;
        }
        if (!LongArgument.Parse(c, a[2], out long when)) return;
        long now = c.Server.UnixTimeMs;
        long basetime = relative ? now : 0;
        if (seconds)
        {
            if (when > long.MaxValue / 1000 || when < long.MinValue / 1000)
            {
                c.Reply.Error($"invalid expire time in '{name}' command");
                return;
            }
            when *= 1000;
        }
        if (when > long.MaxValue - basetime)
        {
            c.Reply.Error($"invalid expire time in '{name}' command");
            return;
        }
        when += basetime;
        var db = c.Db;
        if (!db.Exists(a[1]))
        {
            c.Reply.Integer(0);
            return;
        }
        long current = db.GetExpire(a[1]);
        bool refused = ((condition & ExpireCondition.Nx) != 0 && current != -1)
            || ((condition & ExpireCondition.Xx) != 0 && current == -1)
            || ((condition & ExpireCondition.Gt) != 0 && (current == -1 || when <= current))
            || ((condition & ExpireCondition.Lt) != 0 && current != -1 && when >= current);
        if (refused)
        {
            c.Reply.Integer(0);
            return;
        }
        // A deadline already past deletes the key at once, propagated as a DEL (UNLINK with
        // lazyfree-lazy-expire); otherwise the effect is PEXPIREAT with the absolute deadline in ms
        // and the options as given (PEXPIREAT itself goes as it came). Not while loading, when
        // the file's later commands may still touch the key (checkAlreadyExpired).
        if (when <= now && !c.Server.Loading)
        {
            bool lazy = c.Server.Config.LazyfreeLazyExpire;
            c.Server.DeleteKey(db, a[1], lazy);
            c.Server.Rewrite(c, 2).Arg(lazy ? "UNLINK"u8 : "DEL"u8).Arg(a[1]);
        }
        else
        {
            db.SetExpire(a[1], when);
            if (relative || seconds) c.Server.Rewrite(c, a.Count).Arg("PEXPIREAT"u8).Arg(a[1]).Arg(when).Args(a, 3);
            c.Server.Notify(NotifyFlags.Generic, "expire", db, a[1]);
        }
        c.Server.Dirty++;
        c.Reply.Integer(1);
    }

    [Command("ttl")] static void Ttl(Client c, CommandArgs a) => ReplyTtl(c, a, milliseconds: false, absolute: false);
    [Command("pttl")] static void PTtl(Client c, CommandArgs a) => ReplyTtl(c, a, milliseconds: true, absolute: false);
    [Command("expiretime")] static void ExpireTime(Client c, CommandArgs a) => ReplyTtl(c, a, milliseconds: false, absolute: true);
    [Command("pexpiretime")] static void PExpireTime(Client c, CommandArgs a) => ReplyTtl(c, a, milliseconds: true, absolute: true);

    /// <summary>-2 for no key, -1 for no deadline; seconds are rounded to the nearest, as Redis.</summary>
    static void ReplyTtl(Client c, CommandArgs a, bool milliseconds, bool absolute)
    {
        if (!c.Db.Exists(a[1]))
        {
            c.Server.KeyMiss(c.Db, a[1]);
            c.Reply.Integer(-2);
            return;
        }
        c.Server.Stats.KeyspaceHits++;
        long expire = c.Db.GetExpire(a[1]);
        if (expire == -1)
        {
            c.Reply.Integer(-1);
            return;
        }
        long ttl = Math.Max(0, absolute ? expire : expire - c.Server.UnixTimeMs);
        c.Reply.Integer(milliseconds ? ttl : (ttl + 500) / 1000);
    }

    [Command("persist")]
    static void Persist(Client c, CommandArgs a)
    {
        bool removed = c.Db.Exists(a[1]) && c.Db.RemoveExpire(a[1]);
        if (removed)
        {
            c.Server.Notify(NotifyFlags.Generic, "persist", c.Db, a[1]);
            c.Server.Dirty++;
        }
        c.Reply.Integer(removed ? 1 : 0);
    }

    [Command("type")]
    static void Type(Client c, CommandArgs a)
    {
        int entry = c.Db.Lookup(a[1], touch: false);
        c.Reply.Simple(entry < 0 ? "none"u8 : TypeName(c.Db.Keys.Type(entry)));
    }

    [Command("touch")]
    static void Touch(Client c, CommandArgs a)
    {
        long n = 0;
        // touchCommand: lookupKeyRead, so each key's access clock is reset and hits/misses count.
        for (int i = 1; i < a.Count; i++) if (c.Server.LookupKeyRead(c.Db, a[i]) >= 0) n++;
        c.Reply.Integer(n);
    }

    [Command("keys")]
    static void Keys(Client c, CommandArgs a)
    {
        var pattern = a[1];
        bool all = pattern.Length == 1 && pattern[0] == '*';
        var keys = c.Db.Keys;
        var matches = new List<int>();
        foreach (int entry in c.Db.LiveEntries())
            if (all || GlobPattern.Match(pattern, keys.Key(entry), nocase: false)) matches.Add(entry);
        c.Reply.ArrayHeader(matches.Count);
        foreach (int entry in matches) c.Reply.Bulk(keys.Key(entry));
    }

    [Command("rename")] static void Rename(Client c, CommandArgs a) => RenameKey(c, a, onlyIfAbsent: false);
    [Command("renamenx")] static void RenameNx(Client c, CommandArgs a) => RenameKey(c, a, onlyIfAbsent: true);

    /// <summary>The value and its deadline move to the new name; renaming a key to itself changes nothing.</summary>
    static void RenameKey(Client c, CommandArgs a, bool onlyIfAbsent)
    {
        var db = c.Db;
        if (!db.Exists(a[1]))
        {
            c.Reply.Error("no such key");
            return;
        }
        if (a[1].SequenceEqual(a[2]))
        {
            if (onlyIfAbsent) c.Reply.Integer(0);
            else c.Reply.Ok();
            return;
        }
        if (onlyIfAbsent && db.Exists(a[2]))
        {
            c.Reply.Integer(0);
            return;
        }
        db.Rename(a[1], a[2]);
        c.Server.Dirty++;
        c.Server.Notify(NotifyFlags.Generic, "rename_from", db, a[1]);
        c.Server.Notify(NotifyFlags.Generic, "rename_to", db, a[2]);
        if (onlyIfAbsent) c.Reply.Integer(1);
        else c.Reply.Ok();
    }

    [Command("move")]
    static void Move(Client c, CommandArgs a)
    {
        if (c.Server.Cluster is not null)
        {
            c.Reply.Error("MOVE is not allowed in cluster mode");
            return;
        }
        if (!LongArgument.ParseDbIndex(c, a[2], out var target)) return;
        var source = c.Db;
        if (target == source)
        {
            c.Reply.Error("source and destination objects are the same");
            return;
        }
        if (!source.Exists(a[1]) || target.Exists(a[1]))
        {
            c.Reply.Integer(0);
            return;
        }
        source.MoveTo(a[1], target);
        c.Server.Dirty++;
        c.Server.Notify(NotifyFlags.Generic, "move_from", source, a[1]);
        c.Server.Notify(NotifyFlags.Generic, "move_to", target, a[1]);
        c.Reply.Integer(1);
    }

    /// <summary>COPY source destination [DB index] [REPLACE]: the copy gets the source's deadline.</summary>
    [Command("copy")]
    static void Copy(Client c, CommandArgs a)
    {
        var target = c.Db;
        bool replace = false;
        for (int j = 3; j < a.Count; j++)
        {
            if (a.Is(j, "replace")) replace = true;
            else if (a.Is(j, "db") && j + 1 < a.Count)
            {
                if (!LongArgument.ParseDbIndex(c, a[++j], out target)) return;
            }
            else
            {
                c.Reply.Error("syntax error");
                return;
            }
        }
        if (c.Server.Cluster is not null && (c.Db.Id != 0 || target.Id != 0))
        {
            c.Reply.Error("Copying to another database is not allowed in cluster mode");
            return;
        }
        if (target == c.Db && a[1].SequenceEqual(a[2]))
        {
            c.Reply.Error("source and destination objects are the same");
            return;
        }
        if (!c.Db.Exists(a[1]) || (target.Exists(a[2]) && !replace))
        {
            c.Reply.Integer(0);
            return;
        }
        c.Db.CopyTo(a[1], target, a[2]);
        c.Server.Dirty++;
        c.Server.Notify(NotifyFlags.Generic, "copy_to", target, a[2]);
        c.Reply.Integer(1);
    }

    [Command("swapdb")]
    static void SwapDb(Client c, CommandArgs a)
    {
        if (c.Server.Cluster is not null)
        {
            c.Reply.Error("SWAPDB is not allowed in cluster mode");
            return;
        }
        if (!IntegerText.TryParse(a[1], out long first) || first < int.MinValue || first > int.MaxValue)
        {
            c.Reply.Error("invalid first DB index");
            return;
        }
        if (!IntegerText.TryParse(a[2], out long second) || second < int.MinValue || second > int.MaxValue)
        {
            c.Reply.Error("invalid second DB index");
            return;
        }
        var dbs = c.Server.Databases;
        if (first < 0 || first >= dbs.Length || second < 0 || second >= dbs.Length)
        {
            c.Reply.Error("DB index is out of range");
            return;
        }
        if (first != second)
        {
            c.Server.TouchAllWatchedKeysInDb(dbs[first], dbs[second]);
            dbs[first].SwapWith(dbs[second]);
            c.Server.SignalSwappedDatabases(dbs[first], dbs[second]);
        }
        // Even SWAPDB of a database with itself counts (and so is propagated), as in Redis.
        c.Server.Dirty++;
        c.Reply.Ok();
    }

    /// <summary>
    /// SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]: walk the table from the cursor until
    /// COUNT entries were collected (at most 10×COUNT buckets), then drop keys that do not match
    /// the pattern or type and keys that have expired (deleting them, as Redis does).
    /// </summary>
    [Command("scan")]
    static void Scan(Client c, CommandArgs a)
    {
        if (!ScanOptions.ParseCursor(c, a[1], out ulong cursor)) return;
        if (!ScanOptions.Parse(c, a, first: 2, typeAllowed: true, out long count, out int pattern, out int type)) return;
        var db = c.Db;
        var found = new List<int>();
        long iterations = count * 10;
        do cursor = db.Keys.Scan(cursor, found);
        while (cursor != 0 && iterations-- > 0 && found.Count < count);

        bool anyPattern = ScanOptions.FiltersByPattern(a, pattern);
        var keys = new List<byte[]>(found.Count);
        foreach (int entry in found)
        {
            var key = db.Keys.Key(entry);
            if (anyPattern && !GlobPattern.Match(a[pattern], key, nocase: false)) continue;
            if (type != 0 && !Ascii.EqualsIgnoreCase(a[type], TypeName(db.Keys.Type(entry)))) continue;
            var copy = key.ToArray();
            if (db.Lookup(copy, touch: false) < 0) continue;
            keys.Add(copy);
        }
        ScanOptions.ReplyCursor(c, cursor);
        c.Reply.ArrayHeader(keys.Count);
        foreach (var key in keys) c.Reply.Bulk(key);
    }

    static ReadOnlySpan<byte> TypeName(DataType type) => type switch
    {
        DataType.List => "list"u8,
        DataType.Set => "set"u8,
        DataType.ZSet => "zset"u8,
        DataType.Hash => "hash"u8,
        DataType.Stream => "stream"u8,
        _ => "string"u8,
    };

    [Command("randomkey")]
    static void RandomKey(Client c, CommandArgs a)
    {
        var key = c.Db.RandomKey(c.Server.Random);
        if (key is null) c.Reply.Null();
        else c.Reply.Bulk(key);
    }

    static readonly string[] s_objectHelp =
    [
        "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "ENCODING <key>",
        "    Return the kind of internal representation used in order to store the value",
        "    associated with a <key>.",
        "FREQ <key>",
        "    Return the access frequency index of the <key>. The returned integer is",
        "    proportional to the logarithm of the recent access frequency of the key.",
        "IDLETIME <key>",
        "    Return the idle time of the <key>, that is the approximated number of",
        "    seconds elapsed since the last access to the key.",
        "REFCOUNT <key>",
        "    Return the number of references of the value associated with the specified",
        "    <key>.",
        "HELP",
        "    Prints this help.",
    ];

    [Command("object|help")] static void ObjectHelp(Client c, CommandArgs a) => HelpReply.Write(c, s_objectHelp);

    /// <summary>OBJECT looks without touching; a missing key answers nil before anything else.</summary>
    static bool ObjectLookup(Client c, CommandArgs a, out int entry)
    {
        entry = c.Db.Lookup(a[2], touch: false);
        if (entry >= 0) return true;
        c.Reply.Null();
        return false;
    }

    [Command("object|encoding")]
    static void ObjectEncoding(Client c, CommandArgs a)
    {
        if (!ObjectLookup(c, a, out int entry)) return;
        if (c.Db.Keys.Object(entry) is { } stored)
        {
            c.Reply.Bulk(stored.Encoding);
            return;
        }
        c.Reply.Bulk(c.Db.Keys.Encoding(entry) switch
        {
            StringEncoding.Int => "int"u8,
            StringEncoding.Embstr => "embstr"u8,
            _ => "raw"u8,
        });
    }

    [Command("object|refcount")]
    static void ObjectRefCount(Client c, CommandArgs a)
    {
        if (!ObjectLookup(c, a, out int entry)) return;
        // Redis shares the integers 0..9999; their count reads as INT_MAX.
        c.Reply.Integer(c.Db.Keys.IsShared(entry) ? int.MaxValue : 1);
    }

    const string PolicySwitchNote = " Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.";

    [Command("object|idletime")]
    static void ObjectIdleTime(Client c, CommandArgs a)
    {
        if (!ObjectLookup(c, a, out int entry)) return;
        if (c.Server.Eviction.UsesLfu)
        {
            c.Reply.Error("An LFU maxmemory policy is selected, idle time not tracked." + PolicySwitchNote);
            return;
        }
        c.Reply.Integer(c.Server.Eviction.IdleMs(c.Db.Keys.Lru(entry)) / 1000);
    }

    [Command("object|freq")]
    static void ObjectFreq(Client c, CommandArgs a)
    {
        if (!ObjectLookup(c, a, out int entry)) return;
        if (!c.Server.Eviction.UsesLfu)
        {
            c.Reply.Error("An LFU maxmemory policy is not selected, access frequency not tracked." + PolicySwitchNote);
            return;
        }
        c.Reply.Integer(c.Server.Eviction.LfuDecayed(c.Db.Keys.Lru(entry)));
    }
}
