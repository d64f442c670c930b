// Shared helpers for the integration tests: start the real peddlenet-server on a free port
// (it is started with --port 0 and reports the port it got), WebSocket clients that queue
// what they receive and sign their joins (protocol v2), device identities (Ed25519 keys made
// with node's crypto), and a throwaway web root.
'use strict';
const { spawn } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const WebSocket = require('ws');

const repo = path.resolve(__dirname, '..', '..');
const binary = process.env.PEDDLENET_SERVER
  ? path.resolve(process.env.PEDDLENET_SERVER)
  : path.join(repo, 'build/native/src/server/peddlenet-server');

// A web root with the kinds of files the app ships.
function makeRoot() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'peddlenet-it-'));
  const root = path.join(dir, 'root');
  fs.mkdirSync(path.join(root, 'sub'), { recursive: true });
  fs.writeFileSync(path.join(root, 'index.html'), '<!doctype html><title>PeddleNet</title>');
  fs.writeFileSync(path.join(root, 'peddlenet.3fa9c01b.wasm'), Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]));
  fs.writeFileSync(path.join(root, 'peddlenet.3fa9c01b.wasm.br'), 'brotli-bytes');
  fs.writeFileSync(path.join(root, 'peddlenet.3fa9c01b.wasm.gz'), 'gzip-bytes');
  fs.writeFileSync(path.join(root, 'sw.js'), 'self.addEventListener("fetch", () => {});');
  fs.writeFileSync(path.join(root, 'manifest.webmanifest'), '{"name":"PeddleNet"}');
  fs.writeFileSync(path.join(root, 'peddlenet.data'), 'data');
  fs.writeFileSync(path.join(root, 'a b.txt'), 'space');
  fs.writeFileSync(path.join(root, 'sub', 'index.html'), 'sub');
  fs.writeFileSync(path.join(dir, 'secret.txt'), 'outside the root');
  fs.symlinkSync(path.join(dir, 'secret.txt'), path.join(root, 'escape.txt'));
  return { dir, root, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

// Starts the server; resolves once it printed its URL. Extra flags are appended.
async function startServer(flags = [], { root } = {}) {
  const own = root ? null : makeRoot();
  const args = ['--root', root || own.root, '--port', '0', '--host', '127.0.0.1', '--no-qr', ...flags];
  const proc = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  proc.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start: ${stderr}`)), 5000);
    proc.stdout.on('data', (d) => {
      stdout += d;
      const m = /(https?):\/\/localhost:(\d+)\//.exec(stdout);
      if (m) { clearTimeout(timer); resolve(Number(m[2])); }
    });
    proc.on('exit', (code) => { clearTimeout(timer); reject(new Error(`server exited ${code}: ${stderr}`)); });
  });
  const tls = /https:\/\/localhost/.test(stdout);
  return {
    port,
    proc,
    exited,
    root: root || own.root,
    get stdout() { return stdout; },
    get stderr() { return stderr; },
    http: `${tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    ws: `${tls ? 'wss' : 'ws'}://127.0.0.1:${port}/ws`,
    // SIGTERM, then the exit must be clean (code 0): a server that needed SIGKILL or died on its
    // own is a failure, and only a clean exit runs LeakSanitizer in the sanitized build.
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) {
        process.kill(proc.pid, 'SIGTERM');
        const timer = setTimeout(() => { try { process.kill(proc.pid, 'SIGKILL'); } catch {} }, 5000);
        await exited;
        clearTimeout(timer);
      }
      if (own) own.cleanup();
      const exit = await exited;
      if (exit.code !== 0) {
        throw new Error(`server did not exit cleanly: ${JSON.stringify(exit)}\n${stderr.slice(-2000)}`);
      }
    },
  };
}

// A device identity: an Ed25519 key pair. Its peer id is the raw public key in base64url
// (the JWK `x` member is exactly that: 43 characters, no padding).
// The key generation writes both JWKs itself, and the private key is imported anew: node 20
// can deadlock exporting a KeyObject that generateKeyPairSync returned, when a GC during the
// export frees the generation job and its destructor waits for the lock the export holds
// (backtrace: ExportJWK -> GC -> ~KeyGenJob -> mutex wait). The large-room test, which makes
// 1000 identities, hung that way in about one run out of 25.
class Identity {
  constructor(label = 'peer') {
    this.label = label; // the default display name
    const { publicKey, privateKey } = crypto.generateKeyPairSync('ed25519', {
      publicKeyEncoding: { format: 'jwk' },
      privateKeyEncoding: { format: 'jwk' },
    });
    this.id = publicKey.x;
    this.privateKey = crypto.createPrivateKey({ key: privateKey, format: 'jwk' });
  }
  sign(text) { return crypto.sign(null, Buffer.from(text, 'utf8'), this.privateKey).toString('base64url'); }
}

