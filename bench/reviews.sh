#!/usr/bin/env bash
# The read path beside writes: the film and album pages, and their first pages of reviews,
# against the ceiling (as bench/run.sh measures them), with 10,000 reviews on the film and
# 10 writes a second (alternating the film and the album) running beside the load. The
# reviews are imported before the server starts (`leap-graphql reviews import`), on a
# temporary database.
#
#   bench/reviews.sh [SECONDS_PER_RUN]     (needs wrk)
#
# REVIEWS (default 10000) reviews on the film; WRITES (default 10) writes a second; ROUNDS
# (default 5) rounds per line, as in bench/run.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

secs="${1:-10}"
rounds="${ROUNDS:-5}"
reviews="${REVIEWS:-10000}"
writes="${WRITES:-10}"
cargo build --quiet --release --bin leap-graphql --example ceiling
bin="$PWD/target/release/leap-graphql"
ceiling="$PWD/target/release/examples/ceiling"
source bench/lib.sh
source bench/operations.sh

film="RmlsbTpsZWFw"                     # Film:leap
album="QWxidW06bGVhcC1zb3VuZHRyYWNr"    # Album:leap-soundtrack
db="$work/reviews.db"

# $reviews reviews of the film, a minute apart, ending an hour ago, as `reviews export`
# writes them (ids are UUIDv7s of their time; no token opens them).
python3 - "$reviews" "$film" >"$work/reviews.jsonl" <<'PY'
import json, os, sys, time
n, film = int(sys.argv[1]), sys.argv[2]
end = int(time.time() * 1000) - 3_600_000
for i in range(n):
    at = end - (n - i) * 60_000
    raw = bytearray(at.to_bytes(6, "big") + os.urandom(10))
    raw[6] = 0x70 | (raw[6] & 0x0F)
    raw[8] = 0x80 | (raw[8] & 0x3F)
    h = raw.hex()
    print(json.dumps({
        "id": f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}", "subject": film,
        "rating": i % 5 + 1, "title": None, "body": f"Review {i} of the film.",
        "author": f"reader {i}", "createdAt": at, "editedAt": None,
        "tokenHash": os.urandom(32).hex(), "hiddenAt": None, "hiddenReason": None}))
PY
"$bin" reviews import --database "$db" <"$work/reviews.jsonl" >&2

start "$bin" serve --listen 127.0.0.1:0 --database "$db" --max-writes-per-minute 0
server="$url"

# The writer, on wrk's core: $writes addReview a second, each acknowledged before the next.
taskset -c 1 python3 - "$server" "$writes" "$film" "$album" <<'PY' &
import http.client, json, sys, time, urllib.parse
url, rate, subjects = urllib.parse.urlparse(sys.argv[1]), float(sys.argv[2]), sys.argv[3:]
conn = http.client.HTTPConnection(url.hostname, url.port)
query = "mutation($i: AddReviewInput!) { addReview(input: $i) { review { id } userErrors { code } } }"
n, next_at = 0, time.monotonic()
while True:
    n += 1
    body = {"query": query, "variables": {"i": {"subject": subjects[n % 2], "rating": n % 5 + 1,
            "author": "bench", "body": f"written during the benchmark, {n}"}}}
    conn.request("POST", url.path, json.dumps(body), {"content-type": "application/json"})
    answer = json.loads(conn.getresponse().read())
    if answer.get("errors") or answer["data"]["addReview"]["userErrors"]:
        sys.exit(f"bench: a write failed: {answer}")
    next_at += 1 / rate
    time.sleep(max(0, next_at - time.monotonic()))
PY
pids+=("$!")

header
vars[Reviews]='{"slug":"leap"}'
vars[AlbumReviews]='{"slug":"leap-soundtrack"}'
for op in FilmPage AlbumPage Reviews AlbumReviews; do
  body "tests/operations/$op.graphql" "${vars[$op]}" >"$work/$op.json"
  curl -sf -H 'content-type: application/json' -H 'accept: application/graphql-response+json' \
    --data-binary @"$work/$op.json" "$server" >"$work/$op.response"
  start "$ceiling" "$work/$op.response"
  report "$op" hot "$(BODY_FILE="$work/$op.json" pair "$server" "$url" bench/post.lua)"
  stop
done
count="$(curl -sf -H 'content-type: application/json' \
  --data-binary '{"query":"{ film(slug: \"leap\") { reviewSummary { count } } }"}' "$server")"
echo "reviews on the film at the end: $count"
