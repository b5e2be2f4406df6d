#!/usr/bin/env python3
"""The runtime's layering (docs/runtime-layers.md), checked from its sources and objects.

Usage: test_rt_layers.py SRC_RUNTIME SRC_CLI OBJECT...

A file depends on another when it includes that file's header or calls (or
reads) a symbol the other's object defines; x.c and x.h are one unit. Fails when
  - a dependency circle holds more than two files,
  - the loop or the connection layer depends on anything above it,
  - the ground floor depends on anything but the ground floor,
  - any file but lifecycle.c depends on lifecycle.c,
  - src/cli includes a runtime header other than cluster.h and tool.h.
With -v, prints every arrow.
"""
import os
import re
import subprocess
import sys

GROUND = {"config", "cluster", "status", "log", "cookie", "frame", "codec", "wirecheck",
          "values", "block", "tls_paths", "stream.h", "metrics"}
STREAM = {"stream", "stream.h", "stream_tcp", "stream_tls"}
LOOP = {"transport"}
CONN = {"conn", "pending"}
# Interface headers: stream.h is the contract stream.c, stream_tcp.c and
# stream_tls.c all implement or use, not a dependency on stream.c; it includes
# nothing of the runtime.
INTERFACES = {"stream"}
BELOW = {"transport": GROUND, "conn": GROUND | STREAM | LOOP | CONN,
         "pending": GROUND | STREAM | LOOP | CONN}


def main():
    args = [a for a in sys.argv[1:] if a != "-v"]
    verbose = "-v" in sys.argv
    src, cli = args[0], args[1]
    # CTest may hand the object list over as one ";"-separated argument.
    objects = [o for a in args[2:] for o in a.split(";") if o]
    units = {f[:-2] for f in os.listdir(src) if f.endswith((".c", ".h"))}
    edges = {}

    def add(a, b, why):
        if a != b and b in units:
            edges.setdefault((a, b), set()).add(why)

    for f in sorted(os.listdir(src)):
        if f.endswith((".c", ".h")):
            text = open(os.path.join(src, f), encoding="utf-8").read()
            for h in re.findall(r'#include "([^"]+)\.h"', text):
                if h in INTERFACES and f != h + ".h":
                    units.add(h + ".h")
                    add(f[:-2], h + ".h", "includes " + h + ".h")
                else:
                    add(f[:-2], h, "includes " + h + ".h")
    defs, undefs = {}, {}
    for o in objects:
        unit = os.path.basename(o).split(".")[0]
        out = subprocess.run(["nm", o], capture_output=True, text=True, check=True).stdout
        for line in out.splitlines():
            p = line.split()
            if len(p) == 3 and p[1] in "TDBRV":
                defs[p[2]] = unit
            elif len(p) == 2 and p[0] == "U":
                undefs.setdefault(unit, set()).add(p[1])
    for unit, syms in undefs.items():
        for s in syms:
            if s in defs:
                add(unit, defs[s], "uses " + s)

    errors = []
    adj = {u: sorted(b for (a, b) in edges if a == u) for u in units}
    index, low, stack, on, counter = {}, {}, [], set(), [0]

    def strong(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in adj[v]:
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 2:
                errors.append("dependency circle of %d files: %s" % (len(group), sorted(group)))

    sys.setrecursionlimit(10000)
    for u in sorted(units):
        if u not in index:
            strong(u)
    for (a, b), why in sorted(edges.items()):
        if a in BELOW and b not in BELOW[a]:
            errors.append("%s reaches up into %s (%s)" % (a, b, ", ".join(sorted(why))))
        if a in GROUND and b not in GROUND:
            errors.append("ground-floor %s depends on %s (%s)" % (a, b, ", ".join(sorted(why))))
        if b == "lifecycle":
            errors.append("%s depends on lifecycle (%s)" % (a, ", ".join(sorted(why))))
        if verbose:
            print("%s -> %s: %s" % (a, b, ", ".join(sorted(why))))
    for f in sorted(os.listdir(cli)):
        if f.endswith((".c", ".h")):
            text = open(os.path.join(cli, f), encoding="utf-8").read()
            for h in re.findall(r'#include "([^"]+)\.h"', text):
                if h in units and h not in ("cluster", "tool"):
                    errors.append("src/cli/%s includes the runtime's %s.h" % (f, h))
    if len(defs) < 50:
        errors.append("only %d symbols found: were the objects given?" % len(defs))
    for e in errors:
        print("FAIL: " + e)
    print("%d files, %d arrows, %d problems" % (len(units), len(edges), len(errors)))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
