//! `check --fix`, `--unsafe-fixes`, `--diff`: what the fixes on a run's
//! diagnostics do to the files (see `engine::fix`).

use crate::baseline::Change;
use crate::config::{ConfigError, Overrides, Settings};
use crate::engine::{self, RunResult};

#[derive(Debug, Clone, clap::Args)]
pub(super) struct FixArgs {
    /// Apply the safe fixes, then report what remains. With --since or a baseline: only the new and updated findings.
    #[arg(long)]
    pub fix: bool,
    /// With --fix or --diff: apply the unsafe fixes too (they need a human to finish them).
    #[arg(long)]
    pub unsafe_fixes: bool,
    /// Print the fixes as a unified diff and write nothing (exit 1 when there is something to fix).
    #[arg(long, conflicts_with = "fix")]
    pub diff: bool,
    /// Rules whose fixes may be applied (codes or prefixes), replacing the configured `fixable`.
    #[arg(long, value_delimiter = ',', value_name = "CODES")]
    pub fixable: Option<Vec<String>>,
    /// Rules whose fixes are never applied, replacing the configured `unfixable`.
    #[arg(long, value_delimiter = ',', value_name = "CODES")]
    pub unfixable: Option<Vec<String>>,
}

impl FixArgs {
    pub fn wanted(&self) -> bool {
        self.fix || self.diff
    }

    pub fn overrides(&self, o: &mut Overrides) {
        o.fixable = self.fixable.clone();
        o.unfixable = self.unfixable.clone();
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Plan the fixes of a finished run. `--diff`: print them and return the
/// exit code; `--fix`: write them and return None (the caller checks again
/// and reports what remains).
pub(super) fn run(
    args: &FixArgs,
    settings: &Settings,
    result: &RunResult,
    change: Option<&Change>,
    on_changed_lines: Option<&[bool]>,
    output: Option<&std::path::Path>,
) -> Result<Option<u8>, ConfigError> {
    let chosen: Vec<bool> = match change {
        Some(c) => c
            .states
            .iter()
            .enumerate()
            .map(|(i, s)| s.gated() || on_changed_lines.is_some_and(|l| l.get(i) == Some(&true)))
            .collect(),
        None => vec![true; result.diagnostics.len()],
    };
    let plan = engine::fix::plan(settings, result, &chosen, args.unsafe_fixes);
    for note in &plan.notes {
        eprintln!("fortress: warning: {note}");
    }
    let count = plan.count();
    let files = plural(plan.files.len(), "file", "files");
    let per_rule = {
        let mut all = std::collections::BTreeMap::new();
        for f in &plan.files {
            for (code, n) in &f.fixed {
                *all.entry(*code).or_insert(0) += n;
            }
        }
        all.iter()
            .map(|(c, n)| format!("{c} {n}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if args.diff {
        let diff: String = plan.files.iter().map(engine::fix::unified_diff).collect();
        match output {
            Some(path) => crate::files::write_atomic(path, diff.as_bytes())
                .map_err(|e| ConfigError(format!("error: cannot write {}: {e}", path.display())))?,
            None => super::write_stdout(diff.as_bytes())?,
        }
        if count > 0 {
            eprintln!(
                "fortress: --fix would fix {} in {files} ({per_rule})",
                plural(count, "finding", "findings")
            );
        } else {
            eprintln!("fortress: nothing to fix");
        }
    } else {
        engine::fix::write(&plan)?;
        if count > 0 {
            eprintln!(
                "fortress: fixed {} in {files} ({per_rule})",
                plural(count, "finding", "findings")
            );
        }
    }
    if plan.overlapping > 0 {
        eprintln!(
            "fortress: {} overlapped another fix; run again to apply {}",
            plural(plan.overlapping, "fix", "fixes"),
            if plan.overlapping == 1 { "it" } else { "them" }
        );
    }
    if plan.unsafe_left > 0 {
        eprintln!(
            "fortress: {} more {} available with --unsafe-fixes",
            plan.unsafe_left,
            if plan.unsafe_left == 1 {
                "fix is"
            } else {
                "fixes are"
            }
        );
    }
    Ok(args.diff.then_some(u8::from(count > 0)))
}

/// `--fix --since`: which findings sit on a line the change added or
/// modified (any line of a file git does not track yet). Those are fixed
/// besides the new and updated ones: an old finding on an edited line is
/// the author's to fix now.
pub(super) fn on_changed_lines(
    result: &RunResult,
    base: &crate::baseline::since::Base,
) -> Result<Vec<bool>, ConfigError> {
    use crate::baseline::{git, lines};
    let Some(start) = result.files.first().and_then(|f| f.path.parent()) else {
        return Ok(Vec::new());
    };
    let repo = git::repo_root(start)?;
    let changed = lines::changed_lines(&repo, &base.commit)?;
    let real_repo = std::fs::canonicalize(&repo).unwrap_or(repo);
    let rel: Vec<Option<String>> = result
        .files
        .iter()
        .enumerate()
        .map(|(i, info)| {
            if !base.touched.get(i).copied().unwrap_or(false) {
                return None;
            }
            let abs = std::fs::canonicalize(&info.path).unwrap_or_else(|_| info.path.clone());
            abs.strip_prefix(&real_repo).ok().map(crate::paths::slash)
        })
        .collect();
    Ok(result
        .diagnostics
        .iter()
        .map(|d| match rel.get(d.file).and_then(Option::as_ref) {
            Some(path) => changed
                .get(path)
                .is_none_or(|set| set.contains(&d.start.line)),
            None => false,
        })
        .collect())
}
