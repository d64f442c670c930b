// pwa_support.js: plumbing for the PWA tests and the PWA benchmark: two builds of the same app
// (A from the real scripts/assemble_web.py, B with another build id), a byte-counting proxy in
// front of the server, a fresh persistent browser profile, reading IndexedDB history and PNG
// screenshots.
'use strict';
const { execFileSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const zlib = require('node:zlib');
const { chromium } = require('playwright-core');
const { ROOT, WEB_ROOT } = require('./harness');
const { decodePng } = require('./png');

// The same switches as harness.js's launchBrowser: software GL, loopback WebRTC, fake camera.
const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--enable-unsafe-swiftshader',
  '--allow-loopback-in-peer-connection', '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream',
];

// The build description the shell carries (`var BUILD = {...};`, filled in by assemble_web.py).
function readBuild(webRoot) {
  const html = fs.readFileSync(path.join(webRoot, 'index.html'), 'utf8');
  const m = /var BUILD = (\{.*?\});/.exec(html);
  if (!m) throw new Error(`${webRoot}/index.html carries no BUILD description`);
  return JSON.parse(m[1]);
}

// Web root A: scripts/assemble_web.py run on the compiled app in WEB_ROOT and the current
// shell/, web/ and assets/ sources (so the service worker under test is the one in web/).
// Web root B: a copy of A whose shell and worker carry another build id (as a rebuild with any
// change would), with their .gz/.br siblings written again.
function assembleTwoBuilds(tmp) {
  const built = readBuild(WEB_ROOT);
  const buildDir = path.join(tmp, 'compiled');
  fs.mkdirSync(buildDir, { recursive: true });
  for (const [plain, hashed] of Object.entries(built.files)) {
    fs.copyFileSync(path.join(WEB_ROOT, hashed), path.join(buildDir, plain));
  }
  const src = path.join(tmp, 'src');
  for (const rel of ['shell/index.html', 'web/sw.js', 'web/manifest.webmanifest',
                     'assets/icon.svg', 'assets/icon-maskable.svg']) {
    fs.mkdirSync(path.dirname(path.join(src, rel)), { recursive: true });
    fs.copyFileSync(path.join(ROOT, rel), path.join(src, rel));
  }
  const a = path.join(tmp, 'web-a');
  execFileSync('python3', [path.join(ROOT, 'scripts/assemble_web.py'), '--build-dir', buildDir,
                           '--source-dir', src, '--out', a], { stdio: 'pipe' });
  const idA = readBuild(a).id;
  const idB = crypto.createHash('sha256').update(`${idA} build B`).digest('hex').slice(0, 12);
  const b = path.join(tmp, 'web-b');
  fs.cpSync(a, b, { recursive: true });
  for (const name of ['index.html', 'sw.js']) {
    const file = path.join(b, name);
    const text = fs.readFileSync(file, 'utf8');
    if (!text.includes(idA)) throw new Error(`${name} does not carry the build id`);
    const changed = Buffer.from(text.split(idA).join(idB));
    fs.writeFileSync(file, changed);
    fs.writeFileSync(`${file}.gz`, zlib.gzipSync(changed, { level: 9 }));
    fs.writeFileSync(`${file}.br`, zlib.brotliCompressSync(changed));
  }
  return { a: { dir: a, id: idA }, b: { dir: b, id: idB } };
}

// A TCP proxy in front of the server on `port` that counts what the browser really downloads:
// every byte from the server (headers included) and every request's target.
async function countingProxy(port) {
  const counts = { bytes: 0, requests: [] };
  const sockets = new Set();
  const proxy = net.createServer((client) => {
    const upstream = net.connect(port, '127.0.0.1');
    for (const s of [client, upstream]) { sockets.add(s); s.on('error', () => {}); s.on('close', () => sockets.delete(s)); }
    client.on('data', (d) => {
      for (const m of d.toString('latin1').matchAll(/^(GET|HEAD) (\S+) HTTP/gm)) counts.requests.push(m[2]);
      upstream.write(d);
    });
    upstream.on('data', (d) => { counts.bytes += d.length; client.write(d); });
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${proxy.address().port}/`, counts,
    close() { for (const s of sockets) s.destroy(); return new Promise((resolve) => proxy.close(resolve)); },
  };
}

// A persistent profile in a fresh directory: what an installed app gets (a normal context is
// incognito-like, where Chromium reports every app as not installable).
async function launchProfile(tmp, { viewport = { width: 390, height: 844 }, scale = 1, colorScheme } = {}) {
  const dir = fs.mkdtempSync(path.join(tmp || os.tmpdir(), 'profile-'));
  return chromium.launchPersistentContext(dir, {
    executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS, viewport, deviceScaleFactor: scale, colorScheme,
  });
}

// Resolves once a service worker controls `page` (after the first visit's install + claim).
function waitForController(page, timeoutMs = 20000) {
  return page.waitForFunction(() => navigator.serviceWorker.controller !== null, null, { timeout: timeoutMs });
}

// Waits until IndexedDB's saved history (web/storage.js: db "peddlenet", store "history")
// contains `text`: a reload before the write lands would test nothing. Polls from here, since
// page.waitForFunction does not wait for a Promise (a pending Promise counts as true).
async function waitForSavedText(page, text, timeoutMs = 10000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const saved = await page.evaluate((t) => new Promise((resolve) => {
      const open = indexedDB.open('peddlenet'); // whatever version the app is at
      open.onerror = () => resolve(false);
      open.onsuccess = () => {
        const db = open.result;
        if (!db.objectStoreNames.contains('history')) { db.close(); resolve(false); return; }
        const all = db.transaction('history').objectStore('history').getAll();
        all.onsuccess = () => { db.close(); resolve(all.result.some((v) => String(v).includes(t))); };
        all.onerror = () => { db.close(); resolve(false); };
      };
    }), text);
    if (saved) return;
    if (Date.now() > deadline) throw new Error(`"${text}" was not saved to IndexedDB within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// Share of pixels that differ from the top-left (background) pixel, and the colour count.
function inkStats(pngFile) {
  const { width, height, channels, pixels } = decodePng(fs.readFileSync(pngFile));
  const bg = [pixels[0], pixels[1], pixels[2]];
  let ink = 0;
  const colours = new Set();
  for (let i = 0; i < width * height; ++i) {
    const p = i * channels, r = pixels[p], g = pixels[p + 1], b = pixels[p + 2];
    if (Math.abs(r - bg[0]) + Math.abs(g - bg[1]) + Math.abs(b - bg[2]) > 30) ++ink;
    colours.add((r << 16) | (g << 8) | b);
  }
  return { ink: ink / (width * height), colours: colours.size };
}

module.exports = { CHROMIUM_ARGS, readBuild, assembleTwoBuilds, countingProxy, launchProfile, waitForController,
                   waitForSavedText, inkStats };
