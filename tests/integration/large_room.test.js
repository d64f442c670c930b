// A room of 1000 members over real WebSockets against the real binary: every joiner learns the
// room's size and gets a bounded random sample of the others, presence still reaches everyone,
// and signals pass between members that never appeared in each other's samples.
'use strict';
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const { startServer, Client, Identity, metrics } = require('./helpers');

const MEMBERS = 1000;
const SAMPLE = 32; // the server's default --joined-sample
const BATCH = 100; // connections opened, and joins sent, at once

// Open files of this process (node raises its soft limit to the hard one at start; the server
// inherits it, and its default --max-connections is that limit minus 64). Linux only; elsewhere
// the test just runs.
function openFileLimit() {
  try {
    const m = /^Max open files\s+(\d+)/m.exec(fs.readFileSync('/proc/self/limits', 'utf8'));
    return m ? Number(m[1]) : Infinity;
  } catch {
    return Infinity;
  }
}
const needed = MEMBERS + 200; // the members' sockets, the server's reserve and node's own files
const skip = openFileLimit() < needed && `needs ${needed} open files (ulimit -n)`;

test(`${MEMBERS} clients in one room: size, bounded samples, presence, relay`, { skip, timeout: 60000 }, async () => {
  const server = await startServer(); // default limits: rooms of 5000, rate, connections
  const members = []; // { id, client, joined, heard: peer-joined frames counted so far }
  try {
    const ids = Array.from({ length: MEMBERS }, (_, i) => new Identity(`m${i}`));
    for (let start = 0; start < MEMBERS; start += BATCH) {
      const batch = await Promise.all(ids.slice(start, start + BATCH).map(async (id) => {
        const client = await Client.open(server.ws, { handshakeTimeout: 10000 });
        return { id, client, frame: await client.joinFrame('big', id), heard: 0 };
      }));
      members.push(...batch);
      // The joins of one batch race each other: the server orders them, and `size` says how.
      batch.forEach((m) => m.client.send(m.frame));
      for (const m of batch) m.joined = await m.client.next('joined', 20000);
      assert.deepEqual(batch.map((m) => m.joined.size).sort((a, b) => a - b),
        Array.from({ length: batch.length }, (_, i) => start + i + 1), 'sizes are the join order');
      // Count the peer-joined frames instead of keeping them, so memory stays small.
      for (const m of members) {
        const rest = m.client.queue.filter((msg) => msg.type !== 'peer-joined');
        m.heard += m.client.queue.length - rest.length;
        m.client.queue = rest;
      }
    }

    const order = [...members].sort((a, b) => a.joined.size - b.joined.size);
    const byId = new Map(order.map((m) => [m.id.id, m]));
    for (const m of order) {
      const { size, peers } = m.joined;
      assert.equal(peers.length, Math.min(size - 1, SAMPLE));
      // Each listed once, and only members that had joined before (nobody leaves here).
      assert.equal(new Set(peers.map((p) => p.peer)).size, peers.length);
      for (const p of peers) {
        const other = byId.get(p.peer);
        assert.ok(other && other.joined.size < size, `member ${size} lists a stranger`);
        assert.deepEqual(p, { peer: other.id.id, name: other.id.label, session: other.joined.session });
      }
    }

    // Presence still comes from the server: each member hears of everyone who joined after it.
    for (const m of order) {
      while (m.heard < MEMBERS - m.joined.size) {
        await m.client.next('peer-joined', 5000);
        m.heard += 1;
      }
      assert.ok(!m.client.queue.some((msg) => msg.type === 'peer-joined'), 'no one announced twice');
    }
    assert.equal((await metrics(server)).peddlenet_peers, MEMBERS);

    // The last joiner and a member outside its sample (which, having joined earlier, could not
    // list the last one either) still reach each other through the server.
    const last = order[MEMBERS - 1];
    const sampled = new Set(last.joined.peers.map((p) => p.peer));
    const stranger = order.find((m) => m !== last && !sampled.has(m.id.id));
    assert.ok(!stranger.joined.peers.some((p) => p.peer === last.id.id));
    last.client.send({ type: 'signal', to: stranger.id.id, data: { hello: 1 } });
    assert.deepEqual(await stranger.client.next('signal'), { type: 'signal', from: last.id.id, data: { hello: 1 } });
    stranger.client.send({ type: 'signal', to: last.id.id, data: { hello: 2 } });
    assert.deepEqual(await last.client.next('signal'), { type: 'signal', from: stranger.id.id, data: { hello: 2 } });
  } finally {
    await Promise.all(members.map((m) => m.client.close()));
    await server.stop();
  }
});
