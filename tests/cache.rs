//! The result cache, end to end: a warm run prints byte for byte what a run
//! without the cache prints; an edit, a setting, the target version, the
//! library versions or another build invalidate what they should; a bad
//! pack is ignored and rewritten; two runs at once both succeed; the cache
//! directory marks and ignores itself; `fortress clean` and `--no-cache`.
//!
//! Every run is on a temporary copy, with `FORTRESS_CACHE_STATS=1` so the
//! cache says on stderr which files it checked.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use common::{command, copy_tree, repo_root, run_cmd, Run};

const FORMATS: &[&str] = &["text", "json", "sarif", "github", "markdown"];

/// Every file under `dir` last changed an hour ago (so the cache may record
/// its stat: a file changed in the last two seconds is hashed every run).
fn age(dir: &Path) {
    let past = SystemTime::now() - Duration::from_secs(3600);
    for entry in fs::read_dir(dir).expect("read dir").flatten() {
        let path = entry.path();
        let kind = entry.file_type().expect("file type");
        if kind.is_dir() {
            age(&path);
        } else if kind.is_file() {
            let file = fs::File::options()
                .write(true)
                .open(&path)
                .expect("open to age");
            file.set_modified(past).expect("set mtime");
        }
    }
}

fn write(dir: &Path, rel: &str, text: &[u8]) {
    let path = dir.join(rel);
    fs::create_dir_all(path.parent().expect("parent")).expect("create dir");
    fs::write(path, text).expect("write");
}

/// Findings of every kind a file can carry: a fix, used, unused and invalid
/// suppressions (one silencing a project rule's finding), a deferred
/// question answered across modules, a syntax error, undecodable bytes and
/// a dangling link.
fn edge_project(dir: &Path) {
    write(
        dir,
        "pyproject.toml",
        b"[project]\nname = \"edge\"\nrequires-python = \">=3.10\"\ndependencies = [\"pydantic>=2\", \"fastapi\"]\n",
    );
    write(dir, "app/__init__.py", b"");
    write(
        dir,
        "app/sup.py",
        b"import requests  # fortress: ignore[DEP002] -- vendored\nimport httpx\nfrom typing import Optional\n\nx: Optional[int] = None\ny: Optional[int] = None  # fortress: ignore[TYP001] -- legacy\nz = 1  # fortress: ignore[TYP001] -- stale\nw = 2  # fortress: ignore\n",
    );
    write(
        dir,
        "app/base.py",
        b"from pydantic import BaseModel\n\n\nclass Base(BaseModel):\n    id: int\n",
    );
    write(
        dir,
        "app/user.py",
        b"from app.base import Base\n\n\nclass User(Base):\n    name: str\n\n    class Config:\n        orm_mode = True\n",
    );
    write(
        dir,
        "app/api.py",
        b"from fastapi import APIRouter\n\nrouter = APIRouter()\n\n\n@router.get(\"/items\")\nasync def items() -> list[int]:\n    return [1]\n",
    );
    write(dir, "app/broken.py", b"def f(:\n    pass\n");
    write(dir, "app/latin.py", b"x = '\xff\xfe'\n");
    #[cfg(unix)]
    std::os::unix::fs::symlink("missing.py", dir.join("app/link.py")).expect("symlink");
}

/// A project to test on: a fixture copied, or the edge project.
struct Project {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    cache: PathBuf,
}

fn project(fixture: Option<&str>) -> Project {
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path().join("project");
    match fixture {
        Some(name) => copy_tree(&repo_root().join("fixtures/projects").join(name), &dir, &[]),
        None => edge_project(&dir),
    }
    age(&dir);
    let cache = tmp.path().join("cache");
    Project {
        _tmp: tmp,
        dir,
        cache,
    }
}

/// What the cache said about one run.
#[derive(Debug, Default, PartialEq, Eq)]
struct Stats {
    unchanged: usize,
    same_content: usize,
    /// "path (why)" of each file checked.
    checked: Vec<String>,
    wrote: bool,
    /// The run's memo answered: no record decoded, no project pass.
    replayed: bool,
}

