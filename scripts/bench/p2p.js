#!/usr/bin/env node
// p2p.js: peer-to-peer figures of the real app in headless Chromium on 127.0.0.1, side by side
// with the browser's own WebRTC driven by plain JavaScript (the floor anything built on top can
// reach). Prints a table; it is a measurement, not a pass/fail test.
//
//   unshare -n bash -c 'ip link set lo up && node scripts/bench/p2p.js [--trials 20] [--messages 1000]'
//
// Figures (medians over trials unless said otherwise):
//   join -> open:   page B calls join(room) where A waits (both pages settled: service worker
//                   installed, A's join 0.5 s old); until B's data channel to A is open
//   one-way latency: A calls send(); the message enters B's log (performance.now() epoch clocks,
//                   5 us resolution thanks to the server's COOP/COEP); p50/p99 over all messages.
//                   Plain JavaScript twice: bare, and with both pages drawing a WebGL canvas at
//                   60 Hz (what continuous frames alone cost arriving messages in this browser)
//   reload -> back: B reloads; until B's link to A is open again, with its history restored
// Run inside a loopback-only network namespace (see shared notes): otherwise Chromium also uses
// the machine's real interfaces.
'use strict';
const path = require('node:path');
const { startServer, launchBrowser, openApp, state } = require(path.join(__dirname, '../../tests/e2e/harness'));

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

function quantile(values, q) {
  const v = [...values].sort((a, b) => a - b);
  if (!v.length) return NaN;
  const pos = (v.length - 1) * q, lo = Math.floor(pos), hi = Math.ceil(pos);
  return v[lo] + (v[hi] - v[lo]) * (pos - lo);
}
const ms = (x) => (Number.isFinite(x) ? x.toFixed(x < 10 ? 2 : 0) : 'n/a');

async function waitFor(page, fn, arg, timeout = 20000, polling = 5) {
  await page.waitForFunction(fn, arg, { timeout, polling });
}

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
    await waitFor(b, () => { const s = window.peddlenet.state(); return s.peers.length === 1 && s.peers[0].openedMs > 0; });
    results.open.push((await state(b)).peers[0].openedMs - t0);
    await waitFor(a, () => { const s = window.peddlenet.state(); return s.peers.length === 1 && s.peers[0].openedMs > 0; });

    if (trial === 0) await measureLatency(a, b, results);

    const reloadStart = Date.now();
    await b.reload();
    await waitFor(b, () => window.peddlenet !== undefined);
    await waitFor(b, () => { const s = window.peddlenet.state(); return s.peers.length === 1 && s.peers[0].openedMs > 0; });
    results.reload.push((await state(b)).peers[0].openedMs - reloadStart);
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
    // Each side: a connection whose candidates and descriptions go out through window.outbox.
    const setup = (isOfferer) => {
      window.outbox = [];
      window.pc = new RTCPeerConnection();
      pc.onicecandidate = (e) => { if (e.candidate) outbox.push({ candidate: e.candidate.toJSON() }); };
      window.opened = new Promise((resolve) => {
        const bind = (ch) => { window.ch = ch; ch.onopen = () => resolve(performance.timeOrigin + performance.now()); };
        if (isOfferer) bind(pc.createDataChannel('chat')); else pc.ondatachannel = (e) => bind(e.channel);
      });
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

async function main() {
  const server = await startServer();
  const browser = await launchBrowser();
  const app = { open: [], latency: [], reload: [] };
  const plain = { open: [], latency: [], latencyDrawing: [] };
  try {
    for (let t = 0; t < TRIALS; ++t) {
      await plainTrial(browser, server, t, plain);
      await appTrial(browser, server, t, app);
      process.stderr.write(`trial ${t + 1}/${TRIALS}: app open ${ms(app.open.at(-1))} ms, ` +
                           `reload ${ms(app.reload.at(-1))} ms, plain open ${ms(plain.open.at(-1))} ms\n`);
    }
  } finally {
    await browser.close();
    await server.stop();
  }
  const row = (what, a, p, goal) => console.log(`| ${what} | ${a} | ${p} | ${goal} |`);
  console.log(`\nPeer to peer on 127.0.0.1, headless Chromium, ${TRIALS} trials, ${MESSAGES} messages ` +
              `(every ${SPACING_MS} ms); load average ${require('node:os').loadavg().map((x) => x.toFixed(2)).join(' ')}\n`);
  console.log('| figure | PeddleNet (C++/wasm app) | plain JavaScript | goal |');
  console.log('| --- | --- | --- | --- |');
  row('join -> channel open, p50 / p90 (ms)', `${ms(quantile(app.open, 0.5))} / ${ms(quantile(app.open, 0.9))}`,
      `${ms(quantile(plain.open, 0.5))} / ${ms(quantile(plain.open, 0.9))} (offer -> open)`, '<= 40');
  row('one-way latency p50 / p99 / max (ms)',
      `${ms(quantile(app.latency, 0.5))} / ${ms(quantile(app.latency, 0.99))} / ${ms(Math.max(...app.latency))}`,
      `${ms(quantile(plain.latency, 0.5))} / ${ms(quantile(plain.latency, 0.99))} / ${ms(Math.max(...plain.latency))}`,
      '<= 1 / <= 5');
  row('one-way latency, both pages drawing a canvas at 60 Hz, p50 / p99 / max (ms)', '-',
      `${ms(quantile(plain.latencyDrawing, 0.5))} / ${ms(quantile(plain.latencyDrawing, 0.99))} / ` +
      `${ms(Math.max(...plain.latencyDrawing))}`, '-');
  row('reload -> reconnected, p50 / p90 (ms)', `${ms(quantile(app.reload, 0.5))} / ${ms(quantile(app.reload, 0.9))}`,
      '-', '<= 1000');
  console.log(`\nsamples: app open ${app.open.length}, app latency ${app.latency.length}, reload ${app.reload.length}; ` +
              `plain open ${plain.open.length}, plain latency ${plain.latency.length}`);
}

main().catch((e) => { console.error(e); process.exit(1); });
