using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Vermilion.Protocol;
using static Vermilion.Scripting.LuaApi;

namespace Vermilion.Scripting;

/// <summary>
/// One Lua 5.1 state with Redis 7.0's EVAL environment (script_lua.c, eval.c). How a script's
/// data flows:
/// <list type="number">
/// <item><see cref="Compile"/>: the body (its shebang line already cut off, the newline kept)
/// is loaded as chunk "@user_script" and kept in the registry: a <see cref="CompiledScript"/>
/// is that registry slot.</item>
/// <item><see cref="Run"/>: KEYS and ARGV become fresh tables in the real globals, the function
/// runs under lua_pcall with the error handler <c>__redis__err__handler</c> (it records where the
/// error happened, for "script: &lt;sha&gt;, on @user_script:1.").</item>
/// <item>redis.call/pcall reach <see cref="Call"/> (from the C frame of LuaCFrames.c that raises its errors): the arguments (strings, or numbers as
/// %.17g) become a <see cref="CommandArgs"/> the <see cref="IScriptHost"/> runs through the
/// server's dispatch; the RESP reply it hands back is turned into Lua values
/// (<see cref="PushReply"/>: redisProtocolToLuaType).</item>
/// <item>The function's result is written to the caller's <see cref="ReplyWriter"/>
/// (<see cref="WriteResult"/>: luaReplyToRedisReply), or its error as Redis 7.0 words it.</item>
/// </list>
/// Everything Lua-side that Redis adds (the redis table, readonly globals, math.random, no
/// bytecode, Redis's pcall) is Prelude.lua; the C# primitives it calls never raise a Lua error
/// (see <see cref="LuaApi"/>). Busy scripts: a count hook the prelude installs with
/// debug.sethook asks <see cref="IScriptHost.Interrupt"/> every 100000 instructions. A second
/// engine serves FUNCTION.
/// </summary>
public sealed unsafe partial class LuaEngine : IDisposable
{
    /// <summary>Lua memory beyond which an allocation fails with "not enough memory" (caught by the script's pcall).</summary>
    public const long DefaultMemoryCap = 1L << 30;

    nint _L;
    GCHandle _self;
    readonly AllocState* _alloc;
    int _globalsRef, _handlerRef;
    IScriptHost? _host;
    readonly CommandArgs _callArgs = new();
    byte[] _argBuffer = new byte[256];
    byte[] _replyCopy = new byte[256];
    /// <summary>redisLrand48's 48-bit state; 7.0 seeds it once (0x1234ABCD330E) and never per script.</summary>
    ulong _rand48 = 0x1234ABCD330EUL;
    int _runsSinceGcStep;

    /// <summary>
    /// The allocator's state (LuaCFrames.c's bounded_alloc, in C so that Lua's allocations never
    /// cross into managed code): what Lua holds (used_memory_vm_eval), and the cap that growth
    /// fails past while a script runs (Armed), which Lua turns into "not enough memory" caught by
    /// the script's pcall. A failure is never possible while managed code is on the stack (init,
    /// KEYS/ARGV, the primitives disarm it), since Lua's longjmp must not cross it.
    /// </summary>
    [StructLayout(LayoutKind.Sequential)]
    struct AllocState
    {
        public long Used, Cap;
        public int Armed;
    }

    public LuaEngine(long memoryCap = DefaultMemoryCap, string version = "7.0.15", int versionNum = 0x07000f, bool functions = false)
    {
        _functions = functions;
        EnsureResolver();
        _alloc = (AllocState*)NativeMemory.AllocZeroed((nuint)sizeof(AllocState));
        _alloc->Cap = memoryCap;
        _self = GCHandle.Alloc(this);
        _L = vermilion_newstate((nint)_alloc);
        if (_L == 0) throw new InvalidOperationException("lua_newstate failed");
        Init(version, versionNum);
    }

    /// <summary>redisLrand48's state, carried over when SCRIPT FLUSH makes a new state (Redis keeps it in a C static).</summary>
    public ulong RandomState { get => _rand48; set => _rand48 = value; }

    /// <summary>used_memory_vm_eval: what the Lua state holds.</summary>
    public long UsedMemory => _alloc->Used;

    public long MemoryCap { get => _alloc->Cap; set => _alloc->Cap = value; }

