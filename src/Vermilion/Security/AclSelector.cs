using System.Text;
using Vermilion.Commands;
using Vermilion.Storage;

namespace Vermilion.Security;

/// <summary>Why ACLSetUser refused a rule (acl.c's errno values), each with Redis's text.</summary>
public enum AclRuleError { None, Syntax, UnknownName, KeyAfterAll, ChannelAfterAll, NoSuchPassword, BadHash, FirstArgOfSubcommand }

/// <summary>Which way a key is used, as key specifications say (ACL_READ_PERMISSION / ACL_WRITE_PERMISSION).</summary>
[Flags]
public enum KeyPermission { None = 0, Read = 1, Write = 2, All = 3 }

/// <summary>
/// acl.c's aclSelector: what one set of rules allows. A user has a root selector (the rules
/// outside parentheses) and any number of "(...)" selectors; a command runs if any selector
/// allows it whole (command, every key, every channel). Names, patterns and first arguments are
/// kept as Latin-1 strings, so any bytes round-trip unchanged.
/// </summary>
public sealed class AclSelector
{
    readonly Acl _acl;
    public readonly bool Root;
    public bool AllKeys, AllChannels, AllCommands;
    /// <summary>The reserved bit +@all sets and -@all clears: the user may run commands added later (ACLSelectorCanExecuteFutureCommands).</summary>
    public bool FutureCommands;
    ulong[] _bits;
    /// <summary>+select|0: first arguments allowed for a command whose bit is off, by command id.</summary>
    Dictionary<int, List<string>>? _firstArgs;
    public readonly List<(string Pattern, KeyPermission Flags)> Keys = new();
    public readonly List<string> Channels = new();

    internal AclSelector(Acl acl, bool root)
    {
        _acl = acl;
        Root = root;
        _bits = new ulong[(acl.CommandCount + 63) / 64];
        AllChannels = acl.PubsubDefaultAllChannels;
    }

    public AclSelector Copy(bool? root = null)
    {
        var s = new AclSelector(_acl, root ?? Root)
        {
            AllKeys = AllKeys, AllChannels = AllChannels, AllCommands = AllCommands, FutureCommands = FutureCommands,
            _bits = (ulong[])_bits.Clone(),
        };
        if (_firstArgs is not null) s._firstArgs = _firstArgs.ToDictionary(p => p.Key, p => new List<string>(p.Value));
        s.Keys.AddRange(Keys);
        s.Channels.AddRange(Channels);
        return s;
    }

    /// <summary>True when this selector allows everything: the check is then one flag test.</summary>
    public bool Unrestricted => AllKeys && AllChannels && AllCommands;
    /// <summary>ACLSelectorHasUnrestrictedKeyAccess for reading: allkeys (~*), or a "*" pattern that reads.</summary>
    public bool ReadsEveryKey => AllKeys || Keys.Exists(k => (k.Flags & KeyPermission.Read) != 0 && k.Pattern == "*");

    public bool GetBit(int id) => (_bits[id >> 6] & (1UL << (id & 63))) != 0;

    void SetBit(int id, bool value)
    {
        if (value) _bits[id >> 6] |= 1UL << (id & 63);
        else
        {
            _bits[id >> 6] &= ~(1UL << (id & 63));
            AllCommands = false;
        }
    }

    /// <summary>ACLChangeSelectorPerm: a command's bit, and its subcommands' with a container's.</summary>
    void ChangePerm(CommandDef cmd, bool allow)
    {
        SetBit(cmd.AclId, allow);
        _firstArgs?.Remove(cmd.AclId);
        if (cmd.Subcommands is not null)
            foreach (var sub in _acl.SubcommandsOf(cmd)) SetBit(sub.AclId, allow);
    }

    void SetAll(bool allow)
    {
        Array.Fill(_bits, allow ? ulong.MaxValue : 0);
        AllCommands = FutureCommands = allow;
        _firstArgs = null;
    }

    /// <summary>ACLSetSelectorCommandBitsForCategory, over the table in its order, subcommands after their container.</summary>
    void ChangeCategory(ulong category, bool allow)
    {
        foreach (var cmd in _acl.CommandsInOrder)
            if ((_acl.CategoriesOf(cmd) & category) != 0) ChangePerm(cmd, allow);
    }

