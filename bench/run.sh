#!/usr/bin/env bash
# The HTTP benchmark: for each frontend operation, the real server (pinned to core 0) and, in
# the same run, a ceiling server returning the very same response bytes, both loaded by wrk
# (pinned to core 1). Prints requests/s, p50/p99 and the ratio to the ceiling, on the hot path
# (the same request repeated; once more as a browser sends it, asking for compression) and
# on the cache-miss path (FilmPage over a synthetic catalogue of $FILMS films, a different
# existing slug each request).
#
#   bench/run.sh [SECONDS_PER_RUN]      (needs wrk: apt-get install wrk)
#
# CONNS (default 32) sets wrk's connections; FILMS (default 100000) the catalogue size;
# SCALE_FILMS (default 60000, about 1M entities) the catalogue of the scale comparison;
# ROUNDS (default 5) how many times each server is loaded, alternating with the other, for
# one line: the line reports the median round of each and the median of the rounds' ratios,
# so that a neighbour's burst on this shared machine moves one round and not the ratio.
set -euo pipefail
cd "$(dirname "$0")/.."

secs="${1:-10}"
rounds="${ROUNDS:-5}"
films="${FILMS:-100000}"
cargo build --quiet --release --bin leap-graphql --example ceiling
bin="$PWD/target/release/leap-graphql"
ceiling="$PWD/target/release/examples/ceiling"
source bench/lib.sh

source bench/operations.sh

header

# Hot path: the bundled seed, the same request again and again.
start "$bin" serve --listen 127.0.0.1:0
server="$url"
for op in FilmPage AlbumPage PersonPage TeamPage NodeLookup Search Catalogue MatchTimeline; do
  body "tests/operations/$op.graphql" "${vars[$op]}" >"$work/$op.json"
  curl -sf -H 'content-type: application/json' -H 'accept: application/graphql-response+json' \
    --data-binary @"$work/$op.json" "$server" >"$work/$op.response"
  start "$ceiling" "$work/$op.response"
  both="$(BODY_FILE="$work/$op.json" pair "$server" "$url" bench/post.lua)"
  stop
  report "$op" hot "$both"
done
# A browser's hot path: the same request with a browser's Accept-Encoding, answered with
# brotli; the ceiling returns the same compressed bytes.
browser="gzip, deflate, br"
curl -sf -H 'content-type: application/json' -H 'accept: application/graphql-response+json' \
  -H "accept-encoding: $browser" --data-binary @"$work/Catalogue.json" "$server" \
  >"$work/browser.response"
start "$ceiling" "$work/browser.response"
both="$(ACCEPT_ENCODING="$browser" BODY_FILE="$work/Catalogue.json" pair "$server" "$url" bench/post.lua)"
stop
report "Catalogue, br" hot "$both"
stop

# Memory: resident set of the server on the bundled seed as shipped, at start and once 3000
# distinct requests (filling the response cache) and 3000 distinct documents (filling the
# document and plan caches) have been answered.
start "$bin" serve --listen 127.0.0.1:0
pid="${pids[-1]}"
rss() { awk '/^VmRSS:/ { printf "%.1f", $2 / 1024 }' "/proc/$pid/status"; }
at_start="$(rss)"
python3 - "$url" <<'PY'
import http.client, json, sys, urllib.parse
url = urllib.parse.urlparse(sys.argv[1])
conn = http.client.HTTPConnection(url.hostname, url.port)
film = open("tests/operations/FilmPage.graphql").read()
def post(body):
    conn.request("POST", url.path, json.dumps(body), {"content-type": "application/json"})
    conn.getresponse().read()
for i in range(3000):
    post({"query": film, "variables": {"slug": f"film-{i}"}})
for i in range(3000):
    post({"query": "{ a%d: film(slug: \"leap\") { title } }" % i})
PY
printf '\nresident memory, bundled seed: %s MB at start, %s MB with its caches full\n' "$at_start" "$(rss)"
stop

# Cache-miss path: a synthetic catalogue, a different film each request.
catalogue="$PWD/bench/.data/films-$films"
if [ ! -f "$catalogue/films.json" ]; then
  "$bin" generate "$catalogue" --films "$films" >/dev/null
fi
python3 -c '
import json, sys
for f in json.load(open(sys.argv[1])): print(f["slug"])' "$catalogue/films.json" | shuf --random-source=<(yes) >"$work/slugs"
python3 -c 'import json,sys; print(json.dumps(open(sys.argv[1]).read()))' tests/operations/FilmPage.graphql >"$work/query"
start "$bin" serve --listen 127.0.0.1:0 --seed "$catalogue" --response-cache-entries 0
server="$url"
first="$(head -n 1 "$work/slugs")"
body tests/operations/FilmPage.graphql "{\"slug\":\"$first\"}" >"$work/miss.json"
curl -sf -H 'content-type: application/json' --data-binary @"$work/miss.json" "$server" >"$work/miss.response"
start "$ceiling" "$work/miss.response"
ceiling_url="$url"
for i in $(seq 1 "$rounds"); do
  SLUGS_FILE="$work/slugs" QUERY_FILE="$work/query" load "$server" bench/miss.lua >>"$work/ours.rounds"
  BODY_FILE="$work/miss.json" load "$ceiling_url" bench/post.lua >>"$work/ceil.rounds"
