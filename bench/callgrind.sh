#!/usr/bin/env bash
# Instructions per request, counted by callgrind: repeatable on a shared machine, where
# requests per second are not. The server runs under callgrind pinned to one core (so it
# picks the single-threaded runtime, as bench/run.sh pins it); wrk sends the same request
# with 4 connections for 2 s, then for 8 s, and the figure is the difference in instructions
# over the difference in requests, which cancels what both runs share (start-up, connecting).
#
#   bench/callgrind.sh [OPERATION] [BINARY] [-- SERVER FLAGS...]   (needs valgrind and wrk)
#
# OPERATION is a file of tests/operations without `.graphql` (default Catalogue), sent as
# bench/run.sh sends it; BINARY defaults to a fresh release build. With `--response-cache-entries
# 0` among the server flags it counts the cache-miss path of the same request. Prints one line:
# `OPERATION instructions/request (runs: …)`, the median of RUNS (default 3) pairs of loads, which
# agree within about 1.5% on a busy machine. ACCEPT_ENCODING sends that header, as a browser would.
set -euo pipefail
cd "$(dirname "$0")/.."

op="${1:-Catalogue}"
bin="${2:-}"
shift $(($# > 2 ? 2 : $#))
[ "${1:-}" = "--" ] && shift
command -v wrk >/dev/null || { echo "callgrind: wrk is missing (apt-get install wrk)" >&2; exit 1; }
command -v valgrind >/dev/null || { echo "callgrind: valgrind is missing" >&2; exit 1; }
if [ -z "$bin" ]; then
  cargo build --quiet --release --bin leap-graphql
  bin="${CARGO_TARGET_DIR:-target}/release/leap-graphql"
fi

source bench/operations.sh
[ -n "${vars[$op]:-}" ] || { echo "callgrind: no variables for $op" >&2; exit 1; }

work="$(mktemp -d)"
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

body "tests/operations/$op.graphql" "${vars[$op]}" >"$work/body.json"

taskset -c 0 valgrind --tool=callgrind --callgrind-out-file="$work/cg.out" \
  "$bin" serve --listen 127.0.0.1:0 "$@" >"$work/stdout" 2>"$work/stderr" &
pid="$!"
url=""
for _ in $(seq 1 1200); do
  url="$(sed -n 's/^listening on //p' "$work/stdout")"
  [ -n "$url" ] && break
  sleep 0.1
done
[ -n "$url" ] || { echo "callgrind: the server did not start" >&2; cat "$work/stderr" >&2; exit 1; }

# Runs wrk for $1 seconds and prints how many requests it completed (failing on any non-2xx).
requests() {
  local report
  report="$(BODY_FILE="$work/body.json" taskset -c 1 wrk -t1 -c4 -d"$1s" -s bench/post.lua "$url")"
  if grep -q "Non-2xx" <<<"$report"; then
    echo "callgrind: non-2xx answers: $report" >&2
    exit 1
  fi
  sed -n 's/^ *\([0-9]*\) requests in.*/\1/p' <<<"$report"
}

# The instructions counted since the last dump, which zeroes the counters.
dump() {
  callgrind_control -d "$pid" >/dev/null 2>&1
  local last
  last="$(ls -t "$work"/cg.out.* | head -n 1)"
  sed -n 's/^totals: *\([0-9]*\).*/\1/p; s/^summary: *\([0-9]*\).*/\1/p' "$last" | head -n 1
}

requests 1 >/dev/null # fills the caches
dump >/dev/null
figures=()
# The first pair of loads reads low (by up to a fifth) and is left out: what it measures is
# not yet the steady state.
for i in $(seq 0 "${RUNS:-3}"); do
  short="$(requests 2)"
  short_ir="$(dump)"
  long="$(requests 8)"
  long_ir="$(dump)"
  if [ "$i" -gt 0 ]; then
    figures+=("$(( (long_ir - short_ir) / (long - short) ))")
  fi
done
python3 -c 'import statistics, sys; print("%s %d (runs: %s)" % (sys.argv[1], statistics.median_low(map(int, sys.argv[2:])), " ".join(sys.argv[2:])))' \
  "$op" "${figures[@]}"
