using Xunit;

namespace Vermilion.Tests;

/// <summary>
/// The same bytes to redis-server 7.0.15 and to Vermilion; the raw replies must be equal. Masked
/// fields, where a step says so: client ids, ports, fds, ages and times (they differ between any
/// two runs), and HELLO's extra vermilion_version pair (a documented difference).
/// </summary>
[Trait("Category", "Network")]
public class DifferentialTests(DifferentialServers servers) : IClassFixture<DifferentialServers>
{
    static Step S(string request, int replies = 1) => new(request, replies);
    static Step C(params string[] args) => Step.Command(args);

    void Run(params Step[] script) => servers.Same(script);

    [Fact]
    public void PingEchoAndArity() => Run(
        C("PING"), C("PING", "hello"), C("PING", "a", "b"), C("ping"), C("PiNg"),
        C("ECHO", "x"), C("ECHO"), C("ECHO", "a", "b"), C("ECHO", ""),
        S("ECHO \"bin\\x00ary\\r\\n\"\r\n"), S("PING\r\n"), S("  PING  \r\n"), S("\r\n\r\nPING\r\n"),
        S("echo 'single \\' quoted'\r\n"), S("echo \"esc \\t \\n \\a \\b \\\\ \\\" \\q\"\r\n"),
        S("*0\r\n*-1\r\nPING\r\n"), S("*1\rX$4\r\nPING\r\n"), S("*1\r\n$4\r\nPINGxy"));

    [Fact]
    public void UnknownCommandsAndSubcommands() => Run(
        C("NOSUCH"), C("NOSUCH", "a", "b"), C("nosuch", new string('x', 200), "y"),
        C("NOSUCH", "a\r\nb"), C("CLIENT"), C("CLIENT", "NOSUCH"), C("CLIENT", "nosuch", "x"),
        C("COMMAND", "NOSUCH"), C("GET"), C("GET", "a", "b"), C("SET", "a"), C("CLIENT", "KILL"),
        C("CLIENT", "ID", "x"), C("CLIENT", "SETNAME"), C(""), S("\"\"\r\n"));

    [Fact]
    public void Select() => Run(
        C("SELECT", "0"), C("SELECT", "15"), C("SELECT", "16"), C("SELECT", "-1"), C("SELECT", "abc"),
        C("SELECT", "1.5"), C("SELECT", "99999999999999999999"), C("SELECT", "01"), C("SET", "k", "v"),
        C("SELECT", "1"), C("GET", "k"), C("SELECT", "0"), C("GET", "k"), C("DBSIZE"), C("DBSIZE", "x"));

    [Fact]
    public void Hello()
    {
        // Masks: the client id, and the vermilion_version pair Redis does not send (the map count with it).
        const string mask = @"(%|\*)(7|8|14|16)\r\n|\$17\r\nvermilion_version\r\n\$\d+\r\n[^\r]*\r\n|\$2\r\nid\r\n:\d+\r\n";
        Run(
            C("HELLO") with { Mask = mask },
            C("HELLO", "2") with { Mask = mask },
            C("HELLO", "4"), C("HELLO", "1"), C("HELLO", "abc"), C("HELLO", "2", "foo"), C("HELLO", "3", "SETNAME"),
            C("HELLO", "2", "SETNAME", "bad name"), C("HELLO", "2", "AUTH", "bob", "pw"), C("HELLO", "2", "AUTH", "default"),
            C("HELLO", "3", "AUTH", "default", "anything", "SETNAME", "named") with { Mask = mask },
            C("CLIENT", "GETNAME"), C("GET", "missing"), C("SET", "k", "v"), C("GET", "k"), C("INCR", "k"),
            C("HELLO", "2") with { Mask = mask },
            C("GET", "missing"),
            // Options in order: a SETNAME before a failing AUTH or a bad option stays; after, it is never reached.
            C("HELLO", "2", "SETNAME", "first", "AUTH", "bob", "pw"), C("CLIENT", "GETNAME"),
            C("HELLO", "2", "SETNAME", "second", "BOGUS"), C("CLIENT", "GETNAME"),
            C("HELLO", "2", "AUTH", "bob", "pw", "SETNAME", "third"), C("CLIENT", "GETNAME"));
    }

