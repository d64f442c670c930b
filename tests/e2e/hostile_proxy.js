// hostile_proxy.js: a signaling server that lies, for the trust tests. It sits in front of the
// real server on 127.0.0.1: pages load the app from the proxy's origin (HTTP is passed through
// untouched, so the service worker and the COOP/COEP headers are the real server's), and their
// /ws sockets go through it. Every JSON frame passes the hooks a test installs, per connection
// and direction; on top of that the proxy can act as the server itself:
//  - splice(): answer a stranger's join itself and put it into another room (fake `joined` to
//    the stranger, fake `peer-joined` to the members, signals carried between them), although
//    the real server never let it in;
//  - relay(): route every signal between the members of a room to a DTLS relay page
//    (dtls_relay.html, in the same browser) that answers each member as the other one, so each
//    member's connection ends at the relay (a man in the middle with its own certificates).
// Every frame that passes, injected ones included, is logged per connection (conn.log).
'use strict';
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const crypto = require('node:crypto');
const { WebSocket, WebSocketServer } = require('ws');

const RELAY_PAGE = path.join(__dirname, 'dtls_relay.html');
const RELAY_PATH = '/__hostile/dtls_relay.html';
const RELAY_WS_PATH = '/__hostile/relay';

// A session name as the real server makes them (16 of [A-Za-z0-9]), so a fake one looks real.
function fakeSession() {
  const abc = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  return Array.from(crypto.randomBytes(16), (b) => abc[b % abc.length]).join('');
}

// WebSocket close codes that may be sent on (1005/1006 are only reported, never sent).
const sendableClose = (code) => (code >= 1000 && code <= 1014 && code !== 1005 && code !== 1006) ||
  (code >= 3000 && code <= 4999);

// One page's signaling socket and its upstream socket to the real server.
class Conn {
  constructor(proxy, id, client) {
    this.proxy = proxy;
    this.id = id;
    this.client = client;
    this.upstream = null;
    this.upQueue = [];   // client frames waiting for the upstream socket to open
    this.log = [];       // {t, dir: 'up'|'down', msg, injected}
    this.join = null;    // the last join the client sent (as it sent it)
    this.peer = null;    // from the server's `joined` (or the proxy's fake one)
    this.room = null;
    this.session = null;
    this.name = null;
    this.spliced = null; // {room, session} when the proxy is this client's server
    this.closed = false;
  }

  get joined() { return this.peer !== null && !this.closed; }
  // Frames of this connection matching `type` (and direction), for assertions.
  frames(dir, type) { return this.log.filter((e) => e.dir === dir && (!type || e.msg.type === type)).map((e) => e.msg); }
  errors() { return this.frames('down', 'error'); }

  // Injects a frame to the page, as if the server had sent it.
  toClient(msg) {
    this.record('down', msg, true);
    if (this.client.readyState === WebSocket.OPEN) this.client.send(JSON.stringify(msg));
  }
  // Injects a frame to the real server, as if the page had sent it.
  toServer(msg) {
    this.record('up', msg, true);
    this.rawToServer(JSON.stringify(msg));
  }
  rawToServer(text) {
    if (this.upstream.readyState === WebSocket.OPEN) this.upstream.send(text);
    else if (this.upstream.readyState === WebSocket.CONNECTING) this.upQueue.push(text);
  }

  record(dir, msg, injected = false) {
    this.log.push({ t: Date.now(), dir, msg, injected });
    // What the page believes: its join, and the server's answer naming its place and session.
    if (dir === 'up' && msg.type === 'join' && !injected) this.join = msg;
    if (dir === 'down' && msg.type === 'joined') {
      this.peer = msg.peer; this.room = msg.room; this.session = msg.session ?? null;
      this.name = this.join?.name ?? null;
    }
    if (dir === 'up' && msg.type === 'leave') { this.peer = null; this.room = null; this.session = null; }
    this.proxy.emitFrame(this, dir, msg, injected);
  }
}

class HostileProxy {
  constructor(target) {
    this.target = new URL(target);   // the real server, http://127.0.0.1:P/
    this.conns = [];
    this.hooks = [];                 // (conn, dir, msg) => msg | null (drop) | undefined (as is)
    this.listeners = [];             // (conn, dir, msg, injected) => void, after the fact
    this.splices = [];               // {match(join), room}
    this.relays = new Set();         // room ids whose signals go through the relay page
    this.relaySocket = null;
    this.relayLog = [];              // {t, dir: 'to-relay'|'from-relay', pc, data}
    this.envelopes = new Map();      // relay pc name -> the envelope its member last sent
    this.fakeSessions = new Map();   // relay pc name -> a made-up session (pre-trust app)
    this.nextId = 1;
  }

