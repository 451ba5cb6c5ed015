using System.Text;
using Vermilion.Protocol;
using Vermilion.Server;
using Vermilion.Storage;

namespace Vermilion.Commands;

/// <summary>
/// CONFIG GET/SET/RESETSTAT/REWRITE/HELP over the configuration table (<see cref="Config"/>),
/// with Redis 7.0's semantics: SET of several parameters is all-or-nothing, and changes that
/// must reach the running server (port, bind, maxclients) are applied after every value is set.
/// </summary>
public static partial class ConfigCommands
{
    static readonly string[] s_help =
    [
        "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "GET <pattern>",
        "    Return parameters matching the glob-like <pattern> and their values.",
        "SET <directive> <value>",
        "    Set the configuration <directive> to <value>.",
        "RESETSTAT",
        "    Reset statistics reported by the INFO command.",
        "REWRITE",
        "    Rewrite the configuration file.",
        "HELP",
        "    Prints this help.",
    ];

    [Command("config|help")] static void Help(Client c, CommandArgs a) => HelpReply.Write(c, s_help);

    /// <summary>An exact name answers under the name as given; a pattern answers under the table's names, hidden ones left out (configGetCommand).</summary>
    [Command("config|get")]
    static void Get(Client c, CommandArgs a)
    {
        var table = c.Server.Config;
        var matches = new List<(string Name, ConfigOption Option)>();
        for (int i = 2; i < a.Count; i++)
        {
            string pattern = a.GetString(i);
            if (pattern.AsSpan().IndexOfAny("[*?") < 0)
            {
                var option = table.Find(pattern);
                if (option is not null && !matches.Any(m => m.Name == pattern)) matches.Add((pattern, option));
                continue;
            }
            foreach (var option in table.Options)
            {
                if (option.Hidden) continue;
                foreach (var name in option.Alias is null ? [option.Name] : new[] { option.Name, option.Alias })
                {
                    if (matches.Any(m => m.Name == name)) continue;
                    if (GlobPattern.Match(Encoding.UTF8.GetBytes(pattern), Encoding.UTF8.GetBytes(name), nocase: true)) matches.Add((name, option));
                }
            }
        }
        c.Reply.MapHeader(matches.Count);
        foreach (var (name, option) in matches)
        {
            c.Reply.Bulk(name);
            c.Reply.Bulk(option.Get());
        }
    }

