//! Facts extracted from each file during its single walk (the map step), and
//! the project view cross-file rules run on (the reduce step).

use std::ops::Range;

pub use crate::python::imports::{Import, ImportScope, ImportedName};

use crate::diagnostic::Position;
use crate::files::FileInfo;

pub mod arch;
pub mod deps;
pub mod layers;
pub mod migrations;
pub mod modules;
pub mod profile;
pub mod slim;
pub mod symbols;
pub mod target;
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
    /// The Python version the project is checked against.
    pub target: crate::version::PythonVersion,
    /// Where `target` came from (flag, configuration, `requires-python`, default).
    pub target_source: target::TargetSource,
}

/// Which per-file facts a project rule reads; the engine collects only
/// those some enabled rule (or command) asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FactSet(u8);

impl FactSet {
    pub const NONE: FactSet = FactSet(0);
    /// Import statements (always collected: file rules read them too).
    pub const IMPORTS: FactSet = FactSet(1);
    /// Routes, handlers, dependency aliases and providers, HTTP exception raises.
    pub const ARCHITECTURE: FactSet = FactSet(2);
    /// `importlib.import_module("literal")`, `__import__("literal")`.
    pub const DYNAMIC_IMPORTS: FactSet = FactSet(4);
    /// Manifests, lockfiles and a local virtualenv (read in the project pass).
    pub const MANIFESTS: FactSet = FactSet(8);
    /// Classes with their bases and fields, and the types routes respond
    /// with ([`symbols`]).
    pub const SYMBOLS: FactSet = FactSet(16);

    pub const fn union(self, other: FactSet) -> FactSet {
        FactSet(self.0 | other.0)
    }

    pub const fn contains(self, other: FactSet) -> bool {
        self.0 & other.0 == other.0
    }

    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The set as bits (the result cache keys its entries by them).
    pub const fn bits(self) -> u8 {
        self.0
    }
}

/// Everything a file contributes to project-wide rules.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct FileFacts {
    pub imports: Vec<Import>,
    /// Routes, dependency aliases and providers, HTTP exception raises.
    pub arch: slim::Slim<arch::ArchFacts>,
    /// `importlib.import_module("literal")` and `__import__("literal")` calls.
    pub dynamic_imports: Vec<Import>,
    /// An Alembic revision or a Django migration ([`migrations`]).
    pub migration: bool,
    /// Classes and response models, for the project symbol table.
    pub symbols: slim::Slim<symbols::SymbolFacts>,
    /// File rules' findings that wait for a project-wide answer.
    pub deferred: Vec<symbols::Deferred>,
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
    /// Manifests, lockfiles and environment (taken from the run's profile
    /// when it was read before the walk) and every import resolved against
    /// them, built once by the first rule that needs them.
    pub deps: std::sync::OnceLock<deps::facts::Facts>,
    /// What was known before the walk (library versions, manifests).
    pub profile: std::sync::Arc<profile::Profile>,
    /// Classes across modules, built once by the first rule that needs them.
    pub symbols: std::sync::OnceLock<symbols::SymbolTable>,
}

impl Project<'_> {
    /// The project symbol table (built on first use).
    pub fn symbols(&self) -> &symbols::SymbolTable {
        self.symbols
            .get_or_init(|| symbols::SymbolTable::build(self))
    }

    /// The dependency facts (built on first use; problems reading the
    /// manifests are reported to `other` then).
    pub fn dependencies(&self, other: &mut OtherFiles) -> &deps::facts::Facts {
        self.deps
            .get_or_init(|| deps::facts::Facts::build(self, other))
    }

    /// Is file `file` a migration ([`migrations`])? Project rules about how
    /// application code is written (layers, dependency declarations) skip it.
    pub fn is_migration(&self, file: usize) -> bool {
        self.facts.get(file).is_some_and(|f| f.migration)
    }
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
    /// Indexes keeping `add` and `problem` linear over many calls.
    by_path: std::collections::HashMap<std::path::PathBuf, usize>,
    seen_problems: std::collections::HashSet<(std::path::PathBuf, String)>,
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
        if let Some(&i) = self.by_path.get(path) {
            return self.base + i;
        }
        self.files.push((path.to_path_buf(), source.to_owned()));
        self.by_path
            .insert(path.to_path_buf(), self.files.len() - 1);
        self.base + self.files.len() - 1
    }

    pub fn problem(&mut self, path: &std::path::Path, message: String) {
        let entry = (path.to_path_buf(), message);
        if self.seen_problems.insert(entry.clone()) {
            self.problems.push(entry);
        }
    }
}