    [Fact]
    public void Auth() => Run(C("AUTH"), C("AUTH", "pw"), C("AUTH", "default", "pw"), C("AUTH", "bob", "pw"), C("AUTH", "a", "b", "c"));

    [Fact]
    public void ClientSubcommands()
    {
        const string mask = @"id=\d+|addr=[^ ]+|laddr=[^ ]+|fd=\d+|age=\d+|idle=\d+|qbuf-free=\d+|argv-mem=\d+|rbs=\d+|rbp=\d+|tot-mem=\d+|^\$\d+|^:\d+\r\n$";
        Run(
            C("CLIENT", "ID") with { Mask = mask },
            C("CLIENT", "GETNAME"), C("CLIENT", "SETNAME", "worker-1"), C("CLIENT", "GETNAME"),
            C("CLIENT", "SETNAME", "has space"), C("CLIENT", "SETNAME", "new\nline"), C("CLIENT", "SETNAME", ""), C("CLIENT", "GETNAME"),
            C("CLIENT", "INFO") with { Mask = mask },
            C("CLIENT", "LIST", "TYPE", "foo"), C("CLIENT", "LIST", "ID", "abc"), C("CLIENT", "LIST", "ID"), C("CLIENT", "LIST", "foo"),
            C("CLIENT", "LIST", "ID", "999999"), C("CLIENT", "LIST", "TYPE", "pubsub"), C("CLIENT", "LIST", "TYPE", "master"),
            C("CLIENT", "KILL", "1.2.3.4:5"), C("CLIENT", "KILL", "ID", "abc"), C("CLIENT", "KILL", "ID", "0"), C("CLIENT", "KILL", "ID", "-3"),
            C("CLIENT", "KILL", "ID", "999999"), C("CLIENT", "KILL", "TYPE", "foo"), C("CLIENT", "KILL", "TYPE", "pubsub"),
            C("CLIENT", "KILL", "USER", "bob"), C("CLIENT", "KILL", "SKIPME", "maybe"), C("CLIENT", "KILL", "ID"), C("CLIENT", "KILL", "FOO", "bar"),
            C("CLIENT", "KILL", "ADDR", "1.1.1.1:1", "SKIPME", "yes"), C("CLIENT", "KILL", "LADDR", "x"),
            C("CLIENT", "PAUSE", "abc"), C("CLIENT", "PAUSE", "-1"), C("CLIENT", "PAUSE", "10", "foo"), C("CLIENT", "PAUSE", "10", "write", "x"),
            C("CLIENT", "UNPAUSE"), C("CLIENT", "UNPAUSE", "x"),
            C("CLIENT", "NO-EVICT", "maybe"), C("CLIENT", "NO-EVICT", "on"), C("CLIENT", "NO-EVICT", "OFF"),
            C("CLIENT", "REPLY", "foo"), C("CLIENT", "REPLY", "on", "x"), C("CLIENT", "REPLY", "ON"),
            C("CLIENT", "UNBLOCK", "1", "foo"), C("CLIENT", "UNBLOCK", "abc"), C("CLIENT", "UNBLOCK", "abc", "foo"), C("CLIENT", "UNBLOCK", "1", "a", "b"),
            C("CLIENT", "UNBLOCK", "999999"), C("CLIENT", "UNBLOCK", "999999", "ERROR"));
    }

    [Fact]
    public void ClientListLineFields()
    {
        // The pattern Redis's own test suite asserts for a bare RESP CLIENT LIST.
        const string mask = @"id=\d+|addr=[^ ]+|laddr=[^ ]+|fd=\d+|age=\d+|idle=\d+|qbuf-free=\d+|argv-mem=\d+|rbs=\d+|rbp=\d+|tot-mem=\d+|^\$\d+";
        Run(C("CLIENT", "LIST", "ID", "999999") with { Mask = mask },
            C("CLIENT", "INFO") with { Mask = mask });
    }

