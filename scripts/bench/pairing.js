// pairing.js: the pairing figures of issue 12, in the real wasm app in Debian's headless
// Chromium. The server only serves the app and is stopped before any pairing. Each run: page A
// creates a private room (a new one per run), shows its offer, page B's scanner reads it off A's
// screenshot, B shows its answer, A's scanner reads that (tests/e2e/pairing_flow.js). Prints the
// codes' payload bytes, characters and QR versions at level M, and "answer scanned -> proven
// link" (median, p90, min, max) beside the load average; not a pass/fail test. There is no
// reference system: the original PeddleNet could not link without its servers.
// Entry point: scripts/bench/pairing.sh. Direct use: node scripts/bench/pairing.js [--runs 10]
'use strict';
require('./require_tools')('pairing', { modules: ['playwright-core'], commands: [], app: true });
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { ARTIFACTS, startServer, openApp, waitForState } = require('../../tests/e2e/harness');
const flow = require('../../tests/e2e/pairing_flow');

const argv = process.argv.slice(2);
const runs = Number(argv[argv.indexOf('--runs') + 1] || 10) || 10;
const MEDIA = path.join(ARTIFACTS, 'pairing-bench-media');
const { quantile } = require('../../tests/e2e/page_mesh');
const load = () => fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

(async () => {
  console.log(`pairing by QR, no server: ${runs} runs; load average ${load()}; ${os.cpus().length} cores`);
  const [pa, pb] = [await flow.phone(MEDIA, 'bench-a'), await flow.phone(MEDIA, 'bench-b')];
  const results = [];
  try {
    for (let i = 0; i < runs; ++i) {
      // Fresh pages each run (two new identities), loaded while the server is up.
      const server = await startServer();
      const a = await openApp(pa.browser, server.url);
      const b = await openApp(pb.browser, server.url);
      await a.evaluate(() => window.peddlenet.setName('Ava'));
      await b.evaluate(() => window.peddlenet.setName('Bo'));
      await a.evaluate((n) => window.peddlenet.create(n), `bench-pair-${i}`);
      await server.stop();
      await waitForState(a, (s) => s.signaling !== 'online', 10000);
      results.push(await flow.pair(a, pa, b, pb, `pairing-bench-${i}`));
      await a.context().close();
      await b.context().close();
    }
  } finally {
    await pa.browser.close();
    await pb.browser.close();
  }
  const ms = results.map((r) => r.scanToLinkedMs);
  const code = (k) => {
    const bytes = results.map((r) => r[k].bytes), versions = results.map((r) => r[k].qrVersion);
    return `${Math.min(...bytes)}-${Math.max(...bytes)} bytes, ${Math.min(...results.map((r) => r[k].chars))}-` +
           `${Math.max(...results.map((r) => r[k].chars))} characters, QR version ${Math.min(...versions)}-${Math.max(...versions)} (level M)`;
  };
  console.log('');
  console.log('| figure | value |');
  console.log('|---|---|');
  console.log(`| offer code | ${code('offer')} |`);
  console.log(`| answer code | ${code('answer')} |`);
  console.log(`| answer scanned -> proven link, median / p90 | ${Math.round(quantile(ms, 0.5))} / ${Math.round(quantile(ms, 0.9))} ms |`);
  console.log(`| min / max | ${Math.min(...ms)} / ${Math.max(...ms)} ms |`);
  console.log(`| budget | 204 bytes, version 10 at level M (core/pairing_code.hpp) |`);
  console.log(`\nload average at the end ${load()}`);
})().catch((e) => { console.error(e); process.exit(1); });
