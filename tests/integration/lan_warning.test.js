// The server's start-up output on a LAN: it lists the addresses phones can open, and when it
// serves plain http there it warns what phones will lack (no secure context: no Web Crypto, no
// camera, no service worker) and what to do. A LAN interface is made for the test: a bridge
// with 10.77.0.1/24 in the test's own network namespace (scripts/test.sh runs these tests in
// one, as root), removed afterwards.
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { startServer, sleep } = require('./helpers');

const LAN = '10.77.0.1';
const WARNING = /Warning: phones that open these http:\/\/ addresses are not in a secure context\. They get no Web Crypto, so they cannot sign in and chat; no camera, so no QR scanning; no service worker, so no offline use and no install\. Only http:\/\/localhost on this machine works\. Serve https under a name phones trust \(--tls-cert, --tls-key\): see docs\/DEPLOY\.md\./;

before(() => {
  execFileSync('ip', ['link', 'add', 'pn-lan0', 'type', 'bridge']);
  execFileSync('ip', ['addr', 'add', `${LAN}/24`, 'dev', 'pn-lan0']);
  execFileSync('ip', ['link', 'set', 'pn-lan0', 'up']);
});
after(() => execFileSync('ip', ['link', 'del', 'pn-lan0']));

// The server's start-up output (all of it is written at once, before it serves).
async function startupOutput(flags) {
  const s = await startServer(flags);
  await sleep(200);
  const out = s.stdout;
  await s.stop();
  return out;
}

test('plain http on LAN addresses: listed, with a warning of what phones will lack', async () => {
  const out = await startupOutput(['--host', '0.0.0.0']);
  assert.match(out, new RegExp(`on your network: http://${LAN.replace(/\./g, '\\.')}:\\d+/`));
  assert.match(out, WARNING);
});

test('no warning for https, nor for a server only this machine reaches', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'peddlenet-lan-'));
  try {
    const cert = path.join(dir, 'cert.pem');
    const key = path.join(dir, 'key.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256',
      '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost'], { stdio: 'ignore' });
    const tls = await startupOutput(['--host', '0.0.0.0', '--tls-cert', cert, '--tls-key', key]);
    assert.match(tls, new RegExp(`on your network: https://${LAN.replace(/\./g, '\\.')}:\\d+/`));
    assert.doesNotMatch(tls, /Warning/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  assert.doesNotMatch(await startupOutput(['--host', '127.0.0.1']), /Warning|on your network/);
});
