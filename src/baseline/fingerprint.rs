//! Fingerprints without line numbers: what a finding is, not where it sits.
//!
//! A fingerprint hashes the rule code, the path (relative to the project
//! root; `--since` maps a renamed file's base path to its new one), the
//! enclosing qualified symbol (`Class.method`, empty at module level), the
//! offending node's text with whitespace and comments removed, and for the
//! rules whose node is not identity enough a per-rule key: the import edge
//! for LAY001/LAY003 (the message without the importer's name, which the
//! path already says), the cycle for LAY006 (reported from its first module
//! by name: a canonical rotation), the distribution or import for DEP rules
//! (their message). TST rules are identified by the test, the symbol.
//!
//! Computed only when a baseline or `--since` is used: the files with
//! findings are parsed again, off the hot path of a plain run.

use std::collections::HashMap;

use crate::engine::RunResult;

/// Bumped whenever what goes into a fingerprint changes: a baseline of
/// another version would match nothing.
pub const FINGERPRINT_VERSION: u32 = 1;

/// Most bytes of node text a fingerprint reads: a finding spanning a huge
/// function is identified by its start.
const MAX_NODE_TEXT: usize = 64 * 1024;

/// One finding's identity.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Print {
    pub path: String,
    pub code: String,
    pub symbol: String,
    pub fingerprint: String,
    pub message: String,
    /// What the fingerprint hashes besides the code, path and symbol (the
    /// node text and the rule key): the print of the same finding under
    /// another path is [`Print::at_path`].
    pub node: (String, String),
}

impl Print {
    /// The same finding, known by `path` (a file renamed since the base).
    pub fn at_path(&self, path: &str) -> Print {
        Print {
            path: path.to_owned(),
            fingerprint: hash(&self.code, path, &self.symbol, &self.node.0, &self.node.1),
            ..self.clone()
        }
    }
}

fn hash(code: &str, path: &str, symbol: &str, text: &str, key: &str) -> String {
    format!(
        "{:016x}",
        fnv1a64(&[
            code.as_bytes(),
            path.as_bytes(),
            symbol.as_bytes(),
            text.as_bytes(),
            key.as_bytes(),
        ])
    )
}

/// Prints already computed, by (path, code, span, message): a run over the
/// same text (the base's unchanged files) reuses them without a parse.
pub type Known<'a> = HashMap<(&'a str, &'a str, usize, usize, &'a str), &'a Print>;

/// The index of `prints` (computed for `result`) for [`prints_reusing`].
pub fn known<'a>(result: &'a RunResult, prints: &'a [Print]) -> Known<'a> {
    result
        .diagnostics
        .iter()
        .zip(prints)
        .map(|(d, p)| {
            (
                (
                    p.path.as_str(),
                    d.code,
                    d.span.start,
                    d.span.end,
                    d.message.as_str(),
                ),
                p,
            )
        })
        .collect()
}

/// The identity of every diagnostic of `result`, in its order; `path_of`
/// gives the path a file is known by (its `rel`, or the head path of a file
/// renamed since the base).
pub fn prints(result: &RunResult, path_of: &dyn Fn(usize) -> String) -> Vec<Print> {
    prints_reusing(result, path_of, &Known::new())
}

/// [`prints`], taking from `known` the prints of diagnostics met before:
/// a file is parsed only when one of its diagnostics is not there.
pub fn prints_reusing(
    result: &RunResult,
    path_of: &dyn Fn(usize) -> String,
    known: &Known<'_>,
) -> Vec<Print> {
    let mut out = Vec::with_capacity(result.diagnostics.len());
    // (file, its text, its tree once parsed; None inside when it does not
    // parse): one file at a time, its text read again if the run released it.
    type Current<'r> = (
        usize,
        std::borrow::Cow<'r, str>,
        Option<Option<tree_sitter::Tree>>,
    );
    let mut current: Option<Current<'_>> = None;
    for d in &result.diagnostics {
        let path = path_of(d.file);
        if let Some(p) = known.get(&(
            path.as_str(),
            d.code,
            d.span.start,
            d.span.end,
            d.message.as_str(),
        )) {
            out.push((*p).clone());
            continue;
        }
        // Diagnostics are grouped by file: one parse per file with findings.
        if current.as_ref().is_none_or(|(f, _, _)| *f != d.file) {
            let text = result.sources.load(d.file).unwrap_or_default();
            current = Some((d.file, text, None));
        }
        let (source, parsed): (&str, Option<&tree_sitter::Tree>) = match &mut current {
            Some((_, text, slot)) => {
                let source: &str = text;
                let parsed = slot
                    .get_or_insert_with(|| {
                        if d.file < result.python_files && !source.is_empty() {
                            crate::parse::parse(source)
                        } else {
                            None
                        }
                    })
                    .as_ref();
                (source, parsed)
            }
            None => ("", None),
        };
        let span = crate::diagnostic::char_span(source, &d.span);
        let (symbol, text) = match parsed {
            Some(t) => (
                symbol_at(t, source, span.start),
                node_text(t, source, &span),
            ),
            None => (String::new(), squeeze(&source[span.clone()])),
        };
        let key = rule_key(d.code, &d.message);
        let text = if key.is_some() { String::new() } else { text };
        let key = key.unwrap_or_default();
        let fingerprint = hash(d.code, &path, &symbol, &text, key);
        out.push(Print {
            path,
            code: d.code.to_owned(),
            symbol,
            fingerprint,
            message: d.message.clone(),
            node: (text, key.to_owned()),
        });
    }
    out
}

