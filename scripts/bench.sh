#!/usr/bin/env bash
# Benchmark: `fortress check` on the CPython standard library next to a bare
# tree-sitter parse of the same files (examples/bare_parse.rs) and next to ruff,
# without the result cache (cold), with it (warm: a second run, nothing
# changed) and with one file changed between runs (touched), next to ruff's
# own cached run.
#
# The tree is copied into a temporary directory first (the touched runs edit
# a file of it; the caches live there too): nothing outside it is written.
#
# Needs only cargo and python3 (with venv + pip). ruff is installed from PyPI
# into a throw-away venv under a temporary directory, removed on exit.
#
#   scripts/bench.sh [--rounds N] [--stdlib DIR] [--no-ruff] [--ruff-all] [--scaling]
#   scripts/bench.sh --scale [--rounds N] [--domains D]
#
#   --rounds N     rounds of the alternating loop (default 7; env ROUNDS)
#   --stdlib DIR   tree to check instead of this python3's standard library
#                  (a backend with its own pyproject.toml works too)
#   --no-ruff      skip ruff (no PyPI access needed)
#   --ruff-all     also time ruff with --select ALL, for context
#   --scaling      also time fortress and the bare parse with --threads 1
#   --scale        only this: a generated backend (notes/gen_layered_backend.py,
#                  D domains, default 72: 1,807 files) once and 10 times over
#                  in one project; prints wall, CPU and peak RSS of each and
#                  the ratios (issue 14: time linear within 10%, memory < 2x)
#
# Each round runs every command once, in turn, so that drifting machine load
# hits them all alike. Reported: median and minimum wall time, median CPU time
# (user + sys), and their ratios. On a busy machine trust the minimum and the
# CPU time more than the median wall time.
set -euo pipefail

rounds="${ROUNDS:-7}"
stdlib=""
with_ruff=1
ruff_all=0
scaling=0
scale=0
domains=72
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds="$2"; shift 2 ;;
    --rounds=*) rounds="${1#*=}"; shift ;;
    --stdlib) stdlib="$2"; shift 2 ;;
    --stdlib=*) stdlib="${1#*=}"; shift ;;
    --no-ruff) with_ruff=0; shift ;;
    --ruff-all) ruff_all=1; shift ;;
    --scaling) scaling=1; shift ;;
    --scale) scale=1; shift ;;
    --domains) domains="$2"; shift 2 ;;
    --domains=*) domains="${1#*=}"; shift ;;
    -h|--help) sed -n '2,31p' "$0"; exit 0 ;;
    *) echo "bench.sh: unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
done
case "$rounds" in
  ''|*[!0-9]*|0) echo "bench.sh: --rounds needs a positive number" >&2; exit 2 ;;
esac

cd "$(dirname "$0")/.."
repo="$(pwd)"
tmp="$(mktemp -d "${TMPDIR:-/tmp}/fortress-bench.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

if [ "$scale" = 1 ]; then
  case "$domains" in
    ''|*[!0-9]*|0) echo "bench.sh: --domains needs a positive number" >&2; exit 2 ;;
  esac
  echo "== building fortress (release)"
  cargo build --release --quiet --bin fortress
  fortress="$repo/target/release/fortress"
  python3 notes/gen_layered_backend.py "$tmp/one" --copies 1 --domains "$domains"
  python3 notes/gen_layered_backend.py "$tmp/ten" --copies 10 --domains "$domains"
  "$fortress" check "$tmp/one" --no-cache | tail -n 1 || true
  "$fortress" check "$tmp/ten" --no-cache | tail -n 1 || true
  : >"$tmp/scale"
  for round in $(seq 0 "$rounds"); do
    for tree in one ten; do
      # Round 0 warms the page cache and is not counted. GNU time: wall,
      # user, sys, peak RSS (KB).
      /usr/bin/time -o "$tmp/one-run" -f '%e %U %S %M' \
        "$fortress" check "$tmp/$tree" --quiet --no-cache >/dev/null 2>&1 || true
      [ "$round" = 0 ] || echo "$tree $(tail -n 1 "$tmp/one-run")" >>"$tmp/scale"
    done
    [ "$round" = 0 ] || echo "round $round: $(tail -n 2 "$tmp/scale" | tr '\n' ' ')"
  done
  python3 - "$tmp/scale" "$(find "$tmp/one" -name '*.py' | wc -l)" "$(find "$tmp/ten" -name '*.py' | wc -l)" <<'PY'
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    tree, wall, user, sys_, kb = line.split()
    runs.setdefault(tree, []).append((float(wall), float(user) + float(sys_), int(kb)))
files = {"one": int(sys.argv[2]), "ten": int(sys.argv[3])}
med = {t: [statistics.median(r[k] for r in rs) for k in range(3)] for t, rs in runs.items()}
print()
print(f"{'tree':<5} {'files':>7} {'wall med':>9} {'cpu med':>8} {'RSS med':>8}")
for t in ("one", "ten"):
    w, c, kb = med[t]
    print(f"{t:<5} {files[t]:>7} {w:>8.2f}s {c:>7.2f}s {kb / 1024:>6.0f} MB")
