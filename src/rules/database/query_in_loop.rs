//! DB001: an awaited database or repository call inside a loop body or a
//! comprehension, the N+1 query pattern.

use std::collections::HashSet;

use tree_sitter::Node;

use crate::parse::NodeKind;

use crate::diagnostic::Severity;
use crate::python::ast::{self as pyast, fid};
use crate::python::sqlalchemy::DRIVER_FETCH_METHODS;
use crate::rules::context::Cx;
use crate::rules::{Family, Rule, RuleMeta};

use super::receiver::{db_receiver, Receiver};

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
];

/// Methods of a session that do not query by themselves, or whose cost in
/// a loop is not one query per item: `commit`/`flush` write what was added
/// (one statement batch per call; the cure for per-row commits is a
/// different one), `connection` hands out the session's connection.
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
    "commit",
    "flush",
    "connection",
    "get_bind",
    "run_sync",
];

/// Methods of HTTP client sessions (`aiohttp.ClientSession`, `httpx.AsyncClient`)
/// that no database session has.
const HTTP_ONLY_METHODS: &[&str] = &[
    "post",
    "put",
    "patch",
    "head",
    "options",
    "request",
    "ws_connect",
];

/// Keywords of an HTTP request (`session.get(url, params=...)`), never of `Session.get`.
const HTTP_KEYWORDS: &[&str] = &[
    "url", "params", "headers", "json", "data", "timeout", "cookies", "auth",
];

/// Name parts of loops that process a batch or page per iteration: the cure
/// for N+1, not the disease (`for chunk in batched(ids, 1000)`).
const BATCH_WORDS: &[&str] = &[
    "batch",
    "chunk",
    "page",
    "paginat",
    "partition",
    "grouper",
    "segment",
    "window",
    "slice",
];

/// Name parts of `while` conditions that follow a cursor or page token.
const CURSOR_WORDS: &[&str] = &[
    "cursor", "page", "offset", "more", "token", "next", "batch", "chunk",
];

/// Literal iterables up to this many items are a fixed, small set of keys.
const SHORT_LITERAL: usize = 8;

#[derive(Default)]
pub struct QueryInLoop {
    skip: Option<bool>,
    /// Methods (class start byte, name) that await a query themselves.
    querying: HashSet<(usize, String)>,
    /// `await self.helper(...)` in method `caller`: (class, caller, helper).
    delegates: Vec<(usize, String, String)>,
    /// `await self.helper(...)` run once per iteration, to report if `helper` queries.
    helper_calls: Vec<HelperCall>,
}

