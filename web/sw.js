// sw.js: PeddleNet's service worker: the app shell is precached under a cache named after the
// build's content hash, served cache-first, so the app starts with no network at all.
// scripts/assemble_web.py fills in BUILD_ID, PRECACHE and ON_DEMAND.
//  [X] explicit precache list (html, js, wasm, fonts package, icons, manifest)
//  [X] files fetched on demand (the CJK font) kept in the same cache once fetched: offline later
//  [X] old caches deleted on activate; dynamic endpoints never cached
//  [X] a new build waits; the page offers "Update ready" and sends 'skip-waiting' when tapped
//  [X] a tap on a message notification focuses the app (or opens it)
'use strict';

const BUILD_ID = '{{BUILD_ID}}';
const CACHE = 'peddlenet-' + BUILD_ID;
const PRECACHE = {{PRECACHE_JSON}};
const NEVER_CACHED = ['/ws', '/healthz', '/metrics'];
// Too big for the first load; cached the first time the page asks for one (web/font_loader.js).
const ON_DEMAND = {{ON_DEMAND_JSON}};

// Content-hashed names (assemble_web.py: name.<12 hex>.ext) never change meaning, so the copy the
// first visit just downloaded into the HTTP cache is the right one: no second download of the
// wasm. Every other file is revalidated (a 304 when unchanged), so a new build never
// precaches a stale index.html or manifest.
const HASHED_NAME = /\.[0-9a-f]{12}\.[a-z]+$/;

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(PRECACHE.map((url) =>
    new Request(url, { cache: HASHED_NAME.test(url) ? 'force-cache' : 'no-cache' })))));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(caches.keys()
    .then((names) => Promise.all(names
      .filter((name) => name.startsWith('peddlenet-') && name !== CACHE)
      .map((name) => caches.delete(name))))
    .then(() => self.clients.claim()));
});

self.addEventListener('message', (event) => {
  if (event.data === 'skip-waiting') self.skipWaiting();
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin) return;
  if (NEVER_CACHED.some((path) => url.pathname.endsWith(path))) return;
  // Every navigation inside the scope is the app (invite links carry the room in the fragment).
  const key = request.mode === 'navigate' ? new URL('./', self.registration.scope).href : request;
  const keep = ON_DEMAND.some((name) => url.pathname.endsWith('/' + name));
  event.respondWith(caches.open(CACHE).then((cache) =>
    cache.match(key, { ignoreSearch: true }).then((hit) => hit || fetch(request).then((response) => {
      if (keep && response.ok) event.waitUntil(cache.put(request, response.clone()));
      return response;
    }))));
});

// A tap on a message notification (web/notify.js): back to the app, the open window if there is
// one, else a new one (it resumes the saved room by itself).
self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  event.waitUntil(self.clients.matchAll({ type: 'window', includeUncontrolled: true }).then((windows) => {
    const open = windows.find((w) => w.url.startsWith(self.registration.scope) && 'focus' in w);
    return open ? open.focus() : self.clients.openWindow(self.registration.scope);
  }));
});
