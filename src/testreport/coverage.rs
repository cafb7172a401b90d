//! Line coverage as coverage.py writes it: Cobertura XML (`coverage xml`),
//! JSON (`coverage json`) and LCOV (`coverage lcov`), told apart by content.
//! A report names files as the machine that ran the tests saw them; they are
//! mapped to the checked tree by [`Coverage::map`].

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Component, Path, PathBuf};

/// The report formats fortress reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Cobertura,
    Json,
    Lcov,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::Cobertura => "Cobertura XML",
            Format::Json => "coverage.py JSON",
            Format::Lcov => "LCOV",
        }
    }
}

/// One file's measured lines as the report names it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawFile {
    /// The path as written in the report.
    pub path: String,
    /// Statement line -> whether it ran.
    pub lines: BTreeMap<u32, bool>,
    /// Line -> the test contexts that ran it (`coverage json --show-contexts`).
    pub contexts: BTreeMap<u32, Vec<String>>,
}

/// A report as read, before its paths are mapped.
#[derive(Debug, Clone)]
pub struct RawReport {
    pub format: Format,
    /// Cobertura `<sources>`: directories the file names are relative to.
    pub sources: Vec<String>,
    pub files: Vec<RawFile>,
}

/// Line coverage of the checked files, by project-relative path.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Coverage {
    pub files: BTreeMap<String, FileCoverage>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileCoverage {
    /// Statement line -> covered.
    pub lines: BTreeMap<u32, bool>,
    /// Line -> test contexts, when the report has them.
    pub contexts: BTreeMap<u32, BTreeSet<String>>,
}

impl FileCoverage {
    pub fn statements(&self) -> usize {
        self.lines.len()
    }

    pub fn covered(&self) -> usize {
        self.lines.values().filter(|c| **c).count()
    }
}

impl Coverage {
    /// (covered, statements) over every mapped file.
    pub fn counts(&self) -> (usize, usize) {
        self.files
            .values()
            .fold((0, 0), |(c, s), f| (c + f.covered(), s + f.statements()))
    }

    /// Total line coverage in percent (100 for a report with no statement).
    pub fn percent(&self) -> f64 {
        percent(self.counts())
    }

    /// Whether any file carries per-test contexts.
    pub fn has_contexts(&self) -> bool {
        self.files
            .values()
            .any(|f| f.contexts.values().flatten().any(|c| !c.is_empty()))
    }

    /// Merge another report in: a line is covered when either covers it.
    pub fn merge(&mut self, other: Coverage) {
        for (path, file) in other.files {
            let into = self.files.entry(path).or_default();
            for (line, covered) in file.lines {
                *into.lines.entry(line).or_insert(false) |= covered;
            }
            for (line, contexts) in file.contexts {
                into.contexts.entry(line).or_default().extend(contexts);
            }
        }
    }

    /// The report's files mapped onto `checked` (project-relative paths of
    /// the checked files). `root` is the project root, `cwd` the current
    /// directory. Files of the report that are not checked are left out; a
    /// report none of whose files is checked is an error (not a silent 0%).
    pub fn map(
        raw: RawReport,
        checked: &[String],
        root: &Path,
        cwd: &Path,
    ) -> Result<Coverage, String> {
        let by_rel = Checked::new(checked);
        let mut out = Coverage::default();
        let mut first_unmatched: Option<String> = None;
        let total = raw.files.len();
        for file in raw.files {
            match locate(&file.path, &raw.sources, &by_rel, root, cwd) {
                Some(rel) => {
                    let mut one = Coverage::default();
                    one.files.insert(
                        rel,
                        FileCoverage {
                            lines: file.lines,
                            contexts: file
                                .contexts
                                .into_iter()
                                .map(|(l, c)| {
                                    (l, c.into_iter().filter(|c| !c.is_empty()).collect())
                                })
                                .collect(),
                        },
                    );
                    out.merge(one);
                }
                None => {
                    first_unmatched.get_or_insert(file.path);
                }
            }
        }
        if out.files.is_empty() {
            return Err(match first_unmatched {
                Some(path) => format!(
                    "none of its {total} file{} is among the checked files (e.g. `{path}`); run fortress on the tree the tests measured",
                    if total == 1 { "" } else { "s" }
                ),
                None => "it measures no file".to_owned(),
            });
        }
        Ok(out)
    }
}