// One identity per label for the whole test file, so a label names the same device throughout.
const identities = new Map();
function identity(label) {
  if (label instanceof Identity) return label;
  if (!identities.has(label)) identities.set(label, new Identity(label));
  return identities.get(label);
}

// The exact text a join signs (docs/PROTOCOL.md, version 2).
const joinPayload = (nonce, room, peer) => `peddlenet-join-v2\n${nonce}\n${room}\n${peer}`;

const SESSION = /^[A-Za-z0-9]{16}$/;

// A WebSocket client whose incoming JSON messages wait in a queue. The server's challenge (its
// first frame) is kept apart, in `challenge`, so that tests see only what follows it.
class Client {
  constructor(url, options = {}) {
    this.ws = new WebSocket(url, options);
    this.queue = [];
    this.waiters = [];
    this.challenge = null;
    this.closed = new Promise((resolve) => this.ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    this.ws.on('message', (data, isBinary) => {
      const text = data.toString();
      let msg;
      try { msg = JSON.parse(text); } catch { msg = { unparsable: text, isBinary }; }
      if (msg.type === 'challenge' && !this.challenge) this.challenge = msg;
      else this.queue.push(msg);
      this.waiters.splice(0).forEach((w) => w());
    });
    this.ws.on('error', () => {});
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', resolve);
      this.ws.once('unexpected-response', (req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
      this.ws.once('close', () => reject(new Error('closed before open')));
    });
  }
  static async open(url, options) {
    const c = new Client(url, options);
    await c.opened;
    return c;
  }
  send(obj) { this.ws.send(typeof obj === 'string' ? obj : JSON.stringify(obj)); }
  // Next message (optionally the next one of `type`, skipping others), within `ms`.
  async next(type, ms = 3000) {
    const deadline = Date.now() + ms;
    for (;;) {
      const i = this.queue.findIndex((m) => !type || m.type === type);
      if (i >= 0) return this.queue.splice(i, 1)[0];
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${type || 'message'} within ${ms} ms; queue: ${JSON.stringify(this.queue)}`);
      await new Promise((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => { clearTimeout(t); resolve(); });
      });
    }
  }
  // Resolves to the messages that arrived within `ms` (for "nothing else happens" checks).
  async drain(ms = 200) {
    await new Promise((r) => setTimeout(r, ms));
    return this.queue.splice(0);
  }
  // This connection's challenge nonce, once it arrived.
  async nonce(ms = 3000) {
    const deadline = Date.now() + ms;
    while (!this.challenge) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no challenge within ${ms} ms; queue: ${JSON.stringify(this.queue)}`);
      await new Promise((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => { clearTimeout(t); resolve(); });
      });
    }
    return this.challenge.nonce;
  }
  // A join frame for `room` as `who` (an Identity or a label), signed over this connection's
  // challenge. `over` replaces fields for hostile cases: {peer, nonce, signer, sig, name}.
  async joinFrame(room, who, name, over = {}) {
    const id = identity(who);
    const peer = over.peer ?? id.id;
    const nonce = over.nonce ?? await this.nonce();
    const signer = over.signer ? identity(over.signer) : id;
    const sig = over.sig ?? signer.sign(joinPayload(nonce, room, peer));
    return { type: 'join', room, peer, name: name ?? id.label, sig };
  }
  async join(room, who, name) {
    this.send(await this.joinFrame(room, who, name));
    return this.next('joined');
  }
  close() { this.ws.close(); return this.closed; }
  kill() { this.ws.terminate(); return this.closed; }
}

async function metrics(server) {
  const text = await (await fetch(`${server.http}/metrics`)).text();
  const values = {};
  for (const line of text.split('\n')) {
    const m = /^([a-z_]+(?:\{[^}]*\})?) (\S+)$/.exec(line);
    if (m) values[m[1]] = Number(m[2]);
  }
  return values;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

module.exports = { binary, makeRoot, startServer, Client, Identity, identity, joinPayload, SESSION, metrics, sleep, WebSocket };
