#!/usr/bin/env bash
# usage: check_placement.sh API_BIN DB_BIN WORKER_BIN
# The &db body of users_find and the db-only store.h exist in the db binary only.
set -u
api=$1 db=$2 worker=$3
fail=0
expect() { # expect present|absent BIN WHAT COMMAND...
  local want=$1 bin=$2 what=$3; shift 3
  if "$@" >/dev/null; then got=present; else got=absent; fi
  if [ "$got" != "$want" ]; then
    echo "FAIL: $what is $got in $(basename "$bin"), expected $want"
    fail=1
  else
    echo "ok: $what $got in $(basename "$bin")"
  fi
}
for bin in "$api" "$worker"; do
  expect absent "$bin" "store.h's data ('edsger')" grep -q edsger <(strings -a "$bin")
  expect absent "$bin" "users_find's body" grep -q nb__body_users_find <(nm -a "$bin")
  expect present "$bin" "the users_find router" grep -qw users_find <(nm "$bin")
done
expect present "$db" "store.h's data ('edsger')" grep -q edsger <(strings -a "$db")
expect present "$db" "users_find's body" grep -q nb__body_users_find <(nm -a "$db")
expect absent "$db" "jobs_checksum's body" grep -q nb__body_jobs_checksum <(nm -a "$db")
expect present "$worker" "jobs_checksum's body" grep -q nb__body_jobs_checksum <(nm -a "$worker")
exit $fail
