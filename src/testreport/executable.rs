//! What of a Python file can run, from its tree-sitter tree: statements and
//! the headers of compound statements, each as the range of lines it spans.
//! Comments, blank lines, docstrings (and other bare string statements),
//! decorators and `else:`/`finally:` lines are no statement; a statement
//! over several lines is one unit, so a change on any of its lines is
//! judged by whether the statement ran. Also the file's function
//! definitions, for the rules that look for tests.

use std::collections::BTreeMap;

use tree_sitter::Node;

/// A statement's first and last line (1-based, inclusive).
pub type Unit = (u32, u32);

/// The executable units of one file, and where each line belongs.
#[derive(Debug, Clone, Default)]
pub struct Units {
    /// Sorted by first line; they do not overlap.
    pub units: Vec<Unit>,
}

impl Units {
    /// The unit holding `line`, if the line is part of a statement.
    pub fn unit_of(&self, line: u32) -> Option<Unit> {
        let i = self.units.partition_point(|u| u.0 <= line);
        let u = *self.units.get(i.checked_sub(1)?)?;
        (u.1 >= line).then_some(u)
    }
}

const SIMPLE: &[&str] = &[
    "expression_statement",
    "return_statement",
    "pass_statement",
    "import_statement",
    "import_from_statement",
    "future_import_statement",
    "assert_statement",
    "raise_statement",
    "delete_statement",
    "global_statement",
    "nonlocal_statement",
    "break_statement",
    "continue_statement",
    "print_statement",
    "exec_statement",
    "type_alias_statement",
];

/// Compound statements and clauses whose header runs (`else:` and `finally:` do not).
const HEADERS: &[&str] = &[
    "if_statement",
    "for_statement",
    "while_statement",
    "try_statement",
    "with_statement",
    "match_statement",
    "function_definition",
    "class_definition",
    "elif_clause",
    "except_clause",
    "except_group_clause",
    "case_clause",
];

fn row(n: u32) -> u32 {
    n + 1
}

fn is_bare_string(node: Node<'_>) -> bool {
    node.kind() == "expression_statement"
        && node.named_child_count() == 1
        && node
            .named_child(0)
            .is_some_and(|c| matches!(c.kind(), "string" | "concatenated_string"))
}

/// The executable units of a parsed file.
pub fn units(root: Node<'_>) -> Units {
    let mut out = Vec::new();
    collect(root, &mut out);
    out.sort_unstable();
    out.dedup();
    // A one-line compound statement (`if x: y`) yields its header and its
    // body on the same line: one unit.
    let mut merged: Vec<Unit> = Vec::with_capacity(out.len());
    for u in out {
        match merged.last_mut() {
            Some(last) if u.0 <= last.1 => last.1 = last.1.max(u.1),
            _ => merged.push(u),
        }
    }
    Units { units: merged }
}

fn collect(node: Node<'_>, out: &mut Vec<Unit>) {
    let kind = node.kind();
    if SIMPLE.contains(&kind) {
        if !is_bare_string(node) {
            out.push((
                row(node.start_position().row as u32),
                row(node.end_position().row as u32),
            ));
        }
        return;
    }
    if matches!(kind, "decorator" | "comment") {
        return;
    }
    let header = HEADERS.contains(&kind);
    if header {
        let start = node.start_position().row as u32;
        let body = node
            .child_by_field_name("body")
            .or_else(|| node.child_by_field_name("consequence"))
            .or_else(|| {
                let mut cursor = node.walk();
                let block = node
                    .named_children(&mut cursor)
                    .find(|c| c.kind() == "block");
                block
            });
        let end = match body {
            Some(b) if (b.start_position().row as u32) > start => b.start_position().row as u32 - 1,
            Some(_) => start,
            None => node.end_position().row as u32,
        };
        out.push((row(start), row(end)));
    }
    let mut cursor = node.walk();
    for child in node.named_children(&mut cursor) {
        collect(child, out);
    }
}

/// A function defined in a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Def {
    /// `name`, or `Class.name` (enclosing classes, outermost first).
    pub qualname: String,
    pub name: String,
    /// The enclosing classes, outermost first.
    pub classes: Vec<String>,
    /// First and last line of the definition, decorators included.
    pub lines: Unit,
    /// The line of `def` and the byte span of the name.
    pub def_line: u32,
    pub name_span: std::ops::Range<usize>,
    /// The decorators' text.
    pub decorators: Vec<String>,
    /// Nested in another function.
    pub nested: bool,
    /// A route decorator (`@router.get("/items/{id}")`): the path it
    /// registers when written as a string literal, else empty.
    pub route: Option<String>,
}

/// Every function definition of a parsed file, in source order.
pub fn definitions(root: Node<'_>, source: &str) -> Vec<Def> {
    let mut out = Vec::new();
    defs(root, source, &mut Vec::new(), false, &mut out);
    out
}

