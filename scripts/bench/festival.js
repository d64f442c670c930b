#!/usr/bin/env node
// festival.js: the festival box's figures on 127.0.0.1: real app pages in headless Chromium with
// the real server and a real coturn (Debian's turnserver, as tests/e2e/harness.js startTurn runs
// it), and coturn's capacity under its own load tool. Prints tables; it is a measurement, not a
// pass/fail test.
//
//   scripts/bench/festival.sh [--runs 10] [--outage-runs 3] [--outage-ms 40000] [--clients 50,200,500]
//   unshare -n bash -c 'ip link set lo up && node scripts/bench/festival.js [options]'
//
// Figures (median, p90, min, max over the runs; fresh pages in fresh contexts each run):
//   1. time to open a link: page A joins a room and settles (service worker ready, 0.5 s), page
//      B calls join(room); from B's join until both pages show the link 'open' (the later of the
//      two state().peers[0].openedMs, page epoch clocks; link proof included), --runs times per
//      path:
//        direct   plain server, no ICE servers;
//        STUN     the box's STUN (stun:127.0.0.1:<coturn port>) as the ICE servers setting
//                 (setIceServers, as typed in Settings), plain server;
//        relayed  server started with --turn-port/--turn-secret-file (the box's coturn, its
//                 shared secret), both pages setRelayOnly(true) before joining.
//      Each run's path as the page reports it (state().peers[0].path: kind, local/remote
//      candidate types, protocol) is counted: on loopback a STUN-found address is the host
//      address, so a STUN run may well show 'direct'.
//   2. network back -> chat back, direct and relayed (--outage-runs each), as
//      tests/e2e/recovery.test.js does it: two linked pages, every UDP packet dropped on arrival
//      (nftables, input hook, in this network namespace only), A sends a message once both
//      pages see the link down, the cut is lifted --outage-ms after it began; the time from the
//      lift until B's log has the message (B's arrivedMs minus the lift, one system clock).
//      Also: how long until both pages saw the link down, ICE restarts and fresh connections
//      (A + B, state().mesh), and the path afterwards. Skipped unless this process is in a
//      network namespace with loopback only (it would otherwise change the machine's firewall).
//   3. coturn capacity (for docs/DEPLOY.md): a coturn of our own on 127.0.0.1 with startTurn's
//      flags (use-auth-secret, --allow-loopback-peers, no TLS/DTLS), relay ports above the
//      ephemeral range (so the load tool's own sockets never take them), then
//      turnutils_uclient -y -c (client to client: each message goes client -> coturn -> the
//      peer's relay address, back into coturn -> peer, so coturn handles it twice) with -W
//      (the TURN REST API secret) and -u (the user name; uclient makes the timestamped name and
//      its HMAC password). Each step --clients N (split into uclient processes of at most
//      CLIENTS_PER_PROCESS: one process sets its clients up one at a time, ~80 ms per
//      allocation), --turn-messages per client of --turn-bytes every 20 ms (uclient's default),
//      bounded by STEP_LIMIT_MS (killed by PID then; its last progress line is counted).
//      Printed: relay allocations that succeeded (distinct relay addresses uclient received; 1.5
//      per client, as -y adds a probe allocation per pair),
//      TURN errors, messages sent / received and loss, throughput over uclient's transmit time,
//      coturn's CPU (/proc/PID/stat utime+stime) and the load tool's (this process's reaped
//      children), coturn's RSS after the step and its peak, coturn's open file descriptors, and
//      the namespace's kernel UDP drop counters (/proc/net/snmp) over the step.
//   Load average (/proc/loadavg) at the start and the end.
'use strict';
require('./require_tools')('festival', { modules: ['playwright-core'], commands: ['turnserver', 'turnutils_uclient'], app: true });
const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { startServer, startTurn, launchBrowser, openApp, waitForState, freePort, dropUdp } =
  require(path.join(__dirname, '../../tests/e2e/harness'));
