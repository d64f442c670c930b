// A bare-bones WebSocket client over a TCP socket, for what well-behaved libraries refuse to
// send: invalid UTF-8, unmasked or reserved-bit frames, huge length headers, fragments, and
// clients that stop reading. The server's challenge (its first text frame) is kept apart in
// `challenge`, as helpers.js's Client does.
'use strict';
const net = require('node:net');
const crypto = require('node:crypto');

class RawWs {
  static open(port) {
    return new Promise((resolve, reject) => {
      const c = new RawWs();
      c.sock = net.connect(port, '127.0.0.1');
      c.buf = Buffer.alloc(0);
      c.frames = [];
      c.challenge = null;
      c.waiters = [];
      c.upgraded = false;
      c.ended = new Promise((r) => c.sock.on('close', r));
      c.sock.on('error', () => {});
      c.sock.on('connect', () => {
        const key = crypto.randomBytes(16).toString('base64');
        c.sock.write(`GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
      });
      c.sock.on('data', (d) => {
        c.buf = Buffer.concat([c.buf, d]);
        if (!c.upgraded) {
          const end = c.buf.indexOf('\r\n\r\n');
          if (end < 0) return;
          const head = c.buf.subarray(0, end).toString();
          c.buf = c.buf.subarray(end + 4);
          if (!head.startsWith('HTTP/1.1 101')) return reject(new Error(head));
          c.upgraded = true;
          resolve(c);
        }
        c.parse();
      });
      c.sock.on('close', () => { if (!c.upgraded) reject(new Error('closed before upgrade')); c.wake(); });
    });
  }

  parse() {
    for (;;) {
      if (this.buf.length < 2) return;
      let len = this.buf[1] & 0x7f;
      let at = 2;
      if (len === 126) { if (this.buf.length < 4) return; len = this.buf.readUInt16BE(2); at = 4; }
      else if (len === 127) { if (this.buf.length < 10) return; len = Number(this.buf.readBigUInt64BE(2)); at = 10; }
      if (this.buf.length < at + len) return;
      const opcode = this.buf[0] & 0x0f;
      const payload = this.buf.subarray(at, at + len);
      this.buf = this.buf.subarray(at + len);
      const frame = { opcode, payload };
      if (opcode === 1) frame.json = JSON.parse(payload.toString());
      if (opcode === 8) frame.code = payload.length >= 2 ? payload.readUInt16BE(0) : null;
      if (opcode === 1 && frame.json.type === 'challenge' && !this.challenge) {
        this.challenge = frame.json;
        this.wake();
        continue;
      }
      this.frames.push(frame);
      this.wake();
    }
  }

  wake() { this.waiters.splice(0).forEach((w) => w()); }

  // Builds and sends one frame. `payload` is a Buffer or string.
  send(opcode, payload, { fin = true, mask = true, rsv = 0, length } = {}) {
    const body = Buffer.isBuffer(payload) ? payload : Buffer.from(payload);
    const n = length ?? body.length;
    const head = [((fin ? 0x80 : 0) | rsv | opcode)];
    const m = mask ? 0x80 : 0;
    if (n < 126) head.push(m | n);
    else if (n < 65536) head.push(m | 126, n >> 8, n & 0xff);
    else {
      head.push(m | 127);
      const big = Buffer.alloc(8);
      big.writeBigUInt64BE(BigInt(n));
      head.push(...big);
    }
    let out = Buffer.from(head);
    if (mask) {
      const key = crypto.randomBytes(4);
      const masked = Buffer.from(body);
      for (let i = 0; i < masked.length; i++) masked[i] ^= key[i % 4];
      out = Buffer.concat([out, key, masked]);
    } else {
      out = Buffer.concat([out, body]);
    }
    this.sock.write(out);
  }

  text(obj) { this.send(1, typeof obj === 'string' ? obj : JSON.stringify(obj)); }

  // Next frame (optionally with this opcode), within `ms`; null once the socket closed.
  async next(opcode, ms = 3000) {
    const deadline = Date.now() + ms;
    for (;;) {
      const i = this.frames.findIndex((f) => opcode === undefined || f.opcode === opcode);
      if (i >= 0) return this.frames.splice(i, 1)[0];
      if (this.sock.destroyed) return null;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no frame within ${ms} ms`);
      await new Promise((r) => { const t = setTimeout(r, left); this.waiters.push(() => { clearTimeout(t); r(); }); });
    }
  }

  async nextJson(ms) { const f = await this.next(1, ms); return f && f.json; }

  // This connection's challenge nonce, once it arrived.
  async nonce(ms = 3000) {
    const deadline = Date.now() + ms;
    while (!this.challenge) {
      if (this.sock.destroyed) throw new Error('closed before the challenge');
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no challenge within ${ms} ms`);
      await new Promise((r) => { const t = setTimeout(r, left); this.waiters.push(() => { clearTimeout(t); r(); }); });
    }
    return this.challenge.nonce;
  }
  destroy() { this.sock.destroy(); }
}

module.exports = { RawWs };
