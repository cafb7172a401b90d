use super::*;
use crate::diagnostic::LineIndex;
use crate::python::imports;

/// Builds the model the way the engine's walk does: preorder, imports
/// bound after extraction, every other kind through `visit`.
fn with_model<R>(source: &str, f: impl FnOnce(&Semantic<'_>, Node<'_>) -> R) -> R {
    let tree = crate::parse::parse(source).expect("parse");
    let root = tree.root_node();
    let lines = LineIndex::new(source);
    let mut model = Semantic::new(root, source);
    let mut facts = Vec::new();
    let mut stack: Vec<(Node<'_>, Vec<Node<'_>>)> = vec![(root, Vec::new())];
    while let Some((node, ancestors)) = stack.pop() {
        let kind = node.kind_str();
        if imports::IMPORT_KINDS.contains(&kind) {
            let before = facts.len();
            imports::extract(node, &ancestors, source, &lines, &mut facts);
            model.bind_imports(node, &ancestors, &facts[before..]);
        } else if SEMANTIC_KINDS.contains(&kind) {
            model.visit(node, &ancestors);
        }
        let mut cursor = node.walk();
        let children: Vec<Node<'_>> = node.children(&mut cursor).collect();
        for child in children.into_iter().rev() {
            let mut a = ancestors.clone();
            a.push(node);
            stack.push((child, a));
        }
    }
    f(&model, root)
}

/// The node whose text is `needle` (the `nth` occurrence, 0-based) and its ancestors.
fn find<'t>(root: Node<'t>, source: &str, needle: &str, nth: usize) -> (Node<'t>, Vec<Node<'t>>) {
    let start = source
        .match_indices(needle)
        .nth(nth)
        .map(|(i, _)| i)
        .expect("needle");
    let node = root
        .named_descendant_for_byte_range(start, start + needle.len())
        .expect("node");
    let mut ancestors = Vec::new();
    let mut current = node.parent();
    while let Some(p) = current {
        ancestors.push(p);
        current = p.parent();
    }
    ancestors.reverse();
    (node, ancestors)
}

fn qualified_at(source: &str, needle: &str, nth: usize) -> Option<String> {
    with_model(source, |m, root| {
        let (node, ancestors) = find(root, source, needle, nth);
        let scope = m.scope_of(&ancestors, node);
        m.qualified_name(needle, scope, node.start_byte())
    })
}

#[test]
fn imports_resolve_to_qualified_names() {
    let src = "import time as t\nfrom os import path as p\nimport a.b.c\nt.sleep(1)\np.join()\na.b.c.d()\n";
    assert_eq!(
        qualified_at(src, "t.sleep", 0).as_deref(),
        Some("time.sleep")
    );
    assert_eq!(
        qualified_at(src, "p.join", 0).as_deref(),
        Some("os.path.join")
    );
    assert_eq!(qualified_at(src, "a.b.c.d", 0).as_deref(), Some("a.b.c.d"));
}

#[test]
fn a_parameter_shadows_an_import() {
    let src = "import time\ndef f(time):\n    time.sleep(1)\ndef g():\n    time.sleep(2)\n";
    assert_eq!(qualified_at(src, "time.sleep", 0), None);
    assert_eq!(
        qualified_at(src, "time.sleep", 1).as_deref(),
        Some("time.sleep")
    );
}

#[test]
fn an_import_inside_a_function_is_local_to_it() {
    let src = "def f():\n    from time import sleep\n    sleep(1)\ndef g():\n    sleep(2)\n";
    assert_eq!(qualified_at(src, "sleep", 1).as_deref(), Some("time.sleep"));
    assert_eq!(qualified_at(src, "sleep", 2), None);
}

#[test]
fn module_aliases_and_star_imports() {
    let src = "import time\nnap = time.sleep\nfrom subprocess import *\ndef f():\n    nap(1)\n    run('x')\n";
    assert_eq!(qualified_at(src, "nap", 1).as_deref(), Some("time.sleep"));
    assert_eq!(
        qualified_at(src, "run", 0).as_deref(),
        Some("subprocess.run")
    );
}

#[test]
fn uses_see_the_latest_binding_before_them() {
    let src = "from a import x\nx()\nx = 1\nx()\n";
    assert_eq!(qualified_at(src, "x", 1).as_deref(), Some("a.x"));
    assert_eq!(qualified_at(src, "x", 3), None);
}

#[test]
fn class_bodies_are_not_visible_from_methods() {
    let src = "import q\nclass A:\n    q = 1\n    def m(self):\n        q.run()\n";
    assert_eq!(qualified_at(src, "q.run", 0).as_deref(), Some("q.run"));
}

