using Xunit;

namespace Vermilion.Tests;

/// <summary>
/// FUNCTION and FCALL against redis-server 7.0.15, raw replies compared in RESP2 and RESP3: every
/// LOAD error (header, engine, names, registration, compile, timeout), the API during a load and
/// during a call, FCALL/FCALL_RO's errors and flags, LIST, STATS, DELETE, FLUSH, DUMP/RESTORE
/// (byte-identical payloads, every truncation, a bad CRC, a bad opcode). FLUSHALL keeps
/// functions, so each script starts with FUNCTION FLUSH. LIST shows one function per library:
/// the order inside a library is Redis's hash order.
/// </summary>
[Trait("Category", "Network")]
public class FunctionTests(DifferentialServers servers) : IClassFixture<DifferentialServers>
{
    static string Lib(string name, string body) => $"#!lua name={name}\n{body}";

    static readonly string[][] s_loadErrors =
    [
        ["FUNCTION", "FLUSH"],
        ["FUNCTION", "LOAD", "x"],
        ["FUNCTION", "LOAD", "#!lua"],
        ["FUNCTION", "LOAD", "#!lua\n"],
        ["FUNCTION", "LOAD", "#!lua name=\n"],
        ["FUNCTION", "LOAD", "#!js name=x\n"],
        ["FUNCTION", "LOAD", "#!lua name=\"x y\"\n"],
        ["FUNCTION", "LOAD", "#!lua name=x\"\n"],
        ["FUNCTION", "LOAD", "#!\n"],
        ["FUNCTION", "LOAD", "#! lua name=x\n"],
        ["FUNCTION", "LOAD", "#!lua name=a-b\n"],
        ["FUNCTION", "LOAD", "#!lua name=libg foo=bar\n"],
        ["FUNCTION", "LOAD", "#!lua name=libg name=x\n"],
        ["FUNCTION", "LOAD", "#!lua name=libr"],
        ["FUNCTION", "LOAD", "#!lua name=libs\n"],
        ["FUNCTION", "LOAD", "#!lua 'name=libh'\nredis.register_function('h', function() end)"],
        ["FUNCTION", "LOAD", "#!LUA NAME=libh2\nredis.register_function('hh', function() end)"],
        ["FUNCTION", "LOAD", "foo", "#!lua name=x\n"],
        ["FUNCTION", "LOAD", "replace", "replace", "#!lua name=x\n"],
        ["FUNCTION", "LOAD", "replace"],
        ["FUNCTION", "LOAD", Lib("libh", "redis.register_function('other', function() end)")],
        ["FUNCTION", "LOAD", Lib("libn", "redis.register_function('H', function() end)")],
        ["FUNCTION", "LOAD", Lib("libx", "local a = 1 +")],
        ["FUNCTION", "LOAD", Lib("libx", "\u001bLua")],
        ["FUNCTION", "LOAD", Lib("libx", "while true do end")],
        ["FUNCTION", "LOAD", Lib("libx", "local s = string.format('x')")],
        ["FUNCTION", "LOAD", Lib("libx", "redis.call('ping')")],
        ["FUNCTION", "LOAD", Lib("libx", "redis.setresp(3)")],
        ["FUNCTION", "LOAD", Lib("libx", "return redis.REDIS_VERSION .. redis.LOG_DEBUG .. redis.REDIS_VERSION_NUM")],
        ["FUNCTION", "LOAD", Lib("libx", "error('x')")],
        ["FUNCTION", "LOAD", Lib("libx", "return foo")],
        ["FUNCTION", "LOAD", Lib("libx", "return redis.foo")],
        ["FUNCTION", "LOAD", Lib("libx", "redis.x = 1")],
        ["FUNCTION", "LOAD", Lib("libx", "x = 1")],
        ["FUNCTION", "LOAD", Lib("libx", "redis.register_function('a b', function() end)")],
        ["FUNCTION", "LOAD", Lib("libx", "redis.register_function('', function() end)")],
        ["FUNCTION", "LOAD", Lib("libx", "redis.register_function('a', function() end) redis.register_function('a', function() end)")],
        ["FUNCTION", "LOAD", Lib("libx", "redis.register_function('a')")],
        ["FUNCTION", "LOAD", Lib("libx", "redis.register_function()")],
        ["FUNCTION", "LOAD", Lib("libx", "redis.register_function(1, 2)")],
        ["FUNCTION", "LOAD", Lib("libx", "redis.register_function({}, function() end)")],
        ["FUNCTION", "LOAD", Lib("libx", "redis.register_function('a', function() end, 3)")],
        ["FUNCTION", "LOAD", Lib("libx", "redis.register_function{function_name='a'}")],
        ["FUNCTION", "LOAD", Lib("libx", "redis.register_function{callback=function() end}")],
        ["FUNCTION", "LOAD", Lib("libx", "redis.register_function{function_name={}, callback=function() end}")],
        ["FUNCTION", "LOAD", Lib("libx", "redis.register_function{function_name='a', callback=1}")],
        ["FUNCTION", "LOAD", Lib("libx", "redis.register_function{function_name='a', callback=function() end, description={}}")],
        ["FUNCTION", "LOAD", Lib("libx", "redis.register_function{function_name='a', callback=function() end, flags={'bad'}}")],
        ["FUNCTION", "LOAD", Lib("libx", "redis.register_function{function_name='a', callback=function() end, flags={1}}")],
        ["FUNCTION", "LOAD", Lib("libx", "redis.register_function{function_name='a', callback=function() end, flags='no-writes'}")],
        ["FUNCTION", "LOAD", Lib("libx", "redis.register_function{function_name='a', callback=function() end, foo=1}")],
        ["FUNCTION", "LOAD", Lib("libx", "redis.register_function{[true]=1}")],
        ["FUNCTION", "LOAD", Lib("libx", "redis.register_function{[1]=2}")],
        ["FUNCTION", "LOAD", Lib("libx", "redis.log(redis.LOG_WARNING, 'loading') return redis.register_function(1, function() return 1 end)")],
        ["FCALL", "1", "0"],
        ["FUNCTION", "LOAD", "REPLACE", Lib("libx", "redis.register_function{function_name='a', callback=function() return 2 end, flags={'NO-WRITES', 'allow-oom', 'allow-stale', 'no-cluster', 'allow-cross-slot-keys'}, description=5}")],
        ["FCALL", "1", "0"],
        ["FCALL", "A", "0"],
        ["FUNCTION", "LIST", "LIBRARYNAME", "libx", "WITHCODE"],
        ["FUNCTION", "STATS"],
    ];

