//! SQLAlchemy and SQLModel vocabulary: session methods, the modules and
//! how a file names them, what a session provider is called.

use crate::python::fastapi;

/// Fetch methods of DB-API cursors and async drivers (asyncpg, databases).
pub const DRIVER_FETCH_METHODS: &[&str] = &[
    "fetch",
    "fetchrow",
    "fetchval",
    "fetch_all",
    "fetch_one",
    "fetch_val",
    "fetchall",
    "fetchone",
];
use crate::python::imports::Import;

/// Methods of a SQLAlchemy/SQLModel session.
pub const SESSION_METHODS: &[&str] = &[
    "execute", "exec", "scalars", "scalar", "get", "add", "add_all", "delete", "commit", "refresh",
    "query", "flush", "rollback", "merge",
];

/// Session methods that are coroutines on an `AsyncSession` and block on a
/// synchronous `Session`: inside `async def`, one that is not awaited is a
/// bug either way. (`add`, `add_all` and `expunge` are plain methods on both;
/// `get` and `close` are left out because HTTP client sessions have them.)
pub const AWAITABLE_SESSION_METHODS: &[&str] = &[
    "execute",
    "exec",
    "scalars",
    "scalar",
    "delete",
    "commit",
    "refresh",
    "flush",
    "rollback",
    "merge",
    "stream",
    "stream_scalars",
];

pub fn is_sql_module(module: &str) -> bool {
    let top = module.split('.').next().unwrap_or(module);
    top == "sqlalchemy" || top == "sqlmodel"
}

/// Is the local `name` bound to sqlalchemy's/sqlmodel's `name`?
pub fn is_sql_name(name: &str, imports: &[Import]) -> bool {
    imports.iter().any(|i| {
        i.is_from
            && i.level == 0
            && is_sql_module(&i.module)
            && i.names
                .iter()
                .any(|n| (n.alias.as_deref().unwrap_or(&n.name) == name) || n.name == "*")
    })
}

/// `sa`, `sqlalchemy`, `sqlmodel` as module aliases.
pub fn is_sql_module_alias(base: &str, imports: &[Import]) -> bool {
    imports.iter().any(|i| {
        !i.is_from
            && i.level == 0
            && is_sql_module(&i.module)
            && match &i.alias {
                Some(a) => a == base,
                None => i.module == base,
            }
    })
}

/// `get_db`, `get_session`, `get_async_session`, `get_db_session` — not
/// `get_session_service`, `get_current_user`, or classes (`requests.Session`).
pub fn provider_name_says_session(dotted: &str) -> bool {
    let name = fastapi::last_segment(dotted);
    if !name.starts_with(|c: char| c.is_ascii_lowercase() || c == '_') {
        return false;
    }
    let name = name.to_ascii_lowercase();
    let last = name.rsplit('_').next().unwrap_or(&name);
    matches!(last, "db" | "session" | "database" | "sess" | "dbsession")
}
