#!/usr/bin/env python3
"""Reads the raw results compare.sh collected (one JSON object per line) and prints the table and latest.json."""
import json, statistics, sys

raw, out_json = sys.argv[1], sys.argv[2]
rows, memory, jit, cpu = {}, {}, {}, {}
for line in open(raw):
    r = json.loads(line)
    if r["kind"] == "cpu":
        if r.get("build") != "jit":
            cpu.setdefault(r["workload"], {"redis": [], "vermilion": []})[r["server"]].append(r["value"])
    elif r["kind"] == "rps":
        target = jit if r.get("build") == "jit" else rows
        target.setdefault(r["workload"], {"redis": [], "vermilion": []})[r["server"]].append(r["value"])
    else:
        memory.setdefault(r["workload"], {})[r["server"]] = r["value"]

def med(values):
    return statistics.median(values) if values else None

result = {"throughput": [], "memory": [], "jit": []}
# Server CPU time per request (user + system, all threads) is the less noisy measure where the
# benchmark client, not the server, is what limits the rate (unpipelined, on 2 cores).
print("| workload | redis-server rps | vermilion rps | ratio | redis CPU µs/req | vermilion CPU µs/req | CPU ratio (lower is better) |")
print("|---|---:|---:|---:|---:|---:|---:|")
fmt = lambda x: f"{x:,.0f}" if x else "n/a"
for name, servers in rows.items():
    r, v = med(servers["redis"]), med(servers["vermilion"])
    ratio = (v / r) if r and v else None
    c = cpu.get(name, {"redis": [], "vermilion": []})
    rc, vc = med(c["redis"]), med(c["vermilion"])
    cpu_ratio = (vc / rc) if rc and vc else None
    result["throughput"].append({"workload": name, "redis_rps": r, "vermilion_rps": v, "ratio": ratio,
                                 "redis_cpu_us": rc, "vermilion_cpu_us": vc, "cpu_ratio": cpu_ratio,
                                 "rounds": len(servers["redis"])})
    cells = [fmt(r), fmt(v), f"{ratio:.2f}x" if ratio else "n/a",
             f"{rc:.2f}" if rc else "", f"{vc:.2f}" if vc else "", f"{cpu_ratio:.2f}x" if cpu_ratio else ""]
    print(f"| {name} | " + " | ".join(cells) + " |")
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
