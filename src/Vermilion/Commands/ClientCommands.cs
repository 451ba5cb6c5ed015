using System.Text;
using Vermilion.Protocol;
using Vermilion.Server;

namespace Vermilion.Commands;

/// <summary>
/// CLIENT and its subcommands. Replies and errors follow Redis 7.0.15; SETINFO and NO-TOUCH
/// come from Redis 7.2 (clients send SETINFO on connect), as the README notes.
/// </summary>
public static partial class ClientCommands
{
    public const string InvalidNameError = "Client names cannot contain spaces, newlines or special characters.";

    static readonly string[] s_help =
    [
        "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "CACHING (YES|NO)",
        "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
        "GETREDIR",
        "    Return the client ID we are redirecting to when tracking is enabled.",
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
        "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
        "         [OPTIN] [OPTOUT] [NOLOOP]",
        "    Control server assisted client side caching.",
        "TRACKINGINFO",
        "    Report tracking status for the current connection.",
        "NO-EVICT (ON|OFF)",
        "    Protect current client connection from eviction.",
        "NO-TOUCH (ON|OFF)",
        "    Will not touch LRU/LFU stats when this mode is on.",
        "HELP",
        "    Prints this help.",
    ];

    [Command("client|help")] static void Help(Client c, CommandArgs a) => HelpReply.Write(c, s_help);

    [Command("client|id")] static void Id(Client c, CommandArgs a) => c.Reply.Integer(c.Id);

    [Command("client|getname")]
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

    [Command("client|setname")]
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

