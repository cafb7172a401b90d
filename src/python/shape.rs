//! Loops that only shape data: a comprehension written out as a `for`.
//!
//! `for item in items: out.append(Schema(...))` (possibly behind an `if`, or
//! filling `out[key] = ...`) builds a collection from another one, as a
//! comprehension does; rules that treat comprehensions as shaping a result
//! (LAY005) treat these loops alike. A loop that awaits anything, assigns a
//! local, breaks, or nests another loop does more than that.

use tree_sitter::Node;

use crate::parse::NodeKind;
use crate::python::ast::{contains_kind, fid, text};

/// Methods that add to a collection.
const COLLECTING_METHODS: &[&str] = &["append", "extend", "add", "update", "setdefault"];

/// Is `node` a `for` loop whose body only adds items to collections?
pub fn is_collection_building_loop(node: Node<'_>, source: &str) -> bool {
    if node.kind_str() != "for_statement" || node.child_by_field_id(*fid::ALTERNATIVE).is_some() {
        return false;
    }
    node.child_by_field_id(*fid::BODY)
        .is_some_and(|body| only_collects(body, source, 0))
}

fn only_collects(block: Node<'_>, source: &str, depth: usize) -> bool {
    if depth > 2 {
        return false;
    }
    let mut cursor = block.walk();
    let mut any = false;
    for statement in block.named_children(&mut cursor) {
        let ok = match statement.kind_str() {
            "comment" | "continue_statement" | "pass_statement" => true,
            "expression_statement" => {
                statement
                    .named_child(0)
                    .is_some_and(|e| match e.kind_str() {
                        "call" => collecting_call(e, source),
                        "assignment" => {
                            e.child_by_field_id(*fid::LEFT)
                                .is_some_and(|l| l.kind_str() == "subscript")
                                && e.child_by_field_id(*fid::RIGHT)
                                    .is_some_and(|r| !contains_await(r))
                        }
                        _ => false,
                    })
            }
            "if_statement" => {
                let mut c = statement.walk();
                let branches_ok = statement.named_children(&mut c).all(|part| {
                    match part.kind_str() {
                        "block" => only_collects(part, source, depth + 1),
                        "elif_clause" | "else_clause" => part
                            .child_by_field_id(*fid::CONSEQUENCE)
                            .or_else(|| part.child_by_field_id(*fid::BODY))
                            .is_some_and(|b| only_collects(b, source, depth + 1)),
                        "comment" => true,
                        // The condition.
                        _ => !contains_await(part),
                    }
                });
                branches_ok
            }
            _ => false,
        };
        if !ok {
            return false;
        }
        any = true;
    }
    any
}

fn collecting_call(call: Node<'_>, source: &str) -> bool {
    let Some(function) = call.child_by_field_id(*fid::FUNCTION) else {
        return false;
    };
    function.kind_str() == "attribute"
        && function
            .child_by_field_id(*fid::ATTRIBUTE)
            .is_some_and(|a| COLLECTING_METHODS.contains(&text(a, source)))
        && !contains_await(call)
}

/// Does the subtree hold an `await` (a huge subtree counts as yes)?
fn contains_await(node: Node<'_>) -> bool {
    contains_kind(node, "await", 4096).unwrap_or(true)
}

#[cfg(test)]
mod tests {
    use super::is_collection_building_loop;

    fn first_for(source: &str) -> bool {
        let tree = crate::parse::parse(source).expect("parses");
        let root = tree.root_node();
        let mut cursor = root.walk();
        let node = root
            .named_children(&mut cursor)
            .find(|n| n.kind() == "for_statement")
            .expect("a for loop");
        is_collection_building_loop(node, source)
    }

    #[test]
    fn shaping_loops() {
        assert!(first_for("for m in ms:\n    out.append({'id': m.id})\n"));
        assert!(first_for(
            "for f in fs:\n    if f in allowed:\n        out.append(f)\n"
        ));
        assert!(first_for("for k, v in rows:\n    counts[k] = v\n"));
        assert!(!first_for("for m in ms:\n    await publish(m)\n"));
        assert!(!first_for("for m in ms:\n    out.append(await load(m))\n"));
        assert!(!first_for("for m in ms:\n    m.flag = True\n"));
        assert!(!first_for("for m in ms:\n    x = m.a\n    out.append(x)\n"));
        assert!(!first_for(
            "for m in ms:\n    out.append(m)\nelse:\n    pass\n"
        ));
        assert!(!first_for(
            "for m in ms:\n    for n in m:\n        out.append(n)\n"
        ));
    }
}
