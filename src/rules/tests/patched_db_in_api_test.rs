//! TST007: an API test patches the database client or session directly
//! instead of overriding the dependency that provides it.
//!
//! The tests and the fixtures of the file are noted during the walk; the
//! file is judged in `finish`, when every fixture (also those defined after
//! the tests) and every import is known.
//!
//! A test is an API test when it, a fixture of the same file it requests
//! (transitively), or a method of its class builds a test client
//! (`TestClient(...)`, `AsyncClient(app=...)`, `AsyncClient(transport=...)`,
//! `ASGITransport(...)`), when it uses a module-level client
//! (`client = TestClient(app)`), when one of those takes a parameter
//! annotated `TestClient`/`AsyncClient`, or when it sends a request to a path
//! (`client.get("/users")`: the fixture may live in a `conftest.py`).
//!
//! Its patch sites are the `patch(...)`/`mock.patch(...)`/`mocker.patch(...)`
//! calls and decorators (and `.object`/`.multiple`), and
//! `monkeypatch.setattr(...)`, in the test, in its class's decorators and in
//! the fixtures it requests. A site is reported when its target names the
//! database ([`names_database`]).

use std::collections::{HashMap, HashSet};
use std::ops::Range;

use tree_sitter::Node;

use crate::parse::NodeKind;
use crate::python::ast::{self as pyast, fid};

use super::{decorator_name, decorators, positional_args, shown};
use crate::diagnostic::Severity;
use crate::python::semantic::MODULE;
use crate::rules::context::Cx;
use crate::rules::{Family, Rule, RuleMeta};

#[derive(Default)]
pub struct PatchedDbInApiTest {
    tests: super::Collector,
    /// Byte ranges of the file's test functions.
    test_defs: Vec<Range<usize>>,
    /// Fixtures of the file: (name, byte range of the `def`).
    fixtures: Vec<(String, Range<usize>)>,
    /// The calls of the file met in the walk that build a test client and
    /// that send a request to a path (start bytes, in document order), so
    /// that `finish` need not walk each test again (see [`Seen`]).
    seen: Seen,
    /// Whether the file can have a finding: test code whose text holds
    /// `patch` (decided on the first visit).
    judged: Option<bool>,
}

/// What the walk saw of a file's calls: where they build a client and
/// where they send a request to a path. In a file without syntax errors
/// the walk visits every call, so a body holds such a call exactly when
/// one starts inside its byte range.
#[derive(Default)]
struct Seen {
    constructions: Vec<usize>,
    requests: Vec<usize>,
}

impl Seen {
    fn any_in(starts: &[usize], range: &Range<usize>) -> bool {
        let i = starts.partition_point(|s| *s < range.start);
        starts.get(i).is_some_and(|s| *s < range.end)
    }
}

/// Fixtures followed from a test at most (requests of requests).
const MAX_FIXTURES: usize = 32;
/// Nodes of one function looked at, at most.
const MAX_NODES: usize = 20_000;

