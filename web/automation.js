// automation.js: window.peddlenet, the automation API (src/platform/automation.cpp; documented
// in the README). Each method calls C++ by name with JSON arguments.

var LibraryPeddleAutomation = {
  $PeddleAutomation: {
    nextCallId: 1,
    pending: {}, // call id -> {resolve, reject}
    readyResolve: null,
    // JSON.stringify keeps lone surrogates as \ud800 escapes, which are not valid JSON text for
    // a strict parser: turn them into U+FFFD first, as a UTF-8 encoder would.
    wellFormed: function (key, value) {
      if (typeof value !== 'string') return value;
      return value.toWellFormed ? value.toWellFormed()
        : value.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(^|[^\uD800-\uDBFF])[\uDC00-\uDFFF]/g,
                        function (m, before) { return (before || '') + '\uFFFD'; });
    },

    call: function (method, args, isAsync) {
      var id = PeddleAutomation.nextCallId++;
      var reply = JSON.parse(UTF8ToString(
        ccall('pn_automation_call', 'number', ['string', 'string', 'number'],
              [method, JSON.stringify(args, PeddleAutomation.wellFormed), id])));
      if (reply.pending) {
        return new Promise(function (resolve, reject) {
          PeddleAutomation.pending[id] = { resolve: resolve, reject: reject };
        });
      }
      if (isAsync) return reply.ok ? Promise.resolve(reply.value) : Promise.reject(new Error(reply.error));
      if (!reply.ok) throw new Error(reply.error);
      return reply.value;
    },
  },

  pn_automation_install__deps: ['$PeddleAutomation', 'pn_automation_call'],
  pn_automation_install: function () {
    var call = PeddleAutomation.call;
    var api = {
      ready: new Promise(function (resolve) { PeddleAutomation.readyResolve = resolve; }),
      state: function () { return call('state', [], false); },
      setName: function (name) { return call('setName', [String(name)], false); },
      // The Settings language: a shipped language's tag, or '' to follow the browser again.
      setLanguage: function (tag) { return call('setLanguage', [String(tag)], false); },
      join: function (roomOrInviteUrl) { return call('join', [String(roomOrInviteUrl)], true); },
      create: function (name) { return call('create', [String(name)], true); },
      leave: function () { return call('leave', [], false); },
      send: function (text) { return call('send', [String(text)], false); },
      showInvite: function () { return call('showInvite', [], false); },
      scan: function () { return call('scan', [], true); },
      myCode: function () { return call('myCode', [], false); },
      pair: function () { return call('pair', [], false); },
      verify: function (code) { return call('verify', [String(code)], false); },
      measureCrypto: function (count) { return call('measureCrypto', [Number(count)], true); },
      // Measurement knob (scripts/bench/big_room.js): the room size up to which this page links everyone.
      setFullMeshMax: function (members) { return call('setFullMeshMax', [Number(members)], false); },
      // Links only through a relay (TURN) from now on, as the Settings switch does.
      setRelayOnly: function (on) { return call('setRelayOnly', [!!on], false); },
      setIceServers: function (text) { return call('setIceServers', [String(text)], false); },
    };
    window.peddlenet = api;
  },

  pn_automation_ready__deps: ['$PeddleAutomation'],
  pn_automation_ready: function () {
    if (PeddleAutomation.readyResolve) {
      PeddleAutomation.readyResolve();
      PeddleAutomation.readyResolve = null;
    }
  },

  pn_automation_settle__deps: ['$PeddleAutomation'],
  pn_automation_settle: function (id, resultPtr) {
    var entry = PeddleAutomation.pending[id];
    if (!entry) return;
    delete PeddleAutomation.pending[id];
    var reply = JSON.parse(UTF8ToString(resultPtr));
    if (reply.ok) entry.resolve(reply.value); else entry.reject(new Error(reply.error));
  },
};

mergeInto(LibraryManager.library, LibraryPeddleAutomation);