const { quantile } = require(path.join(__dirname, '../../tests/e2e/page_mesh'));

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const RUNS = Number(option('runs', 10));
const OUTAGE_RUNS = Number(option('outage-runs', 3));
const OUTAGE_MS = Number(option('outage-ms', 40000));
const CLIENTS = String(option('clients', '50,200,500')).split(',').filter(Boolean).map(Number);
const TURN_MESSAGES = Number(option('turn-messages', 250)); // per client
const TURN_BYTES = Number(option('turn-bytes', 1200));       // per message: about one chat message in a big room (DEPLOY.md)
const SECRET = 'festival-bench-secret-0123456789abcdef';
const SETTLE_MS = 500;           // after A's join, before B joins (as p2p.js)
const LINK_TIMEOUT_MS = 30000;   // a link that is not open by then counts as failed
const BACK_TIMEOUT_MS = 30000;   // after the lift, a message not back by then counts as lost
const CLIENTS_PER_PROCESS = 50;  // uclient sets its clients up one after another: split the load
const STEP_LIMIT_MS = 30000;     // each capacity step, setup included
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const loadavg = () => fs.readFileSync('/proc/loadavg', 'utf8').trim();
const fmt = (x) => (Number.isFinite(x) ? (Math.abs(x) < 10 ? x.toFixed(1) : x.toFixed(0)) : 'n/a');
const stats = (xs) => (xs.length ? `${fmt(quantile(xs, 0.5))} / ${fmt(quantile(xs, 0.9))} / ${fmt(Math.min(...xs))} / ${fmt(Math.max(...xs))}` : '-');
const counts = (xs) => {
  const c = {};
  for (const x of xs) c[x] = (c[x] || 0) + 1;
  return Object.entries(c).map(([k, n]) => `${k} x${n}`).join(', ') || '-';
};
const row = (...cells) => console.log(`| ${cells.join(' | ')} |`);
const log = (s) => process.stderr.write(`${s}\n`);

// Only loopback here: the namespace bench_run makes (unshare -n). The UDP cut needs it.
const isolated = () => Object.keys(os.networkInterfaces()).every((name) => name === 'lo');

// ---- 1. time to open a link ----------------------------------------------------------------

const bothOpen = (s) => s.peers.length === 1 && s.peers[0].link === 'open' && s.peers[0].openedMs > 0;
const pathOf = (p) => `${p.kind} (${p.local}/${p.remote} ${p.protocol})`;

async function twoPages(browser, server, { relayOnly = false, iceServers = '' } = {}) {
  const pages = [];
  for (const name of ['Host', 'Guest']) {
    const page = await openApp(browser, server.url);
    await page.evaluate((n) => window.peddlenet.setName(n), name);
    if (relayOnly) await page.evaluate(() => window.peddlenet.setRelayOnly(true));
    if (iceServers) await page.evaluate((t) => window.peddlenet.setIceServers(t), iceServers);
    pages.push(page);
  }
  return pages;
}
const closeAll = async (pages) => { for (const p of pages) await p.context().close().catch(() => {}); };

async function linkRun(browser, server, mode, run, into, iceServers = '') {
  const [a, b] = await twoPages(browser, server, { relayOnly: mode === 'relayed', iceServers });
  const room = `festival-${mode}-${run}-${Date.now() % 100000}`;
  try {
    await a.evaluate((r) => window.peddlenet.join(r), room);
    for (const p of [a, b]) await p.evaluate(() => navigator.serviceWorker.ready);
    await a.waitForTimeout(SETTLE_MS);
    const t0 = await b.evaluate((r) => {
      const t = performance.timeOrigin + performance.now();
      window.peddlenet.join(r);
      return t;
    }, room);
    let sa, sb;
    try {
      sb = await waitForState(b, bothOpen, LINK_TIMEOUT_MS);
      sa = await waitForState(a, bothOpen, LINK_TIMEOUT_MS);
    } catch (e) {
      into.failed += 1;
      log(`  ${mode} run ${run + 1}: no open link within ${LINK_TIMEOUT_MS / 1000} s`);
      return;
    }
    const ms = Math.max(sa.peers[0].openedMs, sb.peers[0].openedMs) - t0;
    into.ms.push(ms);
    const paths = [];
    for (const p of [a, b]) {
      const s = await waitForState(p, (x) => x.peers[0] && x.peers[0].path !== null, 5000).catch(() => null);
      paths.push(s ? pathOf(s.peers[0].path) : 'no path reported');
    }
    into.paths.push(...paths);
    into.kinds.push(paths.map((p) => p.split(' ')[0]).join('+'));
    log(`  ${mode} run ${run + 1}/${RUNS}: ${fmt(ms)} ms, path A ${paths[0]}, B ${paths[1]}`);
  } finally {
    await closeAll([a, b]);
  }
}

