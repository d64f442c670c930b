// Signed joins (protocol v2) against the real server: a join must carry the peer's Ed25519 key
// as its id and that key's signature over this connection's challenge. Bad proofs, ids that are
// not keys and unsigned (v1) joins are refused with their own codes, and nobody but the key's
// holder can take a member's place; the holder's refresh still replaces its old socket.
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startServer, Client, Identity, identity, SESSION, metrics } = require('./helpers');

let server;
before(async () => { server = await startServer(); });
after(async () => { await server.stop(); });

async function expectError(client, frame, code) {
  client.send(frame);
  const err = await client.next('error');
  assert.equal(err.code, code, `${JSON.stringify(frame)} -> ${JSON.stringify(err)}`);
  assert.ok(err.message.length > 10, 'a human sentence');
  return err;
}

// The connection is still open and usable, and holds no room.
async function stillOpen(client) {
  client.send({ type: 'ping' });
  assert.deepEqual(await client.next('pong'), { type: 'pong' });
  client.send({ type: 'leave' });
  assert.equal((await client.next('error')).code, 'not-joined');
}

test('an unsigned join (what a v1 client sends) is auth-required; the socket stays', async () => {
  const c = await Client.open(server.ws);
  const err = await expectError(c, { type: 'join', room: 'v1', peer: 'k3x9', name: 'Ann' }, 'auth-required');
  assert.match(err.message, /reload/i);
  // even with a key for an id, no signature is no join
  await expectError(c, { type: 'join', room: 'v1', peer: identity('ann').id, name: 'Ann' }, 'auth-required');
  await stillOpen(c);
  await c.close();
});

test('a peer id that is not an Ed25519 key is bad-key', async () => {
  const c = await Client.open(server.ws);
  const key = identity('ann').id;
  const last = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'.indexOf(key[42]);
  const nonCanonical = key.slice(0, 42) + 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'[last + 1];
  for (const peer of ['k3x9', key.slice(1), key + 'A', nonCanonical, 'p'.repeat(64)]) {
    await expectError(c, await c.joinFrame('keys', 'ann', 'Ann', { peer }), 'bad-key');
  }
  await stillOpen(c);
  await c.close();
});

test('a bad proof is bad-signature: wrong signature, wrong room, malformed', async () => {
  const c = await Client.open(server.ws);
  const good = await c.joinFrame('proof', 'ann', 'Ann');
  const flipped = (good.sig[10] === 'A' ? 'B' : 'A');
  await expectError(c, { ...good, sig: good.sig.slice(0, 10) + flipped + good.sig.slice(11) }, 'bad-signature');
  await expectError(c, { ...good, room: 'another-room' }, 'bad-signature');
  await expectError(c, { ...good, sig: good.sig.slice(1) }, 'bad-signature');
  await expectError(c, { ...good, sig: `${good.sig}==` }, 'bad-signature');
  await expectError(c, { ...good, sig: Buffer.alloc(64).toString('base64') }, 'bad-signature');
  await expectError(c, await c.joinFrame('proof', 'ann', 'Ann', { signer: 'someone-else' }), 'bad-signature');
  await stillOpen(c);
  // the right proof on the same socket still works afterwards
  const joined = await c.join('proof', 'ann', 'Ann');
  assert.match(joined.session, SESSION);
  assert.ok((await metrics(server))['peddlenet_errors_total{code="bad-signature"}'] >= 6);
  await c.close();
});

test('a join replayed from another connection fails: it signs that connection\'s nonce', async () => {
  const a = await Client.open(server.ws);
  const eve = await Client.open(server.ws);
  const frame = await a.joinFrame('replay', 'ann', 'Ann'); // over a's challenge, never sent by a
  await expectError(eve, frame, 'bad-signature');
  await stillOpen(eve);
  // a's own connection accepts exactly that frame
  a.send(frame);
  assert.equal((await a.next('joined')).peer, identity('ann').id);
  await a.close();
  await eve.close();
});

test('another key cannot take a member\'s peer id: the member keeps its place', async () => {
  const ann = await Client.open(server.ws);
  const bob = await Client.open(server.ws);
  const eve = await Client.open(server.ws);
  const joined = await ann.join('stage', 'ann', 'Ann');
  await bob.join('stage', 'bob', 'Bob');
  await ann.next('peer-joined');
  const annId = identity('ann').id;

  // Eve claims Ann's id, signing with her own key over her own challenge.
  await expectError(eve, await eve.joinFrame('stage', 'eve', 'Ann', { peer: annId }), 'bad-signature');
  // Eve replays the join Ann sent (she saw it on the wire): signed over Ann's challenge.
  await expectError(eve, await ann.joinFrame('stage', 'ann', 'Ann'), 'bad-signature');
  // Eve's own key with Ann's signature bytes.
  const annFrame = await ann.joinFrame('stage', 'ann', 'Ann');
  await expectError(eve, { ...(await eve.joinFrame('stage', 'eve', 'Eve')), sig: annFrame.sig }, 'bad-signature');

  // Ann is still the member: no `replaced`, still reachable; Bob saw no rejoin.
  bob.send({ type: 'signal', to: annId, data: { still: 'here' } });
  assert.deepEqual(await ann.next('signal'), { type: 'signal', from: identity('bob').id, data: { still: 'here' } });
  assert.deepEqual(await ann.drain(200), [], 'no replaced error, nothing else');
  assert.deepEqual(await bob.drain(100), [], 'no peer-rejoined');
  ann.send({ type: 'signal', to: identity('bob').id, data: { n: 1 } });
  assert.deepEqual(await bob.next('signal'), { type: 'signal', from: annId, data: { n: 1 } });
  // and a newcomer sees Ann with her original session
  const cat = await Client.open(server.ws);
  const jc = await cat.join('stage', 'cat', 'Cat');
  assert.deepEqual(jc.peers.find((p) => p.peer === annId), { peer: annId, name: 'Ann', session: joined.session });
  await Promise.all([ann.close(), bob.close(), eve.close(), cat.close()]);
});

test('the key holder\'s refresh still replaces its socket; others get peer-rejoined with a new session', async () => {
  const ann = await Client.open(server.ws);
  const bob = await Client.open(server.ws);
  const first = await ann.join('refresh', 'ann', 'Ann');
  await bob.join('refresh', 'bob', 'Bob');
  await ann.next('peer-joined');
  const ann2 = await Client.open(server.ws);
  const second = await ann2.join('refresh', 'ann', 'Ann');
  assert.match(second.session, SESSION);
  assert.notEqual(second.session, first.session);
  assert.equal((await ann.next('error')).code, 'replaced');
  assert.equal((await ann.closed).code, 4001);
  assert.deepEqual(await bob.next(), { type: 'peer-rejoined', peer: identity('ann').id, name: 'Ann', session: second.session });
  bob.send({ type: 'signal', to: identity('ann').id, data: { to: 'the new socket' } });
  assert.deepEqual((await ann2.next('signal')).data, { to: 'the new socket' });
  await Promise.all([bob.close(), ann2.close()]);
});

test('a fresh identity per device: two keys are two peers, even with one name', async () => {
  const a = await Client.open(server.ws);
  const b = await Client.open(server.ws);
  const ka = new Identity('Sam');
  const kb = new Identity('Sam');
  await a.join('twins', ka);
  const jb = await b.join('twins', kb);
  assert.deepEqual(jb.peers.map((p) => p.peer), [ka.id]);
  assert.equal((await a.next('peer-joined')).peer, kb.id);
  await a.close();
  await b.close();
});
