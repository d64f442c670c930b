// CJK text end to end: the CJK font is not part of the first load; a page fetches it once, the
// first time it has CJK text to draw, merges it and draws the glyphs in place of the boxes; the
// service worker keeps it, so it also loads offline afterwards; a failed fetch breaks nothing.
// Real server, real wasm build, Debian Chromium (scripts/test.sh runs this in a loopback-only
// network namespace).
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const { WEB_ROOT, startServer, launchBrowser, openApp, screenshot, waitForState, state, send, settled } = require('./harness');
const { readBuild, countingProxy, waitForController, waitForSavedText } = require('./pwa_support');
const { decodePng } = require('./png');

const CJK = '你好，世界 こんにちは 안녕하세요';
const build = readBuild(WEB_ROOT);
const fontFile = build.onDemand && build.onDemand['cjk.ttf'];

let server, browser;
test.before(async () => {
  server = await startServer(['--grace-ms', '1500']);
  browser = await launchBrowser();
});
test.after(async () => {
  await browser?.close();
  await server?.stop();
});

const fontStatus = async (page) => (await state(page)).fonts['cjk.ttf'];

// A phone-sized context; `worker` false keeps the service worker out (page.route then sees
// every request of the page).
async function newContext(t, { worker }) {
  const ctx = await browser.newContext({ viewport: { width: 390, height: 844 }, serviceWorkers: worker ? 'allow' : 'block' });
  t.after(() => ctx.close().catch(() => {}));
  return ctx;
}

// Every request for the CJK font a page makes, with the time it was made.
function watchFontRequests(page) {
  const seen = [];
  page.on('request', (r) => { if (r.url().endsWith('/' + fontFile)) seen.push({ url: r.url(), at: Date.now() }); });
  return seen;
}

// Pixels that differ between two screenshots of the same size, within `clip` {x, y, w, h}.
function differingPixels(fileA, fileB, clip) {
  const a = decodePng(fs.readFileSync(fileA)), b = decodePng(fs.readFileSync(fileB));
  let n = 0;
  for (let y = clip.y; y < clip.y + clip.h; ++y) {
    for (let x = clip.x; x < clip.x + clip.w; ++x) {
      const i = (y * a.width + x) * a.channels;
      if (Math.abs(a.pixels[i] - b.pixels[i]) + Math.abs(a.pixels[i + 1] - b.pixels[i + 1]) +
          Math.abs(a.pixels[i + 2] - b.pixels[i + 2]) > 30) ++n;
    }
  }
  return n;
}

test('the build serves the CJK font on demand: hashed, compressed, not precached', () => {
  assert.ok(fontFile, 'BUILD.onDemand names the CJK font');
  assert.match(fontFile, /^cjk\.[0-9a-f]{12}\.ttf$/);
  assert.ok(!Object.values(build.files).includes(fontFile), 'not a file of the first load');
  for (const suffix of ['', '.gz', '.br']) assert.ok(fs.existsSync(`${WEB_ROOT}/${fontFile}${suffix}`), `${fontFile}${suffix}`);
  const sw = fs.readFileSync(`${WEB_ROOT}/sw.js`, 'utf8');
  const precache = JSON.parse(/const PRECACHE = (\[.*?\]);/.exec(sw)[1]);
  assert.ok(!precache.includes(fontFile), 'the worker does not precache it');
  assert.deepEqual(JSON.parse(/const ON_DEMAND = (\[.*?\]);/.exec(sw)[1]), [fontFile], 'the worker keeps it once fetched');
});