impl Rule for PatchedDbInApiTest {
    const META: RuleMeta = RuleMeta {
        code: "TST007",
        name: "patched-db-in-api-test",
        family: Family::Tests,
        severity: Severity::Warning,
        fixable: false,
        summary: "An API test patches the database client or session instead of overriding the dependency",
        help: "override the dependency the route uses (`app.dependency_overrides[get_db] = lambda: test_session`) or point it at a test database",
        doc: include_str!("../../../rules/TST007.md"),
        security_severity: None,
    };
    const KINDS: &'static [&'static str] = &["class_definition", "function_definition", "call"];

    fn visit(&mut self, node: Node<'_>, cx: &mut Cx<'_>) {
        if !*self
            .judged
            .get_or_insert_with(|| super::in_test_code(cx) && cx.source.contains("patch"))
        {
            return;
        }
        if node.kind_str() == "call" {
            let function = cx.call_function();
            // The callee's last name, read once by the walk, rules most
            // calls out before `client_construction` builds a dotted name.
            let may_construct = cx
                .callee_last_name()
                .is_some_and(|n| CLIENT_CALLEES.contains(&n));
            if may_construct && client_construction(node, function, cx.source) {
                self.seen.constructions.push(node.start_byte());
            } else if path_request(node, function, cx.source) {
                self.seen.requests.push(node.start_byte());
            }
            return;
        }
        if node.kind_str() == "class_definition" {
            self.tests.visit_class(node, cx);
            return;
        }
        if self.tests.is_test(node, cx) {
            self.test_defs.push(node.byte_range());
        } else if decorators(cx.ancestors)
            .any(|d| matches!(decorator_name(d, cx.source), "fixture" | "yield_fixture"))
        {
            if let Some(name) = node.child_by_field_id(*fid::NAME) {
                self.fixtures
                    .push((cx.text(name).to_owned(), node.byte_range()));
            }
        }
    }

    fn finish(&mut self, cx: &mut Cx<'_>) {
        // Every site reported is a call to a patcher (`patch`, `mock.patch`,
        // `mocker.patch`, `monkeypatch.setattr`, an alias of
        // `unittest.mock.patch`, whose import names it): a file without the
        // word `patch` has none, and its tests are not walked.
        if self.test_defs.is_empty() || !cx.source.contains("patch") {
            return;
        }
        let root = cx.semantic.scope(MODULE).node;
        let module_clients = module_clients(root, cx.source);
        // What the walk saw stands for a walk of a body when it visited
        // every call (no syntax error) and the uses of module-level
        // clients need no search (there are none).
        let walked = (!root.has_error() && module_clients.is_empty()).then_some(&self.seen);
        let find = |range: &Range<usize>| {
            root.descendant_for_byte_range(range.start, range.end)
                .filter(|n| n.kind_str() == "function_definition")
        };
        let mut reported: HashSet<usize> = HashSet::new();
        let mut client_use: HashMap<usize, bool> = HashMap::new();
        for range in &self.test_defs {
            let Some(test) = find(range) else { continue };
            // The test and the fixtures it requests, transitively.
            let mut defs = vec![test];
            let mut seen: HashSet<&str> = HashSet::new();
            let mut i = 0;
            while i < defs.len() && defs.len() < MAX_FIXTURES {
                for param in pyast::parameter_names(defs[i], cx.source) {
                    if !seen.insert(param) {
                        continue;
                    }
                    if let Some((_, r)) = self.fixtures.iter().find(|(n, _)| n == param) {
                        if let Some(def) = find(r) {
                            defs.push(def);
                        }
                    }
                }
                i += 1;
            }
            let class = enclosing_class(test);
            // Each fixture and class is judged once, however many tests
            // request it (a unittest class of 500 tests is walked once).
            let api = defs.iter().any(|d| {
                *client_use
                    .entry(d.start_byte())
                    .or_insert_with(|| uses_client(*d, cx.source, &module_clients, walked))
            }) || class.is_some_and(|c| {
                *client_use
                    .entry(c.start_byte())
                    .or_insert_with(|| class_builds_client(c, cx.source, walked))
            });
            if !api {
                continue;
            }
            let mut sites = Vec::new();
            for def in &defs {
                patch_sites(*def, cx, &mut sites);
            }
            if let Some(class) = class {
                for d in definition_decorators(class) {
                    if let Some(site) = patch_site(d, cx) {
                        sites.push(site);
                    }
                }
            }
            for (node, target) in sites {
                if reported.insert(node.start_byte()) {
                    cx.report(
                        node,
                        format!(
                            "API test patches the database (`{}`); override the dependency that provides it (`app.dependency_overrides[...]`) so the route runs as in production",
                            shown(&target)
                        ),
                    );
                }
            }
        }
    }
}

/// Names bound at module level to a test client (`client = TestClient(app)`).
fn module_clients<'s>(root: Node<'_>, source: &'s str) -> Vec<&'s str> {
    let mut out = Vec::new();
    let mut cursor = root.walk();
    for stmt in root.named_children(&mut cursor) {
        let Some(assignment) = pyast::statement_assignment(stmt) else {
            continue;
        };
        let Some((left, right)) = pyast::left_right(assignment) else {
            continue;
        };
        if left.kind_str() == "identifier" && is_client_construction(right, source) {
            out.push(pyast::text(left, source));
        }
    }
    out
}

/// `TestClient(app)`, `AsyncClient(app=app)`, `httpx.AsyncClient(transport=...)`,
/// `ASGITransport(app=app)`.
fn is_client_construction(node: Node<'_>, source: &str) -> bool {
    node.kind_str() == "call"
        && client_construction(node, node.child_by_field_id(*fid::FUNCTION), source)
}

/// The last names of the callees [`client_construction`] accepts.
const CLIENT_CALLEES: &[&str] = &[
    "TestClient",
    "ASGITransport",
    "WSGITransport",
    "AsyncClient",
    "Client",
];

