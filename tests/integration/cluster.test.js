// Server nodes sharing rooms over a real redis-server (--redis): rooms spanning 2 and 3 nodes, a
// refresh onto another node, the room rules cluster-wide, a node killed mid-room, Redis killed
// and restarted, and hostile input on one node while the others keep serving. Every process
// runs on 127.0.0.1 and is ended by its PID.
'use strict';
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { startServer, Client, identity, metrics, sleep } = require('./helpers');
const { startRedis } = require('./redis');

// A redis-server and `n` nodes on it; `stop()` ends them all (nodes first, each must exit 0).
async function startCluster(n, flags = []) {
  const redis = await startRedis();
  const nodes = [];
  try {
    for (let i = 0; i < n; i++) nodes.push(await startServer(['--redis', redis.url, '--log-level', 'info', ...flags]));
    await Promise.all(nodes.map((node) => waitFor(async () => (await health(node)) === 'ok', 5000, 'node up')));
  } catch (e) {
    for (const node of nodes) node.proc.kill('SIGKILL');
    await redis.stop();
    throw e;
  }
  return {
    redis,
    nodes,
    async stop() {
      try {
        for (const node of nodes) await node.stop();
      } finally {
        await redis.stop();
      }
    },
  };
}

async function health(node) {
  try { return await (await fetch(`${node.http}/healthz`)).text(); } catch { return 'unreachable'; }
}

async function waitFor(check, ms, what) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(25);
  }
  throw new Error(`timed out waiting for ${what}`);
}

// The node's id, from its log line `cluster-node node=ID`.
function nodeId(node) { return /event=cluster-node node=([A-Za-z0-9]+)/.exec(node.stderr)[1]; }

const ids = (joined) => joined.peers.map((p) => p.peer).sort();

test('a room spans three nodes: joined lists every member, announcements and signals cross nodes', async () => {
  const c = await startCluster(3);
  try {
    const [A, B, C] = ['span-a', 'span-b', 'span-c'].map(identity);
    const a = await Client.open(c.nodes[0].ws);
    const b = await Client.open(c.nodes[1].ws);
    const d = await Client.open(c.nodes[2].ws);
    const ja = await a.join('span', A, 'Ann');
    const jb = await b.join('span', B, 'Bob');
    assert.deepEqual(jb.peers, [{ peer: A.id, name: 'Ann', session: ja.session }]);
    assert.equal(jb.size, 2);
    assert.deepEqual(await a.next('peer-joined'), { type: 'peer-joined', peer: B.id, name: 'Bob', session: jb.session });
    const jc = await d.join('span', C, 'Cy');
    assert.equal(jc.size, 3);
    assert.deepEqual(ids(jc), [A.id, B.id].sort());
    assert.equal((await a.next('peer-joined')).peer, C.id);
    assert.equal((await b.next('peer-joined')).peer, C.id);

    // Signals between every pair of nodes, `from` filled in by the sender's node.
    const clients = [[a, A], [b, B], [d, C]];
    for (const [from, fromId] of clients) {
      for (const [to, toId] of clients) {
        if (from === to) continue;
        from.send({ type: 'signal', to: toId.id, data: { sdp: `${fromId.label}->${toId.label}` } });
        assert.deepEqual(await to.next('signal'), { type: 'signal', from: fromId.id, data: { sdp: `${fromId.label}->${toId.label}` } });
      }
    }
    // A leave on one node reaches the others at once (no grace).
    b.send({ type: 'leave' });
    assert.deepEqual(await a.next('peer-left'), { type: 'peer-left', peer: B.id });
    assert.deepEqual(await d.next('peer-left'), { type: 'peer-left', peer: B.id });
    a.send({ type: 'signal', to: B.id, data: {} });
    assert.equal((await a.next('error')).code, 'no-such-peer');

    const m = await metrics(c.nodes[0]);
    assert.ok(m.peddlenet_cluster_signals_sent_total >= 2, 'signals went through Redis');
    assert.equal(m.peddlenet_cluster_degraded, 0);
    assert.equal(m.peddlenet_peers, 1, 'a node counts the members it holds');
    for (const x of [a, b, d]) await x.close();
  } finally {
    await c.stop();
  }
});

