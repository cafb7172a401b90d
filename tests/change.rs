//! The gate on a change, end to end: real git repositories in temp dirs,
//! `check --since REF` and a baseline written at the base, asserting which
//! findings are new, unchanged and updated in JSON and SARIF.

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Stdio};

use common::{fortress, write};
use serde_json::Value;

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .current_dir(dir)
        .args([
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@example.com",
            "-c",
            "init.defaultBranch=main",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .stdin(Stdio::null())
        .output()
        .expect("run git");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

const SELECT: &str = "--select=TYP001,LAY001,LAY006";

/// The base commit: findings in several files, no import cycle.
fn base_repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    git(root, &["init", "-q"]);
    for package in [
        "app",
        "app/api",
        "app/services",
        "app/repositories",
        "app/models",
    ] {
        write(root, &format!("{package}/__init__.py"), "");
    }
    write(
        root,
        "app/api/users.py",
        "from typing import Optional\nfrom fastapi import APIRouter\nfrom app.repositories.users import UserRepo\n\n\ndef get_user(user_id: Optional[int]) -> None:\n    UserRepo()\n",
    );
    write(
        root,
        "app/services/orders.py",
        "from typing import Optional\n\n\ndef total(x: Optional[int]) -> int:\n    return 1\n\n\ndef other(y: Optional[str]) -> int:\n    return 2\n",
    );
    write(
        root,
        "app/repositories/users.py",
        "class UserRepo:\n    pass\n",
    );
    write(root, "app/services/a.py", "import app.services.b\n");
    write(root, "app/services/b.py", "X = 1\n");
    write(
        root,
        "app/models/legacy.py",
        "from typing import Optional\n\n\ndef old(z: Optional[int]) -> None:\n    pass\n",
    );
    write(
        root,
        "app/models/stable.py",
        "from typing import Optional\n\n\ndef keep(k: Optional[int]) -> None:\n    pass\n",
    );
    write(
        root,
        "app/models/gone.py",
        "from typing import Optional\n\n\ndef dead(q: Optional[int]) -> None:\n    pass\n",
    );
    git(root, &["add", "-A"]);
    git(root, &["commit", "-qm", "base"]);
    dir
}

/// The change: lines moved, a file renamed, one deleted, a function body
/// edited, an offending node edited, a new finding, an import closing a cycle.
fn apply_change(root: &Path) {
    write(
        root,
        "app/api/users.py",
        "# Users.\nfrom typing import Optional\nfrom fastapi import APIRouter\n\n\nfrom app.repositories.users import UserRepo  # the repository\n\n\ndef get_user(user_id: Optional[int]) -> None:\n    # edited body\n    repo = UserRepo()\n    print(repo)\n",
    );
    write(
        root,
        "app/services/orders.py",
        "from typing import Optional\n\n\ndef total(x: Optional[float]) -> int:\n    return 1\n\n\ndef other(y: Optional[str]) -> int:\n    return 2\n\n\ndef extra(w: Optional[bytes]) -> int:\n    return 3\n",
    );
    write(
        root,
        "app/services/b.py",
        "import app.services.a\n\nX = 1\n",
    );
    git(
        root,
        &["mv", "app/models/legacy.py", "app/models/archive.py"],
    );
    git(root, &["rm", "-q", "app/models/gone.py"]);
}

/// (path, code, state, function) of each JSON diagnostic.
fn states(report: &Value) -> BTreeSet<(String, String, String, u64)> {
    report["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .map(|d| {
            (
                d["path"].as_str().unwrap_or("").to_owned(),
                d["code"].as_str().unwrap_or("").to_owned(),
                d["baseline_state"].as_str().unwrap_or("none").to_owned(),
                d["line"].as_u64().unwrap_or(0),
            )
        })
        .collect()
}

fn set(items: &[(&str, &str, &str, u64)]) -> BTreeSet<(String, String, String, u64)> {
    items
        .iter()
        .map(|(p, c, s, l)| ((*p).to_owned(), (*c).to_owned(), (*s).to_owned(), *l))
        .collect()
}

/// (uri, ruleId, baselineState) of each SARIF result.
fn sarif_states(report: &Value) -> BTreeSet<(String, String, String)> {
    report["runs"][0]["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| {
            (
                r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                    .as_str()
                    .unwrap_or("")
                    .to_owned(),
                r["ruleId"].as_str().unwrap_or("").to_owned(),
                r["baselineState"].as_str().unwrap_or("none").to_owned(),
            )
        })
        .collect()
}

