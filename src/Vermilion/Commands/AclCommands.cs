using System.Security.Cryptography;
using System.Text;
using Vermilion.Protocol;
using Vermilion.Security;
using Vermilion.Server;

namespace Vermilion.Commands;

/// <summary>The ACL family (acl.c's aclCommand): users, their rules, the categories, the log. The rules themselves live in Security/.</summary>
public static partial class AclCommands
{
    static readonly string[] s_help =
    [
        "ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "CAT [<category>]",
        "    List all commands that belong to <category>, or all command categories",
        "    when no category is specified.",
        "DELUSER <username> [<username> ...]",
        "    Delete a list of users.",
        "DRYRUN <username> <command> [<arg> ...]",
        "    Returns whether the user can execute the given command without executing the command.",
        "GETUSER <username>",
        "    Get the user's details.",
        "GENPASS [<bits>]",
        "    Generate a secure 256-bit user password. The optional `bits` argument can",
        "    be used to specify a different size.",
        "LIST",
        "    Show users details in config file format.",
        "LOAD",
        "    Reload users from the ACL file.",
        "LOG [<count> | RESET]",
        "    Show the ACL log entries.",
        "SAVE",
        "    Save the current config to the ACL file.",
        "SETUSER <username> <attribute> [<attribute> ...]",
        "    Create or modify a user with the specified attributes.",
        "USERS",
        "    List all the registered usernames.",
        "WHOAMI",
        "    Return the current connection username.",
        "HELP",
        "    Prints this help.",
    ];

    [Command("acl|help")] static void Help(Client c, CommandArgs a) => HelpReply.Write(c, s_help);

    static string Latin1(ReadOnlySpan<byte> bytes) => Encoding.Latin1.GetString(bytes);

    /// <summary>ACL SETUSER name rule...: all rules or none; a changed user's pub/sub clients that lost a channel are disconnected.</summary>
    [Command("acl|setuser")]
    static void SetUser(Client c, CommandArgs a)
    {
        string name = Latin1(a[2]);
        if (AclSelector.HasSpaces(name))
        {
            c.Reply.Error("Usernames can't contain spaces or null characters");
            return;
        }
        var rules = new string[a.Count - 3];
        for (int i = 3; i < a.Count; i++) rules[i - 3] = Latin1(a[i]);
        string? error = c.Server.Acl.SetUser(name, rules, out var user, out var before);
        if (error is not null)
        {
            c.Reply.Error(error);
            return;
        }
        if (before is not null) KillPubsubClientsIfNeeded(c, user!, before);
        c.Reply.Ok();
    }

    /// <summary>
    /// ACLKillPubsubClientsIfNeeded: unless the new rules allow every channel, or every channel
    /// pattern the user had is still listed, the user's subscribed clients holding a channel or
    /// pattern the new list refuses are disconnected.
    /// </summary>
    static void KillPubsubClientsIfNeeded(Client caller, AclUser now, AclUser before)
    {
        if (now.Selectors.Exists(s => s.AllChannels)) return;
        var upcoming = now.Selectors.SelectMany(s => s.Channels).ToList();
        bool superset = !before.Selectors.Exists(s => s.AllChannels)
            && before.Selectors.All(s => s.Channels.All(upcoming.Contains));
        if (superset) return;
        var check = new AclUser(caller.Server.Acl, "");
        check.Apply("resetchannels");
        foreach (var ch in upcoming) check.Apply("&" + ch);
        var server = caller.Server;
        foreach (var other in server.Clients.ToList())
        {
            if (other.User != now || other.Subscriptions is not { } subs) continue;
            bool kill = subs.Patterns.Exists(p => !check.Root.AllowsChannelPublic(p, true))
                || subs.Channels.Exists(ch => !check.Root.AllowsChannelPublic(ch, false))
                || subs.ShardChannels.Exists(ch => !check.Root.AllowsChannelPublic(ch, false));
            if (!kill) continue;
            if (other == caller) caller.Flags |= ClientFlags.CloseAfterReply;
            else server.FreeClient(other);
        }
    }

    /// <summary>ACL DELUSER name...: the default user cannot go; a deleted user's clients are disconnected (ACLFreeUserAndKillClients).</summary>
    [Command("acl|deluser")]
    static void DelUser(Client c, CommandArgs a)
    {
        for (int j = 2; j < a.Count; j++)
            if (a[j].SequenceEqual("default"u8))
            {
                c.Reply.Error("The 'default' user cannot be removed");
                return;
            }
        var server = c.Server;
        int deleted = 0;
        for (int j = 2; j < a.Count; j++)
        {
            if (!server.Acl.Users.Remove(Latin1(a[j]), out var user)) continue;
            deleted++;
            DisconnectUser(c, user);
        }
        c.Reply.Integer(deleted);
    }

