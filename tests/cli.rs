//! End-to-end tests of the command line: the real binary, run in temporary
//! directories, judged by its exit code and output.

mod common;

use std::path::Path;

use common::{command, fortress, run_cmd, write, Run};
use tempfile::TempDir;

const CLEAN: &str = "import os\n\nHOME = os.environ.get(\"HOME\", \"/\")\n";
/// One TYP001 (warning) on line 3.
const OPTIONAL: &str = "from typing import Optional\n\nx: Optional[int] = None\n";
/// One SYN001 (blocker).
const BROKEN: &str = "def f(:\n    pass\n";
/// TYP001 on line 3, SUP001 on line 4, SUP002 on line 5.
const MIXED: &str = "from typing import Optional\n\nx: Optional[int] = None\ny = 1  # type: ignore\nz = 2  # noqa\n";

fn project(files: &[(&str, &str)]) -> TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    for (rel, content) in files {
        write(dir.path(), rel, content);
    }
    dir
}

fn check(dir: &Path, args: &[&str]) -> Run {
    let mut all = vec!["check"];
    all.extend_from_slice(args);
    fortress(dir, &all)
}

fn check_json(dir: &Path, args: &[&str]) -> Run {
    let mut all = vec!["check", "--format", "json"];
    all.extend_from_slice(args);
    let run = fortress(dir, &all);
    assert!(
        run.code == 0 || run.code == 1,
        "exit {} for {args:?}:\n{}",
        run.code,
        run.stderr
    );
    run
}

fn sorted(mut codes: Vec<String>) -> Vec<String> {
    codes.sort();
    codes.dedup();
    codes
}

/// Exactly one line on stderr that mentions every `needle`.
fn assert_one_error_line(run: &Run, needles: &[&str]) {
    assert_eq!(
        run.code, 2,
        "stdout:\n{}\nstderr:\n{}",
        run.stdout, run.stderr
    );
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(
        lines.len(),
        1,
        "want one line on stderr, got:\n{}",
        run.stderr
    );
    for needle in needles {
        assert!(
            lines[0].contains(needle),
            "`{needle}` missing from: {}",
            lines[0]
        );
    }
    assert!(run.stdout.is_empty(), "stdout: {}", run.stdout);
}

// ---------------------------------------------------------------- exit codes

#[test]
fn pass_exits_0() {
    let dir = project(&[("app.py", CLEAN)]);
    let run = check(dir.path(), &[]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("Verdict: PASS"), "{}", run.stdout);
    assert!(
        run.stdout.contains("No findings in 1 file."),
        "{}",
        run.stdout
    );
}

#[test]
fn conditional_pass_exits_0() {
    let dir = project(&[("app.py", OPTIONAL)]);
    let run = check(dir.path(), &[]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout.contains("Verdict: CONDITIONAL PASS"),
        "{}",
        run.stdout
    );
}

#[test]
fn fail_exits_1() {
    let dir = project(&[("app.py", OPTIONAL), ("broken.py", BROKEN)]);
    let run = check(dir.path(), &[]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stdout.contains("Verdict: FAIL"), "{}", run.stdout);
    // The broken file does not stop the others from being checked.
    assert_eq!(
        sorted(check_json(dir.path(), &["--select", "SYN,TYP001"]).codes()),
        ["SYN001", "TYP001"]
    );
}

#[test]
fn usage_errors_exit_2() {
    let dir = project(&[("app.py", CLEAN)]);
    for args in [
        &["check", "--no-such-flag"][..],
        &["check", "--format", "xml"],
        &["check", "--threads", "many"],
        &["frobnicate"],
        &[],
        &["check", "--config", "a.toml", "--isolated"],
        &["check", "--fail-on", "sometimes"],
        &["check", "--select", "NOPE999"],
        &["check", "--per-file-ignores", "no-colon-here"],
    ] {
        let run = fortress(dir.path(), args);
        assert_eq!(run.code, 2, "{args:?}: {run:?}");
        assert!(!run.stderr.is_empty(), "{args:?}: nothing on stderr");
        assert!(run.stdout.is_empty(), "{args:?}: {}", run.stdout);
    }
}

#[test]
fn checking_no_file_passes_with_a_warning() {
    let dir = project(&[("docs/readme.md", "# docs\n"), (".venv/x.py", OPTIONAL)]);
    let run = check(dir.path(), &["--quiet"]);
    assert_eq!(run.code, 0);
    assert_eq!(
        run.stdout,
        "Verdict: PASS (0 blockers, 0 warnings, 0 info; 0 files checked)\n"
    );
    assert!(
        run.stderr.contains("no Python files found"),
        "{}",
        run.stderr
    );
    let run = check(dir.path(), &["docs", "--format", "json"]);
    assert_eq!(run.code, 0);
    assert_eq!(run.json()["summary"]["files"], 0);
}

#[test]
fn help_and_version_exit_0() {
    let dir = project(&[]);
    for args in [&["--help"][..], &["--version"], &["check", "--help"]] {
        let run = fortress(dir.path(), args);
        assert_eq!(run.code, 0, "{args:?}: {run:?}");
        assert!(!run.stdout.is_empty());
    }
}

#[test]
fn missing_path_exits_2() {
    let dir = project(&[("app.py", CLEAN)]);
    let run = check(dir.path(), &["app.py", "does/not/exist.py"]);
    assert_one_error_line(&run, &["does/not/exist.py", "no such file"]);
}

