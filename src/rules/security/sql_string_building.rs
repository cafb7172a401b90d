//! SEC001: SQL assembled by string formatting that reaches an execution sink.
//!
//! A value is followed through the local variables of its function (simple
//! assignments and `+=`), in document order, so `sql = f"..."` ten lines
//! above `cursor.execute(sql)` counts.

use std::ops::Range;

use tree_sitter::Node;

use crate::parse::NodeKind;

use super::sql_composition::SqlComposition;
use super::sql_value::{Dynamic, Env, How, Slot, Value, Values};
use crate::diagnostic::Severity;
use crate::python::ast::{self as pyast, fid};
use crate::python::semantic::ScopeId;
use crate::python::sqlalchemy::DRIVER_FETCH_METHODS;
use crate::rules::context::Cx;
use crate::rules::{Family, Rule, RuleMeta};

/// Methods that run the SQL string they are given.
const METHOD_SINKS: &[&str] = &[
    "execute",
    "executemany",
    "executescript",
    "execute_many",
    "exec_driver_sql",
    "exec",
    "raw",
    "read_sql",
    "read_sql_query",
];

fn is_method_sink(name: &str) -> bool {
    METHOD_SINKS.contains(&name) || DRIVER_FETCH_METHODS.contains(&name)
}

/// Sinks that only ever take SQL, whatever the receiver is called.
const SQL_ONLY_METHODS: &[&str] = &[
    "exec_driver_sql",
    "executemany",
    "executescript",
    "read_sql",
    "read_sql_query",
];

const TEXT_FUNCTIONS: &[&str] = &[
    "sqlalchemy.text",
    "sqlalchemy.sql.text",
    "sqlalchemy.sql.expression.text",
    "sqlmodel.text",
];

/// Keyword names under which drivers accept the statement.
const SQL_KEYWORD_ARGS: &[&str] = &["sql", "query", "statement", "operation", "stmt"];

enum SinkKind {
    Text,
    Method {
        receiver: Option<String>,
        method: String,
    },
}

struct Candidate {
    span: Range<usize>,
    callee: String,
    sink: SinkKind,
    how: How,
    slot: Slot,
    /// Where the sink is when the SQL was built elsewhere (the finding is
    /// reported where the SQL is built, as ruff's S608 is).
    sink_at: Option<usize>,
    sql: bool,
    /// Where the sink call is (its callee is resolved there).
    scope: ScopeId,
    at: usize,
}

/// What SEC001 and SEC008 share: the values of the file's bindings as far as
/// SQL building goes, and the formatted SQL that reached a sink, each with
/// the slot its runtime pieces fill. Each rule reports its own harm.
#[derive(Default)]
pub(super) struct SqlSinks {
    /// What the bindings of the semantic model this rule evaluated hold.
    values: Values,
    candidates: Vec<Candidate>,
    /// Whether the file is skipped: a migration, or no sink name appears in
    /// its text, or this is SEC008 and SEC001 runs too (SEC001 then
    /// evaluates once for both); decided on the first visit, once per file.
    skip: Option<bool>,
}

/// Which findings of [`SqlSinks`] a rule reports.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Harm {
    /// A runtime value formatted where SQL has a value (SEC001).
    Values,
    /// Names and fragments the code composes into SQL (SEC008).
    Composed,
}

/// Node kinds [`SqlSinks`] visits.
pub(super) const SQL_KINDS: &[&str] = &[
    "call",
    "assignment",
    "augmented_assignment",
    "for_statement",
];

/// Text one of the sinks' names leaves in a file (`text(`, `sa_text(`,
/// `execute`, `exec_driver_sql`, `.raw(`, `read_sql`, `fetch*`).
fn may_hold_sink(source: &str) -> bool {
    ["exec", "text(", "fetch", "read_sql", "raw("]
        .iter()
        .any(|needle| source.contains(needle))
}

#[derive(Default)]
pub struct SqlStringBuilding(SqlSinks);

impl Rule for SqlStringBuilding {
    const META: RuleMeta = RuleMeta {
        code: "SEC001",
        name: "sql-string-building",
        family: Family::Security,
        severity: Severity::Blocker,
        fixable: false,
        summary: "SQL built with an f-string, `+`, `%` or `.format()` reaches `text()`, `.execute()` or another SQL sink",
        help: "keep the SQL constant and pass values as bound parameters: `text(\"... WHERE id = :id\")` with `{\"id\": id}`, or `cursor.execute(sql, params)`",
        doc: include_str!("../../../rules/SEC001.md"),
        security_severity: Some("8.8"),
    };
    const KINDS: &'static [&'static str] = SQL_KINDS;

    fn visit(&mut self, node: Node<'_>, cx: &mut Cx<'_>) {
        self.0.visit(node, cx, Harm::Values);
    }

    fn finish(&mut self, cx: &mut Cx<'_>) {
        self.0.finish(cx, Harm::Values);
    }
}