    void Init(string version, int versionNum)
    {
        var L = _L;
        luaopen_base(L);
        luaopen_table(L);
        luaopen_string(L);
        luaopen_math(L);
        luaopen_debug(L);
        // cjson's opener returns its table without setting a global (Redis sets it, as here); bit's registers "bit".
        luaopen_cjson(L);
        lua_setfield(L, LUA_GLOBALSINDEX, "cjson");
        luaopen_bit(L);
        lua_settop(L, 0);

        var asm = typeof(LuaEngine).Assembly;
        using var stream = asm.GetManifestResourceStream("Scripting/Prelude.lua")!;
        var prelude = new byte[stream.Length];
        stream.ReadExactly(prelude);
        fixed (byte* p = prelude)
        {
            if (luaL_loadbuffer(L, p, (nuint)prelude.Length, "=redis") != LUA_OK) throw new InvalidOperationException("prelude: " + ErrorText());
        }
        lua_createtable(L, 0, 16);
        Primitive("call", &CallPrimitive);
        Primitive("pcall", &PcallPrimitive);
        Primitive("acl_check_cmd", &AclPrimitive);
        Primitive("sha1hex", &Sha1Primitive);
        Primitive("log", &LogPrimitive);
        Primitive("setresp", &SetRespPrimitive);
        Primitive("set_repl", &SetReplPrimitive);
        Primitive("rand", &RandPrimitive);
        Primitive("randomseed", &SeedPrimitive);
        Primitive("interrupt", &InterruptPrimitive);
        Primitive("struct_pack", &StructLibrary.Pack);
        Primitive("struct_unpack", &StructLibrary.Unpack);
        Primitive("struct_size", &StructLibrary.Size);
        Primitive("msgpack_pack", &MessagePackLibrary.Pack);
        Primitive("msgpack_unpack", &MessagePackLibrary.Unpack);
        vermilion_pushwrapper(L);
        lua_setfield(L, -2, "cfunction");
        if (_functions) AddFunctionPrimitives();
        PushString(L, version);
        lua_setfield(L, -2, "version");
        lua_pushnumber(L, versionNum);
        lua_setfield(L, -2, "version_num");
        if (lua_pcall(L, 1, 4, 0) != LUA_OK) throw new InvalidOperationException("prelude: " + ErrorText());
        KeepLoader();
        _handlerRef = luaL_ref(L, LUA_REGISTRYINDEX);
        _globalsRef = luaL_ref(L, LUA_REGISTRYINDEX);
        // The globals proxy becomes the thread's globals: scripts, and functions loadstring makes
        // inside them, all see the readonly view.
        lua_replace(L, LUA_GLOBALSINDEX);
        lua_settop(L, 0);
        lua_gc(L, LUA_GCCOLLECT, 0);
    }

    void Primitive(string name, delegate* unmanaged<nint, int> fn)
    {
        vermilion_pushprimitive(_L, GCHandle.ToIntPtr(_self), fn);
        lua_setfield(_L, -2, name);
    }

    string ErrorText()
    {
        var s = ToBytes(_L, -1);
        return System.Text.Encoding.UTF8.GetString(s);
    }

    // ---- compiling ----

    /// <summary>
    /// luaCreateFunction: compile <paramref name="body"/> as "@user_script"; null and Redis's
    /// "Error compiling script" text when it does not parse. Bytecode is refused as Redis's loader
    /// refuses it (it reads the dump as text: "unexpected symbol near 'char(27)'").
    /// </summary>
    public CompiledScript? Compile(ReadOnlySpan<byte> body, out string? error)
    {
        var L = _L;
        error = null;
        if (!body.IsEmpty && body[0] == 27)
        {
            error = "Error compiling script (new function): user_script:1: unexpected symbol near 'char(27)'";
            return null;
        }
        int status;
        fixed (byte* p = body) status = luaL_loadbuffer(L, p, (nuint)body.Length, "@user_script");
        if (status != LUA_OK)
        {
            error = "Error compiling script (new function): " + System.Text.Encoding.Latin1.GetString(ToBytes(L, -1));
            lua_settop(L, 0);
            return null;
        }
        return new CompiledScript(luaL_ref(L, LUA_REGISTRYINDEX));
    }

    /// <summary>Drops a compiled script (SCRIPT FLUSH).</summary>
    public void Release(CompiledScript script) => luaL_unref(_L, LUA_REGISTRYINDEX, script.Ref);

