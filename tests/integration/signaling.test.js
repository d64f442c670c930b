// Rooms, relay, leave, grace and refresh over real WebSockets against the real binary, with
// signed joins (protocol v2) and the sessions the server names.
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startServer, Client, identity, SESSION, metrics, sleep } = require('./helpers');

const GRACE_MS = 400;
const A = identity('a');
const B = identity('b');
let server;
before(async () => { server = await startServer(['--grace-ms', String(GRACE_MS)]); });
after(async () => { await server.stop(); });

test('the challenge is the first frame: v2, a fresh 43-character nonce per connection', async () => {
  const a = await Client.open(server.ws);
  const b = await Client.open(server.ws);
  const [na, nb] = [await a.nonce(), await b.nonce()];
  assert.deepEqual(a.challenge, { type: 'challenge', v: 2, nonce: na });
  assert.match(na, /^[A-Za-z0-9_-]{43}$/);
  assert.equal(Buffer.from(na, 'base64url').length, 32);
  assert.notEqual(na, nb);
  assert.deepEqual(await a.drain(100), [], 'nothing else until we speak');
  await a.close();
  await b.close();
});

test('join: the joiner gets the others with sessions, the others get peer-joined', async () => {
  const a = await Client.open(server.ws);
  const b = await Client.open(server.ws);
  const ja = await a.join('r1', A, 'Ann');
  assert.match(ja.session, SESSION);
  assert.deepEqual(ja, { type: 'joined', room: 'r1', peer: A.id, session: ja.session, size: 1, peers: [] });
  const jb = await b.join('r1', B, 'Bob');
  assert.match(jb.session, SESSION);
  assert.notEqual(jb.session, ja.session);
  assert.deepEqual(jb, { type: 'joined', room: 'r1', peer: B.id, session: jb.session, size: 2,
    peers: [{ peer: A.id, name: 'Ann', session: ja.session }] });
  assert.deepEqual(await a.next(), { type: 'peer-joined', peer: B.id, name: 'Bob', session: jb.session });
  await a.close();
  await b.close();
});

test('signal is relayed with from filled in by the server', async () => {
  const a = await Client.open(server.ws);
  const b = await Client.open(server.ws);
  await a.join('r2', A);
  await b.join('r2', B);
  await a.next('peer-joined');
  const data = { sdp: 'v=0\r\no=- 46117 2 IN IP4 127.0.0.1\r\n', nested: { list: [1, 2.5, null, true] }, text: 'Zoë 🎉' };
  a.send({ type: 'signal', to: B.id, from: 'mallory', data });
  assert.deepEqual(await b.next(), { type: 'signal', from: A.id, data });
  b.send({ type: 'signal', to: A.id, data: { candidate: 'x' } });
  assert.deepEqual(await a.next(), { type: 'signal', from: B.id, data: { candidate: 'x' } });
  await a.close();
  await b.close();
});

test('signals stay inside their room', async () => {
  const a = await Client.open(server.ws);
  const b = await Client.open(server.ws);
  await a.join('r3a', A);
  await b.join('r3b', B);
  a.send({ type: 'signal', to: B.id, data: {} });
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
  const ja = await a.join('r4', A);
  await b.join('r4', B);
  await a.next('peer-joined');
  const t0 = Date.now();
  b.send({ type: 'leave' });
  assert.deepEqual(await a.next(), { type: 'peer-left', peer: B.id });
  assert.ok(Date.now() - t0 < GRACE_MS, 'leave does not wait for the grace period');
  // the same connection signs the same challenge again
  const again = await b.join('r4', B);
  assert.deepEqual(again.peers, [{ peer: A.id, name: 'a', session: ja.session }]);
  assert.equal((await a.next('peer-joined')).session, again.session);
  await a.close();
  await b.close();
});

test('a dropped socket leaves only after the grace period', async () => {
  const a = await Client.open(server.ws);
  const b = await Client.open(server.ws);
  await a.join('r5', A);
  await b.join('r5', B);
  await a.next('peer-joined');
  const t0 = Date.now();
  await b.kill();
  a.send({ type: 'signal', to: B.id, data: {} });
  assert.equal((await a.next('error')).code, 'peer-away');
  assert.deepEqual(await a.next('peer-left', GRACE_MS + 2000), { type: 'peer-left', peer: B.id });
  const waited = Date.now() - t0;
  assert.ok(waited >= GRACE_MS - 20 && waited < GRACE_MS + 1000, `peer-left after ${waited} ms`);
  await a.close();
});

