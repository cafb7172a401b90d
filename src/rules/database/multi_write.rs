//! DB002: a function writes two or more times through a session and
//! commits, outside `session.begin()` and without a `try` that rolls back.
//!
//! The writes and their context come from [`crate::python::transaction`];
//! a session parameter injected by a dependency provider that manages the
//! transaction itself (it yields inside `session.begin()` or rolls back on
//! error), in this module or another, counts as managed: that question is
//! deferred to the project symbol table (`Question::UnmanagedSession`).

use crate::python::name::Name;
use tree_sitter::Node;

use crate::diagnostic::Severity;
use crate::parse::NodeKind;
use crate::project::symbols::{NameRef, Question};
use crate::project::FactSet;
use crate::python::ast::{self as pyast, fid, Descent};
use crate::python::semantic::{BindingKind, ScopeKind, MODULE};
use crate::python::transaction::{self, EventKind};
use crate::rules::context::Cx;
use crate::rules::{Family, Rule, RuleMeta};

/// Decorator names that wrap a function in a transaction.
const TRANSACTION_DECORATORS: &[&str] =
    &["transaction", "transactional", "atomic", "in_transaction"];

#[derive(Default)]
pub struct MultiWriteWithoutTransaction;

impl Rule for MultiWriteWithoutTransaction {
    const META: RuleMeta = RuleMeta {
        code: "DB002",
        name: "multi-write-without-transaction",
        family: Family::Database,
        severity: Severity::Warning,
        fixable: false,
        summary: "Two or more writes through a session and a commit, outside `session.begin()` and without a rollback on error",
        help: "wrap the writes in `async with session.begin():` (or `with session.begin():`), or roll back in an `except` around them",
        doc: include_str!("../../../rules/DB002.md"),
        security_severity: None,
    };
    // The work is done in `finish`, over the scopes of the semantic model.
    const KINDS: &'static [&'static str] = &["module"];
    const NEEDS: FactSet = FactSet::IMPORTS.union(FactSet::SYMBOLS);

    fn visit(&mut self, _node: Node<'_>, _cx: &mut Cx<'_>) {}

    fn finish(&mut self, cx: &mut Cx<'_>) {
        // Tests seed data and migrations run once, under Alembic's transaction.
        if cx.file.is_test || cx.migration || pyast::is_migration_path(&cx.file.rel) {
            return;
        }
        let semantic = cx.semantic;
        for (scope, s) in semantic.scopes().iter().enumerate() {
            if !matches!(s.kind, ScopeKind::Function { .. }) {
                continue;
            }
            let def = s.node;
            if has_transaction_decorator(def, cx.source) {
                continue;
            }
            let Some(body) = def.child_by_field_id(*fid::BODY) else {
                continue;
            };
            // A unit of work ends in a `.commit()` call, whose method name is
            // in the body's text: a body without the word has no commit event
            // and is not walked (most functions of most files).
            if !cx
                .source
                .get(body.byte_range())
                .is_some_and(|text| text.contains("commit"))
            {
                continue;
            }
            let parameters: Vec<String> = pyast::parameter_names(def, cx.source)
                .into_iter()
                .map(str::to_owned)
                .collect();
            let events = transaction::events_in(body, cx.source, Some(&parameters));
            if !events.iter().any(|e| e.kind == EventKind::Commit) {
                continue;
            }
            let mut receivers: Vec<&str> = Vec::new();
            for e in &events {
                if e.kind == EventKind::Commit && !receivers.contains(&e.receiver.as_str()) {
                    receivers.push(&e.receiver);
                }
            }
            for receiver in receivers {
                let mut writes: Vec<&str> = Vec::new();
                for e in events.iter().filter(|e| e.receiver == receiver) {
                    match e.kind {
                        EventKind::Write(method) if !e.managed => writes.push(method),
                        EventKind::Execute(Some(statement))
                            if !e.managed && is_write(statement, scope, cx) =>
                        {
                            writes.push("execute");
                        }
                        EventKind::Commit if !e.managed && writes.len() >= 2 => {
                            report(cx, scope, receiver, &writes, e.node);
                            break;
                        }
                        // A commit ends the unit of work: the writes after it are a new one.
                        EventKind::Commit => writes.clear(),
                        _ => {}
                    }
                }
            }
        }
    }
}

fn report(cx: &mut Cx<'_>, scope: usize, receiver: &str, writes: &[&str], commit: Node<'_>) {
    let mut kinds: Vec<&str> = writes.to_vec();
    kinds.dedup();
    let shown: Vec<String> = kinds.iter().map(|k| format!("`{k}`")).collect();
    let message = format!(
        "`{receiver}.commit()` after {} writes ({}) made outside `{receiver}.begin()` and without a rollback on error: a failure part-way leaves the earlier writes pending in the session; wrap them in `with {receiver}.begin():` or roll back in an `except`",
        writes.len(),
        shown.join(", ")
    );
    let providers = session_providers(cx, scope, receiver, commit.start_byte());
    if providers.is_empty() {
        cx.report(commit, message);
    } else {
        cx.defer(
            commit.byte_range(),
            message,
            Question::UnmanagedSession { providers },
        );
    }
}

