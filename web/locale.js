// locale.js: the user's languages and Intl formatting for C++ (src/platform/locale.cpp).

var LibraryPeddleLocale = {
  $PeddleLocale: {
    clocks: {}, // language -> Intl.DateTimeFormat, built once each
    // A malloc'd UTF-8 copy of `text`; the C++ side frees it.
    copy: function (text) {
      var size = lengthBytesUTF8(text) + 1;
      var ptr = _malloc(size);
      stringToUTF8(text, ptr, size);
      return ptr;
    },
  },

  pn_locale_languages__deps: ['$PeddleLocale', 'malloc'],
  pn_locale_languages: function () {
    var list = (navigator.languages && navigator.languages.length) ? navigator.languages
      : (navigator.language ? [navigator.language] : []);
    return PeddleLocale.copy(Array.prototype.join.call(list, '\n'));
  },

  pn_locale_clock_time__deps: ['$PeddleLocale', 'malloc'],
  pn_locale_clock_time: function (epochMs, languagePtr) {
    var language = UTF8ToString(languagePtr);
    var format = PeddleLocale.clocks[language];
    if (!format) {
      try {
        format = new Intl.DateTimeFormat(language, { hour: 'numeric', minute: '2-digit' });
      } catch (e) {
        format = new Intl.DateTimeFormat(undefined, { hour: 'numeric', minute: '2-digit' });
      }
      PeddleLocale.clocks[language] = format;
    }
    return PeddleLocale.copy(format.format(new Date(epochMs)));
  },

  pn_locale_set_document: function (languagePtr, rtl) {
    document.documentElement.lang = UTF8ToString(languagePtr);
    document.documentElement.dir = rtl ? 'rtl' : 'ltr';
  },
};

autoAddDeps(LibraryPeddleLocale, '$PeddleLocale');
mergeInto(LibraryManager.library, LibraryPeddleLocale);
