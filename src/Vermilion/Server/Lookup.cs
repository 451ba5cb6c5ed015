using System.Runtime.CompilerServices;
using Vermilion.Storage;

namespace Vermilion.Server;

/// <summary>
/// db.c's lookupKeyRead, the read every command of a family starts with: lazy expiry and the
/// access clock (<see cref="Db.Lookup"/>), then keyspace_hits or keyspace_misses. Redis counts
/// the hit before checkType, so a key of another type is a hit that then answers WRONGTYPE.
/// </summary>
public sealed partial class VermilionServer
{
    /// <summary>lookupKeyRead: the key's entry in db.Keys, or -1 after counting a miss.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int LookupKeyRead(Db db, ReadOnlySpan<byte> key)
    {
        int index = db.Lookup(key);
        if (index < 0)
        {
            KeyMiss(db, key);
            return -1;
        }
        Stats.KeyspaceHits++;
        return index;
    }

    /// <summary>lookupKeyReadWithFlags(LOOKUP_NOTOUCH), as EXISTS looks: hits and misses count, the access clock stays.</summary>
    public bool KeyExistsForRead(Db db, ReadOnlySpan<byte> key)
    {
        if (db.Lookup(key, touch: false) < 0)
        {
            KeyMiss(db, key);
            return false;
        }
        Stats.KeyspaceHits++;
        return true;
    }

    /// <summary>lookupKeyRead + checkType: the collection under the key, null when it is missing, WRONGTYPE (after the hit) for another type.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public T? LookupKeyRead<T>(Db db, ReadOnlySpan<byte> key) where T : StoredObject
    {
        int index = LookupKeyRead(db, key);
        return index < 0 ? null : db.Keys.Object(index) as T ?? throw WrongTypeException.Instance;
    }

    /// <summary>lookupKeyRead's miss: counted in keyspace_misses and notified as "keymiss" (class m).</summary>
    public void KeyMiss(Db db, ReadOnlySpan<byte> key)
    {
        Stats.KeyspaceMisses++;
        Notify(NotifyFlags.KeyMiss, "keymiss", db, key);
    }
}