impl SqlSinks {
    /// Visits `node` for the rule that reports `owner`.
    pub(super) fn visit(&mut self, node: Node<'_>, cx: &mut Cx<'_>, owner: Harm) {
        if *self.skip.get_or_insert_with(|| {
            (owner == Harm::Composed && cx.is_enabled(SqlStringBuilding::META.code))
                || pyast::is_migration_path(&cx.file.rel)
                || !may_hold_sink(cx.source)
        }) {
            return;
        }
        match node.kind_str() {
            "call" => self.visit_call(node, cx),
            "for_statement" => {
                // `for column in ("a", "b"):` iterates over constants.
                let Some((left, right)) = pyast::left_right(node) else {
                    return;
                };
                if left.kind_str() != "identifier" {
                    return;
                }
                let is_range = right.kind_str() == "call"
                    && right
                        .child_by_field_id(*fid::FUNCTION)
                        .is_some_and(|f| cx.text(f) == "range");
                if !is_range && !matches!(right.kind_str(), "list" | "tuple" | "set") {
                    return;
                }
                let env = Env::of(cx, node);
                // `range()` yields integers, which cannot carry SQL.
                if is_range || self.values.eval(right, env, 0).constant {
                    self.record(cx, env.scope, left, right.end_byte(), Value::constant(true));
                }
            }
            "assignment" => {
                let Some((left, right)) = cx.assignment_left().zip(cx.assignment_right()) else {
                    return;
                };
                if left.kind_str() != "identifier" {
                    return;
                }
                let env = Env::of(cx, node);
                let value = self.values.eval(right, env, 0);
                if value.stringish || value.constant || value.dynamic.is_some() {
                    self.record(cx, env.scope, left, node.end_byte(), value);
                }
            }
            _ => {
                let (Some(left), Some(right), Some(op)) = (
                    node.child_by_field_id(*fid::LEFT),
                    node.child_by_field_id(*fid::RIGHT),
                    node.child_by_field_id(*fid::OPERATOR),
                ) else {
                    return;
                };
                let op = cx.text(op);
                if left.kind_str() != "identifier" || !(op == "+=" || op == "%=") {
                    return;
                }
                let env = Env::of(cx, node);
                let right_value = self.values.eval(right, env, 0);
                let old = self.values.lookup(env, left);
                let stringish = old.stringish || right_value.stringish;
                let constant = old.constant && right_value.constant;
                let how = if op == "+=" {
                    How::Concat
                } else {
                    How::Percent
                };
                let piece = right_value.dynamic.or_else(|| {
                    (stringish && !right_value.constant).then_some(Dynamic {
                        how,
                        start: node.start_byte(),
                        end: node.end_byte(),
                        slot: old.tail_slot.unwrap_or(Slot::Fragment),
                    })
                });
                let dynamic = match (old.dynamic, piece) {
                    (Some(d), Some(p)) if p.slot > d.slot => Some(p),
                    (d, p) => d.or(p),
                };
                let value = Value {
                    stringish,
                    constant,
                    dynamic,
                    sql: old.sql || right_value.sql,
                    ..Value::default()
                };
                self.record(cx, env.scope, left, node.end_byte(), value);
            }
        }
    }

    /// Reports the findings of the rule that reports `owner`: SEC001's
    /// checker also reports SEC008's when that rule is enabled (SEC008's
    /// own checker then skipped the file).
    pub(super) fn finish(&mut self, cx: &mut Cx<'_>, owner: Harm) {
        let composed = SqlComposition::META.code;
        if owner == Harm::Values && cx.is_enabled(composed) {
            self.report(cx, Harm::Composed, Some(composed));
        }
        self.report(cx, owner, None);
    }

    /// Reports the findings of `harm`, under `code` (else the visiting rule's).
    fn report(&self, cx: &mut Cx<'_>, harm: Harm, code: Option<&'static str>) {
        // One finding per place the SQL is built, whatever number of sinks it reaches.
        let mut reported: Vec<Range<usize>> = Vec::new();
        for c in &self.candidates {
            let mine = match harm {
                Harm::Values => c.slot == Slot::Value,
                Harm::Composed => c.slot != Slot::Value,
            };
            if !mine || reported.contains(&c.span) {
                continue;
            }
            let sink = match &c.sink {
                SinkKind::Text => {
                    let resolved = cx
                        .semantic
                        .resolves_to(&c.callee, c.scope, c.at, TEXT_FUNCTIONS)
                        .is_some();
                    if !(resolved || c.sql) {
                        continue;
                    }
                    format!("`{}()`", c.callee)
                }
                SinkKind::Method { receiver, method } => {
                    let db_receiver = receiver
                        .as_deref()
                        .is_some_and(|r| is_db_name(pyast::last_segment(r)));
                    if !(c.sql || db_receiver || SQL_ONLY_METHODS.contains(&method.as_str())) {
                        continue;
                    }
                    format!("`{}()`", c.callee)
                }
            };
            let at = c
                .sink_at
                .map(|at| format!(" on line {}", line_of(cx.source, at)))
                .unwrap_or_default();
            let how = c.how.describe();
            let message = match c.slot {
                Slot::Value => format!(
                    "SQL built with {how} reaches {sink}{at}; pass values as bound parameters instead of formatting them into the statement"
                ),
                Slot::Name => format!(
                    "SQL built with {how} that formats a name (table, column, schema or keyword) into the statement reaches {sink}{at}; no bound parameter can carry a name: check it against an allowlist of known names, quote it with the dialect's preparer (`engine.dialect.identifier_preparer.quote(name)`) or psycopg's `sql.Identifier`, or build the statement with SQLAlchemy Core (`table(name)`, `column(name)`)"
                ),
                Slot::Setting => format!(
                    "SQL built with {how} formats a value into a statement that takes no bound parameters (`PRAGMA`, `SET`, DDL) and reaches {sink}{at}; validate the value before formatting it (`int(...)` for a number, an allowlist for a word), or use a function that takes parameters (PostgreSQL's `set_config(...)`)"
                ),
                Slot::Fragment => format!(
                    "SQL built with {how} from a fragment composed at runtime reaches {sink}{at}; make sure every fragment is constant SQL with bound parameters for its values, or compose the statement with SQLAlchemy Core (`select(...).where(...)`) or psycopg's `sql.SQL(...).format(...)`"
                ),
            };
            reported.push(c.span.clone());
            match code {
                Some(code) => cx.report_span_as(code, c.span.clone(), message),
                None => cx.report_span(c.span.clone(), message),
            }
        }
    }

