using System.Security.Authentication;
using System.Text;
using StackExchange.Redis;
using Xunit;

namespace Vermilion.Tests;

/// <summary>
/// TLS (Net/TlsConnectionType.cs over OpenSSL): real clients (SslStream, redis-cli --tls,
/// redis-benchmark --tls, StackExchange.Redis), client certificates as tls-auth-clients asks,
/// bad input on the TLS port, large records both ways, reloads, and the configuration against
/// redis-server 7.0.15 started with TLS. The certificates are made once (<see cref="TlsCertificates"/>).
/// </summary>
[Trait("Category", "Network")]
public class TlsTests(TlsCertificates certs) : IClassFixture<TlsCertificates>
{
    static string Backend => Environment.GetEnvironmentVariable("VERMILION_EVENT_LOOP") ?? "epoll";

    /// <summary>A server with a plain port (the tests' side door for INFO) and a TLS port.</summary>
    (InProcessServer Server, int TlsPort) Start(params string[] extra)
    {
        int tlsPort = InProcessServer.FreeTcpPort();
        var s = new InProcessServer(Backend, [.. certs.ServerArgs(tlsPort), .. extra]);
        return (s, tlsPort);
    }

    TlsRespClient Client(int port, bool withCert = true) =>
        new(port, certs.CaCert, withCert ? TlsCertificates.Load(certs.ClientCert, certs.ClientKey) : null);

    static int ConnectedClients(InProcessServer s)
    {
        using var r = s.Connect();
        var info = r.Call("INFO", "clients");
        var line = info.Split("\r\n").First(l => l.StartsWith("connected_clients:"));
        return int.Parse(line["connected_clients:".Length..]) - 1; // not counting this connection
    }

    static void AssertNoClientsLeft(InProcessServer s) =>
        Assert.True(InProcessServer.WaitFor(() => ConnectedClients(s) == 0), $"connected_clients stays at {ConnectedClients(s)}");

    static ExternalProcess.Result Cli(params string[] args) => ExternalProcess.Run("redis-cli", args);

    [Fact]
    public void CommandsOverTls()
    {
        var (s, tlsPort) = Start();
        using var _ = s;
        using var c = Client(tlsPort);
        Assert.Equal("+PONG\r\n", c.Call("PING"));
        Assert.Equal("+OK\r\n", c.Call("SET", "k", "v"));
        Assert.Equal("$1\r\nv\r\n", c.Call("GET", "k"));
        Assert.Equal(SslProtocols.Tls13, c.Ssl.SslProtocol);
        // CLIENT LIST shows a TLS client as 7.0 does: nothing TLS-specific, laddr is the TLS port.
        var list = c.Call("CLIENT", "LIST");
        Assert.Contains($" laddr=127.0.0.1:{tlsPort} ", list);
        Assert.Contains(" events=r ", list);
        // The same data through the plain port.
        using var plain = s.Connect();
        Assert.Equal("$1\r\nv\r\n", plain.Call("GET", "k"));
        Assert.Contains("\r\ntotal_connections_received:2\r\n", plain.Call("INFO", "stats"));
        // TLSv1.2 only, as tls-protocols can ask.
        Assert.Equal("+OK\r\n", plain.Call("CONFIG", "SET", "tls-protocols", "TLSv1.2"));
        using var c12 = Client(tlsPort);
        Assert.Equal(SslProtocols.Tls12, c12.Ssl.SslProtocol);
        Assert.Equal("+PONG\r\n", c12.Call("PING"));
    }

    [Fact]
    public void TlsPortOnlyWithPortZero()
    {
        var (s, tlsPort) = Start("--port", "0");
        using var _ = s;
        Assert.DoesNotContain(s.Server.Listeners, l => l.Type.Name == "tcp");
        using var c = Client(tlsPort);
        // INFO's tcp_port is the TLS port when port is 0 (server.port ? server.port : server.tls_port).
        Assert.Contains($"\r\ntcp_port:{tlsPort}\r\n", c.Call("INFO", "server"));
        Assert.True(s.LogContains("Ready to accept connections"));
    }

