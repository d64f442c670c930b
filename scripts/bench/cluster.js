// Cluster benchmark: PeddleNet's server as 1, 2 and 3 nodes sharing rooms over Redis
// (`peddlenet-server --redis redis://...`) against Socket.IO 4.8.4 with @socket.io/redis-adapter
// 8.3.0 as 1, 2 and 3 nodes on the same kind of Redis, side by side in one run, on 127.0.0.1
// only. Each system also runs alone (one process, no Redis) as the baseline: the difference is
// the cost of being a node. Prints figures; not a pass/fail test.
// Every measurement starts its own fresh redis-server (tests/integration/redis.js) and its own
// server processes on free ports, and stops all of them by PID when it ends, also on error.
// Clients are spread round-robin over the nodes, so the 5 members of a room sit on different
// nodes; the load generators are those of the signaling benchmark (worker.js: protocol v2 with
// signed joins for ours, Engine.IO v4 spoken directly for Socket.IO).
// Scenarios (see docs/BENCHMARKS.md, "Signaling cluster"):
//   storm  2000 clients join rooms of 5 at once: time until every client knows its 4 room peers
//   relay  500 clients in rooms of 5 send ~1 KiB signals to a random room peer at R signals/s:
//          delivered/sent, latency p50/p99, CPU per delivered signal of all nodes + redis-server,
//          Redis's share of it, Redis's traffic per signal
//   idle   N idle connections in rooms of 5: RSS growth per connection summed over the nodes,
//          redis-server's RSS growth apart
// PeddleNet's cluster rows need a binary with --redis (checked with --help); without it only
// "PeddleNet alone" runs and a note says why the cluster rows are missing.
// Entry point: scripts/bench/cluster.sh (installs and builds what is missing). Direct use:
//        node scripts/bench/cluster.js [--runs 3] [--systems ours,socketio] [--nodes 1,2,3]
//          [--standalone yes|no] [--scenarios storm,relay,idle] [--storm 2000]
//          [--rates 10000,20000] [--relay-seconds 5] [--idle 10000] [--pace-ms N] [--out FILE.json]
//        --pace-ms passes PeddleNet's nodes --pace-ms N (0: an event-loop turn per event)
'use strict';
require('./require_tools')('cluster', {
  modules: ['ws', 'socket.io', '@socket.io/redis-adapter', 'redis'],
  commands: ['redis-server', 'redis-cli'],
  server: true,
});
const { spawn, spawnSync, fork } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { startRedis } = require('../../tests/integration/redis');
const { quantile } = require('../../tests/e2e/page_mesh');

const repo = path.resolve(__dirname, '..', '..');
const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => {
  if (a.startsWith('--')) acc.push([a.slice(2), all[i + 1]]);
  return acc;
}, []));
const list = (s, d) => String(s || d).split(',').filter(Boolean);
const config = {
  runs: Number(args.runs || 3),
  systems: list(args.systems, 'ours,socketio'),
  nodes: list(args.nodes, '1,2,3').map(Number),
  standalone: (args.standalone || 'yes') !== 'no',
  scenarios: list(args.scenarios, 'storm,relay,idle'),
  storm: list(args.storm, '2000').map(Number),
  rates: list(args.rates, '10000,20000').map(Number),
  relaySeconds: Number(args['relay-seconds'] || 5),
  idle: list(args.idle, '10000').map(Number),
  paceMs: args['pace-ms'] === undefined ? null : Number(args['pace-ms']), // ours; default: the server's
  out: args.out || path.join(repo, 'build', 'bench', 'cluster.json'),
  binary: process.env.PEDDLENET_SERVER || path.join(repo, 'build/native/src/server/peddlenet-server'),
};
for (const s of config.systems) if (!['ours', 'socketio'].includes(s)) throw new Error(`unknown system ${s}`);
for (const s of config.scenarios) if (!['storm', 'relay', 'idle'].includes(s)) throw new Error(`unknown scenario ${s}`);
for (const n of config.nodes) if (!(n >= 1 && n <= 8)) throw new Error(`--nodes: 1 to 8, not ${n}`);
const ROOM = 5;
const PER_WORKER = 5000; // sockets per load-generator process (each has its own fd limit)
const TICKS = 100; // /proc/PID/stat clock ticks per second (Linux USER_HZ)

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Every process this run starts, by PID, so that an error or a signal still ends them all.
const live = new Map(); // pid -> what
const roots = new Set(); // our servers' temporary --root folders
function killAll() {
  for (const pid of live.keys()) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
  live.clear();
  for (const dir of roots) fs.rmSync(dir, { recursive: true, force: true });
  roots.clear();
}
process.on('exit', killAll);
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => { killAll(); process.exit(130); });

