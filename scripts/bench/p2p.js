#!/usr/bin/env node
// p2p.js: peer-to-peer figures of the real app in headless Chromium on 127.0.0.1, side by side
// with the browser's own WebRTC driven by plain JavaScript (the floor anything built on top can
// reach). Prints a table; it is a measurement, not a pass/fail test.
//
//   scripts/bench/p2p.sh [--trials 20] [--messages 1000]    (installs and builds what is missing)
//   unshare -n bash -c 'ip link set lo up && node scripts/bench/p2p.js [--trials 20] [--messages 1000]'
//
// Figures (medians over trials unless said otherwise):
//   join -> deliverable: page B calls join(room) where A waits (both pages settled: service
//                   worker installed, A's join 0.5 s old); until B's link to A is open, which
//                   since issue 10 (trust) means its link proof succeeded (the auth frames: HMAC
//                   of the room key + Ed25519 signature over both DTLS fingerprints), so a
//                   message is deliverable. Before trust the same figure was join -> channel
//                   open: the pre-trust figures of docs/BENCHMARKS.md are printed beside it.
//                   Plain JavaScript: offer -> channel open, and offer -> open -> the same
//                   proof exchanged and verified in the page (HMAC-SHA-256 + Ed25519 over
//                   the two fingerprints, the peer's public key imported on receipt).
//   private room:   page A awaits create(name) (an invite URL with the room key); B calls
//                   join(invite); until B's link to A is open (proved). Skipped when the build
//                   has no create().
//   one-way latency: A calls send(); the message enters B's log (performance.now() epoch clocks,
//                   5 us resolution thanks to the server's COOP/COEP); p50/p99 over all messages.
//                   Plain JavaScript twice: bare, and with both pages drawing a WebGL canvas at
//                   60 Hz (what continuous frames alone cost arriving messages in this browser)
//   reload -> back: B reloads; until B's link to A is open (proved) again, history restored
// Run inside a loopback-only network namespace (p2p.sh does when root): otherwise Chromium also
// uses the machine's real interfaces.
'use strict';
require('./require_tools')('p2p', { modules: ['playwright-core'], app: true });
const path = require('node:path');
const { startServer, launchBrowser, openApp, state } = require(path.join(__dirname, '../../tests/e2e/harness'));
const { quantile } = require(path.join(__dirname, '../../tests/e2e/page_mesh'));

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const TRIALS = option('trials', 20);
const MESSAGES = option('messages', 1000);
const BATCH = 200;        // messages per batch: stays under the 500-message history bound
const SETTLE_MS = 500;   // after A's join, before B joins
const SPACING_MS = 2;     // between sends: a busy chat, not a flood that only measures queueing

const ms = (x) => (Number.isFinite(x) ? x.toFixed(x < 10 ? 2 : 0) : 'n/a');

async function waitFor(page, fn, arg, timeout = 20000, polling = 5) {
  await page.waitForFunction(fn, arg, { timeout, polling });
}

// B's link to A is open: since issue 10 only once A's link proof verified (message deliverable).
const linkOpen = () => (window.peddlenet.state().peers || []).some((p) => p.link === 'open' && p.openedMs > 0);
const openedMs = async (page) => (await state(page)).peers.find((p) => p.link === 'open' && p.openedMs > 0).openedMs;

// ---- the app ------------------------------------------------------------------------------

async function appTrial(browser, server, trial, results) {
  const room = `bench-${trial}-${Date.now()}`;
  const a = await openApp(browser, server.url);
  const b = await openApp(browser, server.url);
  try {
    await a.evaluate(() => window.peddlenet.setName('Host'));
    await b.evaluate(() => window.peddlenet.setName('Guest'));
    await a.evaluate((r) => window.peddlenet.join(r), room);
    // Connection setup, not cold start: both pages have their service worker installed (its
    // precache downloads the whole app once) and A's own join has settled. A person scanning a
    // code types a name first anyway; cold-start figures are in the PWA benchmark.
    for (const p of [a, b]) await p.evaluate(() => navigator.serviceWorker.ready);
    await a.waitForTimeout(SETTLE_MS);
    const t0 = await b.evaluate((r) => {
      const t = performance.timeOrigin + performance.now();
      window.peddlenet.join(r);
      return t;
    }, room);
    await waitFor(b, linkOpen);
    results.open.push((await openedMs(b)) - t0);
    await waitFor(a, linkOpen);

    if (trial === 0) await measureLatency(a, b, results);

    const reloadStart = Date.now();
    await b.reload();
    await waitFor(b, () => window.peddlenet !== undefined);
    await waitFor(b, linkOpen);
    results.reload.push((await openedMs(b)) - reloadStart);
  } finally {
    await a.context().close();
    await b.context().close();
  }
}

