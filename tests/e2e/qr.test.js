// QR invites and the camera scanner end to end: the real server, the real wasm build, headless
// Chromium. The host's on-screen QR is read by zbarimg (Debian zbar-tools); codes made by
// qrencode (Debian) reach the app's scanner through Chromium's fake camera (a Y4M file); the
// scanning page then joins the host's room and connects to it with no other input. Camera
// failures show a clear message. Run inside a loopback-only network namespace (scripts/test.sh).
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { chromium } = require('playwright-core');
const { ARTIFACTS, startServer, launchBrowser, openApp, screenshot, waitForState, state } = require('./harness');
const { decodePng } = require('./png');
const { qrFrame, qrCardBox, writeY4m } = require('./qr_media');

const MEDIA = path.join(ARTIFACTS, 'qr-media');

let server, browser;
test.before(async () => {
  server = await startServer(['--grace-ms', '1500']);
  browser = await launchBrowser();
});
test.after(async () => {
  await browser?.close();
  await server?.stop();
});


// Closes what a test opened, pass or fail.
function cleanup(t, ...things) {
  t.after(async () => {
    for (const thing of things.flat()) await thing.close().catch(() => {});
  });
}

// A page of `b` with a name, in `room`, connected to the server at `url`.
async function host(t, b, name, room, url = server.url) {
  const page = await openApp(b, url);
  cleanup(t, page.context());
  await page.evaluate((n) => window.peddlenet.setName(n), name);
  await page.evaluate((r) => window.peddlenet.join(r), room);
  return page;
}

// A browser whose fake camera shows `text` as a QR code made by qrencode.
async function browserShowing(t, text, file) {
  const y4m = writeY4m(path.join(MEDIA, file), qrFrame(text));
  const b = await launchBrowser([`--use-file-for-fake-video-capture=${y4m}`]);
  cleanup(t, b);
  return b;
}

// Records every getUserMedia stream the page gets, so a test can check that its tracks ended.
async function watchStreams(page) {
  await page.evaluate(() => {
    window.__streams = [];
    const original = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
    navigator.mediaDevices.getUserMedia = (c) => original(c).then((s) => { window.__streams.push(s); return s; });
  });
}
const liveTracks = (page) => page.evaluate(() =>
  window.__streams.flatMap((s) => s.getTracks()).filter((tr) => tr.readyState !== 'ended').length);

// Bounding box of the QR code's white card in a screenshot, and its share of pixels that are
// neither pure black nor pure white (blurred or antialiased module edges).
function qrCardStats(file) {
  const image = decodePng(fs.readFileSync(file));
  const { width, channels, pixels } = image;
  const { x0, y0, x1, y1 } = qrCardBox(image);
  let grey = 0;
  for (let y = y0; y <= y1; ++y) for (let x = x0; x <= x1; ++x) {
    const p = (y * width + x) * channels, r = pixels[p], g = pixels[p + 1], b = pixels[p + 2];
    if (!((r === 0 && g === 0 && b === 0) || (r === 255 && g === 255 && b === 255))) ++grey;
  }
  return { side: x1 - x0 + 1, tall: y1 - y0 + 1, bottom: y1, greyShare: grey / ((x1 - x0 + 1) * (y1 - y0 + 1)) };
}

// Centre (in CSS px at scale 1) of the first accent-coloured (orange) area below row `below`.
function accentBox(file, below) {
  const { width, height, channels, pixels } = decodePng(fs.readFileSync(file));
  let x0 = width, y0 = height, x1 = -1, y1 = -1;
  for (let y = below + 1; y < height; ++y) {
    for (let x = 0; x < width; ++x) {
      const p = (y * width + x) * channels, r = pixels[p], g = pixels[p + 1], b = pixels[p + 2];
      if (r > 220 && g > 110 && g < 170 && b < 90) { x0 = Math.min(x0, x); y0 = Math.min(y0, y); x1 = Math.max(x1, x); y1 = Math.max(y1, y); }
    }
    if (y1 >= 0 && y > y1 + 4) break; // past the first button
  }
  assert.ok(y1 >= 0, 'a Copy button is drawn under the code');
  return { x: (x0 + x1) / 2, y: (y0 + y1) / 2 };
}

