#!/usr/bin/env node
// crypto.js: the trust layer's per-message cost (issue 10) in the real wasm app in headless
// Chromium on 127.0.0.1, beside plain-JavaScript Web Crypto in the same browser. Prints tables;
// it is a measurement, not a pass/fail test.
//
//   scripts/bench/crypto.sh [--count 500] [--rounds 3] [--messages 500]   (installs and builds what is missing)
//   unshare -n bash -c 'ip link set lo up && node scripts/bench/crypto.js [--count 500] [--rounds 3] [--messages 500]'
//
// Sections:
//   ops     Ed25519 sign and verify of a typical chat message's signing payload, one at a time
//           (call to completion, awaited before the next), p50/p99 per operation, and a burst of
//           --count verifies issued at once (wall time -> verifies per second). The app through
//           peddlenet.measureCrypto(count): its real path C++ -> web/crypto.js -> Web Crypto ->
//           back into C++ (src/app/crypto_bench.cpp; --rounds calls, samples pooled). Plain
//           JavaScript: crypto.subtle with a fresh Ed25519 key on the same payload bytes (the
//           app's message_signing_payload, rebuilt here), in a page of its own and inside the
//           idle app page (the same main thread the app's frames use).
//   stream  page A sends --messages messages as fast as send() takes them (within the history
//           bound); on page B the time from the first to the last arrival (state().messages[i]
//           .arrivedMs: received, signature verified, stored) -> messages per second, and from
//           A's first send() to B's last arrival. Plain JavaScript over one RTCDataChannel: each
//           message signed on A (all signs issued at once, each sent when ready) and verified on
//           B on arrival; and the same without any crypto.
// Run inside a loopback-only network namespace (crypto.sh does when root).
'use strict';
require('./require_tools')('crypto', { modules: ['playwright-core'], app: true });
const os = require('node:os');
const path = require('node:path');
const { startServer, launchBrowser, openApp, state } = require(path.join(__dirname, '../../tests/e2e/harness'));
const { quantile } = require(path.join(__dirname, '../../tests/e2e/page_mesh'));

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const COUNT = Number(option('count', 500));
const ROUNDS = Number(option('rounds', 3));
const MESSAGES = Number(option('messages', 500));
const SECTIONS = option('sections', 'ops,stream').split(',');

const ms = (x) => (Number.isFinite(x) ? x.toFixed(x < 1 ? 3 : x < 10 ? 2 : 0) : 'n/a');
const median = (xs) => quantile(xs, 0.5);
const load = () => os.loadavg().map((x) => x.toFixed(2)).join(' ');

// ---- ops: plain JavaScript, run in a page -----------------------------------------------------