    // ---- running ----

    /// <summary>
    /// luaCallFunction: run <paramref name="script"/> with KEYS = args[firstKey..firstKey+numKeys)
    /// and ARGV = the rest, and write its result (or its error, named by <paramref name="name"/>,
    /// the sha) to <paramref name="reply"/>. <paramref name="clientResp"/> is the caller's protocol.
    /// </summary>
    public void Run(CompiledScript script, ReadOnlySpan<byte> name, CommandArgs args, int firstKey, int numKeys, IScriptHost host, ReplyWriter reply)
    {
        var L = _L;
        _host = host;
        lua_settop(L, 0);
        lua_rawgeti(L, LUA_REGISTRYINDEX, _handlerRef);
        lua_rawgeti(L, LUA_REGISTRYINDEX, script.Ref);
        lua_rawgeti(L, LUA_REGISTRYINDEX, _globalsRef);
        SetArgs(L, "KEYS"u8, args, firstKey, numKeys);
        SetArgs(L, "ARGV"u8, args, firstKey + numKeys, args.Count - firstKey - numKeys);
        lua_pop(L, 1);
        CallAndReply(L, 0, reply, host, name);
        // luaCallFunction: a step of the collector every 50 runs (LUA_GC_CYCLE_PERIOD), so each
        // run's garbage (KEYS, ARGV, replies) is collected a little at a time, not in one long cycle.
        if (++_runsSinceGcStep == 50)
        {
            lua_gc(L, LUA_GCSTEP, 50);
            _runsSinceGcStep = 0;
        }
    }

    /// <summary>
    /// The call both kinds of script end with (the error handler, the function and its
    /// <paramref name="nargs"/> arguments on the stack): run it under the allocation cap, reply its
    /// result or its error named by <paramref name="name"/>, and leave the stack empty.
    /// </summary>
    void CallAndReply(nint L, int nargs, ReplyWriter reply, IScriptHost host, ReadOnlySpan<byte> name)
    {
        _alloc->Armed = 1;
        int status = lua_pcall(L, nargs, 1, 1);
        _alloc->Armed = 0;
        if (status == LUA_OK) WriteResult(L, reply, host, host.Resp, depth: 0);
        else WriteError(L, reply, host, name);
        lua_settop(L, 0);
        _host = null;
    }

    /// <summary>Sets G[name] = { args[from], ... } (the real globals table is on top of the stack).</summary>
    static void SetArgs(nint L, ReadOnlySpan<byte> name, CommandArgs args, int from, int count)
    {
        PushArray(L, args, from, count);
        RawSetField(L, -2, name);
    }

    /// <summary>Pushes { args[from], ... } (KEYS, ARGV, or a function's two parameters).</summary>
    static void PushArray(nint L, CommandArgs args, int from, int count)
    {
        lua_createtable(L, count, 0);
        for (int i = 0; i < count; i++)
        {
            PushBytes(L, args[from + i]);
            lua_rawseti(L, -2, i + 1);
        }
    }

    /// <summary>
    /// The script failed: its error object (a table {err, source, line} from the handler, or what
    /// error() was given) as 7.0 replies it: "-&lt;err&gt; script: &lt;sha&gt;, on @user_script:N."
    /// An error table without an err string crashes redis-server 7.0.15 (fixed later, #14163);
    /// we answer an error instead.
    /// </summary>
    void WriteError(nint L, ReplyWriter reply, IScriptHost host, ReadOnlySpan<byte> name)
    {
        var sb = new System.Text.StringBuilder("-");
        if (lua_type(L, -1) == LUA_TTABLE)
        {
            RawGetField(L, -1, "err"u8);
            if (lua_type(L, -1) == LUA_TSTRING) sb.Append(Latin1(ToBytes(L, -1)));
            else sb.Append("ERR Error running script: the error object has no 'err' string");
            lua_pop(L, 1);
            RawGetField(L, -1, "source"u8);
            RawGetField(L, -2, "line"u8);
            if (lua_type(L, -2) == LUA_TSTRING && lua_type(L, -1) == LUA_TNUMBER)
            {
                sb.Append(" script: ").Append(Latin1(name)).Append(", on ").Append(Latin1(ToBytes(L, -2)))
                  .Append(':').Append((long)lua_tonumber(L, -1)).Append('.');
            }
            lua_pop(L, 2);
            WriteErrorReply(L, reply, host, sb.ToString());
            return;
        }
        else
        {
            // Only a memory error escapes the handler untouched (LUA_ERRMEM calls no handler).
            sb.Append("ERR ").Append(lua_type(L, -1) == LUA_TSTRING ? Latin1(ToBytes(L, -1)) : "unknown error")
              .Append(" script: ").Append(Latin1(name));
        }
        reply.Error(sb.ToString());
    }

