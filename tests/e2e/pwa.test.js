// The installable offline PWA end to end (issue 6): real server binary, real wasm build, Debian
// Chromium. Installability and manifest, offline start with room history (browser offline, and
// server stopped), the update path between two real builds (tap "Update ready", or just the next
// start), no frames while idle in a connected room, cache headers and precompressed files, and
// WebGL context loss with recovery.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const zlib = require('node:zlib');
const { startServer, launchBrowser, openApp, screenshot, waitForState, freePort, state } = require('./harness');
const { readBuild, assembleTwoBuilds, countingProxy, launchProfile, waitForController, waitForSavedText, inkStats } =
  require('./pwa_support');
const { decodePng } = require('./png');

// Every test serves build A: the compiled app of WEB_ROOT with the current shell and service
// worker sources. B is the same with another build id, for the update path.
let server, browser, tmp, builds, root;
test.before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'peddlenet-pwa-'));
  builds = assembleTwoBuilds(tmp);
  root = builds.a.dir;
  server = await startServer(['--root', root]);
  browser = await launchBrowser();
});
test.after(async () => {
  await browser?.close();
  await server?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});


async function newContext(t) {
  const ctx = await browser.newContext({ viewport: { width: 390, height: 844 } });
  t.after(() => ctx.close().catch(() => {}));
  return ctx;
}

// Reloads `page` and waits for the app; returns every response of that load.
async function reloadApp(page) {
  const responses = [];
  const onResponse = (r) => responses.push(r);
  page.on('response', onResponse);
  await page.reload();
  await page.waitForFunction(() => window.peddlenet !== undefined, null, { timeout: 30000 });
  await page.evaluate(() => window.peddlenet.ready);
  page.off('response', onResponse);
  return responses;
}

// Joins `room` alone, sends `texts`, waits until the history is in IndexedDB and a service
// worker controls the page: everything an offline start needs.
async function chatAndCache(page, room, texts) {
  await page.evaluate(() => window.peddlenet.setName('Offline Olga'));
  await page.evaluate((r) => window.peddlenet.join(r), room);
  for (const text of texts) await page.evaluate((x) => window.peddlenet.send(x), text);
  await waitForSavedText(page, texts[texts.length - 1]);
  await waitForController(page);
}

// The shell's own files, as the service worker must serve them with no network.
function shellFiles(build) {
  return ['index.html', ...Object.values(build.files)];
}

function assertServedBySw(responses, build) {
  const byName = new Map(responses.map((r) => [new URL(r.url()).pathname.slice(1) || 'index.html', r]));
  for (const name of shellFiles(build)) {
    const r = byName.get(name);
    assert.ok(r, `${name} was loaded`);
    assert.equal(r.fromServiceWorker(), true, `${name} came from the service worker`);
    assert.equal(r.status(), 200, `${name} status`);
  }
}

// How far from the centre (as a fraction of the width) pixels differ from the corner colour.
function artworkReach({ width, height, channels, pixels }) {
  let reach = 0;
  for (let y = 0; y < height; ++y) {
    for (let x = 0; x < width; ++x) {
      const i = (y * width + x) * channels;
      const d = Math.abs(pixels[i] - pixels[0]) + Math.abs(pixels[i + 1] - pixels[1]) + Math.abs(pixels[i + 2] - pixels[2]);
      if (d > 60) reach = Math.max(reach, Math.hypot(x + 0.5 - width / 2, y + 0.5 - height / 2) / width);
    }
  }
  return reach;
}