    [Command("config|set")]
    static void Set(Client c, CommandArgs a)
    {
        if (a.Count % 2 != 0)
        {
            c.Reply.Error("syntax error");
            return;
        }
        var table = c.Server.Config;
        int n = (a.Count - 2) / 2;
        var options = new ConfigOption[n];
        var values = new string[n];
        // The name errors report: Redis registers an alias as an entry of its own, so an error
        // names the alias when the alias was given (and an alias plus its name are not duplicates).
        var names = new string[n];
        // configSetCommand: the first problem wins and later arguments are not judged, except that
        // a load in progress answers -LOADING whatever else was wrong ("it may be handled by clients differently").
        string? unknown = null, failedArg = null, failure = null;
        bool denyLoading = false;
        for (int i = 0; i < n; i++)
        {
            string name = a.GetString(2 + 2 * i);
            var option = table.Find(name);
            if (option is null)
            {
                if (failure is null && !denyLoading) unknown ??= a.GetCString(2 + 2 * i); // as the error quotes it
                continue;
            }
            if (unknown is not null || failure is not null || denyLoading) continue;
            if (option.Immutable)
            {
                (failedArg, failure) = (a.GetCString(2 + 2 * i), "can't set immutable config");
                continue;
            }
            if (option.Protected && !Config.AllowProtectedAction(table.EnableProtectedConfigs, c.Server.IsLocalClient(c)))
            {
                (failedArg, failure) = (a.GetCString(2 + 2 * i), "can't set protected config");
                continue;
            }
            if (option.DenyLoading && (c.Server.Loading || c.Server.AsyncLoading))
            {
                denyLoading = true;
                continue;
            }
            names[i] = option.Alias is not null && name.Equals(option.Alias, StringComparison.OrdinalIgnoreCase) ? option.Alias : option.Name;
            if (Enumerable.Range(0, i).Any(j => options[j] == option && names[j] == names[i]))
            {
                (failedArg, failure) = (a.GetCString(2 + 2 * i), "duplicate parameter");
                continue;
            }
            options[i] = option;
            values[i] = a.GetString(3 + 2 * i);
        }
        if (denyLoading)
        {
            c.Reply.Error(VermilionServer.LoadingError);
            return;
        }
        if (unknown is not null)
        {
            c.Reply.Error($"Unknown option or number of arguments for CONFIG SET - '{unknown}'");
            return;
        }
        if (failure is not null)
        {
            c.Reply.Error($"CONFIG SET failed (possibly related to argument '{failedArg}') - {failure}");
            return;
        }

        var old = options.Select(o => o.Get()).ToArray();
        var changed = new bool[n];
        for (int i = 0; i < n; i++)
        {
            // A multi-word parameter's value is split at spaces (performInterfaceSet); a feature not
            // built refuses any value but its default here, at once (a config file waits for its end).
            var error = options[i].Set([values[i]]) ?? options[i].MissingFeature();
            if (error is not null)
            {
                Restore(options, old, i + 1);
                c.Reply.Error($"CONFIG SET failed (possibly related to argument '{names[i]}') - {error}");
                return;
            }
            changed[i] = options[i].Volatile || options[i].Get() != old[i];
        }
        var applied = new HashSet<Func<VermilionServer, string?>>();
        for (int i = 0; i < n; i++)
        {
            var apply = options[i].Apply;
            if (apply is null || !changed[i] || !applied.Add(apply)) continue;
            var error = apply(c.Server);
            if (error is null) continue;
            c.Server.Log.Warning($"Failed applying new configuration. Possibly related to new {names[i]} setting. Restoring previous settings.");
            Restore(options, old, n);
            foreach (var f in applied) f(c.Server);
            c.Reply.Error($"CONFIG SET failed (possibly related to argument '{names[i]}') - {error}");
            return;
        }
        c.Reply.Ok();
    }

    static void Restore(ConfigOption[] options, string[] old, int count)
    {
        for (int i = 0; i < count; i++) options[i].Set([old[i]]);
    }

    [Command("config|resetstat")]
    static void ResetStat(Client c, CommandArgs a)
    {
        c.Server.Stats.ResetCounters();
        c.Server.Primary.ResetStats();
        foreach (var cmd in c.Server.Commands.All)
        {
            cmd.ResetStats();
            if (cmd.Subcommands is not null)
                foreach (var sub in cmd.Subcommands.Values) sub.ResetStats();
        }
        c.Reply.Ok();
    }

    /// <summary>
    /// rewriteConfigUserOption's lines: every user as ACL LIST describes it, or none when an aclfile
    /// holds them. Names and rules are bytes (Latin-1 strings here); the config file is UTF-8 text.
    /// </summary>
    static List<string> UserLines(VermilionServer server) => server.Config.AclFileName.Length > 0 ? [] :
        server.Acl.Users.Values.Select(u => Encoding.UTF8.GetString(Encoding.Latin1.GetBytes($"user {u.Name} {u.Describe()}"))).ToList();

    [Command("config|rewrite")]
    static void Rewrite(Client c, CommandArgs a)
    {
        var file = c.Server.Config.ConfigFile;
        if (file is null)
        {
            c.Reply.Error("The server is running without a config file");
            return;
        }
        var error = ConfigRewrite.Rewrite(c.Server.Config, file, UserLines(c.Server));
        if (error is null)
        {
            c.Server.Log.Notice("CONFIG REWRITE executed with success.");
            c.Reply.Ok();
            return;
        }
        c.Server.Log.Warning("CONFIG REWRITE failed: " + error);
        c.Reply.Error("Rewriting config file: " + error);
    }
}
