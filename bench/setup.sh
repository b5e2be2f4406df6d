#!/usr/bin/env bash
# Installs what only the benchmarks need on top of scripts/setup.sh: Erlang/OTP
# (Debian's erlang-nox: erl, erlc, epmd), the yardstick of docs/design.md §11.
# The tests never need it, so scripts/setup.sh does not install it by default.
set -euo pipefail
cd "$(dirname "$0")/.."
exec scripts/setup.sh erlang-nox
