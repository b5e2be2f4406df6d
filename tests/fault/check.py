#!/usr/bin/env python3
"""check.py — the fault suite's checker (docs/faults.md).

Reads what one suite run left in DIR:
  calls-<N>.txt   the driver's record of every call of scenario N (driver.c)
  body-*.log      one line per body run, from every serving node (api/work.c)
and prints one row of figures per scenario. Exit status 1 when any scenario has
  - a call without exactly one outcome (no outcome, or its id recorded twice),
  - a body run twice (the same call id in the body logs more than once),
  - a call that outlived its timeout by more than the margin (--margin-ms),
  - an NB_OK whose value is not the body's for that call, or with no body run
    on the node it names (a forged or misdecoded reply),
  - a body line for a call the driver never issued, or a malformed line.
  - a node healed (rule removed, restarted, resumed) that ran no body after it
    before the load ended (events-<N>.txt says when and which), when the heal
    came at least HEAL_WINDOW_MS before the last call was issued.
Bodies started after their caller's deadline are counted and printed, but do
not fail the run yet: the runtime does not hold deadlines across a paused
server (docs/faults.md, "Known gaps").

  check.py DIR --scenarios 1:baseline,2:partition,... [--margin-ms 250]
"""
import argparse
import collections
import glob
import os
import sys

SCEN_SHIFT = 48
# A healed node must serve again before the load ends, when the heal came at
# least this long before the last call was issued.
HEAL_WINDOW_MS = 1500
# The outcomes a call may have under these faults; any other fails the run.
EXPECTED = ("NONE", "NB_OK", "NB_E_TIMEOUT", "NB_E_NODE_DOWN", "NB_E_NO_WORKER",
            "NB_E_OVERLOADED")


def read_calls(path):
    """Returns (timeout_ms, records); a record is (id, code, node, dur_us, start_ms, value_ok)."""
    timeout = None
    recs = []
    bad = 0
    with open(path, encoding="ascii", errors="replace") as f:
        for line in f:
            if line.startswith("#"):
                words = line.split()
                if "timeout_ms" in words:
                    timeout = int(words[words.index("timeout_ms") + 1])
                continue
            p = line.split()
            try:
                recs.append((int(p[0]), p[1], int(p[2]), int(p[3]), int(p[4]), p[5] == "1"))
            except (IndexError, ValueError):
                bad += 1
    return timeout, recs, bad


def read_bodies(d):
    """Returns ({call id: [(node short name, start ms, late, deadline ms)]}, malformed lines)."""
    bodies = collections.defaultdict(list)
    bad = 0
    for path in sorted(glob.glob(os.path.join(d, "body-*.log"))):
        with open(path, encoding="ascii", errors="replace") as f:
            for line in f:
                p = line.split()
                try:
                    cid, node, start, late = int(p[0]), p[1].split("@")[0], int(p[2]), p[4] == "1"
                    deadline = int(p[3])
                    if len(p) != 5:
                        raise ValueError
                except (IndexError, ValueError):
                    bad += 1
                    continue
                bodies[cid].append((node, start, late, deadline))
    return bodies, bad


