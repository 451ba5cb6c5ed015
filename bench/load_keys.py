#!/usr/bin/env python3
"""RESP SET commands for N keys (key:0000000001 ...) with a fixed-size value, for redis-cli --pipe."""
import sys
n, size = int(sys.argv[1]), int(sys.argv[2])
value = b"v" * size
out = sys.stdout.buffer
chunk = []
for i in range(1, n + 1):
    key = b"key:%010d" % i
    chunk.append(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(key), key, size, value))
    if len(chunk) == 10000:
        out.write(b"".join(chunk)); chunk = []
out.write(b"".join(chunk))