    static string Latin1(ReadOnlySpan<byte> b) => System.Text.Encoding.Latin1.GetString(b);

    /// <summary>
    /// An error reply for the table on top of the stack: one a command already answered inside
    /// the script (ignore_error_stats_update) is not counted in errorstats again, though the call
    /// still failed (afterErrorReply's ERR_REPLY_FLAG_NO_STATS_UPDATE).
    /// </summary>
    static void WriteErrorReply(nint L, ReplyWriter reply, IScriptHost host, string text)
    {
        RawGetField(L, -1, "ignore_error_stats_update"u8);
        bool counted = lua_toboolean(L, -1) != 0;
        lua_pop(L, 1);
        if (!counted)
        {
            reply.Error(text);
            return;
        }
        host.FailedWithoutCount();
        reply.Raw(System.Text.Encoding.Latin1.GetBytes(text.Replace('\r', ' ').Replace('\n', ' ') + "\r\n"));
    }

    // ---- Lua → reply (luaReplyToRedisReply) ----

    /// <summary>
    /// The value on top of the stack as a reply, then popped. Tables are read raw (a metatable
    /// cannot run code here, outside any pcall), in Redis's order: err, ok, double, big_number,
    /// verbatim_string, map, set, else an array of t[1..] up to the first nil. Each nesting keeps
    /// one more value on the Lua stack, as Redis's does, so a cyclic table ends in the same
    /// "reached lua stack limit" at the same depth.
    /// </summary>
    static void WriteResult(nint L, ReplyWriter reply, IScriptHost host, int scriptResp, int depth)
    {
        if (lua_checkstack(L, 4) == 0)
        {
            reply.Error("reached lua stack limit");
            lua_pop(L, 1);
            return;
        }
        switch (lua_type(L, -1))
        {
            case LUA_TSTRING:
                reply.Bulk(ToBytes(L, -1));
                break;
            case LUA_TBOOLEAN:
                bool b = lua_toboolean(L, -1) != 0;
                if (scriptResp == 2)
                {
                    if (b) reply.Integer(1);
                    else reply.Null();
                }
                else reply.Bool(b);
                break;
            case LUA_TNUMBER:
                reply.Integer(ToInt64(lua_tonumber(L, -1)));
                break;
            case LUA_TTABLE:
                WriteTable(L, reply, host, scriptResp, depth);
                return;
            default:
                reply.Null();
                break;
        }
        lua_pop(L, 1);
    }

    /// <summary>C's (long long) cast on x86-64: NaN, ±inf and values out of range give INT64_MIN (cvttsd2si), not .NET's saturation.</summary>
    static long ToInt64(double d) => d >= -9223372036854775808.0 && d < 9223372036854775808.0 ? (long)d : long.MinValue;

