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
    /// <summary>IMMUTABLE_CONFIG: CONFIG SET refuses it ("can't set immutable config").</summary>
    public bool Immutable { get; init; }
    /// <summary>PROTECTED_CONFIG (dir, dbfilename): CONFIG SET only when enable-protected-configs allows the client.</summary>
    public bool Protected { get; init; }
    /// <summary>DENY_LOADING_CONFIG (appendonly, dir, repl-diskless-load): CONFIG SET answers -LOADING while a load runs, async too.</summary>
    public bool DenyLoading { get; init; }
    /// <summary>HIDDEN_CONFIG: CONFIG GET answers it by exact name only, never for a pattern (so "CONFIG GET *" lists only Redis's names).</summary>
    public bool Hidden { get; init; }
    /// <summary>
    /// Set for a parameter of a feature Vermilion has not built (persistence, replication, TLS…):
    /// the text naming that feature. Such a parameter is accepted at its default value only;
    /// any other value stops startup or fails CONFIG SET with this text, never silently ignored.
    /// </summary>
    public string? NotBuilt { get; init; }
    /// <summary>With <see cref="NotBuilt"/>: which values need no missing feature, when more than the default do (shutdown-on-sigterm "nosave").</summary>
    public Func<string, bool>? Supported { get; init; }
    /// <summary>VOLATILE_CONFIG (file names): CONFIG SET applies it even when the value is the same, since what the file holds may have changed (a renewed certificate).</summary>
    public bool Volatile { get; init; }
    /// <summary>SENSITIVE_CONFIG (passwords): an error never repeats the value.</summary>
    public bool Sensitive { get; init; }
    /// <summary>The value as CONFIG GET showed it when the table was built (the default).</summary>
    public string Default { get; internal set; } = "";
    /// <summary>Runs after a CONFIG SET stored the new value; returns an error to undo the change.</summary>
    public Func<VermilionServer, string?>? Apply { get; init; }
    /// <summary>CONFIG REWRITE writes it even at its default value (rewriteConfigSaveOption's force: a save line keeps the defaults from applying).</summary>
    public bool AlwaysRewrite { get; init; }
    /// <summary>MULTI_ARG_CONFIG: takes any number of words on a config line (bind, save); others take exactly one.</summary>
    public virtual bool MultiArg => false;

    protected ConfigOption(string name) => Name = name;

    /// <summary>The value as CONFIG GET shows it.</summary>
    public abstract string Get();
    /// <summary>Parses and stores; returns Redis's error reason or null.</summary>
    public abstract string? Set(string[] args);
    /// <summary>The value as a line of redis.conf (CONFIG REWRITE), or null when the parameter writes no line.</summary>
    public virtual string? ToConfigLine() => Name + " " + Quote(Get());

    /// <summary>For a parameter of a feature not built: the error when its value is not the default ("appendonly yes: persistence …").</summary>
    public string? MissingFeature()
    {
        if (NotBuilt is null) return null;
        string value = Get();
        if (Supported?.Invoke(value) ?? value == Default) return null;
        return Sensitive ? $"{Name}: {NotBuilt}" : $"{Name} {(value.Length == 0 ? "\"\"" : value)}: {NotBuilt}";
    }

    internal static string Quote(string value) =>
        value.Length > 0 && value.AsSpan().IndexOfAny(" \"'\t\r\n\\") < 0 ? value : "\"" + value.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
}

public sealed class BoolOption : ConfigOption
{
    readonly Func<bool> _get;
    readonly Action<bool> _set;

    /// <summary>A parameter stored in a typed field of <see cref="Config"/> that the server reads.</summary>
    public BoolOption(string name, Func<bool> get, Action<bool> set) : base(name) => (_get, _set) = (get, set);

    /// <summary>A parameter the table stores itself: nothing in the server reads it (yet).</summary>
    public BoolOption(string name, bool initial) : base(name)
    {
        bool value = initial;
        (_get, _set) = (() => value, v => value = v);
    }

    public override string Get() => _get() ? "yes" : "no";

    public override string? Set(string[] args)
    {
        var v = args[0].ToLowerInvariant();
        if (v != "yes" && v != "no") return "argument must be 'yes' or 'no'";
        _set(v == "yes");
        return null;
    }
}

/// <summary>
/// An integer parameter; with <see cref="Memory"/> it takes Redis's units (1k, 1kb, 1mb, 1gb…),
/// with <see cref="Percent"/> also "N%" (kept as -N, as Redis's PERCENT_CONFIG), with
/// <see cref="Octal"/> it is read and shown in octal.
/// </summary>
public sealed class IntegerOption : ConfigOption
{
    readonly long _min, _max;
    readonly Func<long> _get;
    readonly Action<long> _set;

    public bool Memory { get; init; }
    public bool Percent { get; init; }
    /// <summary>An unsigned long long in Redis (maxmemory): values past long's range are kept as long.MaxValue, "unlimited" all the same.</summary>
    public bool Unsigned { get; init; }
    public bool Octal { get; init; }

    public IntegerOption(string name, long min, long max, Func<long> get, Action<long> set) : base(name) =>
        (_min, _max, _get, _set) = (min, max, get, set);

    /// <summary>A parameter the table stores itself: nothing in the server reads it (yet).</summary>
    public IntegerOption(string name, long min, long max, long initial) : base(name)
    {
        long value = initial;
        (_min, _max, _get, _set) = (min, max, () => value, v => value = v);
    }

