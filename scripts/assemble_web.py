#!/usr/bin/env python3
"""Assembles the servable web root from the wasm build (build step, run by CMake after linking).

- peddlenet.js/.wasm/.data get content-hashed names, so the server can mark them immutable;
- so do the fonts in fonts-lazy/ (those marked "lazy" in assets/fonts.json, put there by
  subset_fonts.py), listed apart as BUILD.onDemand and left out of the service worker's precache
  list: the first load does not carry them; the page fetches one when text needs it, and the
  worker then keeps it (its ON_DEMAND list);
- index.html (shell/) and sw.js (web/) are filled in with those names, their sizes (for the
  loading bar) and a build id derived from every shipped byte (the service worker's cache name);
- icons are rendered from assets/*.svg with rsvg-convert (Debian librsvg2-bin);
- every compressible file gets .gz and .br siblings that the server sends when accepted.
Standard library only, plus the rsvg-convert and brotli commands."""
import argparse
import gzip
import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

HASHED = ["peddlenet.js", "peddlenet.wasm", "peddlenet.data"]
ICONS = [("icon.svg", "icon-192.png", 192), ("icon.svg", "icon-512.png", 512),
         ("icon-maskable.svg", "icon-maskable-192.png", 192),
         ("icon-maskable.svg", "icon-maskable-512.png", 512)]
COMPRESSIBLE = {".html", ".js", ".wasm", ".data", ".webmanifest", ".json", ".svg", ".css", ".ttf"}


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--build-dir", type=Path, required=True)
    ap.add_argument("--source-dir", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()

    staging = args.out.with_name(args.out.name + ".tmp")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)

    files, sizes = {}, {}

    def stage_hashed(name: str, data: bytes) -> None:
        stem, ext = name.rsplit(".", 1)
        files[name], sizes[name] = f"{stem}.{digest(data)[:12]}.{ext}", len(data)
        (staging / files[name]).write_bytes(data)

    for name in HASHED:
        stage_hashed(name, (args.build_dir / name).read_bytes())

    shell_files = dict(files)
    lazy_dir = args.build_dir / "fonts-lazy"
    for font in sorted(lazy_dir.iterdir()) if lazy_dir.is_dir() else []:
        stage_hashed(font.name, font.read_bytes())
    on_demand = {name: hashed for name, hashed in files.items() if name not in shell_files}

    for svg, png, size in ICONS:
        subprocess.run(["rsvg-convert", "-w", str(size), "-h", str(size),
                        str(args.source_dir / "assets" / svg), "-o", str(staging / png)], check=True)
    shutil.copy(args.source_dir / "web" / "manifest.webmanifest", staging)

    # The build id covers every byte the app shell is made of, so any change makes a new cache.
    shell_parts = sorted(p for p in staging.iterdir())
    build_id = digest(b"".join(p.name.encode() + p.read_bytes() for p in shell_parts) +
                      (args.source_dir / "shell" / "index.html").read_bytes() +
                      (args.source_dir / "web" / "sw.js").read_bytes())[:12]

    build_json = json.dumps({"id": build_id, "files": shell_files, "onDemand": on_demand,
                             "wasmBytes": sizes["peddlenet.wasm"], "dataBytes": sizes["peddlenet.data"]})
    index = (args.source_dir / "shell" / "index.html").read_text()
    (staging / "index.html").write_text(index.replace("{{BUILD_JSON}}", build_json))

    precache = ["./"] + sorted(p.name for p in staging.iterdir() if p.name not in ["index.html", *on_demand.values()])
    sw = (args.source_dir / "web" / "sw.js").read_text()
    sw = (sw.replace("{{BUILD_ID}}", build_id).replace("{{PRECACHE_JSON}}", json.dumps(precache))
          .replace("{{ON_DEMAND_JSON}}", json.dumps(sorted(on_demand.values()))))
    (staging / "sw.js").write_text(sw)

    for path in sorted(staging.iterdir()):
        if path.suffix not in COMPRESSIBLE:
            continue
        raw = path.read_bytes()
        (path.parent / (path.name + ".gz")).write_bytes(gzip.compress(raw, 9, mtime=0))
        subprocess.run(["brotli", "-q", "11", "-f", "-o", str(path) + ".br", str(path)], check=True)

    shutil.rmtree(args.out, ignore_errors=True)
    staging.rename(args.out)
    print(f"web root {args.out}: build {build_id}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
