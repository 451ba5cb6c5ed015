using System.Text;
using Xunit;

namespace Vermilion.Tests;

/// <summary>GlobPattern against Redis's own matcher, through KEYS, on random patterns and keys.</summary>
[Trait("Category", "Network")]
public class GlobDifferentialTests
{
    [Fact]
    public void RandomPatternsMatchLikeRedisKeys()
    {
        const int seed = 20261124;
        var rng = new Random(seed);
        using var redis = new OracleServer();
        using var c = redis.Connect();
        var keys = new HashSet<string>();
        const string keyAlphabet = "abAB-^]\\[*?x";
        while (keys.Count < 150)
        {
            var k = new StringBuilder();
            int len = rng.Next(0, 6);
            for (int i = 0; i < len; i++) k.Append(keyAlphabet[rng.Next(keyAlphabet.Length)]);
            if (k.Length > 0) keys.Add(k.ToString());
        }
        foreach (var k in keys) Assert.Equal("+OK\r\n", c.Call("SET", k, "1"));
        const string patternAlphabet = "abAB-^]\\[*?x";
        for (int n = 0; n < 400; n++)
        {
            var p = new StringBuilder();
            int len = rng.Next(0, 7);
            for (int i = 0; i < len; i++) p.Append(patternAlphabet[rng.Next(patternAlphabet.Length)]);
            string pattern = p.ToString();
            var reply = c.Call("KEYS", pattern);
            var expected = reply.Split("\r\n").Where((_, i) => i > 0 && i % 2 == 0).Where(s => s.Length > 0).Order(StringComparer.Ordinal).ToArray();
            var actual = keys.Where(k => GlobPattern.Match(Encoding.Latin1.GetBytes(pattern), Encoding.Latin1.GetBytes(k), nocase: false)).Order(StringComparer.Ordinal).ToArray();
            Assert.True(expected.SequenceEqual(actual), $"seed {seed}, pattern '{pattern}': redis [{string.Join(' ', expected)}] ours [{string.Join(' ', actual)}]");
        }
    }

    [Theory]
    [InlineData("MAXCLIENTS", "maxclients", true)]
    [InlineData("Max*", "maxclients", true)]
    [InlineData("[M]ax*", "maxclients", true)]
    [InlineData("[A-Z]axclients", "maxclients", true)]
    public void NoCaseFoldsLetters(string pattern, string text, bool match) =>
        Assert.Equal(match, GlobPattern.Match(pattern, text, nocase: true));

    [Fact]
    public void ManyStarsDoNotBlowUp()
    {
        // Exponential backtracking would never finish here; the single-backtrack matcher is O(n·m).
        var text = new string('a', 5000);
        Assert.False(GlobPattern.Match(string.Concat(Enumerable.Repeat("*a", 50)) + "b", text, nocase: false));
        Assert.True(GlobPattern.Match(string.Concat(Enumerable.Repeat("*a", 50)), text, nocase: false));
    }
}
