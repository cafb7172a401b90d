//! What the wheel, the pre-commit hook and the GitHub Action rely on:
//! `--version`, `required-version`, `--force-exclude`. (The wheel itself is
//! built and run by `scripts/install_test.sh`, from `.ci/run`.)

mod common;

use common::{fortress, write};

const FINDING: &str = "from typing import Optional\nx: Optional[int] = None\n";

#[test]
fn version_is_printed() {
    let dir = tempfile::tempdir().unwrap();
    let run = fortress(dir.path(), &["--version"]);
    assert_eq!(run.code, 0);
    assert_eq!(
        run.stdout,
        format!("fortress {}\n", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn required_version_stops_a_run_it_does_not_admit() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "m.py", FINDING);
    write(
        dir.path(),
        "pyproject.toml",
        "[tool.fortress]\nrequired-version = \">=99\"\n",
    );
    for args in [&["check"][..], &["baseline", "write"], &["layers"]] {
        let run = fortress(dir.path(), args);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
        assert!(
            run.stderr.starts_with(&format!(
                "fortress: pyproject.toml:2:20: error: `required-version`: this project requires fortress >=99, but this is fortress {}",
                env!("CARGO_PKG_VERSION")
            )),
            "{}",
            run.stderr
        );
    }
    assert!(!dir.path().join("fortress-baseline.json").exists());
    write(
        dir.path(),
        "pyproject.toml",
        &format!(
            "[tool.fortress]\nrequired-version = \"{}\"\n",
            env!("CARGO_PKG_VERSION")
        ),
    );
    let run = fortress(dir.path(), &["check", "-q"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("1 warning"), "{}", run.stdout);
}

#[test]
fn force_exclude_applies_the_exclusions_to_named_paths() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "fortress.toml",
        "extend-exclude = [\"generated\"]\n",
    );
    write(dir.path(), "app/generated/m.py", FINDING);
    write(dir.path(), "app/m.py", FINDING);
    let files = ["app/generated/m.py", "app/m.py"];
    let run = |extra: &[&str]| {
        let mut args = vec!["check", "--format", "json"];
        args.extend(extra);
        args.extend(files);
        fortress(dir.path(), &args)
    };
    // Named paths are always checked...
    assert_eq!(run(&[]).paths(), files);
    // ...unless --force-exclude (what the pre-commit hook passes).
    let forced = run(&["--force-exclude"]);
    assert_eq!(forced.paths(), ["app/m.py"]);
    assert_eq!(forced.json()["summary"]["excluded"], 1);
    // Only excluded files: no "no Python files found" warning.
    let only = fortress(
        dir.path(),
        &["check", "-q", "--force-exclude", "app/generated/m.py"],
    );
    assert_eq!(only.code, 0);
    assert!(!only.stderr.contains("no Python files"), "{}", only.stderr);
    // The configuration key does the same.
    write(
        dir.path(),
        "fortress.toml",
        "extend-exclude = [\"generated\"]\nforce-exclude = true\n",
    );
    assert_eq!(run(&[]).paths(), ["app/m.py"]);
}
