//! What a route declares and returns, for the response-envelope rule
//! (API001): the outermost name of its declared type and the shape of each
//! `return` of the handler.

use crate::python::name::Name;
use tree_sitter::Node;

use super::collect::{name_ref, spot, At};
use super::{NameRef, ReturnFact, ReturnShape};
use crate::parse::NodeKind;
use crate::python::ast::{self as pyast, fid};
use crate::python::descent::Descent;

/// Returns of one handler kept at most.
const MAX_RETURNS: usize = 64;
/// Nodes of one handler looked at, at most.
const MAX_NODES: usize = 20_000;
/// Keys of one returned dict kept at most.
const MAX_KEYS: usize = 32;

/// The outermost name of a type expression: `Envelope` for
/// `Envelope[User]`, `list` for `list[User]`, `schemas.Page` for
/// `"schemas.Page[Item]"`; `None` for `A | B` and other shapes.
pub fn head(node: Node<'_>, offset: usize, at: &At<'_, '_>) -> Option<NameRef> {
    let mut n = node;
    for _ in 0..8 {
        match n.kind_str() {
            "type" | "parenthesized_expression" => n = n.named_child(0)?,
            "subscript" => n = n.child_by_field_id(*fid::VALUE)?,
            "generic_type" => n = n.named_child(0)?,
            "identifier" | "attribute" => return name_ref(n, offset, at),
            "string" => {
                let text = pyast::string_text(n, at.source);
                let word: String = text
                    .trim()
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '.')
                    .collect();
                if word.is_empty() {
                    return None;
                }
                let qualified =
                    at.semantic
                        .qualified_name(&word, crate::python::semantic::MODULE, offset);
                return Some(NameRef {
                    written: Name::from(word),
                    qualified: qualified.map(Name::from),
                });
            }
            _ => return None,
        }
    }
    None
}

/// The `return`s of handler `def` (not of functions, lambdas or classes
/// nested in it) whose value has a shape the rule can judge.
pub fn returns(def: Node<'_>, at: &At<'_, '_>) -> Vec<ReturnFact> {
    let mut out = Vec::new();
    let Some(body) = def.child_by_field_id(*fid::BODY) else {
        return out;
    };
    let mut walk = Descent::new(body, MAX_NODES);
    while let Some(n) = walk.next() {
        if out.len() >= MAX_RETURNS {
            break;
        }
        match n.kind_str() {
            "function_definition" | "lambda" | "class_definition" => walk.skip_children(),
            "return_statement" => {
                if let Some(shape) = n.named_child(0).and_then(|v| shape(v, at)) {
                    out.push(ReturnFact {
                        shape,
                        spot: spot(n, at),
                    });
                }
                walk.skip_children();
            }
            _ => {}
        }
    }
    out
}

fn shape(value: Node<'_>, at: &At<'_, '_>) -> Option<ReturnShape> {
    let value = pyast::unparenthesize(value);
    match value.kind_str() {
        "call" => {
            let mut callee = value.child_by_field_id(*fid::FUNCTION)?;
            // `Envelope[User](data=...)`
            if callee.kind_str() == "subscript" {
                callee = callee.child_by_field_id(*fid::VALUE)?;
            }
            name_ref(callee, value.start_byte(), at).map(ReturnShape::Call)
        }
        "dictionary" => {
            let mut keys = Vec::new();
            let mut complete = true;
            let mut cursor = value.walk();
            for item in value.named_children(&mut cursor) {
                match item.kind_str() {
                    "pair" => match item.child_by_field_id(*fid::KEY) {
                        Some(k) if pyast::is_constant_string(k) && keys.len() < MAX_KEYS => {
                            keys.push(pyast::string_text(k, at.source).into_owned());
                        }
                        _ => complete = false,
                    },
                    "comment" => {}
                    _ => complete = false,
                }
            }
            Some(ReturnShape::Dict {
                keys: keys.into_iter().map(Name::from).collect(),
                complete,
            })
        }
        "list"
        | "list_comprehension"
        | "tuple"
        | "string"
        | "concatenated_string"
        | "integer"
        | "float"
        | "true"
        | "false"
        | "set"
        | "dictionary_comprehension" => Some(ReturnShape::Literal(Name::from(
            value.kind_str().replace('_', " "),
        ))),
        _ => None,
    }
}
