"""The blocking RESP connection bench's Python clients share (crash_writer.py, sentinel_writer.py)."""
import socket


def resp(*args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = str(a).encode()
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    return out


def connect(port):
    """The socket and a reader of one reply: arrays as lists, bulks as str (None for nil), integers as int,
    errors as Exception values (returned, not raised), simple strings as str."""
    sock = socket.create_connection(("127.0.0.1", port))
    reader = sock.makefile("rb")

    def read_reply():
        line = reader.readline()
        if not line: raise ConnectionError
        kind, rest = line[:1], line[1:].strip()
        if kind == b"*": return [read_reply() for _ in range(int(rest))]
        if kind == b"$":
            n = int(rest)
            return None if n < 0 else reader.read(n + 2)[:-2].decode()
        if kind == b":": return int(rest)
        if kind == b"-": return Exception(rest.decode())
        return rest.decode()

    return sock, read_reply