pub fn percent((covered, statements): (usize, usize)) -> f64 {
    if statements == 0 {
        100.0
    } else {
        covered as f64 * 100.0 / statements as f64
    }
}

/// The components of a path as written (either separator), `.` dropped and
/// `..` applied.
fn parts(path: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for c in Path::new(&path.replace('\\', "/")).components() {
        match c {
            Component::Normal(s) => out.push(s.to_string_lossy().into_owned()),
            Component::ParentDir => {
                out.pop();
            }
            _ => {}
        }
    }
    out
}

/// The checked files, by path and by file name (for the suffix match).
pub struct Checked<'a> {
    rels: BTreeSet<&'a str>,
    by_name: std::collections::HashMap<&'a str, Vec<(&'a str, Vec<&'a str>)>>,
}

impl<'a> Checked<'a> {
    pub fn new(checked: &'a [String]) -> Checked<'a> {
        let mut by_name: std::collections::HashMap<&str, Vec<(&str, Vec<&str>)>> =
            Default::default();
        for rel in checked {
            let parts: Vec<&str> = rel.split('/').collect();
            let name = parts.last().copied().unwrap_or("");
            by_name.entry(name).or_default().push((rel.as_str(), parts));
        }
        Checked {
            rels: checked.iter().map(String::as_str).collect(),
            by_name,
        }
    }
}

/// The checked file a report path names: below the project root or the
/// current directory (directly or under a Cobertura source), else the
/// checked file whose whole path ends the report's path (a report written
/// on another machine, e.g. `/home/runner/work/app/app/x.py` for `app/x.py`),
/// the longest such when several do.
fn locate(
    path: &str,
    sources: &[String],
    checked: &Checked<'_>,
    root: &Path,
    cwd: &Path,
) -> Option<String> {
    let written = Path::new(path);
    // A Cobertura file name is relative to its sources: they come first,
    // so `x.py` under the source `/ci/work/app` is `app/x.py`, not a
    // top-level `x.py` that happens to exist.
    let groups: Vec<Vec<PathBuf>> = if written.is_absolute() {
        vec![vec![written.to_path_buf()]]
    } else {
        vec![
            sources.iter().map(|s| Path::new(s).join(path)).collect(),
            vec![root.join(path), cwd.join(path)],
        ]
    };
    groups
        .iter()
        .find_map(|candidates| locate_among(candidates, checked, root, cwd))
}

fn locate_among(
    candidates: &[PathBuf],
    checked: &Checked<'_>,
    root: &Path,
    cwd: &Path,
) -> Option<String> {
    for candidate in candidates {
        for base in [root, cwd] {
            if let Ok(rel) = candidate.strip_prefix(base) {
                let rel = parts(&rel.to_string_lossy()).join("/");
                if checked.rels.contains(rel.as_str()) {
                    return Some(rel);
                }
            }
        }
    }
    // Another machine's paths: the longest checked path that ends one.
    let mut best: Option<(usize, &str)> = None;
    for candidate in candidates {
        let have = parts(&candidate.to_string_lossy());
        let Some(name) = have.last() else { continue };
        for (rel, want) in checked.by_name.get(name.as_str()).into_iter().flatten() {
            if want.len() > have.len() {
                continue;
            }
            let tail = &have[have.len() - want.len()..];
            if tail.iter().zip(want).all(|(a, b)| a == b)
                && best.is_none_or(|(n, _)| want.len() > n)
            {
                best = Some((want.len(), rel));
            }
        }
    }
    best.map(|(_, rel)| rel.to_owned())
}

/// Which format `text` is in, by its first meaningful character.
pub fn detect(text: &str) -> Option<Format> {
    let t = text.trim_start_matches('\u{feff}').trim_start();
    if t.starts_with('<') {
        Some(Format::Cobertura)
    } else if t.starts_with('{') {
        Some(Format::Json)
    } else if t
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .is_some_and(|l| l.starts_with("TN:") || l.starts_with("SF:"))
    {
        Some(Format::Lcov)
    } else {
        None
    }
}

/// Read a coverage report of any supported format.
pub fn parse(text: &str) -> Result<RawReport, String> {
    match detect(text) {
        Some(Format::Cobertura) => parse_cobertura(text),
        Some(Format::Json) => parse_json(text),
        Some(Format::Lcov) => parse_lcov(text),
        None => Err(
            "not a coverage report (expected Cobertura XML, coverage.py JSON or LCOV)".to_owned(),
        ),
    }
}

fn line_number(value: &str, what: &str) -> Result<u32, String> {
    value
        .trim()
        .parse::<u32>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| format!("{what}: `{value}` is not a line number"))
}

