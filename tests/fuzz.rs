//! Fuzzing the whole per-file pipeline (`fortress::fuzz`): every `.py` under
//! `fixtures/` is a seed, a deterministic mutator (SplitMix64, fixed seed)
//! breaks it in the ways real and hostile files are broken, and each input
//! goes through decoding, parsing, the walk with every rule, suppressions,
//! project rules and the four reporters. Any panic or invalid report fails
//! the test, naming the seed and iteration and writing the input to a file.
//!
//! `cargo test --test fuzz` is a smoke run of 20,000 inputs. Environment:
//! - `FORTRESS_FUZZ_ITERS=N` — number of inputs (default 20000);
//! - `FORTRESS_FUZZ_SEED=S` — PRNG seed, decimal or 0x-hex (default below);
//! - `FORTRESS_FUZZ_THREADS=N` — worker threads (default: available cores);
//! - `FORTRESS_FUZZ_ONLY=I` — run iteration I alone (reproduce a failure);
//! - `FORTRESS_FUZZ_FIRST=I` — start at iteration I (resume a long run);
//! - `FORTRESS_FUZZ_LOCATE=FILE` — find which iteration (from FIRST, for
//!   ITERS) generates FILE's bytes, without running anything;
//! - `FORTRESS_FUZZ_REPLAY=FILE` — run one file's bytes (with
//!   `FORTRESS_FUZZ_PATH=rel/path.py`, default `app/api/fuzz.py`);
//! - `FORTRESS_FUZZ_MAX_INDENT=N` — deepest indentation generated (default
//!   600; from 511 levels tree-sitter-python's scanner overflows its state
//!   buffer and aborts the process, which the engine's indentation guard now
//!   prevents by refusing such files before parsing).
//!
//! Input `I` depends only on the seed and `I`, never on the thread that runs
//! it. Long run: `FORTRESS_FUZZ_ITERS=1000000 cargo test --release --test fuzz
//! -- --nocapture` (see notes/fuzz.md).

use std::io::Write;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

const DEFAULT_SEED: u64 = 0x5EED_F0E7_2E55_0001;
const DEFAULT_ITERS: usize = 20_000;
/// See `FORTRESS_FUZZ_MAX_INDENT` above.
const DEFAULT_MAX_INDENT: usize = 600;
/// Inputs are cut to this size after each mutation.
const MAX_LEN: usize = 256 * 1024;
/// Stop after this many failures (each one is written to a file).
const MAX_FAILURES: usize = 10;

/// Where the file pretends to live: an endpoint, a test module (TST rules),
/// a service and a repository (layer rules), a stub.
const PATHS: &[&str] = &[
    "app/api/fuzz.py",
    "tests/test_fuzz.py",
    "app/services/fuzz.py",
    "app/repositories/fuzz.py",
    "app/models/fuzz.pyi",
];

// ------------------------------------------------------------------ PRNG

/// SplitMix64: tiny, fast, good enough, and the same on every platform.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        let mut rng = Rng(seed);
        rng.next();
        rng
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (0 when `n` is 0).
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }

    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }

    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    fn bytes<'a>(&mut self, items: &[&'a [u8]]) -> &'a [u8] {
        items[self.below(items.len())]
    }

    /// Small numbers often, big ones sometimes.
    fn count(&mut self, max: usize) -> usize {
        match self.below(4) {
            0 => self.range(1, 4.min(max)),
            1 => self.range(1, 32.min(max)),
            _ => self.range(1, max),
        }
    }
}

// --------------------------------------------------------------- mutator

const COOKIES: &[&[u8]] = &[
    b"# -*- coding: latin-1 -*-\n",
    b"# coding: utf-16\n",
    b"# coding: bogus\n",
    b"# coding=utf-8\n",
    b"# vim: set fileencoding=cp1252 :\n",
    b"# coding: ascii\n",
    b"# coding: utf-8-sig\n",
    b"# coding: euc-jp\n",
    b"# coding: utf-32\n",
    b"#!/usr/bin/env python\n# -*- coding: iso-8859-15 -*-\n",
];

