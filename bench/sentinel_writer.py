#!/usr/bin/env python3
"""The client of bench/sentinel-failover.sh.
  sentinel_writer.py PORT write PREFIX   from one connection: SET PREFIX:N N, then WAIT 1 1000; N is
                                         printed (flushed) only when WAIT counted a replica: the
                                         acknowledged writes. Runs until the connection drops.
  sentinel_writer.py PORT check FILE...  the keys FILE's lines name (PREFIX N per line), each looked up
                                         on PORT: prints the number missing (acknowledged writes lost)."""
import sys
from resp_link import connect, resp

sock, read_reply = connect(int(sys.argv[1]))

if sys.argv[2] == "write":
    prefix, n = sys.argv[3], 0
    try:
        while True:
            sock.sendall(resp("SET", "%s:%d" % (prefix, n), n) + resp("WAIT", 1, 1000))
            if read_reply() != "OK": break
            if isinstance(acked := read_reply(), int) and acked >= 1: print(prefix, n, flush=True)
            n += 1
    except (ConnectionError, BrokenPipeError, ConnectionResetError):
        pass
else:
    keys = [line.split() for f in sys.argv[3:] for line in open(f) if line.strip()]
    # Pipelined GETs, in batches.
    missing = 0
    for i in range(0, len(keys), 1000):
        batch = keys[i:i + 1000]
        sock.sendall(b"".join(resp("GET", "%s:%s" % (p, n)) for p, n in batch))
        missing += sum(read_reply() != n for p, n in batch)
    print(missing)