    [Fact]
    public void LoadErrors() => servers.Same(s_loadErrors);

    static readonly string[][] s_calls =
    [
        ["FUNCTION", "FLUSH"],
        ["FUNCTION", "LOAD", Lib("lib1", """
            redis.register_function('kv', function(keys, args) return {keys, args} end)
            redis.register_function{function_name='F2', callback=function() return string.format('%d', 3.7) end, flags={'no-writes'}, description='desc'}
            redis.register_function('globals', function() return KEYS end)
            redis.register_function('regfn', function() return type(redis.register_function) end)
            redis.register_function('api', function() return type(redis.breakpoint) .. type(redis.debug) .. type(redis.replicate_commands) .. type(redis.setresp) .. type(redis.set_repl) .. type(redis.acl_check_cmd) .. type(redis.call) end)
            redis.register_function('set', function(k, a) return redis.call('set', k[1], a[1]) end)
            redis.register_function('boom', function() error('boom') end)
            redis.register_function('arity', function() return redis.call('incr', 'foo', 'x') end)
            redis.register_function('gset', function() _G.x = 1 end)
            redis.register_function('xset', function() x = 1 end)
            redis.register_function('errtab', function() return redis.error_reply('MY err') end)
            redis.register_function('resp3', function() redis.setresp(3) return redis.call('hgetall', 'h') end)
            redis.register_function('tbl', function() return {1, 2.5, 'x', {ok='fine'}, {double=1.5}, {map={a=1}}, true, false} end)
            local f = redis.register_function
            redis.register_function('late', function() return f('x', function() end) end)
            """)],
        ["FCALL", "kv", "2", "a", "b", "c", "d"],
        ["FCALL", "KV", "0"],
        ["FCALL", "f2", "0"],
        ["FCALL_RO", "F2", "0"],
        ["FCALL", "globals", "0"],
        ["FCALL", "regfn", "0"],
        ["FCALL", "api", "0"],
        ["FCALL", "set", "1", "k", "v"],
        ["FCALL_RO", "set", "1", "k", "v"],
        ["GET", "k"],
        ["FCALL", "boom", "0"],
        ["FCALL", "arity", "0"],
        ["FCALL", "gset", "0"],
        ["FCALL", "xset", "0"],
        ["FCALL", "errtab", "0"],
        ["HSET", "h", "f", "v"],
        ["FCALL", "resp3", "0"],
        ["FCALL", "tbl", "0"],
        ["FCALL", "late", "0"],
        ["FCALL", "nosuch", "0"],
        ["FCALL", "kv", "x"],
        ["FCALL", "kv", "-1"],
        ["FCALL", "kv", "5", "a"],
        ["FCALL", "kv"],
        ["FUNCTION", "LOAD", Lib("lib2", "redis.register_function{function_name='ro', callback=function() return redis.call('set', 'a', 'b') end, flags={'no-writes'}}")],
        ["FCALL", "ro", "0"],
        ["FCALL_RO", "ro", "0"],
        ["FUNCTION", "LOAD", Lib("lib2", "redis.register_function('ro2', function() return 1 end)")],
        ["FUNCTION", "LOAD", "REPLACE", Lib("lib2", "redis.register_function('kv', function() return 1 end)")],
        ["FCALL", "ro", "0"],
        ["FUNCTION", "LOAD", "REPLACE", Lib("lib2", "redis.register_function('ro2', function() return 2 end)")],
        ["FCALL", "ro", "0"],
        ["FCALL", "ro2", "0"],
        ["FUNCTION", "LIST", "LIBRARYNAME", "lib2"],
        ["FUNCTION", "LIST", "LIBRARYNAME", "LIB[2]", "WITHCODE"],
        ["FUNCTION", "LIST", "WITHCODE", "LIBRARYNAME", "nomatch"],
        ["FUNCTION", "LIST", "LIBRARYNAME"],
        ["FUNCTION", "LIST", "foo"],
        ["FUNCTION", "LIST", "WITHCODE", "WITHCODE"],
        ["FUNCTION", "STATS"],
        ["FUNCTION", "DELETE", "nosuch"],
        ["FUNCTION", "DELETE", "LIB2"],
        ["FUNCTION", "DELETE", "lib2"],
        ["FCALL", "ro2", "0"],
        ["FUNCTION", "DELETE"],
        ["FUNCTION", "FLUSH", "foo"],
        ["FUNCTION", "FLUSH", "sync", "sync"],
        ["FUNCTION", "FLUSH", "ASYNC"],
        ["FUNCTION", "STATS"],
        ["FUNCTION", "LIST"],
        ["FUNCTION", "KILL"],
        ["FUNCTION", "HELP"],
        ["FUNCTION", "NOSUCH"],
        ["FUNCTION"],
        ["FUNCTION", "RESTORE", "foo"],
        ["FUNCTION", "RESTORE", "foo", "bar"],
        ["FUNCTION", "RESTORE", "foo", "bar", "baz"],
        ["FUNCTION", "DUMP"],
    ];

