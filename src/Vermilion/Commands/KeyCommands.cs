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
public static class KeyCommands
{
    public static void Register(CommandTable t)
    {
        t.Add(new()
        {
            Name = "del", Arity = -2, Flags = CommandFlags.Write, Categories = ["@keyspace", "@write", "@slow"],
            FirstKey = 1, LastKey = -1, KeyStep = 1,
            Proc = Del,
            Group = "generic", Since = "1.0.0",
            Summary = "Delete a key",
            Complexity = "O(N) where N is the number of keys that will be removed. When a key to remove holds a value other than a string, the individual complexity for this key is O(M) where M is the number of elements in the list, set, sorted set or hash. Removing a single key that holds a string value is O(1).",
            Tips = ["request_policy:multi_shard", "response_policy:agg_sum"],
            KeySpecs = [new(KeySpecFlags.RM | KeySpecFlags.Delete, BeginSearch.ByIndex(1), FindKeys.Range(-1, 1, 0))],
            Arguments =
            [
                new("key", ArgType.Key) { KeySpecIndex = 0, Flags = ArgFlags.Multiple },
            ],
        });

        // Clients such as StackExchange.Redis delete with UNLINK. Values here are freed by the GC,
        // so there is no separate lazy-free thread: UNLINK removes keys exactly as DEL does.
        t.Add(new()
        {
            Name = "unlink", Arity = -2, Flags = CommandFlags.Write | CommandFlags.Fast, Categories = ["@keyspace", "@write", "@fast"],
            FirstKey = 1, LastKey = -1, KeyStep = 1,
            Proc = Del,
            Group = "generic", Since = "4.0.0",
            Summary = "Delete a key asynchronously in another thread. Otherwise it is just as DEL, but non blocking.",
            Complexity = "O(1) for each key removed regardless of its size. Then the command does O(N) work in a different thread in order to reclaim memory, where N is the number of allocations the deleted objects where composed of.",
            Tips = ["request_policy:multi_shard", "response_policy:agg_sum"],
            KeySpecs = [new(KeySpecFlags.RM | KeySpecFlags.Delete, BeginSearch.ByIndex(1), FindKeys.Range(-1, 1, 0))],
            Arguments =
            [
                new("key", ArgType.Key) { KeySpecIndex = 0, Flags = ArgFlags.Multiple },
            ],
        });

        t.Add(new()
        {
            Name = "exists", Arity = -2, Flags = CommandFlags.ReadOnly | CommandFlags.Fast, Categories = ["@keyspace", "@read", "@fast"],
            FirstKey = 1, LastKey = -1, KeyStep = 1,
            Proc = Exists,
            Group = "generic", Since = "1.0.0",
            Summary = "Determine if a key exists",
            Complexity = "O(N) where N is the number of keys to check.",
            Tips = ["request_policy:multi_shard", "response_policy:agg_sum"],
            History =
            [
                ("3.0.3", "Accepts multiple `key` arguments."),
            ],
            KeySpecs = [new(KeySpecFlags.RO, BeginSearch.ByIndex(1), FindKeys.Range(-1, 1, 0))],
            Arguments =
            [
                new("key", ArgType.Key) { KeySpecIndex = 0, Flags = ArgFlags.Multiple },
            ],
        });

        t.Add(new()
        {
            Name = "expire", Arity = -3, Flags = CommandFlags.Write | CommandFlags.Fast, Categories = ["@keyspace", "@write", "@fast"],
            FirstKey = 1, LastKey = 1, KeyStep = 1,
            Proc = Expire,
            Group = "generic", Since = "1.0.0",
            Summary = "Set a key's time to live in seconds",
            Complexity = "O(1)",
            History =
            [
                ("7.0.0", "Added options: `NX`, `XX`, `GT` and `LT`."),
            ],
            KeySpecs = [new(KeySpecFlags.RW | KeySpecFlags.Update, BeginSearch.ByIndex(1), FindKeys.Range(0, 1, 0))],
            Arguments =
            [
                new("key", ArgType.Key) { KeySpecIndex = 0 },
                new("seconds", ArgType.Integer),
                new("condition", ArgType.OneOf)
                {
                    Since = "7.0.0",
                    Flags = ArgFlags.Optional,
                    Arguments =
                    [
                        new("nx", ArgType.PureToken) { Token = "NX" },
                        new("xx", ArgType.PureToken) { Token = "XX" },
                        new("gt", ArgType.PureToken) { Token = "GT" },
                        new("lt", ArgType.PureToken) { Token = "LT" },
                    ],
                },
            ],
        });

        t.Add(new()
        {
            Name = "pexpire", Arity = -3, Flags = CommandFlags.Write | CommandFlags.Fast, Categories = ["@keyspace", "@write", "@fast"],
            FirstKey = 1, LastKey = 1, KeyStep = 1,
            Proc = PExpire,
            Group = "generic", Since = "2.6.0",
            Summary = "Set a key's time to live in milliseconds",
            Complexity = "O(1)",
            History =
            [
                ("7.0.0", "Added options: `NX`, `XX`, `GT` and `LT`."),
            ],
            KeySpecs = [new(KeySpecFlags.RW | KeySpecFlags.Update, BeginSearch.ByIndex(1), FindKeys.Range(0, 1, 0))],
            Arguments =
            [
                new("key", ArgType.Key) { KeySpecIndex = 0 },
                new("milliseconds", ArgType.Integer),
                new("condition", ArgType.OneOf)
                {
                    Since = "7.0.0",
                    Flags = ArgFlags.Optional,
                    Arguments =
                    [
                        new("nx", ArgType.PureToken) { Token = "NX" },
                        new("xx", ArgType.PureToken) { Token = "XX" },
                        new("gt", ArgType.PureToken) { Token = "GT" },
                        new("lt", ArgType.PureToken) { Token = "LT" },
                    ],
                },
            ],
        });

        t.Add(new()
        {
            Name = "expireat", Arity = -3, Flags = CommandFlags.Write | CommandFlags.Fast, Categories = ["@keyspace", "@write", "@fast"],
            FirstKey = 1, LastKey = 1, KeyStep = 1,
            Proc = ExpireAt,
            Group = "generic", Since = "1.2.0",
            Summary = "Set the expiration for a key as a UNIX timestamp",
            Complexity = "O(1)",
            History =
            [
                ("7.0.0", "Added options: `NX`, `XX`, `GT` and `LT`."),
            ],
            KeySpecs = [new(KeySpecFlags.RW | KeySpecFlags.Update, BeginSearch.ByIndex(1), FindKeys.Range(0, 1, 0))],
            Arguments =
            [
                new("key", ArgType.Key) { KeySpecIndex = 0 },
                new("unix-time-seconds", ArgType.UnixTime),
                new("condition", ArgType.OneOf)
                {
                    Since = "7.0.0",
                    Flags = ArgFlags.Optional,
                    Arguments =
                    [
                        new("nx", ArgType.PureToken) { Token = "NX" },
                        new("xx", ArgType.PureToken) { Token = "XX" },
                        new("gt", ArgType.PureToken) { Token = "GT" },
                        new("lt", ArgType.PureToken) { Token = "LT" },
                    ],
                },
            ],
        });

        t.Add(new()
        {
            Name = "pexpireat", Arity = -3, Flags = CommandFlags.Write | CommandFlags.Fast, Categories = ["@keyspace", "@write", "@fast"],
            FirstKey = 1, LastKey = 1, KeyStep = 1,
            Proc = PExpireAt,
            Group = "generic", Since = "2.6.0",
            Summary = "Set the expiration for a key as a UNIX timestamp specified in milliseconds",
            Complexity = "O(1)",
            History =
            [
                ("7.0.0", "Added options: `NX`, `XX`, `GT` and `LT`."),
            ],
            KeySpecs = [new(KeySpecFlags.RW | KeySpecFlags.Update, BeginSearch.ByIndex(1), FindKeys.Range(0, 1, 0))],
            Arguments =
            [
                new("key", ArgType.Key) { KeySpecIndex = 0 },
                new("unix-time-milliseconds", ArgType.UnixTime),
                new("condition", ArgType.OneOf)
                {
                    Since = "7.0.0",
                    Flags = ArgFlags.Optional,
                    Arguments =
                    [
                        new("nx", ArgType.PureToken) { Token = "NX" },
                        new("xx", ArgType.PureToken) { Token = "XX" },
                        new("gt", ArgType.PureToken) { Token = "GT" },
                        new("lt", ArgType.PureToken) { Token = "LT" },
                    ],
                },
            ],
        });

        t.Add(new()
        {
            Name = "ttl", Arity = 2, Flags = CommandFlags.ReadOnly | CommandFlags.Fast, Categories = ["@keyspace", "@read", "@fast"],
            FirstKey = 1, LastKey = 1, KeyStep = 1,
            Proc = Ttl,
            Group = "generic", Since = "1.0.0",
            Summary = "Get the time to live for a key in seconds",
            Complexity = "O(1)",
            Tips = ["nondeterministic_output"],
            History =
            [
                ("2.8.0", "Added the -2 reply."),
            ],
            KeySpecs = [new(KeySpecFlags.RO | KeySpecFlags.Access, BeginSearch.ByIndex(1), FindKeys.Range(0, 1, 0))],
            Arguments =
            [
                new("key", ArgType.Key) { KeySpecIndex = 0 },
            ],
        });

        t.Add(new()
        {
            Name = "pttl", Arity = 2, Flags = CommandFlags.ReadOnly | CommandFlags.Fast, Categories = ["@keyspace", "@read", "@fast"],
            FirstKey = 1, LastKey = 1, KeyStep = 1,
            Proc = PTtl,
            Group = "generic", Since = "2.6.0",
            Summary = "Get the time to live for a key in milliseconds",
            Complexity = "O(1)",
            Tips = ["nondeterministic_output"],
            History =
            [
                ("2.8.0", "Added the -2 reply."),
            ],
            KeySpecs = [new(KeySpecFlags.RO | KeySpecFlags.Access, BeginSearch.ByIndex(1), FindKeys.Range(0, 1, 0))],
            Arguments =
            [
                new("key", ArgType.Key) { KeySpecIndex = 0 },
            ],
        });

        t.Add(new()
        {
            Name = "expiretime", Arity = 2, Flags = CommandFlags.ReadOnly | CommandFlags.Fast, Categories = ["@keyspace", "@read", "@fast"],
            FirstKey = 1, LastKey = 1, KeyStep = 1,
            Proc = ExpireTime,
            Group = "generic", Since = "7.0.0",
            Summary = "Get the expiration Unix timestamp for a key",
            Complexity = "O(1)",
            KeySpecs = [new(KeySpecFlags.RO | KeySpecFlags.Access, BeginSearch.ByIndex(1), FindKeys.Range(0, 1, 0))],
            Arguments =
            [
                new("key", ArgType.Key) { KeySpecIndex = 0 },
            ],
        });

        t.Add(new()
        {
            Name = "pexpiretime", Arity = 2, Flags = CommandFlags.ReadOnly | CommandFlags.Fast, Categories = ["@keyspace", "@read", "@fast"],
            FirstKey = 1, LastKey = 1, KeyStep = 1,
            Proc = PExpireTime,
            Group = "generic", Since = "7.0.0",
            Summary = "Get the expiration Unix timestamp for a key in milliseconds",
            Complexity = "O(1)",
            KeySpecs = [new(KeySpecFlags.RO | KeySpecFlags.Access, BeginSearch.ByIndex(1), FindKeys.Range(0, 1, 0))],
            Arguments =
            [
                new("key", ArgType.Key) { KeySpecIndex = 0 },
            ],
        });

        t.Add(new()
        {
            Name = "persist", Arity = 2, Flags = CommandFlags.Write | CommandFlags.Fast, Categories = ["@keyspace", "@write", "@fast"],
            FirstKey = 1, LastKey = 1, KeyStep = 1,
            Proc = Persist,
            Group = "generic", Since = "2.2.0",
            Summary = "Remove the expiration from a key",
            Complexity = "O(1)",
            KeySpecs = [new(KeySpecFlags.RW | KeySpecFlags.Update, BeginSearch.ByIndex(1), FindKeys.Range(0, 1, 0))],
            Arguments =
            [
                new("key", ArgType.Key) { KeySpecIndex = 0 },
            ],
        });

        t.Add(new()
        {
            Name = "type", Arity = 2, Flags = CommandFlags.ReadOnly | CommandFlags.Fast, Categories = ["@keyspace", "@read", "@fast"],
            FirstKey = 1, LastKey = 1, KeyStep = 1,
            Proc = Type,
            Group = "generic", Since = "1.0.0",
            Summary = "Determine the type stored at key",
            Complexity = "O(1)",
            KeySpecs = [new(KeySpecFlags.RO, BeginSearch.ByIndex(1), FindKeys.Range(0, 1, 0))],
            Arguments =
            [
                new("key", ArgType.Key) { KeySpecIndex = 0 },
            ],
        });

        t.Add(new()
        {
            Name = "rename", Arity = 3, Flags = CommandFlags.Write, Categories = ["@keyspace", "@write", "@slow"],
            FirstKey = 1, LastKey = 2, KeyStep = 1,
            Proc = Rename,
            Group = "generic", Since = "1.0.0",
            Summary = "Rename a key",
            Complexity = "O(1)",
            KeySpecs = [new(KeySpecFlags.RW | KeySpecFlags.Access | KeySpecFlags.Delete, BeginSearch.ByIndex(1), FindKeys.Range(0, 1, 0)), new(KeySpecFlags.OW | KeySpecFlags.Update, BeginSearch.ByIndex(2), FindKeys.Range(0, 1, 0))],
            Arguments =
            [
                new("key", ArgType.Key) { KeySpecIndex = 0 },
                new("newkey", ArgType.Key) { KeySpecIndex = 1 },
            ],
        });

        t.Add(new()
        {
            Name = "renamenx", Arity = 3, Flags = CommandFlags.Write | CommandFlags.Fast, Categories = ["@keyspace", "@write", "@fast"],
            FirstKey = 1, LastKey = 2, KeyStep = 1,
            Proc = RenameNx,
            Group = "generic", Since = "1.0.0",
            Summary = "Rename a key, only if the new key does not exist",
            Complexity = "O(1)",
            History =
            [
                ("3.2.0", "The command no longer returns an error when source and destination names are the same."),
            ],
            KeySpecs = [new(KeySpecFlags.RW | KeySpecFlags.Access | KeySpecFlags.Delete, BeginSearch.ByIndex(1), FindKeys.Range(0, 1, 0)), new(KeySpecFlags.OW | KeySpecFlags.Insert, BeginSearch.ByIndex(2), FindKeys.Range(0, 1, 0))],
            Arguments =
            [
                new("key", ArgType.Key) { KeySpecIndex = 0 },
                new("newkey", ArgType.Key) { KeySpecIndex = 1 },
            ],
        });

        t.Add(new()
        {
            Name = "keys", Arity = 2, Flags = CommandFlags.ReadOnly, Categories = ["@keyspace", "@read", "@slow", "@dangerous"],
            Proc = Keys,
            Group = "generic", Since = "1.0.0",
            Summary = "Find all keys matching the given pattern",
            Complexity = "O(N) with N being the number of keys in the database, under the assumption that the key names in the database and the given pattern have limited length.",
            Tips = ["request_policy:all_shards", "nondeterministic_output_order"],
            Arguments =
            [
                new("pattern", ArgType.Pattern),
            ],
        });

        t.Add(new()
        {
            Name = "touch", Arity = -2, Flags = CommandFlags.ReadOnly | CommandFlags.Fast, Categories = ["@keyspace", "@read", "@fast"],
            FirstKey = 1, LastKey = -1, KeyStep = 1,
            Proc = Touch,
            Group = "generic", Since = "3.2.1",
            Summary = "Alters the last access time of a key(s). Returns the number of existing keys specified.",
            Complexity = "O(N) where N is the number of keys that will be touched.",
            Tips = ["request_policy:multi_shard", "response_policy:agg_sum"],
            KeySpecs = [new(KeySpecFlags.RO, BeginSearch.ByIndex(1), FindKeys.Range(-1, 1, 0))],
            Arguments =
            [
                new("key", ArgType.Key) { KeySpecIndex = 0, Flags = ArgFlags.Multiple },
            ],
        });

        t.Add(new()
        {
            Name = "copy", Arity = -3, Flags = CommandFlags.Write | CommandFlags.DenyOom, Categories = ["@keyspace", "@write", "@slow"],
            FirstKey = 1, LastKey = 2, KeyStep = 1,
            Proc = Copy,
            Group = "generic", Since = "6.2.0",
            Summary = "Copy a key",
            Complexity = "O(N) worst case for collections, where N is the number of nested items. O(1) for string values.",
            KeySpecs = [new(KeySpecFlags.RO | KeySpecFlags.Access, BeginSearch.ByIndex(1), FindKeys.Range(0, 1, 0)), new(KeySpecFlags.OW | KeySpecFlags.Update, BeginSearch.ByIndex(2), FindKeys.Range(0, 1, 0))],
            Arguments =
            [
                new("source", ArgType.Key) { KeySpecIndex = 0 },
                new("destination", ArgType.Key) { KeySpecIndex = 1 },
                new("destination-db", ArgType.Integer) { Token = "DB", Flags = ArgFlags.Optional },
                new("replace", ArgType.PureToken) { Token = "REPLACE", Flags = ArgFlags.Optional },
            ],
        });

        t.Add(new()
        {
            Name = "move", Arity = 3, Flags = CommandFlags.Write | CommandFlags.Fast, Categories = ["@keyspace", "@write", "@fast"],
            FirstKey = 1, LastKey = 1, KeyStep = 1,
            Proc = Move,
            Group = "generic", Since = "1.0.0",
            Summary = "Move a key to another database",
            Complexity = "O(1)",
            KeySpecs = [new(KeySpecFlags.RW | KeySpecFlags.Access | KeySpecFlags.Update, BeginSearch.ByIndex(1), FindKeys.Range(0, 1, 0))],
            Arguments =
            [
                new("key", ArgType.Key) { KeySpecIndex = 0 },
                new("db", ArgType.Integer),
            ],
        });

        t.Add(new()
        {
            Name = "swapdb", Arity = 3, Flags = CommandFlags.Write | CommandFlags.Fast, Categories = ["@keyspace", "@write", "@fast", "@dangerous"],
            Proc = SwapDb,
            Group = "server", Since = "4.0.0",
            Summary = "Swaps two Redis databases",
            Complexity = "O(N) where N is the count of clients watching or blocking on keys from both databases.",
            Arguments =
            [
                new("index1", ArgType.Integer),
                new("index2", ArgType.Integer),
            ],
        });


        t.Add(new()
        {
            Name = "scan", Arity = -2, Flags = CommandFlags.ReadOnly, Categories = ["@keyspace", "@read", "@slow"],
            Proc = Scan,
            Group = "generic", Since = "2.8.0",
            Summary = "Incrementally iterate the keys space",
            Complexity = "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection.",
            Tips = ["nondeterministic_output", "request_policy:special"],
            History =
            [
                ("6.0.0", "Added the `TYPE` subcommand."),
            ],
            Arguments =
            [
                new("cursor", ArgType.Integer),
                new("pattern", ArgType.Pattern) { Token = "MATCH", Flags = ArgFlags.Optional },
                new("count", ArgType.Integer) { Token = "COUNT", Flags = ArgFlags.Optional },
                new("type", ArgType.String) { Token = "TYPE", Since = "6.0.0", Flags = ArgFlags.Optional },
            ],
        });

        t.Add(new()
        {
            Name = "randomkey", Arity = 1, Flags = CommandFlags.ReadOnly, Categories = ["@keyspace", "@read", "@slow"],
            Proc = RandomKey,
            Group = "generic", Since = "1.0.0",
            Summary = "Return a random key from the keyspace",
            Complexity = "O(1)",
            Tips = ["request_policy:all_shards", "nondeterministic_output"],
        });

        var objectCommand = new CommandDef
        {
            Name = "object", Arity = -2, Categories = ["@slow"],
            Group = "generic", Since = "2.2.3",
            Summary = "A container for object introspection commands",
            Complexity = "Depends on subcommand.",
        };

        objectCommand.AddSubcommand(new()
        {
            Name = "encoding", Arity = 3, Flags = CommandFlags.ReadOnly, Categories = ["@keyspace", "@read", "@slow"],
            FirstKey = 2, LastKey = 2, KeyStep = 1,
            Proc = ObjectEncoding,
            Group = "generic", Since = "2.2.3",
            Summary = "Inspect the internal encoding of a Redis object",
            Complexity = "O(1)",
            Tips = ["nondeterministic_output"],
            KeySpecs = [new(KeySpecFlags.RO, BeginSearch.ByIndex(2), FindKeys.Range(0, 1, 0))],
            Arguments =
            [
                new("key", ArgType.Key) { KeySpecIndex = 0 },
            ],
        });

        objectCommand.AddSubcommand(new()
        {
            Name = "freq", Arity = 3, Flags = CommandFlags.ReadOnly, Categories = ["@keyspace", "@read", "@slow"],
            FirstKey = 2, LastKey = 2, KeyStep = 1,
            Proc = ObjectFreq,
            Group = "generic", Since = "4.0.0",
            Summary = "Get the logarithmic access frequency counter of a Redis object",
            Complexity = "O(1)",
            Tips = ["nondeterministic_output"],
            KeySpecs = [new(KeySpecFlags.RO, BeginSearch.ByIndex(2), FindKeys.Range(0, 1, 0))],
            Arguments =
            [
                new("key", ArgType.Key) { KeySpecIndex = 0 },
            ],
        });

        objectCommand.AddSubcommand(new()
        {
            Name = "help", Arity = 2, Flags = CommandFlags.Loading | CommandFlags.Stale, Categories = ["@keyspace", "@slow"],
            Proc = ObjectHelp,
            Group = "generic", Since = "6.2.0",
            Summary = "Show helpful text about the different subcommands",
            Complexity = "O(1)",
        });

        objectCommand.AddSubcommand(new()
        {
            Name = "idletime", Arity = 3, Flags = CommandFlags.ReadOnly, Categories = ["@keyspace", "@read", "@slow"],
            FirstKey = 2, LastKey = 2, KeyStep = 1,
            Proc = ObjectIdleTime,
            Group = "generic", Since = "2.2.3",
            Summary = "Get the time since a Redis object was last accessed",
            Complexity = "O(1)",
            Tips = ["nondeterministic_output"],
            KeySpecs = [new(KeySpecFlags.RO, BeginSearch.ByIndex(2), FindKeys.Range(0, 1, 0))],
            Arguments =
            [
                new("key", ArgType.Key) { KeySpecIndex = 0 },
            ],
        });

        objectCommand.AddSubcommand(new()
        {
            Name = "refcount", Arity = 3, Flags = CommandFlags.ReadOnly, Categories = ["@keyspace", "@read", "@slow"],
            FirstKey = 2, LastKey = 2, KeyStep = 1,
            Proc = ObjectRefCount,
            Group = "generic", Since = "2.2.3",
            Summary = "Get the number of references to the value of the key",
            Complexity = "O(1)",
            Tips = ["nondeterministic_output"],
            KeySpecs = [new(KeySpecFlags.RO, BeginSearch.ByIndex(2), FindKeys.Range(0, 1, 0))],
            Arguments =
            [
                new("key", ArgType.Key) { KeySpecIndex = 0 },
            ],
        });

        t.Add(objectCommand);

        t.Add(new()
        {
            Name = "wait", Arity = 3, Flags = CommandFlags.NoScript, Categories = ["@slow", "@connection"],
            Proc = Wait,
            Group = "generic", Since = "3.0.0",
            Summary = "Wait for the synchronous replication of all the write commands sent in the context of the current connection",
            Complexity = "O(1)",
            Tips = ["request_policy:all_shards", "response_policy:agg_min"],
            Arguments =
            [
                new("numreplicas", ArgType.Integer),
                new("timeout", ArgType.Integer),
            ],
        });
    }

