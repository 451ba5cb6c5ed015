using System.Text;

namespace Vermilion;

/// <summary>
/// CLIENT and its subcommands. Replies and errors follow Redis 7.0.15; SETINFO and NO-TOUCH
/// come from Redis 7.2 (clients send SETINFO on connect), as the README notes.
/// </summary>
public static class ClientCommands
{
    public const string InvalidNameError = "Client names cannot contain spaces, newlines or special characters.";

    static readonly string[] s_help =
    [
        "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "GETNAME",
        "    Return the name of the current connection.",
        "ID",
        "    Return the ID of the current connection.",
        "INFO",
        "    Return information about the current client connection.",
        "KILL <ip:port>",
        "    Kill connection made from <ip:port>.",
        "KILL <option> <value> [<option> <value> [...]]",
        "    Kill connections. Options are:",
        "    * ADDR (<ip:port>|<unixsocket>:0)",
        "      Kill connections made from the specified address",
        "    * LADDR (<ip:port>|<unixsocket>:0)",
        "      Kill connections made to specified local address",
        "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
        "      Kill connections by type.",
        "    * USER <username>",
        "      Kill connections authenticated by <username>.",
        "    * SKIPME (YES|NO)",
        "      Skip killing current connection (default: yes).",
        "LIST [options ...]",
        "    Return information about client connections. Options:",
        "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
        "      Return clients of specified type.",
        "UNPAUSE",
        "    Stop the current client pause, resuming traffic.",
        "PAUSE <timeout> [WRITE|ALL]",
        "    Suspend all, or just write, clients for <timeout> milliseconds.",
        "REPLY (ON|OFF|SKIP)",
        "    Control the replies sent to the current connection.",
        "SETNAME <name>",
        "    Assign the name <name> to the current connection.",
        "SETINFO <LIB-NAME|LIB-VER> <value>",
        "    Set client meta attr. Options are:",
        "    * LIB-NAME: the client lib name.",
        "    * LIB-VER: the client lib version.",
        "UNBLOCK <clientid> [TIMEOUT|ERROR]",
        "    Unblock the specified blocked client.",
        "NO-EVICT (ON|OFF)",
        "    Protect current client connection from eviction.",
        "NO-TOUCH (ON|OFF)",
        "    Will not touch LRU/LFU stats when this mode is on.",
        "HELP",
        "    Prints this help.",
    ];

