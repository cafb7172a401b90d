//! The result cache: per-file results and facts of earlier runs, so a run
//! over files that did not change parses nothing.
//!
//! Layout (`.fortress_cache/` in the project root unless `cache-dir`,
//! `FORTRESS_CACHE_DIR` or `--no-cache` say otherwise):
//!
//! ```text
//! .fortress_cache/
//!   CACHEDIR.TAG            marks a cache for backup tools; `fortress clean` checks it
//!   .gitignore              `*`: the directory ignores itself
//!   v0.1.0-<build>/         this build's packs; other builds' are pruned
//!     <settings+root>.pack  one project's entries for one set of settings
//! ```
//!
//! A pack is one file per (build, settings, project), read whole at the
//! start of a run and written whole at its end, only when something changed,
//! through a temporary file renamed over the old one: two runs at once both
//! read a complete pack and both succeed; the last rename wins, and what the
//! other learnt is recomputed next time. One file instead of one per source
//! file: a warm run on 1,800 files opens one file instead of 1,800, and a
//! cold run writes one. A pack that is truncated, corrupt (its checksum does
//! not match) or of another format is ignored and rewritten, never trusted.
//!
//! An entry ([`Entry`]) holds one file's result, serialised by the engine
//! (`value`), with what it was computed from: the content hash (the truth)
//! and the size and modification time (a fast first check, trusted only
//! when they match exactly; a fresh clone changes every mtime and falls
//! back to the hash). The stat is recorded only for files whose last change
//! is older than [`RACY`]: a file changed again within the same clock tick
//! would otherwise keep its stat and lose its change (git's "racy" case).

pub mod key;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{de::DeserializeOwned, Deserialize, Serialize};

/// The default cache directory's name, in the project root.
pub const DIR_NAME: &str = crate::config::CACHE_DIR;

pub const TAG_NAME: &str = "CACHEDIR.TAG";

/// <https://bford.info/cachedir/>
pub const TAG: &str = "Signature: 8a477f597d28d172789f06886806bc55\n\
# This file is a cache directory tag created by fortress.\n\
# For information about cache directory tags, see https://bford.info/cachedir/\n";

const GITIGNORE: &str = "# Created by fortress: this directory is a cache.\n*\n";

const MAGIC: &[u8; 8] = b"FORTRESS";
/// The pack's own layout; entries of another build are never read anyway.
/// 2: the payload is (entries, the run's memo).
const FORMAT: u32 = 2;

/// A file changed less than this long ago may change again within the
/// same mtime tick: its stat is not recorded.
pub const RACY: Duration = Duration::from_secs(2);

/// Size and modification time of a file, the fast first check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stat {
    pub size: u64,
    pub secs: u64,
    pub nanos: u32,
}

impl Stat {
    pub fn of(meta: &std::fs::Metadata) -> Option<Stat> {
        let since = meta.modified().ok()?.duration_since(UNIX_EPOCH).ok()?;
        Some(Stat {
            size: meta.len(),
            secs: since.as_secs(),
            nanos: since.subsec_nanos(),
        })
    }

    /// The stat an entry may record: only for a file last changed at least
    /// [`RACY`] before `now`.
    pub fn settled(meta: &std::fs::Metadata, now: SystemTime) -> Option<Stat> {
        let age = now.duration_since(meta.modified().ok()?).ok()?;
        (age >= RACY).then(|| Stat::of(meta)).flatten()
    }
}

/// One file's cached result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub stat: Option<Stat>,
    /// [`key::content`] of the bytes the result was computed from.
    #[serde(with = "serde_bytes")]
    pub content: [u8; 32],
    /// [`key::file_context`]: path, test code, library versions.
    #[serde(with = "serde_bytes")]
    pub context: [u8; 16],
    /// The result, as the engine serialised it ([`encode`]).
    #[serde(with = "serde_bytes")]
    pub value: Vec<u8>,
}

/// A value in the cache's compact binary form (postcard).
pub fn encode<T: Serialize + ?Sized>(value: &T) -> Option<Vec<u8>> {
    postcard::to_stdvec(value).ok()
}

/// The value back, or `None` when the bytes are not exactly one `T`.
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Option<T> {
    match postcard::take_from_bytes(bytes) {
        Ok((value, [])) => Some(value),
        _ => None,
    }
}