// Private room: A creates it (create() resolves with the invite URL, room key included), B joins
// through the invite. Returns false when this build has no create().
async function privateTrial(browser, server, trial, results) {
  const a = await openApp(browser, server.url);
  const b = await openApp(browser, server.url);
  try {
    if (!(await a.evaluate(() => typeof window.peddlenet.create === 'function'))) return false;
    await a.evaluate(() => window.peddlenet.setName('Host'));
    await b.evaluate(() => window.peddlenet.setName('Guest'));
    const created = await a.evaluate((n) => window.peddlenet.create(n), `bench-private-${trial}`);
    const invite = typeof created === 'string' ? created : (created && (created.invite || created.url));
    if (!invite) throw new Error(`create() resolved with ${JSON.stringify(created)}, not an invite URL`);
    for (const p of [a, b]) await p.evaluate(() => navigator.serviceWorker.ready);
    await a.waitForTimeout(SETTLE_MS);
    const t0 = await b.evaluate((url) => {
      const t = performance.timeOrigin + performance.now();
      window.peddlenet.join(url);
      return t;
    }, invite);
    await waitFor(b, linkOpen);
    results.privateOpen.push((await openedMs(b)) - t0);
    return true;
  } finally {
    await a.context().close();
    await b.context().close();
  }
}

async function measureLatency(a, b, results) {
  await a.waitForTimeout(1500); // let the links settle and the pages go idle
  for (let sent = 0; sent < MESSAGES; sent += BATCH) {
    const n = Math.min(BATCH, MESSAGES - sent);
    const sends = await a.evaluate(async ([count, spacing, offset]) => {
      const out = {};
      for (let i = 0; i < count; ++i) {
        const t = performance.timeOrigin + performance.now();
        out[window.peddlenet.send(`latency probe ${offset + i}`)] = t;
        await new Promise((r) => setTimeout(r, spacing));
      }
      return out;
    }, [n, SPACING_MS, sent]);
    const ids = Object.keys(sends);
    await waitFor(b, (want) => {
      const have = new Set(window.peddlenet.state().messages.map((m) => m.id));
      return want.every((id) => have.has(id));
    }, ids, 30000, 250); // state() lists every message: polled often, it would delay the arrivals
    for (const m of (await state(b)).messages) {
      if (sends[m.id] !== undefined && m.arrivedMs > 0) results.latency.push(m.arrivedMs - sends[m.id]);
    }
  }
}

// ---- plain JavaScript on the same browser: the floor ----------------------------------------