// Does this binary know --redis? Until the clustering lands it exits with a usage error on it.
function oursHasRedis() {
  const r = spawnSync(config.binary, ['--help'], { encoding: 'utf8', timeout: 10000 });
  return `${r.stdout || ''}${r.stderr || ''}`.includes('--redis');
}

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

function procStats(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const user = Number(f[11]) / TICKS; // utime, seconds (all threads)
  const sys = Number(f[12]) / TICKS; // stime, seconds (the kernel's TCP work on our behalf)
  const rss = Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) * 1024;
  return { cpu: user + sys, user, sys, rss };
}

// One server process: ours (with --redis URL when given) or socketio-cluster-server.js.
async function startNode(kind, redisUrl) {
  const port = await freePort();
  let cmd;
  let argv;
  let root = null;
  if (kind === 'ours') {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'peddlenet-cluster-bench-'));
    roots.add(root);
    fs.writeFileSync(path.join(root, 'index.html'), 'bench');
    cmd = config.binary;
    argv = ['--root', root, '--port', String(port), '--host', '127.0.0.1', '--no-qr', '--log-level', 'warn'];
    if (redisUrl) argv.push('--redis', redisUrl);
    if (config.paceMs !== null) argv.push('--pace-ms', String(config.paceMs));
  } else {
    cmd = process.execPath;
    argv = [path.join(__dirname, 'socketio-cluster-server.js'), String(port)];
    if (redisUrl) argv.push(redisUrl);
  }
  const proc = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'], cwd: repo });
  if (proc.pid) live.set(proc.pid, `${kind} node :${port}`);
  const exited = new Promise((r) => {
    proc.once('exit', () => { live.delete(proc.pid); r(); });
    proc.once('error', () => { if (!proc.pid) r(); }); // never started: no exit to wait for
  });
  let out = '';
  let err = '';
  proc.stderr.on('data', (d) => { err += d; if (err.length > 100000) err = err.slice(-50000); });
  const node = {
    kind, port, proc, pid: proc.pid,
    get stderr() { return err; },
    async stop() {
      try { process.kill(proc.pid, 'SIGKILL'); } catch { /* gone */ }
      await exited;
      if (root) { fs.rmSync(root, { recursive: true, force: true }); roots.delete(root); }
    },
  };
  try {
    await new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`${kind} did not start: ${err}`)), 15000);
      proc.stdout.on('data', (d) => {
        out = (out + d).slice(-4000);
        if (/READY|localhost:\d+|127\.0\.0\.1:\d+/.test(out)) { clearTimeout(t); resolve(); }
      });
      proc.once('exit', (code) => { clearTimeout(t); reject(new Error(`${kind} exited ${code}: ${err.trim()}`)); });
      proc.once('error', (e) => { clearTimeout(t); reject(new Error(`${kind} did not start: ${e.message}`)); });
    });
  } catch (e) {
    await node.stop();
    throw e;
  }
  return node;
}