    [Fact]
    public void RedisCliAndRedisBenchmarkOverTls()
    {
        var (s, tlsPort) = Start();
        using var _ = s;
        string[] tls = ["-p", tlsPort.ToString(), "--tls", "--cacert", certs.CaCert, "--cert", certs.ClientCert, "--key", certs.ClientKey];
        Assert.Equal("PONG\n", Cli([.. tls, "PING"]).Stdout);
        Assert.Equal("OK\n", Cli([.. tls, "SET", "greeting", "hello tls"]).Stdout);
        Assert.Equal("hello tls\n", Cli([.. tls, "GET", "greeting"]).Stdout);
        var pipe = ExternalProcess.Run("redis-cli", [.. tls, "--pipe"], stdin: string.Concat(Enumerable.Range(0, 1000).Select(i => $"SET key:{i} {i}\r\n")));
        Assert.Contains("errors: 0, replies: 1000", pipe.Stdout);
        var bench = ExternalProcess.Run("redis-benchmark", [.. tls, "-t", "set,get", "-n", "20000", "-c", "20", "-q", "--csv"], timeoutMs: 120_000);
        Assert.Equal(0, bench.ExitCode);
        Assert.Contains("\"SET\",", bench.Stdout);
        Assert.Contains("\"GET\",", bench.Stdout);
        var piped = ExternalProcess.Run("redis-benchmark", [.. tls, "-t", "set,get", "-n", "20000", "-c", "10", "-P", "16", "-d", "1000", "-q", "--csv"], timeoutMs: 120_000);
        Assert.Equal(0, piped.ExitCode);
        Assert.Contains("\"GET\",", piped.Stdout);
        Assert.DoesNotContain("ERR", bench.Stdout + bench.Stderr + piped.Stdout + piped.Stderr);
        AssertNoClientsLeft(s.Server is null ? throw new InvalidOperationException() : s);
    }

    [Fact]
    public async Task StackExchangeRedisOverTls()
    {
        var (s, tlsPort) = Start();
        using var _ = s;
        var options = ConfigurationOptions.Parse($"127.0.0.1:{tlsPort}");
        options.Ssl = true;
        options.SslHost = "localhost";
        options.AbortOnConnectFail = true;
        options.ConnectTimeout = 5000;
        options.TrustIssuer(certs.CaCert);
        var clientCert = TlsCertificates.Load(certs.ClientCert, certs.ClientKey);
        options.CertificateSelection += delegate { return clientCert; };
        await using var mux = await ConnectionMultiplexer.ConnectAsync(options);
        var db = mux.GetDatabase();
        Assert.True(await db.StringSetAsync("se:key", "value"));
        Assert.Equal("value", (string?)await db.StringGetAsync("se:key"));
        var big = new string('x', 300_000);
        Assert.True(await db.StringSetAsync("se:big", big));
        Assert.Equal(big, (string?)await db.StringGetAsync("se:big"));
        var incrs = Enumerable.Range(0, 2000).Select(_ => db.StringIncrementAsync("se:counter")).ToArray();
        await Task.WhenAll(incrs);
        Assert.Equal(2000, (long)await db.StringGetAsync("se:counter"));
        Assert.Equal(new Version(7, 0, 15), mux.GetServer(mux.GetEndPoints()[0]).Version);
    }

    [Fact]
    public void AuthClientsRefusesMissingForeignAndExpiredCertificates()
    {
        var (s, tlsPort) = Start();
        using var _ = s;
        // No certificate: TLS 1.3 finishes the client's side of the handshake before the server
        // has judged it, so the refusal comes as an alert on the first read.
        Assert.True(Refused(() => Client(tlsPort, withCert: false)));
        Assert.True(Refused(() => new TlsRespClient(tlsPort, certs.CaCert, TlsCertificates.Load(certs.OtherCaClientCert, certs.OtherCaClientKey))));
        Assert.True(Refused(() => new TlsRespClient(tlsPort, certs.CaCert, TlsCertificates.Load(certs.ExpiredCert, certs.ExpiredKey))));
        Assert.True(s.LogContains("Error accepting a client connection: error:0A0000C7:SSL routines::peer did not return a certificate"));
        Assert.True(s.LogContains("Error accepting a client connection: error:0A000086:SSL routines::certificate verify failed"), string.Join("\n", s.LogLines));
        AssertNoClientsLeft(s);
        // A connection whose handshake failed was never received (clientAcceptHandler counts it).
        using var plain = s.Connect();
        string received = plain.Call("INFO", "stats").Split("\r\n").First(l => l.StartsWith("total_connections_received:"));
        Assert.True(Refused(() => Client(tlsPort, withCert: false)));
        Assert.Contains($"\r\n{received}\r\n", plain.Call("INFO", "stats"));

        // optional: no certificate is fine, a bad one is still refused; no: nothing is asked.
        Assert.Equal("+OK\r\n", plain.Call("CONFIG", "SET", "tls-auth-clients", "optional"));
        using (var anonymous = Client(tlsPort, withCert: false)) Assert.Equal("+PONG\r\n", anonymous.Call("PING"));
        Assert.True(Refused(() => new TlsRespClient(tlsPort, certs.CaCert, TlsCertificates.Load(certs.OtherCaClientCert, certs.OtherCaClientKey))));
        Assert.Equal("+OK\r\n", plain.Call("CONFIG", "SET", "tls-auth-clients", "no"));
        using (var anonymous = Client(tlsPort, withCert: false)) Assert.Equal("+PONG\r\n", anonymous.Call("PING"));
        Assert.True(InProcessServer.WaitFor(() => ConnectedClients(s) == 1)); // the plain one
    }

