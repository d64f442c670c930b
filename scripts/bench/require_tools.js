// require_tools.js: the check every benchmark script makes before anything else. Each bench has
// a .sh entry point next to it (scripts/bench/<name>.sh) that installs what is missing
// (scripts/setup.sh --with-test-tools: Debian packages, npm packages from package-lock.json),
// builds what is missing and runs the .js in a loopback-only network namespace where it needs
// one. Run directly, a .js finds out here what is absent and says, in one line, which .sh to run
// instead of failing with "Cannot find module ..." halfway through.
//
//   require('./require_tools')('p2p', { modules: ['playwright-core'], app: true });
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..');
const SERVER = process.env.PEDDLENET_SERVER || path.join(ROOT, 'build/native/src/server/peddlenet-server');
const WEB_ROOT = process.env.PEDDLENET_WEB_ROOT || path.join(ROOT, 'build/wasm/web');
const CHROMIUM = '/usr/bin/chromium';

function onPath(command) {
  return (process.env.PATH || '').split(path.delimiter).some((dir) => {
    try {
      fs.accessSync(path.join(dir, command), fs.constants.X_OK);
      return true;
    } catch (_) {
      return false;
    }
  });
}

// name: the bench's base name (p2p, crypto, pwa, qr, signaling). needs:
//   modules  npm packages resolved from the repository root (package.json / package-lock.json)
//   commands programs that must be on PATH (Debian packages from scripts/deps/apt.txt)
//   server   the native server binary (PEDDLENET_SERVER overrides its path)
//   browser  Debian's Chromium (driven through playwright-core)
//   app      the wasm web root (PEDDLENET_WEB_ROOT overrides), the server binary and Chromium
// Exits with status 2 and one line on stderr when something is missing.
function requireTools(name, { modules = [], commands = [], server = false, browser = false, app = false } = {}) {
  const entry = `scripts/bench/${name}.sh`;
  const missing = [];
  for (const m of modules) {
    try {
      require.resolve(m, { paths: [ROOT] });
    } catch (_) {
      missing.push(`npm package ${m}`);
    }
  }
  for (const c of commands) if (!onPath(c)) missing.push(`command ${c}`);
  if ((browser || app) && !fs.existsSync(CHROMIUM)) missing.push(`Chromium (${CHROMIUM})`);
  const rel = (p) => { const r = path.relative(ROOT, p); return r && !r.startsWith('..') ? r : p; };
  if ((server || app) && !fs.existsSync(SERVER)) missing.push(`server binary ${rel(SERVER)}`);
  if (app && !fs.existsSync(path.join(WEB_ROOT, 'index.html'))) missing.push(`web root ${rel(WEB_ROOT)}`);
  if (!missing.length) return;
  console.error(`${name}.js: missing ${missing.join(', ')}; run ${entry} (installs and builds what is missing, ` +
                `then runs this benchmark; options pass through)`);
  process.exit(2);
}

module.exports = requireTools;
module.exports.ROOT = ROOT;
