// P2P room chat end to end: real server, real wasm build, real WebRTC between headless Chromium
// pages on 127.0.0.1 (scripts/test.sh runs this inside a loopback-only network namespace).
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { startServer, launchBrowser, openApp, screenshot, waitForState, state, send } = require('./harness');

let server, browser;
test.before(async () => {
  server = await startServer(['--grace-ms', '1500']);
  browser = await launchBrowser();
});
test.after(async () => {
  await browser?.close();
  await server?.stop();
});


async function joinAll(pages, names, room) {
  for (let i = 0; i < pages.length; ++i) {
    await pages[i].evaluate((n) => window.peddlenet.setName(n), names[i]);
  }
  await Promise.all(pages.map((p) => p.evaluate((r) => window.peddlenet.join(r), room)));
  // Full mesh: every page has an open link to every other.
  await Promise.all(pages.map((p) => waitForState(p, (s, n) => s.peers.length === n &&
    s.peers.every((x) => x.link === 'open'), 20000, pages.length - 1)));
}

// Opens `n` app pages that are closed when the test ends, pass or fail (a leftover page would
// keep its links and load the machine for the tests after it).
async function openPages(t, n, url = server.url) {
  const pages = [];
  t.after(async () => { for (const p of pages) await p.context().close().catch(() => {}); });
  for (let i = 0; i < n; ++i) pages.push(await openApp(browser, url));
  return pages;
}

test('two pages reach each other and chat both ways, in the same order', async (t) => {
  const pages = await openPages(t, 2);
  await joinAll(pages, ['Alice', 'Bob'], 'two-way');
  const [a, b] = pages;
  const sa = await state(a), sb = await state(b);
  assert.equal(sa.peers[0].peerId, sb.peerId);
  assert.equal(sa.peers[0].name, 'Bob');
  assert.equal(sb.signaling, 'online');

  await send(a, 'hello from Alice');
  await send(b, 'hello from Bob');
  await send(a, 'second from Alice');
  for (const p of pages) await waitForState(p, (s) => s.messages.length === 3);
  const order = (s) => s.messages.map((m) => m.id);
  assert.deepEqual(order(await state(a)), order(await state(b)), 'display order is identical');
  // Own messages end up acknowledged by the one other member.
  const own = (await waitForState(a, (s) => s.messages.filter((m) => m.from === s.peerId)
    .every((m) => m.delivery === 'delivered' && m.deliveredTo === 1))).messages;
  assert.equal(own.find((m) => m.text === 'hello from Bob').delivery, 'received');
  await screenshot(a, 'chat-two-pages');
  assert.deepEqual([...a.problems, ...b.problems], []);
});

test('three pages form a full mesh; every message reaches everyone once', async (t) => {
  const pages = await openPages(t, 3);
  await joinAll(pages, ['Ann', 'Ben', 'Cat'], 'mesh-3');
  for (let i = 0; i < 3; ++i) await send(pages[i], `from ${i}`);
  for (const p of pages) await waitForState(p, (s) => s.messages.length === 3);
  const lists = await Promise.all(pages.map(async (p) => (await state(p)).messages.map((m) => m.text)));
  assert.deepEqual(lists[1], lists[0]);
  assert.deepEqual(lists[2], lists[0]);
  await waitForState(pages[0], (s) => s.messages.filter((m) => m.from === s.peerId)
    .every((m) => m.deliveredTo === 2 && m.deliveredOf === 2));
});

test('hostile texts arrive literally; invalid input is refused with a clear error', async (t) => {
  const pages = await openPages(t, 2);
  await joinAll(pages, ['Mallory', 'Trent'], 'hostile');
  const [a, b] = pages;
  const texts = [
    '%s%n%x%p', '##x###y', 'שלום עולם', 'مرحبا بالعالم', '🎉🔥 emoji', '中文 日本語 한국어',
    '<script>alert(1)</script>', 'line\nbreak\ttab', 'A'.repeat(4096),
  ];
  for (const t of texts) await send(a, t);
  // A lone surrogate cannot become UTF-8: it arrives repaired as U+FFFD.
  await send(a, 'bad \uD800 surrogate');
  const got = await waitForState(b, (s, n) => s.messages.length === n, 10000, texts.length + 1);
  assert.deepEqual(got.messages.slice(0, texts.length).map((m) => m.text), texts);
  assert.equal(got.messages[texts.length].text, 'bad \uFFFD surrogate');

  const refusal = (text) => a.evaluate((t) => {
    try { window.peddlenet.send(t); return null; } catch (e) { return e.message; }
  }, text);
  assert.match(await refusal('A'.repeat(4097)), /4096|long/i);
  assert.match(await refusal('€'.repeat(1366)), /4096|long/i); // 4098 bytes of UTF-8
  assert.ok(await refusal(''), 'an empty message is refused');
  assert.equal((await state(a)).messages.length, texts.length + 1, 'refusals change nothing');
  await screenshot(b, 'chat-hostile');
  assert.deepEqual([...a.problems, ...b.problems], []);
});