    [Command("client|setinfo")]
    static void SetInfo(Client c, CommandArgs a)
    {
        bool libName = a.Is(2, "lib-name");
        if (!libName && !a.Is(2, "lib-ver"))
        {
            c.Reply.Error($"Unrecognized option '{a.GetCString(2)}'");
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

    [Command("client|info")] static void Info(Client c, CommandArgs a) => c.Reply.Verbatim(ClientInfo.Line(c) + "\n");

    [Command("client|list")]
    static void List(Client c, CommandArgs a)
    {
        HashSet<long>? ids = null;
        if (a.Count == 4 && a.Is(2, "type"))
        {
            var type = ParseType(a.GetString(3));
            if (type is null)
            {
                c.Reply.Error($"Unknown client type '{a.GetCString(3)}'");
                return;
            }
            ids = [];
            foreach (var other in c.Server.Clients)
                if (ClientInfo.TypeName(other) == type) ids.Add(other.Id);
        }
        else if (a.Count > 3 && a.Is(2, "id"))
        {
            ids = [];
            for (int j = 3; j < a.Count; j++)
            {
                // Any integer is accepted (0 or -1 just match nobody); only non-integers are refused.
                if (!IntegerText.TryParse(a[j], out long id))
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
    [Command("client|kill")]
    static void Kill(Client c, CommandArgs a)
    {
        var server = c.Server;
        if (a.Count == 3)
        {
            string addr = a.GetCString(2);
            foreach (var other in server.Clients.ToList())
            {
                if (other.Conn is null || other.PeerId != addr) continue;
                c.Reply.Ok();
                KillClient(c, other);
                return;
            }
            c.Reply.Error("No such client");
            return;
        }
        long id = 0;
        string? type = null, addrFilter = null, laddrFilter = null;
        Vermilion.Security.AclUser? user = null;
        bool skipMe = true;
        for (int j = 2; j < a.Count; j += 2)
        {
            if (j + 1 >= a.Count)
            {
                c.Reply.Error("syntax error");
                return;
            }
            string value = a.GetCString(j + 1);
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
                user = server.Acl.GetUser(a[j + 1]);
                if (user is null)
                {
                    c.Reply.Error($"No such user '{value}'");
                    return;
                }
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
            if (type is not null && ClientInfo.TypeName(other) != type) continue;
            var conn = other.Conn;
            if (addrFilter is not null && (conn is null || other.PeerId != addrFilter)) continue;
            if (laddrFilter is not null && (conn is null || conn.Type.LocalAddress(conn, server) != laddrFilter)) continue;
            if (user is not null && other.User != user) continue;
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

    [Command("client|pause")]
    static void Pause(Client c, CommandArgs a)
    {
        if (a.Count > 4)
        {
            HelpReply.SubcommandSyntaxError(c, a);
            return;
        }
        if (!LongArgument.ParseTimeoutMs(c, a[2], out long ms)) return;
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
        c.Server.PauseClients(PausePurpose.ClientCommand, c.Server.UnixTimeMs + ms, mode);
        c.Reply.Ok();
    }

    [Command("client|unpause")]
    static void Unpause(Client c, CommandArgs a)
    {
        c.Server.UnpauseClients(PausePurpose.ClientCommand);
        c.Reply.Ok();
    }

    [Command("client|reply")]
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

    [Command("client|no-evict")] static void NoEvict(Client c, CommandArgs a) => OnOff(c, a, ClientFlags.NoEvict);
    [Command("client|no-touch")] static void NoTouch(Client c, CommandArgs a) => OnOff(c, a, ClientFlags.NoTouch);

    /// <summary>Clients blocked on keys or in WAIT can be unblocked; a client postponed by CLIENT PAUSE cannot (as Redis).</summary>
    [Command("client|unblock")]
    static void Unblock(Client c, CommandArgs a)
    {
        if (a.Count > 4)
        {
            HelpReply.SubcommandSyntaxError(c, a);
            return;
        }
        if (a.Count == 4 && !a.Is(3, "timeout") && !a.Is(3, "error"))
        {
            c.Reply.Error("CLIENT UNBLOCK reason should be TIMEOUT or ERROR");
            return;
        }
        if (!LongArgument.Parse(c, a[2], out long id)) return;
        var target = c.Server.FindClient(id);
        bool error = a.Count == 4 && a.Is(3, "error");
        bool unblocked = target is not null && (c.Server.EndWaitForReplicas(target, error)
            || c.Server.UnblockByRequest(target, error));
        c.Reply.Integer(unblocked ? 1 : 0);
    }

    /// <summary>
    /// CLIENT TRACKING ON|OFF [REDIRECT id] [BCAST] [PREFIX p ...] [OPTIN] [OPTOUT] [NOLOOP], with
    /// Redis's checks: a mode cannot change while tracking is on, prefixes need BCAST and must not
    /// overlap, the redirect client must exist.
    /// </summary>
    [Command("client|tracking")]
    static void Tracking(Client c, CommandArgs a)
    {
        bool on = a.Is(2, "on");
        if (!on && !a.Is(2, "off"))
        {
            c.Reply.Error("syntax error");
            return;
        }
        var state = new TrackingState();
        for (int j = 3; j < a.Count; j++)
        {
            bool more = j + 1 < a.Count;
            if (a.Is(j, "redirect") && more)
            {
                j++;
                if (!LongArgument.Parse(c, a[j], out long id)) return;
                if (id != c.Id && c.Server.FindClient(id) is null)
                {
                    c.Reply.Error("The client ID you want redirect to does not exist");
                    return;
                }
                state.RedirectId = id;
            }
            else if (a.Is(j, "bcast")) state.Bcast = true;
            else if (a.Is(j, "optin")) state.OptIn = true;
            else if (a.Is(j, "optout")) state.OptOut = true;
            else if (a.Is(j, "noloop")) state.NoLoop = true;
            else if (a.Is(j, "prefix") && more) state.Prefixes.Add(a.ToArray(++j));
            else
            {
                c.Reply.Error("syntax error");
                return;
            }
        }
        if (!on)
        {
            c.Server.DisableTracking(c);
            c.Reply.Ok();
            return;
        }
        var current = c.Tracking;
        if (current is not null && current.Bcast != state.Bcast)
        {
            c.Reply.Error("You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode.");
            return;
        }
        if (state.OptIn && state.OptOut)
        {
            c.Reply.Error("You can't specify both OPTIN mode and OPTOUT mode");
            return;
        }
        if (current is not null && ((state.OptIn && current.OptOut) || (state.OptOut && current.OptIn)))
        {
            c.Reply.Error("You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode.");
            return;
        }
        if (state.Bcast && (state.OptIn || state.OptOut))
        {
            c.Reply.Error("OPTIN and OPTOUT are not compatible with BCAST");
            return;
        }
        if (!state.Bcast && state.Prefixes.Count > 0)
        {
            c.Reply.Error("PREFIX option requires BCAST mode to be enabled");
            return;
        }
        // checkPrefixCollisionsOrReply: a new prefix must not overlap the client's existing ones nor the other new ones.
        var existing = current is { Bcast: true } ? current.Prefixes : [];
        for (int i = 0; i < state.Prefixes.Count; i++)
        {
            var p = state.Prefixes[i];
            foreach (var q in existing)
                if (!p.AsSpan().SequenceEqual(q) && (p.AsSpan().StartsWith(q) || q.AsSpan().StartsWith(p)))
                {
                    c.Reply.Error($"Prefix '{CommandArgs.CString(p)}' overlaps with an existing prefix '{CommandArgs.CString(q)}'. Prefixes for a single client must not overlap.");
                    return;
                }
            for (int k = i + 1; k < state.Prefixes.Count; k++)
            {
                var q = state.Prefixes[k];
                if (p.AsSpan().StartsWith(q) || q.AsSpan().StartsWith(p))
                {
                    c.Reply.Error($"Prefix '{CommandArgs.CString(p)}' overlaps with another provided prefix '{CommandArgs.CString(q)}'. Prefixes for a single client must not overlap.");
                    return;
                }
            }
        }
        c.Server.EnableTracking(c, state);
        c.Reply.Ok();
    }

    [Command("client|caching")]
    static void Caching(Client c, CommandArgs a)
    {
        var t = c.Tracking;
        if (t is null)
        {
            c.Reply.Error("CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled");
            return;
        }
        if (a.Is(2, "yes"))
        {
            if (!t.OptIn)
            {
                c.Reply.Error("CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.");
                return;
            }
            t.CachingYes = true;
        }
        else if (a.Is(2, "no"))
        {
            if (!t.OptOut)
            {
                c.Reply.Error("CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.");
                return;
            }
            t.CachingNo = true;
        }
        else
        {
            c.Reply.Error("syntax error");
            return;
        }
        c.Reply.Ok();
    }

    [Command("client|getredir")] static void GetRedir(Client c, CommandArgs a) => c.Reply.Integer(c.Tracking is null ? -1 : c.Tracking.RedirectId);

    [Command("client|trackinginfo")]
    static void TrackingInfo(Client c, CommandArgs a)
    {
        var t = c.Tracking;
        c.Reply.MapHeader(3);
        c.Reply.Bulk("flags"u8);
        if (t is null)
        {
            c.Reply.SetHeader(1);
            c.Reply.Bulk("off"u8);
        }
        else
        {
            var flags = new List<string> { "on" };
            if (t.Bcast) flags.Add("bcast");
            if (t.OptIn) flags.Add("optin");
            if (t.OptIn && t.CachingYes) flags.Add("caching-yes");
            if (t.OptOut) flags.Add("optout");
            if (t.OptOut && t.CachingNo) flags.Add("caching-no");
            if (t.NoLoop) flags.Add("noloop");
            if (t.RedirectBroken) flags.Add("broken_redirect");
            c.Reply.SetHeader(flags.Count);
            foreach (var f in flags) c.Reply.Bulk(f);
        }
        c.Reply.Bulk("redirect"u8);
        c.Reply.Integer(t is null ? -1 : t.RedirectId);
        c.Reply.Bulk("prefixes"u8);
        // Redis keeps a client's prefixes in a radix tree, so they come out in byte order.
        var prefixes = t is { Bcast: true } ? t.Prefixes.OrderBy(p => p, Comparer<byte[]>.Create((x, y) => x.AsSpan().SequenceCompareTo(y))).ToList() : [];
        c.Reply.ArrayHeader(prefixes.Count);
        foreach (var p in prefixes) c.Reply.Bulk(p);
    }
}
