// location.js: window.location and history for C++ (src/platform/location.cpp).

var LibraryPeddleLocation = {
  $PeddleLocation: {
    listening: false,
    leaving: false, // open() started a navigation: this document's app is done
    // Heap copy of `text`, owned by the caller of the returned pointer.
    copy: function (text) {
      var size = lengthBytesUTF8(text) + 1;
      var ptr = _malloc(size);
      stringToUTF8(text, ptr, size);
      return ptr;
    },
  },

  // Returns a malloc'd UTF-8 copy of location.href; should be freed later in C++.
  pn_location_href__deps: ['$PeddleLocation', 'malloc'],
  pn_location_href: function () {
    return PeddleLocation.copy(location.href);
  },

  pn_location_listen__deps: ['$PeddleLocation', 'pn_location_fragment_changed', 'malloc', 'free'],
  pn_location_listen: function () {
    if (PeddleLocation.listening) return;
    PeddleLocation.listening = true;
    window.addEventListener('hashchange', function () {
      if (PeddleLocation.leaving) return;
      var ptr = PeddleLocation.copy(location.href);
      try {
        _pn_location_fragment_changed(ptr);
      } finally {
        _free(ptr);
      }
    });
  },

  pn_location_clear_fragment__deps: ['$PeddleLocation'],
  pn_location_clear_fragment: function () {
    if (!location.hash || PeddleLocation.leaving) return; // leaving: the reload needs the fragment
    try {
      history.replaceState(history.state, '', location.pathname + location.search);
    } catch (e) { /* sandboxed documents may refuse; the fragment then stays, harmlessly */ }
  },

  pn_location_open__deps: ['$PeddleLocation'],
  pn_location_open: function (urlPtr) {
    PeddleLocation.leaving = true;
    var target = new URL(UTF8ToString(urlPtr), location.href);
    var here = new URL(location.href);
    here.hash = '';
    var there = new URL(target.href);
    there.hash = '';
    location.assign(target.href);
    // Only the fragment differs: assign() navigated within the page, so start the app afresh.
    if (here.href === there.href) location.reload();
  },
};

autoAddDeps(LibraryPeddleLocation, '$PeddleLocation');
mergeInto(LibraryManager.library, LibraryPeddleLocation);
