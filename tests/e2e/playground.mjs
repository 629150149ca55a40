// End-to-end test of the leap-graphql playground, used the way a person uses it, in Debian's
// Chromium driven by playwright-core.
//
// Usage: node tests/e2e/playground.mjs http://127.0.0.1:PORT/ SCREENSHOT_DIR
//
// Chromium runs with a persistent profile (a temporary folder, launched twice), because every
// real browser has one and GraphiQL keeps its tabs, query and operation name there. The first
// launch runs the example as a first-time visitor sees it. The second launch, on the state the
// first one stored: replaces the query by typing, then by pasting, and runs each; picks one of
// two named operations from the run button's menu; types variables into the variables pane;
// reloads the page and runs again; runs the ReviewAdded subscription and sees the reviews added
// meanwhile arrive in the result pane. Every request must go to the server's own origin: any other
// is aborted and fails the test. On failure a screenshot is written to SCREENSHOT_DIR and its
// path printed. Exit code 0 means success; anything else comes with a message on stderr.

import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

const OVERALL_TIMEOUT_MS = 60_000;
const STEP_TIMEOUT_MS = 15_000;
const CHROMIUM = process.env.E2E_CHROMIUM || '/usr/bin/chromium';
// The flags this machine's Chromium needs: no sandbox as root, and no background connections,
// which the closed network would refuse (and which would count as requests leaving the machine).
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

// The reproduction: typed or pasted over the stored example, whose operation name
// GraphiQL kept. Films are listed by title, so the first is not Leap.
const NEW_QUERY = '{ films(first: 1) { nodes { title } } }';
const NEW_QUERY_SHOWS = '"American Dreams in China"';
// The cursor ends in the second operation, so picking the first shows that the pick counts.
const TWO_OPERATIONS = [
  'query LeapOriginalTitle { film(slug: "leap") { originalTitle } }',
  'query LeapRuntime { film(slug: "leap") { runtimeMinutes } }',
].join('\n');
const WITH_VARIABLES = 'query FilmBySlug($slug: String!) { film(slug: $slug) { originalTitle } }';
const VARIABLES = '{"slug": "leap"}';
// The frontends' ReviewAdded subscription, as written (tests/operations/), on the film Leap.
const REVIEW_ADDED = [
  'subscription ReviewAdded($subject: ID!) {',
  '  reviewAdded(subject: $subject) {',
  '    id',
  '    rating',
  '    title',
  '    body',
  '    author',
  '    createdAt',
  '    subject { __typename id }',
  '  }',
  '}',
].join('\n');
const LEAP = 'RmlsbTpsZWFw';
const SUBJECT_VARIABLES = `{"subject": "${LEAP}"}`;

const [url, screenshotDir] = process.argv.slice(2);
if (!url || !screenshotDir) {
  console.error('usage: node playground.mjs URL SCREENSHOT_DIR');
  process.exit(64);
}
const origin = new URL(url).origin;

// A hard deadline for the whole run, so a stuck browser or server can never hang CI.
// Playwright kills the browser it launched when the process exits.
const deadline = setTimeout(() => {
  console.error(`FAIL: the playground e2e test did not finish within ${OVERALL_TIMEOUT_MS / 1000} s`);
  process.exit(124);
}, OVERALL_TIMEOUT_MS);

const foreign = [];
// WebSockets the page opened to the server (GraphiQL's graphql-ws client, for subscriptions).
let sockets = 0;
const pageErrors = [];
const cspViolations = [];
let context;
let page;
let step = 'creating the profile folder';
const profile = await mkdtemp(path.join(tmpdir(), 'leap-playground-profile-'));