test('Chromium finds the app installable; the manifest has every field an install needs', async () => {
  const ctx = await launchProfile(tmp);
  try {
    const page = ctx.pages()[0] || await ctx.newPage();
    await page.goto(server.url);
    await page.waitForFunction(() => window.peddlenet !== undefined, null, { timeout: 30000 });
    await page.evaluate(() => window.peddlenet.ready);
    await waitForController(page); // installability wants a service worker with a fetch handler
    const cdp = await ctx.newCDPSession(page);
    const { installabilityErrors } = await cdp.send('Page.getInstallabilityErrors');
    assert.deepEqual(installabilityErrors, []);

    const { url, errors, manifest, data } = await cdp.send('Page.getAppManifest');
    assert.equal(url, `${server.url}manifest.webmanifest`);
    assert.deepEqual(errors, []);
    assert.equal(manifest.id, server.url);
    assert.equal(manifest.startUrl, server.url);
    assert.equal(manifest.scope, server.url);
    assert.equal(manifest.display, 'kStandalone');
    assert.equal(manifest.name, 'PeddleNet');
    assert.equal(manifest.themeColor, 'rgba(18,20,28,1)');
    assert.equal(manifest.backgroundColor, 'rgba(18,20,28,1)');
    // The parsed form drops short_name and icon purposes: read those from the raw text.
    const raw = JSON.parse(data);
    assert.ok(raw.short_name && raw.short_name.length <= 12, 'a short_name that fits under an icon');
    // The manifest has one theme colour, the dark theme's; the page has one per colour scheme.
    const theme = await page.evaluate(() =>
      document.querySelector('meta[name=theme-color][media="(prefers-color-scheme: dark)"]').content);
    assert.equal(theme, raw.theme_color, 'the page and the manifest agree on the dark theme colour');

    for (const size of [192, 512]) {
      for (const purpose of ['any', 'maskable']) {
        const icon = raw.icons.find((i) => i.sizes === `${size}x${size}` && i.purpose.split(' ').includes(purpose));
        assert.ok(icon, `a ${size} px ${purpose} icon`);
        assert.equal(icon.type, 'image/png');
        // The icon is served and really is a PNG of the declared size.
        const res = await fetch(new URL(icon.src, server.url));
        assert.equal(res.headers.get('content-type'), 'image/png');
        const png = decodePng(Buffer.from(await res.arrayBuffer()));
        assert.deepEqual([png.width, png.height], [size, size], `${icon.src} size`);
        if (purpose === 'maskable') {
          // Maskable icons are full bleed: launchers crop them to any shape, so no transparent corner.
          const alpha = png.channels === 4 ? png.pixels[3] : 255;
          assert.equal(alpha, 255, `${icon.src} has an opaque corner`);
          // ... and keep their artwork inside the central circle of radius 0.4 (the safe zone).
          // 0.41: the bubble tail's antialiased tip reaches 0.403.
          const reach = artworkReach(png);
          assert.ok(reach <= 0.41, `${icon.src} artwork reaches ${reach.toFixed(3)} of the size from the centre`);
        }
      }
    }
  } finally {
    await ctx.close();
  }
});

test('the service worker precaches exactly the shell and never caches dynamic endpoints', async (t) => {
  const ctx = await newContext(t);
  const requested = new Set();
  ctx.on('request', (r) => requested.add(new URL(r.url()).pathname));
  const page = await openApp(browser, server.url, { context: ctx });
  await waitForController(page);
  const firstLoad = [...requested];
  const build = readBuild(root);
  // Dynamic endpoints go to the network even from a controlled page, and stay out of the cache.
  const dynamic = await page.evaluate(async () => {
    const out = {};
    for (const p of ['healthz', 'metrics']) out[p] = (await fetch(p)).status;
    return out;
  });
  assert.equal(dynamic.healthz, 200);
  const cached = await page.evaluate(async (id) => {
    const names = await caches.keys();
    const keys = await (await caches.open('peddlenet-' + id)).keys();
    return { names, paths: keys.map((r) => new URL(r.url).pathname) };
  }, build.id);
  assert.deepEqual(cached.names, [`peddlenet-${build.id}`], 'one cache, named after the build');
  for (const p of ['/', '/manifest.webmanifest', '/icon-192.png', '/icon-512.png',
                   '/icon-maskable-192.png', '/icon-maskable-512.png', ...Object.values(build.files).map((f) => `/${f}`)]) {
    assert.ok(cached.paths.includes(p), `${p} is precached`);
  }
  for (const p of ['/ws', '/healthz', '/metrics', '/sw.js']) assert.ok(!cached.paths.includes(p), `${p} is not cached`);
  // Everything the first load fetched (bar the worker script and the endpoints) is in the cache.
  for (const p of firstLoad) {
    if (['/ws', '/sw.js'].includes(p)) continue;
    if (p === '/favicon.ico') continue;
    assert.ok(cached.paths.includes(p), `first-load file ${p} is precached`);
  }
});

