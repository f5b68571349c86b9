#!/usr/bin/env python3
"""Efficiency of parameter-averaged training of ParameterNet-600M at scale, from measured inputs.

Prints the table in docs/full-scale.md ("Scaling out"). Every input is below with where it comes
from; per-byte costs are tools/bench/round-cost.sh's (RoundCostProbe), on this 2-core VM.
  python3 tools/bench/scaleout-model.py
"""
import math

PARAMS = 34.505e6                 # parameternet_600m trainable parameters (pnet models)
S = PARAMS * 3 * 4                # bytes a round moves per copy: params + Adam m and v, float32
BLOCK = 4 * 2**20                 # spark.broadcast.blockSize default (4 MB torrent pieces)
FREQ = 5                          # averaging frequency (steps per round)

# ns per payload byte, 34.5M-parameter payload (414 MB), 4 probe runs, 15 measurements each.
WARM = dict(ser=0.30, deser=0.15, add=0.043, div=0.024, assign=0.065)  # memory reused (lower half)
STACK = dict(bcast=5.2, result=7.1)  # Spark's broadcast / result path over loopback, per copy (medians)

# compute per round: FREQ steps of one executor
EXECUTORS = {
    "2 cores, batch 32 (measured step 5.20 s)": 5.20,
    "16 cores, batch 128 (assumed: 3.1 img/s per core, linear)": 128 / (3.1 * 16),
}


def results_at_driver(p, depth=2):
    """Spark's RDD.treeAggregate: how many partial results reach the driver (DriverMemory)."""
    n, scale = p, max(math.ceil(p ** (1.0 / depth)), 2)
    while n > scale + math.ceil(n / scale):
        n //= scale
    return n


def overhead(p, gbit, case):
    wire = 8 / gbit                        # ns per byte at gbit Gbit/s
    k = results_at_driver(p)
    r = math.ceil(p / k) if k < p else 0   # results each level-1 reducer receives
    hops = math.ceil(math.log2(p + 1))     # torrent: first piece reaches everyone in ~log2 rounds
    if case == "warm":
        c = WARM
        b = S * (c["ser"] + c["deser"] + c["assign"] + wire) + BLOCK * hops * wire
        l1 = (S * c["ser"] + r * S * (wire + c["deser"]) + (r - 1) * S * c["add"]) if r else 0
        l2 = S * c["ser"] + k * S * (wire + c["deser"] + c["add"]) + S * (c["div"] + c["assign"])
    else:
        b = S * max(STACK["bcast"], wire) + BLOCK * hops * wire
        l1 = r * S * max(STACK["result"], wire) if r else 0
        l2 = k * S * max(STACK["result"], wire) + S * (WARM["div"] + WARM["assign"])
    return (b + l1 + l2) / 1e9, k, r


print(f"payload {S / 1e6:.0f} MB per copy")
for name, step in EXECUTORS.items():
    compute = FREQ * step
    print(f"\n{name}: compute {compute:.1f} s per round")
    print("| executors | results at driver | per reducer | Gbit/s | overhead s (warm, wire) | efficiency |"
          " overhead s (Spark path as measured) | efficiency |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for p in (8, 64, 256):
        for g in (10, 25):
            ow, k, r = overhead(p, g, "warm")
            os_, _, _ = overhead(p, g, "stack")
            print(f"| {p} | {k} | {r} | {g} | {ow:.1f} | {compute / (compute + ow):.0%} |"
                  f" {os_:.1f} | {compute / (compute + os_):.0%} |")
