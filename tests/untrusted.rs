//! Hostile project layouts, as a pull request from a fork could make them:
//! the binary runs on each, and no byte of a file outside the project may
//! appear in any output format, no run may hang or crash, and nothing the
//! tree hides from git-tracked code changes the verdict.
//!
//! Cases that need `/dev/zero`, `/proc/self/environ`, symbolic links or git
//! are skipped with a printed reason where the machine lacks them.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const TOKEN: &str = "TOPSECRET_OUTSIDE_TOKEN_8c1f";
const DEADLINE: Duration = Duration::from_secs(60);
const FORMATS: &[&str] = &["text", "json", "sarif", "github"];

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn fortress(dir: &Path, args: &[&str]) -> Run {
    let out = tempfile::tempdir().expect("temp dir");
    let (so, se) = (out.path().join("o"), out.path().join("e"));
    let start = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_fortress"))
        .current_dir(dir)
        .args(args)
        .env_remove("VIRTUAL_ENV")
        .env_remove("RUST_BACKTRACE")
        .stdin(Stdio::null())
        .stdout(fs::File::create(&so).expect("stdout"))
        .stderr(fs::File::create(&se).expect("stderr"))
        .spawn()
        .expect("start fortress");
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s;
        }
        if start.elapsed() > DEADLINE {
            let _ = child.kill();
            let _ = child.wait();
            panic!("fortress {args:?} in {} hung", dir.display());
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let code = status
        .code()
        .unwrap_or_else(|| panic!("fortress {args:?} killed by a signal: {status:?}"));
    Run {
        code,
        stdout: String::from_utf8_lossy(&fs::read(&so).unwrap_or_default()).into_owned(),
        stderr: fs::read_to_string(&se).unwrap_or_default(),
    }
}

/// `fortress check` in every format: same exit code, no panic, no `secret` in any output.
fn check_all_formats(dir: &Path, args: &[&str], secrets: &[&str]) -> (i32, serde_json::Value) {
    let mut code = None;
    let mut json = serde_json::Value::Null;
    for format in FORMATS {
        let mut all = vec!["check", "--format", format];
        all.extend_from_slice(args);
        let run = fortress(dir, &all);
        assert!(
            run.code == 0 || run.code == 1,
            "--format {format}: exit {}: {}",
            run.code,
            run.stderr
        );
        assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
        for secret in secrets {
            assert!(
                !run.stdout.contains(secret) && !run.stderr.contains(secret),
                "--format {format} leaks {secret:?}:\n{}\n{}",
                run.stdout,
                run.stderr
            );
        }
        if let Some(c) = code {
            assert_eq!(c, run.code, "--format {format} exits differently");
        }
        code = Some(run.code);
        if *format == "json" {
            json = serde_json::from_str(&run.stdout).expect("json report");
        }
    }
    (code.unwrap_or(2), json)
}

fn diagnostics<'a>(json: &'a serde_json::Value, path: &str) -> Vec<&'a serde_json::Value> {
    json["diagnostics"]
        .as_array()
        .map(|v| v.iter().filter(|d| d["path"] == path).collect())
        .unwrap_or_default()
}

fn codes(json: &serde_json::Value, path: &str) -> Vec<String> {
    diagnostics(json, path)
        .iter()
        .map(|d| d["code"].as_str().unwrap_or("").to_owned())
        .collect()
}

fn write(dir: &Path, rel: &str, text: &str) {
    let path = dir.join(rel);
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).expect("mkdir");
    }
    fs::write(path, text).expect("write");
}

/// A file outside every project, holding only the token.
fn outside_secret() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("secret.txt");
    fs::write(&path, format!("{TOKEN}\n")).expect("write secret");
    (dir, path)
}

