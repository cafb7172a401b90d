//! Helpers over tree-sitter-python nodes shared by several rules: dotted
//! names, call arguments, string literals, enclosing scopes, and resolving a
//! local name to the module attribute it was imported as.

use std::borrow::Cow;
use std::ops::Range;

use tree_sitter::Node;

use crate::parse::NodeKind;

use crate::python::imports::{Import, ImportScope};

/// Field ids of tree-sitter-python, looked up once: `child_by_field_name`
/// compares the name against every field of the grammar on each call, which
/// shows up in profiles for rules that run on every call node.
pub mod fid {
    use std::sync::LazyLock;

    fn id(name: &str) -> u16 {
        crate::parse::language()
            .field_id_for_name(name)
            .map_or(0, |id| id.get())
    }

    macro_rules! fields {
        ($($constant:ident = $name:literal),* $(,)?) => {
            $(pub static $constant: LazyLock<u16> = LazyLock::new(|| id($name));)*
        };
    }

    fields! {
        ALIAS = "alias",
        ALTERNATIVE = "alternative",
        ARGUMENT = "argument",
        ARGUMENTS = "arguments",
        ATTRIBUTE = "attribute",
        BODY = "body",
        CAUSE = "cause",
        CONDITION = "condition",
        CONSEQUENCE = "consequence",
        DEFINITION = "definition",
        EXPRESSION = "expression",
        FUNCTION = "function",
        KEY = "key",
        LEFT = "left",
        MODULE_NAME = "module_name",
        NAME = "name",
        OBJECT = "object",
        OPERATOR = "operator",
        PARAMETERS = "parameters",
        RETURN_TYPE = "return_type",
        RIGHT = "right",
        SUBSCRIPT = "subscript",
        SUPERCLASSES = "superclasses",
        TYPE = "type",
        VALUE = "value",
    }
}

pub use super::descent::{contains_kind, named_children_of, Descent};

/// The identifier a parameter binds (`x`, `x: T`, `x=1`, `*args`, `**kw`).
pub fn parameter_name(p: Node<'_>) -> Option<Node<'_>> {
    match p.kind_str() {
        "identifier" => Some(p),
        "typed_parameter" | "list_splat_pattern" | "dictionary_splat_pattern" => p
            .named_child(0)
            .filter(|n| n.kind_str() == "identifier")
            .or_else(|| {
                // `*args: T` is a typed_parameter around a splat pattern.
                p.named_child(0)
                    .and_then(|n| n.named_child(0))
                    .filter(|n| n.kind_str() == "identifier")
            }),
        "default_parameter" | "typed_default_parameter" => p
            .child_by_field_id(*fid::NAME)
            .filter(|n| n.kind_str() == "identifier"),
        _ => None,
    }
}

/// The names a `def` takes, in order (`self`, `db`, `args` of `*args`).
pub fn parameter_names<'s>(def: Node<'_>, source: &'s str) -> Vec<&'s str> {
    let Some(params) = def.child_by_field_id(*fid::PARAMETERS) else {
        return Vec::new();
    };
    let mut cursor = params.walk();
    let names = params
        .named_children(&mut cursor)
        .filter_map(parameter_name)
        .map(|n| text(n, source))
        .collect();
    names
}

pub fn text<'s>(node: Node<'_>, source: &'s str) -> &'s str {
    source.get(node.byte_range()).unwrap_or("")
}

/// `a.b.c` when the expression is only identifiers joined by attribute
/// access (no calls, subscripts or literals); whitespace and comments inside
/// the chain are dropped.
pub fn dotted_name<'s>(node: Node<'_>, source: &'s str) -> Option<Cow<'s, str>> {
    let mut current = node;
    let mut depth = 0usize;
    loop {
        match current.kind_str() {
            "identifier" => break,
            "attribute" => {
                let attr = current.child_by_field_id(*fid::ATTRIBUTE)?;
                if attr.kind_str() != "identifier" {
                    return None;
                }
                current = current.child_by_field_id(*fid::OBJECT)?;
                depth += 1;
                if depth > 64 {
                    return None;
                }
            }
            _ => return None,
        }
    }
    let raw = text(node, source);
    if raw
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || b >= 0x80)
    {
        return Some(Cow::Borrowed(raw));
    }
    // Rebuild from the identifiers, outermost last.
    let mut parts = Vec::with_capacity(depth + 1);
    let mut current = node;
    while current.kind_str() == "attribute" {
        parts.push(text(current.child_by_field_id(*fid::ATTRIBUTE)?, source));
        current = current.child_by_field_id(*fid::OBJECT)?;
    }
    parts.push(text(current, source));
    parts.reverse();
    Some(Cow::Owned(parts.join(".")))
}

