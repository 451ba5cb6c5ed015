using Xunit;

namespace Vermilion.Tests;

/// <summary>
/// redis-py (Debian's python3-redis) driving a producer/consumer-group workload: a producer XADDs
/// with MAXLEN ~ while a consumer thread keeps up through XREADGROUP BLOCK and acks, a consumer
/// that "crashed" leaves part of its batch pending, a reaper XAUTOCLAIMs and XCLAIMs it, a second
/// group audits everything, and the session prints what each side saw. The same session runs against redis-server 7.0.15 and
/// against Vermilion and must print the same lines.
/// </summary>
[Trait("Category", "Network")]
public class StreamRealClientTests
{
    static string Python => File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";

    const string Session = """
        import sys, threading, redis
        port = int(sys.argv[1])
        r = redis.Redis(port=port, decode_responses=True)
        r.flushall()
        r.xgroup_create('jobs', 'workers', id='0', mkstream=True)
        r.xgroup_create('jobs', 'audit', id='$')
        done = {}
        lock = threading.Lock()
        def worker(name, crash_after):
            c = redis.Redis(port=port, decode_responses=True)
            seen = 0
            while True:
                reply = c.xreadgroup('workers', name, {'jobs': '>'}, count=3, block=300)
                if not reply:
                    break
                for _, entries in reply:
                    for eid, fields in entries:
                        seen += 1
                        if fields.get('n') == 'stop':
                            continue
                        if seen > crash_after:
                            continue  # crashed: left pending
                        c.xack('jobs', 'workers', eid)
                        with lock:
                            done[eid] = name
            return seen
        for i in range(20):
            r.xadd('jobs', {'n': str(i), 'payload': 'x' * (i % 7)}, id=f'{1000 + i}-1', maxlen=500, approximate=True)
        # w2 takes a batch and crashes after acking five of them.
        results = {}
        crashed = redis.Redis(port=port, decode_responses=True)
        batch = crashed.xreadgroup('workers', 'w2', {'jobs': '>'}, count=8)[0][1]
        for eid, _ in batch[:5]:
            crashed.xack('jobs', 'workers', eid)
        results['w2'] = len(batch)
        # w1 keeps up with the producer from its own thread.
        t = threading.Thread(target=lambda: results.__setitem__('w1', worker('w1', 1000)))
        t.start()
        for i in range(20, 60):
            r.xadd('jobs', {'n': str(i), 'payload': 'x' * (i % 7)}, id=f'{1000 + i}-1', maxlen=500, approximate=True)
        t.join()
        print('produced', r.xlen('jobs'))
        print('acked', len(done), 'seen', results)
        p = r.xpending('jobs', 'workers')
        print('pending', p['pending'], p['min'] is not None)
        cursor, claimed, deleted = r.xautoclaim('jobs', 'workers', 'reaper', 0, '0-0', count=4)
        print('autoclaimed', len(claimed), 'deleted', deleted)
        ids = [e['message_id'] for e in r.xpending_range('jobs', 'workers', '-', '+', 100)]
        got = r.xclaim('jobs', 'workers', 'reaper', 0, ids, justid=True)
        print('claimed', len(got))
        print('reaper acks', r.xack('jobs', 'workers', *got))
        print('pending after', r.xpending('jobs', 'workers')['pending'])
        audit = r.xreadgroup('audit', 'a1', {'jobs': '>'}, count=100)
        print('audit read', len(audit[0][1]) if audit else 0)
        print('groups', [(g['name'], g['consumers'], g['pending'], g['last-delivered-id'], g['entries-read'], g['lag']) for g in r.xinfo_groups('jobs')])
        print('range', [e[0] for e in r.xrange('jobs', '1010', '1012')], [e[0] for e in r.xrevrange('jobs', count=2)])
        r.xtrim('jobs', maxlen=10, approximate=False)
        print('trimmed', r.xlen('jobs'), r.xinfo_stream('jobs')['first-entry'][0])
        """;

    static string Run(int port)
    {
        var r = ExternalProcess.Run(Python, ["-c", Session, port.ToString()]);
        Assert.True(r.ExitCode == 0, $"python3 failed ({r.ExitCode}):\n{r.Stdout}\n{r.Stderr}");
        return r.Stdout;
    }

    [Fact]
    public void ProducersConsumersAndReaperSeeTheSame()
    {
        using var oracle = new OracleServer();
        using var server = new InProcessServer();
        var expected = Run(oracle.Port);
        Assert.Contains("produced 60", expected);
        Assert.Equal(expected, Run(server.Port));
    }
}