test('signals to another node go out batched, at most one node message per 5 ms window, whole and in order', async () => {
  const c = await startCluster(2);
  try {
    const [A, B] = ['batch-a', 'batch-b'].map(identity);
    const a = await Client.open(c.nodes[0].ws);
    const b = await Client.open(c.nodes[1].ws);
    await a.join('batch', A);
    await b.join('batch', B);
    await a.next('peer-joined');
    const before = await metrics(c.nodes[0]);
    // A signal every millisecond or so: without a window each would be its own PUBLISH.
    const n = 200;
    const t0 = Date.now();
    for (let i = 0; i < n; i++) {
      a.send({ type: 'signal', to: B.id, data: { i } });
      await sleep(1);
    }
    for (let i = 0; i < n; i++) assert.deepEqual(await b.next('signal'), { type: 'signal', from: A.id, data: { i } });
    const elapsedMs = Date.now() - t0;
    const after = await metrics(c.nodes[0]);
    const messages = after.peddlenet_cluster_messages_sent_total - before.peddlenet_cluster_messages_sent_total;
    assert.equal(after.peddlenet_cluster_signals_sent_total - before.peddlenet_cluster_signals_sent_total, n);
    assert.ok(messages <= Math.ceil(elapsedMs / 5) + 2, `${messages} node messages in ${elapsedMs} ms`);
    for (const x of [a, b]) await x.close();
  } finally {
    await c.stop();
  }
});

test('a refresh onto another node replaces the old socket: peer-rejoined, never left then joined', async () => {
  const c = await startCluster(2, ['--grace-ms', '3000']);
  try {
    const [A, B] = ['refresh-a', 'refresh-b'].map(identity);
    const a = await Client.open(c.nodes[0].ws);
    const b = await Client.open(c.nodes[1].ws);
    await a.join('refresh', A, 'Ann');
    await b.join('refresh', B, 'Bob');
    await a.next('peer-joined');

    // The refresh beats the old socket's close: the old one is told it was replaced.
    const a2 = await Client.open(c.nodes[1].ws);
    const ja2 = await a2.join('refresh', A, 'Ann again');
    assert.deepEqual(ids(ja2), [B.id]);
    assert.deepEqual(await b.next(), { type: 'peer-rejoined', peer: A.id, name: 'Ann again', session: ja2.session });
    assert.equal((await a.next('error')).code, 'replaced');
    assert.equal((await a.closed).code, 4001);
    assert.deepEqual(await b.drain(300), [], 'no peer-left for the replaced socket');
    b.send({ type: 'signal', to: A.id, data: { n: 1 } });
    assert.deepEqual(await a2.next('signal'), { type: 'signal', from: B.id, data: { n: 1 } });

    // A page refresh: the socket closes first, the peer comes back on the other node within
    // the grace period.
    await a2.kill();
    await sleep(200);
    b.send({ type: 'signal', to: A.id, data: {} });
    assert.equal((await b.next('error')).code, 'peer-away', 'a member in its grace period is away');
    const a3 = await Client.open(c.nodes[0].ws);
    const ja3 = await a3.join('refresh', A, 'Ann');
    assert.deepEqual(await b.next(), { type: 'peer-rejoined', peer: A.id, name: 'Ann', session: ja3.session });
    await sleep(3500); // past the grace period of the closed socket
    assert.deepEqual(await b.drain(0), [], 'the old grace period ended without peer-left');
    for (const x of [a3, b]) await x.close();
  } finally {
    await c.stop();
  }
});

test('the room size limit and the identity proof hold across nodes, also for simultaneous joins', async () => {
  const c = await startCluster(3, ['--max-peers-per-room', '3']);
  try {
    const who = ['lim-0', 'lim-1', 'lim-2', 'lim-3', 'lim-4', 'lim-5'].map(identity);
    const clients = await Promise.all(who.map((_, i) => Client.open(c.nodes[i % 3].ws)));
    const frames = await Promise.all(clients.map((x, i) => x.joinFrame('limited', who[i])));
    clients.forEach((x, i) => x.send(frames[i]));
    const answers = await Promise.all(clients.map(async (x) => {
      for (;;) {
        const m = await x.next();
        if (m.type === 'joined' || m.type === 'error') return m;
      }
    }));
    assert.equal(answers.filter((m) => m.type === 'joined').length, 3);
    assert.deepEqual(answers.filter((m) => m.type === 'error').map((m) => m.code), ['room-full', 'room-full', 'room-full']);
    assert.equal(c.redis.cli('HLEN', 'pn:{limited}:m'), '3');

    // A member's peer id without its key, on another node: refused, and the member keeps its socket.
    const member = answers.findIndex((m) => m.type === 'joined');
    await clients[member].drain(300);
    const intruder = await Client.open(c.nodes[(member + 1) % 3].ws);
    intruder.send(await intruder.joinFrame('limited', who[member], 'Mallory', { signer: 'mallory' }));
    assert.equal((await intruder.next('error')).code, 'bad-signature');
    assert.deepEqual(await clients[member].drain(300), [], 'no replaced, no announcement');
    for (const x of [...clients, intruder]) await x.close();
  } finally {
    await c.stop();
  }
});

