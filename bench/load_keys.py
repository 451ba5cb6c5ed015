#!/usr/bin/env python3
"""RESP SET commands for N keys (key:0000000001 ...) with a fixed-size value, for redis-cli --pipe.
usage: load_keys.py N VALUE_SIZE [TTL_SECONDS]   (with a TTL, each SET carries EX TTL)"""
import sys
n, size = int(sys.argv[1]), int(sys.argv[2])
ttl = int(sys.argv[3]) if len(sys.argv) > 3 else 0
value = b"v" * size
tail = b"$2\r\nEX\r\n$%d\r\n%d\r\n" % (len(str(ttl)), ttl) if ttl else b""
head = b"*5\r\n$3\r\nSET\r\n" if ttl else b"*3\r\n$3\r\nSET\r\n"
out = sys.stdout.buffer
chunk = []
for i in range(1, n + 1):
    key = b"key:%010d" % i
    chunk.append(head + b"$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(key), key, size, value) + tail)
    if len(chunk) == 10000:
        out.write(b"".join(chunk)); chunk = []
out.write(b"".join(chunk))
