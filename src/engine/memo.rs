//! The run's memo in the result cache: what the last run that saw every
//! file made of them all (its project findings, suppressions applied,
//! SUP004, the final order), so that a run with nothing changed neither
//! decodes a single file's record nor runs the project pass again.
//!
//! A memo holds only while every input of that part of the run is what it
//! was: the key ([`run_key`]) covers the files in their order (paths as
//! shown and in the project, test code or not), each file's content hash
//! and context (which decide its recorded result), why unreadable files
//! were unreadable, the working directory, and a digest of the profile
//! (manifests, lockfiles, environment: all the project pass learns about
//! them). The settings and the build are in the pack's name already. What
//! the module map asked the disk (`__init__.py` here and there, a `src/`
//! layout) is kept as probes, asked again and compared. Replay is tried
//! only when every file's size and modification time match its entry: a
//! touched or changed file takes the ordinary path, which writes a new memo.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::*;
use crate::project::modules::Probe;

/// The memo's own layout (the pack's format covers the rest).
const FORMAT: u32 = 1;

/// One Python file's part of the key: its content hash and context.
pub(super) type FileKey = ([u8; 32], [u8; 16]);

/// Read first, to decide whether to read the rest.
#[derive(Serialize, Deserialize)]
struct Head {
    key: [u8; 32],
    probes: Vec<Probe>,
}

#[derive(Deserialize)]
struct Body {
    /// The decoded length of each Python file's text, in file order.
    text_lens: Vec<usize>,
    /// The other files project rules reported in, with their texts.
    others: Vec<(PathBuf, String)>,
    /// Problems the project pass met reading files: (path shown, message).
    problems: Vec<(String, String)>,
    diagnostics: Vec<Diagnostic>,
    file_problems: Vec<(usize, String)>,
    pending: Vec<(usize, FileSuppressions)>,
}

/// [`Body`] by reference (the same fields in the same order: the same bytes).
#[derive(Serialize)]
struct BodyRef<'a> {
    text_lens: &'a [usize],
    others: &'a [(&'a Path, &'a str)],
    problems: &'a [(&'a str, &'a str)],
    diagnostics: &'a [Diagnostic],
    file_problems: &'a [(usize, String)],
    pending: &'a [(usize, FileSuppressions)],
}

/// The key of a run over `files` (the readable Python files first, each
/// with its key in `keys`, then the unreadable ones, with why in `broken`).
pub(super) fn run_key(
    cwd: &Path,
    files: &[FileInfo],
    keys: &[FileKey],
    broken: &[String],
    profile: &[u8; 32],
) -> [u8; 32] {
    let mut hasher = blake3::Hasher::new();
    let mut put = |bytes: &[u8]| {
        hasher.update(&(bytes.len() as u64).to_le_bytes());
        hasher.update(bytes);
    };
    put(&FORMAT.to_le_bytes());
    put(cwd.as_os_str().as_encoded_bytes());
    put(profile);
    for (i, file) in files.iter().enumerate() {
        put(file.path.as_os_str().as_encoded_bytes());
        put(file.display.as_bytes());
        put(file.rel.as_bytes());
        put(&[u8::from(file.is_test)]);
        match keys.get(i) {
            Some((content, context)) => {
                put(content);
                put(context);
            }
            None => put(broken.get(i - keys.len()).map_or(&[][..], |b| b.as_bytes())),
        }
    }
    *hasher.finalize().as_bytes()
}

/// The memo of a finished run (`discovery_errors`: how many of its walk
/// errors came from discovery rather than from the project pass).
pub(super) fn record(
    result: &RunResult,
    key: [u8; 32],
    probes: Vec<Probe>,
    discovery_errors: usize,
) -> Option<Vec<u8>> {
    let python = result.python_files;
    let text_lens: Vec<usize> = (0..python)
        .map(|i| result.sources.recorded_len(i))
        .collect::<Option<_>>()?;
    let others: Vec<(&Path, &str)> = (python..result.files.len())
        .map(|i| Some((result.files[i].path.as_path(), result.sources.kept(i)?)))
        .collect::<Option<_>>()?;
    let problems: Vec<(&str, &str)> = result
        .walk_errors
        .get(discovery_errors..)
        .unwrap_or_default()
        .iter()
        .map(|e| (e.path.as_str(), e.message.as_str()))
        .collect();
    let mut bytes = crate::cache::encode(&Head { key, probes })?;
    bytes.extend(crate::cache::encode(&BodyRef {
        text_lens: &text_lens,
        others: &others,
        problems: &problems,
        diagnostics: &result.diagnostics,
        file_problems: &result.file_problems,
        pending: &result.pending_suppressions,
    })?);
    Some(bytes)
}

/// What a run needs of discovery to be replayed.
pub(super) struct Replay<'r> {
    pub walker: &'r Walker<'r>,
    pub files: Vec<FileInfo>,
    pub walk_errors: Vec<WalkError>,
    pub excluded: usize,
}

/// The run the memo recorded, if its key is `key` and the disk still
/// answers the module map's probes alike; else the inputs back.
pub(super) fn replay<'r>(
    memo: &[u8],
    key: &[u8; 32],
    run: Replay<'r>,
) -> Result<RunResult, Replay<'r>> {
    let Some((head, rest)) = crate::cache::decode_prefix::<Head>(memo) else {
        return Err(run);
    };
    if head.key != *key || !head.probes.iter().all(Probe::holds) {
        return Err(run);
    }
    let Some(body) = crate::cache::decode::<Body>(rest) else {
        return Err(run);
    };
    let Replay {
        walker,
        mut files,
        mut walk_errors,
        excluded,
    } = run;
    let cap = walker.settings.max_file_size;
    let python_files = files.len();
    if body.text_lens.len() != python_files
        || body
            .diagnostics
            .iter()
            .any(|d| d.file >= python_files + body.others.len())
    {
        return Err(Replay {
            walker,
            files,
            walk_errors,
            excluded,
        });
    }
    let mut sources = sources::Sources::default();
    for (file, len) in files.iter().zip(&body.text_lens) {
        sources.push_lazy(file.path.clone(), cap, *len);
    }
    for (path, text) in body.others {
        files.push(walker.file_info(path));
        sources.push(text);
    }
    walk_errors.extend(
        body.problems
            .into_iter()
            .map(|(path, message)| WalkError { path, message }),
    );
    Ok(RunResult {
        files,
        python_files,
        sources,
        diagnostics: body.diagnostics,
        file_problems: body.file_problems,
        walk_errors,
        facts: Vec::new(),
        excluded,
        boundary: walker.boundary.clone(),
        pending_suppressions: body.pending,
    })
}