    static void WriteTable(nint L, ReplyWriter reply, IScriptHost host, int scriptResp, int depth)
    {
        RawGetField(L, -1, "err"u8);
        if (lua_type(L, -1) == LUA_TSTRING)
        {
            var err = ToBytes(L, -1);
            lua_pop(L, 1);
            // "-%s" through addReplyErrorFormat: CR and LF become spaces, no ERR added.
            WriteErrorReply(L, reply, host, "-" + Latin1(err));
            lua_pop(L, 1);
            return;
        }
        lua_pop(L, 1);
        RawGetField(L, -1, "ok"u8);
        if (lua_type(L, -1) == LUA_TSTRING)
        {
            var ok = ToBytes(L, -1);
            if (ok.IndexOfAny((byte)'\r', (byte)'\n') < 0) reply.Simple(ok);
            else reply.Simple(Latin1(ok).Replace('\r', ' ').Replace('\n', ' '));
            lua_pop(L, 2);
            return;
        }
        lua_pop(L, 1);
        RawGetField(L, -1, "double"u8);
        if (lua_type(L, -1) == LUA_TNUMBER)
        {
            reply.Double(lua_tonumber(L, -1));
            lua_pop(L, 2);
            return;
        }
        lua_pop(L, 1);
        RawGetField(L, -1, "big_number"u8);
        if (lua_type(L, -1) == LUA_TSTRING)
        {
            // addReplyBigNum after sdsmapchars: CR and LF become spaces, on either protocol.
            ReadOnlySpan<byte> big = ToBytes(L, -1);
            if (big.IndexOfAny((byte)'\r', (byte)'\n') >= 0)
            {
                var mapped = big.ToArray();
                for (int i = 0; i < mapped.Length; i++) if (mapped[i] is (byte)'\r' or (byte)'\n') mapped[i] = (byte)' ';
                big = mapped;
            }
            if (reply.Resp == 3)
            {
                reply.Raw("("u8);
                reply.Raw(big);
                reply.Raw("\r\n"u8);
            }
            else reply.Bulk(big);
            lua_pop(L, 2);
            return;
        }
        lua_pop(L, 1);
        RawGetField(L, -1, "verbatim_string"u8);
        if (lua_type(L, -1) == LUA_TTABLE)
        {
            RawGetField(L, -1, "format"u8);
            RawGetField(L, -2, "string"u8);
            if (lua_type(L, -2) == LUA_TSTRING && lua_type(L, -1) == LUA_TSTRING)
            {
                var format = ToBytes(L, -2);
                var text = ToBytes(L, -1);
                if (reply.Resp == 3)
                {
                    Span<byte> header = stackalloc byte[24];
                    header[0] = (byte)'=';
                    int n = 1 + IntegerText.Format(text.Length + 4, header[1..]);
                    reply.Raw(header[..n]);
                    reply.Raw("\r\n"u8);
                    reply.Raw(format.Length >= 3 ? format[..3] : format);
                    reply.Raw(":"u8);
                    reply.Raw(text);
                    reply.Raw("\r\n"u8);
                }
                else reply.Bulk(text);
                lua_pop(L, 4);
                return;
            }
            lua_pop(L, 2);
        }
        lua_pop(L, 1);
        RawGetField(L, -1, "map"u8);
        if (lua_type(L, -1) == LUA_TTABLE)
        {
            int pairs = 0;
            lua_pushnil(L);
            while (lua_next(L, -2) != 0)
            {
                pairs++;
                lua_pop(L, 1);
            }
            reply.MapHeader(pairs);
            lua_pushnil(L);
            while (lua_next(L, -2) != 0)
            {
                lua_pushvalue(L, -2);
                WriteResult(L, reply, host, scriptResp, depth + 1);
                WriteResult(L, reply, host, scriptResp, depth + 1);
            }
            lua_pop(L, 2);
            return;
        }
        lua_pop(L, 1);
        RawGetField(L, -1, "set"u8);
        if (lua_type(L, -1) == LUA_TTABLE)
        {
            int count = 0;
            lua_pushnil(L);
            while (lua_next(L, -2) != 0)
            {
                count++;
                lua_pop(L, 1);
            }
            reply.SetHeader(count);
            lua_pushnil(L);
            while (lua_next(L, -2) != 0)
            {
                lua_pop(L, 1);
                lua_pushvalue(L, -1);
                WriteResult(L, reply, host, scriptResp, depth + 1);
            }
            lua_pop(L, 2);
            return;
        }
        lua_pop(L, 1);
        int len = 0;
        while (true)
        {
            lua_rawgeti(L, -1, len + 1);
            bool nil = lua_type(L, -1) == LUA_TNIL;
            lua_pop(L, 1);
            if (nil) break;
            len++;
        }
        reply.ArrayHeader(len);
        for (int j = 1; j <= len; j++)
        {
            lua_rawgeti(L, -1, j);
            WriteResult(L, reply, host, scriptResp, depth + 1);
        }
        lua_pop(L, 1);
    }

    // ---- reply → Lua (redisProtocolToLuaType) ----