try {
  step = 'first launch: opening the page with an empty profile';
  await launch();
  await openPlayground();
  step = 'first launch: running the example query';
  await expectEditorContains('query', 'FilmPage');
  await runAndExpect(clickRun, { operationName: 'FilmPage', shows: '夺冠' });
  await context.close();

  step = 'second launch: opening the page on the profile the first launch stored';
  await launch();
  await openPlayground();
  await expectEditorContains('query', 'FilmPage');

  step = 'second launch: replacing the stored example by typing and running it';
  await replaceQuery(() => page.keyboard.type(NEW_QUERY), NEW_QUERY);
  await runAndExpect(clickRun, { operationName: undefined, shows: NEW_QUERY_SHOWS });

  step = 'second launch: replacing the query by pasting and running it with Ctrl-Enter';
  // A named operation first, held long enough for GraphiQL to take its name (it reads the
  // document 100 ms after a change), then the new query, run at once.
  await replaceQuery(() => paste(WITH_VARIABLES), WITH_VARIABLES);
  await page.waitForTimeout(300);
  await replaceQuery(() => paste(NEW_QUERY), NEW_QUERY);
  await runAndExpect(() => page.keyboard.press('Control+Enter'), { operationName: undefined, shows: NEW_QUERY_SHOWS });

  step = 'second launch: picking one of two named operations from the run menu';
  await replaceQuery(() => paste(TWO_OPERATIONS), TWO_OPERATIONS);
  // The run button offers the menu once GraphiQL has read the document (100 ms after a
  // change; a person takes longer to reach the button).
  await page.waitForFunction(
    (selector) => document.querySelector(selector)?.CodeMirror?.operations?.length === 2,
    editorSelector('query'),
  );
  await runAndExpect(
    async () => {
      await clickRun();
      await page.getByRole('menuitem', { name: 'LeapOriginalTitle' }).click();
    },
    { operationName: 'LeapOriginalTitle', shows: '夺冠', lacks: 'runtimeMinutes' },
  );

  step = 'second launch: typing variables into the variables pane';
  await replaceQuery(() => paste(WITH_VARIABLES), WITH_VARIABLES);
  await page.getByRole('button', { name: 'Variables', exact: true }).click();
  await page.locator(editorSelector('variables')).click();
  await page.keyboard.press('Control+A');
  await page.keyboard.type(VARIABLES);
  await expectEditorValue('variables', VARIABLES);
  const sent = await runAndExpect(clickRun, { operationName: 'FilmBySlug', shows: '夺冠' });
  if (JSON.stringify(sent.variables) !== JSON.stringify({ slug: 'leap' })) {
    throw new Error(`the request carried variables ${JSON.stringify(sent.variables)}, not ${VARIABLES}`);
  }

  step = 'second launch: reloading the page and running what it restored';
  // GraphiQL saves an edit 500 ms after the last keystroke; a person reloads later than that.
  await page.waitForTimeout(1000);
  await page.reload({ waitUntil: 'load' });
  await expectEditorValue('query', WITH_VARIABLES);
  await runAndExpect(clickRun, { operationName: 'FilmBySlug', shows: '夺冠' });

  step = 'second launch: running the ReviewAdded subscription and seeing its events arrive';
  await runSubscription();

  step = 'checking what the pages did';
  if (foreign.length || pageErrors.length || cspViolations.length) {
    throw new Error(
      `${foreign.length} request(s) not to ${origin}, ${pageErrors.length} uncaught page error(s), ` +
        `${cspViolations.length} Content-Security-Policy violation(s), listed below`,
    );
  }
} catch (error) {
  console.error(`FAIL while ${step}: ${error && error.message ? error.message : error}`);
  for (const [label, list] of [['page error', pageErrors], ['foreign request', foreign], ['CSP violation', cspViolations]]) {
    for (const item of list) console.error(`  ${label}: ${item}`);
  }
  await screenshot();
  await finish(1);
}
console.log(
  `ok: the playground at ${url} ran the example, typed, pasted, picked and variable queries, a reload, ` +
    'and the ReviewAdded subscription with its events arriving',
);
await finish(0);

