//! Hostile input. Each test builds a directory holding the hostile file next
//! to `ok.py`, a normal file with a known finding (TYP001 at 2:4), runs the
//! real binary on it and checks that:
//! - the process neither panics nor dies from a signal (exit 0 or 1), in every
//!   output format, and never hangs (each run has a deadline);
//! - the hostile file gets its diagnostic (SYN001 for syntax, encoding and
//!   binary content, SYN002 for what cannot be read) at the right place;
//! - `ok.py` is still checked.
//!
//! Timings of the big cases are printed on stderr (`cargo test -- --nocapture`).

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

const OK_FILE: &str = "from typing import Optional\nx: Optional[int] = None\n";
const DEADLINE: Duration = Duration::from_secs(180);

struct Run {
    code: i32,
    stdout: Vec<u8>,
    stderr: String,
    elapsed: Duration,
}

/// Run `fortress check ARGS` in `dir` with a deadline; stdout and stderr go
/// to files so a big report cannot fill a pipe.
fn run_fortress(dir: &Path, args: &[&str]) -> Run {
    let out_dir = tempfile::tempdir().expect("temp dir for output");
    let stdout_path = out_dir.path().join("stdout");
    let stderr_path = out_dir.path().join("stderr");
    let start = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_fortress"))
        .current_dir(dir)
        .arg("check")
        .arg("--isolated")
        .args(args)
        .env_remove("RUST_BACKTRACE")
        .env_remove("VIRTUAL_ENV")
        .stdin(Stdio::null())
        .stdout(fs::File::create(&stdout_path).expect("stdout file"))
        .stderr(fs::File::create(&stderr_path).expect("stderr file"))
        .spawn()
        .expect("start fortress");
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for fortress") {
            break status;
        }
        if start.elapsed() > DEADLINE {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "fortress {args:?} in {} still running after {DEADLINE:?}",
                dir.display()
            );
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let elapsed = start.elapsed();
    let stdout = fs::read(&stdout_path).unwrap_or_default();
    let stderr = fs::read_to_string(&stderr_path).unwrap_or_default();
    let Some(code) = status.code() else {
        panic!("fortress {args:?} was killed by a signal ({status:?}); stderr:\n{stderr}");
    };
    Run {
        code,
        stdout,
        stderr,
        elapsed,
    }
}

/// A finished JSON run.
struct Checked {
    json: Value,
    stderr: String,
    code: i32,
}

impl Checked {
    fn diagnostics(&self) -> &[Value] {
        self.json["diagnostics"].as_array().map_or(&[], |v| v)
    }

    fn of(&self, path: &str) -> Vec<&Value> {
        self.diagnostics()
            .iter()
            .filter(|d| d["path"] == path)
            .collect()
    }

    fn codes(&self, path: &str) -> Vec<String> {
        self.of(path)
            .iter()
            .map(|d| d["code"].as_str().unwrap_or("").to_owned())
            .collect()
    }

    /// The one diagnostic with `code` in `path`.
    fn only(&self, path: &str, code: &str) -> &Value {
        let found: Vec<&Value> = self
            .of(path)
            .into_iter()
            .filter(|d| d["code"] == code)
            .collect();
        assert_eq!(
            found.len(),
            1,
            "expected exactly one {code} in {path}, got: {:#}",
            self.json["diagnostics"]
        );
        found[0]
    }

    /// `code` in `path` at `line:column`, its message containing `words`.
    fn expect(&self, path: &str, code: &str, line: u64, column: u64, words: &str) -> &Value {
        let d = self.only(path, code);
        assert_eq!(
            (d["line"].as_u64(), d["column"].as_u64()),
            (Some(line), Some(column)),
            "position of {code} in {path}: {d:#}"
        );
        let message = d["message"].as_str().unwrap_or("");
        assert!(
            message.contains(words),
            "message of {code} in {path} should contain {words:?}: {message}"
        );
        d
    }

    /// The file reads and parses cleanly: no SYN diagnostic. (Every rule still
    /// runs on it; findings of the other families depend on the code's style.)
    fn clean(&self, path: &str) {
        let syntax: Vec<&Value> = self
            .of(path)
            .into_iter()
            .filter(|d| d["code"].as_str().is_some_and(|c| c.starts_with("SYN")))
            .collect();
        assert!(
            syntax.is_empty(),
            "expected no SYN findings in {path}, got {syntax:?}"
        );
    }

