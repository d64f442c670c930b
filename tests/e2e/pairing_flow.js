// pairing_flow.js: pairing two app pages by QR with no server, as people do it, for the e2e test
// and scripts/bench/pairing.js. Each page runs in its own Chromium whose fake camera shows what
// `show(png)` last wrote: the QR card of the other page's screenshot, as a phone camera pointed
// at the other screen sees it (Chromium reads the Y4M again each time a capture starts).
'use strict';
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { launchBrowser, screenshot, waitForState } = require('./harness');
const { sceneFrame, screenFrame, writeY4m } = require('./qr_media');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// A Chromium with a fake camera in `dir`; `show(png)` puts a screenshot's QR card in front of it.
async function phone(dir, name) {
  const file = path.join(dir, `${name}.y4m`);
  writeY4m(file, sceneFrame());
  const browser = await launchBrowser([`--use-file-for-fake-video-capture=${file}`]);
  return { browser, show: (png) => writeY4m(file, screenFrame(png)) };
}

// What the page shows once it shows a QR code, as PNG bytes (kept as test-results/<name>.png).
// A loaded machine may take a few frames to lay the screen out: until then, take it again.
async function screen(page, name) {
  for (let tries = 0; ; ++tries) {
    await sleep(300);
    const png = fs.readFileSync(await screenshot(page, name));
    try {
      screenFrame(png);
      return png;
    } catch (e) {
      if (tries >= 20) throw e;
    }
  }
}

// In the page: a proven open link to `peer` (waitForState's predicate).
const linkedTo = (s, peer) => s.peers.some((p) => p.peerId === peer && p.link === 'open' && p.proof === 'ok');

// `shower` (in a private room) shows its offer, `scanner` scans it with the app's scanner and shows
// its answer, `shower` scans that. Resolves once both hold a proven link and the bootstrap
// connection is gone, with {offer, answer, scanToLinkedMs}: the two codes' {bytes, chars,
// qrVersion} and the time from the answer's scan to both links proven.
// scan() on `page`, bounded: a scanner that never decodes fails with what it saw instead of
// holding the test until its own timeout (it did so once in about ten full runs).
async function scanWithin(page, label, ms = 30000) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(async () => {
      const s = await page.evaluate(() => window.peddlenet.state()).catch(() => null);
      reject(new Error(`${label}: the scanner read nothing in ${ms} ms; scanner ${JSON.stringify(s && s.scanner)}`));
    }, ms);
  });
  try {
    return await Promise.race([page.evaluate(() => window.peddlenet.scan()), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function pair(shower, showerPhone, scanner, scannerPhone, label) {
  await shower.evaluate(() => window.peddlenet.pair());
  const offer = (await waitForState(shower, (s) => s.pairing.state === 'showing', 10000));
  assert.match(offer.pairing.code, /^PN1:[0-9A-Z*+\-./]+$/);
  scannerPhone.show(await screen(shower, `${label}-offer-light`));

  assert.equal(await scanWithin(scanner, `${label} offer`), offer.pairing.code);
  const answer = await waitForState(scanner, (s) => s.pairing.state === 'showing', 10000);
  assert.equal(answer.pairing.offering, false);
  assert.equal(answer.room, offer.room, 'the scanner entered the room the offer names');
  assert.equal(answer.private, true);
  showerPhone.show(await screen(scanner, `${label}-answer-light`));

  assert.equal(await scanWithin(shower, `${label} answer`), answer.pairing.code);
  const scanned = Date.now();
  try {
    await waitForState(shower, linkedTo, 15000, answer.peerId);
    await waitForState(scanner, linkedTo, 15000, offer.peerId);
  } catch (e) { // what each side saw, for the log
    for (const [who, page] of [['shower', shower], ['scanner', scanner]]) {
      const s = await page.evaluate(() => window.peddlenet.state());
      console.log(`# ${label} ${who}: pairing ${JSON.stringify({ ...s.pairing, code: undefined })} peers ` +
                  JSON.stringify(s.peers.map((p) => [p.peerId.slice(0, 6), p.link, p.proof])) + ` room ${s.room}`);
    }
    throw e;
  }
  const scanToLinkedMs = Date.now() - scanned;
  const done = await waitForState(shower, (s) => s.pairing.state === 'idle' && s.pairing.pairedWith !== null, 5000);
  assert.equal(done.screen, 'room');
  const figures = (p) => ({ bytes: p.bytes, chars: p.code.length, qrVersion: p.qrVersion });
  return { offer: figures(offer.pairing), answer: figures(answer.pairing), scanToLinkedMs, offerState: offer, answerState: answer };
}

module.exports = { phone, screen, linkedTo, pair, sleep };
