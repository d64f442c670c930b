// IME composition end to end: Chromium's own composition events (CDP Input.imeSetComposition /
// Input.insertText, what an OS input method produces) into the room's composer, real server.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { startServer, launchBrowser, openApp, screenshot, waitForState, state } = require('./harness');
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


// The hidden text input's box in CSS px: C++ keeps it over the active field's caret.
const hiddenInputBox = (page) => page.evaluate(() => {
  const r = document.getElementById('text-input').getBoundingClientRect();
  return { x: r.left, y: r.top, width: r.width, height: r.height, focused: document.activeElement.id === 'text-input' };
});

// Pixels as dark as the light theme's text (#1A1C23) in `clip`: the preedit's glyphs and
// underline; the empty composer has only its grey hint and a one-pixel caret.
async function darkPixels(page, clip) {
  const { width, height, channels, pixels } = decodePng(await page.screenshot({ clip }));
  let dark = 0;
  for (let i = 0; i < width * height; ++i) {
    const o = i * channels;
    if (pixels[o] + pixels[o + 1] + pixels[o + 2] < 3 * 80) ++dark;
  }
  return dark;
}

test('a composition shows at the caret, commits once, and a cancelled one leaves nothing', async (t) => {
  // Light theme for a known text colour; 390x844 is the harness's phone.
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, colorScheme: 'light' });
  t.after(() => context.close());
  const page = await openApp(browser, server.url, { context });
  await page.evaluate(() => window.peddlenet.setName('Kim'));
  await page.evaluate(() => window.peddlenet.join('ime-room'));

  // Tap the composer (bottom left of the screen) as a person would; the hidden input then
  // moves to its caret, a field's height above the bottom edge.
  await page.mouse.click(120, 810);
  await page.waitForFunction(() => {
    const f = document.getElementById('text-input');
    return document.activeElement === f && f.getBoundingClientRect().top > 780;
  }, null, { timeout: 5000 });
  const caret = await hiddenInputBox(page);
  // The field starts after the Photo button (x 88 on this screen).
  assert.ok(caret.x > 88 && caret.x < 120, `hidden input at the caret of the empty composer: ${JSON.stringify(caret)}`);
  assert.ok(caret.height >= 12 && caret.height <= 30, `one text line high: ${caret.height}`);
  const cdp = await context.newCDPSession(page);
  const clip = { x: 0, y: Math.round(caret.y) - 10, width: 280, height: Math.round(caret.height) + 20 };
  await page.waitForTimeout(300); // frames settle
  const idleDark = await darkPixels(page, clip);

  // Composing: every update is the preedit, drawn, and nothing reaches the draft.
  for (const text of ['h', 'ha', 'hana', 'hanabi']) {
    await cdp.send('Input.imeSetComposition', { text, selectionStart: text.length, selectionEnd: text.length });
    await waitForState(page, (s, want) => s.preedit === want, 5000, text);
  }
  await page.waitForTimeout(200);
  const composingDark = await darkPixels(page, clip);
  assert.ok(composingDark > idleDark + 60,
            `the preedit is drawn in the composer: ${composingDark} dark pixels, ${idleDark} before`);
  await screenshot(page, 'ime-preedit');
  assert.deepEqual((await state(page)).messages, [], 'nothing sent while composing');

  // Cancelled (an empty composition): the preedit goes and nothing is left in the field.
  await cdp.send('Input.imeSetComposition', { text: '', selectionStart: 0, selectionEnd: 0 });
  await waitForState(page, (s) => s.preedit === '', 5000);
  await page.waitForTimeout(200);
  const cancelledDark = await darkPixels(page, clip);
  assert.ok(cancelledDark < idleDark + 30, `cancelled: ${cancelledDark} dark pixels, ${idleDark} before composing`);

  // Composed again and committed as other text (the IME's conversion): the committed text alone
  // enters the draft, once; Enter sends it.
  await cdp.send('Input.imeSetComposition', { text: 'hanabi', selectionStart: 6, selectionEnd: 6 });
  await waitForState(page, (s) => s.preedit === 'hanabi', 5000);
  await cdp.send('Input.insertText', { text: '하나 花火' });
  await waitForState(page, (s) => s.preedit === '', 5000);
  await page.keyboard.press('Enter');
  const sent = await waitForState(page, (s) => s.messages.length > 0, 5000);
  await page.waitForTimeout(300); // a second message would be a duplicated commit
  assert.deepEqual((await state(page)).messages.map((m) => m.text), ['하나 花火']);
  assert.equal(sent.messages[0].name, 'Kim');
  assert.deepEqual(page.problems, []);
});

test('the hidden input follows the caret along typed text', async (t) => {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
  t.after(() => context.close());
  const page = await openApp(browser, server.url, { context });
  await page.evaluate(() => window.peddlenet.setName('Kim'));
  await page.evaluate(() => window.peddlenet.join('ime-caret'));
  await page.mouse.click(120, 810);
  await page.waitForFunction(() => document.getElementById('text-input').getBoundingClientRect().top > 780,
                             null, { timeout: 5000 });
  const empty = await hiddenInputBox(page);
  await page.keyboard.type('wide words');
  await page.waitForFunction((x) => document.getElementById('text-input').getBoundingClientRect().left > x + 40,
                             empty.x, { timeout: 5000 });
  const typed = await hiddenInputBox(page);
  assert.equal(typed.y, empty.y, 'same line');
  assert.ok(typed.focused);
  assert.deepEqual(page.problems, []);
});

test('tapping Send while composing commits the composition and sends it', async (t) => {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
  t.after(() => context.close());
  const page = await openApp(browser, server.url, { context });
  await page.evaluate(() => window.peddlenet.setName('Kim'));
  await page.evaluate(() => window.peddlenet.join('ime-tap'));
  await page.mouse.click(120, 810); // the composer
  await page.waitForFunction(() => document.activeElement === document.getElementById('text-input'),
                             null, { timeout: 5000 });
  const cdp = await context.newCDPSession(page);
  await cdp.send('Input.imeSetComposition', { text: 'hanabi', selectionStart: 6, selectionEnd: 6 });
  await waitForState(page, (s) => s.preedit === 'hanabi', 5000);
  await page.mouse.click(337, 810); // Send, with the composition still open
  const sent = await waitForState(page, (s) => s.messages.length > 0, 5000);
  await page.waitForTimeout(300); // a second message would be a duplicated commit
  assert.deepEqual((await state(page)).messages.map((m) => m.text), ['hanabi']);
  assert.equal(sent.preedit, '');
  assert.deepEqual(page.problems, []);
});