done
both="$(medians)"
stop
stop
report FilmPage miss "$both"

# Scale: paged root lists and search, response cache off, on the bundled seed and on a
# catalogue of about 1M entities ($SCALE_FILMS films); the ratio is of p50 latencies. Only
# requests whose answers hold as many nodes on both catalogues are compared (a page of 100
# people against the bundled seed's 13 would compare different work): the candidates are
# asked of both servers first, and the script prints how many it kept.
scale_films="${SCALE_FILMS:-60000}"
big="$PWD/bench/.data/films-$scale_films"
if [ ! -f "$big/films.json" ]; then
  "$bin" generate "$big" --films "$scale_films" >/dev/null
fi
python3 - "$work" <<'PY'
import json, sys
work = sys.argv[1]
catalogue = open("tests/operations/Catalogue.graphql").read()
search = open("tests/operations/Search.graphql").read()
lists = {
    "films": "films(first: $n) { totalCount pageInfo { hasNextPage endCursor } nodes { id slug title } }",
    "people": "people(first: $n) { totalCount pageInfo { hasNextPage endCursor } nodes { id slug name } }",
    "teams": "teams(first: $n) { totalCount nodes { id slug name } }",
    "matches": "matches(first: $n) { totalCount nodes { id slug title year } }",
    "tracks": "tracks(first: $n, orderBy: { field: DURATION, direction: DESC }) { nodes { id slug title durationSeconds } }",
}
with open(f"{work}/paged.all", "w") as f:
    for n in range(1, 101):
        f.write(json.dumps({"query": catalogue, "variables": {"first": n}}) + "\n")
        for field in lists.values():
            f.write(json.dumps({"query": "query ($n: Int) { %s }" % field, "variables": {"n": n}}) + "\n")
words = ["leap", "china", "team", "the", "gold", "rio", "world", "final", "film", "night",
         "women", "volleyball", "cup"]
with open(f"{work}/search.all", "w") as f:
    for w in words:
        for n in range(1, 11):
            f.write(json.dumps({"query": search, "variables": {"text": w, "first": n}}) + "\n")
PY
start "$bin" serve --listen 127.0.0.1:0 --response-cache-entries 0
small_url="$url"
start "$bin" serve --listen 127.0.0.1:0 --seed "$big" --response-cache-entries 0
big_url="$url"
python3 - "$work" "$small_url" "$big_url" <<'PY'
import json, sys, urllib.request
work, small, big = sys.argv[1:]
def nodes(url, body):
    req = urllib.request.Request(url, data=body.encode(), headers={"content-type": "application/json"})
    answer = json.load(urllib.request.urlopen(req))
    def count(v):
        if isinstance(v, dict):
            return sum(len(x) if k == "nodes" else count(x) for k, x in v.items())
        return sum(count(x) for x in v) if isinstance(v, list) else 0
    return None if "errors" in answer else count(answer["data"])
for name in ["paged", "search"]:
    bodies = open(f"{work}/{name}.all").read().splitlines()
    kept = [b for b in bodies if (n := nodes(small, b)) and n == nodes(big, b)]
    open(f"{work}/{name}", "w").write("".join(b + "\n" for b in kept))
    print(f"{name}: {len(kept)} of {len(bodies)} requests answer with as many nodes on both", file=sys.stderr)
PY
stop
stop
printf '\n%-10s %18s %18s %10s\n' list "bundled p50/p99" "1M p50/p99" "p50 ratio"
for list in paged search; do
  start "$bin" serve --listen 127.0.0.1:0 --response-cache-entries 0
  small="$(BODIES_FILE="$work/$list" load "$url" bench/rotate.lua)"
  stop
  start "$bin" serve --listen 127.0.0.1:0 --seed "$big" --response-cache-entries 0
  large="$(BODIES_FILE="$work/$list" load "$url" bench/rotate.lua)"
  stop
  read -r _ sp50 sp99 <<<"$small"
  read -r _ lp50 lp99 <<<"$large"
  printf '%-10s %18s %18s %10s\n' "$list" "$sp50/$sp99 ms" "$lp50/$lp99 ms" \
    "$(python3 -c "print('%.2f' % ($lp50 / $sp50))")"
done