/// The part of a project rule's message that identifies its violation,
/// for the rules whose node text does not.
fn rule_key<'m>(code: &str, message: &'m str) -> Option<&'m str> {
    match code {
        // "`importer` (layer) imports `target` (layer), ...": the edge, without
        // the importer's module name (the path says it, and follows renames).
        "LAY001" | "LAY003" => Some(match message.strip_prefix('`') {
            Some(rest) => rest.find('`').map_or(message, |end| &rest[end + 1..]),
            None => message,
        }),
        // "import cycle: a -> b -> a (3 more modules ...); move ...": the cycle.
        "LAY006" => {
            let end = [message.find(" ("), message.find(';')]
                .into_iter()
                .flatten()
                .min()
                .unwrap_or(message.len());
            Some(&message[..end])
        }
        c if c.starts_with("DEP") => Some(message),
        _ => None,
    }
}

/// `text` without whitespace, at most [`MAX_NODE_TEXT`] bytes of it.
fn squeeze(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_whitespace())
        .scan(0usize, |len, c| {
            *len += c.len_utf8();
            (*len <= MAX_NODE_TEXT).then_some(c)
        })
        .collect()
}

/// The qualified name of the functions and classes around `offset`
/// (`Outer.method.inner`), empty at module level.
pub fn symbol_at(tree: &tree_sitter::Tree, source: &str, offset: usize) -> String {
    let mut names = Vec::new();
    let mut node = tree.root_node().descendant_for_byte_range(offset, offset);
    while let Some(n) = node {
        let definition = match n.kind() {
            "function_definition" | "class_definition" => Some(n),
            // A decorator belongs to the definition it decorates.
            "decorated_definition" => n.child_by_field_name("definition"),
            _ => None,
        };
        if let Some(name) = definition
            .and_then(|d| d.child_by_field_name("name"))
            .and_then(|name| source.get(name.byte_range()))
        {
            // A decorated definition is met twice (itself, then its wrapper).
            if names.last() != Some(&name) || n.kind() != "decorated_definition" {
                names.push(name);
            }
        }
        node = n.parent();
    }
    names.reverse();
    names.join(".")
}

/// The text of the tokens inside `span`, comments and whitespace left out.
pub fn node_text(tree: &tree_sitter::Tree, source: &str, span: &std::ops::Range<usize>) -> String {
    let mut out = String::new();
    if span.is_empty() {
        return out;
    }
    let Some(top) = tree
        .root_node()
        .descendant_for_byte_range(span.start, span.end)
    else {
        return out;
    };
    let mut cursor = top.walk();
    'walk: loop {
        let node = cursor.node();
        let range = node.byte_range();
        let overlaps = range.start < span.end && range.end > span.start;
        if overlaps && node.kind() != "comment" {
            if node.child_count() == 0 {
                let from = range.start.max(span.start);
                let to = range.end.min(span.end);
                if let Some(text) = source.get(from..to) {
                    out.extend(text.chars().filter(|c| !c.is_whitespace()));
                }
                if out.len() > MAX_NODE_TEXT {
                    break;
                }
            } else if cursor.goto_first_child() {
                continue;
            }
        }
        loop {
            if cursor.node() == top {
                break 'walk;
            }
            if cursor.goto_next_sibling() {
                break;
            }
            if !cursor.goto_parent() {
                break 'walk;
            }
        }
    }
    out
}

/// FNV-1a, 64 bit, over the parts with a 0 byte between them: stable
/// across platforms, versions and runs.
fn fnv1a64(parts: &[&[u8]]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            // The separator, a 0 byte: the xor is a no-op.
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
        for b in *part {
            hash ^= u64::from(*b);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(source: &str) -> tree_sitter::Tree {
        crate::parse::parse(source).expect("parses")
    }

    #[test]
    fn symbols_are_qualified_and_see_through_decorators() {
        let src = "class A:\n    @dec(x=1)\n    def m(self):\n        def inner():\n            return 1\n        return 2\n\nx = 3\n";
        let t = tree(src);
        assert_eq!(
            symbol_at(&t, src, src.find("return 1").unwrap()),
            "A.m.inner"
        );
        assert_eq!(symbol_at(&t, src, src.find("return 2").unwrap()), "A.m");
        assert_eq!(symbol_at(&t, src, src.find("x=1").unwrap()), "A.m");
        assert_eq!(symbol_at(&t, src, src.find("x = 3").unwrap()), "");
    }

    #[test]
    fn node_text_drops_whitespace_and_comments() {
        let a = "f(a,  # why\n  b)\n";
        let b = "f(a, b)\n";
        let (ta, tb) = (tree(a), tree(b));
        let ka = node_text(&ta, a, &(0..a.len() - 1));
        let kb = node_text(&tb, b, &(0..b.len() - 1));
        assert_eq!(ka, "f(a,b)");
        assert_eq!(ka, kb);
        // Part of a token: only the part inside the span.
        assert_eq!(node_text(&tb, b, &(0..1)), "f");
        assert_eq!(node_text(&tb, b, &(3..3)), "");
    }

    #[test]
    fn keys_of_project_rules() {
        assert_eq!(
            rule_key(
                "LAY001",
                "`app.api.users` (endpoint) imports `app.repo` (repository), bypassing"
            ),
            Some(" (endpoint) imports `app.repo` (repository), bypassing")
        );
        assert_eq!(
            rule_key(
                "LAY006",
                "import cycle: a -> b -> a (1 more module in the same tangle: c); move"
            ),
            Some("import cycle: a -> b -> a")
        );
        assert_eq!(
            rule_key("LAY006", "import cycle: a -> b -> a; move"),
            Some("import cycle: a -> b -> a")
        );
        assert_eq!(
            rule_key("DEP001", "`x` is not provided"),
            Some("`x` is not provided")
        );
        assert_eq!(rule_key("TYP001", "use `X | None`"), None);
        assert_ne!(fnv1a64(&[b"ab", b""]), fnv1a64(&[b"a", b"b"]));
    }
}
