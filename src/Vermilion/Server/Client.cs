using System.Text;
using Vermilion.Commands;
using Vermilion.Net;
using Vermilion.Protocol;
using Vermilion.Storage;

namespace Vermilion.Server;

[Flags]
public enum ClientFlags
{
    None = 0,
    CloseAfterReply = 1 << 0,
    CloseAsap = 1 << 1,
    UnixSocket = 1 << 2,
    PendingWrite = 1 << 3,
    ProtocolError = 1 << 4,
    ReplyOff = 1 << 5,
    ReplySkipNext = 1 << 6,
    ReplySkip = 1 << 7,
    NoEvict = 1 << 8,
    NoTouch = 1 << 9,
    /// <summary>Postponed by CLIENT PAUSE (Redis's BLOCKED_POSTPONE): shown as 'b', counted in blocked_clients.</summary>
    Blocked = 1 << 10,
    /// <summary>Freed; anything still holding the client must let go.</summary>
    Freed = 1 << 11,
    /// <summary>Inside MULTI: commands are queued ('x' in CLIENT LIST).</summary>
    Multi = 1 << 12,
    /// <summary>A watched key changed: EXEC will answer a null array ('d').</summary>
    DirtyCas = 1 << 13,
    /// <summary>EXEC is running the queue: blocking commands must not block.</summary>
    InExec = 1 << 14,
    /// <summary>In MONITOR mode ('O'): receives every command as a line; may not touch the keyspace.</summary>
    Monitor = 1 << 15,
    /// <summary>CLIENT_DENY_BLOCKING: a blocking command answers at once (the AOF's replay client).</summary>
    DenyBlocking = 1 << 16,
    /// <summary>CLIENT_PROTECTED: its command blocks while events are served (DEBUG RELOAD's load); no socket events, freed only afterwards.</summary>
    Protected = 1 << 17,
    /// <summary>CLIENT_SLAVE: a replica (or SYNC reader) attached to this primary; gets the replication stream, no replies ('S').</summary>
    Replica = 1 << 18,
    /// <summary>CLIENT_MASTER: this replica's link to its primary ('M'); its commands are obeyed, never answered.</summary>
    Master = 1 << 19,
    /// <summary>CLIENT_SCRIPT: the client a script's redis.call runs on (MONITOR shows its commands as from "lua").</summary>
    Script = 1 << 20,
    /// <summary>CLIENT_ASKING (cluster): the next command may touch a slot this node is importing (not shown in CLIENT LIST).</summary>
    Asking = 1 << 21,
    /// <summary>CLIENT_READONLY (cluster): reads of the master's slots are served by this replica ('r').</summary>
    ReadOnly = 1 << 22,
}

/// <summary>
/// A connected client and its part of the network path (Redis's client struct plus
/// networking.c): reading the socket into a query buffer, turning buffered bytes into
/// commands, writing replies back. Buffers are leased from the server's pool only while bytes
/// are in flight, so an idle client is this object, its connection and its reply writer.
/// </summary>
public sealed class Client : IConnectionHandler
{
    /// <summary>NET_MAX_WRITES_PER_EVENT: bytes written to one client per pass before others get a turn.</summary>
    public const int MaxWritesPerEvent = 64 * 1024;

    public readonly VermilionServer Server;
    public Connection? Conn { get; private set; }
    public long Id { get; }
    public string? Name;
    public int DbIndex;
    public Db Db;
    public ClientFlags Flags;
    public long CreatedUnixMs;
    /// <summary>Seconds since the Unix epoch of the last successful read or write (Redis's lastinteraction).</summary>
    public long LastInteraction;
    public readonly ReplyWriter Reply;
    public CommandDef? LastCommand;
    /// <summary>The user the client runs as (null: an internal client, allowed everything), and whether it authenticated (or needed not).</summary>
    public Vermilion.Security.AclUser? User;
    public bool Authenticated;
    public string? LibName, LibVersion;
    /// <summary>When the output list first went over the soft limit (0 = not over).</summary>
    public long SoftLimitReachedAt;

