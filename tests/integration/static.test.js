// Static files, /healthz and /metrics over real HTTP against the real binary.
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const net = require('node:net');
const { startServer } = require('./helpers');

let server;
before(async () => { server = await startServer(); });
after(async () => { await server.stop(); });

// Raw request, for targets fetch() would normalize ("/../x").
function raw(port, request) {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => s.write(request));
    let data = '';
    s.on('data', (d) => { data += d; });
    s.on('end', () => resolve(data));
    s.on('error', reject);
  });
}
const status = (response) => Number(/^HTTP\/1\.1 (\d+)/.exec(response)[1]);

test('/ serves index.html with the isolation and safety headers', async () => {
  const r = await fetch(`${server.http}/`);
  assert.equal(r.status, 200);
  assert.equal(await r.text(), '<!doctype html><title>PeddleNet</title>');
  assert.equal(r.headers.get('content-type'), 'text/html; charset=utf-8');
  assert.equal(r.headers.get('cache-control'), 'no-cache');
  assert.equal(r.headers.get('cross-origin-opener-policy'), 'same-origin');
  assert.equal(r.headers.get('cross-origin-embedder-policy'), 'require-corp');
  assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
  assert.ok(r.headers.get('etag'));
});

test('query strings are ignored and percent-escapes decoded', async () => {
  assert.equal(await (await fetch(`${server.http}/?room=main&x=1`)).text(), '<!doctype html><title>PeddleNet</title>');
  assert.equal(await (await fetch(`${server.http}/a%20b.txt`)).text(), 'space');
  assert.equal(await (await fetch(`${server.http}/sub/`)).text(), 'sub');
});

test('MIME types and cache policy', async () => {
  const cases = [
    ['/peddlenet.3fa9c01b.wasm', 'application/wasm', 'public, max-age=31536000, immutable'],
    ['/manifest.webmanifest', 'application/manifest+json', 'no-cache'],
    ['/sw.js', 'text/javascript; charset=utf-8', 'no-cache'],
    ['/peddlenet.data', 'application/octet-stream', 'no-cache'],
  ];
  for (const [p, type, cache] of cases) {
    const r = await fetch(`${server.http}${p}`, { headers: { 'accept-encoding': 'identity' } });
    assert.equal(r.status, 200, p);
    assert.equal(r.headers.get('content-type'), type, p);
    assert.equal(r.headers.get('cache-control'), cache, p);
    await r.arrayBuffer();
  }
});

test('precompressed siblings by Accept-Encoding, with Vary', async () => {
  const get = (ae) => raw(server.port, `GET /peddlenet.3fa9c01b.wasm HTTP/1.1\r\nHost: x\r\nAccept-Encoding: ${ae}\r\nConnection: close\r\n\r\n`);
  const br = await get('gzip, deflate, br');
  assert.match(br, /\r\nContent-Encoding: br\r\n/i);
  assert.match(br, /\r\nVary: Accept-Encoding\r\n/i);
  assert.match(br, /\r\nContent-Type: application\/wasm\r\n/i);
  assert.ok(br.endsWith('brotli-bytes'));
  const gz = await get('gzip');
  assert.match(gz, /\r\nContent-Encoding: gzip\r\n/i);
  assert.ok(gz.endsWith('gzip-bytes'));
  const none = await get('br;q=0, gzip;q=0');
  assert.doesNotMatch(none, /Content-Encoding/i);
  assert.match(none, /\r\nVary: Accept-Encoding\r\n/i);
});

test('HEAD has the headers and no body', async () => {
  const r = await raw(server.port, 'HEAD /sw.js HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  assert.equal(status(r), 200);
  assert.match(r, /\r\nContent-Length: 41\r\n/i);
  assert.ok(r.endsWith('\r\n\r\n'));
});

test('ETag revalidation answers 304', async () => {
  const first = await fetch(`${server.http}/sw.js`);
  const etag = first.headers.get('etag');
  await first.text();
  const again = await fetch(`${server.http}/sw.js`, { headers: { 'if-none-match': etag } });
  assert.equal(again.status, 304);
  assert.equal(again.headers.get('etag'), etag);
});

test('nothing outside the root: .., encoded .., symlinks out', async () => {
  for (const target of ['/../secret.txt', '/%2e%2e/secret.txt', '/sub/..%2f..%2fsecret.txt',
    '/escape.txt', '//etc/passwd', '/%2fetc/passwd', '/a%00b', '/..\\secret.txt']) {
    const r = await raw(server.port, `GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    assert.ok([400, 404].includes(status(r)), `${target} -> ${status(r)}`);
    assert.doesNotMatch(r, /outside the root|root:x:0/);
  }
});

test('unknown paths 404, other methods 405, /ws without upgrade 426', async () => {
  assert.equal((await fetch(`${server.http}/nope.js`)).status, 404);
  assert.equal((await fetch(`${server.http}/sub`)).status, 404);
  const post = await raw(server.port, 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
  assert.equal(status(post), 405);
  assert.equal((await fetch(`${server.http}/ws`)).status, 426);
});

test('/healthz and /metrics', async () => {
  const h = await fetch(`${server.http}/healthz`);
  assert.equal(h.status, 200);
  assert.equal(await h.text(), 'ok');
  const m = await fetch(`${server.http}/metrics`);
  assert.match(m.headers.get('content-type'), /^text\/plain; version=0\.0\.4/);
  const text = await m.text();
  for (const name of ['peddlenet_connections', 'peddlenet_rooms', 'peddlenet_peers',
    'peddlenet_messages_relayed_total', 'peddlenet_slow_clients_dropped_total',
    'peddlenet_errors_total{code="bad-json"}', 'process_resident_memory_bytes']) {
    assert.ok(text.includes(`\n${name} `) || text.startsWith(`${name} `) || text.includes(`${name} `), name);
  }
});

test('keep-alive serves several requests on one connection', async () => {
  const r = await raw(server.port, 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  assert.equal(r.match(/HTTP\/1\.1 200 OK/g).length, 2);
});

test('oversized and malformed requests are refused, the server keeps serving', async () => {
  const big = await raw(server.port, `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20000)}\r\n\r\n`);
  assert.ok(big === '' || status(big) >= 400);
  const junk = await raw(server.port, 'NOT HTTP AT ALL\r\n\r\n');
  assert.ok(junk === '' || status(junk) === 400);
  assert.equal((await fetch(`${server.http}/healthz`)).status, 200);
});