// A system to measure: { kind, nodes, redis }; redis false = one process alone.
const variantKey = (v) => `${v.kind}/${v.redis ? v.nodes : 'alone'}`;
const configKey = (v) => (v.redis ? `${v.nodes}` : 'alone');
const NAMES = { ours: 'PeddleNet', socketio: 'Socket.IO' };
const label = (v) => (v.redis ? `${NAMES[v.kind]} ×${v.nodes} + Redis` : `${NAMES[v.kind]} alone`);

async function startCluster(v) {
  const c = { v, redis: null, nodes: [] };
  try {
    if (v.redis) {
      c.redis = await startRedis();
      live.set(c.redis.pid, 'redis-server');
    }
    const started = await Promise.allSettled(
      Array.from({ length: v.nodes }, () => startNode(v.kind, c.redis && c.redis.url)));
    for (const s of started) if (s.status === 'fulfilled') c.nodes.push(s.value);
    const failed = started.find((s) => s.status === 'rejected');
    if (failed) throw failed.reason;
    await sleep(300);
  } catch (e) {
    await stopCluster(c);
    throw e;
  }
  c.ports = c.nodes.map((n) => n.port);
  return c;
}

async function stopCluster(c) {
  await Promise.allSettled(c.nodes.map((n) => n.stop()));
  for (const n of c.nodes) {
    const e = n.stderr.trim();
    if (e) console.log(`# ${label(c.v)}: node :${n.port} said on stderr: ${e.slice(0, 400).replace(/\n/g, ' | ')}`);
  }
  if (c.redis) {
    const pid = c.redis.pid;
    await Promise.race([c.redis.stop(), sleep(5000)]);
    try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
    live.delete(pid);
  }
}

// CPU and RSS of every node and of redis-server; Redis's own counters where there is one.
// The line of a node's stderr that says most: its error, else its last line.
function gist(text) {
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  return (lines.find((l) => /^\w*Error\b/.test(l)) || lines[lines.length - 1] || 'no output').slice(0, 200);
}

const dead = (n) => n.proc.exitCode !== null || n.proc.signalCode !== null;

// What went wrong inside the cluster during a measurement, kept with its result and listed
// under the tables: nodes that lost their Redis connection (Redis closes a pub/sub client whose
// unread output passes its limit, and what was queued for it is lost), nodes that died.
function incidents(c) {
  const out = [];
  const lost = c.nodes.reduce((a, n) => a + (n.stderr.match(/Socket closed unexpectedly/g) || []).length, 0);
  if (lost) out.push(`nodes lost their Redis connection ${lost}×`);
  for (const n of c.nodes) if (dead(n)) out.push(`node :${n.port} died: ${gist(n.stderr)}`);
  return out;
}

function clusterStats(c) {
  for (const n of c.nodes) if (dead(n)) throw new Error(`node :${n.port} died (${incidents(c).join('; ')})`);
  const nodes = c.nodes.map((n) => procStats(n.pid));
  const sum = (k) => nodes.reduce((a, s) => a + s[k], 0);
  const s = { nodesCpu: sum('cpu'), nodesSys: sum('sys'), nodesRss: sum('rss'), redisCpu: 0, redisSys: 0, redisRss: 0, info: {} };
  if (c.redis) {
    const r = procStats(c.redis.pid);
    s.redisCpu = r.cpu;
    s.redisSys = r.sys;
    s.redisRss = r.rss;
    for (const line of c.redis.cli('INFO', 'stats').split('\n')) {
      const m = /^(total_commands_processed|total_net_input_bytes|total_net_output_bytes):(\d+)/.exec(line.trim());
      if (m) s.info[m[1]] = Number(m[2]);
    }
  }
  return s;
}

