//! Fields of the node the engine's walk is visiting that many consumers
//! read (a call's callee, an assignment's sides): looked up once per node
//! by the walk and handed to every rule and fact collector visiting it.
//!
//! A field lookup (`child_by_field_id`) scans the node's children and
//! descends through the grammar's hidden wrapper nodes (~250-400
//! instructions); a dozen rules read a call's callee and its last name, and
//! half a dozen an assignment's sides, on every such node of every file.

use tree_sitter::Node;

use crate::parse::NodeKind;
use crate::python::ast::fid;

/// The node kinds [`NodeFields::of`] reads fields of.
pub const FIELD_KINDS: &[&str] = &["call", "assignment"];

/// The shared fields of one visited node; all `None` for other kinds.
#[derive(Debug, Clone, Copy, Default)]
pub struct NodeFields<'t> {
    /// A call's `function` field (the callee expression).
    pub function: Option<Node<'t>>,
    /// The `attribute` field of a call's callee when the callee is an
    /// `attribute` (`m` of `a.b.m(...)`).
    pub callee_attribute: Option<Node<'t>>,
    /// An assignment's `left` field.
    pub left: Option<Node<'t>>,
    /// An assignment's `right` field (`None` for `x: T` without a value).
    pub right: Option<Node<'t>>,
}

impl<'t> NodeFields<'t> {
    /// The fields of `node` (a call, an assignment or any other node).
    pub fn of(node: Node<'t>) -> NodeFields<'t> {
        match node.kind_str() {
            "call" => {
                let function = node.child_by_field_id(*fid::FUNCTION);
                let callee_attribute = function
                    .filter(|f| f.kind_str() == "attribute")
                    .and_then(|f| f.child_by_field_id(*fid::ATTRIBUTE));
                NodeFields {
                    function,
                    callee_attribute,
                    ..NodeFields::default()
                }
            }
            "assignment" => NodeFields {
                left: node.child_by_field_id(*fid::LEFT),
                right: node.child_by_field_id(*fid::RIGHT),
                ..NodeFields::default()
            },
            _ => NodeFields::default(),
        }
    }

    /// The last name of a call's callee, as `ast::last_name` of the
    /// `function` field reads it: `f` of `f(...)`, `m` of `a.b.m(...)`;
    /// `None` for any other callee (and for a node that is not a call).
    pub fn callee_last_name<'s>(&self, source: &'s str) -> Option<&'s str> {
        let function = self.function?;
        match function.kind_str() {
            "identifier" => Some(crate::python::ast::text(function, source)),
            "attribute" => self
                .callee_attribute
                .map(|a| crate::python::ast::text(a, source)),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::python::ast::{last_name, left_right};

    /// The shared fields are the ones the field lookups return, on every
    /// call and assignment of a sample with the usual shapes.
    #[test]
    fn fields_match_direct_lookups() {
        let source =
            "x = f(1)\na.b.m(2)\n(g)(3)\nh()[0](4)\ny: int\nz: int = 5\na, b = c = d\nf'{k(1)}'\n";
        let tree = crate::parse::parse(source).expect("parse");
        let mut stack = vec![tree.root_node()];
        let (mut calls, mut assignments) = (0, 0);
        while let Some(node) = stack.pop() {
            let fields = NodeFields::of(node);
            match node.kind_str() {
                "call" => {
                    calls += 1;
                    let function = node.child_by_field_id(*fid::FUNCTION);
                    assert_eq!(fields.function, function);
                    assert_eq!(
                        fields.callee_last_name(source),
                        function.and_then(|f| last_name(f, source))
                    );
                }
                "assignment" => {
                    assignments += 1;
                    assert_eq!(fields.left, node.child_by_field_id(*fid::LEFT));
                    assert_eq!(fields.right, node.child_by_field_id(*fid::RIGHT));
                    assert_eq!(
                        fields.left.zip(fields.right),
                        left_right(node),
                        "{}",
                        node.to_sexp()
                    );
                }
                _ => {
                    assert!(fields.function.is_none() && fields.left.is_none());
                }
            }
            let mut cursor = node.walk();
            stack.extend(node.children(&mut cursor));
        }
        assert_eq!((calls, assignments), (6, 5));
    }
}