function zbarimg(file) {
  return execFileSync('zbarimg', ['--raw', '-q', file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
}

test('a room\'s invite is the page origin + #join=<room>; its on-screen QR reads back with zbarimg', async (t) => {
  for (const scale of [1, 2, 3]) {
    const page = await openApp(browser, server.url, { scale });
    cleanup(t, page.context());
    assert.equal((await state(page)).invite, null, 'no room, no invite');
    await assert.rejects(page.evaluate(() => window.peddlenet.showInvite()), /room/);
    await page.evaluate(() => window.peddlenet.setName('Host'));
    const room = `qr-host-${scale}x`;
    await page.evaluate((r) => window.peddlenet.join(r), room);
    const s = await state(page);
    assert.equal(s.invite, `${server.url}#join=${room}`);
    const framesBefore = (await state(page)).frames;
    assert.equal(await page.evaluate(() => window.peddlenet.showInvite()), s.invite);
    // The two frames of the redraw (lay out, then settle) have landed: a fixed wait is not
    // enough while frames come late (redraws then back off, main_loop.hpp).
    await waitForState(page, (st, n) => st.screen === 'invite' && st.frames >= n + 2, 10000, framesBefore);
    const file = await screenshot(page, `qr-invite-390x844@${scale}x`);
    assert.equal(zbarimg(file), s.invite, `zbarimg reads the invite at devicePixelRatio ${scale}`);
    const card = qrCardStats(file);
    assert.equal(card.greyShare, 0, 'modules are pure black on pure white: crisp, no antialiased edges');
    assert.ok(card.side >= 0.85 * 390 * scale, `the code fills the phone's width (${card.side} of ${390 * scale} px)`);
    assert.equal(card.side, card.tall, 'square');
    if (scale === 1) {
      // Copy link: a real tap on the orange button under the code puts the link on the clipboard.
      await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
      const button = accentBox(file, card.bottom);
      await page.mouse.click(button.x, button.y);
      await page.waitForFunction((url) => navigator.clipboard.readText().then((t) => t === url), s.invite,
        { timeout: 5000, polling: 100 });
    }
    assert.deepEqual(page.problems, []);
  }
});

test('opening an invite URL joins its room: a name is asked first when none is saved', async (t) => {
  const room = 'link-room';
  const a = await host(t, browser, 'Ada', room);
  const invite = (await state(a)).invite;

  // A phone that never used the app: the invite waits for a name, nothing is joined yet.
  const fresh = await openApp(browser, invite);
  cleanup(t, fresh.context());
  let s = await waitForState(fresh, (st) => st.screen === 'invited');
  assert.equal(s.invitedRoom, room);
  assert.equal(s.room, null);
  assert.equal(new URL(fresh.url()).hash, '', 'the fragment is taken out of the address bar');
  await screenshot(fresh, 'qr-invited-name-prompt');
  // As a person does it: tap the name field, type, tap Join.
  await fresh.mouse.click(195, 212);
  await fresh.keyboard.type('Bea');
  await fresh.waitForTimeout(300); // typed text reaches ImGui on the next frames
  await fresh.mouse.click(195, 288);
  s = await waitForState(fresh, (st) => st.room === 'link-room' && st.peers.length === 1 &&
    st.peers[0].link === 'open', 20000);
  assert.equal(s.name, 'Bea');
  assert.equal(s.peers[0].name, 'Ada');
  assert.equal(s.invitedRoom, null);

  // A phone with a saved name: opening the link is all it takes.
  const known = await openApp(browser, server.url);
  cleanup(t, known.context());
  await known.evaluate(() => window.peddlenet.setName('Cy'));
  await known.goto(invite); // same document, new fragment: the hashchange path
  s = await waitForState(known, (st) => st.room === 'link-room' && st.peers.length === 2 &&
    st.peers.every((p) => p.link === 'open'), 20000);
  // A full page load of an invite with the name saved: the startup path.
  await known.goto(`${server.url}?from=poster#join=other-room`);
  await known.waitForFunction(() => window.peddlenet !== undefined);
  await known.evaluate(() => window.peddlenet.ready);
  s = await waitForState(known, (st) => st.room === 'other-room' && st.joined);
  assert.equal(s.name, 'Cy');
  assert.equal(s.invite, `${server.url}#join=other-room`, 'the page\'s query never leaks into invites');
  assert.deepEqual([...a.problems, ...fresh.problems, ...known.problems], []);
});

test('the scanner reads a qrencode invite from the fake camera, joins and connects with no other input', async (t) => {
  const room = 'scan-room';
  const a = await host(t, browser, 'Host', room);
  const invite = (await state(a)).invite;
  const camera = await browserShowing(t, invite, 'invite.y4m');

  const b = await openApp(camera, server.url);
  cleanup(t, b.context());
  await b.evaluate(() => window.peddlenet.setName('Scanner'));
  await watchStreams(b);
  const started = Date.now();
  const text = await b.evaluate(() => window.peddlenet.scan());
  const decodedMs = Date.now() - started;
  assert.equal(text, invite);
  const s = await waitForState(b, (st) => st.room === 'scan-room' && st.joined && st.peers.length === 1 &&
    st.peers[0].link === 'open', 20000);
  console.log(`# scan() -> decoded ${decodedMs} ms, -> connected to the host ${Date.now() - started} ms`);
  assert.equal(s.peers[0].peerId, (await state(a)).peerId);
  assert.equal(s.screen, 'room');
  assert.equal(s.scanner.status, 'invite');
  await waitForState(a, (st) => st.peers.length === 1 && st.peers[0].name === 'Scanner' && st.peers[0].link === 'open');
  assert.equal(await liveTracks(b), 0, 'the camera is off once the invite is read');
  await b.evaluate(() => window.peddlenet.send('hello from the scanner'));
  await waitForState(a, (st) => st.messages.some((m) => m.text === 'hello from the scanner'));

  // Without a saved name the scan still reads the invite, then asks for the name.
  const c = await openApp(camera, server.url);
  cleanup(t, c.context());
  assert.equal(await c.evaluate(() => window.peddlenet.scan()), invite);
  const sc = await waitForState(c, (st) => st.screen === 'invited');
  assert.equal(sc.invitedRoom, room);
  assert.equal(sc.room, null);
  assert.deepEqual([...a.problems, ...b.problems, ...c.problems], []);
});

// Polls state() until `predicate` holds, through page loads (the app may reload itself).
async function pollState(page, predicate, timeoutMs = 20000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await page.evaluate(() => (window.peddlenet && window.peddlenet.state ? window.peddlenet.state() : null))
      .catch(() => null);
    if (s && predicate(s)) return s;
    if (Date.now() > deadline) throw new Error(`state never matched; last: ${JSON.stringify(s)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('an invite from another server moves the scanning app there (same page, &server=), kept across reloads', async (t) => {
  const far = await startServer(['--grace-ms', '1500']);
  t.after(() => far.stop());
  const a = await host(t, browser, 'Far host', 'far-room', far.url);
  const invite = (await state(a)).invite;
  assert.equal(invite, `${far.url}#join=far-room`);
  const camera = await browserShowing(t, invite, 'far-invite.y4m');

  const b = await openApp(camera, server.url);
  cleanup(t, b.context());
  await b.evaluate(() => window.peddlenet.setName('Traveller'));
  await b.evaluate(() => { window.peddlenet.scan().catch(() => {}); }); // the page reloads when it reads the code
  const farWs = `ws://127.0.0.1:${far.port}/ws`;
  let s = await pollState(b, (st) => st.room === 'far-room' && st.peers.length === 1 && st.peers[0].link === 'open');
  assert.equal(s.peers[0].name, 'Far host');
  assert.equal(s.name, 'Traveller', 'same page: the name is kept');
  assert.equal(s.invite, `${server.url}#join=far-room&server=${farWs}`, 'its own invites name that server');
  assert.equal(new URL(b.url()).origin, new URL(server.url).origin, 'still on its own origin');

  await b.reload();
  s = await pollState(b, (st) => st.room === 'far-room' && st.peers.length === 1 && st.peers[0].link === 'open');
  assert.equal(s.invite, `${server.url}#join=far-room&server=${farWs}`, 'a reload rejoins on that server');
  assert.deepEqual([...a.problems, ...b.problems], []);
});

test('a code that is not an invite is shown as text and joins nothing; closing stops the camera', async (t) => {
  const text = 'https://example.org/tickets?join=main-stage';
  const camera = await browserShowing(t, text, 'not-invite.y4m');
  const page = await openApp(camera, server.url);
  cleanup(t, page.context());
  await watchStreams(page);
  assert.equal(await page.evaluate(() => window.peddlenet.scan()), text);
  let s = await waitForState(page, (st) => st.scanner.text !== null);
  assert.equal(s.scanner.text, text);
  assert.equal(s.room, null);
  assert.equal(s.screen, 'scanner');
  assert.equal(s.scanner.status, 'scanning', 'scanning goes on for the right code');
  // About ten decode attempts a second or more, each far below a frame budget's worth of stalls.
  const before = s.scanner.frames;
  await new Promise((r) => setTimeout(r, 2000));
  s = await state(page);
  console.log(`# ${s.scanner.frames - before} frames decoded in 2 s; decode p50 ${s.scanner.decodeMs.p50.toFixed(2)} ms`);
  // 12.5 are due per second; 8 leaves room for a loaded 2-core machine.
  assert.ok(s.scanner.frames - before >= 16, `at least 8 attempts per second (${s.scanner.frames - before} in 2 s)`);
  assert.equal(s.room, null);
  await screenshot(page, 'qr-scanner-not-invite');

  // The page hides: tracks end; shown again: the camera comes back.
  assert.ok(await liveTracks(page) > 0);
  const setHidden = (hidden) => page.evaluate((h) => {
    Object.defineProperty(document, 'hidden', { value: h, configurable: true });
    Object.defineProperty(document, 'visibilityState', { value: h ? 'hidden' : 'visible', configurable: true });
    document.dispatchEvent(new Event('visibilitychange'));
  }, hidden);
  await setHidden(true);
  await waitForState(page, (st) => st.scanner.status === 'paused');
  assert.equal(await liveTracks(page), 0, 'no camera while the page is hidden');
  await setHidden(false);
  await waitForState(page, (st) => st.scanner.status === 'scanning');
  assert.ok(await liveTracks(page) > 0, 'the camera is back');

  // Back (a real tap on the button, top left) closes the scanner: tracks end, home again.
  await page.mouse.click(40, 34);
  s = await waitForState(page, (st) => st.screen === 'home');
  assert.equal(s.scanner.open, false);
  assert.equal(await liveTracks(page), 0, 'no camera once the scanner is closed');
  assert.deepEqual(page.problems, []);
});

// Chromium as the harness launches it, but without the flags that fake the camera prompt (which
// grant every request, whatever the permission settings say) and, with `device: false`, without
// the fake device: the same browser a person has, with nobody to click "Allow".
async function launchPlain({ device = true, extra = [] } = {}) {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--enable-unsafe-swiftshader',
      ...(device ? ['--use-fake-device-for-media-stream'] : []), ...extra],
  });
}