    /// `ok.py` (or the copy at `path`) is still checked.
    fn ok_reported(&self, path: &str) {
        self.expect(path, "TYP001", 2, 4, "int | None");
    }
}

/// Run all four formats on `dir` (paths: `args`, default `.`) and return the
/// JSON run. Every run must exit 0 or 1; the text report must not carry
/// terminal escape sequences from the files.
fn check(dir: &Path, args: &[&str], name: &str) -> Checked {
    let mut json_args = vec!["--format", "json"];
    json_args.extend_from_slice(args);
    let run = run_fortress(dir, &json_args);
    assert!(
        run.code == 0 || run.code == 1,
        "{name}: exit code {} (expected 0 or 1); stderr:\n{}",
        run.code,
        run.stderr
    );
    eprintln!("timing: {name}: json run {:.2}s", run.elapsed.as_secs_f64());
    let json: Value = serde_json::from_slice(&run.stdout)
        .unwrap_or_else(|e| panic!("{name}: report is not JSON ({e}); stderr:\n{}", run.stderr));
    for format in ["text", "sarif", "github"] {
        let mut format_args = vec!["--format", format];
        format_args.extend_from_slice(args);
        let other = run_fortress(dir, &format_args);
        assert_eq!(
            other.code, run.code,
            "{name}: --format {format} exits differently; stderr:\n{}",
            other.stderr
        );
        if format == "text" {
            assert!(
                !other.stdout.contains(&0x1b),
                "{name}: text report contains an escape character"
            );
            eprintln!(
                "timing: {name}: text run {:.2}s, {} bytes",
                other.elapsed.as_secs_f64(),
                other.stdout.len()
            );
        }
        if format == "sarif" {
            let _: Value = serde_json::from_slice(&other.stdout)
                .unwrap_or_else(|e| panic!("{name}: SARIF is not JSON: {e}"));
        }
    }
    Checked {
        json,
        stderr: run.stderr,
        code: run.code,
    }
}

/// A fresh directory holding `ok.py` and the given files.
fn case(files: &[(&str, &[u8])]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    fs::write(dir.path().join("ok.py"), OK_FILE).expect("write ok.py");
    for (name, bytes) in files {
        let path = dir.path().join(name);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).expect("create parent");
        }
        fs::write(&path, bytes).expect("write case file");
    }
    dir
}

/// 1-based character column of the first `needle` in `text` and its line.
fn locate(text: &str, needle: &str) -> (u64, u64) {
    let at = text.find(needle).expect("needle in text");
    let before = &text[..at];
    let line = before.matches('\n').count() as u64 + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() as u64 + 1)
}

/// Deterministic pseudo-random bytes (xorshift64).
fn noise(len: usize, mut seed: u64) -> Vec<u8> {
    (0..len)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed >> 24) as u8
        })
        .collect()
}

// ---------------------------------------------------------------- encodings

#[test]
fn latin1_cookie_decodes_and_counts_columns_in_characters() {
    let bytes: &[u8] = b"# -*- coding: latin-1 -*-\nfrom typing import Optional\ns = '\xe9t\xe9'; z: Optional[int] = None\n";
    let dir = case(&[("legacy.py", bytes)]);
    let r = check(dir.path(), &[], "latin-1 cookie");
    // "s = 'été'; z: " is 14 characters (17 bytes in UTF-8, 14 in Latin-1).
    r.expect("legacy.py", "TYP001", 3, 15, "int | None");
    assert_eq!(r.codes("legacy.py"), ["TYP001"]);
    r.ok_reported("ok.py");
}

#[test]
fn invalid_utf8_without_cookie_names_line_and_column() {
    let bytes: &[u8] = b"a = 1\n\xc3\xa9 = '\xff\xfe'\n";
    let dir = case(&[("bad.py", bytes)]);
    let r = check(dir.path(), &[], "invalid UTF-8");
    // `é = '` is 5 characters: the bad byte is at column 6 of line 2.
    let d = r.expect("bad.py", "SYN001", 2, 6, "not valid UTF-8");
    let message = d["message"].as_str().unwrap_or("");
    assert!(message.contains("line 2, column 6"), "{message}");
    assert!(message.contains("0xff"), "{message}");
    r.ok_reported("ok.py");
}

