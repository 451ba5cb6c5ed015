using Xunit;

namespace Vermilion.Tests;

/// <summary>Scripts that misbehave get an error and the server keeps serving (no oracle: Redis has no memory cap and crashes on some).</summary>
[Trait("Category", "Network")]
public class ScriptingBadInputTests
{
    [Fact]
    public void DeepRecursionHugeAllocationAndBadErrorObjectsLeaveTheServerServing()
    {
        using var server = new InProcessServer();
        using var c = server.Connect();
        Assert.StartsWith("-ERR", c.Call("EVAL", "local function f(n) return f(n + 1) + 1 end return f(1)", "0"));
        // redis-server 7.0.15 crashes here (#14163).
        Assert.StartsWith("-ERR", c.Call("EVAL", "error({foo='bar'})", "0"));
        Assert.StartsWith("-ERR", c.Call("EVAL", "return os.execute('true')", "0"));
        Assert.StartsWith("-ERR", c.Call("EVAL", "return io.open('/etc/passwd')", "0"));
        Assert.StartsWith("-ERR", c.Call("EVAL", "local f = loadstring(string.dump(function() return 1 end)) return f()", "0"));
        Assert.Equal(":1", c.Call("EVAL", "return 1", "0").TrimEnd());
        Assert.Equal("+PONG", c.Call("PING").TrimEnd());
    }
}
