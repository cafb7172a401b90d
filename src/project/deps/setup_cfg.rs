//! setup.cfg: `[metadata] name`, `[options] install_requires` /
//! `tests_require` / `packages`, `[options.extras_require]`.
//!
//! setup.cfg is configparser INI. No INI crate is a clear standard, and only
//! this subset matters, so it is parsed here: `[section]` headers, `key =
//! value` or `key: value`, indented continuation lines, full-line `#`/`;`
//! comments, and inline ` #` / ` ;` comments in requirement lists.

use std::path::Path;

use super::manifest::{Declarations, Declared, Group, Sources};
use super::names::normalize;
use super::requirement;

/// One value line: its text and byte offset in the file.
struct ValueLine<'a> {
    text: &'a str,
    offset: usize,
}

struct Entry<'a> {
    section: String,
    key: String,
    lines: Vec<ValueLine<'a>>,
}

fn parse<'s>(source: &'s str, sources: &mut Sources, file: usize) -> Vec<Entry<'s>> {
    let mut entries: Vec<Entry<'s>> = Vec::new();
    let mut section = String::new();
    let mut offset = 0;
    let mut in_value = false;
    for raw in source.split_inclusive('\n') {
        let start = offset;
        offset += raw.len();
        let line = raw.trim_end_matches(['\n', '\r']);
        let trimmed = line.trim();
        let indented = line.starts_with([' ', '\t']);
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with(';') {
            continue;
        }
        if indented && in_value {
            if let Some(e) = entries.last_mut() {
                let lead = line.len() - line.trim_start().len();
                e.lines.push(ValueLine {
                    text: trimmed,
                    offset: start + lead,
                });
            }
            continue;
        }
        if trimmed.starts_with('[') {
            match trimmed.find(']') {
                Some(end) => section = trimmed[1..end].trim().to_owned(),
                None => sources.problem(file, start, "unclosed `[` in a section header"),
            }
            in_value = false;
            continue;
        }
        let Some(sep) = trimmed.find(['=', ':']) else {
            sources.problem(
                file,
                start,
                format!("expected `key = value`, found `{trimmed}`"),
            );
            in_value = false;
            continue;
        };
        let lead = line.len() - line.trim_start().len();
        let key = trimmed[..sep].trim().to_owned();
        let value = &trimmed[sep + 1..];
        let value_lead = value.len() - value.trim_start().len();
        let mut lines = Vec::new();
        if !value.trim().is_empty() {
            lines.push(ValueLine {
                text: value.trim(),
                offset: start + lead + sep + 1 + value_lead,
            });
        }
        entries.push(Entry {
            section: section.clone(),
            key,
            lines,
        });
        in_value = true;
    }
    entries
}

fn strip_inline_comment(text: &str) -> &str {
    let bytes = text.as_bytes();
    for (i, b) in bytes.iter().enumerate() {
        if (*b == b'#' || *b == b';') && i > 0 && bytes[i - 1].is_ascii_whitespace() {
            return text[..i].trim_end();
        }
    }
    text
}

fn push_requirements(
    sources: &mut Sources,
    file: usize,
    dir: &Path,
    entry: &Entry<'_>,
    group: &Group,
    out: &mut Declarations,
) {
    for line in &entry.lines {
        let text = strip_inline_comment(line.text);
        if text.is_empty() {
            continue;
        }
        if let Some(rest) = text.strip_prefix("file:") {
            for f in rest.split(',').map(str::trim).filter(|f| !f.is_empty()) {
                if let Err(why) =
                    super::requirements::read(sources, &dir.join(f), Some(group.clone()), out, 1)
                {
                    sources.problem(file, line.offset, format!("cannot read `{f}`: {why}"));
                }
            }
            continue;
        }
        // configparser also allows `a; b` lists on one line.
        for part in text.split(';').take(1) {
            match requirement::parse(part) {
                Ok(r) => {
                    let at = line.offset + r.name_offset;
                    out.declared
                        .push(Declared::from_requirement(&r, group, file, at));
                }
                Err(why) => sources.problem(file, line.offset, why),
            }
        }
    }
}

/// `[options] python_requires` as written, with its byte offset.
pub fn python_requires(source: &str) -> Option<(String, usize)> {
    let mut scratch = Sources::default();
    parse(source, &mut scratch, 0)
        .into_iter()
        .filter(|e| e.section == "options" && e.key.replace('-', "_") == "python_requires")
        .find_map(|e| {
            let text = e.lines.iter().map(|l| l.text).collect::<Vec<_>>().join(" ");
            let first = e.lines.first()?;
            Some((strip_inline_comment(&text).to_owned(), first.offset))
        })
}

pub fn read(sources: &mut Sources, path: &Path, out: &mut Declarations) -> Option<usize> {
    let file = sources.load(path)?;
    let source = sources.files[file].source.clone();
    let dir = path.parent().unwrap_or(Path::new("."));
    let entries = parse(&source, sources, file);
    for e in &entries {
        match (e.section.as_str(), e.key.as_str()) {
            ("metadata", "name") => {
                if let Some(v) = e.lines.first() {
                    out.own_names.insert(normalize(v.text));
                }
            }
            ("options", "install_requires") => {
                out.has_manifest = true;
                push_requirements(sources, file, dir, e, &Group::Runtime, out);
            }
            ("options", "tests_require") => {
                push_requirements(sources, file, dir, e, &Group::Dev("tests".into()), out)
            }
            ("options", "setup_requires") => {
                push_requirements(sources, file, dir, e, &Group::Dev("setup".into()), out)
            }
            ("options", "packages") | ("options", "py_modules") => {
                for v in &e.lines {
                    let t = v.text.trim();
                    if !t.starts_with("find")
                        && t.chars()
                            .all(|c| c.is_alphanumeric() || c == '_' || c == '.')
                    {
                        if let Some(top) = t.split('.').next().filter(|s| !s.is_empty()) {
                            out.own_packages.insert(top.to_owned());
                        }
                    }
                }
            }
            ("options.extras_require", extra) => {
                out.has_manifest = true;
                push_requirements(sources, file, dir, e, &Group::extra(extra), out);
            }
            _ => {}
        }
    }
    Some(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn install_requires_and_extras() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("setup.cfg");
        let text = "[metadata]\nname = shop-api\n\n[options]\npackages = find:\ninstall_requires =\n    fastapi>=0.100  # web\n    SQLAlchemy[asyncio]\n; comment\n[options.extras_require]\ntest =\n    pytest\npg = asyncpg\n";
        std::fs::write(&path, text).unwrap();
        let mut sources = Sources::default();
        let mut out = Declarations::default();
        read(&mut sources, &path, &mut out);
        assert!(sources.problems.is_empty(), "{:?}", sources.problems);
        let names: Vec<&str> = out.declared.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(names, vec!["fastapi", "sqlalchemy", "pytest", "asyncpg"]);
        assert_eq!(&text[out.declared[1].span.clone()], "SQLAlchemy");
        assert_eq!(&text[out.declared[3].span.clone()], "asyncpg");
        assert!(out.declared[2].group.is_dev());
        assert!(out.own_names.contains("shop-api"));
    }
}