#[test]
fn parameters_carry_annotations_and_defaults() {
    let src = "def f(s: Session, *a, k=1, **kw):\n    s.query()\n    k\n";
    with_model(src, |m, root| {
        let (node, ancestors) = find(root, src, "s.query", 0);
        let scope = m.scope_of(&ancestors, node);
        let b = m.lookup(scope, "s", node.start_byte()).expect("s");
        assert!(matches!(b.kind, BindingKind::Parameter { .. }));
        assert_eq!(
            b.annotation().map(|a| crate::python::ast::text(a, src)),
            Some("Session")
        );
        let (node, ancestors) = find(root, src, "k", 2);
        let scope = m.scope_of(&ancestors, node);
        let k = m.lookup(scope, "k", node.start_byte()).expect("k");
        assert!(matches!(
            k.kind,
            BindingKind::Parameter {
                default: Some(_),
                ..
            }
        ));
        assert!(m.lookup(scope, "a", node.start_byte()).is_some());
        assert!(m.lookup(scope, "kw", node.start_byte()).is_some());
    });
}

#[test]
fn defaults_and_decorators_are_in_the_enclosing_scope() {
    let src = "import x\ndef f(x=x.y):\n    pass\n";
    assert_eq!(qualified_at(src, "x.y", 0).as_deref(), Some("x.y"));
}

#[test]
fn self_attributes_are_members_of_the_class() {
    let src = "class C:\n    db: Session = Depends(get_db)\n    def __init__(self, s):\n        self.s = s\n    def m(self):\n        self.s.query()\n        self.db.query()\n    @staticmethod\n    def st(self):\n        self.s\n";
    with_model(src, |m, root| {
        let (node, ancestors) = find(root, src, "self.s.query", 0);
        let scope = m.scope_of(&ancestors, node);
        let s = m.self_member(scope, "self", "s").expect("self.s");
        assert!(s.instance);
        let db = m.self_member(scope, "self", "db").expect("db");
        assert!(!db.instance);
        assert_eq!(
            db.annotation().map(|a| crate::python::ast::text(a, src)),
            Some("Session")
        );
        let (node, ancestors) = find(root, src, "self.s\n", 0);
        let scope = m.scope_of(&ancestors, node);
        assert!(
            m.self_member(scope, "self", "s").is_none(),
            "a static method has no receiver"
        );
    });
}

#[test]
fn with_for_walrus_and_unpacking_bind() {
    let src = "async def f():\n    async with make() as c:\n        pass\n    for i, (j, k) in z:\n        pass\n    if (w := g()):\n        pass\n    a = b = h()\n    use(c, i, j, k, w, a, b)\n";
    with_model(src, |m, root| {
        let (node, ancestors) = find(root, src, "use", 0);
        let scope = m.scope_of(&ancestors, node);
        let at = node.start_byte();
        assert!(matches!(
            m.lookup(scope, "c", at).map(|b| &b.kind),
            Some(BindingKind::With { is_async: true, .. })
        ));
        for name in ["i", "j", "k"] {
            assert!(
                matches!(
                    m.lookup(scope, name, at).map(|b| &b.kind),
                    Some(BindingKind::For { .. })
                ),
                "{name}"
            );
        }
        assert!(m.lookup(scope, "w", at).and_then(|b| b.value()).is_some());
        for name in ["a", "b"] {
            let v = m
                .lookup(scope, name, at)
                .and_then(|b| b.value())
                .expect(name);
            assert_eq!(crate::python::ast::text(v, src), "h()");
        }
        assert!(matches!(
            m.scope(scope).kind,
            ScopeKind::Function { is_async: true }
        ));
    });
}

#[test]
fn bindings_before_lists_every_branch() {
    let src =
        "def f(a):\n    if a:\n        q = 1\n    else:\n        q = 2\n    q += 3\n    run(q)\n";
    with_model(src, |m, root| {
        let (node, ancestors) = find(root, src, "run", 0);
        let scope = m.scope_of(&ancestors, node);
        assert_eq!(m.bindings_before(scope, "q", node.start_byte()).count(), 3);
    });
}

#[test]
fn broken_imports_bind_nothing_and_end() {
    // Once an infinite loop: an empty imported name matched everywhere.
    let src = "from a import ;B, C >as D\nfrom . import\nimport\n";
    with_model(src, |m, _| {
        assert!(m.bindings().iter().all(|b| !b.name.is_empty()));
    });
}

#[test]
fn except_as_binds_the_caught_exception_inside_its_clause() {
    let src = "def f():\n    try:\n        g()\n    except (KeyError, ValueError) as err:\n        raise err\n    err\n    try:\n        g()\n    except* OSError as group:\n        group\n";
    with_model(src, |m, root| {
        let (node, ancestors) = find(root, src, "err", 1);
        let scope = m.scope_of(&ancestors, node);
        let b = m.lookup(scope, "err", node.start_byte()).expect("err");
        let BindingKind::Except { types, .. } = b.kind else {
            panic!("expected an except binding, got {:?}", b.kind);
        };
        assert_eq!(
            types.map(|t| crate::python::ast::text(t, src)),
            Some("(KeyError, ValueError)")
        );
        assert!(m.caught_at(scope, "err", node.start_byte()));
        // After the clause Python unbinds the name: it is not being handled.
        let (after, ancestors) = find(root, src, "err", 2);
        let scope = m.scope_of(&ancestors, after);
        assert!(!m.caught_at(scope, "err", after.start_byte()));
        let (node, ancestors) = find(root, src, "group", 1);
        let scope = m.scope_of(&ancestors, node);
        assert!(m.caught_at(scope, "group", node.start_byte()));
    });
}

