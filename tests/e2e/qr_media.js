// qr_media.js: camera pictures for Chromium's fake capture device, for the QR tests and the QR
// benchmark: a QR code made by Debian's `qrencode` (an implementation independent of the app's)
// drawn into a 640x480 Y4M frame, or a busy scene without any code.
// Y4M must be 4:2:0 (C420jpeg): Chromium refuses 4:4:4 with "Requested device not found".
// A one-frame file loops forever.
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const WIDTH = 640, HEIGHT = 480;

// Module matrix of `text` from qrencode (ECC M, no margin: we draw the quiet zone ourselves).
function qrencodeModules(text) {
  const ascii = execFileSync('qrencode', ['-t', 'ASCII', '-m', '0', '-l', 'M', '-8', '--', text], { encoding: 'utf8' });
  // Each module is two characters: "##" dark, "  " light.
  return ascii.split('\n').filter((l) => l.length > 0).map((line) => {
    const row = [];
    for (let i = 0; i < line.length; i += 2) row.push(line[i] === '#');
    return row;
  });
}

// A deterministic pseudo-random source (tests must not flake on a lucky scene).
function rng(seed) {
  let s = seed >>> 0;
  return () => { s = (s * 1664525 + 1013904223) >>> 0; return s / 4294967296; };
}

// A camera-like background: a lighting gradient and sensor noise, values 60..200.
function background(random) {
  const y = Buffer.alloc(WIDTH * HEIGHT);
  for (let r = 0; r < HEIGHT; ++r) {
    for (let c = 0; c < WIDTH; ++c) {
      y[r * WIDTH + c] = Math.max(0, Math.min(255, 90 + 0.12 * c + 0.08 * r + (random() - 0.5) * 24));
    }
  }
  return y;
}

// The Y plane of a frame showing `text` as a QR code: white card with the 4-module quiet zone,
// modules `modulePx` pixels wide, centred, light noise so it is not a perfectly synthetic image.
function qrFrame(text, { modulePx = 0, seed = 1 } = {}) {
  const modules = qrencodeModules(text);
  const n = modules.length;
  const side = n + 8;
  const px = modulePx || Math.max(2, Math.floor((HEIGHT * 0.8) / side));
  const random = rng(seed);
  const y = background(random);
  const x0 = Math.floor((WIDTH - side * px) / 2), y0 = Math.floor((HEIGHT - side * px) / 2);
  for (let r = 0; r < side * px; ++r) {
    for (let c = 0; c < side * px; ++c) {
      const mr = Math.floor(r / px) - 4, mc = Math.floor(c / px) - 4;
      const dark = mr >= 0 && mc >= 0 && mr < n && mc < n && modules[mr][mc];
      const v = (dark ? 30 : 225) + (random() - 0.5) * 16;
      y[(y0 + r) * WIDTH + x0 + c] = Math.max(0, Math.min(255, v));
    }
  }
  return y;
}

// A busy frame with no code in it: blocks of random grey over the noisy background (edges and
// squares that a QR finder pattern search has to reject).
function sceneFrame({ seed = 7 } = {}) {
  const random = rng(seed);
  const y = background(random);
  for (let k = 0; k < 60; ++k) {
    const w = 10 + Math.floor(random() * 90), h = 10 + Math.floor(random() * 90);
    const x0 = Math.floor(random() * (WIDTH - w)), y0 = Math.floor(random() * (HEIGHT - h));
    const v = Math.floor(random() * 256);
    for (let r = 0; r < h; ++r) for (let c = 0; c < w; ++c) y[(y0 + r) * WIDTH + x0 + c] = v;
  }
  return y;
}

// Writes a one-frame 4:2:0 Y4M with luma plane `y` (chroma neutral) and returns its path.
function writeY4m(file, y) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const chroma = Buffer.alloc((WIDTH / 2) * (HEIGHT / 2), 128);
  fs.writeFileSync(file, Buffer.concat([
    Buffer.from(`YUV4MPEG2 W${WIDTH} H${HEIGHT} F30:1 Ip A1:1 C420jpeg\n`), Buffer.from('FRAME\n'), y, chroma, chroma,
  ]));
  return file;
}

module.exports = { WIDTH, HEIGHT, qrencodeModules, qrFrame, sceneFrame, writeY4m };
