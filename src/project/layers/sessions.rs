//! What a database session is, as the layer rules see it: SQLAlchemy and
//! SQLModel session classes however imported, project aliases that carry one,
//! dependency providers that yield one; and what a repository class is.

use super::model::{get, resolve_name, MAX_DEPTH};
use crate::project::Project;

thread_local! {
    /// Work left for the current question (aliases of aliases can fan out).
    static BUDGET: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

/// Account for one step of a session question; a fresh question (depth 0)
/// gets a fresh budget, so hostile alias webs cannot blow up.
fn spend(depth: usize) -> bool {
    BUDGET.with(|b| {
        if depth == 0 {
            b.set(1_000);
        }
        let left = b.get();
        if left == 0 {
            return false;
        }
        b.set(left - 1);
        true
    })
}

/// Types that are a SQLAlchemy/SQLModel session.
const SESSION_TYPES: &[&str] = &[
    "Session",
    "AsyncSession",
    "scoped_session",
    "async_scoped_session",
];

/// Is the dotted type name, as used in `file`, a database session class?
pub fn is_session_type(project: &Project<'_>, file: usize, dotted: &str, depth: usize) -> bool {
    if depth > MAX_DEPTH || !spend(depth) {
        return false;
    }
    let imports = &project.facts[file].imports;
    if let Some((base, attr)) = dotted.rsplit_once('.') {
        if !SESSION_TYPES.contains(&attr) {
            return false;
        }
        let head = base.split('.').next().unwrap_or(base);
        return imports.iter().any(|i| {
            !i.is_from
                && i.level == 0
                && crate::python::sqlalchemy::is_sql_module(&i.module)
                && (i.alias.as_deref() == Some(base)
                    || (i.alias.is_none() && i.module.split('.').next() == Some(head)))
        }) || crate::python::imports::imported_from(head, imports).is_some_and(|(i, _)| {
            i.level == 0 && crate::python::sqlalchemy::is_sql_module(&i.module)
        });
    }
    match crate::python::imports::imported_from(dotted, imports) {
        Some((import, original))
            if import.level == 0 && crate::python::sqlalchemy::is_sql_module(&import.module) =>
        {
            SESSION_TYPES.contains(&original)
        }
        Some(_) => match resolve_name(project, file, dotted, depth + 1) {
            Some((target, name)) => is_session_type(project, target, &name, depth + 1),
            None => false,
        },
        None => match project.facts[file]
            .arch
            .aliases
            .iter()
            .rev()
            .find(|a| a.name == dotted)
        {
            // `AsyncSession = _AsyncSession`
            Some(alias) => alias
                .digest
                .names
                .iter()
                .any(|n| n != dotted && is_session_type(project, file, n, depth + 1)),
            // Only the unambiguous name counts when its import is not visible (star imports).
            None => dotted == "AsyncSession",
        },
    }
}

/// Is the name (used in `file`) a project-defined `Annotated` alias that
/// carries a database session?
pub fn is_session_alias(project: &Project<'_>, file: usize, dotted: &str, depth: usize) -> bool {
    if depth > MAX_DEPTH || !spend(depth) {
        return false;
    }
    if !dotted.contains('.') {
        if let Some(alias) = project.facts[file]
            .arch
            .aliases
            .iter()
            .rev()
            .find(|a| a.name == dotted)
        {
            return alias.digest.names.iter().any(|n| {
                n != dotted
                    && (is_session_type(project, file, n, depth + 1)
                        || is_session_alias(project, file, n, depth + 1))
            }) || alias
                .digest
                .providers
                .iter()
                .any(|p| is_session_provider(project, file, p, depth + 1));
        }
    }
    match resolve_name(project, file, dotted, depth + 1) {
        Some((target, name)) if target != file || name != dotted => {
            is_session_alias(project, target, &name, depth + 1)
        }
        _ => false,
    }
}

/// Is the dependency provider (as named in `file`) one that yields a database session?
pub fn is_session_provider(project: &Project<'_>, file: usize, dotted: &str, depth: usize) -> bool {
    if depth > MAX_DEPTH || !spend(depth) {
        return false;
    }
    if !dotted.contains('.') {
        if let Some(f) = project.facts[file]
            .arch
            .functions
            .iter()
            .rev()
            .find(|f| f.name == dotted)
        {
            return match &f.returns {
                Some(names) => names.iter().any(|n| {
                    is_session_type(project, file, n, depth + 1)
                        || is_session_alias(project, file, n, depth + 1)
                }),
                None => crate::python::sqlalchemy::provider_name_says_session(dotted),
            };
        }
    }
    match resolve_name(project, file, dotted, depth + 1) {
        Some((target, name)) if target != file || name != dotted => {
            is_session_provider(project, target, &name, depth + 1)
        }
        _ => crate::python::sqlalchemy::provider_name_says_session(dotted),
    }
}

/// Why a route handler's parameter is a database session, in words; `None`
/// if it is not one.
pub fn session_parameter(
    project: &Project<'_>,
    file: usize,
    param: &crate::project::arch::Param,
) -> Option<String> {
    for name in &param.annotation.names {
        if is_session_alias(project, file, name, 0) {
            return Some(format!("`{name}` stands for a database session"));
        }
        if is_session_type(project, file, name, 0) {
            return Some(format!("annotated `{name}`"));
        }
    }
    param
        .annotation
        .providers
        .iter()
        .chain(&param.default_providers)
        .find(|p| is_session_provider(project, file, p, 0))
        .map(|p| format!("from `Depends({p})`"))
}

/// Is the callee (as written in `file`) a repository class: named like one
/// (`UserRepository`, `ItemRepo`, `OrderDAO`) or defined in a module of the
/// `repository` layer?
pub fn is_repository_class(project: &Project<'_>, file: usize, callee: &str) -> bool {
    let last = crate::python::fastapi::last_segment(callee);
    if !last.starts_with(|c: char| c.is_ascii_uppercase()) {
        return false;
    }
    if ["Repository", "Repo", "DAO", "Dao"]
        .iter()
        .any(|suffix| last.ends_with(suffix))
    {
        return true;
    }
    resolve_name(project, file, callee, 0)
        .is_some_and(|(target, _)| get(project).layer_name(project, target) == Some("repository"))
}
