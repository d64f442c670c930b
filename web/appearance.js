// appearance.js: prefers-color-scheme and the safe-area insets for C++
// (src/platform/appearance.cpp). env(safe-area-inset-*) is not readable from script, so the
// shell mirrors it into :root custom properties (--safe-area-top, ...) that are.

var LibraryPeddleAppearance = {
  $PeddleAppearance: {
    lightQuery: null, // MediaQueryList of (prefers-color-scheme: light), once watched
    query: function () {
      if (!PeddleAppearance.lightQuery && typeof matchMedia === 'function') {
        PeddleAppearance.lightQuery = matchMedia('(prefers-color-scheme: light)');
      }
      return PeddleAppearance.lightQuery;
    },
  },

  pn_appearance_light__deps: ['$PeddleAppearance'],
  pn_appearance_light: function () {
    var q = PeddleAppearance.query();
    return q && q.matches ? 1 : 0;
  },

  // Writes top, right, bottom, left (CSS px) to four floats at `out`; 0 for anything unreadable.
  pn_appearance_safe_area: function (out) {
    var style = getComputedStyle(document.documentElement);
    ['top', 'right', 'bottom', 'left'].forEach(function (side, i) {
      var px = parseFloat(style.getPropertyValue('--safe-area-' + side));
      HEAPF32[(out >> 2) + i] = isFinite(px) && px > 0 ? px : 0;
    });
  },

  pn_appearance_watch__deps: ['$PeddleAppearance', 'pn_appearance_changed'],
  pn_appearance_watch: function () {
    var changed = function () { _pn_appearance_changed(); };
    var q = PeddleAppearance.query();
    if (q && q.addEventListener) q.addEventListener('change', changed);
    else if (q && q.addListener) q.addListener(changed); // Safari before 14
    // The insets change with the orientation (the notch moves to a side) and the window size.
    window.addEventListener('resize', changed);
    window.addEventListener('orientationchange', changed);
  },
};

autoAddDeps(LibraryPeddleAppearance, '$PeddleAppearance');
mergeInto(LibraryManager.library, LibraryPeddleAppearance);