    /// <summary>Pushes the Lua form of the RESP reply at <paramref name="pos"/>; returns the position after it.</summary>
    static int PushReply(nint L, ReadOnlySpan<byte> r, int pos, bool fromCommand)
    {
        lua_checkstack(L, 5);
        byte kind = r[pos];
        int eol = r[pos..].IndexOf("\r\n"u8) + pos;
        var line = r[(pos + 1)..eol];
        int next = eol + 2;
        switch (kind)
        {
            case (byte)':':
                IntegerText.TryParse(line, out long n);
                lua_pushnumber(L, n);
                return next;
            case (byte)'$':
            {
                IntegerText.TryParse(line, out long len);
                if (len < 0)
                {
                    lua_pushboolean(L, 0);
                    return next;
                }
                PushBytes(L, r.Slice(next, (int)len));
                return next + (int)len + 2;
            }
            case (byte)'+':
                lua_createtable(L, 0, 1);
                PushBytes(L, line);
                RawSetField(L, -2, "ok"u8);
                return next;
            case (byte)'-':
                PushErrorTable(L, line, fromCommand);
                return next;
            case (byte)'*':
            case (byte)'~':
            case (byte)'%':
            {
                IntegerText.TryParse(line, out long count);
                if (count < 0)
                {
                    lua_pushboolean(L, 0);
                    return next;
                }
                if (kind == '*')
                {
                    lua_createtable(L, (int)count, 0);
                    for (int i = 1; i <= count; i++)
                    {
                        next = PushReply(L, r, next, fromCommand);
                        lua_rawseti(L, -2, i);
                    }
                    return next;
                }
                lua_createtable(L, 0, 1);
                lua_createtable(L, 0, (int)count);
                for (int i = 0; i < count; i++)
                {
                    next = PushReply(L, r, next, fromCommand);
                    if (kind == '%') next = PushReply(L, r, next, fromCommand);
                    else lua_pushboolean(L, 1);
                    lua_rawset(L, -3);
                }
                RawSetField(L, -2, kind == '%' ? "map"u8 : "set"u8);
                return next;
            }
            case (byte)'_':
                lua_pushnil(L);
                return next;
            case (byte)'#':
                lua_pushboolean(L, line.Length > 0 && line[0] == 't' ? 1 : 0);
                return next;
            case (byte)',':
                lua_createtable(L, 0, 1);
                DoubleText.Strtod(line, out double d, out _);
                if (line.SequenceEqual("inf"u8)) d = double.PositiveInfinity;
                else if (line.SequenceEqual("-inf"u8)) d = double.NegativeInfinity;
                else if (line.SequenceEqual("nan"u8)) d = double.NaN;
                lua_pushnumber(L, d);
                RawSetField(L, -2, "double"u8);
                return next;
            case (byte)'(':
                lua_createtable(L, 0, 1);
                PushBytes(L, line);
                RawSetField(L, -2, "big_number"u8);
                return next;
            case (byte)'=':
            {
                IntegerText.TryParse(line, out long len);
                var body = r.Slice(next, (int)len);
                lua_createtable(L, 0, 1);
                lua_createtable(L, 0, 2);
                PushBytes(L, body[..3]);
                RawSetField(L, -2, "format"u8);
                PushBytes(L, body[4..]);
                RawSetField(L, -2, "string"u8);
                RawSetField(L, -2, "verbatim_string"u8);
                return next + (int)len + 2;
            }
            case (byte)'|':
            {
                // An attribute is metadata before the reply it annotates: skipped, as Redis does.
                IntegerText.TryParse(line, out long count);
                for (int i = 0; i < count * 2; i++)
                {
                    next = PushReply(L, r, next, fromCommand);
                    lua_pop(L, 1);
                }
                return PushReply(L, r, next, fromCommand);
            }
            default:
                lua_pushnil(L);
                return r.Length;
        }
    }

