using Xunit;

namespace Vermilion.Tests;

/// <summary>Runs alone: it reads the whole process's allocation counter, which other tests would move.</summary>
[CollectionDefinition("whole-process allocation", DisableParallelization = true)]
public sealed class WholeProcessAllocationCollection : ICollectionFixture<TlsCertificates>;

/// <summary>
/// The TLS path allocates nothing per request: redis-benchmark --tls (another process, so it
/// allocates nothing here) drives an in-process server, and the process's allocated bytes are
/// read around the run. Connections cost their client objects once; a single allocation per
/// request would show as megabytes.
/// </summary>
[Trait("Category", "Network")]
[Collection("whole-process allocation")]
public class TlsAllocationTests(TlsCertificates certs)
{
    [Fact]
    public void PipelinedSetGetOverTlsAllocateNothingPerRequest()
    {
        int tlsPort = InProcessServer.FreeTcpPort();
        using var s = new InProcessServer(Environment.GetEnvironmentVariable("VERMILION_EVENT_LOOP") ?? "epoll", [.. certs.ServerArgs(tlsPort), "--tls-auth-clients", "no"]);
        string[] bench = ["-p", tlsPort.ToString(), "--tls", "--cacert", certs.CaCert, "-c", "4", "-P", "16", "-t", "set,get", "-q", "--csv"];
        // Warm up: the JIT, the buffer pools, the 4 clients' first buffers, the keyspace's key.
        Assert.Equal(0, ExternalProcess.Run("redis-benchmark", [.. bench, "-n", "40000"], timeoutMs: 120_000).ExitCode);
        const int requests = 200_000;
        long before = GC.GetTotalAllocatedBytes(precise: true);
        var r = ExternalProcess.Run("redis-benchmark", [.. bench, "-n", (requests / 2).ToString()], timeoutMs: 120_000);
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("\"GET\"", r.Stdout);
        // 4 connections (client, connection, reply writer, SSL bookkeeping) and the test's own
        // process handling fit in well under 1 MB; 8 bytes a request would be 1.6 MB.
        Assert.True(allocated < 1_000_000, $"{allocated} bytes allocated for {requests} requests over TLS ({allocated / (double)requests:0.00} per request)");
    }
}