/** Starts Chromium on the shared profile, with every request outside the server's origin blocked. */
async function launch() {
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1400, height: 900 },
    serviceWorkers: 'block',
    permissions: ['clipboard-read', 'clipboard-write'],
    timeout: STEP_TIMEOUT_MS,
  });
  await context.route('**/*', (route) => {
    const address = route.request().url();
    if (sameOrigin(address)) return route.continue();
    foreign.push(address);
    return route.abort('blockedbyclient');
  });
  await context.routeWebSocket(/.*/, (socket) => {
    if (sameOrigin(socket.url().replace(/^ws/, 'http'))) {
      sockets += 1;
      return socket.connectToServer();
    }
    foreign.push(socket.url());
    return socket.close();
  });
  page = context.pages()[0] || (await context.newPage());
  page.setDefaultTimeout(STEP_TIMEOUT_MS);
  page.on('pageerror', (error) => pageErrors.push(String(error)));
  // GraphiQL's menus lock the page's scroll with an injected <style>, which the page's CSP
  // (no inline styles) blocks; the page fills the window and never scrolls, so nothing is
  // lost. Any other violation (a script, a connection, a font) fails the test.
  page.on('console', (message) => {
    const text = message.text();
    if (message.type() !== 'error' || !/Content Security Policy/i.test(text)) return;
    if (!/^Applying inline style violates/.test(text)) cspViolations.push(`${step}: ${text}`);
  });
}

/** Tells whether a URL is the server's own; data: and blob: URLs never touch the network. */
function sameOrigin(address) {
  if (/^(data|blob|about):/.test(address)) return true;
  try {
    return new URL(address).origin === origin;
  } catch {
    return false;
  }
}

/** Opens the playground and waits until GraphiQL's query editor is on the page. */
async function openPlayground() {
  const response = await page.goto(url, { waitUntil: 'load' });
  if (!response || !response.ok()) {
    throw new Error(`the page answered ${response ? response.status() : 'nothing'}`);
  }
  await page.locator('.graphiql-query-editor .CodeMirror').waitFor({ state: 'visible' });
}

/** The CSS selector of GraphiQL's query, variables or response editor. */
function editorSelector(which) {
  return {
    query: '.graphiql-query-editor .CodeMirror',
    variables: '.graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror',
    response: '.graphiql-response .CodeMirror',
  }[which];
}

/** What an editor holds, read through CodeMirror rather than its rendered lines. */
function editorValue(which) {
  return page.evaluate((selector) => document.querySelector(selector)?.CodeMirror?.getValue() ?? null, editorSelector(which));
}

async function expectEditorContains(which, text) {
  await page.waitForFunction(
    ([selector, wanted]) => (document.querySelector(selector)?.CodeMirror?.getValue() ?? '').includes(wanted),
    [editorSelector(which), text],
  );
}

async function expectEditorValue(which, text) {
  const held = await editorValue(which);
  if (held !== text) {
    throw new Error(`the ${which} editor holds ${JSON.stringify(held)}, not ${JSON.stringify(text)}`);
  }
}

/** Selects the whole query, as a person does before replacing it, then enters new text. */
async function replaceQuery(enter, expected) {
  await page.locator(editorSelector('query')).click();
  await page.keyboard.press('Control+A');
  await enter();
  await expectEditorValue('query', expected);
}

/** Puts text on the system clipboard and pastes it with Ctrl-V where the focus is. */
async function paste(text) {
  await page.evaluate((value) => navigator.clipboard.writeText(value), text);
  await page.keyboard.press('Control+V');
}

async function clickRun() {
  await page.locator('.graphiql-execute-button').click();
}

/**
 * Runs the query by `trigger`, then checks the request GraphiQL sent (its operation name is
 * the one the document being run defines) and the result pane (it shows `shows`, no errors,
 * and not `lacks`). Returns the request's JSON body.
 */