fn stats(run: &Run) -> Stats {
    let mut out = Stats::default();
    for line in run.stderr.lines() {
        let Some(rest) = line.strip_prefix("fortress: cache: ") else {
            continue;
        };
        if let Some(file) = rest.strip_prefix("checked ") {
            out.checked.push(file.to_owned());
        } else if let Some((_, counts)) = rest.split_once(" hits (") {
            let number = |after: &str| -> usize {
                counts
                    .split(after)
                    .next()
                    .and_then(|s| s.rsplit(|c: char| !c.is_ascii_digit()).next())
                    .and_then(|s| s.parse().ok())
                    .unwrap_or_else(|| panic!("no `{after}` count in {line}"))
            };
            out.unchanged = number(" unchanged");
            out.same_content = number(" same content");
            out.wrote = rest.contains("; wrote ");
            out.replayed = rest.contains("; the last run replayed;");
        }
    }
    out
}

/// stderr without the cache's own lines.
fn stderr_rest(run: &Run) -> String {
    run.stderr
        .lines()
        .filter(|l| !l.starts_with("fortress: cache: "))
        .map(|l| format!("{l}\n"))
        .collect()
}

impl Project {
    fn cached(&self, args: &[&str]) -> Run {
        let mut cmd = command(&self.dir, args);
        cmd.env("FORTRESS_CACHE_DIR", &self.cache)
            .env("FORTRESS_CACHE_STATS", "1");
        run_cmd(cmd)
    }

    fn uncached(&self, args: &[&str]) -> Run {
        let mut all = args.to_vec();
        all.push("--no-cache");
        run_cmd(command(&self.dir, &all))
    }

