// Rooms, relay, leave, grace and refresh over real WebSockets against the real binary.
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startServer, Client, metrics, sleep } = require('./helpers');

const GRACE_MS = 400;
let server;
before(async () => { server = await startServer(['--grace-ms', String(GRACE_MS)]); });
after(async () => { await server.stop(); });

test('join: the joiner gets the others, the others get peer-joined', async () => {
  const a = await Client.open(server.ws);
  const b = await Client.open(server.ws);
  assert.deepEqual(await a.join('r1', 'a', 'Ann'), { type: 'joined', room: 'r1', peer: 'a', peers: [] });
  assert.deepEqual(await b.join('r1', 'b', 'Bob'),
    { type: 'joined', room: 'r1', peer: 'b', peers: [{ peer: 'a', name: 'Ann' }] });
  assert.deepEqual(await a.next(), { type: 'peer-joined', peer: 'b', name: 'Bob' });
  await a.close();
  await b.close();
});

test('signal is relayed with from filled in by the server', async () => {
  const a = await Client.open(server.ws);
  const b = await Client.open(server.ws);
  await a.join('r2', 'a');
  await b.join('r2', 'b');
  await a.next('peer-joined');
  const data = { sdp: 'v=0\r\no=- 46117 2 IN IP4 127.0.0.1\r\n', nested: { list: [1, 2.5, null, true] }, text: 'Zoë 🎉' };
  a.send({ type: 'signal', to: 'b', from: 'mallory', data });
  assert.deepEqual(await b.next(), { type: 'signal', from: 'a', data });
  b.send({ type: 'signal', to: 'a', data: { candidate: 'x' } });
  assert.deepEqual(await a.next(), { type: 'signal', from: 'b', data: { candidate: 'x' } });
  await a.close();
  await b.close();
});

test('signals stay inside their room', async () => {
  const a = await Client.open(server.ws);
  const b = await Client.open(server.ws);
  await a.join('r3a', 'a');
  await b.join('r3b', 'b');
  a.send({ type: 'signal', to: 'b', data: {} });
  const err = await a.next('error');
  assert.equal(err.code, 'no-such-peer');
  assert.equal(typeof err.message, 'string');
  assert.deepEqual(await b.drain(), []);
  await a.close();
  await b.close();
});

test('leave: the others get peer-left at once; the socket can join again', async () => {
  const a = await Client.open(server.ws);
  const b = await Client.open(server.ws);
  await a.join('r4', 'a');
  await b.join('r4', 'b');
  await a.next('peer-joined');
  const t0 = Date.now();
  b.send({ type: 'leave' });
  assert.deepEqual(await a.next(), { type: 'peer-left', peer: 'b' });
  assert.ok(Date.now() - t0 < GRACE_MS, 'leave does not wait for the grace period');
  assert.deepEqual((await b.join('r4', 'b')).peers, [{ peer: 'a', name: 'a' }]);
  await a.close();
  await b.close();
});

test('a dropped socket leaves only after the grace period', async () => {
  const a = await Client.open(server.ws);
  const b = await Client.open(server.ws);
  await a.join('r5', 'a');
  await b.join('r5', 'b');
  await a.next('peer-joined');
  const t0 = Date.now();
  await b.kill();
  a.send({ type: 'signal', to: 'b', data: {} });
  assert.equal((await a.next('error')).code, 'peer-away');
  assert.deepEqual(await a.next('peer-left', GRACE_MS + 2000), { type: 'peer-left', peer: 'b' });
  const waited = Date.now() - t0;
  assert.ok(waited >= GRACE_MS - 20 && waited < GRACE_MS + 1000, `peer-left after ${waited} ms`);
  await a.close();
});

test('a refresh is peer-rejoined, never peer-left then peer-joined', async () => {
  const a = await Client.open(server.ws);
  const b = await Client.open(server.ws);
  await a.join('r6', 'a');
  await b.join('r6', 'b', 'Bob');
  await a.next('peer-joined');
  await b.kill();
  const b2 = await Client.open(server.ws);
  const joined = await b2.join('r6', 'b', 'Bob again');
  assert.deepEqual(joined.peers, [{ peer: 'a', name: 'a' }]);
  assert.deepEqual(await a.next(), { type: 'peer-rejoined', peer: 'b', name: 'Bob again' });
  assert.deepEqual(await a.drain(GRACE_MS + 300), [], 'no peer-left after the grace period');
  a.send({ type: 'signal', to: 'b', data: { n: 1 } });
  assert.deepEqual(await b2.next(), { type: 'signal', from: 'a', data: { n: 1 } });
  await a.close();
  await b2.close();
});

test('a refresh that beats the old close replaces the old socket', async () => {
  const a = await Client.open(server.ws);
  const b = await Client.open(server.ws);
  await a.join('r7', 'a');
  await b.join('r7', 'b');
  await a.next('peer-joined');
  const b2 = await Client.open(server.ws);
  await b2.join('r7', 'b');
  assert.equal((await b.next('error')).code, 'replaced');
  assert.equal((await b.closed).code, 4001);
  assert.deepEqual(await a.next(), { type: 'peer-rejoined', peer: 'b', name: 'b' });
  assert.deepEqual(await a.drain(GRACE_MS + 300), []);
  await a.close();
  await b2.close();
});

test('ping answers pong; WebSocket-level pings are answered too', async () => {
  const a = await Client.open(server.ws);
  a.send({ type: 'ping' });
  assert.deepEqual(await a.next(), { type: 'pong' });
  const pong = new Promise((resolve) => a.ws.once('pong', (d) => resolve(d.toString())));
  a.ws.ping('hello');
  assert.equal(await pong, 'hello');
  await a.close();
});

test('a clean close gets the close handshake back', async () => {
  const a = await Client.open(server.ws);
  a.ws.close(1000, 'bye');
  const { code } = await a.closed;
  assert.equal(code, 1000);
});

test('gauges follow rooms and peers', async () => {
  await sleep(GRACE_MS + 300); // let earlier tests' grace periods end
  const before = await metrics(server);
  assert.equal(before.peddlenet_rooms, 0);
  assert.equal(before.peddlenet_peers, 0);
  const a = await Client.open(server.ws);
  const b = await Client.open(server.ws);
  await a.join('gauge-room', 'a');
  await b.join('gauge-room', 'b');
  const during = await metrics(server);
  assert.equal(during.peddlenet_connections - before.peddlenet_connections, 2);
  assert.equal(during.peddlenet_rooms, 1);
  assert.equal(during.peddlenet_peers, 2);
  a.send({ type: 'leave' });
  b.send({ type: 'leave' });
  await sleep(100);
  const after = await metrics(server);
  assert.equal(after.peddlenet_rooms, 0);
  assert.equal(after.peddlenet_peers, 0);
  await a.close();
  await b.close();
});