// ---- 2. network back -> chat back ----------------------------------------------------------

async function outageRun(browser, server, mode, run, into) {
  const pages = await twoPages(browser, server, { relayOnly: mode === 'relayed' });
  const [a, b] = pages;
  const room = `festival-outage-${mode}-${run}-${Date.now() % 100000}`;
  const text = `said in the ${mode} outage ${run}`;
  try {
    for (const p of pages) await p.evaluate((r) => window.peddlenet.join(r), room);
    for (const p of pages) await waitForState(p, (s) => s.peers.length === 1 && s.peers[0].link === 'open', LINK_TIMEOUT_MS);
    const before = [];
    for (const p of pages) before.push((await waitForState(p, (s) => s.peers[0].path !== null, 5000)).peers[0].path);
    const lift = dropUdp('peddlenet_festival');
    let lifted = false;
    try {
      const cut = Date.now();
      for (const p of pages) await waitForState(p, (s) => s.peers[0]?.link !== 'open', 20000);
      const downMs = Date.now() - cut;
      await a.evaluate((t) => window.peddlenet.send(t), text);
      await sleep(Math.max(0, OUTAGE_MS - (Date.now() - cut)));
      lift();
      lifted = true;
      const back = Date.now();
      let ms = NaN;
      try {
        const s = await waitForState(b, (x, t) => x.messages.some((m) => m.text === t), BACK_TIMEOUT_MS, text);
        const m = s.messages.find((x) => x.text === text);
        ms = m.arrivedMs > 0 ? m.arrivedMs - back : Date.now() - back;
      } catch (_) {
        into.lost += 1;
      }
      const [sa, sb] = [await a.evaluate(() => window.peddlenet.state()), await b.evaluate(() => window.peddlenet.state())];
      if (!Number.isFinite(ms)) {
        for (const [name, s] of [['A', sa], ['B', sb]]) {
          const p = s.peers[0] || {};
          log(`    not back: page ${name} link ${p.link} proof ${p.proof} path ${JSON.stringify(p.path)} health ` +
              `${JSON.stringify(p.health)} signaling ${s.signaling} relay ${JSON.stringify(s.relay)} mesh ` +
              `${JSON.stringify({ links: s.mesh.links, connectionsCreated: s.mesh.connectionsCreated, linksTimedOut: s.mesh.linksTimedOut, linksDropped: s.mesh.linksDropped })}`);
        }
      }
      const after = await waitForState(a, (s) => s.peers[0]?.link === 'open' && s.peers[0].path !== null, 10000)
        .then((s) => s.peers[0].path.kind).catch(() => 'not open');
      if (Number.isFinite(ms)) into.ms.push(ms);
      into.down.push(downMs);
      into.restarts.push(`${sa.mesh.iceRestarts}+${sb.mesh.iceRestarts}`);
      into.fresh.push(`${sa.mesh.freshConnections}+${sb.mesh.freshConnections}`);
      into.paths.push(`${before[0].kind} -> ${after}`);
      log(`  ${mode} outage ${run + 1}/${OUTAGE_RUNS}: link seen down after ${downMs} ms; chat back ${fmt(ms)} ms after ` +
          `the network; ICE restarts ${sa.mesh.iceRestarts}+${sb.mesh.iceRestarts}, fresh connections ` +
          `${sa.mesh.freshConnections}+${sb.mesh.freshConnections}; path ${before[0].kind} -> ${after}`);
    } finally {
      if (!lifted) lift();
    }
  } finally {
    await closeAll(pages);
  }
}

