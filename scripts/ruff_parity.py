#!/usr/bin/env python3
"""Check that fortress reports every location ruff reports for the rules they share.

Usage: scripts/ruff_parity.py [PATH] [--fortress BIN] [--ruff BIN]
PATH defaults to the CPython standard library of the running interpreter.
Without --ruff, ruff is installed from PyPI into a temporary virtualenv.
Exits 1 when ruff reports a location fortress does not.
"""

import argparse
import json
import os
import subprocess
import sys
import sysconfig
import tempfile
import venv
from collections import Counter

# ruff code -> (fortress code, only inside an assert statement?)
PAIRS = {
    "UP045": "TYP001",
    "PGH003": "SUP001",
    "PGH004": "SUP002",
}


def install_ruff(tmp):
    env_dir = os.path.join(tmp, "venv")
    venv.create(env_dir, with_pip=True)
    pip = os.path.join(env_dir, "bin", "pip")
    subprocess.run([pip, "install", "--quiet", "ruff"], check=True)
    return os.path.join(env_dir, "bin", "ruff")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("path", nargs="?", default=sysconfig.get_paths()["stdlib"])
    parser.add_argument("--fortress", default=os.path.join(os.path.dirname(__file__), "..", "target", "release", "fortress"))
    parser.add_argument("--ruff")
    args = parser.parse_args()
    path = os.path.realpath(args.path)

    with tempfile.TemporaryDirectory() as tmp:
        ruff = args.ruff or install_ruff(tmp)
        select = ",".join(PAIRS)
        ruff_out = subprocess.run(
            [ruff, "check", "--isolated", "--no-cache", "--exclude", "site-packages",
             "--target-version", "py311", "--select", select, "--output-format", "json", "."],
            cwd=path, capture_output=True, text=True,
        ).stdout
        fortress_out = subprocess.run(
            [os.path.realpath(args.fortress), "check", ".", "--isolated", "--format", "json",
             "--select", ",".join(sorted(set(PAIRS.values())))],
            cwd=path, capture_output=True, text=True,
        ).stdout

    ruff_found = json.loads(ruff_out)
    ours = {
        (d["path"], d["line"], d["column"], d["code"])
        for d in json.loads(fortress_out)["diagnostics"]
    }
    missing = []
    counts = Counter()
    for r in ruff_found:
        code = r.get("code")
        if code not in PAIRS:
            continue
        counts[code] += 1
        rel = os.path.relpath(r["filename"], path).replace(os.sep, "/")
        key = (rel, r["location"]["row"], r["location"]["column"], PAIRS[code])
        if key not in ours:
            missing.append((key, r["message"]))
    ours_counts = Counter(code for (_, _, _, code) in ours)
    for ruff_code, code in PAIRS.items():
        print(f"{ruff_code:7} ruff {counts[ruff_code]:5}   {code} fortress {ours_counts[code]:5}")
    if missing:
        print(f"\n{len(missing)} location(s) reported by ruff but not by fortress:")
        for key, message in missing:
            print(f"  {key[0]}:{key[1]}:{key[2]} {key[3]} ({message})")
        return 1
    print("parity: every ruff location is reported by fortress")
    return 0


if __name__ == "__main__":
    sys.exit(main())