    public static void Register(CommandTable t)
    {
        var client = new CommandDef
        {
            Name = "client", Arity = -2, Categories = ["@slow"],
            Group = "connection", Since = "2.4.0",
            Summary = "A container for client connection commands",
            Complexity = "Depends on subcommand.",
        };

        client.AddSubcommand(new()
        {
            Name = "id", Arity = 2, Flags = CommandFlags.NoScript | CommandFlags.Loading | CommandFlags.Stale, Categories = ["@slow", "@connection"],
            Proc = Id,
            Group = "connection", Since = "5.0.0",
            Summary = "Returns the client ID for the current connection",
            Complexity = "O(1)",
        });

        client.AddSubcommand(new()
        {
            Name = "getname", Arity = 2, Flags = CommandFlags.NoScript | CommandFlags.Loading | CommandFlags.Stale, Categories = ["@slow", "@connection"],
            Proc = GetName,
            Group = "connection", Since = "2.6.9",
            Summary = "Get the current connection name",
            Complexity = "O(1)",
        });

        client.AddSubcommand(new()
        {
            Name = "setname", Arity = 3, Flags = CommandFlags.NoScript | CommandFlags.Loading | CommandFlags.Stale, Categories = ["@slow", "@connection"],
            Proc = SetName,
            Group = "connection", Since = "2.6.9",
            Summary = "Set the current connection name",
            Complexity = "O(1)",
            Arguments =
            [
                new("connection-name", ArgType.String),
            ],
        });

        // SETINFO and NO-TOUCH come from Redis 7.2 (7.2.1's metadata).
        client.AddSubcommand(new()
        {
            Name = "setinfo", Arity = 4, Flags = CommandFlags.NoScript | CommandFlags.Loading | CommandFlags.Stale, Categories = ["@slow", "@connection"],
            Proc = SetInfo,
            Group = "connection", Since = "7.2.0",
            Summary = "Sets information specific to the client or connection.",
            Complexity = "O(1)",
            Tips = ["request_policy:all_nodes", "response_policy:all_succeeded"],
            Arguments =
            [
                new("attr", ArgType.OneOf)
                {
                    Arguments =
                    [
                        new("libname", ArgType.String) { Token = "LIB-NAME" },
                        new("libver", ArgType.String) { Token = "LIB-VER" },
                    ],
                },
            ],
        });

        client.AddSubcommand(new()
        {
            Name = "info", Arity = 2, Flags = CommandFlags.NoScript | CommandFlags.Loading | CommandFlags.Stale, Categories = ["@slow", "@connection"],
            Proc = Info,
            Group = "connection", Since = "6.2.0",
            Summary = "Returns information about the current client connection.",
            Complexity = "O(1)",
            Tips = ["nondeterministic_output"],
        });

        client.AddSubcommand(new()
        {
            Name = "list", Arity = -2, Flags = CommandFlags.Admin | CommandFlags.NoScript | CommandFlags.Loading | CommandFlags.Stale, Categories = ["@admin", "@slow", "@dangerous", "@connection"],
            Proc = List,
            Group = "connection", Since = "2.4.0",
            Summary = "Get the list of client connections",
            Complexity = "O(N) where N is the number of client connections",
            Tips = ["nondeterministic_output"],
            History =
            [
                ("2.8.12", "Added unique client `id` field."),
                ("5.0.0", "Added optional `TYPE` filter."),
                ("6.0.0", "Added `user` field."),
                ("6.2.0", "Added `argv-mem`, `tot-mem`, `laddr` and `redir` fields and the optional `ID` filter."),
                ("7.0.0", "Added `resp`, `multi-mem`, `rbs` and `rbp` fields."),
                ("7.0.3", "Added `ssub` field."),
            ],
            Arguments =
            [
                new("normal_master_replica_pubsub", ArgType.OneOf)
                {
                    Token = "TYPE",
                    Since = "5.0.0",
                    Flags = ArgFlags.Optional,
                    Arguments =
                    [
                        new("normal", ArgType.PureToken) { Token = "NORMAL" },
                        new("master", ArgType.PureToken) { Token = "MASTER" },
                        new("replica", ArgType.PureToken) { Token = "REPLICA" },
                        new("pubsub", ArgType.PureToken) { Token = "PUBSUB" },
                    ],
                },
                new("id", ArgType.Block)
                {
                    Token = "ID",
                    Since = "6.2.0",
                    Flags = ArgFlags.Optional,
                    Arguments =
                    [
                        new("client-id", ArgType.Integer) { Flags = ArgFlags.Multiple },
                    ],
                },
            ],
        });

        client.AddSubcommand(new()
        {
            Name = "kill", Arity = -3, Flags = CommandFlags.Admin | CommandFlags.NoScript | CommandFlags.Loading | CommandFlags.Stale, Categories = ["@admin", "@slow", "@dangerous", "@connection"],
            Proc = Kill,
            Group = "connection", Since = "2.4.0",
            Summary = "Kill the connection of a client",
            Complexity = "O(N) where N is the number of client connections",
            History =
            [
                ("2.8.12", "Added new filter format."),
                ("2.8.12", "`ID` option."),
                ("3.2.0", "Added `master` type in for `TYPE` option."),
                ("5.0.0", "Replaced `slave` `TYPE` with `replica`. `slave` still supported for backward compatibility."),
                ("6.2.0", "`LADDR` option."),
            ],
            Arguments =
            [
                new("filter", ArgType.OneOf)
                {
                    Arguments =
                    [
                        new("ip:port", ArgType.String) { DeprecatedSince = "2.8.12" },
                        new("new-format", ArgType.OneOf)
                        {
                            Flags = ArgFlags.Multiple,
                            Arguments =
                            [
                                new("client-id", ArgType.Integer) { Token = "ID", Since = "2.8.12", Flags = ArgFlags.Optional },
                                new("normal_master_slave_pubsub", ArgType.OneOf)
                                {
                                    Token = "TYPE",
                                    Since = "2.8.12",
                                    Flags = ArgFlags.Optional,
                                    Arguments =
                                    [
                                        new("normal", ArgType.PureToken) { Token = "NORMAL" },
                                        new("master", ArgType.PureToken) { Token = "MASTER", Since = "3.2.0" },
                                        new("slave", ArgType.PureToken) { Token = "SLAVE" },
                                        new("replica", ArgType.PureToken) { Token = "REPLICA", Since = "5.0.0" },
                                        new("pubsub", ArgType.PureToken) { Token = "PUBSUB" },
                                    ],
                                },
                                new("username", ArgType.String) { Token = "USER", Flags = ArgFlags.Optional },
                                new("ip:port", ArgType.String) { Token = "ADDR", Flags = ArgFlags.Optional },
                                new("ip:port", ArgType.String) { Token = "LADDR", Since = "6.2.0", Flags = ArgFlags.Optional },
                                new("yes/no", ArgType.String) { Token = "SKIPME", Flags = ArgFlags.Optional },
                            ],
                        },
                    ],
                },
            ],
        });

        client.AddSubcommand(new()
        {
            Name = "pause", Arity = -3, Flags = CommandFlags.Admin | CommandFlags.NoScript | CommandFlags.Loading | CommandFlags.Stale, Categories = ["@admin", "@slow", "@dangerous", "@connection"],
            Proc = Pause,
            Group = "connection", Since = "2.9.50",
            Summary = "Stop processing commands from clients for some time",
            Complexity = "O(1)",
            History =
            [
                ("6.2.0", "`CLIENT PAUSE WRITE` mode added along with the `mode` option."),
            ],
            Arguments =
            [
                new("timeout", ArgType.Integer),
                new("mode", ArgType.OneOf)
                {
                    Since = "6.2.0",
                    Flags = ArgFlags.Optional,
                    Arguments =
                    [
                        new("write", ArgType.PureToken) { Token = "WRITE" },
                        new("all", ArgType.PureToken) { Token = "ALL" },
                    ],
                },
            ],
        });

        client.AddSubcommand(new()
        {
            Name = "unpause", Arity = 2, Flags = CommandFlags.Admin | CommandFlags.NoScript | CommandFlags.Loading | CommandFlags.Stale, Categories = ["@admin", "@slow", "@dangerous", "@connection"],
            Proc = Unpause,
            Group = "connection", Since = "6.2.0",
            Summary = "Resume processing of clients that were paused",
            Complexity = "O(N) Where N is the number of paused clients",
        });

        client.AddSubcommand(new()
        {
            Name = "reply", Arity = 3, Flags = CommandFlags.NoScript | CommandFlags.Loading | CommandFlags.Stale, Categories = ["@slow", "@connection"],
            Proc = Reply,
            Group = "connection", Since = "3.2.0",
            Summary = "Instruct the server whether to reply to commands",
            Complexity = "O(1)",
            Arguments =
            [
                new("on_off_skip", ArgType.OneOf)
                {
                    Arguments =
                    [
                        new("on", ArgType.PureToken) { Token = "ON" },
                        new("off", ArgType.PureToken) { Token = "OFF" },
                        new("skip", ArgType.PureToken) { Token = "SKIP" },
                    ],
                },
            ],
        });

        client.AddSubcommand(new()
        {
            Name = "no-evict", Arity = 3, Flags = CommandFlags.Admin | CommandFlags.NoScript | CommandFlags.Loading | CommandFlags.Stale, Categories = ["@admin", "@slow", "@dangerous", "@connection"],
            Proc = NoEvict,
            Group = "connection", Since = "7.0.0",
            Summary = "Set client eviction mode for the current connection",
            Complexity = "O(1)",
            Arguments =
            [
                new("enabled", ArgType.OneOf)
                {
                    Arguments =
                    [
                        new("on", ArgType.PureToken) { Token = "ON" },
                        new("off", ArgType.PureToken) { Token = "OFF" },
                    ],
                },
            ],
        });

        client.AddSubcommand(new()
        {
            Name = "no-touch", Arity = 3, Flags = CommandFlags.NoScript | CommandFlags.Loading | CommandFlags.Stale, Categories = ["@slow", "@connection"],
            Proc = NoTouch,
            Group = "connection", Since = "7.2.0",
            Summary = "Controls whether commands sent by the client affect the LRU/LFU of accessed keys.",
            Complexity = "O(1)",
            Arguments =
            [
                new("enabled", ArgType.OneOf)
                {
                    Arguments =
                    [
                        new("on", ArgType.PureToken) { Token = "ON" },
                        new("off", ArgType.PureToken) { Token = "OFF" },
                    ],
                },
            ],
        });

        client.AddSubcommand(new()
        {
            Name = "unblock", Arity = -3, Flags = CommandFlags.Admin | CommandFlags.NoScript | CommandFlags.Loading | CommandFlags.Stale, Categories = ["@admin", "@slow", "@dangerous", "@connection"],
            Proc = Unblock,
            Group = "connection", Since = "5.0.0",
            Summary = "Unblock a client blocked in a blocking command from a different connection",
            Complexity = "O(log N) where N is the number of client connections",
            Arguments =
            [
                new("client-id", ArgType.Integer),
                new("timeout_error", ArgType.OneOf)
                {
                    Flags = ArgFlags.Optional,
                    Arguments =
                    [
                        new("timeout", ArgType.PureToken) { Token = "TIMEOUT" },
                        new("error", ArgType.PureToken) { Token = "ERROR" },
                    ],
                },
            ],
        });

        client.AddSubcommand(new()
        {
            Name = "help", Arity = 2, Flags = CommandFlags.Loading | CommandFlags.Stale, Categories = ["@slow", "@connection"],
            Proc = Help,
            Group = "connection", Since = "5.0.0",
            Summary = "Show helpful text about the different subcommands",
            Complexity = "O(1)",
        });

        t.Add(client);
    }