pub fn parse_cobertura(text: &str) -> Result<RawReport, String> {
    let doc = roxmltree::Document::parse(text).map_err(|e| format!("malformed XML: {e}"))?;
    let root = doc.root_element();
    if root.tag_name().name() != "coverage" {
        return Err(format!(
            "XML root element is <{}>, not a Cobertura <coverage> report",
            root.tag_name().name()
        ));
    }
    let sources = root
        .descendants()
        .filter(|n| n.has_tag_name("source"))
        .filter_map(|n| n.text())
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
        .collect();
    let mut files: BTreeMap<String, RawFile> = BTreeMap::new();
    let mut rows = super::Rows::new(text);
    for class in root.descendants().filter(|n| n.has_tag_name("class")) {
        let Some(name) = class.attribute("filename") else {
            return Err(format!(
                "line {}: <class> without a `filename`",
                rows.at(class.range().start)
            ));
        };
        let file = files.entry(name.to_owned()).or_insert_with(|| RawFile {
            path: name.to_owned(),
            ..RawFile::default()
        });
        // Lines of <methods> repeat the class's own: read the class's <lines> only.
        for lines in class.children().filter(|n| n.has_tag_name("lines")) {
            for line in lines.children().filter(|n| n.has_tag_name("line")) {
                let number = line_number(line.attribute("number").unwrap_or(""), "<line number>")
                    .map_err(|e| format!("line {}: {e}", rows.at(line.range().start)))?;
                let hits: u64 = line
                    .attribute("hits")
                    .and_then(|h| h.trim().parse().ok())
                    .ok_or_else(|| {
                        format!(
                            "line {}: <line> without a numeric `hits`",
                            rows.at(line.range().start)
                        )
                    })?;
                *file.lines.entry(number).or_insert(false) |= hits > 0;
            }
        }
    }
    Ok(RawReport {
        format: Format::Cobertura,
        sources,
        files: files.into_values().collect(),
    })
}

#[derive(serde::Deserialize)]
struct JsonReport {
    meta: Option<serde_json::Value>,
    files: Option<BTreeMap<String, JsonFile>>,
}

#[derive(serde::Deserialize)]
struct JsonFile {
    executed_lines: Vec<u32>,
    missing_lines: Vec<u32>,
    #[serde(default)]
    contexts: BTreeMap<String, Vec<String>>,
}

pub fn parse_json(text: &str) -> Result<RawReport, String> {
    let report: JsonReport =
        serde_json::from_str(text).map_err(|e| format!("malformed coverage JSON: {e}"))?;
    let (Some(_), Some(files)) = (report.meta, report.files) else {
        return Err("JSON without `meta` and `files`: not a `coverage json` report".to_owned());
    };
    let mut out = Vec::new();
    for (path, file) in files {
        let mut lines = BTreeMap::new();
        for l in file.missing_lines {
            lines.insert(l, false);
        }
        for l in file.executed_lines {
            lines.insert(l, true);
        }
        let mut contexts = BTreeMap::new();
        for (line, labels) in file.contexts {
            let line = line_number(&line, &format!("`{path}` contexts"));
            if let Ok(line) = line {
                contexts.insert(line, labels);
            }
        }
        out.push(RawFile {
            path,
            lines,
            contexts,
        });
    }
    Ok(RawReport {
        format: Format::Json,
        sources: Vec::new(),
        files: out,
    })
}

