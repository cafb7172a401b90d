//! Raises of builtin exception classes (`raise Exception("not found")`,
//! `raise BaseException`, `err = RuntimeError(...); raise err`), gathered for
//! ERR001, which keeps those of the classes it is configured with.
//!
//! Not a builtin raise: a bare `raise`; a name bound in the file (an import,
//! a class, a parameter, the caught exception of `except ... as e`), so
//! `from app.errors import Exception` or `raise e` is never taken for the
//! builtin; and a new exception raised `from` the caught one
//! (`except KeyError as e: raise Exception("...") from e`), a translation
//! that keeps the original as its cause.

use tree_sitter::Node;

use crate::parse::NodeKind;
use crate::python::ast::{fid, text};
use crate::python::semantic::{BindingKind, ScopeId, Semantic};

/// The builtin class `raise` (a `raise_statement`) raises, by name.
pub fn builtin_raise<'s>(
    raise: Node<'_>,
    ancestors: &[Node<'_>],
    source: &'s str,
    semantic: &Semantic<'s>,
) -> Option<&'s str> {
    let cause = raise.child_by_field_id(*fid::CAUSE);
    let exc = raise
        .named_child(0)
        .filter(|e| Some(e.id()) != cause.map(|c| c.id()))?;
    let scope = semantic.scope_of(ancestors, raise);
    if let Some(cause) = cause.filter(|c| c.kind_str() == "identifier") {
        if semantic.caught_at(scope, text(cause, source), cause.start_byte()) {
            return None;
        }
    }
    builtin_class(exc, scope, exc.start_byte(), source, semantic, true)
}

/// `Exception`, `Exception(...)`, `builtins.Exception(...)`; with
/// `follow`, a name assigned one of those (`err = Exception(...)`).
fn builtin_class<'s>(
    expr: Node<'_>,
    scope: ScopeId,
    at: usize,
    source: &'s str,
    semantic: &Semantic<'s>,
    follow: bool,
) -> Option<&'s str> {
    let is_call = expr.kind_str() == "call";
    let callee = if is_call {
        expr.child_by_field_id(*fid::FUNCTION)?
    } else {
        expr
    };
    match callee.kind_str() {
        "identifier" => {
            let name = text(callee, source);
            match semantic.lookup(scope, name, at) {
                None => name
                    .starts_with(|c: char| c.is_ascii_uppercase())
                    .then_some(name),
                // `err = Exception("x")` ... `raise err`
                Some(binding) if follow && !is_call => match binding.kind {
                    BindingKind::Assignment {
                        value: Some(value),
                        unpacked: false,
                        ..
                    } if value.kind_str() == "call" => builtin_class(
                        value,
                        binding.scope,
                        value.start_byte(),
                        source,
                        semantic,
                        false,
                    ),
                    _ => None,
                },
                Some(_) => None,
            }
        }
        "attribute" => {
            let dotted = crate::python::ast::dotted_name(callee, source)?;
            let qualified = semantic.qualified_name(&dotted, scope, at)?;
            let name = qualified.strip_prefix("builtins.")?;
            // Borrow the class name from the file's text (`builtins.Exception`).
            let attr = callee.child_by_field_id(*fid::ATTRIBUTE)?;
            let written = text(attr, source);
            (written == name).then_some(written)
        }
        _ => None,
    }
}
