#!/usr/bin/env python3
"""test_check.py — proves check.py fails on what it must fail on, and passes a
clean run, on small hand-made logs (the fault suite itself needs root and real
faults; this runs anywhere, in a second). Exit status 0 when every case held.

  test_check.py CHECK_PY [PYTHON]
"""
import os
import subprocess
import sys
import tempfile

S = 1 << 48  # scenario 1's ids
T0 = 1_800_000_000_000


def write_run(d, calls, bodies, events=None):
    if events is not None:
        with open(os.path.join(d, "events-1.txt"), "w") as f:
            f.write(events)
    with open(os.path.join(d, "calls-1.txt"), "w") as f:
        f.write("# scenario 1 timeout_ms 800 threads 2\n")
        for c in calls:
            f.write(" ".join(str(x) for x in c) + "\n")
    with open(os.path.join(d, "body-s1.log"), "w") as f:
        for b in bodies:
            f.write(" ".join(str(x) for x in b) + "\n")


def call(i, code="NB_OK", node=1, dur_us=1000, ok=1):
    return (S + i, code, node, dur_us, T0 + i, ok)


def body(i, late=0, node="s1@10.78.0.11"):
    deadline = T0 + i + 800
    return (S + i, node, deadline + 5 if late else T0 + i + 1, deadline, late)


CLEAN_CALLS = [call(0), call(1), call(2, "NB_E_TIMEOUT", 0, 800_400)]
CLEAN_BODIES = [body(0), body(1), body(2)]

CASES = [
    # (name, calls, bodies, exit status wanted, text wanted in the output)
    ("clean run", CLEAN_CALLS, CLEAN_BODIES, 0, "every call had one outcome"),
    ("a body started after its caller gave up", CLEAN_CALLS,
     CLEAN_BODIES[:2] + [body(2, late=1)], 1, "1 body run(s) started after their caller had given up"),
    ("a call without an outcome", CLEAN_CALLS + [(S + 3, "NONE", 0, -1, T0, 1)], CLEAN_BODIES,
     1, "1 call(s) without exactly one outcome"),
    ("a call recorded twice", CLEAN_CALLS + [call(1)], CLEAN_BODIES, 1,
     "1 call(s) without exactly one outcome"),
    ("a body run twice", CLEAN_CALLS, CLEAN_BODIES + [body(1)], 1,
     "1 call(s) whose body ran twice"),
    ("a call past its timeout", CLEAN_CALLS + [call(3, "NB_E_TIMEOUT", 0, 1_051_000)],
     CLEAN_BODIES, 1, "outlived their 800 ms timeout by more than 250 ms"),
    ("an NB_OK value that is not the body's", CLEAN_CALLS + [call(3, ok=0)],
     CLEAN_BODIES + [body(3)], 1, "NB_OK value(s) not matching a body run"),
    ("an NB_OK with no body run", CLEAN_CALLS + [call(3)], CLEAN_BODIES, 1,
     "NB_OK value(s) not matching a body run"),
    ("a body for a call never issued", CLEAN_CALLS, CLEAN_BODIES + [body(9)], 1,
     "body run(s) for calls never issued"),
    ("an unexpected outcome", CLEAN_CALLS + [call(3, "NB_E_PROTOCOL", 0)], CLEAN_BODIES, 1,
     "unexpected outcome"),
    ("a malformed body line", CLEAN_CALLS, CLEAN_BODIES + [("garbage",)], 1,
     "malformed line"),
    ("a healed node that serves again", CLEAN_CALLS, CLEAN_BODIES, 0,
     "every call had one outcome", "%d heal s1 healed\n" % (T0 + 1)),
    ("a healed node that never serves again", CLEAN_CALLS + [call(3000, node=2)],
     CLEAN_BODIES + [body(3000, node="s2@10.78.0.12")], 1,
     "s1 ran no body after it was healed", "%d heal s1 healed\n" % (T0 + 10)),
    ("a heal too close to the end is not checked", CLEAN_CALLS, CLEAN_BODIES, 0,
     "every call had one outcome", "%d heal s1 healed\n" % (T0 + 10)),
]


def main():
    check_py = sys.argv[1]
    python = sys.argv[2] if len(sys.argv) > 2 else sys.executable
    failed = 0
    for name, calls, bodies, want_status, want_text, *events in CASES:
        with tempfile.TemporaryDirectory() as d:
            write_run(d, calls, bodies, *events)
            p = subprocess.run([python, check_py, d, "--scenarios", "1:case"],
                               capture_output=True, text=True, timeout=60)
        if p.returncode == want_status and want_text in p.stdout:
            print("ok      " + name)
        else:
            print("FAILED  %s: wanted status %d and %r, got %d:\n%s"
                  % (name, want_status, want_text, p.returncode, p.stdout + p.stderr))
            failed += 1
    print("checker self-test: %s" % ("all cases held" if not failed else "%d case(s) failed" % failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
