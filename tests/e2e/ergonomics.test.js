// ergonomics.test.js: phone ergonomics end to end: the dark and light themes follow
// prefers-color-scheme live (app and page shell), text on buttons keeps WCAG contrast, the layout
// keeps clear of the safe-area insets, and messages arriving while the page is hidden show as
// notifications (none while it is visible). Screenshots at 390x844 in both themes go to
// test-results/ergonomics-*.png.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { chromium } = require('playwright-core');
const { startServer, launchBrowser, openApp, screenshot, waitForState, state } = require('./harness');
const { CHROMIUM_ARGS, waitForController } = require('./pwa_support');
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

const PHONE = { width: 390, height: 844 };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// WCAG 2 relative luminance and contrast ratio of two [r, g, b] colours.
function luminance([r, g, b]) {
  const lin = (c) => { c /= 255; return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}
function contrast(a, b) {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

function readPng(file) {
  const png = decodePng(fs.readFileSync(file));
  png.at = (x, y) => {
    const p = (y * png.width + x) * png.channels;
    return [png.pixels[p], png.pixels[p + 1], png.pixels[p + 2]];
  };
  return png;
}

// Inside the rectangle of a drawn button: its fill (the most common colour) and the contrast of
// the glyph pixel that stands out most from it (a stem's core pixel is the text colour itself).
function buttonContrast(png, { x0, y0, x1, y1 }) {
  const counts = new Map();
  for (let y = y0; y < y1; ++y) {
    for (let x = x0; x < x1; ++x) {
      const key = png.at(x, y).join(',');
      counts.set(key, (counts.get(key) || 0) + 1);
    }
  }
  const fill = [...counts.entries()].sort((a, b) => b[1] - a[1])[0][0].split(',').map(Number);
  let best = 1, text = fill;
  for (let y = y0; y < y1; ++y) {
    for (let x = x0; x < x1; ++x) {
      const c = contrast(fill, png.at(x, y));
      if (c > best) { best = c; text = png.at(x, y); }
    }
  }
  return { fill, text, ratio: best };
}

// The room header's Leave button (top left: window padding 16 px, one frame high), and the
// composer's Send button (bottom right) on a 390x844 screen.
const LEAVE_BUTTON = { x0: 18, y0: 20, x1: 66, y1: 50 };
const SEND_BUTTON = { x0: 308, y0: 796, x1: 368, y1: 822 };

async function joinRoom(page, name, room) {
  await page.evaluate((n) => window.peddlenet.setName(n), name);
  await page.evaluate((r) => window.peddlenet.join(r), room);
}

async function linkOpen(page, peers = 1) {
  await waitForState(page, (s, n) => s.peers.filter((p) => p.link === 'open').length === n, 20000, peers);
}

test('the theme follows prefers-color-scheme live, in the app and the page shell, with readable buttons', async (t) => {
  const room = 'themes-' + Date.now();
  const context = await browser.newContext({ viewport: PHONE, colorScheme: 'dark' });
  t.after(() => context.close());
  const page = await openApp(browser, server.url, { context });
  const shell = () => page.evaluate(() => ({
    background: getComputedStyle(document.body).backgroundColor,
    themeColor: [...document.querySelectorAll('meta[name=theme-color]')]
      .find((m) => matchMedia(m.media || 'all').matches).content,
  }));
  assert.equal((await state(page)).theme, 'dark');
  assert.deepEqual(await shell(), { background: 'rgb(18, 20, 28)', themeColor: '#12141c' });
  await screenshot(page, 'ergonomics-home-dark-390x844');

  // A room with someone else's message and our own, so that both bubbles are on screen.
  const other = await openApp(browser, server.url);
  t.after(() => other.context().close());
  await joinRoom(page, 'Ada', room);
  await joinRoom(other, 'Bo', room);
  await linkOpen(page);
  await other.evaluate(() => window.peddlenet.send('Hi Ada! Meet at the main stage at nine? 🎶'));
  await waitForState(page, (s) => s.messages.length === 1);
  await page.evaluate(() => window.peddlenet.send('Yes, see you there.'));
  await waitForState(page, (s) => s.messages.length === 2 && s.messages[1].delivery === 'delivered');
  await sleep(300); // the frames that draw the delivery state

  const shots = {};
  shots.dark = readPng(await screenshot(page, 'ergonomics-room-dark-390x844'));

  // The device switches to light while the app runs: it redraws in the light theme at once.
  const framesBefore = (await state(page)).frames;
  await page.emulateMedia({ colorScheme: 'light' });
  const light = await waitForState(page, (s) => s.theme === 'light', 5000);
  assert.ok(light.frames > framesBefore, 'the switch draws new frames');
  assert.deepEqual(await shell(), { background: 'rgb(246, 246, 249)', themeColor: '#f6f6f9' });
  await sleep(300);
  shots.light = readPng(await screenshot(page, 'ergonomics-room-light-390x844'));
  await page.evaluate(() => window.peddlenet.leave());
  await waitForState(page, (s) => s.screen === 'home');
  await sleep(300);
  await screenshot(page, 'ergonomics-home-light-390x844');

  // The screens really changed: the window background is the theme's.
  assert.deepEqual(shots.dark.at(380, 836), [18, 20, 28], 'dark window background');
  assert.deepEqual(shots.light.at(380, 836), [246, 246, 249], 'light window background');
  for (const [scheme, png] of Object.entries(shots)) {
    for (const [name, box] of Object.entries({ Leave: LEAVE_BUTTON, Send: SEND_BUTTON })) {
      const button = buttonContrast(png, box);
      console.log(`# ${scheme}: ${name} text ${button.text} on ${button.fill}: contrast ${button.ratio.toFixed(2)}`);
      assert.ok(button.ratio >= 4.5, `${scheme}: ${name} reads at >= 4.5:1 (got ${button.ratio.toFixed(2)})`);
    }
  }
  assert.deepEqual(page.problems, []);
});

test('the layout keeps clear of the safe-area insets and re-reads them on resize', async (t) => {
  const context = await browser.newContext({ viewport: PHONE });
  t.after(() => context.close());
  const page = await openApp(browser, server.url, { context });
  // Headless Chromium has no notch: env(safe-area-inset-*) is 0 here, and the shell's custom
  // properties carry exactly that.
  assert.deepEqual((await state(page)).safeArea, { top: 0, right: 0, bottom: 0, left: 0 });
  assert.equal(await page.evaluate(() => getComputedStyle(document.documentElement)
    .getPropertyValue('--safe-area-top').trim()), '0px');
  await joinRoom(page, 'Ada', 'insets-' + Date.now());
  await sleep(300);
  const before = readPng(await screenshot(page, 'ergonomics-insets-none'));
  const leaveBefore = buttonContrast(before, LEAVE_BUTTON);

  // What a phone with a notch and a home indicator reports, put in the place env() would fill
  // (the custom properties the app reads); a rotation-like resize makes the app read them again.
  await page.addStyleTag({ content: ':root { --safe-area-top: 47px; --safe-area-bottom: 34px; --safe-area-left: 12px; --safe-area-right: 12px; }' });
  await page.setViewportSize({ width: 391, height: 844 });
  const s = await waitForState(page, (st) => st.safeArea.top === 47, 5000);
  assert.deepEqual(s.safeArea, { top: 47, right: 12, bottom: 34, left: 12 });
  await page.setViewportSize(PHONE);
  await sleep(400);
  const after = readPng(await screenshot(page, 'ergonomics-insets-notch'));
  const bg = after.at(389, 843);
  // The strip under the notch is empty now; the Leave button moved down and right with the insets.
  for (let x = 0; x < 390; x += 7) {
    for (let y = 0; y < 47; y += 3) assert.deepEqual(after.at(x, y), bg, `nothing drawn under the notch at ${x},${y}`);
  }
  for (let y = 844 - 34; y < 844; y += 3) assert.deepEqual(after.at(200, y), bg, `nothing drawn over the home indicator at y ${y}`);
  const moved = buttonContrast(after, { x0: LEAVE_BUTTON.x0 + 12, y0: LEAVE_BUTTON.y0 + 47, x1: LEAVE_BUTTON.x1 + 12, y1: LEAVE_BUTTON.y1 + 47 });
  assert.deepEqual(moved.fill, leaveBefore.fill, 'the Leave button is drawn inside the safe area');
  assert.deepEqual(page.problems, []);
});

// Chromium emulates a focused, visible page for every page Playwright creates itself
// (Emulation.setFocusEmulationEnabled), so a tab in the background would still be "visible".
// This browser is started here and attached over CDP without those defaults, so that opening
// a second tab in the same window really hides the app's tab, as on a phone.
async function launchUnemulatedBrowser(t) {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'peddlenet-notify-'));
  const child = spawn('/usr/bin/chromium', [...CHROMIUM_ARGS, '--headless', '--remote-debugging-port=0',
    `--user-data-dir=${profile}`, `--window-size=${PHONE.width},${PHONE.height}`, 'about:blank'],
  { stdio: ['ignore', 'ignore', 'pipe'] });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  t.after(async () => {
    child.kill('SIGKILL');
    await exited; // it writes to the profile until it is gone
    fs.rmSync(profile, { recursive: true, force: true });
  });
  const endpoint = await new Promise((resolve, reject) => {
    let err = '';
    const timer = setTimeout(() => reject(new Error(`chromium did not start:\n${err}`)), 20000);
    child.stderr.on('data', (d) => {
      err += d;
      const m = /DevTools listening on (ws:\S+)/.exec(err);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    });
  });
  return chromium.connectOverCDP(endpoint, { noDefaults: true });
}

