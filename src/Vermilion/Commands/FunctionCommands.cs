using System.Text;
using Vermilion.Persistence;
using Vermilion.Protocol;
using Vermilion.Server;
using Vermilion.Storage;

namespace Vermilion.Commands;

/// <summary>
/// FCALL, FCALL_RO and FUNCTION (functions.c): the replies; the libraries, the engine and the
/// run are Server/Functions.cs. Part of the scripting family (scripting.json), as in Redis.
/// </summary>
public static partial class ScriptingCommands
{
    [Command("fcall")] static void FCall(Client c, CommandArgs a) => c.Server.FCall(c, a, readOnly: false);
    [Command("fcall_ro")] static void FCallRo(Client c, CommandArgs a) => c.Server.FCall(c, a, readOnly: true);

    [Command("function")] static void Function(Client c, CommandArgs a) => HelpReply.SubcommandSyntaxError(c, a);

    /// <summary>FUNCTION LOAD [REPLACE] code: options before the code, which is the last argument.</summary>
    [Command("function|load")]
    static void FunctionLoad(Client c, CommandArgs a)
    {
        bool replace = false;
        int i = 2;
        for (; i < a.Count - 1; i++)
        {
            if (a.Is(i, "replace"))
            {
                replace = true;
                continue;
            }
            c.Reply.Error($"Unknown option given: {a.GetCString(i)}");
            return;
        }
        if (i >= a.Count)
        {
            c.Reply.Error("Function code is missing");
            return;
        }
        c.Server.FunctionLoad(c, a.ToArray(i), replace);
    }

    [Command("function|delete")]
    static void FunctionDelete(Client c, CommandArgs a)
    {
        if (c.Server.DeleteLibrary(Encoding.Latin1.GetString(a[2]))) c.Reply.Ok();
        else c.Reply.Error("Library not found");
    }

    /// <summary>FUNCTION FLUSH [ASYNC|SYNC]: the libraries are small and go at once either way.</summary>
    [Command("function|flush")]
    static void FunctionFlush(Client c, CommandArgs a)
    {
        if (a.Count > 3)
        {
            HelpReply.SubcommandSyntaxError(c, a);
            return;
        }
        if (a.Count == 3 && !a.Is(2, "sync") && !a.Is(2, "async"))
        {
            c.Reply.Error("FUNCTION FLUSH only supports SYNC|ASYNC option");
            return;
        }
        c.Server.FlushFunctions();
        c.Server.Dirty++;
        c.Reply.Ok();
    }

    /// <summary>FUNCTION LIST [LIBRARYNAME pattern] [WITHCODE]: each option once, in any order.</summary>
    [Command("function|list")]
    static void FunctionList(Client c, CommandArgs a)
    {
        bool withCode = false;
        byte[]? pattern = null;
        for (int i = 2; i < a.Count; i++)
        {
            if (!withCode && a.Is(i, "withcode"))
            {
                withCode = true;
                continue;
            }
            if (pattern is null && a.Is(i, "libraryname"))
            {
                if (i >= a.Count - 1)
                {
                    c.Reply.Error("library name argument was not given");
                    return;
                }
                pattern = a.ToArray(++i);
                continue;
            }
            c.Reply.Error($"Unknown argument {a.GetCString(i)}");
            return;
        }
        var libraries = new List<FunctionLibrary>();
        foreach (var library in c.Server.Functions.Libraries.Values)
        {
            if (pattern is null || GlobPattern.Match(pattern, Encoding.Latin1.GetBytes(library.Name), nocase: true)) libraries.Add(library);
        }
        var r = c.Reply;
        r.ArrayHeader(libraries.Count);
        foreach (var library in libraries)
        {
            r.MapHeader(withCode ? 4 : 3);
            r.Bulk("library_name");
            r.Bulk(library.Name);
            r.Bulk("engine");
            r.Bulk("LUA");
            r.Bulk("functions");
            r.ArrayHeader(library.Functions.Count);
            foreach (var f in library.Functions)
            {
                r.MapHeader(3);
                r.Bulk("name");
                r.Bulk(f.Name);
                r.Bulk("description");
                if (f.Description is null) r.Null();
                else r.Bulk(f.Description);
                r.Bulk("flags");
                WriteFlags(r, f.Flags);
            }
            if (withCode)
            {
                r.Bulk("library_code");
                r.Bulk(library.Code);
            }
        }
    }

    /// <summary>functionListReplyFlags: a set of status strings, in scripts_flags_def's order.</summary>
    static void WriteFlags(ReplyWriter r, ScriptFlags flags)
    {
        ReadOnlySpan<(ScriptFlags Flag, string Name)> all =
        [
            (ScriptFlags.NoWrites, "no-writes"), (ScriptFlags.AllowOom, "allow-oom"), (ScriptFlags.AllowStale, "allow-stale"),
            (ScriptFlags.NoCluster, "no-cluster"), (ScriptFlags.AllowCrossSlotKeys, "allow-cross-slot-keys"),
        ];
        int count = 0;
        foreach (var (flag, _) in all) if ((flags & flag) != 0) count++;
        r.SetHeader(count);
        foreach (var (flag, name) in all) if ((flags & flag) != 0) r.Simple(name);
    }

