#!/usr/bin/env python3
"""Reads what latency.sh collected (WORK/<server>/<phase>.probe|.run|.rss|.info) and prints the
markdown table and writes the JSON.
usage: latency_report.py WORK OUT_JSON SERVERS PARAMS   (SERVERS "redis,vermilion"; PARAMS "K=V ...")"""
import json, os, sys

work, out_json, servers, params = sys.argv[1], sys.argv[2], sys.argv[3].split(","), sys.argv[4]
params = dict(p.split("=", 1) for p in params.split())
keys = int(params["KEYS"])
phases = ["idle", "load", "churn"]
# The runtime's own view, where the server's INFO has it (Redis 7.0 has none of these).
runtime_fields = ["gc_pause_max_usec", "gc_pause_total_usec", "gc_pause_count", "gc_collections_gen0",
                  "gc_collections_gen1", "gc_collections_gen2", "eventloop_duration_max_usec"]


def read(server, name):
    path = os.path.join(work, server, name)
    return open(path).read() if os.path.exists(path) else None


def info(server, phase):
    text = read(server, phase + ".info") or ""
    return dict(line.split(":", 1) for line in text.splitlines() if ":" in line and not line.startswith("#"))


data = {}
for s in servers:
    d = data[s] = {}
    for phase in phases + ["flush"]:
        p = d[phase] = {}
        if (probe := read(s, phase + ".probe")) is not None:
            p["probe"] = json.loads(probe)
        if (run := read(s, phase + ".run")) is not None:
            p["run"] = json.loads(run)
        if (waited := read(s, phase + ".cpu_waited")) is not None:
            p["cpu_waited_ms"] = int(waited) / 1000
        p["rss"] = int(read(s, phase + ".rss"))
        i = info(s, phase)
        p["used_memory"] = int(i["used_memory"])
        p["runtime"] = {f: (int(i[f]) if f in i else None) for f in runtime_fields}
    # Growth over the load, per key: as compare.sh's memory rows, from the server as the idle phase left it.
    d["per_key"] = {"rss": (d["load"]["rss"] - d["idle"]["rss"]) / keys,
                    "used_memory": (d["load"]["used_memory"] - d["idle"]["used_memory"]) / keys}

columns = [(phase, s) for phase in phases for s in servers]


def cell(phase, s, get, fmt, only):
    if only and phase != only:
        return ""
    v = get(data[s], phase)
    return "-" if v is None else fmt(v)


ms = lambda v: f"{v:.3f}"
mb = lambda v: f"{v / 1048576:,.1f}"
count = lambda v: f"{v:,}"
rows = [
    ("probe replies (1 ms period)", lambda d, ph: d[ph]["probe"]["replies"], count),
    ("probe p50 (ms)", lambda d, ph: d[ph]["probe"]["corrected"]["p50"], ms),
    ("probe p99 (ms)", lambda d, ph: d[ph]["probe"]["corrected"]["p99"], ms),
    ("probe p99.9 (ms)", lambda d, ph: d[ph]["probe"]["corrected"]["p999"], ms),
    ("probe max (ms)", lambda d, ph: d[ph]["probe"]["corrected"]["max"], ms),
    ("probe replies over 10 ms", lambda d, ph: d[ph]["probe"]["corrected"]["over_10ms"], count),
    ("probe p99.9 uncorrected (ms)", lambda d, ph: d[ph]["probe"]["uncorrected"]["p999"], ms),
    ("probe max uncorrected (ms)", lambda d, ph: d[ph]["probe"]["uncorrected"]["max"], ms),
    ("probe's own wake-up lateness p99.9 (ms)", lambda d, ph: d[ph]["probe"]["wakeup_lateness"]["p999"], ms),
    ("tasks waiting for a CPU (ms, /proc/pressure/cpu)", lambda d, ph: d[ph].get("cpu_waited_ms"), lambda v: f"{v:,.0f}"),
    ("phase duration (s)", lambda d, ph: d[ph]["run"]["seconds"] if ph != "idle" else float(params["IDLE_SECONDS"]), lambda v: f"{v:.1f}"),
    ("commands/s", lambda d, ph: d[ph]["run"]["per_second"] if ph != "idle" else None, lambda v: f"{v:,.0f}"),
    ("RSS at the end (MB)", lambda d, ph: d[ph]["rss"], mb),
    ("used_memory at the end (MB)", lambda d, ph: d[ph]["used_memory"], mb),
    ("RSS growth per key over the load (bytes)", lambda d, ph: d["per_key"]["rss"], lambda v: f"{v:.1f}", "load"),
    ("used_memory growth per key over the load (bytes)", lambda d, ph: d["per_key"]["used_memory"], lambda v: f"{v:.1f}", "load"),
    ("RSS after FLUSHALL SYNC, after the churn (MB)", lambda d, ph: d["flush"]["rss"], mb, "churn"),
    ("used_memory after FLUSHALL SYNC (MB)", lambda d, ph: d["flush"]["used_memory"], mb, "churn"),
]
rows += [(f"{f} (INFO, since start)", (lambda f: lambda d, ph: d[ph]["runtime"][f])(f), count) for f in runtime_fields]
rows = [r if len(r) == 4 else r + (None,) for r in rows]  # (name, get, format, the one phase it belongs to)

policy = {data[s][ph]["probe"]["policy"] for s in servers for ph in phases}
print(f"Latency of a PING every 1 ms on its own connection, measured from its scheduled send time to the end of "
      f"its reply; open loop (each PING leaves on schedule whether or not earlier replies came back), so no "
      f"coordinated omission: the figure wrk2 corrects to. 'Uncorrected' rows: from the actual send. "
      f"Probe scheduling: {'/'.join(sorted(policy))}. {params['KEYS']} keys of {params['VALUE_SIZE']} bytes; "
      f"load: 1 connection, {params['LOAD_DEPTH']} in flight; churn: SET/GET of random loaded keys, "
      f"{params['CHURN_CLIENTS']} connections × {params['CHURN_DEPTH']} in flight.")
print()
print("| metric | " + " | ".join(f"{ph} {s}" for ph, s in columns) + " |")
print("|---|" + "---:|" * len(columns))
for name, get, fmt, only in rows:
    print(f"| {name} | " + " | ".join(cell(ph, s, get, fmt, only) for ph, s in columns) + " |")

with open(out_json, "w") as f:
    json.dump({"params": params, "probe": {"period_ms": 1, "latency_from": "scheduled send, open loop (no coordinated omission)"},
               "servers": data}, f, indent=1)
