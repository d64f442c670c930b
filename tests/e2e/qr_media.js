// qr_media.js: camera pictures for Chromium's fake capture device, for the QR tests and the QR
// benchmark: a QR code made by Debian's `qrencode` (an implementation independent of the app's)
// drawn into a 640x480 Y4M frame, the QR card of an app screenshot as a camera would see it, or
// a busy scene without any code.
// Y4M must be 4:2:0 (C420jpeg): Chromium refuses 4:4:4 with "Requested device not found".
// A one-frame file loops forever.
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { decodePng } = require('./png');

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

// The box of pure white pixels in a decoded screenshot ({width, height, channels, pixels}): the
// QR card, which the app draws black on white in either theme. x1 < 0 when there is none.
function qrCardBox({ width, height, channels, pixels }) {
  const white = (x, y) => { const p = (y * width + x) * channels; return pixels[p] === 255 && pixels[p + 1] === 255 && pixels[p + 2] === 255; };
  let x0 = width, y0 = height, x1 = -1, y1 = -1;
  for (let y = 0; y < height; ++y) for (let x = 0; x < width; ++x) {
    if (white(x, y)) { x0 = Math.min(x0, x); y0 = Math.min(y0, y); x1 = Math.max(x1, x); y1 = Math.max(y1, y); }
  }
  return { x0, y0, x1, y1 };
}

// The Y plane of a camera pointed at another phone's screen: the white QR card of a screenshot
// (PNG bytes; the card is the box of pure white pixels, as the app draws it black on white in
// either theme) scaled to 80 % of the frame height over the noisy background.
function screenFrame(png, { seed = 3 } = {}) {
  const image = decodePng(png);
  const { width, channels, pixels } = image;
  const { x0, y0, x1, y1 } = qrCardBox(image);
  if (x1 < 0) throw new Error('no QR card in the screenshot');
  const random = rng(seed);
  const y = background(random);
  const side = Math.floor(HEIGHT * 0.8), cw = x1 - x0 + 1, ch = y1 - y0 + 1;
  const fx = Math.floor((WIDTH - side) / 2), fy = Math.floor((HEIGHT - side) / 2);
  for (let r = 0; r < side; ++r) {
    for (let c = 0; c < side; ++c) {
      const sx = x0 + Math.floor((c * cw) / side), sy = y0 + Math.floor((r * ch) / side);
      const p = (sy * width + sx) * channels;
      const luma = 0.299 * pixels[p] + 0.587 * pixels[p + 1] + 0.114 * pixels[p + 2];
      y[(fy + r) * WIDTH + fx + c] = Math.max(0, Math.min(255, 20 + luma * 0.8 + (random() - 0.5) * 16));
    }
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

module.exports = { WIDTH, HEIGHT, qrencodeModules, qrFrame, sceneFrame, screenFrame, qrCardBox, writeY4m };