    /// <summary>The user's clients go back to the unauthenticated default user and are closed (the caller after this reply).</summary>
    internal static void DisconnectUser(Client caller, AclUser user)
    {
        var server = caller.Server;
        foreach (var other in server.Clients.ToList())
        {
            if (other.User != user) continue;
            other.User = server.Acl.DefaultUser;
            other.Authenticated = false;
            if (other == caller) caller.Flags |= ClientFlags.CloseAfterReply;
            else server.FreeClientAsync(other);
        }
    }

    /// <summary>ACL GETUSER name: flags, passwords, the root selector's commands/keys/channels, then the other selectors.</summary>
    [Command("acl|getuser")]
    static void GetUser(Client c, CommandArgs a)
    {
        var user = c.Server.Acl.GetUser(a[2]);
        var r = c.Reply;
        if (user is null)
        {
            r.Null();
            return;
        }
        r.MapHeader(6);
        r.Bulk("flags"u8);
        var flags = user.FlagNames().ToList();
        r.SetHeader(flags.Count);
        foreach (var f in flags) r.Bulk(f);
        r.Bulk("passwords"u8);
        r.ArrayHeader(user.Passwords.Count);
        foreach (var p in user.Passwords) r.Bulk(p);
        WriteSelector(r, user.Root);
        r.Bulk("selectors"u8);
        r.ArrayHeader(user.Selectors.Count - 1);
        for (int i = 1; i < user.Selectors.Count; i++)
        {
            r.MapHeader(3);
            WriteSelector(r, user.Selectors[i]);
        }
    }

    static void WriteSelector(ReplyWriter r, AclSelector s)
    {
        r.Bulk("commands"u8);
        r.Bulk(Encoding.Latin1.GetBytes(s.DescribeCommands()));
        r.Bulk("keys"u8);
        r.Bulk(Encoding.Latin1.GetBytes(s.DescribeKeys()));
        r.Bulk("channels"u8);
        r.Bulk(Encoding.Latin1.GetBytes(s.DescribeChannels()));
    }

    /// <summary>ACL LIST: each user as a config-file line, "user name rules".</summary>
    [Command("acl|list")]
    static void List(Client c, CommandArgs a)
    {
        var users = c.Server.Acl.Users;
        c.Reply.ArrayHeader(users.Count);
        foreach (var u in users.Values) c.Reply.Bulk(Encoding.Latin1.GetBytes("user " + u.Name + " " + u.Describe()));
    }

    [Command("acl|users")]
    static void Users(Client c, CommandArgs a)
    {
        var users = c.Server.Acl.Users;
        c.Reply.ArrayHeader(users.Count);
        foreach (var u in users.Values) c.Reply.Bulk(u.NameBytes);
    }

    [Command("acl|whoami")]
    static void WhoAmI(Client c, CommandArgs a)
    {
        if (c.User is { } u) c.Reply.Bulk(u.NameBytes);
        else c.Reply.Null();
    }

    /// <summary>ACL CAT [category]: the category names, or the commands (and subcommands) in one.</summary>
    [Command("acl|cat")]
    static void Cat(Client c, CommandArgs a)
    {
        if (a.Count > 3)
        {
            HelpReply.SubcommandSyntaxError(c, a);
            return;
        }
        if (a.Count == 2)
        {
            c.Reply.ArrayHeader(AclCategories.Names.Length);
            foreach (var n in AclCategories.Names) c.Reply.Bulk(n);
            return;
        }
        ulong category = AclCategories.ByName(Latin1(a[2]));
        if (category == 0)
        {
            c.Reply.Error($"Unknown category '{a.GetCString(2, 128)}'");
            return;
        }
        var acl = c.Server.Acl;
        var names = acl.CommandsInOrder.Where(cmd => (acl.CategoriesOf(cmd) & category) != 0).ToList();
        c.Reply.ArrayHeader(names.Count);
        foreach (var cmd in names) c.Reply.Bulk(cmd.FullName);
    }

