//! Fixture runner. Every `fixtures/<family>/<CODE>*.py` is checked with only
//! the rules named by its file name (or by a `# fortress-fixture: select=...`
//! header); every `fixtures/projects/<scenario>/` is checked as a project with
//! its own configuration. In both, the reported (line, code) set must equal
//! the set marked with `# expect: CODE[, CODE...]` comments: an unmarked line
//! is an implicit "no finding".
//!
//! Header directives (any line of the fixture):
//! - `# fortress-fixture: select=A,B` — rules to run (default: the code in the file name)
//! - `# fortress-fixture: path=tests/test_x.py` — where the file pretends to live
//! - `# fortress-fixture: config=NAME.toml` — run with that fortress.toml (beside the fixture)

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use fortress::config::{ConfigFile, Overrides, Settings};
use fortress::engine;

type Marks = BTreeSet<(String, u32, String)>;

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

fn expectations(rel: &str, source: &str) -> Marks {
    let mut marks = Marks::new();
    for (i, line) in source.lines().enumerate() {
        if let Some(at) = line.find("# expect:") {
            for code in line[at + "# expect:".len()..]
                .split([',', ' '])
                .map(str::trim)
            {
                let code = code.trim_end_matches(|c: char| !c.is_ascii_alphanumeric());
                if !code.is_empty()
                    && code
                        .chars()
                        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
                {
                    marks.insert((rel.to_owned(), i as u32 + 1, code.to_owned()));
                }
            }
        }
    }
    marks
}

fn directive<'a>(source: &'a str, key: &str) -> Option<&'a str> {
    source.lines().find_map(|line| {
        let rest = line.trim().strip_prefix("# fortress-fixture:")?.trim();
        rest.strip_prefix(key)?.strip_prefix('=').map(str::trim)
    })
}

fn code_of(file_name: &str) -> String {
    file_name
        .split(['_', '.'])
        .next()
        .unwrap_or_default()
        .to_owned()
}