/// A value at the start of `bytes`, and the bytes after it.
pub fn decode_prefix<T: DeserializeOwned>(bytes: &[u8]) -> Option<(T, &[u8])> {
    postcard::take_from_bytes(bytes).ok()
}

/// The entries of one pack, for one run.
#[derive(Debug)]
pub struct Store {
    dir: PathBuf,
    pack: PathBuf,
    entries: HashMap<String, Entry>,
    /// What the last run that saw every file made of them all, serialised
    /// by the engine (its project pass and final findings): a run whose
    /// inputs are those of that run replays it instead of recomputing.
    memo: Option<Vec<u8>>,
    /// Why the pack on disk was not used (it is rewritten).
    pub problem: Option<String>,
    /// Entries read from the pack.
    pub loaded: usize,
}

impl Store {
    /// The pack `pack_name` of this build in the cache directory `dir`.
    /// Never fails: an unreadable pack is an empty one.
    pub fn open(dir: &Path, pack_name: &str) -> Store {
        let pack = dir.join(key::version_dir()).join(pack_name);
        let mut store = Store {
            dir: dir.to_path_buf(),
            pack,
            entries: HashMap::new(),
            memo: None,
            problem: None,
            loaded: 0,
        };
        match std::fs::read(&store.pack) {
            Ok(bytes) => match parse(&bytes) {
                Ok((entries, memo)) => {
                    store.loaded = entries.len();
                    store.entries = entries.into_iter().collect();
                    store.memo = memo;
                }
                Err(why) => store.problem = Some(format!("{}: {why}", store.pack.display())),
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => store.problem = Some(format!("{}: {e}", store.pack.display())),
        }
        store
    }

    /// The entry recorded for `name`, left in the store.
    pub fn get(&self, name: &str) -> Option<&Entry> {
        self.entries.get(name)
    }

    /// The memo the pack holds (see [`Store::save`]).
    pub fn memo(&self) -> Option<&[u8]> {
        self.memo.as_deref()
    }

    /// The entry recorded for `name`, taken out of the store.
    pub fn take(&mut self, name: &str) -> Option<Entry> {
        self.entries.remove(name)
    }

    pub fn pack_path(&self) -> &Path {
        &self.pack
    }

    /// Writes the pack when anything changed: `seen` holds this run's
    /// entry for each file it checked (`None`: nothing to keep for it), in
    /// place of the recorded ones; `changed` says whether any of them
    /// differs from what was read. Entries of files the run did not check
    /// are kept while `exists(name)` holds. `memo` replaces the pack's
    /// memo (`None` drops it). Returns the pack written, if any.
    pub fn save(
        mut self,
        seen: Vec<(String, Option<Entry>)>,
        changed: bool,
        exists: impl Fn(&str) -> bool,
        memo: Option<Vec<u8>>,
    ) -> Result<Option<PathBuf>, String> {
        let before = self.entries.len();
        self.entries.retain(|name, _| exists(name));
        let pruned = self.entries.len() != before;
        let new_memo = memo != self.memo;
        if !changed && !pruned && !new_memo && self.problem.is_none() {
            return Ok(None);
        }
        for (name, entry) in seen {
            match entry {
                Some(entry) => self.entries.insert(name, entry),
                None => self.entries.remove(&name),
            };
        }
        let mut entries: Vec<(&String, &Entry)> = self.entries.iter().collect();
        entries.sort_by(|a, b| a.0.cmp(b.0));
        let payload = encode(&(entries, memo.as_deref().map(serde_bytes::Bytes::new)))
            .ok_or("cannot serialise the cache entries")?;
        let mut bytes = Vec::with_capacity(payload.len() + 44);
        bytes.extend_from_slice(MAGIC);
        bytes.extend_from_slice(&FORMAT.to_le_bytes());
        bytes.extend_from_slice(blake3::hash(&payload).as_bytes());
        bytes.extend_from_slice(&payload);
        prepare(&self.dir)?;
        let version_dir = self.dir.join(key::version_dir());
        std::fs::create_dir_all(&version_dir)
            .map_err(|e| format!("cannot create {}: {e}", version_dir.display()))?;
        crate::files::write_atomic(&self.pack, &bytes)
            .map_err(|e| format!("cannot write {}: {e}", self.pack.display()))?;
        Ok(Some(self.pack))
    }
}

/// Whether git tracks any file in `dir`: a cache that came with the
/// checked tree (committed, `git add -f`) could say anything about it, so
/// it is never read nor written. Outside a repository, or where git cannot
/// run, nothing is tracked.
pub fn is_tracked(dir: &Path) -> bool {
    if !dir.is_dir() || crate::files::repository_root(dir).is_none() {
        return false;
    }
    std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args([
            "-c",
            "core.fsmonitor=false",
            "ls-files",
            "-z",
            "--cached",
            "--",
            ".",
        ])
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output()
        .is_ok_and(|out| out.status.success() && !out.stdout.is_empty())
}

/// What a pack holds: its entries, and the memo.
type Pack = (Vec<(String, Entry)>, Option<serde_bytes::ByteBuf>);

/// A pack read back: its entries, and the memo's bytes.
type Parsed = (Vec<(String, Entry)>, Option<Vec<u8>>);

/// The entries and the memo of a pack file's bytes.
fn parse(bytes: &[u8]) -> Result<Parsed, &'static str> {
    let header = MAGIC.len() + 4 + 32;
    if bytes.len() < header || &bytes[..MAGIC.len()] != MAGIC {
        return Err("not a fortress cache pack; ignored");
    }
    let format = u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]);
    if format != FORMAT {
        return Err("a pack of another format; ignored");
    }
    let payload = &bytes[header..];
    if blake3::hash(payload).as_bytes() != &bytes[12..header] {
        return Err("truncated or corrupt (checksum mismatch); ignored");
    }
    let (entries, memo): Pack = decode(payload).ok_or("corrupt (cannot be read back); ignored")?;
    Ok((entries, memo.map(serde_bytes::ByteBuf::into_vec)))
}

