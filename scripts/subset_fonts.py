#!/usr/bin/env python3
"""Subsets the fonts listed in assets/fonts.json into OUT_DIR (build step; needs pyftsubset
from Debian's python3-fonttools,
run with /usr/bin/python3 so that a pyenv or venv python3 on PATH does not hide it). Keeping only the listed Unicode ranges is what keeps the
first load small: Noto Sans alone is 500 KB, the Latin/Greek/Cyrillic subset a fraction."""
import json
import subprocess
import sys
from pathlib import Path


def main() -> int:
    manifest, out_dir = Path(sys.argv[1]), Path(sys.argv[2])
    out_dir.mkdir(parents=True, exist_ok=True)
    for font in json.loads(manifest.read_text())["fonts"]:
        source = Path(font["source"])
        if not source.exists():
            sys.exit(f"font {source} is missing: install Debian package {font['package']}")
        subprocess.run(
            ["/usr/bin/python3", "-m", "fontTools.subset", str(source), f"--unicodes={font['unicodes']}",
             f"--output-file={out_dir / font['out']}",
             # ImGui's stb_truetype needs only outlines and metrics: drop hinting and layout tables.
             "--no-hinting", "--desubroutinize", "--layout-features=", "--drop-tables+=GSUB,GPOS,GDEF"],
            check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
