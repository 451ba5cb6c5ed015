using System.Text;
using Vermilion.Commands;
using Vermilion.Protocol;

namespace Vermilion.Security;

/// <summary>The outcome of a permission check, ordered as acl.c's ACL_DENIED_* (a later selector's larger value wins the report).</summary>
public enum AclDenial { None = 0, Command = 1, Key = 2, Auth = 3, Channel = 4 }

/// <summary>
/// Redis 7.0's access control (acl.c), one per server. How data flows through it:
/// <list type="bullet">
/// <item>Users live in <see cref="Users"/> by name (byte order, as Redis's rax lists them); rules
/// (ACL SETUSER, `user` lines, the aclfile, requirepass) go through <see cref="SetUser"/>, which
/// applies them to a copy (<see cref="AclUser"/>, <see cref="AclSelector"/>) and keeps it only if
/// every rule was accepted.</item>
/// <item>A client carries its <see cref="AclUser"/> (Server/Client.cs); processCommand
/// (Server/Dispatch.cs) asks <see cref="Check"/> before running a command, unless the user is
/// <see cref="AclUser.Unrestricted"/> (the default user's one flag test on the hot path). Commands
/// are bits by <see cref="CommandDef.AclId"/>; keys come from the key specifications
/// (<see cref="KeyFinder"/>) with their read/write flags; channels from the pub/sub arguments.</item>
/// <item>Denials and failed AUTHs go to <see cref="AclLog"/> (ACL LOG).</item>
/// <item><see cref="AclFile"/> reads `user` lines and the aclfile, and writes the aclfile (ACL LOAD / SAVE).</item>
/// </list>
/// </summary>
public sealed class Acl
{
    readonly CommandTable _table;
    readonly List<CommandDef> _inOrder = new();
    readonly ulong[] _categories;
    public readonly SortedDictionary<string, AclUser> Users = new(StringComparer.Ordinal);
    public AclUser DefaultUser { get; private set; }
    public readonly AclLog Log = new();
    /// <summary>acl-pubsub-default: whether a new selector starts with allchannels (7.0's default: resetchannels).</summary>
    public bool PubsubDefaultAllChannels;

    public Acl(CommandTable table)
    {
        _table = table;
        foreach (var cmd in table.Original)
        {
            _inOrder.Add(cmd);
            if (cmd.Subcommands is not null) _inOrder.AddRange(cmd.Subcommands.Values.OrderBy(s => s.AclId));
        }
        CommandCount = _inOrder.Max(c => c.AclId) + 1;
        _categories = new ulong[CommandCount];
        foreach (var cmd in _inOrder) _categories[cmd.AclId] = AclCategories.Of(cmd.Spec);
        DefaultUser = CreateDefaultUser();
        Users["default"] = DefaultUser;
    }

    /// <summary>The size of the command bitmaps: one bit per command and subcommand.</summary>
    public int CommandCount { get; }
    public IReadOnlyList<CommandDef> CommandsInOrder => _inOrder;
    public ulong CategoriesOf(CommandDef cmd) => _categories[cmd.AclId];
    internal IEnumerable<CommandDef> SubcommandsOf(CommandDef cmd) => cmd.Subcommands!.Values;
    /// <summary>ACLLookupCommand: "get" or "config|get", any case, by the built names (orig_commands: rename-command does not change rules).</summary>
    internal CommandDef? LookupCommand(string name) => name.Length == 0 ? null : _table.LookupOriginal(name);

    /// <summary>ACLCreateDefaultUser: +@all ~* &amp;* on nopass.</summary>
    internal AclUser CreateDefaultUser()
    {
        var u = new AclUser(this, "default");
        foreach (var rule in (string[])["+@all", "~*", "&*", "on", "nopass"]) u.Apply(rule);
        return u;
    }

    public AclUser? GetUser(ReadOnlySpan<byte> name) => Users.GetValueOrDefault(Encoding.Latin1.GetString(name));

