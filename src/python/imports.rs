//! Import facts, read from import statements during the engine's walk.

use tree_sitter::Node;

use crate::parse::NodeKind;

use crate::python::ast::fid;
use crate::python::name::Name;

use crate::diagnostic::LineIndex;
use crate::diagnostic::Position;
use std::ops::Range;

/// Where an import statement sits, which decides whether it counts for
/// layering and cycles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum ImportScope {
    Module,
    Function,
    TypeChecking,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ImportedName {
    pub name: Name,
    pub alias: Option<Name>,
}

/// One imported module: `import a.b as c` or `from ..a import b, c`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Import {
    /// Dotted module path as written, without the leading dots.
    pub module: Name,
    /// Number of leading dots of a relative import (0 = absolute).
    pub level: u32,
    /// `import a.b as c` binds `c`.
    pub alias: Option<Name>,
    /// For `from m import ...`: the names imported (`*` for a star import). Empty for `import m`.
    pub names: Vec<ImportedName>,
    pub is_from: bool,
    pub scope: ImportScope,
    /// Inside `try:` whose handlers catch `ImportError`/`ModuleNotFoundError`.
    pub guarded: bool,
    pub span: Range<usize>,
    pub start: Position,
}

impl Import {
    /// The local name bound to `module.name` (for `from module import name [as alias]`).
    pub fn binds(&self, module: &str, name: &str) -> Option<&str> {
        if self.level != 0 || self.module != module {
            return None;
        }
        self.names
            .iter()
            .find(|n| n.name == name)
            .map(|n| n.alias.as_deref().unwrap_or(&n.name))
    }

    /// The local name through which `module` is reachable as an attribute base
    /// (`import typing`, `import typing as t`).
    pub fn module_alias(&self, module: &str) -> Option<&str> {
        if self.is_from || self.level != 0 {
            return None;
        }
        match &self.alias {
            Some(alias) if self.module == module => Some(alias),
            None if self.module == module => Some(&self.module),
            _ => None,
        }
    }

    pub fn is_star_from(&self, module: &str) -> bool {
        self.is_from
            && self.level == 0
            && self.module == module
            && self.names.iter().any(|n| n.name == "*")
    }
}

pub const IMPORT_KINDS: &[&str] = &[
    "import_statement",
    "import_from_statement",
    "future_import_statement",
];

/// Append the imports made by `node` (one of [`IMPORT_KINDS`]).
pub fn extract(
    node: Node<'_>,
    ancestors: &[Node<'_>],
    source: &str,
    lines: &LineIndex,
    out: &mut Vec<Import>,
) {
    let text = |n: Node<'_>| source.get(n.byte_range()).unwrap_or("");
    let scope = scope_of(ancestors, source);
    let guarded = is_guarded(node, ancestors, source);
    let start = lines.position(node.start_byte(), source);
    let base = |module: String,
                level: u32,
                alias: Option<String>,
                names: Vec<ImportedName>,
                is_from: bool| Import {
        module: Name::from(module),
        level,
        alias: alias.map(Name::from),
        names,
        is_from,
        scope,
        guarded,
        span: node.byte_range(),
        start,
    };
    let mut cursor = node.walk();
    match node.kind_str() {
        "import_statement" => {
            for child in node.children_by_field_name("name", &mut cursor) {
                let (name, alias) = name_and_alias(child, &text);
                out.push(base(name, 0, alias, Vec::new(), false));
            }
        }
        "import_from_statement" | "future_import_statement" => {
            let (module, level) = match node.child_by_field_id(*fid::MODULE_NAME) {
                Some(m) if m.kind_str() == "relative_import" => {
                    let raw = text(m);
                    let level = raw.chars().take_while(|c| *c == '.').count() as u32;
                    (squash(raw.trim_start_matches('.')), level)
                }
                Some(m) => (squash(text(m)), 0),
                None => ("__future__".to_owned(), 0),
            };
            let mut names: Vec<ImportedName> = node
                .children_by_field_name("name", &mut cursor)
                .map(|child| {
                    let (name, alias) = name_and_alias(child, &text);
                    ImportedName {
                        name: Name::from(name),
                        alias: alias.map(Name::from),
                    }
                })
                .collect();
            let mut cursor = node.walk();
            if node
                .named_children(&mut cursor)
                .any(|c| c.kind_str() == "wildcard_import")
            {
                names.push(ImportedName {
                    name: Name::from("*".to_owned()),
                    alias: None,
                });
            }
            out.push(base(module, level, None, names, true));
        }
        _ => {}
    }
}

/// `importlib.import_module("a.b")` / `import_module("a.b")` /
/// `__import__("a.b")` with a literal, absolute module name: recorded as an
/// import of that module (dependency checks count it as a use).
pub fn extract_dynamic(
    node: Node<'_>,
    function: Option<Node<'_>>,
    ancestors: &[Node<'_>],
    source: &str,
    lines: &LineIndex,
    out: &mut Vec<Import>,
) {
    let Some(function) = function else {
        return;
    };
    let callee = source.get(function.byte_range()).unwrap_or("");
    if !(callee == "__import__" || callee == "import_module" || callee.ends_with(".import_module"))
    {
        return;
    }
    let Some(args) = node.child_by_field_id(*fid::ARGUMENTS) else {
        return;
    };
    let Some(first) = args.named_child(0).filter(|a| a.kind_str() == "string") else {
        return;
    };
    let raw = source.get(first.byte_range()).unwrap_or("");
    if raw.starts_with(|c: char| c.is_alphabetic()) || raw.len() < 2 {
        // f-strings and other prefixed literals are not plain names.
        return;
    }
    let module = &raw[1..raw.len() - 1];
    let valid = !module.is_empty()
        && !module.starts_with('.')
        && module
            .split('.')
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_alphanumeric() || c == '_'));
    if !valid {
        return;
    }
    out.push(Import {
        module: Name::from(module.to_owned()),
        level: 0,
        alias: None,
        names: Vec::new(),
        is_from: false,
        scope: scope_of(ancestors, source),
        guarded: is_guarded(node, ancestors, source),
        span: node.byte_range(),
        start: lines.position(node.start_byte(), source),
    });
}

