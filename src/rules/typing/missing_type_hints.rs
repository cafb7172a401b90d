//! TYP002: functions in non-test code without parameter or return annotations.

use tree_sitter::Node;

use crate::parse::NodeKind;

use crate::diagnostic::Severity;
use crate::python::ast::{self as pyast, fid};
use crate::python::fastapi::{self, Routers};
use crate::rules::context::Cx;
use crate::rules::{Family, Rule, RuleMeta};

#[derive(Default)]
pub struct MissingTypeHints {
    routers: Routers,
}

impl Rule for MissingTypeHints {
    const META: RuleMeta = RuleMeta {
        code: "TYP002",
        name: "missing-type-hints",
        family: Family::Typing,
        severity: Severity::Warning,
        fixable: false,
        summary: "A function parameter (other than `self`/`cls`) or return value without a type annotation",
        help: "annotate every parameter and the return type (`-> None` when nothing is returned)",
        doc: include_str!("../../../rules/TYP002.md"),
        security_severity: None,
    };
    const KINDS: &'static [&'static str] = &["assignment", "function_definition"];

    fn visit(&mut self, node: Node<'_>, cx: &mut Cx<'_>) {
        if cx.file.is_test || cx.migration {
            return;
        }
        if node.kind_str() == "assignment" {
            self.routers.observe(node, cx.fields(), cx.source);
            return;
        }
        // `@override`: the signature is the base class's, typed there.
        let decorators = pyast::decorators(node, cx.parent());
        if decorators.iter().any(|d| {
            let callee = pyast::decorator_callee(*d);
            pyast::last_segment(cx.text(callee)) == "override"
        }) {
            return;
        }
        let Some(name) = node.child_by_field_id(*fid::NAME) else {
            return;
        };
        let function = cx.text(name);
        let mut missing: Vec<String> = Vec::new();
        if let Some(params) = node.child_by_field_id(*fid::PARAMETERS) {
            let mut cursor = params.walk();
            for (i, p) in params
                .named_children(&mut cursor)
                .filter(|p| p.kind_str() != "comment")
                .enumerate()
            {
                let shown = match p.kind_str() {
                    "identifier" => {
                        let n = cx.text(p);
                        if i == 0 && matches!(n, "self" | "cls" | "mcs" | "metacls") {
                            continue;
                        }
                        // A dummy parameter (`_`, `__`) is never read.
                        if n.bytes().all(|b| b == b'_') {
                            continue;
                        }
                        n.to_owned()
                    }
                    "default_parameter" => match p.child_by_field_id(*fid::NAME) {
                        Some(n) => cx.text(n).to_owned(),
                        None => continue,
                    },
                    "list_splat_pattern" | "dictionary_splat_pattern" => cx.text(p).to_owned(),
                    // Typed parameters, `*` and `/` separators.
                    _ => continue,
                };
                missing.push(format!("`{shown}`"));
            }
        }
        let missing_return = node.child_by_field_id(*fid::RETURN_TYPE).is_none()
            && function != "__init__"
            && !self.declares_response_model(node, cx);
        if missing.is_empty() && !missing_return {
            return;
        }
        let mut parts = Vec::new();
        match missing.len() {
            0 => {}
            1 => parts.push(format!("parameter {}", missing[0])),
            _ => parts.push(format!("parameters {}", missing.join(", "))),
        }
        if missing_return {
            parts.push("the return type".to_owned());
        }
        cx.report(
            name,
            format!(
                "`{function}` is missing type hints: {}",
                parts.join(" and ")
            ),
        );
    }
}

impl MissingTypeHints {
    /// A route whose decorator sets `response_model=` documents and
    /// validates its response there; a return annotation would repeat it.
    fn declares_response_model(&self, def: Node<'_>, cx: &Cx<'_>) -> bool {
        fastapi::route_of(def, cx.parent(), cx.source, &self.routers, cx.imports)
            .and_then(|route| route.call)
            .and_then(pyast::call_arguments)
            .is_some_and(|args| pyast::keyword_arg(args, "response_model", cx.source).is_some())
    }
}
