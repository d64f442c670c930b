// The app shell end to end: the real server serves the real wasm build to headless Chromium,
// the app signals ready, draws a non-blank first screen at the device pixel ratio, follows
// resizes, takes typed text, explains a missing WebGL2, and draws nothing while idle.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const { startServer, launchBrowser, openApp, screenshot } = require('./harness');
const { decodePng } = require('./png');

let server, browser;
test.before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});
test.after(async () => {
  await browser?.close();
  await server?.stop();
});

// Share of pixels that differ from the top-left (background) pixel, and how many colours appear.
function inkStats(pngFile) {
  const { width, height, channels, pixels } = decodePng(fs.readFileSync(pngFile));
  const bg = [pixels[0], pixels[1], pixels[2]];
  let ink = 0, accent = 0;
  const colours = new Set();
  for (let i = 0; i < width * height; ++i) {
    const p = i * channels, r = pixels[p], g = pixels[p + 1], b = pixels[p + 2];
    if (Math.abs(r - bg[0]) + Math.abs(g - bg[1]) + Math.abs(b - bg[2]) > 30) ++ink;
    if (r > 220 && g > 110 && g < 170 && b < 90) ++accent; // the orange "Create room" button
    colours.add((r << 16) | (g << 8) | b);
  }
  return { ink: ink / (width * height), accent: accent / (width * height), colours: colours.size };
}

test('the app loads without console errors and draws its first screen', async () => {
  const page = await openApp(browser, server.url, { scale: 2 });
  console.log(`# navigation to first frame: ${page.readyMs} ms`);
  const state = await page.evaluate(() => window.peddlenet.state());
  assert.equal(state.room, null);
  assert.match(state.signaling, /^(connecting|online)$/, 'the app connects to the server that served it');
  assert.ok(state.frames >= 1, 'frames are counted');
  const shot = inkStats(await screenshot(page, 'home-390x844@2x'));
  assert.ok(shot.ink > 0.03, `screen has content (${(shot.ink * 100).toFixed(1)}% ink)`);
  assert.ok(shot.accent > 0.01, 'the call-to-action button is drawn');
  assert.ok(shot.colours > 50, 'text is antialiased (crisp glyph edges, not flat blocks)');
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('the drawing buffer follows the CSS size times devicePixelRatio, also after a resize', async () => {
  const page = await openApp(browser, server.url, { scale: 2 });
  const size = () => page.evaluate(() => [document.getElementById('canvas').width, document.getElementById('canvas').height]);
  assert.deepEqual(await size(), [780, 1688]);
  await page.setViewportSize({ width: 844, height: 390 }); // rotate to landscape
  await page.waitForFunction(() => document.getElementById('canvas').width === 1688, null, { timeout: 5000 });
  assert.deepEqual(await size(), [1688, 780]);
  await screenshot(page, 'home-landscape');
  await page.context().close();
});

test('typed text reaches the name field literally, hostile bytes included', async () => {
  const page = await openApp(browser, server.url);
  await page.mouse.click(195, 240); // the name field on a 390x844 screen
  // Text arrives through the hidden textarea, which takes focus in the frame that activates the
  // field (a person's first key comes long after that; a script's can come before it).
  await page.waitForFunction(() => document.activeElement?.id === 'text-input', null, { timeout: 5000 });
  const hostile = 'Zoë %s%n ##x 🎉';
  await page.keyboard.type(hostile);
  await page.waitForFunction((t) => window.peddlenet.state().name === t, hostile, { timeout: 5000 });
  await page.keyboard.press('Backspace');
  await page.waitForFunction((t) => window.peddlenet.state().name === t, hostile.slice(0, -2), { timeout: 5000 });
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('setName validates like the UI does and explains refusals', async () => {
  const page = await openApp(browser, server.url);
  await page.evaluate(() => window.peddlenet.setName('Sam'));
  assert.equal((await page.evaluate(() => window.peddlenet.state())).name, 'Sam');
  const refusal = (name) => page.evaluate((n) => {
    try { window.peddlenet.setName(n); return null; } catch (e) { return e.message; }
  }, name);
  assert.match(await refusal(''), /name/i);
  assert.match(await refusal('x'.repeat(33)), /32 characters/);
  assert.equal((await page.evaluate(() => window.peddlenet.state())).name, 'Sam', 'a refused name changes nothing');
  await page.context().close();
});

test('an idle app draws no frames', async () => {
  const page = await openApp(browser, server.url);
  await page.waitForTimeout(1500); // the loop lingers ~1 s after the last event
  const before = (await page.evaluate(() => window.peddlenet.state())).frames;
  await page.waitForTimeout(3000);
  const after = (await page.evaluate(() => window.peddlenet.state())).frames;
  assert.equal(after, before, `frames drawn while idle: ${after - before}`);
  await page.mouse.move(100, 100);
  await page.waitForFunction((b) => window.peddlenet.state().frames > b, after, { timeout: 2000 });
  await page.context().close();
});

test('without WebGL2 the page explains the problem instead of crashing', async () => {
  const noGl = await launchBrowser(['--disable-webgl2']);
  try {
    const page = await noGl.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(server.url);
    await page.waitForFunction(() => /WebGL 2/.test(document.getElementById('status').textContent), null, { timeout: 10000 });
    await screenshot(page, 'no-webgl2');
    assert.deepEqual(errors, []);
  } finally {
    await noGl.close();
  }
});
