//! `check`'s test-enforcement flags (`--coverage`, `--junit`,
//! `--base-coverage`, `--task`) and the review summary (`--summary`).

use std::path::{Path, PathBuf};

use crate::config::{ConfigError, Settings};
use crate::engine::RunResult;
use crate::testgate::{self, Enforced, Since, Spec};

#[derive(Debug, Clone, Default, clap::Args)]
pub(super) struct GateArgs {
    /// Coverage report to judge (Cobertura XML, coverage.py JSON or LCOV; repeatable) [default: `[coverage] reports`].
    #[arg(long, value_name = "FILE")]
    coverage: Vec<PathBuf>,
    /// JUnit XML test report (`pytest --junitxml`; repeatable): failed tests are TST006.
    #[arg(long, value_name = "FILE")]
    junit: Vec<PathBuf>,
    /// The base's coverage report: a refactor may not lose coverage (TSK002).
    #[arg(long, value_name = "FILE")]
    base_coverage: Option<PathBuf>,
    /// What the change is: fix, feat, refactor or none [default: from the pull request title or the last commit subject].
    #[arg(long, value_name = "TASK")]
    task: Option<String>,
    /// Also write the markdown review report to FILE (`auto`: append to $GITHUB_STEP_SUMMARY).
    #[arg(long, value_name = "FILE|auto")]
    summary: Option<String>,
}

impl GateArgs {
    /// Run the test-enforcement gate on the head run (before the change comparison).
    pub(super) fn enforce(
        &self,
        settings: &Settings,
        cwd: &Path,
        result: &mut RunResult,
        since: Option<Since<'_>>,
    ) -> Result<Enforced, ConfigError> {
        let spec = Spec::new(
            settings,
            cwd,
            &self.coverage,
            &self.junit,
            self.base_coverage.as_ref(),
            self.task.clone(),
        );
        testgate::run(settings, cwd, result, &spec, since)
    }

    /// [`Self::enforce`] on a `--since` change.
    pub(super) fn enforce_since(
        &self,
        settings: &Settings,
        cwd: &Path,
        result: &mut RunResult,
        base: &crate::baseline::since::Base,
    ) -> Result<Enforced, ConfigError> {
        let since = Since {
            commit: &base.commit,
            touched: &base.touched,
            infer_task: true,
        };
        self.enforce(settings, cwd, result, Some(since))
    }

    /// [`Self::enforce`] with a baseline: the commit it was written at is
    /// the base of new-code coverage, when the repository has it (else a
    /// note says what was not judged). The task is `--task` only.
    pub(super) fn enforce_baseline(
        &self,
        settings: &Settings,
        paths: &[PathBuf],
        cwd: &Path,
        result: &mut RunResult,
        commit: Option<&str>,
    ) -> Result<Enforced, ConfigError> {
        let Some(commit) = commit else {
            return self.enforce(settings, cwd, result, None);
        };
        match crate::baseline::since::touched_since(paths, cwd, result, commit) {
            Ok(touched) => {
                let since = Since {
                    commit,
                    touched: &touched,
                    infer_task: false,
                };
                self.enforce(settings, cwd, result, Some(since))
            }
            Err(e) => {
                if !self.coverage.is_empty() || self.task.is_some() {
                    let why = e.0.trim_start_matches("error: ");
                    eprintln!(
                        "fortress: note: the baseline's commit {} cannot be compared with ({why}); new-code coverage and the task rule are not judged",
                        &commit[..commit.len().min(12)]
                    );
                }
                self.enforce(settings, cwd, result, None)
            }
        }
    }

    /// `--summary`: the markdown report written to its file (or appended to the step summary).
    pub(super) fn write_summary(
        &self,
        cwd: &Path,
        report: &crate::report::Report<'_>,
    ) -> Result<(), ConfigError> {
        match self.summary_target(cwd)? {
            Some((path, append)) => {
                write_summary(&path, &crate::report::markdown::render(report), append)
            }
            None if self.summary.is_some() => {
                eprintln!("fortress: note: --summary auto: GITHUB_STEP_SUMMARY is not set; no summary written");
                Ok(())
            }
            None => Ok(()),
        }
    }

    /// Where `--summary` writes, and whether it appends ($GITHUB_STEP_SUMMARY).
    pub(super) fn summary_target(
        &self,
        cwd: &Path,
    ) -> Result<Option<(PathBuf, bool)>, ConfigError> {
        match self.summary.as_deref() {
            None => Ok(None),
            Some("auto") => match std::env::var_os("GITHUB_STEP_SUMMARY").filter(|v| !v.is_empty())
            {
                Some(path) => Ok(Some((PathBuf::from(path), true))),
                None => Ok(None),
            },
            Some(path) => Ok(Some((
                crate::paths::absolutize(Path::new(path), cwd),
                false,
            ))),
        }
    }
}

/// Write `bytes` to `path` atomically (temp file + rename), after what the
/// file held when `append` (the step summary other steps wrote).
pub(super) fn write_summary(path: &Path, bytes: &[u8], append: bool) -> Result<(), ConfigError> {
    let mut content = Vec::new();
    if append {
        match std::fs::read(path) {
            Ok(old) => content = old,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(ConfigError(format!(
                    "error: cannot read {}: {e}",
                    path.display()
                )))
            }
        }
        if !content.is_empty() && !content.ends_with(b"\n") {
            content.push(b'\n');
        }
    }
    content.extend_from_slice(bytes);
    crate::baseline::file::write_atomic(path, &content)
}
