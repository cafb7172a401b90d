//! Signatures and type annotations as the layer rules need them.

use tree_sitter::Node;

use super::collect::spot;
use super::*;
use crate::diagnostic::LineIndex;
use crate::parse::NodeKind;
use crate::python::ast::{fid, text};
use crate::python::fastapi::{self};

/// `a`, `a.b.c` as written, without whitespace; `None` for anything else
/// (and for chains too long to be a name anyone wrote on purpose).
pub fn dotted_name(node: Node<'_>, source: &str) -> Option<String> {
    const MAX_SEGMENTS: usize = 64;
    let mut parts: Vec<&str> = Vec::new();
    let mut at = node;
    loop {
        match at.kind_str() {
            "identifier" => {
                parts.push(text(at, source));
                break;
            }
            "attribute" if parts.len() < MAX_SEGMENTS => {
                parts.push(text(at.child_by_field_id(*fid::ATTRIBUTE)?, source));
                at = at.child_by_field_id(*fid::OBJECT)?;
            }
            _ => return None,
        }
    }
    parts.reverse();
    Some(parts.join("."))
}

/// Digest a type annotation (or a default value) without recursion.
pub fn digest(node: Node<'_>, source: &str) -> TypeDigest {
    let mut out = TypeDigest::default();
    let mut stack = vec![node];
    // Annotations are small; the cap only guards against pathological input.
    let mut budget = 2_000usize;
    while let Some(n) = stack.pop() {
        if budget == 0 {
            break;
        }
        budget -= 1;
        match n.kind_str() {
            "identifier" | "attribute" => {
                if let Some(name) = dotted_name(n, source) {
                    // Builtins and typing wrappers never name a session; not keeping
                    // them keeps the facts small.
                    if !is_plain_type(&name) && !out.names.contains(&name) && out.names.len() < 32 {
                        out.names.push(name);
                    }
                    continue;
                }
            }
            "call" => {
                let callee = n
                    .child_by_field_id(*fid::FUNCTION)
                    .and_then(|f| dotted_name(f, source));
                if callee.as_deref().is_some_and(fastapi::is_dependency_marker) {
                    if let Some(provider) = dependency_argument(n, source) {
                        out.providers.push(provider);
                    }
                    continue;
                }
            }
            "string" => {
                // A forward reference: `"AsyncSession"`.
                let raw = text(n, source).trim_matches(|c| c == '"' || c == '\'');
                if !raw.is_empty()
                    && raw
                        .chars()
                        .all(|c| c.is_alphanumeric() || c == '_' || c == '.')
                {
                    out.names.push(raw.to_owned());
                }
                continue;
            }
            _ => {}
        }
        let mut cursor = n.walk();
        let children: Vec<Node<'_>> = n.named_children(&mut cursor).collect();
        stack.extend(children.into_iter().rev());
    }
    out
}

pub(super) fn is_plain_type(name: &str) -> bool {
    matches!(
        name.strip_prefix("typing.").unwrap_or(name),
        "int"
            | "str"
            | "float"
            | "bool"
            | "bytes"
            | "dict"
            | "list"
            | "set"
            | "tuple"
            | "None"
            | "Any"
            | "Optional"
            | "Annotated"
            | "Union"
            | "Literal"
            | "Dict"
            | "List"
            | "Set"
            | "Tuple"
            | "uuid"
            | "UUID"
            | "datetime"
    )
}

/// The provider in `Depends(provider)` / `Depends(dependency=provider)`.
pub(super) fn dependency_argument(call: Node<'_>, source: &str) -> Option<String> {
    let args = call.child_by_field_id(*fid::ARGUMENTS)?;
    let mut cursor = args.walk();
    for arg in args.named_children(&mut cursor) {
        match arg.kind_str() {
            "keyword_argument" => {
                let name = arg.child_by_field_id(*fid::NAME).map(|n| text(n, source));
                if name == Some("dependency") {
                    return dotted_name(arg.child_by_field_id(*fid::VALUE)?, source);
                }
            }
            "comment" => {}
            _ => return dotted_name(arg, source),
        }
    }
    None
}

/// `@router.get("/x")` -> ("router", "get").
pub(super) fn route_decorator(decorator: Node<'_>, source: &str) -> Option<(String, &'static str)> {
    let call = decorator.named_child(0)?;
    if call.kind_str() != "call" {
        return None;
    }
    let function = call.child_by_field_id(*fid::FUNCTION)?;
    if function.kind_str() != "attribute" {
        return None;
    }
    let method = text(function.child_by_field_id(*fid::ATTRIBUTE)?, source);
    let method = *fastapi::ROUTE_METHODS.iter().find(|m| **m == method)?;
    let receiver = dotted_name(function.child_by_field_id(*fid::OBJECT)?, source)?;
    Some((receiver, method))
}

pub(super) fn parameters(params: Node<'_>, source: &str, lines: &LineIndex) -> Vec<Param> {
    let mut out = Vec::new();
    let mut cursor = params.walk();
    for p in params.named_children(&mut cursor) {
        let (name_node, annotation, default) = match p.kind_str() {
            "identifier" => (Some(p), None, None),
            "typed_parameter" => (
                p.named_child(0).filter(|n| n.kind_str() == "identifier"),
                p.child_by_field_id(*fid::TYPE),
                None,
            ),
            "default_parameter" => (
                p.child_by_field_id(*fid::NAME),
                None,
                p.child_by_field_id(*fid::VALUE),
            ),
            "typed_default_parameter" => (
                p.child_by_field_id(*fid::NAME),
                p.child_by_field_id(*fid::TYPE),
                p.child_by_field_id(*fid::VALUE),
            ),
            _ => continue,
        };
        let Some(name_node) = name_node else {
            continue;
        };
        let annotation_digest = annotation.map(|a| digest(a, source)).unwrap_or_default();
        let default_providers = default
            .map(|d| digest(d, source).providers)
            .unwrap_or_default();
        // `id: int`: annotated with nothing that could be a session, no provider.
        if annotation.is_some()
            && annotation_digest.names.is_empty()
            && annotation_digest.providers.is_empty()
            && default_providers.is_empty()
        {
            continue;
        }
        out.push(Param {
            name: text(name_node, source).to_owned(),
            has_annotation: annotation.is_some(),
            annotation: annotation_digest,
            default_providers,
            spot: spot(p, source, lines),
        });
    }
    out
}
