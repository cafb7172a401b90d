//! The run: files in parallel (one parse and one cursor walk each, rules
//! dispatched by node kind), then project rules on the collected facts, then
//! suppressions, then a deterministic order.

mod cached;
mod check;
pub mod discover;
pub mod fix;
mod memo;
mod plan;
mod project_pass;
pub mod sources;
pub mod suppress;
pub mod syntax;
mod syntax_guard;
mod syntax_version;
mod walk;

use check::unreadable;
pub use check::{check_bytes, check_file, check_source};
pub use plan::{needed_facts, Plan};

use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::config::{ConfigError, Settings};
use crate::diagnostic::{Diagnostic, LineIndex, Position};
use crate::engine::discover::{WalkError, Walker};
use crate::files::FileInfo;
use crate::project::modules::ModuleMap;
use crate::project::{FileFacts, OtherFiles, Project, ProjectFinding};
use crate::rules::{self, RuleKind};
use suppress::FileSuppressions;

/// One file's share of the run.
#[derive(Debug, Default, Clone)]
pub struct FileOutcome {
    pub source: String,
    pub lines: LineIndex,
    pub diagnostics: Vec<Diagnostic>,
    pub suppressions: FileSuppressions,
    /// Boxed, and taken out for the project pass: the outcomes of a large
    /// tree then hold a pointer each rather than an empty `FileFacts`.
    pub facts: Option<Box<FileFacts>>,
    /// Rules enabled for this file (per-file ignores applied), indexed like the registry.
    pub enabled: std::sync::Arc<[bool]>,
    /// Set when the file could not be read, decoded or parsed cleanly.
    pub problem: Option<String>,
    /// `source` and `lines` were dropped by [`release_text`] (or never
    /// loaded: a result from the cache).
    pub text_released: bool,
    /// With `text_released`: the length `source` had.
    pub text_len: usize,
}

/// After its walk a file's text is needed again only by the suppression
/// pass, and only for fortress's own directives (SUP004 positions and fixes;
/// `# noqa`-style ones are never judged unused): drop it at once otherwise,
/// findings or not, rather than hold the sources of the run until the end
/// (most files of a large tree have findings; that held ~25 MB of text and
/// line tables on the stdlib). The reporters read a released text again one
/// file at a time ([`sources::Sources::load`]), only when they show a snippet.
pub(super) fn release_text(outcome: &mut FileOutcome) {
    if !outcome.text_released && !needs_text(&outcome.suppressions) {
        outcome.text_len = outcome.source.len();
        outcome.source = String::new();
        outcome.lines = LineIndex::default();
        outcome.text_released = true;
    }
}

/// Does the suppression pass need the file's text (a fortress directive
/// that may be reported unused)?
pub(super) fn needs_text(suppressions: &FileSuppressions) -> bool {
    suppressions.items.iter().any(|s| !s.external)
}

/// The text of a file whose outcome released it, for the reporters' snippets.
pub(super) fn reload_text(info: &FileInfo, cap: u64) -> String {
    read_text(&info.path, cap)
}

fn read_text(path: &Path, cap: u64) -> String {
    match crate::files::read_bounded(path, cap) {
        Ok(bytes) => crate::source::decode_vec(bytes).unwrap_or_else(|err| err.display),
        Err(_) => String::new(),
    }
}

/// Everything the gate and the reporters need.
#[derive(Debug, Default)]
pub struct RunResult {
    /// The Python files checked, then (from index `python_files` on) the
    /// non-Python files project rules reported in (manifests).
    pub files: Vec<FileInfo>,
    pub python_files: usize,
    /// Indexed like `files` (read on first use where the run did not keep them).
    pub sources: sources::Sources,
    /// Sorted by (path, line, column, code).
    pub diagnostics: Vec<Diagnostic>,
    /// Files that could not be read or parsed, with why: SARIF notifications.
    pub file_problems: Vec<(usize, String)>,
    pub walk_errors: Vec<WalkError>,
    /// What each Python file contributed to the project pass, indexed like
    /// `files[..python_files]`.
    pub facts: Vec<FileFacts>,
    /// Python files the configuration's exclusions left out.
    pub excluded: usize,
    /// Where every file read had to be (see [`crate::files`]).
    pub boundary: crate::files::Boundary,
    /// Suppressions naming report rules (COV, TSK, TST006), per file index,
    /// for the test gate to apply to its findings (and judge as unused).
    pub pending_suppressions: Vec<(usize, FileSuppressions)>,
}

