using System.Buffers;
using System.Text;
using Vermilion.Protocol;
using Vermilion.Server;
using Vermilion.Storage;

namespace Vermilion.Commands;

/// <summary>
/// MIGRATE (cluster.c migrateCommand): DUMP on this side, RESTORE on the target, DEL here on
/// success. A part of the dump family: the payload is DUMP's (<see cref="TryWritePayload"/>).
/// </summary>
public static partial class DumpCommands
{
    /// <summary>syncWrite's chunk: the request goes out in pieces of at most 64 KB, each with the whole timeout.</summary>
    const int MigrateWriteChunk = 64 * 1024;

    /// <summary>
    /// MIGRATE host port key|"" destination-db timeout [COPY] [REPLACE] [AUTH password]
    /// [AUTH2 username password] [KEYS key ...]. The connect, the writes and the reads block the
    /// event loop for up to the timeout each, as in Redis: no other client is served meanwhile.
    /// A connection that fails before anything was acknowledged (the cached one was closed by
    /// the target, typically) is reopened and tried once more, unless the failure was a timeout.
    /// </summary>
    [Command("migrate", GetKeys = nameof(MigrateGetKeys))]
    static void Migrate(Client c, CommandArgs a)
    {
        var server = c.Server;
        // Only the keys the target acknowledged are modified (signalled below as they are deleted).
        server.SignalsOwnKeys();
        bool copy = false, replace = false;
        int usernameArg = -1, passwordArg = -1;
        int firstKey = 3, keyCount = 1;
        for (int j = 6; j < a.Count; j++)
        {
            int more = a.Count - 1 - j;
            if (a.Is(j, "copy")) copy = true;
            else if (a.Is(j, "replace")) replace = true;
            else if (a.Is(j, "auth"))
            {
                if (more == 0)
                {
                    c.Reply.Error("syntax error");
                    return;
                }
                passwordArg = ++j;
            }
            else if (a.Is(j, "auth2"))
            {
                if (more < 2)
                {
                    c.Reply.Error("syntax error");
                    return;
                }
                usernameArg = ++j;
                passwordArg = ++j;
            }
            else if (a.Is(j, "keys"))
            {
                if (a.Length(3) != 0)
                {
                    c.Reply.Error("When using MIGRATE KEYS option, the key argument must be set to the empty string");
                    return;
                }
                firstKey = j + 1;
                keyCount = a.Count - j - 1;
                break;
            }
            else
            {
                c.Reply.Error("syntax error");
                return;
            }
        }
        if (!LongArgument.Parse(c, a[5], out long timeout) || !LongArgument.Parse(c, a[4], out long dbid)) return;
        if (timeout <= 0) timeout = 1000;

        // Keys that are here (a read lookup each, as Redis's); none at all is not an error.
        var keys = new List<int>(keyCount);
        var entries = new List<int>(keyCount);
        for (int j = firstKey; j < firstKey + keyCount; j++)
        {
            int entry = server.LookupKeyRead(c.Db, a[j]);
            if (entry < 0) continue;
            keys.Add(j);
            entries.Add(entry);
        }
        if (keys.Count == 0)
        {
            c.Reply.Simple("NOKEY");
            return;
        }

        for (bool mayRetry = true; ; mayRetry = false)
        {
            var cached = server.MigrateSockets.Get(a[1], a[2], timeout, server.UnixTime);
            if (cached is null)
            {
                c.Reply.Error("-IOERR error or timeout connecting to the client");
                return;
            }
            var connection = cached.Connection;

            var request = new ArrayBufferWriter<byte>();
            if (passwordArg >= 0)
            {
                RequestWriter.ArrayHeader(request, usernameArg >= 0 ? 3 : 2);
                RequestWriter.Bulk(request, "AUTH"u8);
                if (usernameArg >= 0) RequestWriter.Bulk(request, a[usernameArg]);
                RequestWriter.Bulk(request, a[passwordArg]);
            }
            bool select = cached.LastDb != dbid;
            if (select)
            {
                RequestWriter.ArrayHeader(request, 2);
                RequestWriter.Bulk(request, "SELECT"u8);
                RequestWriter.Bulk(request, dbid);
            }
            // A key that expired since the lookup is left out (serializing a big key takes time).
            var sent = new List<int>(keys.Count);
            long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            for (int i = 0; i < keys.Count; i++)
            {
                var key = a[keys[i]];
                long ttl = 0, expireAt = c.Db.GetExpire(key);
                if (expireAt != -1)
                {
                    ttl = expireAt - now;
                    if (ttl < 0) continue;
                    if (ttl < 1) ttl = 1;
                }
                var writer = server.Serializer;
                if (!TryWritePayload(writer, c.Db.Keys, entries[i]))
                {
                    c.Reply.Error("DUMP does not support this type yet");
                    return;
                }
                sent.Add(keys[i]);
                // migrateCommand: RESTORE-ASKING in cluster mode, so a target importing the slot takes it.
                RequestWriter.ArrayHeader(request, replace ? 5 : 4);
                RequestWriter.Bulk(request, server.Cluster is not null ? "RESTORE-ASKING"u8 : "RESTORE"u8);
                RequestWriter.Bulk(request, key);
                RequestWriter.Bulk(request, ttl);
                RequestWriter.Bulk(request, writer.Written);
                writer.Reset();
                if (replace) RequestWriter.Bulk(request, "REPLACE"u8);
            }

            bool writeError = false;
            var pending = request.WrittenSpan;
            while (pending.Length > 0)
            {
                var chunk = pending[..Math.Min(pending.Length, MigrateWriteChunk)];
                if (!connection.Write(chunk, timeout))
                {
                    writeError = true;
                    break;
                }
                pending = pending[chunk.Length..];
            }

            byte[]? authReply = null, selectReply = null;
            bool socketError = writeError
                || (passwordArg >= 0 && (authReply = connection.ReadLine(timeout)) is null)
                || (select && (selectReply = connection.ReadLine(timeout)) is null);
            if (!socketError)
            {
                bool errorFromTarget = false;
                int acknowledged = 0;
                List<int>? deleted = null;
                for (; acknowledged < sent.Count; acknowledged++)
                {
                    var restoreReply = connection.ReadLine(timeout);
                    if (restoreReply is null)
                    {
                        socketError = true;
                        break;
                    }
                    var error = IsError(authReply) ? authReply : IsError(selectReply) ? selectReply : IsError(restoreReply) ? restoreReply : null;
                    if (error is not null)
                    {
                        // Only the first error is replied; the db the target has selected is no longer known.
                        if (!errorFromTarget)
                        {
                            cached.LastDb = -1;
                            errorFromTarget = true;
                            c.Reply.Error("Target instance replied with error: " + Encoding.Latin1.GetString(error.AsSpan(1)));
                        }
                    }
                    else if (!copy)
                    {
                        var key = a[sent[acknowledged]];
                        server.DeleteKey(c.Db, key);
                        server.SignalModifiedKey(c, key);
                        server.Dirty++;
                        (deleted ??= new()).Add(sent[acknowledged]);
                    }
                }
                // Propagated as a DEL of the keys the target acknowledged (none: nothing changed here).
                if (deleted is not null && server.Propagating)
                {
                    var effect = server.Rewrite(c, deleted.Count + 1).Arg("DEL"u8);
                    foreach (int i in deleted) effect = effect.Arg(a[i]);
                }
                // A socket error before any reply (and not a timeout) goes to the one retry below.
                bool retry = !errorFromTarget && socketError && acknowledged == 0 && mayRetry && !connection.TimedOut;
                if (!retry)
                {
                    if (socketError) server.MigrateSockets.Close(a[1], a[2]);
                    if (errorFromTarget) return;
                    if (!socketError)
                    {
                        cached.LastDb = dbid;
                        c.Reply.Ok();
                        return;
                    }
                    c.Reply.Error("-IOERR error or timeout reading to target instance");
                    return;
                }
            }

            // socket_err: drop the connection; retry once unless it was a timeout.
            server.MigrateSockets.Close(a[1], a[2]);
            if (mayRetry && !connection.TimedOut) continue;
            c.Reply.Error($"-IOERR error or timeout {(writeError ? "writing" : "reading")} to target instance");
            return;
        }
    }

    /// <summary>
    /// migrateGetKeys: the key argument, or the keys after KEYS (whose key argument must be "";
    /// otherwise none, and MIGRATE itself replies the error). Options are skipped with their values.
    /// </summary>
    static bool MigrateGetKeys(Argv argv, List<KeyReference> keys)
    {
        int first = 3, count = 1;
        for (int i = 6; i < argv.Count; i++)
        {
            if (Ascii.EqualsIgnoreCase(argv[i], "keys"u8))
            {
                if (argv[3].Length > 0) count = 0;
                else
                {
                    first = i + 1;
                    count = argv.Count - first;
                }
                break;
            }
            if (Ascii.EqualsIgnoreCase(argv[i], "auth"u8)) i += 1;
            else if (Ascii.EqualsIgnoreCase(argv[i], "auth2"u8)) i += 2;
        }
        for (int i = 0; i < count; i++) keys.Add(new KeyReference(first + i, KeySpecFlags.RW | KeySpecFlags.Access | KeySpecFlags.Delete));
        return count > 0;
    }

    static bool IsError(byte[]? line) => line is not null && line.Length > 0 && line[0] == '-';
}
