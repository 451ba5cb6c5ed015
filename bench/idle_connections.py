#!/usr/bin/env python3
"""RSS per idle connection: open N connections that each send one PING, measure the server's RSS growth."""
import resource, socket, sys, time

def rss(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")

def main():
    port, pid, n = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, n + 1000), hard))
    # Warm the server up first so one-time costs do not count against connections.
    warm = [socket.create_connection(("127.0.0.1", port)) for _ in range(50)]
    for s in warm:
        s.sendall(b"PING\r\n"); s.recv(16)
    time.sleep(1.0)
    before = rss(pid)
    socks = []
    for _ in range(n):
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(b"PING\r\n")
        socks.append(s)
    for s in socks:
        if s.recv(16) != b"+PONG\r\n":
            raise RuntimeError("bad reply")
    time.sleep(2.0)
    after = rss(pid)
    print((after - before) / n)
    for s in socks + warm:
        s.close()

main()