    /// <summary>ACLUpdateDefaultUserPassword: requirepass replaces the default user's passwords (nopass when empty).</summary>
    public void SetRequirePass(string? password)
    {
        DefaultUser.Apply("resetpass");
        DefaultUser.Apply(string.IsNullOrEmpty(password) ? "nopass" : ">" + password);
    }

    /// <summary>authRequired: the default user needs a password, or is off.</summary>
    public bool DefaultUserNeedsAuth => (DefaultUser.Flags & (AclUserFlags.NoPass | AclUserFlags.Disabled)) != AclUserFlags.NoPass;

    /// <summary>Whether a new connection starts authenticated (createClient): the default user is nopass and on.</summary>
    public bool NewClientsAuthenticated => !DefaultUserNeedsAuth;

    /// <summary>ACLSetUserStringError: the text for a refused rule.</summary>
    public static string ErrorText(AclRuleError e) => e switch
    {
        AclRuleError.UnknownName => "Unknown command or category name in ACL",
        AclRuleError.Syntax => "Syntax error",
        AclRuleError.KeyAfterAll => "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns",
        AclRuleError.ChannelAfterAll => "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels",
        AclRuleError.NoSuchPassword => "The password you are trying to remove from the user does not exist",
        AclRuleError.BadHash => "The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters",
        AclRuleError.FirstArgOfSubcommand => "Allowing first-arg of a subcommand is not supported",
        _ => "Wrong format",
    };

    /// <summary>getAclErrorMessage: the end of a script's refusal ("The user executing the script ...").</summary>
    public static string ScriptDenialText(AclDenial d) => d switch
    {
        AclDenial.Command => "can't run this command or subcommand",
        AclDenial.Key => "can't access at least one of the keys mentioned in the command arguments",
        AclDenial.Channel => "can't publish to the channel mentioned in the command",
        _ => "lacking the permissions for the command",
    };

    /// <summary>ACLMergeSelectorArguments: "(+get" "~x)" become one "(+get ~x)"; null with the opening argument's index when unclosed.</summary>
    internal static List<string>? MergeSelectors(IReadOnlyList<string> rules, out int unclosed)
    {
        var merged = new List<string>();
        StringBuilder? open = null;
        unclosed = -1;
        for (int j = 0; j < rules.Count; j++)
        {
            string op = rules[j];
            if (op.Length > 0 && op[0] == '(' && op[^1] != ')')
            {
                open = new StringBuilder(op);
                unclosed = j;
                continue;
            }
            if (open is not null)
            {
                open.Append(' ').Append(op);
                if (op.Length > 0 && op[^1] == ')')
                {
                    merged.Add(open.ToString());
                    open = null;
                    unclosed = -1;
                }
                continue;
            }
            merged.Add(op);
        }
        return open is null ? merged : null;
    }

    /// <summary>
    /// ACLStringSetUser: applies <paramref name="rules"/> to a copy of the user (a new one when
    /// <paramref name="existing"/> is null) and keeps it only if all were accepted. Returns Redis's
    /// error text, or null; <paramref name="changed"/> is the user as it now is.
    /// </summary>
    public string? SetUser(string name, IReadOnlyList<string> rules, out AclUser? changed, out AclUser? before)
    {
        changed = null;
        var existing = before = Users.GetValueOrDefault(name);
        var merged = MergeSelectors(rules, out int unclosed);
        if (merged is null) return $"Unmatched parenthesis in acl selector starting at '{rules[unclosed]}'.";
        var temp = new AclUser(this, name);
        if (existing is not null) temp.CopyFrom(existing);
        foreach (var op in merged)
            if (temp.Apply(op) is not AclRuleError.None and var error)
                return $"Error in ACL SETUSER modifier '{op}': {ErrorText(error)}";
        if (existing is not null)
        {
            // Keep the same object: connected clients hold it, as Redis's ACLCopyUser keeps the pointer.
            before = new AclUser(this, name);
            before.CopyFrom(existing);
            existing.CopyFrom(temp);
            changed = existing;
        }
        else
        {
            Users[name] = temp;
            changed = temp;
        }
        return null;
    }

