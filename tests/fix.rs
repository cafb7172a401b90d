//! `check --fix`, `--unsafe-fixes`, `--diff` end to end, on the before/after
//! pairs in `tests/fixes/`: `<NAME>.py` is the file before, `<NAME>.fixed.py`
//! the file `--fix` must leave. A `# fortress-fix: select=CODES [unsafe]
//! [target=pyXY] [path=REL]` line in the file says how it is run.
//! `FORTRESS_BLESS=1 cargo test --test fix` rewrites the `.fixed.py` files;
//! review the diff.

mod common;

use std::path::{Path, PathBuf};

use common::{fortress, repo_root, write, Run};

fn fixes_dir() -> PathBuf {
    repo_root().join("tests/fixes")
}

struct Pair {
    name: String,
    before: Vec<u8>,
    after_path: PathBuf,
    select: String,
    unsafe_fixes: bool,
    target: Option<String>,
    rel: String,
}

fn pairs() -> Vec<Pair> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(fixes_dir()).expect("tests/fixes") {
        let path = entry.expect("entry").path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let Some(stem) = name.strip_suffix(".py") else {
            continue;
        };
        if stem.ends_with(".fixed") {
            continue;
        }
        let before = std::fs::read(&path).expect("read before");
        let text = String::from_utf8_lossy(&before).into_owned();
        let line = text
            .lines()
            .find_map(|l| l.strip_prefix("# fortress-fix:"))
            .unwrap_or_else(|| panic!("{name}: no `# fortress-fix:` line"));
        let word = |key: &str| {
            line.split_whitespace()
                .find_map(|w| w.strip_prefix(key))
                .map(str::to_owned)
        };
        out.push(Pair {
            name: stem.to_owned(),
            after_path: fixes_dir().join(format!("{stem}.fixed.py")),
            select: word("select=").unwrap_or_else(|| panic!("{name}: no select=")),
            unsafe_fixes: line.split_whitespace().any(|w| w == "unsafe"),
            target: word("target="),
            rel: word("path=").unwrap_or_else(|| format!("{stem}.py")),
            before,
        });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

fn args<'a>(pair: &'a Pair, mode: &'a str, unsafe_fixes: bool) -> Vec<&'a str> {
    let mut a = vec!["check", mode, "--isolated", "--select", &pair.select];
    if unsafe_fixes {
        a.push("--unsafe-fixes");
    }
    if let Some(t) = &pair.target {
        a.extend(["--target-version", t]);
    }
    a.push(".");
    a
}

fn setup(pair: &Pair, bytes: &[u8]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join(&pair.rel);
    std::fs::create_dir_all(file.parent().unwrap()).expect("mkdir");
    std::fs::write(&file, bytes).expect("write before");
    (dir, file)
}

fn context(run: &Run) -> String {
    format!("stdout:\n{}\nstderr:\n{}", run.stdout, run.stderr)
}

#[test]
fn every_fixable_rule_has_a_before_after_pair() {
    let run = fortress(&repo_root(), &["rules", "--format", "json"]);
    let rules: serde_json::Value = run.json();
    let fixable: Vec<&str> = rules
        .as_array()
        .expect("array")
        .iter()
        .filter(|r| r["fixable"] == true)
        .map(|r| r["code"].as_str().expect("code"))
        .collect();
    assert_eq!(fixable, ["SUP002", "SUP004", "TST004", "TYP001"]);
    let pairs = pairs();
    for code in fixable {
        assert!(
            pairs
                .iter()
                .any(|p| p.name.starts_with(code) && p.after_path.exists()),
            "{code} is fixable but tests/fixes/ has no {code}*.py with its .fixed.py"
        );
    }
}

#[test]
fn fix_turns_each_before_into_its_after_and_a_second_fix_changes_nothing() {
    let bless = std::env::var_os("FORTRESS_BLESS").is_some();
    let mut failures = Vec::new();
    for pair in pairs() {
        // --diff shows the change, exits 1 and writes nothing.
        let (dir, file) = setup(&pair, &pair.before);
        let diff = fortress(dir.path(), &args(&pair, "--diff", pair.unsafe_fixes));
        assert_eq!(diff.code, 1, "{}: --diff\n{}", pair.name, context(&diff));
        assert!(
            diff.stdout
                .starts_with(&format!("--- a/{}\n+++ b/{}\n@@ ", pair.rel, pair.rel)),
            "{}: --diff is not a unified diff\n{}",
            pair.name,
            context(&diff)
        );
        assert_eq!(
            std::fs::read(&file).unwrap(),
            pair.before,
            "{}: --diff wrote",
            pair.name
        );

        let fixed = fortress(dir.path(), &args(&pair, "--fix", pair.unsafe_fixes));
        assert!(
            fixed.stderr.contains("fortress: fixed "),
            "{}\n{}",
            pair.name,
            context(&fixed)
        );
        let after = std::fs::read(&file).unwrap();
        if bless {
            std::fs::write(&pair.after_path, &after).expect("bless");
        } else {
            match std::fs::read(&pair.after_path) {
                Ok(want) if want == after => {}
                Ok(_) => failures.push(format!(
                    "{}: --fix left\n{}\nexpected {}",
                    pair.name,
                    String::from_utf8_lossy(&after),
                    pair.after_path.display()
                )),
                Err(_) => failures.push(format!(
                    "{}: no {} (FORTRESS_BLESS=1 writes it)",
                    pair.name,
                    pair.after_path.display()
                )),
            }
        }
        // The diff --diff printed is the change --fix made.
        let mut lines = diff.stdout.lines().skip(2);
        let removed: Vec<&str> = diff
            .stdout
            .lines()
            .skip(2)
            .filter_map(|l| l.strip_prefix('-'))
            .collect();
        assert!(
            lines.any(|l| l.starts_with('+')) && !removed.is_empty(),
            "{}: the diff shows no change",
            pair.name
        );

        // Idempotent: nothing is left to fix.
        let again = fortress(dir.path(), &args(&pair, "--fix", pair.unsafe_fixes));
        assert!(
            !again.stderr.contains("fortress: fixed"),
            "{}: second --fix\n{}",
            pair.name,
            context(&again)
        );
        assert_eq!(
            std::fs::read(&file).unwrap(),
            after,
            "{}: second --fix changed the file",
            pair.name
        );
        let diff = fortress(dir.path(), &args(&pair, "--diff", pair.unsafe_fixes));
        assert_eq!(
            diff.code,
            0,
            "{}: --diff after --fix\n{}",
            pair.name,
            context(&diff)
        );
        assert_eq!(diff.stdout, "", "{}", pair.name);

        // Unsafe fixes wait for --unsafe-fixes.
        if pair.unsafe_fixes {
            let (dir, file) = setup(&pair, &pair.before);
            let run = fortress(dir.path(), &args(&pair, "--fix", false));
            assert_eq!(
                std::fs::read(&file).unwrap(),
                pair.before,
                "{}: unsafe fixes applied",
                pair.name
            );
            assert!(
                run.stderr.contains("available with --unsafe-fixes"),
                "{}\n{}",
                pair.name,
                context(&run)
            );
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// The TYP001 pair, with CRLF line ends and a BOM: both survive byte for byte.
#[test]
fn crlf_and_bom_are_preserved_outside_the_edits() {
    let before = std::fs::read_to_string(fixes_dir().join("TYP001.py")).unwrap();
    let after = std::fs::read_to_string(fixes_dir().join("TYP001.fixed.py")).unwrap();
    let crlf = |s: &str| {
        let mut b = b"\xEF\xBB\xBF".to_vec();
        b.extend(s.replace('\n', "\r\n").into_bytes());
        b
    };
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("m.py"), crlf(&before)).unwrap();
    let run = fortress(
        dir.path(),
        &["check", "--fix", "--isolated", "--select", "TYP001", "m.py"],
    );
    assert!(run.stderr.contains("fortress: fixed "), "{}", context(&run));
    assert_eq!(
        std::fs::read(dir.path().join("m.py")).unwrap(),
        crlf(&after)
    );
}

#[test]
fn files_that_do_not_parse_or_are_not_utf8_are_never_rewritten() {
    let dir = tempfile::tempdir().unwrap();
    let broken = "from typing import Optional\nx: Optional[int] = None\ndef (:\n";
    write(dir.path(), "broken.py", broken);
    let latin1: &[u8] = b"# -*- coding: latin-1 -*-\nfrom typing import Optional\nx: Optional[int] = None  # caf\xe9\n";
    std::fs::write(dir.path().join("latin.py"), latin1).unwrap();
    let run = fortress(
        dir.path(),
        &[
            "check",
            "--fix",
            "--isolated",
            "--select",
            "TYP001,SYN001",
            ".",
        ],
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("broken.py")).unwrap(),
        broken
    );
    assert_eq!(std::fs::read(dir.path().join("latin.py")).unwrap(), latin1);
    assert!(
        run.stderr
            .contains("latin.py: not fixed: its encoding is not UTF-8"),
        "{}",
        context(&run)
    );
    assert!(!run.stderr.contains("fortress: fixed"), "{}", context(&run));
}

#[test]
fn fixable_and_unfixable_choose_the_rules() {
    let source = "from typing import Optional\nx: Optional[int] = None\ny = 1  # fortress: ignore[TYP001] -- stale\n";
    let run_with = |config: &str, extra: &[&str]| -> String {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "m.py", source);
        write(dir.path(), "fortress.toml", config);
        let mut a = vec!["check", "--fix", "--select", "TYP001,SUP004"];
        a.extend(extra);
        a.push(".");
        let run = fortress(dir.path(), &a);
        assert_ne!(run.code, 2, "{}", context(&run));
        std::fs::read_to_string(dir.path().join("m.py")).unwrap()
    };
    let typ_fixed = "x: int | None = None";
    let sup_fixed = "y = 1\n";
    let both = run_with("", &[]);
    assert!(
        both.contains(typ_fixed) && both.contains(sup_fixed),
        "{both}"
    );
    let only_sup = run_with("fixable = [\"SUP\"]\n", &[]);
    assert!(
        !only_sup.contains(typ_fixed) && only_sup.contains(sup_fixed),
        "{only_sup}"
    );
    let not_typ = run_with("unfixable = [\"TYP001\"]\n", &[]);
    assert!(
        !not_typ.contains(typ_fixed) && not_typ.contains(sup_fixed),
        "{not_typ}"
    );
    let flag = run_with("fixable = [\"SUP\"]\n", &["--fixable", "TYP001"]);
    assert!(
        flag.contains(typ_fixed) && !flag.contains(sup_fixed),
        "{flag}"
    );

    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "m.py", source);
    write(dir.path(), "fortress.toml", "unfixable = [\"NOPE9\"]\n");
    let run = fortress(dir.path(), &["check", "--fix", "."]);
    assert_eq!(run.code, 2, "{}", context(&run));
    assert!(
        run.stderr.starts_with("fortress: fortress.toml:1:"),
        "{}",
        context(&run)
    );
}

