//! One file's share of a run through the result cache ([`crate::cache`]):
//! an entry whose stat, else whose content hash, matches gives back the
//! file's outcome without reading (stat) or parsing (hash) the file; any
//! other file is checked as without a cache and its outcome recorded.
//!
//! What is recorded is everything of the outcome that does not depend on
//! other files: the file's diagnostics (with their fixes), its parsed
//! suppressions (not SUP004: whether a suppression is used depends on the
//! project findings too, so suppressions are applied again every run), its
//! facts for the project rules and deferred questions, and its problem.
//! Project rules, deferred answers, suppressions, report rules and any
//! baseline or `--since` filtering all run again on every run.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use super::*;
use crate::cache::{self, key, Entry, Stat, Store};

/// What a file without facts (unreadable, unparsable) records.
static EMPTY_FACTS: std::sync::LazyLock<FileFacts> = std::sync::LazyLock::new(FileFacts::default);

#[derive(Deserialize)]
struct Record {
    diagnostics: Vec<Diagnostic>,
    suppressions: FileSuppressions,
    facts: FileFacts,
    problem: Option<String>,
    /// The length of the file's decoded text.
    text_len: usize,
}

/// [`Record`] by reference, to serialise an outcome without copying it
/// (the same fields in the same order: the same bytes).
#[derive(Serialize)]
struct RecordRef<'a> {
    diagnostics: &'a [Diagnostic],
    suppressions: &'a FileSuppressions,
    facts: &'a FileFacts,
    problem: &'a Option<String>,
    text_len: usize,
}

/// A file's recorded entry, taken out of the cache before the checks: (its
/// name, the entry).
pub(super) type Slot = (String, Option<Entry>);

/// What the check of a file left for the cache: (name, entry to keep, how
/// the outcome was obtained).
pub(super) type Seen = (String, Option<Entry>, Served);

/// How a file's outcome was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Served {
    /// The entry's size and mtime matched: the file was not read to be checked.
    Stat,
    /// The content hash matched (a fresh clone, a touched file): read, not
    /// parsed; `true` when the entry's stat changed.
    Hash(bool),
    /// Checked: no entry, or it was for other bytes or another context.
    Checked(Miss),
    /// Not readable: checked as without a cache, nothing recorded.
    Unreadable,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Miss {
    New,
    Changed,
    /// Same bytes, but its path, test-code status or library versions differ.
    Context,
}

/// The cache of one run.
pub(super) struct RunCache {
    store: Store,
    root: PathBuf,
    /// The run's start: stats of files changed since are not recorded.
    now: SystemTime,
    stats: bool,
    served: [AtomicUsize; 4],
}

impl RunCache {
    pub(super) fn open(settings: &Settings, facts: crate::project::FactSet) -> Option<RunCache> {
        let dir = settings.cache_dir.as_ref()?;
        if cache::is_tracked(dir) {
            eprintln!(
                "fortress: warning: cache: git tracks files in {}: a cache that comes with the checked tree is not used",
                dir.display()
            );
            return None;
        }
        register_names();
        Some(RunCache {
            store: Store::open(dir, &key::pack_name(settings, facts.bits())),
            root: settings.project().root.clone(),
            now: SystemTime::now(),
            stats: settings.cache_stats,
            served: Default::default(),
        })
    }

    /// The name of `info`'s entry: its path in the project (else its
    /// absolute path).
    pub(super) fn name(&self, info: &FileInfo) -> String {
        crate::paths::relative_to(&info.path, &self.root)
            .unwrap_or_else(|| crate::paths::slash(&info.path))
    }

    pub(super) fn take(&mut self, name: &str) -> Option<Entry> {
        self.store.take(name)
    }

    /// The memo of the last run that recorded one ([`super::memo`]).
    pub(super) fn memo(&self) -> Option<&[u8]> {
        self.store.memo()
    }

