using Xunit;

namespace Vermilion.Tests;

/// <summary>
/// redis-py's Lock (Debian's python3-redis, test.sh installs it), the client-side lock most Python
/// applications use: its acquire, extend, reacquire and release are Lua scripts it runs with
/// EVALSHA (SCRIPT LOAD after the first NOSCRIPT). The same session runs against redis-server and
/// against Vermilion and must print the same lines.
/// </summary>
[Trait("Category", "Network")]
public class RedisPyLockTests
{
    /// <summary>Debian's interpreter, where python3-redis installs (another python3 first on PATH may lack it).</summary>
    static string Python => File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";

    const string Session = """
        import sys, redis
        r = redis.Redis(port=int(sys.argv[1]))
        r.flushall()
        r.script_flush()
        lock = r.lock('resource', timeout=10)
        print('acquired', lock.acquire(blocking=False))
        print('token set', r.get('resource') == lock.local.token)
        print('ttl', 9000 < r.pttl('resource') <= 10000)
        other = r.lock('resource', timeout=10)
        print('other acquires', other.acquire(blocking=False))
        print('owned', lock.owned(), other.owned(), lock.locked())
        print('extended', lock.extend(5))
        print('ttl after extend', 14000 < r.pttl('resource') <= 15000)
        print('replaced ttl', lock.extend(3, replace_ttl=True), 2000 < r.pttl('resource') <= 3000)
        print('reacquired', lock.reacquire())
        print('ttl after reacquire', 9000 < r.pttl('resource') <= 10000)
        try:
            other.release()
        except redis.exceptions.LockError as e:
            print('other release:', type(e).__name__, e)
        try:
            other.extend(5)
        except redis.exceptions.LockError as e:
            print('other extend:', type(e).__name__, e)
        lock.release()
        print('released', r.exists('resource'), lock.locked())
        try:
            lock.release()
        except redis.exceptions.LockError as e:
            print('second release:', type(e).__name__, e)
        print('other acquires now', other.acquire(blocking=True, blocking_timeout=1))
        other.release()
        info = r.info('commandstats')
        print('evalsha calls', sorted(k for k in info if k.startswith('cmdstat_evalsha')), info['cmdstat_evalsha']['calls'])
        print('scripts cached', r.info('memory')['number_of_cached_scripts'])
        """;

    static string Run(int port)
    {
        var r = ExternalProcess.Run(Python, ["-c", Session, port.ToString()]);
        Assert.True(r.ExitCode == 0, $"python3 failed ({r.ExitCode}):\n{r.Stdout}\n{r.Stderr}");
        return r.Stdout;
    }

    [Fact]
    public void LockAcquiresExtendsAndReleasesThroughEvalsha()
    {
        using var oracle = new OracleServer();
        using var server = new InProcessServer();
        var expected = Run(oracle.Port);
        Assert.Contains("acquired True", expected);
        Assert.Equal(expected, Run(server.Port));
    }
}