    public override string Get()
    {
        long v = _get();
        if (Percent && v < 0) return (-v).ToString(CultureInfo.InvariantCulture) + "%";
        return Octal ? Convert.ToString(v, 8) : v.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>numericParseString then numericBoundaryCheck, with their error texts.</summary>
    public override string? Set(string[] args)
    {
        string s = args[0];
        long v;
        if (Memory && TryParseMemory(s, out ulong bytes))
        {
            // numericBoundaryCheck: an unsigned long long parameter compares as unsigned, the others as signed.
            if (Unsigned)
            {
                if (bytes < (ulong)_min || bytes > ulong.MaxValue) return $"argument must be between {_min} and {ulong.MaxValue} inclusive";
                _set((long)Math.Min(bytes, long.MaxValue));
                return null;
            }
            v = unchecked((long)bytes);
        }
        else if (Percent && s.Length > 1 && s[^1] == '%' && IntegerText.TryParse(s[..^1], out v) && v >= 0)
        {
            if (-v < _min) return $"percentage argument must be less or equal to {-_min}";
            _set(-v);
            return null;
        }
        else if (Octal)
        {
            try { v = Convert.ToInt64(s, 8); }
            catch (Exception e) when (e is FormatException or OverflowException or ArgumentException) { return "argument couldn't be parsed as an octal number"; }
        }
        else if (Memory) return Percent ? "argument must be a memory or percent value" : "argument must be a memory value";
        else if (!IntegerText.TryParse(s, out v)) return "argument couldn't be parsed into an integer";
        if (v < _min || v > _max)
            return Octal ? $"argument must be between {Convert.ToString(_min, 8)} and {Convert.ToString(_max, 8)} inclusive"
                         : $"argument must be between {_min} and {_max} inclusive";
        _set(v);
        return null;
    }

    /// <summary>
    /// Redis's memtoull: digits then an optional unit; k/m/g are powers of 1000, kb/mb/gb of 1024.
    /// As there, no digits is 0 and too many saturate (strtoull), and the unit multiplies modulo 2^64.
    /// </summary>
    public static bool TryParseMemory(string s, out ulong value)
    {
        value = 0;
        int i = 0;
        if (s.StartsWith('-')) return false;
        while (i < s.Length && char.IsAsciiDigit(s[i])) i++;
        ulong mul = s[i..].ToLowerInvariant() switch
        {
            "" or "b" => 1,
            "k" => 1000, "kb" => 1024,
            "m" => 1000 * 1000, "mb" => 1024 * 1024,
            "g" => 1000UL * 1000 * 1000, "gb" => 1024UL * 1024 * 1024,
            _ => 0,
        };
        if (mul == 0 || i >= 128) return false;
        ulong n = 0;
        foreach (char c in s.AsSpan(0, i)) n = n > (ulong.MaxValue - (ulong)(c - '0')) / 10 ? ulong.MaxValue : n * 10 + (ulong)(c - '0');
        value = unchecked(n * mul);
        return true;
    }

    /// <summary>A memory value that fits a long (client-output-buffer-limit's limits).</summary>
    public static bool TryParseMemory(string s, out long value)
    {
        bool ok = TryParseMemory(s, out ulong v);
        value = unchecked((long)v);
        return ok && value >= 0;
    }
}

public sealed class EnumOption : ConfigOption
{
    readonly string[] _values;
    readonly Func<string> _get;
    readonly Action<string> _set;

    public EnumOption(string name, string[] values, Func<string> get, Action<string> set) : base(name) =>
        (_values, _get, _set) = (values, get, set);

    /// <summary>A parameter the table stores itself: nothing in the server reads it (yet).</summary>
    public EnumOption(string name, string[] values, string initial) : base(name)
    {
        string value = initial;
        (_values, _get, _set) = (values, () => value, v => value = v);
    }

    public override string Get() => _get();

    public override string? Set(string[] args)
    {
        var v = args[0].ToLowerInvariant();
        if (Array.IndexOf(_values, v) < 0) return "argument(s) must be one of the following: " + string.Join(", ", _values);
        _set(v);
        return null;
    }
}

public sealed class StringOption : ConfigOption
{
    readonly Func<string> _get;
    readonly Action<string> _set;

    public StringOption(string name, Func<string> get, Action<string> set) : base(name) => (_get, _set) = (get, set);

    /// <summary>A parameter the table stores itself: nothing in the server reads it (yet).</summary>
    public StringOption(string name, string initial) : base(name)
    {
        string value = initial;
        (_get, _set) = (() => value, v => value = v);
    }

    /// <summary>Redis's is_valid_fn: an error for a value it refuses, checked before anything is stored.</summary>
    public Func<string, string?>? Validate { get; init; }

    public override string Get() => _get();

    public override string? Set(string[] args)
    {
        if (Validate?.Invoke(args[0]) is { } error) return error;
        _set(args[0]);
        return null;
    }
}

/// <summary>A parameter with its own syntax (bind, client-output-buffer-limit): a parser returning an error or null.</summary>
public sealed class CustomOption(string name, Func<string> get, Func<string[], string?> set, bool multiArg = false) : ConfigOption(name)
{
    /// <summary>The redis.conf line when it is not "name value" (replicaof writes none when it is not set).</summary>
    public Func<string?>? ConfigLine { get; init; }
    public override bool MultiArg => multiArg;
    public override string Get() => get();
    public override string? Set(string[] args) => set(args);
    public override string? ToConfigLine() => ConfigLine is not null ? ConfigLine() : Name + " " + (Get() is { Length: > 0 } value ? value : "\"\"");
}
