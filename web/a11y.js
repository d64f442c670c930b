// a11y.js: the DOM mirror of the canvas UI for assistive technology and keyboards, for C++
// (src/platform/a11y.cpp). C++ describes the screen as a list of nodes; this keeps one real,
// focusable element per node (visually hidden: the canvas shows the screen), and reports
// activations, edits and focus back.
//  [X] a dialog screen (invite, scanner, settings, a photo) makes the root a modal dialog named
//      after it; Escape there presses its Back
//  [X] a new screen moves the focus to its heading when the focus was in the mirror (or nowhere),
//      and a button tapped on the canvas hands the focus to its twin
//  [X] the message log and lists: Tab stops on the list, arrows, Home and End move through its
//      entries

var LibraryPeddleA11y = {
  $PeddleA11y: {
    root: null,
    elements: {}, // node id -> element
    screen: '',       // the screen last published, to notice a new one
    published: false, // the first screen takes no focus (the page just loaded)
    EV: { activate: 0, input: 1, submit: 2, focus: 3, blur: 4 },
    emit: function (kind, id, value) {
      var text = [id, value === undefined ? '' : String(value)];
      var ptrs = text.map(function (t) {
        var size = lengthBytesUTF8(t) + 1;
        var p = _malloc(size);
        stringToUTF8(t, p, size);
        return p;
      });
      try {
        _pn_a11y_event(kind, ptrs[0], ptrs[1]);
      } finally {
        ptrs.forEach(function (p) { _free(p); });
      }
    },
    ensureRoot: function () {
      if (PeddleA11y.root) return PeddleA11y.root;
      var root = document.createElement('div');
      root.id = 'pn-a11y';
      root.setAttribute('role', 'main');
      root.addEventListener('keydown', function (e) {
        if (e.key !== 'Escape' || root.getAttribute('role') !== 'dialog') return;
        var back = PeddleA11y.elements['button:back'];
        if (back) { e.preventDefault(); back.click(); }
      }, true); // capture: a focused <select> keeps Escape to itself otherwise
      // Visually hidden, still read and focusable: the canvas draws what these say.
      root.style.cssText = 'position:absolute;left:0;top:0;width:1px;height:1px;overflow:hidden;' +
        'clip-path:inset(50%);white-space:nowrap;';
      document.body.appendChild(root);
      PeddleA11y.root = root;
      return root;
    },
    create: function (node) {
      var E = PeddleA11y.EV, id = node.id, el;
      switch (node.role) {
        case 'heading': el = document.createElement('h1'); break;
        case 'button':
          el = document.createElement('button');
          el.type = 'button';
          el.addEventListener('click', function () { PeddleA11y.emit(E.activate, id); });
          break;
        case 'textbox':
          el = document.createElement(node.multiline ? 'textarea' : 'input');
          if (!node.multiline) el.type = 'text';
          el.addEventListener('input', function () {
            el.dataset.sent = el.value;
            PeddleA11y.emit(E.input, id, el.value);
          });
          el.addEventListener('keydown', function (e) {
            if (e.key === 'Enter' && !e.isComposing && !node.multiline) { e.preventDefault(); PeddleA11y.emit(E.submit, id); }
          });
          break;
        case 'checkbox':
          el = document.createElement('input');
          el.type = 'checkbox';
          el.addEventListener('change', function () { PeddleA11y.emit(E.activate, id); });
          break;
        case 'select':
          el = document.createElement('select');
          el.addEventListener('change', function () { PeddleA11y.emit(E.input, id, el.selectedIndex); });
          break;
        case 'log':
          el = document.createElement('div');
          el.setAttribute('role', 'log');
          el.setAttribute('aria-live', 'polite');
          PeddleA11y.arrows(el);
          break;
        case 'list':
          el = document.createElement('ul');
          PeddleA11y.arrows(el);
          break;
        case 'alert':
          el = document.createElement('p');
          el.setAttribute('role', 'alert');
          break;
        default: el = document.createElement('p');
      }
      el.dataset.role = node.role;
      el.addEventListener('focus', function () { PeddleA11y.emit(E.focus, id); });
      el.addEventListener('blur', function () { PeddleA11y.emit(E.blur, id); });
      return el;
    },
    // One Tab stop for the whole list; ArrowDown/ArrowUp step through its entries (from the list
    // itself: the first, or the newest), Home and End jump to the ends.
    arrows: function (el) {
      el.tabIndex = 0;
      el.addEventListener('keydown', function (e) {
        var items = Array.prototype.slice.call(el.children);
        if (!items.length) return;
        var at = items.indexOf(document.activeElement), next = -1;
        if (e.key === 'ArrowDown') next = at < 0 ? 0 : Math.min(at + 1, items.length - 1);
        else if (e.key === 'ArrowUp') next = at < 0 ? items.length - 1 : Math.max(at - 1, 0);
        else if (e.key === 'Home') next = 0;
        else if (e.key === 'End') next = items.length - 1;
        if (next < 0) return;
        e.preventDefault();
        items[next].focus();
      });
    },
    // Items of a log or list, by id: new ones are appended (a live region announces additions),
    // gone ones removed, changed ones rewritten.
    items: function (el, items, tag) {
      var keep = {};
      items.forEach(function (item) { keep[item.id] = item; });
      Array.prototype.slice.call(el.children).forEach(function (child) {
        if (!keep[child.dataset.id]) el.removeChild(child);
      });
      var have = {};
      Array.prototype.forEach.call(el.children, function (child) { have[child.dataset.id] = child; });
      items.forEach(function (item) {
        var child = have[item.id];
        if (!child) {
          child = document.createElement(tag);
          child.dataset.id = item.id;
          child.tabIndex = -1; // reached with the arrows, not with Tab
          el.appendChild(child);
        }
        if (child.textContent !== item.text) child.textContent = item.text;
      });
    },
    update: function (node, el) {
      switch (node.role) {
        case 'textbox':
          el.setAttribute('aria-label', node.name);
          if (node.hint) el.placeholder = node.hint; else el.removeAttribute('placeholder');
          // C++ may lag what was typed (it applies edits a frame later): only a value it changed
          // itself (a sent message clears the field) replaces the element's.
          if (el.value !== node.value && node.value !== (el.dataset.sent || '')) {
            el.value = node.value;
            el.dataset.sent = node.value;
          }
          break;
        case 'checkbox':
          el.setAttribute('aria-label', node.name);
          el.checked = !!node.checked;
          break;
        case 'select':
          el.setAttribute('aria-label', node.name);
          if (JSON.stringify(Array.prototype.map.call(el.options, function (o) { return o.text; })) !==
              JSON.stringify(node.options)) {
            el.textContent = '';
            node.options.forEach(function (text) {
              var option = document.createElement('option');
              option.text = text;
              el.appendChild(option);
            });
          }
          if (el.selectedIndex !== node.selected) el.selectedIndex = node.selected;
          break;
        case 'log':
        case 'list':
          el.setAttribute('aria-label', node.name);
          PeddleA11y.items(el, node.items || [], node.role === 'log' ? 'p' : 'li');
          break;
        default:
          if (el.textContent !== node.name) el.textContent = node.name;
      }
    },
  },

  pn_a11y_publish__deps: ['$PeddleA11y', 'pn_a11y_event', 'malloc', 'free'],
  pn_a11y_publish: function (jsonPtr) {
    var screen = JSON.parse(UTF8ToString(jsonPtr));
    var root = PeddleA11y.ensureRoot();
    if (screen.dialog) {
      root.setAttribute('role', 'dialog');
      root.setAttribute('aria-modal', 'true');
      root.setAttribute('aria-label', screen.dialog);
    } else {
      root.setAttribute('role', 'main');
      root.removeAttribute('aria-modal');
      root.removeAttribute('aria-label');
    }
    var seen = {}, previous = null;
    screen.nodes.forEach(function (node) {
      var key = node.role + ':' + node.id;
      seen[key] = true;
      var el = PeddleA11y.elements[key];
      if (!el) {
        el = PeddleA11y.create(node);
        PeddleA11y.elements[key] = el;
      }
      PeddleA11y.update(node, el);
      var next = previous ? previous.nextSibling : root.firstChild;
      if (next !== el) root.insertBefore(el, next);
      previous = el;
    });
    var active = document.activeElement;
    // The focus may move when it is in the mirror, on the canvas or nowhere; never away from
    // the hidden text input (the person is typing into a canvas field).
    var mirrored = !active || active === document.body || active.id === 'canvas' || root.contains(active);
    Object.keys(PeddleA11y.elements).forEach(function (key) {
      if (seen[key]) return;
      var el = PeddleA11y.elements[key];
      if (el.parentNode) el.parentNode.removeChild(el);
      delete PeddleA11y.elements[key];
    });
    // A new screen: the reader starts at its title (not when only the language changed). Never
    // while the person types on the canvas (the hidden text input has the focus then).
    var heading = screen.nodes.find(function (n) { return n.role === 'heading'; });
    if (screen.screen !== PeddleA11y.screen) {
      PeddleA11y.screen = screen.screen;
      var h = heading && PeddleA11y.elements['heading:' + heading.id];
      if (h && mirrored && PeddleA11y.published) {
        h.tabIndex = -1;
        h.focus({ preventScroll: true });
      }
    } else if (screen.focus && mirrored) {
      var twin = PeddleA11y.elements['button:' + screen.focus];
      if (twin) twin.focus({ preventScroll: true });
    }
    PeddleA11y.published = true;
  },
};

autoAddDeps(LibraryPeddleA11y, '$PeddleA11y');
mergeInto(LibraryManager.library, LibraryPeddleA11y);