// The notifications this page's service worker registration holds (shown and not closed).
const notifications = (page) => page.evaluate(() => navigator.serviceWorker.getRegistration()
  .then((r) => r.getNotifications())
  .then((list) => list.map((n) => ({ title: n.title, body: n.body, tag: n.tag }))));

// Polls from here: page.waitForFunction takes a pending Promise for a truthy answer.
async function waitForNotifications(page, predicate, what, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const list = await notifications(page);
    if (predicate(list)) return list;
    if (Date.now() > deadline) assert.fail(`${what}; the page holds ${JSON.stringify(list)}`);
    await sleep(100);
  }
}

test('the setting asks for permission inside the tap and is remembered', async (t) => {
  const context = await browser.newContext({ viewport: PHONE });
  t.after(() => context.close());
  // Records each permission request and whether the tap's user activation was still live then.
  await context.addInitScript(() => {
    window.permissionRequests = [];
    const request = Notification.requestPermission.bind(Notification);
    Notification.requestPermission = (...args) => {
      window.permissionRequests.push({ activation: navigator.userActivation.isActive });
      return request(...args);
    };
  });
  const page = await openApp(browser, server.url, { context });
  assert.equal((await state(page)).notifications.setting, false);
  await page.mouse.click(52, 547); // Settings, the last of the home screen's buttons
  await waitForState(page, (s) => s.screen === 'settings');
  const permission = (await state(page)).notifications.permission;
  await page.mouse.click(35, 95); // the checkbox
  if (permission === 'default') {
    await page.waitForFunction(() => window.permissionRequests.length === 1, null, { timeout: 5000 });
    assert.deepEqual(await page.evaluate(() => window.permissionRequests), [{ activation: true }],
      'requestPermission ran while the tap still counted as a user gesture');
  } else {
    // Headless Chromium answers "denied" before anyone asks: the setting is kept and the screen
    // says plainly that the browser blocks it.
    console.log(`# permission before the tap: ${permission}`);
  }
  await waitForState(page, (s) => s.notifications.setting === true, 5000);
  await screenshot(page, 'ergonomics-settings-notify-blocked');

  // With the permission granted, the checkbox shows on; turning it off and on again sticks.
  await context.grantPermissions(['notifications'], { origin: server.url });
  await page.mouse.click(35, 95);
  await waitForState(page, (s) => s.notifications.setting === false, 5000);
  assert.equal(await page.evaluate(() => localStorage.getItem('peddlenet.notify')), null);
  await page.mouse.click(150, 105); // the label toggles too
  await waitForState(page, (s) => s.notifications.setting === true && s.notifications.permission === 'granted', 5000);
  assert.equal(await page.evaluate(() => localStorage.getItem('peddlenet.notify')), 'on');
  await sleep(300);
  await screenshot(page, 'ergonomics-settings-notify-on');
  await page.reload();
  await page.waitForFunction(() => window.peddlenet !== undefined, null, { timeout: 30000 });
  await page.evaluate(() => window.peddlenet.ready);
  assert.equal((await state(page)).notifications.setting, true, 'remembered across a reload');
  assert.deepEqual(page.problems, []);
});

