// Signaling benchmark: PeddleNet's server vs the PeerJS server vs a minimal Socket.IO room
// server, side by side in one run, on 127.0.0.1 only. Prints figures; not a pass/fail test.
// Our server speaks protocol v2: worker.js gives each of its clients an Ed25519 key (made before
// the clock starts) and signs every join over the connection's challenge, as the app does.
// Scenarios (see docs/BENCHMARKS.md):
//   idle   N connections (rooms of 5 where the server has rooms): server RSS, time to connect
//   relay  500 clients in rooms of 5 send ~1 KiB signals to a random room peer at R msg/s:
//          delivered/sent, latency p50/p99/max, server CPU per delivered message
//   storm  2000 clients join rooms of 5 at once: time until all know their room
// Entry point: scripts/bench/signaling.sh (installs and builds what is missing). Direct use:
//        node scripts/bench/signaling.js [--runs 3] [--servers ours,peerjs,socketio]
//          [--scenarios idle,relay,storm] [--idle 1000,10000,20000] [--rates 10000,20000,40000]
//          [--relay-seconds 5] [--out FILE.json]
'use strict';
require('./require_tools')('signaling', { modules: ['ws', 'peer', 'socket.io'], server: true });
const { spawn, fork } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const repo = path.resolve(__dirname, '..', '..');
const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => {
  if (a.startsWith('--')) acc.push([a.slice(2), all[i + 1]]);
  return acc;
}, []));
const list = (s, d) => (s || d).split(',').filter(Boolean);
const config = {
  runs: Number(args.runs || 3),
  servers: list(args.servers, 'ours,peerjs,socketio'),
  scenarios: list(args.scenarios, 'idle,relay,storm'),
  idle: list(args.idle, '1000,10000,20000').map(Number),
  rates: list(args.rates, '10000,20000,40000').map(Number),
  relaySeconds: Number(args['relay-seconds'] || 5),
  out: args.out || path.join(repo, 'build', 'bench', 'signaling.json'),
  binary: process.env.PEDDLENET_SERVER || path.join(repo, 'build/native/src/server/peddlenet-server'),
};
const ROOM = 5;
const PER_WORKER = 5000; // sockets per load-generator process (each has its own fd limit)
const TICKS = 100; // /proc/PID/stat clock ticks per second (Linux USER_HZ)

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

function procStats(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const user = Number(f[11]) / TICKS; // utime, seconds
  const sys = Number(f[12]) / TICKS; // stime, seconds (the kernel's TCP work on our behalf)
  const cpu = user + sys;
  const rss = Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) * 1024;
  return { cpu, user, sys, rss };
}