    [Fact]
    public void ClientReplyModes() => Run(
        S("CLIENT REPLY OFF\r\nPING\r\nCLIENT REPLY ON\r\nPING\r\nCLIENT REPLY SKIP\r\nPING\r\nPING\r\n", 3),
        S("CLIENT REPLY SKIP\r\nCLIENT REPLY SKIP\r\nECHO a\r\nECHO b\r\n", 1),
        S("CLIENT REPLY OFF\r\nCLIENT REPLY SKIP\r\nECHO a\r\nCLIENT REPLY ON\r\nECHO b\r\n", 2),
        S("CLIENT REPLY OFF\r\nNOSUCH\r\nGET\r\nCLIENT REPLY ON\r\n", 1));

    [Fact]
    public void StringsAndKeys() => Run(
        C("GET", "k"), C("SET", "k", "v"), C("GET", "k"), C("SET", "k", "v2", "NX"), C("SET", "k", "v3", "XX"), C("GET", "k"),
        C("SET", "n", "x", "XX"), C("SET", "k", "v4", "GET"), C("SET", "k", "v5", "NX", "GET"), C("SET", "new", "a", "NX", "GET"),
        C("SET", "k", "v", "NX", "XX"), C("SET", "k", "v", "FOO"), C("SET", "k", "v", "GET", "GET"),
        C("INCR", "counter"), C("INCR", "counter"), C("SET", "s", "abc"), C("INCR", "s"), C("SET", "big", "9223372036854775807"), C("INCR", "big"),
        C("SET", "neg", "-5"), C("INCR", "neg"), C("SET", "sp", " 1"), C("INCR", "sp"), C("SET", "lz", "01"), C("INCR", "lz"), C("INCR"), C("INCR", "a", "b"),
        C("SET", "bin\0key", "bin\0value"), C("GET", "bin\0key"), C("EXISTS", "k", "k", "nope", "counter"), C("EXISTS"),
        C("DEL", "k", "k", "nope", "counter"), C("DEL"), C("EXISTS", "k"), C("DBSIZE"),
        C("SET", "", ""), C("GET", ""), C("FLUSHDB", "ASYNC"), C("DBSIZE"), C("FLUSHDB", "foo"), C("FLUSHDB", "SYNC", "x"),
        C("FLUSHALL", "foo"), C("FLUSHALL", "SYNC"), C("TIME", "x"));

    [Fact]
    public void ShutdownErrors() => Run(C("SHUTDOWN", "ABORT"), C("SHUTDOWN", "foo"), C("SHUTDOWN", "SAVE", "NOSAVE"), C("SHUTDOWN", "ABORT", "NOW"));

    [Fact]
    public void InfoSectionsAndFieldOrder()
    {
        using var redis = servers.Redis.Connect();
        using var verm = servers.Vermilion.Connect();
        // Field names of INFO clients are checked in order; values differ between servers.
        static string[] Keys(string info) => info.Split("\r\n").Where(l => l.Contains(':')).Select(l => l[..l.IndexOf(':')]).ToArray();
        Assert.Equal(Keys(redis.Call("INFO", "clients")), Keys(verm.Call("INFO", "clients")));
        var statsKeys = Keys(verm.Call("INFO", "stats"));
        foreach (var k in new[] { "total_connections_received", "total_commands_processed", "instantaneous_ops_per_sec", "total_net_input_bytes",
                     "total_net_output_bytes", "rejected_connections", "total_error_replies", "total_reads_processed", "total_writes_processed",
                     "keyspace_hits", "keyspace_misses", "evicted_keys", "expired_keys" })
            Assert.Contains(k, statsKeys);
        // Section headers in order for the default set, and none for an unknown section.
        static string[] Headers(string info) => info.Split("\r\n").Where(l => l.StartsWith('#')).ToArray();
        Assert.Equal(Headers(redis.Call("INFO")), Headers(verm.Call("INFO")));
        Assert.Equal(Headers(redis.Call("INFO", "everything")), Headers(verm.Call("INFO", "everything")));
        Assert.Equal(Headers(redis.Call("INFO", "all")), Headers(verm.Call("INFO", "all")));
        Assert.Equal(redis.Call("INFO", "nosuchsection"), verm.Call("INFO", "nosuchsection"));
        Assert.Equal(Headers(redis.Call("INFO", "keyspace", "server")), Headers(verm.Call("INFO", "keyspace", "server")));
        Assert.Contains("redis_version:7.0.15\r\n", verm.Call("INFO", "server"));
    }