async function expectCameraFailure(t, b, url, kind, message, shot) {
  cleanup(t, b);
  const page = await openApp(b, url);
  await page.context().clearPermissions(); // openApp grants the camera; a person may not
  await assert.rejects(page.evaluate(() => window.peddlenet.scan()), message);
  const s = await waitForState(page, (st) => st.scanner.status === 'failed');
  assert.equal(s.scanner.error, kind);
  assert.match(s.scanner.message, message);
  assert.equal(s.screen, 'scanner', 'the scanner stays, with its explanation');
  const file = await screenshot(page, shot);
  const { width, height, channels, pixels } = decodePng(fs.readFileSync(file));
  let ink = 0;
  for (let i = 0; i < width * height; ++i) ink += pixels[i * channels] > 150 ? 1 : 0;
  assert.ok(ink > 500, 'the message is drawn, not a blank screen');
  // Still alive: the app goes on working.
  await page.evaluate(() => window.peddlenet.setName('Still here'));
  assert.equal((await state(page)).name, 'Still here');
  // On an http origin the browser itself complains about the server's COOP header: not the app.
  assert.deepEqual(page.problems.filter((p) => !/Cross-Origin-Opener-Policy header has been ignored/.test(p)), []);
}

test('camera permission denied: a clear message, no crash', async (t) => {
  await expectCameraFailure(t, await launchPlain(), server.url, 'permission-denied', /blocked/, 'qr-scanner-denied');
});

