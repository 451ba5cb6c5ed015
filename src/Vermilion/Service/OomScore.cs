using System.Text;
using Vermilion.Net;
using Vermilion.Server;

namespace Vermilion.Service;

/// <summary>
/// oom-score-adj and oom-score-adj-values, as Redis's setOOMScoreAdj: the process's
/// /proc/self/oom_score_adj becomes the master value of oom-score-adj-values (absolute) or that
/// value plus the score the process started with (yes, relative), clamped to -1000..1000; "no"
/// after an adjustment puts the starting score back. Raising the score is always allowed; lowering
/// it below where it started needs CAP_SYS_RESOURCE, and without it the write fails with
/// "Permission denied", which is logged (and CONFIG SET fails) as in Redis.
/// </summary>
public static class OomScore
{
    const string ProcFile = "/proc/self/oom_score_adj";
    /// <summary>CONFIG_OOM_MASTER: the first of the three values (master, replica, background child).</summary>
    const int MasterClass = 0;

    // The score is the process's, not one server's (several in-process servers share it), so the
    // starting score and whether we changed it are kept per process, as Redis keeps them in statics.
    static readonly object s_lock = new();
    static bool s_adjusted;
    static int s_base;

    /// <summary>setOOMScoreAdj(-1) on a server that is a master; false after logging why.</summary>
    public static bool Apply(Config config, Log log)
    {
        lock (s_lock)
        {
            int value;
            if (config.OomScoreAdj != "no")
            {
                if (!s_adjusted)
                {
                    try { s_base = int.TryParse(File.ReadAllText(ProcFile).Trim(), out int b) ? b : 0; }
                    catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                    {
                        log.Warning($"Unable to read oom_score_adj: {e.Message}");
                        return false;
                    }
                    s_adjusted = true;
                }
                value = config.OomScoreAdjValues[MasterClass];
                if (config.OomScoreAdj != "absolute") value += s_base;
                value = Math.Clamp(value, -1000, 1000);
            }
            else if (s_adjusted)
            {
                s_adjusted = false;
                value = s_base;
            }
            else return true;

            int errno = Native.WriteExistingFile(ProcFile, Encoding.ASCII.GetBytes(value + "\n"));
            if (errno != 0)
            {
                log.Warning($"Unable to write oom_score_adj: {Native.StrError(errno)}");
                return false;
            }
            return true;
        }
    }

    /// <summary>updateOOMScoreAdj: CONFIG SET oom-score-adj.</summary>
    public static string? ApplyConfigSet(VermilionServer server) =>
        Apply(server.Config, server.Log) ? null : "Failed to set current oom_score_adj. Check server logs.";

    /// <summary>CONFIG SET oom-score-adj-values: the ordering warning, then updateOOMScoreAdj.</summary>
    public static string? ApplyValuesConfigSet(VermilionServer server)
    {
        WarnIfUnordered(server.Config, server.Log);
        return ApplyConfigSet(server);
    }

    /// <summary>setConfigOOMScoreAdjValuesOption's warning: values that do not grow master, replica, child may not work unprivileged.</summary>
    public static void WarnIfUnordered(Config config, Log log)
    {
        var v = config.OomScoreAdjValues;
        if (v[1] < v[0] || v[2] < v[1])
            log.Warning("The oom-score-adj-values configuration may not work for non-privileged processes! Please consult the documentation.");
    }
}
