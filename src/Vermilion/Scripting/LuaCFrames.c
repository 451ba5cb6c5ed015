/*
 * The C frames Vermilion's Lua errors are raised from. lua_error longjmps to the nearest
 * lua_pcall, and that jump must never cross a managed frame (LuaApi.cs): so a C# primitive
 * never raises, it returns -1 with the error value on top, and the closure below that called it
 * raises it once the managed frame is gone. The same closure around a Lua function makes it a C
 * function as Redis's redis.* and math.random are (script_lua.c registers C functions): `return
 * redis.call(...)` is then no tail call that would erase the script's frame, and an error names
 * the script's line. The allocator is here too: Lua allocates on nearly every step, and a
 * managed allocator cost a transition into the runtime each time. Built with the system C compiler (Vermilion.csproj) into a shared object for
 * the JIT and an archive the NativeAOT binary links; nothing else here.
 */
#include <stdlib.h>
#include <lua.h>
#include <lauxlib.h>

/* LuaEngine.AllocState: what Lua holds, the cap, and whether the cap applies (a script runs). */
struct alloc_state {
    long long used, cap;
    int armed;
};

/* lua_Alloc over the C heap. Past the cap, growth fails only while armed: a failure is a
   longjmp, and none may happen while a managed frame is on the stack (the primitives disarm). */
static void *bounded_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    struct alloc_state *st = ud;
    long long grow;
    void *p;
    if (nsize == 0) {
        if (ptr != NULL) {
            free(ptr);
            st->used -= (long long)osize;
        }
        return NULL;
    }
    grow = (long long)nsize - (ptr == NULL ? 0 : (long long)osize);
    if (grow > 0 && st->armed && st->used + grow > st->cap) return NULL;
    p = realloc(ptr, nsize);
    if (p == NULL) return NULL;
    st->used += grow;
    return p;
}

lua_State *vermilion_newstate(struct alloc_state *st)
{
    return lua_newstate(bounded_alloc, st);
}

/* As coroutine.wrap's auxwrap propagates an error: a string gets the caller's position, as
   luaL_error's would; a table (Redis's {err=...}) is raised as it is. */
static int raise_top(lua_State *L)
{
    if (lua_isstring(L, -1)) {
        luaL_where(L, 1);
        lua_insert(L, -2);
        lua_concat(L, 2);
    }
    return lua_error(L);
}

/* Upvalue 1: the engine (the primitive reads it); upvalue 2: the C# primitive. */
static int call_primitive(lua_State *L)
{
    lua_CFunction f = (lua_CFunction)lua_touserdata(L, lua_upvalueindex(2));
    int n = f(L);
    return n >= 0 ? n : raise_top(L);
}

/* Upvalue 1: a Lua function returning nil and its results, or an error value, which is raised.
   An error f raises itself is raised again from here, so it too gets the script's position. */
static int call_wrapped(lua_State *L)
{
    int top;
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    if (lua_pcall(L, lua_gettop(L) - 1, LUA_MULTRET, 0) != 0) return raise_top(L);
    top = lua_gettop(L);
    if (top == 0) return 0;
    if (!lua_isnil(L, 1)) {
        lua_settop(L, 1);
        return raise_top(L);
    }
    return top - 1;
}

/* cfunction(f) for the prelude. */
static int make_wrapped(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TFUNCTION);
    lua_settop(L, 1);
    lua_pushcclosure(L, call_wrapped, 1);
    return 1;
}

/* Pushes a C function calling the C# primitive f with self as its first upvalue. */
void vermilion_pushprimitive(lua_State *L, void *self, lua_CFunction f)
{
    lua_pushlightuserdata(L, self);
    lua_pushlightuserdata(L, (void *)f);
    lua_pushcclosure(L, call_primitive, 2);
}

/* Pushes cfunction, which wraps a Lua function into a C function. */
void vermilion_pushwrapper(lua_State *L)
{
    lua_pushcfunction(L, make_wrapped);
}