    // Query buffer: unread bytes are [QueryPos, QueryLen). NeedBytes is how many unread bytes
    // the request at QueryPos needs before parsing it again is worthwhile.
    byte[]? _query;
    int _queryPos, _queryLen;
    long _needBytes;
    // The last read filled all the room it had: more was waiting, so the next reads go into a
    // 64 KB buffer (Redis reads all of a grown query buffer at once; measured at -P 128 with
    // 256-byte values: 3 reads per batch of 16 KB, 1.5x Redis's read calls).
    bool _readLarge;
    public int QueryPeak;

    // Links in the server's client list, in creation order (CLIENT LIST order).
    internal Client? Prev, Next;

    public int Resp => Reply.Resp;
    public bool IsUnixSocket => (Flags & ClientFlags.UnixSocket) != 0;
    public bool IsFreed => (Flags & ClientFlags.Freed) != 0;
    /// <summary>CLIENT LIST qbuf: unread query bytes, which include the command being executed.</summary>
    public int QueryBufferLength => _queryLen - _queryPos;
    public int QueryBufferFree => _query is null ? 0 : _query.Length - _queryLen;

    internal Client(VermilionServer server, Connection? conn, long id)
    {
        Server = server;
        Conn = conn;
        Id = id;
        Db = server.Databases[0];
        Reply = new ReplyWriter(server.Pool, server.Stats);
        CreatedUnixMs = server.UnixTimeMs;
        LastInteraction = server.UnixTime;
        // createClient: a connection starts as the default user, authenticated when that user is on and nopass.
        // Internal clients (AOF replay, scripts) have no user and are never checked, as Redis's user NULL.
        Authenticated = true;
        if (conn is not null)
        {
            User = server.Acl.DefaultUser;
            Authenticated = server.Acl.NewClientsAuthenticated;
            conn.Handler = this;
        }
    }

    public void SelectDb(int index)
    {
        DbIndex = index;
        Db = Server.Databases[index];
    }

    void IConnectionHandler.OnReadable(Connection conn) => ReadQueryFromClient();
    void IConnectionHandler.OnWritable(Connection conn) => WriteToClient(handlerInstalled: true);
    void IConnectionHandler.OnAccepted(Connection conn) => Server.ClientAccepted(this);

    /// <summary>readQueryFromClient: one read into the query buffer, then run every complete request in it.</summary>
    public void ReadQueryFromClient()
    {
        var conn = Conn;
        if (conn is null) return;
        Server.Stats.ReadsProcessed++;
        PrepareQueryBuffer();
        var free = _query.AsSpan(_queryLen);
        // An inline request in progress is read PROTO_IOBUF_LEN (16 KB) at a time, as Redis reads:
        // its 64 KB limit is on what is buffered without a newline, so the read size decides where
        // a long line stops being accepted (lines ending within 80 KB run, as in Redis).
        if (_queryLen > _queryPos && _query![_queryPos] != (byte)'*' && free.Length > BufferPool.ChunkSize) free = free[..BufferPool.ChunkSize];
        int n = conn.Read(free);
        if (n == free.Length) _readLarge = true;
        else if (n < BufferPool.ChunkSize / 4) _readLarge = false;
        if (n < 0)
        {
            if (conn.State == ConnectionState.Connected) { ReleaseQueryBufferIfEmpty(); return; }
            if (Server.Log.Enabled(LogLevel.Verbose)) Server.Log.Verbose("Reading from client: " + conn.LastError);
            Server.FreeClient(this);
            return;
        }
        if (n == 0)
        {
            if (Server.Log.Enabled(LogLevel.Verbose)) Server.Log.Verbose("Client closed connection " + ClientInfo.Describe(this));
            Server.FreeClient(this);
            return;
        }
        _queryLen += n;
        if (_queryLen - _queryPos > QueryPeak) QueryPeak = _queryLen - _queryPos;
        LastInteraction = Server.UnixTime;
        Server.Stats.NetInputBytes += n;
        if (_queryLen - _queryPos > Server.Config.ClientQueryBufferLimit)
        {
            Server.Log.Warning($"Closing client that reached max query buffer length: {ClientInfo.Describe(this)} (qbuf initial bytes: {ClientInfo.Repr(_query.AsSpan(_queryPos, Math.Min(64, _queryLen - _queryPos)))})");
            Server.FreeClient(this);
            return;
        }
        ProcessPendingInput();
    }