#[test]
fn fail_on_conditional_flag() {
    let dir = project(&[("app.py", OPTIONAL)]);
    assert_eq!(check(dir.path(), &["--fail-on", "conditional"]).code, 1);
    assert_eq!(check(dir.path(), &["--fail-on", "fail"]).code, 0);
    let clean = project(&[("app.py", CLEAN)]);
    assert_eq!(check(clean.path(), &["--fail-on", "conditional"]).code, 0);
}

#[test]
fn fail_on_conditional_config_key_and_flag_override() {
    let dir = project(&[
        ("app.py", OPTIONAL),
        ("fortress.toml", "fail-on = \"conditional\"\n"),
    ]);
    assert_eq!(check(dir.path(), &[]).code, 1);
    assert_eq!(check(dir.path(), &["--fail-on", "fail"]).code, 0);
    assert_eq!(check(dir.path(), &["--isolated"]).code, 0);
}

// -------------------------------------------------------------- text output

#[test]
fn quiet_prints_only_the_verdict_line() {
    let dir = project(&[("app.py", MIXED)]);
    let run = check(dir.path(), &["--quiet"]);
    assert_eq!(run.code, 0);
    assert_eq!(
        run.stdout,
        "Verdict: CONDITIONAL PASS (0 blockers, 3 warnings, 0 info; 1 file checked)\n"
    );
    assert!(run.stderr.is_empty(), "{}", run.stderr);
}

#[test]
fn text_shows_snippet_code_name_help_counts_and_verdict() {
    let dir = project(&[("app.py", MIXED)]);
    let run = check(dir.path(), &[]);
    let out = &run.stdout;
    for needle in [
        "warning[TYP001]: use `int | None` instead of `Optional[int]`",
        "┌─ app.py:3:4",
        "x: Optional[int] = None",
        "optional-annotation",
        "= help: write `X | None`",
        "Found 3 findings in 1 of 1 file: 0 blockers, 3 warnings, 0 info.",
        "1  SUP001  blanket-type-ignore",
        "1  TYP001  optional-annotation",
    ] {
        assert!(out.contains(needle), "`{needle}` missing from:\n{out}");
    }
    assert!(out
        .ends_with("Verdict: CONDITIONAL PASS (0 blockers, 3 warnings, 0 info; 1 file checked)\n"));
}

#[test]
fn colour_only_when_wanted() {
    let dir = project(&[("app.py", MIXED)]);
    // Piped output is never coloured unless forced.
    let plain = check(dir.path(), &[]);
    assert!(!plain.stdout.contains('\x1b'));

    let mut forced = command(dir.path(), &["check"]);
    forced.env("FORCE_COLOR", "1");
    let forced = run_cmd(forced);
    assert!(
        forced.stdout.contains('\x1b'),
        "FORCE_COLOR should colour the output"
    );

    let mut flag = command(dir.path(), &["check", "--no-color"]);
    flag.env("FORCE_COLOR", "1");
    let flag = run_cmd(flag);
    assert!(!flag.stdout.contains('\x1b'), "--no-color: {}", flag.stdout);

    let mut env = command(dir.path(), &["check"]);
    env.env("FORCE_COLOR", "1").env("NO_COLOR", "1");
    let env = run_cmd(env);
    assert!(!env.stdout.contains('\x1b'), "NO_COLOR: {}", env.stdout);
    assert_eq!(env.stdout, plain.stdout);
    assert_eq!(flag.stdout, plain.stdout);
}

