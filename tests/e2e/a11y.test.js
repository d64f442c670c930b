// Screen readers and keyboards end to end: through Chromium's accessibility tree alone (CDP
// Accessibility.getFullAXTree) a test finds the controls by role and name, joins a room, reads
// the messages and sends one, with key presses only (Tab, typing, Enter), no automation API on
// that page. The other person in the room is a second page driven by the automation API.
// Real server, real wasm build, Debian Chromium.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { startServer, launchBrowser, openApp, screenshot, waitForState, state, send } = require('./harness');

let server, browser;
test.before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});
test.after(async () => {
  await browser?.close();
  await server?.stop();
});

// The page's accessibility tree as [{role, name, focused, live, children}] (ignored nodes left out).
async function axTree(cdp) {
  const { nodes } = await cdp.send('Accessibility.getFullAXTree');
  const byId = new Map(nodes.map((n) => [n.nodeId, n]));
  const prop = (n, name) => (n.properties || []).find((p) => p.name === name)?.value?.value;
  return nodes.filter((n) => !n.ignored).map((n) => ({
    role: n.role?.value, name: n.name?.value || '', focused: prop(n, 'focused') === true, live: prop(n, 'live'),
    text: (n.childIds || []).map((id) => byId.get(id)).filter(Boolean).map((c) => c.name?.value || '').join(' '),
    children: (n.childIds || []).map((id) => byId.get(id)).filter((c) => c && !c.ignored),
  }));
}

