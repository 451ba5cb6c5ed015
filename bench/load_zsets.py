#!/usr/bin/env python3
"""RESP ZADD commands for redis-cli --pipe: KEYS sorted sets (zset:0000000001 ...) of MEMBERS members
each ("member:N" with score N), MEMBERS_PER_COMMAND pairs per ZADD.
usage: load_zsets.py KEYS MEMBERS [MEMBERS_PER_COMMAND=100] [padded]
e.g.   load_zsets.py 100000 10   (100k small sets)    load_zsets.py 1 1000000   (one set of 1M)
"padded" names members member:%012d, as redis-benchmark's __rand_int__ spells numbers."""
import sys
keys, members = int(sys.argv[1]), int(sys.argv[2])
per = int(sys.argv[3]) if len(sys.argv) > 3 else 100
name = b"member:%012d" if len(sys.argv) > 4 and sys.argv[4] == "padded" else b"member:%d"
out = sys.stdout.buffer

def bulk(b):
    return b"$%d\r\n%s\r\n" % (len(b), b)

chunk = []
for k in range(1, keys + 1):
    key = b"zset:%010d" % k
    for start in range(0, members, per):
        pairs = range(start, min(start + per, members))
        parts = [b"*%d\r\n" % (2 + 2 * len(pairs)), bulk(b"ZADD"), bulk(key)]
        for m in pairs:
            parts.append(bulk(b"%d" % m))
            parts.append(bulk(name % m))
        chunk.append(b"".join(parts))
        if len(chunk) >= 2000:
            out.write(b"".join(chunk)); chunk = []
out.write(b"".join(chunk))
