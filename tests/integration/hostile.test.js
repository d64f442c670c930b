// Bad input and limits: every case gets a clear error (or the right close code), and the
// server keeps serving everyone else.
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startServer, Client, identity, joinPayload, metrics, sleep } = require('./helpers');
const { RawWs } = require('./rawws');

let server;
before(async () => { server = await startServer(); });
after(async () => { await server.stop(); });

// The connection still works and the server still serves others.
async function stillServing(client) {
  if (client) {
    client.send({ type: 'ping' });
    assert.deepEqual(await client.next('pong'), { type: 'pong' });
  }
  const other = await Client.open(server.ws);
  other.send({ type: 'ping' });
  assert.deepEqual(await other.next('pong'), { type: 'pong' });
  await other.close();
}

async function expectError(client, frame, code) {
  client.send(frame);
  const err = await client.next('error');
  assert.equal(err.code, code, `${frame} -> ${JSON.stringify(err)}`);
  assert.ok(err.message.length > 5, 'a human sentence');
  return err;
}

test('malformed JSON, unknown types, missing and mistyped fields', async () => {
  const c = await Client.open(server.ws);
  for (const bad of ['{', 'null', '[1,2]', '"join"', '{"type":"join"', '{"type":"ping"} trailing', "{'type':'ping'}"]) {
    await expectError(c, bad, 'bad-json');
  }
  await expectError(c, '{"type":"party"}', 'bad-type');
  await expectError(c, '{"type":"JOIN","room":"r","peer":"p","name":"n"}', 'bad-type');
  await expectError(c, '{}', 'bad-field');
  await expectError(c, '{"type":5}', 'bad-field');
  // (field rules come before the proof: `sig` only has to be there)
  await expectError(c, { type: 'join', room: 'r', name: 'n', sig: 'x' }, 'bad-field');
  await expectError(c, { type: 'join', room: 'r', peer: 'p', sig: 'x' }, 'bad-field');
  await expectError(c, { type: 'join', room: 1, peer: 'p', name: 'n', sig: 'x' }, 'bad-field');
  await expectError(c, { type: 'join', room: 'r', peer: ['p'], name: 'n', sig: 'x' }, 'bad-field');
  await expectError(c, { type: 'join', room: 'r', peer: 'p', name: 'n', sig: 5 }, 'bad-field');
  await expectError(c, { type: 'signal', to: 'x' }, 'bad-field');
  await expectError(c, { type: 'signal', to: 'x', data: 'not an object' }, 'bad-field');
  await stillServing(c);
  await c.close();
});

test('ids with bad characters or lengths, names too long or empty', async () => {
  const c = await Client.open(server.ws);
  for (const room of ['', 'a b', 'x/../y', 'ü', 'r'.repeat(65), 'a\nb']) {
    await expectError(c, await c.joinFrame(room, 'p', 'n'), 'bad-field');
  }
  await expectError(c, await c.joinFrame('r', 'p', 'n', { peer: 'p'.repeat(65) }), 'bad-field');
  await expectError(c, await c.joinFrame('r', 'p', ''), 'bad-field');
  await expectError(c, await c.joinFrame('r', 'p', 'é'.repeat(33)), 'bad-field');
  await expectError(c, await c.joinFrame('r', 'p', 'a\u0000b'), 'bad-field');
  assert.deepEqual((await c.join('r'.repeat(64), 'p', '😀'.repeat(32))).peers, []);
  await c.close();
});

test('wrong order: signal before join, second join, leave twice, signal to a stranger', async () => {
  const c = await Client.open(server.ws);
  await expectError(c, { type: 'signal', to: 'x', data: {} }, 'not-joined');
  await expectError(c, { type: 'leave' }, 'not-joined');
  await c.join('order', 'me');
  await expectError(c, await c.joinFrame('order', 'me', 'me'), 'already-joined');
  await expectError(c, await c.joinFrame('elsewhere', 'me2', 'x'), 'already-joined');
  await expectError(c, { type: 'signal', to: 'nobody', data: {} }, 'no-such-peer');
  await stillServing(c);
  await c.close();
});