struct HelperCall {
    class: usize,
    helper: String,
    span: std::ops::Range<usize>,
    kind: &'static str,
}

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
        let skip = *self.skip.get_or_insert_with(|| {
            cx.file.is_test || cx.migration || pyast::is_migration_path(&cx.file.rel)
        });
        if skip {
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
        let scope = enclosing_method(cx.ancestors, cx.source);
        if !is_query(receiver.as_deref(), method, call, cx.source) {
            // `await self.helper(row)`: a query if the helper queries.
            if let (Some("self"), Some((class, caller))) = (receiver.as_deref(), scope) {
                if let Some(kind) = per_iteration(node, cx.ancestors, cx.source) {
                    self.helper_calls.push(HelperCall {
                        class,
                        helper: method.to_owned(),
                        span: node.byte_range(),
                        kind,
                    });
                }
                self.delegates
                    .push((class, caller.to_owned(), method.to_owned()));
            }
            return;
        }
        if let Some((class, name)) = scope {
            self.querying.insert((class, name.to_owned()));
        }
        let Some(kind) = per_iteration(node, cx.ancestors, cx.source) else {
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

    fn finish(&mut self, cx: &mut Cx<'_>) {
        // A helper that awaits a querying helper queries too.
        loop {
            let before = self.querying.len();
            for (class, caller, helper) in &self.delegates {
                if self.querying.contains(&(*class, helper.clone())) {
                    self.querying.insert((*class, caller.clone()));
                }
            }
            if self.querying.len() == before {
                break;
            }
        }
        for call in std::mem::take(&mut self.helper_calls) {
            if self.querying.contains(&(call.class, call.helper.clone())) {
                let (helper, kind) = (&call.helper, call.kind);
                cx.report_span(
                    call.span,
                    format!("`await self.{helper}()` inside a {kind} runs `{helper}`'s query once per iteration (N+1); load the data for all items in one query before the {kind}"),
                );
            }
        }
    }
}

/// Querying methods of the database sessions DB001 knows beyond
/// [`QUERY_METHODS`]: SQLAlchemy/SQLModel (`get`, `get_one`, `merge`,
/// `refresh`, `query`), neo4j (`run`, `execute_read`, `execute_write`),
/// cassandra (`execute_async`).
const SESSION_QUERY_METHODS: &[&str] = &[
    "get",
    "get_one",
    "merge",
    "refresh",
    "query",
    "run",
    "execute_read",
    "execute_write",
    "execute_async",
];

/// Does the awaited `receiver.method(...)` call run a query?
fn is_query(receiver: Option<&str>, method: &str, call: Node<'_>, source: &str) -> bool {
    let receiver_kind = receiver.map_or(Receiver::Other, db_receiver);
    if receiver_kind != Receiver::Other {
        if NON_QUERY_METHODS.contains(&method) || HTTP_ONLY_METHODS.contains(&method) {
            return false;
        }
        // Only named like a session: the methods of a database session
        // query, others are those of another kind of session (a chat, MCP
        // or HTTP session's `persist_file`, `send_request`, `aclose`).
        if receiver_kind == Receiver::Session
            && !SESSION_QUERY_METHODS.contains(&method)
            && !QUERY_METHODS.contains(&method)
            && !DRIVER_FETCH_METHODS.contains(&method)
        {
            return false;
        }
        // `session.get(url)` of an HTTP client session, not `session.get(User, id)`.
        return !(method == "get" && is_http_request(call, source));
    }
    (QUERY_METHODS.contains(&method) || DRIVER_FETCH_METHODS.contains(&method))
        && !(method == "stream" && is_http_request(call, source))
}

/// Is the call an HTTP request: a string (URL or verb) first, or request keywords?
fn is_http_request(call: Node<'_>, source: &str) -> bool {
    let Some(args) = pyast::call_arguments(call) else {
        return false;
    };
    let string_first = pyast::positional_arg(args, 0).is_some_and(|a| {
        matches!(
            pyast::unparenthesize(a).kind_str(),
            "string" | "concatenated_string"
        ) && !looks_like_sql(&pyast::string_text(a, source))
    });
    string_first
        || HTTP_KEYWORDS
            .iter()
            .any(|k| pyast::keyword_arg(args, k, source).is_some())
}

fn looks_like_sql(text: &str) -> bool {
    let head = text
        .trim_start()
        .get(..6)
        .unwrap_or("")
        .to_ascii_uppercase();
    ["SELECT", "INSERT", "UPDATE", "DELETE", "WITH "]
        .iter()
        .any(|k| head.starts_with(k))
}

/// The method (class start byte, name) whose body holds the visited node.
fn enclosing_method<'s>(ancestors: &[Node<'_>], source: &'s str) -> Option<(usize, &'s str)> {
    let i = ancestors.iter().rposition(|a| {
        matches!(
            a.kind_str(),
            "function_definition" | "lambda" | "class_definition"
        )
    })?;
    let function = ancestors[i];
    if function.kind_str() != "function_definition" {
        return None;
    }
    let mut j = i.checked_sub(1)?;
    if ancestors[j].kind_str() == "decorated_definition" {
        j = j.checked_sub(1)?;
    }
    let class = ancestors.get(j.checked_sub(1)?)?;
    if ancestors[j].kind_str() != "block" || class.kind_str() != "class_definition" {
        return None;
    }
    let name = function.child_by_field_id(*fid::NAME)?;
    Some((class.start_byte(), pyast::text(name, source)))
}