def read_heals(path):
    """The last heal event of a scenario: (CLOCK_REALTIME ms, [node short names]), or None."""
    heal = None
    if os.path.exists(path):
        with open(path, encoding="ascii", errors="replace") as f:
            for line in f:
                p = line.split()
                if len(p) >= 3 and p[1] == "heal":
                    heal = (int(p[0]), p[2].split(","))
    return heal


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--scenarios", required=True,
                    help="N:name,... in the order to print them")
    ap.add_argument("--margin-ms", type=int, default=250)
    args = ap.parse_args()

    scenarios = []
    for item in args.scenarios.split(","):
        n, name = item.split(":", 1)
        scenarios.append((int(n), name))
    bodies, bad_bodies = read_bodies(args.dir)
    by_scen = collections.defaultdict(set)
    for cid in bodies:
        by_scen[cid >> SCEN_SHIFT].add(cid)

    cols = ["scenario", "issued", "outcomes", "no-1-outc", "ok", "timeout", "down",
            "no-worker", "overload", "other", "bodies", "twice", "late", "past-dl", "max-ms",
            "bad-ok", "unissued", "back-ms"]
    rows = []
    failures = []
    issued_ids = set()
    for n, name in scenarios:
        path = os.path.join(args.dir, "calls-%d.txt" % n)
        if not os.path.exists(path):
            failures.append("%s: no driver record (%s)" % (name, path))
            rows.append([name] + ["-"] * (len(cols) - 1))
            continue
        timeout, recs, bad = read_calls(path)
        if timeout is None:
            failures.append("%s: the driver record has no header" % name)
            timeout = 0
        seen = collections.Counter(r[0] for r in recs)
        issued_ids.update(seen)
        codes = collections.Counter(r[1] for r in recs)
        no_outcome = codes.get("NONE", 0) + sum(c - 1 for c in seen.values() if c > 1) + bad
        outcomes = len(recs) - codes.get("NONE", 0)
        other = sum(c for k, c in codes.items() if k not in EXPECTED)
        ids = by_scen.get(n, set())
        runs = sum(len(bodies[c]) for c in ids)
        twice = sum(1 for c in ids if len(bodies[c]) > 1)
        late_runs = [(c, b) for c in ids for b in bodies[c] if b[2]]
        late = len(late_runs)
        limit_us = (timeout + args.margin_ms) * 1000
        past = [r for r in recs if r[3] > limit_us]
        max_ms = max((r[3] for r in recs), default=0) / 1000.0
        bad_ok = 0
        for r in recs:
            if r[1] != "NB_OK":
                continue
            if not r[5] or not any(b[0] == "s%d" % r[2] for b in bodies.get(r[0], [])):
                bad_ok += 1
        unissued = sum(1 for c in ids if c not in seen)
        # After the last heal, every healed node must serve again before the
        # load ends: back-ms is how long the slowest one took to run a body.
        back = "-"
        heal = read_heals(os.path.join(args.dir, "events-%d.txt" % n))
        last_issued = max((r[4] for r in recs), default=0)
        if heal is not None and heal[0] > last_issued - HEAL_WINDOW_MS:
            # Healed too close to the end of the load (a slow machine): not checked.
            back = "n/a"
        elif heal is not None:
            worst = 0
            for node in heal[1]:
                after = [b[1] for c in ids for b in bodies[c] if b[0] == node and b[1] >= heal[0]]
                if not after:
                    failures.append("%s: %s ran no body after it was healed" % (name, node))
                    worst = None
                    break
                worst = max(worst, min(after) - heal[0])
            back = "never" if worst is None else worst
        rows.append([name, len(recs), outcomes, no_outcome, codes.get("NB_OK", 0),
                     codes.get("NB_E_TIMEOUT", 0), codes.get("NB_E_NODE_DOWN", 0),
                     codes.get("NB_E_NO_WORKER", 0), codes.get("NB_E_OVERLOADED", 0), other,
                     runs, twice, late, len(past), "%.0f" % max_ms, bad_ok, unissued, back])
        if len(recs) == 0:
            failures.append("%s: no call was issued" % name)
        if no_outcome:
            failures.append("%s: %d call(s) without exactly one outcome" % (name, no_outcome))
        if twice:
            failures.append("%s: %d call(s) whose body ran twice" % (name, twice))
        if past:
            worst = max(past, key=lambda r: r[3])
            failures.append("%s: %d call(s) outlived their %d ms timeout by more than %d ms "
                            "(worst: call %d, %s after %.0f ms)"
                            % (name, len(past), timeout, args.margin_ms, worst[0], worst[1],
                               worst[3] / 1000.0))
        if late:
            # Enough to tell a pause from a slow machine: how late, on which
            # node, when against the fault's heal, and what the caller got.
            c, b = max(late_runs, key=lambda cb: cb[1][1] - cb[1][3])
            outcome = next(("%s after %.0f ms" % (r[1], r[3] / 1000.0) for r in recs
                            if r[0] == c), "no record")
            failures.append("%s: %d body run(s) started after their caller had given up "
                            "(latest: call %d on %s, %d ms after its deadline, %s after the "
                            "heal; its caller: %s)"
                            % (name, late, c, b[0], b[1] - b[3],
                               "%+d ms" % (b[1] - heal[0]) if heal else "no", outcome))
        if bad_ok:
            failures.append("%s: %d NB_OK value(s) not matching a body run" % (name, bad_ok))
        if unissued:
            failures.append("%s: %d body run(s) for calls never issued" % (name, unissued))
        if other:
            failures.append("%s: %d call(s) with an unexpected outcome %s"
                            % (name, other, {k: c for k, c in codes.items()
                                             if k not in EXPECTED}))
    known = set(n for n, _ in scenarios)
    stray = sum(len(v) for s, v in by_scen.items() if s not in known)
    if stray:
        failures.append("%d body run(s) of no scenario of this run" % stray)
    if bad_bodies:
        failures.append("%d malformed line(s) in the body logs" % bad_bodies)

    widths = [max(len(str(c)), *(len(str(r[i])) for r in rows)) for i, c in enumerate(cols)]
    print("  ".join(str(c).rjust(w) if i else str(c).ljust(w)
                    for i, (c, w) in enumerate(zip(cols, widths))))
    for r in rows:
        print("  ".join(str(v).rjust(w) if i else str(v).ljust(w)
                        for i, (v, w) in enumerate(zip(r, widths))))
    print()
    print("no-1-outc: calls without exactly one outcome; twice: bodies run twice; "
          "late: bodies started after their caller's deadline; "
          "past-dl: calls that outlived their timeout by more than %d ms; bad-ok: NB_OK "
          "values not matching a body run; unissued: body runs for calls never issued; "
          "back-ms: from the heal to the healed node's first body (n/a: healed less than %d ms "
          "before the last call, not checked)" % (args.margin_ms, HEAL_WINDOW_MS))
    if failures:
        for f in failures:
            print("FAILED  " + f)
        return 1
    print("checker: every call had one outcome, no body ran twice, no body started after its "
          "caller gave up, no call outlived its timeout by more than %d ms" % args.margin_ms)
    return 0


if __name__ == "__main__":
    sys.exit(main())
