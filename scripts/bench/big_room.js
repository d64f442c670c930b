#!/usr/bin/env node
// big_room.js: big rooms (issue 11) in the real app: N pages of one room in one headless
// Chromium (a context per page) on 127.0.0.1, the partial mesh (the default above 12 members)
// beside today's full mesh (setFullMeshMax(65) on every page before it joins). Prints tables;
// it is a measurement, not a pass/fail test.
//
//   scripts/bench/big_room.sh [--partial 8,24,48] [--full 8,24] [--runs 1] [--spacing 200]
//   unshare -n bash -c 'ip link set lo up && node scripts/bench/big_room.js [options]'
//
// Each configuration runs in a fresh browser against a fresh server. Pages open (home screen)
// OPEN_BATCH at a time, then join JOIN_BATCH at a time, each batch once the server confirmed the
// previous one, --join-gap ms apart. Figures (medians over --runs unless said otherwise):
//   time to link:  from the first join until every page has its links open: all N-1 in a full
//                  mesh (N <= 12 is always one); in a partial mesh at least 4 open (at most 12
//                  links) and the graph of open links (an edge when both ends call it open)
//                  connects every page. Also the same from the last join's confirmation.
//   latency:       every page sends one message, --spacing ms apart (each on its own timer, set
//                  beforehand; how long sending really took is printed); for each (message,
//                  receiver) pair, the receiver's arrivedMs (when it entered its log, after the signature
//                  check: performance.timeOrigin + now(), session.cpp epoch_ms) minus the send
//                  time on the sender's clock (the same clock, read right before send()). Pages
//                  of one machine share the system clock; the spread of the pages' offsets to
//                  Date.now() is printed (it bounds the error). p50 / p99 over all pairs of all
//                  runs.
//   all messages:  from the first send until every page has every message (the latest
//                  arrivedMs), which includes the (N-1) x --spacing of sending (more when timers
//                  fire late); and from the last send. The issue's old full-mesh figures are printed beside.
//   links:         open links per page when linked (mean / min / max); RTCPeerConnections the
//                  page created (mesh.connectionsCreated) by the end, mean / max.
//   CPU, memory:   CDP Performance.getMetrics per page, when the sends are set (2 s before the
//                  first) and once every page has every message, as a share of a core over
//                  that window: ProcessTime (CPU time of the page's renderer process) and
//                  ThreadTime (of its main thread), beside TaskDuration (wall time the main
//                  thread spent in tasks, blocked or not) and ScriptDuration; JSHeapUsedSize at
//                  the end; frames the app drew (state().frames) per second over that window,
//                  and the smoothed wait from asking for a frame to drawing it (state().frameLagMs).
//                  And the browser's processes (CDP SystemInfo.getProcessInfo: pids, types, CPU
//                  time): the renderers' count (about 2 per page), CPU, RSS and PSS
//                  (/proc/PID/smaps_rollup) summed and divided by the pages; the one GPU
//                  process's CPU (every page's WebGL is drawn there, by SwiftShader) and the
//                  browser process's. Plus the machine's CPU (/proc/stat) and load average over
//                  the configuration.
//   --no-draw:     a diagnostic (see NO_DRAW below), labelled as such in the output.
// Run inside a loopback-only network namespace (big_room.sh does when root).
'use strict';
require('./require_tools')('big_room', { modules: ['playwright-core'], app: true });
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { startServer, launchBrowser, openApp } = require(path.join(__dirname, '../../tests/e2e/harness'));
const { linkComponents, clockSpread, quantile } = require(path.join(__dirname, '../../tests/e2e/page_mesh'));
// Whether the open links (both ends open) connect every page.
const connected = (snaps) => linkComponents(snaps).length === 1;

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const list = (s) => (s === '' || s === 'none' ? [] : String(s).split(',').map(Number));
const PARTIAL = list(option('partial', '8,24,48'));
const FULL = list(option('full', '8,24'));
const RUNS = Number(option('runs', 1));
const SPACING_MS = Number(option('spacing', 200));
const JOIN_GAP_MS = Number(option('join-gap', 500));
// Diagnostic, not the app as people run it: once each page is ready, requestAnimationFrame never
// calls back, so the app draws nothing (its logic runs on timers and network events). Tells the
// cost of drawing 48 pages through one software-GL GPU process apart from relaying and verifying.
const NO_DRAW = args.includes('--no-draw');
const OPEN_BATCH = 4, JOIN_BATCH = 4;
const LINK_TIMEOUT_MS = 180000, DELIVERY_TIMEOUT_MS = 180000;
const POLL_MS = 500;
const SETTLE_MS = 2000;           // linked -> first send: pages go idle
const SCHEDULE_MS = 2000;         // the pages' send timers are set; the first one fires after this
const FULL_MESH_MAX = 65;         // setFullMeshMax(): everyone links to everyone up to this size
const DEGREE_LOW = 4, DEGREE_HIGH = 12, SMALL_ROOM = 12; // RoomParams defaults
// The issue's table: full mesh, time until every page has every message (s).
const OLD_FULL = { 8: 0.5, 16: 3.0, 24: 9.2, 48: 78.9 };

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (xs) => quantile(xs, 0.5);
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const f = (x, digits) => (Number.isFinite(x) ? x.toFixed(digits ?? (Math.abs(x) < 10 ? 2 : 0)) : 'n/a');
const loadavg = () => os.loadavg().map((x) => x.toFixed(2)).join(' ');
const log = (s) => process.stderr.write(`${s}\n`);