/// [`is_client_construction`] of a call whose callee is `function`.
fn client_construction(node: Node<'_>, function: Option<Node<'_>>, source: &str) -> bool {
    let Some(callee) = function.and_then(|f| pyast::dotted_name(f, source)) else {
        return false;
    };
    match pyast::last_segment(&callee) {
        "TestClient" | "ASGITransport" | "WSGITransport" => true,
        "AsyncClient" | "Client" => pyast::call_arguments(node).is_some_and(|args| {
            pyast::keyword_arg(args, "app", source).is_some()
                || pyast::keyword_arg(args, "transport", source).is_some()
        }),
        _ => false,
    }
}

/// Does `def` build a test client, use a module-level one, take one
/// (annotated `TestClient`/`AsyncClient`), or request a path?
fn uses_client(def: Node<'_>, source: &str, module_clients: &[&str], seen: Option<&Seen>) -> bool {
    if let Some(params) = def.child_by_field_id(*fid::PARAMETERS) {
        let mut cursor = params.walk();
        let annotated = params.named_children(&mut cursor).any(|p| {
            p.child_by_field_id(*fid::TYPE)
                .and_then(|t| pyast::dotted_name(t.named_child(0).unwrap_or(t), source))
                .is_some_and(|t| matches!(pyast::last_segment(&t), "TestClient" | "AsyncClient"))
        });
        if annotated {
            return true;
        }
    }
    let Some(body) = def.child_by_field_id(*fid::BODY) else {
        return false;
    };
    // A body of at most MAX_NODES nodes is searched whole: what the walk
    // saw of its calls answers.
    if let Some(seen) = seen.filter(|_| body.descendant_count() <= MAX_NODES) {
        let range = body.byte_range();
        return Seen::any_in(&seen.constructions, &range) || Seen::any_in(&seen.requests, &range);
    }
    find_bounded(body, |n| match n.kind_str() {
        "call" => is_client_construction(n, source) || requests_path(n, source),
        "identifier" => module_clients.contains(&pyast::text(n, source)),
        _ => false,
    })
}

/// `client.get("/users")`, `await ac.post(f"/orders/{id}", json=...)`.
fn requests_path(call: Node<'_>, source: &str) -> bool {
    path_request(call, call.child_by_field_id(*fid::FUNCTION), source)
}

/// [`requests_path`] of a call whose callee is `function`.
fn path_request(call: Node<'_>, function: Option<Node<'_>>, source: &str) -> bool {
    let Some(function) = function.filter(|f| f.kind_str() == "attribute") else {
        return false;
    };
    let method = function
        .child_by_field_id(*fid::ATTRIBUTE)
        .map_or("", |a| pyast::text(a, source));
    if !matches!(
        method,
        "get" | "post" | "put" | "patch" | "delete" | "head" | "options" | "websocket_connect"
    ) {
        return false;
    }
    positional_args(call).first().is_some_and(|a| {
        matches!(a.kind_str(), "string" | "concatenated_string")
            && pyast::string_text(*a, source).starts_with('/')
    })
}

fn enclosing_class(def: Node<'_>) -> Option<Node<'_>> {
    let mut at = def.parent();
    while let Some(n) = at {
        match n.kind_str() {
            "class_definition" => return Some(n),
            "function_definition" => return None,
            _ => at = n.parent(),
        }
    }
    None
}

/// A unittest/pytest class whose `setUp` (or any method) builds a client.
fn class_builds_client(class: Node<'_>, source: &str, seen: Option<&Seen>) -> bool {
    let Some(body) = class.child_by_field_id(*fid::BODY) else {
        return false;
    };
    if let Some(seen) = seen.filter(|_| body.descendant_count() <= MAX_NODES) {
        return Seen::any_in(&seen.constructions, &body.byte_range());
    }
    find_bounded(body, |n| is_client_construction(n, source))
}

/// The decorator expressions of a `def` or `class`.
fn definition_decorators(def: Node<'_>) -> Vec<Node<'_>> {
    pyast::decorators(def, def.parent())
}

/// Patch sites of one `def`: its decorators and the patch calls in its body
/// (not in nested functions' decorators twice: each call once).
fn patch_sites<'t>(def: Node<'t>, cx: &Cx<'_>, out: &mut Vec<(Node<'t>, String)>) {
    for d in definition_decorators(def) {
        if let Some(site) = patch_site(d, cx) {
            out.push(site);
        }
    }
    let Some(body) = def.child_by_field_id(*fid::BODY) else {
        return;
    };
    find_bounded(body, |n| {
        if n.kind_str() == "call" {
            if let Some(site) = patch_site(n, cx) {
                out.push(site);
            }
        }
        false
    });
}