// ---- 3. coturn capacity --------------------------------------------------------------------

const procCpuSeconds = (pid) => {
  const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) / 100; // utime, stime (fields 14, 15), clock ticks of 1/100 s
};
const childrenCpuSeconds = () => {
  const f = fs.readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
  return (Number(f[13]) + Number(f[14])) / 100; // cutime, cstime: reaped children
};
const procStatusKb = (pid, key) => Number((new RegExp(`${key}:\\s+(\\d+)`).exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8')) || [])[1]);
const openFds = (pid) => fs.readdirSync(`/proc/${pid}/fd`).length;
// The kernel's UDP counters (/proc/net/snmp, this network namespace's): where lost datagrams went.
const udpCounters = () => {
  const lines = fs.readFileSync('/proc/net/snmp', 'utf8').split('\n').filter((l) => l.startsWith('Udp:'));
  const [names, values] = lines.map((l) => l.split(/\s+/).slice(1));
  return Object.fromEntries(names.map((n, i) => [n, Number(values[i])]));
};

// coturn as startTurn runs it, plus: relay ports above the ephemeral range, its user database in
// the scratch directory (not /var/lib/turn).
async function startCoturn(dir) {
  fs.writeFileSync(path.join(dir, 'turnserver.conf'), `use-auth-secret\nstatic-auth-secret=${SECRET}\n`, { mode: 0o600 });
  const ephemeralMax = Number(fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[1]);
  const minPort = Math.min(ephemeralMax + 1, 61000), maxPort = 65535;
  const port = await freePort();
  const child = spawn('turnserver', [
    '-c', path.join(dir, 'turnserver.conf'), '--listening-ip=127.0.0.1', '--relay-ip=127.0.0.1',
    `--listening-port=${port}`, `--min-port=${minPort}`, `--max-port=${maxPort}`, '--allow-loopback-peers',
    '--realm=peddlenet', '--fingerprint', '--no-cli', '--no-tls', '--no-dtls', '--no-multicast-peers',
    '--log-file=stdout', '--simple-log', `--pidfile=${path.join(dir, 'turnserver.pid')}`,
    `--userdb=${path.join(dir, 'turndb')}`,
  ], { stdio: ['ignore', 'ignore', 'ignore'] });
  const listening = () => new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => { socket.destroy(); resolve(true); });
    socket.on('error', () => resolve(false));
  });
  const deadline = Date.now() + 10000;
  while (!await listening()) {
    if (child.exitCode !== null) throw new Error(`turnserver exited (${child.exitCode})`);
    if (Date.now() > deadline) { child.kill('SIGKILL'); throw new Error('turnserver did not start'); }
    await sleep(50);
  }
  return { port, child, minPort, maxPort };
}

async function stopChild(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
  await exited;
  clearTimeout(timer);
}