/// The part after the last dot.
pub fn last_segment(dotted: &str) -> &str {
    dotted.rsplit('.').next().unwrap_or(dotted)
}

/// The part before the first dot.
pub fn first_segment(dotted: &str) -> &str {
    dotted.split('.').next().unwrap_or(dotted)
}

/// Calls `check` with every fully qualified name `dotted` may stand for given
/// the file's imports (`t.sleep` with `import time as t` is `time.sleep`;
/// `sleep` with `from time import sleep` is `time.sleep`; star imports are
/// tried too) and returns the first answer.
pub fn resolve_with<T>(
    dotted: &str,
    imports: &[Import],
    mut check: impl FnMut(&str) -> Option<T>,
) -> Option<T> {
    let (head, rest) = match dotted.split_once('.') {
        Some((h, r)) => (h, Some(r)),
        None => (dotted, None),
    };
    let mut buf = String::new();
    let mut star_modules: Vec<&str> = Vec::new();
    for imp in imports {
        if imp.level != 0 {
            continue;
        }
        buf.clear();
        if imp.is_from {
            for n in &imp.names {
                if n.name == "*" {
                    star_modules.push(&imp.module);
                    continue;
                }
                if n.alias.as_deref().unwrap_or(&n.name) == head {
                    buf.push_str(&imp.module);
                    buf.push('.');
                    buf.push_str(&n.name);
                    break;
                }
            }
        } else {
            match &imp.alias {
                Some(alias) if alias == head => buf.push_str(&imp.module),
                None if first_segment(&imp.module) == head => buf.push_str(head),
                _ => {}
            }
        }
        if buf.is_empty() {
            continue;
        }
        if let Some(rest) = rest {
            buf.push('.');
            buf.push_str(rest);
        }
        if let Some(found) = check(&buf) {
            return Some(found);
        }
    }
    for module in star_modules {
        buf.clear();
        buf.push_str(module);
        buf.push('.');
        buf.push_str(dotted);
        if let Some(found) = check(&buf) {
            return Some(found);
        }
    }
    None
}

/// The target among `targets` that `dotted` resolves to through the imports.
pub fn resolves_to<'t>(dotted: &str, imports: &[Import], targets: &[&'t str]) -> Option<&'t str> {
    resolve_with(dotted, imports, |q| {
        targets.iter().copied().find(|t| *t == q)
    })
}

/// Is a bare name bound by an import (so it is not the builtin of that name)?
pub fn imported(name: &str, imports: &[Import]) -> bool {
    imported_in(name, imports, None)
}

/// Like [`imported`], but imports made inside a function only count for a
/// use inside that same function (`function` is its byte range).
pub fn imported_in(name: &str, imports: &[Import], function: Option<&Range<usize>>) -> bool {
    imports.iter().any(|imp| {
        if imp.scope == ImportScope::Function
            && !function.is_some_and(|f| f.contains(&imp.span.start))
        {
            return false;
        }
        if imp.is_from {
            imp.names
                .iter()
                .any(|n| n.name != "*" && n.alias.as_deref().unwrap_or(&n.name) == name)
        } else {
            match &imp.alias {
                Some(alias) => alias == name,
                None => first_segment(&imp.module) == name,
            }
        }
    })
}

/// Is `name` an alias given by `from m import x as name`? Lets rules whose
/// cheap pre-filter looks at callee names still see renamed imports.
pub fn is_import_alias(name: &str, imports: &[Import]) -> bool {
    imports
        .iter()
        .any(|imp| imp.is_from && imp.names.iter().any(|n| n.alias.as_deref() == Some(name)))
}

/// [`is_import_alias`] for rules that ask on every call: the aliases are
/// collected once per new import instead of rescanning all imports.
#[derive(Debug, Default)]
pub struct AliasCache {
    seen: usize,
    aliases: Vec<String>,
}

impl AliasCache {
    pub fn contains(&mut self, name: &str, imports: &[Import]) -> bool {
        if self.seen < imports.len() {
            for imp in &imports[self.seen..] {
                if imp.is_from {
                    self.aliases
                        .extend(imp.names.iter().filter_map(|n| n.alias.map(String::from)));
                }
            }
            self.seen = imports.len();
        }
        !self.aliases.is_empty() && self.aliases.iter().any(|a| a == name)
    }
}

/// The innermost `def` or `lambda` among the ancestors.
pub fn enclosing_function<'t>(ancestors: &[Node<'t>]) -> Option<Node<'t>> {
    ancestors
        .iter()
        .rev()
        .find(|a| matches!(a.kind_str(), "function_definition" | "lambda"))
        .copied()
}