async function startServer(kind) {
  const port = await freePort();
  let cmd;
  let argv;
  if (kind === 'ours') {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'peddlenet-bench-'));
    fs.writeFileSync(path.join(root, 'index.html'), 'bench');
    cmd = config.binary;
    argv = ['--root', root, '--port', String(port), '--host', '127.0.0.1', '--no-qr', '--log-level', 'warn'];
  } else {
    cmd = process.execPath;
    argv = [path.join(__dirname, `${kind === 'peerjs' ? 'peerjs' : 'socketio'}-server.js`), String(port)];
  }
  const proc = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'], cwd: repo });
  let out = '';
  let err = '';
  proc.stderr.on('data', (d) => { err += d; if (err.length > 100000) err = err.slice(-50000); });
  await new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${kind} did not start: ${err}`)), 10000);
    proc.stdout.on('data', (d) => {
      out += d;
      if (/READY|localhost:\d+/.test(out)) { clearTimeout(t); resolve(); }
    });
    proc.on('exit', (code) => { clearTimeout(t); reject(new Error(`${kind} exited ${code}: ${err}`)); });
  });
  await sleep(300);
  return {
    kind, port, proc, pid: proc.pid,
    get stderr() { return err; },
    async stop() {
      const exited = new Promise((r) => proc.once('exit', r));
      try { process.kill(proc.pid, 'SIGKILL'); } catch { /* gone */ }
      await exited;
    },
  };
}

// Forks `n` load generators against `server`; each gets its own loopback source address.
async function workers(server, n, extra = {}) {
  const ws = [];
  for (let i = 0; i < n; i++) {
    const w = fork(path.join(__dirname, 'worker.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    w.ask = (msg, event) => new Promise((resolve) => {
      const on = (m) => { if (m.event === event) { w.off('message', on); resolve(m); } };
      w.on('message', on);
      w.send(msg);
    });
    await w.ask({ cmd: 'init', opts: { kind: server.kind, host: '127.0.0.1', port: server.port,
      localAddress: `127.0.0.${10 + i}`, roomSize: ROOM, ...extra } }, 'init');
    ws.push(w);
  }
  ws.closeAll = async () => {
    await Promise.all(ws.map((w) => new Promise((r) => { w.once('exit', r); w.send({ cmd: 'close' }); setTimeout(() => { try { w.kill('SIGKILL'); } catch {} r(); }, 5000); })));
  };
  return ws;
}

// Clients [{id, room}] for `n` connections in rooms of 5, split so rooms never span workers.
function plan(n, nWorkers, tag) {
  const parts = Array.from({ length: nWorkers }, () => []);
  for (let i = 0; i < n; i++) {
    const room = Math.floor(i / ROOM);
    parts[room % nWorkers].push({ id: `${tag}${i}`, room: `room${tag}${room}` });
  }
  return parts;
}

function mergeFailures(results) {
  const all = {};
  for (const r of results) for (const [k, v] of Object.entries(r.failures)) all[k] = (all[k] || 0) + v;
  return all;
}

async function idle(kind, n) {
  const server = await startServer(kind);
  const nw = Math.max(1, Math.ceil(n / PER_WORKER));
  const w = await workers(server, nw, { completeRooms: false });
  const base = procStats(server.pid);
  const parts = plan(n, nw, 'i');
  const res = await Promise.all(w.map((x, i) => x.ask({ cmd: 'connect', list: parts[i], concurrency: 256, timeoutMs: 15000 }, 'connected')));
  await sleep(1500);
  const counts = await Promise.all(w.map((x) => x.ask({ cmd: 'count' }, 'count')));
  const held = counts.reduce((a, c) => a + c.alive, 0);
  const now = procStats(server.pid);
  const ok = res.reduce((a, r) => a + r.ok, 0);
  const out = {
    kind, scenario: 'idle', n, connected: ok, held, load: os.loadavg()[0],
    failures: mergeFailures(res),
    connectMs: Math.max(...res.map((r) => r.totalMs)),
    rssMB: now.rss / 1048576,
    rssBaseMB: base.rss / 1048576,
    bytesPerConn: held > 0 ? (now.rss - base.rss) / held : null,
  };
  await w.closeAll();
  await server.stop();
  return out;
}

function percentile(sorted, p) {
  if (!sorted.length) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function relay(kind, rate) {
  const server = await startServer(kind);
  const nw = 2;
  const w = await workers(server, nw, { completeRooms: true });
  const parts = plan(500, nw, 'r');
  const res = await Promise.all(w.map((x, i) => x.ask({ cmd: 'connect', list: parts[i], concurrency: 100, timeoutMs: 15000 }, 'connected')));
  const ok = res.reduce((a, r) => a + r.ok, 0);
  await sleep(500);
  const before = procStats(server.pid);
  const per = rate / nw;
  const rel = await Promise.all(w.map((x) => x.ask({ cmd: 'relay', rate: per, durationMs: config.relaySeconds * 1000, drainMs: 2000 }, 'relayed')));
  const after = procStats(server.pid);
  const sent = rel.reduce((a, r) => a + r.sent, 0);
  const received = rel.reduce((a, r) => a + r.received, 0);
  const lat = rel.flatMap((r) => r.latencies).sort((a, b) => a - b);
  const sendMs = Math.max(...rel.map((r) => r.sendMs));
  const out = {
    kind, scenario: 'relay', rate, clients: ok, sent, received, load: os.loadavg()[0],
    achievedRate: sent / (sendMs / 1000),
    deliveredRatio: sent ? received / sent : null,
    p50ms: percentile(lat, 50), p99ms: percentile(lat, 99), maxms: lat.length ? lat[lat.length - 1] : null,
    cpuUsPerMsg: received ? ((after.cpu - before.cpu) * 1e6) / received : null,
    // The kernel's share: on loopback a send also runs the receiving socket's TCP input.
    kernelUsPerMsg: received ? ((after.sys - before.sys) * 1e6) / received : null,
    cpuSeconds: after.cpu - before.cpu,
    userShare: after.cpu > before.cpu ? (after.user - before.user) / (after.cpu - before.cpu) : null,
    disconnected: rel.reduce((a, r) => a + r.disconnected, 0),
  };
  await w.closeAll();
  await server.stop();
  return out;
}

async function storm(kind) {
  const server = await startServer(kind);
  const nw = 2;
  const w = await workers(server, nw, { completeRooms: true });
  const parts = plan(2000, nw, 's');
  const res = await Promise.all(w.map((x, i) => x.ask({ cmd: 'connect', list: parts[i], concurrency: 1e9, timeoutMs: 30000 }, 'connected')));
  const out = {
    kind, scenario: 'storm', n: 2000, load: os.loadavg()[0],
    ready: res.reduce((a, r) => a + r.ok, 0),
    failures: mergeFailures(res),
    allReadyMs: Math.max(...res.map((r) => r.ms)),
    note: kind === 'peerjs' ? 'no rooms: ready = registered (OPEN)' : 'ready = knows all 4 room peers',
  };
  await w.closeAll();
  await server.stop();
  return out;
}

function median(xs) {
  const v = xs.filter((x) => x !== null && x !== undefined && !Number.isNaN(x)).sort((a, b) => a - b);
  if (!v.length) return null;
  return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
}

function summarize(results) {
  const groups = new Map();
  for (const r of results) {
    const key = `${r.scenario}|${r.n ?? r.rate}|${r.kind}`;
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(r);
  }
  const rows = [];
  for (const [key, rs] of groups) {
    const [scenario, param, kind] = key.split('|');
    const row = { scenario, param: Number(param), kind, runs: rs.length };
    for (const field of Object.keys(rs[0])) {
      if (typeof rs[0][field] === 'number') row[field] = median(rs.map((r) => r[field]));
    }
    row.failures = rs.map((r) => r.failures).filter(Boolean).map((f) => Object.entries(f).map(([k, v]) => `${k}×${v}`).join(', ')).filter(Boolean);
    rows.push(row);
  }
  return rows;
}

const f = (x, d = 1) => (x === null || x === undefined ? '—' : Number(x).toFixed(d));

function markdown(rows) {
  const names = { ours: 'PeddleNet', peerjs: 'PeerJS', socketio: 'Socket.IO' };
  let md = '';
  const idleRows = rows.filter((r) => r.scenario === 'idle');
  if (idleRows.length) {
    md += '| idle connections | server | held | connect all (s) | RSS (MB) | bytes per connection | failures (median run) |\n|---|---|---|---|---|---|---|\n';
    for (const r of idleRows) md += `| ${r.param} | ${names[r.kind]} | ${f(r.held, 0)} | ${f(r.connectMs / 1000, 2)} | ${f(r.rssMB)} | ${f(r.bytesPerConn, 0)} | ${r.failures[Math.floor(r.failures.length / 2)] || '—'} |\n`;
    md += '\n';
  }
  const relayRows = rows.filter((r) => r.scenario === 'relay');
  if (relayRows.length) {
    md += '| relay rate (msg/s) | server | achieved (msg/s) | delivered/sent | p50 (ms) | p99 (ms) | max (ms) | server CPU per message (µs) | of which kernel (µs) |\n|---|---|---|---|---|---|---|---|---|\n';
    for (const r of relayRows) md += `| ${r.param} | ${names[r.kind]} | ${f(r.achievedRate, 0)} | ${f(r.deliveredRatio * 100, 2)} % | ${f(r.p50ms, 2)} | ${f(r.p99ms, 2)} | ${f(r.maxms, 1)} | ${f(r.cpuUsPerMsg, 2)} | ${f(r.kernelUsPerMsg, 2)} |\n`;
    md += '\n';
  }
  const stormRows = rows.filter((r) => r.scenario === 'storm');
  if (stormRows.length) {
    md += '| join storm | server | ready | time until all ready (ms) |\n|---|---|---|---|\n';
    for (const r of stormRows) md += `| 2000 clients, rooms of 5 | ${names[r.kind]}${r.kind === 'peerjs' ? ' (no rooms: registered)' : ''} | ${f(r.ready, 0)} | ${f(r.allReadyMs, 0)} |\n`;
  }
  return md;
}

async function main() {
  const t0 = Date.now();
  const results = [];
  const log = (r) => { results.push(r); console.log(JSON.stringify(r)); };
  console.log(`# signaling benchmark: ${JSON.stringify({ ...config })}`);
  for (let run = 1; run <= config.runs; run++) {
    console.log(`# run ${run}/${config.runs} (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
    for (const scenario of config.scenarios) {
      const params = scenario === 'idle' ? config.idle : scenario === 'relay' ? config.rates : [2000];
      for (const p of params) {
        for (const kind of config.servers) {
          try {
            if (scenario === 'idle') log(await idle(kind, p));
            else if (scenario === 'relay') log(await relay(kind, p));
            else log(await storm(kind));
          } catch (e) {
            console.log(`# ${kind} ${scenario} ${p} failed: ${e.message}`);
          }
        }
      }
    }
  }
  const rows = summarize(results);
  fs.mkdirSync(path.dirname(config.out), { recursive: true });
  fs.writeFileSync(config.out, JSON.stringify({ config, machine: { cpus: os.cpus().length, model: os.cpus()[0].model, node: process.version }, results, medians: rows }, null, 2));
  console.log(`\n# medians of ${config.runs} run(s), ${((Date.now() - t0) / 1000).toFixed(0)} s in all; raw results in ${config.out}\n`);
  console.log(markdown(rows));
}

main().catch((e) => { console.error(e); process.exit(1); });
