//! `--fix` and `--diff`: the fixes carried on a run's diagnostics, applied
//! file by file.
//!
//! A file is fixed only when its bytes still decode to the text the run
//! checked and are UTF-8 (a BOM is kept): then every offset of the decoded
//! text is the same offset of the file after the BOM, so the edits are made
//! on the bytes themselves and everything outside them (CRLF, lone CR, the
//! BOM) stays byte for byte. A file that did not parse is never touched.
//! Fixes whose edits overlap a fix taken before are left for the next run
//! (the outer of two nested fixes is taken: it covers the inner one).
//! After the edits the file is checked again, alone: it must parse, the
//! fixed findings must be gone and no finding may appear that was not there
//! before; otherwise the file is left as it was and a note says why.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::config::{ConfigError, Settings};
use crate::diagnostic::{Applicability, Edit};
use crate::engine::{apply_suppressions, check_source, FileOutcome, Plan, RunResult};
use crate::rules;

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// One file's fixes, ready to be written or shown.
#[derive(Debug, Clone)]
pub struct FileFix {
    pub path: PathBuf,
    pub display: String,
    /// The file's bytes as read and as fixed.
    pub before: Vec<u8>,
    pub after: Vec<u8>,
    /// Findings fixed, per rule code.
    pub fixed: BTreeMap<&'static str, usize>,
}

impl FileFix {
    pub fn count(&self) -> usize {
        self.fixed.values().sum()
    }
}

/// What `--fix`/`--diff` would do to a run's files.
#[derive(Debug, Default)]
pub struct FixPlan {
    /// Files with edits, in display order.
    pub files: Vec<FileFix>,
    /// Files left alone with why, one line each.
    pub notes: Vec<String>,
    /// Fixes left out because they are unsafe (`--unsafe-fixes` applies them).
    pub unsafe_left: usize,
    /// Fixes left for the next run because they overlap another one.
    pub overlapping: usize,
}

impl FixPlan {
    pub fn count(&self) -> usize {
        self.files.iter().map(FileFix::count).sum()
    }
}

/// The fixes of `result`'s diagnostics for which `chosen` is true (indexed
/// like `result.diagnostics`), for fixable rules, safe ones only unless
/// `unsafe_fixes`.
pub fn plan(
    settings: &Settings,
    result: &RunResult,
    chosen: &[bool],
    unsafe_fixes: bool,
) -> FixPlan {
    let mut out = FixPlan::default();
    let profile = std::sync::Arc::new(crate::project::profile::Profile::build(
        &result.files,
        &settings.project().root,
        &result.boundary,
    ));
    let mut recheck = Plan::new(settings);
    recheck.profile = profile;
    let mut by_file: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (i, d) in result.diagnostics.iter().enumerate() {
        let Some(fix) = &d.fix else { continue };
        if !chosen.get(i).copied().unwrap_or(false) || fix.edits.is_empty() {
            continue;
        }
        if !rules::index_of(d.code).is_some_and(|r| settings.fixable[r]) {
            continue;
        }
        if fix.applicability == Applicability::Unsafe && !unsafe_fixes {
            out.unsafe_left += 1;
            continue;
        }
        by_file.entry(d.file).or_default().push(i);
    }
    let mut order: Vec<usize> = by_file.keys().copied().collect();
    order.sort_by(|a, b| result.files[*a].display.cmp(&result.files[*b].display));
    for file in order {
        match fix_file(
            result,
            file,
            &by_file[&file],
            &recheck,
            &mut out.overlapping,
        ) {
            Ok(Some(fixed)) => out.files.push(fixed),
            Ok(None) => {}
            Err(why) => out
                .notes
                .push(format!("{}: not fixed: {why}", result.files[file].display)),
        }
    }
    out
}

