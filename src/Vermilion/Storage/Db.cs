using System.Runtime.InteropServices;

namespace Vermilion;

/// <summary>
/// One database's keyspace: binary-safe keys to string values, and the keys that expire with
/// their deadline (Unix ms). Lookups take spans straight from the query buffer (an alternate-key
/// comparer), so a GET allocates nothing. A key past its deadline is deleted when touched (lazy
/// expiry) or by <see cref="ActiveExpireCycle"/> from serverCron, as Redis does.
/// The keyspace issue replaces the plain dictionary with a memory-lean structure.
/// </summary>
public sealed class Db
{
    public int Id { get; }
    Dictionary<byte[], byte[]> _dict = new(ByteKeyComparer.Instance);
    Dictionary<byte[], byte[]>.AlternateLookup<ReadOnlySpan<byte>> _bySpan;
    // Deadlines, plus a dense list of the same keys so the active cycle can sample at random.
    Dictionary<byte[], (long When, int Slot)> _expires = new(ByteKeyComparer.Instance);
    Dictionary<byte[], (long When, int Slot)>.AlternateLookup<ReadOnlySpan<byte>> _expiresBySpan;
    List<byte[]> _volatile = new();
    readonly Func<long> _now;
    readonly Stats _stats;

    /// <summary>INFO keyspace avg_ttl: a running estimate from the keys the active cycle samples, as Redis's.</summary>
    public long AverageTtl { get; private set; }

    public Db(int id, Func<long> nowMs, Stats stats)
    {
        Id = id;
        _now = nowMs;
        _stats = stats;
        _bySpan = _dict.GetAlternateLookup<ReadOnlySpan<byte>>();
        _expiresBySpan = _expires.GetAlternateLookup<ReadOnlySpan<byte>>();
    }

    public int Count => _dict.Count;
    public int ExpiresCount => _expires.Count;

    /// <summary>The value, or null when the key is missing or has just expired (and was deleted).</summary>
    public byte[]? Get(ReadOnlySpan<byte> key)
    {
        if (!_bySpan.TryGetValue(key, out var value)) return null;
        if (_expires.Count > 0 && ExpireIfNeeded(key)) return null;
        return value;
    }

    public bool Exists(ReadOnlySpan<byte> key) => Get(key) is not null;

    /// <summary>The string value of a live key (lazy expiry applies; no hit/miss counting).</summary>
    public bool TryGetString(ReadOnlySpan<byte> key, out ReadOnlySpan<byte> value)
    {
        var v = Get(key);
        value = v;
        return v is not null;
    }

    /// <summary>
    /// The key's value as a writable span of at least <paramref name="minLength"/> bytes, created
    /// (zero-filled) when missing or zero-padded when shorter, as SETRANGE, SETBIT and BITFIELD
    /// need. The key keeps its deadline; the value is now raw-encoded.
    /// </summary>
    public Span<byte> GetWritable(ReadOnlySpan<byte> key, int minLength)
    {
        var old = Get(key);
        if (old is not null && old.Length >= minLength) return old;
        var grown = new byte[minLength];
        old?.CopyTo(grown, 0);
        SetOwned(key, grown, keepTtl: true);
        return grown;
    }

    /// <summary>APPEND: the new length. A missing key is created.</summary>
    public int Append(ReadOnlySpan<byte> key, ReadOnlySpan<byte> tail)
    {
        var old = Get(key);
        int oldLength = old?.Length ?? 0;
        var target = GetWritable(key, oldLength + tail.Length);
        tail.CopyTo(target[oldLength..]);
        return target.Length;
    }

    /// <summary>RENAME: the value and its deadline move to <paramref name="to"/>, replacing what was there.</summary>
    public void Rename(ReadOnlySpan<byte> from, ReadOnlySpan<byte> to)
    {
        var value = Get(from)!;
        long expire = GetExpire(from);
        Delete(from);
        SetOwned(to, value, keepTtl: false);
        if (expire != -1) SetExpire(to, expire);
    }

