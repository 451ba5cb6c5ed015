using System.Diagnostics;
using System.Text;
using Vermilion.Storage;

// How ZRANK, ZRANGE by rank, ZSCORE and ZADD cost as a sorted set grows from 10^3 to 10^6 members
// (the tree encoding, called as the commands call it, without the network). Each operation runs
// on random members/ranks; the best of 5 rounds is printed in ns per operation. A logarithmic
// structure shows a slow, steady rise per decade (cache misses), not a tenfold one.
//   dotnet run -c Release --project bench/ZsetRanks [maxSize=1000000]
int max = args.Length > 0 ? int.Parse(args[0]) : 1_000_000;
const int Ops = 200_000;
var rng = new Random(1);
Console.WriteLine($"{"members",10} {"ZRANK",9} {"ZRANGE i i+9",13} {"ZRANGE -i",10} {"ZSCORE",9} {"ZADD upd",9} {"ZCOUNT",9}   (ns/op, best of 5)");
for (int size = 1000; size <= max; size *= 10)
{
    var set = SortedSetValue.Create("bench"u8.ToArray(), packed: false);
    var members = new byte[size][];
    for (int i = 0; i < size; i++)
    {
        members[i] = Encoding.ASCII.GetBytes("member:" + i);
        set.Add(rng.Next(size), members[i], ZAddFlags.None, 128, 64, out _);
    }
    var picks = new int[Ops];
    for (int i = 0; i < Ops; i++) picks[i] = rng.Next(size);

    double Measure(Action<int> op)
    {
        double best = double.MaxValue;
        for (int round = 0; round < 5; round++)
        {
            var sw = Stopwatch.StartNew();
            for (int i = 0; i < Ops; i++) op(picks[i]);
            best = Math.Min(best, sw.Elapsed.TotalNanoseconds / Ops);
        }
        return best;
    }

    long sink = 0;
    double rank = Measure(i => sink += set.Rank(members[i]));
    double range = Measure(i =>
    {
        var c = set.At(Math.Min(i, size - 10));
        for (int k = 0; k < 10; k++, c.MoveNext()) sink += c.Member.Length;
    });
    double rangeRev = Measure(i =>
    {
        var c = set.At(size - 1 - Math.Min(i, size - 10));
        for (int k = 0; k < 10; k++, c.MovePrev()) sink += c.Member.Length;
    });
    double score = Measure(i => sink += set.TryGetScore(members[i], out double s) ? (long)s : 0);
    double update = Measure(i => set.Add(rng.Next(size), members[i], ZAddFlags.None, 128, 64, out _));
    double count = Measure(i =>
    {
        var bound = new Below(i);
        sink += set.FirstNotBefore(ref bound);
    });
    Console.WriteLine($"{size,10:N0} {rank,9:F0} {range,13:F0} {rangeRev,10:F0} {score,9:F0} {update,9:F0} {count,9:F0}");
    GC.KeepAlive(sink);
}

struct Below(double min) : IEntryBound
{
    public readonly bool IsBefore(double score, ReadOnlySpan<byte> member) => score < min;
}
