// A real redis-server (Debian redis-server 7.0) for the cluster tests and benchmarks: started on
// 127.0.0.1 on a free port, with no persistence and no config file, ended by its PID. `kill()`
// is SIGKILL (Redis gone at once, as when its box dies); `restart()` starts a fresh, empty
// instance on the same port, as after a crash without persistence.
'use strict';
const { spawn, execFileSync } = require('node:child_process');
const net = require('node:net');

const BINARY = process.env.REDIS_SERVER || 'redis-server';

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

async function launch(port) {
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
    '--protected-mode', 'yes', '--loglevel', 'warning', '--daemonize', 'no'];
  const proc = spawn(BINARY, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  proc.stdout.on('data', (d) => { output += d; });
  proc.stderr.on('data', (d) => { output += d; });
  const exited = new Promise((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
  // Ready once it accepts a connection and answers PING.
  const deadline = Date.now() + 5000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`redis-server exited ${proc.exitCode}: ${output}`);
    if (await ping(port)) break;
    if (Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`redis-server did not answer on ${port}: ${output}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return { proc, exited, output: () => output };
}

function ping(port) {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    let data = '';
    s.on('connect', () => s.write('PING\r\n'));
    s.on('data', (d) => { data += d; if (data.includes('\r\n')) { s.destroy(); resolve(data.startsWith('+PONG')); } });
    s.on('error', () => resolve(false));
    s.setTimeout(500, () => { s.destroy(); resolve(false); });
  });
}

async function startRedis() {
  const port = await freePort();
  let current = await launch(port);
  const stopProc = async (signal) => {
    const { proc, exited } = current;
    if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
    await exited;
  };
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    get pid() { return current.proc.pid; },
    // Runs a redis-cli command against this instance; returns its output, trimmed.
    cli(...args) {
      return execFileSync('redis-cli', ['-p', String(port), ...args], { encoding: 'utf8' }).trim();
    },
    kill: () => stopProc('SIGKILL'),
    async restart() {
      await stopProc('SIGKILL');
      current = await launch(port);
    },
    stop: () => stopProc('SIGTERM'),
  };
}

module.exports = { startRedis };