// Waits until the cluster has finished the work of the last scenario step: nodes may still be
// writing to Redis after their clients got everything (a Socket.IO node delivers a signal to a
// local socket at once and publishes it to Redis too, queued behind the load), and that work
// belongs to the measurement. Quiet = no CPU tick of any process and no Redis command for
// 300 ms; at most 10 s. Returns the stats at that point and how long it waited.
async function settle(c) {
  const t0 = Date.now();
  let last = clusterStats(c);
  let quiet = 0;
  while (Date.now() - t0 < 10000) {
    await sleep(100);
    const now = clusterStats(c);
    const busy = now.nodesCpu + now.redisCpu - last.nodesCpu - last.redisCpu > 0.005 ||
      (now.info.total_commands_processed ?? 0) - (last.info.total_commands_processed ?? 0) > 1; // 1 = our INFO
    quiet = busy ? 0 : quiet + 1;
    last = now;
    if (quiet >= 3) break;
  }
  return { stats: last, settleMs: Date.now() - t0 };
}

function cpuDelta(before, after) {
  const nodes = after.nodesCpu - before.nodesCpu;
  const redis = after.redisCpu - before.redisCpu;
  const info = (k) => (after.info[k] ?? 0) - (before.info[k] ?? 0);
  return {
    nodes, redis, total: nodes + redis,
    sys: (after.nodesSys - before.nodesSys) + (after.redisSys - before.redisSys),
    redisCommands: info('total_commands_processed'),
    redisOutBytes: info('total_net_output_bytes'),
    redisInBytes: info('total_net_input_bytes'),
  };
}

// A fresh loopback source address for every load generator of the whole run: the clients of a
// measurement close first, so their ports stay in TIME_WAIT for 60 s, and with one address for
// all measurements the next one's 2000-10,000 connections would hunt for free ephemeral ports
// among them (connect times doubled, alternating from one measurement to the next).
let addressSeq = 0;
const nextAddress = () => { const i = addressSeq++; return `127.10.${Math.floor(i / 200) % 250}.${10 + (i % 200)}`; };