    /// <summary>Bytes that arrived for this client before its connection joined the loop (a replica's link: what followed the snapshot).</summary>
    internal void Receive(ReadOnlySpan<byte> bytes)
    {
        _needBytes = Math.Max(_needBytes, (_query is null ? 0 : _queryLen - _queryPos) + bytes.Length);
        PrepareQueryBuffer();
        bytes.CopyTo(_query.AsSpan(_queryLen));
        _queryLen += bytes.Length;
        _needBytes = 0;
        ProcessPendingInput();
    }

    /// <summary>Runs what the query buffer holds, then lets go of what the client no longer needs.</summary>
    internal void ProcessPendingInput()
    {
        ProcessInputBuffer();
        // Redis frees a close-ASAP client right after its read (beforeNextClient), so a slot it
        // held under maxclients is free for a connection accepted in the same loop turn.
        if ((Flags & ClientFlags.CloseAsap) != 0) Server.FreeClient(this);
        else ReleaseQueryBufferIfEmpty();
    }

    /// <summary>Makes room to read: lease a buffer, move unread bytes to the front, grow for a large argument.</summary>
    void PrepareQueryBuffer()
    {
        var pool = Server.Pool;
        long need = Math.Max(_needBytes, _readLarge ? BufferPool.LargeChunkSize : BufferPool.ChunkSize);
        if (_query is null)
        {
            _query = pool.Rent((int)Math.Min(need, int.MaxValue - 64));
            _queryPos = _queryLen = 0;
            return;
        }
        int unread = _queryLen - _queryPos;
        if (_queryPos > 0)
        {
            Buffer.BlockCopy(_query, _queryPos, _query, 0, unread);
            _queryPos = 0;
            _queryLen = unread;
        }
        // Room left, unless a client reading large has little of it in a small buffer.
        if (_queryLen < _query.Length && _needBytes <= _query.Length
            && (!_readLarge || _query.Length >= BufferPool.LargeChunkSize || _query.Length - _queryLen >= BufferPool.ChunkSize / 2)) return;
        // Full, or the request being read needs more than fits: grow to what it needs, at least
        // double (a small buffer becomes a pooled large one).
        long size = Math.Max(_needBytes, (long)_query.Length * 2);
        if (size <= BufferPool.LargeChunkSize) size = BufferPool.LargeChunkSize;
        var bigger = pool.Rent((int)Math.Min(size, Array.MaxLength));
        Buffer.BlockCopy(_query, 0, bigger, 0, _queryLen);
        pool.Return(_query);
        _query = bigger;
    }

    void ReleaseQueryBufferIfEmpty()
    {
        if (_query is not null && _queryPos == _queryLen)
        {
            Server.Pool.Return(_query);
            _query = null;
            _queryPos = _queryLen = 0;
            _needBytes = 0;
        }
    }

