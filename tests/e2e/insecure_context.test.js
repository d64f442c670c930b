// A phone that opens the app over plain http on the LAN is not in a secure context (only https
// and localhost are): no Web Crypto, so no identity and no chat. The app says so on its first
// screen, with what will not work and what to do, instead of failing later. The LAN address is
// a bridge with 10.78.0.1/24 made in the test's own network namespace (scripts/test.sh runs the
// e2e tests in one, as root), removed afterwards.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const { startServer, launchBrowser, openApp, screenshot, waitForState } = require('./harness');

const LAN = '10.78.0.1';
let server, browser;
test.before(async () => {
  execFileSync('ip', ['link', 'add', 'pn-lan1', 'type', 'bridge']);
  execFileSync('ip', ['addr', 'add', `${LAN}/24`, 'dev', 'pn-lan1']);
  execFileSync('ip', ['link', 'set', 'pn-lan1', 'up']);
  server = await startServer(['--host', '0.0.0.0']);
  browser = await launchBrowser();
});
test.after(async () => {
  await browser?.close();
  await server?.stop();
  execFileSync('ip', ['link', 'del', 'pn-lan1']);
});

test('over plain http on the LAN the first screen says what will not work and what to do', async () => {
  const page = await openApp(browser, `http://${LAN}:${server.port}/`);
  assert.equal(await page.evaluate(() => window.isSecureContext), false);
  const s = await waitForState(page, (x) => x.identityState === 'failed', 10000);
  assert.equal(s.screen, 'starting');
  for (const words of [/plain http/, /cryptography/, /camera/, /offline/, /https address/, /QR code/])
    assert.match(s.identityError, words);
  for (const scheme of ['light', 'dark']) {
    await page.emulateMedia({ colorScheme: scheme });
    await new Promise((r) => setTimeout(r, 400));
    await screenshot(page, `insecure-context-${scheme}`);
  }
  await page.context().close();
});