#[test]
fn fix_reports_what_remains() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "tests/test_m.py",
        "import pytest\nfrom typing import Optional\n\n\n@pytest.mark.skip\ndef test__a__b(x: Optional[int] = None) -> None:\n    assert x is None\n",
    );
    let run = fortress(
        dir.path(),
        &[
            "check",
            "--fix",
            "--isolated",
            "--select",
            "TYP001,TST004",
            "--format",
            "json",
            ".",
        ],
    );
    assert!(
        run.stderr
            .contains("fortress: fixed 1 finding in 1 file (TYP001 1)"),
        "{}",
        context(&run)
    );
    assert!(
        run.stderr
            .contains("1 more fix is available with --unsafe-fixes"),
        "{}",
        context(&run)
    );
    // The report is the one after the fix: the unsafe TST004 remains.
    assert_eq!(run.codes(), ["TST004"], "{}", context(&run));
    assert_eq!(run.code, 0);
}

fn git(dir: &Path, args: &[&str]) {
    let out = std::process::Command::new("git")
        .current_dir(dir)
        .args(args)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .expect("git");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn fix_with_since_fixes_only_what_the_change_brings() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    git(root, &["init", "-q", "-b", "main"]);
    git(root, &["config", "user.email", "t@example.com"]);
    git(root, &["config", "user.name", "t"]);
    let base = "from typing import Optional\n\nold: Optional[int] = None\n";
    write(root, "m.py", base);
    git(root, &["add", "-A"]);
    git(root, &["commit", "-qm", "base"]);
    write(root, "m.py", &format!("{base}new: Optional[str] = None\n"));
    let run = fortress(
        root,
        &[
            "check",
            "--fix",
            "--isolated",
            "--select",
            "TYP001",
            "--since",
            "HEAD",
            ".",
        ],
    );
    assert!(
        run.stderr.contains("fortress: fixed 1 finding"),
        "{}",
        context(&run)
    );
    assert_eq!(
        std::fs::read_to_string(root.join("m.py")).unwrap(),
        format!("{base}new: str | None = None\n")
    );
}