#[test]
fn since_marks_new_unchanged_and_updated_findings() {
    let repo = base_repo();
    let root = repo.path();
    apply_change(root);
    let run = fortress(
        root,
        &["check", SELECT, "--since", "HEAD", "--format", "json"],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let json = run.json();
    assert_eq!(
        states(&json),
        set(&[
            ("app/api/users.py", "LAY001", "unchanged", 6),
            ("app/api/users.py", "TYP001", "unchanged", 9),
            // renamed: the base finding follows the file
            ("app/models/archive.py", "TYP001", "unchanged", 4),
            ("app/models/stable.py", "TYP001", "unchanged", 4),
            // the cycle is reported in a.py, which the change did not touch
            ("app/services/a.py", "LAY006", "new", 1),
            ("app/services/orders.py", "TYP001", "updated", 4),
            ("app/services/orders.py", "TYP001", "unchanged", 8),
            ("app/services/orders.py", "TYP001", "new", 12),
        ])
    );
    let summary = &json["summary"];
    assert_eq!(summary["new"]["warning"], 2, "{summary}");
    assert_eq!(summary["new"]["blocker"], 0, "{summary}");
    assert_eq!(summary["updated"], 1, "{summary}");
    assert_eq!(summary["unchanged"], 5, "{summary}");
    assert_eq!(summary["fixed"], 1, "{summary}");
    assert_eq!(
        summary["blocker"], 1,
        "totals count every finding: {summary}"
    );
    // The pre-existing blocker (LAY001) does not fail the change.
    assert_eq!(json["verdict"], "CONDITIONAL_PASS");

    let sarif = fortress(
        root,
        &[
            "check",
            SELECT,
            "--since",
            "HEAD",
            "--format",
            "sarif",
            "--report-fixed",
        ],
    );
    let sarif: Value = serde_json::from_str(&sarif.stdout).expect("SARIF");
    let got = sarif_states(&sarif);
    let want: BTreeSet<(String, String, String)> = [
        ("app/api/users.py", "LAY001", "unchanged"),
        ("app/api/users.py", "TYP001", "unchanged"),
        ("app/models/archive.py", "TYP001", "unchanged"),
        ("app/models/stable.py", "TYP001", "unchanged"),
        ("app/services/a.py", "LAY006", "new"),
        ("app/services/orders.py", "TYP001", "updated"),
        ("app/services/orders.py", "TYP001", "unchanged"),
        ("app/services/orders.py", "TYP001", "new"),
        ("app/models/gone.py", "TYP001", "absent"),
    ]
    .iter()
    .map(|(a, b, c)| ((*a).to_owned(), (*b).to_owned(), (*c).to_owned()))
    .collect();
    assert_eq!(got, want);
    let results = sarif["runs"][0]["results"].as_array().expect("results");
    assert_eq!(results.len(), 9);
    assert!(results
        .iter()
        .all(|r| r["baselineState"] == "absent" || r["partialFingerprints"].is_object()));

    // Text: new and updated findings shown, the rest counted.
    let text = fortress(root, &["check", SELECT, "--since", "HEAD", "--no-color"]);
    assert!(
        text.stdout
            .contains("Found 3 new findings in 2 of 12 files"),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout
            .contains("5 pre-existing findings (4 in files the change touches) hidden"),
        "{}",
        text.stdout
    );
    assert!(!text.stdout.contains("LAY001"), "{}", text.stdout);
    let all = fortress(
        root,
        &[
            "check",
            SELECT,
            "--since",
            "HEAD",
            "--no-color",
            "--show-existing",
        ],
    );
    assert!(all.stdout.contains("LAY001"), "{}", all.stdout);

    // GitHub: new and updated only.
    let github = fortress(
        root,
        &["check", SELECT, "--since", "HEAD", "--format", "github"],
    );
    assert_eq!(github.stdout.lines().count(), 3, "{}", github.stdout);
}

#[test]
fn a_baseline_written_at_the_base_gives_the_same_states() {
    let repo = base_repo();
    let root = repo.path();
    let write = fortress(root, &["baseline", "write", SELECT]);
    assert_eq!(write.code, 0, "{}", write.stderr);
    assert!(
        write.stderr.contains("wrote 7 findings"),
        "{}",
        write.stderr
    );
    let first = std::fs::read(root.join("fortress-baseline.json")).expect("baseline");
    // Deterministic: the same bytes again, whatever the threads.
    fortress(root, &["baseline", "write", SELECT, "--threads", "1"]);
    assert_eq!(
        std::fs::read(root.join("fortress-baseline.json")).expect("baseline"),
        first
    );
    std::fs::rename(
        root.join("fortress-baseline.json"),
        root.join("../keep.json"),
    )
    .ok();
    let kept = root.parent().expect("parent").join("keep.json");
    apply_change(root);
    let kept_arg = kept.to_string_lossy().into_owned();
    let run = fortress(
        root,
        &["check", SELECT, "--baseline", &kept_arg, "--format", "json"],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let json = run.json();
    // The rename is followed from the commit the baseline records: the
    // moved file's finding is unchanged; only the deleted file's is stale.
    let want_states = set(&[
        ("app/api/users.py", "LAY001", "unchanged", 6),
        ("app/api/users.py", "TYP001", "unchanged", 9),
        ("app/models/archive.py", "TYP001", "unchanged", 4),
        ("app/models/stable.py", "TYP001", "unchanged", 4),
        ("app/services/a.py", "LAY006", "new", 1),
        ("app/services/orders.py", "TYP001", "updated", 4),
        ("app/services/orders.py", "TYP001", "unchanged", 8),
        ("app/services/orders.py", "TYP001", "new", 12),
    ]);
    assert_eq!(states(&json), want_states);
    assert_eq!(json["summary"]["fixed"], 1);
    assert!(
        run.stderr.contains("1 baseline entry") && run.stderr.contains("prune"),
        "{}",
        run.stderr
    );
    let sarif = fortress(
        root,
        &[
            "check",
            SELECT,
            "--baseline",
            &kept_arg,
            "--format",
            "sarif",
            "--report-fixed",
        ],
    );
    let sarif: Value = serde_json::from_str(&sarif.stdout).expect("SARIF");
    // SARIF: the same states, and the deleted file's entry `absent`.
    let mut want_sarif: BTreeSet<(String, String, String)> = want_states
        .iter()
        .map(|(p, c, st, _)| (p.clone(), c.clone(), st.clone()))
        .collect();
    want_sarif.insert((
        "app/models/gone.py".to_owned(),
        "TYP001".to_owned(),
        "absent".to_owned(),
    ));
    assert_eq!(sarif_states(&sarif), want_sarif);
    assert_eq!(
        sarif["runs"][0]["results"].as_array().map(Vec::len),
        Some(9)
    );

    // Committed, the rename is still followed (the diff runs from the
    // baseline's commit, not from HEAD).
    git(root, &["add", "-A"]);
    git(root, &["commit", "-qm", "change"]);
    let run = fortress(
        root,
        &["check", SELECT, "--baseline", &kept_arg, "--format", "json"],
    );
    assert_eq!(states(&run.json()), want_states, "{}", run.stdout);

    // Prune removes exactly the stale entry, and keeps the renamed file's.
    let prune = fortress(root, &["baseline", "prune", &kept_arg, SELECT]);
    assert_eq!(prune.code, 0, "{}", prune.stderr);
    assert!(prune.stderr.contains("removed 1 of 7"), "{}", prune.stderr);
    let pruned: Value =
        serde_json::from_slice(&std::fs::read(&kept).expect("pruned")).expect("json");
    assert_eq!(pruned["entries"].as_array().map(Vec::len), Some(6));
    assert!(pruned["commit"].is_string(), "{pruned}");
    let again = fortress(root, &["baseline", "prune", &kept_arg, SELECT]);
    assert!(again.stderr.contains("removed 0 of 6"), "{}", again.stderr);
    let _ = std::fs::remove_file(&kept);
}

/// Without a commit to diff from (a baseline written outside git, or at a
/// commit rebased away), a renamed file is recognised by its findings.
#[test]
fn a_baseline_without_a_commit_follows_renames_by_content() {
    let repo = base_repo();
    let root = repo.path();
    assert_eq!(fortress(root, &["baseline", "write", SELECT]).code, 0);
    let path = root.join("fortress-baseline.json");
    let text = std::fs::read_to_string(&path).expect("baseline");
    assert!(text.contains("\"commit\": \""), "{text}");
    let head = git(root, &["rev-parse", "HEAD"]);
    assert!(text.contains(&head), "{text}");
    for commit in [None, Some("0123456789abcdef0123456789abcdef01234567")] {
        let lines: Vec<String> = text
            .lines()
            .filter_map(
                |l| match (l.trim_start().starts_with("\"commit\""), commit) {
                    (false, _) => Some(l.to_owned()),
                    (true, None) => None,
                    (true, Some(c)) => Some(format!("  \"commit\": \"{c}\",")),
                },
            )
            .collect();
        std::fs::write(root.join("b.json"), lines.join("\n")).expect("write");
        git(root, &["reset", "-q", "--hard"]);
        // Renamed, with a finding added: that one is new, the rest unchanged.
        git(
            root,
            &["mv", "app/services/orders.py", "app/services/billing.py"],
        );
        let moved = std::fs::read_to_string(root.join("app/services/billing.py")).expect("read");
        write(
            root,
            "app/services/billing.py",
            &format!("{moved}\n\ndef more(v: Optional[int]) -> int:\n    return 4\n"),
        );
        let run = fortress(
            root,
            &["check", SELECT, "--baseline", "b.json", "--format", "json"],
        );
        let json = run.json();
        let billing: Vec<(String, String, String, u64)> = states(&json)
            .into_iter()
            .filter(|s| s.0 == "app/services/billing.py")
            .collect();
        assert_eq!(
            billing,
            set(&[
                ("app/services/billing.py", "TYP001", "unchanged", 4),
                ("app/services/billing.py", "TYP001", "unchanged", 8),
                ("app/services/billing.py", "TYP001", "new", 12),
            ])
            .into_iter()
            .collect::<Vec<_>>(),
            "{commit:?}: {}",
            run.stdout
        );
        assert_eq!(json["summary"]["fixed"], 0, "{commit:?}: {}", run.stdout);
        // A copy (the old file still there) is no rename: its findings are new.
        git(root, &["reset", "-q", "--hard"]);
        std::fs::copy(
            root.join("app/services/orders.py"),
            root.join("app/services/copy.py"),
        )
        .expect("copy");
        let run = fortress(
            root,
            &["check", SELECT, "--baseline", "b.json", "--format", "json"],
        );
        let copy: BTreeSet<_> = states(&run.json())
            .into_iter()
            .filter(|s| s.0 == "app/services/copy.py")
            .map(|s| s.2)
            .collect();
        assert_eq!(copy, BTreeSet::from(["new".to_owned()]), "{}", run.stdout);
        std::fs::remove_file(root.join("app/services/copy.py")).expect("rm");
    }
}

#[test]
fn a_baseline_survives_reformatting() {
    let repo = base_repo();
    let root = repo.path();
    assert_eq!(fortress(root, &["baseline", "write", SELECT]).code, 0);
    // Lines shifted, blank lines and comments added, spacing changed.
    for rel in [
        "app/api/users.py",
        "app/services/orders.py",
        "app/models/legacy.py",
    ] {
        let path = root.join(rel);
        let text = std::fs::read_to_string(&path).expect("read");
        let reformatted = format!(
            "# header comment\n\n\n{}",
            text.replace("Optional[", "Optional[ ")
                .replace(") -> ", ")  ->  ")
                .replace("\n\n\ndef", "\n\n\n# a function\n\ndef")
        );
        std::fs::write(&path, reformatted).expect("write");
    }
    let run = fortress(
        root,
        &[
            "check",
            SELECT,
            "--baseline",
            "fortress-baseline.json",
            "--format",
            "json",
        ],
    );
    let json = run.json();
    assert_eq!(json["summary"]["new"]["warning"], 0, "{}", run.stdout);
    assert_eq!(json["summary"]["new"]["blocker"], 0, "{}", run.stdout);
    assert_eq!(json["summary"]["updated"], 0, "{}", run.stdout);
    assert_eq!(json["summary"]["unchanged"], 7, "{}", run.stdout);
    assert_eq!(json["verdict"], "PASS");
    assert_eq!(run.code, 0);
    // The configuration key does the same.
    write(
        root,
        "fortress.toml",
        "baseline = \"fortress-baseline.json\"\n",
    );
    let configured = fortress(root, &["check", SELECT, "--format", "json"]);
    assert_eq!(
        configured.json()["verdict"],
        "PASS",
        "{}",
        configured.stderr
    );
}

#[test]
fn identical_findings_are_counted() {
    let repo = base_repo();
    let root = repo.path();
    write(
        root,
        "app/models/twice.py",
        "from typing import Optional\n\nX: Optional[int] = None\n",
    );
    git(root, &["add", "-A"]);
    git(root, &["commit", "-qm", "one"]);
    write(
        root,
        "app/models/twice.py",
        "from typing import Optional\n\nX: Optional[int] = None\nY: Optional[int] = None\n",
    );
    let run = fortress(
        root,
        &["check", SELECT, "--since", "HEAD", "--format", "json"],
    );
    let twice: Vec<String> = run.json()["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter(|d| d["path"] == "app/models/twice.py")
        .map(|d| d["baseline_state"].as_str().unwrap_or("").to_owned())
        .collect();
    // Two identical module-level findings beside one at the base: one is
    // the old one, the other is counted (updated: same rule and scope).
    assert_eq!(twice, ["unchanged", "new"]);
}

#[test]
fn since_bad_input_is_one_line_and_exit_2() {
    let plain = tempfile::tempdir().expect("temp dir");
    write(plain.path(), "m.py", "x = 1\n");
    let run = fortress(plain.path(), &["check", "--since", "HEAD"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("needs a git repository"),
        "{}",
        run.stderr
    );
    assert_eq!(run.stderr.trim().lines().count(), 1, "{}", run.stderr);

    let repo = base_repo();
    let root = repo.path();
    let run = fortress(root, &["check", "--since", "no-such-branch"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("unknown revision `no-such-branch`"),
        "{}",
        run.stderr
    );
    let run = fortress(root, &["check", "--since", "--help-me"]);
    assert_eq!(run.code, 2, "{}", run.stderr);

    // A shallow clone whose history does not reach the revision.
    write(root, "app/x.py", "X = 2\n");
    git(root, &["add", "-A"]);
    git(root, &["commit", "-qm", "second"]);
    let clones = tempfile::tempdir().expect("temp dir");
    let url = format!("file://{}", root.display());
    git(
        clones.path(),
        &["clone", "-q", "--depth", "1", &url, "shallow"],
    );
    let shallow = clones.path().join("shallow");
    let base = git(root, &["rev-parse", "HEAD~1"]);
    let run = fortress(&shallow, &["check", "--since", &base]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("shallow") && run.stderr.contains("fetch-depth"),
        "{}",
        run.stderr
    );
    assert_eq!(run.stderr.trim().lines().count(), 1, "{}", run.stderr);

    // Bad baselines.
    for (content, wanted) in [
        ("not json", "is not valid JSON"),
        ("{\"schema_version\": 99}", "schema version 99"),
    ] {
        write(root, "bad.json", content);
        let run = fortress(root, &["check", "--baseline", "bad.json"]);
        assert_eq!(run.code, 2);
        assert!(run.stderr.contains(wanted), "{}", run.stderr);
        assert_eq!(run.stderr.trim().lines().count(), 1, "{}", run.stderr);
    }
    let run = fortress(root, &["check", "--baseline", "missing.json"]);
    assert_eq!(run.code, 2);
    // Nothing was written by any of these.
    assert!(!root.join("fortress-baseline.json").exists());
}

/// GitHub annotations of a change: blockers first whatever their path, and
/// one notice saying how many annotations GitHub's limits would drop.
#[test]
fn github_annotations_of_a_change_put_blockers_first() {
    let repo = base_repo();
    let root = repo.path();
    let mut text = String::from("from typing import Optional\n");
    for i in 0..12 {
        text.push_str(&format!(
            "\n\ndef f{i}(x: Optional[int]) -> None:\n    pass\n"
        ));
    }
    // `app/a.py` sorts before the blocker's `app/api/...`.
    write(root, "app/a.py", &text);
    write(
        root,
        "app/api/orders.py",
        "from fastapi import APIRouter\nfrom app.repositories.users import UserRepo\n\nrouter = APIRouter()\n",
    );
    let run = fortress(
        root,
        &["check", SELECT, "--since", "HEAD", "--format", "github"],
    );
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert!(
        lines[0].starts_with("::error file=app/api/orders.py"),
        "{}",
        run.stdout
    );
    assert_eq!(
        lines.iter().filter(|l| l.starts_with("::warning")).count(),
        12,
        "{}",
        run.stdout
    );
    assert!(
        lines[1..13]
            .iter()
            .all(|l| l.starts_with("::warning file=app/a.py")),
        "{}",
        run.stdout
    );
    let notice = lines.last().copied().unwrap_or("");
    assert!(
        notice.starts_with("::notice") && notice.contains("2 of these 13 annotations"),
        "{}",
        run.stdout
    );
    // Pre-existing findings are not annotated.
    assert!(!run.stdout.contains("app/api/users.py"), "{}", run.stdout);
}

/// Files in `dir` whose name says they are a temporary file of an atomic write.
fn temp_files(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .expect("read dir")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect()
}

/// `--output` and `baseline write` are atomic: a run that fails leaves no
/// file, no partial file and no temporary file, and a report written before
/// stays as it was.
#[test]
fn failed_runs_leave_no_partial_report() {
    let repo = base_repo();
    let root = repo.path();
    let out = root.join("report.json");
    let failing: [&[&str]; 3] = [
        &["check", "--since", "no-such-branch"],
        &["check", "--baseline", "missing.json"],
        &["check", "--select", "NOPE999"],
    ];
    for args in failing {
        let args = [args, &["--format", "json", "--output", "report.json"]].concat();
        let run = fortress(root, &args);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(!out.exists(), "{args:?} wrote a report");
        assert!(temp_files(root).is_empty(), "{:?}", temp_files(root));
    }
    let run = fortress(
        root,
        &[
            "check",
            SELECT,
            "--format",
            "json",
            "--output",
            "report.json",
        ],
    );
    assert_ne!(run.code, 2, "{}", run.stderr);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    let written = std::fs::read_to_string(&out).expect("report");
    let json: Value = serde_json::from_str(&written).expect("the report is whole JSON");
    assert!(!findings_of(&json, "TYP001").is_empty(), "{written}");
    // A failed run later leaves the earlier report whole.
    for args in failing {
        let args = [args, &["--format", "json", "--output", "report.json"]].concat();
        assert_eq!(fortress(root, &args).code, 2);
        assert_eq!(std::fs::read_to_string(&out).expect("report"), written);
    }
    // The new report replaces the file (temp file + rename), never writes
    // into it: a hard link to the old one keeps the old text whole.
    std::fs::hard_link(&out, root.join("old-report.json")).expect("link");
    let run = fortress(
        root,
        &[
            "check",
            SELECT,
            "--format",
            "sarif",
            "--output",
            "report.json",
        ],
    );
    assert_ne!(run.code, 2, "{}", run.stderr);
    let old = std::fs::read_to_string(root.join("old-report.json")).expect("old");
    assert_eq!(old, written);
    let sarif = std::fs::read_to_string(&out).expect("report");
    assert!(sarif.contains("\"runs\""), "{sarif}");
    // A report that cannot be written (its path is a directory, or in a
    // directory that does not exist) is one line, exit 2, no debris.
    std::fs::create_dir(root.join("taken")).expect("mkdir");
    for target in ["taken", "no/such/dir/report.json"] {
        let run = fortress(root, &["check", SELECT, "--output", target]);
        assert_eq!(run.code, 2, "{target}: {}", run.stderr);
        assert!(run.stderr.contains("cannot write"), "{}", run.stderr);
        assert_eq!(run.stderr.trim().lines().count(), 1, "{}", run.stderr);
        assert!(temp_files(root).is_empty(), "{:?}", temp_files(root));
    }
    assert!(root.join("taken").is_dir());
    assert!(!root.join("no").exists());
    let run = fortress(root, &["baseline", "write", SELECT, "no/such/dir/b.json"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(!root.join("no").exists());
    assert!(temp_files(root).is_empty(), "{:?}", temp_files(root));
}

#[test]
fn a_baseline_of_another_rule_selection_warns() {
    let repo = base_repo();
    let root = repo.path();
    fortress(root, &["baseline", "write", "--select=TYP001"]);
    let run = fortress(
        root,
        &[
            "check",
            SELECT,
            "--baseline",
            "fortress-baseline.json",
            "--format",
            "json",
        ],
    );
    assert_eq!(run.code, 1, "LAY001 counts as new: {}", run.stderr);
    assert!(
        run.stderr.contains("another rule selection") && run.stderr.contains("LAY001, LAY006"),
        "{}",
        run.stderr
    );
}

/// GitHub Actions: on the pull request's merge commit, `--since auto` is its
/// first parent; outside Actions it refuses.
#[test]
fn since_auto() {
    let repo = base_repo();
    let root = repo.path();
    let run = common::run_cmd({
        let mut c = common::command(root, &["check", "--since", "auto"]);
        c.env_remove("GITHUB_ACTIONS");
        c
    });
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("GitHub Actions"), "{}", run.stderr);

    git(root, &["checkout", "-q", "-b", "feature"]);
    write(
        root,
        "app/services/orders.py",
        "from typing import Optional\n\n\ndef total(x: Optional[int]) -> int:\n    return 1\n\n\ndef other(y: Optional[str]) -> int:\n    return 2\n\n\ndef extra(w: Optional[bytes]) -> int:\n    return 3\n",
    );
    git(root, &["commit", "-qam", "feature"]);
    git(root, &["checkout", "-q", "main"]);
    write(
        root,
        "app/unrelated.py",
        "from typing import Optional\n\nZ: Optional[int] = None\n",
    );
    git(root, &["add", "-A"]);
    git(root, &["commit", "-qm", "main moves on"]);
    git(root, &["merge", "-q", "--no-ff", "-m", "merge", "feature"]);
    let run = common::run_cmd({
        let mut c = common::command(
            root,
            &["check", SELECT, "--since", "auto", "--format", "json"],
        );
        c.env("GITHUB_ACTIONS", "true")
            .env("GITHUB_EVENT_NAME", "pull_request")
            .env("GITHUB_BASE_REF", "main");
        c
    });
    assert_eq!(run.code, 0, "{}", run.stderr);
    let json = run.json();
    let new: Vec<(String, u64)> = json["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter(|d| d["baseline_state"] == "new")
        .map(|d| {
            (
                d["path"].as_str().unwrap_or("").to_owned(),
                d["line"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    // Only the pull request's own finding; main's new file is the base.
    assert_eq!(new, [("app/services/orders.py".to_owned(), 12)]);

    // Not a pull request and no base branch: one line, exit 2.
    git(root, &["checkout", "-q", "feature"]);
    let run = common::run_cmd({
        let mut c = common::command(root, &["check", "--since", "auto"]);
        c.env("GITHUB_ACTIONS", "true")
            .env("GITHUB_EVENT_NAME", "push")
            .env_remove("GITHUB_BASE_REF");
        c
    });
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("GITHUB_BASE_REF"), "{}", run.stderr);
}

/// The report's diagnostics of one rule.
fn findings_of<'v>(report: &'v Value, code: &str) -> Vec<&'v Value> {
    report["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter(|d| d["code"] == code)
        .collect()
}

/// CFG001: a change that weakens fortress's own configuration is reported
/// (new, so it counts), and one that does not is not.
#[test]
fn since_reports_a_weakened_gate() {
    let repo = base_repo();
    let root = repo.path();
    write(root, "fortress.toml", "fail-on = \"conditional\"\n");
    git(root, &["add", "-A"]);
    git(root, &["commit", "-qm", "config"]);
    let quiet = fortress(root, &["check", "--since", "HEAD", "--format", "json"]);
    assert!(
        !quiet.codes().contains(&"CFG001".to_owned()),
        "{}",
        quiet.stdout
    );

    write(
        root,
        "fortress.toml",
        "fail-on = \"conditional\"\nignore = [\"LAY001\"]\nextend-exclude = [\"app/models\"]\n\n[severity]\nTYP001 = \"info\"\n",
    );
    let run = fortress(root, &["check", "--since", "HEAD", "--format", "json"]);
    let json = run.json();
    let cfg = findings_of(&json, "CFG001");
    assert_eq!(cfg.len(), 1, "{}", run.stdout);
    assert_eq!(cfg[0]["path"], "fortress.toml");
    assert_eq!(cfg[0]["baseline_state"], "new");
    let message = cfg[0]["message"].as_str().unwrap_or("");
    assert!(
        message.contains("disables LAY001")
            && message.contains("adds exclusions `app/models`")
            && message.contains("TYP001 warning -> info"),
        "{message}"
    );
    // A warning under fail-on = conditional: the weakening fails the gate.
    assert_eq!(run.code, 1, "{}", run.stderr);

    // Stricter is fine.
    write(
        root,
        "fortress.toml",
        "fail-on = \"conditional\"\n[severity]\nTYP001 = \"blocker\"\n",
    );
    let stricter = fortress(root, &["check", "--since", "HEAD", "--format", "json"]);
    assert!(
        !stricter.codes().contains(&"CFG001".to_owned()),
        "{}",
        stricter.stdout
    );
}

/// CFG001: a `# fortress: ignore-file` comment the change adds is reported
/// in that file; one that was there at the base is not.
#[test]
fn since_reports_an_added_ignore_file_comment() {
    let repo = base_repo();
    let root = repo.path();
    write(
        root,
        "app/models/old.py",
        "# fortress: ignore-file[TYP001] -- generated\nfrom typing import Optional\n\nX: Optional[int] = None\n",
    );
    git(root, &["add", "-A"]);
    git(root, &["commit", "-qm", "old ignore-file"]);
    let quiet = fortress(root, &["check", "--since", "HEAD", "--format", "json"]);
    assert!(
        !quiet.codes().contains(&"CFG001".to_owned()),
        "{}",
        quiet.stdout
    );
    write(
        root,
        "app/services/orders.py",
        "# fortress: ignore-file[TYP001] -- silence it all\nfrom typing import Optional\n\n\ndef total(x: Optional[int]) -> int:\n    return 1\n",
    );
    let run = fortress(root, &["check", "--since", "HEAD", "--format", "json"]);
    let json = run.json();
    let cfg = findings_of(&json, "CFG001");
    assert_eq!(cfg.len(), 1, "{}", run.stdout);
    assert_eq!(cfg[0]["path"], "app/services/orders.py");
    assert_eq!(cfg[0]["line"], 1);
    assert_eq!(cfg[0]["baseline_state"], "new");
    assert!(
        cfg[0]["message"]
            .as_str()
            .unwrap_or("")
            .contains("ignore-file"),
        "{}",
        run.stdout
    );
}

/// Dependency findings against a base whose manifests are read from git
/// objects: a dependency removed from pyproject.toml gives exactly the
/// findings it causes; an unrelated manifest edit, a new lockfile line for
/// something unused or a `[tool.fortress]` change gives none.
#[test]
fn since_and_dependency_findings() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    git(root, &["init", "-q"]);
    let pyproject = |deps: &str, extra: &str| {
        format!("[project]\nname = \"svc\"\nversion = \"1\"\n{extra}dependencies = [{deps}]\n")
    };
    write(
        root,
        "pyproject.toml",
        &pyproject("\"requests\", \"httpx\", \"rich\"", ""),
    );
    write(root, "requirements-dev.txt", "pytest\n");
    write(root, "svc/__init__.py", "");
    write(
        root,
        "svc/m.py",
        "import httpx\nimport requests\nimport yaml\n",
    );
    git(root, &["add", "-A"]);
    git(root, &["commit", "-qm", "base"]);
    // (code, the name quoted first in the message, state)
    let dep_states = |run: &common::Run| -> Vec<(String, String, String)> {
        let mut out: Vec<(String, String, String)> = run.json()["diagnostics"]
            .as_array()
            .expect("diagnostics")
            .iter()
            .filter(|d| d["code"].as_str().unwrap_or("").starts_with("DEP"))
            .map(|d| {
                (
                    d["code"].as_str().unwrap_or("").to_owned(),
                    d["message"]
                        .as_str()
                        .unwrap_or("")
                        .split('`')
                        .nth(1)
                        .unwrap_or("")
                        .to_owned(),
                    d["baseline_state"].as_str().unwrap_or("").to_owned(),
                )
            })
            .collect();
        out.sort();
        out
    };
    let check = || {
        fortress(
            root,
            &[
                "check",
                // DEP005 (a new dependency) has its own test below.
                "--select=DEP001,DEP002,DEP003,DEP004",
                "--since",
                "HEAD",
                "--format",
                "json",
            ],
        )
    };
    let t = |c: &str, n: &str, s: &str| (c.to_owned(), n.to_owned(), s.to_owned());
    // At the base: `yaml` is undeclared (DEP002), `rich` unused (DEP003).
    write(root, "svc/other.py", "X = 1\n");
    let run = check();
    assert_eq!(
        dep_states(&run),
        [
            t("DEP002", "yaml", "unchanged"),
            t("DEP003", "rich", "unchanged")
        ],
        "{}",
        run.stdout
    );

    // `requests` removed: its import is the one new finding.
    write(
        root,
        "pyproject.toml",
        &pyproject("\"httpx\", \"rich\"", ""),
    );
    let run = check();
    assert_eq!(
        dep_states(&run),
        [
            t("DEP002", "requests", "new"),
            t("DEP002", "yaml", "unchanged"),
            t("DEP003", "rich", "unchanged")
        ],
        "{}\n{}",
        run.stdout,
        run.stderr
    );
    assert_eq!(run.json()["summary"]["new"]["warning"], 1, "{}", run.stdout);

    // Unrelated manifest lines edited (lines shifted in pyproject.toml, a
    // version range changed, a dev requirement added): nothing new.
    write(
        root,
        "pyproject.toml",
        &pyproject(
            "\"requests>=2\", \"httpx\", \"rich\"",
            "description = \"a service\"\nreadme = \"README.md\"\n",
        ),
    );
    write(root, "requirements-dev.txt", "pytest\npytest-cov\n");
    let run = check();
    assert_eq!(
        dep_states(&run),
        [
            t("DEP002", "yaml", "unchanged"),
            t("DEP003", "rich", "unchanged")
        ],
        "{}\n{}",
        run.stdout,
        run.stderr
    );
    assert!(!run.stderr.contains("counts as new"), "{}", run.stderr);

    // A change to the [tool.fortress] table alone is no dependency change.
    write(
        root,
        "pyproject.toml",
        &format!(
            "{}\n[tool.fortress]\nfail-on = \"conditional\"\n",
            pyproject("\"requests\", \"httpx\", \"rich\"", "")
        ),
    );
    let run = check();
    assert_eq!(
        dep_states(&run),
        [
            t("DEP002", "yaml", "unchanged"),
            t("DEP003", "rich", "unchanged")
        ],
        "{}",
        run.stdout
    );

    // A base requirements file read from git: deleting it (with the
    // declaration of `yaml` it held) makes that import new.
    write(root, "requirements.txt", "pyyaml\n");
    git(root, &["add", "-A"]);
    git(root, &["commit", "-qm", "declare pyyaml"]);
    let run = check();
    assert_eq!(
        dep_states(&run),
        [t("DEP003", "rich", "unchanged")],
        "{}",
        run.stdout
    );
    std::fs::remove_file(root.join("requirements.txt")).expect("rm");
    let run = check();
    assert_eq!(
        dep_states(&run),
        [t("DEP002", "yaml", "new"), t("DEP003", "rich", "unchanged")],
        "{}",
        run.stdout
    );
}

#[test]
fn strict_baseline_makes_stale_entries_count() {
    let repo = base_repo();
    let root = repo.path();
    fortress(root, &["baseline", "write", SELECT]);
    std::fs::remove_file(root.join("app/models/gone.py")).expect("rm");
    let lax = fortress(
        root,
        &[
            "check",
            SELECT,
            "--baseline",
            "fortress-baseline.json",
            "-q",
        ],
    );
    assert_eq!(lax.code, 0);
    assert!(
        lax.stderr.contains("info: 1 baseline entry"),
        "{}",
        lax.stderr
    );
    assert!(
        lax.stdout.contains("PASS") && !lax.stdout.contains("CONDITIONAL"),
        "{}",
        lax.stdout
    );
    let strict = fortress(
        root,
        &[
            "check",
            SELECT,
            "--baseline",
            "fortress-baseline.json",
            "-q",
            "--strict-baseline",
        ],
    );
    assert!(
        strict.stderr.contains("warning: 1 baseline entry"),
        "{}",
        strict.stderr
    );
    assert!(
        strict.stdout.contains("CONDITIONAL PASS"),
        "{}",
        strict.stdout
    );
}

/// Same change, same report: byte-identical for any number of threads.
#[test]
fn since_reports_are_deterministic() {
    let repo = base_repo();
    let root = repo.path();
    apply_change(root);
    let run = |threads: &str| {
        fortress(
            root,
            &[
                "check",
                "--since",
                "HEAD",
                "--format",
                "sarif",
                "--report-fixed",
                "--threads",
                threads,
            ],
        )
        .stdout
    };
    let one = run("1");
    assert!(one.contains("baselineState"));
    assert_eq!(one, run("2"));
    assert_eq!(one, run("4"));
}

/// A renamed importer keeps its import-edge finding (the key leaves out the
/// importer's module name, and the path follows the rename).
#[test]
fn since_follows_a_renamed_importer() {
    let repo = base_repo();
    let root = repo.path();
    git(root, &["mv", "app/api/users.py", "app/api/accounts.py"]);
    let run = fortress(
        root,
        &["check", SELECT, "--since", "HEAD", "--format", "json"],
    );
    let json = run.json();
    assert_eq!(json["summary"]["new"]["blocker"], 0, "{}", run.stdout);
    assert_eq!(json["summary"]["new"]["warning"], 0, "{}", run.stdout);
    assert_eq!(json["summary"]["updated"], 0, "{}", run.stdout);
    assert!(states(&json).contains(&(
        "app/api/accounts.py".to_owned(),
        "LAY001".to_owned(),
        "unchanged".to_owned(),
        3
    )));
    assert_eq!(json["verdict"], "PASS");
}

/// DEP005's findings of a run: (distribution, manifest path, line, message).
fn new_dependencies(run: &common::Run) -> Vec<(String, String, u64, String)> {
    let mut out: Vec<(String, String, u64, String)> = findings_of(&run.json(), "DEP005")
        .into_iter()
        .map(|d| {
            let message = d["message"].as_str().unwrap_or("").to_owned();
            (
                message.split('`').nth(1).unwrap_or("").to_owned(),
                d["path"].as_str().unwrap_or("").to_owned(),
                d["line"].as_u64().unwrap_or(0),
                message,
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn since_reports_the_dependencies_a_change_adds() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    git(root, &["init", "-q"]);
    let pyproject = |deps: &str| {
        format!("[project]\nname = \"svc\"\nversion = \"1\"\ndependencies = [{deps}]\n\n[project.optional-dependencies]\ndev = [\"pytest\"]\n")
    };
    write(
        root,
        "pyproject.toml",
        &pyproject("\"fastapi\", \"Jinja2\", \"email_validator\", \"loguru\""),
    );
    write(root, "svc/__init__.py", "");
    write(root, "svc/m.py", "import fastapi\n");
    git(root, &["add", "-A"]);
    git(root, &["commit", "-qm", "base"]);
    let since = || {
        fortress(
            root,
            &[
                "check",
                "--select=DEP005",
                "--since",
                "HEAD",
                "--format",
                "json",
            ],
        )
    };

    // Unchanged: nothing.
    let run = since();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(new_dependencies(&run).is_empty(), "{}", run.stdout);

    // Renamed by case or separator, a version added, one removed: nothing new.
    write(
        root,
        "pyproject.toml",
        &pyproject("\"fastapi>=0.115\", \"jinja2\", \"Email-Validator\""),
    );
    let run = since();
    assert!(new_dependencies(&run).is_empty(), "{}", run.stdout);

    // Added: one well known runtime dependency, one unknown name, one dev
    // requirement in a new requirements file.
    write(
        root,
        "pyproject.toml",
        &pyproject(
            "\"fastapi\", \"jinja2\", \"email_validator\", \"orjson\", \"reqeusts-toolbeltz\"",
        ),
    );
    write(root, "requirements-dev.txt", "pytest\nmypy==1.11\n");
    let run = since();
    let found = new_dependencies(&run);
    let names: Vec<(&str, &str, u64)> = found
        .iter()
        .map(|(n, p, l, _)| (n.as_str(), p.as_str(), *l))
        .collect();
    assert_eq!(
        names,
        [
            ("mypy", "requirements-dev.txt", 2),
            ("orjson", "pyproject.toml", 4),
            ("reqeusts-toolbeltz", "pyproject.toml", 4),
        ],
        "{}",
        run.stdout
    );
    assert!(found[1].3.contains("well known"), "{}", found[1].3);
    assert!(
        found[1].3.contains("new runtime dependency"),
        "{}",
        found[1].3
    );
    assert!(!found[2].3.contains("well known"), "{}", found[2].3);
    assert!(found[0].3.contains("development"), "{}", found[0].3);
    assert!(
        run.json()["diagnostics"]
            .as_array()
            .expect("diagnostics")
            .iter()
            .all(|d| d["baseline_state"] == "new"),
        "{}",
        run.stdout
    );

    // No base: silent.
    let run = fortress(root, &["check", "--select=DEP005", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(new_dependencies(&run).is_empty(), "{}", run.stdout);

    // A baseline written at the base commit is a base too.
    git(root, &["stash", "-u", "-q"]);
    let wrote = fortress(root, &["baseline", "write", "--select=DEP005"]);
    assert_eq!(wrote.code, 0, "{}", wrote.stderr);
    std::fs::rename(
        root.join("fortress-baseline.json"),
        root.join("../dep005-baseline.json"),
    )
    .expect("move the baseline");
    git(root, &["stash", "pop", "-q"]);
    let kept = root
        .parent()
        .expect("parent")
        .join("dep005-baseline.json")
        .to_string_lossy()
        .into_owned();
    let run = fortress(
        root,
        &[
            "check",
            "--select=DEP005",
            "--baseline",
            &kept,
            "--format",
            "json",
        ],
    );
    let names: Vec<String> = new_dependencies(&run).into_iter().map(|f| f.0).collect();
    assert_eq!(
        names,
        ["mypy", "orjson", "reqeusts-toolbeltz"],
        "{}",
        run.stdout
    );
}
