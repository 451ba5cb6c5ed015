using System.Text;

namespace Vermilion.Security;

/// <summary>
/// The two ways users come from files (acl.c): `user` lines in redis.conf, checked as the file is
/// read and created once the server starts (ACLAppendUserForLoading, ACLLoadConfiguredUsers), and
/// the aclfile, read whole into a new user table that replaces the old one only when every line
/// was right (ACLLoadFromFile), written back by ACL SAVE through a temporary file and a rename
/// (ACLSaveToFile). An aclfile and `user` lines together are refused at startup, as Redis does.
/// </summary>
public static class AclFile
{
    static Acl? s_checker;

    /// <summary>
    /// ACLAppendUserForLoading's check of a `user name rules...` line: the rules are applied to a
    /// scratch user (unknown commands are let through until the server starts, as Redis's ENOENT).
    /// Returns config.c's "Error in user declaration '...': ..." or null.
    /// </summary>
    public static string? CheckConfigLine(string[] argv)
    {
        var acl = s_checker ??= new Acl(new Commands.CommandTable());
        var rules = argv.Skip(2).Select(Latin1).ToList();
        var merged = Acl.MergeSelectors(rules, out int unclosed);
        if (merged is null) return $"Error in user declaration '{argv[2 + unclosed]}': Wrong format";
        var scratch = new AclUser(acl, "");
        for (int j = 0; j < merged.Count; j++)
            if (scratch.Apply(merged[j]) is not (AclRuleError.None or AclRuleError.UnknownName) and var error)
                return $"Error in user declaration '{argv[j + 2]}': {Acl.ErrorText(error)}";
        return null;
    }

    static string Latin1(string utf8) => Encoding.Latin1.GetString(Encoding.UTF8.GetBytes(utf8));

    /// <summary>ACLLoadConfiguredUsers: each `user` line in order (the default user is reset first); the error Redis logs before exiting, or null.</summary>
    public static string? LoadConfiguredUsers(Acl acl, IEnumerable<string[]> lines)
    {
        foreach (var argv in lines)
        {
            string name = Latin1(argv[1]);
            if (AclSelector.HasSpaces(name)) return "Spaces not allowed in ACL usernames";
            var user = acl.Users.GetValueOrDefault(name);
            if (user is null) acl.Users[name] = user = new AclUser(acl, name);
            else user.Apply("reset");
            var merged = Acl.MergeSelectors(argv.Skip(2).Select(Latin1).ToList(), out _) ?? [];
            foreach (var rule in merged)
                if (user.Apply(rule) is not AclRuleError.None and var error)
                    return $"Error loading ACL rule '{rule}' for the user named '{name}': {Acl.ErrorText(error)}";
        }
        return null;
    }

    /// <summary>
    /// ACLLoadFromFile: every line "user name rules..."; the errors of every line, or null once the
    /// new users replaced the old (the default user keeps its object, so its clients stay on it).
    /// Users that disappear are returned for their clients to be disconnected.
    /// </summary>
    public static string? Load(Acl acl, string path, out List<AclUser> removed)
    {
        removed = new();
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            string reason = e is FileNotFoundException or DirectoryNotFoundException ? "No such file or directory"
                : e is UnauthorizedAccessException ? "Permission denied" : e.Message;
            return $"Error loading ACLs, opening file '{path}': {reason}";
        }
        var errors = new StringBuilder();
        var users = new SortedDictionary<string, AclUser>(StringComparer.Ordinal);
        var lines = Encoding.Latin1.GetString(bytes).Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            int lineNumber = i + 1;
            string line = lines[i].Trim(' ', '\t', '\r', '\n');
            // Redis tests the first byte as a C string's end: a line starting with NUL is blank.
            if (line.Length == 0 || line[0] == '\0') continue;
            // sdssplitlen on single spaces: empty words stay (and fail as rules do in Redis).
            var argv = line.Split(' ');
            if (argv[0] != "user" || argv.Length < 2)
            {
                errors.Append($"{path}:{lineNumber} should start with user keyword followed by the username. ");
                continue;
            }
            if (AclSelector.HasSpaces(argv[1]))
            {
                errors.Append($"'{path}:{lineNumber}: username '{argv[1]}' contains invalid characters. ");
                continue;
            }
            if (users.ContainsKey(argv[1]))
            {
                errors.Append($"WARNING: Duplicate user '{argv[1]}' found on line {lineNumber}. ");
                continue;
            }
            var user = new AclUser(acl, argv[1]);
            users[argv[1]] = user;
            var merged = Acl.MergeSelectors(argv[2..], out _);
            if (merged is null)
            {
                errors.Append($"{path}:{lineNumber}: Unmatched parenthesis in selector definition.");
                continue;
            }
            bool syntaxError = false;
            foreach (var raw in merged)
            {
                string rule = raw.Trim('\t', '\r', '\n');
                var error = user.Apply(rule);
                if (error == AclRuleError.None) continue;
                if (error == AclRuleError.UnknownName)
                    errors.Append($"{path}:{lineNumber}: Error in applying operation '{rule}': {Acl.ErrorText(error)}. ");
                else if (!syntaxError)
                {
                    errors.Append($"{path}:{lineNumber}: {Acl.ErrorText(error)}. ");
                    syntaxError = true;
                }
            }
        }
        if (errors.Length > 0)
            return errors.Append("WARNING: ACL errors detected, no change to the previously active ACL rules was performed").ToString();
        var newDefault = users.GetValueOrDefault("default") ?? acl.CreateDefaultUser();
        acl.DefaultUser.CopyFrom(newDefault);
        users["default"] = acl.DefaultUser;
        foreach (var (name, old) in acl.Users)
            if (name != "default") removed.Add(old);
        acl.Users.Clear();
        foreach (var (name, u) in users) acl.Users[name] = u;
        return null;
    }

    /// <summary>ACLSaveToFile: every user as its ACL LIST line, written to a temporary file renamed over the aclfile. The error to log, or null.</summary>
    public static string? Save(Acl acl, string path)
    {
        var sb = new StringBuilder();
        foreach (var u in acl.Users.Values) sb.Append("user ").Append(u.Name).Append(' ').Append(u.Describe()).Append('\n');
        string temp = $"{path}.tmp-{Environment.ProcessId}-{DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()}";
        try
        {
            File.WriteAllBytes(temp, Encoding.Latin1.GetBytes(sb.ToString()));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"Opening temp ACL file for ACL SAVE: {(e is UnauthorizedAccessException ? "Permission denied" : e.Message)}";
        }
        try
        {
            File.Move(temp, path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            try { File.Delete(temp); } catch (IOException) { }
            return $"Renaming ACL file for ACL SAVE: {e.Message}";
        }
        return null;
    }
}