test('invalid UTF-8 gets bad-utf8, then close 1007', async () => {
  const c = await RawWs.open(server.port);
  c.send(1, Buffer.from('{"type":"join","room":"r","peer":"p","name":"\xc0\xaf","sig":"x"}', 'latin1'));
  assert.equal((await c.nextJson()).code, 'bad-utf8');
  assert.equal((await c.next(8)).code, 1007);
  c.destroy();
  await stillServing();
});

test('binary frames are refused with bad-type, the socket stays', async () => {
  const c = await Client.open(server.ws);
  c.ws.send(Buffer.from('{"type":"ping"}'), { binary: true });
  assert.equal((await c.next('error')).code, 'bad-type');
  await stillServing(c);
  await c.close();
});

test('frames over 64 KiB: too-large and close 1009', async () => {
  const c = await Client.open(server.ws);
  c.send({ type: 'signal', to: 'x', data: { blob: 'x'.repeat(70 * 1024) } });
  assert.equal((await c.next('error')).code, 'too-large');
  assert.equal((await c.closed).code, 1009);
  // a header that claims a terabyte is refused before any payload arrives
  const raw = await RawWs.open(server.port);
  raw.send(1, Buffer.alloc(0), { length: 2 ** 40 });
  assert.equal((await raw.nextJson()).code, 'too-large');
  assert.equal((await raw.next(8)).code, 1009);
  raw.destroy();
  // just under the limit is fine
  const ok = await Client.open(server.ws);
  await ok.join('big', 'a');
  ok.send({ type: 'signal', to: identity('a').id, data: { blob: 'y'.repeat(60 * 1024) } });
  assert.equal((await ok.next('signal')).data.blob.length, 60 * 1024);
  await ok.close();
  await stillServing();
});

test('protocol violations close with 1002; garbage closes; others unaffected', async () => {
  const unmasked = await RawWs.open(server.port);
  unmasked.send(1, '{"type":"ping"}', { mask: false });
  assert.equal((await unmasked.next(8)).code, 1002);
  unmasked.destroy();
  const rsv = await RawWs.open(server.port);
  rsv.send(1, '{"type":"ping"}', { rsv: 0x40 });
  assert.equal((await rsv.next(8)).code, 1002);
  rsv.destroy();
  const orphan = await RawWs.open(server.port);
  orphan.send(0, '{"type":"ping"}');
  assert.equal((await orphan.next(8)).code, 1002);
  orphan.destroy();
  const junk = await RawWs.open(server.port);
  junk.sock.write(Buffer.from([0xff, 0xff, 0xff, 0xff, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9]));
  await junk.ended.then(() => {}, () => {});
  await stillServing();
});

test('fragmented messages are reassembled; control frames may interleave', async () => {
  const c = await RawWs.open(server.port);
  const f = identity('f');
  const sig = f.sign(joinPayload(await c.nonce(), 'frag', f.id));
  const msg = JSON.stringify({ type: 'join', room: 'frag', peer: f.id, name: 'Frag', sig });
  c.send(1, msg.slice(0, 10), { fin: false });
  c.send(9, 'mid-ping');
  c.send(0, msg.slice(10, 20), { fin: false });
  c.send(0, msg.slice(20), { fin: true });
  const pong = await c.next(10);
  assert.equal(pong.payload.toString(), 'mid-ping');
  assert.equal((await c.nextJson()).type, 'joined');
  c.send(8, Buffer.from([0x03, 0xe8]));
  assert.equal((await c.next(8)).code, 1000);
  c.destroy();
});

test('bursts over the rate limit are dropped with one rate-limited error', async () => {
  const s = await startServer(['--rate', '5', '--rate-burst', '10']);
  try {
    const c = await Client.open(s.ws);
    for (let i = 0; i < 60; i++) c.send({ type: 'ping' });
    const got = await c.drain(500);
    const pongs = got.filter((m) => m.type === 'pong').length;
    const limited = got.filter((m) => m.type === 'error' && m.code === 'rate-limited');
    assert.ok(pongs >= 10 && pongs <= 13, `${pongs} pongs`);
    assert.equal(limited.length, 1, 'one error, not one per dropped message');
    await sleep(1100); // tokens refill
    c.send({ type: 'ping' });
    assert.equal((await c.next()).type, 'pong');
    const m = await metrics(s);
    assert.equal(m['peddlenet_errors_total{code="rate-limited"}'], 1);
    await c.close();
  } finally {
    await s.stop();
  }
});