size = files["ten"] / files["one"]
print()
print(f"size ratio {size:.2f}x; wall {med['ten'][0] / med['one'][0]:.2f}x, cpu {med['ten'][1] / med['one'][1]:.2f}x "
      f"(per file: {med['ten'][0] / med['one'][0] / size:.3f}x wall, {med['ten'][1] / med['one'][1] / size:.3f}x cpu; target <= 1.10x)")
print(f"peak RSS {med['ten'][2] / med['one'][2]:.2f}x one copy (target < 2x)")
PY
  exit 0
fi

if [ -z "$stdlib" ]; then
  stdlib="$(python3 -c "import sysconfig; print(sysconfig.get_paths()['stdlib'])")"
fi
if [ ! -d "$stdlib" ]; then
  echo "bench.sh: $stdlib is not a directory" >&2
  exit 2
fi

# A copy, so the touched runs may edit it (site-packages left out, as the
# checks below exclude it anyway).
echo "== copying $stdlib"
mkdir -p "$tmp/tree"
tar -C "$stdlib" --exclude=site-packages -cf - . | tar -C "$tmp/tree" -xf -
stdlib="$tmp/tree"
# The touched runs edit a second copy of their own: on a shared tree the warm
# run would see the other run's edit and not be a run with nothing changed.
cp -a "$tmp/tree" "$tmp/tree-touched"
# The file the touched runs change (a mid-sized module of the stdlib, else
# the first Python file found), alternating between two contents so the
# cache always holds the other one.
touched="$tmp/tree-touched/json/encoder.py"
[ -f "$touched" ] || touched="$(find "$tmp/tree-touched" -name '*.py' -size +4k | sort | head -n 1)"
cp "$touched" "$tmp/touched.a"
{ cat "$touched"; echo "# touched"; } >"$tmp/touched.b"
# A script, not a function: the peak-RSS runs below go through `sh -c`.
cat >"$tmp/toggle" <<EOF
if cmp -s "$touched" "$tmp/touched.a"; then cp "$tmp/touched.b" "$touched"; else cp "$tmp/touched.a" "$touched"; fi
EOF

echo "== building fortress and the bare-parse baseline (release)"
cargo build --release --quiet --bin fortress --example bare_parse
fortress="$repo/target/release/fortress"
bare="$repo/target/release/examples/bare_parse"

ruff=""
if [ "$with_ruff" = 1 ]; then
  echo "== installing ruff from PyPI into a temporary venv"
  python3 -m venv "$tmp/venv"
  "$tmp/venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    "ruff${RUFF_VERSION:+==$RUFF_VERSION}"
  ruff="$tmp/venv/bin/ruff"
fi

# name -> command line; the order is the order within a round.
# fortress-core: only the foundation rules (syntax, suppressions, TYP001), to
# tell the engine's own overhead apart from what the rule families cost.
# fortress: no cache at all (--no-cache); fortress-cold: an empty cache,
# filled by the run; fortress-warm: a second run on a filled cache;
# fortress-touched: one file changed since the last run.
names=(fortress fortress-cold fortress-warm fortress-touched fortress-core bare)
cmds=("\"$fortress\" check \"$stdlib\" --quiet --no-cache"
      "rm -rf \"$tmp/cache-cold\"; FORTRESS_CACHE_DIR=\"$tmp/cache-cold\" \"$fortress\" check \"$stdlib\" --quiet"
      "FORTRESS_CACHE_DIR=\"$tmp/cache-warm\" \"$fortress\" check \"$stdlib\" --quiet"
      "sh \"$tmp/toggle\"; FORTRESS_CACHE_DIR=\"$tmp/cache-touched\" \"$fortress\" check \"$tmp/tree-touched\" --quiet"
      "\"$fortress\" check \"$stdlib\" --quiet --no-cache --isolated --select SYN,SUP,TYP001"
      "\"$bare\" \"$stdlib\"")
if [ -n "$ruff" ]; then
  names+=(ruff ruff-warm)
  cmds+=("\"$ruff\" check --isolated --no-cache --exclude site-packages --select UP045,PGH003,PGH004 --silent \"$stdlib\""
         "\"$ruff\" check --isolated --cache-dir \"$tmp/ruff-cache\" --exclude site-packages --select UP045,PGH003,PGH004 --silent \"$stdlib\"")
  if [ "$ruff_all" = 1 ]; then
    names+=(ruff-all)
    cmds+=("\"$ruff\" check --isolated --no-cache --exclude site-packages --select ALL --silent \"$stdlib\"")
  fi
fi
if [ "$scaling" = 1 ]; then
  names+=(fortress-j1 bare-j1)
  cmds+=("\"$fortress\" check \"$stdlib\" --quiet --no-cache --threads 1"
         "\"$bare\" -j 1 \"$stdlib\"")
fi

