//! What the tests said: the reports pytest and coverage.py wrote (coverage
//! in three formats, JUnit XML), the task a change claims to be, and what
//! the change touched — read, mapped to the checked tree and measured for
//! the test-enforcement rules (COV, TSK, TST006) and the review report.
//! fortress never runs the tests itself.

pub mod coverage;
pub mod executable;
pub mod junit;
pub mod measure;
pub mod task;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

pub use coverage::Coverage;
pub use junit::TestCase;
pub use task::{Task, TaskChoice};

/// Most bytes read from one report (a coverage.xml of a large monorepo is
/// a few MiB; anything near this is not a coverage report).
pub const REPORT_CAP: u64 = 256 * 1024 * 1024;

/// Line numbers of byte offsets visited in increasing order, each found by
/// counting from the previous one (roxmltree's `text_pos_at` counts from
/// the start of the document: quadratic over a large report).
pub(crate) struct Rows<'t> {
    text: &'t str,
    offset: usize,
    row: u32,
}

impl<'t> Rows<'t> {
    pub(crate) fn new(text: &'t str) -> Rows<'t> {
        Rows {
            text,
            offset: 0,
            row: 1,
        }
    }

    /// The 1-based line of byte `offset`.
    pub(crate) fn at(&mut self, offset: usize) -> u32 {
        let offset = offset.min(self.text.len());
        if offset < self.offset {
            self.offset = 0;
            self.row = 1;
        }
        let newlines =
            memchr::memchr_iter(b'\n', &self.text.as_bytes()[self.offset..offset]).count();
        self.row += newlines as u32;
        self.offset = offset;
        self.row
    }
}

/// A report as given on the command line or in the configuration.
#[derive(Debug, Clone)]
pub struct ReportFile {
    /// Absolute.
    pub path: PathBuf,
    /// As the user named it (for messages).
    pub shown: String,
}

/// The text of a report, or one line naming the file and what is wrong.
pub fn read_report(file: &ReportFile) -> Result<String, String> {
    let bytes = crate::files::read_bounded(&file.path, REPORT_CAP)
        .map_err(|e| format!("{}: cannot read: {e}", file.shown))?;
    String::from_utf8(bytes).map_err(|_| format!("{}: not UTF-8 text", file.shown))
}

/// Read and map coverage reports (merged), failing on the first bad one.
pub fn load_coverage(
    files: &[ReportFile],
    checked: &[String],
    root: &Path,
    cwd: &Path,
) -> Result<Option<Coverage>, String> {
    let mut merged: Option<Coverage> = None;
    for file in files {
        let text = read_report(file)?;
        let raw = coverage::parse(&text).map_err(|e| format!("{}: {e}", file.shown))?;
        let format = raw.format;
        let mapped = Coverage::map(raw, checked, root, cwd)
            .map_err(|e| format!("{}: {} report: {e}", file.shown, format.name()))?;
        match &mut merged {
            Some(m) => m.merge(mapped),
            None => merged = Some(mapped),
        }
    }
    Ok(merged)
}

/// One JUnit report's test cases.
#[derive(Debug, Clone)]
pub struct JunitReport {
    pub file: ReportFile,
    pub cases: Vec<TestCase>,
}

pub fn load_junit(files: &[ReportFile]) -> Result<Vec<JunitReport>, String> {
    files
        .iter()
        .map(|file| {
            let text = read_report(file)?;
            let cases = junit::parse(&text).map_err(|e| format!("{}: {e}", file.shown))?;
            Ok(JunitReport {
                file: file.clone(),
                cases,
            })
        })
        .collect()
}

/// Which lines of a head file the change added or modified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lines {
    /// The whole file is new (added, or not in the base at all).
    All,
    /// These lines (1-based); empty when the change only deleted lines.
    Some(BTreeSet<u32>),
}

impl Lines {
    pub fn contains(&self, line: u32) -> bool {
        match self {
            Lines::All => true,
            Lines::Some(set) => set.contains(&line),
        }
    }

    pub fn any_in(&self, (first, last): (u32, u32)) -> bool {
        match self {
            Lines::All => true,
            Lines::Some(set) => set.range(first..=last).next().is_some(),
        }
    }
}

/// What a change (`--since`) did to the checked files.
#[derive(Debug, Clone, Default)]
pub struct ChangeSet {
    /// The revision compared with (for messages).
    pub base: String,
    /// Head Python files the change touched, by project-relative path.
    pub files: BTreeMap<String, Lines>,
    /// Test files at the base (touched or deleted by the change): base
    /// project-relative path -> (head path, if the file still exists; text).
    pub base_tests: BTreeMap<String, (Option<String>, String)>,
    /// The base text of every touched head file that existed at the base
    /// (renames followed), by head project-relative path.
    pub base_sources: BTreeMap<String, String>,
    /// Distributions the head's manifests declare and the base's did not
    /// (computed when DEP005 runs).
    pub added_dependencies: Vec<AddedDependency>,
}

/// A distribution a change added to a manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddedDependency {
    /// PEP 503-normalised.
    pub name: String,
    /// As the manifest writes the requirement (`Requests[socks]>=2`).
    pub written: String,
    /// `runtime`, `optional (extra `pg`)`, `development (`dev`)`.
    pub group: String,
    /// The manifest, absolute, and as shown (relative to the project).
    pub manifest: std::path::PathBuf,
    pub shown: String,
    /// 1-based line of the declaration.
    pub line: u32,
}

/// Everything the test-enforcement rules judge.
#[derive(Debug, Clone, Default)]
pub struct Inputs {
    pub coverage_files: Vec<ReportFile>,
    /// The coverage reports, merged and mapped (None without `--coverage`).
    pub coverage: Option<Coverage>,
    pub junit: Vec<JunitReport>,
    pub base_coverage_file: Option<ReportFile>,
    pub base_coverage: Option<Coverage>,
    pub task: TaskChoice,
    pub change: Option<ChangeSet>,
}

impl Inputs {
    /// Whether anything test-related was given (the review report then
    /// shows the test-enforcement conditions as measured).
    pub fn any(&self) -> bool {
        self.coverage.is_some() || !self.junit.is_empty() || self.task.task != Task::None
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn rows_count_forward_and_restart() {
        let mut rows = super::Rows::new("a\nb\nc\n");
        assert_eq!(
            (rows.at(0), rows.at(2), rows.at(4), rows.at(100)),
            (1, 2, 3, 4)
        );
        assert_eq!(rows.at(2), 2);
    }
}