    static void Del(Client c, CommandArgs a)
    {
        long n = 0;
        for (int i = 1; i < a.Count; i++)
            if (c.Server.DeleteKey(c.Db, a[i])) n++;
        c.Reply.Integer(n);
    }

    static void Exists(Client c, CommandArgs a)
    {
        long n = 0;
        for (int i = 1; i < a.Count; i++) if (c.Db.Exists(a[i])) n++;
        c.Reply.Integer(n);
    }

    [Flags]
    enum ExpireCondition { None = 0, Nx = 1, Xx = 2, Gt = 4, Lt = 8 }

    static void Expire(Client c, CommandArgs a) => SetExpire(c, a, "expire", relative: true, seconds: true);
    static void PExpire(Client c, CommandArgs a) => SetExpire(c, a, "pexpire", relative: true, seconds: false);
    static void ExpireAt(Client c, CommandArgs a) => SetExpire(c, a, "expireat", relative: false, seconds: true);
    static void PExpireAt(Client c, CommandArgs a) => SetExpire(c, a, "pexpireat", relative: false, seconds: false);

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
                c.Reply.Error($"Unsupported option {a.GetString(j)}");
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
        if (!IntegerText.TryParse(a[2], out long when))
        {
            c.Reply.Error("value is not an integer or out of range");
            return;
        }
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
        // A deadline already past deletes the key at once (Redis turns the command into a DEL).
        if (when <= now)
        {
            c.Server.DeleteKey(db, a[1]);
        }
        else
        {
            db.SetExpire(a[1], when);
            c.Server.Notify(NotifyFlags.Generic, "expire", db, a[1]);
        }
        c.Reply.Integer(1);
    }

    static void Ttl(Client c, CommandArgs a) => ReplyTtl(c, a, milliseconds: false, absolute: false);
    static void PTtl(Client c, CommandArgs a) => ReplyTtl(c, a, milliseconds: true, absolute: false);
    static void ExpireTime(Client c, CommandArgs a) => ReplyTtl(c, a, milliseconds: false, absolute: true);
    static void PExpireTime(Client c, CommandArgs a) => ReplyTtl(c, a, milliseconds: true, absolute: true);

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

    static void Persist(Client c, CommandArgs a)
    {
        bool removed = c.Db.Exists(a[1]) && c.Db.RemoveExpire(a[1]);
        if (removed) c.Server.Notify(NotifyFlags.Generic, "persist", c.Db, a[1]);
        c.Reply.Integer(removed ? 1 : 0);
    }

    static void Type(Client c, CommandArgs a)
    {
        int entry = c.Db.Lookup(a[1], touch: false);
        c.Reply.Simple(entry < 0 ? "none"u8 : TypeName(c.Db.Keys.Item(entry)));
    }

    static void Touch(Client c, CommandArgs a)
    {
        long n = 0;
        for (int i = 1; i < a.Count; i++) if (c.Db.Exists(a[i])) n++;
        c.Reply.Integer(n);
    }

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

    static void Rename(Client c, CommandArgs a) => RenameKey(c, a, onlyIfAbsent: false);
    static void RenameNx(Client c, CommandArgs a) => RenameKey(c, a, onlyIfAbsent: true);

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
        c.Server.Notify(NotifyFlags.Generic, "rename_from", db, a[1]);
        c.Server.Notify(NotifyFlags.Generic, "rename_to", db, a[2]);
        if (onlyIfAbsent) c.Reply.Integer(1);
        else c.Reply.Ok();
    }

    /// <summary>A database index as SELECT, MOVE and COPY read it; replies the error and returns false.</summary>
    static bool ParseDbIndex(Client c, ReadOnlySpan<byte> text, out Db db)
    {
        db = c.Db;
        if (!IntegerText.TryParse(text, out long index) || index < int.MinValue || index > int.MaxValue)
        {
            c.Reply.Error("value is not an integer or out of range");
            return false;
        }
        if (index < 0 || index >= c.Server.Databases.Length)
        {
            c.Reply.Error("DB index is out of range");
            return false;
        }
        db = c.Server.Databases[index];
        return true;
    }

    static void Move(Client c, CommandArgs a)
    {
        if (!ParseDbIndex(c, a[2], out var target)) return;
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
        c.Server.Notify(NotifyFlags.Generic, "move_from", source, a[1]);
        c.Server.Notify(NotifyFlags.Generic, "move_to", target, a[1]);
        c.Reply.Integer(1);
    }

    /// <summary>COPY source destination [DB index] [REPLACE]: the copy gets the source's deadline.</summary>
    static void Copy(Client c, CommandArgs a)
    {
        var target = c.Db;
        bool replace = false;
        for (int j = 3; j < a.Count; j++)
        {
            if (a.Is(j, "replace")) replace = true;
            else if (a.Is(j, "db") && j + 1 < a.Count)
            {
                if (!ParseDbIndex(c, a[++j], out target)) return;
            }
            else
            {
                c.Reply.Error("syntax error");
                return;
            }
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
        c.Server.Notify(NotifyFlags.Generic, "copy_to", target, a[2]);
        c.Reply.Integer(1);
    }

    static void SwapDb(Client c, CommandArgs a)
    {
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
        c.Reply.Ok();
    }

    /// <summary>
    /// SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]: walk the table from the cursor until
    /// COUNT entries were collected (at most 10×COUNT buckets), then drop keys that do not match
    /// the pattern or type and keys that have expired (deleting them, as Redis does).
    /// </summary>
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
            if (type != 0 && !Ascii.EqualsIgnoreCase(a[type], TypeName(db.Keys.Item(entry)))) continue;
            var copy = key.ToArray();
            if (db.Lookup(copy, touch: false) < 0) continue;
            keys.Add(copy);
        }
        ScanOptions.ReplyCursor(c, cursor);
        c.Reply.ArrayHeader(keys.Count);
        foreach (var key in keys) c.Reply.Bulk(key);
    }

    static ReadOnlySpan<byte> TypeName(object item) => item is byte[] or RawString ? "string"u8 : ((StoredObject)item).Type switch
    {
        DataType.List => "list"u8,
        DataType.Set => "set"u8,
        DataType.ZSet => "zset"u8,
        DataType.Hash => "hash"u8,
        DataType.Stream => "stream"u8,
        _ => "string"u8,
    };

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

    static void ObjectHelp(Client c, CommandArgs a) => HelpReply.Write(c, s_objectHelp);

    /// <summary>OBJECT looks without touching; a missing key answers nil before anything else.</summary>
    static bool ObjectLookup(Client c, CommandArgs a, out int entry)
    {
        entry = c.Db.Lookup(a[2], touch: false);
        if (entry >= 0) return true;
        c.Reply.Null();
        return false;
    }

    static void ObjectEncoding(Client c, CommandArgs a)
    {
        if (!ObjectLookup(c, a, out int entry)) return;
        var item = c.Db.Keys.Item(entry);
        if (item is StoredObject stored)
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

    static void ObjectRefCount(Client c, CommandArgs a)
    {
        if (!ObjectLookup(c, a, out int entry)) return;
        // Redis shares the integers 0..9999; their count reads as INT_MAX.
        c.Reply.Integer(c.Db.Keys.IsShared(entry) ? int.MaxValue : 1);
    }

    const string PolicySwitchNote = " Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.";

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

    /// <summary>
    /// WAIT numreplicas timeout: Vermilion has no replicas, so no write is ever acknowledged. As
    /// Redis with none attached, WAIT 0 answers 0 at once; otherwise the client blocks until the
    /// timeout (0 = forever, or CLIENT UNBLOCK) and then answers 0.
    /// </summary>
    static void Wait(Client c, CommandArgs a)
    {
        if (!IntegerText.TryParse(a[1], out long replicas))
        {
            c.Reply.Error("value is not an integer or out of range");
            return;
        }
        if (!IntegerText.TryParse(a[2], out long timeout))
        {
            c.Reply.Error("timeout is not an integer or out of range");
            return;
        }
        if (timeout < 0)
        {
            c.Reply.Error("timeout is negative");
            return;
        }
        if (replicas <= 0) c.Reply.Integer(0);
        else c.Server.BlockForReplicas(c, timeout);
    }
}
