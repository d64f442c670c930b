// pwa.js: the PWA figures of issue 6, measured against the real server and the real wasm build
// in Debian's Chromium. Prints figures; not a pass/fail test. Sections:
//   sizes  first-load bytes per file: raw, gzip (.gz), brotli (.br), total vs the 1.5 MB budget
//   wire   bytes the server really sends on a first visit (counting proxy; page + worker install)
//   ttff   navigation to first frame: fresh contexts (nothing cached) and warm (service worker)
//   cpu    CPU of idle app tabs over N s (home screen; a room with one connected peer), per
//          Chromium process (SystemInfo.getProcessInfo) and the page's own task time
//   shots  390x844 @3x screenshots of the home screen and a room, dark and light theme
// Entry point: scripts/bench/pwa.sh (installs and builds what is missing, then runs this inside a
// loopback-only network namespace so WebRTC stays on 127.0.0.1). Direct use:
//   node scripts/bench/pwa.js [--root DIR] [--runs 10] [--idle-seconds 10]
//   [--sections sizes,wire,ttff,cpu,shots] [--out FILE.json]
'use strict';
require('./require_tools')('pwa', { modules: ['playwright-core'], server: true, browser: true,
                                     app: !process.argv.includes('--root') });
const fs = require('node:fs');
const path = require('node:path');
const { ROOT, WEB_ROOT, ARTIFACTS, startServer, launchBrowser, openApp, waitForState } =
  require('../../tests/e2e/harness');
const { readBuild, countingProxy } = require('../../tests/e2e/pwa_support');

const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => {
  if (a.startsWith('--')) acc.push([a.slice(2), all[i + 1]]);
  return acc;
}, []));
const config = {
  root: path.resolve(args.root || WEB_ROOT),
  runs: Number(args.runs || 10),
  idleSeconds: Number(args['idle-seconds'] || 10),
  sections: (args.sections || 'sizes,wire,ttff,cpu,shots').split(','),
  out: args.out || path.join(ROOT, 'build', 'bench', 'pwa.json'),
};
// The budget for the whole first load, gzipped: 1.5 MB (decimal: the stricter reading).
const BUDGET_GZIP_BYTES = 1500000;
// After the last event the app draws for about a second; wait a little longer before measuring idle.
const SETTLE_MS = 2000;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const kb = (n) => (n / 1024).toFixed(1);
const results = { root: config.root, build: readBuild(config.root).id, loadavg: require('node:os').loadavg() };

// [SECTION] sizes ------------------------------------------------------------------------------
function sizes() {
  const build = readBuild(config.root);
  const precache = /const PRECACHE = (\[.*?\]);/.exec(fs.readFileSync(path.join(config.root, 'sw.js'), 'utf8'));
  const names = ['index.html', ...JSON.parse(precache[1]).filter((n) => n !== './'), 'sw.js'];
  const role = (n) => ({ [build.files['peddlenet.wasm']]: 'wasm (app code)', [build.files['peddlenet.js']]: 'js (Emscripten glue)',
                         [build.files['peddlenet.data']]: 'data (subset fonts)' })[n] || '';
  const size = (f) => (fs.existsSync(f) ? fs.statSync(f).size : null);
  const rows = names.map((n) => {
    const raw = size(path.join(config.root, n));
    // PNGs are already compressed: they go over the wire as they are.
    return { file: n, role: role(n), raw, gzip: size(path.join(config.root, `${n}.gz`)) ?? raw,
             brotli: size(path.join(config.root, `${n}.br`)) ?? raw };
  });
  const total = rows.reduce((t, r) => ({ raw: t.raw + r.raw, gzip: t.gzip + r.gzip, brotli: t.brotli + r.brotli }),
                            { raw: 0, gzip: 0, brotli: 0 });
  console.log('\n## first-load bytes per file (KiB)');
  console.log('file'.padEnd(34) + 'raw'.padStart(9) + 'gzip'.padStart(9) + 'brotli'.padStart(9) + '  role');
  for (const r of rows) {
    console.log(r.file.padEnd(34) + kb(r.raw).padStart(9) + kb(r.gzip).padStart(9) + kb(r.brotli).padStart(9) + `  ${r.role}`);
  }
  console.log('total'.padEnd(34) + kb(total.raw).padStart(9) + kb(total.gzip).padStart(9) + kb(total.brotli).padStart(9));
  console.log(`gzip total ${total.gzip} bytes = ${(100 * total.gzip / BUDGET_GZIP_BYTES).toFixed(1)} % of the ` +
              `${BUDGET_GZIP_BYTES}-byte budget`);
  results.sizes = { rows, total, budget: BUDGET_GZIP_BYTES };
}