    /// <summary>ACLSetSelector: one rule about commands, keys or channels.</summary>
    public AclRuleError Apply(string op)
    {
        if (op.Equals("allkeys", StringComparison.OrdinalIgnoreCase) || op == "~*")
        {
            AllKeys = true;
            Keys.Clear();
        }
        else if (op.Equals("resetkeys", StringComparison.OrdinalIgnoreCase))
        {
            AllKeys = false;
            Keys.Clear();
        }
        else if (op.Equals("allchannels", StringComparison.OrdinalIgnoreCase) || op == "&*")
        {
            AllChannels = true;
            Channels.Clear();
        }
        else if (op.Equals("resetchannels", StringComparison.OrdinalIgnoreCase))
        {
            AllChannels = false;
            Channels.Clear();
        }
        else if (op.Equals("allcommands", StringComparison.OrdinalIgnoreCase) || op.Equals("+@all", StringComparison.OrdinalIgnoreCase)) SetAll(true);
        else if (op.Equals("nocommands", StringComparison.OrdinalIgnoreCase) || op.Equals("-@all", StringComparison.OrdinalIgnoreCase)) SetAll(false);
        else if (op[0] is '~' or '%')
        {
            if (AllKeys) return AclRuleError.KeyAfterAll;
            var flags = KeyPermission.None;
            int offset = 1;
            if (op[0] == '%')
            {
                for (; offset < op.Length; offset++)
                {
                    char c = char.ToUpperInvariant(op[offset]);
                    if (c == 'R' && (flags & KeyPermission.Read) == 0) flags |= KeyPermission.Read;
                    else if (c == 'W' && (flags & KeyPermission.Write) == 0) flags |= KeyPermission.Write;
                    else if (op[offset] == '~')
                    {
                        offset++;
                        break;
                    }
                    else return AclRuleError.Syntax;
                }
                if (flags == KeyPermission.None) return AclRuleError.Syntax;
            }
            else flags = KeyPermission.All;
            string pattern = op[offset..];
            if (HasSpaces(pattern)) return AclRuleError.Syntax;
            int existing = Keys.FindIndex(k => k.Pattern == pattern);
            if (existing < 0) Keys.Add((pattern, flags));
            else Keys[existing] = (pattern, Keys[existing].Flags | flags);
            AllKeys = false;
        }
        else if (op[0] == '&')
        {
            if (AllChannels) return AclRuleError.ChannelAfterAll;
            string pattern = op[1..];
            if (HasSpaces(pattern)) return AclRuleError.Syntax;
            if (!Channels.Contains(pattern)) Channels.Add(pattern);
            AllChannels = false;
        }
        else if (op[0] == '+' && (op.Length < 2 || op[1] != '@'))
        {
            int bar = op.LastIndexOf('|');
            if (bar < 0)
            {
                if (_acl.LookupCommand(op[1..]) is not { } cmd) return AclRuleError.UnknownName;
                ChangePerm(cmd, true);
            }
            else
            {
                string sub = op[(bar + 1)..];
                if (_acl.LookupCommand(op[1..bar]) is not { } cmd) return AclRuleError.UnknownName;
                if (cmd.Parent is not null) return AclRuleError.FirstArgOfSubcommand;
                if (sub.Length == 0) return AclRuleError.Syntax;
                if (cmd.Subcommands is not null)
                {
                    if (_acl.LookupCommand(op[1..]) is not { } subcommand) return AclRuleError.UnknownName;
                    ChangePerm(subcommand, true);
                }
                else
                {
                    // A first argument of a command without subcommands (SELECT|0): deprecated in 7.0, still honoured.
                    _firstArgs ??= new();
                    if (!_firstArgs.TryGetValue(cmd.AclId, out var list)) _firstArgs[cmd.AclId] = list = new();
                    if (!list.Exists(a => a.Equals(sub, StringComparison.OrdinalIgnoreCase))) list.Add(sub);
                }
            }
        }
        else if (op[0] == '-' && (op.Length < 2 || op[1] != '@'))
        {
            if (_acl.LookupCommand(op[1..]) is not { } cmd) return AclRuleError.UnknownName;
            ChangePerm(cmd, false);
        }
        else if (op[0] is '+' or '-' && op.Length >= 2 && op[1] == '@')
        {
            ulong category = AclCategories.ByName(op.AsSpan(2));
            if (category == 0) return AclRuleError.UnknownName;
            ChangeCategory(category, op[0] == '+');
        }
        else return AclRuleError.Syntax;
        return AclRuleError.None;
    }

    /// <summary>ACLStringHasSpaces: whitespace or NUL.</summary>
    internal static bool HasSpaces(string s)
    {
        foreach (char c in s) if (c is ' ' or '\t' or '\n' or '\v' or '\f' or '\r' or '\0') return true;
        return false;
    }