    /// `info`'s key for the memo when its entry's stat still matches (the
    /// file is unchanged, unread), for the same context (`libraries`: the
    /// profile's [`crate::project::profile::Profile::file_key`] of the file).
    pub(super) fn unchanged(
        &self,
        info: &FileInfo,
        libraries: &str,
    ) -> Option<super::memo::FileKey> {
        let entry = self.store.get(&self.name(info))?;
        let context = key::file_context(&info.rel, info.is_test, libraries);
        let meta = std::fs::metadata(&info.path).ok()?;
        (entry.context == context && entry.stat.is_some() && entry.stat == Stat::of(&meta))
            .then_some((entry.content, entry.context))
    }

    /// Says (with `FORTRESS_CACHE_STATS`) that the memo answered for `files` files.
    pub(super) fn replayed(&self, files: usize) {
        if self.stats {
            eprintln!(
                "fortress: cache: {files} hits ({files} unchanged, 0 same content), 0 checked, 0 unreadable; the last run replayed; {} unchanged",
                self.store.pack_path().display()
            );
        }
    }

    /// Read (if need be), check (if need be) and record one file.
    pub(super) fn check(
        &self,
        info: &FileInfo,
        plan: &Plan<'_>,
        recorded: Option<Entry>,
    ) -> (FileOutcome, Option<Entry>, Served) {
        let (outcome, entry, served) = self.lookup(info, plan, recorded);
        let slot = match served {
            Served::Stat => 0,
            Served::Hash(_) => 1,
            Served::Checked(_) => 2,
            Served::Unreadable => 3,
        };
        self.served[slot].fetch_add(1, Ordering::Relaxed);
        (outcome, entry, served)
    }

    fn lookup(
        &self,
        info: &FileInfo,
        plan: &Plan<'_>,
        recorded: Option<Entry>,
    ) -> (FileOutcome, Option<Entry>, Served) {
        let context = key::file_context(&info.rel, info.is_test, plan.profile.file_key(&info.path));
        let meta = std::fs::metadata(&info.path).ok();
        let (recorded, miss) = match recorded {
            Some(entry) if entry.context == context => (Some(entry), Miss::Changed),
            Some(_) => (None, Miss::Context),
            None => (None, Miss::New),
        };
        if let (Some(entry), Some(meta)) = (&recorded, &meta) {
            if entry.stat.is_some() && entry.stat == Stat::of(meta) {
                if let Some(outcome) = restore(&entry.value, info, plan, None) {
                    return (outcome, recorded, Served::Stat);
                }
            }
        }
        let bytes = match crate::files::read_bounded(&info.path, plan.settings.max_file_size) {
            Ok(bytes) => bytes,
            Err(why) => {
                return (
                    check::read_failed(info, plan, why),
                    None,
                    Served::Unreadable,
                )
            }
        };
        let content = key::content(&bytes);
        let stat = meta.as_ref().and_then(|m| Stat::settled(m, self.now));
        if let Some(mut entry) = recorded {
            if entry.content == content {
                if let Some(outcome) = restore(&entry.value, info, plan, Some(&bytes)) {
                    let restat = entry.stat != stat;
                    entry.stat = stat;
                    return (outcome, Some(entry), Served::Hash(restat));
                }
            }
        }
        let outcome = check_bytes(&bytes, info, plan);
        let record = RecordRef {
            diagnostics: &outcome.diagnostics,
            suppressions: &outcome.suppressions,
            facts: outcome.facts.as_deref().unwrap_or(&EMPTY_FACTS),
            problem: &outcome.problem,
            text_len: outcome.source.len(),
        };
        let entry = cache::encode(&record).map(|value| Entry {
            stat,
            content,
            context,
            value,
        });
        (outcome, entry, Served::Checked(miss))
    }

