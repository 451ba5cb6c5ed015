using Vermilion.Protocol;
using Vermilion.Server;

namespace Vermilion.Commands;

/// <summary>
/// MODULE: LOAD, LOADEX and UNLOAD are behind enable-module-command (the dispatcher refuses them
/// otherwise, as Redis 7.0's CMD_PROTECTED check); LIST and HELP always answer. Redis modules are native shared libraries written against Redis's C ABI
/// (RedisModule_* over robj, dict, the event loop): they cannot run inside a .NET server and will
/// not be supported. So no module is ever loaded: LIST is empty, LOAD and LOADEX fail as a
/// library that does not load fails in Redis, and UNLOAD finds no module of that name.
/// </summary>
public static partial class ModuleCommands
{
    static readonly string[] s_help =
    [
        "MODULE <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "LIST",
        "    Return a list of loaded modules.",
        "LOAD <path> [<arg> ...]",
        "    Load a module library from <path>, passing to it any optional arguments.",
        "LOADEX <path> [[CONFIG NAME VALUE] [CONFIG NAME VALUE]] [ARGS ...]",
        "    Load a module library from <path>, while passing it module configurations and optional arguments.",
        "UNLOAD <name>",
        "    Unload a module.",
        "HELP",
        "    Prints this help.",
    ];

    [Command("module|help")] static void Help(Client c, CommandArgs a) => HelpReply.Write(c, s_help);

    [Command("module|list")] static void List(Client c, CommandArgs a) => c.Reply.ArrayHeader(0);

    /// <summary>moduleLoad's failure: logged with the path, then the one error Redis gives whatever went wrong.</summary>
    [Command("module|load")]
    [Command("module|loadex")]
    static void Load(Client c, CommandArgs a)
    {
        c.Server.Log.Warning($"Module {a.GetString(2)} failed to load: Vermilion does not load Redis modules (native code written for Redis's C ABI)");
        c.Reply.Error("Error loading the extension. Please check the server logs.");
    }

    [Command("module|unload")]
    static void Unload(Client c, CommandArgs a) => c.Reply.Error("Error unloading module: no such module with that name");
}