// [SECTION] wire -------------------------------------------------------------------------------
async function wire(browser, server) {
  const proxy = await countingProxy(server.port);
  const ctx = await browser.newContext({ viewport: { width: 390, height: 844 } });
  try {
    const page = await openApp(browser, proxy.url, { context: ctx });
    await page.evaluate(() => navigator.serviceWorker.ready);
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null, null, { timeout: 30000 });
    await sleep(500);
    const { bytes, requests } = proxy.counts;
    const repeated = [...new Set(requests)].filter((r) => requests.filter((x) => x === r).length > 1);
    console.log(`\n## first visit on the wire (Accept-Encoding with br): ${bytes} bytes (${kb(bytes)} KiB) in ` +
                `${requests.length} requests; requested more than once: ${repeated.join(' ') || 'none'}`);
    results.wire = { bytes, requests };
  } finally {
    await ctx.close();
    await proxy.close();
  }
}

// [SECTION] ttff -------------------------------------------------------------------------------
// Records, inside the page, when window.peddlenet.ready resolves (the end of the first frame)
// and when the shell's files finished loading, all relative to navigation start.
const TIMING_PROBE = () => {
  let api;
  Object.defineProperty(window, 'peddlenet', {
    configurable: true,
    get() { return api; },
    set(v) { api = v; v.ready.then(() => { window.__firstFrameMs = performance.now(); }); },
  });
};

async function timedLoad(ctx, url) {
  const page = await ctx.newPage();
  await page.goto(url);
  await page.waitForFunction(() => window.__firstFrameMs !== undefined, null, { timeout: 60000 });
  const t = await page.evaluate(() => {
    const done = (re) => { const e = performance.getEntriesByType('resource').find((r) => re.test(r.name)); return e ? e.responseEnd : null; };
    const nav = performance.getEntriesByType('navigation')[0];
    return { html: nav.responseEnd, js: done(/peddlenet\.\w+\.js$/), data: done(/\.data$/), wasm: done(/\.wasm$/),
             firstFrame: window.__firstFrameMs, fromSw: navigator.serviceWorker.controller !== null };
  });
  return { page, t };
}

async function ttff(browser, server) {
  const cold = [], warm = [];
  for (let i = 0; i < config.runs; ++i) {
    const ctx = await browser.newContext({ viewport: { width: 390, height: 844 } });
    await ctx.addInitScript(TIMING_PROBE);
    try {
      const first = await timedLoad(ctx, server.url);
      cold.push(first.t);
      await first.page.waitForFunction(() => navigator.serviceWorker.controller !== null, null, { timeout: 30000 });
      await first.page.close();
      const again = await timedLoad(ctx, server.url); // a new tab: the start from the home screen
      if (!again.t.fromSw) throw new Error('warm start was not served by the service worker');
      warm.push(again.t);
    } finally {
      await ctx.close();
    }
  }
  const summary = (runs) => Object.fromEntries(['html', 'js', 'data', 'wasm', 'firstFrame']
    .map((k) => [k, runs.every((r) => r[k] !== null) ? median(runs.map((r) => r[k])) : null]));
  const line = (name, s, runs) => console.log(`${name.padEnd(24)} first frame ${s.firstFrame.toFixed(0).padStart(5)} ms ` +
    `(min ${Math.min(...runs.map((r) => r.firstFrame)).toFixed(0)}, max ${Math.max(...runs.map((r) => r.firstFrame)).toFixed(0)}); ` +
    `files done: html ${s.html.toFixed(0)}, js ${s.js?.toFixed(0)}, data ${s.data?.toFixed(0)}, wasm ${s.wasm?.toFixed(0)} ms`);
  console.log(`\n## navigation start -> first frame on 127.0.0.1, median of ${config.runs} (390x844, DPR 1)`);
  line('fresh context (cold)', summary(cold), cold);
  line('warm service worker', summary(warm), warm);
  results.ttff = { runs: config.runs, cold, warm, coldMedian: summary(cold), warmMedian: summary(warm) };
}

// [SECTION] cpu --------------------------------------------------------------------------------
async function cpuSnapshot(browserCdp, pageCdps) {
  const { processInfo } = await browserCdp.send('SystemInfo.getProcessInfo');
  const metrics = await Promise.all(pageCdps.map(async ({ cdp, page }) => {
    const m = Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics.map((x) => [x.name, x.value]));
    return { task: m.TaskDuration, script: m.ScriptDuration, frames: (await page.evaluate(() => window.peddlenet.state())).frames };
  }));
  return { processes: processInfo, metrics, at: Date.now() };
}

function cpuReport(name, a, b) {
  const seconds = (b.at - a.at) / 1000;
  const byType = {};
  for (const p of b.processes) {
    const before = a.processes.find((q) => q.id === p.id);
    const used = p.cpuTime - (before ? before.cpuTime : 0);
    byType[p.type] = (byType[p.type] || 0) + used;
  }
  const pct = (s) => `${(100 * s / seconds).toFixed(2)} %`;
  const pages = b.metrics.map((m, i) => ({ taskMs: 1000 * (m.task - a.metrics[i].task), scriptMs: 1000 * (m.script - a.metrics[i].script),
                                           frames: m.frames - a.metrics[i].frames }));
  console.log(`${name}: over ${seconds.toFixed(1)} s, CPU of one core by process type: ` +
              Object.entries(byType).map(([t, s]) => `${t} ${pct(s)}`).join(', '));
  pages.forEach((p, i) => console.log(`  page ${i + 1}: main-thread tasks ${p.taskMs.toFixed(1)} ms, script ${p.scriptMs.toFixed(1)} ms, ` +
                                      `frames drawn ${p.frames}`));
  return { seconds, cpuSecondsByType: byType, pages };
}