    /// <summary>
    /// luaPushErrorBuff: {err = "CODE msg"} from "-CODE msg" (no space: ERR), CR/LF trimmed from
    /// the message's ends. A command's own error reply (already counted in errorstats) is marked
    /// ignore_error_stats_update, so a script returning it does not count it again.
    /// </summary>
    static void PushErrorTable(nint L, ReadOnlySpan<byte> text, bool fromCommand)
    {
        Span<byte> buf = text.Length <= 480 ? stackalloc byte[text.Length + 8] : new byte[text.Length + 8];
        int sp = text.IndexOf((byte)' ');
        ReadOnlySpan<byte> code = sp < 0 ? "ERR"u8 : text[..sp];
        var msg = sp < 0 ? text : text[(sp + 1)..];
        msg = msg.Trim("\r\n"u8);
        code.CopyTo(buf);
        buf[code.Length] = (byte)' ';
        msg.CopyTo(buf[(code.Length + 1)..]);
        lua_createtable(L, 0, 2);
        PushBytes(L, buf[..(code.Length + 1 + msg.Length)]);
        RawSetField(L, -2, "err"u8);
        if (fromCommand)
        {
            lua_pushboolean(L, 1);
            RawSetField(L, -2, "ignore_error_stats_update"u8);
        }
    }

    // ---- the primitives (Prelude.lua wraps each; none raises) ----

    /// <summary>For a primitive of the libraries written in C# (struct, cmsgpack): no allocation may fail while it runs; returns the state to give back to <see cref="Rearm"/>.</summary>
    internal static int Disarm(nint L)
    {
        var self = Self(L);
        int armed = self._alloc->Armed;
        self._alloc->Armed = 0;
        return armed;
    }

    internal static void Rearm(nint L, int armed) => Self(L)._alloc->Armed = armed;

    static LuaEngine Self(nint L) => (LuaEngine)GCHandle.FromIntPtr(lua_touserdata(L, UpvalueIndex(1))).Target!;

    /// <summary>
    /// The arguments on the stack as a command, into <see cref="_callArgs"/> (over one reused
    /// buffer); an error text when one is neither a string nor a number. Numbers are formatted
    /// with %.17g, as 7.0 does (SET k 0.1 stores "0.10000000000000001").
    /// </summary>
    string? ReadCommand(nint L, int from)
    {
        int top = lua_gettop(L);
        if (top < from) return "-ERR Please specify at least one argument for this redis lib call";
        Span<byte> number = stackalloc byte[32];
        var buffer = _argBuffer;
        _callArgs.Reset(buffer);
        int pos = 0;
        for (int i = from; i <= top; i++)
        {
            ReadOnlySpan<byte> arg;
            int t = lua_type(L, i);
            if (t == LUA_TSTRING) arg = ToBytes(L, i);
            else if (t == LUA_TNUMBER) arg = number[..DoubleText.Format(lua_tonumber(L, i), number)];
            else return "-ERR Lua redis lib command arguments must be strings or integers";
            if (buffer.Length - pos < arg.Length)
            {
                Array.Resize(ref buffer, Math.Max(pos + arg.Length, buffer.Length * 2));
                _callArgs.Rebase(_argBuffer = buffer);
            }
            arg.CopyTo(buffer.AsSpan(pos));
            _callArgs.Add(pos, arg.Length);
            pos += arg.Length;
        }
        return null;
    }

    /// <summary>redis.call: the reply, or -1 with the error table on top for the C frame to raise (luaRedisCallCommand).</summary>
    [UnmanagedCallersOnly]
    static int CallPrimitive(nint L) => Self(L).Call(L, raise: true);

    /// <summary>redis.pcall: the reply, an error as its table (luaRedisPCallCommand).</summary>
    [UnmanagedCallersOnly]
    static int PcallPrimitive(nint L) => Self(L).Call(L, raise: false);

    int Call(nint L, bool raise)
    {
        int armed = _alloc->Armed;
        _alloc->Armed = 0;
        try
        {
            var error = ReadCommand(L, 1);
            if (error is not null)
            {
                var bytes = System.Text.Encoding.Latin1.GetBytes(error.Substring(1));
                _host!.CountError(bytes);
                PushErrorTable(L, bytes, fromCommand: true);
                return raise ? -1 : 1;
            }
            var reply = _host!.Call(_callArgs);
            // The reply may sit in the host's buffers that the next command reuses; Lua copies what it keeps.
            PushReply(L, reply, 0, fromCommand: true);
            return raise && reply.Length > 0 && reply[0] == '-' ? -1 : 1;
        }
        catch (Exception e)
        {
            lua_settop(L, 0);
            PushErrorTable(L, System.Text.Encoding.Latin1.GetBytes("ERR " + e.Message), fromCommand: false);
            return raise ? -1 : 1;
        }
        finally { _alloc->Armed = armed; }
    }