// Busy and total jiffies of the whole machine, from /proc/stat.
function cpuTimes() {
  const [, ...v] = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/);
  const n = v.map(Number);
  const idle = n[3] + n[4];
  const total = n.reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

// ---- the pages' state -----------------------------------------------------------------------

const snapshot = (page) => page.evaluate(() => {
  const s = window.peddlenet.state();
  return { peerId: s.peerId, joined: s.joined, mesh: s.mesh, frames: s.frames, frameLagMs: s.frameLagMs,
           peers: s.peers.map((p) => ({ peerId: p.peerId, link: p.link })) };
});
const openCount = (s) => s.peers.filter((p) => p.link === 'open').length;

function linked(snaps, full) {
  const n = snaps.length;
  if (!snaps.every((s) => s.joined)) return false;
  if (full) return snaps.every((s) => openCount(s) === n - 1);
  return snaps.every((s) => openCount(s) >= DEGREE_LOW && s.peers.length <= DEGREE_HIGH) && connected(snaps);
}

// Arrival times (epoch ms) of the messages `ids` on one page, and how many times each is held.
const holdings = (page, ids) => page.evaluate((want) => {
  const wanted = new Set(want);
  const count = {}, arrived = {};
  for (const m of window.peddlenet.state().messages) {
    if (!wanted.has(m.id)) continue;
    count[m.id] = (count[m.id] || 0) + 1;
    arrived[m.id] = m.arrivedMs;
  }
  return { count, arrived };
}, ids);

// setFullMeshMax(n) on one page: the room size up to which it links everyone (full mesh beside).
const setFullMeshMax = (page, n) => page.evaluate((m) => window.peddlenet.setFullMeshMax(m), n);

async function metrics(cdp) {
  const { metrics: list } = await cdp.send('Performance.getMetrics');
  return Object.fromEntries(list.map((m) => [m.name, m.value]));
}

// The browser's processes: pid, type (browser, GPU, renderer, utility), CPU time (s), memory
// (RSS and PSS, bytes).
async function processes(browserCdp) {
  const { processInfo } = await browserCdp.send('SystemInfo.getProcessInfo');
  const out = [];
  for (const p of processInfo) {
    let rss = 0, pss = 0;
    try {
      const text = fs.readFileSync(`/proc/${p.id}/smaps_rollup`, 'utf8');
      rss = Number(/^Rss:\s+(\d+)/m.exec(text)[1]) * 1024;
      pss = Number(/^Pss:\s+(\d+)/m.exec(text)[1]) * 1024;
    } catch (_) { /* gone */ }
    out.push({ pid: p.id, type: p.type, cpuTime: p.cpuTime, rss, pss });
  }
  return out;
}

// ---- one configuration ----------------------------------------------------------------------