    fn visit_call(&mut self, node: Node<'_>, cx: &mut Cx<'_>) {
        let Some(function) = cx.call_function() else {
            return;
        };
        let (name, receiver) = match function.kind_str() {
            "identifier" => (cx.text(function), None),
            "attribute" => match cx.callee_attribute() {
                Some(a) => (cx.text(a), function.child_by_field_id(*fid::OBJECT)),
                None => return,
            },
            _ => return,
        };
        let scope = cx.scope(node);
        let at_call = node.start_byte();
        // `text(...)`, and `sa_text(...)` after `from sqlalchemy import text as sa_text`.
        let is_text = name == "text"
            || (receiver.is_none()
                && cx
                    .semantic
                    .resolves_to(name, scope, at_call, TEXT_FUNCTIONS)
                    .is_some());
        if !is_text && (receiver.is_none() || !is_method_sink(name)) {
            return;
        }
        let Some(args) = pyast::call_arguments(node) else {
            return;
        };
        let Some(arg) = pyast::positional_arg(args, 0).or_else(|| {
            SQL_KEYWORD_ARGS
                .iter()
                .find_map(|k| pyast::keyword_arg(args, k, cx.source))
        }) else {
            return;
        };
        let value = self.values.eval(arg, Env::of(cx, node), 0);
        let Some(Dynamic {
            how,
            start,
            end,
            slot,
        }) = value.dynamic
        else {
            return;
        };
        let callee = pyast::dotted_name(function, cx.source)
            .map(|d| d.into_owned())
            .unwrap_or_else(|| format!(".{name}"));
        let sink = if is_text {
            SinkKind::Text
        } else {
            SinkKind::Method {
                receiver: receiver
                    .and_then(|r| pyast::dotted_name(r, cx.source))
                    .map(|r| r.into_owned()),
                method: name.to_owned(),
            }
        };
        let arg = pyast::unparenthesize(arg);
        let (span, sink_at) = if arg.kind_str() == "identifier" {
            (start..end, Some(arg.start_byte()))
        } else {
            (arg.byte_range(), None)
        };
        self.candidates.push(Candidate {
            span,
            callee,
            sink,
            how,
            slot,
            sink_at,
            sql: value.sql,
            scope,
            at: at_call,
        });
    }

    /// What is known of the value the binding made by this statement gives
    /// `name` (the semantic model made the binding before the rule's visit).
    fn record(&mut self, cx: &Cx<'_>, scope: ScopeId, name: Node<'_>, at: usize, value: Value) {
        if let Some(id) = cx
            .semantic
            .lookup_id(scope, cx.text(name), at)
            .filter(|id| cx.semantic.binding(*id).at == at)
        {
            self.values.set(id, value);
        }
    }
}

/// Receivers that are database handles by name.
fn is_db_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    let lower = lower.trim_start_matches('_');
    matches!(
        lower,
        "cursor"
            | "cur"
            | "c"
            | "conn"
            | "connection"
            | "con"
            | "db"
            | "database"
            | "session"
            | "engine"
            | "tx"
            | "transaction"
            | "sess"
            | "dbapi_connection"
    ) || lower.ends_with("cursor")
        || lower.ends_with("_conn")
        || lower.ends_with("connection")
        || lower.ends_with("session")
        || lower.ends_with("_db")
        || lower.ends_with("_engine")
}

fn line_of(source: &str, offset: usize) -> usize {
    source
        .get(..offset)
        .map_or(1, |s| s.bytes().filter(|b| *b == b'\n').count() + 1)
}

#[cfg(test)]
mod tests {
    use super::super::sql_slot::looks_like_sql;

    #[test]
    fn sql_words() {
        assert!(looks_like_sql("SELECT * FROM users WHERE id = "));
        assert!(looks_like_sql(" AND name = ' ORDER BY x LIMIT "));
        assert!(!looks_like_sql("Hello {name}, welcome"));
        assert!(!looks_like_sql("selected"));
    }
}
