using System.Text;
using Vermilion.Protocol;

namespace Vermilion.Server;

/// <summary>The CLIENT LIST / CLIENT INFO line (catClientInfoString), and the short forms logs use.</summary>
public static class ClientInfo
{
    /// <summary>
    /// "id=… addr=… laddr=… fd=… name=… age=… idle=… flags=… db=… sub=… psub=… ssub=… multi=… qbuf=…
    /// qbuf-free=… argv-mem=… multi-mem=… rbs=… rbp=… obl=… oll=… omem=… tot-mem=… events=… cmd=… user=…
    /// redir=… resp=…", the fields and order of Redis 7.0. <paramref name="argv"/> is the client's
    /// command when it is not the running one (a refused command: ACL LOG's client-info).
    /// </summary>
    public static string Line(Client c, CommandArgs? argv = null)
    {
        var s = c.Server;
        var conn = c.Conn;
        string addr = c.PeerId;
        string laddr = conn is null ? "" : conn.Type.LocalAddress(conn, s);
        int fd = conn?.Fd ?? -1;
        string events = (conn?.HasReadHandler == true ? "r" : "") + (conn?.HasWriteHandler == true ? "w" : "");
        long qbuf = c.QueryBufferLength, qfree = c.QueryBufferFree;
        long omem = c.Reply.ListBytes;
        if (argv is null && c == s.CurrentClient) argv = s.CurrentArgs;
        // c->argv_len_sum; getClientMemoryUsage adds it and the argv array (a pointer per argument) to tot-mem.
        long argvMem = argv is not null ? ArgvMemory(argv) : s.BlockedArgvBytes(c);
        long totMem = MemoryBytes(c) + argvMem + (argv is not null ? 8L * argv.Count : 0);
        var sb = new StringBuilder(256);
        sb.Append("id=").Append(c.Id)
          .Append(" addr=").Append(addr)
          .Append(" laddr=").Append(laddr)
          .Append(" fd=").Append(fd)
          .Append(" name=").Append(c.Name)
          .Append(" age=").Append((s.UnixTimeMs - c.CreatedUnixMs) / 1000)
          .Append(" idle=").Append(s.UnixTime - c.LastInteraction)
          .Append(" flags=").Append(Flags(c))
          .Append(" db=").Append(c.DbIndex)
          .Append(" sub=").Append(c.Subscriptions?.Channels.Count ?? 0)
          .Append(" psub=").Append(c.Subscriptions?.Patterns.Count ?? 0)
          .Append(" ssub=").Append(c.Subscriptions?.ShardChannels.Count ?? 0)
          .Append(" multi=").Append(c.Multi?.Queued.Count ?? -1)
          .Append(" qbuf=").Append(qbuf)
          .Append(" qbuf-free=").Append(qfree)
          .Append(" argv-mem=").Append(argvMem)
          .Append(" multi-mem=").Append(c.Multi?.QueuedBytes ?? 0)
          .Append(" rbs=").Append(c.Reply.BufferSize)
          .Append(" rbp=").Append(c.Reply.Peak)
          .Append(" obl=").Append(c.Reply.BufferUsed)
          .Append(" oll=").Append(c.Reply.ListNodes)
          .Append(" omem=").Append(omem)
          .Append(" tot-mem=").Append(totMem)
          .Append(" events=").Append(events)
          .Append(" cmd=").Append(c.LastCommand?.FullName ?? "NULL")
          .Append(" user=").Append(c.User?.Name ?? "(superuser)")
          .Append(" redir=").Append(c.Tracking?.RedirectId ?? -1).Append(" resp=").Append(c.Resp);
        return sb.ToString();
    }

    /// <summary>A rough size of an idle client's objects (client, connection, reply writer), for tot-mem.</summary>
    const int ApproximateSize = 512;

    /// <summary>tot-mem: the client's objects, its query buffer and its reply buffer and list.</summary>
    public static long MemoryBytes(Client c) =>
        ApproximateSize + c.QueryBufferLength + c.QueryBufferFree + c.Reply.BufferSize + c.Reply.ListBytes;

    static long ArgvMemory(CommandArgs args)
    {
        long n = 0;
        for (int i = 0; i < args.Count; i++) n += args.Length(i);
        return n;
    }

    /// <summary>getClientType's name: CLIENT LIST/KILL TYPE (the master link comes with the replica side).</summary>
    public static string TypeName(Client c) =>
        (c.Flags & ClientFlags.Master) != 0 ? "master" : (c.Flags & (ClientFlags.Replica | ClientFlags.Monitor)) == ClientFlags.Replica ? "replica" : c.Subscriptions is not null ? "pubsub" : "normal";

    /// <summary>Flag letters in Redis's order; N when none applies.</summary>
    public static string Flags(Client c)
    {
        var sb = new StringBuilder();
        var f = c.Flags;
        if ((f & ClientFlags.Replica) != 0 && (f & ClientFlags.Monitor) == 0) sb.Append('S');
        if ((f & ClientFlags.Master) != 0) sb.Append('M');
        if ((f & ClientFlags.Monitor) != 0) sb.Append('O');
        if (c.Subscriptions is not null) sb.Append('P');
        if ((f & ClientFlags.Multi) != 0) sb.Append('x');
        if ((f & ClientFlags.Blocked) != 0) sb.Append('b');
        if (c.Tracking is not null) sb.Append('t');
        if (c.Tracking?.RedirectBroken == true) sb.Append('R');
        if (c.Tracking?.Bcast == true) sb.Append('B');
        if ((f & ClientFlags.DirtyCas) != 0) sb.Append('d');
        if ((f & ClientFlags.CloseAfterReply) != 0) sb.Append('c');
        if ((f & ClientFlags.CloseAsap) != 0) sb.Append('A');
        if ((f & ClientFlags.UnixSocket) != 0) sb.Append('U');
        if ((f & ClientFlags.ReadOnly) != 0) sb.Append('r');
        if ((f & ClientFlags.NoEvict) != 0) sb.Append('e');
        if ((f & ClientFlags.NoTouch) != 0) sb.Append('T');
        return sb.Length == 0 ? "N" : sb.ToString();
    }

    /// <summary>What logs say about a client: "id=3 addr=127.0.0.1:50000 laddr=… fd=8 name= …", the full line as Redis.</summary>
    public static string Describe(Client c) => c.IsFreed ? $"id={c.Id}" : Line(c);

    /// <summary>sdscatrepr-like: printable bytes as they are, others escaped (or as '.' for the protocol error log).</summary>
    public static string Repr(ReadOnlySpan<byte> bytes, bool dotNonPrintable = false)
    {
        var sb = new StringBuilder(bytes.Length + 8);
        foreach (byte b in bytes)
        {
            if (b >= 32 && b < 127) sb.Append((char)b);
            else if (dotNonPrintable) sb.Append('.');
            else sb.Append(b switch { (byte)'\n' => "\\n", (byte)'\r' => "\\r", (byte)'\t' => "\\t", _ => $"\\x{b:x2}" });
        }
        return sb.ToString();
    }
}
