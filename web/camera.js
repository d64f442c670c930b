// camera.js: the browser's camera for C++ (src/platform/camera.cpp), by handle.
// Each camera owns a hidden <video> playing a getUserMedia stream, a 2D canvas that turns a
// video frame into luminance bytes in the wasm heap, and a timer for the next frame. Every event
// checks that its camera still exists (C++ may have stopped it while a promise was pending),
// and every failure reaches C++ as an error kind, not only the console.
//  [X] rear camera preferred (facingMode ideal 'environment'), about 640x480
//  [X] errors sorted into kinds (PeddleCamera.ERR) from the DOMException names browsers use
//  [X] luminance frames: drawn scaled to maxSide, read back, converted (BT.601 weights) into one
//      heap buffer per camera (freed with the camera); frames are due every intervalMs (late
//      timers are made up for) but always at least minGapMs after C++ returned, so decoding
//      never piles up and the UI always gets time to draw
//  [X] tracks stopped on delete and while the page is hidden; started again when shown
//  [X] preview: texImage2D straight from the <video> into a texture C++ created

var LibraryPeddleCamera = {
  $PeddleCamera: {
    cameras: {}, // handle -> camera state
    nextHandle: 1,
    listening: false,
    // Event kinds, numbered as CameraEventKind in camera.cpp.
    EV: { started: 0, frame: 1, error: 2, paused: 3, video: 4 },
    // Error kinds, numbered as platform::CameraError in camera.hpp.
    ERR: { permissionDenied: 1, noCamera: 2, insecureContext: 3, inUse: 4, unsupported: 5, lost: 6, other: 7 },
    // Least pause between the end of one decode and the next grab, in ms: the page's own
    // frames (and input) run in between even when decoding is slower than the interval.
    minGapMs: 15,

    // Calls C++ unless the camera was deleted meanwhile. `ptr`/`length`: heap bytes owned here.
    emit: function (handle, kind, a, b, ptr, length) {
      if (!PeddleCamera.cameras[handle]) return;
      _pn_camera_event(handle, kind, a, b, ptr || 0, length || 0);
    },
    // Text details go through a heap copy freed once C++ has returned.
    emitError: function (handle, kind, detail) {
      if (!PeddleCamera.cameras[handle]) return;
      var text = String(detail || '');
      var size = lengthBytesUTF8(text) + 1;
      var ptr = _malloc(size);
      stringToUTF8(text, ptr, size);
      try {
        PeddleCamera.stopTracks(PeddleCamera.cameras[handle]);
        _pn_camera_event(handle, PeddleCamera.EV.error, kind, 0, ptr, size - 1);
      } finally {
        _free(ptr);
      }
    },
    // getUserMedia's rejections, by DOMException name (older Chrome names included).
    errorKind: function (err) {
      var E = PeddleCamera.ERR;
      switch (err && err.name) {
        case 'NotAllowedError': case 'PermissionDeniedError': case 'SecurityError': return E.permissionDenied;
        case 'NotFoundError': case 'DevicesNotFoundError': case 'OverconstrainedError': return E.noCamera;
        case 'NotReadableError': case 'TrackStartError': case 'AbortError': return E.inUse;
        case 'TypeError': return E.unsupported;
        default: return E.other;
      }
    },
    describe: function (err) { return (err && (err.name + ': ' + err.message)) || String(err); },

    stopTracks: function (cam) {
      if (cam.timer) { clearTimeout(cam.timer); cam.timer = 0; }
      if (cam.video && cam.video.cancelVideoFrameCallback && cam.videoCallback) {
        cam.video.cancelVideoFrameCallback(cam.videoCallback);
      }
      cam.videoCallback = 0;
      if (cam.videoTimer) { clearTimeout(cam.videoTimer); cam.videoTimer = 0; }
      if (cam.stream) {
        cam.stream.getTracks().forEach(function (t) { t.onended = null; t.stop(); });
        cam.stream = null;
      }
      if (cam.video) cam.video.srcObject = null;
      cam.playing = false;
      cam.fresh = false;
      ++cam.generation; // a getUserMedia still pending belongs to a run that is over
    },

    open: function (handle) {
      var C = PeddleCamera, cam = C.cameras[handle];
      if (!cam) return;
      // Browsers only offer the camera to secure contexts: on http://<LAN address> the API is
      // simply missing, which would otherwise look like an old browser.
      if (!window.isSecureContext) {
        setTimeout(function () { C.emitError(handle, C.ERR.insecureContext, 'page is not a secure context'); }, 0);
        return;
      }
      if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
        setTimeout(function () { C.emitError(handle, C.ERR.unsupported, 'no navigator.mediaDevices.getUserMedia'); }, 0);
        return;
      }
      var generation = ++cam.generation;
      navigator.mediaDevices.getUserMedia({
        audio: false,
        video: { facingMode: { ideal: 'environment' }, width: { ideal: 640 }, height: { ideal: 480 } },
      }).then(function (stream) {
        if (!C.cameras[handle] || generation !== cam.generation) {
          stream.getTracks().forEach(function (t) { t.stop(); }); // stopped or hidden meanwhile
          return;
        }
        cam.stream = stream;
        stream.getVideoTracks().forEach(function (t) {
          t.onended = function () { C.emitError(handle, C.ERR.lost, 'the camera stopped'); };
        });
        cam.video.srcObject = stream;
        return cam.video.play().then(function () {
          if (!C.cameras[handle] || generation !== cam.generation) return;
          cam.playing = true;
          cam.due = 0;
          C.watchVideo(handle);
          C.emit(handle, C.EV.started, cam.video.videoWidth, cam.video.videoHeight);
          C.schedule(handle, 0);
        });
      }).catch(function (err) {
        if (!C.cameras[handle] || generation !== cam.generation) return;
        C.emitError(handle, C.errorKind(err), C.describe(err));
      });
    },

    // Marks new video frames for the preview and wakes C++ for each (requestVideoFrameCallback
    // where it exists, else a timer at the usual camera rate).
    watchVideo: function (handle) {
      var C = PeddleCamera, cam = C.cameras[handle];
      var onFrame = function () {
        if (!C.cameras[handle] || !cam.playing) return;
        cam.fresh = true;
        C.emit(handle, C.EV.video, 0, 0);
        cam.videoCallback = cam.video.requestVideoFrameCallback
          ? cam.video.requestVideoFrameCallback(onFrame) : 0;
        if (!cam.video.requestVideoFrameCallback) cam.videoTimer = setTimeout(onFrame, 33);
      };
      onFrame();
    },

    schedule: function (handle, delayMs) {
      var C = PeddleCamera, cam = C.cameras[handle];
      if (!cam || !cam.playing) return;
      if (cam.timer) clearTimeout(cam.timer);
      cam.timer = setTimeout(function () { cam.timer = 0; C.grab(handle); }, Math.max(0, delayMs));
    },

    grab: function (handle) {
      var C = PeddleCamera, cam = C.cameras[handle];
      if (!cam || !cam.playing) return;
      var video = cam.video, vw = video.videoWidth, vh = video.videoHeight;
      if (video.readyState < 2 || !vw || !vh) { C.schedule(handle, cam.intervalMs); return; }
      var started = performance.now();
      var scale = Math.min(1, cam.maxSide / Math.max(vw, vh));
      var w = Math.max(1, Math.round(vw * scale)), h = Math.max(1, Math.round(vh * scale));
      if (cam.canvas.width !== w || cam.canvas.height !== h) { cam.canvas.width = w; cam.canvas.height = h; }
      cam.context.drawImage(video, 0, 0, w, h);
      var rgba = cam.context.getImageData(0, 0, w, h).data;
      if (cam.bufferSize < w * h) {
        if (cam.buffer) _free(cam.buffer);
        cam.buffer = _malloc(w * h); // freed in pn_camera_delete
        cam.bufferSize = w * h;
      }
      // A fresh view: the heap may have grown (and moved) since the last frame.
      var lum = new Uint8Array(HEAPU8.buffer, cam.buffer, w * h);
      for (var i = 0, j = 0, n = w * h; i < n; ++i, j += 4) {
        lum[i] = (rgba[j] * 77 + rgba[j + 1] * 150 + rgba[j + 2] * 29) >> 8;
      }
      var grabUs = Math.round((performance.now() - started) * 1000);
      C.emit(handle, C.EV.frame, w, h, cam.buffer, grabUs);
      // Keep the cadence (a late timer shortens the next wait) but never run back to back.
      var now = performance.now();
      cam.due = Math.max((cam.due || started) + cam.intervalMs, now + C.minGapMs);
      C.schedule(handle, cam.due - now);
    },

    // The page hid: the camera goes off (a phone's camera light must not stay on for a tab in
    // the background); it comes back when the page is shown again.
    onVisibility: function () {
      var C = PeddleCamera;
      Object.keys(C.cameras).forEach(function (key) {
        var handle = Number(key), cam = C.cameras[handle];
        if (document.hidden && !cam.paused) {
          C.stopTracks(cam);
          cam.paused = true;
          C.emit(handle, C.EV.paused, 0, 0);
        } else if (!document.hidden && cam.paused) {
          cam.paused = false;
          C.open(handle);
        }
      });
    },
  },

  // Creates a camera and asks for the stream; returns its handle. Events follow.
  pn_camera_create__deps: ['$PeddleCamera', 'pn_camera_event', 'malloc', 'free'],
  pn_camera_create: function (intervalMs, maxSide) {
    var C = PeddleCamera, handle = C.nextHandle++;
    var video = document.createElement('video');
    video.muted = true;          // autoplay without a gesture
    video.playsInline = true;    // iOS: no full-screen player
    video.setAttribute('playsinline', '');
    var canvas = document.createElement('canvas');
    C.cameras[handle] = {
      video: video, canvas: canvas, context: canvas.getContext('2d', { willReadFrequently: true }),
      stream: null, playing: false, paused: false, fresh: false, timer: 0, videoCallback: 0,
      videoTimer: 0, due: 0, generation: 0, buffer: 0, bufferSize: 0, intervalMs: intervalMs, maxSide: maxSide,
      previewTexture: 0,
    };
    if (!C.listening) {
      C.listening = true;
      document.addEventListener('visibilitychange', C.onVisibility);
    }
    if (document.hidden) {
      C.cameras[handle].paused = true; // starts when the page is shown
    } else {
      C.open(handle);
    }
    return handle;
  },

  // Stops the tracks and frees everything; no event of this handle reaches C++ afterwards.
  pn_camera_delete__deps: ['$PeddleCamera', 'free'],
  pn_camera_delete: function (handle) {
    var C = PeddleCamera, cam = C.cameras[handle];
    if (!cam) return;
    delete C.cameras[handle];
    C.stopTracks(cam);
    if (cam.buffer) _free(cam.buffer);
    cam.buffer = 0;
  },

  // Uploads the newest video frame into the GL texture `textureId` (a name from glGenTextures)
  // when a new one arrived. Returns (width << 16) | height once the texture holds a frame, else 0.
  pn_camera_preview__deps: ['$PeddleCamera', '$GL'],
  pn_camera_preview: function (handle, textureId) {
    var cam = PeddleCamera.cameras[handle];
    if (!cam || !cam.playing || cam.video.readyState < 2 || !cam.video.videoWidth) return 0;
    if (cam.fresh || cam.previewTexture !== textureId) {
      var gl = GLctx, texture = GL.textures[textureId];
      if (!texture) return 0;
      gl.bindTexture(gl.TEXTURE_2D, texture);
      // DOM sources ignore none of these in WebGL2: make sure ImGui's own uploads left nothing set.
      gl.pixelStorei(gl.UNPACK_ROW_LENGTH, 0);
      gl.pixelStorei(gl.UNPACK_SKIP_ROWS, 0);
      gl.pixelStorei(gl.UNPACK_SKIP_PIXELS, 0);
      gl.texImage2D(gl.TEXTURE_2D, 0, gl.RGBA, gl.RGBA, gl.UNSIGNED_BYTE, cam.video);
      cam.fresh = false;
      cam.previewTexture = textureId;
    }
    return (cam.video.videoWidth << 16) | cam.video.videoHeight;
  },
};

autoAddDeps(LibraryPeddleCamera, '$PeddleCamera');
mergeInto(LibraryManager.library, LibraryPeddleCamera);
