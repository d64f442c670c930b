// Pages connected to different server nodes of one cluster (--redis, a real redis-server) chat in
// one room: the nodes introduce them to each other across Redis, then the chat is peer to peer.
// scripts/test.sh runs this inside a loopback-only network namespace.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { startServer, launchBrowser, openApp, waitForState, state, send } = require('./harness');
const { startRedis } = require('../integration/redis');

let redis, nodes = [], browser;
test.before(async () => {
  redis = await startRedis();
  for (let i = 0; i < 2; i++) nodes.push(await startServer(['--redis', redis.url, '--grace-ms', '1500']));
  browser = await launchBrowser();
});
test.after(async () => {
  await browser?.close();
  for (const node of nodes) await node.stop();
  await redis?.stop();
});

test('pages on two different nodes find each other and chat; a third joins through the other node', async (t) => {
  const pages = [];
  t.after(async () => { for (const p of pages) await p.context().close().catch(() => {}); });
  const open = async (node, name) => {
    const page = await openApp(browser, node.url);
    pages.push(page);
    await page.evaluate((n) => window.peddlenet.setName(n), name);
    await page.evaluate(() => window.peddlenet.join('across-nodes'));
    return page;
  };
  const ann = await open(nodes[0], 'Ann');
  const bob = await open(nodes[1], 'Bob');
  for (const p of [ann, bob]) {
    await waitForState(p, (s) => s.peers.length === 1 && s.peers[0].link === 'open', 20000);
  }
  await send(ann, 'hello from node 1');
  await send(bob, 'hello from node 2');
  for (const p of [ann, bob]) await waitForState(p, (s) => s.messages.length === 2);

  const cat = await open(nodes[0], 'Cat');
  for (const p of [ann, bob, cat]) {
    await waitForState(p, (s) => s.peers.length === 2 && s.peers.every((x) => x.link === 'open'), 20000);
  }
  await send(cat, 'hello from Cat');
  for (const p of [ann, bob, cat]) await waitForState(p, (s) => s.messages.length === 3, 10000);
  const texts = async (p) => (await state(p)).messages.map((m) => m.text).sort();
  assert.deepEqual(await texts(bob), ['hello from Cat', 'hello from node 1', 'hello from node 2']);
  assert.deepEqual(await texts(cat), await texts(bob), 'Cat got the history from the others');
  assert.deepEqual(pages.flatMap((p) => p.problems), []);

  const relayed = await (await fetch(`${nodes[1].url}metrics`)).text();
  assert.match(relayed, /peddlenet_cluster_signals_sent_total [1-9]/, 'signals crossed nodes');
});
