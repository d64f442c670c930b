// photo.js: photos for C++ (src/platform/photo.cpp): the file chooser, decoding and downscaling
// off the main thread, and photos drawn into GL textures.
//  [X] two file inputs in the page: #photo-pick (gallery) and #photo-camera (capture); the
//      chosen file's first 64 KiB and size go to C++, which judges the header before anything
//      decodes it (core/photo.hpp), then asks for it prepared or dropped
//  [X] prepare, in a worker: createImageBitmap applies the EXIF orientation; an OffscreenCanvas
//      downscales to the longest side asked for and re-encodes (WebP, JPEG where the browser
//      cannot write WebP), lowering quality and then size until the target fits. Only pixels
//      are drawn, so nothing of the file's metadata (location, camera) survives
//  [X] decode: a photo's bytes into a GL texture C++ created, at the size asked (thumbnails are
//      small: the browser decodes and scales off the main thread)
//  [X] every outcome, failures included, completes the C++ request exactly once

var LibraryPeddlePhoto = {
  $PeddlePhoto: {
    files: {}, // handle -> File, between "picked" and prepare/drop
    nextHandle: 1,
    worker: null,
    jobs: {}, // request id -> true while the worker prepares it

    // The worker's whole program, started from a Blob URL: the app stays one cached bundle.
    workerMain: function () {
      var QUALITIES = [0.82, 0.72, 0.62, 0.52];
      // Smallest acceptable encoding: qualities first, then a smaller canvas.
      function fit(bitmap, side, job, type) {
        var scale = Math.min(1, side / Math.max(bitmap.width, bitmap.height));
        var w = Math.max(1, Math.round(bitmap.width * scale));
        var h = Math.max(1, Math.round(bitmap.height * scale));
        var canvas = new OffscreenCanvas(w, h);
        var ctx = canvas.getContext('2d');
        ctx.fillStyle = '#fff'; // JPEG has no transparency: what was transparent turns white
        ctx.fillRect(0, 0, w, h);
        ctx.imageSmoothingQuality = 'high';
        ctx.drawImage(bitmap, 0, 0, w, h);
        function attempt(i) {
          return canvas.convertToBlob({ type: type, quality: QUALITIES[i] }).then(function (blob) {
            if (blob.type !== type) return null; // this browser cannot write it
            if (blob.size <= job.target || (i === QUALITIES.length - 1 && side <= 320)) {
              return { blob: blob, width: w, height: h };
            }
            if (i + 1 < QUALITIES.length) return attempt(i + 1);
            return fit(bitmap, Math.round(side * 0.8), job, type);
          });
        }
        return attempt(0);
      }
      self.onmessage = function (e) {
        var job = e.data, started = performance.now();
        createImageBitmap(job.file, { imageOrientation: 'from-image' }).then(function (bitmap) {
          return fit(bitmap, job.maxSide, job, 'image/webp').then(function (r) {
            return r || fit(bitmap, job.maxSide, job, 'image/jpeg');
          }).then(function (r) {
            bitmap.close();
            return r.blob.arrayBuffer().then(function (buffer) {
              self.postMessage({ id: job.id, ok: true, buffer: buffer, type: r.blob.type, width: r.width,
                                 height: r.height, ms: performance.now() - started }, [buffer]);
            });
          });
        }).catch(function (err) {
          self.postMessage({ id: job.id, ok: false, error: (err && err.name) || String(err) });
        });
      };
    },

    startWorker: function () {
      var P = PeddlePhoto;
      if (P.worker) return P.worker;
      var source = '(' + P.workerMain.toString() + ')();';
      P.worker = new Worker(URL.createObjectURL(new Blob([source], { type: 'text/javascript' })));
      P.worker.onmessage = function (e) {
        var r = e.data;
        if (!P.jobs[r.id]) return;
        delete P.jobs[r.id];
        if (!r.ok) {
          P.prepared(r.id, 0, null, r.error || 'decode failed', 0, 0, 0);
          return;
        }
        P.prepared(r.id, 1, new Uint8Array(r.buffer), r.type, r.width, r.height, r.ms);
      };
      P.worker.onerror = function (e) {
        // A worker that died answers every job it held.
        var ids = Object.keys(P.jobs);
        P.jobs = {};
        P.worker = null;
        ids.forEach(function (id) { P.prepared(+id, 0, null, (e && e.message) || 'worker failed', 0, 0, 0); });
      };
      return P.worker;
    },

    // Completes prepare request `id`; the bytes (or the error text) are copied to the heap.
    prepared: function (id, ok, bytes, text, width, height, ms) {
      var size = bytes ? bytes.length : 0;
      var ptr = _malloc(size || 1);
      if (bytes) HEAPU8.set(bytes, ptr);
      var textPtr = stringToNewUTF8(text || '');
      try {
        _pn_photo_prepared(id, ok, ptr, size, textPtr, width, height, ms);
      } finally {
        _free(ptr);
        _free(textPtr);
      }
    },

    // A file chosen in either input: its head and size go to C++.
    chosen: function (input) {
      var P = PeddlePhoto;
      var file = input.files && input.files[0];
      input.value = ''; // the same file may be chosen again
      if (!file) return;
      var handle = P.nextHandle++;
      P.files[handle] = file;
      file.slice(0, 65536).arrayBuffer().then(function (buffer) {
        var head = new Uint8Array(buffer);
        var ptr = _malloc(head.length || 1);
        HEAPU8.set(head, ptr);
        try {
          _pn_photo_picked(handle, ptr, head.length, file.size);
        } finally {
          _free(ptr);
        }
      }, function () {
        _pn_photo_picked(handle, 0, 0, -1); // unreadable (a file that vanished, a denied read)
      });
    },
  },

  pn_photo_init__deps: ['$PeddlePhoto', 'pn_photo_picked', 'malloc', 'free'],
  pn_photo_init: function () {
    ['photo-pick', 'photo-camera'].forEach(function (id) {
      var input = document.getElementById(id);
      if (input) input.addEventListener('change', function () { PeddlePhoto.chosen(input); });
    });
  },

  // Opens the chooser: the gallery (0) or the camera (1). Needs the person's recent tap, which
  // the frame that handles it still has.
  pn_photo_pick: function (camera) {
    var input = document.getElementById(camera ? 'photo-camera' : 'photo-pick');
    if (input) input.click();
  },

  pn_photo_prepare__deps: ['$PeddlePhoto', 'pn_photo_prepared', 'malloc', 'free', '$stringToNewUTF8'],
  pn_photo_prepare: function (handle, id, maxSide, targetBytes) {
    var P = PeddlePhoto;
    var file = P.files[handle];
    delete P.files[handle];
    if (!file) {
      setTimeout(function () { P.prepared(id, 0, null, 'no such file', 0, 0, 0); });
      return;
    }
    P.jobs[id] = true;
    try {
      P.startWorker().postMessage({ id: id, file: file, maxSide: maxSide, target: targetBytes });
    } catch (e) {
      delete P.jobs[id];
      setTimeout(function () { P.prepared(id, 0, null, String(e), 0, 0, 0); });
    }
  },

  pn_photo_drop: function (handle) {
    delete PeddlePhoto.files[handle];
  },

  // Decodes `length` bytes at `ptr` of MIME type `typePtr` at width x height into GL texture
  // `textureId` (a name from glGenTextures); answers pn_photo_decoded(id, ok).
  pn_photo_decode__deps: ['$GL', 'pn_photo_decoded'],
  pn_photo_decode: function (id, ptr, length, typePtr, width, height, textureId) {
    var blob = new Blob([HEAPU8.slice(ptr, ptr + length)], { type: UTF8ToString(typePtr) });
    createImageBitmap(blob, { resizeWidth: width, resizeHeight: height, resizeQuality: 'high' })
      .then(function (bitmap) {
        var gl = GLctx, texture = GL.textures[textureId];
        if (!texture) { bitmap.close(); _pn_photo_decoded(id, 0); return; }
        gl.bindTexture(gl.TEXTURE_2D, texture);
        gl.pixelStorei(gl.UNPACK_ROW_LENGTH, 0);
        gl.pixelStorei(gl.UNPACK_SKIP_ROWS, 0);
        gl.pixelStorei(gl.UNPACK_SKIP_PIXELS, 0);
        gl.texImage2D(gl.TEXTURE_2D, 0, gl.RGBA, gl.RGBA, gl.UNSIGNED_BYTE, bitmap);
        bitmap.close();
        _pn_photo_decoded(id, 1);
      }, function () { _pn_photo_decoded(id, 0); });
  },
};

autoAddDeps(LibraryPeddlePhoto, '$PeddlePhoto');
mergeInto(LibraryManager.library, LibraryPeddlePhoto);