/// Visit `root` and the nodes below it, depth first, until `stop` says so
/// (true) or [`MAX_NODES`] nodes were seen (false: a huge body is not judged).
fn find_bounded<'t>(root: Node<'t>, mut stop: impl FnMut(Node<'t>) -> bool) -> bool {
    let mut walk = pyast::Descent::new(root, MAX_NODES);
    while let Some(n) = walk.next() {
        if stop(n) {
            return true;
        }
    }
    false
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Patcher {
    /// `patch("a.b.c")`, `mocker.patch("a.b.c")`, `monkeypatch.setattr("a.b.c", v)`.
    Target,
    /// `patch.object(obj, "attr")`, `monkeypatch.setattr(obj, "attr", v)`.
    Object,
    /// `patch.multiple(target, attr=...)`.
    Multiple,
}

/// A patch call (or decorator expression) and what it patches, when that
/// names the database.
fn patch_site<'t>(node: Node<'t>, cx: &Cx<'_>) -> Option<(Node<'t>, String)> {
    if node.kind_str() != "call" {
        return None;
    }
    let callee = pyast::dotted_name(node.child_by_field_id(*fid::FUNCTION)?, cx.source)?;
    let patcher = patcher(&callee, node, cx)?;
    let args = positional_args(node);
    let first = args.first().copied()?;
    let target = match patcher {
        Patcher::Target if first.kind_str() == "string" => {
            pyast::string_text(first, cx.source).into_owned()
        }
        // `monkeypatch.setattr(obj, "attr", value)`
        Patcher::Target | Patcher::Object => {
            let object = pyast::dotted_name(first, cx.source)?;
            let attr = args
                .get(1)
                .filter(|a| a.kind_str() == "string")
                .map(|a| pyast::string_text(*a, cx.source).into_owned())
                .unwrap_or_default();
            if attr.is_empty() {
                object.into_owned()
            } else {
                format!("{object}.{attr}")
            }
        }
        Patcher::Multiple => {
            let base = if first.kind_str() == "string" {
                pyast::string_text(first, cx.source).into_owned()
            } else {
                pyast::dotted_name(first, cx.source)?.into_owned()
            };
            let names: Vec<&str> = pyast::call_arguments(node)
                .map(|a| {
                    let mut cursor = a.walk();
                    a.named_children(&mut cursor)
                        .filter(|k| k.kind_str() == "keyword_argument")
                        .filter_map(|k| k.child_by_field_id(*fid::NAME))
                        .map(|n| pyast::text(n, cx.source))
                        .collect()
                })
                .unwrap_or_default();
            let hit = names.iter().find(|n| names_database(n));
            match hit {
                Some(n) => format!("{base}.{n}"),
                None => base,
            }
        }
    };
    names_database(&target).then_some((node, target))
}

/// Is the call `callee` one of unittest.mock's or pytest's patchers?
fn patcher(callee: &str, node: Node<'_>, cx: &Cx<'_>) -> Option<Patcher> {
    let (head, kind) = if let Some(h) = callee.strip_suffix(".object") {
        (h, Patcher::Object)
    } else if let Some(h) = callee.strip_suffix(".multiple") {
        (h, Patcher::Multiple)
    } else if callee == "monkeypatch.setattr" {
        return Some(Patcher::Target);
    } else {
        (callee, Patcher::Target)
    };
    if head == "mocker.patch" {
        return Some(kind);
    }
    let scope = cx.semantic.scope_containing(node.start_byte());
    let qualified = cx.semantic.qualified_name(head, scope, node.start_byte())?;
    matches!(qualified.as_str(), "unittest.mock.patch" | "mock.patch").then_some(kind)
}

/// Segments naming a database, its session or driver (words of a segment:
/// `get_db` -> `get`, `db`).
const DATABASE_WORDS: &[&str] = &[
    "db",
    "database",
    "databases",
    "supabase",
    "sqlalchemy",
    "sqlmodel",
    "mongo",
    "mongodb",
    "pymongo",
    "motor",
    "beanie",
    "asyncpg",
    "psycopg",
    "psycopg2",
    "aiosqlite",
    "prisma",
    "tortoise",
    "firestore",
    "dynamodb",
];

