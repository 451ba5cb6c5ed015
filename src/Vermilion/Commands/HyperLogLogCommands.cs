using Vermilion.Protocol;
using Vermilion.Server;
using Vermilion.Storage;

namespace Vermilion.Commands;

/// <summary>
/// PFADD, PFCOUNT, PFMERGE, PFDEBUG, PFSELFTEST (hyperloglog.c's commands) over HLL strings in
/// Redis 7.0's representation (<see cref="HyperLogLog"/>). A HLL is changed where the string
/// lives (<see cref="HllString"/>): PFADD and PFCOUNT of an existing key copy nothing.
/// </summary>
public static partial class HyperLogLogCommands
{
    const string InvalidObject = "-INVALIDOBJ Corrupted HLL object detected";
    const string NotHll = "-WRONGTYPE Key is not a valid HyperLogLog string value.";

    /// <summary>
    /// isHLLObjectOrReply on a found key: WRONGTYPE for another type, Redis's own WRONGTYPE text
    /// for a string that is no HLL; false after the reply. Like dbUnshareStringValue, a HLL the
    /// command goes on with is raw-encoded from now on (OBJECT ENCODING says so after a PFCOUNT).
    /// </summary>
    static bool CheckHll(Client c, int index)
    {
        if (!c.Db.Keys.TryGetString(index, out var value)) throw WrongTypeException.Instance;
        if (c.Db.Keys.Encoding(index) == StringEncoding.Int || !HyperLogLog.IsValid(value))
        {
            c.Reply.Error(NotHll);
            return false;
        }
        return true;
    }

    static void Unshare(Client c, int index) => c.Db.Keys.SetEncoding(index, StringEncoding.Raw, shared: false);

    /// <summary>lookupKeyWrite, or createHLLObject + dbAdd for a missing key: the entry, and whether it was made.</summary>
    static int FindOrCreate(Client c, ReadOnlySpan<byte> key, out bool created)
    {
        int index = c.Db.Lookup(key);
        created = index < 0;
        if (!created) return index;
        c.Db.Set(key, HyperLogLog.Empty);
        index = c.Db.Keys.Find(key);
        Unshare(c, index);
        return index;
    }

    /// <summary>PFADD: 1 when the key was made or a register rose (each counts as a change in dirty), else 0.</summary>
    [Command("pfadd")]
    static void PfAdd(Client c, CommandArgs a)
    {
        int index = FindOrCreate(c, a[1], out bool created);
        if (!created)
        {
            if (!CheckHll(c, index)) return;
            Unshare(c, index);
        }
        int updated = created ? 1 : 0;
        var hll = new HllString(c.Db.Keys, index, a[1]);
        long maxBytes = c.Server.Config.HllSparseMaxBytes;
        for (int j = 2; j < a.Count; j++)
        {
            int result = HyperLogLog.Add(ref hll, a[j], maxBytes);
            if (result < 0)
            {
                // As Redis: registers raised before the corruption was met stay raised, unannounced.
                c.Reply.Error(InvalidObject);
                return;
            }
            updated += result;
        }
        if (updated > 0)
        {
            HyperLogLog.InvalidateCache(hll.Writable());
            c.Server.Notify(NotifyFlags.String, "pfadd", c.Db, a[1]);
            c.Server.Dirty += updated;
        }
        c.Reply.Integer(updated > 0 ? 1 : 0);
    }

