#!/usr/bin/env python3
"""Checks that each fuzz target finds bugs: plants a small deliberate bug (tests/fuzz/plants.txt)
in a scratch copy of one source file, links that copy into the target in a scratch directory
(the object comes before the libraries, so it replaces the real one), and fuzzes from the
committed seeds for the CI time. The real tree and build are left untouched.

Usage: scripts/fuzz_plants.py [--seconds N] [TARGET ...]   (after scripts/fuzz.sh built the targets)
Prints, per plant, whether the target found it and how long it took.
"""
import argparse
import json
import pathlib
import re
import shlex
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
BUILD = ROOT / "build" / "sanitize"


def plants():
    """(target, source, old, new, what) from tests/fuzz/plants.txt; fields separated by ' | '."""
    for line in (ROOT / "tests/fuzz/plants.txt").read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        target, source, old, new, what = [f.strip() for f in line.split(" | ")]
        yield target, source, old.replace("\\n", "\n"), new.replace("\\n", "\n"), what


def compile_command(source):
    for entry in json.loads((BUILD / "compile_commands.json").read_text()):
        if pathlib.Path(entry["file"]) == ROOT / source:
            return shlex.split(entry["command"])
    sys.exit(f"{source}: not in build/sanitize/compile_commands.json")


def link_command(target):
    out = subprocess.run(["ninja", "-C", str(BUILD), "-t", "commands", f"tests/fuzz/fuzz_{target}"],
                         check=True, capture_output=True, text=True).stdout.splitlines()[-1]
    # ": && clang++ ... && :" -> the clang++ command
    return shlex.split(out.split("&&")[1])


def try_plant(target, source, old, new, what, seconds, scratch):
    text = (ROOT / source).read_text()
    if text.count(old) != 1:
        return f"plant not applied: {old!r} occurs {text.count(old)} times in {source}"
    planted = scratch / pathlib.Path(source).name
    planted.write_text(text.replace(old, new))
    obj = scratch / "planted.o"
    cc = compile_command(source)
    cc[cc.index("-o") + 1] = str(obj)
    cc[cc.index("-c") + 1] = str(planted)
    subprocess.run(cc, check=True, cwd=BUILD)
    link = link_command(target)
    binary = scratch / f"fuzz_{target}"
    link[link.index("-o") + 1] = str(binary)
    first_obj = next(i for i, a in enumerate(link) if a.endswith(".o"))
    link.insert(first_obj + 1, str(obj))
    subprocess.run(link, check=True, cwd=BUILD)
    corpus = scratch / "corpus"
    corpus.mkdir()
    args = [str(binary), f"-max_total_time={seconds}", "-timeout=10", "-rss_limit_mb=2560",
            f"-artifact_prefix={scratch}/", str(corpus), str(ROOT / "tests/fuzz/corpus" / target)]
    dictionary = ROOT / "tests/fuzz" / f"{target}.dict"
    if dictionary.exists():
        args.insert(1, f"-dict={dictionary}")
    start = time.monotonic()
    run = subprocess.run(args, capture_output=True, text=True, errors="replace")
    took = time.monotonic() - start
    if run.returncode == 0:
        return f"NOT FOUND in {seconds} s"
    if "Test unit written" not in run.stderr:
        return f"ERROR (no finding, exit {run.returncode}): {run.stderr.strip()[-200:]}"
    why = next((l.strip() for l in run.stderr.splitlines()
                if "invariant failed" in l or "ERROR: " in l or "runtime error" in l), "crash")
    counts = re.findall(r"^#(\d+)\s", run.stderr, re.M)
    execs = f", after ~{counts[-1]} executions" if counts else ""
    return f"found in {took:.1f} s{execs}: {why[:110]}"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("targets", nargs="*")
    args = parser.parse_args()
    missed = 0
    for target, source, old, new, what in plants():
        if args.targets and target not in args.targets:
            continue
        with tempfile.TemporaryDirectory(prefix="peddlenet-plant-") as tmp:
            result = try_plant(target, source, old, new, what, args.seconds, pathlib.Path(tmp))
        missed += not result.startswith("found")
        print(f"{target:14} {what}: {result}", flush=True)
    sys.exit(1 if missed else 0)


if __name__ == "__main__":
    main()