    fn version_dirs(&self) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(&self.cache)
            .map(|d| {
                d.flatten()
                    .filter(|e| e.path().is_dir())
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
    }
}

fn assert_same(what: &str, reference: &Run, run: &Run) {
    assert_eq!(
        reference.code, run.code,
        "{what}: exit code\n{}",
        run.stderr
    );
    assert!(
        reference.stdout == run.stdout,
        "{what}: stdout differs\n--- without cache\n{}\n--- with cache\n{}",
        reference.stdout,
        run.stdout
    );
    assert_eq!(stderr_rest(reference), stderr_rest(run), "{what}: stderr");
}

fn check(format: &str) -> Vec<&str> {
    vec!["check", ".", "--format", format]
}

#[test]
fn warm_runs_print_byte_for_byte_what_cold_runs_print_in_every_format() {
    let fixtures = [
        None,
        Some("demo_shop"),
        Some("layers_app"),
        Some("pydantic_cross_module"),
        Some("security_response_models"),
        Some("pydantic_v1_lock"),
    ];
    for fixture in fixtures {
        let p = project(fixture);
        let name = fixture.unwrap_or("edge");
        for (round, format) in FORMATS.iter().enumerate() {
            let reference = p.uncached(&check(format));
            let first = p.cached(&check(format));
            let warm = p.cached(&check(format));
            assert_same(&format!("{name} {format}, first run"), &reference, &first);
            assert_same(&format!("{name} {format}, warm run"), &reference, &warm);
            let warm_stats = stats(&warm);
            assert_eq!(warm_stats.checked, Vec::<String>::new(), "{name} {format}");
            assert!(warm_stats.unchanged > 0, "{name}: {warm_stats:?}");
            assert!(!warm_stats.wrote, "{name}: a warm run rewrote the pack");
            assert!(warm_stats.replayed, "{name}: a warm run was not replayed");
            if round == 0 {
                assert!(
                    !stats(&first).checked.is_empty(),
                    "{name}: the first run hit"
                );
            }
        }
    }
}

#[test]
fn editing_one_file_checks_that_file_only() {
    let p = project(None);
    let args = check("json");
    p.cached(&args);
    write(
        &p.dir,
        "app/api.py",
        b"from typing import Optional\n\nx: Optional[str] = None\n",
    );
    let run = p.cached(&args);
    assert_same("after an edit", &p.uncached(&args), &run);
    let s = stats(&run);
    assert_eq!(s.checked, vec!["app/api.py (changed)".to_owned()]);
    assert!(s.wrote);

    // The edit is recorded: the next run checks nothing.
    let again = p.cached(&args);
    assert_eq!(stats(&again).checked, Vec::<String>::new());
    assert_same("after the edit, warm", &p.uncached(&args), &again);

    // A new file and a deleted one: only the new one is checked.
    write(&p.dir, "app/new.py", b"y = 1\n");
    fs::remove_file(p.dir.join("app/base.py")).expect("remove");
    let run = p.cached(&args);
    assert_same("new and deleted files", &p.uncached(&args), &run);
    assert_eq!(
        stats(&run).checked,
        vec!["app/new.py (not in the cache)".to_owned()]
    );
}

#[test]
fn the_last_run_is_replayed_only_while_everything_it_read_is_the_same() {
    let p = project(None);
    let args = check("json");
    let first = p.cached(&args);
    assert!(!stats(&first).replayed);
    let warm = p.cached(&args);
    assert!(stats(&warm).replayed, "{}", warm.stderr);
    assert_same("replayed", &p.uncached(&args), &warm);

    // A manifest: `httpx` declared now, so DEP001 goes; the files' own
    // results hold (no Python file is checked) but the project pass runs.
    let pyproject = fs::read_to_string(p.dir.join("pyproject.toml")).expect("read");
    let declared = pyproject.replace("\"fastapi\"]", "\"fastapi\", \"httpx\"]");
    assert_ne!(declared, pyproject);
    fs::write(p.dir.join("pyproject.toml"), &declared).expect("write");
    let run = p.cached(&args);
    let s = stats(&run);
    assert!(!s.replayed && s.checked.is_empty(), "{s:?}");
    assert_same("a manifest edited", &p.uncached(&args), &run);
    assert_ne!(run.stdout, warm.stdout, "the edit changes the findings");
    let again = p.cached(&args);
    assert!(stats(&again).replayed);
    assert_same("a manifest edited, replayed", &p.uncached(&args), &again);

    // What the module map asks the disk: an empty `src/` makes a src layout.
    fs::create_dir(p.dir.join("src")).expect("mkdir");
    let run = p.cached(&args);
    assert!(!stats(&run).replayed);
    assert_same("a src/ directory", &p.uncached(&args), &run);
    fs::remove_dir(p.dir.join("src")).expect("rmdir");

    // A touched file (same bytes) is hashed, not replayed; then replayed.
    fs::File::options()
        .write(true)
        .open(p.dir.join("app/api.py"))
        .expect("open")
        .set_modified(SystemTime::now() - Duration::from_secs(60))
        .expect("touch");
    let run = p.cached(&args);
    let s = stats(&run);
    assert!(!s.replayed && s.same_content == 1, "{s:?}");
    assert_same("touched", &p.uncached(&args), &run);
    let again = p.cached(&args);
    assert!(stats(&again).replayed);

    // Another working directory shows other paths: not replayed.
    let mut cmd = command(&p.dir.join("app"), &["check", "..", "--format", "json"]);
    cmd.env("FORTRESS_CACHE_DIR", &p.cache)
        .env("FORTRESS_CACHE_STATS", "1");
    let from_app = run_cmd(cmd);
    assert!(!stats(&from_app).replayed, "{}", from_app.stderr);
    let reference = run_cmd(command(
        &p.dir.join("app"),
        &["check", "..", "--format", "json", "--no-cache"],
    ));
    assert_same("from app/", &reference, &from_app);
    for format in FORMATS {
        let args = check(format);
        p.cached(&args);
        assert_same(
            &format!("{format}, replayed"),
            &p.uncached(&args),
            &p.cached(&args),
        );
    }
}

#[test]
fn a_touched_file_with_the_same_bytes_is_not_checked_again() {
    let p = project(Some("demo_shop"));
    let args = check("text");
    p.cached(&args);
    // A fresh clone: every mtime changes, no content does.
    for rel in ["app/main.py", "app/api/routes/orders.py"] {
        fs::File::options()
            .write(true)
            .open(p.dir.join(rel))
            .expect("open")
            .set_modified(SystemTime::now() - Duration::from_secs(60))
            .expect("touch");
    }
    let run = p.cached(&args);
    let s = stats(&run);
    assert_eq!(s.checked, Vec::<String>::new());
    assert_eq!(s.same_content, 2);
    assert!(s.wrote, "the new stats are recorded");
    assert_same("touched", &p.uncached(&args), &run);
    let again = stats(&p.cached(&args));
    assert_eq!((again.same_content, again.wrote), (0, false));
}

#[test]
fn settings_the_target_version_and_library_versions_invalidate() {
    let p = project(None);
    let args = check("json");
    let files = stats(&p.cached(&args)).checked.len();
    assert!(files > 3);

    // Another configuration value: everything is checked under it...
    let pyproject = fs::read_to_string(p.dir.join("pyproject.toml")).expect("read");
    let configured = format!(
        "{pyproject}\n[tool.fortress]\nper-file-ignores = {{ \"app/sup.py\" = [\"TYP001\"] }}\n"
    );
    fs::write(p.dir.join("pyproject.toml"), &configured).expect("write");
    let run = p.cached(&args);
    assert_same("per-file-ignores", &p.uncached(&args), &run);
    assert_eq!(stats(&run).checked.len(), files);
    // ... and going back finds the first settings' entries.
    fs::write(p.dir.join("pyproject.toml"), &pyproject).expect("write");
    let run = p.cached(&args);
    assert_same("settings back", &p.uncached(&args), &run);
    assert_eq!(stats(&run).checked, Vec::<String>::new());

    // Another target version.
    let mut target = args.clone();
    target.extend(["--target-version", "3.12"]);
    let run = p.cached(&target);
    assert_same("--target-version", &p.uncached(&target), &run);
    assert_eq!(stats(&run).checked.len(), files);

    // Another Pydantic major: TYP003 goes silent, and the files are checked
    // again because the library versions they see changed.
    let v1 = pyproject.replace("pydantic>=2", "pydantic==1.10.13");
    fs::write(p.dir.join("pyproject.toml"), v1).expect("write");
    let run = p.cached(&args);
    let reference = p.uncached(&args);
    assert_same("pydantic 1", &reference, &run);
    assert!(!reference.codes().contains(&"TYP003".to_owned()));
    let s = stats(&run);
    assert_eq!(s.checked.len(), files, "{s:?}");
    assert!(s
        .checked
        .iter()
        .all(|c| c.ends_with("(its settings or library versions changed)")));
}

#[test]
fn entries_of_another_build_are_never_read_and_are_pruned() {
    let p = project(None);
    let args = check("json");
    let files = stats(&p.cached(&args)).checked.len();
    let ours = p.version_dirs();
    assert_eq!(ours.len(), 1, "{ours:?}");
    assert!(ours[0].starts_with(&format!("v{}-", env!("CARGO_PKG_VERSION"))));
    // What an older build left: the same packs under its own name.
    let older = p.cache.join("v0.0.1-0123456789abcdef");
    fs::rename(p.cache.join(&ours[0]), &older).expect("rename");
    let run = p.cached(&args);
    assert_same("another build's cache", &p.uncached(&args), &run);
    assert_eq!(stats(&run).checked.len(), files);
    assert_eq!(p.version_dirs(), ours);
}

#[test]
fn a_corrupt_or_truncated_pack_is_ignored_and_rewritten() {
    let p = project(Some("demo_shop"));
    let args = check("json");
    let files = stats(&p.cached(&args)).checked.len();
    let version = p.cache.join(&p.version_dirs()[0]);
    let pack = fs::read_dir(&version)
        .expect("version dir")
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "pack"))
        .expect("a pack");
    let good = fs::read(&pack).expect("pack");
    let mut flipped = good.clone();
    let middle = flipped.len() / 2;
    flipped[middle] ^= 0x40;
    for (what, bytes) in [
        ("truncated", good[..good.len() / 3].to_vec()),
        ("flipped", flipped),
        ("garbage", b"\x00\x01not a pack".to_vec()),
        ("empty", Vec::new()),
    ] {
        fs::write(&pack, bytes).expect("damage");
        let run = p.cached(&args);
        assert_same(what, &p.uncached(&args), &run);
        let s = stats(&run);
        assert_eq!(s.checked.len(), files, "{what}: {s:?}");
        assert!(s.wrote, "{what}: not rewritten");
        let again = stats(&p.cached(&args));
        assert_eq!(again.checked, Vec::<String>::new(), "{what}: not repaired");
    }
}

