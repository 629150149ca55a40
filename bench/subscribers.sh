#!/usr/bin/env bash
# Event delivery to many WebSocket subscribers: N graphql-ws clients (tests/e2e's npm
# packages) subscribe to reviewAdded on the film, one review is added every 100 ms, and the
# script prints the p50 and p99 time from the mutation's answer to each event's arrival.
#
#   bench/subscribers.sh [BINARY] [SUBSCRIBERS]     (needs node and `npm ci` in tests/e2e)
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${1:-}"
n="${2:-1000}"
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
cd tests/e2e
node --input-type=module - "$url" "$n" <<'JS'
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
const [url, count] = process.argv.slice(2);
const subject = 'RmlsbTpsZWFw';
const query = `subscription($s: ID!) { reviewAdded(subject: $s) { id } }`;
const sent = new Map();
const latencies = [];
for (let i = 0; i < Number(count); i++) {
  const c = createClient({ url: url.replace(/^http/, 'ws'), webSocketImpl: WebSocket });
  c.subscribe({ query, variables: { s: subject } }, {
    next: (v) => { const t = sent.get(v.data.reviewAdded.id); if (t) latencies.push(performance.now() - t); },
    error: () => {}, complete: () => {},
  });
}
await new Promise((r) => setTimeout(r, 3000));
for (let i = 0; i < 50; i++) {
  const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: 'mutation($i: AddReviewInput!) { addReview(input: $i) { review { id } } }',
      variables: { i: { subject, rating: 5, author: 'bench', body: `event ${i}` } } }) }).then((r) => r.json());
  sent.set(r.data.addReview.review.id, performance.now());
  await new Promise((r) => setTimeout(r, 100));
}
await new Promise((r) => setTimeout(r, 2000));
latencies.sort((a, b) => a - b);
const q = (p) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))];
console.log(`subscribers=${count} events=${latencies.length} p50=${q(0.5).toFixed(1)}ms p99=${q(0.99).toFixed(1)}ms`);
process.exit(0);
JS