    internal static void ReplyHelp(Client c, string[] lines)
    {
        c.Reply.ArrayHeader(lines.Length);
        foreach (var l in lines) c.Reply.Simple(l);
    }

    static void Help(Client c, CommandArgs a) => ReplyHelp(c, s_help);

    static void Id(Client c, CommandArgs a) => c.Reply.Integer(c.Id);

    static void GetName(Client c, CommandArgs a)
    {
        if (c.Name is null) c.Reply.Null();
        else c.Reply.Bulk(c.Name);
    }

    /// <summary>validateClientName: every byte printable and not a space ('!'..'~').</summary>
    public static bool IsValidName(ReadOnlySpan<byte> name)
    {
        foreach (byte b in name) if (b < '!' || b > '~') return false;
        return true;
    }

    static void SetName(Client c, CommandArgs a)
    {
        if (!IsValidName(a[2]))
        {
            c.Reply.Error(InvalidNameError);
            return;
        }
        c.Name = a.Length(2) == 0 ? null : a.GetString(2);
        c.Reply.Ok();
    }

    static void SetInfo(Client c, CommandArgs a)
    {
        bool libName = a.Is(2, "lib-name");
        if (!libName && !a.Is(2, "lib-ver"))
        {
            c.Reply.Error($"Unrecognized option '{a.GetString(2)}'");
            return;
        }
        if (!IsValidName(a[3]))
        {
            c.Reply.Error($"{(libName ? "lib-name" : "lib-ver")} cannot contain spaces, newlines or special characters.");
            return;
        }
        string? value = a.Length(3) == 0 ? null : a.GetString(3);
        if (libName) c.LibName = value; else c.LibVersion = value;
        c.Reply.Ok();
    }