    /// <summary>
    /// PFCOUNT: one key answers its cached cardinality, or computes it and writes it back into the
    /// header (a change: signalled, counted in dirty and so propagated, as 7.0 does although
    /// PFCOUNT is read-only); several keys are merged into a temporary of one byte per register.
    /// </summary>
    [Command("pfcount")]
    static void PfCount(Client c, CommandArgs a)
    {
        if (a.Count > 2)
        {
            Span<byte> max = stackalloc byte[HyperLogLog.Registers];
            max.Clear();
            for (int j = 1; j < a.Count; j++)
            {
                int at = c.Server.LookupKeyRead(c.Db, a[j]);
                if (at < 0) continue;
                if (!CheckHll(c, at)) return;
                c.Db.Keys.TryGetString(at, out var value);
                if (!HyperLogLog.Merge(max, value))
                {
                    c.Reply.Error(InvalidObject);
                    return;
                }
            }
            c.Reply.Integer((long)HyperLogLog.CountRaw(max));
            return;
        }

        int index = c.Server.LookupKeyRead(c.Db, a[1]);
        if (index < 0)
        {
            c.Reply.Integer(0);
            return;
        }
        if (!CheckHll(c, index)) return;
        Unshare(c, index);
        var hll = new HllString(c.Db.Keys, index, a[1]);
        var bytes = hll.Bytes;
        if (HyperLogLog.IsCacheValid(bytes))
        {
            c.Reply.Integer((long)HyperLogLog.CachedCardinality(bytes));
            return;
        }
        bool invalid = false;
        ulong card = HyperLogLog.Count(bytes, ref invalid);
        if (invalid)
        {
            c.Reply.Error(InvalidObject);
            return;
        }
        HyperLogLog.SetCachedCardinality(hll.Writable(), card);
        c.Server.SignalModifiedKey(c, a[1]);
        c.Server.Dirty++;
        c.Reply.Integer((long)card);
    }

    /// <summary>
    /// PFMERGE: the registers' maximum over every key (the destination's own included; missing
    /// keys are empty), written into the destination, made if missing (7.0), dense as soon as
    /// one input was. Notified as "pfadd", as Redis.
    /// </summary>
    [Command("pfmerge")]
    static void PfMerge(Client c, CommandArgs a)
    {
        Span<byte> max = stackalloc byte[HyperLogLog.Registers];
        max.Clear();
        bool dense = false;
        for (int j = 1; j < a.Count; j++)
        {
            int at = c.Server.LookupKeyRead(c.Db, a[j]);
            if (at < 0) continue;
            if (!CheckHll(c, at)) return;
            c.Db.Keys.TryGetString(at, out var value);
            if (value[4] == HyperLogLog.Dense) dense = true;
            if (!HyperLogLog.Merge(max, value))
            {
                c.Reply.Error(InvalidObject);
                return;
            }
        }
        int index = FindOrCreate(c, a[1], out _);
        Unshare(c, index);
        var hll = new HllString(c.Db.Keys, index, a[1]);
        if (dense && !HyperLogLog.ToDense(ref hll))
        {
            c.Reply.Error(InvalidObject);
            return;
        }
        long maxBytes = c.Server.Config.HllSparseMaxBytes;
        for (int j = 0; j < HyperLogLog.Registers; j++)
        {
            if (max[j] == 0) continue;
            // The encoding is read again each time: a sparse destination may turn dense on the way.
            if (hll.Bytes[4] == HyperLogLog.Dense) HyperLogLog.DenseSet(hll.Writable()[HyperLogLog.HeaderSize..], j, max[j]);
            else HyperLogLog.SparseSet(ref hll, j, max[j], maxBytes);
        }
        HyperLogLog.InvalidateCache(hll.Writable());
        c.Server.Notify(NotifyFlags.String, "pfadd", c.Db, a[1]);
        c.Server.Dirty++;
        c.Reply.Ok();
    }