    [Fact]
    public void CallsListStatsDeleteFlush() => servers.Same(s_calls);

    [Fact]
    public void CallsListStatsDeleteFlushResp3() => servers.Same(new SameOptions { Resp = 3 }, s_calls);

    [Fact]
    public void FunctionsSurviveFlushallAndRunInTransactions() => servers.Same(
        ["FUNCTION", "FLUSH"],
        ["FUNCTION", "LOAD", Lib("libt", "redis.register_function('incr', function(k) return redis.call('incr', k[1]) end)")],
        ["FLUSHALL"],
        ["MULTI"], ["FCALL", "incr", "1", "n"], ["FCALL", "incr", "1", "n"], ["EXEC"],
        ["EVAL", "return redis.call('fcall', 'incr', 1, 'n')", "0"],
        ["FCALL", "incr", "1", "n"]);

    /// <summary>DUMP's payload is byte-identical; RESTORE takes every truncation, a flipped CRC, a bad opcode and a library that fails as Redis does.</summary>
    [Fact]
    public void DumpAndRestore()
    {
        using var r = servers.Redis.Connect();
        using var v = servers.Vermilion.Connect();
        string longLib = Lib("mylib", "redis.register_function('myfunc', function(keys, args) return args[1] end)\n");
        string shortLib = Lib("m2", "redis.register_function('s', function() return 1 end)");
        foreach (var c in new[] { r, v })
        {
            Assert.Equal("+OK\r\n", c.Call("FUNCTION", "FLUSH"));
            c.Call("FUNCTION", "LOAD", longLib);
        }
        string dump = RespReply.Parse(r.Call("FUNCTION", "DUMP")).Text!;
        Assert.Equal(r.Call("FUNCTION", "DUMP"), v.Call("FUNCTION", "DUMP"));
        foreach (var c in new[] { r, v }) c.Call("FUNCTION", "LOAD", shortLib);
        string two = RespReply.Parse(r.Call("FUNCTION", "DUMP")).Text!;
        void Both(params string[] cmd) => DifferentialServers.AssertSame(string.Join(' ', cmd).Replace("\n", " ")[..Math.Min(60, string.Join(' ', cmd).Length)], r.Call(cmd), v.Call(cmd));
        Both("FUNCTION", "RESTORE", dump);
        Both("FUNCTION", "RESTORE", dump, "REPLACE");
        Both("FUNCTION", "RESTORE", two, "FLUSH");
        // One colliding library: which of several Redis names first is its dict's (seeded) order.
        Both("FUNCTION", "RESTORE", dump, "APPEND");
        Both("FUNCTION", "RESTORE", dump, "nosuch");
        Both("FCALL", "myfunc", "0", "back");
        for (int i = 0; i < two.Length; i++) Both("FUNCTION", "RESTORE", two[..i], "REPLACE");
        Both("FUNCTION", "RESTORE", two[..^1] + (char)(two[^1] ^ 1), "REPLACE");
        // A type byte that is no function (a string's 0), with a valid footer: Redis's footer and CRC made by the oracle itself.
        Both("FUNCTION", "FLUSH");
        Both("SET", "s", "x");
        string stringDump = RespReply.Parse(r.Call("DUMP", "s")).Text!;
        Both("FUNCTION", "RESTORE", stringDump);
        // Two libraries with the same name in one payload, and a library that errors when loaded.
        Both("FUNCTION", "LOAD", shortLib);
        string payload = RespReply.Parse(r.Call("FUNCTION", "DUMP")).Text!;
        Both("FUNCTION", "RESTORE", payload);
        Both("FUNCTION", "FLUSH");
        Both("FUNCTION", "RESTORE", payload, "FLUSH");
        Both("FUNCTION", "LIST", "WITHCODE");
        Both("FUNCTION", "STATS");
    }
}