fn defs(node: Node<'_>, source: &str, classes: &mut Vec<String>, nested: bool, out: &mut Vec<Def>) {
    let mut cursor = node.walk();
    for child in node.named_children(&mut cursor) {
        let mut route = None;
        let (outer, decorators, def) = if child.kind() == "decorated_definition" {
            let mut c = child.walk();
            let nodes: Vec<Node<'_>> = child
                .named_children(&mut c)
                .filter(|d| d.kind() == "decorator")
                .collect();
            for d in &nodes {
                let Some(expr) = d.named_child(0) else {
                    continue;
                };
                if let Some((_, _, call)) = crate::python::fastapi::route_decorator(expr, source) {
                    route = Some(call.and_then(|c| route_path(c, source)).unwrap_or_default());
                }
            }
            let decorators = nodes
                .iter()
                .map(|d| source[d.byte_range()].to_owned())
                .collect();
            match child.child_by_field_name("definition") {
                Some(def) => (child, decorators, def),
                None => continue,
            }
        } else {
            (child, Vec::new(), child)
        };
        let name_node = def.child_by_field_name("name");
        match def.kind() {
            "function_definition" => {
                let Some(name_node) = name_node else { continue };
                let name = source[name_node.byte_range()].to_owned();
                let mut qual = classes.clone();
                qual.push(name.clone());
                out.push(Def {
                    qualname: qual.join("."),
                    name,
                    classes: classes.clone(),
                    lines: (
                        row(outer.start_position().row as u32),
                        row(outer.end_position().row as u32),
                    ),
                    def_line: row(def.start_position().row as u32),
                    name_span: name_node.byte_range(),
                    decorators,
                    nested,
                    route: route.take(),
                });
                if let Some(body) = def.child_by_field_name("body") {
                    defs(body, source, &mut Vec::new(), true, out);
                }
            }
            "class_definition" => {
                let Some(name_node) = name_node else { continue };
                if let Some(body) = def.child_by_field_name("body") {
                    classes.push(source[name_node.byte_range()].to_owned());
                    defs(body, source, classes, nested, out);
                    classes.pop();
                }
            }
            _ => defs(child, source, classes, nested, out),
        }
    }
}

/// The first positional argument of a route decorator call, when a plain string.
fn route_path(call: Node<'_>, source: &str) -> Option<String> {
    let args = call.child_by_field_name("arguments")?;
    let first = args.named_child(0)?;
    if first.kind() != "string" {
        return None;
    }
    let text = &source[first.byte_range()];
    let inner = text.trim_start_matches(|c: char| c.is_ascii_alphabetic());
    Some(inner.trim_matches(|c| c == '"' || c == '\'').to_owned())
}

/// Per line, the definitions' units: which statements the lines of a
/// range of lines belong to, counted once each.
pub fn units_in(units: &Units, lines: impl IntoIterator<Item = u32>) -> BTreeMap<Unit, Vec<u32>> {
    let mut out: BTreeMap<Unit, Vec<u32>> = BTreeMap::new();
    for line in lines {
        if let Some(u) = units.unit_of(line) {
            out.entry(u).or_default().push(line);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn units_of(source: &str) -> Vec<Unit> {
        let tree = crate::parse::parse(source).expect("parse");
        units(tree.root_node()).units
    }

    #[test]
    fn statements_headers_not_comments_docstrings_decorators() {
        let src = "\"\"\"Doc.\"\"\"\n\nimport os\n\n\n@deco\ndef f(a,\n      b):\n    \"\"\"Doc.\"\"\"\n    # note\n    x = {\n        1: 2,\n    }\n    if x: return 1\n    try:\n        pass\n    except E:\n        raise\n    else:\n        y = 1\n    finally:\n        z = 2\n";
        assert_eq!(
            units_of(src),
            vec![
                (3, 3),
                (7, 8),
                (11, 13),
                (14, 14),
                (15, 15),
                (16, 16),
                (17, 17),
                (18, 18),
                (20, 20),
                (22, 22)
            ]
        );
        let u = units(crate::parse::parse(src).unwrap().root_node());
        assert_eq!(u.unit_of(12), Some((11, 13)));
        assert_eq!(u.unit_of(6), None, "decorator");
        assert_eq!(u.unit_of(9), None, "docstring");
        assert_eq!(u.unit_of(10), None, "comment");
        assert_eq!(u.unit_of(19), None, "else:");
    }

    #[test]
    fn definitions_with_classes() {
        let src = "class TestA:\n    @pytest.mark.x\n    def test_b(self):\n        def inner():\n            pass\n\ndef test_c():\n    pass\n";
        let tree = crate::parse::parse(src).unwrap();
        let d = definitions(tree.root_node(), src);
        let names: Vec<(&str, Unit, bool)> = d
            .iter()
            .map(|d| (d.qualname.as_str(), d.lines, d.nested))
            .collect();
        assert_eq!(
            names,
            vec![
                ("TestA.test_b", (2, 5), false),
                ("inner", (4, 5), true),
                ("test_c", (7, 8), false)
            ]
        );
        assert_eq!(d[0].decorators, vec!["@pytest.mark.x".to_owned()]);
        assert_eq!(d[0].def_line, 3);
    }
}