fn name_and_alias<'s>(
    node: Node<'_>,
    text: &impl Fn(Node<'_>) -> &'s str,
) -> (String, Option<String>) {
    if node.kind_str() == "aliased_import" {
        let name = node.child_by_field_id(*fid::NAME).map(text).unwrap_or("");
        let alias = node
            .child_by_field_id(*fid::ALIAS)
            .map(|a| text(a).to_owned());
        (squash(name), alias)
    } else {
        (squash(text(node)), None)
    }
}

/// Dotted names may contain whitespace or comments (`a . b`); keep only the dotted path.
fn squash(s: &str) -> String {
    if s.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_')
    {
        s.to_owned()
    } else {
        s.split('.')
            .map(|part| part.trim())
            .collect::<Vec<_>>()
            .join(".")
    }
}

fn scope_of(ancestors: &[Node<'_>], source: &str) -> ImportScope {
    let mut scope = ImportScope::Module;
    for (i, a) in ancestors.iter().enumerate() {
        match a.kind_str() {
            "function_definition" | "lambda" => return ImportScope::Function,
            "if_statement" if is_type_checking(*a, source) => {
                let in_consequence = ancestors
                    .get(i + 1)
                    .is_some_and(|next| a.child_by_field_id(*fid::CONSEQUENCE) == Some(*next));
                if in_consequence {
                    scope = ImportScope::TypeChecking;
                }
            }
            _ => {}
        }
    }
    scope
}

fn is_type_checking(if_stmt: Node<'_>, source: &str) -> bool {
    if_stmt
        .child_by_field_id(*fid::CONDITION)
        .and_then(|c| source.get(c.byte_range()))
        .is_some_and(|c| c == "TYPE_CHECKING" || c.ends_with(".TYPE_CHECKING"))
}

/// An import inside the body of a `try` whose handlers catch a failed import,
/// or under `if "x" in sys.modules:` / `if importlib.util.find_spec("x"):`
/// (the module is only imported when it is known to be there).
fn is_guarded(node: Node<'_>, ancestors: &[Node<'_>], source: &str) -> bool {
    let presence_checked = ancestors.iter().enumerate().any(|(i, a)| {
        a.kind_str() == "if_statement"
            && ancestors
                .get(i + 1)
                .is_some_and(|next| a.child_by_field_id(*fid::CONSEQUENCE) == Some(*next))
            && a.child_by_field_id(*fid::CONDITION)
                .and_then(|c| source.get(c.byte_range()))
                .is_some_and(|c| {
                    // `if "x" not in sys.modules` or `if find_spec("x") is None`
                    // guard the other way; `... is not None` does not.
                    let negated = c.trim_start().starts_with("not ")
                        || c.contains(" not in ")
                        || (c.contains(" is None") && !c.contains(" is not None"));
                    (c.contains("sys.modules") || c.contains("find_spec(")) && !negated
                })
    });
    // `if sys.version_info >= (3, 11): import tomllib` and its `else`: the
    // import runs only on the Python versions the branch was written for.
    let version_checked = ancestors.iter().any(|a| {
        a.kind_str() == "if_statement"
            && a.child_by_field_id(*fid::CONDITION)
                .and_then(|c| source.get(c.byte_range()))
                .is_some_and(|c| c.contains("version_info"))
    });
    if presence_checked || version_checked {
        return true;
    }
    let path: Vec<Node<'_>> = ancestors
        .iter()
        .copied()
        .chain(std::iter::once(node))
        .collect();
    path.windows(2).any(|w| {
        let (try_stmt, child) = (w[0], w[1]);
        if try_stmt.kind_str() != "try_statement"
            || try_stmt.child_by_field_id(*fid::BODY) != Some(child)
        {
            return false;
        }
        let mut cursor = try_stmt.walk();
        let guarded = try_stmt.named_children(&mut cursor).any(|clause| {
            if clause.kind_str() != "except_clause" {
                return false;
            }
            let mut c = clause.walk();
            let caught: Vec<&str> = clause
                .named_children(&mut c)
                .filter(|n| n.kind_str() != "block" && n.kind_str() != "comment")
                .filter_map(|n| source.get(n.byte_range()))
                .collect();
            caught.is_empty()
                || caught.iter().any(|t| {
                    t.contains("ImportError")
                        || t.contains("ModuleNotFoundError")
                        || t.contains("Exception")
                })
        });
        guarded
    })
}
/// The module a local name (or the head of a dotted name) was imported from
/// with `from m import name`, and the original name.
pub fn imported_from<'i>(dotted: &str, imports: &'i [Import]) -> Option<(&'i Import, &'i str)> {
    let head = dotted.split('.').next().unwrap_or(dotted);
    imports.iter().rev().find_map(|imp| {
        if !imp.is_from {
            return None;
        }
        imp.names
            .iter()
            .find(|n| n.alias.as_deref().unwrap_or(&n.name) == head)
            .map(|n| (imp, n.name.as_str()))
    })
}
