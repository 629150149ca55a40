#!/usr/bin/env bash
# Durable writes per second: wrk sends addReview with 1 connection, then with 8, to a fresh
# release server on a temporary database (WAL, synchronous=FULL), the write limit off. Each
# request is a distinct review (wrk's Lua numbers them). Figures depend on the disk's fsync;
# run it on a quiet machine, like bench/run.sh.
#
#   bench/writes.sh [BINARY] [SECONDS]      (needs wrk)
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${1:-}"
secs="${2:-10}"
command -v wrk >/dev/null || { echo "writes: wrk is missing (apt-get install wrk)" >&2; exit 1; }
if [ -z "$bin" ]; then
  cargo build --quiet --release --bin leap-graphql
  bin="${CARGO_TARGET_DIR:-target}/release/leap-graphql"
fi
work="$(mktemp -d)"
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

"$bin" serve --listen 127.0.0.1:0 --database "$work/reviews.db" --max-writes-per-minute 0 \
  >"$work/stdout" 2>"$work/stderr" &
pid=$!
for _ in $(seq 100); do grep -q "listening on" "$work/stdout" && break; sleep 0.1; done
url="$(sed -n 's/^listening on //p' "$work/stdout")"

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

for c in 1 8; do
  printf 'writers=%d ' "$c"
  wrk -t1 -c"$c" -d"${secs}s" -s "$work/add.lua" "$url" | awk '/Requests\/sec/ { print $2 " writes/s" }'
done
