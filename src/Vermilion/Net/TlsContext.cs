using Vermilion.Server;

namespace Vermilion.Net;

/// <summary>
/// The server's OpenSSL contexts (tls.c's redis_tls_ctx and redis_tls_client_ctx), built from
/// the tls-* parameters by <see cref="Configure"/> as tlsConfigure builds them: atomically, so a
/// configuration that fails (a missing certificate, a key that does not match, a bad cipher
/// list) leaves the contexts in use unchanged. New connections take the context current when
/// they are accepted; connections already open keep theirs (OpenSSL counts references).
/// </summary>
public sealed unsafe class TlsContext : IDisposable
{
    /// <summary>The server-side context (also the client side when no tls-client-cert-file is set); 0 until configured.</summary>
    internal nint Server { get; private set; }
    /// <summary>The outgoing connections' context when tls-client-cert-file and -key-file are set, else 0.</summary>
    internal nint Client { get; private set; }

    public bool IsConfigured => Server != 0;

    [Flags]
    enum Protocols { TlsV1 = 1, TlsV1_1 = 2, TlsV1_2 = 4, TlsV1_3 = 8, Default = TlsV1_2 | TlsV1_3 }

    /// <summary>
    /// tlsConfigure: builds new contexts, and on success replaces the old ones. On failure returns
    /// the line Redis logs as a warning ("Failed to load certificate: ...") and changes nothing.
    /// </summary>
    public string? Configure(Config config)
    {
        if (config.TlsCertFile.Length == 0) return "No tls-cert-file configured!";
        if (config.TlsKeyFile.Length == 0) return "No tls-key-file configured!";
        if ((config.TlsAuthClients != "no" || config.TlsCluster || config.TlsReplication)
            && config.TlsCaCertFile.Length == 0 && config.TlsCaCertDir.Length == 0)
            return "Either tls-ca-cert-file or tls-ca-cert-dir must be specified when tls-cluster, tls-replication or tls-auth-clients are enabled!";
        var (protocols, error) = ParseProtocols(config.TlsProtocols);
        if (error is not null) return error;

        nint ctx = CreateContext(config, protocols, client: false, out error);
        if (ctx == 0) return error;
        nint clientCtx = 0;
        try
        {
            if (config.TlsSessionCaching)
            {
                OpenSsl.CtxSetSessionCacheMode(ctx, OpenSsl.SSL_SESS_CACHE_SERVER);
                OpenSsl.CtxSetSessionCacheSize(ctx, config.TlsSessionCacheSize);
                OpenSsl.CtxSetTimeout(ctx, config.TlsSessionCacheTimeout);
                byte* id = stackalloc byte[] { (byte)'r', (byte)'e', (byte)'d', (byte)'i', (byte)'s' };
                OpenSsl.CtxSetSessionIdContext(ctx, id, 5);
            }
            else OpenSsl.CtxSetSessionCacheMode(ctx, OpenSsl.SSL_SESS_CACHE_OFF);
            OpenSsl.CtxSetOptions(ctx, OpenSsl.SSL_OP_NO_CLIENT_RENEGOTIATION);
            if (config.TlsPreferServerCiphers) OpenSsl.CtxSetOptions(ctx, OpenSsl.SSL_OP_CIPHER_SERVER_PREFERENCE);

            if (config.TlsDhParamsFile.Length > 0)
            {
                byte[] pem;
                try { pem = File.ReadAllBytes(config.TlsDhParamsFile); }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    return Fail($"Failed to load {config.TlsDhParamsFile}: {StrError(e)}");
                }
                nint pkey = OpenSsl.DecodeDhParams(pem);
                if (pkey == 0)
                {
                    OpenSsl.ErrClearError();
                    return Fail($"{config.TlsDhParamsFile}: failed to read DH params.");
                }
                if (OpenSsl.CtxSet0TmpDhPkey(ctx, pkey) <= 0)
                {
                    OpenSsl.PkeyFree(pkey);
                    return Fail($"Failed to load DH params file: {config.TlsDhParamsFile}: {OpenSsl.TakeError()}");
                }
            }
            else OpenSsl.CtxSetDhAuto(ctx, true);

            if (config.TlsClientCertFile.Length > 0 && config.TlsClientKeyFile.Length > 0)
            {
                clientCtx = CreateContext(config, protocols, client: true, out error);
                if (clientCtx == 0) return Fail(error);
            }
        }
        catch (DllNotFoundException e)
        {
            return Fail("OpenSSL (libssl.so.3) could not be loaded: " + e.Message);
        }

        if (Server != 0) OpenSsl.CtxFree(Server);
        if (Client != 0) OpenSsl.CtxFree(Client);
        Server = ctx;
        Client = clientCtx;
        return null;

