-- The environment Redis 7.0 gives FUNCTION (function_lua.c luaEngineInitEngine/luaEngineCreate),
-- made from EVAL's (Prelude.lua calls this at its end, in the functions engine only). The two
-- differ in what code sees:
--   * the globals are an empty readonly table whose metatable's __index is switched: while
--     FUNCTION LOAD runs the library's body, to the library API (only redis.register_function,
--     redis.log, LOG_* and the version fields; anything else is a nonexistent global); while a
--     function runs, to the EVAL globals, where redis lacks breakpoint, debug and
--     replicate_commands and there is no KEYS or ARGV (a function gets keys and args as parameters);
--   * register_function is refused outside a load, as Redis's "can only be called on FUNCTION LOAD".
-- Returns, as Prelude.lua does, the globals, the real globals table and the error handler, plus
-- the loader LuaEngine.Functions.cs calls with a compiled library body.
local P, G, gproxy, handler, protect, readonly, redis, cfunction = ...
-- Taken before Prelude.lua replaced pcall (with Redis's, which flattens error tables) and removed debug.
local B = P.base
local type, tostring, next, error, select = B.type, B.tostring, B.next, B.error, B.select
local setmeta, pcall, lower, find = B.setmetatable, B.pcall, B.lower, B.find
local sethook, gethook, getinfo, elapsed = B.sethook, B.gethook, B.getinfo, P.elapsed

redis.breakpoint, redis.debug, redis.replicate_commands = nil, nil, nil
G.KEYS, G.ARGV = nil, nil

-- The library being loaded: its functions in registration order (by name, case kept, as Redis's
-- per-library dict compares names exactly), nil outside a load.
local loading
local function fail(msg) error({ err = 'ERR ' .. msg }) end

-- functionsVerifyName: letters, digits and underscores, at least one.
local function validname(s) return #s > 0 and not find(s, '[^%w_]') end
local flagbits = { ['no-writes'] = 1, ['allow-oom'] = 2, ['allow-stale'] = 4, ['no-cluster'] = 8, ['allow-cross-slot-keys'] = 16 }

-- luaGetStringSds: strings and numbers (lua_isstring), a number as its %.14g text.
local function asstring(v)
  local t = type(v)
  if t == 'string' then return v end
  if t == 'number' then return tostring(v) end
  return nil
end

local function readflags(t)
  local bits, i = 0, 1
  while true do
    local f = t[i]
    if f == nil then return bits end
    f = asstring(f)
    local b = f and flagbits[lower(f)]
    if not b then return nil end
    if bits % (b + b) < b then bits = bits + b end
    i = i + 1
  end
end

local function register(...)
  if not loading then fail('redis.register_function can only be called on FUNCTION LOAD command') end
  local n = select('#', ...)
  if n < 1 or n > 2 then fail('wrong number of arguments to redis.register_function') end
  local name, fn, flags, desc
  if n == 1 then
    local t = ...
    if type(t) ~= 'table' then
      fail('calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).')
    end
    for k, v in next, t do
      local key = asstring(k)
      if key == nil then fail('named argument key given to redis.register_function is not a string') end
      key = lower(key)
      if key == 'function_name' then
        name = asstring(v)
        if name == nil then fail('function_name argument given to redis.register_function must be a string') end
      elseif key == 'description' then
        desc = asstring(v)
        if desc == nil then fail('description argument given to redis.register_function must be a string') end
      elseif key == 'callback' then
        if type(v) ~= 'function' then fail('callback argument given to redis.register_function must be a function') end
        fn = v
      elseif key == 'flags' then
        if type(v) ~= 'table' then fail('flags argument to redis.register_function must be a table representing function flags') end
        flags = readflags(v)
        if flags == nil then fail('unknown flag given') end
      else
        fail('unknown argument given to redis.register_function')
      end
    end
    if name == nil then fail('redis.register_function must get a function name argument') end
    if fn == nil then fail('redis.register_function must get a callback argument') end
  else
    local a, b = ...
    name = asstring(a)
    if name == nil then fail('first argument to redis.register_function must be a string') end
    if type(b) ~= 'function' then fail('second argument to redis.register_function must be a function') end
    fn = b
  end
  -- functionLibCreateFunction
  if not validname(name) then
    fail('Library names can only contain letters, numbers, or underscores(_) and must be at least one character long')
  end
  for i = 1, #loading do
    if loading[i][1] == name then fail('Function already exists in the library') end
  end
  loading[#loading + 1] = { name, fn, flags or 0, desc }
end

-- A C function, as Redis's is: `return redis.register_function(...)` is then no tail call, and
-- an error names the caller's line.
local register0 = register
register = cfunction(function(...)
  local ok, e = pcall(register0, ...)
  if not ok then return e end
end)

-- The library API: a readonly globals table holding only a redis table, both raising on a missing name.
local function nonexistent(_, k) error("Script attempted to access nonexistent global variable '" .. tostring(k) .. "'", 2) end
local libredis = setmeta({
  register_function = register,
  log = redis.log,
  LOG_DEBUG = redis.LOG_DEBUG, LOG_VERBOSE = redis.LOG_VERBOSE, LOG_NOTICE = redis.LOG_NOTICE, LOG_WARNING = redis.LOG_WARNING,
  REDIS_VERSION = redis.REDIS_VERSION, REDIS_VERSION_NUM = redis.REDIS_VERSION_NUM,
}, { __index = nonexistent })
local libapi = protect(setmeta({ redis = protect(libredis) }, { __index = nonexistent }))

local meta = { __index = gproxy, __newindex = readonly }
local fenv = setmeta({}, meta)

-- Only the library's code is stopped: once it has returned or failed, the loader's own lines
-- (which the line hook sees too) finish the load.
local function timeouthook()
  local l = loading
  if l == nil or getinfo(2, 'S').source == '=redis' then return end
  if elapsed() > l.timeout then
    -- Redis then hooks every line, so a pcall in the body cannot swallow the timeout for good.
    sethook(timeouthook, 'l')
    error({ err = 'ERR FUNCTION LOAD timeout' })
  end
end

-- luaEngineCreate's run of a compiled body: (ok, error, functions). The body runs without the
-- error handler (Redis's lua_pcall there has none): a string error is reported as it is.
local function finish(saved, ok, e)
  meta.__index = gproxy
  sethook(saved[1], saved[2], saved[3])
  local registered = loading
  loading = nil
  if not ok then return false, e end
  return true, nil, registered
end
local function load(body, timeout)
  loading = { timeout = timeout }
  meta.__index = libapi
  local saved = { gethook() }
  if timeout > 0 then sethook(timeouthook, '', 100000) end
  return finish(saved, pcall(body))
end

return fenv, G, handler, load