#[test]
fn two_runs_at_once_on_one_cache_both_succeed_alike() {
    let p = project(None);
    let args = check("sarif");
    let reference = p.uncached(&args);
    let spawn = || {
        let mut cmd = command(&p.dir, &args);
        cmd.env("FORTRESS_CACHE_DIR", &p.cache)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        cmd.spawn().expect("start fortress")
    };
    for round in 0..4 {
        if round % 2 == 0 {
            let _ = fs::remove_dir_all(&p.cache);
        } else {
            write(&p.dir, "app/round.py", format!("r = {round}\n").as_bytes());
        }
        let reference = if round % 2 == 0 {
            reference.clone_run()
        } else {
            p.uncached(&args)
        };
        let children: Vec<_> = (0..3).map(|_| spawn()).collect();
        for child in children {
            let out = child.wait_with_output().expect("wait");
            let run = Run {
                code: out.status.code().unwrap_or(-1),
                stdout: String::from_utf8(out.stdout).expect("utf-8"),
                stderr: String::from_utf8(out.stderr).expect("utf-8"),
            };
            assert_same(&format!("round {round}"), &reference, &run);
        }
        // Whichever wrote last, the pack is whole.
        let after = p.cached(&args);
        assert_same(&format!("round {round}, after"), &reference, &after);
        assert_eq!(stats(&after).checked, Vec::<String>::new());
    }
}

