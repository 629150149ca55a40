#!/usr/bin/env bash
# Event delivery to many WebSocket subscribers: N graphql-ws clients (tests/e2e's npm
# packages), each on a socket of its own, subscribe to reviewAdded on the film; once the
# server's /metrics counts all N open, one review is added every 100 ms (EVENTS of them,
# default 50), and the script prints the p50 and p99 time from sending each mutation to
# each subscriber's receiving its event (so the durable write is inside the figure; the
# mutation's own p50 is printed beside it), and how many of the N × EVENTS events arrived.
# The clients all run in one Node.js process, whose own event loop is part of what is timed.
#
#   bench/subscribers.sh [BINARY] [SUBSCRIBERS]     (needs node and `npm ci` in tests/e2e)
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${1:-}"
n="${2:-1000}"
events="${EVENTS:-50}"
[ -f tests/e2e/node_modules/graphql-ws/package.json ] ||
  { echo "subscribers: run .ci/install-e2e (or npm ci in tests/e2e) first" >&2; exit 1; }
if [ -z "$bin" ]; then
  cargo build --quiet --release --bin leap-graphql
  bin="${CARGO_TARGET_DIR:-target}/release/leap-graphql"
fi
work="$(mktemp -d)"
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
"$bin" serve --listen 127.0.0.1:0 --database "$work/reviews.db" --max-writes-per-minute 0 \
  --max-subscriptions $((n + 100)) >"$work/stdout" 2>"$work/stderr" &
pid=$!
for _ in $(seq 100); do grep -q "listening on" "$work/stdout" && break; sleep 0.1; done
url="$(sed -n 's/^listening on //p' "$work/stdout")"
cd tests/e2e
node --input-type=module - "$url" "$n" "$events" <<'JS'
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
const [url, count, events] = process.argv.slice(2).map((a, i) => (i ? Number(a) : a));
const subject = 'RmlsbTpsZWFw';
const query = `subscription($s: ID!) { reviewAdded(subject: $s) { body } }`;
// When each review's mutation was sent, by its body (an event can arrive before the
// mutation's own answer: subscribers hear of a write once it is durable, the writer after).
const sent = new Map();
const latencies = [];
const mutations = [];
const clients = [];
for (let i = 0; i < count; i++) {
  const c = createClient({ url: url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, retryAttempts: 0 });
  clients.push(c);
  c.subscribe({ query, variables: { s: subject } }, {
    next: (v) => {
      const t = sent.get(v.data?.reviewAdded?.body);
      if (t !== undefined) latencies.push(performance.now() - t);
    },
    error: (e) => console.error('subscriber error', e?.message ?? e?.reason ?? e),
    complete: () => {},
  });
}
const metrics = url.replace(/\/graphql$/, '/metrics');
for (let waited = 0; ; waited += 100) {
  const page = await fetch(metrics).then((r) => r.text());
  const open = Number(/^leap_graphql_subscriptions_open (\d+)/m.exec(page)?.[1] ?? 0);
  if (open >= count) break;
  if (waited > 60_000) throw new Error(`only ${open} of ${count} subscriptions opened in 60 s`);
  await new Promise((r) => setTimeout(r, 100));
}
for (let i = 0; i < events; i++) {
  const body = `event ${i}`;
  const t = performance.now();
  sent.set(body, t);
  const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: 'mutation($i: AddReviewInput!) { addReview(input: $i) { review { id } } }',
      variables: { i: { subject, rating: 5, author: 'bench', body } } }) }).then((r) => r.json());
  mutations.push(performance.now() - t);
  if (!r.data?.addReview?.review) throw new Error(`addReview answered ${JSON.stringify(r)}`);
  await new Promise((r) => setTimeout(r, 100));
}
await new Promise((r) => setTimeout(r, 2000));
const q = (list, p) => {
  const sorted = [...list].sort((a, b) => a - b);
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))].toFixed(1) : 'n/a';
};
console.log(`subscribers=${count} events=${latencies.length}/${count * events} ` +
  `p50=${q(latencies, 0.5)}ms p99=${q(latencies, 0.99)}ms mutation_p50=${q(mutations, 0.5)}ms`);
await Promise.all(clients.map((c) => c.dispose()));
process.exit(0);
JS
