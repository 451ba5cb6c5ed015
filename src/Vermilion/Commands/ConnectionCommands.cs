using Vermilion.Protocol;
using Vermilion.Security;
using Vermilion.Server;

namespace Vermilion.Commands;

/// <summary>The connection family: PING, ECHO, QUIT, HELLO, AUTH, SELECT, RESET.</summary>
public static partial class ConnectionCommands
{
    [Command("ping")]
    static void Ping(Client c, CommandArgs a)
    {
        if (a.Count > 2)
        {
            c.Reply.Error("wrong number of arguments for 'ping' command");
            return;
        }
        // A subscribed RESP2 connection carries messages, so PING answers in their shape.
        if (c.Subscriptions is not null && c.Resp == 2)
        {
            c.Reply.ArrayHeader(2);
            c.Reply.Bulk("pong"u8);
            c.Reply.Bulk(a.Count == 1 ? default : a[1]);
        }
        else if (a.Count == 1) c.Reply.Raw("+PONG\r\n"u8);
        else c.Reply.Bulk(a[1]);
    }

    [Command("echo")] static void Echo(Client c, CommandArgs a) => c.Reply.Bulk(a[1]);

    [Command("quit")]
    static void Quit(Client c, CommandArgs a)
    {
        c.Reply.Ok();
        c.Flags |= ClientFlags.CloseAfterReply;
    }

    /// <summary>AUTH [username] password (authCommand): the two-argument form is the default user's, and refused while it is nopass.</summary>
    [Command("auth")]
    static void Auth(Client c, CommandArgs a)
    {
        if (a.Count > 3)
        {
            c.Reply.Error("syntax error");
            return;
        }
        if (a.Count == 2 && (c.Server.Acl.DefaultUser.Flags & AclUserFlags.NoPass) != 0)
        {
            c.Reply.Error("AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?");
            return;
        }
        if (Authenticate(c, a.Count == 2 ? "default"u8 : a[1], a[a.Count - 1], a)) c.Reply.Ok();
        else c.Reply.Error(WrongPass);
    }

    const string WrongPass = "-WRONGPASS invalid username-password pair or user is disabled.";

    /// <summary>ACLAuthenticateUser: on success the client runs as the user; a failure is logged as "auth" with AUTH's or HELLO's name.</summary>
    static bool Authenticate(Client c, ReadOnlySpan<byte> username, ReadOnlySpan<byte> password, CommandArgs a)
    {
        var acl = c.Server.Acl;
        if (acl.GetUser(username) is { } user && user.CheckPassword(password))
        {
            c.User = user;
            c.Authenticated = true;
            return true;
        }
        c.Server.LogAclDenial(c, AclDenial.Auth, c.Multi is not null ? AclLogContext.Multi : AclLogContext.TopLevel, null, a, 0, username.ToArray());
        return false;
    }

    [Command("hello")]
    static void Hello(Client c, CommandArgs a)
    {
        long version = 0;
        int next = 1;
        if (a.Count >= 2)
        {
            if (!IntegerText.TryParse(a[1], out version))
            {
                c.Reply.Error("Protocol version is not an integer or out of range");
                return;
            }
            next = 2;
            if (version < 2 || version > 3)
            {
                c.Reply.Error("-NOPROTO unsupported protocol version");
                return;
            }
        }
        // helloCommand takes its options in order: a SETNAME before a failing AUTH (or a bad option) stays set.
        for (int j = next; j < a.Count; j++)
        {
            int more = a.Count - 1 - j;
            if (a.Is(j, "auth") && more >= 2)
            {
                if (!Authenticate(c, a[j + 1], a[j + 2], a))
                {
                    c.Reply.Error(WrongPass);
                    return;
                }
                j += 2;
            }
            else if (a.Is(j, "setname") && more >= 1)
            {
                if (!ClientCommands.IsValidName(a[j + 1]))
                {
                    c.Reply.Error(ClientCommands.InvalidNameError);
                    return;
                }
                string name = a.GetString(j + 1);
                c.Name = name.Length == 0 ? null : name;
                j++;
            }
            else
            {
                c.Reply.Error($"Syntax error in HELLO option '{a.GetCString(j)}'");
                return;
            }
        }
        if (!c.Authenticated)
        {
            c.Reply.Error("-NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time");
            return;
        }
        if (version != 0) c.Reply.Resp = (int)version;
        var r = c.Reply;
        // Redis's seven pairs, plus our own version next to the Redis version clients gate features on.
        r.MapHeader(8);
        r.Bulk("server"u8); r.Bulk("redis"u8);
        r.Bulk("version"u8); r.Bulk(VermilionServer.RedisVersion);
        r.Bulk("vermilion_version"u8); r.Bulk(VermilionServer.VermilionVersion);
        r.Bulk("proto"u8); r.Integer(c.Resp);
        r.Bulk("id"u8); r.Integer(c.Id);
        r.Bulk("mode"u8); r.Bulk("standalone"u8);
        r.Bulk("role"u8); r.Bulk("master"u8);
        r.Bulk("modules"u8); r.ArrayHeader(0);
    }

    [Command("select")]
    static void Select(Client c, CommandArgs a)
    {
        // Cluster mode has only database 0.
        if (c.Server.Cluster is not null && IntegerText.TryParse(a[1], out long id) && id is >= int.MinValue and <= int.MaxValue and not 0)
        {
            c.Reply.Error("SELECT is not allowed in cluster mode");
            return;
        }
        if (!LongArgument.ParseDbIndex(c, a[1], out var db)) return;
        c.SelectDb(db.Id);
        c.Reply.Ok();
    }

    /// <summary>RESET: back to a fresh connection's state (db 0, RESP2, the default user as a new connection has it, no name, replies on, no subscriptions, no cluster ASKING/READONLY).</summary>
    [Command("reset")]
    static void Reset(Client c, CommandArgs a)
    {
        // clearClientConnectionState's clientSetDefaultAuth: authenticated only if the default user is on and nopass.
        c.User = c.Server.Acl.DefaultUser;
        c.Authenticated = c.Server.Acl.NewClientsAuthenticated;
        c.Server.UnsubscribeEverything(c);
        c.Server.DiscardTransaction(c);
        c.Server.DisableTracking(c);
        c.Server.StopMonitor(c);
        c.SelectDb(0);
        c.Reply.Resp = 2;
        c.Name = null;
        c.Flags &= ~(ClientFlags.ReplyOff | ClientFlags.ReplySkip | ClientFlags.ReplySkipNext | ClientFlags.NoEvict | ClientFlags.NoTouch | ClientFlags.Asking | ClientFlags.ReadOnly);
        c.Reply.Muted = false;
        c.Reply.Simple("RESET"u8);
    }
}
