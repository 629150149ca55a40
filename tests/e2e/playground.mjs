// End-to-end test of the leap-graphql playground in a real browser (Debian's Chromium).
//
// Usage: node tests/e2e/playground.mjs http://127.0.0.1:PORT/ ["expected substring"]
//
// It opens the page, waits for GraphiQL's editor, presses the run button and waits for the
// result pane to show the expected text (default "夺冠"). Every request to a host other than
// this machine's loopback is aborted and recorded, and any such attempt fails the test: the
// playground must be served entirely by the server. A screenshot is written to the path in
// E2E_SCREENSHOT when that is set. Exit code 0 means success; anything else comes with a
// message on stderr saying what went wrong.

import { chromium } from 'playwright-core';

const OVERALL_TIMEOUT_MS = 60_000;
const STEP_TIMEOUT_MS = 20_000;
const CHROMIUM = process.env.E2E_CHROMIUM || '/usr/bin/chromium';
const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

const [url, expected = '夺冠'] = process.argv.slice(2);
if (!url) {
  console.error('usage: node playground.mjs URL [EXPECTED_SUBSTRING]');
  process.exit(64);
}

// A hard deadline for the whole run, so a stuck browser or server can never hang CI.
// Playwright kills the browser it launched when the process exits.
const deadline = setTimeout(() => {
  console.error(`FAIL: the playground e2e test did not finish within ${OVERALL_TIMEOUT_MS / 1000} s`);
  process.exit(124);
}, OVERALL_TIMEOUT_MS);

/** Tells whether a URL stays on this machine; data: and blob: URLs never touch the network. */
function isLocal(address) {
  let parsed;
  try {
    parsed = new URL(address);
  } catch {
    return false;
  }
  if (parsed.protocol === 'data:' || parsed.protocol === 'blob:' || parsed.protocol === 'about:') {
    return true;
  }
  return LOCAL_HOSTS.has(parsed.hostname);
}

const foreign = [];
const pageErrors = [];
const cspViolations = [];
const consoleErrors = [];
let browser;
let step = 'launching Chromium';

try {
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    timeout: STEP_TIMEOUT_MS,
  });
  // A new context is a fresh, empty profile: no stored GraphiQL tabs, so the default query shows.
  const context = await browser.newContext({
    viewport: { width: 1400, height: 900 },
    serviceWorkers: 'block',
  });
  await context.route('**/*', (route) => {
    const requestUrl = route.request().url();
    if (isLocal(requestUrl)) {
      return route.continue();
    }
    foreign.push(requestUrl);
    return route.abort('blockedbyclient');
  });
  await context.routeWebSocket(/.*/, (ws) => {
    if (isLocal(ws.url())) {
      ws.connectToServer();
    } else {
      foreign.push(ws.url());
      ws.close();
    }
  });

  const page = await context.newPage();
  page.setDefaultTimeout(STEP_TIMEOUT_MS);
  page.on('pageerror', (error) => pageErrors.push(String(error)));
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    const text = message.text();
    if (/Content Security Policy/i.test(text)) cspViolations.push(text);
    else consoleErrors.push(text);
  });

  step = `opening ${url}`;
  const response = await page.goto(url, { waitUntil: 'load' });
  if (!response || !response.ok()) {
    throw new Error(`the page answered ${response ? response.status() : 'nothing'}`);
  }

  step = "waiting for GraphiQL's query editor";
  const editor = page.locator('.graphiql-query-editor .CodeMirror');
  await editor.waitFor({ state: 'visible' });
  await page.waitForFunction(
    () => document.querySelector('.graphiql-query-editor .CodeMirror')?.textContent.includes('FilmPage'),
    null,
    { timeout: STEP_TIMEOUT_MS },
  );

  step = 'checking that the documentation explorer is open';
  // GraphiQL "hides" a collapsed pane by moving it off-screen with opacity 0, which Playwright
  // still counts as visible, so check where the pane actually is.
  await page.waitForFunction(
    () => {
      const pane = document.querySelector('.graphiql-plugin');
      if (!pane || !pane.querySelector('.graphiql-doc-explorer')) return false;
      const box = pane.getBoundingClientRect();
      return box.x >= 0 && box.width > 100 && getComputedStyle(pane).opacity !== '0';
    },
    null,
    { timeout: STEP_TIMEOUT_MS },
  );

  step = 'pressing the run button';
  await page.locator('.graphiql-execute-button').click();

  step = `waiting for the result pane to contain ${JSON.stringify(expected)}`;
  await page.waitForFunction(
    (text) => document.querySelector('.graphiql-response')?.textContent.includes(text),
    expected,
    { timeout: STEP_TIMEOUT_MS },
  );

  if (process.env.E2E_SCREENSHOT) {
    step = `saving a screenshot to ${process.env.E2E_SCREENSHOT}`;
    // Give the docs pane a moment to render the schema it introspected.
    await page.waitForTimeout(500);
    await page.screenshot({ path: process.env.E2E_SCREENSHOT });
  }
  step = 'checking what the page did';
} catch (error) {
  console.error(`FAIL while ${step}: ${error && error.message ? error.message.split('\n')[0] : error}`);
  report();
  await finish(1);
}

const problems = [];
if (foreign.length) problems.push(`${foreign.length} request(s) tried to leave this machine:\n  ${foreign.join('\n  ')}`);
if (pageErrors.length) problems.push(`uncaught error(s) in the page:\n  ${pageErrors.join('\n  ')}`);
if (cspViolations.length) problems.push(`Content-Security-Policy violation(s):\n  ${cspViolations.join('\n  ')}`);
if (problems.length) {
  console.error(`FAIL: ${problems.join('\nFAIL: ')}`);
  await finish(1);
}
if (consoleErrors.length) console.error(`note: console errors (not failing the test):\n  ${consoleErrors.join('\n  ')}`);
console.log(`ok: the playground at ${url} ran the example query and showed ${JSON.stringify(expected)}`);
await finish(0);

/** Prints what was recorded, to make a failure easy to diagnose. */
function report() {
  for (const [label, list] of [['foreign request', foreign], ['page error', pageErrors], ['CSP violation', cspViolations], ['console error', consoleErrors]]) {
    for (const item of list) console.error(`  ${label}: ${item}`);
  }
}

/** Closes the browser and exits with the given code. */
async function finish(code) {
  clearTimeout(deadline);
  try {
    if (browser) await browser.close();
  } catch {
    // The browser is killed on exit anyway.
  }
  process.exit(code);
}