const ODD_BYTES: &[&[u8]] = &[
    b"\xEF\xBB\xBF",
    b"\xFF\xFE",
    b"\xFE\xFF",
    b"\xFF",
    b"\x80",
    b"\xC3\x28",
    b"\xE2\x82",
    b"\xED\xA0\x80",
    b"\xF4\x90\x80\x80",
    b"\xF0\x9F\x98",
    b"\xC0\xAF",
    b"\x00",
    b"\x00\x00\x00",
    b"\x0C",
    b"\x1B[31m",
    b"\x7F",
    b"\xC2\x85",
    b"\xE2\x80\xA8",
    b"\xE2\x80\xAE",
    b"\xC3\xA9",
    b"\xF0\x9F\x90\x8D",
    b"\t",
    b"\x0B",
];

const SUPPRESSIONS: &[&[u8]] = &[
    b"# fortress: ignore[SEC001] -- r",
    b"# fortress: ignore-file[TYP001] -- r",
    b"# noqa",
    b"# type: ignore",
    b"# fortress: ignore[TYP001, TYP002] -- because",
    b"# fortress: ignore[SEC001]",
    b"# fortress: ignore -- no codes",
    b"# fortress: ignore[] -- r",
    b"# fortress: ignore[XYZ999] -- r",
    b"# fortress: ignore[SEC001 -- r",
    b"# fortress: ignore-file[SEC004] --",
    b"# fortress:ignore[ASY002]--r",
    b"# fortress: ignore-file",
    b"# fortress: ignore[SYN001] -- r",
    b"# fortress: ignore[SUP004] -- r",
    b"# noqa: E501",
    b"# type: ignore[attr-defined]",
    b"# ruff: noqa",
    b"# flake8: noqa",
    b"# pylint: disable=all",
    b"# fortress: ignore[\xC3\xA9] -- \xE2\x80\xAE",
];

const FRAGMENTS: &[&[u8]] = &[
    b"async def f(x):\n    await g()\n",
    b"def f(a, b=1, *c, d, **e) -> int:\n",
    b"class C(BaseModel):\n    password: str\n    class Config:\n        orm_mode = True\n",
    b"@router.get(\"/x\")\ndef h(db: Session = Depends(get_db)):\n    return db.execute(text(f\"SELECT {x}\"))\n",
    b"from typing import Optional, Union\n",
    b"x: Optional[int] = None\n",
    b"import os, sys as s\nfrom . import a\nfrom ..b.c import (d, e as f)\n",
    b"from app.repositories.x import Repo\n",
    b"raise HTTPException(status_code=400, detail=str(e))\n",
    b"SECRET_KEY = \"hunter2hunter2\"\n",
    b"eval(x); exec(y); pickle.loads(z); yaml.load(s)\n",
    b"requests.get(u, verify=False)\n",
    b"time.sleep(1)\n",
    b"for x in xs:\n    await session.execute(q)\n",
    b"def test_x():\n    assert True\n    assert x == x\n",
    b"@pytest.mark.skip\ndef test_y(): pass\n",
    b"m.return_value = 1\nassert m() == 1\n",
    b"match x:\n    case [1, *rest]:\n        pass\n    case {\"k\": v}:\n        pass\n",
    b"lambda: (yield)",
    b"f'{x!r:>{width}}'",
    b"f\"{",
    b"'''",
    b"\"\"\"",
    b"\\\n",
    b"print >>f, x\n",
    b"exec 'x'\n",
    b"`x`",
    b"a <> b",
    b"0777",
    b"10L",
    b"ur''",
    b"except E, e:\n",
    b"raise E, msg\n",
    b"def f((a, b)): pass\n",
    b"x := 1",
    b"type X = int\n",
    b"global g\nnonlocal n\n",
    b"with open(p) as f, a as b:\n",
    b"try:\n    import x\nexcept ImportError:\n    x = None\n",
    b"if TYPE_CHECKING:\n    from app.api import y\n",
    b"importlib.import_module(\"app.services.s\")\n",
    b"del x[0], y.z\n",
    b"*a, b = c\n",
    b"@",
    b":",
    b"->",
    b"**",
    b"\n    ",
    b"\n\t",
    b"else:\n",
];

fn lines(data: &[u8]) -> Vec<&[u8]> {
    data.split_inclusive(|&b| b == b'\n').collect()
}

