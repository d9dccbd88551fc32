# Writes the example gate inputs beside it: 10 minutes of 15 s scrapes of a canary at 10%
# of the traffic (30 of 300 req/s), healthy, and failing in its last 3 minutes (4% errors,
# slower). Deterministic: `python3 generate.py` rewrites the same bytes.
import json, random
T0 = 1700000000
STEPS = 40
BOUNDS = [25, 50, 100, 250, 500, 1000]  # ms
# cumulative share of requests at or under each bound
HEALTHY = [0.55, 0.80, 0.93, 0.985, 0.996, 0.9995]
SLOW = [0.20, 0.45, 0.70, 0.88, 0.95, 0.985]

def rows(failing):
    rnd = random.Random(7)
    out = []
    for k in range(1, STEPS + 1):
        t = T0 + 15 * k
        for ver, rps in (("canary", 30), ("stable", 270)):
            req = int(round(rps * 15 * rnd.uniform(0.95, 1.05)))
            bad = failing and ver == "canary" and k > STEPS - 12
            err_rate = 0.04 if bad else 0.002
            err = sum(1 for _ in range(req) if rnd.random() < err_rate)
            shares = SLOW if bad else HEALTHY
            cum = []
            for s in shares:
                c = int(round(req * min(1.0, s * rnd.uniform(0.995, 1.005))))
                cum.append(max(c, cum[-1] if cum else 0))
            cum = [min(c, req) for c in cum]
            mem = round((312 if ver == "canary" else 298) + rnd.uniform(-3, 3) + (0.4 * k if bad else 0), 1)
            out.append((t, ver, req, err, 0, mem, cum + [req]))
    return out

def write_csv(path, rs):
    with open(path, "w") as f:
        f.write("time,version,requests,errors,restarts,memory_mb,"
                + ",".join(f"le_{b}" for b in BOUNDS) + ",le_inf\n")
        for t, v, req, err, rst, mem, cum in rs:
            f.write(f"{t},{v},{req},{err},{rst},{mem}," + ",".join(map(str, cum)) + "\n")

def write_json(path, rs):
    def matrix(series):
        return {"status": "success", "data": {"resultType": "matrix", "result": series}}
    def by_version(col):
        out = []
        for v in ("canary", "stable"):
            out.append({"metric": {"service": "checkout", "version": v},
                        "values": [[t, str(r[col])] for r in rs if r[1] == v for t in [r[0]]]})
        return out
    buckets = []
    for v in ("canary", "stable"):
        for i, b in enumerate(BOUNDS + ["+Inf"]):
            le = "+Inf" if b == "+Inf" else "%g" % (b / 1000)  # as Prometheus writes le
            buckets.append({"metric": {"service": "checkout", "version": v, "le": le},
                            "values": [[r[0], str(r[6][i])] for r in rs if r[1] == v]})
    doc = {
        "requests": matrix(by_version(2)),
        "errors": matrix(by_version(3)),
        "latency_bucket": matrix(buckets),
        "restarts": matrix(by_version(4)),
        "memory_mb": matrix(by_version(5)),
    }
    with open(path, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")

write_csv("metrics.csv", rows(False))
write_json("metrics.json", rows(False))
write_csv("metrics-failing.csv", rows(True))