/// <summary>FUNCTION LOAD/DELETE/FLUSH/RESTORE are propagated as typed, FCALL as its effects, as the oracle's AOF has them.</summary>
[Trait("Category", "Network")]
public class FunctionEffectTests(EffectServers servers) : IClassFixture<EffectServers>
{
    [Fact]
    public void LoadsAndEffects() => EffectScript.Run(servers,
        ["FUNCTION", "FLUSH"],
        ["FUNCTION", "LOAD", "#!lua name=fx\nredis.register_function('w', function(k, a) redis.call('set', k[1], a[1]) return redis.call('incr', 'n') end)"],
        ["FCALL", "w", "1", "a", "b"],
        ["FCALL", "w", "1", "a", "c"],
        ["FUNCTION", "LOAD", "#!lua name=fx\nredis.register_function('w', function() end)"],
        ["FUNCTION", "LOAD", "REPLACE", "#!lua name=fx\nredis.register_function('w', function() return 1 end)"],
        ["FCALL", "w", "0"],
        ["FUNCTION", "DELETE", "fx"],
        ["FUNCTION", "DELETE", "fx"],
        ["FUNCTION", "FLUSH"]);
}

/// <summary>Libraries in RDB files (FUNCTION2 before the databases) both ways with redis-server, and through DEBUG RELOAD.</summary>
[Trait("Category", "Network")]
public class FunctionPersistenceTests(PersistenceServers servers) : IClassFixture<PersistenceServers>
{
    const string LibA = "#!lua name=liba\nredis.register_function{function_name='fa', callback=function(k, a) return a[1] end, flags={'no-writes'}, description='the a one'}\n";
    const string LibB = "#!lua name=libb\nredis.register_function('fb', function() return 2 end)";

    [Fact]
    public void VermilionFileLoadsInRedis()
    {
        using var v = servers.Vermilion.Connect();
        Assert.Equal("+OK\r\n", v.Call("FUNCTION", "FLUSH"));
        Assert.Equal("$4\r\nliba\r\n", v.Call("FUNCTION", "LOAD", LibA));
        Assert.Equal("$4\r\nlibb\r\n", v.Call("FUNCTION", "LOAD", LibB));
        v.Call("SET", "k", "v");
        Assert.Equal("+OK\r\n", v.Call("DEBUG", "RELOAD"));
        Assert.Equal("$1\r\nx\r\n", v.Call("FCALL", "fa", "0", "x"));
        Assert.Equal("+OK\r\n", v.Call("SAVE"));
        using var loaded = new OracleServer("--dir", servers.Dir, "--dbfilename", "dump.rdb");
        using var l = RespSocket.Tcp(loaded.Port);
        Assert.Equal("$1\r\ny\r\n", l.Call("FCALL", "fa", "0", "y"));
        Assert.Equal(":2\r\n", l.Call("FCALL", "fb", "0"));
        Assert.Equal("$1\r\nv\r\n", l.Call("GET", "k"));
        Assert.Equal(v.Call("FUNCTION", "LIST", "LIBRARYNAME", "liba", "WITHCODE"), l.Call("FUNCTION", "LIST", "LIBRARYNAME", "liba", "WITHCODE"));
    }

