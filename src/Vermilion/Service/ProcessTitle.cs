using System.Text;
using Vermilion.Server;

namespace Vermilion.Service;

/// <summary>
/// set-proc-title and proc-title-template (Redis's redisSetProcTitle). Redis rewrites its argv, so
/// `ps` shows the expanded template as the command line. .NET copies argv at startup and gives no
/// way to the memory /proc/PID/cmdline reads, so what Linux lets us change is the process name
/// (/proc/PID/comm, what `ps -o comm`, top and pgrep show): it becomes the first 15 bytes of the
/// expanded template (the kernel's TASK_COMM_LEN). {title} is the executable's name without its
/// directory ("vermilion-server", also under `dotnet vermilion-server.dll`), so that those 15 bytes
/// say something; a template such as "vrm {port}" fits them. The template is validated as Redis
/// does it (same variables, same error), including Redis's rule that it must not expand to nothing.
/// </summary>
public static class ProcessTitle
{
    public const string InvalidTemplate = "template format is invalid or contains unknown variables";

    /// <summary>The name {title} stands for: the executable, or the app under the dotnet host.</summary>
    public static string ProgramName
    {
        get
        {
            string? path = Environment.ProcessPath;
            string name = path is null ? "vermilion-server" : Path.GetFileName(path);
            if (name == "dotnet") name = System.Reflection.Assembly.GetEntryAssembly()?.GetName().Name ?? name;
            return name;
        }
    }

    /// <summary>expandProcTitleTemplate (sdstemplate then trimming spaces): null for an unknown variable or a '{' left open.</summary>
    public static string? Expand(string template, string title, Config config)
    {
        var sb = new StringBuilder();
        int p = 0;
        while (p < template.Length)
        {
            int open = template.IndexOf('{', p);
            if (open < 0)
            {
                sb.Append(template, p, template.Length - p);
                break;
            }
            sb.Append(template, p, open - p);
            int name = open + 1;
            if (name == template.Length) return null;
            if (template[name] == '{') // "{{" is a literal '{'
            {
                sb.Append('{');
                p = name + 1;
                continue;
            }
            int close = template.IndexOf('}', name);
            if (close < 0) return null;
            string? value = Variable(template[name..close], title, config);
            if (value is null) return null;
            sb.Append(value);
            p = close + 1;
        }
        return sb.ToString().Trim(' ');
    }

    /// <summary>redisProcTitleGetVariable; a standalone server's {server-mode} is empty.</summary>
    static string? Variable(string name, string title, Config config) => name switch
    {
        "title" => title,
        "listen-addr" => config.Port != 0 || config.TlsPort != 0
            ? $"{(config.Bind.Length > 0 ? config.Bind[0] : "*")}:{(config.Port != 0 ? config.Port : config.TlsPort)}"
            : "unixsocket:" + config.UnixSocket,
        "server-mode" => "",
        "config-file" => config.ConfigFile ?? "-",
        "port" => config.Port.ToString(),
        "tls-port" => config.TlsPort.ToString(),
        "unixsocket" => config.UnixSocket,
        _ => null,
    };

    /// <summary>validateProcTitleTemplate: expanded with an empty title, it must give something.</summary>
    public static bool IsValid(string template, Config config) => Expand(template, "", config) is { Length: > 0 };

    /// <summary>redisSetProcTitle: writes the process name if set-proc-title is on; false if Linux refused it.</summary>
    public static bool Set(Config config)
    {
        if (!config.SetProcTitle) return true;
        if (Expand(config.ProcTitleTemplate, ProgramName, config) is not { } title) return false;
        // /proc/self is the thread group leader, so this names the process from any thread (the
        // loop thread runs CONFIG SET), which prctl(PR_SET_NAME) would not: it names the caller.
        try
        {
            File.WriteAllText("/proc/self/comm", title);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>updateProcTitleTemplate: CONFIG SET proc-title-template.</summary>
    public static string? ApplyConfigSet(VermilionServer server) => Set(server.Config) ? null : "failed to set process title";
}

/// <summary>proc-title-template: a string parameter refused, at load and at CONFIG SET, unless <see cref="ProcessTitle.IsValid"/>.</summary>
public sealed class ProcTitleTemplateOption(Config config) : ConfigOption("proc-title-template")
{
    public override string Get() => config.ProcTitleTemplate;

    public override string? Set(string[] args)
    {
        if (!ProcessTitle.IsValid(args[0], config)) return ProcessTitle.InvalidTemplate;
        config.ProcTitleTemplate = args[0];
        return null;
    }
}