/// Byte offset of the start of a random line (or the end).
fn line_start(data: &[u8], rng: &mut Rng) -> usize {
    let starts: Vec<usize> = std::iter::once(0)
        .chain(
            data.iter()
                .enumerate()
                .filter(|(_, &b)| b == b'\n')
                .map(|(i, _)| i + 1),
        )
        .collect();
    *rng.pick(&starts)
}

/// A random insertion point: anywhere, or at a line start.
fn point(data: &[u8], rng: &mut Rng) -> usize {
    if rng.chance(50) {
        line_start(data, rng)
    } else {
        rng.below(data.len() + 1)
    }
}

fn insert(data: &mut Vec<u8>, at: usize, bytes: &[u8]) {
    data.splice(at..at, bytes.iter().copied());
}

fn rebuild(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

fn deep_brackets(rng: &mut Rng) -> Vec<u8> {
    let n = match rng.below(4) {
        0 => rng.range(195, 205),
        1 => rng.range(1, 300),
        _ => rng.range(1, 1500),
    };
    let mut out = b"x = ".to_vec();
    let opens: Vec<u8> = (0..n).map(|_| *rng.pick(b"([{")).collect();
    out.extend(&opens);
    out.push(b'1');
    if rng.chance(70) {
        // Close them, correctly or not, all or some.
        let close = if rng.chance(80) { n } else { rng.below(n + 1) };
        for &o in opens.iter().rev().take(close) {
            let c = match o {
                b'(' => b')',
                b'[' => b']',
                _ => b'}',
            };
            out.push(if rng.chance(97) { c } else { *rng.pick(b")]}") });
        }
    }
    out.push(b'\n');
    out
}

fn deep_indentation(rng: &mut Rng, max: usize) -> Vec<u8> {
    let n = match rng.below(5) {
        0 => rng.range(95, 105),
        1 => rng.range(505, 515).min(max),
        2 => rng.range(max.saturating_sub(10).max(1), max),
        _ => rng.range(1, max),
    };
    let mut unit = rng.bytes(&[&b" "[..], b"\t", b"  ", b"    ", b" \t"]);
    if unit.len() * n * n / 2 > 100_000 {
        // Keep the deepest cases near 100 KB.
        unit = rng.bytes(&[&b" "[..], b"\t"]);
    }
    let header = rng.bytes(&[
        &b"if x:"[..],
        b"for i in y:",
        b"while 1:",
        b"def f():",
        b"async def f():",
        b"class C:",
        b"with a:",
        b"try:",
    ]);
    let mut out = Vec::new();
    for level in 0..n {
        for _ in 0..level {
            out.extend_from_slice(unit);
        }
        out.extend_from_slice(header);
        out.push(b'\n');
    }
    for _ in 0..n {
        out.extend_from_slice(unit);
    }
    out.extend_from_slice(rng.bytes(&[&b"pass"[..], b"x: Optional[int] = None", b"await f()"]));
    out.push(b'\n');
    if rng.chance(30) {
        out.extend_from_slice(b"y = 2\n");
    }
    out
}

fn long_line(rng: &mut Rng) -> Vec<u8> {
    let n = match rng.below(10) {
        0 => rng.range(1, 20_000),
        1..=4 => rng.range(1, 2_000),
        _ => rng.range(1, 200),
    };
    let piece = rng.bytes(&[
        &b"a"[..],
        b"x + ",
        b"-",
        b"not ",
        b"Optional[int], ",
        b"f(x), ",
        b"\"s\" ",
        b"\xC3\xA9",
        b"# ",
        b" ",
        b"\\",
        b"(",
    ]);
    let mut out: Vec<u8> = rng
        .pick(&[&b"x = "[..], b"y = \"", b"# ", b"def f(", b""])
        .to_vec();
    for _ in 0..n {
        out.extend_from_slice(piece);
    }
    out.extend_from_slice(rng.bytes(&[&b"1\n"[..], b"\"\n", b")\n", b"\n", b""]));
    out
}

/// Relative weights of the mutations, indexed like the arms of [`mutate`]:
/// the big structural ones (deep nesting, long lines) are rarer, they make
/// inputs of tens of kilobytes.
const WEIGHTS: [usize; 17] = [10, 10, 8, 5, 5, 5, 4, 8, 6, 8, 3, 3, 3, 6, 10, 10, 6];

fn mutation(rng: &mut Rng) -> usize {
    let mut r = rng.below(WEIGHTS.iter().sum());
    for (i, &w) in WEIGHTS.iter().enumerate() {
        if r < w {
            return i;
        }
        r -= w;
    }
    0
}

fn mutate(data: &mut Vec<u8>, seeds: &[Vec<u8>], rng: &mut Rng, max_indent: usize) {
    match mutation(rng) {
        // Bit flips.
        0 => {
            for _ in 0..rng.count(8) {
                if !data.is_empty() {
                    let at = rng.below(data.len());
                    data[at] ^= 1 << rng.below(8);
                }
            }
        }
        // Random or interesting bytes inserted.
        1 => {
            for _ in 0..rng.count(8) {
                let at = rng.below(data.len() + 1);
                let byte = if rng.chance(50) {
                    rng.next() as u8
                } else {
                    *rng.pick(b"()[]{}:;,.\n\r\t '\"#\\@=*-+<>!%`$?")
                };
                data.insert(at, byte);
            }
        }
        // Bytes deleted.
        2 => {
            if !data.is_empty() {
                let at = rng.below(data.len());
                let len = rng.count(16).min(data.len() - at);
                data.drain(at..at + len);
            }
        }
        // Line deleted, duplicated or two swapped.
        3..=5 => {
            let mut parts = lines(data);
            if !parts.is_empty() {
                let i = rng.below(parts.len());
                let j = rng.below(parts.len());
                match rng.below(3) {
                    0 => {
                        parts.remove(i);
                    }
                    1 => {
                        for _ in 0..rng.count(4) {
                            parts.insert(i, parts[i]);
                        }
                    }
                    _ => parts.swap(i, j),
                }
                *data = rebuild(&parts);
            }
        }
        // Truncated.
        6 => {
            let at = rng.below(data.len() + 1);
            data.truncate(at);
        }
        // Spliced with another seed, at any byte or at line starts.
        7 => {
            let other = rng.pick(seeds);
            let (mine, theirs) = if rng.chance(50) {
                (line_start(data, rng), line_start(other, rng))
            } else {
                (rng.below(data.len() + 1), rng.below(other.len() + 1))
            };
            data.truncate(mine);
            data.extend_from_slice(&other[theirs..]);
        }
        // Coding cookies, on line 1 or 2, or anywhere.
        8 => {
            let cookie = rng.bytes(COOKIES);
            let at = match rng.below(3) {
                0 => 0,
                1 => data.iter().position(|&b| b == b'\n').map_or(0, |i| i + 1),
                _ => line_start(data, rng),
            };
            insert(data, at, cookie);
            if rng.chance(30) {
                insert(data, 0, b"\xEF\xBB\xBF");
            }
        }
        // Invalid UTF-8, BOMs, NUL and control bytes.
        9 => {
            for _ in 0..rng.count(4) {
                let at = if rng.chance(20) {
                    0
                } else {
                    rng.below(data.len() + 1)
                };
                insert(data, at, rng.bytes(ODD_BYTES));
            }
        }
        // Deep brackets.
        10 => {
            let at = line_start(data, rng);
            insert(data, at, &deep_brackets(rng));
        }
        // Deep indentation.
        11 => {
            let at = line_start(data, rng);
            insert(data, at, &deep_indentation(rng, max_indent));
        }
        // A very long line.
        12 => {
            let at = point(data, rng);
            insert(data, at, &long_line(rng));
        }
        // Line breaks: CRLF, lone CR, mixes.
        13 => {
            let mode = rng.below(4);
            let mut out = Vec::with_capacity(data.len() + data.len() / 8);
            for &b in data.iter() {
                if b == b'\n' {
                    match mode {
                        0 => out.extend_from_slice(b"\r\n"),
                        1 => out.push(b'\r'),
                        2 => out.extend_from_slice(rng.bytes(&[
                            &b"\n"[..],
                            b"\r\n",
                            b"\r",
                            b"\r\r\n",
                        ])),
                        _ if rng.chance(10) => out.extend_from_slice(b"\r\n"),
                        _ => out.push(b),
                    }
                } else {
                    out.push(b);
                }
            }
            if rng.chance(20) {
                let at = rng.below(out.len() + 1);
                out.insert(at, b'\r');
            }
            *data = out;
        }
        // Suppression comments, at a line's end, on their own line, or anywhere.
        14 => {
            for _ in 0..rng.count(3) {
                let comment = rng.bytes(SUPPRESSIONS);
                match rng.below(3) {
                    0 => {
                        let at = line_start(data, rng);
                        let mut line = comment.to_vec();
                        line.push(b'\n');
                        insert(data, at, &line);
                    }
                    1 => {
                        // End of a line: before its newline.
                        let start = line_start(data, rng);
                        let end = data[start..]
                            .iter()
                            .position(|&b| b == b'\n')
                            .map_or(data.len(), |i| start + i);
                        let mut text = b"  ".to_vec();
                        text.extend_from_slice(comment);
                        insert(data, end, &text);
                    }
                    _ => {
                        let at = rng.below(data.len() + 1);
                        insert(data, at, comment);
                    }
                }
            }
        }
        // Python fragments, old and new, whole or cut.
        15 => {
            for _ in 0..rng.count(3) {
                let fragment = rng.bytes(FRAGMENTS);
                let fragment = if rng.chance(20) {
                    &fragment[..rng.below(fragment.len() + 1)]
                } else {
                    fragment
                };
                let at = point(data, rng);
                insert(data, at, fragment);
            }
        }
        // A range copied over another place of the same input.
        _ => {
            if !data.is_empty() {
                let from = rng.below(data.len());
                let len = rng.count(256).min(data.len() - from);
                let chunk = data[from..from + len].to_vec();
                let at = rng.below(data.len() + 1);
                if rng.chance(50) {
                    insert(data, at, &chunk);
                } else {
                    let end = (at + len).min(data.len());
                    data.splice(at..end, chunk);
                }
            }
        }
    }
    data.truncate(MAX_LEN);
}

/// Input `i` of a run: the seeds themselves first, then mutants.
fn input(seeds: &[Vec<u8>], seed: u64, i: usize, max_indent: usize) -> (&'static str, Vec<u8>) {
    if i < seeds.len() {
        return (PATHS[0], seeds[i].clone());
    }
    let mut rng = Rng::new(seed ^ (i as u64).wrapping_mul(0xD1B5_4A32_D192_ED03));
    let path = *rng.pick(PATHS);
    let mut data = rng.pick(seeds).clone();
    let rounds = rng.count(6);
    for _ in 0..rounds {
        mutate(&mut data, seeds, &mut rng, max_indent);
    }
    (path, data)
}

// ----------------------------------------------------------------- driver

fn seeds() -> Vec<Vec<u8>> {
    fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                collect(&p, out);
            } else if p.extension().is_some_and(|e| e == "py") {
                out.push(p);
            }
        }
    }
    let mut paths = Vec::new();
    collect(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures"),
        &mut paths,
    );
    paths.sort();
    let mut seeds: Vec<Vec<u8>> = paths
        .iter()
        .map(|p| std::fs::read(p).expect("read seed"))
        .collect();
    seeds.push(Vec::new());
    seeds
}