test('the first visit downloads each file once, though the worker precaches them all', async (t) => {
  const proxy = await countingProxy(server.port);
  t.after(() => proxy.close());
  const ctx = await newContext(t);
  const page = await openApp(browser, proxy.url, { context: ctx });
  await waitForController(page);
  await page.evaluate(() => navigator.serviceWorker.ready);
  const build = readBuild(root);
  const { bytes, requests } = proxy.counts;
  console.log(`# first visit: ${bytes} bytes from the server in ${requests.length} requests`);
  for (const name of Object.values(build.files)) {
    assert.equal(requests.filter((r) => r === `/${name}`).length, 1, `${name} is downloaded once`);
  }
  // Everything precached, brotli-compressed, plus headers and index.html's revalidation.
  const brotli = fs.readdirSync(root).filter((f) => f.endsWith('.br')).reduce((n, f) => n + fs.statSync(path.join(root, f)).size, 0);
  const png = fs.readdirSync(root).filter((f) => f.endsWith('.png')).reduce((n, f) => n + fs.statSync(path.join(root, f)).size, 0);
  assert.ok(bytes < (brotli + png) * 1.1 + 30000, `${bytes} bytes is about one copy (${brotli + png})`);
});

test('offline, a reload starts from the service worker and shows the room history', async (t) => {
  const ctx = await newContext(t);
  const page = await openApp(browser, server.url, { context: ctx });
  const texts = ['first offline test line', 'second line, 🎪 festival'];
  await chatAndCache(page, 'offline-room', texts);

  await ctx.setOffline(true);
  const started = Date.now();
  const responses = await reloadApp(page);
  console.log(`# offline reload -> app ready: ${Date.now() - started} ms`);
  assertServedBySw(responses, readBuild(root));
  const s = await waitForState(page, (x) => x.messages.length === 2);
  assert.equal(s.room, 'offline-room', 'the saved room is entered again');
  assert.deepEqual(s.messages.map((m) => m.text), texts);
  assert.notEqual(s.signaling, 'online');
  await screenshot(page, 'pwa-offline-history');
  assert.deepEqual(page.problems.filter((p) => !/ERR_INTERNET_DISCONNECTED|WebSocket/.test(p)), []);
});

test('with the server process stopped, the app still starts with its history', async (t) => {
  const own = await startServer(['--root', root]);
  t.after(() => own.stop());
  const ctx = await newContext(t);
  const page = await openApp(browser, own.url, { context: ctx });
  const texts = ['said before the server went away'];
  await chatAndCache(page, 'no-server-room', texts);

  await own.stop();
  const responses = await reloadApp(page);
  assertServedBySw(responses, readBuild(root));
  const s = await waitForState(page, (x) => x.messages.length === 1);
  assert.equal(s.room, 'no-server-room');
  assert.deepEqual(s.messages.map((m) => m.text), texts);
  assert.notEqual(s.signaling, 'online');
  // A fresh tab in the same profile (a cold start from the home screen) does the same.
  const cold = await ctx.newPage();
  await cold.goto(own.url);
  await cold.waitForFunction(() => window.peddlenet !== undefined, null, { timeout: 30000 });
  await cold.evaluate(() => window.peddlenet.ready);
  const c = await waitForState(cold, (x) => x.messages.length === 1);
  assert.equal(c.room, 'no-server-room');
});

// Two real builds on one origin: A is loaded and controls the page, then B is served where A was.
// Each test has its own origin (port), so its own registration and caches.
async function updateFixture(t) {
  const roots = builds;
  assert.notEqual(roots.a.id, roots.b.id, 'the two builds have different ids');
  const port = await freePort();
  let current = await startServer(['--root', roots.a.dir], { port });
  t.after(() => current.stop());
  const ctx = await newContext(t);
  const page = await openApp(browser, current.url, { context: ctx });
  await waitForController(page);
  assert.equal(await page.evaluate(() => BUILD.id), roots.a.id);
  await current.stop();
  current = await startServer(['--root', roots.b.dir], { port });
  return { roots, ctx, page, url: current.url, stopServer: () => current.stop() };
}

