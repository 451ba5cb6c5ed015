using Xunit;

namespace Vermilion.Tests;

/// <summary>
/// EVAL, EVALSHA, their _RO forms and SCRIPT against redis-server 7.0.15, raw replies compared:
/// the environment (globals, readonly tables, bytecode, PRNG), every redis.* function and error
/// text, both conversion directions in RESP2 and RESP3, shebang flags, and the effects a script
/// propagates (its commands in MULTI/EXEC, as the oracle's AOF has them).
/// </summary>
[Trait("Category", "Network")]
public class ScriptingTests(DifferentialServers servers) : IClassFixture<DifferentialServers>
{
    static readonly string[][] s_environmentAndErrors =
    [
        ["FLUSHALL"],
        ["eval", "local t={} for k in pairs(_G) do t[#t+1]=k end table.sort(t) return t", "0"],
        ["eval", "return redis.call()", "0"],
        ["eval", "return redis.call('nosuch')", "0"],
        ["eval", "return redis.call('get')", "0"],
        ["eval", "return redis.call('get',{})", "0"],
        ["eval", "return redis.call('blpop','x',0)", "0"],
        ["eval", "return redis.call('subscribe','x')", "0"],
        ["eval", "return redis.pcall('nosuch')", "0"],
        ["eval", "return {redis.pcall('nosuch')}", "0"],
        ["eval", "return {pcall(function() redis.call('nosuch') end)}", "0"],
        ["eval", "return {pcall(function() error('x') end)}", "0"],
        ["eval", "error('boom')", "0"],
        ["eval", "error({err='MY thing'})", "0"],
        ["eval", "return redis.error_reply('X y')", "0"],
        ["eval", "x = 1", "0"],
        ["eval", "return y", "0"],
        ["eval", "string.foo = 1", "0"],
        ["eval", "redis.call = 1", "0"],
        ["eval", "setmetatable(_G, {})", "0"],
        ["eval", "rawset(_G, 'a', 1)", "0"],
        ["eval", "return type(getmetatable(_G))", "0"],
        ["eval", "return {loadstring(string.dump(function() return 1 end))}", "0"],
        ["eval", "local a,b = loadstring(string.dump(function() return 1 end)) return b", "0"],
        ["eval", "math.randomseed(42) return {math.random(1000000), math.random(1000000)}", "0"],
        ["eval", "local t={} t[1]=t return t", "0"],
        ["eval", "local t={} t.map=t return t", "0"],
        ["eval", "return 'x' .. ", "0"],
        ["eval", "\u001bLua", "0"],
        ["eval", "return {1,2,3.5,'x',nil,5}", "0"],
        ["eval", "return {err='x'}", "0"],
        ["eval", "return {ok='fine'}", "0"],
        ["eval", "return redis.status_reply('fine')", "0"],
        ["eval", "return {double=1.5}", "0"],
        ["eval", "return {1/0, -1/0, 0/0, 2^63, 3.99, -3.99, true, false}", "0"],
        ["eval", "return redis.call('get','nokey')", "0"],
        ["eval", "return redis.pcall('incr',KEYS[1])", "1", "s"],
        ["eval", "redis.call('set',KEYS[1],'a') return redis.pcall('incr',KEYS[1])", "1", "s"],
        ["eval", "return redis.call('incr',KEYS[1])", "1", "s"],
        ["eval", "return redis.sha1hex('')", "0"],
        ["eval", "return redis.sha1hex()", "0"],
        ["eval", "return redis.replicate_commands()", "0"],
        ["eval", "return redis.set_repl(5)", "0"],
        ["eval", "return redis.setresp(4)", "0"],
        ["eval", "return redis.log(1)", "0"],
        ["eval", "return redis.log(redis.LOG_WARNING, 'hello', 1, 2)", "0"],
        ["eval", "return redis.acl_check_cmd('get','x')", "0"],
        ["eval", "return redis.acl_check_cmd('nosuch','x')", "0"],
        ["eval", "return redis.acl_check_cmd()", "0"],
        ["eval", "return redis.breakpoint()", "0"],
        ["eval", "return redis.debug('x')", "0"],
        ["eval", "return {redis.REDIS_VERSION, redis.REDIS_VERSION_NUM}", "0"],
        ["eval", "return _VERSION", "0"],
        ["eval", "return tostring(10/2)", "0"],
        ["eval", "return string.format('%d', 3.7)", "0"],
        ["eval", "return redis.error_reply()", "0"],
        ["eval", "return redis.error_reply('')", "0"],
        ["eval", "return redis.error_reply('-X')", "0"],
        ["eval", "return redis.status_reply()", "0"],
        ["eval", "return redis.error_reply(1)", "0"],
        ["eval", "return {err=1}", "0"],
        ["eval", "return {err='-x y'}", "0"],
        ["eval", "return {err=''}", "0"],
        ["eval", "return {err='a\\r\\nb'}", "0"],
        ["eval", "return redis.call('echo', 0.1)", "0"],
        ["eval", "return redis.call('echo', 1e300)", "0"],
        ["eval", "return redis.call('echo', true)", "0"],
        ["eval", "return redis.call(nil)", "0"],
        ["eval", "return redis.call(1)", "0"],
        ["eval", "return nil", "0"],
        ["eval", "return", "0"],
        ["eval", "return 1,2", "0"],
        ["eval", "return {a=1}", "0"],
        ["eval", "return KEYS", "2", "a", "b", "c", "d"],
        ["eval", "return ARGV", "2", "a", "b", "c", "d"],
        ["eval", "return 1", "3", "a"],
        ["eval", "return 1", "-1"],
        ["eval", "return 1", "x"],
        ["eval", "return 1"],
        ["evalsha", "abc", "0"],
        ["evalsha", "abc", "x"],
        ["evalsha_ro", "abc", "-1"],
        ["evalsha", new string('a', 40), "x"],
        ["evalsha_ro", new string('a', 40), "5"],
        ["script", "load", "return 1"],
        ["evalsha", "E0E1F9FABFC9D4800C877A703B823AC0578FF8DB", "0"],
        ["script", "exists", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db", "E0E1F9FABFC9D4800C877A703B823AC0578FF8DB", "abc"],
        ["script", "help"],
        ["script", "kill"],
        ["script", "flush", "x"],
        ["script", "flush", "async"],
        ["script", "foo"],
        ["eval", "return redis.error_reply('-X').err", "0"],
        ["eval", "return redis.pcall('nosuch').err", "0"],
        ["eval", "error({err='-X y'})", "0"],
        ["eval", "error()", "0"],
        ["eval", "error(12)", "0"],
        ["eval", "error(true)", "0"],
        ["eval", "error('x', 0)", "0"],
        ["eval", "local function f() error('deep') end f()", "0"],
        ["eval", "return {pcall(redis.call, 'incr', 's')}", "0"],
        ["eval", "return {pcall(error)}", "0"],
        ["eval", "return {xpcall(function() error({err='a'}) end, function(e) return e end)}", "0"],
        ["eval", "return setmetatable({}, {__index=function() error('z') end})", "0"],
        ["eval", "return coroutine.wrap(function() error('co') end)()", "0"],
        ["eval", "return {cjson.encode({1,2,{a=1}}), cjson.decode('[1,2]')}", "0"],
        ["eval", "return bit.band(7,3)", "0"],
        ["eval", "return {math.mod(7,3), table.getn({1,2})}", "0"],
        ["eval", "redis.setresp(3) return redis.call('hgetall', 'nohash')", "0"],
        ["eval", "local t = redis.pcall('nosuch') local r={} for k,v in pairs(t) do r[#r+1]=k end return r", "0"],
        ["eval", "return math.random(0)", "0"],
        ["eval", "return math.random(1,2,3)", "0"],
        ["eval", "return math.random('x')", "0"],
        ["eval", "return os.time()", "0"],
        ["eval", "return print", "0"],
        ["eval", "return pairs(nil)", "0"],
        ["eval", "return table.insert(string, 1)", "0"],
        ["eval", "return loadstring('return 5')()", "0"],
        ["eval", "local f = loadstring('zz = 5') f()", "0"],
        ["eval", "return #KEYS", "2", "a", "b"],
        ["eval", "string.len = nil", "0"],
        ["eval", "return getmetatable('').__index == string", "0"],
        ["eval", "getmetatable('').__index = 1", "0"],
        ["eval", "local s = 0 for i=1,10 do s = s + i end return s", "0"],
        // The C stack's limit on one call's arguments (LUAI_MAXCSTACK), met where Redis meets it.
        ["eval", "local t = {} for i=1,7999 do t[i]='x' end return redis.call('rpush','big',unpack(t))", "0"],
        ["eval", "local t = {} for i=1,8000 do t[i]='x' end return redis.call('rpush','big',unpack(t))", "0"],
        ["eval", "local t = {} for i=1,8000 do t[i]='x' end return redis.pcall('rpush','big',unpack(t))", "0"],
        ["eval", "return redis.call('rpush')", "0"],
        ["eval", "return redis.pcall('rpush', 'l', {})", "0"],
        ["eval", "local ok, e = pcall(redis.call, 'nosuch') return {ok and 1 or 0, type(e), e.err}", "0"],
        ["eval", "return redis.call('get', 'k', nil)", "0"],
        ["eval", "return math.random(0)", "0"],
        ["eval", "return struct.pack('>q')", "0"]
    ];

    [Fact]
    public void EnvironmentConversionsAndErrors() => servers.Same(s_environmentAndErrors);

    [Fact]
    public void Resp3Conversions() => servers.Same(new SameOptions { Resp = 3 },
        ["FLUSHALL"], ["HSET", "h", "f", "v"], ["SADD", "s", "m"], ["ZADD", "z", "1.5", "a"],
        ["EVAL", "return redis.call('hgetall', 'h')", "0"],
        ["EVAL", "redis.setresp(3) return redis.call('hgetall', 'h')", "0"],
        ["EVAL", "redis.setresp(3) return redis.call('smembers', 's')", "0"],
        ["EVAL", "redis.setresp(3) return redis.call('zscore', 'z', 'a')", "0"],
        ["EVAL", "redis.setresp(3) return redis.call('get', 'nokey')", "0"],
        ["EVAL", "redis.setresp(3) local t = redis.call('hgetall', 'h') return t.map.f", "0"],
        ["EVAL", "redis.setresp(3) return {redis.call('zscore', 'z', 'a').double}", "0"],
        ["EVAL", "return {double=3.25}", "0"],
        ["EVAL", "return {big_number='12345678901234567890'}", "0"],
        ["EVAL", "return {verbatim_string={format='txt', string='hi'}}", "0"],
        ["EVAL", "return {map={a=1}}", "0"],
        ["EVAL", "return {set={a=true}}", "0"],
        ["EVAL", "return true", "0"], ["EVAL", "return false", "0"], ["EVAL", "return nil", "0"],
        ["EVAL", "redis.setresp(3) return true", "0"], ["EVAL", "redis.setresp(3) return false", "0"],
        ["EVAL", "redis.setresp(3) return redis.call('exists', 'h') == 1", "0"]);

    [Fact]
    public void BooleansAfterSetrespOnResp2() => servers.Same(
        ["EVAL", "redis.setresp(3) return true", "0"], ["EVAL", "redis.setresp(3) return false", "0"],
        ["EVAL", "redis.setresp(3) return {double=1.5}", "0"], ["EVAL", "return {map={a=1}}", "0"]);

    [Fact]
    public void ShebangFlagsAndReadOnlyScripts() => servers.Same(
        ["FLUSHALL"],
        ["EVAL_RO", "redis.call('set','x','y')", "0"],
        ["EVAL", "#!lua flags=no-writes\nredis.call('set','x','y')", "0"],
        ["EVAL_RO", "#!lua\nreturn 1", "0"],
        ["EVAL", "#!lua flags=no-writes,allow-oom\nreturn redis.call('get', 'x')", "0"],
        ["EVAL", "#!lua flags=bad\nreturn 1", "0"],
        ["EVAL", "#!luax\nreturn 1", "0"],
        ["EVAL", "#!lua foo=bar\nreturn 1", "0"],
        ["EVAL", "#!lua\nreturn 1", "0"],
        ["EVAL", "#!lua flags=\nreturn 1", "0"],
        ["EVAL", "#!lua\nerror('x')", "0"],
        ["EVAL_RO", "return redis.call('get', KEYS[1])", "1", "x"],
        ["SCRIPT", "LOAD", "redis.call('set', 'x', 'y')"],
        ["EVALSHA_RO", "ce054840e39c2ce0e96c0c58914f4246669350b7", "0"],
        ["EVAL", "return redis.call('blpop', 'empty', 0)", "0"],
        ["EVAL", "return redis.call('lpush', 'l', 'a') ", "0"],
        ["EVAL", "return redis.pcall('blpop', 'l', 0)", "0"],
        ["EVAL", "return redis.call('select', 5)", "0"], ["EVAL", "return redis.call('set', 'in0', '1')", "0"], ["GET", "in0"],
        ["SCRIPT", "DEBUG", "NO"]);

    [Fact]
    public void ErrorStatsAndCommandStats() => servers.Same(
        ["FLUSHALL"], ["CONFIG", "RESETSTAT"], ["SET", "s", "a"],
        ["EVAL", "return redis.call('incr','s')", "0"],
        ["EVAL", "redis.pcall('incr','s') return 1", "0"],
        ["EVAL", "redis.pcall('nosuch') return 1", "0"],
        ["EVAL", "return redis.pcall('incr','s')", "0"],
        ["EVAL", "return redis.error_reply('MY custom')", "0"],
        ["INFO", "errorstats"]);
}

/// <summary>A script's writes are propagated as its commands, several wrapped in MULTI/EXEC, checked against the oracle's AOF.</summary>
[Trait("Category", "Network")]
public class ScriptingEffectTests(EffectServers servers) : IClassFixture<EffectServers>
{
    [Fact]
    public void EffectsNotScripts() => EffectScript.Run(servers,
        ["EVAL", "redis.call('set', KEYS[1], 'v')", "1", "one"],
        ["EVAL", "redis.call('set', KEYS[1], 'v') redis.call('incr', 'n') redis.call('select', 3) redis.call('set','x','y')", "1", "two"],
        ["EVAL", "return 1", "0"],
        ["EVAL", "redis.call('get', 'n') return redis.call('expire', 'n', 100)", "0"],
        ["EVAL", "redis.call('incr', 'n') redis.set_repl(redis.REPL_NONE) redis.call('incr', 'n') redis.set_repl(redis.REPL_ALL) redis.call('incr', 'n')", "0"],
        ["EVAL", "redis.call('set', 'x', 1) error('after a write')", "0"],
        ["MULTI"], ["EVAL", "redis.call('incr', 'm') redis.call('incr', 'm')", "0"], ["SET", "after", "1"], ["EXEC"],
        ["GET", "n"]);
}