/// Creates the cache directory with its tag and `.gitignore`, and removes
/// other builds' entries. A directory that exists, holds anything and has
/// no tag is not ours: nothing is written into it.
fn prepare(dir: &Path) -> Result<(), String> {
    let tag = dir.join(TAG_NAME);
    if !tag.is_file() {
        // Another fortress may be creating it right now: what it writes
        // first (its temporary files, a build directory) is not foreign.
        let foreign = std::fs::read_dir(dir).is_ok_and(|mut d| {
            d.any(|e| {
                e.map_or(true, |e| {
                    let name = e.file_name();
                    let name = name.to_string_lossy();
                    !(name == ".gitignore"
                        || (name.starts_with('v') && name.contains('-'))
                        || (name.starts_with('.') && name.ends_with(".tmp")))
                })
            })
        });
        if foreign {
            return Err(format!(
                "{} exists and is not a fortress cache (it has no {TAG_NAME}); not writing into it",
                dir.display()
            ));
        }
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        crate::files::write_atomic(&tag, TAG.as_bytes())
            .map_err(|e| format!("cannot write {}: {e}", tag.display()))?;
    }
    let ignore = dir.join(".gitignore");
    if !ignore.is_file() {
        crate::files::write_atomic(&ignore, GITIGNORE.as_bytes())
            .map_err(|e| format!("cannot write {}: {e}", ignore.display()))?;
    }
    let ours = key::version_dir();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            // Only what this scheme names (`v<version>-<build>`) is removed.
            let other_build = name.starts_with('v') && name.contains('-') && name != ours;
            if other_build && entry.file_type().is_ok_and(|t| t.is_dir()) {
                // Another process of that build may be writing: best effort.
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
    }
    Ok(())
}

/// Whether `dir` is a cache fortress made (its tag is fortress's).
pub fn is_ours(dir: &Path) -> bool {
    std::fs::read_to_string(dir.join(TAG_NAME)).is_ok_and(|t| t == TAG)
}

/// `fortress clean`: removes the cache directory `dir` if it is ours.
/// `Ok(false)`: there was none.
pub fn clean(dir: &Path) -> Result<bool, String> {
    match std::fs::symlink_metadata(dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(format!("cannot read {}: {e}", dir.display())),
        Ok(meta) if !meta.is_dir() => {
            return Err(format!("{} is not a directory; not removed", dir.display()))
        }
        Ok(_) => {}
    }
    if !is_ours(dir) {
        return Err(format!(
            "{} has no fortress {TAG_NAME}: it is not a fortress cache; not removed",
            dir.display()
        ));
    }
    std::fs::remove_dir_all(dir).map_err(|e| format!("cannot remove {}: {e}", dir.display()))?;
    Ok(true)
}

#[cfg(test)]
mod tests;
