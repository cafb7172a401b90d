//! Running the real `fortress` binary from integration tests.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

pub const BIN: &str = env!("CARGO_BIN_EXE_fortress");

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// What one run of the binary did.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            )
        })
    }

    /// The codes of the JSON report's diagnostics, in report order.
    pub fn codes(&self) -> Vec<String> {
        self.json()["diagnostics"]
            .as_array()
            .expect("diagnostics array")
            .iter()
            .map(|d| d["code"].as_str().expect("code").to_owned())
            .collect()
    }

    /// The `path` of every JSON diagnostic, deduplicated and sorted.
    pub fn paths(&self) -> Vec<String> {
        let mut paths: Vec<String> = self.json()["diagnostics"]
            .as_array()
            .expect("diagnostics array")
            .iter()
            .map(|d| d["path"].as_str().expect("path").to_owned())
            .collect();
        paths.sort();
        paths.dedup();
        paths
    }
}

/// The result cache of the tests' runs: under cargo's scratch directory,
/// never in the repository's fixtures (`git status` stays clean).
pub fn test_cache_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("fortress-test-cache")
}

/// A command for the binary run in `cwd`, with the colour environment and an
/// activated virtualenv cleared so the caller's shell cannot leak into the
/// assertions, and the result cache in [`test_cache_dir`].
pub fn command(cwd: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.current_dir(cwd)
        .args(args)
        .env_remove("NO_COLOR")
        .env_remove("FORCE_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("VIRTUAL_ENV")
        .env_remove("FORTRESS_CACHE_STATS")
        .env("FORTRESS_CACHE_DIR", test_cache_dir());
    cmd
}

pub fn run_cmd(mut cmd: Command) -> Run {
    let out = cmd.output().expect("run fortress");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(out.stderr).expect("stderr is UTF-8"),
    }
}

pub fn fortress(cwd: &Path, args: &[&str]) -> Run {
    run_cmd(command(cwd, args))
}

/// Write `content` at `rel` below `root`, creating parent directories.
pub fn write(root: &Path, rel: &str, content: &str) {
    let path = root.join(rel);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    std::fs::write(&path, content).expect("write file");
}

/// The tool version as printed in reports, replaced so golden files survive releases.
pub fn normalize_version(text: &str) -> String {
    let version = env!("CARGO_PKG_VERSION");
    text.replace(
        &format!("\"version\": \"{version}\""),
        "\"version\": \"<VERSION>\"",
    )
    .replace(
        &format!("\"semanticVersion\": \"{version}\""),
        "\"semanticVersion\": \"<VERSION>\"",
    )
}

/// Run git in `dir` with a fixed identity and no global configuration
/// leaking in; its standard output. Panics when git fails.
pub fn git(dir: &Path, args: &[&str]) -> String {
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
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .output()
        .expect("run git");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Copy the tree at `from` into `to` (created), skipping the names in `skip`
/// at its top level.
/// Copies a fixture tree, without `skip` at its top and without any result
/// cache an earlier run left in the checkout (`.fortress_cache`, ignored by
/// git): a copy is the fixture as committed.
pub fn copy_tree(from: &Path, to: &Path, skip: &[&str]) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read dir").flatten() {
        let name = entry.file_name();
        if skip.iter().any(|s| name == *s) || name == ".fortress_cache" {
            continue;
        }
        let path = entry.path();
        if path.is_dir() {
            copy_tree(&path, &to.join(&name), &[]);
        } else {
            std::fs::copy(&path, to.join(&name)).expect("copy");
        }
    }
}