#[test]
fn output_file_receives_the_report() {
    let dir = project(&[("app.py", OPTIONAL)]);
    let run = check(dir.path(), &["--format", "json", "--output", "report.json"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    let written = std::fs::read_to_string(dir.path().join("report.json")).expect("report");
    let direct = check_json(dir.path(), &[]);
    assert_eq!(written, direct.stdout);

    let run = check(dir.path(), &["-o", "report.txt"]);
    assert!(run.stdout.is_empty());
    let text = std::fs::read_to_string(dir.path().join("report.txt")).expect("report");
    assert!(text.contains("Verdict: CONDITIONAL PASS"));
    assert!(!text.contains('\x1b'));

    let run = check(dir.path(), &["--output", "no/such/dir/report.txt"]);
    assert_one_error_line(&run, &["no/such/dir/report.txt"]);
}

#[test]
fn github_format_emits_workflow_commands() {
    let dir = project(&[("app.py", MIXED), ("broken.py", BROKEN)]);
    let run = check(
        dir.path(),
        &["--format", "github", "--select", "SYN,SUP,TYP001"],
    );
    assert_eq!(run.code, 1);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 4, "{}", run.stdout);
    assert_eq!(
        lines[0],
        "::warning file=app.py,line=3,col=4,endLine=3,endColumn=17,title=TYP001 optional-annotation::use `int | None` instead of `Optional[int]`"
    );
    assert!(lines[3].starts_with("::error file=broken.py,line=1,"));
    assert!(lines[3].contains(",title=SYN001 syntax-error::"));
}

// ------------------------------------------------------- config discovery

#[test]
fn nearest_pyproject_with_a_fortress_table_applies() {
    let dir = project(&[
        (
            "pyproject.toml",
            "[project]\nname = \"x\"\n\n[tool.fortress]\nignore = [\"TYP001\"]\n",
        ),
        ("src/pkg/app.py", MIXED),
    ]);
    // Checked from the root, from a subdirectory, and by naming the subdirectory.
    assert_eq!(
        sorted(check_json(dir.path(), &[]).codes()),
        ["SUP001", "SUP002"]
    );
    assert_eq!(
        sorted(check_json(&dir.path().join("src/pkg"), &[]).codes()),
        ["SUP001", "SUP002"]
    );
    assert_eq!(
        sorted(check_json(dir.path(), &["src/pkg/app.py"]).codes()),
        ["SUP001", "SUP002"]
    );
}

#[test]
fn pyproject_without_a_fortress_table_is_skipped() {
    let dir = project(&[
        ("fortress.toml", "ignore = [\"TYP001\"]\n"),
        (
            "svc/pyproject.toml",
            "[project]\nname = \"svc\"\n\n[tool.ruff]\nline-length = 100\n",
        ),
        ("svc/app.py", MIXED),
    ]);
    assert_eq!(
        sorted(check_json(dir.path(), &["svc"]).codes()),
        ["SUP001", "SUP002"]
    );
}

#[test]
fn nearer_config_wins_over_outer_one() {
    let dir = project(&[
        ("pyproject.toml", "[tool.fortress]\nignore = [\"TYP001\"]\n"),
        (
            "svc/pyproject.toml",
            "[tool.fortress]\nignore = [\"SUP\"]\n",
        ),
        ("svc/app.py", MIXED),
    ]);
    assert_eq!(check_json(dir.path(), &["svc"]).codes(), ["TYP001"]);
}

#[test]
fn fortress_toml_wins_over_pyproject_in_the_same_directory() {
    let dir = project(&[
        ("pyproject.toml", "[tool.fortress]\nignore = [\"TYP001\"]\n"),
        ("fortress.toml", "ignore = [\"SUP\"]\n"),
        ("app.py", MIXED),
    ]);
    assert_eq!(check_json(dir.path(), &[]).codes(), ["TYP001"]);
}

#[test]
fn explicit_config_file_and_isolated() {
    let dir = project(&[
        ("fortress.toml", "ignore = [\"TYP001\"]\n"),
        ("ci/strict.toml", "select = [\"TYP\"]\n"),
        ("app.py", MIXED),
    ]);
    assert_eq!(
        check_json(dir.path(), &["--config", "ci/strict.toml"]).codes(),
        ["TYP001"]
    );
    assert_eq!(
        sorted(check_json(dir.path(), &["--isolated"]).codes()),
        ["SUP001", "SUP002", "TYP001"]
    );
    let run = check(dir.path(), &["--config", "missing.toml"]);
    assert_one_error_line(&run, &["missing.toml"]);
}

#[test]
fn globs_of_an_explicit_config_are_relative_to_the_current_directory() {
    let dir = project(&[
        (
            "ci/strict.toml",
            "extend-exclude = [\"app/legacy\"]\n\n[per-file-ignores]\n\"tests/*\" = [\"TYP001\"]\n",
        ),
        ("app/main.py", OPTIONAL),
        ("app/legacy/old.py", OPTIONAL),
        ("tests/test_main.py", OPTIONAL),
        ("ci/tests/test_ci.py", OPTIONAL),
    ]);
    assert_eq!(
        check_json(dir.path(), &["--config", "ci/strict.toml"]).paths(),
        ["app/main.py", "ci/tests/test_ci.py"]
    );
}

#[test]
fn explicit_pyproject_config_file() {
    let dir = project(&[
        (
            "conf/pyproject.toml",
            "[tool.fortress]\nselect = [\"SUP002\"]\n",
        ),
        ("app.py", MIXED),
    ]);
    assert_eq!(
        check_json(dir.path(), &["--config", "conf/pyproject.toml"]).codes(),
        ["SUP002"]
    );
}

// ----------------------------------------------------------- config errors

fn config_error(file: &str, config: &str, needles: &[&str]) {
    let dir = project(&[(file, config), ("app.py", CLEAN)]);
    let run = check(dir.path(), &[]);
    assert_one_error_line(&run, needles);
    assert!(
        run.stderr.contains(&format!("{file}:")),
        "the file is not named: {}",
        run.stderr
    );
}

#[test]
fn unknown_key_is_an_error_with_its_location() {
    config_error(
        "fortress.toml",
        "select = [\"TYP\"]\nselct = [\"SUP\"]\n",
        &["fortress.toml:2:1:", "unknown key `selct`"],
    );
    config_error(
        "pyproject.toml",
        "[project]\nname = \"x\"\n\n[tool.fortress]\nextend-selection = [\"TYP\"]\n",
        &[
            "pyproject.toml:5:1:",
            "unknown key `extend-selection`",
            "[tool.fortress]",
        ],
    );
}

#[test]
fn unknown_rule_code_is_an_error_with_its_location() {
    config_error(
        "fortress.toml",
        "select = [\"TYP001\", \"XYZ123\"]\n",
        &["fortress.toml:1:21:", "`select`", "XYZ123"],
    );
    config_error(
        "fortress.toml",
        "[per-file-ignores]\n\"tests/*\" = [\"NOPE1\"]\n",
        &["fortress.toml:2:14:", "per-file-ignores", "NOPE1"],
    );
    config_error(
        "pyproject.toml",
        "[tool.fortress.severity]\nTYP999 = \"info\"\n",
        &["pyproject.toml:2:1:", "severity", "TYP999"],
    );
}

#[test]
fn wrong_type_is_an_error_naming_the_key() {
    config_error(
        "fortress.toml",
        "ignore = \"TYP001\"\n",
        &["fortress.toml:1:10:", "`ignore`", "expected an array"],
    );
    config_error(
        "pyproject.toml",
        "[tool.fortress]\nexclude = [\"build\", 3]\n",
        &["pyproject.toml:2:21:", "`exclude`", "integer"],
    );
    config_error(
        "pyproject.toml",
        "[tool.fortress.severity]\nTYP001 = 2\n",
        &["pyproject.toml:2:10:", "`severity.TYP001`"],
    );
    config_error(
        "fortress.toml",
        "per-file-ignores = [\"tests/*\"]\n",
        &["fortress.toml:1:", "`per-file-ignores`", "expected a table"],
    );
    config_error(
        "fortress.toml",
        "[tool.fortress]\nselect = [\"TYP\"]\n",
        &["fortress.toml:1:2:", "unknown key `tool`", "top level"],
    );
}

#[test]
fn bad_severity_value_is_an_error() {
    config_error(
        "fortress.toml",
        "[severity]\nTYP001 = \"critical\"\n",
        &[
            "fortress.toml:2:10:",
            "`severity.TYP001`",
            "critical",
            "blocker",
        ],
    );
}

#[test]
fn bad_glob_is_an_error() {
    config_error(
        "fortress.toml",
        "extend-exclude = [\"gen/[a-\"]\n",
        &["fortress.toml:1:19:", "`extend-exclude`", "gen/[a-"],
    );
    config_error(
        "fortress.toml",
        "[per-file-ignores]\n\"tests/{a\" = [\"TYP001\"]\n",
        &["fortress.toml:2:1:", "per-file-ignores", "tests/{a"],
    );
}

#[test]
fn malformed_toml_is_an_error() {
    config_error(
        "fortress.toml",
        "select = [\"TYP001\"\n",
        &["fortress.toml:1:"],
    );
    config_error(
        "pyproject.toml",
        "[tool.fortress\nselect = []\n",
        &["pyproject.toml:1:"],
    );
}

#[test]
fn bad_fail_on_in_config_is_an_error() {
    config_error(
        "fortress.toml",
        "fail-on = \"warning\"\n",
        &["fortress.toml:1:11:", "fail-on", "conditional"],
    );
}

#[test]
fn bad_target_version_is_an_error() {
    config_error(
        "fortress.toml",
        "target-version = \"py3\"\n",
        &["fortress.toml:1:18:", "target-version", "py310"],
    );
    config_error(
        "fortress.toml",
        "target-version = \"py27\"\n",
        &["fortress.toml:1:18:", "py37 to py314"],
    );
    let dir = project(&[("app.py", "x = 1\n")]);
    let run = check(dir.path(), &["--target-version", "3.x"]);
    assert_one_error_line(&run, &["--target-version", "`3.x`"]);
}

#[test]
fn bad_requires_python_is_an_error_with_its_location() {
    let dir = project(&[
        ("app.py", "x = 1\n"),
        (
            "pyproject.toml",
            "[project]\nname = \"x\"\nrequires-python = \">=3.x\"\n",
        ),
    ]);
    let run = check(dir.path(), &[]);
    assert_one_error_line(
        &run,
        &["pyproject.toml:3:19:", "requires-python", "target-version"],
    );
}

#[test]
fn target_version_comes_from_the_flag_config_or_metadata() {
    let target = |run: &Run| {
        let json = run.json();
        (
            json["target_version"].as_str().unwrap_or("").to_owned(),
            json["target_version_source"]
                .as_str()
                .unwrap_or("")
                .to_owned(),
        )
    };
    let dir = project(&[("app.py", "x = 1\n")]);
    assert_eq!(
        target(&check_json(dir.path(), &[])),
        ("3.10".to_owned(), "default".to_owned())
    );
    let dir = project(&[
        ("backend/app.py", "x = 1\n"),
        (
            "pyproject.toml",
            "[tool.poetry.dependencies]\npython = \"^3.9\"\n",
        ),
    ]);
    std::fs::create_dir(dir.path().join(".git")).expect("mkdir");
    // Found up to the repository root, from the checked directory.
    let (version, source) = target(&check_json(dir.path(), &["backend"]));
    assert_eq!(version, "3.9");
    assert!(
        source.starts_with("tool.poetry.dependencies.python = \"^3.9\""),
        "{source}"
    );
    let dir = project(&[
        ("app.py", "x = 1\n"),
        (
            "pyproject.toml",
            "[project]\nrequires-python = \">=3.12\"\n[tool.fortress]\ntarget-version = \"py311\"\n",
        ),
    ]);
    assert_eq!(target(&check_json(dir.path(), &[])).0, "3.11");
    assert_eq!(
        target(&check_json(dir.path(), &["--target-version", "py313"])),
        ("3.13".to_owned(), "--target-version".to_owned())
    );
    let text = check(dir.path(), &[]);
    assert!(
        text.stdout
            .contains("Target: Python 3.11 (target-version in "),
        "{}",
        text.stdout
    );
}

// ----------------------------------------------------------- rule selection

#[test]
fn select_extend_select_ignore_in_config() {
    let cases: &[(&str, &[&str])] = &[
        ("select = [\"TYP001\"]\n", &["TYP001"]),
        ("select = [\"SUP\"]\n", &["SUP001", "SUP002"]),
        (
            "select = [\"SUP001\"]\nextend-select = [\"TYP\"]\n",
            &["SUP001", "TYP001"],
        ),
        ("ignore = [\"SUP\"]\n", &["TYP001"]),
        (
            "select = [\"ALL\"]\nignore = [\"SUP002\", \"TYP001\"]\n",
            &["SUP001"],
        ),
        (
            "extend-select = [\"SUP001\"]\n",
            &["SUP001", "SUP002", "TYP001"],
        ),
    ];
    for (config, want) in cases {
        let dir = project(&[("fortress.toml", config), ("app.py", MIXED)]);
        assert_eq!(
            sorted(check_json(dir.path(), &[]).codes()),
            *want,
            "config: {config}"
        );
    }
}

#[test]
fn select_extend_select_ignore_on_the_command_line_replace_config() {
    let dir = project(&[
        (
            "fortress.toml",
            "select = [\"TYP\"]\nignore = [\"SUP002\"]\n",
        ),
        ("app.py", MIXED),
    ]);
    let cases: &[(&[&str], &[&str])] = &[
        (&[], &["TYP001"]),
        (&["--select", "SUP"], &["SUP001"]),
        (
            &["--select", "SUP,TYP001", "--ignore", "SUP001"],
            &["SUP002", "TYP001"],
        ),
        (&["--extend-select", "SUP001"], &["SUP001", "TYP001"]),
        (&["--ignore", "TYP"], &[]),
        (
            &["--ignore", "SUP001", "--extend-select", "SUP"],
            &["SUP002", "TYP001"],
        ),
    ];
    for (args, want) in cases {
        assert_eq!(
            sorted(check_json(dir.path(), args).codes()),
            *want,
            "args: {args:?}"
        );
    }
}

#[test]
fn per_file_ignores_from_config_and_flag() {
    let files = [
        ("app/main.py", OPTIONAL),
        ("tests/test_main.py", OPTIONAL),
        ("tests/unit/test_deep.py", OPTIONAL),
    ];
    let dir = project(&files);
    assert_eq!(
        check_json(dir.path(), &[]).paths(),
        [
            "app/main.py",
            "tests/test_main.py",
            "tests/unit/test_deep.py"
        ]
    );
    assert_eq!(
        check_json(dir.path(), &["--per-file-ignores", "tests/*:TYP001"]).paths(),
        ["app/main.py"]
    );
    assert_eq!(
        check_json(
            dir.path(),
            &[
                "--per-file-ignores",
                "tests/*:SUP",
                "--per-file-ignores",
                "main.py:TYP"
            ]
        )
        .paths(),
        ["tests/test_main.py", "tests/unit/test_deep.py"]
    );

    let configured = project(&files);
    write(
        configured.path(),
        "pyproject.toml",
        "[tool.fortress.per-file-ignores]\n\"tests/**/test_*.py\" = [\"TYP\"]\n",
    );
    assert_eq!(check_json(configured.path(), &[]).paths(), ["app/main.py"]);
    // The flag replaces the table.
    assert_eq!(
        check_json(configured.path(), &["--per-file-ignores", "app/*:TYP001"]).paths(),
        ["tests/test_main.py", "tests/unit/test_deep.py"]
    );
}

#[test]
fn severity_overrides_change_the_verdict() {
    let dir = project(&[
        ("fortress.toml", "[severity]\nTYP001 = \"blocker\"\n"),
        ("app.py", OPTIONAL),
    ]);
    let run = check_json(dir.path(), &[]);
    assert_eq!(run.code, 1);
    let json = run.json();
    assert_eq!(json["verdict"], "FAIL");
    assert_eq!(json["diagnostics"][0]["severity"], "blocker");
    assert_eq!(json["summary"]["blocker"], 1);

    let dir = project(&[
        (
            "fortress.toml",
            "[severity]\nSUP = \"info\"\nTYP001 = \"info\"\n",
        ),
        ("app.py", MIXED),
    ]);
    let run = check_json(dir.path(), &[]);
    assert_eq!(run.code, 0);
    let json = run.json();
    assert_eq!(json["verdict"], "PASS");
    assert_eq!(json["summary"]["info"], 3);
    assert_eq!(json["summary"]["warning"], 0);
    let text = check(dir.path(), &["--fail-on", "conditional"]);
    assert_eq!(text.code, 0);
    assert!(text
        .stdout
        .contains("Verdict: PASS (0 blockers, 0 warnings, 3 info;"));
}

// --------------------------------------------------------- file discovery

#[test]
fn default_exclusions() {
    let mut files = vec![("app/main.py", OPTIONAL)];
    let excluded = [
        ".venv/lib/site.py",
        "venv/x.py",
        "env/x.py",
        "node_modules/pkg/x.py",
        "app/__pycache__/x.py",
        "build/lib/app/main.py",
        "dist/x.py",
        ".tox/py311/x.py",
        ".nox/x.py",
        ".mypy_cache/x.py",
        ".ruff_cache/x.py",
        "lib/python3.12/site-packages/pkg/x.py",
        ".git/hooks/x.py",
    ];
    for rel in excluded {
        files.push((rel, OPTIONAL));
    }
    let dir = project(&files);
    let run = check_json(dir.path(), &[]);
    assert_eq!(run.paths(), ["app/main.py"]);
    assert_eq!(run.json()["summary"]["files"], 1);
}

#[test]
fn exclude_replaces_the_defaults_and_extend_exclude_adds() {
    let dir = project(&[
        ("app/main.py", OPTIONAL),
        ("app/legacy/old.py", OPTIONAL),
        ("generated/api_pb2.py", OPTIONAL),
        (".venv/lib/x.py", OPTIONAL),
    ]);
    assert_eq!(
        check_json(dir.path(), &["--extend-exclude", "generated,app/legacy"]).paths(),
        ["app/main.py"]
    );
    assert_eq!(
        check_json(dir.path(), &["--exclude", "generated"]).paths(),
        [".venv/lib/x.py", "app/legacy/old.py", "app/main.py"]
    );
    assert_eq!(
        check_json(dir.path(), &["--extend-exclude", "*_pb2.py"]).paths(),
        ["app/legacy/old.py", "app/main.py"]
    );

    write(
        dir.path(),
        "fortress.toml",
        "exclude = [\"app/legacy\"]\nextend-exclude = [\"generated\"]\n",
    );
    assert_eq!(
        check_json(dir.path(), &[]).paths(),
        [".venv/lib/x.py", "app/main.py"]
    );
    // The flags replace the keys of the same name.
    assert_eq!(
        check_json(dir.path(), &["--extend-exclude", ".venv"]).paths(),
        ["app/main.py", "generated/api_pb2.py"]
    );
}

#[test]
fn exclusion_globs_are_relative_to_the_config_directory() {
    let dir = project(&[
        ("svc/fortress.toml", "extend-exclude = [\"app/legacy\"]\n"),
        ("svc/app/main.py", OPTIONAL),
        ("svc/app/legacy/old.py", OPTIONAL),
    ]);
    assert_eq!(
        check_json(dir.path(), &["svc"]).paths(),
        ["svc/app/main.py"]
    );
    assert_eq!(
        check_json(&dir.path().join("svc/app"), &[]).paths(),
        ["main.py"]
    );
}

#[test]
fn gitignore_and_ignore_files_are_respected_outside_a_git_repository() {
    let dir = project(&[
        (".gitignore", "generated/\n*_local.py\n"),
        ("pkg/.ignore", "scratch.py\n"),
        ("app.py", OPTIONAL),
        ("generated/models.py", OPTIONAL),
        ("settings_local.py", OPTIONAL),
        ("pkg/scratch.py", OPTIONAL),
        ("pkg/mod.py", OPTIONAL),
    ]);
    assert!(!dir.path().join(".git").exists());
    assert_eq!(
        check_json(dir.path(), &[]).paths(),
        ["app.py", "pkg/mod.py"]
    );
    // From a subdirectory, the parent's ignore files still apply.
    assert_eq!(check_json(&dir.path().join("pkg"), &[]).paths(), ["mod.py"]);
}

#[test]
fn gitignore_is_respected_inside_a_git_repository() {
    let dir = project(&[
        (".gitignore", "out/\n"),
        ("app.py", OPTIONAL),
        ("out/x.py", OPTIONAL),
    ]);
    std::fs::create_dir_all(dir.path().join(".git/info")).expect("mkdir");
    write(dir.path(), ".git/info/exclude", "private.py\n");
    write(dir.path(), "private.py", OPTIONAL);
    assert_eq!(check_json(dir.path(), &[]).paths(), ["app.py"]);
    write(dir.path(), "out/sub/y.py", OPTIONAL);
    write(dir.path(), "lib/mod.py", OPTIONAL);
    assert_eq!(check_json(&dir.path().join("lib"), &[]).paths(), ["mod.py"]);
    assert_eq!(
        check_json(dir.path(), &["lib", "out/sub"]).paths(),
        ["lib/mod.py", "out/sub/y.py"]
    );
}

#[test]
fn ignore_files_above_the_repository_root_do_not_count() {
    let dir = project(&[
        (
            ".gitignore",
            "app.py
local/
",
        ),
        ("repo/app.py", OPTIONAL),
        ("repo/local/x.py", OPTIONAL),
        (
            "repo/.gitignore",
            "skipped.py
",
        ),
        ("repo/skipped.py", OPTIONAL),
    ]);
    std::fs::create_dir_all(dir.path().join("repo/.git")).expect("mkdir");
    let repo = dir.path().join("repo");
    assert_eq!(check_json(&repo, &[]).paths(), ["app.py", "local/x.py"]);
    assert_eq!(check_json(&repo.join("local"), &[]).paths(), ["x.py"]);
    // `git worktree` and submodules put a `.git` file, not a directory.
    std::fs::remove_dir(repo.join(".git")).expect("rmdir");
    write(&repo, ".git", "gitdir: /elsewhere/.git/worktrees/repo\n");
    assert_eq!(check_json(&repo, &[]).paths(), ["app.py", "local/x.py"]);
}

#[test]
fn explicitly_named_paths_are_always_checked() {
    let dir = project(&[
        (".gitignore", "generated/\n*_local.py\n"),
        ("app.py", OPTIONAL),
        (".venv/lib/x.py", OPTIONAL),
        ("build/gen.py", OPTIONAL),
        ("generated/models.py", OPTIONAL),
        ("settings_local.py", OPTIONAL),
        ("vendor/v.py", OPTIONAL),
        ("fortress.toml", "extend-exclude = [\"vendor\"]\n"),
    ]);
    for path in [
        ".venv/lib/x.py",
        "build/gen.py",
        "generated/models.py",
        "settings_local.py",
        "vendor/v.py",
        "./vendor/v.py",
    ] {
        let run = check_json(dir.path(), &[path]);
        assert_eq!(
            run.paths(),
            [path.trim_start_matches("./")],
            "{path} named on the command line"
        );
    }
    // An excluded directory named explicitly is walked too.
    assert_eq!(check_json(dir.path(), &["build"]).paths(), ["build/gen.py"]);
    assert_eq!(check_json(dir.path(), &["vendor"]).paths(), ["vendor/v.py"]);
    assert_eq!(
        check_json(dir.path(), &["generated"]).paths(),
        ["generated/models.py"]
    );
    // A file named explicitly is checked whatever its extension.
    write(dir.path(), "scripts/manage", OPTIONAL);
    assert_eq!(
        check_json(dir.path(), &["scripts/manage"]).paths(),
        ["scripts/manage"]
    );
}

#[test]
fn several_paths_and_duplicates() {
    let dir = project(&[
        ("a/x.py", OPTIONAL),
        ("b/y.py", OPTIONAL),
        ("c/z.py", OPTIONAL),
    ]);
    let run = check_json(dir.path(), &["b", "a", "a/x.py", "./a"]);
    assert_eq!(run.paths(), ["a/x.py", "b/y.py"]);
    assert_eq!(run.json()["summary"]["files"], 2);
}

// ------------------------------------------------------- rules and rule

#[test]
fn rules_lists_every_rule() {
    let dir = project(&[]);
    let run = fortress(dir.path(), &["rules"]);
    assert_eq!(run.code, 0);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert!(lines[0].starts_with("CODE"), "{}", lines[0]);
    let registry = fortress::rules::registry();
    assert_eq!(lines.len(), registry.len() + 1);
    for (line, rule) in lines[1..].iter().zip(registry) {
        let m = &rule.meta;
        let fields: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(fields[0], m.code);
        assert_eq!(fields[1], m.name);
        assert_eq!(fields[2], m.family.name());
        assert_eq!(fields[3], m.severity.as_str());
        assert_eq!(fields[4], if m.fixable { "yes" } else { "no" });
        assert!(line.ends_with(m.summary), "{line}");
    }

    let run = fortress(dir.path(), &["rules", "--format", "json"]);
    assert_eq!(run.code, 0);
    let json = run.json();
    let listed = json.as_array().expect("array");
    assert_eq!(listed.len(), registry.len());
    for (item, rule) in listed.iter().zip(registry) {
        let m = &rule.meta;
        assert_eq!(item["code"], m.code);
        assert_eq!(item["name"], m.name);
        assert_eq!(item["family"], m.family.name());
        assert_eq!(item["severity"], m.severity.as_str());
        assert_eq!(item["fixable"], m.fixable);
        assert_eq!(item["summary"], m.summary);
    }
}

#[test]
fn rule_prints_its_documentation() {
    let dir = project(&[]);
    let run = fortress(dir.path(), &["rule", "TYP001"]);
    assert_eq!(run.code, 0);
    let doc = std::fs::read_to_string(common::repo_root().join("rules/TYP001.md")).expect("doc");
    assert_eq!(run.stdout, doc);
    assert!(run.stdout.starts_with("# TYP001 optional-annotation"));
    assert_eq!(fortress(dir.path(), &["rule", "typ001"]).stdout, doc);

    let run = fortress(dir.path(), &["rule", "XYZ999"]);
    assert_one_error_line(&run, &["XYZ999"]);
}

// --------------------------------------------------- paths and positions

#[test]
fn json_paths_are_relative_to_the_current_directory() {
    let dir = project(&[("proj/src/app/main.py", OPTIONAL)]);
    let run = check_json(dir.path(), &["proj/src"]);
    assert_eq!(run.paths(), ["proj/src/app/main.py"]);
    let run = check_json(&dir.path().join("proj/src/app"), &[]);
    assert_eq!(run.paths(), ["main.py"]);
    let run = check_json(&dir.path().join("proj/src/app"), &["../app/./main.py"]);
    assert_eq!(run.paths(), ["main.py"]);

    // Files outside the current directory keep an absolute path.
    let other = project(&[("elsewhere.py", OPTIONAL)]);
    let target = other.path().join("elsewhere.py");
    let run = check_json(dir.path(), &[target.to_str().expect("utf-8 temp path")]);
    let path = &run.paths()[0];
    assert!(Path::new(path).is_absolute(), "{path}");
    assert!(path.ends_with("/elsewhere.py"), "{path}");
}

#[test]
fn positions_are_one_based_and_count_characters() {
    // `€` and `é` are 3 and 2 bytes in UTF-8: byte columns would be off by 3.
    let source = "from typing import Optional\n\nnote = \"€\"; café: Optional[int] = None\n";
    let dir = project(&[("app.py", source)]);
    let run = check_json(dir.path(), &[]);
    let d = &run.json()["diagnostics"][0];
    assert_eq!(d["code"], "TYP001");
    assert_eq!(d["line"], 3);
    assert_eq!(d["column"], 19);
    assert_eq!(d["end_line"], 3);
    assert_eq!(d["end_column"], 32);
    let github = check(dir.path(), &["--format", "github"]);
    assert!(
        github
            .stdout
            .contains("line=3,col=19,endLine=3,endColumn=32"),
        "{}",
        github.stdout
    );
    let text = check(dir.path(), &[]);
    assert!(text.stdout.contains("app.py:3:19"), "{}", text.stdout);
}

#[test]
fn json_report_has_the_documented_shape() {
    let dir = project(&[("app.py", MIXED), ("ok.py", CLEAN)]);
    let json = check_json(dir.path(), &[]).json();
    assert_eq!(json["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(json["verdict"], "CONDITIONAL_PASS");
    assert_eq!(
        json["summary"],
        serde_json::json!({"files": 2, "blocker": 0, "warning": 3, "info": 0, "excluded": 0})
    );
    let d = &json["diagnostics"][1];
    assert_eq!(
        *d,
        serde_json::json!({
            "code": "SUP001",
            "name": "blanket-type-ignore",
            "severity": "warning",
            "path": "app.py",
            "line": 4,
            "column": 8,
            "end_line": 4,
            "end_column": 22,
            "message": d["message"].clone(),
        })
    );
}

// ------------------------------------------------------------ determinism

#[test]
fn output_is_identical_for_any_thread_count() {
    let dir = tempfile::tempdir().expect("tempdir");
    for i in 0..120 {
        let mut body = String::from("from typing import Optional, Union\n\n");
        for j in 0..(i % 7) {
            body.push_str(&format!("v{j}: Optional[int] = None  # noqa\n"));
            body.push_str(&format!("w{j}: Union[str, None] = None  # type: ignore\n"));
        }
        if i % 13 == 0 {
            body.push_str("def broken(:\n");
        }
        if i % 11 == 0 {
            body.push_str("x = 1  # fortress: ignore -- no codes\n");
        }
        write(dir.path(), &format!("pkg{}/mod_{i}.py", i % 9), &body);
    }
    for format in ["json", "sarif", "text", "github"] {
        let one = check(dir.path(), &["--format", format, "--threads", "1"]);
        assert_eq!(one.code, 1, "{format}: {}", one.stderr);
        for threads in ["2", "4", "8"] {
            let many = check(dir.path(), &["--format", format, "--threads", threads]);
            assert!(
                one.stdout == many.stdout,
                "{format} differs between 1 and {threads} threads"
            );
        }
    }
    let json = check_json(dir.path(), &[]).json();
    assert_eq!(json["summary"]["files"], 120);
}

#[test]
fn control_characters_never_reach_the_terminal() {
    // A raw ESC inside a string literal is valid Python; echoed verbatim in a
    // snippet it would drive the terminal.
    let dir = project(&[
        (
            "app.py",
            "from typing import Optional\n\nx: Optional[str] = \"\x1b[2J\x1b[31m\"\n",
        ),
        ("blob.py", "\0\x01\x02 binary"),
    ]);
    let run = check(dir.path(), &["--no-color"]);
    assert_eq!(run.code, 1);
    assert!(!run.stdout.contains('\x1b'), "{:?}", run.stdout);
    assert!(!run.stdout.contains('\0'), "{:?}", run.stdout);
    assert!(run.stdout.contains("x: Optional[str] = \"?[2J?[31m\""));
    // JSON keeps the exact text, escaped.
    let json = check_json(dir.path(), &[]);
    assert_eq!(json.codes(), ["TYP001", "SYN001"]);
}

#[cfg(unix)]
#[test]
fn unreadable_files_are_reported_in_path_order() {
    let dir = project(&[("a.py", OPTIONAL), ("c.py", OPTIONAL)]);
    std::os::unix::fs::symlink("nowhere.py", dir.path().join("b.py")).expect("symlink");
    let json = check_json(dir.path(), &[]).json();
    let order: Vec<(&str, &str)> = json["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .map(|d| {
            (
                d["path"].as_str().unwrap_or(""),
                d["code"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        order,
        [("a.py", "TYP001"), ("b.py", "SYN002"), ("c.py", "TYP001")]
    );
    assert_eq!(json["errors"][0]["path"], "b.py");
}

#[test]
fn external_suppressions_follow_the_configuration() {
    let code = "def purge(db, clause):\n    db.execute(f\"DELETE FROM audit WHERE id = {clause}\")  # noqa: S608\n";
    let dir = project(&[("app/crud.py", code)]);
    let sec001 = |run: &Run| run.codes().iter().filter(|c| *c == "SEC001").count();
    let honoured = check_json(dir.path(), &["--select", "SEC001,SUP004"]);
    assert_eq!(sec001(&honoured), 0, "{}", honoured.stdout);
    assert!(
        honoured.codes().is_empty(),
        "an external directive is never unused: {}",
        honoured.stdout
    );
    write(
        dir.path(),
        "pyproject.toml",
        "[tool.fortress]\nexternal-suppressions = false\n",
    );
    let ignored = check_json(dir.path(), &["--select", "SEC001,SUP004"]);
    assert_eq!(sec001(&ignored), 1, "{}", ignored.stdout);
}