#[test]
fn cp1252_cookie_decodes_and_undefined_bytes_are_reported() {
    let good: &[u8] =
        b"# coding: cp1252\nfrom typing import Optional\ns = '\x80\x93'; z: Optional[int] = None\n";
    let undefined: &[u8] = b"# coding: cp1252\ns = '\x81'\n";
    let dir = case(&[("good.py", good), ("undefined.py", undefined)]);
    let r = check(dir.path(), &[], "cp1252 cookie");
    // `s = '€“'; z: ` is 13 characters.
    r.expect("good.py", "TYP001", 3, 14, "int | None");
    assert_eq!(r.codes("good.py"), ["TYP001"]);
    r.expect("undefined.py", "SYN001", 2, 6, "cp1252");
    r.ok_reported("ok.py");
}

#[test]
fn unknown_and_unusable_encodings_are_reported() {
    let klingon: &[u8] = b"# -*- coding: klingon -*-\nx = 1\n";
    let utf16_cookie: &[u8] = b"# coding: utf-16\nx = 1\n";
    let utf16_bom: &[u8] = b"\xff\xfex\x00 \x00=\x00 \x001\x00\n\x00";
    let dir = case(&[
        ("klingon.py", klingon),
        ("utf16_cookie.py", utf16_cookie),
        ("utf16_bom.py", utf16_bom),
    ]);
    let r = check(dir.path(), &[], "encodings");
    r.expect("klingon.py", "SYN001", 1, 1, "klingon");
    r.expect("utf16_cookie.py", "SYN001", 1, 1, "not ASCII-compatible");
    r.expect("utf16_bom.py", "SYN001", 1, 1, "UTF-16");
    r.ok_reported("ok.py");
}

#[test]
fn nul_bytes_and_binary_content_are_syntax_errors() {
    let nul: &[u8] = b"x = 1\n\0\0\0\n";
    let png: &[u8] =
        b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\x01\0\0\0\x01\0\x08\x06\0\0\0\x1f\x15\xc4\x89";
    let random = noise(64 * 1024, 0x9E37_79B9_7F4A_7C15);
    // Random bytes without NUL: invalid UTF-8 rather than "binary".
    let random_no_nul: Vec<u8> = noise(64 * 1024, 42).into_iter().map(|b| b.max(1)).collect();
    let dir = case(&[
        ("nul.py", nul),
        ("image.py", png),
        ("random.py", &random),
        ("random_no_nul.py", &random_no_nul),
    ]);
    let r = check(dir.path(), &[], "binary");
    r.expect("nul.py", "SYN001", 2, 1, "NUL byte");
    // The PNG signature's NUL comes after `\r\n` and `\n`: line 3.
    r.expect("image.py", "SYN001", 3, 1, "NUL byte");
    assert_eq!(r.codes("random.py"), ["SYN001"]);
    let d = r.only("random_no_nul.py", "SYN001");
    assert!(d["message"]
        .as_str()
        .is_some_and(|m| m.contains("not valid UTF-8")));
    r.ok_reported("ok.py");
}

#[test]
fn utf8_bom_keeps_first_line_columns() {
    let text = "from typing import Optional; z: Optional[int] = None\n";
    let mut bytes = b"\xef\xbb\xbf".to_vec();
    bytes.extend_from_slice(text.as_bytes());
    let dir = case(&[("bom.py", &bytes)]);
    let r = check(dir.path(), &[], "BOM");
    let (line, column) = locate(text, "Optional[int]");
    r.expect("bom.py", "TYP001", line, column, "int | None");
    assert_eq!(r.codes("bom.py"), ["TYP001"]);
    r.ok_reported("ok.py");
}

// ---------------------------------------------------------------- line ends

