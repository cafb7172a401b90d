#!/usr/bin/env bash
# The install test of issue 13, run by .ci/run after `cargo test`: build the
# wheel with maturin from this clone, install it into a fresh virtualenv and
# run it (`fortress --version`, `python -m fortress --version`, `fortress
# check` on the demo backend); run the pre-commit hook with `pre-commit
# try-repo` in a temporary git repository; check the structure of action.yml
# and .pre-commit-hooks.yaml with PyYAML. maturin and pre-commit come from
# PyPI into a temporary virtualenv. Skipped, saying why, only without python3.
#
# The test checks the packaging, not the optimiser: both wheels (the one
# maturin builds here and the one pip builds for pre-commit) are built with
# cargo's `dev` profile into the clone's own target/ directory, so they reuse
# the dependencies `cargo test` just compiled (the published wheel is built
# with the release profile, thin LTO). FORTRESS_INSTALL_TEST_PROFILE=release
# builds release wheels instead (minutes more; see notes/install.md);
# FORTRESS_INSTALL_TEST_TARGET sets the cargo target directory.
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$PWD"
started=$(date +%s)

if ! command -v python3 >/dev/null 2>&1; then
  echo "install test: skipped: python3 is not installed"
  exit 0
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
step() { echo "== install test: $* ($(($(date +%s) - started)) s)"; }
fail() { echo "install test: FAILED: $*" >&2; exit 1; }

venv_bin() { if [ -d "$1/bin" ]; then echo "$1/bin"; else echo "$1/Scripts"; fi; }

step "tools: maturin and pre-commit from PyPI"
python3 -m venv "$work/tools"
tools="$(venv_bin "$work/tools")"
"$tools/python" -m pip install --quiet --disable-pip-version-check maturin pre-commit

step "action.yml and .pre-commit-hooks.yaml"
"$tools/python" - "$repo" <<'PY'
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

repo = Path(sys.argv[1])
problems = []

action = yaml.safe_load((repo / "action.yml").read_text())
for key in ("name", "description", "inputs", "runs"):
    if key not in action:
        problems.append(f"action.yml: no `{key}`")
inputs = action.get("inputs") or {}
if set(inputs) != {"args", "version", "sarif", "summary", "cache"}:
    problems.append(f"action.yml: inputs are {sorted(inputs)}, expected args, version, sarif, summary, cache")
caches = [s for s in (action.get("runs") or {}).get("steps") or [] if str(s.get("uses", "")).startswith("actions/cache@")]
if len(caches) != 1 or caches[0].get("with", {}).get("path") != "${{ runner.temp }}/fortress-cache":
    problems.append("action.yml: expected one actions/cache step for ${{ runner.temp }}/fortress-cache")
for name, spec in inputs.items():
    if not isinstance(spec, dict) or not str(spec.get("description", "")).strip():
        problems.append(f"action.yml: input `{name}` has no description")
    elif "default" in spec and not isinstance(spec["default"], str):
        problems.append(f"action.yml: input `{name}`: the default must be a string")
runs = action.get("runs") or {}
if runs.get("using") != "composite":
    problems.append(f"action.yml: runs.using is {runs.get('using')!r}, expected 'composite'")
steps = runs.get("steps") or []
uploads = [s for s in steps if str(s.get("uses", "")).startswith("github/codeql-action/upload-sarif@")]
if len(uploads) != 1:
    problems.append("action.yml: expected one github/codeql-action/upload-sarif step")
installs = [s for s in steps if "pip install" in str(s.get("run", ""))]
if not installs:
    problems.append("action.yml: no step installs the wheel with pip")
for i, s in enumerate(steps):
    if ("run" in s) == ("uses" in s):
        problems.append(f"action.yml: step {i} needs exactly one of run/uses")
    if "run" in s and "shell" not in s:
        problems.append(f"action.yml: step {i}: a composite run step needs `shell`")
    # Inputs reach scripts through the environment, never spliced into them.
    if "${{" in str(s.get("run", "")):
        problems.append(f"action.yml: step {i}: an expression inside `run` (pass it in `env`)")