    /// <summary>The handshake fails, or the first command gets no reply but the end of the session.</summary>
    static bool Refused(Func<TlsRespClient> connect)
    {
        TlsRespClient c;
        try { c = connect(); }
        catch (AuthenticationException) { return true; }
        catch (IOException) { return true; }
        using (c)
        {
            try
            {
                c.Send(RespSocket.Encode("PING"));
                return c.WaitForClose();
            }
            catch (IOException) { return true; }
        }
    }

    [Fact]
    public void PlainTextOnTheTlsPortIsClosed()
    {
        var (s, tlsPort) = Start();
        using var _ = s;
        using (var raw = RespSocket.Tcp(tlsPort))
        {
            raw.Send("PING\r\n");
            Assert.True(raw.WaitForClose(out var rest));
            Assert.DoesNotContain("PONG", Encoding.Latin1.GetString(rest));
        }
        using (var raw = RespSocket.Tcp(tlsPort))
        {
            raw.Send(RespSocket.Encode("SET", "k", new string('x', 100_000)));
            Assert.True(raw.WaitForClose());
        }
        Assert.True(s.LogContains("Error accepting a client connection: error:0A00010B:SSL routines::wrong version number"));
        AssertNoClientsLeft(s);
        using var plain = s.Connect();
        Assert.Equal("$-1\r\n", plain.Call("GET", "k"));
    }

    [Fact]
    public void StalledHandshakeIsClosedByTimeout()
    {
        var (s, tlsPort) = Start("--timeout", "1");
        using var _ = s;
        using var raw = RespSocket.Tcp(tlsPort);
        // A client in its handshake is a client (7.0 creates it at accept): listed, and idle.
        Assert.True(InProcessServer.WaitFor(() => ConnectedClients(s) == 1));
        // Half a ClientHello: a record header announcing more than comes.
        raw.Send(new byte[] { 0x16, 0x03, 0x01, 0x02, 0x00, 0x01 });
        Assert.True(raw.WaitForClose(timeoutMs: 5000));
        AssertNoClientsLeft(s);
    }

    [Fact]
    public void ClientDisconnectingMidRecord()
    {
        var (s, tlsPort) = Start();
        using var _ = s;
        for (int i = 0; i < 3; i++)
        {
            using var c = Client(tlsPort);
            Assert.Equal("+PONG\r\n", c.Call("PING"));
            c.Wire.CutNextWrite = 100 + i * 1000;
            Assert.Throws<IOException>(() => c.Send(RespSocket.Encode("SET", "cut", new string('y', 50_000))));
        }
        AssertNoClientsLeft(s);
        using var plain = s.Connect();
        Assert.Equal("$-1\r\n", plain.Call("GET", "cut"));
        Assert.Equal("+PONG\r\n", plain.Call("PING"));
    }

