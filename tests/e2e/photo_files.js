// photo_files.js: picked files for the photo tests and the photo benchmark: a camera-like JPEG
// drawn by the browser itself (with an EXIF block that turns it and says where it was taken),
// and the bad ones (not an image, a cut-off JPEG, a 50-megapixel header).
'use strict';

// A width x height JPEG of busy, photo-like content (grain over gradients: it compresses like a
// camera's photo, 3-4 bits a pixel), encoded by the page's browser at quality 0.92. Left half warm,
// right half cool, so a turned image is told from one that is not.
async function cameraJpeg(page, width, height) {
  const bytes = await page.evaluate(async ([w, h]) => {
    const canvas = new OffscreenCanvas(w, h);
    const ctx = canvas.getContext('2d');
    const left = ctx.createLinearGradient(0, 0, 0, h);
    left.addColorStop(0, '#d2452b');
    left.addColorStop(1, '#f2b134');
    ctx.fillStyle = left;
    ctx.fillRect(0, 0, w / 2, h);
    const right = ctx.createLinearGradient(0, 0, 0, h);
    right.addColorStop(0, '#1f5fbf');
    right.addColorStop(1, '#2bb3a0');
    ctx.fillStyle = right;
    ctx.fillRect(w / 2, 0, w / 2, h);
    // Grain, tile by tile (one random tile repeated with offsets keeps this fast).
    const tile = ctx.createImageData(256, 256);
    for (let i = 0; i < tile.data.length; i += 4) {
      const v = Math.random() * 120 - 60;
      tile.data[i] = tile.data[i + 1] = tile.data[i + 2] = 128 + v;
      tile.data[i + 3] = 110;
    }
    const grain = new OffscreenCanvas(256, 256);
    grain.getContext('2d').putImageData(tile, 0, 0);
    for (let y = 0; y < h; y += 256) for (let x = 0; x < w; x += 256) ctx.drawImage(grain, x, y);
    const blob = await canvas.convertToBlob({ type: 'image/jpeg', quality: 0.92 });
    return Array.from(new Uint8Array(await blob.arrayBuffer()));
  }, [width, height]);
  return Buffer.from(bytes);
}

// An EXIF APP1 segment (big-endian TIFF): Orientation 6 (turn 90 degrees clockwise to show) and
// a GPS block at 52 deg 31' N, which must not survive into the sent photo.
function exifSegment() {
  const tiff = [];
  const u16 = (v) => tiff.push((v >> 8) & 255, v & 255);
  const u32 = (v) => tiff.push((v >>> 24) & 255, (v >> 16) & 255, (v >> 8) & 255, v & 255);
  tiff.push(0x4d, 0x4d); u16(42); u32(8);           // "MM", 42, IFD0 at 8
  u16(2);                                           // IFD0: two entries
  u16(0x0112); u16(3); u32(1); u16(6); u16(0);      // Orientation = 6
  u16(0x8825); u16(4); u32(1); u32(38);             // GPS IFD at 38
  u32(0);                                           // no next IFD
  u16(2);                                           // GPS IFD (offset 38): two entries
  u16(0x0001); u16(2); u32(2); tiff.push(78, 0, 0, 0); // GPSLatitudeRef "N"
  u16(0x0002); u16(5); u32(3); u32(68);             // GPSLatitude: 3 rationals at 68
  u32(0);
  for (const [n, d] of [[52, 1], [31, 1], [1234, 100]]) { u32(n); u32(d); }
  const body = Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), Buffer.from(tiff)]);
  const head = Buffer.from([0xff, 0xe1, (body.length + 2) >> 8, (body.length + 2) & 255]);
  return Buffer.concat([head, body]);
}

// `jpeg` with the EXIF segment right after its start-of-image marker.
const withExif = (jpeg) => Buffer.concat([jpeg.subarray(0, 2), exifSegment(), jpeg.subarray(2)]);

// A JPEG's start: SOI and a baseline frame header of width x height, and nothing else.
function jpegHeaderOnly(width, height) {
  return Buffer.from([0xff, 0xd8, 0xff, 0xc0, 0x00, 0x11, 0x08, height >> 8, height & 255, width >> 8,
                      width & 255, 0x03, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]);
}

// A JPEG whose header is fine and whose data is garbage: it passes the header check and fails
// to decode.
const corruptJpeg = () => Buffer.concat([jpegHeaderOnly(1200, 900), Buffer.alloc(5000, 0x5a)]);

module.exports = { cameraJpeg, withExif, jpegHeaderOnly, corruptJpeg };
