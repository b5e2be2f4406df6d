#!/usr/bin/env python3
"""docs/grafana-nebula.json imports and its queries parse.

Usage: check_grafana.py DASHBOARD PROMTOOL

The dashboard must be JSON with the import inputs Grafana asks for, and every
PromQL expression of its panels must parse: each is written (with the
dashboard's variables filled in) as a recording rule and checked by
`promtool check rules`. Every metric a query names must be one libnebula
serves (docs/metrics.md).
"""
import json
import os
import re
import subprocess
import sys
import tempfile

FAMILIES = {"nebula_calls_total", "nebula_call_duration_seconds_bucket", "nebula_served_total",
            "nebula_serve_duration_seconds_bucket", "nebula_peer_up",
            "nebula_peer_refusals_total", "nebula_build_info"}


def main():
    path, promtool = sys.argv[1], sys.argv[2]
    dash = json.load(open(path, encoding="utf-8"))
    errors = []
    if not any(i.get("pluginId") == "prometheus" for i in dash.get("__inputs", [])):
        errors.append("no Prometheus data source among __inputs")
    exprs = [t["expr"] for p in dash["panels"] for t in p.get("targets", [])]
    exprs += [v["definition"] for v in dash["templating"]["list"]]
    rules = []
    for i, e in enumerate(exprs):
        for name in re.findall(r"\bnebula_[a-z_]+", e):
            if name not in FAMILIES:
                errors.append("query %d names %s, which libnebula does not serve" % (i, name))
        if e.startswith("label_values("):
            continue
        filled = e.replace("$__rate_interval", "5m").replace("$job", ".*").replace(
            "$instance", ".*")
        rules.append("      - record: nebula:check_%d\n        expr: %s\n" % (i, json.dumps(filled)))
    with tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False) as f:
        f.write("groups:\n  - name: grafana\n    rules:\n" + "".join(rules))
    out = subprocess.run([promtool, "check", "rules", f.name], capture_output=True, text=True)
    os.unlink(f.name)
    if out.returncode != 0:
        errors.append("promtool check rules:\n" + out.stdout + out.stderr)
    for e in errors:
        print("FAIL: " + e)
    print("%d queries, %d problems" % (len(exprs), len(errors)))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