async function runOnce(n, full, run) {
  const label = `${n} pages, ${full ? 'full mesh' : 'partial mesh (default)'}, run ${run + 1}/${RUNS}`;
  const load0 = loadavg(), cpu0 = cpuTimes();
  const server = await startServer(['--grace-ms', '1500', '--log-level', 'warn']);
  const browser = await launchBrowser();
  const browserCdp = await browser.newBrowserCDPSession();
  const pages = [];
  const result = { n, full, load0 };
  try {
    for (let i = 0; i < n; i += OPEN_BATCH) {
      pages.push(...await Promise.all(Array.from({ length: Math.min(OPEN_BATCH, n - i) }, () => openApp(browser, server.url))));
    }
    if (NO_DRAW) await Promise.all(pages.map((p) => p.evaluate(() => { window.requestAnimationFrame = () => 0; })));
    const cdps = await Promise.all(pages.map(async (p) => {
      const cdp = await p.context().newCDPSession(p);
      await cdp.send('Performance.enable');
      return cdp;
    }));
    await Promise.all(pages.map(async (p, i) => {
      await p.evaluate((name) => window.peddlenet.setName(name), `Page ${i}`);
      if (full) await setFullMeshMax(p, FULL_MESH_MAX);
    }));

    // Join, a few at a time; until everyone is linked.
    const room = `bench-big-${n}-${full ? 'full' : 'partial'}-${Date.now() % 100000}`;
    const t0 = Date.now();
    let lastJoined = t0;
    for (let i = 0; i < n; i += JOIN_BATCH) {
      await Promise.all(pages.slice(i, i + JOIN_BATCH).map((p) => p.evaluate((r) => window.peddlenet.join(r), room)));
      lastJoined = Date.now();
      if (i + JOIN_BATCH < n) await sleep(JOIN_GAP_MS);
    }
    const wantFull = full || n <= SMALL_ROOM;
    let snaps;
    for (;;) {
      snaps = await Promise.all(pages.map(snapshot));
      if (linked(snaps, wantFull)) break;
      if (Date.now() - t0 > LINK_TIMEOUT_MS) {
        const open = snaps.map(openCount);
        for (const [i, s] of snaps.entries()) {
          if (openCount(s) >= DEGREE_LOW) continue;
          log(`${label}: page ${i} under ${DEGREE_LOW} open links: links ${JSON.stringify(s.peers.map((p) => p.link))}, ` +
              `mesh ${JSON.stringify(s.mesh)}`);
        }
        throw new Error(`${label}: not linked after ${LINK_TIMEOUT_MS} ms (open links ${open.join(' ')}, ` +
                        `connected ${connected(snaps)})`);
      }
      await sleep(POLL_MS);
    }
    const linkedAt = Date.now();
    result.linkMs = linkedAt - t0;
    result.linkAfterLastJoinMs = linkedAt - lastJoined;
    result.links = snaps.map(openCount);
    result.partialPages = snaps.filter((s) => s.mesh.partial).length;
    log(`${label}: linked ${result.linkMs} ms after the first join (${result.linkAfterLastJoinMs} ms after ` +
        `the last); open links ${result.links.join(' ')}; load ${loadavg()}`);

    // Every page sends one message; until every page has every message.
    await sleep(SETTLE_MS);
    result.clockSpread = await clockSpread(pages);
    const before = await Promise.all(cdps.map(metrics));
    const pBefore = await processes(browserCdp);
    const framesBefore = (await Promise.all(pages.map(snapshot))).map((s) => s.frames);
    // Each page sends on its own timer at a planned time (page i at start + i x spacing), so that
    // a page slow to answer the driver does not hold the others' sends back; it records when
    // send() really ran, on its epoch clock.
    const wall0 = Date.now();
    const sendStart = wall0 + SCHEDULE_MS;
    await Promise.all(pages.map((p, i) => p.evaluate(([at, text]) => {
      window.benchSent = new Promise((resolve, reject) => {
        setTimeout(() => {
          try {
            const t = performance.timeOrigin + performance.now();
            resolve({ id: window.peddlenet.send(text), at: t });
          } catch (e) {
            reject(e);
          }
        }, Math.max(0, at - (performance.timeOrigin + performance.now())));
      });
    }, [sendStart + i * SPACING_MS, `bench message from page ${i}`])));
    const sent = (await Promise.all(pages.map((p) => p.evaluate(() => window.benchSent)))).map((x, i) => ({ i, ...x }));
    result.sendingMs = Math.max(...sent.map((x) => x.at)) - Math.min(...sent.map((x) => x.at));
    result.sendLateMs = Math.max(...sent.map((x, i) => x.at - (sendStart + i * SPACING_MS)));
    const ids = sent.map((s) => s.id);
    let held;
    for (;;) {
      held = await Promise.all(pages.map((p) => holdings(p, ids)));
      if (held.every((h) => ids.every((id) => h.count[id] >= 1))) break;
      if (Date.now() - wall0 > DELIVERY_TIMEOUT_MS) {
        const missing = held.map((h) => ids.filter((id) => !h.count[id]).length);
        throw new Error(`${label}: messages missing after ${DELIVERY_TIMEOUT_MS} ms, per page: ${missing.join(' ')}`);
      }
      await sleep(POLL_MS);
    }
    const wall1 = Date.now();
    const after = await Promise.all(cdps.map(metrics));
    const pAfter = await processes(browserCdp);
    const rAfter = pAfter.filter((p) => p.type === 'renderer');
    const endSnaps = await Promise.all(pages.map(snapshot));

    result.duplicates = held.reduce((k, h) => k + ids.filter((id) => h.count[id] > 1).length, 0);
    result.latency = [];
    let last = 0;
    for (const { i, id, at } of sent) {
      held.forEach((h, r) => {
        if (r !== i) result.latency.push(h.arrived[id] - at);
        last = Math.max(last, h.arrived[id]);
      });
    }
    result.allMs = last - Math.min(...sent.map((x) => x.at));
    result.afterLastSendMs = last - Math.max(...sent.map((x) => x.at));
    result.created = endSnaps.map((s) => s.mesh.connectionsCreated);
    result.relayed = endSnaps.map((s) => s.mesh.relayed + s.mesh.fetched);
    result.dupFrames = endSnaps.map((s) => s.mesh.duplicates);
    const seconds = (wall1 - wall0) / 1000;
    result.window = seconds;
    const share = (key) => after.map((m, k) => (m[key] - before[k][key]) / seconds);
    result.taskShare = share('TaskDuration');
    result.scriptShare = share('ScriptDuration');
    result.threadShare = share('ThreadTime');
    result.processShare = share('ProcessTime');
    result.heapMB = after.map((m) => m.JSHeapUsedSize / 2 ** 20);
    result.fps = endSnaps.map((s, k) => (s.frames - framesBefore[k]) / seconds);
    result.frameLag = endSnaps.map((s) => s.frameLagMs);
    const cpuBefore = new Map(pBefore.map((p) => [p.pid, p.cpuTime]));
    const cpuShare = (type) => pAfter.filter((p) => p.type === type)
      .reduce((k, p) => k + (p.cpuTime - (cpuBefore.get(p.pid) ?? 0)), 0) / seconds;
    result.rendererCount = rAfter.length;
    result.rendererCpuShare = cpuShare('renderer');
    result.gpuCpuShare = cpuShare('GPU');
    result.browserCpuShare = cpuShare('browser');
    result.rssMB = rAfter.reduce((k, p) => k + p.rss, 0) / 2 ** 20;
    result.pssMB = rAfter.reduce((k, p) => k + p.pss, 0) / 2 ** 20;
    log(`${label}: sending took ${f(result.sendingMs / 1000, 1)} s (a timer fired up to ${f(result.sendLateMs)} ms late); ` +
        `latency p50 ${f(quantile(result.latency, 0.5))} ms, p99 ${f(quantile(result.latency, 0.99))} ms; ` +
        `every page had every message after ${f(result.allMs / 1000, 2)} s; duplicates held ${result.duplicates}; ` +
        `load ${loadavg()}`);
  } finally {
    await browser.close();
    await server.stop();
  }
  const cpu1 = cpuTimes();
  result.machineBusy = (cpu1.busy - cpu0.busy) / (cpu1.total - cpu0.total) * os.cpus().length;
  result.load1 = loadavg();
  return result;
}

