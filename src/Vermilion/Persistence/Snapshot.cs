using System.Diagnostics;
using Vermilion.Storage;

namespace Vermilion.Persistence;

/// <summary>
/// A point-in-time snapshot of the dataset taken without fork (what Redis's BGSAVE child sees),
/// written through an <see cref="IDatasetWriter"/> (an RDB file, or an AOF base of commands) on the loop thread. The cut costs nothing per
/// key: every keyspace with keys flips its saved mark (<see cref="Keyspace.BeginSnapshot"/>), so
/// each entry is unsaved and an entry created later is born saved. From then on two paths write
/// the unsaved entries, each exactly once, as they were at the cut:
/// <list type="bullet">
/// <item><see cref="Step"/>, from a time event, walks the keyspaces in entry order for a slice of
/// at most ~1 ms, so the loop never stalls for longer;</item>
/// <item>the keyspace's <see cref="Keyspace.BeforeFirstChange"/> hook writes an entry the moment a
/// lookup or a removal reaches it, before the command can change it (under a SELECTDB of its own
/// when the walk is in another database; the loader takes SELECTDB in any order).</item>
/// </list>
/// A keyspace flushed (FLUSHDB, FLUSHALL) or swapped (SWAPDB) meanwhile is still the one the
/// cut saw: the snapshot keeps walking it under the database number it had at the cut, and a
/// flushed one is only released once the walk is done (<see cref="Adopt"/>). Chunks leave for the
/// sink as they fill; nothing here touches them again.
///
/// A big value (an element-wise encoding, <see cref="RdbValue.IsElementWise"/>: a set, hash or
/// sorted set of millions, a long list) would hold the loop for its whole serialization, where
/// Redis's fork stalls only for its page tables. The walk writes its type, key and length, then
/// its elements a bounded number at a time, resuming at the next slice; the entry stays unsaved
/// until its last element, so the value cannot change meanwhile: every write reaches it through a
/// lookup or a removal, whose hook then finishes it first (one stall, bounded by that value, and
/// only when that very key is touched mid-save). A key the hook must save while a value is half
/// written cannot enter the stream (a key's bytes are contiguous): it goes to the writer's side
/// buffer, which joins the stream right after the value (<see cref="IDatasetWriter.WriteKeyAside"/>).
/// </summary>
public sealed class Snapshot : IDisposable
{
    sealed class Space(int db, Keyspace keys)
    {
        public readonly int Db = db;
        public readonly Keyspace Keys = keys;
        public readonly long Size = keys.Count, Expires = keys.VolatileCount;
        public bool Begun, Adopted;
    }

    readonly IDatasetWriter _file;
    readonly Space[] _spaces;
    readonly Action<Keyspace, int> _capture;
    readonly Action<Keyspace> _release;
    int _space, _cursor;
    /// <summary>The entry of the current space whose value is half written (the walk's cursor), or -1.</summary>
    int _open = -1;
    bool _done;

    /// <summary>
    /// Elements written between two reads of the clock: a slice overshoots its deadline by at
    /// most that many (a 5M-member sorted set writes ~64 members in a few µs).
    /// </summary>
    const long ElementsPerClockRead = 64;

    /// <summary>Keys at the cut (current_save_keys_total).</summary>
    public long KeysTotal { get; }
    /// <summary>Keys written so far, by the walk or before a change (current_save_keys_processed).</summary>
    public long KeysProcessed { get; private set; }
    /// <summary>A big value is half written: keys saved before their first change go to the side buffer meanwhile.</summary>
    public bool IsWritingValue => _open >= 0;
    /// <summary>Bytes of keyspaces kept alive only for this snapshot (flushed after the cut).</summary>
    public long AdoptedBytes { get; private set; }

    /// <param name="file">Where the keys go; its header (if it has one) is written already.</param>
    /// <param name="keyspaces">Each database's keyspace, by database number, at the cut.</param>
    /// <param name="release">Frees a keyspace adopted after a flush, once the walk is past it.</param>
    public Snapshot(IDatasetWriter file, IReadOnlyList<Keyspace> keyspaces, Action<Keyspace> release)
    {
        _file = file;
        _release = release;
        _capture = Capture;
        var spaces = new List<Space>();
        for (int db = 0; db < keyspaces.Count; db++)
        {
            var keys = keyspaces[db];
            if (keys.Count == 0) continue;
            keys.BeginSnapshot();
            keys.BeforeFirstChange = _capture;
            spaces.Add(new Space(db, keys));
            KeysTotal += keys.Count;
        }
        _spaces = spaces.ToArray();
    }

    Space? SpaceOf(Keyspace keys)
    {
        foreach (var s in _spaces) if (ReferenceEquals(s.Keys, keys)) return s;
        return null;
    }

