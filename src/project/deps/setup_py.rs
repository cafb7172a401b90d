//! setup.py, read without running it: literal `install_requires`,
//! `extras_require` and `tests_require` arguments (or module-level names bound
//! to literals), and `name`.

use std::collections::HashMap;
use std::path::Path;

use tree_sitter::Node;

use crate::parse::NodeKind;
use crate::python::ast as pyast;

use super::manifest::{Declarations, Declared, Group, Sources};
use super::names::normalize;
use super::requirement;

/// `false` when setup.py declares requirements we cannot read statically.
pub fn read(sources: &mut Sources, path: &Path, out: &mut Declarations) -> bool {
    let Some(file) = sources.load(path) else {
        return true;
    };
    let source = sources.files[file].source.clone();
    let Some(tree) = crate::parse::parse(&source) else {
        return false;
    };
    let text = |n: Node<'_>| source.get(n.byte_range()).unwrap_or("");
    let bindings = module_bindings(tree.root_node(), &source);
    let mut readable = true;
    let mut cursor = tree.walk();
    loop {
        let node = cursor.node();
        if node.kind() == "keyword_argument" {
            let key = node.child_by_field_name("name").map(text).unwrap_or("");
            let mut value = node.child_by_field_name("value");
            if let Some(v) = value.filter(|v| v.kind() == "identifier") {
                value = bindings.get(text(v)).copied();
            }
            match (key, value) {
                ("name", Some(v)) if v.kind() == "string" => {
                    out.own_names.insert(normalize(string_value(v, &source).0));
                }
                ("install_requires", Some(v)) => {
                    out.has_manifest = true;
                    readable &= push_list(sources, file, v, &source, &Group::Runtime, out);
                }
                ("tests_require", Some(v)) => {
                    readable &=
                        push_list(sources, file, v, &source, &Group::Dev("tests".into()), out);
                }
                ("extras_require", Some(v)) if v.kind() == "dictionary" => {
                    let mut c = v.walk();
                    for pair in v.named_children(&mut c).filter(|p| p.kind() == "pair") {
                        let (Some(k), Some(list)) = (
                            pair.child_by_field_name("key"),
                            pair.child_by_field_name("value"),
                        ) else {
                            continue;
                        };
                        if k.kind() != "string" {
                            continue;
                        }
                        let group = Group::extra(string_value(k, &source).0);
                        readable &= push_list(sources, file, list, &source, &group, out);
                    }
                }
                ("install_requires" | "tests_require" | "extras_require", None) => readable = false,
                _ => {}
            }
        }
        if cursor.goto_first_child() {
            continue;
        }
        loop {
            if cursor.goto_next_sibling() {
                break;
            }
            if !cursor.goto_parent() {
                return readable;
            }
        }
    }
}

/// The literal `python_requires=` argument of setup.py (or the
/// module-level name it is bound to), with its byte offset; parsed, never run.
/// Module-level `NAME = value` bindings, so that `install_requires=REQS`
/// can be followed to its list.
fn module_bindings<'t, 's>(root: Node<'t>, source: &'s str) -> HashMap<&'s str, Node<'t>> {
    let mut bindings = HashMap::new();
    let mut cursor = root.walk();
    for stmt in root.named_children(&mut cursor) {
        let Some((left, right)) = pyast::statement_assignment(stmt).and_then(pyast::left_right)
        else {
            continue;
        };
        if left.kind_str() == "identifier" {
            bindings.insert(source.get(left.byte_range()).unwrap_or(""), right);
        }
    }
    bindings
}

pub fn python_requires(source: &str) -> Option<(String, usize)> {
    let tree = crate::parse::parse(source)?;
    let text = |n: Node<'_>| source.get(n.byte_range()).unwrap_or("");
    let root = tree.root_node();
    let bindings = module_bindings(root, source);
    let mut stack = vec![root];
    while let Some(node) = stack.pop() {
        if node.kind() == "keyword_argument"
            && node.child_by_field_name("name").map(text) == Some("python_requires")
        {
            let mut value = node.child_by_field_name("value");
            if let Some(v) = value.filter(|v| v.kind() == "identifier") {
                value = bindings.get(text(v)).copied();
            }
            let v = value.filter(|v| v.kind() == "string" && !is_interpolated(*v))?;
            let (body, at) = string_value(v, source);
            return Some((body.to_owned(), at));
        }
        let mut c = node.walk();
        let children: Vec<Node<'_>> = node.named_children(&mut c).collect();
        stack.extend(children.into_iter().rev());
    }
    None
}

fn is_interpolated(node: Node<'_>) -> bool {
    let mut c = node.walk();
    let found = node
        .named_children(&mut c)
        .any(|ch| ch.kind() == "interpolation");
    found
}

/// The content of a plain string literal and its byte offset.
fn string_value<'s>(node: Node<'_>, source: &'s str) -> (&'s str, usize) {
    let raw = source.get(node.byte_range()).unwrap_or("");
    let prefix = raw.find(['"', '\'']).unwrap_or(0);
    let body = &raw[prefix..];
    let quote = if body.starts_with("\"\"\"") || body.starts_with("'''") {
        3
    } else {
        1
    };
    if body.len() < 2 * quote {
        return ("", node.start_byte());
    }
    (
        &body[quote..body.len() - quote],
        node.start_byte() + prefix + quote,
    )
}

fn push_list(
    sources: &mut Sources,
    file: usize,
    list: Node<'_>,
    source: &str,
    group: &Group,
    out: &mut Declarations,
) -> bool {
    if !matches!(list.kind(), "list" | "tuple") {
        return false;
    }
    let mut all_literal = true;
    let mut c = list.walk();
    for item in list.named_children(&mut c) {
        if item.kind() == "comment" {
            continue;
        }
        if item.kind() != "string" {
            all_literal = false;
            continue;
        }
        let (value, at) = string_value(item, source);
        match requirement::parse(value) {
            Ok(r) => {
                let start = at + r.name_offset;
                out.declared
                    .push(Declared::from_requirement(&r, group, file, start));
            }
            Err(why) => sources.problem(file, item.start_byte(), why),
        }
    }
    all_literal
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_requirements() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("setup.py");
        let text = "from setuptools import setup\nDEPS = ['requests>=2', \"PyYAML\"]\nsetup(name='tool', install_requires=DEPS, extras_require={'test': ['pytest']})\n";
        std::fs::write(&path, text).unwrap();
        let mut sources = Sources::default();
        let mut out = Declarations::default();
        assert!(read(&mut sources, &path, &mut out));
        let names: Vec<&str> = out.declared.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(names, vec!["requests", "pyyaml", "pytest"]);
        assert_eq!(&text[out.declared[1].span.clone()], "PyYAML");
        assert!(out.own_names.contains("tool"));
        std::fs::write(
            &path,
            "setup(install_requires=open('r.txt').read().split())\n",
        )
        .unwrap();
        let mut sources = Sources::default();
        assert!(!read(&mut sources, &path, &mut Declarations::default()));
    }
}