    [Fact]
    public void RedisFileLoadsInVermilion()
    {
        using var r = servers.Redis.Connect();
        Assert.Equal("+OK\r\n", r.Call("FUNCTION", "FLUSH"));
        r.Call("FUNCTION", "LOAD", LibA);
        r.Call("FUNCTION", "LOAD", LibB);
        Assert.Equal("+OK\r\n", r.Call("SAVE"));
        string redisDir = RespReply.Parse(r.Call("CONFIG", "GET", "dir")).Items![1].Text!;
        using var v = servers.Vermilion.Connect();
        Assert.Equal("+OK\r\n", v.Call("FUNCTION", "FLUSH"));
        v.Call("FUNCTION", "LOAD", "#!lua name=gone\nredis.register_function('gone', function() return 0 end)");
        File.Copy(Path.Combine(redisDir, "dump.rdb"), servers.RdbPath, overwrite: true);
        Assert.Equal("+OK\r\n", v.Call("DEBUG", "RELOAD", "NOSAVE"));
        Assert.Equal("-ERR Function not found\r\n", v.Call("FCALL", "gone", "0"));
        Assert.Equal("$1\r\nz\r\n", v.Call("FCALL", "fa", "0", "z"));
        Assert.Equal(r.Call("FUNCTION", "LIST", "LIBRARYNAME", "liba", "WITHCODE"), v.Call("FUNCTION", "LIST", "LIBRARYNAME", "liba", "WITHCODE"));
        Assert.Equal(r.Call("FUNCTION", "STATS"), v.Call("FUNCTION", "STATS"));
        // NOFLUSH keeps the live libraries: the file's collide (nothing changes), unless MERGE replaces them.
        Assert.Equal("-ERR Error trying to load the RDB dump\r\n", r.Call("DEBUG", "RELOAD", "NOSAVE", "NOFLUSH"));
        Assert.StartsWith("-ERR Error trying to load the RDB dump", v.Call("DEBUG", "RELOAD", "NOSAVE", "NOFLUSH"));
        Assert.Equal(":2\r\n", v.Call("FCALL", "fb", "0"));
        Assert.Equal(r.Call("DEBUG", "RELOAD", "NOSAVE", "NOFLUSH", "MERGE"), v.Call("DEBUG", "RELOAD", "NOSAVE", "NOFLUSH", "MERGE"));
        Assert.Equal(r.Call("FUNCTION", "STATS"), v.Call("FUNCTION", "STATS"));
    }

    /// <summary>A library that fails to load ends the load, all or nothing: the live libraries and keys stay.</summary>
    [Fact]
    public void ABrokenLibraryFailsTheWholeLoad()
    {
        using var v = servers.Vermilion.Connect();
        Assert.Equal("+OK\r\n", v.Call("FUNCTION", "FLUSH"));
        Assert.Equal("$4\r\nliba\r\n", v.Call("FUNCTION", "LOAD", LibA));
        // Uncompressed, so the code can be edited in place.
        Assert.Equal("+OK\r\n", v.Call("CONFIG", "SET", "rdbcompression", "no"));
        try { Assert.Equal("+OK\r\n", v.Call("SAVE")); }
        finally { v.Call("CONFIG", "SET", "rdbcompression", "yes"); }
        // The same file with liba's code made to fail at load: same length, so only the CRC changes (checked off).
        var file = File.ReadAllBytes(servers.RdbPath);
        var text = System.Text.Encoding.Latin1.GetString(file);
        int at = text.IndexOf("redis.register_function{", StringComparison.Ordinal);
        Assert.True(at > 0);
        var broken = System.Text.Encoding.Latin1.GetBytes("error('xxxxxxxxxxxxxxx'");
        broken.CopyTo(file, at);
        File.WriteAllBytes(servers.RdbPath, file);
        Assert.Equal("+OK\r\n", v.Call("DEBUG", "SET-SKIP-CHECKSUM-VALIDATION", "1"));
        try
        {
            Assert.Equal("$4\r\nlibb\r\n", v.Call("FUNCTION", "LOAD", LibB));
            Assert.StartsWith("-ERR Error trying to load the RDB dump", v.Call("DEBUG", "RELOAD", "NOSAVE"));
            Assert.Equal(":2\r\n", v.Call("FCALL", "fb", "0"));
            Assert.True(servers.Vermilion.LogContains("Failed loading library, Error "));
        }
        finally { v.Call("DEBUG", "SET-SKIP-CHECKSUM-VALIDATION", "0"); }
    }
}