test('a message arriving while the page is hidden shows a notification; none while visible', async (t) => {
  const room = 'notify-' + Date.now();
  const cdpBrowser = await launchUnemulatedBrowser(t);
  const context = cdpBrowser.contexts()[0];
  // camera: Chromium offers loopback ICE candidates only to pages with media permission.
  await context.grantPermissions(['notifications', 'camera'], { origin: server.url });
  const page = context.pages()[0];
  page.problems = [];
  page.on('pageerror', (e) => page.problems.push(`pageerror: ${e.message}`));
  const warnings = []; // the app logs a notification it could not show; printed on failure
  page.on('console', (m) => {
    if ((m.type() === 'warning' || m.type() === 'error') && !/GL Driver Message/.test(m.text())) warnings.push(m.text());
  });
  t.after(() => { if (warnings.length) console.log(`# page warnings: ${JSON.stringify(warnings)}`); });
  await page.goto(server.url);
  await page.waitForFunction(() => window.peddlenet !== undefined, null, { timeout: 30000 });
  await page.evaluate(() => window.peddlenet.ready);
  await waitForController(page); // notifications go through the service worker, as on Android
  // The setting as the previous test turned it on with a tap.
  await page.evaluate(() => localStorage.setItem('peddlenet.notify', 'on'));
  await page.reload();
  await page.waitForFunction(() => window.peddlenet !== undefined, null, { timeout: 30000 });
  await page.evaluate(() => window.peddlenet.ready);
  assert.deepEqual((await state(page)).notifications,
    { setting: true, permission: 'granted', hidden: false, shown: 0 });

  const sender = await openApp(browser, server.url);
  t.after(() => sender.context().close());
  await joinRoom(page, 'Ada', room);
  await joinRoom(sender, 'Bo', room);
  await linkOpen(page);

  // Visible: the message is on screen, no notification.
  await sender.evaluate(() => window.peddlenet.send('you can see this one'));
  await waitForState(page, (s) => s.messages.length === 1);
  await sleep(1000);
  assert.equal((await state(page)).notifications.shown, 0);
  assert.deepEqual(await notifications(page), [], 'no notification while the app is visible');

  // Another tab in the same window: the app's tab is really hidden now.
  const cdp = await cdpBrowser.newBrowserCDPSession();
  const { targetId } = await cdp.send('Target.createTarget', { url: 'about:blank', newWindow: false });
  await page.waitForFunction(() => document.visibilityState === 'hidden', null, { timeout: 5000 });
  await waitForState(page, (s) => s.notifications.hidden === true, 5000);

  await sender.evaluate(() => window.peddlenet.send('Meet at the main stage at nine?'));
  await waitForState(page, (s) => s.notifications.shown === 1, 10000);
  assert.deepEqual(await waitForNotifications(page, (l) => l.length === 1, 'one notification'),
    [{ title: room, body: 'Bo: Meet at the main stage at nine?', tag: `peddlenet-room-${room}` }]);

  // A second message replaces the room's notification (one per room), cut to a short body.
  const long = 'ü'.repeat(300);
  await sender.evaluate((text) => window.peddlenet.send(text), long);
  await waitForState(page, (s) => s.notifications.shown === 2, 10000);
  const [latest, ...more] = await waitForNotifications(page, (l) => l.length === 1 && l[0].body.length > 100,
    'the room\'s notification shows the newest message');
  assert.deepEqual(more, []);
  assert.equal(latest.body, 'Bo: ' + 'ü'.repeat(136) + '…', 'the newest message, 140 characters and an ellipsis');

  // Back to the app: its notifications are closed, and new messages show none.
  await cdp.send('Target.closeTarget', { targetId });
  await page.bringToFront();
  await page.waitForFunction(() => document.visibilityState === 'visible', null, { timeout: 5000 });
  await waitForState(page, (s) => s.notifications.hidden === false, 5000);
  await waitForNotifications(page, (l) => l.length === 0, 'notifications closed once the app is seen');
  await sender.evaluate(() => window.peddlenet.send('back in view'));
  await waitForState(page, (s) => s.messages.length === 4);
  await sleep(1000);
  assert.equal((await state(page)).notifications.shown, 2);
  assert.deepEqual(await notifications(page), []);
  assert.deepEqual(page.problems, []);
});