    /// <summary>processInputBuffer: parse and execute complete requests until the buffer runs dry or the client must stop.</summary>
    public void ProcessInputBuffer()
    {
        var server = Server;
        // A client served while another's command runs (ProcessEventsWhileBlocked) parses into
        // arguments of its own (server.Args is swapped), never into the outer client's batch.
        var batch = server.Batch;
        bool batching = batch.Owner is null;
        var single = server.Args;
        if (batching) batch.Owner = this;
        server.StartCommandClock();
        try
        {
            while (_queryPos < _queryLen)
            {
                if ((Flags & (ClientFlags.CloseAfterReply | ClientFlags.CloseAsap | ClientFlags.Blocked | ClientFlags.Master)) != 0 && StopsReading()) break;
                if (_needBytes > _queryLen - _queryPos) break;
                if (batching && batch.Next == batch.Count && _queryLen - _queryPos >= PipelineBatch.MinBytes)
                {
                    batch.Fill(this, _query!, _queryPos, _queryLen);
                    server.RefreshPlainDispatch();
                }
                if (batching && batch.Next < batch.Count && server.PlainDispatch)
                {
                    server.BatchedArgs = true;
                    int ran = server.RunPlainRequests(this, batch);
                    if (ran > 0)
                    {
                        _needBytes = 0;
                        _queryPos += ran;
                        if (IsFreed) return;
                        continue;
                    }
                }
                CommandArgs args;
                int consumed;
                if (batch.Next < batch.Count && batching)
                {
                    (args, consumed) = batch.Take(this);
                    // What an earlier incomplete read of this request asked for is there now.
                    _needBytes = 0;
                    server.BatchedArgs = true;
                }
                else
                {
                    var reader = new RespRequestReader(_query!, _queryPos, _queryLen, server.Config.ProtoMaxBulkLen, !Authenticated && server.Acl.DefaultUserNeedsAuth);
                    var status = reader.Read(single, _query!);
                    if (status == ParseStatus.Incomplete)
                    {
                        _needBytes = reader.BytesNeeded;
                        break;
                    }
                    _needBytes = 0;
                    if (status == ParseStatus.Error)
                    {
                        SetProtocolError(reader.Error!);
                        break;
                    }
                    args = single;
                    consumed = reader.Consumed;
                    server.BatchedArgs = false;
                }
                if (args.Count > 0 && !server.Call(this, args)) break; // postponed by CLIENT PAUSE
                _queryPos += consumed;
                if (IsFreed) return;
                // The primary's stream: each command's exact bytes are the replication offset and what this server passes on.
                if ((Flags & ClientFlags.Master) != 0) server.PrimaryLink.Applied(_query.AsSpan(_queryPos - consumed, consumed));
                if (Reply.ListNodes > 0) server.CheckOutputBufferLimits(this, async: true);
            }
        }
        finally
        {
            // The batch holds offsets into this query buffer: it never outlives this pass, nor
            // does a timed run of its commands (their arguments are the batch's).
            if (batching)
            {
                server.BatchedArgs = false;
                server.PlainDispatch = false;
                if (server.TimedRunOpen) server.EndTimedRun();
                batch.Release();
            }
        }
        AfterCommands();
    }

    /// <summary>
    /// Whether the next request waits: the client is closing or blocked, or it is the primary's link while a
    /// script is busy (its stream is not answered -BUSY as others are: it waits, and beforeSleep resumes it).
    /// </summary>
    bool StopsReading()
    {
        if ((Flags & (ClientFlags.CloseAfterReply | ClientFlags.CloseAsap | ClientFlags.Blocked)) != 0) return true;
        if (!Server.ScriptTimedOut) return false;
        Server.PrimaryLink.InputHeld = true;
        return true;
    }

    /// <summary>Queues the client for the before-sleep write pass, or closes it if it asked to close and has nothing to send.</summary>
    internal void AfterCommands()
    {
        if (IsFreed) return;
        if (Reply.HasPending)
        {
            if ((Flags & ClientFlags.PendingWrite) == 0 && (Flags & ClientFlags.CloseAsap) == 0)
            {
                Flags |= ClientFlags.PendingWrite;
                Server.PendingWrites.Add(this);
            }
        }
        else if ((Flags & ClientFlags.CloseAfterReply) != 0) Server.FreeClientAsync(this);
    }

