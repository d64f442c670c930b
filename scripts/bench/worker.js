// Load generator process (forked by signaling.js and cluster.js): opens WebSocket clients against
// one of the three servers and runs the scenario steps the parent asks for over IPC. Several of
// these run at once, each under its own open-file limit and with its own loopback source address.
// A client of the list may name its own `port` (cluster.js spreads a room over the nodes of a
// cluster); otherwise it connects to opts.port.
'use strict';
const crypto = require('node:crypto');
const { performance } = require('node:perf_hooks');
const WebSocket = require('ws');

// Signals of about 1 KiB on the wire (SDP-sized): the padding plus t/seq fields and framing.
const PAD = 'a=candidate:1 1 udp 2122260223 192.168.1.23 54321 typ host '.repeat(16).slice(0, 900);

let opts = {}; // { kind, host, port, localAddress, roomSize, completeRooms }
const portOf = (c) => c.port || opts.port;
const clients = [];
const failures = {};
let received = 0;
let latencies = [];
let recording = false;

function fail(reason) { failures[reason] = (failures[reason] || 0) + 1; }

function onSignal(data) {
  if (!recording || !data || typeof data.t !== 'number') return;
  received++;
  latencies.push(performance.now() - data.t);
}

// Our server (protocol v2) wants each peer id to be an Ed25519 public key and each join signed
// over the connection's challenge: keys are made before the clock starts (in 'connect'), the
// signature per join is part of joining, as it is for the app.
// Keys come from a random 32-byte seed imported as a JWK private key, not from
// generateKeyPairSync: on Node 20 a garbage collection inside export({ format: 'jwk' }) can run
// the finalizer of the key's generation job, which takes the mutex the export holds, and the
// load generator hangs for good (seen once in ~15 runs of 10,000 keys). Node reads only `d` of
// an OKP private JWK (`x` must be a string but is not used); the public key is derived from it.
const X_UNUSED = 'A'.repeat(43);
let seedKeys = true;
function keyPair() {
  if (seedKeys) {
    try {
      const d = crypto.randomBytes(32).toString('base64url');
      const privateKey = crypto.createPrivateKey({ key: { kty: 'OKP', crv: 'Ed25519', d, x: X_UNUSED }, format: 'jwk' });
      return { privateKey, x: crypto.createPublicKey(privateKey).export({ format: 'jwk' }).x };
    } catch {
      seedKeys = false; // a Node that wants a matching x: generate as before
    }
  }
  const { publicKey, privateKey } = crypto.generateKeyPairSync('ed25519');
  return { privateKey, x: publicKey.export({ format: 'jwk' }).x };
}
function withIdentity(c) {
  const { privateKey, x } = keyPair();
  return { ...c, name: c.id, id: x, key: privateKey };
}

// One adapter per server: open (resolve when ready), send a signal, close.
const adapters = {
  ours: {
    open(c, ready, failed) {
      const ws = new WebSocket(`ws://${opts.host}:${portOf(c)}/ws`,
        { localAddress: opts.localAddress, perMessageDeflate: false });
      c.ws = ws;
      ws.on('message', (raw) => {
        const m = JSON.parse(raw);
        if (m.type === 'signal') return onSignal(m.data);
        if (m.type === 'challenge') {
          const payload = Buffer.from(`peddlenet-join-v2\n${m.nonce}\n${c.room}\n${c.id}`, 'utf8');
          const sig = crypto.sign(null, payload, c.key).toString('base64url');
          return ws.send(JSON.stringify({ type: 'join', room: c.room, peer: c.id, name: c.name, sig }));
        }
        if (m.type === 'joined') { m.peers.forEach((p) => c.known.add(p.peer)); ready(); }
        else if (m.type === 'peer-joined') { c.known.add(m.peer); ready(); }
        else if (m.type === 'error') failed(`error ${m.code}`);
      });
      ws.on('error', (e) => failed(e.code || e.message));
      ws.on('close', (code) => failed(`close ${code}`));
    },
    send(c, to, data) { c.ws.send(JSON.stringify({ type: 'signal', to, data })); },
    close(c) { c.ws.terminate(); },
  },
  peerjs: {
    open(c, ready, failed) {
      const ws = new WebSocket(
        `ws://${opts.host}:${portOf(c)}/peerjs?key=peerjs&id=${c.id}&token=t${c.id}`,
        { localAddress: opts.localAddress, perMessageDeflate: false });
      c.ws = ws;
      ws.on('message', (raw) => {
        const m = JSON.parse(raw);
        if (m.type === 'CANDIDATE') return onSignal(m.payload);
        if (m.type === 'OPEN') { c.open = true; ready(); }
        else if (m.type === 'ERROR' || m.type === 'ID-TAKEN') failed(`error ${m.payload && m.payload.msg}`);
      });
      ws.on('error', (e) => failed(e.code || e.message));
      ws.on('close', (code) => failed(`close ${code}`));
      // PeerJS drops clients silent for alive_timeout (90 s); its client library heartbeats.
      c.heartbeat = setInterval(() => { if (ws.readyState === 1) ws.send('{"type":"HEARTBEAT"}'); }, 20000);
    },
    send(c, to, data) { c.ws.send(JSON.stringify({ type: 'CANDIDATE', dst: to, payload: data })); },
    close(c) { clearInterval(c.heartbeat); c.ws.terminate(); },
  },
  // Socket.IO spoken directly (Engine.IO v4 over WebSocket), so that the generator costs the
  // same per message for every server: the socket.io-client library would make the load
  // generator, not the server, the bottleneck.
  socketio: {
    open(c, ready, failed) {
      const ws = new WebSocket(`ws://${opts.host}:${portOf(c)}/socket.io/?EIO=4&transport=websocket`,
        { localAddress: opts.localAddress, perMessageDeflate: false });
      c.ws = ws;
      ws.on('message', (raw) => {
        const text = raw.toString();
        if (text === '2') return ws.send('3'); // Engine.IO ping -> pong
        if (text.startsWith('0')) return ws.send('40'); // open -> connect to namespace "/"
        if (text.startsWith('40')) return ws.send(`42${JSON.stringify(['join', { room: c.room, peer: c.id, name: c.id }])}`);
        if (!text.startsWith('42')) return;
        const [event, m] = JSON.parse(text.slice(2));
        if (event === 'signal') return onSignal(m.data);
        if (event === 'joined') { m.peers.forEach((p) => c.known.add(p.peer)); ready(); }
        else if (event === 'peer-joined') { c.known.add(m.peer); ready(); }
        // socketio-cluster-server.js answers a join it could not complete (fetchSockets failed);
        // later failures (no-such-peer from socketio-server.js) are ignored, as before.
        else if (event === 'failure' && !c.settled) failed(`error ${m.code}`);
      });
      ws.on('error', (e) => failed(e.code || e.message));
      ws.on('close', (code) => failed(`close ${code}`));
    },
    send(c, to, data) { c.ws.send(`42${JSON.stringify(['signal', { to, data }])}`); },
    close(c) { c.ws.terminate(); },
  },
};