// Polls the page's cache names until they are `expected` (the old cache goes on activate).
async function waitForCaches(page, expected, message, timeoutMs = 10000) {
  const deadline = Date.now() + timeoutMs;
  let names;
  while ((names = await page.evaluate(() => caches.keys())).join() !== expected.join() && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.deepEqual(names, expected, message);
}

test('a new build waits, offers "Update ready", and a tap restarts into it', async (t) => {
  const { roots, page } = await updateFixture(t);
  const started = Date.now();
  await reloadApp(page); // served by A's worker; the browser fetches sw.js and finds B
  await page.waitForSelector('#banner.shown', { timeout: 30000 });
  console.log(`# reload -> "Update ready" shown: ${Date.now() - started} ms`);
  assert.match(await page.textContent('#banner'), /Update ready/);
  assert.equal(await page.evaluate(() => BUILD.id), roots.a.id, 'nothing changes before the tap');
  const waiting = await page.evaluate(async () => {
    const reg = await navigator.serviceWorker.getRegistration();
    return reg.waiting !== null;
  });
  assert.ok(waiting, 'the new worker waits instead of taking over');
  // The banner is one line, not a dialog, clear of the room header's buttons (the top 5.4 rem):
  // the app around it still takes input.
  const box = await page.locator('#banner').boundingBox();
  assert.ok(box.height < 44 && box.y >= 90 && box.y + box.height < 844 / 3,
            `banner is one small line below the header (${JSON.stringify(box)})`);
  await screenshot(page, 'pwa-update-ready');

  const navigated = page.waitForNavigation({ timeout: 30000 });
  const tapped = Date.now();
  await page.click('#banner');
  await navigated;
  await page.waitForFunction(() => window.peddlenet !== undefined, null, { timeout: 30000 });
  await page.evaluate(() => window.peddlenet.ready);
  console.log(`# tap -> build B ready: ${Date.now() - tapped} ms`);
  assert.equal(await page.evaluate(() => BUILD.id), roots.b.id, 'the tap restarted into build B');
  await waitForCaches(page, [`peddlenet-${roots.b.id}`], "A's cache is deleted");
  assert.equal(await page.isVisible('#banner'), false, 'no banner after the update');
});

test('without a tap, the next start runs the new build, also with no network', async (t) => {
  const { roots, ctx, page, url, stopServer } = await updateFixture(t);
  await reloadApp(page);
  await page.waitForSelector('#banner.shown', { timeout: 30000 });
  assert.equal(await page.evaluate(() => BUILD.id), roots.a.id);
  // The person ignores the line and closes the app; B is fully precached, so the next start
  // needs no server at all.
  await page.close();
  await stopServer();
  const next = await ctx.newPage();
  await next.goto(url);
  await next.waitForFunction(() => window.peddlenet !== undefined, null, { timeout: 30000 });
  await next.evaluate(() => window.peddlenet.ready);
  assert.equal(await next.evaluate(() => BUILD.id), roots.b.id, 'the next start runs build B');
  assert.equal(await next.isVisible('#banner'), false, 'and shows no banner');
  await waitForCaches(next, [`peddlenet-${roots.b.id}`], "A's cache is deleted");
});

test('an app brought back to the foreground finds the new build without a reload', async (t) => {
  const { roots, page } = await updateFixture(t);
  await page.waitForTimeout(1000);
  assert.equal(await page.isVisible('#banner'), false, 'nothing is found while the app stays open');
  // What the browser delivers when a backgrounded app is shown again.
  await page.evaluate(() => document.dispatchEvent(new Event('visibilitychange')));
  await page.waitForSelector('#banner.shown', { timeout: 30000 });
  assert.equal(await page.evaluate(() => BUILD.id), roots.a.id);
});

test('a connected room draws no frames while idle, and draws again for a message', async (t) => {
  const pages = [];
  t.after(async () => { for (const p of pages) await p.context().close().catch(() => {}); });
  for (const name of ['Idle Ida', 'Idle Ivo']) {
    const page = await openApp(browser, server.url);
    pages.push(page);
    await page.evaluate((n) => window.peddlenet.setName(n), name);
  }
  await Promise.all(pages.map((p) => p.evaluate(() => window.peddlenet.join('idle-room'))));
  await Promise.all(pages.map((p) => waitForState(p, (s) => s.peers.length === 1 && s.peers[0].link === 'open', 20000)));
  await pages[0].evaluate(() => window.peddlenet.send('one message, then quiet'));
  await waitForState(pages[1], (s) => s.messages.length === 1);

  await new Promise((r) => setTimeout(r, 1500)); // the loop lingers about a second after an event
  const before = await Promise.all(pages.map(async (p) => (await state(p)).frames));
  await new Promise((r) => setTimeout(r, 5000));
  const after = await Promise.all(pages.map(async (p) => (await state(p)).frames));
  console.log(`# frames over 5 idle s in a connected room: ${after.map((a, i) => a - before[i]).join(', ')}`);
  assert.deepEqual(after, before, 'no frames while idle');

  // A message is an event: the receiver draws at once.
  await pages[1].evaluate(() => window.peddlenet.send('wake up'));
  await waitForState(pages[0], (s, b) => s.messages.length === 2 && s.frames > b, 5000, after[0]);
});

test('cache headers fit each file; brotli and gzip are served when accepted', async () => {
  const build = readBuild(root);
  const get = (p, headers = {}) => fetch(new URL(p, server.url), { headers });
  const revalidated = ['', 'index.html', 'sw.js', 'manifest.webmanifest', 'icon-192.png'];
  for (const p of revalidated) {
    const res = await get(p);
    assert.equal(res.status, 200, p);
    assert.equal(res.headers.get('cache-control'), 'no-cache', `${p || '/'} revalidates`);
    const etag = res.headers.get('etag');
    assert.ok(etag, `${p || '/'} has an ETag`);
    const again = await get(p, { 'if-none-match': etag });
    assert.equal(again.status, 304, `${p || '/'} revalidates to 304`);
  }
  for (const name of Object.values(build.files)) {
    const res = await get(name);
    assert.match(res.headers.get('cache-control'), /max-age=31536000.*immutable/, `${name} is immutable`);
  }
  const wasm = await get(build.files['peddlenet.wasm']);
  assert.equal(wasm.headers.get('content-type'), 'application/wasm', 'streaming compile needs application/wasm');
  assert.equal((await get('manifest.webmanifest')).headers.get('content-type'), 'application/manifest+json');
  // Cross-origin isolation (precise timers) must not break anything the app loads.
  const index = await get('');
  assert.equal(index.headers.get('cross-origin-opener-policy'), 'same-origin');
  assert.equal(index.headers.get('cross-origin-embedder-policy'), 'require-corp');

  // Node's fetch would decode bodies by itself; read the bytes on the wire with http instead.
  const http = require('node:http');
  const raw = (p, encoding) => new Promise((resolve, reject) => {
    http.get(new URL(p, server.url), { headers: encoding ? { 'accept-encoding': encoding } : {} }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
    }).on('error', reject);
  });
  for (const name of ['index.html', 'sw.js', ...Object.values(build.files)]) {
    const plain = fs.readFileSync(path.join(root, name));
    const br = await raw(name, 'gzip, deflate, br');
    assert.equal(br.headers['content-encoding'], 'br', `${name}: brotli when accepted`);
    assert.match(br.headers.vary || '', /accept-encoding/i, `${name}: Vary`);
    assert.ok(zlib.brotliDecompressSync(br.body).equals(plain), `${name}: brotli body is the file`);
    assert.ok(br.body.length < plain.length, `${name}: brotli is smaller`);
    const gz = await raw(name, 'gzip');
    assert.equal(gz.headers['content-encoding'], 'gzip', `${name}: gzip when only gzip is accepted`);
    assert.ok(zlib.gunzipSync(gz.body).equals(plain), `${name}: gzip body is the file`);
    const id = await raw(name, '');
    assert.equal(id.headers['content-encoding'], undefined, `${name}: identity otherwise`);
    assert.match(id.headers.vary || '', /accept-encoding/i, `${name}: Vary also on identity`);
    assert.ok(id.body.equals(plain));
  }
});