    /// <summary>MOVE and COPY: puts the key (with its deadline) into <paramref name="target"/> as <paramref name="to"/>; the caller has checked both keys.</summary>
    public void CopyTo(ReadOnlySpan<byte> key, Db target, ReadOnlySpan<byte> to)
    {
        var value = Get(key)!;
        long expire = GetExpire(key);
        target.Delete(to);
        target.Set(to, value);
        if (expire != -1) target.SetExpire(to, expire);
    }

    bool ExpireIfNeeded(ReadOnlySpan<byte> key)
    {
        if (!_expiresBySpan.TryGetValue(key, out var e) || e.When > _now()) return false;
        Delete(key);
        _stats.ExpiredKeys++;
        return true;
    }

    /// <summary>setKey: stores a copy of <paramref name="value"/> and drops any deadline the key had.</summary>
    public void Set(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value) => Store(key, value, keepTtl: false);

    /// <summary>Changes the value of a key and keeps its deadline (INCR, APPEND, SETRANGE, SET KEEPTTL).</summary>
    public void Overwrite(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value) => Store(key, value, keepTtl: true);

    void Store(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, bool keepTtl)
    {
        ref var slot = ref CollectionsMarshal.GetValueRefOrAddDefault(_bySpan, key, out bool exists);
        // An old value of the same length is overwritten in place: steady-state SETs allocate nothing.
        if (exists && slot!.Length == value.Length) value.CopyTo(slot);
        else slot = value.ToArray();
        if (exists && !keepTtl && _expires.Count > 0) RemoveExpire(key);
    }

    /// <summary>Stores <paramref name="value"/> itself (the caller gives up the array).</summary>
    public void SetOwned(ReadOnlySpan<byte> key, byte[] value, bool keepTtl)
    {
        ref var slot = ref CollectionsMarshal.GetValueRefOrAddDefault(_bySpan, key, out bool exists);
        slot = value;
        if (exists && !keepTtl && _expires.Count > 0) RemoveExpire(key);
    }

    public bool Delete(ReadOnlySpan<byte> key)
    {
        if (!_bySpan.Remove(key)) return false;
        if (_expires.Count > 0) RemoveExpire(key);
        return true;
    }

    public void Clear()
    {
        _dict.Clear();
        _expires.Clear();
        _volatile.Clear();
        AverageTtl = 0;
    }

    /// <summary>Every key not yet past its deadline (KEYS): expired keys are skipped, not deleted, as Redis.</summary>
    public IEnumerable<byte[]> LiveKeys()
    {
        long now = _now();
        foreach (var key in _dict.Keys)
            if (_expires.Count == 0 || !_expires.TryGetValue(key, out var e) || e.When > now) yield return key;
    }

    /// <summary>SWAPDB: the two databases exchange their contents (clients keep their database number).</summary>
    public void SwapWith(Db other)
    {
        (_dict, other._dict) = (other._dict, _dict);
        (_bySpan, other._bySpan) = (other._bySpan, _bySpan);
        (_expires, other._expires) = (other._expires, _expires);
        (_expiresBySpan, other._expiresBySpan) = (other._expiresBySpan, _expiresBySpan);
        (_volatile, other._volatile) = (other._volatile, _volatile);
        (AverageTtl, other.AverageTtl) = (other.AverageTtl, AverageTtl);
        (_expireCursor, other._expireCursor) = (other._expireCursor, _expireCursor);
    }

    /// <summary>The key's deadline in Unix ms, or -1 without one. The key must exist.</summary>
    public long GetExpire(ReadOnlySpan<byte> key) => _expiresBySpan.TryGetValue(key, out var e) ? e.When : -1;