    [Fact]
    public void ProtocolErrors()
    {
        foreach (var bad in new[] { "*abc\r\n", "*1\r\n$-1\r\n", "*1\r\nfoo\r\n", "*1\r\n$x\r\n", "*2\r\n$4\r\nECHO\r\n:5\r\n", "ECHO \"a\r\n", "ECHO 'a'b\r\n",
                     "*1\r\n$536870913\r\n", "*-\r\n", "*1\r\n$+1\r\n" })
            Run(S("PING\r\n"), new Step(bad + "PING\r\n", Close: true));
    }

    [Fact]
    public void QuitClosesAfterItsReply()
    {
        Run(S("PING\r\nQUIT\r\nPING\r\n", 2), new Step("", Close: true));
        Run(new Step("QUIT a b\r\n", Close: true));
    }

    /// <summary>Errors quote a client's bytes as %s prints them: raw (not re-encoded), cut at a NUL, %.128s where Redis truncates (issue 13).</summary>
    [Fact]
    public void ErrorsEchoRawBytes() => Run(
        C("\xe9\x96\xff", "a\xe9", "\xff\x00x"), C("CLIENT", "\xe9\xff"), C("OBJECT", "\xc3\xa9" + new string('\xe9', 200)),
        C("CLIENT", "KILL", "TYPE", "\xe9"), C("CLIENT", "KILL", "USER", "\xfe\xff"), C("PUBSUB", "CHANNELS", "a", "b"),
        C("CONFIG", "SET", "\xe9", "1"), C("HELLO", "3", "\xe9"), C("CLIENT", "NO-EVICT", "\xe9"), C("CLIENT", "TRACKING", "on", "\xe9"),
        C("MULTI"), C("\xe9\x96"), C("EXEC"), S("\xe9\xff\r\n"), C("SET", "k", "v", "\xe9"), C("EXPIRE", "k", "1", "\xe9"));

    /// <summary>
    /// An inline request is refused only once more than 64 KB are buffered without its newline;
    /// reads of 16 KB make a line ending within 80 KB run, in one send or split (issue 13).
    /// </summary>
    [Theory]
    [InlineData(65_530, 0)]
    [InlineData(65_540, 0)]
    [InlineData(70_000, 0)]
    [InlineData(80_000, 0)]
    [InlineData(100_000, 0)]
    [InlineData(70_000, 60_000)]
    [InlineData(70_000, 66_000)]
    public void LongInlineRequests(int length, int splitAt) => servers.Same(connect =>
    {
        using var s = connect();
        var line = "SET inline " + new string('v', length - 11) + "\r\n";
        if (splitAt == 0) s.Send(line);
        else
        {
            s.Send(line[..splitAt]);
            Thread.Sleep(200); // the first part is read and checked alone
            s.Send(line[splitAt..]);
        }
        var reply = s.ReadReply(timeoutMs: 10_000);
        var transcript = new List<string> { reply };
        if (reply.StartsWith('-')) transcript.Add(s.WaitForClose() ? "closed" : "open");
        else transcript.Add(s.Call("STRLEN", "inline"));
        return transcript;
    });
}