  async start() {
    this.http = http.createServer((req, res) => this.serveHttp(req, res));
    this.wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
    this.http.on('upgrade', (req, socket, head) => {
      const { pathname } = new URL(req.url, 'http://x');
      if (pathname !== '/ws' && pathname !== RELAY_WS_PATH) return socket.destroy();
      this.wss.handleUpgrade(req, socket, head, (ws) => {
        if (pathname === RELAY_WS_PATH) this.acceptRelay(ws);
        else this.acceptClient(ws, req);
      });
    });
    await new Promise((resolve) => this.http.listen(0, '127.0.0.1', resolve));
    this.port = this.http.address().port;
    this.url = `http://127.0.0.1:${this.port}/`;
    this.relayUrl = `http://127.0.0.1:${this.port}${RELAY_PATH}`;
    return this;
  }

  async stop() {
    for (const c of this.conns) { c.client.terminate(); c.upstream?.terminate(); }
    this.relaySocket?.terminate();
    this.wss.close();
    this.http.closeAllConnections?.();
    await new Promise((resolve) => this.http.close(resolve));
  }

  // ---- hooks and queries --------------------------------------------------------------------
  // Installs a rewrite hook; returns a function that removes it.
  hook(fn) { this.hooks.push(fn); return () => { this.hooks = this.hooks.filter((h) => h !== fn); }; }
  onFrame(fn) { this.listeners.push(fn); return () => { this.listeners = this.listeners.filter((h) => h !== fn); }; }
  emitFrame(conn, dir, msg, injected) { for (const l of this.listeners) l(conn, dir, msg, injected); }
  // The open connection that joined as `peer` (the real server's or the proxy's answer).
  byPeer(peer) { return this.conns.filter((c) => c.joined && c.peer === peer).pop(); }
  members(room) { return this.conns.filter((c) => c.joined && c.room === room && !c.spliced); }
  // Resolves with the first frame (after the fact) for which `pred(conn, dir, msg)` holds.
  waitFrame(pred, timeoutMs = 10000) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => { off(); reject(new Error('hostile proxy: frame not seen in time')); }, timeoutMs);
      const off = this.onFrame((conn, dir, msg) => {
        if (pred(conn, dir, msg)) { clearTimeout(timer); off(); resolve({ conn, msg }); }
      });
    });
  }

  // The proxy answers the join of the first client whose join matches `match(join)` itself and
  // splices that client into `room` (an id the real server knows members of), see the top.
  splice(match, room) { this.splices.push({ match, room }); }
  // Signals between members of `room` go through the relay page from now on.
  relay(room) { this.relays.add(room); }

  // ---- HTTP: passed through untouched, except the relay page --------------------------------
  serveHttp(req, res) {
    if (req.url.split('?')[0] === RELAY_PATH) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      return res.end(fs.readFileSync(RELAY_PAGE));
    }
    const up = http.request({
      host: this.target.hostname, port: this.target.port, method: req.method, path: req.url,
      headers: req.headers,
    }, (upRes) => {
      res.writeHead(upRes.statusCode, upRes.headers);
      upRes.pipe(res);
    });
    up.on('error', () => { if (!res.headersSent) res.writeHead(502); res.end(); });
    req.pipe(up);
  }

  // ---- signaling sockets ----------------------------------------------------------------------
  acceptClient(client) {
    const conn = new Conn(this, this.nextId++, client);
    this.conns.push(conn);
    const wsTarget = `ws://${this.target.host}/ws`;
    conn.upstream = new WebSocket(wsTarget, { perMessageDeflate: false });
    conn.upstream.on('open', () => { for (const t of conn.upQueue) conn.upstream.send(t); conn.upQueue = []; });
    conn.upstream.on('message', (data, isBinary) => this.pass(conn, 'down', data, isBinary));
    client.on('message', (data, isBinary) => this.pass(conn, 'up', data, isBinary));
    // A close on either side closes the other with the same code (4001 `replaced` included).
    conn.upstream.on('close', (code, reason) => {
      if (conn.spliced) return; // the proxy is this client's server; the real one may go
      conn.closed = true;
      client.close(sendableClose(code) ? code : 1000, reason);
    });
    client.on('close', () => { conn.closed = true; conn.upstream.close(); });
    conn.upstream.on('error', () => {});
    client.on('error', () => {});
  }

  // One frame from the page ('up') or the real server ('down'): hooks, the proxy's own
  // server work, then on to the other side.
  pass(conn, dir, data, isBinary) {
    const text = data.toString();
    let msg = null;
    if (!isBinary) { try { msg = JSON.parse(text); } catch (_) { /* passed on as is */ } }
    if (!msg || typeof msg !== 'object') {
      if (dir === 'up') conn.rawToServer(isBinary ? data : text);
      else conn.client.send(data, { binary: isBinary });
      return;
    }
    const original = text;
    let changed = false;
    for (const h of this.hooks) {
      const out = h(conn, dir, msg);
      if (out === null) return; // dropped
      if (out !== undefined) { msg = out; changed = true; }
    }
    if (dir === 'up' && this.serveItself(conn, msg)) return;
    conn.record(dir, msg);
    // Unchanged frames go on byte for byte (the real server relays `data` exactly).
    const out = changed ? JSON.stringify(msg) : original;
    if (dir === 'up') conn.rawToServer(out);
    else conn.client.send(out);
  }

  // Frames the proxy answers or carries itself instead of the real server; true when handled.
  serveItself(conn, msg) {
    if (msg.type === 'join' && !conn.spliced) {
      const i = this.splices.findIndex((s) => s.match(msg, conn));
      if (i < 0) return false;
      const { room } = this.splices.splice(i, 1)[0];
      conn.record('up', msg);
      this.spliceClient(conn, msg, room);
      return true;
    }
    if (msg.type !== 'signal' || typeof msg.to !== 'string') return false;
    const to = this.byPeer(msg.to);
    const from = conn;
    if (!to || !from.joined) return false;
    if (from.spliced || to.spliced) {
      // Between a spliced stranger and a member: only the proxy knows both.
      if ((from.spliced ? from.spliced.room : from.room) !== (to.spliced ? to.spliced.room : to.room)) return false;
      from.record('up', msg);
      to.toClient({ type: 'signal', from: from.peer, data: msg.data });
      return true;
    }
    if (this.relays.has(from.room) && from.room === to.room && this.relaySocket) {
      from.record('up', msg);
      this.toRelay(from, to, msg.data);
      return true;
    }
    return false;
  }

  // The lie: the stranger hears it joined the room it asked for, with the members of `room`
  // in it; the members hear that the stranger joined theirs.
  spliceClient(conn, join, room) {
    const session = fakeSession();
    const members = this.members(room);
    conn.spliced = { room, session };
    conn.toClient({
      type: 'joined', room: join.room, peer: join.peer, session,
      peers: members.map((m) => ({ peer: m.peer, name: m.name, session: m.session })),
    });
    // record() set room = the stranger's own; signals are routed by spliced.room.
    for (const m of members) m.toClient({ type: 'peer-joined', peer: join.peer, name: join.name, session });
  }

  // ---- the DTLS relay page ------------------------------------------------------------------
  // The relay keeps one RTCPeerConnection per (member, impersonated peer), named
  // "<member>|<impersonated>"; a member's signal to P goes to its pc "<member>|<P>", and that
  // pc's signals go back to the member as P's, in P's envelope.
  acceptRelay(ws) {
    this.relaySocket = ws;
    ws.on('message', (data) => {
      let m;
      try { m = JSON.parse(data.toString()); } catch (_) { return; }
      if (m.type !== 'signal') return;
      const [member, as] = m.pc.split('|');
      const target = this.byPeer(member), posing = this.byPeer(as);
      if (!target || !posing) return;
      this.relayLog.push({ t: Date.now(), dir: 'from-relay', pc: m.pc, data: m.data });
      target.toClient({ type: 'signal', from: as, data: { ...m.data, ...this.envelopeFor(m.pc, posing, target) } });
    });
    ws.on('error', () => {});
  }

  // The signal envelope (see src/core/room_engine.hpp) of a relay signal to `target` posing as
  // `posing`: the sessions the member itself uses towards that peer once it has sent one, else
  // the server's (protocol v2), else (the pre-trust app names its own link sessions) a made-up
  // one, stable per relay connection.
  envelopeFor(pc, posing, target) {
    const seen = this.envelopes.get(pc) || {};
    if (!this.fakeSessions.has(pc)) this.fakeSessions.set(pc, fakeSession());
    const env = { session: seen.to_session ?? posing.session ?? this.fakeSessions.get(pc) };
    const to = seen.session ?? target.session;
    if (to) env.to_session = to;
    return env;
  }

  toRelay(from, to, data) {
    const { session, to_session, ...bare } = data || {};
    const pc = `${from.peer}|${to.peer}`;
    const seen = this.envelopes.get(pc) || {};
    this.envelopes.set(pc, { session: session ?? seen.session, to_session: to_session ?? seen.to_session });
    this.relayLog.push({ t: Date.now(), dir: 'to-relay', pc, data: bare });
    this.relaySocket.send(JSON.stringify({ type: 'signal', pc, data: bare }));
  }
}

async function startHostileProxy(targetUrl) {
  return new HostileProxy(targetUrl).start();
}

module.exports = { startHostileProxy, HostileProxy, fakeSession };
