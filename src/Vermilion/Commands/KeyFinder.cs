using System.Text;
using Vermilion.Protocol;

namespace Vermilion.Commands;

/// <summary>
/// A request's arguments as key finding reads them, argv[0] being the command name: the request's
/// own slices, never copied. COMMAND GETKEYS starts two words in, past "COMMAND GETKEYS".
/// </summary>
public readonly struct Argv(CommandArgs args, int start = 0)
{
    public int Count => args.Count - start;
    public ReadOnlySpan<byte> this[int i] => args[start + i];
}

/// <summary>
/// Where a request's keys are, from its command's key specifications (db.c:
/// getKeysFromCommandWithSpecs, getKeysUsingKeySpecs, doesCommandHaveKeys). WATCH, client
/// tracking and COMMAND GETKEYS read the keys through this; keys are argument positions, so a
/// caller copies a key's bytes only where it stores them.
/// </summary>
public static class KeyFinder
{
    /// <summary>doesCommandHaveKeys: a getkeys proc, or a key specification not marked not_key.</summary>
    public static bool HasKeys(CommandDef cmd)
    {
        if (cmd.GetKeys is not null) return true;
        foreach (var spec in cmd.Spec.KeySpecs) if ((spec.Flags & KeySpecFlags.NotKey) == 0) return true;
        return false;
    }

    /// <summary>
    /// getKeysFromCommandWithSpecs: the key specifications when they describe the keys and their
    /// flags reliably, else the command's getkeys proc. False when no key was found.
    /// </summary>
    public static bool FindKeys(CommandDef cmd, Argv argv, List<KeyReference> keys)
    {
        keys.Clear();
        bool hasKeySpec = false, hasVariableFlags = false;
        foreach (var spec in cmd.Spec.KeySpecs)
        {
            if ((spec.Flags & KeySpecFlags.NotKey) == 0) hasKeySpec = true;
            if ((spec.Flags & KeySpecFlags.VariableFlags) != 0) hasVariableFlags = true;
        }
        if (hasKeySpec && !hasVariableFlags)
        {
            int found = KeysFromSpecs(cmd.Spec.KeySpecs, argv, keys);
            if (found >= 0) return found > 0;
            keys.Clear();
        }
        return cmd.GetKeys is not null && cmd.GetKeys(argv, keys) && keys.Count > 0;
    }

    /// <summary>getKeysUsingKeySpecs: the keys every specification finds; -1 when one cannot be applied (invalid or incomplete).</summary>
    public static int KeysFromSpecs(KeySpec[] specs, Argv argv, List<KeyReference> keys)
    {
        int argc = argv.Count;
        foreach (var spec in specs)
        {
            if ((spec.Flags & KeySpecFlags.NotKey) != 0) continue;
            int first = 0;
            if (spec.Begin.Type == BeginSearchType.Index) first = spec.Begin.Index;
            else if (spec.Begin.Type == BeginSearchType.Keyword)
            {
                int startFrom = spec.Begin.StartFrom;
                int start = startFrom > 0 ? startFrom : argc + startFrom;
                int end = startFrom > 0 ? argc - 1 : 1;
                for (int i = start; i != end; i = start <= end ? i + 1 : i - 1)
                {
                    if (i >= argc || i < 1) break;
                    if (Ascii.EqualsIgnoreCase(argv[i], spec.Begin.Keyword!))
                    {
                        first = i + 1;
                        break;
                    }
                }
                if (first == 0) continue; // keyword not found
            }
            else return Invalid(keys);

            int last, step;
            if (spec.Find.Type == FindKeysType.Range)
            {
                step = spec.Find.KeyStep;
                if (spec.Find.LastKey >= 0) last = first + spec.Find.LastKey;
                else if (spec.Find.Limit == 0) last = argc + spec.Find.LastKey;
                else last = first + ((argc - first) / spec.Find.Limit + spec.Find.LastKey);
            }
            else if (spec.Find.Type == FindKeysType.KeyNum)
            {
                step = spec.Find.KeyStep;
                if (spec.Find.KeyNumIndex >= argc || first + spec.Find.KeyNumIndex >= argc) return Invalid(keys);
                if (!IntegerText.TryParse(argv[first + spec.Find.KeyNumIndex], out long numKeys) || numKeys < 0) return Invalid(keys);
                first += spec.Find.FirstKey;
                last = first + (int)numKeys - 1;
            }
            else return Invalid(keys);

            if (last >= argc || last < first || first >= argc) return Invalid(keys);
            for (int i = first; i <= last; i += step) keys.Add(new KeyReference(i, spec.Flags));
            if ((spec.Flags & KeySpecFlags.Incomplete) != 0) return Invalid(keys);
        }
        return keys.Count;
    }

    static int Invalid(List<KeyReference> keys)
    {
        keys.Clear();
        return -1;
    }
}