pub fn run(
    settings: &Settings,
    paths: &[PathBuf],
    cwd: &Path,
    threads: Option<usize>,
) -> Result<RunResult, ConfigError> {
    run_with_facts(settings, paths, cwd, threads, crate::project::FactSet::NONE)
}

/// [`run`], also collecting `extra` facts whatever rules are enabled.
pub fn run_with_facts(
    settings: &Settings,
    paths: &[PathBuf],
    cwd: &Path,
    threads: Option<usize>,
    extra: crate::project::FactSet,
) -> Result<RunResult, ConfigError> {
    run_full(settings, paths, cwd, threads, extra, false).map(|(result, _)| result)
}

/// [`run`], also returning every file's outcome as it was before the
/// project pass (indexed like `result.files[..python_files]`): what a run
/// at a base revision reuses for the files the change left alone.
pub fn run_keeping(
    settings: &Settings,
    paths: &[PathBuf],
    cwd: &Path,
    threads: Option<usize>,
) -> Result<(RunResult, Vec<FileOutcome>), ConfigError> {
    run_full(
        settings,
        paths,
        cwd,
        threads,
        crate::project::FactSet::NONE,
        true,
    )
}

/// Where a file of [`run_inputs`] comes from.
pub enum Input {
    /// Its bytes (a blob of a base revision), checked like a file read from disk.
    Bytes(Vec<u8>),
    /// An outcome computed before (by [`run_keeping`]) for the same text.
    Done(Box<FileOutcome>),
    /// Bytes too many to check (this many): SYN003, as for a file on disk.
    TooLarge(u64),
}

/// A run over files given with their content instead of discovered and
/// read: the base revision of `--since`. `inputs` are Python files, sorted
/// by display path; project rules and suppressions run as in [`run`].
/// Manifests and lockfiles are read from `manifests` (the base revision's
/// tree), the virtualenv from disk.
pub fn run_inputs(
    settings: &Settings,
    cwd: &Path,
    boundary: crate::files::Boundary,
    threads: Option<usize>,
    inputs: Vec<(FileInfo, Input)>,
    manifests: crate::project::deps::tree::Reader,
) -> Result<RunResult, ConfigError> {
    let walker = Walker {
        settings,
        cwd: cwd.to_path_buf(),
        boundary,
    };
    let mut plan = Plan::new(settings);
    let (files, inputs): (Vec<FileInfo>, Vec<Input>) = inputs.into_iter().unzip();
    let profile = std::sync::Arc::new(crate::project::profile::Profile::build_from(
        &files,
        &settings.project().root,
        &walker.boundary,
        manifests,
    ));
    plan.profile = std::sync::Arc::clone(&profile);
    let check = || -> Vec<FileOutcome> {
        inputs
            .into_par_iter()
            .with_max_len(1)
            .enumerate()
            .map(|(i, input)| match input {
                Input::Done(outcome) => *outcome,
                Input::TooLarge(len) => {
                    let why = crate::files::ReadError::TooLarge {
                        len,
                        cap: settings.max_file_size,
                    };
                    unreadable(
                        &files[i],
                        &plan,
                        &format!("{why} (`max-file-size`)"),
                        crate::rules::syntax::UNCHECKED_FILE.code,
                    )
                }
                Input::Bytes(bytes) => check_bytes(&bytes, &files[i], &plan),
            })
            .collect()
    };
    let outcomes = in_pool(threads, check)?;
    Ok(finish(&walker, files, outcomes, Vec::new(), 0, profile))
}

fn in_pool<T: Send>(
    threads: Option<usize>,
    work: impl FnOnce() -> T + Send,
) -> Result<T, ConfigError> {
    match threads {
        Some(n) => Ok(rayon::ThreadPoolBuilder::new()
            .num_threads(n.max(1))
            .build()
            .map_err(|e| ConfigError(format!("error: cannot start {n} threads: {e}")))?
            .install(work)),
        None => Ok(work()),
    }
}