    /// <summary>
    /// ACLCheckAllUserCommandPerm: allowed when one selector allows the command, every key and every
    /// channel; otherwise the most relevant denial (a later kind, or a later argument) and its argument.
    /// <paramref name="offset"/> is where the command's name is in <paramref name="args"/> (3 for ACL DRYRUN).
    /// </summary>
    public AclDenial Check(AclUser user, CommandDef cmd, CommandArgs args, int offset, out int position)
    {
        position = 0;
        if (user.Unrestricted) return AclDenial.None;
        var relevant = AclDenial.Command;
        int lastIndex = 0;
        List<KeyReference>? keys = null;
        foreach (var s in user.Selectors)
        {
            var result = CheckSelector(s, cmd, args, offset, ref keys, out int index);
            if (result == AclDenial.None) return AclDenial.None;
            if (result > relevant || (result == relevant && index > lastIndex))
            {
                relevant = result;
                lastIndex = index;
            }
        }
        position = lastIndex;
        return relevant;
    }

    /// <summary>
    /// ACLUserCheckCmdWithUnrestrictedKeyAccess with CMD_KEY_ACCESS (SORT's BY and GET, which read
    /// keys the ACL check never saw): one selector allows the command, its keys and channels, and
    /// reads every key (allkeys, ~* or %R~*).
    /// </summary>
    public bool CanReadEveryKey(AclUser? user, CommandDef cmd, CommandArgs args)
    {
        if (user is null) return true;
        List<KeyReference>? keys = null;
        foreach (var s in user.Selectors)
            if (CheckSelector(s, cmd, args, 0, ref keys, out _) == AclDenial.None && s.ReadsEveryKey) return true;
        return false;
    }

    static AclDenial CheckSelector(AclSelector s, CommandDef cmd, CommandArgs args, int offset, ref List<KeyReference>? keys, out int index)
    {
        index = 0;
        if (!s.AllowsCommand(cmd, args, offset)) return AclDenial.Command;
        if (!s.AllKeys && KeyFinder.HasKeys(cmd))
        {
            if (keys is null)
            {
                keys = new List<KeyReference>();
                KeyFinder.FindKeys(cmd, new Argv(args, offset), keys);
            }
            foreach (var k in keys)
            {
                var needed = KeyPermission.None;
                if ((k.Flags & KeySpecFlags.Access) != 0) needed |= KeyPermission.Read;
                if ((k.Flags & (KeySpecFlags.Insert | KeySpecFlags.Delete | KeySpecFlags.Update)) != 0) needed |= KeyPermission.Write;
                if (!s.AllowsKey(args[offset + k.Position], needed))
                {
                    index = k.Position;
                    return AclDenial.Key;
                }
            }
        }
        if (!s.AllChannels && ChannelArguments(cmd) is var (first, last, isPattern) && first > 0)
        {
            int count = args.Count - offset;
            int end = last < 0 ? count - 1 : Math.Min(last, count - 1);
            for (int i = first; i <= end; i++)
                if (!s.AllowsChannel(args[offset + i], isPattern))
                {
                    index = i;
                    return AclDenial.Channel;
                }
        }
        return AclDenial.None;
    }

    /// <summary>getChannelsFromCommand's table, the commands whose channels ACL checks (publish and subscribe; unsubscribing is never refused).</summary>
    static (int First, int Last, bool Pattern) ChannelArguments(CommandDef cmd) => cmd.FullName switch
    {
        "subscribe" or "ssubscribe" => (1, -1, false),
        "psubscribe" => (1, -1, true),
        "publish" or "spublish" => (1, 1, false),
        _ => (0, 0, false),
    };

    /// <summary>sdssplitargs over a Latin-1 string (a selector's inside); null for unbalanced quotes.</summary>
    public static string[]? SplitArgs(string text)
    {
        var args = new CommandArgs();
        if (!RespRequestReader.SplitArgs(Encoding.Latin1.GetBytes(text), args)) return null;
        var result = new string[args.Count];
        for (int i = 0; i < args.Count; i++) result[i] = Encoding.Latin1.GetString(args[i]);
        return result;
    }
}