/// `@transactional`, `@atomic`, `@db.transaction()`.
fn has_transaction_decorator(def: Node<'_>, source: &str) -> bool {
    pyast::decorators(def, def.parent()).into_iter().any(|d| {
        pyast::dotted_name(pyast::decorator_callee(d), source).is_some_and(|name| {
            let last = pyast::last_segment(&name).to_ascii_lowercase();
            TRANSACTION_DECORATORS.contains(&last.as_str())
        })
    })
}

/// Does the executed statement write: `insert(...)`/`update(...)`/
/// `delete(...)`, a name bound to one, or `text("UPDATE ...")`?
fn is_write(statement: Node<'_>, scope: usize, cx: &Cx<'_>) -> bool {
    if transaction::is_write_statement(statement, cx.source) {
        return true;
    }
    let statement = pyast::unparenthesize(statement);
    match statement.kind_str() {
        "identifier" => cx
            .semantic
            .lookup(scope, cx.text(statement), statement.start_byte())
            .and_then(|b| b.value())
            .is_some_and(|v| transaction::is_write_statement(v, cx.source) || is_write_text(v, cx)),
        _ => is_write_text(statement, cx),
    }
}

/// `text("INSERT ...")`, `sa.text("DELETE ...")`.
fn is_write_text(node: Node<'_>, cx: &Cx<'_>) -> bool {
    if node.kind_str() != "call" || pyast::callee_name(node, cx.source) != Some("text") {
        return false;
    }
    let Some(sql) = pyast::call_arguments(node).and_then(|a| pyast::positional_arg(a, 0)) else {
        return false;
    };
    if sql.kind_str() != "string" {
        return false;
    }
    let sql = pyast::string_text(sql, cx.source);
    let first = sql
        .split_whitespace()
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    matches!(first.as_str(), "insert" | "update" | "delete")
}

/// The dependency providers the receiver's parameter is injected by
/// (`db: Session = Depends(get_db)`, `db: Annotated[Session, Depends(get_db)]`,
/// `db: DbSession` where `DbSession` may be such an alias), as names of the
/// module scope.
fn session_providers(cx: &Cx<'_>, scope: usize, receiver: &str, at: usize) -> Vec<NameRef> {
    let head = pyast::first_segment(receiver);
    if head != receiver {
        return Vec::new();
    }
    let Some(binding) = cx.semantic.lookup(scope, head, at) else {
        return Vec::new();
    };
    let BindingKind::Parameter {
        annotation,
        default,
    } = binding.kind
    else {
        return Vec::new();
    };
    if binding.scope != scope {
        return Vec::new();
    }
    let mut out = Vec::new();
    for node in [annotation, default].into_iter().flatten() {
        collect_providers(node, cx, &mut out);
    }
    if let Some(annotation) = annotation {
        // `db: DbSession`: the annotation itself may be an alias of one.
        if matches!(annotation.kind_str(), "identifier" | "attribute" | "type") {
            let inner = if annotation.kind_str() == "type" {
                annotation.named_child(0).unwrap_or(annotation)
            } else {
                annotation
            };
            if let Some(r) = name_ref(inner, cx) {
                out.push(r);
            }
        }
    }
    out
}

fn collect_providers(node: Node<'_>, cx: &Cx<'_>, out: &mut Vec<NameRef>) {
    // 255 nodes, as many as the explicit-stack loop this replaced visited.
    let mut walk = Descent::new(node, 255);
    while let Some(n) = walk.next() {
        if n.kind_str() != "call" {
            continue;
        }
        let marker = n
            .child_by_field_id(*fid::FUNCTION)
            .and_then(|f| pyast::dotted_name(f, cx.source))
            .is_some_and(|c| crate::python::fastapi::is_dependency_marker(&c));
        if marker {
            if let Some(r) = pyast::call_arguments(n)
                .and_then(|a| pyast::positional_arg(a, 0))
                .and_then(|p| name_ref(p, cx))
            {
                out.push(r);
            }
            walk.skip_children();
        }
    }
}

fn name_ref(node: Node<'_>, cx: &Cx<'_>) -> Option<NameRef> {
    let written = pyast::dotted_name(node, cx.source)?;
    let qualified = cx
        .semantic
        .qualified_name(&written, MODULE, node.start_byte());
    Some(NameRef {
        written: Name::new(&written),
        qualified: qualified.map(Name::from),
    })
}
