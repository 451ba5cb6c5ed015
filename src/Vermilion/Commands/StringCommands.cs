using System.Text;

namespace Vermilion;

/// <summary>
/// The string family. This first keyspace has SET (NX, XX, GET), GET and INCR; expiry options and
/// the rest of the family come with the real keyspace (see the README's compatibility table).
/// </summary>
public static class StringCommands
{
    public static void Register(CommandTable t)
    {
        t.Add(new()
        {
            Name = "get", Arity = 2, Flags = CommandFlags.ReadOnly | CommandFlags.Fast, Categories = ["@read", "@string", "@fast"],
            FirstKey = 1, LastKey = 1, KeyStep = 1,
            Proc = Get,
            Group = "string", Since = "1.0.0",
            Summary = "Get the value of a key",
            Complexity = "O(1)",
            KeySpecs = [new(KeySpecFlags.RO | KeySpecFlags.Access, BeginSearch.ByIndex(1), FindKeys.Range(0, 1, 0))],
            Arguments =
            [
                new("key", ArgType.Key) { KeySpecIndex = 0 },
            ],
        });

        t.Add(new()
        {
            Name = "set", Arity = -3, Flags = CommandFlags.Write | CommandFlags.DenyOom, Categories = ["@write", "@string", "@slow"],
            FirstKey = 1, LastKey = 1, KeyStep = 1,
            Proc = Set, GetKeys = SetGetKeys,
            Group = "string", Since = "1.0.0",
            Summary = "Set the string value of a key",
            Complexity = "O(1)",
            History =
            [
                ("2.6.12", "Added the `EX`, `PX`, `NX` and `XX` options."),
                ("6.0.0", "Added the `KEEPTTL` option."),
                ("6.2.0", "Added the `GET`, `EXAT` and `PXAT` option."),
                ("7.0.0", "Allowed the `NX` and `GET` options to be used together."),
            ],
            KeySpecs = [new(KeySpecFlags.RW | KeySpecFlags.Access | KeySpecFlags.Update | KeySpecFlags.VariableFlags, BeginSearch.ByIndex(1), FindKeys.Range(0, 1, 0)) { Notes = "RW and ACCESS due to the optional `GET` argument" }],
            Arguments =
            [
                new("key", ArgType.Key) { KeySpecIndex = 0 },
                new("value", ArgType.String),
                new("condition", ArgType.OneOf)
                {
                    Since = "2.6.12",
                    Flags = ArgFlags.Optional,
                    Arguments =
                    [
                        new("nx", ArgType.PureToken) { Token = "NX" },
                        new("xx", ArgType.PureToken) { Token = "XX" },
                    ],
                },
                new("get", ArgType.PureToken) { Token = "GET", Since = "6.2.0", Flags = ArgFlags.Optional },
                new("expiration", ArgType.OneOf)
                {
                    Flags = ArgFlags.Optional,
                    Arguments =
                    [
                        new("seconds", ArgType.Integer) { Token = "EX", Since = "2.6.12" },
                        new("milliseconds", ArgType.Integer) { Token = "PX", Since = "2.6.12" },
                        new("unix-time-seconds", ArgType.UnixTime) { Token = "EXAT", Since = "6.2.0" },
                        new("unix-time-milliseconds", ArgType.UnixTime) { Token = "PXAT", Since = "6.2.0" },
                        new("keepttl", ArgType.PureToken) { Token = "KEEPTTL", Since = "6.0.0" },
                    ],
                },
            ],
        });

        t.Add(new()
        {
            Name = "incr", Arity = 2, Flags = CommandFlags.Write | CommandFlags.DenyOom | CommandFlags.Fast, Categories = ["@write", "@string", "@fast"],
            FirstKey = 1, LastKey = 1, KeyStep = 1,
            Proc = Incr,
            Group = "string", Since = "1.0.0",
            Summary = "Increment the integer value of a key by one",
            Complexity = "O(1)",
            KeySpecs = [new(KeySpecFlags.RW | KeySpecFlags.Access | KeySpecFlags.Update, BeginSearch.ByIndex(1), FindKeys.Range(0, 1, 0))],
            Arguments =
            [
                new("key", ArgType.Key) { KeySpecIndex = 0 },
            ],
        });
    }

    /// <summary>setGetKeys: the key is overwritten, or read and updated when GET is given (the key spec's variable_flags).</summary>
    static bool SetGetKeys(IReadOnlyList<byte[]> argv, List<KeyReference> keys)
    {
        for (int i = 3; i < argv.Count; i++)
        {
            if (Ascii.EqualsIgnoreCase(argv[i], "get"u8))
            {
                keys.Add(new(1, KeySpecFlags.RW | KeySpecFlags.Access | KeySpecFlags.Update));
                return true;
            }
        }
        keys.Add(new(1, KeySpecFlags.OW | KeySpecFlags.Update));
        return true;
    }

    static void Get(Client c, CommandArgs a)
    {
        var value = c.Db.Get(a[1]);
        if (value is null)
        {
            c.Server.Stats.KeyspaceMisses++;
            c.Reply.Null();
            return;
        }
        c.Server.Stats.KeyspaceHits++;
        c.Reply.Bulk(value);
    }

    static void Set(Client c, CommandArgs a)
    {
        bool nx = false, xx = false, get = false;
        for (int j = 3; j < a.Count; j++)
        {
            if (a.Is(j, "nx") && !xx) nx = true;
            else if (a.Is(j, "xx") && !nx) xx = true;
            else if (a.Is(j, "get")) get = true;
            else
            {
                c.Reply.Error("syntax error");
                return;
            }
        }
        var old = get || nx || xx ? c.Db.Get(a[1]) : null;
        if ((nx && old is not null) || (xx && old is null))
        {
            if (get) { if (old is null) c.Reply.Null(); else c.Reply.Bulk(old); }
            else c.Reply.Null();
            return;
        }
        if (get)
        {
            // The old value must be replied before Set may overwrite its array in place.
            if (old is null) c.Reply.Null(); else c.Reply.Bulk(old);
            c.Db.Set(a[1], a[2]);
            return;
        }
        c.Db.Set(a[1], a[2]);
        c.Reply.Ok();
    }

    static void Incr(Client c, CommandArgs a)
    {
        var old = c.Db.Get(a[1]);
        long value = 0;
        if (old is not null && !IntegerText.TryParse(old, out value))
        {
            c.Reply.Error("value is not an integer or out of range");
            return;
        }
        if (value == long.MaxValue)
        {
            c.Reply.Error("increment or decrement would overflow");
            return;
        }
        value++;
        Span<byte> text = stackalloc byte[20];
        c.Db.Set(a[1], text[..IntegerText.Format(value, text)]);
        c.Reply.Integer(value);
    }
}
