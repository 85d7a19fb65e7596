#!/usr/bin/env python3
"""Soak verdict: heap after the once-a-minute full GC (from each gateway's GC log), RSS and open file descriptors (sampled every 10 s)
must be flat: the mean of the last third of the run within a bound of the mean of the middle third (the first
third is warm-up: JIT, caches, connection pools). Writes soak-heap-<gw>.dat and soak-<gw>.dat for gnuplot and
prints the verdict as JSON."""
import csv, json, os, re, sys

out = sys.argv[1]
HEAP_GROWTH, RSS_GROWTH, FD_GROWTH = 0.15, 0.10, 10
# the full collections run.sh asks for (jcmd GC.run): their after-value is the live data
GC_LINE = re.compile(r"\[(\d+\.\d+)s\].*Pause Full \((?:System.gc\(\)|Diagnostic Command)\) (\d+)M->(\d+)M\((\d+)M\)")

def thirds(values):
    n = len(values)
    if n < 6:
        return None, None
    middle = values[n // 3: 2 * n // 3]
    last = values[2 * n // 3:]
    return sum(middle) / len(middle), sum(last) / len(last)

result = {"bounds": {"heap_after_gc_growth": HEAP_GROWTH, "rss_growth": RSS_GROWTH, "fd_growth": FD_GROWTH}, "gateways": {}}
passed = True
samples = {}
with open(os.path.join(out, "soak-samples.csv")) as f:
    for row in csv.DictReader(f):
        samples.setdefault(row["gateway"], []).append(row)

for gw, rows in sorted(samples.items()):
    with open(os.path.join(out, f"soak-{gw}.dat"), "w") as dat:
        for row in rows:
            dat.write(f"{int(row['t']) / 60:.2f} {int(row['rss_kb']) / 1024:.1f} {row['fds']} {int(row['heap_used_bytes']) / 1048576:.1f}\n")
    heap = []
    gc_log = os.path.join(out, f"gc-{gw}.log")
    if os.path.exists(gc_log):
        with open(gc_log) as log, open(os.path.join(out, f"soak-heap-{gw}.dat"), "w") as dat:
            for line in log:
                m = GC_LINE.search(line)
                if m:
                    uptime_min, after = float(m.group(1)) / 60, int(m.group(3))
                    heap.append(after)
                    dat.write(f"{uptime_min:.2f} {after}\n")
    rss = [int(r["rss_kb"]) / 1024 for r in rows]
    fds = [int(r["fds"]) for r in rows]
    verdict = {}
    for name, values, bound, relative in (("heap_after_gc_mb", heap, HEAP_GROWTH, True),
                                          ("rss_mb", rss, RSS_GROWTH, True),
                                          ("fds", fds, FD_GROWTH, False)):
        middle, last = thirds(values)
        if middle is None:
            verdict[name] = {"samples": len(values), "flat": None}
            continue
        growth = (last - middle) / middle if relative else last - middle
        flat = growth <= bound
        passed &= flat
        verdict[name] = {"samples": len(values), "middle_third_mean": round(middle, 1),
                         "last_third_mean": round(last, 1), "growth": round(growth, 3), "flat": flat}
    result["gateways"][gw] = verdict
result["passed"] = passed
print(json.dumps(result))