    void Capture(Keyspace keys, int entry)
    {
        if (_open >= 0 && entry == _open && ReferenceEquals(keys, _spaces[_space].Keys))
        {
            // The value half written is about to change: the rest of it now.
            long all = long.MaxValue;
            _file.WriteElements(keys, entry, ref all);
            EndOpenKey(keys);
            return;
        }
        var space = SpaceOf(keys)!;
        if (_open >= 0) _file.WriteKeyAside(space.Db, keys, entry);
        else _file.WriteKey(space.Db, keys, entry);
        keys.MarkSaved(entry);
        KeysProcessed++;
    }

    /// <summary>The value half written is complete: its entry is saved, and what was set aside meanwhile follows it.</summary>
    void EndOpenKey(Keyspace keys)
    {
        keys.MarkSaved(_open);
        KeysProcessed++;
        _open = -1;
        _file.JoinAside();
    }

    /// <summary>
    /// More of the value half written, until it is complete (true) or the slice ends: the
    /// deadline passes or <paramref name="maxItems"/> (each element one) runs out.
    /// </summary>
    bool WriteOpenKey(Keyspace keys, long deadline, ref long maxItems)
    {
        while (maxItems > 0)
        {
            long budget = Math.Min(maxItems, ElementsPerClockRead), before = budget;
            bool complete = _file.WriteElements(keys, _open, ref budget);
            maxItems -= before - budget;
            if (complete)
            {
                EndOpenKey(keys);
                return true;
            }
            if (Stopwatch.GetTimestamp() >= deadline) return false;
        }
        return false;
    }

    /// <summary>
    /// A keyspace flushed after the cut: false when this snapshot does not need it (the caller
    /// frees it); true when it does, and it is released when the walk is done with it. Nothing
    /// can reach it any more, so its hook is no longer needed.
    /// </summary>
    public bool Adopt(Keyspace keys)
    {
        var space = SpaceOf(keys);
        if (space is null || _done || IsWalked(space)) return false;
        keys.BeforeFirstChange = null;
        space.Adopted = true;
        AdoptedBytes += keys.ItemBytes;
        return true;
    }

    bool IsWalked(Space space) => Array.IndexOf(_spaces, space) < _space;

    /// <summary>
    /// Writes unsaved keys until <paramref name="deadline"/> (a Stopwatch timestamp) or, with
    /// <paramref name="maxItems"/>, that many keys and elements of big values (rdb-key-save-delay's
    /// pacing: a big value's element counts as a key). True once every key is written: the walk is
    /// over and the file has its EOF and checksum.
    /// </summary>
    public bool Step(long deadline, long maxItems = long.MaxValue)
    {
        if (_done) return true;
        int sinceClock = 0;
        while (_space < _spaces.Length)
        {
            var space = _spaces[_space];
            var keys = space.Keys;
            if (!space.Begun)
            {
                _file.BeginDatabase(space.Db, space.Size, space.Expires);
                space.Begun = true;
            }
            // A value left half written by the last slice (unless a command's lookup finished it).
            if (_open >= 0 && !WriteOpenKey(keys, deadline, ref maxItems)) return false;
            while ((_cursor = keys.NextEntry(_cursor)) >= 0)
            {
                if (maxItems <= 0) return false;
                // The clock is read every 32 keys: a slice overshoots by at most that many keys.
                if (++sinceClock == 32)
                {
                    sinceClock = 0;
                    if (Stopwatch.GetTimestamp() >= deadline) return false;
                }
                if (!keys.IsSaved(_cursor))
                {
                    maxItems--;
                    if (_file.BeginKey(space.Db, keys, _cursor))
                    {
                        keys.MarkSaved(_cursor);
                        KeysProcessed++;
                    }
                    else
                    {
                        _open = _cursor;
                        if (!WriteOpenKey(keys, deadline, ref maxItems)) return false;
                    }
                }
                _cursor++;
            }
            Leave(space);
            _space++;
            _cursor = 0;
        }
        _file.Finish();
        _done = true;
        return true;
    }

    void Leave(Space space)
    {
        if (ReferenceEquals(space.Keys.BeforeFirstChange, _capture)) space.Keys.BeforeFirstChange = null;
        if (space.Adopted)
        {
            space.Adopted = false;
            AdoptedBytes -= space.Keys.ItemBytes;
            _release(space.Keys);
        }
    }

    /// <summary>Ends the snapshot, finished or not: hooks removed, adopted keyspaces released, an unfinished file abandoned.</summary>
    public void Dispose()
    {
        _open = -1;
        // The keys the walk did not reach are marked as if written (the hook may have written some of them):
        // the next cut flips the mark, and must find every entry saved.
        for (int i = _space; i < _spaces.Length; i++)
            if (!_spaces[i].Adopted) _spaces[i].Keys.MarkAllSaved(i == _space ? Math.Max(_cursor, 0) : 0);
        for (int i = _space; i < _spaces.Length; i++) Leave(_spaces[i]);
        _space = _spaces.Length;
        if (!_done) _file.Dispose();
        _done = true;
    }
}
