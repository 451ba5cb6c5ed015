#!/usr/bin/env python3
"""The client of bench/crash.sh.
  crash_writer.py PORT write            from one connection, one transaction at a time, MULTI /
                                        SET a:N N / SET b:N N / INCR counter / EXEC, printing N
                                        (flushed) after each EXEC's reply: the acknowledged writes.
                                        Runs until the connection drops.
  crash_writer.py PORT check ACKED POLICY   after the restart: the surviving transactions must be
                                        0..counter-1 with no hole, each whole (a:N iff b:N); under
                                        "always" none acknowledged may be missing. Prints
                                        "ok LOST" or "fail REASON"."""
import sys
from resp_link import connect, resp

sock, read_reply = connect(int(sys.argv[1]))

def call(*args):
    sock.sendall(resp(*args))
    return read_reply()

if sys.argv[2] == "write":
    n = 0
    try:
        while True:
            sock.sendall(resp("MULTI") + resp("SET", "a:%d" % n, n) + resp("SET", "b:%d" % n, n) + resp("INCR", "counter") + resp("EXEC"))
            for _ in range(4): read_reply()
            if not isinstance(read_reply(), list): sys.exit("EXEC failed")
            print(n, flush=True)
            n += 1
    except (ConnectionError, BrokenPipeError, ConnectionResetError):
        pass
else:
    acked, policy = int(sys.argv[3]), sys.argv[4]
    counter = int(call("GET", "counter") or 0)
    for n in range(counter):
        if call("EXISTS", "a:%d" % n) != 1 or call("EXISTS", "b:%d" % n) != 1:
            sys.exit(print("fail hole-or-half at %d of %d" % (n, counter)))
    if call("EXISTS", "a:%d" % counter) or call("EXISTS", "b:%d" % counter):
        sys.exit(print("fail a transaction beyond counter %d" % counter))
    lost = max(0, acked + 1 - counter)
    if policy == "always" and lost > 0:
        sys.exit(print("fail lost %d acknowledged (counter %d, acked up to %d)" % (lost, counter, acked)))
    print("ok %d" % lost)
