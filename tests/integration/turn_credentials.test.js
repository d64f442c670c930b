// TURN credentials from the real server (--turn-port, --turn-secret-file): a proven join gets
// the box's TURN server, at the address the client reached the server by, with a username
// "<expiry>:<peer>" and password base64(HMAC-SHA1(secret, username)) (the TURN REST API form
// that coturn checks), before `joined`; fresh ones before they expire; nothing without a proof.
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { startServer, Client, identity } = require('./helpers');

const SECRET = 'integration-turn-secret-0123456789';
let server, dir;
before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'peddlenet-turn-'));
  fs.writeFileSync(path.join(dir, 'secret'), `${SECRET}\n`, { mode: 0o600 });
  server = await startServer(['--turn-port', '3478', '--turn-secret-file', path.join(dir, 'secret'),
                              '--turn-ttl-s', '10', '--idle-timeout-ms', '1000']);
});
after(async () => {
  await server.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

// Checks one ice-servers frame for `peer`; returns its expiry.
function checkIceServers(frame, peer) {
  assert.equal(frame.type, 'ice-servers');
  assert.deepEqual(frame.servers.map((s) => s.urls),
                   ['turn:127.0.0.1:3478?transport=udp', 'turn:127.0.0.1:3478?transport=tcp']);
  const now = Math.floor(Date.now() / 1000);
  assert.ok(frame.expires > now && frame.expires <= now + 11, `expires ${frame.expires}, now ${now}`);
  for (const s of frame.servers) {
    assert.equal(s.username, `${frame.expires}:${peer}`);
    assert.equal(s.credential, crypto.createHmac('sha1', SECRET).update(s.username).digest('base64'));
  }
  return frame.expires;
}

test('a proven join gets TURN credentials before joined, and new ones before they expire', async () => {
  const c = await Client.open(server.ws);
  c.send(await c.joinFrame('turn-room', 'ann'));
  const first = await c.next();
  const expires = checkIceServers(first, identity('ann').id);
  assert.equal((await c.next()).type, 'joined');
  // --turn-ttl-s 10: renewed when four fifths are up (8 s), by the server's sweep (1 s steps).
  const renewed = await c.next('ice-servers', 12000);
  assert.ok(checkIceServers(renewed, identity('ann').id) > expires);
  await c.close();
});

test('no credentials without a proof, and none from a server without --turn-port', async () => {
  const c = await Client.open(server.ws);
  c.send(await c.joinFrame('turn-room', 'bob', 'Bob', { signer: 'mallory' }));
  assert.equal((await c.next()).code, 'bad-signature');
  assert.deepEqual((await c.drain(300)).filter((m) => m.type === 'ice-servers'), []);
  await c.close();

  const plain = await startServer();
  try {
    const d = await Client.open(plain.ws);
    assert.equal((await d.join('plain-room', 'carol')).type, 'joined');
    assert.deepEqual((await d.drain(300)).filter((m) => m.type === 'ice-servers'), []);
    await d.close();
  } finally {
    await plain.stop();
  }
});

test('a missing or short secret file stops the server at start with a reason', async () => {
  await assert.rejects(startServer(['--turn-port', '3478', '--turn-secret-file', path.join(dir, 'none')]),
                       /cannot read the TURN secret/);
  fs.writeFileSync(path.join(dir, 'short'), 'abc\n');
  await assert.rejects(startServer(['--turn-port', '3478', '--turn-secret-file', path.join(dir, 'short')]),
                       /shorter than 16/);
});
