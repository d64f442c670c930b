// storage.js: localStorage (small settings, synchronous) and IndexedDB (room history,
// asynchronous) for C++ (src/platform/storage.cpp).
//  [X] localStorage get/set/remove; a browser that refuses storage (private mode quota) reads as empty
//  [X] IndexedDB "peddlenet" / store "history": put and get of one text value per key
//  [X] IndexedDB store "photos": a photo's bytes by hash (put, get, list of keys); a full
//      disk answers with the browser's error name (QuotaExceededError) for the app to explain
//  [X] every IndexedDB outcome, failures included, completes the C++ request exactly once

var LibraryPeddleStorage = {
  $PeddleStorage: {
    db: null, // Promise of the IDBDatabase
    open: function () {
      if (!PeddleStorage.db) {
        PeddleStorage.db = new Promise(function (resolve, reject) {
          var request = indexedDB.open('peddlenet', 2);
          request.onupgradeneeded = function () {
            var db = request.result;
            if (!db.objectStoreNames.contains('history')) db.createObjectStore('history');
            if (!db.objectStoreNames.contains('photos')) db.createObjectStore('photos');
          };
          request.onsuccess = function () {
            // A later build's upgrade (another tab) must not wait for this tab to close.
            request.result.onversionchange = function () { request.result.close(); PeddleStorage.db = null; };
            resolve(request.result);
          };
          request.onerror = function () { reject(request.error); };
          request.onblocked = function () { reject(new Error('database blocked by another tab')); };
        });
        PeddleStorage.db.catch(function () { PeddleStorage.db = null; }); // retry next time
      }
      return PeddleStorage.db;
    },
    // Completes C++ request `id`: ok 1/0, and the value (or the error text) as a heap copy
    // with its length (a room's history is too big for the wasm stack), freed after the call.
    done: function (id, ok, text) {
      PeddleStorage.doneBytes(id, ok, new TextEncoder().encode(text || ''));
    },
    // The same with raw bytes (a photo).
    doneBytes: function (id, ok, bytes) {
      var ptr = _malloc(bytes.length || 1);
      HEAPU8.set(bytes, ptr);
      try {
        _pn_storage_done(id, ok, ptr, bytes.length);
      } finally {
        _free(ptr);
      }
    },
    describe: function (err) { return (err && (err.name + ': ' + err.message)) || String(err); },
    // Writes `value` under `key` in `store` and completes request `id`; a failure answers with
    // the browser's "Name: message" (QuotaExceededError when the device is full).
    put: function (store, id, key, value) {
      var S = PeddleStorage;
      S.open().then(function (db) {
        var tx = db.transaction(store, 'readwrite');
        tx.objectStore(store).put(value, key);
        tx.oncomplete = function () { S.done(id, 1, ''); };
        tx.onerror = tx.onabort = function () { S.done(id, 0, S.describe(tx.error)); };
      }).catch(function (err) { S.done(id, 0, S.describe(err)); });
    },
    // Runs `ask(objectStore)` (a read request) and hands its result to `answer`, which completes
    // request `id`; a failure completes it with the error.
    request: function (id, store, ask, answer) {
      var S = PeddleStorage;
      S.open().then(function (db) {
        var request = ask(db.transaction(store, 'readonly').objectStore(store));
        request.onsuccess = function () { answer(request.result); };
        request.onerror = function () { S.done(id, 0, S.describe(request.error)); };
      }).catch(function (err) { S.done(id, 0, S.describe(err)); });
    },
  },

  // Returns a malloc'd UTF-8 copy (C++ frees it) or 0 when the key is absent.
  pn_local_get__deps: ['malloc'],
  pn_local_get: function (keyPtr) {
    var value = null;
    try { value = localStorage.getItem(UTF8ToString(keyPtr)); } catch (e) { /* storage refused */ }
    if (value === null) return 0;
    var size = lengthBytesUTF8(value) + 1;
    var ptr = _malloc(size); // should be freed later in C++
    stringToUTF8(value, ptr, size);
    return ptr;
  },

  pn_local_set: function (keyPtr, valuePtr) {
    try {
      localStorage.setItem(UTF8ToString(keyPtr), UTF8ToString(valuePtr));
      return 1;
    } catch (e) {
      return 0;
    }
  },

  pn_local_remove: function (keyPtr) {
    try { localStorage.removeItem(UTF8ToString(keyPtr)); } catch (e) { /* storage refused */ }
  },

  pn_idb_put__deps: ['$PeddleStorage', 'pn_storage_done', 'malloc', 'free'],
  pn_idb_put: function (id, keyPtr, valuePtr, length) {
    var value = new TextDecoder().decode(new Uint8Array(HEAPU8.buffer, valuePtr, length));
    PeddleStorage.put('history', id, UTF8ToString(keyPtr), value);
  },

  pn_idb_get__deps: ['$PeddleStorage', 'pn_storage_done', 'malloc', 'free'],
  pn_idb_get: function (id, keyPtr) {
    var S = PeddleStorage;
    var key = UTF8ToString(keyPtr); // now: the pointer is C++'s for this call only
    S.request(id, 'history', function (store) { return store.get(key); }, function (v) {
      S.done(id, typeof v === 'string' ? 1 : 0, typeof v === 'string' ? v : '');
    });
  },

  // Photos: the value is the bytes as an ArrayBuffer.
  pn_idb_photo_put__deps: ['$PeddleStorage', 'pn_storage_done', 'malloc', 'free'],
  pn_idb_photo_put: function (id, keyPtr, valuePtr, length) {
    PeddleStorage.put('photos', id, UTF8ToString(keyPtr), HEAPU8.slice(valuePtr, valuePtr + length).buffer);
  },

  pn_idb_photo_get__deps: ['$PeddleStorage', 'pn_storage_done', 'malloc', 'free'],
  pn_idb_photo_get: function (id, keyPtr) {
    var S = PeddleStorage;
    var key = UTF8ToString(keyPtr);
    S.request(id, 'photos', function (store) { return store.get(key); }, function (v) {
      if (v instanceof ArrayBuffer) S.doneBytes(id, 1, new Uint8Array(v));
      else S.done(id, 0, '');
    });
  },

  // Every stored photo's key, one per line.
  pn_idb_photo_keys__deps: ['$PeddleStorage', 'pn_storage_done', 'malloc', 'free'],
  pn_idb_photo_keys: function (id) {
    var S = PeddleStorage;
    S.request(id, 'photos', function (store) { return store.getAllKeys(); }, function (keys) {
      S.done(id, 1, keys.join('\n'));
    });
  },
};

autoAddDeps(LibraryPeddleStorage, '$PeddleStorage');
mergeInto(LibraryManager.library, LibraryPeddleStorage);