#[test]
fn crlf_mixed_and_lone_cr_keep_line_numbers() {
    let crlf = "from typing import Optional\r\nx = 1\r\ny: Optional[int] = None\r\n";
    let mixed = "from typing import Optional\r\nx = 1\ny: Optional[int] = None\r\nif x:\r\n    z: Optional[str] = None\n";
    let lone_cr = "from typing import Optional\rx = 1\ry: Optional[int] = None\r";
    let crlf_error = "x = 1\r\ny = 2\r\nz = (1,\r\n";
    let dir = case(&[
        ("crlf.py", crlf.as_bytes()),
        ("mixed.py", mixed.as_bytes()),
        ("lone_cr.py", lone_cr.as_bytes()),
        ("crlf_error.py", crlf_error.as_bytes()),
    ]);
    let r = check(dir.path(), &[], "line endings");
    let d = r.expect("crlf.py", "TYP001", 3, 4, "int | None");
    assert_eq!(
        (d["end_line"].as_u64(), d["end_column"].as_u64()),
        (Some(3), Some(17))
    );
    assert_eq!(r.codes("crlf.py"), ["TYP001"]);
    assert_eq!(r.codes("mixed.py"), ["TYP001", "TYP001"]);
    let mixed_lines: Vec<(u64, u64)> = r
        .of("mixed.py")
        .iter()
        .map(|d| {
            (
                d["line"].as_u64().unwrap_or(0),
                d["column"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    assert_eq!(mixed_lines, [(3, 4), (5, 8)]);
    // CPython reads a lone CR as a line break (universal newlines).
    r.expect("lone_cr.py", "TYP001", 3, 4, "int | None");
    assert_eq!(r.codes("lone_cr.py"), ["TYP001"]);
    r.expect("crlf_error.py", "SYN001", 3, 5, "was never closed");
    r.ok_reported("ok.py");
}

// ---------------------------------------------------------------- size

#[test]
fn two_megabyte_line_then_a_finding() {
    let mut text = String::from("x = [");
    text.push_str(&"1, ".repeat(700_000));
    text.push_str("]; from typing import Optional; y: Optional[int] = None\n");
    text.push_str("z: Optional[str] = None\n");
    assert!(text.len() > 2_000_000);
    let dir = case(&[("long.py", text.as_bytes())]);
    let r = check(dir.path(), &[], "2 MB line");
    let (line, column) = locate(&text, "Optional[int]");
    assert_eq!(line, 1);
    let findings: Vec<(u64, u64)> = r
        .of("long.py")
        .iter()
        .map(|d| {
            (
                d["line"].as_u64().unwrap_or(0),
                d["column"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    assert_eq!(findings, [(1, column), (2, 4)]);
    r.ok_reported("ok.py");
    // The text report shows an excerpt of the long line, not all of it.
    let text_run = run_fortress(dir.path(), &["--format", "text"]);
    assert!(
        text_run.stdout.len() < 20_000,
        "{} bytes",
        text_run.stdout.len()
    );
    let shown = String::from_utf8_lossy(&text_run.stdout);
    assert!(shown.contains(&format!("long.py:1:{column}")), "{shown}");
    assert!(shown.contains("…"), "{shown}");
}

#[test]
fn thousands_of_findings_on_one_long_line_stay_linear() {
    let mut text = String::from("from typing import Optional\nx: tuple[");
    text.push_str(&"Optional[int], ".repeat(20_000));
    text.push_str("] = ()\n");
    let dir = case(&[("many.py", text.as_bytes())]);
    let r = check(dir.path(), &[], "20,000 findings on a 300 kB line");
    assert_eq!(r.of("many.py").len(), 20_000);
    let last = r.of("many.py")[19_999];
    assert_eq!(last["column"].as_u64(), Some(10 + 15 * 19_999));
    r.ok_reported("ok.py");
}

#[test]
fn two_hundred_thousand_lines() {
    let mut text = "x = 1\n".repeat(199_998);
    text.push_str("from typing import Optional\ny: Optional[int] = None\n");
    let dir = case(&[("big.py", text.as_bytes())]);
    let r = check(dir.path(), &[], "200,000 lines");
    r.expect("big.py", "TYP001", 200_000, 4, "int | None");
    assert_eq!(r.codes("big.py"), ["TYP001"]);
    r.ok_reported("ok.py");
}

// ---------------------------------------------------------------- depth

/// A 20,000-deep expression on line 1 and a finding on line 3: no stack
/// overflow (parse, walk, rules, drop), CPython's limit reported.
fn deep_case(name: &str, line: &str, limit_column: Option<u64>) {
    let text = format!("{line}\nfrom typing import Optional\ny: Optional[int] = None\n");
    let dir = case(&[("deep.py", text.as_bytes())]);
    let r = check(dir.path(), &[], name);
    match limit_column {
        Some(column) => {
            r.expect(
                "deep.py",
                "SYN001",
                1,
                column,
                "too many nested parentheses",
            );
        }
        None => assert!(!r.codes("deep.py").contains(&"SYN001".to_owned())),
    }
    r.expect("deep.py", "TYP001", 3, 4, "int | None");
    r.ok_reported("ok.py");
}

const DEPTH: usize = 20_000;

#[test]
fn deep_parentheses() {
    let line = format!("x = {}1{}", "(".repeat(DEPTH), ")".repeat(DEPTH));
    // CPython allows 200 levels: the 201st bracket is at column 4 + 201.
    deep_case("20,000 nested parentheses", &line, Some(205));
}

#[test]
fn deep_parentheses_two_hundred_thousand() {
    let line = format!("x = {}1{}", "(".repeat(200_000), ")".repeat(200_000));
    deep_case("200,000 nested parentheses", &line, Some(205));
}

#[test]
fn deep_calls() {
    let line = format!("x = {}1{}", "f(".repeat(DEPTH), ")".repeat(DEPTH));
    deep_case("20,000 nested calls", &line, Some(4 + 2 * 201));
}

#[test]
fn deep_lists_and_dicts() {
    let lists = format!("x = {}1{}", "[".repeat(DEPTH), "]".repeat(DEPTH));
    deep_case("20,000 nested lists", &lists, Some(205));
    let dicts = format!("x = {}1{}", "{1: ".repeat(DEPTH), "}".repeat(DEPTH));
    deep_case("20,000 nested dicts", &dicts, Some(4 + 4 * 200 + 1));
    let mixed = format!(
        "x = {}1{}",
        "[{'k': (".repeat(DEPTH / 3),
        ")}]".repeat(DEPTH / 3)
    );
    // Three brackets per `[{'k': (`: the 201st is the `(` of the 67th repetition.
    deep_case("nested list/dict/tuple", &mixed, Some(4 + 8 * 66 + 8));
}

#[test]
fn long_operator_chains_and_unary_towers() {
    let plus = format!("x = 1{}", "+1".repeat(DEPTH));
    deep_case("20,000 chained +", &plus, None);
    let minus = format!("x = {}1", "-".repeat(DEPTH));
    deep_case("20,000 unary -", &minus, None);
    let nots = format!("x = {}y", "not ".repeat(DEPTH));
    deep_case("20,000 not", &nots, None);
    let attrs = format!("x = a{}", ".b".repeat(DEPTH));
    deep_case("20,000 attributes", &attrs, None);
    let subscripts = format!("x = a{}", "[0]".repeat(DEPTH));
    deep_case("20,000 subscripts", &subscripts, None);
    let lambdas = format!("x = {}1", "lambda: ".repeat(DEPTH));
    deep_case("20,000 lambdas", &lambdas, None);
    let conditionals = format!("x = {}1", "1 if a else ".repeat(DEPTH));
    deep_case("20,000 conditional expressions", &conditionals, None);
    let strings = format!("x = {}", "'a' ".repeat(DEPTH));
    deep_case("20,000 concatenated strings", &strings, None);
}

#[test]
fn deep_indentation() {
    let nested = |levels: usize| -> String {
        let mut text = String::from("from typing import Optional\n");
        for i in 0..levels {
            text.push_str(&" ".repeat(i));
            text.push_str("if a:\n");
        }
        text.push_str(&" ".repeat(levels));
        text.push_str("z: Optional[int] = None\n");
        text
    };
    let dir = case(&[
        ("ninety_nine.py", nested(99).as_bytes()),
        ("hundred.py", nested(100).as_bytes()),
        ("thousand.py", nested(1000).as_bytes()),
    ]);
    let r = check(dir.path(), &[], "deep indentation");
    // CPython takes 99 levels and refuses the 100th.
    assert_eq!(r.codes("ninety_nine.py"), ["TYP001"]);
    r.expect(
        "hundred.py",
        "SYN001",
        102,
        101,
        "too many levels of indentation",
    );
    assert!(r.codes("thousand.py").contains(&"SYN001".to_owned()));
    r.ok_reported("ok.py");
}

// ---------------------------------------------------------------- syntax

#[test]
fn unterminated_strings() {
    let single = "s = 'abc\nfrom typing import Optional\ny: Optional[int] = None\n";
    let triple = "x = 1\ns = \"\"\"abc\n\ny = 2\n";
    let at_eof = "s = \"abc";
    let dir = case(&[
        ("single.py", single.as_bytes()),
        ("triple.py", triple.as_bytes()),
        ("at_eof.py", at_eof.as_bytes()),
    ]);
    let r = check(dir.path(), &[], "unterminated strings");
    r.expect("single.py", "SYN001", 1, 5, "unterminated string literal");
    // The rest of the file still parses and is checked.
    r.expect("single.py", "TYP001", 3, 4, "int | None");
    r.expect(
        "triple.py",
        "SYN001",
        2,
        5,
        "unterminated triple-quoted string literal",
    );
    r.expect("at_eof.py", "SYN001", 1, 5, "unterminated string literal");
    r.ok_reported("ok.py");
}

#[test]
fn python2_syntax_is_a_syntax_error() {
    let cases: &[(&str, &str, u64, u64, &str)] = &[
        (
            "print_stmt.py",
            "x = 1\nprint \"x\"\n",
            2,
            1,
            "`print` statement",
        ),
        (
            "except_comma.py",
            "try:\n    pass\nexcept ValueError, e:\n    pass\n",
            3,
            8,
            "Python 2",
        ),
        ("backticks.py", "x = `y`\n", 1, 5, "backticks"),
        ("octal.py", "mode = 0777\n", 1, 8, "leading zeros"),
        ("long_int.py", "n = 10L\n", 1, 5, "long integer"),
        ("diamond.py", "if a <> b:\n    pass\n", 1, 6, "`<>`"),
        ("exec_stmt.py", "exec \"code\"\n", 1, 1, "`exec` statement"),
        ("exec_in.py", "exec code in ns\n", 1, 1, "`exec` statement"),
        (
            "raise_comma.py",
            "raise ValueError, \"bad\"\n",
            1,
            7,
            "raise E(value)",
        ),
        ("ur_prefix.py", "s = ur\"abc\"\n", 1, 5, "string prefix"),
        (
            "tuple_param.py",
            "def f(a, (b, c)):\n    pass\n",
            1,
            10,
            "tuple parameters",
        ),
        (
            "tuple_lambda.py",
            "f = lambda (x, y): x\n",
            1,
            12,
            "tuple parameters",
        ),
    ];
    let files: Vec<(&str, &[u8])> = cases
        .iter()
        .map(|(name, text, ..)| (*name, text.as_bytes()))
        .collect();
    let mut files = files;
    // Valid Python 3 that looks like the above.
    let valid = "import sys\n\
        print >> sys.stderr, \"x\"\n\
        print(\"x\")\n\
        exec(\"code\")\n\
        mode = 0o777 + 00 + 0_0 + 0777j + 0777.5\n\
        s = rb\"a\" + Rb\"b\" + BR\"c\" + f\"{mode}\" + u\"x\"\n\
        try:\n    pass\nexcept (ValueError, TypeError) as e:\n    raise ValueError(\"bad\") from e\n\
        f = lambda x, y=(1, 2): x\n\
        def g(a, b=(1, 2), *args, **kw):\n    return a != b\n";
    files.push(("valid3.py", valid.as_bytes()));
    let dir = case(&files);
    let r = check(dir.path(), &[], "Python 2 syntax");
    for (name, _, line, column, words) in cases {
        r.expect(name, "SYN001", *line, *column, words);
    }
    r.clean("valid3.py");
    r.ok_reported("ok.py");
}

#[test]
fn bracket_errors_are_explained() {
    let never_closed = "x = foo(1,\n    2\ny = 3\n";
    let mismatch = "x = (1]\n";
    let unmatched = "x = 1)\ny = 2\n";
    let dir = case(&[
        ("never_closed.py", never_closed.as_bytes()),
        ("mismatch.py", mismatch.as_bytes()),
        ("unmatched.py", unmatched.as_bytes()),
    ]);
    let r = check(dir.path(), &[], "brackets");
    r.expect("never_closed.py", "SYN001", 1, 8, "'(' was never closed");
    r.expect("mismatch.py", "SYN001", 1, 7, "']' does not match");
    r.expect("unmatched.py", "SYN001", 1, 6, "unmatched ')'");
    r.ok_reported("ok.py");
}

/// A syntax error puts ERROR nodes (kind id 65535, outside the grammar's
/// kind tables) in the tree; with `fortress:` in the file the walk also looks
/// each node up in the statement table. That lookup panicked (found by the
/// fuzz harness, `tests/fuzz.rs`).
#[test]
fn suppressions_in_code_that_does_not_parse() {
    let no_reason = "x = )\n# fortress: ignore[SEC001]\n";
    let unused = "x = )\ny = 1  # fortress: ignore[SEC001] -- r\n";
    let file_level = "# fortress: ignore-file[TYP001] -- r\ndef f(:\n    pass\n";
    let dir = case(&[
        ("no_reason.py", no_reason.as_bytes()),
        ("unused.py", unused.as_bytes()),
        ("file_level.py", file_level.as_bytes()),
    ]);
    let r = check(dir.path(), &[], "suppressions in broken code");
    r.expect("no_reason.py", "SYN001", 1, 5, "unmatched ')'");
    r.expect("no_reason.py", "SUP003", 2, 1, "gives no reason");
    r.expect("unused.py", "SYN001", 1, 5, "unmatched ')'");
    r.expect(
        "unused.py",
        "SUP004",
        2,
        8,
        "matches no finding on this line",
    );
    r.expect("file_level.py", "SYN001", 2, 6, "'(' was never closed");
    r.expect(
        "file_level.py",
        "SUP004",
        1,
        1,
        "matches no finding in this file",
    );
    r.ok_reported("ok.py");
}

#[test]
fn control_characters_do_not_reach_the_terminal() {
    let text = "from typing import Optional\nx = '\x1b[31mred\x1b[0m'; y: Optional[int] = None\n";
    let dir = case(&[("escape.py", text.as_bytes())]);
    // `check` asserts that the text report has no escape character.
    let r = check(dir.path(), &[], "escape sequences");
    let (line, column) = locate(text, "Optional[int]");
    r.expect("escape.py", "TYP001", line, column, "int | None");
    r.ok_reported("ok.py");
}

// ---------------------------------------------------------------- filesystem

#[test]
fn directory_named_like_a_python_file_is_walked() {
    let dir = case(&[("x.py/inner.py", OK_FILE.as_bytes())]);
    let r = check(dir.path(), &[], "directory x.py");
    r.ok_reported("x.py/inner.py");
    r.clean("x.py");
    r.ok_reported("ok.py");
    let r = check(dir.path(), &["x.py"], "directory x.py named explicitly");
    r.ok_reported("x.py/inner.py");
    assert_eq!(r.diagnostics().len(), 1);
}

fn make_fifo(path: &Path) -> bool {
    Command::new("mkfifo")
        .arg(path)
        .status()
        .is_ok_and(|s| s.success())
}

#[test]
fn named_pipes_are_reported_not_opened() {
    let dir = case(&[]);
    if !make_fifo(&dir.path().join("y.py")) {
        eprintln!("note: mkfifo is not available; named pipe case skipped");
        return;
    }
    let r = check(dir.path(), &[], "FIFO in a walked directory");
    r.expect("y.py", "SYN002", 1, 1, "not a regular file");
    r.ok_reported("ok.py");
    let r = check(dir.path(), &["y.py", "ok.py"], "FIFO named explicitly");
    r.expect("y.py", "SYN002", 1, 1, "named pipe");
    r.ok_reported("ok.py");
}

#[cfg(unix)]
#[test]
fn symlink_loop_is_reported_once() {
    let dir = case(&[("pkg/mod.py", b"x = 1\n")]);
    std::os::unix::fs::symlink("..", dir.path().join("pkg/loop")).expect("symlink");
    std::os::unix::fs::symlink("self.py", dir.path().join("self.py")).expect("symlink");
    let r = check(dir.path(), &[], "symlink loop");
    let warnings = r.stderr.matches("symbolic link loop").count();
    assert_eq!(warnings, 1, "stderr:\n{}", r.stderr);
    let errors = r.json["errors"].as_array().map_or(0, |e| {
        e.iter()
            .filter(|e| e["message"].as_str().is_some_and(|m| m.contains("loop")))
            .count()
    });
    assert_eq!(errors, 1, "{:#}", r.json["errors"]);
    // ok.py is reported once, not once per trip around the loop.
    r.ok_reported("ok.py");
    r.clean("pkg/mod.py");
    r.expect("self.py", "SYN002", 1, 1, "symbolic link");
    assert_eq!(r.json["summary"]["files"], 3);
}

#[cfg(unix)]
#[test]
fn dangling_symlink_is_unreadable() {
    let dir = case(&[]);
    std::os::unix::fs::symlink("nowhere.py", dir.path().join("z.py")).expect("symlink");
    let r = check(dir.path(), &[], "dangling symlink");
    r.expect("z.py", "SYN002", 1, 1, "dangling symbolic link");
    r.ok_reported("ok.py");
    let r = check(
        dir.path(),
        &["z.py", "ok.py"],
        "dangling symlink named explicitly",
    );
    r.expect("z.py", "SYN002", 1, 1, "dangling symbolic link");
    r.ok_reported("ok.py");
}

#[cfg(unix)]
#[test]
fn unreadable_file_is_reported() {
    use std::os::unix::fs::PermissionsExt;
    let dir = case(&[("secret.py", OK_FILE.as_bytes())]);
    let secret = dir.path().join("secret.py");
    fs::set_permissions(&secret, fs::Permissions::from_mode(0o000)).expect("chmod 000");
    let readable_anyway = fs::read(&secret).is_ok();
    let r = check(dir.path(), &[], "permission 000");
    if readable_anyway {
        // Root (or a capability) reads through mode 000: nothing to report.
        eprintln!(
            "note: running with privileges that ignore mode 000; the SYN002 assertion is skipped"
        );
        r.ok_reported("secret.py");
    } else {
        r.expect("secret.py", "SYN002", 1, 1, "permission denied");
    }
    r.ok_reported("ok.py");
    fs::set_permissions(&secret, fs::Permissions::from_mode(0o644)).expect("chmod back");
}

#[cfg(unix)]
#[test]
fn file_names_that_are_not_utf8_or_carry_control_characters() {
    use std::os::unix::ffi::OsStrExt;
    let dir = case(&[]);
    for name in [&b"bad\xff.py"[..], b"new\nline\x1b[31m.py"] {
        let path = dir.path().join(std::ffi::OsStr::from_bytes(name));
        fs::write(path, OK_FILE).expect("write oddly named file");
    }
    let r = check(dir.path(), &[], "odd file names");
    // A name that is not UTF-8 cannot be annotated faithfully: reported with
    // its bytes escaped, never mangled into U+FFFD and never read.
    r.expect("bad\\xff.py", "SYN002", 1, 1, "not valid UTF-8");
    r.ok_reported("new\nline\x1b[31m.py");
    r.ok_reported("ok.py");
}

#[test]
fn oversized_file_is_reported_without_reading_it() {
    let dir = case(&[]);
    // Sparse: 65 MiB of length, nothing written, nothing read.
    let file = fs::File::create(dir.path().join("huge.py")).expect("create huge.py");
    file.set_len(65 * 1024 * 1024).expect("set length");
    drop(file);
    let r = check(dir.path(), &[], "65 MiB file");
    // A regular file nobody checked is a blocker: the gate never passes it.
    r.expect("huge.py", "SYN003", 1, 1, "more than the 10 MiB");
    assert_eq!(r.json["verdict"], "FAIL");
    r.ok_reported("ok.py");
}

#[test]
fn max_file_size_sets_the_cap() {
    let dir = case(&[("big.py", b"x = 1\n")]);
    let r = check(dir.path(), &["--max-file-size", "4"], "tiny cap");
    r.expect("big.py", "SYN003", 1, 1, "more than the 4 bytes");
    let r = check(dir.path(), &["--max-file-size", "1KiB"], "1 KiB cap");
    r.clean("big.py");
    let run = run_fortress(dir.path(), &["--max-file-size", "65MiB"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("more than the 64 MiB"),
        "{}",
        run.stderr
    );
}

#[test]
fn empty_and_comment_only_files_are_clean() {
    let dir = case(&[
        ("empty.py", b""),
        ("bom_only.py", b"\xef\xbb\xbf"),
        ("comments.py", b"# just a comment\n# another\n"),
        (
            "bom_comments.py",
            b"\xef\xbb\xbf# -*- coding: utf-8 -*-\n# hi\n",
        ),
        ("blank.py", b"\n\n   \n\t\n"),
        ("newline_only.pyi", b"\n"),
    ]);
    let r = check(dir.path(), &[], "empty files");
    for name in [
        "empty.py",
        "bom_only.py",
        "comments.py",
        "bom_comments.py",
        "blank.py",
        "newline_only.pyi",
    ] {
        r.clean(name);
    }
    r.ok_reported("ok.py");
    assert_eq!(r.json["summary"]["files"], 7);
    assert_eq!(r.code, 0);
}

#[test]
fn missing_path_is_a_usage_error() {
    let dir = case(&[]);
    let run = run_fortress(dir.path(), &["does_not_exist.py"]);
    assert_eq!(run.code, 2, "stderr:\n{}", run.stderr);
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "stderr:\n{}", run.stderr);
    assert!(
        lines[0].contains("does_not_exist.py") && lines[0].contains("no such file"),
        "{}",
        lines[0]
    );
    assert!(run.stdout.is_empty());
}

/// Guard against a silent pass: `ok.py` alone gives exactly its finding.
#[test]
fn baseline() {
    let dir = case(&[]);
    let r = check(dir.path(), &[], "baseline");
    r.ok_reported("ok.py");
    assert_eq!(r.diagnostics().len(), 1);
    assert_eq!(r.code, 0);
}