// Ready means registered (PeerJS: OPEN) or, with rooms, knowing every other room member.
function isReady(c) {
  if (opts.kind === 'peerjs') return c.open === true;
  return c.joined && (!opts.completeRooms || c.known.size >= opts.roomSize - 1);
}

function connect({ list, concurrency, timeoutMs }) {
  const adapter = adapters[opts.kind];
  const t0 = performance.now();
  let next = 0;
  let inFlight = 0;
  let ok = 0;
  let done = 0;
  let lastReady = 0;
  return new Promise((resolve) => {
    const finish = () => {
      if (done === list.length) {
        resolve({ ok, failed: list.length - ok, failures, ms: lastReady, totalMs: performance.now() - t0 });
      }
    };
    const launch = () => {
      while (inFlight < concurrency && next < list.length) {
        const c = { ...list[next++], known: new Set(), joined: false, settled: false };
        inFlight++;
        const settle = (success, reason) => {
          if (c.settled) return;
          c.settled = true;
          clearTimeout(c.timer);
          inFlight--;
          done++;
          if (success) { ok++; lastReady = performance.now() - t0; clients.push(c); }
          else fail(reason);
          launch();
          finish();
        };
        c.timer = setTimeout(() => settle(false, 'timeout'), timeoutMs);
        adapter.open(c, () => {
          c.joined = true;
          if (isReady(c)) settle(true);
        }, (reason) => {
          if (!c.settled) settle(false, reason);
          else if (!c.closedLogged) { c.closedLogged = true; c.lost = reason; }
        });
      }
    };
    launch();
    finish();
  });
}

// Sends `rate` signals per second for `durationMs`, each from a random client to a random
// other member of its room (rooms never span processes, so latency uses one clock).
async function relay({ rate, durationMs, drainMs }) {
  const adapter = adapters[opts.kind];
  const byRoom = new Map();
  for (const c of clients) {
    if (!byRoom.has(c.room)) byRoom.set(c.room, []);
    byRoom.get(c.room).push(c);
  }
  const senders = clients.filter((c) => byRoom.get(c.room).length > 1);
  received = 0;
  latencies = [];
  recording = true;
  let sent = 0;
  let seq = 0;
  const t0 = performance.now();
  await new Promise((resolve) => {
    const tick = () => {
      const elapsed = performance.now() - t0;
      const due = Math.min(Math.floor((rate * Math.min(elapsed, durationMs)) / 1000), Math.floor((rate * durationMs) / 1000));
      while (sent < due) {
        const c = senders[(Math.random() * senders.length) | 0];
        const room = byRoom.get(c.room);
        let to = room[(Math.random() * room.length) | 0];
        while (to === c) to = room[(Math.random() * room.length) | 0];
        adapter.send(c, to.id, { t: performance.now(), seq: seq++, pad: PAD });
        sent++;
      }
      if (elapsed >= durationMs) return resolve();
      setTimeout(tick, 2);
    };
    tick();
  });
  const sendMs = performance.now() - t0;
  // Wait for stragglers: until everything arrived, or nothing arrived for `drainMs`.
  for (let last = -1, quietSince = performance.now(); received < sent;) {
    await new Promise((r) => setTimeout(r, 50));
    if (received !== last) { last = received; quietSince = performance.now(); }
    if (performance.now() - quietSince > drainMs) break;
  }
  recording = false;
  const lost = clients.filter((c) => c.lost).length;
  return { sent, received, sendMs, latencies, disconnected: lost };
}

process.on('message', async (msg) => {
  if (msg.cmd === 'init') {
    opts = msg.opts;
    process.send({ event: 'init' });
  } else if (msg.cmd === 'connect') {
    if (opts.kind === 'ours') msg.list = msg.list.map(withIdentity); // untimed
    process.send({ event: 'connected', ...(await connect(msg)) });
  } else if (msg.cmd === 'relay') {
    process.send({ event: 'relayed', ...(await relay(msg)) });
  } else if (msg.cmd === 'count') {
    process.send({ event: 'count', alive: clients.filter((c) => !c.lost).length });
  } else if (msg.cmd === 'close') {
    for (const c of clients) { try { adapters[opts.kind].close(c); } catch { /* already gone */ } }
    setTimeout(() => process.exit(0), 100);
  }
});
