// Photos end to end: real pages, real server, real WebRTC data channels on 127.0.0.1.
//   1. a 4000x3000 camera JPEG with EXIF orientation and GPS, chosen in the file input, reaches
//      the other pages turned upright, at most 1600 px and about 300 KB, with nothing of its
//      metadata, checked against the signed hash, kept in IndexedDB, shown as a thumbnail and
//      full screen; the sender sees each recipient's progress; a reload shows it from storage
//   2. bad files get a clear sentence and break nothing: not an image, a corrupt JPEG, a
//      50-megapixel one
//   3. a device without room to keep photos says so, and still shows the photo
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { startServer, launchBrowser, openRoom, closePages, screenshot, waitForState, settled, send } = require('./harness');
const { cameraJpeg, withExif, jpegHeaderOnly, corruptJpeg } = require('./photo_files');

let server, browser;
test.before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});
test.after(async () => {
  await browser?.close();
  await server?.stop();
});

const linked = (s, n) => s.peers.length === n && s.peers.every((p) => p.link === 'open');
const choose = (page, name, mimeType, buffer) => page.setInputFiles('#photo-pick', { name, mimeType, buffer });
// The stored bytes of a photo, read from the page's IndexedDB.
const storedPhoto = (page, hash) => page.evaluate((h) => new Promise((resolve, reject) => {
  const open = indexedDB.open('peddlenet');
  open.onerror = () => reject(open.error);
  open.onsuccess = () => {
    const get = open.result.transaction('photos').objectStore('photos').get(h);
    get.onsuccess = () => resolve(get.result ? Array.from(new Uint8Array(get.result)) : null);
    get.onerror = () => reject(get.error);
  };
}), hash);

test('a camera photo reaches everyone upright, small, without its metadata, and is kept', async () => {
  const pages = await openRoom(browser, server, 3, { prefix: 'photos' });
  try {
    for (const p of pages) await waitForState(p, linked, 20000, 2);
    const [a, b, c] = pages;
    const original = withExif(await cameraJpeg(a, 4000, 3000));
    assert.ok(original.includes(Buffer.from('Exif\0\0', 'latin1')));
    await choose(a, 'IMG_2041.jpg', 'image/jpeg', original);

    // Everyone has it, drawn; the sender's copy says who got how much.
    const ownState = await waitForState(a, (s) => s.messages.some((m) => m.photo?.shown), 30000);
    const photo = ownState.messages.find((m) => m.photo).photo;
    for (const p of [b, c]) {
      await waitForState(p, (s, h) => s.messages.some((m) => m.photo?.hash === h && m.photo.here && m.photo.shown),
                         30000, photo.hash);
    }
    // Orientation 6: the 4000 x 3000 landscape is shown as a portrait, fitted to 1600 px.
    assert.deepEqual([photo.width, photo.height], [1200, 1600]);
    assert.ok(photo.bytes <= 300 * 1024, `${photo.bytes} bytes`);
    assert.equal(photo.type, 'image/webp');
    const progress = await waitForState(a, (s) => {
      const m = s.messages.find((x) => x.photo);
      return m.photo.sentTo.length === 2 && m.photo.sentTo.every((r) => r.whole);
    }, 10000);
    assert.ok(progress.messages.find((m) => m.photo).photo.sentTo.every((r) => r.bytes === photo.bytes));

    // The bytes everyone keeps are the sent ones: WebP, with no EXIF and no GPS.
    const kept = Buffer.from(await storedPhoto(c, photo.hash));
    assert.equal(kept.length, photo.bytes);
    assert.equal(kept.subarray(0, 4).toString('latin1'), 'RIFF');
    assert.equal(kept.subarray(8, 12).toString('latin1'), 'WEBP');
    assert.ok(!kept.includes(Buffer.from('Exif', 'latin1')), 'no EXIF block');
    assert.ok(!/EXIF|XMP /.test(kept.toString('latin1')), 'no metadata chunk');
    const received = (await waitForState(b, (s) => s.photos.fetched === 1)).photos;
    assert.equal(received.refused, 0);

    await settled(b);
    await screenshot(b, 'photo-thumbnail-light');
    await b.emulateMedia({ colorScheme: 'dark' });
    await b.waitForFunction(() => window.peddlenet.state().theme === 'dark');
    await settled(b);
    await screenshot(b, 'photo-thumbnail-dark');
    await a.evaluate(() => window.peddlenet.setLanguage('ar'));
    await settled(a);
    await screenshot(a, 'photo-own-progress-ar');
    await a.evaluate(() => window.peddlenet.setLanguage(''));

    // A tap opens it full screen; Back returns.
    const box = await b.evaluate(() => window.peddlenet.state().frames);
    assert.ok(box > 0);
    await b.mouse.click(120, 200);
    await settled(b);
    await screenshot(b, 'photo-full-screen');

    // After a reload the photo comes from this device's storage, not the network.
    await c.reload();
    await c.waitForFunction(() => window.peddlenet !== undefined);
    await c.evaluate(() => window.peddlenet.ready);
    const again = await waitForState(c, (s, h) => s.messages.some((m) => m.photo?.hash === h && m.photo.shown),
                                     20000, photo.hash);
    assert.equal(again.photos.fetched, 0);
    for (const p of pages) assert.deepEqual(p.problems, []);
  } finally {
    await closePages(pages);
  }
});