test('a lost WebGL context shows a message, and the app draws again once it is restored', async (t) => {
  const ctx = await newContext(t);
  const page = await openApp(browser, server.url, { context: ctx });
  await page.evaluate(() => window.peddlenet.setName('Gail'));
  await page.evaluate(() => window.peddlenet.join('gl-room'));
  await page.evaluate(() => window.peddlenet.send('drawn before and after the loss'));
  const before = inkStats(await screenshot(page, 'pwa-context-before'));

  await page.evaluate(() => {
    // getContext returns the app's own context; the extension simulates a GPU reset.
    const gl = document.getElementById('canvas').getContext('webgl2');
    window.__lose = gl.getExtension('WEBGL_lose_context');
    window.__lose.loseContext();
  });
  await page.waitForSelector('#overlay.failed', { timeout: 5000 });
  assert.match(await page.textContent('#status'), /graphics/i);
  await screenshot(page, 'pwa-context-lost');

  const framesLost = (await state(page)).frames;
  await page.evaluate(() => window.__lose.restoreContext());
  await page.waitForSelector('#overlay.gone:not(.failed)', { timeout: 5000 });
  await page.mouse.move(100, 300); // an input event: draw now
  await waitForState(page, (s, b) => s.frames > b, 5000, framesLost);
  await page.waitForTimeout(300);
  const after = inkStats(await screenshot(page, 'pwa-context-restored'));
  console.log(`# ink before loss ${(before.ink * 100).toFixed(1)} %, after restore ${(after.ink * 100).toFixed(1)} %`);
  assert.ok(after.ink > 0.03, `the restored canvas has content (${(after.ink * 100).toFixed(1)} % ink)`);
  assert.ok(after.ink > before.ink * 0.8, 'about as much as before the loss');
  assert.ok(after.colours > 50, 'with antialiased text');
  // The app keeps working on the new context.
  await page.evaluate(() => window.peddlenet.send('after the restore'));
  await waitForState(page, (s) => s.messages.length === 2);
  assert.deepEqual(page.problems.filter((p) => !/WebGL|GL_INVALID/.test(p)), []);
});

