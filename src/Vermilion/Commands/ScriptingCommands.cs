using Vermilion.Protocol;
using Vermilion.Server;

namespace Vermilion.Commands;

/// <summary>
/// EVAL, EVALSHA, their _RO forms and SCRIPT (eval.c); the run itself, the cache and the host a
/// script calls back are Server/Scripting.cs, the Lua engine is Scripting/.
/// </summary>
public static partial class ScriptingCommands
{
    [Command("eval")] static void Eval(Client c, CommandArgs a) => c.Server.Eval(c, a, bySha: false, readOnly: false);
    [Command("evalsha")] static void EvalSha(Client c, CommandArgs a) => c.Server.Eval(c, a, bySha: true, readOnly: false);
    [Command("eval_ro")] static void EvalRo(Client c, CommandArgs a) => c.Server.Eval(c, a, bySha: false, readOnly: true);
    [Command("evalsha_ro")] static void EvalShaRo(Client c, CommandArgs a) => c.Server.Eval(c, a, bySha: true, readOnly: true);

    [Command("script")] static void Script(Client c, CommandArgs a) => HelpReply.SubcommandSyntaxError(c, a);

    [Command("script|load")]
    static void Load(Client c, CommandArgs a)
    {
        var sha = VermilionServer.ScriptSha(a[2]);
        if (c.Server.LoadScript(c, a[2], sha) is null) return;
        c.Reply.Bulk(sha);
    }

    [Command("script|exists")]
    static void Exists(Client c, CommandArgs a)
    {
        c.Reply.ArrayHeader(a.Count - 2);
        for (int i = 2; i < a.Count; i++) c.Reply.Integer(c.Server.FindScript(a[i]) is null ? 0 : 1);
    }

    /// <summary>SCRIPT FLUSH [ASYNC|SYNC]: the VM is small and goes at once either way (Redis frees it on the lazyfree thread under ASYNC).</summary>
    [Command("script|flush")]
    static void Flush(Client c, CommandArgs a)
    {
        if (a.Count > 3 || (a.Count == 3 && !a.Is(2, "sync") && !a.Is(2, "async")))
        {
            c.Reply.Error("SCRIPT FLUSH only support SYNC|ASYNC option");
            return;
        }
        c.Server.FlushScripts();
        c.Reply.Ok();
    }

    /// <summary>SCRIPT KILL: reached only while a script is busy (it is allow-busy: served from the script's hook).</summary>
    [Command("script|kill")]
    static void Kill(Client c, CommandArgs a) => c.Server.KillScript(c, byScriptKill: true);

    /// <summary>SCRIPT DEBUG: NO is accepted (it is the only mode); the Lua debugger (YES/SYNC) is not built, so those get Redis's error for a mode it does not take.</summary>
    [Command("script|debug")]
    static void Debug(Client c, CommandArgs a)
    {
        if (a.Is(2, "no")) c.Reply.Ok();
        else c.Reply.Error("Use SCRIPT DEBUG YES/SYNC/NO");
    }

    [Command("script|help")] static void Help(Client c, CommandArgs a) => HelpReply.Write(c, s_help);

    static readonly string[] s_help =
    [
        "SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "DEBUG (YES|SYNC|NO)",
        "    Set the debug mode for subsequent scripts executed.",
        "EXISTS <sha1> [<sha1> ...]",
        "    Return information about the existence of the scripts in the script cache.",
        "FLUSH [ASYNC|SYNC]",
        "    Flush the Lua scripts cache. Very dangerous on replicas.",
        "    When called without the optional mode argument, the behavior is determined by the",
        "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
        "    * ASYNC: Asynchronously flush the scripts cache.",
        "    * SYNC: Synchronously flush the scripts cache.",
        "KILL",
        "    Kill the currently executing Lua script.",
        "LOAD <script>",
        "    Load a script into the scripts cache without executing it.",
        "HELP",
        "    Prints this help.",
    ];
}
