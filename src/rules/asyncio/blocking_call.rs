//! ASY002: blocking calls (sleep, sync HTTP, subprocess, sync DB drivers,
//! sync SQLAlchemy `session.query`) inside `async def`.

use std::ops::Range;

use tree_sitter::Node;

use crate::parse::NodeKind;

use crate::diagnostic::Severity;
use crate::python::ast::{self as pyast, fid};
use crate::python::semantic::{ScopeId, Semantic};
use crate::rules::context::Cx;
use crate::rules::{Family, Rule, RuleMeta};

/// Last segments of callees worth resolving; everything else is skipped
/// before any allocation.
const INTERESTING: &[&str] = &[
    "sleep", "stream", "send", "urlopen", "Client", "Session", "session", "connect", "query",
];

use crate::python::sqlalchemy::AWAITABLE_SESSION_METHODS;
use crate::python::vocab::HTTP_CLIENT_METHODS as HTTP_VERBS;

/// Constructors of synchronous HTTP clients whose methods block.
const SYNC_CLIENTS: &[&str] = &[
    "httpx.Client",
    "requests.Session",
    "requests.session",
    "requests.sessions.Session",
];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Sleep,
    Http,
    Process,
    Driver,
}

/// Fully qualified blocking callables and what they are.
fn classify(qualified: &str) -> Option<Kind> {
    let (module, name) = qualified.rsplit_once('.')?;
    match module {
        "time" if name == "sleep" => Some(Kind::Sleep),
        "requests" | "requests.api" if HTTP_VERBS.contains(&name) => Some(Kind::Http),
        "requests" if name == "Session" || name == "session" => Some(Kind::Http),
        "httpx" if HTTP_VERBS.contains(&name) || name == "stream" || name == "Client" => {
            Some(Kind::Http)
        }
        "urllib3" if name == "request" => Some(Kind::Http),
        "urllib.request" if name == "urlopen" => Some(Kind::Http),
        "subprocess"
            if matches!(
                name,
                "run"
                    | "call"
                    | "check_call"
                    | "check_output"
                    | "Popen"
                    | "getoutput"
                    | "getstatusoutput"
            ) =>
        {
            Some(Kind::Process)
        }
        "os" if matches!(name, "system" | "popen") => Some(Kind::Process),
        "psycopg2" | "psycopg" | "sqlite3" | "pymysql" | "MySQLdb" | "mysql.connector"
        | "cx_Oracle" | "oracledb" | "pyodbc"
            if name == "connect" =>
        {
            Some(Kind::Driver)
        }
        _ => None,
    }
}

#[derive(Default)]
pub struct BlockingCall {
    candidates: Vec<Candidate>,
}

struct Candidate {
    span: Range<usize>,
    scope: ScopeId,
    at: usize,
    callee: String,
    awaited: bool,
}

impl Rule for BlockingCall {
    const META: RuleMeta = RuleMeta {
        code: "ASY002",
        name: "blocking-call-in-async",
        family: Family::Async,
        severity: Severity::Blocker,
        fixable: false,
        summary: "A blocking call (sleep, sync HTTP, subprocess, sync DB driver) inside `async def`",
        help: "use the async equivalent (`asyncio.sleep`, `httpx.AsyncClient`, `asyncio.create_subprocess_exec`, an async driver) or move the call to a thread with `asyncio.to_thread`",
        doc: include_str!("../../../rules/ASY002.md"),
        security_severity: None,
    };
    const KINDS: &'static [&'static str] = &["call"];

    fn visit(&mut self, node: Node<'_>, cx: &mut Cx<'_>) {
        let Some(function) = cx.call_function() else {
            return;
        };
        let last = match function.kind_str() {
            "identifier" => function,
            "attribute" => match cx.callee_attribute() {
                Some(a) => a,
                None => return,
            },
            _ => return,
        };
        let name = cx.text(last);
        let interesting = INTERESTING.contains(&name)
            || AWAITABLE_SESSION_METHODS.contains(&name)
            || HTTP_VERBS.contains(&name)
            || crate::python::vocab::runs_a_command(name);
        if !interesting && function.kind_str() != "identifier" {
            return;
        }
        if !pyast::in_async_function(cx.ancestors) {
            return;
        }
        let scope = cx.scope(node);
        let at = node.start_byte();
        // A renamed import (`from time import sleep as nap`) or module alias
        // (`nap = time.sleep`) hides the interesting name.
        if !interesting
            && cx
                .semantic
                .resolve_with(name, scope, at, classify)
                .is_none()
        {
            return;
        }
        let Some(callee) = pyast::dotted_name(function, cx.source) else {
            return;
        };
        // `await x()`, and `async with x() as y:` (an async context manager).
        // `await (x())` too: parentheses do not change what is awaited.
        let parent = cx
            .ancestors
            .iter()
            .rev()
            .find(|a| a.kind_str() != "parenthesized_expression");
        let awaited = parent.is_some_and(|p| {
            p.kind_str() == "await"
                || (matches!(p.kind_str(), "with_item" | "as_pattern")
                    && cx.ancestors.iter().rev().any(|a| {
                        a.kind_str() == "with_statement"
                            && a.child(0).is_some_and(|c| c.kind_str() == "async")
                    }))
        });
        self.candidates.push(Candidate {
            span: node.byte_range(),
            scope,
            at,
            callee: callee.into_owned(),
            awaited,
        });
    }

    fn finish(&mut self, cx: &mut Cx<'_>) {
        let is_test = cx.file.is_test;
        for c in std::mem::take(&mut self.candidates) {
            if let Some(message) = judge(&c, cx.semantic, is_test) {
                cx.report_span(c.span, message);
            }
        }
    }
}

