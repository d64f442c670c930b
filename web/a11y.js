// a11y.js: the DOM mirror of the canvas UI for assistive technology and keyboards, for C++
// (src/platform/a11y.cpp). C++ describes the screen as a list of nodes; this keeps one real,
// focusable element per node (visually hidden: the canvas shows the screen), and reports
// activations, edits and focus back.

var LibraryPeddleA11y = {
  $PeddleA11y: {
    root: null,
    elements: {}, // node id -> element
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
      var root = document.createElement('main');
      root.id = 'pn-a11y';
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
          el = document.createElement('input');
          el.type = 'text';
          el.addEventListener('input', function () {
            el.dataset.sent = el.value;
            PeddleA11y.emit(E.input, id, el.value);
          });
          el.addEventListener('keydown', function (e) {
            if (e.key === 'Enter' && !e.isComposing) { e.preventDefault(); PeddleA11y.emit(E.submit, id); }
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
          break;
        case 'list': el = document.createElement('ul'); break;
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
    Object.keys(PeddleA11y.elements).forEach(function (key) {
      if (seen[key]) return;
      var el = PeddleA11y.elements[key];
      if (el.parentNode) el.parentNode.removeChild(el);
      delete PeddleA11y.elements[key];
    });
  },
};

autoAddDeps(LibraryPeddleA11y, '$PeddleA11y');
mergeInto(LibraryManager.library, LibraryPeddleA11y);
