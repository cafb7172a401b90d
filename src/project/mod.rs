//! Facts extracted from each file during its single walk (the map step), and
//! the project view cross-file rules run on (the reduce step).

use std::ops::Range;

pub use crate::python::imports::{Import, ImportScope, ImportedName};

use crate::diagnostic::Position;
use crate::files::FileInfo;

pub mod arch;
pub mod deps;
pub mod layers;
pub mod modules;
pub mod testcode;

/// What project-wide code reads from the configuration; each part is
/// declared beside the code that reads it.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Directory globs and module names are relative to.
    pub root: std::path::PathBuf,
    /// Configured source roots (absolute); empty means "detect".
    pub src: Vec<std::path::PathBuf>,
    /// `[tool.fortress.layers]`, compiled.
    pub layers: layers::LayerSettings,
    /// `[tool.fortress.tests]`: what is test code, what is a test, TST rule settings.
    pub tests: testcode::TestSettings,
    /// `[tool.fortress.dependencies]`.
    pub dependencies: deps::options::DependencySettings,
}

/// Everything a file contributes to project-wide rules.
#[derive(Debug, Clone, Default)]
pub struct FileFacts {
    pub imports: Vec<Import>,
    /// Routes, dependency aliases and providers, HTTP exception raises.
    pub arch: arch::ArchFacts,
    /// `importlib.import_module("literal")` and `__import__("literal")` calls.
    pub dynamic_imports: Vec<Import>,
}

/// Input of the project-wide rules.
pub struct Project<'a> {
    pub files: &'a [FileInfo],
    pub facts: &'a [FileFacts],
    pub modules: &'a modules::ModuleMap,
    pub options: &'a Options,
    /// Nothing outside it is read (manifests, includes, lockfiles, a local virtualenv).
    pub boundary: &'a crate::files::Boundary,
    /// Layers, routes and import edges, built once by the first rule that needs them.
    pub arch: std::sync::OnceLock<crate::project::layers::model::Model>,
    /// Manifests, lockfiles and environment, read once for the four DEP rules.
    pub deps: std::sync::OnceLock<crate::project::deps::Model>,
}

/// A project rule's finding, placed in one file.
#[derive(Debug, Clone)]
pub struct ProjectFinding {
    pub code: &'static str,
    pub file: usize,
    pub span: Range<usize>,
    pub start: Position,
    pub end: Position,
    pub message: String,
}

/// Files outside the Python file table that project rules read and report
/// in (manifests, lockfiles), and problems found reading them.
///
/// A rule registers a file with [`OtherFiles::add`] and gets back a file
/// index past the Python files, usable in [`ProjectFinding::file`]. The
/// engine appends these files to the run's file table after the project
/// rules, so reporters print them like any other file.
#[derive(Debug, Default)]
pub struct OtherFiles {
    /// Number of Python files: index of the first other file.
    pub base: usize,
    pub files: Vec<(std::path::PathBuf, String)>,
    /// (path shown, message): printed as warnings, like unreadable directories.
    pub problems: Vec<(std::path::PathBuf, String)>,
}

impl OtherFiles {
    pub fn new(base: usize) -> OtherFiles {
        OtherFiles {
            base,
            ..OtherFiles::default()
        }
    }

    /// The file index of `path` (added once, with its text).
    pub fn add(&mut self, path: &std::path::Path, source: &str) -> usize {
        if let Some(i) = self.files.iter().position(|(p, _)| p == path) {
            return self.base + i;
        }
        self.files.push((path.to_path_buf(), source.to_owned()));
        self.base + self.files.len() - 1
    }

    pub fn problem(&mut self, path: &std::path::Path, message: String) {
        let entry = (path.to_path_buf(), message);
        if !self.problems.contains(&entry) {
            self.problems.push(entry);
        }
    }
}
