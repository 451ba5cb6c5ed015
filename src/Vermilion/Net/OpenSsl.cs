using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Vermilion.Net;

/// <summary>
/// The whole OpenSSL surface (libssl.so.3 and libcrypto.so.3, OpenSSL 3.0 as Debian's libssl3
/// ships it): what Redis 7.0's tls.c calls, nothing more. Why P/Invoke rather than SslStream:
/// .NET's managed TLS wraps a Stream and completes its reads and writes on thread-pool
/// callbacks, while a Vermilion connection is an fd the one loop thread reads and writes when
/// epoll says so. OpenSSL's non-blocking mode fits that as it fits Redis's ae: SSL_read and
/// SSL_write on the connection's own fd, WANT_READ/WANT_WRITE mapped to file events, no thread
/// of its own. Why it works under NativeAOT: LibraryImport generates the marshalling at build
/// time (every signature here is blittable: pointers, integers), and the runtime dlopens the
/// library by its soname on first call, as it does libc for <see cref="Native"/>; the one
/// callback (the key password) is an UnmanagedCallersOnly function pointer, not a delegate.
/// Handles are raw pointers (SSL_CTX*, SSL*): their owners (<see cref="TlsContext"/>,
/// <see cref="TlsConnection"/>) free them explicitly, as tls.c does.
/// </summary>
internal static unsafe partial class OpenSsl
{
    const string Ssl = "libssl.so.3";
    const string Crypto = "libcrypto.so.3";

    // SSL_get_error's results.
    public const int SSL_ERROR_NONE = 0, SSL_ERROR_SSL = 1, SSL_ERROR_WANT_READ = 2, SSL_ERROR_WANT_WRITE = 3,
        SSL_ERROR_SYSCALL = 5, SSL_ERROR_ZERO_RETURN = 6;

    public const int SSL_VERIFY_NONE = 0, SSL_VERIFY_PEER = 1, SSL_VERIFY_FAIL_IF_NO_PEER_CERT = 2;
    public const int SSL_FILETYPE_PEM = 1;

    // SSL_OP_* (uint64 since 3.0). NO_SSLv2 and SINGLE_DH_USE are 0 in 3.0 (always on).
    public const ulong SSL_OP_DONT_INSERT_EMPTY_FRAGMENTS = 1UL << 11, SSL_OP_NO_COMPRESSION = 1UL << 17,
        SSL_OP_NO_CLIENT_RENEGOTIATION = 1UL << 10, SSL_OP_CIPHER_SERVER_PREFERENCE = 1UL << 22,
        SSL_OP_NO_SSLv3 = 1UL << 25, SSL_OP_NO_TLSv1 = 1UL << 26, SSL_OP_NO_TLSv1_2 = 1UL << 27,
        SSL_OP_NO_TLSv1_1 = 1UL << 28, SSL_OP_NO_TLSv1_3 = 1UL << 29;

    public const long SSL_MODE_ENABLE_PARTIAL_WRITE = 1, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER = 2;
    public const long SSL_SESS_CACHE_OFF = 0, SSL_SESS_CACHE_SERVER = 2;

    // SSL_CTX_ctrl commands behind the macros SSL_CTX_set_mode, SSL_CTX_set_session_cache_mode,
    // SSL_CTX_sess_set_cache_size, SSL_CTX_set_dh_auto, SSL_CTX_set_min/max_proto_version.
    const int SSL_CTRL_MODE = 33, SSL_CTRL_SET_SESS_CACHE_SIZE = 42, SSL_CTRL_SET_SESS_CACHE_MODE = 44,
        SSL_CTRL_SET_DH_AUTO = 118, SSL_CTRL_SET_MIN_PROTO_VERSION = 123, SSL_CTRL_SET_MAX_PROTO_VERSION = 124;

    public const int TLS1_VERSION = 0x0301, TLS1_1_VERSION = 0x0302, TLS1_2_VERSION = 0x0303, TLS1_3_VERSION = 0x0304;

    const int OSSL_KEYMGMT_SELECT_DOMAIN_PARAMETERS = 0x04;

    // ---- contexts ----------------------------------------------------------------------------

