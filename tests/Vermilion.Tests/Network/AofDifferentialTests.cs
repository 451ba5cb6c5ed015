using Xunit;

namespace Vermilion.Tests;

/// <summary>
/// The AOF at run time, Vermilion beside redis-server 7.0.15 given the same commands: the same
/// files and manifests through turning AOF on, rewrites, history kept and collected, AOF off;
/// each loads the other's directory into the same dataset; the same MISCONF when the disk refuses writes.
/// </summary>
[Trait("Category", "Network")]
public class AofDifferentialTests
{
    /// <summary>The base is written as commands on both sides until Vermilion has the RDB writer.</summary>
    static readonly string[] s_common = ["--aof-use-rdb-preamble", "no"];

    static (OracleServer Redis, InProcessServer Vermilion) Pair(AofDir redisDir, AofDir vermilionDir, params string[] extra)
    {
        var redis = new OracleServer([.. s_common, "--dir", redisDir.Path, .. extra]);
        try
        {
            return (redis, new InProcessServer(c => c.Dir = vermilionDir.Path, "epoll", [.. s_common, .. extra]));
        }
        catch
        {
            redis.Dispose();
            throw;
        }
    }

    static void Both(RespSocket r, RespSocket v, params string[] command) => Assert.Equal(r.Call(command), v.Call(command));

    static void SameDirectories(AofDir rdir, AofDir vdir)
    {
        Assert.Equal(rdir.Files(), vdir.Files());
        Assert.Equal(rdir.Read("appendonly.aof.manifest"), vdir.Read("appendonly.aof.manifest"));
        var check = AofServers.CheckAof(vdir.Manifest);
        Assert.True(check.ExitCode == 0, check.Stdout + check.Stderr);
    }

    /// <summary>
    /// appendonly no → CONFIG SET appendonly yes → BGREWRITEAOF → history kept with
    /// aof-disable-auto-gc → collected when it is turned back off → AOF off and a rewrite with
    /// AOF off: after each step the same file names and the same manifest, byte for byte.
    /// </summary>
    [Fact]
    public void FilesAndManifestsFollowRedisThroughRewrites()
    {
        using var rdir = new AofDir();
        using var vdir = new AofDir();
        Directory.Delete(rdir.AofPath);
        Directory.Delete(vdir.AofPath);
        var (redis, vermilion) = Pair(rdir, vdir);
        using (redis)
        using (vermilion)
        {
            using var r = redis.Connect();
            using var v = vermilion.Connect();
            AofData.Write(r, 0, 10);
            AofData.Write(v, 0, 10);
            Both(r, v, "CONFIG", "SET", "appendonly", "yes");
            AofServers.WaitForRewrite(r);
            AofServers.WaitForRewrite(v);
            SameDirectories(rdir, vdir);

            AofData.Write(r, 10, 20);
            AofData.Write(v, 10, 20);
            Both(r, v, "BGREWRITEAOF");
            AofServers.WaitForRewrite(r);
            AofServers.WaitForRewrite(v);
            SameDirectories(rdir, vdir);

            Both(r, v, "CONFIG", "SET", "aof-disable-auto-gc", "yes");
            Both(r, v, "SET", "one", "more");
            Both(r, v, "BGREWRITEAOF");
            AofServers.WaitForRewrite(r);
            AofServers.WaitForRewrite(v);
            Both(r, v, "SET", "and", "another");
            Both(r, v, "BGREWRITEAOF");
            AofServers.WaitForRewrite(r);
            AofServers.WaitForRewrite(v);
            // History files stay, and are listed as type h.
            Assert.Contains(" type h\n", vdir.Read("appendonly.aof.manifest"));
            SameDirectories(rdir, vdir);

            Both(r, v, "CONFIG", "SET", "aof-disable-auto-gc", "no");
            Assert.True(InProcessServer.WaitFor(() => rdir.Files().Length == vdir.Files().Length));
            SameDirectories(rdir, vdir);

            var names = (RespSocket c) => c.Call("INFO", "persistence").Split("\r\n").Where(l => l.StartsWith("aof_")).Select(l => l[..l.IndexOf(':')]).ToList();
            Assert.Equal(names(r), names(v));
            foreach (var field in new[] { "aof_enabled:1", "aof_rewrites:4", "aof_last_bgrewrite_status:ok", "aof_rewrite_in_progress:0", "aof_last_write_status:ok" })
            {
                Assert.Contains(field, r.Call("INFO", "persistence"));
                Assert.Contains(field, v.Call("INFO", "persistence"));
            }

            Both(r, v, "CONFIG", "SET", "appendonly", "no");
            Both(r, v, "SET", "while", "off");
            Both(r, v, "BGREWRITEAOF");
            AofServers.WaitForRewrite(r);
            AofServers.WaitForRewrite(v);
            SameDirectories(rdir, vdir);
            Assert.Equal(AofServers.Canonical(r), AofServers.Canonical(v));
        }
    }

