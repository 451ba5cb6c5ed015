-- The scripting environment Redis 7.0 gives EVAL (script_lua.c, eval.c scriptingInit), built on
-- Debian's vanilla Lua 5.1 once at state creation. Called with one table of primitives that
-- LuaEngine implements in C#; those never raise (a managed frame must not be unwound by Lua's
-- longjmp): they return a value and a flag, and the wrappers below call error().
-- Returns the globals proxy (the scripts' environment), the real globals table and the error handler.
local P = ...
local G = _G
local type, tostring, tonumber, select, error = type, tostring, tonumber, select, error
local rawnext, rawpairs, rawipairs, rawget0, rawset0 = next, pairs, ipairs, rawget, rawset
local setmeta, getmeta, floor, ceil = setmetatable, getmetatable, math.floor, math.ceil
local basepcall = pcall
local getinfo = debug.getinfo
local PRELUDE = '=redis'
local gproxy

-- Redis marks the globals and every library table readonly inside its patched VM
-- (lua_enablereadonlytable). Vanilla 5.1 has no such flag, so each protected table is reached
-- through an empty proxy whose __index is the real table and whose __newindex refuses; the
-- functions that bypass metamethods (rawset, setmetatable, pairs/next, table.insert...) are
-- wrapped below to see through or refuse proxies.
local backing = {}
local function readonly() error('Attempt to modify a readonly table', 2) end
local function protect(t)
  local p = setmeta({}, { __index = t, __newindex = readonly })
  backing[p] = t
  return p
end
local function isprotected(t) return backing[t] ~= nil end

-- Lua's own argument error, worded as luaL_argerror would from the caller's line.
local function argerror(n, fname, msg) error('bad argument #' .. n .. " to '" .. fname .. "' (" .. msg .. ')', 3) end
local function checktable(t, n, fname)
  if type(t) ~= 'table' then argerror(n, fname, 'table expected, got ' .. (t == nil and 'no value' or type(t))) end
end
local function checkint(v, n, fname)
  local x = tonumber(v)
  if x == nil then argerror(n, fname, 'number expected, got ' .. (v == nil and 'no value' or type(v))) end
  if x >= 0 then return floor(x) end
  return ceil(x)
end

-- luaPushError: "-CODE msg" keeps CODE, anything else gets ERR; the message loses CR/LF at its ends.
local function errtable(s)
  local code, msg = 'ERR', s
  if s:sub(1, 1) == '-' then
    local sp = s:find(' ', 1, true)
    if sp then code, msg = s:sub(2, sp - 1), s:sub(sp + 1) else msg = s:sub(2) end
  end
  msg = msg:gsub('^[\r\n]+', ''):gsub('[\r\n]+$', '')
  return { err = code .. ' ' .. msg }
end

-- cfunction(f): f made a C function (Scripting/LuaCFrames.c), as Redis's redis.* and math.random
-- are C functions, so `return redis.log(...)` is no tail call that would erase the script's frame,
-- and an error raised from them names the script's line. f returns nil and its results, or an
-- error, which the C function raises (a string gets the caller's position, as luaL_error's).
local cfunction = P.cfunction

-- ---- redis ----
local redis = {}
-- C# primitives called from C frames (LuaCFrames.c): redis.call raises a failed command's error table itself.
redis.call, redis.pcall = P.call, P.pcall
redis.error_reply = function(...)
  local s = ...
  if select('#', ...) ~= 1 or type(s) ~= 'string' then return errtable('wrong number or type of arguments') end
  if s:sub(1, 1) ~= '-' then s = '-' .. s end
  return errtable(s)
end
redis.status_reply = function(...)
  local s = ...
  if select('#', ...) ~= 1 or type(s) ~= 'string' then return errtable('wrong number or type of arguments') end
  return { ok = s }
end
local csha1 = P.sha1hex
redis.sha1hex = cfunction(function(...)
  if select('#', ...) ~= 1 then return errtable('wrong number of arguments') end
  return nil, csha1((...))
end)
local clog = P.log
redis.log = cfunction(function(...)
  local n = select('#', ...)
  if n < 2 then return errtable('redis.log() requires two arguments or more.') end
  local level = ...
  if type(level) ~= 'number' and tonumber(level) == nil then return errtable('First argument must be a number (log level).') end
  level = tonumber(level)
  if level < 0 or level > 3 then return errtable('Invalid debug level.') end
  local parts = {}
  for i = 2, n do
    local v = select(i, ...)
    local t = type(v)
    if t == 'string' or t == 'number' then parts[#parts + 1] = tostring(v) end
  end
  clog(level, table.concat(parts, ' '))
end)
local csetresp = P.setresp
redis.setresp = cfunction(function(...)
  if select('#', ...) ~= 1 then return errtable('redis.setresp() requires one argument.') end
  local v = tonumber((...))
  if v ~= 2 and v ~= 3 then return errtable('RESP version must be 2 or 3.') end
  csetresp(v)
end)
local csetrepl = P.set_repl
redis.set_repl = cfunction(function(...)
  if select('#', ...) ~= 1 then return errtable('redis.set_repl() requires one argument.') end
  local v = tonumber((...)) or 0
  if v ~= floor(v) or v < 0 or v > 3 then return errtable('Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.') end
  csetrepl(v)
end)
redis.replicate_commands = function() return true end
redis.breakpoint = function() return false end
redis.debug = function() end
local cacl = P.acl_check_cmd
redis.acl_check_cmd = cfunction(function(...)
  if select('#', ...) == 0 then return errtable('Please specify at least one argument for this redis lib call') end
  local ok, failed = cacl(...)
  if failed then return ok end
  return nil, ok
end)
redis.LOG_DEBUG, redis.LOG_VERBOSE, redis.LOG_NOTICE, redis.LOG_WARNING = 0, 1, 2, 3
redis.REPL_NONE, redis.REPL_AOF, redis.REPL_SLAVE, redis.REPL_REPLICA, redis.REPL_ALL = 0, 1, 2, 2, 3
redis.REDIS_VERSION, redis.REDIS_VERSION_NUM = P.version, P.version_num

-- ---- math.random: Redis's redisLrand48 (the same sequence on every platform), never reseeded per script ----
local crand, cseed = P.rand, P.randomseed
local function toint(v, n, fname)
  local x = tonumber(v)
  if x == nil then return nil, 'bad argument #' .. n .. " to '" .. fname .. "' (number expected, got " .. (v == nil and 'no value' or type(v)) .. ')' end
  if x >= 0 then return floor(x) end
  return ceil(x)
end
math.random = cfunction(function(...)
  local n = select('#', ...)
  local r = crand()
  if n == 0 then return nil, r end
  local a, b = ...
  if n == 1 then
    local u, e = toint(a, 1, 'random')
    if e then return e end
    if not (1 <= u) then return "bad argument #1 to 'random' (interval is empty)" end
    return nil, floor(r * u) + 1
  elseif n == 2 then
    local l, e = toint(a, 1, 'random')
    if e then return e end
    local u, e2 = toint(b, 2, 'random')
    if e2 then return e2 end
    if not (l <= u) then return "bad argument #2 to 'random' (interval is empty)" end
    return nil, floor(r * (u - l + 1)) + l
  end
  return 'wrong number of arguments'
end)
math.randomseed = cfunction(function(s)
  local v, e = toint(s, 1, 'randomseed')
  if e then return e end
  cseed(v)
end)

-- ---- struct and cmsgpack (Debian packages neither): C# primitives (StructLibrary.cs,
-- MessagePackLibrary.cs) that return nil and their results, or the error text raised here from a
-- C function's frame, so it reads as luaL_error's ("user_script:1: bad argument #1 to 'pack' ...").
local function cresult(e, ...)
  if e ~= nil then return e end
  return nil, ...
end
local cs_pack, cs_unpack, cs_size = P.struct_pack, P.struct_unpack, P.struct_size
G.struct = {
  pack = cfunction(function(...) return cresult(cs_pack(...)) end),
  unpack = cfunction(function(...) return cresult(cs_unpack(...)) end),
  size = cfunction(function(...) return cresult(cs_size(...)) end),
}
local cm_pack, cm_unpack = P.msgpack_pack, P.msgpack_unpack
G.cmsgpack = {
  pack = cfunction(function(...) return cresult(cm_pack(...)) end),
  unpack = cfunction(function(...) return cresult(cm_unpack('all', ...)) end),
  unpack_one = cfunction(function(...) return cresult(cm_unpack('one', ...)) end),
  unpack_limit = cfunction(function(...) return cresult(cm_unpack('limit', ...)) end),
  _NAME = 'cmsgpack',
  _VERSION = 'lua-cmsgpack 0.4.0',
  _COPYRIGHT = 'Copyright (C) 2012, Salvatore Sanfilippo',
  _DESCRIPTION = 'MessagePack C implementation for Lua',
}

-- ---- no bytecode: Redis's loader reads every chunk as text, so a dump fails to parse ----
local rawloadstring = loadstring
local function chunkid(name)
  local c = name:sub(1, 1)
  if c == '=' then return name:sub(2, 60) end
  if c == '@' then
    local s = name:sub(2)
    if #s > 59 then s = '...' .. s:sub(-56) end
    return s
  end
  local line = name:match('^[^\n%z]*')
  local max = 60 - 15
  if #line < #name:match('^[^%z]*') or #line > max then
    if #line > max then line = line:sub(1, max) end
    return '[string "' .. line .. '..."]'
  end
  return '[string "' .. line .. '"]'
end
local function safeload(s, name)
  if s:byte(1) == 27 then return nil, chunkid(name or s) .. ":1: unexpected symbol near 'char(27)'" end
  return rawloadstring(s, name)
end
G.loadstring = function(s, name)
  if type(s) ~= 'string' and type(s) ~= 'number' then argerror(1, 'loadstring', 'string expected, got ' .. (s == nil and 'no value' or type(s))) end
  return safeload(tostring(s), name)
end
G.load = function(f, name)
  if type(f) ~= 'function' then argerror(1, 'load', 'function expected, got ' .. (f == nil and 'no value' or type(f))) end
  local parts = {}
  while true do
    local piece = f()
    if piece == nil or piece == '' then break end
    if type(piece) ~= 'string' then return nil, 'reader function must return a string' end
    parts[#parts + 1] = piece
  end
  return safeload(table.concat(parts), name or '=(load)')
end

-- ---- Redis's pcall: an error table's err string is what the caller gets ----
local function pcallresult(ok, ...)
  if ok then return ok, ... end
  local e = ...
  if type(e) == 'table' then
    local s = rawget0(e, 'err')
    if type(s) == 'string' or type(s) == 'number' then return false, s end
  end
  return false, ...
end
G.pcall = function(...) return pcallresult(basepcall(...)) end

-- ---- the functions that bypass metamethods see through proxies, or refuse them ----
G.next = function(t, k)
  return rawnext(backing[t] or t, k)
end
G.pairs = cfunction(function(...)
  local t = ...
  if type(t) ~= 'table' then return "bad argument #1 to 'pairs' (table expected, got " .. (select('#', ...) == 0 and 'no value' or type(t)) .. ')' end
  return nil, rawnext, backing[t] or t, nil
end)
G.ipairs = function(t)
  checktable(t, 1, 'ipairs')
  return rawipairs(backing[t] or t)
end
G.rawget = function(t, k)
  checktable(t, 1, 'rawget')
  return rawget0(backing[t] or t, k)
end
local function readonlyerr() return { err = 'ERR Attempt to modify a readonly table' } end
G.rawset = cfunction(function(t, k, v)
  if type(t) ~= 'table' then return "bad argument #1 to 'rawset' (table expected, got " .. type(t) .. ')' end
  if isprotected(t) then return readonlyerr() end
  return nil, rawset0(t, k, v)
end)
local Gmeta
G.setmetatable = cfunction(function(t, m)
  if isprotected(t) then return readonlyerr() end
  local ok, r = basepcall(setmeta, t, m)
  if not ok then return r end
  return nil, r
end)
local stringmeta
G.getmetatable = function(o)
  if backing[o] then
    if o == gproxy then return Gmeta end
    return nil
  end
  if type(o) == 'string' then return stringmeta end
  return getmeta(o)
end
for _, name in rawipairs({ 'insert', 'remove', 'sort', 'setn' }) do
  local f = table[name]
  table[name] = cfunction(function(t, ...)
    if isprotected(t) then return readonlyerr() end
    return nil, f(t, ...)
  end)
end

-- ---- busy scripts: luaMaskCountHook ----
-- Every 100000 instructions the hook asks the host (P.interrupt: past busy-reply-threshold it
-- serves other clients, processEventsWhileBlocked) whether SCRIPT KILL (or a shutdown) stopped the
-- script; the host only answers, the error is raised here. Redis sets its C hook for each run; a
-- Lua hook set once costs the same per 100000 instructions and nothing per script. Once killed,
-- the hook fires on every line, so a pcall in the script cannot catch the error and go on; the
-- first line of the next script (no longer killed) puts the count hook back.
local sethook, cinterrupt = debug.sethook, P.interrupt
local linemode = false
local function counthook()
  if cinterrupt() then
    if not linemode then
      linemode = true
      sethook(counthook, 'l', 0)
    end
    error({ err = 'ERR Script killed by user with SCRIPT KILL...' })
  elseif linemode then
    linemode = false
    sethook(counthook, '', 100000)
  end
end
sethook(counthook, '', 100000)

-- A Lua hook belongs to one thread (debug.sethook keys it by coroutine), while Redis's C hook is
-- copied into every coroutine lua_newthread makes: each coroutine gets the count hook when it is
-- created, so a loop inside one can be killed too (its resume then returns false and the error).
local cocreate, coresume = coroutine.create, coroutine.resume
local function newcoroutine(f, fname)
  if type(f) ~= 'function' or getinfo(f, 'S').what == 'C' then
    return nil, "bad argument #1 to '" .. fname .. "' (Lua function expected)"
  end
  local co = cocreate(f)
  sethook(co, counthook, '', 100000)
  return co
end
coroutine.create = cfunction(function(f)
  local co, e = newcoroutine(f, 'create')
  if e then return e end
  return nil, co
end)
local function wrapresult(ok, ...)
  if ok then return nil, ... end
  return (...)
end
coroutine.wrap = cfunction(function(f)
  local co, e = newcoroutine(f, 'wrap')
  if e then return e end
  return nil, cfunction(function(...) return wrapresult(coresume(co, ...)) end)
end)

-- ---- what 7.0.15 does not have ----
G.print, G.dofile, G.loadfile, G.getfenv, G.setfenv, G.newproxy, G.module, G.require = nil, nil, nil, nil, nil, nil, nil, nil
G.debug = nil

-- ---- the error handler: where the error happened, for "script: <sha>, on @user_script:N." ----
G.__redis__err__handler = function(e)
  local level, i = 2, nil
  repeat
    i = getinfo(level, 'nSl')
    level = level + 1
  until i == nil or (i.what ~= 'C' and i.what ~= 'tail' and i.source ~= PRELUDE)
  if type(e) ~= 'table' then e = { err = 'ERR ' .. tostring(e) } end
  if i then
    rawset0(e, 'source', i.source)
    rawset0(e, 'line', i.currentline)
  end
  return e
end
local handler = G.__redis__err__handler

-- ---- protection ----
G.redis = redis
G.KEYS, G.ARGV = {}, {}
for _, name in rawipairs({ 'string', 'table', 'math', 'coroutine', 'cjson', 'bit', 'struct', 'cmsgpack', 'redis' }) do
  G[name] = protect(G[name])
end
stringmeta = protect({ __index = G.string })
gproxy = protect(G)
G._G = gproxy
Gmeta = protect({})
setmeta(G, { __index = function(_, k) error("Script attempted to access nonexistent global variable '" .. tostring(k) .. "'", 2) end })
-- The functions engine reshapes this environment (FunctionPrelude.lua).
if P.functions then return P.functions(P, G, gproxy, handler, protect, readonly, redis, cfunction) end
return gproxy, G, handler