fn env_number(name: &str) -> Option<u64> {
    let v = std::env::var(name).ok()?;
    let v = v.trim().replace('_', "");
    let parsed = match v.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => v.parse(),
    };
    Some(parsed.unwrap_or_else(|_| panic!("{name}={v} is not a number")))
}

/// Unbuffered and never captured by the test harness: still on the terminal
/// when the process dies from a signal.
fn say(message: &str) {
    let _ = writeln!(std::io::stderr(), "{message}");
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "non-string panic payload".to_owned()
    }
}

thread_local! {
    /// Where the last panic on this thread happened (set by the run's hook).
    static PANIC_AT: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

/// Run one input; `Err` describes a panic or an invalid report.
fn execute(path: &str, data: &[u8]) -> Result<fortress::fuzz::Outcome, String> {
    match panic::catch_unwind(AssertUnwindSafe(|| fortress::fuzz::run_as(path, data))) {
        Ok(Ok(outcome)) => Ok(outcome),
        Ok(Err(invalid)) => Err(format!("invalid report: {invalid}")),
        Err(payload) => {
            let at = PANIC_AT
                .with(|p| p.borrow_mut().take())
                .map(|at| format!(" at {at}"))
                .unwrap_or_default();
            Err(format!("panic{at}: {}", panic_message(payload.as_ref())))
        }
    }
}

/// Inputs run, inputs with SYN001, diagnostics per code, input bytes, and
/// the slowest input (seconds, iteration, bytes).
type Stats = (
    usize,
    usize,
    std::collections::BTreeMap<&'static str, usize>,
    usize,
    (f64, usize, usize),
);

struct Failure {
    iteration: usize,
    path: &'static str,
    message: String,
    saved: PathBuf,
}

#[test]
fn fuzz_pipeline() {
    let seed = env_number("FORTRESS_FUZZ_SEED").unwrap_or(DEFAULT_SEED);
    let max_indent =
        env_number("FORTRESS_FUZZ_MAX_INDENT").map_or(DEFAULT_MAX_INDENT, |n| n as usize);

    if let Ok(file) = std::env::var("FORTRESS_FUZZ_REPLAY") {
        let data = std::fs::read(&file).unwrap_or_else(|e| panic!("read {file}: {e}"));
        let path = std::env::var("FORTRESS_FUZZ_PATH").unwrap_or_else(|_| PATHS[0].to_owned());
        match execute(&path, &data) {
            Ok(out) => say(&format!(
                "fuzz: replay of {file} as {path}: ok, {:?}",
                out.codes
            )),
            Err(e) => panic!("fuzz: replay of {file} as {path}: {e}"),
        }
        return;
    }

    let seeds = seeds();
    assert!(seeds.len() > 100, "fixtures not found");
    let (first, iters) = match env_number("FORTRESS_FUZZ_ONLY") {
        Some(i) => (i as usize, 1),
        None => (
            env_number("FORTRESS_FUZZ_FIRST").map_or(0, |n| n as usize),
            env_number("FORTRESS_FUZZ_ITERS").map_or(DEFAULT_ITERS, |n| n as usize),
        ),
    };
    if let Ok(file) = std::env::var("FORTRESS_FUZZ_LOCATE") {
        // Which iteration made this input? Generates, never runs.
        let wanted = std::fs::read(&file).unwrap_or_else(|e| panic!("read {file}: {e}"));
        let found =
            (first..first + iters).find(|&i| input(&seeds, seed, i, max_indent).1 == wanted);
        match found {
            Some(i) => say(&format!(
                "fuzz: {file} is iteration {i} of seed {seed:#x} ({})",
                input(&seeds, seed, i, max_indent).0
            )),
            None => panic!(
                "fuzz: {file} is none of iterations {first}..{}",
                first + iters
            ),
        }
        return;
    }
    let threads = env_number("FORTRESS_FUZZ_THREADS").map_or_else(
        || std::thread::available_parallelism().map_or(2, |n| n.get()),
        |n| n.max(1) as usize,
    );
    let scratch = std::env::temp_dir().join(format!("fortress-fuzz-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).expect("scratch directory");
    say(&format!(
        "fuzz: seed {seed:#x}, {iters} inputs from {} seeds, {threads} threads; \
         inputs in flight are in {} (if the process dies from a signal, the input is there, \
         its iteration in the .txt beside it)",
        seeds.len(),
        scratch.display()
    ));

    let next = AtomicUsize::new(first);
    let end = first + iters;
    let stop = AtomicBool::new(false);
    let failures: Mutex<Vec<Failure>> = Mutex::new(Vec::new());
    let stats: Mutex<Stats> = Mutex::new(Default::default());
    let started = Instant::now();
    // Panics are expected to be caught and reported once, not printed by the
    // default hook from every thread.
    let hook = panic::take_hook();
    panic::set_hook(Box::new(|info| {
        let at = info.location().map(|l| l.to_string());
        PANIC_AT.with(|p| *p.borrow_mut() = at);
    }));
    std::thread::scope(|scope| {
        for t in 0..threads {
            let (next, stop, failures, stats, seeds, scratch) =
                (&next, &stop, &failures, &stats, &seeds, &scratch);
            scope.spawn(move || {
                let in_flight = scratch.join(format!("in-flight-{t}.py"));
                // Seed, iteration and path of the input in flight.
                let in_flight_name = scratch.join(format!("in-flight-{t}.txt"));
                let mut done = 0usize;
                let mut problems = 0usize;
                let mut bytes = 0usize;
                let mut slowest = (0f64, 0usize, 0usize);
                let mut codes: std::collections::BTreeMap<&'static str, usize> =
                    Default::default();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= end || stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let (path, data) = input(seeds, seed, i, max_indent);
                    let _ = std::fs::write(&in_flight, &data);
                    let _ = std::fs::write(&in_flight_name, format!("{seed:#x} {i} {path}\n"));
                    bytes += data.len();
                    let t0 = Instant::now();
                    let result = execute(path, &data);
                    let took = t0.elapsed().as_secs_f64();
                    if took > slowest.0 {
                        slowest = (took, i, data.len());
                    }
                    match result {
                        Ok(out) => {
                            problems += usize::from(out.problem);
                            for code in out.codes {
                                *codes.entry(code).or_default() += 1;
                            }
                        }
                        Err(message) => {
                            let saved = scratch.join(format!("crash-{seed:x}-{i}.py"));
                            let _ = std::fs::write(&saved, &data);
                            say(&format!(
                                "fuzz: FAILURE at seed {seed:#x} iteration {i} ({path}): {message}\n  \
                                 input: {} ({} bytes)\n  reproduce: FORTRESS_FUZZ_SEED={seed:#x} \
                                 FORTRESS_FUZZ_ONLY={i} cargo test --test fuzz -- --nocapture",
                                saved.display(),
                                data.len()
                            ));
                            let mut f = failures.lock().unwrap_or_else(|e| e.into_inner());
                            f.push(Failure {
                                iteration: i,
                                path,
                                message,
                                saved,
                            });
                            if f.len() >= MAX_FAILURES {
                                stop.store(true, Ordering::Relaxed);
                            }
                        }
                    }
                    done += 1;
                    if t == 0 && done % 20_000 == 0 {
                        let total = next.load(Ordering::Relaxed).min(end) - first;
                        let secs = started.elapsed().as_secs_f64();
                        say(&format!(
                            "fuzz: ~{total} inputs, {secs:.0}s, {:.0}/s",
                            total as f64 / secs
                        ));
                    }
                }
                let _ = std::fs::remove_file(&in_flight);
                let _ = std::fs::remove_file(&in_flight_name);
                let mut s = stats.lock().unwrap_or_else(|e| e.into_inner());
                s.0 += done;
                s.1 += problems;
                s.3 += bytes;
                if slowest.0 > s.4 .0 {
                    s.4 = slowest;
                }
                for (code, n) in codes {
                    *s.2.entry(code).or_default() += n;
                }
            });
        }
    });
    panic::set_hook(hook);
    let elapsed = started.elapsed().as_secs_f64();
    let (done, problems, codes, bytes, slowest) =
        stats.into_inner().unwrap_or_else(|e| e.into_inner());
    let failures = failures.into_inner().unwrap_or_else(|e| e.into_inner());
    say(&format!(
        "fuzz: {done} inputs in {elapsed:.1}s ({:.0}/s), {problems} with SYN001, {} failures",
        done as f64 / elapsed.max(1e-9),
        failures.len()
    ));
    say(&format!(
        "fuzz: mean input {} bytes; slowest input: iteration {} ({} bytes) in {:.3}s",
        bytes / done.max(1),
        slowest.1,
        slowest.2,
        slowest.0
    ));
    if slowest.2 > 0 || slowest.0 > 0.0 {
        let (path, data) = input(&seeds, seed, slowest.1, max_indent);
        let saved =
            std::env::temp_dir().join(format!("fortress-fuzz-slowest-{seed:x}-{}.py", slowest.1));
        if std::fs::write(&saved, data).is_ok() {
            say(&format!(
                "fuzz: slowest input written to {} (as {path})",
                saved.display()
            ));
        }
    }
    say(&format!("fuzz: diagnostics by code: {codes:?}"));
    if failures.is_empty() {
        let _ = std::fs::remove_dir(&scratch);
    }
    let mut report = String::new();
    for f in &failures {
        report.push_str(&format!(
            "\n  iteration {} ({}): {}\n    input: {}",
            f.iteration,
            f.path,
            f.message,
            f.saved.display()
        ));
    }
    assert!(
        failures.is_empty(),
        "fuzz: {} failing input(s) at seed {seed:#x}:{report}",
        failures.len()
    );
}