async function find(cdp, role, name, timeoutMs = 10000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const hit = (await axTree(cdp)).find((n) => n.role === role && (name instanceof RegExp ? name.test(n.name) : n.name === name));
    if (hit) return hit;
    if (Date.now() > deadline) throw new Error(`no ${role} named ${name} in the accessibility tree`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// Presses Tab until the focused node is the `role` named `name`.
async function tabTo(page, cdp, role, name) {
  await find(cdp, role, name);
  for (let presses = 0; presses < 30; ++presses) {
    // The document reports focus too: the element is the focused node that is not the page.
    const focused = (await axTree(cdp)).find((n) => n.focused && n.role !== 'RootWebArea');
    if (focused && focused.role === role && focused.name === name) return;
    await page.keyboard.press('Tab');
  }
  throw new Error(`Tab never reached the ${role} "${name}"`);
}

// The texts of the message log's entries.
async function logEntries(cdp) {
  const log = await find(cdp, 'log', 'Messages');
  const { nodes } = await cdp.send('Accessibility.getFullAXTree');
  const byId = new Map(nodes.map((n) => [n.nodeId, n]));
  const texts = [];
  const walk = (id) => {
    const n = byId.get(id);
    if (!n) return;
    if (n.role?.value === 'StaticText') texts.push(n.name?.value || '');
    (n.childIds || []).forEach(walk);
  };
  const logNode = nodes.find((n) => n.role?.value === 'log' && n.name?.value === 'Messages');
  (logNode.childIds || []).forEach(walk);
  assert.equal(log.live, 'polite', 'the log is a polite live region');
  return texts;
}

test('through the accessibility tree alone: find the controls, join a room, read and send messages with the keyboard', async (t) => {
  const page = await openApp(browser, server.url);
  t.after(() => page.context().close().catch(() => {}));
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Accessibility.enable');
  // Headless, the window never has the system's focus: let the page behave as if it had, so the
  // tree reports which element is focused.
  await cdp.send('Emulation.setFocusEmulationEnabled', { enabled: true });

  // The home screen by role and name; the loading screen's own heading is gone from the tree.
  await find(cdp, 'heading', 'PeddleNet');
  await new Promise((r) => setTimeout(r, 400)); // its fade
  assert.equal((await axTree(cdp)).filter((n) => n.role === 'heading' && n.name === 'PeddleNet').length, 1);
  for (const name of ['Create private room', 'Join open room', 'Scan QR code', 'My code', 'Settings']) {
    await find(cdp, 'button', name);
  }

  // Name, then "Join open room", then the room's name and Enter: keys only.
  await tabTo(page, cdp, 'textbox', 'Your name');
  await page.keyboard.type('Ada');
  await tabTo(page, cdp, 'button', 'Join open room');
  await page.keyboard.press('Enter');
  const room = `ax-${Date.now() % 100000}`;
  await tabTo(page, cdp, 'textbox', 'Open room name');
  await page.keyboard.type(room);
  await page.keyboard.press('Enter');
  await find(cdp, 'heading', room);
  await find(cdp, 'button', 'Leave');
  await find(cdp, 'button', 'Invite');
  await find(cdp, 'button', /^People \d+$/);

  // Someone else in the room, driven by the automation API.
  const other = await openApp(browser, server.url);
  t.after(() => other.context().close().catch(() => {}));
  await other.evaluate(() => window.peddlenet.setName('Bea'));
  await other.evaluate((r) => window.peddlenet.join(r), room);
  await waitForState(other, (s) => s.peers.some((p) => p.link === 'open'), 20000);
  await send(other, 'hello from Bea');

  // The message arrives in the log, read through the tree.
  const deadline = Date.now() + 10000;
  while (!(await logEntries(cdp)).some((x) => x.startsWith('Bea: hello from Bea'))) {
    assert.ok(Date.now() < deadline, 'the message reached the log');
    await new Promise((r) => setTimeout(r, 100));
  }

  // The log is one Tab stop; the arrow keys read its entries, newest first from the list.
  await tabTo(page, cdp, 'log', 'Messages');
  await page.keyboard.press('ArrowUp');
  const entry = (await axTree(cdp)).find((n) => n.focused && n.role !== 'RootWebArea');
  assert.match(entry.text, /^Bea: hello from Bea/, JSON.stringify({ role: entry.role, text: entry.text }));
  await find(cdp, 'button', 'Choose photo');
  await find(cdp, 'button', 'Take photo');

  // A reply typed into the "Message" box and sent with Enter.
  await tabTo(page, cdp, 'textbox', 'Message');
  await page.keyboard.type('hi Bea, from the keyboard');
  await new Promise((r) => setTimeout(r, 300));
  await screenshot(page, 'a11y-keyboard-focus'); // the focus ring around the message box
  await page.keyboard.press('Enter');
  await waitForState(other, (s) => s.messages.some((m) => m.text === 'hi Bea, from the keyboard' && m.name === 'Ada'), 10000);
  assert.ok((await logEntries(cdp)).some((x) => x.startsWith('Ada: hi Bea, from the keyboard')));
  const composer = await find(cdp, 'textbox', 'Message');
  assert.equal(composer.focused, true, 'focus stays in the message box');
  assert.equal((await state(page)).messages.length, 2);
  assert.deepEqual(page.problems, []);
});

test('Settings through the accessibility tree: text size and language are choices, the switches are checkboxes', async (t) => {
  const page = await openApp(browser, server.url);
  t.after(() => page.context().close().catch(() => {}));
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Accessibility.enable');
  await cdp.send('Emulation.setFocusEmulationEnabled', { enabled: true });

  await tabTo(page, cdp, 'button', 'Settings');
  await page.keyboard.press('Enter');
  // A dialog, and the reader starts at its title.
  await find(cdp, 'dialog', 'Settings');
  const deadline = Date.now() + 5000;
  for (;;) {
    const focused = (await axTree(cdp)).find((n) => n.focused && n.role !== 'RootWebArea');
    if (focused?.role === 'heading' && focused.name === 'Settings') break;
    assert.ok(Date.now() < deadline, `focus on the Settings heading, not ${JSON.stringify(focused && { role: focused.role, name: focused.name })}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  await find(cdp, 'checkbox', 'Notify me of new messages when PeddleNet is in the background');
  await find(cdp, 'checkbox', 'Connect only through a relay');

  // A bigger text size with the arrow key on the "Text size" choice.
  await tabTo(page, cdp, 'combobox', 'Text size');
  await page.keyboard.press('ArrowDown');
  await waitForState(page, (s) => s.textSize === 115, 5000);
  await screenshot(page, 'a11y-settings-text-115');

  // German from the "Language" choice: the tree speaks German at once.
  await tabTo(page, cdp, 'combobox', 'Language');
  const options = (await axTree(cdp)).filter((n) => n.role === 'MenuListOption' || n.role === 'option').map((n) => n.name);
  assert.ok(options.includes('Deutsch') && options.includes('العربية') && options.includes('日本語'), options.join(', '));
  // One option at a time, each applied before the next (a loaded machine lags the keys).
  for (let i = 0; i < 8; ++i) {
    const before = (await state(page)).language;
    if (before === 'de') break;
    await page.keyboard.press('ArrowDown');
    await page.waitForFunction((b) => window.peddlenet.state().language !== b, before, { timeout: 3000 }).catch(() => {});
  }
  await waitForState(page, (s) => s.language === 'de', 5000);
  await find(cdp, 'button', 'Zurück');
  await find(cdp, 'combobox', 'Textgröße');
  assert.equal((await state(page)).textSize, 115, 'kept');
  // Escape is the dialog's Back.
  await page.keyboard.press('Escape');
  await waitForState(page, (s) => s.screen === 'home', 5000);
  assert.deepEqual(page.problems, []);
});
