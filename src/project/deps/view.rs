//! What the files of one scope see, indexed once: declarations by name,
//! through extras, by naming convention, and the lock and environment
//! closures, plus the suggestions for mistyped imports.

use std::cell::{OnceCell, RefCell};
use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::LazyLock;

use super::manifest::{Declared, LockGraph};
use super::names::{self, normalize};
use super::reach::Reach;
use super::{tables, venv, Model};

/// Import-side facts about one module, computed once per distinct module.
pub(super) struct Candidates {
    /// Distributions that may provide the module: table, identity, conventions, config.
    pub(super) dists: Vec<String>,
    /// A well-known distribution (table, 15,000 most downloaded) providing it.
    pub(super) known: Option<String>,
    /// A distribution of that name exists on PyPI, but is not well known.
    pub(super) exists: Option<String>,
}

/// Which declarations (by position in [`View::declared`]) match something:
/// the first one, and whether any is not a development dependency.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Hits {
    pub(super) first: Option<u32>,
    pub(super) not_dev: bool,
}

impl Hits {
    pub(super) fn add(&mut self, position: u32, d: &Declared) {
        self.first = Some(self.first.map_or(position, |f| f.min(position)));
        self.not_dev |= !d.group.is_dev();
    }

    pub(super) fn merge(&mut self, other: Option<&Hits>) {
        if let Some(o) = other {
            if let Some(f) = o.first {
                self.first = Some(self.first.map_or(f, |s| s.min(f)));
            }
            self.not_dev |= o.not_dev;
        }
    }
}

/// Declarations named after an import plus a word (`amplitude-analytics`
/// for `amplitude`, `openai-whisper` for `whisper`): weaker than the
/// tables, used only when nothing else matches.
#[derive(Debug, Default)]
pub(super) struct Fuzzy<'m> {
    /// Among the declarations that are not the project itself.
    pub(super) hits: Hits,
    /// Every such name, the project's own included; handed out once.
    pub(super) names: Vec<&'m str>,
}