test('a refresh is peer-rejoined with a new session, never peer-left then peer-joined', async () => {
  const a = await Client.open(server.ws);
  const b = await Client.open(server.ws);
  const ja = await a.join('r6', A);
  const jb = await b.join('r6', B, 'Bob');
  await a.next('peer-joined');
  await b.kill();
  // a newcomer during the grace period sees b with its last session
  const c = await Client.open(server.ws);
  const jc = await c.join('r6', identity('c'));
  assert.deepEqual(jc.peers.find((p) => p.peer === B.id), { peer: B.id, name: 'Bob', session: jb.session });
  await a.next('peer-joined');
  const b2 = await Client.open(server.ws);
  const joined = await b2.join('r6', B, 'Bob again');
  assert.notEqual(joined.session, jb.session);
  assert.deepEqual(joined.peers, [{ peer: A.id, name: 'a', session: ja.session },
    { peer: identity('c').id, name: 'c', session: jc.session }]);
  assert.deepEqual(await a.next(), { type: 'peer-rejoined', peer: B.id, name: 'Bob again', session: joined.session });
  assert.deepEqual(await a.drain(GRACE_MS + 300), [], 'no peer-left after the grace period');
  a.send({ type: 'signal', to: B.id, data: { n: 1 } });
  assert.deepEqual(await b2.next(), { type: 'signal', from: A.id, data: { n: 1 } });
  await Promise.all([a.close(), b2.close(), c.close()]);
});

test('a refresh that beats the old close replaces the old socket', async () => {
  const a = await Client.open(server.ws);
  const b = await Client.open(server.ws);
  await a.join('r7', A);
  const jb = await b.join('r7', B);
  await a.next('peer-joined');
  const b2 = await Client.open(server.ws);
  const jb2 = await b2.join('r7', B);
  assert.notEqual(jb2.session, jb.session);
  assert.equal((await b.next('error')).code, 'replaced');
  assert.equal((await b.closed).code, 4001);
  assert.deepEqual(await a.next(), { type: 'peer-rejoined', peer: B.id, name: 'b', session: jb2.session });
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
  await a.join('gauge-room', A);
  await b.join('gauge-room', B);
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

test('a busy server takes in events at most once per --pace-ms; after a quiet spell at once', async () => {
  const PACE_MS = 100;
  const paced = await startServer(['--pace-ms', String(PACE_MS)]);
  try {
    const a = await Client.open(paced.ws);
    const b = await Client.open(paced.ws);
    await a.join('pace', A);
    await b.join('pace', B);
    await a.next('peer-joined');

    // A steady stream, a signal every 5 ms for 1 s: one turn per signal without pacing.
    const before = (await metrics(paced)).peddlenet_loop_turns_total;
    const started = Date.now();
    const COUNT = 200;
    for (let i = 0; i < COUNT; i++) {
      a.send({ type: 'signal', to: B.id, data: { i } });
      await sleep(5);
    }
    const got = [];
    while (got.length < COUNT) got.push((await b.next('signal')).data.i);
    const elapsed = Date.now() - started;
    const turns = (await metrics(paced)).peddlenet_loop_turns_total - before;
    assert.deepEqual(got, [...Array(COUNT).keys()], 'every signal, in order');
    assert.ok(turns <= elapsed / PACE_MS + 3, `${turns} turns in ${elapsed} ms at a ${PACE_MS} ms pace`);

    // Alone after a quiet spell, a signal is not held for the pace (the sweep timer's turn,
    // once a second, may precede one of them: the median counts).
    const waits = [];
    for (let i = 0; i < 5; i++) {
      await sleep(3 * PACE_MS);
      const t = process.hrtime.bigint();
      a.send({ type: 'signal', to: B.id, data: { quiet: i } });
      await b.next('signal');
      waits.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
    waits.sort((x, y) => x - y);
    assert.ok(waits[2] < PACE_MS / 2, `quiet signals took ${waits.map((w) => w.toFixed(1)).join(', ')} ms`);
    await a.close();
    await b.close();
  } finally {
    await paced.stop();
  }
});
