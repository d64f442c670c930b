// Pairing by QR with no server at all, end to end: two real pages in two Chromiums, each with a
// fake camera; the signaling server serves the app and is then stopped. Page A shows its offer
// (the app's own QR code, photographed from A's screenshot into B's camera), B scans it with the
// in-app scanner, enters the private room it names and shows its answer, which A scans the same
// way. The bootstrap connection opens, carries the two room engines' signals, and the real link
// (proven: room key and identity) replaces it; chat then works both ways. A third page paired
// with B is introduced to A through the mesh.
// Prints the payload bytes, the QR versions and "QR scan -> linked" for the closing note.
// Screenshots: test-results/pairing-offer-{light,dark}.png, pairing-answer-light.png.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { ARTIFACTS, startServer, openApp, waitForState, send } = require('./harness');
const flow = require('./pairing_flow');
const { screen, linkedTo } = flow;

const MEDIA = path.join(ARTIFACTS, 'pairing-media');
const browsers = [];
test.after(async () => { for (const b of browsers) await b.close(); });

async function phone(name) {
  const p = await flow.phone(MEDIA, name);
  browsers.push(p.browser);
  return p;
}

// Pairs and checks the codes' size; returns ms from the answer's scan to both links proven.
async function pair(shower, showerPhone, scanner, scannerPhone, label) {
  const r = await flow.pair(shower, showerPhone, scanner, scannerPhone, label);
  console.log(`# ${label}: offer ${r.offer.bytes} bytes, ${r.offer.chars} characters, QR version ${r.offer.qrVersion}; ` +
              `answer ${r.answer.bytes} bytes, QR version ${r.answer.qrVersion}`);
  console.log(`# ${label}: QR scan -> linked (proven) ${r.scanToLinkedMs} ms, no server`);
  for (const code of [r.offer, r.answer]) {
    assert.ok(code.bytes <= 204, `payload ${code.bytes} bytes`);
    assert.ok(code.qrVersion >= 1 && code.qrVersion <= 10, `QR version ${code.qrVersion}`);
  }
  assert.notEqual(r.offerState.signaling, 'online');
  return r.scanToLinkedMs;
}

// A bound on the whole test: once, under load, a step waited forever and held up the suite.
test('two phones pair by QR with no server, chat, and a third is introduced through them', { timeout: 180000 }, async () => {
  const server = await startServer();
  const [pa, pb, pc] = [await phone('a'), await phone('b'), await phone('c')];
  const a = await openApp(pa.browser, server.url);
  const b = await openApp(pb.browser, server.url);
  const c = await openApp(pc.browser, server.url);
  await a.evaluate(() => window.peddlenet.setName('Ava'));
  await b.evaluate(() => window.peddlenet.setName('Bo'));
  await c.evaluate(() => window.peddlenet.setName('Cy'));
  await a.evaluate(() => window.peddlenet.create('festival-pair'));
  await server.stop(); // from here on no server: the pages are the installed app, offline
  await waitForState(a, (s) => s.signaling !== 'online', 10000);

  await pair(a, pa, b, pb, 'pairing');
  await send(a, 'paired, no server');
  await waitForState(b, (s) => s.messages.some((m) => m.text === 'paired, no server'), 5000);
  await send(b, 'and back');
  await waitForState(a, (s) => s.messages.some((m) => m.text === 'and back'), 5000);

  // The offer screen in the dark theme too (a fresh offer; cancelled after the picture).
  await a.evaluate(() => window.peddlenet.pair());
  await waitForState(a, (s) => s.pairing.state === 'showing', 10000);
  await a.emulateMedia({ colorScheme: 'dark' });
  await waitForState(a, (s) => s.theme === 'dark');
  await screen(a, 'pairing-offer-dark');
  await a.emulateMedia({ colorScheme: 'light' });
  await a.mouse.click(40, 36); // Cancel
  await waitForState(a, (s) => s.screen === 'room' && s.pairing.state === 'idle', 5000);

  // C pairs with B only; A learns of C through B and links to it through the mesh.
  await pair(b, pb, c, pc, 'pairing-third');
  const cState = await c.evaluate(() => window.peddlenet.state());
  const started = Date.now();
  await waitForState(a, linkedTo, 20000, cState.peerId).catch(async (e) => {
    for (const [n, p] of [['a', a], ['b', b], ['c', c]]) {
      const s = await p.evaluate(() => window.peddlenet.state());
      console.log(`# ${n}: ` + JSON.stringify({ peers: s.peers.map((x) => [x.peerId.slice(0, 6), x.link, x.proof]), mesh: s.mesh }));
    }
    throw e;
  });
  console.log(`# third page introduced to the first through the mesh in ${Date.now() - started} ms`);
  await waitForState(c, (s) => s.messages.some((m) => m.text === 'paired, no server'), 10000); // history too
  await send(c, 'the third one');
  await waitForState(a, (s) => s.messages.some((m) => m.text === 'the third one'), 5000);
  for (const p of [a, b, c]) assert.deepEqual(p.problems.filter((x) => !/WebSocket|ERR_CONNECTION_REFUSED/.test(x)), []);
});

test('a pairing code of the wrong kind is refused with a sentence, and the offer stays up', { timeout: 60000 }, async () => {
  const server = await startServer();
  const pa = await phone('d');
  const page = await openApp(pa.browser, server.url);
  await page.evaluate(() => window.peddlenet.setName('Di'));
  await page.evaluate(() => window.peddlenet.create('refusals'));
  await page.evaluate(() => window.peddlenet.pair());
  const offer = await waitForState(page, (s) => s.pairing.state === 'showing', 10000);
  // Its own offer, scanned where an answer is expected: refused, the offer stays up.
  pa.show(await screen(page, 'pairing-own-offer'));
  assert.equal(await page.evaluate(() => window.peddlenet.scan()), offer.pairing.code);
  const s = await waitForState(page, (x) => x.screen === 'pairing' && x.pairing.notice !== '', 5000);
  assert.match(s.pairing.notice, /first code of another pairing/);
  assert.equal(s.pairing.state, 'showing');
  assert.equal(s.pairing.code, offer.pairing.code);
  await server.stop();
});
