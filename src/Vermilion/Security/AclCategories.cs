using Vermilion.Commands;

namespace Vermilion.Security;

/// <summary>
/// acl.c's ACLCommandCategories: the category names in Redis's order (ACL CAT lists them so, and
/// ACL LIST's description tries them so), one bit each. A command's bits come from its metadata's
/// acl_categories ("@read", ...), read once per command table.
/// </summary>
public static class AclCategories
{
    public static readonly string[] Names =
    [
        "keyspace", "read", "write", "set", "sortedset", "list", "hash", "string", "bitmap", "hyperloglog",
        "geo", "stream", "pubsub", "admin", "fast", "slow", "blocking", "dangerous", "connection", "transaction",
        "scripting",
    ];

    /// <summary>ACLGetCommandCategoryFlagByName: a bare name ("read", any case), 0 when unknown.</summary>
    public static ulong ByName(ReadOnlySpan<char> name)
    {
        for (int i = 0; i < Names.Length; i++)
            if (name.Equals(Names[i], StringComparison.OrdinalIgnoreCase)) return 1UL << i;
        return 0;
    }

    /// <summary>The bits of a command's metadata categories.</summary>
    public static ulong Of(CommandSpec spec)
    {
        ulong mask = 0;
        foreach (var c in spec.Categories) mask |= c.StartsWith('@') ? ByName(c.AsSpan(1)) : 0;
        return mask;
    }
}
