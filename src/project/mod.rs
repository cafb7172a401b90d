//! Facts extracted from each file during its single walk (the map step), and
//! the project view cross-file rules run on (the reduce step).

use std::ops::Range;

use crate::context::FileInfo;
use crate::diagnostic::Position;

pub mod arch;
pub mod imports;
pub mod layers;
pub mod modules;

/// Where an import statement sits, which decides whether it counts for
/// layering and cycles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ImportScope {
    Module,
    Function,
    TypeChecking,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedName {
    pub name: String,
    pub alias: Option<String>,
}

/// One imported module: `import a.b as c` or `from ..a import b, c`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Import {
    /// Dotted module path as written, without the leading dots.
    pub module: String,
    /// Number of leading dots of a relative import (0 = absolute).
    pub level: u32,
    /// `import a.b as c` binds `c`.
    pub alias: Option<String>,
    /// For `from m import ...`: the names imported (`*` for a star import). Empty for `import m`.
    pub names: Vec<ImportedName>,
    pub is_from: bool,
    pub scope: ImportScope,
    /// Inside `try:` whose handlers catch `ImportError`/`ModuleNotFoundError`.
    pub guarded: bool,
    pub span: Range<usize>,
    pub start: Position,
}

impl Import {
    /// The local name bound to `module.name` (for `from module import name [as alias]`).
    pub fn binds(&self, module: &str, name: &str) -> Option<&str> {
        if self.level != 0 || self.module != module {
            return None;
        }
        self.names
            .iter()
            .find(|n| n.name == name)
            .map(|n| n.alias.as_deref().unwrap_or(&n.name))
    }

    /// The local name through which `module` is reachable as an attribute base
    /// (`import typing`, `import typing as t`).
    pub fn module_alias(&self, module: &str) -> Option<&str> {
        if self.is_from || self.level != 0 {
            return None;
        }
        match &self.alias {
            Some(alias) if self.module == module => Some(alias),
            None if self.module == module => Some(&self.module),
            _ => None,
        }
    }

    pub fn is_star_from(&self, module: &str) -> bool {
        self.is_from
            && self.level == 0
            && self.module == module
            && self.names.iter().any(|n| n.name == "*")
    }
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
    pub settings: &'a crate::config::Settings,
    /// Nothing outside it is read (manifests, includes, lockfiles, a local virtualenv).
    pub boundary: &'a crate::files::Boundary,
    /// Layers, routes and import edges, built once by the first rule that needs them.
    pub arch: std::sync::OnceLock<crate::rules::architecture::model::Model>,
    /// Manifests, lockfiles and environment, read once for the four DEP rules.
    pub deps: std::sync::OnceLock<crate::deps::Model>,
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