test('no camera at all: a clear message, no crash', async (t) => {
  await expectCameraFailure(t, await launchPlain({ device: false, extra: ['--use-fake-ui-for-media-stream'] }),
    server.url, 'no-camera', /No camera/, 'qr-scanner-no-camera');
});

// Without a secure context the browser has no Web Crypto, so there is no identity key to sign
// with: the app explains that on its first screen instead of a scanner (the festival-networks
// work serves the LAN over https).
test('http on a LAN name (not a secure context): a clear message, no crash', async (t) => {
  const b = await launchPlain({ extra: ['--use-fake-ui-for-media-stream', '--host-resolver-rules=MAP festival.lan 127.0.0.1'] });
  cleanup(t, b);
  const page = await openApp(b, `http://festival.lan:${server.port}/`);
  const s = await state(page);
  assert.equal(s.screen, 'starting');
  assert.equal(s.identityState, 'failed');
  assert.match(s.identityError, /https/);
  await assert.rejects(page.evaluate(() => window.peddlenet.scan()), /https/);
  const file = await screenshot(page, 'insecure-context');
  const { width, height, channels, pixels } = decodePng(fs.readFileSync(file));
  let ink = 0;
  for (let i = 0; i < width * height; ++i) ink += pixels[i * channels] > 150 ? 1 : 0;
  assert.ok(ink > 500, 'the message is drawn, not a blank screen');
  assert.deepEqual(page.problems.filter((p) => !/Cross-Origin-Opener-Policy header has been ignored|PeddleNet: identity:|no identity key/.test(p)), []);
});
