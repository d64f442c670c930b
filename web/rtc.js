// rtc.js: the browser's RTCPeerConnection + RTCDataChannel for C++ (src/platform/rtc.cpp).
// C++ holds integer handles; this file keeps the objects in one table. Every event checks that
// its connection still exists before calling into C++, and every rejected promise and channel
// error goes back to C++ as an error event, not only to the console.
//  [X] one connection per handle with one ordered data channel, opened by the impolite side and
//      announced in-band: only one side offers at first, so a new link costs one round trip
//      and never starts in glare (Chromium can lose the polite side's ICE candidates when it
//      rolls back its own first offer; perfect negotiation still covers later collisions)
//  [X] implicit setLocalDescription (perfect negotiation), setRemoteDescription, addIceCandidate
//  [X] ICE servers as a setting (JSON list of RTCIceServer), default none; relay only (the
//      iceTransportPolicy 'relay': peers see the relay's address, never ours)
//  [X] a STUN/TURN server that refuses or does not answer (icecandidateerror) and each relay
//      candidate gathered are reported, so the app can tell a relay that works from one that does not
//  [X] text messages both ways with exact bytes (no NUL truncation); binary ones (photo chunks)
//      as ArrayBuffers, and the channel's bufferedAmount for pacing them
//  [X] the path in use: the selected candidate pair's two candidate types, its protocol and its
//      round-trip time, from getStats (core/link_path.hpp reads the report)
//  [X] the sha-256 fingerprints of both DTLS certificates of an open connection, from getStats
//      (retried briefly: right after open the transport may not list them yet), or from the
//      applied SDP where the browser keeps no certificate stats (Firefox); "" when unknown