test('CJK text arrives literally; the font is fetched once, only then, and replaces the boxes', async (t) => {
  const a = await openApp(browser, server.url, { context: await newContext(t, { worker: false }) });
  const b = await openApp(browser, server.url, { context: await newContext(t, { worker: false }) });
  const requests = { a: watchFontRequests(a), b: watchFontRequests(b) };
  // Hold b's fetch until b has been photographed with boxes.
  let release;
  const released = new Promise((resolve) => { release = resolve; });
  await b.route('**/' + fontFile, async (route) => { await released; await route.continue(); });

  await a.evaluate(() => window.peddlenet.setName('Ada'));
  await b.evaluate(() => window.peddlenet.setName('Bo'));
  await Promise.all([a, b].map((p) => p.evaluate(() => window.peddlenet.join('cjk-room'))));
  await Promise.all([a, b].map((p) => waitForState(p, (s) => s.peers.length === 1 && s.peers[0].link === 'open', 20000)));
  await send(a, 'plain Latin first');
  await waitForState(b, (s) => s.messages.length === 1);
  await settled(b);
  assert.deepEqual(requests, { a: [], b: [] }, 'no CJK on screen, no CJK font fetched');
  assert.equal((await fontStatus(b)).status, 'idle');

  const sentAt = Date.now();
  await send(a, CJK);
  const s = await waitForState(b, (x) => x.messages.length === 2);
  assert.equal(s.messages[1].text, CJK, 'arrives literally');
  await waitForState(b, (x) => x.fonts['cjk.ttf'].status === 'loading');
  assert.equal(requests.b.length, 1);
  assert.ok(requests.b[0].at >= sentAt, 'fetched only after CJK text appeared');
  await settled(b);
  const boxes = await screenshot(b, 'cjk-before-font');

  release();
  await waitForState(b, (x) => x.fonts['cjk.ttf'].status === 'loaded', 15000);
  await settled(b);
  const glyphs = await screenshot(b, 'cjk-after-font');
  // The band of the second bubble (under the first one, at the top of the list).
  const changed = differingPixels(boxes, glyphs, { x: 0, y: 160, w: 390, h: 60 });
  console.log(`# pixels changed by the CJK font: ${changed}`);
  assert.ok(changed > 300, `glyphs replace the boxes (${changed} pixels changed)`);

  // More CJK, other characters: drawn with the font already merged, no second fetch.
  await send(b, '谢谢 ありがとう 감사합니다');
  await waitForState(a, (x) => x.messages.length === 3);
  await settled(a);
  await settled(b);
  await waitForState(a, (x) => x.fonts['cjk.ttf'].status === 'loaded', 15000);
  assert.equal(requests.a.length, 1, 'the sender fetched it once too');
  assert.equal(requests.b.length, 1, 'no second fetch');
  assert.deepEqual([...a.problems, ...b.problems], []);
});

test('the first load does not carry the CJK font', async (t) => {
  const proxy = await countingProxy(server.port);
  t.after(() => proxy.close());
  const page = await openApp(browser, proxy.url, { context: await newContext(t, { worker: true }) });
  await waitForController(page);
  await page.evaluate(() => window.peddlenet.setName('Lee'));
  await page.evaluate(() => window.peddlenet.join('latin-only'));
  await send(page, 'no CJK here');
  await settled(page);
  const { bytes, requests } = proxy.counts;
  console.log(`# first visit with the service worker: ${bytes} bytes in ${requests.length} requests`);
  assert.ok(!requests.some((r) => r.includes('cjk.')), 'the CJK font is not requested');
  assert.ok(bytes < 1.5 * 1024 * 1024, `${bytes} bytes`);
  assert.equal((await fontStatus(page)).status, 'idle');
});

test('the service worker keeps the fetched font: offline, history with CJK is drawn with it', async (t) => {
  const ctx = await newContext(t, { worker: true });
  const page = await openApp(browser, server.url, { context: ctx });
  await waitForController(page);
  const requests = watchFontRequests(page);
  await page.evaluate(() => window.peddlenet.setName('Kim'));
  await page.evaluate(() => window.peddlenet.join('cjk-offline'));
  await send(page, CJK);
  await waitForState(page, (x) => x.fonts['cjk.ttf'].status === 'loaded', 15000);
  await waitForSavedText(page, CJK);
  assert.equal(requests.length, 1);
  const cached = await page.evaluate(async (id) => (await (await caches.open('peddlenet-' + id)).keys())
    .map((r) => new URL(r.url).pathname), build.id);
  assert.ok(cached.includes('/' + fontFile), 'in the build\'s cache');

  await ctx.setOffline(true);
  await page.reload();
  await page.waitForFunction(() => window.peddlenet !== undefined, null, { timeout: 30000 });
  await page.evaluate(() => window.peddlenet.ready);
  const s = await waitForState(page, (x) => x.messages.length === 1 && x.fonts['cjk.ttf'].status === 'loaded', 15000);
  assert.equal(s.messages[0].text, CJK);
  await settled(page);
  await screenshot(page, 'cjk-offline-from-cache');
});

test('offline on the first CJK text: boxes, nothing breaks, and the font loads once back online', async (t) => {
  const ctx = await newContext(t, { worker: false });
  const page = await openApp(browser, server.url, { context: ctx });
  await page.evaluate(() => window.peddlenet.setName('Ono'));
  await page.evaluate(() => window.peddlenet.join('cjk-flaky'));
  await ctx.setOffline(true);
  await send(page, 'こんにちは');
  const failed = await waitForState(page, (x) => x.fonts['cjk.ttf'].status === 'idle' && x.fonts['cjk.ttf'].error !== '', 15000);
  console.log(`# offline fetch: ${failed.fonts['cjk.ttf'].error}`);
  assert.equal(failed.messages[0].text, 'こんにちは', 'the text is kept and shown (as boxes)');
  await settled(page);
  await screenshot(page, 'cjk-offline-boxes');

  await ctx.setOffline(false);
  await send(page, '世界');
  await waitForState(page, (x) => x.fonts['cjk.ttf'].status === 'loaded', 15000);
  const problems = page.problems.filter((p) => !/Failed to load resource|ERR_INTERNET_DISCONNECTED/.test(p));
  assert.deepEqual(problems, []);
});
