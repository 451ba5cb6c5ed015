namespace Vermilion.Storage;

/// <summary>
/// The short-lived objects through which commands see collections stored as records.
///
/// A collection in its compact encoding (see <see cref="RecordKind"/>) is a record in the
/// keyspace's <see cref="RecordHeap"/>, like a string: no managed object per key, so millions
/// of small hashes give the garbage collector nothing to copy or scan (each one a surviving
/// object made every gen0/gen1 collection copy a budget's worth of them: 54 ms pauses at 5M
/// hashes). Commands still work on <see cref="HashValue"/> and its kin: a lookup
/// (<see cref="Keyspace.Object"/>) lends an instance of the type bound to the record, which it
/// reads and writes in place.
///
/// Views are lent per command and all come back when it ends (the server calls
/// <see cref="ReturnTo"/> after each command with the count it had before, so a nested command
/// (EXEC, a script) returns only its own), which keeps the lent list a few entries long and
/// the pool small: steady-state commands allocate nothing. Looking the same key up twice in a
/// command gives the same view (SMOVE a a, SUNIONSTORE a a b), so two views never disagree
/// about where a record is. A key deleted while a view of it is out detaches the view: it copies
/// the bytes into an array of its own and behaves from then on as a managed value removed from
/// the keyspace did, so it never writes into a reused entry or record. A view that converts to
/// its big encoding becomes the entry's managed object for good and leaves the pool.
///
/// A command over many keys (SUNION of thousands) would make the lookup for the view already out
/// quadratic: past a few views out, they are also found by (keyspace, entry) in a dictionary.
///
/// One instance serves all the databases of a server (a command may touch several: MOVE, COPY);
/// only the loop thread uses it.
/// </summary>
public sealed class ValueViews
{
    /// <summary>Pooled views per kind beyond which returned ones are dropped (a command holds a handful).</summary>
    const int PoolLimit = 32;
    /// <summary>Views out beyond which they are found through <see cref="_byEntry"/> rather than by a scan.</summary>
    const int ScanLimit = 16;

    readonly List<RecordView> _lent = [];
    readonly Stack<RecordView>[] _pool = [new(), new(), new(), new(), new()];
    /// <summary>The bound views by (keyspace, entry) while more than <see cref="ScanLimit"/> are out; may hold stale pairs (checked on use).</summary>
    Dictionary<(Keyspace, int), RecordView>? _byEntry;
    bool _indexed;

    /// <summary>Views out now: the mark a caller passes back to <see cref="ReturnTo"/>.</summary>
    public int Lent => _lent.Count;

    /// <summary>The view out for the record at <paramref name="entry"/>, or null.</summary>
    RecordView? Find(Keyspace keys, int entry)
    {
        if (_indexed)
            return _byEntry!.TryGetValue((keys, entry), out var found) && found.Entry == entry && ReferenceEquals(found.Keys, keys) ? found : null;
        for (int i = _lent.Count - 1; i >= 0; i--)
        {
            var lent = _lent[i];
            if (lent.Entry == entry && ReferenceEquals(lent.Keys, keys)) return lent;
        }
        return null;
    }

    /// <summary>A view was just bound: it goes in the list (unless it is there) and the index.</summary>
    void Track(RecordView view, bool isNew)
    {
        if (isNew) _lent.Add(view);
        if (_indexed) _byEntry![(view.Keys!, view.Entry)] = view;
        else if (_lent.Count > ScanLimit)
        {
            _byEntry ??= [];
            foreach (var lent in _lent)
                if (lent.Keys is not null) _byEntry[(lent.Keys, lent.Entry)] = lent;
            _indexed = true;
        }
    }

    /// <summary>The view of the record at <paramref name="entry"/>: the one already out for it, or one from the pool.</summary>
    internal StoredObject Lend(Keyspace keys, int entry, long address, RecordKind kind)
    {
        if (Find(keys, entry) is { } lent) return lent.View;
        var view = _pool[(int)kind].TryPop(out var pooled) ? pooled : Create(kind);
        view.Keys = keys;
        view.Entry = entry;
        view.Address = address;
        view.View.Bind(view); // a type that caches what its record says (a list's count) reads it now
        Track(view, isNew: true);
        return view.View;
    }

    static RecordView Create(RecordKind kind)
    {
        var view = new RecordView { Kind = kind };
        view.View = kind switch
        {
            RecordKind.Hash => HashValue.CreateView(view),
            RecordKind.IntSet => SetValue.CreateView(view),
            RecordKind.SortedSet => SortedSetValue.CreateView(view),
            RecordKind.List => QuickList.CreateView(view),
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
        return view;
    }

    /// <summary>
    /// <paramref name="value"/> (a new key's collection, just copied into the record at
    /// <paramref name="entry"/>) becomes a view of that record until the command ends, so
    /// whatever the command still does with it lands in the keyspace.
    /// </summary>
    internal void Adopt(Keyspace keys, int entry, long address, RecordKind kind, StoredObject value)
    {
        RecordView? view = null;
        foreach (var lent in _lent)
            if (ReferenceEquals(lent.View, value)) view = lent; // a detached view stored again
        bool isNew = view is null;
        view ??= new RecordView { Kind = kind, View = value };
        view.Keys = keys;
        view.Entry = entry;
        view.Address = address;
        value.Bind(view);
        Track(view, isNew);
    }

    /// <summary>The entry's record is leaving the keyspace: a view of it (at most one) keeps a copy of its own.</summary>
    internal void Detach(Keyspace keys, int entry)
    {
        if (Find(keys, entry) is not { } view) return;
        view.View.Materialize();
        Unbind(view);
    }

    /// <summary>A flushed keyspace: every view of it detaches before its pages go.</summary>
    public void DetachAll(Keyspace keys)
    {
        foreach (var view in _lent)
        {
            if (!ReferenceEquals(view.Keys, keys)) continue;
            view.View.Materialize();
            Unbind(view);
        }
    }

    /// <summary>Every view lent since <paramref name="mark"/> (a <see cref="Lent"/> read earlier) goes back to the pool.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public void ReturnTo(int mark)
    {
        // Every command and every loop iteration calls this; most lent nothing.
        if (_lent.Count > mark || _indexed) ReturnViews(mark);
    }

    void ReturnViews(int mark)
    {
        for (int i = _lent.Count - 1; i >= mark; i--)
        {
            var view = _lent[i];
            _lent.RemoveAt(i);
            if (view.Promoted) continue;
            Unbind(view);
            view.View.Bind(view); // parked: it drops any array it detached into
            var pool = _pool[(int)view.Kind];
            if (pool.Count < PoolLimit) pool.Push(view);
        }
        if (_indexed && _lent.Count <= ScanLimit)
        {
            _byEntry!.Clear();
            _indexed = false;
        }
    }

    void Unbind(RecordView view)
    {
        if (_indexed && view.Keys is not null) _byEntry!.Remove((view.Keys, view.Entry));
        view.Keys = null;
        view.Entry = -1;
        view.Address = 0;
    }
}
