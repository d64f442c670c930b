// share.js: navigator.share for C++ (src/platform/share.cpp). Every request completes exactly
// once, through pn_share_done: shared, cancelled (AbortError: the person closed the sheet), or
// failed with the browser's reason (NotAllowedError without a recent tap, TypeError for data).

var LibraryPeddleShare = {
  $PeddleShare: {
    OUT: { shared: 0, cancelled: 1, failed: 2 }, // as platform::ShareOutcome
    // `detail` is a heap copy, freed here once C++ has returned.
    done: function (id, outcome, detail) {
      var text = String(detail || '');
      var size = lengthBytesUTF8(text) + 1;
      var ptr = _malloc(size);
      stringToUTF8(text, ptr, size);
      try {
        _pn_share_done(id, outcome, ptr);
      } finally {
        _free(ptr);
      }
    },
  },

  pn_share_available: function () {
    if (typeof navigator.share !== 'function') return 0;
    if (typeof navigator.canShare === 'function') {
      try { return navigator.canShare({ url: location.href }) ? 1 : 0; } catch (e) { return 0; }
    }
    return 1;
  },

  pn_share__deps: ['$PeddleShare', 'pn_share_done', 'malloc', 'free'],
  pn_share: function (id, titlePtr, textPtr, urlPtr) {
    var S = PeddleShare;
    var data = { title: UTF8ToString(titlePtr), text: UTF8ToString(textPtr), url: UTF8ToString(urlPtr) };
    if (typeof navigator.share !== 'function') {
      setTimeout(function () { S.done(id, S.OUT.failed, 'this browser cannot share'); }, 0);
      return;
    }
    var promise;
    try {
      promise = navigator.share(data);
    } catch (e) {
      promise = Promise.reject(e);
    }
    promise.then(function () { S.done(id, S.OUT.shared, ''); }, function (err) {
      var cancelled = err && err.name === 'AbortError';
      S.done(id, cancelled ? S.OUT.cancelled : S.OUT.failed, (err && (err.name + ': ' + err.message)) || String(err));
    });
  },
};

autoAddDeps(LibraryPeddleShare, '$PeddleShare');
mergeInto(LibraryManager.library, LibraryPeddleShare);
