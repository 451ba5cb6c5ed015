using System.Security.Cryptography.X509Certificates;

namespace Vermilion.Tests;

/// <summary>
/// The certificates every TLS test shares, made once with the openssl CLI in a temp dir: a test
/// CA with a server certificate (localhost, 127.0.0.1), a client certificate, an expired client
/// certificate, a second server certificate (for reloads), and a client certificate from another CA.
/// </summary>
public sealed class TlsCertificates : IDisposable
{
    public string Dir { get; } = Path.Combine(Path.GetTempPath(), "vermilion-tls-" + Guid.NewGuid().ToString("N")[..12]);
    public string CaCert => P("ca.crt");
    public string ServerCert => P("server.crt");
    public string ServerKey => P("server.key");
    public string Server2Cert => P("server2.crt");
    public string Server2Key => P("server2.key");
    public string ClientCert => P("client.crt");
    public string ClientKey => P("client.key");
    public string ExpiredCert => P("expired.crt");
    public string ExpiredKey => P("expired.key");
    public string OtherCaClientCert => P("other-client.crt");
    public string OtherCaClientKey => P("other-client.key");
    /// <summary>The server key encrypted with <see cref="KeyPassword"/> (tls-key-file-pass).</summary>
    public string EncryptedServerKey => P("server-enc.key");
    public const string KeyPassword = "s3cret";

    public TlsCertificates()
    {
        Directory.CreateDirectory(Dir);
        Ca("ca");
        Ca("other-ca");
        Issue("ca", "server", "localhost", server: true);
        Issue("ca", "server2", "localhost-renewed", server: true);
        Issue("ca", "client", "client");
        Issue("ca", "expired", "expired-client", days: -1);
        Issue("other-ca", "other-client", "stranger");
        OpenSsl("pkey", "-in", ServerKey, "-aes256", "-passout", "pass:" + KeyPassword, "-out", EncryptedServerKey);
    }

    string P(string name) => Path.Combine(Dir, name);

    void Ca(string name) =>
        OpenSsl("req", "-x509", "-new", "-nodes", "-newkey", "rsa:2048", "-keyout", P(name + ".key"), "-out", P(name + ".crt"),
            "-days", "30", "-subj", "/CN=Vermilion test " + name);

    void Issue(string ca, string name, string cn, bool server = false, int days = 30)
    {
        OpenSsl("req", "-new", "-nodes", "-newkey", "rsa:2048", "-keyout", P(name + ".key"), "-out", P(name + ".csr"), "-subj", "/CN=" + cn);
        var args = new List<string> { "x509", "-req", "-in", P(name + ".csr"), "-CA", P(ca + ".crt"), "-CAkey", P(ca + ".key"),
            "-CAcreateserial", "-out", P(name + ".crt"), "-days", days.ToString() };
        if (server)
        {
            File.WriteAllText(P(name + ".ext"), "subjectAltName=DNS:localhost,IP:127.0.0.1\n");
            args.AddRange(["-extfile", P(name + ".ext")]);
        }
        OpenSsl([.. args]);
    }

    static void OpenSsl(params string[] args)
    {
        var r = ExternalProcess.Run("openssl", args);
        if (r.ExitCode != 0) throw new InvalidOperationException($"openssl {string.Join(' ', args)}: {r.Stderr}");
    }

    /// <summary>A certificate with its key, as SslStream and StackExchange.Redis present it.</summary>
    public static X509Certificate2 Load(string cert, string key)
    {
        using var pem = X509Certificate2.CreateFromPemFile(cert, key);
        // An ephemeral PEM key is re-imported as PKCS#12 so every platform's TLS stack can use it.
        return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
    }

    /// <summary>The server's TLS arguments: a port, the server certificate, the CA.</summary>
    public string[] ServerArgs(int tlsPort) =>
        ["--tls-port", tlsPort.ToString(), "--tls-cert-file", ServerCert, "--tls-key-file", ServerKey, "--tls-ca-cert-file", CaCert];

    public void Dispose()
    {
        try { Directory.Delete(Dir, true); } catch (IOException) { }
    }
}
