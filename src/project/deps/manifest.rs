//! What the manifests of one directory declare, and the files they were read
//! from (kept so findings can be shown in them).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::ops::Range;
use std::path::{Path, PathBuf};

use super::names::normalize;

/// Which installs a declaration is part of.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Group {
    /// Installed with the application.
    Runtime,
    /// An extra of the project (`pip install app[postgres]`).
    Optional(String),
    /// Development only: dependency groups, dev extras, test requirement files.
    Dev(String),
}

impl Group {
    pub fn is_dev(&self) -> bool {
        matches!(self, Group::Dev(_))
    }

    /// Extras and groups named like development tooling count as dev.
    pub fn extra(name: &str) -> Group {
        if is_dev_name(name) {
            Group::Dev(name.to_owned())
        } else {
            Group::Optional(name.to_owned())
        }
    }
}

const DEV_WORDS: &[&str] = &[
    "dev",
    "devel",
    "develop",
    "development",
    "test",
    "tests",
    "testing",
    "lint",
    "linting",
    "linters",
    "typing",
    "types",
    "mypy",
    "doc",
    "docs",
    "documentation",
    "ci",
    "qa",
    "check",
    "checks",
    "style",
    "format",
    "formatting",
    "debug",
    "local",
    "bench",
    "benchmark",
    "benchmarks",
    "coverage",
    "tox",
    "nox",
    "pre-commit",
    "precommit",
    "tools",
    "tooling",
    "e2e",
    "unit",
    "integration",
    "build",
    "build-system",
    "security",
    "audit",
    "notebook",
    "notebooks",
    "jupyter",
];

/// `dev`, `test-extra`, `requirements-dev`, `lint_tools`: any word of the
/// name is a development word.
pub fn is_dev_name(name: &str) -> bool {
    let n = normalize(name);
    n.split('-').any(|w| DEV_WORDS.contains(&w)) || DEV_WORDS.contains(&n.as_str())
}

/// One declared requirement, where it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Declared {
    /// Normalised distribution name.
    pub name: String,
    /// As written.
    pub written: String,
    /// Normalised extras requested (`passlib[bcrypt]` -> `bcrypt`).
    pub extras: Vec<String>,
    pub group: Group,
    /// Index into [`Sources::files`].
    pub file: usize,
    pub span: Range<usize>,
    /// Pinned with `==` in a file that looks like `pip freeze` output: the
    /// declaration lists transitive packages too, so "unused" means nothing.
    pub frozen: bool,
    /// The versions it allows (`None`: any, or a URL).
    pub versions: Option<super::versions::Range>,
}

impl Declared {
    /// A PEP 508 requirement whose name starts at byte `at` of its file.
    pub fn from_requirement(
        r: &super::requirement::Requirement,
        group: &Group,
        file: usize,
        at: usize,
    ) -> Declared {
        Declared {
            name: normalize(&r.name),
            written: r.name.clone(),
            extras: r.extras.iter().map(|e| normalize(e)).collect(),
            group: group.clone(),
            file,
            span: at..at + r.name.len(),
            frozen: false,
            versions: r.versions.as_ref().map(super::versions::Range::of),
        }
    }
}

/// A locked (or installed-as-a-dependency) distribution and what it pulls in.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LockedPackage {
    /// The exact version installed, when the lockfile says.
    pub version: Option<pep508_rs::pep440_rs::Version>,
    pub deps: BTreeSet<String>,
    /// extra -> distributions it adds.
    pub extras: BTreeMap<String, BTreeSet<String>>,
}

/// Distributions a lockfile (or pinned requirements file) installs.
#[derive(Debug, Clone, Default)]
pub struct LockGraph {
    pub packages: BTreeMap<String, LockedPackage>,
    /// Names of the lockfiles read, for messages.
    pub sources: Vec<String>,
}

impl LockGraph {
    pub fn is_empty(&self) -> bool {
        self.packages.is_empty()
    }

    pub fn add(&mut self, name: &str) -> &mut LockedPackage {
        self.packages.entry(normalize(name)).or_default()
    }