        string? Fail(string? message)
        {
            OpenSsl.CtxFree(ctx);
            if (clientCtx != 0) OpenSsl.CtxFree(clientCtx);
            return message;
        }
    }

    /// <summary>createSSLContext: what server and client contexts share (protocols, modes, verification, certificate, key, CA, ciphers).</summary>
    static nint CreateContext(Config config, Protocols protocols, bool client, out string? error)
    {
        string certFile = client ? config.TlsClientCertFile : config.TlsCertFile;
        string keyFile = client ? config.TlsClientKeyFile : config.TlsKeyFile;
        string keyPass = client ? config.TlsClientKeyFilePass : config.TlsKeyFilePass;
        nint ctx;
        try { ctx = OpenSsl.CtxNew(OpenSsl.TlsMethod()); }
        catch (DllNotFoundException e)
        {
            error = "OpenSSL (libssl.so.3) could not be loaded: " + e.Message;
            return 0;
        }
        if (ctx == 0)
        {
            error = "Failed to create an SSL context: " + OpenSsl.TakeError();
            return 0;
        }
        ulong options = OpenSsl.SSL_OP_NO_SSLv3 | OpenSsl.SSL_OP_DONT_INSERT_EMPTY_FRAGMENTS | OpenSsl.SSL_OP_NO_COMPRESSION;
        if ((protocols & Protocols.TlsV1) == 0) options |= OpenSsl.SSL_OP_NO_TLSv1;
        if ((protocols & Protocols.TlsV1_1) == 0) options |= OpenSsl.SSL_OP_NO_TLSv1_1;
        if ((protocols & Protocols.TlsV1_2) == 0) options |= OpenSsl.SSL_OP_NO_TLSv1_2;
        if ((protocols & Protocols.TlsV1_3) == 0) options |= OpenSsl.SSL_OP_NO_TLSv1_3;
        OpenSsl.CtxSetOptions(ctx, options);
        // Partial writes: SSL_write returns after each record, as write(2) returns a short count;
        // a moving buffer: a write retried after WANT_WRITE may come from a reply buffer that moved.
        OpenSsl.CtxSetMode(ctx, OpenSsl.SSL_MODE_ENABLE_PARTIAL_WRITE | OpenSsl.SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
        OpenSsl.CtxSetVerify(ctx, OpenSsl.SSL_VERIFY_PEER | OpenSsl.SSL_VERIFY_FAIL_IF_NO_PEER_CERT, 0);

        error = null;
        if (OpenSsl.CtxUseCertificateChainFile(ctx, certFile) <= 0)
            error = $"Failed to load certificate: {certFile}: {OpenSsl.TakeError()}";
        else if (OpenSsl.WithKeyPassword(ctx, keyPass.Length > 0 ? keyPass : null,
                     () => OpenSsl.CtxUsePrivateKeyFile(ctx, keyFile, OpenSsl.SSL_FILETYPE_PEM)) <= 0)
            error = $"Failed to load private key: {keyFile}: {OpenSsl.TakeError()}";
        else if ((config.TlsCaCertFile.Length > 0 || config.TlsCaCertDir.Length > 0)
                 && OpenSsl.CtxLoadVerifyLocations(ctx, NullIfEmpty(config.TlsCaCertFile), NullIfEmpty(config.TlsCaCertDir)) <= 0)
            error = $"Failed to configure CA certificate(s) file/directory: {OpenSsl.TakeError()}";
        else if (config.TlsCiphers.Length > 0 && OpenSsl.CtxSetCipherList(ctx, config.TlsCiphers) == 0)
            error = $"Failed to configure ciphers: {config.TlsCiphers}";
        else if (config.TlsCipherSuites.Length > 0 && OpenSsl.CtxSetCipherSuites(ctx, config.TlsCipherSuites) == 0)
            error = $"Failed to configure ciphersuites: {config.TlsCipherSuites}";
        if (error is null) return ctx;
        OpenSsl.ErrClearError();
        OpenSsl.CtxFree(ctx);
        return 0;
    }

    /// <summary>parseProtocolsConfig: space-separated, case-insensitive; empty is TLSv1.2 and TLSv1.3.</summary>
    static (Protocols, string?) ParseProtocols(string text)
    {
        if (text.Length == 0) return (Protocols.Default, null);
        Protocols p = 0;
        // sdssplitlen on " ": two spaces make an empty token, which is not a protocol.
        foreach (var token in text.Split(' '))
        {
            switch (token.ToLowerInvariant())
            {
                case "tlsv1": p |= Protocols.TlsV1; break;
                case "tlsv1.1": p |= Protocols.TlsV1_1; break;
                case "tlsv1.2": p |= Protocols.TlsV1_2; break;
                case "tlsv1.3": p |= Protocols.TlsV1_3; break;
                default: return (0, "Invalid tls-protocols specified. Use a combination of 'TLSv1', 'TLSv1.1', 'TLSv1.2' and 'TLSv1.3'.");
            }
        }
        return (p, null);
    }

    static string? NullIfEmpty(string s) => s.Length == 0 ? null : s;

    static string StrError(Exception e) => e switch
    {
        FileNotFoundException or DirectoryNotFoundException => "No such file or directory",
        UnauthorizedAccessException => "Permission denied",
        _ => e.Message,
    };

    public void Dispose()
    {
        if (Server != 0) OpenSsl.CtxFree(Server);
        if (Client != 0) OpenSsl.CtxFree(Client);
        Server = Client = 0;
    }
}
