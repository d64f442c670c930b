// harness.js: shared plumbing for the end-to-end tests: the real server binary on 127.0.0.1,
// Debian's Chromium through playwright-core, app pages that are ready to drive, screenshots.
'use strict';
const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { chromium } = require('playwright-core');

const ROOT = path.resolve(__dirname, '../..');
const SERVER = process.env.PEDDLENET_SERVER || path.join(ROOT, 'build/native/src/server/peddlenet-server');
const WEB_ROOT = process.env.PEDDLENET_WEB_ROOT || path.join(ROOT, 'build/wasm/web');
const ARTIFACTS = path.join(ROOT, 'test-results');

// The flags the workplace recipes measured; loopback ICE needs allow-loopback plus camera permission.
const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--enable-unsafe-swiftshader',
  '--allow-loopback-in-peer-connection', '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream',
];

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

// Starts the real server on a free port and waits until /healthz answers.
async function startServer(extraArgs = [], { port } = {}) {
  port = port || await freePort();
  const child = spawn(SERVER, ['--root', WEB_ROOT, '--port', String(port), '--host', '127.0.0.1', ...extraArgs],
                      { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => { output += d; });
  child.stderr.on('data', (d) => { output += d; });
  const url = `http://127.0.0.1:${port}/`;
  const deadline = Date.now() + 10000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited (${child.exitCode}):\n${output}`);
    try {
      const res = await fetch(url + 'healthz');
      if (res.ok) break;
    } catch (_) { /* not listening yet */ }
    if (Date.now() > deadline) { child.kill('SIGKILL'); throw new Error(`server did not start:\n${output}`); }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url, port, child,
    output: () => output,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

// Starts coturn (Debian's turnserver) on 127.0.0.1 as the festival box's TURN server, with the
// shared secret `secret` (the TURN REST API's --use-auth-secret), in a scratch directory;
// ../shared/notes/turn-recipe.md has the measured recipe (loopback needs --allow-loopback-peers).
// Resolves once it listens; stop() ends it (SIGTERM) and removes the directory.
async function startTurn(secret) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'peddlenet-turn-'));
  fs.writeFileSync(path.join(dir, 'turnserver.conf'), `use-auth-secret\nstatic-auth-secret=${secret}\n`,
                   { mode: 0o600 });
  const port = await freePort();
  const child = spawn('turnserver', [
    '-c', path.join(dir, 'turnserver.conf'), '--listening-ip=127.0.0.1', '--relay-ip=127.0.0.1',
    `--listening-port=${port}`, '--min-port=49160', '--max-port=49260', '--allow-loopback-peers',
    '--realm=peddlenet', '--fingerprint', '--no-cli', '--no-tls', '--no-dtls', '--no-multicast-peers',
    '--log-file=stdout', '--simple-log', `--pidfile=${path.join(dir, 'turnserver.pid')}`,
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => { output += d; });
  child.stderr.on('data', (d) => { output += d; });
  const deadline = Date.now() + 10000;
  // It listens on TCP and UDP at once: a TCP connection that is accepted means it is up.
  const listening = () => new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => { socket.destroy(); resolve(true); });
    socket.on('error', () => resolve(false));
  });
  while (!await listening()) {
    if (child.exitCode !== null) throw new Error(`turnserver exited (${child.exitCode}):\n${output}`);
    if (Date.now() > deadline) { child.kill('SIGKILL'); throw new Error(`turnserver did not start:\n${output}`); }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    port, child,
    output: () => output,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function launchBrowser(extraArgs = []) {
  return chromium.launch({ executablePath: '/usr/bin/chromium', args: [...CHROMIUM_ARGS, ...extraArgs] });
}

// Opens the app at `url` in a fresh phone-sized context and waits for window.peddlenet.ready.
// Console errors and page errors are collected in page.problems for the test to assert on.
async function openApp(browser, url, { viewport = { width: 390, height: 844 }, scale = 1, context } = {}) {
  const ctx = context || await browser.newContext({ viewport, deviceScaleFactor: scale });
  const origin = new URL(url).origin;
  await ctx.grantPermissions(['camera'], { origin }).catch(() => {});
  const page = await ctx.newPage();
  page.problems = [];
  page.on('console', (m) => {
    // SwiftShader performance notes are the software renderer talking, not the app.
    if (m.type() === 'error' && !/GL Driver Message/.test(m.text())) page.problems.push(m.text());
  });
  page.on('pageerror', (e) => page.problems.push(`pageerror: ${e.message}`));
  const started = Date.now();
  await page.goto(url);
  await page.waitForFunction(() => window.peddlenet !== undefined, null, { timeout: 30000 });
  await page.evaluate(() => window.peddlenet.ready);
  page.readyMs = Date.now() - started;
  return page;
}

async function screenshot(page, name) {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file });
  return file;
}

// Opens `n` app pages named "Page 0".., applies `before(page)` to each (settings that must hold
// before joining), then joins them all to one new open room whose name starts with `prefix`.
async function openRoom(browser, server, n, { before = async () => {}, prefix = 'room' } = {}) {
  const pages = [];
  for (let i = 0; i < n; ++i) {
    const page = await openApp(browser, server.url);
    await page.evaluate((name) => window.peddlenet.setName(name), `Page ${i}`);
    await before(page);
    pages.push(page);
  }
  const name = `${prefix}-${Date.now() % 100000}-${Math.floor(Math.random() * 1000)}`;
  for (const p of pages) await p.evaluate((r) => window.peddlenet.join(r), name);
  return pages;
}
const closePages = async (pages) => { for (const p of pages) await p.context().close(); };

// Loads the nftables table `name` with `chains` (nft syntax) into this process's network
// namespace (scripts/test.sh runs the e2e tests in their own); returns the function that
// deletes it. Tests drop traffic on the input hook: a drop on the way out fails the sender's
// sendmsg at once (EPERM), which no Wi-Fi does.
function nftTable(name, chains) {
  execFileSync('nft', ['-f', '-'], { input: `table inet ${name} {\n${chains}\n}` });
  return () => execFileSync('nft', ['delete', 'table', 'inet', name]);
}

// Every UDP packet dropped on arrival, silently, as a dead Wi-Fi does; returns the lift.
const dropUdp = (name = 'peddlenet_outage') =>
  nftTable(name, 'chain input { type filter hook input priority 0; policy accept; meta l4proto udp drop; }');

// Polls `predicate` in the page (a function of state()) until it holds or `timeoutMs` passes.
async function waitForState(page, predicate, timeoutMs = 10000, arg) {
  await page.waitForFunction(
    ([fn, a]) => new Function('s', 'arg', `return (${fn})(s, arg);`)(window.peddlenet.state(), a),
    [predicate.toString(), arg], { timeout: timeoutMs, polling: 50 });
  return page.evaluate(() => window.peddlenet.state());
}

// Waits until the page stops drawing (it renders on demand): what it shows is then up to date.
async function settled(page, quietMs = 400) {
  let frames = (await state(page)).frames;
  for (let quietSince = Date.now(); Date.now() - quietSince < quietMs;) {
    await new Promise((r) => setTimeout(r, 50));
    const now = (await state(page)).frames;
    if (now !== frames) { frames = now; quietSince = Date.now(); }
  }
}

// The automation API's state() and send(), called in the page.
const state = (page) => page.evaluate(() => window.peddlenet.state());
const send = (page, text) => page.evaluate((t) => window.peddlenet.send(t), text);

module.exports = {
  ROOT, WEB_ROOT, ARTIFACTS, startServer, startTurn, launchBrowser, openApp, openRoom, closePages, screenshot,
  waitForState, freePort, state, send, settled, nftTable, dropUdp,
};