text = (repo / "action.yml").read_text()
for used in re.findall(r"inputs\.([A-Za-z_-]+)", text):
    if used not in inputs:
        problems.append(f"action.yml: uses undeclared input `{used}`")

hooks = yaml.safe_load((repo / ".pre-commit-hooks.yaml").read_text())
hook = next((h for h in hooks if h.get("id") == "fortress"), None)
if hook is None:
    problems.append(".pre-commit-hooks.yaml: no hook `fortress`")
else:
    want = {
        "entry": "fortress check --force-exclude",
        "language": "python",
        "types_or": ["python", "pyi"],
        "require_serial": True,
    }
    for key, value in want.items():
        if hook.get(key) != value:
            problems.append(f".pre-commit-hooks.yaml: {key} is {hook.get(key)!r}, expected {value!r}")

# The version the action installs.
spec = repo / "scripts" / "action_spec.py"
def spec_of(version, files):
    with tempfile.TemporaryDirectory() as d:
        for name, content in files.items():
            Path(d, name).write_text(content)
        return subprocess.run(
            [sys.executable, str(spec), version, d], capture_output=True, text=True, check=True
        ).stdout.strip()
cases = [
    ("", {}, "fortress-lint"),
    ("0.2.0", {}, "fortress-lint==0.2.0"),
    (">=0.2,<0.3", {}, "fortress-lint>=0.2,<0.3"),
    ("", {"pyproject.toml": '[tool.fortress]\nrequired-version = ">=0.2"\n'}, "fortress-lint>=0.2"),
    ("", {"pyproject.toml": '[project]\nname = "x"\n'}, "fortress-lint"),
    ("", {"fortress.toml": 'required-version = "0.3.1"\n',
          "pyproject.toml": '[tool.fortress]\nrequired-version = ">=0.2"\n'}, "fortress-lint==0.3.1"),
    ("0.4", {"fortress.toml": 'required-version = "0.3.1"\n'}, "fortress-lint==0.4"),
]
if sys.version_info >= (3, 11):
    for version, files, expected in cases:
        got = spec_of(version, files)
        if got != expected:
            problems.append(f"action_spec.py {version!r} {sorted(files)}: {got!r}, expected {expected!r}")

for p in problems:
    print(p, file=sys.stderr)
sys.exit(1 if problems else 0)
PY

version="$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -1)"
profile="${FORTRESS_INSTALL_TEST_PROFILE:-dev}"
export CARGO_TARGET_DIR="${FORTRESS_INSTALL_TEST_TARGET:-$repo/target}"
export CARGO_TERM_COLOR=never
# pip builds the hook's wheel through maturin's PEP 517 backend: same profile.
export MATURIN_PEP517_ARGS="--profile $profile"

step "maturin build --profile $profile"
"$tools/maturin" build --profile "$profile" --quiet --out "$work/dist" 2>&1 | grep -v '^ *Compiling ' || true
wheel="$(ls "$work"/dist/fortress_lint-"$version"-*.whl 2>/dev/null | head -1)"
[ -n "$wheel" ] || fail "no fortress_lint-$version wheel in $work/dist: $(ls "$work/dist" 2>&1)"
echo "wheel: $(basename "$wheel") ($(du -k "$wheel" | cut -f1) KiB)"
"$tools/python" - "$wheel" <<'PY'
import sys
import zipfile

names = zipfile.ZipFile(sys.argv[1]).namelist()
wanted = ["fortress/__init__.py", "fortress/__main__.py"]
missing = [n for n in wanted if n not in names]
scripts = [n for n in names if ".data/scripts/fortress" in n]
if missing or not scripts:
    sys.exit(f"wheel lacks {missing or ''} {'' if scripts else 'the fortress binary in .data/scripts'}")
PY

step "a fresh virtualenv with the wheel"
python3 -m venv "$work/app"
app="$(venv_bin "$work/app")"
"$app/python" -m pip install --quiet --disable-pip-version-check --no-index "$wheel"
got="$("$app/fortress" --version)"
[ "$got" = "fortress $version" ] || fail "fortress --version printed '$got', expected 'fortress $version'"
got="$("$app/python" -m fortress --version)"
[ "$got" = "fortress $version" ] || fail "python -m fortress --version printed '$got'"
# The package finds the binary of its own environment, not one on PATH.
got="$(PATH=/usr/bin:/bin "$app/python" -c 'import fortress; print(fortress.find_fortress_bin())')"
case "$got" in "$work/app/"*) ;; *) fail "find_fortress_bin() gave $got" ;; esac