    [Fact]
    public void LargeValuesAndPipelinesBothWays()
    {
        var (s, tlsPort) = Start();
        using var _ = s;
        using var c = Client(tlsPort);
        // 1 MB in, 1 MB out: records split across reads, the last bytes of a request left in
        // OpenSSL's buffer with nothing more on the socket (the pending-data drain serves them).
        var mb = new string('m', 1 << 20);
        Assert.Equal("+OK\r\n", c.Call("SET", "big", mb));
        Assert.Equal($"${mb.Length}\r\n{mb}\r\n", c.Call("GET", "big"));
        // Several large values and small commands in one write, the replies read back in order,
        // over TLS and over plain TCP. (This shape found a pipeline-batch bug that was not TLS's:
        // a key-hash hint left by one batch served a later GET, which answered nil.)
        var request = new List<byte>();
        for (int i = 0; i < 8; i++)
        {
            request.AddRange(RespSocket.Encode("SET", "v" + i, new string((char)('a' + i), 200_000 + i)));
            request.AddRange(RespSocket.Encode("INCR", "n"));
            request.AddRange(RespSocket.Encode("GET", "v" + i));
        }
        using var plain = s.Connect();
        foreach (var (send, read) in new (Action<byte[]>, Func<string>)[] { (c.Send, c.ReadReply), (plain.Send, () => plain.ReadReply()) })
        {
            Assert.Equal("+OK\r\n", c.Call("FLUSHALL"));
            send([.. request]);
            for (int i = 0; i < 8; i++)
            {
                Assert.Equal("+OK\r\n", read());
                Assert.Equal($":{i + 1}\r\n", read());
                var v = new string((char)('a' + i), 200_000 + i);
                Assert.Equal($"${v.Length}\r\n{v}\r\n", read());
            }
        }
        // Many small requests in one write.
        c.Send([.. Enumerable.Range(0, 5000).SelectMany(_ => RespSocket.Encode("INCR", "many"))]);
        for (int i = 1; i <= 5000; i++) Assert.Equal($":{i}\r\n", c.ReadReply());
        // Exactly one 16 KB record carrying a request that our first read cannot take whole.
        foreach (int size in new[] { 16_300, 16_384 - 30, 40_000 })
        {
            Assert.Equal("+OK\r\n", c.Call("SET", "edge", new string('e', size)));
            Assert.Equal($":{size}\r\n", c.Call("STRLEN", "edge"));
        }
    }

    [Fact]
    public void ConfigSetReloadsCertificatesAndKeepsTheOldContextOnError()
    {
        var (s, tlsPort) = Start();
        using var _ = s;
        using var plain = s.Connect();
        using var before = Client(tlsPort);
        Assert.Contains("CN=localhost", before.Ssl.RemoteCertificate!.Subject);

        // A certificate that is not there: 7.0's error, the old context serves on.
        Assert.Equal("-ERR CONFIG SET failed (possibly related to argument 'tls-cert-file') - Unable to update TLS configuration. Check server logs.\r\n",
            plain.Call("CONFIG", "SET", "tls-cert-file", "/nonexistent/server.crt"));
        Assert.True(s.LogContains("Failed to load certificate: /nonexistent/server.crt: error:80000002:system library::No such file or directory"));
        Assert.Equal($"*2\r\n$13\r\ntls-cert-file\r\n${certs.ServerCert.Length}\r\n{certs.ServerCert}\r\n", plain.Call("CONFIG", "GET", "tls-cert-file"));
        // A key that does not match the certificate.
        Assert.StartsWith("-ERR CONFIG SET failed (possibly related to argument 'tls-key-file')", plain.Call("CONFIG", "SET", "tls-key-file", certs.Server2Key));
        Assert.True(s.LogContains("Failed to load private key: " + certs.Server2Key));
        Assert.StartsWith("-ERR CONFIG SET failed (possibly related to argument 'tls-protocols') - Unable to update TLS configuration",
            plain.Call("CONFIG", "SET", "tls-protocols", "TLSv9"));
        Assert.StartsWith("-ERR CONFIG SET failed (possibly related to argument 'tls-ciphers')", plain.Call("CONFIG", "SET", "tls-ciphers", "NOSUCHCIPHER"));
        Assert.Equal("+PONG\r\n", before.Call("PING"));
        using (var still = Client(tlsPort)) Assert.Contains("CN=localhost", still.Ssl.RemoteCertificate!.Subject);

        // Both files at once: new connections get the renewed certificate, open ones go on.
        Assert.Equal("+OK\r\n", plain.Call("CONFIG", "SET", "tls-cert-file", certs.Server2Cert, "tls-key-file", certs.Server2Key));
        using (var after = Client(tlsPort)) Assert.Contains("CN=localhost-renewed", after.Ssl.RemoteCertificate!.Subject);
        Assert.Equal("+PONG\r\n", before.Call("PING"));

        // The same path again reloads what is at it now (VOLATILE_CONFIG).
        File.Copy(certs.ServerCert, Path.Combine(certs.Dir, "swap.crt"), overwrite: true);
        File.Copy(certs.ServerKey, Path.Combine(certs.Dir, "swap.key"), overwrite: true);
        Assert.Equal("+OK\r\n", plain.Call("CONFIG", "SET", "tls-cert-file", Path.Combine(certs.Dir, "swap.crt"), "tls-key-file", Path.Combine(certs.Dir, "swap.key")));
        File.Copy(certs.Server2Cert, Path.Combine(certs.Dir, "swap.crt"), overwrite: true);
        File.Copy(certs.Server2Key, Path.Combine(certs.Dir, "swap.key"), overwrite: true);
        using (var same = Client(tlsPort)) Assert.Contains("CN=localhost,", same.Ssl.RemoteCertificate!.Subject + ",");
        Assert.Equal("+OK\r\n", plain.Call("CONFIG", "SET", "tls-cert-file", Path.Combine(certs.Dir, "swap.crt")));
        using (var reloaded = Client(tlsPort)) Assert.Contains("CN=localhost-renewed", reloaded.Ssl.RemoteCertificate!.Subject);

        // An encrypted key with its password.
        Assert.Equal("+OK\r\n", plain.Call("CONFIG", "SET", "tls-cert-file", certs.ServerCert, "tls-key-file", certs.EncryptedServerKey, "tls-key-file-pass", TlsCertificates.KeyPassword));
        using (var encrypted = Client(tlsPort)) Assert.Equal("+PONG\r\n", encrypted.Call("PING"));

        // tls-port moves the listener; 0 closes it.
        int moved = InProcessServer.FreeTcpPort();
        Assert.Equal("+OK\r\n", plain.Call("CONFIG", "SET", "tls-port", moved.ToString()));
        using (var m = Client(moved)) Assert.Equal("+PONG\r\n", m.Call("PING"));
        Assert.Equal("+OK\r\n", plain.Call("CONFIG", "SET", "tls-port", "0"));
        Assert.Throws<System.Net.Sockets.SocketException>(() => Client(moved));
    }

