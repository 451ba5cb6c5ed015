using System.Security.Cryptography;
using System.Text;

namespace Vermilion.Security;

/// <summary>acl.c's USER_FLAG_*: in the order ACL LIST and GETUSER name them.</summary>
[Flags]
public enum AclUserFlags { None = 0, Enabled = 1, Disabled = 2, NoPass = 4, SkipSanitizePayload = 8, SanitizePayload = 16 }

/// <summary>
/// acl.c's user: a name, on/off, passwords (SHA-256 hex, never the clear text) or nopass, and
/// selectors, the first being the root one. ACL SETUSER applies rules to a copy and swaps it in
/// only when every rule was accepted (ACLStringSetUser), so a bad rule changes nothing.
/// </summary>
public sealed class AclUser
{
    readonly Acl _acl;
    /// <summary>The name as Latin-1 text: each character one byte of the name Redis stores.</summary>
    public readonly string Name;
    public AclUserFlags Flags = AclUserFlags.Disabled;
    public List<string> Passwords = new();
    public List<AclSelector> Selectors = new();
    /// <summary>The root selector allows everything and there are no other selectors: the hot path's one test.</summary>
    public bool Unrestricted { get; private set; }
    string? _description;

    internal AclUser(Acl acl, string name)
    {
        _acl = acl;
        Name = name;
        Selectors.Add(new AclSelector(acl, root: true));
    }

    public AclSelector Root => Selectors[0];
    public bool Enabled => (Flags & AclUserFlags.Enabled) != 0;
    public byte[] NameBytes => Encoding.Latin1.GetBytes(Name);

    /// <summary>ACLCopyUser: the rules of <paramref name="from"/>, keeping this user's name.</summary>
    internal void CopyFrom(AclUser from)
    {
        Flags = from.Flags;
        Passwords = new List<string>(from.Passwords);
        Selectors = from.Selectors.Select(s => s.Copy()).ToList();
        Changed();
    }

    internal void Changed()
    {
        _description = null;
        Unrestricted = Selectors.Count == 1 && Root.Unrestricted;
    }

    /// <summary>ACLHashPassword: SHA-256 of the bytes, lowercase hex.</summary>
    public static string HashPassword(ReadOnlySpan<byte> password) => Convert.ToHexStringLower(SHA256.HashData(password));

    /// <summary>ACLCheckPasswordHash: exactly 64 lowercase hex digits.</summary>
    static bool IsValidHash(ReadOnlySpan<char> hash)
    {
        if (hash.Length != 64) return false;
        foreach (char c in hash) if (c is not ((>= 'a' and <= 'f') or (>= '0' and <= '9'))) return false;
        return true;
    }

    /// <summary>ACLSetUser: one rule about the user (flags, passwords, selectors) or, otherwise, its root selector.</summary>
    public AclRuleError Apply(string op)
    {
        _description = null;
        try { return ApplyRule(op); }
        finally { Changed(); }
    }

    AclRuleError ApplyRule(string op)
    {
        if (op.Length == 0) return AclRuleError.None;
        if (Is(op, "on")) Flags = (Flags | AclUserFlags.Enabled) & ~AclUserFlags.Disabled;
        else if (Is(op, "off")) Flags = (Flags | AclUserFlags.Disabled) & ~AclUserFlags.Enabled;
        else if (Is(op, "skip-sanitize-payload")) Flags = (Flags | AclUserFlags.SkipSanitizePayload) & ~AclUserFlags.SanitizePayload;
        else if (Is(op, "sanitize-payload")) Flags = (Flags | AclUserFlags.SanitizePayload) & ~AclUserFlags.SkipSanitizePayload;
        else if (Is(op, "nopass"))
        {
            Flags |= AclUserFlags.NoPass;
            Passwords.Clear();
        }
        else if (Is(op, "resetpass"))
        {
            Flags &= ~AclUserFlags.NoPass;
            Passwords.Clear();
        }
        else if (op[0] is '>' or '#')
        {
            string hash;
            if (op[0] == '>') hash = HashPassword(Encoding.Latin1.GetBytes(op[1..]));
            else if (IsValidHash(op.AsSpan(1))) hash = op[1..];
            else return AclRuleError.BadHash;
            if (!Passwords.Contains(hash)) Passwords.Add(hash);
            Flags &= ~AclUserFlags.NoPass;
        }
        else if (op[0] is '<' or '!')
        {
            string hash;
            if (op[0] == '<') hash = HashPassword(Encoding.Latin1.GetBytes(op[1..]));
            else if (IsValidHash(op.AsSpan(1))) hash = op[1..];
            else return AclRuleError.BadHash;
            if (!Passwords.Remove(hash)) return AclRuleError.NoSuchPassword;
        }
        else if (op[0] == '(' && op[^1] == ')')
        {
            var selector = new AclSelector(_acl, root: false);
            foreach (var rule in Acl.SplitArgs(op[1..^1]) ?? [])
                if (selector.Apply(rule) is not AclRuleError.None and var error) return error;
            Selectors.Add(selector);
        }
        else if (Is(op, "clearselectors")) Selectors.RemoveRange(1, Selectors.Count - 1);
        else if (Is(op, "reset"))
        {
            ApplyRule("resetpass");
            ApplyRule("resetkeys");
            ApplyRule("resetchannels");
            if (_acl.PubsubDefaultAllChannels) ApplyRule("allchannels");
            ApplyRule("off");
            ApplyRule("sanitize-payload");
            ApplyRule("clearselectors");
            ApplyRule("-@all");
        }
        else return Root.Apply(op);
        return AclRuleError.None;
    }

    static bool Is(string op, string word) => op.Equals(word, StringComparison.OrdinalIgnoreCase);

    /// <summary>ACLCheckUserCredentials' part after the lookup: enabled, and nopass or one hash equal (compared in constant time).</summary>
    public bool CheckPassword(ReadOnlySpan<byte> password)
    {
        if ((Flags & AclUserFlags.Disabled) != 0) return false;
        if ((Flags & AclUserFlags.NoPass) != 0) return true;
        var hashed = Encoding.ASCII.GetBytes(HashPassword(password));
        bool ok = false;
        foreach (var p in Passwords)
            ok |= CryptographicOperations.FixedTimeEquals(hashed, Encoding.ASCII.GetBytes(p));
        return ok;
    }

    /// <summary>The flags in ACLUserFlags' order, as ACL LIST and GETUSER name them.</summary>
    public IEnumerable<string> FlagNames()
    {
        if ((Flags & AclUserFlags.Enabled) != 0) yield return "on";
        if ((Flags & AclUserFlags.Disabled) != 0) yield return "off";
        if ((Flags & AclUserFlags.NoPass) != 0) yield return "nopass";
        if ((Flags & AclUserFlags.SkipSanitizePayload) != 0) yield return "skip-sanitize-payload";
        if ((Flags & AclUserFlags.SanitizePayload) != 0) yield return "sanitize-payload";
    }

    /// <summary>ACLDescribeUser: flags, "#hash" passwords, the root selector, then each other selector in parentheses (cached until a rule changes it).</summary>
    public string Describe()
    {
        if (_description is not null) return _description;
        var sb = new StringBuilder();
        foreach (var f in FlagNames()) sb.Append(f).Append(' ');
        foreach (var p in Passwords) sb.Append('#').Append(p).Append(' ');
        foreach (var s in Selectors)
        {
            if (s.Root) sb.Append(s.Describe());
            else sb.Append(" (").Append(s.Describe()).Append(')');
        }
        return _description = sb.ToString();
    }
}
