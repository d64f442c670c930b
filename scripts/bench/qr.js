// qr.js: the QR figures of issue 5, measured in the real wasm app in Debian's headless Chromium
// against the real server. Prints figures; not a pass/fail test. Sections:
//   decode   ZXing-C++ decode time per 640x480 camera frame inside the app's scanner, p50/p99
//            over --frames frames, with a QR code in view and without one; the frame grab
//            (drawImage + getImageData + luminance), decode attempts per second, and the gaps
//            between animation frames while scanning (the UI never freezes) alongside
//   join     time from scan() to: code decoded, room joined (server confirmed), link to the
//            host open, over --runs runs (each a fresh page whose fake camera shows the invite)
//   encode   QR encode time of an invite URL in the app (qrcodegen, first draw of the invite
//            screen for each new room), over --encodes rooms
// The camera is Chromium's fake capture device reading a Y4M made from Debian's qrencode (the
// scanner decodes what it sees; the decoder is timed in C++ around qr::decode_luminance and
// read back through state().scanner). Entry point: scripts/bench/qr.sh (installs and builds what is
// missing, then runs this inside a loopback-only network namespace). Direct use:
//   node scripts/bench/qr.js [--frames 200] [--runs 10] [--encodes 50]
//   [--sections decode,join,encode] [--out FILE.json]
'use strict';
require('./require_tools')('qr', { modules: ['playwright-core'], commands: ['qrencode'], app: true });
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { ROOT, ARTIFACTS, startServer, launchBrowser, openApp, waitForState } = require('../../tests/e2e/harness');
const { qrFrame, sceneFrame, writeY4m } = require('../../tests/e2e/qr_media');

const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => {
  if (a.startsWith('--')) acc.push([a.slice(2), all[i + 1]]);
  return acc;
}, []));
const config = {
  frames: Number(args.frames || 200),
  runs: Number(args.runs || 10),
  encodes: Number(args.encodes || 50),
  sections: (args.sections || 'decode,join,encode').split(','),
  out: args.out || path.join(ROOT, 'build', 'bench', 'qr.json'),
};
const MEDIA = path.join(ARTIFACTS, 'qr-media');
// An invite as a LAN deployment prints it (the longest room name the generator makes).
const HOST = 'http://192.168.178.23:8443/';

const sorted = (xs) => [...xs].sort((a, b) => a - b);
const pct = (xs, p) => { const s = sorted(xs); return s[Math.min(s.length - 1, Math.floor(s.length * p))]; };
const ms = (x) => (x === undefined || x === null ? '-' : x.toFixed(2));
const results = { loadavgBefore: os.loadavg(), config };

async function withBrowser(args, fn) {
  const browser = await launchBrowser(args);
  try { return await fn(browser); } finally { await browser.close(); }
}

// [SECTION] decode ------------------------------------------------------------------------------
// Opens the scanner on a camera showing `y4m` and reads the scanner's own statistics once it
// has decoded `frames` frames. A code that is not an invite keeps the scanner scanning.
async function decodeRun(server, label, y4m) {
  return withBrowser([`--use-file-for-fake-video-capture=${y4m}`], async (browser) => {
    const page = await openApp(browser, server.url);
    await page.evaluate(() => { window.peddlenet.scan().catch(() => {}); });
    await waitForState(page, (s) => s.scanner.frames >= 1, 20000);
    const first = await page.evaluate(() => [performance.now(), window.peddlenet.state().scanner.frames]);
    const s = await waitForState(page, (st, n) => st.scanner.frames >= n, 120000, config.frames);
    const last = await page.evaluate(() => performance.now());
    // The UI while scanning: gaps between animation frames over 2 s (a frozen UI shows as a long gap).
    const gaps = await page.evaluate(() => new Promise((resolve) => {
      const times = [];
      const tick = (t) => { times.push(t); if (t - times[0] < 2000) requestAnimationFrame(tick); else resolve(times.slice(1).map((x, i) => x - times[i])); };
      requestAnimationFrame(tick);
    }));
    const sc = s.scanner;
    const row = {
      label, frames: sc.frames, found: sc.found, size: `${sc.frameWidth}x${sc.frameHeight}`,
      decodeP50: sc.decodeMs.p50, decodeP99: sc.decodeMs.p99, decodeMean: sc.decodeMs.mean,
      grabP50: sc.grabMs.p50, grabP99: sc.grabMs.p99,
      perSecond: (sc.frames - first[1]) / ((last - first[0]) / 1000),
      isolated: await page.evaluate(() => window.crossOriginIsolated),
      frameGapP50: pct(gaps, 0.5), frameGapMax: Math.max(...gaps),
    };
    console.log(`${label.padEnd(22)} ${String(row.frames).padStart(6)} ${String(row.found).padStart(6)}  ${row.size}` +
      `  ${ms(row.decodeP50).padStart(7)} ${ms(row.decodeP99).padStart(7)} ${ms(row.decodeMean).padStart(7)}` +
      `  ${ms(row.grabP50).padStart(7)} ${ms(row.grabP99).padStart(7)}  ${row.perSecond.toFixed(1).padStart(5)}` +
      `  ${row.frameGapP50.toFixed(1).padStart(6)} ${row.frameGapMax.toFixed(1).padStart(6)}`);
    return row;
  });
}

