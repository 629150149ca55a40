#!/usr/bin/env bash
# Durable writes per second: wrk sends addReview with 1 connection, then with 8, to a release
# server on a temporary database (WAL, synchronous=FULL), the write limit off. Each request is
# a distinct review (wrk's Lua numbers them). Given a second binary (BASELINE), both serve at
# once, each on a database of its own, and every round loads one then the other (the order
# alternating), so that the two are compared side by side in one run: the medians of ROUNDS
# rounds (default 3) and their ratio. Last, the writes per transaction each server reports in
# /metrics (group commit: concurrent writes share one commit; a server without the metric
# commits each write alone). Figures depend on the disk's fsync; run it on a quiet machine,
# like bench/run.sh.
#
#   bench/writes.sh [BINARY] [SECONDS] [BASELINE]      (needs wrk and curl)
#
# `--syncs` counts instead of timing: a fixed number of writes (1 writer, then 8; 100 each, by
# curl) under `strace -f -c`, and the fsync and fdatasync calls each server made per write.
# A count is not a rate: it does not scale with how fast a shared machine happens to be,
# though how many writes overlap (and so share a commit) varies a little from run to run. Each
# curl is a process of its own, so a writer resends more slowly than wrk's would, and batches
# here are smaller than under wrk.
#
#   bench/writes.sh --syncs [BINARY] [BASELINE]        (needs strace and curl)
set -euo pipefail
cd "$(dirname "$0")/.."
syncs=""
if [ "${1:-}" = "--syncs" ]; then
  syncs=1
  shift
  bin="${1:-}"
  base="${2:-}"
  secs=0
else
  bin="${1:-}"
  secs="${2:-10}"
  base="${3:-}"
fi
rounds="${ROUNDS:-3}"
command -v curl >/dev/null || { echo "writes: curl is missing" >&2; exit 1; }
if [ -n "$syncs" ]; then
  command -v strace >/dev/null || { echo "writes: strace is missing (apt-get install strace)" >&2; exit 1; }
else
  command -v wrk >/dev/null || { echo "writes: wrk is missing (apt-get install wrk)" >&2; exit 1; }
fi
if [ -z "$bin" ]; then
  cargo build --quiet --release --bin leap-graphql
  bin="${CARGO_TARGET_DIR:-target}/release/leap-graphql"
fi
work="$(mktemp -d)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# start NAME BINARY: a server on a database of its own; sets url_NAME.
start() {
  local name="$1" binary="$2" wrap=()
  [ -n "$syncs" ] && wrap=(strace -f -c -e trace=fsync,fdatasync -o "$work/$name.strace")
  mkdir -p "$work/$name"
  "${wrap[@]}" "$binary" serve --listen 127.0.0.1:0 --database "$work/$name/reviews.db" \
    --max-writes-per-minute 0 >"$work/$name/stdout" 2>"$work/$name/stderr" &
  pids+=("$!")
  for _ in $(seq 100); do grep -q "listening on" "$work/$name/stdout" && break; sleep 0.1; done
  printf -v "url_$name" '%s' "$(sed -n 's/^listening on //p' "$work/$name/stdout")"
}

# Writes per transaction, as a server reports them (or "1 (no metric)" for one that commits
# each write alone and says nothing).
per_transaction() {
  local url="$1" metrics
  metrics="$(curl -s "${url%/graphql}/metrics")"
  awk '/^leap_graphql_review_transactions_total / { t = $2 } /^leap_graphql_review_writes_total / { w = $2 }
       END { if (t > 0) printf "%.2f (%d writes in %d transactions)", w / t, w, t; else print "1 (no metric)" }' <<<"$metrics"
}

names=(after)
[ -n "$base" ] && names=(before after)
binary_of() { if [ "$1" = before ]; then echo "$base"; else echo "$bin"; fi; }

if [ -n "$syncs" ]; then
  for writers in 1 8; do
    for name in "${names[@]}"; do start "$name" "$(binary_of "$name")"; done
    total=$((writers * 100))
    for name in "${names[@]}"; do
      url_var="url_$name"
      url="${!url_var}"
      # WRITERS writers, 100 writes each, every one acknowledged before its writer sends the
      # next.
      clients=()
      for w in $(seq "$writers"); do
        (
          for i in $(seq 100); do
            curl -s -o /dev/null -H 'content-type: application/json' \
              --data "{\"query\":\"mutation(\$i: AddReviewInput!) { addReview(input: \$i) { review { id } } }\",\"variables\":{\"i\":{\"subject\":\"RmlsbTpsZWFw\",\"rating\":5,\"author\":\"bench\",\"body\":\"writer $w review $i\"}}}" \
              "$url"
          done
        ) &
        clients+=("$!")
      done
      wait "${clients[@]}"
      echo "writers=$writers $name: writes per transaction $(per_transaction "$url")"
    done
    # strace writes its counts when the server it traces exits: each server (strace's
    # child) is stopped with SIGTERM.
    for p in "${pids[@]}"; do
      for child in $(pgrep -P "$p"); do kill -TERM "$child" 2>/dev/null || true; done
    done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
    pids=()
    for name in "${names[@]}"; do
      calls="$(awk '$NF == "fsync" || $NF == "fdatasync" { n += $4 } END { print n + 0 }' "$work/$name.strace")"
      awk -v n="$calls" -v name="$name" -v w="$writers" -v total="$total" \
        'BEGIN { printf "writers=%d %s: %d fsync/fdatasync calls for %d writes: %.2f a write\n", w, name, n, total, n / total }'
      rm -rf "${work:?}/$name" "$work/$name.strace"
    done
  done
  exit 0
fi

for name in "${names[@]}"; do start "$name" "$(binary_of "$name")"; done

cat >"$work/add.lua" <<'LUA'
local n = 0
request = function()
  n = n + 1
  local body = string.format(
    '{"query":"mutation($i: AddReviewInput!) { addReview(input: $i) { review { id } } }","variables":{"i":{"subject":"RmlsbTpsZWFw","rating":%d,"author":"bench","body":"review %d from %s"}}}',
    n % 5 + 1, n, tostring({}))
  return wrk.format("POST", nil, { ["Content-Type"] = "application/json" }, body)
end
LUA

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

for c in 1 8; do
  : >"$work/ratios"
  for name in "${names[@]}"; do : >"$work/$name.rates"; done
  for r in $(seq "$rounds"); do
    order=("${names[@]}")
    if [ $((r % 2)) -eq 0 ] && [ "${#names[@]}" -eq 2 ]; then order=(after before); fi
    for name in "${order[@]}"; do
      url_var="url_$name"
      wrk -t1 -c"$c" -d"${secs}s" -s "$work/add.lua" "${!url_var}" |
        awk '/Requests\/sec/ { print $2 }' >>"$work/$name.rates"
    done
    if [ "${#names[@]}" -eq 2 ]; then
      paste "$work/before.rates" "$work/after.rates" | tail -n1 | awk '{ printf "%.2f\n", $2 / $1 }' >>"$work/ratios"
    fi
  done
  line="writers=$c"
  for name in "${names[@]}"; do
    line+=" $name=$(median <"$work/$name.rates") writes/s"
  done
  if [ "${#names[@]}" -eq 2 ]; then
    line+=" after/before=$(median <"$work/ratios") (rounds: $(paste -sd' ' "$work/ratios"))"
  fi
  echo "$line"
done
for name in "${names[@]}"; do
  url_var="url_$name"
  echo "$name: writes per transaction $(per_transaction "${!url_var}")"
done
