//! DB001: an awaited database or repository call inside a loop body or a
//! comprehension, the N+1 query pattern.

use tree_sitter::Node;

use crate::parse::NodeKind;

use crate::diagnostic::Severity;
use crate::python::ast::{self as pyast, fid};
use crate::python::sqlalchemy::DRIVER_FETCH_METHODS;
use crate::rules::context::Cx;
use crate::rules::{Family, Rule, RuleMeta};

/// Methods that run a query whatever the receiver is called.
const QUERY_METHODS: &[&str] = &[
    "execute",
    "scalars",
    "scalar",
    "scalar_one",
    "scalar_one_or_none",
    "exec",
    "stream",
    "stream_scalars",
    "run_sync",
];

/// Methods of a session that do not query by themselves.
const NON_QUERY_METHODS: &[&str] = &[
    "add",
    "add_all",
    "delete",
    "expunge",
    "expunge_all",
    "close",
    "begin",
    "begin_nested",
    "rollback",
    "in_transaction",
    "is_modified",
];

#[derive(Default)]
pub struct QueryInLoop;

impl Rule for QueryInLoop {
    const META: RuleMeta = RuleMeta {
        code: "DB001",
        name: "query-in-loop",
        family: Family::Database,
        severity: Severity::Warning,
        fixable: false,
        summary: "An awaited database or repository call inside a loop or comprehension (N+1 queries)",
        help: "load what the loop needs in one query before it (`WHERE id IN (...)`, a join, `selectinload`), or batch the writes",
        doc: include_str!("../../../rules/DB001.md"),
        security_severity: None,
    };
    const KINDS: &'static [&'static str] = &["await"];

    fn visit(&mut self, node: Node<'_>, cx: &mut Cx<'_>) {
        // Tests seed data row by row and migrations run once: no N+1 cost.
        if cx.file.is_test || cx.migration || pyast::is_migration_path(&cx.file.rel) {
            return;
        }
        let Some(call) = node.named_child(0).filter(|c| c.kind_str() == "call") else {
            return;
        };
        let Some((object, method)) = pyast::method_call(call) else {
            return;
        };
        let method = cx.text(method);
        let receiver = pyast::dotted_name(object, cx.source);
        let db_receiver = receiver.as_deref().is_some_and(is_db_receiver);
        let is_query = if db_receiver {
            !NON_QUERY_METHODS.contains(&method)
        } else {
            QUERY_METHODS.contains(&method) || DRIVER_FETCH_METHODS.contains(&method)
        };
        if !is_query {
            return;
        }
        let Some(kind) = loop_around(node, cx.ancestors) else {
            return;
        };
        let shown = match receiver {
            Some(r) => format!("{r}.{method}"),
            None => format!(".{method}"),
        };
        cx.report(
            node,
            format!("`await {shown}()` inside a {kind} runs one query per iteration (N+1); load the data in one query before the {kind}"),
        );
    }
}

/// `session`, `db`, `self.session`, `user_repository`, `self.repo`, `crud.user`.
fn is_db_receiver(dotted: &str) -> bool {
    let segments: Vec<String> = dotted.split('.').map(|s| s.to_ascii_lowercase()).collect();
    let Some(last) = segments.last() else {
        return false;
    };
    let last = last.trim_start_matches('_');
    let session_like = matches!(last, "session" | "db" | "db_session" | "dbsession" | "sess")
        || last.ends_with("_session")
        || last.ends_with("_db");
    let repo_like = segments.iter().any(|s| {
        let s = s.trim_start_matches('_');
        s.ends_with("repository")
            || s.ends_with("repo")
            || s.ends_with("_repository")
            || s == "crud"
            || s.ends_with("_crud")
            || s.starts_with("crud_")
    });
    session_like || repo_like
}

/// The kind of loop whose every iteration evaluates `node`, stopping at the
/// enclosing function.
fn loop_around(node: Node<'_>, ancestors: &[Node<'_>]) -> Option<&'static str> {
    for (i, a) in ancestors.iter().enumerate().rev() {
        let child = ancestors.get(i + 1).copied().unwrap_or(node);
        match a.kind_str() {
            "function_definition" | "lambda" | "class_definition" => return None,
            "for_statement" | "while_statement"
                if a.child_by_field_id(*fid::BODY) == Some(child) =>
            {
                return Some("loop");
            }
            "list_comprehension"
            | "set_comprehension"
            | "dictionary_comprehension"
            | "generator_expression" => {
                let mut cursor = a.walk();
                let first_for = a
                    .named_children(&mut cursor)
                    .find(|c| c.kind_str() == "for_in_clause");
                // The first iterable is evaluated once; everything else per item.
                if first_for != Some(child) {
                    return Some("comprehension");
                }
            }
            _ => {}
        }
    }
    None
}