test('room-full and too-many-rooms', async () => {
  const s = await startServer(['--max-peers-per-room', '2', '--max-rooms', '2']);
  try {
    const [a, b, c, d, e] = await Promise.all([1, 2, 3, 4, 5].map(() => Client.open(s.ws)));
    await a.join('full', 'a');
    await b.join('full', 'b');
    await expectError(c, await c.joinFrame('full', 'c', 'c'), 'room-full');
    assert.deepEqual((await a.drain()).map((m) => m.type), ['peer-joined']);
    await d.join('second', 'd');
    await expectError(e, await e.joinFrame('third', 'e', 'e'), 'too-many-rooms');
    a.send({ type: 'leave' });
    assert.equal((await c.join('full', 'c')).peers.length, 1);
    await Promise.all([a, b, c, d, e].map((x) => x.close()));
  } finally {
    await s.stop();
  }
});

test('server-full: connections over the limit get server-full and close 1013', async () => {
  const s = await startServer(['--max-connections', '2']);
  try {
    const a = await Client.open(s.ws);
    const b = await Client.open(s.ws);
    const c = await Client.open(s.ws);
    assert.equal((await c.next('error')).code, 'server-full');
    assert.equal((await c.closed).code, 1013);
    await a.close();
    await sleep(50);
    const d = await Client.open(s.ws);
    d.send({ type: 'ping' });
    assert.equal((await d.next()).type, 'pong');
    await Promise.all([b.close(), d.close()]);
    assert.equal((await metrics(s))['peddlenet_errors_total{code="server-full"}'], 1);
  } finally {
    await s.stop();
  }
});

test('a client that stops reading is dropped; memory stays bounded; others go on', async () => {
  const s = await startServer(['--max-queue-bytes', '262144', '--rate', '100000', '--rate-burst', '100000']);
  try {
    const slow = await RawWs.open(s.port);
    const me = identity('slow');
    slow.text({ type: 'join', room: 'slow', peer: me.id, name: 'Slow', sig: me.sign(joinPayload(await slow.nonce(), 'slow', me.id)) });
    assert.equal((await slow.nextJson()).type, 'joined');
    slow.sock.pause(); // stop reading: the kernel buffers fill, then the server's queue
    const fast = await Client.open(s.ws);
    await fast.join('slow', 'fast');
    const bystander = await Client.open(s.ws);
    await bystander.join('slow', 'bystander');
    const blob = 'z'.repeat(60 * 1024);
    const rssBefore = (await metrics(s)).process_resident_memory_bytes;
    let dropped = 0;
    for (let round = 0; round < 40 && !dropped; round++) {
      for (let i = 0; i < 20; i++) fast.send({ type: 'signal', to: me.id, data: { blob } });
      await sleep(50);
      dropped = (await metrics(s)).peddlenet_slow_clients_dropped_total;
    }
    assert.equal(dropped, 1, 'the slow reader was dropped');
    const after = await metrics(s);
    assert.ok(after.process_resident_memory_bytes - rssBefore < 64 * 1024 * 1024,
      `RSS grew by ${after.process_resident_memory_bytes - rssBefore}`);
    // its peers see it leave after the grace period, and keep talking to each other
    fast.send({ type: 'signal', to: identity('bystander').id, data: { hi: 1 } });
    assert.deepEqual((await bystander.next('signal')).data, { hi: 1 });
    slow.destroy();
    await Promise.all([fast.close(), bystander.close()]);
  } finally {
    await s.stop();
  }
});

test('the server survived all of the above', async () => {
  assert.equal(server.proc.exitCode, null);
  const h = await fetch(`${server.http}/healthz`);
  assert.equal(await h.text(), 'ok');
  const m = await metrics(server);
  assert.ok(m['peddlenet_errors_total{code="bad-json"}'] >= 7);
});