test('a node killed mid-room: a member that reconnects elsewhere is peer-rejoined, one that does not is left within 10 s', async () => {
  const c = await startCluster(2);
  let victimStopped = false;
  try {
    const [S, R, G] = ['kill-survivor', 'kill-returns', 'kill-gone'].map(identity);
    const s = await Client.open(c.nodes[0].ws);
    const r = await Client.open(c.nodes[1].ws);
    const g = await Client.open(c.nodes[1].ws);
    await s.join('killed', S, 'Sue');
    await r.join('killed', R, 'Rae');
    await g.join('killed', G, 'Gus');
    await s.next('peer-joined');
    await s.next('peer-joined');

    const victim = c.nodes[1];
    const killedAt = Date.now();
    victim.proc.kill('SIGKILL');
    await victim.exited;
    victimStopped = true;
    // A signal accepted for a member of the dead node is not lost in silence: its sender is told.
    s.send({ type: 'signal', to: G.id, data: { lost: true } });
    const bounced = await s.next('error');
    assert.equal(bounced.code, 'peer-away');
    assert.match(bounced.message, /could not be reached on its server node/);
    // Rae's client reconnects to the surviving node after a second, as a page would.
    await sleep(1000);
    const r2 = await Client.open(c.nodes[0].ws);
    const jr2 = await r2.join('killed', R, 'Rae');
    assert.deepEqual(ids(jr2), [G.id, S.id].sort(), 'the dead node\'s members stay listed in their grace period');
    assert.deepEqual(await s.next(), { type: 'peer-rejoined', peer: R.id, name: 'Rae', session: jr2.session });
    const left = await s.next('peer-left', 12000);
    const elapsed = Date.now() - killedAt;
    assert.deepEqual(left, { type: 'peer-left', peer: G.id });
    assert.ok(elapsed <= 10000, `peer-left after ${elapsed} ms`);
    console.log(`# node killed: its absent member reported left after ${elapsed} ms`);
    assert.deepEqual(await s.drain(200), [], 'Rae was never reported left');
    assert.deepEqual(c.redis.cli('HKEYS', 'pn:{killed}:m').split('\n').sort(), [R.id, S.id].sort());
    for (const x of [s, r2]) await x.close();
  } finally {
    if (victimStopped) c.nodes.splice(1, 1);
    await c.stop();
  }
});