    static void Info(Client c, CommandArgs a) => c.Reply.Verbatim(ClientInfo.Line(c) + "\n");

    static void List(Client c, CommandArgs a)
    {
        HashSet<long>? ids = null;
        if (a.Count == 4 && a.Is(2, "type"))
        {
            var type = ParseType(a.GetString(3));
            if (type is null)
            {
                c.Reply.Error($"Unknown client type '{a.GetString(3)}'");
                return;
            }
            // Only normal clients exist so far: replicas, masters and pub/sub clients come later.
            if (type != "normal") ids = [];
        }
        else if (a.Count > 3 && a.Is(2, "id"))
        {
            ids = [];
            for (int j = 3; j < a.Count; j++)
            {
                if (!IntegerText.TryParse(a[j], out long id) || id <= 0)
                {
                    c.Reply.Error("Invalid client ID");
                    return;
                }
                ids.Add(id);
            }
        }
        else if (a.Count != 2)
        {
            c.Reply.Error("syntax error");
            return;
        }
        var sb = new StringBuilder();
        foreach (var other in c.Server.Clients)
            if (ids is null || ids.Contains(other.Id)) sb.Append(ClientInfo.Line(other)).Append('\n');
        c.Reply.Verbatim(sb.ToString());
    }

    static string? ParseType(string t) => t.ToLowerInvariant() switch
    {
        "normal" => "normal",
        "slave" or "replica" => "replica",
        "master" => "master",
        "pubsub" => "pubsub",
        _ => null,
    };