#[test]
fn a_name_assigned_inside_the_clause_is_no_longer_the_caught_exception() {
    let src = "try:\n    g()\nexcept Exception as e:\n    e = Exception('x')\n    raise e\n";
    with_model(src, |m, root| {
        let (node, ancestors) = find(root, src, "raise e", 0);
        let scope = m.scope_of(&ancestors, node);
        assert!(!m.caught_at(scope, "e", node.end_byte()));
    });
}

/// The kind of binding the `nth` `needle` sees where it is written.
fn seen_kind(source: &str, needle: &str, nth: usize) -> Option<&'static str> {
    with_model(source, |m, root| {
        let (node, ancestors) = find(root, source, needle, nth);
        let scope = m.scope_of(&ancestors, node);
        m.lookup(scope, needle, node.start_byte())
            .map(|b| match &b.kind {
                BindingKind::Import { .. } => "import",
                BindingKind::Parameter { .. } => "parameter",
                BindingKind::Assignment { .. } => "assignment",
                BindingKind::For { .. } => "for",
                BindingKind::Function { .. } => "function",
                _ => "other",
            })
    })
}

#[test]
fn comprehension_targets_are_bound_inside_only() {
    // The element, written before its `for`, sees the target.
    let source = "import row\ndef f(rows):\n    out = [row.id for row in rows]\n    return row\n";
    // (needles match inside words: `rows` counts, so `[row.id` is the 3rd)
    assert_eq!(seen_kind(source, "row", 2), Some("for"));
    // After the comprehension, `row` is the import again.
    assert_eq!(seen_kind(source, "row", 5), Some("import"));
    // Nested clauses and conditions see every target.
    let source = "def f(xs):\n    return {k: v for k, vs in xs if k for v in vs}\n";
    assert_eq!(seen_kind(source, "k", 0), Some("for"));
    assert_eq!(seen_kind(source, "v", 0), Some("for"));
    // The first iterable is evaluated outside: `xs` there is the parameter,
    // even when the target has the same name.
    let source = "def f(xs):\n    return [xs for xs in xs]\n";
    assert_eq!(seen_kind(source, "xs", 3), Some("parameter"));
    assert_eq!(seen_kind(source, "xs", 1), Some("for"));
    // A generator expression as the only argument is a scope too.
    let source = "x = 1\nsum(x for x in range(3))\n";
    assert_eq!(seen_kind(source, "x", 1), Some("for"));
}

#[test]
fn comprehensions_see_the_binding_before_them() {
    // A comprehension runs where it is written: the latest binding before
    // it, not one made after (a function body would see the latter).
    let source = "import s\ndef f():\n    a = [s.x for _ in y]\n    s = 1\n";
    assert_eq!(seen_kind(source, "s", 1), Some("import"));
    // A class body is not visible from its comprehensions.
    let source = "n = 1\nclass C:\n    n = 2\n    xs = [n for _ in y]\n";
    with_model(source, |m, root| {
        let (node, ancestors) = find(root, source, "n", 2);
        let scope = m.scope_of(&ancestors, node);
        let b = m.lookup(scope, "n", node.start_byte()).expect("bound");
        assert_eq!(b.scope, MODULE);
    });
}

#[test]
fn global_and_nonlocal_send_bindings_where_they_live() {
    let source =
        "import engine\ndef setup():\n    global engine\n    engine = make()\n    engine.run()\n";
    with_model(source, |m, root| {
        // The assignment in `setup` binds the module's `engine`.
        let b = m
            .bindings()
            .iter()
            .find(|b| b.name == "engine" && matches!(b.kind, BindingKind::Assignment { .. }))
            .expect("bound");
        assert_eq!(b.scope, MODULE);
        let (node, ancestors) = find(root, source, "engine", 3);
        let scope = m.scope_of(&ancestors, node);
        let seen = m.lookup(scope, "engine", node.start_byte()).expect("seen");
        assert!(matches!(seen.kind, BindingKind::Assignment { .. }));
    });
    let source = "def outer():\n    n = 0\n    def inner():\n        nonlocal n\n        n = n + 1\n    return n\n";
    with_model(source, |m, _| {
        let outer = m
            .scopes()
            .iter()
            .position(|s| s.name == "outer")
            .expect("outer");
        let assigned: Vec<ScopeId> = m
            .bindings()
            .iter()
            .filter(|b| b.name == "n")
            .map(|b| b.scope)
            .collect();
        assert_eq!(assigned, [outer, outer]);
    });
}
