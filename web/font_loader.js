// font_loader.js: fetch() of an on-demand font for C++ (src/platform/font_loader.cpp). Every
// request completes exactly once through pn_font_done: the bytes (a heap copy, freed here once
// C++ has returned) or the reason it failed. The name is resolved to its content-hashed file
// through the page's BUILD.onDemand table (shell/index.html, filled in by scripts/assemble_web.py).

var LibraryPeddleFontLoader = {
  $PeddleFontLoader: {
    done: function (id, bytes, error) {
      var text = error ? String(error) : '';
      var size = lengthBytesUTF8(text) + 1;
      var errorPtr = _malloc(size);
      stringToUTF8(text, errorPtr, size);
      var dataPtr = bytes ? _malloc(Math.max(1, bytes.length)) : 0;
      if (dataPtr) HEAPU8.set(bytes, dataPtr);
      try {
        _pn_font_done(id, dataPtr, bytes ? bytes.length : 0, errorPtr);
      } finally {
        _free(dataPtr);
        _free(errorPtr);
      }
    },
  },

  pn_font_fetch__deps: ['$PeddleFontLoader', 'pn_font_done', 'malloc', 'free'],
  pn_font_fetch: function (id, namePtr) {
    var name = UTF8ToString(namePtr);
    var file = (typeof BUILD !== 'undefined' && BUILD.onDemand && BUILD.onDemand[name]) || name;
    fetch(file, { credentials: 'same-origin' }).then(function (response) {
      if (!response.ok) throw new Error('HTTP ' + response.status + ' for ' + file);
      return response.arrayBuffer();
    }).then(function (buffer) {
      PeddleFontLoader.done(id, new Uint8Array(buffer), null);
    }, function (err) {
      PeddleFontLoader.done(id, null, (err && err.message) || String(err));
    });
  },
};

autoAddDeps(LibraryPeddleFontLoader, '$PeddleFontLoader');
mergeInto(LibraryManager.library, LibraryPeddleFontLoader);