trait CloneRun {
    fn clone_run(&self) -> Run;
}

impl CloneRun for Run {
    fn clone_run(&self) -> Run {
        Run {
            code: self.code,
            stdout: self.stdout.clone(),
            stderr: self.stderr.clone(),
        }
    }
}

/// The default place, in the project root, marked and self-ignoring; `fortress clean`.
#[test]
fn the_default_cache_marks_and_ignores_itself_and_clean_removes_it() {
    let p = project(Some("demo_shop"));
    let has_git = std::process::Command::new("git")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    let git = |args: &[&str]| {
        let out = std::process::Command::new("git")
            .current_dir(&p.dir)
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
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    if has_git {
        git(&["init", "-q"]);
        git(&["add", "-A"]);
        git(&[
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "commit",
            "-qm",
            "init",
        ]);
    }
    let default_run = |args: &[&str]| {
        let mut cmd = command(&p.dir, args);
        cmd.env_remove("FORTRESS_CACHE_DIR");
        run_cmd(cmd)
    };
    let reference = p.uncached(&check("text"));
    assert!(!p.dir.join(".fortress_cache").exists(), "--no-cache wrote");
    assert_same("default place", &reference, &default_run(&check("text")));
    let cache = p.dir.join(".fortress_cache");
    let tag = fs::read_to_string(cache.join("CACHEDIR.TAG")).expect("CACHEDIR.TAG");
    assert!(tag.starts_with("Signature: 8a477f597d28d172789f06886806bc55"));
    let ignore = fs::read_to_string(cache.join(".gitignore")).expect(".gitignore");
    assert!(ignore.lines().any(|l| l == "*"), "{ignore}");
    if has_git {
        assert_eq!(
            git(&["status", "--porcelain"]),
            "",
            "the cache shows in git status"
        );
    }
    assert_same(
        "default place, warm",
        &reference,
        &default_run(&check("text")),
    );

    let cleaned = default_run(&["clean"]);
    assert_eq!(cleaned.code, 0, "{}", cleaned.stderr);
    assert!(
        cleaned.stderr.contains("removed .fortress_cache"),
        "{}",
        cleaned.stderr
    );
    assert!(!cache.exists());
    let again = default_run(&["clean"]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(again.stderr.contains("no cache at"), "{}", again.stderr);

    // A directory fortress did not make is neither written into nor removed.
    write(&p.dir, ".fortress_cache/notes.txt", b"mine\n");
    assert_same(
        "foreign directory",
        &reference,
        &default_run(&check("text")).without_warning(),
    );
    let refused = default_run(&["clean"]);
    assert_eq!(refused.code, 2);
    assert!(
        refused.stderr.contains("not a fortress cache"),
        "{}",
        refused.stderr
    );
    assert_eq!(fs::read_dir(&cache).expect("kept").count(), 1);
}

trait WithoutWarning {
    fn without_warning(self) -> Run;
}

impl WithoutWarning for Run {
    /// The run with its cache warning (checked and removed) taken out.
    fn without_warning(self) -> Run {
        let (warnings, rest): (Vec<&str>, Vec<&str>) = self
            .stderr
            .lines()
            .partition(|l| l.starts_with("fortress: warning: cache: "));
        assert_eq!(warnings.len(), 1, "{}", self.stderr);
        Run {
            code: self.code,
            stdout: self.stdout,
            stderr: rest.iter().map(|l| format!("{l}\n")).collect(),
        }
    }
}

#[test]
fn cache_dir_in_the_configuration_and_the_environment() {
    let p = project(None);
    let pyproject = fs::read_to_string(p.dir.join("pyproject.toml")).expect("read");
    fs::write(
        p.dir.join("pyproject.toml"),
        format!("{pyproject}\n[tool.fortress]\ncache-dir = \"build/lint-cache\"\n"),
    )
    .expect("write");
    let mut cmd = command(&p.dir, &check("json"));
    cmd.env_remove("FORTRESS_CACHE_DIR");
    let run = run_cmd(cmd);
    assert_same("cache-dir", &p.uncached(&check("json")), &run);
    assert!(p.dir.join("build/lint-cache/CACHEDIR.TAG").is_file());
    assert!(!p.dir.join(".fortress_cache").exists());
    // The environment wins over the configuration.
    let run = p.cached(&check("json"));
    assert!(p.cache.join("CACHEDIR.TAG").is_file());
    assert!(!stats(&run).checked.is_empty());
    let mut clean = command(&p.dir, &["clean"]);
    clean.env("FORTRESS_CACHE_DIR", &p.cache);
    assert_eq!(run_cmd(clean).code, 0);
    assert!(!p.cache.exists());
    assert!(p.dir.join("build/lint-cache").exists());
}

#[test]
fn a_cache_committed_with_the_checked_tree_is_not_used() {
    let p = project(None);
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .current_dir(&p.dir)
            .args(args)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if !git(&["init", "-q"]) {
        eprintln!("git is not available: skipped");
        return;
    }
    let args = check("json");
    let mut cmd = command(&p.dir, &args);
    cmd.env_remove("FORTRESS_CACHE_DIR");
    run_cmd(cmd);
    assert!(git(&["add", "-f", ".fortress_cache"]));
    // Whatever the committed packs say, the run checks the files itself.
    let mut cmd = command(&p.dir, &args);
    cmd.env_remove("FORTRESS_CACHE_DIR")
        .env("FORTRESS_CACHE_STATS", "1");
    let run = run_cmd(cmd).without_warning();
    assert_same("committed cache", &p.uncached(&args), &run);
    assert_eq!(stats(&run), Stats::default(), "the cache was used");
}

#[test]
fn show_cache_key_is_stable_across_places_and_follows_the_settings() {
    let a = project(Some("demo_shop"));
    let b = project(Some("demo_shop"));
    let key = |p: &Project, extra: &[&str]| {
        let mut args = vec!["check", "--show-cache-key"];
        args.extend(extra);
        let run = p.cached(&args);
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert_eq!(
            stats(&run),
            Stats::default(),
            "--show-cache-key checked files"
        );
        let key = run.stdout.trim_end().to_owned();
        assert_eq!(run.stdout, format!("{key}\n"));
        key
    };
    let first = key(&a, &[]);
    assert!(
        first.starts_with(&format!("fortress-{}-py311-", env!("CARGO_PKG_VERSION"))),
        "{first}"
    );
    assert_eq!(
        first,
        key(&b, &[]),
        "the key depends on where the project is"
    );
    assert_ne!(first, key(&a, &["--target-version", "3.12"]));
    assert_ne!(first, key(&a, &["--ignore", "TYP001"]));
    assert!(!a.cache.exists(), "--show-cache-key wrote the cache");
}

#[test]
fn fix_runs_leave_a_cache_that_matches_the_fixed_files() {
    let p = project(None);
    let args = check("json");
    p.cached(&args);
    let fixed = p.cached(&["check", ".", "--fix", "--format", "json"]);
    assert!(fixed.stderr.contains("fortress: fixed"), "{}", fixed.stderr);
    let after = p.cached(&args);
    assert_same("after --fix", &p.uncached(&args), &after);
    assert!(
        !after.codes().contains(&"TYP001".to_owned()),
        "{}",
        after.stdout
    );
}

/// The library writes no cache unless its caller asks (the command line does).
#[test]
fn library_runs_write_no_cache_unless_asked() {
    let p = project(Some("demo_shop"));
    let overrides = fortress::config::Overrides::default();
    let settings =
        fortress::config::Settings::resolve(None, &overrides, p.dir.clone()).expect("settings");
    assert_eq!(settings.cache_dir, None);
    let result = fortress::engine::run(&settings, std::slice::from_ref(&p.dir), &p.dir, Some(1))
        .expect("run");
    assert!(result.python_files > 0);
    assert!(!p.dir.join(".fortress_cache").exists());

    let asked = fortress::config::Overrides {
        cache: true,
        ..fortress::config::Overrides::default()
    };
    let settings =
        fortress::config::Settings::resolve(None, &asked, p.dir.clone()).expect("settings");
    assert_eq!(settings.cache_dir, Some(p.dir.join(".fortress_cache")));
    fortress::engine::run(&settings, std::slice::from_ref(&p.dir), &p.dir, Some(1)).expect("run");
    assert!(p.dir.join(".fortress_cache/CACHEDIR.TAG").is_file());
}
