// input.js: the page's pointer, wheel, keyboard and text events, forwarded to C++
// (src/platform/input.cpp). Text arrives through a hidden <textarea> so that phones raise their
// soft keyboard, IME composition works and paste arrives as text.
//  [X] pointer events (mouse, touch, pen) with pointer capture; the canvas never scrolls the page
//  [X] keyboard focus moved to the hidden field inside the touch handler (iOS/Android need a gesture)
//  [X] text: insert, paste, IME compositions (committed text), Backspace on soft keyboards
//  [X] window resize and visualViewport changes wake the render loop
//  [X] preedit (uncommitted IME text) drawn at the ImGui field's caret; this field follows the caret
//  [X] a tap elsewhere while composing commits the composition first (nothing typed is lost)

var LibraryPeddleInput = {
  $PeddleInput: {
    field: null,
    composing: false,
    // A soft keyboard sends no key event for Backspace in an empty field, only an input event
    // that deletes something: keep one sentinel character in the field to be deleted.
    sentinel: '\u200b',

    resetField: function () {
      var f = PeddleInput.field;
      f.value = PeddleInput.sentinel;
      f.setSelectionRange(1, 1);
    },

    // ccall copies strings to the wasm stack as UTF-8 for the duration of the call.
    key: function (name, down, mods) {
      return ccall('pn_input_key', 'number', ['string', 'number', 'number'], [name, down, mods]);
    },
    text: function (text) { ccall('pn_input_text', null, ['string'], [text]); },
    // The composition so far; '' clears it. C++ draws it at the caret and wakes the render loop.
    preedit: function (text) { ccall('pn_input_preedit', null, ['string'], [text]); },

    mods: function (e) {
      return (e.ctrlKey ? 1 : 0) | (e.shiftKey ? 2 : 0) | (e.altKey ? 4 : 0) | (e.metaKey ? 8 : 0);
    },
  },

  pn_input_install__deps: ['$PeddleInput', 'pn_input_pointer', 'pn_input_wheel', 'pn_input_key',
                           'pn_input_text', 'pn_input_preedit', 'pn_input_text_field_at', 'pn_input_focus',
                           'pn_input_wake'],
  pn_input_install: function () {
    var canvas = document.getElementById('canvas');
    var field = document.getElementById('text-input');
    PeddleInput.field = field;
    PeddleInput.resetField();
    var sourceOf = { mouse: 0, touch: 1, pen: 2 };

    function pointer(action, e) {
      var r = canvas.getBoundingClientRect();
      _pn_input_pointer(action, e.clientX - r.left, e.clientY - r.top, e.button,
                        sourceOf[e.pointerType] || 0, e.timeStamp);
    }
    canvas.addEventListener('pointerdown', function (e) {
      // A tap while composing commits the composition first, as native fields do: the browser
      // commits on blur (compositionend, handled below), so the text reaches the field that is
      // still active before the tap can move ImGui's focus elsewhere (the Send button, say).
      // Focus returns at once: C++ sees no blur, the keyboard stays.
      if (PeddleInput.composing) {
        field.blur();
        field.focus({ preventScroll: true });
      }
      canvas.setPointerCapture(e.pointerId);
      // Keep focus where C++ put it: a click on the canvas must not blur the text field.
      e.preventDefault();
      pointer(0, e);
    });
    canvas.addEventListener('pointerup', function (e) {
      pointer(1, e);
      // Still inside the user gesture: a tap on a text field focuses the hidden input now,
      // which is the only way a phone shows its keyboard.
      var r = canvas.getBoundingClientRect();
      if (_pn_input_text_field_at(e.clientX - r.left, e.clientY - r.top)) {
        field.focus({ preventScroll: true });
      }
    });
    canvas.addEventListener('pointermove', function (e) {
      var events = e.getCoalescedEvents ? e.getCoalescedEvents() : [];
      if (events.length > 1) {
        for (var i = 0; i < events.length; ++i) pointer(2, events[i]);
      } else {
        pointer(2, e);
      }
    });
    canvas.addEventListener('pointercancel', function (e) { pointer(3, e); });
    canvas.addEventListener('pointerleave', function (e) {
      if (e.pointerType === 'mouse') pointer(4, e);
    });
    canvas.addEventListener('wheel', function (e) {
      e.preventDefault();
      // Normalise to CSS pixels: deltaMode 1 is lines, 2 is pages.
      var scale = e.deltaMode === 1 ? 16 : e.deltaMode === 2 ? canvas.clientHeight : 1;
      _pn_input_wheel(e.deltaX * scale, e.deltaY * scale);
    }, { passive: false });
    canvas.addEventListener('contextmenu', function (e) { e.preventDefault(); });

    field.addEventListener('keydown', function (e) {
      if (e.isComposing || e.key === 'Process' || e.key === 'Unidentified') return;
      var printable = e.key.length === 1 || /^[^\x00-\x7f]+$/.test(e.key);
      var shortcut = e.ctrlKey || e.metaKey;
      // Printable keys arrive as 'input' events; Ctrl/Cmd+V must reach the browser to paste.
      if (printable && !shortcut) return;
      if (shortcut && (e.key === 'v' || e.key === 'V')) return;
      if (PeddleInput.key(e.key, 1, PeddleInput.mods(e))) e.preventDefault();
    });
    field.addEventListener('keyup', function (e) {
      if (e.key === 'Process' || e.key === 'Unidentified') return;
      PeddleInput.key(e.key, 0, PeddleInput.mods(e));
    });
    field.addEventListener('compositionstart', function () {
      PeddleInput.composing = true;
      PeddleInput.preedit(''); // compositionstart's data is the text it replaces, not a preedit
    });
    field.addEventListener('compositionupdate', function (e) { PeddleInput.preedit(e.data || ''); });
    field.addEventListener('compositionend', function (e) {
      PeddleInput.composing = false;
      // The preedit goes before the committed text arrives, so the two never show at once.
      PeddleInput.preedit('');
      if (e.data) PeddleInput.text(e.data);
      PeddleInput.resetField();
    });
    field.addEventListener('input', function (e) {
      if (PeddleInput.composing || e.isComposing) return;
      if (e.inputType === 'deleteContentBackward') {
        PeddleInput.key('Backspace', 1, 0);
        PeddleInput.key('Backspace', 0, 0);
      } else if (e.inputType === 'insertLineBreak' || e.inputType === 'insertParagraph') {
        PeddleInput.key('Enter', 1, 0);
        PeddleInput.key('Enter', 0, 0);
      } else {
        var text = field.value.split(PeddleInput.sentinel).join('');
        if (text) PeddleInput.text(text);
      }
      PeddleInput.resetField();
    });
    field.addEventListener('blur', function () {
      // Browsers end a composition as focus leaves; should one not, no preedit stays drawn either.
      PeddleInput.composing = false;
      PeddleInput.preedit('');
      _pn_input_focus(0);
    });
    field.addEventListener('focus', function () { PeddleInput.resetField(); _pn_input_focus(1); });

    window.addEventListener('resize', function () { _pn_input_wake(); });
    if (window.visualViewport) {
      // Browsers that overlay the keyboard instead of resizing the page (iOS Safari): fit the
      // canvas to the visible part, so the composer stays above the keyboard.
      var fit = function () {
        var vv = window.visualViewport;
        canvas.style.height = vv.height + 'px';
        canvas.style.top = vv.offsetTop + 'px';
        _pn_input_wake();
      };
      window.visualViewport.addEventListener('resize', fit);
      window.visualViewport.addEventListener('scroll', fit);
    }
  },

  // C++ keeps the hidden field's focus in line with ImGui's WantTextInput (desktop focus
  // needs no gesture; on phones the pointerup handler above has already focused it).
  pn_input_set_text_focus__deps: ['$PeddleInput'],
  pn_input_set_text_focus: function (focused) {
    var field = PeddleInput.field;
    if (!field) return;
    if (focused && document.activeElement !== field) field.focus({ preventScroll: true });
    if (!focused && document.activeElement === field) field.blur();
  },

  // Positions the hidden field at the active ImGui text field's caret (to the field's end), so that
  // the phone scrolls it into view above the keyboard and the IME popup appears next to the caret.
  pn_input_place_text_field__deps: ['$PeddleInput'],
  pn_input_place_text_field: function (x, y, w, h) {
    var s = PeddleInput.field && PeddleInput.field.style;
    if (!s) return;
    s.left = x + 'px';
    s.top = y + 'px';
    s.width = Math.max(1, w) + 'px';
    s.height = Math.max(1, h) + 'px';
  },

    pn_clipboard_write: function (textPtr) {
    var text = UTF8ToString(textPtr);
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(text).catch(function (err) {
        console.warn('clipboard write refused:', err && err.message);
      });
    }
  },
};

autoAddDeps(LibraryPeddleInput, '$PeddleInput');
mergeInto(LibraryManager.library, LibraryPeddleInput);
