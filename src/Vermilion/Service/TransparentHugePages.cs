using Vermilion.Net;
using Vermilion.Server;

namespace Vermilion.Service;

/// <summary>
/// disable-thp, as the THP half of Redis's linuxMemoryWarnings: when the kernel hands out
/// transparent huge pages to every process ("[always]"), the server asks to be left out with
/// prctl(PR_SET_THP_DISABLE) (Linux 3.15+; it holds for the whole process and its children); if
/// disable-thp is off or the call fails, it warns, as Redis does. "madvise" and "never" need nothing.
/// </summary>
public static class TransparentHugePages
{
    public const string EnabledFile = "/sys/kernel/mm/transparent_hugepage/enabled";

    /// <summary>Returns whether THP stays enabled for this process.</summary>
    public static bool Check(Config config, Log log, string enabledFile = EnabledFile)
    {
        string mode;
        try { mode = File.ReadAllText(enabledFile); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return false; }
        if (!mode.Contains("[always]")) return false;
        if (config.DisableThp && Native.Prctl(Native.PR_SET_THP_DISABLE, 1, 0, 0, 0) == 0) return false;
        log.Warning("WARNING You have Transparent Huge Pages (THP) support enabled in your kernel. This will create latency and memory usage issues with Vermilion. " +
            "To fix this issue run the command 'echo madvise > /sys/kernel/mm/transparent_hugepage/enabled' as root, and add it to your /etc/rc.local in order to retain the setting after a reboot. " +
            "Vermilion must be restarted after THP is disabled (set to 'madvise' or 'never').");
        return true;
    }
}