test('a file that is not an image, a corrupt JPEG and a 50-megapixel one each get a clear sentence', async () => {
  const pages = await openRoom(browser, server, 2, { prefix: 'badphotos' });
  try {
    for (const p of pages) await waitForState(p, linked, 20000, 1);
    const [a, b] = pages;
    const cases = [
      ['notes.txt', 'text/plain', Buffer.from('shopping list: water, sunscreen\n'), /not a photo/],
      ['IMG_0001.jpg', 'image/jpeg', corruptJpeg(), /could not be opened/],
      ['IMG_50MP.jpg', 'image/jpeg', jpegHeaderOnly(8160, 6120), /49\.9 megapixels.*up to 40/],
    ];
    for (const [name, type, bytes, expected] of cases) {
      await choose(a, name, type, bytes);
      // Each refusal replaces the one before: wait for this file's sentence.
      const s = await waitForState(a, (x, re) => new RegExp(re).test(x.photos.notice) && !x.photos.busy, 15000,
                                   expected.source);
      assert.match(s.photos.notice, expected, name);
      assert.equal(s.messages.length, 0, `${name}: nothing sent`);
      await settled(a);
      await screenshot(a, `photo-refused-${name.replace(/\W/g, '-')}`);
    }
    // The room still works.
    await send(a, 'still here');
    await waitForState(b, (s) => s.messages.some((m) => m.text === 'still here'));
    for (const p of pages) assert.deepEqual(p.problems, []);
  } finally {
    await closePages(pages);
  }
});

test('a phone with no room left says the photo is not kept, and still shows it', async () => {
  // Chromium's quota override (CDP Storage.overrideQuotaForOrigin) does not reach a headless
  // test context's storage, and filling a real disk is no test: the receiving page's IndexedDB
  // refuses photo writes with the error a full device gives, QuotaExceededError.
  const pages = await openRoom(browser, server, 2, {
    prefix: 'fullphotos',
    before: (p) => p.evaluate(() => {
      const put = IDBObjectStore.prototype.put;
      IDBObjectStore.prototype.put = function (...args) {
        if (this.name === 'photos') throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
        return put.apply(this, args);
      };
    }),
  });
  try {
    for (const p of pages) await waitForState(p, linked, 20000, 1);
    const [a, b] = pages;
    await choose(a, 'IMG_2042.jpg', 'image/jpeg', await cameraJpeg(a, 1600, 1200));
    const s = await waitForState(b, (x) => x.messages.some((m) => m.photo?.shown) && x.photos.notice !== '', 30000);
    assert.match(s.photos.notice, /no room left/);
    await settled(b);
    await screenshot(b, 'photo-storage-full');
  } finally {
    await closePages(pages);
  }
});
