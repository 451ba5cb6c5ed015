namespace Vermilion.Storage;

/// <summary>
/// Glob matching with Redis's rules (KEYS, SCAN MATCH, CONFIG GET, COMMAND LIST): <c>*</c> any run,
/// <c>?</c> one byte, <c>[abc]</c>, <c>[^abc]</c>, <c>[a-z]</c> (reversed ranges allowed), <c>\x</c>
/// a literal x; a class left open at the end of the pattern takes the rest of the pattern as its
/// members. Iterative: on a mismatch it returns to the last <c>*</c> and lets it take one byte more,
/// so time is O(pattern × text) at worst and the stack never grows.
/// </summary>
public static class GlobPattern
{
    public static bool Match(string pattern, string text, bool nocase) =>
        Match(System.Text.Encoding.UTF8.GetBytes(pattern), System.Text.Encoding.UTF8.GetBytes(text), nocase);

    public static bool Match(ReadOnlySpan<byte> pattern, ReadOnlySpan<byte> text, bool nocase)
    {
        int p = 0, t = 0;
        int starP = -1, starT = 0;
        while (t < text.Length)
        {
            if (p < pattern.Length && pattern[p] == '*')
            {
                while (p < pattern.Length && pattern[p] == '*') p++;
                if (p == pattern.Length) return true;
                starP = p;
                starT = t;
                continue;
            }
            if (p < pattern.Length && MatchOne(pattern, ref p, text[t], nocase, out bool endsPattern))
            {
                t++;
                // An open class swallowed the rest of the pattern: the text must end here.
                if (endsPattern && t < text.Length) { if (!Backtrack()) return false; }
                continue;
            }
            if (!Backtrack()) return false;
        }
        while (p < pattern.Length && pattern[p] == '*') p++;
        return p == pattern.Length;

        bool Backtrack()
        {
            if (starP < 0) return false;
            p = starP;
            t = ++starT;
            return true;
        }
    }

    /// <summary>Matches one pattern token at <paramref name="p"/> against one byte and moves past the token.</summary>
    static bool MatchOne(ReadOnlySpan<byte> pattern, ref int p, byte c, bool nocase, out bool endsPattern)
    {
        endsPattern = false;
        byte token = pattern[p];
        if (token == '?')
        {
            p++;
            return true;
        }
        if (token == '[') return MatchClass(pattern, ref p, c, nocase, out endsPattern);
        if (token == '\\' && p + 1 < pattern.Length) p++;
        bool same = Fold(pattern[p], nocase) == Fold(c, nocase);
        p++;
        return same;
    }

    static bool MatchClass(ReadOnlySpan<byte> pattern, ref int p, byte c, bool nocase, out bool endsPattern)
    {
        int i = p + 1;
        bool negate = i < pattern.Length && pattern[i] == '^';
        if (negate) i++;
        bool hit = false;
        int ch = Fold(c, nocase);
        while (i < pattern.Length && pattern[i] != ']')
        {
            if (pattern[i] == '\\' && i + 1 < pattern.Length)
            {
                // An escaped member compares exactly, as Redis does, even without case folding.
                if (pattern[i + 1] == c) hit = true;
                i += 2;
            }
            else if (i + 2 < pattern.Length && pattern[i + 1] == '-')
            {
                int lo = Fold(pattern[i], nocase), hi = Fold(pattern[i + 2], nocase);
                if (lo > hi) (lo, hi) = (hi, lo);
                if (ch >= lo && ch <= hi) hit = true;
                i += 3;
            }
            else
            {
                if (Fold(pattern[i], nocase) == ch) hit = true;
                i++;
            }
        }
        endsPattern = i >= pattern.Length;
        p = endsPattern ? pattern.Length : i + 1;
        return hit != negate;
    }

    static int Fold(byte b, bool nocase) => nocase && b >= 'A' && b <= 'Z' ? b + 32 : b;
}
