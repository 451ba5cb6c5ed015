using System.Globalization;
using Vermilion.Protocol;

namespace Vermilion.Server;

/// <summary>
/// One configuration parameter, as an entry of Redis's standardConfig table: its name (and old
/// alias), whether CONFIG SET may change it, how a value is parsed and shown, and what must
/// happen on a running server when it changes. Parse errors are Redis's exact texts.
/// </summary>
public abstract class ConfigOption
{
    public string Name { get; }
    public string? Alias { get; init; }
    public bool Immutable { get; init; }
    /// <summary>Runs after a CONFIG SET stored the new value; returns an error to undo the change.</summary>
    public Func<VermilionServer, string?>? Apply { get; init; }
    /// <summary>Takes any number of words on a config line (bind, save); others take exactly one.</summary>
    public virtual bool MultiArg => false;

    protected ConfigOption(string name) => Name = name;

    /// <summary>The value as CONFIG GET shows it.</summary>
    public abstract string Get();
    /// <summary>Parses and stores; returns Redis's error reason or null.</summary>
    public abstract string? Set(string[] args);
    /// <summary>The value as a line of redis.conf (CONFIG REWRITE).</summary>
    public virtual string ToConfigLine() => Name + " " + Quote(Get());

    internal static string Quote(string value) =>
        value.Length > 0 && value.AsSpan().IndexOfAny(" \"'\t\r\n\\") < 0 ? value : "\"" + value.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
}

public sealed class BoolOption(string name, Func<bool> get, Action<bool> set) : ConfigOption(name)
{
    public override string Get() => get() ? "yes" : "no";

    public override string? Set(string[] args)
    {
        var v = args[0].ToLowerInvariant();
        if (v != "yes" && v != "no") return "argument must be 'yes' or 'no'";
        set(v == "yes");
        return null;
    }
}

/// <summary>An integer parameter; with <see cref="Memory"/> it takes Redis's units (1k, 1kb, 1mb, 1gb…).</summary>
public sealed class IntegerOption(string name, long min, long max, Func<long> get, Action<long> set) : ConfigOption(name)
{
    public bool Memory { get; init; }
    /// <summary>Values are shown and parsed in octal (unixsocketperm).</summary>
    public bool Octal { get; init; }

    public override string Get() => Octal ? Convert.ToString(get(), 8) : get().ToString(CultureInfo.InvariantCulture);

    public override string? Set(string[] args)
    {
        long v;
        if (Memory)
        {
            if (!TryParseMemory(args[0], out v)) return "argument must be a memory value";
        }
        else if (Octal)
        {
            try { v = Convert.ToInt64(args[0], 8); }
            catch (Exception) { return "argument couldn't be parsed into an integer"; }
        }
        else if (!IntegerText.TryParse(args[0], out v)) return "argument couldn't be parsed into an integer";
        if (v < min || v > max) return $"argument must be between {min} and {max} inclusive";
        set(v);
        return null;
    }

    /// <summary>Redis's memtoull: digits then an optional unit; k/m/g are powers of 1000, kb/mb/gb of 1024.</summary>
    public static bool TryParseMemory(string s, out long value)
    {
        value = 0;
        int i = 0;
        while (i < s.Length && char.IsAsciiDigit(s[i])) i++;
        if (i == 0) return false;
        long mul = s[i..].ToLowerInvariant() switch
        {
            "" or "b" => 1,
            "k" => 1000, "kb" => 1024,
            "m" => 1000 * 1000, "mb" => 1024 * 1024,
            "g" => 1000L * 1000 * 1000, "gb" => 1024L * 1024 * 1024,
            _ => 0,
        };
        if (mul == 0 || !ulong.TryParse(s.AsSpan(0, i), NumberStyles.None, CultureInfo.InvariantCulture, out ulong n)) return false;
        ulong r = n * (ulong)mul;
        if (mul != 0 && r / (ulong)mul != n || r > long.MaxValue) return false;
        value = (long)r;
        return true;
    }
}

public sealed class EnumOption(string name, string[] values, Func<string> get, Action<string> set) : ConfigOption(name)
{
    public override string Get() => get();

    public override string? Set(string[] args)
    {
        var v = args[0].ToLowerInvariant();
        if (Array.IndexOf(values, v) < 0) return "argument(s) must be one of the following: " + string.Join(", ", values);
        set(v);
        return null;
    }
}

public sealed class StringOption(string name, Func<string> get, Action<string> set) : ConfigOption(name)
{
    public override string Get() => get();

    public override string? Set(string[] args)
    {
        set(args[0]);
        return null;
    }
}

/// <summary>A parameter with its own syntax (bind, client-output-buffer-limit): a parser returning an error or null.</summary>
public sealed class CustomOption(string name, Func<string> get, Func<string[], string?> set, bool multiArg = false) : ConfigOption(name)
{
    public override bool MultiArg => multiArg;
    public override string Get() => get();
    public override string? Set(string[] args) => set(args);
    public override string ToConfigLine() => Name + " " + (Get() is { Length: > 0 } value ? value : "\"\"");
}