    /// <summary>redis.acl_check_cmd's C side: (allowed) or (error table, true).</summary>
    [UnmanagedCallersOnly]
    static int AclPrimitive(nint L)
    {
        var self = Self(L);
        int armed = self._alloc->Armed;
        self._alloc->Armed = 0;
        try
        {
            var error = self.ReadCommand(L, 1);
            bool? allowed = error is null ? self._host!.AclCheck(self._callArgs) : null;
            if (allowed is null)
            {
                PushErrorTable(L, System.Text.Encoding.Latin1.GetBytes(error?.Substring(1) ?? "ERR Invalid command passed to redis.acl_check_cmd()"), false);
                lua_pushboolean(L, 1);
                return 2;
            }
            lua_pushboolean(L, allowed.Value ? 1 : 0);
            return 1;
        }
        catch (Exception)
        {
            lua_pushboolean(L, 0);
            return 1;
        }
        finally { self._alloc->Armed = armed; }
    }

    [UnmanagedCallersOnly]
    static int Sha1Primitive(nint L)
    {
        var self = Self(L);
        int armed = self._alloc->Armed;
        self._alloc->Armed = 0;
        Span<byte> hash = stackalloc byte[20];
        SHA1.HashData(ToBytes(L, 1), hash);
        Span<byte> hex = stackalloc byte[40];
        for (int i = 0; i < 20; i++)
        {
            hex[i * 2] = (byte)"0123456789abcdef"[hash[i] >> 4];
            hex[i * 2 + 1] = (byte)"0123456789abcdef"[hash[i] & 15];
        }
        PushBytes(L, hex);
        self._alloc->Armed = armed;
        return 1;
    }

    [UnmanagedCallersOnly]
    static int LogPrimitive(nint L)
    {
        try { Self(L)._host?.Log((int)lua_tonumber(L, 1), Latin1(ToBytes(L, 2))); }
        catch (Exception) { }
        return 0;
    }

    [UnmanagedCallersOnly]
    static int SetRespPrimitive(nint L)
    {
        var host = Self(L)._host;
        if (host is not null) host.Resp = (int)lua_tonumber(L, 1);
        return 0;
    }

    [UnmanagedCallersOnly]
    static int SetReplPrimitive(nint L)
    {
        Self(L)._host?.SetReplication((int)lua_tonumber(L, 1));
        return 0;
    }

    /// <summary>redis_math_random's draw: redisLrand48() % INT32_MAX / INT32_MAX.</summary>
    [UnmanagedCallersOnly]
    static int RandPrimitive(nint L)
    {
        var self = Self(L);
        self._rand48 = (0x5DEECE66DUL * self._rand48 + 0xB) & ((1UL << 48) - 1);
        long r = (long)(self._rand48 >> 17);
        lua_pushnumber(L, (double)(r % int.MaxValue) / int.MaxValue);
        return 1;
    }

    /// <summary>
    /// The busy hook's C side (luaMaskCountHook's scriptInterrupt), every 100000 instructions:
    /// true when the script must stop. The host may serve other clients meanwhile; none of them
    /// runs Lua (only allow-busy commands run), and the allocator is disarmed as in every primitive.
    /// </summary>
    [UnmanagedCallersOnly]
    static int InterruptPrimitive(nint L)
    {
        var self = Self(L);
        int armed = self._alloc->Armed;
        self._alloc->Armed = 0;
        bool kill;
        try { kill = self._host?.Interrupt() == true; }
        catch (Exception) { kill = false; }
        self._alloc->Armed = armed;
        lua_pushboolean(L, kill ? 1 : 0);
        return 1;
    }

    /// <summary>redisSrand48: the seed's 32 bits above 0x330E.</summary>
    [UnmanagedCallersOnly]
    static int SeedPrimitive(nint L)
    {
        var self = Self(L);
        uint seed = (uint)(int)lua_tonumber(L, 1);
        self._rand48 = ((ulong)seed << 16) | 0x330E;
        return 0;
    }

    public void Dispose()
    {
        if (_L != 0)
        {
            lua_close(_L);
            _L = 0;
        }
        if (_self.IsAllocated) _self.Free();
        NativeMemory.Free(_alloc);
    }
}

/// <summary>A compiled script: its function's slot in the engine's registry.</summary>
public sealed class CompiledScript(int reference)
{
    internal int Ref { get; } = reference;
}