    /// <summary>
    /// FUNCTION STATS: the running function (seen from another client while it is busy: its name,
    /// its FCALL's arguments, how long it has run) and the one engine's counts. A busy EVAL gets
    /// the BUSY text instead, as functionStatsCommand answers.
    /// </summary>
    [Command("function|stats")]
    static void FunctionStats(Client c, CommandArgs a)
    {
        var r = c.Reply;
        var running = c.Server.RunningScript;
        if (running is { Eval: true })
        {
            r.Error(c.Server.BusyError);
            return;
        }
        r.MapHeader(2);
        r.Bulk("running_script");
        if (running is { Command: { } command } function)
        {
            r.MapHeader(3);
            r.Bulk("name");
            r.Bulk(function.Name);
            r.Bulk("command");
            r.ArrayHeader(command.Count);
            for (int i = 0; i < command.Count; i++) r.Bulk(command[i]);
            r.Bulk("duration_ms");
            r.Integer(function.DurationMs);
        }
        else r.Null();
        r.Bulk("engines");
        r.MapHeader(1);
        r.Bulk("LUA");
        r.MapHeader(2);
        r.Bulk("libraries_count");
        r.Integer(c.Server.LibraryCount);
        r.Bulk("functions_count");
        r.Integer(c.Server.FunctionCount);
    }

    /// <summary>FUNCTION KILL: stops a busy function that has not written (scriptKill, as SCRIPT KILL does for EVAL).</summary>
    [Command("function|kill")]
    static void FunctionKill(Client c, CommandArgs a) => c.Server.KillScript(c, byScriptKill: false);

    [Command("function|dump")]
    static void FunctionDump(Client c, CommandArgs a)
    {
        c.Reply.Bulk(FunctionsPayload.Dump(c.Server.LibraryCodes()));
    }

    /// <summary>
    /// FUNCTION RESTORE payload [FLUSH|APPEND|REPLACE]: the payload's libraries are loaded into a
    /// set of their own first, so a payload that fails to load changes nothing; then that set
    /// replaces the current one (FLUSH) or joins it (APPEND: a library name already there is an
    /// error; REPLACE: it replaces that library).
    /// </summary>
    [Command("function|restore")]
    static void FunctionRestore(Client c, CommandArgs a)
    {
        if (a.Count > 4)
        {
            HelpReply.SubcommandSyntaxError(c, a);
            return;
        }
        bool flush = false, replace = false;
        if (a.Count == 4)
        {
            if (a.Is(3, "append")) { }
            else if (a.Is(3, "replace")) replace = true;
            else if (a.Is(3, "flush")) flush = true;
            else
            {
                c.Reply.Error("Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.");
                return;
            }
        }
        var codes = new List<byte[]>();
        if (!FunctionsPayload.TryRead(a[2], codes, out var error))
        {
            c.Reply.Error("DUMP payload version or checksum are wrong");
            return;
        }
        var server = c.Server;
        var set = new FunctionSet();
        if (error is null)
        {
            foreach (var code in codes)
            {
                if (server.CreateLibrary(set, code, replace: false, timeoutMs: 0, out error) is null) break;
            }
        }
        if (error is null)
        {
            if (flush)
            {
                server.ReplaceFunctionSet(set);
                set = null;
            }
            else if (server.JoinFunctionSet(set, replace, out error)) set = null;
        }
        if (set is not null) server.DiscardFunctionSet(set);
        if (error is not null)
        {
            c.Reply.Error(error);
            return;
        }
        server.Dirty++;
        c.Reply.Ok();
    }

    [Command("function|help")] static void FunctionHelp(Client c, CommandArgs a) => HelpReply.Write(c, s_functionHelp);

    static readonly string[] s_functionHelp =
    [
        "FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "LOAD [REPLACE] <FUNCTION CODE>",
        "    Create a new library with the given library name and code.",
        "DELETE <LIBRARY NAME>",
        "    Delete the given library.",
        "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
        "    Return general information on all the libraries:",
        "    * Library name",
        "    * The engine used to run the Library",
        "    * Library description",
        "    * Functions list",
        "    * Library code (if WITHCODE is given)",
        "    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
        "STATS",
        "    Return information about the current function running:",
        "    * Function name",
        "    * Command used to run the function",
        "    * Duration in MS that the function is running",
        "    If no function is running, return nil",
        "    In addition, returns a list of available engines.",
        "KILL",
        "    Kill the current running function.",
        "FLUSH [ASYNC|SYNC]",
        "    Delete all the libraries.",
        "    When called without the optional mode argument, the behavior is determined by the",
        "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
        "    * ASYNC: Asynchronously flush the libraries.",
        "    * SYNC: Synchronously flush the libraries.",
        "DUMP",
        "    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command",
        "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
        "    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
        "    control how to handle existing libraries (default APPEND):",
        "    * FLUSH: delete all existing libraries.",
        "    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
        "    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
        "      libraries with the new libraries (notice that even on this option there is a chance of failure",
        "      in case of functions name collision with another library).",
        "HELP",
        "    Prints this help.",
    ];
}