fn fix_file(
    result: &RunResult,
    file: usize,
    diagnostics: &[usize],
    recheck: &Plan<'_>,
    overlapping: &mut usize,
) -> Result<Option<FileFix>, String> {
    let info = &result.files[file];
    if file >= result.python_files {
        return Ok(None);
    }
    if result.file_problems.iter().any(|(f, _)| *f == file) {
        return Err("the file does not parse".to_owned());
    }
    let source = result.sources.get(file).map_or("", String::as_str);
    let before = crate::files::read_bounded(&info.path, recheck.settings.max_file_size)
        .map_err(|e| format!("cannot read it again: {e}"))?;
    let bom = if before.starts_with(UTF8_BOM) { 3 } else { 0 };
    if !same_text(&before[bom..], source) {
        return Err(
            if crate::source::decode(&before).is_ok_and(|t| t == source) {
                "its encoding is not UTF-8 (re-save it as UTF-8 to fix it)".to_owned()
            } else {
                "it changed since it was checked".to_owned()
            },
        );
    }

    // Outer fixes first; a fix overlapping one taken is left for the next run.
    let mut picks: Vec<usize> = diagnostics.to_vec();
    picks.sort_by_key(|&i| {
        let extent = result.diagnostics[i].fix.as_ref().map(|f| f.extent());
        extent.map(|e| (e.start, std::cmp::Reverse(e.end)))
    });
    let mut taken: Vec<&Edit> = Vec::new();
    let mut applied: Vec<usize> = Vec::new();
    let mut skipped: Vec<usize> = Vec::new();
    for i in picks {
        let Some(fix) = &result.diagnostics[i].fix else {
            continue;
        };
        if fix.edits.iter().any(|e| {
            e.range.end > source.len()
                || !source.is_char_boundary(e.range.start)
                || !source.is_char_boundary(e.range.end)
        }) {
            continue;
        }
        if fix
            .edits
            .iter()
            .any(|e| taken.iter().any(|t| overlaps(&e.range, &t.range)))
        {
            skipped.push(i);
            continue;
        }
        taken.extend(fix.edits.iter());
        applied.push(i);
    }
    if applied.is_empty() {
        return Ok(None);
    }
    taken.sort_by_key(|e| (e.range.start, e.range.end));
    let fixed_text = apply(source.as_bytes(), 0, &taken);
    let mut after = before[..bom].to_vec();
    after.extend(apply(&before[bom..], 0, &taken));
    let fixed_text = String::from_utf8(fixed_text).map_err(|_| "a fix broke UTF-8".to_owned())?;

    // Check the file again, alone, before and after.
    let was = findings(source.to_owned(), info, recheck);
    let now = findings(fixed_text, info, recheck);
    if let Some(problem) = now.problem {
        return Err(format!(
            "the fixed file would not parse ({problem}); nothing written"
        ));
    }
    let mut expected = was.keys;
    let mut fixed: BTreeMap<&'static str, usize> = BTreeMap::new();
    for &i in &applied {
        let d = &result.diagnostics[i];
        let key = (d.code, d.message.clone());
        if let Some(n) = expected.get_mut(&key) {
            *n = n.saturating_sub(1);
        }
        *fixed.entry(d.code).or_default() += 1;
    }
    for (key, n) in &now.keys {
        let allowed = expected.get(key).copied().unwrap_or(0);
        if *n > allowed {
            let what = if was_there(key, &applied, result) {
                "the fix did not remove"
            } else {
                "the fix would add"
            };
            return Err(format!(
                "{what} {} `{}`; nothing written",
                key.0,
                crate::diagnostic::cap_message(key.1.clone())
            ));
        }
    }
    // An overlapping fix inside one taken is usually fixed with it (nested
    // `Optional`s); one whose finding remains waits for the next run.
    for i in skipped {
        let d = &result.diagnostics[i];
        if now.keys.contains_key(&(d.code, d.message.clone())) {
            *overlapping += 1;
        } else {
            *fixed.entry(d.code).or_default() += 1;
        }
    }
    Ok(Some(FileFix {
        path: info.path.clone(),
        display: info.display.clone(),
        before,
        after,
        fixed,
    }))
}

