using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Vermilion.Tests;

/// <summary>
/// A RESP connection over TLS (.NET's SslStream) for tests: the server is verified against the
/// test CA, a client certificate is presented when given. <see cref="Wire"/> sits between
/// SslStream and the socket, so a test can cut a TLS record in the middle.
/// </summary>
public sealed class TlsRespClient : IDisposable
{
    public Socket Socket { get; }
    public SslStream Ssl { get; }
    public CuttableStream Wire { get; }
    readonly List<byte> _pending = new();
    readonly byte[] _chunk = new byte[64 * 1024];

    public TlsRespClient(int port, string caCert, X509Certificate2? clientCert = null, SslProtocols protocols = SslProtocols.None)
    {
        Socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        Socket.Connect(new IPEndPoint(IPAddress.Loopback, port));
        Wire = new CuttableStream(new NetworkStream(Socket, ownsSocket: false));
        var ca = X509CertificateLoader.LoadCertificateFromFile(caCert);
        Ssl = new SslStream(Wire, leaveInnerStreamOpen: false);
        Ssl.ReadTimeout = 5000;
        var options = new SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            EnabledSslProtocols = protocols,
            ClientCertificates = clientCert is null ? null : new X509CertificateCollection { clientCert },
            CertificateChainPolicy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, CustomTrustStore = { ca }, RevocationMode = X509RevocationMode.NoCheck },
        };
        Ssl.AuthenticateAsClient(options);
    }

    public void Send(byte[] data) => Ssl.Write(data);

    public string Call(params string[] args)
    {
        Send(RespSocket.Encode(args));
        return ReadReply();
    }

    public string ReadReply() => Encoding.Latin1.GetString(ReadReplyBytes());

    public byte[] ReadReplyBytes()
    {
        while (true)
        {
            int end = RespSocket.ReplyEnd(_pending, 0);
            if (end > 0)
            {
                var reply = _pending.GetRange(0, end).ToArray();
                _pending.RemoveRange(0, end);
                return reply;
            }
            int n = Ssl.Read(_chunk);
            if (n == 0) throw new IOException("connection closed; received so far: " + RespSocket.Show(_pending.ToArray()));
            _pending.AddRange(_chunk.AsSpan(0, n).ToArray());
        }
    }

    /// <summary>True when the server ends the session (close_notify, EOF or a TLS alert) within 5 s.</summary>
    public bool WaitForClose()
    {
        try
        {
            while (true)
            {
                if (Ssl.Read(_chunk) == 0) return true;
            }
        }
        catch (IOException e) when (e.InnerException is not SocketException { SocketErrorCode: SocketError.TimedOut })
        {
            return true;
        }
        catch (AuthenticationException) { return true; }
    }

    public void Dispose()
    {
        Ssl.Dispose();
        Socket.Dispose();
    }
}

/// <summary>A pass-through stream that, once <see cref="CutNextWrite"/> is set, forwards only part of the next write and then closes the socket.</summary>
public sealed class CuttableStream(NetworkStream inner) : Stream
{
    public int? CutNextWrite { get; set; }
    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override int ReadTimeout { get => inner.ReadTimeout; set => inner.ReadTimeout = value; }
    public override void Flush() => inner.Flush();
    public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count)
    {
        if (CutNextWrite is int cut)
        {
            inner.Write(buffer, offset, Math.Min(cut, count));
            inner.Socket.Shutdown(SocketShutdown.Both);
            inner.Socket.Close();
            throw new IOException("cut");
        }
        inner.Write(buffer, offset, count);
    }
}