step "fortress check on the demo backend"
demo="fixtures/projects/demo_shop"
set +e
"$app/fortress" check --format json "$demo" >"$work/wheel.json"
wheel_code=$?
"$app/python" -m fortress check -q "$demo" >"$work/module.txt"
module_code=$?
set -e
"$tools/python" - "$work/wheel.json" <<'PY'
import json
import sys

report = json.load(open(sys.argv[1]))
assert report["summary"]["files"] > 10, report["summary"]
assert report["verdict"] in ("PASS", "CONDITIONAL_PASS", "FAIL"), report["verdict"]
assert report["diagnostics"], "the demo backend has findings"
PY
[ "$wheel_code" = "$module_code" ] || fail "fortress exited $wheel_code, python -m fortress $module_code"
if [ -x target/debug/fortress ]; then
  set +e
  target/debug/fortress check --format json "$demo" >"$work/debug.json"
  debug_code=$?
  set -e
  cmp -s "$work/wheel.json" "$work/debug.json" || fail "the wheel's report differs from target/debug/fortress's"
  [ "$wheel_code" = "$debug_code" ] || fail "the wheel exited $wheel_code, target/debug/fortress $debug_code"
fi
echo "demo backend: exit $wheel_code, $(grep -c '"code"' "$work/wheel.json") findings, same as the cargo build"

step "pre-commit try-repo . fortress"
proj="$work/project"
mkdir -p "$proj/app/generated"
# A fixture with blockers (the hook fails on them), and an excluded copy.
cp fixtures/security/SEC005.py "$proj/app/models.py"
cp fixtures/security/SEC005.py "$proj/app/generated/models.py"
printf 'def add(a: int, b: int) -> int:\n    return a + b\n' >"$proj/app/clean.py"
printf '[tool.fortress]\nextend-exclude = ["generated"]\n' >"$proj/pyproject.toml"
git -C "$proj" init -q
git -C "$proj" add -A
export PRE_COMMIT_HOME="$work/pre-commit-home"
set +e
(cd "$proj" && "$tools/pre-commit" try-repo "$repo" fortress --color never \
  --files app/models.py app/generated/models.py app/clean.py) >"$work/hook.txt" 2>&1
hook_code=$?
(cd "$proj" && "$tools/pre-commit" try-repo "$repo" fortress --color never --verbose \
  --files app/clean.py app/generated/models.py) >"$work/hook_clean.txt" 2>&1
clean_code=$?
set -e
[ "$hook_code" = 1 ] || { cat "$work/hook.txt"; fail "the hook exited $hook_code on a file with findings, expected 1"; }
grep -q 'SEC005' "$work/hook.txt" || { cat "$work/hook.txt"; fail "the hook did not report SEC005"; }
grep -q 'Verdict: FAIL (.*; 2 files checked)' "$work/hook.txt" || { cat "$work/hook.txt"; fail "the hook did not check exactly the two files it may"; }
grep -q 'app/models.py' "$work/hook.txt" || { cat "$work/hook.txt"; fail "the hook did not name app/models.py"; }
if grep -q 'generated/models.py' "$work/hook.txt"; then
  cat "$work/hook.txt"; fail "--force-exclude did not exclude app/generated/models.py"
fi
[ "$clean_code" = 0 ] || { cat "$work/hook_clean.txt"; fail "the hook exited $clean_code on clean and excluded files, expected 0"; }
grep -q 'Passed' "$work/hook_clean.txt" || { cat "$work/hook_clean.txt"; fail "the hook did not pass"; }
grep -q 'Verdict: PASS (.*; 1 file checked)' "$work/hook_clean.txt" || { cat "$work/hook_clean.txt"; fail "the hook's clean run did not check exactly app/clean.py"; }

echo "install test: passed in $(($(date +%s) - started)) s"