    pub fn contains(&self, name: &str) -> bool {
        self.packages.contains_key(name)
    }

    /// Distributions brought in by installing `name[extras]`, the package itself excluded.
    pub fn closure(&self, name: &str, extras: &[String]) -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut stack: Vec<String> = Vec::new();
        if let Some(p) = self.packages.get(name) {
            stack.extend(p.deps.iter().cloned());
            for e in extras {
                if let Some(more) = p.extras.get(e) {
                    stack.extend(more.iter().cloned());
                }
            }
        }
        while let Some(n) = stack.pop() {
            if n == name || !seen.insert(n.clone()) {
                continue;
            }
            if let Some(p) = self.packages.get(&n) {
                stack.extend(p.deps.iter().filter(|d| !seen.contains(*d)).cloned());
            }
        }
        seen
    }

    /// What installing `name[extras]` adds directly: its dependencies and
    /// those of the extras requested (the first hop of [`LockGraph::closure`]).
    pub fn first_hop<'a>(
        &'a self,
        name: &str,
        extras: &'a [String],
    ) -> impl Iterator<Item = &'a str> + 'a {
        let p = self.packages.get(name);
        let deps = p.into_iter().flat_map(|p| p.deps.iter());
        let more = p.into_iter().flat_map(move |p| {
            extras
                .iter()
                .filter_map(|e| p.extras.get(e))
                .flat_map(|d| d.iter())
        });
        deps.chain(more).map(String::as_str)
    }

    /// The dependencies of a locked distribution.
    pub fn deps_of<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a str> + 'a {
        self.packages
            .get(name)
            .into_iter()
            .flat_map(|p| p.deps.iter().map(String::as_str))
    }

    /// What `name[extras]` adds through its extras alone (first hop).
    pub fn extra_deps(&self, name: &str, extras: &[String]) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        if let Some(p) = self.packages.get(name) {
            for e in extras {
                if let Some(more) = p.extras.get(e) {
                    out.extend(more.iter().cloned());
                }
            }
        }
        out
    }

    pub fn merge(&mut self, other: LockGraph) {
        for (name, pkg) in other.packages {
            let mine = self.packages.entry(name).or_default();
            if mine.version.is_none() {
                mine.version = pkg.version;
            }
            mine.deps.extend(pkg.deps);
            for (e, d) in pkg.extras {
                mine.extras.entry(e).or_default().extend(d);
            }
        }
        self.sources.extend(other.sources);
    }
}

/// What the manifests of one directory say.
#[derive(Debug, Clone, Default)]
pub struct Declarations {
    pub declared: Vec<Declared>,
    pub locked: LockGraph,
    /// Normalised names of the project's own distribution(s).
    pub own_names: BTreeSet<String>,
    /// Import names the project says it ships (`packages = [...]`).
    pub own_packages: BTreeSet<String>,
    /// Dependencies are declared somewhere we cannot read (setup.py, dynamic
    /// metadata): nothing can be called undeclared here.
    pub opaque: bool,
    /// At least one manifest declaring dependencies was found.
    pub has_manifest: bool,
    /// Requirements files already read into these declarations (by source
    /// index): an include graph, cycles included, reads each file once.
    pub requirements_read: BTreeSet<usize>,
    /// Modules the project registers as plugins of another tool
    /// (`[project.entry-points."mkdocs.plugins"]`): module -> the host's
    /// normalised distribution name (`mkdocs`; `pytest11` is `pytest`).
    pub plugins: BTreeMap<String, String>,
}

/// The distribution that loads an entry-point group: its first dotted part,
/// without a trailing number (`mkdocs.plugins` -> `mkdocs`, `pytest11` ->
/// `pytest`, `flake8.extension` -> `flake8`). `console_scripts` and
/// `gui_scripts` are the installer's, not a host's.
pub fn plugin_host(group: &str) -> Option<String> {
    if matches!(group, "console_scripts" | "gui_scripts") {
        return None;
    }
    let first = group.split('.').next()?;
    let host = first.trim_end_matches(|c: char| c.is_ascii_digit());
    (!host.is_empty()).then(|| normalize(host))
}