fn run_full(
    settings: &Settings,
    paths: &[PathBuf],
    cwd: &Path,
    threads: Option<usize>,
    extra: crate::project::FactSet,
    keeping: bool,
) -> Result<(RunResult, Vec<FileOutcome>), ConfigError> {
    let absolute: Vec<PathBuf> = paths
        .iter()
        .map(|p| crate::paths::absolutize(p, cwd))
        .collect();
    let boundary = crate::files::Boundary::of_run(&absolute, &settings.project().root);
    let walker = Walker {
        settings,
        cwd: cwd.to_path_buf(),
        boundary: boundary.clone(),
    };
    let discovered = walker.discover(paths)?;
    let mut files = discovered.files;
    let broken_start = files.len();
    let broken_reasons: Vec<String> = discovered
        .broken
        .iter()
        .map(|(_, why)| why.clone())
        .collect();
    files.extend(discovered.broken.into_iter().map(|(info, _)| info));

    let mut plan = Plan::with_facts(settings, extra);
    // Manifests and library versions, before the walk: file rules read them.
    let profile = std::sync::Arc::new(crate::project::profile::Profile::build(
        &files,
        &settings.project().root,
        &boundary,
    ));
    plan.profile = std::sync::Arc::clone(&profile);
    let mut cache = cached::RunCache::open(settings, needed_facts(settings).union(extra));
    // A run with nothing changed replays the last one ([`memo`]); not a
    // run that keeps the outcomes or collects facts for another command.
    let profile_digest = cache
        .as_ref()
        .filter(|_| !keeping && extra.is_empty())
        .map(|_| profile.digest());
    let mut walk_errors = discovered.errors;
    if let (Some(c), Some(digest)) = (&cache, &profile_digest) {
        // The profile's answer depends on the directory only: asked once
        // for each run of files in one directory.
        let mut last: Option<(&Path, &str)> = None;
        let keys = c.memo().and_then(|_| {
            files[..broken_start]
                .iter()
                .map(|f| {
                    let dir = f.path.parent().unwrap_or(&f.path);
                    let libraries = match last {
                        Some((d, libraries)) if d == dir => libraries,
                        _ => {
                            let libraries = profile.file_key(&f.path);
                            last = Some((dir, libraries));
                            libraries
                        }
                    };
                    c.unchanged(f, libraries)
                })
                .collect::<Option<Vec<_>>>()
        });
        if let (Some(bytes), Some(keys)) = (c.memo(), keys) {
            let key = memo::run_key(cwd, &files, &keys, &broken_reasons, digest);
            let run = memo::Replay {
                walker: &walker,
                files,
                walk_errors,
                excluded: discovered.excluded,
            };
            match memo::replay(bytes, &key, run) {
                Ok(result) => {
                    c.replayed(broken_start);
                    return Ok((result, Vec::new()));
                }
                Err(back) => (files, walk_errors) = (back.files, back.walk_errors),
            }
        }
    }
    let mut order: Vec<(u64, usize)> = files
        .iter()
        .enumerate()
        .map(|(i, f)| (std::fs::metadata(&f.path).map(|m| m.len()).unwrap_or(0), i))
        .collect();
    // Biggest files first so no thread is left alone with the giants at the end.
    order.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));

    // Each file's recorded entry, taken out of the cache: (name, entry).
    let mut jobs: Vec<(usize, Option<cached::Slot>)> = order
        .iter()
        .map(|&(_, i)| {
            let slot = cache.as_mut().filter(|_| i < broken_start).map(|c| {
                let name = c.name(&files[i]);
                let entry = c.take(&name);
                (name, entry)
            });
            (i, slot)
        })
        .collect();
    drop(order);
    let check = || -> Vec<(usize, FileOutcome, Option<cached::Seen>)> {
        jobs.par_drain(..)
            .with_max_len(1)
            .map(|(i, slot)| {
                let mut seen = None;
                let mut outcome = if i >= broken_start {
                    unreadable(
                        &files[i],
                        &plan,
                        &broken_reasons[i - broken_start],
                        crate::rules::syntax::IO_ERROR.code,
                    )
                } else if let (Some(c), Some((name, recorded))) = (&cache, slot) {
                    let (outcome, entry, served) = c.check(&files[i], &plan, recorded);
                    seen = Some((name, entry, served));
                    outcome
                } else {
                    check_file(&files[i], &plan)
                };
                release_text(&mut outcome);
                (i, outcome, seen)
            })
            .collect()
    };
    let mut results = in_pool(threads, check)?;
    // `par_drain` emptied the job table but not its buffer (~140 bytes a
    // file), held otherwise to the end of the run, project pass included.
    drop(jobs);
    // Every file has exactly one result: in file order they are the
    // outcomes, without a second table of outcomes beside the results.
    results.sort_unstable_by_key(|(i, _, _)| *i);
    let mut seen = Vec::new();
    let mut outcomes: Vec<FileOutcome> = results
        .into_iter()
        .map(|(_, outcome, entry)| {
            seen.extend(entry);
            outcome
        })
        .collect();
    // Collected in place, the outcomes kept the results' buffer, sized for
    // the larger (index, outcome, cache entry) records: ~60% more than
    // they fill, for the rest of the run.
    outcomes.shrink_to_fit();
    // The memo's key, when every readable file has an entry.
    let memo_key = profile_digest.and_then(|digest| {
        let keys: Vec<memo::FileKey> = seen
            .iter()
            .map(|(_, entry, _)| entry.as_ref().map(|e| (e.content, e.context)))
            .collect::<Option<_>>()?;
        (keys.len() == broken_start)
            .then(|| memo::run_key(cwd, &files, &keys, &broken_reasons, &digest))
    });
    let kept = if keeping {
        outcomes.clone()
    } else {
        Vec::new()
    };
    let discovery_errors = walk_errors.len();
    let (result, probes) = finish_probed(
        &walker,
        files,
        outcomes,
        walk_errors,
        discovered.excluded,
        profile,
    );
    if let Some(cache) = cache {
        let memo = profile_digest
            .map(|_| memo_key.and_then(|key| memo::record(&result, key, probes, discovery_errors)));
        cache.save(seen, memo);
    }
    Ok((result, kept))
}

