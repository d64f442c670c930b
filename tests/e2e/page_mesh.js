// page_mesh.js: looking at a room of app pages from outside, shared by the big-room test and the
// benchmarks: the graph their open links make, how far apart their clocks are, and quantiles.
'use strict';

// The connected components of the graph of open links among `snaps` (state() snapshots with
// peerId and peers[].{peerId, link}): an edge when both ends call the link open. Each component
// is a list of indexes into `snaps`.
function linkComponents(snaps) {
  const index = new Map(snaps.map((s, i) => [s.peerId, i]));
  const open = snaps.map((s) => new Set(s.peers.filter((p) => p.link === 'open').map((p) => p.peerId)));
  const seen = new Array(snaps.length).fill(false);
  const out = [];
  for (let start = 0; start < snaps.length; ++start) {
    if (seen[start]) continue;
    const comp = [];
    const stack = [start];
    seen[start] = true;
    while (stack.length) {
      const i = stack.pop();
      comp.push(i);
      for (const peer of open[i]) {
        const j = index.get(peer);
        if (j === undefined || seen[j] || !open[j].has(snaps[i].peerId)) continue;
        seen[j] = true;
        stack.push(j);
      }
    }
    out.push(comp);
  }
  return out;
}

// How far apart the pages' epoch clocks (performance.timeOrigin + now(), the clock of a
// message's arrivedMs) are: each page's offset to Date.now() (the system clock, 1 ms steps: the
// largest difference over many samples is the offset), max - min.
async function clockSpread(pages) {
  const offsets = await Promise.all(pages.map((p) => p.evaluate(() => {
    let best = -Infinity;
    for (let i = 0; i < 2000; ++i) best = Math.max(best, Date.now() - (performance.timeOrigin + performance.now()));
    return best;
  })));
  return Math.max(...offsets) - Math.min(...offsets);
}

// The q-quantile of `values`, interpolated between the two nearest ranks; NaN when empty.
function quantile(values, q) {
  const v = [...values].sort((a, b) => a - b);
  if (!v.length) return NaN;
  const pos = (v.length - 1) * q, lo = Math.floor(pos), hi = Math.ceil(pos);
  return v[lo] + (v[hi] - v[lo]) * (pos - lo);
}

module.exports = { linkComponents, clockSpread, quantile };
