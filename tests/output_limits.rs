//! What fortress publishes from an untrusted pull request stays bounded and
//! inert: no megabyte messages, no raw control characters from file names or
//! contents, no absolute paths of the runner in GitHub annotations.

mod common;

use common::{fortress, write};

const OPTIONAL: &str = "from typing import Optional\n\nx: Optional[int] = None\n";

#[test]
fn a_long_import_cycle_is_one_bounded_message_with_its_length() {
    let dir = tempfile::tempdir().expect("tempdir");
    let n = 300;
    for i in 0..n {
        write(
            dir.path(),
            &format!("a{i}.py"),
            &format!("import a{}\n", (i + 1) % n),
        );
    }
    let run = fortress(
        dir.path(),
        &["check", "--format", "json", "--select", "LAY006"],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let json = run.json();
    let diagnostics = json["diagnostics"].as_array().expect("diagnostics");
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    assert_eq!(diagnostics[0]["path"], "a0.py");
    let message = diagnostics[0]["message"].as_str().expect("message");
    assert!(
        message.chars().count() <= 300,
        "{} chars: {message}",
        message.len()
    );
    assert!(
        message.starts_with(
            "import cycle of 300 modules: a0 -> a1 -> a2 -> a3 -> a4 -> a5 -> a6 -> a7 -> a8 -> a9 -> ... and 290 more -> a0"
        ),
        "{message}"
    );
}

/// A file name holding ESC, a C1 CSI, a comma and a colon.
const HOSTILE_NAME: &str = "app/a,b:c\x1b[31m\u{9b}2J.py";

#[test]
fn control_characters_in_file_names_never_reach_annotations_or_the_terminal_raw() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), HOSTILE_NAME, OPTIONAL);

    let github = fortress(dir.path(), &["check", "--format", "github"]);
    assert_eq!(github.code, 0, "{}", github.stderr);
    assert_eq!(
        github.stdout,
        "::warning file=app/a%2Cb%3Ac%1B[31m%C2%9B2J.py,line=3,col=4,endLine=3,endColumn=17,\
         title=TYP001 optional-annotation::use `int | None` instead of `Optional[int]`\n"
    );

    let text = fortress(dir.path(), &["check", "--no-color"]);
    assert!(
        !text.stdout.contains(|c: char| c.is_control() && c != '\n'),
        "{:?}",
        text.stdout
    );
    assert!(
        text.stdout
            .contains("app/a,b:c\u{FFFD}[31m\u{FFFD}2J.py:3:4"),
        "{}",
        text.stdout
    );

    // JSON keeps the exact name, escaped.
    let json = fortress(dir.path(), &["check", "--format", "json"]);
    assert!(
        !json.stdout.contains(|c: char| c.is_control() && c != '\n'),
        "{:?}",
        json.stdout
    );
    assert!(json
        .stdout
        .contains(r#""path": "app/a,b:c\u001b[31m\u009b2J.py""#));
    assert_eq!(json.json()["diagnostics"][0]["path"], HOSTILE_NAME);
}

#[test]
fn control_characters_quoted_from_the_source_are_escaped_in_messages() {
    // TYP001 quotes the annotation, here a string holding ESC and a C1 CSI.
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "app.py",
        "from typing import Optional\n\nx: Optional[\"a\x1b[2Jb\u{9b}\"] = None\n",
    );
    let github = fortress(dir.path(), &["check", "--format", "github"]);
    assert_eq!(github.code, 0, "{}", github.stderr);
    assert!(
        github.stdout.ends_with(
            "::use `\"a%1B[2Jb%C2%9B | None\"` instead of `Optional[\"a%1B[2Jb%C2%9B\"]`\n"
        ),
        "{:?}",
        github.stdout
    );
    for args in [
        &["--format", "json"][..],
        &["--format", "sarif"],
        &["--no-color"],
    ] {
        let run = fortress(dir.path(), &[&["check"][..], args].concat());
        assert!(
            !run.stdout.contains(|c: char| c.is_control() && c != '\n'),
            "{args:?}: {:?}",
            run.stdout
        );
    }
}

#[test]
fn annotations_hold_no_absolute_path_of_the_runner() {
    // tree/ is the project root (its fortress.toml); fortress runs in
    // tree/service and is also given ../shared/lib.py and a file elsewhere.
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "tree/fortress.toml", "select = [\"TYP001\"]\n");
    write(dir.path(), "tree/service/app.py", OPTIONAL);
    write(dir.path(), "tree/shared/lib.py", OPTIONAL);
    write(dir.path(), "other/far.py", OPTIONAL);
    let far = dir.path().join("other/far.py");
    let far = far.to_str().expect("utf-8 temp path");
    let cwd = dir.path().join("tree/service");
    let args = ["check", ".", "../shared/lib.py", far];

    let github = fortress(&cwd, &[&args[..], &["--format", "github"]].concat());
    assert_eq!(github.code, 0, "{}", github.stderr);
    let root = dir.path().to_string_lossy();
    assert!(!github.stdout.contains(root.as_ref()), "{}", github.stdout);
    let lines: Vec<&str> = github.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{}", github.stdout);
    let title = "title=TYP001 optional-annotation::";
    let message = "use `int | None` instead of `Optional[int]`";
    assert!(lines.contains(
        &format!("::warning file=app.py,line=3,col=4,endLine=3,endColumn=17,{title}{message}")
            .as_str()
    ));
    assert!(lines.contains(
        &format!(
            "::warning file=shared/lib.py,line=3,col=4,endLine=3,endColumn=17,{title}{message}"
        )
        .as_str()
    ));
    // Outside the run's directory and the project: no file= (a bare name
    // could point at another file of the repository), the name in the message.
    assert!(lines.contains(&format!("::warning {title}far.py:3:4: {message}").as_str()));

    // The local formats keep the path the user named.
    let json = fortress(&cwd, &[&args[..], &["--format", "json"]].concat()).json();
    let paths: Vec<&str> = json["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter_map(|d| d["path"].as_str())
        .collect();
    assert!(paths.contains(&far), "{paths:?}");
}