/// The reduce step of a run, after every file was checked: project rules on
/// the files' facts, suppressions applied (and SUP004 for the unused ones),
/// diagnostics in their final order. `outcomes[i]` belongs to `files[i]`.
pub fn finish(
    walker: &Walker<'_>,
    files: Vec<FileInfo>,
    outcomes: Vec<FileOutcome>,
    walk_errors: Vec<WalkError>,
    excluded: usize,
    profile: std::sync::Arc<crate::project::profile::Profile>,
) -> RunResult {
    finish_probed(walker, files, outcomes, walk_errors, excluded, profile).0
}

/// [`finish`], with what the project pass asked the disk (for the memo).
fn finish_probed(
    walker: &Walker<'_>,
    mut files: Vec<FileInfo>,
    mut outcomes: Vec<FileOutcome>,
    walk_errors: Vec<WalkError>,
    excluded: usize,
    profile: std::sync::Arc<crate::project::profile::Profile>,
) -> (RunResult, Vec<crate::project::modules::Probe>) {
    let settings = walker.settings;
    let boundary = walker.boundary.clone();
    for (i, outcome) in outcomes.iter_mut().enumerate() {
        for d in &mut outcome.diagnostics {
            d.file = i;
        }
    }
    let facts: Vec<FileFacts> = outcomes
        .iter_mut()
        .map(|o| o.facts.take().map(|f| *f).unwrap_or_default())
        .collect();
    let python_files = files.len();
    let (project_findings, other, probes) =
        project_pass::run_project_rules(settings, &files, &facts, &boundary, profile);
    let mut result = RunResult {
        walk_errors,
        excluded,
        boundary,
        python_files,
        ..RunResult::default()
    };
    for (path, source) in other.files {
        let info = walker.file_info(path);
        outcomes.push(FileOutcome {
            lines: LineIndex::new(&source),
            enabled: settings.enabled_for(&info.rel).into(),
            source,
            ..FileOutcome::default()
        });
        files.push(info);
    }
    for (path, message) in other.problems {
        let shown = walker.file_info(path).display;
        result.walk_errors.push(crate::engine::discover::WalkError {
            path: shown,
            message,
        });
    }
    for f in project_findings {
        let Some(outcome) = outcomes.get_mut(f.file) else {
            continue;
        };
        let Some(index) = rules::index_of(f.code) else {
            continue;
        };
        if !outcome.enabled.get(index).copied().unwrap_or(false) {
            continue;
        }
        outcome.diagnostics.push(make_diagnostic(
            settings, index, f.file, f.span, f.start, f.end, f.message,
        ));
    }

    for (file, outcome) in outcomes.iter_mut().enumerate() {
        apply_suppressions(settings, outcome, file, &mut result.pending_suppressions);
    }

    for (file, outcome) in outcomes.into_iter().enumerate() {
        if let Some(problem) = outcome.problem {
            result.file_problems.push((file, problem));
        }
        if outcome.text_released {
            result.sources.push_lazy(
                files[file].path.clone(),
                settings.max_file_size,
                outcome.text_len,
            );
        } else {
            result.sources.push(outcome.source);
        }
        result.diagnostics.extend(outcome.diagnostics);
    }
    // Unreadable files were appended after the readable ones: order by path, not by index.
    let rank = sort_diagnostics(&files, &mut result.diagnostics);
    result.file_problems.sort_by_key(|(file, _)| rank[*file]);
    result.files = files;
    result.facts = facts;
    (result, probes)
}