test('Redis killed and restarted: nodes degrade, keep serving what they hold, refuse what they cannot pass on, and resynchronise', async () => {
  const c = await startCluster(2, ['--grace-ms', '2000']);
  try {
    const [A1, A2, A3, B1] = ['out-a1', 'out-a2', 'out-a3', 'out-b1'].map(identity);
    const a1 = await Client.open(c.nodes[0].ws);
    const a2 = await Client.open(c.nodes[0].ws);
    const b1 = await Client.open(c.nodes[1].ws);
    await a1.join('outage', A1);
    await a2.join('outage', A2);
    await b1.join('outage', B1);
    await a1.drain(200);
    await a2.drain(0);

    await c.redis.kill();
    await Promise.all(c.nodes.map((n) => waitFor(async () => (await health(n)).startsWith('degraded'), 5000, 'degraded')));
    assert.equal((await metrics(c.nodes[0])).peddlenet_cluster_degraded, 1);

    // Within a node: unchanged. Across nodes: the sender hears that the signal was dropped.
    a1.send({ type: 'signal', to: A2.id, data: { local: true } });
    assert.deepEqual(await a2.next('signal'), { type: 'signal', from: A1.id, data: { local: true } });
    a1.send({ type: 'signal', to: B1.id, data: { remote: true } });
    const refused = await a1.next('error');
    assert.equal(refused.code, 'peer-away');
    assert.match(refused.message, /cannot be reached/);
    // A join while Redis is away is served by the node alone.
    const a3 = await Client.open(c.nodes[0].ws);
    const ja3 = await a3.join('outage', A3);
    assert.deepEqual(ids(ja3), [A1.id, A2.id, B1.id].sort());
    // A socket that closes meanwhile gets this node's own grace period.
    await a2.kill();
    assert.deepEqual(await a1.next('peer-joined', 3000), { type: 'peer-joined', peer: A3.id, name: 'out-a3', session: ja3.session });
    assert.deepEqual(await a1.next('peer-left', 4000), { type: 'peer-left', peer: A2.id });

    // Redis comes back empty (no persistence): the nodes put their members back, in whatever
    // order they reconnect; members are never reported left and then joined again.
    await c.redis.restart();
    await Promise.all(c.nodes.map((n) => waitFor(async () => (await health(n)) === 'ok', 8000, 'ok again')));
    assert.deepEqual(await b1.next('peer-joined', 3000), { type: 'peer-joined', peer: A3.id, name: 'out-a3', session: ja3.session });
    assert.deepEqual(await b1.next('peer-left', 6000), { type: 'peer-left', peer: A2.id });
    assert.deepEqual(await b1.drain(500), [], 'only what changed during the outage');
    assert.deepEqual(await a1.drain(0), [], 'only what changed during the outage');
    await waitFor(() => c.redis.cli('HLEN', 'pn:{outage}:m') === '3', 3000, 'members restored in Redis');
    b1.send({ type: 'signal', to: A3.id, data: { back: true } });
    assert.deepEqual(await a3.next('signal'), { type: 'signal', from: B1.id, data: { back: true } });
    const m = await metrics(c.nodes[1]);
    assert.ok(m.peddlenet_cluster_resyncs_total >= 1, 'resynchronised');
    assert.ok(m.peddlenet_redis_errors_total >= 1, 'the outage was counted');
    for (const x of [a1, a3, b1]) await x.close();
  } finally {
    await c.stop(); // each node must exit 0: no crash, and LeakSanitizer in the sanitized build
  }
});

test('hostile input on one node, and forged cluster messages, while the other nodes keep serving', async () => {
  const c = await startCluster(2, ['--rate-burst', '50']);
  try {
    const [A, B] = ['calm-a', 'calm-b'].map(identity);
    const a = await Client.open(c.nodes[0].ws);
    const b = await Client.open(c.nodes[1].ws);
    await a.join('calm', A);
    await b.join('calm', B);
    await a.next('peer-joined');

    // Node 1 gets floods, malformed and oversized frames, forged joins and binary frames.
    const hostile = await Promise.all([0, 1, 2, 3].map(() => Client.open(c.nodes[1].ws)));
    hostile[0].send('{"type":"join","room":');
    hostile[1].ws.send(Buffer.alloc(70000, 0x41));
    hostile[2].send(await hostile[2].joinFrame('calm', B, 'Bob?', { signer: 'mallory' }));
    for (let i = 0; i < 300; i++) hostile[3].send({ type: 'signal', to: A.id, data: { i } });
    // And messages no node wrote, straight into a node's channel and a room's channel.
    c.redis.cli('PUBLISH', `pn:node:${nodeId(c.nodes[0])}:in`, 'S3:xyz,garbage');
    c.redis.cli('PUBLISH', 'pn:{calm}:ev', 'J|99999999999999999999999|x');
    c.redis.cli('PUBLISH', 'pn:{calm}:ev', 'L|notanumber|peer');

    for (let i = 0; i < 20; i++) {
      a.send({ type: 'signal', to: B.id, data: { i } });
      assert.deepEqual(await b.next('signal'), { type: 'signal', from: A.id, data: { i } });
    }
    assert.equal((await hostile[2].next('error')).code, 'bad-signature');
    assert.deepEqual(await a.drain(300), [], 'nothing from the hostile clients or the forged messages reached the room');
    const m0 = await metrics(c.nodes[0]);
    assert.ok(m0.peddlenet_redis_errors_total >= 2, 'the forged messages were counted');
    assert.equal(await health(c.nodes[0]), 'ok');
    for (const x of [a, b, ...hostile]) await x.close();
  } finally {
    await c.stop();
  }
});