fn git_available() -> bool {
    Command::new("git")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn git(dir: &Path, args: &[&str]) {
    let status = Command::new("git")
        .current_dir(dir)
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("run git");
    assert!(status.success(), "git {args:?}");
}

#[cfg(unix)]
fn symlink(target: &Path, link: &Path) {
    if let Some(parent) = link.parent() {
        fs::create_dir_all(parent).expect("mkdir");
    }
    std::os::unix::fs::symlink(target, link).expect("symlink");
}

#[cfg(unix)]
#[test]
fn links_out_of_the_project_are_reported_never_read() {
    let (_outside, secret) = outside_secret();
    let dir = tempfile::tempdir().expect("temp dir");
    write(dir.path(), "app/ok.py", "x = 1\n");
    symlink(&secret, &dir.path().join("app/leak.py"));
    symlink(
        secret.parent().expect("parent"),
        &dir.path().join("app/outside_dir"),
    );
    symlink(Path::new("/"), &dir.path().join("app/root"));
    let mut secrets = vec![TOKEN.to_owned()];
    if Path::new("/proc/self/environ").exists() {
        symlink(Path::new("/proc/self/environ"), &dir.path().join("env.py"));
    } else {
        eprintln!("note: no /proc/self/environ here; that case is skipped");
    }
    // An environment variable the child inherits: it must not be printed.
    std::env::set_var("FORTRESS_TEST_ENV_CANARY", "CANARY_VALUE_31337");
    secrets.push("CANARY_VALUE_31337".to_owned());
    let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
    let (code, json) = check_all_formats(dir.path(), &["--isolated"], &secrets);
    assert_eq!(code, 0, "only warnings: {json:#}");
    assert_eq!(codes(&json, "app/leak.py"), ["SYN002"]);
    assert_eq!(codes(&json, "app/outside_dir"), ["SYN002"]);
    assert_eq!(codes(&json, "app/root"), ["SYN002"]);
    if Path::new("/proc/self/environ").exists() {
        assert_eq!(codes(&json, "env.py"), ["SYN002"]);
    }
    let leak = diagnostics(&json, "app/leak.py")[0]["message"]
        .as_str()
        .unwrap_or("")
        .to_owned();
    assert!(leak.contains("leaves the project"), "{leak}");
    // Nothing from `/` was walked: the only files are ours.
    let paths: Vec<&str> = json["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter_map(|d| d["path"].as_str())
        .collect();
    assert!(paths.iter().all(|p| !p.contains("app/root/")), "{paths:?}");
    // Named explicitly on the command line (as pre-commit does), the link is still not read.
    let (_, json) = check_all_formats(dir.path(), &["--isolated", "app/leak.py"], &secrets);
    assert_eq!(codes(&json, "app/leak.py"), ["SYN002"]);
}

#[cfg(unix)]
#[test]
fn links_inside_the_project_are_followed() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(
        dir.path(),
        "real/mod.py",
        "from typing import Optional\nx: Optional[int] = None\n",
    );
    symlink(
        Path::new("../real/mod.py"),
        &dir.path().join("app/alias.py"),
    );
    symlink(&dir.path().join("real"), &dir.path().join("linked"));
    let (_, json) = check_all_formats(dir.path(), &["--isolated"], &[]);
    for path in ["app/alias.py", "linked/mod.py", "real/mod.py"] {
        assert_eq!(codes(&json, path), ["TYP001"], "{path}: {json:#}");
    }
}

#[test]
fn ignore_files_do_not_hide_tracked_files() {
    if !git_available() {
        eprintln!("note: git is not installed; the tracked-files case is skipped");
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    write(dir.path(), "app/ok.py", "x = 1\n");
    write(dir.path(), "app/evil.py", "eval(input())\n");
    write(dir.path(), "app/.gitignore", "evil.py\n");
    write(dir.path(), "lib/hidden.py", "eval(input())\n");
    write(dir.path(), ".ignore", "lib\n");
    write(dir.path(), "scratch/untracked.py", "eval(input())\n");
    git(dir.path(), &["init", "-q"]);
    git(
        dir.path(),
        &[
            "add",
            "-f",
            "app/ok.py",
            "app/evil.py",
            "app/.gitignore",
            "lib/hidden.py",
            ".ignore",
        ],
    );
    git(dir.path(), &["commit", "-qm", "base"]);
    // Untracked and ignored: skipped, as git would.
    write(dir.path(), ".git/info/exclude", "scratch/\n");
    let (code, json) = check_all_formats(dir.path(), &["--isolated"], &[]);
    assert_eq!(code, 1, "a tracked eval() fails the gate: {json:#}");
    assert_eq!(codes(&json, "app/evil.py"), ["SEC005"]);
    assert_eq!(codes(&json, "lib/hidden.py"), ["SEC005"]);
    assert!(codes(&json, "scratch/untracked.py").is_empty());
    // fortress's own exclusions still apply to tracked files, and are counted.
    let (code, json) = check_all_formats(
        dir.path(),
        &["--isolated", "--extend-exclude", "evil.py,lib"],
        &[],
    );
    assert_eq!(code, 0, "{json:#}");
    assert_eq!(json["summary"]["excluded"], 2, "{json:#}");
    let text = fortress(
        dir.path(),
        &["check", "--isolated", "--extend-exclude", "evil.py,lib"],
    );
    assert!(
        text.stdout
            .contains("2 Python files excluded by configuration"),
        "{}",
        text.stdout
    );
}

#[test]
fn an_oversized_source_file_is_a_blocker() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut big = String::from("eval(input())\n");
    while big.len() < 11 * 1024 * 1024 {
        big.push_str("x = 1  # padding padding padding padding padding padding padding\n");
    }
    write(dir.path(), "big.py", &big);
    write(dir.path(), "ok.py", "x = 1\n");
    let (code, json) = check_all_formats(dir.path(), &["--isolated"], &[]);
    assert_eq!(code, 1, "FAIL, not CONDITIONAL PASS: {json:#}");
    assert_eq!(codes(&json, "big.py"), ["SYN003"]);
    let (_, json) = check_all_formats(dir.path(), &["--isolated", "--max-file-size", "12MiB"], &[]);
    assert!(
        codes(&json, "big.py").contains(&"SEC005".to_owned()),
        "{json:#}"
    );
}

#[cfg(unix)]
#[test]
fn a_configuration_that_is_not_a_regular_file_stops_the_run() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(dir.path(), "ok.py", "x = 1\n");
    if Path::new("/dev/zero").exists() {
        symlink(Path::new("/dev/zero"), &dir.path().join("pyproject.toml"));
        let run = fortress(dir.path(), &["check"]);
        assert_eq!(run.code, 2, "{}", run.stderr);
        assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
        assert!(run.stderr.contains("pyproject.toml"), "{}", run.stderr);
        let run = fortress(dir.path(), &["check", "--config", "/dev/zero"]);
        assert_eq!(run.code, 2, "{}", run.stderr);
        assert!(run.stderr.contains("not a regular file"), "{}", run.stderr);
        fs::remove_file(dir.path().join("pyproject.toml")).expect("rm");
    } else {
        eprintln!("note: no /dev/zero here; that case is skipped");
    }
    // A discovered configuration that links out of the project is not read (nor quoted).
    let (_outside, secret) = outside_secret();
    symlink(&secret, &dir.path().join("fortress.toml"));
    let run = fortress(dir.path(), &["check"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(!run.stderr.contains(TOKEN), "{}", run.stderr);
    assert!(run.stderr.contains("leaves the project"), "{}", run.stderr);
}

#[cfg(unix)]
#[test]
fn manifests_and_includes_out_of_the_project_are_not_read() {
    let (_outside, secret) = outside_secret();
    let dir = tempfile::tempdir().expect("temp dir");
    let abs = secret.display().to_string();
    write(dir.path(), "app/main.py", "import requests\n");
    write(
        dir.path(),
        "requirements.txt",
        &format!("-r {abs}\n-c {abs}\n-r ../../../../../../..{abs}\nrequests\n"),
    );
    let (code, _) = check_all_formats(dir.path(), &["--isolated"], &[TOKEN]);
    assert!(code == 0 || code == 1);
    let run = fortress(dir.path(), &["check", "--isolated"]);
    assert!(
        run.stdout.contains("leaves the project") || run.stderr.contains("leaves the project"),
        "{}{}",
        run.stdout,
        run.stderr
    );
    // Lockfiles and manifests linked to devices or outside files: bounded, never read.
    for name in [
        "poetry.lock",
        "uv.lock",
        "setup.cfg",
        "Pipfile",
        "requirements-dev.txt",
    ] {
        symlink(&secret, &dir.path().join(name));
    }
    let (_, _) = check_all_formats(dir.path(), &["--isolated"], &[TOKEN]);
    if Path::new("/dev/zero").exists() {
        for name in [
            "poetry.lock",
            "uv.lock",
            "setup.cfg",
            "Pipfile",
            "requirements-dev.txt",
        ] {
            fs::remove_file(dir.path().join(name)).expect("rm");
            symlink(Path::new("/dev/zero"), &dir.path().join(name));
        }
        write(
            dir.path(),
            "requirements.txt",
            "-r /dev/zero\n-r /dev/stdin\nrequests\n",
        );
        let started = Instant::now();
        let (_, _) = check_all_formats(dir.path(), &["--isolated"], &[TOKEN]);
        assert!(started.elapsed() < Duration::from_secs(30));
    }
}