/// Suppressions applied to one file's diagnostics, and SUP004 for the ones
/// that silenced nothing (`file`: the file's index in the run). Codes of
/// report rules (COV, TSK, TST006) are judged after the test gate ran:
/// their suppressions are kept in `pending`.
pub(super) fn apply_suppressions(
    settings: &Settings,
    outcome: &mut FileOutcome,
    file: usize,
    pending: &mut Vec<(usize, FileSuppressions)>,
) {
    let used = suppress::apply(&mut outcome.diagnostics, &outcome.suppressions);
    let (now, later) = suppress::split_report_codes(&outcome.suppressions, used);
    if let Some(later) = later {
        pending.push((file, later));
    }
    let unused = suppress::unused(
        settings,
        file,
        &outcome.source,
        &outcome.lines,
        &outcome.suppressions,
        &now,
        &outcome.enabled,
    );
    outcome.diagnostics.extend(unused);
}

/// Puts diagnostics in the run's order (path, position, code, end,
/// message), drops exact duplicates, and returns each file's rank by path.
pub fn sort_diagnostics(files: &[FileInfo], diagnostics: &mut Vec<Diagnostic>) -> Vec<usize> {
    let mut by_path: Vec<usize> = (0..files.len()).collect();
    by_path.sort_by(|&a, &b| files[a].display.cmp(&files[b].display));
    let mut rank = vec![0; files.len()];
    for (position, &file) in by_path.iter().enumerate() {
        rank[file] = position;
    }
    diagnostics.sort_by(|a, b| {
        (rank[a.file], a.start, a.code, a.end, &a.message).cmp(&(
            rank[b.file],
            b.start,
            b.code,
            b.end,
            &b.message,
        ))
    });
    diagnostics.dedup();
    rank
}

pub(super) fn make_diagnostic(
    settings: &Settings,
    index: usize,
    file: usize,
    span: std::ops::Range<usize>,
    start: Position,
    end: Position,
    message: String,
) -> Diagnostic {
    let meta = &rules::registry()[index].meta;
    Diagnostic {
        code: meta.code,
        name: meta.name,
        severity: settings.severity[index],
        file,
        span,
        start,
        end,
        message: crate::diagnostic::cap_message(message),
        fix: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_released_only_when_nothing_needs_it() {
        let clean = |source: &str| FileOutcome {
            source: source.to_owned(),
            lines: LineIndex::new(source),
            ..FileOutcome::default()
        };
        let mut outcome = clean("x = 1\n");
        release_text(&mut outcome);
        assert!(outcome.text_released && outcome.source.is_empty());

        let mut outcome = clean("x = 1  # fortress: ignore[TYP001] -- why\n");
        outcome.suppressions.items.push(suppress::Suppression {
            file_level: false,
            row: 0,
            span: 7..40,
            codes: vec!["TYP001"],
            external: false,
        });
        release_text(&mut outcome);
        assert!(!outcome.text_released && !outcome.source.is_empty());

        // An external directive (`# noqa`) is never judged unused: released.
        let mut outcome = clean("x = 1  # noqa: S608\n");
        outcome.suppressions.items.push(suppress::Suppression {
            file_level: false,
            row: 0,
            span: 7..19,
            codes: vec!["SEC001"],
            external: true,
        });
        release_text(&mut outcome);
        assert!(outcome.text_released && outcome.text_len == 20);
    }

    #[test]
    fn released_text_reloads_decoded() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("m.py");
        std::fs::write(&path, b"# coding: latin-1\nx = '\xe9'\n").expect("write");
        let info = FileInfo {
            path,
            display: "m.py".to_owned(),
            rel: "m.py".to_owned(),
            is_test: false,
        };
        assert_eq!(
            reload_text(&info, crate::files::SOURCE_CAP),
            "# coding: latin-1\nx = 'é'\n"
        );
    }
}
