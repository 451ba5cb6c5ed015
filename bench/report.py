#!/usr/bin/env python3
"""Reads the raw results compare.sh collected (one JSON object per line) and prints the table and latest.json."""
import json, statistics, sys

raw, out_json = sys.argv[1], sys.argv[2]
rows, memory, jit = {}, {}, {}
for line in open(raw):
    r = json.loads(line)
    if r["kind"] == "rps":
        target = jit if r.get("build") == "jit" else rows
        target.setdefault(r["workload"], {"redis": [], "vermilion": []})[r["server"]].append(r["value"])
    else:
        memory.setdefault(r["workload"], {})[r["server"]] = r["value"]

def med(values):
    return statistics.median(values) if values else None

result = {"throughput": [], "memory": [], "jit": []}
print("| workload | redis-server rps | vermilion rps | ratio |")
print("|---|---:|---:|---:|")
for name, servers in rows.items():
    r, v = med(servers["redis"]), med(servers["vermilion"])
    ratio = (v / r) if r and v else None
    result["throughput"].append({"workload": name, "redis_rps": r, "vermilion_rps": v, "ratio": ratio,
                                 "rounds": len(servers["redis"])})
    fmt = lambda x: f"{x:,.0f}" if x else "n/a"
    print(f"| {name} | {fmt(r)} | {fmt(v)} | {ratio:.2f}x |" if ratio else f"| {name} | {fmt(r)} | {fmt(v)} | n/a |")
if memory:
    print()
    print("| memory | redis-server | vermilion | ratio (lower is better) |")
    print("|---|---:|---:|---:|")
    for name, servers in memory.items():
        r, v = servers.get("redis"), servers.get("vermilion")
        ratio = v / r if r and v else None
        result["memory"].append({"workload": name, "redis": r, "vermilion": v, "ratio": ratio})
        print(f"| {name} | {r:,.0f} | {v:,.0f} | {ratio:.2f}x |" if ratio else f"| {name} | {r} | {v} | n/a |")
if jit:
    print()
    print("| JIT build (one pass) | redis-server rps | vermilion (JIT) rps | ratio |")
    print("|---|---:|---:|---:|")
    for name, servers in jit.items():
        r, v = med(servers["redis"]), med(servers["vermilion"])
        ratio = v / r if r and v else None
        result["jit"].append({"workload": name, "redis_rps": r, "vermilion_rps": v, "ratio": ratio})
        print(f"| {name} | {r:,.0f} | {v:,.0f} | {ratio:.2f}x |" if ratio else f"| {name} | {r} | {v} | n/a |")
json.dump(result, open(out_json, "w"), indent=2)