    [Fact]
    public void TlsPortSetAtRunTimeNeedsAWorkingContext()
    {
        using var s = new InProcessServer(Backend);
        using var plain = s.Connect();
        int port = InProcessServer.FreeTcpPort();
        Assert.Equal("-ERR CONFIG SET failed (possibly related to argument 'tls-port') - Unable to update TLS configuration. Check server logs.\r\n",
            plain.Call("CONFIG", "SET", "tls-port", port.ToString()));
        Assert.True(s.LogContains("No tls-cert-file configured!"));
        Assert.Equal("+OK\r\n", plain.Call("CONFIG", "SET", "tls-cert-file", certs.ServerCert, "tls-key-file", certs.ServerKey, "tls-ca-cert-file", certs.CaCert));
        Assert.Equal("+OK\r\n", plain.Call("CONFIG", "SET", "tls-port", port.ToString()));
        using var c = Client(port);
        Assert.Equal("+PONG\r\n", c.Call("PING"));
    }

    [Fact]
    public void StartupWithABadCertificateFailsAsRedisDoes()
    {
        int tlsPort = InProcessServer.FreeTcpPort();
        string[] bad = ["--tls-port", tlsPort.ToString(), "--tls-cert-file", Path.Combine(certs.Dir, "missing.crt"), "--tls-key-file", certs.ServerKey, "--tls-ca-cert-file", certs.CaCert];
        var e = Assert.Throws<ServerStartException>(() => new InProcessServer(Backend, bad));
        Assert.Equal("Failed to configure TLS. Check logs for more info.", e.Message);
        // The oracle's log says the same.
        var oracle = ExternalProcess.Run("redis-server", ["--port", "0", "--save", "", .. bad], timeoutMs: 10_000);
        Assert.NotEqual(0, oracle.ExitCode);
        Assert.Contains($"Failed to load certificate: {Path.Combine(certs.Dir, "missing.crt")}: error:80000002:system library::No such file or directory", oracle.Stdout);
        Assert.Contains("Failed to configure TLS. Check logs for more info.", oracle.Stdout);
        // tls-auth-clients (yes by default) needs a CA.
        string[] noCa = ["--tls-port", tlsPort.ToString(), "--tls-cert-file", certs.ServerCert, "--tls-key-file", certs.ServerKey];
        Assert.Throws<ServerStartException>(() => new InProcessServer(Backend, noCa));
        Assert.Contains("Either tls-ca-cert-file or tls-ca-cert-dir must be specified", ExternalProcess.Run("redis-server", ["--port", "0", "--save", "", .. noCa], timeoutMs: 10_000).Stdout);
    }