    /// <summary>
    /// ACLDescribeSelectorCommandRules: rules that rebuild the bitmap, starting from +@all (when
    /// future commands are allowed) or -@all, then the categories that fit best (more commands in
    /// common than not, the fewest differences first), then single commands for what remains.
    /// </summary>
    public string DescribeCommands()
    {
        var sb = new StringBuilder();
        bool additive = !FutureCommands;
        var fake = new AclSelector(_acl, false);
        fake.SetAll(!additive);
        sb.Append(additive ? "-@all " : "+@all ");
        var temp = new AclSelector(_acl, false) { _bits = (ulong[])_bits.Clone() };
        var applied = new bool[AclCategories.Names.Length];
        while (true)
        {
            int best = -1;
            long minDiff = int.MaxValue, maxSame = 0;
            for (int j = 0; j < AclCategories.Names.Length; j++)
            {
                if (applied[j]) continue;
                var (on, off) = temp.CountCategory(1UL << j);
                long diff = additive ? off : on, same = additive ? on : off;
                if (same > diff && (diff < minDiff || (diff == minDiff && same > maxSame)))
                {
                    best = j;
                    minDiff = diff;
                    maxSame = same;
                }
            }
            if (best < 0) break;
            fake.ChangeCategory(1UL << best, additive);
            temp.ChangeCategory(1UL << best, !additive);
            sb.Append(additive ? "+@" : "-@").Append(AclCategories.Names[best]).Append(' ');
            applied[best] = true;
        }
        foreach (var cmd in _acl.CommandsInOrder)
        {
            bool mine = GetBit(cmd.AclId), theirs = fake.GetBit(cmd.AclId);
            if (mine != theirs)
            {
                sb.Append(mine ? '+' : '-').Append(cmd.FullName).Append(' ');
                fake.ChangePerm(cmd, mine);
            }
            if (!mine && _firstArgs is not null && _firstArgs.TryGetValue(cmd.AclId, out var args))
                foreach (var a in args) sb.Append('+').Append(cmd.FullName).Append('|').Append(a).Append(' ');
        }
        sb.Length--;
        return sb.ToString();
    }

    (long On, long Off) CountCategory(ulong category)
    {
        long on = 0, off = 0;
        foreach (var cmd in _acl.CommandsInOrder)
            if ((_acl.CategoriesOf(cmd) & category) != 0)
            {
                if (GetBit(cmd.AclId)) on++;
                else off++;
            }
        return (on, off);
    }

    static string PatternText((string Pattern, KeyPermission Flags) k) => k.Flags switch
    {
        KeyPermission.Read => "%R~" + k.Pattern,
        KeyPermission.Write => "%W~" + k.Pattern,
        _ => "~" + k.Pattern,
    };

    /// <summary>GETUSER's "keys": "~*", or the patterns joined by spaces.</summary>
    public string DescribeKeys() => AllKeys ? "~*" : string.Join(' ', Keys.Select(PatternText));

    /// <summary>GETUSER's "channels": "&amp;*", or the patterns joined by spaces.</summary>
    public string DescribeChannels() => AllChannels ? "&*" : string.Join(' ', Channels.Select(c => "&" + c));

    /// <summary>ACLDescribeSelector: keys, channels ("resetchannels" first when not all), then command rules.</summary>
    public string Describe()
    {
        var sb = new StringBuilder();
        if (AllKeys) sb.Append("~* ");
        else foreach (var k in Keys) sb.Append(PatternText(k)).Append(' ');
        if (AllChannels) sb.Append("&* ");
        else
        {
            sb.Append("resetchannels ");
            foreach (var c in Channels) sb.Append('&').Append(c).Append(' ');
        }
        sb.Append(DescribeCommands());
        return sb.ToString();
    }

    /// <summary>ACLSelectorCheckCmd's command part: the bit, else an allowed first argument.</summary>
    internal bool AllowsCommand(CommandDef cmd, Protocol.CommandArgs args, int offset)
    {
        if (AllCommands || (cmd.Flags & CommandFlags.NoAuth) != 0 || GetBit(cmd.AclId)) return true;
        if (_firstArgs is null || !_firstArgs.TryGetValue(cmd.AclId, out var allowed)) return false;
        int idx = offset + (cmd.Parent is not null ? 2 : 1);
        if (args.Count - offset < 2 || idx >= args.Count) return false;
        string first = Encoding.Latin1.GetString(args[idx]);
        return allowed.Exists(a => a.Equals(first, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>ACLSelectorCheckKey: a pattern with every permission the key's use needs, matching it.</summary>
    internal bool AllowsKey(ReadOnlySpan<byte> key, KeyPermission needed)
    {
        if (AllKeys) return true;
        foreach (var (pattern, flags) in Keys)
        {
            if ((flags & needed) != needed) continue;
            if (GlobPattern.Match(Encoding.Latin1.GetBytes(pattern), key, false)) return true;
        }
        return false;
    }

    /// <summary>The channel check for callers outside the check path (ACLKillPubsubClientsIfNeeded).</summary>
    public bool AllowsChannelPublic(ReadOnlySpan<byte> channel, bool isPattern) => AllowsChannel(channel, isPattern);

    /// <summary>ACLCheckChannelAgainstList: a channel matches a pattern; a pattern (PSUBSCRIBE) must equal one literally.</summary>
    internal bool AllowsChannel(ReadOnlySpan<byte> channel, bool isPattern)
    {
        if (AllChannels) return true;
        foreach (var pattern in Channels)
        {
            var p = Encoding.Latin1.GetBytes(pattern);
            if (isPattern ? channel.SequenceEqual(p) : GlobPattern.Match(p, channel, false)) return true;
        }
        return false;
    }
}
