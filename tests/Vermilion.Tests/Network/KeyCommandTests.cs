using Xunit;

namespace Vermilion.Tests;

/// <summary>Generic key commands against redis-server 7.0.15.</summary>
[Trait("Category", "Network")]
public class KeyCommandTests : IClassFixture<StringCommandTests.Servers>
{
    readonly StringCommandTests.Servers _servers;
    public KeyCommandTests(StringCommandTests.Servers servers) => _servers = servers;

    void Same(params string[][] script)
    {
        using var r = _servers.Redis.Connect();
        using var v = _servers.Vermilion.Connect();
        r.Call("FLUSHALL");
        v.Call("FLUSHALL");
        foreach (var cmd in script)
        {
            string expected = r.Call(cmd), actual = v.Call(cmd);
            if (cmd[0] == "KEYS") (expected, actual) = (Sorted(expected), Sorted(actual)); // hash order differs
            if (cmd[0] == "TTL") (expected, actual) = (expected.StartsWith(":9") ? ":9xx" : expected, actual.StartsWith(":9") ? ":9xx" : actual);
            Assert.True(expected == actual, $"{string.Join(' ', cmd)}\n redis:     {expected}\n vermilion: {actual}");
        }
    }

    static string Sorted(string arrayReply)
    {
        var lines = arrayReply.Split("\r\n");
        var items = new List<string>();
        for (int i = 1; i + 1 < lines.Length; i += 2) items.Add(lines[i] + "\r\n" + lines[i + 1]);
        items.Sort(StringComparer.Ordinal);
        return lines[0] + "\r\n" + string.Concat(items.Select(x => x + "\r\n"));
    }

    [Fact]
    public void TypeTouchKeys() => Same(
        ["MSET", "user:1", "a", "user:2", "b", "user:10", "c", "other", "d", "h[x]", "e"], ["TYPE", "user:1"], ["TYPE", "nokey"], ["TYPE"],
        ["TOUCH", "user:1", "nokey", "user:1"], ["TOUCH"], ["KEYS", "*"], ["KEYS", "user:?"], ["KEYS", "user:*"], ["KEYS", "USER:*"],
        ["KEYS", "h\\[x\\]"], ["KEYS", "[ou]*"], ["KEYS", "nomatch*"], ["KEYS"], ["KEYS", "a", "b"]);

    [Fact]
    public void RenameAndRenameNx() => Same(
        ["SET", "a", "1", "EX", "1000"], ["RENAME", "a", "b"], ["GET", "a"], ["GET", "b"], ["TTL", "b"], ["RENAME", "nokey", "x"], ["RENAME", "b", "b"],
        ["RENAMENX", "b", "b"], ["SET", "c", "3"], ["RENAMENX", "b", "c"], ["RENAMENX", "b", "d"], ["GET", "d"], ["TTL", "d"], ["RENAMENX", "nokey", "x"],
        ["RENAME", "d", "c"], ["GET", "c"], ["TTL", "c"], ["RENAME", "c"], ["RENAMENX", "a", "b", "c"]);

    [Fact]
    public void MoveCopySwapDb() => Same(
        ["SET", "a", "1", "EX", "1000"], ["MOVE", "a", "1"], ["EXISTS", "a"], ["SELECT", "1"], ["GET", "a"], ["TTL", "a"], ["MOVE", "a", "1"],
        ["SET", "z", "0"], ["SELECT", "0"], ["SET", "z", "x"], ["SELECT", "1"], ["MOVE", "z", "0"], ["MOVE", "nokey", "0"], ["MOVE", "a", "16"],
        ["MOVE", "a", "-1"], ["MOVE", "a", "abc"], ["COPY", "a", "a"], ["COPY", "a", "b"], ["GET", "b"], ["TTL", "b"], ["COPY", "a", "b"],
        ["COPY", "a", "b", "REPLACE"], ["COPY", "a", "a", "DB", "0"], ["SELECT", "0"], ["GET", "a"], ["TTL", "a"], ["COPY", "a", "x", "DB", "16"],
        ["COPY", "a", "x", "DB", "abc"], ["COPY", "a", "x", "DB"], ["COPY", "a", "x", "FOO"], ["COPY", "a", "x", "REPLACE", "REPLACE"],
        ["COPY", "nokey", "x"], ["SELECT", "1"], ["APPEND", "b", "2"], ["GET", "a"], ["GET", "b"],
        ["SWAPDB", "0", "1"], ["GET", "a"], ["SELECT", "0"], ["GET", "a"], ["GET", "b"], ["DBSIZE"], ["SWAPDB", "0", "0"], ["SWAPDB", "0", "16"],
        ["SWAPDB", "-1", "0"], ["SWAPDB", "abc", "1"], ["SWAPDB", "1", "abc"], ["SWAPDB", "0"], ["MOVE", "a"], ["COPY", "a"]);
}