async function plainTrial(browser, server, trial, results) {
  const pages = [];
  try {
    for (let i = 0; i < 2; ++i) {
      const ctx = await browser.newContext();
      await ctx.grantPermissions(['camera'], { origin: new URL(server.url).origin });
      const p = await ctx.newPage();
      await p.goto(server.url + 'healthz'); // any page of the origin: a secure context with permission
      pages.push(p);
    }
    const [a, b] = pages;
    // Each side: a connection whose candidates and descriptions go out through window.outbox,
    // an Ed25519 identity (made before the clock starts, as the app's is) and the room's proof
    // key. Once the channel is open each side sends its link proof: HMAC-SHA-256 under the
    // proof key and an Ed25519 signature, both over the app's link proof payload (length-
    // prefixed fields: label, room, from, to, own and peer DTLS fingerprint); the receiver
    // imports the sender's public key and checks both. `proven` is when the peer's proof held.
    const setup = async (isOfferer) => {
      window.outbox = [];
      window.pc = new RTCPeerConnection();
      pc.onicecandidate = (e) => { if (e.candidate) outbox.push({ candidate: e.candidate.toJSON() }); };
      const subtle = crypto.subtle;
      window.identity = await subtle.generateKey({ name: 'Ed25519' }, false, ['sign', 'verify']);
      window.proofKey = await subtle.importKey('raw', new Uint8Array(32).fill(7), { name: 'HMAC', hash: 'SHA-256' },
                                               false, ['sign', 'verify']);
      const me = isOfferer ? 'A' : 'B', peer = isOfferer ? 'B' : 'A';
      const fingerprint = (d) => /a=fingerprint:\S+ (\S+)/.exec(d.sdp)[1].replace(/:/g, '').toLowerCase();
      const payload = (from, to, fromFp, toFp) => {
        let out = '';
        for (const f of ['peddlenet-link-v1', 'bench-room', from, to, fromFp, toFp]) out += `${f.length}:${f},`;
        return new TextEncoder().encode(out);
      };
      const b64 = (buf) => btoa(String.fromCharCode(...new Uint8Array(buf)));
      const unb64 = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
      let resolveOpen, resolveProven;
      window.opened = new Promise((r) => { resolveOpen = r; });
      window.proven = new Promise((r) => { resolveProven = r; });
      const bind = (ch) => {
        window.ch = ch;
        ch.onopen = async () => {
          resolveOpen(performance.timeOrigin + performance.now());
          const bytes = payload(me, peer, fingerprint(pc.localDescription), fingerprint(pc.remoteDescription));
          const [mac, sig] = await Promise.all([subtle.sign('HMAC', proofKey, bytes),
                                                subtle.sign('Ed25519', identity.privateKey, bytes)]);
          const pub = await subtle.exportKey('raw', identity.publicKey);
          ch.send(JSON.stringify({ type: 'auth', key: b64(pub), mac: b64(mac), sig: b64(sig) }));
        };
        ch.onmessage = async (e) => {
          const m = JSON.parse(e.data);
          if (m.type !== 'auth') return;
          const bytes = payload(peer, me, fingerprint(pc.remoteDescription), fingerprint(pc.localDescription));
          const key = await subtle.importKey('raw', unb64(m.key), { name: 'Ed25519' }, false, ['verify']);
          const [macOk, sigOk] = await Promise.all([subtle.verify('HMAC', proofKey, unb64(m.mac), bytes),
                                                    subtle.verify('Ed25519', key, unb64(m.sig), bytes)]);
          if (macOk && sigOk) resolveProven(performance.timeOrigin + performance.now());
        };
      };
      if (isOfferer) bind(pc.createDataChannel('chat')); else pc.ondatachannel = (e) => bind(e.channel);
    };
    await a.evaluate(setup, true);
    await b.evaluate(setup, false);
    const t0 = await a.evaluate(async () => {
      const t = performance.timeOrigin + performance.now();
      await pc.setLocalDescription();
      outbox.push({ description: pc.localDescription.toJSON() });
      return t;
    });
    const deliver = async (from, to) => {
      const items = await from.evaluate(() => outbox.splice(0));
      for (const item of items) {
        await to.evaluate(async (it) => {
          if (it.description) {
            await pc.setRemoteDescription(it.description);
            if (it.description.type === 'offer') {
              await pc.setLocalDescription();
              outbox.push({ description: pc.localDescription.toJSON() });
            }
          } else {
            await pc.addIceCandidate(it.candidate);
          }
        }, item);
      }
    };
    const openedAt = b.evaluate(() => opened);
    for (let i = 0; i < 200; ++i) {
      await deliver(a, b);
      await deliver(b, a);
      const done = await b.evaluate(() => window.ch && window.ch.readyState === 'open');
      if (done) break;
    }
    results.open.push((await openedAt) - t0);
    results.proven.push((await b.evaluate(() => proven)) - t0);

    if (trial === 0) {
      await a.evaluate(() => new Promise((r) => { if (ch.readyState === 'open') r(); else ch.onopen = r; }));
      await plainLatency(a, b, results.latency);
      // The same with both pages drawing a WebGL canvas at the display rate, as a UI that
      // redraws continuously would: what frames alone cost arriving messages in this browser.
      for (const p of pages) {
        await p.evaluate(() => {
          const canvas = document.body.appendChild(document.createElement('canvas'));
          canvas.width = 390;
          canvas.height = 844;
          const gl = canvas.getContext('webgl2');
          let n = 0;
          const draw = () => {
            gl.clearColor((n++ % 10) / 10, 0.2, 0.3, 1);
            gl.clear(gl.COLOR_BUFFER_BIT);
            requestAnimationFrame(draw);
          };
          requestAnimationFrame(draw);
        });
      }
      await plainLatency(a, b, results.latencyDrawing);
    }
  } finally {
    for (const p of pages) await p.context().close();
  }
}

// One-way latency of MESSAGES plain data channel messages from page a to page b.
async function plainLatency(a, b, into) {
  await b.evaluate(() => {
    window.arrivals = {};
    ch.onmessage = (e) => { arrivals[e.data] = performance.timeOrigin + performance.now(); };
  });
  const sends = await a.evaluate(async ([count, spacing]) => {
    const out = {};
    for (let i = 0; i < count; ++i) {
      out[`m${i}`] = performance.timeOrigin + performance.now();
      ch.send(`m${i}`);
      await new Promise((r) => setTimeout(r, spacing));
    }
    return out;
  }, [MESSAGES, SPACING_MS]);
  await b.waitForFunction((n) => Object.keys(window.arrivals).length >= n, MESSAGES, { timeout: 30000 });
  const arrivals = await b.evaluate(() => window.arrivals);
  for (const [k, t] of Object.entries(sends)) into.push(arrivals[k] - t);
}

