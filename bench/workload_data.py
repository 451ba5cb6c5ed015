#!/usr/bin/env python3
"""RESP commands for redis-cli --pipe that build what one compare.sh workload reads (seeded, so
both servers get the same data).
usage: workload_data.py KIND
  hll     three HyperLogLogs hll:1..hll:3 of 10,000 elements each (PFCOUNT of one and of three keys)
  geo     1,000 points within ~100 km of 13.36,38.11 in geo:pts (GEOSEARCH ... COUNT 10)
  sort    a list sort:l of 100 random integers (SORT)
  stream  a stream st of 100,000 entries of two small fields, and a group g at its start (XRANGE, XREADGROUP)"""
import random, sys
kind = sys.argv[1]
rnd = random.Random(42)
out = sys.stdout.buffer
def cmd(*args):
    args = [a if isinstance(a, bytes) else str(a).encode() for a in args]
    out.write(b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args))
if kind == "hll":
    for k in range(1, 4):
        for start in range(0, 10000, 500):
            cmd("PFADD", f"hll:{k}", *[f"e:{k}:{i}" for i in range(start, start + 500)])
elif kind == "geo":
    for start in range(0, 1000, 100):
        args = []
        for i in range(start, start + 100):
            args += [13.36 + rnd.uniform(-1, 1), 38.11 + rnd.uniform(-0.8, 0.8), f"p:{i}"]
        cmd("GEOADD", "geo:pts", *args)
elif kind == "sort":
    cmd("RPUSH", "sort:l", *[rnd.randint(0, 1000000) for _ in range(100)])
elif kind == "stream":
    for i in range(100000):
        cmd("XADD", "st", "*", "f1", i, "f2", "value")
    cmd("XGROUP", "CREATE", "st", "g", "0")
else:
    sys.exit(f"unknown kind {kind}")