pub fn parse_lcov(text: &str) -> Result<RawReport, String> {
    let mut files: Vec<RawFile> = Vec::new();
    let mut current: Option<RawFile> = None;
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        let at = |m: String| format!("line {}: {m}", n + 1);
        if let Some(path) = line.strip_prefix("SF:") {
            if current.is_some() {
                return Err(at(
                    "`SF:` before the previous record's `end_of_record`".into()
                ));
            }
            current = Some(RawFile {
                path: path.to_owned(),
                ..RawFile::default()
            });
        } else if let Some(data) = line.strip_prefix("DA:") {
            let file = current
                .as_mut()
                .ok_or_else(|| at("`DA:` outside a record".into()))?;
            let mut fields = data.split(',');
            let number = line_number(fields.next().unwrap_or(""), "`DA:`").map_err(at)?;
            let hits: u64 = fields
                .next()
                .and_then(|h| h.trim().parse().ok())
                .ok_or_else(|| at(format!("`DA:{data}` has no hit count")))?;
            *file.lines.entry(number).or_insert(false) |= hits > 0;
        } else if line == "end_of_record" {
            files.push(
                current
                    .take()
                    .ok_or_else(|| at("`end_of_record` without `SF:`".into()))?,
            );
        }
    }
    if current.is_some() {
        return Err("truncated: the last record has no `end_of_record`".to_owned());
    }
    Ok(RawReport {
        format: Format::Lcov,
        sources: Vec::new(),
        files,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_detected_by_content() {
        assert_eq!(
            detect("<?xml version='1.0'?><coverage/>"),
            Some(Format::Cobertura)
        );
        assert_eq!(detect("\u{feff}  {\"meta\": {}}"), Some(Format::Json));
        assert_eq!(detect("\nTN:\nSF:a.py\n"), Some(Format::Lcov));
        assert_eq!(detect("hello"), None);
        assert!(parse("hello")
            .unwrap_err()
            .contains("not a coverage report"));
    }

    #[test]
    fn malformed_reports_say_what_is_wrong() {
        let e = parse("<coverage><packages>").unwrap_err();
        assert!(e.starts_with("malformed XML"), "{e}");
        let e = parse("<testsuites/>").unwrap_err();
        assert!(e.contains("not a Cobertura"), "{e}");
        let e = parse("{\"files\": {}").unwrap_err();
        assert!(e.starts_with("malformed coverage JSON"), "{e}");
        let e = parse("{\"files\": {}}").unwrap_err();
        assert!(e.contains("not a `coverage json` report"), "{e}");
        let e = parse("SF:a.py\nDA:1,1\n").unwrap_err();
        assert!(e.contains("truncated"), "{e}");
        let e = parse("SF:a.py\nDA:x,1\nend_of_record\n").unwrap_err();
        assert!(e.contains("line 2"), "{e}");
        let e = parse("<coverage><packages><package><classes><class filename='a.py'><lines><line number='1'/></lines></class></classes></package></packages></coverage>").unwrap_err();
        assert!(e.contains("hits"), "{e}");
    }

    #[test]
    fn paths_map_to_checked_files() {
        let checked = ["app/x.py".to_owned(), "x.py".to_owned()];
        let root = Path::new("/proj");
        let s = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        let find =
            |p: &str, sources: &[String]| locate(p, sources, &Checked::new(&checked), root, root);
        assert_eq!(find("app/x.py", &[]).as_deref(), Some("app/x.py"));
        assert_eq!(find("./app/../app/x.py", &[]).as_deref(), Some("app/x.py"));
        assert_eq!(find("/proj/app/x.py", &[]).as_deref(), Some("app/x.py"));
        assert_eq!(
            find("x.py", &s(&["/proj/app"])).as_deref(),
            Some("app/x.py")
        );
        // Written on another machine: the longest checked path ending it.
        assert_eq!(
            find("/home/runner/work/p/app/x.py", &[]).as_deref(),
            Some("app/x.py")
        );
        assert_eq!(
            find("x.py", &s(&["/home/runner/work/p/app"])).as_deref(),
            Some("app/x.py")
        );
        assert_eq!(find("lib/y.py", &[]), None);
    }
}