    /// <summary>Sets the deadline of an existing key.</summary>
    public void SetExpire(ReadOnlySpan<byte> key, long whenMs)
    {
        if (_expiresBySpan.TryGetValue(key, out var e))
        {
            _expiresBySpan[key] = (whenMs, e.Slot);
            return;
        }
        // The expires table shares the keyspace's key array instead of copying the key.
        if (!_bySpan.TryGetValue(key, out var actualKey, out _)) return;
        _expires[actualKey] = (whenMs, _volatile.Count);
        _volatile.Add(actualKey);
    }

    /// <summary>Drops the key's deadline; false when it had none.</summary>
    public bool RemoveExpire(ReadOnlySpan<byte> key)
    {
        if (!_expiresBySpan.Remove(key, out _, out var e)) return false;
        int last = _volatile.Count - 1;
        if (e.Slot != last)
        {
            var moved = _volatile[last];
            _volatile[e.Slot] = moved;
            _expires[moved] = (_expires[moved].When, e.Slot);
        }
        _volatile.RemoveAt(last);
        return true;
    }

    int _expireCursor;

    /// <summary>
    /// One database's share of activeExpireCycle: look at the next keys that have a deadline (a
    /// cursor walks them all in turn, as Redis walks its expires table), delete the expired ones, and go on while more than <paramref name="acceptableStalePercent"/> of a sample
    /// had expired and the time budget (a Stopwatch deadline) lasts. Returns whether the budget ran out.
    /// </summary>
    public bool ActiveExpireCycle(int keysPerLoop, int acceptableStalePercent, long deadlineTicks, out long sampled, out long expired)
    {
        sampled = expired = 0;
        long now = _now();
        int iteration = 0;
        while (_volatile.Count > 0)
        {
            int checkedNow = 0, expiredNow = 0;
            long ttlSum = 0;
            int ttlSamples = 0;
            int n = Math.Min(keysPerLoop, _volatile.Count);
            for (int i = 0; i < n && _volatile.Count > 0; i++)
            {
                if (_expireCursor >= _volatile.Count) _expireCursor = 0;
                var key = _volatile[_expireCursor];
                long when = _expires[key].When;
                checkedNow++;
                if (when <= now)
                {
                    // The last key moves into this slot: the cursor stays to look at it next.
                    Delete(key);
                    _stats.ExpiredKeys++;
                    expiredNow++;
                }
                else
                {
                    ttlSum += when - now;
                    ttlSamples++;
                    _expireCursor++;
                }
            }
            sampled += checkedNow;
            expired += expiredNow;
            if (ttlSamples > 0)
            {
                // As Redis: a moving average where each cycle's sample weighs 2%.
                long avg = ttlSum / ttlSamples;
                AverageTtl = AverageTtl == 0 ? avg : (AverageTtl / 50 * 49) + (avg / 50);
            }
            if ((++iteration & 15) == 0 && System.Diagnostics.Stopwatch.GetTimestamp() > deadlineTicks) return true;
            if (checkedNow == 0 || expiredNow * 100 / checkedNow <= acceptableStalePercent) break;
        }
        if (_volatile.Count == 0) AverageTtl = 0;
        return false;
    }

    /// <summary>Binary key equality; the hash is the runtime's randomized one, so crafted keys cannot flood a bucket.</summary>
    sealed class ByteKeyComparer : IEqualityComparer<byte[]>, IAlternateEqualityComparer<ReadOnlySpan<byte>, byte[]>
    {
        public static readonly ByteKeyComparer Instance = new();

        public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);
        public int GetHashCode(byte[] key) => Hash(key);
        public bool Equals(ReadOnlySpan<byte> alternate, byte[] other) => alternate.SequenceEqual(other);
        public int GetHashCode(ReadOnlySpan<byte> alternate) => Hash(alternate);
        public byte[] Create(ReadOnlySpan<byte> alternate) => alternate.ToArray();

        static int Hash(ReadOnlySpan<byte> key)
        {
            var h = new HashCode();
            h.AddBytes(key);
            return h.ToHashCode();
        }
    }
}