// ---- main -----------------------------------------------------------------------------------

async function main() {
  const configs = [...PARTIAL.map((n) => ({ n, full: false })), ...FULL.map((n) => ({ n, full: true }))];
  const startLoad = loadavg();
  const started = Date.now();
  const rows = [];
  for (const { n, full } of configs) {
    const runs = [];
    for (let r = 0; r < RUNS; ++r) {
      try {
        runs.push(await runOnce(n, full, r));
      } catch (e) {
        log(`FAILED: ${e.message}`);
        runs.push({ n, full, failed: e.message.split('\n')[0] });
      }
    }
    rows.push({ n, full, runs });
  }

  const row = (...cells) => console.log(`| ${cells.join(' | ')} |`);
  if (NO_DRAW) console.log('\nDIAGNOSTIC RUN (--no-draw): the pages draw nothing (requestAnimationFrame never calls back).');
  console.log(`\nBig rooms on 127.0.0.1: N app pages in one headless Chromium, ${RUNS} run(s) each, joins ` +
              `${JOIN_BATCH} at a time ${JOIN_GAP_MS} ms apart, every page sends one message ${SPACING_MS} ms apart; ` +
              `load average ${startLoad} at the start, ${loadavg()} at the end; ${os.cpus().length} cores; ` +
              `${((Date.now() - started) / 60000).toFixed(1)} min\n`);
  console.log('| pages | mesh | time to link: from first join / after last join (s) | one-way latency p50 / p99 / max (ms) ' +
              '| every page has every message, from the first / last send (s) | sending took (s) | full mesh, issue 11 (s) ' +
              '| open links per page mean / min / max ' +
              '| RTCPeerConnections per page mean / max | delivered (pairs) |');
  console.log('| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  const costs = [];
  for (const { n, full, runs } of rows) {
    const ok = runs.filter((r) => !r.failed);
    const mode = full ? 'full (setFullMeshMax 65)' : (n <= SMALL_ROOM ? 'default (full, <= 12)' : 'partial (default)');
    if (!ok.length) {
      row(n, mode, `failed: ${runs[0].failed}`, '', '', '', full ? (OLD_FULL[n] ?? '-') : '-', '', '', '');
      continue;
    }
    const lat = ok.flatMap((r) => r.latency);
    const links = ok.flatMap((r) => r.links);
    const created = ok.flatMap((r) => r.created);
    const pairs = ok.reduce((k, r) => k + r.n * (r.n - 1), 0);
    const dups = ok.reduce((k, r) => k + r.duplicates, 0);
    row(n, mode, `${f(median(ok.map((r) => r.linkMs)) / 1000, 1)} / ${f(median(ok.map((r) => r.linkAfterLastJoinMs)) / 1000, 1)}`,
        `${f(quantile(lat, 0.5))} / ${f(quantile(lat, 0.99))} / ${f(Math.max(...lat))}`,
        `${f(median(ok.map((r) => r.allMs)) / 1000, 2)} / ${f(median(ok.map((r) => r.afterLastSendMs)) / 1000, 2)}`,
        `${f(median(ok.map((r) => r.sendingMs)) / 1000, 1)} (planned ${f((n - 1) * SPACING_MS / 1000, 1)})`,
        full || n <= SMALL_ROOM ? (OLD_FULL[n] ?? '-') : '-',
        `${f(mean(links), 1)} / ${Math.min(...links)} / ${Math.max(...links)}`,
        `${f(mean(created), 1)} / ${Math.max(...created)}`,
        `${pairs} of ${pairs}${dups ? `, ${dups} held twice` : ''}${runs.length > ok.length ? `; ${runs.length - ok.length} run(s) failed` : ''}`);
    costs.push({ n, mode, ok });
  }
  console.log(`\nCost during the message phase (from ${SCHEDULE_MS / 1000} s before the first send until every page has every message), per page unless said:\n`);
  console.log('| pages | mesh | window (s) | renderer CPU (ProcessTime), % of a core | main thread CPU (ThreadTime) | ' +
              'main thread in tasks, wall (TaskDuration) | script (ScriptDuration) ' +
              '| JS heap used (MB) | frames drawn per s, frame wait at the end (ms) | renderer processes: count, CPU % of a core per page | renderer RSS / PSS per page (MB) ' +
              '| GPU process / browser process CPU, % of a core | relayed + fetched per page ' +
              '| duplicate copies received per page | machine CPU busy (cores of ' +
              `${os.cpus().length}) | load average before -> after | clock spread (ms) |`);
  console.log('| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: |');
  for (const { n, mode, ok } of costs) {
    const per = (key) => mean(ok.flatMap((r) => r[key]));
    row(n, mode, f(median(ok.map((r) => r.window)), 1), f(per('processShare') * 100, 1), f(per('threadShare') * 100, 1),
        f(per('taskShare') * 100, 1), f(per('scriptShare') * 100, 1),
        f(per('heapMB'), 1), `${f(per('fps'), 1)}, ${f(per('frameLag'), 0)}`,
        `${median(ok.map((r) => r.rendererCount))}, ${f(median(ok.map((r) => r.rendererCpuShare / r.n)) * 100, 1)}`,
        `${f(median(ok.map((r) => r.rssMB / r.n)), 0)} / ${f(median(ok.map((r) => r.pssMB / r.n)), 0)}`,
        `${f(median(ok.map((r) => r.gpuCpuShare)) * 100, 0)} / ${f(median(ok.map((r) => r.browserCpuShare)) * 100, 0)}`,
        f(per('relayed'), 1), f(per('dupFrames'), 1), f(median(ok.map((r) => r.machineBusy)), 2),
        ok.map((r) => `${r.load0.split(' ')[0]} -> ${r.load1.split(' ')[0]}`).join(', '),
        f(Math.max(...ok.map((r) => r.clockSpread)), 2));
  }
  console.log(`\nGoal (issue 11): at 48 pages a message reaches every page within 1 s p99.`);
}

main().catch((e) => { console.error(e); process.exit(1); });