/// What files of one scope see — the declarations of the scope and of the
/// scopes above it, nearest first — indexed once, so that resolving an
/// import costs a few lookups instead of a scan of every declaration (and
/// a transitive closure per declaration).
#[derive(Default)]
pub(super) struct View<'m> {
    pub(super) declared: Vec<&'m Declared>,
    /// Positions in `declared` of the declarations that are not dev ones.
    pub(super) runtime: Vec<u32>,
    /// Normalised names of the project's own distributions along the chain.
    pub(super) own: BTreeSet<String>,
    /// Every declared name.
    pub(super) names: HashSet<&'m str>,
    /// Declarations that are not the project itself, by name.
    pub(super) by_name: HashMap<&'m str, Hits>,
    /// ... by a name they provide through their extras.
    pub(super) via_extras: HashMap<String, Hits>,
    /// Declared names sorted, and reversed then sorted: the declarations
    /// named `n-...` or `...-n` are a range of each.
    pub(super) sorted: Vec<(&'m str, u32)>,
    pub(super) reversed: Vec<(String, u32)>,
    pub(super) locks: Vec<&'m LockGraph>,
    pub(super) env: Option<&'m venv::Environment>,
    /// Per lock: which runtime declaration, and which declaration, first
    /// pulls each locked distribution in (built on first use).
    pub(super) lock_reach: Vec<OnceCell<[Reach<'m>; 2]>>,
    pub(super) env_reach: OnceCell<[Reach<'m>; 2]>,
    pub(super) fuzzy: RefCell<HashMap<String, Fuzzy<'m>>>,
    pub(super) suggestions: OnceCell<names::Suggestions>,
}

impl<'m> View<'m> {
    pub(super) fn new(model: &'m Model, scope: usize) -> View<'m> {
        let chain = model.chain(scope);
        let mut v = View {
            declared: chain
                .iter()
                .flat_map(|&i| model.scopes[i].decl.declared.iter())
                .collect(),
            own: chain
                .iter()
                .flat_map(|&i| model.scopes[i].decl.own_names.iter().cloned())
                .collect(),
            locks: chain
                .iter()
                .map(|&i| &model.scopes[i].decl.locked)
                .filter(|l| !l.is_empty())
                .collect(),
            env: chain.iter().find_map(|&i| model.scopes[i].env.as_deref()),
            ..View::default()
        };
        v.lock_reach = v.locks.iter().map(|_| OnceCell::new()).collect();
        for (pos, d) in v.declared.iter().enumerate() {
            let pos = pos as u32;
            v.names.insert(&d.name);
            v.sorted.push((&d.name, pos));
            v.reversed.push((d.name.chars().rev().collect(), pos));
            if !d.group.is_dev() {
                v.runtime.push(pos);
            }
            if v.own.contains(&d.name) {
                continue;
            }
            v.by_name.entry(&d.name).or_default().add(pos, d);
            if d.extras.is_empty() {
                continue;
            }
            let mut via: BTreeSet<String> = d.extras.iter().cloned().collect();
            via.extend(
                tables::extra_dists(&d.name, &d.extras)
                    .into_iter()
                    .map(str::to_owned),
            );
            for lock in &v.locks {
                via.extend(lock.extra_deps(&d.name, &d.extras));
            }
            for name in via {
                v.via_extras.entry(name).or_default().add(pos, d);
            }
        }
        v.sorted.sort_unstable();
        v.reversed.sort_unstable();
        v
    }

    pub(super) fn runtime(&self) -> impl Iterator<Item = &'m Declared> + '_ {
        self.runtime.iter().map(|&p| self.declared[p as usize])
    }

    /// First (runtime, any) declaration whose lock closure holds `dist`.
    pub(super) fn locked_via(
        &self,
        lock: usize,
        dist: &str,
    ) -> (Option<&'m Declared>, Option<&'m Declared>) {
        let graph = self.locks[lock];
        let [runtime, all] = self.lock_reach[lock].get_or_init(|| {
            let build = |decls: Vec<&'m Declared>| {
                Reach::new(
                    decls
                        .into_iter()
                        .map(|d| (d.name.as_str(), graph.first_hop(&d.name, &d.extras))),
                    |n| graph.deps_of(n),
                )
            };
            [
                build(self.runtime().collect()),
                build(self.declared.clone()),
            ]
        });
        // A distribution is not in its own closure.
        (
            runtime
                .first_not_named(dist, dist)
                .map(|i| self.declared[self.runtime[i] as usize]),
            all.first_not_named(dist, dist).map(|i| self.declared[i]),
        )
    }

    /// First (runtime, any) declaration whose installed requirements pull `dist` in.
    pub(super) fn installed_via(
        &self,
        env: &'m venv::Environment,
        dist: &str,
    ) -> (Option<&'m Declared>, Option<&'m Declared>) {
        let [runtime, all] = self.env_reach.get_or_init(|| {
            let requires = |n: &str| {
                env.requires
                    .get(n)
                    .into_iter()
                    .flat_map(|r| r.iter().map(String::as_str))
            };
            let build = |decls: Vec<&'m Declared>| {
                Reach::new(
                    decls
                        .into_iter()
                        .map(|d| (d.name.as_str(), requires(&d.name))),
                    requires,
                )
            };
            [
                build(self.runtime().collect()),
                build(self.declared.clone()),
            ]
        });
        (
            runtime
                .first(dist)
                .map(|i| self.declared[self.runtime[i] as usize]),
            all.first(dist).map(|i| self.declared[i]),
        )
    }

    /// Does a declared distribution expose one of `providers` as its own
    /// API: listed in the table of re-exports, or a direct dependency
    /// (lockfile or virtualenv) named after it (`langchain` -> `langchain-core`)?
    pub(super) fn reexported(&self, providers: &[String]) -> bool {
        self.declared
            .iter()
            .filter(|d| !self.own.contains(&d.name))
            .any(|d| {
                let prefix = format!("{}-", d.name);
                let direct = |p: &str| {
                    self.locks
                        .iter()
                        .any(|l| l.first_hop(&d.name, &d.extras).any(|h| h == p))
                        || self.env.is_some_and(|e| {
                            e.requires
                                .get(&d.name)
                                .is_some_and(|r| r.iter().any(|h| h == p))
                        })
                };
                providers.iter().any(|p| {
                    tables::reexports(&d.name).contains(&p.as_str())
                        || (p.starts_with(&prefix) && direct(p))
                })
            })
    }

    /// Declarations named `n-...` or `...-n` for the normalised import `n`.
    pub(super) fn with_fuzzy<T>(&self, n: &str, f: impl FnOnce(&mut Fuzzy<'m>) -> T) -> T {
        let mut cache = self.fuzzy.borrow_mut();
        let entry = cache.entry(n.to_owned()).or_insert_with(|| {
            let mut positions: Vec<u32> = Vec::new();
            let prefix = format!("{n}-");
            let from = self.sorted.partition_point(|(s, _)| *s < prefix.as_str());
            positions.extend(
                self.sorted[from..]
                    .iter()
                    .take_while(|(s, _)| s.starts_with(&prefix))
                    .map(|(_, p)| *p),
            );
            let suffix: String = format!("-{n}").chars().rev().collect();
            let from = self.reversed.partition_point(|(s, _)| *s < suffix);
            positions.extend(
                self.reversed[from..]
                    .iter()
                    .take_while(|(s, _)| s.starts_with(&suffix))
                    .map(|(_, p)| *p),
            );
            positions.sort_unstable();
            positions.dedup();
            let mut fuzzy = Fuzzy::default();
            let mut seen: HashSet<&str> = HashSet::new();
            for p in positions {
                let d = self.declared[p as usize];
                if !self.own.contains(&d.name) {
                    fuzzy.hits.add(p, d);
                }
                if seen.insert(&d.name) {
                    fuzzy.names.push(&d.name);
                }
            }
            fuzzy
        });
        f(entry)
    }

    /// Names to suggest from the declarations, in the order they are considered.
    pub(super) fn suggestions(&self) -> &names::Suggestions {
        self.suggestions.get_or_init(|| {
            let mut s = names::Suggestions::default();
            let mut rank = 0u64;
            for d in &self.declared {
                let imports = tables::table_imports(&d.name);
                if imports.is_empty() {
                    s.insert(d.name.replace('-', "_"), rank);
                    rank += 1;
                }
                for i in imports {
                    s.insert(i.split('.').next().unwrap_or(i).to_owned(), rank);
                    rank += 1;
                }
            }
            s
        })
    }
}

/// The import names of the table, then the most downloaded distributions,
/// as suggestions (built once, on the first mistyped import).
pub(super) static TABLE_SUGGESTIONS: LazyLock<names::Suggestions> = LazyLock::new(|| {
    let mut s = names::Suggestions::default();
    for (rank, i) in tables::table_import_names().enumerate() {
        s.insert(i.split('.').next().unwrap_or(i).to_owned(), rank as u64);
    }
    s
});
pub(super) static TOP_SUGGESTIONS: LazyLock<names::Suggestions> = LazyLock::new(|| {
    let mut s = names::Suggestions::default();
    for (rank, d) in tables::top_dists().take(5000).enumerate() {
        s.insert(d.replace('-', "_"), rank as u64);
    }
    s
});

/// The closest declared or well-known import name to a mistyped `top`:
/// the fewest edits, then declared names (in order), then the table's
/// import names, then the most downloaded distributions.
pub(super) fn suggest(view: &View<'_>, top: &str) -> Option<String> {
    let wanted = top.to_ascii_lowercase().replace('-', "_");
    let limit = match wanted.chars().count() {
        0..=3 => return None,
        4..=6 => 1,
        _ => 2,
    };
    let declared = view
        .suggestions()
        .closest(&wanted, limit)
        .map(|(d, rank, name)| ((d, 0, rank), name));
    let table = TABLE_SUGGESTIONS
        .closest(&wanted, limit)
        .map(|(d, rank, name)| ((d, 1, rank), name));
    let top_dists = TOP_SUGGESTIONS
        .closest(&wanted, limit)
        .map(|(d, rank, name)| ((d, 2 + rank, 0), name));
    [declared, table, top_dists]
        .into_iter()
        .flatten()
        .min_by_key(|(key, _)| *key)
        .map(|(_, name)| name.to_owned())
}

/// For naming-convention matches: the normalised top-level name of an
/// import, unless it is too short to say anything or a namespace package.
pub(super) fn fuzzy_key(module: &str) -> Option<String> {
    let mut parts = module.split('.');
    let top = parts.next().unwrap_or(module);
    if tables::namespace_depth(top, parts.next()) > 1 {
        return None;
    }
    let n = normalize(top);
    (n.len() >= 3).then_some(n)
}

/// A declared distribution named after the import plus a word
/// (`amplitude-analytics` for `amplitude`, `openai-whisper` for `whisper`):
/// weaker than the tables, used only when nothing else matches. What
/// [`View`] finds by range lookups, stated for one pair.
#[cfg(test)]
pub(super) fn fuzzy_match(module: &str, dist: &str) -> bool {
    fuzzy_key(module)
        .is_some_and(|n| dist.starts_with(&format!("{n}-")) || dist.ends_with(&format!("-{n}")))
}
