#!/usr/bin/env python3
"""RESP commands for redis-cli --pipe that build collections.
usage: load_collections.py TYPE COUNT ELEMENTS
  TYPE: list | hash | set | intset | zset | stream; COUNT keys (coll:TYPE:0000001 ...), each with ELEMENTS small
  elements (8-byte members "m:000001"; intset members the element number times 3; hash values
  "v:000001"; zset scores the element number),
  sent in commands of at most 100 elements so big collections stream."""
import sys
kind, count, elements = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
out = sys.stdout.buffer
def bulk(b): return b"$%d\r\n%s\r\n" % (len(b), b)
chunk = []
for k in range(count):
    key = b"coll:%s:%07d" % (kind.encode(), k)
    for start in range(0, elements, 100):
        n = min(100, elements - start)
        if kind == "list":
            args = [b"RPUSH", key] + [b"m:%06d" % (start + i) for i in range(n)]
        elif kind == "set":
            args = [b"SADD", key] + [b"m:%06d" % (start + i) for i in range(n)]
        elif kind == "intset":
            args = [b"SADD", key] + [b"%d" % ((start + i) * 3) for i in range(n)]
        elif kind == "stream":
            # One XADD per entry (explicit IDs), two small fields each.
            for i in range(n):
                args = [b"XADD", key, b"%d-1" % (start + i + 1), b"field", b"v:%06d" % (start + i), b"n", b"%d" % (start + i)]
                chunk.append(b"*%d\r\n" % len(args) + b"".join(bulk(a) for a in args))
            args = None
        elif kind == "hash":
            args = [b"HSET", key]
            for i in range(n): args += [b"f:%06d" % (start + i), b"v:%06d" % (start + i)]
        else:
            args = [b"ZADD", key]
            for i in range(n): args += [b"%d" % (start + i), b"m:%06d" % (start + i)]
        if args is not None: chunk.append(b"*%d\r\n" % len(args) + b"".join(bulk(a) for a in args))
        if len(chunk) >= 2000:
            out.write(b"".join(chunk)); chunk = []
out.write(b"".join(chunk))
