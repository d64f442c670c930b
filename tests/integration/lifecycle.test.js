// Start-up output, flags, TLS (self-signed certificate made with openssl here), idle pings,
// and a graceful SIGTERM.
'use strict';
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const https = require('node:https');
const os = require('node:os');
const path = require('node:path');
const { binary, startServer, Client, identity, makeRoot, sleep } = require('./helpers');

test('--help lists the flags; bad flags exit 2 with a message', () => {
  const help = spawnSync(binary, ['--help'], { encoding: 'utf8' });
  assert.equal(help.status, 0);
  for (const flag of ['--root', '--port', '--host', '--tls-cert', '--tls-key', '--grace-ms', '--max-frame-bytes']) {
    assert.ok(help.stdout.includes(flag), flag);
  }
  const bad = spawnSync(binary, ['--root', '/tmp', '--port', 'x'], { encoding: 'utf8' });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--port/);
  const noRoot = spawnSync(binary, [], { encoding: 'utf8' });
  assert.equal(noRoot.status, 2);
  const missing = spawnSync(binary, ['--root', '/nonexistent/dir', '--port', '0'], { encoding: 'utf8' });
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /level=error event=fatal/);
});

test('start-up prints the local URL, LAN URLs and a QR code; logs are key=value', async () => {
  const { root, cleanup } = makeRoot();
  const proc = require('node:child_process').spawn(binary, ['--root', root, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stdout.on('data', (d) => { out += d; });
  proc.stderr.on('data', (d) => { err += d; });
  try {
    for (let i = 0; i < 50 && !/event=listening/.test(err); i++) await sleep(50);
    assert.match(out, /^PeddleNet server: http:\/\/localhost:\d+\/$/m);
    const lan = [...out.matchAll(/on your network: (http:\/\/[\d.]+:\d+\/)/g)].map((m) => m[1]);
    if (lan.length > 0) {
      assert.ok(out.includes(`Scan to open ${lan[0]}`));
      assert.ok(out.includes('█') || out.includes('▀'), 'a QR code drawn with block characters');
    }
    assert.match(err, /^ts=\S+Z level=info event=listening port=\d+ /m);
  } finally {
    process.kill(proc.pid, 'SIGTERM');
    await new Promise((r) => proc.on('exit', r));
    cleanup();
  }
});

test('PORT from the environment is the default port', async () => {
  const { root, cleanup } = makeRoot();
  // A port the kernel just handed out and released: a random one can collide with a browser's
  // ephemeral ports when the suites share a network namespace.
  const port = await new Promise((resolve) => {
    const probe = require('node:net').createServer().listen(0, '127.0.0.1', () => {
      const { port: p } = probe.address();
      probe.close(() => resolve(p));
    });
  });
  const proc = require('node:child_process').spawn(binary, ['--root', root, '--no-qr'], {
    stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PORT: String(port) } });
  let out = '';
  proc.stdout.on('data', (d) => { out += d; });
  proc.stderr.on('data', (d) => { out += d; });
  try {
    for (let i = 0; i < 100 && !out.includes('localhost') && proc.exitCode === null; i++) await sleep(50);
    assert.ok(out.includes(`http://localhost:${port}/`), out);
  } finally {
    if (proc.exitCode === null) {
      proc.kill('SIGTERM');
      await new Promise((r) => proc.on('exit', r));
    }
    cleanup();
  }
});

test('TLS: https and wss on one port with a self-signed certificate', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'peddlenet-tls-'));
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256',
    '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'], { stdio: 'ignore' });
  const s = await startServer(['--tls-cert', cert, '--tls-key', key]);
  try {
    assert.match(s.stdout, /https:\/\/localhost:\d+\//);
    const ca = fs.readFileSync(cert);
    const body = await new Promise((resolve, reject) => {
      https.get(`${s.http}/healthz`, { ca }, (res) => {
        let b = '';
        res.on('data', (d) => { b += d; });
        res.on('end', () => resolve({ status: res.statusCode, b, coop: res.headers['cross-origin-opener-policy'] }));
      }).on('error', reject);
    });
    assert.deepEqual(body, { status: 200, b: 'ok', coop: 'same-origin' });
    const a = await Client.open(s.ws, { ca });
    const b = await Client.open(s.ws, { ca });
    await a.join('tls', 'a');
    await b.join('tls', 'b');
    a.send({ type: 'signal', to: identity('b').id, data: { secure: true, pad: 'p'.repeat(40000) } });
    const got = await b.next('signal');
    assert.equal(got.from, identity('a').id);
    assert.equal(got.data.pad.length, 40000);
    // plain HTTP to the TLS port is refused without harming the server
    await fetch(`http://127.0.0.1:${s.port}/healthz`).then(() => {}, () => {});
    b.send({ type: 'ping' });
    assert.equal((await b.next()).type, 'pong');
    await a.close();
    await b.close();
  } finally {
    await s.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('silent sockets are pinged, then closed', { timeout: 20000 }, async () => {
  const s = await startServer(['--idle-timeout-ms', '300']);
  try {
    const polite = await Client.open(s.ws); // ws answers pings by itself
    const pinged = new Promise((r) => polite.ws.once('ping', r));
    const { RawWs } = require('./rawws');
    const mute = await RawWs.open(s.port); // never answers
    await pinged;
    assert.equal((await mute.next(9, 2000)).opcode, 9);
    await mute.ended;
    await sleep(500);
    polite.send({ type: 'ping' });
    assert.equal((await polite.next()).type, 'pong', 'a client that answers pings stays');
    await polite.close();
  } finally {
    await s.stop();
  }
});

test('SIGTERM: close frames (1001), exit 0 within a few seconds', { timeout: 20000 }, async () => {
  const s = await startServer();
  const a = await Client.open(s.ws);
  const b = await Client.open(s.ws);
  await a.join('bye', 'a');
  const t0 = Date.now();
  process.kill(s.proc.pid, 'SIGTERM');
  const [ca, cb, exit] = await Promise.all([a.closed, b.closed, s.exited]);
  assert.equal(ca.code, 1001);
  assert.equal(cb.code, 1001);
  assert.deepEqual(exit, { code: 0, signal: null });
  assert.ok(Date.now() - t0 < 4000);
  assert.match(s.stderr, /event=stopping signal=15/);
  assert.match(s.stderr, /event=stopped/);
  await s.stop();
});