/// Whole segments (lowercase, `_` dropped) naming a session or an engine.
const SESSION_SEGMENTS: &[&str] = &[
    "session",
    "asyncsession",
    "sessionlocal",
    "asyncsessionlocal",
    "sessionmaker",
    "asyncsessionmaker",
    "scopedsession",
    "getsession",
    "getasyncsession",
    "engine",
    "asyncengine",
    "getengine",
    "createengine",
    "createasyncengine",
];

/// Libraries whose sessions and clients are not the database: an external
/// HTTP, cloud or mail client may be patched in any test.
const EXTERNAL: &[&str] = &[
    "requests",
    "httpx",
    "aiohttp",
    "urllib3",
    "boto3",
    "botocore",
    "aioboto3",
    "aiobotocore",
    "smtplib",
    "aiosmtplib",
    "fastapi_mail",
    "sendgrid",
];

/// Does the dotted patch target name the database (`app.db.session.SessionLocal`,
/// `app.api.deps.get_db`, `app.core.supabase_client`, `sqlalchemy.orm.Session.execute`)
/// rather than an external client (`app.services.mail.requests.session`)?
pub fn names_database(target: &str) -> bool {
    let segments: Vec<&str> = target.split('.').filter(|s| !s.is_empty()).collect();
    if segments
        .iter()
        .any(|s| EXTERNAL.contains(&s.to_ascii_lowercase().as_str()))
    {
        return false;
    }
    if segments.iter().any(|s| other_kind_of_session(s)) {
        return false;
    }
    segments.iter().any(|segment| {
        let squashed: String = segment
            .chars()
            .filter(|c| *c != '_')
            .map(|c| c.to_ascii_lowercase())
            .collect();
        if SESSION_SEGMENTS.contains(&squashed.as_str()) {
            return true;
        }
        words(segment)
            .iter()
            .any(|w| DATABASE_WORDS.contains(&w.as_str()))
    })
}

/// `WebsocketSession`, `HTTPSession`, `chat_session`: a class or name for
/// a session of another kind than the database's (no database word, not one
/// of [`SESSION_SEGMENTS`]). A target through it (`app.session.WebsocketSession.get_by_id`)
/// patches that session, not the database.
fn other_kind_of_session(segment: &str) -> bool {
    let w = words(segment);
    let squashed: String = w.concat();
    w.len() > 1
        && w.last().is_some_and(|l| l == "session")
        && !SESSION_SEGMENTS.contains(&squashed.as_str())
        && !w.iter().any(|x| DATABASE_WORDS.contains(&x.as_str()))
}

/// `get_db` -> [get, db]; `SupabaseClient` -> [supabase, client]; `DBSession` -> [db, session].
fn words(segment: &str) -> Vec<String> {
    let mut out = Vec::new();
    for part in segment.split('_').filter(|p| !p.is_empty()) {
        let chars: Vec<char> = part.chars().collect();
        let mut word = String::new();
        for (i, c) in chars.iter().enumerate() {
            let boundary = c.is_ascii_uppercase()
                && i > 0
                && (chars[i - 1].is_ascii_lowercase()
                    || chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase()));
            if boundary && !word.is_empty() {
                out.push(std::mem::take(&mut word));
            }
            word.push(c.to_ascii_lowercase());
        }
        if !word.is_empty() {
            out.push(word);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_naming_the_database() {
        for t in [
            "app.db.session.SessionLocal",
            "app.api.deps.get_db",
            "app.core.supabase_client",
            "app.main.SupabaseClient",
            "sqlalchemy.ext.asyncio.AsyncSession.execute",
            "app.database.engine",
            "app.repo.DBSession",
            "lnbits.core.crud.db",
            "app.db.async_session",
            "app.db.DbSession.execute",
            "app.db.session.ScopedSession",
        ] {
            assert!(names_database(t), "{t}");
        }
        for t in [
            "app.services.mail.requests.session",
            "boto3.session.Session",
            "app.services.payments.stripe_client",
            "app.auth.session_token",
            "app.services.user_service.UserRepository.get",
            "app.core.config.settings",
            "app.templates.jinja_engine",
            "app.debug",
            "chainlit.session.WebsocketSession.get_by_id",
            "app.web.HTTPSession.persist_file",
        ] {
            assert!(!names_database(t), "{t}");
        }
    }

    #[test]
    fn words_split_snake_and_camel_case() {
        assert_eq!(words("get_db"), vec!["get", "db"]);
        assert_eq!(words("DBSession"), vec!["db", "session"]);
        assert_eq!(words("SupabaseClient"), vec!["supabase", "client"]);
    }
}