    /// <summary>BGREWRITEAOF inside MULTI is scheduled (serverCron starts it), as CONFIG SET appendonly yes inside MULTI is.</summary>
    [Fact]
    public void RewriteInsideExecIsScheduled()
    {
        using var rdir = new AofDir();
        using var vdir = new AofDir();
        var (redis, vermilion) = Pair(rdir, vdir, "--appendonly", "yes");
        using (redis)
        using (vermilion)
        {
            using var r = redis.Connect();
            using var v = vermilion.Connect();
            Both(r, v, "SET", "a", "1");
            Both(r, v, "MULTI");
            Both(r, v, "BGREWRITEAOF");
            Assert.Equal("*1\r\n+Background append only file rewriting scheduled\r\n", v.Call("EXEC"));
            Assert.Equal("*1\r\n+Background append only file rewriting scheduled\r\n", r.Call("EXEC"));
            AofServers.WaitForRewrite(r);
            AofServers.WaitForRewrite(v);
            SameDirectories(rdir, vdir);
            Assert.Contains("aof_rewrites:1", v.Call("INFO", "persistence"));
        }
    }

    /// <summary>
    /// The same writes to both, a rewrite between them; then each server's directory is loaded
    /// by the other kind of server: redis-server holds Vermilion's dataset and Vermilion
    /// Redis's, key for key, value for value, deadline for deadline.
    /// </summary>
    [Fact]
    public void EachLoadsTheOthersDirectory()
    {
        using var rdir = new AofDir();
        using var vdir = new AofDir();
        string redisData, vermilionData;
        var (redis, vermilion) = Pair(rdir, vdir, "--appendonly", "yes");
        using (redis)
        using (vermilion)
        {
            using var r = redis.Connect();
            using var v = vermilion.Connect();
            AofData.Write(r, 0, 50);
            AofData.Write(v, 0, 50);
            Both(r, v, "BGREWRITEAOF");
            AofServers.WaitForRewrite(r);
            AofServers.WaitForRewrite(v);
            AofData.Write(r, 50, 80);
            AofData.Write(v, 50, 80);
            redisData = AofServers.Canonical(r);
            vermilionData = AofServers.Canonical(v);
            Assert.Equal(redisData, vermilionData);
            SameDirectories(rdir, vdir);
        }
        using (var fromVermilion = new OracleServer([.. s_common, "--appendonly", "yes", "--dir", vdir.Path]))
        using (var c = fromVermilion.Connect())
            Assert.Equal(vermilionData, AofServers.Canonical(c));
        using (var fromRedis = new InProcessServer(c => c.Dir = rdir.Path, "epoll", [.. s_common, "--appendonly", "yes"]))
        using (var c = fromRedis.Connect())
            Assert.Equal(redisData, AofServers.Canonical(c));
    }

    /// <summary>
    /// A disk that refuses writes (the incr file is /dev/full): with everysec the reply that was
    /// already built goes out, then writes and PING get Redis's MISCONF and reads still work;
    /// turning AOF off lifts it. Replies compared with redis-server on the same kind of file.
    /// </summary>
    [Fact]
    public void FullDiskGivesMisconfLikeRedis()
    {
        using var rdir = new AofDir();
        using var vdir = new AofDir();
        foreach (var dir in new[] { rdir, vdir })
        {
            dir.Write("appendonly.aof.manifest", "file appendonly.aof.1.base.aof seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n");
            dir.Write("appendonly.aof.1.base.aof", "");
            File.CreateSymbolicLink(dir.File("appendonly.aof.1.incr.aof"), "/dev/full");
        }
        var (redis, vermilion) = Pair(rdir, vdir, "--appendonly", "yes");
        using (redis)
        using (vermilion)
        {
            using var r = redis.Connect();
            using var v = vermilion.Connect();
            Both(r, v, "SET", "a", "1");
            const string misconf = "-MISCONF Errors writing to the AOF file: No space left on device\r\n";
            Assert.Equal(misconf, v.Call("SET", "b", "2"));
            Assert.Equal(misconf, r.Call("SET", "b", "2"));
            Both(r, v, "PING");
            Both(r, v, "GET", "a");
            Both(r, v, "MULTI");
            Both(r, v, "INCR", "n");
            Both(r, v, "EXEC");
            Assert.Contains("aof_last_write_status:err", v.Call("INFO", "persistence"));
            Assert.Contains("aof_last_write_status:err", r.Call("INFO", "persistence"));
            Assert.True(vermilion.LogContains("Error writing to the AOF file: No space left on device"));
            Both(r, v, "CONFIG", "SET", "appendonly", "no");
            Both(r, v, "SET", "b", "2");
            Both(r, v, "PING");
        }
    }
}