    /// <summary>CLIENT KILL, old form (an address; may kill the caller) and new form (filters, SKIPME yes by default).</summary>
    static void Kill(Client c, CommandArgs a)
    {
        var server = c.Server;
        if (a.Count == 3)
        {
            string addr = a.GetString(2);
            foreach (var other in server.Clients.ToList())
            {
                if (other.Conn is null || other.Conn.Type.PeerAddress(other.Conn, server) != addr) continue;
                c.Reply.Ok();
                KillClient(c, other);
                return;
            }
            c.Reply.Error("No such client");
            return;
        }
        long id = 0;
        string? type = null, addrFilter = null, laddrFilter = null, user = null;
        bool skipMe = true;
        for (int j = 2; j < a.Count; j += 2)
        {
            if (j + 1 >= a.Count)
            {
                c.Reply.Error("syntax error");
                return;
            }
            string value = a.GetString(j + 1);
            if (a.Is(j, "id"))
            {
                if (!IntegerText.TryParse(a[j + 1], out id) || id <= 0)
                {
                    c.Reply.Error("client-id should be greater than 0");
                    return;
                }
            }
            else if (a.Is(j, "type"))
            {
                type = ParseType(value);
                if (type is null)
                {
                    c.Reply.Error($"Unknown client type '{value}'");
                    return;
                }
            }
            else if (a.Is(j, "addr")) addrFilter = value;
            else if (a.Is(j, "laddr")) laddrFilter = value;
            else if (a.Is(j, "user"))
            {
                if (value != "default")
                {
                    c.Reply.Error($"No such user '{value}'");
                    return;
                }
                user = value;
            }
            else if (a.Is(j, "skipme"))
            {
                if (value.Equals("yes", StringComparison.OrdinalIgnoreCase)) skipMe = true;
                else if (value.Equals("no", StringComparison.OrdinalIgnoreCase)) skipMe = false;
                else
                {
                    c.Reply.Error("syntax error");
                    return;
                }
            }
            else
            {
                c.Reply.Error("syntax error");
                return;
            }
        }
        var victims = new List<Client>();
        foreach (var other in server.Clients)
        {
            if (id != 0 && other.Id != id) continue;
            if (type is not null && type != "normal") continue;
            var conn = other.Conn;
            if (addrFilter is not null && (conn is null || conn.Type.PeerAddress(conn, server) != addrFilter)) continue;
            if (laddrFilter is not null && (conn is null || conn.Type.LocalAddress(conn, server) != laddrFilter)) continue;
            if (other == c && skipMe) continue;
            victims.Add(other);
        }
        c.Reply.Integer(victims.Count);
        foreach (var v in victims) KillClient(c, v);
    }