async function runAndExpect(trigger, { operationName, shows, lacks }) {
  const sent = page.waitForRequest((request) => {
    if (request.method() !== 'POST' || !request.url().endsWith('/graphql')) return false;
    return !(request.postDataJSON()?.query ?? '').includes('__schema');
  });
  await trigger();
  const body = (await sent).postDataJSON();
  if (body.operationName !== operationName) {
    throw new Error(
      `GraphiQL sent operationName ${JSON.stringify(body.operationName)} with ${JSON.stringify(body.query)}; ` +
        `expected ${JSON.stringify(operationName)}`,
    );
  }
  try {
    await expectEditorContains('response', shows);
  } catch {
    throw new Error(`the result pane does not show ${shows}: ${JSON.stringify(await editorValue('response'))}`);
  }
  const result = await editorValue('response');
  if (result.includes('"errors"') || (lacks && result.includes(lacks))) {
    throw new Error(`the result pane shows ${JSON.stringify(result)}`);
  }
  return body;
}

/**
 * Runs ReviewAdded in the page (GraphiQL sends it over the WebSocket of graphql-ws, bundled in
 * the page), adds reviews over HTTP as another client would, and checks that each one's
 * event appears in the result pane, the second after the first.
 */
async function runSubscription() {
  await replaceQuery(() => paste(REVIEW_ADDED), REVIEW_ADDED);
  if (!(await page.locator(editorSelector('variables')).isVisible())) {
    await page.getByRole('button', { name: 'Variables', exact: true }).click();
  }
  await page.locator(editorSelector('variables')).click();
  await page.keyboard.press('Control+A');
  await page.keyboard.type(SUBJECT_VARIABLES);
  await expectEditorValue('variables', SUBJECT_VARIABLES);
  const before = sockets;
  await clickRun();
  // The subscription is in place once an event reaches the pane; until then each review
  // added may come too early, so one is added every half second, a few times at most.
  const first = await addUntilShown('heard live, first');
  const second = await addReview('heard live, second');
  try {
    await expectEditorContains('response', second);
  } catch {
    throw new Error(`the second event (${second}) did not reach the result pane: ${JSON.stringify(await editorValue('response'))}`);
  }
  const result = await editorValue('response');
  if (result.includes('"errors"') || !result.includes('heard live, second')) {
    throw new Error(`the result pane shows ${JSON.stringify(result)}`);
  }
  if (first === second) throw new Error('two reviews had one id');
  if (sockets === before) throw new Error('the subscription ran without a WebSocket to the server');
}

/** Adds a review of Leap over HTTP (from this script, not the page) and returns its id. */
async function addReview(body) {
  const response = await fetch(new URL('/graphql', origin), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      query: 'mutation($i: AddReviewInput!) { addReview(input: $i) { review { id } userErrors { code } } }',
      variables: { i: { subject: LEAP, rating: 5, author: 'e2e', body } },
    }),
  }).then((r) => r.json());
  const id = response?.data?.addReview?.review?.id;
  if (!id) throw new Error(`addReview answered ${JSON.stringify(response)}`);
  return id;
}

async function addUntilShown(body) {
  for (let attempt = 0; attempt < 10; attempt++) {
    const id = await addReview(body);
    try {
      await page.waitForFunction(
        ([selector, wanted]) => (document.querySelector(selector)?.CodeMirror?.getValue() ?? '').includes(wanted),
        [editorSelector('response'), id],
        { timeout: 500 },
      );
      return id;
    } catch {
      // Not subscribed yet: add another.
    }
  }
  throw new Error(`no event reached the result pane: ${JSON.stringify(await editorValue('response'))}`);
}

/** Saves what the page looked like when the test failed, and says where. */
async function screenshot() {
  if (!page) return;
  try {
    await mkdir(screenshotDir, { recursive: true });
    const file = path.join(screenshotDir, `playground-failure-${Date.now()}.png`);
    await page.screenshot({ path: file, timeout: 5_000 });
    console.error(`screenshot: ${file}`);
  } catch (error) {
    console.error(`no screenshot: ${error && error.message ? error.message : error}`);
  }
}

/** Closes the browser, removes the profile and exits with the given code. */
async function finish(code) {
  clearTimeout(deadline);
  try {
    if (context) await context.close();
  } catch {
    // The browser is killed on exit anyway.
  }
  await rm(profile, { recursive: true, force: true });
  process.exit(code);
}
