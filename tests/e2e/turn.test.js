// The festival box's TURN server, end to end: real coturn on 127.0.0.1 (harness startTurn), the
// real server handing out its credentials (--turn-port, --turn-secret-file), real pages.
//   1. two pages that link only through a relay (iceTransportPolicy "relay") open a link and
//      chat over it;
//   2. on Wi-Fi that isolates clients (nftables in this test's network namespace drops every UDP
//      packet that neither comes from nor goes to the TURN server), two pages link through the
//      box, and without the box they do not;
//   3. credentials the TURN server refuses (the server holds another secret) show as a clear
//      state (state().relay.lastError "401 ...", Settings says so), not a hang.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { startServer, startTurn, launchBrowser, openRoom, closePages, screenshot, waitForState, send, nftTable } = require('./harness');

const SECRET = 'e2e-turn-secret-0123456789abcdef';
let browser, turn, dir;
test.before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'peddlenet-e2e-turn-'));
  fs.writeFileSync(path.join(dir, 'right'), `${SECRET}\n`, { mode: 0o600 });
  fs.writeFileSync(path.join(dir, 'wrong'), 'not-the-secret-coturn-holds-0123\n', { mode: 0o600 });
  turn = await startTurn(SECRET);
  browser = await launchBrowser();
});
test.after(async () => {
  await browser?.close();
  await turn?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

const boxFlags = (secretFile) => ['--turn-port', String(turn.port), '--turn-secret-file', path.join(dir, secretFile)];

const room = (server, n, options = {}) => openRoom(browser, server, n, { prefix: 'turn', ...options });
const linked = (s) => s.peers.length === 1 && s.peers[0].link === 'open';

test('pages that link only through the box relay open a link and chat over it', async () => {
  const server = await startServer(boxFlags('right'));
  const pages = await room(server, 2, { before: (p) => p.evaluate(() => window.peddlenet.setRelayOnly(true)) });
  try {
    const started = Date.now();
    for (const p of pages) {
      const s = await waitForState(p, linked, 20000);
      assert.equal(s.relay.relayOnly, true);
      assert.equal(s.relay.boxServers, 2); // turn: over UDP and over TCP
      assert.ok(s.relay.candidates > 0, 'relay candidates were gathered');
      assert.equal(s.relay.lastError, '');
      // Connection health: this link's one attempt opened, through the relay, within a second.
      assert.equal(s.peers[0].health.attempts, 1);
      assert.equal(s.peers[0].health.successes, 1);
      assert.ok(s.peers[0].health.connectMs > 0 && s.peers[0].health.connectMs < 5000);
      assert.ok(s.peers[0].health.score >= 70 && s.health.score >= 70, JSON.stringify(s.health));
    }
    console.log(`# relay only: linked in ${Date.now() - started} ms`);
    await send(pages[0], 'through the box');
    await waitForState(pages[1], (s) => s.messages.some((m) => m.text === 'through the box'), 10000);
    await send(pages[1], 'and back');
    await waitForState(pages[0], (s) => s.messages.some((m) => m.text === 'and back'), 10000);
    for (const p of pages) assert.deepEqual(p.problems, []);
  } finally {
    await closePages(pages);
    await server.stop();
  }
});

// Client isolation, as venue Wi-Fi does it: no UDP between phones, only to and from the box's
// TURN server (its port, and relay port to relay port). Dropped on arrival, silently: a drop on
// the way out fails the sender's sendmsg (EPERM), which no Wi-Fi does (measured: Chromium then
// never linked, not even through the relay). Needs the test's own network namespace
// (scripts/test.sh runs the e2e tests in one); returns the function that lifts it.
function isolateClients() {
  return nftTable('peddlenet_isolation', `chain input {
      type filter hook input priority 0; policy accept;
      udp dport ${turn.port} accept
      udp sport ${turn.port} accept
      udp sport 49160-49260 udp dport 49160-49260 accept
      meta l4proto udp drop
    }`);
}

test('on Wi-Fi that isolates clients, pages link through the box, and not without it', async () => {
  const lift = isolateClients();
  try {
    const plain = await startServer();
    let pages = await room(plain, 2);
    try {
      // 8 s is twenty times what these pages need through the box; nothing else can link them.
      await new Promise((r) => setTimeout(r, 8000));
      for (const p of pages) {
        const s = await p.evaluate(() => window.peddlenet.state());
        assert.equal(s.peers.filter((x) => x.link === 'open').length, 0, 'no link without the box');
        assert.equal(s.relay.boxServers, 0);
      }
    } finally {
      await closePages(pages);
      await plain.stop();
    }
    const server = await startServer(boxFlags('right'));
    pages = await room(server, 2);
    try {
      const started = Date.now();
      for (const p of pages) await waitForState(p, linked, 20000);
      console.log(`# isolated clients: linked through the box in ${Date.now() - started} ms`);
      await send(pages[0], 'isolated, still here');
      await waitForState(pages[1], (s) => s.messages.some((m) => m.text === 'isolated, still here'), 10000);
    } finally {
      await closePages(pages);
      await server.stop();
    }
  } finally {
    lift();
  }
});

test('credentials the TURN server refuses show as a clear state, not a hang', async () => {
  const server = await startServer(boxFlags('wrong'));
  const pages = await room(server, 2, { before: (p) => p.evaluate(() => window.peddlenet.setRelayOnly(true)) });
  try {
    const started = Date.now();
    const s = await waitForState(pages[0], (x) => x.relay.lastError !== '', 5000);
    console.log(`# refused credentials reported after ${Date.now() - started} ms: ${s.relay.lastError}`);
    assert.match(s.relay.lastError, /^401 turn:127\.0\.0\.1:\d+\?transport=(udp|tcp) /);
    assert.equal(s.relay.candidates, 0);
    assert.equal(s.relay.relayOnly, true);
    assert.notEqual(s.peers[0]?.link, 'open');
    // Settings says it in words.
    await pages[0].evaluate(() => window.peddlenet.leave());
    await waitForState(pages[0], (x) => x.screen === 'home');
    await new Promise((r) => setTimeout(r, 300)); // the home screen's first frames lay it out
    await pages[0].mouse.click(52, 547); // Settings, the last of the home screen's buttons
    const shown = await waitForState(pages[0], (x) => x.screen === 'settings');
    assert.equal(shown.relay.relayOnly, true);
    await screenshot(pages[0], 'turn-refused-settings-light');
    await pages[0].emulateMedia({ colorScheme: 'dark' });
    await waitForState(pages[0], (x) => x.theme === 'dark');
    await new Promise((r) => setTimeout(r, 300));
    await screenshot(pages[0], 'turn-refused-settings-dark');
  } finally {
    await closePages(pages);
    await server.stop();
  }
});