test('a WebGL context that does not come back leads to a Reload button, and the reload works', async (t) => {
  const ctx = await newContext(t);
  const page = await openApp(browser, server.url, { context: ctx });
  await page.evaluate(() => window.peddlenet.setName('Gus'));
  await page.evaluate(() => window.peddlenet.join('gl-gone-room'));
  await page.evaluate(() => window.peddlenet.send('kept across the reload'));
  await waitForSavedText(page, 'kept across the reload');
  await page.evaluate(() => {
    document.getElementById('canvas').getContext('webgl2').getExtension('WEBGL_lose_context').loseContext();
  });
  await page.waitForSelector('#overlay.failed', { timeout: 5000 });
  assert.equal(await page.isVisible('#reload'), false, 'no button while the browser may still restore');
  await page.waitForSelector('#reload', { state: 'visible', timeout: 10000 });
  assert.match(await page.textContent('#status'), /not come back/);
  await screenshot(page, 'pwa-context-gone');

  const navigated = page.waitForNavigation({ timeout: 30000 });
  await page.click('#reload');
  await navigated;
  await page.waitForFunction(() => window.peddlenet !== undefined, null, { timeout: 30000 });
  await page.evaluate(() => window.peddlenet.ready);
  const s = await waitForState(page, (x) => x.messages.length === 1);
  assert.equal(s.room, 'gl-gone-room');
  await page.waitForTimeout(300);
  const shot = inkStats(await screenshot(page, 'pwa-context-gone-reloaded'));
  assert.ok(shot.ink > 0.03 && shot.colours > 50, 'the reloaded app draws');
});
