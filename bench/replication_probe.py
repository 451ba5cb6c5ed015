#!/usr/bin/env python3
"""Timings of bench/replication.sh that need INFO polled every few milliseconds (a redis-cli per
poll costs more than the 5 ms between polls):
  sync PRIMARY_PORT REPLICA_PORT    REPLICAOF on the replica, then seconds until master_link_status:up
  relink REPLICA_PORT               CLIENT KILL TYPE master on the replica, then seconds until the link is up again
  lag PRIMARY_PORT REPLICA_PORT     samples master_repl_offset (primary) - slave_repl_offset (replica) until
                                    SIGUSR1 (the load is over), then up to 1 s more until it is 0;
                                    prints "max avg samples settle_ms" (settle_ms -1: not 0 within 1 s)
"""
import signal, socket, sys, time

POLL = 0.005


class Conn:
    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port))
        self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.f = self.s.makefile("rb")

    def call(self, *args):
        out = b"*%d\r\n" % len(args)
        for a in args:
            a = a.encode() if isinstance(a, str) else a
            out += b"$%d\r\n%s\r\n" % (len(a), a)
        self.s.sendall(out)
        return self.reply()

    def reply(self):
        line = self.f.readline()
        kind, rest = line[:1], line[1:-2]
        if kind == b"$":
            n = int(rest)
            return None if n < 0 else self.f.read(n + 2)[:-2].decode()
        if kind == b"-":
            raise RuntimeError(rest.decode())
        if kind == b":":
            return int(rest)
        return rest.decode()

    def info(self, section="replication"):
        return dict(l.split(":", 1) for l in self.call("INFO", section).splitlines() if ":" in l)


def link_up(c):
    return c.info().get("master_link_status") == "up"


def wait_up(c, t0, limit=300):
    while time.monotonic() - t0 < limit:
        if link_up(c):
            return time.monotonic() - t0
        time.sleep(POLL)
    raise SystemExit("link not up after %d s" % limit)


def main():
    mode = sys.argv[1]
    if mode == "sync":
        primary, replica = sys.argv[2], Conn(int(sys.argv[3]))
        t0 = time.monotonic()
        replica.call("REPLICAOF", "127.0.0.1", primary)
        print("%.4f" % wait_up(replica, t0))
    elif mode == "relink":
        replica = Conn(int(sys.argv[2]))
        t0 = time.monotonic()
        replica.call("CLIENT", "KILL", "TYPE", "master")
        print("%.4f" % wait_up(replica, t0))
    elif mode == "lag":
        primary, replica = Conn(int(sys.argv[2])), Conn(int(sys.argv[3]))
        done = []
        signal.signal(signal.SIGUSR1, lambda *_: done.append(time.monotonic()))
        lags = []

        def lag():
            # The replica first: with writes going on the primary's offset read after it is the larger,
            # so a sample is never below the true lag (it may be above it by the bytes written between the two reads).
            r = int(replica.info()["slave_repl_offset"])
            return int(primary.info()["master_repl_offset"]) - r

        while not done:
            lags.append(lag())
            time.sleep(POLL)
        settle = -1
        while time.monotonic() - done[0] < 1.0:
            if lag() == 0:
                settle = (time.monotonic() - done[0]) * 1e3
                break
            time.sleep(POLL)
        print(max(lags), round(sum(lags) / len(lags)), len(lags), round(settle, 1))


main()