async function decode(server) {
  console.log(`\n## decode: ZXing-C++ in the wasm app, 640x480 frames from the fake camera, ${config.frames} frames`);
  console.log('frames shown             frames  found  size        p50 ms  p99 ms mean ms  grab50  grab99  per s' +
    '  UI frame gap p50/max ms');
  // Same length and QR version as an invite, but not one (#room= instead of #join=).
  const text = `${HOST}#room=amber-walrus-999`;
  const withCode = writeY4m(path.join(MEDIA, 'bench-code.y4m'), qrFrame(text));
  const without = writeY4m(path.join(MEDIA, 'bench-scene.y4m'), sceneFrame());
  results.decode = [await decodeRun(server, 'with a QR code', withCode), await decodeRun(server, 'without a code', without)];
  console.log(`(performance.now() resolution: ${results.decode[0].isolated ? '5 us, cross-origin isolated' : '100 us'})`);
}

// [SECTION] join --------------------------------------------------------------------------------
async function join(server) {
  console.log(`\n## join: scan() -> decoded -> joined -> link to the host open, ${config.runs} runs`);
  return withBrowser([], async (hostBrowser) => {
    const host = await openApp(hostBrowser, server.url);
    await host.evaluate(() => window.peddlenet.setName('Host'));
    await host.evaluate(() => window.peddlenet.join('bench-scan-room'));
    const invite = (await host.evaluate(() => window.peddlenet.state())).invite;
    const y4m = writeY4m(path.join(MEDIA, 'bench-invite.y4m'), qrFrame(invite));
    const rows = [];
    await withBrowser([`--use-file-for-fake-video-capture=${y4m}`], async (browser) => {
      for (let i = 0; i < config.runs; ++i) {
        const page = await openApp(browser, server.url);
        await page.evaluate((n) => window.peddlenet.setName(n), `Guest ${i}`);
        // Timed inside the page: no test-driver round trips in the figures.
        const t = await page.evaluate(async () => {
          const api = window.peddlenet;
          const until = (pred) => new Promise((resolve) => {
            const poll = () => (pred(api.state()) ? resolve(performance.now()) : setTimeout(poll, 2));
            poll();
          });
          const t0 = performance.now();
          await api.scan();
          const decoded = performance.now();
          const joined = await until((s) => s.joined && s.room === 'bench-scan-room');
          const open = await until((s) => s.peers.some((p) => p.name === 'Host' && p.link === 'open'));
          return { decoded: decoded - t0, joined: joined - t0, open: open - t0 };
        });
        rows.push(t);
        console.log(`run ${String(i + 1).padStart(2)}: decoded ${t.decoded.toFixed(0).padStart(5)} ms, joined ` +
          `${t.joined.toFixed(0).padStart(5)} ms, link open ${t.open.toFixed(0).padStart(5)} ms`);
        await page.context().close();
        await waitForState(host, (s) => s.peers.length === 0, 10000).catch(() => {});
      }
    });
    const col = (k) => rows.map((r) => r[k]);
    results.join = { runs: rows, p50: {}, max: {} };
    for (const k of ['decoded', 'joined', 'open']) {
      results.join.p50[k] = pct(col(k), 0.5);
      results.join.max[k] = Math.max(...col(k));
    }
    console.log(`median: decoded ${results.join.p50.decoded.toFixed(0)} ms, joined ${results.join.p50.joined.toFixed(0)} ms, ` +
      `link open ${results.join.p50.open.toFixed(0)} ms (max ${results.join.max.open.toFixed(0)} ms)`);
  });
}

// [SECTION] encode ------------------------------------------------------------------------------
async function encode(server) {
  console.log(`\n## encode: qrcodegen in the wasm app, one invite URL per room, ${config.encodes} rooms`);
  return withBrowser([], async (browser) => {
    const page = await openApp(browser, server.url);
    await page.evaluate(() => window.peddlenet.setName('Encoder'));
    const samples = [];
    for (let i = 0; i < config.encodes; ++i) {
      await page.evaluate((r) => window.peddlenet.join(r), `encode-room-${i}-${'x'.repeat(i % 40)}`);
      const before = (await page.evaluate(() => window.peddlenet.state())).frames;
      await page.evaluate(() => window.peddlenet.showInvite());
      // The invite screen encodes on its first frame for a new URL.
      const s = await waitForState(page, (st, f) => st.screen === 'invite' && st.frames > f + 1, 10000, before);
      samples.push(s.inviteEncodeMs);
    }
    results.encode = { count: samples.length, p50: pct(samples, 0.5), p99: pct(samples, 0.99), max: Math.max(...samples) };
    console.log(`encode: p50 ${ms(results.encode.p50)} ms, p99 ${ms(results.encode.p99)} ms, max ${ms(results.encode.max)} ms` +
      ' (performance.now() is clamped to 0.1 ms unless cross-origin isolated)');
  });
}

(async () => {
  const server = await startServer();
  try {
    if (config.sections.includes('decode')) await decode(server);
    if (config.sections.includes('join')) await join(server);
    if (config.sections.includes('encode')) await encode(server);
  } finally {
    await server.stop();
  }
  results.loadavgAfter = os.loadavg();
  console.log(`\nload average before ${results.loadavgBefore.map((x) => x.toFixed(1)).join(' ')}, ` +
    `after ${results.loadavgAfter.map((x) => x.toFixed(1)).join(' ')}`);
  fs.mkdirSync(path.dirname(config.out), { recursive: true });
  fs.writeFileSync(config.out, JSON.stringify(results, null, 2));
  console.log(`wrote ${config.out}`);
})().catch((e) => { console.error(e); process.exit(1); });