test('a reloaded page comes back as the same peer with its history and gets what it missed', async (t) => {
  const pages = await openPages(t, 2);
  await joinAll(pages, ['Ava', 'Bo'], 'reload');
  const [a, b] = pages;
  await send(b, 'before reload');
  await waitForState(a, (s) => s.messages.length === 1);
  const before = await state(b);

  const started = Date.now();
  const reload = b.reload();
  await send(a, 'while B was away');
  await reload;
  await b.waitForFunction(() => window.peddlenet !== undefined);
  await b.evaluate(() => window.peddlenet.ready);
  const back = await waitForState(b, (s) => s.peers.length === 1 && s.peers[0].link === 'open' &&
    s.messages.length === 2, 15000);
  console.log(`# reload -> reconnected with history: ${Date.now() - started} ms`);
  assert.equal(back.peerId, before.peerId, 'same peer id after reload');
  assert.equal(back.room, 'reload', 'same room without any input');
  assert.equal(back.name, 'Bo');
  assert.deepEqual(back.messages.map((m) => m.text), ['before reload', 'while B was away']);
  // A saw a rejoin, never a departure: still one peer, the same one.
  const sa = await waitForState(a, (s) => s.peers.length === 1 && s.peers[0].link === 'open');
  assert.equal(sa.peers[0].peerId, before.peerId);
});

test('a message sent in the same moment as a reload is kept and delivered', async (t) => {
  const pages = await openPages(t, 2);
  await joinAll(pages, ['Cy', 'Di'], 'reload-at-once');
  const [a, b] = pages;
  // Alone in the room for this: A leaves, so the message can only survive in B's own storage.
  await a.evaluate(() => window.peddlenet.leave());
  await waitForState(b, (s) => s.peers.length === 0);
  const reload = b.waitForNavigation();
  await b.evaluate(() => { window.peddlenet.send('sent as the page went away'); location.reload(); });
  await reload;
  await b.waitForFunction(() => window.peddlenet !== undefined);
  await b.evaluate(() => window.peddlenet.ready);
  const back = await waitForState(b, (s) => s.messages.length === 1, 10000);
  assert.equal(back.messages[0].text, 'sent as the page went away');
  // Still B's to deliver: A comes back and receives it.
  await a.evaluate(() => window.peddlenet.join('reload-at-once'));
  await waitForState(a, (s) => s.messages.some((m) => m.text === 'sent as the page went away'), 20000);
});

test('chat keeps working when the signaling server goes away', async (t) => {
  const own = await startServer();
  t.after(() => own.stop());
  const pages = await openPages(t, 2, own.url);
  await joinAll(pages, ['Uma', 'Vic'], 'no-server');
  const [a, b] = pages;
  await own.stop();
  await waitForState(a, (s) => s.signaling !== 'online');
  await send(a, 'server is gone');
  await send(b, 'still here');
  for (const p of pages) await waitForState(p, (s) => s.messages.length === 2);
  const sa = await state(a);
  assert.equal(sa.peers[0].link, 'open');
  await screenshot(a, 'chat-server-gone');
});

test('leaving is seen by the others within seconds', async (t) => {
  const pages = await openPages(t, 2);
  await joinAll(pages, ['Lea', 'Max'], 'leaving');
  await pages[1].evaluate(() => window.peddlenet.leave());
  assert.equal((await state(pages[1])).room, null);
  const started = Date.now();
  await waitForState(pages[0], (s) => s.peers.length === 0, 5000);
  console.log(`# leave seen after ${Date.now() - started} ms`);
});
