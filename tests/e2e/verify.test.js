// Private rooms and verification in person, end to end: "Create private room" makes a room whose
// invite carries its key; a reload comes back into it; both phones show the same safety code;
// scanning a person's "My code" (here: its text, as scan() would hand it over) marks them
// verified for good; someone else using a verified person's name is flagged.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { startServer, launchBrowser, openApp, screenshot, waitForState, state } = require('./harness');

let server, browser;
test.before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});
test.after(async () => {
  await browser?.close();
  await server?.stop();
});

const linked = (n) => (s, count) => s.peers.length === count && s.peers.every((p) => p.link === 'open' && p.proof === 'ok');

test('a private room from the home screen, a safety code on both phones, a verified person kept and an impostor flagged', async (t) => {
  const pages = [];
  t.after(async () => { for (const p of pages) await p.context().close().catch(() => {}); });
  const ann = await openApp(browser, server.url);
  const bob = await openApp(browser, server.url);
  pages.push(ann, bob);

  // Ann taps "Create private room" (the primary button under the name field).
  await ann.evaluate(() => window.peddlenet.setName('Ann'));
  await ann.mouse.click(195, 314);
  const created = await waitForState(ann, (s) => s.screen === 'room' && s.joined);
  assert.equal(created.private, true);
  assert.match(created.invite, /#join=[a-z]+-[a-z]+-\d+&key=[A-Za-z0-9_-]{22}$/);
  assert.notEqual(created.roomId, created.room, 'the server sees an id derived from the key, not the name');
  assert.equal(created.roomId.length, 43);
  assert.ok(!created.invite.includes(created.roomId));

  await bob.evaluate(() => window.peddlenet.setName('Bob'));
  assert.equal(await bob.evaluate((u) => window.peddlenet.join(u), created.invite), created.room);
  const [, b1] = await Promise.all([waitForState(ann, linked(), 20000, 1), waitForState(bob, linked(), 20000, 1)]);
  assert.equal(b1.private, true);
  assert.equal(b1.roomId, created.roomId);
  const codes = await Promise.all([ann, bob].map(async (p) => (await waitForState(p, (s) => s.peers[0].safetyCode)).peers[0].safetyCode));
  assert.match(codes[0], /^\d{5} \d{5} \d{5} \d{5}$/);
  assert.equal(codes[0], codes[1], 'the same safety code on both phones');
  assert.equal(b1.peers[0].verified, false);

  // Bob scans Ann's "My code".
  const annCode = await ann.evaluate(() => window.peddlenet.myCode());
  assert.match(annCode, /^peddlenet-verify:1:[A-Za-z0-9_-]{43}:/);
  assert.equal(await bob.evaluate((c) => window.peddlenet.verify(c), annCode), 'Ann');
  assert.equal((await state(bob)).peers[0].verified, true);
  assert.match(await bob.evaluate(() => { try { window.peddlenet.verify('peddlenet-verify:1:short:QW5u'); return ''; } catch (e) { return e.message; } }),
    /not a PeddleNet/);

  // A reload comes back into the private room (its key kept on the device), Ann still verified.
  await bob.reload();
  await bob.waitForFunction(() => window.peddlenet !== undefined);
  await bob.evaluate(() => window.peddlenet.ready);
  const back = await waitForState(bob, linked(), 20000, 1);
  assert.equal(back.room, created.room);
  assert.equal(back.private, true);
  assert.equal(back.peers[0].verified, true, 'the mark survives a reload');

  // Someone else who calls themselves Ann joins with the invite: Bob's phone flags it.
  const eve = await openApp(browser, server.url);
  pages.push(eve);
  await eve.evaluate(() => window.peddlenet.setName('Ann'));
  await eve.evaluate((u) => window.peddlenet.join(u), created.invite);
  const flagged = await waitForState(bob, linked(), 20000, 2);
  const impostor = flagged.peers.find((p) => !p.verified);
  assert.ok(impostor, 'one Ann is not verified');
  assert.equal(impostor.verifiedNameOtherKey, true);
  assert.equal(flagged.peers.find((p) => p.verified).verifiedNameOtherKey, false);

  // What Bob sees, in both themes at phone size: People open with the mark and the warning.
  await bob.mouse.click(335, 36); // "People 3"
  await bob.emulateMedia({ colorScheme: 'dark' });
  await waitForState(bob, (s) => s.theme === 'dark');
  await bob.waitForTimeout(300);
  await screenshot(bob, 'people-verified-dark');
  await bob.emulateMedia({ colorScheme: 'light' });
  await waitForState(bob, (s) => s.theme === 'light');
  await bob.waitForTimeout(300);
  await screenshot(bob, 'people-verified-light');
  for (const p of pages) assert.deepEqual(p.problems, []);
});
