//! The test-enforcement gate end to end: the real binary on copies of a
//! tiny project whose coverage.py and pytest reports were generated once
//! (tests/data/gate/generate.sh), on real git repositories for `--since`.

mod common;

use std::path::{Path, PathBuf};

use common::{command, copy_tree, fortress, git, repo_root, run_cmd, write, Run};
use serde_json::Value;

fn data(project: &str) -> PathBuf {
    repo_root().join("tests/data/gate").join(project)
}

/// A copy of a data project, not under git.
fn project(name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    copy_tree(&data(name), dir.path(), &[]);
    dir
}

/// `app/pricing.py` of the shop without `Basket.clear` (lines 45-51).
fn pricing_without_clear(project: &str) -> String {
    let src = std::fs::read_to_string(data(project).join("app/pricing.py")).unwrap();
    let at = src.find("    def clear(self)").expect("clear");
    format!("{}\n", src[..at].trim_end())
}

/// A repository whose commit is the data project with `base` written over
/// it; the work tree is the data project itself.
fn changed(project: &str, base: &[(&str, String)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    copy_tree(&data(project), root, &[]);
    for (rel, text) in base {
        write(root, rel, text);
    }
    git(root, &["init", "-q"]);
    git(root, &["add", "-A"]);
    git(root, &["commit", "-q", "-m", "base"]);
    copy_tree(&data(project), root, &[]);
    dir
}

fn diagnostics(run: &Run) -> Vec<Value> {
    run.json()["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .clone()
}

fn check(dir: &Path, args: &[&str]) -> Run {
    let mut cmd = command(dir, args);
    cmd.env_remove("GITHUB_EVENT_PATH")
        .env_remove("GITHUB_STEP_SUMMARY")
        .env_remove("GITHUB_SERVER_URL")
        .env_remove("GITHUB_REPOSITORY")
        .env_remove("GITHUB_SHA");
    run_cmd(cmd)
}

const FORMATS: [&str; 3] = ["coverage.xml", "coverage.json", "coverage.lcov"];

#[test]
fn the_three_coverage_formats_give_identical_results() {
    // Total coverage, whole tree.
    let dir = project("shop");
    write(dir.path(), "fortress.toml", "[coverage]\nfail-under = 90\n");
    let mut seen: Vec<(Vec<Value>, String)> = Vec::new();
    for report in FORMATS {
        let run = check(
            dir.path(),
            &[
                "check",
                "--format",
                "json",
                "--coverage",
                report,
                "--select",
                "COV",
            ],
        );
        assert_eq!(run.code, 1, "{report}: {}", run.stderr);
        let mut d = diagnostics(&run);
        assert_eq!(d.len(), 1, "{report}: {d:?}");
        assert_eq!(d[0]["code"], "COV001");
        assert_eq!(d[0]["path"], report);
        // The finding spans the report's first line, whatever it holds.
        d[0]["path"] = Value::Null;
        d[0]["end_column"] = Value::Null;
        let md = check(
            dir.path(),
            &[
                "check",
                "--format",
                "markdown",
                "--coverage",
                report,
                "--select",
                "COV",
            ],
        );
        seen.push((d, md.stdout.replace(report, "REPORT")));
    }
    assert_eq!(
        seen[0].0[0]["message"],
        "total line coverage is 82.7% (24 of 29 statements), below `fail-under` 90%"
    );
    assert!(seen.windows(2).all(|w| w[0] == w[1]), "{seen:#?}");

    // New-code coverage of a change.
    let repo = changed("shop", &[("app/pricing.py", pricing_without_clear("shop"))]);
    write(
        repo.path(),
        "fortress.toml",
        "[coverage]\nmin-new-lines = 5\n",
    );
    let mut seen = Vec::new();
    for report in FORMATS {
        let run = check(
            repo.path(),
            &[
                "check",
                "--format",
                "json",
                "--since",
                "HEAD",
                "--coverage",
                report,
                "--select",
                "COV002",
                "--task",
                "none",
            ],
        );
        assert_eq!(run.code, 1, "{report}: {}", run.stderr);
        seen.push(diagnostics(&run));
    }
    assert_eq!(seen[0].len(), 1, "{:?}", seen[0]);
    assert_eq!(seen[0][0]["line"], 46);
    assert_eq!(seen[0][0]["end_line"], 51);
    assert_eq!(
        seen[0][0]["message"],
        "changed lines 46-51 (5 executable) are not run by any test; new code is 16.6% covered (1 of 6 executable changed lines), below `new-code-fail-under` 80%"
    );
    assert!(seen.windows(2).all(|w| w[0] == w[1]), "{seen:#?}");
}

#[test]
fn several_coverage_reports_merge() {
    // The shop's suite measured in two runs (tests/data/gate/generate.sh):
    // a line is covered when either report covers it, as in the whole run.
    let dir = project("shop");
    let whole = check(
        dir.path(),
        &[
            "check",
            "--format",
            "markdown",
            "--coverage",
            "coverage.xml",
            "--select",
            "COV",
        ],
    );
    let parts = check(
        dir.path(),
        &[
            "check",
            "--format",
            "markdown",
            "--coverage",
            "part-basket.lcov",
            "--coverage",
            "part-rest.xml",
            "--select",
            "COV",
        ],
    );
    assert_eq!(parts.code, 0, "{}", parts.stderr);
    assert!(
        parts
            .stdout
            .contains("| Total coverage | ≥ 80% | 82.7% (24 of 29 statements) | ✅ passed |"),
        "{}",
        parts.stdout
    );
    assert_eq!(parts.stdout, whole.stdout);
    let one = check(
        dir.path(),
        &[
            "check",
            "--format",
            "markdown",
            "--coverage",
            "part-basket.lcov",
            "--select",
            "COV",
        ],
    );
    assert!(!one.stdout.contains("82.7%"), "{}", one.stdout);
}

fn one_error_line(run: &Run, wants: &[&str]) {
    assert_eq!(
        run.code, 2,
        "stdout:\n{}\nstderr:\n{}",
        run.stdout, run.stderr
    );
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    for w in wants {
        assert!(run.stderr.contains(w), "want {w:?} in {}", run.stderr);
    }
}

#[test]
fn bad_reports_stop_the_run_with_one_line_naming_the_file() {
    let dir = project("shop");
    let root = dir.path();
    let xml = std::fs::read_to_string(root.join("coverage.xml")).unwrap();
    write(root, "cut.xml", &xml[..xml.len() / 2]);
    write(root, "bad.json", "{\"meta\": {}, \"files\": ");
    let lcov = std::fs::read_to_string(root.join("coverage.lcov")).unwrap();
    write(
        root,
        "cut.lcov",
        lcov.trim_end().trim_end_matches("end_of_record"),
    );
    write(
        root,
        "other.lcov",
        "SF:lib/other.py\nDA:1,1\nend_of_record\n",
    );
    write(root, "junk.txt", "hello\n");
    write(
        root,
        "cut-junit.xml",
        "<testsuites><testsuite><testcase name=\"x\">",
    );
    let cases: &[(&[&str], &[&str])] = &[
        (&["--coverage", "cut.xml"], &["fortress: error: cut.xml: malformed XML"]),
        (&["--coverage", "bad.json"], &["bad.json: malformed coverage JSON"]),
        (&["--coverage", "cut.lcov"], &["cut.lcov: truncated"]),
        (
            &["--coverage", "other.lcov"],
            &["other.lcov: LCOV report: none of its 1 file is among the checked files (e.g. `lib/other.py`)"],
        ),
        (&["--coverage", "junk.txt"], &["junk.txt: not a coverage report"]),
        (&["--coverage", "missing.xml"], &["missing.xml: cannot read"]),
        (&["--junit", "cut-junit.xml"], &["cut-junit.xml: malformed XML"]),
        (&["--junit", "coverage.xml"], &["coverage.xml: XML root element is <coverage>, not a JUnit"]),
        (&["--task", "bugfix"], &["--task: `bugfix` is not one of"]),
        (&["--base-coverage", "coverage.xml"], &["--base-coverage", "give `--coverage` too"]),
    ];
    for (args, wants) in cases {
        let mut all = vec!["check"];
        all.extend_from_slice(args);
        one_error_line(&check(root, &all), wants);
    }
    write(root, "fortress.toml", "[coverage]\nfail-under = 101\n");
    one_error_line(
        &check(root, &["check", "--coverage", "coverage.xml"]),
        &["fortress.toml:2:14: error: `coverage.fail-under`: 101 is not between 0 and 100"],
    );
    write(
        root,
        "fortress.toml",
        "[coverage]\nreports = [\"nope.xml\"]\n",
    );
    one_error_line(&check(root, &["check"]), &["nope.xml: cannot read"]);
}

#[test]
fn a_missing_event_file_is_an_error_when_the_task_is_inferred() {
    let repo = changed("shop", &[("app/pricing.py", pricing_without_clear("shop"))]);
    let mut cmd = command(repo.path(), &["check", "--since", "HEAD"]);
    cmd.env("GITHUB_EVENT_PATH", repo.path().join("no-event.json"));
    one_error_line(
        &run_cmd(cmd),
        &["no-event.json (GITHUB_EVENT_PATH): cannot read"],
    );
    // With --task the event is not read.
    let mut cmd = command(repo.path(), &["check", "--since", "HEAD", "--task", "none"]);
    cmd.env("GITHUB_EVENT_PATH", repo.path().join("no-event.json"));
    assert_eq!(run_cmd(cmd).code, 0);
}

#[test]
fn a_change_too_small_to_judge_is_a_conditional_pass_that_says_why() {
    let repo = changed("shop", &[("app/pricing.py", pricing_without_clear("shop"))]);
    let args = [
        "check",
        "--since",
        "HEAD",
        "--coverage",
        "coverage.xml",
        "--task",
        "none",
    ];
    let run = check(repo.path(), &args);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("Conditional: new-code coverage is too small to judge: 6 executable changed lines, fewer than `min-new-lines` 20.\nVerdict: CONDITIONAL PASS (0 blockers, 0 warnings"),
        "{}",
        run.stdout
    );
    let mut strict = args.to_vec();
    strict.extend(["--fail-on", "conditional"]);
    assert_eq!(check(repo.path(), &strict).code, 1);
    let mut json = args.to_vec();
    json.extend(["--format", "json"]);
    assert_eq!(
        check(repo.path(), &json).json()["verdict"],
        "CONDITIONAL_PASS"
    );
}

#[test]
fn deletions_comments_docstrings_and_decorators_are_nothing_to_judge() {
    let head = std::fs::read_to_string(data("shop").join("app/pricing.py")).unwrap();
    // The base had one more function (the change deletes it) and other
    // comments, docstrings and decorator text.
    let base = head
        .replace("# Known products only.", "# Products we sell.")
        .replace("\"\"\"Prices and discounts.\"\"\"", "\"\"\"Prices.\"\"\"")
        .replace("@cache\n", "@cache  # memoized\n")
        .replace(
            "def discount(",
            "def surcharge(price: int) -> int:\n    return price + 1\n\n\ndef discount(",
        );
    let repo = changed("shop", &[("app/pricing.py", base)]);
    write(
        repo.path(),
        "fortress.toml",
        "[coverage]\nmin-new-lines = 1\nnew-code-fail-under = 100\n",
    );
    let run = check(
        repo.path(),
        &[
            "check",
            "--since",
            "HEAD",
            "--coverage",
            "coverage.json",
            "--task",
            "none",
            "--format",
            "markdown",
        ],
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout.starts_with("## fortress: ✅ PASS\n"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("| New-code coverage | ≥ 100% | no executable line changed | ➖ not applicable (nothing to judge) |"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_change_inside_a_covered_multi_line_statement_counts_as_covered() {
    let head = std::fs::read_to_string(data("shop").join("app/pricing.py")).unwrap();
    // Line 27 is the second line of `price = discount(price,\n 10)`: only
    // line 26 is in the report, and it ran.
    let base = head.replace(
        "                         10)",
        "                         5)",
    );
    let repo = changed("shop", &[("app/pricing.py", base)]);
    write(
        repo.path(),
        "fortress.toml",
        "[coverage]\nmin-new-lines = 1\nnew-code-fail-under = 100\n",
    );
    let run = check(
        repo.path(),
        &[
            "check",
            "--since",
            "HEAD",
            "--coverage",
            "coverage.lcov",
            "--task",
            "none",
            "--format",
            "markdown",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(
        run.stdout
            .contains("| New-code coverage | ≥ 100% | 100% (1 of 1 line) | ✅ passed |"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_fix_is_judged_by_its_tests_and_their_contexts() {
    // The fixed shop: `clear` is new, and so is the test that runs it
    // (per-test contexts in its coverage.json): no TSK001.
    let shop_tests = std::fs::read_to_string(data("shop").join("tests/test_pricing.py")).unwrap();
    let args = [
        "check",
        "--since",
        "HEAD",
        "--coverage",
        "coverage.json",
        "--select",
        "TSK",
        "--task",
        "fix",
        "--format",
        "json",
    ];
    let repo = changed(
        "shop_fix",
        &[
            ("app/pricing.py", pricing_without_clear("shop_fix")),
            ("tests/test_pricing.py", shop_tests),
        ],
    );
    let run = check(repo.path(), &args);
    assert_eq!(run.code, 0, "{}", run.stdout);
    // Only a test that never runs `clear` changes (the clear test was
    // already there): the contexts show the changed tests miss the fix.
    let fix_tests =
        std::fs::read_to_string(data("shop_fix").join("tests/test_pricing.py")).unwrap();
    let repo = changed(
        "shop_fix",
        &[
            ("app/pricing.py", pricing_without_clear("shop_fix")),
            (
                "tests/test_pricing.py",
                fix_tests.replace("== 450", "== 999"),
            ),
        ],
    );
    let run = check(repo.path(), &args);
    assert_eq!(run.code, 1, "{}", run.stdout);
    let d = diagnostics(&run);
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(
        (d[0]["code"].as_str(), d[0]["line"].as_u64()),
        (Some("TSK001"), Some(46))
    );
    assert_eq!(
        d[0]["message"],
        "the change is a fix (--task) but the tests it changes (TestBasket.test__value__bulk_discount) run none of its changed lines (per-test coverage contexts)"
    );
    // Without a test change at all.
    let repo = changed(
        "shop_fix",
        &[("app/pricing.py", pricing_without_clear("shop_fix"))],
    );
    let run = check(repo.path(), &args);
    let d = diagnostics(&run);
    assert!(
        d[0]["message"]
            .as_str()
            .unwrap()
            .contains("adds or modifies no test function"),
        "{d:?}"
    );

    // The task from the pull request title in the event file.
    let event = repo.path().join("event.json");
    std::fs::write(&event, r#"{"pull_request": {"title": "refactor: tidy"}}"#).unwrap();
    let mut cmd = command(
        repo.path(),
        &[
            "check", "--since", "HEAD", "--select", "TSK", "--format", "markdown",
        ],
    );
    cmd.env("GITHUB_EVENT_PATH", &event);
    let run = run_cmd(cmd);
    assert!(
        run.stdout
            .contains("refactor (the pull request title \"refactor: tidy\")"),
        "{}",
        run.stdout
    );
    // And from the last commit subject.
    git(
        repo.path(),
        &["commit", "-q", "--allow-empty", "-m", "fix: empty baskets"],
    );
    let run = check(
        repo.path(),
        &[
            "check", "--since", "HEAD~1", "--select", "TSK", "--format", "json",
        ],
    );
    let d = diagnostics(&run);
    assert!(
        d[0]["message"]
            .as_str()
            .unwrap()
            .contains("(the last commit subject \"fix: empty baskets\")"),
        "{d:?}"
    );
}

#[test]
fn a_refactor_may_not_lose_coverage() {
    let repo = changed("shop", &[("app/pricing.py", pricing_without_clear("shop"))]);
    std::fs::copy(
        data("shop_fix").join("coverage.xml"),
        repo.path().join("base.xml"),
    )
    .unwrap();
    let run = check(
        repo.path(),
        &[
            "check",
            "--since",
            "HEAD",
            "--coverage",
            "coverage.xml",
            "--base-coverage",
            "base.xml",
            "--select",
            "TSK002",
            "--task",
            "refactor",
            "--format",
            "json",
        ],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let d = diagnostics(&run);
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(d[0]["path"], "coverage.xml");
    assert_eq!(
        d[0]["message"],
        "the change is a refactor (--task) but total coverage drops from 93.3% to 82.7% (10.57 points, more than `max-coverage-drop` 0.5)"
    );
}

#[test]
fn the_summary_is_written_beside_the_report_and_appended_in_actions() {
    let dir = project("shop_fix");
    let run = check(
        dir.path(),
        &[
            "check",
            "--coverage",
            "coverage.xml",
            "--junit",
            "junit.xml",
            "--summary",
            "review.md",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("Verdict: PASS"), "{}", run.stdout);
    let md = std::fs::read_to_string(dir.path().join("review.md")).unwrap();
    assert!(
        md.starts_with("## fortress: ✅ PASS\n\n**PASS** — no blocker and no warning\n"),
        "{md}"
    );

    let summary = dir.path().join("step-summary.md");
    std::fs::write(&summary, "## tests\n\n7 passed").unwrap();
    let mut cmd = command(
        dir.path(),
        &[
            "check",
            "--junit",
            "junit.xml",
            "--summary",
            "auto",
            "--quiet",
        ],
    );
    cmd.env("GITHUB_STEP_SUMMARY", &summary);
    assert_eq!(run_cmd(cmd).code, 0);
    let text = std::fs::read_to_string(&summary).unwrap();
    assert!(
        text.starts_with("## tests\n\n7 passed\n## fortress: ✅ PASS"),
        "{text}"
    );

    let run = check(dir.path(), &["check", "--summary", "auto", "--quiet"]);
    assert!(
        run.stderr.contains("GITHUB_STEP_SUMMARY is not set"),
        "{}",
        run.stderr
    );
}

#[test]
fn markdown_links_are_permalinks_in_actions() {
    let dir = project("shop");
    let mut cmd = command(
        dir.path(),
        &[
            "check",
            "--junit",
            "junit.xml",
            "--format",
            "markdown",
            "--select",
            "TST006",
        ],
    );
    cmd.env("GITHUB_SERVER_URL", "https://github.com")
        .env("GITHUB_REPOSITORY", "acme/shop")
        .env("GITHUB_SHA", "0123456789abcdef0123456789abcdef01234567")
        .env("GITHUB_WORKSPACE", dir.path());
    let run = run_cmd(cmd);
    assert_eq!(run.code, 1);
    assert!(
        run.stdout.contains("[tests/test\\_pricing.py:22](https://github.com/acme/shop/blob/0123456789abcdef0123456789abcdef01234567/tests/test_pricing.py#L22)"),
        "{}",
        run.stdout
    );
    let run = check(
        dir.path(),
        &[
            "check",
            "--junit",
            "junit.xml",
            "--format",
            "markdown",
            "--select",
            "TST006",
        ],
    );
    assert!(
        run.stdout
            .contains("[tests/test\\_pricing.py:22](tests/test_pricing.py#L22)"),
        "{}",
        run.stdout
    );
}

/// The review report of a failing change and of a passing one, byte for byte.
fn golden(name: &str, actual: &str) {
    let path = repo_root().join("tests/golden").join(name);
    if std::env::var_os("FORTRESS_BLESS").is_some() {
        std::fs::write(&path, actual).expect("write golden");
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}; run with FORTRESS_BLESS=1", path.display()));
    assert_eq!(
        actual, expected,
        "{name} differs; FORTRESS_BLESS=1 re-blesses"
    );
}

#[test]
fn golden_markdown_failing_change() {
    let repo = changed("shop", &[("app/pricing.py", pricing_without_clear("shop"))]);
    write(
        repo.path(),
        "fortress.toml",
        "[coverage]\nmin-new-lines = 5\n",
    );
    let run = check(
        repo.path(),
        &[
            "check",
            "--since",
            "HEAD",
            "--coverage",
            "coverage.xml",
            "--junit",
            "junit.xml",
            "--task",
            "fix",
            "--format",
            "markdown",
        ],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    golden(
        "gate_failing.md",
        &common::normalize_version(&run.stdout).replace(env!("CARGO_PKG_VERSION"), "<VERSION>"),
    );
}

#[test]
fn golden_markdown_passing_run() {
    let dir = project("shop_fix");
    let run = check(
        dir.path(),
        &[
            "check",
            "--coverage",
            "coverage.lcov",
            "--junit",
            "junit.xml",
            "--format",
            "markdown",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    golden(
        "gate_passing.md",
        &run.stdout.replace(env!("CARGO_PKG_VERSION"), "<VERSION>"),
    );
}

#[test]
fn a_test_file_missing_from_the_tree_is_placed_in_the_junit_report() {
    let dir = project("shop");
    std::fs::remove_file(dir.path().join("tests/test_pricing.py")).unwrap();
    let run = fortress(
        dir.path(),
        &[
            "check",
            "--junit",
            "junit.xml",
            "--select",
            "TST006",
            "--format",
            "json",
        ],
    );
    let d = diagnostics(&run);
    assert_eq!(d.len(), 2, "{d:?}");
    assert!(d.iter().all(|d| d["path"] == "junit.xml"), "{d:?}");
    let lines: Vec<u64> = d.iter().map(|d| d["line"].as_u64().unwrap()).collect();
    assert_eq!(lines, [1, 37], "the <testcase> elements' lines");
}

#[test]
fn an_unmeasured_file_counts_as_uncovered_only_inside_the_measured_tree() {
    let repo = changed("shop", &[]);
    let body: String = (0..12).map(|i| format!("x{i} = {i}\n")).collect();
    write(repo.path(), "scripts/seed.py", &body);
    write(
        repo.path(),
        "fortress.toml",
        "[coverage]\nmin-new-lines = 5\n",
    );
    let args = [
        "check",
        "--since",
        "HEAD",
        "--coverage",
        "coverage.xml",
        "--select",
        "COV002",
        "--task",
        "none",
        "--format",
        "markdown",
    ];
    let run = check(repo.path(), &args);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(
        run.stdout.contains("| New-code coverage | ≥ 80% | no executable line changed; 1 changed file outside the measured tree not counted |"),
        "{}",
        run.stdout
    );
    // A new module of the measured package that no test imported.
    write(repo.path(), "app/extra.py", &body);
    let mut json = args.to_vec();
    json.pop();
    json.push("json");
    let d = diagnostics(&check(repo.path(), &json));
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(
        (
            d[0]["path"].as_str(),
            d[0]["line"].as_u64(),
            d[0]["end_line"].as_u64()
        ),
        (Some("app/extra.py"), Some(1), Some(12))
    );
    assert!(
        d[0]["message"]
            .as_str()
            .unwrap()
            .contains("in a file no coverage report measures"),
        "{d:?}"
    );
}

#[test]
fn inline_suppressions_silence_report_findings_and_are_judged_only_with_their_input() {
    let dir = project("shop");
    let test_file = dir.path().join("tests/test_pricing.py");
    let original = std::fs::read_to_string(&test_file).unwrap();
    let annotate = |line: usize, code: &str| -> String {
        original
            .lines()
            .enumerate()
            .map(|(i, l)| {
                if i + 1 == line {
                    format!("{l}  # fortress: ignore[{code}] -- tracked in #42\n")
                } else {
                    format!("{l}\n")
                }
            })
            .collect()
    };
    let codes = |run: &Run| -> Vec<(String, u64)> {
        diagnostics(run)
            .iter()
            .map(|d| {
                (
                    d["code"].as_str().unwrap_or_default().to_owned(),
                    d["line"].as_u64().unwrap_or_default(),
                )
            })
            .collect()
    };
    let args = [
        "check",
        "--format",
        "json",
        "--junit",
        "junit.xml",
        "--select",
        "TST006,SUP004",
    ];
    // Without a suppression: both failing tests (lines 22 and 27).
    let run = check(dir.path(), &args);
    let tst006 = |run: &Run| {
        codes(run)
            .into_iter()
            .filter(|(c, _)| c == "TST006")
            .map(|(_, l)| l)
            .collect::<Vec<_>>()
    };
    assert_eq!(tst006(&run), vec![22, 27], "{}", run.stdout);

    // The suppression on the failing test's definition silences it, and is used.
    std::fs::write(&test_file, annotate(27, "TST006")).unwrap();
    let run = check(dir.path(), &args);
    assert_eq!(
        codes(&run),
        vec![("TST006".to_owned(), 22)],
        "{}",
        run.stdout
    );
    let conditions = check(
        dir.path(),
        &[
            "check",
            "--format",
            "markdown",
            "--junit",
            "junit.xml",
            "--select",
            "TST006",
        ],
    );
    assert!(
        conditions
            .stdout
            .contains("| Failing tests | 0 | 2 of 6 tests (1 suppressed inline) | ❌ failed |"),
        "{}",
        conditions.stdout
    );

    // The JSON report carries the same condition, and the verdict's reason.
    let json = run.json();
    let failing = json["conditions"]
        .as_array()
        .expect("conditions")
        .iter()
        .find(|c| c["name"] == "Failing tests")
        .expect("failing tests condition")
        .clone();
    assert_eq!(failing["actual"], "2 of 6 tests (1 suppressed inline)");
    assert_eq!(failing["status"], "failed");
    assert!(failing.get("why").is_none(), "{failing}");
    assert_eq!(json["reason"], "1 blocker: TST006");

    // On a passing test it silences nothing: SUP004, with a fix.
    std::fs::write(&test_file, annotate(16, "TST006")).unwrap();
    let run = check(dir.path(), &args);
    assert_eq!(
        codes(&run),
        vec![
            ("SUP004".to_owned(), 16),
            ("TST006".to_owned(), 22),
            ("TST006".to_owned(), 27)
        ],
        "{}",
        run.stdout
    );
    assert_eq!(
        diagnostics(&run)[0]["message"],
        "suppression of TST006 matches no finding on this line; remove it"
    );

    // Without `--junit` TST006 judged nothing: the suppression is not unused.
    let run = check(
        dir.path(),
        &["check", "--format", "json", "--select", "TST006,SUP004"],
    );
    assert_eq!(codes(&run), vec![], "{}", run.stdout);
}

#[test]
fn a_baseline_that_records_its_commit_is_the_base_of_new_code_coverage() {
    let repo = changed("shop", &[("app/pricing.py", pricing_without_clear("shop"))]);
    write(
        repo.path(),
        "fortress.toml",
        "[coverage]\nmin-new-lines = 5\n",
    );
    let write_baseline = check(repo.path(), &["baseline", "write", "base.json"]);
    assert_eq!(write_baseline.code, 0, "{}", write_baseline.stderr);
    let args = [
        "check",
        "--format",
        "json",
        "--baseline",
        "base.json",
        "--coverage",
        "coverage.json",
        "--select",
        "COV002",
    ];
    let with_baseline = check(repo.path(), &args);
    let since = check(
        repo.path(),
        &[
            "check",
            "--format",
            "json",
            "--since",
            "HEAD",
            "--coverage",
            "coverage.json",
            "--select",
            "COV002",
            "--task",
            "none",
        ],
    );
    assert_eq!(with_baseline.code, 1, "{}", with_baseline.stderr);
    let d = diagnostics(&with_baseline);
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(
        (d[0]["line"].clone(), d[0]["end_line"].clone()),
        (46.into(), 51.into())
    );
    assert_eq!(d[0]["message"], diagnostics(&since)[0]["message"]);

    // A baseline without a commit (schema 1), or with one the clone lacks:
    // new-code coverage is not judged, and a note says why for the latter.
    let text = std::fs::read_to_string(repo.path().join("base.json")).unwrap();
    let mut json: Value = serde_json::from_str(&text).unwrap();
    let obj = json.as_object_mut().unwrap();
    obj.remove("commit");
    std::fs::write(repo.path().join("base.json"), json.to_string()).unwrap();
    let run = check(repo.path(), &args);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(diagnostics(&run), Vec::<Value>::new());
    let new_code = |run: &Run| {
        run.json()["conditions"][0]["why"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    assert!(new_code(&run).starts_with("no base"), "{}", run.stdout);
    json["commit"] = Value::from("0123456789abcdef0123456789abcdef01234567");
    std::fs::write(repo.path().join("base.json"), json.to_string()).unwrap();
    let run = check(repo.path(), &args);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("the baseline's commit 0123456789ab cannot be compared with"),
        "{}",
        run.stderr
    );
    assert!(new_code(&run).starts_with("no base"), "{}", run.stdout);
}