    /// <summary>
    /// PFDEBUG GETREG | DECODE | ENCODING | TODENSE key. The key is looked up and checked before
    /// the subcommand is; GETREG and TODENSE make a sparse HLL dense (counted in dirty, so the
    /// change propagates). Redis signals no key here, so neither does the dispatcher's guess.
    /// </summary>
    [Command("pfdebug")]
    static void PfDebug(Client c, CommandArgs a)
    {
        c.Server.SignalsOwnKeys();
        int index = c.Db.Lookup(a[2]);
        if (index < 0)
        {
            c.Reply.Error("The specified key does not exist");
            return;
        }
        if (!CheckHll(c, index)) return;
        Unshare(c, index);
        var hll = new HllString(c.Db.Keys, index, a[2]);
        bool getReg = a.Is(1, "getreg");
        if (getReg || a.Is(1, "todense"))
        {
            bool converted = false;
            if (hll.Bytes[4] == HyperLogLog.Sparse)
            {
                if (!HyperLogLog.ToDense(ref hll))
                {
                    c.Reply.Error(InvalidObject);
                    return;
                }
                converted = true;
                c.Server.Dirty++;
            }
            if (!getReg)
            {
                c.Reply.Integer(converted ? 1 : 0);
                return;
            }
            var registers = hll.Bytes[HyperLogLog.HeaderSize..];
            c.Reply.ArrayHeader(HyperLogLog.Registers);
            for (int j = 0; j < HyperLogLog.Registers; j++) c.Reply.Integer(HyperLogLog.GetRegister(registers, j));
        }
        else if (a.Is(1, "decode"))
        {
            if (hll.Bytes[4] != HyperLogLog.Sparse)
            {
                c.Reply.Error("HLL encoding is not sparse");
                return;
            }
            c.Reply.Bulk(HyperLogLog.Decode(hll.Bytes));
        }
        else if (a.Is(1, "encoding")) c.Reply.Simple(hll.Bytes[4] == HyperLogLog.Dense ? "dense"u8 : "sparse"u8);
        else c.Reply.Error($"Unknown PFDEBUG subcommand '{System.Text.Encoding.UTF8.GetString(a[1])}'");
    }

    /// <summary>
    /// PFSELFTEST (pfselftestCommand's two tests, our own code): random register values read back
    /// from the dense array, then 10M elements added to a dense and a sparse HLL side by side,
    /// checked at every power of ten for the encoding, agreement and the error bound.
    /// </summary>
    [Command("pfselftest")]
    static void PfSelfTest(Client c, CommandArgs a)
    {
        var random = new Random();
        var dense = new byte[HyperLogLog.DenseRegisterBytes];
        var expected = new byte[HyperLogLog.Registers];
        for (int cycle = 0; cycle < 1000; cycle++)
        {
            for (int i = 0; i < HyperLogLog.Registers; i++)
            {
                int r = random.Next() & HyperLogLog.RegisterMax;
                expected[i] = (byte)r;
                HyperLogLog.SetRegister(dense, i, r);
            }
            for (int i = 0; i < HyperLogLog.Registers; i++)
            {
                int got = HyperLogLog.GetRegister(dense, i);
                if (got != expected[i])
                {
                    c.Reply.Error($"TESTFAILED Register {i} should be {expected[i]} but is {got}");
                    return;
                }
            }
        }

        var denseHll = new HllArray(new byte[HyperLogLog.DenseSize], HyperLogLog.DenseSize);
        HyperLogLog.Empty[..HyperLogLog.HeaderSize].CopyTo(denseHll.Writable());
        denseHll.Writable()[4] = HyperLogLog.Dense;
        var sparseHll = HllArray.NewEmpty();
        long maxBytes = c.Server.Config.HllSparseMaxBytes;
        double relativeError = 1.04 / Math.Sqrt(HyperLogLog.Registers);
        long checkpoint = 1;
        ulong seed = (ulong)random.NextInt64();
        Span<byte> element = stackalloc byte[8];
        bool invalid = false;
        for (long j = 1; j <= 10_000_000; j++)
        {
            System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(element, (ulong)j ^ seed);
            HyperLogLog.Add(ref denseHll, element, maxBytes);
            HyperLogLog.Add(ref sparseHll, element, maxBytes);
            if (j != checkpoint) continue;
            if (j < maxBytes / 2 && sparseHll.Bytes[4] != HyperLogLog.Sparse)
            {
                c.Reply.Error("TESTFAILED sparse encoding not used");
                return;
            }
            ulong count = HyperLogLog.Count(denseHll.Bytes, ref invalid);
            if (count != HyperLogLog.Count(sparseHll.Bytes, ref invalid))
            {
                c.Reply.Error("TESTFAILED dense/sparse disagree");
                return;
            }
            long error = Math.Abs(checkpoint - (long)count);
            long maxError = j == 10 ? 1 : (long)Math.Ceiling(relativeError * 6 * checkpoint);
            if (error > maxError)
            {
                c.Reply.Error($"TESTFAILED Too big error. card:{checkpoint} abserr:{error}");
                return;
            }
            checkpoint *= 10;
        }
        c.Reply.Ok();
    }
}
