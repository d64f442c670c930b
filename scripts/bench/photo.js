// photo.js: the photo figures of issue 14, in the real wasm app in Debian's headless Chromium
// over real WebRTC data channels on 127.0.0.1. Each run: a new room of 1 + R pages; page A is
// given a 4000x3000 camera JPEG with EXIF (tests/e2e/photo_files.js) in its file input, and the
// run ends when every other page has drawn the photo's thumbnail. Prints, median and range over
// the runs, beside the load average:
//   - pick -> shown: the file handed to the app on A (C++ got its head) to the last recipient's
//     thumbnail decoded, split into prepare (decode, turn, scale, encode in A's worker, hash),
//     message (A composes -> B stores it) and bytes (B stores the message -> B shows the photo);
//   - bytes on the wire per recipient: loopback's transmitted bytes during the run (UDP, DTLS,
//     SCTP and every other frame of the room included) over R, beside the photo's own size;
//   - main-thread time: Chromium's TaskDuration (CDP Performance.getMetrics) on A and on a
//     recipient during the run, beside the worker's time.
// Not a pass/fail test. No reference system: the issue asks for these figures.
// Entry point: scripts/bench/photo.sh. Direct use: node scripts/bench/photo.js [--runs 5] [--recipients 2]
'use strict';
require('./require_tools')('photo', { modules: ['playwright-core'], commands: [], app: true });
const fs = require('node:fs');
const os = require('node:os');
const { startServer, launchBrowser, openRoom, closePages, waitForState } = require('../../tests/e2e/harness');
const { cameraJpeg, withExif } = require('../../tests/e2e/photo_files');

const argv = process.argv.slice(2);
const option = (name, fallback) => (argv.includes(name) ? Number(argv[argv.indexOf(name) + 1]) || fallback : fallback);
const runs = option('--runs', 5);
const recipients = option('--recipients', 2);
const load = () => fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
// Loopback's transmitted bytes in this network namespace (/proc is per namespace, /sys is not).
const loBytes = () => {
  const line = fs.readFileSync('/proc/net/dev', 'utf8').split('\n').find((l) => l.trim().startsWith('lo:'));
  return Number(line.split(':')[1].trim().split(/\s+/)[8]);
};
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor((s.length - 1) / 2)]; };
const range = (xs) => `${median(xs).toFixed(0)} (${Math.min(...xs).toFixed(0)}-${Math.max(...xs).toFixed(0)})`;

// Main-thread milliseconds so far: all tasks, and script (JS and wasm) alone.
async function mainThread(cdp) {
  const { metrics } = await cdp.send('Performance.getMetrics');
  const ms = (name) => 1000 * metrics.find((m) => m.name === name).value;
  return { task: ms('TaskDuration'), script: ms('ScriptDuration') };
}

(async () => {
  console.log(`photo: 4000x3000 JPEG to ${recipients} recipients, ${runs} runs; load average ${load()}; ` +
              `${os.cpus().length} cores`);
  const server = await startServer();
  const browser = await launchBrowser();
  const rows = [];
  let jpegBytes = 0;
  try {
    for (let run = 0; run < runs; ++run) {
      const pages = await openRoom(browser, server, 1 + recipients, { prefix: `photo-bench-${run}` });
      try {
        for (const p of pages) {
          await waitForState(p, (s, n) => s.peers.length === n && s.peers.every((x) => x.link === 'open'), 30000, recipients);
        }
        const [a, b] = pages;
        const file = withExif(await cameraJpeg(a, 4000, 3000));
        jpegBytes = file.length;
        const cdps = [await a.context().newCDPSession(a), await b.context().newCDPSession(b)];
        for (const c of cdps) await c.send('Performance.enable');
        const before = await Promise.all(cdps.map(mainThread));
        const wire0 = loBytes();
        await a.setInputFiles('#photo-pick', { name: 'IMG_4000x3000.jpg', mimeType: 'image/jpeg', buffer: file });
        const sent = (await waitForState(a, (s) => s.photos.lastSent.hash !== '', 60000)).photos.lastSent;
        const shown = [];
        for (const p of pages.slice(1)) {
          const s = await waitForState(p, (x, h) => x.messages.some((m) => m.photo?.hash === h && m.photo.shownAt > 0),
                                       60000, sent.hash);
          const m = s.messages.find((x) => x.photo?.hash === sent.hash);
          shown.push({ arrived: m.arrivedMs, shown: m.photo.shownAt });
        }
        const wire = loBytes() - wire0;
        const after = await Promise.all(cdps.map(mainThread));
        const last = shown.reduce((x, y) => (y.shown > x.shown ? y : x));
        rows.push({
          total: last.shown - sent.pickedAt,
          prepare: sent.sentAt - sent.pickedAt,
          message: shown[0].arrived - sent.sentAt,
          bytes: shown[0].shown - shown[0].arrived,
          worker: sent.workerMs,
          photo: sent.bytes,
          size: `${sent.width}x${sent.height} ${sent.type}`,
          wirePerRecipient: wire / recipients,
          mainA: after[0].task - before[0].task,
          mainB: after[1].task - before[1].task,
          scriptA: after[0].script - before[0].script,
          scriptB: after[1].script - before[1].script,
        });
        console.log(`  run ${run + 1}: pick -> shown ${rows.at(-1).total.toFixed(0)} ms, ` +
                    `${(rows.at(-1).wirePerRecipient / 1024).toFixed(0)} KiB on the wire per recipient, load ${load()}`);
      } finally {
        await closePages(pages);
      }
    }
  } finally {
    await browser.close();
    await server.stop();
  }
  const col = (k) => rows.map((r) => r[k]);
  console.log(`\nsource: ${(jpegBytes / 1024 / 1024).toFixed(2)} MB JPEG, 4000x3000, EXIF orientation 6 + GPS`);
  console.log(`sent: ${rows[0].size}, ${range(col('photo').map((x) => x / 1024))} KiB`);
  console.log(`pick -> shown on the last of ${recipients}: ${range(col('total'))} ms`);
  console.log(`  prepare on A (worker decode/turn/scale/encode + sha-256): ${range(col('prepare'))} ms ` +
              `(worker alone ${range(col('worker'))} ms)`);
  console.log(`  message A -> B: ${range(col('message'))} ms`);
  console.log(`  bytes to B and thumbnail decoded: ${range(col('bytes'))} ms`);
  console.log(`bytes on the wire per recipient: ${range(col('wirePerRecipient').map((x) => x / 1024))} KiB ` +
              `(photo ${range(col('photo').map((x) => x / 1024))} KiB; ratio ${median(rows.map((r) => r.wirePerRecipient / r.photo)).toFixed(2)})`);
  console.log(`main-thread time during the run, all tasks (TaskDuration, drawing in software GL included): ` +
              `sender ${range(col('mainA'))} ms, recipient ${range(col('mainB'))} ms`);
  console.log(`  of which script, JS and wasm (ScriptDuration): sender ${range(col('scriptA'))} ms, ` +
              `recipient ${range(col('scriptB'))} ms`);
  console.log(`load average at the end: ${load()}`);
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