var LibraryPeddleRtc = {
  $PeddleRtc: {
    connections: {}, // handle -> { pc, channel }
    nextHandle: 1,
    iceServers: [],
    relayOnly: false,
    // Event kinds, numbered as RtcEventKind in rtc.cpp.
    EV: { negotiationNeeded: 0, localDescription: 1, remoteDescriptionSet: 2, iceCandidate: 3,
          channelOpen: 4, channelMessage: 5, channelClosed: 6, connectionState: 7, error: 8,
          fingerprints: 9, iceServerError: 10, relayCandidate: 11, path: 12, gatheringComplete: 13,
          channelBinary: 14 },
    FINGERPRINT_RETRY_MS: 50, // getStats again this often ...
    FINGERPRINT_TRIES: 20,    // ... for up to a second before answering with empty strings
    // RTCSignalingState / RTCPeerConnectionState in the order of core/rtc_transport.hpp.
    signalingStates: ['stable', 'have-local-offer', 'have-remote-offer', 'have-local-pranswer',
                      'have-remote-pranswer', 'closed'],
    connectionStates: ['new', 'connecting', 'connected', 'disconnected', 'failed', 'closed'],

    // Calls C++ unless the connection was closed meanwhile (promises settle later than close).
    emit: function (handle, kind, number, text) {
      text = text || '';
      if (window.peddlenetDebug) console.debug('rtc', handle, kind, number, text.slice(0, 80));
      PeddleRtc.emitBytes(handle, kind, number, new TextEncoder().encode(text));
    },
    // The same with bytes as they are (a binary message). They are copied to the heap (not the
    // small wasm stack: history sync frames are large), passed with their length, and freed here
    // once C++ has returned.
    emitBytes: function (handle, kind, number, bytes) {
      if (!PeddleRtc.connections[handle]) return;
      var ptr = _malloc(bytes.length || 1);
      HEAPU8.set(bytes, ptr);
      try {
        _pn_rtc_event(handle, kind, number, ptr, bytes.length);
      } finally {
        _free(ptr);
      }
    },
    describe: function (err) { return (err && (err.name + ': ' + err.message)) || String(err); },

    // Promise of a certificate report's sha-256 fingerprint ("AB:CD:.."), '' when unknown. The
    // browser names the algorithm after the certificate's signature hash; for any other than
    // sha-256 the digest of the DER copy is computed here.
    certificateFingerprint: function (cert) {
      if (!cert) return Promise.resolve('');
      if (cert.fingerprintAlgorithm === 'sha-256' && cert.fingerprint) return Promise.resolve(cert.fingerprint);
      var subtle = globalThis.crypto && globalThis.crypto.subtle;
      if (!cert.base64Certificate || !subtle) return Promise.resolve('');
      return Promise.resolve().then(function () {
        var der = Uint8Array.from(atob(cert.base64Certificate), function (c) { return c.charCodeAt(0); });
        return subtle.digest('SHA-256', der);
      }).then(function (digest) {
        return Array.from(new Uint8Array(digest), function (b) {
          return (b < 16 ? '0' : '') + b.toString(16).toUpperCase();
        }).join(':');
      }, function () { return ''; });
    },
    // From one getStats report: a promise of { local, remote }, or null when the DTLS transport
    // does not name both certificates yet, or 'none' when the report has no certificates at all
    // (Firefox keeps no certificate stats: then the SDP says).
    statsFingerprints: function (report) {
      var R = PeddleRtc, transports = [], certificates = {}, pairTransport = null;
      report.forEach(function (s) {
        if (s.type === 'transport') transports.push(s);
        else if (s.type === 'certificate') certificates[s.id] = s;
        else if (s.type === 'candidate-pair' && s.nominated && s.state === 'succeeded') pairTransport = s.transportId;
      });
      if (Object.keys(certificates).length === 0) return 'none';
      // One transport with BUNDLE (always here: one data channel); else the selected pair's.
      var transport = transports.length === 1 ? transports[0] : transports.filter(function (t) {
        return t.id === pairTransport;
      })[0];
      if (!transport) return null;
      var local = certificates[transport.localCertificateId];
      var remote = certificates[transport.remoteCertificateId];
      if (!local || !remote) return null;
      return Promise.all([R.certificateFingerprint(local), R.certificateFingerprint(remote)]).then(function (fps) {
        return fps[0] && fps[1] ? { local: fps[0], remote: fps[1] } : null;
      });
    },
    // The one sha-256 a=fingerprint of an applied description, '' unless there is exactly one:
    // with several, the DTLS check could have matched another. The remote one is as good as
    // the stats: the browser refuses a DTLS handshake whose certificate does not match it.
    sdpFingerprint: function (description) {
      if (!description || !description.sdp) return '';
      var found = {};
      description.sdp.split(/\r?\n/).forEach(function (line) {
        var m = /^a=fingerprint:(\S+) (\S+)\s*$/.exec(line);
        if (m) found[m[1].toLowerCase() + ' ' + m[2].toUpperCase()] = true;
      });
      var keys = Object.keys(found);
      return keys.length === 1 && keys[0].indexOf('sha-256 ') === 0 ? keys[0].slice(8) : '';
    },
  },

  pn_rtc_set_ice_servers__deps: ['$PeddleRtc'],
  pn_rtc_set_ice_servers: function (jsonPtr) {
    try {
      var servers = JSON.parse(UTF8ToString(jsonPtr));
      PeddleRtc.iceServers = Array.isArray(servers) ? servers : [];
      return 1;
    } catch (e) {
      return 0;
    }
  },

  pn_rtc_set_relay_only__deps: ['$PeddleRtc'],
  pn_rtc_set_relay_only: function (relayOnly) {
    PeddleRtc.relayOnly = !!relayOnly;
  },

  // Returns a handle, or 0 when the browser refused. `opensChannel`: this side creates the data
  // channel (and so makes the first offer); the other side receives it through ondatachannel.
  pn_rtc_create__deps: ['$PeddleRtc', 'pn_rtc_event', 'malloc', 'free'],
  pn_rtc_create: function (opensChannel) {
    var R = PeddleRtc, EV = R.EV;
    var handle = R.nextHandle++;
    var pc, entry = { pc: null, channel: null };
    try {
      pc = entry.pc = new RTCPeerConnection({ iceServers: R.iceServers,
                                              iceTransportPolicy: R.relayOnly ? 'relay' : 'all' });
      if (opensChannel) entry.channel = pc.createDataChannel('chat', { ordered: true });
    } catch (e) {
      if (pc) pc.close();
      console.error('PeddleNet: RTCPeerConnection refused:', R.describe(e));
      return 0;
    }
    R.connections[handle] = entry;
    pc.onnegotiationneeded = function () { R.emit(handle, EV.negotiationNeeded, 0); };
    pc.onicecandidate = function (e) {
      if (!e.candidate) { R.emit(handle, EV.gatheringComplete, 0); return; }
      if (e.candidate.type === 'relay') R.emit(handle, EV.relayCandidate, 0, e.candidate.url || '');
      R.emit(handle, EV.iceCandidate, 0, JSON.stringify(e.candidate.toJSON()));
    };
    // 401: the TURN server refused the credentials; 701: a server did not answer.
    pc.onicecandidateerror = function (e) {
      R.emit(handle, EV.iceServerError, e.errorCode | 0, (e.url || '') + ' ' + (e.errorText || ''));
    };
    pc.onconnectionstatechange = function () {
      R.emit(handle, EV.connectionState, R.connectionStates.indexOf(pc.connectionState));
    };
    function bind(channel) {
      channel.binaryType = 'arraybuffer';
      channel.onopen = function () { R.emit(handle, EV.channelOpen, 0); };
      channel.onclose = function () { R.emit(handle, EV.channelClosed, 0); };
      channel.onerror = function (e) {
        R.emit(handle, EV.error, 4, (e && e.error && R.describe(e.error)) || 'data channel error');
      };
      channel.onmessage = function (e) {
        if (typeof e.data === 'string') R.emit(handle, EV.channelMessage, 0, e.data);
        else if (e.data instanceof ArrayBuffer) R.emitBytes(handle, EV.channelBinary, 0, new Uint8Array(e.data));
      };
    }
    if (entry.channel) {
      bind(entry.channel);
    } else {
      pc.ondatachannel = function (e) {
        if (entry.channel || e.channel.label !== 'chat') { e.channel.close(); return; } // one channel only
        entry.channel = e.channel;
        bind(e.channel);
        if (e.channel.readyState === 'open') R.emit(handle, EV.channelOpen, 0);
      };
    }
    return handle;
  },

  pn_rtc_close__deps: ['$PeddleRtc'],
  pn_rtc_close: function (handle) {
    var c = PeddleRtc.connections[handle];
    if (!c) return;
    delete PeddleRtc.connections[handle]; // from now on no event of it reaches C++
    if (c.channel) c.channel.close();
    c.pc.close();
  },

  pn_rtc_set_local_description__deps: ['$PeddleRtc'],
  pn_rtc_set_local_description: function (handle) {
    var R = PeddleRtc, c = R.connections[handle];
    if (!c) return;
    c.pc.setLocalDescription().then(function () {
      var d = c.pc.localDescription;
      R.emit(handle, R.EV.localDescription, d.type === 'answer' ? 1 : 0, d.sdp);
    }, function (err) { R.emit(handle, R.EV.error, 1, R.describe(err)); });
  },

  pn_rtc_set_remote_description__deps: ['$PeddleRtc'],
  pn_rtc_set_remote_description: function (handle, isAnswer, sdpPtr) {
    var R = PeddleRtc, c = R.connections[handle];
    if (!c) return;
    var description = { type: isAnswer ? 'answer' : 'offer', sdp: UTF8ToString(sdpPtr) };
    c.pc.setRemoteDescription(description).then(function () {
      R.emit(handle, R.EV.remoteDescriptionSet, 0);
    }, function (err) { R.emit(handle, R.EV.error, 2, R.describe(err)); });
  },

  pn_rtc_add_ice_candidate__deps: ['$PeddleRtc'],
  pn_rtc_add_ice_candidate: function (handle, jsonPtr) {
    var R = PeddleRtc, c = R.connections[handle];
    if (!c) return;
    var candidate;
    try {
      candidate = JSON.parse(UTF8ToString(jsonPtr));
    } catch (e) {
      R.emit(handle, R.EV.error, 3, 'candidate is not JSON');
      return;
    }
    c.pc.addIceCandidate(candidate).catch(function (err) { R.emit(handle, R.EV.error, 3, R.describe(err)); });
  },

  pn_rtc_restart_ice__deps: ['$PeddleRtc'],
  pn_rtc_restart_ice: function (handle) {
    var c = PeddleRtc.connections[handle];
    if (c) c.pc.restartIce();
  },

  // Sends `length` bytes of UTF-8 at `ptr` as one text message. 1 when sent, 0 when not open.
  pn_rtc_send__deps: ['$PeddleRtc'],
  pn_rtc_send: function (handle, ptr, length) {
    var c = PeddleRtc.connections[handle];
    if (!c || !c.channel || c.channel.readyState !== 'open') return 0;
    // A fresh view: memory growth detaches old ones.
    var text = new TextDecoder().decode(new Uint8Array(HEAPU8.buffer, ptr, length));
    try {
      c.channel.send(text);
      return 1;
    } catch (e) {
      return 0; // closing in between, or the send buffer is full
    }
  },

  // Sends `length` bytes at `ptr` as one binary message. 1 when sent, 0 when not open.
  pn_rtc_send_binary__deps: ['$PeddleRtc'],
  pn_rtc_send_binary: function (handle, ptr, length) {
    var c = PeddleRtc.connections[handle];
    if (!c || !c.channel || c.channel.readyState !== 'open') return 0;
    try {
      c.channel.send(HEAPU8.slice(ptr, ptr + length)); // a copy: the heap may grow meanwhile
      return 1;
    } catch (e) {
      return 0;
    }
  },

  // The channel's bufferedAmount: bytes queued and not yet handed to the network.
  pn_rtc_buffered__deps: ['$PeddleRtc'],
  pn_rtc_buffered: function (handle) {
    var c = PeddleRtc.connections[handle];
    return c && c.channel ? c.channel.bufferedAmount : 0;
  },

  // Answers with one fingerprints event, text "LOCAL REMOTE" (each '' when unknown), unless the
  // connection closes first.
  pn_rtc_get_fingerprints__deps: ['$PeddleRtc'],
  pn_rtc_get_fingerprints: function (handle) {
    var R = PeddleRtc, tries = 0;
    function answer(local, remote) { R.emit(handle, R.EV.fingerprints, 0, (local || '') + ' ' + (remote || '')); }
    function fromSdp() {
      var pc = R.connections[handle] && R.connections[handle].pc;
      if (!pc) return;
      answer(R.sdpFingerprint(pc.currentLocalDescription), R.sdpFingerprint(pc.currentRemoteDescription));
    }
    function attempt() {
      var c = R.connections[handle];
      if (!c) return; // closed meanwhile: nobody to answer
      c.pc.getStats().then(R.statsFingerprints).then(function (fps) {
        if (fps === 'none') return fromSdp();
        if (fps) return answer(fps.local, fps.remote);
        retry();
      }, retry);
    }
    function retry() {
      if (++tries < R.FINGERPRINT_TRIES) setTimeout(attempt, R.FINGERPRINT_RETRY_MS);
      else answer('', '');
    }
    attempt();
  },

  // Answers with one path event, text "LOCAL_TYPE REMOTE_TYPE PROTOCOL RTT_MS" (RTT "-" when
  // unknown), once the connection has a selected pair; nothing before that or when closed.
  pn_rtc_get_path__deps: ['$PeddleRtc'],
  pn_rtc_get_path: function (handle) {
    var R = PeddleRtc, c = R.connections[handle];
    if (!c || c.pc.connectionState !== 'connected') return;
    c.pc.getStats().then(function (report) {
      var pair = null, byId = {};
      report.forEach(function (s) { byId[s.id] = s; });
      report.forEach(function (s) {
        // Chromium names the selected pair on the transport; Firefox marks the pair itself.
        if (s.type === 'transport' && s.selectedCandidatePairId) pair = byId[s.selectedCandidatePairId] || pair;
        else if (!pair && s.type === 'candidate-pair' && s.selected) pair = s;
      });
      if (!pair) return;
      var local = byId[pair.localCandidateId], remote = byId[pair.remoteCandidateId];
      if (!local || !remote) return;
      var protocol = local.candidateType === 'relay' && local.relayProtocol ? local.relayProtocol : local.protocol;
      var rtt = typeof pair.currentRoundTripTime === 'number' ? String(pair.currentRoundTripTime * 1000) : '-';
      R.emit(handle, R.EV.path, 0, [local.candidateType, remote.candidateType, protocol, rtt].join(' '));
    }, function () {});
  },

  pn_rtc_signaling_state__deps: ['$PeddleRtc'],
  pn_rtc_signaling_state: function (handle) {
    var c = PeddleRtc.connections[handle];
    return c ? PeddleRtc.signalingStates.indexOf(c.pc.signalingState) : 0;
  },
};

autoAddDeps(LibraryPeddleRtc, '$PeddleRtc');
mergeInto(LibraryManager.library, LibraryPeddleRtc);
