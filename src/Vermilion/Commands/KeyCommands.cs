namespace Vermilion;

/// <summary>The generic key family: DEL, UNLINK and EXISTS for now (the keyspace issue brings the rest).</summary>
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
    }

    static void Del(Client c, CommandArgs a)
    {
        long n = 0;
        for (int i = 1; i < a.Count; i++) if (c.Db.Delete(a[i])) n++;
        c.Reply.Integer(n);
    }

    static void Exists(Client c, CommandArgs a)
    {
        long n = 0;
        for (int i = 1; i < a.Count; i++) if (c.Db.Exists(a[i])) n++;
        c.Reply.Integer(n);
    }
}
