// Languages end to end: the app speaks the browser's language (navigator.languages) when it
// ships it, English otherwise; a choice in Settings (setLanguage) overrides that and survives a
// reload; Arabic lays the page out right to left. Screenshots of the home and room screens in
// Arabic and Japanese and of the invite screen in Arabic, both themes, phone size, for a person
// to look at (test-results/).
// Real server, real wasm build, Debian Chromium.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const { startServer, launchBrowser, openApp, screenshot, waitForState, state, send, settled } = require('./harness');
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

async function pageIn(t, locale, colorScheme = 'dark') {
  const context = await browser.newContext({ locale, colorScheme, viewport: { width: 390, height: 844 } });
  t.after(() => context.close().catch(() => {}));
  return openApp(browser, server.url, { context });
}

const documentLanguage = (page) =>
  page.evaluate(() => ({ lang: document.documentElement.lang, dir: document.documentElement.dir }));

test('the language follows navigator.languages by primary tag, English when none is shipped', async (t) => {
  for (const [locale, language, dir] of [['ar-EG', 'ar', 'rtl'], ['ja-JP', 'ja', 'ltr'], ['pt-BR', 'pt', 'ltr'],
    ['de-AT', 'de', 'ltr'], ['sv-SE', 'en', 'ltr']]) {
    const page = await pageIn(t, locale);
    const s = await state(page);
    assert.equal(s.language, language, locale);
    assert.equal(s.rtl, dir === 'rtl', locale);
    assert.deepEqual(await documentLanguage(page), { lang: language, dir }, locale);
    assert.deepEqual(page.problems, []);
  }
});

test('a language chosen in Settings overrides the browser, survives a reload, and can be undone', async (t) => {
  const page = await pageIn(t, 'en-US');
  await page.evaluate(() => window.peddlenet.setLanguage('ar'));
  assert.equal((await state(page)).language, 'ar');
  assert.deepEqual(await documentLanguage(page), { lang: 'ar', dir: 'rtl' });
  await page.reload();
  await page.waitForFunction(() => window.peddlenet !== undefined);
  await page.evaluate(() => window.peddlenet.ready);
  assert.equal((await state(page)).language, 'ar', 'kept after a reload');
  await assert.rejects(page.evaluate(() => window.peddlenet.setLanguage('tlh')), /no language "tlh" shipped/);
  await page.evaluate(() => window.peddlenet.setLanguage(''));
  assert.deepEqual(await documentLanguage(page), { lang: 'en', dir: 'ltr' }, 'back to the browser\'s');
  assert.deepEqual(page.problems, []);
});

// The middle x of the accent-coloured (orange) pixels on row `y` of a screenshot: where the Send
// button sits in the composer row.
function accentCentre(file, y) {
  const png = decodePng(fs.readFileSync(file));
  const xs = [];
  for (let x = 0; x < png.width; ++x) {
    const i = (y * png.width + x) * png.channels;
    const [r, g, b] = [png.pixels[i], png.pixels[i + 1], png.pixels[i + 2]];
    if (r > 150 && r - b > 100 && g < 170) xs.push(x);
  }
  return xs.length ? (xs[0] + xs[xs.length - 1]) / 2 : null;
}

// Two pages in `locale` chat in one room; returns them once both show both messages.
async function chatIn(t, locale, colorScheme, names, texts) {
  const [a, b] = [await pageIn(t, locale, colorScheme), await pageIn(t, locale, colorScheme)];
  await a.evaluate((n) => window.peddlenet.setName(n), names[0]);
  await b.evaluate((n) => window.peddlenet.setName(n), names[1]);
  await settled(a);
  await screenshot(a, `languages-${locale}-home-${colorScheme}`);
  const room = `lang-${locale}-${colorScheme}-${Date.now() % 100000}`;
  await a.evaluate((r) => window.peddlenet.join(r), room);
  await b.evaluate((r) => window.peddlenet.join(r), room);
  await waitForState(a, (s) => s.peers.some((p) => p.link === 'open'), 20000);
  await send(a, texts[0]);
  await waitForState(b, (s, x) => s.messages.some((m) => m.text === x), 10000, texts[0]);
  await send(b, texts[1]);
  for (const p of [a, b]) await waitForState(p, (s) => s.messages.length === 2, 10000);
  return [a, b];
}

for (const colorScheme of ['dark', 'light']) {
  test(`room screen in Arabic and Japanese, ${colorScheme} theme: screenshots`, async (t) => {
    const [ar] = await chatIn(t, 'ar', colorScheme, ['سارة', 'Lukas'],
      ['مرحبًا! نلتقي عند المسرح الرئيسي الساعة 9 بعد انتهاء الحفلة الأولى، أمام خيمة الطعام', 'Bis gleich 👋']);
    await settled(ar);
    const arFile = await screenshot(ar, `languages-ar-room-${colorScheme}`);
    // The People panel reads right to left too: the header's People button leads on the left.
    await ar.mouse.click(45, 36);
    await settled(ar);
    await screenshot(ar, `languages-ar-people-${colorScheme}`);
    await ar.mouse.click(45, 36);
    await settled(ar);
    const [ja] = await chatIn(t, 'ja', colorScheme, ['さくら', 'Sam'],
      ['こんにちは！メインステージの前で会いましょう', 'See you there']);
    await waitForState(ja, (s) => s.fonts['cjk.ttf'].status === 'loaded', 20000);
    await settled(ja);
    const jaFile = await screenshot(ja, `languages-ja-room-${colorScheme}`);
    await ar.evaluate(() => window.peddlenet.showInvite());
    await settled(ar);
    await screenshot(ar, `languages-ar-invite-${colorScheme}`);
    // The whole layout mirrors in Arabic: Send sits left of the message field, not right of it.
    const composerY = 844 - 36;
    const [arSend, jaSend] = [accentCentre(arFile, composerY), accentCentre(jaFile, composerY)];
    assert.ok(arSend !== null && arSend < 390 / 2, `Arabic: Send on the left (x ${arSend})`);
    assert.ok(jaSend !== null && jaSend > 390 / 2, `Japanese: Send on the right (x ${jaSend})`);
    assert.deepEqual([...ar.problems, ...ja.problems], []);
  });
}
