#!/usr/bin/env bash
# Two builds of the server side by side in one run: both pinned to core 0 and loaded in turn by
# wrk (pinned to core 1), round after round, so that a neighbour's burst on this shared machine
# moves both alike. Prints, per path, each build's median requests/s and the median of the
# rounds' ratios (B over A). Use it to tell a change in speed from the machine's noise, which
# a ratio to the ceiling alone cannot do when the ceiling itself moves by 15% between rounds.
#
#   bench/compare.sh A_BINARY B_BINARY [SECONDS_PER_ROUND]
#
# e.g. the code before a change, built in a worktree, against today's:
#   git worktree add /tmp/before 44cb158
#   (cd /tmp/before && cargo build --release) && cargo build --release
#   bench/compare.sh /tmp/before/target/release/leap-graphql target/release/leap-graphql
#
# ROUNDS (default 9) rounds per path; FILMS (default 100000) the catalogue of the miss path.
set -euo pipefail
cd "$(dirname "$0")/.."

a="$(realpath "$1")" b="$(realpath "$2")" secs="${3:-3}"
rounds="${ROUNDS:-9}"
films="${FILMS:-100000}"
source bench/lib.sh

# Requests per second of URL $1 under wrk's script $2.
rps() { load "$1" "$2" | cut -d' ' -f1; }

# Loads A then B, $rounds times, with wrk's script $1, and prints one line for label $2.
rounds() {
  local script="$1" label="$2" i
  : >"$work/rounds"
  for i in $(seq 1 "$rounds"); do
    echo "$(rps "$url_a" "$script") $(rps "$url_b" "$script")" >>"$work/rounds"
  done
  python3 -c '
import statistics, sys
rows = [tuple(map(float, l.split())) for l in open(sys.argv[1])]
a = statistics.median(r[0] for r in rows); b = statistics.median(r[1] for r in rows)
ratios = sorted(r[1] / r[0] for r in rows)
print("%-14s %10.0f %10.0f %8.3f   (rounds: %s)" % (sys.argv[2], a, b, statistics.median(ratios),
      " ".join("%.2f" % x for x in ratios)))' "$work/rounds" "$label"
}

source bench/operations.sh
printf '%-14s %10s %10s %8s\n' path "A req/s" "B req/s" "B/A"

start "$a" serve --listen 127.0.0.1:0
url_a="$url"
start "$b" serve --listen 127.0.0.1:0
url_b="$url"
for op in FilmPage Catalogue; do
  body "tests/operations/$op.graphql" "${vars[$op]}" >"$work/$op.json"
  BODY_FILE="$work/$op.json" rounds bench/post.lua "$op hot"
done
kill "${pids[@]}"
pids=()

catalogue="$PWD/bench/.data/films-$films"
if [ ! -f "$catalogue/films.json" ]; then
  "$b" generate "$catalogue" --films "$films" >/dev/null
fi
python3 -c '
import json, sys
for f in json.load(open(sys.argv[1])): print(f["slug"])' "$catalogue/films.json" |
  shuf --random-source=<(yes) >"$work/slugs"
python3 -c 'import json,sys; print(json.dumps(open(sys.argv[1]).read()))' \
  tests/operations/FilmPage.graphql >"$work/query"
start "$a" serve --listen 127.0.0.1:0 --seed "$catalogue" --response-cache-entries 0
url_a="$url"
start "$b" serve --listen 127.0.0.1:0 --seed "$catalogue" --response-cache-entries 0
url_b="$url"
SLUGS_FILE="$work/slugs" QUERY_FILE="$work/query" rounds bench/miss.lua "FilmPage miss"
