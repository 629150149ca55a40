// Graceful shutdown as the npm graphql-ws client sees it. Usage:
//   node shutdown.mjs http://ADDR/graphql SUBJECT_ID
// Subscribes to reviewAdded over graphql-ws (the ws package, as Node 20 has no WebSocket),
// adds a review with a plain fetch and waits for its event, then prints `live` and waits for
// the server to stop (the test sends it SIGTERM). Prints one JSON line: whether the
// subscription completed (the server's `complete`, not an error), whether it erred, and the
// code and reason the socket closed with. Exits 0 once the socket has closed.
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

const [url, subject] = process.argv.slice(2);
const deadline = setTimeout(() => {
  console.error('shutdown.mjs: nothing happened within 30 s');
  process.exit(124);
}, 30_000);

let closed;
const closedOnce = new Promise((resolve) => (closed = resolve));
const client = createClient({
  url: url.replace(/^http/, 'ws'),
  webSocketImpl: WebSocket,
  retryAttempts: 0,
  // Not lazy: the socket stays open after the subscription completes, so that the close
  // seen is the server's, not the client's own once it has nothing left to listen to.
  lazy: false,
  onNonLazyError: () => {},
  on: { closed: (event) => closed({ code: event.code, reason: event.reason }) },
});

const outcome = { events: 0, completed: false, error: null };
let heard;
const firstEvent = new Promise((resolve) => (heard = resolve));
const ended = new Promise((resolve) => {
  client.subscribe(
    { query: 'subscription($s: ID!) { reviewAdded(subject: $s) { id } }', variables: { s: subject } },
    {
      next: () => {
        outcome.events += 1;
        heard();
      },
      error: (e) => {
        outcome.error = String(e && (e.reason || e.message || JSON.stringify(e)));
        resolve();
      },
      complete: () => {
        outcome.completed = true;
        resolve();
      },
    },
  );
});

// Added until one is heard: the subscription may take a moment to be in place.
for (let i = 0; outcome.events === 0 && i < 50; i++) {
  await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      query: 'mutation($i: AddReviewInput!) { addReview(input: $i) { review { id } } }',
      variables: { i: { subject, rating: 5, author: 'Node', body: `before the stop ${i}` } },
    }),
  });
  await Promise.race([firstEvent, new Promise((r) => setTimeout(r, 200))]);
}
console.log('live');
await ended;
const close = await closedOnce;
clearTimeout(deadline);
console.log(JSON.stringify({ ...outcome, close }));
process.exit(0);