    /// Writes what this run learnt (`seen`: each checked file's entry;
    /// `memo`: the run's memo, `Some(None)` to drop the pack's, `None` to keep it).
    pub(super) fn save(self, seen: Vec<Seen>, memo: Option<Option<Vec<u8>>>) {
        let changed = seen
            .iter()
            .any(|(_, _, served)| !matches!(served, Served::Stat | Served::Hash(false)));
        if self.stats {
            let mut checked: Vec<(&str, Miss)> = seen
                .iter()
                .filter_map(|(name, _, served)| match served {
                    Served::Checked(why) => Some((name.as_str(), *why)),
                    _ => None,
                })
                .collect();
            checked.sort_unstable();
            for (name, why) in checked {
                let why = match why {
                    Miss::New => "not in the cache",
                    Miss::Changed => "changed",
                    Miss::Context => "its settings or library versions changed",
                };
                eprintln!("fortress: cache: checked {name} ({why})");
            }
        }
        let root = self.root.clone();
        let entries = seen.into_iter().map(|(name, e, _)| (name, e)).collect();
        let problem = self.store.problem.clone();
        let pack = self.store.pack_path().to_path_buf();
        let memo = memo.unwrap_or_else(|| self.store.memo().map(<[u8]>::to_vec));
        let saved = self
            .store
            .save(entries, changed, |name| root.join(name).is_file(), memo);
        if self.stats {
            let [stat, hash, checked, unreadable] =
                self.served.each_ref().map(|n| n.load(Ordering::Relaxed));
            if let Some(problem) = &problem {
                eprintln!("fortress: cache: {problem}");
            }
            eprintln!(
                "fortress: cache: {} hits ({stat} unchanged, {hash} same content), {checked} checked, {unreadable} unreadable; {}",
                stat + hash,
                match &saved {
                    Ok(Some(path)) => format!("wrote {}", path.display()),
                    Ok(None) => format!("{} unchanged", pack.display()),
                    Err(_) => "not written".to_owned(),
                }
            );
        }
        if let Err(why) = saved {
            eprintln!("fortress: warning: cache: {why}");
        }
    }
}

/// The static strings a record names: rule codes and names, route methods.
fn register_names() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let registry = rules::registry();
        crate::diagnostic::interned::register(
            registry
                .iter()
                .flat_map(|r| [r.meta.code, r.meta.name])
                .chain(crate::python::fastapi::ROUTE_METHODS.iter().copied()),
        );
    });
}

/// The outcome an entry recorded, with the file's text when a finding or
/// a suppression needs it (from `bytes`, else read again). `None`: the
/// record does not read back, or does not fit the text.
fn restore(
    value: &[u8],
    info: &FileInfo,
    plan: &Plan<'_>,
    bytes: Option<&[u8]>,
) -> Option<FileOutcome> {
    let record: Record = cache::decode(value)?;
    let mut outcome = FileOutcome {
        diagnostics: record.diagnostics,
        suppressions: record.suppressions,
        facts: Some(Box::new(record.facts)),
        problem: record.problem,
        enabled: plan.enabled_for(&info.rel),
        ..FileOutcome::default()
    };
    let within = |len: usize| {
        let fits = |span: &std::ops::Range<usize>| span.start <= span.end && span.end <= len;
        outcome.diagnostics.iter().all(|d| {
            fits(&d.span)
                && d.fix
                    .as_ref()
                    .is_none_or(|f| f.edits.iter().all(|e| fits(&e.range)))
        }) && outcome.suppressions.items.iter().all(|s| fits(&s.span))
    };
    if !within(record.text_len) {
        return None;
    }
    if !super::needs_text(&outcome.suppressions) {
        // The text is read again only if a report asks for it.
        outcome.text_released = true;
        outcome.text_len = record.text_len;
        return Some(outcome);
    }
    let source = match bytes {
        Some(bytes) => crate::source::decode(bytes).unwrap_or_else(|err| err.display),
        None => reload_text(info, plan.settings.max_file_size),
    };
    if source.len() != record.text_len {
        return None;
    }
    outcome.lines = LineIndex::new(&source);
    outcome.source = source;
    Some(outcome)
}