    /// <summary>Another client is freed at once; the caller itself closes after this reply.</summary>
    static void KillClient(Client caller, Client victim)
    {
        if (victim == caller) caller.Flags |= ClientFlags.CloseAfterReply;
        else caller.Server.FreeClient(victim);
    }

    static void Pause(Client c, CommandArgs a)
    {
        if (a.Count > 4)
        {
            SubcommandSyntaxError(c, a.GetString(1));
            return;
        }
        if (!IntegerText.TryParse(a[2], out long ms))
        {
            c.Reply.Error("timeout is not an integer or out of range");
            return;
        }
        if (ms < 0)
        {
            c.Reply.Error("timeout is negative");
            return;
        }
        var mode = PauseMode.All;
        if (a.Count == 4)
        {
            if (a.Is(3, "write")) mode = PauseMode.Write;
            else if (!a.Is(3, "all"))
            {
                c.Reply.Error("CLIENT PAUSE mode must be WRITE or ALL");
                return;
            }
        }
        c.Server.PauseClients(c.Server.UnixTimeMs + ms, mode);
        c.Reply.Ok();
    }

    static void Unpause(Client c, CommandArgs a)
    {
        c.Server.UnpauseClients();
        c.Reply.Ok();
    }

    static void Reply(Client c, CommandArgs a)
    {
        if (a.Is(2, "on"))
        {
            c.Flags &= ~(ClientFlags.ReplyOff | ClientFlags.ReplySkip | ClientFlags.ReplySkipNext);
            c.Reply.Muted = false;
            c.Reply.Ok();
        }
        else if (a.Is(2, "off"))
        {
            c.Flags = (c.Flags | ClientFlags.ReplyOff) & ~ClientFlags.ReplySkipNext;
        }
        else if (a.Is(2, "skip"))
        {
            if ((c.Flags & ClientFlags.ReplyOff) == 0) c.Flags |= ClientFlags.ReplySkipNext;
        }
        else c.Reply.Error("syntax error");
    }

    static void OnOff(Client c, CommandArgs a, ClientFlags flag)
    {
        if (a.Is(2, "on")) c.Flags |= flag;
        else if (a.Is(2, "off")) c.Flags &= ~flag;
        else
        {
            c.Reply.Error("syntax error");
            return;
        }
        c.Reply.Ok();
    }

    static void NoEvict(Client c, CommandArgs a) => OnOff(c, a, ClientFlags.NoEvict);
    static void NoTouch(Client c, CommandArgs a) => OnOff(c, a, ClientFlags.NoTouch);

    /// <summary>Clients blocked on keys or in WAIT can be unblocked; a client postponed by CLIENT PAUSE cannot (as Redis).</summary>
    static void Unblock(Client c, CommandArgs a)
    {
        if (a.Count > 4)
        {
            SubcommandSyntaxError(c, a.GetString(1));
            return;
        }
        if (a.Count == 4 && !a.Is(3, "timeout") && !a.Is(3, "error"))
        {
            c.Reply.Error("CLIENT UNBLOCK reason should be TIMEOUT or ERROR");
            return;
        }
        if (!IntegerText.TryParse(a[2], out long id))
        {
            c.Reply.Error("value is not an integer or out of range");
            return;
        }
        var target = c.Server.FindClient(id);
        bool error = a.Count == 4 && a.Is(3, "error");
        bool unblocked = target is not null && (c.Server.EndWaitForReplicas(target, error)
            || c.Server.UnblockByRequest(target, error));
        c.Reply.Integer(unblocked ? 1 : 0);
    }

    /// <summary>addReplySubcommandSyntaxError, for a known subcommand given a number of arguments it does not take.</summary>
    internal static void SubcommandSyntaxError(Client c, string sub) =>
        c.Reply.Error($"unknown subcommand or wrong number of arguments for '{sub}'. Try CLIENT HELP.");
}