// One uclient process: resolves with its output and whether it finished on its own.
function uclient(port, clients) {
  const child = spawn('turnutils_uclient', [
    '-v', '-y', '-c', '-m', String(clients), '-n', String(TURN_MESSAGES), '-l', String(TURN_BYTES),
    '-W', SECRET, '-u', 'festival', '-p', String(port), '127.0.0.1',
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { out += d; });
  const done = new Promise((resolve) => child.once('close', (code, signal) => resolve({ out, code, signal })));
  return { child, done };
}

function parseUclient(out) {
  const last = (re) => { let m, r = null; re.lastIndex = 0; while ((m = re.exec(out))) r = m; return r; };
  const totals = last(/tot_send_msgs=(\d+), tot_recv_msgs=(\d+)/g);
  const transmit = last(/Total transmit time is (\d+)/g);
  const connect = last(/Total connect time is (\d+)/g);
  const lost = last(/Total lost packets (\d+)/g);
  const rtt = last(/Average round trip delay ([\d.]+) ms; min = (\d+) ms, max = (\d+) ms/g);
  return {
    relays: new Set([...out.matchAll(/Received relay addr: (\S+)/g)].map((m) => m[1])),
    errors: [...out.matchAll(/error (\d{3})/g)].map((m) => m[1]),
    sent: totals ? Number(totals[1]) : 0,
    received: totals ? Number(totals[2]) : 0,
    transmitS: transmit ? Number(transmit[1]) : NaN,
    connectS: connect ? Number(connect[1]) : NaN,
    lost: lost ? Number(lost[1]) : NaN,
    rttMs: rtt ? Number(rtt[1]) : NaN,
    rttMaxMs: rtt ? Number(rtt[3]) : NaN,
  };
}

async function capacityStep(turn, clients) {
  const pid = turn.child.pid;
  const sizes = [];
  for (let left = clients; left > 0; left -= CLIENTS_PER_PROCESS) sizes.push(Math.min(CLIENTS_PER_PROCESS, left));
  const cpu0 = procCpuSeconds(pid), load0 = childrenCpuSeconds(), fds0 = openFds(pid), udp0 = udpCounters(), t0 = Date.now();
  const runs = sizes.map((n) => uclient(turn.port, n));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    for (const r of runs) if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGTERM');
    setTimeout(() => { for (const r of runs) if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGKILL'); }, 3000).unref();
  }, STEP_LIMIT_MS);
  const results = await Promise.all(runs.map((r) => r.done));
  clearTimeout(timer);
  const wallMs = Date.now() - t0;
  const cpu = procCpuSeconds(pid) - cpu0, loadCpu = childrenCpuSeconds() - load0;
  const udp1 = udpCounters();
  const udpDrops = ['RcvbufErrors', 'SndbufErrors', 'InErrors'].map((k) => `${udp1[k] - udp0[k]}`).join(' / ');
  const fdsAfter = openFds(pid), rssKb = procStatusKb(pid, 'VmRSS'), hwmKb = procStatusKb(pid, 'VmHWM');
  const parsed = results.map((r) => parseUclient(r.out));
  const relays = new Set();
  for (const p of parsed) for (const r of p.relays) relays.add(r);
  const sum = (k) => parsed.reduce((s, p) => s + p[k], 0);
  const max = (k) => Math.max(...parsed.map((p) => p[k]));
  const errorCodes = counts(parsed.flatMap((p) => p.errors));
  const finished = results.filter((r) => r.code === 0).length;
  return {
    clients, processes: sizes.length, finished, timedOut, wallMs, relays: relays.size, errorCodes,
    sent: sum('sent'), received: sum('received'), lost: sum('lost'), transmitS: max('transmitS'), connectS: max('connectS'),
    rttMs: quantile(parsed.map((p) => p.rttMs).filter(Number.isFinite), 0.5), rttMaxMs: max('rttMaxMs'),
    cpu, loadCpu, rssKb, hwmKb, fds0, fdsAfter, udpDrops,
  };
}

async function capacity() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'peddlenet-festival-turn-'));
  const turn = await startCoturn(dir);
  const rows = [];
  try {
    const idleRss = procStatusKb(turn.child.pid, 'VmRSS');
    for (const clients of CLIENTS) {
      log(`coturn capacity: ${clients} clients...`);
      const r = await capacityStep(turn, clients);
      log(`  ${clients} clients: ${r.relays} allocations, sent ${r.sent}, received ${r.received}, coturn CPU ${r.cpu.toFixed(2)} s, ` +
          `RSS ${r.rssKb} kB, ${r.finished}/${r.processes} uclient processes finished${r.timedOut ? ' (step limit hit)' : ''}`);
      rows.push(r);
      await sleep(2000);
    }
    return { rows, idleRss, turn };
  } finally {
    await stopChild(turn.child);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// ---- main ----------------------------------------------------------------------------------

// A run that threw (a page that never linked, a timeout): counted as failed, the bench goes on.
function failedRun(into, label, run, e) {
  into.failed += 1;
  log(`  ${label} run ${run + 1}: failed: ${String(e && e.message || e).split('\n')[0]}`);
}

async function main() {
  const loadStart = loadavg();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'peddlenet-festival-'));
  fs.writeFileSync(path.join(dir, 'secret'), `${SECRET}\n`, { mode: 0o600 });
  const link = {};
  for (const mode of ['direct', 'stun', 'relayed']) link[mode] = { ms: [], paths: [], kinds: [], failed: 0 };
  const outage = {};
  for (const mode of ['direct', 'relayed']) outage[mode] = { ms: [], down: [], restarts: [], fresh: [], paths: [], lost: 0, failed: 0 };
  const canCut = isolated();
  let turnPort = 0;

  const turn = await startTurn(SECRET);
  turnPort = turn.port;
  const browser = await launchBrowser();
  const plain = await startServer();
  const boxed = await startServer(['--turn-port', String(turn.port), '--turn-secret-file', path.join(dir, 'secret')]);
  try {
    log(`1. time to open a link (${RUNS} runs per path)`);
    for (let run = 0; run < RUNS; ++run) {
      await linkRun(browser, plain, 'direct', run, link.direct).catch((e) => failedRun(link.direct, 'direct', run, e));
      await linkRun(browser, plain, 'stun', run, link.stun, `stun:127.0.0.1:${turn.port}`)
        .catch((e) => failedRun(link.stun, 'stun', run, e));
      await linkRun(browser, boxed, 'relayed', run, link.relayed).catch((e) => failedRun(link.relayed, 'relayed', run, e));
    }
    if (canCut) {
      log(`2. network back -> chat back (${OUTAGE_RUNS} runs per path, UDP cut ${OUTAGE_MS / 1000} s)`);
      for (let run = 0; run < OUTAGE_RUNS; ++run) {
        await outageRun(browser, plain, 'direct', run, outage.direct).catch((e) => failedRun(outage.direct, 'direct outage', run, e));
        await outageRun(browser, boxed, 'relayed', run, outage.relayed).catch((e) => failedRun(outage.relayed, 'relayed outage', run, e));
      }
    } else {
      log('2. skipped: not in a loopback-only network namespace (run scripts/bench/festival.sh as root)');
    }
  } finally {
    await browser.close();
    await plain.stop();
    await boxed.stop();
    await turn.stop();
  }

  log('3. coturn capacity (turnutils_uclient)');
  const cap = await capacity();
  fs.rmSync(dir, { recursive: true, force: true });
  const loadEnd = loadavg();

  // ---- tables ----
  console.log(`\nFestival box on 127.0.0.1: real app pages in headless Chromium, the real server, coturn ` +
              `${execFileSync('turnserver', ['--version'], { encoding: 'utf8' }).trim()}; ${os.cpus().length} cores; ` +
              `load average (/proc/loadavg) ${loadStart} at the start, ${loadEnd} at the end\n`);
  console.log(`Time to open a link: from B's join until both pages show it open (link proof included), ${RUNS} runs per path\n`);
  row('path set up', 'p50 / p90 / min / max (ms)', 'runs ok / failed', 'path kind seen (A+B per run)', 'candidates (local/remote protocol), both pages');
  row('---', '---:', '---:', '---', '---');
  const linkRow = (label, r) => row(label, stats(r.ms), `${r.ms.length} / ${r.failed}`, counts(r.kinds), counts(r.paths.map((p) => p.replace(/^\S+ /, ''))));
  linkRow('(a) direct: plain server, no ICE servers', link.direct);
  linkRow(`(b) box's STUN: plain server, setIceServers("stun:127.0.0.1:${turnPort}")`, link.stun);
  linkRow('(c) relayed by coturn: --turn-port/--turn-secret-file, setRelayOnly(true)', link.relayed);

  console.log(`\nNetwork back -> chat back: UDP dropped on arrival (nftables, input hook) for ${OUTAGE_MS / 1000} s, a message ` +
              `sent during the cut; ms from the lift until the other page has it, ${OUTAGE_RUNS} runs per path\n`);
  if (!canCut) {
    console.log('not measured: this process is not in a loopback-only network namespace (festival.sh makes one as root)');
  } else {
    row('path', 'chat back p50 / p90 / min / max (ms)', 'lost (not back in 30 s) / runs failed otherwise', 'link seen down after cut p50 (ms)',
        'ICE restarts A+B per run', 'fresh connections A+B per run', 'path before -> after');
    row('---', '---:', '---:', '---:', '---', '---', '---');
    for (const mode of ['direct', 'relayed']) {
      const o = outage[mode];
      row(mode, stats(o.ms), `${o.lost} / ${o.failed}`, fmt(quantile(o.down, 0.5)), o.restarts.join(', ') || '-', o.fresh.join(', ') || '-', counts(o.paths));
    }
  }

  console.log(`\ncoturn capacity under turnutils_uclient -y -c (client to client through two relay allocations: coturn ` +
              `handles each message twice), ${TURN_MESSAGES} messages of ${TURN_BYTES} B per client every 20 ms, ` +
              `-W secret -u user (TURN REST API credentials), uclient processes of <= ${CLIENTS_PER_PROCESS} clients, ` +
              `each step <= ${STEP_LIMIT_MS / 1000} s; relay ports ${cap.turn.minPort}-${cap.turn.maxPort}; coturn RSS idle ${cap.idleRss} kB\n`);
  row('clients', 'allocations ok', 'TURN errors', 'uclient done / processes', 'setup (s)', 'transmit (s)', 'messages sent / received',
      'loss', 'received msg/s', 'received Mbit/s', 'RTT avg / max (ms)', 'coturn CPU s (% of a core over the step)',
      'coturn CPU us per relayed message', 'load tool CPU s', 'coturn RSS after / peak (kB)', 'coturn fds before / after',
      'kernel UDP RcvbufErrors / SndbufErrors / InErrors');
  row('---:', '---:', '---', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:');
  for (const r of cap.rows) {
    const loss = r.sent ? `${((1 - r.received / r.sent) * 100).toFixed(2)} %` : 'n/a';
    const rate = r.transmitS > 0 ? r.received / r.transmitS : NaN;
    row(r.clients, r.relays, r.errorCodes, `${r.finished} / ${r.processes}${r.timedOut ? ' (limit hit)' : ''}`, fmt(r.connectS),
        fmt(r.transmitS), `${r.sent} / ${r.received}`, loss, fmt(rate), (rate * TURN_BYTES * 8 / 1e6).toFixed(2),
        `${r.rttMs.toFixed(3)} / ${r.rttMaxMs}`, `${r.cpu.toFixed(2)} (${((r.cpu / (r.wallMs / 1000)) * 100).toFixed(0)} % over ${(r.wallMs / 1000).toFixed(1)} s)`,
        r.received ? fmt((r.cpu * 1e6) / r.received) : 'n/a', r.loadCpu.toFixed(2), `${r.rssKb} / ${r.hwmKb}`, `${r.fds0} / ${r.fdsAfter}`, r.udpDrops);
  }
  console.log('\nallocations ok: distinct relay addresses uclient received; -y makes three per pair of clients (two it ' +
              'keeps, one short-lived probe: start_c2c_connection\'s clnet_info_probe), so 1.5 per client. setup and ' +
              'transmit are uclient\'s own whole-second clocks (the slowest process); msg/s = messages received / transmit ' +
              'time. TURN errors: codes uclient logged (437 is an allocation it retried).');
}

main().catch((e) => { console.error(e); process.exit(1); });