// Before trust (docs/BENCHMARKS.md, "Peer to peer", commit 42d1c1e, 20 trials, load 1.9): the
// app's join -> channel open and plain JavaScript's offer -> open, p50 / p90 ms.
const PRE_TRUST = { app: [250, 293], plain: [71, 104], commit: '42d1c1e' };

async function main() {
  const loadStart = require('node:os').loadavg();
  const server = await startServer();
  const browser = await launchBrowser();
  const app = { open: [], latency: [], reload: [], privateOpen: [] };
  const plain = { open: [], proven: [], latency: [], latencyDrawing: [] };
  let hasCreate = true;
  try {
    for (let t = 0; t < TRIALS; ++t) {
      await plainTrial(browser, server, t, plain);
      await appTrial(browser, server, t, app);
      if (hasCreate) hasCreate = await privateTrial(browser, server, t, app);
      process.stderr.write(`trial ${t + 1}/${TRIALS}: app open ${ms(app.open.at(-1))} ms, ` +
                           `private ${hasCreate ? ms(app.privateOpen.at(-1)) : '-'} ms, ` +
                           `reload ${ms(app.reload.at(-1))} ms, plain open ${ms(plain.open.at(-1))} ms, ` +
                           `plain proved ${ms(plain.proven.at(-1))} ms\n`);
    }
  } finally {
    await browser.close();
    await server.stop();
  }
  const loadEnd = require('node:os').loadavg();
  const p5090 = (xs) => (xs.length ? `${ms(quantile(xs, 0.5))} / ${ms(quantile(xs, 0.9))}` : '-');
  const p99 = (xs) => `${ms(quantile(xs, 0.5))} / ${ms(quantile(xs, 0.99))} / ${ms(Math.max(...xs))}`;
  const ratio = (x, y) => (x.length && y.length ? `${(quantile(x, 0.5) / quantile(y, 0.5)).toFixed(2)}x` : '-');
  const row = (...cells) => console.log(`| ${cells.join(' | ')} |`);
  const load = (l) => l.map((x) => x.toFixed(2)).join(' ');
  console.log(`\nPeer to peer on 127.0.0.1, headless Chromium, ${TRIALS} trials, ${MESSAGES} messages ` +
              `(every ${SPACING_MS} ms); load average ${load(loadStart)} at the start, ${load(loadEnd)} at the end\n`);
  console.log(`| figure | PeddleNet (C++/wasm app) | plain JavaScript | before trust (${PRE_TRUST.commit}: app / plain) | goal |`);
  console.log('| --- | --- | --- | --- | --- |');
  row('join -> first message deliverable (link proof done), open room, p50 / p90 (ms)', p5090(app.open),
      `${p5090(plain.proven)} (offer -> open -> proof verified)`,
      `app ${PRE_TRUST.app.join(' / ')}, plain ${PRE_TRUST.plain.join(' / ')} (channel open, no proof)`, '<= 40');
  row('join(invite) -> first message deliverable, private room, p50 / p90 (ms)',
      hasCreate ? p5090(app.privateOpen) : 'n/a (no create() in this build)', '-', '-', '-');
  row('plain offer -> channel open, no proof, p50 / p90 (ms)', '-', p5090(plain.open),
      `plain ${PRE_TRUST.plain.join(' / ')}`, '-');
  row('ratio app / plain, p50 (deliverable)', ratio(app.open, plain.proven), '-',
      `${(PRE_TRUST.app[0] / PRE_TRUST.plain[0]).toFixed(2)}x (open)`, '-');
  row('one-way latency p50 / p99 / max (ms)', p99(app.latency), p99(plain.latency), 'app 1.19 / 33 / 57, plain 0.63 / 2.3 / 9.1',
      '<= 1 / <= 5');
  row('one-way latency, both pages drawing a canvas at 60 Hz, p50 / p99 / max (ms)', '-', p99(plain.latencyDrawing),
      'plain 0.74 / 8.9 / 13', '-');
  row('reload -> reconnected (proved), p50 / p90 (ms)', p5090(app.reload), '-', 'app 553 / 656', '<= 1000');
  console.log(`\nsamples: app open ${app.open.length}, private ${app.privateOpen.length}, app latency ${app.latency.length}, ` +
              `reload ${app.reload.length}; plain open ${plain.open.length}, proved ${plain.proven.length}, ` +
              `plain latency ${plain.latency.length}`);
}

main().catch((e) => { console.error(e); process.exit(1); });
