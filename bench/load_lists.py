#!/usr/bin/env python3
"""RESP RPUSH commands for N lists (list:0000000001 ...) of M elements each, for redis-cli --pipe.
usage: load_lists.py N M [ELEMENT_SIZE]   (elements "e" * size, or the integers 0..M-1 when ELEMENT_SIZE is 0)"""
import sys
n, m = int(sys.argv[1]), int(sys.argv[2])
size = int(sys.argv[3]) if len(sys.argv) > 3 else 5
elements = [str(j).encode() if size == 0 else (b"e%d" % j).ljust(size, b"x") for j in range(m)]
body = b"".join(b"$%d\r\n%s\r\n" % (len(e), e) for e in elements)
head = b"*%d\r\n$5\r\nRPUSH\r\n" % (m + 2)
out = sys.stdout.buffer
chunk = []
for i in range(1, n + 1):
    key = b"list:%010d" % i
    chunk.append(head + b"$%d\r\n%s\r\n" % (len(key), key) + body)
    if len(chunk) == 10000:
        out.write(b"".join(chunk)); chunk = []
out.write(b"".join(chunk))