    static string[] Pairs(string reply, int port)
    {
        var lines = reply.Replace(port.ToString(), "PORT").Split("\r\n");
        var pairs = new List<string>();
        // *N, then $len/value lines: name and value alternate.
        var values = lines.Skip(1).Where((_, i) => i % 2 == 1).ToArray();
        for (int i = 0; i + 1 < values.Length; i += 2) pairs.Add(values[i] + "=" + values[i + 1]);
        return [.. pairs.Order()];
    }

    static readonly string[] s_tlsParameters =
    [
        "tls-port", "tls-cert-file", "tls-key-file", "tls-key-file-pass", "tls-client-cert-file", "tls-client-key-file",
        "tls-client-key-file-pass", "tls-ca-cert-file", "tls-ca-cert-dir", "tls-auth-clients", "tls-protocols", "tls-ciphers",
        "tls-ciphersuites", "tls-prefer-server-ciphers", "tls-session-caching", "tls-session-cache-size",
        "tls-session-cache-timeout", "tls-dh-params-file", "tls-replication", "tls-cluster",
    ];

    [Fact]
    public void ConfigMatchesRedisStartedWithTls()
    {
        int vPort = InProcessServer.FreeTcpPort(), rPort = InProcessServer.FreeTcpPort();
        string[] common = ["--tls-auth-clients", "optional", "--tls-protocols", "TLSv1.2 TLSv1.3", "--tls-session-cache-size", "1000", "--tls-prefer-server-ciphers", "yes"];
        using var v = new InProcessServer(Backend, [.. certs.ServerArgs(vPort), .. common]);
        using var r = new OracleServer([.. certs.ServerArgs(rPort), .. common]);
        using var vc = v.Connect();
        using var rc = r.Connect();
        void Same(params string[] command)
        {
            var expected = rc.Call(command).Replace(rPort.ToString(), "PORT");
            var actual = vc.Call(command).Replace(vPort.ToString(), "PORT");
            DifferentialServers.AssertSame(string.Join(' ', command), expected, actual);
        }
        foreach (var name in s_tlsParameters) Same("CONFIG", "GET", name);
        // The pattern: the same pairs (Redis lists them in its dict's order).
        Assert.Equal(Pairs(rc.Call("CONFIG", "GET", "tls-*"), rPort), Pairs(vc.Call("CONFIG", "GET", "tls-*"), vPort));
        Same("CONFIG", "SET", "tls-auth-clients", "maybe");
        Same("CONFIG", "SET", "tls-port", "70000");
        Same("CONFIG", "SET", "tls-session-cache-size", "-1");
        Same("CONFIG", "SET", "tls-session-caching", "perhaps");
        Same("CONFIG", "SET", "tls-protocols", "TLSv1.3 SSLv3");
        Same("CONFIG", "SET", "tls-cert-file", "/nonexistent");
        Same("CONFIG", "SET", "tls-session-cache-timeout", "60", "tls-ciphersuites", "TLS_AES_256_GCM_SHA384");
        Same("CONFIG", "SET", "tls-auth-clients", "NO");
        foreach (var name in s_tlsParameters) Same("CONFIG", "GET", name);
        // Both serve a client over TLS after those changes.
        using var vt = new TlsRespClient(vPort, certs.CaCert);
        using var rt = new TlsRespClient(rPort, certs.CaCert);
        Assert.Equal(rt.Call("PING"), vt.Call("PING"));
        Assert.Equal(rt.Ssl.SslProtocol, vt.Ssl.SslProtocol);
        Assert.Equal(rt.Ssl.NegotiatedCipherSuite, vt.Ssl.NegotiatedCipherSuite);
        // CLIENT LIST shows a TLS client with 7.0's fields, nothing TLS-specific, the TLS port as laddr.
        static string Shape(string reply, int port) => string.Join(' ', reply.Split('\n')[0].Split('\r')[0].Split(' ')
            .Where(f => f.Contains('=')).Select(f => f.Split('=')[0] is var k && k is "flags" or "db" or "events" or "cmd" or "user" or "resp" or "multi" or "sub" ? f : k + (f.EndsWith(":" + port) ? "=:PORT" : "")));
        Assert.Equal(Shape(rt.Call("CLIENT", "LIST", "ID", rt.Call("CLIENT", "ID")[1..^2]), rPort), Shape(vt.Call("CLIENT", "LIST", "ID", vt.Call("CLIENT", "ID")[1..^2]), vPort));
    }
}
