// websocket.js: the browser's WebSocket for C++ (src/platform/websocket.cpp), by handle.
// Events of a socket that C++ closed never reach C++; errors are reported, not only logged.

var LibraryPeddleWebSocket = {
  $PeddleWs: {
    sockets: {}, // handle -> WebSocket
    nextHandle: 1,
    EV: { open: 0, message: 1, close: 2, error: 3 }, // as WsEventKind in websocket.cpp
    // Heap copy with length (frames can be large), freed here once C++ has returned.
    emit: function (handle, kind, number, text) {
      if (!PeddleWs.sockets[handle]) return;
      text = text || '';
      var size = lengthBytesUTF8(text) + 1;
      var ptr = _malloc(size);
      stringToUTF8(text, ptr, size);
      try {
        _pn_ws_event(handle, kind, number, ptr, size - 1);
      } finally {
        _free(ptr);
      }
    },
  },

  // Opens a socket to the URL (absolute ws(s)://, or a path resolved against the page's origin).
  // Returns a handle; a refused URL still returns one and reports error + close right after.
  pn_ws_open__deps: ['$PeddleWs', 'pn_ws_event', 'malloc', 'free'],
  pn_ws_open: function (urlPtr) {
    var W = PeddleWs, handle = W.nextHandle++;
    var url = UTF8ToString(urlPtr);
    var ws;
    try {
      var resolved = new URL(url, location.href);
      if (resolved.protocol === 'http:') resolved.protocol = 'ws:';
      if (resolved.protocol === 'https:') resolved.protocol = 'wss:';
      ws = new WebSocket(resolved.href);
    } catch (e) {
      W.sockets[handle] = { closed: true };
      setTimeout(function () {
        W.emit(handle, W.EV.error, 0, (e && e.message) || 'bad URL');
        W.emit(handle, W.EV.close, 1006, 'could not open');
        delete W.sockets[handle];
      }, 0);
      return handle;
    }
    W.sockets[handle] = ws;
    ws.onopen = function () { W.emit(handle, W.EV.open, 0); };
    ws.onmessage = function (e) {
      if (window.peddlenetDebug) console.debug('ws recv', String(e.data).slice(0, 120));
      if (typeof e.data === 'string') W.emit(handle, W.EV.message, 0, e.data);
    };
    ws.onerror = function () { W.emit(handle, W.EV.error, 0, 'WebSocket error'); };
    ws.onclose = function (e) {
      W.emit(handle, W.EV.close, e.code, e.reason);
      delete W.sockets[handle];
    };
    return handle;
  },

  // Sends `length` bytes of UTF-8 at `ptr` as one text frame. 1 when queued, 0 when not open.
  pn_ws_send__deps: ['$PeddleWs'],
  pn_ws_send: function (handle, ptr, length) {
    var ws = PeddleWs.sockets[handle];
    if (!ws || ws.readyState !== 1) return 0;
    var text = new TextDecoder().decode(new Uint8Array(HEAPU8.buffer, ptr, length));
    if (window.peddlenetDebug) console.debug('ws send', text.slice(0, 120));
    ws.send(text);
    return 1;
  },

  pn_ws_close__deps: ['$PeddleWs'],
  pn_ws_close: function (handle) {
    var ws = PeddleWs.sockets[handle];
    delete PeddleWs.sockets[handle]; // no event of it reaches C++ any more
    if (ws && ws.close) ws.close(1000, 'bye');
  },
};

autoAddDeps(LibraryPeddleWebSocket, '$PeddleWs');
mergeInto(LibraryManager.library, LibraryPeddleWebSocket);