    /// <summary>ACL GENPASS [bits]: random hex, (bits+3)/4 digits, 256 bits unless told.</summary>
    [Command("acl|genpass")]
    static void GenPass(Client c, CommandArgs a)
    {
        if (a.Count > 3)
        {
            HelpReply.SubcommandSyntaxError(c, a);
            return;
        }
        long bits = 256;
        if (a.Count == 3 && !LongArgument.Parse(c, a[2], out bits)) return;
        if (bits <= 0 || bits > 4096)
        {
            c.Reply.Error("ACL GENPASS argument must be the number of bits for the output password, a positive number up to 4096");
            return;
        }
        int chars = (int)((bits + 3) / 4);
        var hex = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes((chars + 1) / 2));
        c.Reply.Bulk(hex[..chars]);
    }

    /// <summary>ACL LOG [count|RESET]: the newest entries first (10 unless told), each a map of seven fields.</summary>
    [Command("acl|log")]
    static void Log(Client c, CommandArgs a)
    {
        if (a.Count > 3)
        {
            HelpReply.SubcommandSyntaxError(c, a);
            return;
        }
        var log = c.Server.Acl.Log;
        long count = 10;
        if (a.Count == 3)
        {
            if (a.Is(2, "reset"))
            {
                log.Entries.Clear();
                c.Reply.Ok();
                return;
            }
            if (!LongArgument.Parse(c, a[2], out count)) return;
            if (count < 0) count = 0;
        }
        count = Math.Min(count, log.Entries.Count);
        var r = c.Reply;
        r.ArrayHeader(count);
        long now = c.Server.UnixTimeMs;
        foreach (var e in log.Entries)
        {
            if (count-- == 0) break;
            r.MapHeader(7);
            r.Bulk("count"u8); r.Integer(e.Count);
            r.Bulk("reason"u8);
            r.Bulk(e.Reason switch { AclDenial.Command => "command", AclDenial.Key => "key", AclDenial.Channel => "channel", AclDenial.Auth => "auth", _ => "unknown" });
            r.Bulk("context"u8);
            r.Bulk(e.Context switch { AclLogContext.TopLevel => "toplevel", AclLogContext.Multi => "multi", AclLogContext.Lua => "lua", _ => "module" });
            r.Bulk("object"u8); r.Bulk(e.Object);
            r.Bulk("username"u8); r.Bulk(e.Username);
            r.Bulk("age-seconds"u8); r.Double((now - e.CreatedMs) / 1000.0);
            r.Bulk("client-info"u8); r.Bulk(e.ClientInfo);
        }
    }

    /// <summary>ACL DRYRUN user command arg...: OK, or (as a bulk string) why the user may not run it.</summary>
    [Command("acl|dryrun")]
    static void DryRun(Client c, CommandArgs a)
    {
        var server = c.Server;
        var user = server.Acl.GetUser(a[2]);
        if (user is null)
        {
            c.Reply.Error($"User '{a.GetCString(2)}' not found");
            return;
        }
        var cmd = server.Commands.Lookup(a[3]);
        if (cmd?.Subcommands is not null && a.Count - 3 >= 2) cmd = CommandTable.LookupSub(cmd, a[4]);
        if (cmd is null)
        {
            c.Reply.Error($"Command '{a.GetCString(3)}' not found");
            return;
        }
        if (!cmd.ArityAccepts(a.Count - 3))
        {
            c.Reply.Error($"wrong number of arguments for '{cmd.FullName}' command");
            return;
        }
        var result = server.Acl.Check(user, cmd, a, 3, out int position);
        switch (result)
        {
            case AclDenial.None: c.Reply.Ok(); break;
            case AclDenial.Command: c.Reply.Bulk($"This user has no permissions to run the '{cmd.FullName}' command"); break;
            case AclDenial.Key: c.Reply.Bulk(Concat("This user has no permissions to access the '", a[3 + position], "' key")); break;
            default: c.Reply.Bulk(Concat("This user has no permissions to access the '", a[3 + position], "' channel")); break;
        }
    }

    static byte[] Concat(string before, ReadOnlySpan<byte> middle, string after) =>
        [.. Encoding.ASCII.GetBytes(before), .. middle, .. Encoding.ASCII.GetBytes(after)];

    /// <summary>ACL LOAD and SAVE need an aclfile; without one, Redis's error.</summary>
    static bool HasAclFile(Client c)
    {
        if (c.Server.Config.AclFileName.Length > 0) return true;
        c.Reply.Error("This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store users in the Redis configuration.");
        return false;
    }

    /// <summary>ACL LOAD: the aclfile replaces every user, or nothing changes; users gone are disconnected.</summary>
    [Command("acl|load")]
    static void Load(Client c, CommandArgs a)
    {
        var server = c.Server;
        if (!HasAclFile(c)) return;
        if (AclFile.Load(server.Acl, server.Config.AclFileName, out var removed) is { } errors)
        {
            c.Reply.Error(errors);
            return;
        }
        foreach (var u in removed) DisconnectUser(c, u);
        c.Reply.Ok();
    }

    [Command("acl|save")]
    static void Save(Client c, CommandArgs a)
    {
        var server = c.Server;
        if (!HasAclFile(c)) return;
        if (AclFile.Save(server.Acl, server.Config.AclFileName) is { } error)
        {
            server.Log.Warning(error);
            c.Reply.Error("There was an error trying to save the ACLs. Please check the server logs for more information");
            return;
        }
        c.Reply.Ok();
    }
}