// The same work as src/app/crypto_bench.cpp, with crypto.subtle directly. Runs in the page.
async function plainOps(count) {
  const subtle = crypto.subtle;
  const keys = await subtle.generateKey({ name: 'Ed25519' }, false, ['sign', 'verify']);
  const raw = new Uint8Array(await subtle.exportKey('raw', keys.publicKey));
  const selfId = btoa(String.fromCharCode(...raw)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  // core/trust.cpp message_signing_payload of crypto_bench.cpp's typical message.
  const payload = (i) => {
    const fields = ['peddlenet-msg-v1', 'fzB8mQvP0b6tQd3kKc1sXw7iYw2hA5eR9uN4oL3jZ1E', `m${1000000 + i}abcdefgh`,
                    selfId, 'Sam', String(1796000000000 + i), String(i + 1),
                    `Meet at the big tree left of the main stage after this set? #${i}`];
    const enc = new TextEncoder();
    let out = '';
    for (const f of fields) out += `${enc.encode(f).length}:${f},`;
    return enc.encode(out);
  };
  const payloads = Array.from({ length: count }, (_, i) => payload(i));
  const signMs = [], verifyMs = [], signatures = [];
  let failures = 0;
  for (const p of payloads) {
    const t = performance.now();
    signatures.push(await subtle.sign('Ed25519', keys.privateKey, p));
    signMs.push(performance.now() - t);
  }
  for (let i = 0; i < count; ++i) {
    const t = performance.now();
    if (!(await subtle.verify('Ed25519', keys.publicKey, signatures[i], payloads[i]))) ++failures;
    verifyMs.push(performance.now() - t);
  }
  const t = performance.now();
  const results = await Promise.all(payloads.map((p, i) => subtle.verify('Ed25519', keys.publicKey, signatures[i], p)));
  const burstVerifyMs = performance.now() - t;
  failures += results.filter((ok) => !ok).length;
  return { signMs, verifyMs, burstVerifyMs, burstCount: count, failures, payloadBytes: payloads[0].length };
}

function pool(runs) {
  return {
    sign: runs.flatMap((r) => r.signMs),
    verify: runs.flatMap((r) => r.verifyMs),
    burstRates: runs.map((r) => r.burstCount / (r.burstVerifyMs / 1000)),
    burstMs: runs.map((r) => r.burstVerifyMs),
    failures: runs.reduce((n, r) => n + (r.failures || 0), 0),
    payloadBytes: runs[0] && runs[0].payloadBytes,
  };
}

async function plainPage(browser, server) {
  const ctx = await browser.newContext();
  await ctx.grantPermissions(['camera'], { origin: new URL(server.url).origin });
  const p = await ctx.newPage();
  await p.goto(server.url + 'healthz'); // any page of the origin: a secure context with permission
  return p;
}

async function opsSection(browser, server) {
  const app = await openApp(browser, server.url);
  const plain = await plainPage(browser, server);
  const runs = { app: [], plain: [], inApp: [] };
  try {
    const hasMeasure = await app.evaluate(() => typeof window.peddlenet.measureCrypto === 'function');
    if (!hasMeasure) console.log('\nops: this build has no peddlenet.measureCrypto(); plain JavaScript only');
    // The identity key loads from IndexedDB (or is made) at start; sign() fails until then.
    await app.waitForFunction(() => !!window.peddlenet.state().peerId, null, { timeout: 20000 });
    await app.waitForTimeout(1000); // the first frames and the service worker's install settle
    for (let r = 0; r < ROUNDS; ++r) {
      // Interleaved so that load changes during the run touch every column alike.
      if (hasMeasure) runs.app.push(await app.evaluate((n) => window.peddlenet.measureCrypto(n), COUNT));
      runs.plain.push(await plain.evaluate(plainOps, COUNT));
      runs.inApp.push(await app.evaluate(plainOps, COUNT));
      process.stderr.write(`ops round ${r + 1}/${ROUNDS}: app burst ${ms(runs.app.at(-1)?.burstVerifyMs)} ms, ` +
                           `plain burst ${ms(runs.plain.at(-1).burstVerifyMs)} ms (${COUNT} verifies)\n`);
    }
  } finally {
    await app.context().close();
    await plain.context().close();
  }
  const a = pool(runs.app), p = pool(runs.plain), q = pool(runs.inApp);
  const pq = (xs) => (xs.length ? `${ms(quantile(xs, 0.5))} / ${ms(quantile(xs, 0.99))}` : '-');
  const ratio = (x, y) => (x.length && y.length ? `${(median(x) / median(y)).toFixed(2)}x` : '-');
  const rate = (xs) => (xs.length ? `${Math.round(median(xs))}` : '-');
  const row = (...cells) => console.log(`| ${cells.join(' | ')} |`);
  console.log(`\nEd25519 per message, headless Chromium, ${ROUNDS} rounds of ${COUNT} (samples pooled; burst: median ` +
              `of rounds); payload ${p.payloadBytes} bytes; load average ${load()}\n`);
  console.log('| figure | PeddleNet (C++ -> web/crypto.js -> Web Crypto) | plain JS, own page | plain JS, in the app page | ratio app / plain (own page), p50 |');
  console.log('| --- | --- | --- | --- | --- |');
  row('sign, one at a time, p50 / p99 (ms)', pq(a.sign), pq(p.sign), pq(q.sign), ratio(a.sign, p.sign));
  row('verify, one at a time, p50 / p99 (ms)', pq(a.verify), pq(p.verify), pq(q.verify), ratio(a.verify, p.verify));
  row(`burst: ${COUNT} verifies issued at once, wall time (ms)`, a.burstMs.length ? ms(median(a.burstMs)) : '-',
      ms(median(p.burstMs)), ms(median(q.burstMs)), ratio(a.burstMs, p.burstMs));
  row('verifies per second (burst)', rate(a.burstRates), rate(p.burstRates), rate(q.burstRates),
      a.burstRates.length ? `${(median(a.burstRates) / median(p.burstRates)).toFixed(2)}x (app / plain)` : '-');
  row('failed operations', String(a.failures), String(p.failures), String(q.failures), '-');
}

// ---- stream: messages received and verified per second ---------------------------------------

const linkOpen = () => (window.peddlenet.state().peers || []).some((p) => p.link === 'open' && p.openedMs > 0);

async function appStream(browser, server) {
  const a = await openApp(browser, server.url);
  const b = await openApp(browser, server.url);
  try {
    const room = `bench-stream-${Date.now()}`;
    await a.evaluate(() => window.peddlenet.setName('Host'));
    await b.evaluate(() => window.peddlenet.setName('Guest'));
    await a.evaluate((r) => window.peddlenet.join(r), room);
    await b.evaluate((r) => window.peddlenet.join(r), room);
    await a.waitForFunction(linkOpen, null, { timeout: 20000, polling: 20 });
    await b.waitForFunction(linkOpen, null, { timeout: 20000, polling: 20 });
    await a.waitForTimeout(1500); // the links settle and the pages go idle
    const sends = await a.evaluate((count) => {
      const out = { first: performance.timeOrigin + performance.now(), ids: [] };
      for (let i = 0; i < count; ++i) out.ids.push(window.peddlenet.send(`stream message ${i}: meet at the big tree?`));
      out.last = performance.timeOrigin + performance.now();
      return out;
    }, MESSAGES);
    // state() lists every message: polled often it would slow the arrivals it measures.
    await b.waitForFunction((want) => {
      const have = new Set(window.peddlenet.state().messages.map((m) => m.id));
      return want.every((id) => have.has(id));
    }, sends.ids, { timeout: 120000, polling: 250 });
    const want = new Set(sends.ids);
    const arrivals = (await state(b)).messages.filter((m) => want.has(m.id)).map((m) => m.arrivedMs).sort((x, y) => x - y);
    return { count: arrivals.length, first: arrivals[0], last: arrivals.at(-1), sendFirst: sends.first,
             sendCallsMs: sends.last - sends.first };
  } finally {
    await a.context().close();
    await b.context().close();
  }
}

// Two plain pages joined by one data channel (descriptions and candidates carried by this script).
async function plainPair(browser, server) {
  const pages = [await plainPage(browser, server), await plainPage(browser, server)];
  const [a, b] = pages;
  const setup = (isOfferer) => {
    window.outbox = [];
    window.pc = new RTCPeerConnection();
    pc.onicecandidate = (e) => { if (e.candidate) outbox.push({ candidate: e.candidate.toJSON() }); };
    window.opened = new Promise((resolve) => {
      const bind = (ch) => { window.ch = ch; if (ch.readyState === 'open') resolve(); else ch.onopen = () => resolve(); };
      if (isOfferer) bind(pc.createDataChannel('chat')); else pc.ondatachannel = (e) => bind(e.channel);
    });
  };
  await a.evaluate(setup, true);
  await b.evaluate(setup, false);
  await a.evaluate(async () => {
    await pc.setLocalDescription();
    outbox.push({ description: pc.localDescription.toJSON() });
  });
  const deliver = async (from, to) => {
    for (const item of await from.evaluate(() => outbox.splice(0))) {
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
  for (let i = 0; i < 200; ++i) {
    await deliver(a, b);
    await deliver(b, a);
    if (await b.evaluate(() => window.ch && window.ch.readyState === 'open')) break;
  }
  await a.evaluate(() => opened);
  await b.evaluate(() => opened);
  return pages;
}

async function plainStream(browser, server, signed) {
  const pages = await plainPair(browser, server);
  const [a, b] = pages;
  try {
    // A's key is made before the clock starts and its public half handed to B (the app's peer
    // ids are the public keys, known from signaling before any message).
    const pub = await a.evaluate(async () => {
      window.keys = await crypto.subtle.generateKey({ name: 'Ed25519' }, false, ['sign', 'verify']);
      return Array.from(new Uint8Array(await crypto.subtle.exportKey('raw', keys.publicKey)));
    });
    await b.evaluate(async ([raw, count, isSigned]) => {
      window.peerKey = await crypto.subtle.importKey('raw', new Uint8Array(raw), { name: 'Ed25519' }, false, ['verify']);
      window.arrivals = [];
      window.failures = 0;
      const unb64 = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
      const enc = new TextEncoder();
      ch.onmessage = async (e) => {
        const m = JSON.parse(e.data);
        if (isSigned && !(await crypto.subtle.verify('Ed25519', peerKey, unb64(m.sig), enc.encode(m.payload)))) {
          ++failures;
          return;
        }
        arrivals.push(performance.timeOrigin + performance.now());
      };
    }, [pub, MESSAGES, signed]);
    await a.waitForTimeout(500);
    const sends = await a.evaluate(async ([count, isSigned]) => {
      const first = performance.timeOrigin + performance.now();
      const enc = new TextEncoder();
      const b64 = (buf) => btoa(String.fromCharCode(...new Uint8Array(buf)));
      const all = [];
      for (let i = 0; i < count; ++i) {
        const payload = `16:peddlenet-msg-v1,43:fzB8mQvP0b6tQd3kKc1sXw7iYw2hA5eR9uN4oL3jZ1E,16:m${1000000 + i}abcdefgh,` +
                        `3:Sam,13:${1796000000000 + i},stream message ${i}: meet at the big tree?`;
        if (!isSigned) { ch.send(JSON.stringify({ payload })); continue; }
        all.push(crypto.subtle.sign('Ed25519', keys.privateKey, enc.encode(payload))
          .then((sig) => ch.send(JSON.stringify({ payload, sig: b64(sig) }))));
      }
      const last = performance.timeOrigin + performance.now();
      await Promise.all(all);
      return { first, last };
    }, [MESSAGES, signed]);
    await b.waitForFunction((n) => window.arrivals.length + window.failures >= n, MESSAGES, { timeout: 60000, polling: 50 });
    const { arrivals, failures } = await b.evaluate(() => ({ arrivals: window.arrivals, failures: window.failures }));
    return { count: arrivals.length, first: arrivals[0], last: arrivals.at(-1), sendFirst: sends.first,
             sendCallsMs: sends.last - sends.first, failures };
  } finally {
    for (const p of pages) await p.context().close();
  }
}

async function streamSection(browser, server) {
  const runs = { app: [], signed: [], bare: [] };
  for (let r = 0; r < ROUNDS; ++r) {
    runs.signed.push(await plainStream(browser, server, true));
    runs.bare.push(await plainStream(browser, server, false));
    runs.app.push(await appStream(browser, server));
    const x = runs.app.at(-1);
    process.stderr.write(`stream round ${r + 1}/${ROUNDS}: app ${x.count} messages, first -> last arrival ` +
                         `${ms(x.last - x.first)} ms\n`);
  }
  const spread = (r) => (r.count - 1) / ((r.last - r.first) / 1000);
  const whole = (r) => r.count / ((r.last - r.sendFirst) / 1000);
  const cell = (rs, f, digits = 0) => `${median(rs.map(f)).toFixed(digits)}`;
  const row = (...cells) => console.log(`| ${cells.join(' | ')} |`);
  console.log(`\nStream: ${MESSAGES} messages sent at once from page A, received on page B, ${ROUNDS} rounds ` +
              `(medians); load average ${load()}\n`);
  console.log('| figure | PeddleNet (signed, verified before storing) | plain JS, Ed25519 sign + verify | plain JS, no crypto |');
  console.log('| --- | --- | --- | --- |');
  row('messages per second on B, first -> last arrival', cell(runs.app, spread), cell(runs.signed, spread), cell(runs.bare, spread));
  row('messages per second, A\'s first send -> B\'s last arrival', cell(runs.app, whole), cell(runs.signed, whole),
      cell(runs.bare, whole));
  row('first -> last arrival on B (ms)', cell(runs.app, (r) => r.last - r.first), cell(runs.signed, (r) => r.last - r.first),
      cell(runs.bare, (r) => r.last - r.first));
  row('A\'s first send -> B\'s last arrival (ms)', cell(runs.app, (r) => r.last - r.sendFirst),
      cell(runs.signed, (r) => r.last - r.sendFirst), cell(runs.bare, (r) => r.last - r.sendFirst));
  row(`time in A's ${MESSAGES} send() calls (ms)`, cell(runs.app, (r) => r.sendCallsMs, 1),
      cell(runs.signed, (r) => r.sendCallsMs, 1), cell(runs.bare, (r) => r.sendCallsMs, 1));
  row('messages received (of sent), per round', runs.app.map((r) => r.count).join(', '),
      runs.signed.map((r) => r.count).join(', '), runs.bare.map((r) => r.count).join(', '));
}

async function main() {
  console.log(`load average at the start ${load()}`);
  const server = await startServer();
  const browser = await launchBrowser();
  try {
    if (SECTIONS.includes('ops')) await opsSection(browser, server);
    if (SECTIONS.includes('stream')) await streamSection(browser, server);
  } finally {
    await browser.close();
    await server.stop();
  }
  console.log(`\nload average at the end ${load()}`);
}

main().catch((e) => { console.error(e); process.exit(1); });
