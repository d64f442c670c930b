// Links that die quietly, end to end: real pages, real Chromium WebRTC, nftables in this test's
// own network namespace (scripts/test.sh runs the e2e tests in one).
//   1. every UDP packet is dropped on arrival for 40 s while the WebSocket (TCP) stays up: the
//      link goes down, recovers by ICE restarts and a fresh connection, and a message said in
//      the outage arrives within seconds of the network coming back; direct, and relayed by the
//      box's coturn;
//   2. the browser's "online" event restarts ICE on a link that is up, which stays up;
//   3. the People panel shows each link's path and health, and the room's summary;
//   4. a whole browser stopped for 40 s (SIGSTOP, a phone asleep) catches up once it resumes.
// Prints "network back -> chat back" per path for the closing note (scripts/bench/ reruns it).
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { startServer, startTurn, launchBrowser, openApp, openRoom, closePages, screenshot, waitForState, send, dropUdp } = require('./harness');

const OUTAGE_MS = Number(process.env.PEDDLENET_OUTAGE_MS || 40000);
const SECRET = 'e2e-recovery-secret-0123456789abcdef';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
let browser, turn, dir;
test.before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'peddlenet-e2e-recovery-'));
  fs.writeFileSync(path.join(dir, 'secret'), `${SECRET}\n`, { mode: 0o600 });
  turn = await startTurn(SECRET);
  browser = await launchBrowser();
});
test.after(async () => {
  await browser?.close();
  await turn?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

const room = (server, n, options = {}) => openRoom(browser, server, n, { prefix: 'recovery', ...options });
// Predicates run in the page (waitForState serialises them): self-contained, data by `arg`.
const linked = (s) => s.peers.length === 1 && s.peers[0].link === 'open';
const has = (s, text) => s.messages.some((m) => m.text === text);

// Links two pages, cuts UDP for OUTAGE_MS with a message sent inside it, lifts the cut and
// returns how long after that the message arrived.
async function outage(pages, label, expectedPath) {
  for (const p of pages) await waitForState(p, linked, 20000);
  for (const p of pages) {
    const s = await waitForState(p, (x) => x.peers[0].path !== null, 5000);
    assert.equal(s.peers[0].path.kind, expectedPath, JSON.stringify(s.peers[0].path));
  }
  const lift = dropUdp();
  let lifted = false;
  try {
    const cut = Date.now();
    // Both ends see the link go down, and start recovering it.
    for (const p of pages) await waitForState(p, (s) => s.peers[0]?.link !== 'open', 15000);
    console.log(`# ${label}: link seen down ${Date.now() - cut} ms after the cut`);
    await send(pages[0], `said in the ${label} outage`);
    await sleep(Math.max(0, OUTAGE_MS - (Date.now() - cut)));
    const during = await pages[0].evaluate(() => window.peddlenet.state().mesh);
    lift();
    lifted = true;
    const back = Date.now();
    await waitForState(pages[1], has, 30000, `said in the ${label} outage`).catch(async (e) => {
      // Once in a CI run the relayed link did not come back: say what each side saw.
      for (const p of pages) {
        const s = await p.evaluate(() => window.peddlenet.state());
        console.log(`# ${label} not back: ${JSON.stringify({ peers: s.peers, mesh: s.mesh, relay: s.relay, signaling: s.signaling })}`);
      }
      if (turn) console.log(`# coturn said:\n${turn.output().split('\n').slice(-40).map((l) => `#   ${l}`).join('\n')}`);
      throw e;
    });
    const ms = Date.now() - back;
    const after = await pages[0].evaluate(() => window.peddlenet.state());
    const other = await pages[1].evaluate(() => window.peddlenet.state().mesh);
    console.log(`# ${label}: network back -> chat back ${ms} ms (outage ${OUTAGE_MS} ms; ICE restarts ` +
                `${during.iceRestarts}+${other.iceRestarts}, fresh connections ${during.freshConnections}+` +
                `${other.freshConnections})`);
    assert.ok(during.iceRestarts >= 1, 'ICE was restarted during the outage');
    await waitForState(pages[0], (s) => s.peers[0]?.link === 'open' &&
                       s.messages.every((m) => m.delivery === 'delivered'), 10000);
    await waitForState(pages[0], (s, kind) => s.peers[0].path?.kind === kind, 5000, expectedPath);
    assert.equal(after.peers.length, 1, 'the peer was never given up');
    return ms;
  } finally {
    if (!lifted) lift();
  }
}

test('a direct link whose UDP is cut for 40 s is back within seconds of the network', async () => {
  const server = await startServer();
  const pages = await room(server, 2);
  try {
    const ms = await outage(pages, 'direct', 'direct');
    assert.ok(ms < 12000, `chat back ${ms} ms after the network`);
    for (const p of pages) assert.deepEqual(p.problems, []);
  } finally {
    await closePages(pages);
    await server.stop();
  }
});

test('a link relayed by the box whose UDP is cut for 40 s is back within seconds of the network', async () => {
  const server = await startServer(['--turn-port', String(turn.port), '--turn-secret-file', path.join(dir, 'secret')]);
  const pages = await room(server, 2, { before: (p) => p.evaluate(() => window.peddlenet.setRelayOnly(true)) });
  try {
    const ms = await outage(pages, 'relayed', 'relay');
    assert.ok(ms < 12000, `chat back ${ms} ms after the network`);
    for (const p of pages) assert.deepEqual(p.problems, []);
  } finally {
    await closePages(pages);
    await server.stop();
  }
});

test('the online event restarts ICE on a live link, which stays up; People shows path and health', async () => {
  const server = await startServer();
  const pages = await room(server, 2);
  try {
    for (const p of pages) {
      await waitForState(p, (s) => s.peers.length === 1 && s.peers[0].link === 'open' && s.peers[0].path !== null, 20000);
    }
    await pages[0].evaluate(() => window.dispatchEvent(new Event('online')));
    const s = await waitForState(pages[0], (x) => x.mesh.iceRestarts === 1, 2000);
    assert.ok(linked(s));
    await send(pages[0], 'after the network changed');
    await waitForState(pages[1], has, 5000, 'after the network changed');
    const restarted = await pages[0].evaluate(() => window.peddlenet.state());
    assert.equal(restarted.peers[0].link, 'open');
    assert.equal(restarted.mesh.freshConnections, 0);
    assert.equal(restarted.peers[0].health.attempts, 1);

    // The People panel: the room's one line, and each link's path and health.
    const page = pages[0];
    await page.mouse.click(335, 36); // "People 2", the header's last button
    await sleep(300);
    await screenshot(page, 'people-health-light');
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.waitForFunction(() => window.peddlenet.state().theme === 'dark');
    await sleep(300);
    await screenshot(page, 'people-health-dark');
    for (const p of pages) assert.deepEqual(p.problems, []);
  } finally {
    await closePages(pages);
    await server.stop();
  }
});

// The whole browser of one page stopped (a phone asleep, SIGSTOP to every Chromium process of
// it) for 40 s while the other page and the server go on: caught up soon after it resumes.
test('a browser stopped for 40 s catches up within seconds of resuming', async () => {
  const server = await startServer();
  const marker = `--peddlenet-sleeper=${process.pid}-${Date.now()}`; // Chromium ignores it; pgrep finds it
  const sleeper = await launchBrowser([marker]);
  const a = await openApp(browser, server.url);
  const b = await openApp(sleeper, server.url);
  try {
    await a.evaluate(() => window.peddlenet.setName('Awake'));
    await b.evaluate(() => window.peddlenet.setName('Asleep'));
    const name = `sleep-${Date.now() % 100000}`;
    for (const p of [a, b]) await p.evaluate((r) => window.peddlenet.join(r), name);
    for (const p of [a, b]) await waitForState(p, linked, 20000);
    // The browser process carries the marker; its renderer, GPU and utility processes are its
    // descendants.
    const pgrep = (...args) => {
      try { return execFileSync('pgrep', args, { encoding: 'utf8' }).trim().split('\n').filter(Boolean).map(Number); } catch (_) { return []; }
    };
    const pids = pgrep('-f', '--', marker);
    for (let i = 0; i < pids.length; ++i) pids.push(...pgrep('-P', String(pids[i])));
    assert.ok(pids.length >= 3, `the sleeper's processes: ${pids}`);
    for (const pid of pids) process.kill(pid, 'SIGSTOP');
    let resumed = false;
    try {
      await sleep(2000);
      await send(a, 'said while the other slept');
      await sleep(OUTAGE_MS - 2000);
    } finally {
      for (const pid of pids) { try { process.kill(pid, 'SIGCONT'); } catch (_) { /* gone */ } }
      resumed = true;
    }
    const back = Date.now();
    await waitForState(b, has, 30000, 'said while the other slept');
    const ms = Date.now() - back;
    const sb = await b.evaluate(() => window.peddlenet.state());
    console.log(`# stopped browser: caught up ${ms} ms after it resumed (ICE restarts ${sb.mesh.iceRestarts}, ` +
                `fresh connections ${sb.mesh.freshConnections}, signaling ${sb.signaling})`);
    assert.ok(resumed);
    assert.ok(ms < 10000, `caught up ${ms} ms after resuming`);
  } finally {
    await a.context().close();
    await sleeper.close();
    await server.stop();
  }
});
