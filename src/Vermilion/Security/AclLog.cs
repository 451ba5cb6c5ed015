namespace Vermilion.Security;

/// <summary>Where a denial happened (ACL_LOG_CTX_*).</summary>
public enum AclLogContext { TopLevel, Multi, Lua, Module }

/// <summary>One ACL LOG entry: a denial or failed AUTH, with how often it recurred.</summary>
public sealed class AclLogEntry
{
    public long Count = 1;
    public AclDenial Reason;
    public AclLogContext Context;
    public byte[] Object = [];
    public byte[] Username = [];
    public long CreatedMs;
    public string ClientInfo = "";
}

/// <summary>
/// acl.c's ACLLog: newest first, at most acllog-max-len entries. A denial equal to one of the ten
/// newest entries (same reason, context, object and user, within 60 s) bumps its count and moves it
/// to the front instead of adding an entry (addACLLogEntry).
/// </summary>
public sealed class AclLog
{
    const long GroupingMs = 60000;
    public readonly LinkedList<AclLogEntry> Entries = new();

    public void Add(AclLogEntry e, long maxLen)
    {
        int scanned = 0;
        for (var node = Entries.First; node is not null && scanned < 10; node = node.Next, scanned++)
        {
            var cur = node.Value;
            if (cur.Reason == e.Reason && cur.Context == e.Context && Math.Abs(cur.CreatedMs - e.CreatedMs) <= GroupingMs
                && cur.Object.AsSpan().SequenceEqual(e.Object) && cur.Username.AsSpan().SequenceEqual(e.Username))
            {
                Entries.Remove(node);
                Entries.AddFirst(node);
                cur.ClientInfo = e.ClientInfo;
                cur.CreatedMs = e.CreatedMs;
                cur.Count++;
                return;
            }
        }
        Entries.AddFirst(e);
        while (Entries.Count > maxLen) Entries.RemoveLast();
    }
}