    [LibraryImport(Ssl, EntryPoint = "TLS_method")] public static partial nint TlsMethod();
    [LibraryImport(Ssl, EntryPoint = "TLS_server_method")] public static partial nint TlsServerMethod();
    [LibraryImport(Ssl, EntryPoint = "TLS_client_method")] public static partial nint TlsClientMethod();
    [LibraryImport(Ssl, EntryPoint = "SSL_CTX_new")] public static partial nint CtxNew(nint method);
    [LibraryImport(Ssl, EntryPoint = "SSL_CTX_free")] public static partial void CtxFree(nint ctx);
    [LibraryImport(Ssl, EntryPoint = "SSL_CTX_set_options")] public static partial ulong CtxSetOptions(nint ctx, ulong options);
    [LibraryImport(Ssl, EntryPoint = "SSL_CTX_ctrl")] private static partial long CtxCtrl(nint ctx, int cmd, long larg, void* parg);
    [LibraryImport(Ssl, EntryPoint = "SSL_CTX_set_verify")] public static partial void CtxSetVerify(nint ctx, int mode, nint callback);
    [LibraryImport(Ssl, EntryPoint = "SSL_CTX_set_default_passwd_cb")] private static partial void CtxSetDefaultPasswdCb(nint ctx, delegate* unmanaged<byte*, int, int, void*, int> cb);
    [LibraryImport(Ssl, EntryPoint = "SSL_CTX_set_default_passwd_cb_userdata")] private static partial void CtxSetDefaultPasswdCbUserdata(nint ctx, void* u);
    [LibraryImport(Ssl, EntryPoint = "SSL_CTX_use_certificate_chain_file", StringMarshalling = StringMarshalling.Utf8)] public static partial int CtxUseCertificateChainFile(nint ctx, string file);
    [LibraryImport(Ssl, EntryPoint = "SSL_CTX_use_PrivateKey_file", StringMarshalling = StringMarshalling.Utf8)] public static partial int CtxUsePrivateKeyFile(nint ctx, string file, int type);
    [LibraryImport(Ssl, EntryPoint = "SSL_CTX_load_verify_locations", StringMarshalling = StringMarshalling.Utf8)] public static partial int CtxLoadVerifyLocations(nint ctx, string? caFile, string? caDir);
    [LibraryImport(Ssl, EntryPoint = "SSL_CTX_set_cipher_list", StringMarshalling = StringMarshalling.Utf8)] public static partial int CtxSetCipherList(nint ctx, string ciphers);
    [LibraryImport(Ssl, EntryPoint = "SSL_CTX_set_ciphersuites", StringMarshalling = StringMarshalling.Utf8)] public static partial int CtxSetCipherSuites(nint ctx, string suites);
    [LibraryImport(Ssl, EntryPoint = "SSL_CTX_set_timeout")] public static partial long CtxSetTimeout(nint ctx, long seconds);
    [LibraryImport(Ssl, EntryPoint = "SSL_CTX_set_session_id_context")] public static partial int CtxSetSessionIdContext(nint ctx, byte* id, uint len);
    [LibraryImport(Ssl, EntryPoint = "SSL_CTX_set0_tmp_dh_pkey")] public static partial int CtxSet0TmpDhPkey(nint ctx, nint pkey);

    public static void CtxSetMode(nint ctx, long mode) => CtxCtrl(ctx, SSL_CTRL_MODE, mode, null);
    public static void CtxSetSessionCacheMode(nint ctx, long mode) => CtxCtrl(ctx, SSL_CTRL_SET_SESS_CACHE_MODE, mode, null);
    public static void CtxSetSessionCacheSize(nint ctx, long size) => CtxCtrl(ctx, SSL_CTRL_SET_SESS_CACHE_SIZE, size, null);
    public static void CtxSetDhAuto(nint ctx, bool on) => CtxCtrl(ctx, SSL_CTRL_SET_DH_AUTO, on ? 1 : 0, null);
    /// <summary>Protocol version bounds (0 = the library's lowest/highest); Redis 7.0 uses the SSL_OP_NO_* options instead, so these are for outgoing contexts later.</summary>
    public static bool CtxSetProtoVersionBounds(nint ctx, int min, int max) =>
        CtxCtrl(ctx, SSL_CTRL_SET_MIN_PROTO_VERSION, min, null) == 1 && CtxCtrl(ctx, SSL_CTRL_SET_MAX_PROTO_VERSION, max, null) == 1;

    /// <summary>
    /// tlsPasswordCallback: OpenSSL asks for the key's passphrase while SSL_CTX_use_PrivateKey_file
    /// reads an encrypted key. <paramref name="password"/> (tls-key-file-pass) is copied to native
    /// memory for the duration of <paramref name="load"/> only; OpenSSL asks nowhere else.
    /// </summary>
    public static int WithKeyPassword(nint ctx, string? password, Func<int> load)
    {
        nint pass = password is null ? 0 : Marshal.StringToCoTaskMemUTF8(password);
        CtxSetDefaultPasswdCb(ctx, &PasswordCallback);
        CtxSetDefaultPasswdCbUserdata(ctx, (void*)pass);
        try { return load(); }
        finally
        {
            CtxSetDefaultPasswdCbUserdata(ctx, null);
            if (pass != 0) Marshal.ZeroFreeCoTaskMemUTF8(pass);
        }
    }

    [UnmanagedCallersOnly]
    static int PasswordCallback(byte* buf, int size, int rwflag, void* userdata)
    {
        if (userdata is null) return -1;
        var pass = MemoryMarshal.CreateReadOnlySpanFromNullTerminated((byte*)userdata);
        if (pass.Length > size) return -1;
        pass.CopyTo(new Span<byte>(buf, size));
        return pass.Length;
    }

