//! Where a function writes through a SQLAlchemy/SQLModel session and
//! commits, and whether each place is inside a transaction the code
//! manages: `with session.begin():` / `async with session.begin():`
//! (`begin_nested`, `sessionmaker.begin() as session` too), or the body of
//! a `try` whose `except` rolls the session back. Shared by DB002 (the
//! writes of a function) and the symbol facts (dependency providers that
//! `yield` a session inside such a block).

use tree_sitter::Node;

use crate::parse::NodeKind;
use crate::python::ast::{self as pyast, fid};

/// Session methods that write (`flush` sends writes, it does not make one).
pub const WRITE_METHODS: &[&str] = &["add", "add_all", "delete", "merge"];

/// Statement constructors whose execution writes: `insert(...)`,
/// `update(...)`, `delete(...)` (`sa.insert`, `table.insert()` too).
pub const WRITE_STATEMENTS: &[&str] = &["insert", "update", "delete"];

/// Methods that run a statement.
const EXECUTE_METHODS: &[&str] = &["execute", "exec"];

/// Nodes visited in one body at most (the bound keeps hostile input linear).
const MAX_NODES: usize = 50_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind<'t> {
    /// `receiver.add(...)`, `add_all`, `delete`, `merge`.
    Write(&'t str),
    /// `receiver.execute(statement)`: a write when the statement is one
    /// (the caller decides; `statement` is the first argument).
    Execute(Option<Node<'t>>),
    /// `receiver.commit()` (no arguments: a Git index's `commit("msg")` is not one).
    Commit,
    /// `yield` / `yield value` (the receiver is empty).
    Yield,
}

#[derive(Debug, Clone)]
pub struct Event<'t> {
    pub kind: EventKind<'t>,
    /// The receiver as written (`session`, `self.db`); empty for `yield`.
    pub receiver: String,
    pub node: Node<'t>,
    /// Inside a transaction block or rolled-back `try` of this receiver
    /// (for `yield`: of any receiver).
    pub managed: bool,
}

/// The session events of a function body in document order, nested
/// functions, lambdas and classes left out.
pub fn events<'t>(body: Node<'t>, source: &str) -> Vec<Event<'t>> {
    events_in(body, source, None)
}

/// [`events`], where a session the function opens itself counts as
/// managed inside its block: `with Session(engine) as session:`,
/// `async with get_db() as db:` — a context manager called without any of
/// the function's `parameters` (an outer session it might hand back). When
/// an error leaves the block the session is closed and its transaction
/// rolled back, and nothing outside the function can commit it later.
pub fn events_in<'t>(
    body: Node<'t>,
    source: &str,
    parameters: Option<&[String]>,
) -> Vec<Event<'t>> {
    let mut out = Vec::new();
    // (node, index into `contexts` of the receivers managed around it)
    let mut contexts: Vec<Vec<String>> = vec![Vec::new()];
    let mut stack: Vec<(Node<'t>, usize)> = vec![(body, 0)];
    let mut budget = MAX_NODES;
    while let Some((node, ctx)) = stack.pop() {
        budget = budget.saturating_sub(1);
        if budget == 0 {
            break;
        }
        let kind = node.kind_str();
        if matches!(
            kind,
            "function_definition" | "lambda" | "class_definition" | "decorated_definition"
        ) && node.id() != body.id()
        {
            continue;
        }
        // Children pushed in reverse so they pop in document order.
        let mut children: Vec<(Node<'t>, usize)> = Vec::new();
        let mut cursor = node.walk();
        match kind {
            "with_statement" => {
                let managed = with_managed(node, source, parameters);
                let inner = if managed.is_empty() {
                    ctx
                } else {
                    let mut set = contexts[ctx].clone();
                    set.extend(managed);
                    contexts.push(set);
                    contexts.len() - 1
                };
                for child in node.named_children(&mut cursor) {
                    let c = if child.kind_str() == "block" {
                        inner
                    } else {
                        ctx
                    };
                    children.push((child, c));
                }
            }
            "try_statement" => {
                let rolled_back = rollbacks(node, source);
                let inner = if rolled_back.is_empty() {
                    ctx
                } else {
                    let mut set = contexts[ctx].clone();
                    set.extend(rolled_back);
                    contexts.push(set);
                    contexts.len() - 1
                };
                let body_id = node.child_by_field_id(*fid::BODY).map(|b| b.id());
                for child in node.named_children(&mut cursor) {
                    let c = if Some(child.id()) == body_id {
                        inner
                    } else {
                        ctx
                    };
                    children.push((child, c));
                }
            }
            _ => {
                if kind == "call" {
                    if let Some(event) = call_event(node, source, &contexts[ctx]) {
                        out.push(event);
                    }
                } else if kind == "yield" {
                    out.push(Event {
                        kind: EventKind::Yield,
                        receiver: String::new(),
                        node,
                        managed: !contexts[ctx].is_empty(),
                    });
                }
                children.extend(node.named_children(&mut cursor).map(|c| (c, ctx)));
            }
        }
        stack.extend(children.into_iter().rev());
    }
    out
}

fn call_event<'t>(call: Node<'t>, source: &str, managed: &[String]) -> Option<Event<'t>> {
    let (object, method) = pyast::method_call(call)?;
    let method = pyast::text(method, source);
    let receiver = pyast::dotted_name(object, source)?.into_owned();
    let args = pyast::call_arguments(call);
    let kind = if let Some(m) = WRITE_METHODS.iter().find(|m| **m == method) {
        EventKind::Write(m)
    } else if EXECUTE_METHODS.contains(&method) {
        EventKind::Execute(args.and_then(|a| pyast::positional_arg(a, 0)))
    } else if method == "commit" && args.is_none_or(|a| a.named_child_count() == 0) {
        EventKind::Commit
    } else {
        return None;
    };
    let is_managed = managed.contains(&receiver);
    Some(Event {
        kind,
        receiver,
        node: call,
        managed: is_managed,
    })
}

