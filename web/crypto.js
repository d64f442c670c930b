// crypto.js: Web Crypto for C++ (src/platform/crypto.cpp): this device's Ed25519 identity, kept
// in IndexedDB, and the trust layer's primitives. C++ passes bytes as pointer + length and gets
// them back the same way through pn_crypto_done; every request, failures included, completes
// exactly once and never inside the call that started it.
//  [X] identity: generateKey Ed25519 with a non-extractable private key; the CryptoKeyPair
//      itself in IndexedDB "peddlenet-identity" / store "keys" / key "device" (a database of
//      its own, so storage.js's "peddlenet" versions never meet it); the public key as raw bytes
//  [X] two tabs at once end with one identity: check-then-add in one readwrite transaction, and
//      a ConstraintError re-reads the stored one
//  [X] no Ed25519: "unsupported" with a sentence saying which browsers have it (no P-256 fallback)
//  [X] IndexedDB refused (private mode) or silent: a key for this page only, "ephemeral"
//  [X] sign, verify (Ed25519), HMAC-SHA-256 sign and verify (constant time in the browser), SHA-256
//  [X] imported verify keys (256) and HMAC keys (16) cached as promises, least recently used out

var LibraryPeddleCrypto = {
  $PeddleCrypto: {
    // Outcomes, numbered as CryptoStatus in crypto.cpp.
    ST: { failed: 0, ok: 1, okEphemeral: 2, unsupported: 3 },
    DB_NAME: 'peddlenet-identity', STORE: 'keys', KEY: 'device',
    // Safari has had IndexedDB opens that never answer; after this long the key is ephemeral.
    IDB_TIMEOUT_MS: 8000,
    MAX_VERIFY_KEYS: 256, // a big room's authors; each an imported CryptoKey
    MAX_HMAC_KEYS: 16,    // a few rooms' keys
    MAX_CACHED_KEY_BYTES: 1024, // longer HMAC keys are imported each time rather than kept as map keys
    MSG_UNSUPPORTED: 'This browser cannot make the Ed25519 keys PeddleNet uses to sign messages. ' +
                     'Update it: Chrome or Edge 137, Safari 17 or Firefox 129 and newer.',
    MSG_INSECURE: 'This page was opened over plain http, so the browser gives it no cryptography ' +
                  'to sign your messages with, no camera to scan QR codes, and no offline use. ' +
                  'PeddleNet cannot chat like this. Open it from its https address: scan the ' +
                  'QR code on the organisers\' posters, or ask them for the address.',

    identity: null,     // the CryptoKeyPair once loaded; sign() fails until then
    identityLoad: null, // Promise of { status, bytes } shared by concurrent loads
    // Made on first use: emcc writes this object out as source text, where a Map would become {}.
    verifyKeys: null, // raw public key as a binary string -> Promise of CryptoKey
    hmacKeys: null,   // raw HMAC key as a binary string -> Promise of CryptoKey

    subtle: function () {
      var c = globalThis.crypto;
      if (!c || !c.subtle) throw new Error(PeddleCrypto.MSG_INSECURE); // insecure context
      return c.subtle;
    },
    // A copy, not a view: the C++ strings go away when the call returns, and memory growth
    // would detach a view anyway.
    copy: function (ptr, length) { return HEAPU8.slice(ptr, ptr + length); },
    keyString: function (bytes) { return String.fromCharCode.apply(null, bytes); },
    describe: function (err) { return (err && (err.name + ': ' + err.message)) || String(err); },

    // Completes C++ request `id`. `bytes` (a Uint8Array, optional) goes over as a heap copy
    // valid during the call and freed here once C++ has returned.
    done: function (id, status, bytes) {
      var length = bytes ? bytes.length : 0;
      var ptr = length ? _malloc(length) : 0;
      if (length) HEAPU8.set(bytes, ptr); // HEAPU8 read after malloc: it may have grown memory
      try {
        _pn_crypto_done(id, status, ptr, length);
      } finally {
        if (ptr) _free(ptr);
      }
    },
    // Runs `work` (returning a promise of an ArrayBuffer, or of a boolean when `isCheck`) in a
    // later microtask, so that nothing completes synchronously and a synchronous throw is just
    // a failure. Two-argument then: a throw inside C++'s completion cannot complete it again.
    run: function (id, work, isCheck) {
      var C = PeddleCrypto;
      Promise.resolve().then(work).then(function (result) {
        if (isCheck) C.done(id, result === true ? C.ST.ok : C.ST.failed);
        else C.done(id, C.ST.ok, new Uint8Array(result));
      }, function (err) {
        if (globalThis.peddlenetDebug) console.debug('crypto', id, C.describe(err));
        C.done(id, C.ST.failed);
      });
    },
    // A bounded least-recently-used cache of key promises; a rejected import is forgotten.
    cached: function (map, limit, key, make) {
      var p = map.get(key);
      if (p) {
        map.delete(key); // re-insert: Map keeps insertion order, the oldest goes first
        map.set(key, p);
        return p;
      }
      p = make();
      map.set(key, p);
      if (map.size > limit) map.delete(map.keys().next().value);
      p.catch(function () { if (map.get(key) === p) map.delete(key); });
      return p;
    },
    verifyKey: function (raw) {
      var C = PeddleCrypto;
      C.verifyKeys = C.verifyKeys || new Map();
      return C.cached(C.verifyKeys, C.MAX_VERIFY_KEYS, C.keyString(raw), function () {
        return C.subtle().importKey('raw', raw, { name: 'Ed25519' }, false, ['verify']);
      });
    },
    hmacKey: function (raw) {
      var C = PeddleCrypto;
      // Web Crypto refuses an empty HMAC key; HMAC pads keys with zero bytes, so one zero byte
      // gives the same MAC as the empty key (as OpenSSL computes it natively).
      if (raw.length === 0) raw = new Uint8Array(1);
      var make = function () {
        return C.subtle().importKey('raw', raw, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
      };
      if (raw.length > C.MAX_CACHED_KEY_BYTES) return make();
      C.hmacKeys = C.hmacKeys || new Map();
      return C.cached(C.hmacKeys, C.MAX_HMAC_KEYS, C.keyString(raw), make);
    },

    // [SECTION] identity
    // A stored record we can sign with (a browser could hold something older or unreadable).
    usable: function (v) {
      return !!v && v.privateKey instanceof CryptoKey && v.publicKey instanceof CryptoKey &&
             v.privateKey.type === 'private' && v.privateKey.algorithm.name === 'Ed25519' &&
             v.privateKey.usages.indexOf('sign') >= 0;
    },
    // Promise of the IDBDatabase; rejects when IndexedDB is refused or stays silent.
    openDb: function () {
      var C = PeddleCrypto;
      var late = false;
      var opening = new Promise(function (resolve, reject) {
        var request = indexedDB.open(C.DB_NAME, 1); // a throw here (no IndexedDB) rejects
        request.onupgradeneeded = function () { request.result.createObjectStore(C.STORE); };
        request.onsuccess = function () {
          var db = request.result;
          db.onversionchange = function () { db.close(); }; // never block a later version
          if (late) db.close(); else resolve(db);
        };
        request.onerror = function () { reject(request.error); };
      });
      return new Promise(function (resolve, reject) {
        var timer = setTimeout(function () {
          late = true;
          reject(new Error('IndexedDB did not answer'));
        }, C.IDB_TIMEOUT_MS);
        opening.then(function (db) { clearTimeout(timer); resolve(db); },
                     function (err) { clearTimeout(timer); reject(err); });
      });
    },
    readKey: function (db) {
      var C = PeddleCrypto;
      return new Promise(function (resolve, reject) {
        var request = db.transaction(C.STORE, 'readonly').objectStore(C.STORE).get(C.KEY);
        request.onsuccess = function () { resolve(C.usable(request.result) ? request.result : null); };
        request.onerror = function () { reject(request.error); };
      });
    },
    // Stores `fresh` unless another tab stored an identity first; resolves with the one to use.
    // Get and add in ONE readwrite transaction: IndexedDB runs readwrite transactions on a
    // store one at a time, so a second tab's check sees the first tab's key.
    storeKey: function (db, fresh) {
      var C = PeddleCrypto;
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(C.STORE, 'readwrite');
        var store = tx.objectStore(C.STORE);
        var result = fresh, failure = null;
        var get = store.get(C.KEY);
        get.onsuccess = function () {
          var existing = get.result;
          if (C.usable(existing)) { result = existing; return; } // the other tab was first
          try {
            // add() never overwrites; an unusable record (nothing can sign with it) is replaced.
            if (existing === undefined) store.add(fresh, C.KEY); else store.put(fresh, C.KEY);
          } catch (e) {
            failure = e; // DataCloneError: this browser cannot store a CryptoKey
            tx.abort();
          }
        };
        tx.oncomplete = function () { resolve(result); };
        tx.onabort = function () { reject(failure || tx.error || new Error('transaction aborted')); };
      });
    },
    generate: function () {
      var C = PeddleCrypto;
      return Promise.resolve().then(function () {
        return C.subtle().generateKey({ name: 'Ed25519' }, false /* private key not extractable */,
                                      ['sign', 'verify']);
      }).catch(function (err) {
        if (err && err.name === 'NotSupportedError') err.peddleUnsupported = true;
        throw err;
      });
    },
    // Promise of { status, bytes } (public key, or the error sentence as UTF-8); never rejects.
    loadIdentity: function () {
      var C = PeddleCrypto;
      var ephemeral = false;
      var noStorage = function (err) {
        console.warn('PeddleNet: identity not kept (' + C.describe(err) + ')');
        ephemeral = true;
      };
      return Promise.resolve().then(function () {
        C.subtle(); // insecure context: say so before touching IndexedDB
        return C.openDb().then(function (db) {
          var use = C.readKey(db).catch(function () { return null; }).then(function (stored) {
            if (stored) return stored;
            return C.generate().then(function (fresh) {
              return C.storeKey(db, fresh).catch(function (err) {
                if (err && err.name === 'ConstraintError') {
                  // Added meanwhile after all: use the stored one.
                  return C.readKey(db).then(function (stored) {
                    if (stored) return stored;
                    noStorage(err);
                    return fresh;
                  });
                }
                noStorage(err);
                return fresh;
              });
            });
          });
          use.then(function () { db.close(); }, function () { db.close(); });
          return use;
        }, function (err) {
          noStorage(err); // private mode, storage disabled, or no answer
          return C.generate();
        });
      }).then(function (pair) {
        // The public key exports even though the private key does not.
        return C.subtle().exportKey('raw', pair.publicKey).then(function (raw) {
          C.identity = pair;
          return { status: ephemeral ? C.ST.okEphemeral : C.ST.ok, bytes: new Uint8Array(raw) };
        });
      }).catch(function (err) {
        var unsupported = !!(err && err.peddleUnsupported);
        var text = unsupported ? C.MSG_UNSUPPORTED
                 : err && err.message === C.MSG_INSECURE ? C.MSG_INSECURE
                 : 'PeddleNet could not load or make this device\'s signing key (' + C.describe(err) + ').';
        if (!unsupported) console.error('PeddleNet: identity:', C.describe(err));
        return { status: unsupported ? C.ST.unsupported : C.ST.failed, bytes: new TextEncoder().encode(text) };
      });
    },
  },

  pn_crypto_load_identity__deps: ['$PeddleCrypto', 'pn_crypto_done', 'malloc', 'free'],
  pn_crypto_load_identity: function (id) {
    var C = PeddleCrypto;
    if (!C.identityLoad) {
      var load = C.identityLoad = C.loadIdentity();
      load.then(function (r) { if (r.status === C.ST.failed && C.identityLoad === load) C.identityLoad = null; });
    }
    C.identityLoad.then(function (r) { C.done(id, r.status, r.bytes); });
  },

  pn_crypto_sign__deps: ['$PeddleCrypto', 'pn_crypto_done', 'malloc', 'free'],
  pn_crypto_sign: function (id, dataPtr, dataLen) {
    var C = PeddleCrypto, data = C.copy(dataPtr, dataLen);
    C.run(id, function () {
      if (!C.identity) throw new Error('the identity key is not loaded yet');
      return C.subtle().sign({ name: 'Ed25519' }, C.identity.privateKey, data);
    });
  },

  // A malformed key or signature is simply not valid.
  pn_crypto_verify__deps: ['$PeddleCrypto', 'pn_crypto_done', 'malloc', 'free'],
  pn_crypto_verify: function (id, keyPtr, keyLen, dataPtr, dataLen, sigPtr, sigLen) {
    var C = PeddleCrypto;
    var key = C.copy(keyPtr, keyLen), data = C.copy(dataPtr, dataLen), sig = C.copy(sigPtr, sigLen);
    C.run(id, function () {
      if (key.length !== 32 || sig.length !== 64) return false;
      return C.verifyKey(key).then(function (k) { return C.subtle().verify({ name: 'Ed25519' }, k, sig, data); });
    }, true);
  },

  pn_crypto_hmac__deps: ['$PeddleCrypto', 'pn_crypto_done', 'malloc', 'free'],
  pn_crypto_hmac: function (id, keyPtr, keyLen, dataPtr, dataLen) {
    var C = PeddleCrypto, key = C.copy(keyPtr, keyLen), data = C.copy(dataPtr, dataLen);
    C.run(id, function () {
      return C.hmacKey(key).then(function (k) { return C.subtle().sign('HMAC', k, data); });
    });
  },

  // subtle.verify compares in constant time; a tag of the wrong length is just not valid.
  pn_crypto_verify_hmac__deps: ['$PeddleCrypto', 'pn_crypto_done', 'malloc', 'free'],
  pn_crypto_verify_hmac: function (id, keyPtr, keyLen, dataPtr, dataLen, tagPtr, tagLen) {
    var C = PeddleCrypto;
    var key = C.copy(keyPtr, keyLen), data = C.copy(dataPtr, dataLen), tag = C.copy(tagPtr, tagLen);
    C.run(id, function () {
      return C.hmacKey(key).then(function (k) { return C.subtle().verify('HMAC', k, tag, data); });
    }, true);
  },

  pn_crypto_sha256__deps: ['$PeddleCrypto', 'pn_crypto_done', 'malloc', 'free'],
  pn_crypto_sha256: function (id, dataPtr, dataLen) {
    var C = PeddleCrypto, data = C.copy(dataPtr, dataLen);
    C.run(id, function () { return C.subtle().digest('SHA-256', data); });
  },
};

autoAddDeps(LibraryPeddleCrypto, '$PeddleCrypto');
mergeInto(LibraryManager.library, LibraryPeddleCrypto);
