//! `fortress baseline write|prune`, and what `check --baseline`/`--since` share with them.

use super::{BaselineAction, Target};
use crate::baseline::{self, file::Baseline};
use crate::config::{ConfigError, Settings};
use crate::engine;
use crate::rules;

/// The identity of each head finding (paths relative to the project root).
pub(super) fn head_prints(result: &engine::RunResult) -> Vec<baseline::Print> {
    baseline::fingerprint::prints(result, &|f| result.files[f].rel.clone())
}

/// The head prints of a run checked against `baseline`, with the files
/// renamed since it was written known by their baseline path.
pub(super) fn prints_against(
    result: &engine::RunResult,
    settings: &Settings,
    baseline: &Baseline,
) -> Vec<baseline::Print> {
    let root = &settings.project().root;
    let prints = head_prints(result);
    let present = |rel: &str| result.files.iter().any(|f| f.rel == rel) || root.join(rel).exists();
    let renames = baseline::renames::follow(baseline, root, &prints, &present);
    baseline::renames::apply(prints, &renames)
}

pub(super) fn enabled_codes(settings: &Settings) -> Vec<&'static str> {
    rules::registry()
        .iter()
        .zip(&settings.enabled)
        .filter(|(_, on)| **on)
        .map(|(r, _)| r.meta.code)
        .collect()
}

/// Whether this run judged a baseline entry's file: it checked the file, or
/// the file is gone. A file outside the checked paths keeps its entries.
pub(super) fn judged(result: &engine::RunResult, settings: &Settings, rel: &str) -> bool {
    result.files.iter().any(|f| f.rel == rel) || !settings.project().root.join(rel).exists()
}

pub(super) fn baseline_command(action: BaselineAction) -> Result<u8, ConfigError> {
    let (file, paths, run, prune) = match action {
        BaselineAction::Write { file, paths, run } => (file, paths, run, false),
        BaselineAction::Prune { file, paths, run } => (file, paths, run, true),
    };
    let (Target { cwd, paths, .. }, settings) = run.resolve(&paths)?;
    let path = match (file, &settings.baseline) {
        (Some(f), _) => crate::paths::absolutize(&f, &cwd),
        (None, Some(configured)) => configured.clone(),
        (None, None) if prune => {
            return Err(ConfigError(
                "error: `fortress baseline prune` needs the baseline file (or `baseline = \"...\"` in the configuration)".to_owned(),
            ))
        }
        (None, None) => cwd.join(baseline::file::DEFAULT_FILE),
    };
    let shown =
        crate::paths::relative_to(&path, &cwd).unwrap_or_else(|| path.display().to_string());
    let old = if prune {
        Some(Baseline::load(&path)?)
    } else {
        None
    };
    let result = engine::run(&settings, &paths, &cwd, run.threads)?;
    let baseline = match old {
        None => {
            let mut baseline = Baseline::new(
                enabled_codes(&settings)
                    .iter()
                    .map(|c| (*c).to_owned())
                    .collect(),
                baseline::entries(&head_prints(&result)),
            );
            baseline.commit = baseline::renames::head_commit(&settings.project().root);
            baseline
        }
        Some(old) => {
            // Only what no longer matches goes; nothing is added, and the
            // entries of files this run did not check stay (renamed files'
            // entries match under their old path).
            let prints = prints_against(&result, &settings, &old);
            let mut change = baseline::compare(&prints, &old.entries);
            change.fixed.retain(|e| judged(&result, &settings, &e.path));
            let mut entries = old.entries.clone();
            for gone in &change.fixed {
                if let Some(e) = entries.iter_mut().find(|e| {
                    (&e.path, &e.code, &e.symbol, &e.fingerprint, &e.message)
                        == (
                            &gone.path,
                            &gone.code,
                            &gone.symbol,
                            &gone.fingerprint,
                            &gone.message,
                        )
                }) {
                    e.count = e.count.saturating_sub(gone.count);
                }
            }
            entries.retain(|e| e.count > 0);
            let removed = old.count() - entries.iter().map(|e| e.count).sum::<usize>();
            eprintln!(
                "fortress: {shown}: removed {removed} of {} finding{} that no longer match",
                old.count(),
                if old.count() == 1 { "" } else { "s" }
            );
            if removed == 0 {
                return Ok(0);
            }
            let mut pruned = Baseline::new(old.rules, entries);
            pruned.commit = old.commit;
            pruned
        }
    };
    baseline::file::write_atomic(&path, &baseline.to_bytes())?;
    if !prune {
        eprintln!(
            "fortress: wrote {} finding{} ({} entr{}) to {shown}",
            baseline.count(),
            if baseline.count() == 1 { "" } else { "s" },
            baseline.entries.len(),
            if baseline.entries.len() == 1 {
                "y"
            } else {
                "ies"
            },
        );
    }
    Ok(0)
}