/// A manifest or lockfile read during the run.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub path: PathBuf,
    pub source: String,
}

/// A manifest problem: file, byte offset, message.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Problem {
    pub file: usize,
    pub offset: usize,
    pub message: String,
}

/// Every manifest read, each once, and what was wrong with them.
#[derive(Debug, Default)]
pub struct Sources {
    pub files: Vec<SourceFile>,
    pub problems: Vec<Problem>,
    /// Files that exist but were not read (outside the project, not a
    /// regular file, too large), each once, with why.
    pub refused: Vec<(PathBuf, String)>,
    /// Nothing outside it is read; `None` only in unit tests of the parsers.
    pub boundary: Option<crate::files::Boundary>,
    /// The tree files are read from: the work tree, or a base revision.
    pub reader: super::tree::Reader,
    /// Indexes that keep "each once" linear: path (as named, and resolved)
    /// -> index in `files`, the problems and refused paths already recorded.
    by_path: HashMap<PathBuf, usize>,
    seen_problems: HashSet<Problem>,
    seen_refused: HashSet<PathBuf>,
}

impl Sources {
    /// Sources confined to the project's boundary.
    pub fn confined(boundary: &crate::files::Boundary) -> Sources {
        Sources {
            boundary: Some(boundary.clone()),
            ..Sources::default()
        }
    }

    /// Sources confined to the boundary, read from `reader`.
    pub fn reading(boundary: &crate::files::Boundary, reader: super::tree::Reader) -> Sources {
        Sources {
            boundary: Some(boundary.clone()),
            reader,
            ..Sources::default()
        }
    }

    /// Read a file once; `None` when it does not exist or was refused (the
    /// refusal is recorded in `refused`, once per path).
    pub fn load(&mut self, path: &Path) -> Option<usize> {
        match self.try_load(path) {
            Ok(i) => Some(i),
            Err(crate::files::ReadError::Missing) => None,
            Err(e) => {
                self.refuse(path, &e);
                None
            }
        }
    }

    /// Record that an existing file was not read, once per path.
    pub fn refuse(&mut self, path: &Path, why: &crate::files::ReadError) {
        let path = crate::paths::absolutize(path, &std::env::current_dir().unwrap_or_default());
        if self.seen_refused.insert(path.clone()) {
            self.refused.push((path, why.to_string()));
        }
    }

    /// Like [`Sources::load`], with the reason when nothing was read (not
    /// recorded: the caller reports it where the file was named).
    pub fn try_load(&mut self, path: &Path) -> Result<usize, crate::files::ReadError> {
        let path = &crate::paths::absolutize(path, &std::env::current_dir().unwrap_or_default());
        if let Some(&i) = self.by_path.get(path) {
            return Ok(i);
        }
        // The same file by another name (a link, a directory linked to
        // itself): one file, read once, or `-r a/x.txt` with `a -> .` would
        // spell a new path at each level of an include graph.
        let real = self.reader.canonical(path);
        if let Some(&i) = real.as_ref().and_then(|r| self.by_path.get(r)) {
            self.by_path.insert(path.to_path_buf(), i);
            return Ok(i);
        }
        let cap = crate::files::MANIFEST_CAP;
        let bytes = self.reader.read(path, cap, self.boundary.as_ref())?;
        let mut source = crate::files::lossy_text(bytes);
        if source.starts_with('\u{feff}') {
            // Keep offsets stable for the reporters: replace, do not strip.
            source.replace_range(0..3, "   ");
        }
        self.files.push(SourceFile {
            path: path.to_path_buf(),
            source,
        });
        self.by_path
            .insert(path.to_path_buf(), self.files.len() - 1);
        Ok(self.files.len() - 1)
    }

    pub fn problem(&mut self, file: usize, offset: usize, message: impl Into<String>) {
        let p = Problem {
            file,
            offset,
            message: message.into(),
        };
        if self.seen_problems.insert(p.clone()) {
            self.problems.push(p);
        }
    }
}