async function idleCpu(server) {
  results.cpu = {};
  console.log(`\n## idle CPU over ${config.idleSeconds} s (renderer cpuTime from SystemInfo.getProcessInfo)`);
  for (const scenario of ['home screen, 1 tab', 'room with 1 connected peer, 2 tabs']) {
    const browser = await launchBrowser(); // its own browser: only this scenario's processes
    try {
      const n = scenario.startsWith('home') ? 1 : 2;
      const pages = [];
      for (let i = 0; i < n; ++i) pages.push(await openApp(browser, server.url));
      if (n === 2) {
        for (let i = 0; i < n; ++i) await pages[i].evaluate((x) => window.peddlenet.setName(x), `Idle ${i}`);
        await Promise.all(pages.map((p) => p.evaluate(() => window.peddlenet.join('bench-idle'))));
        await Promise.all(pages.map((p) => waitForState(p, (s) => s.peers.length === 1 && s.peers[0].link === 'open', 20000)));
        await pages[0].evaluate(() => window.peddlenet.send('hello'));
        await waitForState(pages[1], (s) => s.messages.length === 1);
      }
      const pageCdps = [];
      for (const page of pages) {
        const cdp = await page.context().newCDPSession(page);
        await cdp.send('Performance.enable');
        pageCdps.push({ cdp, page });
      }
      const browserCdp = await browser.newBrowserCDPSession();
      await sleep(SETTLE_MS);
      const a = await cpuSnapshot(browserCdp, pageCdps);
      await sleep(config.idleSeconds * 1000);
      const b = await cpuSnapshot(browserCdp, pageCdps);
      results.cpu[scenario] = cpuReport(scenario, a, b);
    } finally {
      await browser.close();
    }
  }
}

// [SECTION] shots ------------------------------------------------------------------------------
async function shots(browser, server) {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const files = [];
  for (const scheme of ['dark', 'light']) {
    const open = async () => {
      const ctx = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 3, colorScheme: scheme });
      return openApp(browser, server.url, { context: ctx });
    };
    const [a, b] = [await open(), await open()];
    try {
      await sleep(300);
      const home = path.join(ARTIFACTS, `pwa-home-390x844@3x-${scheme}.png`);
      await a.screenshot({ path: home });
      await a.evaluate(() => window.peddlenet.setName('Alice'));
      await b.evaluate(() => window.peddlenet.setName('Bob'));
      await Promise.all([a, b].map((p) => p.evaluate(() => window.peddlenet.join('main-stage'))));
      await Promise.all([a, b].map((p) => waitForState(p, (s) => s.peers.length === 1 && s.peers[0].link === 'open', 20000)));
      const lines = [[a, 'Anyone near the main stage?'], [b, 'Yes! By the sound desk, left side 🎪'],
                     [a, 'On my way, 5 minutes'], [b, 'Look for the orange flag']];
      for (const [p, text] of lines) {
        await p.evaluate((t) => window.peddlenet.send(t), text);
        await sleep(150);
      }
      await waitForState(a, (s) => s.messages.length === 4 && s.messages.filter((m) => m.from === s.peerId)
        .every((m) => m.delivery === 'delivered'));
      await sleep(1200); // let the delivery marks and the scroll settle
      const room = path.join(ARTIFACTS, `pwa-room-390x844@3x-${scheme}.png`);
      await a.screenshot({ path: room });
      files.push(home, room);
    } finally {
      await a.context().close();
      await b.context().close();
    }
  }
  console.log(`\n## screenshots\n${files.map((f) => path.relative(ROOT, f)).join('\n')}`);
  results.shots = files;
}

async function main() {
  console.log(`# PWA bench: root ${config.root} (build ${results.build}), load average ${results.loadavg.map((x) => x.toFixed(2)).join(' ')}`);
  if (config.sections.includes('sizes')) sizes();
  const server = await startServer(['--root', config.root]);
  const browser = await launchBrowser();
  try {
    if (config.sections.includes('wire')) await wire(browser, server);
    if (config.sections.includes('ttff')) await ttff(browser, server);
    if (config.sections.includes('shots')) await shots(browser, server);
  } finally {
    await browser.close();
  }
  try {
    if (config.sections.includes('cpu')) await idleCpu(server);
  } finally {
    await server.stop();
  }
  fs.mkdirSync(path.dirname(config.out), { recursive: true });
  fs.writeFileSync(config.out, JSON.stringify(results, null, 1));
  console.log(`\nwrote ${path.relative(ROOT, config.out)}`);
}

main().catch((e) => { console.error(e); process.exit(1); });