    /// <summary>setProtocolError: reply with the error, drop the rest of the input, close once the reply is out.</summary>
    void SetProtocolError(string error)
    {
        if (Server.Log.Enabled(LogLevel.Verbose))
            Server.Log.Verbose($"Protocol error ({error.Replace("Protocol error: ", "")}) from client: {ClientInfo.Describe(this)}. Query buffer during protocol error: '{ClientInfo.Repr(_query.AsSpan(_queryPos, Math.Min(128, _queryLen - _queryPos)), dotNonPrintable: true)}'");
        Reply.Error(error);
        Flags |= ClientFlags.CloseAfterReply | ClientFlags.ProtocolError;
        Reply.Muted = true;
        _queryPos = _queryLen;
    }

    /// <summary>writeToClient: write what is pending, up to NET_MAX_WRITES_PER_EVENT, and react to the socket's state.</summary>
    public void WriteToClient(bool handlerInstalled)
    {
        var conn = Conn;
        if (conn is null) return;
        Server.Stats.WritesProcessed++;
        long total = 0;
        int n = 0;
        while (Reply.HasPending)
        {
            n = conn.Write(Reply.Pending);
            if (n <= 0) break;
            Reply.Consume(n);
            total += n;
            if (total > MaxWritesPerEvent) break;
        }
        Server.Stats.NetOutputBytes += total;
        if (n < 0 && conn.State != ConnectionState.Connected)
        {
            if (Server.Log.Enabled(LogLevel.Verbose)) Server.Log.Verbose("Error writing to client: " + conn.LastError);
            Server.FreeClientAsync(this);
            return;
        }
        if (total > 0) LastInteraction = Server.UnixTime;
        if (!Reply.HasPending)
        {
            if (handlerInstalled) conn.SetWriteHandler(Server.Loop, false);
            if ((Flags & ClientFlags.CloseAfterReply) != 0) Server.FreeClientAsync(this);
        }
    }

    /// <summary>Releases the connection and every leased buffer; the server calls this once, from FreeClient.</summary>
    internal void Release()
    {
        Flags |= ClientFlags.Freed;
        Conn?.Close();
        Conn = null;
        Reply.Discard();
        if (_query is not null)
        {
            Server.Pool.Return(_query);
            _query = null;
        }
        _queryPos = _queryLen = 0;
    }

    /// <summary>Reply bytes counted against client-output-buffer-limit: the list nodes, not the first buffer (as Redis).</summary>
    public long OutputBufferUsage => Reply.ListBytes;

    /// <summary>getClientType: a client with any subscription is in the pubsub class (output buffer limits).</summary>
    public ClientClass Class => (Flags & ClientFlags.Replica) != 0 ? ClientClass.Replica : Subscriptions is not null ? ClientClass.PubSub : ClientClass.Normal;

    /// <summary>The replica's side of the link, once it sent SYNC/PSYNC or REPLCONF (Replication/).</summary>
    public Replication.ReplicaLink? Replica;
    /// <summary>c->woff: master_repl_offset after this client's last write (what WAIT waits for).</summary>
    public long WriteOffset;

    /// <summary>Channels, patterns and shard channels this client listens to; null when none.</summary>
    public Subscriptions? Subscriptions;
    /// <summary>The transaction being queued (MULTI), or null.</summary>
    public MultiState? Multi;
    /// <summary>Keys WATCHed for the next EXEC, or null.</summary>
    public List<WatchedKey>? Watched;
    /// <summary>CLIENT TRACKING settings, or null when off.</summary>
    public TrackingState? Tracking;

    public string NameOrEmpty => Name ?? "";

    /// <summary>getClientPeerId: "ip:port", or "path:0" from the unix socket (slow log entries and MONITOR lines show it); asked of the socket once, as Redis caches it.</summary>
    public string PeerId => _peerId ??= Conn is { } conn ? conn.Type.PeerAddress(conn, Server) : "";
    string? _peerId;

    /// <summary>Microseconds the command that blocked took on its first call (Redis's c->duration), added when it is served.</summary>
    public long BlockedCommandUs;

    internal static byte[] Ascii(string s) => Encoding.ASCII.GetBytes(s);
}