/// The receivers a `with` statement puts in a transaction: `X.begin()`,
/// `X.begin_nested()` (X, and the `as` name of the item).
fn with_managed(
    with_statement: Node<'_>,
    source: &str,
    parameters: Option<&[String]>,
) -> Vec<String> {
    let mut out = Vec::new();
    let mut cursor = with_statement.walk();
    let Some(clause) = with_statement
        .named_children(&mut cursor)
        .find(|c| c.kind_str() == "with_clause")
    else {
        return out;
    };
    let mut cursor = clause.walk();
    for item in clause.named_children(&mut cursor) {
        let Some(mut value) = item.child_by_field_id(*fid::VALUE) else {
            continue;
        };
        let mut alias = None;
        if value.kind_str() == "as_pattern" {
            alias = value
                .child_by_field_id(*fid::ALIAS)
                .and_then(|a| a.named_child(0))
                .and_then(|n| pyast::dotted_name(n, source));
            match value.named_child(0) {
                Some(v) => value = v,
                None => continue,
            }
        }
        let value = pyast::unparenthesize(value);
        let value = match value.kind_str() {
            "await" => match value.named_child(0) {
                Some(v) => pyast::unparenthesize(v),
                None => continue,
            },
            _ => value,
        };
        if value.kind_str() != "call" {
            continue;
        }
        if let (Some(parameters), Some(alias)) = (parameters, alias.as_deref()) {
            if opens_own_session(value, source, parameters) {
                out.push(alias.to_owned());
                continue;
            }
        }
        let Some((object, method)) = pyast::method_call(value) else {
            continue;
        };
        if !matches!(pyast::text(method, source), "begin" | "begin_nested") {
            continue;
        }
        if let Some(object) = pyast::dotted_name(object, source) {
            out.push(object.into_owned());
        }
        if let Some(alias) = alias {
            out.push(alias.into_owned());
        }
    }
    out
}

/// `Session(engine)`, `get_db()`, `maker()`: a class called (a new
/// session), or a call whose arguments name none of the function's
/// parameters, so it cannot be handing back a session the caller owns
/// (`get_db_context(db)`); not a `begin()` (judged as a transaction block).
fn opens_own_session(call: Node<'_>, source: &str, parameters: &[String]) -> bool {
    if pyast::method_call(call)
        .is_some_and(|(_, m)| matches!(pyast::text(m, source), "begin" | "begin_nested"))
    {
        return false;
    }
    // A constructor (`Session(engine)`, `SessionLocal()`) always makes a new one.
    if pyast::callee_name(call, source)
        .is_some_and(|n| n.starts_with(|c: char| c.is_ascii_uppercase()))
    {
        return true;
    }
    let Some(args) = pyast::call_arguments(call) else {
        return true;
    };
    let mut walk = pyast::Descent::new(args, 256);
    while let Some(n) = walk.next() {
        if n.kind_str() == "identifier" && parameters.iter().any(|p| p == pyast::text(n, source)) {
            return false;
        }
    }
    // A huge argument list is not judged: not a new session.
    !walk.cut_short()
}

/// Receivers of `X.rollback()` calls in the `except` clauses of a `try`.
fn rollbacks(try_statement: Node<'_>, source: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cursor = try_statement.walk();
    for clause in try_statement
        .named_children(&mut cursor)
        .filter(|c| c.kind_str() == "except_clause" || c.kind_str() == "except_group_clause")
    {
        let mut walk = pyast::Descent::new(clause, 2_000);
        while let Some(n) = walk.next() {
            if n.kind_str() != "call" {
                continue;
            }
            if let Some((object, method)) = pyast::method_call(n) {
                if pyast::text(method, source) == "rollback" {
                    if let Some(o) = pyast::dotted_name(object, source) {
                        out.push(o.into_owned());
                    }
                }
            }
        }
    }
    out
}

/// Is the expression a write statement: `insert(T)`, `update(T).where(...)
/// .values(...)`, `sa.delete(T)`, `table.insert().values(...)`?
pub fn is_write_statement(node: Node<'_>, source: &str) -> bool {
    let mut at = pyast::unparenthesize(node);
    for _ in 0..32 {
        match at.kind_str() {
            "call" => {
                if pyast::callee_name(at, source).is_some_and(|n| WRITE_STATEMENTS.contains(&n)) {
                    return true;
                }
                match at.child_by_field_id(*fid::FUNCTION) {
                    Some(f) => at = f,
                    None => return false,
                }
            }
            "attribute" => match at.child_by_field_id(*fid::OBJECT) {
                Some(o) => at = o,
                None => return false,
            },
            _ => return false,
        }
    }
    false
}

/// Does the function (a dependency provider) `yield` inside a transaction
/// block or a `try` that rolls back?
pub fn yields_managed(def: Node<'_>, source: &str) -> bool {
    let Some(body) = def.child_by_field_id(*fid::BODY) else {
        return false;
    };
    let events = events(body, source);
    let mut yields = events
        .iter()
        .filter(|e| e.kind == EventKind::Yield)
        .peekable();
    yields.peek().is_some() && yields.all(|e| e.managed)
}

#[cfg(test)]
mod tests;