// Forks `n` load generators; each gets its own loopback source address.
async function workers(c, n, extra = {}) {
  const ws = [];
  ws.closeAll = async () => {
    await Promise.all(ws.map((w) => new Promise((r) => {
      if (w.exitCode !== null || w.signalCode !== null) return r();
      const t = setTimeout(() => { try { w.kill('SIGKILL'); } catch { /* gone */ } }, 5000);
      w.once('exit', () => { clearTimeout(t); r(); });
      try { w.send({ cmd: 'close' }); } catch { w.kill('SIGKILL'); }
    })));
  };
  try {
    for (let i = 0; i < n; i++) {
      const w = fork(path.join(__dirname, 'worker.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      live.set(w.pid, 'load generator');
      w.once('exit', () => live.delete(w.pid));
      ws.push(w);
      // Every answer has a deadline (the step's own bound plus a margin), so that a load
      // generator that hangs ends the measurement with an error instead of the run.
      w.ask = (msg, event) => new Promise((resolve, reject) => {
        const waves = msg.list ? Math.ceil(msg.list.length / Math.max(1, Math.min(msg.concurrency, msg.list.length))) : 0;
        const limitMs = 60000 + waves * (msg.timeoutMs || 0) + (msg.durationMs ? msg.durationMs + 60000 : 0);
        const on = (m) => { if (m.event === event) { done(); resolve(m); } };
        const gone = (code) => { done(); reject(new Error(`load generator exited ${code} during ${msg.cmd}`)); };
        const late = setTimeout(() => { done(); reject(new Error(`load generator gave no answer to ${msg.cmd} in ${limitMs / 1000} s`)); }, limitMs);
        const done = () => { clearTimeout(late); w.off('message', on); w.off('exit', gone); };
        w.on('message', on);
        w.once('exit', gone);
        w.send(msg);
      });
      await w.ask({ cmd: 'init', opts: { kind: c.v.kind, host: '127.0.0.1', port: c.ports[0],
        localAddress: nextAddress(), roomSize: ROOM, ...extra } }, 'init');
    }
  } catch (e) {
    await ws.closeAll();
    throw e;
  }
  return ws;
}

// Clients [{id, room, port}] for `n` connections in rooms of 5, split so rooms never span
// load generators (latency on one clock), and spread round-robin over the nodes' ports.
function plan(n, nWorkers, tag, ports) {
  const parts = Array.from({ length: nWorkers }, () => []);
  for (let i = 0; i < n; i++) {
    const room = Math.floor(i / ROOM);
    parts[room % nWorkers].push({ id: `${tag}${i}`, room: `room${tag}${room}`, port: ports[i % ports.length] });
  }
  return parts;
}

function mergeFailures(results) {
  const all = {};
  for (const r of results) for (const [k, v] of Object.entries(r.failures)) all[k] = (all[k] || 0) + v;
  return all;
}

function percentile(sorted, p) {
  if (!sorted.length) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

// Starts the cluster of `v`, runs `body(cluster)`, and stops everything whatever happens.
async function withCluster(v, body) {
  const c = await startCluster(v);
  const ws = [];
  try {
    const result = await body(c, async (n, extra) => { const w = await workers(c, n, extra); ws.push(w); return w; });
    result.incidents = incidents(c);
    return result;
  } finally {
    await Promise.allSettled(ws.map((w) => w.closeAll()));
    await stopCluster(c);
  }
}

const base = (v, scenario) => ({ system: v.kind, nodes: v.nodes, redis: v.redis, key: variantKey(v), label: label(v), scenario });

function storm(v, n) {
  return withCluster(v, async (c, workersOf) => {
    const w = await workersOf(2, { completeRooms: true });
    const parts = plan(n, w.length, 's', c.ports);
    const before = clusterStats(c);
    const res = await Promise.all(w.map((x, i) => x.ask({ cmd: 'connect', list: parts[i], concurrency: 1e9, timeoutMs: 30000 }, 'connected')));
    const load = os.loadavg()[0];
    const { stats, settleMs } = await settle(c);
    const cpu = cpuDelta(before, stats);
    return {
      ...base(v, 'storm'), n, load, settleMs,
      ready: res.reduce((a, r) => a + r.ok, 0),
      failures: mergeFailures(res),
      allReadyMs: Math.max(...res.map((r) => r.ms)),
      cpuSeconds: cpu.total,
      redisShare: cpu.total > 0 ? cpu.redis / cpu.total : null,
      redisCommands: cpu.redisCommands,
    };
  });
}

function relay(v, rate) {
  return withCluster(v, async (c, workersOf) => {
    const w = await workersOf(2, { completeRooms: true });
    const parts = plan(500, w.length, 'r', c.ports);
    const res = await Promise.all(w.map((x, i) => x.ask({ cmd: 'connect', list: parts[i], concurrency: 100, timeoutMs: 30000 }, 'connected')));
    const ok = res.reduce((a, r) => a + r.ok, 0);
    await sleep(500);
    const before = clusterStats(c);
    const per = rate / w.length;
    const rel = await Promise.all(w.map((x) => x.ask({ cmd: 'relay', rate: per, durationMs: config.relaySeconds * 1000, drainMs: 2000 }, 'relayed')));
    const load = os.loadavg()[0];
    const { stats, settleMs } = await settle(c);
    const cpu = cpuDelta(before, stats);
    const sent = rel.reduce((a, r) => a + r.sent, 0);
    const received = rel.reduce((a, r) => a + r.received, 0);
    const lat = rel.flatMap((r) => r.latencies).sort((a, b) => a - b);
    const sendMs = Math.max(...rel.map((r) => r.sendMs));
    const per1 = (x) => (received ? (x * 1e6) / received : null); // seconds -> µs per signal
    return {
      ...base(v, 'relay'), rate, clients: ok, sent, received, load, settleMs,
      failures: mergeFailures(res),
      achievedRate: sent / (sendMs / 1000),
      deliveredRatio: sent ? received / sent : null,
      p50ms: percentile(lat, 50), p99ms: percentile(lat, 99), maxms: lat.length ? lat[lat.length - 1] : null,
      cpuUsPerMsg: per1(cpu.total), // all nodes + redis-server, per delivered signal
      nodesUsPerMsg: per1(cpu.nodes),
      redisUsPerMsg: per1(cpu.redis),
      kernelUsPerMsg: per1(cpu.sys),
      redisShare: cpu.total > 0 ? cpu.redis / cpu.total : null,
      cpuSeconds: cpu.total,
      redisCommandsPerMsg: received ? cpu.redisCommands / received : null,
      redisOutBytesPerMsg: received ? cpu.redisOutBytes / received : null,
      redisInBytesPerMsg: received ? cpu.redisInBytes / received : null,
      disconnected: rel.reduce((a, r) => a + r.disconnected, 0),
    };
  });
}

function idle(v, n) {
  return withCluster(v, async (c, workersOf) => {
    const w = await workersOf(Math.max(1, Math.ceil(n / PER_WORKER)), { completeRooms: false });
    const parts = plan(n, w.length, 'i', c.ports);
    const before = clusterStats(c);
    const res = await Promise.all(w.map((x, i) => x.ask({ cmd: 'connect', list: parts[i], concurrency: 256, timeoutMs: 30000 }, 'connected')));
    await sleep(1500);
    const counts = await Promise.all(w.map((x) => x.ask({ cmd: 'count' }, 'count')));
    const held = counts.reduce((a, x) => a + x.alive, 0);
    const now = clusterStats(c);
    return {
      ...base(v, 'idle'), n, load: os.loadavg()[0],
      connected: res.reduce((a, r) => a + r.ok, 0), held,
      failures: mergeFailures(res),
      connectMs: Math.max(...res.map((r) => r.totalMs)),
      nodesRssMB: now.nodesRss / 1048576,
      nodesRssBaseMB: before.nodesRss / 1048576, // before the first client
      bytesPerConn: held > 0 ? (now.nodesRss - before.nodesRss) / held : null,
      redisRssMB: c.redis ? now.redisRss / 1048576 : null,
      redisGrowthMB: c.redis ? (now.redisRss - before.redisRss) / 1048576 : null,
      redisBytesPerConn: c.redis && held > 0 ? (now.redisRss - before.redisRss) / held : null,
    };
  });
}

// The median of the numbers among `xs` (runs that failed leave gaps); null when none.
function median(xs) {
  const v = xs.filter((x) => typeof x === 'number' && !Number.isNaN(x));
  return v.length ? quantile(v, 0.5) : null;
}

function summarize(results) {
  const groups = new Map();
  for (const r of results) {
    const key = `${r.scenario}|${r.n ?? r.rate}|${r.key}`;
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(r);
  }
  const rows = [];
  for (const [key, rs] of groups) {
    if (!rs.length) continue;
    const [scenario, param] = key.split('|');
    const { system, nodes, redis, label: name } = rs[0];
    const row = { scenario, param: Number(param), key: rs[0].key, system, nodes, redis, label: name, runs: rs.length };
    for (const field of Object.keys(rs[0])) {
      if (typeof rs[0][field] === 'number' && !(field in row) && field !== 'run') row[field] = median(rs.map((r) => r[field]));
    }
    row.loadMin = Math.min(...rs.map((r) => r.load));
    row.loadMax = Math.max(...rs.map((r) => r.load));
    row.failures = rs.map((r) => Object.entries(r.failures || {}).map(([k, x]) => `${k}×${x}`).join(', ')).filter(Boolean);
    row.incidents = rs.flatMap((r) => (r.incidents || []).map((i) => `run ${r.run}: ${i}`));
    rows.push(row);
  }
  return rows;
}

const f = (x, d = 1) => (x === null || x === undefined || Number.isNaN(x) ? '—' : Number(x).toFixed(d));
const pct = (x, d = 1) => (x === null || x === undefined ? '—' : `${(x * 100).toFixed(d)} %`);
const loadCell = (r) => (r.runs > 1 ? `${f(r.load, 2)} (${f(r.loadMin, 1)}–${f(r.loadMax, 1)})` : f(r.load, 2));
const failCell = (r) => r.failures[Math.floor(r.failures.length / 2)] || '—';

// Ratio rows ours/socketio for the same configuration (alone, or N nodes + Redis).
function ratios(rows, fields) {
  const out = [];
  for (const r of rows.filter((x) => x.system === 'ours')) {
    const s = rows.find((x) => x.system === 'socketio' && x.param === r.param && configKey(x) === configKey(r));
    if (!s) continue;
    const cells = fields.map(([field]) => (r[field] != null && s[field] ? f(r[field] / s[field], 2) : '—'));
    out.push(`| ${r.param} | ${r.redis ? `×${r.nodes} + Redis` : 'alone'} | ${cells.join(' | ')} |\n`);
  }
  if (!out.length) return '';
  return `| ours/socketio | configuration | ${fields.map(([, name]) => name).join(' | ')} |\n|---|---|${fields.map(() => '---').join('|')}|\n${out.join('')}\n`;
}

// Under a scenario's tables: what went wrong in single runs (they still count in the medians)
// and the runs that failed (they do not; the row then has fewer runs).
function trouble(rows, failed, scenario) {
  const lines = [];
  for (const r of rows) for (const i of r.incidents) lines.push(`- ${r.label}, ${r.param}: ${i}`);
  for (const x of failed.filter((y) => y.scenario === scenario)) lines.push(`- ${x.label}, ${x.param}: run ${x.run} failed, not in the medians: ${x.error}`);
  return lines.length ? `${lines.join('\n')}\n\n` : '';
}

function markdown(rows, notes, failed = []) {
  let md = notes.map((n) => `> ${n}\n`).join('') + (notes.length ? '\n' : '');
  const order = (a, b) => a.param - b.param || a.system.localeCompare(b.system) || (a.redis - b.redis) || a.nodes - b.nodes;
  const storms = rows.filter((r) => r.scenario === 'storm').sort(order);
  if (storms.length) {
    md += '| join storm (clients) | system | ready | time until all know their room (ms) | CPU, all processes (s) | Redis share of CPU | failures (median run) | load average |\n|---|---|---|---|---|---|---|---|\n';
    for (const r of storms) md += `| ${r.param} | ${r.label} | ${f(r.ready, 0)} | ${f(r.allReadyMs, 0)} | ${f(r.cpuSeconds, 2)} | ${r.redis ? pct(r.redisShare) : '—'} | ${failCell(r)} | ${loadCell(r)} |\n`;
    md += '\n' + trouble(storms, failed, 'storm') + ratios(storms, [['allReadyMs', 'time until all ready'], ['cpuSeconds', 'CPU']]);
  }
  const relays = rows.filter((r) => r.scenario === 'relay').sort(order);
  if (relays.length) {
    md += '| relay (signals/s) | system | achieved (signals/s) | delivered/sent | p50 (ms) | p99 (ms) | CPU per signal, nodes + Redis (µs) | of which Redis (µs) | Redis share | Redis bytes out per signal | load average |\n|---|---|---|---|---|---|---|---|---|---|---|\n';
    for (const r of relays) md += `| ${r.param} | ${r.label} | ${f(r.achievedRate, 0)} | ${f(r.deliveredRatio * 100, 2)} % | ${f(r.p50ms, 2)} | ${f(r.p99ms, 2)} | ${f(r.cpuUsPerMsg, 2)} | ${r.redis ? f(r.redisUsPerMsg, 2) : '—'} | ${r.redis ? pct(r.redisShare) : '—'} | ${r.redis ? f(r.redisOutBytesPerMsg, 0) : '—'} | ${loadCell(r)} |\n`;
    md += '\n' + trouble(relays, failed, 'relay') + ratios(relays, [['cpuUsPerMsg', 'CPU per signal'], ['p50ms', 'p50'], ['p99ms', 'p99']]);
  }
  const idles = rows.filter((r) => r.scenario === 'idle').sort(order);
  if (idles.length) {
    md += '| idle connections | system | held | connect all (s) | RSS of the nodes before → after (MB) | bytes per connection, nodes summed | Redis RSS growth (MB) | failures (median run) | load average |\n|---|---|---|---|---|---|---|---|---|\n';
    for (const r of idles) md += `| ${r.param} | ${r.label} | ${f(r.held, 0)} | ${f(r.connectMs / 1000, 2)} | ${f(r.nodesRssBaseMB)} → ${f(r.nodesRssMB)} | ${f(r.bytesPerConn, 0)} | ${r.redis ? f(r.redisGrowthMB, 2) : '—'} | ${failCell(r)} | ${loadCell(r)} |\n`;
    md += '\n' + trouble(idles, failed, 'idle') + ratios(idles, [['bytesPerConn', 'bytes per connection']]);
  }
  return md;
}

async function main() {
  const t0 = Date.now();
  const notes = [];
  const variants = [];
  const hasRedis = config.systems.includes('ours') ? oursHasRedis() : null;
  for (const kind of config.systems) {
    const clusterable = kind !== 'ours' || hasRedis;
    if (config.standalone || !clusterable) variants.push({ kind, nodes: 1, redis: false });
    if (!clusterable) {
      notes.push(`PeddleNet's cluster rows (${config.nodes.join(', ')} node(s) + Redis) are missing: ` +
        `${path.relative(repo, config.binary) || config.binary} has no --redis flag yet (\`--help\` does not list it), ` +
        'so PeddleNet ran alone (one process, no Redis).');
      continue;
    }
    for (const n of config.nodes) variants.push({ kind, nodes: n, redis: true });
  }
  const results = [];
  const failed = []; // measurements that ended with an error: { label, scenario, param, run, error }
  let run = 0;
  const log = (r) => { r.run = run; results.push(r); console.log(JSON.stringify(r)); };
  console.log(`# cluster benchmark: ${JSON.stringify(config)}`);
  for (const n of notes) console.log(`# note: ${n}`);
  console.log(`# systems: ${variants.map(label).join('; ')}`);
  for (run = 1; run <= config.runs; run++) {
    console.log(`# run ${run}/${config.runs} (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
    for (const scenario of config.scenarios) {
      const params = scenario === 'storm' ? config.storm : scenario === 'relay' ? config.rates : config.idle;
      for (const p of params) {
        for (const v of variants) {
          try {
            if (scenario === 'storm') log(await storm(v, p));
            else if (scenario === 'relay') log(await relay(v, p));
            else log(await idle(v, p));
          } catch (e) {
            console.log(`# ${label(v)} ${scenario} ${p} failed: ${e.message}`);
            failed.push({ key: variantKey(v), label: label(v), scenario, param: p, run, error: e.message });
          }
        }
      }
    }
  }
  const rows = summarize(results);
  fs.mkdirSync(path.dirname(config.out), { recursive: true });
  fs.writeFileSync(config.out, JSON.stringify({
    config, oursHasRedis: hasRedis, notes,
    machine: { cpus: os.cpus().length, model: os.cpus()[0].model, node: process.version,
      redis: spawnSync('redis-server', ['--version'], { encoding: 'utf8' }).stdout.trim() },
    seconds: (Date.now() - t0) / 1000, results, failed, medians: rows,
  }, null, 2));
  console.log(`\n# medians of ${config.runs} run(s), ${((Date.now() - t0) / 1000).toFixed(0)} s in all; raw results in ${config.out}\n`);
  console.log(markdown(rows, notes, failed));
}

main().catch((e) => { console.error(e); killAll(); process.exit(1); }).finally(killAll);
