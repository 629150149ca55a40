// Runs graphql-http's GraphQL-over-HTTP server audits against a running server:
//
//   node tests/audit/audit.mjs http://127.0.0.1:PORT/graphql
//
// Prints one line per audit and exits 1 if any result is anything but 'ok': warnings (the
// spec's SHOULDs) and notices count as failures too, because we mean to conform fully. Exits 2
// on bad usage or a fatal error, 3 when the audits take longer than the hard timeout.

import { auditServer } from 'graphql-http';

const TIMEOUT_MS = 60_000;

const url = process.argv[2];
if (!url || process.argv.length > 3) {
  console.error('usage: node audit.mjs URL');
  process.exit(2);
}

// A hung server must not hang CI: the whole run gets one deadline. unref() lets a run that
// finishes early exit at once instead of waiting out the timer.
setTimeout(() => {
  console.error(`audit: timed out after ${TIMEOUT_MS / 1000} s against ${url}`);
  process.exit(3);
}, TIMEOUT_MS).unref();

let results;
try {
  results = await auditServer({ url });
} catch (err) {
  console.error(`audit: fatal: ${err?.stack ?? err}`);
  process.exit(2);
}

const counts = {};
for (const result of results) {
  counts[result.status] = (counts[result.status] ?? 0) + 1;
  const line = `${result.status.toUpperCase().padEnd(6)} ${result.id} ${result.name}`;
  if (result.status === 'ok') {
    console.log(line);
  } else {
    console.log(`${line}\n       reason: ${result.reason}`);
  }
}

const summary = Object.entries(counts)
  .map(([status, n]) => `${n} ${status}`)
  .join(', ');
const failed = results.filter((r) => r.status !== 'ok').length;
console.log(`audit: ${results.length} audits: ${summary}`);
process.exit(failed === 0 && results.length > 0 ? 0 : 1);