/// The kind of the loop whose every iteration evaluates `node` once (N+1),
/// stopping at the enclosing function. Loops that are themselves the cure
/// (batches, pages, retries, polling, a short literal) do not count, but an
/// ordinary loop around them does.
fn per_iteration(node: Node<'_>, ancestors: &[Node<'_>], source: &str) -> Option<&'static str> {
    for (i, a) in ancestors.iter().enumerate().rev() {
        let child = ancestors.get(i + 1).copied().unwrap_or(node);
        match a.kind_str() {
            "function_definition" | "lambda" | "class_definition" => return None,
            "for_statement"
                if a.child_by_field_id(*fid::BODY) == Some(child) && !exempt_for(*a, source) =>
            {
                return Some("loop");
            }
            "while_statement"
                if a.child_by_field_id(*fid::BODY) == Some(child) && !exempt_while(*a, source) =>
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

fn has_word(name: &str, words: &[&str]) -> bool {
    let name = name.to_ascii_lowercase();
    words.iter().any(|w| name.contains(w))
}

/// `for chunk in batched(ids, 1000)`, `for key in ("a", "b")`,
/// `for attempt in range(3): ... break`.
fn exempt_for(for_loop: Node<'_>, source: &str) -> bool {
    let target_batch = for_loop.child_by_field_id(*fid::LEFT).is_some_and(|t| {
        identifiers(t, source)
            .iter()
            .any(|n| has_word(n, BATCH_WORDS))
    });
    if target_batch {
        return true;
    }
    let Some(mut iterable) = for_loop.child_by_field_id(*fid::RIGHT) else {
        return false;
    };
    iterable = pyast::unparenthesize(iterable);
    // `enumerate(x)`, `reversed(x)` iterate `x`.
    if iterable.kind_str() == "call"
        && matches!(
            pyast::callee_name(iterable, source),
            Some("enumerate" | "reversed" | "sorted")
        )
    {
        if let Some(inner) =
            pyast::call_arguments(iterable).and_then(|a| pyast::positional_arg(a, 0))
        {
            iterable = pyast::unparenthesize(inner);
        }
    }
    if let Some(name) = dict_iterated(iterable, source) {
        if literal_keyed_dict(name, for_loop, source) {
            return true;
        }
    }
    match iterable.kind_str() {
        "tuple" | "list" | "set" | "expression_list" => {
            let mut cursor = iterable.walk();
            let items: Vec<Node<'_>> = iterable.named_children(&mut cursor).collect();
            items.len() <= SHORT_LITERAL && items.iter().all(|i| i.kind_str() != "list_splat")
        }
        "call" => match pyast::callee_name(iterable, source) {
            Some("range") => for_loop
                .child_by_field_id(*fid::BODY)
                .is_some_and(|b| exits_early(b)),
            Some(name) => has_word(name, BATCH_WORDS),
            None => false,
        },
        _ => false,
    }
}

/// `while True:` (pagination, polling, retries), `while not self._stopped:`
/// (polling), `while cursor:` / `while has_more:` (pagination).
fn exempt_while(while_loop: Node<'_>, source: &str) -> bool {
    let Some(mut condition) = while_loop.child_by_field_id(*fid::CONDITION) else {
        return false;
    };
    condition = pyast::unparenthesize(condition);
    if matches!(condition.kind_str(), "true" | "integer") {
        return true;
    }
    if condition.kind_str() == "not_operator" {
        if let Some(inner) = condition.child_by_field_id(*fid::ARGUMENT) {
            condition = pyast::unparenthesize(inner);
        }
    }
    let polled = match condition.kind_str() {
        "attribute" => true,
        "call" => condition
            .child_by_field_id(*fid::FUNCTION)
            .is_some_and(|f| f.kind_str() == "attribute"),
        _ => false,
    };
    let sleeps = while_loop
        .child_by_field_id(*fid::BODY)
        .is_some_and(|b| calls_sleep(b, source));
    polled
        || sleeps
        || identifiers(condition, source)
            .iter()
            .any(|n| has_word(n, CURSOR_WORDS))
}

/// Does the loop body wait between iterations (`await asyncio.sleep(...)`)? Then it polls.
fn calls_sleep(body: Node<'_>, source: &str) -> bool {
    let mut walk = pyast::Descent::new(body, usize::MAX);
    while let Some(n) = walk.next() {
        match n.kind_str() {
            "call" if pyast::callee_name(n, source) == Some("sleep") => return true,
            "function_definition" | "lambda" | "class_definition" => walk.skip_children(),
            _ => {}
        }
    }
    false
}

/// Every identifier in `node` (a loop target or condition).
fn identifiers<'s>(node: Node<'_>, source: &'s str) -> Vec<&'s str> {
    let mut out = Vec::new();
    let mut walk = pyast::Descent::new(node, usize::MAX);
    while let Some(n) = walk.next() {
        if n.kind_str() == "identifier" {
            out.push(pyast::text(n, source));
        }
    }
    out
}

/// Does the loop body `break` or `return` (outside nested loops and functions)?
fn exits_early(body: Node<'_>) -> bool {
    let mut walk = pyast::Descent::new(body, usize::MAX);
    while let Some(n) = walk.next() {
        match n.kind_str() {
            "break_statement" | "return_statement" => return true,
            "function_definition"
            | "lambda"
            | "class_definition"
            | "for_statement"
            | "while_statement" => walk.skip_children(),
            _ => {}
        }
    }
    false
}

/// `d`, `d.items()`, `d.keys()`, `d.values()`: the local name a loop iterates.
fn dict_iterated<'s>(iterable: Node<'_>, source: &'s str) -> Option<&'s str> {
    match iterable.kind_str() {
        "identifier" => Some(pyast::text(iterable, source)),
        "call" => {
            let (receiver, method) = pyast::method_call(iterable)?;
            let no_args =
                pyast::call_arguments(iterable).is_some_and(|a| a.named_child_count() == 0);
            (receiver.kind_str() == "identifier"
                && no_args
                && matches!(pyast::text(method, source), "items" | "keys" | "values"))
            .then(|| pyast::text(receiver, source))
        }
        _ => None,
    }
}

/// A constant dictionary key: a plain string or an integer.
fn literal_key<'s>(key: Node<'_>, source: &'s str) -> Option<&'s str> {
    (pyast::is_constant_string(key) || key.kind_str() == "integer")
        .then(|| pyast::text(key, source))
}

/// Is `name`, in the function around `for_loop`, a dictionary filled only
/// under constant keys, at most [`SHORT_LITERAL`] of them (`sources = {}`,
/// then `sources["chat"] = ...` in a few branches)? A loop over it runs a
/// fixed, small number of times, like a loop over a short literal tuple.
/// Any use that could add other keys (passing it to a call, `update`,
/// `setdefault`, a computed key, another binding) makes it unbounded.
fn literal_keyed_dict(name: &str, for_loop: Node<'_>, source: &str) -> bool {
    let mut scope = for_loop;
    while let Some(parent) = scope.parent() {
        scope = parent;
        if scope.kind_str() == "function_definition" {
            break;
        }
    }
    let mut keys: Vec<&str> = Vec::new();
    let mut bound = false;
    let mut walk = pyast::Descent::new(scope, usize::MAX);
    while let Some(n) = walk.next() {
        if n.kind_str() != "identifier" || pyast::text(n, source) != name {
            continue;
        }
        let Some(parent) = n.parent() else {
            return false;
        };
        let is = |field: u16| parent.child_by_field_id(field) == Some(n);
        let ok = match parent.kind_str() {
            "assignment" if is(*fid::LEFT) => {
                bound = true;
                parent
                    .child_by_field_id(*fid::RIGHT)
                    .is_some_and(|right| dict_literal_keys(right, source, &mut keys))
            }
            "subscript" if is(*fid::VALUE) => {
                let mut cursor = parent.walk();
                let index: Vec<Node<'_>> = parent
                    .children_by_field_name("subscript", &mut cursor)
                    .collect();
                match index.as_slice() {
                    [key] => literal_key(*key, source).is_some_and(|k| {
                        if !keys.contains(&k) {
                            keys.push(k);
                        }
                        true
                    }),
                    _ => false,
                }
            }
            "attribute" if is(*fid::OBJECT) => {
                parent.child_by_field_id(*fid::ATTRIBUTE).is_some_and(|a| {
                    matches!(
                        pyast::text(a, source),
                        "items" | "keys" | "values" | "get" | "pop" | "copy" | "clear"
                    )
                })
            }
            "for_statement" | "for_in_clause" => is(*fid::RIGHT),
            "not_operator" | "boolean_operator" | "comparison_operator" => true,
            "if_statement" | "elif_clause" | "while_statement" => is(*fid::CONDITION),
            "argument_list" => parent
                .parent()
                .and_then(|call| pyast::callee_name(call, source))
                .is_some_and(|f| matches!(f, "len" | "bool")),
            _ => false,
        };
        if !ok {
            return false;
        }
    }
    bound && keys.len() <= SHORT_LITERAL
}

/// `{}`, `dict()` or `{"a": ..., "b": ...}` with constant keys, recorded in `keys`.
fn dict_literal_keys<'s>(value: Node<'_>, source: &'s str, keys: &mut Vec<&'s str>) -> bool {
    match value.kind_str() {
        "dictionary" => {
            let mut cursor = value.walk();
            for pair in value.named_children(&mut cursor) {
                let key = (pair.kind_str() == "pair")
                    .then(|| pair.child_by_field_id(*fid::KEY))
                    .flatten()
                    .and_then(|k| literal_key(k, source));
                match key {
                    Some(k) if !keys.contains(&k) => keys.push(k),
                    Some(_) => {}
                    None => return false,
                }
            }
            true
        }
        "call" => {
            pyast::callee_name(value, source) == Some("dict")
                && pyast::call_arguments(value).is_some_and(|a| a.named_child_count() == 0)
        }
        _ => false,
    }
}