    /// <summary>
    /// Reads a PEM "DH PARAMETERS" block into an EVP_PKEY (OpenSSL 3.0's decoder, as tls.c does
    /// for 3.0). Zero when the text holds none; the caller hands the key to
    /// <see cref="CtxSet0TmpDhPkey"/>, which takes ownership.
    /// </summary>
    public static nint DecodeDhParams(byte[] pem)
    {
        nint pkey = 0;
        nint dctx = DecoderCtxNewForPkey(&pkey, "PEM", null, "DH", OSSL_KEYMGMT_SELECT_DOMAIN_PARAMETERS, 0, null);
        if (dctx == 0) return 0;
        try
        {
            fixed (byte* p = pem)
            {
                byte* data = p;
                nuint len = (nuint)pem.Length;
                if (DecoderFromData(dctx, &data, &len) == 0) return 0;
            }
            return pkey;
        }
        finally { DecoderCtxFree(dctx); }
    }

    [LibraryImport(Crypto, EntryPoint = "OSSL_DECODER_CTX_new_for_pkey", StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint DecoderCtxNewForPkey(nint* pkey, string inputType, string? inputStructure, string keyType, int selection, nint libctx, string? propq);
    [LibraryImport(Crypto, EntryPoint = "OSSL_DECODER_from_data")] private static partial int DecoderFromData(nint dctx, byte** pdata, nuint* len);
    [LibraryImport(Crypto, EntryPoint = "OSSL_DECODER_CTX_free")] private static partial void DecoderCtxFree(nint dctx);
    [LibraryImport(Crypto, EntryPoint = "EVP_PKEY_free")] public static partial void PkeyFree(nint pkey);

    // ---- connections ---------------------------------------------------------------------------

    [LibraryImport(Ssl, EntryPoint = "SSL_new")] public static partial nint SslNew(nint ctx);
    [LibraryImport(Ssl, EntryPoint = "SSL_free")] public static partial void SslFree(nint ssl);
    [LibraryImport(Ssl, EntryPoint = "SSL_set_fd")] public static partial int SslSetFd(nint ssl, int fd);
    [LibraryImport(Ssl, EntryPoint = "SSL_set_verify")] public static partial void SslSetVerify(nint ssl, int mode, nint callback);
    [LibraryImport(Ssl, EntryPoint = "SSL_set_accept_state")] public static partial void SslSetAcceptState(nint ssl);
    [LibraryImport(Ssl, EntryPoint = "SSL_set_connect_state")] public static partial void SslSetConnectState(nint ssl);
    // The calls that may reach read(2)/write(2) keep errno (SSL_ERROR_SYSCALL reads it).
    [LibraryImport(Ssl, EntryPoint = "SSL_accept", SetLastError = true)] public static partial int SslAccept(nint ssl);
    [LibraryImport(Ssl, EntryPoint = "SSL_connect", SetLastError = true)] public static partial int SslConnect(nint ssl);
    [LibraryImport(Ssl, EntryPoint = "SSL_read", SetLastError = true)] public static partial int SslRead(nint ssl, byte* buf, int num);
    [LibraryImport(Ssl, EntryPoint = "SSL_write", SetLastError = true)] public static partial int SslWrite(nint ssl, byte* buf, int num);
    [LibraryImport(Ssl, EntryPoint = "SSL_shutdown")] public static partial int SslShutdown(nint ssl);
    // Pure bookkeeping on the SSL object, no I/O and no lock: no GC transition needed.
    [LibraryImport(Ssl, EntryPoint = "SSL_pending"), SuppressGCTransition] public static partial int SslPending(nint ssl);
    [LibraryImport(Ssl, EntryPoint = "SSL_get_error"), SuppressGCTransition] public static partial int SslGetError(nint ssl, int ret);
    [LibraryImport(Ssl, EntryPoint = "SSL_get_version")] private static partial byte* SslGetVersion(nint ssl);

    public static string Version(nint ssl) => Marshal.PtrToStringUTF8((nint)SslGetVersion(ssl)) ?? "";

    // ---- errors ------------------------------------------------------------------------------

    [LibraryImport(Crypto, EntryPoint = "ERR_get_error")] public static partial ulong ErrGetError();
    [LibraryImport(Crypto, EntryPoint = "ERR_clear_error")] public static partial void ErrClearError();
    [LibraryImport(Crypto, EntryPoint = "ERR_error_string_n")] private static partial void ErrErrorStringN(ulong e, byte* buf, nuint len);
    [LibraryImport(Crypto, EntryPoint = "OpenSSL_version")] private static partial byte* OpenSslVersion(int type);

    /// <summary>The library's version text ("OpenSSL 3.0.x ..."); calling it proves libcrypto loads.</summary>
    public static string LibraryVersion => Marshal.PtrToStringUTF8((nint)OpenSslVersion(0)) ?? "";

    /// <summary>
    /// ERR_error_string_n(ERR_get_error()) as tls.c formats an error ("error:0A000086:SSL
    /// routines::certificate verify failed"), then the rest of the thread's queue is cleared:
    /// the queue is per thread, and a stale entry would make a later SSL_get_error report
    /// SSL_ERROR_SSL for a harmless WANT_READ.
    /// </summary>
    public static string TakeError()
    {
        byte* buf = stackalloc byte[256];
        ErrErrorStringN(ErrGetError(), buf, 256);
        ErrClearError();
        return Marshal.PtrToStringUTF8((nint)buf) ?? "";
    }
}