#[test]
fn fix_with_since_also_fixes_old_findings_on_edited_lines() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    git(root, &["init", "-q", "-b", "main"]);
    git(root, &["config", "user.email", "t@example.com"]);
    git(root, &["config", "user.name", "t"]);
    let base =
        "from typing import Optional\n\nkept: Optional[int] = None\nedited: Optional[int] = None\n";
    write(root, "m.py", base);
    git(root, &["add", "-A"]);
    git(root, &["commit", "-qm", "base"]);
    // The change edits the value on the last line; its annotation's finding
    // is an old one (same fingerprint), but the line is the change's.
    write(
        root,
        "m.py",
        "from typing import Optional\n\nkept: Optional[int] = None\nedited: Optional[int] = 1\n",
    );
    let run = fortress(
        root,
        &[
            "check",
            "--fix",
            "--isolated",
            "--select",
            "TYP001",
            "--since",
            "HEAD",
            ".",
        ],
    );
    assert!(
        run.stderr.contains("fortress: fixed 1 finding"),
        "{}",
        context(&run)
    );
    assert_eq!(
        std::fs::read_to_string(root.join("m.py")).unwrap(),
        "from typing import Optional\n\nkept: Optional[int] = None\nedited: int | None = 1\n"
    );
}

/// A string member: the message shows the fix's text (the union quoted as
/// a whole), never `"User" | None`, which raises TypeError when evaluated.
#[test]
fn typ001_message_quotes_the_whole_union() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "m.py",
        "from typing import Optional\n\n\ndef f(user: Optional[\"User\"], n: Optional[int]) -> None:\n    pass\n",
    );
    let run = fortress(
        dir.path(),
        &[
            "check",
            "--isolated",
            "--select",
            "TYP001",
            "--format",
            "json",
            "m.py",
        ],
    );
    assert_ne!(run.code, 2, "{}", context(&run));
    assert!(
        run.stdout
            .contains(r#"use `\"User | None\"` instead of `Optional[\"User\"]`"#),
        "{}",
        context(&run)
    );
    assert!(
        !run.stdout.contains(r#"\"User\" | None"#),
        "{}",
        context(&run)
    );
    assert!(
        run.stdout
            .contains("use `int | None` instead of `Optional[int]`"),
        "{}",
        context(&run)
    );
}