fn was_there(key: &(&'static str, String), applied: &[usize], result: &RunResult) -> bool {
    applied.iter().any(|&i| {
        let d = &result.diagnostics[i];
        d.code == key.0 && d.message == key.1
    })
}

/// `bytes` (the file after any BOM) hold `source` at the same offsets: the
/// same bytes, except a lone CR the decoder read as a line break.
fn same_text(bytes: &[u8], source: &str) -> bool {
    bytes.len() == source.len()
        && std::str::from_utf8(bytes).is_ok()
        && bytes
            .iter()
            .zip(source.as_bytes())
            .all(|(b, s)| b == s || (*b == b'\r' && *s == b'\n'))
}

/// Two edits that cannot both be made: they share bytes, or insert at one place.
fn overlaps(a: &std::ops::Range<usize>, b: &std::ops::Range<usize>) -> bool {
    (a.start < b.end && b.start < a.end) || a.start == b.start
}

/// `bytes` with the sorted, disjoint `edits` made (offsets shifted by `base`).
fn apply(bytes: &[u8], base: usize, edits: &[&Edit]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() + 64);
    let mut at = 0;
    for e in edits {
        let (start, end) = (e.range.start - base, e.range.end - base);
        out.extend_from_slice(&bytes[at..start]);
        out.extend_from_slice(e.content.as_bytes());
        at = end;
    }
    out.extend_from_slice(&bytes[at..]);
    out
}

struct Recheck {
    problem: Option<String>,
    /// (code, message) -> how many times.
    keys: BTreeMap<(&'static str, String), usize>,
}

/// A file's own findings (suppressions applied; no project rules).
fn findings(source: String, info: &crate::files::FileInfo, plan: &Plan<'_>) -> Recheck {
    let enabled = plan.settings.enabled_for(&info.rel);
    let mut outcome: FileOutcome = check_source(source, info, plan, enabled);
    apply_suppressions(plan.settings, &mut outcome, 0, &mut Vec::new());
    let mut keys = BTreeMap::new();
    for d in &outcome.diagnostics {
        *keys.entry((d.code, d.message.clone())).or_insert(0) += 1;
    }
    Recheck {
        problem: outcome.problem,
        keys,
    }
}

/// Write every fixed file, each atomically (a temporary file beside it,
/// renamed over it, with the original's permissions). A link is followed:
/// its target is rewritten, the link stays.
pub fn write(plan: &FixPlan) -> Result<(), ConfigError> {
    for f in &plan.files {
        write_atomic(&f.path, &f.after)
            .map_err(|e| ConfigError(format!("error: cannot write {}: {e}", f.display)))?;
    }
    Ok(())
}

fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let real = std::fs::canonicalize(path)?;
    let permissions = std::fs::metadata(&real)?.permissions();
    let dir = real.parent().unwrap_or(Path::new("."));
    let name = real
        .file_name()
        .map_or_else(|| "file".into(), |n| n.to_string_lossy().into_owned());
    let temp = dir.join(format!(".{name}.fortress-fix.{}.tmp", std::process::id()));
    let result = (|| {
        let mut out = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)?;
        out.write_all(bytes)?;
        out.sync_all()?;
        std::fs::set_permissions(&temp, permissions)?;
        std::fs::rename(&temp, &real)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}

/// The unified diff of one file's fixes (`--diff`), paths as shown.
pub fn unified_diff(f: &FileFix) -> String {
    let before = String::from_utf8_lossy(&f.before);
    let after = String::from_utf8_lossy(&f.after);
    similar::TextDiff::from_lines(before.as_ref(), after.as_ref())
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{}", f.display), &format!("b/{}", f.display))
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_and_bytes_line_up_only_for_utf8() {
        assert!(same_text(b"a = 1\r\nb\rc\n", "a = 1\r\nb\nc\n"));
        assert!(!same_text(b"x = '\xe9'\n", "x = 'é'\n"));
        assert!(!same_text(b"a = 2\n", "a = 1\n"));
    }

    #[test]
    fn edits_apply_in_order_and_overlap_is_detected() {
        let e1 = Edit {
            range: 0..1,
            content: "xy".into(),
        };
        let e2 = Edit {
            range: 3..3,
            content: "!".into(),
        };
        assert_eq!(apply(b"abcdef", 0, &[&e1, &e2]), b"xybc!def");
        assert!(overlaps(&(0..2), &(1..3)));
        assert!(overlaps(&(3..3), &(3..3)));
        assert!(!overlaps(&(0..2), &(2..4)));
    }
}