pub fn is_async_def(node: Node<'_>) -> bool {
    node.kind_str() == "function_definition"
        && node.child(0).is_some_and(|c| c.kind_str() == "async")
}

/// Inside the body of an `async def`, not inside a nested `def` or `lambda`.
pub fn in_async_function(ancestors: &[Node<'_>]) -> bool {
    enclosing_function(ancestors).is_some_and(is_async_def)
}

/// Byte range of the innermost enclosing `def`/`lambda`.
pub fn function_range(ancestors: &[Node<'_>]) -> Option<Range<usize>> {
    enclosing_function(ancestors).map(|f| f.byte_range())
}

/// Key identifying the function a node belongs to (module level: `usize::MAX`).
pub fn scope_key(ancestors: &[Node<'_>]) -> usize {
    enclosing_function(ancestors).map_or(usize::MAX, |f| f.start_byte())
}

/// Arguments of a call written with parentheses.
/// `(left, right)` of an assignment, augmented assignment or `for` statement.
pub fn left_right(node: Node<'_>) -> Option<(Node<'_>, Node<'_>)> {
    Some((
        node.child_by_field_id(*fid::LEFT)?,
        node.child_by_field_id(*fid::RIGHT)?,
    ))
}

/// `c` for `a.b.c` and for `c`; `None` for any other expression.
pub fn last_name<'s>(node: Node<'_>, source: &'s str) -> Option<&'s str> {
    match node.kind_str() {
        "identifier" => Some(text(node, source)),
        "attribute" => node
            .child_by_field_id(*fid::ATTRIBUTE)
            .map(|a| text(a, source)),
        _ => None,
    }
}

/// The last name of a call's callee: `f` for `f(...)`, `m` for `a.b.m(...)`.
pub fn callee_name<'s>(call: Node<'_>, source: &'s str) -> Option<&'s str> {
    last_name(call.child_by_field_id(*fid::FUNCTION)?, source)
}

/// `(receiver, method)` of a method call `receiver.method(...)`.
pub fn method_call(call: Node<'_>) -> Option<(Node<'_>, Node<'_>)> {
    let function = call
        .child_by_field_id(*fid::FUNCTION)
        .filter(|f| f.kind_str() == "attribute")?;
    Some((
        function.child_by_field_id(*fid::OBJECT)?,
        function.child_by_field_id(*fid::ATTRIBUTE)?,
    ))
}

pub fn call_arguments(call: Node<'_>) -> Option<Node<'_>> {
    call.child_by_field_id(*fid::ARGUMENTS)
        .filter(|a| a.kind_str() == "argument_list")
}

/// The `index`th positional argument; `None` after a `*args` splat, whose
/// length is unknown.
pub fn positional_arg(args: Node<'_>, index: usize) -> Option<Node<'_>> {
    let mut cursor = args.walk();
    let mut seen = 0usize;
    for child in args.named_children(&mut cursor) {
        match child.kind_str() {
            "keyword_argument" | "dictionary_splat" | "comment" => continue,
            "list_splat" => return None,
            _ => {
                if seen == index {
                    return Some(child);
                }
                seen += 1;
            }
        }
    }
    None
}

/// The value of keyword argument `name=`.
pub fn keyword_arg<'t>(args: Node<'t>, name: &str, source: &str) -> Option<Node<'t>> {
    let mut cursor = args.walk();
    let found = args
        .named_children(&mut cursor)
        .filter(|c| c.kind_str() == "keyword_argument")
        .find(|c| {
            c.child_by_field_id(*fid::NAME)
                .is_some_and(|n| text(n, source) == name)
        })
        .and_then(|c| c.child_by_field_id(*fid::VALUE));
    found
}

/// The value of keyword argument `name=` of the call `call`.
pub fn call_keyword<'t>(call: Node<'t>, name: &str, source: &str) -> Option<Node<'t>> {
    call_arguments(call).and_then(|args| keyword_arg(args, name, source))
}

/// Has the call a `**kwargs` argument (which may hold any keyword)?
pub fn has_kwargs_splat(args: Node<'_>) -> bool {
    let mut cursor = args.walk();
    let found = args
        .named_children(&mut cursor)
        .any(|c| c.kind_str() == "dictionary_splat");
    found
}

/// Drops parentheses around an expression.
pub fn unparenthesize(mut node: Node<'_>) -> Node<'_> {
    while node.kind_str() == "parenthesized_expression" {
        match node.named_child(0) {
            Some(inner) if inner.kind_str() != "comment" => node = inner,
            _ => break,
        }
    }
    node
}

/// A string literal with `{...}` placeholders (an f-string or t-string that
/// interpolates something), alone or in an implicit concatenation.
pub fn has_interpolation(node: Node<'_>) -> bool {
    match node.kind_str() {
        "string" => {
            let mut cursor = node.walk();
            let found = node
                .named_children(&mut cursor)
                .any(|c| c.kind_str() == "interpolation");
            found
        }
        "concatenated_string" => {
            let mut cursor = node.walk();
            let found = node.named_children(&mut cursor).any(has_interpolation);
            found
        }
        _ => false,
    }
}

/// A string literal without placeholders (implicit concatenations included).
pub fn is_constant_string(node: Node<'_>) -> bool {
    matches!(node.kind_str(), "string" | "concatenated_string") && !has_interpolation(node)
}

/// The interpolated expressions of an f-string (or of the f-strings of an
/// implicit concatenation).
pub fn interpolations(node: Node<'_>) -> Vec<Node<'_>> {
    fn push_from<'t>(s: Node<'t>, out: &mut Vec<Node<'t>>) {
        let mut cursor = s.walk();
        for c in s.named_children(&mut cursor) {
            if c.kind_str() == "interpolation" {
                if let Some(e) = c.child_by_field_id(*fid::EXPRESSION) {
                    out.push(e);
                }
            }
        }
    }
    let mut out = Vec::new();
    match node.kind_str() {
        "string" => push_from(node, &mut out),
        "concatenated_string" => {
            let mut cursor = node.walk();
            for s in node.named_children(&mut cursor) {
                push_from(s, &mut out);
            }
        }
        _ => {}
    }
    out
}

/// The literal text of a string (its content pieces, escapes left as
/// written; placeholders skipped). Implicit concatenations are joined.
pub fn string_text<'s>(node: Node<'_>, source: &'s str) -> Cow<'s, str> {
    let mut pieces: Vec<&'s str> = Vec::new();
    let mut collect = |s: Node<'_>| {
        let mut cursor = s.walk();
        for c in s.named_children(&mut cursor) {
            if c.kind_str() == "string_content" {
                pieces.push(text(c, source));
            }
        }
    };
    match node.kind_str() {
        "string" => collect(node),
        "concatenated_string" => {
            let mut cursor = node.walk();
            for s in node.named_children(&mut cursor) {
                if s.kind_str() == "string" {
                    collect(s);
                }
            }
        }
        _ => {}
    }
    match pieces.as_slice() {
        [] => Cow::Borrowed(""),
        [one] => Cow::Borrowed(one),
        _ => Cow::Owned(pieces.concat()),
    }
}

/// The identifiers a `def`'s decorators are written with (`app.get` for
/// `@app.get("/")`), with the decorator nodes.
pub fn decorators<'t>(def: Node<'t>, parent: Option<Node<'t>>) -> Vec<Node<'t>> {
    let Some(parent) = parent.filter(|p| p.kind_str() == "decorated_definition") else {
        return Vec::new();
    };
    if parent.child_by_field_id(*fid::DEFINITION) != Some(def) {
        return Vec::new();
    }
    let mut cursor = parent.walk();
    let found = parent
        .named_children(&mut cursor)
        .filter(|c| c.kind_str() == "decorator")
        .filter_map(|c| c.named_child(0))
        .collect();
    found
}

/// The callee of a decorator expression: `app.get` for `@app.get("/")`.
pub fn decorator_callee(expr: Node<'_>) -> Node<'_> {
    if expr.kind_str() == "call" {
        expr.child_by_field_id(*fid::FUNCTION).unwrap_or(expr)
    } else {
        expr
    }
}

/// The assignment a statement consists of (`x = 1`, `x: int = 1`, `x: int`),
/// or `None` for any other statement.
pub fn statement_assignment(stmt: Node<'_>) -> Option<Node<'_>> {
    if stmt.kind_str() != "expression_statement" {
        return None;
    }
    stmt.named_child(0).filter(|a| a.kind_str() == "assignment")
}

/// Base class expressions of a class definition (keyword arguments skipped).
pub fn superclasses(class: Node<'_>) -> Vec<Node<'_>> {
    let Some(args) = class.child_by_field_id(*fid::SUPERCLASSES) else {
        return Vec::new();
    };
    let mut cursor = args.walk();
    let found = args
        .named_children(&mut cursor)
        .filter(|c| !matches!(c.kind_str(), "keyword_argument" | "comment"))
        .collect();
    found
}

/// Schema and data migrations (`migrations/`, `alembic/`, `migrations.py`)
/// run once, from code-controlled values; some rules leave them alone.
pub fn is_migration_path(rel: &str) -> bool {
    rel.split('/').any(|part| {
        matches!(part, "migrations" | "alembic" | "migration")
            || part.starts_with("migrations.")
            || part.starts_with("migration_")
    })
}

/// Is `name` written like a constant (`TABLE`, `MAX_ROWS`)?
pub fn is_constant_name(name: &str) -> bool {
    name.bytes().any(|b| b.is_ascii_uppercase())
        && name
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::python::imports::ImportedName;

    /// The identifiers a [`Descent`] of the first statement meets, with
    /// `lambda` bodies skipped and only the object side of attributes.
    fn descent(source: &str, limit: usize) -> (Vec<String>, bool) {
        let tree = crate::parse::parse(source).expect("parses");
        let root = tree.root_node();
        let mut walk = Descent::new(root.named_child(0).expect("a statement"), limit);
        let mut seen = Vec::new();
        while let Some(n) = walk.next() {
            match n.kind_str() {
                "identifier" => seen.push(text(n, source).to_owned()),
                "lambda" => walk.skip_children(),
                "attribute" => walk.instead(n.child_by_field_id(*fid::OBJECT)),
                _ => {}
            }
        }
        (seen, walk.cut_short())
    }

    #[test]
    fn descent_order_skips_and_limit() {
        // Document order; a lambda's insides and attribute names left out.
        let (seen, cut) = descent("f(a, b.c, lambda x: y, d)\n", 1_000);
        assert_eq!(seen, ["f", "a", "b", "d"]);
        assert!(!cut);
        // expression_statement, call, identifier: the limit ends the walk.
        let (seen, cut) = descent("f(a, b.c, lambda x: y, d)\n", 3);
        assert_eq!(seen, ["f"]);
        assert!(cut);
        // Exactly as many nodes as the limit: not cut short.
        let (seen, cut) = descent("x\n", 2);
        assert_eq!(seen, ["x"]);
        assert!(!cut);
        assert_eq!(
            contains_kind(
                crate::parse::parse("f(await g())\n")
                    .expect("parses")
                    .root_node(),
                "await",
                100,
            ),
            Some(true)
        );
    }

    #[test]
    fn parameter_names_of_every_form() {
        let source = "def f(self, a, b: int, c=1, d: str = '', *args, e, **kw): pass\n";
        let tree = crate::parse::parse(source).expect("parses");
        let def = tree.root_node().named_child(0).expect("a def");
        assert_eq!(
            parameter_names(def, source),
            ["self", "a", "b", "c", "d", "args", "e", "kw"]
        );
    }

    fn import(module: &str, alias: Option<&str>, names: &[(&str, Option<&str>)]) -> Import {
        Import {
            module: crate::python::name::Name::new(module),
            level: 0,
            alias: alias.map(crate::python::name::Name::new),
            names: names
                .iter()
                .map(|(n, a)| ImportedName {
                    name: crate::python::name::Name::new(n),
                    alias: a.map(crate::python::name::Name::new),
                })
                .collect(),
            is_from: !names.is_empty(),
            scope: ImportScope::Module,
            guarded: false,
            span: 0..0,
            start: Default::default(),
        }
    }

    #[test]
    fn resolves_through_the_import_forms() {
        let imports = vec![
            import("time", Some("t"), &[]),
            import("os.path", None, &[]),
            import("subprocess", None, &[("run", Some("sh"))]),
            import("yaml", None, &[("*", None)]),
        ];
        let targets = ["time.sleep", "os.system", "subprocess.run", "yaml.load"];
        assert_eq!(
            resolves_to("t.sleep", &imports, &targets),
            Some("time.sleep")
        );
        assert_eq!(resolves_to("time.sleep", &imports, &targets), None);
        assert_eq!(
            resolves_to("os.system", &imports, &targets),
            Some("os.system")
        );
        assert_eq!(
            resolves_to("sh", &imports, &targets),
            Some("subprocess.run")
        );
        assert_eq!(resolves_to("run", &imports, &targets), None);
        assert_eq!(resolves_to("load", &imports, &targets), Some("yaml.load"));
        assert!(imported("sh", &imports));
        assert!(imported("os", &imports));
        assert!(!imported("open", &imports));
    }

    #[test]
    fn constant_names() {
        assert!(is_constant_name("TABLE"));
        assert!(is_constant_name("MAX_ROWS2"));
        assert!(!is_constant_name("Table"));
        assert!(!is_constant_name("_"));
    }
}
