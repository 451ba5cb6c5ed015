using Vermilion.Protocol;

namespace Vermilion.Scripting;

/// <summary>
/// What a running script asks of the server (eval.c/script.c's side of script_lua.c): the
/// engine knows Lua, the host knows commands. One script runs at a time, so the host keeps the
/// run's state (the script's RESP version, its replication flags, the caller).
/// </summary>
public interface IScriptHost
{
    /// <summary>
    /// redis.call / redis.pcall: run one command (scriptCall's checks, then the server's
    /// dispatch) and return its reply as RESP bytes in <see cref="Resp"/>, valid until the next
    /// call. An error, whether the checks made it (unknown command, noscript, a write in a
    /// read-only script...) or the command answered it, is already counted in errorstats.
    /// </summary>
    ReadOnlySpan<byte> Call(CommandArgs args);

    /// <summary>An error the engine found in redis.call's arguments: counted as the host's own are.</summary>
    void CountError(ReadOnlySpan<byte> error);

    /// <summary>The script's reply is an error counted already (inside it): the call failed all the same.</summary>
    void FailedWithoutCount();

    /// <summary>redis.acl_check_cmd: null when the command does not exist, else whether the user may run it.</summary>
    bool? AclCheck(CommandArgs args);

    /// <summary>redis.log at a level 0..3 (LOG_DEBUG..LOG_WARNING).</summary>
    void Log(int level, string message);

    /// <summary>The RESP version the script set with redis.setresp (2 at the start of every script).</summary>
    int Resp { get; set; }

    /// <summary>redis.set_repl: REPL_AOF (1) | REPL_REPLICA (2) of the commands that follow.</summary>
    void SetReplication(int flags);

    /// <summary>
    /// scriptInterrupt, from the script's count hook every 100000 instructions: past
    /// busy-reply-threshold the host serves other clients (processEventsWhileBlocked); true when
    /// the script must stop (SCRIPT KILL, a shutdown). Never throws. A host that never lets a
    /// script time out keeps the default.
    /// </summary>
    bool Interrupt() => false;
}
