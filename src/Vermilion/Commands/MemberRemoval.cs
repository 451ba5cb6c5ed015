using System.Runtime.CompilerServices;
using Vermilion.Protocol;
using Vermilion.Server;
using Vermilion.Storage;

namespace Vermilion.Commands;

/// <summary>
/// HDEL, SREM and ZREM: one command over three types (hdelCommand, sremCommand and zremCommand
/// in Redis are the same loop). Each named member is removed until the collection is empty;
/// one event if any went, the emptied key deleted ("del"), the count of removed members replied.
/// </summary>
static class MemberRemoval
{
    // Inlined into each caller, where T is a sealed type: Count and Remove are direct calls there.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Remove<T>(Client c, CommandArgs a, NotifyFlags type, string @event) where T : StoredObject, IMemberCollection
    {
        var collection = c.Db.Get<T>(a[1]);
        int removed = 0;
        if (collection is not null)
        {
            for (int i = 2; i < a.Count; i++)
            {
                if (!collection.Remove(a[i])) continue;
                removed++;
                if (collection.Count == 0) break;
            }
            if (removed > 0) c.Server.Notify(type, @event, c.Db, a[1]);
            c.Server.Dirty += removed;
            if (collection.Count == 0) c.Server.DeleteKey(c.Db, a[1]);
        }
        c.Reply.Integer(removed);
    }
}