fn describe(set: &Marks, messages: &[(String, u32, String, String)]) -> String {
    set.iter()
        .map(|(p, l, c)| {
            let msg = messages
                .iter()
                .find(|(mp, ml, mc, _)| mp == p && ml == l && mc == c)
                .map(|m| format!(" — {}", m.3))
                .unwrap_or_default();
            format!("    {p}:{l} {c}{msg}")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Run the engine on `root`, return reported (path, line, code) and messages.
fn run(
    root: &Path,
    paths: &[PathBuf],
    settings: &Settings,
) -> (Marks, Vec<(String, u32, String, String)>) {
    let result = engine::run(settings, paths, root, Some(2)).expect("engine run");
    let mut marks = Marks::new();
    let mut messages = Vec::new();
    for d in &result.diagnostics {
        let path = result.files[d.file].rel.clone();
        marks.insert((path.clone(), d.start.line, d.code.to_owned()));
        messages.push((path, d.start.line, d.code.to_owned(), d.message.clone()));
    }
    (marks, messages)
}

fn compare(
    name: &str,
    expected: &Marks,
    reported: &Marks,
    messages: &[(String, u32, String, String)],
) -> Option<String> {
    if expected == reported {
        return None;
    }
    let missing: Marks = expected.difference(reported).cloned().collect();
    let unexpected: Marks = reported.difference(expected).cloned().collect();
    Some(format!(
        "{name}:\n  missing (marked, not reported):\n{}\n  unexpected (reported, not marked):\n{}",
        describe(&missing, messages),
        describe(&unexpected, messages)
    ))
}

fn single_file_fixtures() -> Vec<PathBuf> {
    let mut files = Vec::new();
    for family in std::fs::read_dir(fixtures_dir()).expect("fixtures dir") {
        let family = family.expect("entry").path();
        if !family.is_dir()
            || family
                .file_name()
                .is_some_and(|n| n == "projects" || n == "reports")
        {
            continue;
        }
        for f in std::fs::read_dir(&family).expect("family dir") {
            let f = f.expect("entry").path();
            if f.extension().is_some_and(|e| e == "py" || e == "pyi") {
                files.push(f);
            }
        }
    }
    files.sort();
    files
}

#[test]
fn rule_fixtures_report_exactly_the_marked_lines() {
    let mut failures = Vec::new();
    let files = single_file_fixtures();
    assert!(!files.is_empty(), "no fixtures found");
    for fixture in &files {
        let bytes = std::fs::read(fixture).expect("read fixture");
        let source = String::from_utf8_lossy(&bytes).into_owned();
        let file_name = fixture.file_name().unwrap().to_string_lossy().into_owned();
        let select: Vec<String> = match directive(&source, "select") {
            Some(list) => list.split(',').map(|s| s.trim().to_owned()).collect(),
            None => vec![code_of(&file_name)],
        };
        let rel = directive(&source, "path").map_or(file_name.clone(), str::to_owned);
        let dir = tempfile::tempdir().expect("tempdir");
        let target = dir.path().join(&rel);
        std::fs::create_dir_all(target.parent().unwrap()).expect("mkdir");
        std::fs::write(&target, &bytes).expect("copy fixture");
        // `# fortress-fixture: target=py39` checks the fixture against that
        // Python (default: the documented default target).
        let overrides = Overrides {
            select: Some(select.clone()),
            target_version: directive(&source, "target").map(str::to_owned),
            ..Overrides::default()
        };
        // `config=NAME`: a fortress.toml beside the fixture, used for the run.
        let config = directive(&source, "config").map(|name| {
            let from = fixture.parent().unwrap().join(name);
            let to = dir.path().join("fortress.toml");
            std::fs::copy(&from, &to).expect("copy fixture config");
            ConfigFile::load(&to).expect("fixture config")
        });
        let settings = Settings::resolve(config.as_ref(), &overrides, dir.path().to_path_buf())
            .unwrap_or_else(|e| panic!("{}: bad directive: {e}", fixture.display()));
        let (reported, messages) = run(dir.path(), std::slice::from_ref(&target), &settings);
        let expected = expectations(&rel, &source);
        if let Some(failure) = compare(
            &fixture.display().to_string(),
            &expected,
            &reported,
            &messages,
        ) {
            failures.push(failure);
        }
    }
    assert!(
        failures.is_empty(),
        "{} fixture(s) disagree:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn project_fixtures_report_exactly_the_marked_lines() {
    let projects = fixtures_dir().join("projects");
    let Ok(entries) = std::fs::read_dir(&projects) else {
        return;
    };
    let mut dirs: Vec<PathBuf> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    let mut failures = Vec::new();
    for dir in dirs {
        let config = fortress::config::discover(&dir)
            .ok()
            .flatten()
            .filter(|c| c.starts_with(&dir));
        let file = config
            .as_deref()
            .map(|c| ConfigFile::load(c).expect("fixture config"));
        let settings =
            Settings::resolve(file.as_ref(), &Overrides::default(), dir.clone()).expect("settings");
        let (reported, messages) = run(&dir, std::slice::from_ref(&dir), &settings);
        let mut expected = Marks::new();
        for entry in ignore::WalkBuilder::new(&dir)
            .hidden(false)
            .build()
            .flatten()
        {
            let p = entry.path();
            let is_manifest = p.file_name().is_some_and(|n| n == "Pipfile");
            if is_manifest
                || p.extension().is_some_and(|e| {
                    e == "py"
                        || e == "pyi"
                        || e == "toml"
                        || e == "txt"
                        || e == "cfg"
                        || e == "lock"
                        || e == "in"
                })
            {
                let rel = p
                    .strip_prefix(&dir)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                let source = String::from_utf8_lossy(&std::fs::read(p).unwrap()).into_owned();
                expected.extend(expectations(&rel, &source));
            }
        }
        if let Some(failure) = compare(&dir.display().to_string(), &expected, &reported, &messages)
        {
            failures.push(failure);
        }
    }
    assert!(
        failures.is_empty(),
        "{} project(s) disagree:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// `fixtures/reports/<CODE>_<name>/`: rules whose inputs are coverage and
/// test reports and a change (see fixtures/reports/README.md), run through
/// the binary, on a fresh git repository when the fixture has a `base/`.
#[test]
fn report_fixtures_report_exactly_the_marked_lines() {
    let root = fixtures_dir().join("reports");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .expect("fixtures/reports")
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    assert!(!dirs.is_empty(), "no report fixtures");
    let mut failures = Vec::new();
    for fixture in dirs {
        let name = fixture.file_name().unwrap().to_string_lossy().into_owned();
        let spec: toml::Table = std::fs::read_to_string(fixture.join("fixture.toml"))
            .expect("fixture.toml")
            .parse()
            .expect("fixture.toml is TOML");
        let list = |key: &str| -> Vec<String> {
            spec.get(key)
                .and_then(|v| v.as_array())
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default()
        };
        let tmp = tempfile::tempdir().expect("tempdir");
        let work = tmp.path().join("repo");
        let base = fixture.join("base");
        let mut args: Vec<String> = vec!["check".into(), "--format".into(), "json".into()];
        if base.is_dir() {
            common::copy_tree(&base, &work, &[]);
            common::git(&work, &["init", "-q"]);
            common::git(&work, &["add", "-A"]);
            common::git(&work, &["commit", "-q", "-m", "base"]);
            for entry in std::fs::read_dir(&work).unwrap().flatten() {
                if entry.file_name() != ".git" {
                    let p = entry.path();
                    if p.is_dir() {
                        std::fs::remove_dir_all(&p).unwrap();
                    } else {
                        std::fs::remove_file(&p).unwrap();
                    }
                }
            }
            args.extend(["--since".into(), "HEAD".into()]);
        }
        common::copy_tree(&fixture, &work, &["base", "fixture.toml"]);
        let select = {
            let l = list("select");
            if l.is_empty() {
                vec![code_of(&name)]
            } else {
                l
            }
        };
        args.extend(["--select".into(), select.join(",")]);
        for f in list("coverage") {
            args.extend(["--coverage".into(), f]);
        }
        for f in list("junit") {
            args.extend(["--junit".into(), f]);
        }
        if let Some(b) = spec.get("base-coverage").and_then(|v| v.as_str()) {
            args.extend(["--base-coverage".into(), b.to_owned()]);
        }
        args.extend([
            "--task".into(),
            spec.get("task")
                .and_then(|v| v.as_str())
                .unwrap_or("none")
                .to_owned(),
        ]);
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let mut cmd = common::command(&work, &argv);
        cmd.env_remove("GITHUB_EVENT_PATH");
        let run = common::run_cmd(cmd);
        assert!(
            run.code == 0 || run.code == 1,
            "{name}: exit {}: {}",
            run.code,
            run.stderr
        );
        let json = run.json();
        let mut reported = Marks::new();
        let mut messages = Vec::new();
        for d in json["diagnostics"].as_array().expect("diagnostics") {
            let path = d["path"].as_str().unwrap().to_owned();
            let line = d["line"].as_u64().unwrap() as u32;
            let code = d["code"].as_str().unwrap().to_owned();
            messages.push((
                path.clone(),
                line,
                code.clone(),
                d["message"].as_str().unwrap().to_owned(),
            ));
            reported.insert((path, line, code));
        }
        let mut expected = Marks::new();
        for entry in ignore::WalkBuilder::new(&work)
            .hidden(false)
            .build()
            .flatten()
        {
            let p = entry.path();
            if p.components().any(|c| c.as_os_str() == ".git") || !p.is_file() {
                continue;
            }
            let rel = p
                .strip_prefix(&work)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            let source = String::from_utf8_lossy(&std::fs::read(p).unwrap()).into_owned();
            expected.extend(expectations(&rel, &source));
        }
        if let Some(failure) = compare(&name, &expected, &reported, &messages) {
            failures.push(failure);
        }
    }
    assert!(
        failures.is_empty(),
        "{} report fixture(s) disagree:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