/// Is `receiver` (at the candidate's place) a synchronous HTTP client: a
/// parameter annotated with one, or a name bound to a constructor call
/// (`client = httpx.Client()`, `with requests.Session() as s:`)?
fn is_sync_client(c: &Candidate, receiver: &str, model: &Semantic<'_>) -> bool {
    let Some(binding) = model.lookup(c.scope, receiver, c.at) else {
        return false;
    };
    let source = model.source();
    let written = match (binding.annotation(), binding.value()) {
        (Some(annotation), _) => pyast::text(annotation, source),
        (None, Some(value)) if value.kind_str() == "call" => {
            match value.child_by_field_id(*fid::FUNCTION) {
                Some(f) => pyast::text(f, source),
                None => return false,
            }
        }
        _ => return false,
    };
    model
        .resolves_to(written, binding.scope, binding.at, SYNC_CLIENTS)
        .is_some()
}

/// `is_test`: the file is a test module. An async test that sleeps, runs a
/// process or calls a synchronous client blocks only its own loop, so those
/// are not reported there; an un-awaited session method still is (on an
/// `AsyncSession` it is a coroutine that never runs).
fn judge(c: &Candidate, model: &Semantic<'_>, is_test: bool) -> Option<String> {
    if c.awaited {
        // Whatever it is, it is awaitable, so not the blocking API.
        return None;
    }
    let callee = c.callee.as_str();
    let resolved = model.resolve_with(callee, c.scope, c.at, |q| {
        classify(q).map(|k| (k, q.to_owned()))
    });
    if let Some((kind, qualified)) = resolved {
        return (!is_test).then(|| message(kind, &qualified));
    }
    let (receiver, method) = callee.rsplit_once('.')?;
    if (HTTP_VERBS.contains(&method) || matches!(method, "stream" | "send"))
        && !receiver.contains('.')
        && is_sync_client(c, receiver, model)
    {
        if is_test {
            return None;
        }
        return Some(format!(
            "`{callee}()` is a blocking HTTP call on a synchronous client inside `async def`; use `httpx.AsyncClient` and `await` it"
        ));
    }
    if AWAITABLE_SESSION_METHODS.contains(&method) && is_session_name(pyast::last_segment(receiver))
    {
        return Some(format!(
            "`{callee}()` is not awaited inside `async def`: on a synchronous `Session` it blocks the event loop (use an `AsyncSession` and `await` it, or make this function a plain `def`); on an `AsyncSession` it is a coroutine that never runs"
        ));
    }
    if method == "query" && is_session_name(pyast::last_segment(receiver)) {
        return Some(format!(
            "`{callee}()` is the synchronous SQLAlchemy query API inside `async def`; it blocks the event loop: use an `AsyncSession` and `await session.execute(select(...))`"
        ));
    }
    None
}

fn is_session_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    matches!(
        lower.as_str(),
        "session" | "db" | "sess" | "db_session" | "dbsession"
    ) || lower.ends_with("_session")
}

fn message(kind: Kind, qualified: &str) -> String {
    match kind {
        Kind::Sleep => format!(
            "`{qualified}()` blocks the event loop inside `async def`; use `await asyncio.sleep()`"
        ),
        Kind::Http if qualified.ends_with("Client") || qualified.ends_with("ession") => format!(
            "`{qualified}()` creates a synchronous HTTP client inside `async def`; its requests block the event loop: use `httpx.AsyncClient`"
        ),
        Kind::Http => format!(
            "`{qualified}()` is a blocking HTTP call inside `async def`; use an async client (`httpx.AsyncClient`, `aiohttp`) and `await` it"
        ),
        Kind::Process => format!(
            "`{qualified}()` blocks the event loop while the process runs; use `asyncio.create_subprocess_exec()` or `asyncio.to_thread()`"
        ),
        Kind::Driver => format!(
            "`{qualified}()` opens a synchronous database connection inside `async def`; use an async driver (asyncpg, aiosqlite, aiomysql, psycopg's `AsyncConnection`)"
        ),
    }
}
