using Xunit;

namespace Vermilion.Tests;

/// <summary>
/// An aclfile with bad lines against redis-server 7.0.15: at startup the server exits 1 with the
/// same "Aborting Redis startup because of ACL errors" line; ACL LOAD answers the same errors and
/// keeps the users it had, and their clients stay connected (a load that succeeds disconnects them).
/// </summary>
[Trait("Category", "Network")]
public class AclFileTests
{
    const string Good = "user default on nopass ~* &* +@all\nuser ok on nopass ~* +@all\n";

    // Not here: an unclosed selector ("user d on (~x"), which crashes redis-server 7.0.15 in
    // ACLLoadFromFile; Vermilion answers "Unmatched parenthesis in selector definition".
    const string Bad = "user default on nopass ~* &* +@all\nuser a on >x +nosuch\nuser b on bogus\nnotuser c\nuser\n\nuser a on\nuser e on %X~a\n";

    [Fact]
    public void BadLinesStopTheStartAsRedis()
    {
        var dir = Directory.CreateTempSubdirectory("vermilion-aclfile-");
        try
        {
            var file = Path.Combine(dir.FullName, "users.acl");
            File.WriteAllText(file, Bad);
            var lines = new List<string>();
            foreach (var server in new[] { "redis-server", "vermilion" })
            {
                // redis-server checks the aclfile after it listens (port 0 would exit before).
                string[] args = ["--port", InProcessServer.FreeTcpPort().ToString(), "--bind", "127.0.0.1", "--save", "", "--aclfile", file];
                var (exe, prefix) = server == "redis-server" ? ("redis-server", Array.Empty<string>()) : ExternalProcess.VermilionServer;
                var result = ExternalProcess.Run(exe, [.. prefix, .. args], timeoutMs: 30_000);
                Assert.Equal(1, result.ExitCode);
                var line = (result.Stdout + result.Stderr).Split('\n').Single(l => l.Contains("ACL errors"));
                lines.Add(line[line.IndexOf("Aborting", StringComparison.Ordinal)..]);
            }
            Assert.Equal(lines[0], lines[1]);
        }
        finally { dir.Delete(true); }
    }

    [Fact]
    public void AclLoadKeepsTheUsersOnErrors()
    {
        var dir = Directory.CreateTempSubdirectory("vermilion-aclload-");
        try
        {
            string redisFile = Path.Combine(dir.FullName, "redis.acl"), ourFile = Path.Combine(dir.FullName, "vermilion.acl");
            File.WriteAllText(redisFile, Good);
            File.WriteAllText(ourFile, Good);
            using var redis = new OracleServer("--aclfile", redisFile);
            using var vermilion = new InProcessServer(extra: ["--aclfile", ourFile]);
            var transcripts = new List<List<string>>();
            foreach (var (connect, file) in new (Func<RespSocket>, string)[] { (redis.Connect, redisFile), (vermilion.Connect, ourFile) })
            {
                using var admin = connect();
                using var user = connect();
                var t = new List<string> { user.Call("AUTH", "ok", "x"), admin.Call("ACL", "LIST") };
                File.WriteAllText(file, Bad);
                t.Add(admin.Call("ACL", "LOAD"));
                t.Add(admin.Call("ACL", "LIST"));
                t.Add(user.Call("GET", "k"));
                t.Add(user.Call("ACL", "WHOAMI"));
                File.WriteAllText(file, "user default on nopass ~* &* +@all\nuser ok on nopass ~* +@all\nuser ok2 off\n\x00\xff\n");
                t.Add(admin.Call("ACL", "LOAD"));
                File.WriteAllText(file, "user default on nopass ~* &* +@all\r\nuser ok on nopass ~* +set\r\n");
                t.Add(admin.Call("ACL", "LOAD"));
                t.Add(admin.Call("ACL", "LIST"));
                // A load that succeeds replaces every user: their clients are disconnected.
                t.Add(user.WaitForClose() ? "closed" : "open");
                File.Delete(file);
                t.Add(admin.Call("ACL", "LOAD"));
                t.Add(admin.Call("ACL", "LIST"));
                transcripts.Add(t.Select(line => line.Replace(file, "FILE")).ToList());
            }
            Assert.Equal(transcripts[0].Select(RespSocket.Show), transcripts[1].Select(RespSocket.Show));
        }
        finally { dir.Delete(true); }
    }
}
