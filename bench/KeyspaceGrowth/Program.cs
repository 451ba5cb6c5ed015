using System.Diagnostics;
using System.Runtime;
using Vermilion.Server;
using Vermilion.Storage;

// Grows one Db to N keys (SET key:%010d with a 10-byte value, or with --hashes a small hash of
// two fields, a listpack as HSET makes it, --sets an intset of three members, --zsets a listpack
// sorted set of two, --lists a one-node list of three elements) the way the loop would: each insert
// timed alone, with the Cron's millisecond of rehashing every 100 ms of inserts (hz 10). Prints
// the worst pauses split into those with and without a GC inside them, so a rehash stall and a
// collector stall are told apart.
//   dotnet run -c Release --project bench/KeyspaceGrowth -- [N=10000000] [-v: list every insert over 2 ms] [--hashes|--sets|--zsets|--lists]
int n = args.Length > 0 && int.TryParse(args[0], out int given) ? given : 10_000_000;
bool verbose = args.Contains("-v"), hashes = args.Contains("--hashes"), sets = args.Contains("--sets"), zsets = args.Contains("--zsets"), lists = args.Contains("--lists");
var config = new Config();
var stats = new Stats();
long Now() => Environment.TickCount64;
var db = new Db(0, Now, stats, new Eviction(config, stats, Now));
Span<byte> key = stackalloc byte[14];
"key:"u8.CopyTo(key);
var value = "vvvvvvvvvv"u8;

long worstNoGc = 0, worstWithGc = 0, over1ms = 0;
int worstNoGcAt = 0, worstWithGcAt = 0;
long nextCron = Stopwatch.GetTimestamp();
var total = Stopwatch.StartNew();
long cronTicks = Stopwatch.Frequency / 1000;
for (int i = 0; i < n; i++)
{
    WriteDigits(key[4..], i);
    int gcBefore = GC.CollectionCount(0);
    long t0 = Stopwatch.GetTimestamp();
    if (hashes)
    {
        var hash = new HashValue(key);
        hash.Set("name"u8, value, 128, 64);
        hash.Set("count"u8, "12"u8, 128, 64);
        db.Add(hash);
        db.Views.ReturnTo(0); // as the server does after each command: the new hash was lent as a view of its record
    }
    else if (sets)
    {
        var set = new SetValue(key, forIntegers: true, intsetCapacity: 3);
        set.Add("1"u8, 512);
        set.Add("20"u8, 512);
        set.Add("300"u8, 512);
        db.Add(set);
        db.Views.ReturnTo(0);
    }
    else if (zsets)
    {
        var zset = SortedSetValue.Create(key, packed: true);
        zset.Add(1, "alpha"u8, ZAddFlags.None, 128, 64, out _);
        zset.Add(2.5, "beta"u8, ZAddFlags.None, 128, 64, out _);
        db.Add(zset);
        db.Views.ReturnTo(0);
    }
    else if (lists)
    {
        var list = new QuickList(key.ToArray(), -2);
        list.PushTail(value);
        list.PushTail("12"u8);
        list.PushTail("abc"u8);
        db.Add(list);
        db.Views.ReturnTo(0);
    }
    else db.Set(key, value);
    long took = Stopwatch.GetTimestamp() - t0;
    if (took > cronTicks)
    {
        over1ms++;
        if (took > 2 * cronTicks && verbose) Console.WriteLine($"  {took * 1000.0 / Stopwatch.Frequency:F1} ms at key {i:N0}, buckets {db.Keys.BucketCount:N0}, gen0 GCs {GC.CollectionCount(0)}, gen2 GCs {GC.CollectionCount(2)}");
    }
    if (GC.CollectionCount(0) != gcBefore) { if (took > worstWithGc) { worstWithGc = took; worstWithGcAt = i; } }
    else if (took > worstNoGc) { worstNoGc = took; worstNoGcAt = i; }
    if (t0 > nextCron)
    {
        db.Cron(cronTicks);
        nextCron = t0 + Stopwatch.Frequency / 10;
    }
}
total.Stop();
double Ms(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;
var gc = GC.GetGCMemoryInfo(GCKind.Any);
Console.WriteLine($"keys: {db.Count:N0} in {total.Elapsed.TotalSeconds:F1} s ({n / total.Elapsed.TotalSeconds:N0} inserts/s), GC mode {(GCSettings.IsServerGC ? "server" : "workstation")}, latency {GCSettings.LatencyMode}");
Console.WriteLine($"worst insert without a GC in it: {Ms(worstNoGc):F3} ms (at key {worstNoGcAt:N0})");
Console.WriteLine($"worst insert with a GC in it:    {Ms(worstWithGc):F3} ms (at key {worstWithGcAt:N0})");
Console.WriteLine($"inserts over 1 ms: {over1ms:N0}; GCs gen0/1/2: {GC.CollectionCount(0)}/{GC.CollectionCount(1)}/{GC.CollectionCount(2)}; total GC pause {GC.GetTotalPauseDuration().TotalMilliseconds:F0} ms; last GC pause {gc.PauseDurations[0].TotalMilliseconds:F1} ms");
Console.WriteLine($"structure bytes {db.Keys.StructureBytes:N0}, item bytes {db.Keys.ItemBytes:N0}, per key {(db.Keys.StructureBytes + db.Keys.ItemBytes) / (double)db.Count:F1}");

static void WriteDigits(Span<byte> into, int value)
{
    for (int d = into.Length - 1; d >= 0; d--, value /= 10) into[d] = (byte)('0' + value % 10);
}
