//! Golden files: the demo backend in every output format, byte for byte.
//! Regenerate with `FORTRESS_BLESS=1 cargo test --test golden` and review the diff.

mod common;

use common::{fortress, normalize_version, repo_root};

const PROJECT: &str = "fixtures/projects/demo_shop";

fn golden(format: &str, extension: &str) {
    let run = fortress(
        &repo_root(),
        &["check", PROJECT, "--no-color", "--format", format],
    );
    assert_eq!(
        run.code, 0,
        "the demo is a CONDITIONAL PASS; stderr:\n{}",
        run.stderr
    );
    assert!(run.stderr.is_empty(), "stderr:\n{}", run.stderr);
    let actual = normalize_version(&run.stdout);
    let path = repo_root()
        .join("tests/golden")
        .join(format!("demo_shop.{extension}"));
    if std::env::var_os("FORTRESS_BLESS").is_some() {
        std::fs::write(&path, &actual).expect("write golden file");
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; run with FORTRESS_BLESS=1 to create it",
            path.display()
        )
    });
    if actual != expected {
        let first = actual
            .lines()
            .zip(expected.lines())
            .position(|(a, e)| a != e)
            .unwrap_or_else(|| actual.lines().count().min(expected.lines().count()));
        panic!(
            "{} differs from the output, first at line {}:\n  want: {:?}\n  got:  {:?}\n\
             If the change is intended, run `FORTRESS_BLESS=1 cargo test --test golden` and review the diff.",
            path.display(),
            first + 1,
            expected.lines().nth(first),
            actual.lines().nth(first),
        );
    }
}

#[test]
fn text() {
    golden("text", "txt");
}

#[test]
fn json() {
    golden("json", "json");
}

#[test]
fn sarif() {
    golden("sarif", "sarif");
}

#[test]
fn github() {
    golden("github", "github");
}

#[test]
fn golden_files_hold_no_machine_specific_text() {
    let cwd = repo_root();
    let cwd = cwd.to_string_lossy();
    for extension in ["txt", "json", "sarif", "github"] {
        let path = repo_root()
            .join("tests/golden")
            .join(format!("demo_shop.{extension}"));
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        assert!(
            !text.contains(cwd.as_ref()),
            "{} holds {cwd}",
            path.display()
        );
        assert!(
            !text.contains("file://"),
            "{} holds a file URI",
            path.display()
        );
        assert!(
            !text.contains('\x1b'),
            "{} holds colour codes",
            path.display()
        );
        assert!(!text.contains('\r'), "{} holds CR", path.display());
    }
}
