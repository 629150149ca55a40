// The subscription transports, driven by the npm clients real frontends use: graphql-ws (over
// the ws package, as Node 20 has no WebSocket) and graphql-sse in its distinct-connections
// mode. Usage: node subscriptions.mjs http://ADDR/graphql SUBJECT_ID
// Subscribes over both, adds a review with a plain fetch, and checks that both clients get
// it; then checks that a mutation sent over each transport is refused. Prints one JSON line
// and exits 0 when every check passes.
import { createClient as createWsClient } from 'graphql-ws';
import { createClient as createSseClient } from 'graphql-sse';
import WebSocket from 'ws';

const [url, subject] = process.argv.slice(2);
const wsUrl = url.replace(/^http/, 'ws');

const SUBSCRIPTION = `subscription ReviewAdded($subject: ID!) {
  reviewAdded(subject: $subject) { id rating title body author createdAt subject { __typename id } }
}`;
const MUTATION = `mutation { addReview(input: { subject: "${subject}", rating: 5, author: "ws", body: "over ws" }) { review { id } } }`;

const ws = createWsClient({ url: wsUrl, webSocketImpl: WebSocket, retryAttempts: 0, lazy: true });
const sse = createSseClient({ url, retryAttempts: 0 });

function firstEvent(client, payload) {
  return new Promise((resolve, reject) => {
    let got = null;
    const dispose = client.subscribe(payload, {
      next: (value) => {
        got = value;
        dispose();
        resolve(value);
      },
      error: (e) => reject(e),
      complete: () => {
        if (!got) reject(new Error('completed without an event'));
      },
    });
  });
}

function refusal(client, payload) {
  return new Promise((resolve) => {
    client.subscribe(payload, {
      next: (value) => resolve({ refused: Boolean(value.errors), value }),
      error: (e) => resolve({ refused: true, error: String(e && (e.message || JSON.stringify(e))) }),
      complete: () => resolve({ refused: false }),
    });
  });
}

const timeout = (ms) => new Promise((_, reject) => setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms));

const payload = { query: SUBSCRIPTION, variables: { subject } };
const wsEvent = firstEvent(ws, payload);
const sseEvent = firstEvent(sse, payload);
// Give both subscriptions time to be in place before the write.
await new Promise((r) => setTimeout(r, 500));
const added = await fetch(url, {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({
    query: `mutation($input: AddReviewInput!) { addReview(input: $input) { review { id } userErrors { code } } }`,
    variables: { input: { subject, rating: 4, author: 'Node', body: 'Heard live.' } },
  }),
}).then((r) => r.json());
const id = added.data.addReview.review.id;
const [fromWs, fromSse] = await Promise.race([Promise.all([wsEvent, sseEvent]), timeout(10000)]);
const wsMutation = await Promise.race([refusal(ws, { query: MUTATION }), timeout(10000)]);
const sseMutation = await Promise.race([refusal(sse, { query: MUTATION }), timeout(10000)]);
await ws.dispose();
sse.dispose();

const result = {
  id,
  ws: fromWs.data?.reviewAdded?.id,
  sse: fromSse.data?.reviewAdded?.id,
  wsSubject: fromWs.data?.reviewAdded?.subject?.id,
  wsMutationRefused: wsMutation.refused,
  sseMutationRefused: sseMutation.refused,
};
console.log(JSON.stringify(result));
const ok = result.ws === id && result.sse === id && result.wsSubject === subject
  && result.wsMutationRefused && result.sseMutationRefused;
process.exit(ok ? 0 : 1);