cores="$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo '?')"
echo "== machine: $(uname -sm), $cores cores; $("$fortress" --version)${ruff:+; $("$ruff" --version)}"
echo "== tree: $stdlib"
"$fortress" check "$stdlib" --quiet --no-cache || true
"$fortress" check "$stdlib" --quiet --no-cache --isolated --select SYN,SUP,TYP001 || true
"$bare" "$stdlib"
if [ -n "$ruff" ]; then
  echo "ruff checks $("$ruff" check --isolated --no-cache --exclude site-packages --show-files "$stdlib" 2>/dev/null | grep -c '\.pyi\?$') files"
fi

# Warm the page cache so the first timed round is not the only cold one
# (and fill the warm and touched caches).
for i in "${!cmds[@]}"; do
  eval "${cmds[$i]}" >/dev/null 2>&1 || true
done
FORTRESS_CACHE_DIR="$tmp/cache-warm" "$fortress" check "$stdlib" --quiet >/dev/null 2>&1 || true
echo "== the warm run's cache, as FORTRESS_CACHE_STATS=1 tells it"
FORTRESS_CACHE_DIR="$tmp/cache-warm" FORTRESS_CACHE_STATS=1 "$fortress" check "$stdlib" --quiet 2>&1 >/dev/null | grep 'cache:' | sed "s|$tmp|\$tmp|g" || true
du -sh "$tmp/cache-warm" | sed "s|$tmp|\$tmp|g"

# One timing: wall, user, sys seconds (bash's `time`, portable, no hyperfine).
time_one() {
  local TIMEFORMAT='%R %U %S'
  { time eval "$1" >/dev/null 2>&1; } 2>&1 | tail -n 1
}

echo "== $rounds rounds, alternating: ${names[*]}"
samples="$tmp/samples"
: >"$samples"
for round in $(seq 1 "$rounds"); do
  line="round $round:"
  for i in "${!cmds[@]}"; do
    # `|| true`: fortress and ruff exit 1 when they find something.
    t="$(time_one "${cmds[$i]} || true")"
    echo "${names[$i]} $t" >>"$samples"
    line="$line ${names[$i]}=${t%% *}s"
  done
  echo "$line"
done

# Peak RSS, measured outside the timed loop (GNU time -v or BSD time -l).
rss="$tmp/rss"
: >"$rss"
if /usr/bin/time -v true >/dev/null 2>&1; then
  for i in "${!cmds[@]}"; do
    kb="$( { /usr/bin/time -v sh -c "${cmds[$i]} >/dev/null 2>&1 || true" ; } 2>&1 \
      | awk -F': ' '/Maximum resident set size/ {print $2}')"
    echo "${names[$i]} ${kb:-0}" >>"$rss"
  done
elif /usr/bin/time -l true >/dev/null 2>&1; then
  for i in "${!cmds[@]}"; do
    bytes="$( { /usr/bin/time -l sh -c "${cmds[$i]} >/dev/null 2>&1 || true" ; } 2>&1 \
      | awk '/maximum resident set size/ {print $1}')"
    echo "${names[$i]} $(( ${bytes:-0} / 1024 ))" >>"$rss"
  done
else
  echo "(no /usr/bin/time: peak RSS skipped)"
fi

python3 - "$samples" "$rss" <<'PY'
import statistics, sys
from collections import OrderedDict

samples = OrderedDict()
for line in open(sys.argv[1]):
    name, wall, user, sys_ = line.split()
    samples.setdefault(name, []).append((float(wall), float(user) + float(sys_)))
rss = {}
for line in open(sys.argv[2]):
    name, kb = line.split()
    rss[name] = int(kb)

med = {n: statistics.median(w for w, _ in s) for n, s in samples.items()}
low = {n: min(w for w, _ in s) for n, s in samples.items()}
cpu = {n: statistics.median(c for _, c in s) for n, s in samples.items()}
print()
print(f"{'command':<17} {'median':>8} {'min':>8} {'cpu med':>8} {'peak RSS':>10}")
for n, s in samples.items():
    mem = f"{rss[n] / 1024:.0f} MB" if rss.get(n) else "-"
    print(f"{n:<17} {med[n]:>7.3f}s {low[n]:>7.3f}s {cpu[n]:>7.3f}s {mem:>10}")
print()

def ratio(a, b, what):
    if a in med and b in med and med[b] > 0:
        print(
            f"{a}/{b}: {med[a] / med[b]:.2f}x median wall, {low[a] / low[b]:.2f}x min wall, "
            f"{cpu[a] / cpu[b]:.2f}x cpu  ({what})"
        )

ratio("fortress-warm", "fortress", "warm vs no cache; target: at most 0.15x")
ratio("fortress-warm", "ruff-warm", "warm vs ruff's cached run, same tree; target: at most 1x")
ratio("fortress-touched", "fortress", "one file changed vs no cache")
ratio("fortress-cold", "fortress", "filling an empty cache vs no cache")
ratio("fortress", "bare", "target: at most 1.3x")
ratio("fortress-core", "bare", "engine + foundation rules only")
ratio("fortress", "ruff", "same three rules")
ratio("ruff-warm", "ruff", "ruff cached vs not")
ratio("fortress", "ruff-all", "ruff with every rule")
ratio("fortress-j1", "fortress", "one thread vs all cores")
ratio("bare-j1", "bare", "one thread vs all cores")
PY
